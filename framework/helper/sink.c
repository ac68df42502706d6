/* SPDX-License-Identifier: ISC */
/*
 * sink.c - see sink.h: the helper's fd 1 or 2, written without waiting.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

/* A terminal takes at least this much once poll says it has room (the
 * tty layer's wake-up threshold); measured: a 4096-byte write after a
 * poll that saw room waited on a pty nobody read, 1024 did not. */
#define SINK_TTY_CHUNK 256

/* A description of our own for fd, with O_NONBLOCK: the same pipe or
 * terminal (checked), -1 when it cannot be had. */
static int own_description(int fd, const struct stat *st)
{
	char path[32];
	struct stat st2;
	int nfd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (nfd < 0)
		return -1;
	if (fstat(nfd, &st2) < 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino ||
	    st2.st_rdev != st->st_rdev) {
		close(nfd);
		return -1;
	}
	/* never on 0..2, where a child's standard fds go */
	if (nfd <= STDERR_FILENO) {
		int hi = fcntl(nfd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		close(nfd);
		nfd = hi;
	}
	return nfd;
}

int sink_is_journal(int fd)
{
	const char *v = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char end;
	if (!v || sscanf(v, "%llu:%llu%c", &dev, &ino, &end) != 2 || fstat(fd, &st) < 0)
		return 0;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

int sink_open(struct sink *s, int fd, size_t cap)
{
	struct stat st;
	memset(s, 0, sizeof(*s));
	s->fd = s->wfd = fd;
	if (cap) {
		s->buf = malloc(cap);
		if (!s->buf)
			return -1;
		s->cap = cap;
	}
	if (fstat(fd, &st) < 0 || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
		s->kind = SINK_DISCARD;
		return 0;
	}
	s->tty = isatty(fd);
	s->journal = sink_is_journal(fd);
	if (S_ISSOCK(st.st_mode)) {
		s->kind = SINK_SOCKET;
	} else if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		s->kind = SINK_FILE;
	} else if ((s->wfd = own_description(fd, &st)) >= 0) {
		s->kind = SINK_OWN;
	} else {
		s->wfd = fd;
		s->kind = SINK_POLL;
		s->chunk = S_ISFIFO(st.st_mode) ? PIPE_BUF : SINK_TTY_CHUNK;
	}
	return 0;
}

void sink_close(struct sink *s)
{
	if (s->kind == SINK_OWN)
		close(s->wfd);
	free(s->buf);
	s->buf = NULL;
	s->cap = s->off = s->len = 0;
	s->kind = SINK_DISCARD;
}

int sink_owns_fd(const struct sink *s, int fd)
{
	return s->kind == SINK_OWN && fd == s->wfd;
}

/* The sink cannot be written any more (EPIPE, EIO): it discards. */
static ssize_t broken(struct sink *s, int err)
{
	if (s->kind == SINK_OWN)
		close(s->wfd);
	s->wfd = s->fd;
	s->kind = SINK_DISCARD;
	s->off = s->len = 0;
	errno = err ? err : EPIPE;
	return -1;
}

ssize_t sink_try(struct sink *s, const void *p, size_t n)
{
	ssize_t k;
	if (!n || s->kind == SINK_DISCARD)
		return (ssize_t)n;
	for (;;) {
		if (s->kind == SINK_SOCKET) {
			k = send(s->wfd, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		} else if (s->kind == SINK_POLL) {
			struct pollfd pf = {.fd = s->wfd, .events = POLLOUT};
			int r = poll(&pf, 1, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0 && (pf.revents & (POLLERR | POLLNVAL)))
				return broken(s, EPIPE);
			if (r <= 0 || !(pf.revents & POLLOUT))
				return 0;
			k = write(s->wfd, p, n < s->chunk ? n : s->chunk);
		} else {
			k = write(s->wfd, p, n);
		}
		if (k >= 0)
			return k;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return broken(s, errno);
	}
}

int sink_flush(struct sink *s)
{
	while (s->len) {
		ssize_t k = sink_try(s, s->buf + s->off, s->len);
		if (k < 0)
			return -1;
		if (k == 0)
			return 1;
		s->off += (size_t)k;
		s->len -= (size_t)k;
	}
	s->off = 0;
	return 0;
}

int sink_put(struct sink *s, const void *p, size_t n)
{
	const char *c = p;
	if (s->kind == SINK_DISCARD)
		return 0;
	if (!s->len) {
		ssize_t k = sink_try(s, c, n);
		if (k < 0)
			return -1;
		c += k;
		n -= (size_t)k;
		if (!n)
			return 0;
		if (n > s->cap) {
			/* part of it went: the rest is lost, and counted */
			errno = ENOBUFS;
			return -1;
		}
		s->off = 0;
	} else if (n > s->cap - s->len) {
		errno = ENOBUFS;
		return -1;
	}
	if (s->off + s->len + n > s->cap) {
		memmove(s->buf, s->buf + s->off, s->len);
		s->off = 0;
	}
	memcpy(s->buf + s->off + s->len, c, n);
	s->len += n;
	return 0;
}

void sink_arm(int epfd, struct sink *s, void *tag, int want)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = tag};
	if (want && !s->armed)
		s->armed = epoll_ctl(epfd, EPOLL_CTL_ADD, s->fd, &ev) == 0;
	else if (!want && s->armed) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
		s->armed = 0;
	}
}
