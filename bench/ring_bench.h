/* SPDX-License-Identifier: ISC */
/* ring_bench.h - privsep-bench's floor for a shared-memory ring (issue 17's
 * stretch): two processes passing a 32-byte record and its reply over one
 * shared page, woken by futexes or by an eventfd (ring_bench.c). */
#ifndef PRIVSEP_RING_BENCH_H
#define PRIVSEP_RING_BENCH_H

#include <stdint.h>

enum ring_mode {
	/* both ends wait on a futex in the page: the floor, and what a
	 * helper may not do (it would wait on a word the worker writes) */
	RING_FUTEX,
	/* the server (the helper's side) waits in epoll_wait on an eventfd
	 * the client writes; it copies the record out of the page before it
	 * looks at it and wakes the client with FUTEX_WAKE */
	RING_EVENTFD,
	/* the same, but the server polls the page for up to 20 us after each
	 * reply before it sleeps, and the client writes the eventfd only
	 * when the page says the server sleeps */
	RING_EVENTFD_SPIN,
};

struct ring_bench;

/* Fork the server for mode, on cpu (-1: any).  NULL with errno. */
struct ring_bench *ring_bench_start(enum ring_mode mode, int cpu);
/* per round trips, each one's time in ns into t.  0, or -1. */
int ring_bench_block(struct ring_bench *rb, uint64_t *t, int per);
void ring_bench_stop(struct ring_bench *rb);

#endif
