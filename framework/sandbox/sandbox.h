/* SPDX-License-Identifier: ISC */
/*
 * sandbox.h - internal: the worker's way into its sandbox.
 *
 * The helper prepares a plan before the fork (names resolved, the filter
 * compiled, the Landlock ABI probed); the child carries it out in a fixed
 * order and aborts at the first step that fails.
 */
#ifndef PRIVSEP_SANDBOX_H
#define PRIVSEP_SANDBOX_H

#include <limits.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "filter.h"
#include "policy.h"
#include "privsep.h"

struct landlock_plan {
	int abi; /* 0: Landlock not available */
	uint64_t fs, net, scoped;
};

/* Exec mode's root: at most this many bind mounts (the loader's paths,
 * libprivsep's directory, the interpreter, the program, read_beneath),
 * and this many bytes of operations to make it. */
#define SB_ROOT_BINDS_MAX 32
#define SB_ROOT_OPS_MAX 16384

/* Exec mode (sandbox_exec.c): the program and what its start needs. */
struct sb_exec {
	int on;
	int fd;       /* the program: the helper's fd, then (step 1 on) fdn */
	int chan;     /* the channel in the helper, then (step 1 on) 3 */
	int fdn;      /* its number from step 1 on: the worker's nofile limit,
	                 which no fd of the new image can ever have */
	size_t nkeep; /* the application's kept fds, moved to 4.. */
	int keep_src[PRIVSEP_SANDBOX_KEEP_MAX];
	char interp[256];      /* the program's ELF interpreter ("": none) */
	char libdir[PATH_MAX]; /* libprivsep's own directory ("": none) */
	char name[64];         /* argv[0] when the spawn gives no argv */
	const char *const *argv, *const *envp;
	const char *const *read;
	size_t nread;
	/* more files the new image may execute (privsep-run's --allow-exec
	 * and their ELF interpreters), by path, opened at step 9 */
	const char *const *exec_more;
	size_t nexec_more;
	/* a root helper's root for the new image (exec_root.c): what step 3
	 * mounts, planned in the helper; root_on 0: none (not root, no
	 * namespaces: the host's root stays) */
	int root_on;
	size_t root_len;
	char root_ops[SB_ROOT_OPS_MAX];
};

struct sb_plan {
	int root; /* started as root: namespaces, ids, capabilities apply */
	unsigned flags;
	uid_t uid;
	gid_t gid;
	int lease; /* the uid's lease (uidpool.h), -1: none (a named user) */
	/* 1: the lease was taken ahead and is checked again by the helper
	 * after the fork (sandbox_uid_confirm), while the child takes steps
	 * 1 to 4; the child waits for the helper's one byte on its channel
	 * before step 5, and nothing runs as the uid without it */
	int uid_again;
	int chan; /* the channel's number in the helper (and fork mode's child) */
	int keep[PRIVSEP_SANDBOX_KEEP_MAX + 4]; /* sorted, incl. 0-2 and the channel */
	size_t nkeep;
	struct rlimit nofile, nproc, core, fsize, as;
	pid_t helper;
	struct landlock_plan ll;
	const struct filter_prog *prog; /* borrowed: the helper's cache */
	/* set by the spawn after sandbox_prepare: fd 1 (pipe_out) and fd 2
	 * (pipe_err) are its pipes to the helper; otherwise /dev/null */
	int pipe_out, pipe_err;
	struct sb_exec exec; /* exec.on 0: fork mode */
	/* prog notifies (POL_MODE_NOTIFY, _LEARN): step 11 loads it with a
	 * listener and hands it to give_listener (the helper's, through the
	 * channel) before anything else runs, then closes its own copy; a
	 * failure of either is step 11's */
	int listen;
	int (*give_listener)(const struct sb_plan *p, int fd);
	/* exec mode, privsep-run: a second filter loaded at step 11 before
	 * the policy's, whose user-notification listener is sent to the
	 * helper over fd PRIVSEP_EXEC_CHAN_FD (then close-on-exec: an exec
	 * that fails says why on it, one that succeeds closes it).  NULL:
	 * none */
	const struct filter_prog *notify;
};

/* Close every fd but keep[0..nkeep), which is sorted. */
int sandbox_close_fds(const int *keep, size_t nkeep);

/* Probe this kernel's Landlock ABI and what it can enforce. */
void landlock_probe(struct landlock_plan *ll);

/* Fill plan from sb (NULL: the defaults) and the policy pol with its
 * compiled prog (borrowed), in the helper, before the fork.  With no user
 * named, a root helper leases the worker its own uid (plan->lease: the
 * caller releases it, sandbox_release, or hands it on).  -1 with errno
 * and a one-line reason in why, and nothing leased. */
int sandbox_prepare(struct sb_plan *plan, const struct privsep_sandbox *sb,
                    const struct policy *pol, const struct filter_prog *prog, int chan, char *why,
                    size_t whylen);

/* sandbox_prepare for privsep_spawn: a uid leased ahead is not checked
 * again here but after the fork, by sandbox_uid_confirm, while the child
 * takes its first steps (plan->uid_again); exec 1: the worker will be
 * executed (sandbox_exec_prepare), so the helper's own address space,
 * which only a forked worker starts with, is not measured against the
 * worker's RLIMIT_AS. */
int sandbox_prepare_spawn(struct sb_plan *plan, const struct privsep_sandbox *sb,
                          const struct policy *pol, const struct filter_prog *prog, int chan,
                          int exec, char *why, size_t whylen);
/* In the helper, after the fork, with plan->uid_again: check the uid
 * again (uidpool_check) and, when it is still free, send the child its
 * one byte on the channel (peer: the helper's end), which step 5 waits
 * for.  0 (also with nothing to confirm, and when the child is gone
 * already: a step before 5 failed, and its report follows on the
 * channel), or -1 with errno and why: the
 * child must then be killed, and it never ran as the uid (EEXIST: the
 * uid is taken since; a spawn again leases another with a scan). */
int sandbox_uid_confirm(const struct sb_plan *plan, int peer, char *why, size_t whylen);

/* In the child, after a step before 5 failed and was reported on chan:
 * wait for the helper's byte (or its kill, or its end) before exiting.
 * A byte left unread in the child's socket when it exits resets the
 * connection, and the helper's recvmmsg then returns ECONNRESET before
 * the report that waits in its queue: the step's line would be lost. */
void sandbox_uid_settle(const struct sb_plan *p, int step, int chan);

/* Close plan's uid lease, if any (the worker never started, or was
 * reaped). */
void sandbox_release(struct sb_plan *plan);

/* In the child: every step in order, one after the other, with nothing
 * to stop or time them on the way (the tests look at the result from
 * outside, the benchmark traces the steps' syscalls: bench/README.md).
 * 0, or the failed step with errno set and why filled. */
int sandbox_enter(const struct sb_plan *plan, char *why, size_t whylen);

/* Exec mode, in the helper after sandbox_prepare: fill plan->exec from
 * ex and the channel's number, and the kept fds as they will be numbered
 * in the new image (3, 4.., fdn).  -1 with errno and why. */
int sandbox_exec_prepare(struct sb_plan *plan, const struct privsep_exec *ex,
                         const struct privsep_sandbox *sb, const char *name, int chan, char *why,
                         size_t whylen);
/* The ELF interpreter named by the program at fd (PT_INTERP) into buf
 * ("": none).  -1 with errno ENOEXEC when fd is not an ELF file of this
 * machine's class. */
int sandbox_elf_interp(int fd, char *buf, size_t len);
/* In the helper, for a root helper with namespaces (sandbox_exec_prepare
 * calls it): plan exec mode's root, the loader's paths (lp, nlp: what
 * the first Landlock layer lets it read), libprivsep's directory, the
 * interpreter, the program and read_beneath bind-mounted read-only into
 * an empty tmpfs (exec_root.c), into plan->exec.  -1 with errno and
 * why. */
int sandbox_exec_root_plan(struct sb_plan *plan, const char *const *lp, size_t nlp, char *why,
                           size_t whylen);
/* In the child, step 3 of exec mode with a planned root: build it, its
 * own /proc in it, pivot_root into it, the old root detached, the root
 * read-only.  -1 with errno. */
int sandbox_exec_root_enter(const struct sb_plan *p);
/* In the child, step 1 of exec mode: the channel to fd 3, the kept fds
 * to 4.., the program to fdn (close-on-exec).  -1 with errno. */
int sandbox_exec_fds(const struct sb_plan *p);
/* Step 9 of exec mode: the rules of the first Landlock layer (read the
 * libraries, execute the program and its interpreter) into ruleset. */
int sandbox_exec_rules(int ruleset, const struct sb_plan *p);
/* Step 11 with plan->notify: load prog with a new listener and send the
 * listener over sock (SCM_RIGHTS), sock then close-on-exec
 * (sandbox_notify.c).  0 or -1 with errno. */
int sandbox_listener(const struct filter_prog *prog, int sock);
/* The exec itself (after step 11); returns only on failure, errno set. */
int sandbox_exec_run(const struct sb_plan *p);
/* In the new image, before READY: dumpable off, a second Landlock layer
 * with no rule, the self-check, the second filter.  0, or -1 with errno
 * and why. */
int sandbox_narrow(char *why, size_t whylen);
/* The second filter's rules (narrow_rules.h), and their program as
 * libseccomp compiled them at build time (narrow_gen.c), which the new
 * image loads; a test checks the program is the rules' compile and runs
 * it. */
struct filter_policy;
const struct filter_policy *sandbox_narrow_policy(void);
const struct filter_prog *sandbox_narrow_prog(void);
/* Restrict this process with ll's handled rights and, when rules is not
 * NULL, the rules it adds to the ruleset.  0 or -1 with errno. */
int landlock_restrict(const struct landlock_plan *ll, int (*rules)(int, const struct sb_plan *),
                      const struct sb_plan *p);

/* One line describing what Landlock enforces under plan. */
void landlock_describe(const struct landlock_plan *ll, char *buf, size_t len);

#endif
