/* SPDX-License-Identifier: ISC */
/*
 * mm_slots.h - a raw receiver's slots for recvmmsg(2): a record's buffer
 * and room for its fds each (bench.c's and oneway_floor.c's receivers).
 */
#ifndef PRIVSEP_BENCH_MM_SLOTS_H
#define PRIVSEP_BENCH_MM_SLOTS_H

#include <stddef.h>
#include <sys/socket.h>

#include "chan.h"

/* One slot's control buffer, aligned for its cmsghdr. */
union mm_ctl {
	struct cmsghdr a;
	char b[CHAN_CTL_SPACE];
};

/* Points mm[i] (through iov[i]) at the size bytes at buf + i * size and
 * at ctl[i], for i below n: what one recvmmsg fills, to be done again
 * before each call (the kernel writes the lengths over). */
void mm_slots_arm(struct mmsghdr *mm, struct iovec *iov, union mm_ctl *ctl, char *buf, size_t size,
                  unsigned n);

#endif
