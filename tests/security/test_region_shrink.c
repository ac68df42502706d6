/* SPDX-License-Identifier: ISC */
/*
 * test_region_shrink.c - a worker's region changes between the helper's
 * look at its size (fstat) and its look at its seals (F_GET_SEALS): the
 * worker shrinks it, then adds F_SEAL_SHRINK and F_SEAL_GROW.  The seals
 * hold from then on, but the size the helper took is the old one.  The
 * helper must never copy a payload past the region's end: a read through
 * a mapping past the end of a memfd is SIGBUS, the helper's death.
 *
 * The race is made exact here, not hoped for: the helper's side
 * (region_rx_take) runs in a child whose F_GET_SEALS is a seccomp user
 * notification; the "worker" thread, told of it, shrinks and seals the
 * region, then lets the call go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
 * What a real worker does by timing, with a second thread, this does at
 * the one instant that matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "region.h"

#define BIG (1u << 20)

static int region_fd = -1;
static size_t pg;

/* The worker's act at each F_GET_SEALS of the helper's side: shrink
 * the region to one page of data and seal its size (once; later ones
 * fail harmlessly); then the call runs (hx_on_call). */
static void shrink(void)
{
	(void)!ftruncate(region_fd, (off_t)(pg + pg));
	(void)fcntl(region_fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW);
}

/* The helper's side, in a child: 0 when region_rx_take refused (1) or
 * failed (-1) without reading past the end; 3 when it said it copied a
 * payload the region does not hold; 2 when the setup failed; killed by
 * SIGBUS when it read past the end. */
static int helper_side(void)
{
	struct region_rx rx;
	struct region_copy c = {.region_max = 64u << 20};
	const void *p;
	char why[256];
	uint8_t *map;
	int rc;

	/* the worker's region: one control page and BIG bytes, every page
	 * written (allocated), no seal yet */
	region_fd = memfd_create("shrinking-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (region_fd < 0 || ftruncate(region_fd, (off_t)(pg + BIG)) < 0)
		return 2;
	map = mmap(NULL, pg + BIG, PROT_READ | PROT_WRITE, MAP_SHARED, region_fd, 0);
	if (map == MAP_FAILED)
		return 2;
	memset(map, 0x5a, pg + BIG);
	munmap(map, pg + BIG);

	if (hx_on_call(__NR_fcntl, F_GET_SEALS, shrink) < 0)
		return 2;

	memset(&rx, 0, sizeof(rx));
	rc = region_rx_take(&rx, &c, region_fd, BIG, 64u << 20, &p, why, sizeof(why));
	fprintf(stderr, "region_rx_take: %d (%s)\n", rc, rc ? why : "copied");
	return rc == 0 ? 3 : 0;
}

static void
a_region_shrunk_between_the_helper_s_size_and_seal_checks_is_never_read_past_its_end(void **state)
{
	int st;
	pid_t pid;
	(void)state;
	pg = (size_t)sysconf(_SC_PAGESIZE);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGBUS, SIG_DFL); /* cmocka's handler would hide it */
		signal(SIGSEGV, SIG_DFL);
		_exit(helper_side());
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("the helper's side died of signal %d (%s): it read past the region's end",
		         WTERMSIG(st), strsignal(WTERMSIG(st)));
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 2)
		skip(); /* no seccomp user notification here: nothing to race with */
	assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_region_shrunk_between_the_helper_s_size_and_seal_checks_is_never_read_past_its_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
