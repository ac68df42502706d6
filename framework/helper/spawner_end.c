/* SPDX-License-Identifier: ISC */
/*
 * spawner_end.c - what becomes of the process the spawner cloned: the
 * spawner keeps its pidfd until the helper says, by one record, that it
 * holds the pidfd of the answer (GOT) or that it does not (END: the
 * answer was cut to no fd by the helper's fd limit), and then the
 * spawner kills that process through the pidfd it kept.
 *
 * Why the spawner keeps it rather than the helper asking later by pid:
 * the pidfd names the process it cloned and no other, for as long as it
 * is held (a pid reaped and given to another process is never signalled
 * through it), and it is held from the clone3 on, so there is no moment
 * at which the worker runs with nobody able to end it.  The spawner ends
 * nothing else: a request naming any pid but the one it still holds
 * (the helper's own, 1, a worker already handed over, an old pid) is
 * refused with one line on its standard error, outside the helper's
 * reach, and answered ESRCH.  A compromised helper that withholds its
 * GOT can have the last worker it was handed killed, which it can do
 * itself through that worker's pidfd: nothing more.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_int.h"
#include "spawner.h"

/* The spawner's wait for a killed process to end, at most. */
#define SPAWNER_END_MS 2000

/* ---- in the spawner ---- */

static void ended(int sock, uint32_t pid, uint32_t err)
{
	uint8_t buf[12];
	struct privsep_writer w;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, SPAWNER_ENDED_MAGIC);
	privsep_writer_put_u32(&w, pid);
	privsep_writer_put_u32(&w, err);
	/* the helper gone: the next recvmsg sees EOF */
	(void)send(sock, buf, w.len, MSG_NOSIGNAL);
}

/* Wait (bounded) for the process of pidfd to end: 0, or ETIMEDOUT. */
static uint32_t wait_end(int pidfd)
{
	int64_t end = clock_now_ms() + SPAWNER_END_MS;
	for (;;) {
		struct pollfd p = {pidfd, POLLIN, 0};
		int64_t left = end - clock_now_ms();
		int n = poll(&p, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno == EINTR)
			continue;
		return n > 0 ? 0 : ETIMEDOUT;
	}
}

void spawner_held_drop(struct spawner_held *k)
{
	if (k->pidfd >= 0)
		close(k->pidfd);
	k->pidfd = -1;
	k->pid = 0;
}

int spawner_held_record(struct spawner_held *k, int sock, const uint8_t *buf, size_t len,
                        size_t nfds, char *why, size_t whylen)
{
	struct privsep_reader r;
	uint32_t magic = 0, pid = 0, err = 0;

	privsep_reader_init(&r, buf, len);
	if (privsep_reader_get_u32(&r, &magic) < 0 ||
	    (magic != SPAWNER_GOT_MAGIC && magic != SPAWNER_END_MAGIC))
		return 0;
	privsep_reader_get_u32(&r, &pid);
	if (privsep_reader_end(&r) < 0 || nfds) {
		snprintf(why, whylen, "a malformed %s record (%zu bytes, %zu fds)",
		         magic == SPAWNER_GOT_MAGIC ? "GOT" : "END", len, nfds);
		return -1;
	}
	if (magic == SPAWNER_GOT_MAGIC) {
		if (k->pidfd < 0 || pid != (uint32_t)k->pid) {
			snprintf(why, whylen,
			         "the helper says it holds pid %u, which is not the process the "
			         "spawner cloned last and holds (%d)",
			         pid, k->pidfd < 0 ? 0 : (int)k->pid);
			return -1;
		}
		spawner_held_drop(k);
		return 1;
	}
	if (k->pidfd < 0 || pid == 0 || pid != (uint32_t)k->pid) {
		dprintf(STDERR_FILENO,
		        "privsep spawner (pid %d): refused to end pid %u: not the process it "
		        "cloned and still holds for the helper (%s %d); it ends no other\n",
		        (int)getpid(), pid, k->pidfd < 0 ? "none, last" : "it holds", (int)k->pid);
		ended(sock, pid, ESRCH);
		return 1;
	}
	/* through the pidfd: the process it cloned, or nothing (ESRCH: it
	 * was reaped already, and its pid may be another's now) */
	if (pidfd_send_signal(k->pidfd, SIGKILL, NULL, 0) < 0 && errno != ESRCH)
		err = (uint32_t)errno;
	else
		err = wait_end(k->pidfd);
	spawner_held_drop(k);
	ended(sock, pid, err);
	return 1;
}

/* ---- in the helper ---- */

int spawner_sock_wait(const struct privsep_helper *h, int64_t end)
{
	for (;;) {
		struct epoll_event ev;
		int64_t left = end - clock_now_ms();
		int n = epoll_wait(h->spawner.epfd, &ev, 1, left > 0 ? (int)left : 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			errno = n == 0 ? ETIMEDOUT : errno;
			return -1;
		}
		return 0;
	}
}

static int send_rec(struct privsep_helper *h, uint32_t magic, pid_t pid)
{
	uint8_t buf[8];
	struct privsep_writer w;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, magic);
	privsep_writer_put_u32(&w, (uint32_t)pid);
	return send(h->spawner.sock, buf, w.len, MSG_NOSIGNAL | MSG_DONTWAIT) == (ssize_t)w.len
	           ? 0
	           : -1;
}

int spawner_got(struct privsep_helper *h, pid_t pid)
{
	return send_rec(h, SPAWNER_GOT_MAGIC, pid);
}

int spawner_end(struct privsep_helper *h, pid_t pid, uint32_t *err)
{
	int64_t end = clock_now_ms() + SPAWNER_ANSWER_MS;
	if (send_rec(h, SPAWNER_END_MAGIC, pid) < 0)
		return -1;
	for (;;) {
		uint8_t buf[16];
		struct iovec iov = {buf, sizeof(buf)};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		struct privsep_reader r;
		uint32_t magic = 0, ipid = 0;
		ssize_t k;
		if (spawner_sock_wait(h, end) < 0)
			return -1;
		/* no control buffer: an fd sent with it would be cut (and
		 * closed by the kernel), which is no answer of the spawner's */
		k = recvmsg(h->spawner.sock, &m, MSG_CMSG_CLOEXEC);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0) {
			errno = k == 0 ? EPIPE : errno;
			return -1;
		}
		privsep_reader_init(&r, buf, (size_t)k);
		privsep_reader_get_u32(&r, &magic);
		privsep_reader_get_u32(&r, &ipid);
		privsep_reader_get_u32(&r, err);
		if (privsep_reader_end(&r) < 0 || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) ||
		    magic != SPAWNER_ENDED_MAGIC || ipid != (uint32_t)pid) {
			errno = EPROTO;
			return -1;
		}
		return 0;
	}
}
