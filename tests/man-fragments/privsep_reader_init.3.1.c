/* privsep_reader_init(3): in a handler */
#include <stdint.h>
#include <privsep.h>
int on_request(struct privsep_req *req, void *arg);
int on_request(struct privsep_req *req, void *arg)
{
	(void)arg;
	/* @EXAMPLE@ */
	return 0;
}
