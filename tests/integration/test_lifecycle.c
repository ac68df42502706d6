/* SPDX-License-Identifier: ISC */
/*
 * The helper's lifecycle: signals through a signalfd, a graceful stop,
 * restarts with back-off, and the helper's own capabilities.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define T_NEVER (PRIVSEP_TYPE_APP_MIN + 1)

static int never(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_NEVER, .name = "never", .flags = PRIVSEP_H_POST, .fn = never},
};

/* What the helper child and its worker tell the test, in memory shared
 * across the forks: the worker has started (so the helper's signal
 * handling is set up), the helper has handled a reload. */
struct seen {
	sem_t started, reloaded;
};

static struct seen *seen_new(void)
{
	struct seen *sn =
	    mmap(NULL, sizeof(*sn), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(sn != MAP_FAILED);
	assert_int_equal(sem_init(&sn->started, 1, 0), 0);
	assert_int_equal(sem_init(&sn->reloaded, 1, 0), 0);
	return sn;
}

/* Wait for sem with a generous bound: 1 if it was posted. */
static int seen_wait(sem_t *sem)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	while (sem_timedwait(sem, &until) < 0)
		if (errno != EINTR)
			return 0;
	return 1;
}

/* Reads from its channel until the helper closes it, then exits 0. */
static int polite_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	sem_post(&((struct seen *)arg)->started);
	while (privsep_client_ping(c, NULL, 0, &res) == 0)
		usleep(1000);
	return errno == EPIPE ? 0 : 1;
}

static int deaf_main(struct privsep_client *c, void *arg)
{
	(void)c;
	sem_post(&((struct seen *)arg)->started);
	for (;;)
		pause();
	return 0;
}

static int gone_kind[8], ngone;
static void record_gone(struct privsep_worker *w, void *arg)
{
	(void)arg;
	if (ngone < 8)
		gone_kind[ngone++] = privsep_worker_exit_info(w)->kind;
}

static int reloads;
static void on_reload(struct privsep_helper *h, void *arg)
{
	(void)h;
	reloads++;
	sem_post(&((struct seen *)arg)->reloaded);
}

/* A helper in a child process: spawns main, handles signals, serves until
 * stopped; exits 128 + the stop signal, plus 50 if a worker was killed,
 * plus 100 per reload. */
static pid_t helper_child(privsep_main_fn main, struct seen *sn)
{
	pid_t pid = fork();
	if (pid == 0) {
		struct privsep_helper_config cfg = {.on_worker_gone = record_gone};
		struct privsep_helper *h = privsep_helper_new(table, 1, &cfg);
		/* the lifecycle, not the sandbox, is under test here */
		struct privsep_spawn sp = {.name = "w", .main = main, .arg = sn, .unsandboxed = 1};
		if (!h || privsep_helper_signals(h, on_reload, sn) < 0 || !privsep_spawn(h, &sp))
			_exit(2);
		if (privsep_helper_run(h) < 0)
			_exit(3);
		int code = privsep_helper_stop_signal(h) ? 128 + privsep_helper_stop_signal(h) : 4;
		if (ngone != 1)
			_exit(5);
		privsep_helper_free(h);
		_exit(code + (gone_kind[0] == PRIVSEP_EXIT_KILLED ? 50 : 0) + 100 * reloads);
	}
	return pid;
}

static int wait_status(pid_t pid)
{
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static void sigterm_stops_the_workers_gracefully(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct seen *sn = seen_new();
	pid_t pid = helper_child(polite_main, sn);
	assert_true(seen_wait(&sn->started));
	kill(pid, SIGTERM);
	/* the worker saw its channel close and exited on its own */
	assert_int_equal(wait_status(pid), 128 + SIGTERM);
	munmap(sn, sizeof(*sn));
}

static void sigint_kills_a_worker_that_does_not_exit_after_the_grace(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct timespec a, b;
	struct seen *sn = seen_new();
	pid_t pid = helper_child(deaf_main, sn);
	assert_true(seen_wait(&sn->started));
	clock_gettime(CLOCK_MONOTONIC, &a);
	kill(pid, SIGINT);
	assert_int_equal(wait_status(pid), 128 + SIGINT + 50);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 900);
	munmap(sn, sizeof(*sn));
}

static void sighup_is_a_reload_event(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct seen *sn = seen_new();
	pid_t pid = helper_child(polite_main, sn);
	assert_true(seen_wait(&sn->started));
	kill(pid, SIGHUP);
	assert_true(seen_wait(&sn->reloaded));
	kill(pid, SIGTERM);
	assert_int_equal(wait_status(pid), 128 + SIGTERM + 100);
	munmap(sn, sizeof(*sn));
}

static int fail_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 1;
}

static void restart_policy_restarts_with_backoff_up_to_its_limit(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {
	    .name = "crashy", .main = fail_main, .restart_max = 3, .restart_backoff_ms = 20};
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(x->gone, 4);      /* the first start and three restarts */
	assert_int_equal(x->restarted, 3); /* the application heard of each */
	assert_true(hx_logged(x, "restart 1 of 3 in 20 ms"));
	assert_true(hx_logged(x, "restart 2 of 3 in 40 ms"));
	assert_true(hx_logged(x, "restart 3 of 3 in 80 ms"));
	assert_true(hx_logged(x, "restarted 3 times, the limit"));
	/* 20 + 40 + 80 ms of back-off at least */
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 140);
	hx_free(x);
}

/* Fails after 250 ms of service, three times, then exits cleanly; the
 * count lives in memory shared with the test. */
static int healthy_then_fail_main(struct privsep_client *c, void *arg)
{
	atomic_int *runs = arg;
	(void)c;
	if (atomic_fetch_add(runs, 1) >= 3)
		return 0;
	usleep(250000);
	return 1;
}

static void restart_count_starts_over_after_healthy_service(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	atomic_int *runs =
	    mmap(NULL, sizeof(*runs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(runs != MAP_FAILED);
	atomic_store(runs, 0);
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "healthy",
	                           .main = healthy_then_fail_main,
	                           .arg = runs,
	                           .unsandboxed = 1,
	                           .restart_max = 2,
	                           .restart_backoff_ms = 20,
	                           .restart_reset_ms = 100};
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	/* three failures with a limit of two: each after 250 ms of service,
	 * so each restart is the first again, at the first back-off */
	assert_int_equal(x->gone, 4);
	assert_int_equal(x->restarted, 3);
	assert_true(hx_logged(x, "restart 1 of 2 in 20 ms"));
	assert_false(hx_logged(x, "restart 2 of 2"));
	assert_false(hx_logged(x, "the limit"));
	hx_free(x);
	munmap(runs, sizeof(*runs));
}

static int ok_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static void clean_exit_and_kill_are_not_restarted(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "done",
	                           .main = ok_main,
	                           .unsandboxed = 1,
	                           .restart_max = 3,
	                           .restart_backoff_ms = 1};
	struct privsep_worker *w;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(x->gone, 1);
	assert_int_equal(x->restarted, 0);
	sp.main = deaf_main;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	privsep_worker_kill(w);
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(x->gone, 2);
	assert_int_equal(x->restarted, 0);
	hx_free(x);
}

static void stop_cancels_pending_restarts(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "crashy",
	                           .main = fail_main,
	                           .unsandboxed = 1,
	                           .restart_max = 5,
	                           .restart_backoff_ms = 10000};
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_true(hx_logged(x, "restart 1 of 5 in 10000 ms"));
	privsep_helper_stop(x->h);
	assert_int_equal(privsep_helper_run(x->h), 0); /* returns at once */
	assert_int_equal(x->gone, 1);
	hx_free(x);
}

/* What a verdict callback saw and says: each call counted, the proposal
 * and the slot of the last, and the verdict to give until `after` calls,
 * then `then`. */
struct judge {
	int calls, after;
	enum privsep_restart_verdict proposed, until, then;
	unsigned slot;
};

static enum privsep_restart_verdict judge(struct privsep_worker *w,
                                          enum privsep_restart_verdict proposed, void *arg)
{
	struct judge *j = arg;
	j->proposed = proposed;
	j->slot = privsep_worker_slot(w);
	return ++j->calls < j->after ? j->until : j->then;
}

static void a_restart_policy_without_limit_restarts_past_any_count(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	/* no limit: the framework restarts it as often as it fails; the
	 * test's own verdict ends it after 12 deaths, more than any count a
	 * limit would be tested with above */
	struct judge j = {.after = 12, .until = PRIVSEP_RESTART, .then = PRIVSEP_RESTART_GIVE_UP};
	struct privsep_spawn sp = {.name = "forever",
	                           .main = fail_main,
	                           .unsandboxed = 1,
	                           .restart_max = PRIVSEP_RESTART_FOREVER,
	                           .restart_backoff_ms = 1,
	                           .restart_verdict = judge,
	                           .verdict_arg = &j};
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(j.calls, 12);
	assert_int_equal(x->gone, 12);
	assert_int_equal(x->restarted, 11);
	assert_int_equal(j.proposed, PRIVSEP_RESTART); /* never a limit */
	assert_true(hx_logged(x, "worker \"forever\": restart 11 in "));
	assert_false(hx_logged(x, "the limit"));
	assert_true(hx_logged(x, "worker \"forever\": not restarted: the application's verdict"));
	hx_free(x);
}

/* Pings until the helper closes its channel, then exits 0. */
static int serve_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	while (privsep_client_ping(c, NULL, 0, &res) == 0)
		usleep(1000);
	return errno == EPIPE ? 0 : 1;
}

static void a_restart_verdict_gives_up_on_one_or_stops_every_worker(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	/* give up: the failed worker is not restarted, the other serves on */
	struct judge up = {.after = 1, .then = PRIVSEP_RESTART_GIVE_UP};
	struct privsep_spawn other = {.name = "other", .main = serve_main, .unsandboxed = 1};
	struct privsep_spawn sp = {.name = "crashy",
	                           .main = fail_main,
	                           .unsandboxed = 1,
	                           .restart_max = 5,
	                           .restart_backoff_ms = 1,
	                           .restart_verdict = judge,
	                           .verdict_arg = &up};
	struct privsep_worker *ow = privsep_spawn(x->h, &other);
	assert_non_null(ow);
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 5000));
	assert_int_equal(up.calls, 1);
	assert_int_equal(up.proposed, PRIVSEP_RESTART);
	assert_true(hx_logged(x, "worker \"crashy\": not restarted: the application's verdict"));
	assert_int_equal(privsep_helper_nworkers(x->h), 1); /* the other serves on */
	assert_int_equal(x->restarted, 0);
	/* stop all: the verdict on one worker stops the other too */
	struct judge stop = {.after = 1, .then = PRIVSEP_RESTART_STOP_ALL};
	sp.verdict_arg = &stop;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(stop.calls, 1);
	assert_int_equal(x->gone, 3);
	assert_int_equal(x->restarted, 0);
	assert_true(hx_logged(
	    x, "worker \"crashy\": the application's verdict on its end: stop every worker"));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS); /* "other" exited, asked */
	assert_int_equal(x->last_exit.status, 0);
	assert_int_equal(privsep_helper_stop_signal(x->h), 0);
	hx_free(x);
}

static void a_restart_verdict_cannot_bring_back_a_killed_worker(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	struct judge j = {.after = 100, .until = PRIVSEP_RESTART};
	struct seen *sn = seen_new();
	struct privsep_spawn sp = {.name = "deaf",
	                           .main = deaf_main,
	                           .arg = sn,
	                           .unsandboxed = 1,
	                           .restart_max = PRIVSEP_RESTART_FOREVER,
	                           .restart_backoff_ms = 1,
	                           .restart_verdict = judge,
	                           .verdict_arg = &j};
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	privsep_worker_kill(w);
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(j.calls, 1);
	assert_int_equal(j.proposed, PRIVSEP_RESTART_GIVE_UP);
	assert_int_equal(x->restarted, 0);
	assert_true(hx_logged(x, "worker \"deaf\": a worker killed by privsep_worker_kill is never "
	                         "restarted, whatever the application says"));
	/* a clean exit is not a failure: proposed give up, yet the
	 * application may recycle it */
	struct judge again = {
	    .after = 3, .until = PRIVSEP_RESTART, .then = PRIVSEP_RESTART_GIVE_UP};
	sp.main = ok_main;
	sp.verdict_arg = &again;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(again.calls, 3);
	assert_int_equal(again.proposed, PRIVSEP_RESTART_GIVE_UP);
	assert_int_equal(x->restarted, 2);
	munmap(sn, sizeof(*sn));
	hx_free(x);
}

static void a_restarted_worker_keeps_its_slot_and_its_name(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(table, 1, 0);
	char name[32] = "httpd 2";
	struct judge j = {.after = 100, .until = PRIVSEP_RESTART};
	struct privsep_spawn sp = {.name = name,
	                           .main = fail_main,
	                           .unsandboxed = 1,
	                           .restart_max = 2,
	                           .restart_backoff_ms = 1,
	                           .restart_verdict = judge,
	                           .verdict_arg = &j,
	                           .slot = 2};
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_int_equal(privsep_worker_slot(w), 2);
	/* the caller's buffer is reused for the next worker: the restarts
	 * keep the name they were given */
	snprintf(name, sizeof(name), "httpd 3");
	assert_int_equal(privsep_helper_run(x->h), 0);
	assert_int_equal(x->restarted, 2);
	assert_int_equal(x->last_restarted_slot, 2);
	assert_string_equal(x->last_restarted, "httpd 2");
	assert_int_equal(j.slot, 2); /* the verdict too knew which slot */
	assert_string_equal(x->last_gone, "httpd 2");
	assert_true(hx_logged(x, "worker \"httpd 2\": restarted 2 times, the limit"));
	assert_false(hx_logged(x, "httpd 3"));
	hx_free(x);
}

/* Waits for the test's word (sem started), then fails. */
static int fail_when_told_main(struct privsep_client *c, void *arg)
{
	(void)c;
	return seen_wait(&((struct seen *)arg)->started) ? 1 : 2;
}

/* A confined helper starts no fork-mode worker (its main would run in
 * the spawner's copy of the helper's old memory; exec-mode workers go
 * through the spawner, test_spawner.c): their restart policies give up,
 * each saying why, and the verdict's way out is to stop every worker,
 * for a supervisor to start the whole daemon again. */
static void a_confined_helper_restarts_nothing_and_its_verdict_can_stop_all(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	struct seen *sn = seen_new();
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hx *x = hx_new(table, 1, 0);
		struct judge j = {
		    .after = 2, .until = PRIVSEP_RESTART, .then = PRIVSEP_RESTART_STOP_ALL};
		struct privsep_spawn other = {
		    .name = "other", .main = serve_main, .unsandboxed = 1};
		struct privsep_spawn sp = {.name = "crashy",
		                           .main = fail_when_told_main,
		                           .arg = sn,
		                           .unsandboxed = 1,
		                           .restart_max = 5,
		                           .restart_backoff_ms = 1,
		                           .restart_verdict = judge,
		                           .verdict_arg = &j};
		if (!x || !privsep_spawn(x->h, &other) || !privsep_spawn(x->h, &sp) ||
		    !privsep_spawn(x->h, &sp))
			_exit(2);
		if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0)
			_exit(3);
		/* no spawn: EPERM, and the line says what it would need */
		errno = 0;
		if (privsep_spawn(x->h, &other) || errno != EPERM ||
		    !hx_logged(x, "worker \"other\": not started: the helper is confined, and a "
		                  "fork-mode worker's main would run in the spawner's copy"))
			_exit(4);
		sem_post(&sn->started);
		sem_post(&sn->started);
		if (privsep_helper_run(x->h) < 0)
			_exit(5);
		if (j.calls != 2)
			_exit(6);
		if (j.proposed != PRIVSEP_RESTART_GIVE_UP) /* never a restart, though failed */
			_exit(7);
		if (!hx_logged(x, "worker \"crashy\": not restarted: the helper is confined (after "
		                  "privsep_helper_confine only exec-mode workers start"))
			_exit(8);
		if (!hx_logged(x, "worker \"crashy\": the application's verdict on its end: stop "
		                  "every worker"))
			_exit(9);
		if (x->gone != 3 || x->restarted != 0)
			_exit(10);
		_exit(0);
	}
	assert_int_equal(wait_status(pid), 0);
	munmap(sn, sizeof(*sn));
}

static void helper_keeps_only_the_capabilities_it_names(void **s)
{
	(void)s;
	pid_t pid;
	if (geteuid() != 0 || under_valgrind())
		skip(); /* needs root, and a sandbox (valgrind has no seccomp) */
	pid = fork();
	if (pid == 0) {
		const char *keep[] = {"cap_dac_read_search"};
		const char *bad[] = {"cap_no_such_thing"};
		char buf[4096];
		int fd;
		ssize_t n;
		if (privsep_helper_keep_caps(bad, 1) != -1 || errno != EINVAL)
			_exit(10);
		if (privsep_helper_keep_caps(keep, 1) != 0)
			_exit(11);
		fd = open("/proc/self/status", O_RDONLY);
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		if (!strstr(buf, "CapPrm:\t0000000000000004\n") ||
		    !strstr(buf, "CapEff:\t0000000000000004\n") ||
		    !strstr(buf, "CapBnd:\t0000000000000004\n") ||
		    !strstr(buf, "CapInh:\t0000000000000000\n") ||
		    !strstr(buf, "CapAmb:\t0000000000000000\n"))
			_exit(12);
		/* and nothing comes back */
		const char *all[] = {"cap_sys_admin"};
		if (privsep_helper_keep_caps(all, 1) == 0)
			_exit(13);
		/* a helper that gave up what spawning needs cannot start a
		 * worker, and says what it lacks */
		struct hx *x = hx_new(table, 1, 0);
		struct privsep_spawn sp = {.name = "w", .main = ok_main};
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(14);
		if (x->last_exit.kind != PRIVSEP_EXIT_SANDBOX ||
		    !strstr(x->last_exit.line, "the helper needs cap_sys_admin"))
			_exit(15);
		_exit(0);
	}
	assert_int_equal(wait_status(pid), 0);
}

/* A sandbox that says it keeps fds but gives none is a bad argument:
 * EINVAL, never a NULL dereference in the helper. */
static void kept_fds_counted_but_not_given_are_einval(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.keep_fds = NULL, .nkeep = 1};
	struct privsep_spawn sp = {.name = "nokeep", .main = fail_main, .sandbox = &sb};
	errno = 0;
	assert_null(privsep_spawn(x->h, &sp));
	assert_int_equal(errno, EINVAL);
	hx_free(x);
}

/* privsep.h: privsep_spawn fails with EINVAL for a sandbox that cannot be
 * prepared; an unknown user is one (nothing is forked for it). */
static void an_unknown_user_is_einval(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.user = "no-such-user-of-privsep"};
	struct privsep_spawn sp = {.name = "nouser", .main = fail_main, .sandbox = &sb};
	errno = 0;
	assert_null(privsep_spawn(x->h, &sp));
	assert_int_equal(errno, EINVAL);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(kept_fds_counted_but_not_given_are_einval),
	    cmocka_unit_test(an_unknown_user_is_einval),
	    cmocka_unit_test(sigterm_stops_the_workers_gracefully),
	    cmocka_unit_test(sigint_kills_a_worker_that_does_not_exit_after_the_grace),
	    cmocka_unit_test(sighup_is_a_reload_event),
	    cmocka_unit_test(restart_policy_restarts_with_backoff_up_to_its_limit),
	    cmocka_unit_test(restart_count_starts_over_after_healthy_service),
	    cmocka_unit_test(clean_exit_and_kill_are_not_restarted),
	    cmocka_unit_test(stop_cancels_pending_restarts),
	    cmocka_unit_test(a_restart_policy_without_limit_restarts_past_any_count),
	    cmocka_unit_test(a_restart_verdict_gives_up_on_one_or_stops_every_worker),
	    cmocka_unit_test(a_restart_verdict_cannot_bring_back_a_killed_worker),
	    cmocka_unit_test(a_restarted_worker_keeps_its_slot_and_its_name),
	    cmocka_unit_test(a_confined_helper_restarts_nothing_and_its_verdict_can_stop_all),
	    cmocka_unit_test(helper_keeps_only_the_capabilities_it_names),
	};
	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
