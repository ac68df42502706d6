/* SPDX-License-Identifier: ISC */
/*
 * threads.c - how many threads this process has: what changes the
 * helper's own credentials (capabilities, Landlock) changes the calling
 * thread only, so privsep_helper_keep_caps and privsep_helper_confine
 * refuse, before they change anything, while it has another.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_int.h"

int helper_threads(void)
{
	char buf[4096], *t;
	ssize_t n;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	t = strstr(buf, "\nThreads:");
	return t ? atoi(t + 9) : -1;
}
