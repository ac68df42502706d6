/* SPDX-License-Identifier: ISC */
/*
 * spawner.h - internal: the spawner's request and answer (spawner.c,
 * spawner_req.c).  The helper's one SEQPACKET socket to the spawner
 * carries one request and one answer per spawn, each one record.
 */
#ifndef PRIVSEP_SPAWNER_H
#define PRIVSEP_SPAWNER_H

#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

#define SPAWNER_REQ_MAGIC 0x70737031u /* "psp1" */
#define SPAWNER_ANS_MAGIC 0x70737041u /* "pspA" */
/* the spawner's first record: it is set up */
#define SPAWNER_READY_MAGIC 0x70737052u /* "pspR" */
/* a request's bytes at most (a policy's text is the large part) */
#define SPAWNER_REQ_MAX (128 * 1024)
/* argv, envp and read_beneath strings, each at most */
#define SPAWNER_STRS_MAX 256
/* fds with a request: the program's, then the kept ones */
#define SPAWNER_REQ_FDS (1 + PRIVSEP_SANDBOX_KEEP_MAX)
/* the log lines of one spawn the answer carries, in bytes at most */
#define SPAWNER_LOG_MAX 4096
/* an answer's bytes at most: the log lines, the policy file's absolute
 * path (exec mode's first filter's text names it), the fixed fields */
#define SPAWNER_ANS_MAX (SPAWNER_LOG_MAX + 4096 + 256)
/* The only sandbox flags a request may carry: none that takes a part of
 * the sandbox away (PRIVSEP_SB_NO_NAMESPACES), and never unsandboxed. */
#define SPAWNER_SB_FLAGS (PRIVSEP_SB_DEBUG | PRIVSEP_SB_NULL_STDIO | PRIVSEP_SB_LEARN)

/* A request as the spawner read it: sp, sb and ex point into each other,
 * their strings into the received bytes (kept while it is used). */
struct spawner_req {
	struct privsep_spawn sp;
	struct privsep_sandbox sb;
	struct privsep_exec ex;
	int keep[PRIVSEP_SANDBOX_KEEP_MAX];
	const char **argv, **envp, **rb; /* malloc'd, NULL-terminated */
};

/* The helper's side: sp (exec mode) as one request into buf (cap
 * bytes: *len), the fds to send with it in fds (*nfds, at most
 * SPAWNER_REQ_FDS; borrowed).  -1 with errno (EMSGSIZE: too long; E2BIG:
 * too many strings or kept fds; EINVAL: not exec mode). */
int spawner_req_write(const struct privsep_spawn *sp, uint8_t *buf, size_t cap, size_t *len,
                      int *fds, size_t *nfds);

/* The spawner's side: the request in buf (len bytes) with the nfds fds
 * received, checked as strictly as a worker's record: every length,
 * count and fd count.  0, or -1 with a one-line reason in why (q then
 * holds nothing to free). */
int spawner_req_read(struct spawner_req *q, const uint8_t *buf, size_t len, const int *fds,
                     size_t nfds, char *why, size_t whylen);
void spawner_req_free(struct spawner_req *q);

#endif
