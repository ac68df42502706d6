/* privsep_worker_post(3): the helper's SIGHUP callback (top level) */
#include <errno.h>
#include <privsep.h>
/* @EXAMPLE@ */
