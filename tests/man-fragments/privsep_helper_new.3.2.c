/* privsep_helper_new(3): stopped by a signal, in the daemon's main */
#define _DEFAULT_SOURCE
#include <err.h>
#include <privsep.h>
int run(struct privsep_helper *h);
int run(struct privsep_helper *h)
{
	int rc;
	/* @EXAMPLE@ */
}
