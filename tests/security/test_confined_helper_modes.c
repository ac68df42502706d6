/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_modes.c - a compromised confined helper, the
 * attacker: code in the helper after privsep_helper_confine, with every
 * call helper.policy allows and every file its Landlock lets it open.
 * Landlock bounds opens, not a file's mode: with fchmod allowed, the
 * helper made world-writable or set-user-ID any file it could open for
 * reading (a file beneath a read-only rule, its policy file, /dev/null;
 * as root, any root-owned one of them: a set-user-ID root program for
 * every local user).  It changes no mode; the broker still creates its
 * files with exactly the rule's mode.  Each helper runs in a child:
 * confinement is for good.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <setjmp.h>
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

#include "harness.h"

static char top[64]; /* the test's directory */

static const char *at(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", top, rel);
	return p[i];
}

static int setup(void **s)
{
	int fd;
	(void)s;
	snprintf(top, sizeof(top), "/tmp/privsep-chm-XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || mkdir(at("ro"), 0755) < 0 ||
	    mkdir(at("rw"), 0755) < 0)
		return -1;
	fd = open(at("ro/prog"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10 || fchmod(fd, 0755) < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

static int landlock_abi(void)
{
	return (int)syscall(444, NULL, 0, 1);
}

static mode_t mode_of(const char *rel)
{
	struct stat st;
	assert_int_equal(stat(at(rel), &st), 0);
	return st.st_mode & 07777;
}

/* A rule the broker creates under with a mode the usual umask (022)
 * would change: the mode must come from the rule alone. */
static char *worker_policy(void)
{
	static char t[1024];
	snprintf(t, sizeof(t),
	         "version 1\n"
	         "beneath \"%s/ro\" allow read\n"
	         "beneath \"%s/rw\" allow read,write,create mode 0666\n",
	         top, top);
	return t;
}

/* The helper's side: its worker attached (fd, for a worker process
 * forked before), then confined by the shipped helper.policy. */
static struct hx *confined(int *fd)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	if (!x)
		return NULL;
	*fd = hx_attach_policy(x, "files", "files.policy", worker_policy(), &w, why, sizeof(why));
	if (*fd < 0) {
		fprintf(stderr, "policy: %s\n", why);
		return NULL;
	}
	return x;
}

static int attack_body(void)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	int fd, wfd, rc, e;
	struct hx *x = confined(&wfd);
	if (!x)
		return 2;
	umask(022);
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		for (int i = 0; i < x->nlog; i++)
			fprintf(stderr, "log: %s\n", x->log[i]);
		return 3;
	}
	/* from here, the helper is the attacker's: a file it may open, for
	 * reading (Landlock lets it: a read-only rule), made set-user-ID and
	 * writable by all */
	fd = (int)syscall(SYS_openat2, AT_FDCWD, at("ro/prog"), &how, sizeof(how));
	if (fd < 0) {
		fprintf(stderr, "openat2 O_RDONLY beneath a read-only rule: %s\n", strerror(errno));
		return 4;
	}
	rc = (int)syscall(SYS_fchmod, fd, 04777);
	e = errno;
	close(fd);
	if (rc == 0) {
		fprintf(stderr,
		        "not refused: fchmod 04777 of a file the helper opened read-only\n");
		return 5;
	}
	if (e != EPERM) {
		fprintf(stderr, "fchmod refused with %s, not EPERM\n", strerror(e));
		return 6;
	}
	return 0;
}

static void a_compromised_confined_helper_changes_the_mode_of_no_file_it_can_open(void **s)
{
	int st;
	pid_t p;
	(void)s;
	if (under_valgrind())
		skip();
	/* the attack needs nothing of Landlock (without it, the helper opens
	 * anything for reading all the more); its check that the open is
	 * allowed does */
	if (landlock_abi() <= 0)
		skip();
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(attack_body());
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st))
		fail_msg("the confined helper was killed by signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_int_equal(mode_of("ro/prog"), 0755);
}

/* The worker's side: a file created through the broker under the rule
 * with mode 0666. */
static int worker_side(int fd)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	int f;
	if (!c)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, at("rw/made"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0) {
		fprintf(stderr, "create: %s (%s)\n", strerror(errno), res.detail);
		return 11;
	}
	close(f);
	privsep_client_free(c);
	return 0;
}

static int serve_body(void)
{
	siginfo_t si;
	pid_t kid;
	int fd;
	struct hx *x = confined(&fd);
	if (!x)
		return 2;
	kid = fork();
	if (kid < 0)
		return 2;
	if (kid == 0)
		_exit(worker_side(fd));
	close(fd);
	umask(022);
	if (privsep_helper_confine(x->h, NULL, NULL) < 0)
		return 3;
	if (!hx_pump_gone(x, 1, 30000))
		return 4;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)kid, &si, WEXITED) < 0 || si.si_code != CLD_EXITED ||
	    si.si_status != 0) {
		fprintf(stderr, "the worker's side: step %d failed\n", si.si_status);
		for (int i = 0; i < x->nlog; i++)
			fprintf(stderr, "log: %s\n", x->log[i]);
		return 5;
	}
	return 0;
}

static void a_confined_helpers_broker_creates_a_file_with_exactly_its_rules_mode(void **s)
{
	int st;
	pid_t p;
	(void)s;
	if (under_valgrind())
		skip();
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(serve_body());
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st))
		fail_msg("the confined helper was killed by signal %d", WTERMSIG(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	/* the rule's 0666, not the umask's 0644 */
	assert_int_equal(mode_of("rw/made"), 0666);
	assert_int_equal(unlink(at("rw/made")), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_compromised_confined_helper_changes_the_mode_of_no_file_it_can_open),
	    cmocka_unit_test(a_confined_helpers_broker_creates_a_file_with_exactly_its_rules_mode),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
