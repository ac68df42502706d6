/* SPDX-License-Identifier: ISC */
/*
 * rows.h - internal: a handler table's rows, as both ends read them.
 *
 * One place says what a row may be (the helper refuses a table with a bad
 * row, and so does the worker's client) and whether a record fits its row
 * (the client checks what it is asked to send against its own table, so a
 * program bug is EINVAL at the caller, never a violation at the helper).
 * Knows no helper and no client.
 */
#ifndef PRIVSEP_ROWS_H
#define PRIVSEP_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "bulk.h"
#include "privsep.h"

/* 1 if r is a valid application row for records of at most payload_max
 * payload bytes; 0 if not. */
int row_valid(const struct privsep_handler *r, size_t payload_max);

/* The row of type in table[0..n), or NULL. */
const struct privsep_handler *table_row_find(const struct privsep_handler *table, size_t n,
                                             uint32_t type);

/* Which bound of row r a record breaks, in the order the receiver
 * checks them: len and nfds are the record's (with a bulk row's u64 size
 * and memfd). */
enum row_fit { ROW_FITS, ROW_BAD_SIZE, ROW_BAD_FDS };
static inline enum row_fit row_fit(const struct privsep_handler *r, size_t len, size_t nfds)
{
	uint64_t bulk = !!(r->flags & PRIVSEP_H_BULK);
	if ((uint64_t)len < r->min_len + bulk * BULK_FIXED ||
	    (uint64_t)len > r->max_len + bulk * BULK_FIXED)
		return ROW_BAD_SIZE;
	if ((uint64_t)nfds < r->min_fds + bulk || (uint64_t)nfds > r->max_fds + bulk)
		return ROW_BAD_FDS;
	return ROW_FITS;
}

/* 0 if a record of kind (PRIVSEP_H_CALL or PRIVSEP_H_POST) with len payload
 * bytes, nfds fds and a bulk payload of bulk_len bytes (has_bulk 0: none)
 * is what row r admits; -1 with the rule it breaks in why otherwise, and
 * errno EINVAL (EMSGSIZE for a bulk payload over the row's bulk_max). */
int row_admits(const struct privsep_handler *r, unsigned kind, size_t len, size_t nfds,
               int has_bulk, size_t bulk_len, char *why, size_t whylen);

#endif
