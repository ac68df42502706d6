/* privsep_helper_new(3): a helper in the daemon's own poll loop */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <privsep.h>
void accept_one(int listen_fd);
void serve(struct privsep_helper *h, int listen_fd);
void serve(struct privsep_helper *h, int listen_fd)
{
	/* @EXAMPLE@ */
}
