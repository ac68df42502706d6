/* SPDX-License-Identifier: ISC */
/* libFuzzer target: the wire decoder and the payload reader, on any bytes. */
#include <stddef.h>
#include <stdint.h>

#include "privsep.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wire_hdr h;
	struct privsep_reader r;
	if (size < 1)
		return 0;
	/* the first byte: how many fds "arrived" and the record limit */
	size_t nfds = data[0] % 6, msg_max = 64u << (data[0] >> 6);
	enum privsep_violation v = wire_check(data + 1, size - 1, nfds, msg_max, &h);
	(void)privsep_violation_name(v);
	(void)wire_check_fdlimit(v, nfds / 2, &h);
	if (v != PRIVSEP_V_NONE)
		return 0;
	/* read the payload as a sequence of fields the bytes choose */
	privsep_reader_init(&r, data + 1 + PRIVSEP_HDR_LEN, h.len);
	for (int i = 0; i < 64 && !r.err && r.off < r.len; i++) {
		const void *p;
		const char *s;
		size_t n;
		uint64_t u64;
		uint32_t u32;
		switch ((h.type + (uint32_t)i) % 5) {
		case 0:
			privsep_reader_get_u32(&r, &u32);
			break;
		case 1:
			privsep_reader_get_u64(&r, &u64);
			break;
		case 2:
			if (privsep_reader_get_str(&r, &s, &n) == 0 && s[n] != '\0')
				__builtin_trap(); /* a str always ends in its NUL */
			break;
		case 3:
			privsep_reader_get_bytes(&r, &p, &n);
			break;
		default:
			privsep_reader_get_rest(&r, &p, &n);
		}
	}
	(void)privsep_reader_end(&r);
	return 0;
}
