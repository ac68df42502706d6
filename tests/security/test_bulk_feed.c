/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_feed.c - a bulk type whose handler takes its payload part by
 * part (PRIVSEP_H_PARTS; docs/PROTOCOL.md section 5, "Revision 1.7";
 * privsep_req_part(3)), attacked by a raw worker that sends any part of
 * any type in any order and holds its region read-write for ever.
 *
 * What the handler relies on, each a test below: it sees only parts of
 * its own type, in order, each the helper's copy (the worker rewriting
 * its region after a copy changes no byte the handler holds); a payload
 * it was fed ends for it exactly once, with PRIVSEP_PART_END or
 * PRIVSEP_PART_ABANDON (a violation, the worker's end, a part lost at
 * the fd limit), unless it refused a part itself; every malformed part
 * is a violation with one line.
 */
#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "attacker_region.h"
#include "bulk.h"
#include "bulk_peer.h"
#include "harness.h"
#include "region.h"
#include "wire.h"

#define T_FEED (PRIVSEP_TYPE_APP_MIN + 1)
#define T_FEED2 (PRIVSEP_TYPE_APP_MIN + 2)
#define T_FEED_CALL (PRIVSEP_TYPE_APP_MIN + 3)
#define T_WHOLE (PRIVSEP_TYPE_APP_MIN + 4)
#define T_SMALL (PRIVSEP_TYPE_APP_MIN + 5)
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 6)
#define MIB (1u << 20)
#define LIMIT (64u * MIB)
#define HELD(n) (REGION_FLAG | REGION_HELD | (uint64_t)(n))

/* ---- the handler: what it was fed ---- */

static struct {
	atomic_int parts, ends, abandons;
	int bad;           /* a part out of order, or with the message's own */
	uint64_t next_off; /* where the next part must start */
	uint64_t hash;     /* of the bytes fed so far, in order */
	uint64_t end_total;
	size_t end_len; /* the message's own payload at the end */
	uint32_t end_type;
	int refuse_at, violate_at; /* the part to refuse (EACCES) or call a violation */
	struct region *rewrite;    /* rewritten after each part's copy */
	int stable;                /* parts whose bytes stayed as copied */
	int uniform;               /* parts whose bytes were all 'A' + their rank */
	int racing;                /* a thread rewrites the region all the time */
} f;

/* The racing thread's whole-region rewrites so far. */
static atomic_int flips, stop_racing;

static void feed_reset(void)
{
	memset(&f, 0, sizeof(f));
	f.refuse_at = f.violate_at = -1;
	f.hash = bulk_peer_hash(NULL, 0);
}

static int feeding(struct privsep_req *req, void *arg)
{
	int k;
	(void)arg;
	switch (req->part) {
	case PRIVSEP_PART_BYTES:
		k = f.parts;
		if (req->bulk_off != f.next_off || req->id || req->len || req->nfds || !req->bulk ||
		    req->bulk_off + req->bulk_len > req->bulk_total)
			f.bad++;
		f.hash = bulk_peer_hash_more(f.hash, req->bulk, req->bulk_len);
		f.next_off += req->bulk_len;
		if (f.rewrite) {
			/* the worker writes its whole region again, after the
			 * copy, while the handler holds the part */
			uint8_t v = (uint8_t)('A' + k);
			f.uniform += bulk_peer_all(req->bulk, req->bulk_len, v);
			memset(f.rewrite->map + pg, v + 1, f.rewrite->len);
			f.stable += bulk_peer_all(req->bulk, req->bulk_len, v);
		}
		if (f.racing) {
			/* hold the part while the worker writes its whole
			 * region twice more */
			uint64_t h0 = bulk_peer_hash(req->bulk, req->bulk_len);
			int n0 = atomic_load(&flips);
			while (atomic_load(&flips) < n0 + 2)
				sched_yield();
			f.stable += bulk_peer_hash(req->bulk, req->bulk_len) == h0;
		}
		f.parts++;
		if (k == f.refuse_at)
			return privsep_req_fail(req, EACCES, "part %d refused", k);
		if (k == f.violate_at) {
			privsep_req_fail(req, EBADMSG, "part %d is not what the type says", k);
			return PRIVSEP_VIOLATION;
		}
		return 0;
	case PRIVSEP_PART_END:
		if (req->bulk || req->bulk_len)
			f.bad++;
		f.end_total = req->bulk_total;
		f.end_len = req->len;
		f.end_type = req->type;
		f.ends++;
		return 0;
	case PRIVSEP_PART_ABANDON:
		if (req->bulk || req->bulk_len)
			f.bad++;
		f.abandons++;
		return 0;
	default:
		f.bad++;
		return 0;
	}
}

static atomic_int whole_served;

static int whole(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (req->part != PRIVSEP_PART_NONE)
		f.bad++;
	whole_served++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_FEED,
     .name = "feed",
     .max_len = 16,
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .bulk_max = LIMIT},
    {.type = T_FEED2,
     .name = "feed2",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .bulk_max = LIMIT},
    {.type = T_FEED_CALL,
     .name = "feed-call",
     .max_len = 16,
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .bulk_max = LIMIT},
    {.type = T_WHOLE,
     .name = "whole",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = whole,
     .bulk_max = LIMIT},
    {.type = T_SMALL,
     .name = "small-feed",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .bulk_max = 8192},
    {.type = T_CALL, .name = "call", .max_len = 16, .flags = PRIVSEP_H_CALL, .fn = whole},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* A part of a payload of 4 pages of type, at offset off (a page), from
 * the region's own place. */
static void part(int sock, uint32_t type, size_t off, int fd)
{
	bulk_peer_part_typed(sock, 4 * pg, off, off, pg, type, REGION_PART_TYPED_LEN, fd);
}

/* The rig (attacker_region.h) over the table, the handler's record
 * reset. */
static struct region_rig rig_up(void)
{
	struct region_rig g = region_rig_up(table, NTABLE);
	feed_reset();
	return g;
}

/* ---- every malformed part: a violation, one line, the handler told ---- */

struct case_ {
	const char *name;
	void (*send)(int sock, struct region *r, struct privsep_worker *w);
	enum privsep_violation viol;
	const char *line; /* a part of the one line */
	int fed;          /* parts the handler was fed first (then told ABANDON once) */
};

static void c_unknown(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, PRIVSEP_TYPE_APP_MIN + 99, 0, r->fd);
}
static void c_whole_type(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_WHOLE, 0, r->fd);
}
static void c_not_bulk(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_CALL, 0, r->fd);
}
static void c_framework_type(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, PRIVSEP_T_PING, 0, r->fd);
}
static void c_dropped(int sock, struct region *r, struct privsep_worker *w)
{
	assert_int_equal(privsep_worker_drop_permit(w, T_FEED), 0);
	part(sock, T_FEED, 0, r->fd);
}
static void c_switch(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_FEED, 0, r->fd);
	part(sock, T_FEED2, pg, -1);
}
static void c_typed_then_plain(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_FEED, 0, r->fd);
	bulk_peer_part(sock, 4 * pg, pg, pg, pg, -1);
}
static void c_plain_then_typed(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	bulk_peer_part(sock, 4 * pg, 0, 0, pg, r->fd);
	part(sock, T_FEED, pg, -1);
}
static void c_final_other(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	for (size_t k = 0; k < 4; k++)
		part(sock, T_FEED, k * pg, k ? -1 : r->fd);
	bulk_peer_send(sock, T_FEED2, 0, HELD(4 * pg), -1);
}
static void c_final_whole(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	for (size_t k = 0; k < 4; k++)
		part(sock, T_FEED, k * pg, k ? -1 : r->fd);
	bulk_peer_send(sock, T_WHOLE, 0, HELD(4 * pg), -1);
}
static void c_overlap(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_FEED, 0, r->fd);
	part(sock, T_FEED, 0, -1);
}
static void c_skip(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_FEED, 0, r->fd);
	part(sock, T_FEED, 2 * pg, -1);
}
static void c_past_region(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_FEED, 0, r->fd);
	bulk_peer_part_typed(sock, 4 * pg, pg, 4 * pg, pg, T_FEED, REGION_PART_TYPED_LEN, -1);
}
static void c_own_memfd_mid(int sock, struct region *r, struct privsep_worker *w)
{
	uint8_t b[16] = {0};
	int fd = bulk_make(b, sizeof(b));
	(void)w;
	assert_true(fd >= 0);
	part(sock, T_FEED, 0, r->fd);
	bulk_peer_send(sock, T_FEED, 0, sizeof(b), fd);
	close(fd);
}
static void c_over_limit(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	part(sock, T_SMALL, 0, r->fd); /* 4 pages: over its 8 KiB */
}
static void c_cut_type(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	bulk_peer_part_typed(sock, 4 * pg, 0, 0, pg, T_FEED, REGION_PART_TYPED_LEN - 1, r->fd);
}
static void c_handler_violation(int sock, struct region *r, struct privsep_worker *w)
{
	(void)w;
	f.violate_at = 1;
	for (size_t k = 0; k < 4; k++)
		part(sock, T_FEED, k * pg, k ? -1 : r->fd);
}

static void
every_malformed_typed_part_is_a_violation_with_one_line_and_the_handler_told(void **state)
{
	static const struct case_ cases[] = {
	    {"a part naming a type no row has", c_unknown, PRIVSEP_V_BAD_BULK,
	     "not a bulk type the helper takes part by part", 0},
	    {"a part naming a whole-payload bulk type", c_whole_type, PRIVSEP_V_BAD_BULK,
	     "not a bulk type the helper takes part by part", 0},
	    {"a part naming a type with no bulk", c_not_bulk, PRIVSEP_V_BAD_BULK,
	     "not a bulk type the helper takes part by part", 0},
	    {"a part naming a framework type", c_framework_type, PRIVSEP_V_BAD_BULK,
	     "not a bulk type the helper takes part by part", 0},
	    {"a part of a type whose permit was dropped", c_dropped, PRIVSEP_V_NOT_PERMITTED,
	     "no longer permitted", 0},
	    {"a type that switches mid-payload", c_switch, PRIVSEP_V_BAD_BULK,
	     "the type changed mid-payload", 1},
	    {"a part naming no type after typed ones", c_typed_then_plain, PRIVSEP_V_BAD_BULK,
	     "the type changed mid-payload", 1},
	    {"a typed part after ones naming none", c_plain_then_typed, PRIVSEP_V_BAD_BULK,
	     "the type changed mid-payload", 0},
	    {"the final record of another part-by-part type", c_final_other, PRIVSEP_V_BAD_BULK,
	     "whose parts named type", 4},
	    {"the final record of a whole-payload type", c_final_whole, PRIVSEP_V_BAD_BULK,
	     "whose parts named type", 4},
	    {"an overlapping part", c_overlap, PRIVSEP_V_BAD_BULK, "overlaps", 1},
	    {"a part that skips bytes", c_skip, PRIVSEP_V_BAD_BULK, "leaves a gap", 1},
	    {"a part past the end of the region", c_past_region, PRIVSEP_V_BAD_BULK,
	     "runs past its end", 1},
	    {"a memfd of the fed type mid-payload", c_own_memfd_mid, PRIVSEP_V_BAD_BULK,
	     "waits for its final record", 1},
	    {"a total over its type's bulk limit", c_over_limit, PRIVSEP_V_BAD_BULK,
	     "1 to its bulk limit", 0},
	    {"a part with its type cut short", c_cut_type, PRIVSEP_V_BAD_SIZE, "then u32 type (36)",
	     0},
	    {"a part the handler calls a violation", c_handler_violation, PRIVSEP_V_BAD_PAYLOAD,
	     "part 1 is not what the type says", 2},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct region_rig g = rig_up();
		struct hx *x = g.x;
		int lines = 0;
		cases[i].send(g.sock, &g.r, g.w);
		if (!hx_pump_gone(x, 1, 3000))
			fail_msg("%s: the worker was not ended", cases[i].name);
		if (x->last_viol != cases[i].viol)
			fail_msg("%s: violation %d, not %d", cases[i].name, (int)x->last_viol,
			         (int)cases[i].viol);
		for (int l = 0; l < x->nlog; l++)
			lines += strstr(x->log[l], "protocol violation") != NULL;
		if (lines != 1 || !hx_logged(x, cases[i].line))
			fail_msg("%s: %d violation lines, \"%s\" %s", cases[i].name, lines,
			         cases[i].line,
			         hx_logged(x, cases[i].line) ? "logged" : "not logged");
		if (f.parts != cases[i].fed || f.ends != 0 || f.bad)
			fail_msg("%s: fed %d parts (not %d), %d ends, %d faults", cases[i].name,
			         (int)f.parts, cases[i].fed, (int)f.ends, f.bad);
		/* a payload fed and never ended is abandoned once; a handler
		 * that said violation itself is called no more */
		if (f.abandons != (cases[i].fed && cases[i].viol != PRIVSEP_V_BAD_PAYLOAD))
			fail_msg("%s: told ABANDON %d times", cases[i].name, (int)f.abandons);
		region_rig_down(&g);
	}
}

/* The permit dropped while a payload of that type is being fed: its
 * next part is not-permitted, and the handler is told ABANDON. */
static void a_part_after_its_type_was_dropped_mid_payload_abandons_it(void **state)
{
	struct region_rig g = rig_up();
	(void)state;
	part(g.sock, T_FEED, 0, g.r.fd);
	assert_int_equal(hx_pump_until(g.x, &f.parts, 3000), 1);
	assert_int_equal(privsep_worker_drop_permit(g.w, T_FEED), 0);
	part(g.sock, T_FEED, pg, -1);
	assert_true(hx_pump_gone(g.x, 1, 3000));
	assert_int_equal(g.x->last_viol, PRIVSEP_V_NOT_PERMITTED);
	assert_int_equal(f.parts, 1);
	assert_int_equal(f.abandons, 1);
	assert_int_equal(f.ends, 0);
	region_rig_down(&g);
}

/* ---- the bytes: the helper's copy, never the region ---- */

/* After each part's copy the worker writes its whole region again (the
 * handler does it for the worker, so that it happens exactly between the
 * copy and the handler's read, and while the handler holds the part):
 * each part holds what the region held when that part was copied, and
 * keeps it. */
static void
a_worker_rewriting_its_region_after_each_copy_never_changes_the_handler_s_bytes(void **state)
{
	struct region_rig g = rig_up();
	(void)state;
	f.rewrite = &g.r;
	memset(g.r.map + pg, 'A', 4 * pg);
	/* every part from the same place, the first page: what a ring does */
	for (size_t k = 0; k < 4; k++)
		bulk_peer_part_typed(g.sock, 4 * pg, k * pg, 0, pg, T_FEED, REGION_PART_TYPED_LEN,
		                     k ? -1 : g.r.fd);
	bulk_peer_send(g.sock, T_FEED, 0, HELD(4 * pg), -1);
	assert_int_equal(hx_pump_until(g.x, &f.ends, 3000), 1);
	assert_int_equal(f.parts, 4);
	assert_int_equal(f.uniform, 4);
	assert_int_equal(f.stable, 4);
	assert_int_equal(f.bad, 0);
	assert_int_equal(f.end_total, 4 * pg);
	assert_int_equal(f.abandons, 0);
	assert_int_equal(bulk_peer_done(g.r.map), 5);
	assert_int_equal(g.x->gone, 0);
	region_rig_down(&g);
}

static void *racer(void *arg)
{
	struct region *r = arg;
	for (uint8_t v = 0; !atomic_load(&stop_racing); v++) {
		memset(r->map + pg, v, r->len);
		atomic_fetch_add(&flips, 1);
	}
	return NULL;
}

/* A thread of the worker writes its whole region over and over, before,
 * during and after every copy: each part the handler holds keeps its
 * bytes while the region is written twice more (fails when the handler
 * is given the region). */
static void
a_worker_rewriting_its_region_during_the_copies_never_changes_the_handler_s_bytes(void **state)
{
	struct region_rig g = rig_up();
	pthread_t t;
	(void)state;
	f.racing = 1;
	atomic_store(&stop_racing, 0);
	assert_int_equal(pthread_create(&t, NULL, racer, &g.r), 0);
	for (size_t k = 0; k < 16; k++)
		bulk_peer_part_typed(g.sock, 16 * pg, k * pg, (k % 4) * pg, pg, T_FEED,
		                     REGION_PART_TYPED_LEN, k ? -1 : g.r.fd);
	bulk_peer_send(g.sock, T_FEED, 0, HELD(16 * pg), -1);
	assert_int_equal(hx_pump_until(g.x, &f.ends, 10000), 1);
	atomic_store(&stop_racing, 1);
	pthread_join(t, NULL);
	assert_int_equal(f.parts, 16);
	assert_int_equal(f.stable, 16);
	assert_int_equal(f.bad, 0);
	assert_int_equal(f.abandons, 0);
	region_rig_down(&g);
}

/* A part larger than REGION_SLOT (what a client that fell behind sends:
 * the rest of its payload as one part) is fed a piece of REGION_SLOT
 * bytes at a time, in order, each from the same small buffer; the
 * worker is told the part was read once, after its last piece. */
static void a_part_larger_than_a_piece_is_fed_a_piece_at_a_time(void **state)
{
	size_t len = 2 * REGION_SLOT + 5;
	struct region_rig g = rig_up();
	struct region big = region_new(len + pg, REGION_SEALS, len + pg);
	uint8_t *want = malloc(len);
	(void)state;
	assert_non_null(want);
	for (size_t i = 0; i < len; i++)
		want[i] = (uint8_t)(i * 7u + 1);
	memcpy(big.map + pg + pg, want, len);
	bulk_peer_part_typed(g.sock, len, 0, pg, len, T_FEED, REGION_PART_TYPED_LEN, big.fd);
	bulk_peer_send(g.sock, T_FEED, 0, HELD(len), -1);
	assert_int_equal(hx_pump_until(g.x, &f.ends, 5000), 1);
	assert_int_equal(f.parts, 3);
	assert_int_equal(f.next_off, len);
	assert_true(f.hash == bulk_peer_hash(want, len));
	assert_int_equal(f.bad, 0);
	assert_int_equal(bulk_peer_done(big.map), 2);
	free(want);
	region_del(&big);
	region_rig_down(&g);
}

/* ---- a payload that never ends ---- */

/* Parts, then the worker goes away without the final record: the
 * handler is told ABANDON once, never END. */
static void a_worker_that_never_sends_the_final_record_has_its_payload_abandoned(void **state)
{
	struct region_rig g = rig_up();
	(void)state;
	part(g.sock, T_FEED, 0, g.r.fd);
	part(g.sock, T_FEED, pg, -1);
	assert_int_equal(hx_pump_until(g.x, &f.abandons, 300), 0);
	assert_int_equal(f.parts, 2);
	close(g.sock);
	g.sock = -1;
	assert_true(hx_pump_gone(g.x, 1, 3000));
	assert_int_equal(f.abandons, 1);
	assert_int_equal(f.ends, 0);
	region_rig_down(&g);
}

/* A part the helper could not receive (its fd limit) drops the rest of
 * its payload: the handler fed the parts before is told ABANDON, the
 * call is answered EMFILE, nobody is killed, and the next payload is
 * fed whole. */
static void a_part_dropped_at_the_fd_limit_abandons_its_payload_and_kills_nobody(void **state)
{
	struct region_rig g = rig_up();
	struct rlimit saved;
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own under the limit */
	part(g.sock, T_FEED_CALL, 0, g.r.fd);
	assert_int_equal(hx_pump_until(g.x, &f.parts, 3000), 1);
	/* sent before the limit: a user's fds in flight count against it */
	part(g.sock, T_FEED_CALL, pg, g.r.fd);
	part(g.sock, T_FEED_CALL, 2 * pg, -1);
	part(g.sock, T_FEED_CALL, 3 * pg, -1);
	bulk_peer_send(g.sock, T_FEED_CALL, 7, HELD(4 * pg), -1);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(bulk_peer_fd_room(0), 0);
	{
		int err = bulk_peer_reply(g.x, g.sock, 7, 3000);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
		assert_int_equal(err, EMFILE);
	}
	assert_int_equal(f.parts, 1);
	assert_int_equal(f.abandons, 1);
	assert_int_equal(f.ends, 0);
	assert_int_equal(g.x->gone, 0);
	assert_true(hx_logged(g.x, "could not be received (helper at its fd limit)"));
	/* the next payload, in a new region as an honest worker makes one */
	{
		struct region r2 = region_new(4 * pg, REGION_SEALS, 4 * pg);
		feed_reset();
		for (size_t k = 0; k < 4; k++)
			part(g.sock, T_FEED_CALL, k * pg, k ? -1 : r2.fd);
		bulk_peer_send(g.sock, T_FEED_CALL, 8, HELD(4 * pg), -1);
		assert_int_equal(bulk_peer_reply(g.x, g.sock, 8, 3000), 0);
		assert_int_equal(f.parts, 4);
		assert_int_equal(f.ends, 1);
		assert_int_equal(f.abandons, 0);
		region_del(&r2);
	}
	region_rig_down(&g);
}

/* ---- the handler's own answers ---- */

/* A part refused (a positive errno): the rest is not fed, the call is
 * answered with that error and detail, the handler is called no more
 * for it (no END, no ABANDON), and the worker lives. */
static void a_part_the_handler_refuses_answers_the_call_and_feeds_no_more(void **state)
{
	struct region_rig g = rig_up();
	(void)state;
	f.refuse_at = 1;
	for (size_t k = 0; k < 4; k++)
		part(g.sock, T_FEED_CALL, k * pg, k ? -1 : g.r.fd);
	bulk_peer_send(g.sock, T_FEED_CALL, 9, HELD(4 * pg), -1);
	assert_int_equal(bulk_peer_reply(g.x, g.sock, 9, 3000), EACCES);
	assert_int_equal(f.parts, 2);
	assert_int_equal(f.ends, 0);
	assert_int_equal(f.abandons, 0);
	assert_int_equal(g.x->gone, 0);
	assert_int_equal(bulk_peer_done(g.r.map), 5);
	close(g.sock);
	g.sock = -1;
	assert_true(hx_pump_gone(g.x, 1, 3000));
	assert_int_equal(f.abandons, 0);
	region_rig_down(&g);
}

/* A payload that came whole (a sealed memfd) is fed as one part, then
 * the message; one of 0 bytes is the message alone. */
static void a_payload_that_came_whole_is_fed_as_one_part_then_the_message(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	uint8_t b[5000];
	int fd;
	(void)state;
	memset(b, 'w', sizeof(b));
	feed_reset();
	fd = bulk_make(b, sizeof(b));
	assert_true(fd >= 0);
	bulk_peer_send(sock, T_FEED, 0, sizeof(b), fd);
	close(fd);
	assert_int_equal(hx_pump_until(x, &f.ends, 3000), 1);
	assert_int_equal(f.parts, 1);
	assert_true(f.hash == bulk_peer_hash(b, sizeof(b)));
	assert_int_equal(f.end_total, sizeof(b));
	feed_reset();
	fd = bulk_make(b, 0);
	assert_true(fd >= 0);
	bulk_peer_send(sock, T_FEED, 0, 0, fd);
	close(fd);
	assert_int_equal(hx_pump_until(x, &f.ends, 3000), 1);
	assert_int_equal(f.parts, 0);
	assert_int_equal(f.end_total, 0);
	assert_int_equal(f.bad, 0);
	close(sock);
	hx_free(x);
}

/* ---- honest use ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131u + seed);
}

/* A client with the table sends a payload of a part-by-part type in parts
 * that name it (or whole, when small): every byte reaches the handler
 * once, in order, then the message with its own payload. */
static void an_honest_client_s_payloads_are_fed_intact_in_order(void **state)
{
	static const size_t sizes[] = {64u << 10, 5 * MIB + 1, 17 * MIB + 3, 4 * MIB, 1};
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "client", NULL);
	struct privsep_client_config cfg = {.table = table, .n = NTABLE};
	struct privsep_client *c = privsep_client_new(sock, &cfg);
	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *buf = malloc(sizes[i]);
		struct privsep_bulk b = {buf, sizes[i]};
		assert_non_null(buf);
		fill(buf, sizes[i], (uint8_t)(i + 3));
		feed_reset();
		assert_int_equal(
		    privsep_client_post(
		        c,
		        &(struct privsep_out){.type = T_FEED, .data = "msg", .len = 3, .bulk = &b}),
		    0);
		assert_int_equal(hx_pump_until(x, &f.ends, 5000), 1);
		assert_int_equal(f.next_off, sizes[i]);
		assert_true(f.hash == bulk_peer_hash(buf, sizes[i]));
		assert_int_equal(f.end_total, sizes[i]);
		assert_int_equal(f.end_len, 3);
		assert_int_equal(f.end_type, T_FEED);
		assert_int_equal(f.abandons, 0);
		assert_int_equal(f.bad, 0);
		/* a large one came in parts that named the type */
		if (sizes[i] >= REGION_PARTS_MIN)
			assert_true(f.parts > 1);
		free(buf);
	}
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

/* A row says PRIVSEP_H_PARTS only with PRIVSEP_H_BULK, on a call or post. */
static void a_part_by_part_row_needs_a_bulk_from_the_worker(void **state)
{
	struct privsep_handler no_bulk = {
	    .type = T_FEED, .name = "x", .flags = PRIVSEP_H_POST | PRIVSEP_H_PARTS, .fn = feeding};
	struct privsep_handler event = {.type = T_FEED,
	                                .name = "x",
	                                .flags = PRIVSEP_H_EVENT | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
	                                .bulk_max = 16};
	(void)state;
	errno = 0;
	assert_null(privsep_helper_new(&no_bulk, 1, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(privsep_helper_new(&event, 1, NULL));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        every_malformed_typed_part_is_a_violation_with_one_line_and_the_handler_told),
	    cmocka_unit_test(a_part_after_its_type_was_dropped_mid_payload_abandons_it),
	    cmocka_unit_test(
	        a_worker_rewriting_its_region_after_each_copy_never_changes_the_handler_s_bytes),
	    cmocka_unit_test(
	        a_worker_rewriting_its_region_during_the_copies_never_changes_the_handler_s_bytes),
	    cmocka_unit_test(a_part_larger_than_a_piece_is_fed_a_piece_at_a_time),
	    cmocka_unit_test(a_worker_that_never_sends_the_final_record_has_its_payload_abandoned),
	    cmocka_unit_test(a_part_dropped_at_the_fd_limit_abandons_its_payload_and_kills_nobody),
	    cmocka_unit_test(a_part_the_handler_refuses_answers_the_call_and_feeds_no_more),
	    cmocka_unit_test(a_payload_that_came_whole_is_fed_as_one_part_then_the_message),
	    cmocka_unit_test(an_honest_client_s_payloads_are_fed_intact_in_order),
	    cmocka_unit_test(a_part_by_part_row_needs_a_bulk_from_the_worker),
	};
	return cmocka_run_group_tests(tests, region_setup, NULL);
}
