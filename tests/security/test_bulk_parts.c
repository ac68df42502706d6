/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_parts.c - revision 1.4 of the region form (docs/PROTOCOL.md,
 * "The region form", "Revision 1.4"): a record that names the region the
 * helper holds without passing its memfd again, and a payload carried in
 * several REGION_PART records.  The attacker is a raw worker: it holds
 * its region read-write for ever, sends any record, in any order.
 *
 * - The race, made exact: the helper's side runs in a child whose
 *   FUTEX_WAKE (the helper tells the worker, right after each copy-out,
 *   before any check or handler) is a seccomp user notification; at each
 *   one the "worker" rewrites its whole region.  The handler's bytes are
 *   what each copy saw, never what the worker wrote after it.
 * - Every malformed part or final record is bad-bulk, with one line.
 * - No fd of a part or a region stays open in the helper.
 * - A revision 1.3 worker (every record with its memfd) is served.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "attacker_region.h"
#include "bulk_peer.h"
#include "harness.h"
#include "region.h"

#define T_BULK (PRIVSEP_TYPE_APP_MIN + 1)
#define T_SMALL (PRIVSEP_TYPE_APP_MIN + 2)
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 3)
#define MIB (1u << 20)
#define LIMIT (64u * MIB)

/* ---- the attacker's region and records ---- */

#define HELD(n) (REGION_FLAG | REGION_HELD | (uint64_t)(n))

/* ---- the helper ---- */

static atomic_int served;
static uint64_t last_len, last_hash;
static uint64_t hashes[16]; /* of each payload served, in order */

static int hashing(struct privsep_req *req, void *arg)
{
	(void)arg;
	last_len = req->bulk_len;
	last_hash = bulk_peer_hash(req->bulk, req->bulk_len);
	if (served < 16)
		hashes[served] = last_hash;
	served++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_BULK,
     .name = "bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = hashing,
     .bulk_max = LIMIT},
    {.type = T_SMALL,
     .name = "small",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = hashing,
     .bulk_max = 2 * 4096},
    {.type = T_CALL,
     .name = "bulk-call",
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK,
     .fn = hashing,
     .bulk_max = LIMIT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* ---- the exact race ---- */

static struct region *racer;
static atomic_int flips;

/* The worker's act at each FUTEX_WAKE of the helper's side (it just
 * copied a part or a payload out): rewrite the whole region with the
 * next letter; then the call goes on (hx_on_call). */
static void rewrite(void)
{
	flips++;
	memset(racer->map + pg, 'A' + flips, racer->len);
}

#define PARTS 4
#define PART (64u << 10)

/* The parts of the streamed race: lengths that are no multiple of 16 or
 * 64, at offsets of the region that are not aligned, the last ending at
 * the region's last byte (PARTS * PART bytes of data). */
static const size_t odd_len[PARTS] = {4093, 65541, 17, 100000};
static const size_t odd_at[PARTS] = {1, 4097, 69643, PARTS *PART - 100000};

/* The helper's side, in a child: 0 when every byte the handler got is
 * the one the copy saw (part k: the letter written before the k-th
 * notification) and stays so; 1 when not; 2 when the setup failed.
 * streamed: copied out with non-temporal stores (copyout.h), in parts of
 * odd_len at odd_at; else with memcpy, in parts of PART at k * PART. */
static int helper_side(int streamed)
{
	struct region r = region_new(PARTS * PART, REGION_SEALS, PARTS * PART);
	struct region_rx rx;
	struct region_copy c = {.region_max = LIMIT, .stream_over = streamed ? 1 : SIZE_MAX};
	const uint8_t *p;
	const void *v;
	char why[256];
	size_t total = 0, off = 0;
	int bad = 0;

	for (unsigned k = 0; k < PARTS; k++)
		total += streamed ? odd_len[k] : PART;
	racer = &r;
	memset(r.map + pg, 'A', r.len);
	/* the worker waits: the helper wakes it after every copy */
	*(uint32_t *)(void *)(r.map + REGION_OFF_WAITING) = 1;
	if (hx_on_call(__NR_futex, FUTEX_WAKE, rewrite) < 0)
		return 2;
	region_rx_init(&rx);

	/* a payload in parts, the region brought by the first */
	for (unsigned k = 0; k < PARTS; k++) {
		size_t len = streamed ? odd_len[k] : PART, at = streamed ? odd_at[k] : k * PART;
		if (region_rx_part(&rx, &c, k ? -1 : r.fd, total, off, at, len, why, sizeof(why)) !=
		    0) {
			fprintf(stderr, "part %u: %s\n", k, why);
			return 1;
		}
		off += len;
	}
	if (region_rx_held(&rx, &c, total, LIMIT, &v, why, sizeof(why)) != 0) {
		fprintf(stderr, "final: %s\n", why);
		return 1;
	}
	p = v;
	/* part k was copied after k rewrites; the final record, after
	 * PARTS; it changed nothing the handler reads */
	off = 0;
	for (unsigned k = 0; k < PARTS; k++) {
		size_t len = streamed ? odd_len[k] : PART;
		for (size_t i = 0; i < len; i++)
			bad |= p[off + i] != 'A' + k;
		off += len;
	}
	if (flips != PARTS + 1 || bad) {
		fprintf(stderr, "parts: %d rewrites, bytes %s\n", (int)flips,
		        bad ? "changed" : "as copied");
		return 1;
	}
	/* a record that names the held region: its bytes are those of the
	 * instant of the copy, and the rewrite right after changes none */
	{
		uint8_t letter = (uint8_t)('A' + flips);
		size_t len = streamed ? PARTS * PART : PART;
		if (region_rx_held(&rx, &c, len, LIMIT, &v, why, sizeof(why)) != 0) {
			fprintf(stderr, "held: %s\n", why);
			return 1;
		}
		p = v;
		for (size_t i = 0; i < len; i++)
			bad |= p[i] != letter;
		if (flips != PARTS + 2 || bad || r.map[pg] == letter) {
			fprintf(stderr, "held: %d rewrites, bytes %s\n", (int)flips,
			        bad ? "changed" : "as copied");
			return 1;
		}
	}
	region_rx_free(&rx);
	region_copy_free(&c);
	return 0;
}

static void race(int streamed)
{
	int st;
	pid_t pid;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL);
		signal(SIGSEGV, SIG_DFL);
		_exit(helper_side(streamed));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2)
		skip(); /* no seccomp user notification here: nothing to race with */
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void
a_worker_rewriting_its_region_between_copies_never_changes_a_byte_the_handler_reads(void **state)
{
	(void)state;
	race(0);
}

/* The same race with the copy out of a payload larger than the cache
 * (non-temporal stores), in parts of odd sizes at unaligned offsets, the
 * last ending at the region's last byte, then a held payload of the
 * whole region. */
static void
a_worker_rewriting_its_region_between_streamed_copies_never_changes_a_byte_the_handler_reads(
    void **state)
{
	(void)state;
	race(1);
}

/* ---- the rules: each a bad-bulk with one line ---- */

struct case_ {
	const char *name;
	void (*send)(int sock, struct region *r, struct region *r2);
	const char *line; /* a part of the one line */
};

/* The first part (with the region) of a payload of 4 pages: the next
 * would be at offset one page. */
static void begin(int sock, struct region *r)
{
	bulk_peer_part(sock, 4 * pg, 0, 0, pg, r->fd);
}

static void c_held_none(int sock, struct region *r, struct region *r2)
{
	(void)r, (void)r2;
	bulk_peer_send(sock, T_BULK, 0, HELD(16), -1);
}
static void c_part_none(int sock, struct region *r, struct region *r2)
{
	(void)r, (void)r2;
	bulk_peer_part(sock, 4 * pg, 0, 0, pg, -1);
}
static void c_part_past_region(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, 4 * pg, 0, r->len - pg + 1, pg, r->fd);
}
static void c_part_empty(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, 4 * pg, 0, 0, 0, r->fd);
}
static void c_part_past_payload(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, 2 * pg, 0, 0, pg, r->fd);
	bulk_peer_part(sock, 2 * pg, pg, pg, pg + 1, -1);
}
static void c_part_overlaps(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_part(sock, 4 * pg, pg - 1, pg, pg, -1);
}
static void c_part_again(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_part(sock, 4 * pg, 0, 0, pg, -1);
}
static void c_part_missing(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_part(sock, 4 * pg, 2 * pg, 2 * pg, pg, -1);
}
static void c_part_reordered(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, 4 * pg, pg, pg, pg, r->fd);
}
static void c_total_changes(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_part(sock, 8 * pg, pg, pg, pg, -1);
}
static void c_final_total_changes(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	for (size_t k = 1; k < 4; k++)
		bulk_peer_part(sock, 4 * pg, k * pg, k * pg, pg, -1);
	bulk_peer_send(sock, T_BULK, 0, HELD(4 * pg - 1), -1);
}
static void c_final_early(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_part(sock, 4 * pg, pg, pg, pg, -1);
	bulk_peer_send(sock, T_BULK, 0, HELD(4 * pg), -1);
}
static void c_swapped(int sock, struct region *r, struct region *r2)
{
	begin(sock, r);
	bulk_peer_part(sock, 4 * pg, pg, pg, pg, r2->fd);
}
static void c_own_payload_mid(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 16, r->fd);
}
static void c_total_over(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, (uint64_t)LIMIT + 1, 0, 0, pg, r->fd);
}
static void c_total_zero(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_part(sock, 0, 0, 0, pg, r->fd);
}
static void c_final_over_row(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	begin(sock, r);
	for (size_t k = 1; k < 4; k++)
		bulk_peer_part(sock, 4 * pg, k * pg, k * pg, pg, -1);
	bulk_peer_send(sock, T_SMALL, 0, HELD(4 * pg), -1);
}
static void c_held_1_1(int sock, struct region *r, struct region *r2)
{
	(void)r;
	/* a revision 1.1 region (sealed by the worker), served with its fd */
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 16, r2->fd);
	bulk_peer_send(sock, T_BULK, 0, HELD(16), -1);
}
static void c_held_past_region(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 16, r->fd);
	bulk_peer_send(sock, T_BULK, 0, HELD(r->len + 1), -1);
}
static void c_held_with_fd(int sock, struct region *r, struct region *r2)
{
	(void)r2;
	/* the held form says no memfd: one more fd is over the row's count */
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 16, r->fd);
	bulk_peer_send(sock, T_BULK, 0, HELD(16), r->fd);
}

static void every_malformed_part_or_final_record_is_a_violation_with_one_line(void **state)
{
	static const struct case_ cases[] = {
	    {"a held record with no region held", c_held_none, "no region is held"},
	    {"a part with no region held", c_part_none, "no region is held"},
	    {"a part past the end of the region", c_part_past_region, "runs past its end"},
	    {"an empty part", c_part_empty, "is empty"},
	    {"a part past the end of its payload", c_part_past_payload,
	     "past the end of its payload"},
	    {"an overlapping part", c_part_overlaps, "overlaps"},
	    {"a part sent again", c_part_again, "overlaps"},
	    {"a missing part", c_part_missing, "leaves a gap"},
	    {"a reordered part (the second first)", c_part_reordered, "did not begin"},
	    {"a total that changes in a part", c_total_changes,
	     "total of a payload in parts changed"},
	    {"a total that changes in the final record", c_final_total_changes,
	     "total of a payload in parts changed"},
	    {"a final record before the last part", c_final_early, "a part is missing"},
	    {"a region swapped mid-payload", c_swapped, "region swapped mid-payload"},
	    {"a payload of its own mid-payload", c_own_payload_mid, "waits for its final record"},
	    {"a total over the largest bulk limit", c_total_over, "to the largest bulk limit"},
	    {"a total of 0", c_total_zero, "to the largest bulk limit"},
	    {"a final record over its type's limit", c_final_over_row, "over the type's limit"},
	    {"a held record naming a revision 1.1 region", c_held_1_1, "revision 1.1"},
	    {"a held record longer than the region", c_held_past_region, "the bulk region holds"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hx *x = hx_new(table, NTABLE, 0);
		int sock = hx_attach_raw(x, "raw", NULL), lines = 0;
		struct region r = region_new(4 * pg, REGION_SEALS, 4 * pg);
		struct region r2 = region_new(4 * pg, REGION_SEALS_1_1, 4 * pg);
		served = 0;
		cases[i].send(sock, &r, &r2);
		if (!hx_pump_gone(x, 1, 3000))
			fail_msg("%s: the worker was not ended", cases[i].name);
		if (x->last_viol != PRIVSEP_V_BAD_BULK)
			fail_msg("%s: violation %d, not bad-bulk", cases[i].name,
			         (int)x->last_viol);
		for (int l = 0; l < x->nlog; l++)
			lines += strstr(x->log[l], "protocol violation") != NULL;
		if (lines != 1 || !hx_logged(x, cases[i].line))
			fail_msg("%s: %d violation lines, \"%s\" %s", cases[i].name, lines,
			         cases[i].line,
			         hx_logged(x, cases[i].line) ? "logged" : "not logged");
		if (getenv("SHOW_LINES"))
			for (int l = 0; l < x->nlog; l++)
				fprintf(stderr, "%s\n", x->log[l]);
		close(sock);
		region_del(&r);
		region_del(&r2);
		hx_free(x);
	}
	/* the held form's fd count: the type's own fds, no memfd */
	{
		struct hx *x = hx_new(table, NTABLE, 0);
		int sock = hx_attach_raw(x, "raw", NULL);
		struct region r = region_new(4 * pg, REGION_SEALS, 4 * pg);
		c_held_with_fd(sock, &r, NULL);
		assert_true(hx_pump_gone(x, 1, 3000));
		assert_int_equal(x->last_viol, PRIVSEP_V_BAD_FD_COUNT);
		close(sock);
		region_del(&r);
		hx_free(x);
	}
}

/* ---- honest use, fds, an older worker ---- */

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131u + seed);
}

static void parts_and_held_records_leave_no_fd_open_in_the_helper(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL), fds0;
	struct region r = region_new(8 * pg, REGION_SEALS, 8 * pg);
	(void)state;
	fds0 = count_fds();
	for (int round = 0; round < 3; round++) {
		uint8_t *want = malloc(8 * pg);
		assert_non_null(want);
		fill(want, 8 * pg, (uint8_t)round);
		memcpy(r.map + pg, want, 8 * pg);
		served = 0;
		/* every part brings the region's fd, as a worker does until
		 * it knows the helper holds it */
		for (size_t k = 0; k < 8; k++)
			bulk_peer_part(sock, 8 * pg, k * pg, k * pg, pg, r.fd);
		bulk_peer_send(sock, T_BULK, 0, HELD(8 * pg), -1);
		assert_int_equal(hx_pump_until(x, &served, 5000), 1);
		assert_int_equal(last_len, 8 * pg);
		assert_true(last_hash == bulk_peer_hash(want, 8 * pg));
		assert_int_equal(bulk_peer_done(r.map), (uint32_t)(round + 1) * 9);
		/* the helper closed every fd it got; it holds the region by
		 * its mapping, not by an fd */
		assert_int_equal(count_fds(), fds0);
		free(want);
	}
	assert_int_equal(x->gone, 0);
	close(sock);
	region_del(&r);
	hx_free(x);
}

/* docs/PROTOCOL.md section 5, "What done counts": the helper keeps its
 * own count, from 0 for each region it maps, one more for each region
 * record, held record, part and final record, and stores it; it never
 * reads done back, so a worker that writes done changes nothing the
 * helper counts (nor the wake-up of an honest worker that relies on it). */
static void the_helper_counts_done_itself_and_never_reads_back_what_the_worker_wrote(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	struct region r = region_new(4 * pg, REGION_SEALS, 4 * pg);
	struct region r2 = region_new(4 * pg, REGION_SEALS, 4 * pg);
	uint32_t *done = (uint32_t *)(void *)(r.map + REGION_OFF_DONE);
	(void)state;
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | pg, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(bulk_peer_done(r.map), 1);
	/* the worker writes its own count: the helper's goes on from 1 */
	__atomic_store_n(done, 0xfffffff0u, __ATOMIC_SEQ_CST);
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, HELD(pg), -1);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(bulk_peer_done(r.map), 2);
	/* two parts and their final record: three more */
	__atomic_store_n(done, 0, __ATOMIC_SEQ_CST);
	served = 0;
	bulk_peer_part(sock, 2 * pg, 0, 0, pg, -1);
	bulk_peer_part(sock, 2 * pg, pg, pg, pg, -1);
	bulk_peer_send(sock, T_BULK, 0, HELD(2 * pg), -1);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(bulk_peer_done(r.map), 5);
	/* another region replaces it: its count starts again at 0 */
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | pg, r2.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(bulk_peer_done(r2.map), 1);
	assert_int_equal(bulk_peer_done(r.map), 5);
	assert_int_equal(x->gone, 0);
	close(sock);
	region_del(&r);
	region_del(&r2);
	hx_free(x);
}

/* The helper at its fd limit: the parts that brought the region could
 * not be received.  Their payload is dropped whole (nothing half-copied
 * reaches a handler), the call is answered EMFILE with one line, the
 * worker is not killed, nothing is counted in done (so an honest worker
 * makes a new region), and the next payload goes through. */
static void a_part_the_helper_could_not_receive_drops_its_payload_and_kills_nobody(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	struct region r = region_new(2 * pg, REGION_SEALS, 2 * pg);
	struct rlimit saved;
	uint8_t reply[64];
	ssize_t n = -1;
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own under the limit */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	served = 0;
	/* sent first: a user's fds in flight count against its own limit
	 * (ETOOMANYREFS, but for root) */
	bulk_peer_part(sock, 2 * pg, 0, 0, pg, r.fd);
	bulk_peer_part(sock, 2 * pg, pg, pg, pg, r.fd);
	bulk_peer_send(sock, T_CALL, 7, HELD(2 * pg), -1);
	assert_int_equal(bulk_peer_fd_room(0), 0);
	for (int t = 0; t < 300 && n < 0; t++) {
		privsep_helper_step(x->h, 10);
		n = recv(sock, reply, sizeof(reply), MSG_DONTWAIT);
	}
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_true(n >= 20);
	assert_int_equal(reply[4], PRIVSEP_T_REPLY);
	assert_int_equal(reply[8], 7);
	assert_int_equal(reply[16] | reply[17] << 8, EMFILE);
	assert_int_equal(served, 0);
	assert_int_equal(x->gone, 0);
	assert_true(hx_logged(x, "could not be received (helper at its fd limit)"));
	assert_int_equal(bulk_peer_done(r.map), 0);
	/* the next payload, its parts received */
	memset(r.map + pg, 'z', 2 * pg);
	bulk_peer_part(sock, 2 * pg, 0, 0, pg, r.fd);
	bulk_peer_part(sock, 2 * pg, pg, pg, pg, -1);
	bulk_peer_send(sock, T_BULK, 0, HELD(2 * pg), -1);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(last_len, 2 * pg);
	assert_int_equal(bulk_peer_done(r.map), 3);
	assert_int_equal(x->gone, 0);
	close(sock);
	region_del(&r);
	hx_free(x);
}

static void a_revision_1_3_worker_sending_its_region_fd_every_time_is_still_served(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL), fds0;
	struct region r = region_new(MIB, REGION_SEALS, MIB);
	uint8_t *want = malloc(MIB);
	(void)state;
	assert_non_null(want);
	fds0 = count_fds();
	for (int k = 0; k < 4; k++) {
		fill(want, MIB, (uint8_t)k);
		memcpy(r.map + pg, want, MIB);
		served = 0;
		bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
		assert_int_equal(hx_pump_until(x, &served, 5000), 1);
		assert_true(last_hash == bulk_peer_hash(want, MIB));
		assert_int_equal(bulk_peer_done(r.map), (uint32_t)k + 1);
		assert_int_equal(count_fds(), fds0);
	}
	/* and a 1.4 record after it names the same region */
	fill(want, MIB, 9);
	memcpy(r.map + pg, want, MIB);
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, HELD(MIB), -1);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_true(last_hash == bulk_peer_hash(want, MIB));
	assert_int_equal(x->gone, 0);
	free(want);
	close(sock);
	region_del(&r);
	hx_free(x);
}

/* A worker's client (this library) sends large payloads in parts and
 * the next ones without the fd: each arrives intact, odd sizes too. */
static void an_honest_client_s_payloads_in_parts_arrive_intact(void **state)
{
	static const size_t sizes[] = {MIB, 5 * MIB + 1, 64u << 10, 17 * MIB + 3, 4 * MIB};
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_client *c = hx_attach_client(x, "in-process", 0);
	(void)state;
	assert_non_null(c);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *buf = malloc(sizes[i]);
		struct privsep_bulk b = {buf, sizes[i]};
		assert_non_null(buf);
		fill(buf, sizes[i], (uint8_t)(i + 3));
		served = 0;
		assert_int_equal(
		    privsep_client_post(c, &(struct privsep_out){.type = T_BULK, .bulk = &b}), 0);
		assert_int_equal(hx_pump_until(x, &served, 5000), 1);
		assert_int_equal(last_len, sizes[i]);
		assert_true(last_hash == bulk_peer_hash(buf, sizes[i]));
		free(buf);
	}
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

/* The client's ring (region_tx_at): the parts of a payload go around
 * REGION_RING slots at the start of the region, but a slot is written
 * again only once the helper has copied out the part written there
 * before (its DONE); a slot not free in time sends that part and the
 * rest of its payload to their own places, which no other part of the
 * payload uses.  A part larger than a slot never goes to one.  (Waits
 * of 0 here: the helper's side is this test, which stores DONE.) */
static void at(struct region_tx *r, size_t k, size_t len, size_t want)
{
	size_t got = region_tx_at(r, k * MIB, MIB, len, 0, NULL, NULL);
	assert_int_equal(got, want * MIB);
	region_tx_part(r, got, "x", 1);
}

static void the_client_reuses_a_ring_slot_only_once_the_helper_copied_its_part_out(void **state)
{
	struct region_tx r;
	uint32_t *done;
	(void)state;
	region_tx_init(&r);
	assert_int_equal(region_tx_room(&r, 12 * MIB, 0, NULL, NULL), 0);
	done = (uint32_t *)(void *)(r.map + REGION_OFF_DONE);
	/* the first lap: each slot is the part's own place */
	for (size_t k = 0; k < REGION_RING; k++)
		at(&r, k, MIB, k);
	/* nothing copied out yet: slot 0 holds part 0 still, so part 4 goes
	 * to its own place, and so does the rest of this payload, even once
	 * everything was copied out */
	at(&r, 4, MIB, 4);
	__atomic_store_n(done, 5, __ATOMIC_SEQ_CST);
	at(&r, 5, MIB, 5);
	/* the next payload (records 7 to 10 in the slots) */
	__atomic_store_n(done, 6, __ATOMIC_SEQ_CST);
	for (size_t k = 0; k < REGION_RING; k++)
		at(&r, k, MIB, k);
	/* part 0 copied out (DONE 7): slot 0 again; part 1 not (DONE
	 * short of 8): part 5 at its own place, and the rest */
	__atomic_store_n(done, 7, __ATOMIC_SEQ_CST);
	at(&r, 4, MIB, 0);
	at(&r, 5, MIB, 5);
	__atomic_store_n(done, 12, __ATOMIC_SEQ_CST);
	at(&r, 6, MIB, 6);
	/* and one more: the helper keeps up, the slots go around; a part
	 * larger than a slot (the rest of a payload at once) goes to its
	 * own place all the same */
	for (size_t k = 0; k < 2 * REGION_RING; k++) {
		__atomic_store_n(done, r.sent, __ATOMIC_SEQ_CST);
		at(&r, k, MIB, k % REGION_RING);
	}
	assert_int_equal(region_tx_at(&r, 8 * MIB, MIB, 4 * MIB, 0, NULL, NULL), 8 * MIB);
	region_tx_free(&r);
}

struct poster {
	struct privsep_client *c;
	uint8_t *bufs[6];
	size_t len;
	int rc;
};

static void *post_all(void *arg)
{
	struct poster *p = arg;
	for (int i = 0; i < 6 && p->rc == 0; i++) {
		struct privsep_bulk b = {p->bufs[i], p->len};
		p->rc =
		    privsep_client_post(p->c, &(struct privsep_out){.type = T_BULK, .bulk = &b});
	}
	return NULL;
}

/* The same from a worker's client in a thread of its own while the
 * helper copies parts out as they come: the ring's slots are written
 * again during a payload, and every byte arrives as sent. */
static void
an_honest_client_s_parts_through_the_ring_arrive_intact_while_the_helper_copies(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct poster p = {.c = hx_attach_client(x, "in-thread", 0), .len = 16 * MIB + 3};
	uint64_t want[6];
	pthread_t t;
	(void)state;
	assert_non_null(p.c);
	for (int i = 0; i < 6; i++) {
		p.bufs[i] = malloc(p.len);
		assert_non_null(p.bufs[i]);
		/* no period a slot's size divides: part k and part k + 4
		 * differ */
		for (size_t j = 0, v = (size_t)i + 1; j < p.len; j++) {
			v = v * 6364136223846793005u + 1442695040888963407u;
			p.bufs[i][j] = (uint8_t)(v >> 56);
		}
		want[i] = bulk_peer_hash(p.bufs[i], p.len);
	}
	served = 0;
	assert_int_equal(pthread_create(&t, NULL, post_all, &p), 0);
	for (int i = 0; i < 2000 && served < 6; i++)
		privsep_helper_step(x->h, 5);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.rc, 0);
	assert_int_equal(served, 6);
	for (int i = 0; i < 6; i++)
		assert_true(hashes[i] == want[i]);
	assert_int_equal(x->gone, 0);
	for (int i = 0; i < 6; i++)
		free(p.bufs[i]);
	privsep_client_free(p.c);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_worker_rewriting_its_region_between_copies_never_changes_a_byte_the_handler_reads),
	    cmocka_unit_test(
	        a_worker_rewriting_its_region_between_streamed_copies_never_changes_a_byte_the_handler_reads),
	    cmocka_unit_test(every_malformed_part_or_final_record_is_a_violation_with_one_line),
	    cmocka_unit_test(parts_and_held_records_leave_no_fd_open_in_the_helper),
	    cmocka_unit_test(
	        a_revision_1_3_worker_sending_its_region_fd_every_time_is_still_served),
	    cmocka_unit_test(an_honest_client_s_payloads_in_parts_arrive_intact),
	    cmocka_unit_test(
	        the_client_reuses_a_ring_slot_only_once_the_helper_copied_its_part_out),
	    cmocka_unit_test(
	        an_honest_client_s_parts_through_the_ring_arrive_intact_while_the_helper_copies),
	    cmocka_unit_test(
	        a_part_the_helper_could_not_receive_drops_its_payload_and_kills_nobody),
	    cmocka_unit_test(
	        the_helper_counts_done_itself_and_never_reads_back_what_the_worker_wrote),
	};
	return cmocka_run_group_tests(tests, region_setup, NULL);
}
