/* SPDX-License-Identifier: ISC */
/*
 * spawn_exec.h - internal: the helper's hooks for exec mode (spawn.c).
 */
#ifndef PRIVSEP_SPAWN_EXEC_H
#define PRIVSEP_SPAWN_EXEC_H

#include "privsep.h"

struct sb_plan;

/* After sandbox_prepare: the exec plan and the first filter (the
 * worker's policy with exec.policy's start and the one execveat; its
 * policy in *pol, the policy file's absolute path in abs, PATH_MAX
 * bytes, "" when the policy is a text or the default).  -1 with errno
 * and why. */
struct policy;
int spawn_exec_prepare(struct privsep_helper *h, const struct privsep_spawn *sp,
                       struct sb_plan *plan, int chan, int debug, const struct policy **pol,
                       char *abs, char *why, size_t whylen);

/* The text the first filter is compiled from (malloc'd; NULL with
 * errno), and its name into name ("" : the default's): the worker's
 * policy (its text, else its file path by its absolute path abs, else
 * the shipped default), exec.policy's @exec_start, its @exec_narrow
 * unless foreign (the new image narrows itself; a foreign one never
 * does, and gets no seccomp form) and the one execveat of fd fdn.  The same in the helper, the
 * spawner, and a confined helper's copy for the names of violations (spawner.c). */
char *spawn_exec_policy_text(const char *text, const char *path, const char *abs, int fdn,
                             int foreign, char *name, size_t namelen);

/* In the child of an unsandboxed spawn: the channel on fd 3, every other
 * fd but 0-2 closed, and the program executed.  Never returns. */
__attribute__((noreturn)) void spawn_exec_bare(const struct privsep_exec *ex, const char *name,
                                               int chan);

#endif
