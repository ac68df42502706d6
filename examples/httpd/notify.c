/* SPDX-License-Identifier: ISC */
/*
 * notify.c - sd_notify without libsystemd: the protocol is one datagram
 * on an AF_UNIX socket, which is all a service manager reads.  The
 * helper never waits for it (MSG_DONTWAIT), but for its last message.
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "notify.h"

/* notify_open's socket: -1, none (each message opens its own) */
static int kept = -1;

/* A datagram socket connected to $NOTIFY_SOCKET: the fd, -1 with errno,
 * or -2 when it is not set. */
static int connect_notify(void)
{
	const char *name = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t n;
	socklen_t len;
	int fd, saved;

	if (!name || !*name)
		return -2;
	n = strlen(name);
	if ((name[0] != '/' && name[0] != '@') || n >= sizeof(sa.sun_path) || n < 2) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sa.sun_path, name, n);
	if (name[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract: no terminating NUL counted */
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* connected, poll sees whether the reader's queue has room */
	if (connect(fd, (struct sockaddr *)&sa, len) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

int notify_open(void)
{
	int fd;
	if (kept >= 0)
		return 0;
	fd = connect_notify();
	if (fd == -2)
		return 1;
	if (fd < 0)
		return -1;
	kept = fd;
	return 0;
}

static int send_msg(const char *msg, int wait_ms)
{
	ssize_t sent;
	int fd = kept >= 0 ? kept : connect_notify(), saved;

	if (fd == -2)
		return 1;
	if (fd < 0)
		return -1;
	if (wait_ms > 0) {
		struct pollfd p = {.fd = fd, .events = POLLOUT};
		(void)poll(&p, 1, wait_ms);
	}
	sent = send(fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT);
	saved = errno;
	if (fd != kept)
		close(fd);
	errno = saved;
	return sent == (ssize_t)strlen(msg) ? 0 : -1;
}

int notify_send(const char *msg)
{
	return send_msg(msg, 0);
}

int notify_send_wait(const char *msg, int wait_ms)
{
	return send_msg(msg, wait_ms);
}
