/* SPDX-License-Identifier: ISC */
/*
 * client_main.c - the worker's side of exec mode: the first thing an
 * executed worker's main does (docs/PROTOCOL.md, "Starting a worker by
 * exec").  It finds the channel on fd 3, narrows the sandbox the helper
 * put in force before the execveat (sandbox_narrow), sends READY and waits
 * for the helper's check, and only then runs the application's function.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "msg.h"
#include "proto.h"
#include "sandbox.h"

int privsep_exec_is_worker(int argc, char **argv)
{
	int type = 0;
	socklen_t len = sizeof(type);
	return argc >= 2 && argv[1] && !strcmp(argv[1], PRIVSEP_EXEC_MARKER) &&
	       getsockopt(PRIVSEP_EXEC_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &len) == 0 &&
	       type == SOCK_SEQPACKET;
}

static void post_failed(int step, int err, const char *why)
{
	uint8_t buf[8 + 4 + PRIVSEP_DETAIL_MAX];
	struct privsep_writer w;
	struct msg_out o = {PRIVSEP_T_SANDBOX_FAILED, 0, buf, 0, NULL, 0, -1, 0, NULL};
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, (uint32_t)step);
	privsep_writer_put_u32(&w, (uint32_t)err);
	privsep_writer_put_str(&w, why);
	o.len = w.len;
	(void)msg_send(PRIVSEP_EXEC_CHAN_FD, NULL, &o, 0);
}

/* READY's reply may have id 1 only. */
static int ready_id(void *arg, uint32_t id)
{
	(void)arg;
	return id == 1;
}

/* READY, a call with id 1, and its answer, through the message layer as
 * spawn.c's child_ready: anything but an empty success ends the worker
 * before application code.  0 or -1. */
static int ready(size_t msg_max)
{
	uint8_t rb[PRIVSEP_HDR_LEN + 8 + PRIVSEP_DETAIL_MAX];
	struct msg_out o = {PRIVSEP_T_READY, 1, NULL, 0, NULL, 0, -1, 0, NULL};
	struct msg m;
	struct msg_end e = {msg_max, PROTO_H2W, NULL, 0, 0, NULL, ready_id, NULL};
	uint32_t error = 1;
	const char *detail;
	const void *body;
	size_t dlen, blen = 1;
	int ok;

	if (msg_send(PRIVSEP_EXEC_CHAN_FD, NULL, &o, 0) != MSG_SENT ||
	    msg_recv(PRIVSEP_EXEC_CHAN_FD, &m, rb, sizeof(rb), 0) != CHAN_RECORD)
		return -1;
	ok = msg_decode(&m, msg_max) == PRIVSEP_V_NONE && m.hdr.type == PRIVSEP_T_REPLY &&
	     msg_check(&m, &e) == MSG_OK &&
	     msg_reply(&m, &error, &detail, &dlen, &body, &blen) == PRIVSEP_V_NONE && error == 0 &&
	     blen == 0 && m.hdr.nfds == 0;
	msg_release(&m);
	return ok ? 0 : -1;
}

void privsep_client_main(const struct privsep_client_config *cfg, privsep_main_fn fn, void *arg)
{
	struct privsep_client_config c0 = {0};
	struct privsep_client *c;
	size_t msg_max;
	int type = 0, rc;
	socklen_t len = sizeof(type);

	if (cfg)
		c0 = *cfg;
	msg_max = c0.msg_max ? c0.msg_max : PRIVSEP_MSG_MAX_DEFAULT;
	if (getsockopt(PRIVSEP_EXEC_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &len) < 0 ||
	    type != SOCK_SEQPACKET) {
		fprintf(
		    stderr,
		    "privsep: no channel on fd %d: this program runs as a worker its helper executes\n",
		    PRIVSEP_EXEC_CHAN_FD);
		_exit(127);
	}
	/* A helper that sandboxed this worker loaded its first filter before
	 * the execveat: finish, and let the helper check.  None: the spawn
	 * was unsandboxed (a test or a debugging session), and no READY is
	 * expected. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0) {
		char why[PRIVSEP_DETAIL_MAX - 1];
		if (sandbox_narrow(why, sizeof(why)) < 0) {
			post_failed(PRIVSEP_SB_STEP_NARROW, errno, why);
			_exit(127);
		}
		if (ready(msg_max) < 0)
			_exit(127);
	}
	c = privsep_client_new(PRIVSEP_EXEC_CHAN_FD, &c0);
	if (!c)
		_exit(127);
	rc = fn(c, arg);
	privsep_client_free(c);
	fflush(NULL);
	_exit(rc & 0xff);
}
