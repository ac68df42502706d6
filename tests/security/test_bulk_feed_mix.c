/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_feed_mix.c - a payload fed part by part (PRIVSEP_H_PARTS,
 * docs/PROTOCOL.md section 5, "Revision 1.7") with a whole payload of
 * another part-by-part type sent into its middle, by a raw worker.
 *
 * The helper keeps one fed payload per worker.  A payload of another
 * part-by-part type that comes whole (a sealed memfd, which the spec
 * lets come between the parts of another type: an honest client's
 * PRIVSEP_POST_NOWAIT post from a second thread sends one when the
 * region is busy) is fed as one part and ended at once; what the
 * handler of the payload under way relies on must not change for it:
 * after a part it refused it is fed no more of that payload, and it is
 * told PRIVSEP_PART_ABANDON once if the payload can no longer end.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

#define T_A (PRIVSEP_TYPE_APP_MIN + 1)
#define T_B (PRIVSEP_TYPE_APP_MIN + 2)
#define T_C (PRIVSEP_TYPE_APP_MIN + 3)
#define LIMIT (16u << 20)
/* an honest client sends this one in parts (REGION_PARTS_MIN or more) */
#define BIG ((size_t)6 << 20)
#define HELD(n) (REGION_FLAG | REGION_HELD | (uint64_t)(n))

/* What each type's handler was told (index 0: T_A, 1: T_B). */
static struct {
	atomic_int parts, ends, abandons;
	int refuse_at; /* the part of T_A's payload refused (EACCES); -1 none */
	/* payloads of BIG bytes: where the next part must start, the hash so
	 * far, and how many ended with every byte as sent (want) */
	uint64_t next_off, hash, want;
	atomic_int intact;
	int mixed; /* a part of another payload fed into one of BIG bytes */
} seen[2];

/* A part of a payload of BIG bytes, in order, or of another payload,
 * which must not come in its middle. */
static void track(int k, const struct privsep_req *req)
{
	if (req->bulk_total != BIG) {
		seen[k].mixed += seen[k].next_off != 0;
		return;
	}
	seen[k].mixed += req->bulk_off != seen[k].next_off;
	seen[k].hash = bulk_peer_hash_more(seen[k].hash, req->bulk, req->bulk_len);
	seen[k].next_off += req->bulk_len;
}

static int feeding(struct privsep_req *req, void *arg)
{
	int k = (int)(intptr_t)arg;
	switch (req->part) {
	case PRIVSEP_PART_BYTES:
		track(k, req);
		if (seen[k].parts++ == seen[k].refuse_at)
			return privsep_req_fail(req, EACCES, "part %d refused", seen[k].refuse_at);
		return 0;
	case PRIVSEP_PART_END:
		if (req->bulk_total == BIG) {
			seen[k].intact += seen[k].next_off == BIG && seen[k].hash == seen[k].want;
			seen[k].next_off = 0;
			seen[k].hash = bulk_peer_hash(NULL, 0);
		}
		seen[k].ends++;
		return 0;
	case PRIVSEP_PART_ABANDON:
		seen[k].abandons++;
		return 0;
	default:
		return 0;
	}
}

/* ---- two workers: what a handler keyed by req->worker holds ---- */

struct upload {
	uint64_t next_off, hash; /* where the next part must start; the hash so far */
	int mixed;               /* a part out of order for this worker */
	atomic_int parts, ends;
	uint64_t end_hash; /* the hash of the payload at its END */
};

/* What each worker uploads is kept in the worker's own data
 * (privsep_worker_set_data), as privsep_req_part(3) tells a handler to. */
static int per_worker(struct privsep_req *req, void *arg)
{
	struct upload *u = privsep_worker_data(req->worker);
	(void)arg;
	switch (req->part) {
	case PRIVSEP_PART_BYTES:
		u->mixed += req->bulk_off != u->next_off;
		u->hash = bulk_peer_hash_more(u->hash, req->bulk, req->bulk_len);
		u->next_off += req->bulk_len;
		u->parts++;
		return 0;
	case PRIVSEP_PART_END:
		u->end_hash = u->hash;
		u->next_off = 0;
		u->hash = bulk_peer_hash(NULL, 0);
		u->ends++;
		return 0;
	default:
		return 0;
	}
}

static const struct privsep_handler table[] = {
    {.type = T_A,
     .name = "feed-a",
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .arg = (void *)0,
     .bulk_max = LIMIT},
    {.type = T_B,
     .name = "feed-b",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = feeding,
     .arg = (void *)1,
     .bulk_max = LIMIT},
    {.type = T_C,
     .name = "upload",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK | PRIVSEP_H_PARTS,
     .fn = per_worker,
     .bulk_max = LIMIT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static void seen_reset(void)
{
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < 2; k++) {
		seen[k].refuse_at = -1;
		seen[k].hash = bulk_peer_hash(NULL, 0);
	}
}

/* The rig (attacker_region.h) over the table, the handlers' record
 * reset. */
static struct region_rig rig_up(void)
{
	struct region_rig g = region_rig_up(table, NTABLE);
	seen_reset();
	return g;
}

/* Part k (a page) of T_A's payload of 4 pages, from its own place. */
static void part_a(int sock, size_t k, int fd)
{
	bulk_peer_part_typed(sock, 4 * pg, k * pg, k * pg, pg, T_A, REGION_PART_TYPED_LEN, fd);
}

/* A whole payload of T_B in a sealed memfd; fed as one part, then
 * ended (the helper pumped until it was). */
static void whole_b(struct hx *x, int sock)
{
	uint8_t b[100];
	int fd;
	memset(b, 'b', sizeof(b));
	fd = bulk_make(b, sizeof(b));
	assert_true(fd >= 0);
	bulk_peer_send(sock, T_B, 0, sizeof(b), fd);
	close(fd);
	assert_int_equal(hx_pump_until(x, &seen[1].ends, 3000), 1);
	assert_int_equal(seen[1].parts, 1);
	assert_int_equal(x->gone, 0);
}

/* T_A's handler refuses part 1; a whole T_B payload comes before part 2:
 * T_A's handler is fed no more of its payload, never told END, and the
 * call is answered with its refusal. */
static void a_whole_payload_of_another_type_mid_payload_feeds_no_part_after_a_refusal(void **state)
{
	struct region_rig g = rig_up();
	struct hx *x = g.x;
	int sock = g.sock;
	(void)state;
	seen[0].refuse_at = 1;
	part_a(sock, 0, g.r.fd);
	part_a(sock, 1, -1);
	PUMP_WHILE(x->h, seen[0].parts < 2, 3000);
	assert_int_equal(seen[0].parts, 2);
	whole_b(x, sock);
	part_a(sock, 2, -1);
	part_a(sock, 3, -1);
	bulk_peer_send(sock, T_A, 9, HELD(4 * pg), -1);
	assert_int_equal(bulk_peer_reply(x, sock, 9, 3000), EACCES);
	assert_int_equal(seen[0].parts, 2);
	assert_int_equal(seen[0].ends, 0);
	assert_int_equal(seen[0].abandons, 0);
	assert_int_equal(x->gone, 0);
	close(sock);
	g.sock = -1;
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(seen[0].abandons, 0);
	region_rig_down(&g);
}

/* T_A's payload fed a part, a whole T_B payload, then the worker goes
 * away without T_A's final record: T_A's handler is told ABANDON once. */
static void
a_whole_payload_of_another_type_mid_payload_leaves_the_fed_one_abandoned_once(void **state)
{
	struct region_rig g = rig_up();
	struct hx *x = g.x;
	int sock = g.sock;
	(void)state;
	part_a(sock, 0, g.r.fd);
	assert_int_equal(hx_pump_until(x, &seen[0].parts, 3000), 1);
	whole_b(x, sock);
	assert_int_equal(seen[1].abandons, 0);
	close(sock);
	g.sock = -1;
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(seen[0].abandons, 1);
	assert_int_equal(seen[0].ends, 0);
	assert_int_equal(seen[1].abandons, 0);
	region_rig_down(&g);
}

/* ---- an honest client's two threads ---- */

struct threads {
	struct privsep_client *c;
	const uint8_t *big;
	atomic_int big_done, stop;
	int big_sent, big_err;
	int small_sent, small_busy, small_err;
};

/* Payloads of BIG bytes of T_B (in parts, each naming it), until the
 * other thread saw one of its posts refused for one of them (stop), or
 * 40. */
static void *post_big(void *arg)
{
	struct threads *t = arg;
	struct privsep_bulk b = {t->big, BIG};
	while (t->big_sent < 40 && !(atomic_load(&t->stop) && t->big_sent >= 2)) {
		if (privsep_client_post(t->c, &(struct privsep_out){.type = T_B, .bulk = &b}) < 0) {
			t->big_err = errno;
			break;
		}
		t->big_sent++;
	}
	atomic_store(&t->big_done, 1);
	return NULL;
}

/* PRIVSEP_POST_NOWAIT posts of T_B with 64 bytes, while the other thread
 * posts: one that cannot have the region goes in a sealed memfd. */
static void *post_small(void *arg)
{
	struct threads *t = arg;
	uint8_t small[64];
	struct privsep_bulk b = {small, sizeof(small)};
	memset(small, 's', sizeof(small));
	while (!atomic_load(&t->big_done)) {
		int rc = privsep_client_post(
		    t->c,
		    &(struct privsep_out){.type = T_B, .flags = PRIVSEP_POST_NOWAIT, .bulk = &b});
		if (rc == 0)
			t->small_sent++;
		else if (errno == EBUSY) {
			t->small_busy++;
			atomic_store(&t->stop, 1);
		} else if (errno != EAGAIN)
			t->small_err = errno;
		sched_yield();
	}
	return NULL;
}

/* One thread of an honest client posts payloads of a part-by-part type
 * in parts, another posts NOWAIT payloads of that type, which cannot
 * wait for the region and so come in sealed memfds: none lands between
 * the parts (the helper would kill the worker), each is sent before or
 * after, or refused with EBUSY; every payload arrives whole. */
static void an_honest_client_s_nowait_post_never_lands_between_the_parts_of_its_type(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "client", NULL);
	struct privsep_client_config cfg = {.table = table, .n = NTABLE};
	struct threads t = {.c = privsep_client_new(sock, &cfg)};
	uint8_t *big = malloc(BIG);
	pthread_t t1, t2;
	(void)state;
	assert_non_null(t.c);
	assert_non_null(big);
	for (size_t i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 131u + 7);
	t.big = big;
	seen_reset();
	seen[1].want = bulk_peer_hash(big, BIG);
	assert_int_equal(pthread_create(&t1, NULL, post_big, &t), 0);
	assert_int_equal(pthread_create(&t2, NULL, post_small, &t), 0);
	PUMP_WHILE(x->h, !atomic_load(&t.big_done) && !x->gone, 60000);
	/* a worker killed: its channel closed, the threads' posts fail */
	assert_int_equal(pthread_join(t1, NULL), 0);
	assert_int_equal(pthread_join(t2, NULL), 0);
	for (int l = 0; x->gone && l < x->nlog; l++)
		if (strstr(x->log[l], "protocol violation"))
			fail_msg("the honest worker was killed: %s", x->log[l]);
	assert_int_equal(x->gone, 0);
	/* every payload sent served, then nothing more */
	PUMP_WHILE(x->h, seen[1].ends < t.big_sent + t.small_sent && !x->gone, 30000);
	assert_int_equal(x->gone, 0);
	assert_int_equal(t.big_err, 0);
	assert_int_equal(t.small_err, 0);
	assert_true(t.small_busy > 0); /* the two did overlap */
	assert_int_equal(seen[1].ends, t.big_sent + t.small_sent);
	assert_int_equal(seen[1].intact, t.big_sent);
	assert_int_equal(seen[1].mixed, 0);
	assert_int_equal(seen[1].abandons, 0);
	privsep_client_free(t.c);
	free(big);
	hx_free(x);
}

/* ---- a final record the helper could not receive ---- */

/* T_A's payload of 4 pages fed part by part, then its final record (id)
 * with an fd of its own, which the helper at its fd limit cannot
 * receive: answered EMFILE, the handler told ABANDON once. */
static void final_dropped(struct hx *x, int sock, const struct region *r, uint32_t id)
{
	struct rlimit saved;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC), err;
	assert_true(fd >= 0);
	seen_reset();
	for (size_t k = 0; k < 4; k++)
		part_a(sock, k, k ? -1 : r->fd);
	PUMP_WHILE(x->h, seen[0].parts < 4 && !x->gone, 3000);
	assert_int_equal(seen[0].parts, 4);
	/* sent before the limit: a user's fds in flight count against it */
	bulk_peer_send(sock, T_A, id, HELD(4 * pg), fd);
	close(fd);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(bulk_peer_fd_room(0), 0);
	err = bulk_peer_reply(x, sock, id, 3000);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(err, EMFILE);
	assert_int_equal(seen[0].abandons, 1);
	assert_int_equal(seen[0].ends, 0);
	assert_int_equal(x->gone, 0);
}

/* After that the payload is over: the worker's next payload of the
 * type, in a new region (an honest client, whose final record was not
 * copied out, makes one), is fed and ended, and nobody is killed. */
static void a_final_record_dropped_at_the_fd_limit_ends_its_payload_and_kills_nobody(void **state)
{
	struct region_rig g = rig_up();
	struct hx *x = g.x;
	int sock = g.sock;
	struct region r2 = region_new(4 * pg, REGION_SEALS, 4 * pg);
	int err;
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own under the limit */
	final_dropped(x, sock, &g.r, 7);
	seen_reset();
	for (size_t k = 0; k < 4; k++)
		part_a(sock, k, k ? -1 : r2.fd);
	bulk_peer_send(sock, T_A, 8, HELD(4 * pg), -1);
	err = bulk_peer_reply(x, sock, 8, 3000);
	for (int l = 0; x->gone && l < x->nlog; l++)
		if (strstr(x->log[l], "protocol violation"))
			fail_msg("the worker was killed: %s", x->log[l]);
	assert_int_equal(err, 0);
	assert_int_equal(seen[0].parts, 4);
	assert_int_equal(seen[0].ends, 1);
	assert_int_equal(seen[0].abandons, 0);
	assert_int_equal(x->gone, 0);
	region_del(&r2);
	region_rig_down(&g);
}

/* ... and a handler told ABANDON is never told END for that payload: a
 * held record sent again is a payload of its own (the region's first
 * bytes, fed as one part), not the end of the one abandoned. */
static void
a_payload_abandoned_at_the_fd_limit_is_never_ended_by_a_second_final_record(void **state)
{
	struct region_rig g = rig_up();
	struct hx *x = g.x;
	int sock = g.sock;
	(void)state;
	if (under_valgrind())
		skip();
	final_dropped(x, sock, &g.r, 7);
	bulk_peer_send(sock, T_A, 8, HELD(4 * pg), -1);
	assert_int_equal(bulk_peer_reply(x, sock, 8, 3000), 0);
	/* fed as a payload of its own: one part, then its end */
	assert_int_equal(seen[0].parts, 5);
	assert_int_equal(seen[0].ends, 1);
	assert_int_equal(seen[0].abandons, 1);
	region_rig_down(&g);
}

/* Two workers' payloads of a part-by-part type, their parts sent one
 * of each in turn: each part is fed with its own worker (req->worker),
 * so a handler that keeps each worker's payload apart gets both whole,
 * neither with a byte of the other. */
static void
two_workers_payloads_fed_part_by_part_interleave_each_part_naming_its_worker(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w[2];
	struct upload up[2];
	struct region r[2];
	int sock[2];
	uint64_t want[2];
	(void)state;
	memset(up, 0, sizeof(up));
	for (int i = 0; i < 2; i++) {
		sock[i] = hx_attach_raw(x, i ? "second" : "first", &w[i]);
		r[i] = region_new(4 * pg, REGION_SEALS, 4 * pg);
		for (size_t j = 0; j < 4 * pg; j++)
			r[i].map[pg + j] = (uint8_t)(j * 7u + (unsigned)i * 101u + 1);
		want[i] = bulk_peer_hash(r[i].map + pg, 4 * pg);
		up[i].hash = bulk_peer_hash(NULL, 0);
		privsep_worker_set_data(w[i], &up[i]);
	}
	/* each part served before the other worker's next one is sent */
	for (size_t k = 0; k < 4; k++)
		for (int i = 0; i < 2; i++) {
			bulk_peer_part_typed(sock[i], 4 * pg, k * pg, k * pg, pg, T_C,
			                     REGION_PART_TYPED_LEN, k ? -1 : r[i].fd);
			PUMP_WHILE(x->h, up[i].parts < (int)k + 1 && !x->gone, 3000);
			assert_int_equal(up[i].parts, k + 1);
		}
	for (int i = 0; i < 2; i++)
		bulk_peer_send(sock[i], T_C, 0, HELD(4 * pg), -1);
	PUMP_WHILE(x->h, (up[0].ends < 1 || up[1].ends < 1) && !x->gone, 3000);
	assert_int_equal(x->gone, 0);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(up[i].parts, 4);
		assert_int_equal(up[i].ends, 1);
		assert_int_equal(up[i].mixed, 0);
		assert_true(up[i].end_hash == want[i]);
		close(sock[i]);
	}
	assert_true(hx_pump_gone(x, 2, 3000));
	for (int i = 0; i < 2; i++)
		region_del(&r[i]);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_whole_payload_of_another_type_mid_payload_feeds_no_part_after_a_refusal),
	    cmocka_unit_test(
	        a_whole_payload_of_another_type_mid_payload_leaves_the_fed_one_abandoned_once),
	    cmocka_unit_test(
	        an_honest_client_s_nowait_post_never_lands_between_the_parts_of_its_type),
	    cmocka_unit_test(
	        a_final_record_dropped_at_the_fd_limit_ends_its_payload_and_kills_nobody),
	    cmocka_unit_test(
	        a_payload_abandoned_at_the_fd_limit_is_never_ended_by_a_second_final_record),
	    cmocka_unit_test(
	        two_workers_payloads_fed_part_by_part_interleave_each_part_naming_its_worker),
	};
	return cmocka_run_group_tests(tests, region_setup, NULL);
}
