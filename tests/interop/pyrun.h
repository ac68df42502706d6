/* SPDX-License-Identifier: ISC */
/* Running a Python worker of tests/interop under a C helper. */
#ifndef PRIVSEP_TEST_PYRUN_H
#define PRIVSEP_TEST_PYRUN_H

#include <stddef.h>

#include "harness.h"

/* The test's captured log, on standard error. */
void py_dump(const struct hx *x);
/* A helper over table executes INTEROP_DIR/script as a foreign worker in
 * exec mode, argv "mode INTEROP_DIR/arg", under python.policy or under
 * policy_text when it is not NULL, and is pumped until the worker is
 * gone (the helper's record of it in x->last_exit).  Skips the test
 * where there is no Python 3 program. */
struct hx *py_run(const struct privsep_handler *table, size_t n, const char *script,
                  const char *mode, const char *arg, const char *policy_text);

#endif
