/* privsep_client_new(3), a call told apart from a refusal: in a worker's
 * function that looks a name up */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <privsep.h>
#define T_LOOKUP (PRIVSEP_TYPE_APP_MIN + 1)
int lookup(struct privsep_client *c, const char *name);
int lookup(struct privsep_client *c, const char *name)
{
	/* @EXAMPLE@ */
	return 0;
}
