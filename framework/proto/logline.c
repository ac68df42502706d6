/* SPDX-License-Identifier: ISC */
/*
 * logline.c - one log line, as both ends write it (logline.h): through
 * a log function, or a plain write to standard error; and the worker's
 * privsep_log, whose "<N>" prefix the helper reads from the worker's
 * standard error (helper/log.c).  No state: the helper's sink, rate
 * limits and the reading of a worker's pipe are the helper's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <syslog.h>
#include <unistd.h>

#include "logline.h"

/* The length, at most len, of the bytes at buf that a cut at len leaves
 * whole: less the lead byte and continuation bytes of a UTF-8 character
 * the cut would halve (at most three), so a journal that keeps only
 * valid UTF-8 as text (journald shows anything else as a blob) shows the
 * cut line.  Bytes that are no UTF-8 are left as they are. */
static size_t utf8_whole(const char *buf, size_t len)
{
	const unsigned char *b = (const unsigned char *)buf;
	size_t j = len, need;
	while (j > 0 && len - j < 3 && (b[j - 1] & 0xc0) == 0x80)
		j--;
	if (j == 0 || b[j - 1] < 0xc0)
		return len;
	need = b[j - 1] >= 0xf0 ? 4 : b[j - 1] >= 0xe0 ? 3 : 2;
	return len - (j - 1) < need ? j - 1 : len;
}

/* What snprintf wrote into buf (cap bytes), cut to fit and still
 * ending in a newline, never inside a character; its length (0 for an
 * error). */
size_t log_fit_line(char *buf, size_t cap, int n)
{
	if (n < 0)
		return 0;
	if ((size_t)n > cap - 1) {
		size_t k = utf8_whole(buf, cap - 2);
		buf[k] = '\n';
		buf[k + 1] = '\0';
		n = (int)k + 1;
	}
	return (size_t)n;
}

/* "privsep: LINE\n" in buf; its length. */
size_t log_format_line(char *buf, size_t cap, const char *line)
{
	return log_fit_line(buf, cap, snprintf(buf, cap, "privsep: %s\n", line));
}

/* A worker's side (and a process without a helper): a plain write to
 * standard error, which for a spawned worker is its log pipe. */
static void log_stderr(enum privsep_log_level lvl, const char *line, void *arg)
{
	char buf[PRIVSEP_LOG_LINE_MAX];
	size_t n = log_format_line(buf, sizeof(buf), line);
	(void)lvl;
	(void)arg;
	if (n > 0 && write(STDERR_FILENO, buf, n) < 0) {
		/* nowhere left to report it */
	}
}

static void vlog(privsep_log_fn fn, void *arg, enum privsep_log_level lvl, const char *fmt,
                 va_list ap) __attribute__((format(printf, 4, 0)));

static void vlog(privsep_log_fn fn, void *arg, enum privsep_log_level lvl, const char *fmt,
                 va_list ap)
{
	char line[PRIVSEP_LOG_LINE_MAX];
	int saved = errno;
	if (vsnprintf(line, sizeof(line), fmt, ap) >= (int)sizeof(line))
		line[utf8_whole(line, sizeof(line) - 1)] = '\0';
	(fn ? fn : log_stderr)(lvl, line, arg);
	errno = saved;
}

void log_line(privsep_log_fn fn, void *arg, enum privsep_log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(fn, arg, lvl, fmt, ap);
	va_end(ap);
}

void privsep_log_syslog(enum privsep_log_level lvl, const char *line, void *arg)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	(void)arg;
	syslog(prio[lvl <= PRIVSEP_LOG_DEBUG ? lvl : PRIVSEP_LOG_DEBUG], "%s", line);
}

/* ---- the worker's side: one line, one write ---- */

void privsep_log(enum privsep_log_level lvl, const char *fmt, ...)
{
	static const char prio[] = {'3', '4', '6', '7'};
	char buf[1024];
	va_list ap;
	int saved = errno, n;

	buf[0] = '<';
	buf[1] = prio[lvl <= PRIVSEP_LOG_DEBUG ? lvl : PRIVSEP_LOG_DEBUG];
	buf[2] = '>';
	va_start(ap, fmt);
	n = vsnprintf(buf + 3, sizeof(buf) - 4, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	n += 3;
	if (n > (int)sizeof(buf) - 2)
		n = 3 + (int)utf8_whole(buf + 3, sizeof(buf) - 5);
	for (int i = 3; i < n; i++)
		if (buf[i] == '\n' || buf[i] == '\r')
			buf[i] = ' ';
	buf[n++] = '\n';
	/* one write: a pipe keeps writes up to PIPE_BUF whole */
	if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
		/* nowhere to say it */
	}
	errno = saved;
}
