/* SPDX-License-Identifier: ISC */
/*
 * sink.h - internal: the helper's own standard output or error, written
 * without ever blocking the helper.
 *
 * The helper's fd 1 and 2 are shared with whoever started it (a
 * terminal, the journal's socket, a pipe): setting O_NONBLOCK on them
 * would change the open file description for every process that shares
 * it.  So the sink decides once, when the helper is made, how to write
 * without waiting:
 *   socket        send(MSG_DONTWAIT | MSG_NOSIGNAL): the flag is the
 *                 call's, not the description's
 *   regular file  write(): a file never waits for a reader
 *   anything else (a pipe, a FIFO, a terminal) a description of its own,
 *                 opened through /proc/self/fd with O_NONBLOCK: write()
 *                 says EAGAIN instead of waiting, whoever else writes
 *   else          (no /proc, no permission) poll() with no timeout, then
 *                 one write of at most PIPE_BUF bytes to a pipe (the
 *                 kernel takes it whole when poll saw room) or 256 to a
 *                 terminal (best effort: another writer may take the room
 *                 between the two calls)
 * What cannot be written now waits in a bounded buffer; the helper's
 * event loop writes it when the fd is writable again.
 */
#ifndef PRIVSEP_SINK_H
#define PRIVSEP_SINK_H

#include <stddef.h>
#include <sys/types.h>

enum sink_kind { SINK_DISCARD, SINK_FILE, SINK_SOCKET, SINK_OWN, SINK_POLL };

struct sink {
	int fd;  /* 1 or 2: what the event loop waits on */
	int wfd; /* what is written: fd, or a description of our own */
	enum sink_kind kind;
	int tty;      /* a terminal: bytes for it are escaped by the caller */
	int journal;  /* the journal's stream (JOURNAL_STREAM names fd's dev:ino) */
	size_t chunk; /* SINK_POLL: the most one write carries */
	char *buf;    /* cap bytes, of which len from off wait */
	size_t cap, off, len;
	int armed; /* fd is in the event loop, waiting to be writable */
};

/* Look at fd and choose how to write to it; cap bytes of buffer (0:
 * none).  -1 only for ENOMEM; a closed fd becomes a sink that discards. */
int sink_open(struct sink *s, int fd, size_t cap);
void sink_close(struct sink *s);
/* 1 if fd is the stream the service manager connected to the journal:
 * $JOURNAL_STREAM is "DEV:INO" (systemd.exec(5)) and names fd's device
 * and inode; else 0. */
int sink_is_journal(int fd);
/* 1 if fd is the sink's own description (the helper's fd, not a worker's) */
int sink_owns_fd(const struct sink *s, int fd);

/* Wait in epfd (tag: its epoll data) for s to be writable while want
 * (it holds bytes), and stop waiting once it is empty. */
void sink_arm(int epfd, struct sink *s, void *tag, int want);

/* Write up to n bytes now, never waiting: the bytes written (0: no room
 * now), or -1 with errno (EPIPE, EIO: the sink is broken; it discards
 * from then on). */
ssize_t sink_try(struct sink *s, const void *p, size_t n);

/* All n bytes, after what waits: written now or kept in the buffer, 0;
 * -1 with errno ENOBUFS when the buffer has no room for them (nothing is
 * taken: the caller counts the loss), or another errno when the sink is
 * broken. */
int sink_put(struct sink *s, const void *p, size_t n);

/* Write what waits: 0 when nothing is left, 1 when some still waits, -1
 * when the sink broke (what waited is gone). */
int sink_flush(struct sink *s);

#endif
