/* SPDX-License-Identifier: ISC */
/*
 * A violation named by the kernel: a worker's filter turns every call its
 * policy kills into a seccomp user notification to the helper, which
 * names the call, its arguments and the rule or default that denied it,
 * and kills the worker, without CAP_SYSLOG or any capability at all (the
 * audit record in /dev/kmsg, the only source before, never has the
 * arguments).  The call never runs: not in another thread, not when the
 * helper is gone.  Run as root and as an ordinary user.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <grp.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "exec_probe.h"
#include "filter.h"
#include "harness.h"
#include "helper_int.h"
#include "policy.h"

static int int80_entry_exists(void);

static atomic_int reported;
static char report_text[256];

static int report(struct privsep_req *req, void *arg)
{
	(void)arg;
	snprintf(report_text, sizeof(report_text), "%.*s", (int)req->len, (const char *)req->data);
	atomic_store(&reported, 1);
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = PROBE_T_REPORT,
     .name = "report",
     .max_len = PROBE_REPORT_MAX,
     .flags = PRIVSEP_H_CALL,
     .fn = report},
};

/* The call no shipped policy for these workers has, with arguments to
 * name: sendfile(7, 8, NULL, 0x1234).  If it ever came back the worker
 * would exit 99. */
static int sendfile_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	return 99;
}

/* The worker's end as the test expects it: killed, named by the
 * notification (arguments, which the audit record never has), and the
 * one line says so. */
static void expect_sendfile_named(struct hx *x)
{
	const struct privsep_exit_info *e = &x->last_exit;
	if (e->kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("not a seccomp violation: %s", e->line);
	assert_string_equal(e->syscall_name, "sendfile");
	assert_int_equal(e->syscall, SYS_sendfile);
	assert_true(e->have_args);
	assert_int_equal(e->args[0], 7);
	assert_int_equal(e->args[1], 8);
	assert_int_equal(e->args[2], 0);
	assert_int_equal(e->args[3], 0x1234);
	if (!hx_logged(x, "seccomp violation: sendfile(0x7, 0x8, 0x0, 0x1234, ") ||
	    !hx_logged(x, ", syscall 40; denied by the default action of <default.policy> "
	                  "(the syscall is not in it)"))
		fail_msg("the line does not name the call, its arguments and the default: %s",
		         e->line);
}

static struct hx *run_fork(privsep_main_fn main, const struct privsep_sandbox *sb)
{
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "w", .main = main, .sandbox = sb};
	assert_non_null(x);
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 10000));
	return x;
}

static void a_worker_missing_one_call_is_killed_and_the_line_names_it_with_its_arguments(void **s)
{
	(void)s;
	struct hx *x = run_fork(sendfile_main, NULL);
	expect_sendfile_named(x);
	hx_free(x);
}

static void in_exec_mode_too_the_line_names_the_call_and_its_arguments(void **s)
{
	static const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "sendfile", "-", NULL};
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	assert_true(prog >= 0);
	struct privsep_exec ex = {.fd = prog, .argv = argv};
	struct privsep_spawn sp = {.name = "w", .exec = &ex};
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 10000));
	expect_sendfile_named(x);
	close(prog);
	hx_free(x);
}

static int cap_free_of_all(void)
{
	cap_t cur = cap_get_proc(), none = cap_init();
	int same = cur && none && cap_compare(cur, none) == 0;
	cap_free(cur);
	cap_free(none);
	return same;
}

/* Run main as the only worker of a helper that holds no capability at
 * all: as root, in a child that became nobody (every set empty,
 * /dev/kmsg closed to it); as an ordinary user, in a child too.  got:
 * "KIND NAME HAVE_ARGS ARG0 ARG3|LINE" of the worker's end. */
static void from_a_capability_free_helper(privsep_main_fn main, char *got, size_t len)
{
	int p[2], st;
	pid_t pid;
	ssize_t n;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct hx *x;
		char out[1100];
		close(p[0]);
		if (geteuid() == 0 &&
		    (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		     setresuid(65534, 65534, 65534) < 0))
			_exit(2);
		if (!cap_free_of_all() || open("/dev/kmsg", O_RDONLY | O_CLOEXEC) >= 0)
			_exit(3);
		x = run_fork(main, NULL);
		snprintf(out, sizeof(out), "%d %s %d %llx %llx|%s", x->last_exit.kind,
		         x->last_exit.syscall_name, x->last_exit.have_args,
		         (unsigned long long)x->last_exit.args[0],
		         (unsigned long long)x->last_exit.args[3], x->last_exit.line);
		if (write(p[1], out, strlen(out)) < 0)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], got, len - 1);
	got[n > 0 ? n : 0] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the capability-free helper's child: status 0x%x (3: it held a "
		         "capability or could read /dev/kmsg)",
		         st);
}

static void a_helper_with_no_capability_names_the_call_and_its_arguments(void **s)
{
	char got[1100], want[64];
	(void)s;
	from_a_capability_free_helper(sendfile_main, got, sizeof(got));
	snprintf(want, sizeof(want), "%d sendfile 1 7 1234|", PRIVSEP_EXIT_SECCOMP);
	if (strncmp(got, want, strlen(want)) != 0 ||
	    !strstr(got, "seccomp violation: sendfile(0x7, 0x8, 0x0, 0x1234, "))
		fail_msg("from a helper without capabilities: %s", got);
}

/* A worker handed out from the spawn-ahead pool sent its listener before
 * its READY, which the pool held: its violation is named too. */
static pid_t idle_pooled(struct privsep_helper *h)
{
	for (struct privsep_worker *w = h->workers; w; w = w->next)
		if (w->pool.of && w->pool.held && !w->reap.finalize && w->chan >= 0)
			return w->pid;
	return 0;
}

static void a_worker_from_the_pool_is_named_too(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "w", .main = sendfile_main, .pool = 1};
	struct privsep_worker *w;
	pid_t pooled = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 10000));
	expect_sendfile_named(x);
	for (int i = 0; i < 200 && !(pooled = idle_pooled(x->h)); i++)
		privsep_helper_step(x->h, 100);
	assert_true(pooled > 0);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_int_equal(privsep_worker_pid(w), pooled);
	assert_true(hx_pump_gone(x, 2, 10000));
	expect_sendfile_named(x);
	privsep_helper_stop(x->h);
	for (int i = 0; i < 200 && x->h->workers; i++)
		privsep_helper_step(x->h, 100);
	hx_free(x);
}

/* A helper confined by helper.policy (after its workers started) still
 * hears a violation: the notification's ioctl and the kill are in its
 * policy.  The worker waits for a flag in memory it shares with the
 * helper's process (fork mode), set once the helper is confined; all in
 * a child, since confinement is for good. */
static atomic_int *confined_flag;

static int after_confinement_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	while (!atomic_load(confined_flag))
		; /* a read of memory: no call */
	syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	return 99;
}

static int gone_kind = -1, gone_named;
static void on_gone(struct privsep_worker *w, void *arg)
{
	const struct privsep_exit_info *e = privsep_worker_exit_info(w);
	(void)arg;
	gone_kind = (int)e->kind;
	gone_named = e->have_args && !strcmp(e->syscall_name, "sendfile") && e->args[3] == 0x1234;
}

static void a_confined_helper_still_names_a_violation(void **s)
{
	int st;
	pid_t hp;
	(void)s;
	confined_flag = mmap(NULL, sizeof(*confined_flag), PROT_READ | PROT_WRITE,
	                     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(confined_flag != MAP_FAILED);
	atomic_store(confined_flag, 0);
	hp = fork();
	assert_true(hp >= 0);
	if (hp == 0) {
		struct privsep_helper_config cfg = {.on_worker_gone = on_gone};
		struct privsep_spawn sp = {.name = "w", .main = after_confinement_main};
		struct privsep_helper *h = privsep_helper_new(table, 1, &cfg);
		struct privsep_worker *w = h ? privsep_spawn(h, &sp) : NULL;
		if (!w)
			_exit(2);
		while (!privsep_worker_ready(w))
			if (privsep_helper_step(h, 100) < 0)
				_exit(3);
		if (privsep_helper_confine(h, NULL, NULL) < 0)
			_exit(4);
		atomic_store(confined_flag, 1);
		for (int i = 0; i < 200 && privsep_helper_nworkers(h) > 0; i++)
			if (privsep_helper_step(h, 100) < 0)
				_exit(5);
		_exit(gone_kind == PRIVSEP_EXIT_SECCOMP && gone_named ? 0 : 6);
	}
	assert_int_equal(waitpid(hp, &st, 0), hp);
	munmap(confined_flag, sizeof(*confined_flag));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the confined helper %s %d (6: the violation was not named)",
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* ---- threads ---- */

/* Shared with the forked worker (MAP_SHARED before the spawn): when the
 * violating thread made its call, and what the other thread did after. */
struct race {
	atomic_int called;                /* the violating thread is about to call */
	atomic_llong called_ns;           /* and when */
	atomic_llong last_ns;             /* the other thread's last allowed call */
	atomic_long after;                /* allowed calls it made after the violation */
	atomic_int returned;              /* a denied call came back (never) */
	atomic_int second_denied_started; /* the other thread tried one too */
	atomic_long spins;                /* the other thread's allowed calls in all */
};
static struct race *race;

static long long now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void *other_thread(void *arg)
{
	(void)arg;
	for (;;) {
		(void)getpid(); /* allowed: what it could always do */
		atomic_store(&race->last_ns, now_ns());
		atomic_fetch_add(&race->spins, 1);
		if (atomic_load(&race->called)) {
			long k = atomic_fetch_add(&race->after, 1);
			/* after a while, a denied call of its own */
			if (k == 1000) {
				atomic_store(&race->second_denied_started, 1);
				syscall(SYS_socket, 2, 1, 0);
				atomic_store(&race->returned, 2);
			}
		}
	}
	return NULL;
}

static int threads_main(struct privsep_client *c, void *arg)
{
	pthread_t t;
	(void)c;
	(void)arg;
	if (pthread_create(&t, NULL, other_thread, NULL) != 0)
		return 1;
	/* both running: the other thread has made some allowed calls */
	while (atomic_load(&race->spins) < 1000)
		;
	atomic_store(&race->called_ns, now_ns());
	atomic_store(&race->called, 1);
	syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	atomic_store(&race->returned, 1);
	return 99;
}

static void a_multithreaded_workers_other_threads_can_do_nothing_denied_after_a_violation(void **s)
{
	(void)s;
	struct privsep_sandbox sb = {.policy = TEST_POLICY_DIR "/threads.policy"};
	race = mmap(NULL, sizeof(*race), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(race != MAP_FAILED);
	memset(race, 0, sizeof(*race));
	struct hx *x = run_fork(threads_main, &sb);
	/* the violating call never returned, nor the other thread's */
	assert_int_equal(atomic_load(&race->returned), 0);
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("not a seccomp violation: %s", x->last_exit.line);
	/* the first notification names the end: the main thread's sendfile,
	 * or, if the other thread got its socket in first, that */
	if (strcmp(x->last_exit.syscall_name, "sendfile") &&
	    strcmp(x->last_exit.syscall_name, "socket"))
		fail_msg("named neither call: %s", x->last_exit.line);
	/* what the other thread did meanwhile: only calls its policy allows
	 * (the measurement SECURITY.md quotes) */
	printf("other thread: %ld allowed calls before the violation, %ld after it in %lld us "
	       "(negative: it last ran before it), then killed%s\n",
	       atomic_load(&race->spins) - atomic_load(&race->after), atomic_load(&race->after),
	       (atomic_load(&race->last_ns) - atomic_load(&race->called_ns)) / 1000,
	       atomic_load(&race->second_denied_started) ? " (its own denied call never returned)"
	                                                 : "");
	munmap(race, sizeof(*race));
	hx_free(x);
}

/* ---- the listener gone ---- */

/* The kernel's side of "fail closed": a filter compiled by the policy
 * compiler in notify mode, loaded with its listener, which is then
 * closed (as when the helper dies: its fds close before its children get
 * their death signal).  A call the policy denies then fails with ENOSYS
 * and does nothing: here mkdir, whose effect the test can look for. */
static void with_its_listener_closed_a_denied_call_fails_with_enosys_and_does_nothing(void **s)
{
	char dir[] = "/tmp/privsep-unotify-XXXXXX", path[64];
	struct policy *p =
	    policy_load("<default.policy>", policy_shipped("default.policy"), NULL, NULL);
	struct filter_prog prog;
	struct stat st;
	int status, entry = int80_entry_exists();
	pid_t pid;
	(void)s;
	assert_int_not_equal(entry, -1);
	assert_non_null(p);
	assert_int_equal(policy_compile(p, &prog, POL_MODE_NOTIFY, NULL, NULL), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/made", dir);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd;
		long r;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		fd = filter_load_listener(&prog);
		if (fd < 0)
			_exit(11);
		close(fd);
		r = syscall(SYS_mkdirat, AT_FDCWD, path, 0700);
		if (r != -1 || errno != ENOSYS)
			_exit(r == 0 ? 12 : 13);
		/* the architecture check's calls too: exit_group(42) of x32
		 * and of i386, which would end this child with 42 */
		if (probe_foreign_exit(PROBE_X32) != -1 || errno != ENOSYS)
			_exit(14);
		if (entry && probe_foreign_exit(PROBE_INT80) != -ENOSYS)
			_exit(15);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("a denied call with no listener: status 0x%x (12: it ran, 13: another "
		         "error, 14: the x32 call did not fail with ENOSYS, 15: nor the int 0x80 "
		         "one; 42: one of them ran)",
		         status);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	rmdir(dir);
	filter_prog_free(&prog);
	policy_free(p);
}

/* The same through the framework: a worker waits in a denied call; its
 * helper (in a process of its own) is killed.  The call then fails
 * (ENOSYS) or the worker dies first of its death signal; it never runs.
 * The worker reports what the call returned through a pipe it keeps. */
static int wait_in_denied_main(struct privsep_client *c, void *arg)
{
	int out = *(int *)arg;
	char msg[64];
	long r;
	(void)c;
	if (write(out, "calling\n", 8) < 0)
		return 1;
	r = syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	snprintf(msg, sizeof(msg), "returned %ld errno %d\n", r, r < 0 ? errno : 0);
	if (write(out, msg, strlen(msg)) < 0)
		return 1;
	return 0;
}

static void a_worker_whose_helper_died_still_cannot_make_the_denied_call(void **s)
{
	int p[2], st;
	pid_t helper;
	char buf[256] = "";
	size_t n = 0;
	(void)s;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		struct hx *x = hx_new(table, 1, 0);
		int keep = p[1];
		struct privsep_sandbox sb = {.keep_fds = &keep, .nkeep = 1};
		struct privsep_spawn sp = {
		    .name = "w", .main = wait_in_denied_main, .arg = &keep, .sandbox = &sb};
		close(p[0]);
		struct privsep_worker *w = x ? privsep_spawn(x->h, &sp) : NULL;
		if (!w)
			_exit(2);
		close(p[1]);
		/* serve until the worker is ready, then read nothing more (its
		 * notification waits) until this process is killed */
		while (!privsep_worker_ready(w))
			if (privsep_helper_step(x->h, 100) < 0)
				_exit(3);
		for (;;)
			pause();
	}
	close(p[1]);
	/* "calling" arrives once the worker runs its main */
	while (n < sizeof(buf) - 1 && !strstr(buf, "calling\n")) {
		struct pollfd pf = {p[0], POLLIN, 0};
		assert_true(poll(&pf, 1, 10000) == 1);
		ssize_t k = read(p[0], buf + n, sizeof(buf) - 1 - n);
		assert_true(k > 0);
		n += (size_t)k;
		buf[n] = '\0';
	}
	/* the helper may already have killed it for the violation; either
	 * way it dies now, with its listener */
	kill(helper, SIGKILL);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	for (;;) {
		struct pollfd pf = {p[0], POLLIN, 0};
		assert_true(poll(&pf, 1, 10000) == 1);
		ssize_t k = read(p[0], buf + n, sizeof(buf) - 1 - n);
		if (k <= 0)
			break; /* every holder gone: the worker is dead */
		n += (size_t)k;
		buf[n] = '\0';
	}
	close(p[0]);
	/* nothing, or the call refused: never a call that ran (sendfile of
	 * fds 7 and 8, which the worker does not hold, would be EBADF) */
	printf("the worker after its helper's death: %s",
	       strstr(buf, "returned") ? "" : "killed\n");
	if (strstr(buf, "returned"))
		printf("%s", strstr(buf, "returned"));
	if (strstr(buf, "returned") && !strstr(buf, "returned -1 errno 38\n"))
		fail_msg("the denied call came back other than ENOSYS: %s", buf);
}

/* ---- learn mode ---- */

/* The learning worker: sendfile, which its policy would kill, runs (it
 * fails with EBADF: fds 7 and 8 are not open), and a call says how it
 * came back. */
static int learn_main(struct privsep_client *c, void *arg)
{
	char msg[64];
	struct privsep_result res = {0};
	long r = syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	(void)arg;
	snprintf(msg, sizeof(msg), "sendfile %ld errno %d", r, r < 0 ? errno : 0);
	return privsep_client_call(
	           c,
	           &(struct privsep_out){.type = PROBE_T_REPORT, .data = msg, .len = strlen(msg)},
	           &res) == 0
	           ? 0
	           : 1;
}

/* A learning worker calls 5,000 numbers no syscall table names. */
#define UNNAMED_CALLS 5000
static int unnamed_main(struct privsep_client *c, void *arg)
{
	char msg[64];
	struct privsep_result res = {0};
	int enosys = 0;
	(void)arg;
	for (long n = 0; n < UNNAMED_CALLS; n++)
		enosys += syscall(100000 + n) < 0 && errno == ENOSYS;
	snprintf(msg, sizeof(msg), "enosys %d", enosys);
	return privsep_client_call(
	           c,
	           &(struct privsep_out){.type = PROBE_T_REPORT, .data = msg, .len = strlen(msg)},
	           &res) == 0
	           ? 0
	           : 1;
}

/* Learn mode records one entry per call it lets through: a worker that
 * calls every number it can would grow the helper (memory, a linear
 * search, a log line each) without bound.  Numbers no table names are
 * counted in one line instead: the helper's memory for them is fixed. */
static void a_learning_worker_calling_numbers_no_table_names_costs_the_helper_one_line(void **s)
{
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.flags = PRIVSEP_SB_LEARN};
	struct privsep_spawn sp = {.name = "learner", .main = unnamed_main, .sandbox = &sb};
	struct privsep_worker *w;
	char prop[8192];
	ssize_t n;
	int fd = memfd_create("proposal", MFD_CLOEXEC), lines = 0;
	(void)s;
	assert_true(fd >= 0);
	atomic_store(&reported, 0);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_until(x, &reported, 60000));
	assert_string_equal(report_text, "enosys 5000");
	assert_int_equal(privsep_worker_learned(w, fd), 0);
	assert_true(hx_pump_gone(x, 1, 10000));
	for (int i = 0; i < x->nlog; i++)
		lines += strstr(x->log[i], "a number no table names") != NULL;
	assert_int_equal(lines, 1);
	n = pread(fd, prop, sizeof(prop) - 1, 0);
	assert_true(n > 0);
	prop[n] = '\0';
	if (!strstr(prop, "# learned: 5000 calls of numbers no table names"))
		fail_msg("no count of the unnamed calls in:\n%s", prop);
	assert_null(strstr(prop, "\nallow "));
	close(fd);
	hx_free(x);
}

static void a_learning_worker_runs_the_call_and_the_proposal_adds_exactly_it(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.flags = PRIVSEP_SB_LEARN};
	struct privsep_spawn sp = {.name = "learner", .main = learn_main, .sandbox = &sb};
	struct privsep_worker *w;
	char prop[8192], *learned;
	ssize_t n;
	int fd = memfd_create("proposal", MFD_CLOEXEC);
	assert_true(fd >= 0);
	atomic_store(&reported, 0);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	/* the helper says at once that this worker is not sandboxed by its
	 * filter */
	assert_true(hx_logged(x, "LEARN MODE"));
	assert_true(hx_logged(x, "learn mode is not a security boundary"));
	assert_true(hx_pump_until(x, &reported, 10000));
	/* the call ran: EBADF, not ENOSYS and not a kill */
	assert_string_equal(report_text, "sendfile -1 errno 9");
	assert_true(hx_logged(x, "learn: sendfile(0x7, 0x8, 0x0, 0x1234, "));
	assert_int_equal(privsep_worker_learned(w, fd), 0);
	assert_true(hx_pump_gone(x, 1, 10000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	n = pread(fd, prop, sizeof(prop) - 1, 0);
	assert_true(n > 0);
	prop[n] = '\0';
	/* the policy's own, then exactly one learned rule, with the values */
	assert_non_null(strstr(prop, "include <default.policy>\n"));
	learned =
	    strstr(prop, "# learned: sendfile, 1 call; arg0 0x7 arg1 0x8 arg2 0x0 arg3 0x1234");
	if (!learned)
		fail_msg("no values of sendfile in:\n%s", prop);
	assert_non_null(strstr(learned, "\nallow sendfile because \"learned; review\"\n"));
	if (strstr(prop, "\nallow ") != strstr(learned, "\nallow "))
		fail_msg("more than the one learned rule:\n%s", prop);
	/* and it is a policy the helper takes: loaded, checked */
	struct policy *p = policy_load("proposal", prop, NULL, NULL);
	assert_non_null(p);
	assert_int_equal(policy_check(p, NULL, NULL), 0);
	policy_free(p);
	close(fd);
	hx_free(x);
}

/* An exec-mode worker in learn mode makes an exec its first filter
 * refuses (that filter's execveat rule allows the program's fd only; the
 * worker's own policy has no rule for execveat).  The proposal must judge
 * the call against that filter, the one the violation line explains it
 * by: its rule for execveat has conditions, so no "allow execveat" (which
 * would shadow exec mode's own rule: the helper would refuse the whole
 * proposal), but the line's own words on which condition failed.  Then
 * the same program under the proposal starts, and its violation line
 * says of that exec what the proposal said. */
static void
in_exec_mode_a_learning_workers_proposal_says_of_a_call_what_its_violation_line_says(void **s)
{
	static const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "execveat-other", "-",
	                             NULL};
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	struct privsep_exec ex = {.fd = prog, .argv = argv};
	struct privsep_sandbox sb = {.flags = PRIVSEP_SB_LEARN};
	struct privsep_spawn sp = {.name = "learner", .exec = &ex, .sandbox = &sb};
	struct privsep_worker *w;
	char prop[16384], file[] = "/tmp/privsep-learned-XXXXXX";
	const char *why;
	ssize_t n;
	int fd = mkstemp(file);
	(void)s;
	assert_true(prog >= 0 && fd >= 0);
	atomic_store(&reported, 0);
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_until(x, &reported, 10000));
	/* it ran (learn mode lets it through): EBADF, the fd is -1 */
	assert_string_equal(report_text, "execveat-other-returned=-1/9\n");
	assert_true(hx_logged(x, "learn: execveat(0xffffffff"));
	assert_int_equal(privsep_worker_learned(w, fd), 0);
	assert_true(hx_pump_gone(x, 1, 10000));
	hx_free(x);
	n = pread(fd, prop, sizeof(prop) - 1, 0);
	assert_true(n > 0);
	prop[n] = '\0';
	close(fd);
	if (strstr(prop, "\nallow execveat "))
		fail_msg("the proposal allows execveat, which exec mode's rule for it has:\n%s",
		         prop);
	/* under the proposal (a file, as --learn writes it: a text with no
	 * name is <default.policy>'s, which it includes): the helper takes
	 * it, and the exec kills */
	x = hx_new(table, 1, 0);
	sb = (struct privsep_sandbox){.policy = file};
	w = privsep_spawn(x->h, &sp);
	unlink(file);
	if (!w)
		fail_msg("the helper refused the proposal (%s):\n%s",
		         x->nlog ? x->log[x->nlog - 1] : "", prop);
	assert_true(hx_pump_gone(x, 1, 10000));
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP || x->last_exit.syscall != SYS_execveat)
		fail_msg("not killed for the exec: %s", x->last_exit.line);
	/* which rule and condition refused it (the rule's place differs:
	 * the proposal has lines of its own before exec mode's) */
	why = strstr(x->last_exit.line, "(allow execveat) wants ");
	assert_non_null(why);
	if (!strstr(prop, why))
		fail_msg("the line says \"%s\", the proposal does not:\n%s", why, prop);
	close(prog);
	hx_free(x);
}

/* A worker added by hand, or spawned in another mode, has nothing to
 * propose. */
static void only_a_learning_worker_has_a_proposal(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_worker *w = NULL;
	int sock = hx_attach_raw(x, "raw", &w);
	assert_true(sock >= 0);
	assert_int_equal(privsep_worker_learned(w, 1), -1);
	assert_int_equal(errno, EINVAL);
	close(sock);
	hx_free(x);
}

/* ---- the filter's architecture check: int 0x80 (i386), x32 numbers ---- */

/* Whether this machine has the i386 syscall entry at all: on some
 * hypervisors (and kernels built without IA32 emulation, or booted with
 * ia32_emulation=0) int $0x80 faults even outside any sandbox.  Probed in
 * a plain child: 1 if i386's getpid came back with its pid, 0 if it died
 * of SIGSEGV, -1 for anything else. */
static int int80_entry_exists(void)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		long r = -1;
#if defined(__x86_64__)
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory");
#endif
		_exit(r == (long)getpid() ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : -1;
}

static int int80_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	probe_foreign_exit(PROBE_INT80);
	return 99; /* came back: not refused */
}

static int x32_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	probe_foreign_exit(PROBE_X32);
	return 99;
}

/* The worker's end as it must be after probe_foreign_exit(how): killed
 * (not exited 42: the call never ran; not 99: it never came back), named
 * with its architecture, its number and its five arguments, by the
 * architecture check.  Without the i386 entry, int 0x80 faults before
 * any filter: the worker dies of SIGSEGV, and that is all. */
static void expect_foreign_named(const struct hx *x, int how, int entry)
{
	const struct privsep_exit_info *e = &x->last_exit;
	const char *name = how == PROBE_INT80 ? "i386:exit_group" : "x32:exit_group";
	char head[128];
	if (how == PROBE_INT80 && !entry) {
		if (e->kind != PRIVSEP_EXIT_SIGNAL || e->signal != SIGSEGV)
			fail_msg("int $0x80 without an i386 entry: %s", e->line);
		return;
	}
	if (e->kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("not a seccomp violation (status 42: the call ran): %s", e->line);
	if (strcmp(e->syscall_name, name) != 0 || !e->have_args)
		fail_msg("not named %s with its arguments: %s", name, e->line);
	assert_int_equal(e->syscall, how == PROBE_INT80 ? 252 : 0x40000000 | 231);
	assert_int_equal(e->args[0], 0x2a);
	assert_int_equal(e->args[1], 0x1111);
	assert_int_equal(e->args[2], 0x2222);
	assert_int_equal(e->args[3], 0x3333);
	assert_int_equal(e->args[4], 0x4444);
	snprintf(head, sizeof(head), "seccomp violation: %s(0x2a, 0x1111, 0x2222, 0x3333, 0x4444, ",
	         name);
	if (!strstr(e->line, head) ||
	    !strstr(e->line, how == PROBE_INT80 ? "), i386 syscall 252 (the i386 entry, int 0x80); "
	                                        : "), x32 syscall 231 (number 0x400000e7); ") ||
	    !strstr(e->line, "; denied by the filter's architecture check"))
		fail_msg("the line does not name the %s call: %s", name, e->line);
	printf("%s\n", e->line);
}

static void a_worker_calling_through_int_0x80_is_killed_and_the_line_names_the_i386_call(void **s)
{
	int entry = int80_entry_exists();
	struct hx *x;
	(void)s;
	assert_int_not_equal(entry, -1);
	if (!entry)
		printf("this machine has no i386 syscall entry: int $0x80 faults outside any "
		       "sandbox, so the worker must die of SIGSEGV\n");
	x = run_fork(int80_main, NULL);
	expect_foreign_named(x, PROBE_INT80, entry);
	hx_free(x);
}

static void a_worker_calling_an_x32_number_is_killed_and_the_line_names_the_x32_call(void **s)
{
	(void)s;
	struct hx *x = run_fork(x32_main, NULL);
	expect_foreign_named(x, PROBE_X32, 1);
	hx_free(x);
}

/* In exec mode the new image runs under two filters; the second (no
 * listener: one per chain) must leave these calls to the first. */
static void in_exec_mode_too_int_0x80_and_x32_calls_are_named(void **s)
{
	static const char *int80_argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "int80", "-", NULL};
	static const char *x32_argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "x32", "-", NULL};
	int entry = int80_entry_exists();
	(void)s;
	assert_int_not_equal(entry, -1);
	for (int how = PROBE_INT80; how <= PROBE_X32; how++) {
		struct hx *x = hx_new(table, 1, 0);
		int prog = privsep_exec_open(EXEC_WORKER);
		assert_true(prog >= 0);
		struct privsep_exec ex = {.fd = prog,
		                          .argv = how == PROBE_INT80 ? int80_argv : x32_argv};
		struct privsep_spawn sp = {.name = "w", .exec = &ex};
		atomic_store(&reported, 0);
		assert_non_null(privsep_spawn(x->h, &sp));
		assert_true(hx_pump_gone(x, 1, 10000));
		if (atomic_load(&reported))
			fail_msg("the call came back: %s", report_text);
		expect_foreign_named(x, how, entry);
		close(prog);
		hx_free(x);
	}
}

/* From a capability-free helper, main's report starts with the seccomp
 * exit and calls, and says why (detail); what names it in the failure. */
static void capability_free_says(privsep_main_fn main, const char *calls, const char *detail,
                                 const char *what)
{
	char got[1100], want[64];
	from_a_capability_free_helper(main, got, sizeof(got));
	snprintf(want, sizeof(want), "%d %s|", PRIVSEP_EXIT_SECCOMP, calls);
	if (strncmp(got, want, strlen(want)) != 0 || !strstr(got, detail))
		fail_msg("%s, from a helper without capabilities: %s", what, got);
}

static void a_helper_with_no_capability_names_int_0x80_and_x32_calls(void **s)
{
	int entry = int80_entry_exists();
	(void)s;
	assert_int_not_equal(entry, -1);
	capability_free_says(x32_main, "x32:exit_group 1 2a 3333",
	                     "x32 syscall 231 (number 0x400000e7); denied by the filter's "
	                     "architecture check",
	                     "x32");
	if (!entry)
		return; /* int 0x80 faults here before any filter (above) */
	capability_free_says(int80_main, "i386:exit_group 1 2a 3333",
	                     "i386 syscall 252 (the i386 entry, int 0x80); denied by the filter's "
	                     "architecture check",
	                     "int 0x80");
}

/* Learn mode lets a call the policy denies through; one of another
 * architecture no rule could allow: it is a violation there too, killed
 * and named, never let through (exit_group(42) would end the worker with
 * 42). */
static void a_learning_worker_is_killed_for_an_int_0x80_or_x32_call_never_let_through(void **s)
{
	int entry = int80_entry_exists();
	(void)s;
	assert_int_not_equal(entry, -1);
	for (int how = PROBE_INT80; how <= PROBE_X32; how++) {
		struct hx *x = hx_new(table, 1, 0);
		struct privsep_sandbox sb = {.flags = PRIVSEP_SB_LEARN};
		struct privsep_spawn sp = {.name = "learner",
		                           .main = how == PROBE_INT80 ? int80_main : x32_main,
		                           .sandbox = &sb};
		assert_non_null(privsep_spawn(x->h, &sp));
		assert_true(hx_pump_gone(x, 1, 10000));
		expect_foreign_named(x, how, entry);
		assert_false(hx_logged(x, "learn: exit_group"));
		hx_free(x);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_worker_missing_one_call_is_killed_and_the_line_names_it_with_its_arguments),
	    cmocka_unit_test(in_exec_mode_too_the_line_names_the_call_and_its_arguments),
	    cmocka_unit_test(a_helper_with_no_capability_names_the_call_and_its_arguments),
	    cmocka_unit_test(a_confined_helper_still_names_a_violation),
	    cmocka_unit_test(a_worker_from_the_pool_is_named_too),
	    cmocka_unit_test(
	        a_multithreaded_workers_other_threads_can_do_nothing_denied_after_a_violation),
	    cmocka_unit_test(
	        with_its_listener_closed_a_denied_call_fails_with_enosys_and_does_nothing),
	    cmocka_unit_test(a_worker_whose_helper_died_still_cannot_make_the_denied_call),
	    cmocka_unit_test(a_learning_worker_runs_the_call_and_the_proposal_adds_exactly_it),
	    cmocka_unit_test(
	        a_learning_worker_calling_numbers_no_table_names_costs_the_helper_one_line),
	    cmocka_unit_test(
	        in_exec_mode_a_learning_workers_proposal_says_of_a_call_what_its_violation_line_says),
	    cmocka_unit_test(only_a_learning_worker_has_a_proposal),
	    cmocka_unit_test(
	        a_worker_calling_through_int_0x80_is_killed_and_the_line_names_the_i386_call),
	    cmocka_unit_test(
	        a_worker_calling_an_x32_number_is_killed_and_the_line_names_the_x32_call),
	    cmocka_unit_test(in_exec_mode_too_int_0x80_and_x32_calls_are_named),
	    cmocka_unit_test(a_helper_with_no_capability_names_int_0x80_and_x32_calls),
	    cmocka_unit_test(
	        a_learning_worker_is_killed_for_an_int_0x80_or_x32_call_never_let_through),
	};
	if (under_valgrind()) {
		printf("valgrind 3.19 knows no seccomp: workers cannot start under it\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
