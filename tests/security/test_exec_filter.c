/* SPDX-License-Identifier: ISC */
/*
 * test_exec_filter.c - the second filter of exec mode (sandbox_exec.c),
 * the program the new image loads before READY (sandbox_narrow_prog:
 * libseccomp's compile of narrow_rules.h, made at build time), checked to
 * be what libseccomp compiles from the same rules here (filter.c), and
 * run in the policy verifier's BPF interpreter (policy_verify.c's
 * bpf_run) on the calls a compromised worker would make: each gets its
 * action, the high words of int arguments hide nothing, and no other
 * architecture gets through.  Its refusal is SECCOMP_RET_TRACE (with no
 * tracer: ENOSYS, the call never runs), which the kernel ranks below the
 * first filter's notification: what the policy denies is still named by
 * the helper (test_violation.c, test_exec.c), what only the start needed
 * fails here.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include <cmocka.h>

#include "filter.h"
#include "policy.h"
#include "sandbox.h"

#if defined(__x86_64__)
#define NATIVE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE AUDIT_ARCH_AARCH64
#endif

#define FAIL SECCOMP_RET_TRACE /* no tracer: ENOSYS */
#define ALLOW SECCOMP_RET_ALLOW
#define EACCES_RET (SECCOMP_RET_ERRNO | EACCES)

static struct filter_prog prog;

static int compile(void **state)
{
	(void)state;
	return filter_compile(sandbox_narrow_policy(), &prog, NULL);
}

static int release(void **state)
{
	(void)state;
	filter_prog_free(&prog);
	return 0;
}

static uint32_t run(uint32_t arch, int nr, uint64_t a2, uint64_t a3)
{
	struct seccomp_data d = {nr, arch, 0, {0, 0, a2, a3, 0, 0}};
	int err;
	uint32_t ret = bpf_run(sandbox_narrow_prog(), &d, sizeof(d), &err);
	assert_int_equal(err, 0);
	return ret;
}

/* What the new image loads is libseccomp's output for the rules, not a
 * program of its own: the build's compile and this run's are the same
 * instructions. */
static void the_loaded_second_filter_is_libseccomps_compile_of_the_narrow_rules(void **state)
{
	const struct filter_prog *loaded = sandbox_narrow_prog();
	(void)state;
	assert_int_equal(loaded->len, prog.len);
	assert_true(prog.len > 0);
	assert_memory_equal(loaded->insns, prog.insns, prog.len * sizeof(prog.insns[0]));
}

/* The kernel keeps the strictest action of a process's filters, in the
 * order of seccomp(2): the lower as a signed 32-bit value, the stricter
 * (kernel/seccomp.c, ACTION_ONLY).  This filter's refusal must rank below
 * the first filter's notification, and still refuse. */
static int stricter(uint32_t a, uint32_t b)
{
	return (int32_t)(a & SECCOMP_RET_ACTION_FULL) < (int32_t)(b & SECCOMP_RET_ACTION_FULL);
}

static void after_start_any_open_or_exec_fails_and_a_denied_one_is_still_named(void **state)
{
	static const int refused[] = {
#ifdef __NR_open
	    __NR_open,
#endif
#ifdef __NR_creat
	    __NR_creat,
#endif
	    __NR_openat, __NR_openat2, __NR_execve, __NR_execveat,
	};
	(void)state;
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(run(NATIVE, refused[i], 0, 0), FAIL);
		assert_int_equal(run(NATIVE, refused[i], ~0ull, ~0ull), FAIL);
	}
	/* a refusal, but weaker than a notification: where the first filter
	 * notifies, the helper hears the call */
	assert_true(stricter(SECCOMP_RET_USER_NOTIF, FAIL));
	assert_true(stricter(FAIL, SECCOMP_RET_LOG));
	assert_true(stricter(FAIL, SECCOMP_RET_ALLOW));
	/* the first filter decides the rest */
	assert_int_equal(run(NATIVE, __NR_read, 0, 0), ALLOW);
	assert_int_equal(run(NATIVE, __NR_close, ~0ull, ~0ull), ALLOW);
}

static void after_start_any_executable_mapping_fails(void **state)
{
	static const int maps[] = {__NR_mmap, __NR_mprotect, __NR_pkey_mprotect};
	const uint64_t hi = 0xffffffff00000000ull;
	(void)state;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		assert_int_equal(run(NATIVE, maps[i], PROT_EXEC, 0), FAIL);
		assert_int_equal(run(NATIVE, maps[i], PROT_READ | PROT_EXEC, 0), FAIL);
		assert_int_equal(run(NATIVE, maps[i], hi | PROT_EXEC, 0), FAIL);
		assert_int_equal(run(NATIVE, maps[i], PROT_READ | PROT_WRITE, 0), ALLOW);
		/* prot is an int: a high word is not an executable bit */
		assert_int_equal(run(NATIVE, maps[i], hi | PROT_READ, 0), ALLOW);
		assert_int_equal(run(NATIVE, maps[i], PROT_NONE, 0), ALLOW);
	}
}

static void after_start_an_exec_worker_can_stat_no_path_only_its_fds(void **state)
{
	const uint64_t hi = 0xffffffff00000000ull;
	(void)state;
	assert_int_equal(run(NATIVE, __NR_newfstatat, 0, 0), EACCES_RET);
	assert_int_equal(run(NATIVE, __NR_newfstatat, 0, AT_SYMLINK_NOFOLLOW), EACCES_RET);
	assert_int_equal(run(NATIVE, __NR_newfstatat, 0, hi), EACCES_RET);
	assert_int_equal(run(NATIVE, __NR_newfstatat, 0, AT_EMPTY_PATH), ALLOW);
	assert_int_equal(run(NATIVE, __NR_newfstatat, 0, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW),
	                 ALLOW);
	/* the loader's readlink: no link by path either */
	assert_int_equal(run(NATIVE, __NR_readlink, 0, 0), FAIL);
	assert_int_equal(run(NATIVE, __NR_readlink, ~0ull, ~0ull), FAIL);
}

/* The narrowing's own load was the last: a filter more would let the
 * worker rank an ERRNO or a TRAP of its own above the first filter's
 * notification (test_exec.c shows it, spawned).  Whatever the arguments,
 * refused; the first filter still names what it denies. */
static void after_start_no_filter_more_can_be_loaded(void **state)
{
	(void)state;
	assert_int_equal(run(NATIVE, __NR_seccomp, 0, 0), FAIL);
	assert_int_equal(run(NATIVE, __NR_seccomp, ~0ull, ~0ull), FAIL);
	assert_true(stricter(SECCOMP_RET_ERRNO, SECCOMP_RET_USER_NOTIF));
	assert_true(stricter(SECCOMP_RET_TRAP, SECCOMP_RET_USER_NOTIF));
}

/* Refused here too, and left to the first filter's architecture check,
 * which notifies (the helper names the call: test_violation.c). */
static void after_start_another_architecture_fails_and_is_left_to_the_first_filter(void **state)
{
	(void)state;
	assert_int_equal(run(AUDIT_ARCH_I386, 3 /* read */, 0, 0), FAIL);
	assert_int_equal(run(AUDIT_ARCH_AARCH64 ^ AUDIT_ARCH_X86_64 ^ NATIVE, __NR_read, 0, 0),
	                 FAIL);
#if defined(__x86_64__)
	/* x32: the x86_64 arch value, the x32 bit in the number */
	assert_int_equal(run(NATIVE, 0x40000000 | __NR_read, 0, 0), FAIL);
	assert_int_equal(run(NATIVE, 0x40000000 | 257 /* x32 openat */, 0, 0), FAIL);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_loaded_second_filter_is_libseccomps_compile_of_the_narrow_rules),
	    cmocka_unit_test(after_start_any_open_or_exec_fails_and_a_denied_one_is_still_named),
	    cmocka_unit_test(after_start_any_executable_mapping_fails),
	    cmocka_unit_test(after_start_an_exec_worker_can_stat_no_path_only_its_fds),
	    cmocka_unit_test(after_start_no_filter_more_can_be_loaded),
	    cmocka_unit_test(
	        after_start_another_architecture_fails_and_is_left_to_the_first_filter),
	};
	return cmocka_run_group_tests(tests, compile, release);
}
