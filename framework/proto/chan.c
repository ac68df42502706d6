/* SPDX-License-Identifier: ISC */
/*
 * chan.c - records and fds over an AF_UNIX SOCK_SEQPACKET socket.
 *
 * One message is one record.  Received fds are close-on-exec from the
 * moment they exist (MSG_CMSG_CLOEXEC).  A record whose data or control
 * part was truncated is never delivered as a success, and no fd that
 * arrived is ever dropped without being closed.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"

int chan_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
}

void chan_close_fds(int *fds, size_t n)
{
	int saved;
	if (!n)
		return;
	saved = errno;
	for (size_t i = 0; i < n; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
		fds[i] = -1;
	}
	errno = saved;
}

enum chan_status chan_recv(int fd, struct chan_msg *m, int nonblock)
{
	union {
		struct cmsghdr align;
		char buf[CHAN_CTL_SPACE];
	} ctl;
	struct iovec iov = {.iov_base = m->buf, .iov_len = m->cap};
	struct msghdr mh = {
	    .msg_iov = &iov,
	    .msg_iovlen = 1,
	    .msg_control = ctl.buf,
	    .msg_controllen = sizeof(ctl.buf),
	};
	ssize_t n;

	m->len = 0;
	m->nfds = 0;
	m->nfds_partial = 0;
	m->viol = PRIVSEP_V_NONE;
	do
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | (nonblock ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return (errno == EAGAIN || errno == EWOULDBLOCK) ? CHAN_AGAIN : CHAN_ERROR;
	return chan_take(fd, &mh, (size_t)n, m);
}

int chan_recv_many(int fd, struct mmsghdr *mm, unsigned n)
{
	int got;
	do
		got = recvmmsg(fd, mm, n, MSG_CMSG_CLOEXEC | MSG_DONTWAIT, NULL);
	while (got < 0 && errno == EINTR);
	return got;
}

/* More room than the kernel can fill with fds in CHAN_CTL_SPACE bytes. */
#define CHAN_GOT_ROOM (CHAN_CTL_SPACE / sizeof(int))

/* Every fd that arrived with the record mh describes, into got (room for
 * CHAN_GOT_ROOM); *bad set when a control message is not SCM_RIGHTS. */
static size_t collect_fds(struct msghdr *mh, int *got, int *bad)
{
	size_t ngot = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			const unsigned char *d = CMSG_DATA(c);
			for (size_t i = 0; i < k && ngot < CHAN_GOT_ROOM; i++, ngot++)
				memcpy(&got[ngot], d + i * sizeof(int), sizeof(int));
		} else {
			*bad = 1;
		}
	}
	return ngot;
}

void chan_drop(struct msghdr *mh)
{
	int got[CHAN_GOT_ROOM];
	int bad = 0;
	chan_close_fds(got, collect_fds(mh, got, &bad));
}

enum chan_status chan_take(int fd, struct msghdr *mh, size_t n, struct chan_msg *m)
{
	int got[CHAN_GOT_ROOM]; /* more than the kernel can fit */
	int bad_cmsg = 0;
	size_t ngot;

	m->len = 0;
	m->nfds = 0;
	m->nfds_partial = 0;
	m->viol = PRIVSEP_V_NONE;
	/* Collect every fd that arrived, whatever else is wrong. */
	ngot = collect_fds(mh, got, &bad_cmsg);
	if (n == 0) {
		/* End of stream and an empty record both read as 0 bytes; a
		 * closed peer also shows POLLHUP. */
		struct pollfd p = {.fd = fd, .events = POLLIN | POLLRDHUP};
		chan_close_fds(got, ngot);
		if (ngot == 0 && !bad_cmsg && poll(&p, 1, 0) == 1 &&
		    (p.revents & (POLLHUP | POLLRDHUP)))
			return CHAN_EOF;
		m->viol = PRIVSEP_V_EMPTY_RECORD;
		return CHAN_VIOLATION;
	}
	m->len = n;
	if (mh->msg_flags & MSG_TRUNC)
		m->viol = PRIVSEP_V_OVERSIZE;
	else if (bad_cmsg)
		m->viol = PRIVSEP_V_BAD_CMSG;
	else if (ngot > PRIVSEP_MAX_FDS)
		m->viol = PRIVSEP_V_NFDS_LIMIT;
	if (m->viol != PRIVSEP_V_NONE) {
		chan_close_fds(got, ngot);
		return CHAN_VIOLATION;
	}
	if (mh->msg_flags & MSG_CTRUNC) {
		/* Room was left, so the kernel stopped installing fds: this
		 * process is at its fd limit.  Not the peer's fault. */
		chan_close_fds(got, ngot);
		m->nfds_partial = ngot;
		return CHAN_FDLIMIT;
	}
	memcpy(m->fds, got, ngot * sizeof(int));
	m->nfds = ngot;
	return CHAN_RECORD;
}

int chan_put_fds(struct msghdr *mh, void *ctl, size_t ctllen, const int *fds, size_t nfds)
{
	struct cmsghdr *c;

	if (CMSG_SPACE(sizeof(int) * nfds) > ctllen) {
		errno = EINVAL;
		return -1;
	}
	memset(ctl, 0, ctllen);
	mh->msg_control = ctl;
	mh->msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
	c = CMSG_FIRSTHDR(mh);
	if (!c) {
		errno = EINVAL;
		return -1;
	}
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	return 0;
}

/* One piece, no fds: send(2), the same record for 0.1 to 0.2 us less
 * than sendmsg(2) here, which copies and walks a msghdr and an iovec
 * array first (issue 17); and no msghdr laid out for it either. */
static int send_one_piece(int fd, const void *rec, size_t len, int nonblock)
{
	ssize_t n;
	do
		n = send(fd, rec, len, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) { /* cannot happen on SEQPACKET */
		errno = EIO;
		return -1;
	}
	return 0;
}

static int chan_send_parts(int fd, const void *hdr, size_t hlen, const void *payload, size_t plen,
                           const int *fds, size_t nfds, int nonblock)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PRIVSEP_MAX_FDS)];
	} ctl;
	struct iovec iov[2] = {
	    {.iov_base = (void *)hdr, .iov_len = hlen},
	    {.iov_base = (void *)payload, .iov_len = plen},
	};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = plen ? 2 : 1};
	ssize_t n;

	if (nfds > PRIVSEP_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (nfds && chan_put_fds(&mh, ctl.buf, sizeof(ctl), fds, nfds) < 0)
		return -1;
	do
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != hlen + plen) { /* cannot happen on SEQPACKET */
		errno = EIO;
		return -1;
	}
	return 0;
}

int chan_send(int fd, const void *hdr, size_t hlen, const void *payload, size_t plen,
              const int *fds, size_t nfds, int nonblock)
{
	if (!nfds && !plen)
		return send_one_piece(fd, hdr, hlen, nonblock);
	return chan_send_parts(fd, hdr, hlen, payload, plen, fds, nfds, nonblock);
}
