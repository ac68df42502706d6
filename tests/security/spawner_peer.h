/* SPDX-License-Identifier: ISC */
/*
 * spawner_peer.h - the tests' side of a confined helper's spawner socket,
 * for the tests that write their own requests on it, as a compromised
 * helper would (test_spawner_attack.c, test_spawner_known.c,
 * test_spawner_include.c, test_spawner_end.c).
 */
#ifndef PRIVSEP_TESTS_SPAWNER_PEER_H
#define PRIVSEP_TESTS_SPAWNER_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "privsep.h"

/* The helper's table for exec_worker's "report" mode (its one call,
 * answered with nothing), and that worker's argv: the worker each of
 * these tests spawns. */
extern const struct privsep_handler spawner_peer_table[1];
extern const char *spawner_peer_argv_report[5];

struct hx;
/* A helper in this process with spawner_peer_table, and *ex the executed
 * EXEC_WORKER with spawner_peer_argv_report (ex->fd: the caller closes
 * it).  The test is skipped under valgrind (no seccomp there). */
struct hx *spawner_peer_helper(struct privsep_exec *ex);

/* h's spawner started (spawner_start), its standard error a memfd:
 * that memfd, for spawner_peer_lines_with. */
struct privsep_helper;
int spawner_peer_start(struct privsep_helper *h);

/* The spawner's answer on sock, waited for up to 20 s: its err and the
 * pid it started (0: none).  The fds the answer carries go to keep[]
 * (at most maxkeep, *nkeep of them), or are closed when keep is NULL.
 * 0, or -1: no answer (the spawner exited, or nothing came in time) or
 * not an answer. */
int spawner_peer_answer(int sock, uint32_t *err, pid_t *pid, int *keep, size_t maxkeep,
                        size_t *nkeep);

/* The helper's word that it holds the pidfd of pid's answer (GOT), as
 * the helper sends it. */
void spawner_peer_got(int sock, pid_t pid);

/* An END naming pid, as the helper sends it, and the spawner's ENDED
 * answer: its err; 0, or -1 (none within 20 s, or not an ENDED record
 * for pid). */
int spawner_peer_end(int sock, pid_t pid, uint32_t *err);

/* How many times the spawner's standard error (the file fd) holds s. */
int spawner_peer_lines_with(int fd, const char *s);

#endif
