/* SPDX-License-Identifier: ISC */
/*
 * txbatch.c - the replies to a pile of calls, sent with one sendmmsg
 * (txbatch.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sock_diag.h>
#include <unistd.h>

#include "txbatch.h"
#include "wire.h"

int txb_init(struct txbatch *b)
{
	memset(b, 0, sizeof(*b));
	b->bufs = malloc((size_t)TXB_SLOTS * TXB_SLOT);
	return b->bufs ? 0 : -1;
}

void txb_free(struct txbatch *b)
{
	txb_done(b);
	free(b->bufs);
	b->bufs = NULL;
}

/* Has sock's send buffer room for a whole stage?  A send succeeds while
 * what the socket has allocated is below its send buffer (the peer's
 * receive queue does not limit a connected unix socket), so with this
 * room every staged reply is sent. */
static int room_for_stage(int sock)
{
	uint32_t mem[SK_MEMINFO_VARS];
	socklen_t len = sizeof(mem);
	if (getsockopt(sock, SOL_SOCKET, SO_MEMINFO, mem, &len) < 0 ||
	    len < (SK_MEMINFO_SNDBUF + 1) * sizeof(uint32_t))
		return 0;
	return mem[SK_MEMINFO_SNDBUF] > mem[SK_MEMINFO_WMEM_ALLOC] &&
	       mem[SK_MEMINFO_SNDBUF] - mem[SK_MEMINFO_WMEM_ALLOC] >= TXB_SLOTS * TXB_ROOM;
}

int txb_add(struct txbatch *b, struct privsep_worker *w, int sock, uint32_t id, const void *payload,
            size_t len, const int *fds, size_t nfds)
{
	unsigned i = b->n;
	uint8_t *f;
	if (!b->bufs || (b->w && b->w != w) || b->tight == w || i >= TXB_SLOTS ||
	    nfds > PRIVSEP_MAX_FDS || len > TXB_SLOT - PRIVSEP_HDR_LEN)
		return 0;
	if (!i && !room_for_stage(sock)) {
		b->tight = w; /* not asked again before this stage's end */
		return 0;
	}
	f = txb_frame(b, i);
	{
		struct wire_hdr hdr = {
		    PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, (uint8_t)nfds, PRIVSEP_T_REPLY, id,
		    (uint32_t)len};
		wire_put_hdr(f, &hdr);
	}
	memcpy(f + PRIVSEP_HDR_LEN, payload, len);
	b->id[i] = id;
	b->len[i] = len;
	if (nfds)
		memcpy(b->fds[i], fds, nfds * sizeof(int));
	b->nfds[i] = (unsigned)nfds;
	b->w = w;
	b->n = i + 1;
	return 1;
}

int txb_send(struct txbatch *b, int sock)
{
	int n;
	for (unsigned i = 0; i < b->n; i++) {
		struct msghdr *mh = &b->mm[i].msg_hdr;
		b->iov[i] = (struct iovec){txb_frame(b, i), PRIVSEP_HDR_LEN + b->len[i]};
		*mh = (struct msghdr){.msg_iov = &b->iov[i], .msg_iovlen = 1};
		if (b->nfds[i] &&
		    chan_put_fds(mh, b->ctl[i].buf, sizeof(b->ctl[i]), b->fds[i], b->nfds[i]) < 0)
			return -1; /* cannot happen: nfds <= PRIVSEP_MAX_FDS */
	}
	do
		n = sendmmsg(sock, b->mm, b->n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	return n;
}

void txb_last(struct txbatch *b, int sock)
{
	if (b->n && sock >= 0)
		(void)txb_send(b, sock);
	txb_done(b);
}

void txb_done(struct txbatch *b)
{
	int lo = -1, hi = -1;
	unsigned count = 0;
	for (unsigned i = 0; i < b->n; i++)
		for (unsigned k = 0; k < b->nfds[i]; k++) {
			int fd = b->fds[i][k];
			if (fd < 0)
				continue;
			lo = lo < 0 || fd < lo ? fd : lo;
			hi = fd > hi ? fd : hi;
			count++;
		}
	/* the fds are distinct and as many as the range holds: every fd in
	 * it is one of them, so one close_range closes them and nothing
	 * else */
	if (count > 1 && (unsigned)(hi - lo) + 1 == count &&
	    close_range((unsigned)lo, (unsigned)hi, 0) == 0)
		count = 0;
	for (unsigned i = 0; count && i < b->n; i++)
		for (unsigned k = 0; k < b->nfds[i]; k++)
			if (b->fds[i][k] >= 0)
				close(b->fds[i][k]);
	b->n = 0;
	b->w = NULL;
	b->tight = NULL;
}
