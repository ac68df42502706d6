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
 * Usage: look-floor [COUNT]   (run it under taskset -c 0; COUNT opens
 * per way and block, default 20000, ten blocks)
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
