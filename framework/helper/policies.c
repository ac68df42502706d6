/* SPDX-License-Identifier: ISC */
/*
 * policies.c - the helper's loaded policies: each file read, checked,
 * compiled and verified once, then shared by every worker that uses it.
 * A policy with any finding, or whose compiled filter disagrees with its
 * own meaning anywhere verify looks, is refused: no worker starts on it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_int.h"
#include "policy.h"
#include "fs.h"

struct pol_entry {
	struct pol_entry *next;
	char *path; /* NULL: the shipped default */
	char *text; /* the policy's text when given in memory */
	int debug;
	int checked_only; /* helper_policy_checked's: no filter compiled */
	int has_roots;    /* the broker's roots opened (a worker's policy) */
	int filter_only;  /* helper_policy_filter's: exec mode's first filter */
	struct policy *pol;
	struct filter_prog prog;
	struct fs_root roots;
};

struct collect {
	struct privsep_helper *h;
	char *first;
	size_t len;
	int n;
};

static void collect(const char *msg, void *arg)
{
	struct collect *c = arg;
	if (c->n++ == 0)
		snprintf(c->first, c->len, "%s", msg);
	log_line(c->h->log, c->h->log_arg, PRIVSEP_LOG_ERR, "policy: %s", msg);
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* The broker's roots: each beneath rule's directory, opened once
 * (fs_roots_open, the same for privsep-run). */
static void root_warn(void *arg, const struct pol_file *f, int err)
{
	struct privsep_helper *h = arg;
	log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
	         "policy %s:%d: beneath \"%s\": %s; the rule will refuse every path", f->loc.file,
	         f->loc.line, f->path, strerror(err));
}

static void open_roots(struct privsep_helper *h, struct pol_entry *e)
{
	if (h->no_roots)
		return;
	fs_roots_open(&e->roots, e->pol, root_warn, h);
	e->has_roots = 1;
}

static void close_roots(struct pol_entry *e)
{
	fs_roots_close(&e->roots);
}

/* An entry not in the list: everything it holds but its roots. */
static void entry_free(struct pol_entry *e)
{
	policy_free(e->pol);
	filter_prog_free(&e->prog);
	free(e->path);
	free(e->text);
	free(e);
}

/* An entry not yet compiled: (path, text, debug) read and checked, for
 * lookup and helper_policy_checked alike. NULL with errno (ENOMEM, or
 * EINVAL with why said) when it cannot be. */
static struct pol_entry *entry_load(const char *path, const char *text, int debug,
                                    struct collect *c)
{
	struct pol_entry *e;
	const char *name = path ? path : "<default.policy>";
	int n;

	e = calloc(1, sizeof(*e));
	if (!e || (path && !(e->path = strdup(path))) || (text && !(e->text = strdup(text)))) {
		if (e) {
			free(e->path);
			free(e);
		}
		snprintf(c->first, c->len, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	e->debug = debug;
	e->pol = policy_load(name,
	                     text   ? text
	                     : path ? NULL
	                            : policy_shipped("default.policy"),
	                     collect, c);
	if (!e->pol)
		goto fail;
	n = policy_check(e->pol, collect, c);
	if (n > 0) {
		snprintf(c->first + strlen(c->first), c->len - strlen(c->first),
		         " (%d finding%s in all)", n, n > 1 ? "s" : "");
		goto fail;
	}
	return e;
fail:
	entry_free(e);
	errno = EINVAL;
	return NULL;
}

/* The entry for (path, text, debug), loaded now or found; with roots,
 * the broker's roots opened (or, found, looked at again). */
static const struct pol_entry *lookup(struct privsep_helper *h, const char *path, const char *text,
                                      int debug, int roots, char *why, size_t whylen)
{
	struct pol_entry *e;
	struct collect c = {h, why, whylen, 0};
	const char *name = path ? path : "<default.policy>";
	unsigned long calls = 0;
	int n;

	for (e = h->policies; e; e = e->next)
		if (e->debug == debug && !e->checked_only && same(e->path, path) &&
		    same(e->text, text)) {
			/* loaded again: a root replaced on disk is opened again */
			if (roots && e->has_roots && !h->no_roots)
				fs_roots_refresh(&e->roots, e->pol, root_warn, h);
			else if (roots && !e->has_roots)
				open_roots(h, e);
			if (roots)
				e->filter_only = 0;
			return e;
		}
	e = entry_load(path, text, debug, &c);
	if (!e)
		return NULL;
	if (policy_compile(e->pol, &e->prog, debug, collect, &c) < 0)
		goto fail;
	n = policy_verify(e->pol, &e->prog, debug, collect, &c, &calls);
	if (n != 0) {
		if (n > 0)
			snprintf(why + strlen(why), whylen - strlen(why),
			         " (%d calls where the compiled filter and the policy disagree)",
			         n);
		goto fail;
	}
	if (roots)
		open_roots(h, e);
	e->filter_only = !roots;
	log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
	         "policy %s%s: %zu rules, %u BPF instructions, verified over %lu calls", name,
	         debug == POL_MODE_DEBUG   ? " (debug: trap, not kill)"
	         : debug == POL_MODE_LEARN ? " (learn: not enforced)"
	                                   : "",
	         e->pol->nrules, e->prog.len, calls);
	e->next = h->policies;
	h->policies = e;
	return e;
fail:
	entry_free(e);
	errno = EINVAL;
	return NULL;
}

const struct pol_entry *helper_policy(struct privsep_helper *h, const char *path, const char *text,
                                      int debug, char *why, size_t whylen)
{
	return lookup(h, path, text, debug, 1, why, whylen);
}

const struct pol_entry *helper_policy_filter(struct privsep_helper *h, const char *path,
                                             const char *text, int debug, char *why, size_t whylen)
{
	return lookup(h, path, text, debug, 0, why, whylen);
}

const struct policy *pol_entry_policy(const struct pol_entry *e)
{
	return e->pol;
}

const struct filter_prog *pol_entry_prog(const struct pol_entry *e)
{
	return &e->prog;
}

const struct fs_root *pol_entry_roots(const struct pol_entry *e)
{
	return &e->roots;
}

const struct pol_entry *pol_entry_next(const struct pol_entry *e)
{
	return e->next;
}

const char *pol_entry_path(const struct pol_entry *e)
{
	return e->path;
}

const char *pol_entry_text(const struct pol_entry *e)
{
	return e->text;
}

int pol_entry_mode(const struct pol_entry *e)
{
	return e->debug;
}

int pol_entry_filter_only(const struct pol_entry *e)
{
	return e->filter_only || e->checked_only;
}

void helper_policies_forget_roots(struct privsep_helper *h)
{
	h->no_roots = 1;
	for (struct pol_entry *e = h->policies; e; e = e->next) {
		free(e->roots.fd);
		e->roots.fd = NULL;
		e->roots.n = 0;
	}
}

static const struct pol_entry *checked(struct privsep_helper *h, const char *path, const char *text,
                                       int debug, int roots, char *why, size_t whylen)
{
	struct pol_entry *e;
	struct collect c = {h, why, whylen, 0};

	for (e = h->policies; e; e = e->next)
		if (e->debug == debug && same(e->path, path) && same(e->text, text)) {
			if (roots && !h->no_roots)
				fs_roots_refresh(&e->roots, e->pol, root_warn, h);
			return e;
		}
	e = entry_load(path, text, debug, &c);
	if (!e)
		return NULL;
	e->checked_only = 1;
	if (roots)
		open_roots(h, e);
	e->next = h->policies;
	h->policies = e;
	return e;
}

const struct pol_entry *helper_policy_checked(struct privsep_helper *h, const char *path,
                                              const char *text, int debug, char *why, size_t whylen)
{
	return checked(h, path, text, debug, 1, why, whylen);
}

const struct pol_entry *helper_policy_read(struct privsep_helper *h, const char *path,
                                           const char *text, int debug, char *why, size_t whylen)
{
	return checked(h, path, text, debug, 0, why, whylen);
}

void helper_policies_free(struct privsep_helper *h)
{
	while (h->policies) {
		struct pol_entry *e = h->policies;
		h->policies = e->next;
		close_roots(e);
		entry_free(e);
	}
}
