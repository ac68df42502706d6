/* SPDX-License-Identifier: ISC */
/*
 * http.h - HTTP/1.1 request heads, as the worker parses them: where a
 * head ends, what it asks, which byte range it wants, and HTTP dates.
 * No I/O and no allocation: every function works on the caller's bytes,
 * which come straight from the network and are hostile.
 */
#ifndef HTTPD_HTTP_H
#define HTTPD_HTTP_H

#include <stddef.h>
#include <stdint.h>

/* Longest decoded path a request may name; longer is 414. */
#define HTTP_PATH_MAX 1024u

struct http_limits {
	size_t line_max;     /* request line without its line end; longer: 414 */
	size_t head_max;     /* the whole head, final empty line included; longer: 431 */
	unsigned fields_max; /* header fields; more: 431 */
};

/* The limits httpd uses: 8 KiB line, 16 KiB head, 100 fields. */
extern const struct http_limits http_default_limits;

enum http_method { HTTP_GET = 1, HTTP_HEAD };

/* An entity tag as httpd makes them: "MTIME-NSEC-SIZE", all three in hex
 * (the modification time to the nanosecond, so that two versions written
 * within one second differ, as a strong validator must).  A tag in any
 * other form can never match one of ours, so it is not kept. */
struct http_etag {
	int64_t mtime;
	uint64_t size;
	uint32_t mtime_ns; /* below 1e9 */
};
#define HTTP_ETAGS_MAX 8 /* tags kept from one If-None-Match */

/* One byte range (RFC 9110 14.1.2): first-last, first- (open end), or
 * the last `suffix` bytes. */
struct http_range {
	int suffix;     /* 1: the last `last` bytes; first unused */
	int open_end;   /* 1: from first to the end */
	uint64_t first; /* inclusive */
	uint64_t last;  /* inclusive, or the suffix length */
};

struct http_request {
	enum http_method method;
	unsigned minor;               /* HTTP/1.minor, 0 or 1 */
	char path[HTTP_PATH_MAX + 1]; /* decoded; starts with '/'; no NUL, no control byte */
	size_t path_len;
	int keep_alive; /* the connection may serve another request */
	int has_ims;    /* If-Modified-Since, valid */
	int64_t ims;    /* seconds since the epoch */
	int has_range;  /* Range: one satisfiable-looking bytes range */
	struct http_range range;
	int if_range; /* If-Range present: 1 a date (if_range_date), 2 a strong tag
	               * of ours (if_range_tag), 3 anything else */
	int64_t if_range_date;
	struct http_etag if_range_tag;
	int inm; /* If-None-Match present: 1 a list (inm_tags), 2 "*" */
	unsigned inm_n;
	struct http_etag inm_tags[HTTP_ETAGS_MAX];
	const char *query; /* after '?' in the target, raw, in the caller's
	                    * buffer; NULL when the target has no '?' */
	size_t query_len;
};

/* Where the head at buf[0..len) ends.  Returns 0 with *head_len the
 * head's length (its final empty line included) when it is complete, 0
 * with *head_len 0 when more bytes are needed, or the status that refuses
 * it whatever comes next: 400 (a byte that cannot be in a request line, a
 * bare CR, a line end unlike the request line's: once the request line
 * ended with CRLF every line must, once with a bare LF every line must),
 * 414 (request line over lim->line_max), 431 (head over lim->head_max).
 * Empty lines before the request line may end either way. */
int http_head_end(const char *buf, size_t len, const struct http_limits *lim, size_t *head_len);

/* The same, for a head that arrives in pieces: each call looks only at
 * the bytes that came since the last one.  Start from a zeroed *s; call
 * again with the same buffer grown (its first s->pos bytes unchanged)
 * while the result is 0 with *head_len 0; zero *s again for the next
 * head.  Same results as http_head_end on the same bytes. */
struct http_head_scan {
	size_t pos;        /* bytes looked at */
	size_t line_start; /* where the line being read starts */
	int phase;         /* empty lines, the request line, the fields */
	int crlf;          /* the request line ended with CRLF */
};
int http_head_scan(struct http_head_scan *s, const char *buf, size_t len,
                   const struct http_limits *lim, size_t *head_len);

/* Parse the complete head buf[0..len) (as http_head_end found it) into
 * *req.  Returns 0, or the status of the refusal: 400 malformed, 405 a
 * method other than GET and HEAD, 413 a request with a body, 414 a path
 * too long once decoded, 431 too many fields, 505 an HTTP version other
 * than 1.0 and 1.1.  req->keep_alive is meaningful whenever the request
 * line's version parsed, also on error. */
int http_parse(const char *buf, size_t len, const struct http_limits *lim,
               struct http_request *req);

/* Collapse "//" and "/./" in the decoded path p[0..n) to "/", in place
 * (a final "/." and every ".." stay): the path's new length.  Names that
 * reach the same file by such steps are then one name, for the cache. */
size_t http_path_squash(char *p, size_t n);

/* Which bytes of a file of size bytes, modified at mtime (seconds) and
 * mtime_ns, req gets when answered at now (the Date, seconds): 200 (all
 * of it: no Range, an If-Range that does not hold), 206 with *off and
 * *count, or 416 (no byte of the range is in the file).  An If-Range date
 * holds only when it is the file's Last-Modified and that is at least 1 s
 * before now (RFC 9110 13.1.5: a weaker date is no strong validator). */
int http_range_resolve(const struct http_request *req, uint64_t size, int64_t mtime,
                       uint32_t mtime_ns, int64_t now, uint64_t *off, uint64_t *count);

/* Whether a file of size bytes modified at mtime and mtime_ns is "not
 * modified" for req's conditions (RFC 9110 13.2.2): If-None-Match when
 * present (weak comparison; "*" matches any file), else
 * If-Modified-Since. */
int http_not_modified(const struct http_request *req, uint64_t size, int64_t mtime,
                      uint32_t mtime_ns);

/* The IMF-fixdate of t ("Sun, 06 Nov 1994 08:49:37 GMT"), NUL-terminated,
 * in out[HTTP_DATE_LEN + 1]. */
#define HTTP_DATE_LEN 29
void http_date_format(int64_t t, char *out);

/* Parse an HTTP-date in any of its three forms (IMF-fixdate, RFC 850,
 * asctime) from s[0..n).  0 and *t, or -1 when it is not one. */
int http_date_parse(const char *s, size_t n, int64_t *t);

#endif
