/* privsep_worker_post(3): the helper's on_worker_gone (top level) */
#define _DEFAULT_SOURCE
#include <syslog.h>
#include <privsep.h>
/* @EXAMPLE@ */
