/* SPDX-License-Identifier: ISC */
/*
 * test_selfcheck.c - a worker runs application code only once the helper
 * has read from the kernel (/proc/PID/status) that each sandbox step is in
 * force, whatever the code that took the steps reported.
 *
 * This program is linked with -Wl,--wrap=filter_load and
 * --wrap=filter_load_listener: the sandbox's call to load the filter (with
 * the listener the helper hears violations on) goes through the wrappers
 * below, which can
 * report success without loading anything (what a daemon's own
 * filter_load did before the library hid its internal names), or load one
 * filter more than the policy's.  The helper must catch both before the worker's main.
 */
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "filter.h"
#include "harness.h"

int __real_filter_load(const struct filter_prog *prog);
int __wrap_filter_load(const struct filter_prog *prog);
int __real_filter_load_listener(const struct filter_prog *prog);
int __wrap_filter_load_listener(const struct filter_prog *prog);

/* 0: load as asked; 1: load nothing and say it worked; 2: load one more;
 * 3: load it, but hand the helper another fd than its listener */
static int fake;

int __wrap_filter_load(const struct filter_prog *prog)
{
	if (fake == 1)
		return 0;
	if (fake == 2) {
		/* one more filter first, allowing everything */
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct filter_prog extra = {&allow, 1};
		if (__real_filter_load(&extra) < 0)
			return -1;
	}
	return __real_filter_load(prog);
}

int __wrap_filter_load_listener(const struct filter_prog *prog)
{
	/* nothing loaded: an fd that is no listener (the helper refuses
	 * it) stands for the one a load would have made */
	if (fake == 1)
		return dup(0);
	if (fake == 2) {
		struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
		struct filter_prog extra = {&allow, 1};
		if (__real_filter_load(&extra) < 0)
			return -1;
	}
	if (fake == 3) {
		/* the filter in force, but another fd sent for its listener
		 * (made first: once the listener is closed, the filter
		 * refuses dup with ENOSYS) */
		int other = dup(0), fd = __real_filter_load_listener(prog);
		if (fd < 0)
			return -1;
		close(fd);
		return other;
	}
	return __real_filter_load_listener(prog);
}

#define T_MAIN_RAN 0x10000u
#define T_EV 0x10001u

static atomic_int main_ran;

static int h_main_ran(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	main_ran = 1;
	return 0;
}

static uint32_t ev_next;
static int ev_in_order = 1;

/* In the worker: each event must be the next number. */
static int h_ev(struct privsep_req *req, void *arg)
{
	uint32_t v;
	(void)arg;
	memcpy(&v, req->data, 4);
	ev_in_order &= v == ev_next++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_MAIN_RAN,
     .name = "MAIN_RAN",
     .max_len = 4,
     .flags = PRIVSEP_H_POST,
     .fn = h_main_ran},
    {.type = T_EV, .name = "EV", .min_len = 4, .max_len = 4, .flags = PRIVSEP_H_EVENT, .fn = h_ev},
};

/* Application code: says it ran, then whether the events came in order. */
static int app_main(struct privsep_client *c, void *arg)
{
	uint32_t n = (uint32_t)(uintptr_t)arg;
	if (privsep_client_post(c, &(struct privsep_out){.type = T_MAIN_RAN}) < 0)
		return 10;
	while (ev_next < n)
		if (privsep_client_dispatch(c, 5000) <= 0)
			return 11;
	return ev_in_order ? 0 : 12;
}

/* Spawn under the default policy with the given fake; the worker's end. */
static struct privsep_exit_info spawn_with(int how, struct hx **xp)
{
	struct hx *x = hx_new(table, 2, 0);
	struct privsep_spawn sp = {.name = "checked", .main = app_main};
	struct privsep_worker *w;
	fake = how;
	main_ran = 0;
	w = privsep_spawn(x->h, &sp);
	fake = 0;
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 1, 10000));
	*xp = x;
	return x->last_exit;
}

static void a_filter_reported_loaded_but_not_in_force_stops_the_worker_before_its_main(void **s)
{
	struct hx *x;
	struct privsep_exit_info e;
	(void)s;
	if (under_valgrind())
		skip();
	e = spawn_with(1, &x);
	assert_false(main_ran);
	assert_int_equal(e.kind, PRIVSEP_EXIT_SANDBOX);
	assert_int_equal(e.step, PRIVSEP_SB_STEP_SECCOMP);
	assert_non_null(strstr(e.line, "sandbox step 11 (seccomp) failed, application code never "
	                               "ran: not in force when the worker said READY"));
	assert_non_null(strstr(e.line, "Seccomp is 0, not 2"));
	hx_free(x);
}

static void a_filter_count_other_than_loaded_stops_the_worker_before_its_main(void **s)
{
	struct hx *x;
	struct privsep_exit_info e;
	(void)s;
	if (under_valgrind())
		skip();
	e = spawn_with(2, &x);
	assert_false(main_ran);
	assert_int_equal(e.kind, PRIVSEP_EXIT_SANDBOX);
	assert_int_equal(e.step, PRIVSEP_SB_STEP_SECCOMP);
	assert_non_null(strstr(e.line, "Seccomp_filters is"));
	hx_free(x);
}

static void a_listener_that_never_reached_the_helper_stops_the_worker_before_its_main(void **s)
{
	struct hx *x;
	struct privsep_exit_info e;
	(void)s;
	if (under_valgrind())
		skip();
	e = spawn_with(3, &x);
	assert_false(main_ran);
	assert_int_equal(e.kind, PRIVSEP_EXIT_SANDBOX);
	assert_int_equal(e.step, PRIVSEP_SB_STEP_SECCOMP);
	assert_non_null(strstr(e.line, "the filter's listener did not reach the helper"));
	hx_free(x);
}

static void a_worker_whose_steps_are_in_force_runs_its_main(void **s)
{
	struct hx *x;
	struct privsep_exit_info e;
	(void)s;
	if (under_valgrind())
		skip();
	e = spawn_with(0, &x);
	assert_true(main_ran);
	assert_int_equal(e.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(e.status, 0);
	hx_free(x);
}

/* Events posted right after the spawn wait until READY is answered (the
 * worker's framework code reads only that answer), then all arrive, in
 * order. */
static void events_posted_before_ready_arrive_after_it_in_order(void **s)
{
	enum { N = 100 };
	struct hx *x = hx_new(table, 2, 0);
	struct privsep_spawn sp = {.name = "early", .main = app_main, .arg = (void *)(uintptr_t)N};
	struct privsep_worker *w;
	(void)s;
	if (under_valgrind())
		skip();
	main_ran = 0;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	for (uint32_t i = 0; i < N; i++)
		assert_int_equal(privsep_worker_post(
		                     w, &(struct privsep_out){.type = T_EV, .data = &i, .len = 4}),
		                 0);
	assert_false(privsep_worker_ready(w));
	assert_int_equal(privsep_worker_queued(w), N);
	assert_true(hx_pump_gone(x, 1, 10000));
	assert_true(main_ran);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_filter_reported_loaded_but_not_in_force_stops_the_worker_before_its_main),
	    cmocka_unit_test(a_filter_count_other_than_loaded_stops_the_worker_before_its_main),
	    cmocka_unit_test(
	        a_listener_that_never_reached_the_helper_stops_the_worker_before_its_main),
	    cmocka_unit_test(a_worker_whose_steps_are_in_force_runs_its_main),
	    cmocka_unit_test(events_posted_before_ready_arrive_after_it_in_order),
	};
	return cmocka_run_group_tests_name("selfcheck", tests, NULL, NULL);
}
