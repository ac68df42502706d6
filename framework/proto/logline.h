/* SPDX-License-Identifier: ISC */
/*
 * logline.h - internal: one log line, for both ends (the helper's log
 * function or, on a worker's side, its standard error).
 */
#ifndef PRIVSEP_LOGLINE_H
#define PRIVSEP_LOGLINE_H

#include <stddef.h>

#include "privsep.h"

/* A log line as the helper formats it, at most (with the worker's
 * identity and the escaped text of a line of log_line_max bytes). */
#define PRIVSEP_LOG_LINE_MAX 16384

/* snprintf's n for a line in buf (cap bytes): cut to fit, ending in
 * '\n'; its length (0 when n < 0). */
size_t log_fit_line(char *buf, size_t cap, int n);

/* "privsep: LINE\n" in buf (cap bytes), cut to fit; its length. */
size_t log_format_line(char *buf, size_t cap, const char *line);

/* One log line through fn (NULL: standard error, blocking: for a worker's
 * side, where standard error is its log pipe). */
void log_line(privsep_log_fn fn, void *arg, enum privsep_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
