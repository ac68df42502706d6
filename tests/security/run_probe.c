/* SPDX-License-Identifier: ISC */
/*
 * run_probe - a program that knows nothing of privsep, run by the tests
 * under privsep-run (run-*.sh): it acts as a compromised program would,
 * with plain libc calls, and prints what it got, one line each.
 *
 *   run_probe open PATH...          "PATH: ok FIRSTLINE" or "PATH: ENAME"
 *   run_probe threads N DIR         N threads open DIR/f0..f3 at once
 *   run_probe memrace GOOD BAD N    open GOOD N times while another thread
 *                                   rewrites the path to BAD and back
 *   run_probe reopen PATH N         open PATH N times (a rename race runs
 *                                   outside); fails on a line "SECRET"
 *   run_probe swap A B SECONDS      (unsandboxed) exchange A and B by
 *                                   renameat2 RENAME_EXCHANGE, in a loop
 *   run_probe fstat DIR             fstat (newfstatat and statx with "" or
 *                                   NULL and AT_EMPTY_PATH) of its own fds,
 *                                   each against the kernel's fstat(2)
 *   run_probe fstatrace DIR BAD N   the same of a DIR fd N times while
 *                                   another thread rewrites "" to BAD and
 *                                   back; fails on a result of another file
 *   run_probe helper                open the helper's /proc entries
 *   run_probe link OLD NEW          link(2), and print the result
 *   run_probe fds                   the fds it holds, 0..4095
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

/* The first line of path (no newline), or its errno: 0 or the errno. */
static int first_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	if (fd < 0)
		return errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return errno;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static void show(const char *path)
{
	char buf[256];
	int e = first_line(path, buf, sizeof(buf));
	if (e)
		printf("%s: %s\n", path, strerrorname_np(e));
	else
		printf("%s: ok %s\n", path, buf);
}

struct tharg {
	const char *dir;
	int bad;
};

static void *opener(void *p)
{
	struct tharg *a = p;
	char path[4096], buf[64], want[16];
	for (int i = 0; i < 200; i++) {
		snprintf(path, sizeof(path), "%s/f%d", a->dir, i % 4);
		snprintf(want, sizeof(want), "file%d", i % 4);
		if (first_line(path, buf, sizeof(buf)) || strcmp(buf, want) != 0)
			a->bad++;
	}
	return NULL;
}

static int threads(int n, const char *dir)
{
	pthread_t t[64];
	struct tharg a[64];
	int bad = 0;
	if (n < 1 || n > 64)
		return 2;
	for (int i = 0; i < n; i++) {
		a[i].dir = dir;
		a[i].bad = 0;
		if (pthread_create(&t[i], NULL, opener, &a[i]) != 0)
			return 2;
	}
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		bad += a[i].bad;
	}
	printf("threads %d opens %d wrong %d\n", n, n * 200, bad);
	return bad ? 1 : 0;
}

static char race_path[4096];
static const char *race_good, *race_bad;
static atomic_int race_stop;

static void *flipper(void *p)
{
	size_t lg = strlen(race_good) + 1, lb = strlen(race_bad) + 1;
	(void)p;
	while (!atomic_load(&race_stop)) {
		memcpy(race_path, race_bad, lb);
		memcpy(race_path, race_good, lg);
	}
	return NULL;
}

static int memrace(const char *good, const char *bad, int n)
{
	pthread_t t;
	int ok = 0, refused = 0, leak = 0;
	char buf[256];
	race_good = good;
	race_bad = bad;
	snprintf(race_path, sizeof(race_path), "%s", good);
	if (pthread_create(&t, NULL, flipper, NULL) != 0)
		return 2;
	for (int i = 0; i < n; i++) {
		int e = first_line(race_path, buf, sizeof(buf));
		if (e)
			refused++;
		else if (strstr(buf, "SECRET"))
			leak++;
		else
			ok++;
	}
	atomic_store(&race_stop, 1);
	pthread_join(t, NULL);
	printf("memrace tries %d ok %d refused %d leaked %d\n", n, ok, refused, leak);
	return leak ? 1 : 0;
}

static int reopen(const char *path, int n)
{
	int ok = 0, refused = 0, leak = 0;
	char buf[256];
	for (int i = 0; i < n; i++) {
		int e = first_line(path, buf, sizeof(buf));
		if (e)
			refused++;
		else if (strstr(buf, "SECRET"))
			leak++;
		else
			ok++;
	}
	printf("reopen tries %d ok %d refused %d leaked %d\n", n, ok, refused, leak);
	return leak ? 1 : 0;
}

static int swap(const char *a, const char *b, int seconds)
{
	time_t end = time(NULL) + seconds;
	long n = 0;
	while (time(NULL) < end) {
		for (int i = 0; i < 1000; i++)
			if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) < 0) {
				perror("renameat2");
				return 1;
			}
		n += 1000;
	}
	fprintf(stderr, "swap: %ld exchanges\n", n);
	return 0;
}

/* The kernel's own fstat(2) (glibc 2.36 makes fstat a newfstatat with
 * "", which goes to the helper; the fstat call does not). */
static int kfstat(int fd, struct stat *st)
{
	return (int)syscall(SYS_fstat, fd, st);
}

static int same(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
	       a->st_size == b->st_size && a->st_nlink == b->st_nlink;
}

/* newfstatat(fd, "", AT_EMPTY_PATH) and statx of fd against fstat(2). */
static void own_one(const char *what, int fd)
{
	struct stat want, got;
	struct statx sx;
	int e = 0, ex = 0;
	if (kfstat(fd, &want) < 0)
		memset(&want, 0, sizeof(want));
	if (syscall(SYS_newfstatat, fd, "", &got, AT_EMPTY_PATH) < 0)
		e = errno;
	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
		ex = errno;
	printf("fstat %s: %s\n", what,
	       e                   ? strerrorname_np(e)
	       : same(&got, &want) ? "same"
	                           : "DIFFERENT");
	printf("statx %s: %s\n", what,
	       ex ? strerrorname_np(ex)
	       : sx.stx_ino == want.st_ino && sx.stx_size == (uint64_t)want.st_size ? "same"
	                                                                            : "DIFFERENT");
}

/* The same with a NULL path and AT_EMPTY_PATH, which Linux 6.11 and
 * later take as "" (statx(2)): the program's own fd. */
static void own_null(const char *what, int fd)
{
	struct stat want, got;
	struct statx sx;
	int e = 0, ex = 0;
	if (kfstat(fd, &want) < 0)
		memset(&want, 0, sizeof(want));
	if (syscall(SYS_newfstatat, fd, NULL, &got, AT_EMPTY_PATH) < 0)
		e = errno;
	if (syscall(SYS_statx, fd, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0)
		ex = errno;
	printf("fstat NULL %s: %s\n", what,
	       e                   ? strerrorname_np(e)
	       : same(&got, &want) ? "same"
	                           : "DIFFERENT");
	printf("statx NULL %s: %s\n", what,
	       ex ? strerrorname_np(ex)
	       : sx.stx_ino == want.st_ino && sx.stx_size == (uint64_t)want.st_size ? "same"
	                                                                            : "DIFFERENT");
}

static int own_fds(const char *dir)
{
	char file[4096];
	int d = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), f, p[2];
	void *ro;
	struct stat st;
	struct statx sx;
	snprintf(file, sizeof(file), "%s/a.txt", dir);
	f = open(file, O_RDONLY | O_CLOEXEC);
	if (d < 0 || f < 0 || pipe(p) < 0)
		return 2;
	own_one("file", f);
	own_one("dir", d);
	own_one("pipe", p[0]);
	own_one("closed", 999);
	own_null("file", f);
	own_null("dir", d);
	own_null("pipe", p[0]);
	own_null("closed", 999);
	{
		/* the working directory, AT_FDCWD: what fstat of "." says */
		struct stat want, got;
		int e =
		    kfstat(d, &want) < 0 || fchdir(d) < 0 ||
		    syscall(SYS_statx, AT_FDCWD, NULL, AT_EMPTY_PATH, STATX_BASIC_STATS, &sx) < 0 ||
		    syscall(SYS_newfstatat, AT_FDCWD, NULL, &got, AT_EMPTY_PATH) < 0;
		printf("fstat and statx NULL cwd: %s\n",
		       e                                                ? strerrorname_np(errno)
		       : same(&got, &want) && sx.stx_ino == want.st_ino ? "same"
		                                                        : "DIFFERENT");
	}
	/* NULL without AT_EMPTY_PATH is a path the program cannot have */
	printf("statx NULL without AT_EMPTY_PATH: %s\n",
	       syscall(SYS_statx, f, NULL, 0, STATX_BASIC_STATS, &sx) < 0 ? strerrorname_np(errno)
	                                                                  : "answered");
	/* the result written into memory the program cannot write */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ro == MAP_FAILED)
		return 2;
	printf("fstat read-only buffer: %s\n", syscall(SYS_newfstatat, f, "", ro, AT_EMPTY_PATH) < 0
	                                           ? strerrorname_np(errno)
	                                           : "written");
	/* "" without AT_EMPTY_PATH names nothing */
	printf("fstat without AT_EMPTY_PATH: %s\n",
	       syscall(SYS_newfstatat, f, "", &st, 0) < 0 ? strerrorname_np(errno) : "answered");
	return 0;
}

static char fs_path[4096];
static const char *fs_bad;
static atomic_int fs_stop;

static void *fs_flipper(void *p)
{
	size_t lb = strlen(fs_bad) + 1;
	(void)p;
	unsigned r = 1;
	/* each state held for a varying while (up to some µs): the window
	 * between the helper's read and any later read of the path is hit */
	while (!atomic_load(&fs_stop)) {
		r = r * 1103515245u + 12345u;
		memcpy(fs_path, fs_bad, lb);
		for (volatile unsigned k = (r >> 16) & 4095; k > 0; k--)
			;
		fs_path[0] = '\0';
		for (volatile unsigned k = (r >> 4) & 4095; k > 0; k--)
			;
	}
	return NULL;
}

static int fstatrace(const char *dir, const char *bad, int n)
{
	pthread_t t;
	struct stat want, got;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), own = 0, refused = 0, other = 0;
	if (fd < 0 || kfstat(fd, &want) < 0)
		return 2;
	fs_bad = bad;
	if (pthread_create(&t, NULL, fs_flipper, NULL) != 0)
		return 2;
	for (int i = 0; i < n; i++) {
		if (syscall(SYS_newfstatat, fd, fs_path, &got, AT_EMPTY_PATH) < 0)
			refused++;
		else if (got.st_dev == want.st_dev && got.st_ino == want.st_ino)
			own++;
		else
			other++;
	}
	atomic_store(&fs_stop, 1);
	pthread_join(t, NULL);
	printf("fstatrace tries %d own %d refused %d other %d\n", n, own, refused, other);
	return other ? 1 : 0;
}

static int helper(void)
{
	char path[64];
	const char *what[] = {"environ", "root/etc/hostname", "fd/0", "fd/1", "mem", "cwd/x"};
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)getppid(), what[i]);
		show(path);
	}
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 3 && !strcmp(argv[1], "open")) {
		for (int i = 2; i < argc; i++)
			show(argv[i]);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "threads"))
		return threads(atoi(argv[2]), argv[3]);
	if (argc == 5 && !strcmp(argv[1], "memrace"))
		return memrace(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && !strcmp(argv[1], "reopen"))
		return reopen(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "swap"))
		return swap(argv[2], argv[3], atoi(argv[4]));
	if (argc == 3 && !strcmp(argv[1], "fstat"))
		return own_fds(argv[2]);
	if (argc == 5 && !strcmp(argv[1], "fstatrace"))
		return fstatrace(argv[2], argv[3], atoi(argv[4]));
	if (argc == 2 && !strcmp(argv[1], "helper"))
		return helper();
	if (argc == 2 && !strcmp(argv[1], "fds")) {
		printf("fds:");
		for (int fd = 0; fd < 4096; fd++)
			if (fcntl(fd, F_GETFD) >= 0)
				printf(" %d", fd);
		printf("\n");
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "accessfd")) {
		/* access of its own fd (AT_EMPTY_PATH) and of the path: the
		 * same answer, the rule's */
		int fd = open(argv[2], O_RDONLY | O_CLOEXEC);
		const int modes[] = {F_OK, R_OK, W_OK, R_OK | W_OK};
		const char *names[] = {"F_OK", "R_OK", "W_OK", "R_OK|W_OK"};
		if (fd < 0)
			return 3;
		for (int i = 0; i < 4; i++) {
			long a = syscall(SYS_faccessat2, fd, "", modes[i], AT_EMPTY_PATH);
			const char *ea = a < 0 ? strerrorname_np(errno) : "0";
			long b = syscall(SYS_faccessat2, AT_FDCWD, argv[2], modes[i], 0);
			printf("%s: fd %s path %s\n", names[i], ea,
			       b < 0 ? strerrorname_np(errno) : "0");
		}
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "link")) {
		int rc = link(argv[2], argv[3]);
		printf("link: %s\n", rc == 0 ? "ok" : strerrorname_np(errno));
		return 0;
	}
	fprintf(stderr, "usage: see run_probe.c\n");
	return 2;
}
