/* SPDX-License-Identifier: ISC */
/*
 * test_msg.c - the message layer (framework/proto/msg.c) as a worker
 * would attack it: every record it sends is checked once into a message
 * that owns the fds that came with it, and whatever check refuses the
 * record, or whatever the handler leaves, msg_release closes; a record
 * sent while the socket is full is queued with copies of the sender's
 * fds, never the sender's own.  And the framework's own types: each one
 * a worker sends has its own handler at the helper, named in the
 * protocol table, never another type's.
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
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bulk.h"
#include "harness.h"
#include "helper_int.h"
#include "msg.h"
#include "proto.h"

#define T_CALL (PRIVSEP_TYPE_APP_MIN + 1)
#define T_BULK (PRIVSEP_TYPE_APP_MIN + 2)
#define T_EVENT (PRIVSEP_TYPE_APP_MIN + 3)
#define MSG_MAX 4096u

static int nop(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

/* Sorted by type, as the helper's merged table is. */
static const struct privsep_handler rows[] = {
    {T_CALL, "call", 0, 64, 0, 2, PRIVSEP_H_CALL, nop, NULL, 0},
    {T_BULK, "bulk", 0, 64, 0, 2, PRIVSEP_H_POST | PRIVSEP_H_BULK, nop, NULL, 1 << 20},
    {T_EVENT, "event", 0, 64, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
};

static int memfd(int sealed)
{
	int fd = sealed ? bulk_make("abc", 3) : memfd_create("t", MFD_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* The number of mappings of memfds this process has. */
static int memfd_maps(void)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/self/maps", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}

struct rcase {
	const char *what;
	uint32_t type, id;
	size_t len;     /* payload bytes (a bulk type's u64 size first) */
	int nfds;       /* fds sent */
	int sealed;     /* the first fd is a sealed memfd of 3 bytes */
	int permit;     /* the row's permit (1: permitted) */
	uint16_t magic; /* 0: the right one */
	enum msg_verdict verdict;
	enum privsep_violation viol;
};

static const struct rcase rcases[] = {
    {"a bad magic", T_CALL, 1, 0, 2, 0, 1, 0x1234, MSG_VIOLATION, PRIVSEP_V_BAD_MAGIC},
    {"an unknown type", 0x1ffff, 1, 0, 3, 0, 1, 0, MSG_VIOLATION, PRIVSEP_V_UNKNOWN_TYPE},
    {"an event sent by the worker", T_EVENT, 0, 0, 1, 0, 1, 0, MSG_VIOLATION,
     PRIVSEP_V_WRONG_DIRECTION},
    {"a reply sent by the worker", PRIVSEP_T_REPLY, 1, 4, 1, 0, 1, 0, MSG_VIOLATION,
     PRIVSEP_V_WRONG_DIRECTION},
    {"a type given up", T_CALL, 1, 0, 2, 0, 0, 0, MSG_VIOLATION, PRIVSEP_V_NOT_PERMITTED},
    {"a call without an id", T_CALL, 0, 0, 2, 0, 1, 0, MSG_VIOLATION, PRIVSEP_V_CALL_WITHOUT_ID},
    {"a payload over the row", T_CALL, 1, 65, 2, 0, 1, 0, MSG_VIOLATION, PRIVSEP_V_BAD_SIZE},
    {"more fds than the row", T_CALL, 1, 0, 3, 0, 1, 0, MSG_VIOLATION, PRIVSEP_V_BAD_FD_COUNT},
    {"an unsealed bulk", T_BULK, 0, 8, 3, 0, 1, 0, MSG_VIOLATION, PRIVSEP_V_BAD_BULK},
    {"a bulk whose size lies", T_BULK, 0, 8, 3, 1, 1, 0, MSG_VIOLATION, PRIVSEP_V_BAD_BULK},
    {"a call that passes", T_CALL, 1, 0, 2, 0, 1, 0, MSG_OK, PRIVSEP_V_NONE},
    {"a bulk that passes", T_BULK, 0, 8, 3, 1, 1, 0, MSG_OK, PRIVSEP_V_NONE},
};

/* Send c as a worker would, then receive and check it as the helper
 * does; *m is left to the caller to release. */
static enum msg_verdict receive_case(const struct rcase *c, int sv[2], struct msg *m, uint8_t *buf,
                                     uint8_t *permit)
{
	uint8_t rec[PRIVSEP_HDR_LEN + 128] = {0}, payload[128] = {0};
	int fds[PRIVSEP_MAX_FDS];
	struct msg_end e = {MSG_MAX, PROTO_W2H, rows, 3, 1, permit, NULL, NULL, NULL, NULL};
	size_t n;

	for (int i = 0; i < c->nfds; i++)
		fds[i] = memfd(i == 0 && c->sealed);
	/* a bulk's u64 size: 3 bytes, or a lie when the case says so */
	payload[0] = strstr(c->what, "lies") ? 9 : 3;
	n = rec_make(rec, c->type, c->id, payload, c->len, (uint8_t)c->nfds);
	if (c->magic) {
		rec[0] = (uint8_t)c->magic;
		rec[1] = (uint8_t)(c->magic >> 8);
	}
	assert_int_equal(raw_send(sv[1], rec, n, fds, (size_t)c->nfds), 0);
	for (int i = 0; i < c->nfds; i++)
		close(fds[i]); /* the worker's copies: only the helper's remain */
	assert_int_equal(msg_recv(sv[0], m, buf, MSG_MAX, 1), CHAN_RECORD);
	if (msg_decode(m, MSG_MAX) != PRIVSEP_V_NONE)
		return MSG_VIOLATION;
	return msg_check(m, &e);
}

static void whatever_check_refuses_a_record_msg_release_closes_every_fd_it_carried(void **state)
{
	static uint8_t buf[MSG_MAX];
	(void)state;
	for (size_t i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		const struct rcase *c = &rcases[i];
		uint8_t permit[3] = {1, 1, 1};
		struct msg m;
		int sv[2], before, maps = memfd_maps();
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		permit[0] = (uint8_t)c->permit;
		before = count_fds();
		print_message("%s\n", c->what);
		assert_int_equal(receive_case(c, sv, &m, buf, permit), c->verdict);
		assert_int_equal(m.viol, c->viol);
		/* while it is held, the message holds them (a bulk's memfd is
		 * closed once mapped) */
		if (c->verdict == MSG_OK)
			assert_int_equal(count_fds(), before + c->nfds - (c->type == T_BULK));
		msg_release(&m);
		assert_int_equal(count_fds(), before);
		assert_int_equal(memfd_maps(), maps);
		msg_release(&m); /* twice is harmless */
		assert_int_equal(count_fds(), before);
		close(sv[0]);
		close(sv[1]);
	}
}

static void an_fd_the_handler_takes_is_its_own_and_the_rest_are_closed(void **state)
{
	static uint8_t buf[MSG_MAX];
	uint8_t permit[3] = {1, 1, 1};
	struct msg m;
	int sv[2], before, taken;
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	before = count_fds();
	assert_int_equal(receive_case(&rcases[10], sv, &m, buf, permit), MSG_OK);
	taken = privsep_req_take_fd(&m.req, 1);
	assert_true(taken >= 0);
	/* one reply fd attached and never sent: the message's too */
	assert_int_equal(privsep_req_reply_fd(&m.req, memfd(0)), 0);
	msg_release(&m);
	assert_int_equal(count_fds(), before + 1);
	assert_true(fcntl(taken, F_GETFD) >= 0);
	close(taken);
	close(sv[0]);
	close(sv[1]);
}

/* Fill sock's send buffer with records until it is full. */
static void fill(int sock)
{
	static const uint8_t zero[1024];
	uint8_t rec[PRIVSEP_HDR_LEN + 1024];
	size_t n = rec_make(rec, T_CALL, 1, zero, sizeof(zero), 0);
	while (send(sock, rec, n, MSG_DONTWAIT) >= 0)
		;
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

static void a_record_queued_on_a_full_socket_holds_copies_of_the_senders_fds(void **state)
{
	struct outq q;
	int sv[2], fd = memfd(0), before;
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	outq_init(&q, 4);
	fill(sv[0]);
	before = count_fds();
	{
		struct msg_out o = {T_CALL, 7, "x", 1, &fd, 1, bulk_make("abc", 3), 3, NULL};
		assert_int_equal(msg_send(sv[0], &q, &o, 0), MSG_QUEUED);
	}
	/* the queue holds its own copy of fd and the bulk memfd it was given:
	 * the caller's fd is still the caller's to close */
	assert_int_equal(q.n, 1);
	assert_int_equal(count_fds(), before + 2);
	close(fd);
	outq_clear(&q);
	assert_int_equal(count_fds(), before - 1);
	close(sv[0]);
	close(sv[1]);
}

static void a_full_queue_refuses_a_record_and_keeps_nothing_of_it(void **state)
{
	struct outq q;
	int sv[2], fd = memfd(0), before;
	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	outq_init(&q, 1);
	fill(sv[0]);
	{
		struct msg_out o = {T_CALL, 0, NULL, 0, &fd, 1, -1, 0, NULL};
		assert_int_equal(msg_send(sv[0], &q, &o, 0), MSG_QUEUED);
		before = count_fds();
		o.bulkfd = bulk_make("abc", 3);
		assert_int_equal(msg_send(sv[0], &q, &o, 0), MSG_REFUSED);
		assert_int_equal(errno, EAGAIN);
		/* a reply is queued all the same (at most one waits) */
		o.bulkfd = -1;
		assert_int_equal(msg_send(sv[0], &q, &o, MSG_SEND_REPLY), MSG_QUEUED);
	}
	assert_int_equal(count_fds(), before + 1);
	outq_clear(&q);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

/* The sender copies a small payload after its header (one piece, sent
 * with send(2) when no fd goes with it) and sends a larger one as two
 * pieces with sendmsg(2): on both sides of that bound, with and without
 * fds, a bulk, a queue, and a header written in place, the record the
 * receiver decodes is the one sent, byte for byte, with its fds. */
static void a_record_arrives_as_sent_on_both_sides_of_the_one_piece_bound(void **state)
{
	/* the bound is 4 KiB (msg.c's MSG_SMALL): a limit above it here */
	enum { BIG = 4 * MSG_MAX };
	static const size_t sizes[] = {0,    1,    255,  256,  257,
	                               1000, 4095, 4096, 4097, BIG - PRIVSEP_HDR_LEN - 8};
	static uint8_t buf[BIG], frame[BIG], payload[BIG];
	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++)
		for (int how = 0; how < 8; how++) {
			int nfds = how & 1 ? 2 : 0, bulk = !!(how & 2), queued = !!(how & 4);
			int inplace = !bulk && !nfds && queued; /* the reply's way */
			int sv[2], fds[2] = {-1, -1};
			size_t len = sizes[k], fixed = bulk ? 8 : 0;
			struct outq q;
			struct msg m;
			assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
			                 0);
			outq_init(&q, 4);
			for (int i = 0; i < nfds; i++)
				fds[i] = memfd(0);
			memcpy(frame + PRIVSEP_HDR_LEN, payload, len);
			{
				struct msg_out o = {T_CALL,
				                    9,
				                    inplace ? frame + PRIVSEP_HDR_LEN : payload,
				                    len,
				                    fds,
				                    (size_t)nfds,
				                    bulk ? bulk_make("abc", 3) : -1,
				                    bulk ? 3 : 0,
				                    inplace ? frame : NULL};
				assert_int_equal(msg_send(sv[1], queued ? &q : NULL, &o, 0),
				                 MSG_SENT);
			}
			assert_int_equal(q.n, 0);
			assert_int_equal(msg_recv(sv[0], &m, buf, BIG, 1), CHAN_RECORD);
			assert_int_equal(msg_decode(&m, BIG), PRIVSEP_V_NONE);
			assert_int_equal(m.hdr.type, T_CALL);
			assert_int_equal(m.hdr.id, 9);
			assert_int_equal(m.hdr.len, fixed + len);
			assert_int_equal(m.req.nfds, (size_t)(nfds + bulk));
			if (bulk)
				assert_int_equal(m.req.data[0], 3); /* the bulk's size, first */
			assert_memory_equal(m.req.data + fixed, payload, len);
			for (size_t i = 0; i < m.req.nfds; i++)
				assert_true(fcntl(m.req.fds[i], F_GETFD) >= 0);
			msg_release(&m);
			for (int i = 0; i < nfds; i++)
				close(fds[i]);
			close(sv[0]);
			close(sv[1]);
		}
}

static void every_framework_type_a_worker_sends_has_its_own_handler_at_the_helper(void **state)
{
	struct hx *x = hx_new(NULL, 0, 0);
	privsep_handler_fn seen[PROTO_FW_COUNT] = {0};
	size_t nw = 0;
	(void)state;
	assert_non_null(x);
	for (size_t i = 0; i < proto_nmsgs; i++) {
		const struct proto_msg *m = &proto_msgs[i];
		const struct privsep_handler *r = NULL;
		print_message("%s from the %s\n", m->name, proto_dir_sender(m->dir));
		for (size_t j = 0; j < x->h->nrows; j++)
			if (x->h->rows[j].type == m->type)
				r = &x->h->rows[j];
		if (m->dir == PROTO_H2W) {
			/* the helper sends it: no handler, no row at the helper */
			assert_int_equal(m->fw, PROTO_FW_NONE);
			assert_null(r);
			continue;
		}
		assert_int_equal(m->dir, PROTO_W2H);
		nw++;
		assert_true(m->fw > PROTO_FW_NONE && m->fw < PROTO_FW_COUNT);
		assert_non_null(helper_fw_fn(m->fw));
		/* one handler per type: none shares another type's (the old
		 * switch's default made any type it forgot a file access) */
		for (size_t k = 0; k < PROTO_FW_COUNT; k++)
			assert_true(seen[k] != helper_fw_fn(m->fw));
		seen[m->fw] = helper_fw_fn(m->fw);
		assert_non_null(r);
		assert_ptr_equal(r->fn, helper_fw_fn(m->fw));
	}
	/* every handler id is some type's, and out of range is none */
	assert_int_equal(nw, PROTO_FW_COUNT - 1);
	assert_null(helper_fw_fn(PROTO_FW_NONE));
	assert_null(helper_fw_fn(PROTO_FW_COUNT));
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        whatever_check_refuses_a_record_msg_release_closes_every_fd_it_carried),
	    cmocka_unit_test(an_fd_the_handler_takes_is_its_own_and_the_rest_are_closed),
	    cmocka_unit_test(a_record_queued_on_a_full_socket_holds_copies_of_the_senders_fds),
	    cmocka_unit_test(a_full_queue_refuses_a_record_and_keeps_nothing_of_it),
	    cmocka_unit_test(a_record_arrives_as_sent_on_both_sides_of_the_one_piece_bound),
	    cmocka_unit_test(every_framework_type_a_worker_sends_has_its_own_handler_at_the_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
