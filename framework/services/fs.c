/* SPDX-License-Identifier: ISC */
/*
 * services/fs.c - the file broker.
 *
 * The worker cannot open files; it asks.  The helper checks the path and
 * the flags against the file rules of the worker's policy (strings first,
 * only to refuse early), then opens race-free: beneath a root, relative to
 * a directory fd opened once when the policy was loaded, with openat2 and
 * RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS (| RESOLVE_NO_SYMLINKS unless the
 * rule allows symlinks).  Only regular files, and directories when the
 * rule says directory (a directory fd reaches past the root through
 * fstatat(dirfd, "..")), FIFOs, sockets and devices when it says special;
 * a FIFO or device never blocks the helper.  Nothing on a pseudo
 * filesystem (procfs, sysfs, ...: pseudofs.c) unless the rule names it:
 * opened by the helper, /proc/self is the helper.  What is there is looked
 * at through an O_PATH fd before the real open, so the helper never opens
 * what it refuses.  An append-only grant opens only O_WRONLY|O_APPEND.
 * Every refusal names the rule, or says that none allows the path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "helper_int.h"
#include "proto.h"

/* ---- decisions (no I/O) ---- */

int fs_normalise(const char *path, char *out, size_t len, int *want_dir, char *detail, size_t dlen)
{
	size_t o = 0, n = strlen(path);
	const char *s = path;
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
	while (*s) {
		const char *e;
		size_t k;
		while (*s == '/')
			s++; /* // is one separator */
		if (!*s)
			break;
		e = strchr(s, '/');
		k = e ? (size_t)(e - s) : strlen(s);
		if (k == 1 && s[0] == '.') {
			s += k;
			continue;
		}
		if (k == 2 && s[0] == '.' && s[1] == '.') {
			snprintf(detail, dlen, "a .. component is never allowed");
			return EACCES;
		}
		if (o + 1 + k + 1 > len) {
			snprintf(detail, dlen, "path too long");
			return ENAMETOOLONG;
		}
		out[o++] = '/';
		memcpy(out + o, s, k);
		o += k;
		s += k;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
	return 0;
}

static const char *rights_text(unsigned r, char *buf, size_t len)
{
	static const char *const n[] = {"read",     "write", "append",  "create",
	                                "truncate", "stat",  "readlink"};
	size_t o = 0;
	buf[0] = '\0';
	for (int i = 0; i < 7 && o < len; i++)
		if (r & (1u << i))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "," : "", n[i]);
	return buf;
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

int fs_decide(const struct policy *p, const char *path, int op, int flags_or_mode,
              struct fs_decision *d)
{
	unsigned need = 0;
	int rc, covered = -1;
	char have[64], want[64];

	memset(d, 0, sizeof(*d));
	d->rule = -1;
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
			if (rest)
				snprintf(d->rel, sizeof(d->rel), "%s", rest);
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
		         rights_text(r->rights, have, sizeof(have)));
		return EACCES;
	}
	/* append is the narrower write: a write right covers it */
	if ((need & POL_R_APPEND) && (r->rights & POL_R_WRITE))
		need = (need & ~POL_R_APPEND) | POL_R_WRITE;
	if ((need & r->rights) != need) {
		snprintf(d->detail, sizeof(d->detail),
		         "denied by %s:%d (%s \"%s\" allow %s): %s needed%s", r->loc.file,
		         r->loc.line, r->beneath ? "beneath" : "path", r->path,
		         rights_text(r->rights, have, sizeof(have)),
		         rights_text(need & ~r->rights, want, sizeof(want)),
		         (r->rights & POL_R_APPEND) && (need & ~r->rights & POL_R_WRITE)
		             ? " (append alone opens O_WRONLY|O_APPEND only)"
		             : "");
		return EACCES;
	}
	return 0;
}

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

/* Is fd (an O_PATH look, or the opened file) on a pseudo filesystem the
 * rule does not name?  0, or -1 with errno EACCES and detail set. */
static int pseudo_refused(const struct pol_file *r, const struct fs_decision *d, int fd,
                          char *detail, size_t dlen)
{
	struct statfs sfs;
	const char *name = "?";
	unsigned bit;
	if (fstatfs(fd, &sfs) < 0) {
		snprintf(detail, dlen, "%s: fstatfs: %s", d->norm, strerror(errno));
		return -1;
	}
	bit = pol_pseudofs_of((unsigned long)sfs.f_type, &name);
	if (!bit || (r->fs & bit))
		return 0;
	snprintf(detail, dlen, "%s is on %s, and %s:%d does not say fs %s", d->norm, name,
	         r->loc.file, r->loc.line, name);
	errno = EACCES;
	return -1;
}

/* May the broker hand out an fd of what st describes?  0, or -1 with
 * errno (EISDIR for a directory, EACCES for a special file) and detail. */
static int kind_refused(const struct pol_file *r, const struct fs_decision *d,
                        const struct stat *st, char *detail, size_t dlen)
{
	if (S_ISDIR(st->st_mode)) { /* special does not imply directory */
		if (r->directory)
			return 0;
		snprintf(detail, dlen, "%s is a directory, and %s:%d does not say directory",
		         d->norm, r->loc.file, r->loc.line);
		errno = EISDIR;
		return -1;
	}
	if (S_ISREG(st->st_mode) || r->special)
		return 0;
	snprintf(detail, dlen, "%s is %s, and %s:%d does not say special", d->norm,
	         kind(st->st_mode), r->loc.file, r->loc.line);
	errno = EACCES;
	return -1;
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
	} else if (!r->symlinks) {
		how.resolve |= RESOLVE_NO_SYMLINKS; /* no component may be a symlink */
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
	default:
		snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
	}
	return -1;
}

/* Look, without opening it, at the directory a file would be created in:
 * nothing is created on a pseudo filesystem the rule does not name. */
static int parent_refused(const struct fs_root *roots, const struct pol_file *r,
                          const struct fs_decision *d, char *detail, size_t dlen)
{
	struct fs_decision up = *d;
	char *cut;
	int fd, rc;
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
	close(fd);
	return rc;
}

int fs_broker_open(const struct fs_root *roots, const struct policy *pol,
                   const struct fs_decision *d, char *detail, size_t dlen)
{
	const struct pol_file *r = &pol->files[d->rule];
	struct stat before, after;
	int probe, fd, existed = 1;

	/* 1: what is there, without opening it for real: its kind and its
	 * filesystem decide before anything is opened (a rule that says
	 * special is looked at too: /proc/self/mem is a regular file) */
	probe = rule_open(roots, r, d, O_PATH | O_CLOEXEC | (d->flags & (O_DIRECTORY | O_NOFOLLOW)),
	                  0, detail, dlen);
	if (probe < 0) {
		if (errno != ENOENT || !(d->flags & O_CREAT))
			return -1;
		existed = 0;
		if (parent_refused(roots, r, d, detail, dlen) < 0)
			return -1;
	} else {
		if (fstat(probe, &before) < 0) {
			snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
			close(probe);
			return -1;
		}
		if (kind_refused(r, d, &before, detail, dlen) < 0 ||
		    pseudo_refused(r, d, probe, detail, dlen) < 0) {
			int e = errno;
			close(probe);
			errno = e;
			return -1;
		}
		close(probe);
	}
	/* 2: the real open, never blocking on a FIFO or a device; a file that
	 * was not there is created exclusively, so that the mode set below is
	 * never set on a file someone else made in between */
	fd = rule_open(roots, r, d, d->flags | O_NONBLOCK | (existed ? 0 : O_EXCL), (mode_t)r->mode,
	               detail, dlen);
	if (fd < 0) {
		if (!existed && errno == EEXIST && !(d->flags & O_EXCL)) {
			snprintf(detail, dlen, "%s appeared while it was being created", d->norm);
			errno = EAGAIN;
		}
		return -1;
	}
	/* 3: still the same file (so the same kind, on the same filesystem);
	 * a created one is a regular file in the directory looked at */
	if (fstat(fd, &after) < 0) {
		snprintf(detail, dlen, "%s: %s", d->norm, strerror(errno));
		close(fd);
		return -1;
	}
	if ((existed && (after.st_dev != before.st_dev || after.st_ino != before.st_ino)) ||
	    (!existed && !S_ISREG(after.st_mode))) {
		snprintf(detail, dlen, "%s changed while it was being opened", d->norm);
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	if (!existed && fchmod(fd, (mode_t)r->mode) < 0) { /* the rule's mode, not the umask's */
		snprintf(detail, dlen, "%s: fchmod: %s", d->norm, strerror(errno));
		close(fd);
		return -1;
	}
	/* back to the status flags asked for.  F_SETFL changes only O_APPEND,
	 * O_NONBLOCK, O_DIRECT and O_NOATIME (FASYNC aside), and of those the
	 * broker opens with O_NONBLOCK and O_APPEND as asked, nothing else: no
	 * F_GETFL is needed to know them */
	if (!(d->flags & O_NONBLOCK))
		fcntl(fd, F_SETFL, d->flags & O_APPEND);
	return fd;
}

/* ---- the helper's handlers ---- */

/* One line per refusal: the worker chose the path, so it is escaped like
 * a worker's own log line, and the lines are rate-limited per worker like
 * them (a flood of refused paths must not fill the log or hide what
 * matters).  A path that does not exist beneath an allowed root is no
 * refusal of the rules: debug level. */
static void deny_log(struct privsep_req *req, const char *what, const char *path, int err,
                     const char *detail)
{
	struct privsep_worker *w = req->worker;
	struct privsep_helper *h = w->h;
	char p[4 * PROTO_PATH_MAX + 1], d[4 * PRIVSEP_DETAIL_MAX + 1];
	/* a directory refused for want of "directory" is what httpd's 301
	 * asks about: no more a refusal of the path than a missing file */
	int missing = err == ENOENT || err == ENOTDIR || err == EISDIR;

	if (!log_bucket_take(h, &w->denyrl, strlen(path) + strlen(detail)))
		return;
	if (w->denyrl.drop) {
		helper_log(
		    h->log, h->log_arg, PRIVSEP_LOG_WARN,
		    "worker \"%s\" pid %d: %lu file broker refusals not logged (over %u lines/s or %lu bytes/s)",
		    w->name, (int)w->pid, w->denyrl.drop, h->log_rate, h->log_byte_rate);
		w->denyrl.drop = 0;
		w->denyrl.dropb = 0;
	}
	log_escape(p, sizeof(p), path, strlen(path));
	log_escape(d, sizeof(d), detail, strlen(detail));
	helper_log(h->log, h->log_arg, missing ? PRIVSEP_LOG_DEBUG : PRIVSEP_LOG_WARN,
	           "worker \"%s\" pid %d: fs %s %s: %s: %s", w->name, (int)w->pid, what, p,
	           strerrorname_np(err) ? strerrorname_np(err) : "error", d);
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

static int decide_or_fail(struct privsep_req *req, const char *what, const char *path, int op,
                          int arg, struct fs_decision *d)
{
	const struct policy *pol = req->worker->pol;
	int rc;
	if (!pol) {
		rc = EACCES;
		snprintf(d->detail, sizeof(d->detail),
		         "this worker has no policy, so no file rules");
	} else {
		rc = fs_decide(pol, path, op, arg, d);
	}
	if (rc) {
		deny_log(req, what, path, rc, d->detail);
		return privsep_req_fail(req, rc, "%s", d->detail);
	}
	return 0;
}

/* An O_PATH look at what d decided, for stat, readlink and access: what
 * it says of a pseudo filesystem is the helper's (/proc/self/exe, the
 * status of /proc/self/environ), so those are refused as open refuses
 * them.  The fd, or -1 with errno and detail (a refusal logged). */
static int look(struct privsep_req *req, const char *what, const char *path,
                const struct fs_decision *d, int flags, char *detail, size_t dlen)
{
	const struct pol_file *r = &req->worker->pol->files[d->rule];
	int fd = rule_open(req->worker->roots, r, d, flags, 0, detail, dlen);
	if (fd >= 0 && pseudo_refused(r, d, fd, detail, dlen) < 0) {
		close(fd);
		errno = EACCES;
		fd = -1;
	}
	if (fd < 0 && errno == EACCES)
		deny_log(req, what, path, EACCES, detail);
	return fd;
}

int fs_h_open(struct privsep_req *req, void *arg)
{
	struct fs_decision d;
	uint32_t flags = 0;
	const char *path = req_path(req, 1, &flags);
	char detail[PRIVSEP_DETAIL_MAX];
	int rc, fd;
	(void)arg;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, "open", path, FS_OP_OPEN, (int)flags, &d)))
		return rc;
	fd = fs_broker_open(req->worker->roots, req->worker->pol, &d, detail, sizeof(detail));
	if (fd < 0) {
		rc = errno;
		deny_log(req, "open", path, rc, detail);
		return privsep_req_fail(req, rc, "%s", detail);
	}
	return privsep_req_reply_fd(req, fd) < 0 ? errno : 0;
}

int fs_h_stat(struct privsep_req *req, void *arg)
{
	struct fs_decision d;
	const char *path = req_path(req, 0, NULL);
	char detail[PRIVSEP_DETAIL_MAX] = "";
	struct stat st;
	int rc, fd;
	(void)arg;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, "stat", path, FS_OP_STAT, 0, &d)))
		return rc;
	fd = look(req, "stat", path, &d, O_PATH | O_CLOEXEC | (d.want_dir ? O_DIRECTORY : 0),
	          detail, sizeof(detail));
	if (fd < 0)
		return privsep_req_fail(req, errno, "%s", detail);
	if (fstat(fd, &st) < 0) {
		rc = errno;
		close(fd);
		return privsep_req_fail(req, rc, "%s: %s", d.norm, strerror(rc));
	}
	close(fd);
	uint64_t f[] = {st.st_dev,
	                st.st_ino,
	                st.st_mode,
	                st.st_nlink,
	                st.st_uid,
	                st.st_gid,
	                (uint64_t)st.st_size,
	                (uint64_t)st.st_mtim.tv_sec,
	                (uint64_t)st.st_mtim.tv_nsec};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		privsep_writer_put_u64(&req->reply, f[i]);
	return 0;
}

int fs_h_readlink(struct privsep_req *req, void *arg)
{
	struct fs_decision d;
	const char *path = req_path(req, 0, NULL);
	char detail[PRIVSEP_DETAIL_MAX], target[PATH_MAX];
	int rc, fd;
	ssize_t n;
	(void)arg;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, "readlink", path, FS_OP_READLINK, 0, &d)))
		return rc;
	fd = look(req, "readlink", path, &d, O_PATH | O_CLOEXEC | O_NOFOLLOW, detail,
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

int fs_h_access(struct privsep_req *req, void *arg)
{
	struct fs_decision d;
	uint32_t mode = 0;
	const char *path = req_path(req, 1, &mode);
	char detail[PRIVSEP_DETAIL_MAX];
	int rc, fd;
	(void)arg;
	if (!path)
		return PRIVSEP_VIOLATION;
	if ((rc = decide_or_fail(req, "access", path, FS_OP_ACCESS, (int)mode, &d)))
		return rc;
	fd = look(req, "access", path, &d, O_PATH | O_CLOEXEC | (d.want_dir ? O_DIRECTORY : 0),
	          detail, sizeof(detail));
	if (fd < 0)
		return privsep_req_fail(req, errno, "%s", detail);
	close(fd);
	return 0;
}

/* ---- the worker's calls ---- */

/* The caller's result (may be NULL) before a file call: nothing refused,
 * no detail, no reply. */
static void res_clear(struct privsep_result *res)
{
	if (res) {
		res->len = 0;
		res->nfds = 0;
		res->refused = 0;
		res->detail[0] = '\0';
	}
}

/* One broker call.  res is the caller's (may be NULL): it gets refused
 * and detail as privsep_client_call gives them; the reply goes to body
 * (blen bytes; fds to *fd when fd is not NULL). */
static int fs_call(struct privsep_client *c, uint32_t type, int with_num, uint32_t num,
                   const char *path, void *body, size_t *blen, int *fd, struct privsep_result *res)
{
	uint8_t buf[8 + PATH_MAX + 16];
	struct privsep_result r = {.data = body, .cap = blen ? *blen : 0};
	struct privsep_writer w;
	int rc;
	res_clear(res);
	if (!path) {
		errno = EINVAL;
		return -1;
	}
	privsep_writer_init(&w, buf, sizeof(buf));
	if (with_num)
		privsep_writer_put_u32(&w, num);
	/* the protocol carries no more */
	if (strlen(path) >= PROTO_PATH_MAX || privsep_writer_put_str(&w, path) < 0) {
		if (res)
			snprintf(res->detail, sizeof(res->detail), "path longer than PATH_MAX");
		errno = ENAMETOOLONG;
		return -1;
	}
	rc = privsep_client_call(c, &(struct privsep_out){.type = type, .data = buf, .len = w.len},
	                         &r);
	if (rc < 0) {
		int err = errno;
		if (res) {
			res->refused = r.refused;
			memcpy(res->detail, r.detail, sizeof(res->detail));
		}
		errno = err;
		return -1;
	}
	if (blen)
		*blen = r.len;
	if (fd && r.nfds == 1) {
		*fd = r.fds[0];
		return 0;
	}
	for (size_t i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	if (fd || r.nfds) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

int privsep_fs_open(struct privsep_client *c, const char *path, int flags,
                    struct privsep_result *res)
{
	int fd = -1;
	if (fs_call(c, PRIVSEP_T_FS_OPEN, 1, (uint32_t)flags, path, NULL, NULL, &fd, res) < 0)
		return -1;
	return fd;
}

int privsep_fs_stat(struct privsep_client *c, const char *path, struct stat *st,
                    struct privsep_result *res)
{
	uint8_t body[9 * 8];
	size_t blen = sizeof(body);
	struct privsep_reader r;
	uint64_t f[9];
	if (!st) {
		res_clear(res);
		errno = EINVAL;
		return -1;
	}
	if (fs_call(c, PRIVSEP_T_FS_STAT, 0, 0, path, body, &blen, NULL, res) < 0)
		return -1;
	privsep_reader_init(&r, body, blen);
	for (int i = 0; i < 9; i++)
		privsep_reader_get_u64(&r, &f[i]);
	if (privsep_reader_end(&r) < 0) {
		errno = EPROTO;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_dev = f[0];
	st->st_ino = f[1];
	st->st_mode = (mode_t)f[2];
	st->st_nlink = f[3];
	st->st_uid = (uid_t)f[4];
	st->st_gid = (gid_t)f[5];
	st->st_size = (off_t)f[6];
	st->st_mtim.tv_sec = (time_t)f[7];
	st->st_mtim.tv_nsec = (long)f[8];
	return 0;
}

ssize_t privsep_fs_readlink(struct privsep_client *c, const char *path, char *buf, size_t len,
                            struct privsep_result *res)
{
	uint8_t body[PATH_MAX + 8];
	size_t blen = sizeof(body);
	struct privsep_reader r;
	const char *t;
	size_t n;
	if (!buf && len) {
		res_clear(res);
		errno = EINVAL;
		return -1;
	}
	if (fs_call(c, PRIVSEP_T_FS_READLINK, 0, 0, path, body, &blen, NULL, res) < 0)
		return -1;
	privsep_reader_init(&r, body, blen);
	if (privsep_reader_get_str(&r, &t, &n) < 0 || privsep_reader_end(&r) < 0) {
		errno = EPROTO;
		return -1;
	}
	if (n > len)
		n = len; /* readlink(2) truncates too */
	if (n)
		memcpy(buf, t, n);
	return (ssize_t)n;
}

int privsep_fs_access(struct privsep_client *c, const char *path, int mode,
                      struct privsep_result *res)
{
	return fs_call(c, PRIVSEP_T_FS_ACCESS, 1, (uint32_t)mode, path, NULL, NULL, NULL, res);
}
