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

#include "confined_peer.h"
#include "harness.h"

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

static int setup(void **s)
{
	(void)s;
	if (cp_setup("/tmp/privsep-chf-XXXXXX") < 0)
		return -1;
	mkdir(cp_at("out"), 0755);
	mkdir(cp_at("nodir"), 0755);
	mkdir(cp_at("ro"), 0755);
	mkdir(cp_at("rw"), 0755);
	cp_put("out/victim", "keep\n", 0644);
	cp_put("ro/file", "read only\n", 0644);
	cp_put("rw/existing", "rw\n", 0644);
	return 0;
}

static const char *worker_policy(void)
{
	return cp_policy("version 1\n"
	                 "beneath \"%s/ro\" allow read\n"
	                 "beneath \"%s/rw\" allow read,write,create mode 0600\n",
	                 cp_top, cp_top);
}

static int attack_body(void)
{
	int fd, ok = 1;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, "attacker.policy", helper_text) < 0) {
		cp_dump(x);
		return 3;
	}
	/* from here, the helper is the attacker's */
	ok &= cp_refused("openat2 O_WRONLY of a file outside every rule",
	                 cp_openat2(cp_at("out/victim"), O_WRONLY));
	ok &= cp_refused("openat2 O_WRONLY of /etc/passwd", cp_openat2("/etc/passwd", O_WRONLY));
	ok &= cp_refused("openat2 O_CREAT in a directory no rule names",
	                 cp_openat2(cp_at("nodir/new"), O_WRONLY | O_CREAT | O_EXCL));
	ok &= cp_refused("openat2 O_WRONLY beneath a read-only rule",
	                 cp_openat2(cp_at("ro/file"), O_WRONLY));
	ok &= cp_refused("openat2 O_RDWR beneath a read-only rule",
	                 cp_openat2(cp_at("ro/file"), O_RDWR));
	ok &= cp_refused("openat2 O_CREAT beneath a read-only rule",
	                 cp_openat2(cp_at("ro/new"), O_WRONLY | O_CREAT | O_EXCL));
	ok &= cp_refused("openat2 O_TRUNC of a file outside every rule",
	                 cp_openat2(cp_at("out/victim"), O_WRONLY | O_TRUNC));
	ok &= cp_refused("truncate beneath a read-only rule",
	                 (int)syscall(SYS_truncate, cp_at("ro/file"), 0));
	ok &= cp_refused("truncate outside every rule",
	                 (int)syscall(SYS_truncate, cp_at("out/victim"), 0));
	ok &= cp_refused("mkdirat outside every rule",
	                 (int)syscall(SYS_mkdirat, AT_FDCWD, cp_at("out/dir"), 0755));
	ok &= cp_refused("mkdirat beneath a create rule (files only)",
	                 (int)syscall(SYS_mkdirat, AT_FDCWD, cp_at("rw/dir"), 0755));
	ok &= cp_refused("unlinkat beneath a read-only rule",
	                 (int)syscall(SYS_unlinkat, AT_FDCWD, cp_at("ro/file"), 0));
	ok &= cp_refused("unlinkat beneath a create rule",
	                 (int)syscall(SYS_unlinkat, AT_FDCWD, cp_at("rw/existing"), 0));
	ok &= cp_refused("renameat2 beneath a create rule",
	                 (int)syscall(SYS_renameat2, AT_FDCWD, cp_at("rw/existing"), AT_FDCWD,
	                              cp_at("rw/moved"), 0));
	ok &= cp_refused("symlinkat beneath a create rule",
	                 (int)syscall(SYS_symlinkat, "/etc/passwd", AT_FDCWD, cp_at("rw/link")));
	ok &= cp_refused("mknodat of a FIFO beneath a create rule",
	                 (int)syscall(SYS_mknodat, AT_FDCWD, cp_at("rw/fifo"), S_IFIFO | 0600, 0));
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
	f = privsep_fs_open(c, cp_at("ro/file"), O_RDONLY, &res);
	if (f < 0 || read(f, buf, sizeof(buf) - 1) != 10 || strcmp(buf, "read only\n"))
		return 11;
	close(f);
	f = privsep_fs_open(c, cp_at("rw/existing"), O_WRONLY, &res);
	if (f < 0 || ftruncate(f, 0) < 0 || write(f, "new\n", 4) != 4)
		return 12;
	close(f);
	f = privsep_fs_open(c, cp_at("rw/created"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0 || write(f, "made\n", 5) != 5)
		return 13;
	close(f);
	f = privsep_fs_open(c, cp_at("out/victim"), O_RDONLY, &res);
	if (f >= 0 || errno != EACCES)
		return 14;
	privsep_client_free(c);
	return 0;
}

/* The broker of a confined helper still serves what the rules allow. */
static int serve_body(void)
{
	int fd, rc;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	/* served until the worker closes its end */
	rc = cp_serve(x, fd, worker_side, "attacker.policy", helper_text);
	if (rc)
		return rc;
	return hx_logged(x, "no rule allows") ? 0 : 6;
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
	if (cp_landlock_abi() <= 0)
		skip();
	assert_int_equal(cp_run_child(attack_body), 0);
	/* nothing was written, made, moved or removed */
	assert_true(cp_same_text("out/victim", "keep\n"));
	assert_true(cp_same_text("ro/file", "read only\n"));
	assert_true(cp_same_text("rw/existing", "rw\n"));
	assert_int_equal(access(cp_at("nodir/new"), F_OK), -1);
	assert_int_equal(access(cp_at("ro/new"), F_OK), -1);
	assert_int_equal(access(cp_at("out/dir"), F_OK), -1);
	assert_int_equal(access(cp_at("rw/dir"), F_OK), -1);
	assert_int_equal(access(cp_at("rw/moved"), F_OK), -1);
	assert_int_equal(access(cp_at("rw/fifo"), F_OK), -1);
	assert_int_equal(faccessat(AT_FDCWD, cp_at("rw/link"), F_OK, AT_SYMLINK_NOFOLLOW), -1);
}

static void a_confined_helpers_broker_still_serves_what_its_rules_allow(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	cp_put("ro/file", "read only\n", 0644);
	cp_put("rw/existing", "rw\n", 0644);
	assert_int_equal(cp_run_child(serve_body), 0);
	assert_true(cp_same_text("rw/existing", "new\n"));
	assert_true(cp_same_text("rw/created", "made\n"));
	assert_int_equal(unlink(cp_at("rw/created")), 0);
	cp_put("rw/existing", "rw\n", 0644);
}

/* O_TRUNC beneath a read-only rule, by the compromised confined helper:
 * openat2 and openat (any flags: a looser helper policy's), O_RDONLY|
 * O_TRUNC (with which Linux truncates, for an opener that may write the
 * file) and O_WRONLY|O_TRUNC.  Landlock
 * refuses O_TRUNC without its TRUNCATE right (ABI 3), which a read-only
 * rule never grants. */
static const char trunc_helper_text[] = "version 1\n"
                                        "include <helper.policy>\n"
                                        "allow openat because \"the attacker's: any "
                                        "flags, so only Landlock refuses\"\n";

static int trunc_body(void)
{
	int fd, ok = 1;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, "attacker.policy", trunc_helper_text) < 0) {
		cp_dump(x);
		return 3;
	}
	/* from here, the helper is the attacker's */
	ok &= cp_refused("openat2 O_RDONLY|O_TRUNC beneath a read-only rule",
	                 cp_openat2(cp_at("ro/file"), O_RDONLY | O_TRUNC));
	ok &= cp_refused("openat2 O_WRONLY|O_TRUNC beneath a read-only rule",
	                 cp_openat2(cp_at("ro/file"), O_WRONLY | O_TRUNC));
	ok &= cp_refused(
	    "openat O_RDONLY|O_TRUNC beneath a read-only rule",
	    (int)syscall(SYS_openat, AT_FDCWD, cp_at("ro/file"), O_RDONLY | O_TRUNC | O_CLOEXEC));
	ok &= cp_refused(
	    "openat O_WRONLY|O_TRUNC beneath a read-only rule",
	    (int)syscall(SYS_openat, AT_FDCWD, cp_at("ro/file"), O_WRONLY | O_TRUNC | O_CLOEXEC));
	return ok ? 0 : 4;
}

static void
a_compromised_confined_helper_truncates_nothing_beneath_a_read_only_rule_by_o_trunc(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	/* O_TRUNC is Landlock's from ABI 3 on (SECURITY.md) */
	if (cp_landlock_abi() < 3)
		skip();
	cp_put("ro/file", "read only\n", 0644);
	assert_int_equal(cp_run_child(trunc_body), 0);
	assert_true(cp_same_text("ro/file", "read only\n"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_can_write_create_truncate_or_remove_nothing_outside_its_rules),
	    cmocka_unit_test(a_confined_helpers_broker_still_serves_what_its_rules_allow),
	    cmocka_unit_test(
	        a_compromised_confined_helper_truncates_nothing_beneath_a_read_only_rule_by_o_trunc),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
