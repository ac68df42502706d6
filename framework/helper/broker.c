/* SPDX-License-Identifier: ISC */
/*
 * broker.c - the helper's handlers of the file broker's requests: each
 * gives services/fs_host.c the request's context from the worker that
 * sent it (its policy, the roots opened for it, and the log of a
 * refusal, escaped and rate-limited per worker like its own lines).
 */
#include <errno.h>
#include <string.h>

#include "fs.h"
#include "helper_int.h"
#include "proto.h"

/* One line per refusal: the worker chose the path, so it is escaped like
 * a worker's own log line, and the lines are rate-limited per worker like
 * them (a flood of refused paths must not fill the log or hide what
 * matters).  A path that does not exist beneath an allowed root is no
 * refusal of the rules: debug level. */
static void refused(void *arg, const char *what, const char *path, int err, const char *detail)
{
	struct privsep_worker *w = arg;
	struct privsep_helper *h = w->h;
	char p[4 * PROTO_PATH_MAX + 1], d[4 * PRIVSEP_DETAIL_MAX + 1];
	/* a directory refused for want of "directory" is what httpd's 301
	 * asks about: no more a refusal of the path than a missing file */
	int missing = err == ENOENT || err == ENOTDIR || err == EISDIR;

	if (!log_bucket_take(h, &w->denyrl, strlen(path) + strlen(detail)))
		return;
	if (w->denyrl.drop) {
		log_line(
		    h->log, h->log_arg, PRIVSEP_LOG_WARN,
		    "worker \"%s\" pid %d: %lu file broker refusals not logged (over %u lines/s or %lu bytes/s)",
		    w->name, (int)w->pid, w->denyrl.drop, h->log_rate, h->log_byte_rate);
		w->denyrl.drop = 0;
		w->denyrl.dropb = 0;
	}
	log_escape(p, sizeof(p), path, strlen(path));
	log_escape(d, sizeof(d), detail, strlen(detail));
	log_line(h->log, h->log_arg, missing ? PRIVSEP_LOG_DEBUG : PRIVSEP_LOG_WARN,
	         "worker \"%s\" pid %d: fs %s %s: %s: %s", w->name, (int)w->pid, what, p,
	         strerrorname_np(err) ? strerrorname_np(err) : "error", d);
}

static struct fs_ctx ctx_of(struct privsep_worker *w)
{
	return (struct fs_ctx){.pol = w->pol, .roots = w->roots, .refused = refused, .arg = w};
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
