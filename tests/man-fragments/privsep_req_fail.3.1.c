/* privsep_req_fail(3): a helper's handler and its table (top level) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <privsep.h>
/* @EXAMPLE@ */
