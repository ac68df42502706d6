/* SPDX-License-Identifier: ISC */
/* httpd_procs.c - a running helper's processes as /proc shows them, and
 * its sd_notify datagrams. */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "httpd_procs.h"
#include "hx_read.h"

int proc_is_spawner(long pid)
{
	char p[64], comm[32];
	snprintf(p, sizeof(p), "/proc/%ld/comm", pid);
	hx_read_small(p, comm, sizeof(comm));
	return !strcmp(comm, "privsep-spawner\n");
}

int proc_workers(pid_t helper, pid_t *out, int max)
{
	char p[64], buf[1024];
	int n = 0;
	snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)helper, (int)helper);
	if (hx_read_small(p, buf, sizeof(buf)) <= 0)
		return 0;
	for (char *s = buf, *e; n < max; s = e) {
		long v = strtol(s, &e, 10);
		if (e == s)
			break;
		if (!proc_is_spawner(v))
			out[n++] = (pid_t)v;
	}
	return n;
}

long ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

int notify_wait(int fd, const char *want, const char *also, int ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (ms_since(&t0) < ms) {
		struct pollfd p = {fd, POLLIN, 0};
		char buf[1024];
		ssize_t n;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		if (getenv("OPS_VERBOSE"))
			fprintf(stderr, "notify: %s", buf);
		if (strstr(buf, want) && (!also || strstr(buf, also)))
			return 0;
	}
	return -1;
}
