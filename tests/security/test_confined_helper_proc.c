/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_proc.c - a compromised confined helper, the
 * attacker, looks at other processes through /proc: its Landlock lets
 * it read files beneath /proc (a worker's /proc/PID/status, its own
 * status) and helper.policy lets it openat read-only and readlinkat.
 * The victims: a sibling process the test started before the helper
 * confined itself (same uid, holding a secret in its environment and a
 * file open), and, as root, one of another uid.  What ptrace's read
 * check guards (environ, mem, maps, each fd opened through or read as
 * a link, the program's link) must be refused: the helper's Landlock
 * domain holds neither process (Landlock's ptrace scoping), even where
 * the uid (root, or the same one) would pass.  cmdline and status,
 * readable by every local user, are not asked of (SECURITY.md, Known
 * limits).  Each helper runs in a child: confinement is for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "confined_peer.h"
#include "harness.h"

#define SECRET "PRIVSEP_SIBLING_SECRET=s3cr3t-sibling"

/* The victim of the attack (set before the helper's child forks). */
static pid_t victim;
static int victim_fd; /* the number of its open file */

static int setup(void **s)
{
	(void)s;
	if (cp_setup("/tmp/privsep-chp-XXXXXX") < 0)
		return -1;
	cp_put("secret", "the sibling's file\n", 0644);
	return 0;
}

/* A process with SECRET in its environment and cp_top/secret open, as
 * uid (-1: this one), dumpable (a shell, executed with that environment,
 * reading its standard input) until *go's other end is closed; its pid,
 * once its file is open (the number said on a pipe). */
static pid_t sibling(uid_t uid, int *go)
{
	static char *const env[] = {(char *)SECRET, NULL};
	int up[2], down[2];
	pid_t p;
	assert_int_equal(pipe2(up, O_CLOEXEC), 0);
	assert_int_equal(pipe2(down, O_CLOEXEC), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		int fd = open(cp_at("secret"), O_RDONLY); /* kept across the exec */
		if (fd < 0 || dup2(down[0], STDIN_FILENO) < 0 ||
		    (uid != (uid_t)-1 && setresuid(uid, uid, uid) < 0) ||
		    write(up[1], &fd, sizeof(fd)) != (ssize_t)sizeof(fd))
			_exit(1);
		execle("/bin/sh", "sh", "-c", "read x || exit 0", (char *)NULL, env);
		_exit(127);
	}
	close(up[1]);
	close(down[0]);
	assert_int_equal(read(up[0], &victim_fd, sizeof(victim_fd)), (ssize_t)sizeof(victim_fd));
	close(up[0]);
	*go = down[1];
	return p;
}

static void sibling_end(pid_t p, int go)
{
	int st;
	close(go);
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* path (of the victim's /proc) opened read-only and read: 1 when it
 * was refused, else 0, said with what was read. */
static int read_refused(const char *what)
{
	char path[64], buf[4096];
	int fd;
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)victim, what);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			return 1;
		fprintf(stderr, "open %s: %s, not EACCES\n", path, strerror(errno));
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0 && (errno == EACCES || errno == EPERM))
		return 1; /* checked at the read (syscall) */
	fprintf(stderr, "not refused: %s: %zd bytes read%s\n", path, n,
	        n > 0 && memmem(buf, (size_t)n, SECRET, strlen(SECRET)) ? ", the secret" : "");
	return 0;
}

static int link_refused(const char *what)
{
	char path[64], buf[256];
	ssize_t n;
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)victim, what);
	n = readlinkat(AT_FDCWD, path, buf, sizeof(buf) - 1);
	if (n < 0 && (errno == EACCES || errno == EPERM))
		return 1;
	fprintf(stderr, "not refused: readlink %s: %s\n", path,
	        n < 0 ? strerror(errno) : (buf[n] = '\0', buf));
	return 0;
}

static int attack_body(void)
{
	char fdpath[32];
	int wfd, bad = 0;
	struct hx *x = cp_confined("version 1\n", &wfd);
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	/* from here, the helper is the attacker's */
	snprintf(fdpath, sizeof(fdpath), "fd/%d", victim_fd);
	bad += !read_refused("environ");
	bad += !read_refused("mem");
	bad += !read_refused("maps");
	bad += !read_refused("auxv");
	bad += !read_refused("syscall");
	bad += !read_refused(fdpath);
	bad += !link_refused(fdpath);
	bad += !link_refused("exe");
	bad += !link_refused("cwd");
	bad += !link_refused("root");
	/* the known limit, measured: what every local user may read */
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)victim);
		errno = 0;
		(void)cp_text_of(path);
		fprintf(stderr, "measured: the confined helper %s the victim's cmdline\n",
		        errno ? "cannot read" : "reads");
	}
	return bad ? 10 + bad : 0;
}

static void attack(uid_t uid)
{
	int go;
	if (under_valgrind())
		skip();
	victim = sibling(uid, &go);
	assert_int_equal(cp_run_child(attack_body), 0);
	sibling_end(victim, go);
}

/* A daemon beside it of its own uid (as root: with every capability),
 * dumpable.  Fails on main as root: the confined helper kept
 * CAP_SYS_PTRACE and CAP_PERFMON, with which ptrace's read check passes
 * under Landlock too, and read the sibling's environ, maps and auxv
 * (Landlock still refused what the attach check guards: mem, syscall,
 * the links).  A helper of a normal user is refused by Landlock's
 * ptrace scoping (measured). */
static void
a_compromised_confined_helper_reads_no_secret_of_a_sibling_process_through_proc(void **s)
{
	(void)s;
	attack((uid_t)-1);
}

/* As root: another uid's process.  Fails on main as the one above. */
static void
a_compromised_confined_root_helper_reads_no_secret_of_another_uids_process_through_proc(void **s)
{
	(void)s;
	if (geteuid() != 0)
		skip(); /* another uid's process needs root to start */
	attack(65534);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_reads_no_secret_of_a_sibling_process_through_proc),
	    cmocka_unit_test(
	        a_compromised_confined_root_helper_reads_no_secret_of_another_uids_process_through_proc),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
