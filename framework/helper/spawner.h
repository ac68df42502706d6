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
#include <sys/types.h>

#include "privsep.h"

#define SPAWNER_REQ_MAGIC 0x70737031u /* "psp1" */
#define SPAWNER_ANS_MAGIC 0x70737041u /* "pspA" */
/* the spawner's first record: it is set up */
#define SPAWNER_READY_MAGIC 0x70737052u /* "pspR" */
/* After every answer that names a pid, the helper's one record about it
 * (u32 magic, u32 pid; no fd): GOT, it holds the worker's pidfd (the
 * spawner closes its own copy, no answer); END, its pidfd did not
 * arrive (an answer cut to no fd): the spawner kills the process it
 * cloned through the pidfd it still holds and answers ENDED (u32 magic,
 * u32 pid, u32 err: 0 ended, ETIMEDOUT killed but not ended yet, ESRCH
 * refused: not the process it cloned and still holds). */
#define SPAWNER_GOT_MAGIC 0x70737047u   /* "pspG" */
#define SPAWNER_END_MAGIC 0x70737045u   /* "pspE" */
#define SPAWNER_ENDED_MAGIC 0x70737065u /* "pspe" */
/* The helper's one byte on a new worker's channel once it holds the
 * worker's pidfd and channel (the answer read, GOT sent): the worker
 * the spawner cloned waits for it before anything else, and ends at
 * end of file (the answer never read: the spawner lost or killed, its
 * channel's other end closed with it). */
#define SPAWNER_GO 'g'
/* The helper's wait for one answer, at most. */
#define SPAWNER_ANSWER_MS 10000
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

/* spawner_known.c: what the spawner may start (its header says how).
 * Before confining: note a program's fd (privsep_exec_open) and what a
 * spawn named (its program, its user).  In the spawner at its start:
 * take the note of what is known then (the programs still open, the
 * policies loaded).  Then each request: 0, or -1 with errno EPERM and a
 * one-line reason in why (mode: the request's POL_MODE_*). */
void spawner_known_program(int fd);
void spawner_known_spawn(const struct privsep_spawn *sp);
struct privsep_helper;
void spawner_known_take(const struct privsep_helper *h);
/* Held across the spawner's fork (released on both sides after it): no
 * note is half made in the copy the spawner takes. */
void spawner_known_hold(void);
void spawner_known_release(void);
int spawner_known_check(const struct privsep_helper *h, const struct spawner_req *q, int mode,
                        char *why, size_t whylen);
/* After the worker's sandbox was prepared: whether the policies its
 * filters were compiled from (pol, and exec mode's first filter's,
 * filter_pol, NULL for none) allow no more than a known one of the
 * request's name and mode: a file a reload's text includes is read again
 * to compile, and may have changed since the check (a root helper may
 * write it).  0, or -1 with errno EPERM and why. */
struct policy;
int spawner_known_used(const struct spawner_req *q, int mode, const struct policy *pol,
                       const struct policy *filter_pol, char *why, size_t whylen);

/* spawner_end.c.  In the spawner: the pidfd of the process it cloned
 * last, kept until the helper's GOT or END (pidfd -1: none). */
struct spawner_held {
	int pidfd;
	int pid;
};
void spawner_held_drop(struct spawner_held *k);
/* The record buf (len bytes, with nfds fds) if it is a GOT or an END:
 * 1 when it was one (an END answered, a refusal's line on standard
 * error), 0 when it is not (a spawn request), -1 with a reason in why
 * (malformed, or a GOT of another pid: the spawner exits). */
int spawner_held_record(struct spawner_held *k, int sock, const uint8_t *buf, size_t len,
                        size_t nfds, char *why, size_t whylen);
/* In the helper: GOT (sent, no answer), END (sent, and the spawner's
 * ENDED read, bounded, its err in *err): 0, or -1 with errno. */
struct privsep_helper;
/* Wait until the spawner's socket has a record, or end (clock_now_ms):
 * 0, or -1 with errno (ETIMEDOUT). */
int spawner_sock_wait(const struct privsep_helper *h, int64_t end);
int spawner_got(struct privsep_helper *h, pid_t pid);
int spawner_end(struct privsep_helper *h, pid_t pid, uint32_t *err);

#endif
