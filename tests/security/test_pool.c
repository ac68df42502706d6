/* SPDX-License-Identifier: ISC */
/*
 * The spawn-ahead pool (privsep_spawn's pool): a pooled worker waits in
 * its sandbox, checked, and runs no application code until it is handed
 * out; it is handed out once; one that died is never handed out and is
 * replaced; it holds nothing of another worker (the helper's buffers,
 * fds, uid); pool 0 starts nothing ahead.  As root each worker, pooled
 * or not, holds a uid lease of its own until it is reaped; as another
 * user the workers keep the helper's uid, and that is what is checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "uidpool.h"

#define T_HERE (PRIVSEP_TYPE_APP_MIN + 1)
#define T_SECRET (PRIVSEP_TYPE_APP_MIN + 2)
#define T_REPORT (PRIVSEP_TYPE_APP_MIN + 3)
#define T_GO (PRIVSEP_TYPE_APP_MIN + 4)

#define SECRET "pool-secret-4f1c9a7e-of-the-first-worker"

/* the pids that ran main, in order */
static pid_t here_pid[32];
static atomic_int nhere;
/* what the last report said: the secret found, the fds open */
static atomic_int reported, rep_found, rep_fds;
/* the helper's receive buffer, which a forked worker inherits */
static const uint8_t *helper_rx;
static size_t helper_rx_len;

static int here(struct privsep_req *req, void *arg)
{
	int i = atomic_load(&nhere);
	(void)arg;
	if (i < 32)
		here_pid[i] = privsep_worker_pid(req->worker);
	atomic_store(&nhere, i + 1);
	return 0;
}

static int secret(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static int report(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	uint32_t found, fds;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &found) < 0 || privsep_reader_get_u32(&r, &fds) < 0)
		return PRIVSEP_VIOLATION;
	atomic_store(&rep_found, (int)found);
	atomic_store(&rep_fds, (int)fds);
	atomic_store(&reported, 1);
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_HERE, .name = "here", .flags = PRIVSEP_H_CALL, .fn = here},
    {.type = T_SECRET, .name = "secret", .max_len = 128, .flags = PRIVSEP_H_CALL, .fn = secret},
    {.type = T_REPORT,
     .name = "report",
     .min_len = 8,
     .max_len = 8,
     .flags = PRIVSEP_H_CALL,
     .fn = report},
    {.type = T_GO, .name = "go", .flags = PRIVSEP_H_EVENT},
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

/* Say it runs, and fail at the first event: its restart policy
 * applies. */
static int fail_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	(void)privsep_client_call(c, &(struct privsep_out){.type = T_HERE}, &res);
	(void)privsep_client_dispatch(c, -1);
	return 1;
}

/* Send the secret, say it runs, and wait. */
static int secret_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = T_SECRET, .data = SECRET, .len = sizeof(SECRET)},
	        &res) < 0)
		return 1;
	return wait_main(c, arg);
}

/* Look for the secret where the helper received it, and count the fds
 * open here; report both, then run as wait_main. */
static int look_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	uint8_t buf[8];
	struct privsep_writer w;
	int found = helper_rx && memmem(helper_rx, helper_rx_len, SECRET, sizeof(SECRET)) != NULL;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, (uint32_t)found);
	privsep_writer_put_u32(&w, (uint32_t)probe_fds());
	if (privsep_client_call(c, &(struct privsep_out){.type = T_REPORT, .data = buf, .len = 8},
	                        &res) < 0)
		return 1;
	return wait_main(c, arg);
}

static void reset(void)
{
	atomic_store(&nhere, 0);
	atomic_store(&reported, 0);
	memset(here_pid, 0, sizeof(here_pid));
}

static struct hx *new_helper(void)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	assert_non_null(x);
	reset();
	return x;
}

/* The first idle pooled worker's pid, 0: none. */
static pid_t idle_pid(struct privsep_helper *h)
{
	for (struct privsep_worker *w = h->workers; w; w = w->next)
		if (w->pool.of && w->pool.held && !w->reap.finalize && w->chan >= 0)
			return w->pid;
	return 0;
}

/* Every worker in the registry, pooled or not. */
static size_t registered(struct privsep_helper *h)
{
	size_t n = 0;
	for (struct privsep_worker *w = h->workers; w; w = w->next)
		n++;
	return n;
}

static int ran(pid_t pid)
{
	int n = 0;
	for (int i = 0; i < atomic_load(&nhere) && i < 32; i++)
		n += here_pid[i] == pid;
	return n;
}

static struct privsep_worker *spawn_ok(struct hx *x, const struct privsep_spawn *sp)
{
	struct privsep_worker *w = privsep_spawn(x->h, sp);
	if (!w)
		fail_msg("spawn: %s (%s)", strerror(errno), x->nlog ? x->log[x->nlog - 1] : "");
	return w;
}

static void wait_here(struct hx *x, int n)
{
	PUMP_WHILE(x->h, atomic_load(&nhere) < n, 20000);
	if (atomic_load(&nhere) < n)
		fail_msg("%d workers ran main, not %d: %s", atomic_load(&nhere), n,
		         x->nlog ? x->log[x->nlog - 1] : "");
}

static void wait_idle(struct hx *x, size_t n)
{
	PUMP_WHILE(x->h, pool_idle(x->h) < n, 20000);
	if (pool_idle(x->h) < n)
		fail_msg("the pool has %zu idle workers, not %zu: %s", pool_idle(x->h), n,
		         x->nlog ? x->log[x->nlog - 1] : "");
}

static void stop_all(struct hx *x)
{
	privsep_helper_stop(x->h);
	PUMP_WHILE(x->h, registered(x->h) > 0, 20000);
	assert_int_equal(registered(x->h), 0);
}

/* A worker taken from the pool is the one that waited there, ready at
 * once, and runs main once; the next spawn is another process; an idle
 * pooled worker runs no main and counts in no privsep_helper_nworkers. */
static void a_pooled_worker_is_handed_out_once_and_runs_no_main_before(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "pooled", .main = wait_main, .pool = 1};
	struct privsep_worker *a, *b, *c;
	pid_t p;
	(void)state;
	a = spawn_ok(x, &sp);
	wait_here(x, 1);
	wait_idle(x, 1);
	p = idle_pid(x->h);
	assert_true(p > 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 1);
	assert_int_equal(registered(x->h), 2);
	assert_int_equal(ran(p), 0);
	b = spawn_ok(x, &sp);
	assert_int_equal(privsep_worker_pid(b), p);
	assert_true(privsep_worker_ready(b));
	c = spawn_ok(x, &sp);
	assert_int_not_equal(privsep_worker_pid(c), p);
	assert_int_not_equal(privsep_worker_pid(c), privsep_worker_pid(a));
	wait_here(x, 3);
	/* the pool is full again, with a worker that ran nothing */
	wait_idle(x, 1);
	assert_int_equal(atomic_load(&nhere), 3);
	assert_int_equal(ran(privsep_worker_pid(a)), 1);
	assert_int_equal(ran(p), 1);
	assert_int_equal(ran(privsep_worker_pid(c)), 1);
	assert_int_equal(ran(idle_pid(x->h)), 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 3);
	stop_all(x);
	assert_int_equal(x->gone, 3); /* the application's three, not the pooled one */
	hx_free(x);
}

/* The pooled worker is killed and has exited before the helper looked
 * (no step between): the spawn hands out another, and the pool gets a
 * new one; the application never hears of the dead one. */
static void a_pooled_worker_that_dies_is_replaced_and_never_handed_out(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "pooled", .main = wait_main, .pool = 1};
	struct privsep_worker *b;
	struct pollfd pf;
	pid_t p;
	(void)state;
	(void)spawn_ok(x, &sp);
	wait_here(x, 1);
	wait_idle(x, 1);
	p = idle_pid(x->h);
	pf.fd = (int)syscall(SYS_pidfd_open, p, 0);
	pf.events = POLLIN;
	assert_true(pf.fd >= 0);
	assert_int_equal(kill(p, SIGKILL), 0);
	assert_int_equal(poll(&pf, 1, 20000), 1);
	close(pf.fd);
	b = spawn_ok(x, &sp);
	assert_int_not_equal(privsep_worker_pid(b), p);
	wait_here(x, 2);
	assert_int_equal(ran(p), 0);
	assert_int_equal(ran(privsep_worker_pid(b)), 1);
	assert_true(hx_logged(x, "not handed out"));
	/* and the pool is refilled with a live one */
	PUMP_WHILE(x->h, !(idle_pid(x->h) > 0 && idle_pid(x->h) != p), 20000);
	assert_true(idle_pid(x->h) > 0);
	assert_int_not_equal(idle_pid(x->h), p);
	assert_int_equal(x->gone, 0);
	/* an idle one that dies with the helper watching: replaced too */
	p = idle_pid(x->h);
	assert_int_equal(kill(p, SIGKILL), 0);
	PUMP_WHILE(x->h, !(idle_pid(x->h) > 0 && idle_pid(x->h) != p), 20000);
	assert_true(idle_pid(x->h) > 0);
	assert_int_not_equal(idle_pid(x->h), p);
	assert_true(hx_logged(x, "a pooled worker is gone before it was handed out"));
	assert_int_equal(x->gone, 0);
	stop_all(x);
	hx_free(x);
}

/* A pooled worker forked after another worker's request was received
 * finds none of it in the helper's buffer it inherited, and holds no fd
 * but its standard ones and its channel; as root its uid is its own. */
static void a_pooled_worker_holds_nothing_of_a_previous_worker(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn first = {.name = "first", .main = secret_main};
	struct privsep_spawn sp = {.name = "pooled", .main = look_main, .pool = 1};
	struct privsep_worker *a, *c;
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own in the worker */
	helper_rx = x->h->rx;
	helper_rx_len = x->h->msg_max;
	a = spawn_ok(x, &first);
	wait_here(x, 1); /* its secret was received before */
	/* the pool is made, and filled, now: after the secret */
	(void)spawn_ok(x, &sp);
	PUMP_WHILE(x->h, !atomic_load(&reported), 20000);
	assert_true(atomic_load(&reported));
	wait_idle(x, 1);
	atomic_store(&reported, 0);
	c = spawn_ok(x, &sp);
	PUMP_WHILE(x->h, !atomic_load(&reported), 20000);
	assert_true(atomic_load(&reported));
	assert_int_equal(atomic_load(&rep_found), 0);
	assert_int_equal(atomic_load(&rep_fds), 4); /* 0, 1, 2 and the channel */
	{
		/* the uids: each its own as root, the helper's otherwise */
		char path[64], buf[2048];
		unsigned ua = 0, uc = 0;
		pid_t pids[2] = {privsep_worker_pid(a), privsep_worker_pid(c)};
		unsigned *out[2] = {&ua, &uc};
		for (int i = 0; i < 2; i++) {
			int fd;
			ssize_t n;
			const char *u;
			snprintf(path, sizeof(path), "/proc/%d/status", (int)pids[i]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			assert_true(fd >= 0);
			n = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[n > 0 ? n : 0] = '\0';
			u = strstr(buf, "\nUid:");
			assert_non_null(u);
			assert_int_equal(sscanf(u, "\nUid: %u", out[i]), 1);
		}
		if (geteuid() == 0)
			assert_int_not_equal(ua, uc);
		else
			assert_true(ua == getuid() && uc == getuid());
	}
	stop_all(x);
	hx_free(x);
}

/* As root: the application's worker and the two pooled ones hold three
 * uid leases, each a uid of its own, and none is held once they are
 * reaped. */
static void pooled_workers_hold_their_own_uid_leases_until_reaped(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "pooled", .main = wait_main, .pool = 2};
	unsigned uids[3];
	int n = 0;
	(void)state;
	(void)spawn_ok(x, &sp);
	wait_here(x, 1);
	wait_idle(x, 2);
	for (struct privsep_worker *w = x->h->workers; w; w = w->next) {
		if (geteuid() != 0) {
			assert_int_equal(w->spawn.uid_lease, -1);
			continue;
		}
		assert_true(w->spawn.uid_lease >= 0);
		assert_true(n < 3);
		{
			char path[64], buf[2048];
			const char *u;
			ssize_t len;
			int fd;
			snprintf(path, sizeof(path), "/proc/%d/status", (int)w->pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			assert_true(fd >= 0);
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[len > 0 ? len : 0] = '\0';
			u = strstr(buf, "\nUid:");
			assert_non_null(u);
			assert_int_equal(sscanf(u, "\nUid: %u", &uids[n]), 1);
		}
		/* held by this helper, through this worker's lease */
		assert_int_equal(hx_lease_held_here(uids[n]), 1);
		for (int i = 0; i < n; i++)
			assert_int_not_equal(uids[i], uids[n]);
		n++;
	}
	assert_int_equal(n, geteuid() == 0 ? 3 : 0);
	stop_all(x);
	/* the helper, idle, may have leased a freed uid ahead for its next
	 * spawn since: that lease is nobody's worker's.  Then this process
	 * holds none of the three: each lease was closed at its worker's
	 * reaping.  (Whether anyone holds it is not asked: another helper on
	 * the machine, another test suite running as root, may lease a
	 * freed uid at once, and did under load.) */
	uidpool_drop_spare();
	for (int i = 0; i < n; i++)
		assert_int_equal(hx_lease_held_here(uids[i]), 0);
	hx_free(x);
}

/* pool 0: nothing started ahead, no pool made: as before the pool. */
static void pool_size_0_starts_no_worker_ahead(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "cold", .main = wait_main};
	pid_t a;
	(void)state;
	a = privsep_worker_pid(spawn_ok(x, &sp));
	wait_here(x, 1);
	for (int i = 0; i < 5; i++)
		privsep_helper_step(x->h, 10);
	assert_null(x->h->pools);
	assert_int_equal(registered(x->h), 1);
	assert_int_not_equal(privsep_worker_pid(spawn_ok(x, &sp)), a);
	wait_here(x, 2);
	assert_int_equal(registered(x->h), 2);
	assert_int_equal(pool_idle(x->h), 0);
	stop_all(x);
	hx_free(x);
}

/* A restart of a spawn with a pool is handed the pooled worker. */
static void a_restart_is_handed_a_pooled_worker(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "restarted",
	                           .main = fail_main,
	                           .pool = 1,
	                           .restart_max = 1,
	                           .restart_backoff_ms = 1,
	                           .slot = 7};
	struct privsep_worker *a;
	pid_t p;
	(void)state;
	a = spawn_ok(x, &sp);
	wait_here(x, 1);
	wait_idle(x, 1);
	p = idle_pid(x->h);
	/* the worker fails; its restart is the pooled one */
	assert_int_equal(privsep_worker_post(a, &(struct privsep_out){.type = T_GO}), 0);
	PUMP_WHILE(x->h, x->restarted < 1, 20000);
	assert_int_equal(x->restarted, 1);
	assert_int_equal(x->last_restarted_slot, 7);
	wait_here(x, 2);
	assert_int_equal(here_pid[1], p);
	stop_all(x);
	hx_free(x);
}

/* A pooled worker's program that sends before its READY is answered
 * (pool_rogue.c) holds no permit then: the record is a violation, the
 * worker is killed, and the application never sees it; a spawn is
 * never handed one. */
static void a_pooled_worker_that_sends_before_its_start_is_killed(void **state)
{
	struct hx *x = new_helper();
	const char *argv[] = {"pool_rogue", PRIVSEP_EXEC_MARKER, NULL};
	struct privsep_exec ex = {.fd = privsep_exec_open(POOL_ROGUE), .argv = argv};
	struct privsep_spawn sp = {.name = "rogue", .exec = &ex, .pool = 1};
	struct privsep_worker *a;
	char ll[256];
	(void)state;
	privsep_sandbox_describe(ll, sizeof(ll));
	if (strstr(ll, "not available"))
		skip(); /* exec mode needs Landlock; test_exec says what holds without */
	assert_true(ex.fd >= 0);
	/* the first one, started cold, is answered at once and served */
	a = spawn_ok(x, &sp);
	PUMP_WHILE(x->h, !privsep_worker_ready(a), 60000);
	assert_true(privsep_worker_ready(a));
	/* the pooled one sends before its start: killed, not handed out */
	PUMP_WHILE(x->h, !hx_logged(x, "a pooled worker is gone before it was handed out"), 20000);
	assert_true(hx_logged(x, "not-permitted"));
	assert_true(hx_logged(x, "a pooled worker is gone before it was handed out"));
	assert_int_equal(pool_idle(x->h), 0);
	assert_int_equal(x->gone, 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 1);
	stop_all(x);
	close(ex.fd);
	hx_free(x);
}

/* Refused, not started: a pool of unsandboxed workers (no READY to hold
 * them at), and one over the most. */
static void a_pool_that_cannot_hold_its_workers_is_refused(void **state)
{
	struct hx *x = new_helper();
	struct privsep_spawn sp = {.name = "bare", .main = wait_main, .pool = 1, .unsandboxed = 1};
	(void)state;
	errno = 0;
	assert_null(privsep_spawn(x->h, &sp));
	assert_int_equal(errno, EINVAL);
	sp.unsandboxed = 0;
	sp.pool = POOL_MAX + 1;
	errno = 0;
	assert_null(privsep_spawn(x->h, &sp));
	assert_int_equal(errno, EINVAL);
	assert_int_equal(registered(x->h), 0);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_pooled_worker_is_handed_out_once_and_runs_no_main_before),
	    cmocka_unit_test(a_pooled_worker_that_dies_is_replaced_and_never_handed_out),
	    cmocka_unit_test(a_pooled_worker_holds_nothing_of_a_previous_worker),
	    cmocka_unit_test(pooled_workers_hold_their_own_uid_leases_until_reaped),
	    cmocka_unit_test(pool_size_0_starts_no_worker_ahead),
	    cmocka_unit_test(a_restart_is_handed_a_pooled_worker),
	    cmocka_unit_test(a_pooled_worker_that_sends_before_its_start_is_killed),
	    cmocka_unit_test(a_pool_that_cannot_hold_its_workers_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
