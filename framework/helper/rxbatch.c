/* SPDX-License-Identifier: ISC */
/*
 * rxbatch.c - the helper's batched receive (rxbatch.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "helper_int.h"
#include "msg.h"
#include "rxbatch.h"

/* A batch: 16 records read with one recvmmsg measured 0.94 x a blocking
 * recv at 48 bytes and 1.13 x at 4 KiB, where recvmsg until EAGAIN is
 * 0.75 x and 0.92 x (bench/README.md).  A slot holds a whole record, and
 * the slots stay within RXB_BYTES, so that a batch of large records
 * lands in buffers that stay in the cache: 16 slots (64 KiB) at the
 * default 4 KiB record limit, 4 at the 64 KiB one (with 16 there, 64 KiB
 * records cost the helper up to a quarter more CPU each than one buffer
 * did).  At most 1 slot: no batch, every record read alone. */
#define RXB_SLOTS 16u
#define RXB_BYTES (256u * 1024u)

int rxb_init(struct rxbatch *b, size_t slot)
{
	unsigned cap = (unsigned)(RXB_BYTES / slot);
	if (cap > RXB_SLOTS)
		cap = RXB_SLOTS;
	if (cap < 1)
		cap = 1;
	memset(b, 0, sizeof(*b));
	b->cap = cap;
	b->slot = slot;
	b->bufs = malloc(cap * slot);
	b->mm = calloc(cap, sizeof(*b->mm));
	b->iov = calloc(cap, sizeof(*b->iov));
	b->ctl = calloc(cap, sizeof(*b->ctl));
	b->kickfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!b->bufs || !b->mm || !b->iov || !b->ctl || b->kickfd < 0) {
		int saved = errno;
		rxb_free(b);
		errno = saved;
		return -1;
	}
	for (unsigned i = 0; i < cap; i++) {
		b->iov[i] = (struct iovec){b->bufs + (size_t)i * slot, slot};
		b->mm[i].msg_hdr.msg_iov = &b->iov[i];
		b->mm[i].msg_hdr.msg_iovlen = 1;
		b->mm[i].msg_hdr.msg_control = b->ctl[i].buf;
	}
	return 0;
}

void rxb_free(struct rxbatch *b)
{
	if (b->w)
		rxb_drop(b, b->w);
	if (b->kickfd >= 0)
		close(b->kickfd);
	free(b->bufs);
	free(b->mm);
	free(b->iov);
	free(b->ctl);
	memset(b, 0, sizeof(*b));
	b->kickfd = -1;
}

/* Take the next stashed record of b into m. */
static enum chan_status take(struct rxbatch *b, int chan, struct msg *m)
{
	unsigned i = b->next++;
	if (b->next == b->n)
		b->w = NULL; /* the slot stays m's until the next batch */
	return msg_take(chan, m, &b->mm[i].msg_hdr, b->mm[i].msg_len);
}

enum chan_status rxb_next(struct rxbatch *b, struct privsep_worker *w, struct msg *m,
                          unsigned budget, uint8_t *buf, size_t cap)
{
	unsigned k;
	int got;

	if (b->w == w)
		return take(b, w->chan, m);
	w->rx_full = 0;
	b->got = 0;
	if (b->w || budget < 2 || b->cap < 2)
		return msg_recv(w->chan, m, buf, cap, 1);
	k = budget < b->cap ? budget : b->cap;
	for (unsigned i = 0; i < k; i++) {
		/* the kernel writes back the lengths and flags of each */
		b->mm[i].msg_hdr.msg_controllen = sizeof(b->ctl[i].buf);
		b->mm[i].msg_hdr.msg_flags = 0;
		b->mm[i].msg_len = 0;
	}
	got = chan_recv_many(w->chan, b->mm, k);
	if (got <= 0)
		return got == 0 || errno == EAGAIN || errno == EWOULDBLOCK ? CHAN_AGAIN
		                                                           : CHAN_ERROR;
	b->w = w;
	b->next = 0;
	b->n = b->got = (unsigned)got;
	w->rx_full = (unsigned)got == k;
	return take(b, w->chan, m);
}

void rxb_drop(struct rxbatch *b, const struct privsep_worker *w)
{
	if (b->w != w || !w)
		return;
	for (unsigned i = b->next; i < b->n; i++)
		chan_drop(&b->mm[i].msg_hdr);
	b->w = NULL;
	b->next = b->n = 0;
}

void rxb_kick(struct rxbatch *b)
{
	uint64_t one = 1;
	if (b->kicked)
		return;
	if (write(b->kickfd, &one, sizeof(one)) == (ssize_t)sizeof(one))
		b->kicked = 1;
}

struct privsep_worker *rxb_kicked(struct rxbatch *b)
{
	uint64_t v;
	if (read(b->kickfd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return b->w; /* still served: the turn comes, kick or not */
	b->kicked = 0;
	return b->w;
}

void rxb_scrub(struct rxbatch *b)
{
	if (b->bufs)
		explicit_bzero(b->bufs, (size_t)b->cap * b->slot);
}
