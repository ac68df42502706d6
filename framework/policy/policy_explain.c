/* SPDX-License-Identifier: ISC */
/*
 * policy_explain.c - in words, which rule of a policy decides a call, or
 * that the default does and why (privsep-policy explain, and the helper's
 * report of a call its worker was refused): a call whose syscall has
 * rules that did not match names each of them and the condition that
 * failed.
 */
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "policy_meaning.h"

static const char *op_word(enum pol_op op)
{
	static const char *const w[] = {"==", "!=", "<",       "<=",       ">",
	                                ">=", "in", "has-any", "has-none", "within"};
	return w[op];
}

/* "argN OP value" of c, into buf. */
static void cond_text(const struct pol_cond *c, char *buf, size_t len)
{
	int n;
	if (c->op != P_IN) {
		snprintf(buf, len, "arg%u %s 0x%llx", c->arg, op_word(c->op),
		         (unsigned long long)c->val);
		return;
	}
	n = snprintf(buf, len, "arg%u in {", c->arg);
	for (unsigned i = 0; i < c->nset && n > 0 && (size_t)n < len; i++)
		n += snprintf(buf + n, len - (size_t)n, "%s0x%llx", i ? ", " : "",
		              (unsigned long long)c->set[i]);
	if (n > 0 && (size_t)n < len)
		snprintf(buf + n, len - (size_t)n, "}");
}

/* The rules for nr that args did not match, each with its place and the
 * first condition that failed, after "; " into buf at *off. */
static void unmatched(const struct policy *p, int nr, const uint64_t *args, char *buf, size_t len,
                      size_t *off)
{
	for (size_t i = 0; i < p->nrules && *off < len; i++) {
		const struct pol_rule *r = &p->rules[i];
		char cond[160];
		unsigned k;
		if (r->nr != nr)
			continue;
		for (k = 0; k < r->ncond && policy_cond_holds(&r->cond[k], args[r->cond[k].arg]);
		     k++)
			;
		if (k == r->ncond)
			continue; /* (it matched: not asked for) */
		cond_text(&r->cond[k], cond, sizeof(cond));
		uint64_t v = args[r->cond[k].arg];
		if (r->cond[k].is32)
			v &= POL_LOW32;
		int n = snprintf(buf + *off, len - *off, "%s%s:%d (%s %s) wants %s, it is 0x%llx",
		                 buf[*off - 1] == ':' ? " " : "; ", r->loc.file, r->loc.line,
		                 pol_act_name(r->act), r->syscall, cond, (unsigned long long)v);
		*off = n < 0 ? len : *off + (size_t)n;
	}
}

size_t policy_rules_for(const struct policy *p, int nr, int start_allows)
{
	size_t n = 0;
	for (size_t i = 0; i < p->nrules; i++)
		n += p->rules[i].nr == nr &&
		     (start_allows || !pol_start_rule_yields(&p->rules[i], FA_ALLOW, 0));
	return n;
}

void policy_explain(const struct policy *p, int debug, int nr, const uint64_t *args, char *buf,
                    size_t len)
{
	const struct pol_rule *r = NULL;
	int listed = policy_rules_for(p, nr, 1) > 0;
	if (args) {
		policy_eval(p, debug, seccomp_arch_native(), nr, args, &r);
		if (r) {
			snprintf(buf, len, "%s:%d (%s %s%s%s)", r->loc.file, r->loc.line,
			         pol_act_name(r->act), r->syscall, r->group[0] ? " in " : "",
			         r->group);
			return;
		}
	}
	if (listed && args) {
		int n = snprintf(buf, len,
		                 "the default action of %s (no rule for this syscall matched its "
		                 "arguments:",
		                 p->name);
		size_t off = n < 0 ? len : (size_t)n;
		unmatched(p, nr, args, buf, len, &off);
		if (off + 1 < len)
			snprintf(buf + off, len - off, ")");
		return;
	}
	snprintf(buf, len, "the default action of %s (%s)", p->name,
	         !listed
	             ? "the syscall is not in it"
	             : "its rules for this syscall have conditions; the arguments are not known");
}
