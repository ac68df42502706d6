/* SPDX-License-Identifier: ISC */
/*
 * test_async.c - events from the helper with a bounded queue and
 * backpressure, worker posts that queue or wait, and the worker's
 * standard error through a pipe into the helper's log (docs/PROTOCOL.md,
 * sections 5, 9 and 11).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "chan.h"

#define T_SEQ (PRIVSEP_TYPE_APP_MIN + 1)    /* event: u32 sequence number */
#define T_DONE (PRIVSEP_TYPE_APP_MIN + 2)   /* post: u32 events seen, u32 out of order */
#define T_CALLS (PRIVSEP_TYPE_APP_MIN + 3)  /* event whose handler tries a call */
#define T_POSTED (PRIVSEP_TYPE_APP_MIN + 4) /* post: 4 bytes, 0 or 1 fd */
#define T_NESTED (PRIVSEP_TYPE_APP_MIN + 9) /* event whose handler dispatches */
#define T_FDEV (PRIVSEP_TYPE_APP_MIN + 10)  /* event: u32, one fd */

/* ---- the worker's side of the events ---- */

static uint32_t seen, disorder; /* in the worker */

static int on_seq(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	uint32_t v;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &v) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	disorder += v != seen;
	seen++;
	return 0;
}

static int call_errno;
static int on_calls(struct privsep_req *req, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	call_errno = privsep_client_ping(req->client, "x", 1, &res) < 0 ? errno : 0;
	return 0;
}

static int nested_rc = -2;
static int on_nested(struct privsep_req *req, void *arg)
{
	(void)arg;
	/* this thread is the reader: dispatch has nothing to do here */
	nested_rc = privsep_client_dispatch(req->client, -1);
	return 0;
}

/* ---- the helper's side ---- */

static uint32_t done_seen, done_disorder;
static atomic_int done;
static int on_done(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	privsep_reader_get_u32(&r, &done_seen);
	privsep_reader_get_u32(&r, &done_disorder);
	done = 1;
	return 0;
}

static int on_posted(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_SEQ,
     .name = "seq",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_EVENT,
     .fn = on_seq},
    {.type = T_DONE,
     .name = "done",
     .min_len = 8,
     .max_len = 8,
     .flags = PRIVSEP_H_POST,
     .fn = on_done},
    {.type = T_CALLS, .name = "calls", .flags = PRIVSEP_H_EVENT, .fn = on_calls},
    {.type = T_POSTED,
     .name = "posted",
     .min_len = 4,
     .max_len = 4,
     .max_fds = 1,
     .flags = PRIVSEP_H_POST,
     .fn = on_posted},
    {.type = T_NESTED, .name = "nested", .flags = PRIVSEP_H_EVENT, .fn = on_nested},
    {.type = T_FDEV,
     .name = "fd-event",
     .min_len = 4,
     .max_len = 4,
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_EVENT,
     .fn = on_posted},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

#define NEVENTS 1000000u

static long rss_kb(void)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* The worker waits on its go pipe (reading nothing from its channel
 * meanwhile), then takes every event and reports. */
static int seq_worker(struct privsep_client *c, void *arg)
{
	int go = *(int *)arg;
	char b;
	uint8_t out[8];
	struct privsep_writer w;
	if (read(go, &b, 1) != 1)
		return 10;
	while (seen < NEVENTS)
		if (privsep_client_dispatch(c, 10000) < 0)
			return 11;
	privsep_writer_init(&w, out, sizeof(out));
	privsep_writer_put_u32(&w, seen);
	privsep_writer_put_u32(&w, disorder);
	return privsep_client_post(
	           c, &(struct privsep_out){.type = T_DONE, .data = out, .len = w.len}) < 0
	           ? 12
	           : 0;
}

static int drained;
static void on_drained(struct privsep_worker *w, void *arg)
{
	(void)w;
	(void)arg;
	drained++;
}

static void events_million_to_a_worker_that_does_not_read_bounded_and_in_order(void **state)
{
	struct privsep_helper_config cfg = {.queue_max = 256, .on_worker_drained = on_drained};
	struct hx *x;
	int go[2];
	struct privsep_sandbox sb = {0};
	struct privsep_spawn sp = {.name = "slow", .main = seq_worker, .sandbox = &sb};
	struct privsep_worker *w;
	long rss0, rss_full = 0;
	size_t maxq = 0;
	int released = 0, refused = 0;
	(void)state;
	if (under_valgrind())
		skip();
	x = hx_new_cfg(table, NTABLE, &cfg);
	assert_non_null(x);
	drained = 0;
	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	sb.keep_fds = &go[0];
	sb.nkeep = 1;
	sp.arg = &go[0];
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	close(go[0]);
	PUMP_WHILE(x->h, !privsep_worker_ready(w), 60000);
	assert_true(privsep_worker_ready(w));
	rss0 = rss_kb();
	for (uint32_t i = 0; i < NEVENTS;) {
		uint8_t msg[4];
		struct privsep_writer pw;
		privsep_writer_init(&pw, msg, sizeof(msg));
		privsep_writer_put_u32(&pw, i);
		if (privsep_worker_post(
		        w, &(struct privsep_out){.type = T_SEQ, .data = msg, .len = 4}) == 0) {
			i++;
			if (privsep_worker_queued(w) > maxq)
				maxq = privsep_worker_queued(w);
			continue;
		}
		assert_int_equal(errno, EAGAIN);
		refused++;
		if (!released) {
			/* the socket and the queue are full and the worker has
			 * read nothing: the queue is at its bound */
			assert_int_equal(privsep_worker_queued(w), 256);
			rss_full = rss_kb();
			assert_int_equal(write(go[1], "g", 1), 1);
			released = 1;
		}
		privsep_helper_step(x->h, 100);
	}
	assert_true(released);
	assert_true(maxq <= 256);
	/* the helper was told each time the queue had drained after a refusal */
	assert_true(drained > 0 && drained <= refused);
	assert_int_equal(hx_pump_until(x, &done, 60000), 1);
	assert_int_equal(done_seen, NEVENTS);
	assert_int_equal(done_disorder, 0);
	assert_true(hx_pump_gone(x, 1, 10000));
	/* 256 queued records of 20 bytes: far under a MiB.  (AddressSanitizer
	 * keeps freed memory in quarantine: there only the queue's bound is
	 * checked, above.) */
#ifndef __SANITIZE_ADDRESS__
	assert_true(rss_full - rss0 < 4096);
	assert_true(rss_kb() - rss0 < 8192);
#endif
	print_message("1e6 events: %d posts refused with EAGAIN, RSS %ld -> %ld kB when full\n",
	              refused, rss0, rss_full);
	close(go[1]);
	hx_free(x);
}

static void rule_event_from_the_worker_is_wrong_direction(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	uint8_t rec[64];
	int sock = hx_attach_raw(x, "raw", NULL);
	(void)state;
	size_t n = rec_make(rec, T_SEQ, 0, "\0\0\0\0", 4, 0);
	assert_int_equal(raw_send(sock, rec, n, NULL, 0), 0);
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(x->last_viol, PRIVSEP_V_WRONG_DIRECTION);
	close(sock);
	hx_free(x);
}

/* A client on one end of a pair, the test playing the helper on the
 * other. */
static struct privsep_client *raw_client(int *peer, size_t queue_max)
{
	int sv[2];
	struct privsep_client_config cfg = {.table = table, .n = NTABLE, .queue_max = queue_max};
	assert_int_equal(chan_pair(sv), 0);
	*peer = sv[0];
	return privsep_client_new(sv[1], &cfg);
}

static void rule_a_call_from_an_event_handler_fails_EDEADLK(void **state)
{
	int peer;
	struct privsep_client *c = raw_client(&peer, 0);
	uint8_t rec[32];
	(void)state;
	size_t n = rec_make(rec, T_CALLS, 0, NULL, 0, 0);
	assert_int_equal(raw_send(peer, rec, n, NULL, 0), 0);
	call_errno = 0;
	assert_int_equal(privsep_client_dispatch(c, 1000), 1);
	assert_int_equal(call_errno, EDEADLK);
	privsep_client_free(c);
	close(peer);
}

static void rule_dispatch_from_an_event_handler_returns_at_once(void **state)
{
	int peer;
	struct privsep_client *c = raw_client(&peer, 0);
	uint8_t rec[32];
	(void)state;
	size_t n = rec_make(rec, T_NESTED, 0, NULL, 0, 0);
	assert_int_equal(raw_send(peer, rec, n, NULL, 0), 0);
	nested_rc = -2;
	assert_int_equal(privsep_client_dispatch(c, 1000), 1);
	assert_int_equal(nested_rc, 0);
	privsep_client_free(c);
	close(peer);
}

static void rule_event_checks_at_the_worker(void **state)
{
	static const struct {
		uint32_t type, id;
		size_t len;
	} bad[] = {
	    {T_SEQ, 7, 4},                     /* id-on-post */
	    {T_SEQ, 0, 3},                     /* bad-size */
	    {T_DONE, 0, 8},                    /* a request type: wrong-direction */
	    {PRIVSEP_TYPE_APP_MIN + 99, 0, 0}, /* not in the table */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int peer;
		struct privsep_client *c = raw_client(&peer, 0);
		uint8_t rec[64] = {0};
		size_t n = rec_make(rec, bad[i].type, bad[i].id, rec + 32, bad[i].len, 0);
		assert_int_equal(raw_send(peer, rec, n, NULL, 0), 0);
		assert_int_equal(privsep_client_dispatch(c, 1000), -1);
		assert_int_equal(errno, EPROTO);
		privsep_client_free(c);
		close(peer);
	}
}

/* One record from the peer's end, with its fd (closed here): its
 * length, or -1 with errno. */
static ssize_t recv_with_fd(int sock, uint8_t *buf, size_t cap, int *got_fd)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	struct iovec iov = {.iov_base = buf, .iov_len = cap};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	*got_fd = 0;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); n >= 0 && cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_type == SCM_RIGHTS) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
			close(fd);
			*got_fd = 1;
		}
	return n;
}

static void worker_nowait_posts_queue_bounded_then_EAGAIN_in_order(void **state)
{
	int peer, p[2], before;
	struct privsep_client *c = raw_client(&peer, 8);
	uint32_t sent = 0, got = 0;
	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	before = count_fds();
	/* nobody reads: the socket fills, then the queue, then EAGAIN */
	for (;;) {
		uint8_t v[4];
		memcpy(v, &sent, 4);
		/* every other one with an fd: a queued record keeps its own copy */
		if (privsep_client_post(c, &(struct privsep_out){.type = T_POSTED,
		                                                 .data = v,
		                                                 .len = 4,
		                                                 .fds = &p[0],
		                                                 .nfds = sent % 2,
		                                                 .flags = PRIVSEP_POST_NOWAIT}) <
		    0) {
			assert_int_equal(errno, EAGAIN);
			break;
		}
		sent++;
	}
	assert_int_equal(privsep_client_queued(c), 8);
	assert_int_equal(privsep_client_flush(c, 0), -1);
	assert_int_equal(errno, EAGAIN);
	/* the peer reads: everything arrives, in order */
	while (got < sent) {
		uint8_t rec[64];
		int had_fd;
		ssize_t n = recv_with_fd(peer, rec, sizeof(rec), &had_fd);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			assert_true(privsep_client_flush(c, 0) == 0 || errno == EAGAIN);
			continue;
		}
		assert_int_equal(n, PRIVSEP_HDR_LEN + 4);
		uint32_t v;
		memcpy(&v, rec + PRIVSEP_HDR_LEN, 4);
		assert_int_equal(v, got);
		assert_int_equal(had_fd, (int)(got % 2));
		got++;
	}
	assert_int_equal(privsep_client_queued(c), 0);
	/* the queue's copies of the fds are closed once sent */
	assert_int_equal(count_fds(), before);
	close(p[0]);
	close(p[1]);
	privsep_client_free(c);
	close(peer);
}

/* A call whose reply the peer sends behind ten events: the call returns
 * after their handlers ran, in order. */
static uint32_t seen_at_return;
static void *ping_thread(void *arg)
{
	struct privsep_client *c = arg;
	struct privsep_result res = {0};
	if (privsep_client_ping(c, NULL, 0, &res) == 0)
		seen_at_return = seen;
	return NULL;
}

static void helper_events_with_fds_sent_or_queued_in_order_none_leaked(void **state)
{
	struct privsep_helper_config cfg = {.queue_max = 16};
	struct hx *x = hx_new_cfg(table, NTABLE, &cfg);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "raw", &w), p[2], before;
	uint32_t sent = 0, got = 0;
	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	before = count_fds();
	/* nobody reads: sent at once, then queued (with copies), then EAGAIN */
	while (privsep_worker_post(
	           w, &(struct privsep_out){
	                  .type = T_FDEV, .data = &sent, .len = 4, .fds = &p[0], .nfds = 1}) == 0)
		sent++;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(privsep_worker_queued(w), 16);
	while (got < sent) {
		uint8_t rec[64];
		int had_fd;
		ssize_t n = recv_with_fd(sock, rec, sizeof(rec), &had_fd);
		if (n < 0) {
			privsep_helper_step(x->h, 10);
			continue;
		}
		uint32_t v;
		memcpy(&v, rec + PRIVSEP_HDR_LEN, 4);
		assert_int_equal(v, got);
		assert_true(had_fd);
		got++;
	}
	privsep_helper_step(x->h, 0);
	assert_int_equal(privsep_worker_queued(w), 0);
	/* the caller kept its fd; the queue's copies are closed */
	assert_int_equal(count_fds(), before);
	close(p[0]);
	close(p[1]);
	close(sock);
	hx_free(x);
}

static void rule_a_reply_behind_events_reaches_its_call_after_their_handlers(void **state)
{
	int peer;
	struct privsep_client *c = raw_client(&peer, 0);
	uint8_t rec[64];
	pthread_t t;
	uint32_t id;
	(void)state;
	seen = disorder = 0;
	seen_at_return = 0;
	pthread_create(&t, NULL, ping_thread, c);
	assert_int_equal(recv(peer, rec, sizeof(rec), 0), PRIVSEP_HDR_LEN);
	memcpy(&id, rec + 8, 4);
	for (uint32_t i = 0; i < 10; i++) {
		size_t n = rec_make(rec, T_SEQ, 0, &i, 4, 0);
		assert_int_equal(raw_send(peer, rec, n, NULL, 0), 0);
	}
	size_t n = rec_make(rec, PRIVSEP_T_REPLY, id, "\0\0\0\0", 4, 0);
	assert_int_equal(raw_send(peer, rec, n, NULL, 0), 0);
	pthread_join(t, NULL);
	assert_int_equal(seen_at_return, 10);
	assert_int_equal(disorder, 0);
	privsep_client_free(c);
	close(peer);
}

/* The scenario of a deadlock: the helper queued a reply behind events
 * (so it reads nothing from the worker); one thread of the worker reads
 * and runs an event's handler; another blocks posting into a full
 * socket.  The handler's post must not wait for that one. */
#define T_BIG (PRIVSEP_TYPE_APP_MIN + 5)
#define T_ACK (PRIVSEP_TYPE_APP_MIN + 6)
#define T_EV2 (PRIVSEP_TYPE_APP_MIN + 7)
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 8)
static atomic_int in_handler, gate, handler_posted, b_count, b_stop, a_done;
static int handler_rc;
static int gated_ev(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (atomic_fetch_add(&in_handler, 1) == 0) {
		while (!atomic_load(&gate))
			usleep(1000);
		/* WAIT asked: in a handler it acts as NOWAIT */
		handler_rc = privsep_client_post(
		    req->client, &(struct privsep_out){.type = T_ACK, .data = "ack!", .len = 4});
		atomic_store(&handler_posted, 1);
	}
	return 0;
}
static const struct privsep_handler dl_table[] = {
    {.type = T_EV2,
     .name = "ev",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_EVENT,
     .fn = gated_ev},
    {.type = T_ACK,
     .name = "ack",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_POST,
     .fn = on_posted},
    {.type = T_CALL, .name = "call", .flags = PRIVSEP_H_CALL, .fn = on_posted},
    {.type = T_BIG, .name = "big", .max_len = 4000, .flags = PRIVSEP_H_POST, .fn = on_posted},
};
static void *dl_caller(void *arg)
{
	struct privsep_result res = {0};
	privsep_client_call(arg, &(struct privsep_out){.type = T_CALL}, &res);
	atomic_store(&a_done, 1);
	return NULL;
}
static void *dl_poster(void *arg)
{
	static char big[4000];
	while (!atomic_load(&b_stop)) {
		if (privsep_client_post(
		        arg,
		        &(struct privsep_out){.type = T_BIG, .data = big, .len = sizeof(big)}) < 0)
			return NULL;
		atomic_fetch_add(&b_count, 1);
	}
	return NULL;
}
static void pump_ms(struct hx *x, int ms)
{
	atomic_int never = 0;
	hx_pump_until(x, &never, ms);
}

static void rule_an_event_handlers_post_never_waits_for_a_blocked_sender(void **state)
{
	struct privsep_helper_config hc = {.queue_max = 256};
	struct hx *x = hx_new_cfg(dl_table, 4, &hc);
	struct privsep_worker *w;
	int fd = hx_attach_raw(x, "w", &w);
	struct privsep_client_config cc = {.table = dl_table, .n = 4};
	struct privsep_client *c = privsep_client_new(fd, &cc);
	pthread_t a, b;
	int last = -1;
	(void)state;
	in_handler = gate = handler_posted = b_count = b_stop = a_done = 0;
	/* events wait in the helper's queue */
	for (uint32_t i = 0; privsep_worker_queued(w) < 50; i++)
		assert_int_equal(privsep_worker_post(
		                     w, &(struct privsep_out){.type = T_EV2, .data = &i, .len = 4}),
		                 0);
	/* a call: its thread reads the first event and stays in the handler */
	pthread_create(&a, NULL, dl_caller, c);
	while (!atomic_load(&in_handler))
		usleep(1000);
	pump_ms(x, 200); /* the reply queues behind the events */
	/* another thread posts until the socket is full and it blocks */
	pthread_create(&b, NULL, dl_poster, c);
	for (;;) {
		pump_ms(x, 200);
		int now = atomic_load(&b_count);
		if (now == last)
			break;
		last = now;
	}
	atomic_store(&gate, 1);
	assert_int_equal(hx_pump_until(x, &handler_posted, 10000), 1);
	assert_int_equal(handler_rc, 0);
	assert_int_equal(hx_pump_until(x, &a_done, 10000), 1);
	atomic_store(&b_stop, 1);
	pump_ms(x, 200);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	privsep_client_free(c);
	hx_free(x);
}

/* ---- the worker's standard error ---- */

static int lines_worker(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	for (int i = 0; i < 20; i++) {
		privsep_log(PRIVSEP_LOG_WARN, "numbered %d", i);
		fprintf(stderr, "plain %d\n", i);
	}
	return 0;
}

static struct hx *run_logger(const struct privsep_helper_config *cfg, privsep_main_fn main,
                             pid_t *pid)
{
	struct hx *x = hx_new_cfg(table, NTABLE, cfg);
	struct privsep_spawn sp = {.name = "logger", .main = main};
	struct privsep_worker *w;
	assert_non_null(x);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	*pid = privsep_worker_pid(w);
	assert_true(hx_pump_gone(x, 1, 10000));
	return x;
}

/* Index of the first log line at or after from that contains s, or -1. */
static int find(const struct hx *x, int from, const char *s)
{
	for (int i = from; i < x->nlog; i++)
		if (strstr(x->log[i], s))
			return i;
	return -1;
}

static void log_lines_arrive_in_order_with_the_workers_identity(void **state)
{
	struct privsep_helper_config cfg = {0};
	char who[64], want[64];
	pid_t pid;
	int at = 0;
	(void)state;
	if (under_valgrind())
		skip();
	struct hx *x = run_logger(&cfg, lines_worker, &pid);
	snprintf(who, sizeof(who), "worker \"logger\" pid %d: ", (int)pid);
	for (int i = 0; i < 20; i++) {
		snprintf(want, sizeof(want), "%snumbered %d", who, i);
		at = find(x, at, want);
		assert_true(at >= 0);
		snprintf(want, sizeof(want), "%splain %d", who, i);
		at = find(x, at, want);
		assert_true(at >= 0);
	}
	hx_free(x);
}

static int long_worker(struct privsep_client *c, void *arg)
{
	char line[302];
	(void)c;
	(void)arg;
	memset(line, 'a', 300);
	line[300] = '\n';
	line[301] = '\0';
	fputs(line, stderr);
	fputs("after\n", stderr);
	return 0;
}

static void log_overlong_line_is_cut_and_marked(void **state)
{
	struct privsep_helper_config cfg = {.log_line_max = 64};
	char want[128];
	pid_t pid;
	(void)state;
	if (under_valgrind())
		skip();
	struct hx *x = run_logger(&cfg, long_worker, &pid);
	memset(want, 'a', 64);
	snprintf(want + 64, sizeof(want) - 64, " [line cut]");
	int at = find(x, 0, want);
	assert_true(at >= 0);
	/* exactly 64: the 65th is not there */
	assert_null(strstr(x->log[at],
	                   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	assert_true(find(x, at + 1, "pid") >= 0 && find(x, at + 1, ": after") >= 0);
	hx_free(x);
}

static int flood_worker(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	for (int i = 0; i < 500; i++)
		fprintf(stderr, "flood %d\n", i);
	return 0;
}

static void log_flood_is_rate_limited_and_the_drops_counted(void **state)
{
	struct privsep_helper_config cfg = {.log_rate = 5, .log_burst = 10};
	unsigned long dropped = 0;
	int logged = 0, at;
	pid_t pid;
	(void)state;
	if (under_valgrind())
		skip();
	struct hx *x = run_logger(&cfg, flood_worker, &pid);
	for (int i = 0; i < x->nlog; i++) {
		unsigned long n;
		const char *p = strstr(x->log[i], "pid ");
		if (strstr(x->log[i], ": flood "))
			logged++;
		else if (p && sscanf(strchr(p, ':') + 2, "%lu log lines dropped", &n) == 1)
			dropped += n;
	}
	/* a burst of 10, and the few the rate refilled while it ran */
	assert_true(logged >= 10 && logged < 60);
	assert_int_equal(logged + (int)dropped, 500);
	at = find(x, 0, "bytes (over 5 lines/s or 65536 bytes/s)");
	assert_true(at >= 0);
	hx_free(x);
}

static int dying_worker(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	fputs("last words 1\nlast words 2\n", stderr);
	fputs("last words 3 without a newline", stderr);
	_exit(3);
}

static void log_last_lines_of_a_dying_worker_are_kept(void **state)
{
	struct privsep_helper_config cfg = {0};
	pid_t pid;
	(void)state;
	if (under_valgrind())
		skip();
	struct hx *x = run_logger(&cfg, dying_worker, &pid);
	int at = find(x, 0, ": last words 1");
	assert_true(at >= 0);
	at = find(x, at, ": last words 2");
	assert_true(at >= 0);
	assert_true(find(x, at, ": last words 3 without a newline") >= 0);
	hx_free(x);
}

static int liar_worker(struct privsep_client *c, void *arg)
{
	static const char lie[] = "x\nprivsep: worker \"other\" pid 1: forged\033[2J\r\n"
	                          "c1 \xc2\x9b"
	                          "31m bidi \xe2\x80\xae bad \xff utf8 \xc3\xa9\n";
	(void)c;
	(void)arg;
	return write(STDERR_FILENO, lie, sizeof(lie) - 1) < 0;
}

static void log_a_worker_cannot_forge_identity_lines_or_escapes(void **state)
{
	struct privsep_helper_config cfg = {0};
	char who[64], want[160];
	pid_t pid;
	(void)state;
	if (under_valgrind())
		skip();
	struct hx *x = run_logger(&cfg, liar_worker, &pid);
	snprintf(who, sizeof(who), "worker \"logger\" pid %d: ", (int)pid);
	snprintf(want, sizeof(want), "%sx", who);
	int at = find(x, 0, want);
	assert_true(at >= 0);
	/* the forged line is the worker's own, escapes written out */
	snprintf(want, sizeof(want), "%sprivsep: worker \"other\" pid 1: forged\\x1b[2J\\x0d", who);
	assert_true(find(x, at, want) >= 0);
	/* a C1 control, a bidi override, a byte that is no UTF-8: escaped; a
	 * valid letter kept */
	snprintf(want, sizeof(want),
	         "%sc1 \\xc2\\x9b31m bidi \\xe2\\x80\\xae bad \\xff utf8 \xc3\xa9", who);
	assert_true(find(x, at, want) >= 0);
	for (int i = 0; i < x->nlog; i++)
		assert_null(strchr(x->log[i], '\033'));
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(events_million_to_a_worker_that_does_not_read_bounded_and_in_order),
	    cmocka_unit_test(rule_event_from_the_worker_is_wrong_direction),
	    cmocka_unit_test(rule_a_call_from_an_event_handler_fails_EDEADLK),
	    cmocka_unit_test(rule_event_checks_at_the_worker),
	    cmocka_unit_test(rule_dispatch_from_an_event_handler_returns_at_once),
	    cmocka_unit_test(worker_nowait_posts_queue_bounded_then_EAGAIN_in_order),
	    cmocka_unit_test(helper_events_with_fds_sent_or_queued_in_order_none_leaked),
	    cmocka_unit_test(rule_a_reply_behind_events_reaches_its_call_after_their_handlers),
	    cmocka_unit_test(rule_an_event_handlers_post_never_waits_for_a_blocked_sender),
	    cmocka_unit_test(log_lines_arrive_in_order_with_the_workers_identity),
	    cmocka_unit_test(log_overlong_line_is_cut_and_marked),
	    cmocka_unit_test(log_flood_is_rate_limited_and_the_drops_counted),
	    cmocka_unit_test(log_last_lines_of_a_dying_worker_are_kept),
	    cmocka_unit_test(log_a_worker_cannot_forge_identity_lines_or_escapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
