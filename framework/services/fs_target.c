/* SPDX-License-Identifier: ISC */
/*
 * services/fs_target.c - where a path went, for the file broker's rules.
 *
 * Under a rule that says symlinks, a name beneath its root may lead, by a
 * symlink that stays in the root, to a file or directory a deeper rule of
 * the policy covers (a deeper root, or an exact path), whose rights are
 * narrower.  The rules decide by the file's name in the root, not only by
 * the name asked for: the name is what the kernel reports for the fd
 * looked at (/proc/self/fd/N), taken relative to what it reports for the
 * root's fd, and put under the rule's path as the policy spells it (so a
 * root reached through a symlink of its own still matches its rules).
 * Only such a rule, with a deeper rule beneath it, pays for this.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"

/* r's path without its trailing slashes: its length. */
static size_t trimmed(const char *p)
{
	size_t n = strlen(p);
	while (n > 1 && p[n - 1] == '/')
		n--;
	return n;
}

int fs_rule_has_deeper(const struct policy *pol, int rule)
{
	const struct pol_file *r;
	size_t n;
	if (!pol || rule < 0 || (size_t)rule >= pol->nfiles)
		return 0;
	r = &pol->files[rule];
	if (!r->beneath)
		return 0;
	n = trimmed(r->path);
	for (size_t i = 0; i < pol->nfiles; i++) {
		const char *q = pol->files[i].path;
		if ((int)i == rule)
			continue;
		/* beneath "/": every other rule is deeper */
		if (n == 1 || (!strncmp(q, r->path, n) && q[n] == '/' && q[n + 1]))
			return 1;
	}
	return 0;
}

/* What the kernel says fd is, into out: 0, or -1. */
static int fd_path(int fd, char *out, size_t len)
{
	char link[40];
	ssize_t k;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	k = readlink(link, out, len - 1);
	if (k <= 0 || (size_t)k >= len - 1)
		return -1;
	out[k] = '\0';
	return out[0] == '/' ? 0 : -1;
}

int fs_target_name(const struct pol_file *r, int rootfd, int fd, const char *last, char *out,
                   size_t len)
{
	char rp[PATH_MAX], fp[PATH_MAX];
	size_t rn, n = trimmed(r->path);
	const char *rest;
	if (rootfd < 0 || fd_path(rootfd, rp, sizeof(rp)) < 0 || fd_path(fd, fp, sizeof(fp)) < 0)
		return -1;
	rn = strcmp(rp, "/") ? strlen(rp) : 0;
	if (strncmp(fp, rp, rn) || (fp[rn] != '/' && fp[rn] != '\0'))
		return -1; /* not beneath the root (or gone: " (deleted)" is still beneath) */
	rest = fp + rn;
	if ((size_t)snprintf(out, len, "%.*s%s%s%s", (int)(n == 1 ? 0 : n), r->path, rest,
	                     last ? "/" : "", last ? last : "") >= len)
		return -1;
	if (!out[0])
		snprintf(out, len, "/");
	return 0;
}
