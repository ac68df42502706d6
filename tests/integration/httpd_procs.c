/* SPDX-License-Identifier: ISC */
/* httpd_procs.c - a running helper's processes as /proc shows them. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpd_procs.h"

int proc_is_spawner(long pid)
{
	char p[64], comm[32];
	ssize_t k;
	int fd;
	snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	k = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	comm[k > 0 ? k : 0] = '\0';
	return !strcmp(comm, "privsep-spawner\n");
}

int proc_workers(pid_t helper, pid_t *out, int max)
{
	char p[64], buf[1024];
	int fd, n = 0;
	ssize_t k;
	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)helper, (int)helper);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (k <= 0)
		return 0;
	buf[k] = '\0';
	for (char *s = buf, *e; n < max; s = e) {
		long v = strtol(s, &e, 10);
		if (e == s)
			break;
		if (!proc_is_spawner(v))
			out[n++] = (pid_t)v;
	}
	return n;
}
