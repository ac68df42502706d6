/* SPDX-License-Identifier: ISC */
/*
 * The second implementation of revisions 1.1 to 1.7 (docs/PROTOCOL.md,
 * section 12): tests/interop/revisions.py, Python 3 written from the
 * spec alone, against this real helper in exec mode.  One run sends
 * every record of revisions 1.1 to 1.6 as the spec says (a sealed
 * memfd, a region of 1.1 and of 1.3, the held region, REGION_PART
 * records and their final record, `done` waited on, a BATCH, FS_OPEN's
 * bit 31), another revision 1.7's (REGION_PART records that name a
 * PRIVSEP_H_PARTS type, whose handler checks every byte it is fed);
 * then one run per rule the spec names, each one malformed record, for
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
#define T_PCALL 0x10006u
#define T_PPOST 0x10007u

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

/* Revision 1.7: a PRIVSEP_H_PARTS handler fed part by part checks every
 * byte it is fed against the worker's pattern (byte i of a payload of
 * total bytes is (7 i + total) mod 251) and every call against
 * privsep_req_part(3); fed traces the calls ('b' a part, 'e' the
 * message, 'a' abandoned), faults what broke that contract, pposts
 * what the one-way type's messages were fed. */
static char fed[256], faults[512], pposts[256];

struct feed {
	uint64_t total, next, largest;
	uint32_t pieces;
	int refused, open;
};
static struct feed pcall_feed, ppost_feed;

/* A byte of the pattern differs: its offset + 1, else 0. */
static uint64_t pattern_differs(const struct privsep_req *req)
{
	const uint8_t *b = req->bulk;
	for (size_t i = 0; i < req->bulk_len; i++) {
		uint64_t at = req->bulk_off + i;
		if (b[i] != (uint8_t)((at % 251 * 7 + req->bulk_total % 251) % 251))
			return at + 1;
	}
	return 0;
}

#define FAULT(...) append(faults, sizeof(faults), __VA_ARGS__)

/* One call of a part-by-part handler, checked; for a part, -1 when a
 * byte differs (the detail says which), else 0. */
static int feed(struct feed *f, struct privsep_req *req)
{
	uint64_t bad;
	switch (privsep_req_part(req)) {
	case PRIVSEP_PART_BYTES:
		append(fed, sizeof(fed), "b");
		if (req->bulk_off == 0) {
			if (f->open && !f->refused)
				FAULT("a payload began before the last one ended;");
			*f = (struct feed){.total = req->bulk_total, .open = 1};
		} else if (f->refused || !f->open) {
			FAULT("fed at %llu after a refusal or an end;",
			      (unsigned long long)req->bulk_off);
		}
		if (req->id || req->len || req->nfds || !req->bulk || req->bulk_off != f->next ||
		    req->bulk_total != f->total || req->bulk_len == 0 ||
		    req->bulk_len > req->bulk_total - req->bulk_off)
			FAULT("part at %llu of %llu, %zu bytes (expected at %llu of %llu);",
			      (unsigned long long)req->bulk_off,
			      (unsigned long long)req->bulk_total, req->bulk_len,
			      (unsigned long long)f->next, (unsigned long long)f->total);
		f->next = req->bulk_off + req->bulk_len;
		f->pieces++;
		if (req->bulk_len > f->largest)
			f->largest = req->bulk_len;
		bad = pattern_differs(req);
		if (!bad)
			return 0;
		f->refused = 1;
		privsep_req_fail(req, EBADMSG, "byte %llu of the payload differs",
		                 (unsigned long long)(bad - 1));
		return -1;
	case PRIVSEP_PART_END:
		append(fed, sizeof(fed), "e");
		if (!f->open) /* a payload of 0 bytes: the message alone */
			*f = (struct feed){0};
		if (req->bulk_total && (!f->open || f->refused))
			FAULT("the message of a payload refused or never fed;");
		if (req->bulk || req->bulk_len || f->next != req->bulk_total)
			FAULT("the message after %llu of %llu bytes;", (unsigned long long)f->next,
			      (unsigned long long)req->bulk_total);
		f->open = 0;
		return 0;
	case PRIVSEP_PART_ABANDON:
		append(fed, sizeof(fed), "a");
		if (!f->open || f->refused || req->bulk)
			FAULT("abandoned a payload not fed;");
		f->open = 0;
		return 0;
	default:
		FAULT("part %u;", privsep_req_part(req));
		return 0;
	}
}

/* Both part-by-part types (arg: the type's feed).  The call: a part
 * whose byte differs is refused (EBADMSG, the rest of the payload is not
 * fed), and the message is answered with what was fed: u64 bytes, u32
 * pieces, u32 the largest piece, u64 bulk_total, u32 the message's own
 * payload length.  The one-way message: a part whose byte differs is a
 * violation, and each message adds "fed/total" to pposts. */
static int on_parts(struct privsep_req *req, void *arg)
{
	struct feed *f = arg;
	int call = req->type == T_PCALL;
	if (feed(f, req) < 0)
		return call ? EBADMSG : PRIVSEP_VIOLATION;
	if (privsep_req_part(req) != PRIVSEP_PART_END)
		return 0;
	if (!call) {
		append(pposts, sizeof(pposts), "%s%llu/%llu", pposts[0] ? "," : "",
		       (unsigned long long)f->next, (unsigned long long)req->bulk_total);
		return 0;
	}
	privsep_writer_put_u64(&req->reply, f->next);
	privsep_writer_put_u32(&req->reply, f->pieces);
	privsep_writer_put_u32(&req->reply, (uint32_t)f->largest);
	privsep_writer_put_u64(&req->reply, req->bulk_total);
	privsep_writer_put_u32(&req->reply, (uint32_t)req->len);
	return 0;
}

/* rows[0..6] have no PRIVSEP_H_PARTS row (a helper without one); the
 * one-way part-by-part type's bulk_max is under the call's, so that a
 * part's total can be over its row's and not over the largest. */
static const struct privsep_handler table[] = {
    {T_ECHO, "echo", 0, 512, 2, 2, PRIVSEP_H_CALL, on_echo, NULL, 0},
    {T_NOTE, "note", 5, 256, 0, 0, PRIVSEP_H_POST, on_note, NULL, 0},
    {T_TICK, "tick", 4, 4, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
    {T_BULK, "bulk", 0, 0, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_BULK, on_bulk, NULL, 1 << 20},
    {T_DONE, "done", 5, 1024, 0, 0, PRIVSEP_H_CALL, on_done, NULL, 0},
    {T_BPOST, "bpost", 0, 0, 0, 0, PRIVSEP_H_POST | PRIVSEP_H_BULK, on_bpost, NULL, 2 << 20},
    {T_PCALL, "pcall", 0, 64, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_BULK | PRIVSEP_H_PARTS, on_parts,
     &pcall_feed, 2 << 20},
    {T_PPOST, "ppost", 0, 0, 0, 0, PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS, on_parts,
     &ppost_feed, (1 << 20) + 4096},
};
#define TABLE_WITHOUT_PARTS 6

/* revisions.py in mode under python.policy, with a rule for its own file
 * and one for /usr, a directory, under a helper over rows with its
 * record limit msg_max (0: the default). */
static struct hx *run_in(const char *mode, const struct privsep_handler *rows, size_t n,
                         size_t msg_max)
{
	char text[1024];
	notes[0] = posts[0] = summary[0] = fed[0] = faults[0] = pposts[0] = '\0';
	pcall_feed = ppost_feed = (struct feed){0};
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

/* Revision 1.7: every record of it, each answer checked by the worker
 * (what the handler was fed, `done`); the one-way type's messages were
 * fed as the worker sent them, and no call broke privsep_req_part(3). */
static void a_python_worker_from_the_spec_sends_every_record_of_revision_1_7(void **state)
{
	struct hx *x = run("run-1.7");
	char want[512];
	(void)state;
	py_assert_exited(x, 0);
	snprintf(want, sizeof(want),
	         "parts=ok;between=ok;done=ok;large=ok;whole=ok,ok,ok,ok,ok,ok;refused=ok;again=ok;"
	         "pposts=%s",
	         pposts);
	if (strcmp(summary, want) || faults[0])
		fprintf(stderr, "faults: %s\nfed: %s\n", faults, fed);
	assert_string_equal(summary, want);
	assert_string_equal(pposts, "5000/5000,1052672/1052672");
	assert_string_equal(faults, "");
	hx_free(x);
}

/* A payload fed a part is told, once, that it will never end when its
 * worker's channel closes. */
static void a_payload_fed_a_part_is_abandoned_when_its_worker_exits(void **state)
{
	struct hx *x = run("abandon-at-exit");
	(void)state;
	py_assert_exited(x, 0);
	assert_string_equal(fed, "ba");
	assert_string_equal(faults, "");
	hx_free(x);
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
 * after it, and none at all when its framing is wrong; a part-by-part
 * handler fed what came before the violation ("b" a part, "a" the
 * payload abandoned: fed, NULL for nothing), under the table with no
 * PRIVSEP_H_PARTS row where plain. */
static void a_python_worker_is_killed_for_each_rule_of_revisions_1_1_to_1_7_it_breaks(void **state)
{
	static const struct {
		const char *mode;
		enum privsep_violation v;
		const char *notes;
		const char *fed;
		int plain;
		const char *line; /* what the violation's line says of the rule */
	} runs[] = {
	    /* 1.0: a sealed memfd */
	    {"sealed-no-write-seal", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the bulk memfd is not fully sealed: missing F_SEAL_WRITE"},
	    {"sealed-size-differs", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the bulk memfd has 100 bytes, the record declares 101"},
	    {"sealed-over-bulk-max", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "bulk of 1048577 bytes is over the type's limit of 1048576"},
	    {"sealed-sparse", PRIVSEP_V_BAD_BULK, "", NULL, 0, "the bulk memfd is sparse"},
	    {"sealed-not-memfd", PRIVSEP_V_BAD_BULK, "", NULL, 0, "the bulk fd is not a memfd"},
	    {"bulk-without-fd", PRIVSEP_V_BAD_FD_COUNT, "", NULL, 0,
	     "len 8 nfds 0: call bulk allows 8..8 bytes, 1..1 fds (with the bulk size and memfd)"},
	    {"bulk-without-size", PRIVSEP_V_BAD_SIZE, "", NULL, 0,
	     "len 4 nfds 1: call bulk allows 8..8 bytes"},
	    /* 1.1 and 1.3: the region */
	    {"region-no-grow-seal", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "not sealed with F_SEAL_SHRINK and F_SEAL_GROW"},
	    {"region-write-sealed", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "mapping the bulk region's control page"},
	    {"region-under-a-page", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the bulk region has 2048 bytes: a control page and at most"},
	    {"region-over-the-largest", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "a control page and at most 2097152 bytes of data"},
	    {"region-sparse", PRIVSEP_V_BAD_BULK, "", NULL, 0, "the bulk region is sparse"},
	    {"region-size-past-data", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the bulk region holds 4096 bytes, the record declares 4097"},
	    {"region-over-bulk-max", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "bulk of 1048577 bytes is over the type's limit of 1048576"},
	    /* 1.4: the held region, REGION_PART and the final record */
	    {"held-none", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "names the held region without its memfd, and no region is held"},
	    {"held-worker-sealed", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "that region was sealed by the worker (revision 1.1)"},
	    {"held-with-memfd", PRIVSEP_V_BAD_FD_COUNT, "", NULL, 0,
	     "id 2 len 8 nfds 1: call bulk allows 8..8 bytes, 1..1 fds"},
	    {"part-without-region", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "a part names the held region without its memfd, and no region is held"},
	    {"part-not-permitted", PRIVSEP_V_NOT_PERMITTED, "", NULL, 0,
	     "no bulk type is permitted"},
	    {"part-total-over-the-permitted", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "1 to the largest bulk limit of the permitted bulk types, 1048576"},
	    {"part-total-over-the-largest", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "of the permitted bulk types, 2097152"},
	    {"part-empty", PRIVSEP_V_BAD_BULK, "", NULL, 0, "is empty"},
	    {"part-past-the-region", PRIVSEP_V_BAD_BULK, "", NULL, 0, "runs past its end"},
	    {"part-first-not-at-0", PRIVSEP_V_BAD_BULK, "", NULL, 0, "(the first part is at 0)"},
	    {"part-gap", PRIVSEP_V_BAD_BULK, "", NULL, 0, "leaves a gap"},
	    {"part-overlap", PRIVSEP_V_BAD_BULK, "", NULL, 0, "overlaps what came"},
	    {"part-past-total", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "runs past the end of its payload of 100"},
	    {"part-total-changes", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the total of a payload in parts changed"},
	    {"part-another-memfd", PRIVSEP_V_BAD_BULK, "", NULL, 0, "a region swapped mid-payload"},
	    {"part-then-region-record", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "with its region's memfd while a payload in parts waits"},
	    {"final-total-changed", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "its parts said 100 bytes, its final record 99"},
	    {"final-before-the-last-part", PRIVSEP_V_BAD_BULK, "", NULL, 0, "a part is missing"},
	    {"final-over-its-bulk-max", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "bulk of 1052672 bytes is over the type's limit of 1048576"},
	    {"part-with-id", PRIVSEP_V_ID_ON_POST, "", NULL, 0, "(REGION_PART) id 7 len 32"},
	    {"part-short", PRIVSEP_V_BAD_SIZE, "", NULL, 0,
	     "len 24 nfds 0: one-way REGION_PART allows 32..36 bytes"},
	    /* 1.2: BATCH */
	    {"batch-runs-past-the-end", PRIVSEP_V_BAD_BATCH, "", NULL, 0,
	     "(BATCH) id 0 len 22 nfds 0: entry 2 (type 0x10001): len 100 runs past the end of the batch"},
	    {"batch-framework-entry", PRIVSEP_V_BAD_BATCH, "x|", NULL, 0,
	     "(BATCH) id 0 len 22 nfds 0: batch entry 2 (type 0x2, PING len 0): "},
	    {"batch-bulk-entry", PRIVSEP_V_BAD_BATCH, "x|", NULL, 0,
	     "(BATCH) id 0 len 30 nfds 0: batch entry 2 (type 0x10005, bpost len 8): "},
	    {"batch-fds-entry", PRIVSEP_V_BAD_BATCH, "x|", NULL, 0,
	     "(BATCH) id 0 len 22 nfds 0: batch entry 2 (type 0x10000, echo len 0): "},
	    {"batch-call-entry", PRIVSEP_V_CALL_WITHOUT_ID, "x|", NULL, 0,
	     "(BATCH) id 0 len 28 nfds 0: batch entry 2 (type 0x10004, done len 6): "},
	    {"batch-event-entry", PRIVSEP_V_WRONG_DIRECTION, "x|", NULL, 0,
	     "(BATCH) id 0 len 26 nfds 0: batch entry 2 (type 0x10002, tick len 4): "},
	    {"batch-unknown-entry", PRIVSEP_V_UNKNOWN_TYPE, "x|", NULL, 0,
	     "(BATCH) id 0 len 22 nfds 0: batch entry 2 (type 0x7fffffff len 0): "},
	    {"batch-entry-size", PRIVSEP_V_BAD_SIZE, "x|", NULL, 0,
	     "(BATCH) id 0 len 24 nfds 0: batch entry 2 (type 0x10001, note len 2): "},
	    {"batch-entry-payload", PRIVSEP_V_BAD_PAYLOAD, "x|", NULL, 0,
	     "(BATCH) id 0 len 28 nfds 0: batch entry 2 (type 0x10001, note len 6): one-way note: "},
	    {"batch-dropped-entry", PRIVSEP_V_NOT_PERMITTED, "", NULL, 0,
	     "(BATCH) id 0 len 14 nfds 0: batch entry 1 (type 0x10001, note len 6): "},
	    {"batch-with-id", PRIVSEP_V_ID_ON_POST, "", NULL, 0, "(BATCH) id 5 len 14 nfds 0"},
	    {"batch-short", PRIVSEP_V_BAD_SIZE, "", NULL, 0, "(BATCH) id 0 len 4 nfds 0"},
	    {"batch-with-fd", PRIVSEP_V_BAD_FD_COUNT, "", NULL, 0, "(BATCH) id 0 len 14 nfds 1"},
	    /* 1.6: FS_OPEN with bit 31 */
	    {"fs-open-short", PRIVSEP_V_BAD_SIZE, "", NULL, 0,
	     "(FS_OPEN) id 1 len 8 nfds 0: call FS_OPEN allows 9.."},
	    {"fs-open-bad-str", PRIVSEP_V_BAD_PAYLOAD, "", NULL, 0,
	     "(FS_OPEN) id 1 len 10 nfds 0: call FS_OPEN: the handler rejected the payload"},
	    /* 1.7: a REGION_PART that names a part-by-part type */
	    {"typed-part-whole-type", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "a part names type 0x10003 (bulk), which is not a bulk type the helper takes part by part"},
	    {"typed-part-no-bulk", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "not a bulk type the helper takes part by part"},
	    {"typed-part-unknown-type", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "not a bulk type the helper takes part by part"},
	    {"typed-part-framework-type", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "not a bulk type the helper takes part by part"},
	    {"typed-part-event", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "not a bulk type the helper takes part by part"},
	    {"typed-part-no-parts-row", PRIVSEP_V_BAD_BULK, "", NULL, 1,
	     "not a bulk type the helper takes part by part"},
	    {"typed-part-not-permitted", PRIVSEP_V_NOT_PERMITTED, "", NULL, 0,
	     "a part of a payload of pcall, which is no longer permitted"},
	    {"typed-part-total-over-its-row", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "in parts of 1052673 bytes of ppost: 1 to its bulk limit, 1052672"},
	    {"typed-part-total-zero", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "in parts of 0 bytes of pcall: 1 to its bulk limit"},
	    {"part-of-34-bytes", PRIVSEP_V_BAD_SIZE, "", NULL, 0,
	     "len 34 nfds 0: a part is u64 total, off, at and len (32 bytes), then u32 type (36)"},
	    {"part-of-37-bytes", PRIVSEP_V_BAD_SIZE, "", NULL, 0,
	     "len 37 nfds 0: one-way REGION_PART allows 32..36 bytes"},
	    {"typed-part-empty", PRIVSEP_V_BAD_BULK, "", NULL, 0, "is empty"},
	    {"typed-part-past-the-region", PRIVSEP_V_BAD_BULK, "", NULL, 0, "runs past its end"},
	    {"typed-part-first-not-at-0", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "(the first part is at 0)"},
	    {"typed-part-gap", PRIVSEP_V_BAD_BULK, "", "ba", 0, "leaves a gap"},
	    {"typed-part-overlap", PRIVSEP_V_BAD_BULK, "", "ba", 0, "overlaps what came"},
	    {"typed-part-again", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "overlaps what came (or comes again)"},
	    {"typed-part-past-total", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "runs past the end of its payload of 100"},
	    {"typed-part-total-changes", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "the total of a payload in parts changed"},
	    {"typed-part-another-memfd", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "a region swapped mid-payload"},
	    {"typed-part-type-changes", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "a part of type 0x10007 in a payload in parts of type 0x10006"},
	    {"typed-part-then-untyped", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "the type changed mid-payload"},
	    {"untyped-part-then-typed", PRIVSEP_V_BAD_BULK, "", NULL, 0,
	     "the type changed mid-payload"},
	    {"typed-part-whole-type-none-permitted", PRIVSEP_V_NOT_PERMITTED, "", NULL, 0,
	     "no bulk type is permitted"},
	    {"typed-part-not-permitted-no-region", PRIVSEP_V_NOT_PERMITTED, "", NULL, 0,
	     "which is no longer permitted"},
	    {"typed-part-gap-after-refusal", PRIVSEP_V_BAD_BULK, "", "b", 0, "leaves a gap"},
	    {"typed-final-whole-type", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "a record of type 0x10003 ends a payload in parts whose parts named type 0x10006"},
	    {"typed-final-other-parts-type", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "ends a payload in parts whose parts named type 0x10006"},
	    {"typed-final-total-changed", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "the total of a payload in parts changed"},
	    {"typed-final-before-the-last-part", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "a part is missing"},
	    {"typed-part-then-sealed-same-type", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "in its own memfd while a payload of that type in parts waits"},
	    {"typed-part-then-region-record", PRIVSEP_V_BAD_BULK, "", "ba", 0,
	     "with its region's memfd while a payload in parts waits"},
	    /* the handler refuses a part as malformed: no more of it, no
	     * abandon */
	    {"typed-part-handler-violation", PRIVSEP_V_BAD_PAYLOAD, "", "bb", 0,
	     "type 0x9 (REGION_PART) id 0 len 36 nfds 0: one-way ppost: part of 500 bytes at 500 of 1000: byte 700 of the payload differs"},
	    {"whole-handler-violation", PRIVSEP_V_BAD_PAYLOAD, "", "b", 0,
	     "type 0x10007 (ppost) id 0 len 8 nfds 1: one-way ppost: byte 700 of the payload differs"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		struct hx *x = runs[i].plain ? run_in(runs[i].mode, table, TABLE_WITHOUT_PARTS, 0)
		                             : run(runs[i].mode);
		const char *want_fed = runs[i].fed ? runs[i].fed : "";

		if (strcmp(notes, runs[i].notes) || strcmp(fed, want_fed) || faults[0] ||
		    x->last_exit.kind != PRIVSEP_EXIT_VIOLATION ||
		    x->last_exit.violation != runs[i].v)
			fprintf(stderr, "mode %s: notes \"%s\" fed \"%s\" faults \"%s\"\n",
			        runs[i].mode, notes, fed, faults);
		py_assert_killed(x, runs[i].v, runs[i].line);
		assert_string_equal(notes, runs[i].notes);
		assert_string_equal(fed, want_fed);
		assert_string_equal(faults, "");
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
	    cmocka_unit_test(a_python_worker_from_the_spec_sends_every_record_of_revision_1_7),
	    cmocka_unit_test(a_payload_fed_a_part_is_abandoned_when_its_worker_exits),
	    cmocka_unit_test(
	        a_python_worker_is_killed_for_each_rule_of_revisions_1_1_to_1_7_it_breaks),
	    cmocka_unit_test(under_a_record_limit_of_64_fs_open_with_the_stat_is_answered_emsgsize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
