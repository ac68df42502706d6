/* SPDX-License-Identifier: ISC */
/*
 * unotify.c - the helper's end of a worker's seccomp user notification
 * listener, one concern: receive each notification and apply the
 * worker's mode to it.
 *
 * The worker's filter turns every kill of its policy into a notification
 * (POL_MODE_NOTIFY); step 11 loads it with a listener, which the child
 * sends as SECCOMP_LISTENER before anything else runs and then closes.
 * Here the helper takes it into its event loop.  A notification is the
 * kernel's account of the call (the thread's syscall number, architecture
 * and six argument registers), not the worker's: in notify mode it is a
 * violation, recorded for exit.c (which names the call, its arguments and
 * the rule or default that denied it), and the worker is killed through
 * its pidfd.  The filter's architecture check notifies too (a call of
 * another architecture, i386's int 0x80, or an x32 number): a violation
 * whatever the mode, named with its architecture.  The call is never
 * answered, so it never runs; the kernel drops it with the process.
 * Learn mode (learn.c) answers CONTINUE instead and records the call.
 * Nothing else answers: a helper confines itself (unotify_confine) under
 * a filter of its own that refuses SECCOMP_IOCTL_NOTIF_SEND unless a
 * learn-mode spawn was made before, so a compromised confined helper
 * cannot let a worker's denied call run (CONTINUE).  A
 * later mode (brokering a call on the worker's behalf) is one more case
 * of unotify_readable's choice.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include "helper_int.h"
#include "filter.h"
#include "policy.h"

static struct unotify_bufs *bufs(struct privsep_helper *h);

/* Sized by the running kernel (filter_notif_bufs_new: a kernel whose
 * structures grew writes its own size). */
struct unotify_bufs {
	struct filter_notif_bufs n;
};

int unotify_prepare(struct privsep_helper *h)
{
	return bufs(h) ? 0 : -1;
}

/* Whether a learn-mode spawn was made (its policy in the cache: the
 * entries the spawner's copy holds too, spawner_known.c's test). */
static int learned(const struct privsep_helper *h)
{
	for (const struct pol_entry *e = h->policies; e; e = pol_entry_next(e))
		if (pol_entry_mode(e) == POL_MODE_LEARN)
			return 1;
	return 0;
}

int unotify_confine(struct privsep_helper *h)
{
	/* ioctl's request is an unsigned int to the kernel: the upper half
	 * of the register is not looked at */
	const struct filter_rule send = {
	    __NR_ioctl,
	    SCMP_ACT_ERRNO(EPERM),
	    1,
	    {{1, SCMP_CMP_MASKED_EQ, 0xffffffffu, (uint32_t)SECCOMP_IOCTL_NOTIF_SEND}}};
	const struct filter_policy p = {&send, 1, SCMP_ACT_ALLOW, 0};
	struct filter_prog prog;
	int rc, e;

	if (learned(h))
		return 0;
	if (filter_compile(&p, &prog, NULL) < 0)
		return -1;
	rc = filter_load(&prog);
	e = errno;
	filter_prog_free(&prog);
	errno = e;
	return rc;
}

static struct unotify_bufs *bufs(struct privsep_helper *h)
{
	struct unotify_bufs *b;
	if (h->unotify)
		return h->unotify;
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	if (filter_notif_bufs_new(&b->n) < 0) {
		int e = errno;
		free(b);
		errno = e;
		return NULL;
	}
	h->unotify = b;
	return b;
}

void unotify_free(struct privsep_helper *h)
{
	if (!h->unotify)
		return;
	filter_notif_bufs_free(&h->unotify->n);
	free(h->unotify);
	h->unotify = NULL;
}

/* Whether fd is a seccomp listener (what the kernel calls it). */
static int is_listener(int fd)
{
	char path[64], name[64];
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	/* readlinkat: what helper.policy allows a confined helper */
	n = readlinkat(AT_FDCWD, path, name, sizeof(name) - 1);
	if (n <= 0)
		return 0;
	name[n] = '\0';
	return strcmp(name, "anon_inode:seccomp notify") == 0;
}

int unotify_fw_listener(struct privsep_req *req, void *arg)
{
	struct privsep_worker *w = req->worker;
	struct epoll_event ev = {.events = EPOLLIN};
	int fd = req->fds[0];
	(void)arg;
	/* once per worker (the row is once), and only a spawned one in a
	 * mode that owes one holds the permit */
	if (!w->un.mode || w->un.fd >= 0 || !is_listener(fd)) {
		log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\" pid %d: SECCOMP_LISTENER refused: %s", w->name, (int)w->pid,
		         !w->un.mode     ? "its spawn owes no listener"
		         : w->un.fd >= 0 ? "it sent one already"
		                         : "the fd is not a seccomp listener");
		return privsep_req_fail(req, EINVAL, "not a seccomp listener");
	}
	if (!bufs(w->h)) {
		/* READY then finds no listener: the worker is stopped there */
		log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\" pid %d: its seccomp listener cannot be served: %s", w->name,
		         (int)w->pid, strerror(errno ? errno : ENOMEM));
		return 0;
	}
	w->un.tag = (struct tag){w, TAG_UNOTIFY};
	ev.data.ptr = &w->un.tag;
	if (epoll_ctl(w->h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\" pid %d: its seccomp listener cannot be watched: %s",
		         w->name, (int)w->pid, strerror(errno));
		return 0;
	}
	w->un.fd = fd;
	req->fds[0] = -1; /* taken */
	return 0;
}

void unotify_close(struct privsep_worker *w)
{
	if (w->un.fd < 0)
		return;
	epoll_ctl(w->h->epfd, EPOLL_CTL_DEL, w->un.fd, NULL);
	close(w->un.fd);
	w->un.fd = -1;
}

/* Notify mode: the call is a violation.  The first one names the end
 * (another thread's, arriving after it, waits unanswered like it); the
 * worker is killed before its channel is closed, and nothing answers. */
static void violation(struct privsep_worker *w, const struct seccomp_notif *n)
{
	if (!w->un.named) {
		w->un.named = 1;
		w->exit.trapped = 1;
		w->exit.trap_arch = n->data.arch;
		w->exit.info.syscall = n->data.nr;
		for (int i = 0; i < 6; i++)
			w->exit.info.args[i] = n->data.args[i];
		w->exit.info.have_args = 1;
	}
	helper_worker_close(w, 1);
}

void unotify_readable(struct privsep_worker *w, uint32_t events)
{
	struct unotify_bufs *b = w->h->unotify;
	/* no process uses the filter any more (EPOLLHUP alone) */
	if (!(events & EPOLLIN)) {
		unotify_close(w);
		return;
	}
	/* readable: one notification is pending, so this does not wait; a
	 * thread interrupted or killed since leaves ENOENT.  The ioctl itself:
	 * libseccomp 2.5.4's seccomp_notify_receive turns every error into
	 * ECANCELED, and ENOENT is no failure */
	memset(b->n.req, 0, b->n.req_size);
	if (ioctl(w->un.fd, SECCOMP_IOCTL_NOTIF_RECV, b->n.req) < 0) {
		if (errno == ENOENT || errno == EINTR)
			return;
		/* a call waits that the helper cannot read: fail closed */
		log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\" pid %d: seccomp notification unreadable: %s; worker killed",
		         w->name, (int)w->pid, strerror(errno));
		unotify_close(w);
		helper_worker_close(w, 1);
		return;
	}
	/* a call of another architecture or an x32 number (the filter's
	 * architecture check) is a violation in every mode: no rule of the
	 * policy language can allow it, so learning it would teach nothing */
	if (w->un.mode == POL_MODE_LEARN && !policy_foreign(b->n.req->data.arch, b->n.req->data.nr))
		learn_notified(w, w->un.fd, b->n.req, b->n.resp);
	else
		violation(w, b->n.req);
}
