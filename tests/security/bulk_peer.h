/* SPDX-License-Identifier: ISC */
/*
 * bulk_peer.h - a raw worker's bulk records and its region's count, as
 * the tests that play a worker on the channel write and read them
 * (test_bulk.c, test_bulk_region.c, test_bulk_parts.c,
 * test_bulk_early.c); and the hash the tests compare payloads by.
 */
#ifndef PRIVSEP_TESTS_BULK_PEER_H
#define PRIVSEP_TESTS_BULK_PEER_H

#include <stddef.h>
#include <stdint.h>

/* A 64-bit FNV-style hash of n bytes at p (the tests' own basis). */
uint64_t bulk_peer_hash(const void *p, size_t n);
/* The same hash carried on from h (a hash so far) over n more bytes. */
uint64_t bulk_peer_hash_more(uint64_t h, const void *p, size_t n);
/* 1 if each of the n bytes at p is v. */
int bulk_peer_all(const void *p, size_t n, uint8_t v);

/* The DONE count in the control page at map (the worker's mapping of
 * its region). */
uint32_t bulk_peer_done(const uint8_t *map);

/* A bulk record of type (a call when id is not 0) whose payload is the
 * u64 size (REGION_FLAG and the other flags included), with fd (-1: no
 * fd); the test fails if sock does not take it. */
void bulk_peer_send(int sock, uint32_t type, uint32_t id, uint64_t size, int fd);

/* A REGION_PART record (total, off, at, len), with fd (-1: no fd). */
void bulk_peer_part(int sock, uint64_t total, uint64_t off, uint64_t at, uint64_t len, int fd);

/* A REGION_PART record that names type (revision 1.7): plen bytes of
 * payload, REGION_PART_TYPED_LEN for the real one (fewer or more: a
 * malformed one, the type cut or followed by zeros). */
void bulk_peer_part_typed(int sock, uint64_t total, uint64_t off, uint64_t at, uint64_t len,
                          uint32_t type, size_t plen, int fd);

/* The reply to id on sock (a raw worker's), the helper x pumped
 * meanwhile (within ms): its u32 error, or -1.  No poll(2): a test that
 * sets the fd limit to 0 calls it, and poll refuses any fd under that
 * limit (EINVAL). */
struct hx;
int bulk_peer_reply(struct hx *x, int sock, uint32_t id, int ms);

/* The soft fd limit set to leave room free fd slots (the hard one kept,
 * so that it can be raised back unprivileged).  0; -1. */
int bulk_peer_fd_room(int room);

#endif
