/* SPDX-License-Identifier: ISC */
/*
 * req.c - the request a handler is given, on either end: the fds it may
 * take, the fds and the words it adds to its reply.  No I/O: the end
 * that dispatched it sends the reply.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "privsep.h"

int privsep_req_reply_fd(struct privsep_req *req, int fd)
{
	if (req->reply_nfds >= PRIVSEP_MAX_FDS) {
		if (fd >= 0)
			close(fd);
		errno = EMSGSIZE;
		return -1;
	}
	if (fd < 0) {
		errno = EBADF;
		return -1;
	}
	req->reply_fds[req->reply_nfds++] = fd;
	return 0;
}

int privsep_req_take_fd(struct privsep_req *req, size_t i)
{
	if (i >= req->nfds || req->fds[i] < 0) {
		errno = EBADF;
		return -1;
	}
	int fd = req->fds[i];
	req->fds[i] = -1;
	return fd;
}

int privsep_req_fail(struct privsep_req *req, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(req->detail, sizeof(req->detail), fmt, ap);
	va_end(ap);
	return errnum;
}

unsigned privsep_req_part(const struct privsep_req *req)
{
	return req->part;
}
