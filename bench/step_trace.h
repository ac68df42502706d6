/* SPDX-License-Identifier: ISC */
/*
 * step_trace.h - the benchmark's view of the sandbox steps, from outside.
 *
 * sandbox_enter() is one linear function with nothing to time it.  The
 * benchmark's child stacks a filter of its own before it (SECCOMP_RET_TRACE
 * on the first syscall of each step, SECCOMP_RET_ALLOW for the rest) and
 * the parent, its ptrace tracer, notes the time of each stop.  One stop
 * per step, and two back to back before the steps whose distance is the
 * cost of a stop, which the breakdown subtracts.
 */
#ifndef PRIVSEP_BENCH_STEP_TRACE_H
#define PRIVSEP_BENCH_STEP_TRACE_H

#include <stdint.h>
#include <sys/types.h>

#include "sandbox.h"

/* Marks: the two calibration stops, the start of each step
 * (PRIVSEP_SB_STEP_*; step 1 starts at STEP_TRACE_CAL2), and the end. */
enum {
	STEP_TRACE_CAL1 = 0,
	STEP_TRACE_CAL2 = 1,
	/* 2 .. PRIVSEP_SB_STEP_SECCOMP: the step of that number starts */
	STEP_TRACE_END = PRIVSEP_SB_STEP_SECCOMP + 1,
	STEP_TRACE_N
};

/* In the child, before sandbox_enter(plan): stack the tracing filter
 * (end_fd: the fd whose first write after the steps is the end mark),
 * then make the two calibration stops.  -1 with errno. */
int step_trace_arm(const struct sb_plan *plan, int end_fd);

/* In the parent, right after the fork: become the child's tracer. */
int step_trace_seize(pid_t pid);

/* In the parent: follow the child's stops until the end mark; at[m] is
 * the time (now()) of mark m and cpu[m] the child's CPU time then
 * (which does not count the time it waited for a CPU or for its tracer),
 * both 0 for a step that made no stop (it does not apply).  -1 with a
 * reason in why when the marks did not come in order (sandbox.c's
 * sequence changed: update step_trace.c). */
int step_trace_follow(pid_t pid, uint64_t (*now)(void), uint64_t at[STEP_TRACE_N],
                      uint64_t cpu[STEP_TRACE_N], char *why, size_t whylen);

#endif
