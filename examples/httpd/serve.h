/* SPDX-License-Identifier: ISC */
/*
 * serve.h - what to answer to one request: the head, a small body in
 * memory, or a file to send, opened by the helper's file broker.
 */
#ifndef HTTPD_SERVE_H
#define HTTPD_SERVE_H

#include <stddef.h>
#include <stdint.h>

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
	struct privsep_client *client; /* the channel to the helper's broker */
	const char *root;              /* the document root, as the broker's rule names it */
	struct fcache *files;          /* files opened lately */
	int64_t now;                   /* for Date, seconds since the epoch */
	uint64_t now_ms;               /* monotonic, for the cache */
};

/* Answer req, or, when status is not 0, the refusal status the parser
 * gave (req then holds what was parsed before the refusal).  Fills *out;
 * never fails: an internal error is a 500. */
void serve_request(const struct serve_ctx *x, const struct http_request *req, int status,
                   struct serve_out *out);

/* The answer to a request that did not arrive in time (408, close). */
void serve_timeout(int64_t now, struct serve_out *out);

#endif
