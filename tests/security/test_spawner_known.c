/* SPDX-License-Identifier: ISC */
/*
 * test_spawner_known.c - a compromised confined helper gets nothing from
 * its spawner that it could not have had before confining.
 *
 * The attacker holds the confined helper, so the spawner's socket: it
 * writes its own request, field by field what the helper's code never
 * asks for (a program opened after confining, a policy that allows more
 * than the one loaded before, a user nobody named, learn mode).  Each is
 * refused with EPERM and one line on the spawner's standard error, and
 * the spawner goes on.  A reload's policy that allows no more than the
 * one of its name (a limit lowered) still starts.
 *
 * The helper starts its spawner directly (spawner_start, what
 * privsep_helper_confine does first), as test_spawner_attack.c does, so
 * that the test process stays unconfined and can look at what started.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "spawner.h"
#include "spawner_peer.h"

/* the policy the application loads before confining, by name and text */
#define KNOWN_NAME "known.policy"
#define KNOWN_TEXT "version 1\ninclude <default.policy>\nrlimit nofile 48\n"

/* The spawner's answer: its err and pid (the pid's process killed and
 * reaped: CLONE_PARENT made it our child); -1 when none came. */
static int answer(int sock, uint32_t *err, pid_t *pid)
{
	if (spawner_peer_answer(sock, err, pid, NULL, 0, NULL) < 0)
		return -1;
	if (*pid) {
		/* the helper's word on it (GOT: its pidfd arrived, closed) */
		spawner_peer_got(sock, *pid);
		kill(*pid, SIGKILL);
		waitpid(*pid, NULL, __WALL);
	}
	return 0;
}

struct fx {
	struct hx *x;
	int prog, err2;
	struct privsep_exec ex;
	struct privsep_sandbox sb;
	struct privsep_spawn sp;
};

/* A helper that started one worker under KNOWN, with the environment
 * envp and the read_beneath rb, before it "confined" (its spawner
 * started, its standard error a memfd of the test's). */
static void fx_new_with(struct fx *f, const char *const *envp, const char *const *rb)
{
	struct privsep_worker *w;
	memset(f, 0, sizeof(*f));
	f->x = spawner_peer_helper(&f->ex);
	f->prog = f->ex.fd;
	f->ex.envp = envp;
	f->ex.read_beneath = rb;
	while (rb && rb[f->ex.nread])
		f->ex.nread++;
	f->sb = (struct privsep_sandbox){.policy = KNOWN_NAME, .policy_text = KNOWN_TEXT};
	f->sp = (struct privsep_spawn){.name = "known", .exec = &f->ex, .sandbox = &f->sb};
	w = privsep_spawn(f->x->h, &f->sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(f->x, 1, 20000));
	f->err2 = spawner_peer_start(f->x->h);
	f->x->h->confined = 1; /* what privsep_helper_confine sets */
}

static void fx_new(struct fx *f)
{
	fx_new_with(f, NULL, NULL);
}

/* The attacker's request (the bytes the helper's code would write for
 * sp): refused with EPERM, a line holding what on the spawner's
 * standard error, nothing started. */
static void refused(struct fx *f, const struct privsep_spawn *sp, const char *what)
{
	uint8_t *buf = calloc(1, SPAWNER_REQ_MAX);
	int fds[SPAWNER_REQ_FDS];
	size_t len, nfds;
	uint32_t err = 0;
	pid_t pid = 0;
	int before = spawner_peer_lines_with(f->err2, what);
	assert_non_null(buf);
	assert_int_equal(spawner_req_write(sp, buf, SPAWNER_REQ_MAX, &len, fds, &nfds), 0);
	assert_int_equal(raw_send(f->x->h->spawner.sock, buf, len, fds, nfds), 0);
	free(buf);
	assert_int_equal(answer(f->x->h->spawner.sock, &err, &pid), 0);
	if (err != EPERM || pid)
		fail_msg("the spawner %s for a request it had no note of (%s): err %u, pid %d",
		         pid ? "started a worker" : "did not refuse with EPERM", what, err,
		         (int)pid);
	assert_int_equal(spawner_peer_lines_with(f->err2, what), before + 1);
}

/* The spawner goes on: the application's own spawn starts, and fx ends. */
static void fx_free(struct fx *f, int gone)
{
	struct privsep_worker *w = privsep_spawn(f->x->h, &f->sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(f->x, gone + 1, 20000));
	assert_int_equal(spawner_peer_lines_with(f->err2, "it exits"), 0);
	close(f->err2);
	close(f->prog);
	hx_free(f->x);
}

/* A program the helper opened after confining (/bin/sleep, a foreign
 * one) is not one its spawner starts, under the default policy or the
 * known one.  Fails on main: the spawner starts it. */
static void
a_compromised_confined_helper_gets_no_worker_of_a_program_opened_after_confining(void **s)
{
	struct fx f;
	static const char *argv_sleep[] = {"sleep", "60", NULL};
	struct privsep_exec ex = {.argv = argv_sleep, .flags = PRIVSEP_EXEC_FOREIGN};
	struct privsep_spawn sp = {.name = "sleeper", .exec = &ex};
	(void)s;
	fx_new(&f);
	ex.fd = privsep_exec_open("/bin/sleep");
	assert_true(ex.fd >= 0);
	refused(&f, &sp, "refused worker \"sleeper\": its program (device ");
	sp.sandbox = &f.sb;
	refused(&f, &sp, "refused worker \"sleeper\": its program (device ");
	close(ex.fd);
	fx_free(&f, 1);
}

/* A policy text that allows more than the one of its name loaded before
 * confining (a call more, a higher limit) or that none of its name was
 * (a permissive one under a new name) gives no worker; a reload that
 * allows no more (the limit lowered) starts.  Fails on main: the
 * spawner compiles whatever text it is sent. */
static void
a_compromised_confined_helper_gets_no_worker_under_a_policy_that_allows_more_than_one_loaded_before(
    void **s)
{
	struct fx f;
	struct privsep_sandbox sb;
	struct privsep_spawn sp;
	struct privsep_worker *w;
	(void)s;
	fx_new(&f);
	sb = f.sb;
	sp = f.sp;
	sp.sandbox = &sb;
	sb.policy_text = KNOWN_TEXT "allow sendfile because \"the attacker's\"\n";
	refused(&f, &sp, "allows sendfile, which the policy known had no such rule for");
	sb.policy_text = "version 1\ninclude <default.policy>\nrlimit nofile 4096\n";
	refused(&f, &sp, "a limit is higher or new");
	/* a file by path, which it could change between the check and the
	 * compile: refused before it is read */
	sb.policy_text = KNOWN_TEXT "include \"/nonexistent/more.policy\"\n";
	refused(&f, &sp, "is a new text that includes a file by path");
	sb.policy = "other.policy";
	sb.policy_text = KNOWN_TEXT;
	refused(&f, &sp, "its policy other.policy (in this mode) is none the helper loaded");
	/* a reload's text, a limit lowered: it starts */
	sb = f.sb;
	sb.policy_text = "version 1\ninclude <default.policy>\nrlimit nofile 40\n";
	w = privsep_spawn(f.x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(f.x, 2, 20000));
	fx_free(&f, 2);
}

/* A user that no spawn and no known policy named before confining
 * ("daemon", uid 1 on Debian) is not one a worker of the spawner's runs
 * as.  Fails on main (as root: the worker runs as daemon). */
static void a_compromised_confined_helper_gets_no_worker_as_a_user_nobody_named_before(void **s)
{
	struct fx f;
	struct privsep_sandbox sb;
	struct privsep_spawn sp;
	(void)s;
	fx_new(&f);
	sb = f.sb;
	sp = f.sp;
	sp.sandbox = &sb;
	sb.user = "daemon";
	refused(&f, &sp, "refused worker \"known\": its user \"daemon\" is none");
	sb.user = "0";
	refused(&f, &sp, "refused worker \"known\": its user \"0\" is none");
	fx_free(&f, 1);
}

/* Learn mode (the worker's denied calls let through, at the helper's
 * word, which is the attacker's) is not the spawner's to give when no
 * spawn asked for it before confining: not under the default policy,
 * not under the known one.  Fails on main: a learn-mode worker starts. */
static void
a_compromised_confined_helper_gets_no_learn_mode_worker_nobody_asked_for_before(void **s)
{
	struct fx f;
	struct privsep_sandbox sb = {.flags = PRIVSEP_SB_LEARN};
	struct privsep_spawn sp;
	(void)s;
	fx_new(&f);
	sp = f.sp;
	sp.sandbox = &sb;
	refused(&f, &sp, "learn mode (not enforced), which no spawn asked for");
	sb = f.sb;
	sb.flags = PRIVSEP_SB_LEARN;
	refused(&f, &sp, "its policy known.policy (in this mode) is none the helper loaded");
	fx_free(&f, 1);
}

/* The loader's variables (the ones glibc drops in secure mode) in an
 * exec-mode worker's environment run code of the request's choice in the
 * new image before it narrows itself, under the first filter and
 * Landlock layer: LD_PRELOAD of any library beneath the loader's
 * directories, LD_LIBRARY_PATH to another libprivsep, LD_AUDIT,
 * GLIBC_TUNABLES.  One no spawn gave before confining gives no worker;
 * the very entry one gave, and any other variable, still start.  Fails
 * on main: the spawner starts a worker with LD_PRELOAD. */
static void
a_compromised_confined_helper_gets_no_worker_with_a_loader_variable_no_spawn_gave_before(void **s)
{
	static const char *const before[] = {"LD_LIBRARY_PATH=/nonexistent-known", "LANG=C", NULL};
	/* each entry, and the name its refusal says (the name alone: the
	 * rest, a line of its own here, is the request's) */
	static const char *const attacks[][2] = {
	    {"LD_PRELOAD=/usr/lib/libattacker.so", "LD_PRELOAD"},
	    {"LD_LIBRARY_PATH=/tmp", "LD_LIBRARY_PATH"},
	    {"LD_AUDIT=/usr/lib/libattacker.so", "LD_AUDIT"},
	    {"GLIBC_TUNABLES=glibc.malloc.check=3", "GLIBC_TUNABLES"},
	    {"MALLOC_PERTURB_=85", "MALLOC_PERTURB_"},
	    {"GCONV_PATH=/tmp", "GCONV_PATH"},
	    {"LD_PRELOAD\nprivsep: a forged line=1", "LD_PRELOAD"},
	};
	static const char *const fine[] = {"LANG=C.UTF-8", "HOME=/",
	                                   "LD_LIBRARY_PATH=/nonexistent-known", NULL};
	const char *env[3];
	char line[160];
	struct fx f;
	struct privsep_exec ex;
	struct privsep_spawn sp;
	struct privsep_worker *w;
	(void)s;
	fx_new_with(&f, before, NULL);
	ex = f.ex;
	sp = f.sp;
	sp.exec = &ex;
	for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++) {
		/* the variable alone, and after an ordinary one */
		env[0] = attacks[i][0];
		env[1] = NULL;
		ex.envp = env;
		snprintf(line, sizeof(line),
		         "refused worker \"known\": its environment sets %s, a variable",
		         attacks[i][1]);
		refused(&f, &sp, line);
		env[0] = "LANG=C";
		env[1] = attacks[i][0];
		env[2] = NULL;
		refused(&f, &sp, line);
	}
	/* what the application gave before, and no variable of the loader's */
	ex.envp = fine;
	w = privsep_spawn(f.x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(f.x, 2, 20000));
	fx_free(&f, 2);
}

/* An exec-mode worker's read_beneath is bound into its root (a root
 * helper's) and is its first Landlock layer's to read: "/" gave a worker
 * of a known program, its argv the request's, every file its user may
 * read, which the confined helper itself no longer can.  A path no spawn
 * gave before confining gives no worker, alone or after the known one;
 * the known one starts.  Fails on main: the spawner starts a worker that
 * reads beneath "/". */
static void
a_compromised_confined_helper_gets_no_worker_reading_beneath_a_path_no_spawn_gave_before(void **s)
{
	static const char *const known[] = {"/usr/share", NULL};
	static const char *const root[] = {"/", NULL};
	static const char *const more[] = {"/usr/share", "/etc", NULL};
	static const char *const line[] = {"/usr/share\nprivsep: a forged line", NULL};
	struct fx f;
	struct privsep_exec ex;
	struct privsep_spawn sp;
	(void)s;
	fx_new_with(&f, NULL, known);
	ex = f.ex;
	sp = f.sp;
	sp.exec = &ex;
	ex.read_beneath = root;
	ex.nread = 1;
	refused(&f, &sp, "refused worker \"known\": its read_beneath \"/\" is none a spawn gave");
	ex.read_beneath = more;
	ex.nread = 2;
	refused(&f, &sp, "refused worker \"known\": its read_beneath \"/etc\" is none");
	ex.read_beneath = line;
	ex.nread = 1;
	refused(&f, &sp, "its read_beneath \"/usr/share\"... is none");
	assert_int_equal(spawner_peer_lines_with(f.err2, "forged"), 0);
	/* the application's own, known: it starts */
	fx_free(&f, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_worker_of_a_program_opened_after_confining),
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_worker_under_a_policy_that_allows_more_than_one_loaded_before),
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_worker_as_a_user_nobody_named_before),
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_learn_mode_worker_nobody_asked_for_before),
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_worker_with_a_loader_variable_no_spawn_gave_before),
	    cmocka_unit_test(
	        a_compromised_confined_helper_gets_no_worker_reading_beneath_a_path_no_spawn_gave_before),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
