/* SPDX-License-Identifier: ISC */
/*
 * test_contract_loop.c - the error contract (API 1.0: -1 with errno) of
 * the event-loop calls whose failures need the kernel to fail:
 * privsep_helper_step and privsep_helper_run (epoll_wait), and
 * privsep_helper_signals (signalfd), made to fail through --wrap; and of
 * privsep_client_flush and privsep_client_dispatch, whose failures a full
 * or closed channel gives.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan.h"
#include "helper_int.h"
#include "testapp.h"

/* ---- kernel calls that fail on demand (linked with --wrap) ---- */

int __real_epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout);
int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout);
int __real_signalfd(int fd, const sigset_t *mask, int flags);
int __wrap_signalfd(int fd, const sigset_t *mask, int flags);
static int fail_epoll, fail_signalfd; /* the errno to fail with, 0: none */

int __wrap_epoll_wait(int epfd, struct epoll_event *ev, int n, int timeout)
{
	if (fail_epoll) {
		errno = fail_epoll;
		return -1;
	}
	return __real_epoll_wait(epfd, ev, n, timeout);
}

int __wrap_signalfd(int fd, const sigset_t *mask, int flags)
{
	if (fail_signalfd) {
		errno = fail_signalfd;
		return -1;
	}
	return __real_signalfd(fd, mask, flags);
}

#define FAILS_WITH(expr, want_errno)                                                               \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long got_ = (long long)(expr);                                                \
		int err_ = errno;                                                                  \
		if (got_ != -1 || err_ != (want_errno))                                            \
			fail_msg("%s: %lld errno %d (%s), want -1 and %d (%s)", #expr, got_, err_, \
			         strerror(err_), (want_errno), strerror(want_errno));              \
	} while (0)

static void the_helpers_loop_fails_with_minus_one_and_the_kernels_errno(void **state)
{
	(void)state;
	struct privsep_helper *h = privsep_helper_new(testapp_table, testapp_n, NULL);
	assert_non_null(h);
	fail_epoll = EBADF;
	FAILS_WITH(privsep_helper_step(h, 0), EBADF);
	fail_epoll = 0;
	assert_int_equal(privsep_helper_step(h, 0), 0); /* no worker: 0, not a failure */

	/* run with a worker attached, so that it waits (and fails) */
	int sv[2];
	assert_int_equal(chan_pair(sv), 0);
	struct privsep_client *c = privsep_client_new(sv[1], NULL);
	assert_non_null(c);
	struct privsep_helper *h2 = privsep_helper_new(testapp_table, testapp_n, NULL);
	assert_non_null(h2);
	assert_non_null(helper_attach(h2, sv[0], -1, getpid(), "loop"));
	fail_epoll = ENOMEM;
	FAILS_WITH(privsep_helper_run(h2), ENOMEM);
	fail_epoll = 0;

	fail_signalfd = EMFILE;
	FAILS_WITH(privsep_helper_signals(h, NULL, NULL), EMFILE);
	fail_signalfd = 0;
	privsep_helper_free(h2);
	privsep_client_free(c);
	privsep_helper_free(h);
}

static void the_clients_flush_and_dispatch_fail_with_minus_one_and_errno(void **state)
{
	(void)state;
	int sv[2];
	assert_int_equal(chan_pair(sv), 0);
	struct privsep_client_config cfg = {.queue_max = 4096};
	struct privsep_client *c = privsep_client_new(sv[1], &cfg);
	assert_non_null(c);
	uint8_t b[64] = {0};
	/* nobody reads sv[0]: the socket fills, the rest is queued */
	for (int i = 0; i < 4096 && privsep_client_queued(c) == 0; i++)
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_POST,
		                                                 .data = b,
		                                                 .len = sizeof(b),
		                                                 .flags = PRIVSEP_POST_NOWAIT}),
		    0);
	assert_true(privsep_client_queued(c) > 0);
	FAILS_WITH(privsep_client_flush(c, 0), EAGAIN); /* still queued */
	close(sv[0]);                                   /* the helper is gone */
	FAILS_WITH(privsep_client_flush(c, 1000), EPIPE);
	FAILS_WITH(privsep_client_dispatch(c, 1000), EPIPE);
	privsep_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_helpers_loop_fails_with_minus_one_and_the_kernels_errno),
	    cmocka_unit_test(the_clients_flush_and_dispatch_fail_with_minus_one_and_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
