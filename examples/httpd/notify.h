/* SPDX-License-Identifier: ISC */
/*
 * notify.h - the sd_notify protocol, for Type=notify services: one
 * datagram of "KEY=VALUE" lines to the socket $NOTIFY_SOCKET names.
 */
#ifndef HTTPD_NOTIFY_H
#define HTTPD_NOTIFY_H

/* Send msg ("READY=1\nSTATUS=...") to $NOTIFY_SOCKET: a path, or an
 * abstract name written "@name".  0 when sent, 1 when NOTIFY_SOCKET is
 * not set (nothing to do), -1 with errno (EINVAL for a name that is not
 * one, or the socket's error). */
int notify_send(const char *msg);

#endif
