/* SPDX-License-Identifier: ISC */
/*
 * pool.c - spawn-ahead: workers started before they are asked for.
 *
 * A spawn with pool N keeps N workers of its spec started ahead, each
 * in its own sandbox with its own uid lease, verified at READY like any
 * worker; the helper holds back READY's reply, so the worker waits in
 * the framework (fork mode's child, or privsep_client_main in exec mode)
 * and runs no application code.  Handing one out is sending that reply
 * (docs/PROTOCOL.md, section 13).  An idle pooled worker has every
 * permit withdrawn: any record it sends is a violation, and it is killed
 * and replaced.  One that died, or that is found exited at the hand-out,
 * is never handed out.  This file keeps the books and answers READY; the
 * refills are started by the event loop (lifecycle.c, with the
 * restarts), never by privsep_spawn, so a hand-out costs one send.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>

#include "helper_int.h"
#include "msg.h"
#include "proto.h"

/* A refill that failed is tried again after this long. */
#define POOL_RETRY_MS 1000

struct spawn_pool {
	struct spawn_pool *next;
	struct privsep_spawn sp; /* sp.name points to name */
	char name[64];
	unsigned size; /* sp.pool */
	unsigned n;    /* members: starting and idle */
	int64_t retry_ms;
};

/* The same worker, process-wise: what the child's start depends on.
 * The restart policy and the slot are the helper's, not the child's. */
static int same_spec(const struct privsep_spawn *a, const struct privsep_spawn *b)
{
	const char *an = a->name ? a->name : "worker", *bn = b->name ? b->name : "worker";
	return a->main == b->main && a->arg == b->arg && a->sandbox == b->sandbox &&
	       a->exec == b->exec && a->unsandboxed == b->unsandboxed &&
	       a->stdout_copy == b->stdout_copy && a->pool == b->pool &&
	       a->client.msg_max == b->client.msg_max && a->client.log == b->client.log &&
	       a->client.log_arg == b->client.log_arg && a->client.table == b->client.table &&
	       a->client.n == b->client.n && a->client.queue_max == b->client.queue_max &&
	       strncmp(an, bn, 63) == 0;
}

static struct spawn_pool *pool_of(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	for (struct spawn_pool *p = h->pools; p; p = p->next)
		if (same_spec(&p->sp, sp))
			return p;
	return NULL;
}

/* sp's pool, made on its first spawn; NULL with errno. */
static struct spawn_pool *pool_get(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct spawn_pool *p = pool_of(h, sp);
	if (p)
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	spawn_keep(&p->sp, p->name, sizeof(p->name), sp);
	/* a member is nobody's restart and nobody's slot until handed out */
	p->sp.restart_max = 0;
	p->sp.restart_verdict = NULL;
	p->sp.slot = 0;
	p->size = sp->pool > POOL_MAX ? POOL_MAX : sp->pool;
	p->next = h->pools;
	h->pools = p;
	return p;
}

/* w leaves its pool (handed out, or gone): the counts. */
static void leave(struct privsep_worker *w)
{
	struct spawn_pool *p = w->pool.of;
	p->n--;
	w->h->npooled--;
	w->pool.of = NULL;
}

/* Exited already, though the loop has not seen it yet (the pidfd's
 * event not read): 1.  WNOWAIT leaves it to worker_reap. */
static int exited(const struct privsep_worker *w)
{
	siginfo_t si;
	if (w->pidfd < 0 || w->reap.exited || w->reap.killed || w->chan < 0)
		return 1;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG | WNOWAIT) < 0)
		return 1;
	return si.si_pid != 0;
}

/* READY's answer, held since READY: a REPLY of its id, error 0, no body,
 * first on the channel (queued when the socket is full); then the events
 * that waited behind it may go (w->gate).  -1 when the channel is
 * broken. */
static int answer_ready(struct privsep_worker *w)
{
	uint8_t rec[PRIVSEP_HDR_LEN + PROTO_REPLY_FIXED];
	struct msg_out o = {PRIVSEP_T_REPLY,
	                    w->pool.ready_id,
	                    rec + PRIVSEP_HDR_LEN,
	                    PROTO_REPLY_FIXED,
	                    NULL,
	                    0,
	                    -1,
	                    0,
	                    rec};
	struct epoll_event ev = {.data.ptr = &w->tchan};
	memset(rec, 0, sizeof(rec));
	switch (msg_send(w->chan, &w->q, &o, MSG_SEND_REPLY | MSG_SEND_FIRST)) {
	case MSG_SENT:
	case MSG_QUEUED:
		break;
	default:
		return -1;
	}
	w->gate = 0;
	/* as the loop arms it: no request read while a reply waits */
	ev.events = (w->q.nreply ? 0 : EPOLLIN) | (w->q.n ? EPOLLOUT : 0);
	epoll_ctl(w->h->epfd, EPOLL_CTL_MOD, w->chan, &ev);
	return 0;
}

/* Give w to the application: its permits back, READY answered (idle), or
 * answered when it comes (starting).  0, or -1 when it is no longer fit
 * to hand out (killed here, replaced by the loop). */
static int hand_out(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	int idle = w->pool.held;
	leave(w);
	if (exited(w)) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		         "worker \"%s\" pid %d: a pooled worker that is gone; not handed out",
		         w->name, (int)w->pid);
		w->pool.discard = 1;
		helper_worker_close(w, 1);
		return -1;
	}
	w->life.started_ms = clock_now_ms();
	if (!idle)
		return 0;
	memcpy(w->permit, w->pool.permit, h->nrows);
	free(w->pool.permit);
	w->pool.permit = NULL;
	w->pool.held = 0;
	if (answer_ready(w) < 0) {
		w->pool.discard = 1;
		helper_worker_close(w, 1);
		return -1;
	}
	return 0;
}

struct privsep_worker *pool_take(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct spawn_pool *p;
	if (!sp || !sp->pool || sp->unsandboxed || h->confined || h->stopping)
		return NULL;
	p = pool_get(h, sp);
	if (!p)
		return NULL;
	/* the idle ones first, then one still starting (its READY is
	 * answered when it comes, as for a cold start) */
	for (int pass = 0; pass < 2; pass++)
		for (struct privsep_worker *w = h->workers, *nx; w; w = nx) {
			nx = w->next;
			if (w->pool.of != p || w->pool.held != !pass)
				continue;
			if (hand_out(w) == 0)
				return w;
		}
	return NULL;
}

int pool_hold(struct privsep_worker *w, uint32_t id)
{
	struct privsep_helper *h = w->h;
	if (!w->pool.of)
		return 0;
	/* every permit withdrawn while it waits: it runs no application
	 * code, and a record from it says it is not the framework's */
	w->pool.permit = malloc(h->nrows);
	if (!w->pool.permit) {
		/* no room to keep its permits: killed, and replaced */
		leave(w);
		w->pool.discard = 1;
		helper_worker_close(w, 1);
		return 0;
	}
	memcpy(w->pool.permit, w->permit, h->nrows);
	memset(w->permit, 0, h->nrows);
	w->pool.held = 1;
	w->pool.ready_id = id;
	return 1;
}

void pool_gone(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	struct spawn_pool *p = w->pool.of;
	if (p) {
		/* what made it fail (its sandbox, its program, whoever kills
		 * it) may do it again: the next one after a pause, never a
		 * loop of forks */
		p->retry_ms = clock_now_ms() + POOL_RETRY_MS;
		if (!h->stopping)
			log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
			         "worker \"%s\" pid %d: a pooled worker is gone before it was "
			         "handed out; replaced in %d ms",
			         w->name, (int)w->pid, POOL_RETRY_MS);
		leave(w);
	}
	free(w->pool.permit);
	w->pool.permit = NULL;
}

int pool_member(const struct privsep_worker *w)
{
	return w->pool.of != NULL || w->pool.discard;
}

struct spawn_pool *pool_lacking(struct privsep_helper *h, int64_t *next)
{
	int64_t now = 0;
	*next = -1;
	if (h->stopping || h->confined)
		return NULL;
	for (struct spawn_pool *p = h->pools; p; p = p->next) {
		if (p->n >= p->size)
			continue;
		if (p->retry_ms) {
			if (!now)
				now = clock_now_ms();
			if (now < p->retry_ms) {
				if (*next < 0 || p->retry_ms < *next)
					*next = p->retry_ms;
				continue;
			}
			p->retry_ms = 0;
		}
		return p;
	}
	return NULL;
}

const struct privsep_spawn *pool_spawn_of(const struct spawn_pool *p)
{
	return &p->sp;
}

void pool_joined(struct spawn_pool *p, struct privsep_worker *w)
{
	w->pool.of = p;
	p->n++;
	w->h->npooled++;
}

void pool_failed(struct privsep_helper *h, struct spawn_pool *p, int err)
{
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
	         "worker \"%s\": the pool's refill failed: %s; tried again in %d ms", p->name,
	         strerror(err), POOL_RETRY_MS);
	p->retry_ms = clock_now_ms() + POOL_RETRY_MS;
}

size_t pool_idle(const struct privsep_helper *h)
{
	size_t n = 0;
	for (const struct privsep_worker *w = h->workers; w; w = w->next)
		n += w->pool.of && w->pool.held;
	return n;
}

void pool_free_all(struct privsep_helper *h)
{
	while (h->pools) {
		struct spawn_pool *p = h->pools;
		h->pools = p->next;
		free(p);
	}
}
