/* SPDX-License-Identifier: ISC */
/*
 * spawner_req.c - the spawner's request: an exec-mode struct
 * privsep_spawn as bytes, and back, checked field by field.
 *
 * Layout (privsep_writer's little-endian fields, strings with their
 * length):
 *   u32 magic   u32 flags (REQ_F_*)   u32 sandbox flags
 *   u64 nofile, nproc, fsize, as      u32 nkeep   u32 exec flags
 *   u32 argc, envc, nread             str name
 *   [str policy] [str policy_text] [str user]   (as flags say)
 *   argc, envc, nread strings
 * and exactly 1 + nkeep fds: the program's, then the kept ones in order.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawner.h"

enum {
	REQ_F_UNSANDBOXED = 1u << 0,
	REQ_F_STDOUT_COPY = 1u << 1,
	REQ_F_SANDBOX = 1u << 2,
	REQ_F_POLICY = 1u << 3,
	REQ_F_POLICY_TEXT = 1u << 4,
	REQ_F_USER = 1u << 5,
	REQ_F_ARGV = 1u << 6,
	REQ_F_ENVP = 1u << 7,
	REQ_F_ALL = (1u << 8) - 1,
};

static size_t count(const char *const *v)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	return n;
}

int spawner_req_write(const struct privsep_spawn *sp, uint8_t *buf, size_t cap, size_t *len,
                      int *fds, size_t *nfds)
{
	const struct privsep_sandbox *sb = sp->sandbox;
	const struct privsep_exec *ex = sp->exec;
	struct privsep_writer w;
	uint32_t f = 0;
	size_t argc, envc, nread, nkeep;

	if (!ex) {
		errno = EINVAL;
		return -1;
	}
	argc = count(ex->argv);
	envc = count(ex->envp);
	nread = ex->read_beneath ? ex->nread : 0;
	nkeep = sb && sb->keep_fds ? sb->nkeep : 0;
	if (argc > SPAWNER_STRS_MAX || envc > SPAWNER_STRS_MAX || nread > SPAWNER_STRS_MAX ||
	    nkeep > PRIVSEP_SANDBOX_KEEP_MAX) {
		errno = E2BIG;
		return -1;
	}
	f |= sp->unsandboxed ? REQ_F_UNSANDBOXED : 0;
	f |= sp->stdout_copy ? REQ_F_STDOUT_COPY : 0;
	f |= sb ? REQ_F_SANDBOX : 0;
	f |= sb && sb->policy ? REQ_F_POLICY : 0;
	f |= sb && sb->policy_text ? REQ_F_POLICY_TEXT : 0;
	f |= sb && sb->user ? REQ_F_USER : 0;
	f |= ex->argv ? REQ_F_ARGV : 0;
	f |= ex->envp ? REQ_F_ENVP : 0;
	privsep_writer_init(&w, buf, cap);
	privsep_writer_put_u32(&w, SPAWNER_REQ_MAGIC);
	privsep_writer_put_u32(&w, f);
	privsep_writer_put_u32(&w, sb ? sb->flags : 0);
	privsep_writer_put_u64(&w, sb ? sb->nofile : 0);
	privsep_writer_put_u64(&w, sb ? sb->nproc : 0);
	privsep_writer_put_u64(&w, sb ? sb->fsize : 0);
	privsep_writer_put_u64(&w, sb ? sb->as : 0);
	privsep_writer_put_u32(&w, (uint32_t)nkeep);
	privsep_writer_put_u32(&w, ex->flags);
	privsep_writer_put_u32(&w, (uint32_t)argc);
	privsep_writer_put_u32(&w, (uint32_t)envc);
	privsep_writer_put_u32(&w, (uint32_t)nread);
	privsep_writer_put_str(&w, sp->name ? sp->name : "worker");
	if (f & REQ_F_POLICY)
		privsep_writer_put_str(&w, sb->policy);
	if (f & REQ_F_POLICY_TEXT)
		privsep_writer_put_str(&w, sb->policy_text);
	if (f & REQ_F_USER)
		privsep_writer_put_str(&w, sb->user);
	for (size_t i = 0; i < argc; i++)
		privsep_writer_put_str(&w, ex->argv[i]);
	for (size_t i = 0; i < envc; i++)
		privsep_writer_put_str(&w, ex->envp[i]);
	for (size_t i = 0; i < nread; i++)
		privsep_writer_put_str(&w, ex->read_beneath[i]);
	if (w.err) {
		errno = w.err;
		return -1;
	}
	*len = w.len;
	fds[0] = ex->fd;
	for (size_t i = 0; i < nkeep; i++)
		fds[1 + i] = sb->keep_fds[i];
	*nfds = 1 + nkeep;
	return 0;
}

/* n strings from r into a malloc'd NULL-terminated array, or NULL. */
static const char **strs(struct privsep_reader *r, uint32_t n)
{
	const char **v = calloc((size_t)n + 1, sizeof(*v));
	for (uint32_t i = 0; v && i < n; i++)
		if (privsep_reader_get_str(r, &v[i], NULL) < 0) {
			free(v);
			return NULL;
		}
	return v;
}

void spawner_req_free(struct spawner_req *q)
{
	free(q->argv);
	free(q->envp);
	free(q->rb);
	q->argv = q->envp = q->rb = NULL;
}

int spawner_req_read(struct spawner_req *q, const uint8_t *buf, size_t len, const int *fds,
                     size_t nfds, char *why, size_t whylen)
{
	struct privsep_reader r;
	uint32_t magic = 0, f = 0, sbf = 0, nkeep = 0, exf = 0, argc = 0, envc = 0, nread = 0;
	uint64_t lim[4] = {0, 0, 0, 0};
	const char *name = NULL, *policy = NULL, *text = NULL, *user = NULL;

	memset(q, 0, sizeof(*q));
	privsep_reader_init(&r, buf, len);
	privsep_reader_get_u32(&r, &magic);
	privsep_reader_get_u32(&r, &f);
	privsep_reader_get_u32(&r, &sbf);
	for (int i = 0; i < 4; i++)
		privsep_reader_get_u64(&r, &lim[i]);
	privsep_reader_get_u32(&r, &nkeep);
	privsep_reader_get_u32(&r, &exf);
	privsep_reader_get_u32(&r, &argc);
	privsep_reader_get_u32(&r, &envc);
	privsep_reader_get_u32(&r, &nread);
	if (r.err || magic != SPAWNER_REQ_MAGIC || (f & ~(uint32_t)REQ_F_ALL) ||
	    nkeep > PRIVSEP_SANDBOX_KEEP_MAX || argc > SPAWNER_STRS_MAX ||
	    envc > SPAWNER_STRS_MAX || nread > SPAWNER_STRS_MAX ||
	    (!(f & REQ_F_SANDBOX) &&
	     (f & (REQ_F_POLICY | REQ_F_POLICY_TEXT | REQ_F_USER) || sbf || nkeep)) ||
	    (!(f & REQ_F_ARGV) && argc) || (!(f & REQ_F_ENVP) && envc)) {
		snprintf(why, whylen, "a malformed request head (%zu bytes)", len);
		return -1;
	}
	/* what the helper never asks once confined (spawn_refused): a
	 * process with no sandbox, or one without its namespaces; the bytes
	 * can only be a compromised helper's */
	if ((f & REQ_F_UNSANDBOXED) || (sbf & ~(uint32_t)SPAWNER_SB_FLAGS)) {
		snprintf(why, whylen,
		         "a request for a worker %s (the spawner starts none: sandbox flags other "
		         "than DEBUG, NULL_STDIO and LEARN, flags 0x%x)",
		         (f & REQ_F_UNSANDBOXED) ? "without a sandbox"
		                                 : "outside its sandbox's limits",
		         sbf);
		return -1;
	}
	if (nfds != 1 + (size_t)nkeep) {
		snprintf(why, whylen, "a request with %zu fds where it names %u", nfds, 1 + nkeep);
		return -1;
	}
	privsep_reader_get_str(&r, &name, NULL);
	if (f & REQ_F_POLICY)
		privsep_reader_get_str(&r, &policy, NULL);
	if (f & REQ_F_POLICY_TEXT)
		privsep_reader_get_str(&r, &text, NULL);
	if (f & REQ_F_USER)
		privsep_reader_get_str(&r, &user, NULL);
	if (!r.err) {
		q->argv = strs(&r, argc);
		q->envp = q->argv ? strs(&r, envc) : NULL;
		q->rb = q->envp ? strs(&r, nread) : NULL;
	}
	if (!q->rb || privsep_reader_end(&r) < 0) {
		spawner_req_free(q);
		snprintf(why, whylen, "a malformed request body (%zu bytes)", len);
		return -1;
	}
	q->ex.fd = fds[0];
	q->ex.argv = (f & REQ_F_ARGV) ? q->argv : NULL;
	q->ex.envp = (f & REQ_F_ENVP) ? q->envp : NULL;
	q->ex.flags = exf;
	q->ex.read_beneath = nread ? q->rb : NULL;
	q->ex.nread = nread;
	for (uint32_t i = 0; i < nkeep; i++)
		q->keep[i] = fds[1 + i];
	q->sb.policy = policy;
	q->sb.policy_text = text;
	q->sb.flags = sbf;
	q->sb.user = user;
	q->sb.keep_fds = nkeep ? q->keep : NULL;
	q->sb.nkeep = nkeep;
	q->sb.nofile = lim[0];
	q->sb.nproc = lim[1];
	q->sb.fsize = lim[2];
	q->sb.as = lim[3];
	q->sp.name = name;
	q->sp.sandbox = (f & REQ_F_SANDBOX) ? &q->sb : NULL;
	q->sp.unsandboxed = !!(f & REQ_F_UNSANDBOXED);
	q->sp.stdout_copy = !!(f & REQ_F_STDOUT_COPY);
	q->sp.exec = &q->ex;
	return 0;
}
