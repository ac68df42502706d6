/* SPDX-License-Identifier: ISC */
/*
 * look_floor.c - the fewest system calls a broker that keeps the
 * brokered open's guarantees can make per open, and what each way costs
 * (bench/README.md, "`--file-cache 0`, session 8").  The guarantees: a
 * file that is not a regular file (a FIFO, a device, a directory, a
 * symlink) is refused before it is opened (opening a FIFO wakes its
 * writer, opening a device runs its driver); the broker never blocks;
 * the fd handed out is the file that was looked at, even when the name
 * is swapped between the look and the open.  Each way below opens one
 * name beneath a directory fd with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS) as the broker does, and
 * closes what it made; the program first checks that each way refuses a
 * FIFO without opening it (a writer asleep in open(2) would wake), a
 * directory and a symlink, then times them in the same process,
 * interleaved in blocks, CPU time per open (the close of the fd handed
 * out included, as a broker closes its copy after sending it):
 *
 *   open      openat2 only: no look (bench/httpd_floor.c without --look;
 *             it would open the FIFO: not a way, the baseline)
 *   statx     statx of the name (no follow), openat2, fstat of the fd:
 *             the same file (the product's broker, fs_host.c)
 *   statx-x   the same, the identity check by statx(fd, NULL,
 *             AT_EMPTY_PATH) (Linux 6.11: no path copied in)
 *   fstatat   newfstatat of the name for the look, then as statx-x
 *   opath     openat2 O_PATH (no open of the file itself), fstat of it,
 *             then the real open through /proc/self/fd/N (a directory fd
 *             kept open), close of the O_PATH fd: the same file by
 *             construction, no identity check
 *
 * With --landlock, the statx way alone, each block in a process of its
 * own under a Landlock layout (bench/README.md, "`--file-cache 0`,
 * session 10"): none; helper, the confined helper's (every filesystem
 * right handled, READ_FILE beneath the root, its own reads); deep, the
 * same with the root four directories further down; detached, the same
 * with the root a detached copy of its mount (open_tree(2)
 * OPEN_TREE_CLONE: Landlock's walk up from the file ends at that
 * mount's root; CAP_SYS_ADMIN, else not timed); trunc-root, TRUNCATE
 * granted at the root too, which ends the walk there and lets a
 * read-only open with O_TRUNC truncate a file beneath the root (checked:
 * the reason the helper's layout is not this one).
 *
 * Usage: look-floor [COUNT]   (run it under taskset -c 0; COUNT opens
 * per way and block, default 20000, ten blocks)
 *        look-floor --landlock [COUNT]   (Landlock ABI 3 or later, else
 *        exit 77)
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "opath_open.h"

static int root, procfd;

static int openat2_(int dir, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = {.flags = flags, .resolve = resolve};
	return (int)syscall(SYS_openat2, dir, path, &how, sizeof(how));
}

#define BENEATH (RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS)
#define RFLAGS (O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)

/* Each way: the fd of name, or -1 (errno EACCES when it is not a
 * regular file, EAGAIN when the file opened is not the one looked at). */
static int way_open(const char *name)
{
	return openat2_(root, name, RFLAGS, BENEATH);
}

/* statx of an fd with no path (Linux 6.11: NULL with AT_EMPTY_PATH,
 * nothing copied in; glibc's wrapper says its path is never NULL) */
static int statx_fd(int fd, struct statx *sx)
{
	return (int)syscall(SYS_statx, fd, NULL, AT_EMPTY_PATH, STATX_INO, sx);
}

static int same_or_close(int fd, dev_t dev, ino_t ino, dev_t dev2, ino_t ino2)
{
	if (dev != dev2 || ino != ino2) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	return fd;
}

/* The look by name (statx: a regular file, or EACCES), then the open
 * beneath root: the fd, or -1. */
static int statx_then_open(const char *name, struct statx *sx)
{
	if (statx(root, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO, sx) <
	    0)
		return -1;
	if (!S_ISREG(sx->stx_mode)) {
		errno = EACCES;
		return -1;
	}
	return openat2_(root, name, RFLAGS, BENEATH);
}

static int way_statx(const char *name)
{
	struct statx sx;
	struct stat st;
	int fd;
	if ((fd = statx_then_open(name, &sx)) < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	return same_or_close(fd, makedev(sx.stx_dev_major, sx.stx_dev_minor), sx.stx_ino, st.st_dev,
	                     st.st_ino);
}

static int check_fd_statx(int fd, const struct statx *before)
{
	struct statx sx;
	if (statx_fd(fd, &sx) < 0) {
		close(fd);
		return -1;
	}
	if (sx.stx_dev_major != before->stx_dev_major ||
	    sx.stx_dev_minor != before->stx_dev_minor || sx.stx_ino != before->stx_ino) {
		close(fd);
		errno = EAGAIN;
		return -1;
	}
	return fd;
}

static int way_statx_x(const char *name)
{
	struct statx sx;
	int fd;
	if ((fd = statx_then_open(name, &sx)) < 0)
		return -1;
	return check_fd_statx(fd, &sx);
}

static int way_fstatat(const char *name)
{
	struct stat st;
	struct statx sx;
	int fd;
	if (fstatat(root, name, &st, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT) < 0)
		return -1;
	if (!S_ISREG(st.st_mode)) {
		errno = EACCES;
		return -1;
	}
	if ((fd = openat2_(root, name, RFLAGS, BENEATH)) < 0)
		return -1;
	if (statx_fd(fd, &sx) < 0) {
		close(fd);
		return -1;
	}
	return same_or_close(fd, st.st_dev, st.st_ino, makedev(sx.stx_dev_major, sx.stx_dev_minor),
	                     sx.stx_ino);
}

static int way_opath(const char *name)
{
	struct stat st;
	return opath_open(root, procfd, name, O_NOFOLLOW, BENEATH, RFLAGS, &st);
}

static const struct way {
	const char *name;
	int (*open)(const char *);
	int looks; /* refuses what is not a regular file before opening it */
} ways[] = {
    {"open", way_open, 0},       {"statx", way_statx, 1}, {"statx-x", way_statx_x, 1},
    {"fstatat", way_fstatat, 1}, {"opath", way_opath, 1},
};
#define NWAYS (sizeof(ways) / sizeof(ways[0]))

static double cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ---- look-floor --landlock: the statx way under the confined helper's
 * Landlock (framework/helper/confine_ll.c), its layout and others ---- */

/* Landlock, carried here as confine_ll.c does (Debian 12's headers stop
 * at ABI 2) */
#define LL_CREATE_RULESET 444
#define LL_ADD_RULE 445
#define LL_RESTRICT_SELF 446
#define LL_READ_FILE (1ull << 2)
#define LL_WRITE_FILE (1ull << 1)
#define LL_TRUNCATE (1ull << 14) /* ABI 3 */
#define LL_OPEN_TREE 428         /* open_tree(2), Linux 5.2 */
#define LL_TREE_CLONE 1          /* OPEN_TREE_CLONE */

struct ll_attr {
	uint64_t fs, net, scoped;
};

struct ll_beneath {
	uint64_t allowed;
	int32_t fd;
} __attribute__((packed));

/* Each layout: a process of its own (Landlock is for good), the root
 * the broker opens beneath, the rights granted at that root. */
enum { LL_NONE, LL_HELPER, LL_DETACHED, LL_DEEP, LL_TRUNC_ROOT, LL_N };
static const char *const ll_names[LL_N] = {"none", "helper", "detached", "deep", "trunc-root"};

/* The filesystem rights of the kernel's ABI: all handled, as the
 * confined helper's ruleset handles them. */
static uint64_t ll_handled(int abi)
{
	uint64_t fs = (1ull << 13) - 1;
	if (abi >= 2)
		fs |= 1ull << 13; /* REFER */
	if (abi >= 3)
		fs |= LL_TRUNCATE;
	if (abi >= 5)
		fs |= 1ull << 15; /* IOCTL_DEV */
	return fs;
}

static int ll_rule(int rs, const char *path, uint64_t allowed)
{
	int fd = open(path, O_PATH | O_CLOEXEC), rc;
	struct ll_beneath b = {allowed, fd};
	if (fd < 0)
		return -1;
	rc = (int)syscall(LL_ADD_RULE, rs, 1, &b, 0);
	close(fd);
	return rc;
}

/* In a child: the layout on top's tree, as the helper would have it for
 * one read-only beneath rule at the root (READ_FILE there; its own
 * reads: /proc, /dev/null), then the checks that make the layout what
 * it says: the file opens; a file outside the root does not; a
 * read-only open with O_TRUNC of a file beneath the root is refused
 * (EACCES), except under trunc-root, where it truncates (the reason the
 * helper's layout ends no walk there).  0, 77 (not available here) or
 * 1 (a check failed: said on stderr). */
static int ll_enter(int l, const char *top, int abi)
{
	char path[4200], out[4200];
	struct ll_attr attr = {ll_handled(abi), 0, 0};
	uint64_t at_root = LL_READ_FILE | (l == LL_TRUNC_ROOT ? LL_TRUNCATE : 0);
	int rs, fd, v;
	snprintf(path, sizeof(path), l == LL_DEEP ? "%s/root/a/b/c/d" : "%s/root", top);
	root = l == LL_DETACHED
	           ? (int)syscall(LL_OPEN_TREE, AT_FDCWD, path, LL_TREE_CLONE | O_CLOEXEC)
	           : open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 && l == LL_DETACHED && errno == EPERM)
		return 77;
	if (root < 0) {
		fprintf(stderr, "look-floor: %s: the root %s: %s\n", ll_names[l], path,
		        strerror(errno));
		return 1;
	}
	if (l == LL_NONE)
		return 0;
	rs = (int)syscall(LL_CREATE_RULESET, &attr, sizeof(attr.fs), 0);
	if (rs < 0 || ll_rule(rs, path, at_root) < 0 || ll_rule(rs, "/proc", LL_READ_FILE) < 0 ||
	    ll_rule(rs, "/dev/null", LL_READ_FILE | LL_WRITE_FILE) < 0 ||
	    syscall(SYS_prctl, 38 /* PR_SET_NO_NEW_PRIVS */, 1, 0, 0, 0) < 0 ||
	    syscall(LL_RESTRICT_SELF, rs, 0) < 0) {
		fprintf(stderr, "look-floor: %s: Landlock: %s\n", ll_names[l], strerror(errno));
		return 1;
	}
	close(rs);
	fd = way_statx("small.html");
	if (fd < 0) {
		fprintf(stderr, "look-floor: %s: the file: %s\n", ll_names[l], strerror(errno));
		return 1;
	}
	close(fd);
	snprintf(out, sizeof(out), "%s/out", top);
	fd = open(out, O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES) {
		fprintf(stderr, "look-floor: %s: a file outside the root %s\n", ll_names[l],
		        fd >= 0 ? "opened" : strerror(errno));
		return 1;
	}
	fd = openat2_(root, "victim", O_RDONLY | O_TRUNC | O_CLOEXEC, BENEATH);
	v = fd >= 0 ? 1 : errno == EACCES ? 0 : -1;
	if (fd >= 0)
		close(fd);
	if (v != (l == LL_TRUNC_ROOT)) {
		fprintf(stderr,
		        "look-floor: %s: a read-only open with O_TRUNC beneath the root %s\n",
		        ll_names[l],
		        v > 0   ? "truncated the file"
		        : v < 0 ? strerror(errno)
		                : "was refused");
		return 1;
	}
	return 0;
}

/* n opens by the statx way, each closed: 0, or 1 (one failed) */
static int ll_opens(long n)
{
	for (long k = 0; k < n; k++) {
		int fd = way_statx("small.html");
		if (fd < 0)
			return 1;
		close(fd);
	}
	return 0;
}

/* One block of count opens by the statx way under layout l, in a child:
 * its CPU ns per open into *ns.  0, 77 or 1 as ll_enter. */
static int ll_block(int l, const char *top, int abi, long count, double *ns)
{
	int p[2], st;
	pid_t pid;
	if (pipe(p) < 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		int rc = ll_enter(l, top, abi);
		double t = 0, t0;
		if (rc == 0 && (rc = ll_opens(count / 10)) == 0) { /* warm */
			t0 = cpu_ns();
			rc = ll_opens(count);
			t = (cpu_ns() - t0) / (double)count;
		}
		if (write(p[1], &t, sizeof(t)) != sizeof(t))
			rc = 1;
		_exit(rc);
	}
	close(p[1]);
	if (read(p[0], ns, sizeof(*ns)) != sizeof(*ns))
		*ns = 0;
	close(p[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

/* The tree: top/root/{small.html,victim}, the same beneath
 * top/root/a/b/c/d (four levels more to walk), top/out. */
static const char *const ll_files[] = {"root/small.html", "root/victim", "root/a/b/c/d/small.html",
                                       "root/a/b/c/d/victim", "out"};
static const char *const ll_dirs[] = {"root", "root/a", "root/a/b", "root/a/b/c", "root/a/b/c/d"};

static int ll_untree(const char *top)
{
	char path[4200];
	int rc = 0;
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", top, ll_files[i]);
		rc |= unlink(path);
	}
	for (size_t i = 5; i-- > 0;) {
		snprintf(path, sizeof(path), "%s/%s", top, ll_dirs[i]);
		rc |= rmdir(path);
	}
	return rc | rmdir(top);
}

static int ll_tree(char *top)
{
	const char *const *files = ll_files, *const *dirs = ll_dirs;
	char path[4200];
	if (!mkdtemp(top))
		return -1;
	for (size_t i = 0; i < 5; i++) {
		snprintf(path, sizeof(path), "%s/%s", top, dirs[i]);
		if (mkdir(path, 0755) < 0)
			return -1;
	}
	for (size_t i = 0; i < 5; i++) {
		int f;
		snprintf(path, sizeof(path), "%s/%s", top, files[i]);
		f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (f < 0 || write(f, "keep\n", 5) != 5)
			return -1;
		close(f);
	}
	return 0;
}

static int ll_main(long count)
{
	char top[] = "/tmp/look-floor-ll.XXXXXX";
	double per[LL_N][10];
	int abi = (int)syscall(LL_CREATE_RULESET, NULL, 0, 1 /* VERSION */), skip[LL_N] = {0},
	    rc = 0;
	if (abi < 3) {
		printf(
		    "look-floor --landlock: Landlock ABI %d: no TRUNCATE right, nothing to time\n",
		    abi < 0 ? 0 : abi);
		return 77;
	}
	if (ll_tree(top) < 0) {
		perror("look-floor: the tree");
		return 1;
	}
	printf("look-floor --landlock: Landlock ABI %d, the statx way beneath %s/root, %ld "
	       "opens per layout and block, ten blocks, each in a process of its own\n",
	       abi, top, count);
	for (int b = 0; b < 10 && rc == 0; b++)
		for (int l = 0; l < LL_N && rc == 0; l++) {
			int r = skip[l] ? 77 : ll_block(l, top, abi, count, &per[l][b]);
			if (r == 77)
				skip[l] = 1;
			else
				rc = r;
		}
	if (rc == 0) {
		printf("%-10s %10s %10s %10s   %s\n", "layout", "median ns", "min ns", "max ns",
		       "minus none");
		for (int l = 0; l < LL_N; l++) {
			if (skip[l]) {
				printf("%-10s %10s   (open_tree: no CAP_SYS_ADMIN)\n", ll_names[l],
				       "-");
				continue;
			}
			qsort(per[l], 10, sizeof(double), cmp_d);
			printf("%-10s %10.0f %10.0f %10.0f   %+.0f\n", ll_names[l],
			       (per[l][4] + per[l][5]) / 2, per[l][0], per[l][9],
			       (per[l][4] + per[l][5]) / 2 - (per[0][4] + per[0][5]) / 2);
		}
	}
	return ll_untree(top) < 0 ? 1 : rc;
}

/* Is pid asleep in a FIFO's open, waiting for a reader?  The wait
 * channel of a task that sleeps there is wait_for_partner; a task woken
 * is runnable at once (the reader's open wakes it before it returns),
 * and a runnable task has none. */
static int in_fifo_open(pid_t pid)
{
	char path[64], w[64] = "";
	ssize_t n;
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/wchan", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, w, sizeof(w) - 1);
	close(fd);
	if (n > 0)
		w[n] = '\0';
	return strcmp(w, "wait_for_partner") == 0;
}

/* Does way w refuse the FIFO "fifo" without opening it?  A child waits
 * in open(O_WRONLY) on it (waited for, up to 5 s): an open for reading
 * wakes it.  1: refused and the child still asleep; 0: opened or woke
 * it; -1: the child never got there. */
static int refuses_fifo(const struct way *w, const char *dir)
{
	char path[4200];
	int fd, asleep, tries = 0;
	pid_t pid;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		(void)open(path, O_WRONLY);
		_exit(0);
	}
	while (!in_fifo_open(pid) && tries++ < 5000)
		usleep(1000);
	if (!in_fifo_open(pid)) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return -1;
	}
	fd = w->open("fifo");
	asleep = in_fifo_open(pid);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (fd >= 0)
		close(fd);
	return fd < 0 && asleep;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--landlock"))
		return ll_main(argc > 2 ? atol(argv[2]) : 20000);
	long count = argc > 1 ? atol(argv[1]) : 20000;
	char dir[] = "/tmp/look-floor.XXXXXX", path[4200];
	double per[NWAYS][10];
	int f;
	if (count < 1 || !mkdtemp(dir))
		return 2;
	snprintf(path, sizeof(path), "%s/small.html", dir);
	f = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (f < 0 || write(f, "x", 1) != 1)
		return 1;
	close(f);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/sub", dir);
	if (mkdir(path, 0700) < 0)
		return 1;
	snprintf(path, sizeof(path), "%s/link", dir);
	if (symlink("small.html", path) < 0)
		return 1;
	root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0 || procfd < 0)
		return 1;

	printf("look-floor: each way checked, then %ld opens per way and block, ten blocks\n",
	       count);
	for (size_t i = 0; i < NWAYS; i++) {
		int fd = ways[i].open("small.html"), ok = fd >= 0;
		if (fd >= 0)
			close(fd);
		if (!ok) {
			fprintf(stderr, "look-floor: %s does not open a regular file: %s\n",
			        ways[i].name, strerror(errno));
			return 1;
		}
		if (!ways[i].looks)
			continue;
		const char *bad[] = {"sub", "link"};
		for (size_t j = 0; j < 2; j++) {
			fd = ways[i].open(bad[j]);
			if (fd >= 0) {
				fprintf(stderr, "look-floor: %s opened %s\n", ways[i].name, bad[j]);
				return 1;
			}
		}
		int rc = refuses_fifo(&ways[i], dir);
		if (rc != 1) {
			fprintf(stderr, "look-floor: %s\n",
			        rc < 0 ? "no writer could be seen waiting on the FIFO"
			               : "a way opened the FIFO (its writer woke)");
			fprintf(stderr, "look-floor: the way: %s\n", ways[i].name);
			return 1;
		}
	}
	/* the baseline does open the FIFO: the check above can fail */
	if (refuses_fifo(&ways[0], dir) != 0) {
		fprintf(stderr, "look-floor: the FIFO check does not see an open\n");
		return 1;
	}

	for (int b = 0; b < 10; b++)
		for (size_t i = 0; i < NWAYS; i++) {
			double t0 = cpu_ns();
			for (long k = 0; k < count; k++) {
				int fd = ways[i].open("small.html");
				if (fd < 0)
					return 1;
				close(fd);
			}
			per[i][b] = (cpu_ns() - t0) / (double)count;
		}
	printf("%-8s %10s %10s %10s   %s\n", "way", "median ns", "min ns", "max ns",
	       "minus open (the look's cost)");
	qsort(per[0], 10, sizeof(double), cmp_d);
	for (size_t i = 0; i < NWAYS; i++) {
		qsort(per[i], 10, sizeof(double), cmp_d);
		printf("%-8s %10.0f %10.0f %10.0f   %+.0f\n", ways[i].name,
		       (per[i][4] + per[i][5]) / 2, per[i][0], per[i][9],
		       (per[i][4] + per[i][5]) / 2 - (per[0][4] + per[0][5]) / 2);
	}
	for (size_t j = 0; j < 4; j++)
		unlinkat(root, (const char *[]){"small.html", "fifo", "link", "sub"}[j],
		         j == 3 ? AT_REMOVEDIR : 0);
	return rmdir(dir) == 0 ? 0 : 1;
}
