/* SPDX-License-Identifier: ISC */
/*
 * notify_bench.c - privsep-bench's transparent open: what an open costs a
 * program under privsep-run.  The child loads the same notifier filter
 * (fs_notify_filter, sandbox_listener) and opens with plain open(2); this
 * process serves each open with fs_notify_serve under a policy with one
 * path rule, as privsep-run's loop does.  The child times its own calls.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs_notify.h"
#include "notify_bench.h"
#include "policy.h"
#include "sandbox.h"

struct notify_bench {
	pid_t pid;
	int ctl, res, lfd;
	struct policy *pol;
	struct fs_root roots;
	struct fs_notify n;
};

static uint64_t now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void child(const char *path, int sock, int ctl, int res)
{
	struct filter_prog prog;
	static uint64_t t[4096];
	char cmd;
	int per;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || fs_notify_filter(&prog, NULL, 0) < 0 ||
	    sandbox_listener(&prog, sock) < 0)
		_exit(2);
	while (read(ctl, &cmd, 1) == 1 && cmd == 'g' && read(ctl, &per, sizeof(per)) == 4) {
		for (int i = 0; i < per && i < 4096; i++) {
			uint64_t s = now();
			int fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				_exit(3);
			close(fd);
			t[i] = now() - s;
		}
		if (write(res, t, (size_t)per * sizeof(t[0])) !=
		    (ssize_t)((size_t)per * sizeof(t[0])))
			_exit(4);
	}
	_exit(0);
}

int notify_take_fd(int sock)
{
	char cbuf[CMSG_SPACE(sizeof(int))], b;
	struct iovec iov = {&b, 1};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	int fd = -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void diag(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "bench: notify policy: %s\n", msg);
}

struct notify_bench *notify_bench_start(const char *path)
{
	struct notify_bench *nb = calloc(1, sizeof(*nb));
	char text[512];
	int s[2], c[2], r[2];
	if (!nb)
		return NULL;
	snprintf(text, sizeof(text), "version 1\npath \"%s\" allow read\n", path);
	nb->pol = policy_load("bench-notify.policy", text, diag, NULL);
	if (!nb->pol || fs_roots_open(&nb->roots, nb->pol, NULL, NULL) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, s) < 0 ||
	    pipe2(c, O_CLOEXEC) < 0 || pipe2(r, O_CLOEXEC) < 0) {
		free(nb);
		return NULL;
	}
	nb->pid = fork();
	if (nb->pid == 0) {
		/* the child keeps no end of its own control pipe: its EOF
		 * is the stop */
		close(s[0]);
		close(c[1]);
		close(r[0]);
		child(path, s[1], c[0], r[1]);
	}
	close(s[1]);
	close(c[0]);
	close(r[1]);
	nb->ctl = c[1];
	nb->res = r[0];
	nb->lfd = notify_take_fd(s[0]);
	close(s[0]);
	if (nb->lfd < 0) {
		notify_bench_stop(nb);
		errno = EPERM;
		return NULL;
	}
	(void)fs_notify_sync_wakeup(nb->lfd); /* as privsep-run does */
	nb->n.listener = nb->lfd;
	nb->n.pol = nb->pol;
	nb->n.roots = &nb->roots;
	return nb;
}

int notify_bench_block(struct notify_bench *nb, uint64_t *t, int per)
{
	size_t want = (size_t)per * sizeof(*t), got = 0;
	if (write(nb->ctl, "g", 1) != 1 || write(nb->ctl, &per, sizeof(per)) != sizeof(per))
		return -1;
	while (got < want) {
		struct pollfd p[2] = {{nb->lfd, POLLIN, 0}, {nb->res, POLLIN, 0}};
		if (poll(p, 2, -1) < 0)
			continue;
		if (p[0].revents & POLLIN)
			fs_notify_serve(&nb->n);
		if (p[1].revents) {
			ssize_t k = read(nb->res, (char *)t + got, want - got);
			if (k <= 0)
				return -1;
			got += (size_t)k;
		}
	}
	return 0;
}

void notify_bench_stop(struct notify_bench *nb)
{
	int st;
	if (nb->ctl > 0)
		close(nb->ctl);
	if (nb->res > 0)
		close(nb->res);
	if (nb->lfd >= 0)
		close(nb->lfd);
	if (nb->pid > 0)
		waitpid(nb->pid, &st, 0);
	fs_roots_close(&nb->roots);
	if (nb->pol)
		policy_free(nb->pol);
	free(nb);
}
