/* privsep_log(3): a helper's log function (the block is top level) */
#include <stddef.h>
#include <privsep.h>
/* @EXAMPLE@ */
