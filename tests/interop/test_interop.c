/* SPDX-License-Identifier: ISC */
/*
 * A worker in another language, from the spec alone: tests/interop/
 * worker.py (Python 3, standard library only, written from
 * docs/PROTOCOL.md) executed by this C helper in exec mode, as a foreign
 * worker.  It makes calls with payloads and fds, posts, receives events,
 * drops a permit and sends a bulk payload; then, in three more runs, one
 * malformed record each, for which the helper kills it as section 8 says.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "pyrun.h"

#define T_ECHO 0x10000u
#define T_NOTE 0x10001u
#define T_TICK 0x10002u
#define T_BULK 0x10003u
#define T_DONE 0x10004u

static char note[256], summary[1024];
static atomic_int done;

static int on_echo(struct privsep_req *req, void *arg)
{
	int p[2];
	uint32_t n;
	(void)arg;
	if (req->nfds != 2)
		return privsep_req_fail(req, EINVAL, "two fds expected");
	/* two events first: they arrive before this reply, in order */
	for (n = 1; n <= 2; n++)
		if (privsep_worker_post(
		        req->worker,
		        &(struct privsep_out){.type = T_TICK, .data = &n, .len = sizeof(n)}) < 0)
			return privsep_req_fail(req, errno, "post");
	if (pipe2(p, O_CLOEXEC) < 0)
		return privsep_req_fail(req, errno, "pipe");
	if (write(p[1], "hello", 5) != 5) {
		close(p[0]);
		close(p[1]);
		return privsep_req_fail(req, EIO, "write");
	}
	close(p[1]);
	privsep_writer_put_raw(&req->reply, req->data, req->len);
	return privsep_req_reply_fd(req, p[0]) < 0 ? EIO : 0;
}

static int on_note(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	const char *s;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_str(&r, &s, NULL) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	snprintf(note, sizeof(note), "%s", s);
	return 0;
}

static int on_bulk(struct privsep_req *req, void *arg)
{
	const uint8_t *b = req->bulk;
	uint32_t sum = 0;
	(void)arg;
	for (size_t i = 0; i < req->bulk_len; i++)
		sum += b[i];
	privsep_writer_put_u32(&req->reply, sum);
	return 0;
}

static int on_done(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	const char *s;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_str(&r, &s, NULL) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	snprintf(summary, sizeof(summary), "%s", s);
	atomic_store(&done, 1);
	return 0;
}

static const struct privsep_handler table[] = {
    {T_ECHO, "echo", 0, 512, 2, 2, PRIVSEP_H_CALL, on_echo, NULL, 0},
    {T_NOTE, "note", 5, 256, 0, 0, PRIVSEP_H_POST, on_note, NULL, 0},
    {T_TICK, "tick", 4, 4, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
    {T_BULK, "bulk", 0, 0, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_BULK, on_bulk, NULL, 1 << 20},
    {T_DONE, "done", 5, 1024, 0, 0, PRIVSEP_H_CALL, on_done, NULL, 0},
};

/* Run worker.py in mode until it is gone, under python.policy, or under
 * policy_text when it is not NULL; the helper's record of it in
 * x->last_exit. */
static struct hx *run_python_with(const char *mode, const char *policy_text)
{
	atomic_store(&done, 0);
	note[0] = summary[0] = '\0';
	return py_run(table, sizeof(table) / sizeof(table[0]), 0, "worker.py", mode, "worker.py",
	              policy_text);
}

static struct hx *run_python(const char *mode)
{
	return run_python_with(mode, NULL);
}

static void
a_python_worker_from_the_spec_calls_posts_gets_events_drops_a_permit_and_sends_bulk(void **state)
{
	struct hx *x = run_python("run");
	(void)state;
	if (!atomic_load(&done) || x->last_exit.kind != PRIVSEP_EXIT_STATUS)
		py_dump(x);
	assert_true(atomic_load(&done));
	assert_string_equal(note, "a note from python");
	/* 22: EINVAL for a type not in the table; the bulk's sum is the
	 * helper's, computed from the sealed memfd */
	assert_string_equal(summary, "echo=hello;ping=abcd;drop=0;drop-unknown=22;bulk=24995206;"
	                             "sum=24995206;ticks=1,2");
	py_assert_exited(x, 0);
	hx_free(x);
}

static void a_python_worker_is_killed_for_each_of_three_malformed_records(void **state)
{
	/* section 8: one line (worker, violation, the header's fields),
	 * the worker killed */
	static const struct {
		const char *mode;
		enum privsep_violation v;
		const char *line;
	} runs[] = {
	    {"bad-magic", PRIVSEP_V_BAD_MAGIC,
	     ": protocol violation bad-magic: type 0x10001 (note) id 0 len 6 nfds 0: "},
	    {"unknown-type", PRIVSEP_V_UNKNOWN_TYPE,
	     ": protocol violation unknown-type: type 0xa id 0 len 0 nfds 0: "},
	    {"nfds-mismatch", PRIVSEP_V_NFDS_MISMATCH,
	     ": protocol violation nfds-mismatch: type 0x10001 (note) id 0 len 6 nfds 1: "},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct hx *x = run_python(runs[i].mode);
		py_assert_killed(x, runs[i].v, runs[i].line);
		hx_free(x);
	}
}

/* Section 7: a permit the worker dropped is gone; the type is then
 * not-permitted, a violation like any other. */
static void a_python_worker_that_dropped_ping_is_killed_for_a_ping(void **state)
{
	struct hx *x = run_python("ping-after-drop");
	(void)state;
	py_assert_killed(
	    x, PRIVSEP_V_NOT_PERMITTED,
	    ": protocol violation not-permitted: type 0x2 (PING) id 1048576 len 1 nfds 0: ");
	hx_free(x);
}

static void a_python_worker_cannot_execute_another_program_from_a_memfd(void **state)
{
	struct hx *x = run_python("exec-memfd");
	(void)state;
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP)
		py_dump(x);
	/* killed by the first filter: its one execveat is of another fd
	 * number (Landlock alone would let a memfd run) */
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	hx_free(x);
}

/* The program's fd number N (exec mode's one execveat) is the worker's
 * fd limit at its start, a number no fd of it can have: only while the
 * limit cannot be raised.  A policy that allows setrlimit (prlimit64)
 * and leaves the fd limit as the helper's ("rlimit nofile unlimited")
 * gave the worker the helper's soft limit and its higher hard one: the
 * worker raised the soft one, put a memfd (which Landlock does not look
 * at) on N with dup2 and ran it with execveat(N, "", AT_EMPTY_PATH), which
 * the first filter allows: a second program (`sh -c "exit 42"` ran).  The
 * worker's hard limit is now its soft one: the raise is refused, dup2
 * onto N fails (EBADF), and the worker says so (exit 5). */
static void a_foreign_worker_cannot_raise_its_fd_limit_to_put_another_program_on_n(void **state)
{
	struct rlimit old, low;
	char text[1024];
	struct hx *x;
	(void)state;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max < 512)
		skip(); /* no room below this process's hard limit to lower its soft one */
	/* the helper's soft limit below its hard one, as systemd starts
	 * services (1024 and 524288) */
	low.rlim_cur = 256;
	low.rlim_max = old.rlim_max;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	snprintf(text, sizeof(text),
	         "version 1\ninclude \"%s/python.policy\"\n"
	         "allow prlimit64 if arg1 == 7 because \"a policy that lets the worker set its "
	         "RLIMIT_NOFILE\"\n"
	         "allow dup2\n"
	         "rlimit nofile unlimited\n",
	         INTEROP_DIR);
	x = run_python_with("exec-raised-limit", text);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	/* never the second program's 42 */
	py_assert_exited(x, 5);
	hx_free(x);
}

/* The Python peer, written from the spec, opens its own file through
 * the broker as revision 1.5 does (error 0, empty body, the fd) and with
 * revision 1.6's bit 31 (the 72 bytes of the stat, equal to its own
 * fstat of the fd it got). */
static void a_python_worker_opens_through_the_broker_with_and_without_the_stat(void **state)
{
	char text[1024];
	struct stat st;
	struct hx *x;
	char want[128];
	(void)state;
	assert_int_equal(stat(INTEROP_DIR "/worker.py", &st), 0);
	snprintf(text, sizeof(text),
	         "version 1\ninclude \"%s/python.policy\"\n"
	         "path \"%s/worker.py\" allow read\n",
	         INTEROP_DIR, INTEROP_DIR);
	x = run_python_with("fs-open", text);
	if (!atomic_load(&done) || x->last_exit.kind != PRIVSEP_EXIT_STATUS)
		py_dump(x);
	snprintf(want, sizeof(want), "plain=#!;stat=same;size=%lld", (long long)st.st_size);
	assert_string_equal(summary, want);
	py_assert_exited(x, 0);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_python_worker_from_the_spec_calls_posts_gets_events_drops_a_permit_and_sends_bulk),
	    cmocka_unit_test(a_python_worker_is_killed_for_each_of_three_malformed_records),
	    cmocka_unit_test(a_python_worker_opens_through_the_broker_with_and_without_the_stat),
	    cmocka_unit_test(a_python_worker_that_dropped_ping_is_killed_for_a_ping),
	    cmocka_unit_test(a_python_worker_cannot_execute_another_program_from_a_memfd),
	    cmocka_unit_test(
	        a_foreign_worker_cannot_raise_its_fd_limit_to_put_another_program_on_n),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
