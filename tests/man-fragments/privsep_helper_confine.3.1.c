/* privsep_helper_confine(3): in a daemon's main, as root, its helper made
 * and its spawns described */
#define _DEFAULT_SOURCE
#include <err.h>
#include <privsep.h>
int bind_port_80(void);
int start(struct privsep_helper *h, struct privsep_spawn *sp, unsigned nworkers);
int start(struct privsep_helper *h, struct privsep_spawn *sp, unsigned nworkers)
{
	/* @EXAMPLE@ */
	return s;
}
