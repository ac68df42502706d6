/* SPDX-License-Identifier: ISC */
/*
 * The uid lease's look at every process (uidpool.c), by whichever way
 * the kernel offers (PIDFD_GET_INFO, else /proc/PID/status): a uid or
 * gid of the range that a process holds as any one of its eight ids
 * (real, effective, saved, filesystem) is never leased, and neither is
 * the one kept ahead once a process took it by a way the databases know.
 * Root only: only root can give a process such ids and take leases.
 * And the lease ahead is taken when the helper has nothing else to do,
 * never between a spawn and its worker's READY, where its scan of /proc
 * would share the CPUs with the starting worker.
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
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "privsep.h"
#include "uidpool.h"

/* A child that holds id in the one slot which (0-3: real, effective,
 * saved, filesystem uid; 4-7 the gids), ready when this returns. */
static pid_t holder(unsigned which, unsigned id)
{
	int p[2];
	char b;
	pid_t pid;
	assert_int_equal(pipe(p), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int rc;
		uid_t u = (uid_t)id;
		gid_t g = (gid_t)id;
		const uid_t keep = (uid_t)-1;
		switch (which) {
		case 0:
			rc = setresuid(u, keep, keep);
			break;
		case 1:
			rc = setresuid(keep, u, keep);
			break;
		case 2:
			rc = setresuid(keep, keep, u);
			break;
		case 3:
			rc = (setfsuid(u), (uid_t)setfsuid(u) == u ? 0 : -1);
			break;
		case 4:
			rc = setresgid(g, (gid_t)-1, (gid_t)-1);
			break;
		case 5:
			rc = setresgid((gid_t)-1, g, (gid_t)-1);
			break;
		case 6:
			rc = setresgid((gid_t)-1, (gid_t)-1, g);
			break;
		default:
			rc = (setfsgid(g), (gid_t)setfsgid(g) == g ? 0 : -1);
			break;
		}
		if (rc < 0 || write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(p[1]);
	assert_int_equal(read(p[0], &b, 1), 1);
	close(p[0]);
	return pid;
}

static void stop(pid_t pid)
{
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

/* The uid the next lease would give (leased and released). */
static unsigned next_free(void)
{
	char why[160];
	uid_t u;
	int fd = uidpool_acquire(&u, why, sizeof(why));
	if (fd < 0)
		fail_msg("no uid: %s", why);
	close(fd);
	return (unsigned)u;
}

static void a_uid_any_process_holds_in_any_id_slot_is_never_leased(void **state)
{
	static const char *const slot[8] = {"real uid", "effective uid", "saved uid", "fs uid",
	                                    "real gid", "effective gid", "saved gid", "fs gid"};
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: only root can give a process such ids\n");
		skip();
	}
	uidpool_drop_spare();
	for (unsigned which = 0; which < 8; which++) {
		char why[160];
		uid_t got;
		unsigned id = next_free();
		pid_t pid = holder(which, id);
		int fd = uidpool_acquire(&got, why, sizeof(why));
		stop(pid);
		if (fd < 0)
			fail_msg("no uid: %s", why);
		close(fd);
		if ((unsigned)got == id)
			fail_msg("uid %u was leased while pid %d held it as its %s", id, (int)pid,
			         slot[which]);
		print_message("%-13s held: %u skipped, %u leased\n", slot[which], id,
		              (unsigned)got);
	}
}

/* The lease kept ahead is checked again when it is used: a lease file
 * made writable by others in between gives no uid. */
static void the_uid_leased_ahead_is_checked_again_when_used(void **state)
{
	char why[160];
	uid_t got;
	struct stat st;
	int fd;
	(void)state;
	if (geteuid() != 0) {
		print_message("skipped: not root: a helper that is not root leases no uid\n");
		skip();
	}
	uidpool_drop_spare();
	uidpool_prefetch();
	assert_int_equal(stat(UIDPOOL_DIR, &st), 0);
	assert_int_equal(chmod(UIDPOOL_DIR, 0777), 0);
	errno = 0;
	fd = uidpool_acquire(&got, why, sizeof(why));
	assert_int_equal(chmod(UIDPOOL_DIR, st.st_mode & 07777), 0);
	assert_int_equal(fd, -1);
	assert_int_equal(errno, EPERM);
	assert_non_null(strstr(why, "is not root's alone"));
	/* and the spare was not kept for a later acquire either */
	for (int f = 0; f < 1024; f++)
		assert_int_equal(uidpool_owns_fd(f), 0);
}

static int ready_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 0;
}

static void quiet(enum privsep_log_level lvl, const char *line, void *arg)
{
	(void)lvl;
	(void)line;
	(void)arg;
}

/* How many fds are the lease kept ahead (0 or 1). */
static int spare_held(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += uidpool_owns_fd(fd);
	return n;
}

/* The scan ahead (uidpool_prefetch) is off the start's path: none while
 * a worker starts (from privsep_spawn to its READY answered), one once
 * the helper is idle after it, and the next spawn takes it.  As a helper
 * that is not root: no lease at any point (its workers keep its uid). */
static void
the_next_uid_is_leased_ahead_once_the_worker_is_ready_never_while_it_starts(void **state)
{
	struct privsep_helper_config cfg = {.log = quiet};
	struct privsep_helper *h;
	struct privsep_spawn sp = {.name = "ahead", .main = ready_main};
	struct privsep_worker *w;
	int root = geteuid() == 0, steps = 0;
	(void)state;
	uidpool_drop_spare();
	h = privsep_helper_new(NULL, 0, &cfg);
	assert_non_null(h);
	for (int round = 0; round < 3; round++) {
		w = privsep_spawn(h, &sp);
		assert_non_null(w);
		/* the spawn took the lease ahead (round > 0) and took none
		 * for the next one yet */
		if (spare_held())
			fail_msg("round %d: a uid was leased ahead between the spawn and its READY",
			         round);
		while (!privsep_worker_ready(w)) {
			assert_true(privsep_helper_step(h, 5000) >= 0);
			assert_true(++steps < 10000);
			if (!privsep_worker_ready(w) && spare_held())
				fail_msg(
				    "round %d: a uid was leased ahead while the worker started",
				    round);
		}
		/* the worker is past READY: the next step that finds nothing
		 * waiting leases ahead (as root) */
		for (int k = 0; k < 500 && spare_held() != root; k++)
			assert_true(privsep_helper_step(h, 10) >= 0);
		assert_int_equal(spare_held(), root);
		assert_int_equal(privsep_helper_run(h), 0);
		assert_int_equal(spare_held(), root);
	}
	privsep_helper_free(h);
	assert_int_equal(spare_held(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_uid_any_process_holds_in_any_id_slot_is_never_leased),
	    cmocka_unit_test(the_uid_leased_ahead_is_checked_again_when_used),
	    cmocka_unit_test(
	        the_next_uid_is_leased_ahead_once_the_worker_is_ready_never_while_it_starts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
