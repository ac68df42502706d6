/* privsep_helper_stats(3): the daemon's status line */
#include <inttypes.h>
#include <stdio.h>
#include <privsep.h>
void status(struct privsep_helper *h);
void status(struct privsep_helper *h)
{
	/* @EXAMPLE@ */
}
