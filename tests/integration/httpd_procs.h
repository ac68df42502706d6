/* SPDX-License-Identifier: ISC */
/*
 * httpd_procs.h - a running helper's processes as /proc shows them, and
 * what it says over sd_notify, for the tests that run examples/httpd as
 * a program (httpd-attacks, httpd-operated).
 */
#ifndef PRIVSEP_TEST_HTTPD_PROCS_H
#define PRIVSEP_TEST_HTTPD_PROCS_H

#include <sys/types.h>
#include <time.h>

/* 1 when pid is the helper's other child, the spawner
 * (framework/helper/spawner.c): not a worker. */
int proc_is_spawner(long pid);
/* The worker's pids: the helper's children but the spawner, at most max
 * in out.  How many (0 when /proc cannot say). */
int proc_workers(pid_t helper, pid_t *out, int max);

/* Milliseconds since t0 (CLOCK_MONOTONIC). */
long ms_since(const struct timespec *t0);
/* Wait up to ms for a datagram on fd (the NOTIFY_SOCKET the test bound)
 * containing want (and, if also is not NULL, that too); 0 when it came.
 * OPS_VERBOSE in the environment: each datagram on stderr. */
int notify_wait(int fd, const char *want, const char *also, int ms);

#endif
