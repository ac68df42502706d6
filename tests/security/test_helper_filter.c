/* SPDX-License-Identifier: ISC */
/*
 * test_helper_filter.c - a helper under its own filter (helper-spawn.policy)
 * that still starts exec-mode workers: the attacker is the helper itself
 * once compromised (a call outside its policy kills it), and a worker
 * (its own policy still decides under the helper's filter).  Each test
 * runs its helper in a child: confinement is for good.
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
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"

static const char spawn_policy[] = "version 1\ninclude <helper-spawn.policy>\n";

static int nreports;
static char report0[PROBE_REPORT_MAX + 1];

static int on_report(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (nreports == 0) {
		memcpy(report0, req->data, req->len);
		report0[req->len] = '\0';
	}
	nreports++;
	return 0;
}

static const struct privsep_handler table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

/* Seccomp: of /proc/self/status (2: a filter), -1 if unreadable. */
static int seccomp_mode(void)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp: %d", &v) == 1)
			break;
	fclose(f);
	return v;
}

static struct privsep_worker *spawn_probe(struct hx *x, int prog, const char *mode,
                                          const char *policy_text)
{
	static const char *argv[5];
	static struct privsep_exec ex;
	static struct privsep_sandbox sb;
	struct privsep_spawn sp = {.name = "probe"};
	argv[0] = "exec_worker";
	argv[1] = PRIVSEP_EXEC_MARKER;
	argv[2] = mode;
	argv[3] = "-";
	argv[4] = NULL;
	ex = (struct privsep_exec){.fd = prog, .argv = argv};
	sp.exec = &ex;
	if (policy_text) {
		sb =
		    (struct privsep_sandbox){.policy = "worker.policy", .policy_text = policy_text};
		sp.sandbox = &sb;
	}
	return privsep_spawn(x->h, &sp);
}

static void dump(const struct hx *x)
{
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

/* Run body in a child helper; its exit status must be 0. */
static void in_child(int (*body)(void))
{
	int st;
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(body());
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the confined helper %s %d",
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
}

/* Confined by helper-spawn.policy, the helper starts an exec-mode worker,
 * and again once it is gone (what a restart and a reload do); the
 * worker's own policy still decides: sendfile, which the helper's filter
 * allows and the worker's default.policy does not, is a violation the
 * kernel names to the helper through the worker's listener. */
static int spawning_body(void)
{
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	if (!x || prog < 0)
		return 2;
	if (privsep_helper_confine(x->h, "spawn.policy", spawn_policy) < 0 || seccomp_mode() != 2 ||
	    !hx_logged(x, "helper: confined by spawn.policy, which lets it start workers")) {
		dump(x);
		return 3;
	}
	for (int round = 0; round < 2; round++) {
		nreports = 0;
		if (!spawn_probe(x, prog, "report", NULL)) {
			dump(x);
			return 4;
		}
		if (!hx_pump_gone(x, round + 1, 20000) || nreports != 1 ||
		    !strstr(report0, "canary=")) {
			dump(x);
			fprintf(stderr, "report: %s\n", report0);
			return 5;
		}
	}
	if (!spawn_probe(x, prog, "sendfile", NULL) || !hx_pump_gone(x, 3, 20000)) {
		dump(x);
		return 6;
	}
	if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP || !x->last_exit.have_args ||
	    strcmp(x->last_exit.syscall_name, "sendfile") || x->last_exit.args[3] != 0x1234) {
		dump(x);
		return 7;
	}
	close(prog);
	return 0;
}

static void
a_helper_confined_by_helper_spawn_policy_still_starts_workers_whose_policy_decides(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	in_child(spawning_body);
}

/* A worker whose policy allows what the helper's filter kills would be
 * killed for a call its own policy allows: it is not started, and the
 * line names the call. */
static int misfit_body(void)
{
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	static const char wide[] =
	    "version 1\ninclude <default.policy>\n"
	    "allow socket if domain == AF_INET because \"a socket the helper's filter refuses\"\n";
	if (!x || prog < 0)
		return 2;
	if (privsep_helper_confine(x->h, "spawn.policy", spawn_policy) < 0)
		return 3;
	errno = 0;
	if (spawn_probe(x, prog, "report", wide) || errno != EPERM ||
	    !hx_logged(x, "worker \"probe\": not started: the helper's own filter overrides the "
	                  "worker's policy for socket(")) {
		dump(x);
		return 4;
	}
	close(prog);
	return 0;
}

static void a_worker_whose_policy_the_helpers_filter_would_override_is_not_started(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	in_child(misfit_body);
}

/* What a compromised helper confined by helper-spawn.policy tries: each
 * call kills it (SIGSYS), though it may still fork, unshare and execveat
 * for its workers. */
static void a_helper_confined_by_helper_spawn_policy_is_killed_by_a_call_outside_it(void **s)
{
	static const char *const what[] = {"ptrace", "execve", "bpf", "init_module", "socket"};
	(void)s;
	if (under_valgrind())
		skip();
	for (size_t i = 0; i < sizeof(what) / sizeof(what[0]); i++) {
		int st;
		pid_t p = fork();
		assert_true(p >= 0);
		if (p == 0) {
			struct privsep_helper_config cfg = {0};
			struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
			static char t[] = "true";
			char *const av[] = {t, NULL}, *const ev[] = {NULL};
			if (!h || privsep_helper_confine(h, "spawn.policy", spawn_policy) < 0)
				_exit(2);
			switch (i) {
			case 0:
				syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0);
				break;
			case 1:
				execve("/bin/true", av, ev);
				break;
			case 2:
				syscall(SYS_bpf, 0, 0, 0);
				break;
			case 3:
				syscall(SYS_init_module, 0, 0, "");
				break;
			case 4:
				syscall(SYS_socket, 2, 1, 0);
				break;
			}
			_exit(0);
		}
		assert_int_equal(waitpid(p, &st, 0), p);
		if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGSYS)
			fail_msg("%s: the confined helper %s %d", what[i],
			         WIFEXITED(st) ? "exited with" : "was killed by",
			         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_helper_confined_by_helper_spawn_policy_still_starts_workers_whose_policy_decides),
	    cmocka_unit_test(
	        a_worker_whose_policy_the_helpers_filter_would_override_is_not_started),
	    cmocka_unit_test(
	        a_helper_confined_by_helper_spawn_policy_is_killed_by_a_call_outside_it),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
