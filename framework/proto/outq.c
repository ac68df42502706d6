/* SPDX-License-Identifier: ISC */
/*
 * outq.c - the bounded queue of records a full socket could not take yet.
 *
 * A record is copied (and its fds kept) only when the socket is full, so
 * a sender that keeps up allocates nothing.  The bound is on one-way
 * records: a sender over it gets EAGAIN, never unbounded memory.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "outq.h"

struct outq_rec {
	struct outq_rec *next;
	size_t len;
	int fds[PRIVSEP_MAX_FDS];
	size_t nfds;
	int reply;
	uint8_t data[];
};

void outq_init(struct outq *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->max = max;
}

int outq_push(struct outq *q, const void *hdr, size_t hlen, const void *payload, size_t plen,
              int *fds, size_t nfds, int reply)
{
	struct outq_rec *r;

	if (!reply && q->n - q->nreply >= q->max) {
		chan_close_fds(fds, nfds);
		errno = EAGAIN;
		return -1;
	}
	r = malloc(sizeof(*r) + hlen + plen);
	if (!r) {
		chan_close_fds(fds, nfds);
		errno = ENOMEM;
		return -1;
	}
	memcpy(r->data, hdr, hlen);
	if (plen)
		memcpy(r->data + hlen, payload, plen);
	r->len = hlen + plen;
	memcpy(r->fds, fds, nfds * sizeof(int));
	r->nfds = nfds;
	r->reply = reply;
	r->next = NULL;
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
	q->nreply += !!reply;
	q->bytes += r->len;
	return 0;
}

static void pop(struct outq *q)
{
	struct outq_rec *r = q->head;
	q->head = r->next;
	if (!q->head)
		q->tail = NULL;
	q->n--;
	q->nreply -= !!r->reply;
	q->bytes -= r->len;
	chan_close_fds(r->fds, r->nfds);
	free(r);
}

int outq_flush(struct outq *q, int sock)
{
	while (q->head) {
		struct outq_rec *r = q->head;
		if (chan_send(sock, r->data, r->len, NULL, 0, r->fds, r->nfds, 1) < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
		pop(q);
	}
	return 1;
}

void outq_clear(struct outq *q)
{
	while (q->head)
		pop(q);
}

void outq_scrub(struct outq *q)
{
	for (struct outq_rec *r = q->head; r; r = r->next)
		explicit_bzero(r->data, r->len);
}
