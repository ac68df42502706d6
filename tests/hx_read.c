/* SPDX-License-Identifier: ISC */
/* hx_read.c - a small file (a /proc entry) read whole, for the tests. */
#include <fcntl.h>
#include <unistd.h>

#include "hx_read.h"

ssize_t hx_read_small(const char *path, char *buf, size_t size)
{
	ssize_t k;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	buf[0] = '\0';
	if (fd < 0)
		return -1;
	k = read(fd, buf, size - 1);
	close(fd);
	if (k < 0)
		k = 0;
	buf[k] = '\0';
	return k;
}
