/*
 * helper_int.h - internal: what other framework files and the fuzz
 * targets need of the helper.
 */
#ifndef PRIVSEP_HELPER_INT_H
#define PRIVSEP_HELPER_INT_H

#include "privsep.h"

/* One row of the merged (framework + application) table. */
struct helper_row {
	uint32_t type;
	const char *name;
	uint32_t min_len, max_len;
	uint8_t min_fds, max_fds;
	unsigned flags;
	privsep_handler_fn fn;
	void *arg;
};

size_t helper_msg_max(const struct privsep_helper *h);

/* Dispatch one record as if it had arrived from w's channel with fds
 * (taken).  For the fuzz targets. */
void helper_feed(struct privsep_worker *w, uint8_t *rec, size_t len, int *fds, size_t nfds);

/* One log line through fn (NULL: standard error). */
void helper_log(privsep_log_fn fn, void *arg, enum privsep_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
