/* privsep_policy_quote(3): the policy built for a root of /srv/a"b,
 * printed: block 2 is what it prints */
#define _DEFAULT_SOURCE
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <privsep.h>
int main(void)
{
	const char *root = "/srv/a\"b";
	/* @EXAMPLE@ */
	fputs(text, stdout);
	free(text);
	return 0;
}
