/* SPDX-License-Identifier: ISC */
/*
 * test_spawner.c - the spawner (framework/helper/spawner.c), the process a
 * helper forks before it confines itself and that starts its exec-mode
 * workers from then on.  What is checked: a request that is not exactly
 * one well-formed record with its fds (truncated, oversized, an extra
 * fd, another magic) makes it log one line and exit, starting nothing,
 * and the helper then starts nothing more; it dies with the helper; it
 * keeps no fd of a worker it handed over; it never runs an application's
 * main.  The helpers here start their spawner directly (spawner_start,
 * what privsep_helper_confine does first), so the test process itself
 * stays unconfined.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "spawner.h"
#include "uidpool.h"

static int nreports;

static int on_report(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	nreports++;
	return 0;
}

static const struct privsep_handler table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

static const char *argv_report[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "report", "-", NULL};

/* An application main: it marks that it ran, in memory shared with the
 * test (a main run in the spawner or its child would show here). */
static volatile int *ran;

static int mark_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	*ran = 1;
	return 0;
}

/* Wait (bounded) for pidfd's process to end: 0, or -1. */
static int ended(int pidfd, int ms)
{
	struct pollfd p = {pidfd, POLLIN, 0};
	return poll(&p, 1, ms) == 1 ? 0 : -1;
}

enum bad { BAD_TRUNCATED, BAD_OVERSIZED, BAD_EXTRA_FD, BAD_MAGIC, BAD_N };
static const char *const bad_names[] = {"truncated", "oversized", "extra fd", "magic"};

static void a_malformed_request_makes_the_spawner_exit_starting_nothing_and_nothing_after(void **s)
{
	(void)s;
	for (int b = 0; b < BAD_N; b++) {
		struct hx *x = hx_new(table, 1, 0);
		int prog = privsep_exec_open(EXEC_WORKER);
		struct privsep_exec ex = {.fd = prog, .argv = argv_report};
		struct privsep_spawn sp = {.name = "probe", .exec = &ex};
		uint8_t *buf = calloc(1, SPAWNER_REQ_MAX + 64);
		int fds[SPAWNER_REQ_FDS + 1];
		size_t len, nfds;
		pid_t kids[8];
		siginfo_t si;
		assert_non_null(x);
		assert_non_null(buf);
		assert_true(prog >= 0);
		assert_int_equal(spawner_start(x->h), 0);
		assert_int_equal(spawner_req_write(&sp, buf, SPAWNER_REQ_MAX, &len, fds, &nfds), 0);
		switch (b) {
		case BAD_TRUNCATED:
			len--;
			break;
		case BAD_OVERSIZED:
			len = SPAWNER_REQ_MAX + 64;
			break;
		case BAD_EXTRA_FD:
			fds[nfds++] = prog;
			break;
		case BAD_MAGIC:
			buf[0] ^= 1;
			break;
		}
		assert_int_equal(raw_send(x->h->spawner.sock, buf, len, fds, nfds), 0);
		/* it exits, status 1, and made no worker: its parent has no
		 * other child */
		if (ended(x->h->spawner.pidfd, 20000) < 0)
			fail_msg("%s: the spawner did not exit", bad_names[b]);
		memset(&si, 0, sizeof(si));
		assert_int_equal(
		    waitid((idtype_t)P_PIDFD, (id_t)x->h->spawner.pidfd, &si, WEXITED | WNOWAIT),
		    0);
		if (si.si_code != CLD_EXITED || si.si_status != 1)
			fail_msg("%s: the spawner ended with code %d status %d", bad_names[b],
			         si.si_code, si.si_status);
		assert_int_equal(hx_children(kids, 8), 1);
		assert_int_equal(kids[0], x->h->spawner.pid);
		/* the helper starts nothing more, saying why */
		errno = 0;
		assert_null(privsep_spawn(x->h, &sp));
		assert_int_equal(errno, ECHILD);
		assert_true(hx_logged(x, "no worker starts from now on"));
		assert_int_equal(hx_children(kids, 8), 0); /* the spawner reaped */
		free(buf);
		close(prog);
		hx_free(x);
	}
}

static void the_spawner_dies_with_the_helper(void **s)
{
	int p[2], pidfd;
	pid_t helper, spawner = 0;
	(void)s;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		struct hx *x = hx_new(table, 1, 0);
		if (!x || spawner_start(x->h) < 0)
			_exit(2);
		if (write(p[1], &x->h->spawner.pid, sizeof(pid_t)) != sizeof(pid_t))
			_exit(3);
		for (;;)
			pause(); /* until killed */
	}
	assert_int_equal(read(p[0], &spawner, sizeof(spawner)), (ssize_t)sizeof(spawner));
	pidfd = pidfd_open(spawner, 0);
	assert_true(pidfd >= 0);
	assert_int_equal(ended(pidfd, 0), -1); /* alive */
	kill(helper, SIGKILL);
	assert_int_equal(waitpid(helper, NULL, 0), helper);
	if (ended(pidfd, 20000) < 0)
		fail_msg("the spawner %d outlived its helper", (int)spawner);
	close(pidfd);
	close(p[0]);
	close(p[1]);
}

static void the_spawner_keeps_no_fd_of_a_worker_and_runs_no_main(void **s)
{
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	struct privsep_exec ex = {.fd = prog, .argv = argv_report};
	/* main given as well: exec mode runs the program, never main */
	struct privsep_spawn sp = {.name = "probe", .exec = &ex, .main = mark_main};
	struct privsep_spawn fork_mode = {.name = "forked", .main = mark_main};
	char path[64];
	struct dirent *e;
	DIR *d;
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	ran = mmap(NULL, sizeof(*ran), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(ran != MAP_FAILED);
	assert_non_null(x);
	assert_true(prog >= 0);
	assert_int_equal(spawner_start(x->h), 0);
	nreports = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	/* handed over: the spawner holds its standard fds and its socket to
	 * the helper, nothing else (no channel, pipe, pidfd, the worker's
	 * lease, program; at most the lease of the next spawn's uid),
	 * once it has closed its copies after its answer (waited for,
	 * bounded) */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)x->h->spawner.pid);
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int extra = -1, spare = 0;
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d))) {
			char fdp[320], to[256];
			ssize_t k;
			if (e->d_name[0] == '.' || atoi(e->d_name) <= 3)
				continue;
			/* the one uid lease it takes ahead for the next spawn
			 * (uidpool_prefetch) is its own, not a worker's */
			snprintf(fdp, sizeof(fdp), "%s/%s", path, e->d_name);
			k = readlink(fdp, to, sizeof(to) - 1);
			to[k > 0 ? k : 0] = '\0';
			if (!strcmp(to, UIDPOOL_DIR "/" UIDPOOL_FILE) && !spare++)
				continue;
			extra = atoi(e->d_name);
		}
		closedir(d);
		if (extra < 0)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (t.tv_sec - t0.tv_sec > 10)
			fail_msg("the spawner holds fd %d after the spawn", extra);
		sched_yield();
	}
	assert_true(hx_pump_gone(x, 1, 20000));
	assert_int_equal(nreports, 1); /* the program ran */
	/* a fork-mode worker is not started by the spawner: its main would
	 * run in the spawner's copy of the helper's memory */
	errno = 0;
	assert_null(privsep_spawn(x->h, &fork_mode));
	assert_int_equal(errno, EPERM);
	assert_true(hx_logged(x, "worker \"forked\": not started: the helper is confined, and a "
	                         "fork-mode worker's main would run in the spawner's copy"));
	assert_int_equal(*ran, 0);
	close(prog);
	hx_free(x);
	munmap((void *)ran, sizeof(*ran));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_malformed_request_makes_the_spawner_exit_starting_nothing_and_nothing_after),
	    cmocka_unit_test(the_spawner_dies_with_the_helper),
	    cmocka_unit_test(the_spawner_keeps_no_fd_of_a_worker_and_runs_no_main),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
