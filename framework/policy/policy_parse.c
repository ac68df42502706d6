/* SPDX-License-Identifier: ISC */
/*
 * policy_parse.c - reading a policy: files, lines and includes, the
 * parser's errors, and policy_load.  Each file is read whole into one
 * buffer, whose lines become NUL-terminated in place; a line's tokens are
 * spans of it (policy_token.c), and each line is one statement, done by
 * the table of directives (policy_directive.c).  Every error names
 * file:line:column and what was expected, one line each.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy_parse.h"

/* The file at path, whole and NUL-terminated, in a buffer the caller
 * frees; NULL after reporting. */
static char *read_file(struct pol_parser *ps, const char *path)
{
	FILE *f = fopen(path, "re");
	size_t cap = 0, len = 0;
	char *buf = NULL;
	struct stat st;
	if (!f) {
		pol_err(ps, path, 0, 0, "cannot open: %s", strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		fclose(f);
		pol_err(ps, path, 0, 0, "not a regular file");
		return NULL;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
			if (!nb || cap > (1u << 24)) {
				free(nb ? nb : buf);
				fclose(f);
				pol_err(ps, path, 0, 0,
				        nb ? "too large (%u bytes at most)"
				           : "out of memory reading it",
				        (1u << 24) - 4096 - 1);
				return NULL;
			}
			buf = nb;
		}
		size_t k = fread(buf + len, 1, 4096, f);
		len += k;
		if (k < 4096)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (memchr(buf, '\0', len)) {
		free(buf);
		pol_err(ps, path, 0, 0, "contains a NUL byte: not a policy file");
		return NULL;
	}
	return buf;
}

/* Each line of text (modified in place) as one statement.  0, or -1 if
 * any line was wrong (reported). */
static int pol_dir_include(struct pol_parser *ps, const struct pol_stmt *st);

static int parse_lines(struct pol_parser *ps, struct pol_stmt *st, char *text)
{
	struct pol_tok t[POL_TOK_MAX];
	int rc = 0;
	st->line = 0;
	st->t = t;
	for (char *s = text; *s;) {
		char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		st->line++;
		if (nl)
			*nl = '\0';
		if (len > POL_LINE_MAX) {
			pol_err(ps, st->file, st->line, 1, "line too long (at most %d bytes)",
			        POL_LINE_MAX);
			rc = -1;
		} else {
			st->n = pol_tokenize(ps, st->file, st->line, s, t);
			int d = st->n > 0 ? pol_statement(ps, st) : 0;
			/* include is the one directive that reads a file: the
			 * table said it is in its place, the parser reads it */
			if (d == POL_STMT_INCLUDE)
				d = pol_dir_include(ps, st);
			if (st->n < 0 || d < 0)
				rc = -1;
		}
		s += len + (nl ? 1 : 0);
	}
	return rc;
}

/* Parse the file path (or text, under the name path): its lines, and the
 * checks at its end. */
static int parse_file(struct pol_parser *ps, const char *path, const char *text)
{
	struct pol_stmt st = {0};
	const char *slash;
	char *buf;
	int rc;

	st.file = pol_intern(ps->p, path);
	if (!st.file) {
		pol_err(ps, path, 0, 0, "out of memory");
		return -1;
	}
	ps->stack[ps->depth] = st.file;
	buf = text ? strdup(text) : read_file(ps, path);
	if (!buf) {
		if (text)
			pol_err(ps, path, 0, 0, "out of memory");
		return -1;
	}
	slash = strrchr(path, '/');
	st.dir = path;
	st.dirlen = slash && path[0] != '<' ? (size_t)(slash - path + 1) : 0;
	if (st.dirlen > PATH_MAX - 1)
		st.dirlen = PATH_MAX - 1;
	rc = parse_lines(ps, &st, buf);
	free(buf);
	if (ps->open_group && ps->depth == 0) {
		pol_err(ps, st.file, st.line, 1, "group %s is not closed: expected end",
		        ps->open_group->name);
		rc = -1;
	}
	if (ps->ndone < POL_DONE_MAX)
		ps->done[ps->ndone++] = st.file;
	if (!ps->have_version && rc == 0) {
		pol_err(ps, st.file, st.line > 0 ? st.line : 1, 1,
		        "expected \"version 1\": the file is empty");
		rc = -1;
	}
	return rc;
}

/* The name of the file "include" names, into full[PATH_MAX], and its
 * shipped text in *ship (NULL: a file on disk).  0, or -1 after
 * reporting. */
static int include_name(struct pol_parser *ps, const struct pol_stmt *st, char *full,
                        const char **ship)
{
	const struct pol_tok *f = &st->t[1];
	*ship = NULL;
	if (f->is_str) {
		if (f->text[0] == '/')
			snprintf(full, PATH_MAX, "%s", f->text);
		else
			snprintf(full, PATH_MAX, "%.*s%s", (int)st->dirlen, st->dir, f->text);
		return 0;
	}
	if (f->text[0] == '<' && f->text[f->len - 1] == '>' && f->len > 2) {
		char nm[256];
		snprintf(full, PATH_MAX, "<%.*s>", (int)f->len - 2, f->text + 1);
		snprintf(nm, sizeof(nm), "%.*s", (int)f->len - 2, f->text + 1);
		*ship = policy_shipped(nm);
		if (*ship)
			return 0;
		pol_serr(ps, st, f->col, "no shipped policy called %s", f->text);
		return -1;
	}
	pol_serr(ps, st, f->col,
	         "expected \"path\" (relative to this file) or <shipped.policy>, found %s",
	         f->text);
	return -1;
}

/* Whether full may be read now: not too deep, not a cycle; *done when it
 * was read to the end already (its groups exist).  0, or -1 after
 * reporting. */
static int include_allowed(struct pol_parser *ps, const struct pol_stmt *st, const char *full,
                           int *done)
{
	*done = 0;
	if (ps->depth >= POL_MAX_INCLUDE_DEPTH) {
		pol_serr(ps, st, st->t[1].col, "includes nested deeper than %d",
		         POL_MAX_INCLUDE_DEPTH);
		return -1;
	}
	for (int k = 0; k <= ps->depth; k++)
		if (ps->stack[k] && !strcmp(ps->stack[k], full)) {
			pol_serr(ps, st, st->t[1].col, "include cycle: %s includes itself", full);
			return -1;
		}
	for (size_t k = 0; k < ps->ndone; k++)
		if (!strcmp(ps->done[k], full))
			*done = 1;
	return 0;
}

/* include "path" | include <shipped.policy> */
static int pol_dir_include(struct pol_parser *ps, const struct pol_stmt *st)
{
	const char *ship;
	char *full;
	int rc = -1, done, saved;
	if (st->n != 2) {
		pol_serr(ps, st, st->n > 2 ? st->t[2].col : st->t[0].col + 8,
		         "expected one file after include: \"path\" or <shipped.policy>");
		return -1;
	}
	full = malloc(PATH_MAX);
	if (!full) {
		pol_serr(ps, st, st->t[0].col, "out of memory");
		return -1;
	}
	if (include_name(ps, st, full, &ship) < 0 || include_allowed(ps, st, full, &done) < 0)
		goto out;
	rc = 0;
	if (done)
		goto out;
	ps->depth++;
	saved = ps->have_version;
	ps->have_version = 0; /* each file starts with its own version line */
	rc = parse_file(ps, full, ship);
	ps->have_version = saved;
	ps->depth--;
out:
	free(full);
	return rc;
}

struct policy *policy_load(const char *path, const char *text, pol_diag_fn diag, void *arg)
{
	struct pol_parser ps;
	struct policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.diag = diag;
	ps.arg = arg;
	p->def_act = FA_KILL;
	p->namespaces = -1;
	snprintf(p->name, sizeof(p->name), "%s", path);
	parse_file(&ps, path, text);
	if (!ps.have_default && ps.errors == 0)
		p->def_loc = (struct pol_loc){p->nnames ? p->names[0] : "", 0, 0};
	for (size_t i = 0; i < ps.ngroups; i++)
		free(ps.groups[i].rules);
	free(ps.groups);
	if (ps.errors || policy_append_narrow(p) < 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p->files);
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}
