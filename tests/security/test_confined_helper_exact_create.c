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

#include "confined_peer.h"
#include "harness.h"

static int setup(void **s)
{
	(void)s;
	if (cp_setup("/tmp/privsep-chx-XXXXXX") < 0)
		return -1;
	mkdir(cp_at("etc"), 0755);
	mkdir(cp_at("logs"), 0755);
	return 0;
}

/* etc/x is there when confining, logs/new is not */
static const char *worker_policy(void)
{
	return cp_policy("version 1\n"
	                 "path \"%s/etc/x\" allow read,write,create mode 0600\n"
	                 "path \"%s/logs/new\" allow write,create mode 0600\n",
	                 cp_top, cp_top);
}

static int attack_body(void)
{
	int fd, ok = 1;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0)
		return 3;
	/* from here, the helper is the attacker's */
	ok &= cp_refused("openat2 O_WRONLY of another file of the rule's directory",
	                 cp_openat2(cp_at("etc/shadow"), O_WRONLY));
	ok &= cp_refused("openat2 O_RDWR of another file of the rule's directory",
	                 cp_openat2(cp_at("etc/shadow"), O_RDWR));
	ok &= cp_refused("openat2 O_TRUNC of another file of the rule's directory",
	                 cp_openat2(cp_at("etc/shadow"), O_WRONLY | O_TRUNC));
	ok &= cp_refused("openat2 O_RDONLY of another file of the rule's directory",
	                 cp_openat2(cp_at("etc/shadow"), O_RDONLY));
	ok &= cp_refused("openat2 O_CREAT of a new file in the rule's directory",
	                 cp_openat2(cp_at("etc/nologin"), O_WRONLY | O_CREAT | O_EXCL));
	return ok ? 0 : 4;
}

static void
an_exact_create_rule_lets_a_confined_helper_write_no_other_file_of_its_directory(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	/* no Landlock here: nothing bounds openat2's flags (the helper's
	 * log says so, SECURITY.md); nothing to check */
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("etc/x", "x\n", 0644);
	cp_put("etc/shadow", "secret\n", 0644);
	assert_int_equal(cp_run_child(attack_body), 0);
	assert_true(cp_same_text("etc/shadow", "secret\n"));
	assert_int_equal(access(cp_at("etc/nologin"), F_OK), -1);
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
	f = privsep_fs_open(c, cp_at("etc/x"), O_WRONLY, &res);
	if (f < 0 || write(f, "new\n", 4) != 4)
		return 11;
	close(f);
	f = privsep_fs_open(c, cp_at("logs/new"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0 || write(f, "made\n", 5) != 5)
		return 12;
	close(f);
	privsep_client_free(c);
	return 0;
}

static int serve_body(void)
{
	int fd, rc;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	rc = cp_serve(x, fd, worker_side, NULL, NULL);
	if (rc)
		return rc;
	/* the wider grant of the file not there is said */
	if (cp_landlock_abi() > 0 && !hx_logged(x, "not there when the helper confined itself"))
		return 6;
	return 0;
}

static void a_confined_helpers_broker_still_writes_and_creates_an_exact_create_rules_file(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	cp_put("etc/x", "x\n", 0644);
	unlink(cp_at("logs/new"));
	assert_int_equal(cp_run_child(serve_body), 0);
	assert_true(cp_same_text("etc/x", "new\n"));
	assert_true(cp_same_text("logs/new", "made\n"));
}

/* review 10: an exact create rule whose file, in /, is not there when
 * confining.  The attacker is the confined helper: before, the rule's
 * rights were granted beneath / (read,create: every file of the machine
 * read, and made anywhere); now nothing is, said in one line. */
static char root_file[64];

static int root_body(void)
{
	int ok = 1;
	struct hx *x = cp_confined_now(
	    cp_policy("version 1\npath \"%s\" allow read,create mode 0600\n", root_file));
	if (!x)
		return 3;
	ok &= cp_refused("openat2 O_RDONLY of a file no rule names",
	                 cp_openat2(cp_at("etc/shadow"), O_RDONLY));
	ok &= cp_refused("openat2 O_CREAT of a new file no rule names",
	                 cp_openat2(cp_at("etc/made"), O_RDONLY | O_CREAT | O_EXCL));
	if (!ok)
		return 4;
	if (!hx_logged(x, "its directory is /, beneath which nothing is granted")) {
		cp_dump(x);
		return 5;
	}
	return 0;
}

static void an_exact_create_rule_of_a_file_in_slash_not_there_grants_nothing_beneath_slash(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	snprintf(root_file, sizeof(root_file), "/privsep-review10-%d", (int)getpid());
	assert_int_equal(access(root_file, F_OK), -1);
	cp_put("etc/shadow", "secret\n", 0644);
	unlink(cp_at("etc/made"));
	assert_int_equal(cp_run_child(root_body), 0);
	assert_int_equal(access(cp_at("etc/made"), F_OK), -1);
	assert_int_equal(access(root_file, F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        an_exact_create_rule_lets_a_confined_helper_write_no_other_file_of_its_directory),
	    cmocka_unit_test(
	        a_confined_helpers_broker_still_writes_and_creates_an_exact_create_rules_file),
	    cmocka_unit_test(
	        an_exact_create_rule_of_a_file_in_slash_not_there_grants_nothing_beneath_slash),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
