/* SPDX-License-Identifier: ISC */
/*
 * msg.c - the message layer both ends use (msg.h).
 *
 * A record is checked once, in the order docs/PROTOCOL.md lists the
 * checks, into a struct msg that owns the record's fds and its bulk
 * mapping from the moment they arrive: no branch closes an fd by hand,
 * msg_release does, for whatever nobody took.  Every record either end
 * sends is framed by msg_send.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bulk.h"
#include "msg.h"
#include "region.h"
#include "rows.h"

/* ---- receiving ---- */

/* Every field a record's path reads, and nothing more: a message is
 * reset on every record received (the hot path), and the 256-byte detail
 * needs only its first byte. */
static void msg_reset(struct msg *m)
{
	struct privsep_req *q = &m->req;
	memset(&m->hdr, 0, sizeof(m->hdr));
	q->worker = NULL;
	q->client = NULL;
	q->type = 0;
	q->id = 0;
	q->data = NULL;
	q->len = 0;
	for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
		q->fds[i] = -1;
	q->nfds = 0;
	q->bulk = NULL;
	q->bulk_len = 0;
	q->part = PRIVSEP_PART_NONE;
	q->bulk_off = 0;
	q->bulk_total = 0;
	m->bulk_mapped = 0;
	m->feed = NULL;
	m->fed = 0;
	q->reply = (struct privsep_writer){NULL, 0, 0, 0};
	q->reply_nfds = 0;
	q->detail[0] = '\0';
	m->reclen = 0;
	m->nfds_partial = 0;
	m->viol = PRIVSEP_V_NONE;
	m->row = NULL;
	m->idx = 0;
	m->why[0] = '\0';
}

enum chan_status msg_recv(int fd, struct msg *m, uint8_t *buf, size_t cap, int nonblock)
{
	struct chan_msg cm = {.buf = buf, .cap = cap};
	m->buf = buf;
	m->cap = cap;
	msg_reset(m);
	cm.fds = m->req.fds; /* the fds land in the message: it owns them */
	m->st = chan_recv(fd, &cm, nonblock);
	m->reclen = cm.len;
	m->nfds_partial = cm.nfds_partial;
	m->viol = cm.viol;
	m->req.nfds = cm.nfds;
	return m->st;
}

enum chan_status msg_take(int fd, struct msg *m, struct msghdr *mh, size_t n)
{
	struct chan_msg cm = {.buf = mh->msg_iov[0].iov_base, .cap = mh->msg_iov[0].iov_len};
	m->buf = cm.buf;
	m->cap = cm.cap;
	msg_reset(m);
	cm.fds = m->req.fds; /* the fds land in the message: it owns them */
	m->st = chan_take(fd, mh, n, &cm);
	m->reclen = cm.len;
	m->nfds_partial = cm.nfds_partial;
	m->viol = cm.viol;
	m->req.nfds = cm.nfds;
	return m->st;
}

static enum privsep_violation set_viol(struct msg *m, enum privsep_violation v, const char *fmt,
                                       ...) __attribute__((format(printf, 3, 4)));

static enum privsep_violation set_viol(struct msg *m, enum privsep_violation v, const char *fmt,
                                       ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m->why, sizeof(m->why), fmt, ap);
	va_end(ap);
	m->viol = v;
	return v;
}

enum privsep_violation msg_decode(struct msg *m, size_t msg_max)
{
	enum privsep_violation v;
	if (m->st == CHAN_VIOLATION)
		return set_viol(m, m->viol, "record of %zu bytes", m->reclen);
	v = wire_check(m->buf, m->reclen, m->req.nfds, msg_max, &m->hdr);
	if (m->st == CHAN_FDLIMIT)
		v = wire_check_fdlimit(v, m->nfds_partial, &m->hdr);
	if (v != PRIVSEP_V_NONE)
		return set_viol(m, v, "record of %zu bytes with %zu fds", m->reclen, m->req.nfds);
	m->req.type = m->hdr.type;
	m->req.id = m->hdr.id;
	m->req.data = m->buf + PRIVSEP_HDR_LEN;
	m->req.len = m->hdr.len;
	return PRIVSEP_V_NONE;
}

const char *msg_kind_name(unsigned flags)
{
	return (flags & PRIVSEP_H_CALL) ? "call" : "one-way";
}

static const struct privsep_handler *row_of(const struct msg_end *e, uint32_t type, size_t *idx)
{
	size_t lo = 0, hi = e->nrows;
	if (!e->sorted) {
		for (size_t i = 0; i < e->nrows; i++)
			if (e->rows[i].type == type) {
				*idx = i;
				return &e->rows[i];
			}
		return NULL;
	}
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (e->rows[mid].type == type) {
			*idx = mid;
			return &e->rows[mid];
		}
		if (e->rows[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static enum proto_dir row_dir(const struct privsep_handler *r)
{
	return (r->flags & PRIVSEP_H_EVENT) ? PROTO_H2W : PROTO_W2H;
}

/* A type with no row this end runs: wrong-direction or unknown-type. */
static enum msg_verdict no_row(struct msg *m, const struct msg_end *e,
                               const struct privsep_handler *r)
{
	const struct proto_msg *pm = proto_msg_find(m->hdr.type);
	if (r && row_dir(r) != e->from)
		set_viol(m, PRIVSEP_V_WRONG_DIRECTION, "%s is %s: the %s sends it", r->name,
		         (r->flags & PRIVSEP_H_EVENT) ? "an event" : "a request",
		         proto_dir_sender(row_dir(r)));
	else if (!r && pm && pm->dir != e->from)
		set_viol(m, PRIVSEP_V_WRONG_DIRECTION, "%s is sent by the %s only", pm->name,
		         proto_dir_sender(pm->dir));
	else
		set_viol(m, PRIVSEP_V_UNKNOWN_TYPE, "no handler for this type");
	return MSG_VIOLATION;
}

/* A bulk record that names the held region (revision 1.4, helper): it
 * carries no memfd, so its fds are the type's own.  1 or 0. */
unsigned msg_bulk_held(const struct msg *m, const struct privsep_handler *r)
{
	struct privsep_reader rd;
	uint64_t size = 0;
	if (!(r->flags & PRIVSEP_H_BULK) || m->req.len < BULK_FIXED)
		return 0;
	privsep_reader_init(&rd, m->req.data, BULK_FIXED);
	privsep_reader_get_u64(&rd, &size);
	return (size & (REGION_FLAG | REGION_HELD)) == (REGION_FLAG | REGION_HELD);
}

static unsigned held_form(const struct msg *m, const struct msg_end *e,
                          const struct privsep_handler *r)
{
	return e->region ? msg_bulk_held(m, r) : 0;
}

/* The row's own checks (section 8, 16 to 20). */
static enum msg_verdict row_checks(struct msg *m, const struct msg_end *e,
                                   const struct privsep_handler *r)
{
	const struct wire_hdr *h = &m->hdr;
	int permitted = !e->permit || e->permit[m->idx];
	unsigned b = !!(r->flags & PRIVSEP_H_BULK);
	enum row_fit fit = row_fit(r, h->len, h->nfds + held_form(m, e, r));
	enum privsep_violation v = PRIVSEP_V_NONE;

	if (!permitted)
		v = PRIVSEP_V_NOT_PERMITTED;
	else if ((r->flags & PRIVSEP_H_CALL) && h->id == 0)
		v = PRIVSEP_V_CALL_WITHOUT_ID;
	else if (!(r->flags & PRIVSEP_H_CALL) && h->id != 0)
		v = PRIVSEP_V_ID_ON_POST;
	else if (fit == ROW_BAD_SIZE)
		v = PRIVSEP_V_BAD_SIZE;
	else if (fit == ROW_BAD_FDS)
		v = PRIVSEP_V_BAD_FD_COUNT;
	if (v == PRIVSEP_V_NONE)
		return MSG_OK;
	set_viol(m, v, "%s %s allows %u..%u bytes, %u..%u fds%s%s", msg_kind_name(r->flags),
	         r->name, r->min_len + b * BULK_FIXED, r->max_len + b * BULK_FIXED, r->min_fds + b,
	         r->max_fds + b, b ? " (with the bulk size and memfd)" : "",
	         permitted ? "" : ", and is no longer permitted");
	return MSG_VIOLATION;
}

/* The bulk stage: the memfd (the first fd) checked, mapped (a sealed
 * memfd) or copied out (a region, at the helper) and closed; the payload
 * and the fds are then the type's own. */
static enum msg_verdict bulk_stage(struct msg *m, const struct msg_end *e,
                                   const struct privsep_handler *r)
{
	struct privsep_req *q = &m->req;
	struct privsep_reader rd;
	uint64_t size = 0;
	int rc;

	unsigned held = held_form(m, e, r);
	/* the final record of a payload whose parts were fed (revision 1.7) */
	int fed = held && e->region->ptotal && e->region->ptype && !e->region->plost;

	/* the table checks made sure of both; never read past them */
	if (q->len < BULK_FIXED || q->nfds < 1 - held) {
		set_viol(m, PRIVSEP_V_BAD_BULK, "a bulk record without its size or its memfd");
		return MSG_VIOLATION;
	}
	privsep_reader_init(&rd, q->data, BULK_FIXED);
	privsep_reader_get_u64(&rd, &size);
	if (!held && e->region && e->region->ptotal && e->region->ptype == r->type) {
		/* its handler is being fed that payload: this one is no part of it */
		snprintf(m->why, sizeof(m->why),
		         "a bulk record of type 0x%x in its own memfd while a payload of that type "
		         "in parts waits for its final record",
		         r->type);
		rc = 1;
	} else if (held) {
		rc = region_rx_held_of(e->region, e->rcopy, size & REGION_LEN_MASK, r->bulk_max,
		                       r->type, &q->bulk, m->why, sizeof(m->why));
	} else if (!(size & REGION_FLAG)) {
		rc = bulk_map(q->fds[0], size, r->bulk_max, &q->bulk, m->why, sizeof(m->why));
		m->bulk_mapped = rc == 0;
	} else if (e->region && e->rcopy) {
		size &= ~REGION_FLAG;
		rc = region_rx_take(e->region, e->rcopy, q->fds[0], size, r->bulk_max, &q->bulk,
		                    m->why, sizeof(m->why));
	} else {
		snprintf(m->why, sizeof(m->why), "a bulk region comes from a worker only");
		rc = 1;
	}
	if (rc > 0) {
		m->viol = PRIVSEP_V_BAD_BULK;
		return MSG_VIOLATION;
	}
	if (rc < 0)
		return MSG_UNMAPPED;
	if (!held) {
		chan_close_fds(q->fds, 1);
		memmove(q->fds, q->fds + 1, (PRIVSEP_MAX_FDS - 1) * sizeof(int));
		q->fds[PRIVSEP_MAX_FDS - 1] = -1;
		q->nfds--;
	}
	size &= REGION_LEN_MASK;
	q->bulk_len = (size_t)size;
	q->data += BULK_FIXED;
	q->len -= BULK_FIXED;
	m->fed = fed;
	if (r->flags & PRIVSEP_H_PARTS)
		q->bulk_total = size;
	return MSG_OK;
}

/* The largest bulk_max of the bulk types this sender may still send (0:
 * none is permitted, or the table has none). */
static uint64_t bulk_max_permitted(const struct msg_end *e)
{
	uint64_t most = 0;
	for (size_t i = 0; i < e->nrows; i++) {
		const struct privsep_handler *r = &e->rows[i];
		if ((r->flags & PRIVSEP_H_BULK) && row_dir(r) == e->from &&
		    (!e->permit || e->permit[i]) && r->bulk_max > most)
			most = r->bulk_max;
	}
	return most;
}

/* A REGION_PART that names its type (revision 1.7): a bulk type taken
 * part by part that this worker sends and may still send; its row is
 * m->feed, and *most its bulk_max.  MSG_OK or MSG_VIOLATION. */
static enum msg_verdict feed_row(struct msg *m, const struct msg_end *e, uint32_t type,
                                 uint64_t *most)
{
	size_t idx = 0;
	const struct privsep_handler *r = row_of(e, type, &idx);
	if (!r || row_dir(r) != e->from || !(r->flags & PRIVSEP_H_BULK) ||
	    !(r->flags & PRIVSEP_H_PARTS)) {
		set_viol(m, PRIVSEP_V_BAD_BULK,
		         "a part names type 0x%x%s%s%s, which is not a bulk type the helper takes "
		         "part by part (PRIVSEP_H_PARTS)",
		         type, r ? " (" : "", r ? r->name : "", r ? ")" : "");
		return MSG_VIOLATION;
	}
	if (e->permit && !e->permit[idx]) {
		set_viol(m, PRIVSEP_V_NOT_PERMITTED,
		         "a part of a payload of %s, which is no longer permitted", r->name);
		return MSG_VIOLATION;
	}
	m->feed = r;
	*most = r->bulk_max;
	return MSG_OK;
}

/* A REGION_PART (revision 1.4, helper): the part copied out of the
 * region (the fd it brings, if any, mapped as the region and closed); its
 * handler has nothing left to do.  A part stands for a bulk payload: a
 * sender that may send none (PERMIT_DROP of every bulk type) sends no
 * part, and a payload is at most the largest bulk_max it may still send. */
static enum msg_verdict part_stage(struct msg *m, const struct msg_end *e)
{
	struct privsep_req *q = &m->req;
	struct privsep_reader rd;
	uint64_t total = 0, off = 0, at = 0, len = 0, most;
	uint32_t type = 0;
	const void *fed = NULL;
	int rc;

	if (!e->region || !e->rcopy) {
		set_viol(m, PRIVSEP_V_BAD_BULK, "a part of a bulk region comes from a worker only");
		return MSG_VIOLATION;
	}
	most = bulk_max_permitted(e);
	if (!most) {
		set_viol(m, PRIVSEP_V_NOT_PERMITTED,
		         "a part of a bulk payload, and no bulk type is permitted (all dropped)");
		return MSG_VIOLATION;
	}
	privsep_reader_init(&rd, q->data, q->len);
	privsep_reader_get_u64(&rd, &total);
	privsep_reader_get_u64(&rd, &off);
	privsep_reader_get_u64(&rd, &at);
	privsep_reader_get_u64(&rd, &len);
	if (q->len == REGION_PART_TYPED_LEN)
		privsep_reader_get_u32(&rd, &type);
	if (privsep_reader_end(&rd) < 0 ||
	    (q->len != REGION_PART_LEN && q->len != REGION_PART_TYPED_LEN)) {
		set_viol(m, PRIVSEP_V_BAD_SIZE,
		         "a part is u64 total, off, at and len (32 bytes), then u32 type (36)");
		return MSG_VIOLATION;
	}
	if (q->len == REGION_PART_TYPED_LEN) {
		if (feed_row(m, e, type, &most) != MSG_OK)
			return MSG_VIOLATION;
	}
	if (m->feed && (total == 0 || total > most)) {
		set_viol(m, PRIVSEP_V_BAD_BULK,
		         "a payload in parts of %llu bytes of %s: 1 to its bulk limit, %llu",
		         (unsigned long long)total, m->feed->name, (unsigned long long)most);
		return MSG_VIOLATION;
	}
	if (total > most) {
		set_viol(m, PRIVSEP_V_BAD_BULK,
		         "a payload in parts of %llu bytes: 1 to the largest bulk limit of the "
		         "permitted bulk types, %llu",
		         (unsigned long long)total, (unsigned long long)most);
		return MSG_VIOLATION;
	}
	rc = region_rx_part_of(e->region, e->rcopy, q->nfds ? q->fds[0] : -1, total, off, at, len,
	                       type, &fed, m->why, sizeof(m->why));
	if (rc > 0) {
		m->viol = PRIVSEP_V_BAD_BULK;
		return MSG_VIOLATION;
	}
	if (rc < 0)
		return MSG_UNMAPPED;
	chan_close_fds(q->fds, q->nfds);
	q->nfds = 0;
	if (type) {
		/* the part, for the type's handler, copied out piece by piece
		 * (region_rx_piece; NULL: its payload is lost) */
		q->bulk = fed;
		q->bulk_off = off;
		q->bulk_total = total;
	}
	return MSG_OK;
}

enum msg_verdict msg_check(struct msg *m, const struct msg_end *e)
{
	const struct privsep_handler *r;
	size_t idx = 0;

	if (e->from == PROTO_H2W && m->hdr.type == PRIVSEP_T_REPLY) {
		if (!e->call_open || !e->call_open(e->call_arg, m->hdr.id)) {
			set_viol(m, PRIVSEP_V_UNKNOWN_ID, "no call in progress has this id");
			return MSG_VIOLATION;
		}
		if (m->hdr.len < PROTO_REPLY_FIXED) {
			set_viol(m, PRIVSEP_V_BAD_SIZE, "a reply has at least %u bytes",
			         PROTO_REPLY_FIXED);
			return MSG_VIOLATION;
		}
		return m->st == CHAN_FDLIMIT ? MSG_FDLIMIT : MSG_OK;
	}
	r = row_of(e, m->hdr.type, &idx);
	if (!r || row_dir(r) != e->from || !r->fn)
		return no_row(m, e, r);
	m->row = r;
	m->idx = idx;
	if (row_checks(m, e, r) != MSG_OK)
		return MSG_VIOLATION;
	if (m->st == CHAN_FDLIMIT)
		return MSG_FDLIMIT;
	if (e->permit && (r->flags & PRIVSEP_H_ONCE))
		e->permit[idx] = 0;
	if (r->flags & PRIVSEP_H_BULK)
		return bulk_stage(m, e, r);
	if (r->type == PRIVSEP_T_REGION_PART)
		return part_stage(m, e);
	return MSG_OK;
}

/* ---- a BATCH ---- */

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum privsep_violation msg_batch_begin(struct msg *m, struct msg_batch *b)
{
	size_t n = 0;
	b->p = m->req.data;
	b->left = m->req.len;
	b->n = 0;
	b->row = NULL;
	b->idx = 0;
	for (const uint8_t *p = m->req.data, *end = p + m->req.len; p < end;) {
		uint32_t type, len;
		n++;
		if ((size_t)(end - p) < PROTO_BATCH_ENTRY)
			return set_viol(m, PRIVSEP_V_BAD_BATCH,
			                "entry %zu: its header runs past the end of the batch", n);
		type = le32_at(p);
		len = le32_at(p + 4);
		p += PROTO_BATCH_ENTRY;
		if ((size_t)(end - p) < len)
			return set_viol(
			    m, PRIVSEP_V_BAD_BATCH,
			    "entry %zu (type 0x%x): len %u runs past the end of the batch", n, type,
			    len);
		p += len;
	}
	if (!n)
		return set_viol(m, PRIVSEP_V_BAD_BATCH, "a batch with no entry");
	return PRIVSEP_V_NONE;
}

int msg_batch_next(struct msg_batch *b, const struct msg_end *e, struct msg *sub)
{
	const struct privsep_handler *row;
	uint32_t type, len;
	size_t idx = 0;

	if (b->left < PROTO_BATCH_ENTRY)
		return 0; /* msg_batch_begin checked the framing */
	type = le32_at(b->p);
	len = le32_at(b->p + 4);
	if (b->n++ == 0) {
		/* what no entry changes: set once */
		sub->st = CHAN_RECORD;
		sub->nfds_partial = 0;
		sub->bulk_mapped = 0;
		sub->req.client = NULL;
		sub->req.id = 0;
		for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
			sub->req.fds[i] = -1;
		sub->req.nfds = 0;
		sub->req.bulk = NULL;
		sub->req.bulk_len = 0;
		sub->req.part = PRIVSEP_PART_NONE;
		sub->req.bulk_off = 0;
		sub->req.bulk_total = 0;
		sub->feed = NULL;
		sub->fed = 0;
		sub->req.reply_nfds = 0;
	}
	/* the entry as a record of its own: id 0, no fds */
	sub->reclen = PRIVSEP_HDR_LEN + len;
	sub->viol = PRIVSEP_V_NONE;
	sub->why[0] = '\0';
	sub->hdr = (struct wire_hdr){PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, type, 0, len};
	sub->req.worker = NULL;
	sub->req.type = type;
	sub->req.data = b->p + PROTO_BATCH_ENTRY;
	sub->req.len = len;
	sub->req.detail[0] = '\0';
	b->p += PROTO_BATCH_ENTRY + len;
	b->left -= PROTO_BATCH_ENTRY + len;

	if (b->row && b->row->type == type) {
		/* the same row as the entry before: found, and admitted in a
		 * batch; its permit and bounds are checked again */
		row = b->row;
		idx = b->idx;
	} else {
		sub->row = NULL;
		if (type < PRIVSEP_TYPE_APP_MIN) {
			set_viol(
			    sub, PRIVSEP_V_BAD_BATCH,
			    "entry %zu: type 0x%x is the framework's: a batch carries application types only",
			    b->n, type);
			return -1;
		}
		row = row_of(e, type, &idx);
		if (!row || row_dir(row) != e->from || !row->fn) {
			no_row(sub, e, row);
			return -1;
		}
		sub->row = row;
		if ((row->flags & PRIVSEP_H_BULK) || row->min_fds > 0) {
			set_viol(sub, PRIVSEP_V_BAD_BATCH,
			         "entry %zu: %s %s needs %s, which a batch cannot carry", b->n,
			         msg_kind_name(row->flags), row->name,
			         (row->flags & PRIVSEP_H_BULK) ? "a bulk memfd" : "fds");
			return -1;
		}
		b->row = row;
		b->idx = idx;
	}
	sub->row = row;
	sub->idx = idx;
	/* the common case, in a few comparisons; else the full checks name
	 * the violation */
	if (!(e->permit && !e->permit[idx]) && !(row->flags & PRIVSEP_H_CALL) &&
	    len >= row->min_len && len <= row->max_len && !(row->flags & PRIVSEP_H_ONCE))
		return 1;
	if (row_checks(sub, e, row) != MSG_OK)
		return -1;
	if (e->permit && (row->flags & PRIVSEP_H_ONCE))
		e->permit[idx] = 0;
	return 1;
}

enum privsep_violation msg_reply(const struct msg *m, uint32_t *error, const char **detail,
                                 size_t *dlen, const void **body, size_t *blen)
{
	struct privsep_reader r;
	/* msg_check made sure of the error's 4 bytes */
	*error = wire_get_u32(m->req.data);
	*detail = NULL;
	*dlen = 0;
	if (*error == 0) {
		*body = m->req.data + PROTO_REPLY_FIXED;
		*blen = m->req.len - PROTO_REPLY_FIXED;
		return PRIVSEP_V_NONE;
	}
	*body = NULL;
	*blen = 0;
	privsep_reader_init(&r, m->req.data + PROTO_REPLY_FIXED, m->req.len - PROTO_REPLY_FIXED);
	if (*error > 4095 || m->hdr.nfds != 0 || privsep_reader_get_str(&r, detail, dlen) < 0 ||
	    privsep_reader_end(&r) < 0 || *dlen >= PRIVSEP_DETAIL_MAX)
		return PRIVSEP_V_BAD_REPLY;
	return PRIVSEP_V_NONE;
}

void msg_release(struct msg *m)
{
	struct privsep_req *q = &m->req;
	/* fds[nfds..] are -1 always (the bulk stage moves the rest down) */
	if (q->nfds)
		chan_close_fds(q->fds, q->nfds);
	q->nfds = 0;
	if (q->reply_nfds)
		chan_close_fds(q->reply_fds, q->reply_nfds);
	q->reply_nfds = 0;
	if (m->bulk_mapped)
		bulk_unmap(q->bulk, q->bulk_len);
	m->bulk_mapped = 0;
	q->bulk = NULL;
	q->bulk_len = 0;
}

/* ---- sending ---- */

/* A payload up to this size is copied after its header, so that the
 * record leaves as one piece with send(2): no msghdr and no iovec array
 * for the kernel to import and walk, cheaper than the copy (issue 17).
 * Measured: 256 bytes at first; up to the default record limit (4 KiB),
 * 4 KiB posts went 6 to 10 % faster, and the copy stays in the cache
 * (bench/README.md, "Throughput"). */
#define MSG_SMALL 4096u

enum msg_sent msg_send(int sock, struct outq *q, const struct msg_out *o, unsigned flags)
{
	uint8_t pre[PRIVSEP_HDR_LEN + BULK_FIXED + MSG_SMALL];
	const uint8_t *head = pre;
	const void *data = o->data;
	size_t dlen = o->len;
	int all[PRIVSEP_MAX_FDS];
	size_t hlen = PRIVSEP_HDR_LEN, n = 0, own;

	if (!q && !o->nfds && o->bulkfd == -1 && !o->frame && o->len <= MSG_SMALL) {
		/* a record with no fd and no bulk that is not queued (a post,
		 * a call): framed and sent in one piece with nothing else to
		 * lay out (issue 17: the sender's own instructions) */
		wire_put_hdr(pre, &(struct wire_hdr){PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0,
		                                     o->type, o->id, (uint32_t)o->len});
		if (o->len)
			memcpy(pre + PRIVSEP_HDR_LEN, o->data, o->len);
		return chan_send(sock, pre, PRIVSEP_HDR_LEN + o->len, NULL, 0, NULL, 0, 0) == 0
		           ? MSG_SENT
		           : MSG_BROKEN;
	}
	if (o->nfds + (o->bulkfd >= 0) > PRIVSEP_MAX_FDS || o->len > UINT32_MAX - BULK_FIXED) {
		if (o->bulkfd >= 0 && !(flags & MSG_SEND_BORROW_BULK))
			chan_close_fds((int[]){o->bulkfd}, 1);
		errno = EINVAL;
		return MSG_REFUSED;
	}
	if (o->bulkfd >= 0 || o->bulkfd == MSG_BULK_NOFD) {
		struct privsep_writer bw;
		if (o->bulkfd >= 0)
			all[n++] = o->bulkfd;
		privsep_writer_init(&bw, pre + PRIVSEP_HDR_LEN, BULK_FIXED);
		privsep_writer_put_u64(&bw, o->bulk_len);
		hlen += BULK_FIXED;
	}
	own = (flags & MSG_SEND_BORROW_BULK) ? 0 : n;
	for (size_t i = 0; i < o->nfds; i++)
		all[n++] = o->fds[i];
	{
		struct wire_hdr hdr = {PRIVSEP_WIRE_MAGIC,
		                       PRIVSEP_WIRE_VERSION,
		                       (uint8_t)n,
		                       o->type,
		                       o->id,
		                       (uint32_t)(hlen - PRIVSEP_HDR_LEN + o->len)};
		if (o->frame && hlen == PRIVSEP_HDR_LEN) {
			/* in place, before the payload: one piece */
			wire_put_hdr(o->frame, &hdr);
			head = o->frame;
			hlen += o->len;
			data = NULL;
			dlen = 0;
		} else {
			wire_put_hdr(pre, &hdr);
			if (dlen <= MSG_SMALL) {
				if (dlen)
					memcpy(pre + hlen, data, dlen);
				hlen += dlen;
				data = NULL;
				dlen = 0;
			}
		}
	}
	if (!q) {
		int rc = chan_send(sock, head, hlen, data, dlen, all, n, 0);
		if (own)
			chan_close_fds(all, own);
		return rc == 0 ? MSG_SENT : MSG_BROKEN;
	}
	if (!(flags & MSG_SEND_HOLD) && (!q->n || (flags & MSG_SEND_FIRST))) {
		if (chan_send(sock, head, hlen, data, dlen, all, n, 1) == 0) {
			if (own)
				chan_close_fds(all, own);
			return MSG_SENT;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			if (own)
				chan_close_fds(all, own);
			return MSG_BROKEN;
		}
	}
	/* queued: the sender keeps its fds, the queue owns copies */
	for (size_t i = own; i < n; i++)
		if ((all[i] = fcntl(all[i], F_DUPFD_CLOEXEC, 0)) < 0) {
			int saved = errno;
			chan_close_fds(all, i);
			errno = saved;
			return MSG_REFUSED;
		}
	if (outq_push(q, head, hlen, data, dlen, all, n, !!(flags & MSG_SEND_REPLY)) < 0)
		return MSG_REFUSED;
	return MSG_QUEUED;
}

/* READY's reply may have id 1 only. */
static int ready_id(void *arg, uint32_t id)
{
	(void)arg;
	return id == 1;
}

int msg_ready(int fd, size_t msg_max)
{
	uint8_t rb[PRIVSEP_HDR_LEN + 8 + PRIVSEP_DETAIL_MAX];
	struct msg_out o = {PRIVSEP_T_READY, 1, NULL, 0, NULL, 0, -1, 0, NULL};
	struct msg m;
	struct msg_end e = {msg_max, PROTO_H2W, NULL, 0, 0, NULL, ready_id, NULL, NULL, NULL};
	uint32_t error = 1;
	const char *detail;
	const void *body;
	size_t dlen, blen = 1;
	int ok;

	enum chan_status st;

	if (msg_send(fd, NULL, &o, 0) != MSG_SENT)
		return -1;
	st = msg_recv(fd, &m, rb, sizeof(rb), 0);
	if (st != CHAN_RECORD) {
		/* errno says why: the helper closed the channel (EPIPE), the
		 * socket's error, or an answer that is no record (EPROTO) */
		if (st != CHAN_ERROR)
			errno = st == CHAN_EOF ? EPIPE : EPROTO;
		return -1;
	}
	ok = msg_decode(&m, msg_max) == PRIVSEP_V_NONE && m.hdr.type == PRIVSEP_T_REPLY &&
	     msg_check(&m, &e) == MSG_OK &&
	     msg_reply(&m, &error, &detail, &dlen, &body, &blen) == PRIVSEP_V_NONE;
	msg_release(&m);
	if (!ok || blen != 0 || m.hdr.nfds != 0) {
		errno = EPROTO;
		return -1;
	}
	if (error != 0) {
		/* the helper refused: its check found a step not in force */
		errno = error < 4096 ? (int)error : EPROTO;
		return -1;
	}
	return 0;
}
