/* SPDX-License-Identifier: ISC */
/*
 * bulk_modes.c - one run of the bench's socket copy (bulk_raw: a payload
 * sent through a SEQPACKET socketpair in 64 KiB records, the receiver
 * reading every byte and answering one byte), both ends on CPU 0, and
 * what decides its rate: how often the receiver, woken by a record,
 * preempted its sender (bench/README.md, "Bulk baseline, session 9").
 *
 *   bulk-modes [SIZE_KIB [REPS]] [--batch] [--sender-nice N]
 *
 * --batch: the receiver runs SCHED_BATCH (as the bench's now do);
 * --sender-nice N: the sender at nice N, which makes a SCHED_OTHER
 * receiver preempt it at every record.  Prints the median rate, the
 * rate in bytes per CPU second of both ends (what other tasks on CPU 0
 * took is not in it) and the sender's switches a payload.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 65536u

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static uint64_t sum_bytes(const uint8_t *b, size_t n)
{
	uint64_t s = 0, w;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		memcpy(&w, b + i, 8);
		s += w;
	}
	for (; i < n; i++)
		s += b[i];
	return s;
}

/* The CPU time a task has run, ns: schedstat's first field. */
static uint64_t cpu_ns(int fd)
{
	char b[96];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	if (n <= 0)
		return 0;
	b[n] = 0;
	return strtoull(b, NULL, 10);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static void receiver(int s, int batch)
{
	uint8_t *rx = malloc(CHUNK);
	uint64_t want, sum = 0;
	struct sched_param sp = {0};
	if (!rx || (batch && sched_setscheduler(0, SCHED_BATCH, &sp) < 0))
		_exit(3);
	while (recv(s, &want, sizeof(want), 0) == sizeof(want)) {
		for (uint64_t got = 0; got < want;) {
			ssize_t n = recv(s, rx, CHUNK, 0);
			if (n <= 0)
				_exit(1);
			sum += sum_bytes(rx, (size_t)n);
			got += (uint64_t)n;
		}
		if (send(s, "k", 1, MSG_NOSIGNAL) != 1)
			_exit(1);
	}
	_exit(sum == 1);
}

int main(int argc, char **argv)
{
	size_t size = (size_t)1 << 20;
	int reps = 60, batch = 0, nice_to = 0, pos = 0, sv[2], self, peer;
	char path[48];
	cpu_set_t cpu0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--batch"))
			batch = 1;
		else if (!strcmp(argv[i], "--sender-nice") && i + 1 < argc)
			nice_to = atoi(argv[++i]);
		else if (pos == 0 && atol(argv[i]) > 0 && ++pos)
			size = (size_t)atol(argv[i]) << 10;
		else if (pos == 1 && atoi(argv[i]) > 2 && ++pos)
			reps = atoi(argv[i]);
		else {
			fprintf(stderr, "usage: bulk-modes [SIZE_KIB [REPS]] [--batch] "
			                "[--sender-nice N]\n");
			return 2;
		}
	}
	/* the bench's source: one buffer for every size, every page written */
	uint8_t *buf = malloc(size);
	uint64_t *t = calloc((size_t)reps, sizeof(*t));
	if (!buf || !t)
		return 1;
	for (size_t i = 0; i < size; i++)
		buf[i] = (uint8_t)(i * 131u);
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	if (sched_setaffinity(0, sizeof(cpu0), &cpu0) < 0 ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return 1;
	pid_t pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(sv[1]);
		receiver(sv[0], batch);
	}
	close(sv[0]);
	if (nice_to && setpriority(PRIO_PROCESS, 0, nice_to) < 0)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)pid);
	self = open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC);
	peer = open(path, O_RDONLY | O_CLOEXEC);
	if (self < 0 || peer < 0)
		return 1;
	struct rusage r0, r1;
	uint64_t c0 = cpu_ns(self) + cpu_ns(peer);
	getrusage(RUSAGE_SELF, &r0);
	for (int r = 0; r < reps; r++) {
		uint64_t want = size, t0 = now_ns();
		char k;
		if (send(sv[1], &want, sizeof(want), MSG_NOSIGNAL) != sizeof(want))
			return 1;
		for (size_t off = 0; off < size; off += CHUNK) {
			size_t n = size - off < CHUNK ? size - off : CHUNK;
			if (send(sv[1], buf + off, n, MSG_NOSIGNAL) != (ssize_t)n)
				return 1;
		}
		if (recv(sv[1], &k, 1, 0) != 1)
			return 1;
		t[r] = now_ns() - t0;
	}
	getrusage(RUSAGE_SELF, &r1);
	uint64_t c1 = cpu_ns(self) + cpu_ns(peer);
	close(sv[1]);
	waitpid(pid, NULL, 0);
	qsort(t, (size_t)reps, sizeof(*t), cmp_u64);
	printf("%zu KiB: median %.0f MB/s, both ends' CPU %.0f MB/s; the sender's switches a "
	       "payload: %.2f involuntary (preempted), %.2f voluntary\n",
	       size >> 10, (double)size / (double)t[reps / 2] * 1e3,
	       (double)size * reps / (double)(c1 - c0) * 1e3,
	       (double)(r1.ru_nivcsw - r0.ru_nivcsw) / reps,
	       (double)(r1.ru_nvcsw - r0.ru_nvcsw) / reps);
	free(t);
	free(buf);
	return 0;
}
