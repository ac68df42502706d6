/* SPDX-License-Identifier: ISC */
/*
 * test_bulk.c - bulk payloads in sealed memfds (docs/PROTOCOL.md, "Bulk
 * payloads"): the seal rule, one test per way to break it, and the bytes
 * intact both ways at 1 MiB and 256 MiB with no fd or mapping left.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "bulk_peer.h"
#include "harness.h"
#include "chan.h"
#include "proto.h"

#define T_BULK (PRIVSEP_TYPE_APP_MIN + 1)
#define T_BULK_CALL (PRIVSEP_TYPE_APP_MIN + 2)
#define T_EV (PRIVSEP_TYPE_APP_MIN + 3)
#define T_RESULT (PRIVSEP_TYPE_APP_MIN + 4)
#define T_SMALL (PRIVSEP_TYPE_APP_MIN + 5)
#define T_PLAIN_EV (PRIVSEP_TYPE_APP_MIN + 6)
#define BIG ((uint64_t)300 << 20)
#define MIB (1u << 20)

static int posts;
static uint64_t last_hash, last_len;
static const void *last_map;

static int bulk_post(struct privsep_req *req, void *arg)
{
	(void)arg;
	posts++;
	last_hash = bulk_peer_hash(req->bulk, req->bulk_len);
	last_len = req->bulk_len;
	last_map = req->bulk;
	return 0;
}

static int bulk_call(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_writer_put_u64(&req->reply, bulk_peer_hash(req->bulk, req->bulk_len));
	privsep_writer_put_u64(&req->reply, req->bulk_len);
	return 0;
}

static uint64_t ev_hash, ev_len;
static atomic_int results;

static int result(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	privsep_reader_get_u64(&r, &ev_hash);
	privsep_reader_get_u64(&r, &ev_len);
	results++;
	return 0;
}

static int worker_events; /* in the worker */

/* In the worker: the event's bulk, hashed and posted back. */
static int worker_ev(struct privsep_req *req, void *arg)
{
	worker_events++;
	uint8_t out[16];
	struct privsep_writer w;
	(void)arg;
	privsep_writer_init(&w, out, sizeof(out));
	privsep_writer_put_u64(&w, bulk_peer_hash(req->bulk, req->bulk_len));
	privsep_writer_put_u64(&w, req->bulk_len);
	return privsep_client_post(req->client,
	                           &(struct privsep_out){.type = T_RESULT,
	                                                 .data = out,
	                                                 .len = w.len,
	                                                 .flags = PRIVSEP_POST_NOWAIT}) < 0
	           ? PRIVSEP_VIOLATION
	           : 0;
}

static const struct privsep_handler table[] = {
    {.type = T_BULK,
     .name = "bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = bulk_post,
     .bulk_max = BIG},
    {.type = T_BULK_CALL,
     .name = "bulk-call",
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK,
     .fn = bulk_call,
     .bulk_max = BIG},
    {.type = T_EV,
     .name = "bulk-event",
     .flags = PRIVSEP_H_EVENT | PRIVSEP_H_BULK,
     .fn = worker_ev,
     .bulk_max = BIG},
    {.type = T_RESULT,
     .name = "result",
     .min_len = 16,
     .max_len = 16,
     .flags = PRIVSEP_H_POST,
     .fn = result},
    {.type = T_SMALL,
     .name = "small",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = bulk_post,
     .bulk_max = 16},
    {.type = T_PLAIN_EV, .name = "plain-event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static int memfd_with(size_t len, int seals)
{
	int fd = memfd_create("test-bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)len), 0);
	if (seals)
		assert_int_equal(fcntl(fd, F_ADD_SEALS, seals), 0);
	return fd;
}

/* A raw worker sends a T_BULK record declaring size with fd; the helper's
 * verdict is the violation it killed the worker for. */
static enum privsep_violation send_raw(struct hx *x, uint32_t type, uint64_t size, int fd)
{
	uint8_t rec[64], pl[8];
	struct privsep_writer w;
	int sock = hx_attach_raw(x, "raw", NULL);
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u64(&w, size);
	size_t n = rec_make(rec, type, 0, pl, 8, fd >= 0);
	assert_int_equal(raw_send(sock, rec, n, &fd, fd >= 0), 0);
	assert_true(hx_pump_gone(x, 1, 3000));
	close(sock);
	return x->last_viol;
}

static const struct {
	int seal;
	const char *name;
} seals[] = {{F_SEAL_WRITE, "F_SEAL_WRITE"},
             {F_SEAL_SHRINK, "F_SEAL_SHRINK"},
             {F_SEAL_GROW, "F_SEAL_GROW"},
             {F_SEAL_SEAL, "F_SEAL_SEAL"}};
#define ALL (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

static void rule_bulk_memfd_needs_every_seal(void **state)
{
	(void)state;
	for (size_t i = 0; i < 4; i++) {
		struct hx *x = hx_new(table, NTABLE, 0);
		char want[64];
		int fd = memfd_with(100, ALL & ~seals[i].seal);
		posts = 0;
		assert_int_equal(send_raw(x, T_BULK, 100, fd), PRIVSEP_V_BAD_BULK);
		snprintf(want, sizeof(want), "missing %s", seals[i].name);
		assert_true(hx_logged(x, want));
		assert_int_equal(posts, 0);
		close(fd);
		hx_free(x);
	}
}

static void rule_bulk_sender_keeping_a_writable_mapping_cannot_seal(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int fd = memfd_with(4096, 0);
	char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	(void)state;
	assert_true(m != MAP_FAILED);
	/* the kernel refuses F_SEAL_WRITE while the writable mapping exists */
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	assert_int_equal(errno, EBUSY);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	posts = 0;
	assert_int_equal(send_raw(x, T_BULK, 4096, fd), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "missing F_SEAL_WRITE"));
	assert_int_equal(posts, 0);
	/* and the sender could indeed still change the bytes */
	m[0] = 'x';
	munmap(m, 4096);
	close(fd);
	hx_free(x);
}

static void rule_bulk_size_must_match_the_declared_size(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int fd = memfd_with(100, ALL);
	(void)state;
	assert_int_equal(send_raw(x, T_BULK, 50, fd), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "has 100 bytes, the record declares 50"));
	close(fd);
	hx_free(x);
}

static void rule_bulk_fd_must_be_a_memfd(void **state)
{
	int p[2];
	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	struct hx *x = hx_new(table, NTABLE, 0);
	assert_int_equal(send_raw(x, T_BULK, 0, p[0]), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "not a memfd"));
	hx_free(x);
	close(p[0]);
	close(p[1]);

	/* a regular file: it has no seals to add (F_SEAL_SEAL alone, or none) */
	char path[] = "/tmp/privsep-bulk.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	x = hx_new(table, NTABLE, 0);
	assert_int_equal(send_raw(x, T_BULK, 0, fd), PRIVSEP_V_BAD_BULK);
	hx_free(x);
	close(fd);
}

static void rule_bulk_over_the_type_limit(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int fd = memfd_with(17, ALL);
	(void)state;
	assert_int_equal(send_raw(x, T_SMALL, 17, fd), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "over the type's limit of 16"));
	close(fd);
	hx_free(x);
}

/* A sealed memfd with every byte written, as bulk_make makes it. */
static int written_memfd(size_t len)
{
	int fd = memfd_create("test-bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	char *zero = calloc(1, len ? len : 1);
	assert_true(fd >= 0 && zero);
	assert_int_equal(pwrite(fd, zero, len, 0), (ssize_t)len);
	free(zero);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, ALL), 0);
	return fd;
}

static void rule_bulk_memfd_must_be_fully_written(void **state)
{
	/* a sparse memfd costs its sender nothing; mapping it would make the
	 * receiver allocate every page */
	struct hx *x = hx_new(table, NTABLE, 0);
	int fd = memfd_with(1u << 20, ALL);
	(void)state;
	posts = 0;
	assert_int_equal(send_raw(x, T_BULK, 1u << 20, fd), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "the bulk memfd is sparse"));
	assert_int_equal(posts, 0);
	close(fd);
	hx_free(x);
	/* the same size written: accepted */
	x = hx_new(table, NTABLE, 0);
	fd = written_memfd(1u << 20);
	uint8_t rec[64], pl[8];
	struct privsep_writer w;
	int sock = hx_attach_raw(x, "raw", NULL);
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u64(&w, 1u << 20);
	size_t n = rec_make(rec, T_BULK, 0, pl, 8, 1);
	assert_int_equal(raw_send(sock, rec, n, &fd, 1), 0);
	for (int t = 0; t < 100 && !posts; t++)
		privsep_helper_step(x->h, 20);
	assert_int_equal(posts, 1);
	assert_int_equal(x->gone, 0);
	close(sock);
	close(fd);
	hx_free(x);
}

static void rule_bulk_memfd_must_be_open_for_reading(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int fd = written_memfd(4096), wfd;
	char path[64];
	(void)state;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	wfd = open(path, O_WRONLY | O_CLOEXEC);
	assert_true(wfd >= 0);
	assert_int_equal(send_raw(x, T_BULK, 4096, wfd), PRIVSEP_V_BAD_BULK);
	assert_true(hx_logged(x, "not open for reading"));
	close(wfd);
	close(fd);
	hx_free(x);
}

static void rule_bulk_row_bounds_are_checked_without_overflow(void **state)
{
	const struct privsep_handler wrap[] = {{.type = T_BULK,
	                                        .name = "wrap",
	                                        .min_len = UINT32_MAX - 4,
	                                        .max_len = UINT32_MAX - 4,
	                                        .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                        .fn = bulk_post,
	                                        .bulk_max = 16}};
	const struct privsep_handler fds[] = {{.type = T_BULK,
	                                       .name = "fds",
	                                       .max_fds = 4,
	                                       .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                       .fn = bulk_post,
	                                       .bulk_max = 16}};
	const struct privsep_handler limit[] = {{.type = T_BULK,
	                                         .name = "limit",
	                                         .flags = PRIVSEP_H_POST,
	                                         .fn = bulk_post,
	                                         .bulk_max = 16}};
	(void)state;
	/* max_len + 8 over the record limit, even where 32 bits wrap; the
	 * memfd as a fifth fd; a bulk limit on a type without bulk */
	assert_null(privsep_helper_new(wrap, 1, NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(privsep_helper_new(fds, 1, NULL));
	assert_null(privsep_helper_new(limit, 1, NULL));
}

/* A client with the table, the test playing a hostile helper. */
static struct privsep_client *raw_client(int *peer)
{
	int sv[2];
	struct privsep_client_config cfg = {.table = table, .n = NTABLE};
	assert_int_equal(chan_pair(sv), 0);
	*peer = sv[0];
	return privsep_client_new(sv[1], &cfg);
}

static int event_to_client(uint32_t type, uint64_t size, int fd)
{
	int peer, rc;
	struct privsep_client *c = raw_client(&peer);
	uint8_t rec[64], pl[8];
	struct privsep_writer w;
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u64(&w, size);
	size_t n = rec_make(rec, type, 0, pl, type == T_PLAIN_EV ? 0 : 8, fd >= 0);
	assert_int_equal(raw_send(peer, rec, n, &fd, fd >= 0), 0);
	worker_events = 0;
	rc = privsep_client_dispatch(c, 1000);
	if (rc < 0)
		assert_int_equal(errno, EPROTO);
	privsep_client_free(c);
	close(peer);
	return rc;
}

static void rule_worker_checks_a_bulk_event_as_the_helper_does(void **state)
{
	int fd;
	(void)state;
	/* unsealed, sparse, size lie: the helper broke the protocol */
	fd = memfd_with(64, 0);
	assert_int_equal(event_to_client(T_EV, 64, fd), -1);
	close(fd);
	fd = memfd_with(64, ALL);
	assert_int_equal(event_to_client(T_EV, 64, fd), -1);
	close(fd);
	fd = written_memfd(64);
	assert_int_equal(event_to_client(T_EV, 32, fd), -1);
	assert_int_equal(worker_events, 0);
	/* and a good one runs the handler */
	assert_int_equal(event_to_client(T_EV, 64, fd), 1);
	assert_int_equal(worker_events, 1);
	close(fd);
}

static void rule_an_event_row_without_a_handler_is_not_accepted(void **state)
{
	(void)state;
	/* the helper's table may leave an event's fn NULL; a worker given that
	 * table refuses the event instead of calling NULL */
	assert_int_equal(event_to_client(T_PLAIN_EV, 0, -1), -1);
}

static void rule_bulk_record_without_its_memfd_is_bad_fd_count(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	(void)state;
	assert_int_equal(send_raw(x, T_BULK, 0, -1), PRIVSEP_V_BAD_FD_COUNT);
	hx_free(x);
}

static void rule_helper_post_checks_its_own_event(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w;
	struct privsep_bulk b = {"abc", 3};
	int sock = hx_attach_raw(x, "raw", &w);
	(void)state;
	/* not an event, bulk missing or unexpected, a waiting post, too big */
	assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_BULK, .bulk = &b}),
	                 -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_EV}), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
	    privsep_worker_post(w, &(struct privsep_out){.type = T_PLAIN_EV, .bulk = &b}), -1);
	assert_int_equal(errno, EINVAL);
	/* flags: 0 only (it never waits); PRIVSEP_POST_NOWAIT or any other
	 * bit is EINVAL, and so is no message at all */
	assert_int_equal(
	    privsep_worker_post(
	        w, &(struct privsep_out){.type = T_EV, .bulk = &b, .flags = PRIVSEP_POST_NOWAIT}),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
	    privsep_worker_post(w, &(struct privsep_out){.type = T_EV, .bulk = &b, .flags = 0x80}),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_worker_post(w, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(
	    privsep_worker_post(
	        w, &(struct privsep_out){.type = T_PLAIN_EV, .data = "123456789", .len = 9}),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_EV, .bulk = &b}),
	                 0);
	close(sock);
	hx_free(x);
}

static void rule_bulk_row_needs_a_nonzero_limit(void **state)
{
	/* a designated initializer that forgets bulk_max leaves it 0: a type
	 * that could carry only empty bulks is a mistake, refused early */
	const struct privsep_handler zero[] = {{.type = T_BULK,
	                                        .name = "zero",
	                                        .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                        .fn = bulk_post}};
	const struct privsep_handler zero_ev[] = {
	    {.type = T_EV, .name = "zero-event", .flags = PRIVSEP_H_EVENT | PRIVSEP_H_BULK}};
	const struct privsep_handler one[] = {{.type = T_BULK,
	                                       .name = "one",
	                                       .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                       .fn = bulk_post,
	                                       .bulk_max = 1}};
	struct privsep_helper *h;
	(void)state;
	errno = 0;
	assert_null(privsep_helper_new(zero, 1, NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(privsep_helper_new(zero_ev, 1, NULL));
	assert_int_equal(errno, EINVAL);
	h = privsep_helper_new(one, 1, NULL);
	assert_non_null(h);
	privsep_helper_free(h);
}

/* Pump x until *n reaches want, within a generous bound. */
static int pump_count(struct hx *x, const int *n, int want)
{
	for (int t = 0; t < 250 && *n < want; t++)
		privsep_helper_step(x->h, 20);
	return *n;
}

static void rule_bulk_of_zero_bytes_is_valid_both_ways(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w;
	struct privsep_bulk empty = {NULL, 0};
	int sock = hx_attach_raw(x, "raw", NULL), fd, peer;
	uint8_t rec[64], pl[8];
	struct privsep_writer wr;
	struct privsep_client *c;
	int before;
	(void)state;

	/* worker to helper, by hand: an empty memfd with the four seals (no
	 * page to write, nothing to map: mmap of length 0 would be EINVAL) */
	fd = written_memfd(0);
	privsep_writer_init(&wr, pl, sizeof(pl));
	privsep_writer_put_u64(&wr, 0);
	posts = 0;
	last_len = 99;
	last_map = NULL;
	assert_int_equal(raw_send(sock, rec, rec_make(rec, T_BULK, 0, pl, 8, 1), &fd, 1), 0);
	close(fd);
	assert_int_equal(pump_count(x, &posts, 1), 1);
	assert_int_equal(last_len, 0);
	assert_non_null(last_map); /* a valid pointer to no bytes */
	assert_int_equal(x->gone, 0);
	close(sock);
	assert_true(hx_pump_gone(x, 1, 3000));
	hx_free(x);

	/* the real client sends one, and the real helper posts one */
	x = hx_new(table, NTABLE, 0);
	before = count_fds();
	c = hx_attach_client(x, "client", 0);
	assert_non_null(c);
	posts = 0;
	assert_int_equal(
	    privsep_client_post(c, &(struct privsep_out){.type = T_BULK, .bulk = &empty}), 0);
	assert_int_equal(pump_count(x, &posts, 1), 1);
	assert_int_equal(last_len, 0);
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(count_fds(), before);
	hx_free(x);

	x = hx_new(table, NTABLE, 0);
	peer = hx_attach_raw(x, "events", &w);
	{
		struct privsep_client_config cfg = {.table = table, .n = NTABLE};
		c = privsep_client_new(peer, &cfg);
	}
	assert_non_null(c);
	worker_events = 0;
	results = 0;
	ev_len = 99;
	assert_int_equal(
	    privsep_worker_post(w, &(struct privsep_out){.type = T_EV, .bulk = &empty}), 0);
	assert_int_equal(privsep_client_dispatch(c, 3000), 1);
	assert_int_equal(worker_events, 1);
	assert_int_equal(privsep_client_flush(c, 3000), 0);
	for (int t = 0; t < 250 && !results; t++)
		privsep_helper_step(x->h, 20);
	assert_int_equal(results, 1);
	assert_int_equal(ev_len, 0);
	privsep_client_free(c);
	hx_free(x);
}

static int bulk_a, plain_b;
static int count_a(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	bulk_a++;
	return 0;
}
static int count_b(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	plain_b++;
	return 0;
}

/* An attacker's bulk payloads shaped to carry the most bytes in a turn
 * (one weighing 30, then one of the type's whole limit: the turn's
 * weight is counted after each record) take at most two records of a
 * wake-up, and another worker's 32 records are served in every one of
 * them: a flood of bulk payloads starves nobody, by bytes or by
 * records. */
static void a_flood_of_bulk_payloads_sized_to_the_turn_takes_two_records_a_wake_up(void **state)
{
	const struct privsep_handler t[] = {
	    {.type = T_BULK,
	     .name = "bulk",
	     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	     .fn = count_a,
	     .bulk_max = 1 << 20},
	    {.type = T_RESULT, .name = "plain", .flags = PRIVSEP_H_POST, .fn = count_b},
	};
	struct hx *x = hx_new(t, 2, 0);
	int a = hx_attach_raw(x, "flood", NULL), b = hx_attach_raw(x, "other", NULL);
	uint8_t rec[64];
	(void)state;
	for (int i = 0; i < 12; i++) {
		size_t len = i % 2 ? (size_t)1 << 20 : (size_t)30 * 4096 - 100;
		uint8_t pl[8];
		struct privsep_writer wr;
		int fd = written_memfd(len);
		privsep_writer_init(&wr, pl, sizeof(pl));
		privsep_writer_put_u64(&wr, len);
		assert_int_equal(raw_send(a, rec, rec_make(rec, T_BULK, 0, pl, 8, 1), &fd, 1), 0);
		close(fd);
	}
	for (int i = 0; i < 32 * 6; i++)
		assert_int_equal(raw_send(b, rec, rec_make(rec, T_RESULT, 0, NULL, 0, 0), NULL, 0),
		                 0);
	bulk_a = plain_b = 0;
	for (int step = 1; step <= 6; step++) {
		privsep_helper_step(x->h, 3000);
		assert_true(bulk_a <= 2 * step);
		assert_int_equal(plain_b, 32 * step);
	}
	assert_int_equal(bulk_a, 12);
	assert_int_equal(x->gone, 0);
	close(a);
	close(b);
	hx_free(x);
}

static void rule_helper_ends_a_workers_turn_once_its_bulk_payloads_weigh_a_turn(void **state)
{
	/* docs/PROTOCOL.md section 9: at most 32 records from one worker per
	 * wake-up, a bulk payload weighing one record more per 4 KiB it
	 * carries: a 64 KiB payload weighs 17, so the turn ends after the
	 * second one and the other workers' turn comes first; but a worker's
	 * record behind one small payload is served in the same turn (its
	 * caller, a PING behind a post, waits for no second wake-up) */
	const struct privsep_handler t[] = {
	    {.type = T_BULK,
	     .name = "bulk",
	     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	     .fn = count_a,
	     .bulk_max = 65536},
	    {.type = T_RESULT, .name = "plain", .flags = PRIVSEP_H_POST, .fn = count_b},
	};
	struct hx *x = hx_new(t, 2, 0);
	int a = hx_attach_raw(x, "a", NULL), b = hx_attach_raw(x, "b", NULL);
	uint8_t rec[64], pl[8];
	struct privsep_writer wr;
	(void)state;
	privsep_writer_init(&wr, pl, sizeof(pl));
	privsep_writer_put_u64(&wr, 65536);
	for (int i = 0; i < 3; i++) {
		int fd = written_memfd(65536);
		assert_int_equal(raw_send(a, rec, rec_make(rec, T_BULK, 0, pl, 8, 1), &fd, 1), 0);
		close(fd);
	}
	for (int i = 0; i < 40; i++)
		assert_int_equal(raw_send(b, rec, rec_make(rec, T_RESULT, 0, NULL, 0, 0), NULL, 0),
		                 0);
	bulk_a = plain_b = 0;
	/* one wake-up: both channels are ready */
	privsep_helper_step(x->h, 3000);
	assert_int_equal(bulk_a, 2);
	assert_int_equal(plain_b, 32);
	privsep_helper_step(x->h, 3000);
	assert_int_equal(bulk_a, 3);
	assert_int_equal(plain_b, 40);
	assert_int_equal(x->gone, 0);

	/* one payload and a record behind it: one wake-up serves both */
	{
		int fd = written_memfd(65536);
		assert_int_equal(raw_send(a, rec, rec_make(rec, T_BULK, 0, pl, 8, 1), &fd, 1), 0);
		close(fd);
	}
	assert_int_equal(raw_send(a, rec, rec_make(rec, T_RESULT, 0, NULL, 0, 0), NULL, 0), 0);
	bulk_a = plain_b = 0;
	privsep_helper_step(x->h, 3000);
	assert_int_equal(bulk_a, 1);
	assert_int_equal(plain_b, 1);
	assert_int_equal(x->gone, 0);
	close(a);
	close(b);
	hx_free(x);
}

static void rule_a_bulk_record_weighs_its_turn_by_4096_byte_steps_rounded_up(void **state)
{
	/* docs/PROTOCOL.md section 9, exactly: a bulk record served counts 1
	 * and ceil(size / 4096) more (PROTO_TURN_BULK_BYTES), and the turn
	 * ends after the record that brings the count to 32
	 * (PROTO_TURN_RECORDS): so of the posts behind one payload, one
	 * wake-up serves 31 - ceil(size / 4096), none from 30 x 4096 + 1
	 * bytes on.  Each size on a worker of its own, read in one wake-up. */
	static const size_t sizes[] = {0, 1, 4096, 4097, 8192, 30 * 4096, 30 * 4096 + 1};
	const struct privsep_handler t[] = {
	    {.type = T_BULK,
	     .name = "bulk",
	     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	     .fn = count_a,
	     .bulk_max = 30 * 4096 + 1},
	    {.type = T_RESULT, .name = "plain", .flags = PRIVSEP_H_POST, .fn = count_b},
	};
	(void)state;
	assert_int_equal(PROTO_TURN_RECORDS, 32);
	assert_int_equal(PROTO_TURN_BULK_BYTES, 4096);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		const size_t size = sizes[k];
		const size_t steps = (size + 4095) / 4096;
		const int want = steps >= 31 ? 0 : (int)(31 - steps);
		struct hx *x = hx_new(t, 2, 0);
		int a = hx_attach_raw(x, "a", NULL), fd = written_memfd(size);
		uint8_t rec[64], pl[8];
		struct privsep_writer wr;
		privsep_writer_init(&wr, pl, sizeof(pl));
		privsep_writer_put_u64(&wr, size);
		assert_int_equal(raw_send(a, rec, rec_make(rec, T_BULK, 0, pl, 8, 1), &fd, 1), 0);
		close(fd);
		for (int i = 0; i < 40; i++)
			assert_int_equal(
			    raw_send(a, rec, rec_make(rec, T_RESULT, 0, NULL, 0, 0), NULL, 0), 0);
		bulk_a = plain_b = 0;
		privsep_helper_step(x->h, 3000);
		if (bulk_a != 1 || plain_b != want)
			fail_msg("a bulk of %zu bytes: %d bulk and %d posts behind it in its turn, "
			         "want 1 and %d",
			         size, bulk_a, plain_b, want);
		/* the rest in later wake-ups, with nothing more sent */
		for (int i = 0; i < 10 && plain_b < 40; i++)
			privsep_helper_step(x->h, 3000);
		assert_int_equal(plain_b, 40);
		assert_int_equal(x->gone, 0);
		close(a);
		hx_free(x);
	}
}

/* 1 if p is in a mapping of a memfd in this process (/proc/self/maps
 * names it "/memfd:..."). */
static int in_a_memfd(const void *p)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int found = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && (uintptr_t)p >= lo &&
		    (uintptr_t)p < hi)
			found = strstr(line, "/memfd:") != NULL;
	}
	fclose(f);
	return found;
}

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

static void
bulk_worker_to_helper_intact_at_1MiB_and_256MiB_from_the_helpers_copy_no_leak(void **state)
{
	static const size_t sizes[] = {MIB, MIB, 256u * MIB, 256u * MIB};
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_client *c = hx_attach_client(x, "in-process", 0);
	int fds0;
	(void)state;
	assert_non_null(c);
	fds0 = count_fds();
	for (size_t i = 0; i < 4; i++) {
		uint8_t *buf = malloc(sizes[i]);
		struct privsep_bulk b = {buf, sizes[i]};
		assert_non_null(buf);
		fill(buf, sizes[i], (uint32_t)i + 7);
		posts = 0;
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_BULK, .bulk = &b}), 0);
		for (int t = 0; t < 100 && !posts; t++)
			privsep_helper_step(x->h, 50);
		assert_int_equal(posts, 1);
		assert_int_equal(last_len, sizes[i]);
		assert_true(last_hash == bulk_peer_hash(buf, sizes[i]));
		/* the worker's region form: the handler read the helper's own
		 * copy, never a mapping of the worker's memfd */
		assert_false(in_a_memfd(last_map));
		free(buf);
		/* one fd more than before: the client's region, reused (a
		 * larger one replaced it); none of the helper's */
		assert_int_equal(count_fds(), fds0 + 1);
	}
	privsep_client_free(c);
	/* the client's socket and region are closed */
	assert_int_equal(count_fds(), fds0 - 1);
	hx_free(x);
}

/* The worker: a bulk call of 1 MiB whose answer is its hash, then events
 * until the helper's 256 MiB bulk event was hashed and posted back. */
static int bulk_worker(struct privsep_client *c, void *arg)
{
	uint8_t *buf = malloc(MIB), body[16];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	struct privsep_bulk b = {buf, MIB};
	struct privsep_reader r;
	uint64_t h, n;
	(void)arg;
	if (!buf)
		return 10;
	fill(buf, MIB, 99);
	if (privsep_client_call(c, &(struct privsep_out){.type = T_BULK_CALL, .bulk = &b}, &res) !=
	    0)
		return 11;
	privsep_reader_init(&r, body, res.len);
	privsep_reader_get_u64(&r, &h);
	privsep_reader_get_u64(&r, &n);
	if (privsep_reader_end(&r) < 0 || n != MIB || h != bulk_peer_hash(buf, MIB))
		return 12;
	free(buf);
	while (!worker_events)
		if (privsep_client_dispatch(c, 5000) <= 0)
			return 13;
	return privsep_client_flush(c, 5000) < 0 ? 14 : 0;
}

static const char bulk_policy[] = "version 1\n"
                                  "include <default.policy>\n"
                                  "allow @bulk\n";

static void bulk_both_ways_in_a_sandboxed_worker(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_sandbox sb = {.policy = "bulk test", .policy_text = bulk_policy};
	struct privsep_spawn sp = {.name = "bulk", .main = bulk_worker, .sandbox = &sb};
	struct privsep_worker *w;
	size_t n = 256u * MIB;
	uint8_t *buf = malloc(n);
	struct privsep_bulk b = {buf, n};
	(void)state;
	if (under_valgrind())
		skip();
	assert_non_null(buf);
	fill(buf, n, 3);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	PUMP_WHILE(x->h, !privsep_worker_ready(w), 60000);
	assert_true(privsep_worker_ready(w));
	results = 0;
	assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_EV, .bulk = &b}),
	                 0);
	assert_int_equal(hx_pump_until(x, &results, 30000), 1);
	assert_int_equal(ev_len, n);
	assert_true(ev_hash == bulk_peer_hash(buf, n));
	free(buf);
	assert_true(hx_pump_gone(x, 1, 30000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rule_bulk_memfd_needs_every_seal),
	    cmocka_unit_test(rule_bulk_sender_keeping_a_writable_mapping_cannot_seal),
	    cmocka_unit_test(rule_bulk_size_must_match_the_declared_size),
	    cmocka_unit_test(rule_bulk_fd_must_be_a_memfd),
	    cmocka_unit_test(rule_bulk_over_the_type_limit),
	    cmocka_unit_test(rule_bulk_record_without_its_memfd_is_bad_fd_count),
	    cmocka_unit_test(rule_bulk_memfd_must_be_fully_written),
	    cmocka_unit_test(rule_bulk_memfd_must_be_open_for_reading),
	    cmocka_unit_test(rule_bulk_row_bounds_are_checked_without_overflow),
	    cmocka_unit_test(rule_worker_checks_a_bulk_event_as_the_helper_does),
	    cmocka_unit_test(rule_an_event_row_without_a_handler_is_not_accepted),
	    cmocka_unit_test(rule_helper_post_checks_its_own_event),
	    cmocka_unit_test(rule_bulk_row_needs_a_nonzero_limit),
	    cmocka_unit_test(rule_bulk_of_zero_bytes_is_valid_both_ways),
	    cmocka_unit_test(rule_helper_ends_a_workers_turn_once_its_bulk_payloads_weigh_a_turn),
	    cmocka_unit_test(rule_a_bulk_record_weighs_its_turn_by_4096_byte_steps_rounded_up),
	    cmocka_unit_test(
	        a_flood_of_bulk_payloads_sized_to_the_turn_takes_two_records_a_wake_up),
	    cmocka_unit_test(
	        bulk_worker_to_helper_intact_at_1MiB_and_256MiB_from_the_helpers_copy_no_leak),
	    cmocka_unit_test(bulk_both_ways_in_a_sandboxed_worker),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
