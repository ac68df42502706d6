/* SPDX-License-Identifier: ISC */
/*
 * The worker's sandbox: its state as the kernel reports it, each escape
 * attempt denied (one test each), how a worker's end is classified, and
 * the lifecycle guarantees.  Run as root (CI does), and again as an
 * ordinary user where it says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <grp.h>
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "sandbox.h"
#include "uidpool.h"
#include "wire.h"
#include "chan.h"

#define T_STATUS (PRIVSEP_TYPE_APP_MIN + 1)
#define T_WAIT (PRIVSEP_TYPE_APP_MIN + 2)

static char proc_status[4096], proc_limits[4096];
static struct stat proc_dir;
static long proc_session;
static pid_t proc_pid;

static void slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, len - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* Helper side: read the calling worker's /proc/PID/status while it waits
 * for the answer. */
static int read_status(struct privsep_req *req, void *arg)
{
	char path[64];
	int fd;
	ssize_t n;
	(void)arg;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)privsep_worker_pid(req->worker));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	n = read(fd, proc_status, sizeof(proc_status) - 1);
	close(fd);
	proc_status[n > 0 ? n : 0] = '\0';
	stat(path, &proc_dir); /* a non-dumpable process's files belong to root */
	proc_pid = privsep_worker_pid(req->worker);
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)proc_pid);
	slurp(path, proc_limits, sizeof(proc_limits));
	{
		char st[1024];
		const char *p;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)proc_pid);
		slurp(path, st, sizeof(st));
		/* pid (comm) state ppid pgrp session */
		p = strrchr(st, ')');
		proc_session = -1;
		if (p)
			sscanf(p + 2, "%*c %*d %*d %ld", &proc_session);
	}
	return 0;
}

static int never_answer(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	pause();
	return 0;
}

static int fds_seen;
static int count_fd(struct privsep_req *req, void *arg)
{
	(void)arg;
	fds_seen += (int)req->nfds;
	return 0;
}

#define T_FD (PRIVSEP_TYPE_APP_MIN + 3)
static const struct privsep_handler table[] = {
    {.type = T_STATUS, .name = "status", .flags = PRIVSEP_H_CALL, .fn = read_status},
    {.type = T_WAIT, .name = "wait", .flags = PRIVSEP_H_CALL, .fn = never_answer},
    {.type = T_FD,
     .name = "fd",
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL,
     .fn = count_fd},
};

/* Spawn main in a sandbox with flags and serve it until it is gone. */
static struct hx *run(privsep_main_fn main, unsigned flags)
{
	struct hx *x = hx_new(table, 3, 0);
	struct privsep_sandbox sb = {.flags = flags};
	struct privsep_spawn sp = {.name = "w", .main = main, .sandbox = &sb};
	assert_non_null(x);
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 5000));
	return x;
}

/* Enforce mode: killed by SIGSYS.  Debug mode: the trap names the call
 * (syscall_name), or, for a foreign architecture (NULL), the filter's
 * architecture check kills before any rule could trap. */
static void expect_seccomp(privsep_main_fn main, const char *syscall_name)
{
	struct hx *x = run(main, 0);
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP)
		fail_msg("%s: worker was not killed by its filter: %s",
		         syscall_name ? syscall_name : "foreign arch", x->last_exit.line);
	assert_int_equal(x->last_exit.signal, SIGSYS);
	/* the kernel's audit record may name it too (rate-limited) */
	if (x->last_exit.syscall >= 0 && syscall_name)
		assert_string_equal(x->last_exit.syscall_name, syscall_name);
	hx_free(x);

	x = run(main, PRIVSEP_SB_DEBUG);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	if (syscall_name) {
		assert_true(x->last_exit.have_args);
		assert_string_equal(x->last_exit.syscall_name, syscall_name);
	} else {
		/* no trap report: the architecture check killed it */
		assert_false(x->last_exit.have_args);
		assert_int_equal(x->last_exit.signal, SIGSYS);
	}
	hx_free(x);
}

static long field(const char *name)
{
	const char *p = strstr(proc_status, name);
	return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

static void expect_line(const char *line)
{
	if (!strstr(proc_status, line))
		fail_msg("/proc/PID/status lacks \"%s\":\n%s", line, proc_status);
}

/* ---- the state of a running worker ---- */

static int status_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	return privsep_client_call(c, &(struct privsep_out){.type = T_STATUS}, &res) == 0 ? 0 : 1;
}

static void sandbox_state_as_proc_reports_it(void **state)
{
	(void)state;
	struct hx *x = run(status_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	if (geteuid() == 0) {
		/* its own uid from the dynamic range, the same number its gid */
		unsigned u[4], g[4];
		const char *pu = strstr(proc_status, "\nUid:"), *pg = strstr(proc_status, "\nGid:");
		assert_non_null(pu);
		assert_non_null(pg);
		assert_int_equal(sscanf(pu, "\nUid: %u %u %u %u", &u[0], &u[1], &u[2], &u[3]), 4);
		assert_int_equal(sscanf(pg, "\nGid: %u %u %u %u", &g[0], &g[1], &g[2], &g[3]), 4);
		assert_in_range(u[0], UIDPOOL_MIN, UIDPOOL_MAX);
		for (int i = 0; i < 4; i++) {
			assert_int_equal(u[i], u[0]);
			assert_int_equal(g[i], u[0]);
		}
		expect_line("CapBnd:\t0000000000000000\n");
		/* not dumpable: /proc/PID/status belongs to root, not the worker */
		assert_int_equal(proc_dir.st_uid, 0);
	}
	{
		const char *g = strstr(proc_status, "Groups:");
		assert_non_null(g);
		if (geteuid() == 0) {
			assert_int_equal(strspn(g + 7, " \t"), strcspn(g + 7, "\n")); /* none */
		} else {
			/* a non-root helper cannot drop its supplementary groups
			 * (setgroups needs CAP_SETGID): the worker has exactly the
			 * helper's, never one more */
			char self[4096];
			const char *h;
			slurp("/proc/self/status", self, sizeof(self));
			h = strstr(self, "Groups:");
			assert_non_null(h);
			if (strcspn(g, "\n") != strcspn(h, "\n") || strncmp(g, h, strcspn(h, "\n")))
				fail_msg("worker's %.*s, helper's %.*s", (int)strcspn(g, "\n"), g,
				         (int)strcspn(h, "\n"), h);
		}
	}
	expect_line("CapInh:\t0000000000000000\n");
	expect_line("CapPrm:\t0000000000000000\n");
	expect_line("CapEff:\t0000000000000000\n");
	expect_line("CapAmb:\t0000000000000000\n");
	expect_line("NoNewPrivs:\t1\n");
	expect_line("Seccomp:\t2\n");
	assert_int_equal(field("Seccomp_filters:\t"), 1);
	/* its own session: no terminal, no signals meant for the helper's group */
	assert_int_equal(proc_session, proc_pid);
	hx_free(x);
}

/* Landlock, looked at from inside a child that took every step of the
 * real sequence (sandbox_enter, all eleven).  Its filter is the default
 * policy's with the probing calls allowed, compiled by the normal path
 * (policy_load, policy_compile) and loaded by step 11, so each probe
 * reaches the kernel and only Landlock can refuse it.  (A worker's own
 * filter would kill it for probing, and no policy a worker may run, see
 * policy_check, allows connect.)  Last, a call the default policy does
 * not allow shows the filter is in force: the child must die of SIGSYS. */
static const char probes_policy[] = "version 1\n"
                                    "include <default.policy>\n"
                                    "allow openat because \"the test probes Landlock\"\n"
                                    "allow mkdir because \"the test probes Landlock\"\n"
                                    "allow mkdirat because \"the test probes Landlock\"\n"
                                    "allow kill because \"the test probes Landlock\"\n"
                                    "allow socket because \"the test probes Landlock\"\n"
                                    "allow connect because \"the test probes Landlock\"\n";

static void landlock_leaves_no_filesystem_and_no_signals_out(void **state)
{
	(void)state;
	struct sb_plan plan;
	/* no empty root: the files must be there for Landlock to refuse */
	struct privsep_sandbox sb = {.flags = PRIVSEP_SB_NO_NAMESPACES};
	struct filter_prog probes;
	char why[256];
	int sv[2], st;
	pid_t pid;
	assert_int_equal(chan_pair(sv), 0);
	struct policy *pol =
	    policy_load("<default.policy>", policy_shipped("default.policy"), NULL, NULL);
	struct policy *probes_pol = policy_load("<probes>", probes_policy, NULL, NULL);
	assert_non_null(pol);
	assert_non_null(probes_pol);
	assert_int_equal(policy_compile(probes_pol, &probes, 0, NULL, NULL), 0);
	assert_int_equal(sandbox_prepare(&plan, &sb, pol, &probes, sv[1], why, sizeof(why)), 0);
	if (!plan.ll.abi) {
		print_message("this kernel has no Landlock: nothing of it to look at\n");
		skip();
	}
	pid = fork();
	if (pid == 0) {
		int fd;
		if (sandbox_enter(&plan, why, sizeof(why)) != 0)
			_exit(10);
		if ((fd = open("/etc/passwd", O_RDONLY)) >= 0 || errno != EACCES)
			_exit(11);
		if (open("/", O_RDONLY | O_DIRECTORY) >= 0 || errno != EACCES)
			_exit(12);
		if (mkdir("/tmp/privsep-escape", 0700) == 0)
			_exit(13);
		/* signals out of the sandbox (ABI 6) */
		if (plan.ll.abi >= 6 && (kill(plan.helper, 0) == 0 || errno != EPERM))
			_exit(14);
		/* TCP connect (ABI 4), in the helper's network namespace: look
		 * for EACCES from Landlock itself */
		if (plan.ll.abi >= 4) {
			struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};
			int s = socket(AF_INET, SOCK_STREAM, 0);
			sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			if (s < 0 || connect(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 ||
			    errno != EACCES)
				_exit(15);
		}
		/* step 11 too: the filter kills for a call it does not allow */
		syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
		_exit(16);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
		fail_msg("the child %s %d (10: a step failed, 11-15: a probe was not refused, "
		         "16: no filter)",
		         WIFEXITED(st) ? "exited with" : "died of signal",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	sandbox_release(&plan);
	filter_prog_free(&probes);
	policy_free(probes_pol);
	policy_free(pol);
	close(sv[0]);
	close(sv[1]);
}

/* ---- escape attempts, each denied ---- */

#define ESCAPE(fn, ...)                                                                            \
	static int fn##_main(struct privsep_client *c, void *arg)                                  \
	{                                                                                          \
		(void)c;                                                                           \
		(void)arg;                                                                         \
		__VA_ARGS__;                                                                       \
		return 99; /* the call came back: not denied */                                    \
	}

ESCAPE(setuid, syscall(SYS_setuid, 0))
ESCAPE(open_shadow, open("/etc/shadow", O_RDONLY))
ESCAPE(socket_inet, socket(AF_INET, SOCK_STREAM, 0))
ESCAPE(execve, {
	char *const argv[] = {(char *)"/bin/sh", NULL};
	execve("/bin/sh", argv, argv + 1);
})
ESCAPE(ptrace_helper, syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, getppid(), 0, 0))
ESCAPE(unshare, syscall(SYS_unshare, CLONE_NEWUSER))
ESCAPE(io_uring_setup, syscall(425, 1, NULL))
ESCAPE(bpf, syscall(SYS_bpf, 0, NULL, 0))
ESCAPE(userfaultfd, syscall(SYS_userfaultfd, 0))
ESCAPE(kill_helper, syscall(SYS_kill, getppid(), SIGKILL))
ESCAPE(x32_syscall, syscall(0x40000000 | SYS_getpid))
ESCAPE(int80, {
	long r;
	__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory");
})
/* mprotect's prot is an int: junk in its upper half must not hide
 * PROT_EXEC from the rule that allows mprotect only without it */
ESCAPE(junk_upper_bits, {
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syscall(SYS_mprotect, p, 4096, 0xdead00000000ull | PROT_READ | PROT_EXEC);
})

static void escape_setuid0(void **s)
{
	(void)s;
	expect_seccomp(setuid_main, "setuid");
}
static void escape_open_etc_shadow(void **s)
{
	(void)s;
	expect_seccomp(open_shadow_main, "openat");
}
static void escape_socket_af_inet(void **s)
{
	(void)s;
	expect_seccomp(socket_inet_main, "socket");
}
static void escape_execve(void **s)
{
	(void)s;
	expect_seccomp(execve_main, "execve");
}
static void escape_ptrace_the_helper(void **s)
{
	(void)s;
	expect_seccomp(ptrace_helper_main, "ptrace");
}
static void escape_unshare(void **s)
{
	(void)s;
	expect_seccomp(unshare_main, "unshare");
}
static void escape_io_uring_setup(void **s)
{
	(void)s;
	expect_seccomp(io_uring_setup_main, "io_uring_setup");
}
static void escape_bpf(void **s)
{
	(void)s;
	expect_seccomp(bpf_main, "bpf");
}
static void escape_userfaultfd(void **s)
{
	(void)s;
	expect_seccomp(userfaultfd_main, "userfaultfd");
}
static void escape_kill_the_helper(void **s)
{
	(void)s;
	expect_seccomp(kill_helper_main, "kill");
}
static void escape_x32_syscall_number(void **s)
{
	(void)s;
	expect_seccomp(x32_syscall_main, NULL);
}
/* Whether this machine has the i386 syscall entry at all: on some
 * hypervisors int $0x80 raises a general protection fault even outside
 * any sandbox.  Probed in a plain child: 1 if the call came back with the
 * child's pid, 0 if it died of SIGSEGV, -1 for anything else. */
static int int80_entry_exists(void)
{
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		long r;
		__asm__ volatile("int $0x80" : "=a"(r) : "a"(20L /* i386 getpid */) : "memory");
		_exit(r == (long)getpid() ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 1;
	return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : -1;
}

/* With the 32-bit entry, the filter's architecture check kills the worker;
 * without it, the call faults.  Either way it never comes back. */
static void escape_32bit_syscall_through_int80(void **s)
{
	int entry = int80_entry_exists();
	struct hx *x;
	(void)s;
	assert_int_not_equal(entry, -1);
	if (entry) {
		expect_seccomp(int80_main, NULL);
		return;
	}
	printf("this machine has no i386 syscall entry: int $0x80 faults outside any "
	       "sandbox, so the worker must die of SIGSEGV\n");
	x = run(int80_main, 0);
	if (x->last_exit.kind != PRIVSEP_EXIT_SIGNAL || x->last_exit.signal != SIGSEGV)
		fail_msg("int $0x80 without an i386 entry: %s", x->last_exit.line);
	hx_free(x);
}
static void escape_junk_in_upper_32_bits_of_an_argument(void **s)
{
	(void)s;
	expect_seccomp(junk_upper_bits_main, "mprotect");
}

/* clone3 hides its flags in memory: it gets ENOSYS, and the clone that
 * glibc falls back to is allowed only for threads */
static int clone3_main(struct privsep_client *c, void *arg)
{
	struct clone_args ca = {.flags = CLONE_NEWUSER | CLONE_NEWNS, .exit_signal = SIGCHLD};
	(void)c;
	(void)arg;
	if (syscall(SYS_clone3, &ca, sizeof(ca)) != -1 || errno != ENOSYS)
		return 98;
	syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	return 99;
}

static void escape_clone3_with_namespace_flags(void **s)
{
	(void)s;
	expect_seccomp(clone3_main, "clone");
}

/* ...and a thread still starts: glibc's fallback works */
static void *thr(void *a)
{
	return a;
}
static int thread_main(struct privsep_client *c, void *arg)
{
	pthread_t t;
	void *r = NULL;
	(void)c;
	(void)arg;
	if (pthread_create(&t, NULL, thr, (void *)7) != 0 || pthread_join(t, &r) != 0)
		return 1;
	return r == (void *)7 ? 0 : 2;
}

static void threads_work_when_the_sandbox_allows_them(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 3, 0);
	/* RLIMIT_NPROC counts threads: the default 0 allows none */
	struct privsep_sandbox sb = {.policy = TEST_POLICY_DIR "/threads.policy"};
	struct privsep_spawn sp = {.name = "threads", .main = thread_main, .sandbox = &sb};
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 5000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	hx_free(x);
}

static void no_threads_by_default(void **s)
{
	(void)s;
	struct hx *x = run(thread_main, 0);
	/* the default policy has no @threads: clone kills */
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	hx_free(x);
}

/* The 32-bit comparison from the other side: junk in the upper half of
 * fcntl's cmd is ignored by the kernel, and by the rule too. */
static int fcntl_junk_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	long r = syscall(SYS_fcntl, privsep_client_fd(c), 0xbeef00000000ull | F_GETFD);
	return r >= 0 && (r & FD_CLOEXEC) ? 0 : 1;
}

static void argument_rules_read_the_low_32_bits_like_the_kernel(void **s)
{
	(void)s;
	struct hx *x = run(fcntl_junk_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	hx_free(x);
}

/* ---- exit classification ---- */

static int exit3_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 3;
}

static void exit_normal_reports_the_status(void **s)
{
	(void)s;
	struct hx *x = run(exit3_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 3);
	assert_true(hx_logged(x, "exited with status 3"));
	hx_free(x);
}

static int segv_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	/* a jump to an unmapped page: a plain SIGSEGV, which no sanitizer
	 * turns into a report of its own */
	void (*volatile bad)(void) = (void (*)(void))(uintptr_t)0x10;
	bad();
	return 0;
}

static void exit_crash_reports_the_signal(void **s)
{
	(void)s;
	struct hx *x = run(segv_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SIGNAL);
	assert_int_equal(x->last_exit.signal, SIGSEGV);
	assert_true(hx_logged(x, "killed by signal 11"));
	hx_free(x);
}

static int getppid_ptrace_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	syscall(SYS_ptrace, 0x4206 /* PTRACE_SEIZE */, 4242, 0x11, 0x22);
	return 99;
}

static void exit_seccomp_debug_mode_names_syscall_args_and_rule(void **s)
{
	(void)s;
	struct hx *x = run(getppid_ptrace_main, PRIVSEP_SB_DEBUG);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	assert_string_equal(x->last_exit.syscall_name, "ptrace");
	assert_int_equal(x->last_exit.syscall, SYS_ptrace);
	assert_true(x->last_exit.have_args);
	assert_int_equal(x->last_exit.args[0], 0x4206);
	assert_int_equal(x->last_exit.args[1], 4242);
	assert_true(hx_logged(x, "seccomp violation: ptrace(0x4206, 0x1092, 0x11, 0x22"));
	assert_true(hx_logged(x, "the syscall is not in it"));
	hx_free(x);
}

static int mmap_exec_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return 99;
}

static void exit_seccomp_names_the_rule_when_arguments_decide(void **s)
{
	(void)s;
	struct hx *x = run(mmap_exec_main, PRIVSEP_SB_DEBUG);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SECCOMP);
	assert_string_equal(x->last_exit.syscall_name, "mmap");
	assert_true(hx_logged(x, "no rule for this syscall matched its arguments"));
	hx_free(x);
}

static int garbage_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	send(privsep_client_fd(c), "not a record", 12, MSG_NOSIGNAL);
	pause();
	return 0;
}

static void exit_protocol_violation_is_reported_as_such(void **s)
{
	(void)s;
	struct hx *x = run(garbage_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_VIOLATION);
	assert_int_equal(x->last_exit.violation, PRIVSEP_V_SHORT_HEADER);
	hx_free(x);
}

/* ---- lifecycle ---- */

static int wait_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	privsep_client_call(c, &(struct privsep_out){.type = T_WAIT}, &res);
	return 0;
}

static int block_main(struct privsep_client *c, void *arg)
{
	struct privsep_result res = {0};
	(void)arg;
	/* blocks until the helper goes away */
	privsep_client_call(c, &(struct privsep_out){.type = T_STATUS + 100}, &res);
	pause();
	return 0;
}

/* Past READY, waits for a signal: nothing of its own ends it, not the
 * channel's end either. */
static int pause_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* The helper gone, the kernel kills its worker: the worker's death
 * signal (PR_SET_PDEATHSIG SIGKILL, step 7) fires when the helper dies.
 * The worker is past READY, in pause(), where nothing of its own ends it
 * (a worker still waiting for READY's answer would exit 127 on the
 * channel's end by itself: the old form of this test passed with no
 * death signal at all), so only that signal can: this test process is
 * the worker's subreaper once the helper is gone, and reads its end,
 * killed by SIGKILL.  Without the death signal the worker outlives the
 * helper and the test fails after its bound (10 s: the kernel's
 * reaction, measured and printed, is microseconds; a bound in
 * milliseconds measured the machine's load). */
static void helper_gone_the_kernel_kills_its_worker_with_its_death_signal(void **s)
{
	(void)s;
	int p[2], st;
	pid_t helper, worker;
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	assert_int_equal(pipe(p), 0);
	helper = fork();
	if (helper == 0) {
		/* a helper that serves nothing and will be SIGKILLed */
		struct privsep_helper *h = privsep_helper_new(table, 3, NULL);
		struct privsep_spawn sp = {.name = "orphan", .main = pause_main};
		struct privsep_worker *w = privsep_spawn(h, &sp);
		/* READY answered: within 20 s, however loaded the machine */
		hx_ready_then_pause(h, w, p[1]);
	}
	close(p[1]);
	assert_int_equal(read(p[0], &worker, sizeof(worker)), (ssize_t)sizeof(worker));
	close(p[0]);
	assert_true(worker > 0);
	/* the worker is in its sandbox (its filter loaded), in pause() */
	{
		char path[64], st_[4096];
		struct timespec t0, t1;
		long waited = 0;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)worker);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			slurp(path, st_, sizeof(st_));
			if (strstr(st_, "Seccomp:\t2\n") && strstr(st_, "State:\tS"))
				break;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			waited =
			    (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
			if (waited > 10000)
				fail_msg(
				    "the worker was not blocked in its sandbox within 10 s:\n%s",
				    st_);
			poll(NULL, 0, 5);
		}
	}
	{
		int pfd = pidfd_open(worker, 0);
		struct timespec a, b;
		struct pollfd pl = {.fd = pfd, .events = POLLIN};
		siginfo_t si;
		assert_true(pfd >= 0);
		clock_gettime(CLOCK_MONOTONIC, &a);
		kill(helper, SIGKILL);
		assert_int_equal(waitpid(helper, &st, 0), helper);
		if (poll(&pl, 1, 10000) != 1) {
			kill(worker, SIGKILL);
			(void)waitid(P_PIDFD, (id_t)pfd, &si, WEXITED); /* ours: reaped */
			fail_msg("the worker outlived its helper by 10 s: no death signal");
		}
		clock_gettime(CLOCK_MONOTONIC, &b);
		print_message(
		    "worker gone %ld us after its helper was killed\n",
		    (long)((b.tv_sec - a.tv_sec) * 1000000 + (b.tv_nsec - a.tv_nsec) / 1000));
		/* ours now (the subreaper's): killed by SIGKILL, which nobody
		 * but the kernel sent it */
		memset(&si, 0, sizeof(si));
		assert_int_equal(waitid(P_PIDFD, (id_t)pfd, &si, WEXITED), 0);
		assert_int_equal(si.si_pid, worker);
		assert_int_equal(si.si_code, CLD_KILLED);
		assert_int_equal(si.si_status, SIGKILL);
		close(pfd);
	}
	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0), 0);
}

/* Sends calls carrying fds, then crashes before any answer. */
static int call_and_die_main(struct privsep_client *c, void *arg)
{
	uint8_t rec[16];
	struct wire_hdr h = {PRIVSEP_WIRE_MAGIC, 1, 1, T_FD, 0, 0};
	int fd = privsep_client_fd(c);
	for (uint32_t id = 1; id <= 20; id++) {
		h.id = id;
		wire_put_hdr(rec, &h);
		if (raw_send(fd, rec, sizeof(rec), &fd, 1) < 0)
			return 1;
	}
	return segv_main(c, arg);
}

static void worker_gone_mid_request_helper_keeps_serving(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 3, 0);
	struct privsep_spawn sp1 = {.name = "dies", .main = call_and_die_main};
	struct privsep_spawn sp2 = {.name = "stays", .main = status_main};
	int before = count_fds();
	fds_seen = 0;
	assert_non_null(privsep_spawn(x->h, &sp1));
	assert_true(hx_pump_gone(x, 1, 5000));
	/* its requests were served after its death, their fds closed, the
	 * answers dropped; nothing else changed but, as root, the uid the
	 * helper leases ahead for the next spawn once it is idle
	 * (helper_lease_ahead) */
	assert_int_equal(fds_seen, 20);
	{
		int ahead = 0;
		for (int k = 0; k < 500 && ahead != (geteuid() == 0); k++) {
			assert_true(privsep_helper_step(x->h, 10) >= 0);
			ahead = 0;
			for (int fd = 0; fd < 1024; fd++)
				ahead += uidpool_owns_fd(fd);
		}
		assert_int_equal(ahead, geteuid() == 0);
		assert_int_equal(count_fds(), before + ahead);
	}
	assert_non_null(privsep_spawn(x->h, &sp2));
	assert_true(hx_pump_gone(x, 2, 5000));
	assert_true(hx_logged(x, "worker \"dies\""));
	assert_true(hx_logged(x, "worker \"stays\" pid"));
	assert_true(hx_logged(x, "exited with status 0"));
	hx_free(x);
}

/* ---- failures before application code ---- */

static int never_runs_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 42;
}

static void sandbox_failure_aborts_before_application_code(void **s)
{
	(void)s;
	int p[2], st;
	pid_t pid;
	if (geteuid() != 0)
		skip();
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		/* a root helper without CAP_SETPCAP: step 4 must fail */
		cap_t c = cap_get_proc();
		cap_value_t v = CAP_SETPCAP;
		struct hx *x;
		struct privsep_spawn sp = {.name = "nosetpcap", .main = never_runs_main};
		char out[600];
		cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
		cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
		if (cap_set_proc(c) < 0)
			_exit(2);
		x = hx_new(table, 3, 0);
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(3);
		snprintf(out, sizeof(out), "%d %d %s", x->last_exit.kind, x->last_exit.step,
		         x->last_exit.line);
		if (write(p[1], out, strlen(out) + 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	{
		char in[600] = "";
		int kind, step;
		assert_true(read(p[0], in, sizeof(in) - 1) > 0);
		assert_int_equal(sscanf(in, "%d %d", &kind, &step), 2);
		assert_int_equal(kind, PRIVSEP_EXIT_SANDBOX);
		assert_int_equal(step, PRIVSEP_SB_STEP_SECUREBITS);
		assert_non_null(strstr(in, "sandbox step 4 (securebits) failed"));
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void sandbox_refuses_root_as_the_worker_user(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 3, 0);
	struct privsep_sandbox sb = {.user = "root"};
	struct privsep_spawn sp = {.name = "r", .main = never_runs_main, .sandbox = &sb};
	/* a helper that is not root changes no ids: only the unknown user
	 * can be refused there */
	if (geteuid() == 0) {
		assert_null(privsep_spawn(x->h, &sp));
		assert_true(hx_logged(x, "the worker's user must not be root"));
	}
	sb.user = "no-such-user-privsep";
	assert_null(privsep_spawn(x->h, &sp));
	assert_true(hx_logged(x, "no such user"));
	hx_free(x);
}

/* A kept fd is never one of the helper's own: neither its epoll fd given
 * by mistake, nor, at a restart, a number the application closed that
 * the helper then used for another worker's channel (a restarted worker
 * would have held that channel: it could answer for the helper). */
static int exit1_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 1;
}
static void a_kept_fd_is_never_one_of_the_helpers_own(void **s)
{
	struct hx *x = hx_new(table, 3, 0);
	int k[1] = {privsep_helper_fd(x->h)};
	struct privsep_sandbox sb = {.keep_fds = k, .nkeep = 1};
	struct privsep_spawn sp = {.name = "keeper", .main = exit1_main, .sandbox = &sb};
	struct privsep_spawn other = {.name = "other", .main = block_main};
	atomic_int never = 0;
	(void)s;
	errno = 0;
	assert_null(privsep_spawn(x->h, &sp));
	assert_int_equal(errno, EBADF);
	assert_true(hx_logged(x, "is one of the helper's own"));
	/* the restart case: K is open at the first start, then closed, and
	 * the next worker's channel takes its number */
	k[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(k[0] >= 0);
	sp.restart_max = 3;
	sp.restart_backoff_ms = 50;
	assert_non_null(privsep_spawn(x->h, &sp));
	close(k[0]);
	assert_non_null(privsep_spawn(x->h, &other));
	assert_true(helper_owns_fd(x->h, k[0])); /* the number is the helper's now */
	hx_pump_until(x, &never, 1000);
	assert_true(hx_logged(x, "kept fd"));
	assert_int_equal(x->restarted, 0); /* never started with it */
	hx_free(x);
}

/* ---- what the worker inherits ---- */

static int read_stdin_main(struct privsep_client *c, void *arg)
{
	char b[8];
	(void)c;
	(void)arg;
	/* the helper's fd 0 was a secret file: the worker reads /dev/null */
	return read(0, b, sizeof(b)) == 0 ? 0 : 1;
}

static void stdio_never_carries_a_file_the_helper_opened(void **s)
{
	(void)s;
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		struct hx *x;
		struct privsep_spawn sp = {.name = "stdin", .main = read_stdin_main};
		close(0);
		if (open("/etc/passwd", O_RDONLY) != 0) /* lands on fd 0 */
			_exit(2);
		x = hx_new(table, 3, 0);
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(3);
		_exit(x->last_exit.kind == PRIVSEP_EXIT_STATUS ? x->last_exit.status : 4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* Is any of fds 0..2 an epoll fd, a socket or a pipe other than the
 * worker's own stderr pipe?  The helper's fds are all of those kinds. */
static int stdio_foreign_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	for (int fd = 0; fd <= 1; fd++) {
		struct stat st;
		if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode))
			return 10 + fd; /* not /dev/null: something of the helper's */
	}
	return 0;
}

static void stdio_is_never_one_of_the_helpers_own_fds(void **s)
{
	(void)s;
	int st;
	if (under_valgrind())
		skip();
	pid_t pid = fork();
	if (pid == 0) {
		/* started with 0 and 1 closed: the helper's epoll fd, channels
		 * and pidfds would land there and a worker would keep them */
		struct privsep_sandbox sb = {.flags = PRIVSEP_SB_NULL_STDIO};
		struct privsep_spawn sp = {
		    .name = "stdio", .main = stdio_foreign_main, .sandbox = &sb};
		struct hx *x;
		close(0);
		close(1);
		x = hx_new(table, 3, 0);
		if (!x || privsep_helper_fd(x->h) <= 2)
			_exit(2);
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(3);
		_exit(x->last_exit.kind == PRIVSEP_EXIT_STATUS ? x->last_exit.status : 4);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The helper's receive buffers: one record's, and the batched receive's
 * stash (rxbatch.h). */
static int in_rx(const struct privsep_helper *h, const char *s)
{
	return memmem(h->rx, h->msg_max, s, strlen(s)) ||
	       memmem(h->rxb.bufs, (size_t)h->rxb.cap * h->rxb.slot, s, strlen(s));
}

static int scrub_main(struct privsep_client *c, void *arg)
{
	const struct privsep_helper *h = arg;
	(void)c;
	/* the helper's receive and send buffers, as this child inherited them */
	return in_rx(h, "SECRET-A") || memmem(h->tx, h->msg_max, "SECRET-A", 8) ? 1 : 0;
}

static void a_new_worker_does_not_inherit_another_workers_messages(void **s)
{
	(void)s;
	struct hx *x = hx_new(table, 3, 0);
	struct privsep_client *a = hx_attach_client(x, "a", 0);
	struct hx_bg bg;
	struct privsep_spawn sp = {.name = "b", .main = scrub_main, .arg = x->h};
	hx_bg_call(&bg, a, PRIVSEP_T_PING, "SECRET-A", 8);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	/* the helper's buffers hold worker a's request and reply now */
	assert_true(in_rx(x->h, "SECRET-A"));
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 5000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	privsep_client_free(a);
	hx_free(x);
}

static void limits_are_lowered_never_raised(void **s)
{
	(void)s;
	int st;
	pid_t pid = fork();
	if (pid == 0) {
		struct rlimit rl = {1 << 20, 1 << 20};
		struct hx *x;
		struct privsep_spawn sp = {.name = "limits", .main = status_main};
		/* the helper runs with a finite file size limit; the worker
		 * asks for none: it gets the helper's, not more */
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(2);
		x = hx_new(table, 3, 0);
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(3);
		if (x->last_exit.kind != PRIVSEP_EXIT_STATUS || x->last_exit.status != 0)
			_exit(4);
		if (!strstr(proc_limits, "Max file size             1048576              1048576"))
			_exit(5);
		if (!strstr(proc_limits, "Max core file size        0                    0"))
			_exit(6);
		if (!strstr(proc_limits, "Max open files            64                   64"))
			_exit(7);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- a worker cannot rewrite how it ended ---- */

static int claim_sandbox_failed_main(struct privsep_client *c, void *arg)
{
	uint8_t p[32];
	struct privsep_writer w;
	(void)arg;
	privsep_writer_init(&w, p, sizeof(p));
	privsep_writer_put_u32(&w, 5);
	privsep_writer_put_u32(&w, 1);
	privsep_writer_put_str(&w, "fake\nprivsep: x");
	privsep_client_post(
	    c, &(struct privsep_out){.type = PRIVSEP_T_SANDBOX_FAILED, .data = p, .len = w.len});
	pause();
	return 0;
}

static void a_worker_cannot_claim_its_sandbox_failed(void **s)
{
	(void)s;
	struct hx *x = run(claim_sandbox_failed_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_VIOLATION);
	assert_int_equal(x->last_exit.violation, PRIVSEP_V_NOT_PERMITTED);
	hx_free(x);
}

static int claim_trap_main(struct privsep_client *c, void *arg)
{
	uint8_t p[56] = {0};
	(void)arg;
	privsep_client_post(
	    c, &(struct privsep_out){.type = PRIVSEP_T_SECCOMP_TRAP, .data = p, .len = sizeof(p)});
	pause();
	return 0;
}

static void a_worker_cannot_claim_a_seccomp_trap_in_enforce_mode(void **s)
{
	(void)s;
	struct hx *x = run(claim_trap_main, 0);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_VIOLATION);
	assert_int_equal(x->last_exit.violation, PRIVSEP_V_NOT_PERMITTED);
	hx_free(x);
}

/* ---- as an ordinary user ---- */

static void non_root_helper_applies_every_step_it_can(void **s)
{
	(void)s;
	int p[2], st;
	pid_t pid;
	if (geteuid() != 0)
		skip(); /* the test itself needs root to become an ordinary user */
	assert_int_equal(pipe(p), 0);
	pid = fork();
	if (pid == 0) {
		struct hx *x;
		char out[8192];
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(2);
		x = hx_new(table, 3, 0);
		struct privsep_spawn sp = {.name = "user", .main = status_main};
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, 1, 5000))
			_exit(3);
		snprintf(out, sizeof(out), "%d|%s|%s", x->last_exit.status,
		         hx_logged(x, "not started as root") ? "noted" : "silent", proc_status);
		if (write(p[1], out, strlen(out) + 1) < 0)
			_exit(4);
		_exit(0);
	}
	close(p[1]);
	{
		static char in[8192];
		ssize_t n = 0, k;
		while ((k = read(p[0], in + n, sizeof(in) - 1 - (size_t)n)) > 0)
			n += k;
		in[n] = '\0';
		assert_true(n > 0);
		assert_int_equal(strncmp(in, "0|noted|", 8), 0);
		memcpy(proc_status, in + 8, strnlen(in + 8, sizeof(proc_status) - 1) + 1);
		proc_status[sizeof(proc_status) - 1] = '\0';
		expect_line("Uid:\t65534\t65534\t65534\t65534\n");
		expect_line("CapEff:\t0000000000000000\n");
		expect_line("NoNewPrivs:\t1\n");
		expect_line("Seccomp:\t2\n");
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    /* first: the kernel rate-limits its log of seccomp kills */
	    cmocka_unit_test(escape_setuid0),
	    cmocka_unit_test(sandbox_state_as_proc_reports_it),
	    cmocka_unit_test(landlock_leaves_no_filesystem_and_no_signals_out),
	    cmocka_unit_test(escape_open_etc_shadow),
	    cmocka_unit_test(escape_socket_af_inet),
	    cmocka_unit_test(escape_execve),
	    cmocka_unit_test(escape_ptrace_the_helper),
	    cmocka_unit_test(escape_unshare),
	    cmocka_unit_test(escape_clone3_with_namespace_flags),
	    cmocka_unit_test(escape_io_uring_setup),
	    cmocka_unit_test(escape_bpf),
	    cmocka_unit_test(escape_userfaultfd),
	    cmocka_unit_test(escape_32bit_syscall_through_int80),
	    cmocka_unit_test(escape_x32_syscall_number),
	    cmocka_unit_test(escape_kill_the_helper),
	    cmocka_unit_test(escape_junk_in_upper_32_bits_of_an_argument),
	    cmocka_unit_test(argument_rules_read_the_low_32_bits_like_the_kernel),
	    cmocka_unit_test(threads_work_when_the_sandbox_allows_them),
	    cmocka_unit_test(no_threads_by_default),
	    cmocka_unit_test(exit_normal_reports_the_status),
	    cmocka_unit_test(exit_crash_reports_the_signal),
	    cmocka_unit_test(exit_seccomp_debug_mode_names_syscall_args_and_rule),
	    cmocka_unit_test(exit_seccomp_names_the_rule_when_arguments_decide),
	    cmocka_unit_test(exit_protocol_violation_is_reported_as_such),
	    cmocka_unit_test(helper_gone_the_kernel_kills_its_worker_with_its_death_signal),
	    cmocka_unit_test(worker_gone_mid_request_helper_keeps_serving),
	    cmocka_unit_test(sandbox_failure_aborts_before_application_code),
	    cmocka_unit_test(sandbox_refuses_root_as_the_worker_user),
	    cmocka_unit_test(a_kept_fd_is_never_one_of_the_helpers_own),
	    cmocka_unit_test(non_root_helper_applies_every_step_it_can),
	    cmocka_unit_test(stdio_never_carries_a_file_the_helper_opened),
	    cmocka_unit_test(stdio_is_never_one_of_the_helpers_own_fds),
	    cmocka_unit_test(a_new_worker_does_not_inherit_another_workers_messages),
	    cmocka_unit_test(limits_are_lowered_never_raised),
	    cmocka_unit_test(a_worker_cannot_claim_its_sandbox_failed),
	    cmocka_unit_test(a_worker_cannot_claim_a_seccomp_trap_in_enforce_mode),
	};
	(void)wait_main;
	return cmocka_run_group_tests_name("sandbox", tests, NULL, NULL);
}
