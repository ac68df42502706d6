/* SPDX-License-Identifier: ISC */
/*
 * Each worker its own uid and gid, and a stopped worker noticed.
 *
 * A worker shares with every process of its uid what the kernel counts
 * or allows per user: signals (kill needs the same uid), the fds in
 * flight on unix sockets (too_many_unix_fds: a sender's user may have at
 * most its RLIMIT_NOFILE in flight), RLIMIT_NPROC.  When every worker was
 * nobody, any nobody process could stop one, and a stalled worker's fds
 * in flight made another worker's call with an fd fail with
 * ETOOMANYREFS.  Run as root (CI does); as an ordinary user the helper
 * cannot change ids, and the tests check what holds there instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "uidpool.h"

#define T_HERE (PRIVSEP_TYPE_APP_MIN + 1)
#define T_FD (PRIVSEP_TYPE_APP_MIN + 2)
#define T_EV (PRIVSEP_TYPE_APP_MIN + 3)

/* the pids of the workers that said they are running, in order */
static pid_t here_pid[16];
static atomic_int nhere;

static int here(struct privsep_req *req, void *arg)
{
	(void)arg;
	int i = atomic_load(&nhere);
	if (i < 16)
		here_pid[i] = privsep_worker_pid(req->worker);
	atomic_store(&nhere, i + 1);
	return 0;
}

static int take_fd(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_HERE, .name = "here", .flags = PRIVSEP_H_CALL, .fn = here},
    {.type = T_FD,
     .name = "fd",
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL,
     .fn = take_fd},
    {.type = T_EV, .name = "ev", .max_len = 64, .flags = PRIVSEP_H_EVENT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* Say it runs, then wait for events until the channel closes. */
static int wait_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	if (privsep_client_call(c, &(struct privsep_out){.type = T_HERE}, &res) < 0)
		return 1;
	while (privsep_client_dispatch(c, -1) >= 0)
		;
	return 0;
}

static struct privsep_worker *spawn_waiting(struct hx *x, const char *name,
                                            const struct privsep_sandbox *sb)
{
	struct privsep_spawn sp = {.name = name, .main = wait_main, .sandbox = sb};
	int want = atomic_load(&nhere) + 1, gone = x->gone;
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	if (!w)
		fail_msg("spawn: %s (%s)", strerror(errno), x->nlog ? x->log[x->nlog - 1] : "");
	PUMP_WHILE(x->h, atomic_load(&nhere) < want && x->gone == gone, 20000);
	if (atomic_load(&nhere) < want)
		fail_msg("worker %s did not start: %s", name, x->nlog ? x->log[x->nlog - 1] : "");
	return w;
}

/* The uid of pid, which must be its every uid and (the same number) gid. */
static unsigned worker_uid(pid_t pid)
{
	unsigned u[4], g[4];
	assert_int_equal(hx_ids_of(pid, u, g), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(u[i], u[0]);
		assert_int_equal(g[i], geteuid() == 0 ? u[0] : g[0]);
	}
	return u[0];
}

static void in_range_and_alone(unsigned uid, pid_t pid)
{
	pid_t who = 0;
	if (uid < UIDPOOL_MIN || uid > UIDPOOL_MAX)
		fail_msg("worker pid %d has uid %u, outside %u-%u", (int)pid, uid, UIDPOOL_MIN,
		         UIDPOOL_MAX);
	if (hx_others_with_id(uid, pid, &who))
		fail_msg("uid %u of worker pid %d is also pid %d's", uid, (int)pid, (int)who);
}

static void kill_all(struct hx *x)
{
	privsep_helper_stop(x->h);
	PUMP_WHILE(x->h, privsep_helper_nworkers(x->h) > 0, 20000);
	assert_int_equal(privsep_helper_nworkers(x->h), 0);
}

static void silent(enum privsep_log_level lvl, const char *line, void *arg)
{
	(void)lvl;
	(void)line;
	(void)arg;
}

/* Another privsep helper, in another process: it starts one worker, and
 * writes its pid to *pidfd_out's pipe; it ends when *stop is closed. */
static pid_t other_helper(int *pid_r, int *stop_w)
{
	int p[2], q[2];
	pid_t hp;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(pipe2(q, O_CLOEXEC), 0);
	hp = fork();
	assert_true(hp >= 0);
	if (hp == 0) {
		struct privsep_helper_config cfg = {.log = silent};
		struct privsep_spawn sp = {.name = "other", .main = wait_main};
		struct privsep_helper *h;
		char b;
		close(p[0]);
		close(q[1]);
		atomic_store(&nhere, 0);
		h = privsep_helper_new(table, NTABLE, &cfg);
		if (!h || !privsep_spawn(h, &sp))
			_exit(2);
		PUMP_WHILE(h, atomic_load(&nhere) < 1, 20000);
		if (atomic_load(&nhere) < 1 ||
		    write(p[1], &here_pid[0], sizeof(pid_t)) != (ssize_t)sizeof(pid_t))
			_exit(3);
		while (read(q[0], &b, 1) < 0 && errno == EINTR)
			;
		privsep_helper_free(h);
		_exit(0);
	}
	close(p[1]);
	close(q[0]);
	*pid_r = p[0];
	*stop_w = q[1];
	return hp;
}

/* ---- own uids ---- */

static void
each_live_worker_has_its_own_uid_in_the_dynamic_range_that_no_other_process_has(void **state)
{
	(void)state;
	struct hx *x = hx_new(table, NTABLE, 0);
	unsigned ua, ub, uc;
	pid_t pa, pb, pc, hp;
	int pid_r, stop_w, st;
	assert_non_null(x);
	atomic_store(&nhere, 0);
	spawn_waiting(x, "a", NULL);
	spawn_waiting(x, "b", NULL);
	pa = here_pid[0];
	pb = here_pid[1];
	ua = worker_uid(pa);
	ub = worker_uid(pb);
	if (geteuid() != 0) {
		/* a helper that is not root cannot change ids: its workers keep
		 * its uid, as its log says */
		assert_int_equal(ua, getuid());
		assert_int_equal(ub, getuid());
		assert_true(hx_logged(x, "not started as root: workers keep uid"));
		kill_all(x);
		hx_free(x);
		print_message("skipped: not root: a helper that is not root cannot give workers "
		              "uids of their own (they keep its uid, checked above)\n");
		skip();
	}
	in_range_and_alone(ua, pa);
	in_range_and_alone(ub, pb);
	assert_int_not_equal(ua, ub);
	/* a worker of another privsep helper, in another process */
	hp = other_helper(&pid_r, &stop_w);
	{
		struct pollfd pfd = {.fd = pid_r, .events = POLLIN};
		assert_int_equal(poll(&pfd, 1, 10000), 1);
		assert_int_equal(read(pid_r, &pc, sizeof(pc)), (ssize_t)sizeof(pc));
	}
	uc = worker_uid(pc);
	in_range_and_alone(uc, pc);
	assert_int_not_equal(uc, ua);
	assert_int_not_equal(uc, ub);
	/* and all three still alone once all are running */
	in_range_and_alone(ua, pa);
	in_range_and_alone(ub, pb);
	close(stop_w);
	close(pid_r);
	assert_int_equal(waitpid(hp, &st, 0), hp);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	kill_all(x);
	hx_free(x);
}

static void a_reaped_workers_uid_is_released_and_reused(void **state)
{
	(void)state;
	struct hx *x;
	struct privsep_worker *a;
	unsigned ua, ub;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	x = hx_new(table, NTABLE, 0);
	assert_non_null(x);
	atomic_store(&nhere, 0);
	a = spawn_waiting(x, "a", NULL);
	ua = worker_uid(here_pid[0]);
	in_range_and_alone(ua, here_pid[0]);
	assert_int_equal(hx_lease_held_here(ua), 1);
	privsep_worker_kill(a);
	assert_true(hx_pump_gone(x, 1, 20000));
	/* reaped: the lease is gone, and no process has the uid (the lease
	 * the idle helper may have taken ahead since, for its next spawn,
	 * is released first: it could be ua's, and is no worker's) */
	uidpool_drop_spare();
	assert_int_equal(hx_lease_held_here(ua), 0);
	/* a process with ua now is another helper's worker (another test
	 * suite running as root on the machine), which holds ua's lease */
	if (hx_others_with_id(ua, 0, NULL) != 0 && uidpool_held(ua) != 1)
		fail_msg("uid %u is a process's without any lease", ua);
	/* the lowest free uid is taken first by the next scan: the next
	 * worker gets it back, or, when its uid was leased ahead while a
	 * still held ua (the helper leases ahead once a worker is past
	 * READY), the one after it; unless someone else took it meanwhile */
	spawn_waiting(x, "b", NULL);
	ub = worker_uid(here_pid[1]);
	in_range_and_alone(ub, here_pid[1]);
	if (ub != ua) {
		unsigned uc;
		spawn_waiting(x, "c", NULL);
		uc = worker_uid(here_pid[2]);
		in_range_and_alone(uc, here_pid[2]);
		if (uc != ua && uidpool_held(ua) != 1 && hx_others_with_id(ua, 0, NULL) == 0)
			fail_msg("uid %u was free, yet the next workers got %u and %u", ua, ub, uc);
	}
	kill_all(x);
	hx_free(x);
}

static void a_named_user_is_still_the_workers_uid(void **state)
{
	(void)state;
	struct hx *x;
	struct privsep_sandbox sb = {.user = "nobody"};
	struct privsep_sandbox pol = {.policy = "named-user",
	                              .policy_text =
	                                  "version 1\ninclude <default.policy>\nuser 65533\n"};
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root changes no ids\n");
		skip();
	}
	x = hx_new(table, NTABLE, 0);
	assert_non_null(x);
	atomic_store(&nhere, 0);
	spawn_waiting(x, "nobody", &sb);
	spawn_waiting(x, "numeric", &pol);
	assert_int_equal(worker_uid(here_pid[0]), 65534);
	assert_int_equal(worker_uid(here_pid[1]), 65533);
	kill_all(x);
	hx_free(x);
}

/* Fail closed: a lease directory that others could write to (and so
 * fill with their own locks, or swap) leases nothing, and no worker that
 * names no user starts. */
static void no_worker_starts_when_no_uid_can_be_leased(void **state)
{
	(void)state;
	struct hx *x;
	struct privsep_spawn sp = {.name = "unleased", .main = wait_main};
	struct privsep_worker *w;
	struct stat st;
	int err;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	x = hx_new(table, NTABLE, 0);
	assert_non_null(x);
	atomic_store(&nhere, 0);
	/* the directory exists once a worker has been leased a uid */
	spawn_waiting(x, "first", NULL);
	kill_all(x);
	assert_int_equal(stat(UIDPOOL_DIR, &st), 0);
	assert_int_equal(chmod(UIDPOOL_DIR, 0777), 0);
	w = privsep_spawn(x->h, &sp);
	err = errno;
	assert_int_equal(chmod(UIDPOOL_DIR, st.st_mode & 07777), 0);
	assert_null(w);
	assert_int_equal(err, EPERM);
	assert_int_equal(privsep_helper_nworkers(x->h), 0);
	assert_true(hx_logged(x, "worker \"unleased\": sandbox cannot be prepared: no uid of its "
	                         "own for the worker: " UIDPOOL_DIR " is not root's alone"));
	hx_free(x);
}

/* ---- signals ---- */

/* In a child as uid:gid, try to stop pid; the child's status is 0 when
 * every attempt failed with EPERM. */
static int signal_as(unsigned uid, pid_t pid)
{
	pid_t c = fork();
	int st;
	assert_true(c >= 0);
	if (c == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 ||
		    setresuid(uid, uid, uid) < 0)
			_exit(2);
		if (kill(pid, SIGSTOP) == 0 || errno != EPERM)
			_exit(3);
		if (kill(pid, SIGKILL) == 0 || errno != EPERM)
			_exit(4);
		if (kill(pid, 0) == 0 || errno != EPERM)
			_exit(5);
		_exit(0);
	}
	assert_int_equal(waitpid(c, &st, 0), c);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void another_uid_cannot_signal_a_worker(void **state)
{
	(void)state;
	struct hx *x;
	unsigned ua, ub;
	int rc;
	if (geteuid() != 0) {
		print_message("skipped: not root: no other uid to act as, and the workers "
		              "share the helper's\n");
		skip();
	}
	x = hx_new(table, NTABLE, 0);
	assert_non_null(x);
	atomic_store(&nhere, 0);
	spawn_waiting(x, "a", NULL);
	spawn_waiting(x, "b", NULL);
	ua = worker_uid(here_pid[0]);
	ub = worker_uid(here_pid[1]);
	/* the former shared user, and another worker's uid */
	rc = signal_as(65534, here_pid[0]);
	if (rc)
		fail_msg("a nobody process could signal worker a (uid %u): step %d", ua, rc);
	rc = signal_as(ub, here_pid[0]);
	if (rc)
		fail_msg("a process of worker b's uid %u could signal worker a: step %d", ub, rc);
	/* both still running, neither stopped */
	for (int i = 0; i < 20; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->gone, 0);
	kill_all(x);
	hx_free(x);
}

static void a_stopped_worker_is_noticed_killed_reported_and_restarted(void **state)
{
	(void)state;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_spawn sp = {
	    .name = "s", .main = wait_main, .restart_max = 1, .restart_backoff_ms = 1};
	pid_t pid;
	assert_non_null(x);
	atomic_store(&nhere, 0);
	assert_non_null(privsep_spawn(x->h, &sp));
	PUMP_WHILE(x->h, atomic_load(&nhere) < 1, 20000);
	assert_int_equal(atomic_load(&nhere), 1);
	pid = here_pid[0];
	/* root (or, as an ordinary user, the worker's own uid) stops it */
	assert_int_equal(kill(pid, SIGSTOP), 0);
	if (!hx_pump_gone(x, 1, 20000))
		fail_msg("the helper did not notice that worker pid %d is stopped", (int)pid);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STOPPED);
	assert_int_equal(x->last_exit.stop_signal, SIGSTOP);
	assert_int_equal(x->last_exit.signal, SIGKILL);
	assert_true(hx_logged(x, "stopped by signal 19"));
	/* treated as any failure: its restart policy applies */
	PUMP_WHILE(x->h, atomic_load(&nhere) < 2, 20000);
	assert_int_equal(x->restarted, 1);
	assert_int_equal(atomic_load(&nhere), 2);
	kill_all(x);
	hx_free(x);
}

/* The check runs in a helper confined by helper.policy too: its waitid,
 * its timer's reads, its kill, and the timer disarmed when no worker is
 * left (a child: confinement is for good). */
static void a_confined_helper_still_notices_a_stopped_worker(void **state)
{
	(void)state;
	pid_t hp, wp;
	int st, p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	hp = fork();
	assert_true(hp >= 0);
	if (hp == 0) {
		struct privsep_helper_config cfg = {.log = silent};
		struct privsep_spawn sp = {.name = "c", .main = wait_main};
		struct privsep_helper *h;
		atomic_store(&nhere, 0);
		h = privsep_helper_new(table, NTABLE, &cfg);
		if (!h || !privsep_spawn(h, &sp))
			_exit(2);
		PUMP_WHILE(h, atomic_load(&nhere) < 1, 20000);
		if (atomic_load(&nhere) < 1)
			_exit(3);
		wp = here_pid[0];
		/* confined, it may no longer signal anyone but its workers:
		 * the test stops the worker */
		if (privsep_helper_confine(h, NULL, NULL) < 0 ||
		    write(p[1], &wp, sizeof(wp)) != (ssize_t)sizeof(wp))
			_exit(4);
		PUMP_WHILE(h, privsep_helper_nworkers(h) > 0, 20000);
		if (privsep_helper_nworkers(h) > 0)
			_exit(6);
		/* two more periods of the check: it finds no worker and stops */
		PUMP_WHILE(h, 1, 2 * HELPER_STOP_CHECK_MS + 100);
		_exit(0);
	}
	close(p[1]);
	{
		struct pollfd pfd = {.fd = p[0], .events = POLLIN};
		if (poll(&pfd, 1, 10000) == 1 && read(p[0], &wp, sizeof(wp)) == (ssize_t)sizeof(wp))
			assert_int_equal(kill(wp, SIGSTOP), 0);
	}
	close(p[0]);
	assert_int_equal(waitpid(hp, &st, 0), hp);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the confined helper %s %d",
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- fds in flight ---- */

static int send_nowait(int fd, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 8)];
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) < 0 ? -1 : 0;
}

/* The stalled worker, as an attacker would do it under default.policy:
 * it reads nothing, so the helper's events fill its socket and queue;
 * then one call, whose reply must wait in the queue, so the helper reads
 * nothing more from it; then records with fds, which stay in flight,
 * counted against its user, until the kernel refuses more. */
static int stall_main(struct privsep_client *c, void *arg)
{
	int go = *(const int *)arg, ch = privsep_client_fd(c);
	int fds[8] = {0, 0, 0, 0, 0, 0, 0, 0}, inflight = 0, err = 0;
	uint8_t rec[64];
	size_t n;
	char b;
	if (read(go, &b, 1) != 1)
		return 10;
	n = rec_make(rec, PRIVSEP_T_PING, 1, "x", 1, 0);
	if (send_nowait(ch, rec, n, NULL, 0) < 0)
		return 11;
	for (uint32_t i = 0; i < 64; i++) {
		n = rec_make(rec, PRIVSEP_T_PING, 2 + i, "x", 1, 8);
		if (send_nowait(ch, rec, n, fds, 8) < 0) {
			err = errno;
			break;
		}
		inflight += 8;
	}
	dprintf(2, "stalled with %d fds in flight, then: %s\n", inflight, strerror(err));
	while (read(go, &b, 1) < 0 && errno == EINTR)
		;
	return 0;
}

static int fd_call_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	int fd = 0;
	(void)arg;
	if (privsep_client_call(c, &(struct privsep_out){.type = T_FD, .fds = &fd, .nfds = 1},
	                        &res) < 0)
		return errno & 0xff;
	return 0;
}

static void
a_stalled_workers_fds_in_flight_do_not_fail_another_workers_call_with_an_fd(void **state)
{
	(void)state;
	struct privsep_helper_config cfg = {.queue_max = 4};
	struct hx *x = hx_new_cfg(table, NTABLE, &cfg);
	int go[2], inflight = 0, posted = 0;
	struct privsep_sandbox sa = {.nkeep = 1};
	struct privsep_spawn spa = {.name = "stalled", .main = stall_main, .sandbox = &sa};
	struct privsep_spawn spb = {.name = "caller", .main = fd_call_main};
	struct privsep_worker *a;
	assert_non_null(x);
	if (geteuid() != 0) {
		/* workers of a helper that is not root share its uid, and so
		 * its count of fds in flight (SECURITY.md, known limits) */
		hx_free(x);
		print_message("skipped: not root: workers of a helper that is not root share its "
		              "uid and its count of fds in flight\n");
		skip();
	}
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	sa.keep_fds = &go[0];
	spa.arg = &go[0];
	a = privsep_spawn(x->h, &spa);
	assert_non_null(a);
	PUMP_WHILE(x->h, !privsep_worker_ready(a), 60000);
	assert_true(privsep_worker_ready(a));
	/* fill its socket and its queue with events it never reads */
	while (privsep_worker_post(a, &(struct privsep_out){.type = T_EV, .data = "e", .len = 1}) ==
	       0)
		assert_true(++posted < 1000000);
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(write(go[1], "g", 1), 1);
	PUMP_WHILE(x->h, !hx_logged(x, "fds in flight"), 20000);
	for (int i = 0; i < x->nlog; i++) {
		const char *p = strstr(x->log[i], "stalled with ");
		if (p)
			inflight = atoi(p + strlen("stalled with "));
	}
	/* more than a worker's RLIMIT_NOFILE (64) in flight: what made a
	 * shared user's other workers fail */
	if (inflight <= 64)
		fail_msg("the stalled worker got only %d fds in flight", inflight);
	assert_int_equal(x->gone, 0);
	assert_non_null(privsep_spawn(x->h, &spb));
	assert_true(hx_pump_gone(x, 1, 20000));
	assert_string_equal(x->last_gone, "caller");
	if (x->last_exit.kind != PRIVSEP_EXIT_STATUS || x->last_exit.status != 0)
		fail_msg("the other worker's call with an fd failed: %s (%d is %s)",
		         x->last_exit.line, x->last_exit.status, strerror(x->last_exit.status));
	close(go[1]);
	kill_all(x);
	close(go[0]);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        each_live_worker_has_its_own_uid_in_the_dynamic_range_that_no_other_process_has),
	    cmocka_unit_test(a_reaped_workers_uid_is_released_and_reused),
	    cmocka_unit_test(a_named_user_is_still_the_workers_uid),
	    cmocka_unit_test(no_worker_starts_when_no_uid_can_be_leased),
	    cmocka_unit_test(another_uid_cannot_signal_a_worker),
	    cmocka_unit_test(a_stopped_worker_is_noticed_killed_reported_and_restarted),
	    cmocka_unit_test(a_confined_helper_still_notices_a_stopped_worker),
	    cmocka_unit_test(
	        a_stalled_workers_fds_in_flight_do_not_fail_another_workers_call_with_an_fd),
	};
	if (under_valgrind())
		return 0; /* no seccomp syscall under valgrind */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
