/* SPDX-License-Identifier: ISC */
/*
 * rows.c - a handler table's rows, as both ends read them (rows.h).
 */
#include <errno.h>
#include <stdio.h>

#include "bulk.h"
#include "rows.h"

int row_valid(const struct privsep_handler *r, size_t payload_max)
{
	unsigned kind = r->flags & (PRIVSEP_H_CALL | PRIVSEP_H_POST | PRIVSEP_H_EVENT);
	int bulk = !!(r->flags & PRIVSEP_H_BULK);
	if (r->type < PRIVSEP_TYPE_APP_MIN || !r->name || (!r->fn && kind != PRIVSEP_H_EVENT))
		return 0;
	if (r->flags & ~(PRIVSEP_H_CALL | PRIVSEP_H_POST | PRIVSEP_H_EVENT | PRIVSEP_H_ONCE |
	                 PRIVSEP_H_BULK | PRIVSEP_H_PARTS))
		return 0;
	/* part by part: a bulk the helper receives */
	if ((r->flags & PRIVSEP_H_PARTS) && (!bulk || kind == PRIVSEP_H_EVENT))
		return 0;
	if (kind != PRIVSEP_H_CALL && kind != PRIVSEP_H_POST && kind != PRIVSEP_H_EVENT)
		return 0;
	if (kind == PRIVSEP_H_EVENT && (r->flags & PRIVSEP_H_ONCE))
		return 0;
	if (r->min_len > r->max_len || (uint64_t)r->max_len + (bulk ? BULK_FIXED : 0) > payload_max)
		return 0;
	if (r->min_fds > r->max_fds || r->max_fds + (unsigned)bulk > PRIVSEP_MAX_FDS)
		return 0;
	/* a bulk limit only with PRIVSEP_H_BULK, and a bulk type that could
	 * carry nothing but empty bulks is a row that forgot its limit */
	if (!bulk != !r->bulk_max)
		return 0;
	return 1;
}

const struct privsep_handler *table_row_find(const struct privsep_handler *table, size_t n,
                                             uint32_t type)
{
	for (size_t i = 0; i < n; i++)
		if (table[i].type == type)
			return &table[i];
	return NULL;
}

static const char *kind_name(unsigned flags)
{
	if (flags & PRIVSEP_H_CALL)
		return "a call";
	if (flags & PRIVSEP_H_POST)
		return "a post";
	return "an event";
}

int row_admits(const struct privsep_handler *r, unsigned kind, size_t len, size_t nfds,
               int has_bulk, size_t bulk_len, char *why, size_t whylen)
{
	unsigned rk = r->flags & (PRIVSEP_H_CALL | PRIVSEP_H_POST | PRIVSEP_H_EVENT);
	/* the bounds as the receiver will check them, with the bulk's size
	 * and memfd the row says the record carries */
	size_t rb = !!(r->flags & PRIVSEP_H_BULK);
	enum row_fit fit = len > UINT32_MAX || nfds > PRIVSEP_MAX_FDS
	                       ? (len > UINT32_MAX ? ROW_BAD_SIZE : ROW_BAD_FDS)
	                       : row_fit(r, len + rb * BULK_FIXED, nfds + rb);
	if (rk != kind)
		snprintf(why, whylen, "type 0x%x (%s) is %s, not %s", (unsigned)r->type, r->name,
		         kind_name(rk), kind_name(kind));
	else if (fit == ROW_BAD_SIZE)
		snprintf(
		    why, whylen, "type 0x%x (%s): a payload of %zu bytes, the row takes %u..%u",
		    (unsigned)r->type, r->name, len, (unsigned)r->min_len, (unsigned)r->max_len);
	else if (fit == ROW_BAD_FDS)
		snprintf(why, whylen, "type 0x%x (%s): %zu fds, the row takes %u..%u",
		         (unsigned)r->type, r->name, nfds, (unsigned)r->min_fds,
		         (unsigned)r->max_fds);
	else if (has_bulk && !(r->flags & PRIVSEP_H_BULK))
		snprintf(why, whylen, "type 0x%x (%s): a bulk payload, and the row takes none",
		         (unsigned)r->type, r->name);
	else if (!has_bulk && (r->flags & PRIVSEP_H_BULK))
		snprintf(why, whylen, "type 0x%x (%s): no bulk payload, and the row needs one",
		         (unsigned)r->type, r->name);
	else if (has_bulk && bulk_len > r->bulk_max) {
		snprintf(why, whylen,
		         "type 0x%x (%s): a bulk payload of %zu bytes, the row takes %llu",
		         (unsigned)r->type, r->name, bulk_len, (unsigned long long)r->bulk_max);
		errno = EMSGSIZE;
		return -1;
	} else
		return 0;
	errno = EINVAL;
	return -1;
}
