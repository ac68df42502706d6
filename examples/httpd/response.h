/* SPDX-License-Identifier: ISC */
/*
 * response.h - HTTP/1.1 response heads and the small error pages.  No
 * I/O: the caller's buffer in, its length out.
 */
#ifndef HTTPD_RESPONSE_H
#define HTTPD_RESPONSE_H

#include <stddef.h>
#include <stdint.h>

struct http_reply {
	int status;
	int keep_alive;   /* Connection: keep-alive, else close */
	int64_t now;      /* Date */
	const char *type; /* Content-Type, or NULL for none */
	uint64_t length;  /* Content-Length: the body's bytes, also for HEAD */
	int has_mtime;    /* Last-Modified, ETag (and Accept-Ranges on 200/206) */
	int64_t mtime;
	uint32_t mtime_ns;    /* in the ETag only */
	uint64_t range_off;   /* 206: Content-Range off-(off+length-1)/total */
	uint64_t total;       /* 206 and 416: the file's size */
	const char *location; /* 301: Location, already safe to send, or NULL */
	size_t location_len;
};

/* The reason phrase of a status ("Not Found"); "Error" if unknown. */
const char *http_status_text(int status);

/* Write the head of r into buf[0..cap).  Its length, or 0 when it does
 * not fit (the caller's buffer is too small: a bug, answered with 500). */
size_t http_reply_head(char *buf, size_t cap, const struct http_reply *r);

/* The small HTML page of an error status into buf[0..cap); its length
 * (0 when it does not fit). */
size_t http_error_body(char *buf, size_t cap, int status);

/* Content-Type for a file's path, by its extension (never NULL). */
const char *http_mime_type(const char *path);

#endif
