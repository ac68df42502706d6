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

/* The head's own appenders: a head is made per request, once with six
 * vsnprintf calls; these write the bytes printf wrote (and its NUL, and
 * refuse what would not fit as put does) without parsing a format. */
static void put_mem(struct out *o, const char *s, size_t n)
{
	if (o->overflow)
		return;
	if (n >= o->cap - o->len) { /* room for the NUL, as vsnprintf */
		o->overflow = 1;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void put_s(struct out *o, const char *s)
{
	put_mem(o, s, strlen(s));
}

/* v in base 10 or 16 (lowercase), as %PRIu64 and %PRIx64 write it */
static void put_u(struct out *o, uint64_t v, unsigned base)
{
	char d[20];
	size_t i = sizeof(d);
	do {
		d[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	put_mem(o, d + i, sizeof(d) - i);
}

/* as %d */
static void put_d(struct out *o, int v)
{
	if (v < 0) {
		put_mem(o, "-", 1);
		put_u(o, (uint64_t)0 - (uint64_t)(int64_t)v, 10);
	} else {
		put_u(o, (uint64_t)v, 10);
	}
}

size_t http_reply_head(char *buf, size_t cap, const struct http_reply *r)
{
	struct out o = {buf, cap, 0, 0};
	char date[HTTP_DATE_LEN + 1];
	if (cap == 0)
		return 0;
	http_date_format(r->now, date);
	put_s(&o, "HTTP/1.1 ");
	put_d(&o, r->status);
	put_s(&o, " ");
	put_s(&o, http_status_text(r->status));
	put_s(&o, "\r\nServer: privsep-httpd\r\nDate: ");
	put_s(&o, date);
	put_s(&o, "\r\n");
	if (r->type) {
		put_s(&o, "Content-Type: ");
		put_s(&o, r->type);
		put_s(&o, "\r\nX-Content-Type-Options: nosniff\r\n");
	}
	if (r->status != 304) {
		put_s(&o, "Content-Length: ");
		put_u(&o, r->length, 10);
		put_s(&o, "\r\n");
	}
	if (r->has_mtime) {
		http_date_format(r->mtime, date);
		put_s(&o, "Last-Modified: ");
		put_s(&o, date);
		put_s(&o, "\r\nETag: \"");
		put_u(&o, (uint64_t)r->mtime, 16);
		put_s(&o, "-");
		put_u(&o, r->mtime_ns, 16);
		put_s(&o, "-");
		put_u(&o, r->total, 16);
		put_s(&o, "\"\r\n");
		if (r->status == 200 || r->status == 206)
			put_s(&o, "Accept-Ranges: bytes\r\n");
	}
	if (r->status == 206) {
		put_s(&o, "Content-Range: bytes ");
		put_u(&o, r->range_off, 10);
		put_s(&o, "-");
		put_u(&o, r->range_off + r->length - 1, 10);
		put_s(&o, "/");
		put_u(&o, r->total, 10);
		put_s(&o, "\r\n");
	}
	if (r->status == 416) {
		put_s(&o, "Content-Range: bytes */");
		put_u(&o, r->total, 10);
		put_s(&o, "\r\n");
	}
	if (r->status == 405)
		put_s(&o, "Allow: GET, HEAD\r\n");
	if (r->location) {
		/* as %.*s: up to a NUL (the Location has none: it is escaped) */
		put_s(&o, "Location: ");
		const char *nul = memchr(r->location, '\0', r->location_len);
		put_mem(&o, r->location, nul ? (size_t)(nul - r->location) : r->location_len);
		put_s(&o, "\r\n");
	}
	put_s(&o, r->keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n");
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
