/* SPDX-License-Identifier: ISC */
/*
 * services/fs_rules.c - the file broker's rules: whether a path may be
 * used for an operation under a policy's file rules, from the strings
 * alone (no I/O), so that it can be tested and fuzzed on its own.  The
 * helper's side (fs_host.c) opens what they decided.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "proto.h"

/* ---- decisions (no I/O) ---- */

const char *fs_next_name(const char **s, size_t *k)
{
	for (;;) {
		const char *c, *e;
		while (**s == '/')
			++*s;
		if (!**s)
			return NULL;
		c = *s;
		e = strchr(c, '/');
		*k = e ? (size_t)(e - c) : strlen(c);
		*s = c + *k;
		if (!(*k == 1 && c[0] == '.'))
			return c;
	}
}

int fs_normalise(const char *path, char *out, size_t len, int *want_dir, char *detail, size_t dlen)
{
	size_t o = 0, n = strlen(path), k;
	const char *s = path, *c;
	*want_dir = 0;
	if (n == 0) {
		snprintf(detail, dlen, "empty path");
		return EINVAL;
	}
	if (path[0] != '/') {
		snprintf(detail, dlen, "not an absolute path");
		return EINVAL;
	}
	if (n >= PATH_MAX) {
		snprintf(detail, dlen, "path longer than PATH_MAX");
		return ENAMETOOLONG;
	}
	*want_dir = n > 1 && path[n - 1] == '/';
	while ((c = fs_next_name(&s, &k))) {
		if (k == 2 && c[0] == '.' && c[1] == '.') {
			snprintf(detail, dlen, "a .. component is never allowed");
			return EACCES;
		}
		if (o + 1 + k + 1 > len) {
			snprintf(detail, dlen, "path too long");
			return ENAMETOOLONG;
		}
		out[o++] = '/';
		memcpy(out + o, c, k);
		o += k;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

/* The bits a worker may pass to open; everything else is refused. */
#define FS_OPEN_ALLOWED                                                                            \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_CLOEXEC |              \
	 O_DIRECTORY | O_NOFOLLOW | O_NOCTTY | O_LARGEFILE | O_SYNC | O_DSYNC)

/* The rights open flags need, or an errno for flags that are refused. */
static int open_needs(int flags, unsigned *need, char *detail, size_t dlen)
{
	int acc = flags & O_ACCMODE;
	*need = 0;
	if ((flags & O_TMPFILE) == O_TMPFILE || (flags & O_PATH)) {
		snprintf(detail, dlen, "O_PATH and O_TMPFILE are never allowed");
		return EINVAL;
	}
	if (flags & ~FS_OPEN_ALLOWED) {
		snprintf(detail, dlen, "open flags 0x%x are not allowed", flags & ~FS_OPEN_ALLOWED);
		return EINVAL;
	}
	if (acc == O_ACCMODE) {
		snprintf(detail, dlen, "access mode 3 is not allowed");
		return EINVAL;
	}
	if ((flags & O_TRUNC) && acc == O_RDONLY) {
		snprintf(detail, dlen, "O_TRUNC with O_RDONLY is not allowed");
		return EINVAL;
	}
	if ((flags & O_EXCL) && !(flags & O_CREAT)) {
		snprintf(detail, dlen, "O_EXCL without O_CREAT is not allowed");
		return EINVAL;
	}
	if (acc == O_RDONLY || acc == O_RDWR)
		*need |= POL_R_READ;
	/* append alone is O_WRONLY|O_APPEND: an O_RDWR fd can be mapped
	 * shared and writable, which rewrites bytes whatever O_APPEND says */
	if (acc == O_WRONLY)
		*need |= (flags & O_APPEND) ? POL_R_APPEND : POL_R_WRITE;
	if (acc == O_RDWR)
		*need |= POL_R_WRITE;
	if (flags & O_CREAT)
		*need |= POL_R_CREATE;
	if (flags & O_TRUNC)
		*need |= POL_R_TRUNCATE;
	return 0;
}

/* Does rule r cover norm?  Beneath: the root itself or below it, on a
 * component boundary (/srv/a does not cover /srv/ab). */
static int covers(const struct pol_file *r, const char *norm, const char **rest)
{
	size_t n = strlen(r->path);
	while (n > 1 && r->path[n - 1] == '/')
		n--;
	if (!r->beneath) {
		*rest = NULL;
		return strlen(norm) == n && !strncmp(norm, r->path, n);
	}
	if (n == 1) { /* beneath "/" */
		*rest = norm[1] ? norm + 1 : ".";
		return 1;
	}
	if (strncmp(norm, r->path, n) != 0)
		return 0;
	if (norm[n] == '\0') {
		*rest = ".";
		return 1;
	}
	if (norm[n] != '/')
		return 0;
	*rest = norm + n + 1;
	return 1;
}

/* fs_decide copies the part of norm below a root into rel whole */
_Static_assert(sizeof(((struct fs_decision *)0)->rel) >= sizeof(((struct fs_decision *)0)->norm),
               "rel holds any end of norm");

int fs_decide(const struct policy *p, const char *path, int op, int flags_or_mode,
              struct fs_decision *d)
{
	unsigned need = 0;
	int rc, covered = -1;
	char have[64], want[64];

	/* not a memset of the 8 KiB: each field is set here or where it is
	 * decided (rel beneath a root; its readers check the rule first) */
	d->rule = -1;
	d->rel[0] = d->norm[0] = d->detail[0] = '\0';
	d->want_dir = 0;
	d->flags = 0;
	d->confined = 0; /* the caller says so (fs_serve_open) */
	d->op = op;
	d->arg = flags_or_mode;
	rc = fs_normalise(path, d->norm, sizeof(d->norm), &d->want_dir, d->detail,
	                  sizeof(d->detail));
	if (rc)
		return rc;
	switch (op) {
	case FS_OP_OPEN:
		rc = open_needs(flags_or_mode, &need, d->detail, sizeof(d->detail));
		if (rc)
			return rc;
		d->flags = flags_or_mode | O_CLOEXEC | O_NOCTTY | O_LARGEFILE;
		if (d->want_dir)
			d->flags |= O_DIRECTORY;
		break;
	case FS_OP_STAT:
		need = POL_R_STAT;
		break;
	case FS_OP_READLINK:
		need = POL_R_READLINK;
		break;
	case FS_OP_ACCESS:
		if (flags_or_mode & ~(R_OK | W_OK | X_OK)) {
			snprintf(d->detail, sizeof(d->detail), "access mode 0%o is not valid",
			         flags_or_mode);
			return EINVAL;
		}
		if (flags_or_mode & X_OK) {
			snprintf(d->detail, sizeof(d->detail),
			         "the broker grants no execute access");
			return EACCES;
		}
		need = POL_R_STAT;
		if (flags_or_mode & R_OK)
			need |= POL_R_READ;
		break;
	default:
		return EINVAL;
	}
	/* the most specific covering rule decides: an exact path over a
	 * root, a deeper root over a shallower one */
	size_t best_len = 0;
	for (size_t i = 0; p && i < p->nfiles; i++) {
		const char *rest;
		size_t l = strlen(p->files[i].path) + (p->files[i].beneath ? 0 : 8192);
		if (covers(&p->files[i], d->norm, &rest) && (covered < 0 || l > best_len)) {
			covered = (int)i;
			best_len = l;
			/* rest is "." or the end of norm, which is no longer
			 * than rel: it fits whole (a plain copy: this runs for
			 * every brokered open, a printf cost more than it) */
			if (rest)
				memcpy(d->rel, rest, strlen(rest) + 1);
		}
	}
	if (covered < 0) {
		snprintf(d->detail, sizeof(d->detail), "no rule allows %s", d->norm);
		return EACCES;
	}
	const struct pol_file *r = &p->files[covered];
	d->rule = covered;
	if (op == FS_OP_ACCESS && (flags_or_mode & W_OK) &&
	    !(r->rights & (POL_R_WRITE | POL_R_APPEND))) {
		snprintf(d->detail, sizeof(d->detail),
		         "denied by %s:%d (%s \"%s\" allow %s): no write", r->loc.file, r->loc.line,
		         r->beneath ? "beneath" : "path", r->path,
		         pol_rights_text(r->rights, have, sizeof(have)));
		return EACCES;
	}
	/* append is the narrower write: a write right covers it */
	if ((need & POL_R_APPEND) && (r->rights & POL_R_WRITE))
		need = (need & ~POL_R_APPEND) | POL_R_WRITE;
	if ((need & r->rights) != need) {
		snprintf(d->detail, sizeof(d->detail),
		         "denied by %s:%d (%s \"%s\" allow %s): %s needed%s", r->loc.file,
		         r->loc.line, r->beneath ? "beneath" : "path", r->path,
		         pol_rights_text(r->rights, have, sizeof(have)),
		         pol_rights_text(need & ~r->rights, want, sizeof(want)),
		         (r->rights & POL_R_APPEND) && (need & ~r->rights & POL_R_WRITE)
		             ? " (append alone opens O_WRONLY|O_APPEND only)"
		             : "");
		return EACCES;
	}
	return 0;
}
