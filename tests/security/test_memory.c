/* SPDX-License-Identifier: ISC */
/*
 * test_memory.c - a worker's memory is bounded, and going over the bound
 * costs the worker, never the helper.
 *
 * Under default.policy (rlimit as and fsize 1 GiB), a worker tries what a
 * compromised one would: a 64 GiB private mapping, a 64 GiB shared
 * anonymous one (which RLIMIT_DATA would not count), dirtying memory 64
 * MiB at a time until it fails, and with @bulk a memfd written past the
 * file-size bound (shmem, outside the address space).
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
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define GIB (1ull << 30)
#define MIB (1ull << 20)
#define CHUNK (64 * MIB)
#define T_RESULT 0x10000u

/* What the worker reported, and its VmPeak as the helper read it. */
static uint64_t res[4];
static long long vm_peak_kb;
static atomic_int reported;

static long long status_kb(pid_t pid, const char *name)
{
	char path[64], buf[4096], key[32];
	const char *p;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (hx_read_small(path, buf, sizeof(buf)) <= 0)
		return -1;
	snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(buf, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static int h_result(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	for (int i = 0; i < 4; i++)
		privsep_reader_get_u64(&r, &res[i]);
	if (privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	vm_peak_kb = status_kb(privsep_worker_pid(req->worker), "VmPeak");
	reported = 1;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_RESULT,
     .name = "RESULT",
     .min_len = 32,
     .max_len = 32,
     .flags = PRIVSEP_H_CALL,
     .fn = h_result},
};

static int report(struct privsep_client *c, const uint64_t v[4])
{
	uint8_t buf[32];
	struct privsep_writer w;
	struct privsep_result r = {0};
	privsep_writer_init(&w, buf, sizeof(buf));
	for (int i = 0; i < 4; i++)
		privsep_writer_put_u64(&w, v[i]);
	return privsep_client_call(
	    c, &(struct privsep_out){.type = T_RESULT, .data = buf, .len = w.len}, &r);
}

/* errno of a 64 GiB mapping with these flags, 0 if it succeeded */
static uint64_t map_64GiB(int flags)
{
	void *p = mmap(NULL, 64 * GIB, PROT_READ | PROT_WRITE, flags | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return (uint64_t)errno;
	munmap(p, 64 * GIB);
	return 0;
}

/* The worker: the two large mappings, then dirty until a mapping fails
 * (at most 1.25 GiB, should nothing stop it). */
static int greedy_main(struct privsep_client *c, void *arg)
{
	uint64_t v[4] = {0};
	(void)arg;
	v[0] = map_64GiB(MAP_PRIVATE | MAP_ANONYMOUS);
	v[1] = map_64GiB(MAP_SHARED | MAP_ANONYMOUS);
	while (v[2] < GIB + GIB / 4) {
		void *p =
		    mmap(NULL, CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED) {
			v[3] = (uint64_t)errno;
			break;
		}
		memset(p, 0xa5, CHUNK);
		v[2] += CHUNK;
	}
	return report(c, v) == 0 ? 0 : 20;
}

static void a_worker_under_default_policy_cannot_map_64GiB_or_dirty_past_1GiB(void **s)
{
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_spawn sp = {.name = "greedy", .main = greedy_main};
	struct rlimit before, after;
	void *p;
	(void)s;
	if (under_valgrind())
		skip();
	assert_int_equal(getrlimit(RLIMIT_AS, &before), 0);
	reported = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_until(x, &reported, 30000));
	assert_true(hx_pump_gone(x, 1, 30000));
	printf("worker: 64 GiB private: %s; 64 GiB shared: %s; dirtied %llu MiB, then %s; "
	       "VmPeak %lld kB\n",
	       strerror((int)res[0]), strerror((int)res[1]), (unsigned long long)(res[2] / MIB),
	       strerror((int)res[3]), vm_peak_kb);
	assert_int_equal(res[0], ENOMEM);
	assert_int_equal(res[1], ENOMEM);
	assert_int_equal(res[3], ENOMEM);
	assert_true(res[2] <= GIB);
	/* the bound is about 1 GiB, not some small limit the worker hit */
	assert_true(res[2] >= GIB / 2);
#if !defined(__SANITIZE_ADDRESS__)
	/* (an AddressSanitizer build counts from its shadow's reservation) */
	assert_true(vm_peak_kb > 0 && (uint64_t)vm_peak_kb * 1024 <= GIB);
#endif
	/* it got ENOMEM and went on: not killed, and not the helper */
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	assert_int_equal(getrlimit(RLIMIT_AS, &after), 0);
	assert_int_equal(after.rlim_cur, before.rlim_cur);
	assert_int_equal(after.rlim_max, before.rlim_max);
	p = mmap(NULL, 2 * GIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
	         -1, 0);
	assert_true(p != MAP_FAILED);
	munmap(p, 2 * GIB);
	hx_free(x);
}

/* With @bulk: a memfd (shmem, not in the address space) written up to the
 * file-size bound, then one byte past it. */
static int memfd_main(struct privsep_client *c, void *arg)
{
	static char page[4096];
	uint64_t v[4] = {0};
	int fd = memfd_create("greedy", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	(void)arg;
	if (fd < 0)
		return 30;
	v[0] = (uint64_t)pwrite(fd, page, sizeof(page), (off_t)(GIB - sizeof(page)));
	if (report(c, v) != 0)
		return 31;
	v[1] = (uint64_t)pwrite(fd, page, 1, (off_t)GIB);
	return 32; /* still here: the write went past the bound */
}

static const char bulk_policy[] = "version 1\n"
                                  "include <default.policy>\n"
                                  "allow @bulk\n";

static void a_worker_cannot_write_a_memfd_past_1GiB_and_is_reported_killed_for_it(void **s)
{
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.policy = "bulk test", .policy_text = bulk_policy};
	struct privsep_spawn sp = {.name = "memfd", .main = memfd_main, .sandbox = &sb};
	(void)s;
	if (under_valgrind())
		skip();
	reported = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_until(x, &reported, 30000));
	assert_true(hx_pump_gone(x, 1, 30000));
	assert_int_equal(res[0], 4096);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_SIGNAL);
	assert_int_equal(x->last_exit.signal, SIGXFSZ);
	assert_non_null(
	    strstr(x->last_exit.line, "killed by signal 25 (File size limit exceeded)"));
	hx_free(x);
}

/* struct privsep_sandbox lowers the bound (it cannot raise it). */
static void the_sandbox_struct_lowers_the_memory_bound(void **s)
{
	struct hx *x = hx_new(table, 1, 0);
	struct privsep_sandbox sb = {.as = 512 * MIB};
	struct privsep_spawn sp = {.name = "greedy", .main = greedy_main, .sandbox = &sb};
	(void)s;
	if (under_valgrind())
		skip();
	reported = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_until(x, &reported, 30000));
	assert_true(hx_pump_gone(x, 1, 30000));
	assert_int_equal(res[0], ENOMEM);
	assert_int_equal(res[3], ENOMEM);
	assert_true(res[2] <= 512 * MIB);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_worker_under_default_policy_cannot_map_64GiB_or_dirty_past_1GiB),
	    cmocka_unit_test(a_worker_cannot_write_a_memfd_past_1GiB_and_is_reported_killed_for_it),
	    cmocka_unit_test(the_sandbox_struct_lowers_the_memory_bound),
	};
	return cmocka_run_group_tests_name("memory", tests, NULL, NULL);
}
