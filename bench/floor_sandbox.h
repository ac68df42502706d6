/* SPDX-License-Identifier: ISC */
/*
 * floor_sandbox.h - httpd-floor --sandbox: the floor's broker and workers
 * under the sandbox examples/httpd's helper and workers run under, built
 * by the library's own code (floor_sandbox.c says which calls).
 */
#ifndef PRIVSEP_BENCH_FLOOR_SANDBOX_H
#define PRIVSEP_BENCH_FLOOR_SANDBOX_H

/* The parts: --sandbox is both, --sandbox=landlock and
 * --sandbox=seccomp one alone (what each costs). */
#define FLOOR_SB_LANDLOCK 0x1u
#define FLOOR_SB_SECCOMP 0x2u

/* The parts named by arg (NULL: both); 0 when arg names none. */
unsigned floor_sandbox_parts(const char *arg);

/* Before the workers are forked: httpd's workers' policy for rootdir
 * (its text as httpd builds it) loaded, checked, compiled and verified
 * as a spawn does, with the broker's root opened.  0, or -1 after a
 * line on standard error. */
int floor_sandbox_prepare(unsigned parts, const char *rootdir);

/* In a worker, before its loop: what an httpd worker is under.  0, or
 * -1 after a line on standard error. */
int floor_sandbox_worker(void);

/* In the broker, before its loop: what httpd's confined helper is
 * under.  0, or -1 after a line on standard error. */
int floor_sandbox_broker(void);

#endif
