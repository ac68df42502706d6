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

/* Head and small bodies share one buffer; files up to SERVE_INLINE_MAX
 * bytes are read into it, larger ones are sent from their fd. */
#define SERVE_HEAD_MAX 1024u
#define SERVE_INLINE_MAX 8192u

struct serve_out {
	char buf[SERVE_HEAD_MAX + SERVE_INLINE_MAX];
	size_t len;     /* bytes of buf to send */
	int fd;         /* a file body to send after buf, or -1; the caller closes it */
	uint64_t off;   /* its first byte */
	uint64_t count; /* its bytes */
	int close;      /* close the connection once sent */
	int status;
};

/* Answer req, or, when status is not 0, the refusal status the parser
 * gave (req then holds what was parsed before the refusal).  root is the
 * document root as the broker's rule names it; now the time for Date.
 * Fills *out; never fails: an internal error is a 500. */
void serve_request(struct privsep_client *c, const char *root, const struct http_request *req,
                   int status, int64_t now, struct serve_out *out);

/* The answer to a request that did not arrive in time (408, close). */
void serve_timeout(int64_t now, struct serve_out *out);

#endif
