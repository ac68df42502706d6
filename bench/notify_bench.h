/* SPDX-License-Identifier: ISC */
/* notify_bench.h - privsep-bench's transparent open: a child under
 * privsep-run's notifier filter, served in this process (notify_bench.c). */
#ifndef PRIVSEP_NOTIFY_BENCH_H
#define PRIVSEP_NOTIFY_BENCH_H

#include <stdint.h>

struct notify_bench;

/* Fork a child under the filter that sends its path calls here (the one
 * privsep-run loads), with a policy allowing path to be read.  NULL with
 * errno. */
struct notify_bench *notify_bench_start(const char *path);
/* The child opens and closes path per times while this process serves
 * each open (fs_notify_serve); the child's own timing of each, in ns,
 * into t.  0, or -1 with errno. */
int notify_bench_block(struct notify_bench *nb, uint64_t *t, int per);
void notify_bench_stop(struct notify_bench *nb);
/* The listener a child sent on sock (sandbox_listener), or -1.  Also
 * notify-floor's. */
int notify_take_fd(int sock);

#endif
