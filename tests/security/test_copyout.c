/* SPDX-License-Identifier: ISC */
/*
 * test_copyout.c - the helper's copy out of a worker's region
 * (framework/proto/copyout.c), both ways (memcpy, and non-temporal
 * stores for a payload larger than the cache), at every alignment of
 * source and destination and at sizes that are no multiple of 16 or 64.
 *
 * The attacker's part ends at the last byte of its region, and the
 * region's mapping ends there: a copy that reads one byte past the part
 * (a 16-byte load for the tail) faults.  The copy's destination is the
 * helper's buffer: a byte written past the part's end would overwrite
 * the part after it, or whatever follows the buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "copyout.h"

/* sizes past the 0 to 320 bytes that are all tried: no multiple of 16 */
static const size_t large[] = {1000, 4095, 4096, 4097, 4113, 8191, 12345, 65541};

/* n bytes whose last byte is the last of a mapping: the page after it is
 * PROT_NONE.  Returns the first byte (its alignment is that of -n);
 * *base and *maplen to unmap. */
static uint8_t *at_end(size_t n, uint8_t **base, size_t *maplen)
{
	size_t pg = (size_t)sysconf(_SC_PAGESIZE);
	size_t data = (n + pg - 1) / pg * pg + pg;
	uint8_t *m =
	    mmap(NULL, data + pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m != MAP_FAILED);
	assert_int_equal(mprotect(m + data, pg, PROT_NONE), 0);
	*base = m;
	*maplen = data + pg;
	return m + data - n;
}

/* The part (n bytes ending at its mapping's end) copied to every offset
 * of a buffer (step apart, 0 to 63), between canaries. */
static void copy_one(size_t n, size_t step, int stream)
{
	uint8_t *sbase;
	size_t slen;
	uint8_t *src = at_end(n, &sbase, &slen);
	uint8_t *dst = test_malloc(n + 128);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)(i * 7 + n + 1);
	for (size_t d0 = 0; d0 < 64; d0 += step) {
		uint8_t *d = dst + 64 + d0;
		memset(dst, 0xA5, n + 128);
		copyout(d, src, n, stream);
		assert_memory_equal(d, src, n);
		for (size_t i = 0; i < 64 + d0; i++)
			assert_int_equal(dst[i], 0xA5);
		for (size_t i = 64 + d0 + n; i < n + 128; i++)
			assert_int_equal(dst[i], 0xA5);
	}
	test_free(dst);
	munmap(sbase, slen);
}

static void copies_exactly(int stream)
{
	for (size_t n = 0; n <= 320; n++)
		copy_one(n, 1, stream);
	for (size_t z = 0; z < sizeof(large) / sizeof(large[0]); z++)
		copy_one(large[z], 5, stream);
}

static void a_copy_out_reads_and_writes_exactly_its_bytes_at_any_alignment_and_size(void **state)
{
	(void)state;
	copies_exactly(0);
}

static void
a_streamed_copy_out_reads_and_writes_exactly_its_bytes_at_any_alignment_and_size(void **state)
{
	(void)state;
	copies_exactly(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_copy_out_reads_and_writes_exactly_its_bytes_at_any_alignment_and_size),
	    cmocka_unit_test(
	        a_streamed_copy_out_reads_and_writes_exactly_its_bytes_at_any_alignment_and_size),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
