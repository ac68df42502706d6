/* SPDX-License-Identifier: ISC */
/*
 * serve.h - what to answer to one request: the head, a small body in
 * memory, or a file to send, opened by the helper's file broker.
 */
#ifndef HTTPD_SERVE_H
#define HTTPD_SERVE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <privsep.h>

#include "http.h"

struct privsep_client;
struct fcache;
struct fcache_entry;

/* Head and small bodies share one buffer; files up to SERVE_INLINE_MAX
 * bytes are read into it, larger ones are sent from their fd. */
#define SERVE_HEAD_MAX 1024u
#define SERVE_INLINE_MAX 8192u

struct serve_out {
	char buf[SERVE_HEAD_MAX + SERVE_INLINE_MAX];
	size_t len;                /* bytes of buf to send */
	size_t head_len;           /* of them, the status line and headers */
	struct fcache_entry *file; /* a file body to send after buf, or NULL;
	                            * the caller releases it (fcache_release) */
	uint64_t off;              /* its first byte */
	uint64_t count;            /* its bytes */
	int close;                 /* close the connection once sent */
	int status;
};

/* The bytes of out's response body (what the access log counts): what
 * follows the head in buf, and the file's. */
uint64_t serve_body_bytes(const struct serve_out *out);

/* Where and when a request is answered. */
struct serve_ctx {
	const char *root;     /* the document root, as the broker's rule names it */
	struct fcache *files; /* files opened lately */
	int64_t now;          /* for Date, seconds since the epoch */
	uint64_t now_ms;      /* monotonic, for the cache */
};

/* A request that waits for the broker's open: a copy of the request,
 * and what to open.  Kept by the caller until serve_opened. */
struct serve_wait {
	struct http_request req;
	char path[PATH_MAX];       /* what the broker is asked to open */
	size_t name_len;           /* path's length as the request named it */
	int index;                 /* path is that directory's index.html */
	struct privsep_result res; /* for the broker's answer */
	struct stat st;            /* the opened file's, with the answer */
};

/* Answer req, or, when status is not 0, the refusal status the parser
 * gave (req then holds what was parsed before the refusal), copied in
 * w->req: 0 with *out
 * filled (never fails: an internal error is a 500), or 1 when the answer
 * needs the broker to open w->path (O_RDONLY) first: the caller asks it
 * (privsep_fs_open_stat_async, with w->st and w->res) and gives its
 * answer to serve_opened.  req may point into a buffer the caller keeps until
 * then (its query). */
int serve_start(const struct serve_ctx *x, const struct http_request *req, int status,
                struct serve_out *out, struct serve_wait *w);

/* The broker's answer for w (the fd, taken, with its stat in w->st, or
 * -1 and its errno): fills *out as serve_start does. */
void serve_opened(const struct serve_ctx *x, struct serve_wait *w, int fd, int error,
                  struct serve_out *out);

/* The answer to a request that did not arrive in time (408, close). */
void serve_timeout(int64_t now, struct serve_out *out);

#endif
