/* SPDX-License-Identifier: ISC */
/*
 * registry.c - the helper's workers: adding one (its epoll entries, its
 * permits), the table's rows it is checked against, what the helper owns,
 * closing and killing one, and what the application may ask of a worker;
 * a spawn kept for its restarts or its pool (spawn_keep).
 * It calls the helper's lower modules (log, wout, sink) and proto, never
 * the event loop (helper.c), spawn, lifecycle or exit, which call it.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "helper_int.h"
#include "proto.h"
#include "uidpool.h"

const struct privsep_handler *row_find(const struct privsep_helper *h, uint32_t type, size_t *idx)
{
	size_t lo = 0, hi = h->nrows;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (h->rows[mid].type == type) {
			if (idx)
				*idx = mid;
			return &h->rows[mid];
		}
		if (h->rows[mid].type < type)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

int helper_owns_fd(const struct privsep_helper *h, int fd)
{
	if (fd == h->epfd || (h->sigfd >= 0 && fd == h->sigfd) || fd == h->watchfd ||
	    fd == h->rxb.kickfd)
		return 1;
	if (sink_owns_fd(&h->err, fd) || sink_owns_fd(&h->out, fd) || wout_owns_fd(h, fd) ||
	    uidpool_owns_fd(fd))
		return 1;
	for (const struct privsep_worker *w = h->workers; w; w = w->next)
		if (fd == w->chan || fd == w->pidfd || fd == w->log.fd || fd == w->spawn.uid_lease)
			return 1;
	return 0;
}

size_t helper_msg_max(const struct privsep_helper *h)
{
	return h->msg_max;
}

void helper_scrub(struct privsep_helper *h)
{
	explicit_bzero(h->rx, h->msg_max);
	rxb_scrub(&h->rxb);
	explicit_bzero(h->tx, h->msg_max);
	for (struct privsep_worker *w = h->workers; w; w = w->next) {
		outq_scrub(&w->q);
		if (w->log.buf)
			explicit_bzero(w->log.buf, h->log_line_max);
	}
}

void spawn_keep(struct privsep_spawn *dst, char *name, size_t len, const struct privsep_spawn *sp)
{
	*dst = *sp;
	/* the same name for every restart, whatever the caller's buffer
	 * holds later */
	snprintf(name, len, "%s", sp->name ? sp->name : "worker");
	dst->name = name;
}

struct spawn_rec *spawn_rec_new(const struct privsep_spawn *sp)
{
	struct spawn_rec *r = calloc(1, sizeof(*r));
	if (r)
		spawn_keep(&r->sp, r->name, sizeof(r->name), sp);
	return r;
}

struct privsep_worker *helper_add(struct privsep_helper *h, int chan, int pidfd, pid_t pid,
                                  const char *name, int spawned, int debug)
{
	struct privsep_worker *w = NULL;
	struct epoll_event ev = {0};

	if (chan < 0) {
		errno = EINVAL;
		goto fail;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		goto fail;
	w->permit = malloc(h->nrows);
	if (!w->permit)
		goto fail;
	outq_init(&w->q, h->queue_max);
	w->log.fd = -1;
	w->spawn.uid_lease = -1;
	w->un.fd = -1;
	region_rx_init(&w->region);
	log_bucket_init(h, &w->log.denyrl);
	memset(w->permit, 1, h->nrows);
	w->h = h;
	w->chan = chan;
	w->pidfd = pidfd;
	w->pid = pid;
	snprintf(w->name, sizeof(w->name), "%s", name ? name : "worker");
	w->life.started_ms = clock_now_ms();
	w->exit.info.syscall = -1;
	w->tchan = (struct tag){w, TAG_CHAN};
	w->tpid = (struct tag){w, TAG_PIDFD};
	ev.events = EPOLLIN;
	ev.data.ptr = &w->tchan;
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, chan, &ev) < 0)
		goto fail;
	if (pidfd >= 0) {
		ev.data.ptr = &w->tpid;
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, pidfd, &ev) < 0 ||
		    (h->watching ? 0 : registry_watch(h, 1)) < 0) {
			int saved = errno;
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, chan, NULL);
			epoll_ctl(h->epfd, EPOLL_CTL_DEL, pidfd, NULL);
			errno = saved;
			goto fail;
		}
	}
	/* The start-up messages are the framework's, in a spawned child,
	 * before application code: nobody else may send them. */
	if (!spawned) {
		privsep_worker_drop_permit(w, PRIVSEP_T_SANDBOX_FAILED);
		privsep_worker_drop_permit(w, PRIVSEP_T_READY);
	}
	if (!spawned || !debug)
		privsep_worker_drop_permit(w, PRIVSEP_T_SECCOMP_TRAP);
	/* the filter's listener: a spawned worker's, before READY, never in
	 * the debug mode (which traps) */
	if (!spawned || debug)
		privsep_worker_drop_permit(w, PRIVSEP_T_SECCOMP_LISTENER);
	w->next = h->workers;
	if (h->workers)
		h->workers->prev = w;
	h->workers = w;
	h->nworkers++;
	return w;
fail : {
	int saved = errno;
	if (w) {
		free(w->permit);
		free(w);
	}
	if (chan >= 0)
		close(chan);
	if (pidfd >= 0)
		close(pidfd);
	errno = saved;
	return NULL;
}
}

pid_t privsep_worker_pid(const struct privsep_worker *w)
{
	return w->pid;
}

const char *privsep_worker_name(const struct privsep_worker *w)
{
	return w->name;
}

unsigned privsep_worker_slot(const struct privsep_worker *w)
{
	return w->life.slot;
}

void privsep_worker_set_data(struct privsep_worker *w, void *data)
{
	w->data = data;
}

void *privsep_worker_data(const struct privsep_worker *w)
{
	return w->data;
}

int privsep_worker_drop_permit(struct privsep_worker *w, uint32_t type)
{
	size_t i;
	if (!row_find(w->h, type, &i)) {
		errno = ENOENT;
		return -1;
	}
	w->permit[i] = 0;
	return 0;
}

int privsep_worker_permitted(const struct privsep_worker *w, uint32_t type)
{
	size_t i;
	return row_find(w->h, type, &i) ? w->permit[i] : 0;
}

void worker_signal(struct privsep_worker *w)
{
	if (w->pidfd >= 0 && !w->reap.exited && !w->reap.killed) {
		if (pidfd_send_signal(w->pidfd, SIGKILL, NULL, 0) == 0 || errno == ESRCH)
			w->reap.killed = 1;
	}
}

/* Close the channel and everything queued on it.  kill: SIGKILL now;
 * else the process gets HELPER_EXIT_GRACE_MS to exit on its own. */
void helper_worker_close(struct privsep_worker *w, int kill)
{
	struct privsep_helper *h = w->h;
	/* the kill before the close: a worker that saw its channel end
	 * first could exit on its own before the signal, and its end would
	 * read as a clean exit instead of the kill */
	if (kill)
		worker_signal(w);
	if (w->chan >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, w->chan, NULL);
		close(w->chan);
		w->chan = -1;
	}
	outq_clear(&w->q);
	/* what it sent and was not served yet is never served */
	rxb_drop(&h->rxb, w);
	/* nor will a payload its handler was being fed end */
	parts_abandon(w);
	/* a failed signal is tried again by the deadline check in step */
	h->closing = 1;
	if (!w->reap.kill_at_ms)
		w->reap.kill_at_ms =
		    clock_now_ms() + (kill ? HELPER_KILL_RETRY_MS : HELPER_EXIT_GRACE_MS);
	w->reap.want_kill |= kill;
	if (w->pidfd < 0 || w->reap.exited)
		w->reap.finalize = 1;
}

int privsep_worker_ready(const struct privsep_worker *w)
{
	return w->exit.ready;
}

void privsep_worker_kill(struct privsep_worker *w)
{
	w->life.no_restart = 1;
	helper_worker_close(w, 1);
}

/* The stop check's timer (lifecycle_stopped): on while a worker with a
 * pidfd is served. */
int registry_watch(struct privsep_helper *h, int on)
{
	struct itimerspec it;
	memset(&it, 0, sizeof(it));
	if (on) {
		it.it_interval.tv_nsec = HELPER_STOP_CHECK_MS * 1000000L;
		it.it_value = it.it_interval;
	}
	if (timerfd_settime(h->watchfd, 0, &it, NULL) < 0)
		return -1;
	h->watching = on;
	return 0;
}
