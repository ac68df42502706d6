/* SPDX-License-Identifier: ISC */
/*
 * status.c - what a running httpd tells its operator: STATUS= to the
 * service manager on each change, one line of counters on SIGUSR1, and
 * process titles that tell the helper from its workers.
 *
 * Standard C11 and GNU extensions: it defines _GNU_SOURCE (for prctl's
 * PR_SET_NAME) and compiles with cc -std=c11 -pedantic.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "httpd.h"
#include "notify.h"

void title_helper(int argc, char **argv)
{
	static const char title[] = "httpd: helper";
	char *end;
	size_t room;

	(void)prctl(PR_SET_NAME, title, 0, 0, 0); /* /proc/PID/comm, ps -e */
	if (argc < 1 || !argv[0])
		return;
	/* the command line is the arguments' memory: the title is written
	 * over it where the strings follow each other, the rest zeroed */
	end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc && argv[i] == end; i++)
		end = argv[i] + strlen(argv[i]) + 1;
	room = (size_t)(end - argv[0]);
	if (room < 2)
		return;
	memset(argv[0], 0, room);
	memcpy(argv[0], title, sizeof(title) < room ? sizeof(title) : room - 1);
}

void status_update(struct httpd *d)
{
	struct privsep_stats st = {.size = sizeof(st)};
	char line[512];
	struct timespec ts;
	int64_t now;
	if (privsep_helper_stats(d->h, &st) < 0)
		return;
	/* what the line says, compared before it is written */
	uint64_t key[5] = {st.ready, st.restarts, st.violations, d->reloads, d->reload_failures};
	if (!memcmp(key, d->status_key, sizeof(key)))
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if (now < d->status_retry_ms)
		return;
	snprintf(line, sizeof(line),
	         "STATUS=serving %s on %s: %" PRIu64 " of %u workers ready, %" PRIu64
	         " restarts, %" PRIu64 " violations, %lu reloads (%lu refused)\n",
	         d->root, d->where, st.ready, d->nslots, st.restarts, st.violations, d->reloads,
	         d->reload_failures);
	if (notify_send(line) < 0) {
		/* the service manager's queue is full: again in a second,
		 * never waiting for it */
		if (errno != EAGAIN)
			say(d, PRIVSEP_LOG_WARN, "httpd: NOTIFY_SOCKET: STATUS: %s\n",
			    strerror(errno));
		d->status_retry_ms = now + 1000;
		return;
	}
	memcpy(d->status_key, key, sizeof(key));
}

void status_line(struct privsep_helper *h, int signo, void *arg)
{
	struct httpd *d = arg;
	struct privsep_stats st = {.size = sizeof(st)};
	(void)signo;
	if (privsep_helper_stats(h, &st) < 0)
		return;
	say(d, PRIVSEP_LOG_INFO,
	    "httpd: status: %" PRIu64 " workers (%" PRIu64 " ready), %" PRIu64 " calls, %" PRIu64
	    " refused, %" PRIu64 " violations, %" PRIu64 " restarts, %" PRIu64 " queued, %" PRIu64
	    " bytes in, %" PRIu64 " bytes out, up %" PRIu64 " s, %lu reloads (%lu refused)\n",
	    st.workers, st.ready, st.calls, st.refusals, st.violations, st.restarts, st.queued,
	    st.bytes_in, st.bytes_out, st.uptime_ms / 1000, d->reloads, d->reload_failures);
}
