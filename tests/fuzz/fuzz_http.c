/* SPDX-License-Identifier: ISC */
/* libFuzzer target: examples/httpd's request parser on any bytes, with
 * the invariants a server relies on checked after every parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "accesslog.h"
#include "http.h"
#include "response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct http_limits *lim = &http_default_limits;
	struct http_request req;
	size_t head = 0;
	/* an exact-size copy, so that any read past the bytes is caught */
	char *buf = malloc(size ? size : 1);
	int st;
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	st = http_head_end(buf, size, lim, &head);
	if (st != 0 && st != 400 && st != 414 && st != 431)
		__builtin_trap();
	if (head > size || (st == 0 && head > lim->head_max))
		__builtin_trap();
	{
		/* the same bytes in pieces, as a slow client sends them: the
		 * same answer (pieces of 1 to 16 bytes, by the first byte) */
		struct http_head_scan sc = {0};
		size_t step = size ? (size_t)(data[0] & 15) + 1 : 1, piece_head = 0;
		int piece_st = 0;
		for (size_t k = step < size ? step : size;; k = k + step < size ? k + step : size) {
			piece_st = http_head_scan(&sc, buf, k, lim, &piece_head);
			if (piece_st || piece_head || k == size)
				break;
		}
		if (piece_st != st || piece_head != head)
			__builtin_trap();
	}
	if (st == 0 && head > 0) {
		st = http_parse(buf, head, lim, &req);
		if (st != 0 && st != 400 && st != 405 && st != 413 && st != 414 && st != 431 &&
		    st != 505)
			__builtin_trap();
		if (st == 0) {
			/* a served path: absolute, bounded, no NUL or control byte */
			if (req.path[0] != '/' || req.path_len > HTTP_PATH_MAX ||
			    strlen(req.path) != req.path_len)
				__builtin_trap();
			for (size_t i = 0; i < req.path_len; i++)
				if ((unsigned char)req.path[i] < 0x20 || req.path[i] == 0x7f)
					__builtin_trap();
			/* its access log line is one line, whatever the buffer */
			for (size_t cap = 128; cap <= 4096; cap *= 4) {
				char line[4096];
				size_t n = access_line(line, cap, "192.0.2.1", 0, &req, 200, size);
				if (n == 0 || n >= cap || line[n - 1] != '\n' ||
				    memchr(line, '\n', n - 1) || strlen(line) != n)
					__builtin_trap();
			}
			uint64_t sizes[] = {0, 1, 100, (uint64_t)size, UINT64_MAX / 2};
			for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
				uint64_t off = 0, n = 0;
				int r = http_range_resolve(&req, sizes[i], 0, 0, 1, &off, &n);
				if (r == 206 && (n == 0 || off >= sizes[i] || n > sizes[i] - off))
					__builtin_trap();
				if (r != 200 && r != 206 && r != 416)
					__builtin_trap();
			}
		}
	}
	/* the date parser alone, and its round trip */
	int64_t t;
	if (http_date_parse(buf, size, &t) == 0) {
		char d[HTTP_DATE_LEN + 1];
		int64_t back;
		http_date_format(t, d);
		if (t >= 0 && t < 253402300800 &&
		    (http_date_parse(d, strlen(d), &back) || back != t))
			__builtin_trap();
	}
	free(buf);
	return 0;
}
