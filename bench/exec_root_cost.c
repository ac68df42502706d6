/* SPDX-License-Identifier: ISC */
/*
 * exec_root_cost.c - what exec mode's root (framework/sandbox/
 * exec_root.c, a root helper's step 3) costs a spawn, against what step 3
 * did before it (the new image's own /proc only), alternating one with
 * the other in the same run.  Each sample is a forked child that enters
 * a new mount namespace (as step 3 does, both ways) and then takes the
 * one or the other; the child reads the wall clock and its own CPU time
 * around that part and writes both to a pipe.  The plan (realpath and
 * lstat of each path, in the helper before the fork) is timed apart.
 * Root only.  Usage: exec-root-cost [N]  (N samples of each, default 200)
 */
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sandbox.h"

/* the first Landlock layer's read set (sandbox_exec.c's loader_paths) */
static const char *const loader[] = {"/usr", "/lib", "/lib64", "/etc/ld.so.cache"};

static long long ns(clockid_t c)
{
	struct timespec t;
	clock_gettime(c, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

static int cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;
	return (x > y) - (x < y);
}

/* One child: a new mount namespace, then the root (root 1) or the /proc
 * of main's step 3; its wall and CPU ns, or -1 when a step failed. */
static int sample(const struct sb_plan *p, int root, long long out[2])
{
	int fd[2];
	pid_t pid;
	if (pipe(fd) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		long long r[2] = {-1, -1}, w0, c0;
		int ok;
		close(fd[0]);
		if (unshare(CLONE_NEWNS) < 0 ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
			_exit(1);
		w0 = ns(CLOCK_MONOTONIC);
		c0 = ns(CLOCK_THREAD_CPUTIME_ID);
		ok = root ? sandbox_exec_root_enter(p) == 0
		          : mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		                  "hidepid=invisible,subset=pid") == 0;
		if (ok) {
			r[1] = ns(CLOCK_THREAD_CPUTIME_ID) - c0;
			r[0] = ns(CLOCK_MONOTONIC) - w0;
		}
		_exit(write(fd[1], r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 1);
	}
	close(fd[1]);
	if (read(fd[0], out, 2 * sizeof(long long)) != 2 * (ssize_t)sizeof(long long))
		out[0] = -1;
	close(fd[0]);
	waitpid(pid, NULL, 0);
	return out[0] < 0 ? -1 : 0;
}

static void row(const char *what, long long *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("  %-44s %9lld %9lld\n", what, v[n / 2], v[n * 99 / 100]);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	struct sb_plan *p = calloc(1, sizeof(*p));
	long long *v[5], s[2], t0;
	char why[512];
	if (geteuid() != 0 || n < 2 || !p) {
		fprintf(stderr, "exec-root-cost: root only; N >= 2\n");
		return 2;
	}
	for (int k = 0; k < 5; k++)
		if (!(v[k] = calloc((size_t)n, sizeof(long long))))
			return 1;
	p->exec.fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (p->exec.fd < 0 ||
	    sandbox_elf_interp(p->exec.fd, p->exec.interp, sizeof(p->exec.interp)) < 0)
		return 1;
	for (int i = 0; i < n; i++) {
		t0 = ns(CLOCK_MONOTONIC);
		if (sandbox_exec_root_plan(p, loader, sizeof(loader) / sizeof(loader[0]), why,
		                           sizeof(why)) < 0) {
			fprintf(stderr, "exec-root-cost: %s\n", why);
			return 1;
		}
		v[4][i] = ns(CLOCK_MONOTONIC) - t0;
	}
	for (int i = 0; i < n; i++) {
		if (sample(p, 0, s) < 0)
			return 1;
		v[0][i] = s[0];
		v[1][i] = s[1];
		if (sample(p, 1, s) < 0) {
			fprintf(stderr, "exec-root-cost: the root could not be made\n");
			return 1;
		}
		v[2][i] = s[0];
		v[3][i] = s[1];
	}
	printf("exec mode's step 3 after unshare (ns, median and p99 of %d, alternating):\n", n);
	row("own /proc only (main before): wall", v[0], n);
	row("own /proc only (main before): CPU", v[1], n);
	row("root of what the start needs: wall", v[2], n);
	row("root of what the start needs: CPU", v[3], n);
	row("its plan in the helper (realpath, lstat): wall", v[4], n);
	return 0;
}
