/* SPDX-License-Identifier: ISC */
/*
 * test_call_pile.c - a worker with asynchronous calls in flight
 * (privsep_fs_open_async) has a pile of calls in its socket: the helper
 * reads them in batches and answers them in one turn (helper.c,
 * worker_readable).  The attacker uses the pile: a violation inside it,
 * fds behind the violation, a pile that never ends (to starve another
 * worker), replies it does not read.  Nothing behind a violation is
 * served and its fds are closed; another worker waits for at most a
 * turn; replies go in the order of the calls, and what waits behind a
 * queued reply is served once it left.  Each reply is its own record
 * with its own fds, and the helper keeps none of them, nor closes
 * anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "wire.h"

#define T_CALL (PRIVSEP_TYPE_APP_MIN + 1)   /* call, 4 bytes: a number */
#define T_FDCALL (PRIVSEP_TYPE_APP_MIN + 2) /* call, 4 bytes and one fd */
#define T_EV (PRIVSEP_TYPE_APP_MIN + 3)     /* event */
#define T_GIVE (PRIVSEP_TYPE_APP_MIN + 4)   /* call, 4 bytes: an fd back */

#define NSEEN 512
/* what the handlers saw, in order: the number, and the worker */
static uint32_t seen[NSEEN];
static const struct privsep_worker *seen_w[NSEEN];
static atomic_int nseen;

static int note(struct privsep_req *req, void *arg)
{
	uint32_t v = 0;
	(void)arg;
	memcpy(&v, req->data, req->len < 4 ? req->len : 4);
	if (nseen < NSEEN) {
		seen[nseen] = v;
		seen_w[nseen] = req->worker;
	}
	nseen++;
	privsep_writer_put_u32(&req->reply, v);
	return 0;
}

/* fds a handler opened for itself (not given), which nothing but the
 * test may close */
#define NKEEP 64
static int keep[NKEEP];
static int nkeep;

/* The reply carries an eventfd whose counter is the number + 1.  In the
 * odd hundreds, every third call the handler first opens an fd of its
 * own, which then sits between the replies' fds (else they follow each
 * other: a helper that closed its copies as one range would close it). */
/* A number at which give, before answering, shrinks the helper's end of
 * the caller's channel to the smallest send buffer (so that a stage the
 * helper began with room finds the socket full part-way), or shuts the
 * worker's end (a worker that died mid-pile); UINT32_MAX: neither. */
static uint32_t shrink_at = UINT32_MAX, cut_at = UINT32_MAX;
static int cut_sock = -1;

static int give(struct privsep_req *req, void *arg)
{
	uint32_t v = 0;
	memcpy(&v, req->data, 4);
	note(req, arg);
	if (v == shrink_at) {
		int one = 1;
		assert_int_equal(
		    setsockopt(req->worker->chan, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)), 0);
	}
	if (v == cut_at)
		assert_int_equal(shutdown(cut_sock, SHUT_RDWR), 0);
	if ((v / 100) % 2 && v % 3 == 1 && nkeep < NKEEP)
		keep[nkeep++] = eventfd(0, EFD_CLOEXEC);
	/* never 0: a read would fail */
	return hx_reply_fd(req, eventfd(v + 1, EFD_CLOEXEC | EFD_NONBLOCK));
}

static const struct privsep_handler table[] = {
    {.type = T_CALL,
     .name = "call",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_CALL,
     .fn = note},
    {.type = T_FDCALL,
     .name = "fd-call",
     .min_len = 4,
     .max_len = 4,
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL,
     .fn = note},
    {.type = T_EV, .name = "event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
    {.type = T_GIVE,
     .name = "give",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_CALL,
     .fn = give},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* One call of type with id and the number v, from a raw worker, with fds
 * (borrowed). */
static void send_call(int sock, uint32_t type, uint32_t id, uint32_t v, const int *fds, size_t nfds)
{
	assert_int_equal(raw_send_u32(sock, type, id, v, fds, nfds), 0);
}

/* The next reply on sock, waiting for it: its id, and its number. */
static uint32_t read_reply(struct hx *x, int sock, uint32_t *v)
{
	uint8_t in[256];
	for (int t = 0; t < 1000; t++) {
		ssize_t n = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (n < 0) {
			privsep_helper_step(x->h, 5);
			continue;
		}
		if (wire_get_u32(in + 4) != PRIVSEP_T_REPLY) {
			t--; /* an event: the worker's socket is not empty yet */
			continue;
		}
		assert_int_equal(n, PRIVSEP_HDR_LEN + 4 + 4);
		assert_int_equal(wire_get_u32(in + PRIVSEP_HDR_LEN), 0); /* error 0 */
		*v = wire_get_u32(in + PRIVSEP_HDR_LEN + 4);
		return wire_get_u32(in + 8);
	}
	fail_msg("no reply within about 5 s");
	return 0;
}

/* A worker that has a pile of calls in its socket (asynchronous calls in
 * flight) is answered in one turn, in order, after it waited for single
 * calls first (the round trip's path: read one record at a time). */
static void a_pile_of_calls_is_answered_in_one_turn_in_order(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "async", &w);
	uint32_t id = 1, v;
	nseen = 0;
	/* first a caller that waits for each reply */
	for (uint32_t i = 0; i < 20; i++, id++) {
		send_call(sock, T_CALL, id, i, NULL, 0);
		assert_int_equal(read_reply(x, sock, &v), id);
		assert_int_equal(v, i);
	}
	assert_false(w->rx_pile); /* one record at a time */
	/* then piles: the first ones find it in the round trip's mode */
	for (int pile = 0; pile < 8; pile++) {
		int before = nseen, steps = 0;
		uint32_t first = id;
		for (uint32_t i = 0; i < 8; i++)
			send_call(sock, T_CALL, id++, first + i, NULL, 0);
		while (nseen < before + 8 && steps < 1000) {
			privsep_helper_step(x->h, 100);
			steps++;
		}
		assert_int_equal(nseen, before + 8);
		for (uint32_t i = 0; i < 8; i++) {
			assert_int_equal(seen[before + (int)i], first + i);
			assert_int_equal(read_reply(x, sock, &v), first + i);
			assert_int_equal(v, first + i);
		}
		/* once the piles are seen, each is answered in one wake-up */
		if (pile >= 3)
			assert_int_equal(steps, 1);
	}
	assert_true(w->rx_pile);
	/* and a caller that waits for each reply again leaves pile mode */
	for (uint32_t i = 0; i < 40; i++, id++) {
		send_call(sock, T_CALL, id, i, NULL, 0);
		assert_int_equal(read_reply(x, sock, &v), id);
	}
	assert_false(w->rx_pile);
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

/* Put w in pile mode: piles of five calls (a count prime to the probe's
 * period, so that a probe lands inside a pile), answered. */
static void make_pile_mode(struct hx *x, int sock, struct privsep_worker *w, uint32_t *id)
{
	uint32_t v;
	for (int k = 0; k < 20 && !w->rx_pile; k++) {
		int before = nseen;
		for (int i = 0; i < 5; i++)
			send_call(sock, T_CALL, (*id)++, 0, NULL, 0);
		while (nseen < before + 5)
			privsep_helper_step(x->h, 100);
		for (int i = 0; i < 5; i++)
			read_reply(x, sock, &v);
	}
	assert_true(w->rx_pile);
}

static void calls_behind_a_violation_in_a_pile_are_never_served_and_their_fds_are_closed(void **s)
{
	(void)s;
	int before = count_fds();
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "attacker", &w);
	uint32_t id = 1;
	int base;
	nseen = 0;
	make_pile_mode(x, sock, w, &id);
	base = nseen;
	/* one pile: a call, a call with its fd missing (a violation), calls
	 * with fds, a call */
	send_call(sock, T_CALL, id++, 1, NULL, 0);
	send_call(sock, T_FDCALL, id++, 2, NULL, 0);
	for (uint32_t i = 3; i < 9; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		send_call(sock, T_FDCALL, id++, i, &fd, 1);
		close(fd); /* in flight: the helper's copy is the only one */
	}
	send_call(sock, T_CALL, id++, 9, NULL, 0);
	assert_true(hx_pump_gone(x, 1, 5000));
	assert_int_equal(x->last_viol, PRIVSEP_V_BAD_FD_COUNT);
	assert_int_equal(nseen, base + 1); /* the call before it, nothing after */
	assert_int_equal(seen[base], 1);
	assert_null(x->h->rxb.w);
	close(sock);
	hx_free(x);
	assert_int_equal(count_fds(), before);
}

static void a_pile_of_calls_lets_another_worker_in_within_a_turn(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *a = NULL, *b = NULL;
	int sa = hx_attach_raw(x, "piler", &a);
	int sb = hx_attach_raw(x, "bystander", &b);
	uint32_t id = 1, v;
	int base, at = -1;
	nseen = 0;
	make_pile_mode(x, sa, a, &id);
	base = nseen;
	/* a keeps 100 calls in its socket; b sends one call */
	for (uint32_t i = 0; i < 100; i++)
		send_call(sa, T_CALL, id++, i, NULL, 0);
	send_call(sb, T_CALL, 7, 7, NULL, 0);
	while (nseen < base + 101) {
		privsep_helper_step(x->h, 100);
		/* a's replies are read as they come, so none has to wait */
		while (recv(sa, (uint8_t[64]){0}, 64, MSG_DONTWAIT) > 0)
			;
	}
	for (int i = base; i < base + 101; i++)
		if (seen_w[i] == b)
			at = i - base;
	assert_true(at >= 0);
	/* at most a turn of a's calls before b's */
	assert_true(at <= (int)PROTO_TURN_RECORDS);
	/* a's calls in the order sent */
	for (int i = base, k = 0; i < base + 101; i++)
		if (seen_w[i] == a)
			assert_int_equal(seen[i], (uint32_t)k++);
	assert_int_equal(read_reply(x, sb, &v), 7);
	assert_int_equal(x->gone, 0);
	close(sa);
	close(sb);
	hx_free(x);
}

static void calls_of_a_pile_behind_a_queued_reply_are_answered_after_it_in_order(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "slow-reader", &w);
	uint32_t id = 1, v, first;
	int base;
	nseen = 0;
	make_pile_mode(x, sock, w, &id);
	base = nseen;
	/* the worker reads nothing: events fill its socket, one waits */
	for (int i = 0; i < 100000 && !privsep_worker_queued(w); i++)
		assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_EV}), 0);
	assert_true(privsep_worker_queued(w) > 0);
	first = id;
	for (uint32_t i = 0; i < 6; i++)
		send_call(sock, T_CALL, id++, i, NULL, 0);
	for (int t = 0; t < 100 && nseen < base + 1; t++)
		privsep_helper_step(x->h, 50);
	/* the first reply waits in the queue: nothing more of this worker is
	 * served */
	for (int t = 0; t < 5; t++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(nseen, base + 1);
	assert_ptr_equal(x->h->rxb.w, w); /* the rest of the pile waits in the stash */
	/* the worker reads again, and sends nothing more: every reply, in
	 * order */
	for (uint32_t i = 0; i < 6; i++) {
		assert_int_equal(read_reply(x, sock, &v), first + i);
		assert_int_equal(v, i);
	}
	assert_int_equal(nseen, base + 6);
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

/* The next reply on sock with its one fd, waiting for it: its id; the
 * number in it in *v, the fd in *fd. */
static uint32_t read_fd_reply(struct hx *x, int sock, uint32_t *v, int *fd)
{
	uint8_t in[256];
	for (int t = 0; t < 1000; t++) {
		ssize_t n = hx_recv_fd(sock, in, sizeof(in), fd);
		if (n < 0) {
			privsep_helper_step(x->h, 5);
			continue;
		}
		assert_int_equal(wire_get_u32(in + 4), PRIVSEP_T_REPLY);
		assert_int_equal(n, PRIVSEP_HDR_LEN + 4 + 4);
		assert_int_equal(in[3], 1); /* nfds */
		assert_int_equal(wire_get_u32(in + PRIVSEP_HDR_LEN), 0);
		/* one control message: SCM_RIGHTS with its own fd, one */
		if (*fd < 0)
			fail_msg("reply id %u: not one fd", wire_get_u32(in + 8));
		{
			uint64_t ctr = 0;
			assert_int_equal(read(*fd, &ctr, sizeof(ctr)), (ssize_t)sizeof(ctr));
			*v = (uint32_t)ctr - 1;
		}
		/* the number in the reply is the one its fd counts */
		assert_int_equal(wire_get_u32(in + PRIVSEP_HDR_LEN + 4), *v);
		return wire_get_u32(in + 8);
	}
	fail_msg("no reply within about 5 s");
	return 0;
}

/* Piles of calls whose replies carry fds, answered a turn at a time with
 * one send: each reply is its own record, in the order of the calls,
 * with its own fd and no other; once the turn is over the helper holds
 * none of those fds (its copies closed together), and an fd a handler
 * opened for itself between them is still open. */
static void a_pile_s_replies_carry_each_its_own_fd_in_order_and_the_helper_keeps_none(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "fd-taker", &w);
	uint32_t id = 1, v;
	nseen = 0;
	nkeep = 0;
	make_pile_mode(x, sock, w, &id);
	for (int pile = 0; pile < 6; pile++) {
		int before = nseen, base = count_fds(), kept = nkeep, fd;
		uint32_t first = id, n = 1 + (uint32_t)pile * 5; /* 1 to 26 */
		for (uint32_t i = 0; i < n; i++)
			send_call(sock, T_GIVE, id++, 100 * (uint32_t)pile + i, NULL, 0);
		while (nseen < before + (int)n)
			privsep_helper_step(x->h, 100);
		/* the turn is over: the replies' fds are in flight, the
		 * handlers' own are open */
		assert_int_equal(count_fds(), base + (nkeep - kept));
		for (int k = kept; k < nkeep; k++)
			assert_true(fcntl(keep[k], F_GETFD) >= 0);
		for (uint32_t i = 0; i < n; i++) {
			assert_int_equal(read_fd_reply(x, sock, &v, &fd), first + i);
			assert_int_equal(v, 100 * (uint32_t)pile + i);
			close(fd);
		}
		assert_int_equal(count_fds(), base + (nkeep - kept));
		for (int k = kept; k < nkeep; k++)
			close(keep[k]);
	}
	assert_true(nkeep > 10);
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

/* How many eventfds this process holds (the replies' fds are eventfds). */
static int count_eventfds(void)
{
	int n = 0;
	for (int fd = 0; fd < 4096; fd++) {
		char link[64], target[64];
		ssize_t k;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		k = readlink(link, target, sizeof(target) - 1);
		if (k < 0)
			continue;
		target[k] = 0;
		n += strcmp(target, "anon_inode:[eventfd]") == 0;
	}
	return n;
}

/* Replies of a pile that the socket takes only in part (its send buffer
 * shrunk in the middle of the pile, so the first few are sent and the
 * rest find it full): every reply still reaches the worker, once, in the
 * order of the calls, each with its own fd; the helper never blocks (the
 * rest wait in its queue as copies) and, once they left, holds none of
 * their fds. */
static void a_pile_s_replies_the_socket_takes_only_in_part_all_arrive_once_in_order(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "slow-reader", &w);
	uint32_t id = 1, v, first, n = 26;
	int fd, base, steps = 0;
	uint8_t more[64];
	nseen = 0;
	nkeep = 0;
	make_pile_mode(x, sock, w, &id);
	base = count_eventfds();
	first = id;
	shrink_at = 2; /* the stage began at the first reply, with room */
	for (uint32_t i = 0; i < n; i++)
		send_call(sock, T_GIVE, id++, i, NULL, 0);
	while (nseen < (int)n + 0 && steps++ < 200)
		privsep_helper_step(x->h, 100);
	shrink_at = UINT32_MAX;
	/* the replies are in the socket or the helper's queue; none lost */
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(read_fd_reply(x, sock, &v, &fd), first + i);
		assert_int_equal(v, i);
		close(fd);
	}
	/* and none comes twice */
	for (int t = 0; t < 20; t++)
		privsep_helper_step(x->h, 5);
	assert_true(recv(sock, more, sizeof(more), MSG_DONTWAIT) < 0 && errno == EAGAIN);
	assert_int_equal(w->q.n, 0);
	assert_int_equal(count_eventfds(), base);
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

/* A worker whose channel ends while the helper answers its pile (it died
 * mid-pile): the replies staged for it go nowhere and every fd they held
 * is closed in the helper, nothing else is, and the helper serves another
 * worker after it. */
static void a_pile_s_staged_replies_to_a_worker_gone_mid_pile_leave_no_fd_in_the_helper(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL, *w2 = NULL;
	int sock = hx_attach_raw(x, "dies", &w);
	int other = hx_attach_raw(x, "other", &w2);
	uint32_t id = 1, v;
	int base;
	nseen = 0;
	nkeep = 0;
	make_pile_mode(x, sock, w, &id);
	base = count_eventfds();
	cut_sock = sock;
	cut_at = 7;
	for (uint32_t i = 0; i < 20; i++)
		send_call(sock, T_GIVE, id++, i, NULL, 0);
	assert_true(hx_pump_gone(x, 1, 5000));
	cut_at = UINT32_MAX;
	assert_int_equal(count_eventfds(), base);
	assert_true(fcntl(other, F_GETFD) >= 0);
	send_call(other, T_CALL, 1, 77, NULL, 0);
	assert_int_equal(read_reply(x, other, &v), 1);
	assert_int_equal(v, 77);
	close(sock);
	close(other);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_pile_of_calls_is_answered_in_one_turn_in_order),
	    cmocka_unit_test(
	        calls_behind_a_violation_in_a_pile_are_never_served_and_their_fds_are_closed),
	    cmocka_unit_test(a_pile_of_calls_lets_another_worker_in_within_a_turn),
	    cmocka_unit_test(calls_of_a_pile_behind_a_queued_reply_are_answered_after_it_in_order),
	    cmocka_unit_test(
	        a_pile_s_replies_carry_each_its_own_fd_in_order_and_the_helper_keeps_none),
	    cmocka_unit_test(
	        a_pile_s_replies_the_socket_takes_only_in_part_all_arrive_once_in_order),
	    cmocka_unit_test(
	        a_pile_s_staged_replies_to_a_worker_gone_mid_pile_leave_no_fd_in_the_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
