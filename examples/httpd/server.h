/* SPDX-License-Identifier: ISC */
/*
 * server.h - the worker's event loop: accept on the listening socket the
 * helper passed, read requests, send answers, enforce the deadlines.
 */
#ifndef HTTPD_SERVER_H
#define HTTPD_SERVER_H

#include "http.h"

struct privsep_client;
struct privsep_req;

struct server_config {
	int listen_fd;    /* this worker's own (SO_REUSEPORT), non-blocking */
	const char *root; /* the document root, as the policy's beneath rule names it */
	struct http_limits limits;
	unsigned header_ms; /* from a request's first byte (or the accept) to its whole head */
	unsigned idle_ms;   /* a kept-alive connection waiting for its next request */
	unsigned send_ms;   /* a response during which the client accepts no byte */
	int access_log;     /* one line per answer on standard error */
	unsigned max_conns; /* connections at once; the accept pauses above */
	unsigned
	    cache_ms; /* how long a worker reuses a file the broker opened (fcache.h); 0 never */
};

/* The fds a worker may need with max_conns connections: two per
 * connection (its socket, and the file it sends when that file has left
 * the cache), the cache's FCACHE_SLOTS files, and SERVER_OWN_FDS of its
 * own (standard fds, channel, listening socket, epoll, a file the broker
 * is opening, and spare).  httpd sets the worker's RLIMIT_NOFILE to it. */
#define SERVER_OWN_FDS 16u
unsigned long server_fds_needed(unsigned max_conns);

/* Serve until the helper closes the channel or, after its drain event,
 * the connections are done (0), an internal error (1, written to
 * standard error), or, at start, an fd limit below
 * server_fds_needed(max_conns) (2, written to standard error). */
int server_run(struct privsep_client *c, const struct server_config *cfg);

/* The handler of the helper's drain event (httpd.c's table): a reload's
 * replacement of this worker is ready.  The worker accepts no more,
 * closes its idle connections, finishes the answers it began (within
 * the send deadline) and exits 0. */
#define HTTPD_T_DRAIN 0x10001u
int server_on_drain(struct privsep_req *req, void *arg);

#endif
