/* privsep_client_new(3), a permit given up: in a worker's main */
#include <stdint.h>
#include <privsep.h>
#define T_READ_CONFIG (PRIVSEP_TYPE_APP_MIN + 2)
int read_config(struct privsep_client *c);
int worker(struct privsep_client *c, void *arg);
int worker(struct privsep_client *c, void *arg)
{
	(void)arg;
	/* @EXAMPLE@ */
	return 0;
}
