/* SPDX-License-Identifier: ISC */
/*
 * policy.h - internal: a worker's policy file, parsed, checked, compiled.
 *
 * The language is docs/POLICY.md (and privsep.policy(5)).  A policy holds
 * the seccomp rules, the default actions, and the worker's other limits
 * (user, rlimits, namespaces, the file broker's rules).
 */
#ifndef PRIVSEP_POLICY_H
#define PRIVSEP_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "filter.h"

#define POL_MAX_COND 4
#define POL_MAX_SET 32
#define POL_MAX_INCLUDE_DEPTH 8

enum pol_op { P_EQ, P_NE, P_LT, P_LE, P_GT, P_GE, P_IN, P_ANY, P_NONE, P_WITHIN };

struct pol_cond {
	unsigned arg; /* 0..5 */
	int is32;     /* the argument is an int: compared on its low 32 bits */
	enum pol_op op;
	uint64_t val;              /* or mask */
	uint64_t set[POL_MAX_SET]; /* P_IN */
	unsigned nset;
	int col;
};

/* Where a rule or directive was written. */
struct pol_loc {
	const char *file; /* owned by the policy's file list */
	int line, col;
};

struct pol_rule {
	char syscall[32];
	int nr; /* for this architecture; -1 unknown name */
	enum filter_action act;
	int err; /* FA_ERRNO */
	struct pol_cond cond[POL_MAX_COND];
	unsigned ncond;
	struct pol_loc loc;
	char reason[256]; /* "" when none */
	char group[32];   /* the group it came from, "" if none */
};

/* File broker rights (issue: file broker). */
#define POL_R_READ 0x01u
#define POL_R_WRITE 0x02u
#define POL_R_APPEND 0x04u
#define POL_R_CREATE 0x08u
#define POL_R_TRUNCATE 0x10u
#define POL_R_STAT 0x20u
#define POL_R_READLINK 0x40u
/* r's rights as "read,write,..." (the policy's spelling, in bit order)
 * into buf, cut at len; buf (policy_path.c). */
const char *pol_rights_text(unsigned r, char *buf, size_t len);

struct pol_file {
	int beneath; /* a directory and everything beneath it */
	char path[4096];
	unsigned rights;
	unsigned mode; /* for created files */
	int symlinks;  /* symlinks allowed inside the root */
	int special;   /* FIFOs, sockets, devices allowed */
	int directory; /* directories may be opened (an fd, not only a stat) */
	unsigned fs;   /* pseudo filesystems allowed (fs NAME): pol_pseudofs_bit */
	struct pol_loc loc;
};

/* Pseudo filesystems (pseudofs.c): views of the kernel's or a process's
 * state, refused by the broker unless a rule names them with fs NAME. */
#define POL_FS_COUNT 22
/* The bit of a pseudo filesystem's name; 0 if name is not one. */
unsigned pol_pseudofs_bit(const char *name);
/* The bit (and *name) of statfs's f_type; 0 for any other filesystem. */
unsigned pol_pseudofs_of(unsigned long f_type, const char **name);
/* The name of pseudo filesystem i (0..POL_FS_COUNT-1), else NULL. */
const char *pol_pseudofs_name(unsigned i);

#define POL_RL_NOFILE 0
#define POL_RL_NPROC 1
#define POL_RL_FSIZE 2
#define POL_RL_AS 3
#define POL_RL_COUNT 4

struct policy {
	struct pol_rule *rules;
	size_t nrules, caprules;
	enum filter_action def_act;
	int def_err;
	struct pol_loc def_loc;
	int have_unknown;
	enum filter_action unknown_act;
	int unknown_err;
	struct pol_loc unknown_loc;
	char user[64]; /* "" unset */
	int have_rlimit[POL_RL_COUNT];
	unsigned long rlimit[POL_RL_COUNT]; /* ~0ul: unlimited */
	int namespaces;                     /* -1 unset, 0 off, 1 on */
	struct pol_file *files;
	size_t nfiles, capfiles;
	char **names; /* every file read, for locations */
	size_t nnames;
	char name[256]; /* the top file */
};

/* A message about a policy: "file:line:col: text". */
typedef void (*pol_diag_fn)(const char *msg, void *arg);

/* Parse path (or, with text not NULL, text under the name path), with
 * its includes.  Every error goes to diag, one line each.  Returns the
 * policy, or NULL when anything was wrong (errors reported). */
struct policy *policy_load(const char *path, const char *text, pol_diag_fn diag, void *arg);
void policy_free(struct policy *p);

/* The shipped policies, built into the library: NULL if name is not one. */
const char *policy_shipped(const char *name);
/* Names of the shipped policies, NULL-terminated. */
extern const char *const policy_shipped_names[];

/* Lint: unknown names, rules that cannot take effect, duplicates, missing
 * reasons, a permissive default, rules libseccomp cannot order, rules
 * that let a worker connect a socket it holds (policy_net.c).  Each
 * finding goes to diag; returns their number. */
int policy_check(const struct policy *p, pol_diag_fn diag, void *arg);

/* An append-only grant (append without write): narrow the rules that
 * allow fcntl F_SETFL by its cmd to F_SETFL with O_APPEND set (at load,
 * so that every view of the policy sees it); 0, or -1 out of memory. */
int policy_append_narrow(struct policy *p);
/* Findings for a policy with an append-only grant that still lets the
 * worker rewrite existing bytes (policy_append.c lists the calls). */
int policy_append_check(const struct policy *p, pol_diag_fn diag, void *arg);

/* What the policy means for one call: the action as a seccomp return
 * value, and the rule that decides it (NULL: a default). */
uint32_t policy_eval(const struct policy *p, int debug, uint32_t arch, int nr,
                     const uint64_t args[6], const struct pol_rule **rule);

/* Whether (arch, nr) is refused by the filter's architecture check,
 * whatever the policy: another architecture, or on x86_64 a number
 * libseccomp's check sends there (>= 0x40000000 unsigned, but -1: x32's
 * and the negative ones). */
int policy_foreign(uint32_t arch, int nr);

/* How a policy's kills are compiled (the int debug of policy_eval,
 * policy_compile, policy_verify and policy_explain):
 *  ENFORCE  kill-process;
 *  DEBUG    the default's kill traps (the worker's SIGSYS handler reports);
 *  NOTIFY   every kill is a seccomp user notification: the helper names
 *           the call and its arguments and kills the worker;
 *  LEARN    compiled as NOTIFY; the helper records the call and lets it
 *           through (not a security boundary). */
#define POL_MODE_ENFORCE 0
#define POL_MODE_DEBUG 1
#define POL_MODE_NOTIFY 2
#define POL_MODE_LEARN 3

/* Highest syscall number the "unknown" directive covers. */
#define POL_UNKNOWN_MAX 511

/* In words, which rule of p decides syscall nr with args (NULL: not
 * known), or that the default does and why. */
void policy_explain(const struct policy *p, int debug, int nr, const uint64_t *args, char *buf,
                    size_t len);

/* How many of p's rules are for syscall nr; with start_allows 0, not
 * counting exec mode's start rules that allow (which an allow of every
 * call of nr in the worker's policy makes redundant, check says nothing
 * of them: what learn mode may propose). */
size_t policy_rules_for(const struct policy *p, int nr, int start_allows);

/* Whether condition c holds for argument value v. */
int policy_cond_holds(const struct pol_cond *c, uint64_t v);

/* The compiled form: libseccomp's BPF. */
int policy_compile(const struct policy *p, struct filter_prog *out, int debug, pol_diag_fn diag,
                   void *arg);

/* libseccomp's pseudo filter code of the compiled policy, to fd. */
int policy_export_pfc(const struct policy *p, int debug, int fd, pol_diag_fn diag, void *arg);

/* Run prog in a userspace BPF interpreter over every syscall number and a
 * grid of argument values, and compare with policy_eval.  Mismatches go to
 * diag with the witness call; returns their number (0: verified), or -1
 * if the program could not be run. */
int policy_verify(const struct policy *p, const struct filter_prog *prog, int debug,
                  pol_diag_fn diag, void *arg, unsigned long *ncalls);

/* The calls policy_verify tries: every syscall number with plain and
 * junk arguments, foreign architectures, and each rule of p (NULL: none)
 * satisfied, then each condition's boundary values.  fn is called with
 * each; a negative return stops the walk (-1).  0 when every call was
 * tried. */
typedef int (*policy_probe_fn)(uint32_t arch, int nr, const uint64_t args[6], void *arg);
int policy_probe(const struct policy *p, policy_probe_fn fn, void *arg);

/* The classic-BPF interpreter, for seccomp programs: the return value. */
uint32_t bpf_run(const struct filter_prog *prog, const void *data, size_t len, int *err);

/* ---- tables (policy_tables.c) ---- */

/* The argument called name of syscall (or "arg0".."arg5"): its index and
 * whether it is an int; -1 if unknown. */
int pol_arg(const char *syscall, const char *name, int *is32);
/* Whether argument i of syscall is an int (32-bit). */
int pol_arg_is32(const char *syscall, unsigned i);
/* The names of syscall's arguments, for messages ("fd, cmd, arg"). */
const char *pol_arg_names(const char *syscall);
/* A named constant (O_RDONLY, AT_FDCWD, ...): 0 and *v, or -1. */
int pol_const(const char *name, int64_t *v);
/* An errno name (EPERM): its value, or -1. */
int pol_errno(const char *name);
/* Syscalls whose allow needs a reason. */
int pol_dangerous(const char *syscall);

/* ---- policy_net.c ---- */

/* Whether rule r lets a worker make a connection through a socket it
 * holds (connect; a send that may carry MSG_FASTOPEN; shutdown other than
 * SHUT_WR; setsockopt that may set TCP_FASTOPEN_CONNECT): 1 and the
 * finding's text in msg, or 0.  No reason excuses it. */
int pol_net_finding(const struct pol_rule *r, char *msg, size_t len);
/* In a learned proposal (privsep-policy learn, privsep-run --learn), the
 * errno action a call gets instead of allow when check reports an allow
 * of it whatever its conditions: "EACCES" for connect (a program that
 * looks for a service, as glibc for nscd, goes on without it), "ENOSYS"
 * for io_uring's calls (a program falls back to plain ones); NULL: none,
 * allow it (with the conditions pol_net_finding asks). */
const char *pol_net_learned_errno(const char *syscall);

#endif
