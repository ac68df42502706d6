/* SPDX-License-Identifier: ISC */
/*
 * test_rxbatch.c - the helper's batched receive (framework/helper/
 * rxbatch.h): a worker's records are read several at a time into a
 * stash the helper owns.  The attacker puts records behind a violation,
 * behind a call whose reply must wait, and behind a bulk payload that
 * ends its turn, all in one batch.  Nothing read after a violation is
 * served and its fds are closed; what waits is served later, in order,
 * without the worker having to send anything more.
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
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "wire.h"

#define T_NOTE (PRIVSEP_TYPE_APP_MIN + 1) /* post, 4 bytes: a number */
#define T_FD (PRIVSEP_TYPE_APP_MIN + 2)   /* post, 4 bytes and one fd */
#define T_CALL (PRIVSEP_TYPE_APP_MIN + 3) /* call, 4 bytes */
#define T_EV (PRIVSEP_TYPE_APP_MIN + 4)   /* event */
#define T_BULK (PRIVSEP_TYPE_APP_MIN + 5) /* post, 4 bytes and a bulk */

/* what the handlers saw, in order, and whether a reply to the worker
 * was waiting then */
static uint32_t seen[64];
static int reply_waited[64];
static atomic_int nseen;

static int note(struct privsep_req *req, void *arg)
{
	uint32_t v = 0;
	(void)arg;
	memcpy(&v, req->data, req->len < 4 ? req->len : 4);
	if (nseen < 64) {
		seen[nseen] = v;
		reply_waited[nseen] = req->worker->q.nreply != 0;
	}
	nseen++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_NOTE,
     .name = "note",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_POST,
     .fn = note},
    {.type = T_FD,
     .name = "with-fd",
     .min_len = 4,
     .max_len = 4,
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_POST,
     .fn = note},
    {.type = T_CALL,
     .name = "call",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_CALL,
     .fn = note},
    {.type = T_EV, .name = "event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
    {.type = T_BULK,
     .name = "bulk",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = note,
     .bulk_max = 128 << 10},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

/* One record of type with the number v as its payload, from a raw
 * worker, with fds (borrowed). */
static void send_num(int sock, uint32_t type, uint32_t id, uint32_t v, const int *fds, size_t nfds)
{
	assert_int_equal(raw_send_u32(sock, type, id, v, fds, nfds), 0);
}

static void records_read_behind_a_violation_are_never_served_and_their_fds_are_closed(void **s)
{
	(void)s;
	int before = count_fds();
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "attacker", NULL);
	nseen = 0;
	/* all in the socket before the helper looks: one batch */
	send_num(sock, T_NOTE, 0, 1, NULL, 0);
	send_num(sock, T_FD, 0, 2, NULL, 0); /* its fd missing: a violation */
	for (uint32_t i = 3; i < 7; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(fd >= 0);
		send_num(sock, T_FD, 0, i, &fd, 1);
		close(fd); /* in flight: the helper's copy is the only one */
	}
	send_num(sock, T_NOTE, 0, 7, NULL, 0);
	assert_true(hx_pump_gone(x, 1, 5000));
	assert_int_equal(x->last_viol, PRIVSEP_V_BAD_FD_COUNT);
	assert_int_equal(nseen, 1); /* the record before it, nothing after */
	assert_int_equal(seen[0], 1);
	/* the fds the helper received with the records after the violation
	 * are closed: none left behind in the helper */
	assert_null(x->h->rxb.w);
	close(sock);
	hx_free(x);
	assert_int_equal(count_fds(), before);
}

static void records_read_behind_a_queued_reply_are_served_after_it_in_order(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "slow-reader", &w);
	uint8_t in[256];
	int reply = 0;
	nseen = 0;
	send_num(sock, T_NOTE, 0, 0, NULL, 0);
	for (int t = 0; t < 100 && nseen < 1; t++)
		privsep_helper_step(x->h, 50);
	assert_int_equal(nseen, 1);
	/* the worker reads nothing: events fill its socket, one waits */
	for (int i = 0; i < 100000 && !privsep_worker_queued(w); i++)
		assert_int_equal(privsep_worker_post(w, &(struct privsep_out){.type = T_EV}), 0);
	assert_true(privsep_worker_queued(w) > 0);
	/* one batch: a post, a call whose reply must wait, two posts */
	send_num(sock, T_NOTE, 0, 1, NULL, 0);
	send_num(sock, T_CALL, 9, 2, NULL, 0);
	send_num(sock, T_NOTE, 0, 3, NULL, 0);
	send_num(sock, T_NOTE, 0, 4, NULL, 0);
	for (int t = 0; t < 100 && nseen < 3; t++)
		privsep_helper_step(x->h, 50);
	/* while the reply waits, nothing more of this worker is served */
	for (int t = 0; t < 5; t++)
		privsep_helper_step(x->h, 10);
	assert_int_equal(nseen, 3);
	assert_ptr_equal(x->h->rxb.w, w); /* two records wait in the stash */
	/* the worker reads again, and sends nothing more */
	for (int t = 0; t < 1000 && (!reply || nseen < 5);) {
		ssize_t n = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (n >= PRIVSEP_HDR_LEN && wire_get_u32(in + 4) == PRIVSEP_T_REPLY) {
			assert_int_equal(wire_get_u32(in + 8), 9);
			reply = 1;
		}
		if (n < 0) {
			privsep_helper_step(x->h, 5);
			t++; /* about 5 s at most with nothing to read */
		}
	}
	assert_true(reply);
	assert_int_equal(nseen, 5);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(seen[i], i);
		assert_false(reply_waited[i]); /* served once the reply had left */
	}
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

static void records_read_behind_a_bulk_payload_are_served_without_a_new_record(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, NTABLE, 0);
	struct privsep_client *c = hx_attach_client(x, "client", 0);
	/* 128 KiB: it weighs the whole turn (PROTO_TURN_BULK_BYTES) */
	static char payload[128 << 10] = "a payload";
	struct privsep_bulk b = {payload, sizeof(payload)};
	uint32_t v = 0;
	nseen = 0;
	assert_int_equal(
	    privsep_client_post(
	        c, &(struct privsep_out){.type = T_BULK, .data = &v, .len = 4, .bulk = &b}),
	    0);
	for (v = 1; v < 4; v++)
		assert_int_equal(
		    privsep_client_post(
		        c, &(struct privsep_out){.type = T_NOTE, .data = &v, .len = 4}),
		    0);
	/* the bulk payload weighs the rest of the worker's turn, which ends;
	 * the posts read with it wait in the stash, and the helper comes
	 * back to them on its own */
	privsep_helper_step(x->h, 1000);
	assert_int_equal(nseen, 1);
	for (int t = 0; t < 50 && nseen < 4; t++)
		privsep_helper_step(x->h, 100);
	assert_int_equal(nseen, 4);
	for (uint32_t i = 0; i < 4; i++)
		assert_int_equal(seen[i], i);
	assert_int_equal(x->gone, 0);
	privsep_client_free(c);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        records_read_behind_a_violation_are_never_served_and_their_fds_are_closed),
	    cmocka_unit_test(records_read_behind_a_queued_reply_are_served_after_it_in_order),
	    cmocka_unit_test(records_read_behind_a_bulk_payload_are_served_without_a_new_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
