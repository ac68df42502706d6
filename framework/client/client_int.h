/* SPDX-License-Identifier: ISC */
/*
 * client_int.h - internal: what the file broker's calls (fs_client.c)
 * use of client.c beyond the public API.
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

#endif
