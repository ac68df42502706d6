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

#include "confined_peer.h"
#include "harness.h"

static int setup(void **s)
{
	int fd;
	(void)s;
	if (cp_setup("/tmp/privsep-chm-XXXXXX") < 0 || mkdir(cp_at("ro"), 0755) < 0 ||
	    mkdir(cp_at("rw"), 0755) < 0)
		return -1;
	fd = open(cp_at("ro/prog"), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (fd < 0 || write(fd, "#!/bin/sh\n", 10) != 10 || fchmod(fd, 0755) < 0)
		return -1;
	close(fd);
	return 0;
}

static mode_t mode_of(const char *rel)
{
	struct stat st;
	assert_int_equal(stat(cp_at(rel), &st), 0);
	return st.st_mode & 07777;
}

/* A rule the broker creates under with a mode the usual umask (022)
 * would change: the mode must come from the rule alone. */
static const char *worker_policy(void)
{
	return cp_policy("version 1\n"
	                 "beneath \"%s/ro\" allow read\n"
	                 "beneath \"%s/rw\" allow read,write,create mode 0666\n",
	                 cp_top, cp_top);
}

static int attack_body(void)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC};
	int fd, wfd, rc, e;
	struct hx *x = cp_confined(worker_policy(), &wfd);
	if (!x)
		return 2;
	umask(022);
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	/* from here, the helper is the attacker's: a file it may open, for
	 * reading (Landlock lets it: a read-only rule), made set-user-ID and
	 * writable by all */
	fd = (int)syscall(SYS_openat2, AT_FDCWD, cp_at("ro/prog"), &how, sizeof(how));
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
	(void)s;
	if (under_valgrind())
		skip();
	/* the attack needs nothing of Landlock (without it, the helper opens
	 * anything for reading all the more); its check that the open is
	 * allowed does */
	if (cp_landlock_abi() <= 0)
		skip();
	assert_int_equal(cp_run_child(attack_body), 0);
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
	f = privsep_fs_open(c, cp_at("rw/made"), O_WRONLY | O_CREAT | O_EXCL, &res);
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
	int fd;
	struct hx *x = cp_confined(worker_policy(), &fd);
	if (!x)
		return 2;
	/* the umask the mode must not come from (the worker's side creates
	 * through the broker only) */
	umask(022);
	return cp_serve(x, fd, worker_side, NULL, NULL);
}

static void a_confined_helpers_broker_creates_a_file_with_exactly_its_rules_mode(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	assert_int_equal(cp_run_child(serve_body), 0);
	/* the rule's 0666, not the umask's 0644 */
	assert_int_equal(mode_of("rw/made"), 0666);
	assert_int_equal(unlink(cp_at("rw/made")), 0);
}

/* review 10: the mode of a file the attacker creates itself.  openat2's
 * mode sits in memory no filter reads, and Landlock bounds no mode: a
 * root helper made beneath a create rule's root a set-user-ID root file
 * and wrote a program into it (CAP_FSETID kept the bit through the
 * write): a set-user-ID root program for every local user.  The
 * confined helper holds no CAP_FSETID: its first write takes the bit
 * away, as the kernel does for any writer without it. */
static int suid_body(void)
{
	struct open_how how = {.flags = O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, .mode = 06755};
	struct stat st;
	struct hx *x = cp_confined_now(worker_policy());
	int fd;
	if (!x)
		return 3;
	fd = (int)syscall(SYS_openat2, AT_FDCWD, cp_at("rw/evil"), &how, sizeof(how));
	if (fd < 0) {
		fprintf(stderr, "openat2 O_CREAT beneath a create rule: %s\n", strerror(errno));
		return 4;
	}
	if (write(fd, "#!/bin/sh\n", 10) != 10 || fstat(fd, &st) < 0) {
		close(fd);
		return 5;
	}
	close(fd);
	if (st.st_mode & (S_ISUID | S_ISGID)) {
		fprintf(stderr, "the file made and written is set-user-ID or set-group-ID: %o\n",
		        (unsigned)(st.st_mode & 07777));
		return 6;
	}
	return 0;
}

static void a_compromised_confined_root_helper_makes_no_set_user_id_program(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	/* only a writer with CAP_FSETID keeps the bit: root's */
	if (geteuid() != 0 || cp_landlock_abi() <= 0)
		skip();
	unlink(cp_at("rw/evil"));
	assert_int_equal(cp_run_child(suid_body), 0);
	assert_int_equal(mode_of("rw/evil") & (S_ISUID | S_ISGID), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_compromised_confined_helper_changes_the_mode_of_no_file_it_can_open),
	    cmocka_unit_test(a_confined_helpers_broker_creates_a_file_with_exactly_its_rules_mode),
	    cmocka_unit_test(a_compromised_confined_root_helper_makes_no_set_user_id_program),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
