/* SPDX-License-Identifier: ISC */
/*
 * policy_directive.c - the table of directives: a line's first word names
 * one, and its function does the line.  The small directives live here
 * (version, group, end, default, unknown, user, rlimit, namespaces);
 * include beside the files (policy_parse.c), the seccomp rules in
 * policy_rule.c, path and beneath in policy_path.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "policy_parse.h"

#define D_TOP 1 /* not inside a group */

struct directive {
	const char *name;
	int (*fn)(struct pol_parser *ps, const struct pol_stmt *st);
	int flags;
};

/* version 1 */
static int dir_version(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	if (ps->have_version) {
		pol_serr(ps, st, t[0].col, "a second version line");
		return -1;
	}
	if (st->n != 2 || !pol_tok_is(&t[1], "1")) {
		pol_serr(ps, st, st->n > 1 ? t[1].col : t[0].col + 7,
		         "expected \"version 1\" (the only version there is)");
		return -1;
	}
	ps->have_version = 1;
	return 0;
}

/* group @name: the rules up to end are the group's */
static int dir_group(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	struct pol_group *g;
	if (ps->open_group) {
		pol_serr(ps, st, t[0].col, "group inside group %s: expected end first",
		         ps->open_group->name);
		return -1;
	}
	if (st->n != 2 || t[1].text[0] != '@' || !t[1].text[1]) {
		pol_serr(ps, st, st->n > 1 ? t[1].col : t[0].col + 6,
		         "expected a group name like @stdio after group");
		return -1;
	}
	if (t[1].len >= sizeof(g->name)) {
		pol_serr(ps, st, t[1].col, "group name too long");
		return -1;
	}
	if ((g = pol_find_group(ps, t[1].text))) {
		pol_serr(ps, st, t[1].col, "group %s is already defined at %s:%d", t[1].text,
		         g->loc.file, g->loc.line);
		return -1;
	}
	if (ps->ngroups == ps->capgroups) {
		size_t nc = ps->capgroups ? ps->capgroups * 2 : 16;
		struct pol_group *ng = realloc(ps->groups, nc * sizeof(*ng));
		if (!ng) {
			pol_serr(ps, st, t[0].col, "out of memory");
			return -1;
		}
		ps->groups = ng;
		ps->capgroups = nc;
	}
	g = &ps->groups[ps->ngroups++];
	memset(g, 0, sizeof(*g));
	memcpy(g->name, t[1].text, t[1].len + 1); /* length checked above */
	g->loc = (struct pol_loc){pol_intern(ps->p, st->file), st->line, t[1].col};
	ps->open_group = g;
	return 0;
}

/* end: of the open group */
static int dir_end(struct pol_parser *ps, const struct pol_stmt *st)
{
	if (!ps->open_group) {
		pol_serr(ps, st, st->t[0].col, "end without group");
		return -1;
	}
	if (st->n != 1) {
		pol_serr(ps, st, st->t[1].col, "expected nothing after end");
		return -1;
	}
	ps->open_group = NULL;
	return 0;
}

/* default ACTION | unknown kill|errno NAME */
static int dir_default(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	const char *w = t[0].text;
	int is_default = w[0] == 'd', errnum, i;
	enum filter_action act;
	struct policy *p = ps->p;
	if (st->n < 2 || pol_action(ps, st, t + 1, st->n - 1, &act, &errnum, &i) <= 0) {
		/* an errno without its name was reported; another word only
		 * when the policy has no error yet */
		if (ps->errors == 0 || st->n < 2)
			pol_serr(
			    ps, st, st->n > 1 ? t[1].col : t[0].col + (int)t[0].len + 1,
			    "expected an action after %s: kill, trap, log, allow or errno NAME", w);
		return -1;
	}
	if (st->n != 1 + i) {
		pol_serr(ps, st, t[1 + i].col, "expected nothing after the action");
		return -1;
	}
	if (!is_default && act != FA_KILL && act != FA_ERRNO) {
		pol_serr(ps, st, t[1].col, "unknown takes kill or errno NAME");
		return -1;
	}
	struct pol_loc loc = {pol_intern(p, st->file), st->line, t[0].col};
	if (is_default) {
		p->def_act = act;
		p->def_err = errnum;
		p->def_loc = loc;
		ps->have_default = 1;
	} else {
		p->have_unknown = 1;
		p->unknown_act = act;
		p->unknown_err = errnum;
		p->unknown_loc = loc;
	}
	return 0;
}

/* user NAME|UID */
static int dir_user(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	if (st->n != 2) {
		pol_serr(ps, st, st->n > 2 ? t[2].col : t[0].col + 5,
		         "expected one user name or uid");
		return -1;
	}
	if (t[1].len >= sizeof(ps->p->user)) {
		pol_serr(ps, st, t[1].col, "user name too long");
		return -1;
	}
	memcpy(ps->p->user, t[1].text, t[1].len + 1);
	return 0;
}

/* rlimit nofile|nproc|fsize|as NUMBER|unlimited */
static int dir_rlimit(struct pol_parser *ps, const struct pol_stmt *st)
{
	static const char *const names[] = {"nofile", "nproc", "fsize", "as"};
	const struct pol_tok *t = st->t;
	struct policy *p = ps->p;
	int k;
	if (st->n != 3) {
		pol_serr(
		    ps, st, st->n > 3 ? t[3].col : t[0].col + 7,
		    "expected rlimit NAME VALUE (nofile, nproc, fsize, as; a number or unlimited)");
		return -1;
	}
	for (k = 0; k < POL_RL_COUNT && !pol_tok_is(&t[1], names[k]); k++)
		;
	if (k == POL_RL_COUNT) {
		pol_serr(ps, st, t[1].col, "unknown limit \"%s\" (nofile, nproc, fsize, as)",
		         t[1].text);
		return -1;
	}
	if (pol_tok_is(&t[2], "unlimited")) {
		p->rlimit[k] = ~0ul;
	} else {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(t[2].text, &end, 0);
		if (*end || errno || t[2].text[0] == '-' || !t[2].text[0] || v >= ~0ull) {
			pol_serr(ps, st, t[2].col, "expected a number or unlimited, found \"%s\"",
			         t[2].text);
			return -1;
		}
		p->rlimit[k] = (unsigned long)v;
	}
	p->have_rlimit[k] = 1;
	return 0;
}

/* namespaces on|off */
static int dir_namespaces(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *t = st->t;
	if (st->n != 2 || (!pol_tok_is(&t[1], "on") && !pol_tok_is(&t[1], "off"))) {
		pol_serr(ps, st, st->n > 1 ? t[1].col : t[0].col + 11,
		         "expected namespaces on|off");
		return -1;
	}
	ps->p->namespaces = t[1].text[1] == 'n';
	return 0;
}

static const struct directive directives[] = {
    {"version", dir_version, 0},       {"include", NULL, D_TOP}, /* read by the parser:
                                                                    POL_STMT_INCLUDE */
    {"group", dir_group, 0},           {"end", dir_end, 0},        {"default", dir_default, D_TOP},
    {"unknown", dir_default, D_TOP},   {"user", dir_user, 0},      {"rlimit", dir_rlimit, 0},
    {"namespaces", dir_namespaces, 0}, {"path", pol_dir_path, 0},  {"beneath", pol_dir_path, 0},
    {"allow", pol_dir_rule, 0},        {"errno", pol_dir_rule, 0}, {"kill", pol_dir_rule, 0},
    {"trap", pol_dir_rule, 0},         {"log", pol_dir_rule, 0},
};

int pol_statement(struct pol_parser *ps, const struct pol_stmt *st)
{
	const struct pol_tok *w = &st->t[0];
	size_t i;
	if (!ps->have_version && !pol_tok_is(w, "version")) {
		pol_serr(ps, st, w->col, "expected \"version 1\" first, found \"%s\"", w->text);
		return -1;
	}
	for (i = 0; i < sizeof(directives) / sizeof(directives[0]); i++)
		if (pol_tok_is(w, directives[i].name))
			break;
	if (i == sizeof(directives) / sizeof(directives[0])) {
		pol_serr(
		    ps, st, w->col,
		    "expected a rule (allow, errno NAME, kill, trap, log) or a directive (version, include, group, end, default, unknown, user, rlimit, namespaces, path, beneath), found \"%s\"",
		    w->text);
		return -1;
	}
	if ((directives[i].flags & D_TOP) && ps->open_group) {
		pol_serr(ps, st, w->col, "%s inside a group", w->text);
		return -1;
	}
	return directives[i].fn ? directives[i].fn(ps, st) : POL_STMT_INCLUDE;
}
