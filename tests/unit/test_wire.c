/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of wire.c, one per rule of docs/PROTOCOL.md ("Header",
 * "Payload encoding").
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "privsep.h"
#include "wire.h"

static size_t mk(uint8_t *rec, uint16_t magic, uint8_t ver, uint8_t nfds, uint32_t type,
                 uint32_t id, uint32_t len, size_t payload)
{
	struct wire_hdr h = {magic, ver, nfds, type, id, len};
	wire_put_hdr(rec, &h);
	memset(rec + PRIVSEP_HDR_LEN, 0xab, payload);
	return PRIVSEP_HDR_LEN + payload;
}

static void rule_header_is_16_bytes_little_endian(void **state)
{
	(void)state;
	uint8_t rec[16];
	struct wire_hdr h = {0x5053, 1, 2, 0x01020304, 0x0a0b0c0d, 0x11223344};
	const uint8_t want[16] = {0x53, 0x50, 0x01, 0x02, 0x04, 0x03, 0x02, 0x01,
	                          0x0d, 0x0c, 0x0b, 0x0a, 0x44, 0x33, 0x22, 0x11};
	wire_put_hdr(rec, &h);
	assert_memory_equal(rec, want, 16);
}

static void rule_valid_header_decodes(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 2, 0x10001, 7, 10, 10);
	assert_int_equal(wire_check(rec, n, 2, 4096, &h), PRIVSEP_V_NONE);
	assert_int_equal(h.type, 0x10001);
	assert_int_equal(h.id, 7);
	assert_int_equal(h.len, 10);
	assert_int_equal(h.nfds, 2);
}

static void rule_short_header(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 0, 0);
	for (size_t n = 0; n < PRIVSEP_HDR_LEN; n++)
		assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_SHORT_HEADER);
}

static void rule_magic_must_be_0x5053(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, 0x5350, 1, 0, 2, 1, 0, 0);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_BAD_MAGIC);
}

static void rule_version_must_be_1(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	for (unsigned v = 0; v < 256; v++) {
		size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, (uint8_t)v, 0, 2, 1, 0, 0);
		assert_int_equal(wire_check(rec, n, 0, 4096, &h),
		                 v == 1 ? PRIVSEP_V_NONE : PRIVSEP_V_BAD_VERSION);
	}
}

static void rule_record_size_equals_header_plus_len(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 5, 4);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_LEN_MISMATCH);
	n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 3, 4);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_LEN_MISMATCH);
}

static void rule_len_within_record_limit(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 0xffffffffu, 0);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_OVERSIZE);
	n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 64 - 16 + 1, 0);
	assert_int_equal(wire_check(rec, n, 0, 64, &h), PRIVSEP_V_OVERSIZE);
	/* exactly at the limit is fine */
	n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 2, 1, 48, 48);
	assert_int_equal(wire_check(rec, n, 0, 64, &h), PRIVSEP_V_NONE);
}

static void rule_nfds_at_most_4(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 5, 2, 1, 0, 0);
	assert_int_equal(wire_check(rec, n, 5, 4096, &h), PRIVSEP_V_NFDS_LIMIT);
	n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 4, 2, 1, 0, 0);
	assert_int_equal(wire_check(rec, n, 4, 4096, &h), PRIVSEP_V_NONE);
}

static void rule_type_zero_is_invalid(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 0, 0, 1, 0, 0);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_TYPE_ZERO);
}

static void rule_nfds_equals_fds_received(void **state)
{
	(void)state;
	uint8_t rec[64];
	struct wire_hdr h;
	size_t n = mk(rec, PRIVSEP_WIRE_MAGIC, 1, 1, 2, 1, 0, 0);
	assert_int_equal(wire_check(rec, n, 0, 4096, &h), PRIVSEP_V_NFDS_MISMATCH);
	assert_int_equal(wire_check(rec, n, 2, 4096, &h), PRIVSEP_V_NFDS_MISMATCH);
}

static void rule_integers_are_little_endian(void **state)
{
	(void)state;
	uint8_t b[32];
	struct privsep_writer w;
	struct privsep_reader r;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;
	const uint8_t want[] = {0x01, 0x03, 0x02, 0x07, 0x06, 0x05, 0x04, 0x0f,
	                        0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08};
	privsep_writer_init(&w, b, sizeof(b));
	assert_int_equal(privsep_writer_put_u8(&w, 0x01), 0);
	assert_int_equal(privsep_writer_put_u16(&w, 0x0203), 0);
	assert_int_equal(privsep_writer_put_u32(&w, 0x04050607), 0);
	assert_int_equal(privsep_writer_put_u64(&w, 0x08090a0b0c0d0e0full), 0);
	assert_int_equal(w.len, sizeof(want));
	assert_memory_equal(b, want, sizeof(want));
	privsep_reader_init(&r, b, w.len);
	assert_int_equal(privsep_reader_get_u8(&r, &u8), 0);
	assert_int_equal(privsep_reader_get_u16(&r, &u16), 0);
	assert_int_equal(privsep_reader_get_u32(&r, &u32), 0);
	assert_int_equal(privsep_reader_get_u64(&r, &u64), 0);
	assert_int_equal(privsep_reader_end(&r), 0);
	assert_int_equal(u8, 0x01);
	assert_int_equal(u16, 0x0203);
	assert_int_equal(u32, 0x04050607);
	assert_true(u64 == 0x08090a0b0c0d0e0full);
}

static void rule_str_carries_its_nul_inside_the_length(void **state)
{
	(void)state;
	uint8_t b[32];
	struct privsep_writer w;
	struct privsep_reader r;
	const char *s;
	size_t n;
	privsep_writer_init(&w, b, sizeof(b));
	assert_int_equal(privsep_writer_put_str(&w, "abc"), 0);
	assert_int_equal(w.len, 8);
	assert_memory_equal(b,
	                    "\x04\x00\x00\x00"
	                    "abc\0",
	                    8);
	privsep_reader_init(&r, b, w.len);
	assert_int_equal(privsep_reader_get_str(&r, &s, &n), 0);
	assert_string_equal(s, "abc");
	assert_int_equal(n, 3);
	assert_int_equal(privsep_reader_end(&r), 0);
}

static void rule_empty_str_is_length_1(void **state)
{
	(void)state;
	uint8_t b[8];
	struct privsep_writer w;
	struct privsep_reader r;
	const char *s;
	privsep_writer_init(&w, b, sizeof(b));
	assert_int_equal(privsep_writer_put_str(&w, ""), 0);
	assert_memory_equal(b, "\x01\x00\x00\x00\x00", 5);
	privsep_reader_init(&r, b, w.len);
	assert_int_equal(privsep_reader_get_str(&r, &s, NULL), 0);
	assert_string_equal(s, "");
}

static void expect_str_error(const void *b, size_t n, int err)
{
	struct privsep_reader r;
	const char *s = NULL;
	privsep_reader_init(&r, b, n);
	errno = 0;
	assert_int_equal(privsep_reader_get_str(&r, &s, NULL), -1);
	assert_int_equal(errno, err);
	assert_int_equal(r.err, err);
	assert_null(s);
}

static void rule_zero_length_str_is_malformed(void **state)
{
	(void)state;
	expect_str_error("\0\0\0\0", 4, EINVAL);
}

static void rule_str_without_nul_is_malformed(void **state)
{
	(void)state;
	expect_str_error("\x03\0\0\0abc", 7, EILSEQ);
}

static void rule_str_with_embedded_nul_is_malformed(void **state)
{
	(void)state;
	expect_str_error("\x04\0\0\0a\0c\0", 8, EILSEQ);
}

static void rule_field_past_payload_is_malformed(void **state)
{
	(void)state;
	expect_str_error("\x09\0\0\0abc\0", 8, EBADMSG);
	expect_str_error("\x01\0\0", 3, EBADMSG);
	struct privsep_reader r;
	uint64_t v;
	privsep_reader_init(&r, "1234567", 7);
	assert_int_equal(privsep_reader_get_u64(&r, &v), -1);
	assert_int_equal(errno, EBADMSG);
}

static void rule_leftover_bytes_are_malformed(void **state)
{
	(void)state;
	struct privsep_reader r;
	uint32_t v;
	privsep_reader_init(&r, "12345", 5);
	assert_int_equal(privsep_reader_get_u32(&r, &v), 0);
	assert_int_equal(privsep_reader_end(&r), -1);
	assert_int_equal(errno, EBADMSG);
}

static void rule_reader_errors_are_sticky(void **state)
{
	(void)state;
	struct privsep_reader r;
	uint8_t v;
	privsep_reader_init(&r, "", 0);
	assert_int_equal(privsep_reader_get_u8(&r, &v), -1);
	privsep_reader_init(&r, "x", 1);
	r.err = EBADMSG;
	assert_int_equal(privsep_reader_get_u8(&r, &v), -1);
	assert_int_equal(privsep_reader_end(&r), -1);
}

static void rule_writer_never_overruns_its_buffer(void **state)
{
	(void)state;
	uint8_t b[8 + 4];
	struct privsep_writer w;
	memset(b, 0x5a, sizeof(b));
	privsep_writer_init(&w, b, 8);
	assert_int_equal(privsep_writer_put_str(&w, "abcd"), -1); /* needs 9 */
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(w.len, 0);
	assert_int_equal(privsep_writer_put_u8(&w, 1), -1); /* sticky */
	assert_int_equal(privsep_writer_put_bytes(&w, "x", 1), -1);
	for (size_t i = 0; i < sizeof(b); i++)
		assert_int_equal(b[i], 0x5a);
	privsep_writer_init(&w, b, 8);
	assert_int_equal(privsep_writer_put_bytes(&w, "abcd", 4), 0);
	assert_int_equal(w.len, 8);
	assert_int_equal(privsep_writer_put_u8(&w, 1), -1);
	assert_int_equal(b[8], 0x5a);
}

static void rule_put_str_refuses_null(void **state)
{
	(void)state;
	uint8_t b[8];
	struct privsep_writer w;
	privsep_writer_init(&w, b, sizeof(b));
	assert_int_equal(privsep_writer_put_str(&w, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

/* An event handler's reply is a writer over no buffer (client.c); an
 * empty put there either succeeds or fails with errno set (the error
 * contract), never -1 with errno 0 and err 0. */
static void rule_empty_put_on_an_unbuffered_writer_keeps_the_contract(void **state)
{
	(void)state;
	struct privsep_writer w;
	privsep_writer_init(&w, NULL, 0);
	errno = 0;
	int rc = privsep_writer_put_raw(&w, "", 0);
	if (rc < 0) {
		assert_int_not_equal(errno, 0);
		assert_int_equal(w.err, errno);
	}
	assert_int_equal(rc, 0);
}

static void rule_bytes_are_length_prefixed(void **state)
{
	(void)state;
	uint8_t b[16];
	struct privsep_writer w;
	struct privsep_reader r;
	const void *p;
	size_t n;
	privsep_writer_init(&w, b, sizeof(b));
	assert_int_equal(privsep_writer_put_bytes(&w, "a\0b", 3), 0);
	assert_memory_equal(b, "\x03\0\0\0a\0b", 7);
	privsep_reader_init(&r, b, w.len);
	assert_int_equal(privsep_reader_get_bytes(&r, &p, &n), 0);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "a\0b", 3);
	assert_int_equal(privsep_reader_end(&r), 0);
}

static void rule_fds_lost_to_the_receivers_limit_excuse_only_a_short_count(void **state)
{
	(void)state;
	struct wire_hdr h = {PRIVSEP_WIRE_MAGIC, 1, 3, 2, 1, 0};
	/* The receiver counts only the fds the kernel installed before its
	 * limit; the ones it could not install are never seen, so "more than
	 * declared" can be told only from what was installed. */
	/* 3 declared, 0, 1 or 2 installed before the limit: not the peer's
	 * fault (even if the peer sent more than 3: nothing shows it) */
	for (size_t installed = 0; installed < 3; installed++)
		assert_int_equal(wire_check_fdlimit(PRIVSEP_V_NFDS_MISMATCH, installed, &h),
		                 PRIVSEP_V_NONE);
	/* 3 declared and 3 installed, yet the limit was hit: a fourth was sent */
	assert_int_equal(wire_check_fdlimit(PRIVSEP_V_NFDS_MISMATCH, 3, &h),
	                 PRIVSEP_V_NFDS_MISMATCH);
	/* 3 declared, 4 installed: more than declared */
	assert_int_equal(wire_check_fdlimit(PRIVSEP_V_NFDS_MISMATCH, 4, &h),
	                 PRIVSEP_V_NFDS_MISMATCH);
	/* none declared, the limit hit: at least one was sent */
	h.nfds = 0;
	assert_int_equal(wire_check_fdlimit(PRIVSEP_V_NONE, 0, &h), PRIVSEP_V_NFDS_MISMATCH);
	/* other violations stay */
	assert_int_equal(wire_check_fdlimit(PRIVSEP_V_BAD_MAGIC, 0, &h), PRIVSEP_V_BAD_MAGIC);
}

static void rule_violation_names_are_stable(void **state)
{
	(void)state;
	assert_string_equal(privsep_violation_name(PRIVSEP_V_BAD_MAGIC), "bad-magic");
	assert_string_equal(privsep_violation_name(PRIVSEP_V_NONE), "none");
	for (int v = 1; v < PRIVSEP_V__COUNT; v++)
		assert_string_not_equal(privsep_violation_name((enum privsep_violation)v),
		                        "unknown-violation");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rule_header_is_16_bytes_little_endian),
	    cmocka_unit_test(rule_valid_header_decodes),
	    cmocka_unit_test(rule_short_header),
	    cmocka_unit_test(rule_magic_must_be_0x5053),
	    cmocka_unit_test(rule_version_must_be_1),
	    cmocka_unit_test(rule_record_size_equals_header_plus_len),
	    cmocka_unit_test(rule_len_within_record_limit),
	    cmocka_unit_test(rule_nfds_at_most_4),
	    cmocka_unit_test(rule_type_zero_is_invalid),
	    cmocka_unit_test(rule_nfds_equals_fds_received),
	    cmocka_unit_test(rule_integers_are_little_endian),
	    cmocka_unit_test(rule_str_carries_its_nul_inside_the_length),
	    cmocka_unit_test(rule_empty_str_is_length_1),
	    cmocka_unit_test(rule_zero_length_str_is_malformed),
	    cmocka_unit_test(rule_str_without_nul_is_malformed),
	    cmocka_unit_test(rule_str_with_embedded_nul_is_malformed),
	    cmocka_unit_test(rule_field_past_payload_is_malformed),
	    cmocka_unit_test(rule_leftover_bytes_are_malformed),
	    cmocka_unit_test(rule_reader_errors_are_sticky),
	    cmocka_unit_test(rule_writer_never_overruns_its_buffer),
	    cmocka_unit_test(rule_put_str_refuses_null),
	    cmocka_unit_test(rule_empty_put_on_an_unbuffered_writer_keeps_the_contract),
	    cmocka_unit_test(rule_bytes_are_length_prefixed),
	    cmocka_unit_test(rule_fds_lost_to_the_receivers_limit_excuse_only_a_short_count),
	    cmocka_unit_test(rule_violation_names_are_stable),
	};
	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
