/* SPDX-License-Identifier: ISC */
/*
 * spawn_job.h - internal: one spawn's state, shared by spawn.c (the
 * helper starting a worker itself) and spawner.c (the spawner starting
 * it for a confined helper, which then serves it).
 */
#ifndef PRIVSEP_SPAWN_JOB_H
#define PRIVSEP_SPAWN_JOB_H

#include <limits.h>
#include <sys/types.h>

#include "helper_int.h"
#include "sandbox.h"
#include "sandbox_verify.h"

/* What one spawn holds while it starts a worker: its fds (the channel,
 * the standard error and output pipes; -1 once closed or given away),
 * its sandbox's plan and the policy it runs under. */
struct spawn_job {
	const char *name;
	int sv[2], lp[2], op[2];
	int debug, null_stdio;
	int mode; /* POL_MODE_*: how the policy's kills are compiled */
	struct sb_plan plan;
	struct sb_expect expect;
	const struct policy *pol;
	const struct fs_root *roots;
	/* exec mode: the first filter's policy, and the worker's policy
	 * file by its absolute path ("": a text, or the default) */
	const struct policy *filter_pol;
	char exec_abs[PATH_MAX];
};

/* spawn.c */
/* What forbids this spawn before anything is made: 0, or -1 with errno
 * (after one log line where the reason is the caller's). */
int spawn_refused(struct privsep_helper *h, const struct privsep_spawn *sp,
                  const struct spawn_job *j);
/* The job's fields from sp, nothing made yet (every fd -1). */
void spawn_job_init(struct spawn_job *j, const struct privsep_spawn *sp);
/* The channel and the pipes, then the sandbox's plan (the policy checked,
 * compiled and verified): 0, or -1 with errno after one log line and
 * nothing left open or leased. */
int spawn_job_prepare(struct privsep_helper *h, const struct privsep_spawn *sp,
                      struct spawn_job *j);
/* Close every fd the job still holds. */
void job_close(struct spawn_job *j);
/* In a new child of the helper: every signal's action the default, none
 * blocked (the helper's handlers and mask mean nothing there). */
void signals_default(void);
/* In the parent, the child started: the child's ends closed (and -1). */
void job_close_child_ends(struct spawn_job *j);
/* In the new child: the parent's ends closed, the sandbox, then the
 * worker's main or its program.  Never returns. */
__attribute__((noreturn)) void spawn_job_child(struct privsep_helper *h,
                                               const struct privsep_spawn *sp, struct spawn_job *j);
/* Confirm the uid leased ahead to the job's child on its channel
 * (sandbox_uid_confirm; before or after the fork: the byte waits for
 * step 5).  0, or -1 with errno after one log line (EEXIST: the uid is
 * taken since its lease); the job is left as it was. */
int spawn_uid_confirm(struct privsep_helper *h, struct spawn_job *j);
/* Before the clone (a confined helper's spawner): the uid leased ahead
 * checked again now, and the child told to wait for no byte at step 5
 * (its first wait is the spawner's go, spawner.c).  0, or -1 as
 * spawn_uid_confirm. */
int spawn_uid_check(struct privsep_helper *h, struct spawn_job *j);
/* After the fork: spawn_uid_confirm, or kill and reap the child (it
 * never ran as the uid) and release everything the job holds.  0, or -1
 * with errno. */
int spawn_confirm_uid(struct privsep_helper *h, struct spawn_job *j, pid_t pid);
/* The new child pid is served: its channel, pidfd and pipes (all taken)
 * become a worker in the registry.  The worker, or NULL with errno. */
struct privsep_worker *spawn_attach(struct privsep_helper *h, const struct privsep_spawn *sp,
                                    struct spawn_job *j, pid_t pid, int pidfd);

/* spawner.c: the process a helper forks before it confines itself
 * (privsep_helper_confine), which then starts every exec-mode worker as
 * the helper's child (clone3 with CLONE_PARENT). */
/* Start it: 0, or -1 with errno after one log line. */
int spawner_start(struct privsep_helper *h);
/* Ask it for sp's worker (j from spawn_job_init): the worker served, or
 * NULL with errno after one log line. */
struct privsep_worker *spawner_spawn(struct privsep_helper *h, const struct privsep_spawn *sp,
                                     struct spawn_job *j);
/* Its socket closed, and the spawner reaped (it exits on EOF). */
void spawner_stop(struct privsep_helper *h);
/* The workers of answers cut to no fd, reaped as they end (waitid of
 * each pid told, WNOHANG: never blocks, never a worker's pid): when to
 * look again (clock_now_ms), or -1 when none is left.  Called at each
 * turn of the loop and before each spawn. */
int64_t spawner_orphans_reap(struct privsep_helper *h);

#endif
