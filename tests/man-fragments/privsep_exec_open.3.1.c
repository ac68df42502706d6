/* privsep_exec_open(3): a daemon whose worker is its own binary (the
 * block is the whole main) */
#include <stddef.h>
#include <privsep.h>
int worker(struct privsep_client *c, void *arg);
/* @EXAMPLE@ */
