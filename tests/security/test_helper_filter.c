/* SPDX-License-Identifier: ISC */
/*
 * test_helper_filter.c - a helper under its own filter (helper.policy)
 * that still starts exec-mode workers through its spawner: the attacker
 * is the helper itself once compromised (a call outside its policy kills
 * it), and a worker started after the helper confined itself (only its
 * own filters, so its own policy decides and every violation is named).
 * Each test runs its helper in a child: confinement is for good.
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"

static int nreports;
static char report0[PROBE_REPORT_MAX + 1];
/* the reporting worker's Seccomp_filters, read while it waits */
static long filters0 = -1;

/* Seccomp_filters of /proc/PID/status, -1 if unreadable. */
static long seccomp_filters(pid_t pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Seccomp_filters: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int on_report(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (nreports == 0) {
		memcpy(report0, req->data, req->len);
		report0[req->len] = '\0';
		/* the worker waits for this answer: still alive */
		filters0 = seccomp_filters(privsep_worker_pid(req->worker));
	}
	nreports++;
	return 0;
}

static const struct privsep_handler table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

/* The value of a "Key:\tvalue" line of /proc/self/status in out: 0, or
 * -1 if there is none. */
static int status_field(const char *key, char *out, size_t len)
{
	char line[256];
	size_t k = strlen(key);
	int rc = -1;
	FILE *f = fopen("/proc/self/status", "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, k) && line[k] == ':') {
			snprintf(out, len, "%s", line + k + 1 + strspn(line + k + 1, " \t"));
			out[strcspn(out, "\n")] = '\0';
			rc = 0;
			break;
		}
	if (f)
		fclose(f);
	return rc;
}

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

static struct privsep_worker *spawn_probe_with(struct hx *x, int prog, const char *mode,
                                               const char *param, const char *policy_text)
{
	static const char *argv[5];
	static struct privsep_exec ex;
	static struct privsep_sandbox sb;
	struct privsep_spawn sp = {.name = "probe"};
	argv[0] = "exec_worker";
	argv[1] = PRIVSEP_EXEC_MARKER;
	argv[2] = mode;
	argv[3] = param;
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

static struct privsep_worker *spawn_probe(struct hx *x, int prog, const char *mode,
                                          const char *policy_text)
{
	return spawn_probe_with(x, prog, mode, "-", policy_text);
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

/* Confined by helper.policy, the helper starts an exec-mode worker (its
 * spawner does), and again once it is gone (what a restart and a reload
 * do); the worker has its own two filters only (exec mode's first and
 * its second), none of the helper's; its own policy decides: sendfile,
 * which the worker's default.policy does not allow, is a violation the
 * kernel names to the helper through the worker's listener. */
static int spawning_body(void)
{
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	if (!x || prog < 0)
		return 2;
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0 ||
	    seccomp_mode() != 2 ||
	    !hx_logged(x, "helper: confined by <helper.policy>; the spawner (pid ")) {
		dump(x);
		return 3;
	}
	for (int round = 0; round < 2; round++) {
		nreports = 0;
		filters0 = -1;
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
		if (filters0 != 2) {
			fprintf(stderr, "the worker's Seccomp_filters: %ld, not 2\n", filters0);
			return 8;
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
a_helper_confined_by_helper_policy_starts_workers_again_with_only_their_own_filters(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	in_child(spawning_body);
}

/* A worker started after the helper confined itself makes a call that
 * both its policy and the helper's refuse (ptrace; socket(AF_UNIX),
 * which helper-spawn.policy failed with EACCES): the helper's filter is
 * not the worker's, so the worker's listener names the call and its
 * arguments, and the worker is killed; the helper holds no capability
 * but cap_kill (no CAP_SYSLOG: the name comes from no audit record).
 * Then a call the worker's first filter allows with other arguments
 * only: the line names that filter's rule (exec.policy's). */
static int both_refuse_body(void)
{
	static const char *const modes[] = {"ptrace", "socket-unix"};
	static const char *const names[] = {"ptrace", "socket"};
	static const uint64_t arg1[] = {1, 1};
	/* as root: the helper keeps cap_kill (its workers run as other
	 * uids) and what a spawn needs, which confining leaves to the
	 * spawner and drops; so it holds cap_kill alone (not root: it
	 * has none to begin with, and its workers its uid) */
	static const char *const spawn_caps[] = {"cap_kill",    "cap_setuid",    "cap_setgid",
	                                         "cap_setpcap", "cap_sys_admin", "cap_sys_chroot"};
	const char *want = geteuid() == 0 ? "0000000000000020" : "0000000000000000";
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	char caps[64];
	if (!x || prog < 0)
		return 2;
	if (geteuid() == 0 && privsep_helper_keep_caps(spawn_caps, 6) < 0) {
		fprintf(stderr, "keep_caps: %s\n", strerror(errno));
		return 8;
	}
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0)
		return 3;
	if (status_field("CapEff", caps, sizeof(caps)) < 0 || strcmp(caps, want) ||
	    status_field("CapPrm", caps, sizeof(caps)) < 0 || strcmp(caps, want)) {
		fprintf(stderr, "the confined helper holds capabilities: %s\n", caps);
		return 7;
	}
	for (int i = 0; i < 2; i++) {
		nreports = 0;
		if (!spawn_probe(x, prog, modes[i], NULL) || !hx_pump_gone(x, i + 1, 20000)) {
			dump(x);
			return 4;
		}
		if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP || !x->last_exit.have_args ||
		    strcmp(x->last_exit.syscall_name, names[i]) ||
		    x->last_exit.args[1] != arg1[i] || nreports != 0) {
			dump(x);
			fprintf(stderr, "%s: report %s\n", modes[i], nreports ? report0 : "none");
			return 5;
		}
	}
	if (!hx_logged(x, "ptrace(0x2, 0x1, 0x4321") && !hx_logged(x, "ptrace(2, 1, 0x4321")) {
		dump(x);
		return 6;
	}
	/* a call its first filter allows with other arguments only: the
	 * line names that filter's rule (exec.policy's, which the confined
	 * helper's copy has: the spawner's answer says the rest of its
	 * text), not "not in it" of the worker's policy alone */
	if (!spawn_probe_with(x, prog, "seccomp", "action-avail", NULL) ||
	    !hx_pump_gone(x, 3, 20000) || x->last_exit.kind != PRIVSEP_EXIT_SECCOMP ||
	    !strstr(x->last_exit.line, "(no rule for this syscall matched its arguments: "
	                               "<exec.policy>:") ||
	    !strstr(x->last_exit.line, " (allow seccomp) wants arg0 == 0x1, it is 0x2)")) {
		dump(x);
		fprintf(stderr, "seccomp(SECCOMP_GET_ACTION_AVAIL): %s\n", x->last_exit.line);
		return 9;
	}
	close(prog);
	return 0;
}

static void
a_worker_started_after_confine_is_killed_for_a_call_both_filters_refuse_and_the_line_names_it(
    void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	in_child(both_refuse_body);
}

/* What a compromised helper confined by helper.policy tries: each call
 * kills it (SIGSYS); its workers are its spawner's to start. */
static void a_helper_confined_by_helper_policy_is_killed_by_a_call_outside_it(void **s)
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
			if (!h || privsep_helper_confine(h, NULL, NULL) < 0)
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

/* A helper that starts no worker once confined (the file-opener's case:
 * privsep_helper_confine, no PRIVSEP_CONFINE_EXEC_SPAWNS) has no
 * spawner: its only child is the worker it started before, none is an
 * unconfined process with the helper's privileges kept for nothing; it
 * holds no capability of a spawn; and a spawn after it, exec mode too,
 * fails closed (EPERM) with one line saying why.  Before, every
 * confined helper forked a spawner (two children here). */
static int no_spawner_body(void)
{
	/* as root: what a spawn needs, kept to see it dropped */
	static const char *const spawn_caps[] = {"cap_kill",    "cap_setuid",    "cap_setgid",
	                                         "cap_setpcap", "cap_sys_admin", "cap_sys_chroot"};
	const char *want = geteuid() == 0 ? "0000000000000020" : "0000000000000000";
	struct hx *x = hx_new(table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER), n;
	struct privsep_worker *w;
	pid_t kids[8];
	char caps[64];
	if (!x || prog < 0)
		return 2;
	if (geteuid() == 0 && privsep_helper_keep_caps(spawn_caps, 6) < 0)
		return 2;
	w = spawn_probe(x, prog, "pause", NULL);
	PUMP_WHILE(x->h, w && !privsep_worker_ready(w), 60000);
	if (!w || !privsep_worker_ready(w)) {
		dump(x);
		return 3;
	}
	if (privsep_helper_confine(x->h, NULL, NULL) < 0 || seccomp_mode() != 2 ||
	    !hx_logged(x, "helper: confined by <helper.policy>; no spawner: no worker starts "
	                  "from now on")) {
		dump(x);
		return 4;
	}
	n = hx_children(kids, 8);
	if (n != 1 || kids[0] != privsep_worker_pid(w)) {
		fprintf(stderr, "the confined helper has %d children (the worker is %d):", n,
		        (int)privsep_worker_pid(w));
		for (int i = 0; i < n; i++)
			fprintf(stderr, " %d", (int)kids[i]);
		fprintf(stderr, "\n");
		return 5;
	}
	if (status_field("CapEff", caps, sizeof(caps)) < 0 || strcmp(caps, want) ||
	    status_field("CapPrm", caps, sizeof(caps)) < 0 || strcmp(caps, want)) {
		fprintf(stderr, "the confined helper holds capabilities: %s\n", caps);
		return 6;
	}
	errno = 0;
	if (spawn_probe(x, prog, "report", NULL) || errno != EPERM ||
	    !hx_logged(x, "worker \"probe\": not started: the helper is confined (it was "
	                  "confined without PRIVSEP_CONFINE_EXEC_SPAWNS, so it has no spawner")) {
		dump(x);
		return 7;
	}
	privsep_worker_kill(w);
	if (!hx_pump_gone(x, 1, 20000) || hx_children(kids, 8) != 0) {
		dump(x);
		return 8;
	}
	close(prog);
	return 0;
}

static void a_helper_confined_without_exec_spawns_has_no_spawner_and_starts_no_worker(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	in_child(no_spawner_body);
}

/* A call whose reply carries an fd (of /dev/null, which helper.policy's
 * openat allows), as the file broker's replies do. */
#define PILE_T_GIVE (PRIVSEP_TYPE_APP_MIN + 1)

static int give_null(struct privsep_req *req, void *arg)
{
	(void)arg;
	return hx_reply_fd(req, open("/dev/null", O_RDONLY | O_CLOEXEC));
}

static const struct privsep_handler pile_table[] = {
    {PILE_T_GIVE, "give", 4, 4, 0, 0, PRIVSEP_H_CALL, give_null, NULL, 0},
};

/* A reply with one fd read from sock, if one is there: 1, else 0. */
static int took_fd_reply(int sock)
{
	uint8_t in[256];
	int fd;
	ssize_t n = hx_recv_fd(sock, in, sizeof(in), &fd);
	if (fd >= 0)
		close(fd);
	return n >= (ssize_t)PRIVSEP_HDR_LEN && fd >= 0;
}

/* Confined by helper.policy, the helper answers piles of calls (a worker
 * with asynchronous opens in flight) a turn at a time: each reply
 * arrives, with its fd, and the helper lives. */
static int pile_body(void)
{
	struct hx *x = hx_new(pile_table, 1, 0);
	struct privsep_worker *w = NULL;
	uint32_t id = 1;
	int sock, got = 0;
	if (!x || (sock = hx_attach_raw(x, "piler", &w)) < 0)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0 || seccomp_mode() != 2) {
		dump(x);
		return 3;
	}
	/* piles of five: a count prime to the probe's period (helper.c's
	 * pile_batch), so that a probe lands inside a pile */
	for (int pile = 0; pile < 40; pile++) {
		int want = got + 5;
		for (uint32_t i = 0; i < 5; i++)
			if (raw_send_u32(sock, PILE_T_GIVE, id++, i, NULL, 0) < 0)
				return 4;
		for (int t = 0; t < 4000 && got < want; t++) {
			privsep_helper_step(x->h, 5);
			while (got < want && took_fd_reply(sock))
				got++;
		}
		if (got != want) {
			dump(x);
			return 5;
		}
	}
	/* its calls came in piles, and were answered as piles */
	if (!w->rx_pile || x->gone) {
		dump(x);
		return 6;
	}
	close(sock);
	return 0;
}

static void a_helper_confined_by_helper_policy_answers_a_pile_of_calls_with_their_fds(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	in_child(pile_body);
}

/* A second confine never says it did what it did not: asked for no
 * spawner after a confine that forked one (or for exec spawns after one
 * without a spawner), it fails with EINVAL and one line, and the helper
 * is as it was (the spawner, its only child here, still lives; or still
 * none).  Before, it returned 0 whatever the flags: an application that
 * confined again without PRIVSEP_CONFINE_EXEC_SPAWNS believed no
 * unconfined process with its privileges was left, and one was. */
static int second_confine_body(void)
{
	struct hx *x = hx_new(table, 1, 0);
	pid_t kids[8];
	if (!x)
		return 2;
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0 ||
	    hx_children(kids, 8) != 1) {
		dump(x);
		return 3;
	}
	errno = 0;
	if (privsep_helper_confine(x->h, NULL, NULL) != -1 || errno != EINVAL ||
	    !hx_logged(x, "helper: cannot confine again without PRIVSEP_CONFINE_EXEC_SPAWNS: it "
	                  "was confined with it")) {
		dump(x);
		return 4;
	}
	if (hx_children(kids, 8) != 1)
		return 5;
	/* the same flags again: nothing to do */
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) != 0)
		return 6;
	return 0;
}

static int second_confine_spawns_body(void)
{
	struct hx *x = hx_new(table, 1, 0);
	pid_t kids[8];
	if (!x)
		return 2;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0 || hx_children(kids, 8) != 0) {
		dump(x);
		return 3;
	}
	errno = 0;
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) != -1 ||
	    errno != EINVAL ||
	    !hx_logged(x, "helper: cannot confine again with PRIVSEP_CONFINE_EXEC_SPAWNS: it "
	                  "was confined without it")) {
		dump(x);
		return 4;
	}
	if (hx_children(kids, 8) != 0 || privsep_helper_confine(x->h, NULL, NULL) != 0)
		return 5;
	return 0;
}

static void a_second_confine_with_other_flags_fails_and_changes_nothing(void **s)
{
	(void)s;
	if (under_valgrind())
		skip();
	in_child(second_confine_body);
	in_child(second_confine_spawns_body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_helper_confined_by_helper_policy_starts_workers_again_with_only_their_own_filters),
	    cmocka_unit_test(
	        a_worker_started_after_confine_is_killed_for_a_call_both_filters_refuse_and_the_line_names_it),
	    cmocka_unit_test(a_helper_confined_by_helper_policy_is_killed_by_a_call_outside_it),
	    cmocka_unit_test(
	        a_helper_confined_without_exec_spawns_has_no_spawner_and_starts_no_worker),
	    cmocka_unit_test(
	        a_helper_confined_by_helper_policy_answers_a_pile_of_calls_with_their_fds),
	    cmocka_unit_test(a_second_confine_with_other_flags_fails_and_changes_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
