/* SPDX-License-Identifier: ISC */
/*
 * policy_check.c - what check finds in a policy: unknown names, rules
 * that cannot take effect, duplicates and shadowed rules, missing
 * reasons, a permissive default, and what libseccomp cannot order.
 * libseccomp does not keep the order of rules: an unconditional rule
 * swallows the conditional ones for the same syscall, and overlapping
 * conditional rules are ordered by argument index, so check refuses rules
 * with different actions that may overlap.  The findings about sockets a
 * worker holds are policy_net.c's, about append-only grants
 * policy_append.c's.
 */
#include <stdio.h>
#include <string.h>

#include "policy_meaning.h"

/* The values a condition allows, as intervals at its argument's width;
 * 0 when it is not that kind of condition (!=, bit tests). */
static unsigned intervals(const struct pol_cond *c, uint64_t lo[], uint64_t hi[])
{
	uint64_t m = c->is32 ? POL_LOW32 : ~0ull, v = c->val & m;
	switch (c->op) {
	case P_EQ:
		lo[0] = hi[0] = v;
		return 1;
	case P_IN:
		for (unsigned k = 0; k < c->nset; k++)
			lo[k] = hi[k] = c->set[k] & m;
		return c->nset;
	case P_LT:
		if (!v)
			return 0;
		lo[0] = 0;
		hi[0] = v - 1;
		return 1;
	case P_LE:
		lo[0] = 0;
		hi[0] = v;
		return 1;
	case P_GT:
		if (v == m)
			return 0;
		lo[0] = v + 1;
		hi[0] = m;
		return 1;
	case P_GE:
		lo[0] = v;
		hi[0] = m;
		return 1;
	default:
		return 0;
	}
}

/* Two rules are disjoint when one argument is held, in both, to value
 * ranges (==, in, <, <=, >, >=) that do not meet. */
static int disjoint(const struct pol_rule *a, const struct pol_rule *b)
{
	for (unsigned i = 0; i < a->ncond; i++) {
		uint64_t alo[POL_MAX_SET], ahi[POL_MAX_SET];
		unsigned na = intervals(&a->cond[i], alo, ahi);
		if (!na)
			continue;
		for (unsigned j = 0; j < b->ncond; j++) {
			uint64_t blo[POL_MAX_SET], bhi[POL_MAX_SET];
			unsigned nb;
			int meet = 0;
			if (b->cond[j].arg != a->cond[i].arg)
				continue;
			nb = intervals(&b->cond[j], blo, bhi);
			if (!nb)
				continue;
			for (unsigned k = 0; k < na && !meet; k++)
				for (unsigned l = 0; l < nb && !meet; l++)
					meet = alo[k] <= bhi[l] && blo[l] <= ahi[k];
			if (!meet)
				return 1;
		}
	}
	return 0;
}

static int same_conds(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->ncond != b->ncond)
		return 0;
	for (unsigned i = 0; i < a->ncond; i++) {
		const struct pol_cond *x = &a->cond[i], *y = &b->cond[i];
		if (x->arg != y->arg || x->op != y->op || x->val != y->val || x->nset != y->nset ||
		    memcmp(x->set, y->set, x->nset * sizeof(x->set[0])))
			return 0;
	}
	return 1;
}

/* An allow of mmap or mprotect that can yield executable memory. */
static int allows_exec(const struct pol_rule *r)
{
	if (strcmp(r->syscall, "mmap") && strcmp(r->syscall, "mprotect"))
		return 0;
	for (unsigned i = 0; i < r->ncond; i++) {
		const struct pol_cond *c = &r->cond[i];
		if (c->arg != 2)
			continue;
		if (c->op == P_NONE && (c->val & 0x4))
			return 0;
		if (c->op == P_WITHIN && !(c->val & 0x4))
			return 0;
		if ((c->op == P_EQ) && !(c->val & 0x4))
			return 0;
	}
	return 1;
}

/* Where the findings go, and their count. */
struct finder {
	const struct policy *p;
	pol_diag_fn diag;
	void *arg;
	int n;
	char where[64]; /* " (from @group)" for the rule looked at, or "" */
};

/* A rule that lets a worker connect a socket it holds, or an allow
 * that needs a reason and has none. */
static void check_reason(struct finder *f, const struct pol_rule *r)
{
	char net[512];
	if (pol_net_finding(r, net, sizeof(net))) {
		pol_diagf(f->diag, f->arg, &r->loc, "%s%s", net, f->where);
		f->n++;
	}
	if (!r->reason[0] && (r->act != FA_ALLOW || pol_dangerous(r->syscall) || allows_exec(r))) {
		pol_diagf(f->diag, f->arg, &r->loc, "%s %s needs a reason: add because \"...\"%s%s",
		          pol_act_name(r->act), r->syscall,
		          r->act == FA_ALLOW && allows_exec(r)
		              ? " (it allows executable memory; or add: if prot has-none PROT_EXEC)"
		          : r->act == FA_ALLOW ? " (it is on the list of dangerous syscalls)"
		                               : "",
		          f->where);
		f->n++;
	}
}

/* Conditions on a 64-bit argument that libseccomp 2.5.4 mishandles. */
static void check_64bit(struct finder *f, const struct pol_rule *r)
{
	int mixed = 0; /* another rule for this syscall has another action */
	for (size_t j = 0; j < f->p->nrules; j++)
		mixed |= f->p->rules[j].nr == r->nr &&
		         (f->p->rules[j].act != r->act || f->p->rules[j].err != r->err);
	for (unsigned k = 0; k < r->ncond; k++) {
		const struct pol_cond *c = &r->cond[k];
		if (c->is32)
			continue;
		if (c->op == P_ANY && (c->val >> 32)) {
			pol_diagf(
			    f->diag, f->arg, &r->loc,
			    "%s: has-any with bits above bit 31 on a 64-bit argument: libseccomp 2.5.4 can hang compiling it; use several rules",
			    r->syscall);
			f->n++;
		}
		if (mixed && c->op != P_EQ && c->op != P_IN && c->op != P_NONE &&
		    c->op != P_WITHIN && c->op != P_ANY) {
			pol_diagf(
			    f->diag, f->arg, &r->loc,
			    "%s: a range or != on a 64-bit argument, and another rule for %s with another action: libseccomp 2.5.4 can build a wrong filter from that; use ==, in or bit tests",
			    r->syscall, r->syscall);
			f->n++;
		}
	}
}

/* Conditions that can never hold, and rules that expand too far. */
static void check_expansion(struct finder *f, const struct pol_rule *r)
{
	size_t total = 1;
	for (unsigned k = 0; k < r->ncond; k++) {
		struct pol_alt al;
		pol_expand_cond(&r->cond[k], &al);
		if (al.never) {
			pol_diagf(f->diag, f->arg, &r->loc,
			          "%s: condition %u can never hold: the rule never applies",
			          r->syscall, k + 1);
			f->n++;
		}
		total *= al.n ? al.n : 1;
	}
	if (total > POL_EXPAND_MAX) {
		pol_diagf(
		    f->diag, f->arg, &r->loc,
		    "%s: its conditions need %zu libseccomp rules (at most %d): use fewer != or ordering comparisons on ints",
		    r->syscall, total, POL_EXPAND_MAX);
		f->n++;
	}
}

int pol_start_rule_yields(const struct pol_rule *r, enum filter_action act, int err)
{
	return r->act == act && r->err == err &&
	       (!strcmp(r->group, "@exec_start") || !strcmp(r->group, "@exec_narrow"));
}

/* Rule i against the earlier rules for its syscall: shadowed,
 * duplicated, or in an order libseccomp cannot keep (the first such). */
static void check_order(struct finder *f, size_t i)
{
	const struct pol_rule *r = &f->p->rules[i];
	for (size_t j = 0; j < i; j++) {
		const struct pol_rule *e = &f->p->rules[j];
		if (e->nr != r->nr)
			continue;
		/* exec mode's start shadowed by a rule of the worker's own
		 * with the same action for every call */
		if (e->ncond == 0 && pol_start_rule_yields(r, e->act, e->err))
			continue;
		if (e->ncond == 0) {
			pol_diagf(
			    f->diag, f->arg, &r->loc,
			    "%s is shadowed: the rule at %s:%d applies to every call of %s first%s",
			    r->syscall, e->loc.file, e->loc.line, r->syscall, f->where);
		} else if (same_conds(e, r)) {
			pol_diagf(f->diag, f->arg, &r->loc, "%s duplicates the rule at %s:%d%s",
			          r->syscall, e->loc.file, e->loc.line, f->where);
		} else if (e->act == r->act && e->err == r->err) {
			continue;
		} else if (r->ncond == 0) {
			pol_diagf(
			    f->diag, f->arg, &r->loc,
			    "%s: this rule applies to every call and the rule at %s:%d (%s) to some: libseccomp would drop that one; list the allowed cases with conditions instead",
			    r->syscall, e->loc.file, e->loc.line, pol_act_name(e->act));
		} else if (!disjoint(e, r)) {
			pol_diagf(
			    f->diag, f->arg, &r->loc,
			    "%s: this rule (%s) and the rule at %s:%d (%s) may both match one call, and libseccomp cannot keep their order: pin one argument to different values in both with == or in",
			    r->syscall, pol_act_name(r->act), e->loc.file, e->loc.line,
			    pol_act_name(e->act));
		} else {
			continue;
		}
		f->n++;
		return;
	}
}

int policy_check(const struct policy *p, pol_diag_fn diag, void *arg)
{
	struct finder f = {p, diag, arg, 0, ""};
	if (p->def_act != FA_KILL && p->def_act != FA_TRAP) {
		pol_diagf(
		    diag, arg, &p->def_loc,
		    "permissive default: default %s lets every syscall not listed through; use default kill and list what the worker needs",
		    pol_act_name(p->def_act));
		f.n++;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		f.where[0] = '\0';
		if (r->group[0])
			snprintf(f.where, sizeof(f.where), " (from %s)", r->group);
		if (r->nr < 0) {
			pol_diagf(diag, arg, &r->loc,
			          "unknown syscall \"%s\" on this architecture%s", r->syscall,
			          f.where);
			f.n++;
			continue;
		}
		check_reason(&f, r);
		check_64bit(&f, r);
		check_expansion(&f, r);
		check_order(&f, i);
	}
	return f.n + policy_append_check(p, diag, arg);
}
