/* SPDX-License-Identifier: ISC */
/*
 * The uid leased ahead is checked again after the fork, while the child
 * takes steps 1 to 4 (sandbox_uid_confirm), and the child waits for the
 * helper's word before step 5: nothing ever runs as that uid unless the
 * helper confirmed it.  A uid that systemd (or the databases) gave out
 * since its lease is never a worker's: the worker starts with another.
 * Root only: a helper that is not root leases no uid.
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
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan.h"
#include "harness.h"
#include "policy.h"
#include "sandbox.h"
#include "uidpool.h"

#define SYSTEMD_LEASES "/run/systemd/dynamic-uid"

/* A child under plan that reports, at step 5's end or failure, the step
 * and its real and effective uid through p (a pipe kept across step 1). */
static pid_t child_to_step5(const struct sb_plan *plan, int report)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char why[256];
		int rc = sandbox_enter(plan, why, sizeof(why));
		uint32_t out[3] = {(uint32_t)rc, (uint32_t)getuid(), (uint32_t)geteuid()};
		/* a filter allows write: the report of a child that got through */
		_exit(write(report, out, sizeof(out)) == sizeof(out) ? 0 : 1);
	}
	return pid;
}

static void a_uid_leased_ahead_is_never_a_childs_unless_the_helper_confirms_it(void **state)
{
	struct policy *pol =
	    policy_load("<default.policy>", policy_shipped("default.policy"), NULL, NULL);
	struct filter_prog prog;
	char why[256];
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	assert_non_null(pol);
	assert_int_equal(policy_compile(pol, &prog, 0, NULL, NULL), 0);
	/* round 0: the helper's end closes, no word (the helper found the
	 * uid taken, or died); round 1: confirmed */
	for (int round = 0; round < 2; round++) {
		struct sb_plan plan;
		int sv[2], p[2], st;
		uint32_t got[3];
		uid_t spare;
		assert_int_equal(chan_pair(sv), 0);
		assert_int_equal(pipe(p), 0);
		int keep[1] = {p[1]};
		struct privsep_sandbox sb = {.keep_fds = keep, .nkeep = 1};
		uidpool_drop_spare();
		uidpool_prefetch();
		assert_int_equal(uidpool_spare(&spare), 1);
		assert_int_equal(
		    sandbox_prepare_spawn(&plan, &sb, pol, &prog, sv[1], 0, why, sizeof(why)), 0);
		assert_int_equal(plan.uid_again, 1);
		assert_int_equal(plan.uid, spare);
		pid_t pid = child_to_step5(&plan, p[1]);
		close(sv[1]);
		close(p[1]);
		if (round == 0)
			close(sv[0]);
		else
			assert_int_equal(sandbox_uid_confirm(&plan, sv[0], why, sizeof(why)), 0);
		assert_int_equal(read(p[0], got, sizeof(got)), (ssize_t)sizeof(got));
		assert_int_equal(waitpid(pid, &st, 0), pid);
		if (round == 0) {
			if (got[0] != PRIVSEP_SB_STEP_IDS || got[1] != 0 || got[2] != 0)
				fail_msg(
				    "unconfirmed: step %u, uid %u/%u (want step 5 failed, still "
				    "root)",
				    got[0], got[1], got[2]);
		} else {
			close(sv[0]);
			if (got[0] != 0 || got[1] != spare || got[2] != spare)
				fail_msg("confirmed: step %u, uid %u/%u (want 0, %u)", got[0],
				         got[1], got[2], (unsigned)spare);
		}
		close(p[0]);
		sandbox_release(&plan);
	}
	filter_prog_free(&prog);
	policy_free(pol);
}

/* A child that failed a step before 5 and is gone before the helper's
 * confirmation: that is no failure of the spawn (the child's own report
 * of its step waits on the channel, and it never ran as the uid); the
 * spawn goes on to read it.  (With the check after the fork, a fast
 * failure, such as step 3 without CAP_SYS_ADMIN, ends the child before
 * the helper's NSS lookups do.) */
static void a_confirmation_to_a_child_already_gone_is_no_failure_of_the_spawn(void **state)
{
	struct sb_plan plan;
	char why[256];
	int sv[2];
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	memset(&plan, 0, sizeof(plan));
	uidpool_drop_spare();
	uidpool_prefetch();
	assert_int_equal(uidpool_spare(&plan.uid), 1);
	plan.uid_again = 1;
	assert_int_equal(chan_pair(sv), 0);
	close(sv[1]); /* the child's end: gone */
	assert_int_equal(sandbox_uid_confirm(&plan, sv[0], why, sizeof(why)), 0);
	close(sv[0]);
	uidpool_drop_spare();
}

static int ready_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

/* A root helper whose child fails a step before 5 (here step 3: no
 * CAP_SYS_ADMIN, fast, well before the helper's NSS lookups end), with a
 * uid leased ahead, still reports that step with its line: the child
 * takes the helper's byte before it exits.  (Left unread in its socket,
 * the byte reset the connection, and the helper read ECONNRESET before
 * the report: "channel error: Connection reset by peer" and a bare exit
 * status 127 instead.) */
static void
a_step_that_fails_before_the_uids_confirmation_is_still_reported_as_that_step(void **state)
{
	int p[2], st;
	pid_t pid;
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cap_t c = cap_get_proc();
		cap_value_t v = CAP_SYS_ADMIN;
		struct privsep_spawn sp = {.name = "nons", .main = ready_main};
		struct hx *x;
		char out[64] = "ok";
		cap_set_flag(c, CAP_EFFECTIVE, 1, &v, CAP_CLEAR);
		cap_set_flag(c, CAP_PERMITTED, 1, &v, CAP_CLEAR);
		if (cap_set_proc(c) < 0)
			_exit(2);
		x = hx_new(NULL, 0, 0);
		for (int round = 0; round < 3 && !strcmp(out, "ok"); round++) {
			uid_t u;
			uidpool_drop_spare();
			uidpool_prefetch();
			if (!uidpool_spare(&u) || !privsep_spawn(x->h, &sp) ||
			    !hx_pump_gone(x, round + 1, 10000))
				_exit(3);
			if (x->last_exit.kind != PRIVSEP_EXIT_SANDBOX ||
			    x->last_exit.step != PRIVSEP_SB_STEP_NAMESPACES ||
			    hx_logged(x, "channel error"))
				snprintf(out, sizeof(out), "round %d: end %d, step %d%s", round,
				         (int)x->last_exit.kind, x->last_exit.step,
				         hx_logged(x, "channel error") ? ", a channel error" : "");
		}
		_exit(write(p[1], out, strlen(out) + 1) > 0 ? 0 : 4);
	}
	close(p[1]);
	{
		char in[64] = "";
		assert_true(read(p[0], in, sizeof(in) - 1) > 0);
		if (strcmp(in, "ok") != 0)
			fail_msg("%s (want the end: sandbox step 3, no channel error)", in);
	}
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* The real uid in /proc/PID/status (alive or a zombie not yet reaped). */
static unsigned status_uid(pid_t pid)
{
	char path[64], buf[2048], *u;
	ssize_t n;
	int fd;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	u = strstr(buf, "\nUid:");
	assert_non_null(u);
	return (unsigned)strtoul(u + 5, NULL, 10);
}

static void a_uid_taken_since_it_was_leased_ahead_is_never_a_workers(void **state)
{
	struct privsep_spawn sp = {.name = "taken", .main = ready_main};
	struct privsep_worker *w;
	struct hx *x;
	char lease[64];
	uid_t spare;
	int made_dir = 0, fd, steps = 0;
	unsigned uid;
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	x = hx_new(NULL, 0, 0);
	assert_non_null(x);
	uidpool_drop_spare();
	uidpool_prefetch();
	assert_int_equal(uidpool_spare(&spare), 1);
	/* systemd gives the uid out meanwhile (its lease, as it writes it
	 * before it starts the process) */
	if (mkdir(SYSTEMD_LEASES, 0755) == 0)
		made_dir = 1;
	else
		assert_int_equal(errno, EEXIST);
	snprintf(lease, sizeof(lease), SYSTEMD_LEASES "/%u", (unsigned)spare);
	fd = open(lease, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	close(fd);
	w = privsep_spawn(x->h, &sp);
	unlink(lease);
	if (made_dir)
		rmdir(SYSTEMD_LEASES);
	assert_non_null(w);
	while (!privsep_worker_ready(w) && steps++ < 2000)
		privsep_helper_step(x->h, 10);
	assert_true(privsep_worker_ready(w));
	uid = status_uid(privsep_worker_pid(w));
	if (uid == (unsigned)spare || uid < UIDPOOL_MIN || uid > UIDPOOL_MAX)
		fail_msg("the worker runs as uid %u (the one taken since its lease: %u)", uid,
		         (unsigned)spare);
	assert_true(hx_logged(x, "worker \"taken\": the uid leased ahead is taken since"));
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_uid_leased_ahead_is_never_a_childs_unless_the_helper_confirms_it),
	    cmocka_unit_test(a_uid_taken_since_it_was_leased_ahead_is_never_a_workers),
	    cmocka_unit_test(a_confirmation_to_a_child_already_gone_is_no_failure_of_the_spawn),
	    cmocka_unit_test(
	        a_step_that_fails_before_the_uids_confirmation_is_still_reported_as_that_step),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
