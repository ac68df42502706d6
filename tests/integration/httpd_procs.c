/* SPDX-License-Identifier: ISC */
/* httpd_procs.c - a running helper's processes as /proc shows them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
