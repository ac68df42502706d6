/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_rename.c - a confined helper and files replaced
 * by a rename.  Landlock's rules are on inodes: a policy file an editor
 * saves by renaming a new file over it is a new inode the rule on the
 * old one does not cover, so a reload (which reads the policy file
 * again) could not read it.  The confine grants read-only access
 * beneath a policy file's directory when that directory holds policy
 * files only, and nothing more when it holds anything else (a compromised
 * helper must not read /etc/shadow because its policy is /etc/x.policy).
 * Each helper runs in a child: confinement is for good.
 */
#include <errno.h>
#include <fcntl.h>
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
	if (cp_setup("/tmp/privsep-chr-XXXXXX") < 0)
		return -1;
	mkdir(cp_at("policies"), 0755);
	mkdir(cp_at("mixed"), 0755);
	mkdir(cp_at("fifo"), 0755);
	mkdir(cp_at("certs"), 0755);
	mkdir(cp_at("etc"), 0755);
	return 0;
}

/* A helper holding the policy file rel, confined; then, told by a byte
 * on go (the test renamed a new file over it), it reads the file as a
 * reload does.  0 when it read the new text. */
static int reload_body(const char *rel, int ready, int go)
{
	char why[512], c;
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	const char *t;
	if (!x || hx_attach_policy(x, "files", cp_at(rel), NULL, &w, why, sizeof(why)) < 0) {
		fprintf(stderr, "policy: %s\n", x ? why : "no helper");
		return 2;
	}
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	if (write(ready, "r", 1) != 1 || read(go, &c, 1) != 1)
		return 4;
	t = cp_text_of(cp_at(rel));
	if (!strstr(t, "# the new one")) {
		fprintf(stderr, "the policy file after the rename: \"%s\" (%s)\n", t,
		        strerror(errno));
		cp_dump(x);
		return 5;
	}
	return 0;
}

static void
a_confined_helper_reads_its_policy_file_again_after_an_editor_renamed_a_new_one_over_it(void **s)
{
	int ready[2], go[2], st;
	char c;
	pid_t p;
	(void)s;
	if (under_valgrind())
		skip();
	/* no Landlock here: nothing refuses the read; nothing to check */
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("policies/files.policy", "version 1\n# the old one\n", 0644);
	cp_put("policies/files.policy~", "version 1\n# a backup\n", 0644);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(reload_body("policies/files.policy", ready[1], go[0]));
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* the editor's save: a new file renamed over the old one */
	cp_put("policies/.files.policy.new", "version 1\n# the new one\n", 0644);
	assert_int_equal(
	    rename(cp_at("policies/.files.policy.new"), cp_at("policies/files.policy")), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(p, &st, 0), p);
	close(ready[0]);
	close(go[1]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static int beside_body(void)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	int fd;
	if (!x || hx_attach_policy(x, "files", cp_at("mixed/files.policy"), NULL, &w, why,
	                           sizeof(why)) < 0)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	/* the attacker's read of the file beside the policy */
	fd = open(cp_at("mixed/secret"), O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES) {
		fprintf(stderr, "the file beside the policy: %s\n",
		        fd >= 0 ? "opened" : strerror(errno));
		return 4;
	}
	/* the policy file itself, as it is, still is read */
	if (!strstr(cp_text_of(cp_at("mixed/files.policy")), "version 1"))
		return 5;
	if (!hx_logged(x, "holds \"secret\", not a policy file")) {
		cp_dump(x);
		return 6;
	}
	return 0;
}

static void a_policy_file_beside_other_files_lends_the_confined_helper_no_read_of_them(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("mixed/files.policy", "version 1\n", 0644);
	cp_put("mixed/secret", "not for the helper\n", 0644);
	assert_int_equal(cp_run_child(beside_body), 0);
}

/* A worker of the confined helper: told by a byte on go (the test
 * renamed a renewed certificate over the old one), it asks the broker
 * for it.  0 when it read the new one. */
/* A FIFO named like a policy file, beside one: no policy file, so the
 * directory is not granted (the FIFO opened, a device's read) */
static int fifo_body(void)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	int fd;
	if (!x || hx_attach_policy(x, "files", cp_at("fifo/files.policy"), NULL, &w, why,
	                           sizeof(why)) < 0)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	fd = open(cp_at("fifo/x.policy"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES) {
		fprintf(stderr, "the FIFO beside the policy: %s\n",
		        fd >= 0 ? "opened" : strerror(errno));
		return 4;
	}
	if (!hx_logged(x, "holds \"x.policy\", not a policy file")) {
		cp_dump(x);
		return 6;
	}
	return 0;
}

static void
a_fifo_named_like_a_policy_file_lends_the_confined_helper_no_read_of_the_directory(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("fifo/files.policy", "version 1\n", 0644);
	assert_int_equal(mkfifo(cp_at("fifo/x.policy"), 0644), 0);
	assert_int_equal(cp_run_child(fifo_body), 0);
}

static int cert_worker(int fd, int go)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	char buf[64] = "", b;
	int f;
	if (!c || read(go, &b, 1) != 1)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, cp_at("certs/cert.pem"), O_RDONLY, &res);
	if (f < 0)
		return 11;
	if (read(f, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "renewed\n"))
		return 12;
	close(f);
	privsep_client_free(c);
	return 0;
}

static int cert_body(int ready, int go)
{
	int fd, rc;
	struct hx *x = cp_confined(cp_policy("version 1\n"
	                                     "path \"%s\" allow read\n"
	                                     "path \"%s\" allow read\n"
	                                     "path \"%s\" allow read\n",
	                                     cp_at("certs/cert.pem"), cp_at("certs/key.pem"),
	                                     cp_at("etc/cert.pem")),
	                           &fd);
	if (!x)
		return 2;
	rc = cp_serve_told(x, fd, cert_worker, ready, go);
	if (rc)
		return rc;
	/* the directory beside other files is not granted: the attacker
	 * reads nothing there but the rule's file */
	fd = open(cp_at("etc/shadow"), O_RDONLY | O_CLOEXEC);
	if (fd >= 0 || errno != EACCES) {
		fprintf(stderr, "etc/shadow: %s\n", fd >= 0 ? "opened" : strerror(errno));
		return 7;
	}
	return 0;
}

static void
a_read_only_exact_file_renamed_over_is_served_again_when_its_directory_holds_only_such_files(
    void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("certs/cert.pem", "old\n", 0644);
	cp_put("certs/key.pem", "key\n", 0644);
	cp_put("etc/cert.pem", "old\n", 0644);
	cp_put("etc/shadow", "not for the helper\n", 0644);
	/* the renewal: a new file renamed over the old one */
	assert_int_equal(cp_renamed_over(cert_body, "certs/cert.pem", "renewed\n"), 0);
}

/* review 10: the refusal of a file renamed over under a rule that
 * allows it names that rule and why (the error contract), to the worker
 * and in the log; it said "Permission denied" alone.  Told by a byte on
 * go (the test renamed a new file over etc/cert.pem, whose directory
 * holds etc/shadow too, so is not granted), the worker asks for it. */
static int moved_worker(int fd, int go)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	char b;
	int f;
	if (!c || read(go, &b, 1) != 1)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, cp_at("etc/cert.pem"), O_RDONLY, &res);
	if (f >= 0 || errno != EACCES)
		return 11;
	/* the rule's file and line, and the reason whole (not cut to fit) */
	if (!strstr(res.detail, "files.policy:2 allows it; the kernel refused the open: ") ||
	    !strstr(res.detail, "not one renamed over it since; or its mode refuses the helper") ||
	    strcmp(res.detail + strlen(res.detail) - 6, "helper") != 0) {
		fprintf(stderr, "the worker's detail: \"%s\"\n", res.detail);
		return 12;
	}
	privsep_client_free(c);
	return 0;
}

static int moved_body(int ready, int go)
{
	int fd, rc;
	struct hx *x = cp_confined(
	    cp_policy("version 1\npath \"%s\" allow read\n", cp_at("etc/cert.pem")), &fd);
	if (!x)
		return 2;
	rc = cp_serve_told(x, fd, moved_worker, ready, go);
	if (rc)
		return rc;
	if (!hx_logged(x,
	               "files.policy:2 allows it; the kernel refused the open: Landlock grants")) {
		cp_dump(x);
		return 7;
	}
	return 0;
}

static void a_refusal_of_a_file_renamed_over_after_the_confine_names_its_rule_and_why(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	cp_put("etc/cert.pem", "old\n", 0644);
	cp_put("etc/shadow", "not for the helper\n", 0644);
	assert_int_equal(cp_renamed_over(moved_body, "etc/cert.pem", "renewed\n"), 0);
}

/* review 10: an exact read-only rule's directory that also holds the
 * file of a rule that writes (an application's state, beside its
 * configuration) is not granted: the attacker, the confined helper,
 * reads no file put there after the confine (it did: the directory was
 * granted when every entry was any read rule's file). */
static int written_beside_body(int ready, int go)
{
	char b;
	struct hx *x = cp_confined_now(cp_policy("version 1\n"
	                                         "path \"%s\" allow read\n"
	                                         "path \"%s\" allow read,write\n",
	                                         cp_at("state/app.conf"), cp_at("state/db")));
	if (!x)
		return 3;
	if (write(ready, "r", 1) != 1 || read(go, &b, 1) != 1)
		return 4;
	return cp_refused("openat2 O_RDONLY of a file put beside a written rule's file",
	                  cp_openat2(cp_at("state/later"), O_RDONLY))
	           ? 0
	           : 5;
}

static void a_read_only_rules_directory_holding_a_written_rules_file_is_not_granted(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	if (cp_landlock_abi() <= 0)
		skip();
	mkdir(cp_at("state"), 0755);
	cp_put("state/app.conf", "conf\n", 0644);
	cp_put("state/db", "rows\n", 0644);
	unlink(cp_at("state/later"));
	assert_int_equal(cp_renamed_over(written_beside_body, "state/later", "a secret\n"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_confined_helper_reads_its_policy_file_again_after_an_editor_renamed_a_new_one_over_it),
	    cmocka_unit_test(
	        a_policy_file_beside_other_files_lends_the_confined_helper_no_read_of_them),
	    cmocka_unit_test(
	        a_read_only_exact_file_renamed_over_is_served_again_when_its_directory_holds_only_such_files),
	    cmocka_unit_test(
	        a_refusal_of_a_file_renamed_over_after_the_confine_names_its_rule_and_why),
	    cmocka_unit_test(
	        a_read_only_rules_directory_holding_a_written_rules_file_is_not_granted),
	    cmocka_unit_test(
	        a_fifo_named_like_a_policy_file_lends_the_confined_helper_no_read_of_the_directory),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
