/* SPDX-License-Identifier: ISC */
/*
 * spawner_peer.c - reading a confined helper's spawner's answers and
 * standard error in the tests that play its compromised helper
 * (spawner_peer.h).
 */
#define _GNU_SOURCE 1
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "privsep.h"
#include "spawner.h"
#include "spawner_peer.h"

static int on_report(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

const struct privsep_handler spawner_peer_table[1] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

const char *spawner_peer_argv_report[5] = {"exec_worker", PRIVSEP_EXEC_MARKER, "report", "-", NULL};

int spawner_peer_answer(int sock, uint32_t *err, pid_t *pid, int *keep, size_t maxkeep,
                        size_t *nkeep)
{
	uint8_t buf[SPAWNER_ANS_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	struct pollfd p = {sock, POLLIN, 0};
	struct privsep_reader r;
	uint32_t magic = 0, e = 0, ipid = 0;
	const void *log;
	size_t loglen, kept = 0;
	ssize_t n;
	if (nkeep)
		*nkeep = 0;
	if (poll(&p, 1, 20000) != 1)
		return -1;
	n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	if (n <= 0)
		return -1;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				if (keep && kept < maxkeep)
					keep[kept++] = fd;
				else
					close(fd);
			}
	if (nkeep)
		*nkeep = kept;
	privsep_reader_init(&r, buf, (size_t)n);
	privsep_reader_get_u32(&r, &magic);
	privsep_reader_get_u32(&r, &e);
	privsep_reader_get_bytes(&r, &log, &loglen);
	privsep_reader_get_u32(&r, &ipid);
	if (r.err || magic != SPAWNER_ANS_MAGIC)
		return -1;
	*err = e;
	*pid = (pid_t)ipid;
	return 0;
}

void spawner_peer_got(int sock, pid_t pid)
{
	uint8_t got[8];
	struct privsep_writer w;
	privsep_writer_init(&w, got, sizeof(got));
	privsep_writer_put_u32(&w, SPAWNER_GOT_MAGIC);
	privsep_writer_put_u32(&w, (uint32_t)pid);
	(void)send(sock, got, w.len, MSG_NOSIGNAL);
}

int spawner_peer_end(int sock, pid_t pid, uint32_t *err)
{
	uint8_t buf[16];
	struct privsep_writer w;
	struct privsep_reader r;
	struct pollfd p = {sock, POLLIN, 0};
	uint32_t magic = 0, ipid = 0;
	ssize_t n;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, SPAWNER_END_MAGIC);
	privsep_writer_put_u32(&w, (uint32_t)pid);
	if (send(sock, buf, w.len, MSG_NOSIGNAL) != (ssize_t)w.len || poll(&p, 1, 20000) != 1)
		return -1;
	n = recv(sock, buf, sizeof(buf), 0);
	if (n <= 0)
		return -1;
	privsep_reader_init(&r, buf, (size_t)n);
	privsep_reader_get_u32(&r, &magic);
	privsep_reader_get_u32(&r, &ipid);
	privsep_reader_get_u32(&r, err);
	return privsep_reader_end(&r) < 0 || magic != SPAWNER_ENDED_MAGIC || ipid != (uint32_t)pid
	           ? -1
	           : 0;
}

int spawner_peer_lines_with(int fd, const char *s)
{
	char buf[16384];
	ssize_t k = pread(fd, buf, sizeof(buf) - 1, 0);
	int n = 0;
	buf[k > 0 ? k : 0] = '\0';
	for (const char *p = buf; (p = strstr(p, s)); p += strlen(s))
		n++;
	return n;
}

int spawner_peer_start(struct privsep_helper *h)
{
	int err2 = memfd_create("spawner-stderr", MFD_CLOEXEC), saved2 = dup(STDERR_FILENO);
	assert_true(err2 >= 0 && saved2 >= 0);
	assert_true(dup2(err2, STDERR_FILENO) >= 0);
	assert_int_equal(spawner_start(h), 0);
	assert_true(dup2(saved2, STDERR_FILENO) >= 0);
	close(saved2);
	return err2;
}

struct hx *spawner_peer_helper(struct privsep_exec *ex)
{
	struct hx *x;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	x = hx_new(spawner_peer_table, 1, 0);
	*ex = (struct privsep_exec){.fd = privsep_exec_open(EXEC_WORKER),
	                            .argv = spawner_peer_argv_report};
	assert_non_null(x);
	assert_true(ex->fd >= 0);
	return x;
}
