/* SPDX-License-Identifier: ISC */
/*
 * raw_fd.h - the raw broker's answer, shared by privsep-bench and
 * broker-floor (both measure the kernel's floor, without the library):
 * one byte, 'k', with one fd in SCM_RIGHTS, in one sendmsg.
 */
#ifndef PRIVSEP_BENCH_RAW_FD_H
#define PRIVSEP_BENCH_RAW_FD_H

#include <errno.h>
#include <string.h>
#include <sys/socket.h>

/* Send f (borrowed) on sock with the byte 'k': sendmsg's result, or -1
 * with EINVAL when the control message cannot be laid out. */
static inline ssize_t raw_fd_send(int sock, int f)
{
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	char k = 'k';
	struct iovec iov = {&k, 1};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c;
	memset(&ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&mh);
	if (!c) {
		errno = EINVAL;
		return -1;
	}
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &f, sizeof(int));
	return sendmsg(sock, &mh, MSG_NOSIGNAL);
}

#endif
