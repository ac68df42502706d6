/* SPDX-License-Identifier: ISC */
/*
 * serve.c - one request to one answer.  Every file comes from the
 * helper's file broker: the worker names root + the decoded path, the
 * helper checks it against the policy's beneath rule and opens it with
 * openat2(RESOLVE_BENEATH), so "..", symlinks out of the root and
 * anything else the rule refuses come back as EACCES: 403.  The worker
 * never holds a directory: the broker answers EISDIR for one (the rule
 * does not say directory), which is the 301 for a directory named
 * without its slash; one named with it is asked for as its index.html.
 *
 * Standard C11 and POSIX.1-2008: it defines _POSIX_C_SOURCE (for
 * PATH_MAX and st_mtim) and compiles with cc -std=c11 -pedantic.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <privsep.h>

#include "fcache.h"
#include "response.h"
#include "serve.h"

/* The status for a broker refusal. */
static int status_of_errno(int e)
{
	switch (e) {
	case EACCES:
	case EPERM:
	case ELOOP:
	case EXDEV:
		return 403;
	case ENOENT:
	case ENOTDIR:
		return 404;
	case EISDIR: /* a directory named without its final slash */
		return 301;
	case ENAMETOOLONG:
		return 414;
	case EINVAL:
		return 400;
	case EMFILE:
	case ENFILE:
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* Statuses after which the connection cannot go on: the request's
 * framing is unknown, or it was refused before it was read whole. */
static int closes(int status)
{
	return status == 400 || status == 408 || status == 413 || status == 414 || status == 431 ||
	       status == 500 || status == 505;
}

static void error_reply(const struct http_request *req, int status, int keep_alive, int64_t now,
                        struct serve_out *out, uint64_t total)
{
	char body[512];
	size_t blen = http_error_body(body, sizeof(body), status), hlen;
	struct http_reply r = {
	    .status = status,
	    .keep_alive = keep_alive && !closes(status),
	    .now = now,
	    .type = "text/html; charset=utf-8",
	    .length = blen,
	    .total = total,
	};
	out->file = NULL;
	out->status = status;
	out->close = !r.keep_alive;
	hlen = http_reply_head(out->buf, sizeof(out->buf), &r);
	if (hlen == 0 || hlen + blen > sizeof(out->buf)) { /* cannot happen: the sizes are fixed */
		static const char fallback[] =
		    "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		memcpy(out->buf, fallback, sizeof(fallback) - 1);
		out->len = out->head_len = sizeof(fallback) - 1;
		out->close = 1;
		out->status = 500;
		return;
	}
	out->len = out->head_len = hlen;
	if (!req || req->method != HTTP_HEAD) {
		memcpy(out->buf + hlen, body, blen);
		out->len += blen;
	}
}

uint64_t serve_body_bytes(const struct serve_out *out)
{
	return (uint64_t)(out->len - out->head_len) + (out->file ? out->count : 0);
}

void serve_timeout(int64_t now, struct serve_out *out)
{
	error_reply(NULL, 408, 0, now, out, 0);
}

/* Whether c may stay as it is in a Location's query: unreserved,
 * sub-delims, ':', '@', '/', '?', and '%' (the client's own escapes). */
static int query_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-._~!$&'()*+,;=:@/?%", c));
}

/* The Location of a directory named without its final slash: its
 * decoded path, one leading slash (never "//host", which a browser would
 * take for another site), every byte but unreserved ones and '/'
 * percent-encoded, then "/", then the request's query, if it had one,
 * with every byte outside query_safe percent-encoded.  Its length, or 0
 * when it does not fit in loc[0..cap). */
static size_t location(const struct http_request *req, char *loc, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *p = req->path;
	size_t n = req->path_len, o = 0;
	while (n > 1 && p[1] == '/') {
		p++;
		n--;
	}
	if (cap < 3 * n + 2 + (req->query ? 1 + 3 * req->query_len : 0))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];
		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || (ch && strchr("-._~/", ch))) {
			loc[o++] = (char)ch;
		} else {
			loc[o++] = '%';
			loc[o++] = hex[ch >> 4];
			loc[o++] = hex[ch & 15];
		}
	}
	loc[o++] = '/';
	if (req->query) {
		loc[o++] = '?';
		for (size_t i = 0; i < req->query_len; i++) {
			unsigned char ch = (unsigned char)req->query[i];
			if (query_safe(ch)) {
				loc[o++] = (char)ch;
			} else {
				loc[o++] = '%';
				loc[o++] = hex[ch >> 4];
				loc[o++] = hex[ch & 15];
			}
		}
	}
	return o;
}

/* The regular file for the request's path from the cache (a referenced
 * entry with *st filled), or NULL: *status the refusal, or 0 when the
 * broker is to open w->path (w->index: a directory's index.html). */
static struct fcache_entry *find_file(const struct serve_ctx *x, const struct http_request *req,
                                      struct serve_wait *w, struct stat *st, int *status)
{
	size_t rlen = strcmp(x->root, "/") ? strlen(x->root) : 0;
	struct fcache_entry *e;

	*status = 0;
	if (rlen + req->path_len + sizeof("index.html") > sizeof(w->path)) {
		*status = 414;
		return NULL;
	}
	memcpy(w->path, x->root, rlen);
	memcpy(w->path + rlen, req->path, req->path_len + 1);
	/* one name per file: /a, //a and /./a are one cache entry (and no
	 * way around the cache); the broker resolves them alike anyway */
	w->name_len = rlen + http_path_squash(w->path + rlen, req->path_len);
	e = fcache_get(x->files, w->path, x->now_ms);
	if (e) {
		if (fstat(e->fd, st) == 0 && S_ISREG(st->st_mode))
			return e;
		fcache_release(e);
		*status = 500;
		return NULL;
	}
	/* a directory named with its slash: its index.html, opened without
	 * opening the directory (a missing one, or a file named with a
	 * slash, is ENOENT or ENOTDIR: 404); else the path (a directory:
	 * EISDIR, 301) */
	w->index = w->path[w->name_len - 1] == '/';
	if (w->index)
		memcpy(w->path + w->name_len, "index.html", sizeof("index.html"));
	return NULL;
}

/* The broker's answer for w->path (fd with its stat st, or -1 and
 * error): the file as a referenced entry, cached under the name asked
 * for; or NULL and *status (301 asks the caller for the redirect).  The
 * stat is the helper's fstat of this fd, which came with it: no fstat
 * here. */
static struct fcache_entry *file_opened(const struct serve_ctx *x, struct serve_wait *w, int fd,
                                        int error, const struct stat *st, int *status)
{
	struct fcache_entry *e;
	const char *type;
	w->path[w->name_len] = '\0'; /* cached under the name asked for */
	if (fd < 0) {
		*status = status_of_errno(error);
		if (w->index && *status == 301)
			*status = 404; /* an index.html that is a directory */
		return NULL;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		*status = S_ISDIR(st->st_mode) ? 404 : 403;
		return NULL;
	}
	/* the type is the served file's: index.html's for a directory */
	type = http_mime_type(w->index ? "index.html" : w->path);
	e = fcache_add(x->files, w->path, fd, type, x->now_ms);
	if (!e)
		*status = 503;
	return e;
}

/* The answer to w->req with its file e (NULL: the refusal code). */
static void answer(const struct serve_ctx *x, struct serve_wait *w, struct fcache_entry *e,
                   const struct stat *stp, int code, struct serve_out *out)
{
	const struct http_request *req = &w->req;
	char loc[sizeof(out->buf)];
	struct stat st;
	uint64_t off = 0, count;

	if (!e && code == 301) {
		/* a directory named without its slash: where it is, with the
		 * query asked for */
		struct http_reply r = {.status = 301,
		                       .keep_alive = req->keep_alive,
		                       .now = x->now,
		                       .location = loc,
		                       .location_len = location(req, loc, sizeof(loc))};
		out->len = r.location_len ? http_reply_head(out->buf, sizeof(out->buf), &r) : 0;
		out->head_len = out->len;
		out->status = 301;
		out->close = !req->keep_alive;
		if (out->len == 0) /* a Location too long to send */
			error_reply(req, 414, 0, x->now, out, 0);
		return;
	}
	if (!e) {
		error_reply(req, code, req->keep_alive, x->now, out, 0);
		return;
	}
	st = *stp;

	struct http_reply r = {.status = 200,
	                       .keep_alive = req->keep_alive,
	                       .now = x->now,
	                       .type = e->type,
	                       .has_mtime = 1,
	                       .mtime = st.st_mtim.tv_sec,
	                       .mtime_ns = (uint32_t)st.st_mtim.tv_nsec,
	                       .total = (uint64_t)st.st_size};
	count = (uint64_t)st.st_size;
	if (http_not_modified(req, (uint64_t)st.st_size, st.st_mtim.tv_sec,
	                      (uint32_t)st.st_mtim.tv_nsec)) {
		r.status = 304;
		r.type = NULL;
		count = 0;
	} else {
		r.status = http_range_resolve(req, (uint64_t)st.st_size, st.st_mtim.tv_sec,
		                              (uint32_t)st.st_mtim.tv_nsec, x->now, &off, &count);
		if (r.status == 200) {
			off = 0;
			count = (uint64_t)st.st_size;
		} else if (r.status == 416) {
			fcache_release(e);
			error_reply(req, 416, req->keep_alive, x->now, out, (uint64_t)st.st_size);
			return;
		}
	}
	r.length = count;
	r.range_off = off;
	out->status = r.status;
	out->close = !req->keep_alive;
	out->len = out->head_len = http_reply_head(out->buf, SERVE_HEAD_MAX, &r);
	if (out->len == 0) {
		fcache_release(e);
		error_reply(req, 500, 0, x->now, out, 0);
		return;
	}
	if (req->method == HTTP_HEAD || count == 0) {
		fcache_release(e);
		return;
	}
	if (count <= SERVE_INLINE_MAX) {
		/* small: one buffer, one send; a short read (the file shrank)
		 * is still answerable */
		ssize_t n = pread(e->fd, out->buf + out->len, count, (off_t)off);
		fcache_release(e);
		if (n < 0 || (uint64_t)n != count) {
			error_reply(req, 500, 0, x->now, out, 0);
			return;
		}
		out->len += count;
		return;
	}
	out->file = e;
	out->off = off;
	out->count = count;
}

int serve_start(const struct serve_ctx *x, const struct http_request *req, int status,
                struct serve_out *out, struct serve_wait *w)
{
	struct fcache_entry *e;
	struct stat st;
	int code = 500;

	out->file = NULL;
	out->close = 0;
	w->req = *req;
	if (status) {
		error_reply(req, status, req->keep_alive, x->now, out, 0);
		return 0;
	}
	e = find_file(x, req, w, &st, &code);
	if (!e && code == 0)
		return 1; /* the broker opens w->path */
	answer(x, w, e, &st, code, out);
	return 0;
}

void serve_opened(const struct serve_ctx *x, struct serve_wait *w, int fd, int error,
                  struct serve_out *out)
{
	int code = 500;
	struct fcache_entry *e = file_opened(x, w, fd, error, &w->st, &code);
	out->file = NULL;
	out->close = 0;
	answer(x, w, e, &w->st, code, out);
}
