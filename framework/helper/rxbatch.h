/* SPDX-License-Identifier: ISC */
/*
 * rxbatch.h - internal: the helper's batched receive (issue 17).
 *
 * A worker that sends one-way records is read several records at a time
 * with one recvmmsg into a stash the helper owns: one batch at a time,
 * of one worker.  Records the helper may not serve yet (its turn ended:
 * a bulk payload, a reply that had to be queued) wait there in order,
 * fds and all, and are served before anything newer from that worker;
 * when the worker goes or violates they are released (fds closed),
 * never served.  A worker whose last record was a call is read one
 * record at a time, as before (its caller waits for the reply, so a
 * batch would find nothing more), unless its calls come in piles
 * (asynchronous calls in flight: helper.c, worker_readable).
 */
#ifndef PRIVSEP_RXBATCH_H
#define PRIVSEP_RXBATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "chan.h"

struct privsep_helper;
struct privsep_worker;
struct msg;

/* The stash.  Records [next, n) of mm belong to w (NULL: none wait). */
struct rxbatch {
	struct privsep_worker *w;
	unsigned next, n;
	unsigned got;  /* records the last rxb_next read as a new batch; 0: none */
	unsigned cap;  /* slots: at most RXB_SLOTS, and RXB_BYTES of buffers */
	size_t slot;   /* bytes a slot holds: the record limit */
	uint8_t *bufs; /* cap slots */
	struct mmsghdr *mm;
	struct iovec *iov;
	union rxb_ctl {
		struct cmsghdr align;
		char buf[CHAN_CTL_SPACE];
	} * ctl;
	int kickfd; /* eventfd: brings the loop back to the stash */
	int kicked;
};

/* Make the stash of a helper whose record limit is slot bytes.  0, or -1
 * with errno (nothing to free). */
int rxb_init(struct rxbatch *b, size_t slot);
void rxb_free(struct rxbatch *b);

/* The next record of w's turn into m: from the stash, else (the stash
 * free, budget > 1, more than one slot) a new batch of at most budget
 * records, else one record into buf (cap bytes) with msg_recv.  Whether
 * a calling worker is read in batches at all is the helper's choice
 * (helper.c): w->rx_full tells it whether the batch filled the budget.
 * A turn of one-way records reads on until EAGAIN or its budget, as
 * before: a batch shorter than asked does not end it (measured: ending
 * it there saved nothing, docs in bench/README.md). */
enum chan_status rxb_next(struct rxbatch *b, struct privsep_worker *w, struct msg *m,
                          unsigned budget, uint8_t *buf, size_t cap);

/* 1 if records of w wait in the stash. */
static inline int rxb_pending(const struct rxbatch *b, const struct privsep_worker *w)
{
	return b->w == w;
}

/* w's channel closes: the records of w in the stash are never served,
 * their fds are closed. */
void rxb_drop(struct rxbatch *b, const struct privsep_worker *w);

/* A turn ended with records stashed and nothing else will bring the loop
 * back to them (no reply queued): make the helper's epoll fd readable. */
void rxb_kick(struct rxbatch *b);

/* The kick was seen: read it; the worker whose records wait, or NULL. */
struct privsep_worker *rxb_kicked(struct rxbatch *b);

/* Clear the buffers (a fork's child, helper_scrub). */
void rxb_scrub(struct rxbatch *b);

#endif
