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
 *   run_probe helper                open the helper's /proc entries
 *   run_probe link OLD NEW          link(2), and print the result
 *   run_probe fds                   the fds it holds, 0..4095
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (argc == 4 && !strcmp(argv[1], "link")) {
		int rc = link(argv[2], argv[3]);
		printf("link: %s\n", rc == 0 ? "ok" : strerrorname_np(errno));
		return 0;
	}
	fprintf(stderr, "usage: see run_probe.c\n");
	return 2;
}
