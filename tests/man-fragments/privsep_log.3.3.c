/* privsep_log(3): in a worker */
#include <privsep.h>
void bad_headers(const char *peer, int n);
void bad_headers(const char *peer, int n)
{
	/* @EXAMPLE@ */
}
