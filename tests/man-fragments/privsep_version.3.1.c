/* privsep_version(3): a daemon's --version */
#include <stdio.h>
#include <privsep.h>
void version(void);
void version(void)
{
	/* @EXAMPLE@ */
}
