/* SPDX-License-Identifier: ISC */
/*
 * policy_path.c - the file broker's rules: "path "/file" allow RIGHTS"
 * and "beneath "/dir" allow RIGHTS", RIGHTS a list like read,write, then
 * the options mode OCTAL, symlinks, special, directory and fs NAME.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_parse.h"

/* Whether path is normal: no //, no . or .. component, no trailing /. */
static int normal(const char *x, size_t l)
{
	return !(strstr(x, "//") || strstr(x, "/./") || strstr(x, "/../") ||
	         (l > 1 && x[l - 1] == '/') || (l >= 2 && !strcmp(x + l - 2, "/.")) ||
	         (l >= 3 && !strcmp(x + l - 3, "/..")));
}

/* The rights' names, in the order of their bits. */
static const struct {
	const char *n;
	unsigned r;
} right_names[] = {{"read", POL_R_READ},         {"write", POL_R_WRITE},
                   {"append", POL_R_APPEND},     {"create", POL_R_CREATE},
                   {"truncate", POL_R_TRUNCATE}, {"stat", POL_R_STAT},
                   {"readlink", POL_R_READLINK}};

const char *pol_rights_text(unsigned r, char *buf, size_t len)
{
	size_t o = 0;
	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(right_names) / sizeof(right_names[0]) && o < len; k++)
		if (r & right_names[k].r)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "",
			                      right_names[k].n);
	return buf;
}

/* RIGHT[,RIGHT]... from t[*i] into f. */
static int rights(struct pol_parser *ps, const struct pol_stmt *st, int *i, struct pol_file *f)
{
	const struct pol_tok *t = st->t;
	for (;;) {
		int k;
		for (k = 0; k < (int)(sizeof(right_names) / sizeof(right_names[0])); k++)
			if (pol_tok_is(&t[*i], right_names[k].n))
				break;
		if (k == (int)(sizeof(right_names) / sizeof(right_names[0]))) {
			pol_serr(
			    ps, st, t[*i].col,
			    "unknown right \"%s\" (read, write, append, create, truncate, stat, readlink)",
			    t[*i].text);
			return -1;
		}
		f->rights |= right_names[k].r;
		++*i;
		if (*i < st->n && pol_tok_is(&t[*i], ",")) {
			++*i;
			if (*i >= st->n) {
				pol_serr(ps, st, t[*i - 1].col, "expected a right after ,");
				return -1;
			}
			continue;
		}
		return 0;
	}
}

/* fs NAME, at t[i]: the pseudo filesystem's bit into f. */
static int fs_option(struct pol_parser *ps, const struct pol_stmt *st, int i, struct pol_file *f)
{
	const struct pol_tok *t = st->t;
	unsigned b = pol_pseudofs_bit(t[i].text);
	char names[512];
	size_t o = 0;
	if (b) {
		f->fs |= b;
		return 0;
	}
	for (unsigned k = 0; k < POL_FS_COUNT && o < sizeof(names); k++)
		o += (size_t)snprintf(names + o, sizeof(names) - o, "%s%s", k ? ", " : "",
		                      pol_pseudofs_name(k));
	pol_serr(ps, st, t[i].col, "\"%s\" is not a pseudo filesystem the broker knows (%s)",
	         t[i].text, names);
	return -1;
}

/* The options after the rights, from t[i] to the end, into f. */
static int options(struct pol_parser *ps, const struct pol_stmt *st, int i, struct pol_file *f)
{
	const struct pol_tok *t = st->t;
	int n = st->n;
	while (i < n) {
		if (pol_tok_is(&t[i], "mode") && i + 1 < n) {
			char *end;
			unsigned long m = strtoul(t[i + 1].text, &end, 8);
			if (*end || end == t[i + 1].text || m > 07777) {
				pol_serr(ps, st, t[i + 1].col, "expected an octal mode like 0640");
				return -1;
			}
			f->mode = (unsigned)m;
			i += 2;
		} else if (pol_tok_is(&t[i], "symlinks")) {
			f->symlinks = 1;
			i++;
		} else if (pol_tok_is(&t[i], "special")) {
			f->special = 1;
			i++;
		} else if (pol_tok_is(&t[i], "directory")) {
			f->directory = 1;
			i++;
		} else if (pol_tok_is(&t[i], "fs") && i + 1 < n) {
			if (fs_option(ps, st, i + 1, f) < 0)
				return -1;
			i += 2;
		} else {
			pol_serr(
			    ps, st, t[i].col,
			    "expected mode OCTAL, symlinks, special, directory or fs NAME, found \"%s\"",
			    t[i].text);
			return -1;
		}
	}
	return 0;
}

static int push_file(struct policy *p, const struct pol_file *f)
{
	if (p->nfiles == p->capfiles) {
		size_t nc = p->capfiles ? p->capfiles * 2 : 8;
		struct pol_file *nf = realloc(p->files, nc * sizeof(*nf));
		if (!nf)
			return -1;
		p->files = nf;
		p->capfiles = nc;
	}
	p->files[p->nfiles++] = *f;
	return 0;
}

int pol_dir_path(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	const char *w = t[0].text;
	struct pol_file f;
	int i = 3;
	memset(&f, 0, sizeof(f));
	f.beneath = w[0] == 'b';
	f.mode = 0600;
	if (st->n < 4 || !t[1].is_str || !pol_tok_is(&t[2], "allow")) {
		pol_serr(
		    ps, st, st->n > 1 ? t[1].col : t[0].col,
		    "expected %s \"/absolute/path\" allow RIGHTS[,RIGHTS] [mode OCTAL] [symlinks] [special] [directory] [fs NAME]...",
		    w);
		return -1;
	}
	if (t[1].text[0] != '/') {
		pol_serr(ps, st, t[1].col, "the path must be absolute");
		return -1;
	}
	if (!normal(t[1].text, t[1].len)) {
		pol_serr(ps, st, t[1].col,
		         "the path must be normal: no //, no . or .. component, no trailing /");
		return -1;
	}
	snprintf(f.path, sizeof(f.path), "%s", t[1].text);
	if (rights(ps, st, &i, &f) < 0 || options(ps, st, i, &f) < 0)
		return -1;
	f.loc = (struct pol_loc){pol_intern(ps->p, st->file), st->line, t[0].col};
	if (push_file(ps->p, &f) < 0) {
		pol_serr(ps, st, t[0].col, "out of memory");
		return -1;
	}
	return 0;
}
