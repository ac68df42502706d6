/* SPDX-License-Identifier: ISC */
/*
 * sandbox_verify.h - internal: the helper's look, from the kernel's side,
 * at a worker that says its sandbox is entered.
 */
#ifndef PRIVSEP_SANDBOX_VERIFY_H
#define PRIVSEP_SANDBOX_VERIFY_H

#include <sys/types.h>

/* What /proc/PID/status must say of a worker once it sent READY. */
struct sb_expect {
	int root;     /* the ids and the bounding set were changed */
	uid_t uid;    /* root: Uid, all four */
	gid_t gid;    /* root: Gid, all four; and no Groups */
	long filters; /* Seccomp_filters: the spawning thread's own, plus one */
};

struct sb_plan;

/* In the helper, before the fork: what plan will make of the worker.
 * 0, or -1 with errno and a one-line reason in why (the helper's own
 * /proc/thread-self/status unreadable, or without Seccomp_filters). */
int sandbox_expect(struct sb_expect *e, const struct sb_plan *plan, char *why, size_t whylen);

/* In the helper, when worker pid sent READY: its /proc/PID/status against
 * e.  0 when every step is in force; else the step that is not
 * (PRIVSEP_SB_STEP_*), with a one-line reason in why. */
int sandbox_verify(pid_t pid, const struct sb_expect *e, char *why, size_t whylen);

#endif
