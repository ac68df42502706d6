/* privsep_fs_open(3): in a worker's function */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <privsep.h>
int open_keys(struct privsep_client *c);
int open_keys(struct privsep_client *c)
{
	/* @EXAMPLE@ */
	return fd;
}
