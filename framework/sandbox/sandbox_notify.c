/* SPDX-License-Identifier: ISC */
/*
 * sandbox_notify.c - step 11 for privsep-run: a filter whose path calls
 * wait for the helper (seccomp user notification), loaded with a new
 * listener that is sent to the helper.  The policy's own filter is
 * loaded after it (sandbox.c), so that this one's seccomp call is still
 * allowed; the kernel runs both for every call and the stricter action
 * wins (a kill of the policy's over this one's notification).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

int sandbox_listener(const struct filter_prog *prog, int sock)
{
	struct sock_fprog fp = {prog->len, prog->insns};
	char cbuf[CMSG_SPACE(sizeof(int))];
	char byte = 'L';
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	long fd;
	ssize_t n;
	int e;

	fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
	if (fd < 0)
		return -1;
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &(int){(int)fd}, sizeof(int));
	n = sendmsg(sock, &mh, MSG_NOSIGNAL);
	e = errno;
	close((int)fd);
	if (n != 1) {
		errno = n < 0 ? e : EIO;
		return -1;
	}
	return fcntl(sock, F_SETFD, FD_CLOEXEC) < 0 ? -1 : 0;
}
