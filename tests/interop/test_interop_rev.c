/* SPDX-License-Identifier: ISC */
/*
 * The second implementation of revisions 1.1 to 1.6 (docs/PROTOCOL.md,
 * section 12): tests/interop/revisions.py, Python 3 written from the
 * spec alone, against this real helper in exec mode.  One run sends
 * every record of those revisions as the spec says (a sealed memfd, a
 * region of 1.1 and of 1.3, the held region, REGION_PART records and
 * their final record, `done` waited on, a BATCH, FS_OPEN's bit 31); then
 * one run per rule the spec names, each one malformed record, for
 * which the helper names the violation and ends the worker.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "pyrun.h"

#define T_ECHO 0x10000u
#define T_NOTE 0x10001u
#define T_TICK 0x10002u
#define T_BULK 0x10003u
#define T_DONE 0x10004u
#define T_BPOST 0x10005u

/* what the handlers saw, in order */
static char notes[256], posts[256], summary[1024];

static void append(char *to, size_t cap, const char *fmt, ...)
{
	size_t n = strlen(to);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(to + n, cap - n, fmt, ap);
	va_end(ap);
}

static int on_echo(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static int get_str(struct privsep_req *req, const char **s)
{
	struct privsep_reader r;
	privsep_reader_init(&r, req->data, req->len);
	return privsep_reader_get_str(&r, s, NULL) < 0 || privsep_reader_end(&r) < 0 ? -1 : 0;
}

static int on_note(struct privsep_req *req, void *arg)
{
	const char *s;
	(void)arg;
	if (get_str(req, &s) < 0)
		return PRIVSEP_VIOLATION;
	append(notes, sizeof(notes), "%s|", s);
	return 0;
}

static uint32_t sum(const struct privsep_req *req)
{
	const uint8_t *b = req->bulk;
	uint32_t n = 0;
	for (size_t i = 0; i < req->bulk_len; i++)
		n += b[i];
	return n;
}

static int on_bulk(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_writer_put_u32(&req->reply, sum(req));
	return 0;
}

static int on_bpost(struct privsep_req *req, void *arg)
{
	(void)arg;
	append(posts, sizeof(posts), "%s%u", posts[0] ? "," : "", sum(req));
	return 0;
}

static int on_done(struct privsep_req *req, void *arg)
{
	const char *s;
	(void)arg;
	if (get_str(req, &s) < 0)
		return PRIVSEP_VIOLATION;
	snprintf(summary, sizeof(summary), "%s", s);
	return 0;
}

static const struct privsep_handler table[] = {
    {T_ECHO, "echo", 0, 512, 2, 2, PRIVSEP_H_CALL, on_echo, NULL, 0},
    {T_NOTE, "note", 5, 256, 0, 0, PRIVSEP_H_POST, on_note, NULL, 0},
    {T_TICK, "tick", 4, 4, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
    {T_BULK, "bulk", 0, 0, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_BULK, on_bulk, NULL, 1 << 20},
    {T_DONE, "done", 5, 1024, 0, 0, PRIVSEP_H_CALL, on_done, NULL, 0},
    {T_BPOST, "bpost", 0, 0, 0, 0, PRIVSEP_H_POST | PRIVSEP_H_BULK, on_bpost, NULL, 2 << 20},
};

/* revisions.py in mode under python.policy, with a rule for its own file
 * and one for /usr, a directory, under a helper over rows with its
 * record limit msg_max (0: the default). */
static struct hx *run_in(const char *mode, const struct privsep_handler *rows, size_t n,
                         size_t msg_max)
{
	char text[1024];
	notes[0] = posts[0] = summary[0] = '\0';
	snprintf(text, sizeof(text),
	         "version 1\ninclude \"%s/python.policy\"\n"
	         "path \"%s/revisions.py\" allow read\n"
	         "path \"/usr\" allow read directory\n",
	         INTEROP_DIR, INTEROP_DIR);
	return py_run(rows, n, msg_max, "revisions.py", mode, "revisions.py", text);
}

static struct hx *run(const char *mode)
{
	return run_in(mode, table, sizeof(table) / sizeof(table[0]), 0);
}

static void a_python_worker_from_the_spec_sends_every_record_of_revisions_1_1_to_1_6(void **state)
{
	struct hx *x = run("run");
	char want[512];
	(void)state;
	py_assert_exited(x, 0);
	/* the helper's sums of the posts it served are the ones the worker
	 * sent; `done` counted each record through a region (1 and 2 after
	 * each call of a 1.1 region, 1 after a 1.3 region's first) */
	snprintf(want, sizeof(want),
	         "sealed=ok;r11=ok1,ok2;r13=ok1;held=ok;parts=ok;newparts=ok;bpost=%s;"
	         "stat=same;refused=same;bit30=22",
	         posts);
	assert_string_equal(summary, want);
	assert_int_equal((int)strlen(posts) > 0, 1);
	/* the BATCH's three notes, in order */
	assert_string_equal(notes, "b1|b2|b3|");
	hx_free(x);
}

/* Section 8: one log line naming the violation, the worker killed; a
 * BATCH's entries before the one that breaks a rule were served, none
 * after it, and none at all when its framing is wrong. */
static void a_python_worker_is_killed_for_each_rule_of_revisions_1_1_to_1_6_it_breaks(void **state)
{
	static const struct {
		const char *mode;
		enum privsep_violation v;
		const char *notes;
	} runs[] = {
	    /* 1.0: a sealed memfd */
	    {"sealed-no-write-seal", PRIVSEP_V_BAD_BULK, ""},
	    {"sealed-size-differs", PRIVSEP_V_BAD_BULK, ""},
	    {"sealed-over-bulk-max", PRIVSEP_V_BAD_BULK, ""},
	    {"sealed-sparse", PRIVSEP_V_BAD_BULK, ""},
	    {"sealed-not-memfd", PRIVSEP_V_BAD_BULK, ""},
	    {"bulk-without-fd", PRIVSEP_V_BAD_FD_COUNT, ""},
	    {"bulk-without-size", PRIVSEP_V_BAD_SIZE, ""},
	    /* 1.1 and 1.3: the region */
	    {"region-no-grow-seal", PRIVSEP_V_BAD_BULK, ""},
	    {"region-write-sealed", PRIVSEP_V_BAD_BULK, ""},
	    {"region-under-a-page", PRIVSEP_V_BAD_BULK, ""},
	    {"region-over-the-largest", PRIVSEP_V_BAD_BULK, ""},
	    {"region-sparse", PRIVSEP_V_BAD_BULK, ""},
	    {"region-size-past-data", PRIVSEP_V_BAD_BULK, ""},
	    {"region-over-bulk-max", PRIVSEP_V_BAD_BULK, ""},
	    /* 1.4: the held region, REGION_PART and the final record */
	    {"held-none", PRIVSEP_V_BAD_BULK, ""},
	    {"held-worker-sealed", PRIVSEP_V_BAD_BULK, ""},
	    {"held-with-memfd", PRIVSEP_V_BAD_FD_COUNT, ""},
	    {"part-without-region", PRIVSEP_V_BAD_BULK, ""},
	    {"part-not-permitted", PRIVSEP_V_NOT_PERMITTED, ""},
	    {"part-total-over-the-permitted", PRIVSEP_V_BAD_BULK, ""},
	    {"part-total-over-the-largest", PRIVSEP_V_BAD_BULK, ""},
	    {"part-empty", PRIVSEP_V_BAD_BULK, ""},
	    {"part-past-the-region", PRIVSEP_V_BAD_BULK, ""},
	    {"part-first-not-at-0", PRIVSEP_V_BAD_BULK, ""},
	    {"part-gap", PRIVSEP_V_BAD_BULK, ""},
	    {"part-overlap", PRIVSEP_V_BAD_BULK, ""},
	    {"part-past-total", PRIVSEP_V_BAD_BULK, ""},
	    {"part-total-changes", PRIVSEP_V_BAD_BULK, ""},
	    {"part-another-memfd", PRIVSEP_V_BAD_BULK, ""},
	    {"part-then-region-record", PRIVSEP_V_BAD_BULK, ""},
	    {"final-total-changed", PRIVSEP_V_BAD_BULK, ""},
	    {"final-before-the-last-part", PRIVSEP_V_BAD_BULK, ""},
	    {"final-over-its-bulk-max", PRIVSEP_V_BAD_BULK, ""},
	    {"part-with-id", PRIVSEP_V_ID_ON_POST, ""},
	    {"part-short", PRIVSEP_V_BAD_SIZE, ""},
	    /* 1.2: BATCH */
	    {"batch-runs-past-the-end", PRIVSEP_V_BAD_BATCH, ""},
	    {"batch-framework-entry", PRIVSEP_V_BAD_BATCH, "x|"},
	    {"batch-bulk-entry", PRIVSEP_V_BAD_BATCH, "x|"},
	    {"batch-fds-entry", PRIVSEP_V_BAD_BATCH, "x|"},
	    {"batch-call-entry", PRIVSEP_V_CALL_WITHOUT_ID, "x|"},
	    {"batch-event-entry", PRIVSEP_V_WRONG_DIRECTION, "x|"},
	    {"batch-unknown-entry", PRIVSEP_V_UNKNOWN_TYPE, "x|"},
	    {"batch-entry-size", PRIVSEP_V_BAD_SIZE, "x|"},
	    {"batch-entry-payload", PRIVSEP_V_BAD_PAYLOAD, "x|"},
	    {"batch-dropped-entry", PRIVSEP_V_NOT_PERMITTED, ""},
	    {"batch-with-id", PRIVSEP_V_ID_ON_POST, ""},
	    {"batch-short", PRIVSEP_V_BAD_SIZE, ""},
	    {"batch-with-fd", PRIVSEP_V_BAD_FD_COUNT, ""},
	    /* 1.6: FS_OPEN with bit 31 */
	    {"fs-open-short", PRIVSEP_V_BAD_SIZE, ""},
	    {"fs-open-bad-str", PRIVSEP_V_BAD_PAYLOAD, ""},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct hx *x = run(runs[i].mode);
		char line[128];
		snprintf(line, sizeof(line),
		         ": protocol violation %s:", privsep_violation_name(runs[i].v));
		if (strcmp(notes, runs[i].notes))
			fprintf(stderr, "mode %s: notes \"%s\"\n", runs[i].mode, notes);
		py_assert_killed(x, runs[i].v, line);
		assert_string_equal(notes, runs[i].notes);
		hx_free(x);
	}
}

/* Revision 1.6: the answer with the stat is 92 bytes; under a record
 * limit of 64 it does not fit, and the helper answers EMSGSIZE (90) with
 * section 5's detail, no fd, and the worker lives on; the same open
 * without bit 31 is answered its fd. */
static void under_a_record_limit_of_64_fs_open_with_the_stat_is_answered_emsgsize(void **state)
{
	static const struct privsep_handler rows[] = {
	    {T_DONE, "done", 5, 48, 0, 0, PRIVSEP_H_CALL, on_done, NULL, 0},
	};
	struct hx *x = run_in("small-limit", rows, 1, 64);
	(void)state;
	py_assert_exited(x, 0);
	assert_string_equal(summary, "plain=0,1,1;stat=90,0,1");
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_python_worker_from_the_spec_sends_every_record_of_revisions_1_1_to_1_6),
	    cmocka_unit_test(
	        a_python_worker_is_killed_for_each_rule_of_revisions_1_1_to_1_6_it_breaks),
	    cmocka_unit_test(under_a_record_limit_of_64_fs_open_with_the_stat_is_answered_emsgsize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
