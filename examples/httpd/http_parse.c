/* SPDX-License-Identifier: ISC */
/*
 * http_parse.c - HTTP/1.1 request heads (RFC 9112) from hostile bytes.
 *
 * Strict where being lenient could be exploited (one space between the
 * parts of the request line, no whitespace before a field's colon, no
 * line folding, no control bytes, no body, one Host, every line of a
 * head ending as its request line did), lenient where the RFC allows it
 * (a head whose every line ends in a bare LF, empty lines before the
 * request line, an invalid Range or date is ignored).
 *
 * Why the line ends must agree: a front proxy that takes only CRLF for a
 * line end keeps a bare LF inside a field value, so "X: a\n\nGET /b" is
 * one request to it and two to a server that ends lines at a bare LF
 * (request smuggling).  A head that mixes the two is 400.
 */
#include <string.h>

#include "http.h"

const struct http_limits http_default_limits = {
    .line_max = 8192,
    .head_max = 16384,
    .fields_max = 100,
};

/* tchar of RFC 9110 5.6.2 */
static int is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return 1;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* A byte that may appear in a request line: visible ASCII and space. */
static int is_line_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* A byte of a field value: visible, space, tab, or obs-text. */
static int is_value_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static int ieq(const char *a, size_t n, const char *lit)
{
	size_t k = strlen(lit);
	if (n != k)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lower((unsigned char)a[i]) != lit[i])
			return 0;
	return 1;
}

/* Skip the empty lines a client may send before the request line. */
static size_t skip_empty_lines(const char *buf, size_t len)
{
	size_t i = 0;
	for (;;) {
		if (i < len && buf[i] == '\n')
			i++;
		else if (i + 1 < len && buf[i] == '\r' && buf[i + 1] == '\n')
			i += 2;
		else
			return i;
	}
}

enum { SCAN_EMPTY = 0, SCAN_REQUEST_LINE, SCAN_FIELDS };

int http_head_scan(struct http_head_scan *s, const char *buf, size_t len,
                   const struct http_limits *lim, size_t *head_len)
{
	/* bytes past the head limit are never looked at: the answer for
	 * them is 431 whatever they are */
	size_t end = len < lim->head_max ? len : lim->head_max;
	*head_len = 0;
	for (size_t i = s->pos; i < end; i++) {
		unsigned char c = (unsigned char)buf[i];
		int cr = i > s->line_start && buf[i - 1] == '\r';
		if (cr && c != '\n')
			return 400; /* a bare CR */
		if (c == '\n') {
			int empty = i - (size_t)cr == s->line_start;
			s->line_start = i + 1;
			if (s->phase == SCAN_REQUEST_LINE) {
				s->crlf = cr; /* the head's line end */
				s->phase = SCAN_FIELDS;
			} else if (s->phase == SCAN_FIELDS) {
				if (cr != s->crlf)
					return 400; /* a line end unlike the request line's */
				if (empty) {
					*head_len = i + 1; /* the empty line */
					return 0;
				}
			}
			continue;
		}
		if (c == '\r')
			continue; /* looked at with the next byte */
		if (s->phase == SCAN_EMPTY)
			s->phase = SCAN_REQUEST_LINE;
		if (s->phase == SCAN_REQUEST_LINE) {
			if (!is_line_byte(c))
				return 400;
			if (i - s->line_start >= lim->line_max)
				return 414;
		}
	}
	s->pos = end;
	return len >= lim->head_max ? 431 : 0;
}

int http_head_end(const char *buf, size_t len, const struct http_limits *lim, size_t *head_len)
{
	struct http_head_scan s = {0};
	return http_head_scan(&s, buf, len, lim, head_len);
}

/* ---- the request line ---- */

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (unsigned char)lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode the path of the target t[0..n): 0, or the status. */
static int decode_path(const char *t, size_t n, struct http_request *req)
{
	size_t o = 0;
	/* absolute-form: scheme://authority/path, the authority ignored */
	if (n >= 7 && (ieq(t, 7, "http://") || (n >= 8 && ieq(t, 8, "https://")))) {
		const char *p = (const char *)memchr(t, ':', n) + 3;
		const char *slash = memchr(p, '/', n - (size_t)(p - t));
		if (!slash) {
			t = "/";
			n = 1;
		} else {
			n -= (size_t)(slash - t);
			t = slash;
		}
	}
	if (n == 0 || t[0] != '/')
		return 400; /* asterisk-form and authority-form are not for GET */
	for (size_t i = 0; i < n; i++)
		if (t[i] == '?') {
			req->query = t + i + 1; /* kept for a redirect */
			req->query_len = n - i - 1;
			n = i;
			break;
		} else if (t[i] == '#') {
			return 400;
		}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)t[i];
		if (c == '%') {
			int hi, lo;
			if (i + 2 >= n)
				return 400;
			hi = hexval((unsigned char)t[i + 1]);
			lo = hexval((unsigned char)t[i + 2]);
			if (hi < 0 || lo < 0)
				return 400;
			c = (unsigned char)(hi * 16 + lo);
			i += 2;
			if (c < 0x20 || c == 0x7f)
				return 400; /* NUL, line ends, control bytes */
		}
		if (o >= HTTP_PATH_MAX)
			return 414;
		req->path[o++] = (char)c;
	}
	req->path[o] = '\0';
	req->path_len = o;
	return 0;
}

static int parse_request_line(const char *l, size_t n, struct http_request *req)
{
	const char *sp1 = memchr(l, ' ', n), *sp2, *v;
	size_t mlen, tlen, vlen;
	int known;
	if (!sp1)
		return 400;
	mlen = (size_t)(sp1 - l);
	sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
	if (!sp2)
		return 400;
	tlen = (size_t)(sp2 - sp1 - 1);
	v = sp2 + 1;
	vlen = n - (size_t)(v - l);
	if (mlen == 0 || tlen == 0 || memchr(v, ' ', vlen))
		return 400;
	for (size_t i = 0; i < mlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return 400;
	/* the version first: it decides keep-alive for every answer */
	if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[6] != '.' || v[5] < '0' || v[5] > '9' ||
	    v[7] < '0' || v[7] > '9')
		return 400;
	if (v[5] != '1' || (v[7] != '0' && v[7] != '1'))
		return 505;
	req->minor = (unsigned)(v[7] - '0');
	req->keep_alive = req->minor == 1;
	known = 1;
	if (mlen == 3 && !memcmp(l, "GET", 3))
		req->method = HTTP_GET;
	else if (mlen == 4 && !memcmp(l, "HEAD", 4))
		req->method = HTTP_HEAD;
	else
		known = 0;
	{
		int rc = decode_path(sp1 + 1, tlen, req);
		if (rc)
			return rc;
	}
	return known ? 0 : 405;
}

/* ---- fields ---- */

static void trim(const char **v, size_t *n)
{
	while (*n && (**v == ' ' || **v == '\t')) {
		(*v)++;
		(*n)--;
	}
	while (*n && ((*v)[*n - 1] == ' ' || (*v)[*n - 1] == '\t'))
		(*n)--;
}

/* Connection: a comma list of options; close wins over keep-alive. */
static void parse_connection(const char *v, size_t n, struct http_request *req, int *closed)
{
	while (n) {
		const char *c = memchr(v, ',', n);
		size_t k = c ? (size_t)(c - v) : n;
		const char *tok = v;
		size_t tk = k;
		trim(&tok, &tk);
		if (ieq(tok, tk, "close")) {
			req->keep_alive = 0;
			*closed = 1;
		} else if (ieq(tok, tk, "keep-alive") && req->minor == 0 && !*closed) {
			req->keep_alive = 1;
		}
		if (!c)
			break;
		v = c + 1;
		n -= k + 1;
	}
}

/* A decimal number of at most 18 digits: 0 and *out, or -1. */
static int parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Range: bytes=first-last | first- | -suffix, one range only; anything
 * else leaves has_range 0 (an invalid or multiple Range is ignored). */
static void parse_range(const char *v, size_t n, struct http_request *req)
{
	const char *dash;
	struct http_range r = {0};
	if (n < 6 || !ieq(v, 6, "bytes="))
		return;
	v += 6;
	n -= 6;
	trim(&v, &n);
	if (memchr(v, ',', n) || !(dash = memchr(v, '-', n)))
		return;
	if (dash == v) {
		r.suffix = 1;
		if (parse_u64(v + 1, n - 1, &r.last) < 0)
			return;
	} else {
		size_t k = (size_t)(dash - v);
		if (parse_u64(v, k, &r.first) < 0)
			return;
		if (k + 1 == n)
			r.open_end = 1;
		else if (parse_u64(dash + 1, n - k - 1, &r.last) < 0 || r.last < r.first)
			return;
	}
	req->range = r;
	req->has_range = 1;
}

/* One entity tag, t[0..n) trimmed: 0 and *tag when it has our form
 * (*weak set for W/), -1 otherwise. */
static int parse_etag(const char *t, size_t n, struct http_etag *tag, int *weak)
{
	uint64_t v[3] = {0, 0, 0};
	size_t i = 0, k = 0;
	*weak = 0;
	if (n >= 2 && t[0] == 'W' && t[1] == '/') {
		*weak = 1;
		t += 2;
		n -= 2;
	}
	if (n < 7 || t[0] != '"' || t[n - 1] != '"')
		return -1;
	for (i = 1; i < n - 1; i++) {
		int h = hexval((unsigned char)t[i]);
		if (t[i] == '-' && k < 2 && t[i - 1] != '"' && t[i - 1] != '-') {
			k++;
			continue;
		}
		if (h < 0 || v[k] >> 60)
			return -1;
		v[k] = v[k] * 16 + (uint64_t)h;
	}
	if (k != 2 || t[n - 2] == '-' || v[1] >= 1000000000)
		return -1;
	tag->mtime = (int64_t)v[0];
	tag->mtime_ns = (uint32_t)v[1];
	tag->size = v[2];
	return 0;
}

/* If-None-Match: "*", or a comma list of entity tags. */
static void parse_inm(const char *v, size_t n, struct http_request *req)
{
	if (n == 1 && v[0] == '*') {
		req->inm = 2;
		return;
	}
	if (req->inm != 2)
		req->inm = 1;
	while (n) {
		const char *c = memchr(v, ',', n);
		size_t k = c ? (size_t)(c - v) : n;
		const char *tok = v;
		size_t tk = k;
		struct http_etag tag;
		int weak;
		trim(&tok, &tk);
		if (parse_etag(tok, tk, &tag, &weak) == 0 && req->inm_n < HTTP_ETAGS_MAX)
			req->inm_tags[req->inm_n++] = tag;
		if (!c)
			break;
		v = c + 1;
		n -= k + 1;
	}
}

struct field_seen {
	unsigned host, content_length, transfer_encoding, range;
	int closed;
	uint64_t length;
};

static int parse_field(const char *l, size_t n, struct http_request *req, struct field_seen *s)
{
	const char *colon = memchr(l, ':', n), *v;
	size_t nlen, vlen;
	if (n && (l[0] == ' ' || l[0] == '\t'))
		return 400; /* obs-fold */
	if (!colon || colon == l)
		return 400;
	nlen = (size_t)(colon - l);
	for (size_t i = 0; i < nlen; i++)
		if (!is_tchar((unsigned char)l[i]))
			return 400; /* whitespace before the colon, or junk in the name */
	v = colon + 1;
	vlen = n - nlen - 1;
	for (size_t i = 0; i < vlen; i++)
		if (!is_value_byte((unsigned char)v[i]))
			return 400;
	trim(&v, &vlen);
	if (ieq(l, nlen, "host")) {
		if (++s->host > 1)
			return 400;
	} else if (ieq(l, nlen, "connection")) {
		parse_connection(v, vlen, req, &s->closed);
	} else if (ieq(l, nlen, "content-length")) {
		uint64_t len;
		if (parse_u64(v, vlen, &len) < 0)
			return 400;
		if (s->content_length++ && len != s->length)
			return 400;
		s->length = len;
	} else if (ieq(l, nlen, "transfer-encoding")) {
		s->transfer_encoding++;
	} else if (ieq(l, nlen, "if-modified-since")) {
		req->has_ims = http_date_parse(v, vlen, &req->ims) == 0;
	} else if (ieq(l, nlen, "range")) {
		if (s->range++)
			req->has_range = 0; /* two Range fields: ignore both */
		else
			parse_range(v, vlen, req);
	} else if (ieq(l, nlen, "if-range")) {
		int weak;
		if (http_date_parse(v, vlen, &req->if_range_date) == 0)
			req->if_range = 1;
		else if (parse_etag(v, vlen, &req->if_range_tag, &weak) == 0 && !weak)
			req->if_range = 2;
		else
			req->if_range = 3; /* a weak tag never matches for a range */
	} else if (ieq(l, nlen, "if-none-match")) {
		parse_inm(v, vlen, req);
	}
	return 0;
}

int http_parse(const char *buf, size_t len, const struct http_limits *lim, struct http_request *req)
{
	struct field_seen seen = {0};
	size_t i = skip_empty_lines(buf, len), nfields = 0;
	int line = 0, rc = 0, status = 0, crlf = 0;
	memset(req, 0, sizeof(*req));
	while (i < len) {
		const char *l = buf + i, *nl = memchr(l, '\n', len - i);
		size_t n;
		int cr;
		if (!nl)
			return 400; /* http_head_end did not find this head */
		n = (size_t)(nl - l);
		i += n + 1;
		cr = n && l[n - 1] == '\r';
		n -= (size_t)cr;
		if (memchr(l, '\r', n))
			return 400;
		if (line == 0)
			crlf = cr; /* the request line's line end is the head's */
		else if (cr != crlf)
			return 400;
		if (line++ == 0) {
			if (n > lim->line_max)
				return 414;
			status = parse_request_line(l, n, req);
			if (status && status != 405)
				return status;
			continue;
		}
		if (n == 0)
			break; /* the end of the head */
		if (++nfields > lim->fields_max)
			return 431;
		if ((rc = parse_field(l, n, req, &seen)))
			return rc;
	}
	if (line == 0)
		return 400;
	if (seen.transfer_encoding && seen.content_length)
		return 400; /* both: the framing is ambiguous */
	if (req->minor == 1 && seen.host == 0)
		return 400;
	if (seen.transfer_encoding || (seen.content_length && seen.length > 0)) {
		/* no body is read here: what follows the head cannot be taken
		 * for the next request */
		req->keep_alive = 0;
		return status ? status : 413;
	}
	return status; /* 0, or 405 once the head is known to be well-formed */
}

size_t http_path_squash(char *p, size_t n)
{
	size_t o = 0, i = 0;
	while (i < n) {
		if (p[i] != '/') {
			p[o++] = p[i++];
			continue;
		}
		p[o++] = p[i++];
		for (;;) {
			if (i < n && p[i] == '/')
				i++;
			else if (i + 1 < n && p[i] == '.' && p[i + 1] == '/')
				i += 2;
			else
				break;
		}
	}
	if (o < n)
		p[o] = '\0';
	return o;
}

/* Whether an entity tag is the file's. */
static int tag_is(const struct http_etag *t, uint64_t size, int64_t mtime, uint32_t mtime_ns)
{
	return t->mtime == mtime && t->mtime_ns == mtime_ns && t->size == size;
}

int http_range_resolve(const struct http_request *req, uint64_t size, int64_t mtime,
                       uint32_t mtime_ns, int64_t now, uint64_t *off, uint64_t *count)
{
	const struct http_range *r = &req->range;
	if (!req->has_range)
		return 200;
	if (req->if_range == 3 ||
	    (req->if_range == 1 && (req->if_range_date != mtime || mtime > now - 1)) ||
	    (req->if_range == 2 && !tag_is(&req->if_range_tag, size, mtime, mtime_ns)))
		return 200; /* the representation changed, a date too close to
		             * be strong, or a validator we never gave */
	if (r->suffix) {
		if (r->last == 0 || size == 0)
			return 416;
		*count = r->last < size ? r->last : size;
		*off = size - *count;
		return 206;
	}
	if (r->first >= size)
		return 416;
	*off = r->first;
	*count = (r->open_end || r->last >= size ? size - 1 : r->last) - r->first + 1;
	return 206;
}

int http_not_modified(const struct http_request *req, uint64_t size, int64_t mtime,
                      uint32_t mtime_ns)
{
	if (req->inm == 2)
		return 1;
	if (req->inm == 1) {
		for (unsigned i = 0; i < req->inm_n; i++)
			if (tag_is(&req->inm_tags[i], size, mtime, mtime_ns))
				return 1;
		return 0; /* If-Modified-Since is not looked at */
	}
	return req->has_ims && mtime <= req->ims;
}
