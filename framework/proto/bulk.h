/* SPDX-License-Identifier: ISC */
/*
 * bulk.h - internal: bulk payloads in sealed memfds (docs/PROTOCOL.md,
 * "Bulk payloads").  No socket I/O and no message types: the sender makes
 * the memfd, the receiver checks and maps it.
 */
#ifndef PRIVSEP_BULK_H
#define PRIVSEP_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

/* A bulk message's own field: u64 size, before the type's payload. */
#define BULK_FIXED 8u

/* Every seal a bulk memfd must carry. */
#define BULK_SEALS (F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)

/* A memfd (MFD_CLOEXEC | MFD_ALLOW_SEALING) holding len bytes of data,
 * written and then sealed with BULK_SEALS.  The fd, or -1 with errno. */
int bulk_make(const void *data, size_t len);

/* Check that fd is a memfd with every seal of BULK_SEALS whose size is
 * exactly size, size <= max, and map it read-only: *p, size bytes (size
 * 0: a valid empty pointer, nothing mapped).  Returns 0; 1 when the
 * sender broke the seal rule (why says how); -1 with errno when the
 * receiver could not map a valid one (why says so). */
int bulk_map(int fd, uint64_t size, uint64_t max, const void **p, char *why, size_t whylen);

/* Unmap what bulk_map mapped. */
void bulk_unmap(const void *p, uint64_t size);

#endif
