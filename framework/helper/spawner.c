/* SPDX-License-Identifier: ISC */
/*
 * spawner.c - the process that starts workers for a confined helper.
 *
 * privsep_helper_confine forks it just before the helper loads its own
 * filter: it is unconfined and keeps the helper's privileges.  From then
 * on every exec-mode worker the helper asks for is made here: the
 * channel, the pipes, the sandbox's plan (the policy compiled and
 * verified, the uid leased), then clone3 with CLONE_PARENT | CLONE_PIDFD,
 * so the worker is the helper's child (waitid on its pidfd, exit
 * classification and the pool's WNOWAIT work as for a worker the helper
 * forked) and never inherits the helper's filter: it runs under its own
 * filters only.  The helper's ends, the pidfd and the uid lease go back
 * by SCM_RIGHTS, and the spawner keeps none of them.
 *
 * Its only input is one SEQPACKET socket from the helper, one request
 * per record (spawner_req.c), read as strictly as a worker's record: a
 * malformed one, and it logs one line on standard error and exits (the
 * helper then starts nothing more).  It runs no application code, dies
 * with the helper (PR_SET_PDEATHSIG, then its parent checked) and at EOF.
 * It loads no filter of its own: every filter it loaded, each worker it
 * starts would inherit (SECURITY.md, "The helper").
 *
 * The helper waits for an answer, bounded (SPAWNER_ANSWER_MS): the
 * spawner answers as soon as the worker is cloned (it does not wait for
 * the worker's steps), so the wait is the helper's own fork's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chan.h"
#include "helper_int.h"
#include "spawn_exec.h"
#include "spawn_job.h"
#include "spawner.h"
#include "uidpool.h"

/* The answer's fds: pidfd, channel, standard error, output, lease (the
 * pidfd first: a cut answer brings it if it brings any). */
#define ANS_FDS 5
enum { BAD_RECORD = 1, BAD_FDS_CUT = 2 };
enum { ANS_F_LOG = 1, ANS_F_OUT = 2, ANS_F_LEASE = 4 };

/* The spawner's log lines of one spawn, sent with its answer: each a u32
 * level and a string. */
struct capture {
	uint8_t buf[SPAWNER_LOG_MAX];
	struct privsep_writer w;
};

/* in the spawner: the helper's log function's place in its copy */
static struct capture spawner_cap;

static void capture(enum privsep_log_level lvl, const char *line, void *arg)
{
	struct capture *c = arg;
	struct privsep_writer save = c->w;
	if (privsep_writer_put_u32(&c->w, (uint32_t)lvl) < 0 ||
	    privsep_writer_put_str(&c->w, line) < 0)
		c->w = save; /* no room: the line is lost, the others stay whole */
}

/* sendmsg with fds, never SIGPIPE. */
static int send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds, int flags)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * SPAWNER_REQ_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = {(void *)buf, len};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds && chan_put_fds(&m, u.b, sizeof(u), fds, nfds) < 0)
		return -1;
	return sendmsg(sock, &m, MSG_NOSIGNAL | flags) < 0 ? -1 : 0;
}

/* recvmsg of one record and at most max fds (*nfds; the fds of a record
 * with any other control data, or too many, are closed and *bad has
 * BAD_RECORD; a record whose fds the receiver's fd limit cut short has
 * BAD_FDS_CUT, the fds that arrived in *nfds, in order). */
static ssize_t recv_fds(int sock, void *buf, size_t len, int *fds, size_t max, size_t *nfds,
                        int *bad)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * (SPAWNER_REQ_FDS + 1))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {buf, len};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.b, .msg_controllen = sizeof(u.b)};
	ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	*nfds = 0;
	*bad = 0;
	if (n < 0)
		return -1;
	if (m.msg_flags & MSG_TRUNC)
		*bad |= BAD_RECORD;
	/* the buffer holds more fds than a record carries: a cut is the
	 * kernel's, at the fd limit (scm_detach_fds keeps the first ones) */
	if (m.msg_flags & MSG_CTRUNC)
		*bad |= BAD_FDS_CUT;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) {
			*bad |= BAD_RECORD;
			continue;
		}
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < max)
				fds[(*nfds)++] = fd;
			else {
				close(fd);
				*bad |= BAD_RECORD;
			}
		}
	}
	return n;
}

/* The page shared with a spawner (spawner_start) let go of. */
static void cloned_unmap(pid_t **cloned)
{
	if (*cloned)
		munmap(*cloned, (size_t)sysconf(_SC_PAGESIZE));
	*cloned = NULL;
}

/* The pid a spawner's clone wrote there (0: none since it was cleared),
 * and cleared: a worker's answer taken, or before a request. */
static pid_t cloned_take(pid_t *cloned)
{
	return cloned ? __atomic_exchange_n(cloned, 0, __ATOMIC_SEQ_CST) : 0;
}

/* ---- in the spawner ---- */

/* One answer: err 0 and the job's fds, or err and the log lines only. */
static void answer(int sock, struct capture *cap, int err, pid_t pid, int pidfd,
                   const struct spawn_job *j)
{
	uint8_t buf[SPAWNER_ANS_MAX];
	struct privsep_writer w;
	int fds[ANS_FDS];
	size_t nfds = 0;
	uint32_t f = 0;
	if (!err) {
		fds[nfds++] = pidfd;
		fds[nfds++] = j->sv[0];
		if (j->lp[0] >= 0) {
			f |= ANS_F_LOG;
			fds[nfds++] = j->lp[0];
		}
		if (j->op[0] >= 0) {
			f |= ANS_F_OUT;
			fds[nfds++] = j->op[0];
		}
		if (j->plan.lease >= 0) {
			f |= ANS_F_LEASE;
			fds[nfds++] = j->plan.lease;
		}
	}
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, SPAWNER_ANS_MAGIC);
	privsep_writer_put_u32(&w, (uint32_t)err);
	privsep_writer_put_bytes(&w, cap->buf, cap->w.len);
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)pid);
	privsep_writer_put_u32(&w, f);
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)j->plan.listen);
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)j->expect.root);
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)j->expect.uid);
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)j->expect.gid);
	privsep_writer_put_u64(&w, err ? 0 : (uint64_t)j->expect.filters);
	/* what the first filter's text was made of besides the request's:
	 * the program's fd number, the policy file's absolute path */
	privsep_writer_put_u32(&w, err ? 0 : (uint32_t)j->plan.exec.fdn);
	privsep_writer_put_str(&w, err ? "" : j->exec_abs);
	/* the helper gone: the next recvmsg sees EOF */
	(void)send_fds(sock, buf, w.len, fds, nfds, 0);
}

/* One request's worker, cloned as the helper's child; answered either
 * way, and nothing of it kept but its pidfd, in *k, until the helper
 * says what became of it (spawner_end.c). */
static void spawn_one(struct privsep_helper *h, struct spawner_req *q, int sock, pid_t helper,
                      struct spawner_held *k)
{
	struct capture *cap = &spawner_cap;
	struct spawn_job j;
	struct clone_args a;
	int pidfd = -1, err;
	long pid;

	privsep_writer_init(&cap->w, cap->buf, sizeof(cap->buf));
	h->log = capture;
	h->log_arg = cap;
	/* only what the helper could have started when it confined itself
	 * (spawner_known.c): the line on standard error, out of the
	 * helper's reach, and in the answer for the application's log */
	{
		char why[512];
		spawn_job_init(&j, &q->sp);
		if (spawner_known_check(h, q, j.mode, why, sizeof(why)) < 0) {
			dprintf(STDERR_FILENO,
			        "privsep spawner (pid %d): refused worker \"%s\": %s\n",
			        (int)getpid(), j.name, why);
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": not started: the spawner refused it: %s", j.name,
			         why);
			answer(sock, cap, EPERM, 0, -1, &j);
			return;
		}
	}
	for (int tries = 0;; tries++) {
		spawn_job_init(&j, &q->sp);
		if (spawn_job_prepare(h, &q->sp, &j) < 0) {
			answer(sock, cap, errno ? errno : EINVAL, 0, -1, &j);
			return;
		}
		/* what was compiled is what was checked: a file the text
		 * includes was read again (spawner_known.c) */
		{
			char why[512];
			if (spawner_known_used(q, j.mode, j.pol, j.filter_pol, why, sizeof(why)) <
			    0) {
				dprintf(STDERR_FILENO,
				        "privsep spawner (pid %d): refused worker \"%s\": %s\n",
				        (int)getpid(), j.name, why);
				log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
				         "worker \"%s\": not started: the spawner refused it: %s",
				         j.name, why);
				job_close(&j);
				sandbox_release(&j.plan);
				answer(sock, cap, EPERM, 0, -1, &j);
				return;
			}
		}
		/* the request's flags were checked (spawner_req.c); a policy
		 * that says "namespaces off" takes the same part of the
		 * sandbox away, and the policy text is the helper's too */
		if (j.plan.flags & PRIVSEP_SB_NO_NAMESPACES) {
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": not started: its policy says \"namespaces off\", "
			         "and a confined helper's spawner starts no worker without its "
			         "namespaces",
			         j.name);
			job_close(&j);
			sandbox_release(&j.plan);
			answer(sock, cap, EPERM, 0, -1, &j);
			return;
		}
		/* a uid leased ahead is checked again before the clone (the
		 * helper waits for this answer anyway, so nothing is gained
		 * by overlapping it with the child's steps): the child then
		 * waits for no byte at step 5, only for the helper's go */
		if (spawn_uid_check(h, &j) == 0)
			break;
		err = errno;
		job_close(&j);
		sandbox_release(&j.plan);
		if (err != EEXIST || tries) {
			answer(sock, cap, err, 0, -1, &j);
			return;
		}
		/* taken since its lease: once more, with a lease made now */
	}
	/* the worker's parent, which step 7 checks, is the helper */
	j.plan.helper = helper;
	memset(&a, 0, sizeof(a));
	/* the kernel writes the pid into the page the helper shares before
	 * the clone returns: this process killed at any moment from then,
	 * the helper still knows its child (gone_finish) */
	a.flags = CLONE_PARENT | CLONE_PIDFD | (h->spawner.cloned ? CLONE_PARENT_SETTID : 0);
	a.pidfd = (uint64_t)(uintptr_t)&pidfd;
	a.parent_tid = (uint64_t)(uintptr_t)h->spawner.cloned;
	a.exit_signal = 0; /* CLONE_PARENT: the spawner's own, SIGCHLD */
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0) {
		char b = 0;
		ssize_t n;
		close(sock);
		/* nothing runs until the helper holds this process's pidfd
		 * and channel: its go, or end of file when the answer is
		 * never read (the spawner lost, killed by the helper: no
		 * one could end this process then, and a program that never
		 * uses its channel would run on unmanaged) */
		close(j.sv[0]);
		j.sv[0] = -1;
		do
			n = recv(j.sv[1], &b, 1, 0);
		while (n < 0 && errno == EINTR);
		if (n != 1 || b != SPAWNER_GO)
			_exit(127);
		spawn_job_child(h, &q->sp, &j);
	}
	err = errno;
	job_close_child_ends(&j);
	if (pid < 0)
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "worker \"%s\": clone3: %s", j.name,
		         strerror(err));
	answer(sock, cap, pid < 0 ? err : 0, (pid_t)pid, pidfd, &j);
	/* handed over: the helper holds them now; the pidfd is kept until
	 * the helper says it holds its own (an answer cut to no fd brings
	 * it none, and then this one ends the worker) */
	if (pid > 0) {
		k->pidfd = pidfd;
		k->pid = (int)pid;
	} else if (pidfd >= 0)
		close(pidfd);
	job_close(&j);
	if (j.plan.lease >= 0) {
		sandbox_release(&j.plan);
		/* the next spawn's uid, leased ahead while the helper does not
		 * wait (its scan of /proc is most of a spawn's time here) */
		uidpool_prefetch();
	}
}

__attribute__((noreturn)) static void spawner_fail(const char *why)
{
	dprintf(STDERR_FILENO, "privsep spawner (pid %d): %s; it exits\n", (int)getpid(), why);
	_exit(1);
}

__attribute__((noreturn)) static void spawner_main(struct privsep_helper *h, int sock, pid_t helper)
{
	uint8_t *buf;
	char why[256];
	struct spawner_held held = {-1, 0};

	/* it dies with the helper */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != helper)
		_exit(1);
	(void)prctl(PR_SET_NAME, "privsep-spawner");
	/* the page shared with the helper is not a worker's */
	if (h->spawner.cloned &&
	    madvise(h->spawner.cloned, (size_t)sysconf(_SC_PAGESIZE), MADV_DONTFORK) < 0)
		_exit(1);
	signals_default();
	/* nothing of the helper's but its standard fds: not a worker's
	 * channel (its EOF would never come), the broker's roots, the
	 * uid leased ahead (the helper drops its own copy too) */
	uidpool_drop_spare();
	helper_policies_forget_roots(h);
	/* what it may start: what the helper could start now */
	spawner_known_take(h);
	if (sock <= STDERR_FILENO) {
		int hi = fcntl(sock, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		if (hi < 0)
			_exit(1);
		sock = hi;
	}
	if (dup3(sock, STDERR_FILENO + 1, O_CLOEXEC) < 0 ||
	    (sock != STDERR_FILENO + 1 && close(sock) < 0) ||
	    close_range(STDERR_FILENO + 2, ~0u, 0) < 0)
		_exit(1);
	sock = STDERR_FILENO + 1;
	buf = malloc(SPAWNER_REQ_MAX + 1);
	if (!buf)
		_exit(1);
	/* set up: the helper goes on only now (its fds are closed here, this
	 * process is named) */
	{
		const uint32_t ready = SPAWNER_READY_MAGIC;
		if (send_fds(sock, &ready, sizeof(ready), NULL, 0, 0) < 0)
			_exit(1);
	}
	for (;;) {
		int fds[SPAWNER_REQ_FDS];
		size_t nfds;
		int bad;
		struct spawner_req q;
		ssize_t n =
		    recv_fds(sock, buf, SPAWNER_REQ_MAX + 1, fds, SPAWNER_REQ_FDS, &nfds, &bad);
		if (n == 0)
			_exit(0); /* the helper closed it, or is gone */
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		if (bad || (size_t)n > SPAWNER_REQ_MAX) {
			snprintf(
			    why, sizeof(why),
			    "a request truncated, over %d bytes, with more than %d fds or other "
			    "control data",
			    SPAWNER_REQ_MAX, SPAWNER_REQ_FDS);
			spawner_fail(why);
		}
		switch (spawner_held_record(&held, sock, buf, (size_t)n, nfds, why, sizeof(why))) {
		case 1:
			continue;
		case -1:
			spawner_fail(why);
		}
		/* the helper says what became of each process before it asks
		 * for the next: one pidfd kept at most, never in a clone */
		if (held.pidfd >= 0) {
			snprintf(why, sizeof(why),
			         "a spawn request before the helper said what became of pid %d, "
			         "the last process it cloned",
			         held.pid);
			spawner_fail(why);
		}
		if (spawner_req_read(&q, buf, (size_t)n, fds, nfds, why, sizeof(why)) < 0)
			spawner_fail(why);
		if (getppid() != helper)
			_exit(1);
		spawn_one(h, &q, sock, helper, &held);
		spawner_req_free(&q);
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
	}
}

/* ---- in the helper ---- */

int helper_can_spawn(const struct privsep_helper *h, const struct privsep_spawn *sp)
{
	return !h->confined || (h->spawner.sock >= 0 && sp->exec);
}

/* Wait (bounded) for the spawner's one record that says it is set up. */
static int spawner_ready(struct privsep_helper *h)
{
	int64_t end = clock_now_ms() + SPAWNER_ANSWER_MS;
	for (;;) {
		uint32_t ready = 0;
		if (spawner_sock_wait(h, end) < 0)
			return -1;
		ssize_t k = recv(h->spawner.sock, &ready, sizeof(ready), 0);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k != (ssize_t)sizeof(ready) || ready != SPAWNER_READY_MAGIC) {
			errno = k < 0 ? errno : EPROTO;
			return -1;
		}
		return 0;
	}
}

int spawner_start(struct privsep_helper *h)
{
	int sv[2], pidfd, epfd;
	pid_t helper = getpid(), pid;

	if (h->spawner.sock >= 0)
		return 0;
	h->spawner.cloned = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE,
	                         MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (h->spawner.cloned == MAP_FAILED) {
		h->spawner.cloned = NULL;
		goto fail;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		cloned_unmap(&h->spawner.cloned);
		goto fail;
	}
	fflush(NULL); /* or the spawner would write the helper's buffered output again */
	spawner_known_hold();
	pid = fork();
	spawner_known_release();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		cloned_unmap(&h->spawner.cloned);
		errno = e;
		goto fail;
	}
	if (pid == 0) {
		close(sv[0]);
		spawner_main(h, sv[1], helper);
	}
	close(sv[1]);
	pidfd = pidfd_open(pid, 0);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	/* the page the spawner writes pids into is no other child's of the
	 * helper (an application thread's fork after confining): a pid
	 * planted there would be reaped as a worker's */
	if (pidfd < 0 || epfd < 0 ||
	    madvise(h->spawner.cloned, (size_t)sysconf(_SC_PAGESIZE), MADV_DONTFORK) < 0 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, sv[0], &(struct epoll_event){.events = EPOLLIN}) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		if (pidfd >= 0)
			close(pidfd);
		if (epfd >= 0)
			close(epfd);
		close(sv[0]);
		cloned_unmap(&h->spawner.cloned);
		errno = e;
		goto fail;
	}
	h->spawner.sock = sv[0];
	h->spawner.pidfd = pidfd;
	h->spawner.epfd = epfd;
	h->spawner.pid = pid;
	if (spawner_ready(h) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		spawner_stop(h);
		errno = e;
		goto fail;
	}
	/* the spawner leases every uid from now on */
	uidpool_drop_spare();
	h->lease_ahead = 0;
	return 0;
fail:
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "helper: cannot start the spawner: %s",
	         strerror(errno));
	return -1;
}

/* The first look at a worker of a cut answer, and the longest wait
 * between two (and of the spawner given up, not ended yet). */
#define ORPHAN_FIRST_MS 5
#define ORPHAN_MAX_MS 1000

/* Whether the process of pidfd ended (not reaped: WNOWAIT), waited for
 * at most ms in epfd, which holds pidfd (poll fails with EINVAL once
 * another thread set the fd limit to 0). */
static int ended_wait(int epfd, int pidfd, int ms)
{
	int64_t end = clock_now_ms() + ms;
	for (;;) {
		siginfo_t si;
		struct epoll_event ev;
		int64_t left;
		memset(&si, 0, sizeof(si));
		if (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			return 1; /* ECHILD: nothing left to wait for */
		}
		if (si.si_pid)
			return 1;
		left = end - clock_now_ms();
		if (left <= 0)
			return 0;
		if (epoll_wait(epfd, &ev, 1, (int)left) < 0 && errno != EINTR)
			return 0;
	}
}

static void unread_answers(struct privsep_helper *h, int sock, const char *name);
static void orphan_note(struct privsep_helper *h, const char *name, pid_t pid);
static int orphan_noted(const struct privsep_helper *h, pid_t pid);

/* The spawner given up, ended: the answers it left read (when its
 * socket is still open), then it is reaped. */
static void gone_finish(struct privsep_helper *h)
{
	siginfo_t si;
	pid_t pid;
	if (h->spawner.gone.sock >= 0) {
		unread_answers(h, h->spawner.gone.sock, h->spawner.gone.name);
		close(h->spawner.gone.sock);
		h->spawner.gone.sock = -1;
	}
	/* a worker it cloned and never answered for (killed between its
	 * clone and its answer, or given up on before the answer came):
	 * the helper's child, which ends by itself at its channel's end of
	 * file, before it runs anything, and is reaped then */
	pid = cloned_take(h->spawner.gone.cloned);
	cloned_unmap(&h->spawner.gone.cloned);
	if (pid > 0 && !orphan_noted(h, pid)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": process %d, cloned by the spawner that ended before it "
		         "answered, ends before it runs anything and is reaped",
		         h->spawner.gone.name, (int)pid);
		orphan_note(h, h->spawner.gone.name, pid);
	}
	memset(&si, 0, sizeof(si));
	while (waitid((idtype_t)P_PIDFD, (id_t)h->spawner.gone.pidfd, &si, WEXITED | WNOHANG) < 0 &&
	       errno == EINTR)
		;
	close(h->spawner.gone.pidfd);
	close(h->spawner.gone.epfd);
	h->spawner.gone.pidfd = h->spawner.gone.epfd = -1;
}

/* The spawner given up (killed, or its socket closed when !unread: its
 * EOF, it exits): waited for SPAWNER_GONE_MS at most, never more (the
 * helper never blocks: a process killed in an uninterruptible sleep ends
 * when that sleep does).  Ended: what it left is taken now (gone_finish);
 * not yet: kept, with its socket, for a later turn of the loop
 * (spawner_orphans_reap), said in one line. */
static void spawner_give_up(struct privsep_helper *h, const char *name, int unread)
{
	struct epoll_event ev = {.events = EPOLLIN};
	/* only its end wakes the wait, not an answer in its socket */
	(void)epoll_ctl(h->spawner.epfd, EPOLL_CTL_DEL, h->spawner.sock, NULL);
	if (!unread) {
		close(h->spawner.sock);
		h->spawner.sock = -1;
	}
	(void)epoll_ctl(h->spawner.epfd, EPOLL_CTL_ADD, h->spawner.pidfd, &ev);
	h->spawner.gone.sock = h->spawner.sock;
	h->spawner.gone.pidfd = h->spawner.pidfd;
	h->spawner.gone.epfd = h->spawner.epfd;
	h->spawner.gone.cloned = h->spawner.cloned;
	h->spawner.cloned = NULL;
	snprintf(h->spawner.gone.name, sizeof(h->spawner.gone.name), "%s", name);
	h->spawner.sock = h->spawner.pidfd = h->spawner.epfd = -1;
	if (ended_wait(h->spawner.gone.epfd, h->spawner.gone.pidfd, SPAWNER_GONE_MS)) {
		gone_finish(h);
		return;
	}
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
	         "spawner: process %d has not ended %d ms after it was %s: it is reaped, and "
	         "the answers it left are read, once it ends",
	         (int)h->spawner.pid, SPAWNER_GONE_MS, unread ? "killed" : "told to exit");
	h->spawner.gone.wait_ms = ORPHAN_FIRST_MS;
	h->spawner.gone.due_ms = clock_now_ms() + ORPHAN_FIRST_MS;
}

void spawner_stop(struct privsep_helper *h)
{
	if (h->spawner.sock >= 0)
		spawner_give_up(h, "", 0);
	/* the helper's end: the one given up has one more wait */
	if (h->spawner.gone.pidfd < 0)
		return;
	if (ended_wait(h->spawner.gone.epfd, h->spawner.gone.pidfd, SPAWNER_GONE_MS)) {
		gone_finish(h);
		return;
	}
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
	         "spawner: process %d still has not ended: not reaped (a zombie until the "
	         "helper's process exits); the channels of the answers it left are closed",
	         (int)h->spawner.pid);
	if (h->spawner.gone.sock >= 0)
		close(h->spawner.gone.sock);
	close(h->spawner.gone.pidfd);
	close(h->spawner.gone.epfd);
	cloned_unmap(&h->spawner.gone.cloned);
	h->spawner.gone.sock = h->spawner.gone.pidfd = h->spawner.gone.epfd = -1;
}

/* The spawner is gone or answered nonsense: no spawn from now on. */
static void spawner_lost(struct privsep_helper *h, const char *name, const char *why)
{
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
	         "worker \"%s\": not started: the spawner (pid %d) %s; no worker starts from now "
	         "on",
	         name, (int)h->spawner.pid, why);
	/* by its pidfd: kill is not in helper.policy (a confined helper
	 * calling it would be killed by its own filter) */
	(void)pidfd_send_signal(h->spawner.pidfd, SIGKILL, NULL, 0);
	spawner_give_up(h, name, 1);
	errno = ECHILD;
}

/* Whether pid is one the helper reaps otherwise: a worker's (by its
 * pidfd, which classifies its exit) or the spawner's. */
static int pid_known(const struct privsep_helper *h, pid_t pid)
{
	if (pid == h->spawner.pid)
		return 1;
	for (const struct privsep_worker *w = h->workers; w; w = w->next)
		if (w->pid == pid)
			return 1;
	return 0;
}

/* Whether pid waits to be reaped already (orphan_note). */
static int orphan_noted(const struct privsep_helper *h, pid_t pid)
{
	for (unsigned i = 0; i < h->spawner.norphans; i++)
		if (h->spawner.orphans[i] == pid)
			return 1;
	return 0;
}

/* pid, told by the spawner, is the worker of an answer cut to no fd: the
 * helper's child (CLONE_PARENT) that it cannot kill.  It is reaped once
 * it ends (spawner_orphans_reap); a pid the helper reaps otherwise is
 * not taken (a wrong pid must not take a worker's end from its pidfd). */
static void orphan_note(struct privsep_helper *h, const char *name, pid_t pid)
{
	if (pid_known(h, pid)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": the spawner's answer names pid %d, which is not the "
		         "process it cloned (a worker's or the spawner's): not reaped for it",
		         name, (int)pid);
		return;
	}
	if (h->spawner.norphans == SPAWNER_ORPHANS_MAX) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": its process %d ends by itself but stays a zombie until "
		         "the helper exits: %d others wait to be reaped already",
		         name, (int)pid, SPAWNER_ORPHANS_MAX);
		return;
	}
	h->spawner.orphans[h->spawner.norphans++] = pid;
	h->spawner.orphans_wait_ms = ORPHAN_FIRST_MS;
	h->spawner.orphans_due_ms = clock_now_ms() + ORPHAN_FIRST_MS;
}

static int64_t orphans_reap(struct privsep_helper *h)
{
	unsigned kept = 0;
	if (!h->spawner.norphans)
		return -1;
	if (clock_now_ms() < h->spawner.orphans_due_ms)
		return h->spawner.orphans_due_ms;
	for (unsigned i = 0; i < h->spawner.norphans; i++) {
		pid_t pid = h->spawner.orphans[i];
		siginfo_t si;
		int rc;
		/* its pid reaped by someone else and taken since by a worker:
		 * that worker's end is its pidfd's */
		if (pid_known(h, pid))
			continue;
		memset(&si, 0, sizeof(si));
		rc = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | __WALL);
		if ((rc == 0 && si.si_pid == 0) || (rc < 0 && errno == EINTR)) {
			h->spawner.orphans[kept++] = pid; /* still running */
			continue;
		}
		if (rc == 0)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
			         "spawner: process %d, the worker of an answer cut to no fd or "
			         "never read, ended (%s %d) and is reaped",
			         (int)pid, si.si_code == CLD_EXITED ? "status" : "signal",
			         si.si_status);
		/* else ECHILD: not the helper's child (any more); nothing to do */
	}
	h->spawner.norphans = kept;
	if (!kept)
		return -1;
	if (h->spawner.orphans_wait_ms < ORPHAN_MAX_MS)
		h->spawner.orphans_wait_ms *= 2;
	h->spawner.orphans_due_ms = clock_now_ms() + h->spawner.orphans_wait_ms;
	return h->spawner.orphans_due_ms;
}

/* The spawner given up, once it ended (spawner_give_up): when to look
 * again, or -1. */
static int64_t gone_reap(struct privsep_helper *h)
{
	if (h->spawner.gone.pidfd < 0)
		return -1;
	if (clock_now_ms() < h->spawner.gone.due_ms)
		return h->spawner.gone.due_ms;
	if (ended_wait(h->spawner.gone.epfd, h->spawner.gone.pidfd, 0)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
		         "spawner: process %d, given up, ended and is reaped", (int)h->spawner.pid);
		gone_finish(h);
		return -1;
	}
	if (h->spawner.gone.wait_ms < ORPHAN_MAX_MS)
		h->spawner.gone.wait_ms *= 2;
	h->spawner.gone.due_ms = clock_now_ms() + h->spawner.gone.wait_ms;
	return h->spawner.gone.due_ms;
}

int64_t spawner_orphans_reap(struct privsep_helper *h)
{
	int64_t a = gone_reap(h); /* first: the answers it left name orphans */
	int64_t b = orphans_reap(h);
	return a < 0 ? b : b < 0 || a < b ? a : b;
}

/* The answer to this spawn came with fewer fds than it carried: the
 * helper's fd limit (MSG_CTRUNC).  The worker cloned for it is the
 * helper's child (CLONE_PARENT) and its uid lease is gone: it is killed
 * and reaped now, before it runs on, what arrived is closed, and only
 * this spawn fails (EMFILE); the spawner goes on.  Through its pidfd
 * when that arrived (the GOT was sent); with no fd at all, a confined
 * helper cannot kill it itself (no kill nor pidfd_open in
 * helper.policy): the spawner, which kept its pidfd, ends it (END), and
 * the helper reaps it by the pid the answer told. */
static void spawner_cut(struct privsep_helper *h, const char *name, pid_t pid, int *fds,
                        size_t nfds, size_t want)
{
	int pidfd = nfds >= 1 ? fds[0] : -1; /* the pidfd first */
	int lost = 0;
	if (pidfd < 0) {
		uint32_t err = 0;
		int rc = spawner_end(h, pid, &err);
		int e = rc < 0 ? errno : 0;
		/* reaped once it ends: now, or at a turn of the loop */
		orphan_note(h, name, pid);
		h->spawner.orphans_due_ms = clock_now_ms();
		(void)spawner_orphans_reap(h);
		if (rc < 0 || err == ESRCH) {
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": no fd of the answer arrived, not its pidfd, and the "
			    "spawner did not end its process %d (%s): it ends at its first use of "
			    "its channel or when the helper dies",
			    name, (int)pid, rc < 0 ? strerror(e) : "refused");
			lost = 1;
		}
	} else {
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (pidfd_send_signal(pidfd, SIGKILL, NULL, 0) == 0)
			while (waitid((idtype_t)P_PIDFD, (id_t)pidfd, &si, WEXITED | __WALL) < 0 &&
			       errno == EINTR)
				;
	}
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
	         "worker \"%s\": not started: the helper's fd limit let %zu of the %zu fds of "
	         "the spawner's answer in; its process %d %s",
	         name, nfds, want, (int)pid,
	         lost        ? "is not killed"
	         : pidfd < 0 ? "is killed by the spawner"
	                     : "is killed");
	if (lost) {
		spawner_lost(h, name, "did not end the process it cloned");
		return;
	}
	errno = EMFILE;
}

/* The answer's fixed fields. */
struct ans {
	uint32_t magic, err, pid, f, listen, root, uid, gid;
	uint64_t filters;
	const void *log;
	size_t loglen;
	uint32_t fdn;
	const char *abs;
	size_t abslen;
};

static int ans_read(struct ans *a, const uint8_t *buf, size_t len)
{
	struct privsep_reader r;
	privsep_reader_init(&r, buf, len);
	privsep_reader_get_u32(&r, &a->magic);
	privsep_reader_get_u32(&r, &a->err);
	privsep_reader_get_bytes(&r, &a->log, &a->loglen);
	privsep_reader_get_u32(&r, &a->pid);
	privsep_reader_get_u32(&r, &a->f);
	privsep_reader_get_u32(&r, &a->listen);
	privsep_reader_get_u32(&r, &a->root);
	privsep_reader_get_u32(&r, &a->uid);
	privsep_reader_get_u32(&r, &a->gid);
	privsep_reader_get_u64(&r, &a->filters);
	privsep_reader_get_u32(&r, &a->fdn);
	privsep_reader_get_str(&r, &a->abs, &a->abslen);
	/* a started worker's program fd is above the standard ones and the
	 * channel; the path absolute, or none; a failed spawn has neither */
	return privsep_reader_end(&r) < 0 || a->magic != SPAWNER_ANS_MAGIC ||
	               (a->f & ~(uint32_t)(ANS_F_LOG | ANS_F_OUT | ANS_F_LEASE)) ||
	               a->abslen >= PATH_MAX || (a->abslen && a->abs[0] != '/') ||
	               (a->err ? a->fdn || a->abslen : a->fdn <= PRIVSEP_EXEC_CHAN_FD)
	           ? -1
	           : 0;
}

/* The spawner's lines, in the helper's log. */
static void ans_log(struct privsep_helper *h, const struct ans *a)
{
	struct privsep_reader r;
	privsep_reader_init(&r, a->log, a->loglen);
	while (r.off < r.len) {
		uint32_t lvl = 0;
		const char *line = NULL;
		if (privsep_reader_get_u32(&r, &lvl) < 0 ||
		    privsep_reader_get_str(&r, &line, NULL) < 0)
			return;
		log_line(h->log, h->log_arg,
		         lvl > PRIVSEP_LOG_DEBUG ? PRIVSEP_LOG_ERR : (enum privsep_log_level)lvl,
		         "%s", line);
	}
}

/* The helper's copy of the policy the worker's first filter was compiled
 * from (the same text the spawner compiled: spawn_exec_policy_text with
 * the answer's fd number and absolute path), read and checked, its roots
 * not opened: the names of its violations are that filter's rules.
 * NULL after one line (the worker's own policy then names them). */
static const struct policy *filter_copy(struct privsep_helper *h, const struct privsep_spawn *sp,
                                        const struct spawn_job *j, const struct ans *a)
{
	const char *text = sp->sandbox ? sp->sandbox->policy_text : NULL;
	const char *path = sp->sandbox ? sp->sandbox->policy : NULL;
	char name[PATH_MAX + 16], why[512];
	const struct pol_entry *pe = NULL;
	char *t =
	    spawn_exec_policy_text(text, path, a->abs, (int)a->fdn,
	                           !!(sp->exec->flags & PRIVSEP_EXEC_FOREIGN), name, sizeof(name));
	if (t)
		pe = helper_policy_read(h, name[0] ? name : NULL, t, j->mode, why, sizeof(why));
	else
		snprintf(why, sizeof(why), "%s", strerror(errno));
	free(t);
	if (!pe)
		log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		         "worker \"%s\": the helper has no copy of its first filter's policy (%s): "
		         "its violations are named by its own policy's rules",
		         j->name, why);
	return pe ? pol_entry_policy(pe) : NULL;
}

/* Wait for the answer (bounded) and read it: its length, or -1. */
/* The spawner given up (killed, just now): the answers it sent that the
 * helper did not read are in its socket once it is dead.  Each names a
 * worker cloned as the helper's child (CLONE_PARENT) that waits for the
 * helper's go on its channel: closing what arrived (its channel's other
 * end) ends it by itself, before it runs anything (status 127), and its
 * pid is reaped once it ended (spawner_orphans_reap), not left a zombie
 * until the helper exits.  A worker cloned and not yet answered for when
 * the spawner died is found by the pid the kernel wrote at its clone
 * (gone_finish). */
static void unread_answers(struct privsep_helper *h, int sock, const char *name)
{
	uint8_t buf[SPAWNER_ANS_MAX];
	int fds[ANS_FDS];
	/* it ended (gone_finish): nothing more comes */
	for (unsigned i = 0; i < SPAWNER_ORPHANS_MAX; i++) {
		struct ans a;
		size_t nfds = 0;
		int bad = 0;
		ssize_t n = recv_fds(sock, buf, sizeof(buf), fds, ANS_FDS, &nfds, &bad);
		int cloned;
		if (n <= 0)
			break; /* EAGAIN: none left */
		memset(&a, 0, sizeof(a));
		cloned = !(bad & BAD_RECORD) && nfds && ans_read(&a, buf, (size_t)n) == 0 &&
		         !a.err && a.pid;
		for (size_t k = 0; k < nfds; k++)
			close(fds[k]);
		if (!cloned)
			continue;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": process %d, cloned for an answer the helper never read, "
		         "ends before it runs anything and is reaped",
		         name, (int)a.pid);
		orphan_note(h, name, (pid_t)a.pid);
	}
}

static ssize_t ans_wait(struct privsep_helper *h, uint8_t *buf, size_t len, int *fds, size_t *nfds,
                        int *bad)
{
	int64_t end = clock_now_ms() + SPAWNER_ANSWER_MS;
	for (;;) {
		if (spawner_sock_wait(h, end) < 0)
			return -1;
		ssize_t k = recv_fds(h->spawner.sock, buf, len, fds, ANS_FDS, nfds, bad);
		if (k < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		return k;
	}
}

struct privsep_worker *spawner_spawn(struct privsep_helper *h, const struct privsep_spawn *sp,
                                     struct spawn_job *j)
{
	uint8_t *req, buf[SPAWNER_ANS_MAX];
	int fds[ANS_FDS], rfds[SPAWNER_REQ_FDS];
	size_t len, nfds = 0, nrfds = 0, want;
	const struct pol_entry *pe = NULL;
	struct ans a;
	ssize_t n;
	int bad;

	/* a worker of an earlier cut answer that ended: reaped first */
	(void)spawner_orphans_reap(h);
	/* the helper's own copy of the policy: the violations' names and
	 * the broker's rules (compiling one needs calls it no longer has) */
	if (!sp->unsandboxed) {
		char why[512];
		pe = helper_policy_checked(h, sp->sandbox ? sp->sandbox->policy : NULL,
		                           sp->sandbox ? sp->sandbox->policy_text : NULL, j->mode,
		                           why, sizeof(why));
		if (!pe) {
			int e = errno;
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": sandbox cannot be prepared: %s; not started",
			         j->name, why);
			errno = e;
			return NULL;
		}
	}
	req = malloc(SPAWNER_REQ_MAX);
	if (!req)
		return NULL;
	if (spawner_req_write(sp, req, SPAWNER_REQ_MAX, &len, rfds, &nrfds) < 0) {
		int e = errno;
		free(req);
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": not started: its spawn does not fit a request to the "
		         "spawner: %s",
		         j->name, strerror(e));
		errno = e;
		return NULL;
	}
	/* room for every fd of the answer, made sure of before anything is
	 * cloned: a spawn at the helper's fd limit fails here, alone */
	{
		int room[ANS_FDS];
		size_t k = 0;
		int e = 0;
		for (; k < ANS_FDS; k++) {
			room[k] = fcntl(h->spawner.sock, F_DUPFD_CLOEXEC, 0);
			if (room[k] < 0) {
				e = errno;
				break;
			}
		}
		for (size_t i = 0; i < k; i++)
			close(room[i]);
		if (k < ANS_FDS) {
			free(req);
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": not started: the helper has room for %zu of the %d fds "
			    "of the spawner's answer: %s",
			    j->name, k, ANS_FDS, strerror(e));
			errno = e;
			return NULL;
		}
	}
	(void)cloned_take(h->spawner.cloned);
	if (send_fds(h->spawner.sock, req, len, rfds, nrfds, MSG_DONTWAIT) < 0) {
		char why[128];
		snprintf(why, sizeof(why), "takes no request: %s", strerror(errno));
		free(req);
		spawner_lost(h, j->name, why);
		return NULL;
	}
	free(req);
	n = ans_wait(h, buf, sizeof(buf), fds, &nfds, &bad);
	memset(&a, 0, sizeof(a));
	if (n <= 0 || (bad & BAD_RECORD) || ans_read(&a, buf, (size_t)n) < 0) {
		char why[128];
		snprintf(why, sizeof(why), "%s",
		         n < 0 ? (errno == ETIMEDOUT ? "did not answer in time" : strerror(errno))
		         : n == 0 ? "is gone"
		                  : "answered with a malformed record");
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		spawner_lost(h, j->name, why);
		return NULL;
	}
	ans_log(h, &a);
	/* what became of the process it cloned, said before anything else:
	 * its pidfd arrived (the spawner closes its own), or it did not
	 * (spawner_cut has the spawner end it) */
	if (!a.err && a.pid && nfds && spawner_got(h, (pid_t)a.pid) < 0) {
		int e = errno;
		char why[128];
		siginfo_t si;
		memset(&si, 0, sizeof(si));
		if (pidfd_send_signal(fds[0], SIGKILL, NULL, 0) == 0 &&
		    waitid((idtype_t)P_PIDFD, (id_t)fds[0], &si, WEXITED | __WALL) == 0)
			(void)cloned_take(h->spawner.cloned); /* reaped here */
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		snprintf(why, sizeof(why), "takes no word of its worker %u: %s", a.pid,
		         strerror(e));
		spawner_lost(h, j->name, why);
		return NULL;
	}
	want = a.err ? 0 : 2 + !!(a.f & ANS_F_LOG) + !!(a.f & ANS_F_OUT) + !!(a.f & ANS_F_LEASE);
	if ((bad & BAD_FDS_CUT) && nfds < want && a.pid) {
		(void)cloned_take(h->spawner.cloned); /* spawner_cut's */
		spawner_cut(h, j->name, (pid_t)a.pid, fds, nfds, want);
		return NULL;
	}
	if (nfds != want || (!a.err && a.pid == 0)) {
		for (size_t i = 0; i < nfds; i++)
			close(fds[i]);
		spawner_lost(h, j->name, "answered with the wrong fds");
		return NULL;
	}
	if (a.err) {
		errno = (int)a.err;
		return NULL;
	}
	/* the worker waits for this before anything: the helper holds its
	 * pidfd and channel now (a worker gone already: its pidfd says) */
	{
		const char go = SPAWNER_GO;
		(void)send(fds[1], &go, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
	}
	{
		size_t i = 2;
		j->sv[0] = fds[1];
		j->lp[0] = (a.f & ANS_F_LOG) ? fds[i++] : -1;
		j->op[0] = (a.f & ANS_F_OUT) ? fds[i++] : -1;
		j->plan.lease = (a.f & ANS_F_LEASE) ? fds[i++] : -1;
	}
	j->plan.listen = (int)a.listen;
	j->expect.root = (int)a.root;
	j->expect.uid = (uid_t)a.uid;
	j->expect.gid = (gid_t)a.gid;
	j->expect.filters = (long)a.filters;
	/* (the spawner counted exec mode's second filter already) */
	j->pol = pe ? pol_entry_policy(pe) : NULL;
	j->roots = pe ? pol_entry_roots(pe) : NULL;
	j->filter_pol = pe ? filter_copy(h, sp, j, &a) : NULL;
	(void)cloned_take(h->spawner.cloned); /* the worker's, by its pidfd */
	return spawn_attach(h, sp, j, (pid_t)a.pid, fds[0]);
}
