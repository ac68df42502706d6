/* SPDX-License-Identifier: ISC */
/*
 * What the file broker hands a compromised worker, and what the worker
 * can make of it: no directory fd unless the rule says directory (a
 * directory fd reaches past the root with fstatat(dirfd, "..")), nothing
 * on procfs, sysfs or another pseudo filesystem unless the rule names it
 * (opened by the helper, /proc/self is the helper), and an append-only
 * grant that stays append-only (no O_RDWR to map, no F_SETFL clearing
 * O_APPEND, no pwritev2 with RWF_NOAPPEND).  Each worker here is spawned
 * for real, under its policy's filter, and tries the attack itself; its
 * exit status says which step got through (0: none).
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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20 /* Linux 6.9 */
#endif

static char top[64];      /* the test's directory */
static char root[128];    /* top/root: a beneath root */
static char logfile[128]; /* top/log: an append-only grant */
static char policy[4096]; /* the worker's policy text */

#define ORIGINAL "ORIGINAL LINE\n"
#define SECRET "secret bytes" /* top/secret.txt, beside the root: 12 bytes */

static void content(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "r");
	size_t n;
	assert_non_null(fp);
	n = fread(buf, 1, len - 1, fp);
	buf[n] = '\0';
	fclose(fp);
}

static int setup(void **s)
{
	char p[256];
	(void)s;
	if (hx_fs_dirs(top, root, "grants") < 0 || chmod(top, 0755) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/sub", root);
	if (mkdir(p, 0755) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/file.txt", root);
	hx_put(p, "public\n");
	snprintf(p, sizeof(p), "%s/secret.txt", top);
	hx_put(p, SECRET);
	snprintf(logfile, sizeof(logfile), "%s/log", top);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

/* Spawn main under policy text and serve it until it is gone; NULL if
 * the helper refused to start it. */
static struct hx *run(privsep_main_fn main, const char *text)
{
	struct hx *x = hx_new(NULL, 0, 0);
	struct privsep_sandbox sb = {.policy = "grants.policy", .policy_text = text};
	struct privsep_spawn sp = {.name = "attacker", .main = main, .sandbox = &sb};
	assert_non_null(x);
	if (!privsep_spawn(x->h, &sp)) {
		hx_free(x);
		return NULL;
	}
	/* a bound for a hung worker, not a timing claim */
	assert_true(hx_pump_gone(x, 1, 30000));
	return x;
}

static void expect_exit(struct hx *x, int status)
{
	if (x->last_exit.kind != PRIVSEP_EXIT_STATUS || x->last_exit.status != status) {
		for (int i = 0; i < x->nlog; i++)
			print_message("log: %s\n", x->log[i]);
		fail_msg("worker: %s (want exit status %d)", x->last_exit.line, status);
	}
}

/* The worker's side: one refusal expected, its errno checked; a granted
 * fd is handed to attack, whose nonzero result is the step's escape. */
static int refused(struct privsep_client *c, const char *path, int flags, int want_errno, int step)
{
	struct privsep_result why;
	int fd = privsep_fs_open(c, path, flags, &why);
	if (fd >= 0) {
		fprintf(stderr, "step %d: %s granted\n", step, path);
		close(fd);
		return step;
	}
	if (errno != want_errno) {
		fprintf(stderr, "step %d: %s: %s (%s)\n", step, path, strerror(errno), why.detail);
		return 100 + step;
	}
	return 0;
}

/* ---- directories ---- */

/* Every way to name a directory beneath a root that does not say
 * directory: the worker gets EISDIR, never an fd; with one, it would
 * stat the file beside the root through "..". */
static int dir_attack_main(struct privsep_client *c, void *arg)
{
	static const struct {
		const char *rel, *up;
		int flags;
	} ways[] = {
	    {"", "../secret.txt", O_RDONLY},
	    {"/", "../secret.txt", O_RDONLY},
	    {"/.", "../secret.txt", O_RDONLY},
	    {"", "../secret.txt", O_RDONLY | O_DIRECTORY},
	    {"/sub", "../../secret.txt", O_RDONLY},
	    {"/sub/", "../../secret.txt", O_RDONLY | O_DIRECTORY | O_NOFOLLOW},
	    {"/sub", "../../secret.txt", O_RDONLY | O_NONBLOCK},
	};
	struct privsep_result why;
	char p[256];
	struct stat st;
	(void)arg;
	for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", root, ways[i].rel);
		int fd = privsep_fs_open(c, p, ways[i].flags, &why);
		if (fd >= 0) {
			/* what the attacker does with it: newfstatat with
			 * AT_EMPTY_PATH, which @glibc allows for fstat */
			if (fstatat(fd, ways[i].up, &st, AT_EMPTY_PATH) == 0 &&
			    st.st_size == (off_t)strlen(SECRET)) {
				fprintf(stderr,
				        "way %zu: %s: a directory fd; fstatat(\"%s\") "
				        "saw the file beside the root\n",
				        i, p, ways[i].up);
				return 10 + (int)i;
			}
			fprintf(stderr, "way %zu: %s: a directory fd\n", i, p);
			return 30 + (int)i;
		}
		if (errno != EISDIR || !strstr(why.detail, "does not say directory")) {
			fprintf(stderr, "way %zu: %s: %s (%s)\n", i, p, strerror(errno),
			        why.detail);
			return 50 + (int)i;
		}
	}
	/* what it is, it may still learn from a stat: httpd's 301 needs no fd */
	if (privsep_fs_stat(c, root, &st, &why) < 0 || !S_ISDIR(st.st_mode))
		return 70;
	return 0;
}

/* A rule that says directory hands out the directory. */
static int dir_granted_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	struct stat st;
	(void)arg;
	int fd = privsep_fs_open(c, root, O_RDONLY | O_DIRECTORY, &why);
	if (fd < 0) {
		fprintf(stderr, "%s: %s (%s)\n", root, strerror(errno), why.detail);
		return 1;
	}
	return fstat(fd, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : 2;
}

static void a_worker_gets_no_directory_fd_unless_the_rule_says_directory(void **s)
{
	(void)s;
	struct hx *x;
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\nbeneath \"%s\" allow read,stat\n", root);
	x = run(dir_attack_main, policy);
	assert_non_null(x);
	expect_exit(x, 0);
	hx_free(x);

	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\nbeneath \"%s\" allow read directory\n",
	         root);
	x = run(dir_granted_main, policy);
	assert_non_null(x);
	expect_exit(x, 0);
	hx_free(x);
}

/* ---- pseudo filesystems ---- */

/* Under a rule that covers /proc and /sys without naming them (with
 * symlinks, so that /proc/self resolves: to the helper, which opens it):
 * the helper's memory, environment, maps, status and executable are all
 * refused, by open, stat, readlink and access alike. */
static int proc_attack_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	char p[64], buf[256];
	struct stat st;
	int rc;
	(void)arg;
	snprintf(p, sizeof(p), "/proc/%d/environ", (int)getppid()); /* the helper, by pid */
	if ((rc = refused(c, "/proc/self/mem", O_RDONLY, EACCES, 1)) ||
	    (rc = refused(c, "/proc/self/mem", O_RDWR, EACCES, 2)) ||
	    (rc = refused(c, "/proc/self/environ", O_RDONLY, EACCES, 3)) ||
	    (rc = refused(c, p, O_RDONLY, EACCES, 4)) ||
	    (rc = refused(c, "/proc/self/maps", O_RDONLY, EACCES, 5)) ||
	    (rc = refused(c, "/proc/self/status", O_RDONLY, EACCES, 6)))
		return rc;
	if (privsep_fs_stat(c, "/proc/self/environ", &st, &why) == 0 || errno != EACCES) {
		fprintf(stderr, "stat /proc/self/environ: %s (%s)\n", strerror(errno), why.detail);
		return 7;
	}
	if (privsep_fs_readlink(c, "/proc/self/exe", buf, sizeof(buf), &why) >= 0 ||
	    errno != EACCES) {
		fprintf(stderr, "readlink /proc/self/exe: %s (%s)\n", strerror(errno), why.detail);
		return 8;
	}
	if (privsep_fs_access(c, "/proc/self/mem", R_OK, &why) == 0 || errno != EACCES)
		return 9;
	if (!strstr(why.detail, "is on proc") || !strstr(why.detail, "does not say fs proc")) {
		fprintf(stderr, "why: %s\n", why.detail);
		return 10;
	}
	/* nothing is created there either: the directory is looked at first */
	if (privsep_fs_open(c, "/proc/privsep-created", O_WRONLY | O_CREAT, &why) >= 0 ||
	    errno != EACCES || !strstr(why.detail, "/proc/privsep-created is on proc")) {
		fprintf(stderr, "create in /proc: %s (%s)\n", strerror(errno), why.detail);
		return 12;
	}
	/* sysfs, when the machine has it (the test checked) */
	if (arg && (rc = refused(c, (const char *)arg, O_RDONLY, EACCES, 11)))
		return rc;
	return 0;
}

/* With fs proc, /proc/self is what the rule then grants: the helper. */
static int proc_granted_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	char buf[4096];
	ssize_t n;
	(void)arg;
	int fd = privsep_fs_open(c, "/proc/self/status", O_RDONLY, &why);
	if (fd < 0) {
		fprintf(stderr, "/proc/self/status: %s (%s)\n", strerror(errno), why.detail);
		return 1;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 2;
	buf[n] = '\0';
	const char *pid = strstr(buf, "\nPid:\t");
	return pid && atoi(pid + 6) == (int)getppid() ? 0 : 3;
}

static void a_worker_cannot_read_the_helpers_proc_files_unless_the_rule_says_fs_proc(void **s)
{
	(void)s;
	static const char sys_file[] = "/sys/kernel/uevent_seqnum";
	struct hx *x;
	int fd = open(sys_file, O_RDONLY | O_CLOEXEC);
	int have_sys = fd >= 0;
	if (fd >= 0)
		close(fd);
	else
		print_message("no %s here: the sysfs case is not tried\n", sys_file);
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\n"
	         "beneath \"/proc\" allow read,write,create,stat,readlink symlinks\n"
	         "beneath \"/sys\" allow read,stat\n");
	struct privsep_sandbox sb = {.policy = "grants.policy", .policy_text = policy};
	struct privsep_spawn sp = {.name = "attacker",
	                           .main = proc_attack_main,
	                           .arg = have_sys ? (void *)sys_file : NULL,
	                           .sandbox = &sb};
	x = hx_new(NULL, 0, 0);
	assert_non_null(x);
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 30000));
	expect_exit(x, 0);
	assert_true(hx_logged(x, "is on proc"));
	hx_free(x);

	snprintf(
	    policy, sizeof(policy),
	    "version 1\ninclude <default.policy>\nbeneath \"/proc\" allow read symlinks fs proc\n");
	x = run(proc_granted_main, policy);
	assert_non_null(x);
	expect_exit(x, 0);
	hx_free(x);
}

/* ---- append-only ---- */

/* read,append: only O_RDONLY and O_WRONLY|O_APPEND; with O_RDWR|O_APPEND
 * a shared writable map would rewrite the first bytes. */
static int append_modes_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	int rc, fd;
	(void)arg;
	fd = privsep_fs_open(c, logfile, O_RDWR | O_APPEND, &why);
	if (fd >= 0) {
		char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED) {
			memcpy(m, "REWRITTEN", 9);
			munmap(m, 4096);
			return 10;
		}
		return 11;
	}
	if (errno != EACCES || !strstr(why.detail, "O_WRONLY|O_APPEND only")) {
		fprintf(stderr, "O_RDWR|O_APPEND: %s (%s)\n", strerror(errno), why.detail);
		return 12;
	}
	if ((rc = refused(c, logfile, O_RDWR, EACCES, 13)) ||
	    (rc = refused(c, logfile, O_WRONLY, EACCES, 14)) ||
	    (rc = refused(c, logfile, O_WRONLY | O_TRUNC | O_APPEND, EACCES, 15)))
		return rc;
	fd = privsep_fs_open(c, logfile, O_WRONLY | O_APPEND, &why);
	if (fd < 0 || write(fd, "appended\n", 9) != 9)
		return 16;
	close(fd);
	fd = privsep_fs_open(c, logfile, O_RDONLY, &why);
	if (fd < 0)
		return 17;
	close(fd);
	return 0;
}

/* Clear O_APPEND with F_SETFL (which @ipc allows), then write at 0.
 * F_SETFL that keeps O_APPEND still works (O_NONBLOCK on or off). */
static int append_setfl_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	(void)arg;
	int fd = privsep_fs_open(c, logfile, O_WRONLY | O_APPEND, &why);
	if (fd < 0)
		return 1;
	if (fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK) < 0 || fcntl(fd, F_SETFL, O_APPEND) < 0)
		return 2;
	fprintf(stderr, "now F_SETFL without O_APPEND\n");
	fcntl(fd, F_SETFL, 0); /* the filter kills the worker here */
	if (pwrite(fd, "REWRITTEN", 9, 0) == 9)
		return 10;
	return 11;
}

/* pwritev2 with RWF_NOAPPEND writes at the offset whatever O_APPEND
 * says; without it, it appends. */
static int append_pwritev2_main(struct privsep_client *c, void *arg)
{
	struct privsep_result why;
	char tail[] = "tail\n", rewrite[] = "REWRITTEN";
	struct iovec v = {.iov_base = tail, .iov_len = 5};
	(void)arg;
	int fd = privsep_fs_open(c, logfile, O_WRONLY | O_APPEND, &why);
	if (fd < 0)
		return 1;
	if (pwritev2(fd, &v, 1, 0, 0) != 5)
		return 2;
	v.iov_base = rewrite;
	v.iov_len = 9;
	fprintf(stderr, "now pwritev2 with RWF_NOAPPEND\n");
	if (pwritev2(fd, &v, 1, 0, RWF_NOAPPEND) == 9) /* killed here when filtered */
		return 10;
	return 11;
}

static void an_append_only_grant_opens_only_write_only_append(void **s)
{
	(void)s;
	char got[256];
	struct hx *x;
	hx_put(logfile, ORIGINAL);
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\npath \"%s\" allow read,append\n", logfile);
	x = run(append_modes_main, policy);
	assert_non_null(x);
	expect_exit(x, 0);
	hx_free(x);
	content(logfile, got, sizeof(got));
	assert_string_equal(got, ORIGINAL "appended\n");
}

static void an_append_only_fd_cannot_clear_o_append_with_f_setfl(void **s)
{
	(void)s;
	char got[256];
	struct hx *x;
	hx_put(logfile, ORIGINAL);
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\npath \"%s\" allow append\n", logfile);
	x = run(append_setfl_main, policy);
	assert_non_null(x);
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("the worker was not stopped at F_SETFL: %s", x->last_exit.line);
	assert_true(hx_logged(x, "now F_SETFL without O_APPEND"));
	hx_free(x);
	content(logfile, got, sizeof(got));
	assert_string_equal(got, ORIGINAL);
}

static void an_append_only_grant_allows_no_pwritev2_with_rwf_noappend(void **s)
{
	(void)s;
	char got[256], one[] = "X";
	struct iovec v = {.iov_base = one, .iov_len = 1};
	struct hx *x;
	int fd, noappend;

	/* does this kernel know RWF_NOAPPEND?  (6.9+; the refusal of the
	 * policy below holds on any kernel) */
	hx_put(logfile, ORIGINAL);
	fd = open(logfile, O_WRONLY | O_APPEND | O_CLOEXEC);
	assert_true(fd >= 0);
	noappend = pwritev2(fd, &v, 1, 0, RWF_NOAPPEND) == 1;
	close(fd);
	hx_put(logfile, ORIGINAL);

	/* a policy that allows it beside an append-only grant is refused */
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\npath \"%s\" allow append\n"
	         "allow pwritev2\n",
	         logfile);
	x = run(append_pwritev2_main, policy);
	if (x) {
		int st = x->last_exit.status;
		hx_free(x);
		content(logfile, got, sizeof(got));
		fail_msg("the policy was accepted; the worker exited %d; the file: %s", st, got);
	}
	content(logfile, got, sizeof(got));
	assert_string_equal(got, ORIGINAL);

	/* narrowed as check says: appending works, RWF_NOAPPEND kills */
	snprintf(policy, sizeof(policy),
	         "version 1\ninclude <default.policy>\npath \"%s\" allow append\n"
	         "allow pwritev2 if flags has-none RWF_NOAPPEND\n",
	         logfile);
	x = run(append_pwritev2_main, policy);
	assert_non_null(x);
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("the worker was not stopped at pwritev2 (RWF_NOAPPEND %s here): %s",
		         noappend ? "works" : "unknown", x->last_exit.line);
	hx_free(x);
	content(logfile, got, sizeof(got));
	assert_string_equal(got, ORIGINAL "tail\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_worker_gets_no_directory_fd_unless_the_rule_says_directory),
	    cmocka_unit_test(
	        a_worker_cannot_read_the_helpers_proc_files_unless_the_rule_says_fs_proc),
	    cmocka_unit_test(an_append_only_grant_opens_only_write_only_append),
	    cmocka_unit_test(an_append_only_fd_cannot_clear_o_append_with_f_setfl),
	    cmocka_unit_test(an_append_only_grant_allows_no_pwritev2_with_rwf_noappend),
	};
	if (under_valgrind()) {
		print_message("valgrind has no seccomp syscall: these workers cannot start\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
