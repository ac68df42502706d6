/* SPDX-License-Identifier: ISC */
/*
 * Promises of privsep.h that the code did not keep (session 13's audit
 * of the section 3 manual, man-a): each test acts as a program relying on
 * the promise would, and fails while the code breaks it (each checked
 * with a mutant, fix-a).
 *
 *  - privsep_exec_open: "-1 with errno" and EACCES for a path that is not
 *    a regular file (privsep_exec_open(3)); a FIFO made it wait for a
 *    writer (spawn_exec.c: open(O_RDONLY) before the fstat; mutant: the
 *    O_NONBLOCK taken out, killed by the 60 s alarm).
 *  - privsep_helper_keep_caps: "this process's permitted and effective
 *    sets and its bounding set"; capabilities are a thread's, and another
 *    thread kept them all: now EBUSY, nothing changed (mutant: the thread
 *    check taken out, keep_caps returns 0).
 *  - privsep_helper_confine: with another thread, EBUSY before anything
 *    changes (mutant: the check where it was, before Landlock: the
 *    capabilities are dropped and the spawner forked).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privsep.h"

/* A FIFO nobody writes to: privsep_exec_open fails at once with EACCES,
 * in a child bounded by 60 s (the suite's bound for a wait that must
 * not happen), which SIGALRM kills when the call waits for a writer. */
static void exec_open_of_a_fifo_fails_with_eacces_without_waiting(void **s)
{
	char dir[] = "/tmp/privsep-man-XXXXXX", path[64];
	int status;
	pid_t pid;
	(void)s;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(60);
		errno = 0;
		int fd = privsep_exec_open(path);
		_exit(fd == -1 && errno == EACCES ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	unlink(path);
	rmdir(dir);
	if (WIFSIGNALED(status))
		fail_msg("privsep_exec_open of a FIFO waited for a writer (killed by signal %d)",
		         WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static int go_fd[2];
static pid_t other_tid;

static void *other_thread(void *arg)
{
	char c;
	(void)arg;
	__atomic_store_n(&other_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
	/* until the test has read its capabilities */
	if (read(go_fd[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

/* The line "Cap...:\t<hex>" of thread tid's status. */
static unsigned long long task_caps(pid_t tid, const char *which)
{
	char path[64], line[256];
	unsigned long long v = ~0ull;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, which, strlen(which)))
			v = strtoull(line + strlen(which), NULL, 16);
	fclose(f);
	return v;
}

/* The capabilities of thread tid, as the kernel shows them. */
struct caps {
	unsigned long long eff, prm, bnd;
};

static struct caps caps_of(pid_t tid)
{
	return (struct caps){task_caps(tid, "CapEff:"), task_caps(tid, "CapPrm:"),
	                     task_caps(tid, "CapBnd:")};
}

static int same_caps(struct caps a, struct caps b)
{
	return a.eff == b.eff && a.prm == b.prm && a.bnd == b.bnd;
}

/* In a child (narrowing is for good): start the other thread and wait
 * until it has run. */
static void start_other_thread(pthread_t *t)
{
	if (pipe(go_fd) < 0 || pthread_create(t, NULL, other_thread, NULL) != 0)
		_exit(2);
	while (!__atomic_load_n(&other_tid, __ATOMIC_SEQ_CST))
		sched_yield();
}

static void stop_other_thread(pthread_t t)
{
	if (write(go_fd[1], "x", 1) != 1 || pthread_join(t, NULL) != 0)
		_exit(2);
}

/* body in a child (what it narrows is for good), with the other thread
 * started: the test passes when the child exits 0. */
static void in_child_with_another_thread(void (*body)(pid_t self, pthread_t t))
{
	int status;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t t;
		start_other_thread(&t);
		body((pid_t)syscall(SYS_gettid), t);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* "this process's" sets, kept without libpsx: capabilities are a
 * thread's (capset, PR_CAPBSET_DROP), so with another thread, which a
 * compromised helper runs code in as it likes, privsep_helper_keep_caps
 * refuses with EBUSY and changes no thread's sets; alone, it narrows.
 * The refusal needs no root (it comes first); the narrowing does. */
static void keep_caps_body(pid_t self, pthread_t t)
{
	struct caps before, other_before;
	int rc, e;
	before = caps_of(self);
	other_before = caps_of(other_tid);
	errno = 0;
	rc = privsep_helper_keep_caps(NULL, 0);
	e = errno;
	if (rc != -1 || e != EBUSY) {
		fprintf(stderr, "keep_caps with another thread: %d, %s (not EBUSY)\n", rc,
		        strerror(e));
		_exit(1);
	}
	if (!same_caps(caps_of(self), before) || !same_caps(caps_of(other_tid), other_before)) {
		fprintf(stderr, "keep_caps refused, yet a thread's capabilities changed\n");
		_exit(1);
	}
	stop_other_thread(t);
	/* alone now: it narrows (root only: cap_setpcap) */
	if (geteuid() == 0) {
		struct caps now;
		if (privsep_helper_keep_caps(NULL, 0) < 0)
			_exit(3);
		now = caps_of(self);
		if (now.eff || now.prm || now.bnd)
			_exit(4);
	}
}

static void keep_caps_refuses_another_thread_and_changes_nothing(void **s)
{
	(void)s;
	in_child_with_another_thread(keep_caps_body);
}

static void said_threads(enum privsep_log_level lvl, const char *line, void *arg)
{
	(void)lvl;
	if (strstr(line, "threads"))
		*(int *)arg = 1;
}

/* A confine called with another thread changes nothing before it
 * refuses: neither the capabilities (per thread, as Landlock is) nor
 * no_new_privs, and no spawner is forked; one line says why.  Root for
 * the capabilities; no_new_privs and the spawner tell for anyone. */
static void confine_body(pid_t self, pthread_t t)
{
	struct privsep_helper_config cfg = {0};
	struct privsep_helper *h;
	struct caps before;
	int said = 0, rc, e, kid;
	cfg.log = said_threads;
	cfg.log_arg = &said;
	h = privsep_helper_new(NULL, 0, &cfg);
	if (!h)
		_exit(2);
	before = caps_of(self);
	errno = 0;
	rc = privsep_helper_confine_flags(h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS);
	e = errno;
	if (rc != -1 || e != EBUSY || !said) {
		fprintf(stderr, "confine with another thread: %d, %s, said %d\n", rc, strerror(e),
		        said);
		_exit(1);
	}
	/* no child: the spawner would be this process's */
	kid = waitpid(-1, NULL, WNOHANG) != -1 || errno != ECHILD;
	if (!same_caps(caps_of(self), before) || prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 0 ||
	    kid) {
		fprintf(stderr,
		        "confine refused, yet it changed: caps %s, no_new_privs %d, a child %d\n",
		        same_caps(caps_of(self), before) ? "same" : "changed",
		        prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), kid);
		_exit(1);
	}
	stop_other_thread(t);
	privsep_helper_free(h);
}

static void confine_with_another_thread_refuses_before_anything_changes(void **s)
{
	(void)s;
	in_child_with_another_thread(confine_body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exec_open_of_a_fifo_fails_with_eacces_without_waiting),
	    cmocka_unit_test(keep_caps_refuses_another_thread_and_changes_nothing),
	    cmocka_unit_test(confine_with_another_thread_refuses_before_anything_changes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
