/* privsep_log(3): to syslog, in the daemon's main */
#define _DEFAULT_SOURCE
#include <syslog.h>
#include <privsep.h>
void setup(void);
void setup(void)
{
	/* @EXAMPLE@ */
}
