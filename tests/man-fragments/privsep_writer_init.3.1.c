/* privsep_writer_init(3): a worker's request built */
#include <stdint.h>
#include <privsep.h>
int request(uint32_t flags, const char *name);
int request(uint32_t flags, const char *name)
{
	/* @EXAMPLE@ */
	return 0;
}
