/* SPDX-License-Identifier: ISC */
/*
 * attacker_region.h - the bulk region a worker the tests play holds (its
 * own read-write mapping of the whole memfd), for test_bulk_region.c and
 * test_bulk_parts.c.  Include after <cmocka.h>; pg is set by region_setup,
 * each test's group setup.
 */
#ifndef PRIVSEP_TEST_ATTACKER_REGION_H
#define PRIVSEP_TEST_ATTACKER_REGION_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "region.h"

static size_t pg;

struct region {
	int fd;
	uint8_t *map; /* the whole memfd, read-write: the worker's own mapping */
	size_t len;   /* of the data, after the control page */
};

/* A region of len bytes of data after its control page, its first
 * written bytes of data written (allocated; the rest stays a hole), with
 * seals (if any). */
static inline struct region region_new(size_t len, int seals, size_t written)
{
	struct region r = {.len = len};
	r.fd = memfd_create("attacker-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(r.fd >= 0);
	assert_int_equal(ftruncate(r.fd, (off_t)(pg + len)), 0);
	r.map = mmap(NULL, pg + len, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0);
	assert_true(r.map != MAP_FAILED);
	/* written pages are allocated; the rest stays a hole */
	memset(r.map, 0, pg + written);
	if (seals)
		assert_int_equal(fcntl(r.fd, F_ADD_SEALS, seals), 0);
	return r;
}

static inline void region_del(struct region *r)
{
	munmap(r->map, pg + r->len);
	close(r->fd);
}

/* A helper over table (n rows), a raw worker on it (its socket, its
 * handle) and the worker's region of 4 pages, every one written, sealed
 * as a revision 1.3 worker seals it.  region_rig_down undoes it (the
 * socket may be closed: -1). */
struct region_rig {
	struct hx *x;
	struct privsep_worker *w;
	int sock;
	struct region r;
};

static inline struct region_rig region_rig_up(const struct privsep_handler *table, size_t n)
{
	struct region_rig g = {.x = hx_new(table, n, 0)};
	g.sock = hx_attach_raw(g.x, "raw", &g.w);
	g.r = region_new(4 * pg, REGION_SEALS, 4 * pg);
	return g;
}

static inline void region_rig_down(struct region_rig *g)
{
	if (g->sock >= 0)
		close(g->sock);
	region_del(&g->r);
	hx_free(g->x);
}

/* The group's setup: pg. */
static inline int region_setup(void **state)
{
	(void)state;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	return 0;
}

#endif
