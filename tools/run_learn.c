/* SPDX-License-Identifier: ISC */
/*
 * run_learn.c - privsep-run --learn: what a program needed beyond the
 * rules given, as a policy for a human to review.
 *
 * The run is permissive: the program's filter allows every call, its
 * path calls are decided under the rules given plus read, stat and
 * readlink of everything (beneath "/"; writes only where the options
 * allow them, and pseudo filesystems never), and every call the policy
 * given would not allow outright is also sent to the helper, noted and let
 * through.  What was noted becomes rules: a syscall the policy would
 * refuse by a kill, and each file the rules given did not cover (beneath
 * the topmost directory the program listed, or the file alone), each
 * marked "learned; review".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "fs_notify.h"
#include "policy.h"
#include "privsep.h"
#include "run_learn.h"

#define LEARN_NR 512

struct learned_file {
	char *path;
	unsigned rights;
	int dir; /* opened as a directory */
};

struct run_learn {
	const struct policy *base;
	unsigned char calls[LEARN_NR];
	struct learned_file *f;
	size_t nf, cap;
};

struct run_learn *run_learn_new(const struct policy *base)
{
	struct run_learn *l = calloc(1, sizeof(*l));
	if (l)
		l->base = base;
	return l;
}

void run_learn_free(struct run_learn *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nf; i++)
		free(l->f[i].path);
	free(l->f);
	free(l);
}

size_t run_learn_calls(const struct policy *base, int *out, size_t max)
{
	size_t n = 0;
	uint64_t zero[6] = {0};
	for (int nr = 0; nr < LEARN_NR && n < max; nr++) {
		const struct pol_rule *r = NULL;
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
		int brokered = 0;
		if (!name)
			continue;
		free(name);
		for (size_t i = 0; i < fs_notify_ncalls; i++)
			brokered |= fs_notify_calls[i] == nr;
		/* sendmsg hands the listener over: it cannot wait for it;
		 * seccomp is the child's own load of the policy's filter,
		 * before the exec, not the program's */
		if (brokered || nr == __NR_sendmsg || nr == __NR_seccomp)
			continue;
		if (policy_eval(base, 0, seccomp_arch_native(), nr, zero, &r) == SCMP_ACT_ALLOW &&
		    r && r->ncond == 0)
			continue; /* allowed whatever its arguments */
		out[n++] = nr;
	}
	return n;
}

void run_learn_call(void *arg, int nr, const uint64_t *args)
{
	struct run_learn *l = arg;
	const struct pol_rule *r = NULL;
	uint32_t act;
	if (nr < 0 || nr >= LEARN_NR || l->calls[nr])
		return;
	act = policy_eval(l->base, 0, seccomp_arch_native(), nr, args, &r);
	/* what the policy allows, or answers with an errno the program
	 * copes with when it runs for real, needs no rule */
	if (act == SCMP_ACT_ALLOW || (act & SECCOMP_RET_ACTION_FULL) == SCMP_ACT_ERRNO(0))
		return;
	l->calls[nr] = 1;
}

static unsigned rights_of(const struct fs_notify_event *ev, int *dir)
{
	int acc = ev->arg & O_ACCMODE;
	unsigned r = 0;
	*dir = 0;
	switch (ev->op) {
	case FS_OP_OPEN:
		if (acc == O_RDONLY || acc == O_RDWR)
			r |= POL_R_READ | POL_R_STAT;
		if (acc == O_WRONLY || acc == O_RDWR)
			r |= (ev->arg & O_APPEND) ? POL_R_APPEND : POL_R_WRITE;
		if (ev->arg & O_CREAT)
			r |= POL_R_CREATE;
		if (ev->arg & O_TRUNC)
			r |= POL_R_TRUNCATE;
		*dir = !!(ev->arg & O_DIRECTORY);
		return r;
	case FS_OP_STAT:
		return POL_R_STAT;
	case FS_OP_READLINK:
		return POL_R_READLINK;
	default:
		return POL_R_STAT | ((ev->arg & R_OK) ? POL_R_READ : 0);
	}
}

void run_learn_file(struct run_learn *l, const struct fs_notify_event *ev)
{
	struct fs_decision d;
	const char *norm = ev->detail; /* on success: the normalised path */
	int dir;
	unsigned r;
	if (ev->err || !norm || norm[0] != '/')
		return;
	/* what the rules given allow already needs nothing */
	if (fs_decide(l->base, ev->abs, ev->op, ev->arg, &d) == 0)
		return;
	r = rights_of(ev, &dir);
	for (size_t i = 0; i < l->nf; i++)
		if (!strcmp(l->f[i].path, norm)) {
			l->f[i].rights |= r;
			l->f[i].dir |= dir;
			return;
		}
	if (l->nf == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct learned_file *nfp = realloc(l->f, cap * sizeof(*nfp));
		if (!nfp)
			return;
		l->f = nfp;
		l->cap = cap;
	}
	l->f[l->nf].path = strdup(norm);
	if (!l->f[l->nf].path)
		return;
	l->f[l->nf].rights = r;
	l->f[l->nf++].dir = dir;
}

/* A call that sends, whose learned rule never lets MSG_FASTOPEN through
 * (check asks it: a send with it connects a closed TCP socket). */
static int is_send(const char *name)
{
	return !strcmp(name, "sendto") || !strcmp(name, "sendmsg") || !strcmp(name, "sendmmsg");
}

/* The topmost directory the program listed that holds path (or is it),
 * else -1. */
static long listed_above(const struct run_learn *l, const char *path)
{
	long best = -1;
	size_t bl = 0;
	for (size_t i = 0; i < l->nf; i++) {
		size_t k = strlen(l->f[i].path);
		if (!l->f[i].dir || strncmp(path, l->f[i].path, k) != 0 ||
		    (path[k] != '/' && path[k] != '\0' && k != 1))
			continue;
		if (best < 0 || k < bl) {
			best = (long)i;
			bl = k;
		}
	}
	return best;
}

int run_learn_write(struct run_learn *l, const char *file, char *const *argv)
{
	FILE *out = fopen(file, "we");
	char rights[96], q[2 * PATH_MAX + 3];
	unsigned *fold;
	if (!out)
		return -1;
	fold = calloc(l->nf + 1, sizeof(*fold));
	if (!fold) {
		fclose(out);
		return -1;
	}
	fprintf(out, "# learned by privsep-run --learn from a run of:\n#");
	for (char *const *a = argv; *a; a++)
		fprintf(out, " %s", *a);
	fprintf(out,
	        "\n# every rule below is learned; review it before use (privsep-run --policy)\n"
	        "version 1\n");
	for (int nr = 0; nr < LEARN_NR; nr++) {
		char *name;
		if (!l->calls[nr] ||
		    !(name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr)))
			continue;
		if (pol_net_learned_errno(name))
			/* check reports any allow of it: the program goes on
			 * without it */
			fprintf(out,
			        "# learned; review: refused, as check refuses to allow %s "
			        "(privsep.policy(5))\nerrno %s %s because \"learned; review\"\n",
			        name, pol_net_learned_errno(name), name);
		else
			fprintf(out, "allow %s%s because \"learned; review\"\n", name,
			        is_send(name) ? " if flags has-none MSG_FASTOPEN" : "");
		free(name);
	}
	/* files beneath a directory the program listed: one beneath rule for
	 * the topmost, with every right its files needed */
	for (size_t i = 0; i < l->nf; i++) {
		long top = listed_above(l, l->f[i].path);
		if (top >= 0)
			fold[top] |= l->f[i].rights | POL_R_STAT;
	}
	for (size_t i = 0; i < l->nf; i++) {
		long top = listed_above(l, l->f[i].path);
		if (top >= 0 && (size_t)top != i)
			continue; /* folded into its directory's rule */
		if (privsep_policy_quote(l->f[i].path, q, sizeof(q)) < 0)
			continue;
		if (top >= 0) {
			pol_rights_text(fold[i] | POL_R_READLINK, rights, sizeof(rights));
			fprintf(out, "# learned; review\nbeneath %s allow %s symlinks directory\n",
			        q, rights);
		} else {
			pol_rights_text(l->f[i].rights, rights, sizeof(rights));
			fprintf(out, "# learned; review\npath %s allow %s%s\n", q, rights,
			        l->f[i].dir ? " directory" : "");
		}
	}
	free(fold);
	return fclose(out);
}
