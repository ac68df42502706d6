/* SPDX-License-Identifier: ISC */
/*
 * test_batch.c - BATCH records (docs/PROTOCOL.md, section 6): one-way
 * messages coalesced into one record, each still checked against its row
 * and served in order.  The attacker builds batches by hand: lengths that
 * lie, an entry out of its row's bounds, fds, a type unknown, a framework
 * type, a bulk type, a call, an event, a type whose permit it dropped,
 * and a permit the helper revokes in the middle of a batch.  Each is its
 * violation, named; the entries before it were served, none after it.
 * Then an honest client's batched posts, in order, with nothing lost.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"

#define T_NOTE (PRIVSEP_TYPE_APP_MIN + 1)  /* post, 4..8 bytes */
#define T_OTHER (PRIVSEP_TYPE_APP_MIN + 2) /* post, any size */
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 3)
#define T_EV (PRIVSEP_TYPE_APP_MIN + 4)
#define T_FD (PRIVSEP_TYPE_APP_MIN + 5)   /* post with one fd */
#define T_BULK (PRIVSEP_TYPE_APP_MIN + 6) /* post with a bulk */
#define T_ONCE (PRIVSEP_TYPE_APP_MIN + 7) /* post, once */
#define T_REVOKE (PRIVSEP_TYPE_APP_MIN + 8)
#define T_STRICT (PRIVSEP_TYPE_APP_MIN + 9) /* post, 4 bytes: 0xbad is malformed */

/* what the handlers saw, in order */
static uint32_t seen[4096];
static atomic_int nseen;

static int note(struct privsep_req *req, void *arg)
{
	uint32_t v = 0;
	(void)arg;
	memcpy(&v, req->data, req->len < 4 ? req->len : 4);
	if (nseen < 4096)
		seen[nseen] = v;
	nseen++;
	return 0;
}

/* revokes T_NOTE's permit, as a helper's code may at any time */
static int revoke_note(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_worker_drop_permit(req->worker, T_NOTE);
	nseen++;
	return 0;
}

/* a note whose value 0xbad its handler finds malformed */
static int strict(struct privsep_req *req, void *arg)
{
	uint32_t v;
	memcpy(&v, req->data, 4);
	if (v == 0xbad) {
		privsep_req_fail(req, EBADMSG, "value 0x%x", v);
		return PRIVSEP_VIOLATION;
	}
	return note(req, arg);
}

static int call(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_NOTE,
     .name = "note",
     .min_len = 4,
     .max_len = 8,
     .flags = PRIVSEP_H_POST,
     .fn = note},
    {.type = T_OTHER, .name = "other", .max_len = 64, .flags = PRIVSEP_H_POST, .fn = note},
    {.type = T_CALL, .name = "call", .max_len = 8, .flags = PRIVSEP_H_CALL, .fn = call},
    {.type = T_EV, .name = "event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
    {.type = T_FD,
     .name = "with-fd",
     .max_len = 8,
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_POST,
     .fn = note},
    {.type = T_BULK,
     .name = "bulk",
     .max_len = 8,
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = note,
     .bulk_max = 64},
    {.type = T_ONCE,
     .name = "once",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_POST | PRIVSEP_H_ONCE,
     .fn = note},
    {.type = T_REVOKE, .name = "revoke", .flags = PRIVSEP_H_POST, .fn = revoke_note},
    {.type = T_STRICT,
     .name = "strict",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_POST,
     .fn = strict},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* ---- a batch, by hand ---- */

struct batch {
	uint8_t b[4096];
	size_t n;
};

static void put32(struct batch *b, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->b[b->n++] = (uint8_t)(v >> (8 * i));
}

/* An entry of type with len bytes: the u32 value v, then zeros. */
static void entry(struct batch *b, uint32_t type, uint32_t len, uint32_t v)
{
	put32(b, type);
	put32(b, len);
	memset(b->b + b->n, 0, len);
	memcpy(b->b + b->n, &v, len < 4 ? len : 4);
	b->n += len;
}

/* Send b as one BATCH record (with fds) from a raw worker; pump until it
 * is gone or served.  The violation it was killed for (NONE: alive). */
static enum privsep_violation send_batch(struct hx *x, int sock, const struct batch *b,
                                         const int *fds, size_t nfds)
{
	uint8_t rec[PRIVSEP_HDR_LEN + sizeof(b->b)];
	size_t n = rec_make(rec, PRIVSEP_T_BATCH, 0, b->b, b->n, (uint8_t)nfds);
	int gone = x->gone;
	assert_int_equal(raw_send(sock, rec, n, fds, nfds), 0);
	for (int t = 0; t < 100 && x->gone == gone; t++)
		if (privsep_helper_step(x->h, 20) == 0)
			break;
	/* a live worker: everything it sent is served in one wake-up */
	return x->gone > gone ? x->last_viol : PRIVSEP_V_NONE;
}

/* A fresh helper and raw worker, the batch b sent: its verdict, and
 * nseen the entries served. */
static enum privsep_violation verdict(const struct batch *b, const int *fds, size_t nfds,
                                      const char *logged)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "attacker", NULL);
	enum privsep_violation v;
	nseen = 0;
	v = send_batch(x, sock, b, fds, nfds);
	if (logged && !hx_logged(x, logged)) {
		for (int i = 0; i < x->nlog; i++)
			print_message("log: %s\n", x->log[i]);
		fail_msg("no log line with \"%s\"", logged);
	}
	close(sock);
	hx_free(x);
	return v;
}

static void
a_batch_whose_entry_header_runs_past_its_end_is_bad_batch_and_serves_nothing(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	put32(&b, T_NOTE); /* half a header */
	assert_int_equal(verdict(&b, NULL, 0, "entry 2: its header runs past the end"),
	                 PRIVSEP_V_BAD_BATCH);
	assert_int_equal(nseen, 0); /* the framing is checked whole, first */
}

static void a_batch_whose_entry_length_lies_is_bad_batch_and_serves_nothing(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	put32(&b, T_NOTE);
	put32(&b, 4000); /* more than is left */
	put32(&b, 2);
	assert_int_equal(verdict(&b, NULL, 0, "len 4000 runs past the end"), PRIVSEP_V_BAD_BATCH);
	assert_int_equal(nseen, 0);
	/* and a length that wraps when added to the offset */
	b.n = 0;
	entry(&b, T_NOTE, 4, 1);
	put32(&b, T_NOTE);
	put32(&b, UINT32_MAX - 3);
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_BAD_BATCH);
	assert_int_equal(nseen, 0);
}

static void an_empty_batch_is_bad_size(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_BAD_SIZE);
}

static void an_entry_outside_its_rows_bounds_is_bad_size_after_the_entries_before_it(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	entry(&b, T_NOTE, 8, 2);
	entry(&b, T_NOTE, 9, 3); /* note takes 4..8 */
	entry(&b, T_NOTE, 4, 4);
	assert_int_equal(verdict(&b, NULL, 0, "batch entry 3 (type 0x10001, note len 9)"),
	                 PRIVSEP_V_BAD_SIZE);
	/* served in order up to the bad one, as separate records would */
	assert_int_equal(nseen, 2);
	assert_int_equal(seen[0], 1);
	assert_int_equal(seen[1], 2);
	b.n = 0;
	entry(&b, T_NOTE, 3, 1);
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_BAD_SIZE);
	assert_int_equal(nseen, 0);
}

/* Section 6: an entry its handler finds malformed is bad-payload, logged
 * as the entries' other violations are: the BATCH's header, then the
 * entry named (not as a lone record of the entry's type). */
static void an_entry_its_handler_finds_malformed_is_bad_payload_named_as_that_entry(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	entry(&b, T_STRICT, 4, 0xbad);
	entry(&b, T_NOTE, 4, 3);
	assert_int_equal(verdict(&b, NULL, 0,
	                         ": protocol violation bad-payload: type 0x7 (BATCH) id 0 len 36 "
	                         "nfds 0: batch entry 2 (type 0x10009, strict len 4): one-way "
	                         "strict: value 0xbad; worker killed"),
	                 PRIVSEP_V_BAD_PAYLOAD);
	/* the entry before it served, none after it */
	assert_int_equal(nseen, 1);
	assert_int_equal(seen[0], 1);
}

static void a_batch_with_fds_is_bad_fd_count_and_an_entry_that_needs_fds_is_bad_batch(void **state)
{
	struct batch b = {.n = 0};
	int p[2];
	(void)state;
	assert_int_equal(pipe(p), 0);
	entry(&b, T_NOTE, 4, 1);
	/* the record itself: BATCH takes no fd */
	assert_int_equal(verdict(&b, p, 1, NULL), PRIVSEP_V_BAD_FD_COUNT);
	assert_int_equal(nseen, 0);
	/* an entry whose row needs an fd, which a batch cannot carry */
	entry(&b, T_FD, 4, 2);
	assert_int_equal(verdict(&b, NULL, 0, "with-fd needs fds"), PRIVSEP_V_BAD_BATCH);
	assert_int_equal(nseen, 1);
	/* nor a bulk type's memfd */
	b.n = 0;
	entry(&b, T_BULK, 8, 3);
	assert_int_equal(verdict(&b, NULL, 0, "needs a bulk memfd"), PRIVSEP_V_BAD_BATCH);
	assert_int_equal(nseen, 0);
	close(p[0]);
	close(p[1]);
}

static void an_unknown_type_inside_a_batch_is_unknown_type(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	entry(&b, 0x1ffff, 4, 2);
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_UNKNOWN_TYPE);
	assert_int_equal(nseen, 1);
}

static void a_framework_type_or_a_batch_inside_a_batch_is_bad_batch(void **state)
{
	static const uint32_t fw[] = {
	    PRIVSEP_T_PING,  PRIVSEP_T_PERMIT_DROP, PRIVSEP_T_SANDBOX_FAILED, PRIVSEP_T_READY,
	    PRIVSEP_T_BATCH, PRIVSEP_T_REPLY,       PRIVSEP_T_FS_OPEN,        0x8};
	(void)state;
	for (size_t i = 0; i < sizeof(fw) / sizeof(fw[0]); i++) {
		struct batch b = {.n = 0};
		entry(&b, fw[i], 4, 1);
		assert_int_equal(verdict(&b, NULL, 0, "a batch carries application types only"),
		                 PRIVSEP_V_BAD_BATCH);
		assert_int_equal(nseen, 0);
	}
}

static void a_call_or_an_event_inside_a_batch_is_its_violation(void **state)
{
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_CALL, 4, 1); /* a call has an id; an entry has none */
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_CALL_WITHOUT_ID);
	b.n = 0;
	entry(&b, T_EV, 4, 1); /* only the helper sends events */
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_WRONG_DIRECTION);
	assert_int_equal(nseen, 0);
}

static void a_type_whose_permit_was_dropped_is_not_permitted_inside_a_batch(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "attacker", &w);
	struct batch b = {.n = 0};
	(void)state;
	assert_int_equal(privsep_worker_drop_permit(w, T_OTHER), 0);
	entry(&b, T_NOTE, 4, 1);
	entry(&b, T_OTHER, 4, 2);
	nseen = 0;
	assert_int_equal(send_batch(x, sock, &b, NULL, 0), PRIVSEP_V_NOT_PERMITTED);
	assert_int_equal(nseen, 1);
	close(sock);
	hx_free(x);

	/* a one-shot type twice in one batch: the second is not permitted */
	b.n = 0;
	entry(&b, T_ONCE, 4, 1);
	entry(&b, T_ONCE, 4, 2);
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_NOT_PERMITTED);
	assert_int_equal(nseen, 1);
}

static void a_permit_revoked_by_an_earlier_entry_s_handler_holds_for_the_next_entry(void **state)
{
	/* each entry is checked when its turn comes, not all at first: the
	 * handler of entry 2 revokes note, so entry 3 is not permitted */
	struct batch b = {.n = 0};
	(void)state;
	entry(&b, T_NOTE, 4, 1);
	entry(&b, T_REVOKE, 0, 0);
	entry(&b, T_NOTE, 4, 3);
	assert_int_equal(verdict(&b, NULL, 0, NULL), PRIVSEP_V_NOT_PERMITTED);
	assert_int_equal(nseen, 2);
}

static void a_worker_that_dropped_batch_cannot_send_one(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "attacker", &w);
	struct batch b = {.n = 0};
	(void)state;
	assert_int_equal(privsep_worker_drop_permit(w, PRIVSEP_T_BATCH), 0);
	entry(&b, T_NOTE, 4, 1);
	nseen = 0;
	assert_int_equal(send_batch(x, sock, &b, NULL, 0), PRIVSEP_V_NOT_PERMITTED);
	assert_int_equal(nseen, 0);
	close(sock);
	hx_free(x);
}

/* ---- an honest client ---- */

static void batched_posts_arrive_each_checked_in_order_across_records_and_other_sends(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_client *c;
	const int n = 3000; /* several records' worth at the default limit */
	(void)state;
	{
		int sv[2];
		struct privsep_client_config cfg = {.table = table, .n = NTABLE};
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		assert_non_null(helper_attach(x->h, sv[0], -1, 0, "honest"));
		c = privsep_client_new(sv[1], &cfg);
		assert_non_null(c);
	}
	nseen = 0;
	for (int i = 0; i < n; i++) {
		uint32_t v = (uint32_t)i;
		/* every 500th a plain post: it goes after the batch before it */
		unsigned flags = i % 500 == 499 ? PRIVSEP_POST_NOWAIT : PRIVSEP_POST_BATCH;
		assert_int_equal(privsep_client_post(c, &(struct privsep_out){.type = T_NOTE,
		                                                              .data = &v,
		                                                              .len = 4,
		                                                              .flags = flags}),
		                 0);
		if (i % 97 == 0) /* the helper reads now and then */
			privsep_helper_step(x->h, 0);
	}
	{
		/* one batch not sent yet counts as one queued record */
		uint32_t v = (uint32_t)n;
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_NOTE,
		                                                 .data = &v,
		                                                 .len = 4,
		                                                 .flags = PRIVSEP_POST_BATCH}),
		    0);
		assert_true(privsep_client_queued(c) >= 1);
	}
	assert_int_equal(privsep_client_flush(c, 5000), 0);
	assert_int_equal(privsep_client_queued(c), 0);
	for (int t = 0; t < 200 && nseen < n + 1; t++)
		privsep_helper_step(x->h, 20);
	assert_int_equal(nseen, n + 1);
	for (int i = 0; i <= n; i++)
		assert_int_equal(seen[i], (uint32_t)i);
	assert_int_equal(x->gone, 0);
	/* what the helper would kill for is refused here: out of bounds, an
	 * fd, a framework type, a call type; nothing is sent */
	{
		uint32_t v = 0;
		int fd = 0;
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_NOTE,
		                                                 .data = &v,
		                                                 .len = 2,
		                                                 .flags = PRIVSEP_POST_BATCH}),
		    -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_NOTE,
		                                                 .data = &v,
		                                                 .len = 4,
		                                                 .fds = &fd,
		                                                 .nfds = 1,
		                                                 .flags = PRIVSEP_POST_BATCH}),
		    -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = PRIVSEP_T_PING,
		                                                 .flags = PRIVSEP_POST_BATCH}),
		    -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_CALL,
		                                                 .data = &v,
		                                                 .len = 4,
		                                                 .flags = PRIVSEP_POST_BATCH}),
		    -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(privsep_client_queued(c), 0);
	}
	privsep_client_free(c);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_batch_whose_entry_header_runs_past_its_end_is_bad_batch_and_serves_nothing),
	    cmocka_unit_test(a_batch_whose_entry_length_lies_is_bad_batch_and_serves_nothing),
	    cmocka_unit_test(an_empty_batch_is_bad_size),
	    cmocka_unit_test(
	        an_entry_outside_its_rows_bounds_is_bad_size_after_the_entries_before_it),
	    cmocka_unit_test(
	        a_batch_with_fds_is_bad_fd_count_and_an_entry_that_needs_fds_is_bad_batch),
	    cmocka_unit_test(an_unknown_type_inside_a_batch_is_unknown_type),
	    cmocka_unit_test(
	        an_entry_its_handler_finds_malformed_is_bad_payload_named_as_that_entry),
	    cmocka_unit_test(a_framework_type_or_a_batch_inside_a_batch_is_bad_batch),
	    cmocka_unit_test(a_call_or_an_event_inside_a_batch_is_its_violation),
	    cmocka_unit_test(a_type_whose_permit_was_dropped_is_not_permitted_inside_a_batch),
	    cmocka_unit_test(
	        a_permit_revoked_by_an_earlier_entry_s_handler_holds_for_the_next_entry),
	    cmocka_unit_test(a_worker_that_dropped_batch_cannot_send_one),
	    cmocka_unit_test(
	        batched_posts_arrive_each_checked_in_order_across_records_and_other_sends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
