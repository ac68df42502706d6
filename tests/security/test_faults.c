/* SPDX-License-Identifier: ISC */
/*
 * Fault injection and resource exhaustion: the worker is hostile or dying,
 * allocations fail; the helper survives, loses nothing, and keeps serving
 * the others.
 */
#include <errno.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
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
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "policy.h"
#include "testapp.h"
#include "wire.h"

/* ---- an allocator that fails on demand (linked with --wrap) ---- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);

static long alloc_count, fail_at = -1;

static int should_fail(void)
{
	return fail_at >= 0 && ++alloc_count == fail_at;
}

void *__wrap_malloc(size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_malloc(n);
}

void *__wrap_calloc(size_t a, size_t b)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_calloc(a, b);
}

void *__wrap_realloc(void *p, size_t n)
{
	if (should_fail()) {
		errno = ENOMEM;
		return NULL;
	}
	return __real_realloc(p, n);
}

static long vm_rss_kb(void)
{
	char buf[4096];
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	const char *p = strstr(buf, "VmRSS:");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* ---- workers killed at random points ---- */

static int caller_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	/* calls that carry fds back and forth, forever: killed somewhere */
	for (;;) {
		uint8_t body[8];
		struct privsep_result res = {.data = body, .cap = sizeof(body)};
		int fd = open("/dev/null", O_RDONLY); /* not allowed in the sandbox: unsandboxed */
		if (privsep_client_call(
		        c, &(struct privsep_out){.type = T_GIVE_FDS, .data = "\4\0\0\0", .len = 4},
		        &res) == 0)
			for (size_t i = 0; i < res.nfds; i++)
				close(res.fds[i]);
		privsep_client_call(
		    c, &(struct privsep_out){.type = T_TAKE_FD, .fds = &fd, .nfds = 1}, &res);
		close(fd);
		privsep_client_post(c,
		                    &(struct privsep_out){.type = T_POST, .data = "x", .len = 1});
	}
	return 0;
}

/* Calls until the test says stop, through memory shared with it (an
 * unsandboxed child of the test process): it outlives every victim
 * however slow the machine. */
static int steady_main(struct privsep_client *c, void *arg)
{
	volatile atomic_int *stop = arg;
	while (!atomic_load(stop)) {
		uint8_t body[8];
		struct privsep_result res = {.data = body, .cap = sizeof(body)};
		if (privsep_client_ping(c, "ok", 2, &res) != 0 || res.len != 2)
			return 1;
	}
	return 0;
}

static void worker_killed_at_random_points_costs_the_helper_nothing(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_spawn killer = {.name = "victim", .main = caller_main, .unsandboxed = 1};
	atomic_int *stop =
	    mmap(NULL, sizeof(*stop), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(stop != MAP_FAILED);
	atomic_store(stop, 0);
	struct privsep_spawn steady = {
	    .name = "steady", .main = steady_main, .arg = stop, .unsandboxed = 1};
	int before = count_fds(), gone = 0;
	unsigned seed = (unsigned)time(NULL);
	print_message("seed %u\n", seed);
	srand(seed);
	assert_non_null(privsep_spawn(x->h, &steady));
	for (int round = 0; round < 40; round++) {
		struct privsep_worker *w = privsep_spawn(x->h, &killer);
		long long until;
		assert_non_null(w);
		/* serve it for a random while: before its first send, mid-stream,
		 * or while a reply with fds is on its way */
		until = now_us() + rand() % 20000;
		while (now_us() < until)
			privsep_helper_step(x->h, 1);
		kill(privsep_worker_pid(w), SIGKILL);
		gone++;
		assert_true(hx_pump_gone(x, gone, 5000));
		assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SIGNAL);
	}
	/* the steady worker finished all its calls */
	atomic_store(stop, 1);
	assert_true(hx_pump_gone(x, gone + 1, 20000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	assert_string_equal(x->last_gone, "steady");
	/* every fd the helper held for the victims is closed */
	assert_int_equal(count_fds(), before);
	hx_free(x);
	munmap(stop, sizeof(*stop));
}

/* ---- a flood that never reads ---- */

/* A worker that floods requests and never reads a reply: the helper
 * queues at most one reply for it and stops reading it meanwhile, so its
 * memory does not grow with the flood and another worker's call is
 * answered at its turn.  Both are asserted by what the helper does, not
 * by the clock: the flooder's queue (privsep_worker_stats) holds at most
 * one message, the process's RSS grows by less than 4 MiB, and the other
 * worker's PING, in its socket before the turn, is answered within two
 * turns of the event loop (privsep_helper_step), however loaded the
 * machine.  A helper that served the flood first, queued without bound
 * or blocked on the flooder fails here.  The time each answer took is
 * printed, not asserted. */
static void flood_memory_stays_bounded_and_others_are_answered_at_their_turn(void **s)
{
	(void)s;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_worker *fw = NULL;
	int flooder = hx_attach_raw(x, "flooder", &fw);
	int good = hx_attach_raw(x, "good", NULL);
	uint8_t rec[4096], blob[4000] = {0}, ans[4096];
	size_t len = rec_make(rec, PRIVSEP_T_PING, 1, blob, sizeof(blob), 0);
	long rss0, rss1;
	long long worst = 0;
	long sent = 0;
	int worst_turns = 0;
	uint64_t most_queued = 0;

	assert_true(flooder >= 0 && good >= 0 && fw);
	fcntl(flooder, F_SETFL, O_NONBLOCK);
	rss0 = vm_rss_kb();
	for (int round = 0; round < 50; round++) {
		struct privsep_stats st = {.size = sizeof(st)};
		struct pollfd pf = {.fd = good, .events = POLLIN};
		uint8_t ping[64];
		size_t plen = rec_make(ping, PRIVSEP_T_PING, (uint32_t)round + 1, "hi", 2, 0);
		struct wire_hdr h;
		long long t0;
		int turns = 0;
		ssize_t n;
		/* fill everything the kernel will take, then more attempts */
		for (int i = 0; i < 2000; i++) {
			if (send(flooder, rec, len, MSG_NOSIGNAL) < 0)
				break; /* full: the helper stopped reading it */
			sent++;
			privsep_helper_step(x->h, 0);
		}
		assert_int_equal(privsep_worker_stats(fw, &st), 0);
		if (st.queued > most_queued)
			most_queued = st.queued;
		/* the other worker's call is in its socket; each turn may
		 * wait (1 s) only when the helper has nothing to do */
		t0 = now_us();
		assert_int_equal(raw_send(good, ping, plen, NULL, 0), 0);
		while (poll(&pf, 1, 0) == 0 && turns < 50) {
			privsep_helper_step(x->h, 1000);
			turns++;
		}
		if (now_us() - t0 > worst)
			worst = now_us() - t0;
		if (turns > worst_turns)
			worst_turns = turns;
		n = recv(good, ans, sizeof(ans), 0);
		assert_true(n >= (ssize_t)PRIVSEP_HDR_LEN);
		assert_int_equal(wire_check(ans, (size_t)n, 0, sizeof(ans), &h), PRIVSEP_V_NONE);
		assert_int_equal(h.type, PRIVSEP_T_REPLY);
		assert_int_equal(h.id, (uint32_t)round + 1);
	}
	rss1 = vm_rss_kb();
	print_message("flood: %ld records accepted by the kernel, rss %ld -> %ld kB, the flooder's "
	              "queue at most %llu, the other's ping answered within %d turns, %lld us\n",
	              sent, rss0, rss1, (unsigned long long)most_queued, worst_turns, worst);
	/* at most one reply held for the flooder: no growth with the flood
	 * (generous: 4 MiB), and the other worker answered at its turn */
	assert_true(most_queued <= 1);
	assert_true(rss1 - rss0 < 4096);
	assert_true(worst_turns <= 2);
	assert_int_equal(x->gone, 0);
	close(flooder);
	close(good);
	hx_free(x);
}

/* ---- fds of every kind where none are allowed ---- */

static void fds_of_every_kind_on_a_type_that_takes_none(void **s)
{
	(void)s;
	int sv[2], p[2], dirfd, opath, mfd, before;
	struct {
		const char *name;
		int fd;
	} kinds[5];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	dirfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	opath = open("/etc/hostname", O_PATH | O_CLOEXEC);
	mfd = memfd_create("fault", MFD_CLOEXEC);
	kinds[0].name = "socket";
	kinds[0].fd = sv[0];
	kinds[1].name = "pipe";
	kinds[1].fd = p[0];
	kinds[2].name = "O_PATH";
	kinds[2].fd = opath;
	kinds[3].name = "memfd";
	kinds[3].fd = mfd;
	kinds[4].name = "directory";
	kinds[4].fd = dirfd;
	before = count_fds();
	for (int k = 0; k < 5; k++) {
		struct hx *x = hx_new(testapp_table, testapp_n, 0);
		int w = hx_attach_raw(x, kinds[k].name, NULL);
		uint8_t rec[32];
		size_t len = rec_make(rec, PRIVSEP_T_PING, 1, "x", 1, 1);
		assert_int_equal(raw_send(w, rec, len, &kinds[k].fd, 1), 0);
		assert_true(hx_pump_gone(x, 1, 3000));
		assert_int_equal(x->last_viol, PRIVSEP_V_BAD_FD_COUNT);
		assert_true(hx_logged(x, "protocol violation bad-fd-count"));
		close(w);
		hx_free(x);
		/* the helper's copy is closed: only the test's own remain */
		assert_int_equal(count_fds(), before);
		print_message("%-9s closed, violation reported\n", kinds[k].name);
	}
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	close(dirfd);
	close(opath);
	close(mfd);
}

/* ---- allocation failure on every path ---- */

/* One helper's life: made, a worker attached, a call with fds answered,
 * a policy loaded.  Returns 0 when all of it worked, 1 when something
 * failed cleanly (NULL or -1 with ENOMEM, or a refused call). */
static int one_life(void)
{
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c;
	struct hx_bg bg;
	char why[256];
	int rc = 0;
	if (!x)
		return errno == ENOMEM ? 1 : -1;
	c = hx_attach_client(x, "alloc", 0);
	if (!c) {
		hx_free(x);
		return 1;
	}
	hx_bg_call(&bg, c, T_GIVE_FDS, "\2\0\0\0", 4);
	if (hx_bg_wait(x, &bg) != 0)
		rc = 1;
	for (size_t i = 0; i < bg.res.nfds; i++)
		close(bg.res.fds[i]);
	if (!helper_policy(x->h, "<default.policy>", policy_shipped("default.policy"), 0, why,
	                   sizeof(why)))
		rc = 1;
	privsep_client_free(c);
	hx_free(x);
	return rc;
}

static void allocation_failure_anywhere_fails_cleanly(void **s)
{
	(void)s;
	int before = count_fds(), n;
	long total;
	/* count the allocations of one life */
	alloc_count = 0;
	fail_at = 0;
	assert_int_equal(one_life(), 0);
	total = alloc_count;
	fail_at = -1;
	print_message("one helper life makes %ld allocations; failing each in turn\n", total);
	for (long i = 1; i <= total; i++) {
		alloc_count = 0;
		fail_at = i;
		n = one_life();
		fail_at = -1;
		if (n < 0)
			fail_msg("allocation %ld failing gave a wrong result", i);
		/* nothing leaks: fds here, memory under the sanitizer run */
		if (count_fds() != before)
			fail_msg("allocation %ld failing leaked an fd", i);
	}
}

/* A policy is loaded whole or not at all: with each allocation of its
 * load failing in turn, policy_load gives NULL or the same rules, groups
 * and file rules as a load that had every allocation (it once returned a
 * policy with rules missing: 0 of httpd.policy's 55). */
static void a_policy_loaded_while_allocations_fail_is_whole_or_none(void **s)
{
	static const char *const names[] = {"httpd.policy", "fileopener.policy", "helper.policy"};
	(void)s;
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char path[64];
		struct policy *full;
		size_t nrules, nfiles;
		long total, none = 0;
		snprintf(path, sizeof(path), "<%s>", names[k]);
		alloc_count = 0;
		fail_at = 0;
		full = policy_load(path, policy_shipped(names[k]), NULL, NULL);
		total = alloc_count;
		fail_at = -1;
		assert_non_null(full);
		nrules = full->nrules;
		nfiles = full->nfiles;
		policy_free(full);
		for (long i = 1; i <= total; i++) {
			struct policy *p;
			alloc_count = 0;
			fail_at = i;
			p = policy_load(path, policy_shipped(names[k]), NULL, NULL);
			fail_at = -1;
			if (!p) {
				none++;
				continue;
			}
			if (p->nrules != nrules || p->nfiles != nfiles)
				fail_msg(
				    "%s with allocation %ld of %ld failing: %zu rules and %zu file "
				    "rules, not %zu and %zu",
				    names[k], i, total, p->nrules, p->nfiles, nrules, nfiles);
			policy_free(p);
		}
		print_message("%s: %ld allocations, each failing gave no policy (%ld) or the "
		              "whole one\n",
		              names[k], total, none);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fds_of_every_kind_on_a_type_that_takes_none),
	    cmocka_unit_test(allocation_failure_anywhere_fails_cleanly),
	    cmocka_unit_test(a_policy_loaded_while_allocations_fail_is_whole_or_none),
	    cmocka_unit_test(flood_memory_stays_bounded_and_others_are_answered_at_their_turn),
	    cmocka_unit_test(worker_killed_at_random_points_costs_the_helper_nothing),
	};
	return cmocka_run_group_tests_name("faults", tests, NULL, NULL);
}
