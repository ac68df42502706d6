/* SPDX-License-Identifier: ISC */
/* sink_post.c - a helper's handler that only counts posts (sink_post.h). */
#include "sink_post.h"

long sink_count;

int count_post(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	sink_count++;
	return 0;
}
