/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_exact_create.c - an exact `path` rule with
 * `create`, and a compromised confined helper: the attacker is code
 * running in the helper after privsep_helper_confine, with every call
 * its filter allows (openat2 with any flags).  The rule's file, there
 * when the helper confined itself, is all Landlock grants it: no other
 * file of its directory is written, truncated or made (before, the
 * rule's rights were granted beneath the whole directory: `path
 * "/etc/x" allow write,create` let a root helper write /etc/shadow).
 * The broker still writes that file, and still creates a file not there
 * when confining (whose directory then carries the rule's rights, said
 * in one line).  Each helper runs in a child: confinement is for good.
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

static int landlock_abi(void)
{
	return (int)syscall(444, NULL, 0, 1);
}

static int openat2_(const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
	                       .mode = (flags & O_CREAT) ? 0600 : 0};
	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

static const char *at(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", top, rel);
	return p[i];
}

static void put(const char *rel, const char *text)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int same_text(const char *rel, const char *want)
{
	char buf[64] = "";
	int fd = open(at(rel), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n >= 0 && !strncmp(buf, want, sizeof(buf));
}

static int setup(void **s)
{
	(void)s;
	snprintf(top, sizeof(top), "/tmp/privsep-chx-XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0)
		return -1;
	mkdir(at("etc"), 0755);
	mkdir(at("logs"), 0755);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

/* etc/x is there when confining, logs/new is not */
static char *worker_policy(void)
{
	static char t[1024];
	snprintf(t, sizeof(t),
	         "version 1\n"
	         "path \"%s/etc/x\" allow read,write,create mode 0600\n"
	         "path \"%s/logs/new\" allow write,create mode 0600\n",
	         top, top);
	return t;
}

static int refused(const char *what, int rc)
{
	int e = errno;
	if (rc >= 0)
		close(rc); /* never written */
	if (rc < 0 && e == EACCES)
		return 1;
	fprintf(stderr, "not refused: %s: %s\n", what, rc < 0 ? strerror(e) : "opened");
	return 0;
}

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
	int fd, ok = 1;
	struct hx *x = confined(&fd);
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0)
		return 3;
	/* from here, the helper is the attacker's */
	ok &= refused("openat2 O_WRONLY of another file of the rule's directory",
	              openat2_(at("etc/shadow"), O_WRONLY));
	ok &= refused("openat2 O_RDWR of another file of the rule's directory",
	              openat2_(at("etc/shadow"), O_RDWR));
	ok &= refused("openat2 O_TRUNC of another file of the rule's directory",
	              openat2_(at("etc/shadow"), O_WRONLY | O_TRUNC));
	ok &= refused("openat2 O_RDONLY of another file of the rule's directory",
	              openat2_(at("etc/shadow"), O_RDONLY));
	ok &= refused("openat2 O_CREAT of a new file in the rule's directory",
	              openat2_(at("etc/nologin"), O_WRONLY | O_CREAT | O_EXCL));
	return ok ? 0 : 4;
}

static void
an_exact_create_rule_lets_a_confined_helper_write_no_other_file_of_its_directory(void **s)
{
	int st;
	pid_t p;
	(void)s;
	if (under_valgrind())
		skip();
	/* no Landlock here: nothing bounds openat2's flags (the helper's
	 * log says so, SECURITY.md); nothing to check */
	if (landlock_abi() <= 0)
		skip();
	put("etc/x", "x\n");
	put("etc/shadow", "secret\n");
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(attack_body());
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(same_text("etc/shadow", "secret\n"));
	assert_int_equal(access(at("etc/nologin"), F_OK), -1);
}

/* The worker's side: a write of the rule's file that was there, a
 * create of the one that was not. 0, or the step that failed. */
static int worker_side(int fd)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	int f;
	if (!c)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, at("etc/x"), O_WRONLY, &res);
	if (f < 0 || write(f, "new\n", 4) != 4)
		return 11;
	close(f);
	f = privsep_fs_open(c, at("logs/new"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0 || write(f, "made\n", 5) != 5)
		return 12;
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
	/* the wider grant of the file not there is said */
	if (landlock_abi() > 0 && !hx_logged(x, "not there when the helper confined itself"))
		return 6;
	return 0;
}

static void a_confined_helpers_broker_still_writes_and_creates_an_exact_create_rules_file(void **s)
{
	int st;
	pid_t p;
	(void)s;
	if (under_valgrind())
		skip();
	put("etc/x", "x\n");
	unlink(at("logs/new"));
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(serve_body());
	assert_int_equal(waitpid(p, &st, 0), p);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_true(same_text("etc/x", "new\n"));
	assert_true(same_text("logs/new", "made\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        an_exact_create_rule_lets_a_confined_helper_write_no_other_file_of_its_directory),
	    cmocka_unit_test(
	        a_confined_helpers_broker_still_writes_and_creates_an_exact_create_rules_file),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
