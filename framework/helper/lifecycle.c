/* SPDX-License-Identifier: ISC */
/*
 * lifecycle.c - signals through a signalfd, a graceful stop, restarts of
 * workers that die, workers found stopped, and the helper's own
 * capabilities.  It returns its decisions to the core (helper.c): the
 * verdict on a worker's end (stopping every worker is the core's), and
 * whether a worker was found stopped (the core kills it).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_int.h"
#include "spawn_job.h"
#include "policy.h"
#include "uidpool.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#define RESTART_BACKOFF_MS 100 /* restart_backoff_ms 0 */
#define RESTART_BACKOFF_MAX_MS 30000
/* A worker that ran this long is healthy (restart_reset_ms, 0: this). */
#define RESTART_RESET_MS 10000

/* Add set's signals to the helper's signalfd (made on first use, in the
 * event loop), blocked in the calling thread.  0, or -1 with errno. */
static int take_signals(struct privsep_helper *h, const sigset_t *add)
{
	sigset_t set = h->sigset, old;
	struct epoll_event ev = {.events = EPOLLIN};
	int fd, e;

	for (int s = 1; s < NSIG; s++)
		if (sigismember(add, s) == 1)
			sigaddset(&set, s);
	/* pthread_sigmask returns its error, errno untouched */
	e = pthread_sigmask(SIG_BLOCK, &set, &old);
	if (e != 0) {
		errno = e;
		return -1;
	}
	fd = signalfd(h->sigfd, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (fd >= 0 && h->sigfd < 0) {
		h->tsig = (struct tag){NULL, TAG_SIGNAL};
		ev.data.ptr = &h->tsig;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
			e = errno;
			close(fd);
			errno = e;
			fd = -1;
		} else {
			h->sigfd = fd;
		}
	}
	if (fd < 0) {
		/* nothing reads them: the signals this call blocked are
		 * delivered again as before (a SIGTERM still ends the process) */
		e = errno;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		errno = e;
		return -1;
	}
	h->sigset = set;
	return 0;
}

int privsep_helper_signals(struct privsep_helper *h,
                           void (*on_reload)(struct privsep_helper *h, void *arg), void *arg)
{
	sigset_t set;

	if (h->signals_on) {
		errno = EBUSY;
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (take_signals(h, &set) < 0)
		return -1;
	h->signals_on = 1;
	h->on_reload = on_reload;
	h->reload_arg = arg;
	return 0;
}

/* Signals an application may take this way: the ones whose default is
 * to end the process and that carry no fault (a SIGSEGV must kill). */
static int takeable(int signo)
{
	switch (signo) {
	case SIGUSR1:
	case SIGUSR2:
	case SIGPIPE:
	case SIGALRM:
	case SIGQUIT:
	case SIGWINCH:
		return 1;
	default:
		return signo >= SIGRTMIN && signo <= SIGRTMAX;
	}
}

int privsep_helper_on_signal(struct privsep_helper *h, int signo,
                             void (*fn)(struct privsep_helper *h, int signo, void *arg), void *arg)
{
	sigset_t set;
	size_t i;

	if (!h || !takeable(signo)) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < h->nsigh && h->sigh[i].signo != signo; i++)
		;
	if (i == HELPER_SIGNALS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	sigemptyset(&set);
	sigaddset(&set, signo);
	if (take_signals(h, &set) < 0)
		return -1;
	h->sigh[i].signo = signo;
	h->sigh[i].fn = fn;
	h->sigh[i].arg = arg;
	if (i == h->nsigh)
		h->nsigh++;
	return 0;
}

void lifecycle_signal(struct privsep_helper *h)
{
	struct signalfd_siginfo si;
	while (read(h->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		int signo = (int)si.ssi_signo, taken = 0;
		for (size_t i = 0; i < h->nsigh; i++)
			if (h->sigh[i].signo == signo) {
				/* NULL: taken and ignored */
				if (h->sigh[i].fn)
					h->sigh[i].fn(h, signo, h->sigh[i].arg);
				taken = 1;
			}
		if (taken)
			continue;
		if (signo == SIGHUP) {
			log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO, "SIGHUP: reload");
			if (h->on_reload)
				h->on_reload(h, h->reload_arg);
			continue;
		}
		if (signo != SIGINT && signo != SIGTERM)
			continue;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
		         "%s: stopping %zu worker(s), %d ms to exit", strsignal(signo), h->nworkers,
		         HELPER_EXIT_GRACE_MS);
		if (!h->stop_signal)
			h->stop_signal = signo;
		privsep_helper_stop(h);
	}
}

static void drop_respawns(struct privsep_helper *h)
{
	while (h->respawns) {
		struct spawn_rec *r = h->respawns;
		h->respawns = r->next;
		free(r);
	}
}

void privsep_helper_stop(struct privsep_helper *h)
{
	h->stopping = 1;
	drop_respawns(h);
	for (struct privsep_worker *w = h->workers; w; w = w->next)
		helper_worker_close(w, 0);
}

int privsep_helper_stop_signal(const struct privsep_helper *h)
{
	return h->stop_signal;
}

/* Put r on the restart list after its back-off, or free it when its
 * limit is reached (r->restarts: the restarts so far). */
static void reschedule(struct privsep_helper *h, struct spawn_rec *r)
{
	unsigned delay, max = r->sp.restart_max;
	if (max != PRIVSEP_RESTART_FOREVER && r->restarts >= max) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": restarted %u times, the limit; not restarted again",
		         r->name, r->restarts);
		free(r);
		return;
	}
	delay = r->sp.restart_backoff_ms ? r->sp.restart_backoff_ms : RESTART_BACKOFF_MS;
	for (unsigned i = 0; i < r->restarts && delay < RESTART_BACKOFF_MAX_MS; i++)
		delay *= 2;
	if (delay > RESTART_BACKOFF_MAX_MS)
		delay = RESTART_BACKOFF_MAX_MS;
	r->due_ms = clock_now_ms() + delay;
	r->next = h->respawns;
	h->respawns = r;
	if (max == PRIVSEP_RESTART_FOREVER)
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO, "worker \"%s\": restart %u in %u ms",
		         r->name, r->restarts + 1, delay);
	else
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
		         "worker \"%s\": restart %u of %u in %u ms", r->name, r->restarts + 1, max,
		         delay);
}

/* The verdict on w's end: the policy's proposal, and the application's
 * answer to it where it asks; a restart it may not have is refused. */
static enum privsep_restart_verdict verdict(struct privsep_worker *w, struct spawn_rec *r,
                                            int failed)
{
	struct privsep_helper *h = w->h;
	unsigned max = r->sp.restart_max;
	int under = max == PRIVSEP_RESTART_FOREVER || r->restarts < max;
	enum privsep_restart_verdict v = failed && under && helper_can_spawn(h, &r->sp)
	                                     ? PRIVSEP_RESTART
	                                     : PRIVSEP_RESTART_GIVE_UP;
	if (!r->sp.restart_verdict)
		return v;
	v = r->sp.restart_verdict(w, v, r->sp.verdict_arg);
	if (v != PRIVSEP_RESTART && v != PRIVSEP_RESTART_GIVE_UP && v != PRIVSEP_RESTART_STOP_ALL) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": the application's verdict %d is none; not restarted",
		         r->name, (int)v);
		return PRIVSEP_RESTART_GIVE_UP;
	}
	if (v == PRIVSEP_RESTART && !helper_can_spawn(h, &r->sp)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": not restarted: the helper is confined (%s)", r->name,
		         HELPER_CONFINED_WHY_OF(h));
		return PRIVSEP_RESTART_GIVE_UP;
	}
	if (v == PRIVSEP_RESTART &&
	    (w->life.no_restart || w->exit.info.kind == PRIVSEP_EXIT_SANDBOX)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": %s is never restarted, whatever the application says",
		         r->name,
		         w->life.no_restart ? "a worker killed by privsep_worker_kill"
		                            : "a worker that failed its sandbox");
		return PRIVSEP_RESTART_GIVE_UP;
	}
	return v;
}

/* The links of a replacement, as w is gone. */
static void replace_gone(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	struct privsep_worker *n = w->life.replaced_by, *o = w->life.replaces;
	if (n) {
		/* gone while its replacement starts: the replacement takes
		 * its place, and its restart policy until it is ready */
		n->life.replaces = NULL;
		w->life.replaced_by = NULL;
		free(n->life.rec);
		n->life.rec = w->life.rec;
		w->life.rec = NULL;
		if (!h->stopping)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
			         "worker \"%s\" pid %d: gone while its replacement pid %d starts, "
			         "which takes its place",
			         w->name, (int)w->pid, (int)n->pid);
	}
	if (w->life.replacing) {
		w->life.replacing = 0;
		free(w->life.next_rec);
		w->life.next_rec = NULL;
		if (o) {
			o->life.replaced_by = NULL;
			w->life.replaces = NULL;
			if (!h->stopping)
				log_line(
				    h->log, h->log_arg, PRIVSEP_LOG_ERR,
				    "worker \"%s\" pid %d: its replacement pid %d ended before it "
				    "was ready; it stays, as it was",
				    o->name, (int)o->pid, (int)w->pid);
		}
	}
}

struct privsep_worker *privsep_worker_replace(struct privsep_worker *old,
                                              const struct privsep_spawn *sp)
{
	struct privsep_helper *h;
	struct spawn_rec *r = NULL;
	struct privsep_worker *w;

	if (!old || !sp || sp->unsandboxed) {
		errno = EINVAL;
		return NULL;
	}
	h = old->h;
	if (old->life.replaced_by || old->life.replacing) {
		errno = EBUSY;
		return NULL;
	}
	if (old->chan < 0 || old->reap.exited || old->reap.finalize || h->stopping) {
		errno = EPIPE;
		return NULL;
	}
	if (sp->restart_max) {
		r = spawn_rec_new(sp);
		if (!r)
			return NULL;
		/* the slot's restarts so far (stats); its back-off starts over */
		r->restarted = old->life.rec ? old->life.rec->restarted : 0;
	}
	w = spawn_worker(h, r ? &r->sp : sp);
	if (!w) {
		free(r);
		return NULL;
	}
	w->life.slot = sp->slot;
	w->life.replacing = 1;
	w->life.next_rec = r;
	w->life.replaces = old;
	old->life.replaced_by = w;
	log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
	         "worker \"%s\" pid %d: replacement \"%s\" pid %d started; it takes over once "
	         "ready",
	         old->name, (int)old->pid, w->name, (int)w->pid);
	return w;
}

void lifecycle_ready(struct privsep_worker *w)
{
	struct privsep_worker *old = w->life.replaces;
	if (!w->life.replacing)
		return;
	w->life.replacing = 0;
	free(w->life.rec); /* the policy it held for a replaced worker gone */
	w->life.rec = w->life.next_rec;
	w->life.next_rec = NULL;
	if (!old)
		return;
	old->life.replaced_by = NULL;
	w->life.replaces = NULL;
	free(old->life.rec); /* never restarted: replaced */
	old->life.rec = NULL;
	log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_INFO,
	         "worker \"%s\" pid %d: replaced by \"%s\" pid %d, which is ready", old->name,
	         (int)old->pid, w->name, (int)w->pid);
	if (w->h->on_replaced)
		w->h->on_replaced(old, w, w->h->replaced_arg);
	else
		privsep_worker_stop(old);
}

void privsep_worker_stop(struct privsep_worker *w)
{
	if (w && w->chan >= 0)
		helper_worker_close(w, 0);
}

enum privsep_restart_verdict lifecycle_worker_gone(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	struct spawn_rec *r;

	replace_gone(w);
	r = w->life.rec;
	if (!r)
		return PRIVSEP_RESTART_GIVE_UP;
	w->life.rec = NULL;
	if (h->stopping) {
		free(r);
		return PRIVSEP_RESTART_GIVE_UP;
	}
	/* a worker that served long enough was healthy: its count and its
	 * back-off start over, so that rare deaths over months never reach
	 * the limit or the longest delay */
	if (r->restarts && w->life.started_ms &&
	    clock_now_ms() - w->life.started_ms >=
	        (int64_t)(r->sp.restart_reset_ms ? r->sp.restart_reset_ms : RESTART_RESET_MS))
		r->restarts = 0;
	/* a failure: not a clean exit, a failed sandbox, or the application's kill */
	int failed = !w->life.no_restart && w->exit.info.kind != PRIVSEP_EXIT_SANDBOX &&
	             !(w->exit.info.kind == PRIVSEP_EXIT_STATUS && w->exit.info.status == 0);
	enum privsep_restart_verdict v = verdict(w, r, failed);
	switch (v) {
	case PRIVSEP_RESTART:
		reschedule(h, r); /* or freed at the limit, logged */
		return v;
	case PRIVSEP_RESTART_STOP_ALL:
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": the application's verdict on its end: stop every worker",
		         r->name);
		free(r);
		return v; /* the core stops every worker */
	default:
		if (failed && !helper_can_spawn(h, &r->sp) && !r->sp.restart_verdict)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": not restarted: the helper is confined (%s)",
			         r->name, HELPER_CONFINED_WHY_OF(h));
		else if (failed && r->sp.restart_max != PRIVSEP_RESTART_FOREVER &&
		         r->restarts >= r->sp.restart_max)
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": restarted %u times, the limit; not restarted again",
			    r->name, r->restarts);
		else if (failed)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": not restarted: the application's verdict",
			         r->name);
		free(r);
		return PRIVSEP_RESTART_GIVE_UP;
	}
}

int64_t lifecycle_due(struct privsep_helper *h)
{
	if (!h->respawns)
		return -1;
	int64_t now = clock_now_ms(), next = -1;
	struct spawn_rec **pp = &h->respawns, *due = NULL;

	/* take the due ones out first: a failed restart goes back in the
	 * list, and must not be picked again in this pass */
	while (*pp) {
		struct spawn_rec *r = *pp;
		if (r->due_ms > now) {
			if (next < 0 || r->due_ms < next)
				next = r->due_ms;
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		r->next = due;
		due = r;
	}
	while (due) {
		struct spawn_rec *r = due;
		due = r->next;
		r->restarts++;
		struct privsep_worker *w = spawn_or_take(h, &r->sp);
		if (w) {
			r->restarted++;
			h->restarts++;
			w->life.rec = r;
			w->life.slot = r->sp.slot;
			if (h->on_restarted)
				h->on_restarted(w, h->restarted_arg);
		} else {
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "worker \"%s\": restart failed: %s", r->name, strerror(errno));
			/* counts as a death: tried again later, within the limit */
			reschedule(h, r);
		}
	}
	next = -1;
	for (struct spawn_rec *r = h->respawns; r; r = r->next)
		if (next < 0 || r->due_ms < next)
			next = r->due_ms;
	return next;
}

int64_t lifecycle_refill(struct privsep_helper *h)
{
	struct spawn_pool *p;
	int64_t next = -1;
	/* until each pool is full, or its start failed (it waits) */
	while (h->pools && (p = pool_lacking(h, &next))) {
		struct privsep_worker *w = spawn_worker(h, pool_spawn_of(p));
		if (w)
			pool_joined(p, w);
		else
			pool_failed(h, p, errno);
	}
	return next;
}

/* A stopped worker holds what it holds (its fds, the listener's
 * connections, its slot) and serves nobody; it cannot be told from a hung
 * one.  Whoever stopped it, it is killed and reported, and its restart
 * policy applies.  waitid(WNOHANG) never blocks; WCONTINUED catches a
 * worker stopped and continued between two looks. */
int lifecycle_watch_tick(struct privsep_helper *h)
{
	uint64_t ticks;
	return read(h->watchfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN ? -1 : 0;
}

int lifecycle_stopped(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	siginfo_t si;
	if (w->pidfd < 0 || w->reap.exited || w->reap.finalize)
		return -1;
	if (w->reap.want_kill)
		return 0; /* already being killed */
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WSTOPPED | WCONTINUED | WNOHANG) < 0 ||
	    si.si_pid == 0)
		return 0;
	w->life.stopped = si.si_code == CLD_STOPPED ? si.si_status : SIGCONT;
	if (w->life.stopped == SIGCONT)
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_ERR,
		    "worker \"%s\" pid %d: was stopped (and continued since): a stopped worker is a hung one; killed",
		    w->name, (int)w->pid);
	else
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_ERR,
		    "worker \"%s\" pid %d: stopped by signal %d (%s): a stopped worker is a hung one; killed",
		    w->name, (int)w->pid, w->life.stopped, strsignal(w->life.stopped));
	return 1;
}

void lifecycle_free(struct privsep_helper *h)
{
	drop_respawns(h);
	if (h->sigfd >= 0) {
		close(h->sigfd);
		h->sigfd = -1;
	}
}

/* The capabilities the application kept (privsep_helper_keep_caps), as
 * bits by number: a confined helper keeps them too (less those none
 * keeps, confine_caps).  Process-wide, as the capabilities are. */
static uint64_t app_kept;

/* Only keep (bits by number) in the bounding set (CAP_SETPCAP's drop
 * last: the others need it), the permitted and effective sets exactly
 * keep, the inheritable and ambient sets empty.  A bounding drop that
 * fails fails the call, save EPERM when !strict (a process without
 * CAP_SETPCAP, not root, cannot drop any).  0, or -1 with errno. */
static int narrow_caps(uint64_t keep, int strict)
{
	cap_value_t max = cap_max_bits(), set[64];
	int n = 0, rc;
	cap_t c;

	if (max > 64)
		max = 64;
	for (cap_value_t v = 0; v <= max; v++) {
		/* v == max: CAP_SETPCAP's turn, the last */
		cap_value_t cap = v < max ? v : CAP_SETPCAP;
		if ((v < max && cap == CAP_SETPCAP) || (keep >> cap & 1))
			continue;
		if (CAP_IS_SUPPORTED(cap) && cap_get_bound(cap) == 1 && cap_drop_bound(cap) < 0 &&
		    (strict || errno != EPERM))
			return -1;
	}
	if (cap_reset_ambient() < 0 && errno != EINVAL)
		return -1;
	for (cap_value_t v = 0; v < max; v++)
		if (keep >> v & 1)
			set[n++] = v;
	c = cap_init();
	if (!c)
		return -1;
	if (n && (cap_set_flag(c, CAP_PERMITTED, n, set, CAP_SET) < 0 ||
	          cap_set_flag(c, CAP_EFFECTIVE, n, set, CAP_SET) < 0)) {
		cap_free(c);
		errno = EINVAL;
		return -1;
	}
	rc = cap_set_proc(c);
	cap_free(c);
	return rc;
}

int privsep_helper_keep_caps(const char *const *names, size_t n)
{
	uint64_t keep = 0;
	cap_value_t v;

	if (n > 64 || (n && !names)) {
		errno = EINVAL;
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (cap_from_name(names[i], &v) < 0 || v < 0 || v >= 64) {
			errno = EINVAL;
			return -1;
		}
		keep |= (uint64_t)1 << v;
	}
	/* capset and PR_CAPBSET_DROP change the calling thread only: with
	 * another thread, which would keep every capability, nothing changes
	 * (narrowing each thread needs a signal handler in every one, libpsx's
	 * way, and cannot see a thread started meanwhile) */
	if (helper_threads() != 1) {
		errno = EBUSY;
		return -1;
	}
	if (narrow_caps(keep, 1) < 0)
		return -1;
	app_kept = keep;
	return 0;
}

/* A confined helper's capabilities: an allow-list.  It keeps, of those
 * it holds, what the confined helper itself uses, and what the
 * application kept (privsep_helper_keep_caps) but for the ones no
 * confined helper keeps; every other one leaves its bounding, permitted,
 * effective and inheritable sets, and the ambient set is emptied.  The
 * spawner, forked before, keeps the helper's.  0, or -1 with errno. */
static int confine_caps(void)
{
	/* what the confined helper uses: the file broker opens, reads and
	 * creates files of other owners and in their directories, within its
	 * rules and Landlock's (CAP_DAC_OVERRIDE: writing, CAP_DAC_READ_SEARCH:
	 * reading and searching; test_confined_helper_caps.c fails without
	 * either), and a worker of another uid is stopped with
	 * pidfd_send_signal (CAP_KILL; test_uid.c, test_violation.c and
	 * test_helper_filter.c fail without it).  Not CAP_SYSLOG: with
	 * kernel.dmesg_restrict 1 it is what keeps the kernel's log from the
	 * helper; a worker killed by a filter of its own, which no listener
	 * hears, is named from the audit record in /dev/kmsg only by a
	 * helper that kept it (privsep_helper_keep_caps) */
	static const cap_value_t uses[] = {CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_KILL};
	/* and what none keeps, kept by the application or not: a spawn's
	 * (new namespaces, the worker's ids, securebits and bounding set,
	 * its empty root), which the spawner holds; CAP_FSETID (review 10):
	 * openat2's mode is in memory no filter reads and Landlock bounds no
	 * mode, so a compromised root helper made a set-user-ID file beneath
	 * a create rule's root and, keeping the bit through its writes, a
	 * set-user-ID root program; CAP_SYS_PTRACE and CAP_PERFMON (sec10):
	 * each passes ptrace's read check on a process of any uid, and with
	 * either the helper read another daemon's environ, maps and auxv
	 * through /proc in spite of Landlock (test_confined_helper_proc.c) */
	static const cap_value_t never[] = {CAP_SETUID,     CAP_SETGID,       CAP_SYS_ADMIN,
	                                    CAP_SYS_CHROOT, CAP_SYS_RESOURCE, CAP_FSETID,
	                                    CAP_SYS_PTRACE, CAP_PERFMON,      CAP_SETPCAP};
	uint64_t keep = app_kept, held = 0;
	cap_value_t max = cap_max_bits();
	cap_flag_value_t f;
	cap_t c = cap_get_proc();

	if (!c)
		return -1;
	for (size_t i = 0; i < sizeof(uses) / sizeof(uses[0]); i++)
		keep |= (uint64_t)1 << uses[i];
	for (size_t i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		keep &= ~((uint64_t)1 << never[i]);
	for (cap_value_t v = 0; v < max && v < 64; v++)
		if (cap_get_flag(c, v, CAP_PERMITTED, &f) == 0 && f == CAP_SET)
			held |= (uint64_t)1 << v;
	cap_free(c);
	return narrow_caps(keep & held, 0);
}

int privsep_helper_confine(struct privsep_helper *h, const char *policy, const char *policy_text)
{
	return privsep_helper_confine_flags(h, policy, policy_text, 0);
}

int privsep_helper_confine_flags(struct privsep_helper *h, const char *policy,
                                 const char *policy_text, unsigned flags)
{
	char why[512];
	const struct pol_entry *pe;
	const int spawns = (flags & PRIVSEP_CONFINE_EXEC_SPAWNS) != 0;
	mode_t old_umask;
	int n;
	if (flags & ~PRIVSEP_CONFINE_EXEC_SPAWNS) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "helper: cannot confine: unknown flags %#x", flags);
		errno = EINVAL;
		return -1;
	}
	if (h->confined) {
		/* once confined, no spawner can start, and one that lives is
		 * the application's to keep or not by the first call: a second
		 * one asking otherwise says so rather than succeed */
		if (spawns == !h->no_spawner)
			return 0;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "helper: cannot confine again %s PRIVSEP_CONFINE_EXEC_SPAWNS: it was "
		         "confined %s it",
		         spawns ? "with" : "without", spawns ? "without" : "with");
		errno = EINVAL;
		return -1;
	}
	/* capabilities and Landlock are a thread's: another thread would
	 * keep what the confine takes.  Checked first, before the spawner
	 * starts and the capabilities drop */
	n = helper_threads();
	if (n != 1) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "helper: cannot confine: %s threads, and capabilities and Landlock are "
		         "a thread's: confine before starting threads",
		         n < 0 ? "cannot count its" : "it has other");
		errno = EBUSY;
		return -1;
	}
	if (!policy && !policy_text) {
		policy = "<helper.policy>";
		policy_text = policy_shipped("helper.policy");
	}
	pe = helper_policy(h, policy, policy_text, 0, why, sizeof(why));
	if (!pe) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "helper: cannot confine: %s", why);
		errno = EINVAL;
		return -1;
	}
	/* the notification buffers' sizes: SECCOMP_GET_NOTIF_SIZES is the
	 * helper's last seccomp call */
	if (unotify_prepare(h) < 0 || (spawns && spawner_start(h) < 0)) {
		int e = errno;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "helper: cannot confine: %s",
		         strerror(e));
		errno = e;
		return -1;
	}
	/* no spawn follows without a spawner: the uid leased ahead for one
	 * is let go (the spawner, when there is one, leases its own) */
	if (!spawns) {
		uidpool_drop_spare();
		h->lease_ahead = 0;
	}
	/* the spawner holds what a spawn needs; the helper keeps what it
	 * uses and the application kept, no more */
	if (confine_caps() < 0) {
		int e = errno;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "helper: cannot confine: dropping its capabilities: %s", strerror(e));
		spawner_stop(h);
		errno = e;
		return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer builds (the test suite's second run): its leak
	 * check at exit needs ptrace, which the filter forbids: run it now */
	__lsan_do_leak_check();
#endif
	/* Landlock first (no_new_privs lets an unprivileged helper load it;
	 * the spawner, forked above, is outside its domain), then the filter,
	 * which takes landlock_restrict_self away */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || helper_confine_landlock(h) < 0) {
		int e = errno;
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			         "helper: cannot confine: no_new_privs: %s", strerror(e));
		spawner_stop(h);
		errno = e;
		return -1;
	}
	/* the broker's files are created with their rule's mode alone: the
	 * filter refuses fchmod (helper.policy), which would change the mode
	 * of any file the helper can open */
	old_umask = umask(0);
	/* first (the helper's filter takes seccomp away): a helper with no
	 * learning worker answers no notification */
	if (unotify_confine(h) < 0 || filter_load(pol_entry_prog(pe)) < 0) {
		int e = errno;
		umask(old_umask);
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "helper: cannot load its filter: %s",
		         strerror(e));
		spawner_stop(h);
		errno = e;
		return -1;
	}
	h->confined = 1;
	h->no_spawner = !spawns;
	if (spawns)
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_INFO,
		    "helper: confined by %s; the spawner (pid %d) starts its exec-mode workers",
		    policy ? policy : "its policy", (int)h->spawner.pid);
	else
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
		         "helper: confined by %s; no spawner: no worker starts from now on",
		         policy ? policy : "its policy");
	for (struct spawn_rec *r = h->respawns; r; r = r->next)
		if (!r->sp.exec || !spawns)
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": its pending restart will fail: the helper is confined (%s)",
			    r->name, HELPER_CONFINED_WHY_OF(h));
	return 0;
}
