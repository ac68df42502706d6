/* SPDX-License-Identifier: ISC */
/*
 * policy_meaning.c - what a policy means.  For a call, the first rule for
 * its syscall whose conditions hold decides; if none, "unknown" for a
 * number this architecture's table does not name (when set), else the
 * default.  A foreign architecture (i386, x32 numbers) is killed (in the
 * notify and learn modes: notified, and the helper kills).  This
 * file owns that meaning (policy_eval, policy_cond_holds), the actions'
 * seccomp values, and the expansion of a condition into what libseccomp
 * can compare: an int argument is compared on its low 32 bits by
 * expanding every comparison into masked equalities, which is exact.
 * check, compile, explain and verify build on it.
 */
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy_meaning.h"

void pol_diagf(pol_diag_fn diag, void *arg, const struct pol_loc *loc, const char *fmt, ...)
{
	char msg[1024], full[1400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (loc && loc->file && loc->line)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", loc->file, loc->line, loc->col, msg);
	else
		snprintf(full, sizeof(full), "%s", msg);
	if (diag)
		diag(full, arg);
}

uint32_t pol_act_value(enum filter_action a, int err, int debug)
{
	switch (a) {
	case FA_ALLOW:
		return SCMP_ACT_ALLOW;
	case FA_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)err);
	case FA_TRAP:
		return SCMP_ACT_TRAP;
	case FA_LOG:
		return SCMP_ACT_LOG;
	case FA_KILL:
		break;
	}
	/* notify and learn: the helper hears of each call a kill stands for
	 * (seccomp user notification), names it, and kills (or, learning,
	 * lets it through) */
	if (debug == POL_MODE_NOTIFY || debug == POL_MODE_LEARN)
		return SCMP_ACT_NOTIFY;
	return SCMP_ACT_KILL_PROCESS;
}

uint32_t pol_default_value(const struct policy *p, int debug)
{
	if (p->def_act == FA_KILL && debug == POL_MODE_DEBUG)
		return SCMP_ACT_TRAP; /* the debug mode: report instead of dying */
	return pol_act_value(p->def_act, p->def_err, debug);
}

uint32_t pol_badarch_value(int debug)
{
	return pol_act_value(FA_KILL, 0, debug);
}

int policy_foreign(uint32_t arch, int nr)
{
	if (arch != seccomp_arch_native())
		return 1;
#if defined(__x86_64__)
	/* libseccomp checks x86_64's numbers only (x32 shares its arch) */
	return (uint32_t)nr >= 0x40000000u && nr != -1;
#else
	(void)nr;
	return 0;
#endif
}

const char *pol_act_name(enum filter_action a)
{
	static const char *const n[] = {"allow", "errno", "kill", "trap", "log"};
	return n[a];
}

int pol_named(int nr)
{
	char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	free(n);
	return n != NULL;
}

int policy_cond_holds(const struct pol_cond *c, uint64_t v)
{
	uint64_t a = c->val;
	if (c->is32) {
		v &= POL_LOW32;
		a &= POL_LOW32;
	}
	switch (c->op) {
	case P_EQ:
		return v == a;
	case P_NE:
		return v != a;
	case P_LT:
		return v < a;
	case P_LE:
		return v <= a;
	case P_GT:
		return v > a;
	case P_GE:
		return v >= a;
	case P_ANY:
		return (v & a) != 0;
	case P_NONE:
		return (v & a) == 0;
	case P_WITHIN:
		return (v & ~a) == 0;
	case P_IN:
		for (unsigned i = 0; i < c->nset; i++)
			if (v == (c->is32 ? c->set[i] & POL_LOW32 : c->set[i]))
				return 1;
		return 0;
	}
	return 0;
}

uint32_t policy_eval(const struct policy *p, int debug, uint32_t arch, int nr,
                     const uint64_t args[6], const struct pol_rule **rule)
{
	*rule = NULL;
	if (policy_foreign(arch, nr))
		return pol_badarch_value(debug);
	if (nr < 0) /* no syscall has it; the filter's default applies */
		return pol_default_value(p, debug);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		unsigned k;
		if (r->nr != nr)
			continue;
		for (k = 0; k < r->ncond && policy_cond_holds(&r->cond[k], args[r->cond[k].arg]);
		     k++)
			;
		if (k == r->ncond) {
			*rule = r;
			return pol_act_value(r->act, r->err, debug);
		}
	}
	if (p->have_unknown && nr <= POL_UNKNOWN_MAX && !pol_named(nr))
		return pol_act_value(p->unknown_act, p->unknown_err, debug);
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer builds only (the test suite's second run): its
	 * thread start asks for the CPU mask */
	if (nr == __NR_sched_getaffinity)
		return SCMP_ACT_ALLOW;
#endif
	return pol_default_value(p, debug);
}

static void add_alt(struct pol_alt *al, unsigned arg, int op, uint64_t a, uint64_t b)
{
	al->c[al->n++] = (struct filter_cmp){arg, op, a, b};
}

/* The alternatives (any one holds) equivalent to one condition. */
void pol_expand_cond(const struct pol_cond *c, struct pol_alt *al)
{
	uint64_t v = c->val;
	al->n = 0;
	al->never = 0;
	if (c->op == P_IN) {
		for (unsigned i = 0; i < c->nset; i++)
			if (c->is32)
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, POL_LOW32,
				        c->set[i] & POL_LOW32);
			else
				add_alt(al, c->arg, SCMP_CMP_EQ, c->set[i], 0);
		return;
	}
	if (c->op == P_ANY) {
		int bits = c->is32 ? 32 : 64;
		for (int b = 0; b < bits; b++)
			if (v & (1ull << b))
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, 1ull << b, 1ull << b);
		al->never = al->n == 0;
		return;
	}
	if (c->op == P_NONE) {
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, c->is32 ? v & POL_LOW32 : v, 0);
		return;
	}
	if (c->op == P_WITHIN) {
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, c->is32 ? ~v & POL_LOW32 : ~v, 0);
		return;
	}
	if (!c->is32) {
		static const int map[] = {
		    [P_EQ] = SCMP_CMP_EQ, [P_NE] = SCMP_CMP_NE, [P_LT] = SCMP_CMP_LT,
		    [P_LE] = SCMP_CMP_LE, [P_GT] = SCMP_CMP_GT, [P_GE] = SCMP_CMP_GE};
		add_alt(al, c->arg, map[c->op], v, 0);
		return;
	}
	/* an int: exact comparisons on the low 32 bits, as masked equalities */
	v &= POL_LOW32;
	switch (c->op) {
	case P_EQ:
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, POL_LOW32, v);
		break;
	case P_NE: /* some bit differs */
		for (int b = 0; b < 32; b++)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, 1ull << b, ~v & (1ull << b));
		break;
	case P_LT:
	case P_LE: /* the first bit from the top where x has 0 and v has 1 */
		for (int b = 0; b < 32; b++) {
			uint64_t hi = POL_LOW32 & ~((1ull << b) - 1); /* bits b..31 */
			if (v & (1ull << b))
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, hi,
				        (v & hi) & ~(1ull << b));
		}
		if (c->op == P_LE)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, POL_LOW32, v);
		al->never = al->n == 0;
		break;
	case P_GT:
	case P_GE:
		for (int b = 0; b < 32; b++) {
			uint64_t hi = POL_LOW32 & ~((1ull << b) - 1);
			if (!(v & (1ull << b)))
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, hi, (v & hi) | (1ull << b));
		}
		if (c->op == P_GE)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, POL_LOW32, v);
		al->never = al->n == 0;
		break;
	default:
		break;
	}
}
