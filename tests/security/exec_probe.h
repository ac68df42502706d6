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
 * "sendfile", "mmap-exec", "mprotect-exec"), then the
 * mode's parameter (report: the marker, each byte xor 0x55, in hex, or
 * "-"; exec, execveat: a path). */
int probe_main(struct privsep_client *c, void *arg);

/* Whether the marker whose bytes xor 0x55 are hex is in a readable
 * mapping of this process: "yes", "no", "unknown" (no /proc/self). */
const char *probe_marker_scan(const char *hex);

#endif
