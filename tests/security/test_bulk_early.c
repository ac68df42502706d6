/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_early.c - session 8's bulk changes (docs/PROTOCOL.md section 5,
 * "Revision 1.5", and section 9, "one worker's turn"):
 *
 * - A REGION_PART weighs its worker's turn by the bytes it made the helper
 *   copy, as a bulk record does, and the final record of a payload in
 *   parts by nothing more: its bytes were weighed with its parts.  Every
 *   4096-byte boundary, and a raw worker's flood of one-byte parts, which
 *   takes at most 16 records of a wake-up and starves nobody.
 * - The helper writes the CPU it copied out on in the control page (a
 *   hint for the client, never read back); an honest client in a thread
 *   on another CPU sends a payload of 32 to 128 KiB in early parts (a
 *   first 4 KiB piece, then the rest), and every payload arrives intact,
 *   a rewrite of the region after each copy changing none.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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

#include "attacker_region.h"
#include "bulk_peer.h"
#include "harness.h"
#include "proto.h"
#include "region.h"

#define T_BULK (PRIVSEP_TYPE_APP_MIN + 1)
#define T_PLAIN (PRIVSEP_TYPE_APP_MIN + 2)
#define HELD(n) (REGION_FLAG | REGION_HELD | (uint64_t)(n))

static atomic_int bulk_n, plain_n;
static uint64_t hashes[16];

static int on_bulk(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (bulk_n < 16)
		hashes[bulk_n] = bulk_peer_hash(req->bulk, req->bulk_len);
	bulk_n++;
	return 0;
}

static int on_plain(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	plain_n++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_BULK,
     .name = "bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = on_bulk,
     .bulk_max = 1u << 20},
    {.type = T_PLAIN, .name = "plain", .flags = PRIVSEP_H_POST, .fn = on_plain},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static void send_plain(int sock, int n)
{
	uint8_t rec[64];
	for (int i = 0; i < n; i++)
		assert_int_equal(
		    raw_send(sock, rec, rec_make(rec, T_PLAIN, 0, NULL, 0, 0), NULL, 0), 0);
}

/* A raw worker whose region (len bytes of data, all written) the helper
 * holds: its first record brought the memfd and was copied out. */
static int held_worker(struct hx *x, struct region *r, size_t len)
{
	int sock = hx_attach_raw(x, "raw", NULL);
	*r = region_new(len, REGION_SEALS, len);
	bulk_n = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 16, r->fd);
	assert_int_equal(hx_pump_until(x, &bulk_n, 3000), 1);
	assert_int_equal(bulk_peer_done(r->map), 1);
	return sock;
}

static void rule_a_region_part_weighs_its_turn_by_its_bytes_and_a_final_record_by_none(void **s)
{
	/* section 9: a REGION_PART counts 1 and ceil(len / 4096) more, the
	 * whole turn from 30 x 4096 + 1 bytes; the final record of its
	 * payload 1 and nothing more.  So behind a payload in one part, one
	 * wake-up serves the final record and 30 - ceil(len / 4096) posts,
	 * and from 30 x 4096 + 1 bytes none of them (the rest comes in the
	 * next wake-up, with nothing more sent). */
	static const size_t lens[] = {1, 4095, 4096, 4097, 8192, 30 * 4096, 30 * 4096 + 1};
	(void)s;
	assert_int_equal(PROTO_TURN_RECORDS, 32);
	assert_int_equal(PROTO_TURN_BULK_BYTES, 4096);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		const size_t len = lens[k], steps = (len + 4095) / 4096;
		const int final = 1 + (int)steps < 32, posts = final ? 30 - (int)steps : 0;
		struct hx *x = hx_new(table, NTABLE, 0);
		struct region r;
		int sock = held_worker(x, &r, 31 * 4096);
		bulk_peer_part(sock, len, 0, 0, len, -1);
		bulk_peer_send(sock, T_BULK, 0, HELD(len), -1);
		send_plain(sock, 40);
		bulk_n = plain_n = 0;
		privsep_helper_step(x->h, 3000);
		if (bulk_n != final || plain_n != posts)
			fail_msg(
			    "a part of %zu bytes: %d final and %d posts behind it in its turn, "
			    "want %d and %d",
			    len, (int)bulk_n, (int)plain_n, final, posts);
		for (int i = 0; i < 10 && plain_n < 40; i++)
			privsep_helper_step(x->h, 3000);
		assert_int_equal(bulk_n, 1);
		assert_int_equal(plain_n, 40);
		assert_int_equal(x->gone, 0);
		close(sock);
		region_del(&r);
		hx_free(x);
	}
	/* the client's early parts of a 64 KiB payload, 4 KiB then 60 KiB:
	 * 2 + 16 + 1, and the PING a caller sends behind it would be served
	 * in the same wake-up: 13 posts */
	{
		struct hx *x = hx_new(table, NTABLE, 0);
		struct region r;
		int sock = held_worker(x, &r, 65536);
		bulk_peer_part(sock, 65536, 0, 0, 4096, -1);
		bulk_peer_part(sock, 65536, 4096, 4096, 65536 - 4096, -1);
		bulk_peer_send(sock, T_BULK, 0, HELD(65536), -1);
		send_plain(sock, 40);
		bulk_n = plain_n = 0;
		privsep_helper_step(x->h, 3000);
		assert_int_equal(bulk_n, 1);
		assert_int_equal(plain_n, 13);
		assert_int_equal(bulk_peer_done(r.map), 4);
		close(sock);
		region_del(&r);
		hx_free(x);
	}
}

/* A raw worker's flood of one-byte parts (each weighs 2) takes at most 16
 * records of a wake-up, and another worker's 32 records are served in
 * every one of them. */
static void a_flood_of_one_byte_parts_takes_at_most_sixteen_records_a_wake_up(void **s)
{
	enum { NPARTS = 64 };
	struct hx *x = hx_new(table, NTABLE, 0);
	struct region r;
	int a = held_worker(x, &r, 4096), b = hx_attach_raw(x, "other", NULL);
	(void)s;
	for (int k = 0; k < NPARTS; k++)
		bulk_peer_part(a, NPARTS, (uint64_t)k, (uint64_t)k, 1, -1);
	bulk_peer_send(a, T_BULK, 0, HELD(NPARTS), -1);
	send_plain(b, 32 * 5);
	bulk_n = plain_n = 0;
	for (int step = 1; step <= 5; step++) {
		privsep_helper_step(x->h, 3000);
		/* done: the region record, then one per part copied out */
		if (bulk_peer_done(r.map) > 1 + 16u * (unsigned)step)
			fail_msg("wake-up %d: %u parts copied out, at most %d", step,
			         bulk_peer_done(r.map) - 1, 16 * step);
		assert_int_equal(plain_n, 32 * step);
	}
	assert_int_equal(bulk_n, 1);
	assert_int_equal(bulk_peer_done(r.map), 1 + NPARTS + 1);
	assert_int_equal(x->gone, 0);
	close(a);
	close(b);
	region_del(&r);
	hx_free(x);
}

/* A raw worker that brings a new region of 1 MiB (every page written:
 * the helper maps all of it populated, about 0.3 ms here, more than
 * copying it) with each record, for a payload of 16 bytes: a region
 * record, or a part with its memfd and its final record.  The helper's
 * mapping weighs the turn as the bytes of a payload do (before, the
 * record weighed its 16 bytes, 2, and one wake-up mapped 16 regions:
 * 16 MiB, for each such worker); so at most one of them a wake-up, and
 * another worker's 32 records are served in every one. */
static void a_new_region_weighs_its_workers_turn_by_every_page_the_helper_mapped(void **s)
{
	enum { NREC = 6, LEN = 1 << 20 };
	(void)s;
	for (int parts = 0; parts < 2; parts++) {
		struct hx *x = hx_new(table, NTABLE, 0);
		struct region r[NREC];
		int a = hx_attach_raw(x, "raw", NULL), b = hx_attach_raw(x, "other", NULL);
		for (int k = 0; k < NREC; k++) {
			r[k] = region_new(LEN, REGION_SEALS, LEN);
			if (parts) {
				bulk_peer_part(a, 16, 0, 0, 16, r[k].fd);
				bulk_peer_send(a, T_BULK, 0, HELD(16), -1);
			} else {
				bulk_peer_send(a, T_BULK, 0, REGION_FLAG | 16, r[k].fd);
			}
		}
		send_plain(b, 32 * NREC);
		bulk_n = plain_n = 0;
		for (int step = 1; step <= NREC; step++) {
			privsep_helper_step(x->h, 3000);
			if (bulk_n > step)
				fail_msg(
				    "%s: wake-up %d served %d payloads, each in a new region of "
				    "1 MiB: at most one a wake-up",
				    parts ? "parts" : "region records", step, (int)bulk_n);
			assert_int_equal(plain_n, 32 * step);
		}
		for (int i = 0; i < 4 * NREC && bulk_n < NREC; i++)
			privsep_helper_step(x->h, 3000);
		assert_int_equal(bulk_n, NREC);
		assert_int_equal(x->gone, 0);
		close(a);
		close(b);
		for (int k = 0; k < NREC; k++)
			region_del(&r[k]);
		hx_free(x);
	}
}

/* ---- the client's early parts ---- */

/* The client's region in this process (its mapping of a memfd named
 * "privsep-region": the control page first), or NULL. */
static const uint8_t *client_region(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	const uint8_t *p = NULL;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, off;
		/* a mapping at the memfd's offset 0: its control page */
		if (strstr(line, "/memfd:privsep-region") &&
		    sscanf(line, "%llx-%llx %*s %llx", &start, &end, &off) == 3 && off == 0)
			p = (const uint8_t *)(uintptr_t)start;
	}
	fclose(f);
	return p;
}

static int pin_to(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/* The payloads, in order: the first makes the region (its fd sent, as
 * large as the largest); then around the early range's edges.  *records
 * of each through the region: 3 in early parts (two parts and the final
 * record), else 1. */
static const size_t sizes[] = {(128u << 10) + 1, (32u << 10) - 1, 32u << 10,
                               64u << 10,        128u << 10,      (128u << 10) + 1};

struct poster {
	struct privsep_client *c;
	int cpu;
	uint8_t *bufs[sizeof(sizes) / sizeof(sizes[0])];
	int rc;
};

static void *post_all(void *arg)
{
	struct poster *p = arg;
	if (pin_to(p->cpu) < 0) {
		p->rc = -1;
		return NULL;
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]) && p->rc == 0; i++) {
		struct privsep_bulk b = {p->bufs[i], sizes[i]};
		p->rc =
		    privsep_client_post(p->c, &(struct privsep_out){.type = T_BULK, .bulk = &b});
	}
	return NULL;
}

/* Two CPUs of this process's affinity, or -1. */
static int two_cpus(int *a, int *b)
{
	cpu_set_t set;
	int n = 0;
	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -1;
	for (int i = 0; i < CPU_SETSIZE && n < 2; i++)
		if (CPU_ISSET(i, &set))
			*(n++ ? b : a) = i;
	return n == 2 ? 0 : -1;
}

/* One run: the helper here on hcpu, the client's thread on ccpu; the
 * records the region counted (its done). */
static uint32_t run(int hcpu, int ccpu)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	struct poster p = {.c = hx_attach_client(x, "client", 0), .cpu = ccpu};
	const size_t n = sizeof(sizes) / sizeof(sizes[0]);
	const uint8_t *control;
	uint64_t want[sizeof(sizes) / sizeof(sizes[0])];
	uint32_t done;
	pthread_t t;
	assert_non_null(p.c);
	assert_int_equal(pin_to(hcpu), 0);
	for (size_t i = 0; i < n; i++) {
		p.bufs[i] = malloc(sizes[i]);
		assert_non_null(p.bufs[i]);
		for (size_t j = 0, v = i + 1; j < sizes[i]; j++) {
			v = v * 6364136223846793005u + 1442695040888963407u;
			p.bufs[i][j] = (uint8_t)(v >> 56);
		}
		want[i] = bulk_peer_hash(p.bufs[i], sizes[i]);
	}
	bulk_n = 0;
	assert_int_equal(pthread_create(&t, NULL, post_all, &p), 0);
	for (int i = 0; i < 4000 && bulk_n < (int)n; i++)
		privsep_helper_step(x->h, 5);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(p.rc, 0);
	assert_int_equal(bulk_n, (int)n);
	for (size_t i = 0; i < n; i++) {
		if (hashes[i] != want[i])
			fail_msg("payload %zu (%zu bytes) did not arrive as sent", i, sizes[i]);
		free(p.bufs[i]);
	}
	control = client_region();
	assert_non_null(control);
	done = bulk_peer_done(control);
	/* the helper's CPU, as it told it: 1 + the CPU */
	assert_int_equal(__atomic_load_n((const uint32_t *)(const void *)(control + REGION_OFF_CPU),
	                                 __ATOMIC_RELAXED),
	                 (uint32_t)hcpu + 1);
	assert_int_equal(x->gone, 0);
	privsep_client_free(p.c);
	hx_free(x);
	return done;
}

static void the_client_sends_early_parts_only_to_a_helper_on_another_cpu(void **s)
{
	int a, b;
	cpu_set_t all;
	(void)s;
	assert_int_equal(sched_getaffinity(0, sizeof(all), &all), 0);
	if (two_cpus(&a, &b) < 0) {
		/* one CPU: only the same-CPU half can be checked */
		assert_int_equal(run(a, a), 6);
		print_message("one CPU in this process's affinity: early parts (a helper on "
		              "another CPU) cannot be checked here; the same-CPU half passed\n");
		skip();
	}
	/* the helper on another CPU: 32 KiB, 64 KiB and 128 KiB in early
	 * parts (3 records each), the rest whole (1) */
	assert_int_equal(run(a, b), 1 + 1 + 3 + 3 + 3 + 1);
	/* on the client's own CPU: every payload whole */
	assert_int_equal(run(a, a), 6);
	assert_int_equal(sched_setaffinity(0, sizeof(all), &all), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        rule_a_region_part_weighs_its_turn_by_its_bytes_and_a_final_record_by_none),
	    cmocka_unit_test(a_flood_of_one_byte_parts_takes_at_most_sixteen_records_a_wake_up),
	    cmocka_unit_test(a_new_region_weighs_its_workers_turn_by_every_page_the_helper_mapped),
	    cmocka_unit_test(the_client_sends_early_parts_only_to_a_helper_on_another_cpu),
	};
	return cmocka_run_group_tests(tests, region_setup, NULL);
}
