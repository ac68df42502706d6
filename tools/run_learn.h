/* SPDX-License-Identifier: ISC */
/* run_learn.h - privsep-run --learn (run_learn.c). */
#ifndef PRIVSEP_RUN_LEARN_H
#define PRIVSEP_RUN_LEARN_H

#include <stddef.h>
#include <stdint.h>

#include "fs_notify.h"
#include "policy.h"

struct run_learn;

/* A record of what the program needs beyond base (the policy given). */
struct run_learn *run_learn_new(const struct policy *base);
void run_learn_free(struct run_learn *l);
/* The calls base does not allow whatever their arguments (the learn run
 * sends them to the helper too), into out; their number. */
size_t run_learn_calls(const struct policy *base, int *out, size_t max);
/* struct fs_notify's other: note a call base would kill. */
void run_learn_call(void *arg, int nr, const uint64_t *args);
/* Note a path call served, when base's rules do not allow it. */
void run_learn_file(struct run_learn *l, const struct fs_notify_event *ev);
/* Write the proposal to file.  0 or -1 with errno. */
int run_learn_write(struct run_learn *l, const char *file, char *const *argv);

#endif
