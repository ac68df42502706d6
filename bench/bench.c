/* SPDX-License-Identifier: ISC */
/*
 * privsep-bench - privsep against the floor the kernel sets, side by side
 * in one run.  Each benchmark runs the privsep path and a hand-written raw
 * baseline of the same work, interleaved in blocks, so that a noisy
 * machine slows both alike; it reports median and p99 and their ratio.
 *
 *   privsep-bench [-o FILE.jsonl] [--quick]
 *
 * A table goes to standard output; one JSON object per benchmark to FILE
 * (default: bench-results.jsonl), whose path is printed at the end.
 */
#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "filter.h"
#include "helper_int.h"
#include "policy.h"
#include "sandbox.h"
#include "notify_bench.h"
#include "ring_bench.h"
#include "step_trace.h"
#include "uidpool.h"
#include "chan.h"
#include "copyout.h"
#include "region.h"
#include "mm_slots.h"
#include "sink_post.h"
#include "raw_fd.h"

static FILE *json;
static int quick;

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

struct stats {
	double median, p99;
};

static struct stats stats_of(uint64_t *v, size_t n)
{
	struct stats s = {0, 0};
	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_u64);
	s.median = (double)v[n / 2];
	s.p99 = (double)v[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
	return s;
}

/* A goal of issue 17 for one result: op '<' (at most), '>' (at least) or
 * '=' (exactly) value, of the ratio (of_ratio) or of the median; op 0:
 * none. */
struct goal {
	char op;
	double value;
	int of_ratio;
};
#define NO_GOAL ((struct goal){0, 0, 0})
#define AT_MOST(r) ((struct goal){'<', (r), 1})
#define AT_LEAST(r) ((struct goal){'>', (r), 1})

/* The JSON scheme: one object a line, every one named uniquely by its
 * benchmark, CPU placement and baseline ("name"), with the same fields;
 * "goal" and "met" are null where the issue sets no goal.  A name
 * written twice stops the run at the end (exit 1). */
#define JSON_NAMES_MAX 256
static char *json_names[JSON_NAMES_MAX];
static size_t json_nnames;
static int json_dup;

/* The previous row's benchmark, for a table row that only says "same". */
static char last_bench[96];

static void json_str(const char *s)
{
	fputc('"', json);
	for (; *s; s++)
		if (*s == '"' || *s == '\\')
			fprintf(json, "\\%c", *s);
		else
			fputc(*s, json);
	fputc('"', json);
}

static void json_num(double v, int have)
{
	if (have)
		fprintf(json, "%.4f", v);
	else
		fputs("null", json);
}

/* One object.  baseline NULL: a row with no baseline (b unused);
 * extra: more fields, already formatted (", \"k\": v"), or NULL. */
static void json_row(const char *label, const char *unit, struct stats p, struct stats b,
                     const char *placement, const char *baseline, int higher_is_better,
                     struct goal g, const char *extra)
{
	char bench[96], name[320];
	double ratio = baseline && b.median > 0 ? p.median / b.median : 0;
	double x = g.of_ratio ? ratio : p.median;
	int met = g.op == '<' ? x <= g.value : g.op == '>' ? x >= g.value : x == g.value;

	/* "  same, vs ..." and "  floor: ...": the benchmark of the row above */
	if (!strncmp(label, "  same", 6) || !strncmp(label, "  floor", 7)) {
		snprintf(bench, sizeof(bench), "%s", last_bench);
	} else {
		snprintf(bench, sizeof(bench), "%s", label);
		snprintf(last_bench, sizeof(last_bench), "%s", label);
	}
	snprintf(name, sizeof(name), "%s | %s | %s", bench, placement,
	         baseline ? baseline : "no baseline");
	for (size_t i = 0; i < json_nnames; i++)
		if (!strcmp(json_names[i], name)) {
			fprintf(stderr, "bench: two results named \"%s\"\n", name);
			json_dup = 1;
		}
	if (json_nnames < JSON_NAMES_MAX)
		json_names[json_nnames++] = strdup(name);
	fputs("{\"name\": ", json);
	json_str(name);
	fputs(", \"benchmark\": ", json);
	json_str(bench);
	fputs(", \"unit\": ", json);
	json_str(unit);
	fprintf(json, ", \"median\": %.4f, \"p99\": %.4f, \"cpu_placement\": ", p.median, p.p99);
	json_str(placement);
	fputs(", \"baseline\": ", json);
	if (baseline)
		json_str(baseline);
	else
		fputs("null", json);
	fputs(", \"baseline_median\": ", json);
	json_num(b.median, !!baseline);
	fputs(", \"baseline_p99\": ", json);
	json_num(b.p99, !!baseline);
	fputs(", \"ratio\": ", json);
	json_num(ratio, !!baseline);
	fprintf(json,
	        ", \"higher_is_better\": %s, \"goal\": ", higher_is_better ? "true" : "false");
	if (g.op)
		fprintf(json, "{\"op\": \"%s\", \"value\": %g, \"of\": \"%s\"}",
		        g.op == '<'   ? "<="
		        : g.op == '>' ? ">="
		                      : "==",
		        g.value, g.of_ratio ? "ratio" : "median");
	else
		fputs("null", json);
	fprintf(json, ", \"met\": %s%s}\n", g.op ? (met ? "true" : "false") : "null",
	        extra ? extra : "");
}

static void report_goal(const char *name, const char *unit, struct stats p, struct stats b,
                        const char *placement, const char *baseline, int higher_is_better,
                        struct goal g)
{
	double ratio = b.median > 0 ? p.median / b.median : 0;
	char goal[48] = "";
	if (g.op)
		snprintf(goal, sizeof(goal), "  goal %s %g: %s", g.op == '<' ? "<=" : ">=", g.value,
		         (g.op == '<' ? ratio <= g.value : ratio >= g.value) ? "met" : "MISSED");
	printf("%-34s %12.1f %12.1f %12.1f %12.1f %7.3f  %-9s %s%s\n", name, p.median, p.p99,
	       b.median, b.p99, ratio, placement, unit, goal);
	json_row(name, unit, p, b, placement, baseline, higher_is_better, g, NULL);
	fflush(stdout);
}

static void report(const char *name, const char *unit, struct stats p, struct stats b,
                   const char *placement, const char *baseline, int higher_is_better)
{
	report_goal(name, unit, p, b, placement, baseline, higher_is_better, NO_GOAL);
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	if (cpu < 0) {
		for (int i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		CPU_SET(cpu, &set);
	}
	sched_setaffinity(0, sizeof(set), &set);
}

static void quiet(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

/* ---- the servers, each in a child process ---- */

/* In a child: every fd closed but standard ones and keep (and keep2), so
 * that no end of another server's channel keeps it open. */
static void only_fds(int keep, int keep2)
{
	int k[5] = {0, 1, 2, keep, keep2 >= 0 ? keep2 : keep};
	for (int i = 3; i < 5; i++)
		for (int j = i + 1; j < 5; j++)
			if (k[j] < k[i]) {
				int t = k[i];
				k[i] = k[j];
				k[j] = t;
			}
	unsigned lo = 0;
	for (int i = 0; i < 5; i++) {
		if ((unsigned)k[i] > lo)
			close_range(lo, (unsigned)k[i] - 1, 0);
		lo = (unsigned)k[i] + 1;
	}
	close_range(lo, ~0u, 0);
}

/* A helper serving one channel until it closes; policy text (may be NULL)
 * gives the worker's file rules for the broker. */
static pid_t helper_server(int chan, const char *policy_text, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct privsep_helper_config cfg = {.log = quiet};
		struct privsep_helper *h;
		struct privsep_worker *w;
		char why[256];
		pin(cpu);
		only_fds(chan, -1);
		h = privsep_helper_new(NULL, 0, &cfg);
		if (!h || !(w = helper_attach(h, chan, -1, 0, "bench")))
			_exit(1);
		if (policy_text) {
			const struct pol_entry *pe =
			    helper_policy(h, "bench.policy", policy_text, 0, why, sizeof(why));
			if (!pe)
				_exit(2);
			w->spawn.pol = pol_entry_policy(pe);
			w->spawn.roots = pol_entry_roots(pe);
		}
		privsep_helper_run(h);
		privsep_helper_free(h);
		_exit(0);
	}
	close(chan);
	return pid;
}

/* The raw baseline: echo every record back. */
static pid_t echo_server(int fd, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[65536];
		ssize_t n;
		pin(cpu);
		only_fds(fd, -1);
		while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
				break;
		_exit(0);
	}
	close(fd);
	return pid;
}

/* In an event loop's child: pinned to cpu, fd and the epoll fd that
 * watches it (returned) left open, no other; exits when it cannot. */
static int epoll_child(int fd, int cpu)
{
	struct epoll_event ev = {.events = EPOLLIN};
	int ep = epoll_create1(EPOLL_CLOEXEC);
	pin(cpu);
	only_fds(fd, ep);
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		_exit(1);
	return ep;
}

/* An informative second baseline: the same echo as an event loop would
 * do it, epoll_wait before each non-blocking recv. */
static pid_t epoll_echo_server(int fd, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[65536];
		struct epoll_event ev;
		int ep = epoll_child(fd, cpu);
		ssize_t n;
		while (epoll_wait(ep, &ev, 1, -1) == 1 &&
		       (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			if (send(fd, buf, (size_t)n, MSG_NOSIGNAL) < 0)
				break;
		_exit(0);
	}
	close(fd);
	return pid;
}

/* The same event loop as a receiver of fds must read: recvmsg with a
 * control buffer of the helper's size (chan.h), MSG_CMSG_CLOEXEC, and
 * its flags checked (MSG_CTRUNC), then send.  No check of the record:
 * what the kernel charges an event loop that may be sent fds. */
static pid_t epoll_echo_fds_server(int fd, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[65536];
		union {
			struct cmsghdr a;
			char b[CHAN_CTL_SPACE];
		} ctl;
		struct epoll_event ev;
		int ep = epoll_child(fd, cpu);
		ssize_t n;
		while (epoll_wait(ep, &ev, 1, -1) == 1) {
			struct iovec iov = {buf, sizeof(buf)};
			struct msghdr mh = {.msg_iov = &iov,
			                    .msg_iovlen = 1,
			                    .msg_control = ctl.b,
			                    .msg_controllen = sizeof(ctl.b)};
			n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
			if (n <= 0 || (mh.msg_flags & (MSG_CTRUNC | MSG_TRUNC)) ||
			    send(fd, buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
				break;
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

/* The raw broker: receive a path, openat it, send the fd back. */
static pid_t raw_broker(int fd, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		char path[4096];
		ssize_t n;
		pin(cpu);
		only_fds(fd, -1);
		while ((n = recv(fd, path, sizeof(path) - 1, 0)) > 0) {
			int f;
			path[n] = '\0';
			f = openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
			(void)raw_fd_send(fd, f);
			close(f);
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

/* The floor of a brokered open that keeps its guarantees (issue 17: the
 * look, no blocking on a FIFO, the file opened the one looked at) in an
 * event loop that may be sent fds, as a helper must be: epoll_wait, a
 * recvmsg with a control buffer, statx of the name (not a regular file:
 * refused before anything is opened), the open (O_NONBLOCK, no symlink
 * followed), fstat (not the inode looked at: refused), sendmsg of the fd,
 * close.  No table, no rules, no other check: privsep's open less all of
 * its own work (bench/README.md, "brokered open"). */
static pid_t look_broker(int fd, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct epoll_event ev = {.events = EPOLLIN};
		int ep = epoll_create1(EPOLL_CLOEXEC);
		char path[4096];
		pin(cpu);
		only_fds(fd, ep);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			_exit(1);
		while (epoll_wait(ep, &ev, 1, -1) >= 0) {
			union {
				struct cmsghdr a;
				char b[CMSG_SPACE(sizeof(int))];
			} ctl;
			struct iovec iov = {path, sizeof(path) - 1};
			struct msghdr mh = {.msg_iov = &iov,
			                    .msg_iovlen = 1,
			                    .msg_control = ctl.b,
			                    .msg_controllen = sizeof(ctl.b)};
			ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
			struct statx sx;
			struct stat st;
			int f = -1;
			if (n <= 0)
				_exit(0);
			path[n] = '\0';
			if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
			          STATX_TYPE | STATX_INO, &sx) == 0 &&
			    S_ISREG(sx.stx_mode))
				f = openat(AT_FDCWD, path,
				           O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_NOCTTY |
				               O_CLOEXEC);
			if (f >= 0 && (fstat(f, &st) < 0 || st.st_ino != sx.stx_ino ||
			               st.st_dev != makedev(sx.stx_dev_major, sx.stx_dev_minor))) {
				close(f);
				f = -1;
			}
			if (f < 0 || raw_fd_send(fd, f) < 0)
				_exit(1);
			close(f);
		}
		_exit(0);
	}
	close(fd);
	return pid;
}

/* A raw receiver: count records, say how many when the stream ends.
 * in_epoll: its socket also in an epoll set that nobody waits on, so
 * that each send runs epoll's wake-up callback (the floor of a receiver
 * that waits in epoll, bench/README.md "Throughput", session 6). */
static pid_t raw_sink(int fd, int done_w, int cpu, int in_epoll)
{
	pid_t pid = fork();
	if (pid == 0) {
		char buf[65536];
		long n = 0;
		pin(cpu);
		only_fds(fd, done_w);
		if (in_epoll) {
			struct epoll_event ev = {.events = EPOLLIN};
			int ep = epoll_create1(EPOLL_CLOEXEC);
			if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
				_exit(1);
		}
		while (recv(fd, buf, sizeof(buf), 0) > 0)
			n++;
		if (write(done_w, &n, sizeof(n)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd);
	return pid;
}

/* The helper's way of reading records, with none of its checks: wait in
 * epoll_wait, then recvmmsg with a control buffer per record (chan.h) into
 * as many slots of the record limit as the helper's stash has at that
 * limit (rxbatch.c: 256 KiB of slots, at most 16), until EAGAIN; count
 * them, say how many when the stream ends. */
#define MM_SLOT 65536u
#define MM_SLOTS (256u * 1024u / MM_SLOT < 16u ? 256u * 1024u / MM_SLOT : 16u)
static pid_t raw_mm_sink(int fd, int done_w, int cpu)
{
	pid_t pid = fork();
	if (pid == 0) {
		static char bufs[MM_SLOTS][MM_SLOT];
		static union mm_ctl ctl[MM_SLOTS];
		struct mmsghdr mm[MM_SLOTS];
		struct iovec iov[MM_SLOTS];
		struct epoll_event ev = {.events = EPOLLIN};
		int ep, end = 0;
		long n = 0;
		pin(cpu);
		only_fds(fd, done_w);
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			_exit(1);
		while (!end && epoll_wait(ep, &ev, 1, -1) == 1) {
			for (;;) {
				int got;
				mm_slots_arm(mm, iov, ctl, bufs[0], MM_SLOT, MM_SLOTS);
				got = recvmmsg(fd, mm, MM_SLOTS, MSG_DONTWAIT | MSG_CMSG_CLOEXEC,
				               NULL);
				if (got < 0) {
					end = errno != EAGAIN && errno != EWOULDBLOCK;
					break; /* EAGAIN: wait */
				}
				for (int i = 0; i < got; i++) {
					if (mm[i].msg_len == 0 ||
					    (mm[i].msg_hdr.msg_flags & (MSG_CTRUNC | MSG_TRUNC))) {
						end = 1;
						break;
					}
					n++;
				}
				if (end || got == 0)
					break;
			}
		}
		if (write(done_w, &n, sizeof(n)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd);
	return pid;
}

static void reap(pid_t pid)
{
	int st;
	waitpid(pid, &st, 0);
}

/* ---- 1: round trip ---- */

/* Where the two ends of a round trip run. */
enum placement { FREE, ONE_CPU, TWO_CPUS };

/* CPUs 0 and 1 were both ours when the run started (the two-CPU rows pin
 * to them; pin(-1) widens the mask later, so ask once, in main). */
static int two_cpus(void)
{
	static int known = -1;
	if (known < 0) {
		cpu_set_t set;
		CPU_ZERO(&set);
		known = sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_ISSET(0, &set) &&
		        CPU_ISSET(1, &set);
	}
	return known;
}

static const char *placement_name(enum placement pl)
{
	return pl == ONE_CPU ? "one CPU" : pl == TWO_CPUS ? "two CPUs" : "free";
}

/* pl: FREE (no affinity: the scheduler places each end, and a pair it
 * starts on two vCPUs stays there, bench/README.md), ONE_CPU (both on
 * CPU 0), TWO_CPUS (the caller on CPU 0, every server on CPU 1: what a
 * pair the scheduler split pays, raw or privsep alike). */
static void bench_roundtrip(enum placement pl)
{
	int a[2], b[2], e[2], f[2];
	const int blocks = quick ? 5 : 20, per = 1000;
	uint64_t *tp = calloc((size_t)(blocks * per), sizeof(uint64_t)),
	         *tr = calloc((size_t)(blocks * per), sizeof(uint64_t)),
	         *te = calloc((size_t)(blocks * per), sizeof(uint64_t)),
	         *tf = calloc((size_t)(blocks * per), sizeof(uint64_t));
	char payload[32] = "0123456789abcdef0123456789abcde", body[64], rbuf[64];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	pid_t hp, ep, eep, efp;
	struct privsep_client *c;
	size_t np = 0, nr = 0, ne = 0, nf = 0;
	int cpu = pl == FREE ? -1 : 0, scpu = pl == TWO_CPUS ? 1 : cpu;

	pin(cpu);
	chan_pair(a);
	chan_pair(b);
	chan_pair(e);
	chan_pair(f);
	hp = helper_server(a[0], NULL, scpu);
	ep = echo_server(b[0], scpu);
	eep = epoll_echo_server(e[0], scpu);
	efp = epoll_echo_fds_server(f[0], scpu);
	c = privsep_client_new(a[1], NULL);
	/* warm up */
	for (int i = 0; i < 1000; i++) {
		privsep_client_ping(c, payload, 32, &res);
		send(b[1], payload, 32, 0);
		recv(b[1], rbuf, sizeof(rbuf), 0);
		send(e[1], payload, 32, 0);
		recv(e[1], rbuf, sizeof(rbuf), 0);
		send(f[1], payload, 32, 0);
		recv(f[1], rbuf, sizeof(rbuf), 0);
	}
	for (int k = 0; k < blocks; k++) {
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			if (privsep_client_ping(c, payload, 32, &res) != 0)
				abort();
			tp[np++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			if (send(b[1], payload, 32, 0) != 32 ||
			    recv(b[1], rbuf, sizeof(rbuf), 0) != 32)
				abort();
			tr[nr++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			if (send(e[1], payload, 32, 0) != 32 ||
			    recv(e[1], rbuf, sizeof(rbuf), 0) != 32)
				abort();
			te[ne++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			if (send(f[1], payload, 32, 0) != 32 ||
			    recv(f[1], rbuf, sizeof(rbuf), 0) != 32)
				abort();
			tf[nf++] = ns() - t;
		}
	}
	privsep_client_free(c);
	close(b[1]);
	close(e[1]);
	close(f[1]);
	reap(hp);
	reap(ep);
	reap(eep);
	reap(efp);
	struct stats sp = stats_of(tp, np);
	report_goal("round trip, 32 B", "ns", sp, stats_of(tr, nr), placement_name(pl),
	            "raw SEQPACKET ping-pong", 0, AT_MOST(1.10));
	report("  same, vs a raw epoll echo", "ns", sp, stats_of(te, ne), placement_name(pl),
	       "raw SEQPACKET echo: epoll_wait, recv, send", 0);
	report("  same, vs an fd-taking epoll echo", "ns", sp, stats_of(tf, nf), placement_name(pl),
	       "raw SEQPACKET echo: epoll_wait, recvmsg with a control buffer, send", 0);
	free(tp);
	free(tr);
	free(te);
	free(tf);
	pin(-1);
}

/* ---- 1b: the floor of a shared-memory ring (issue 17's stretch) ---- */

/* A 32-byte record and its reply over a shared page, against the raw
 * SEQPACKET ping-pong, interleaved blocks: the futex ping-pong (the
 * floor, where both ends wait on a futex), the wake-ups a helper may use
 * (it waits in epoll_wait on an eventfd the worker writes and only wakes
 * with FUTEX_WAKE), and the same with the helper polling the page for
 * 20 us before it sleeps.  No privsep code: see bench/README.md. */
static void bench_ring(int pinned)
{
	static const struct {
		enum ring_mode mode;
		const char *name;
	} modes[] = {{RING_FUTEX, "ring floor: futex ping-pong"},
	             {RING_EVENTFD, "ring wake-ups: eventfd in, futex out"},
	             {RING_EVENTFD_SPIN, "ring wake-ups, helper polls 20 us"}};
	const int blocks = quick ? 5 : 20, per = 1000;
	size_t nm = sizeof(modes) / sizeof(modes[0]);
	uint64_t *tr = calloc((size_t)(blocks * per), sizeof(uint64_t));
	uint64_t *tm[3];
	struct ring_bench *rb[3];
	char payload[32] = "0123456789abcdef0123456789abcde", rbuf[64];
	int b[2], cpu = pinned ? 0 : -1;
	size_t nr = 0;
	pid_t ep;

	pin(cpu);
	/* the ring servers first: none of them holds the socket's other end */
	for (size_t m = 0; m < nm; m++) {
		tm[m] = calloc((size_t)(blocks * per), sizeof(uint64_t));
		rb[m] = ring_bench_start(modes[m].mode, cpu);
		if (!tm[m] || !rb[m] || ring_bench_block(rb[m], tm[m], per) < 0) /* warm up */
			abort();
	}
	chan_pair(b);
	ep = echo_server(b[0], cpu);
	if (!tr)
		abort();
	for (int k = 0; k < blocks; k++) {
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			if (send(b[1], payload, 32, 0) != 32 ||
			    recv(b[1], rbuf, sizeof(rbuf), 0) != 32)
				abort();
			tr[nr++] = ns() - t;
		}
		for (size_t m = 0; m < nm; m++)
			if (ring_bench_block(rb[m], tm[m] + (size_t)k * per, per) < 0)
				abort();
	}
	close(b[1]);
	reap(ep);
	for (size_t m = 0; m < nm; m++) {
		ring_bench_stop(rb[m]);
		report(modes[m].name, "ns", stats_of(tm[m], (size_t)(blocks * per)),
		       stats_of(tr, nr), pinned ? "one CPU" : "free", "raw SEQPACKET ping-pong", 0);
		free(tm[m]);
	}
	free(tr);
	pin(-1);
}

/* ---- 2: brokered open ---- */

/* One open through a raw broker on sock: the path out, the fd back
 * (exits the bench when none comes: a broker refused or died). */
static int raw_open_via(int sock, const char *path)
{
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	char k;
	struct iovec iov = {&k, 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	int fd = -1;
	if (send(sock, path, strlen(path), 0) < 0 || recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0 ||
	    !CMSG_FIRSTHDR(&mh)) {
		fprintf(stderr, "bench: a raw broker gave no fd for %s\n", path);
		exit(1);
	}
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof(int));
	return fd;
}

static void bench_open(enum placement pl)
{
	int a[2], b[2], l[2];
	const int blocks = quick ? 5 : 20, per = 500;
	uint64_t *tp = calloc((size_t)(blocks * per), 8), *tr = calloc((size_t)(blocks * per), 8),
	         *td = calloc((size_t)(blocks * per), 8), *tn = calloc((size_t)(blocks * per), 8),
	         *tl = calloc((size_t)(blocks * per), 8);
	size_t np = 0, nr = 0, nd = 0, nn = 0, nl = 0;
	/* privsep-run's transparent open, free only (its two processes) */
	struct notify_bench *nb = pl != FREE ? NULL : notify_bench_start("/etc/hostname");
	char path[] = "/etc/hostname", why[256], pol[256];
	pid_t hp, rp, lp;
	struct privsep_client *c;
	struct privsep_client_config cfg = {.msg_max = 8192};

	snprintf(pol, sizeof(pol), "version 1\npath \"%s\" allow read\n", path);
	pin(pl == FREE ? -1 : 0); /* the helper below inherits it, or takes CPU 1 */
	chan_pair(a);
	chan_pair(b);
	{
		/* the helper for the broker, with the policy's file rule */
		pid_t pid = fork();
		if (pid == 0) {
			struct privsep_helper_config hc = {.log = quiet, .msg_max = 8192};
			if (pl == TWO_CPUS)
				pin(1);
			only_fds(a[0], -1);
			struct privsep_helper *h = privsep_helper_new(NULL, 0, &hc);
			struct privsep_worker *w = helper_attach(h, a[0], -1, 0, "bench");
			const struct pol_entry *pe =
			    helper_policy(h, "bench.policy", pol, 0, why, sizeof(why));
			if (!pe)
				_exit(2);
			w->spawn.pol = pol_entry_policy(pe);
			w->spawn.roots = pol_entry_roots(pe);
			privsep_helper_run(h);
			_exit(0);
		}
		hp = pid;
		close(a[0]);
	}
	rp = raw_broker(b[0], pl == FREE ? -1 : pl == TWO_CPUS ? 1 : 0);
	chan_pair(l);
	lp = look_broker(l[0], pl == FREE ? -1 : pl == TWO_CPUS ? 1 : 0);
	c = privsep_client_new(a[1], &cfg);
	for (int i = 0; i < 200; i++) {
		struct privsep_result res;
		int fd = privsep_fs_open(c, path, O_RDONLY, &res);
		if (fd < 0) {
			fprintf(stderr, "bench: brokered open: %s (%s)\n", strerror(errno),
			        res.detail);
			exit(1);
		}
		close(fd);
	}
	for (int blk = 0; blk < blocks; blk++) {
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			int fd = privsep_fs_open(c, path, O_RDONLY, NULL);
			close(fd);
			tp[np++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			close(raw_open_via(b[1], path));
			tr[nr++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			close(raw_open_via(l[1], path));
			tl[nl++] = ns() - t;
		}
		for (int i = 0; i < per; i++) {
			uint64_t t = ns();
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			close(fd);
			td[nd++] = ns() - t;
		}
		if (nb && notify_bench_block(nb, tn + nn, per) == 0)
			nn += (size_t)per;
	}
	if (nb)
		notify_bench_stop(nb);
	privsep_client_free(c);
	close(b[1]);
	close(l[1]);
	reap(hp);
	reap(rp);
	reap(lp);
	struct stats sp = stats_of(tp, np), sr = stats_of(tr, nr), sd = stats_of(td, nd),
	             sl = stats_of(tl, nl);
	report_goal("brokered open", "ns", sp, sr, placement_name(pl),
	            "raw broker (path, openat, SCM_RIGHTS)", 0, AT_MOST(1.15));
	report("  floor: a raw broker that looks, in epoll", "ns", sl, sr, placement_name(pl),
	       "raw broker (path, openat, SCM_RIGHTS), against the floor that looks", 0);
	report(
	    "  same, vs that floor", "ns", sp, sl, placement_name(pl),
	    "a raw broker that looks (epoll_wait, recvmsg, statx, openat, fstat, sendmsg, close)",
	    0);
	if (pl == FREE)
		report("brokered open vs direct open", "ns", sp, sd, "free",
		       "open+close in-process", 0);
	if (nn) {
		struct stats sn = stats_of(tn, nn);
		report_goal("transparent open (privsep-run)", "ns", sn, sp, "free",
		            "privsep_fs_open through the channel", 0, AT_MOST(1.3));
		report("transparent open vs direct open", "ns", sn, sd, "free",
		       "open+close in-process", 0);
	}
	pin(-1);
	free(tn);
	free(tp);
	free(tr);
	free(td);
	free(tl);
}

/* ---- 3: one-way throughput ---- */

static double posts_per_s(size_t size, long count)
{
	int a[2], done[2];
	char *buf = calloc(1, size);
	const struct privsep_handler t[] = {{.type = 0x10001,
	                                     .name = "sink",
	                                     .max_len = 65536 - 16,
	                                     .flags = PRIVSEP_H_POST,
	                                     .fn = count_post}};
	struct privsep_client_config cfg = {.msg_max = 65536};
	chan_pair(a);
	if (pipe(done) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		struct privsep_helper_config hc = {.log = quiet, .msg_max = 65536};
		only_fds(a[0], done[1]);
		struct privsep_helper *h = privsep_helper_new(t, 1, &hc);
		helper_attach(h, a[0], -1, 0, "sink");
		privsep_helper_run(h);
		if (write(done[1], &sink_count, sizeof(sink_count)) < 0)
			_exit(1);
		_exit(0);
	}
	close(a[0]);
	struct privsep_client *c = privsep_client_new(a[1], &cfg);
	uint64_t t0 = ns();
	for (long i = 0; i < count; i++)
		if (privsep_client_post(
		        c, &(struct privsep_out){.type = 0x10001, .data = buf, .len = size}) < 0)
			abort();
	privsep_client_free(c);
	long got = 0;
	if (read(done[0], &got, sizeof(got)) != sizeof(got) || got != count)
		abort(); /* nothing may be lost */
	double secs = (double)(ns() - t0) / 1e9;
	reap(pid);
	close(done[0]);
	close(done[1]);
	free(buf);
	return (double)count / secs;
}

/* A raw sender to a receiver blocked in recv (mm 0), to raw_mm_sink
 * (mm 1) or to a receiver blocked in recv whose socket is also in an
 * epoll set (mm 2), the receiver on cpu (-1: anywhere). */
static double raw_per_s(size_t size, long count, int cpu, int mm)
{
	int a[2], done[2];
	char *buf = calloc(1, size + 16);
	chan_pair(a);
	if (pipe(done) < 0)
		abort();
	pid_t pid =
	    mm == 1 ? raw_mm_sink(a[0], done[1], cpu) : raw_sink(a[0], done[1], cpu, mm == 2);
	uint64_t t0 = ns();
	for (long i = 0; i < count; i++)
		if (send(a[1], buf, size + 16, MSG_NOSIGNAL) < 0) /* the same bytes as a record */
			abort();
	close(a[1]);
	long got = 0;
	if (read(done[0], &got, sizeof(got)) != sizeof(got) || got != count)
		abort();
	double secs = (double)(ns() - t0) / 1e9;
	reap(pid);
	close(done[0]);
	close(done[1]);
	free(buf);
	return (double)count / secs;
}

/* Messages coalesced and flushed once per BATCH_FLUSH, as OpenBSD imsg's
 * batched mode (imsg_compose, imsg_flush every 1,024): privsep's posts
 * with PRIVSEP_POST_BATCH and privsep_client_flush, against a raw sender
 * of the same messages over a stream socket. */
#define BATCH_FLUSH 1024
#define BATCH_HDR 16 /* the raw stream's message header: imsg's size */

static double batched_per_s(size_t size, long count)
{
	int a[2], done[2];
	char *buf = calloc(1, size);
	const struct privsep_handler t[] = {{.type = 0x10001,
	                                     .name = "sink",
	                                     .max_len = 65536 - 16,
	                                     .flags = PRIVSEP_H_POST,
	                                     .fn = count_post}};
	struct privsep_client_config cfg = {.msg_max = 65536, .table = t, .n = 1};
	chan_pair(a);
	if (pipe(done) < 0)
		abort();
	pid_t pid = fork();
	if (pid == 0) {
		struct privsep_helper_config hc = {.log = quiet, .msg_max = 65536};
		only_fds(a[0], done[1]);
		struct privsep_helper *h = privsep_helper_new(t, 1, &hc);
		helper_attach(h, a[0], -1, 0, "sink");
		privsep_helper_run(h);
		if (write(done[1], &sink_count, sizeof(sink_count)) < 0)
			_exit(1);
		_exit(0);
	}
	close(a[0]);
	struct privsep_client *c = privsep_client_new(a[1], &cfg);
	uint64_t t0 = ns();
	for (long i = 0; i < count; i++) {
		if (privsep_client_post(c, &(struct privsep_out){.type = 0x10001,
		                                                 .data = buf,
		                                                 .len = size,
		                                                 .flags = PRIVSEP_POST_BATCH}) < 0)
			abort();
		if ((i + 1) % BATCH_FLUSH == 0 && privsep_client_flush(c, -1) < 0)
			abort();
	}
	if (privsep_client_flush(c, -1) < 0)
		abort();
	privsep_client_free(c);
	long got = 0;
	if (read(done[0], &got, sizeof(got)) != sizeof(got) || got != count)
		abort(); /* nothing may be lost */
	double secs = (double)(ns() - t0) / 1e9;
	reap(pid);
	close(done[0]);
	close(done[1]);
	free(buf);
	return (double)count / secs;
}

/* The raw stream receiver: reads the stream, takes each message by its
 * header's length (checked), counts them; says how many at the end. */
static pid_t raw_stream_sink(int fd, int done_w)
{
	pid_t pid = fork();
	if (pid == 0) {
		static uint8_t buf[1 << 17];
		size_t have = 0;
		long n = 0;
		ssize_t k;
		only_fds(fd, done_w);
		while ((k = read(fd, buf + have, sizeof(buf) - have)) > 0) {
			size_t off = 0;
			have += (size_t)k;
			while (have - off >= BATCH_HDR) {
				uint32_t len;
				memcpy(&len, buf + off + 4, 4);
				if (len < BATCH_HDR || len > 65536)
					_exit(2);
				if (have - off < len)
					break;
				n++;
				off += len;
			}
			memmove(buf, buf + off, have - off);
			have -= off;
		}
		if (write(done_w, &n, sizeof(n)) < 0)
			_exit(1);
		_exit(0);
	}
	close(fd);
	return pid;
}

static double raw_stream_per_s(size_t size, long count)
{
	int a[2], done[2];
	size_t msg = BATCH_HDR + size;
	uint8_t *buf = calloc(BATCH_FLUSH, msg);
	if (!buf || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, a) < 0 || pipe(done) < 0)
		abort();
	pid_t pid = raw_stream_sink(a[0], done[1]);
	uint64_t t0 = ns();
	size_t fill = 0;
	for (long i = 0; i < count; i++) {
		uint32_t type = 0x10001, len = (uint32_t)msg;
		/* compose: the header and the payload copied in, as imsg does */
		memcpy(buf + fill, &type, 4);
		memcpy(buf + fill + 4, &len, 4);
		memset(buf + fill + 8, 0, 8);
		memset(buf + fill + BATCH_HDR, 0, size);
		fill += msg;
		if ((i + 1) % BATCH_FLUSH == 0 || i + 1 == count) {
			for (size_t off = 0; off < fill;) {
				ssize_t k = write(a[1], buf + off, fill - off);
				if (k <= 0)
					abort();
				off += (size_t)k;
			}
			fill = 0;
		}
	}
	close(a[1]);
	long got = 0;
	if (read(done[0], &got, sizeof(got)) != sizeof(got) || got != count)
		abort();
	double secs = (double)(ns() - t0) / 1e9;
	reap(pid);
	close(done[0]);
	close(done[1]);
	free(buf);
	return (double)count / secs;
}

static void bench_throughput(enum placement pl)
{
	const size_t sizes[] = {32, 4096, 65536 - 16};
	const char *names[] = {"one-way throughput, 32 B", "one-way throughput, 4 KiB",
	                       "one-way throughput, max (64 KiB)"};
	int cpu = pl == ONE_CPU ? 0 : -1;
	pin(cpu); /* the helpers forked below inherit it */
	for (int s = 0; s < 3; s++) {
		long count = (quick ? 20000 : 100000) / (s == 2 ? 10 : 1);
		uint64_t p[6], r[6], m[6], e[6];
		for (int k = 0; k < 6; k++) { /* interleaved runs */
			p[k] = (uint64_t)posts_per_s(sizes[s], count);
			r[k] = (uint64_t)raw_per_s(sizes[s], count, cpu, 0);
			m[k] = (uint64_t)raw_per_s(sizes[s], count, cpu, 1);
			e[k] = (uint64_t)raw_per_s(sizes[s], count, cpu, 2);
		}
		report_goal(names[s], "messages/s", stats_of(p, 6), stats_of(r, 6),
		            placement_name(pl), "raw sender/receiver", 1,
		            s < 2 ? AT_LEAST(1.0) : NO_GOAL);
		report(
		    "  same, vs the helper's way of reading", "messages/s", stats_of(p, 6),
		    stats_of(m, 6), placement_name(pl),
		    "raw sender, receiver: epoll_wait, recvmmsg with control buffers until EAGAIN",
		    1);
		/* the floor: what the socket's place in an epoll set alone costs
		 * against the goal's baseline (no checks, no epoll_wait) */
		report("  floor: a blocking recv in an epoll set", "messages/s", stats_of(e, 6),
		       stats_of(r, 6), placement_name(pl),
		       "raw sender, receiver blocked in recv, its socket also in an epoll set", 1);
	}
	pin(-1);
	if (pl != FREE)
		return;
	{
		long count = quick ? 400000 : 2000000;
		uint64_t p[6], r[6];
		for (int k = 0; k < 6; k++) { /* interleaved runs */
			p[k] = (uint64_t)batched_per_s(32, count);
			r[k] = (uint64_t)raw_stream_per_s(32, count);
		}
		report("posts batched, 32 B, flush/1024", "messages/s", stats_of(p, 6),
		       stats_of(r, 6), "free", "raw stream sender, one write per 1024", 1);
	}
}

/* ---- 5: seccomp cost of hot syscalls ---- */

static uint64_t loop_ns(int which, int sv[2], int pfd[2], int iters)
{
	char b = 0;
	uint64_t t = ns();
	for (int i = 0; i < iters; i++) {
		switch (which) {
		case 0:
			syscall(SYS_getppid);
			break;
		case 1:
			if (write(pfd[1], &b, 1) != 1 || read(pfd[0], &b, 1) != 1)
				abort();
			break;
		default: {
			struct iovec iov = {&b, 1};
			struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
			if (sendmsg(sv[0], &mh, 0) != 1 || recvmsg(sv[1], &mh, 0) != 1)
				abort();
		}
		}
	}
	return (ns() - t) / (uint64_t)iters;
}

/* A child under prog (NULL: no filter) that runs a loop on demand. */
static pid_t loop_child(const struct filter_prog *prog, int go, int back, int sv[2], int pfd[2],
                        int iters, const int *writers, int nwriters)
{
	pid_t pid = fork();
	if (pid == 0) {
		char w;
		for (int i = 0; i < nwriters; i++) /* EOF on go when the parent closes it */
			close(writers[i]);
		if (prog && (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || filter_load(prog) < 0))
			_exit(1);
		while (read(go, &w, 1) == 1) {
			uint64_t r = loop_ns(w, sv, pfd, iters);
			if (write(back, &r, sizeof(r)) != sizeof(r))
				_exit(1);
		}
		_exit(0);
	}
	return pid;
}

/* The cost per call under a policy: a child loads it and measures on
 * demand; this process measures the same loop with no filter between,
 * so the two alternate.  A third process, under a filter that allows
 * everything, shows what any filter costs (the kernel's seccomp entry);
 * the policy's own part is what is left over that. */
static void bench_seccomp(const char *name)
{
	const char *what[] = {"getppid", "write+read", "sendmsg+recvmsg"};
	const int nrs[] = {SYS_getppid, SYS_write, SYS_sendmsg};
	struct policy *pol;
	char shipped[64];
	struct filter_prog prog, any;
	struct filter_policy allow_all = {NULL, 0, SCMP_ACT_ALLOW, SCMP_ACT_KILL_PROCESS};
	int go[2], back[2], go2[2], back2[2], pfd[2], sv[2], ncached = 0;
	pid_t pid, pid2;
	const int rounds = quick ? 5 : 15, iters = 20000;

	snprintf(shipped, sizeof(shipped), "%.*s", (int)strlen(name) - 2, name + 1);
	pol = policy_load(name, policy_shipped(shipped), NULL, NULL);
	/* compiled as a worker's is (its kills notify the helper): a call
	 * the policy allows takes the same path either way */
	if (!pol || policy_compile(pol, &prog, POL_MODE_NOTIFY, NULL, NULL) < 0 ||
	    filter_compile(&allow_all, &any, NULL) < 0)
		abort();
	if (pipe(go) < 0 || pipe(back) < 0 || pipe(go2) < 0 || pipe(back2) < 0 || pipe(pfd) < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) < 0)
		abort();
	pid = loop_child(&prog, go[0], back[1], sv, pfd, iters, (int[]){go[1], go2[1]}, 2);
	pid2 = loop_child(&any, go2[0], back2[1], sv, pfd, iters, (int[]){go[1], go2[1]}, 2);
	for (int nr = 0; nr < 512; nr++)
		ncached += filter_cache_allows(&prog, seccomp_arch_native(), nr);
	for (char which = 0; which < 3; which++) {
		uint64_t with[32], without[32], anyf[32];
		char label[96];
		for (int k = 0; k < rounds; k++) {
			without[k] = loop_ns(which, sv, pfd, iters);
			if (write(go[1], &which, 1) != 1 || read(back[0], &with[k], 8) != 8 ||
			    write(go2[1], &which, 1) != 1 || read(back2[0], &anyf[k], 8) != 8)
				abort();
		}
		snprintf(label, sizeof(label), "seccomp %s, %s", name, what[(int)which]);
		report(label, "ns/call", stats_of(with, (size_t)rounds),
		       stats_of(without, (size_t)rounds), "free", "no filter", 0);
		snprintf(label, sizeof(label), "  same, vs an allow-all filter");
		report(label, "ns/call", stats_of(with, (size_t)rounds),
		       stats_of(anyf, (size_t)rounds), "free",
		       "a one-instruction-path allow-all filter", 0);
	}
	printf("  %s: %d syscalls allowed by the kernel's action cache (the filter is not "
	       "run for them); getppid %s, write %s, sendmsg %s\n",
	       name, ncached,
	       filter_cache_allows(&prog, seccomp_arch_native(), nrs[0]) ? "yes" : "NO",
	       filter_cache_allows(&prog, seccomp_arch_native(), nrs[1]) ? "yes" : "NO",
	       filter_cache_allows(&prog, seccomp_arch_native(), nrs[2]) ? "yes" : "NO");
	close(go[1]);
	close(go2[1]);
	reap(pid);
	reap(pid2);
	close(go[0]);
	close(back[0]);
	close(back[1]);
	close(go2[0]);
	close(back2[0]);
	close(back2[1]);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
	filter_prog_free(&prog);
	filter_prog_free(&any);
	policy_free(pol);
}

/* ---- 6: worker start ---- */

static int ready_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

/* privsep_spawn of sp until its worker is ready, in ns; the helper then
 * runs until it is gone. */
static uint64_t spawn_to_ready(struct privsep_helper *h, struct privsep_spawn *sp)
{
	uint64_t t = ns();
	struct privsep_worker *w = privsep_spawn(h, sp);
	if (!w)
		abort();
	while (!privsep_worker_ready(w))
		privsep_helper_step(h, -1);
	t = ns() - t;
	privsep_helper_run(h);
	return t;
}

/* A fork until its child runs (it writes a byte to wfd, read from rfd),
 * in ns; newns: the child enters the namespaces a root helper's worker
 * gets (net, ipc, uts, mount) first. */
static uint64_t fork_to_running(int rfd, int wfd, int newns)
{
	char b;
	uint64_t t = ns();
	pid_t pid = fork();
	if (pid == 0) {
		if ((newns &&
		     unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS) < 0) ||
		    write(wfd, "r", 1) < 0)
			_exit(1);
		_exit(0);
	}
	if (read(rfd, &b, 1) != 1)
		abort();
	t = ns() - t;
	reap(pid);
	return t;
}

static void bench_start(void)
{
	const int n = quick ? 10 : 40;
	uint64_t tp[64], tb[64], tu[64];
	struct privsep_helper_config cfg = {.log = quiet};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	struct privsep_spawn sp = {.name = "start", .main = ready_main};
	/* the first spawn compiles and verifies the policy: not counted */
	if (!privsep_spawn(h, &sp))
		abort();
	privsep_helper_run(h);
	for (int k = 0; k < n; k++) {
		int pf[2];
		tp[k] = spawn_to_ready(h, &sp);
		if (pipe(pf) < 0)
			abort();
		tb[k] = fork_to_running(pf[0], pf[1], 0);
		/* informative: the same fork whose child enters the namespaces a
		 * worker gets (no more), until it runs there; only a root
		 * helper's workers get them, and only root can */
		if (geteuid() == 0)
			tu[k] = fork_to_running(pf[0], pf[1], 1);
		close(pf[0]);
		close(pf[1]);
	}
	privsep_helper_free(h);
	struct stats st = stats_of(tp, (size_t)n);
	report("worker start, to ready in sandbox", "ns", st, stats_of(tb, (size_t)n), "free",
	       "bare fork, child running", 0);
	if (geteuid() == 0)
		report("worker start vs fork+unshare", "ns", st, stats_of(tu, (size_t)n), "free",
		       "fork, child in new net/ipc/uts/mount namespaces, running", 0);
}

/* ---- 6b: worker start in exec mode ---- */

/* fork, then (as root) the namespaces a worker gets, as sandbox.c's
 * step 3 enters them (the four unshares, and the new mount namespace's
 * tree made private, without which it is not the worker's), then
 * execveat of prog with argv, until the new image wrote a byte to fd 3
 * (the program is this one: its main writes it; or a static true, which
 * writes none: then until it exited).  The nanoseconds. */
static uint64_t fork_exec(int prog, const char *const *argv, int newns, int wait_byte)
{
	int pf[2];
	char b;
	uint64_t t;
	pid_t pid;
	static const char *const env[] = {NULL};
	if (pipe(pf) < 0)
		abort();
	t = ns();
	pid = fork();
	if (pid == 0) {
		if ((newns &&
		     (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS) < 0 ||
		      mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)) ||
		    dup2(pf[1], 3) < 0)
			_exit(1);
		syscall(SYS_execveat, prog, "", argv, env, AT_EMPTY_PATH);
		_exit(127);
	}
	close(pf[1]);
	if (wait_byte && read(pf[0], &b, 1) != 1)
		abort();
	if (!wait_byte)
		reap(pid);
	t = ns() - t;
	if (wait_byte)
		reap(pid);
	close(pf[0]);
	return t;
}

static void bench_start_exec(void)
{
	const int n = quick ? 10 : 40;
	uint64_t tf[64], te[64], tb[64], tx[64], tt[64];
	static const char *const self_argv[] = {"privsep-bench", "--bench-exec-child", NULL};
	static const char *const true_argv[] = {"true", NULL};
	struct privsep_helper_config cfg = {.log = quiet};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	struct privsep_exec ex = {.fd = privsep_exec_open(NULL)};
	struct privsep_spawn fk = {.name = "start", .main = ready_main};
	struct privsep_spawn sp = {.name = "start", .exec = &ex};
	int tru = privsep_exec_open(TRUE_STATIC);
	const char *wargv[] = {"privsep-bench", PRIVSEP_EXEC_MARKER, NULL};
	ex.argv = wargv;
	if (!h || ex.fd < 0 || tru < 0)
		abort();
	/* the first spawns compile and verify the policies: not counted */
	if (!privsep_spawn(h, &fk) || !privsep_spawn(h, &sp))
		abort();
	privsep_helper_run(h);
	for (int k = 0; k < n; k++) {
		struct privsep_spawn *s[2] = {&fk, &sp};
		uint64_t *out[2] = {tf, te};
		/* fork mode and exec mode, back to back */
		for (int m = 0; m < 2; m++)
			out[m][k] = spawn_to_ready(h, s[m]);
		{
			int pf[2];
			if (pipe(pf) < 0)
				abort();
			tb[k] = fork_to_running(pf[0], pf[1], 0);
			close(pf[0]);
			close(pf[1]);
		}
		tt[k] = fork_exec(tru, true_argv, 0, 0);
		tx[k] = fork_exec(ex.fd, self_argv, geteuid() == 0, 1);
	}
	privsep_helper_free(h);
	close(ex.fd);
	close(tru);
	report("exec-mode start vs fork-mode", "ns", stats_of(te, (size_t)n),
	       stats_of(tf, (size_t)n), "free",
	       "fork-mode start (privsep_spawn, to ready), same run", 0);
	/* issue 14: at most 1.3 x fork+exec with the same namespaces */
	report_goal("exec-mode start vs fork+exec", "ns", stats_of(te, (size_t)n),
	            stats_of(tx, (size_t)n), "free",
	            "fork (+namespaces as root) + execveat of this program, until its main runs", 0,
	            AT_MOST(1.3));
	report("fork+exec static true vs fork", "ns", stats_of(tt, (size_t)n),
	       stats_of(tb, (size_t)n), "free",
	       "bare fork, child running; fork+exec of a static true until it exits", 0);
}

/* ---- 6c: a worker handed out from the spawn-ahead pool ---- */

/* Step h until its pools hold n idle workers (READY checked, waiting). */
static void pool_wait(struct privsep_helper *h, size_t n)
{
	uint64_t end = ns() + 20000000000ull;
	while (pool_idle(h) < n) {
		if (ns() > end) {
			fprintf(stderr, "bench: the pool did not fill\n");
			exit(1);
		}
		privsep_helper_step(h, 10);
	}
}

/* privsep_spawn of a spawn with pool 1, fork mode and exec mode, until
 * the worker is ready (the pool full before each: what a restart or a
 * spawn finds after the loop refilled it), against a bare fork; and the
 * cold start (pool 0) against fork + unshare of the same namespaces, in
 * the same run. */
static void bench_start_pool(void)
{
	const int n = quick ? 10 : 40;
	uint64_t tf[64], te[64], tb[64], tc[64], tu[64];
	struct privsep_helper_config cfg = {.log = quiet};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	struct privsep_exec ex = {.fd = privsep_exec_open(NULL)};
	const char *wargv[] = {"privsep-bench", PRIVSEP_EXEC_MARKER, NULL};
	struct privsep_spawn cold = {.name = "start", .main = ready_main};
	struct privsep_spawn fk = {.name = "start", .main = ready_main, .pool = 1};
	struct privsep_spawn xp = {.name = "start", .exec = &ex, .pool = 1};
	ex.argv = wargv;
	if (!h || ex.fd < 0)
		abort();
	/* the first spawns compile the policies and make the pools */
	if (!privsep_spawn(h, &cold) || !privsep_spawn(h, &fk) || !privsep_spawn(h, &xp))
		abort();
	privsep_helper_run(h);
	for (int k = 0; k < n; k++) {
		struct privsep_spawn *s[3] = {&fk, &xp, &cold};
		uint64_t *out[3] = {tf, te, tc};
		for (int m = 0; m < 3; m++) {
			pool_wait(h, 2);
			out[m][k] = spawn_to_ready(h, s[m]);
		}
		{
			int pf[2];
			if (pipe(pf) < 0)
				abort();
			tb[k] = fork_to_running(pf[0], pf[1], 0);
			if (geteuid() == 0)
				tu[k] = fork_to_running(pf[0], pf[1], 1);
			close(pf[0]);
			close(pf[1]);
		}
	}
	privsep_helper_free(h);
	close(ex.fd);
	/* issue 17's worker ready: at most 1.5 x a bare fork */
	report_goal("worker from the pool (pool 1) vs fork", "ns", stats_of(tf, (size_t)n),
	            stats_of(tb, (size_t)n), "free", "bare fork, child running", 0, AT_MOST(1.5));
	report_goal("exec-mode worker from the pool vs fork", "ns", stats_of(te, (size_t)n),
	            stats_of(tb, (size_t)n), "free", "bare fork, child running", 0, AT_MOST(1.5));
	if (geteuid() == 0)
		report("cold start (pool 0) vs fork+unshare", "ns", stats_of(tc, (size_t)n),
		       stats_of(tu, (size_t)n), "free",
		       "fork, child in new net/ipc/uts/mount namespaces, running", 0);
	else
		report("cold start (pool 0) vs fork", "ns", stats_of(tc, (size_t)n),
		       stats_of(tb, (size_t)n), "free", "bare fork, child running", 0);
}

/* Where a worker's start goes: the helper's per-spawn preparation, the
 * fork until the child runs, each sandbox step in the child, and, as
 * informative baselines, a fork whose child only unshares the same
 * namespaces, or only a network namespace.  The steps are timed from
 * outside (step_trace.h): the child runs the real sandbox_enter() under a
 * tracing filter, the parent notes when each step makes its first
 * syscall, and one tracing stop's cost, measured in the same child, is
 * taken off each step. */
static void bench_start_steps(void)
{
	static const char *const step[] = {NULL,
	                                   "1 fds",
	                                   "2 rlimits",
	                                   "3 namespaces, empty root",
	                                   "4 securebits",
	                                   "5 ids",
	                                   "6 capabilities",
	                                   "7 process",
	                                   "8 no_new_privs",
	                                   "9 Landlock",
	                                   "10 selfcheck",
	                                   "11 seccomp load"};
	const int n = quick ? 10 : 40;
	static uint64_t prep[64], forked[64], st[PRIVSEP_SB_STEP_SECCOMP + 1][64], total[64],
	    uns[64], unsnet[64], expect[64], verify[64], stop[64], ahead[64],
	    cpu[PRIVSEP_SB_STEP_SECCOMP + 1][64], cpustop[64];
	struct policy *pol =
	    policy_load("<default.policy>", policy_shipped("default.policy"), NULL, NULL);
	struct filter_prog prog;
	char why[256];
	int sv[2], pf[2], go[2];

	if (!pol || policy_compile(pol, &prog, 0, NULL, NULL) < 0 || chan_pair(sv) < 0 ||
	    pipe(pf) < 0 || pipe(go) < 0)
		abort();
	int keep[2] = {pf[1], go[0]};
	struct privsep_sandbox sb = {.keep_fds = keep, .nkeep = 2};
	/* as privsep_spawn does: the uid is leased ahead, and each
	 * sandbox_prepare takes that lease (a root helper; one that is not
	 * root leases none) */
	if (geteuid() == 0)
		uidpool_prefetch();
	for (int k = 0; k < n; k++) {
		struct sb_plan plan;
		uint64_t at[STEP_TRACE_N], c[STEP_TRACE_N], t_run = 0, t0 = ns();
		if (sandbox_prepare(&plan, &sb, pol, &prog, sv[1], why, sizeof(why)) < 0) {
			fprintf(stderr, "bench: sandbox_prepare: %s\n", why);
			exit(1);
		}
		uint64_t t1 = ns();
		struct sb_expect ex;
		if (sandbox_expect(&ex, &plan, why, sizeof(why)) < 0) {
			fprintf(stderr, "bench: sandbox_expect: %s\n", why);
			exit(1);
		}
		/* the child carries the tracing filter too */
		ex.filters++;
		expect[k] = ns() - t1;
		t1 = ns();
		pid_t pid = fork();
		if (pid == 0) {
			char g;
			t_run = ns();
			/* traced from here on (the parent seized it) */
			if (read(go[0], &g, 1) != 1 || step_trace_arm(&plan, pf[1]) < 0 ||
			    sandbox_enter(&plan, why, sizeof(why)) != 0)
				_exit(1);
			/* the end mark; then wait, as a worker waits for READY's answer */
			_exit(write(pf[1], &t_run, sizeof(t_run)) == sizeof(t_run) &&
			              read(go[0], &g, 1) == 1
			          ? 0
			          : 1);
		}
		if (pid < 0 || step_trace_seize(pid) < 0 || write(go[1], "g", 1) != 1)
			abort();
		if (step_trace_follow(pid, ns, at, c, why, sizeof(why)) < 0) {
			fprintf(stderr, "bench: tracing the sandbox steps: %s\n", why);
			exit(1);
		}
		if (read(pf[0], &t_run, sizeof(t_run)) != sizeof(t_run))
			abort();
		{
			uint64_t t2 = ns();
			if (sandbox_verify(pid, &ex, why, sizeof(why)) != 0) {
				fprintf(stderr, "bench: sandbox_verify: %s\n", why);
				exit(1);
			}
			verify[k] = ns() - t2;
		}
		if (write(go[1], "g", 1) != 1)
			abort();
		reap(pid);
		sandbox_release(&plan);
		/* the next spawn's uid: the helper leases it once the worker
		 * is past READY and nothing waits (helper_lease_ahead); here
		 * after the steps too, off the rows above */
		{
			uint64_t t2 = ns();
			if (plan.root)
				uidpool_prefetch();
			ahead[k] = ns() - t2;
		}
		prep[k] = t1 - t0;
		forked[k] = t_run - t1;
		/* one stop: between the two calibration marks */
		stop[k] = at[STEP_TRACE_CAL2] - at[STEP_TRACE_CAL1];
		cpustop[k] = c[STEP_TRACE_CAL2] - c[STEP_TRACE_CAL1];
		total[k] = prep[k] + forked[k];
		for (int s = 1; s <= PRIVSEP_SB_STEP_SECCOMP; s++) {
			int from = s == 1 ? STEP_TRACE_CAL2 : s, to = s + 1;
			st[s][k] = cpu[s][k] = 0;
			if (!at[from]) /* the step does not apply */
				continue;
			while (!at[to])
				to++;
			st[s][k] = at[to] - at[from] > stop[k] ? at[to] - at[from] - stop[k] : 0;
			cpu[s][k] = c[to] - c[from] > cpustop[k] ? c[to] - c[from] - cpustop[k] : 0;
			total[k] += st[s][k];
		}
		for (int v = 0; v < 2 && geteuid() == 0; v++) {
			char b;
			t0 = ns();
			pid = fork();
			if (pid == 0) {
				if (unshare(v ? CLONE_NEWNET
				              : CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS |
				                    CLONE_NEWNS) < 0 ||
				    write(pf[1], "r", 1) != 1)
					_exit(1);
				_exit(0);
			}
			if (read(pf[0], &b, 1) != 1)
				abort();
			(v ? unsnet : uns)[k] = ns() - t0;
			reap(pid);
		}
	}
	printf("worker start, where the time goes (ns, median and p99 of %d; for each sandbox "
	       "step, traced, also the child's CPU time):\n",
	       n);
#define ROW(label, arr)                                                                            \
	do {                                                                                       \
		struct stats s_ = stats_of(arr, (size_t)n);                                        \
		char n_[128];                                                                      \
		printf("  %-40s %10.0f %10.0f\n", label, s_.median, s_.p99);                       \
		snprintf(n_, sizeof(n_), "worker start: %s", label);                               \
		json_row(n_, "ns", s_, s_, "free", NULL, 0, NO_GOAL, NULL);                        \
	} while (0)
	ROW("helper: sandbox_prepare", prep);
	ROW("helper: next uid leased ahead", ahead);
	ROW("helper: sandbox_expect (its own filters)", expect);
	ROW("fork, until the child runs", forked);
	for (int s = 1; s <= PRIVSEP_SB_STEP_SECCOMP; s++) {
		/* and the child's CPU time in the step: the same, less any
		 * wait for a CPU or for its tracer */
		struct stats w_ = stats_of(st[s], (size_t)n), c_ = stats_of(cpu[s], (size_t)n);
		printf("  %-40s %10.0f %10.0f %10.0f %10.0f\n", step[s], w_.median, w_.p99,
		       c_.median, c_.p99);
		{
			char n_[128], x_[96];
			snprintf(n_, sizeof(n_), "worker start: %s", step[s]);
			snprintf(x_, sizeof(x_),
			         ", \"cpu_time_median\": %.1f, \"cpu_time_p99\": %.1f", c_.median,
			         c_.p99);
			json_row(n_, "ns", w_, w_, "free", NULL, 0, NO_GOAL, x_);
		}
	}
	ROW("all of the above", total);
	ROW("helper at READY: /proc/PID/status check", verify);
	ROW("tracing: one stop (taken off each step)", stop);
	ROW("tracing: one stop, CPU time (taken off)", cpustop);
	if (geteuid() == 0) { /* the namespaces a root helper's worker gets */
		ROW("baseline: fork + unshare(net,ipc,uts,mnt)", uns);
		ROW("baseline: fork + unshare(net)", unsnet);
	}
#undef ROW
	close(pf[0]);
	close(pf[1]);
	close(go[0]);
	close(go[1]);
	close(sv[0]);
	close(sv[1]);
	uidpool_drop_spare();
	filter_prog_free(&prog);
	policy_free(pol);
}

/* ---- 4 and 7: many workers, memory, allocations per call ---- */

static long vm_rss_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *p = strstr(buf, "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static int result_fd = -1;

/* Sorted in place, in a worker: glibc's qsort asks sysinfo(2) how much
 * memory there is before it sorts more than 1 KiB, which the worker's
 * policy (rightly) does not allow. */
static void sift_down(uint64_t *v, size_t i, size_t end)
{
	for (;;) {
		size_t c = 2 * i + 1, big = i;
		uint64_t t;
		if (c < end && v[c] > v[big])
			big = c;
		if (c + 1 < end && v[c + 1] > v[big])
			big = c + 1;
		if (big == i)
			return;
		t = v[i];
		v[i] = v[big];
		v[big] = t;
		i = big;
	}
}

static void heap_sort(uint64_t *v, size_t n)
{
	for (size_t k = n / 2; k-- > 0;)
		sift_down(v, k, n);
	for (size_t end = n; end > 1; end--) {
		uint64_t t = v[0];
		v[0] = v[end - 1];
		v[end - 1] = t;
		sift_down(v, 0, end - 1);
	}
}

/* Calls for a second, then writes its count and p99 (ns) to result_fd. */
static int caller_main(struct privsep_client *c, void *arg)
{
	static uint64_t lat[2000000];
	size_t n = 0;
	uint64_t end = ns() + (quick ? 300000000ull : 1000000000ull);
	char body[64];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	(void)arg;
	while (ns() < end && n < sizeof(lat) / sizeof(lat[0])) {
		uint64_t t = ns();
		if (privsep_client_ping(c, "0123456789abcdef0123456789abcdef", 32, &res) != 0)
			return 1;
		lat[n++] = ns() - t;
	}
	heap_sort(lat, n);
	uint64_t out[2] = {n, n ? lat[(n * 99) / 100] : 0};
	return write(result_fd, out, sizeof(out)) == sizeof(out) ? 0 : 1;
}

static void bench_many(void)
{
	const int counts[] = {1, 8, 64};
	struct stats base = {0, 0};
	for (int ci = 0; ci < 3; ci++) {
		int n = counts[ci], pf[2];
		struct privsep_helper_config cfg = {.log = quiet};
		struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
		if (pipe(pf) < 0)
			abort();
		result_fd = pf[1];
		struct privsep_sandbox sb = {.keep_fds = &pf[1], .nkeep = 1};
		struct privsep_spawn sp = {.name = "caller", .main = caller_main, .sandbox = &sb};
		long rss0 = vm_rss_kb();
		for (int i = 0; i < n; i++)
			if (!privsep_spawn(h, &sp)) {
				fprintf(stderr, "bench: spawn: %s\n", strerror(errno));
				abort();
			}
		long rss1 = vm_rss_kb();
		uint64_t t0 = ns();
		privsep_helper_run(h);
		double secs = (double)(ns() - t0) / 1e9;
		close(pf[1]);
		uint64_t total = 0, p99s[64], fewest = UINT64_MAX;
		for (int i = 0; i < n; i++) {
			uint64_t r[2];
			if (read(pf[0], r, sizeof(r)) != sizeof(r))
				abort();
			total += r[0];
			p99s[i] = r[1];
			if (r[0] < fewest)
				fewest = r[0];
		}
		close(pf[0]);
		privsep_helper_free(h);
		struct stats calls = {(double)total / secs, (double)total / secs};
		struct stats lat = stats_of(p99s, (size_t)n);
		char label[96];
		if (ci == 0)
			base = calls;
		snprintf(label, sizeof(label), "%d worker%s, total calls/s", n, n > 1 ? "s" : "");
		report(label, "calls/s", calls, base, "free", "1 worker", 1);
		snprintf(label, sizeof(label), "%d worker%s, p99 latency (worst)", n,
		         n > 1 ? "s" : "");
		lat.median = lat.p99; /* the worst worker's p99 */
		report(label, "ns", lat, lat, "free", "itself", 0);
		if (n > 1) {
			/* fairness: the calls of the worker served least, against
			 * the mean of all (1: every worker served alike) */
			double mean = (double)total / n;
			struct stats fair = {(double)fewest, (double)fewest};
			snprintf(label, sizeof(label), "%d workers, fewest calls of one", n);
			report(label, "calls", fair, (struct stats){mean, mean}, "free",
			       "the mean of all workers", 1);
		}
		printf("  helper RSS with %d worker%s: %ld kB (before spawning: %ld kB)\n", n,
		       n > 1 ? "s" : "", rss1, rss0);
		snprintf(label, sizeof(label), "helper RSS, %d workers", n);
		json_row(label, "kB", (struct stats){(double)rss1, (double)rss1},
		         (struct stats){(double)rss0, (double)rss0}, "free", "before spawning", 0,
		         NO_GOAL, NULL);
	}
}

static long allocs;
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n)
{
	allocs++;
	return __real_malloc(n);
}
void *__wrap_calloc(size_t a, size_t b)
{
	allocs++;
	return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t n)
{
	allocs++;
	return __real_realloc(p, n);
}

/* Allocations per call, both sides in this process (a thread calls). */
static struct privsep_client *alloc_client;
static volatile int alloc_done;
static long alloc_calls = 20000;
static void *alloc_thread(void *arg)
{
	char body[64];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	(void)arg;
	for (long i = 0; i < alloc_calls; i++)
		privsep_client_ping(alloc_client, "0123456789abcdef", 16, &res);
	alloc_done = 1;
	return NULL;
}

static void bench_allocs(void)
{
	int sv[2];
	pthread_t t;
	struct privsep_helper_config cfg = {.log = quiet};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	char body[64];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	chan_pair(sv);
	helper_attach(h, sv[0], -1, 0, "alloc");
	alloc_client = privsep_client_new(sv[1], NULL);
	(void)res;
	long before = allocs;
	pthread_create(&t, NULL, alloc_thread, NULL);
	while (!alloc_done)
		privsep_helper_step(h, 1);
	pthread_join(t, NULL);
	long per = allocs - before;
	printf("%-34s %12.3f  (%ld allocations over %ld calls, helper and worker together)\n",
	       "allocations per call", (double)per / (double)alloc_calls, per, alloc_calls);
	{
		double a = (double)per / (double)alloc_calls;
		json_row("allocations per call", "allocations", (struct stats){a, a},
		         (struct stats){0, 0}, "free", NULL, 0, (struct goal){'=', 0, 0}, NULL);
	}
	privsep_client_free(alloc_client);
	privsep_helper_free(h);
}

/* ---- 8: bulk payloads ---- */

#define T_BULK_SINK 0x10002u
#define BULK_CHUNK 65536u

/* What a receiver does with the bytes, on both paths: read every one. */
/* The handler's read of a payload, and every baseline receiver's: one
 * function, never inlined, on a 64-byte boundary of its own, so that
 * every path runs the same instructions at the same place in the fetch
 * windows whatever else the program holds (session 9: inlined at four
 * places, the loop of one word a turn crossed a 64-byte boundary in one
 * build and not in another, which moved privsep's 1 MiB rate on one CPU
 * from 10.2 to 7.7 GB/s with no change to its path: bench/README.md).
 * Four sums a turn: bound by the loads, not by the loop's branch. */
__attribute__((noinline, aligned(64))) static uint64_t sum_bytes(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, w[4];
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		memcpy(w, b + i, 32);
		s0 += w[0];
		s1 += w[1];
		s2 += w[2];
		s3 += w[3];
	}
	for (; i + 8 <= n; i += 8) {
		memcpy(w, b + i, 8);
		s0 += w[0];
	}
	for (; i < n; i++)
		s0 += b[i];
	return s0 + s1 + s2 + s3;
}

static uint64_t bulk_sum;
/* Shared with the forked ends: the CPU the receiver (the handler, the raw
 * receiver) last read a payload on, so that each run tells where the
 * scheduler put the two ends (its placement line). */
static volatile int *bulk_cpu;
static int bulk_read(struct privsep_req *req, void *arg)
{
	(void)arg;
	bulk_sum += sum_bytes(req->bulk, req->bulk_len);
	*bulk_cpu = sched_getcpu();
	return 0;
}

/* Where the two ends may share a CPU (free, one CPU: scpu < 0), the
 * receiver of every bulk path (privsep's helper, the socket copy's
 * receiver, the raw shared-memory receiver) runs SCHED_BATCH: woken by a
 * record, it never preempts its sender.  With both ends on one CPU a
 * SCHED_OTHER receiver preempts the socket copy's sender at some sends
 * and not at others (the scheduler's wake-up decision): 12 to 17
 * involuntary switches a 1 MiB payload, one 64 KiB record per switch,
 * about a fifth more CPU time, against 0 when the sender fills the socket
 * (about 4 voluntary switches); the run's median followed the mode
 * (bench/README.md, "Bulk baseline, session 9").  SCHED_BATCH keeps the
 * better of the two for every path alike.  On two pinned CPUs the ends
 * never share one and the receiver stays SCHED_OTHER: a SCHED_BATCH
 * wakee does not preempt another program running on its CPU either, and
 * waits for its slice (a loaded machine's two-CPU rows fell 25- to
 * 60-fold). */
static void bulk_receiver_policy(int scpu)
{
	struct sched_param sp = {0};
	if (scpu >= 0)
		return;
	/* PRIVSEP_BENCH_BULK_OTHER=1: SCHED_OTHER, as before session 9 (the
	 * A/B of bench/README.md) */
	if (getenv("PRIVSEP_BENCH_BULK_OTHER"))
		return;
	if (sched_setscheduler(0, SCHED_BATCH, &sp) < 0) {
		perror("privsep-bench: the bulk receiver's SCHED_BATCH");
		_exit(3);
	}
}

/* CPU time (ns) a task has run: the first field of its schedstat (fd:
 * /proc/PID/schedstat or /proc/thread-self/schedstat, kept open). */
static uint64_t task_cpu_ns(int fd)
{
	char b[96];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = 0;
	return strtoull(b, NULL, 10);
}

/* What both ends of one run spent on the CPU: opened before the run,
 * read after it (nothing per payload). */
struct bulk_cpu_time {
	int self, peer;
	uint64_t self0, peer0;
};

static void bulk_cpu_start(struct bulk_cpu_time *t, pid_t peer)
{
	char path[48];
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)peer);
	t->self = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	t->peer = open(path, O_RDONLY | O_CLOEXEC);
	t->self0 = t->self >= 0 ? task_cpu_ns(t->self) : 0;
	t->peer0 = t->peer >= 0 ? task_cpu_ns(t->peer) : 0;
}

/* Both ends' CPU time since bulk_cpu_start, ns, added to cpu[0] (this
 * end's, the sender's) and cpu[1] (the peer's, the receiver's); nothing
 * where unknown.  Returns their sum. */
static uint64_t bulk_cpu_stop(struct bulk_cpu_time *t, uint64_t cpu[2])
{
	uint64_t s = 0, p = 0;
	if (t->self >= 0 && t->peer >= 0) {
		s = task_cpu_ns(t->self) - t->self0;
		p = task_cpu_ns(t->peer) - t->peer0;
		cpu[0] += s;
		cpu[1] += p;
	}
	if (t->self >= 0)
		close(t->self);
	if (t->peer >= 0)
		close(t->peer);
	return s + p;
}

/* Whether the receiver read the last payload on this end's CPU. */
static int bulk_same_cpu(void)
{
	return *bulk_cpu == sched_getcpu();
}

/* Seconds to move size bytes reps times through privsep's bulk path: a
 * worker-side call with the payload (in the region, or in parts through
 * its ring), the helper copies it out and its handler reads it; the
 * call's reply says it was read, as the baselines' one-byte answer does.
 * scpu: the helper's CPU (-1: this end's affinity); *same += the
 * payloads read on this end's CPU. */
static void bulk_privsep(size_t size, int reps, const uint8_t *buf, uint64_t *out, int scpu,
                         int *same, uint64_t cpu[2], int parts)
{
	int a[2];
	/* parts: the handler takes the payload part by part (revision 1.7),
	 * and the client, given the table, names the type in its parts */
	const struct privsep_handler t[] = {
	    {.type = T_BULK_SINK,
	     .name = "bulk-sink",
	     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK | (parts ? PRIVSEP_H_PARTS : 0u),
	     .fn = bulk_read,
	     .bulk_max = (uint64_t)512 << 20}};
	struct privsep_client_config cc = {.table = t, .n = 1};
	chan_pair(a);
	pid_t pid = fork();
	if (pid == 0) {
		struct privsep_helper_config hc = {.log = quiet};
		only_fds(a[0], -1);
		if (scpu >= 0)
			pin(scpu);
		bulk_receiver_policy(scpu);
		struct privsep_helper *h = privsep_helper_new(t, 1, &hc);
		helper_attach(h, a[0], -1, 0, "bulk");
		privsep_helper_run(h);
		_exit(0);
	}
	close(a[0]);
	struct privsep_client *c = privsep_client_new(a[1], parts ? &cc : NULL);
	struct privsep_bulk b = {buf, size};
	struct bulk_cpu_time ct = {-1, -1, 0, 0};
	for (int r = 0; r < reps; r++) {
		struct privsep_result res = {0};
		uint64_t t0 = ns();
		if (privsep_client_call(c, &(struct privsep_out){.type = T_BULK_SINK, .bulk = &b},
		                        &res) != 0)
			abort();
		out[r] = ns() - t0;
		*same += bulk_same_cpu();
		if (r == 0) /* the CPU time of the payloads after the first */
			bulk_cpu_start(&ct, pid);
	}
	bulk_cpu_stop(&ct, cpu);
	privsep_client_free(c);
	reap(pid);
}

/* The same bytes copied through the socket in records of 64 KiB; the
 * receiver reads every one and answers one byte after the last. */
static void bulk_raw(size_t size, int reps, const uint8_t *buf, uint64_t *out, int scpu, int *same,
                     uint64_t cpu[2])
{
	int a[2];
	chan_pair(a);
	pid_t pid = fork();
	if (pid == 0) {
		uint8_t *rx = malloc(BULK_CHUNK);
		uint64_t want, sum = 0;
		only_fds(a[0], -1);
		if (scpu >= 0)
			pin(scpu);
		bulk_receiver_policy(scpu);
		while (recv(a[0], &want, sizeof(want), 0) == sizeof(want)) {
			for (uint64_t got = 0; got < want;) {
				ssize_t n = recv(a[0], rx, BULK_CHUNK, 0);
				if (n <= 0)
					_exit(1);
				sum += sum_bytes(rx, (size_t)n);
				got += (uint64_t)n;
			}
			*bulk_cpu = sched_getcpu();
			if (send(a[0], "k", 1, MSG_NOSIGNAL) != 1)
				_exit(1);
		}
		_exit(sum == 1); /* keeps the sum */
	}
	close(a[0]);
	struct bulk_cpu_time ct = {-1, -1, 0, 0};
	for (int r = 0; r < reps; r++) {
		uint64_t want = size, t0 = ns();
		char k;
		if (send(a[1], &want, sizeof(want), MSG_NOSIGNAL) != sizeof(want))
			abort();
		for (size_t off = 0; off < size; off += BULK_CHUNK) {
			size_t n = size - off < BULK_CHUNK ? size - off : BULK_CHUNK;
			if (send(a[1], buf + off, n, MSG_NOSIGNAL) != (ssize_t)n)
				abort();
		}
		if (recv(a[1], &k, 1, 0) != 1)
			abort();
		out[r] = ns() - t0;
		*same += bulk_same_cpu();
		if (r == 0)
			bulk_cpu_start(&ct, pid);
	}
	bulk_cpu_stop(&ct, cpu);
	close(a[1]);
	reap(pid);
}

/* The raw shared-memory floor's mapping: a control page (u32 done at 0,
 * u32 waiting at 4, as the region's control page; at SHM_SPLIT_OFF the
 * receiver's CPU time in its copies out and in its reads, u64 ns each,
 * when asked) and REGION_RING slots of REGION_SLOT bytes. */
#define SHM_SPLIT_OFF 64

/* Where the raw shared-memory floor's CPU goes, ns a payload (the runs'
 * payloads after their first): the sender's copies into the slots, the
 * receiver's copies out of them and its reads, and both ends' whole CPU
 * time (the rest of it: the records, the answer, the waits and
 * wake-ups). */
struct shm_split {
	double in, out, read, all;
};

/* The sender's wait for a slot, as privsep's client waits for one
 * (region.c's region_wait, with no time limit): until the receiver's
 * count of parts copied out reaches want (modulo 2^32), storing 1 in
 * waiting and reading done again before each FUTEX_WAIT on the value read
 * (the receiver stores done, then reads waiting: one of the two sees the
 * other); waiting is written only by a sender that waits. */
static void shm_wait(uint32_t *done, uint32_t *waiting, uint32_t want)
{
	if ((int32_t)(__atomic_load_n(done, __ATOMIC_ACQUIRE) - want) >= 0)
		return;
	for (;;) {
		uint32_t d;
		__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
		d = __atomic_load_n(done, __ATOMIC_SEQ_CST);
		if ((int32_t)(d - want) >= 0)
			break;
		syscall(SYS_futex, done, FUTEX_WAIT, d, NULL, NULL, 0);
	}
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
}

/* The floor of a shared-memory path with privsep's wake-ups and copies
 * and none of its checks: the way privsep moves a payload (revision 1.4's
 * ring, revision 1.7's handler fed each part), by two processes.  The
 * sender copies each part of at most REGION_SLOT bytes into the next of
 * REGION_RING slots of a shared mapping (part k of a payload into slot
 * k mod REGION_RING, waiting as privsep's client does until the part
 * written there before was copied out) and sends an 8-byte record (its
 * length, its slot, whether it is the last); the receiver, blocked in
 * recv, copies the part out into one buffer of a slot's size, stores its
 * count of parts copied out and wakes a waiting sender (as privsep's
 * helper does), reads every byte of the copy, and answers one byte after
 * the last part.  A payload of one slot or less is one part: the sender's
 * copy, the record, the receiver's copy and read, the answer.  Privsep's
 * path (a call with the payload, its reply) adds the records' checks, its
 * helper's event loop and its call's reply.  The receiver copies each
 * part out before it reads it: the floor of any design that keeps the
 * guarantee that no byte a handler reads changes after it was checked.
 * cpu[0], cpu[1] += each end's CPU time of the payloads after the first; split
 * (NULL: not timed) gets where it went, each end timing its own copies
 * and reads in its thread's CPU time. */
static void bulk_shm(size_t size, int reps, const uint8_t *buf, uint64_t *out, int scpu, int *same,
                     uint64_t cpu[2], struct shm_split *split, int in_epoll)
{
	int a[2];
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = pg + (size_t)REGION_RING * REGION_SLOT;
	uint8_t *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		abort();
	memset(map, 0, len);
	uint32_t *done = (uint32_t *)(void *)map, *waiting = done + 1;
	uint64_t *rx_split = (uint64_t *)(void *)(map + SHM_SPLIT_OFF);
	uint8_t *slots = map + pg;
	chan_pair(a);
	pid_t pid = fork();
	if (pid == 0) {
		uint8_t *cp = malloc(REGION_SLOT);
		uint64_t rec, sum = 0, t0 = 0, t1 = 0, t2 = 0;
		uint32_t count = 0;
		only_fds(a[0], -1);
		if (scpu >= 0)
			pin(scpu);
		bulk_receiver_policy(scpu);
		if (!cp)
			_exit(1);
		memset(cp, 0, REGION_SLOT);
		/* in_epoll: the receiver an event loop, as the helper is: it
		 * waits in epoll_wait before each record */
		struct epoll_event ev = {.events = EPOLLIN};
		int ep = in_epoll ? epoll_create1(EPOLL_CLOEXEC) : -1;
		if (in_epoll && (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, a[0], &ev) < 0))
			_exit(1);
		while ((ep < 0 || epoll_wait(ep, &ev, 1, -1) == 1) &&
		       recv(a[0], &rec, sizeof(rec), 0) == sizeof(rec)) {
			size_t n = (uint32_t)rec, j = (rec >> 32) & 0xffffu;
			if (n > REGION_SLOT || j >= REGION_RING)
				_exit(1);
			if (split)
				t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			copyout(cp, slots + j * REGION_SLOT, n, 0);
			if (split)
				t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			/* copied out: the slot is the sender's again */
			__atomic_store_n(done, ++count, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(waiting, __ATOMIC_SEQ_CST))
				syscall(SYS_futex, done, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
			if (split)
				t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			sum += sum_bytes(cp, n);
			if (split) {
				rx_split[0] += t1 - t0;
				rx_split[1] += clock_ns(CLOCK_THREAD_CPUTIME_ID) - t2;
			}
			if (rec >> 63) {
				*bulk_cpu = sched_getcpu();
				if (send(a[0], "k", 1, MSG_NOSIGNAL) != 1)
					_exit(1);
			}
		}
		_exit(sum == 1); /* keeps the sum */
	}
	close(a[0]);
	struct bulk_cpu_time ct = {-1, -1, 0, 0};
	uint32_t sent = 0, slot_sent[REGION_RING] = {0};
	uint64_t tin = 0;
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = ns();
		char k;
		for (size_t off = 0, p = 0; off < size; off += REGION_SLOT, p++) {
			size_t n = size - off < REGION_SLOT ? size - off : REGION_SLOT,
			       j = p % REGION_RING;
			uint64_t rec = n | (uint64_t)j << 32 | (off + n == size ? 1ull << 63 : 0),
			         ti = 0;
			shm_wait(done, waiting, slot_sent[j]);
			if (split)
				ti = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			memcpy(slots + j * REGION_SLOT, buf + off, n);
			if (split)
				tin += clock_ns(CLOCK_THREAD_CPUTIME_ID) - ti;
			slot_sent[j] = ++sent;
			if (send(a[1], &rec, sizeof(rec), MSG_NOSIGNAL) != sizeof(rec))
				abort();
		}
		if (recv(a[1], &k, 1, 0) != 1)
			abort();
		out[r] = ns() - t0;
		*same += bulk_same_cpu();
		if (r == 0) { /* the payloads after the first, as the CPU time */
			bulk_cpu_start(&ct, pid);
			tin = rx_split[0] = rx_split[1] = 0;
		}
	}
	uint64_t all = bulk_cpu_stop(&ct, cpu);
	close(a[1]);
	reap(pid);
	if (split && reps > 1) {
		split->in = (double)tin / (reps - 1);
		split->out = (double)rx_split[0] / (reps - 1);
		split->read = (double)rx_split[1] / (reps - 1);
		split->all = (double)all / (reps - 1);
	}
	munmap(map, len);
}

/* The floor of any path that hands its handler the whole payload after
 * copying it into memory the sender cannot write (no double fetch), from
 * a sender whose bytes are in a buffer of its own: the sender's copy into
 * shared memory, the receiver's copy out, the handler's read.  Measured
 * here, in one process, after the size's runs: *copy one memcpy of size
 * bytes and *read the handler's read of them, medians of reps, ns. */
static void bulk_floor(const uint8_t *buf, size_t size, int reps, double *copy, double *read)
{
	uint64_t c[16], r[16];
	/* made here, after the size's runs: a buffer this large alive during
	 * them slowed the privsep path at 1 MiB by a fifth (forks of a
	 * larger address space), measured */
	uint8_t *dst = malloc(size);
	if (!dst)
		abort();
	memset(dst, 1, size);
	if (reps > 16)
		reps = 16;
	for (int i = 0; i < reps; i++) {
		uint64_t t0 = ns();
		memcpy(dst, buf, size);
		c[i] = ns() - t0;
		t0 = ns();
		bulk_sum += sum_bytes(dst, size);
		r[i] = ns() - t0;
	}
	*copy = stats_of(c, (size_t)reps).median;
	*read = stats_of(r, (size_t)reps).median;
	free(dst);
}

/* The floor of privsep's own path for a payload in parts (REGION_PARTS_MIN
 * bytes or more), with no IPC and no checks, in one process: exactly its
 * memory work.  Each part of REGION_SLOT bytes is copied from the
 * sender's buffer into the next of REGION_RING slots of a shared mapping
 * (the region's ring, which stays in the caches), then out of it into
 * the receiver's buffer the way the helper copies it (copyout, streamed
 * over the same threshold; the buffer made as the helper's, kept from one
 * payload to the next); then the handler reads the whole copy.  Medians
 * of reps in this thread's CPU time (a loaded machine's preemptions are
 * not in it), ns: *in the copies in, *out the copies out, *read the
 * read, *all the three together (each payload's own sum). */
struct parts_floor {
	double in, out, read, all;
	/* the same parts fed to a handler (revision 1.7): each copied out
	 * into one buffer of a part's size with ordinary stores and read at
	 * once, from the cache; the copies in, out and reads together, and
	 * apart (the raw shared-memory floor's split, in one process) */
	double fed, fed_in, fed_out, fed_read;
};

static struct parts_floor bulk_floor_parts(const uint8_t *buf, size_t size, int reps)
{
	uint64_t in[16], out[16], rd[16], all[16], fed[16], fin[16], fout[16], frd[16];
	size_t ring = (size_t)REGION_RING * REGION_SLOT;
	uint8_t *part = malloc(REGION_SLOT);
	int stream = size > COPYOUT_STREAM_OVER;
	uint8_t *slots = mmap(NULL, ring, PROT_READ | PROT_WRITE,
	                      MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint8_t *dst = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct parts_floor f;
	if (slots == MAP_FAILED || dst == MAP_FAILED || !part)
		abort();
	memset(part, 1, REGION_SLOT);
	(void)madvise(dst, size, MADV_HUGEPAGE); /* as the helper's copy buffer */
	memset(dst, 1, size);
	if (reps > 16)
		reps = 16;
	for (int i = 0; i < reps; i++) {
		uint64_t ti = 0, to = 0, t0, t1, t2;
		for (size_t off = 0, k = 0; off < size; off += REGION_SLOT, k++) {
			size_t n = size - off < REGION_SLOT ? size - off : REGION_SLOT;
			uint8_t *slot = slots + (k % REGION_RING) * REGION_SLOT;
			t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			memcpy(slot, buf + off, n);
			t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			copyout(dst + off, slot, n, stream);
			t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			ti += t1 - t0;
			to += t2 - t1;
		}
		t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
		bulk_sum += sum_bytes(dst, size);
		rd[i] = clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
		in[i] = ti;
		out[i] = to;
		all[i] = ti + to + rd[i];
		fin[i] = fout[i] = frd[i] = 0;
		for (size_t off = 0, k = 0; off < size; off += REGION_SLOT, k++) {
			size_t n = size - off < REGION_SLOT ? size - off : REGION_SLOT;
			uint8_t *slot = slots + (k % REGION_RING) * REGION_SLOT;
			uint64_t t3;
			t0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			memcpy(slot, buf + off, n);
			t1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			copyout(part, slot, n, 0);
			t2 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			bulk_sum += sum_bytes(part, n);
			t3 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
			fin[i] += t1 - t0;
			fout[i] += t2 - t1;
			frd[i] += t3 - t2;
		}
		fed[i] = fin[i] + fout[i] + frd[i];
	}
	f.fed = stats_of(fed, (size_t)reps).median;
	f.fed_in = stats_of(fin, (size_t)reps).median;
	f.fed_out = stats_of(fout, (size_t)reps).median;
	f.fed_read = stats_of(frd, (size_t)reps).median;
	free(part);
	f.in = stats_of(in, (size_t)reps).median;
	f.out = stats_of(out, (size_t)reps).median;
	f.read = stats_of(rd, (size_t)reps).median;
	f.all = stats_of(all, (size_t)reps).median;
	munmap(dst, size);
	munmap(slots, ring);
	return f;
}

/* Both ends' CPU time a payload of a path's three runs (cpu: the
 * sender's and the receiver's, ns; the payloads after each run's first:
 * what other tasks on the same CPUs took is not in it) against the socket
 * copy's (rcpu), their ratio in bytes per CPU second, and each end's. */
static void bulk_cpu_line(const char *path, const uint64_t cpu[2], const uint64_t rcpu[2], int reps)
{
	double k = 3e3 * (reps - 1), n = (double)(cpu[0] + cpu[1]),
	       rn = (double)(rcpu[0] + rcpu[1]);
	if (!n || !rn || reps < 2)
		return;
	printf("  CPU time of both ends a payload: %s %.0f us, the socket copy %.0f us (%.3f x in "
	       "bytes per CPU second); the sender's %.0f and %.0f us, the receiver's %.0f and "
	       "%.0f us\n",
	       path, n / k, rn / k, rn / n, cpu[0] / k, rcpu[0] / k, cpu[1] / k, rcpu[1] / k);
}

/* pl: FREE, ONE_CPU (both ends on CPU 0), TWO_CPUS (the worker and the
 * sender on CPU 0, the helper and the raw receiver on CPU 1: every
 * wake-up a cross-CPU one, and at 16 and 256 MiB every slot's lines
 * written in one core's cache and read in the other's, whatever the
 * load lets the scheduler do free). */
static void bench_bulk(enum placement pl)
{
	static const struct {
		size_t size;
		int reps;
		const char *name;
	} sz[] = {{64u << 10, 200, "bulk, 64 KiB"},
	          {1u << 20, 60, "bulk, 1 MiB"},
	          {16u << 20, 12, "bulk, 16 MiB"},
	          {256u << 20, 3, "bulk, 256 MiB"}};
	size_t nsz = sizeof(sz) / sizeof(sz[0]);
	int scpu = pl == TWO_CPUS ? 1 : -1;
	uint8_t *buf = malloc((size_t)256 << 20);
	if (!buf)
		abort();
	bulk_cpu =
	    mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (bulk_cpu == MAP_FAILED)
		abort();
	for (size_t i = 0; i < ((size_t)256 << 20); i++)
		buf[i] = (uint8_t)(i * 131u);
	pin(pl == FREE ? -1 : 0); /* the forked ends inherit it */
	for (size_t s = 0; s < nsz; s++) {
		int reps = quick ? (sz[s].reps + 2) / 3 : sz[s].reps, psame = 0, rsame = 0,
		    msame = 0;
		/* a handler fed part by part (revision 1.7): 1 MiB and up */
		int fed = sz[s].size >= (1u << 20), fsame = 0;
		uint64_t *p = calloc((size_t)reps * 3, sizeof(*p)),
		         *r = calloc((size_t)reps * 3, 8), *m = calloc((size_t)reps * 3, 8),
		         *q = calloc((size_t)reps * 3, 8);
		if (!p || !r || !m || !q)
			abort();
		/* each path's CPU time: the sender's, the receiver's */
		uint64_t pcpu[2] = {0, 0}, rcpu[2] = {0, 0}, qcpu[2] = {0, 0}, mcpu[2] = {0, 0};
		for (int k = 0; k < 3; k++) { /* interleaved runs */
			bulk_privsep(sz[s].size, reps, buf, p + k * reps, scpu, &psame, pcpu, 0);
			bulk_raw(sz[s].size, reps, buf, r + k * reps, scpu, &rsame, rcpu);
			if (fed)
				bulk_privsep(sz[s].size, reps, buf, q + k * reps, scpu, &fsame,
				             qcpu, 1);
		}
		/* after them: interleaved with them, it slowed the socket
		 * copy's runs by an eighth, measured */
		for (int k = 0; k < 3; k++)
			bulk_shm(sz[s].size, reps, buf, m + k * reps, scpu, &msame, mcpu, NULL, 0);
		/* 64 KiB: the same floor with its receiver an event loop (it
		 * waits in epoll_wait before each record, as the helper must:
		 * the socket copy's receiver and the floor's above block in
		 * recv) */
		uint64_t *e = s == 0 ? calloc((size_t)reps * 3, 8) : NULL;
		uint64_t ecpu[2] = {0, 0};
		int esame = 0;
		for (int k = 0; e && k < 3; k++)
			bulk_shm(sz[s].size, reps, buf, e + k * reps, scpu, &esame, ecpu, NULL, 1);
		/* the socket copy's CPU time a payload, both ends */
		double rn = reps > 1 ? (double)(rcpu[0] + rcpu[1]) / (3.0 * (reps - 1)) : 0;
		/* each run's first payload, informative: before the sort */
		uint64_t first[3] = {p[0], p[reps], p[2 * (size_t)reps]};
		struct stats fs = stats_of(first, 3);
		/* time per transfer -> MB/s: higher is better */
		struct stats ps = stats_of(p, (size_t)reps * 3), rs = stats_of(r, (size_t)reps * 3);
		struct stats pm = {sz[s].size / ps.median * 1e3, sz[s].size / ps.p99 * 1e3};
		struct stats rm = {sz[s].size / rs.median * 1e3, sz[s].size / rs.p99 * 1e3};
		report_goal(sz[s].name, "MB/s", pm, rm, placement_name(pl),
		            "socket copy in 64 KiB records", 1,
		            pl == TWO_CPUS ? NO_GOAL : AT_LEAST(s == 0 ? 1.0 : 1.5));
		printf("  first payload of a worker (its region and the helper's copy buffer made "
		       "then): median %.1f MB/s\n",
		       sz[s].size / fs.median * 1e3);
		struct stats qm = {0, 0};
		if (fed) {
			/* the same socket copy (its receiver reads and sums each
			 * 64 KiB record as it comes), runs interleaved */
			struct stats qs = stats_of(q, (size_t)reps * 3);
			char name[64];
			qm =
			    (struct stats){sz[s].size / qs.median * 1e3, sz[s].size / qs.p99 * 1e3};
			snprintf(name, sizeof(name), "bulk part by part, %s", sz[s].name + 6);
			report_goal(name, "MB/s", qm, rm, placement_name(pl),
			            "socket copy in 64 KiB records", 1,
			            pl == TWO_CPUS ? NO_GOAL : AT_LEAST(1.5));
			bulk_cpu_line("privsep part by part", qcpu, rcpu, reps);
			printf("  receiver on the sender's CPU: %d %% of the part-by-part "
			       "payloads\n",
			       fsame * 100 / (reps * 3));
		}
		struct stats ms = stats_of(m, (size_t)reps * 3);
		struct stats mm = {sz[s].size / ms.median * 1e3, sz[s].size / ms.p99 * 1e3};
		/* a payload of one part: the names the rows always had */
		const char *mbase =
		    sz[s].size <= REGION_SLOT
		        ? "raw shared memory: a copy in, 8-byte record, a copy out, 1-byte answer"
		        : "raw shared memory: parts through 4 slots of 1 MiB, each copied out and "
		          "read, 1-byte answer";
		char name[64];
		snprintf(name, sizeof(name), "  %s, vs raw shared memory", sz[s].name);
		report(name, "MB/s", pm, mm, placement_name(pl), mbase, 1);
		if (fed) {
			snprintf(name, sizeof(name),
			         "  bulk part by part, %s, vs raw shared memory", sz[s].name + 6);
			report(name, "MB/s", qm, mm, placement_name(pl), mbase, 1);
		}
		/* the floor itself against the socket copy */
		snprintf(name, sizeof(name), "  %s, raw shared memory", sz[s].name);
		report(name, "MB/s", mm, rm, placement_name(pl), "socket copy in 64 KiB records",
		       1);
		bulk_cpu_line("raw shared memory", mcpu, rcpu, reps);
		bulk_cpu_line("privsep", pcpu, rcpu, reps);
		if (e) {
			struct stats es = stats_of(e, (size_t)reps * 3);
			struct stats em = {sz[s].size / es.median * 1e3, sz[s].size / es.p99 * 1e3};
			snprintf(name, sizeof(name), "  %s, raw shared memory, receiver in epoll",
			         sz[s].name);
			report(name, "MB/s", em, rm, placement_name(pl),
			       "socket copy in 64 KiB records", 1);
			snprintf(name, sizeof(name), "  %s, vs raw shared memory in epoll",
			         sz[s].name);
			report(name, "MB/s", pm, em, placement_name(pl),
			       "raw shared memory, its receiver waiting in epoll_wait", 1);
			bulk_cpu_line("raw shared memory in epoll", ecpu, rcpu, reps);
			free(e);
		}
		/* where the scheduler put the two ends: a payload read on the
		 * sender's CPU needed no cross-CPU wake-up */
		printf("  receiver on the sender's CPU: %d %% of privsep's payloads, %d %% of the "
		       "socket copy's\n",
		       psame * 100 / (reps * 3), rsame * 100 / (reps * 3));
		printf("  raw shared memory's receiver on the sender's CPU: %d %% of its "
		       "payloads\n",
		       msame * 100 / (reps * 3));
		if (pl != TWO_CPUS) {
			/* two CPUs: the two copies overlap, then the read; one
			 * CPU: the two copies and the read one after the other */
			double c, rd;
			bulk_floor(buf, sz[s].size, reps, &c, &rd);
			printf(
			    "  floor with no IPC (one copy %.0f us, the handler's read %.0f us): "
			    "%.2f x the socket copy copies overlapped, %.2f x not\n",
			    c / 1e3, rd / 1e3, (sz[s].size / (c + rd) * 1e3) / rm.median,
			    (sz[s].size / (2 * c + rd) * 1e3) / rm.median);
		}
		struct parts_floor f = {0, 0, 0, 0, 0, 0, 0, 0};
		if (pl != TWO_CPUS && sz[s].size >= REGION_PARTS_MIN) {
			/* one CPU: the three one after the other, which is also
			 * the CPU time of any placement; free: at best the
			 * copies in and out overlap (two CPUs), then the read */
			f = bulk_floor_parts(buf, sz[s].size, reps);
			double lap = (f.in > f.out ? f.in : f.out) + f.read;
			printf(
			    "  floor of privsep's path, parts through %u slots of %zu KiB, no IPC, "
			    "CPU time (copies in %.0f us, out %.0f us%s, the handler's read %.0f "
			    "us): %.2f x the socket copy's wall rate, %.2f x its CPU a payload; "
			    "copies overlapped %.2f x its wall rate\n",
			    REGION_RING, REGION_SLOT >> 10, f.in / 1e3, f.out / 1e3,
			    sz[s].size > COPYOUT_STREAM_OVER ? " streamed" : "", f.read / 1e3,
			    (sz[s].size / f.all * 1e3) / rm.median, rn / f.all,
			    (sz[s].size / lap * 1e3) / rm.median);
			printf(
			    "  floor of the part-by-part path, the same parts each copied out into "
			    "one %zu KiB buffer and read at once, no IPC, CPU time %.0f us: %.2f x "
			    "the floor above, %.2f x the socket copy's CPU a payload\n",
			    REGION_SLOT >> 10, f.fed / 1e3, f.fed / f.all, rn / f.fed);
		}
		if (sz[s].size >= REGION_PARTS_MIN) {
			/* where the raw shared-memory floor's CPU goes, its ends
			 * on two CPUs or one, against the same work in one
			 * process: one more run, each end timing its own copies
			 * and reads (no cache counters in this VM's perf) */
			struct shm_split x = {0, 0, 0, 0};
			int xsame = 0;
			uint64_t xcpu[2] = {0, 0};
			bulk_shm(sz[s].size, reps, buf, m, scpu, &xsame, xcpu, &x, 0);
			printf(
			    "  raw shared memory's CPU a payload, split (one more run, each end "
			    "timing its own; receiver on the sender's CPU: %d %%): copies in %.0f "
			    "us, out %.0f us, reads %.0f us, the rest (records, answer, waits, "
			    "wake-ups, the timing) %.0f us, of %.0f us",
			    xsame * 100 / reps, x.in / 1e3, x.out / 1e3, x.read / 1e3,
			    (x.all - x.in - x.out - x.read) / 1e3, x.all / 1e3);
			if (f.fed > 0)
				printf("; in one process (the part-by-part floor): in %.0f us, out "
				       "%.0f us, reads %.0f us",
				       f.fed_in / 1e3, f.fed_out / 1e3, f.fed_read / 1e3);
			printf("\n");
		}
		free(p);
		free(r);
		free(m);
		free(q);
	}
	munmap((void *)bulk_cpu, sizeof(int));
	free(buf);
}

int main(int argc, char **argv)
{
	const char *out = "bench-results.jsonl", *only = NULL;
	/* exec mode's worker is this program executed again */
	if (privsep_exec_is_worker(argc, argv))
		privsep_client_main(NULL, ready_main, NULL);
	/* the fork+exec baseline's child: running in its new image */
	if (argc == 2 && !strcmp(argv[1], "--bench-exec-child"))
		return write(3, "r", 1) == 1 ? 0 : 1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc)
			out = argv[++i];
		else if (!strcmp(argv[i], "--quick"))
			quick = 1;
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else {
			fprintf(stderr,
			        "usage: privsep-bench [-o FILE.jsonl] [--quick] [--only "
			        "roundtrip|ring|open|throughput|seccomp|start|many|allocs|bulk]\n");
			return 2;
		}
	}
	json = fopen(out, "w");
	if (!json) {
		perror(out);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("%-34s %12s %12s %12s %12s %7s  %-9s %s\n", "benchmark", "median", "p99", "base med",
	       "base p99", "ratio", "cpus", "unit");
#define RUN(n) (!only || !strcmp(only, n))
	(void)two_cpus(); /* the mask the run was started with */
	if (RUN("roundtrip")) {
		bench_roundtrip(ONE_CPU);
		bench_roundtrip(FREE);
		if (two_cpus())
			bench_roundtrip(TWO_CPUS);
	}
	if (RUN("ring")) {
		bench_ring(1);
		bench_ring(0);
	}
	if (RUN("open")) {
		bench_open(FREE);
		bench_open(ONE_CPU); /* no cross-CPU wake-ups */
		if (two_cpus())
			bench_open(TWO_CPUS); /* every wake-up a cross-CPU one */
	}
	if (RUN("throughput")) {
		bench_throughput(FREE);
		bench_throughput(ONE_CPU);
	}
	if (RUN("seccomp")) {
		bench_seccomp("<default.policy>");
		bench_seccomp("<fileopener.policy>");
		bench_seccomp("<helper.policy>");
	}
	if (RUN("start")) {
		bench_start();
		bench_start_exec();
		bench_start_pool();
		bench_start_steps();
	}
	if (RUN("many"))
		bench_many();
	if (RUN("allocs"))
		bench_allocs();
	if (RUN("bulk")) {
		bench_bulk(FREE);
		bench_bulk(ONE_CPU);
		if (two_cpus())
			bench_bulk(TWO_CPUS); /* every wake-up a cross-CPU one */
		pin(-1);
	}
	fclose(json);
	printf("\nJSON: %s\n", out);
	for (size_t i = 0; i < json_nnames; i++)
		free(json_names[i]);
	return json_dup ? 1 : 0;
}
