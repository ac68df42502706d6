/*
 * filter.h - internal: a worker's seccomp rules, compiled with libseccomp
 * in the helper before the fork, loaded by the worker.
 */
#ifndef PRIVSEP_FILTER_H
#define PRIVSEP_FILTER_H

#include <linux/filter.h>
#include <stdint.h>

#include "privsep.h"

/* One comparison on one argument.  is32: the argument is a 32-bit int
 * (fd, flags): compared on its low 32 bits only, whatever the upper bits
 * hold, as the kernel itself reads it. */
struct filter_cmp {
	unsigned arg;
	int op; /* enum scmp_compare */
	uint64_t a, b;
	int is32;
};

#define FILTER_MAX_CMP 4

/* Actions, as the policy names them. */
enum filter_action { FA_ALLOW, FA_ERRNO, FA_KILL, FA_TRAP, FA_LOG };

struct filter_rule {
	const char *syscall;
	enum filter_action action;
	int err; /* FA_ERRNO */
	unsigned ncmp;
	struct filter_cmp cmp[FILTER_MAX_CMP];
	const char *origin; /* where the rule comes from: "builtin:12", "file:line" */
	const char *reason; /* why a non-allow action, or a dangerous allow */
};

struct filter_policy {
	const struct filter_rule *rules;
	size_t nrules;
	const char *name; /* "built-in default policy", a file name */
};

/* The built-in default worker policy: what the framework itself needs in
 * the worker (the channel, memory, threads, time), nothing else. */
const struct filter_policy *filter_builtin(void);

/* A compiled program, ready to load. */
struct filter_prog {
	struct sock_filter *insns;
	unsigned short len;
};

/* Compile p with libseccomp: default action kill-process (trap in debug
 * mode), foreign architectures killed, binary tree.  0, or -1 with errno
 * (EINVAL names an unknown syscall in *bad when bad is not NULL). */
int filter_compile(const struct filter_policy *p, int debug, struct filter_prog *out,
                   const char **bad);
void filter_prog_free(struct filter_prog *prog);

/* Load prog into this process with TSYNC; NO_NEW_PRIVS must be set.
 * 0 or -1 with errno.  Async-signal-safe (one syscall). */
int filter_load(const struct filter_prog *prog);

/* Which rule of p decides syscall nr with args (NULL: any arguments)?
 * Returns the rule or NULL for the default action; *why says in words. */
const struct filter_rule *filter_explain(const struct filter_policy *p, int nr,
                                         const uint64_t *args, char *why, size_t whylen);

#endif
