/* SPDX-License-Identifier: ISC */
/*
 * response.c - response heads and error pages.  Every header line is
 * built here from typed fields; nothing from the request is copied into
 * a response except a Location the parser has already checked.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "response.h"

const char *http_status_text(int status)
{
	switch (status) {
	case 200:
		return "OK";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 304:
		return "Not Modified";
	case 400:
		return "Bad Request";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 416:
		return "Range Not Satisfiable";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 503:
		return "Service Unavailable";
	case 505:
		return "HTTP Version Not Supported";
	default:
		return "Error";
	}
}

struct out {
	char *buf;
	size_t cap, len;
	int overflow;
};

__attribute__((format(printf, 2, 3))) static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	if (o->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= o->cap - o->len)
		o->overflow = 1;
	else
		o->len += (size_t)n;
}

size_t http_reply_head(char *buf, size_t cap, const struct http_reply *r)
{
	struct out o = {buf, cap, 0, 0};
	char date[HTTP_DATE_LEN + 1];
	if (cap == 0)
		return 0;
	http_date_format(r->now, date);
	put(&o, "HTTP/1.1 %d %s\r\nServer: privsep-httpd\r\nDate: %s\r\n", r->status,
	    http_status_text(r->status), date);
	if (r->type)
		put(&o, "Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n", r->type);
	if (r->status != 304)
		put(&o, "Content-Length: %" PRIu64 "\r\n", r->length);
	if (r->has_mtime) {
		http_date_format(r->mtime, date);
		put(&o, "Last-Modified: %s\r\nETag: \"%" PRIx64 "-%" PRIx32 "-%" PRIx64 "\"\r\n",
		    date, (uint64_t)r->mtime, r->mtime_ns, r->total);
		if (r->status == 200 || r->status == 206)
			put(&o, "Accept-Ranges: bytes\r\n");
	}
	if (r->status == 206)
		put(&o, "Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n",
		    r->range_off, r->range_off + r->length - 1, r->total);
	if (r->status == 416)
		put(&o, "Content-Range: bytes */%" PRIu64 "\r\n", r->total);
	if (r->status == 405)
		put(&o, "Allow: GET, HEAD\r\n");
	if (r->location)
		put(&o, "Location: %.*s\r\n", (int)r->location_len, r->location);
	put(&o, "Connection: %s\r\n\r\n", r->keep_alive ? "keep-alive" : "close");
	return o.overflow ? 0 : o.len;
}

size_t http_error_body(char *buf, size_t cap, int status)
{
	struct out o = {buf, cap, 0, 0};
	if (cap == 0)
		return 0;
	put(&o,
	    "<!DOCTYPE html>\n<html><head><title>%d %s</title></head><body><h1>%d %s</h1></body></html>\n",
	    status, http_status_text(status), status, http_status_text(status));
	return o.overflow ? 0 : o.len;
}
