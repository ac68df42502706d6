/* SPDX-License-Identifier: ISC */
/*
 * txbatch.h - internal: the replies to a pile of calls, sent together
 * (issue 17).
 *
 * A worker with asynchronous calls in flight (a pile, helper.c's
 * worker_readable) is answered call after call in one turn.  Each reply
 * sent alone is one sendmsg; staged here instead, the turn's replies
 * leave in order with one sendmmsg at its end, each its own record with
 * its own fds, and the helper's copies of those fds go with one
 * close_range when they are contiguous (they are: the broker opened them
 * one after the other).  One worker's replies at a time; anything else
 * sent to that worker first sends what is staged (the order is the
 * order the replies were made in).  A reply that does not fit a slot is
 * not staged.
 */
#ifndef PRIVSEP_TXBATCH_H
#define PRIVSEP_TXBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "chan.h"
#include "privsep.h"
#include "proto.h"

struct privsep_worker;

#define TXB_SLOTS PROTO_TURN_RECORDS /* a turn's records, at most */
#define TXB_SLOT 512u                /* header and payload of one reply */
/* What one staged reply can take of the socket's send buffer, at most
 * (its skb's truesize: about 1.3 KiB for TXB_SLOT bytes here) */
#define TXB_ROOM 2048u

/* The stage: replies [0, n) to w (NULL: none). */
struct txbatch {
	struct privsep_worker *w;
	struct privsep_worker *tight; /* its socket had no room for a stage */
	unsigned n;
	uint8_t *bufs; /* TXB_SLOTS slots of TXB_SLOT bytes */
	uint32_t id[TXB_SLOTS];
	size_t len[TXB_SLOTS];               /* payload bytes, after the header's room */
	int fds[TXB_SLOTS][PRIVSEP_MAX_FDS]; /* owned until txb_done */
	unsigned nfds[TXB_SLOTS];
	struct mmsghdr mm[TXB_SLOTS];
	struct iovec iov[TXB_SLOTS];
	union txb_ctl {
		struct cmsghdr align;
		char buf[CHAN_CTL_SPACE];
	} ctl[TXB_SLOTS];
};

/* 0, or -1 with errno (nothing to free). */
int txb_init(struct txbatch *b);
/* Closes the fds of whatever is still staged (nothing is sent). */
void txb_free(struct txbatch *b);

/* Stage the reply id to w, whose channel is sock: len payload bytes,
 * with nfds fds, which are taken.  1: staged; 0: not (the stage holds
 * another worker's replies, is full, the reply is too large, or sock's
 * send buffer has not room enough for a whole stage, asked once per
 * stage (SO_MEMINFO): so that the sendmmsg sends them all, and no more
 * than the one reply a worker that stops reading has queued waits in
 * the helper (SECURITY.md)): send it as before. */
int txb_add(struct txbatch *b, struct privsep_worker *w, int sock, uint32_t id, const void *payload,
            size_t len, const int *fds, size_t nfds);

/* Send the staged replies on sock, in order, with one sendmmsg (without
 * blocking): how many left (the first ones), or -1 with errno (EAGAIN:
 * none).  The stage stays as it is for txb_done. */
int txb_send(struct txbatch *b, int sock);

/* The room for reply i's header; its payload follows. */
static inline uint8_t *txb_frame(const struct txbatch *b, unsigned i)
{
	return b->bufs + (size_t)i * TXB_SLOT;
}

/* The stage's worker's channel, sock, is closing: send what the socket
 * takes now, as each reply would have been sent before the close (the
 * rest is dropped, as a closed channel's queue is), then txb_done. */
void txb_last(struct txbatch *b, int sock);

/* Close the helper's copies of the staged fds (they were sent, queued as
 * copies or are lost) and empty the stage; its room is asked again. */
void txb_done(struct txbatch *b);

#endif
