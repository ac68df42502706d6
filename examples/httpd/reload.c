/* SPDX-License-Identifier: ISC */
/*
 * reload.c - SIGHUP: the workers' policy read again, checked and
 * verified, and each worker replaced by one under the new policy without
 * a moment with neither: the replacement starts, and once the helper has
 * checked its sandbox (READY) it takes the slot; the old worker gets the
 * drain event, accepts no more, finishes the answers it began and exits.
 * The listening socket is the slot's, held by both: a connection waiting
 * in its queue is accepted by whichever accepts next, and none is
 * refused.  A policy that does not load, check and verify is refused
 * whole, in one line, and every worker keeps the old one.
 *
 * Standard C11 and GNU extensions: it defines _GNU_SOURCE (as the rest of
 * httpd, for O_CLOEXEC and clock_gettime) and compiles with
 * cc -std=c11 -pedantic.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "httpd.h"

/* The most a policy file may hold. */
#define POLICY_FILE_MAX (1u << 20)

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The file's text, NUL-terminated and ending with a newline; NULL with
 * errno. */
static char *read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	char *buf;
	if (fd < 0)
		return NULL;
	buf = malloc(POLICY_FILE_MAX + 2);
	while (buf && len <= POLICY_FILE_MAX) {
		ssize_t n = read(fd, buf + len, POLICY_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n < 0) {
				free(buf);
				buf = NULL;
			}
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	if (buf && len > POLICY_FILE_MAX) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	if (!buf)
		return NULL;
	if (len && buf[len - 1] != '\n')
		buf[len++] = '\n';
	buf[len] = '\0';
	return buf;
}

char *policy_text(struct httpd *d, const char *root, char *why, size_t len)
{
	char *text = NULL;
	/* the file's own text, named after it (its relative includes are
	 * relative to it): a file changed since is a text changed, which the
	 * framework reads, checks and verifies again */
	if (d->policy) {
		text = read_text(d->policy);
		if (!text) {
			snprintf(why, len, "--policy %s: %s", d->policy, strerror(errno));
			return NULL;
		}
	} else if (privsep_policy_append(&text, "include", NULL, "<httpd.policy>") < 0) {
		snprintf(why, len, "<httpd.policy>: %s", strerror(errno));
		return NULL;
	}
	if (privsep_policy_append(&text, "beneath", root, "allow read symlinks") < 0) {
		snprintf(why, len, "--root %s: %s", root,
		         errno == EINVAL ? "a control character in the path" : strerror(errno));
		free(text);
		return NULL;
	}
	return text;
}

/* Free the texts no live worker runs under (no replacement is pending). */
static void texts_gc(struct httpd *d)
{
	unsigned k = 0;
	for (unsigned i = 0; i < d->ntexts; i++) {
		int used = 0;
		for (unsigned j = 0; j < d->nslots; j++)
			used |= d->slots[j].sb[d->slots[j].cur].policy_text == d->texts[i];
		if (used)
			d->texts[k++] = d->texts[i];
		else
			free(d->texts[i]);
	}
	d->ntexts = k;
	for (unsigned j = 0; j < d->nslots; j++)
		d->slots[j].sb[!d->slots[j].cur].policy_text = NULL;
}

static void refused(struct httpd *d, const char *why)
{
	d->reload_failures++;
	say(d, PRIVSEP_LOG_ERR, "httpd: SIGHUP: reload refused, the old policy stays: %s\n", why);
}

void reload(struct privsep_helper *h, void *arg)
{
	struct httpd *d = arg;
	char why[512];
	struct statx st;
	char *text;
	unsigned started = 0;
	(void)h;
	for (unsigned i = 0; i < d->nslots; i++) {
		const struct slot *s = &d->slots[i];
		if (s->pending || s->old || !s->w) {
			snprintf(why, sizeof(why), "%s %s", s->name,
			         s->pending ? "is being replaced by the last reload"
			         : s->old   ? "still finishes its connections after the last reload"
			                    : "is restarting");
			refused(d, why);
			return;
		}
	}
	/* statx: what the helper's filter (helper.policy) allows */
	errno = 0;
	if (statx(AT_FDCWD, d->root, 0, STATX_TYPE, &st) < 0 || !S_ISDIR(st.stx_mode)) {
		snprintf(why, sizeof(why), "--root %s: %s", d->root,
		         errno ? strerror(errno) : "not a directory");
		refused(d, why);
		return;
	}
	texts_gc(d);
	text = policy_text(d, d->root, why, sizeof(why));
	if (!text) {
		refused(d, why);
		return;
	}
	d->texts[d->ntexts++] = text;
	for (unsigned i = 0; i < d->nslots; i++) {
		struct slot *s = &d->slots[i];
		struct privsep_spawn sp;
		int k = !s->cur;
		slot_spawn(d, i, k, text, &sp);
		/* the first replacement reads, checks and verifies the policy:
		 * its error lines are kept for the one line that says why */
		d->quiet = i == 0;
		d->why[0] = '\0';
		s->pending = privsep_worker_replace(s->w, &sp);
		d->quiet = 0;
		if (s->pending) {
			started++;
			continue;
		}
		if (i == 0) {
			refused(d, d->why[0] ? d->why : strerror(errno));
			return;
		}
		say(d, PRIVSEP_LOG_ERR,
		    "httpd: SIGHUP: %s: its replacement did not start (%s); it keeps the old policy\n",
		    s->name, strerror(errno));
	}
	d->reloads++;
	say(d, PRIVSEP_LOG_INFO,
	    "httpd: SIGHUP: the policy read again, checked and verified; %u of %u workers being "
	    "replaced\n",
	    started, d->nslots);
}

void reload_replaced(struct privsep_worker *old, struct privsep_worker *w, void *arg)
{
	struct httpd *d = arg;
	unsigned i = privsep_worker_slot(w);
	struct slot *s = i >= 1 && i <= d->nslots ? &d->slots[i - 1] : NULL;
	if (!s || s->pending != w) {
		privsep_worker_stop(old);
		return;
	}
	s->w = w;
	s->pending = NULL;
	s->cur = !s->cur;
	/* the old one finishes its answers within the send timeout (and a
	 * second): then it is stopped, whatever it does */
	if (privsep_worker_post(old, &(struct privsep_out){.type = HTTPD_T_DRAIN}) < 0) {
		privsep_worker_stop(old);
		return;
	}
	s->old = old;
	s->old_until = now_ms() + d->cfg.send_ms + 1000;
}

void reload_gone(struct httpd *d, struct privsep_worker *w)
{
	for (unsigned i = 0; i < d->nslots; i++) {
		struct slot *s = &d->slots[i];
		if (s->pending == w)
			s->pending = NULL; /* the framework said why; the old one stays */
		if (s->old == w)
			s->old = NULL;
	}
}

int reload_tick(struct httpd *d)
{
	int64_t now = 0, next = -1;
	for (unsigned i = 0; i < d->nslots; i++) {
		struct slot *s = &d->slots[i];
		if (!s->old)
			continue;
		if (!now)
			now = now_ms();
		if (now >= s->old_until) {
			say(d, PRIVSEP_LOG_WARN,
			    "httpd: %s pid %d, replaced, did not finish in time; stopped\n",
			    s->name, (int)privsep_worker_pid(s->old));
			privsep_worker_stop(s->old);
			s->old_until = now + 60000; /* said once; the framework kills it */
		}
		if (next < 0 || s->old_until - now < next)
			next = s->old_until - now;
	}
	return next < 0 ? -1 : (int)next;
}
