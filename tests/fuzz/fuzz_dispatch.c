/* SPDX-License-Identifier: ISC */
/*
 * libFuzzer target: the helper's receive path (chan_recv, the checks,
 * dispatch, the handlers, the replies) fed arbitrary records with and
 * without fds through a worker's real channel.
 *
 * The helper and the worker are kept across inputs; only an input that
 * ended the worker costs a new one (a new socketpair and
 * helper_attach).  Between inputs the worker is put back as it was
 * added: its permits restored, the replies read and their fds closed.
 * Findings besides the sanitizers': an fd left open (fuzz_util.h), a
 * worker that broke the protocol and was not dropped (or dropped
 * without one violation line), a worker whose records the helper stops
 * reading, a reply left queued.
 *
 * An input: byte 0 says the fds (fuzz_make_fds: 0..5, a memfd sealed or
 * not first); the rest is one record, sent with the fds, and, if longer
 * than 8 bytes, its first half once more as a second record, without.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/sockios.h>

#include "fuzz_util.h"
#include "helper_int.h"
#include "privsep.h"
#include "chan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_handler(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	const char *s;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_str(&r, &s, NULL) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	privsep_writer_put_str(&req->reply, s);
	return 0;
}

static int fd_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (req->nfds && (req->data[0] & 1))
		return privsep_req_reply_fd(req, privsep_req_take_fd(req, 0)) < 0 ? 5 : 0;
	return req->len ? 13 : 0;
}

static int bulk_handler(struct privsep_req *req, void *arg)
{
	uint8_t sum = 0;
	(void)arg;
	for (size_t i = 0; i < req->bulk_len; i++)
		sum ^= ((const uint8_t *)req->bulk)[i];
	return sum & 1 ? PRIVSEP_VIOLATION : 0;
}

static const struct privsep_handler table[] = {
    {.type = 0x10001,
     .name = "str",
     .min_len = 4,
     .max_len = 256,
     .flags = PRIVSEP_H_CALL,
     .fn = str_handler},
    {.type = 0x10002,
     .name = "post",
     .max_len = 64,
     .max_fds = 2,
     .flags = PRIVSEP_H_POST,
     .fn = fd_handler},
    {.type = 0x10003,
     .name = "fd",
     .min_len = 1,
     .max_len = 16,
     .min_fds = 1,
     .max_fds = 4,
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_ONCE,
     .fn = fd_handler},
    {.type = 0x10004,
     .name = "bulk",
     .max_len = 16,
     .max_fds = 2,
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = bulk_handler,
     .bulk_max = 64},
    {.type = 0x10005,
     .name = "bulk-call",
     .max_len = 16,
     .flags = PRIVSEP_H_CALL | PRIVSEP_H_BULK,
     .fn = bulk_handler,
     .bulk_max = 64},
    {.type = 0x10006, .name = "event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
};

/* A record limit under the largest input, so that an oversized record
 * (cut by the kernel) is reachable. */
#define FUZZ_MSG_MAX 1024u
/* Steps the helper gets to read what one input sent, at most: it reads
 * one call per step, so two records take two. */
#define FUZZ_STEPS 16

static struct privsep_helper *h;
static struct privsep_worker *w;
static int peer = -1;        /* the worker's end of the channel */
static uint8_t permit0[256]; /* w's permits as added */
static int gone;             /* on_worker_gone ran for w */
static enum privsep_violation gone_viol;
static unsigned viol_lines; /* "protocol violation" lines since the input began */
static struct fuzz_fds fds_mark;
static unsigned long late_eof; /* the end of the stream came after the drop */
static int fds_setup;          /* fds the helper and the worker hold after setup */

static void on_log(enum privsep_log_level l, const char *line, void *arg)
{
	(void)arg;
	if (l == PRIVSEP_LOG_ERR && strstr(line, ": protocol violation "))
		viol_lines++;
}

static void on_gone(struct privsep_worker *gw, void *arg)
{
	(void)arg;
	if (gw != w)
		fuzz_fail("on_worker_gone for a worker that is not the fuzzer's");
	gone = 1;
	gone_viol = privsep_worker_exit_info(gw)->violation;
}

static void worker_start(void)
{
	int sv[2];
	if (chan_pair(sv) < 0)
		abort();
	w = helper_attach(h, sv[0], -1, 0, "fuzz");
	if (!w || h->nrows > sizeof(permit0))
		abort();
	memcpy(permit0, w->permit, h->nrows);
	peer = sv[1];
	gone = 0;
}

/* At exit (libFuzzer's end of a run): freeing the helper and closing the
 * worker's end closes as many fds as they held after setup (libFuzzer
 * may have opened some of its own since). */
static void at_exit(void)
{
	int before;
	if (!h)
		return;
	if (late_eof)
		fprintf(stderr,
		        "fuzz_dispatch: %lu dropped workers' channels read end of stream only "
		        "after a wait\n",
		        late_eof);
	before = fuzz_fds_total();
	close(peer);
	privsep_helper_free(h);
	h = NULL;
	if (before - fuzz_fds_total() != fds_setup)
		fuzz_fail("the helper and the worker did not close what they held, at exit");
	if (fuzz_memfd_maps() != 0)
		fuzz_fail("a memfd still mapped at exit");
}

static void setup(void)
{
	struct privsep_helper_config cfg = {
	    .msg_max = FUZZ_MSG_MAX, .log = on_log, .on_worker_gone = on_gone};
	fds_setup = -fuzz_fds_total();
	h = privsep_helper_new(table, sizeof(table) / sizeof(table[0]), &cfg);
	if (!h)
		abort();
	worker_start();
	fds_setup += fuzz_fds_total();
	fuzz_fds_init(&fds_mark);
	atexit(at_exit);
}

/* Bytes the worker sent that the helper has not read yet. */
static int unread(void)
{
	int n = 0;
	if (ioctl(peer, SIOCOUTQ, &n) < 0)
		abort();
	return n;
}

/* Read every reply the helper sent, closing their fds; 1 if the end of
 * the stream came after them (or ECONNRESET: the helper closed with
 * records of the worker unread). */
static int drain(void)
{
	ssize_t n;
	while ((n = fuzz_drain_one(peer, NULL)) > 0)
		;
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/* The helper closed its end: the end of the stream, within a second
 * (the socket is released when its last reference goes, which the
 * kernel may finish after close returns). */
static int closed_soon(void)
{
	struct pollfd p = {.fd = peer, .events = POLLIN | POLLRDHUP};
	for (int i = 0; i < 100; i++) {
		if (drain())
			return 1;
		if (poll(&p, 1, 10) < 0 && errno != EINTR)
			abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds[PRIVSEP_MAX_FDS + 1];
	size_t nfds;
	int steps, eof;

	if (!h)
		setup();
	if (size < 1 || size > 4096)
		return 0;
	fuzz_fds_begin(&fds_mark);
	viol_lines = 0;
	nfds = fuzz_make_fds(data[0], fds, peer);
	fuzz_send(peer, data + 1, size - 1, fds, nfds);
	for (size_t i = 0; i < nfds; i++)
		close(fds[i]);
	if (size > 8)
		fuzz_send(peer, data + 1, (size - 1) / 2, NULL, 0);

	/* the helper reads until nothing the worker sent is left, or the
	 * worker is dropped */
	for (steps = 0; !gone && unread() > 0 && steps < FUZZ_STEPS; steps++) {
		if (privsep_helper_step(h, 0) < 0)
			abort();
		drain();
	}
	if (!gone && unread() > 0)
		fuzz_fail("the helper stopped reading a worker's records");
	eof = drain();

	if (gone) {
		/* broke the protocol: one line, dropped, its channel closed */
		if (gone_viol == PRIVSEP_V_NONE || viol_lines != 1)
			fuzz_fail("a worker dropped without exactly one violation line");
		if (privsep_helper_nworkers(h) != 0)
			fuzz_fail("a dropped worker is still counted");
		if (!eof && !closed_soon())
			fuzz_fail("a dropped worker's channel is still open after a second");
		if (!eof)
			late_eof++;
		close(peer);
		worker_start();
	} else {
		if (viol_lines != 0 || w->viol != PRIVSEP_V_NONE || w->chan < 0)
			fuzz_fail("a worker that broke the protocol was not dropped");
		if (privsep_helper_nworkers(h) != 1 || eof || w->q.n != 0)
			fuzz_fail("the worker's channel closed, or a reply stayed queued");
		/* as added: whatever PERMIT_DROP or a one-shot call took back */
		memcpy(w->permit, permit0, h->nrows);
	}
	fuzz_fds_end(&fds_mark);
	return 0;
}
