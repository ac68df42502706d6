/* SPDX-License-Identifier: ISC */
/*
 * stats.c - the helper's counters, read by privsep_helper_stats and
 * privsep_worker_stats.  The hot path only adds (helper.c: one increment
 * per record served, refused, received or sent); the sums are made here,
 * when asked: the live workers' counters plus those of the workers gone.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "helper_int.h"

/* The smallest struct privsep_stats a caller may give: size and calls. */
#define STATS_MIN (offsetof(struct privsep_stats, calls) + sizeof(uint64_t))

static int ended_by_violation(const struct privsep_worker *w)
{
	return w->viol != PRIVSEP_V_NONE || w->exit.info.kind == PRIVSEP_EXIT_VIOLATION ||
	       w->exit.info.kind == PRIVSEP_EXIT_SECCOMP;
}

void stats_worker_gone(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	h->gone_st.calls += w->st.calls;
	h->gone_st.refusals += w->st.refusals;
	h->gone_st.bytes_in += w->st.bytes_in;
	h->gone_st.bytes_out += w->st.bytes_out;
	h->violations += (uint64_t)ended_by_violation(w);
}

static void add(struct privsep_stats *t, const struct worker_stats *s)
{
	t->calls += s->calls;
	t->refusals += s->refusals;
	t->bytes_in += s->bytes_in;
	t->bytes_out += s->bytes_out;
}

/* Copy what fits the caller's size; its size becomes what was filled. */
static int give(struct privsep_stats *out, const struct privsep_stats *t)
{
	size_t n = out->size < sizeof(*t) ? out->size : sizeof(*t);
	memcpy((char *)out + sizeof(out->size), (const char *)t + sizeof(t->size),
	       n - sizeof(out->size));
	out->size = n;
	return 0;
}

int privsep_helper_stats(const struct privsep_helper *h, struct privsep_stats *out)
{
	struct privsep_stats t;
	int64_t now;
	if (!h || !out || out->size < STATS_MIN) {
		errno = EINVAL;
		return -1;
	}
	memset(&t, 0, sizeof(t));
	now = clock_now_ms();
	add(&t, &h->gone_st);
	t.violations = h->violations;
	t.restarts = h->restarts;
	for (const struct privsep_worker *w = h->workers; w; w = w->next) {
		add(&t, &w->st);
		t.queued += w->q.n;
		/* a worker started ahead (pool.c) is not the application's yet */
		if (w->reap.finalize || pool_member(w))
			continue;
		t.workers++;
		t.ready += (uint64_t)w->exit.ready;
	}
	t.uptime_ms = (uint64_t)(now - h->started_ms);
	return give(out, &t);
}

int privsep_worker_stats(const struct privsep_worker *w, struct privsep_stats *out)
{
	struct privsep_stats t;
	if (!w || !out || out->size < STATS_MIN) {
		errno = EINVAL;
		return -1;
	}
	memset(&t, 0, sizeof(t));
	add(&t, &w->st);
	t.violations = (uint64_t)ended_by_violation(w);
	t.restarts = w->life.rec ? w->life.rec->restarted : 0;
	t.queued = w->q.n;
	t.workers = 1;
	t.ready = (uint64_t)w->exit.ready;
	t.uptime_ms = (uint64_t)(clock_now_ms() - w->life.started_ms);
	return give(out, &t);
}
