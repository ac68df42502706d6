/* SPDX-License-Identifier: ISC */
/*
 * bulk_path.c - where a bulk payload's time goes when its two ends run
 * on two CPUs: the socket copy (the bulk rows' baseline), the raw
 * shared-memory floor with its receiver an event loop, and privsep's
 * call with the payload in the worker's region (bench/README.md, "64 KiB
 * with the ends apart, session 13").
 *
 * With the ends apart a payload's time is mostly two wake-ups of a
 * sleeping CPU, which every path pays alike; what a path can change is
 * the work each end does between them.  So each end logs, with its own
 * clock, every system call it makes on the path (send, sendmsg, recv,
 * recvmsg, recvmmsg, epoll_wait) and every copy of 4 KiB or more
 * (memcpy), through the linker's --wrap, the framework's own calls
 * included (the framework is linked in statically).  A call that waits
 * for the other end (epoll_wait, a recv or recvmsg without
 * MSG_DONTWAIT) is a wait (the socket copy's receiver reads each data
 * record with MSG_DONTWAIT first, so that a record already there counts
 * as the work of copying it out, and waits only for one not there yet);
 * the rest of each end's time is its active
 * time: its copies, its sends (a send that wakes a sleeping CPU costs
 * the sender the wake-up's inter-processor interrupt), its non-waiting
 * receives and its own code between them.  For each path it prints the
 * wall time a payload (median of the rounds' medians), each end's active
 * time a payload split that way, and what is left of the wall time: the
 * wake-ups' latency, less whatever the two ends overlapped.
 *
 * Each logged call costs two clock reads (about 40 to 60 ns here) more,
 * in every path alike.
 *
 * Usage: bulk-path [SIZE] [REPS] [ROUNDS]   (defaults 65536, 20000, 3;
 * the sender on CPU 0 and the receiver on CPU 1: two CPUs needed)
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "copyout.h"
#include "helper_int.h"

#define TYPE 0x10002u
#define CHUNK ((size_t)64 << 10) /* the socket copy's records */

/* ---- the log: each end's calls, with this process's clock ---- */

enum kind { K_SEND, K_SENDMSG, K_RECV, K_RECVMSG, K_RECVMMSG, K_COPY, K_WAIT, NKINDS };
static const char *kname[NKINDS] = {"send",     "sendmsg", "recv", "recvmsg",
                                    "recvmmsg", "copies",  "waits"};

struct ev {
	uint64_t t0, t1;
	uint8_t kind;
};
#define NEV (1u << 20)
static struct ev *evs; /* NEV entries, made before a path's run */
static size_t nev, skip;

static uint64_t now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void logged(enum kind k, uint64_t t0)
{
	uint64_t t1 = now();
	if (evs && nev < NEV)
		evs[nev++] = (struct ev){t0, t1, (uint8_t)k};
}

ssize_t __real_send(int fd, const void *b, size_t n, int fl);
ssize_t __real_recv(int fd, void *b, size_t n, int fl);
ssize_t __real_sendmsg(int fd, const struct msghdr *m, int fl);
ssize_t __real_recvmsg(int fd, struct msghdr *m, int fl);
int __real_recvmmsg(int fd, struct mmsghdr *m, unsigned n, int fl, struct timespec *t);
int __real_epoll_wait(int ep, struct epoll_event *e, int n, int ms);
void *__real_memcpy(void *d, const void *s, size_t n);
ssize_t __wrap_send(int fd, const void *b, size_t n, int fl);
ssize_t __wrap_recv(int fd, void *b, size_t n, int fl);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int fl);
ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int fl);
int __wrap_recvmmsg(int fd, struct mmsghdr *m, unsigned n, int fl, struct timespec *t);
int __wrap_epoll_wait(int ep, struct epoll_event *e, int n, int ms);
void *__wrap_memcpy(void *d, const void *s, size_t n);

ssize_t __wrap_send(int fd, const void *b, size_t n, int fl)
{
	uint64_t t0 = now();
	ssize_t r = __real_send(fd, b, n, fl);
	logged(K_SEND, t0);
	return r;
}

ssize_t __wrap_recv(int fd, void *b, size_t n, int fl)
{
	uint64_t t0 = now();
	ssize_t r = __real_recv(fd, b, n, fl);
	logged(fl & MSG_DONTWAIT ? K_RECV : K_WAIT, t0);
	return r;
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int fl)
{
	uint64_t t0 = now();
	ssize_t r = __real_sendmsg(fd, m, fl);
	logged(K_SENDMSG, t0);
	return r;
}

ssize_t __wrap_recvmsg(int fd, struct msghdr *m, int fl)
{
	uint64_t t0 = now();
	ssize_t r = __real_recvmsg(fd, m, fl);
	logged(fl & MSG_DONTWAIT ? K_RECVMSG : K_WAIT, t0);
	return r;
}

int __wrap_recvmmsg(int fd, struct mmsghdr *m, unsigned n, int fl, struct timespec *t)
{
	uint64_t t0 = now();
	int r = __real_recvmmsg(fd, m, n, fl, t);
	logged(K_RECVMMSG, t0);
	return r;
}

int __wrap_epoll_wait(int ep, struct epoll_event *e, int n, int ms)
{
	uint64_t t0 = now();
	int r = __real_epoll_wait(ep, e, n, ms);
	logged(K_WAIT, t0);
	return r;
}

void *__wrap_memcpy(void *d, const void *s, size_t n)
{
	uint64_t t0;
	void *r;
	if (n < 4096)
		return __real_memcpy(d, s, n);
	t0 = now();
	r = __real_memcpy(d, s, n);
	logged(K_COPY, t0);
	return r;
}

/* One end's time a payload, ns: in each kind of call, and its own code
 * between calls (the gaps, waits excluded). */
struct split {
	double kind[NKINDS], code, active;
};

/* This end's log after the skipped events, a payload (over payloads). */
static struct split split_of(double payloads)
{
	struct split s = {{0}, 0, 0};
	for (size_t i = skip + 1; i < nev; i++) {
		s.kind[evs[i].kind] += (double)(evs[i].t1 - evs[i].t0);
		s.code += (double)(evs[i].t0 - evs[i - 1].t1);
	}
	for (int k = 0; k < NKINDS; k++)
		s.kind[k] /= payloads;
	s.code /= payloads;
	s.active = s.code;
	for (int k = 0; k < NKINDS; k++)
		if (k != K_WAIT)
			s.active += s.kind[k];
	return s;
}

/* ---- the paths ---- */

enum mode { SOCK, FLOOR, PRIVSEP, NMODES };
static const char *mname[NMODES] = {"socket copy", "raw shared memory, receiver in epoll",
                                    "privsep call"};

static size_t size;
static int reps;
static const uint8_t *buf;
static volatile uint64_t sum_sink;

typedef uint64_t __attribute__((may_alias, aligned(1))) u64_any;

/* The handler's read of the payload, every byte. */
static uint64_t sum_bytes(const uint8_t *p, size_t n)
{
	uint64_t s = 0;
	size_t i = 0;
	for (; i + 8 <= n; i += 8)
		s += *(const u64_any *)(const void *)(p + i);
	for (; i < n; i++)
		s += p[i];
	return s;
}

static void pin(int cpu)
{
	cpu_set_t cs;
	CPU_ZERO(&cs);
	CPU_SET(cpu, &cs);
	if (sched_setaffinity(0, sizeof(cs), &cs) < 0) {
		perror("bulk-path: sched_setaffinity");
		_exit(2);
	}
}

static int sink(struct privsep_req *req, void *arg)
{
	(void)arg;
	sum_sink += sum_bytes(req->bulk, req->bulk_len);
	return 0;
}

static void quiet(enum privsep_log_level l, const char *m, void *a)
{
	(void)l;
	(void)m;
	(void)a;
}

/* The receiving end, in the child, until its channel closes. */
static void receiver(enum mode m, int fd, uint8_t *slot)
{
	if (m == SOCK) {
		uint8_t *rx = malloc(CHUNK);
		uint64_t want;
		while (recv(fd, &want, sizeof(want), 0) == sizeof(want)) {
			for (uint64_t got = 0; got < want;) {
				/* a record already there is work (its copy out of
				 * the socket), one still coming a wait */
				ssize_t n = recv(fd, rx, CHUNK, MSG_DONTWAIT);
				if (n < 0 && errno == EAGAIN)
					n = recv(fd, rx, CHUNK, 0);
				if (n <= 0)
					_exit(1);
				sum_sink += sum_bytes(rx, (size_t)n);
				got += (uint64_t)n;
			}
			if (send(fd, "k", 1, MSG_NOSIGNAL) != 1)
				_exit(1);
		}
	} else if (m == FLOOR) {
		/* as the bench's floor row: epoll_wait, the 8-byte record, the
		 * copy out, done stored (and a waiting sender woken), the read,
		 * the answer */
		uint8_t *cp = malloc(size);
		uint32_t *done = (uint32_t *)(void *)slot;
		struct epoll_event ev = {.events = EPOLLIN};
		int ep = epoll_create1(EPOLL_CLOEXEC);
		uint64_t rec;
		if (!cp || ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			_exit(1);
		while (epoll_wait(ep, &ev, 1, -1) == 1 &&
		       recv(fd, &rec, sizeof(rec), MSG_DONTWAIT) == sizeof(rec)) {
			copyout(cp, slot + 4096, size, 0);
			__atomic_store_n(done, *done + 1, __ATOMIC_SEQ_CST);
			sum_sink += sum_bytes(cp, size);
			if (send(fd, "k", 1, MSG_NOSIGNAL) != 1)
				_exit(1);
		}
	} else {
		const struct privsep_handler t[] = {{.type = TYPE,
		                                     .name = "bulk-sink",
		                                     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK,
		                                     .fn = sink,
		                                     .bulk_max = (uint64_t)512 << 20}};
		struct privsep_helper_config hc = {.log = quiet};
		struct privsep_helper *h = privsep_helper_new(t, 1, &hc);
		if (!h || !helper_attach(h, fd, -1, 0, "bulk"))
			_exit(1);
		privsep_helper_run(h);
	}
}

/* The sending end's payloads; the wall time of each into out. */
static void sender(enum mode m, int fd, uint8_t *slot, uint64_t *out)
{
	struct privsep_client *c = NULL;
	if (m == PRIVSEP && !(c = privsep_client_new(fd, NULL)))
		_exit(1);
	for (int r = 0; r < reps; r++) {
		uint64_t t0 = now();
		char k;
		if (r == reps / 10)
			skip = nev; /* the first tenth warms up */
		if (m == SOCK) {
			uint64_t want = size;
			if (send(fd, &want, sizeof(want), MSG_NOSIGNAL) != sizeof(want))
				abort();
			for (size_t off = 0; off < size; off += CHUNK) {
				size_t n = size - off < CHUNK ? size - off : CHUNK;
				if (send(fd, buf + off, n, MSG_NOSIGNAL) != (ssize_t)n)
					abort();
			}
			if (recv(fd, &k, 1, 0) != 1)
				abort();
		} else if (m == FLOOR) {
			/* the sender waits for the payload before to be copied
			 * out (it always is: its answer came after) */
			uint32_t *done = (uint32_t *)(void *)slot;
			uint64_t rec = size;
			if (__atomic_load_n(done, __ATOMIC_ACQUIRE) != (uint32_t)r)
				abort();
			memcpy(slot + 4096, buf, size);
			if (send(fd, &rec, sizeof(rec), MSG_NOSIGNAL) != sizeof(rec))
				abort();
			if (recv(fd, &k, 1, 0) != 1)
				abort();
		} else {
			struct privsep_bulk b = {buf, size};
			struct privsep_result res = {0};
			if (privsep_client_call(c, &(struct privsep_out){.type = TYPE, .bulk = &b},
			                        &res) != 0)
				abort();
		}
		out[r] = now() - t0;
	}
	if (c)
		privsep_client_free(c);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* One run of path m: its median wall time a payload (ns); each end's
 * split into snd and rcv. */
static double run(enum mode m, struct split *snd, struct split *rcv)
{
	int sv[2];
	uint64_t *out = calloc((size_t)reps, sizeof(*out));
	struct split *shared =
	    mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint8_t *slot =
	    mmap(NULL, 4096 + size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double med;
	pid_t pid;
	if (!out || shared == MAP_FAILED || slot == MAP_FAILED || chan_pair(sv) < 0)
		abort();
	__real_memcpy(slot + 4096, buf, size); /* its pages made */
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		close(sv[1]);
		pin(1);
		nev = skip = 0;
		receiver(m, sv[0], slot);
		/* where the sender's warm-up ended is not known here: the first
		 * tenth of the receiver's events is skipped, and the rest stands
		 * for that share of the payloads */
		skip = nev / 10;
		*shared = split_of(nev ? (double)reps * (double)(nev - skip) / (double)nev : 1);
		_exit(0);
	}
	close(sv[0]);
	nev = skip = 0;
	sender(m, sv[1], slot, out);
	*snd = split_of(reps - reps / 10);
	close(sv[1]);
	waitpid(pid, NULL, 0);
	*rcv = *shared;
	qsort(out, (size_t)reps, sizeof(*out), cmp_u64);
	med = (double)out[reps / 2];
	free(out);
	munmap(shared, sizeof(*shared));
	munmap(slot, 4096 + size);
	return med;
}

static void print_split(const char *end, const struct split *s)
{
	printf("    %-9s active %6.2f us:", end, s->active / 1e3);
	for (int k = 0; k < NKINDS; k++)
		if (k != K_WAIT && s->kind[k] > 0)
			printf(" %s %.2f", kname[k], s->kind[k] / 1e3);
	printf(", its own code %.2f\n", s->code / 1e3);
}

int main(int argc, char **argv)
{
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	size = argc > 1 ? strtoul(argv[1], NULL, 0) : 65536;
	reps = argc > 2 ? atoi(argv[2]) : 20000;
	if (size < 4096 || size > CHUNK * 64 || reps < 100 || rounds < 1 || rounds > 15) {
		fprintf(stderr,
		        "usage: bulk-path [SIZE 4096..4 MiB] [REPS >= 100] [ROUNDS 1..15]\n");
		return 2;
	}
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		printf("bulk-path: one CPU online: the ends cannot be apart\n");
		return 77;
	}
	evs = malloc(NEV * sizeof(*evs));
	uint8_t *b = malloc(size);
	if (!evs || !b)
		return 1;
	memset(b, 1, size);
	buf = b;

	double wall[NMODES][15];
	struct split snd[NMODES][15], rcv[NMODES][15];
	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < NMODES; m++)
			wall[m][r] = run((enum mode)m, &snd[m][r], &rcv[m][r]);

	printf("bulk-path: %zu-byte payloads, %d a round, %d rounds; sender on CPU 0, receiver "
	       "on CPU 1 (each end's split: the round of the median wall time)\n",
	       size, reps, rounds);
	double base = 0;
	for (int m = 0; m < NMODES; m++) {
		double w[15];
		int at = 0;
		__real_memcpy(w, wall[m], sizeof(double) * (size_t)rounds);
		qsort(w, (size_t)rounds, sizeof(double), cmp_dbl);
		for (int r = 0; r < rounds; r++)
			if (wall[m][r] == w[rounds / 2])
				at = r;
		if (m == SOCK)
			base = w[rounds / 2];
		printf("  %-38s %7.2f us a payload (%.3f x the socket copy's rate); rounds:",
		       mname[m], w[rounds / 2] / 1e3, base / w[rounds / 2]);
		for (int r = 0; r < rounds; r++)
			printf(" %.2f", wall[m][r] / 1e3);
		printf("\n");
		print_split("sender", &snd[m][at]);
		print_split("receiver", &rcv[m][at]);
		printf("    left: %.2f us (the two wake-ups, less what the ends overlapped)\n",
		       (w[rounds / 2] - snd[m][at].active - rcv[m][at].active) / 1e3);
	}
	return 0;
}
