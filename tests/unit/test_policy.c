/* SPDX-License-Identifier: ISC */
/*
 * The policy language (docs/POLICY.md): one test per syntax rule, a table
 * of bad inputs with their exact file:line:column messages, the checks,
 * the compiler in the kernel, and verify.
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
#include <seccomp.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "policy.h"

static char msgs[16][1400];
static int nmsgs;

static void collect(const char *msg, void *arg)
{
	(void)arg;
	if (nmsgs < 16)
		snprintf(msgs[nmsgs++], sizeof(msgs[0]), "%s", msg);
}

static struct policy *parse(const char *text)
{
	nmsgs = 0;
	return policy_load("t.policy", text, collect, NULL);
}

static void expect_error(const char *text, const char *want)
{
	struct policy *p = parse(text);
	if (p) {
		policy_free(p);
		fail_msg("accepted: %s", text);
	}
	if (nmsgs < 1 || strcmp(msgs[0], want) != 0)
		fail_msg("for:\n%s\nwant: %s\ngot:  %s", text, want, nmsgs ? msgs[0] : "(nothing)");
}

static int findings(const char *text)
{
	struct policy *p = parse(text);
	int n;
	assert_non_null(p);
	nmsgs = 0;
	n = policy_check(p, collect, NULL);
	policy_free(p);
	return n;
}

static uint32_t eval(const struct policy *p, const char *sys, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const struct pol_rule *r;
	uint64_t args[6] = {a0, a1, a2, 0, 0, 0};
	return policy_eval(p, 0, seccomp_arch_native(), seccomp_syscall_resolve_name(sys), args,
	                   &r);
}

#define ALLOW 0x7fff0000u
#define KILL 0x80000000u
#define ERRNO(e) (0x00050000u | (e))

/* ---- syntax, one rule each ---- */

static void version_line_comes_first(void **s)
{
	(void)s;
	expect_error("allow read\n", "t.policy:1:1: expected \"version 1\" first, found \"allow\"");
	struct policy *p = parse("# a comment\n\nversion 1\n");
	assert_non_null(p);
	policy_free(p);
}

static void comments_and_blank_lines_are_ignored(void **s)
{
	(void)s;
	struct policy *p = parse("version 1 # trailing\n\n   # indented\nallow read # why\n");
	assert_non_null(p);
	assert_int_equal(p->nrules, 1);
	assert_int_equal(p->rules[0].loc.line, 4);
	assert_int_equal(p->rules[0].loc.col, 7);
	policy_free(p);
}

static void rule_actions_allow_errno_kill_trap_log(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nallow read\nerrno EPERM write because \"w\"\n"
	                         "kill ptrace because \"k\"\ntrap bpf because \"t\"\n"
	                         "log getpid because \"l\"\n");
	assert_non_null(p);
	assert_int_equal(p->nrules, 5);
	assert_int_equal(eval(p, "read", 0, 0, 0), ALLOW);
	assert_int_equal(eval(p, "write", 0, 0, 0), ERRNO(EPERM));
	assert_int_equal(eval(p, "ptrace", 0, 0, 0), KILL);
	assert_int_equal(eval(p, "bpf", 0, 0, 0), 0x00030000u);
	assert_int_equal(eval(p, "getpid", 0, 0, 0), 0x7ffc0000u);
	assert_string_equal(p->rules[1].reason, "w");
	policy_free(p);
}

static void default_is_kill_unless_said(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\n");
	assert_int_equal(eval(p, "getpid", 0, 0, 0), KILL);
	policy_free(p);
	p = parse("version 1\ndefault errno EPERM\n");
	assert_int_equal(eval(p, "getpid", 0, 0, 0), ERRNO(EPERM));
	policy_free(p);
}

static void unknown_numbers_get_their_own_action(void **s)
{
	(void)s;
	const struct pol_rule *r;
	uint64_t a[6] = {0};
	struct policy *p = parse("version 1\nunknown errno ENOSYS\n");
	/* 460 is past libseccomp 2.5.4's table for x86_64 */
	assert_int_equal(policy_eval(p, 0, seccomp_arch_native(), 460, a, &r), ERRNO(ENOSYS));
	assert_int_equal(eval(p, "getpid", 0, 0, 0), KILL);
	policy_free(p);
}

static void conditions_on_named_arguments(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nallow fcntl if cmd == F_GETFD and fd == 3\n");
	assert_non_null(p);
	assert_int_equal(p->rules[0].cond[0].arg, 1);
	assert_true(p->rules[0].cond[0].is32);
	assert_int_equal(eval(p, "fcntl", 3, F_GETFD, 0), ALLOW);
	assert_int_equal(eval(p, "fcntl", 4, F_GETFD, 0), KILL);
	policy_free(p);
	p = parse("version 1\nallow read if arg0 == 7\n");
	assert_int_equal(eval(p, "read", 7, 0, 0), ALLOW);
	policy_free(p);
}

static void every_operator(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\n"
	                         "allow read if fd == 5\n"
	                         "allow write if fd != 5\n"
	                         "allow close if fd < 5\n"
	                         "allow dup if fd <= 5\n"
	                         "allow listen if fd > 5\n"
	                         "allow shutdown if fd >= 5\n"
	                         "allow lseek if whence in {0, 2}\n"
	                         "allow mmap if prot has-none PROT_EXEC\n"
	                         "allow mprotect if prot within PROT_READ|PROT_WRITE\n"
	                         "allow madvise if advice has-any 0x6\n");
	assert_non_null(p);
	assert_int_equal(eval(p, "read", 5, 0, 0), ALLOW);
	assert_int_equal(eval(p, "read", 6, 0, 0), KILL);
	assert_int_equal(eval(p, "write", 5, 0, 0), KILL);
	assert_int_equal(eval(p, "write", 6, 0, 0), ALLOW);
	assert_int_equal(eval(p, "close", 4, 0, 0), ALLOW);
	assert_int_equal(eval(p, "close", 5, 0, 0), KILL);
	assert_int_equal(eval(p, "dup", 5, 0, 0), ALLOW);
	assert_int_equal(eval(p, "dup", 6, 0, 0), KILL);
	assert_int_equal(eval(p, "listen", 6, 0, 0), ALLOW);
	assert_int_equal(eval(p, "listen", 5, 0, 0), KILL);
	assert_int_equal(eval(p, "shutdown", 5, 0, 0), ALLOW);
	assert_int_equal(eval(p, "shutdown", 4, 0, 0), KILL);
	assert_int_equal(eval(p, "lseek", 0, 0, 2), ALLOW);
	assert_int_equal(eval(p, "lseek", 0, 0, 1), KILL);
	assert_int_equal(eval(p, "mmap", 0, 0, PROT_READ), ALLOW);
	assert_int_equal(eval(p, "mmap", 0, 0, PROT_EXEC), KILL);
	assert_int_equal(eval(p, "mprotect", 0, 0, PROT_READ), ALLOW);
	assert_int_equal(eval(p, "mprotect", 0, 0, PROT_READ | PROT_EXEC), KILL);
	assert_int_equal(eval(p, "madvise", 0, 0, 4), ALLOW);
	assert_int_equal(eval(p, "madvise", 0, 0, 1), KILL);
	policy_free(p);
}

static void int_arguments_compare_their_low_32_bits(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nallow read if fd == 5\nallow lseek if offset == 5\n");
	/* the kernel reads an int's low half: so does the policy */
	assert_int_equal(eval(p, "read", 0xdead00000005ull, 0, 0), ALLOW);
	/* a long argument is compared whole */
	assert_int_equal(eval(p, "lseek", 0, 0xdead00000005ull, 0), KILL);
	policy_free(p);
}

static void constants_negative_numbers_and_bit_unions(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nallow newfstatat if dirfd == AT_FDCWD\n"
	                         "allow openat if flags == O_RDONLY|O_CLOEXEC because \"t\"\n"
	                         "allow close if fd == -1\n"
	                         "allow read if count == -9223372036854775808\n");
	assert_non_null(p);
	/* -2^63, the most negative: its own two's complement, no overflow */
	assert_int_equal(eval(p, "read", 0, 0, 0x8000000000000000ull), ALLOW);
	assert_int_equal(eval(p, "read", 0, 0, 0x7fffffffffffffffull), KILL);
	/* glibc passes AT_FDCWD zero-extended */
	assert_int_equal(eval(p, "newfstatat", 0xffffff9cull, 0, 0), ALLOW);
	assert_int_equal(eval(p, "newfstatat", (uint64_t)-100, 0, 0), ALLOW);
	assert_int_equal(eval(p, "openat", 0, 0, O_CLOEXEC), ALLOW);
	assert_int_equal(eval(p, "close", 0xffffffffull, 0, 0), ALLOW);
	policy_free(p);
}

static void first_matching_rule_decides(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nerrno EPERM fcntl if cmd == F_SETOWN because \"no\"\n"
	                         "allow fcntl if cmd in {F_GETFD, F_SETOWN}\n");
	const struct pol_rule *r;
	uint64_t a[6] = {0, F_SETOWN};
	assert_int_equal(policy_eval(p, 0, seccomp_arch_native(), SYS_fcntl, a, &r), ERRNO(EPERM));
	assert_int_equal(r->loc.line, 2);
	policy_free(p);
}

static void groups_are_defined_then_used(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\ngroup @io\nallow read\nallow write\nend\nallow @io\n"
	                         "errno EPERM @io because \"deny all io\"\n");
	assert_non_null(p);
	assert_int_equal(p->nrules, 4);
	assert_string_equal(p->rules[0].group, "@io");
	assert_int_equal(p->rules[0].loc.line, 3); /* where the rule is written */
	assert_int_equal(p->rules[2].act, FA_ERRNO);
	assert_string_equal(p->rules[2].reason, "deny all io");
	policy_free(p);
}

static void include_shipped_policies_with_angle_brackets(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\ninclude <groups.policy>\nallow @stdio\n");
	assert_non_null(p);
	assert_int_equal(p->nrules, 8);
	assert_string_equal(p->rules[0].loc.file, "<groups.policy>");
	policy_free(p);
}

static char tmpdir[64];

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int mk_tmp(void **s)
{
	(void)s;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/privsep-policy-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int rm_tmp(void **s)
{
	char cmd[128];
	(void)s;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void include_is_relative_to_the_including_file(void **s)
{
	(void)s;
	char path[256], sub[256];
	struct policy *p;
	snprintf(sub, sizeof(sub), "%s/sub", tmpdir);
	mkdir(sub, 0700);
	write_file("sub/inner.policy", "version 1\nallow getpid\n");
	write_file("sub/outer.policy", "version 1\ninclude \"inner.policy\"\nallow read\n");
	snprintf(path, sizeof(path), "%s/sub/outer.policy", tmpdir);
	nmsgs = 0;
	p = policy_load(path, NULL, collect, NULL);
	assert_non_null(p);
	assert_int_equal(p->nrules, 2);
	assert_non_null(strstr(p->rules[0].loc.file, "sub/inner.policy"));
	policy_free(p);
}

static void include_cycles_and_depth_are_refused(void **s)
{
	(void)s;
	char path[256], want[512];
	write_file("a.policy", "version 1\ninclude \"b.policy\"\n");
	write_file("b.policy", "version 1\ninclude \"a.policy\"\n");
	snprintf(path, sizeof(path), "%s/a.policy", tmpdir);
	nmsgs = 0;
	assert_null(policy_load(path, NULL, collect, NULL));
	snprintf(want, sizeof(want), "%s/b.policy:2:9: include cycle: %s/a.policy includes itself",
	         tmpdir, tmpdir);
	assert_string_equal(msgs[0], want);
	for (int i = 0; i < 10; i++) {
		char name[32], text[64];
		snprintf(name, sizeof(name), "d%d.policy", i);
		snprintf(text, sizeof(text), "version 1\ninclude \"d%d.policy\"\n", i + 1);
		write_file(name, text);
	}
	write_file("d10.policy", "version 1\n");
	snprintf(path, sizeof(path), "%s/d0.policy", tmpdir);
	nmsgs = 0;
	assert_null(policy_load(path, NULL, collect, NULL));
	assert_non_null(strstr(msgs[0], "d8.policy:2:9: includes nested deeper than 8"));
}

static void a_file_included_twice_is_read_once(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\ninclude <groups.policy>\ninclude "
	                         "<glibc.policy>\ninclude <groups.policy>\n");
	assert_non_null(p); /* its groups would otherwise be defined twice */
	policy_free(p);
}

static void worker_directives(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\nuser www-data\nrlimit nofile 32\nrlimit as unlimited\n"
	                         "namespaces off\n"
	                         "beneath \"/srv/www\" allow read,stat symlinks\n"
	                         "path \"/var/log/x.log\" allow append,create mode 0640\n");
	assert_non_null(p);
	assert_string_equal(p->user, "www-data");
	assert_true(p->have_rlimit[POL_RL_NOFILE]);
	assert_int_equal(p->rlimit[POL_RL_NOFILE], 32);
	assert_int_equal(p->rlimit[POL_RL_AS], ~0ul);
	assert_int_equal(p->namespaces, 0);
	assert_int_equal(p->nfiles, 2);
	assert_true(p->files[0].beneath);
	assert_int_equal(p->files[0].rights, POL_R_READ | POL_R_STAT);
	assert_true(p->files[0].symlinks);
	assert_int_equal(p->files[1].mode, 0640);
	policy_free(p);
}

/* directory and fs NAME on a file rule; an unknown filesystem is an
 * error that lists the known ones */
static void file_rules_say_directory_and_fs(void **s)
{
	(void)s;
	struct policy *p = parse("version 1\n"
	                         "beneath \"/proc\" allow read symlinks fs proc fs sysfs\n"
	                         "beneath \"/srv\" allow read directory\n");
	assert_non_null(p);
	assert_int_equal(p->files[0].fs, pol_pseudofs_bit("proc") | pol_pseudofs_bit("sysfs"));
	assert_false(p->files[0].directory);
	assert_true(p->files[1].directory);
	assert_int_equal(p->files[1].fs, 0);
	policy_free(p);
	assert_int_equal(pol_pseudofs_bit("ext4"), 0);
	assert_int_equal(pol_pseudofs_bit("tmpfs"), 0);
	assert_int_equal(pol_pseudofs_of(0x9fa0, NULL), pol_pseudofs_bit("proc"));
	assert_int_equal(pol_pseudofs_of(0xEF53 /* ext4 */, NULL), 0);
	p = parse("version 1\nbeneath \"/srv\" allow read fs ext4\n");
	assert_null(p);
	assert_non_null(strstr(msgs[0], "t.policy:2:30: \"ext4\" is not a pseudo filesystem"));
	assert_non_null(strstr(msgs[0], "proc, sysfs, debugfs"));
}

static uint32_t eval6(const struct policy *p, const char *sys, const uint64_t args[6])
{
	const struct pol_rule *r;
	return policy_eval(p, 0, seccomp_arch_native(), seccomp_syscall_resolve_name(sys), args,
	                   &r);
}

/* A grant of append without write: the rules that allow F_SETFL by its
 * cmd (@ipc's) allow it only with O_APPEND set, and check reports every
 * other call that would rewrite existing bytes. */
static void an_append_only_grant_narrows_f_setfl_and_check_finds_what_rewrites(void **s)
{
	(void)s;
	static const char base[] = "version 1\ninclude <default.policy>\n"
	                           "path \"/var/log/app.log\" allow append,create mode 0640\n";
	char text[1024];
	struct filter_prog prog;
	unsigned long calls;
	struct policy *p = parse(base);
	assert_non_null(p);
	assert_int_equal(policy_check(p, collect, NULL), 0);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFL, O_NONBLOCK), KILL);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFL, 0), KILL);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFL, O_APPEND | O_NONBLOCK), ALLOW);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFL, O_APPEND), ALLOW);
	assert_int_equal(eval(p, "fcntl", 3, F_GETFL, 0), ALLOW);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFD, FD_CLOEXEC), ALLOW);
	assert_int_equal(eval(p, "fcntl", 3, F_DUPFD_CLOEXEC, 0), ALLOW);
	for (int debug = POL_MODE_ENFORCE; debug <= POL_MODE_NOTIFY; debug++) {
		assert_int_equal(policy_compile(p, &prog, debug, collect, NULL), 0);
		assert_int_equal(policy_verify(p, &prog, debug, collect, NULL, &calls), 0);
		filter_prog_free(&prog);
	}
	policy_free(p);
	/* write beside append, or no file rule: F_SETFL as @ipc says */
	p = parse("version 1\ninclude <default.policy>\n"
	          "path \"/var/log/app.log\" allow write,append\n");
	assert_non_null(p);
	assert_int_equal(eval(p, "fcntl", 3, F_SETFL, O_NONBLOCK), ALLOW);
	policy_free(p);

	static const struct {
		const char *rule, *finding;
	} rewrites[] = {
	    {"allow pwritev2\n", "pwritev2 with RWF_NOAPPEND is allowed"},
	    {"allow fallocate\n", "fallocate that punches"},
	    {"allow ftruncate\n", "ftruncate is allowed"},
	    {"allow io_submit\n", "io_submit"},
	};
	for (size_t i = 0; i < sizeof(rewrites) / sizeof(rewrites[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", base, rewrites[i].rule);
		if (findings(text) != 1 || !strstr(msgs[0], rewrites[i].finding) ||
		    !strstr(msgs[0], "t.policy:3 grants append without write"))
			fail_msg("%s: %d findings: %s", rewrites[i].rule, nmsgs, msgs[0]);
	}
	/* io_uring: a finding of its own (it also connects sockets), and
	 * the append one */
	snprintf(text, sizeof(text), "%sallow io_uring_setup because \"a ring\"\n", base);
	assert_int_equal(findings(text), 2);
	assert_non_null(strstr(msgs[0], "io_uring runs connect"));
	assert_non_null(strstr(msgs[1], "io_uring_setup"));
	assert_non_null(strstr(msgs[1], "t.policy:3 grants append without write"));
	/* narrowed as the findings say, or truncate granted: none */
	snprintf(text, sizeof(text),
	         "%sallow pwritev2 if flags has-none RWF_NOAPPEND\n"
	         "allow fallocate if mode within 1\n",
	         base);
	assert_int_equal(findings(text), 0);
	assert_int_equal(findings("version 1\ninclude <default.policy>\n"
	                          "path \"/l\" allow append,truncate\nallow ftruncate\n"),
	                 0);
	/* an F_SETFL the narrowing cannot reach (no cmd condition) */
	assert_int_equal(findings("version 1\ndefault kill\nallow fcntl\n"
	                          "path \"/l\" allow append\n"),
	                 1);
	assert_non_null(strstr(msgs[0], "fcntl F_SETFL without O_APPEND"));
	/* the same policy without the append-only grant: none */
	assert_int_equal(findings("version 1\ndefault kill\nallow fcntl\nallow pwritev2\n"
	                          "path \"/l\" allow write,append\n"),
	                 0);
	const uint64_t noappend[6] = {3, 0, 1, 0, 0, 0x20};
	p = parse("version 1\ndefault kill\nallow pwritev2 if flags has-none RWF_NOAPPEND\n");
	assert_non_null(p);
	assert_int_equal(eval6(p, "pwritev2", noappend), KILL);
	policy_free(p);
}

/* ---- bad inputs: the exact message ---- */

static const struct {
	const char *text, *msg;
} bad[] = {
    {"", "t.policy:1:1: expected \"version 1\": the file is empty"},
    {"version 2\n", "t.policy:1:9: expected \"version 1\" (the only version there is)"},
    {"version 1\nversion 1\n", "t.policy:2:1: a second version line"},
    {"version 1\nallow\n", "t.policy:2:6: expected a syscall name or @group after allow"},
    {"version 1\npermit read\n",
     "t.policy:2:1: expected a rule (allow, errno NAME, kill, trap, log) or a directive (version, "
     "include, group, end, default, unknown, user, rlimit, namespaces, path, beneath), found "
     "\"permit\""},
    {"version 1\nerrno read\n", "t.policy:2:7: unknown errno name \"read\""},
    {"version 1\nerrno EWHAT read\n", "t.policy:2:7: unknown errno name \"EWHAT\""},
    {"version 1\nallow read if\n", "t.policy:2:14: expected an argument name after \"if\""},
    {"version 1\nallow read if size == 1\n",
     "t.policy:2:15: read has no argument \"size\" (its arguments: fd% buf count)"},
    {"version 1\nallow read if fd\n",
     "t.policy:2:17: expected an operator (==, !=, <, <=, >, >=, in, has-any, has-none, within)"},
    {"version 1\nallow read if fd ~= 1\n",
     "t.policy:2:18: expected an operator (==, !=, <, <=, >, >=, in, has-any, has-none, within), "
     "found \"~=\""},
    {"version 1\nallow read if fd ==\n", "t.policy:2:20: expected a value after =="},
    {"version 1\nallow read if fd == O_NOPE\n", "t.policy:2:21: unknown constant \"O_NOPE\""},
    {"version 1\nallow read if fd == 12x\n", "t.policy:2:21: not a number: \"12x\""},
    /* a hostile file: a negative past -2^63 wrapped to a small number
     * (-18446744073709551615 was 1; -2^63 itself negated a signed
     * minimum), and an int argument's value past 32 bits was compiled
     * as its low half (fd == 4294967298 allowed fd 2) */
    {"version 1\nallow read if count == -18446744073709551615\n",
     "t.policy:2:24: not a number: \"-18446744073709551615\""},
    {"version 1\nallow read if count == -9223372036854775809\n",
     "t.policy:2:24: not a number: \"-9223372036854775809\""},
    {"version 1\nallow write if fd == 4294967298\n",
     "t.policy:2:22: fd is an int, compared on its low 32 bits: \"4294967298\" does not fit (it "
     "would be 2)"},
    {"version 1\nallow read if fd in {1, 0x100000001}\n",
     "t.policy:2:25: fd is an int, compared on its low 32 bits: \"0x100000001\" does not fit (it "
     "would be 1)"},
    {"version 1\nallow write if fd has-any 0x100000000\n",
     "t.policy:2:27: fd is an int, compared on its low 32 bits: \"0x100000000\" does not fit (it "
     "would be 0)"},
    {"version 1\nallow read if fd == 1|\n",
     "t.policy:2:21: expected a value (a number, a constant or A|B), found \"1|\""},
    {"version 1\nallow read if fd in 1\n", "t.policy:2:21: expected { after in"},
    {"version 1\nallow read if fd in {1 2}\n", "t.policy:2:24: expected , or } in the set"},
    {"version 1\nallow read if fd in {1,\n", "t.policy:2:23: expected a value or } in the set"},
    {"version 1\nallow read if fd == 1 and fd == 2\n",
     "t.policy:2:27: a second condition on fd in one rule: libseccomp allows one per argument; "
     "use in, or write two rules"},
    {"version 1\nallow read because why\n",
     "t.policy:2:20: expected a \"quoted reason\" after because"},
    {"version 1\nallow read because \"\"\n", "t.policy:2:20: an empty reason explains nothing"},
    {"version 1\nallow read because \"x\" extra\n",
     "t.policy:2:24: expected the end of the line after the reason"},
    {"version 1\nallow read fd == 1\n",
     "t.policy:2:12: expected if, and, because or the end of the line, found \"fd\""},
    {"version 1\nallow read because \"open\n",
     "t.policy:2:20: unterminated string: expected a closing \""},
    {"version 1\nallow @nope\n",
     "t.policy:2:7: unknown group @nope (define it with group @nope ... end before using it)"},
    {"version 1\ngroup @g\nallow read\n", "t.policy:3:1: group @g is not closed: expected end"},
    {"version 1\nend\n", "t.policy:2:1: end without group"},
    {"version 1\ngroup @g\ngroup @h\n", "t.policy:3:1: group inside group @g: expected end first"},
    {"version 1\ngroup g\n", "t.policy:2:7: expected a group name like @stdio after group"},
    {"version 1\ngroup @g\nend\ngroup @g\n",
     "t.policy:4:7: group @g is already defined at t.policy:2"},
    {"version 1\nallow @g if fd == 1\n",
     "t.policy:2:7: unknown group @g (define it with group @g ... end before using it)"},
    {"version 1\ngroup @g\nallow read\nend\nallow @g if fd == 1\n",
     "t.policy:5:10: a group takes no conditions: expected because or the end of the line"},
    {"version 1\ninclude\n",
     "t.policy:2:9: expected one file after include: \"path\" or <shipped.policy>"},
    {"version 1\ninclude <nothing.policy>\n",
     "t.policy:2:9: no shipped policy called <nothing.policy>"},
    {"version 1\ninclude bare.policy\n",
     "t.policy:2:9: expected \"path\" (relative to this file) or <shipped.policy>, found "
     "bare.policy"},
    {"version 1\ndefault\n",
     "t.policy:2:9: expected an action after default: kill, trap, log, allow or errno NAME"},
    {"version 1\ndefault kill now\n", "t.policy:2:14: expected nothing after the action"},
    {"version 1\nunknown allow\n", "t.policy:2:9: unknown takes kill or errno NAME"},
    {"version 1\nrlimit files 3\n",
     "t.policy:2:8: unknown limit \"files\" (nofile, nproc, fsize, as)"},
    {"version 1\nrlimit nofile lots\n",
     "t.policy:2:15: expected a number or unlimited, found \"lots\""},
    {"version 1\nnamespaces maybe\n", "t.policy:2:12: expected namespaces on|off"},
    {"version 1\nbeneath \"srv\" allow read\n", "t.policy:2:9: the path must be absolute"},
    {"version 1\nbeneath \"/srv\" allow fly\n",
     "t.policy:2:22: unknown right \"fly\" (read, write, append, create, truncate, stat, "
     "readlink)"},
    {"version 1\npath \"/x\" allow read mode 999\n",
     "t.policy:2:27: expected an octal mode like 0640"},
    {"version 1\npath \"/x\" allow read mode \"\"\n",
     "t.policy:2:27: expected an octal mode like 0640"},
    /* a group's use takes its reason as a rule does */
    {"version 1\ngroup @g\nallow read\nend\nallow @g because \"\"\n",
     "t.policy:5:18: an empty reason explains nothing"},
    {"version 1\ngroup @g\nallow read\nend\nallow @g because why\n",
     "t.policy:5:18: expected a \"quoted reason\" after because"},
    {"version 1\nallow read because \"a\\qb\"\n", "t.policy:2:22: unknown escape \\q in a string"},
};

static void bad_inputs_name_file_line_and_column(void **s)
{
	(void)s;
	assert_true(sizeof(bad) / sizeof(bad[0]) >= 25);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_error(bad[i].text, bad[i].msg);
}

/* ---- check ---- */

static void check_finds_a_permissive_default(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\ndefault allow\n"), 1);
	assert_non_null(strstr(msgs[0], "t.policy:2:1: permissive default"));
}

static void check_wants_a_reason_for_every_non_allow(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\nerrno EPERM read\n"), 1);
	assert_string_equal(msgs[0],
	                    "t.policy:2:13: errno read needs a reason: add because \"...\"");
}

static void check_wants_a_reason_for_dangerous_allows(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\nallow ioctl\nallow mmap\n"), 2);
	assert_non_null(strstr(msgs[0], "it is on the list of dangerous syscalls"));
	assert_non_null(strstr(msgs[1], "it allows executable memory"));
	assert_int_equal(findings("version 1\nallow mmap if prot has-none PROT_EXEC\n"), 0);
}

/* A rule that lets a worker connect a socket it holds is a finding
 * whatever its reason: connect; a send whose flags may carry
 * MSG_FASTOPEN; shutdown that may be SHUT_RD or SHUT_RDWR; setsockopt
 * that may set TCP_FASTOPEN_CONNECT.  Each case: one rule, and whether
 * check reports it (and with what words). */
static void check_finds_rules_that_let_a_worker_connect_a_socket_it_holds(void **s)
{
	static const struct {
		const char *rule;
		const char *want; /* NULL: clean */
	} cases[] = {
	    /* sends */
	    {"allow sendto", "sendto: it lets MSG_FASTOPEN through"},
	    {"allow sendmsg", "sendmsg: it lets MSG_FASTOPEN through"},
	    {"allow sendmmsg", "sendmmsg: it lets MSG_FASTOPEN through"},
	    {"allow sendto because \"the channel\"", "sendto: it lets MSG_FASTOPEN through"},
	    {"log sendmsg because \"watching\"", "sendmsg: it lets MSG_FASTOPEN through"},
	    {"allow sendmsg if flags has-any MSG_NOSIGNAL", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags within MSG_NOSIGNAL|MSG_FASTOPEN", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags == MSG_NOSIGNAL|MSG_FASTOPEN", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags in {0, MSG_FASTOPEN}", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags != 0", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags >= MSG_MORE", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags > 0x7fffffff", "MSG_FASTOPEN"},
	    {"allow sendmsg if flags <= MSG_FASTOPEN", "MSG_FASTOPEN"},
	    {"allow sendmsg if fd == 3", "MSG_FASTOPEN"}, /* no condition on flags */
	    {"allow sendmmsg if flags has-none MSG_DONTWAIT", "MSG_FASTOPEN"},
	    {"allow sendto if flags has-none MSG_FASTOPEN", NULL},
	    {"allow sendmsg if flags has-none MSG_FASTOPEN|MSG_OOB", NULL},
	    {"allow sendmmsg if flags has-none MSG_FASTOPEN", NULL},
	    {"allow sendmsg if flags within MSG_NOSIGNAL|MSG_DONTWAIT", NULL},
	    {"allow sendmsg if flags == MSG_NOSIGNAL", NULL},
	    {"allow sendmsg if flags in {0, MSG_NOSIGNAL, MSG_MORE}", NULL},
	    {"allow sendmsg if flags < MSG_FASTOPEN", NULL},
	    {"errno EPERM sendto because \"not here\"", NULL},
	    {"kill sendmsg if flags has-any MSG_FASTOPEN because \"never\"", NULL},
	    /* io_uring runs connect and sendmsg where no rule sees them */
	    {"allow io_uring_setup because \"a ring\"", "io_uring_setup: io_uring runs connect"},
	    {"allow io_uring_enter", "io_uring_enter: io_uring runs connect"},
	    {"log io_uring_register because \"watching\"",
	     "io_uring_register: io_uring runs connect"},
	    {"errno ENOSYS io_uring_setup because \"none\"", NULL},
	    /* shutdown */
	    {"allow shutdown", "shutdown: it lets SHUT_RD or SHUT_RDWR through"},
	    {"allow shutdown if how != SHUT_RD", "SHUT_RD or SHUT_RDWR"},
	    {"allow shutdown if how <= SHUT_WR", "SHUT_RD or SHUT_RDWR"},
	    {"allow shutdown if how in {SHUT_WR, SHUT_RDWR}", "SHUT_RD or SHUT_RDWR"},
	    {"allow shutdown if how has-none 2", "SHUT_RD or SHUT_RDWR"},
	    {"allow shutdown if fd == 5 because \"only the channel\"", "SHUT_RD or SHUT_RDWR"},
	    {"allow shutdown if how == SHUT_WR", NULL},
	    {"allow shutdown if how in {SHUT_WR}", NULL},
	    {"allow shutdown if how > SHUT_RDWR", NULL}, /* EINVAL in the kernel */
	    /* connect, whatever its conditions or reason */
	    {"allow connect because \"a backend\"", "allow connect: it connects any socket"},
	    {"allow connect if fd == 7 because \"a backend\"", "allow connect: it connects"},
	    {"log connect because \"watching\"", "log connect: it connects"},
	    {"errno EACCES connect because \"never\"", NULL},
	    /* setsockopt */
	    {"allow setsockopt", "setsockopt: it lets TCP_FASTOPEN_CONNECT through"},
	    {"allow setsockopt if level == IPPROTO_TCP", "TCP_FASTOPEN_CONNECT"},
	    {"allow setsockopt if optname == TCP_FASTOPEN_CONNECT", "TCP_FASTOPEN_CONNECT"},
	    {"allow setsockopt if level in {SOL_SOCKET, IPPROTO_TCP} and optname >= 26",
	     "TCP_FASTOPEN_CONNECT"},
	    {"allow setsockopt if level == IPPROTO_TCP and optname in {TCP_NODELAY, "
	     "TCP_NOTSENT_LOWAT}",
	     NULL},
	    {"allow setsockopt if level == IPPROTO_TCP and optname != TCP_FASTOPEN_CONNECT", NULL},
	    {"allow setsockopt if level == SOL_SOCKET", NULL},
	};
	(void)s;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[512];
		int n;
		snprintf(text, sizeof(text), "version 1\n%s\n", cases[i].rule);
		n = findings(text);
		if (!cases[i].want && n != 0)
			fail_msg("%s: %d findings, the first: %s", cases[i].rule, n, msgs[0]);
		if (cases[i].want &&
		    (n != 1 || !strstr(msgs[0], cases[i].want) || !strstr(msgs[0], "t.policy:2:")))
			fail_msg("%s: want one finding with \"%s\", got %d: %s", cases[i].rule,
			         cases[i].want, n, n ? msgs[0] : "(none)");
	}
	/* from a group, the finding names it */
	assert_int_equal(findings("version 1\ngroup @net\nallow shutdown\nend\nallow @net\n"), 1);
	assert_non_null(strstr(msgs[0], "(from @net)"));
}

static void check_finds_unknown_syscalls(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\nallow frobnicate\n"), 1);
	assert_string_equal(msgs[0],
	                    "t.policy:2:7: unknown syscall \"frobnicate\" on this architecture");
}

static void check_finds_shadowed_and_duplicate_rules(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\nallow read\nallow read if fd == 1\n"), 1);
	assert_non_null(strstr(msgs[0], "t.policy:3:7: read is shadowed: the rule at t.policy:2"));
	assert_int_equal(findings("version 1\nallow read if fd == 1\nallow read if fd == 1\n"), 1);
	assert_non_null(strstr(msgs[0], "duplicates the rule at t.policy:2"));
}

static void check_refuses_what_libseccomp_cannot_order(void **s)
{
	(void)s;
	assert_int_equal(findings("version 1\nallow fcntl if fd == 1\n"
	                          "errno EPERM fcntl if cmd == 8 because \"x\"\n"),
	                 1);
	assert_non_null(strstr(msgs[0], "may both match one call"));
	assert_int_equal(findings("version 1\nerrno EPERM fcntl if cmd == 8 because \"x\"\n"
	                          "allow fcntl\n"),
	                 1);
	assert_non_null(strstr(msgs[0], "libseccomp would drop that one"));
	/* pinned to different values: fine */
	assert_int_equal(findings("version 1\nerrno EPERM fcntl if cmd == 8 because \"x\"\n"
	                          "allow fcntl if cmd in {1, 2}\n"),
	                 0);
}

/* Exec mode's start rules are added after the worker's policy: a rule of
 * the worker's for every call of a start syscall, with the start's own
 * action (a learned "allow newfstatat"), only allows more, and is no
 * finding; with another action the start cannot work as written, and it
 * still is one.  (Before, both were "shadowed", and an exec-mode worker
 * could not start under the proposal of its own learn mode.) */
static void a_start_rule_the_workers_policy_already_allows_is_no_finding(void **s)
{
	(void)s;
	int n = findings("version 1\ninclude <exec.policy>\n"
	                 "allow newfstatat\nallow readlink\nallow @exec_start\n");
	if (n)
		print_message("%s\n", msgs[0]);
	assert_int_equal(n, 0);
	assert_int_equal(findings("version 1\ninclude <exec.policy>\n"
	                          "errno EPERM newfstatat because \"x\"\nallow @exec_start\n"),
	                 1);
	assert_non_null(strstr(msgs[0], "newfstatat is shadowed"));
	/* outside exec mode's start, a redundant rule is still one */
	assert_int_equal(findings("version 1\nallow newfstatat\nallow newfstatat if flags == 0\n"),
	                 1);
	assert_non_null(strstr(msgs[0], "newfstatat is shadowed"));
}

/* The instructions a seccomp program runs for one call (the filter's cost
 * for it) and its result: libseccomp's instructions only (anything else
 * fails the test). */
static uint32_t run_counting(const struct filter_prog *prog, const struct seccomp_data *d,
                             unsigned *steps)
{
	uint32_t a = 0, mem[16] = {0};
	*steps = 0;
	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *in = &prog->insns[pc];
		++*steps;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			memcpy(&a, (const uint8_t *)d + in->k, 4);
			break;
		case BPF_LD | BPF_MEM:
			a = mem[in->k & 15];
			break;
		case BPF_ST:
			mem[in->k & 15] = a;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= in->k;
			break;
		case BPF_RET | BPF_K:
			return in->k;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > in->k ? in->jt : in->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & in->k) ? in->jt : in->jf;
			break;
		default:
			fail_msg("instruction 0x%x at %u", in->code, pc);
		}
	}
	fail_msg("ran off the end");
	return 0;
}

/* Notify mode (every worker's) changes only what a kill returns: each
 * call the policy allows takes as many instructions as in the killing
 * program, the kernel's action cache allows the same syscalls, and a
 * kill of the policy's is SECCOMP_RET_USER_NOTIF, and so is the
 * architecture check's (i386, x32).  So the cost of an allowed call is the
 * same. */
static void a_notifying_filter_costs_an_allowed_call_what_the_killing_one_did(void **s)
{
	static const uint64_t argsets[][6] = {
	    {0, 0, 0, 0, 0, 0},
	    {3, 0, MSG_NOSIGNAL, 0, 0, 0},
	    {0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, ~0ull, 0},
	    {~0ull, ~0ull, ~0ull, ~0ull, ~0ull, ~0ull},
	};
	unsigned total = 0;
	(void)s;
	for (int i = 0; policy_shipped_names[i]; i++) {
		char name[64];
		struct filter_prog kill, notify;
		unsigned allowed = 0, notified = 0;
		snprintf(name, sizeof(name), "<%s>", policy_shipped_names[i]);
		struct policy *p =
		    policy_load(name, policy_shipped(policy_shipped_names[i]), collect, NULL);
		assert_non_null(p);
		assert_int_equal(policy_compile(p, &kill, POL_MODE_ENFORCE, collect, NULL), 0);
		assert_int_equal(policy_compile(p, &notify, POL_MODE_NOTIFY, collect, NULL), 0);
		for (int nr = 0; nr < 512; nr++) {
			assert_int_equal(filter_cache_allows(&kill, seccomp_arch_native(), nr),
			                 filter_cache_allows(&notify, seccomp_arch_native(), nr));
			for (size_t k = 0; k < sizeof(argsets) / sizeof(argsets[0]); k++) {
				struct seccomp_data d = {.nr = nr, .arch = seccomp_arch_native()};
				unsigned sk, sn;
				memcpy(d.args, argsets[k], sizeof(d.args));
				uint32_t rk = run_counting(&kill, &d, &sk);
				uint32_t rn = run_counting(&notify, &d, &sn);
				if (rk == SECCOMP_RET_KILL_PROCESS) {
					assert_int_equal(rn, SECCOMP_RET_USER_NOTIF);
					notified++;
					continue;
				}
				assert_int_equal(rk, rn);
				if (rk == SECCOMP_RET_ALLOW) {
					if (sk != sn)
						fail_msg(
						    "%s: syscall %d allowed in %u instructions, "
						    "%u when notifying",
						    name, nr, sk, sn);
					allowed++;
				}
			}
		}
		{
			/* another architecture, an x32 number: killed by the
			 * enforcing program, notified by the notifying one (the
			 * helper names and kills) */
			struct seccomp_data d = {.nr = 20, .arch = AUDIT_ARCH_I386};
			struct seccomp_data x32 = {.nr = 0x40000000 | 20,
			                           .arch = seccomp_arch_native()};
			unsigned st;
			assert_int_equal(run_counting(&kill, &d, &st), SECCOMP_RET_KILL_PROCESS);
			assert_int_equal(run_counting(&notify, &d, &st), SECCOMP_RET_USER_NOTIF);
			assert_int_equal(run_counting(&kill, &x32, &st), SECCOMP_RET_KILL_PROCESS);
			assert_int_equal(run_counting(&notify, &x32, &st), SECCOMP_RET_USER_NOTIF);
		}
		/* groups.policy and the like define groups and allow nothing */
		total += allowed;
		assert_true(notified > 0);
		filter_prog_free(&kill);
		filter_prog_free(&notify);
		policy_free(p);
	}
	printf("%u allowed calls, each as many instructions with or without notify\n", total);
	assert_true(total > 500);
}

static void shipped_policies_pass_check_and_verify(void **s)
{
	(void)s;
	for (int i = 0; policy_shipped_names[i]; i++) {
		char name[64];
		struct filter_prog prog;
		unsigned long calls;
		snprintf(name, sizeof(name), "<%s>", policy_shipped_names[i]);
		nmsgs = 0;
		struct policy *p =
		    policy_load(name, policy_shipped(policy_shipped_names[i]), collect, NULL);
		assert_non_null(p);
		assert_int_equal(policy_check(p, collect, NULL), 0);
		for (int debug = POL_MODE_ENFORCE; debug <= POL_MODE_NOTIFY; debug++) {
			assert_int_equal(policy_compile(p, &prog, debug, collect, NULL), 0);
			assert_int_equal(policy_verify(p, &prog, debug, collect, NULL, &calls), 0);
			assert_true(calls > 1000);
			filter_prog_free(&prog);
		}
		policy_free(p);
	}
}

/* The kernel's action cache decides every syscall a shipped policy allows
 * without conditions (the hot ones: read, write, recvmsg, ...):
 * such a call never runs the filter.  And it never allows one the policy
 * restricts, a foreign architecture or an x32 number. */
static void unconditional_allows_are_decided_by_the_kernel_cache(void **s)
{
	(void)s;
	for (int i = 0; policy_shipped_names[i]; i++) {
		char name[64];
		struct filter_prog prog;
		int cached = 0;
		snprintf(name, sizeof(name), "<%s>", policy_shipped_names[i]);
		struct policy *p =
		    policy_load(name, policy_shipped(policy_shipped_names[i]), collect, NULL);
		assert_non_null(p);
		if (p->nrules == 0) { /* groups, glibc: only groups, for others to use */
			policy_free(p);
			continue;
		}
		assert_int_equal(policy_compile(p, &prog, 0, collect, NULL), 0);
		for (int nr = 0; nr <= POL_UNKNOWN_MAX; nr++) {
			int plain = 0, cond = 0;
			const struct pol_rule *m;
			const uint64_t zero[6] = {0};
			for (size_t r = 0; r < p->nrules; r++)
				if (p->rules[r].nr == nr) {
					plain =
					    p->rules[r].ncond == 0 && p->rules[r].act == FA_ALLOW;
					cond |= p->rules[r].ncond > 0;
				}
			if (plain) {
				assert_true(filter_cache_allows(&prog, seccomp_arch_native(), nr));
				cached++;
			} else if (cond || policy_eval(p, 0, seccomp_arch_native(), nr, zero, &m) !=
			                       SCMP_ACT_ALLOW) {
				/* (what the sanitizer build allows besides is not checked) */
				assert_false(filter_cache_allows(&prog, seccomp_arch_native(), nr));
			}
			assert_false(filter_cache_allows(&prog, SCMP_ARCH_X86, nr));
			assert_false(
			    filter_cache_allows(&prog, seccomp_arch_native(), nr | 0x40000000));
		}
		assert_true(cached > 20);
		filter_prog_free(&prog);
		policy_free(p);
	}
	/* a rule with a condition is decided per call */
	struct policy *p = parse("version 1\nallow exit_group\nallow getppid if arg0 == 1\n");
	assert_non_null(p);
	struct filter_prog prog;
	assert_int_equal(policy_compile(p, &prog, 0, collect, NULL), 0);
	assert_true(filter_cache_allows(&prog, seccomp_arch_native(), __NR_exit_group));
	assert_false(filter_cache_allows(&prog, seccomp_arch_native(), __NR_getppid));
	filter_prog_free(&prog);
	policy_free(p);
}

/* ---- compile and verify ---- */

static void compile_is_deterministic(void **s)
{
	(void)s;
	struct policy *p = parse(policy_shipped("default.policy"));
	struct filter_prog a, b;
	assert_int_equal(policy_compile(p, &a, 0, collect, NULL), 0);
	assert_int_equal(policy_compile(p, &b, 0, collect, NULL), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.insns, b.insns, a.len * sizeof(a.insns[0]));
	filter_prog_free(&a);
	filter_prog_free(&b);
	policy_free(p);
}

static void verify_catches_a_wrong_filter(void **s)
{
	(void)s;
	struct policy *right =
	    parse("version 1\nallow exit_group\nerrno EPERM getpid because \"x\"\n");
	struct policy *wrong = parse("version 1\nallow exit_group\nallow getpid\n");
	struct filter_prog prog;
	unsigned long calls;
	/* the program of one policy against the meaning of another */
	assert_int_equal(policy_compile(wrong, &prog, 0, collect, NULL), 0);
	nmsgs = 0;
	assert_true(policy_verify(right, &prog, 0, collect, NULL, &calls) > 0);
	assert_non_null(strstr(msgs[0], "verify: getpid("));
	assert_non_null(strstr(msgs[0], "the policy says errno 1"));
	assert_non_null(strstr(msgs[0], "the compiled filter does allow"));
	filter_prog_free(&prog);
	/* and a program corrupted after compiling: every RET ALLOW now kills */
	assert_int_equal(policy_compile(right, &prog, 0, collect, NULL), 0);
	for (unsigned i = 0; i < prog.len; i++)
		if (prog.insns[i].code == (BPF_RET | BPF_K) && prog.insns[i].k == 0x7fff0000u)
			prog.insns[i].k = 0x80000000u;
	nmsgs = 0;
	assert_true(policy_verify(right, &prog, 0, collect, NULL, &calls) > 0);
	{
		int seen = 0;
		for (int i = 0; i < nmsgs; i++)
			seen |= strstr(msgs[i], "exit_group(") != NULL;
		assert_true(seen);
	}
	filter_prog_free(&prog);
	policy_free(right);
	policy_free(wrong);
}

/* In a child: load the compiled policy, run body, exit with its result. */
static int in_child(const char *text, int (*body)(void))
{
	struct policy *p = parse(text);
	struct filter_prog prog;
	unsigned long calls;
	int st;
	pid_t pid;
	assert_non_null(p);
	assert_int_equal(policy_check(p, collect, NULL), 0);
	assert_int_equal(policy_compile(p, &prog, 0, collect, NULL), 0);
	assert_int_equal(policy_verify(p, &prog, 0, collect, NULL, &calls), 0);
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || filter_load(&prog) < 0)
			_exit(100);
		/* straight to the kernel: a sanitizer's _exit makes calls of its own */
		syscall(SYS_exit_group, body());
	}
	filter_prog_free(&prog);
	policy_free(p);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		return 1000 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

static const char *fcntl_policy = "version 1\n"
                                  "allow exit_group\n"
                                  "errno EPERM fcntl if cmd == F_SETOWN because \"no owners\"\n"
                                  "allow fcntl if cmd in {F_GETFD, F_GETFL}\n"
                                  "errno EACCES dup if fd >= 10 because \"only low fds\"\n"
                                  "allow dup if fd < 10\n"
                                  "allow newfstatat if dirfd == AT_FDCWD\n";

static int body_allowed_and_denied(void)
{
	if (syscall(SYS_fcntl, 0, F_GETFD) < 0)
		return 1;
	if (syscall(SYS_fcntl, 0, F_SETOWN, 0) != -1 || errno != EPERM)
		return 2;
	syscall(SYS_fcntl, 0, F_SETFD, 0); /* in neither rule: the default kills */
	return 3;
}

static void compiled_filter_allows_denies_and_kills(void **s)
{
	(void)s;
	assert_int_equal(in_child(fcntl_policy, body_allowed_and_denied), 1000 + SIGSYS);
}

static int body_high_bits(void)
{
	/* F_SETOWN with junk above: the kernel reads F_SETOWN, so must the
	 * deny rule */
	if (syscall(SYS_fcntl, 0, 0xbad00000000ull | F_SETOWN, 0) != -1 || errno != EPERM)
		return 1;
	/* and the allow rule reads F_GETFD under the junk */
	if (syscall(SYS_fcntl, 0, 0xbad00000000ull | F_GETFD) < 0)
		return 2;
	return 0;
}

static void high_bits_cannot_pass_a_deny_rule(void **s)
{
	(void)s;
	assert_int_equal(in_child(fcntl_policy, body_high_bits), 0);
}

static int body_boundaries(void)
{
	/* fds 9 and below may be duplicated (EBADF: not open), 10 and up are
	 * refused; the upper half never counts */
	if (syscall(SYS_dup, 9) != -1 || errno != EBADF)
		return 1;
	if (syscall(SYS_dup, 10) != -1 || errno != EACCES)
		return 2;
	if (syscall(SYS_dup, 0x100000009ull) != -1 || errno != EBADF)
		return 3;
	if (syscall(SYS_dup, 0x10000000aull) != -1 || errno != EACCES)
		return 4;
	if (syscall(SYS_dup, 0xffffffffull) != -1 || errno != EACCES)
		return 5;
	return 0;
}

static void ordering_rules_hold_at_their_boundaries(void **s)
{
	(void)s;
	assert_int_equal(in_child(fcntl_policy, body_boundaries), 0);
}

static int body_at_fdcwd(void)
{
	struct stat st;
	/* glibc's fstatat passes AT_FDCWD zero-extended */
	if (fstatat(AT_FDCWD, "/", &st, 0) != 0)
		return 1;
	if (syscall(SYS_newfstatat, (uint64_t)(uint32_t)AT_FDCWD, "/", &st, 0) != 0)
		return 2;
	if (syscall(SYS_newfstatat, (uint64_t)(int64_t)AT_FDCWD, "/", &st, 0) != 0)
		return 3;
	return 0;
}

static void at_fdcwd_from_glibc_matches(void **s)
{
	(void)s;
	assert_int_equal(in_child(fcntl_policy, body_at_fdcwd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(version_line_comes_first),
	    cmocka_unit_test(comments_and_blank_lines_are_ignored),
	    cmocka_unit_test(rule_actions_allow_errno_kill_trap_log),
	    cmocka_unit_test(default_is_kill_unless_said),
	    cmocka_unit_test(unknown_numbers_get_their_own_action),
	    cmocka_unit_test(conditions_on_named_arguments),
	    cmocka_unit_test(every_operator),
	    cmocka_unit_test(int_arguments_compare_their_low_32_bits),
	    cmocka_unit_test(constants_negative_numbers_and_bit_unions),
	    cmocka_unit_test(first_matching_rule_decides),
	    cmocka_unit_test(groups_are_defined_then_used),
	    cmocka_unit_test(include_shipped_policies_with_angle_brackets),
	    cmocka_unit_test(include_is_relative_to_the_including_file),
	    cmocka_unit_test(include_cycles_and_depth_are_refused),
	    cmocka_unit_test(a_file_included_twice_is_read_once),
	    cmocka_unit_test(worker_directives),
	    cmocka_unit_test(file_rules_say_directory_and_fs),
	    cmocka_unit_test(an_append_only_grant_narrows_f_setfl_and_check_finds_what_rewrites),
	    cmocka_unit_test(bad_inputs_name_file_line_and_column),
	    cmocka_unit_test(check_finds_a_permissive_default),
	    cmocka_unit_test(check_wants_a_reason_for_every_non_allow),
	    cmocka_unit_test(check_wants_a_reason_for_dangerous_allows),
	    cmocka_unit_test(check_finds_rules_that_let_a_worker_connect_a_socket_it_holds),
	    cmocka_unit_test(check_finds_unknown_syscalls),
	    cmocka_unit_test(check_finds_shadowed_and_duplicate_rules),
	    cmocka_unit_test(check_refuses_what_libseccomp_cannot_order),
	    cmocka_unit_test(a_start_rule_the_workers_policy_already_allows_is_no_finding),
	    cmocka_unit_test(shipped_policies_pass_check_and_verify),
	    cmocka_unit_test(a_notifying_filter_costs_an_allowed_call_what_the_killing_one_did),
	    cmocka_unit_test(unconditional_allows_are_decided_by_the_kernel_cache),
	    cmocka_unit_test(compile_is_deterministic),
	    cmocka_unit_test(verify_catches_a_wrong_filter),
	    cmocka_unit_test(compiled_filter_allows_denies_and_kills),
	    cmocka_unit_test(high_bits_cannot_pass_a_deny_rule),
	    cmocka_unit_test(ordering_rules_hold_at_their_boundaries),
	    cmocka_unit_test(at_fdcwd_from_glibc_matches),
	};
	return cmocka_run_group_tests_name("policy", tests, mk_tmp, rm_tmp);
}
