/* SPDX-License-Identifier: ISC */
/*
 * test_http.c - examples/httpd's HTTP code on its own: where a head
 * ends, what the parser accepts and refuses (and with which status),
 * byte ranges, HTTP dates, response heads, Content-Type.  One test per
 * rule; the bytes are what a hostile client would send.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accesslog.h"
#include "http.h"
#include "response.h"

static const struct http_limits *L = &http_default_limits;

/* The Date of answers in the tests: long after every file's mtime. */
#define NOW ((int64_t)1 << 40)

/* Parse a whole head given as a C string. */
static int parse(const char *s, struct http_request *req)
{
	size_t head = 0;
	int rc = http_head_end(s, strlen(s), L, &head);
	if (rc)
		return rc;
	assert_int_equal(head, strlen(s));
	return http_parse(s, head, L, req);
}

static int parse_status(const char *s)
{
	struct http_request req;
	return parse(s, &req);
}

/* ---- where a head ends ---- */

static void head_end_needs_more_until_the_empty_line(void **st)
{
	(void)st;
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t head;
	for (size_t n = 0; n < strlen(s); n++) {
		assert_int_equal(http_head_end(s, n, L, &head), 0);
		assert_int_equal(head, 0);
	}
	assert_int_equal(http_head_end(s, strlen(s), L, &head), 0);
	assert_int_equal(head, strlen(s));
}

static void head_end_stops_at_the_first_empty_line(void **st)
{
	(void)st;
	const char *s = "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n";
	size_t head;
	assert_int_equal(http_head_end(s, strlen(s), L, &head), 0);
	assert_int_equal(head, strlen("GET /a HTTP/1.1\r\nHost: a\r\n\r\n"));
}

static void head_end_accepts_bare_lf(void **st)
{
	(void)st;
	const char *s = "GET / HTTP/1.0\n\n";
	size_t head;
	assert_int_equal(http_head_end(s, strlen(s), L, &head), 0);
	assert_int_equal(head, strlen(s));
}

static void head_end_skips_empty_lines_before_the_request_line(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("\r\n\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/x");
}

static void head_end_refuses_a_control_byte_in_the_request_line_at_once(void **st)
{
	(void)st;
	size_t head;
	/* a TLS ClientHello starts 0x16 0x03: refused with the first byte */
	assert_int_equal(http_head_end("\x16\x03\x01", 3, L, &head), 400);
	assert_int_equal(http_head_end("GET /\0 HTTP/1.1", 15, L, &head), 400);
	assert_int_equal(http_head_end("GET /\x7f", 6, L, &head), 400);
	assert_int_equal(http_head_end("GET /\xc3\xa9", 7, L, &head), 400);
}

static void head_end_refuses_a_bare_cr(void **st)
{
	(void)st;
	size_t head;
	assert_int_equal(http_head_end("GET / HTTP/1.1\rX", 16, L, &head), 400);
}

static void head_end_refuses_a_request_line_over_the_limit_with_414(void **st)
{
	(void)st;
	size_t n = L->line_max + 10, head;
	char *s = malloc(n);
	assert_non_null(s);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', n - 5);
	/* incomplete: refused as soon as the line is too long */
	assert_int_equal(http_head_end(s, L->line_max, L, &head), 0);
	assert_int_equal(http_head_end(s, L->line_max + 1, L, &head), 414);
	free(s);
}

static void head_end_accepts_a_request_line_of_exactly_the_limit(void **st)
{
	(void)st;
	size_t n = L->line_max, head;
	char *s = malloc(n + 32);
	assert_non_null(s);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', n - 5 - 9);
	memcpy(s + n - 9, " HTTP/1.0", 9);
	memcpy(s + n, "\r\n\r\n", 4);
	assert_int_equal(http_head_end(s, n + 4, L, &head), 0);
	assert_int_equal(head, n + 4);
	free(s);
}

static void head_end_refuses_a_head_over_the_limit_with_431(void **st)
{
	(void)st;
	size_t n = L->head_max + 100, head, o;
	char *s = malloc(n);
	assert_non_null(s);
	o = (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
	while (o + 20 < n)
		o += (size_t)sprintf(s + o, "X-A: aaaaaaaaaaaa\r\n");
	assert_int_equal(http_head_end(s, L->head_max, L, &head), 431);
	memcpy(s + L->head_max - 2, "\r\n", 2); /* ends after the limit */
	assert_int_equal(http_head_end(s, L->head_max + 1, L, &head), 431);
	free(s);
}

static void head_end_refuses_a_bare_lf_in_a_crlf_head(void **st)
{
	(void)st;
	static const char *const mixed[] = {
	    /* smuggling: a proxy that ends lines only at CRLF sees one
	     * request whose X field holds "a\n\nGET /in ..." */
	    "GET /a.txt HTTP/1.1\r\nHost: x\r\nX: a\n\nGET /in HTTP/1.1\r\nHost: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\nX: a\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: x\r\n\n",
	    /* and a CRLF in a head whose request line ended with a bare LF */
	    "GET / HTTP/1.0\nHost: x\r\n\n",
	    "GET / HTTP/1.0\nHost: x\n\r\n",
	};
	for (size_t i = 0; i < sizeof(mixed) / sizeof(mixed[0]); i++) {
		size_t head = 1;
		struct http_request req;
		if (http_head_end(mixed[i], strlen(mixed[i]), L, &head) != 400)
			fail_msg("not 400: %s", mixed[i]);
		assert_int_equal(head, 0);
		/* the parser alone refuses it too */
		if (http_parse(mixed[i], strlen(mixed[i]), L, &req) != 400)
			fail_msg("parsed: %s", mixed[i]);
	}
	/* one line end throughout is a head, either way */
	assert_int_equal(parse_status("GET / HTTP/1.1\nHost: x\nX: a\n\n"), 0);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n\r\n"), 0);
	/* empty lines before the request line may end either way */
	assert_int_equal(parse_status("\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
}

/* Feed s to http_head_scan one byte more each call, as a slow client
 * sends it, until it decides; its result must be http_head_end's on the
 * whole. */
static void scan_byte_by_byte(const char *s, size_t n)
{
	struct http_head_scan sc = {0};
	size_t whole_head = 0, head = 0;
	int whole = http_head_end(s, n, L, &whole_head), rc = 0;
	for (size_t k = 1; k <= n; k++) {
		rc = http_head_scan(&sc, s, k, L, &head);
		if (rc || head)
			break;
	}
	if (rc != whole || head != whole_head)
		fail_msg("byte by byte: %d/%zu, whole: %d/%zu for %.40s", rc, head, whole,
		         whole_head, s);
}

static void head_scan_byte_by_byte_is_the_same_as_whole(void **st)
{
	(void)st;
	static const char *const heads[] = {
	    "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
	    "\r\n\nGET / HTTP/1.0\n\n",
	    "GET / HTTP/1.0\nHost: a\n\n",
	    "GET / HTTP/1.1\r\nHost: a\r\nX: a\n\nGET /in HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.0\nHost: a\r\n\n",
	    "GET / HTTP/1.1\rX",
	    "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n",
	    "\x16\x03\x01\x02",
	    "GET /\x7f HTTP/1.1\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: a\r\n",
	};
	for (size_t i = 0; i < sizeof(heads) / sizeof(heads[0]); i++)
		scan_byte_by_byte(heads[i], strlen(heads[i]));
	/* the limits: a request line too long (414), a head too long (431),
	 * a head that ends exactly at the limit */
	size_t n = L->head_max + 100, o;
	char *s = malloc(n);
	assert_non_null(s);
	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', n - 5);
	scan_byte_by_byte(s, n);
	o = (size_t)sprintf(s, "GET / HTTP/1.1\r\n");
	while (o + 20 < n)
		o += (size_t)sprintf(s + o, "X-A: aaaaaaaaaaaa\r\n");
	scan_byte_by_byte(s, o);
	memcpy(s + L->head_max - 4, "\r\n\r\n", 4);
	scan_byte_by_byte(s, L->head_max);
	size_t head;
	assert_int_equal(http_head_end(s, L->head_max, L, &head), 0);
	assert_int_equal(head, L->head_max);
	free(s);
}

static void head_scan_does_not_look_at_bytes_again(void **st)
{
	(void)st;
	char s[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t n = strlen(s), head;
	struct http_head_scan sc = {0};
	assert_int_equal(http_head_scan(&sc, s, n - 2, L, &head), 0);
	assert_int_equal(head, 0);
	assert_int_equal(sc.pos, n - 2);
	/* a byte already looked at changes: only the new ones are read, so
	 * the head ends where it would have */
	s[1] = '\x01';
	assert_int_equal(http_head_scan(&sc, s, n, L, &head), 0);
	assert_int_equal(head, n);
	assert_int_equal(http_head_end(s, n, L, &head), 400); /* read whole, it is refused */
}

/* ---- the request line ---- */

static void parse_get_origin_form(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET /a/b.txt HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_int_equal(req.method, HTTP_GET);
	assert_int_equal(req.minor, 1);
	assert_string_equal(req.path, "/a/b.txt");
	assert_int_equal(req.path_len, 8);
	assert_int_equal(req.keep_alive, 1);
	assert_int_equal(req.has_range, 0);
	assert_int_equal(req.has_ims, 0);
}

static void parse_head(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_int_equal(req.method, HTTP_HEAD);
}

static void parse_strips_the_query(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET /a?x=%00/../ HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/a");
	/* and keeps it, raw, for a redirect */
	assert_non_null(req.query);
	assert_int_equal(req.query_len, strlen("x=%00/../"));
	assert_memory_equal(req.query, "x=%00/../", req.query_len);
	assert_int_equal(parse("GET /a? HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_non_null(req.query);
	assert_int_equal(req.query_len, 0);
	assert_int_equal(parse("GET /a HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_null(req.query);
}

static void parse_absolute_form_takes_the_path(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET http://h:80/p/q HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/p/q");
	assert_int_equal(parse("GET HTTPS://h HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/");
	assert_int_equal(parse("GET http://h/%2e%2e/x HTTP/1.1\r\nHost: h\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/../x");
}

static void parse_refuses_targets_that_are_not_paths(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET a/b HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET h:80 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a#frag HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET ftp://h/a HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

static void parse_decodes_percent_escapes(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET /a%20b%2Fc%2e%41 HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/a b/c.A");
	/* the parser decodes; the broker refuses the ".." */
	assert_int_equal(parse("GET /%2e%2e/%2E%2E/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", &req),
	                 0);
	assert_string_equal(req.path, "/../../etc/passwd");
	/* no double decoding */
	assert_int_equal(parse("GET /%252e HTTP/1.1\r\nHost: x\r\n\r\n", &req), 0);
	assert_string_equal(req.path, "/%2e");
}

static void parse_refuses_bad_percent_escapes(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET /a% HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%4 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%g0 HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

static void parse_refuses_encoded_nul_and_control_bytes(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET /a%00.txt HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%0d%0aX:%20y HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%7f HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /a%1b HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

static void parse_refuses_a_decoded_path_over_the_limit_with_414(void **st)
{
	(void)st;
	char s[HTTP_PATH_MAX + 64];
	struct http_request req;
	int o = sprintf(s, "GET /");
	memset(s + o, 'a', HTTP_PATH_MAX - 1);
	o += HTTP_PATH_MAX - 1;
	o += sprintf(s + o, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(parse(s, &req), 0); /* exactly the limit */
	assert_int_equal(req.path_len, HTTP_PATH_MAX);
	o = sprintf(s, "GET /");
	memset(s + o, 'a', HTTP_PATH_MAX);
	o += HTTP_PATH_MAX;
	sprintf(s + o, " HTTP/1.1\r\nHost: x\r\n\r\n");
	assert_int_equal(parse_status(s), 414);
}

static void parse_refuses_other_methods_with_405(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\n\r\n", &req), 405);
	assert_int_equal(req.keep_alive, 1); /* a well-formed head: the connection goes on */
	assert_int_equal(parse_status("DELETE /a HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	assert_int_equal(parse_status("get / HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
	assert_int_equal(parse_status("BREW / HTTP/1.1\r\nHost: x\r\n\r\n"), 405);
}

static void parse_405_with_a_body_closes_the_connection(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", &req),
	                 405);
	assert_int_equal(req.keep_alive, 0);
}

static void parse_refuses_malformed_request_lines(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /  HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1 \r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET /\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET\r\n\r\n"), 400);
	assert_int_equal(parse_status(" GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1x\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / http/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/11\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / FTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET\t/ HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
}

static void parse_refuses_other_versions_with_505(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
	assert_int_equal(parse_status("GET / HTTP/1.2\r\nHost: x\r\n\r\n"), 505);
	assert_int_equal(parse_status("GET / HTTP/0.9\r\n\r\n"), 505);
}

/* ---- keep-alive ---- */

static void keep_alive_by_version_and_connection(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req), 0);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(parse("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &req), 0);
	assert_int_equal(req.keep_alive, 1);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", &req), 0);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: x, CLOSE \r\n\r\n", &req),
	                 0);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: closed\r\n\r\n", &req), 0);
	assert_int_equal(req.keep_alive, 1);
	/* keep-alive does not reopen what close shut */
	assert_int_equal(
	    parse("GET / HTTP/1.0\r\nConnection: close\r\nConnection: keep-alive\r\n\r\n", &req),
	    0);
	assert_int_equal(req.keep_alive, 0);
}

static void path_squash_collapses_double_slashes_and_dot_segments(void **st)
{
	(void)st;
	static const char *const cases[][2] = {
	    {"/big", "/big"},
	    {"//big", "/big"},
	    {"/./big", "/big"},
	    {"/.//./big", "/big"},
	    {"/a//b/./c", "/a/b/c"},
	    {"/a/././b", "/a/b"},
	    {"/sub//", "/sub/"},
	    {"/sub/./", "/sub/"},
	    {"/sub/.", "/sub/."},
	    {"/a/../b", "/a/../b"},
	    {"//../x", "/../x"},
	    {"/.x/..y", "/.x/..y"},
	    {"/", "/"},
	    {"///", "/"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[64];
		size_t n = strlen(cases[i][0]);
		memcpy(p, cases[i][0], n + 1);
		n = http_path_squash(p, n);
		assert_int_equal(n, strlen(cases[i][1]));
		if (strcmp(p, cases[i][1]) != 0)
			fail_msg("%s: %s, not %s", cases[i][0], p, cases[i][1]);
	}
}

/* ---- fields ---- */

static void host_is_required_once_in_1_1(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/1.1\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nhOST: a\r\n\r\n"), 0);
	assert_int_equal(parse_status("GET / HTTP/1.0\r\n\r\n"), 0);
}

static void fields_refuse_obs_fold(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\n\tX: a\r\n\r\n"), 400);
}

static void fields_refuse_whitespace_before_the_colon(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 0\r\n\r\n"),
	                 400);
}

static void fields_refuse_lines_without_a_name_or_colon(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nnocolon\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nA(b: v\r\n\r\n"), 400);
}

static void fields_refuse_control_bytes_in_values(void **st)
{
	(void)st;
	const char s[] = "GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n";
	struct http_request req;
	size_t head;
	assert_int_equal(http_head_end(s, sizeof(s) - 1, L, &head), 0);
	assert_int_equal(http_parse(s, head, L, &req), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n"), 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n"), 400);
	/* tab and obs-text are allowed */
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\xe9\r\n\r\n"), 0);
}

static void fields_over_the_count_limit_are_431(void **st)
{
	(void)st;
	char s[4096];
	int o = sprintf(s, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (unsigned i = 1; i < L->fields_max; i++)
		o += sprintf(s + o, "X: %u\r\n", i);
	sprintf(s + o, "\r\n");
	assert_int_equal(parse_status(s), 0); /* exactly the limit */
	sprintf(s + o, "Y: z\r\n\r\n");
	assert_int_equal(parse_status(s), 431);
}

static void a_body_is_refused_with_413(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n\r\n", &req),
	                 413);
	assert_int_equal(req.keep_alive, 0);
	assert_int_equal(
	    parse_status("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"), 413);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"), 0);
}

static void ambiguous_framing_is_400(void **st)
{
	(void)st;
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	                              "Transfer-Encoding: chunked\r\n\r\n"),
	                 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	                              "Content-Length: 1\r\n\r\n"),
	                 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
	                 400);
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n"),
	                 400);
	assert_int_equal(
	    parse_status(
	        "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n"),
	    400);
	/* the same length twice is one length */
	assert_int_equal(parse_status("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
	                              "Content-Length: 0\r\n\r\n"),
	                 0);
}

static void if_modified_since_is_parsed_or_ignored(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n"
	                       "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n\r\n",
	                       &req),
	                 0);
	assert_int_equal(req.has_ims, 1);
	assert_int_equal(req.ims, 784111777);
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\nIf-Modified-Since: yesterday\r\n\r\n", &req), 0);
	assert_int_equal(req.has_ims, 0);
}

static void if_none_match_keeps_our_tags_and_star(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\n"
	          "If-None-Match: \"5e0d5e95-1f-6\", W/\"1-0-2\" , \"x\", abc, \"-1\", "
	          "\"5e0d5e95-6\"\r\n\r\n",
	          &req),
	    0);
	assert_int_equal(req.inm, 1);
	assert_int_equal(req.inm_n, 2);
	assert_int_equal(req.inm_tags[0].mtime, 0x5e0d5e95);
	assert_int_equal(req.inm_tags[0].size, 6);
	assert_int_equal(req.inm_tags[0].mtime_ns, 0x1f);
	assert_int_equal(req.inm_tags[1].mtime, 1);
	assert_int_equal(req.inm_tags[1].size, 2);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: *\r\n\r\n", &req), 0);
	assert_int_equal(req.inm, 2);
	/* overlong hex, empty halves, no quotes: not ours, not kept */
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\nIf-None-Match: \"11111111111111111-0-1\", "
	          "\"-1-1\", \"1--1\", \"1-1-\", 1-2-3, \"1-2\", \"1-2-3-4\", "
	          "\"1-3b9aca00-1\"\r\n\r\n",
	          &req),
	    0);
	assert_int_equal(req.inm, 1);
	assert_int_equal(req.inm_n, 0);
}

static void not_modified_by_tag_first_then_by_date(void **st)
{
	(void)st;
	struct http_request req = {0};
	assert_false(http_not_modified(&req, 6, 100, 0));
	req.has_ims = 1;
	req.ims = 100;
	assert_true(http_not_modified(&req, 6, 100, 0));
	assert_false(http_not_modified(&req, 6, 101, 0));
	/* an If-None-Match that does not match: the date is not looked at */
	req.inm = 1;
	req.inm_n = 1;
	req.inm_tags[0] = (struct http_etag){100, 7, 0};
	assert_false(http_not_modified(&req, 6, 100, 0));
	assert_true(http_not_modified(&req, 7, 100, 0));
	req.inm = 2;
	assert_true(http_not_modified(&req, 1, 1, 0));
}

/* ---- ranges ---- */

static void range_forms(void **st)
{
	(void)st;
	struct http_request req;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-9\r\n\r\n", &req), 0);
	assert_int_equal(req.has_range, 1);
	assert_int_equal(req.range.first, 0);
	assert_int_equal(req.range.last, 9);
	assert_int_equal(req.range.open_end, 0);
	assert_int_equal(req.range.suffix, 0);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=100-\r\n\r\n", &req), 0);
	assert_int_equal(req.range.open_end, 1);
	assert_int_equal(req.range.first, 100);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=-5\r\n\r\n", &req), 0);
	assert_int_equal(req.range.suffix, 1);
	assert_int_equal(req.range.last, 5);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nrange: BYTES=1-1\r\n\r\n", &req), 0);
	assert_int_equal(req.has_range, 1);
}

static void invalid_or_multiple_ranges_are_ignored(void **st)
{
	(void)st;
	static const char *const bad[] = {
	    "bytes=0-1,3-4", "bytes=5-1",
	    "bytes=-",       "bytes=",
	    "items=0-1",     "bytes=a-b",
	    "bytes=1-2-3",   "bytes 0-1",
	    "bytes=0x1-2",   "bytes=99999999999999999999-",
	};
	struct http_request req;
	char s[256];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: a\r\nRange: %s\r\n\r\n", bad[i]);
		assert_int_equal(parse(s, &req), 0);
		if (req.has_range)
			fail_msg("Range: %s was taken", bad[i]);
	}
	assert_int_equal(
	    parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n",
	          &req),
	    0);
	assert_int_equal(req.has_range, 0);
}

static struct http_request ranged(int suffix, int open_end, uint64_t first, uint64_t last)
{
	struct http_request r = {.has_range = 1};
	r.range.suffix = suffix;
	r.range.open_end = open_end;
	r.range.first = first;
	r.range.last = last;
	return r;
}

static void range_resolve_within_the_file(void **st)
{
	(void)st;
	uint64_t off = 99, n = 99;
	struct http_request r = ranged(0, 0, 10, 19);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 206);
	assert_int_equal(off, 10);
	assert_int_equal(n, 10);
	r = ranged(0, 0, 90, 1000); /* the end clipped to the file */
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 206);
	assert_int_equal(off, 90);
	assert_int_equal(n, 10);
	r = ranged(0, 1, 99, 0);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 206);
	assert_int_equal(off, 99);
	assert_int_equal(n, 1);
	r = ranged(1, 0, 0, 30);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 206);
	assert_int_equal(off, 70);
	assert_int_equal(n, 30);
	r = ranged(1, 0, 0, 300); /* a suffix longer than the file: all of it */
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 206);
	assert_int_equal(off, 0);
	assert_int_equal(n, 100);
}

static void range_resolve_outside_the_file_is_416(void **st)
{
	(void)st;
	uint64_t off, n;
	struct http_request r = ranged(0, 0, 100, 200);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 416);
	r = ranged(0, 1, 100, 0);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 416);
	r = ranged(1, 0, 0, 0);
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 416);
	r = ranged(1, 0, 0, 5);
	assert_int_equal(http_range_resolve(&r, 0, 0, 0, NOW, &off, &n), 416);
	r = ranged(0, 0, 0, 0);
	assert_int_equal(http_range_resolve(&r, 0, 0, 0, NOW, &off, &n), 416);
}

static void range_resolve_without_range_is_200(void **st)
{
	(void)st;
	uint64_t off, n;
	struct http_request r = {0};
	assert_int_equal(http_range_resolve(&r, 100, 0, 0, NOW, &off, &n), 200);
}

static void if_range_holds_only_for_the_same_date_or_tag(void **st)
{
	(void)st;
	uint64_t off, n;
	struct http_request r = ranged(0, 0, 0, 9);
	r.if_range = 1;
	r.if_range_date = 1000;
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, NOW, &off, &n), 206);
	assert_int_equal(http_range_resolve(&r, 100, 1001, 0, NOW, &off, &n), 200);
	r.if_range = 2; /* our strong tag */
	r.if_range_tag = (struct http_etag){1000, 100, 0};
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, NOW, &off, &n), 206);
	assert_int_equal(http_range_resolve(&r, 101, 1000, 0, NOW, &off, &n), 200);
	assert_int_equal(http_range_resolve(&r, 100, 999, 0, NOW, &off, &n), 200);
	r.if_range = 3; /* anything else, weak tags included */
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, NOW, &off, &n), 200);
	struct http_request q;
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-Range: W/\"3e8-0-64\"\r\n\r\n", &q),
	                 0);
	assert_int_equal(q.if_range, 3);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-Range: \"3e8-5-64\"\r\n\r\n", &q),
	                 0);
	assert_int_equal(q.if_range, 2);
	assert_int_equal(q.if_range_tag.mtime, 1000);
	assert_int_equal(q.if_range_tag.size, 100);
	assert_int_equal(q.if_range_tag.mtime_ns, 5);
}

static void if_range_and_if_none_match_tell_versions_within_a_second(void **st)
{
	(void)st;
	uint64_t off, n;
	struct http_request r = ranged(0, 0, 0, 9);
	/* the tag names the nanosecond: a rewrite within the same second
	 * and of the same size is another version */
	r.if_range = 2;
	r.if_range_tag = (struct http_etag){1000, 100, 5};
	assert_int_equal(http_range_resolve(&r, 100, 1000, 5, NOW, &off, &n), 206);
	assert_int_equal(http_range_resolve(&r, 100, 1000, 6, NOW, &off, &n), 200);
	struct http_request req = {0};
	req.inm = 1;
	req.inm_n = 1;
	req.inm_tags[0] = (struct http_etag){1000, 100, 5};
	assert_true(http_not_modified(&req, 100, 1000, 5));
	assert_false(http_not_modified(&req, 100, 1000, 6));
}

static void if_range_date_holds_only_when_last_modified_is_a_second_before_date(void **st)
{
	(void)st;
	uint64_t off, n;
	struct http_request r = ranged(0, 0, 0, 9);
	r.if_range = 1;
	r.if_range_date = 1000;
	/* Last-Modified 1000: strong once Date is 1001 (RFC 9110 13.1.5) */
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, 1001, &off, &n), 206);
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, 1000, &off, &n), 200);
	assert_int_equal(http_range_resolve(&r, 100, 1000, 0, 999, &off, &n), 200);
}

/* ---- dates ---- */

static void date_format_imf_fixdate(void **st)
{
	(void)st;
	char d[HTTP_DATE_LEN + 1];
	http_date_format(784111777, d);
	assert_string_equal(d, "Sun, 06 Nov 1994 08:49:37 GMT");
	http_date_format(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	http_date_format(951782400, d); /* leap day 2000 */
	assert_string_equal(d, "Tue, 29 Feb 2000 00:00:00 GMT");
	http_date_format(4102444799, d);
	assert_string_equal(d, "Thu, 31 Dec 2099 23:59:59 GMT");
	assert_int_equal(strlen(d), HTTP_DATE_LEN);
}

/* A file's mtime is any time_t the filesystem keeps (tmpfs keeps the
 * whole 64-bit range): years 0 to 9999 are written, any other second
 * is the epoch, with no arithmetic that overflows on the way (the
 * sanitizer build traps it). */
static void date_format_of_any_second_is_a_date_or_the_epoch(void **st)
{
	(void)st;
	char d[HTTP_DATE_LEN + 1];
	static const int64_t outside[] = {INT64_MIN,    INT64_MIN + 1, INT64_MIN + 86399,
	                                  -62167219201, 253402300800,  INT64_MAX - 86399,
	                                  INT64_MAX};
	for (size_t i = 0; i < sizeof(outside) / sizeof(outside[0]); i++) {
		http_date_format(outside[i], d);
		assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 GMT");
	}
	http_date_format(-62167219200, d);
	assert_string_equal(d, "Sat, 01 Jan 0000 00:00:00 GMT");
	http_date_format(253402300799, d);
	assert_string_equal(d, "Fri, 31 Dec 9999 23:59:59 GMT");
	http_date_format(-1, d);
	assert_string_equal(d, "Wed, 31 Dec 1969 23:59:59 GMT");
}

static void date_parse_three_forms(void **st)
{
	(void)st;
	int64_t t;
	const char *f[] = {"Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
	                   "Sun Nov  6 08:49:37 1994"};
	for (int i = 0; i < 3; i++) {
		t = 0;
		assert_int_equal(http_date_parse(f[i], strlen(f[i]), &t), 0);
		assert_int_equal(t, 784111777);
	}
	assert_int_equal(http_date_parse("Sun Nov 16 08:49:37 1994", 24, &t), 0);
	assert_int_equal(t, 784111777 + 10 * 86400);
	assert_int_equal(http_date_parse("Friday, 01-Jan-21 00:00:00 GMT", 30, &t), 0);
	assert_int_equal(t, 1609459200);
}

static void date_parse_refuses_what_is_not_a_date(void **st)
{
	(void)st;
	static const char *const bad[] = {
	    "",
	    "Sun, 06 Nov 1994 08:49:37 GMT ",
	    "Sun, 06 Nov 1994 08:49:37 UTC",
	    "Sun, 6 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Foo 1994 08:49:37 GMT",
	    "Sun, 30 Feb 2000 08:49:37 GMT",
	    "Sun, 29 Feb 1900 08:49:37 GMT",
	    "Sun, 00 Nov 1994 08:49:37 GMT",
	    "Sun, 06 Nov 1994 24:00:00 GMT",
	    "Sun, 06 Nov 1994 08:60:00 GMT",
	    "Sun, 06 Nov 94 08:49:37 GMT",
	    "Xyz, 06 Nov 1994 08:49:37 GMT",
	    "Sun Nov  6 08:49:37 94",
	    "1994-11-06T08:49:37Z",
	};
	int64_t t;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http_date_parse(bad[i], strlen(bad[i]), &t) == 0)
			fail_msg("\"%s\" was taken for a date", bad[i]);
}

static void date_format_then_parse_is_the_same_second(void **st)
{
	(void)st;
	char d[HTTP_DATE_LEN + 1];
	for (int64_t t = 0; t < 4102444800; t += 7777777 + 13) {
		int64_t back = -1;
		http_date_format(t, d);
		assert_int_equal(http_date_parse(d, strlen(d), &back), 0);
		assert_int_equal(back, t);
	}
}

/* ---- response heads ---- */

static void reply_head_200_has_the_headers(void **st)
{
	(void)st;
	char b[1024];
	struct http_reply r = {.status = 200,
	                       .keep_alive = 1,
	                       .now = 784111777,
	                       .type = "text/plain",
	                       .length = 42,
	                       .has_mtime = 1,
	                       .mtime = 0};
	size_t n = http_reply_head(b, sizeof(b), &r);
	assert_true(n > 0);
	b[n] = '\0';
	assert_non_null(strstr(b, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(b, "\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n"));
	assert_non_null(strstr(b, "\r\nContent-Type: text/plain\r\n"));
	assert_non_null(strstr(b, "\r\nContent-Length: 42\r\n"));
	assert_non_null(strstr(b, "\r\nLast-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n"));
	assert_non_null(strstr(b, "\r\nETag: \"0-0-0\"\r\n"));
	assert_non_null(strstr(b, "\r\nAccept-Ranges: bytes\r\n"));
	assert_non_null(strstr(b, "\r\nConnection: keep-alive\r\n\r\n"));
	assert_int_equal(strstr(b, "\r\n\r\n") + 4 - b, n);
}

/* The head as printf makes it from the same fields (the formats the
 * head was made with before its own appenders): -1 when it does not fit
 * in cap bytes with its NUL. */
static int printf_head(char *b, size_t cap, const struct http_reply *r)
{
	char date[HTTP_DATE_LEN + 1];
	size_t len = 0;
	int n;
#define PUT(...)                                                                                   \
	do {                                                                                       \
		n = snprintf(b + len, cap - len, __VA_ARGS__);                                     \
		if (n < 0 || (size_t)n >= cap - len)                                               \
			return -1;                                                                 \
		len += (size_t)n;                                                                  \
	} while (0)
	http_date_format(r->now, date);
	PUT("HTTP/1.1 %d %s\r\nServer: privsep-httpd\r\nDate: %s\r\n", r->status,
	    http_status_text(r->status), date);
	if (r->type)
		PUT("Content-Type: %s\r\nX-Content-Type-Options: nosniff\r\n", r->type);
	if (r->status != 304)
		PUT("Content-Length: %" PRIu64 "\r\n", r->length);
	if (r->has_mtime) {
		http_date_format(r->mtime, date);
		PUT("Last-Modified: %s\r\nETag: \"%" PRIx64 "-%" PRIx32 "-%" PRIx64 "\"\r\n", date,
		    (uint64_t)r->mtime, r->mtime_ns, r->total);
		if (r->status == 200 || r->status == 206)
			PUT("Accept-Ranges: bytes\r\n");
	}
	if (r->status == 206)
		PUT("Content-Range: bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64 "\r\n", r->range_off,
		    r->range_off + r->length - 1, r->total);
	if (r->status == 416)
		PUT("Content-Range: bytes */%" PRIu64 "\r\n", r->total);
	if (r->status == 405)
		PUT("Allow: GET, HEAD\r\n");
	if (r->location)
		PUT("Location: %.*s\r\n", (int)r->location_len, r->location);
	PUT("Connection: %s\r\n\r\n", r->keep_alive ? "keep-alive" : "close");
#undef PUT
	return (int)len;
}

static void reply_head_is_what_printf_makes_of_its_fields_and_never_overflows(void **st)
{
	(void)st;
	static const int statuses[] = {200, 206, 301, 304, 400, 403, 404, 405, 416, 500, 503, 999};
	static const uint64_t nums[] = {
	    0, 1, 9, 10, 42, 1023, 65535, 4294967295u, UINT64_MAX / 3, UINT64_MAX};
	static const int64_t times[] = {0, 1, 784111777, 4102444799, -1, INT64_MIN, INT64_MAX};
	static const char loc[] = "/a%20b/?q=1";
	char want[1024], got[1024 + 1];
	unsigned k = 0;
	for (size_t a = 0; a < sizeof(statuses) / sizeof(statuses[0]); a++)
		for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
			for (size_t t = 0; t < sizeof(times) / sizeof(times[0]); t++) {
				size_t j = (i * 7 + t) % (sizeof(nums) / sizeof(nums[0]));
				struct http_reply r = {
				    .status = statuses[a],
				    .keep_alive = (int)((i + t) & 1),
				    .now = times[(t + 2) % (sizeof(times) / sizeof(times[0]))],
				    .type = (i & 1) ? "text/html; charset=utf-8" : NULL,
				    .length = nums[i],
				    .has_mtime = (int)(t & 1) || a == 0,
				    .mtime = times[t],
				    .mtime_ns = (uint32_t)nums[j],
				    .total = nums[j],
				    .range_off = nums[(j + 3) % (sizeof(nums) / sizeof(nums[0]))],
				    .location = statuses[a] == 301 ? loc : NULL,
				    .location_len =
				        statuses[a] == 301 ? sizeof(loc) - 1 - (i % 3) : 0};
				int wn = printf_head(want, sizeof(want), &r);
				size_t n = http_reply_head(got, sizeof(got) - 1, &r);
				assert_true(wn > 0);
				assert_int_equal(n, (size_t)wn);
				assert_memory_equal(got, want, n);
				/* every buffer too small: 0, and nothing past it */
				for (size_t cap = 1; cap <= n; cap += (k++ % 5) + 1) {
					memset(got, 'Z', sizeof(got));
					assert_int_equal(http_reply_head(got, cap, &r), 0);
					for (size_t z = cap; z < sizeof(got); z++)
						assert_int_equal(got[z], 'Z');
				}
				assert_int_equal(http_reply_head(got, n + 1, &r), n);
			}
}

static void reply_head_206_416_304_405(void **st)
{
	(void)st;
	char b[1024];
	struct http_reply r = {.status = 206, .length = 10, .range_off = 5, .total = 100};
	size_t n = http_reply_head(b, sizeof(b), &r);
	b[n] = '\0';
	assert_non_null(strstr(b, "\r\nContent-Range: bytes 5-14/100\r\n"));
	assert_non_null(strstr(b, "\r\nConnection: close\r\n"));
	r = (struct http_reply){.status = 416, .total = 100};
	n = http_reply_head(b, sizeof(b), &r);
	b[n] = '\0';
	assert_non_null(strstr(b, "\r\nContent-Range: bytes */100\r\n"));
	r = (struct http_reply){.status = 304, .has_mtime = 1};
	n = http_reply_head(b, sizeof(b), &r);
	b[n] = '\0';
	assert_null(strstr(b, "Content-Length"));
	assert_null(strstr(b, "Accept-Ranges"));
	r = (struct http_reply){.status = 405};
	n = http_reply_head(b, sizeof(b), &r);
	b[n] = '\0';
	assert_non_null(strstr(b, "\r\nAllow: GET, HEAD\r\n"));
}

static void reply_head_that_does_not_fit_is_0(void **st)
{
	(void)st;
	char b[64];
	struct http_reply r = {.status = 200, .type = "text/plain"};
	assert_int_equal(http_reply_head(b, sizeof(b), &r), 0);
	assert_int_equal(http_reply_head(b, 0, &r), 0);
	assert_int_equal(http_error_body(b, 10, 404), 0);
}

static void error_body_names_the_status(void **st)
{
	(void)st;
	char b[512];
	size_t n = http_error_body(b, sizeof(b), 431);
	assert_true(n > 0 && n < sizeof(b));
	b[n] = '\0';
	assert_non_null(strstr(b, "431 Request Header Fields Too Large"));
}

static void mime_types_by_extension(void **st)
{
	(void)st;
	assert_string_equal(http_mime_type("/a/index.html"), "text/html; charset=utf-8");
	assert_string_equal(http_mime_type("/a/B.PNG"), "image/png");
	assert_string_equal(http_mime_type("/a/x.tar.gz"), "application/gzip");
	assert_string_equal(http_mime_type("/a.d/noext"), "application/octet-stream");
	assert_string_equal(http_mime_type("/a/trailingdot."), "application/octet-stream");
	assert_string_equal(http_mime_type("/a/x.exe"), "application/octet-stream");
	assert_string_equal(http_mime_type("/.css"), "text/css; charset=utf-8");
}

static void access_line_is_one_line_whatever_the_path(void **st)
{
	(void)st;
	char b[256];
	struct http_request req;
	size_t n;
	assert_int_equal(parse("HEAD /a%20%22b%0a%5C%c3 HTTP/1.0\r\n\r\n", &req), 400);
	assert_int_equal(parse("HEAD /a%20%22b%5C%c3 HTTP/1.0\r\n\r\n", &req), 0);
	n = access_line(b, sizeof(b), "192.0.2.1", 784111777, &req, 200, 42);
	assert_int_equal(n, strlen(b));
	assert_string_equal(b, "192.0.2.1 - - [06/Nov/1994:08:49:37 +0000] "
	                       "\"HEAD /a\\x20\\x22b\\x5c\\xc3 HTTP/1.0\" 200 42\n");
	n = access_line(b, sizeof(b), "::1", 0, NULL, 400, 7);
	assert_string_equal(b, "::1 - - [01/Jan/1970:00:00:00 +0000] \"-\" 400 7\n");
	assert_int_equal(n, strlen(b));
}

static void access_line_cuts_a_long_path(void **st)
{
	(void)st;
	char b[200];
	struct http_request req = {.method = HTTP_GET, .minor = 1};
	memset(req.path, '\x01', HTTP_PATH_MAX);
	req.path[0] = '/';
	req.path_len = HTTP_PATH_MAX;
	size_t n = access_line(b, sizeof(b), "192.0.2.1", 0, &req, 404, 0);
	assert_true(n < sizeof(b));
	assert_int_equal(n, strlen(b));
	assert_non_null(strstr(b, "... HTTP/1.1\" 404 -\n")); /* no body: "-" */
	assert_ptr_equal(strchr(b, '\n'), b + n - 1);         /* one line */
	assert_int_equal(access_line(b, 100, "x", 0, &req, 404, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(head_end_needs_more_until_the_empty_line),
	    cmocka_unit_test(head_end_stops_at_the_first_empty_line),
	    cmocka_unit_test(head_end_accepts_bare_lf),
	    cmocka_unit_test(head_end_skips_empty_lines_before_the_request_line),
	    cmocka_unit_test(head_end_refuses_a_control_byte_in_the_request_line_at_once),
	    cmocka_unit_test(head_end_refuses_a_bare_cr),
	    cmocka_unit_test(head_end_refuses_a_request_line_over_the_limit_with_414),
	    cmocka_unit_test(head_end_accepts_a_request_line_of_exactly_the_limit),
	    cmocka_unit_test(head_end_refuses_a_head_over_the_limit_with_431),
	    cmocka_unit_test(head_end_refuses_a_bare_lf_in_a_crlf_head),
	    cmocka_unit_test(head_scan_byte_by_byte_is_the_same_as_whole),
	    cmocka_unit_test(head_scan_does_not_look_at_bytes_again),
	    cmocka_unit_test(parse_get_origin_form),
	    cmocka_unit_test(parse_head),
	    cmocka_unit_test(parse_strips_the_query),
	    cmocka_unit_test(parse_absolute_form_takes_the_path),
	    cmocka_unit_test(parse_refuses_targets_that_are_not_paths),
	    cmocka_unit_test(parse_decodes_percent_escapes),
	    cmocka_unit_test(parse_refuses_bad_percent_escapes),
	    cmocka_unit_test(parse_refuses_encoded_nul_and_control_bytes),
	    cmocka_unit_test(parse_refuses_a_decoded_path_over_the_limit_with_414),
	    cmocka_unit_test(parse_refuses_other_methods_with_405),
	    cmocka_unit_test(parse_405_with_a_body_closes_the_connection),
	    cmocka_unit_test(parse_refuses_malformed_request_lines),
	    cmocka_unit_test(parse_refuses_other_versions_with_505),
	    cmocka_unit_test(keep_alive_by_version_and_connection),
	    cmocka_unit_test(path_squash_collapses_double_slashes_and_dot_segments),
	    cmocka_unit_test(host_is_required_once_in_1_1),
	    cmocka_unit_test(fields_refuse_obs_fold),
	    cmocka_unit_test(fields_refuse_whitespace_before_the_colon),
	    cmocka_unit_test(fields_refuse_lines_without_a_name_or_colon),
	    cmocka_unit_test(fields_refuse_control_bytes_in_values),
	    cmocka_unit_test(fields_over_the_count_limit_are_431),
	    cmocka_unit_test(a_body_is_refused_with_413),
	    cmocka_unit_test(ambiguous_framing_is_400),
	    cmocka_unit_test(if_modified_since_is_parsed_or_ignored),
	    cmocka_unit_test(if_none_match_keeps_our_tags_and_star),
	    cmocka_unit_test(not_modified_by_tag_first_then_by_date),
	    cmocka_unit_test(range_forms),
	    cmocka_unit_test(invalid_or_multiple_ranges_are_ignored),
	    cmocka_unit_test(range_resolve_within_the_file),
	    cmocka_unit_test(range_resolve_outside_the_file_is_416),
	    cmocka_unit_test(range_resolve_without_range_is_200),
	    cmocka_unit_test(if_range_holds_only_for_the_same_date_or_tag),
	    cmocka_unit_test(if_range_and_if_none_match_tell_versions_within_a_second),
	    cmocka_unit_test(if_range_date_holds_only_when_last_modified_is_a_second_before_date),
	    cmocka_unit_test(date_format_imf_fixdate),
	    cmocka_unit_test(date_format_of_any_second_is_a_date_or_the_epoch),
	    cmocka_unit_test(date_parse_three_forms),
	    cmocka_unit_test(date_parse_refuses_what_is_not_a_date),
	    cmocka_unit_test(date_format_then_parse_is_the_same_second),
	    cmocka_unit_test(reply_head_200_has_the_headers),
	    cmocka_unit_test(reply_head_206_416_304_405),
	    cmocka_unit_test(reply_head_is_what_printf_makes_of_its_fields_and_never_overflows),
	    cmocka_unit_test(reply_head_that_does_not_fit_is_0),
	    cmocka_unit_test(error_body_names_the_status),
	    cmocka_unit_test(mime_types_by_extension),
	    cmocka_unit_test(access_line_is_one_line_whatever_the_path),
	    cmocka_unit_test(access_line_cuts_a_long_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
