/* SPDX-License-Identifier: ISC */
/*
 * sink_post.h - a helper's handler that only counts the posts it serves
 * (the one-way sinks of bench.c and oneway_floor.c).
 */
#ifndef PRIVSEP_BENCH_SINK_POST_H
#define PRIVSEP_BENCH_SINK_POST_H

#include "privsep.h"

/* The posts count_post served in this process. */
extern long sink_count;
int count_post(struct privsep_req *req, void *arg);

#endif
