/* SPDX-License-Identifier: ISC */
/* Running a Python worker of tests/interop under a C helper. */
#ifndef PRIVSEP_TEST_PYRUN_H
#define PRIVSEP_TEST_PYRUN_H

#include <stddef.h>

#include "harness.h"

/* The test's captured log, on standard error. */
void py_dump(const struct hx *x);
/* A helper over table (its record limit msg_max, 0 for the default)
 * executes INTEROP_DIR/script as a foreign worker in
 * exec mode, argv "mode INTEROP_DIR/arg", under python.policy or under
 * policy_text when it is not NULL, and is pumped until the worker is
 * gone (the helper's record of it in x->last_exit).  Skips the test
 * where there is no Python 3 program. */
struct hx *py_run(const struct privsep_handler *table, size_t n, size_t msg_max, const char *script,
                  const char *mode, const char *arg, const char *policy_text);

/* The worker exited with status, the log dumped first when it did not. */
void py_assert_exited(const struct hx *x, int status);
/* Section 8: the worker ended by the violation v, killed, and one log
 * line of a protocol violation, which names v (": protocol violation
 * NAME:"), contains line (unless it is NULL) and ends "; worker
 * killed"; the log dumped first when one of them does not hold. */
void py_assert_killed(const struct hx *x, enum privsep_violation v, const char *line);

#endif
