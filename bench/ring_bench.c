/* SPDX-License-Identifier: ISC */
/*
 * ring_bench.c - the floor of an fd-less call through shared memory
 * (ring_bench.h).  One shared page: the client's record (a sequence
 * number and 32 bytes), the server's reply (the same).  The server copies
 * the record out before it reads it, as a helper would have to (the
 * client can rewrite the page at any time).  No checks, no handler: what
 * is measured is the wake-ups.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ring_bench.h"

#define SPIN_NS 20000

struct page {
	uint32_t req_seq;  /* client writes */
	uint32_t rep_seq;  /* server writes */
	uint32_t sleeping; /* server writes: it waits in epoll_wait */
	uint32_t stop;     /* client writes */
	uint8_t req[32];
	uint8_t rep[32];
};

struct ring_bench {
	enum ring_mode mode;
	struct page *pg;
	int efd;
	pid_t pid;
	uint32_t seq;
};

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fwait(uint32_t *w, uint32_t old)
{
	syscall(SYS_futex, w, FUTEX_WAIT, old, NULL, NULL, 0);
}

static void fwake(uint32_t *w)
{
	syscall(SYS_futex, w, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

static uint32_t ld(uint32_t *w)
{
	return __atomic_load_n(w, __ATOMIC_SEQ_CST);
}

static void st(uint32_t *w, uint32_t v)
{
	__atomic_store_n(w, v, __ATOMIC_SEQ_CST);
}

/* Serve the record numbered seq: copied out first, then answered. */
static void serve(struct page *p, uint32_t seq)
{
	uint8_t copy[32];
	memcpy(copy, p->req, sizeof(copy));
	copy[0] ^= 1;
	memcpy(p->rep, copy, sizeof(copy));
	st(&p->rep_seq, seq);
	fwake(&p->rep_seq);
}

static void server(struct ring_bench *rb)
{
	struct page *p = rb->pg;
	uint32_t last = 0;
	int ep = -1;
	if (rb->mode != RING_FUTEX) {
		struct epoll_event ev = {.events = EPOLLIN};
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, rb->efd, &ev) < 0)
			_exit(1);
	}
	while (!ld(&p->stop)) {
		uint32_t s = ld(&p->req_seq);
		if (s != last) {
			serve(p, s);
			last = s;
			continue;
		}
		if (rb->mode == RING_FUTEX) {
			fwait(&p->req_seq, last);
			continue;
		}
		if (rb->mode == RING_EVENTFD_SPIN) {
			uint64_t until = now_ns() + SPIN_NS;
			while (ld(&p->req_seq) == last && !ld(&p->stop) && now_ns() < until)
				__builtin_ia32_pause();
			if (ld(&p->req_seq) != last)
				continue;
			/* going to sleep: said first, then looked again (the
			 * client stores its record, then reads sleeping) */
			st(&p->sleeping, 1);
			if (ld(&p->req_seq) != last || ld(&p->stop)) {
				st(&p->sleeping, 0);
				continue;
			}
		}
		{
			struct epoll_event ev;
			uint64_t n;
			if (epoll_wait(ep, &ev, 1, -1) == 1 && read(rb->efd, &n, sizeof(n)) < 0 &&
			    errno != EAGAIN)
				_exit(1);
		}
		st(&p->sleeping, 0);
	}
	_exit(0);
}

struct ring_bench *ring_bench_start(enum ring_mode mode, int cpu)
{
	struct ring_bench *rb = calloc(1, sizeof(*rb));
	if (!rb)
		return NULL;
	rb->mode = mode;
	rb->pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rb->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (rb->pg == MAP_FAILED || rb->efd < 0)
		goto fail;
	rb->pid = fork();
	if (rb->pid < 0)
		goto fail;
	if (rb->pid == 0) {
		if (cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		server(rb);
	}
	return rb;
fail:
	if (rb->pg != MAP_FAILED && rb->pg)
		munmap(rb->pg, 4096);
	if (rb->efd >= 0)
		close(rb->efd);
	free(rb);
	return NULL;
}

int ring_bench_block(struct ring_bench *rb, uint64_t *t, int per)
{
	struct page *p = rb->pg;
	for (int i = 0; i < per; i++) {
		uint64_t t0 = now_ns();
		uint32_t s = ++rb->seq;
		memset(p->req, (int)(s & 0xff), sizeof(p->req));
		st(&p->req_seq, s);
		if (rb->mode == RING_FUTEX)
			fwake(&p->req_seq);
		else if (rb->mode == RING_EVENTFD || ld(&p->sleeping)) {
			uint64_t one = 1;
			if (write(rb->efd, &one, sizeof(one)) != sizeof(one))
				return -1;
		}
		for (uint32_t r; (r = ld(&p->rep_seq)) != s;)
			fwait(&p->rep_seq, r);
		if (p->rep[0] != (uint8_t)((s & 0xff) ^ 1))
			return -1;
		t[i] = now_ns() - t0;
	}
	return 0;
}

void ring_bench_stop(struct ring_bench *rb)
{
	uint64_t one = 1;
	int status;
	st(&rb->pg->stop, 1);
	fwake(&rb->pg->req_seq);
	if (write(rb->efd, &one, sizeof(one)) < 0) {
		/* the server is gone already */
	}
	while (waitpid(rb->pid, &status, 0) < 0 && errno == EINTR)
		;
	munmap(rb->pg, 4096);
	close(rb->efd);
	free(rb);
}
