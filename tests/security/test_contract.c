/* SPDX-License-Identifier: ISC */
/*
 * The error contract of the public API (privsep.h, issue 16): every
 * function that can fail returns -1 (or NULL) with errno set, and a call
 * the helper refused is a failure like any other -- -1, errno the helper's
 * errno, res->refused 1 and res->detail its reason -- never a positive
 * number that `if (call(...) < 0)` takes for success.  A local failure
 * says refused 0.  One test per object; each drives its functions into a
 * failure the way a program (or a compromised worker) can.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "testapp.h"
#include "chan.h"

/* f returned want_rc with errno want_errno (errno cleared before it). */
#define FAILS_WITH(expr, want_rc, want_errno)                                                      \
	do {                                                                                       \
		errno = 0;                                                                         \
		long long got_ = (long long)(expr);                                                \
		int err_ = errno;                                                                  \
		if (got_ != (want_rc) || err_ != (want_errno))                                     \
			fail_msg("%s: %lld errno %d (%s), want %lld and %d (%s)", #expr, got_,     \
			         err_, strerror(err_), (long long)(want_rc), (want_errno),         \
			         strerror(want_errno));                                            \
	} while (0)

static int nop(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

/* ---- the worker's calls run in a thread while the test serves ---- */

struct job {
	struct privsep_client *c;
	int which;
	const char *path;
	struct privsep_result res;
	struct privsep_result *resp; /* &res, or NULL */
	uint8_t body[64];
	long long rc;
	int err;
	atomic_int done;
};

enum { J_DENY, J_ECHO, J_DROP_UNKNOWN, J_OPEN, J_STAT, J_READLINK, J_ACCESS, J_PING };

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct stat st;
	char buf[64];
	uint32_t unknown = 0x7777777;
	errno = 0;
	switch (j->which) {
	case J_DENY:
		j->rc = privsep_client_call(j->c, &(struct privsep_out){.type = T_DENY}, &j->res);
		break;
	case J_ECHO: {
		static const uint8_t hi[] = {3, 0, 0, 0, 'h', 'i', 0};
		j->rc = privsep_client_call(
		    j->c, &(struct privsep_out){.type = T_ECHO_STR, .data = hi, .len = sizeof(hi)},
		    &j->res);
		break;
	}
	case J_DROP_UNKNOWN:
		j->rc = privsep_client_drop_permits(j->c, &unknown, 1, &j->res);
		break;
	case J_OPEN:
		j->rc = privsep_fs_open(j->c, j->path, O_RDONLY, j->resp);
		break;
	case J_STAT:
		j->rc = privsep_fs_stat(j->c, j->path, &st, j->resp);
		break;
	case J_READLINK:
		j->rc = privsep_fs_readlink(j->c, j->path, buf, sizeof(buf), j->resp);
		break;
	case J_ACCESS:
		j->rc = privsep_fs_access(j->c, j->path, R_OK, j->resp);
		break;
	case J_PING:
		j->rc = privsep_client_ping(j->c, "p", 1, &j->res);
		break;
	}
	j->err = errno;
	atomic_store(&j->done, 1);
	return NULL;
}

/* Run job which on c while x serves; the job, finished. */
static struct job run(struct hx *x, struct privsep_client *c, int which, const char *path,
                      int with_res)
{
	struct job j = {.c = c, .which = which, .path = path};
	pthread_t t;
	j.res.data = j.body;
	j.res.cap = sizeof(j.body);
	j.res.refused = -1; /* the call must set it */
	strcpy(j.res.detail, "stale");
	j.resp = with_res ? &j.res : NULL;
	pthread_create(&t, NULL, job_main, &j);
	/* a bound for a hung helper, not a timing claim */
	assert_true(hx_pump_until(x, &j.done, 30000));
	pthread_join(t, NULL);
	return j;
}

static void a_call_the_helper_refuses_fails_with_its_errno_and_says_refused(void **state)
{
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "c", 0);
	struct job j;
	(void)state;
	/* the old contract returned EACCES (13) here: `< 0` took it for success */
	j = run(x, c, J_DENY, NULL, 1);
	assert_int_equal(j.rc, -1);
	assert_int_equal(j.err, EACCES);
	assert_int_equal(j.res.refused, 1);
	assert_string_equal(j.res.detail, "denied by rule 3 (test.policy:7)");
	assert_int_equal(j.res.len, 0);
	assert_int_equal(j.res.nfds, 0);
	/* a success says 0 and no detail, whatever the result held */
	j = run(x, c, J_ECHO, NULL, 1);
	assert_int_equal(j.rc, 0);
	assert_int_equal(j.res.refused, 0);
	assert_string_equal(j.res.detail, "");
	/* a refused permit drop (a type the helper's table lacks) the same */
	j = run(x, c, J_DROP_UNKNOWN, NULL, 1);
	assert_int_equal(j.rc, -1);
	assert_int_equal(j.err, EINVAL);
	assert_int_equal(j.res.refused, 1); /* the permit drop's refusal says so too */
	assert_true(j.res.detail[0] != '\0');
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

static void a_call_that_fails_in_the_worker_fails_with_errno_and_says_not_refused(void **state)
{
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "c", 0);
	struct privsep_result res = {0};
	uint8_t big[8192] = {0};
	uint32_t none = 0;
	struct job j;
	(void)state;
	/* bad arguments: nothing sent */
	res.refused = 1;
	FAILS_WITH(privsep_client_call(c, NULL, &res), -1, EINVAL);
	assert_int_equal(res.refused, 0);
	FAILS_WITH(privsep_client_call(c, &(struct privsep_out){.type = T_DENY}, NULL), -1, EINVAL);
	res.refused = 1;
	FAILS_WITH(privsep_client_call(c, &(struct privsep_out){.type = 0}, &res), -1, EINVAL);
	assert_int_equal(res.refused, 0);
	FAILS_WITH(
	    privsep_client_call(
	        c, &(struct privsep_out){.type = T_DENY, .flags = PRIVSEP_POST_NOWAIT}, &res),
	    -1, EINVAL);
	FAILS_WITH(privsep_client_call(c, &(struct privsep_out){.type = T_DENY, .len = 4}, &res),
	           -1, EINVAL);
	/* over the record limit */
	res.refused = 1;
	FAILS_WITH(privsep_client_call(
	               c,
	               &(struct privsep_out){.type = T_ECHO_STR, .data = big, .len = sizeof(big)},
	               &res),
	           -1, EMSGSIZE);
	assert_int_equal(res.refused, 0);
	/* the ping and the permit drop are calls too */
	FAILS_WITH(privsep_client_ping(c, NULL, 4, &res), -1, EINVAL);
	FAILS_WITH(privsep_client_ping(c, big, sizeof(big), &res), -1, EMSGSIZE);
	assert_int_equal(res.refused, 0);
	FAILS_WITH(privsep_client_drop_permits(c, &none, 0, NULL), -1, EINVAL);
	FAILS_WITH(privsep_client_drop_permits(c, NULL, 1, NULL), -1, EINVAL);
	assert_int_equal(x->gone, 0);
	/* the helper is gone: EPIPE, not a refusal */
	hx_free(x);
	x = hx_new(testapp_table, testapp_n, 0);
	j = run(x, c, J_PING, NULL, 1);
	assert_int_equal(j.rc, -1);
	assert_int_equal(j.err, EPIPE);
	assert_int_equal(j.res.refused, 0);
	FAILS_WITH(privsep_client_post(c, &(struct privsep_out){.type = T_POST}), -1, EPIPE);
	FAILS_WITH(privsep_client_dispatch(c, 0), -1, EPIPE);
	privsep_client_free(c);
	hx_free(x);
}

static void a_file_call_the_broker_refuses_fails_with_its_reason_in_the_result(void **state)
{
	/* no policy attached to this worker: the broker refuses every path */
	struct hx *x = hx_new(NULL, 0, 0);
	struct privsep_client *c = hx_attach_client(x, "nopolicy", 0);
	static char longpath[PATH_MAX + 16];
	struct privsep_result res;
	(void)state;
	for (int which = J_OPEN; which <= J_ACCESS; which++) {
		struct job j = run(x, c, which, "/etc/hostname", 1);
		if (j.rc != -1 || j.err != EACCES || j.res.refused != 1 ||
		    !strstr(j.res.detail, "no policy"))
			fail_msg("fs call %d: %lld errno %d refused %d \"%s\"", which, j.rc, j.err,
			         j.res.refused, j.res.detail);
		/* with no result: the same failure, errno alone */
		j = run(x, c, which, "/etc/hostname", 0);
		if (j.rc != -1 || j.err != EACCES)
			fail_msg("fs call %d, no result: %lld errno %d", which, j.rc, j.err);
	}
	/* a path the protocol cannot carry: a local failure, its rule named */
	memset(longpath, 'a', sizeof(longpath) - 1);
	longpath[0] = '/';
	for (int which = J_OPEN; which <= J_ACCESS; which++) {
		struct job j = run(x, c, which, longpath, 1);
		if (j.rc != -1 || j.err != ENAMETOOLONG || j.res.refused != 0 ||
		    !strstr(j.res.detail, "PATH_MAX"))
			fail_msg("fs call %d, long path: %lld errno %d refused %d \"%s\"", which,
			         j.rc, j.err, j.res.refused, j.res.detail);
		j = run(x, c, which, NULL, 1);
		if (j.rc != -1 || j.err != EINVAL || j.res.refused != 0)
			fail_msg("fs call %d, NULL path: %lld errno %d", which, j.rc, j.err);
	}
	/* bad arguments, before anything is sent: the result says so too */
	res.refused = 1;
	FAILS_WITH(privsep_fs_stat(c, "/etc/hostname", NULL, &res), -1, EINVAL);
	assert_int_equal(res.refused, 0);
	FAILS_WITH(privsep_fs_readlink(c, "/etc/hostname", NULL, 4, NULL), -1, EINVAL);
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

static void a_post_fails_with_minus_one_and_errno(void **state)
{
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "c", 0);
	uint8_t big[8192] = {0};
	(void)state;
	FAILS_WITH(privsep_client_post(c, NULL), -1, EINVAL);
	FAILS_WITH(privsep_client_post(c, &(struct privsep_out){.type = T_POST, .flags = 0x80}), -1,
	           EINVAL);
	FAILS_WITH(privsep_client_post(c, &(struct privsep_out){.type = 0}), -1, EINVAL);
	FAILS_WITH(privsep_client_post(
	               c, &(struct privsep_out){.type = T_POST, .data = big, .len = sizeof(big)}),
	           -1, EMSGSIZE);
	/* the queue is empty: flushing succeeds, and counts nothing */
	assert_int_equal(privsep_client_flush(c, 0), 0);
	assert_int_equal(privsep_client_queued(c), 0);
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

static void an_event_post_fails_with_minus_one_and_errno(void **state)
{
	static const struct privsep_handler t[] = {
	    {.type = T_ECHO_STR, .name = "ev", .max_len = 8, .flags = PRIVSEP_H_EVENT},
	    {.type = T_DENY, .name = "call", .flags = PRIVSEP_H_CALL, .fn = nop},
	};
	struct hx *x = hx_new(t, 2, 0);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "raw", &w);
	(void)state;
	FAILS_WITH(privsep_worker_post(w, NULL), -1, EINVAL);
	FAILS_WITH(privsep_worker_post(
	               w, &(struct privsep_out){.type = T_ECHO_STR, .flags = PRIVSEP_POST_NOWAIT}),
	           -1, EINVAL);
	FAILS_WITH(privsep_worker_post(w, &(struct privsep_out){.type = T_DENY}), -1, EINVAL);
	FAILS_WITH(privsep_worker_post(
	               w, &(struct privsep_out){.type = T_ECHO_STR, .len = 9, .data = "123456789"}),
	           -1, EINVAL);
	assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_ECHO_STR}), 0);
	/* the helper's other calls on a worker */
	FAILS_WITH(privsep_worker_drop_permit(w, 0x7777777), -1, ENOENT);
	close(sock);
	hx_free(x);
}

static void making_a_helper_a_client_or_a_worker_fails_with_null_and_errno(void **state)
{
	struct privsep_helper_config bad = {.msg_max = PRIVSEP_MSG_MAX_LIMIT + 1};
	static const struct privsep_handler dup[] = {
	    {.type = T_DENY, .name = "a", .flags = PRIVSEP_H_CALL, .fn = nop},
	    {.type = T_DENY, .name = "b", .flags = PRIVSEP_H_CALL, .fn = nop},
	};
	struct privsep_client_config cbad = {.table = dup, .n = 2};
	struct privsep_helper *h;
	struct privsep_spawn sp = {.name = "nomain"};
	int sv[2];
	(void)state;
	FAILS_WITH(privsep_helper_new(NULL, 0, &bad), 0, EINVAL);
	FAILS_WITH(privsep_helper_new(dup, 2, NULL), 0, EINVAL);
	FAILS_WITH(privsep_client_new(-1, NULL), 0, EINVAL);
	assert_int_equal(chan_pair(sv), 0);
	FAILS_WITH(privsep_client_new(sv[0], &cbad), 0, EINVAL); /* sv[0] taken */
	close(sv[1]);
	h = privsep_helper_new(NULL, 0, NULL);
	assert_non_null(h);
	FAILS_WITH(privsep_spawn(h, &sp), 0, EINVAL);
	FAILS_WITH(privsep_helper_write_stderr(h, PRIVSEP_LOG_INFO, NULL, 4), -1, EINVAL);
	/* a policy that does not parse: refused before anything is loaded */
	FAILS_WITH(privsep_helper_confine(h, "bad.policy", "version 1\nno-such-directive\n"), -1,
	           EINVAL);
	/* a flag it does not know: refused before anything is loaded */
	FAILS_WITH(privsep_helper_confine_flags(h, NULL, NULL, 0x80), -1, EINVAL);
	privsep_helper_free(h);
	{
		const char *const names[] = {"cap_no_such_capability"};
		FAILS_WITH(privsep_helper_keep_caps(names, 1), -1, EINVAL);
	}
}

static void a_handlers_request_calls_fail_with_minus_one_and_errno(void **state)
{
	struct privsep_req req;
	int fd;
	(void)state;
	memset(&req, 0, sizeof(req));
	for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
		req.fds[i] = -1;
	FAILS_WITH(privsep_req_take_fd(&req, 0), -1, EBADF);
	FAILS_WITH(privsep_req_take_fd(&req, PRIVSEP_MAX_FDS), -1, EBADF);
	req.reply_nfds = PRIVSEP_MAX_FDS;
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	FAILS_WITH(privsep_req_reply_fd(&req, fd), -1, EMSGSIZE);
	/* taken on failure too: closed */
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	/* privsep_req_fail is a handler's return value: the errnum itself */
	assert_int_equal(privsep_req_fail(&req, EACCES, "%s", "why"), EACCES);
	assert_string_equal(req.detail, "why");
}

static void the_payload_codec_and_policy_text_fail_with_minus_one_and_errno(void **state)
{
	uint8_t buf[4];
	struct privsep_writer w;
	struct privsep_reader r;
	uint64_t v;
	const char *s;
	char q[8];
	char *text = NULL;
	(void)state;
	privsep_writer_init(&w, buf, sizeof(buf));
	FAILS_WITH(privsep_writer_put_u64(&w, 1), -1, EMSGSIZE);
	FAILS_WITH(privsep_writer_put_u8(&w, 1), -1, EMSGSIZE); /* sticky */
	privsep_writer_init(&w, buf, sizeof(buf));
	FAILS_WITH(privsep_writer_put_str(&w, NULL), -1, EINVAL);
	privsep_reader_init(&r, "\1\0\0\0", 4);
	FAILS_WITH(privsep_reader_get_u64(&r, &v), -1, EBADMSG);
	privsep_reader_init(&r, "\1\0\0\0x", 5);
	FAILS_WITH(privsep_reader_get_str(&r, &s, NULL), -1, EILSEQ);
	privsep_reader_init(&r, "\1\0", 2);
	FAILS_WITH(privsep_reader_end(&r), -1, EBADMSG);
	FAILS_WITH(privsep_policy_quote("", q, sizeof(q)), -1, EINVAL);
	FAILS_WITH(privsep_policy_quote("/a/long/path", q, sizeof(q)), -1, ERANGE);
	FAILS_WITH(privsep_policy_append(&text, "two words", "/x", NULL), -1, EINVAL);
	assert_null(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_call_the_helper_refuses_fails_with_its_errno_and_says_refused),
	    cmocka_unit_test(a_call_that_fails_in_the_worker_fails_with_errno_and_says_not_refused),
	    cmocka_unit_test(a_file_call_the_broker_refuses_fails_with_its_reason_in_the_result),
	    cmocka_unit_test(a_post_fails_with_minus_one_and_errno),
	    cmocka_unit_test(an_event_post_fails_with_minus_one_and_errno),
	    cmocka_unit_test(making_a_helper_a_client_or_a_worker_fails_with_null_and_errno),
	    cmocka_unit_test(a_handlers_request_calls_fail_with_minus_one_and_errno),
	    cmocka_unit_test(the_payload_codec_and_policy_text_fail_with_minus_one_and_errno),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
