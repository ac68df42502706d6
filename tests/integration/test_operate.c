/* SPDX-License-Identifier: ISC */
/*
 * test_operate.c - operating a running helper: signals an application
 * takes (privsep_helper_on_signal), and a worker replaced by a new one
 * without a moment with neither (privsep_worker_replace): the new one
 * takes over only once it is ready; a replacement that cannot start
 * leaves the old worker as it was, restart policy included.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"

/* ---- signals ---- */

static void on_usr1(struct privsep_helper *h, int signo, void *arg)
{
	atomic_int *n = arg;
	(void)h;
	assert_int_equal(signo, SIGUSR1);
	atomic_fetch_add(n, 1);
}

static void taken_signals_run_in_the_loop_and_an_ignored_one_does_nothing(void **s)
{
	atomic_int *n =
	    mmap(NULL, sizeof(*n), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int ready[2], status;
	char c;
	pid_t pid;
	(void)s;
	assert_true(n != MAP_FAILED);
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct privsep_helper *h = privsep_helper_new(NULL, 0, NULL);
		if (!h || privsep_helper_signals(h, NULL, NULL) < 0 ||
		    privsep_helper_on_signal(h, SIGUSR1, on_usr1, n) < 0 ||
		    privsep_helper_on_signal(h, SIGUSR2, NULL, NULL) < 0 ||
		    privsep_helper_on_signal(h, SIGPIPE, NULL, NULL) < 0)
			_exit(10);
		/* what must not be taken: a fault, and the ones with a meaning */
		if (privsep_helper_on_signal(h, SIGSEGV, NULL, NULL) != -1 || errno != EINVAL ||
		    privsep_helper_on_signal(h, SIGKILL, NULL, NULL) != -1 ||
		    privsep_helper_on_signal(h, SIGTERM, NULL, NULL) != -1 ||
		    privsep_helper_on_signal(h, SIGCHLD, NULL, NULL) != -1)
			_exit(11);
		if (write(ready[1], "r", 1) != 1)
			_exit(12);
		while (!privsep_helper_stop_signal(h))
			if (privsep_helper_step(h, 10000) < 0)
				_exit(13);
		privsep_helper_free(h);
		_exit(0);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	kill(pid, SIGUSR2); /* ignored */
	kill(pid, SIGPIPE); /* ignored */
	kill(pid, SIGUSR1);
	for (int i = 0; i < 1000 && atomic_load(n) < 1; i++)
		usleep(10000);
	assert_int_equal(atomic_load(n), 1);
	kill(pid, SIGUSR1);
	for (int i = 0; i < 1000 && atomic_load(n) < 2; i++)
		usleep(10000);
	assert_int_equal(atomic_load(n), 2);
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	munmap(n, sizeof(*n));
}

/* ---- replacing a worker ---- */

/* Serves until its channel closes, then exits 0. */
static int serve_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	while (privsep_client_dispatch(c, -1) >= 0)
		;
	return 0;
}

static int step_until_ready(struct hx *x, struct privsep_worker *w)
{
	PUMP_WHILE(x->h, !privsep_worker_ready(w), 60000);
	return privsep_worker_ready(w);
}

static void a_replacement_takes_over_only_once_ready_and_the_old_one_is_not_restarted(void **s)
{
	struct hx *x;
	struct privsep_spawn sp = {.name = "gen1",
	                           .main = serve_main,
	                           .restart_max = PRIVSEP_RESTART_FOREVER,
	                           .restart_backoff_ms = 5,
	                           .slot = 7};
	struct privsep_worker *old, *w;
	struct privsep_stats st = {.size = sizeof(st)};
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	x = hx_new(NULL, 0, 0);
	old = privsep_spawn(x->h, &sp);
	assert_non_null(old);
	assert_true(step_until_ready(x, old));
	sp.name = "gen2";
	w = privsep_worker_replace(old, &sp);
	assert_non_null(w);
	/* a second replacement of the same worker, or of the replacement */
	assert_null(privsep_worker_replace(old, &sp));
	assert_int_equal(errno, EBUSY);
	assert_null(privsep_worker_replace(w, &sp));
	assert_int_equal(errno, EBUSY);
	/* both attached, the old one serving, until the new one is ready */
	assert_int_equal(privsep_helper_nworkers(x->h), 2);
	assert_false(privsep_worker_ready(w));
	assert_int_equal(privsep_worker_slot(w), 7);
	assert_true(step_until_ready(x, w));
	assert_true(hx_logged(x, "replaced by \"gen2\""));
	/* the old one's channel closed: it exits 0, not restarted */
	assert_true(hx_pump_gone(x, 1, 10000));
	assert_string_equal(x->last_gone, "gen1");
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	for (int i = 0; i < 20; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->restarted, 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 1);
	/* the new one has the restart policy now: killed, it comes back */
	kill(privsep_worker_pid(w), SIGKILL);
	assert_true(hx_pump_gone(x, 2, 10000));
	for (int i = 0; i < 500 && !x->restarted; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->restarted, 1);
	assert_string_equal(x->last_restarted, "gen2");
	assert_int_equal(x->last_restarted_slot, 7);
	assert_int_equal(privsep_helper_stats(x->h, &st), 0);
	assert_int_equal(st.restarts, 1);
	/* the slot's count goes on across a replacement */
	{
		struct privsep_worker *r = x->h->workers, *n;
		struct privsep_stats ws = {.size = sizeof(ws)};
		assert_non_null(r);
		assert_true(step_until_ready(x, r));
		sp.name = "gen3";
		n = privsep_worker_replace(r, &sp);
		assert_non_null(n);
		assert_true(step_until_ready(x, n));
		assert_int_equal(privsep_worker_stats(n, &ws), 0);
		assert_int_equal(ws.restarts, 1);
	}
	hx_free(x);
}

static void a_replacement_that_cannot_start_leaves_the_old_worker_as_it_was(void **s)
{
	struct hx *x;
	struct privsep_sandbox bad = {.policy = "broken",
	                              .policy_text = "version 1\nallow no_such_syscall\n"};
	struct privsep_spawn sp = {.name = "keeper",
	                           .main = serve_main,
	                           .restart_max = PRIVSEP_RESTART_FOREVER,
	                           .restart_backoff_ms = 5};
	struct privsep_worker *old;
	(void)s;
	if (under_valgrind())
		skip();
	x = hx_new(NULL, 0, 0);
	old = privsep_spawn(x->h, &sp);
	assert_non_null(old);
	assert_true(step_until_ready(x, old));
	sp.sandbox = &bad;
	errno = 0;
	assert_null(privsep_worker_replace(old, &sp));
	assert_int_equal(errno, EINVAL);
	assert_true(hx_logged(x, "no_such_syscall"));
	/* untouched: still serving, and another replacement may come */
	assert_int_equal(privsep_helper_nworkers(x->h), 1);
	for (int i = 0; i < 20; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->gone, 0);
	/* its own restart policy still applies */
	kill(privsep_worker_pid(old), SIGKILL);
	assert_true(hx_pump_gone(x, 1, 10000));
	for (int i = 0; i < 500 && !x->restarted; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->restarted, 1);
	assert_string_equal(x->last_restarted, "keeper");
	hx_free(x);
}

struct replaced {
	struct privsep_worker *old, *w;
	int calls;
};

static void on_replaced(struct privsep_worker *old, struct privsep_worker *w, void *arg)
{
	struct replaced *r = arg;
	r->old = old;
	r->w = w;
	r->calls++;
}

static void the_application_ends_a_replaced_worker_its_own_way(void **s)
{
	struct replaced r = {0};
	struct privsep_helper_config cfg = {.on_worker_replaced = on_replaced, .replaced_arg = &r};
	struct hx *x;
	struct privsep_spawn sp = {.name = "first", .main = serve_main};
	struct privsep_worker *old, *w;
	(void)s;
	if (under_valgrind())
		skip();
	x = hx_new_cfg(NULL, 0, &cfg);
	old = privsep_spawn(x->h, &sp);
	assert_non_null(old);
	assert_true(step_until_ready(x, old));
	sp.name = "second";
	w = privsep_worker_replace(old, &sp);
	assert_non_null(w);
	assert_true(step_until_ready(x, w));
	assert_int_equal(r.calls, 1);
	assert_ptr_equal(r.old, old);
	assert_ptr_equal(r.w, w);
	/* the helper left it to the application: the old one still serves */
	for (int i = 0; i < 20; i++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(x->gone, 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 2);
	privsep_worker_stop(old);
	assert_true(hx_pump_gone(x, 1, 10000));
	assert_string_equal(x->last_gone, "first");
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(taken_signals_run_in_the_loop_and_an_ignored_one_does_nothing),
	    cmocka_unit_test(
	        a_replacement_takes_over_only_once_ready_and_the_old_one_is_not_restarted),
	    cmocka_unit_test(a_replacement_that_cannot_start_leaves_the_old_worker_as_it_was),
	    cmocka_unit_test(the_application_ends_a_replaced_worker_its_own_way),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
