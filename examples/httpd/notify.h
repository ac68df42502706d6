/* SPDX-License-Identifier: ISC */
/*
 * notify.h - the sd_notify protocol, for Type=notify services: one
 * datagram of "KEY=VALUE" lines to the socket $NOTIFY_SOCKET names.
 */
#ifndef HTTPD_NOTIFY_H
#define HTTPD_NOTIFY_H

/* Send msg ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET: a path, or an
 * abstract name written "@name".  Never waits: a reader whose queue is
 * full (a service manager that does not read) costs the message, EAGAIN.
 * 0 when sent, 1 when NOTIFY_SOCKET is not set (nothing to do), -1 with
 * errno (EINVAL for a name that is not one, EAGAIN, or the socket's
 * error). */
int notify_send(const char *msg);
/* Connect once, for every later message: what a helper under its own
 * filter (no socket, no connect) still sends through.  0, 1 when
 * NOTIFY_SOCKET is not set, -1 with errno. */
int notify_open(void);
/* The same, waiting up to wait_ms for room in the reader's queue: for
 * the last message (STOPPING=1), when nothing else is served. */
int notify_send_wait(const char *msg, int wait_ms);

#endif
