/* privsep_spawn(3): a server's four workers, in its main */
#define _DEFAULT_SOURCE
#include <err.h>
#include <privsep.h>
struct config {
	int port;
};
int serve(struct privsep_client *c, void *arg);
void start(struct privsep_helper *h, int listen_fd, struct config cfg);
void start(struct privsep_helper *h, int listen_fd, struct config cfg)
{
	/* @EXAMPLE@ */
}
