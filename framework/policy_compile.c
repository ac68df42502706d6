/*
 * policy_compile.c - what a policy means, what check finds in it, and its
 * compilation into libseccomp rules.
 *
 * Meaning: for a call, the first rule for its syscall whose conditions
 * hold decides; if none, "unknown" for a number this architecture's table
 * does not name (when set), else the default.  A foreign architecture
 * (i386, x32 numbers) is killed.
 *
 * libseccomp does not keep the order of rules: an unconditional rule
 * swallows the conditional ones for the same syscall, and overlapping
 * conditional rules are ordered by argument index.  So check refuses what
 * libseccomp cannot order (rules with different actions that may overlap),
 * and an int argument is compared on its low 32 bits by expanding every
 * comparison into masked equalities, which is exact.  verify then runs the
 * compiled program against this meaning.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy.h"

#define LOW32 0xffffffffull
#define EXPAND_MAX 256

static void diagf(pol_diag_fn diag, void *arg, const struct pol_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void diagf(pol_diag_fn diag, void *arg, const struct pol_loc *loc, const char *fmt, ...)
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

static uint32_t act_value(enum filter_action a, int err, int debug)
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
	(void)debug;
	return SCMP_ACT_KILL_PROCESS;
}

static uint32_t default_value(const struct policy *p, int debug)
{
	if (p->def_act == FA_KILL && debug)
		return SCMP_ACT_TRAP; /* the debug mode: report instead of dying */
	return act_value(p->def_act, p->def_err, debug);
}

static int named(int nr)
{
	char *n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
	free(n);
	return n != NULL;
}

/* ---- meaning ---- */

int policy_cond_holds(const struct pol_cond *c, uint64_t v)
{
	uint64_t a = c->val;
	if (c->is32) {
		v &= LOW32;
		a &= LOW32;
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
			if (v == (c->is32 ? c->set[i] & LOW32 : c->set[i]))
				return 1;
		return 0;
	}
	return 0;
}

uint32_t policy_eval(const struct policy *p, int debug, uint32_t arch, int nr,
                     const uint64_t args[6], const struct pol_rule **rule)
{
	*rule = NULL;
	if (arch != seccomp_arch_native() || (nr >= 0 && (nr & 0x40000000)))
		return SCMP_ACT_KILL_PROCESS;
	if (nr < 0) /* no syscall has it; the filter's default applies */
		return default_value(p, debug);
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
			return act_value(r->act, r->err, debug);
		}
	}
	if (p->have_unknown && nr <= POL_UNKNOWN_MAX && !named(nr))
		return act_value(p->unknown_act, p->unknown_err, debug);
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer builds only (the test suite's second run): its
	 * thread start asks for the CPU mask */
	if (nr == __NR_sched_getaffinity)
		return SCMP_ACT_ALLOW;
#endif
	return default_value(p, debug);
}

struct alt {
	struct filter_cmp c[64];
	unsigned n;
	int never; /* the condition can never hold */
};

static void add_alt(struct alt *al, unsigned arg, int op, uint64_t a, uint64_t b)
{
	al->c[al->n++] = (struct filter_cmp){arg, op, a, b};
}

/* The alternatives (any one holds) equivalent to one condition. */
static void expand_cond(const struct pol_cond *c, struct alt *al, struct alt *extra)
{
	uint64_t v = c->val;
	al->n = 0;
	al->never = 0;
	extra->n = 0;
	if (c->op == P_IN) {
		for (unsigned i = 0; i < c->nset; i++)
			if (c->is32)
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, LOW32, c->set[i] & LOW32);
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
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, c->is32 ? v & LOW32 : v, 0);
		return;
	}
	if (c->op == P_WITHIN) {
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, c->is32 ? ~v & LOW32 : ~v, 0);
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
	v &= LOW32;
	switch (c->op) {
	case P_EQ:
		add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, LOW32, v);
		break;
	case P_NE: /* some bit differs */
		for (int b = 0; b < 32; b++)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, 1ull << b, ~v & (1ull << b));
		break;
	case P_LT:
	case P_LE: /* the first bit from the top where x has 0 and v has 1 */
		for (int b = 0; b < 32; b++) {
			uint64_t hi = LOW32 & ~((1ull << b) - 1); /* bits b..31 */
			if (v & (1ull << b))
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, hi,
				        (v & hi) & ~(1ull << b));
		}
		if (c->op == P_LE)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, LOW32, v);
		al->never = al->n == 0;
		break;
	case P_GT:
	case P_GE:
		for (int b = 0; b < 32; b++) {
			uint64_t hi = LOW32 & ~((1ull << b) - 1);
			if (!(v & (1ull << b)))
				add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, hi, (v & hi) | (1ull << b));
		}
		if (c->op == P_GE)
			add_alt(al, c->arg, SCMP_CMP_MASKED_EQ, LOW32, v);
		al->never = al->n == 0;
		break;
	default:
		break;
	}
}

/* ---- check ---- */

static const char *act_name(enum filter_action a)
{
	static const char *const n[] = {"allow", "errno", "kill", "trap", "log"};
	return n[a];
}

/* The values a condition allows, as intervals at its argument's width;
 * 0 when it is not that kind of condition (!=, bit tests). */
static unsigned intervals(const struct pol_cond *c, uint64_t lo[], uint64_t hi[])
{
	uint64_t m = c->is32 ? LOW32 : ~0ull, v = c->val & m;
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

int policy_check(const struct policy *p, pol_diag_fn diag, void *arg)
{
	int n = 0;
	if (p->def_act != FA_KILL && p->def_act != FA_TRAP) {
		diagf(diag, arg, &p->def_loc,
		      "permissive default: default %s lets every syscall not listed through; use "
		      "default kill and list what the worker needs",
		      act_name(p->def_act));
		n++;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		char where[64] = "";
		if (r->group[0])
			snprintf(where, sizeof(where), " (from %s)", r->group);
		if (r->nr < 0) {
			diagf(diag, arg, &r->loc, "unknown syscall \"%s\" on this architecture%s",
			      r->syscall, where);
			n++;
			continue;
		}
		if (!r->reason[0] &&
		    (r->act != FA_ALLOW || pol_dangerous(r->syscall) || allows_exec(r))) {
			diagf(diag, arg, &r->loc, "%s %s needs a reason: add because \"...\"%s%s",
			      act_name(r->act), r->syscall,
			      r->act == FA_ALLOW && allows_exec(r)
			          ? " (it allows executable memory; or add: if prot has-none "
			            "PROT_EXEC)"
			      : r->act == FA_ALLOW ? " (it is on the list of dangerous syscalls)"
			                           : "",
			      where);
			n++;
		}
		{
			int mixed = 0; /* another rule for this syscall has another action */
			for (size_t j = 0; j < p->nrules; j++)
				mixed |= p->rules[j].nr == r->nr &&
				         (p->rules[j].act != r->act || p->rules[j].err != r->err);
			for (unsigned k = 0; k < r->ncond; k++) {
				const struct pol_cond *c = &r->cond[k];
				if (c->is32)
					continue;
				if (c->op == P_ANY && (c->val >> 32)) {
					diagf(diag, arg, &r->loc,
					      "%s: has-any with bits above bit 31 on a 64-bit "
					      "argument: "
					      "libseccomp 2.5.4 can hang compiling it; use several "
					      "rules",
					      r->syscall);
					n++;
				}
				if (mixed && c->op != P_EQ && c->op != P_IN && c->op != P_NONE &&
				    c->op != P_WITHIN && c->op != P_ANY) {
					diagf(diag, arg, &r->loc,
					      "%s: a range or != on a 64-bit argument, and another "
					      "rule for "
					      "%s with another action: libseccomp 2.5.4 can build "
					      "a wrong "
					      "filter from that; use ==, in or bit tests",
					      r->syscall, r->syscall);
					n++;
				}
			}
		}
		{
			size_t total = 1;
			for (unsigned k = 0; k < r->ncond; k++) {
				struct alt al, ex;
				expand_cond(&r->cond[k], &al, &ex);
				if (al.never) {
					diagf(diag, arg, &r->loc,
					      "%s: condition %u can never hold: the rule never "
					      "applies",
					      r->syscall, k + 1);
					n++;
				}
				total *= al.n ? al.n : 1;
			}
			if (total > EXPAND_MAX) {
				diagf(diag, arg, &r->loc,
				      "%s: its conditions need %zu libseccomp rules (at most %d): "
				      "use fewer "
				      "!= or ordering comparisons on ints",
				      r->syscall, total, EXPAND_MAX);
				n++;
			}
		}
		for (size_t j = 0; j < i; j++) {
			const struct pol_rule *e = &p->rules[j];
			if (e->nr != r->nr)
				continue;
			if (e->ncond == 0) {
				diagf(diag, arg, &r->loc,
				      "%s is shadowed: the rule at %s:%d applies to every call of "
				      "%s first%s",
				      r->syscall, e->loc.file, e->loc.line, r->syscall, where);
				n++;
				break;
			}
			if (same_conds(e, r)) {
				diagf(diag, arg, &r->loc, "%s duplicates the rule at %s:%d%s",
				      r->syscall, e->loc.file, e->loc.line, where);
				n++;
				break;
			}
			if (e->act == r->act && e->err == r->err)
				continue;
			if (r->ncond == 0) {
				diagf(diag, arg, &r->loc,
				      "%s: this rule applies to every call and the rule at %s:%d "
				      "(%s) to some: "
				      "libseccomp would drop that one; list the allowed cases with "
				      "conditions "
				      "instead",
				      r->syscall, e->loc.file, e->loc.line, act_name(e->act));
				n++;
				break;
			}
			if (!disjoint(e, r)) {
				diagf(diag, arg, &r->loc,
				      "%s: this rule (%s) and the rule at %s:%d (%s) may both "
				      "match one call, "
				      "and libseccomp cannot keep their order: pin one argument to "
				      "different "
				      "values in both with == or in",
				      r->syscall, act_name(r->act), e->loc.file, e->loc.line,
				      act_name(e->act));
				n++;
				break;
			}
		}
	}
	return n + policy_append_check(p, diag, arg);
}

/* ---- compile ---- */

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
	struct alt al[POL_MAX_COND] = {0}, ex;
	unsigned idx[POL_MAX_COND] = {0};
	size_t total = 1;
	for (unsigned k = 0; k < r->ncond; k++) {
		expand_cond(&r->cond[k], &al[k], &ex);
		if (al[k].never)
			return 0; /* never applies */
		total *= al[k].n;
	}
	if (total > EXPAND_MAX) {
		diagf(diag, arg, &r->loc,
		      "%s: its conditions need %zu libseccomp rules (at most %d): use fewer != or "
		      "ordering comparisons on ints",
		      r->syscall, total, EXPAND_MAX);
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
	*def = default_value(p, debug);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		uint32_t a = act_value(r->act, r->err, debug);
		if (r->nr < 0) {
			diagf(diag, arg, &r->loc, "unknown syscall \"%s\" on this architecture",
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
		if (!listed && rb_push(rb, &fr) < 0)
			return -1;
	}
#endif
	if (p->have_unknown) {
		uint32_t a = act_value(p->unknown_act, p->unknown_err, debug);
		for (int nr = 0; a != *def && nr <= POL_UNKNOWN_MAX; nr++) {
			struct filter_rule fr = {nr, a, 0, {{0}}};
			if (!named(nr) && rb_push(rb, &fr) < 0)
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
		diagf(diag, arg, NULL, "libseccomp refused rule %zu of %zu (syscall %d): %s", bad,
		      rb.n, bad < rb.n ? rb.r[bad].nr : -1, strerror(e));
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

void policy_explain(const struct policy *p, int debug, int nr, const uint64_t *args, char *buf,
                    size_t len)
{
	const struct pol_rule *r = NULL;
	int listed = 0;
	if (args) {
		policy_eval(p, debug, seccomp_arch_native(), nr, args, &r);
		if (r) {
			snprintf(buf, len, "%s:%d (%s %s%s%s)", r->loc.file, r->loc.line,
			         act_name(r->act), r->syscall, r->group[0] ? " in " : "", r->group);
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
