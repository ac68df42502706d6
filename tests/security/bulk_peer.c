/* SPDX-License-Identifier: ISC */
/*
 * bulk_peer.c - a raw worker's bulk records and its region's count
 * (bulk_peer.h).
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "bulk_peer.h"
#include "harness.h"
#include "region.h"
#include "wire.h"

uint64_t bulk_peer_hash_more(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ull;
	return h;
}

uint64_t bulk_peer_hash(const void *p, size_t n)
{
	return bulk_peer_hash_more(1469598103934665603ull, p, n);
}

int bulk_peer_all(const void *p, size_t n, uint8_t v)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

uint32_t bulk_peer_done(const uint8_t *map)
{
	return __atomic_load_n((const uint32_t *)(const void *)(map + REGION_OFF_DONE),
	                       __ATOMIC_SEQ_CST);
}

void bulk_peer_send(int sock, uint32_t type, uint32_t id, uint64_t size, int fd)
{
	uint8_t rec[64], pl[8];
	struct privsep_writer w;
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u64(&w, size);
	assert_int_equal(
	    raw_send(sock, rec, rec_make(rec, type, id, pl, 8, fd >= 0), &fd, fd >= 0 ? 1 : 0), 0);
}

void bulk_peer_part_typed(int sock, uint64_t total, uint64_t off, uint64_t at, uint64_t len,
                          uint32_t type, size_t plen, int fd)
{
	uint8_t rec[80], pl[40] = {0};
	struct privsep_writer w;
	assert_true(plen <= sizeof(pl));
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u64(&w, total);
	privsep_writer_put_u64(&w, off);
	privsep_writer_put_u64(&w, at);
	privsep_writer_put_u64(&w, len);
	privsep_writer_put_u32(&w, type);
	assert_int_equal(raw_send(sock, rec,
	                          rec_make(rec, PRIVSEP_T_REGION_PART, 0, pl, plen, fd >= 0), &fd,
	                          fd >= 0 ? 1 : 0),
	                 0);
}

void bulk_peer_part(int sock, uint64_t total, uint64_t off, uint64_t at, uint64_t len, int fd)
{
	bulk_peer_part_typed(sock, total, off, at, len, 0, REGION_PART_LEN, fd);
}

int bulk_peer_fd_room(int room)
{
	struct rlimit rl;
	int open_below = 0, lim;
	for (lim = 0; lim < 65536; lim++) {
		if (lim - open_below == room)
			break;
		if (fcntl(lim, F_GETFD) >= 0)
			open_below++;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	rl.rlim_cur = (rlim_t)lim;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int bulk_peer_reply(struct hx *x, int sock, uint32_t id, int ms)
{
	uint8_t rec[4096];
	for (int t = 0; t < ms / 10; t++) {
		ssize_t n;
		privsep_helper_step(x->h, 10);
		n = recv(sock, rec, sizeof(rec), MSG_DONTWAIT);
		if (n >= (ssize_t)PRIVSEP_HDR_LEN + 4 && wire_get_u32(rec + 8) == id)
			return (int)wire_get_u32(rec + PRIVSEP_HDR_LEN);
	}
	return -1;
}
