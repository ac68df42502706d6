/* SPDX-License-Identifier: ISC */
/*
 * test_stats.c - privsep_helper_stats and privsep_worker_stats: what the
 * helper counts (calls, refusals, violations, restarts, queue depth,
 * bytes in and out, uptime), per worker and in total, the workers gone
 * included; and the size field that lets the struct grow.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "testapp.h"

static struct privsep_stats stats_of(const struct privsep_helper *h)
{
	struct privsep_stats st = {.size = sizeof(st)};
	assert_int_equal(privsep_helper_stats(h, &st), 0);
	assert_int_equal(st.size, sizeof(st));
	return st;
}

static void calls_refusals_and_bytes_are_counted_per_worker_and_in_total(void **s)
{
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "counted", 0);
	struct privsep_worker *w = NULL;
	struct privsep_stats st, ws = {.size = sizeof(ws)};
	struct hx_bg bg;
	(void)s;
	for (int i = 0; i < 3; i++) {
		hx_bg_call(&bg, c, PRIVSEP_T_PING, "abcd", 4);
		assert_int_equal(hx_bg_wait(x, &bg), 0);
	}
	hx_bg_call(&bg, c, T_DENY, NULL, 0);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	st = stats_of(x->h);
	assert_int_equal(st.calls, 4);
	assert_int_equal(st.refusals, 1);
	assert_int_equal(st.violations, 0);
	assert_int_equal(st.workers, 1);
	/* in: three pings of 16 + 4 bytes, the denied call's header */
	assert_int_equal(st.bytes_in, 3 * 20 + 16);
	/* out: three echoes (header, error 0, 4 bytes), one error reply
	 * (header, errno, the detail as a string with its NUL) */
	assert_int_equal(st.bytes_out, 3 * (16 + 4 + 4) + 16 + 4 + 4 +
	                                   strlen("denied by rule 3 (test.policy:7)") + 1);
	assert_int_equal(st.queued, 0);
	assert_true(st.uptime_ms < 3600 * 1000);
	/* the worker's own view: the same numbers, as it is the only one */
	{
		int sock = hx_attach_raw(x, "raw", &w);
		struct privsep_stats t;
		uint8_t rec[64];
		size_t len = rec_make(rec, PRIVSEP_T_PING, 9, "xy", 2, 0);
		assert_true(sock >= 0);
		assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
		privsep_helper_step(x->h, 1000);
		assert_int_equal(privsep_worker_stats(w, &ws), 0);
		assert_int_equal(ws.calls, 1);
		assert_int_equal(ws.bytes_in, 18);
		assert_int_equal(ws.bytes_out, 16 + 4 + 2);
		assert_int_equal(ws.workers, 1);
		t = stats_of(x->h);
		assert_int_equal(t.calls, 5);
		assert_int_equal(t.workers, 2);
		/* a violation: the worker is killed, its counts stay in the total */
		assert_int_equal(send(sock, "x", 1, MSG_NOSIGNAL), 1);
		assert_true(hx_pump_gone(x, 1, 5000));
		t = stats_of(x->h);
		assert_int_equal(t.violations, 1);
		assert_int_equal(t.calls, 5);
		assert_int_equal(t.bytes_in, st.bytes_in + 18 + 1);
		assert_int_equal(t.workers, 1);
		close(sock);
	}
	privsep_client_free(c);
	assert_true(hx_pump_gone(x, 2, 5000));
	st = stats_of(x->h);
	assert_int_equal(st.calls, 5);
	assert_int_equal(st.refusals, 1);
	assert_int_equal(st.workers, 0);
	hx_free(x);
}

static const struct privsep_handler ev_table[] = {
    {.type = PRIVSEP_TYPE_APP_MIN + 1, .name = "ev", .max_len = 1024, .flags = PRIVSEP_H_EVENT},
};

static void the_queue_depth_is_what_waits_for_a_full_socket(void **s)
{
	struct privsep_helper_config cfg = {.queue_max = 4096};
	struct hx *x = hx_new_cfg(ev_table, 1, &cfg);
	struct privsep_worker *w = NULL;
	struct privsep_stats st, ws = {.size = sizeof(ws)};
	static const uint8_t body[1024];
	int sock = hx_attach_raw(x, "slow", &w);
	(void)s;
	assert_true(sock >= 0);
	/* nobody reads sock: the socket fills, then the queue */
	for (int i = 0; i < 100000 && privsep_worker_queued(w) < 10; i++)
		assert_int_equal(
		    privsep_worker_post(w, &(struct privsep_out){.type = ev_table[0].type,
		                                                 .data = body,
		                                                 .len = sizeof(body)}),
		    0);
	assert_int_equal(privsep_worker_queued(w), 10);
	st = stats_of(x->h);
	assert_int_equal(st.queued, 10);
	assert_int_equal(privsep_worker_stats(w, &ws), 0);
	assert_int_equal(ws.queued, 10);
	/* every event counts as sent or queued */
	assert_int_equal(ws.bytes_out % (16 + sizeof(body)), 0);
	assert_true(ws.bytes_out / (16 + sizeof(body)) > 10);
	close(sock);
	hx_free(x);
}

/* Fails the first two times, then serves until its channel closes; the
 * count in memory shared with the test. */
static int third_time_lucky(struct privsep_client *c, void *arg)
{
	atomic_int *runs = arg;
	if (atomic_fetch_add(runs, 1) < 2)
		return 1;
	while (privsep_client_dispatch(c, -1) >= 0)
		;
	return 0;
}

static void restarts_are_counted_per_slot_and_in_total(void **s)
{
	struct hx *x;
	atomic_int *runs =
	    mmap(NULL, sizeof(*runs), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct privsep_spawn sp = {.name = "lucky",
	                           .main = third_time_lucky,
	                           .arg = runs,
	                           .restart_max = 5,
	                           .restart_backoff_ms = 5};
	struct privsep_stats st, ws = {.size = sizeof(ws)};
	struct privsep_worker *first;
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	x = hx_new(NULL, 0, 0);
	assert_true(runs != MAP_FAILED);
	first = privsep_spawn(x->h, &sp);
	assert_non_null(first);
	assert_int_equal(privsep_worker_stats(first, &ws), 0);
	assert_int_equal(ws.restarts, 0);
	assert_true(hx_pump_gone(x, 2, 10000));
	/* the third start is the second restart, and serves */
	PUMP_WHILE(x->h, !(x->h->workers && privsep_worker_ready(x->h->workers)), 60000);
	assert_non_null(x->h->workers);
	st = stats_of(x->h);
	assert_int_equal(st.restarts, 2);
	assert_int_equal(st.workers, 1);
	assert_int_equal(st.ready, 1);
	assert_int_equal(st.violations, 0);
	assert_int_equal(privsep_worker_stats(x->h->workers, &ws), 0);
	assert_int_equal(ws.restarts, 2);
	assert_int_equal(ws.ready, 1);
	hx_free(x);
	munmap(runs, sizeof(*runs));
}

static void the_size_field_lets_the_struct_grow(void **s)
{
	struct hx *x = hx_new(NULL, 0, 0);
	struct privsep_stats st;
	(void)s;
	/* an older, smaller struct: only what fits is written */
	memset(&st, 0xa5, sizeof(st));
	st.size = offsetof(struct privsep_stats, calls) + sizeof(st.calls);
	assert_int_equal(privsep_helper_stats(x->h, &st), 0);
	assert_int_equal(st.size, offsetof(struct privsep_stats, calls) + sizeof(st.calls));
	assert_int_equal(st.calls, 0);
	assert_int_equal(st.refusals, 0xa5a5a5a5a5a5a5a5ull);
	/* a newer, larger one: what this library knows, and the size it filled */
	st.size = sizeof(st) + 64;
	assert_int_equal(privsep_helper_stats(x->h, &st), 0);
	assert_int_equal(st.size, sizeof(st));
	/* too small for any counter */
	st.size = sizeof(st.size);
	errno = 0;
	assert_int_equal(privsep_helper_stats(x->h, &st), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_helper_stats(x->h, NULL), -1);
	assert_int_equal(privsep_worker_stats(NULL, &st), -1);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(calls_refusals_and_bytes_are_counted_per_worker_and_in_total),
	    cmocka_unit_test(the_queue_depth_is_what_waits_for_a_full_socket),
	    cmocka_unit_test(restarts_are_counted_per_slot_and_in_total),
	    cmocka_unit_test(the_size_field_lets_the_struct_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
