/* SPDX-License-Identifier: ISC */
/*
 * policy_explain.c - in words, which rule of a policy decides a call, or
 * that the default does and why (privsep-policy explain, and the helper's
 * report of a call its worker was refused).
 */
#include <seccomp.h>
#include <stdio.h>

#include "policy_meaning.h"

void policy_explain(const struct policy *p, int debug, int nr, const uint64_t *args, char *buf,
                    size_t len)
{
	const struct pol_rule *r = NULL;
	int listed = 0;
	if (args) {
		policy_eval(p, debug, seccomp_arch_native(), nr, args, &r);
		if (r) {
			snprintf(buf, len, "%s:%d (%s %s%s%s)", r->loc.file, r->loc.line,
			         pol_act_name(r->act), r->syscall, r->group[0] ? " in " : "",
			         r->group);
			return;
		}
	}
	for (size_t i = 0; i < p->nrules; i++)
		listed |= p->rules[i].nr == nr;
	snprintf(buf, len, "the default action of %s (%s)", p->name,
	         !listed ? "the syscall is not in it"
	         : args
	             ? "no rule for this syscall matched its arguments"
	             : "its rules for this syscall have conditions; the arguments are not known");
}
