/* SPDX-License-Identifier: ISC */
/*
 * wire.h - internal: a record's header, encoded and checked (wire.c).  No
 * I/O.  docs/PROTOCOL.md, "Header" and "Checks", is what it implements.
 * Not installed: daemons never see a header; tests and the benchmark
 * include it from the tree.
 */
#ifndef PRIVSEP_WIRE_H
#define PRIVSEP_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

#define PRIVSEP_WIRE_MAGIC 0x5053u /* "PS" little-endian on the wire */
#define PRIVSEP_WIRE_VERSION 1u

/* The header (docs/PROTOCOL.md, "Header"). */
struct wire_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t nfds;
	uint32_t type;
	uint32_t id;
	uint32_t len; /* payload bytes after the header */
};

/* Write hdr into out[PRIVSEP_HDR_LEN].  Cannot fail. */
void wire_put_hdr(uint8_t *out, const struct wire_hdr *hdr);

/* A little-endian u32 at p, for the hot paths that read one fixed field
 * whose room was checked (a reply's error). */
static inline uint32_t wire_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Decode and check the header of one whole record of reclen bytes that
 * arrived with nfds_received fds, against a record size limit of
 * msg_max.  Returns PRIVSEP_V_NONE and fills *hdr, or the first
 * violation found, in the order the spec lists the checks. */
enum privsep_violation wire_check(const uint8_t *rec, size_t reclen, size_t nfds_received,
                                  size_t msg_max, struct wire_hdr *hdr);

/* For a record whose fds could not all be installed here (the receiver's
 * fd limit): v is wire_check's verdict, made with the fds that
 * remained (none); installed is how many the kernel installed before the
 * limit stopped it (at least one more was sent; how many more is never
 * known).  installed < hdr->nfds excuses the count; nfds 0, or installed
 * >= nfds (so more were sent than declared), remains
 * PRIVSEP_V_NFDS_MISMATCH. */
enum privsep_violation wire_check_fdlimit(enum privsep_violation v, size_t installed,
                                          const struct wire_hdr *hdr);

#endif
