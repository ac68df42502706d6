/* privsep_sandbox_describe(3): printed: block 2 is what it prints on a
 * kernel with Landlock ABI 7 */
#include <stdio.h>
#include <privsep.h>
int main(void)
{
	/* @EXAMPLE@ */
	return 0;
}
