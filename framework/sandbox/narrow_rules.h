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
 * allows, never again an exec, an open or an executable mapping, nor a
 * stat by path (EACCES: the loader's; Landlock does not bound a stat;
 * fstat, with AT_EMPTY_PATH, as the policy says).  Such a call fails
 * with ENOSYS and never runs: SECCOMP_RET_TRACE with no tracer (nothing
 * can trace the worker: it is not dumpable and no policy allows
 * ptrace).  Not a kill: this filter has no listener (the kernel allows
 * one per chain, the first filter's), so a kill here would be unnamed.
 * TRACE is the one refusal the kernel ranks below the first filter's
 * notification: a call the policy denies (execve, an openat to write,
 * an int 0x80, an x32 number: the architecture check's action is TRACE
 * too) is still named by the helper and kills; only what the first
 * filter allowed for the start (the loader's opens and executable
 * mappings, the one execveat of fd N) fails here.  So does a filter
 * more (the first filter's one seccomp rule is this filter's load): the
 * kernel runs the action that ranks first, and a worker's own filter
 * returning ERRNO or TRAP would rank above the first filter's
 * notification, turning the policy's kills into errors only it sees.
 * And the loader's readlink (Landlock does not bound it, and exec mode
 * has no empty root: any symlink of the host, by path).
 * prot and flags are ints to the kernel: masked compares, which look at
 * the low word only whatever the high one holds (ARCHITECTURE.md's
 * libseccomp traps). */
#define NARROW_FAIL(nr)                                                                            \
	{                                                                                          \
		(nr), SCMP_ACT_TRACE(0), 0,                                                        \
		{                                                                                  \
			{                                                                          \
				0, 0, 0, 0                                                         \
			}                                                                          \
		}                                                                                  \
	}
#define NARROW_NOEXEC(nr)                                                                          \
	{                                                                                          \
		(nr), SCMP_ACT_TRACE(0), 1,                                                        \
		{                                                                                  \
			{                                                                          \
				2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC                        \
			}                                                                          \
		}                                                                                  \
	}
static const struct filter_rule narrow_rules[] = {
#ifdef __NR_open
    NARROW_FAIL(__NR_open),
#endif
#ifdef __NR_creat
    NARROW_FAIL(__NR_creat),
#endif
    NARROW_FAIL(__NR_openat),
    NARROW_FAIL(__NR_openat2),
    NARROW_FAIL(__NR_execve),
    NARROW_FAIL(__NR_execveat),
    NARROW_FAIL(__NR_seccomp),
    NARROW_FAIL(__NR_readlink),
    NARROW_NOEXEC(__NR_mmap),
    NARROW_NOEXEC(__NR_mprotect),
    NARROW_NOEXEC(__NR_pkey_mprotect),
    {__NR_newfstatat, SCMP_ACT_ERRNO(EACCES), 1, {{3, SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH, 0}}},
};

static const struct filter_policy narrow_policy = {narrow_rules,
                                                   sizeof(narrow_rules) / sizeof(narrow_rules[0]),
                                                   SCMP_ACT_ALLOW, SCMP_ACT_TRACE(0)};

#endif
