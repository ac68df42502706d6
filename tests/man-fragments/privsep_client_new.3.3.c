/* privsep_client_new(3), a worker's event loop: its main */
#include <errno.h>
#include <privsep.h>
int worker(struct privsep_client *c, void *arg);
int worker(struct privsep_client *c, void *arg)
{
	(void)arg;
	/* @EXAMPLE@ */
}
