/* SPDX-License-Identifier: ISC */
/*
 * The uid leased ahead is checked again after the fork, while the child
 * takes steps 1 to 4 (sandbox_uid_confirm), and the child waits for the
 * helper's word before step 5: nothing ever runs as that uid unless the
 * helper confirmed it.  A uid that systemd (or the databases) gave out
 * since its lease is never a worker's: the worker starts with another.
 * Root only: a helper that is not root leases no uid.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
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
	int made_dir = 0, fd;
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
	PUMP_WHILE(x->h, !privsep_worker_ready(w), 60000);
	assert_true(privsep_worker_ready(w));
	uid = status_uid(privsep_worker_pid(w));
	if (uid == (unsigned)spare || uid < UIDPOOL_MIN || uid > UIDPOOL_MAX)
		fail_msg("the worker runs as uid %u (the one taken since its lease: %u)", uid,
		         (unsigned)spare);
	assert_true(hx_logged(x, "worker \"taken\": the uid leased ahead is taken since"));
	hx_free(x);
}

/* ---- the same through the spawner of a helper confined by helper.policy
 * (privsep_helper_confine): the spawner checks the uid before its
 * clone3; the byte the child takes, before step 1, is the helper's go
 * (spawner.h, SPAWNER_GO) ---- */

/* The worker pid's uid: its every uid and gid, in the range, no other
 * process's (what test_uid.c checks of a worker the helper forks). */
static unsigned a_workers_own_uid(pid_t pid)
{
	unsigned u[4], g[4];
	pid_t who = 0;
	assert_int_equal(hx_ids_of(pid, u, g), 0);
	for (int i = 0; i < 4; i++)
		if (u[i] != u[0] || g[i] != u[0])
			fail_msg("worker pid %d: uids %u %u %u %u, gids %u %u %u %u", (int)pid,
			         u[0], u[1], u[2], u[3], g[0], g[1], g[2], g[3]);
	if (u[0] < UIDPOOL_MIN || u[0] > UIDPOOL_MAX)
		fail_msg("worker pid %d has uid %u, outside %u-%u", (int)pid, u[0], UIDPOOL_MIN,
		         UIDPOOL_MAX);
	if (hx_others_with_id(u[0], pid, &who))
		fail_msg("uid %u of worker pid %d is also pid %d's", u[0], (int)pid, (int)who);
	return u[0];
}

/* The uid whose lease the spawner keeps ahead (an OFD lock on the uid's
 * byte of the lease file, in its fdinfo), not the last worker's (whose
 * lease it closes after its answer), waited for (bounded: it leases it
 * after its answer); 0 if none came. */
static unsigned spawner_spare(pid_t spawner, unsigned last)
{
	for (int tries = 0; tries < 2000; tries++) {
		char path[64];
		struct dirent *e;
		DIR *d;
		snprintf(path, sizeof(path), "/proc/%d/fdinfo", (int)spawner);
		d = opendir(path);
		assert_non_null(d);
		while ((e = readdir(d))) {
			char fp[320], line[256];
			unsigned long start;
			FILE *f;
			if (e->d_name[0] == '.')
				continue;
			snprintf(fp, sizeof(fp), "%s/%s", path, e->d_name);
			f = fopen(fp, "re");
			while (f && fgets(line, sizeof(line), f)) {
				const char *l = strstr(line, "OFDLCK");
				/* "lock:\t1: OFDLCK ADVISORY WRITE -1 dev:ino start end" */
				if (l && strstr(l, "WRITE") &&
				    sscanf(strstr(l, "WRITE"), "WRITE %*d %*s %lu", &start) == 1) {
					if (UIDPOOL_MIN + (unsigned)start != last) {
						fclose(f);
						closedir(d);
						return UIDPOOL_MIN + (unsigned)start;
					}
				}
			}
			if (f)
				fclose(f);
		}
		closedir(d);
		poll(NULL, 0, 10);
	}
	return 0;
}

/* Between the confined helper (a child: confinement is for good) and
 * this process: the helper's reports, the test's go-aheads. */
static int to_test = -1, from_test = -1;
static char said[PROBE_REPORT_MAX + 1];

/* The worker waits for this answer: still alive, its uid looked at by
 * the test (unconfined) meanwhile. */
static int on_said(struct privsep_req *req, void *arg)
{
	pid_t pid = privsep_worker_pid(req->worker);
	char b;
	(void)arg;
	memcpy(said, req->data, req->len);
	said[req->len] = '\0';
	if (write(to_test, &pid, sizeof(pid)) != sizeof(pid) || read(from_test, &b, 1) != 1)
		_exit(9);
	return 0;
}

static const struct privsep_handler said_table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_said, NULL, 0},
};

static void dump(const struct hx *x)
{
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

/* The confined helper: its spawner's pid to the test, then three
 * workers (the second and third each after the test's go-ahead), each
 * saying what its fd 3 held at its start; 0, or why not. */
static int confined_body(void)
{
	static const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "chan-at-start", "-",
	                             NULL};
	struct hx *x = hx_new(said_table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	struct privsep_exec ex = {.fd = prog, .argv = argv};
	struct privsep_spawn sp = {.name = "confirmed", .exec = &ex};
	char b;
	if (!x || prog < 0)
		return 2;
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0) {
		dump(x);
		return 3;
	}
	if (write(to_test, &x->h->spawner.pid, sizeof(pid_t)) != sizeof(pid_t))
		return 4;
	for (int round = 0; round < 3; round++) {
		if (round > 0 && read(from_test, &b, 1) != 1)
			return 5;
		said[0] = '\0';
		if (!privsep_spawn(x->h, &sp) || !hx_pump_gone(x, round + 1, 20000)) {
			dump(x);
			return 6;
		}
		if (strcmp(said, "fd3=empty\n")) {
			dump(x);
			fprintf(stderr, "worker %d: %s", round, said[0] ? said : "said nothing\n");
			return 7;
		}
	}
	if (geteuid() == 0 &&
	    !hx_logged(x, "worker \"confirmed\": the uid leased ahead is taken since")) {
		dump(x);
		fprintf(stderr, "no line of the spawner's about the uid taken since its lease\n");
		return 8;
	}
	close(prog);
	return 0;
}

/* A worker a confined helper's spawner starts runs as the uid it leased
 * ahead and confirmed before its clone3 (its own: no other process's),
 * and finds nothing waiting on fd 3 when its program starts (the byte of
 * the confirmation was taken by step 5); a uid the spawner leased ahead
 * and that systemd gave out since is never a worker's: the spawner logs
 * "taken since ... leasing another", and the worker runs under another
 * uid.  Workers: 0, a lease made at its spawn; 1, the lease ahead,
 * confirmed; 2, the lease ahead, taken since. */
static void
a_confined_helpers_worker_runs_as_a_confirmed_uid_and_finds_its_channel_empty(void **state)
{
	int tt[2], ft[2], st, made_dir = 0, root = geteuid() == 0, reported = 0;
	unsigned uid[3] = {0, 0, 0}, spare[3] = {0, 0, 0};
	char lease[64] = "";
	pid_t helper, spawner = 0, w;
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	if (!root)
		print_message("not root: no uid is leased; fd 3 is checked only\n");
	assert_int_equal(pipe2(tt, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ft, O_CLOEXEC), 0);
	helper = fork();
	assert_true(helper >= 0);
	if (helper == 0) {
		close(tt[0]);
		close(ft[1]);
		to_test = tt[1];
		from_test = ft[0];
		_exit(confined_body());
	}
	close(tt[1]);
	close(ft[0]);
	assert_int_equal(read(tt[0], &spawner, sizeof(spawner)), (ssize_t)sizeof(spawner));
	for (int round = 0; round < 3; round++) {
		if (round > 0) {
			/* the spawner leases the next uid ahead */
			if (root && !(spare[round] = spawner_spare(spawner, uid[round - 1])))
				break;
			if (root && round == 2) {
				/* systemd gives it out meanwhile (its lease, as
				 * it writes it before it starts the process) */
				if (mkdir(SYSTEMD_LEASES, 0755) == 0)
					made_dir = 1;
				snprintf(lease, sizeof(lease), SYSTEMD_LEASES "/%u", spare[round]);
				int fd = open(lease, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
				if (fd < 0)
					lease[0] = '\0';
				else
					close(fd);
			}
			if (write(ft[1], "g", 1) != 1) /* go ahead */
				break;
		}
		/* the worker, at its report: alive, waiting for the answer */
		if (read(tt[0], &w, sizeof(w)) != (ssize_t)sizeof(w))
			break;
		reported++;
		if (root)
			uid[round] = a_workers_own_uid(w);
		if (write(ft[1], "a", 1) != 1) /* answer */
			break;
	}
	if (lease[0])
		unlink(lease);
	if (made_dir)
		rmdir(SYSTEMD_LEASES);
	close(ft[1]);
	assert_int_equal(waitpid(helper, &st, 0), helper);
	if (reported < 3)
		fail_msg("worker %d never reported (the confined helper %s %d)", reported,
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	if (root) {
		if (!spare[1] || !spare[2])
			fail_msg("the spawner leased no uid ahead (%u, %u)", spare[1], spare[2]);
		if (!lease[0] && spare[2])
			fail_msg("systemd's lease of uid %u could not be made", spare[2]);
		if (uid[1] != spare[1])
			fail_msg("the second worker runs as uid %u, not the one leased ahead, %u",
			         uid[1], spare[1]);
		if (uid[2] == spare[2])
			fail_msg("the third worker runs as uid %u, the one leased ahead and taken "
			         "since",
			         uid[2]);
	}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the confined helper %s %d",
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	close(tt[0]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_uid_leased_ahead_is_never_a_childs_unless_the_helper_confirms_it),
	    cmocka_unit_test(a_uid_taken_since_it_was_leased_ahead_is_never_a_workers),
	    cmocka_unit_test(a_confirmation_to_a_child_already_gone_is_no_failure_of_the_spawn),
	    cmocka_unit_test(
	        a_step_that_fails_before_the_uids_confirmation_is_still_reported_as_that_step),
	    cmocka_unit_test(
	        a_confined_helpers_worker_runs_as_a_confirmed_uid_and_finds_its_channel_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
