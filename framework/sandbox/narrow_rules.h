/* SPDX-License-Identifier: ISC */
/*
 * narrow_rules.h - internal: exec mode's second filter as rules for
 * libseccomp, the one source of its program.  narrow_gen.c compiles them
 * at build time into narrow_bpf.h, which the new image loads
 * (sandbox_narrow); sandbox_narrow_policy() gives them to the tests,
 * which check that program is libseccomp's compile of these rules.
 */
#ifndef PRIVSEP_NARROW_RULES_H
#define PRIVSEP_NARROW_RULES_H

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "filter.h"

/* The second filter, for libseccomp (filter.c): whatever the first
 * allows, never again an exec, an open or an executable mapping (the
 * process killed), nor a stat by path (EACCES: the loader's; Landlock
 * does not bound a stat; fstat, with AT_EMPTY_PATH, as the policy says);
 * every other architecture, and x32, killed (filter.c's BADARCH).  prot
 * and flags are ints to the kernel: masked compares, which look at the
 * low word only whatever the high one holds (ARCHITECTURE.md's
 * libseccomp traps). */
#define NARROW_KILL(nr)                                                                            \
	{                                                                                          \
		(nr), SCMP_ACT_KILL_PROCESS, 0,                                                    \
		{                                                                                  \
			{                                                                          \
				0, 0, 0, 0                                                         \
			}                                                                          \
		}                                                                                  \
	}
#define NARROW_NOEXEC(nr)                                                                          \
	{                                                                                          \
		(nr), SCMP_ACT_KILL_PROCESS, 1,                                                    \
		{                                                                                  \
			{                                                                          \
				2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC                        \
			}                                                                          \
		}                                                                                  \
	}
static const struct filter_rule narrow_rules[] = {
#ifdef __NR_open
    NARROW_KILL(__NR_open),
#endif
#ifdef __NR_creat
    NARROW_KILL(__NR_creat),
#endif
    NARROW_KILL(__NR_openat),
    NARROW_KILL(__NR_openat2),
    NARROW_KILL(__NR_execve),
    NARROW_KILL(__NR_execveat),
    NARROW_NOEXEC(__NR_mmap),
    NARROW_NOEXEC(__NR_mprotect),
    NARROW_NOEXEC(__NR_pkey_mprotect),
    {__NR_newfstatat, SCMP_ACT_ERRNO(EACCES), 1, {{3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0}}},
};

static const struct filter_policy narrow_policy = {
    narrow_rules, sizeof(narrow_rules) / sizeof(narrow_rules[0]), SCMP_ACT_ALLOW};

#endif
