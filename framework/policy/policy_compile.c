/* SPDX-License-Identifier: ISC */
/*
 * policy_compile.c - a policy as libseccomp rules, compiled to BPF or
 * exported as libseccomp's pseudo filter code.  Each rule becomes the
 * cross product of its conditions' alternatives (policy_meaning.c); a
 * rule whose action is the default's is left out (check proved no rule
 * of another action overlaps it).  verify then runs the program against
 * the meaning.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_meaning.h"

struct rulebuf {
	struct filter_rule *r;
	size_t n, cap;
};

static int rb_push(struct rulebuf *rb, const struct filter_rule *r)
{
	if (rb->n == rb->cap) {
		size_t nc = rb->cap ? rb->cap * 2 : 256;
		struct filter_rule *nr = realloc(rb->r, nc * sizeof(*nr));
		if (!nr)
			return -1;
		rb->r = nr;
		rb->cap = nc;
	}
	rb->r[rb->n++] = *r;
	return 0;
}

/* One policy rule as libseccomp rules: the cross product of its
 * conditions' alternatives. */
static int expand_rule(const struct pol_rule *r, uint32_t action, struct rulebuf *rb,
                       pol_diag_fn diag, void *arg)
{
	struct pol_alt al[POL_MAX_COND] = {0};
	unsigned idx[POL_MAX_COND] = {0};
	size_t total = 1;
	for (unsigned k = 0; k < r->ncond; k++) {
		pol_expand_cond(&r->cond[k], &al[k]);
		if (al[k].never)
			return 0; /* never applies */
		total *= al[k].n;
	}
	if (total > POL_EXPAND_MAX) {
		pol_diagf(
		    diag, arg, &r->loc,
		    "%s: its conditions need %zu libseccomp rules (at most %d): use fewer != or ordering comparisons on ints",
		    r->syscall, total, POL_EXPAND_MAX);
		errno = E2BIG;
		return -1;
	}
	for (;;) {
		struct filter_rule fr = {r->nr, action, r->ncond, {{0}}};
		for (unsigned k = 0; k < r->ncond; k++)
			fr.cmp[k] = al[k].c[idx[k]];
		if (rb_push(rb, &fr) < 0)
			return -1;
		unsigned k = 0;
		while (k < r->ncond && ++idx[k] == al[k].n)
			idx[k++] = 0;
		if (k == r->ncond)
			break;
	}
	return 0;
}

static int to_rules(const struct policy *p, int debug, struct rulebuf *rb, uint32_t *def,
                    pol_diag_fn diag, void *arg)
{
	*def = pol_default_value(p, debug);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		uint32_t a = pol_act_value(r->act, r->err, debug);
		if (r->nr < 0) {
			pol_diagf(diag, arg, &r->loc, "unknown syscall \"%s\" on this architecture",
			          r->syscall);
			errno = EINVAL;
			return -1;
		}
		/* the default already does it; check proved no rule of another
		 * action overlaps, so leaving it out changes nothing */
		if (a == *def)
			continue;
		if (expand_rule(r, a, rb, diag, arg) < 0)
			return -1;
	}
#if defined(__SANITIZE_ADDRESS__)
	{
		int listed = 0;
		for (size_t i = 0; i < p->nrules; i++)
			listed |= p->rules[i].nr == __NR_sched_getaffinity;
		struct filter_rule fr = {__NR_sched_getaffinity, SCMP_ACT_ALLOW, 0, {{0}}};
		/* a default that allows already does (libseccomp refuses a
		 * rule whose action is the default's) */
		if (!listed && *def != SCMP_ACT_ALLOW && rb_push(rb, &fr) < 0)
			return -1;
	}
#endif
	if (p->have_unknown) {
		uint32_t a = pol_act_value(p->unknown_act, p->unknown_err, debug);
		for (int nr = 0; a != *def && nr <= POL_UNKNOWN_MAX; nr++) {
			struct filter_rule fr = {nr, a, 0, {{0}}};
			if (!pol_named(nr) && rb_push(rb, &fr) < 0)
				return -1;
		}
	}
	return 0;
}

/* The policy's libseccomp rules in rb, for compile and export alike. */
static int build_rules(const struct policy *p, int debug, struct rulebuf *rb,
                       struct filter_policy *fp, pol_diag_fn diag, void *arg)
{
	if (to_rules(p, debug, rb, &fp->def_action, diag, arg) < 0) {
		free(rb->r);
		rb->r = NULL;
		return -1;
	}
	fp->rules = rb->r;
	fp->nrules = rb->n;
	fp->badarch_action = pol_badarch_value(debug);
	return 0;
}

int policy_compile(const struct policy *p, struct filter_prog *out, int debug, pol_diag_fn diag,
                   void *arg)
{
	struct rulebuf rb = {0};
	struct filter_policy fp;
	size_t bad = 0;
	int rc;
	if (build_rules(p, debug, &rb, &fp, diag, arg) < 0)
		return -1;
	rc = filter_compile(&fp, out, &bad);
	if (rc < 0) {
		int e = errno;
		pol_diagf(diag, arg, NULL, "libseccomp refused rule %zu of %zu (syscall %d): %s",
		          bad, rb.n, bad < rb.n ? rb.r[bad].nr : -1, strerror(e));
		errno = e;
	}
	free(rb.r);
	return rc;
}

int policy_export_pfc(const struct policy *p, int debug, int fd, pol_diag_fn diag, void *arg)
{
	struct rulebuf rb = {0};
	struct filter_policy fp;
	int rc;
	if (build_rules(p, debug, &rb, &fp, diag, arg) < 0)
		return -1;
	rc = filter_export_pfc(&fp, fd);
	free(rb.r);
	return rc;
}
