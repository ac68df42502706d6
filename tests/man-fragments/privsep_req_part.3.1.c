/* privsep_req_part(3): a helper's handler fed part by part, and its table
 * (top level) */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <privsep.h>
/* @EXAMPLE@ */
