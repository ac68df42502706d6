/* SPDX-License-Identifier: ISC */
/*
 * broker.c - the helper's handlers of the file broker's requests: each
 * gives services/fs_host.c the request's context from the worker that
 * sent it (its policy, the roots opened for it, and the log of a
 * refusal: log.c's wlog_refused, escaped and rate-limited per worker
 * like its own lines).
 */
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "helper_int.h"
#include "proto.h"

static struct fs_ctx ctx_of(struct privsep_worker *w)
{
	return (struct fs_ctx){.pol = w->spawn.pol,
	                       .roots = w->spawn.roots,
	                       .confined = w->h->confined,
	                       .refused = wlog_refused,
	                       .arg = w};
}

int fs_h_open(struct privsep_req *req, void *arg)
{
	struct fs_ctx ctx = ctx_of(req->worker);
	(void)arg;
	return fs_serve_open(req, &ctx);
}

int fs_h_stat(struct privsep_req *req, void *arg)
{
	struct fs_ctx ctx = ctx_of(req->worker);
	(void)arg;
	return fs_serve_stat(req, &ctx);
}

int fs_h_readlink(struct privsep_req *req, void *arg)
{
	struct fs_ctx ctx = ctx_of(req->worker);
	(void)arg;
	return fs_serve_readlink(req, &ctx);
}

int fs_h_access(struct privsep_req *req, void *arg)
{
	struct fs_ctx ctx = ctx_of(req->worker);
	(void)arg;
	return fs_serve_access(req, &ctx);
}
