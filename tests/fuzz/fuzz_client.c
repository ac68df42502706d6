/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: a worker's client fed arbitrary records from a
 * hostile helper (replies to a waiting call, events, bulk events, with
 * fds, memfds sealed or not) through its real channel.
 *
 * The client and its channel are kept across inputs; only an input that
 * ended it (the client found the helper broke the protocol) costs a new
 * one.  Between inputs what the input left in the client's socket is read
 * and its fds closed, and the request of the call is read from the
 * helper's end.  Findings besides the sanitizers': an fd left open or a
 * memfd left mapped (fuzz_util.h), a client that took a violation and
 * kept its channel (or ended without one violation line), a call that
 * returned a reply it did not get.
 *
 * An input: byte 0 says the fds (fuzz_make_fds: 0..5, a memfd sealed or
 * not first); byte 1 the mode:
 *   bit 0   a call waits for the records (else privsep_client_dispatch
 *           reads them)
 *   bit 1   the first record's id is the waiting call's
 *   bit 2-4 the call's reply buffer: 0, 1, 4, 8, 16, 64, 256 or 1024 bytes
 *   bit 5   the first half of the record follows as a second record
 * the rest is the record, sent with the fds.  A call is then answered
 * (after the records) by a well-formed empty reply, so that it always
 * returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "privsep.h"
#include "wire.h"
#include "chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(struct privsep_req *req, void *arg)
{
	uint8_t x = 0;
	(void)arg;
	for (size_t i = 0; i < req->bulk_len; i++)
		x ^= ((const uint8_t *)req->bulk)[i];
	for (size_t i = 0; i < req->len; i++)
		x ^= req->data[i];
	return x == 0x5a ? PRIVSEP_VIOLATION : 0;
}

static const struct privsep_handler table[] = {
    {.type = 0x10001,
     .name = "event",
     .max_len = 16,
     .max_fds = 2,
     .flags = PRIVSEP_H_EVENT,
     .fn = on_event},
    {.type = 0x10002,
     .name = "bulk-event",
     .max_len = 16,
     .max_fds = 1,
     .flags = PRIVSEP_H_EVENT | PRIVSEP_H_BULK,
     .fn = on_event,
     .bulk_max = 64},
    {.type = 0x10003, .name = "call", .max_len = 16, .flags = PRIVSEP_H_CALL, .fn = on_event},
};

#define FUZZ_MSG_MAX 1024u
#define FUZZ_CALL 0x10003u

static struct privsep_client *c;
static int peer = -1;       /* the helper's end */
static uint32_t next_id;    /* the id of the client's next call */
static unsigned viol_lines; /* "broke the protocol" lines in this input */
static struct fuzz_fds fds_mark;
static int fds_setup; /* fds the client and the helper's end hold */

static void on_log(enum privsep_log_level l, const char *line, void *arg)
{
	(void)arg;
	if (l == PRIVSEP_LOG_ERR && strstr(line, "helper broke the protocol"))
		viol_lines++;
}

static void client_start(void)
{
	struct privsep_client_config cfg = {
	    .msg_max = FUZZ_MSG_MAX, .log = on_log, .table = table, .n = 3};
	int sv[2];
	if (chan_pair(sv) < 0)
		abort();
	c = privsep_client_new(sv[1], &cfg);
	if (!c)
		abort();
	peer = sv[0];
	next_id = 1;
}

static void at_exit(void)
{
	int before;
	if (!c)
		return;
	before = fuzz_fds_total();
	privsep_client_free(c);
	close(peer);
	c = NULL;
	if (before - fuzz_fds_total() != fds_setup)
		fuzz_fail("the client and the helper's end did not close what they held, at exit");
	if (fuzz_memfd_maps() != 0)
		fuzz_fail("a memfd still mapped at exit");
}

static void setup(void)
{
	fds_setup = -fuzz_fds_total();
	client_start();
	fds_setup += fuzz_fds_total();
	fuzz_fds_init(&fds_mark);
	atexit(at_exit);
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t caps[8] = {0, 1, 4, 8, 16, 64, 256, 1024};
	static uint8_t rec[4096], resbuf[1024];
	int fds[PRIVSEP_MAX_FDS + 1], dead;
	size_t nfds, len;
	uint8_t mode;
	ssize_t n;

	if (!c)
		setup();
	if (size < 2 || size > 4096)
		return 0;
	fuzz_fds_begin(&fds_mark);
	viol_lines = 0;
	mode = data[1];
	len = size - 2;
	memcpy(rec, data + 2, len);
	if ((mode & 3) == 3 && len >= PRIVSEP_HDR_LEN)
		put32(rec + 8, next_id);
	nfds = fuzz_make_fds(data[0], fds, -1);
	fuzz_send(peer, rec, len, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (mode & 0x20)
		fuzz_send(peer, rec, len / 2, NULL, 0);

	if (mode & 1) {
		/* a call that finds the records waiting, then its answer */
		struct privsep_result res = {.data = resbuf, .cap = caps[(mode >> 2) & 7]};
		uint8_t answer[PRIVSEP_HDR_LEN + 4] = {0};
		struct wire_hdr hdr = {
		    PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, PRIVSEP_T_REPLY, next_id, 4};
		uint32_t id = 0;
		int rc;
		wire_put_hdr(answer, &hdr);
		fuzz_send(peer, answer, sizeof(answer), NULL, 0);
		rc = privsep_client_call(c, &(struct privsep_out){.type = FUZZ_CALL}, &res);
		if (rc == 0 && (res.len > res.cap || res.nfds > PRIVSEP_MAX_FDS))
			fuzz_fail("a call returned more than its buffer or the fd limit");
		if (rc != 0 && res.nfds != 0)
			fuzz_fail("a failed call returned fds");
		for (size_t i = 0; i < res.nfds; i++)
			if (res.fds[i] < 0 || close(res.fds[i]) < 0)
				fuzz_fail("a call returned an fd that is not open");
		/* the request it sent, with the id the harness predicted */
		if (fuzz_drain_one(peer, &id) != PRIVSEP_HDR_LEN || id != next_id)
			fuzz_fail("the call's request is not the one expected");
		next_id = id + 1 ? id + 1 : 1;
		/* what the call did not read: the answer, or records after the
		 * one that answered */
		while (fuzz_drain_one(privsep_client_fd(c), NULL) > 0)
			;
	} else {
		for (int i = 0; i < 4 && privsep_client_dispatch(c, 0) > 0; i++)
			;
	}
	/* nothing left to read: -1 only if the client is dead */
	dead = privsep_client_dispatch(c, 0) < 0;
	if (dead && errno != EPROTO)
		fuzz_fail("the client ended other than by a protocol violation");
	if (dead != (viol_lines == 1) || viol_lines > 1)
		fuzz_fail("a violation did not end the client with one line, or another thing did");
	while ((n = fuzz_drain_one(peer, NULL)) > 0)
		fuzz_fail("the client sent a record nobody asked for");
	if (dead) {
		/* it shut its channel down: the helper's end reads the end */
		if (n != 0)
			fuzz_fail("a client that found a violation kept its channel open");
		privsep_client_free(c);
		close(peer);
		client_start();
	} else if (n == 0 || privsep_client_queued(c) != 0) {
		fuzz_fail("a live client closed its channel or left a record queued");
	}
	fuzz_fds_end(&fds_mark);
	return 0;
}
