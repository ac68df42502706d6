/* SPDX-License-Identifier: ISC */
/*
 * parts.c - a PRIVSEP_H_PARTS type's handler fed its bulk payload part by
 * part (docs/PROTOCOL.md, section 5, "Revision 1.7"; privsep_req_part(3)).
 *
 * Each part is the helper's own copy (region.c copied it out of the
 * worker's region into a buffer that stays in the caches), handed to the
 * handler at once; the message itself follows when its final record
 * comes.  What a handler fed a part can rely on: it is called once more
 * for that payload, with PRIVSEP_PART_END or PRIVSEP_PART_ABANDON, unless
 * it returned nonzero for a part (it is then called no more for it).  So
 * it never keeps half a payload's state after the payload can no longer
 * end.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "helper_int.h"
#include "msg.h"

/* One call of row's handler for len bytes at off of a payload of total
 * (req->part what), with none of the message's own: its id, payload and
 * fds come with PRIVSEP_PART_END only.  What the handler returned; its
 * detail in detail when nonzero. */
static int part_call(struct privsep_worker *w, const struct privsep_handler *row, unsigned what,
                     const void *bytes, size_t len, uint64_t off, uint64_t total, char *detail)
{
	struct privsep_req q;
	int rc;

	q.worker = w;
	q.client = NULL;
	q.type = row->type;
	q.id = 0;
	q.data = NULL;
	q.len = 0;
	for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
		q.fds[i] = -1;
	q.nfds = 0;
	q.bulk = bytes;
	q.bulk_len = len;
	q.reply = (struct privsep_writer){NULL, 0, 0, 0}; /* no reply to a part */
	q.reply_nfds = 0;
	q.detail[0] = '\0';
	q.part = what;
	q.bulk_off = off;
	q.bulk_total = total;
	w->feed.busy = 1;
	rc = row->fn(&q, row->arg);
	w->feed.busy = 0;
	/* a part has no reply: what the handler attached to one is closed */
	for (size_t i = 0; i < q.reply_nfds; i++)
		close(q.reply_fds[i]);
	if (rc && detail)
		memcpy(detail, q.detail, sizeof(q.detail));
	return rc;
}

/* row's handler told its payload of total bytes will not end. */
static void abandon(struct privsep_worker *w, const struct privsep_handler *row, uint64_t total)
{
	log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_DEBUG,
	         "worker \"%s\" pid %d: %s: a payload of %llu bytes fed part by part is abandoned",
	         w->name, (int)w->pid, row->name, (unsigned long long)total);
	(void)part_call(w, row, PRIVSEP_PART_ABANDON, NULL, 0, 0, total, NULL);
}

void parts_abandon(struct privsep_worker *w)
{
	struct worker_feed *f = &w->feed;
	const struct privsep_handler *row = f->row;
	/* in a part call: told when it returns (parts_feed, parts_serve) */
	if (!row || f->busy)
		return;
	f->row = NULL;
	if (f->err) {
		f->err = 0; /* it refused a part: called no more for that payload */
		return;
	}
	abandon(w, row, f->total);
}

int parts_feed(struct privsep_worker *w, const struct msg *m, char *detail)
{
	struct worker_feed *f = &w->feed;
	struct region_rx *rx = &w->region;
	const void *p;
	size_t n;
	uint64_t off;
	int rc;

	if (!m->req.bulk) {
		/* this payload is lost (an earlier part dropped at the fd
		 * limit, or a buffer not made): it will never end */
		parts_abandon(w);
		return 0;
	}
	if (f->row && f->err) {
		region_rx_pieces_drop(rx); /* refused: the rest is not fed */
		return 0;
	}
	f->row = m->feed;
	f->total = m->req.bulk_total;
	/* a part larger than a piece (a client that fell behind sends the
	 * rest of its payload as one part) is fed a piece at a time, each
	 * copied out into the same small buffer, read from the caches */
	while (region_rx_piece(rx, &p, &n, &off)) {
		rc = part_call(w, m->feed, PRIVSEP_PART_BYTES, p, n, off, f->total, detail);
		if (rc == PRIVSEP_VIOLATION) {
			f->row = NULL; /* the handler said so: the worker is killed */
			region_rx_pieces_drop(rx);
			return rc;
		}
		if (rc) {
			f->err = rc;
			memcpy(f->detail, detail, sizeof(f->detail));
			region_rx_pieces_drop(rx);
			return 0;
		}
		if (w->chan < 0) {
			/* the worker was killed during the call */
			region_rx_pieces_drop(rx);
			parts_abandon(w);
			return 0;
		}
	}
	if (rx->perr)
		parts_abandon(w); /* a piece's copy failed: the payload is lost */
	return 0;
}

int parts_serve(struct privsep_worker *w, struct msg *m)
{
	struct worker_feed *f = &w->feed;
	const struct privsep_handler *row = m->row;
	struct privsep_req *req = &m->req;

	if (m->fed) {
		/* the final record of a payload whose parts were fed */
		int err = f->row ? f->err : 0;
		f->row = NULL;
		f->err = 0;
		if (err) {
			memcpy(req->detail, f->detail, sizeof(req->detail));
			return err;
		}
	} else if (req->bulk_len) {
		/* a payload that came whole: one part, the helper's copy or a
		 * sealed memfd's mapping.  It may come in the middle of
		 * another part-by-part type's payload (a sealed memfd: msg.c
		 * refuses one of the fed type), whose state (f) it leaves
		 * alone: that handler still ends its payload once, and is fed
		 * nothing after a part it refused */
		int rc = part_call(w, row, PRIVSEP_PART_BYTES, req->bulk, req->bulk_len, 0,
		                   req->bulk_len, req->detail);
		if (rc)
			return rc;
		if (w->chan < 0) {
			/* the worker was killed during the call: this payload
			 * and the one fed before, if any, will not end */
			abandon(w, row, req->bulk_len);
			parts_abandon(w);
			return EPIPE;
		}
	}
	req->part = PRIVSEP_PART_END;
	req->bulk = NULL;
	req->bulk_len = 0;
	req->bulk_off = 0;
	return row->fn(req, row->arg);
}
