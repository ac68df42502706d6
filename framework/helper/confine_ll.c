/* SPDX-License-Identifier: ISC */
/*
 * confine_ll.c - the confined helper's Landlock: its filesystem is what
 * its workers' file rules serve, and what it reads itself.
 *
 * helper.policy lets the helper openat2 (the broker's open), whose flags
 * and path seccomp cannot see: without more, a compromised confined
 * helper opens anything for writing, creates, truncates.  So
 * privsep_helper_confine restricts the helper with a Landlock ruleset
 * that handles every filesystem right of the kernel's ABI and grants
 * only: what the file rules of every policy the helper holds at that
 * moment need the broker to do (a reload after it may narrow them, not
 * widen them: Landlock's rules are fixed), read-only access to /proc
 * (a worker's /proc/PID/status) and /dev/kmsg (the kernel's audit
 * records), /dev/null, and read-only access to each policy file it read (an
 * application's reload reads its policy again), and beneath its directory
 * when that holds policy files only (a file an editor renamed over it);
 * beneath the directory of a read-only exact rule's file, read-only, when
 * it holds only such files (a certificate renewed by a rename).  Loaded after the
 * spawner's fork (the spawner is not in the domain) and just before the
 * helper's filter, then checked from the kernel's side.  Signals are not
 * scoped: the workers, cloned by the spawner, are outside the helper's
 * domain and the helper must still kill them.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper_int.h"
#include "policy.h"
#include "fs.h"
#include "sandbox.h"

/* Landlock, carried here: Debian 12's headers stop at ABI 2. */
#define LL_SYS_CREATE_RULESET 444
#define LL_SYS_ADD_RULE 445
#define LL_SYS_RESTRICT_SELF 446
#define LL_RULE_PATH_BENEATH 1
#define LL_WRITE_FILE (1ull << 1)
#define LL_READ_FILE (1ull << 2)
#define LL_READ_DIR (1ull << 3)
#define LL_MAKE_REG (1ull << 8)
#define LL_TRUNCATE (1ull << 14)  /* ABI 3 */
#define LL_IOCTL_DEV (1ull << 15) /* ABI 5 */
/* the rights a rule on a file (not a directory) may carry */
#define LL_FILE_RIGHTS ((1ull << 0) | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */

struct ll_attr {
	uint64_t fs, net, scoped;
};

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* The self-check, from the kernel's side: opens the rules cannot allow
 * fail with EACCES.  Writing to /proc (the helper's own comm, opened and
 * closed, nothing written) unless a rule grants writes beneath / or /proc;
 * listing / unless a rule grants listing beneath /. */
#define LL_CHECK_WRITE "/proc/self/comm"
#define LL_CHECK_LIST "/"

/* Policy files' directories looked at, at most (one line each). */
#define LL_POLICY_DIRS 16

struct ll_build {
	struct privsep_helper *h;
	int ruleset;
	uint64_t fs;                /* handled */
	int write_proc, list_root;  /* a rule grants what a check opens */
	char *dirs[LL_POLICY_DIRS]; /* policy files' directories looked at */
	size_t ndirs;
};

static int add_fd(struct ll_build *b, int fd, uint64_t access)
{
	struct ll_path_beneath pb = {access & b->fs, fd};
	if (!pb.allowed_access)
		return 0;
	return (int)syscall(LL_SYS_ADD_RULE, b->ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
}

/* A rule on path (what it names now); a directory's rights are dropped
 * from it when it is a file, and, with exact, every right but listing it
 * when it is a directory (a rule on a directory holds beneath it too).
 * 1 added, 0 not there (err set), -1 the kernel refused the rule. */
static int add_path(struct ll_build *b, const char *path, int nofollow, int exact, uint64_t access,
                    int *err)
{
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC | (nofollow ? O_NOFOLLOW : 0)), rc;
	if (fd < 0 || fstat(fd, &st) < 0) {
		*err = errno;
		if (fd >= 0)
			close(fd);
		return 0;
	}
	if (!S_ISDIR(st.st_mode))
		access &= LL_FILE_RIGHTS;
	else if (exact)
		access &= LL_READ_DIR;
	rc = add_fd(b, fd, access);
	close(fd);
	return rc < 0 ? -1 : 1;
}

/* What the broker does under a rule with these rights: the rights its
 * files get, and, for a directory, the right to create in it.
 *
 * The price, and why the layout stays (bench/README.md, "`--file-cache
 * 0`, session 10"): of the broker's calls only the open meets Landlock
 * (hook_file_open; statx and fstat have no hook).  It asks READ_FILE and,
 * for a later O_TRUNC or ftruncate, TRUNCATE (IOCTL_DEV too for a
 * device), and walks up from the file until every right asked is granted
 * or it reaches the real root.  A read-only rule grants no TRUNCATE, so
 * every open walks to / (about 100 ns a directory, 0.9 us an open beneath
 * /tmp/X/root in `look-floor --landlock`).  TRUNCATE granted at a root
 * would end the walk there, and let a compromised helper truncate the
 * files it serves (openat2 O_RDONLY|O_TRUNC: measured): not granted. */
static uint64_t file_rights(const struct pol_file *f)
{
	uint64_t a = 0;
	if (f->rights & POL_R_READ)
		a |= LL_READ_FILE | (f->directory ? LL_READ_DIR : 0);
	/* write: ftruncate of the fd too, as before; append alone is
	 * O_WRONLY|O_APPEND, and its fd cannot be truncated */
	if (f->rights & POL_R_WRITE)
		a |= LL_WRITE_FILE | LL_TRUNCATE;
	if (f->rights & POL_R_APPEND)
		a |= LL_WRITE_FILE;
	if (f->rights & POL_R_TRUNCATE)
		a |= LL_TRUNCATE;
	/* a device's fd handed out may be used as one */
	if (f->special && (a & (LL_READ_FILE | LL_WRITE_FILE)))
		a |= LL_IOCTL_DEV;
	return a;
}

static void not_served(struct ll_build *b, const struct pol_file *f, const char *what, int err)
{
	log_line(b->h->log, b->h->log_arg, PRIVSEP_LOG_WARN,
	         "helper: Landlock: %s:%d (%s \"%s\"): %s: %s when the helper confined itself; "
	         "the broker cannot serve it from now on",
	         f->loc.file, f->loc.line, f->beneath ? "beneath" : "path", f->path, what,
	         strerror(err));
}

/* An exact path to be created, not there when confining: the rule's
 * rights beneath its directory, wider than the rule: said in one line.
 * Never beneath / (a file of / to be made: the rule's read or create
 * beneath / would reach every file of the machine), as add_read_dir:
 * not served, said in one line. */
static int add_exact_dir(struct ll_build *b, const struct pol_file *f, uint64_t a)
{
	char dir[4096], *slash;
	int err = 0, rc;
	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	if (slash == dir) {
		log_line(
		    b->h->log, b->h->log_arg, PRIVSEP_LOG_WARN,
		    "helper: Landlock: %s:%d (path \"%s\"): not there when the helper confined "
		    "itself, and its directory is /, beneath which nothing is granted: the "
		    "broker cannot serve it from now on (make the file before confining)",
		    f->loc.file, f->loc.line, f->path);
		return 0;
	}
	if (slash)
		*slash = '\0';
	rc = add_path(b, slash ? dir : ".", 0, 0, a & ~LL_READ_DIR, &err);
	if (rc == 0)
		not_served(b, f, "its directory is not there", err);
	else if (rc > 0)
		log_line(
		    b->h->log, b->h->log_arg, PRIVSEP_LOG_WARN,
		    "helper: Landlock: %s:%d (path \"%s\"): not there when the helper confined "
		    "itself: the rule's rights are granted beneath its directory \"%s\" (every "
		    "file there); make the file before confining to grant it alone",
		    f->loc.file, f->loc.line, f->path, slash ? dir : ".");
	return rc < 0 ? -1 : 0;
}

/* A rule that lets the broker read and nothing else of what Landlock
 * bounds (no write, append, truncate or create). */
static int read_only(const struct pol_file *f)
{
	return (f->rights & POL_R_READ) &&
	       !(f->rights & (POL_R_WRITE | POL_R_APPEND | POL_R_TRUNCATE | POL_R_CREATE));
}

/* Whether path is the file of an exact read-only rule in a policy the
 * helper holds (a file of a rule that writes is no such file: its
 * directory, where the application makes files of its own, is not
 * granted). */
static int read_named(const struct ll_build *b, const char *path)
{
	for (const struct pol_entry *e = b->h->policies; e; e = pol_entry_next(e)) {
		const struct policy *p = pol_entry_policy(e);
		for (size_t i = 0; p && i < p->nfiles; i++)
			if (!p->files[i].beneath && read_only(&p->files[i]) &&
			    !strcmp(p->files[i].path, path))
				return 1;
	}
	return 0;
}

/* An exact read-only rule's file, there (not a link): READ_FILE beneath
 * its directory when every entry of that directory is the file of such
 * a read rule (a certificate and its key), so that a file renamed over
 * one (a renewal) is served again; a directory holding anything else
 * (/etc) is not granted.  0, or -1 (the kernel refused the rule). */
static int add_read_dir(struct ll_build *b, const struct pol_file *f)
{
	char dir[4096], name[4096 + 256], *slash;
	struct stat st;
	struct dirent *de;
	DIR *d;
	int fd, all = 1, rc = 0;
	if (lstat(f->path, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	snprintf(dir, sizeof(dir), "%s", f->path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0; /* never beneath / */
	*slash = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	d = fdopendir(dup(fd));
	if (!d) {
		close(fd);
		return 0;
	}
	while (all && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		all = read_named(b, name) &&
		      fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		      !S_ISDIR(st.st_mode);
	}
	closedir(d);
	if (all)
		rc = add_fd(b, fd, LL_READ_FILE) < 0 ? -1 : 0;
	close(fd);
	return rc;
}

/* The rules of one file rule.  0, or -1 (the kernel refused a rule). */
static int add_file_rule(struct ll_build *b, const struct pol_file *f, int rootfd)
{
	uint64_t a = file_rights(f);
	int err = 0, rc;
	if (f->rights & POL_R_CREATE)
		a |= LL_MAKE_REG;
	if (!(a & b->fs))
		return 0; /* stat, readlink: no open, nothing to grant */
	if ((a & LL_WRITE_FILE) && (!strcmp(f->path, "/") || !strncmp(f->path, "/proc", 5)))
		b->write_proc = 1;
	if ((a & LL_READ_DIR) && f->beneath && f->path[strspn(f->path, "/")] == '\0')
		b->list_root = 1;
	if (f->beneath) {
		/* the very directory the broker opens beneath */
		if (rootfd >= 0)
			return add_fd(b, rootfd, a);
		rc = add_path(b, f->path, 0, 0, a, &err);
		if (rc == 0)
			not_served(b, f, "its root is not there", err);
		return rc < 0 ? -1 : 0;
	}
	if (f->rights & POL_R_CREATE) {
		/* there: the file alone, its rights; made again later (a new
		 * inode) it is refused (SECURITY.md, Known limits) */
		rc = add_path(b, f->path, !f->symlinks, 1, a & ~LL_MAKE_REG, &err);
		if (rc != 0 || err != ENOENT)
			return rc < 0 ? -1 : 0;
		/* not there: the new file's open needs its rights beneath
		 * the directory (Landlock looks at the new inode's path,
		 * measured: MAKE_REG alone makes it and refuses the open) */
		return add_exact_dir(b, f, a);
	}
	rc = add_path(b, f->path, !f->symlinks, 1, a, &err);
	if (rc == 0)
		not_served(b, f, "it is not there", err);
	if (rc > 0 && read_only(f))
		return add_read_dir(b, f);
	return rc < 0 ? -1 : 0;
}

/* The first entry of directory fd that is no policy file (anything but
 * a regular file or a symlink: a directory, a FIFO, a device, a socket;
 * or a name without ".policy": httpd.policy, httpd.policy~ and an
 * editor's .httpd.policy.swp are; a symlink lends nothing, Landlock
 * looking at the file it leads to), into other; 0 when there is none,
 * -1 when it cannot be listed. */
static int other_entry(int fd, char *other, size_t len)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int rc = 0;
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (!strstr(de->d_name, ".policy") ||
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !(S_ISREG(st.st_mode) || S_ISLNK(st.st_mode))) {
			snprintf(other, len, "%s", de->d_name);
			rc = 1;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* A policy file's directory: read-only beneath it when it holds policy
 * files only, so that a reload reads the file an editor's rename made
 * (a new inode, which the rule on the file does not cover); else one
 * line, and a reload reads only the file that was there.  0, or -1
 * (the kernel refused the rule). */
static int add_policy_dir(struct ll_build *b, const char *path)
{
	char dir[4096], other[256] = "", *slash;
	int fd, rc;
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	for (size_t i = 0; i < b->ndirs; i++)
		if (!strcmp(b->dirs[i], dir))
			return 0;
	if (b->ndirs == LL_POLICY_DIRS || !(b->dirs[b->ndirs] = strdup(dir)))
		return 0; /* the file's own rule still stands */
	b->ndirs++;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	rc = other_entry(dup(fd), other, sizeof(other));
	if (rc == 0)
		rc = add_fd(b, fd, LL_READ_FILE) < 0 ? -1 : 0;
	else {
		log_line(
		    b->h->log, b->h->log_arg, PRIVSEP_LOG_WARN,
		    "helper: Landlock: the policy file %s: its directory %s holds %s%s%s, not "
		    "a policy file: a reload reads the file as it is now, not one renamed over "
		    "it (edit it in place, or keep policies in a directory of their own)",
		    path, dir, rc < 0 ? "what cannot be listed" : "\"", rc < 0 ? "" : other,
		    rc < 0 ? "" : "\"");
		rc = 0;
	}
	close(fd);
	return rc;
}

static int add_policy_file(struct ll_build *b, const char *path)
{
	int err;
	if (path[0] == '<')
		return 0; /* shipped <names> and a text's name are no file */
	int rc = add_path(b, path, 0, 1, LL_READ_FILE, &err);
	/* a name that is no file here (a text's) has no directory */
	return rc <= 0 ? rc : add_policy_dir(b, path);
}

/* Read-only access to each policy file entry e read (a reload reads its
 * policy again), and beneath its directory when that holds policies
 * only. */
static int add_policy_files(struct ll_build *b, const struct policy *p, const char *path)
{
	if (path && add_policy_file(b, path) < 0)
		return -1;
	for (size_t i = 0; p && i < p->nnames; i++)
		if (add_policy_file(b, p->names[i]) < 0)
			return -1;
	return 0;
}

static int add_rules(struct ll_build *b)
{
	int err;
	for (const struct pol_entry *e = b->h->policies; e; e = pol_entry_next(e)) {
		const struct policy *p = pol_entry_policy(e);
		const struct fs_root *roots = pol_entry_roots(e);
		if (!p)
			continue;
		if (add_policy_files(b, p, pol_entry_path(e)) < 0)
			return -1;
		for (size_t i = 0; i < p->nfiles; i++) {
			int rootfd =
			    p->files[i].beneath && roots && i < roots->n ? roots->fd[i] : -1;
			if (add_file_rule(b, &p->files[i], rootfd) < 0)
				return -1;
		}
	}
	/* the helper's own reads: a worker's /proc/PID/status, its own
	 * /proc/thread-self/status, the kernel's audit records; and
	 * /dev/null, which a handler may answer with */
	if (add_path(b, "/proc", 0, 0, LL_READ_FILE, &err) < 0 ||
	    add_path(b, "/dev/kmsg", 0, 1, LL_READ_FILE, &err) < 0 ||
	    add_path(b, "/dev/null", 0, 1, LL_READ_FILE | LL_WRITE_FILE, &err) < 0)
		return -1;
	return 0;
}

/* 0 when path opened with flags (closed at once, nothing written),
 * else the errno. */
static int check_refused(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

int helper_confine_landlock(struct privsep_helper *h)
{
	struct landlock_plan ll;
	struct ll_attr attr;
	struct ll_build b = {.h = h, .ruleset = -1};
	size_t size;
	int rc, e;

	landlock_probe(&ll);
	if (!ll.abi) {
		/* as for the workers: the other walls still stand, said once */
		log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		         "helper: Landlock not available: the confined helper's files are bounded "
		         "by its filter alone (openat2 of any path, any flags)");
		return 0;
	}
	/* one thread (Landlock before ABI 8 restricts only the calling
	 * one): privsep_helper_confine_flags checked it before it changed
	 * anything */
	attr = (struct ll_attr){ll.fs, ll.net, ll.scoped & LL_SCOPE_ABSTRACT_UNIX};
	size = ll.abi >= 6 ? 24 : ll.abi >= 4 ? 16 : 8;
	b.fs = ll.fs;
	b.ruleset = (int)syscall(LL_SYS_CREATE_RULESET, &attr, size, 0);
	if (b.ruleset < 0)
		goto fail;
	rc = add_rules(&b);
	for (size_t i = 0; i < b.ndirs; i++)
		free(b.dirs[i]);
	if (rc == 0)
		rc = (int)syscall(LL_SYS_RESTRICT_SELF, b.ruleset, 0);
	if (rc < 0)
		goto fail;
	close(b.ruleset);
	/* the kernel's side: what no rule grants is refused */
	if ((!b.write_proc && (e = check_refused(LL_CHECK_WRITE, O_WRONLY)) != EACCES) ||
	    (!b.list_root &&
	     (e = check_refused(LL_CHECK_LIST, O_RDONLY | O_DIRECTORY)) != EACCES)) {
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_ERR,
		    "helper: cannot confine: Landlock ABI %d loaded, but an open it must refuse "
		    "was not refused (%s)",
		    ll.abi, e ? strerror(e) : "opened");
		errno = EPERM;
		return -1;
	}
	if (b.write_proc && b.list_root)
		log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		         "helper: Landlock ABI %d loaded; its rules grant what its self-check "
		         "would open (writes beneath /proc, listing /): not checked",
		         ll.abi);
	return 0;
fail:
	e = errno;
	if (b.ruleset >= 0)
		close(b.ruleset);
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "helper: cannot confine: Landlock ABI %d: %s",
	         ll.abi, strerror(e));
	errno = e;
	return -1;
}
