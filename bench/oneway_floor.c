/* SPDX-License-Identifier: ISC */
/*
 * oneway_floor.c - where one-way throughput goes, per record, in CPU
 * time of each side: the floor an event loop pays against a receiver
 * blocked in recv, and privsep's post and helper against both.
 *
 * Each mode streams COUNT records of SIZE payload bytes (plus the
 * 16-byte header every record has) over a SOCK_SEQPACKET pair from a
 * sender to a receiver in a child process, and prints the rate, the
 * sender's and the receiver's CPU time per record and the receiver's
 * voluntary context switches (sleeps) per 1,000 records:
 *
 *   recv       raw send; the receiver blocks in recv (the goal's baseline)
 *   copy       the same, each record first copied into the sender's own
 *              buffer (memcpy), as a post's payload is
 *   recv+ep    the same, the socket also in an epoll set nobody waits
 *              on: each send then runs epoll's wake-up callback too
 *   recv+ep1   the same with EPOLLONESHOT, its one event taken: the
 *              entry stays on the socket's wait queue, disarmed
 *   ep-recv    raw send; the receiver waits in epoll_wait, then reads
 *              with recv(MSG_DONTWAIT) until EAGAIN (an event loop)
 *   ep-mm      raw send; epoll_wait, then recvmmsg of 4 with control
 *              buffers until EAGAIN (the helper's way, no checks)
 *   helper     raw send of well-formed records; privsep's helper
 *   post       privsep_client_post; a receiver blocked in recv
 *   privsep    privsep_client_post; privsep's helper (the bench's row)
 *
 * The modes alternate, ROUNDS times; the medians are printed.
 *
 * Usage: oneway-floor [SIZE] [COUNT] [ROUNDS] [MODE,MODE...]   (under
 * taskset -c 0 for one CPU; defaults 32, 200000, 5, all modes; the ratio
 * column is against recv, so keep it in the list)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "chan.h"
#include "helper_int.h"
#include "mm_slots.h"
#include "sink_post.h"
#include "wire.h"

#define TYPE 0x10001u
#define MAXREC 65536u
#define MM 4u /* the helper's stash at this record limit: 256 KiB of slots */

enum mode { RECV, COPY, RECV_EP, RECV_EP1, EP_RECV, EP_MM, HELPER, POST, PRIVSEP, NMODES };
static const char *names[NMODES] = {"recv",  "copy",   "recv+ep", "recv+ep1", "ep-recv",
                                    "ep-mm", "helper", "post",    "privsep"};

struct result {
	double rate, snd_ns, rcv_ns, sleeps;
};

static double now_ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void quiet(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

static const struct privsep_handler table[] = {{.type = TYPE,
                                                .name = "sink",
                                                .max_len = MAXREC - 16,
                                                .flags = PRIVSEP_H_POST,
                                                .fn = count_post}};

/* The receiver of mode m on fd, in this (child) process: how many
 * records, its CPU ns and its voluntary switches, on out. */
static void receive(enum mode m, int fd, int out)
{
	static char bufs[MM][MAXREC];
	static union mm_ctl ctl[MM];
	struct mmsghdr mm[MM];
	struct iovec iov[MM];
	struct epoll_event ev = {.events = EPOLLIN};
	struct rusage r0, r1;
	double c0;
	long n = 0;
	int ep = -1, end = 0;

	if (m == RECV_EP || m == RECV_EP1 || m == EP_RECV || m == EP_MM) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (m == RECV_EP1)
			ev.events |= EPOLLONESHOT;
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			_exit(1);
		/* one-shot: its one event taken, the entry stays, disarmed */
		if (m == RECV_EP1 && epoll_wait(ep, &ev, 1, -1) != 1)
			_exit(1);
	}
	getrusage(RUSAGE_SELF, &r0);
	c0 = now_ns(CLOCK_PROCESS_CPUTIME_ID);
	switch (m) {
	case RECV:
	case COPY:
	case RECV_EP:
	case RECV_EP1:
	case POST:
		while (recv(fd, bufs[0], MAXREC, 0) > 0)
			n++;
		break;
	case EP_RECV:
		while (!end && epoll_wait(ep, &ev, 1, -1) == 1)
			while (!end) {
				ssize_t k = recv(fd, bufs[0], MAXREC, MSG_DONTWAIT);
				if (k <= 0) {
					end = k == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
					break;
				}
				n++;
			}
		break;
	case EP_MM:
		while (!end && epoll_wait(ep, &ev, 1, -1) == 1)
			while (!end) {
				int got;
				mm_slots_arm(mm, iov, ctl, bufs[0], MAXREC, MM);
				got = recvmmsg(fd, mm, MM, MSG_DONTWAIT | MSG_CMSG_CLOEXEC, NULL);
				if (got <= 0) {
					end = got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
					break;
				}
				for (int i = 0; i < got && !end; i++) {
					if (mm[i].msg_len == 0)
						end = 1;
					else
						n++;
				}
			}
		break;
	case HELPER:
	case PRIVSEP: {
		struct privsep_helper_config hc = {.log = quiet, .msg_max = MAXREC};
		struct privsep_helper *h = privsep_helper_new(table, 1, &hc);
		if (!h || !helper_attach(h, fd, -1, 0, "sink"))
			_exit(1);
		privsep_helper_run(h);
		n = sink_count;
		break;
	}
	default:
		_exit(1);
	}
	{
		double out3[3];
		getrusage(RUSAGE_SELF, &r1);
		out3[0] = (double)n;
		out3[1] = now_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
		out3[2] = (double)(r1.ru_nvcsw - r0.ru_nvcsw);
		if (write(out, out3, sizeof(out3)) != (ssize_t)sizeof(out3))
			_exit(1);
	}
	_exit(0);
}

static struct result run(enum mode m, size_t size, long count)
{
	int sv[2], done[2];
	uint8_t *rec = calloc(1, PRIVSEP_HDR_LEN + size);
	static uint8_t frame[MAXREC];
	struct privsep_client *c = NULL;
	struct privsep_client_config cfg = {.msg_max = MAXREC};
	struct result res;
	double t0, s0, got[3];
	pid_t pid;

	if (!rec || chan_pair(sv) < 0 || pipe(done) < 0)
		abort();
	/* a well-formed record, as a post of size bytes would be */
	wire_put_hdr(rec, &(struct wire_hdr){PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, TYPE, 0,
	                                     (uint32_t)size});
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		close(done[0]);
		receive(m, sv[0], done[1]);
	}
	close(sv[0]);
	close(done[1]);
	if (m == POST || m == PRIVSEP)
		c = privsep_client_new(sv[1], &cfg);
	t0 = now_ns(CLOCK_MONOTONIC);
	s0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long i = 0; i < count; i++) {
		if (c) {
			if (privsep_client_post(c,
			                        &(struct privsep_out){.type = TYPE,
			                                              .data = rec + PRIVSEP_HDR_LEN,
			                                              .len = size}) < 0)
				abort();
		} else if (m == COPY) {
			/* the record framed in a buffer of the sender's, as a
			 * post's payload is (msg.c), then sent */
			memcpy(frame, rec, PRIVSEP_HDR_LEN);
			memcpy(frame + PRIVSEP_HDR_LEN, rec + PRIVSEP_HDR_LEN, size);
			if (send(sv[1], frame, PRIVSEP_HDR_LEN + size, MSG_NOSIGNAL) < 0)
				abort();
		} else if (send(sv[1], rec, PRIVSEP_HDR_LEN + size, MSG_NOSIGNAL) < 0) {
			abort();
		}
	}
	res.snd_ns = (now_ns(CLOCK_THREAD_CPUTIME_ID) - s0) / (double)count;
	if (c)
		privsep_client_free(c); /* closes sv[1] */
	else
		close(sv[1]);
	if (read(done[0], got, sizeof(got)) != (ssize_t)sizeof(got) || (long)got[0] != count)
		abort(); /* every record arrives */
	res.rate = (double)count / ((now_ns(CLOCK_MONOTONIC) - t0) / 1e9);
	res.rcv_ns = got[1] / (double)count;
	res.sleeps = got[2] * 1000.0 / (double)count;
	waitpid(pid, NULL, 0);
	close(done[0]);
	free(rec);
	return res;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
	size_t size = argc > 1 ? strtoul(argv[1], NULL, 0) : 32;
	long count = argc > 2 ? strtol(argv[2], NULL, 0) : 200000;
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	const char *only = argc > 4 ? argv[4] : NULL;
	double v[NMODES][4][64];
	int on[NMODES];

	if (size > MAXREC - PRIVSEP_HDR_LEN || count < 1 || rounds < 1 || rounds > 64) {
		fprintf(stderr, "usage: oneway-floor [SIZE] [COUNT] [ROUNDS<=64] [MODE,...]\n");
		return 2;
	}
	for (int m = 0; m < NMODES; m++) {
		const char *p = only ? strstr(only, names[m]) : NULL;
		size_t k = strlen(names[m]);
		/* a name in the comma-separated list, not a part of one */
		on[m] = !only || (p && (p == only || p[-1] == ',') && (p[k] == ',' || !p[k]));
	}
	for (int r = 0; r < rounds; r++)
		for (int m = 0; m < NMODES; m++) {
			if (!on[m])
				continue;
			struct result x = run((enum mode)m, size, count);
			v[m][0][r] = x.rate;
			v[m][1][r] = x.snd_ns;
			v[m][2][r] = x.rcv_ns;
			v[m][3][r] = x.sleeps;
		}
	printf("%zu-byte payloads, %ld records, median of %d rounds\n", size, count, rounds);
	printf("%-8s %12s %8s %10s %10s %10s %12s\n", "mode", "records/s", "x recv", "send ns",
	       "recv ns", "sum ns", "sleeps/1000");
	{
		double base = on[RECV] ? median(v[RECV][0], rounds) : 0;
		for (int m = 0; m < NMODES; m++) {
			if (!on[m])
				continue;
			double rate = median(v[m][0], rounds), s = median(v[m][1], rounds),
			       rc = median(v[m][2], rounds), sl = median(v[m][3], rounds);
			printf("%-8s %12.0f %8.3f %10.0f %10.0f %10.0f %12.1f\n", names[m], rate,
			       rate / base, s, rc, s + rc, sl);
		}
	}
	return 0;
}
