/* SPDX-License-Identifier: ISC */
/*
 * client_int.h - internal: what the file broker's calls (fs_client.c)
 * use of client.c beyond the public API, and a worker's start after its
 * sandbox (client_main.c), for a fork-mode worker (helper/spawn.c) too.
 */
#ifndef PRIVSEP_CLIENT_INT_H
#define PRIVSEP_CLIENT_INT_H

#include <stdint.h>

#include "privsep.h"

/* A successful reply's last check before done runs (NULL: none): 0, or
 * the errno done gets instead (the check closes what it refuses). */
typedef int (*client_check_fn)(struct privsep_result *res);

/* privsep_client_call_async with check run on a successful reply. */
int client_call_async(struct privsep_client *c, const struct privsep_out *out,
                      struct privsep_result *res, client_check_fn check, privsep_done_fn done,
                      void *arg, uint32_t *id);

/* client_main.c: a worker's start after its sandbox, either mode: READY
 * on fd when ready (the helper's check), a client on fd (cfg as
 * privsep_client_new takes it), fn, what fn left queued or batched sent
 * (waiting at most 1000 ms), the exit with fn's value.  A READY not
 * answered or a client not made: status 127 and one line on standard
 * error.  Never returns. */
__attribute__((noreturn)) void client_run(int fd, const struct privsep_client_config *cfg,
                                          size_t msg_max, int ready, privsep_main_fn fn, void *arg);

#endif
