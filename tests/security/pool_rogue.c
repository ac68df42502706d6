/* SPDX-License-Identifier: ISC */
/*
 * pool_rogue.c - test_pool's hostile worker program, executed by the
 * helper in exec mode: it narrows its sandbox and says READY as
 * privsep_client_main does, but then sends a PING at once, without
 * waiting for READY's answer (docs/PROTOCOL.md, section 13, rule 4), and
 * answers every reply it gets with another PING.
 */
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "msg.h"
#include "proto.h"
#include "sandbox.h"

int main(int argc, char **argv)
{
	char why[PRIVSEP_DETAIL_MAX - 1];
	uint8_t rb[PRIVSEP_HDR_LEN + 64];
	struct msg_out ready = {PRIVSEP_T_READY, 1, NULL, 0, NULL, 0, -1, 0, NULL};
	struct msg_out ping = {PRIVSEP_T_PING, 2, "x", 1, NULL, 0, -1, 0, NULL};
	if (!privsep_exec_is_worker(argc, argv) || prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 ||
	    sandbox_narrow(why, sizeof(why)) < 0)
		return 2;
	if (msg_send(PRIVSEP_EXEC_CHAN_FD, NULL, &ready, 0) != MSG_SENT)
		return 3;
	for (;;) {
		if (msg_send(PRIVSEP_EXEC_CHAN_FD, NULL, &ping, 0) != MSG_SENT)
			return 4;
		if (read(PRIVSEP_EXEC_CHAN_FD, rb, sizeof(rb)) <= 0)
			return 0;
	}
}
