/* SPDX-License-Identifier: ISC */
/*
 * outq.h - internal: a bounded queue of outgoing records for a socket that
 * was full.  Knows records and fds, no message types (like chan.c).
 */
#ifndef PRIVSEP_OUTQ_H
#define PRIVSEP_OUTQ_H

#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

struct outq_rec;

struct outq {
	struct outq_rec *head, *tail;
	size_t n;      /* records queued */
	size_t nreply; /* of which replies (see outq_push) */
	size_t max;    /* one-way records allowed at once */
	size_t bytes;  /* bytes queued, for the curious */
};

void outq_init(struct outq *q, size_t max);

/* Append a copy of hdr (hlen bytes) + payload, with fds (taken: closed on
 * failure too).  reply: a reply is queued even when the queue is full (the
 * helper reads no request while a reply waits, so there is at most one);
 * any other record fails with EAGAIN when q->max are queued.  0, or -1
 * with errno (EAGAIN, ENOMEM). */
int outq_push(struct outq *q, const void *hdr, size_t hlen, const void *payload, size_t plen,
              int *fds, size_t nfds, int reply);

/* Send queued records, oldest first, without blocking.  1: the queue is
 * empty; 0: the socket is full again; -1: errno from sendmsg (the record
 * that failed stays queued). */
int outq_flush(struct outq *q, int sock);

/* Zero the queued bytes (a new child must not see them). */
void outq_scrub(struct outq *q);

/* Drop everything queued: fds closed, memory freed. */
void outq_clear(struct outq *q);

#endif
