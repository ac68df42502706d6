/* SPDX-License-Identifier: ISC */
/*
 * filter.h - internal: seccomp rules as libseccomp takes them, compiled
 * to BPF in the helper before the fork and loaded by the worker.
 */
#ifndef PRIVSEP_FILTER_H
#define PRIVSEP_FILTER_H

#include <linux/filter.h>
#include <stddef.h>
#include <stdint.h>

#include "privsep.h"

/* Actions, as a policy names them. */
enum filter_action { FA_ALLOW, FA_ERRNO, FA_KILL, FA_TRAP, FA_LOG };

/* One libseccomp comparison (enum scmp_compare, datum a, datum b). */
struct filter_cmp {
	unsigned arg;
	int op;
	uint64_t a, b;
};

#define FILTER_MAX_CMP 4

/* One libseccomp rule: all comparisons hold. */
struct filter_rule {
	int nr;          /* syscall number for this architecture */
	uint32_t action; /* a seccomp return value (SCMP_ACT_*) */
	unsigned ncmp;
	struct filter_cmp cmp[FILTER_MAX_CMP];
};

struct filter_policy {
	const struct filter_rule *rules;
	size_t nrules;
	uint32_t def_action;
	/* A call of another architecture, or an x32 number (libseccomp's
	 * bad-arch action): SCMP_ACT_KILL_PROCESS, or SCMP_ACT_NOTIFY for a
	 * filter loaded with a listener, which names it (0 is taken as
	 * KILL_PROCESS: a kill of the thread alone is never wanted here). */
	uint32_t badarch_action;
};

/* A compiled program, ready to load. */
struct filter_prog {
	struct sock_filter *insns;
	unsigned short len;
};

/* Compile p with libseccomp: foreign architectures and x32 numbers to
 * p->badarch_action, binary tree, deterministic.  0, or -1 with errno
 * (*bad, when not NULL, is the rule libseccomp refused). */
int filter_compile(const struct filter_policy *p, struct filter_prog *out, size_t *bad);
void filter_prog_free(struct filter_prog *prog);
/* Load prog into this process with no flag (no TSYNC: one thread; no
 * listener), NO_NEW_PRIVS already set: exec mode's second filter, which
 * libseccomp compiled at build time.  0 or -1 with errno. */
int filter_load_plain(const struct filter_prog *prog);
/* libseccomp's pseudo filter code for p, written to fd. */
int filter_export_pfc(const struct filter_policy *p, int fd);

/* Whether the kernel's seccomp action cache (Linux 5.11+) will allow
 * syscall nr of arch without running prog: the kernel emulates each
 * program once, knowing only arch and nr, when it is loaded; a path that
 * loads an argument or the instruction pointer, or uses any instruction
 * other than a load of nr/arch, AND, JA, JEQ/JGE/JGT/JSET with a constant
 * and RET with a constant, is not decided there, and every such call
 * then runs the whole program.  1 or 0, following the kernel's rules. */
int filter_cache_allows(const struct filter_prog *prog, uint32_t arch, int nr);

/* Load prog into this process with TSYNC; NO_NEW_PRIVS must be set.
 * 0 or -1 with errno.  Async-signal-safe (one syscall). */
int filter_load(const struct filter_prog *prog);
/* The same, with a seccomp user notification listener for prog's
 * SECCOMP_RET_USER_NOTIF (TSYNC, TSYNC_ESRCH, NEW_LISTENER: Linux 5.7):
 * the listener fd (close-on-exec), or -1 with errno.  No earlier filter
 * of this process may have one.  Async-signal-safe. */
int filter_load_listener(const struct filter_prog *prog);

/* A listener's receive and answer buffers, sized by the running kernel
 * (SECCOMP_GET_NOTIF_SIZES, as seccomp_unotify(2) says: a newer kernel's
 * structures may be larger, and it writes its own size): the larger of
 * its size and this build's, zeroed.  The helper's (unotify.c) and
 * privsep-run's (fs_notify.c). */
struct seccomp_notif;
struct seccomp_notif_resp;
struct filter_notif_bufs {
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	size_t req_size, resp_size;
};
/* 0, or -1 with errno (b then holds nothing). */
int filter_notif_bufs_new(struct filter_notif_bufs *b);
void filter_notif_bufs_free(struct filter_notif_bufs *b);

#endif
