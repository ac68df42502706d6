/* SPDX-License-Identifier: ISC */
/*
 * client_main.c - the worker's side of exec mode: the first thing an
 * executed worker's main does (docs/PROTOCOL.md, "Starting a worker by
 * exec").  It finds the channel on fd 3, narrows the sandbox the helper
 * put in force before the execveat (sandbox_narrow), sends READY and waits
 * for the helper's check, and only then runs the application's function.
 * client_run, the part after the narrowing, is a fork-mode worker's too
 * (spawn.c): READY, the client, the function, what it left queued sent
 * (bounded), the exit, each 127 saying why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client_int.h"
#include "msg.h"
#include "proto.h"
#include "sandbox.h"

/* How long the exit waits for the helper to take what fn left queued:
 * the helper's graceful stop gives a worker this long (privsep.h,
 * privsep_helper_stop), and closes the channel first (EPIPE at once). */
#define CLIENT_MAIN_FLUSH_MS 1000

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

void privsep_client_main(const struct privsep_client_config *cfg, privsep_main_fn fn, void *arg)
{
	struct privsep_client_config c0 = {0};
	size_t msg_max;
	int type = 0;
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
		client_run(PRIVSEP_EXEC_CHAN_FD, &c0, msg_max, 1, fn, arg);
	}
	client_run(PRIVSEP_EXEC_CHAN_FD, &c0, msg_max, 0, fn, arg);
}

void client_run(int fd, const struct privsep_client_config *cfg, size_t msg_max, int ready,
                privsep_main_fn fn, void *arg)
{
	struct privsep_client *c;
	int rc;

	if (ready && msg_ready(fd, msg_max) < 0) {
		fprintf(stderr,
		        "privsep: READY not answered (%s): the helper refused this worker's "
		        "sandbox or is gone; exiting\n",
		        strerror(errno));
		_exit(127);
	}
	c = privsep_client_new(fd, cfg);
	if (!c) {
		fprintf(stderr, "privsep: cannot make the client on fd %d (%s); exiting\n", fd,
		        strerror(errno));
		_exit(127);
	}
	rc = fn(c, arg);
	/* what fn posted and left queued or batched goes before the exit,
	 * bounded: a helper that stopped reading costs at most this wait;
	 * what is left, privsep_client_free says it drops */
	if (privsep_client_queued(c))
		(void)privsep_client_flush(c, CLIENT_MAIN_FLUSH_MS);
	privsep_client_free(c);
	fflush(NULL);
	_exit(rc & 0xff);
}
