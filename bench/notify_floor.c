/* SPDX-License-Identifier: ISC */
/*
 * notify_floor - what one seccomp user notification costs on this kernel,
 * whatever the helper decides: the floor under privsep-run's cost per
 * brokered call (bench/README.md, the tar row; bench/run_tar.sh prints it).
 *
 * A child under a one-rule filter (getppid: SECCOMP_RET_USER_NOTIF) calls
 * getppid ROUNDS times; this process answers each with poll, RECV and
 * SEND and nothing else (a bare round trip), with and without
 * SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, free and with both on CPU 0.  Then
 * the same child under privsep-run's own notifier filter calls glibc's
 * fstat (newfstatat with "" and AT_EMPTY_PATH) of a file it holds, served
 * by fs_notify_serve as privsep-run serves it: the whole answer of the
 * commonest brokered call.  The child times its calls; medians of 9
 * blocks, in ns per call, on standard output, one "name value" a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_notify.h"
#include "notify_bench.h"
#include "sandbox.h"

#define ROUNDS 2000
#define BLOCKS 9

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void pin(void)
{
	cpu_set_t s;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	(void)sched_setaffinity(0, sizeof(s), &s);
}

/* The child: its filter, then BLOCKS blocks of ROUNDS calls, each
 * block's ns per call written to res. */
static void child(int fstat_mode, int sock, int res)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_getppid, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {4, f};
	struct filter_prog prog = {0};
	struct stat st;
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		_exit(2);
	if (fstat_mode) {
		if (fs_notify_filter(&prog, NULL, 0) < 0)
			_exit(2);
	} else {
		prog.insns = f;
		prog.len = fp.len;
	}
	if (sandbox_listener(&prog, sock) < 0)
		_exit(2);
	for (int b = 0; b < BLOCKS; b++) {
		uint64_t t = now(), per;
		for (int i = 0; i < ROUNDS; i++)
			if (fstat_mode ? syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH) < 0
			               : syscall(SYS_getppid) != 1)
				_exit(3);
		per = (now() - t) / ROUNDS;
		if (write(res, &per, sizeof(per)) != sizeof(per))
			_exit(4);
	}
	_exit(0);
}

/* One run: the child's median ns per call, or 0 when it failed. */
static uint64_t run(int fstat_mode, int sync, int pinned)
{
	uint64_t t[BLOCKS];
	size_t got = 0;
	int s[2], r[2], lfd, st;
	struct fs_notify n = {0};
	pid_t pid;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0 || pipe2(r, O_CLOEXEC) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		close(s[0]);
		close(r[0]);
		if (pinned)
			pin();
		child(fstat_mode, s[1], r[1]);
	}
	close(s[1]);
	close(r[1]);
	lfd = notify_take_fd(s[0]);
	close(s[0]);
	if (lfd >= 0 && sync)
		(void)fs_notify_sync_wakeup(lfd);
	n.listener = lfd;
	while (lfd >= 0 && got < sizeof(t)) {
		struct pollfd p[2] = {{lfd, POLLIN, 0}, {r[0], POLLIN, 0}};
		if (poll(p, 2, -1) < 0)
			continue;
		if ((p[0].revents & POLLIN) && fstat_mode)
			fs_notify_serve(&n);
		else if (p[0].revents & POLLIN) {
			struct seccomp_notif req;
			struct seccomp_notif_resp resp;
			memset(&req, 0, sizeof(req));
			if (ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0) {
				memset(&resp, 0, sizeof(resp));
				resp.id = req.id;
				resp.val = 1;
				(void)ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
			}
		}
		if (p[1].revents) {
			ssize_t k = read(r[0], (char *)t + got, sizeof(t) - got);
			if (k <= 0)
				break;
			got += (size_t)k;
		}
	}
	if (lfd >= 0)
		close(lfd);
	close(r[0]);
	waitpid(pid, &st, 0);
	if (got < sizeof(t))
		return 0;
	qsort(t, BLOCKS, sizeof(t[0]), cmp);
	return t[BLOCKS / 2];
}

int main(void)
{
	static const struct {
		const char *name;
		int fstat_mode, sync, pinned;
	} rows[] = {
	    {"bare_round_trip_sync_free", 0, 1, 0},    {"bare_round_trip_free", 0, 0, 0},
	    {"bare_round_trip_sync_one_cpu", 0, 1, 1}, {"bare_round_trip_one_cpu", 0, 0, 1},
	    {"fstat_served_sync_free", 1, 1, 0},       {"fstat_served_sync_one_cpu", 1, 1, 1},
	};
	cpu_set_t all;
	if (sched_getaffinity(0, sizeof(all), &all) < 0)
		return 1;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint64_t v;
		if (rows[i].pinned)
			pin();
		v = run(rows[i].fstat_mode, rows[i].sync, rows[i].pinned);
		(void)sched_setaffinity(0, sizeof(all), &all);
		if (!v) {
			fprintf(stderr, "notify-floor: %s: the child failed\n", rows[i].name);
			return 1;
		}
		printf("%s %llu\n", rows[i].name, (unsigned long long)v);
	}
	return 0;
}
