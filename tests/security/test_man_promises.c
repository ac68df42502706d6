/* SPDX-License-Identifier: ISC */
/*
 * Promises of privsep.h that the code does not keep (session 13's audit
 * of the section 3 manual, man-a): each test acts as a program relying on
 * the promise would, and fails while the code breaks it.
 *
 *  - privsep_exec_open: "-1 with errno" and EACCES for a path that is not
 *    a regular file (privsep_exec_open(3)); a FIFO makes it wait for a
 *    writer instead (spawn_exec.c: open(O_RDONLY) before the fstat).
 *  - privsep_helper_keep_caps: "Keep only the capabilities named ... in
 *    this process's permitted and effective sets and its bounding set";
 *    capabilities are a thread's, and another thread keeps them all.
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

/* A helper that kept nothing holds nothing, in any of its threads: a
 * compromised helper runs code in whichever thread it likes.  Root only
 * (a process without cap_setpcap cannot narrow its bounding set). */
static void keep_caps_narrows_every_thread_of_the_process(void **s)
{
	pthread_t t;
	pid_t pid;
	int status;
	(void)s;
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root (a normal user's process holds no "
		                "capability to keep or drop)\n");
		skip();
	}
	/* in a child: the test's own process keeps its capabilities */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		unsigned long long eff, bnd;
		if (pipe(go_fd) < 0 || pthread_create(&t, NULL, other_thread, NULL) != 0)
			_exit(2);
		while (!__atomic_load_n(&other_tid, __ATOMIC_SEQ_CST))
			sched_yield();
		if (privsep_helper_keep_caps(NULL, 0) < 0)
			_exit(3);
		eff = task_caps(other_tid, "CapEff:");
		bnd = task_caps(other_tid, "CapBnd:");
		if (write(go_fd[1], "x", 1) != 1 || pthread_join(t, NULL) != 0)
			_exit(2);
		if (eff || bnd) {
			fprintf(stderr, "the other thread kept CapEff %llx CapBnd %llx\n", eff,
			        bnd);
			_exit(1);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(exec_open_of_a_fifo_fails_with_eacces_without_waiting),
	    cmocka_unit_test(keep_caps_narrows_every_thread_of_the_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
