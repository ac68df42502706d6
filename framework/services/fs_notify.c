/* SPDX-License-Identifier: ISC */
/*
 * services/fs_notify.c - privsep-run's notifier: the file broker for a
 * program that was not written for it.
 *
 * The program's path calls (fs_notify_calls: the open, stat, access and
 * readlink families) wait in the kernel for the helper (seccomp user
 * notification).  The helper reads the path from the program's memory
 * once (process_vm_readv), makes it absolute against the directory the
 * program named (its cwd or a dirfd, read from /proc/PID), checks that
 * the notification is still valid (so that the pid was the program's),
 * and then decides with the file broker's own rules (fs_decide) and acts
 * with the broker's own functions (fs_broker_open, fs_broker_look):
 * openat2 beneath the rule's root with RESOLVE_BENEATH and
 * RESOLVE_NO_MAGICLINKS, never blocking on a FIFO or a device.  An open
 * answers with the fd, injected by SECCOMP_IOCTL_NOTIF_ADDFD with
 * SECCOMP_ADDFD_FLAG_SEND (the fd and the call's return in one step); a
 * stat or readlink writes the result into the program's buffer with
 * process_vm_writev (which, unlike /proc/PID/mem, respects the
 * program's page protections); an access answers 0 or the errno.  The
 * helper acts only on what it read: the program changing the path in
 * memory afterwards changes nothing, and no call is ever let through
 * with SECCOMP_USER_NOTIF_FLAG_CONTINUE.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fs_notify.h"

#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1) /* Linux 5.14 */
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64) /* Linux 6.6 */
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

/* The kernel's O_LARGEFILE, which 64-bit callers may pass and the
 * kernel adds anyway (x86_64's userspace value is 0). */
#define KERNEL_O_LARGEFILE 0100000

const int fs_notify_calls[] = {
    __NR_open,       __NR_openat,     __NR_openat2,    __NR_creat,  __NR_stat,
    __NR_lstat,      __NR_newfstatat, __NR_statx,      __NR_access, __NR_faccessat,
    __NR_faccessat2, __NR_readlink,   __NR_readlinkat,
};
const size_t fs_notify_ncalls = sizeof(fs_notify_calls) / sizeof(fs_notify_calls[0]);

int fs_notify_filter(struct filter_prog *out, const int *more, size_t nmore)
{
	struct filter_rule *r = calloc(fs_notify_ncalls + nmore, sizeof(*r));
	/* another architecture, x32: killed, so its listener hears only
	 * this architecture's numbers */
	struct filter_policy p = {r, fs_notify_ncalls + nmore, SCMP_ACT_ALLOW,
	                          SCMP_ACT_KILL_PROCESS};
	int rc;
	if (!r)
		return -1;
	for (size_t i = 0; i < fs_notify_ncalls + nmore; i++) {
		r[i].nr = i < fs_notify_ncalls ? fs_notify_calls[i] : more[i - fs_notify_ncalls];
		r[i].action = SCMP_ACT_NOTIFY;
	}
	rc = filter_compile(&p, out, NULL);
	free(r);
	return rc;
}

int fs_notify_sync_wakeup(int listener)
{
	return ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS,
	             (__u64)SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) < 0
	           ? -1
	           : 0;
}

/* ---- the program's memory ---- */

static int read_mem(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = {buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n != (ssize_t)len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

static int write_mem(pid_t pid, uint64_t addr, const void *buf, size_t len)
{
	struct iovec l = {(void *)buf, len}, r = {(void *)(uintptr_t)addr, len};
	ssize_t n = process_vm_writev(pid, &l, 1, &r, 1, 0);
	if (n != (ssize_t)len) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

/* A NUL-ended string at addr, read page by page (a string may end just
 * before an unmapped page).  0, or an errno: EFAULT, ENAMETOOLONG. */
static int read_str(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;
	if (!addr)
		return EFAULT;
	while (got < len) {
		uint64_t at = addr + got;
		size_t chunk = 4096 - (size_t)(at & 4095);
		struct iovec l, r;
		ssize_t n;
		if (chunk > len - got)
			chunk = len - got;
		l.iov_base = buf + got;
		l.iov_len = chunk;
		r.iov_base = (void *)(uintptr_t)at;
		r.iov_len = chunk;
		n = process_vm_readv(pid, &l, 1, &r, 1, 0);
		if (n <= 0)
			return EFAULT;
		if (memchr(buf + got, '\0', (size_t)n))
			return 0;
		got += (size_t)n;
	}
	return ENAMETOOLONG;
}

/* Resolve . and .. in the absolute path p, in place, by the string (a
 * .. above / stays at /), keeping a trailing /.  The kernel would go up
 * from where a symlink leads; the helper goes up the string, and then
 * decides and opens that string like any other: the rules bound it
 * either way. */
static void lexical(char *p)
{
	size_t o = 0, n = strlen(p), k;
	int slash = n > 1 && p[n - 1] == '/';
	const char *s = p, *c;
	char *out = p;
	while ((c = fs_next_name(&s, &k))) {
		if (k == 2 && c[0] == '.' && c[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--; /* the slash before the component */
			continue;
		}
		out[o++] = '/';
		memmove(out + o, c, k); /* o never passes c: the output is shorter */
		o += k;
	}
	if (o == 0)
		out[o++] = '/';
	else if (slash)
		out[o++] = '/';
	out[o] = '\0';
}

/* path made absolute against dirfd (AT_FDCWD: the cwd) of pid, as the
 * kernel shows it in /proc/PID.  0, or an errno. */
static int absolute(pid_t pid, int dirfd, const char *path, char *out, size_t len)
{
	char link[64], base[PATH_MAX];
	ssize_t n;
	if (path[0] == '/') {
		if (strlen(path) >= len)
			return ENAMETOOLONG;
		strcpy(out, path);
		lexical(out);
		return 0;
	}
	if (dirfd == AT_FDCWD)
		snprintf(link, sizeof(link), "/proc/%d/cwd", (int)pid);
	else if (dirfd < 0)
		return EBADF;
	else
		snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int)pid, dirfd);
	n = readlink(link, base, sizeof(base) - 1);
	if (n < 0)
		return errno == ENOENT ? EBADF : errno;
	base[n] = '\0';
	if (base[0] != '/')
		return ENOTDIR; /* a pipe, a socket, an anonymous inode */
	if ((size_t)snprintf(out, len, "%s/%s", n == 1 ? "" : base, path) >= len)
		return ENAMETOOLONG;
	lexical(out);
	return 0;
}

/* ---- one notification ---- */

struct call {
	const struct fs_notify *n;
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp; /* resp_size bytes: the kernel's */
	size_t resp_size;
	const char *name;
	char path[PATH_MAX], abs[PATH_MAX + PATH_MAX];
	int op, arg;
	int have_path; /* path read already (own_stat): never read twice */
	int x_ok;      /* access: X_OK asked (the rest in arg) */
};

static void reply(const struct call *c, int64_t val, int err)
{
	memset(c->resp, 0, c->resp_size);
	c->resp->id = c->req->id;
	c->resp->val = err ? 0 : val;
	c->resp->error = err ? -err : 0;
	/* ENOENT: the program is gone, or a signal interrupted its call */
	ioctl(c->n->listener, SECCOMP_IOCTL_NOTIF_SEND, c->resp);
}

static void report(const struct call *c, int err, const char *detail)
{
	struct fs_notify_event ev = {c->name, c->path, c->abs, c->op, c->arg, err, detail};
	if (c->n->report)
		c->n->report(c->n->arg, &ev);
}

static int refuse(const struct call *c, int err, const char *detail)
{
	report(c, err, detail);
	reply(c, 0, err);
	return 0;
}

/* The path is what the program holds now; after this, only a valid
 * notification is the same program (its pid not reused). */
static int still_valid(const struct call *c)
{
	uint64_t id = c->req->id;
	return ioctl(c->n->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* Read the path argument at addr relative to dirfd into c.  0, or an
 * errno; *empty set when the path is "" (and left for the caller). */
static int take_path(struct call *c, uint64_t addr, int dirfd, int *empty)
{
	int rc = c->have_path ? 0 : read_str(c->req->pid, addr, c->path, sizeof(c->path));
	c->abs[0] = '\0';
	if (rc)
		return rc;
	*empty = c->path[0] == '\0';
	if (*empty)
		return 0;
	return absolute(c->req->pid, dirfd, c->path, c->abs, sizeof(c->abs));
}

static int decide(struct call *c, struct fs_decision *d)
{
	if (!c->n->pol) {
		snprintf(d->detail, sizeof(d->detail), "no policy, so no file rules");
		return EACCES;
	}
	return fs_decide(c->n->pol, c->abs, c->op, c->arg, d);
}

static int do_open(struct call *c, int dirfd, uint64_t addr, int flags)
{
	struct fs_decision d;
	struct seccomp_notif_addfd add;
	char detail[256];
	int rc, empty, fd, tfd;

	c->op = FS_OP_OPEN;
	c->arg = flags & ~KERNEL_O_LARGEFILE;
	if ((rc = take_path(c, addr, dirfd, &empty)))
		return still_valid(c) ? refuse(c, rc, strerror(rc)) : 0;
	if (!still_valid(c))
		return 0;
	if (empty)
		return refuse(c, ENOENT, "empty path");
	if ((rc = decide(c, &d)))
		return refuse(c, rc, d.detail);
	fd = fs_broker_open(c->n->roots, c->n->pol, &d, detail, sizeof(detail));
	if (fd < 0)
		return refuse(c, errno, detail);
	memset(&add, 0, sizeof(add));
	add.id = c->req->id;
	add.flags = SECCOMP_ADDFD_FLAG_SEND;
	add.srcfd = (uint32_t)fd;
	add.newfd_flags = (uint32_t)(flags & O_CLOEXEC);
	tfd = ioctl(c->n->listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add);
	rc = tfd < 0 ? errno : 0;
	close(fd);
	if (tfd < 0 && rc != ENOENT) /* EMFILE: the program's own limit */
		return refuse(c, rc, strerror(rc));
	report(c, 0, d.norm);
	return 0;
}

/* The /proc name of the program's own fd (or of its cwd, AT_FDCWD) into
 * buf: 0, or EBADF for a negative fd. */
static int own(const struct call *c, int dirfd, char *buf, size_t len)
{
	if (dirfd == AT_FDCWD)
		snprintf(buf, len, "/proc/%d/cwd", (int)c->req->pid);
	else if (dirfd < 0)
		return EBADF;
	else
		snprintf(buf, len, "/proc/%d/fd/%d", (int)c->req->pid, dirfd);
	return 0;
}

/* fstat(2) as glibc makes it: newfstatat or statx of the program's own
 * fd with "" (or NULL) and AT_EMPTY_PATH (the filter cannot see the
 * path, so it comes here).  The fd is already the program's: no rule is
 * asked, and nothing is opened; the file is looked at through
 * /proc/PID/fd/N in one call (what the program's own fstat would see),
 * then the notification is checked once (the path read and the fd
 * looked up were the program's, its pid not reused) before the result is
 * written into its buffer.  1 when the path was "" with AT_EMPTY_PATH
 * and the call was answered here, 0 to go on with the rules (the path
 * is in c), -1 when it was answered otherwise (or the program is gone). */
static int own_stat(struct call *c, int dirfd, uint64_t addr, int at_flags,
                    const unsigned *statx_mask, uint64_t buf)
{
	struct stat st;
	struct statx stx;
	char name[64];
	int rc, empty;
	c->op = FS_OP_STAT;
	/* a NULL path with AT_EMPTY_PATH is "" (Linux 6.11 and later, for
	 * statx and newfstatat): a register of the notification, nothing in
	 * the program's memory to read or change; without AT_EMPTY_PATH it is
	 * EFAULT, as the kernel says */
	if (!addr && (at_flags & AT_EMPTY_PATH))
		c->path[0] = '\0';
	else if ((rc = read_str(c->req->pid, addr, c->path, sizeof(c->path)))) {
		if (still_valid(c))
			refuse(c, rc, strerror(rc));
		return -1;
	}
	c->have_path = 1;
	empty = c->path[0] == '\0';
	if (!empty || !(at_flags & AT_EMPTY_PATH))
		return 0;
	c->abs[0] = '\0';
	if ((rc = own(c, dirfd, name, sizeof(name))) == 0) {
		if (!statx_mask)
			rc = stat(name, &st) < 0 ? errno : 0;
		else {
			memset(&stx, 0, sizeof(stx));
			rc = statx(AT_FDCWD, name, at_flags & AT_STATX_SYNC_TYPE, *statx_mask,
			           &stx) < 0
			         ? errno
			         : 0;
		}
		if (rc == ENOENT)
			rc = EBADF; /* no such fd */
	}
	if (!still_valid(c))
		return -1;
	if (!rc && (!statx_mask ? write_mem(c->req->pid, buf, &st, sizeof(st))
	                        : write_mem(c->req->pid, buf, &stx, sizeof(stx))) < 0)
		rc = EFAULT;
	reply(c, 0, rc);
	return 1;
}

/* The rule's answer for access (c->arg, c->x_ok) to the program's own
 * fd (fd: the helper's O_PATH of it): the name the kernel
 * gives the file, into c->abs for the execute check too, decided as a
 * path.  0, or an errno with d->detail set. */
static int own_access(struct call *c, int fd, struct fs_decision *d)
{
	char self[64];
	ssize_t n;
	/* the name of what the helper opened, not of the program's fd
	 * again: the same file, whatever the program did since */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	n = readlink(self, c->abs, sizeof(c->abs) - 1);
	if (n <= 0) {
		snprintf(d->detail, sizeof(d->detail), "the fd's name cannot be read");
		return EACCES;
	}
	c->abs[n] = '\0';
	if (c->abs[0] != '/') {
		snprintf(d->detail, sizeof(d->detail), "%.200s is no file a rule names", c->abs);
		c->abs[0] = '\0';
		return EACCES;
	}
	return (c->arg & (R_OK | W_OK)) ? decide(c, d) : 0;
}

/* Look at what the call names (O_PATH): a path decided by the rules, or
 * with AT_EMPTY_PATH and "" the program's own fd.  The fd, or -1 with
 * the answer given. */
static int look_at(struct call *c, int dirfd, uint64_t addr, int at_flags, int op, int arg)
{
	struct fs_decision d;
	char detail[256];
	int rc, empty, fd;

	c->op = op;
	c->arg = arg;
	if ((rc = take_path(c, addr, dirfd, &empty))) {
		if (still_valid(c))
			refuse(c, rc, strerror(rc));
		return -1;
	}
	if (!still_valid(c))
		return -1;
	if (empty) {
		char own[64];
		if (!(at_flags & AT_EMPTY_PATH)) {
			refuse(c, ENOENT, "empty path");
			return -1;
		}
		/* the program's own fd (fstat): what it holds already */
		if (dirfd == AT_FDCWD)
			snprintf(own, sizeof(own), "/proc/%d/cwd", (int)c->req->pid);
		else
			snprintf(own, sizeof(own), "/proc/%d/fd/%d", (int)c->req->pid, dirfd);
		fd = dirfd < 0 && dirfd != AT_FDCWD ? -1 : open(own, O_PATH | O_CLOEXEC);
		if (fd < 0) {
			reply(c, 0, EBADF);
			return -1;
		}
		/* access asks what may be done with that file: the rule of
		 * the name the kernel gives it decides, as for its path (no
		 * name, a pipe or a socket: none allows it) */
		if (op == FS_OP_ACCESS && (arg || c->x_ok) && (rc = own_access(c, fd, &d)) != 0) {
			close(fd);
			refuse(c, rc, d.detail);
			return -1;
		}
		return fd;
	}
	if ((rc = decide(c, &d))) {
		refuse(c, rc, d.detail);
		return -1;
	}
	fd = fs_broker_look(c->n->roots, c->n->pol, &d,
	                    O_PATH | O_CLOEXEC | (d.want_dir ? O_DIRECTORY : 0) |
	                        ((at_flags & AT_SYMLINK_NOFOLLOW) ? O_NOFOLLOW : 0),
	                    detail, sizeof(detail));
	if (fd < 0) {
		refuse(c, errno, detail);
		return -1;
	}
	report(c, 0, d.norm);
	return fd;
}

static int do_stat(struct call *c, int dirfd, uint64_t addr, int at_flags, uint64_t buf)
{
	struct stat st;
	int fd, rc = 0;
	if (at_flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT)) {
		c->op = FS_OP_STAT;
		return refuse(c, EINVAL, "unknown flags");
	}
	if (own_stat(c, dirfd, addr, at_flags, NULL, buf))
		return 0;
	fd = look_at(c, dirfd, addr, at_flags, FS_OP_STAT, 0);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0)
		rc = errno;
	close(fd);
	if (!rc && (!still_valid(c) || write_mem(c->req->pid, buf, &st, sizeof(st)) < 0))
		rc = EFAULT;
	reply(c, 0, rc);
	return 0;
}

static int do_statx(struct call *c, int dirfd, uint64_t addr, int at_flags, unsigned mask,
                    uint64_t buf)
{
	struct statx stx;
	int fd, rc = 0;
	if (at_flags &
	    ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)) {
		c->op = FS_OP_STAT;
		return refuse(c, EINVAL, "unknown flags");
	}
	if (own_stat(c, dirfd, addr, at_flags, &mask, buf))
		return 0;
	fd = look_at(c, dirfd, addr, at_flags, FS_OP_STAT, 0);
	if (fd < 0)
		return 0;
	memset(&stx, 0, sizeof(stx));
	if (statx(fd, "", AT_EMPTY_PATH | (at_flags & AT_STATX_SYNC_TYPE), mask, &stx) < 0)
		rc = errno;
	close(fd);
	if (!rc && (!still_valid(c) || write_mem(c->req->pid, buf, &stx, sizeof(stx)) < 0))
		rc = EFAULT;
	reply(c, 0, rc);
	return 0;
}

static int executable(const struct fs_notify *n, const char *abs)
{
	char norm[PATH_MAX], detail[64];
	int dir;
	if (fs_normalise(abs, norm, sizeof(norm), &dir, detail, sizeof(detail)))
		return 0;
	for (size_t i = 0; i < n->nexec; i++)
		if (!strcmp(n->exec[i], norm))
			return 1;
	return 0;
}

static int do_access(struct call *c, int dirfd, uint64_t addr, int mode, int at_flags)
{
	int fd;
	if (at_flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_EACCESS)) {
		c->op = FS_OP_ACCESS;
		return refuse(c, EINVAL, "unknown flags");
	}
	if (mode & ~(R_OK | W_OK | X_OK)) {
		c->op = FS_OP_ACCESS;
		return refuse(c, EINVAL, "unknown mode");
	}
	c->x_ok = (mode & X_OK) != 0;
	fd = look_at(c, dirfd, addr, at_flags, FS_OP_ACCESS, mode & ~X_OK);
	if (fd < 0)
		return 0;
	close(fd);
	/* execute: what Landlock lets the program execute, nothing else */
	if ((mode & X_OK) && c->abs[0] && !executable(c->n, c->abs))
		return refuse(c, EACCES, "not a file the program may execute (--allow-exec)");
	reply(c, 0, 0);
	return 0;
}

static int do_readlink(struct call *c, int dirfd, uint64_t addr, uint64_t buf, int64_t size)
{
	char target[PATH_MAX];
	ssize_t n;
	int fd, rc = 0;
	if (size <= 0) {
		c->op = FS_OP_READLINK;
		return refuse(c, EINVAL, "buffer size");
	}
	fd = look_at(c, dirfd, addr, AT_SYMLINK_NOFOLLOW, FS_OP_READLINK, 0);
	if (fd < 0)
		return 0;
	n = readlinkat(fd, "", target, sizeof(target));
	if (n < 0)
		rc = errno == ENOENT ? EINVAL : errno;
	close(fd);
	if (!rc && n > size)
		n = (ssize_t)size; /* truncated, as the kernel does */
	if (!rc && (!still_valid(c) || write_mem(c->req->pid, buf, target, (size_t)n) < 0))
		rc = EFAULT;
	reply(c, n, rc);
	return 0;
}

static int do_openat2(struct call *c, const uint64_t *a)
{
	struct open_how how;
	c->op = FS_OP_OPEN;
	if (a[3] < sizeof(how))
		return refuse(c, EINVAL, "open_how too small");
	if (a[3] > sizeof(how))
		return refuse(c, E2BIG, "open_how larger than this helper knows");
	if (read_mem(c->req->pid, a[2], &how, sizeof(how)) < 0)
		return refuse(c, EFAULT, "open_how");
	if (how.resolve & ~(uint64_t)RESOLVE_NO_MAGICLINKS)
		return refuse(c, EINVAL, "resolve flags other than RESOLVE_NO_MAGICLINKS");
	if (how.flags >> 31)
		return refuse(c, EINVAL, "unknown open flags");
	return do_open(c, (int)a[0], a[1], (int)how.flags);
}

/* The buffers of this thread's notifications, sized by the running
 * kernel once (filter_notif_bufs_new), kept for the process's life. */
static _Thread_local struct filter_notif_bufs nb;

int fs_notify_serve(const struct fs_notify *n)
{
	struct seccomp_notif *req;
	struct call c;
	const uint64_t *a;

	if (!nb.req && filter_notif_bufs_new(&nb) < 0)
		return -1;
	req = nb.req;
	memset(req, 0, nb.req_size);
	if (ioctl(n->listener, SECCOMP_IOCTL_NOTIF_RECV, req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : -1;
	memset(&c, 0, sizeof(c));
	c.n = n;
	c.req = req;
	c.resp = nb.resp;
	c.resp_size = nb.resp_size;
	a = (const uint64_t *)req->data.args;
	switch (req->data.nr) {
	case __NR_open:
		c.name = "open";
		return do_open(&c, AT_FDCWD, a[0], (int)a[1]);
	case __NR_creat:
		c.name = "creat";
		return do_open(&c, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC);
	case __NR_openat:
		c.name = "openat";
		return do_open(&c, (int)a[0], a[1], (int)a[2]);
	case __NR_openat2:
		c.name = "openat2";
		return do_openat2(&c, a);
	case __NR_stat:
		c.name = "stat";
		return do_stat(&c, AT_FDCWD, a[0], 0, a[1]);
	case __NR_lstat:
		c.name = "lstat";
		return do_stat(&c, AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, a[1]);
	case __NR_newfstatat:
		c.name = "newfstatat";
		return do_stat(&c, (int)a[0], a[1], (int)a[3], a[2]);
	case __NR_statx:
		c.name = "statx";
		return do_statx(&c, (int)a[0], a[1], (int)a[2], (unsigned)a[3], a[4]);
	case __NR_access:
		c.name = "access";
		return do_access(&c, AT_FDCWD, a[0], (int)a[1], 0);
	case __NR_faccessat:
		c.name = "faccessat";
		return do_access(&c, (int)a[0], a[1], (int)a[2], 0);
	case __NR_faccessat2:
		c.name = "faccessat2";
		return do_access(&c, (int)a[0], a[1], (int)a[2], (int)a[3]);
	case __NR_readlink:
		c.name = "readlink";
		return do_readlink(&c, AT_FDCWD, a[0], a[1], (int64_t)(int)a[2]);
	case __NR_readlinkat:
		c.name = "readlinkat";
		return do_readlink(&c, (int)a[0], a[1], a[2], (int64_t)(int)a[3]);
	default:
		c.name = "?";
		if (!n->other)
			return refuse(&c, ENOSYS, "not a brokered call");
		n->other(n->arg, req->data.nr, a);
		memset(c.resp, 0, c.resp_size);
		c.resp->id = req->id;
		c.resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(n->listener, SECCOMP_IOCTL_NOTIF_SEND, c.resp);
		return 0;
	}
}
