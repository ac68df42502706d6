/* SPDX-License-Identifier: ISC */
/*
 * policy_rule.c - the seccomp rules: "ACTION SYSCALL [if COND [and
 * COND]...] [because "reason"]" and "ACTION @group [because "reason"]",
 * where ACTION is allow, errno NAME, kill, trap or log, and COND is
 * "ARG OP VALUE" (a VALUE is a number, a constant or A|B|C).  A rule goes
 * to the policy, or to the group being defined.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_parse.h"

struct pol_group *pol_find_group(struct pol_parser *ps, const char *name)
{
	for (size_t i = 0; i < ps->ngroups; i++)
		if (!strcmp(ps->groups[i].name, name))
			return &ps->groups[i];
	return NULL;
}

#define OPERATORS "==, !=, <, <=, >, >=, in, has-any, has-none, within"

int pol_action(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_tok *t, int n,
               enum filter_action *act, int *errnum, int *next)
{
	static const struct {
		const char *word;
		enum filter_action act;
	} actions[] = {{"allow", FA_ALLOW}, {"kill", FA_KILL}, {"trap", FA_TRAP}, {"log", FA_LOG}};
	*errnum = 0;
	*next = 1;
	for (size_t k = 0; k < sizeof(actions) / sizeof(actions[0]); k++)
		if (pol_tok_is(&t[0], actions[k].word)) {
			*act = actions[k].act;
			return 1;
		}
	if (!pol_tok_is(&t[0], "errno"))
		return 0;
	*act = FA_ERRNO;
	if (n < 2) {
		pol_serr(ps, st, t[0].col + 5, "expected an errno name (EPERM, ENOSYS, ...)");
		return -1;
	}
	*errnum = pol_errno(t[1].text);
	if (*errnum < 0) {
		pol_serr(ps, st, t[1].col, "unknown errno name \"%s\"", t[1].text);
		return -1;
	}
	*next = 2;
	return 1;
}

/* One part of a value: a number (-N too) or a constant, NUL-terminated
 * in part.  0, or -1 after reporting. */
static int value_part(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_tok *t,
                      const char *part, uint64_t *acc)
{
	int64_t c;
	char *end;
	int neg = part[0] == '-';
	if ((part[0] >= '0' && part[0] <= '9') || (neg && part[1] >= '0' && part[1] <= '9')) {
		errno = 0;
		unsigned long long x = strtoull(part + neg, &end, 0);
		/* -N is two's complement on 64 bits: N at most 2^63 (below, it
		 * wrapped silently: -18446744073709551615 was 1) */
		if (*end || errno || (neg && x > (1ull << 63))) {
			pol_serr(ps, st, t->col, "not a number: \"%s\"", part);
			return -1;
		}
		*acc |= neg ? (uint64_t)0 - (uint64_t)x : (uint64_t)x;
	} else if (pol_const(part, &c) == 0) {
		*acc |= (uint64_t)c;
	} else {
		pol_serr(ps, st, t->col, "unknown constant \"%s\"", part);
		return -1;
	}
	return 0;
}

/* A value: number, constant, or A|B|C (empty parts between bars are
 * skipped).  The parts are cut in a copy of the token.  0 or -1 after
 * reporting. */
static int value(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_tok *t,
                 uint64_t *v)
{
	char *buf, *save = NULL, *part;
	uint64_t acc = 0;
	int rc = 0;
	if (!t->len || t->text[0] == '|' || t->text[t->len - 1] == '|') {
		pol_serr(ps, st, t->col,
		         "expected a value (a number, a constant or A|B), found \"%s\"", t->text);
		return -1;
	}
	buf = strndup(t->text, t->len);
	if (!buf) {
		pol_serr(ps, st, t->col, "out of memory");
		return -1;
	}
	for (part = strtok_r(buf, "|", &save); part && rc == 0; part = strtok_r(NULL, "|", &save))
		rc = value_part(ps, st, t, part, &acc);
	free(buf);
	*v = acc;
	return rc;
}

/* A value for an int argument, which the kernel reads from the low half
 * of its register: one that the low 32 bits do not hold (unsigned, or an
 * int's sign extension, -100 for AT_FDCWD) would be compiled as another
 * number than the one written (fd == 4294967298 is fd == 2), so it is
 * refused.  0, or -1 after reporting. */
static int int_value_fits(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_tok *t,
                          const struct pol_cond *c, const char *arg, uint64_t v)
{
	/* the upper half zero, or the upper 33 bits ones (a negative int) */
	if (!c->is32 || (v >> 32) == 0 || (v >> 31) == 0x1ffffffffull)
		return 0;
	pol_serr(ps, st, t->col,
	         "%s is an int, compared on its low 32 bits: \"%s\" does not fit (it would be %u)",
	         arg, t->text, (unsigned)(v & 0xffffffffu));
	return -1;
}

/* "in { V, V, ... }" from t[*i] (after in) into c. */
static int cond_set(struct pol_parser *ps, const struct pol_stmt *st, int *i, struct pol_cond *c,
                    const char *arg)
{
	const struct pol_tok *t = st->t;
	int n = st->n;
	if (*i >= n || !pol_tok_is(&t[*i], "{")) {
		pol_serr(ps, st, *i < n ? t[*i].col : t[n - 1].col, "expected { after in");
		return -1;
	}
	for (++*i;;) {
		if (*i >= n) {
			pol_serr(ps, st, t[n - 1].col, "expected a value or } in the set");
			return -1;
		}
		if (c->nset == POL_MAX_SET) {
			pol_serr(ps, st, t[*i].col, "at most %d values in a set", POL_MAX_SET);
			return -1;
		}
		if (value(ps, st, &t[*i], &c->set[c->nset]) < 0 ||
		    int_value_fits(ps, st, &t[*i], c, arg, c->set[c->nset]) < 0)
			return -1;
		c->nset++;
		++*i;
		if (*i < n && pol_tok_is(&t[*i], ",")) {
			++*i;
			continue;
		}
		if (*i < n && pol_tok_is(&t[*i], "}")) {
			++*i;
			return 0;
		}
		pol_serr(ps, st, *i < n ? t[*i].col : t[n - 1].col, "expected , or } in the set");
		return -1;
	}
}

/* "OP VALUE" or "in {...}" from t[*i], into c. */
static int cond_op(struct pol_parser *ps, const struct pol_stmt *st, int *i, struct pol_cond *c)
{
	static const struct {
		const char *word;
		enum pol_op op;
	} ops[] = {
	    {"==", P_EQ},         {"!=", P_NE},         {"<", P_LT},  {"<=", P_LE},
	    {">", P_GT},          {">=", P_GE},         {"in", P_IN}, {"has-any", P_ANY},
	    {"has-none", P_NONE}, {"within", P_WITHIN},
	};
	const struct pol_tok *t = st->t;
	const char *arg = t[*i - 1].text; /* the argument's name, just read */
	int k, n = st->n;
	if (*i >= n) {
		pol_serr(ps, st, t[*i - 1].col + (int)t[*i - 1].len,
		         "expected an operator (" OPERATORS ")");
		return -1;
	}
	for (k = 0; k < (int)(sizeof(ops) / sizeof(ops[0])); k++)
		if (pol_tok_is(&t[*i], ops[k].word))
			break;
	if (k == (int)(sizeof(ops) / sizeof(ops[0]))) {
		pol_serr(ps, st, t[*i].col, "expected an operator (" OPERATORS "), found \"%s\"",
		         t[*i].text);
		return -1;
	}
	c->op = ops[k].op;
	++*i;
	if (c->op == P_IN)
		return cond_set(ps, st, i, c, arg);
	if (*i >= n) {
		pol_serr(ps, st, t[*i - 1].col + (int)t[*i - 1].len, "expected a value after %s",
		         t[*i - 1].text);
		return -1;
	}
	if (value(ps, st, &t[*i], &c->val) < 0 ||
	    int_value_fits(ps, st, &t[*i], c, arg, c->val) < 0)
		return -1;
	++*i;
	return 0;
}

/* "COND [and COND]..." from t[i] (after if) into r; returns the index
 * after, -1 on error. */
static int conditions(struct pol_parser *ps, const struct pol_stmt *st, int i, struct pol_rule *r)
{
	const struct pol_tok *t = st->t;
	int n = st->n;
	for (;;) {
		struct pol_cond *c;
		int is32, a;
		if (i >= n) {
			pol_serr(ps, st, t[n - 1].col + (int)t[n - 1].len,
			         "expected an argument name after \"%s\"", t[n - 1].text);
			return -1;
		}
		if (r->ncond == POL_MAX_COND) {
			pol_serr(ps, st, t[i].col, "at most %d conditions in one rule",
			         POL_MAX_COND);
			return -1;
		}
		a = pol_arg(r->syscall, t[i].text, &is32);
		if (a < 0) {
			pol_serr(ps, st, t[i].col, "%s has no argument \"%s\" (its arguments: %s)",
			         r->syscall, t[i].text, pol_arg_names(r->syscall));
			return -1;
		}
		for (unsigned j = 0; j < r->ncond; j++)
			if (r->cond[j].arg == (unsigned)a) {
				pol_serr(
				    ps, st, t[i].col,
				    "a second condition on %s in one rule: libseccomp allows one per argument; use in, or write two rules",
				    t[i].text);
				return -1;
			}
		c = &r->cond[r->ncond];
		memset(c, 0, sizeof(*c));
		c->arg = (unsigned)a;
		c->is32 = is32;
		c->col = t[i].col;
		i++;
		if (cond_op(ps, st, &i, c) < 0)
			return -1;
		r->ncond++;
		if (i < n && pol_tok_is(&t[i], "and")) {
			i++;
			continue;
		}
		return i;
	}
}

static int push_rule(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_rule *r)
{
	struct pol_rule **arr;
	size_t *n, *cap;
	if (ps->open_group) {
		arr = &ps->open_group->rules;
		n = &ps->open_group->n;
		cap = &ps->open_group->cap;
	} else {
		arr = &ps->p->rules;
		n = &ps->p->nrules;
		cap = &ps->p->caprules;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct pol_rule *na = realloc(*arr, nc * sizeof(**arr));
		if (!na) {
			pol_serr(ps, st, st->t[0].col, "out of memory");
			return -1;
		}
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = *r;
	return 0;
}

/* "because "reason"" at t[i], the end of a rule or of a group's use,
 * into out (len bytes). */
static int because(struct pol_parser *ps, const struct pol_stmt *st, int i, char *out, size_t len)
{
	const struct pol_tok *t = st->t;
	if (!pol_tok_is(&t[i], "because")) {
		pol_serr(ps, st, t[i].col,
		         "expected if, and, because or the end of the line, found \"%s\"",
		         t[i].text);
		return -1;
	}
	if (i + 1 >= st->n || !t[i + 1].is_str) {
		pol_serr(ps, st, i + 1 < st->n ? t[i + 1].col : t[i].col + 7,
		         "expected a \"quoted reason\" after because");
		return -1;
	}
	if (i + 2 != st->n) {
		pol_serr(ps, st, t[i + 2].col, "expected the end of the line after the reason");
		return -1;
	}
	if (!t[i + 1].len) {
		pol_serr(ps, st, t[i + 1].col, "an empty reason explains nothing");
		return -1;
	}
	if (t[i + 1].len >= len) {
		pol_serr(ps, st, t[i + 1].col, "reason too long (at most %zu bytes)", len - 1);
		return -1;
	}
	memcpy(out, t[i + 1].text, t[i + 1].len + 1);
	return 0;
}

/* "ACTION @group [because "reason"]" from t[i]: the group's rules, each
 * with its own place; the action of the using line applies when it is
 * not allow. */
static int use_group(struct pol_parser *ps, const struct pol_stmt *st, int i,
                     enum filter_action act, int errnum)
{
	const struct pol_tok *t = st->t;
	const struct pol_group *g = pol_find_group(ps, t[i].text);
	char reason[sizeof(((struct pol_rule *)0)->reason)] = "";
	if (!g) {
		pol_serr(ps, st, t[i].col,
		         "unknown group %s (define it with group %s ... end before using it)",
		         t[i].text, t[i].text);
		return -1;
	}
	if (ps->open_group == g) {
		pol_serr(ps, st, t[i].col, "group %s uses itself", g->name);
		return -1;
	}
	i++;
	if (i < st->n && !pol_tok_is(&t[i], "because")) {
		pol_serr(ps, st, t[i].col,
		         "a group takes no conditions: expected because or the end of the line");
		return -1;
	}
	if (i < st->n && because(ps, st, i, reason, sizeof(reason)) < 0)
		return -1;
	for (size_t k = 0; k < g->n; k++) {
		struct pol_rule gr = g->rules[k];
		if (act != FA_ALLOW) {
			gr.act = act;
			gr.err = errnum;
		}
		if (reason[0])
			snprintf(gr.reason, sizeof(gr.reason), "%s", reason);
		if (!gr.group[0])
			snprintf(gr.group, sizeof(gr.group), "%s", g->name);
		if (push_rule(ps, st, &gr) < 0)
			return -1;
	}
	return 0;
}

int pol_dir_rule(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	enum filter_action act;
	int errnum, i;
	struct pol_rule r;
	if (pol_action(ps, st, t, st->n, &act, &errnum, &i) < 0)
		return -1;
	if (i >= st->n) {
		pol_serr(ps, st, t[i - 1].col + (int)t[i - 1].len,
		         "expected a syscall name or @group after %s", t[i - 1].text);
		return -1;
	}
	if (t[i].text[0] == '@')
		return use_group(ps, st, i, act, errnum);
	memset(&r, 0, sizeof(r));
	r.act = act;
	r.err = errnum;
	r.loc = (struct pol_loc){pol_intern(ps->p, st->file), st->line, t[i].col};
	if (t[i].len >= sizeof(r.syscall)) {
		pol_serr(ps, st, t[i].col, "syscall name too long");
		return -1;
	}
	memcpy(r.syscall, t[i].text, t[i].len + 1); /* length checked above */
	r.nr = seccomp_syscall_resolve_name(r.syscall);
	if (r.nr == __NR_SCMP_ERROR)
		r.nr = -1;
	i++;
	if (i < st->n && pol_tok_is(&t[i], "if")) {
		i = conditions(ps, st, i + 1, &r);
		if (i < 0)
			return -1;
	}
	if (i < st->n && because(ps, st, i, r.reason, sizeof(r.reason)) < 0)
		return -1;
	return push_rule(ps, st, &r);
}
