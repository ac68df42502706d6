/* SPDX-License-Identifier: ISC */
/*
 * Workers from a fresh image (exec mode): nothing of the helper's memory,
 * layout, environment or fds, and one exec only.
 *
 * A forked worker holds the helper's heap, stack, environment, canary and
 * every library address (and every sibling's): one leak in any worker
 * defeats ASLR and the canary of the privileged helper.  Each test here
 * asks the worker itself (exec_probe.c) what it holds.  With
 * PRIVSEP_TEST_FORK_MODE=1 in the environment the same tests spawn the
 * same probe in fork mode, and fail: that is how they were shown to test
 * something (the report of issue 14 says which).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "policy.h"

static char reports[4][PROBE_REPORT_MAX + 1];
static atomic_int nreports;

/* A worker whose mount table the next report reads (0: none), while the
 * worker waits for that report's reply: its /proc/PID/mountinfo, from
 * the kernel's side. */
static pid_t mountinfo_of;
static char mountinfo[32768];

static int on_report(struct privsep_req *req, void *arg)
{
	int i = atomic_load(&nreports);
	(void)arg;
	if (mountinfo_of > 0) {
		char path[64];
		ssize_t n = -1;
		snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)mountinfo_of);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			n = read(fd, mountinfo, sizeof(mountinfo) - 1);
			close(fd);
		}
		mountinfo[n > 0 ? n : 0] = '\0';
		mountinfo_of = 0;
	}
	if (i < 4) {
		memcpy(reports[i], req->data, req->len);
		reports[i][req->len] = '\0';
	}
	atomic_store(&nreports, i + 1);
	return 0;
}

static const struct privsep_handler table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

/* Every line the helper logged, when a test is about to fail. */
static void dump(const struct hx *x)
{
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

#define EXPECT_REPORTS(x, n)                                                                       \
	do {                                                                                       \
		if (atomic_load(&nreports) != (n))                                                 \
			dump(x);                                                                   \
		assert_int_equal(atomic_load(&nreports), (n));                                     \
	} while (0)

static int fork_mode(void)
{
	const char *v = getenv("PRIVSEP_TEST_FORK_MODE");
	return v && !strcmp(v, "1");
}

/* Spawn the probe (args: mode, parameter) in exec mode with env (NULL:
 * none), or in fork mode when asked. */
static struct privsep_worker *spawn_probe(struct hx *x, int prog, const char *const *args,
                                          const char *const *env, int unsandboxed)
{
	static const char *argv[8];
	struct privsep_exec ex = {.fd = prog, .argv = argv, .envp = env};
	struct privsep_spawn sp = {.name = "probe", .unsandboxed = unsandboxed};
	argv[0] = "exec_worker";
	argv[1] = PRIVSEP_EXEC_MARKER;
	argv[2] = args[0];
	argv[3] = args[1];
	argv[4] = NULL;
	if (fork_mode()) {
		sp.main = probe_main;
		sp.arg = (void *)args;
	} else {
		sp.exec = &ex;
	}
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	if (!w) /* the helper said why */
		for (int i = 0; i < x->nlog; i++)
			fprintf(stderr, "log: %s\n", x->log[i]);
	return w;
}

static struct hx *setup_hx(void)
{
	struct hx *x = hx_new(table, 1, 0);
	assert_non_null(x);
	atomic_store(&nreports, 0);
	return x;
}

static int open_prog(void)
{
	int fd = privsep_exec_open(EXEC_WORKER);
	assert_true(fd >= 0);
	return fd;
}

/* The value of "key=" in report r, or "". */
static const char *value(const char *r, const char *key, char *buf, size_t len)
{
	char k[32];
	const char *p;
	size_t n;
	snprintf(k, sizeof(k), "%s=", key);
	p = strstr(r, k);
	buf[0] = '\0';
	if (!p)
		return buf;
	p += strlen(k);
	n = strcspn(p, "\n");
	snprintf(buf, len, "%.*s", (int)n, p);
	return buf;
}

static void canary_and_libc_differ_from_the_helper_and_between_exec_workers(void **state)
{
	static const char *const args[] = {"report", "-", NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	char own_canary[64], own_libc[64], a[64], b[64];
	uintptr_t canary = 0;
	(void)state;
#if defined(__x86_64__)
	__asm__ volatile("mov %%fs:0x28, %0" : "=r"(canary));
#else
	skip(); /* the probe reads the canary where x86-64's glibc keeps it */
#endif
	snprintf(own_canary, sizeof(own_canary), "%#lx", (unsigned long)canary);
	snprintf(own_libc, sizeof(own_libc), "%p", (void *)(uintptr_t)&getpid);
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 2, 20000));
	EXPECT_REPORTS(x, 2);
	for (int i = 0; i < 2; i++) {
		assert_string_not_equal(value(reports[i], "canary", a, sizeof(a)), own_canary);
		assert_string_not_equal(value(reports[i], "libc", a, sizeof(a)), own_libc);
	}
	assert_string_not_equal(value(reports[0], "canary", a, sizeof(a)),
	                        value(reports[1], "canary", b, sizeof(b)));
	assert_string_not_equal(value(reports[0], "libc", a, sizeof(a)),
	                        value(reports[1], "libc", b, sizeof(b)));
	close(prog);
	hx_free(x);
}

/* Copies of the marker all over a deep stack frame, which stay in the
 * stack's pages once this returns (later calls reach less deep). */
static __attribute__((noinline)) void stack_marker(const char *m)
{
	volatile char buf[1 << 16];
	size_t n = strlen(m);
	for (size_t i = 0; i + n < sizeof(buf); i += n + 1)
		for (size_t j = 0; j < n; j++)
			buf[i + j] = m[j];
	__asm__ volatile("" ::"r"(buf) : "memory");
}

static void a_marker_in_the_helpers_freed_heap_and_stack_is_not_in_an_exec_worker(void **state)
{
	unsigned char rnd[12];
	char marker[64], enc[130], got[16];
	const char *args[] = {"report", enc, NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	char *heap = malloc(1 << 16);
	size_t n;
	(void)state;
	assert_non_null(heap);
	assert_int_equal(getrandom(rnd, sizeof(rnd), 0), (ssize_t)sizeof(rnd));
	snprintf(marker, sizeof(marker), "PSMARK");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(marker + strlen(marker), 3, "%02x", rnd[i]);
	for (size_t i = 0; marker[i]; i++)
		snprintf(enc + 2 * i, 3, "%02x", (unsigned)(unsigned char)(marker[i] ^ 0x55));
	/* the helper's secrets: in a freed heap buffer and dead stack frames */
	n = strlen(marker);
	for (size_t i = 0; i + n < (1 << 16); i += n + 1)
		memcpy(heap + i, marker, n);
	free(heap);
	stack_marker(marker);
	memset(marker, 0, sizeof(marker));
	/* unsandboxed, so that the worker can read its own /proc/self/mem:
	 * what it holds comes from how it started, not from its sandbox */
	assert_non_null(spawn_probe(x, prog, args, NULL, 1));
	/* the marker is still in the helper after the spawn, so it was there
	 * when the worker started: the test can fail */
	assert_string_equal(probe_marker_scan(enc), "yes");
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	assert_string_equal(value(reports[0], "marker", got, sizeof(got)), "no");
	close(prog);
	hx_free(x);
}

static void an_exec_worker_has_exactly_the_environment_passed(void **state)
{
	static const char *const args[] = {"report", "-", NULL};
	static const char *const env[] = {"LANG=C", "PRIVSEP_PROBE=given", NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	(void)state;
	/* the helper's own environment holds more */
	assert_int_equal(setenv("PRIVSEP_HELPER_SECRET", "not for workers", 1), 0);
	assert_non_null(spawn_probe(x, prog, args, env, 0));
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 2, 20000));
	EXPECT_REPORTS(x, 2);
	for (int i = 0; i < 2; i++) {
		const char *r = reports[i];
		const char *e = strstr(r, "env=");
		if (e && strstr(r, "PRIVSEP_PROBE"))
			assert_string_equal(e, "env=LANG=C\nenv=PRIVSEP_PROBE=given\n");
		else
			assert_null(e); /* no environment given: an empty one */
	}
	assert_true(strstr(reports[0], "PRIVSEP_PROBE") || strstr(reports[1], "PRIVSEP_PROBE"));
	unsetenv("PRIVSEP_HELPER_SECRET");
	close(prog);
	hx_free(x);
}

static void an_exec_worker_holds_only_its_channel_on_3_and_its_standard_fds(void **state)
{
	static const char *const args[] = {"report", "-", NULL};
	struct hx *x = setup_hx();
	int prog = open_prog(), p[2], f = open("/", O_RDONLY | O_DIRECTORY);
	char fds[128];
	(void)state;
	/* fds of the helper's, some without close-on-exec */
	assert_int_equal(pipe(p), 0);
	assert_true(f >= 0);
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	assert_string_equal(value(reports[0], "fds", fds, sizeof(fds)), "0,1,2,3,");
	close(p[0]);
	close(p[1]);
	close(f);
	close(prog);
	hx_free(x);
}

/* How many of this process's fds are the directory dir. */
static int fds_on(const char *dir)
{
	struct stat want, st;
	int n = 0;
	assert_int_equal(stat(dir, &want), 0);
	for (int fd = 0; fd < 4096; fd++)
		if (fstat(fd, &st) == 0 && st.st_dev == want.st_dev && st.st_ino == want.st_ino)
			n++;
	return n;
}

/* The helper opens a policy's broker roots once, for the worker's policy
 * (whose roots the broker serves): exec mode's first filter is compiled
 * from a second policy entry (the policy, exec.policy's start and the one
 * execveat), which needs no roots, and whose roots were opened and looked
 * at again (a statx pair or an openat2 per root) on every spawn, for
 * nothing.  On main's code the helper holds the directory twice. */
static void an_exec_workers_policy_has_its_broker_roots_opened_once(void **state)
{
	static const char *const args[] = {"report", "-", NULL};
	char dir[] = "/tmp/privsep-roots-XXXXXX", text[256];
	struct hx *x = setup_hx();
	int prog = open_prog();
	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(text, sizeof(text),
	         "version 1\ninclude <default.policy>\nbeneath \"%s\" allow read\n", dir);
	struct privsep_sandbox sb = {.policy = "roots-test.policy", .policy_text = text};
	struct privsep_exec ex = {.fd = prog};
	const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, args[0], args[1], NULL};
	struct privsep_spawn sp = {.name = "roots", .sandbox = &sb, .exec = &ex};
	ex.argv = argv;
	for (int round = 0; round < 2; round++) {
		if (!privsep_spawn(x->h, &sp))
			dump(x);
		assert_true(hx_pump_gone(x, round + 1, 20000));
		assert_int_equal(fds_on(dir), 1);
	}
	EXPECT_REPORTS(x, 2);
	close(prog);
	hx_free(x);
	assert_int_equal(rmdir(dir), 0);
}

/* A call refused after start either killed the worker and was named by
 * the helper (the policy denies it: the first filter's notification),
 * or failed with ENOSYS and came back (only the start needed it: the
 * second filter, which has no listener, refuses without a kill); never
 * an unnamed kill, never a call that ran.  what: the report's prefix. */
static void expect_named_or_refused(struct hx *x, int n, const char *syscall, const char *what)
{
	char want[64];
	if (x->last_exit.kind == PRIVSEP_EXIT_SECCOMP) {
		if (strcmp(x->last_exit.syscall_name, syscall) != 0 || !x->last_exit.have_args) {
			dump(x);
			fail_msg("killed but not named %s with its arguments: %s", syscall,
			         x->last_exit.line);
		}
		printf("%s: killed and named: %s\n", syscall, x->last_exit.line);
		return;
	}
	EXPECT_REPORTS(x, n);
	snprintf(want, sizeof(want), "%s=%d\n", what, ENOSYS);
	if (strcmp(reports[n - 1], want) != 0)
		fail_msg("%s: neither named nor refused with ENOSYS: %s (%s)", syscall,
		         reports[n - 1], x->last_exit.line);
	printf("%s: refused, ENOSYS, the worker went on: %s\n", syscall, x->last_exit.line);
}

static void after_start_an_exec_worker_can_exec_nothing_not_even_itself(void **state)
{
	static const char *const exec_args[] = {"exec", EXEC_WORKER, NULL};
	static const char *const at_args[] = {"execveat", EXEC_WORKER, NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	(void)state;
	/* execve: no filter allows it; the helper names it and kills */
	assert_non_null(spawn_probe(x, prog, exec_args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	expect_named_or_refused(x, 1, "execve", "exec-returned");
	/* execveat through the fd number and flag the first filter allowed
	 * the start: refused by the second, never a second program */
	atomic_store(&nreports, 0);
	assert_non_null(spawn_probe(x, prog, at_args, NULL, 0));
	assert_true(hx_pump_gone(x, 2, 20000));
	expect_named_or_refused(x, 1, "execveat", "exec-returned");
	close(prog);
	hx_free(x);
}

/* libseccomp's probes of the kernel (seccomp with a flag and no
 * program, SECCOMP_GET_ACTION_AVAIL, SECCOMP_GET_NOTIF_SIZES) change
 * nothing, but nothing in a worker needs them: not the new image (its
 * second filter is compiled at build time), not a foreign program.  So
 * neither the worker's policy nor exec.policy's start allows them: each
 * is a violation the helper names with its arguments and kills, before
 * the new image narrows (its first filter alone: a constructor's, or a
 * foreign worker's for good) and after.  Before session 6 exec.policy
 * allowed all four: each returned (EINVAL, EFAULT, 0, 0). */
/* The line of exec.policy (the shipped text) that starts with rule. */
static int exec_policy_line(const char *rule)
{
	const char *t = policy_shipped("exec.policy");
	int line = 1;
	assert_non_null(t);
	for (const char *c = t; *c; c++) {
		if ((c == t || c[-1] == '\n') && !strncmp(c, rule, strlen(rule)))
			return line;
		line += *c == '\n';
	}
	fail_msg("exec.policy has no rule \"%s\"", rule);
	return -1;
}

static void an_exec_worker_cannot_probe_seccomp_before_or_after_its_narrowing(void **state)
{
	static const char *const shapes[] = {"strict-flag", "filter-null", "action-avail",
	                                     "notif-sizes"};
	static const uint64_t op[] = {0, 1, 2, 3};
	/* the condition of exec.policy's one seccomp rule that each fails:
	 * op 1 is the narrowing's, with a flag it does not pass */
	static const char *const failed[] = {"arg0 == 0x1, it is 0x0", "arg1 == 0x0, it is 0x2",
	                                     "arg0 == 0x1, it is 0x2", "arg0 == 0x1, it is 0x3"};
	static const char *const when[] = {"seccomp-early", "seccomp"};
	struct hx *x = setup_hx();
	int prog = open_prog(), n = 0;
	int line = exec_policy_line("allow seccomp if arg0 == 1 and arg1 == 0");
	char want[256];
	(void)state;
	for (size_t w = 0; w < 2; w++)
		for (size_t i = 0; i < 4; i++) {
			const char *args[] = {when[w], shapes[i], NULL};
			atomic_store(&nreports, 0);
			assert_non_null(spawn_probe(x, prog, args, NULL, 0));
			assert_true(hx_pump_gone(x, ++n, 20000));
			if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP ||
			    strcmp(x->last_exit.syscall_name, "seccomp") != 0 ||
			    !x->last_exit.have_args || x->last_exit.args[0] != op[i]) {
				dump(x);
				fail_msg("%s %s: not killed and named seccomp(%llu, ...): %s (%d "
				         "reports: %s)",
				         when[w], shapes[i], (unsigned long long)op[i],
				         x->last_exit.line, atomic_load(&nreports),
				         atomic_load(&nreports) ? reports[0] : "");
			}
			EXPECT_REPORTS(x, 0);
			/* explained by the rules of the filter that killed it
			 * (the policy and exec.policy's start, before and after
			 * the narrowing: the second filter kills nothing), not
			 * "the syscall is not in it" of the policy alone */
			snprintf(want, sizeof(want),
			         "(no rule for this syscall matched its arguments: "
			         "<exec.policy>:%d (allow seccomp) wants %s)",
			         line, failed[i]);
			if (!strstr(x->last_exit.line, want))
				fail_msg("%s %s: the line does not name the rule that refused it "
				         "(\"%s\"): %s",
				         when[w], shapes[i], want, x->last_exit.line);
			printf("%s %s: killed and named: %s\n", when[w], shapes[i],
			       x->last_exit.line);
		}
	close(prog);
	hx_free(x);
}

/* The narrowing loads the second filter with the first filter's one
 * seccomp rule (SECCOMP_SET_MODE_FILTER, no flag).  A worker that could
 * load a third the same way after start would decide what its policy's
 * kills become: the kernel runs the action that ranks first, ERRNO and
 * TRAP rank above the first filter's USER_NOTIF, so a filter of its own
 * returning EPERM for a denied call makes that call fail quietly, never
 * named, never killed (on main: own-filter=0/0, sendfile-returned=-1/1,
 * the worker exits 4 and the helper hears of nothing).  After start the
 * second filter refuses seccomp (ENOSYS), so the denied call that
 * follows is named and kills as any other. */
static void after_start_an_exec_worker_cannot_load_a_filter_that_hides_a_denied_call(void **state)
{
	static const char *const args[] = {"own-filter", "-", NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	char want[64];
	(void)state;
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP ||
	    strcmp(x->last_exit.syscall_name, "sendfile") != 0 || !x->last_exit.have_args) {
		dump(x);
		fail_msg("the denied sendfile was not named and killed: %s (%d reports: %s%s)",
		         x->last_exit.line, atomic_load(&nreports),
		         atomic_load(&nreports) > 0 ? reports[0] : "",
		         atomic_load(&nreports) > 1 ? reports[1] : "");
	}
	EXPECT_REPORTS(x, 1);
	snprintf(want, sizeof(want), "own-filter=-1/%d\n", ENOSYS);
	assert_string_equal(reports[0], want);
	printf("own filter: %s", reports[0]);
	printf("sendfile: killed and named: %s\n", x->last_exit.line);
	close(prog);
	hx_free(x);
}

/* A foreign worker (PRIVSEP_EXEC_FOREIGN: foreign_worker.c, not built
 * on libprivsep) never narrows: it runs under the first filter for good.
 * That filter had the narrowing's one seccomp form for every exec worker,
 * so a foreign one loaded a filter of its own returning EPERM for
 * sendfile, a call its policy denies (ERRNO ranks above the first
 * filter's notification): sendfile failed quietly, the worker exited 4
 * and the helper heard of nothing (on main: "exit status 4").  A foreign
 * worker's first filter has no seccomp form at all (nor the narrowing's
 * other calls): the seccomp call itself is the violation, named with its
 * arguments and killed, and nothing is hidden. */
static void a_foreign_worker_cannot_load_a_filter_that_hides_a_denied_call(void **state)
{
	static const char *const argv[] = {"foreign_worker", "own-filter", NULL};
	struct privsep_exec ex = {.fd = -1, .argv = argv, .flags = PRIVSEP_EXEC_FOREIGN};
	struct privsep_spawn sp = {.name = "foreign", .exec = &ex};
	struct hx *x;
	(void)state;
	if (fork_mode())
		skip(); /* a program, not a function of this one */
	x = setup_hx();
	ex.fd = privsep_exec_open(FOREIGN_WORKER);
	assert_true(ex.fd >= 0);
	if (!privsep_spawn(x->h, &sp))
		dump(x);
	assert_true(hx_pump_gone(x, 1, 20000));
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP ||
	    strcmp(x->last_exit.syscall_name, "seccomp") != 0 || !x->last_exit.have_args ||
	    x->last_exit.args[0] != 1 || x->last_exit.args[1] != 0) {
		dump(x);
		fail_msg("the foreign worker's own filter was not named and killed: %s "
		         "(exit 3: not loaded, 4: sendfile hidden by it)",
		         x->last_exit.line);
	}
	EXPECT_REPORTS(x, 0);
	printf("a foreign worker's own filter: killed and named: %s\n", x->last_exit.line);
	close(ex.fd);
	hx_free(x);
}

/* A libprivsep program's own code that runs before privsep_client_main
 * (a constructor) still has the narrowing's one seccomp form: it loads a
 * filter returning EPERM for sendfile, which the policy denies, and the
 * narrowing then loads the second filter too.  The helper's check at
 * READY counts the filters (Seccomp_filters, two more than its own
 * thread's): one more is a step not in force, and the worker is killed
 * before its application code, never reaching its sendfile.  (A
 * constructor's filter that also answers the narrowing's own seccomp
 * with 0 keeps the count: "Known limits".) */
static void a_filter_loaded_before_the_narrowing_is_caught_at_ready(void **state)
{
	static const char *const args[] = {"ctor-filter", "-", NULL};
	struct hx *x;
	int prog;
	(void)state;
	if (fork_mode())
		skip(); /* a constructor runs in a program only */
	x = setup_hx();
	prog = open_prog();
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	if (x->last_exit.kind != PRIVSEP_EXIT_SANDBOX ||
	    !strstr(x->last_exit.line, "Seccomp_filters")) {
		dump(x);
		fail_msg("a constructor's filter was not caught at READY: %s (%d reports: %s)",
		         x->last_exit.line, atomic_load(&nreports),
		         atomic_load(&nreports) ? reports[0] : "");
	}
	EXPECT_REPORTS(x, 0);
	printf("a constructor's filter: %s\n", x->last_exit.line);
	close(prog);
	hx_free(x);
}

/* The loader's readlink (of /proc/self/exe, for $ORIGIN) is in the first
 * filter for the start, and Landlock does not bound a readlink: exec
 * mode has no empty root, so after start it read any symlink of the host
 * by path, and told whether any path exists (on main: the link's text
 * came back).  The second filter takes it back, as it does the loader's
 * stat by path. */
static void after_start_an_exec_worker_can_read_no_link_by_path(void **state)
{
	char dir[] = "/tmp/privsep-link-XXXXXX", link[64], arg[80];
	const char *args[] = {"readlink-path", arg, NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("the-hosts-secret-target", link), 0);
	snprintf(arg, sizeof(arg), "%s", link);
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	if (x->last_exit.kind == PRIVSEP_EXIT_SECCOMP) {
		/* a policy that denies readlink names it: never the text */
		assert_string_equal(x->last_exit.syscall_name, "readlink");
	} else {
		EXPECT_REPORTS(x, 1);
		if (strstr(reports[0], "secret"))
			fail_msg("the worker read a host link by path: %s", reports[0]);
		snprintf(arg, sizeof(arg), "readlink-path=-1/%d \n", ENOSYS);
		assert_string_equal(reports[0], arg);
	}
	printf("readlink of a host link: %s", atomic_load(&nreports) ? reports[0] : "killed\n");
	assert_int_equal(unlink(link), 0);
	assert_int_equal(rmdir(dir), 0);
	close(prog);
	hx_free(x);
}

/* Exec mode has no empty root (the loader's files) and no pid namespace,
 * and a stat by path is bounded neither by Landlock nor by the filter
 * (glibc's fstat is newfstatat with AT_EMPTY_PATH, which takes a path
 * too): on main the worker stat'ed /proc/1 (0: the host's init, its
 * owner and start time), and so every process of the host.  A root
 * helper gives it a /proc of its own (hidepid=invisible, subset=pid):
 * its own entry (the loader's /proc/self/exe) and nothing of any other
 * process.  A helper that is not root makes no mount namespace (step 3):
 * there the limit stands, said in SECURITY.md. */
static void after_start_an_exec_worker_sees_no_other_process_in_proc(void **state)
{
	const char *other[] = {"stat-path", "/proc/1", NULL};
	const char *own[] = {"stat-path", "/proc/self/status", NULL};
	char want[64];
	struct hx *x;
	int prog;
	(void)state;
	if (geteuid() != 0) {
		skip(); /* no mount namespace without root: SECURITY.md, Known limits */
		return;
	}
	x = setup_hx();
	prog = open_prog();
	assert_non_null(spawn_probe(x, prog, other, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	printf("stat /proc/1: %s", reports[0]);
	snprintf(want, sizeof(want), "stat-path=-1/%d \n", ENOENT);
	assert_string_equal(reports[0], want);
	atomic_store(&nreports, 0);
	assert_non_null(spawn_probe(x, prog, own, NULL, 0));
	assert_true(hx_pump_gone(x, 2, 20000));
	EXPECT_REPORTS(x, 1);
	printf("stat /proc/self/status: %s", reports[0]);
	assert_string_equal(reports[0], "stat-path=0/0 \n");
	close(prog);
	hx_free(x);
}

/* Landlock does not bound a stat by path, nor can the filter read a
 * path (glibc's fstat is newfstatat with AT_EMPTY_PATH, which takes a
 * path too): with the host's root, an exec worker learned after start
 * whether any path exists and its owner, mode, size and times (on main:
 * stat of /etc/shadow and of a 0600 file the test made in /tmp both
 * returned 0, found by review 7).  A root helper gives the new image a
 * root of its own, holding only what its start needs (the loader's
 * directories and cache, libprivsep's directory, the interpreter, the
 * program, its read_beneath, read-only) and its own /proc: nothing else
 * of the host exists there.  A helper that is not root makes no mount
 * namespace (step 3): there the limit stands, said in SECURITY.md. */
static void
after_start_an_exec_worker_of_a_root_helper_can_stat_only_what_its_start_needs(void **state)
{
	char dir[] = "/tmp/privsep-stat-XXXXXX", file[64], want[64];
	const char *gone[] = {"/etc/shadow", "/etc/passwd", "/var/log", "/root", file};
	const char *there[] = {"/usr/lib", "/etc/ld.so.cache", "/lib64", "/proc/self/status"};
	struct hx *x;
	int prog, fd, n = 0;
	(void)state;
	if (geteuid() != 0 || fork_mode()) {
		/* no mount namespace without root (SECURITY.md, Known limits);
		 * fork mode's root is empty */
		printf("skipped: %s\n", fork_mode() ? "fork mode's root is empty"
		                                    : "a helper that is not root makes no "
		                                      "mount namespace: the host's root stays "
		                                      "(SECURITY.md, Known limits)");
		skip();
		return;
	}
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/secret", dir);
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	close(fd);
	x = setup_hx();
	prog = open_prog();
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++) {
		const char *args[] = {"stat-path", gone[i], NULL};
		atomic_store(&nreports, 0);
		assert_non_null(spawn_probe(x, prog, args, NULL, 0));
		assert_true(hx_pump_gone(x, ++n, 20000));
		EXPECT_REPORTS(x, 1);
		printf("stat %s: %s", gone[i], reports[0]);
		snprintf(want, sizeof(want), "stat-path=-1/%d \n", ENOENT);
		if (strcmp(reports[0], want) != 0)
			fail_msg("the worker stat'ed the host's %s: %s", gone[i], reports[0]);
	}
	/* what the start needs is there (the test would pass for a worker
	 * that cannot stat at all otherwise) */
	for (size_t i = 0; i < sizeof(there) / sizeof(there[0]); i++) {
		const char *args[] = {"stat-path", there[i], NULL};
		atomic_store(&nreports, 0);
		assert_non_null(spawn_probe(x, prog, args, NULL, 0));
		assert_true(hx_pump_gone(x, ++n, 20000));
		EXPECT_REPORTS(x, 1);
		printf("stat %s: %s", there[i], reports[0]);
		assert_string_equal(reports[0], "stat-path=0/0 \n");
	}
	close(prog);
	hx_free(x);
	assert_int_equal(unlink(file), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Whether the comma-separated options opts have the option o. */
static int has_option(const char *opts, const char *o)
{
	size_t n = strlen(o);
	for (const char *p = opts; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, o, n) && (p[n] == ',' || p[n] == '\0'))
			return 1;
	return 0;
}

/* A root helper's exec worker's root is binds of what its start needs:
 * each read-only, nosuid and nodev down its whole subtree, a mount
 * beneath a bound directory too (a tmpfs mounted read-write, suid and
 * dev inside its read_beneath; a remount of the bind's top alone left it
 * so: found by review 8).  Read from the kernel's side, the worker's
 * /proc/PID/mountinfo, while it waits for its report's reply. */
static void
every_mount_of_an_exec_workers_root_is_read_only_nosuid_and_nodev_beneath_a_bind_too(void **state)
{
	char dir[] = "/tmp/privsep-sub-XXXXXX", sub[64], lines[sizeof(mountinfo)];
	const char *rb[] = {dir};
	const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "stat-path", "/", NULL};
	int seen_sub = 0, mounts = 0;
	(void)state;
	if (geteuid() != 0 || fork_mode()) {
		printf("skipped: %s\n", fork_mode()
		                            ? "fork mode's root is empty"
		                            : "a helper that is not root makes no "
		                              "mount namespace (SECURITY.md, Known limits)");
		skip();
		return;
	}
	/* the tmpfs in a mount namespace of this test's: none is left on the
	 * host if it fails half-way */
	assert_int_equal(unshare(CLONE_NEWNS), 0);
	assert_int_equal(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(mount("privsep-test-sub", sub, "tmpfs", 0, "size=64k,mode=0755"), 0);
	struct hx *x = setup_hx();
	int prog = open_prog();
	struct privsep_exec ex = {.fd = prog, .argv = argv, .read_beneath = rb, .nread = 1};
	struct privsep_spawn sp = {.name = "mounts", .exec = &ex};
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	if (!w)
		dump(x);
	assert_non_null(w);
	mountinfo_of = privsep_worker_pid(w);
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	assert_int_equal(mountinfo_of, 0);
	memcpy(lines, mountinfo, sizeof(lines));
	for (char *save = NULL, *l = strtok_r(lines, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		/* id parent major:minor root mount-point options ... */
		char point[PATH_MAX], opts[512];
		if (sscanf(l, "%*s %*s %*s %*s %4095s %511s", point, opts) != 2)
			fail_msg("a mountinfo line unread: %s", l);
		mounts++;
		if (!strcmp(point, "/proc"))
			continue; /* its own proc: nosuid, nodev, noexec */
		if (!strcmp(point, sub))
			seen_sub = 1;
		if (!has_option(opts, "ro") || !has_option(opts, "nosuid") ||
		    !has_option(opts, "nodev"))
			fail_msg("the worker's %s is mounted %s", point, opts);
	}
	printf("%d mounts in the worker's root, each ro,nosuid,nodev\n", mounts);
	if (!seen_sub)
		fail_msg("the tmpfs beneath its read_beneath is not in its root:\n%s", mountinfo);
	close(prog);
	hx_free(x);
	assert_int_equal(umount2(sub, MNT_DETACH), 0);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The first filter lets the loader map code; after start the second one
 * refuses any executable mapping (ENOSYS): new code only by exec, which
 * is refused too. */
static void after_start_an_exec_worker_can_map_nothing_executable(void **state)
{
	static const char *const mmap_args[] = {"mmap-exec", "-", NULL};
	static const char *const mprotect_args[] = {"mprotect-exec", "-", NULL};
	struct hx *x = setup_hx();
	int prog = open_prog();
	(void)state;
	assert_non_null(spawn_probe(x, prog, mmap_args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	expect_named_or_refused(x, 1, "mmap", "mmap-returned");
	atomic_store(&nreports, 0);
	assert_non_null(spawn_probe(x, prog, mprotect_args, NULL, 0));
	assert_true(hx_pump_gone(x, 2, 20000));
	expect_named_or_refused(x, 1, "mprotect", "mprotect-returned");
	close(prog);
	hx_free(x);
}

static void a_program_replaced_on_disk_after_the_helper_opened_it_is_not_what_runs(void **state)
{
	static const char *const args[] = {"report", "-", NULL};
	char dir[] = "/tmp/privsep-exec-XXXXXX", path[64], other[64], buf[65536];
	struct hx *x = setup_hx();
	int in, out, prog;
	ssize_t n;
	(void)state;
	if (fork_mode())
		skip(); /* fork mode runs no program */
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chmod(dir, 0755), 0);
	snprintf(path, sizeof(path), "%s/worker", dir);
	snprintf(other, sizeof(other), "%s/other", dir);
	in = open(EXEC_WORKER, O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(in >= 0 && out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	prog = privsep_exec_open(path);
	assert_true(prog >= 0);
	/* another program where the worker was: it would exit 7, report
	 * nothing */
	out = open(other, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(out >= 0);
	assert_int_equal(write(out, "#!/bin/sh\nexit 7\n", 17), 17);
	close(out);
	assert_int_equal(rename(other, path), 0);
	assert_non_null(spawn_probe(x, prog, args, NULL, 0));
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	close(prog);
	unlink(path);
	rmdir(dir);
	hx_free(x);
}

/* A program whose whole main is PRIVSEP_CLIENT_MAIN(fn), started with no
 * argv of the daemon's (so argv[0] is the spawn's name and no marker):
 * fn runs in the narrowed sandbox, with the channel on 3 and nothing
 * else, and the program exits with fn's value. */
static void a_program_whose_main_is_privsep_client_main_runs_its_function_sandboxed(void **state)
{
	struct hx *x;
	struct privsep_exec ex = {.fd = -1};
	struct privsep_spawn sp = {.name = "macro", .exec = &ex};
	char fds[128];
	(void)state;
	if (fork_mode())
		skip(); /* a program, not a function of this one */
	x = setup_hx();
	ex.fd = privsep_exec_open(EXEC_MACRO_WORKER);
	assert_true(ex.fd >= 0);
	if (!privsep_spawn(x->h, &sp))
		dump(x);
	assert_true(hx_pump_gone(x, 1, 20000));
	EXPECT_REPORTS(x, 1);
	assert_string_equal(value(reports[0], "fds", fds, sizeof(fds)), "0,1,2,3,");
	assert_null(strstr(reports[0], "env="));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	close(ex.fd);
	hx_free(x);
}

/* The helper gone, the kernel kills its exec-mode worker too: the death
 * signal (PR_SET_PDEATHSIG SIGKILL, set before the execveat) is kept
 * across it (prctl(2): cleared only for a set-user-ID, set-group-ID or
 * capability-bearing program), as docs/PROTOCOL.md section 13 says.  The
 * program is past READY, in pause(), where nothing of its own ends it;
 * this test process is its subreaper once the helper is gone and reads
 * its end, killed by SIGKILL.  Without the death signal it outlives the
 * helper and the test fails after its bound. */
static void when_its_helper_dies_the_kernel_kills_an_exec_worker_too(void **state)
{
	static const char *const args[] = {"pause", "-", NULL};
	int p[2], pfd, st;
	pid_t helper, worker = -1;
	struct pollfd pl;
	siginfo_t si;
	(void)state;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	assert_int_equal(pipe(p), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		/* a helper that serves READY, then nothing, and is SIGKILLed */
		struct hx *x = hx_new(table, 1, 0);
		int prog = privsep_exec_open(EXEC_WORKER);
		struct privsep_worker *w =
		    x && prog >= 0 ? spawn_probe(x, prog, args, NULL, 0) : NULL;
		hx_ready_then_pause(x ? x->h : NULL, w, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &worker, sizeof(worker)), (ssize_t)sizeof(worker));
	close(p[0]);
	assert_true(worker > 0);
	pfd = (int)syscall(SYS_pidfd_open, worker, 0);
	assert_true(pfd >= 0);
	kill(helper, SIGKILL);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	pl.fd = pfd;
	pl.events = POLLIN;
	if (poll(&pl, 1, 10000) != 1) {
		kill(worker, SIGKILL);
		(void)waitid(P_PIDFD, (id_t)pfd, &si, WEXITED); /* ours: reaped */
		fail_msg("the exec worker outlived its helper by 10 s: no death signal");
	}
	memset(&si, 0, sizeof(si));
	assert_int_equal(waitid(P_PIDFD, (id_t)pfd, &si, WEXITED), 0);
	assert_int_equal(si.si_pid, worker);
	assert_int_equal(si.si_code, CLD_KILLED);
	assert_int_equal(si.si_status, SIGKILL);
	close(pfd);
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(canary_and_libc_differ_from_the_helper_and_between_exec_workers),
	    cmocka_unit_test(an_exec_workers_policy_has_its_broker_roots_opened_once),
	    cmocka_unit_test(a_marker_in_the_helpers_freed_heap_and_stack_is_not_in_an_exec_worker),
	    cmocka_unit_test(an_exec_worker_has_exactly_the_environment_passed),
	    cmocka_unit_test(an_exec_worker_holds_only_its_channel_on_3_and_its_standard_fds),
	    cmocka_unit_test(after_start_an_exec_worker_can_exec_nothing_not_even_itself),
	    cmocka_unit_test(after_start_an_exec_worker_can_map_nothing_executable),
	    cmocka_unit_test(an_exec_worker_cannot_probe_seccomp_before_or_after_its_narrowing),
	    cmocka_unit_test(
	        after_start_an_exec_worker_cannot_load_a_filter_that_hides_a_denied_call),
	    cmocka_unit_test(a_foreign_worker_cannot_load_a_filter_that_hides_a_denied_call),
	    cmocka_unit_test(a_filter_loaded_before_the_narrowing_is_caught_at_ready),
	    cmocka_unit_test(after_start_an_exec_worker_can_read_no_link_by_path),
	    cmocka_unit_test(after_start_an_exec_worker_sees_no_other_process_in_proc),
	    cmocka_unit_test(
	        after_start_an_exec_worker_of_a_root_helper_can_stat_only_what_its_start_needs),
	    cmocka_unit_test(
	        every_mount_of_an_exec_workers_root_is_read_only_nosuid_and_nodev_beneath_a_bind_too),
	    cmocka_unit_test(
	        a_program_replaced_on_disk_after_the_helper_opened_it_is_not_what_runs),
	    cmocka_unit_test(
	        a_program_whose_main_is_privsep_client_main_runs_its_function_sandboxed),
	    cmocka_unit_test(when_its_helper_dies_the_kernel_kills_an_exec_worker_too),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
