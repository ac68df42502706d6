/* SPDX-License-Identifier: ISC */
/*
 * selffilter.c - a helper under its own seccomp filter that still starts
 * workers.
 *
 * privsep_helper_confine loads a filter into the helper; every fork
 * inherits it, and a worker's own filter is stacked on it, the kernel
 * taking the stricter action of the two.  So two questions, answered by
 * running the compiled programs in the userspace BPF interpreter:
 *
 *  - does the helper's filter let a spawn through (the calls a spawn
 *    makes, in the helper and in the child before its own filter)?  If
 *    not, the helper is confined for good and starts no worker;
 *  - does a worker's filter still decide, under the helper's?  Over
 *    every call policy_verify tries for either policy, the stacked
 *    action must be the worker's own, except that a call the worker's
 *    filter refuses may kill it at once rather than be named through its
 *    listener, or fail with an errno of the helper's filter (it is refused
 *    either way, not named).  Learn mode lets refused calls
 *    through, which no kill allows: a learning worker never fits.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "filter.h"
#include "helper_int.h"
#include "policy.h"

/* The calls of a spawn, with the arguments sandbox.c and spawn.c pass
 * (measured with strace -f on examples/httpd: SECURITY.md, "The
 * helper").  The ones a helper makes anyway (read, close, ...) are
 * left out: every helper filter allows them. */
struct spawn_call {
	const char *name;
	int nr;
	uint64_t args[6];
};

static const struct spawn_call spawn_calls[] = {
    {"clone", SYS_clone, {0x1200011, 0, 0, 0, 0, 0}}, /* fork: CHILD_CLEARTID|SETTID|SIGCHLD */
    {"socketpair", SYS_socketpair, {1, 0x80005, 0, 0, 0, 0}}, /* AF_UNIX, SEQPACKET|CLOEXEC */
    {"pipe2", SYS_pipe2, {1, 02000000, 0, 0, 0, 0}},          /* O_CLOEXEC */
    {"pidfd_open", SYS_pidfd_open, {1, 0, 0, 0, 0, 0}},
    {"unshare", SYS_unshare, {0x4c020000, 0, 0, 0, 0, 0}}, /* NEWNS|NEWUTS|NEWIPC|NEWNET */
    {"mount", SYS_mount, {0, 0, 0, 0x44000, 0, 0}},        /* MS_REC|MS_PRIVATE */
    {"setsid", SYS_setsid, {0, 0, 0, 0, 0, 0}},
    {"setgroups", SYS_setgroups, {0, 0, 0, 0, 0, 0}},
    {"setresgid", SYS_setresgid, {61184, 61184, 61184, 0, 0, 0}},
    {"setresuid", SYS_setresuid, {61184, 61184, 61184, 0, 0, 0}},
    {"capset", SYS_capset, {1, 2, 0, 0, 0, 0}},
    {"prctl(PR_SET_SECUREBITS)", SYS_prctl, {28, 0, 0, 0, 0, 0}},
    {"prctl(PR_SET_NO_NEW_PRIVS)", SYS_prctl, {38, 1, 0, 0, 0, 0}},
    {"prctl(PR_SET_PDEATHSIG)", SYS_prctl, {1, 9, 0, 0, 0, 0}},
    {"prlimit64", SYS_prlimit64, {0, 7, 1, 0, 0, 0}}, /* set RLIMIT_NOFILE */
    {"close_range", SYS_close_range, {5, 2079, 0, 0, 0, 0}},
    {"dup3", SYS_dup3, {2083, 2080, 02000000, 0, 0, 0}},
    {"landlock_create_ruleset", SYS_landlock_create_ruleset, {1, 24, 0, 0, 0, 0}},
    {"landlock_add_rule", SYS_landlock_add_rule, {5, 1, 1, 0, 0, 0}},
    {"landlock_restrict_self", SYS_landlock_restrict_self, {5, 0, 0, 0, 0, 0}},
    {"seccomp", SYS_seccomp, {1, 0x19, 1, 0, 0, 0}}, /* SET_MODE_FILTER, TSYNC|ESRCH|LISTENER */
    {"execveat", SYS_execveat, {2080, 1, 1, 1, 0x1000, 0}}, /* AT_EMPTY_PATH */
};

static uint32_t run(const struct filter_prog *prog, uint32_t arch, int nr, const uint64_t args[6],
                    int *err)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = arch;
	memcpy(d.args, args, sizeof(d.args));
	return bpf_run(prog, &d, sizeof(d), err);
}

const char *self_filter_refuses_spawn(const struct filter_prog *prog)
{
	for (size_t i = 0; i < sizeof(spawn_calls) / sizeof(spawn_calls[0]); i++) {
		int err = 0;
		uint32_t a =
		    run(prog, seccomp_arch_native(), spawn_calls[i].nr, spawn_calls[i].args, &err);
		if (err || a != SECCOMP_RET_ALLOW)
			return spawn_calls[i].name;
	}
	return NULL;
}

/* The kernel's order of actions: the lower, the stricter (seccomp(2)). */
static int rank(uint32_t a)
{
	switch (a & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		return 0;
	case SECCOMP_RET_KILL_THREAD:
		return 1;
	case SECCOMP_RET_TRAP:
		return 2;
	case SECCOMP_RET_ERRNO:
		return 3;
	case SECCOMP_RET_USER_NOTIF:
		return 4;
	case SECCOMP_RET_TRACE:
		return 5;
	case SECCOMP_RET_LOG:
		return 6;
	default:
		return 7;
	}
}

struct fit {
	const struct filter_prog *helper, *worker;
	int learn;
	char *why;
	size_t whylen;
};

static int fit_one(uint32_t arch, int nr, const uint64_t args[6], void *arg)
{
	struct fit *f = arg;
	int err = 0;
	uint32_t w = run(f->worker, arch, nr, args, &err), h, s;
	if (!err)
		h = run(f->helper, arch, nr, args, &err);
	if (err) {
		snprintf(f->why, f->whylen, "a filter cannot run: %s", strerror(err));
		return -1;
	}
	/* the kernel runs the worker's (newer) filter first and keeps the
	 * first of the strictest actions */
	s = rank(h) < rank(w) ? h : w;
	if (s == w)
		return 0;
	/* refused by the worker's filter, killed or failed with an errno by
	 * the helper's: refused either way (the call never runs) */
	if ((rank(s) <= 1 || rank(s) == 3) && (rank(w) <= 2 || (rank(w) == 4 && !f->learn)))
		return 0;
	char *name = nr >= 0 ? seccomp_syscall_resolve_num_arch(arch, nr) : NULL;
	snprintf(f->why, f->whylen,
	         "the helper's own filter overrides the worker's policy for %s(0x%llx, 0x%llx, "
	         "0x%llx, ...) [nr %d]: the worker's filter returns 0x%08x, the helper's 0x%08x",
	         name ? name : "?", (unsigned long long)args[0], (unsigned long long)args[1],
	         (unsigned long long)args[2], nr, w, h);
	free(name);
	return -1;
}

int self_filter_fits(const struct filter_prog *helper, const struct policy *hpol,
                     const struct policy *pol, const struct filter_prog *worker, int learn,
                     char *why, size_t whylen)
{
	struct fit f = {helper, worker, learn, why, whylen};
	if (learn) {
		snprintf(why, whylen,
		         "learn mode lets through calls the helper's own filter kills; a confined "
		         "helper starts no learning worker");
		errno = EPERM;
		return -1;
	}
	/* the values each policy's rules name: the worker's, and the
	 * helper's (a condition of its own the worker's rules never name) */
	if (policy_probe(pol, fit_one, &f) < 0 || policy_probe(hpol, fit_one, &f) < 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
