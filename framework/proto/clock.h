/* SPDX-License-Identifier: ISC */
/*
 * clock.h - internal: the monotonic clock in milliseconds, for deadlines
 * on both ends.
 */
#ifndef PRIVSEP_CLOCK_H
#define PRIVSEP_CLOCK_H

#include <stdint.h>
#include <time.h>

static inline int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
