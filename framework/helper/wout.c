/* SPDX-License-Identifier: ISC */
/*
 * wout.c - a spawned worker's standard output, when its spawn sets
 * stdout_copy: the write end of a pipe, whose bytes the helper copies to
 * its own standard output.
 *
 * The helper never waits on either end: it reads the pipe when it has
 * room in a bounded buffer, and writes to its standard output through a
 * sink (sink.h) that never blocks.  When its standard output is slow, the
 * buffer fills and the helper stops reading: the worker waits on its own
 * full pipe, and no byte is lost.  When its standard output is a
 * terminal, the worker's bytes reach it escaped (control bytes but
 * newline and tab, invalid UTF-8, C1 controls, bidi marks as \xNN): a
 * worker cannot drive the operator's terminal.  Anything else gets the
 * bytes as they are: that is the point of the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "helper_int.h"

/* Bytes of one worker's output the helper holds at most. */
#define WOUT_BUF 65536

struct wout {
	struct tag tag; /* first: the event loop's tag leads here */
	struct privsep_helper *h;
	struct wout *next;
	int rfd;     /* -1 once its end was read */
	int reading; /* rfd is in the event loop */
	char *buf;
	size_t off, len;
	char name[64];
	pid_t pid;
};

static void set_reading(struct wout *o, int on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &o->tag};
	if (o->rfd < 0 || on == o->reading)
		return;
	if (on)
		o->reading = epoll_ctl(o->h->epfd, EPOLL_CTL_ADD, o->rfd, &ev) == 0;
	else {
		epoll_ctl(o->h->epfd, EPOLL_CTL_DEL, o->rfd, NULL);
		o->reading = 0;
	}
}

int wout_attach(struct privsep_worker *w, int rfd)
{
	struct privsep_helper *h = w->h;
	struct wout *o = calloc(1, sizeof(*o));
	if (!o || !(o->buf = malloc(WOUT_BUF)) || fcntl(rfd, F_SETFL, O_NONBLOCK) < 0) {
		int saved = errno ? errno : ENOMEM;
		if (o)
			free(o->buf);
		free(o);
		close(rfd);
		errno = saved;
		return -1;
	}
	o->h = h;
	o->rfd = rfd;
	o->tag = (struct tag){NULL, TAG_WOUT};
	snprintf(o->name, sizeof(o->name), "%s", w->name);
	o->pid = w->pid;
	set_reading(o, 1);
	if (!o->reading) {
		int saved = errno;
		close(rfd);
		free(o->buf);
		free(o);
		errno = saved;
		return -1;
	}
	o->next = h->outs;
	h->outs = o;
	return 0;
}

int wout_owns_fd(const struct privsep_helper *h, int fd)
{
	for (const struct wout *o = h->outs; o; o = o->next)
		if (fd == o->rfd)
			return 1;
	return 0;
}

/* n bytes of a worker's output at p, for a terminal, into dst (room for
 * 4 * n): escaped as its log lines are, newlines kept. */
static size_t tty_escape(char *dst, const char *p, size_t n)
{
	size_t o = 0;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		log_escape(dst + o, 4 * k + 1, p, k);
		o += strlen(dst + o);
		if (nl) {
			dst[o++] = '\n';
			k++;
		}
		p += k;
		n -= k;
	}
	return o;
}

static void wout_end(struct wout *o)
{
	set_reading(o, 0);
	close(o->rfd);
	o->rfd = -1;
}

/* Write what every worker's buffer holds, in turn; unlink and free the
 * ones that are done; read again where there is room. */
static void flush_all(struct privsep_helper *h)
{
	int blocked = 0;
	for (struct wout **pp = &h->outs, *o; (o = *pp);) {
		while (o->len && !blocked) {
			ssize_t k = sink_try(&h->out, o->buf + o->off, o->len);
			if (k < 0) {
				log_line(
				    h->log, h->log_arg, PRIVSEP_LOG_ERR,
				    "worker \"%s\" pid %d: standard output: %s: its output is discarded from now on",
				    o->name, (int)o->pid, strerror(errno));
				o->len = 0; /* the sink discards from now on */
			} else if (k == 0) {
				blocked = 1;
			} else {
				o->off += (size_t)k;
				o->len -= (size_t)k;
			}
		}
		if (!o->len)
			o->off = 0;
		if (o->rfd < 0 && !o->len) {
			*pp = o->next;
			free(o->buf);
			free(o);
			continue;
		}
		/* room again: read on */
		if (o->rfd >= 0 && o->len < WOUT_BUF / 2)
			set_reading(o, 1);
		pp = &o->next;
	}
	sink_arm(h->epfd, &h->out, &h->tout, blocked);
}

void wout_readable(struct tag *t)
{
	struct wout *o = (struct wout *)t;
	struct privsep_helper *h = o->h;
	char raw[WOUT_BUF / 4];
	size_t room;
	ssize_t n;
	if (o->off) {
		memmove(o->buf, o->buf + o->off, o->len);
		o->off = 0;
	}
	room = WOUT_BUF - o->len;
	if (h->out.tty)
		room = room / 4 < sizeof(raw) ? room / 4 : sizeof(raw);
	if (!room) {
		set_reading(o, 0); /* full: the worker waits on its pipe */
		return;
	}
	do
		n = read(o->rfd, h->out.tty ? raw : o->buf + o->off + o->len, room);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		if (h->out.tty)
			o->len += tty_escape(o->buf + o->off + o->len, raw, (size_t)n);
		else
			o->len += (size_t)n;
		if (o->len == WOUT_BUF)
			set_reading(o, 0);
	} else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		wout_end(o);
	}
	flush_all(h);
}

void wout_writable(struct privsep_helper *h)
{
	flush_all(h);
}

void wout_free_all(struct privsep_helper *h)
{
	while (h->outs) {
		struct wout *o = h->outs;
		size_t lost = o->len;
		if (o->rfd >= 0) {
			char buf[4096];
			ssize_t n;
			/* what is still in its pipe is lost too: count it */
			while ((n = read(o->rfd, buf, sizeof(buf))) > 0)
				lost += (size_t)n;
			wout_end(o);
		}
		if (lost)
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_WARN,
			    "worker \"%s\" pid %d: %zu bytes of its standard output not written: the helper stopped first",
			    o->name, (int)o->pid, lost);
		h->outs = o->next;
		free(o->buf);
		free(o);
	}
}
