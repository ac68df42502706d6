/* SPDX-License-Identifier: ISC */
/*
 * accesslog.c - see accesslog.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "accesslog.h"

/* t as the Common Log Format writes a time, "06/Nov/1994:08:49:37 +0000",
 * rearranged from the HTTP date (one calendar in httpd, and no time zone
 * file: a worker's filter has no open of /etc/localtime) into out[27]. */
static void clf_date(int64_t t, char *out)
{
	char h[HTTP_DATE_LEN + 1]; /* "Sun, 06 Nov 1994 08:49:37 GMT" */

	http_date_format(t, h);
	memcpy(out, h + 5, 2);
	out[2] = '/';
	memcpy(out + 3, h + 8, 3);
	out[6] = '/';
	memcpy(out + 7, h + 12, 4);
	out[11] = ':';
	memcpy(out + 12, h + 17, 8);
	memcpy(out + 20, " +0000", 7); /* with the NUL */
}

size_t access_line(char *buf, size_t cap, const char *peer, int64_t now,
                   const struct http_request *req, int status, uint64_t body)
{
	static const char hex[] = "0123456789abcdef";
	char date[27], tail[64];
	size_t o, tl;
	int n;

	if (cap < 128)
		return 0;
	clf_date(now, date);
	if (body)
		tl = (size_t)snprintf(tail, sizeof(tail), " %d %" PRIu64 "\n", status, body);
	else /* the format's "-" for no body */
		tl = (size_t)snprintf(tail, sizeof(tail), " %d -\n", status);
	if (!req) {
		n = snprintf(buf, cap, "%s - - [%s] \"-\"%s", peer, date, tail);
		return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
	}
	n = snprintf(buf, cap, "%s - - [%s] \"%s ", peer, date,
	             req->method == HTTP_HEAD ? "HEAD" : "GET");
	if (n < 0 || (size_t)n >= cap)
		return 0;
	o = (size_t)n;
	for (size_t i = 0; i < req->path_len; i++) {
		unsigned char c = (unsigned char)req->path[i];
		/* room for this byte escaped, "...", the version and the tail */
		if (o + 4 + 3 + 10 + tl + 1 > cap) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		} else {
			buf[o++] = (char)c;
		}
	}
	o += (size_t)snprintf(buf + o, cap - o, " HTTP/1.%u\"%s", req->minor, tail);
	return o;
}
