/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_parts_attack.c - bulk revision 1.4 (branch s5-bulk4: the
 * held region, REGION_PART) attacked by a raw worker that narrowed
 * itself first.  PERMIT_DROP refuses REGION_PART itself ("drop the bulk
 * type", docs/PROTOCOL.md section 7): the bulk types' permits are what
 * stands for it.  So a worker that dropped every bulk type of the table
 * has given up bulk payloads: a part of one must not make the helper map
 * its region, copy out of it or make a parts buffer for it (up to the
 * largest bulk_max, kept until the worker is gone).
 *
 * Built only where REGION_PART exists (tests/meson.build).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "region.h"
#include "wire.h"

#define T_BULK (PRIVSEP_TYPE_APP_MIN + 1)
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 2)
#define MIB (1u << 20)
#define LIMIT (64u * MIB)

static int served;

static int on_bulk(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	served++;
	return 0;
}

static int on_call(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_BULK,
     .name = "bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = on_bulk,
     .bulk_max = LIMIT},
    {.type = T_CALL, .name = "call", .max_len = 16, .flags = PRIVSEP_H_CALL, .fn = on_call},
};

/* The reply to id on sock, the helper pumped meanwhile (within ms): its
 * u32 error (the body's first field), or -1. */
static int reply_error(struct hx *x, int sock, uint32_t id, int ms)
{
	uint8_t rec[4096];
	for (int t = 0; t < ms / 10; t++) {
		struct pollfd p = {sock, POLLIN, 0};
		privsep_helper_step(x->h, 0);
		if (poll(&p, 1, 10) == 1) {
			ssize_t n = recv(sock, rec, sizeof(rec), MSG_DONTWAIT);
			if (n <= 0)
				return -1;
			if (n >= (ssize_t)PRIVSEP_HDR_LEN + 4 && wire_get_u32(rec + 8) == id)
				return (int)wire_get_u32(rec + PRIVSEP_HDR_LEN);
		}
	}
	return -1;
}

static void a_worker_that_dropped_every_bulk_type_has_no_part_of_a_payload_copied(void **s)
{
	struct hx *x = hx_new(table, sizeof(table) / sizeof(table[0]), 0);
	struct privsep_worker *w = NULL;
	size_t pg = (size_t)sysconf(_SC_PAGESIZE), len = MIB;
	uint8_t rec[64], pl[REGION_PART_LEN], drop[8];
	struct privsep_writer pw;
	uint32_t done;
	uint8_t *map;
	int sock, fd;
	(void)s;
	assert_non_null(x);
	sock = hx_attach_raw(x, "narrowed", &w);
	assert_true(sock >= 0);
	assert_non_null(w);

	/* the worker gives up its only bulk type, as an honest one would
	 * once it no longer sends payloads */
	privsep_writer_init(&pw, drop, sizeof(drop));
	privsep_writer_put_u32(&pw, 1);
	privsep_writer_put_u32(&pw, T_BULK);
	assert_int_equal(raw_send(sock, rec,
	                          rec_make(rec, PRIVSEP_T_PERMIT_DROP, 1, drop, sizeof(drop), 0),
	                          NULL, 0),
	                 0);
	assert_int_equal(reply_error(x, sock, 1, 10000), 0);

	/* then, compromised: a region, and the first part of a payload of
	 * the largest bulk_max */
	fd = memfd_create("attacker-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)(pg + len)), 0);
	map = mmap(NULL, pg + len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	memset(map, 'x', pg + len);
	memset(map, 0, pg);
	assert_int_equal(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), 0);
	privsep_writer_init(&pw, pl, sizeof(pl));
	privsep_writer_put_u64(&pw, LIMIT); /* total */
	privsep_writer_put_u64(&pw, 0);     /* off */
	privsep_writer_put_u64(&pw, 0);     /* at */
	privsep_writer_put_u64(&pw, len);   /* len */
	assert_int_equal(
	    raw_send(sock, rec, rec_make(rec, PRIVSEP_T_REGION_PART, 0, pl, sizeof(pl), 1), &fd, 1),
	    0);
	/* a call after it: answered once the part was served */
	assert_int_equal(raw_send(sock, rec, rec_make(rec, T_CALL, 2, NULL, 0, 0), NULL, 0), 0);
	(void)reply_error(x, sock, 2, 10000);

	done = __atomic_load_n((uint32_t *)(void *)(map + REGION_OFF_DONE), __ATOMIC_SEQ_CST);
	if (x->gone == 0 && (done != 0 || w->region.parts.cap != 0))
		fail_msg("a worker that dropped its only bulk type had a part of a payload of %u "
		         "bytes copied (done %u) into a parts buffer of %zu bytes the helper keeps "
		         "while it lives",
		         LIMIT, done, w->region.parts.cap);
	munmap(map, pg + len);
	close(fd);
	close(sock);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_worker_that_dropped_every_bulk_type_has_no_part_of_a_payload_copied),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
