/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_files.c - a compromised confined helper, the
 * attacker: code running in the helper after privsep_helper_confine,
 * with every call its filter allows (openat2 with any flags: seccomp
 * cannot read struct open_how) and, here, the calls a looser helper
 * policy could add (mkdirat, unlinkat, renameat2, symlinkat, mknodat,
 * truncate), so that only Landlock can refuse them.  Its filesystem is
 * what its workers' file rules serve: everything else fails with EACCES,
 * and the broker still serves what the rules allow.  Each helper runs in
 * a child: confinement is for good.
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

/* The looser helper policy: helper.policy and the calls that make or
 * remove names, so that a refusal can only be Landlock's. */
static const char helper_text[] = "version 1\n"
                                  "include <helper.policy>\n"
                                  "allow mkdirat\n"
                                  "allow unlinkat\n"
                                  "allow renameat2\n"
                                  "allow symlinkat\n"
                                  "allow mknodat\n"
                                  "allow truncate\n";

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

static void put(const char *rel, const char *text, mode_t mode)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static int setup(void **s)
{
	(void)s;
	snprintf(top, sizeof(top), "/tmp/privsep-chf-XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0)
		return -1;
	mkdir(at("out"), 0755);
	mkdir(at("nodir"), 0755);
	mkdir(at("ro"), 0755);
	mkdir(at("rw"), 0755);
	put("out/victim", "keep\n", 0644);
	put("ro/file", "read only\n", 0644);
	put("rw/existing", "rw\n", 0644);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

static char *worker_policy(void)
{
	static char t[1024];
	snprintf(t, sizeof(t),
	         "version 1\n"
	         "beneath \"%s/ro\" allow read\n"
	         "beneath \"%s/rw\" allow read,write,create mode 0600\n",
	         top, top);
	return t;
}

/* The attack's one step: what it did, when it was not refused with
 * EACCES (fd closed at once, nothing written). */
static int refused(const char *what, int rc)
{
	int e = errno;
	if (rc >= 0 && what[0] == 'o') /* an fd: closed, never written */
		close(rc);
	if (rc < 0 && e == EACCES)
		return 1;
	fprintf(stderr, "not refused: %s: %s\n", what, rc < 0 ? strerror(e) : "done");
	return 0;
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

static int attack_body(void)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	int fd, ok = 1;
	if (!x)
		return 2;
	fd = hx_attach_policy(x, "files", "files.policy", worker_policy(), &w, why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "policy: %s\n", why);
		return 2;
	}
	if (privsep_helper_confine(x->h, "attacker.policy", helper_text) < 0) {
		for (int i = 0; i < x->nlog; i++)
			fprintf(stderr, "log: %s\n", x->log[i]);
		return 3;
	}
	/* from here, the helper is the attacker's */
	ok &= refused("openat2 O_WRONLY of a file outside every rule",
	              openat2_(at("out/victim"), O_WRONLY));
	ok &= refused("openat2 O_WRONLY of /etc/passwd", openat2_("/etc/passwd", O_WRONLY));
	ok &= refused("openat2 O_CREAT in a directory no rule names",
	              openat2_(at("nodir/new"), O_WRONLY | O_CREAT | O_EXCL));
	ok &=
	    refused("openat2 O_WRONLY beneath a read-only rule", openat2_(at("ro/file"), O_WRONLY));
	ok &= refused("openat2 O_RDWR beneath a read-only rule", openat2_(at("ro/file"), O_RDWR));
	ok &= refused("openat2 O_CREAT beneath a read-only rule",
	              openat2_(at("ro/new"), O_WRONLY | O_CREAT | O_EXCL));
	ok &= refused("openat2 O_TRUNC of a file outside every rule",
	              openat2_(at("out/victim"), O_WRONLY | O_TRUNC));
	ok &= refused("truncate beneath a read-only rule",
	              (int)syscall(SYS_truncate, at("ro/file"), 0));
	ok &=
	    refused("truncate outside every rule", (int)syscall(SYS_truncate, at("out/victim"), 0));
	ok &= refused("mkdirat outside every rule",
	              (int)syscall(SYS_mkdirat, AT_FDCWD, at("out/dir"), 0755));
	ok &= refused("mkdirat beneath a create rule (files only)",
	              (int)syscall(SYS_mkdirat, AT_FDCWD, at("rw/dir"), 0755));
	ok &= refused("unlinkat beneath a read-only rule",
	              (int)syscall(SYS_unlinkat, AT_FDCWD, at("ro/file"), 0));
	ok &= refused("unlinkat beneath a create rule",
	              (int)syscall(SYS_unlinkat, AT_FDCWD, at("rw/existing"), 0));
	ok &= refused(
	    "renameat2 beneath a create rule",
	    (int)syscall(SYS_renameat2, AT_FDCWD, at("rw/existing"), AT_FDCWD, at("rw/moved"), 0));
	ok &= refused("symlinkat beneath a create rule",
	              (int)syscall(SYS_symlinkat, "/etc/passwd", AT_FDCWD, at("rw/link")));
	ok &= refused("mknodat of a FIFO beneath a create rule",
	              (int)syscall(SYS_mknodat, AT_FDCWD, at("rw/fifo"), S_IFIFO | 0600, 0));
	if (!ok)
		return 4;
	return 0;
}

/* The worker's side (a process: a confined helper starts no thread):
 * a read beneath the read-only rule, a write (and the ftruncate of the
 * written file, as before) and a create beneath the other, and the
 * broker's own refusal outside them.  0, or the first step that failed. */
static int worker_side(int fd)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	char buf[64] = "";
	int f;
	if (!c)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, at("ro/file"), O_RDONLY, &res);
	if (f < 0 || read(f, buf, sizeof(buf) - 1) != 10 || strcmp(buf, "read only\n"))
		return 11;
	close(f);
	f = privsep_fs_open(c, at("rw/existing"), O_WRONLY, &res);
	if (f < 0 || ftruncate(f, 0) < 0 || write(f, "new\n", 4) != 4)
		return 12;
	close(f);
	f = privsep_fs_open(c, at("rw/created"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0 || write(f, "made\n", 5) != 5)
		return 13;
	close(f);
	f = privsep_fs_open(c, at("out/victim"), O_RDONLY, &res);
	if (f >= 0 || errno != EACCES)
		return 14;
	privsep_client_free(c);
	return 0;
}

/* The broker of a confined helper still serves what the rules allow. */
static int serve_body(void)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	siginfo_t si;
	pid_t kid;
	int fd;
	if (!x)
		return 2;
	fd = hx_attach_policy(x, "files", "files.policy", worker_policy(), &w, why, sizeof(why));
	if (fd < 0)
		return 2;
	kid = fork();
	if (kid < 0)
		return 2;
	if (kid == 0)
		_exit(worker_side(fd));
	close(fd);
	if (privsep_helper_confine(x->h, "attacker.policy", helper_text) < 0)
		return 3;
	/* served until the worker closes its end (a bound for a hung helper) */
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
	return hx_logged(x, "no rule allows") ? 0 : 6;
}

static int run_child(int (*body)(void))
{
	int st;
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(body());
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st))
		fail_msg("the confined helper was killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

static void
a_compromised_confined_helper_can_write_create_truncate_or_remove_nothing_outside_its_rules(
    void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	/* no Landlock here: nothing bounds openat2's flags, which the
	 * helper's log says (SECURITY.md); nothing to check */
	if (landlock_abi() <= 0)
		skip();
	assert_int_equal(run_child(attack_body), 0);
	/* nothing was written, made, moved or removed */
	assert_true(same_text("out/victim", "keep\n"));
	assert_true(same_text("ro/file", "read only\n"));
	assert_true(same_text("rw/existing", "rw\n"));
	assert_int_equal(access(at("nodir/new"), F_OK), -1);
	assert_int_equal(access(at("ro/new"), F_OK), -1);
	assert_int_equal(access(at("out/dir"), F_OK), -1);
	assert_int_equal(access(at("rw/dir"), F_OK), -1);
	assert_int_equal(access(at("rw/moved"), F_OK), -1);
	assert_int_equal(access(at("rw/fifo"), F_OK), -1);
	assert_int_equal(faccessat(AT_FDCWD, at("rw/link"), F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static void a_confined_helpers_broker_still_serves_what_its_rules_allow(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	put("ro/file", "read only\n", 0644);
	put("rw/existing", "rw\n", 0644);
	assert_int_equal(run_child(serve_body), 0);
	assert_true(same_text("rw/existing", "new\n"));
	assert_true(same_text("rw/created", "made\n"));
	assert_int_equal(unlink(at("rw/created")), 0);
	put("rw/existing", "rw\n", 0644);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_can_write_create_truncate_or_remove_nothing_outside_its_rules),
	    cmocka_unit_test(a_confined_helpers_broker_still_serves_what_its_rules_allow),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
