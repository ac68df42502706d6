/* SPDX-License-Identifier: ISC */
/*
 * chan.h - internal: one record over a SOCK_SEQPACKET socket, with its fds.
 * chan.c knows records, fds and socket flags; it knows no message types.
 */
#ifndef PRIVSEP_CHAN_H
#define PRIVSEP_CHAN_H

#include <stddef.h>
#include <sys/socket.h>

#include "privsep.h"

/* socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC).  sv[0] is the
 * helper's end, sv[1] the worker's. */
int chan_pair(int sv[2]);

/* What chan_recv found. */
enum chan_status {
	CHAN_RECORD,    /* a whole record, buf[0..len), fds[0..nfds) */
	CHAN_AGAIN,     /* nothing to read (non-blocking) */
	CHAN_EOF,       /* the peer closed its end */
	CHAN_VIOLATION, /* bad at the socket level; viol says which; fds closed */
	CHAN_FDLIMIT,   /* record arrived but not all its fds could be
	                   installed here (EMFILE); fds closed, data kept */
	CHAN_ERROR,     /* errno says */
};

struct chan_msg {
	uint8_t *buf; /* borrowed, cap bytes */
	size_t cap;
	size_t len;
	int *fds; /* borrowed: room for PRIVSEP_MAX_FDS */
	size_t nfds;
	size_t nfds_partial; /* CHAN_FDLIMIT: how many were installed (and closed) */
	enum privsep_violation viol;
};

/* Receive one record (MSG_CMSG_CLOEXEC; MSG_DONTWAIT if nonblock).  A
 * record longer than cap is PRIVSEP_V_OVERSIZE; more than PRIVSEP_MAX_FDS
 * fds is PRIVSEP_V_NFDS_LIMIT; a control message other than SCM_RIGHTS
 * is PRIVSEP_V_BAD_CMSG; an empty record is PRIVSEP_V_EMPTY_RECORD.
 * Every fd that arrived with a record not returned as CHAN_RECORD is
 * closed before return.  EINTR is retried. */
enum chan_status chan_recv(int fd, struct chan_msg *m, int nonblock);

/* Room for one more fd than a record may carry, so that "the peer sent
 * too many" (buffer full) can be told from "we could not install them"
 * (buffer not full but MSG_CTRUNC): the control buffer of one record. */
#define CHAN_CTL_FDS (PRIVSEP_MAX_FDS + 1)
#define CHAN_CTL_SPACE CMSG_SPACE(sizeof(int) * CHAN_CTL_FDS)

/* Receive up to n records at once without blocking (recvmmsg,
 * MSG_CMSG_CLOEXEC): mm[i] each with one iovec of the record limit and a
 * control buffer of CHAN_CTL_SPACE, set by the caller before every call.
 * How many were received (mm[i].msg_len each; take each with chan_take,
 * or chan_drop it), or -1 with errno (EAGAIN: none).  EINTR is retried. */
int chan_recv_many(int fd, struct mmsghdr *mm, unsigned n);

/* One record received into mh (n bytes) on fd, judged as chan_recv
 * judges it: m->buf must be mh's buffer.  fd is looked at only to tell
 * the end of the stream from an empty record. */
enum chan_status chan_take(int fd, struct msghdr *mh, size_t n, struct chan_msg *m);

/* Close every fd that arrived with the record in mh, never taken. */
void chan_drop(struct msghdr *mh);

/* fds (nfds of them, borrowed) as mh's one SCM_RIGHTS control message,
 * built in ctl (ctllen bytes, aligned for a struct cmsghdr): 0, or -1
 * with EINVAL when they do not fit.  chan_send's, and the spawner's
 * (whose requests carry more fds than a record's PRIVSEP_MAX_FDS). */
int chan_put_fds(struct msghdr *mh, void *ctl, size_t ctllen, const int *fds, size_t nfds);

/* Send one record: hdr (hlen bytes) then payload, with fds (borrowed),
 * in one sendmsg with MSG_NOSIGNAL (and MSG_DONTWAIT if nonblock); one
 * send when it is one piece (plen 0) with no fds.
 * 0, or -1 with errno (EAGAIN when non-blocking and full, EPIPE, ...).
 * EINTR is retried. */
int chan_send(int fd, const void *hdr, size_t hlen, const void *payload, size_t plen,
              const int *fds, size_t nfds, int nonblock);

/* Close fds[0..n) that are >= 0 and set them to -1; errno preserved. */
void chan_close_fds(int *fds, size_t n);

#endif
