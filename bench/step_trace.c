/* SPDX-License-Identifier: ISC */
/*
 * step_trace.c - timing the sandbox steps by tracing the benchmark's
 * child (step_trace.h).  The marks follow sandbox.c's sequence: the first
 * syscall each step makes, with the argument that tells it apart.
 */
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "step_trace.h"

#define LL_SYS_CREATE_RULESET 444

static int mark(scmp_filter_ctx ctx, int m, int nr, unsigned n, const struct scmp_arg_cmp *a)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_TRACE((uint16_t)m), nr, n, a);
}

int step_trace_arm(const struct sb_plan *plan, int end_fd)
{
	scmp_filter_ctx ctx;
	const struct scmp_arg_cmp nofile[] = {SCMP_A1(SCMP_CMP_EQ, RLIMIT_NOFILE, 0)};
	const struct scmp_arg_cmp secbits[] = {SCMP_A0(SCMP_CMP_EQ, PR_SET_SECUREBITS, 0)};
	const struct scmp_arg_cmp bdrop[] = {SCMP_A0(SCMP_CMP_EQ, PR_CAPBSET_DROP, 0),
	                                     SCMP_A1(SCMP_CMP_EQ, 0, 0)};
	const struct scmp_arg_cmp dumpable[] = {SCMP_A0(SCMP_CMP_EQ, PR_SET_DUMPABLE, 0)};
	const struct scmp_arg_cmp nnp[] = {SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS, 0)};
	const struct scmp_arg_cmp filt[] = {SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER, 0)};
	const struct scmp_arg_cmp end[] = {SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)end_fd, 0)};
	int rc;

	/* a filter needs no_new_privs or CAP_SYS_ADMIN; step 8 sets it
	 * again, which costs what it costs */
	if (!plan->root && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return -1;
	rc = mark(ctx, STEP_TRACE_CAL1, SCMP_SYS(getpid), 0, NULL);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_RLIMITS, SCMP_SYS(prlimit64), 1, nofile);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_NAMESPACES, SCMP_SYS(unshare), 0, NULL);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_SECUREBITS, SCMP_SYS(prctl), 1, secbits);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_IDS, SCMP_SYS(setgroups), 0, NULL);
	/* step 6 drops the bounding set from capability 0 as root, and
	 * only sets empty sets otherwise (capset is also its last call as
	 * root: marked only when it is the first) */
	if (plan->root)
		rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_CAPS, SCMP_SYS(prctl), 2, bdrop);
	else
		rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_CAPS, SCMP_SYS(capset), 0, NULL);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_PROCESS, SCMP_SYS(prctl), 1, dumpable);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_NNP, SCMP_SYS(prctl), 1, nnp);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_LANDLOCK, LL_SYS_CREATE_RULESET, 0, NULL);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_SELFCHECK, SCMP_SYS(setuid), 0, NULL);
	rc = rc ?: mark(ctx, PRIVSEP_SB_STEP_SECCOMP, SCMP_SYS(seccomp), 1, filt);
	rc = rc ?: mark(ctx, STEP_TRACE_END, SCMP_SYS(write), 1, end);
	rc = rc ?: seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	/* two stops back to back: what one stop costs */
	syscall(SYS_getpid);
	syscall(SYS_getpid);
	return 0;
}

int step_trace_seize(pid_t pid)
{
	return (int)ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACESECCOMP | PTRACE_O_EXITKILL);
}

/* The child's CPU time so far in ns (its clock, which stands still while
 * it waits or is stopped); 0 if it cannot be read. */
static uint64_t cpu_ns(clockid_t cid)
{
	struct timespec ts;
	if (clock_gettime(cid, &ts) < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int step_trace_follow(pid_t pid, uint64_t (*now)(void), uint64_t at[STEP_TRACE_N],
                      uint64_t cpu[STEP_TRACE_N], char *why, size_t whylen)
{
	int last = -1, st;
	clockid_t cid;
	if (clock_getcpuclockid(pid, &cid) != 0) {
		snprintf(why, whylen, "clock_getcpuclockid: %m");
		return -1;
	}
	for (int m = 0; m < STEP_TRACE_N; m++)
		at[m] = cpu[m] = 0;
	while (last != STEP_TRACE_END) {
		unsigned long msg = 0;
		uint64_t t;
		int sig = 0;
		if (waitpid(pid, &st, 0) != pid) {
			snprintf(why, whylen, "waitpid: %m");
			return -1;
		}
		t = now();
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			snprintf(why, whylen, "the child ended (status 0x%x) after mark %d", st,
			         last);
			return -1;
		}
		if (st >> 8 == (SIGTRAP | (PTRACE_EVENT_SECCOMP << 8))) {
			int m;
			if (ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg) < 0) {
				snprintf(why, whylen, "PTRACE_GETEVENTMSG: %m");
				return -1;
			}
			/* the calibration rule marks both calls: the second is CAL2 */
			m = msg == STEP_TRACE_CAL1 && last == STEP_TRACE_CAL1 ? STEP_TRACE_CAL2
			                                                      : (int)msg;
			if (m <= last || m >= STEP_TRACE_N) {
				snprintf(
				    why, whylen,
				    "mark %d after mark %d: sandbox.c's sequence is not the one "
				    "bench/step_trace.c knows",
				    m, last);
				return -1;
			}
			at[m] = t;
			cpu[m] = cpu_ns(cid);
			last = m;
		} else if (WIFSTOPPED(st)) {
			sig = WSTOPSIG(st); /* a signal: deliver it */
		}
		if (ptrace(PTRACE_CONT, pid, 0, sig) < 0) {
			snprintf(why, whylen, "PTRACE_CONT: %m");
			return -1;
		}
	}
	return 0;
}
