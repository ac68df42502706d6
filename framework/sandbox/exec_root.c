/* SPDX-License-Identifier: ISC */
/*
 * exec_root.c - exec mode's root (a root helper, step 3): a tmpfs that
 * holds only what the new image's start needs, bind-mounted read-only,
 * nosuid and nodev: the loader's directories and cache, libprivsep's
 * directory, the program's ELF interpreter, the program itself (its
 * directory: the loader's $ORIGIN), the spawn's read_beneath, and a
 * /proc of the worker's own.  The same set the first Landlock layer lets
 * it read (sandbox_exec.c): Landlock bounds what is opened there, this
 * root what exists at all, so that a stat by path (which Landlock does
 * not bound, nor the filter: glibc's fstat is newfstatat with a path)
 * finds nothing of the host's (/etc/shadow: ENOENT).
 *
 * The helper plans the root before the fork (sandbox_exec_root_plan:
 * realpath and lstat, which allocate), as a list of operations on paths;
 * the child only carries them out (mkdir, symlink, mount), on a tmpfs
 * mounted over /proc in its own mount namespace (never a directory a
 * bind's source can be beneath: the host's /proc is not in the set, the
 * worker gets a /proc of its own), then pivot_root into it, the old root
 * detached, and the tmpfs made read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

/* where the child builds the root: never a bind's source */
#define STAGE "/proc"

enum { OP_DIR = 'd', OP_LINK = 'l', OP_BIND_DIR = 'B', OP_BIND_FILE = 'F' };

struct rplan {
	char *ops;
	size_t len, cap;
	char binds[SB_ROOT_BINDS_MAX][PATH_MAX];
	size_t nbinds;
	int full;
};

/* Whether op on path a is planned already (each costs the child a
 * syscall: a directory or link is made once). */
static int op_has(const struct rplan *r, int op, const char *a)
{
	size_t i = 0;
	while (i < r->len) {
		int o = r->ops[i++];
		const char *x = r->ops + i;
		i += strlen(x) + 1;
		if (o == OP_LINK)
			i += strlen(r->ops + i) + 1;
		if (o == op && !strcmp(x, a))
			return 1;
	}
	return 0;
}

static void op_add(struct rplan *r, int op, const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = b ? strlen(b) + 1 : 0;
	if ((op == OP_DIR || op == OP_LINK) && op_has(r, op, a))
		return;
	if (r->len + 1 + la + lb > r->cap) {
		r->full = 1;
		return;
	}
	r->ops[r->len++] = (char)op;
	memcpy(r->ops + r->len, a, la);
	r->len += la;
	if (b) {
		memcpy(r->ops + r->len, b, lb);
		r->len += lb;
	}
}

/* Whether path is base or beneath it. */
static int beneath(const char *path, const char *base)
{
	size_t n = strlen(base);
	if (!strcmp(base, "/"))
		return 1;
	return !strncmp(path, base, n) && (path[n] == '\0' || path[n] == '/');
}

static int in_bind(const struct rplan *r, const char *path)
{
	for (size_t i = 0; i < r->nbinds; i++)
		if (beneath(path, r->binds[i]))
			return 1;
	return 0;
}

/* A directory for each proper prefix of canonical path c (parents
 * first), none inside a bind. */
static void dirs_of(struct rplan *r, const char *c)
{
	char buf[PATH_MAX];
	for (const char *s = strchr(c + 1, '/'); s; s = strchr(s + 1, '/')) {
		snprintf(buf, sizeof(buf), "%.*s", (int)(s - c), c);
		if (in_bind(r, buf))
			return;
		op_add(r, OP_DIR, buf, NULL);
	}
}

/* The path as the new image names it: each symbolic link on the way (a
 * merged /usr's /lib64, say) made again as the same link, its target's
 * directories made, up to where a bind holds the rest. */
static void lexical(struct rplan *r, const char *p)
{
	char real[PATH_MAX] = "", cand[PATH_MAX + 256], text[PATH_MAX], comp[256];
	const char *s = p;

	if (p[0] != '/')
		return;
	while (*s) {
		struct stat st;
		size_t n;
		while (*s == '/')
			s++;
		n = strcspn(s, "/");
		if (!n)
			break;
		if (n >= sizeof(comp))
			return;
		memcpy(comp, s, n);
		comp[n] = '\0';
		s += n;
		if (!strcmp(comp, "."))
			continue;
		if (!strcmp(comp, "..")) {
			char *slash = strrchr(real, '/');
			if (slash)
				*slash = '\0';
			continue;
		}
		snprintf(cand, sizeof(cand), "%s/%s", real, comp);
		if (strlen(cand) >= PATH_MAX || in_bind(r, cand) || lstat(cand, &st) < 0)
			return;
		if (S_ISLNK(st.st_mode)) {
			ssize_t k = readlink(cand, text, sizeof(text) - 1);
			if (k <= 0)
				return;
			text[k] = '\0';
			op_add(r, OP_LINK, cand, text);
			/* on from where it leads, canonical: no link there */
			if (!realpath(cand, real) || in_bind(r, real) || lstat(real, &st) < 0 ||
			    !S_ISDIR(st.st_mode))
				return;
			dirs_of(r, real);
			if (!strcmp(real, "/"))
				real[0] = '\0';
			else
				op_add(r, OP_DIR, real, NULL);
			continue;
		}
		if (S_ISDIR(st.st_mode))
			op_add(r, OP_DIR, cand, NULL);
		snprintf(real, sizeof(real), "%s", cand);
		if (!S_ISDIR(st.st_mode))
			return;
	}
}

/* Add the canonical form of path to the binds, unless it does not exist
 * or is beneath one already (one beneath it is dropped). */
static void bind_add(struct rplan *r, const char *path)
{
	char c[PATH_MAX];
	if (!path || !path[0] || !realpath(path, c) || beneath(c, "/proc"))
		return;
	for (size_t i = 0; i < r->nbinds; i++)
		if (beneath(c, r->binds[i]))
			return;
	for (size_t i = 0; i < r->nbinds;)
		if (beneath(r->binds[i], c))
			memcpy(r->binds[i], r->binds[--r->nbinds], sizeof(r->binds[i]));
		else
			i++;
	if (r->nbinds == SB_ROOT_BINDS_MAX) {
		r->full = 1;
		return;
	}
	snprintf(r->binds[r->nbinds++], PATH_MAX, "%s", c);
}

int sandbox_exec_root_plan(struct sb_plan *plan, const char *const *lp, size_t nlp, char *why,
                           size_t whylen)
{
	struct sb_exec *e = &plan->exec;
	struct rplan *r = calloc(1, sizeof(*r));
	char prog[PATH_MAX], link[64];
	size_t nin = 0;
	const char *in[SB_ROOT_BINDS_MAX + 8];
	ssize_t k;

	if (!r) {
		snprintf(why, whylen, "exec mode's root: out of memory");
		errno = ENOMEM;
		return -1;
	}
	r->ops = e->root_ops;
	r->cap = sizeof(e->root_ops);
	/* the program, by the name its fd was opened with in this
	 * namespace, which the loader's readlink of /proc/self/exe gives */
	snprintf(link, sizeof(link), "/proc/self/fd/%d", e->fd);
	k = readlink(link, prog, sizeof(prog) - 1);
	prog[k > 0 ? k : 0] = '\0';
	if (prog[0] != '/' || strstr(prog, " (deleted)"))
		prog[0] = '\0';
	for (size_t i = 0; i < nlp && nin < SB_ROOT_BINDS_MAX; i++)
		in[nin++] = lp[i];
	if (e->libdir[0])
		in[nin++] = e->libdir;
	if (e->interp[0])
		in[nin++] = e->interp;
	if (prog[0])
		in[nin++] = prog;
	for (size_t i = 0; i < e->nread; i++) {
		if (nin == sizeof(in) / sizeof(in[0])) {
			r->full = 1;
			break;
		}
		if (e->read[i])
			in[nin++] = e->read[i];
	}
	for (size_t i = 0; i < nin; i++)
		bind_add(r, in[i]);
	for (size_t i = 0; i < nin; i++)
		lexical(r, in[i]);
	for (size_t i = 0; i < r->nbinds; i++) {
		struct stat st;
		if (stat(r->binds[i], &st) < 0)
			continue;
		dirs_of(r, r->binds[i]);
		op_add(r, S_ISDIR(st.st_mode) ? OP_BIND_DIR : OP_BIND_FILE, r->binds[i], NULL);
	}
	op_add(r, OP_DIR, "/proc", NULL);
	e->root_len = r->len;
	if (r->full) {
		free(r);
		snprintf(why, whylen,
		         "exec mode's root: more than %d paths or %zu bytes to bind (read_beneath)",
		         SB_ROOT_BINDS_MAX, sizeof(e->root_ops));
		errno = E2BIG;
		return -1;
	}
	free(r);
	e->root_on = 1;
	return 0;
}

/* STAGE followed by path. */
static const char *staged(char *buf, size_t len, const char *path)
{
	snprintf(buf, len, "%s%s", STAGE, path);
	return buf;
}

int sandbox_exec_root_enter(const struct sb_plan *p)
{
	const struct sb_exec *e = &p->exec;
	char at[PATH_MAX + 16];
	size_t i = 0;
	struct mount_attr ro = {.attr_set =
	                            MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};

	if (mount("privsep-exec-root", STAGE, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "size=64k,nr_inodes=4096,mode=0755") < 0)
		return -1;
	while (i < e->root_len) {
		int op = e->root_ops[i++];
		const char *a = e->root_ops + i, *b = NULL;
		i += strlen(a) + 1;
		if (op == OP_LINK) {
			b = e->root_ops + i;
			i += strlen(b) + 1;
		}
		staged(at, sizeof(at), a);
		if (op == OP_DIR) {
			if (mkdir(at, 0755) < 0 && errno != EEXIST)
				return -1;
		} else if (op == OP_LINK) {
			if (symlink(b, at) < 0 && errno != EEXIST)
				return -1;
		} else {
			if (op == OP_BIND_DIR) {
				if (mkdir(at, 0755) < 0 && errno != EEXIST)
					return -1;
			} else if (mknod(at, S_IFREG | 0444, 0) < 0 && errno != EEXIST) {
				/* a file to mount on, with no fd: the worker's
				 * fd limit (step 2) may have none free */
				return -1;
			}
			/* read-only, nosuid, nodev down the whole subtree: a
			 * remount would change the bind's top mount only, and a
			 * mount beneath it (one under /usr, a read_beneath
			 * directory's) would keep its own flags */
			if (mount(a, at, NULL, MS_BIND | MS_REC, NULL) < 0 ||
			    mount_setattr(AT_FDCWD, at, AT_RECURSIVE, &ro, sizeof(ro)) < 0)
				return -1;
		}
	}
	/* its own processes only: the loader's /proc/self/exe, and no other
	 * process's entry (no pid namespace) */
	if (mount("proc", STAGE "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
	          "hidepid=invisible,subset=pid") < 0)
		return -1;
	if (chdir(STAGE) < 0 || syscall(SYS_pivot_root, ".", ".") < 0 ||
	    umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
		return -1;
	return mount(NULL, "/", NULL,
	             MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}
