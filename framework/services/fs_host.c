/* SPDX-License-Identifier: ISC */
/*
 * services/fs_host.c - the file broker, the helper's side.
 *
 * The worker cannot open files; it asks.  The helper checks the path and
 * the flags against the file rules of the worker's policy (strings first,
 * only to refuse early), then opens race-free: beneath a root, relative to
 * a directory fd opened when the policy was loaded (again when it is
 * loaded again and the path names another directory), with openat2 and
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (| RESOLVE_NO_SYMLINKS unless the
 * rule allows symlinks).  Only regular files, and directories when the
 * rule says directory (a directory fd reaches past the root through
 * fstatat(dirfd, "..")), FIFOs, sockets and devices when it says special;
 * a FIFO or device never blocks the helper.  Nothing on a pseudo
 * filesystem (procfs, sysfs, ...: pseudofs.c) unless the rule names it:
 * opened by the helper, /proc/self is the helper.  What is there is looked
 * at before the real open, so the helper never opens what it refuses: by
 * one statx of the path when that suffices to let it through (its mount's
 * filesystem already known), otherwise through an O_PATH fd opened as
 * the rule says, which alone refuses; the opened fd must then be the file
 * looked at.  Under a rule that says symlinks and has a deeper rule
 * beneath its root, where the look went is decided again by its name
 * in the root (fs_target.c): a symlink lends no rights to what a deeper
 * rule covers.  An append-only grant opens only O_WRONLY|O_APPEND.
 * Every refusal names the rule, or says that none allows the path.
 *
 * A request comes with its context (struct fs_ctx: the worker's policy,
 * the roots opened for it, and the function that logs a refusal): the
 * broker knows nothing of the helper's workers.  The rules are
 * fs_rules.c's; the worker's calls are the client's (client/fs_client.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "proto.h"

/* ---- opening (the helper) ---- */

static int openat2_(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

static const char *kind(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISSOCK(m) ? "a socket"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISLNK(m)  ? "a symlink"
	                     : "not a regular file";
}

/* Is a file on a filesystem of type t one the rule may not reach?  0, or
 * -1 with errno EACCES and detail set. */
static int pseudo_type_refused(const struct pol_file *r, const struct fs_decision *d,
                               unsigned long t, char *detail, size_t dlen)
{
	const char *name = "?";
	unsigned bit = pol_pseudofs_of(t, &name);
	if (!bit || (r->fs & bit))
		return 0;
	snprintf(detail, dlen, "%s is on %s, and %s:%d does not say fs %s", d->norm, name,
	         r->loc.file, r->loc.line, name);
	errno = EACCES;
	return -1;
}

/* Is fd (an O_PATH look) on a pseudo filesystem the rule does not name?
 * 0, or -1 with errno EACCES and detail set. */
static int pseudo_refused(const struct pol_file *r, const struct fs_decision *d, int fd,
                          char *detail, size_t dlen)
{
	struct statfs sfs;
	if (fstatfs(fd, &sfs) < 0) {
		snprintf(detail, dlen, "%s: fstatfs: %s", d->norm, strerror(errno));
		return -1;
	}
	return pseudo_type_refused(r, d, (unsigned long)sfs.f_type, detail, dlen);
}

/* May the broker hand out an fd of a file of mode m?  0, or -1 with
 * errno (EISDIR for a directory, EACCES for a special file) and detail. */
static int kind_refused(const struct pol_file *r, const struct fs_decision *d, mode_t m,
                        char *detail, size_t dlen)
{
	if (S_ISDIR(m)) { /* special does not imply directory */
		if (r->directory)
			return 0;
		snprintf(detail, dlen, "%s is a directory, and %s:%d does not say directory",
		         d->norm, r->loc.file, r->loc.line);
		errno = EISDIR;
		return -1;
	}
	if (S_ISREG(m) || r->special)
		return 0;
	snprintf(detail, dlen, "%s is %s, and %s:%d does not say special", d->norm, kind(m),
	         r->loc.file, r->loc.line);
	errno = EACCES;
	return -1;
}

/* Under a rule that says symlinks, with a deeper rule beneath its root:
 * fd (an O_PATH look, through whatever symlinks the rule let it go) is
 * decided again by the name it has in the root (with last, the name of a
 * file to create in the directory fd), so that a symlink never lends the
 * rule's rights to what a deeper rule covers; the deeper rule's kinds and
 * filesystems hold too (mode and f_type of what was looked at, 0 for a
 * directory to create in).  0, or -1 with errno and detail. */
static int target_refused(const struct fs_root *roots, const struct policy *pol,
                          const struct fs_decision *d, int fd, const char *last, mode_t mode,
                          unsigned long f_type, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct fs_decision t; /* 8 KiB, as the caller's own */
	char name[PATH_MAX];
	int rc;
	if (!r->beneath || !r->symlinks || !fs_rule_has_deeper(pol, d->rule))
		return 0;
	if (!roots || (size_t)d->rule >= roots->n ||
	    fs_target_name(r, roots->fd[d->rule], fd, last, name, sizeof(name)) < 0) {
		snprintf(detail, dlen, "%s: where it leads cannot be told", d->norm);
		errno = EACCES;
		return -1;
	}
	if (!strcmp(name, d->norm))
		return 0;
	if ((rc = fs_decide(pol, name, d->op, d->arg, &t)) != 0) {
		snprintf(detail, dlen, "%s leads to %.1024s: %s", d->norm, name, t.detail);
		errno = rc;
		return -1;
	}
	if (t.rule == d->rule)
		return 0;
	if ((mode && kind_refused(&pol->files[t.rule], &t, mode, detail, dlen) < 0) ||
	    pseudo_type_refused(&pol->files[t.rule], &t, f_type, detail, dlen) < 0)
		return -1;
	return 0;
}

/* The directory fd an exact path rule's file is opened from, and the
 * name in it; -1 when the rule has none (it allows symlinks, or the
 * directory could not be opened when the policy was loaded): then the
 * whole path is walked, from /. */
static int exact_dirfd(const struct fs_root *roots, const struct pol_file *r,
                       const struct fs_decision *d, const char **name)
{
	const char *slash;
	if (r->beneath || r->symlinks || !roots || d->rule < 0 || (size_t)d->rule >= roots->n ||
	    roots->fd[d->rule] < 0 || !(slash = strrchr(d->norm, '/')) || !slash[1])
		return -1;
	*name = slash + 1;
	return roots->fd[d->rule];
}

/* Open d's path as its rule says; flags O_PATH for a look without side
 * effects.  -1 with errno mapped for the worker and detail set. */
static int rule_open(const struct fs_root *roots, const struct pol_file *r,
                     const struct fs_decision *d, int flags, mode_t mode, char *detail, size_t dlen)
{
	struct open_how how = {0};
	int base = AT_FDCWD, fd;
	const char *p = d->norm;
	how.flags = (uint64_t)flags;
	how.mode = (flags & O_CREAT) ? mode : 0;
	how.resolve = RESOLVE_NO_MAGICLINKS;
	if (r->beneath) {
		base = roots ? roots->fd[d->rule] : -1;
		if (base < 0) {
			snprintf(detail, dlen,
			         "the root %s could not be opened when the policy was loaded",
			         r->path);
			errno = EACCES;
			return -1;
		}
		p = d->rel;
		how.resolve |= RESOLVE_BENEATH;
		if (!r->symlinks)
			how.resolve |= RESOLVE_NO_SYMLINKS;
	} else if ((base = exact_dirfd(roots, r, d, &p)) >= 0) {
		/* its one name in the directory opened when the policy was
		 * loaded (as the walk from / would, no symlink): the quick
		 * look's start too, so the two cannot part */
		how.resolve |= RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
	} else if (!r->symlinks) {
		base = AT_FDCWD;
		p = d->norm;
		how.resolve |= RESOLVE_NO_SYMLINKS; /* no component may be a symlink */
	} else {
		base = AT_FDCWD;
		p = d->norm;
	}
	fd = openat2_(base, p, &how);
	if (fd >= 0)
		return fd;
	switch (errno) {
	case EXDEV:
		snprintf(detail, dlen, "%s escapes the root %s", d->norm, r->path);
		errno = EACCES;
		break;
	case ELOOP:
		snprintf(detail, dlen, "%s goes through a symlink, which %s:%d does not allow",
		         d->norm, r->loc.file, r->loc.line);
		errno = EACCES;
		break;
	case EACCES:
		/* the rule allows it, the kernel refused: which rule (its
		 * file and line; the worker has the path), and why, short
		 * enough for PRIVSEP_DETAIL_MAX with a policy path of 100 */
		snprintf(detail, dlen, "%s:%d allows it; the kernel refused the open: %s",
		         r->loc.file, r->loc.line,
		         d->confined
		             ? "Landlock grants the file there at the confine, not one "
		               "renamed over it since; or its mode refuses the helper"
		             : "the file's mode refuses the helper, or a security module does");
		errno = EACCES;
		break;
	default:
		snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
	}
	return -1;
}

/* Look, without opening it, at the directory a file would be created in:
 * nothing is created on a pseudo filesystem the rule does not name. */
static int parent_refused(const struct fs_root *roots, const struct policy *pol,
                          const struct fs_decision *d, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct fs_decision up;
	struct statfs sfs;
	const char *name;
	char *cut;
	int fd, rc;
	fd = exact_dirfd(roots, r, d, &name);
	if (fd >= 0) /* an exact path's directory, already open */
		return pseudo_refused(r, d, fd, detail, dlen);
	up = *d;
	if (r->beneath) {
		cut = strrchr(up.rel, '/');
		if (cut)
			*cut = '\0';
		else
			snprintf(up.rel, sizeof(up.rel), ".");
	} else {
		cut = strrchr(up.norm, '/');
		if (cut == up.norm)
			cut[1] = '\0';
		else if (cut)
			*cut = '\0';
	}
	fd = rule_open(roots, r, &up, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, detail, dlen);
	if (fd < 0)
		return -1;
	rc = pseudo_refused(r, d, fd, detail, dlen);
	if (!rc && fstatfs(fd, &sfs) == 0)
		rc = target_refused(roots, pol, d, fd, strrchr(d->norm, '/') + 1, 0,
		                    (unsigned long)sfs.f_type, detail, dlen);
	close(fd);
	return rc;
}

/* What the look saw: the file's kind and identity, and its mount's unique
 * id when the kernel gives one (0 otherwise). */
struct seen {
	mode_t mode;
	dev_t dev;
	ino_t ino;
	uint64_t mnt;
};

/* The unique id of a mount (Linux 6.8): never reused while the system
 * runs, unlike STATX_MNT_ID's. */
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* stx_mnt_id, which glibc 2.36's struct statx calls padding (the
 * kernel's layout: right after stx_dev_minor, at 0x90). */
static uint64_t stx_mnt(const struct statx *s)
{
	uint64_t m;
	_Static_assert(offsetof(struct statx, stx_dev_minor) + 4 == 0x90, "statx layout");
	memcpy(&m, (const char *)s + 0x90, sizeof(m));
	return (s->stx_mask & STATX_MNT_ID_UNIQUE) ? m : 0;
}

static void seen_of(const struct statx *s, struct seen *v)
{
	v->mode = s->stx_mode;
	v->dev = makedev(s->stx_dev_major, s->stx_dev_minor);
	v->ino = (ino_t)s->stx_ino;
	v->mnt = stx_mnt(s);
}

/* The filesystem type of the mounts looked at, by unique mount id: a
 * mount's superblock, so its type, never changes, and its unique id is
 * never given to another mount, so an entry can never be wrong; only the
 * look on a mount not seen lately pays the fstatfs.  A few entries per
 * thread (the helper and privsep-run serve in one), replaced in turn. */
#define FS_MNT_CACHE 16
static _Thread_local struct {
	uint64_t mnt[FS_MNT_CACHE];
	unsigned long type[FS_MNT_CACHE];
	unsigned next;
} mnt_cache;

static int mnt_type(uint64_t mnt, unsigned long *type)
{
	for (unsigned i = 0; mnt && i < FS_MNT_CACHE; i++)
		if (mnt_cache.mnt[i] == mnt) {
			*type = mnt_cache.type[i];
			return 1;
		}
	return 0;
}

static void mnt_type_keep(uint64_t mnt, unsigned long type)
{
	unsigned long t;
	if (!mnt || mnt_type(mnt, &t))
		return;
	mnt_cache.mnt[mnt_cache.next] = mnt;
	mnt_cache.type[mnt_cache.next] = type;
	mnt_cache.next = (mnt_cache.next + 1) % FS_MNT_CACHE;
}

/* The quick look: one statx of the path's last component, from the
 * directory fd it is in (the rule's root for a file right beneath it,
 * the directory of an exact path, both opened when the policy was
 * loaded), without following a symlink, and the type of its filesystem
 * from the mount cache; no fd is made.  One component from a directory
 * fd walks nowhere the open would not: no symlink, no magic link, no
 * automount (AT_NO_AUTOMOUNT) in between.  It can only let a file
 * through, never refuse one: 1 when the file is there, of a kind the
 * rule allows, on a filesystem it may reach (v filled); 0 for everything
 * else (deeper paths among them), which the full look then decides with
 * the open's own RESOLVE_* flags and words.  A file it lets through is
 * opened with the RESOLVE_* flags and must be the very file looked at
 * (st_dev, st_ino). */
static int quick_look(const struct fs_root *roots, const struct pol_file *r,
                      const struct fs_decision *d, struct seen *v)
{
	struct statx sx;
	unsigned long type;
	const char *p, *name;
	unsigned bit;
	int base = roots && d->rule >= 0 && (size_t)d->rule < roots->n ? roots->fd[d->rule] : -1;
	if (base < 0)
		return 0;
	if (r->beneath) {
		p = d->rel;
		if (strchr(p, '/'))
			return 0;
	} else if (exact_dirfd(roots, r, d, &p) < 0) {
		return 0;
	}
	if (statx(base, p, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_AS_STAT,
	          STATX_TYPE | STATX_INO | STATX_MNT_ID_UNIQUE, &sx) < 0)
		return 0;
	seen_of(&sx, v);
	if (!(S_ISREG(v->mode) || (S_ISDIR(v->mode) && r->directory) ||
	      (r->special && !S_ISDIR(v->mode) && !S_ISLNK(v->mode))) ||
	    ((d->flags & O_DIRECTORY) && !S_ISDIR(v->mode)) || !mnt_type(v->mnt, &type))
		return 0;
	bit = pol_pseudofs_of(type, &name);
	return !bit || (r->fs & bit);
}

/* The full look: an O_PATH open as the rule says (RESOLVE_*), its statx
 * and fstatfs.  1: looked and allowed; 0: not there (ENOENT, for a
 * create); -1: refused or failed (errno, detail). */
static int full_look(const struct fs_root *roots, const struct policy *pol,
                     const struct fs_decision *d, struct seen *v, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct statx sx;
	struct statfs sfs;
	int probe, e;
	probe = rule_open(roots, r, d, O_PATH | O_CLOEXEC | (d->flags & (O_DIRECTORY | O_NOFOLLOW)),
	                  0, detail, dlen);
	if (probe < 0)
		return errno == ENOENT && (d->flags & O_CREAT) ? 0 : -1;
	if (statx(probe, "", AT_EMPTY_PATH, STATX_TYPE | STATX_INO | STATX_MNT_ID_UNIQUE, &sx) <
	    0) {
		snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
		goto fail;
	}
	seen_of(&sx, v);
	if (S_ISLNK(v->mode) && (d->flags & O_NOFOLLOW)) {
		/* as open(2) answers O_NOFOLLOW on a symlink */
		snprintf(detail, dlen, "%s is a symlink, and O_NOFOLLOW", d->norm);
		errno = ELOOP;
		goto fail;
	}
	if (kind_refused(r, d, v->mode, detail, dlen) < 0)
		goto fail;
	if (fstatfs(probe, &sfs) < 0) {
		snprintf(detail, dlen, "%s: fstatfs: %s", d->norm, strerror(errno));
		goto fail;
	}
	mnt_type_keep(v->mnt, (unsigned long)sfs.f_type);
	if (pseudo_type_refused(r, d, (unsigned long)sfs.f_type, detail, dlen) < 0 ||
	    target_refused(roots, pol, d, probe, NULL, v->mode, (unsigned long)sfs.f_type, detail,
	                   dlen) < 0)
		goto fail;
	close(probe);
	return 1;
fail:
	e = errno;
	close(probe);
	errno = e;
	return -1;
}

/* The real open of what was looked at (existed: 1, or 0 to create it),
 * never blocking on a FIFO, a device or a lease; a file that was not
 * there is created exclusively, so that the mode set below is never set
 * on a file someone else made in between.  The fd, with *after its
 * fstat (of this fd, never of a name: the stat the answer carries); -1
 * with errno and detail; or -2 when the file opened is not the one
 * looked at. */
static int open_looked(const struct fs_root *roots, const struct pol_file *r,
                       const struct fs_decision *d, int existed, const struct seen *before,
                       struct stat *after_out, char *detail, size_t dlen)
{
	struct stat after;
	int fd = rule_open(roots, r, d, d->flags | O_NONBLOCK | (existed ? 0 : O_EXCL),
	                   (mode_t)r->mode, detail, dlen);
	if (fd < 0) {
		if (!existed && errno == EEXIST && !(d->flags & O_EXCL)) {
			snprintf(detail, dlen, "%s appeared while it was being created", d->norm);
			errno = EAGAIN;
		}
		return -1;
	}
	/* still the same file (so the same kind, on the same filesystem); a
	 * created one is a regular file in the directory looked at */
	if (fstat(fd, &after) < 0) {
		snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
		close(fd);
		return -1;
	}
	if ((existed && (after.st_dev != before->dev || after.st_ino != before->ino)) ||
	    (!existed && !S_ISREG(after.st_mode))) {
		snprintf(detail, dlen, "%s changed while it was being opened", d->norm);
		close(fd);
		errno = EAGAIN;
		return -2;
	}
	/* the rule's mode, not the umask's (a confined helper creates under
	 * umask 0 and has no fchmod, helper.policy: never needed there), and
	 * the fd's stat again after it (only a created file whose mode the
	 * umask changed pays it) */
	if (!existed && (after.st_mode & 07777) != ((mode_t)r->mode & 07777)) {
		const char *step = "fchmod";
		if (fchmod(fd, (mode_t)r->mode) < 0 || (step = "fstat", fstat(fd, &after) < 0)) {
			snprintf(detail, dlen, "%s: %s: %s", d->norm, step, strerror(errno));
			close(fd);
			return -1;
		}
	}
	*after_out = after;
	/* back to the status flags asked for.  F_SETFL changes only O_APPEND,
	 * O_NONBLOCK, O_DIRECT and O_NOATIME (FASYNC aside), and of those the
	 * broker opens with O_NONBLOCK and O_APPEND as asked, nothing else: no
	 * F_GETFL is needed to know them */
	if (!(d->flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, d->flags & O_APPEND);
	return fd;
}

int fs_broker_open(const struct fs_root *roots, const struct policy *pol,
                   const struct fs_decision *d, char *detail, size_t dlen)
{
	struct stat st;
	return fs_broker_open_st(roots, pol, d, &st, detail, dlen);
}

int fs_broker_open_st(const struct fs_root *roots, const struct policy *pol,
                      const struct fs_decision *d, struct stat *st, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct seen before = {0};
	int fd, existed;

	/* 1: what is there, without opening it for real: its kind and its
	 * filesystem decide before anything is opened (a rule that says
	 * special is looked at too: /proc/self/mem is a regular file).  The
	 * quick look first; a file that is not the one it saw is looked at
	 * again fully (an exact path's directory replaced since the policy
	 * was loaded, or a race), then refused if it changes again */
	if (quick_look(roots, r, d, &before)) {
		fd = open_looked(roots, r, d, 1, &before, st, detail, dlen);
		if (fd != -2)
			return fd;
	}
	existed = full_look(roots, pol, d, &before, detail, dlen);
	if (existed < 0)
		return -1;
	if (!existed && parent_refused(roots, pol, d, detail, dlen) < 0)
		return -1;
	/* 2: the real open, and 3: the same file */
	fd = open_looked(roots, r, d, existed, &before, st, detail, dlen);
	return fd < 0 ? -1 : fd;
}

int fs_broker_look(const struct fs_root *roots, const struct policy *pol,
                   const struct fs_decision *d, int flags, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct statfs sfs;
	int fd = rule_open(roots, r, d, flags, 0, detail, dlen);
	/* a look opens nothing: the deeper rule's rights and filesystems
	 * decide, not its kinds */
	if (fd >= 0 && (pseudo_refused(r, d, fd, detail, dlen) < 0 ||
	                (r->symlinks && r->beneath &&
	                 (fstatfs(fd, &sfs) < 0 ||
	                  target_refused(roots, pol, d, fd, NULL, 0, (unsigned long)sfs.f_type,
	                                 detail, dlen) < 0)))) {
		close(fd);
		errno = EACCES;
		fd = -1;
	}
	return fd;
}

/* The directory an exact path is in, opened as the walk from / would
 * reach it (no magic link, no symlink), when the policy is loaded: its
 * file is then looked at and opened by its one name in it (exact_dirfd).
 * -1 for a rule that allows symlinks (a symlink at the end may lead out
 * of that directory) or when it cannot be opened: the whole path is
 * walked then, as before. */
static int exact_dir_open(const struct pol_file *f)
{
	char norm[PATH_MAX], why[64], *slash;
	int want_dir;
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	                       .resolve = RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS};
	if (f->symlinks ||
	    fs_normalise(f->path, norm, sizeof(norm), &want_dir, why, sizeof(why)) != 0 ||
	    !(slash = strrchr(norm, '/')) || !slash[1])
		return -1;
	if (slash == norm)
		slash[1] = '\0';
	else
		*slash = '\0';
	return openat2_(AT_FDCWD, norm, &how);
}

/* Exact path rules whose directory is kept for the quick look: a
 * bound on the helper's fds (a policy of a thousand exact paths must not
 * take a thousand); the rules after these are looked at fully. */
#define FS_EXACT_DIRS 32

int fs_roots_open(struct fs_root *roots, const struct policy *pol,
                  void (*warn)(void *arg, const struct pol_file *f, int err), void *arg)
{
	unsigned exact = 0;
	roots->n = pol->nfiles;
	roots->fd = roots->n ? malloc(roots->n * sizeof(int)) : NULL;
	if (roots->n && !roots->fd) {
		roots->n = 0; /* every beneath rule then refuses: fail closed */
		errno = ENOMEM;
		return -1;
	}
	for (size_t i = 0; i < roots->n; i++) {
		const struct pol_file *f = &pol->files[i];
		roots->fd[i] = -1;
		if (!f->beneath) {
			if (exact++ < FS_EXACT_DIRS)
				roots->fd[i] = exact_dir_open(f);
			continue;
		}
		roots->fd[i] = open(f->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (roots->fd[i] < 0 && warn)
			warn(arg, f, errno);
	}
	return 0;
}

void fs_roots_refresh(struct fs_root *roots, const struct policy *pol,
                      void (*warn)(void *arg, const struct pol_file *f, int err), void *arg)
{
	/* statx and openat2, which a confined helper's policy allows */
	struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC};
	unsigned exact = 0;
	for (size_t i = 0; i < roots->n && i < pol->nfiles; i++) {
		const struct pol_file *f = &pol->files[i];
		struct statx now, had;
		int fd;
		if (!f->beneath) { /* an exact path's directory: as it is now */
			fd = exact++ < FS_EXACT_DIRS ? exact_dir_open(f) : -1;
			if (roots->fd[i] >= 0)
				close(roots->fd[i]);
			roots->fd[i] = fd;
			continue;
		}
		/* the same directory still there: keep its fd */
		if (roots->fd[i] >= 0 && statx(AT_FDCWD, f->path, 0, STATX_INO, &now) == 0 &&
		    statx(roots->fd[i], "", AT_EMPTY_PATH, STATX_INO, &had) == 0 &&
		    now.stx_dev_major == had.stx_dev_major &&
		    now.stx_dev_minor == had.stx_dev_minor && now.stx_ino == had.stx_ino)
			continue;
		fd = openat2_(AT_FDCWD, f->path, &how);
		/* gone or not a directory now: the rule refuses every path
		 * rather than serve the directory that was there */
		if (fd < 0 && warn)
			warn(arg, f, errno);
		if (roots->fd[i] >= 0)
			close(roots->fd[i]);
		roots->fd[i] = fd;
	}
}

void fs_roots_close(struct fs_root *roots)
{
	for (size_t i = 0; i < roots->n; i++)
		if (roots->fd[i] >= 0)
			close(roots->fd[i]);
	free(roots->fd);
	roots->fd = NULL;
	roots->n = 0;
}

/* ---- the requests ---- */

/* One line per refusal: the worker chose the path, so it is escaped like
 * a worker's own log line, and the lines are rate-limited per worker like
 * them (a flood of refused paths must not fill the log or hide what
 * matters).  A path that does not exist beneath an allowed root is no
 * refusal of the rules: debug level. */
static void deny_log(const struct fs_ctx *ctx, const char *what, const char *path, int err,
                     const char *detail)
{
	if (ctx->refused)
		ctx->refused(ctx->arg, what, path, err, detail);
}

/* Parse "[u32 num,] str path" exactly; NULL if malformed. */
static const char *req_path(struct privsep_req *req, int with_num, uint32_t *num)
{
	struct privsep_reader r;
	const char *path;
	privsep_reader_init(&r, req->data, req->len);
	if (with_num)
		privsep_reader_get_u32(&r, num);
	if (privsep_reader_get_str(&r, &path, NULL) < 0 || privsep_reader_end(&r) < 0)
		return NULL;
	return path;
}

static int decide_or_fail(struct privsep_req *req, const struct fs_ctx *ctx, const char *what,
                          const char *path, int op, int arg, struct fs_decision *d)
{
	const struct policy *pol = ctx->pol;
	int rc;
	if (!pol) {
		rc = EACCES;
		snprintf(d->detail, sizeof(d->detail),
		         "this worker has no policy, so no file rules");
	} else {
		rc = fs_decide(pol, path, op, arg, d);
	}
	if (rc) {
		deny_log(ctx, what, path, rc, d->detail);
		return privsep_req_fail(req, rc, "%s", d->detail);
	}
	return 0;
}

/* An O_PATH look at what d decided, for stat, readlink and access: what
 * it says of a pseudo filesystem is the helper's (/proc/self/exe, the
 * status of /proc/self/environ), so those are refused as open refuses
 * them.  The fd, or -1 with errno and detail (a refusal logged). */
static int look(const struct fs_ctx *ctx, const char *what, const char *path,
                const struct fs_decision *d, int flags, char *detail, size_t dlen)
{
	int fd = fs_broker_look(ctx->roots, ctx->pol, d, flags, detail, dlen);
	if (fd < 0 && errno == EACCES)
		deny_log(ctx, what, path, EACCES, detail);
	return fd;
}

/* FS_STAT's body, and FS_OPEN's with PROTO_FS_OPEN_STAT: nine u64. */
static void put_stat(struct privsep_writer *w, const struct stat *st)
{
	const uint64_t f[PROTO_FS_STAT_FIELDS] = {st->st_dev,
	                                          st->st_ino,
	                                          st->st_mode,
	                                          st->st_nlink,
	                                          st->st_uid,
	                                          st->st_gid,
	                                          (uint64_t)st->st_size,
	                                          (uint64_t)st->st_mtim.tv_sec,
	                                          (uint64_t)st->st_mtim.tv_nsec};
	for (size_t i = 0; i < PROTO_FS_STAT_FIELDS; i++)
		privsep_writer_put_u64(w, f[i]);
}

int fs_serve_open(struct privsep_req *req, const struct fs_ctx *ctx)
{
	struct fs_decision d;
	uint32_t flags = 0;
	const char *path = req_path(req, 1, &flags);
	char detail[PRIVSEP_DETAIL_MAX];
	struct stat st;
	int rc, fd, with_stat;
	if (!path)
		return PRIVSEP_VIOLATION;
	/* revision 1.6: the answer carries the fd's stat; not an open flag */
	with_stat = (flags & PROTO_FS_OPEN_STAT) != 0;
	flags &= ~PROTO_FS_OPEN_STAT;
	if ((rc = decide_or_fail(req, ctx, "open", path, FS_OP_OPEN, (int)flags, &d)))
		return rc;
	d.confined = ctx->confined;
	fd = fs_broker_open_st(ctx->roots, ctx->pol, &d, &st, detail, sizeof(detail));
	if (fd < 0) {
		rc = errno;
		deny_log(ctx, "open", path, rc, detail);
		return privsep_req_fail(req, rc, "%s", detail);
	}
	if (with_stat)
		put_stat(&req->reply, &st);
	return privsep_req_reply_fd(req, fd) < 0 ? errno : 0;
}

int fs_serve_stat(struct privsep_req *req, const struct fs_ctx *ctx)
{
	struct fs_decision d;
	const char *path = req_path(req, 0, NULL);
	char detail[PRIVSEP_DETAIL_MAX] = "";
	struct stat st;
	int rc, fd;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, ctx, "stat", path, FS_OP_STAT, 0, &d)))
		return rc;
	fd = look(ctx, "stat", path, &d, O_PATH | O_CLOEXEC | (d.want_dir ? O_DIRECTORY : 0),
	          detail, sizeof(detail));
	if (fd < 0)
		return privsep_req_fail(req, errno, "%s", detail);
	if (fstat(fd, &st) < 0) {
		rc = errno;
		close(fd);
		return privsep_req_fail(req, rc, "%s: %s", d.norm, strerror(rc));
	}
	close(fd);
	put_stat(&req->reply, &st);
	return 0;
}

int fs_serve_readlink(struct privsep_req *req, const struct fs_ctx *ctx)
{
	struct fs_decision d;
	const char *path = req_path(req, 0, NULL);
	char detail[PRIVSEP_DETAIL_MAX], target[PATH_MAX];
	int rc, fd;
	ssize_t n;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, ctx, "readlink", path, FS_OP_READLINK, 0, &d)))
		return rc;
	fd = look(ctx, "readlink", path, &d, O_PATH | O_CLOEXEC | O_NOFOLLOW, detail,
	          sizeof(detail));
	if (fd < 0)
		return privsep_req_fail(req, errno, "%s", detail);
	n = readlinkat(fd, "", target, sizeof(target) - 1);
	rc = errno;
	close(fd);
	if (n < 0)
		return privsep_req_fail(req, rc == ENOENT ? EINVAL : rc, "%s is not a symlink",
		                        d.norm);
	target[n] = '\0';
	privsep_writer_put_str(&req->reply, target);
	return 0;
}

int fs_serve_access(struct privsep_req *req, const struct fs_ctx *ctx)
{
	struct fs_decision d;
	uint32_t mode = 0;
	const char *path = req_path(req, 1, &mode);
	char detail[PRIVSEP_DETAIL_MAX];
	int rc, fd;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, ctx, "access", path, FS_OP_ACCESS, (int)mode, &d)))
		return rc;
	fd = look(ctx, "access", path, &d, O_PATH | O_CLOEXEC | (d.want_dir ? O_DIRECTORY : 0),
	          detail, sizeof(detail));
	if (fd < 0)
		return privsep_req_fail(req, errno, "%s", detail);
	close(fd);
	return 0;
}
