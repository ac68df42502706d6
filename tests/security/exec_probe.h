/* SPDX-License-Identifier: ISC */
/*
 * exec_probe.h - the worker of test_exec: what a worker finds in its own
 * process (canary, a libc address, environment, open fds, a marker in
 * its memory) reported to the helper with one call, or an exec tried.
 */
#ifndef EXEC_PROBE_H
#define EXEC_PROBE_H

#include "privsep.h"

#define PROBE_T_REPORT 0x10000u
#define PROBE_REPORT_MAX 3000u

/* arg: a NULL-ended list: mode ("report", "exec", "execveat",
 * "execveat-other", "sendfile", "mmap-exec", "mprotect-exec", "int80", "x32"), then the
 * mode's parameter (report: the marker, each byte xor 0x55, in hex, or
 * "-"; exec, execveat: a path). */
/* Review 7's modes: "own-filter" (a filter of its own that makes
 * sendfile fail with EPERM, then sendfile; parameter unused),
 * "readlink-path" and "stat-path" (readlink, or newfstatat with
 * AT_EMPTY_PATH, of the path given).  Session 11's "told-sendfile": a
 * report "told\n" first, then, once it is answered, sendfile. */
int probe_main(struct privsep_client *c, void *arg);

/* A call of another architecture: exit_group(0x2a, 0x1111, 0x2222,
 * 0x3333, 0x4444) of i386 through int 0x80 (PROBE_INT80), or of x32
 * (PROBE_X32: x86_64's number with the 0x40000000 bit).  Returns only if
 * it did not run (or ran and failed): what it returned. */
#define PROBE_INT80 1
#define PROBE_X32 2
long probe_foreign_exit(int how);

/* One of libseccomp's probes of the kernel, which nothing in a worker
 * needs (SECURITY.md, step 11): shape "strict-flag" is
 * seccomp(SECCOMP_SET_MODE_STRICT, 1, NULL), "filter-null" is
 * seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, NULL),
 * "action-avail" is seccomp(SECCOMP_GET_ACTION_AVAIL, 0, &SECCOMP_RET_LOG),
 * "notif-sizes" is seccomp(SECCOMP_GET_NOTIF_SIZES, 0, &sizes).  Writes
 * "seccomp-SHAPE=R/ERRNO\n" into out (if it returns: the call was not
 * killed); R is -2 for an unknown shape. */
const char *probe_seccomp(const char *shape, char *out, size_t len);

/* Whether the marker whose bytes xor 0x55 are hex is in a readable
 * mapping of this process: "yes", "no", "unknown" (no /proc/self). */
const char *probe_marker_scan(const char *hex);

#endif
