/* SPDX-License-Identifier: ISC */
/*
 * msg.h - internal: the message layer both ends use.
 *
 * Receiving: a record is received (msg_recv), its header decoded
 * (msg_decode) and checked against the receiver's table (msg_check), in
 * the order of docs/PROTOCOL.md, section 8, into one struct msg that owns
 * the record's fds and its bulk mapping; msg_release closes and unmaps
 * whatever nobody took, in one place, whatever happened before.
 *
 * Sending: msg_send frames every record either end sends (calls, posts,
 * replies, events, the start-up records) and sends it now or queues it.
 *
 * Knows the protocol's tables and a table's rows; no helper, no client.
 */
#ifndef PRIVSEP_MSG_H
#define PRIVSEP_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "chan.h"
#include "outq.h"
#include "privsep.h"
#include "proto.h"
#include "region.h"
#include "wire.h"

/* What msg_check found. */
enum msg_verdict {
	MSG_OK,        /* every check passed: the handler may run */
	MSG_VIOLATION, /* m->viol, and m->why says how */
	MSG_FDLIMIT,   /* passed the table checks, but its fds could not all be
	                  received here (section 8, "Fd-limit case") */
	MSG_UNMAPPED,  /* a valid bulk this end could not map: errno, m->why */
};

/* One received record. */
struct msg {
	uint8_t *buf; /* the receive buffer (borrowed), cap bytes */
	size_t cap;
	size_t reclen;       /* bytes received */
	enum chan_status st; /* what msg_recv found */
	size_t nfds_partial; /* CHAN_FDLIMIT: fds installed (and closed) */
	enum privsep_violation viol;
	struct wire_hdr hdr;               /* decoded by msg_decode (zero before) */
	const struct privsep_handler *row; /* its row; NULL for a REPLY */
	size_t idx;                        /* the row's index in the table */
	/* type, id, the payload, the fds (owned: -1 once taken) and the bulk
	 * (owned: unmapped by msg_release); the reply's fds too (owned, until
	 * msg_release) */
	struct privsep_req req;
	int bulk_mapped; /* req.bulk is a mapping of a sealed memfd (msg_release
	                    unmaps it), not the receiver's copy of a region */
	/* a REGION_PART that names its type (revision 1.7): that type's row,
	 * whose handler takes req.bulk (NULL: the payload is lost), at
	 * req.bulk_off of req.bulk_total; NULL for any other record */
	const struct privsep_handler *feed;
	int fed;       /* the final record of a payload whose parts were fed */
	char why[384]; /* a violation or a drop, in words */
};

/* The receiving end's view of its table. */
struct msg_end {
	size_t msg_max;
	enum proto_dir from; /* the direction of what this end receives */
	const struct privsep_handler *rows;
	size_t nrows;
	int sorted;      /* rows are sorted by type (binary search) */
	uint8_t *permit; /* one byte per row, 1: permitted; NULL: no permits */
	/* the worker: 1 if a call with this id is in progress (a REPLY) */
	int (*call_open)(void *arg, uint32_t id);
	void *call_arg;
	/* the helper: the sender's bulk region and where its payloads are
	 * copied (region.h); NULL: the region form is refused (bad-bulk) */
	struct region_rx *region;
	struct region_copy *rcopy;
};

/* Receive one record from fd into buf (cap bytes, borrowed), as m (which
 * need not be initialised). */
enum chan_status msg_recv(int fd, struct msg *m, uint8_t *buf, size_t cap, int nonblock);

/* One record of a batch (chan_recv_many), n bytes into mh's one iovec,
 * from fd, as m: as msg_recv would have received it. */
enum chan_status msg_take(int fd, struct msg *m, struct msghdr *mh, size_t n);

/* The socket and header stages: PRIVSEP_V_NONE and m->hdr, or the first
 * violation (m->viol). */
enum privsep_violation msg_decode(struct msg *m, size_t msg_max);

/* 1 if m's header fields mean something to a log line: not for a
 * socket-stage violation nor a short header. */
static inline int msg_hdr_known(const struct msg *m)
{
	return m->st != CHAN_VIOLATION && m->viol != PRIVSEP_V_SHORT_HEADER;
}

/* The table stage at end e, then the fd-limit case, then the bulk stage:
 * fills m->row, m->idx and m->req.  A PRIVSEP_H_ONCE row's permit is
 * used just before the bulk stage.  Call after msg_decode found none. */
enum msg_verdict msg_check(struct msg *m, const struct msg_end *e);

/* 1 if m, a record of row r that passed msg_check's table stage (or
 * stopped at the fd limit after it), is a bulk record that names the
 * held region (revision 1.4: no memfd; the final record of a payload in
 * parts, or a payload at the region's offset 0); else 0. */
unsigned msg_bulk_held(const struct msg *m, const struct privsep_handler *r);

/* A REPLY that passed msg_check: its error, and its detail (error 1..4095)
 * or its body (error 0: *body, *blen).  PRIVSEP_V_NONE, or
 * PRIVSEP_V_BAD_REPLY. */
enum privsep_violation msg_reply(const struct msg *m, uint32_t *error, const char **detail,
                                 size_t *dlen, const void **body, size_t *blen);

/* A BATCH record (docs/PROTOCOL.md, section 6), entry by entry. */
struct msg_batch {
	const uint8_t *p; /* the next entry */
	size_t left;      /* bytes from p to the end of the payload */
	size_t n;         /* entries read so far */
	/* the last entry's row, for the next of the same type */
	const struct privsep_handler *row;
	size_t idx;
};

/* The framing of m, a BATCH that passed msg_check: its entries fill its
 * payload exactly, and there is one at least.  PRIVSEP_V_NONE and *b at
 * the first entry, or PRIVSEP_V_BAD_BATCH (m->why says how). */
enum privsep_violation msg_batch_begin(struct msg *m, struct msg_batch *b);

/* The next entry of b as a one-way record of its type (id 0, no fds),
 * checked at end e as msg_check checks a record (a used PRIVSEP_H_ONCE
 * permit included), into sub.  0 when b has no more entries; MSG_OK
 * (1) to serve sub; -1 for a violation (sub->viol, sub->why). */
int msg_batch_next(struct msg_batch *b, const struct msg_end *e, struct msg *sub);

/* Close every fd of m nobody took (the request's and the reply's) and
 * unmap its bulk.  m may be released again. */
void msg_release(struct msg *m);

/* "call" or "one-way", for a row's flags. */
const char *msg_kind_name(unsigned flags);

/* One record to send. */
struct msg_out {
	uint32_t type, id;
	const void *data; /* the payload (after a bulk's size), len bytes */
	size_t len;
	const int *fds; /* borrowed */
	size_t nfds;
	int bulkfd; /* taken: the sealed memfd of a bulk, -1: none;
	             * MSG_BULK_NOFD: a bulk's size with no fd (it names the
	             * held region, revision 1.4) */
	uint64_t bulk_len;
	/* NULL, or the PRIVSEP_HDR_LEN bytes right before data, which the
	 * header may be written into (no bulk): the record then leaves in one
	 * piece (a reply, built after room for its header) */
	uint8_t *frame;
};

#define MSG_BULK_NOFD REGION_TX_HELD

#define MSG_SEND_REPLY 0x1u       /* queued whatever q->max (at most one waits) */
#define MSG_SEND_HOLD 0x2u        /* queue it without trying the socket */
#define MSG_SEND_FIRST 0x4u       /* try the socket even when q holds records */
#define MSG_SEND_BORROW_BULK 0x8u /* o->bulkfd is borrowed (a region), not taken */

enum msg_sent {
	MSG_SENT = 0,
	MSG_QUEUED = 1,
	MSG_BROKEN = -1,  /* the socket failed: errno (EPIPE, ECONNRESET, ...) */
	MSG_REFUSED = -2, /* not sent and not queued: errno (EAGAIN: q is full) */
};

/* Frame o and send it on sock.  q NULL: one blocking send.  Else without
 * blocking, after what q holds: sent now when nothing is queued (or
 * MSG_SEND_FIRST), else and when the socket is full a copy is queued in
 * q (the borrowed fds duplicated).  o->bulkfd is taken in every case,
 * unless MSG_SEND_BORROW_BULK. */
enum msg_sent msg_send(int sock, struct outq *q, const struct msg_out *o, unsigned flags);

/* A new worker's READY, a call with id 1 on fd, and its answer: the helper
 * reads from the kernel that every sandbox step is in force before it
 * answers, and sends nothing before that answer.  0 for an empty success;
 * -1 for anything else, which must end the worker before application code
 * (a fork's child in spawn.c, an exec'd image in client_main.c). */
int msg_ready(int fd, size_t msg_max);

#endif
