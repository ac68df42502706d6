/* SPDX-License-Identifier: ISC */
/*
 * log.c - the helper's log lines, and each spawned worker's standard
 * error read through a pipe into them.
 *
 * A worker's lines are its own words, so they are handled as hostile:
 * the helper, not the worker, writes the identity (name, pid) and the
 * time before each line; a newline always ends an entry, so one write
 * cannot pass for two workers or forge a helper line; control bytes but
 * tab, invalid UTF-8, C1 controls, and Unicode's separators and bidi
 * marks are escaped (no terminal escape reaches an operator's screen, no
 * text is reordered); lines are cut at log_line_max bytes and marked; each worker
 * gets log_rate lines and log_byte_rate bytes a second (bursts of
 * log_burst and log_byte_burst) and the rest are counted and the count
 * logged.  The pipe is non-blocking and read from the event loop: the
 * helper never waits on it.
 *
 * The helper's own default log goes to its standard error through a sink
 * (sink.h) that never waits: a line that finds the sink full is dropped
 * and counted, and the count is one line once writing resumes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "helper_int.h"
#include "proto.h"

/* Bytes read from one worker's pipe per wake-up: fairness. */
#define WLOG_READ_MAX 65536
/* Bytes read at most when a worker is gone. */
#define WLOG_CLOSE_MAX (16u << 20)
/* The most privsep_helper_write_stderr takes at once. */
#define HELPER_ERR_PUT_MAX 16384

/* The priority sd-daemon(3) reads at the head of a line. */
static char prio_digit(enum privsep_log_level lvl)
{
	static const char d[] = {'3', '4', '6', '7'};
	return d[lvl <= PRIVSEP_LOG_DEBUG ? lvl : PRIVSEP_LOG_DEBUG];
}

/* One line of the helper's log as its standard error takes it: to the
 * journal "<N>privsep: LINE\n" (its priority; the journal keeps the
 * time), else "privsep: TIME LINE\n" (UTC, to the millisecond), the one
 * format of helper and worker lines; cut to fit cap.  Its length. */
static size_t format_line(const struct privsep_helper *h, enum privsep_log_level lvl, char *buf,
                          size_t cap, const char *line)
{
	int n;
	if (h->err.journal) {
		n = snprintf(buf, cap, "<%c>privsep: %s\n", prio_digit(lvl), line);
	} else {
		struct timespec ts;
		struct tm tm;
		char when[40];
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		n = snprintf(buf, cap, "privsep: %s.%03ldZ %s\n", when, ts.tv_nsec / 1000000, line);
	}
	return log_fit_line(buf, cap, n);
}

/* The report of what the full sink lost, once it has room again. */
static void report_err_drops(struct privsep_helper *h)
{
	char line[160], buf[200];
	size_t n;
	if (!h->err_drop || h->err.len)
		return;
	snprintf(line, sizeof(line),
	         "%lu log lines (%llu bytes) dropped: standard error was not writable", h->err_drop,
	         h->err_dropb);
	n = format_line(h, PRIVSEP_LOG_WARN, buf, sizeof(buf), line);
	if (sink_put(&h->err, buf, n) == 0) {
		h->err_drop = 0;
		h->err_dropb = 0;
	}
}

/* n bytes (whole lines) into the sink, or dropped and counted. */
static int err_put(struct privsep_helper *h, const void *p, size_t n)
{
	int rc = 0;
	report_err_drops(h);
	if (h->err_drop || sink_put(&h->err, p, n) < 0) {
		/* full (or broken): this is lost, and said so later */
		h->err_drop++;
		h->err_dropb += n;
		rc = -1;
	}
	sink_arm(h->epfd, &h->err, &h->terr, h->err.len || h->err_drop);
	return rc;
}

void privsep_helper_log_stderr(struct privsep_helper *h, enum privsep_log_level lvl,
                               const char *line)
{
	char buf[PRIVSEP_LOG_LINE_MAX];
	int saved = errno;
	if (h && line)
		(void)err_put(h, buf, format_line(h, lvl, buf, sizeof(buf), line));
	errno = saved;
}

int privsep_helper_write_stderr(struct privsep_helper *h, enum privsep_log_level lvl,
                                const void *text, size_t len)
{
	const char *t = text;
	char *buf;
	size_t o = 0;
	int rc;
	if (!h || (!text && len) || len > HELPER_ERR_PUT_MAX || (unsigned)lvl > PRIVSEP_LOG_DEBUG) {
		errno = EINVAL;
		return -1;
	}
	if (!h->err.journal || !len) {
		rc = err_put(h, text, len);
	} else {
		/* the journal: each line begins with its priority */
		buf = malloc(4 * len);
		if (!buf) {
			h->err_drop++;
			h->err_dropb += len;
			errno = ENOBUFS;
			return -1;
		}
		for (size_t i = 0; i < len; i++) {
			if (i == 0 || t[i - 1] == '\n') {
				buf[o++] = '<';
				buf[o++] = prio_digit(lvl);
				buf[o++] = '>';
			}
			buf[o++] = t[i];
		}
		rc = err_put(h, buf, o);
		free(buf);
	}
	if (rc < 0) {
		errno = ENOBUFS;
		return -1;
	}
	return 0;
}

void helper_log_default(enum privsep_log_level lvl, const char *line, void *arg)
{
	privsep_helper_log_stderr(arg, lvl, line);
}

void helper_err_writable(struct privsep_helper *h)
{
	if (sink_flush(&h->err) == 0)
		report_err_drops(h);
	sink_arm(h->epfd, &h->err, &h->terr, h->err.len || h->err_drop);
}

/* ---- the helper's side: the pipe ---- */

int wlog_attach(struct privsep_worker *w, int rfd)
{
	struct privsep_helper *h = w->h;
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &w->log.tag};

	w->log.buf = malloc(h->log_line_max);
	if (!w->log.buf || fcntl(rfd, F_SETFL, O_NONBLOCK) < 0) {
		int saved = errno ? errno : ENOMEM;
		free(w->log.buf);
		w->log.buf = NULL;
		close(rfd);
		errno = saved;
		return -1;
	}
	w->log.tag = (struct tag){w, TAG_LOG};
	if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, rfd, &ev) < 0) {
		int saved = errno;
		free(w->log.buf);
		w->log.buf = NULL;
		close(rfd);
		errno = saved;
		return -1;
	}
	w->log.fd = rfd;
	w->log.len = 0;
	w->log.cut = 0;
	log_bucket_init(h, &w->log.rl);
	return 0;
}

/* Length of the valid UTF-8 sequence at p (n bytes left) that is not a C1
 * control, or 0. */
static size_t utf8_ok(const unsigned char *p, size_t n)
{
	size_t len;
	uint32_t cp;
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0x80 && cp <= 0x9f))
		return 0;
	/* line and paragraph separators, and the marks that reorder text
	 * (bidi overrides and isolates): they could make a line read as
	 * something else */
	if ((cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e ||
	    cp == 0x200f || cp == 0x061c)
		return 0;
	return len;
}

size_t log_escape(char *dst, size_t cap, const char *src, size_t n)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;
	if (!cap)
		return 0;
	while (i < n && o + 5 <= cap) {
		size_t k = s[i] >= 0x80 ? utf8_ok(s + i, n - i)
		                        : (s[i] >= 0x20 && s[i] != 0x7f) || s[i] == '\t';
		if (k) {
			memcpy(dst + o, s + i, k);
			o += k;
			i += k;
		} else {
			o += (size_t)sprintf(dst + o, "\\x%02x", s[i]);
			i++;
		}
	}
	dst[o] = '\0';
	return i;
}

static void report_drops(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	if (!w->log.rl.drop)
		return;
	log_line(
	    h->log, h->log_arg, PRIVSEP_LOG_WARN,
	    "worker \"%s\" pid %d: %lu log lines dropped, %llu bytes (over %u lines/s or %lu bytes/s)",
	    w->name, (int)w->pid, w->log.rl.drop, w->log.rl.dropb, h->log_rate, h->log_byte_rate);
	w->log.rl.drop = 0;
	w->log.rl.dropb = 0;
}

void log_bucket_init(const struct privsep_helper *h, struct log_bucket *b)
{
	b->tokens = (int64_t)h->log_burst * 1000;
	b->btokens = (int64_t)h->log_byte_burst * 1000;
	b->refill_ms = clock_now_ms();
	b->drop = 0;
	b->dropb = 0;
}

int log_bucket_take(const struct privsep_helper *h, struct log_bucket *b, size_t bytes)
{
	int64_t now = clock_now_ms(), cost = (int64_t)bytes * 1000;
	b->tokens += (now - b->refill_ms) * (int64_t)h->log_rate;
	b->btokens += (now - b->refill_ms) * (int64_t)h->log_byte_rate;
	b->refill_ms = now;
	if (b->tokens > (int64_t)h->log_burst * 1000)
		b->tokens = (int64_t)h->log_burst * 1000;
	if (b->btokens > (int64_t)h->log_byte_burst * 1000)
		b->btokens = (int64_t)h->log_byte_burst * 1000;
	if (b->tokens < 1000 || b->btokens < cost) {
		b->drop++;
		b->dropb += bytes;
		return 0;
	}
	b->tokens -= 1000;
	b->btokens -= cost;
	return 1;
}

/* One whole line of the worker's (cut: it was longer and is marked). */
static void emit(struct privsep_worker *w, const char *line, size_t n, int cut)
{
	struct privsep_helper *h = w->h;
	enum privsep_log_level lvl = PRIVSEP_LOG_INFO;
	char *text;
	size_t tlen;

	/* an optional syslog-style priority, as privsep_log writes it: the
	 * worker's own words are at most a warning.  Error is the helper's
	 * (a violation, a death): a worker cannot raise its line to one,
	 * nor pass for the helper (its identity is written before its text,
	 * and a newline always ends its line) */
	if (n >= 3 && line[0] == '<' && line[1] >= '0' && line[1] <= '7' && line[2] == '>') {
		int p = line[1] - '0';
		lvl = p <= 4 ? PRIVSEP_LOG_WARN : p <= 6 ? PRIVSEP_LOG_INFO : PRIVSEP_LOG_DEBUG;
		line += 3;
		n -= 3;
	}
	/* the default log's stderr is full: the line would be dropped there,
	 * so it is counted there, without the work */
	if (h->log == helper_log_default && h->err_drop) {
		h->err_drop++;
		h->err_dropb += n;
		return;
	}
	/* the rate limit: token buckets per worker, for lines and for the
	 * bytes the log gets: the raw bytes now, before any work ... */
	if (!log_bucket_take(h, &w->log.rl, n))
		return;
	text = malloc(4 * n + 1);
	if (!text) {
		w->log.rl.drop++;
		w->log.rl.dropb += n;
		return;
	}
	log_escape(text, 4 * n + 1, line, n);
	/* ... and what escaping added (a line of control bytes costs what it
	 * weighs in the log; the debt delays the next lines) */
	tlen = strlen(text);
	if (tlen > n)
		w->log.rl.btokens -= (int64_t)(tlen - n) * 1000;
	report_drops(w);
	/* the time, when the log's writer has no clock of its own, is the
	 * writer's (privsep_helper_log_stderr): one format for every line */
	log_line(h->log, h->log_arg, lvl, "worker \"%s\" pid %d: %s%s", w->name, (int)w->pid, text,
	         cut ? " [line cut]" : "");
	free(text);
}

static void take(struct privsep_worker *w, const char *p, size_t n)
{
	size_t max = w->h->log_line_max;
	while (n) {
		const char *nl = memchr(p, '\n', n);
		size_t k = nl ? (size_t)(nl - p) : n;
		if (!w->log.cut) {
			size_t room = max - w->log.len;
			if (k > room) {
				/* over the limit: log what fits, marked; skip the rest */
				memcpy(w->log.buf + w->log.len, p, room);
				emit(w, w->log.buf, max, 1);
				w->log.len = 0;
				w->log.cut = 1;
			} else {
				memcpy(w->log.buf + w->log.len, p, k);
				w->log.len += k;
			}
		}
		if (!nl)
			return;
		if (!w->log.cut)
			emit(w, w->log.buf, w->log.len, 0);
		w->log.len = 0;
		w->log.cut = 0;
		p = nl + 1;
		n -= k + 1;
	}
}

/* Read up to max bytes: 1 at the end of the pipe (or an error), 0 when
 * it is empty for now or max bytes were read. */
static int pump(struct privsep_worker *w, size_t max)
{
	char buf[4096];
	for (size_t got = 0; got < max;) {
		ssize_t n = read(w->log.fd, buf, sizeof(buf));
		if (n > 0) {
			take(w, buf, (size_t)n);
			got += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return 1;
	}
	return 0;
}

void wlog_readable(struct privsep_worker *w)
{
	if (w->log.fd < 0)
		return;
	if (pump(w, WLOG_READ_MAX)) {
		/* the worker closed its end; the rest is said at close */
		epoll_ctl(w->h->epfd, EPOLL_CTL_DEL, w->log.fd, NULL);
	}
}

void wlog_close(struct privsep_worker *w)
{
	if (w->log.fd < 0)
		return;
	/* the process is gone: everything it wrote is in the pipe (the cap
	 * only guards against a writer that could not be stopped) */
	(void)pump(w, WLOG_CLOSE_MAX);
	if (w->log.len && !w->log.cut)
		emit(w, w->log.buf, w->log.len, 0);
	w->log.len = 0;
	report_drops(w);
	epoll_ctl(w->h->epfd, EPOLL_CTL_DEL, w->log.fd, NULL);
	close(w->log.fd);
	w->log.fd = -1;
	free(w->log.buf);
	w->log.buf = NULL;
}

/* One line per refusal: the worker chose the path, so it is escaped like
 * a worker's own log line, and the lines are rate-limited per worker like
 * them (a flood of refused paths must not fill the log or hide what
 * matters).  A path that does not exist beneath an allowed root is no
 * refusal of the rules: debug level. */
void wlog_refused(void *arg, const char *what, const char *path, int err, const char *detail)
{
	struct privsep_worker *w = arg;
	struct privsep_helper *h = w->h;
	/* a path of PROTO_PATH_MAX printable bytes whole; one of bytes
	 * escaped to four each is cut and marked, so the line keeps the
	 * error's name and the reason after it (an escaped path filled the
	 * line, cut before them: the worker chose a refusal saying nothing
	 * of why) */
	char p[2 * PROTO_PATH_MAX + 32], d[4 * PRIVSEP_DETAIL_MAX + 1];
	size_t n = strlen(path);
	/* a directory refused for want of "directory" is what httpd's 301
	 * asks about: no more a refusal of the path than a missing file */
	int missing = err == ENOENT || err == ENOTDIR || err == EISDIR;

	if (!log_bucket_take(h, &w->log.denyrl, strlen(path) + strlen(detail)))
		return;
	if (w->log.denyrl.drop) {
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_WARN,
		    "worker \"%s\" pid %d: %lu file broker refusals not logged (over %u lines/s or %lu bytes/s)",
		    w->name, (int)w->pid, w->log.denyrl.drop, h->log_rate, h->log_byte_rate);
		w->log.denyrl.drop = 0;
		w->log.denyrl.dropb = 0;
	}
	if (log_escape(p, sizeof(p) - 32, path, n) < n)
		snprintf(p + strlen(p), 32, "... (%zu bytes)", n);
	log_escape(d, sizeof(d), detail, strlen(detail));
	log_line(h->log, h->log_arg, missing ? PRIVSEP_LOG_DEBUG : PRIVSEP_LOG_WARN,
	         "worker \"%s\" pid %d: fs %s %s: %s: %s", w->name, (int)w->pid, what, p,
	         strerrorname_np(err) ? strerrorname_np(err) : "error", d);
}
