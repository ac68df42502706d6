/*
 * policy_parse.c - reading a policy file: lines, tokens, statements,
 * includes and groups.  Every error names file:line:column and what was
 * expected, one line each.
 */
#include <errno.h>
#include <limits.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "policy.h"

#define TOK_MAX 64

struct tok {
	char text[4096];
	int col;
	int is_str; /* a "quoted string" */
};

struct group {
	char name[32];
	struct pol_rule *rules;
	size_t n, cap;
	struct pol_loc loc;
};

struct parser {
	struct policy *p;
	pol_diag_fn diag;
	void *arg;
	int errors;
	struct group *groups;
	size_t ngroups, capgroups;
	struct group *open_group; /* between "group" and "end" */
	int depth;
	const char *stack[POL_MAX_INCLUDE_DEPTH + 1]; /* files being read */
	int have_version, have_default;
	const char *done[64]; /* files read to the end */
	size_t ndone;
};

static void err(struct parser *ps, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void err(struct parser *ps, const char *file, int line, int col, const char *fmt, ...)
{
	char msg[1024], full[1200];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", file, line, col, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	ps->errors++;
	if (ps->diag)
		ps->diag(full, ps->arg);
}

static const char *intern(struct policy *p, const char *name)
{
	for (size_t i = 0; i < p->nnames; i++)
		if (!strcmp(p->names[i], name))
			return p->names[i];
	char **n = realloc(p->names, (p->nnames + 1) * sizeof(*n));
	if (!n)
		return NULL;
	p->names = n;
	p->names[p->nnames] = strdup(name);
	return p->names[p->nnames] ? p->names[p->nnames++] : NULL;
}

/* Split one line into tokens.  Returns the count, or -1 after reporting. */
static int tokenize(struct parser *ps, const char *file, int line, const char *s, struct tok *t)
{
	int n = 0;
	const char *start = s;
	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '\r') {
			s++;
			continue;
		}
		if (*s == '#')
			break;
		if (n == TOK_MAX) {
			err(ps, file, line, (int)(s - start) + 1,
			    "too many words on one line (at most %d)", TOK_MAX);
			return -1;
		}
		t[n].col = (int)(s - start) + 1;
		t[n].is_str = 0;
		if (*s == '"') {
			size_t k = 0;
			s++;
			while (*s && *s != '"') {
				char c = *s++;
				if (c == '\\') {
					if (*s != '"' && *s != '\\') {
						err(ps, file, line, (int)(s - start),
						    "unknown escape \\%c in a string",
						    *s ? *s : ' ');
						return -1;
					}
					c = *s++;
				}
				if ((unsigned char)c < 0x20) {
					err(ps, file, line, (int)(s - start),
					    "control character in a string");
					return -1;
				}
				if (k + 1 >= sizeof(t[n].text)) {
					err(ps, file, line, t[n].col, "string too long");
					return -1;
				}
				t[n].text[k++] = c;
			}
			if (*s != '"') {
				err(ps, file, line, t[n].col,
				    "unterminated string: expected a closing \"");
				return -1;
			}
			s++;
			t[n].text[k] = '\0';
			t[n].is_str = 1;
		} else if (*s == '{' || *s == '}' || *s == ',') {
			t[n].text[0] = *s++;
			t[n].text[1] = '\0';
		} else {
			size_t k = strcspn(s, " \t\r#\"{},");
			if (k >= sizeof(t[n].text)) {
				err(ps, file, line, t[n].col, "word too long");
				return -1;
			}
			memcpy(t[n].text, s, k);
			t[n].text[k] = '\0';
			s += k;
		}
		n++;
	}
	return n;
}

/* A value: number, constant, or A|B|C.  0 or -1 after reporting. */
static int value(struct parser *ps, const char *file, int line, const struct tok *t, uint64_t *v)
{
	char buf[4096];
	char *save = NULL, *part;
	uint64_t acc = 0;
	snprintf(buf, sizeof(buf), "%s", t->text);
	if (!buf[0] || buf[0] == '|' || buf[strlen(buf) - 1] == '|') {
		err(ps, file, line, t->col,
		    "expected a value (a number, a constant or A|B), found \"%s\"", t->text);
		return -1;
	}
	for (part = strtok_r(buf, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		int64_t c;
		char *end;
		int neg = part[0] == '-';
		if ((part[0] >= '0' && part[0] <= '9') ||
		    (neg && part[1] >= '0' && part[1] <= '9')) {
			errno = 0;
			unsigned long long x = strtoull(part + neg, &end, 0);
			if (*end || errno) {
				err(ps, file, line, t->col, "not a number: \"%s\"", part);
				return -1;
			}
			acc |= neg ? (uint64_t)(-(int64_t)x) : (uint64_t)x;
		} else if (pol_const(part, &c) == 0) {
			acc |= (uint64_t)c;
		} else {
			err(ps, file, line, t->col, "unknown constant \"%s\"", part);
			return -1;
		}
	}
	*v = acc;
	return 0;
}

static const struct {
	const char *word;
	enum pol_op op;
} ops[] = {
    {"==", P_EQ}, {"!=", P_NE}, {"<", P_LT},        {"<=", P_LE},         {">", P_GT},
    {">=", P_GE}, {"in", P_IN}, {"has-any", P_ANY}, {"has-none", P_NONE}, {"within", P_WITHIN},
};

/* "if COND [and COND]..." from t[i]; returns the index after, -1 on error. */
static int conditions(struct parser *ps, const char *file, int line, struct tok *t, int n, int i,
                      struct pol_rule *r)
{
	for (;;) {
		struct pol_cond *c;
		int is32, a, k;
		if (i >= n) {
			err(ps, file, line, t[n - 1].col + (int)strlen(t[n - 1].text),
			    "expected an argument name after \"%s\"", t[n - 1].text);
			return -1;
		}
		if (r->ncond == POL_MAX_COND) {
			err(ps, file, line, t[i].col, "at most %d conditions in one rule",
			    POL_MAX_COND);
			return -1;
		}
		a = pol_arg(r->syscall, t[i].text, &is32);
		if (a < 0) {
			err(ps, file, line, t[i].col,
			    "%s has no argument \"%s\" (its arguments: %s)", r->syscall, t[i].text,
			    pol_arg_names(r->syscall));
			return -1;
		}
		for (unsigned j = 0; j < r->ncond; j++)
			if (r->cond[j].arg == (unsigned)a) {
				err(ps, file, line, t[i].col,
				    "a second condition on %s in one rule: libseccomp allows one "
				    "per "
				    "argument; use in, or write two rules",
				    t[i].text);
				return -1;
			}
		c = &r->cond[r->ncond];
		memset(c, 0, sizeof(*c));
		c->arg = (unsigned)a;
		c->is32 = is32;
		c->col = t[i].col;
		i++;
		if (i >= n) {
			err(ps, file, line, t[i - 1].col + (int)strlen(t[i - 1].text),
			    "expected an operator (==, !=, <, <=, >, >=, in, has-any, has-none, "
			    "within)");
			return -1;
		}
		for (k = 0; k < (int)(sizeof(ops) / sizeof(ops[0])); k++)
			if (!strcmp(ops[k].word, t[i].text))
				break;
		if (k == (int)(sizeof(ops) / sizeof(ops[0]))) {
			err(ps, file, line, t[i].col,
			    "expected an operator (==, !=, <, <=, >, >=, in, has-any, has-none, "
			    "within), "
			    "found \"%s\"",
			    t[i].text);
			return -1;
		}
		c->op = ops[k].op;
		i++;
		if (c->op == P_IN) {
			if (i >= n || strcmp(t[i].text, "{") != 0) {
				err(ps, file, line, i < n ? t[i].col : t[n - 1].col,
				    "expected { after in");
				return -1;
			}
			i++;
			for (;;) {
				if (i >= n) {
					err(ps, file, line, t[n - 1].col,
					    "expected a value or } in the set");
					return -1;
				}
				if (c->nset == POL_MAX_SET) {
					err(ps, file, line, t[i].col, "at most %d values in a set",
					    POL_MAX_SET);
					return -1;
				}
				if (value(ps, file, line, &t[i], &c->set[c->nset]) < 0)
					return -1;
				c->nset++;
				i++;
				if (i < n && !strcmp(t[i].text, ",")) {
					i++;
					continue;
				}
				if (i < n && !strcmp(t[i].text, "}")) {
					i++;
					break;
				}
				err(ps, file, line, i < n ? t[i].col : t[n - 1].col,
				    "expected , or } in the set");
				return -1;
			}
		} else {
			if (i >= n) {
				err(ps, file, line, t[i - 1].col + (int)strlen(t[i - 1].text),
				    "expected a value after %s", t[i - 1].text);
				return -1;
			}
			if (value(ps, file, line, &t[i], &c->val) < 0)
				return -1;
			i++;
		}
		r->ncond++;
		if (i < n && !strcmp(t[i].text, "and")) {
			i++;
			continue;
		}
		return i;
	}
}

static int push_rule(struct parser *ps, const struct pol_rule *r)
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
		if (!na)
			return -1;
		*arr = na;
		*cap = nc;
	}
	(*arr)[(*n)++] = *r;
	return 0;
}

static struct group *find_group(struct parser *ps, const char *name)
{
	for (size_t i = 0; i < ps->ngroups; i++)
		if (!strcmp(ps->groups[i].name, name))
			return &ps->groups[i];
	return NULL;
}

/* An action word: returns 1 and the index after it, 0 if not an action. */
static int action(struct parser *ps, const char *file, int line, struct tok *t, int n,
                  enum filter_action *act, int *errnum, int *next)
{
	const char *w = t[0].text;
	*errnum = 0;
	*next = 1;
	if (!strcmp(w, "allow"))
		*act = FA_ALLOW;
	else if (!strcmp(w, "kill"))
		*act = FA_KILL;
	else if (!strcmp(w, "trap"))
		*act = FA_TRAP;
	else if (!strcmp(w, "log"))
		*act = FA_LOG;
	else if (!strcmp(w, "errno")) {
		*act = FA_ERRNO;
		if (n < 2) {
			err(ps, file, line, t[0].col + 5,
			    "expected an errno name (EPERM, ENOSYS, ...)");
			return -1;
		}
		*errnum = pol_errno(t[1].text);
		if (*errnum < 0) {
			err(ps, file, line, t[1].col, "unknown errno name \"%s\"", t[1].text);
			return -1;
		}
		*next = 2;
	} else
		return 0;
	return 1;
}

static int parse_file(struct parser *ps, const char *path, const char *text, int line0);

static int statement(struct parser *ps, const char *file, int line, struct tok *t, int n,
                     const char *dir)
{
	struct policy *p = ps->p;
	enum filter_action act;
	int errnum, i, a;
	const char *w = t[0].text;

	if (!ps->have_version && strcmp(w, "version") != 0) {
		err(ps, file, line, t[0].col, "expected \"version 1\" first, found \"%s\"", w);
		return -1;
	}
	if (!strcmp(w, "version")) {
		if (ps->have_version) {
			err(ps, file, line, t[0].col, "a second version line");
			return -1;
		}
		if (n != 2 || strcmp(t[1].text, "1") != 0) {
			err(ps, file, line, n > 1 ? t[1].col : t[0].col + 7,
			    "expected \"version 1\" (the only version there is)");
			return -1;
		}
		ps->have_version = 1;
		return 0;
	}
	if (!strcmp(w, "include")) {
		char full[PATH_MAX];
		const char *ship;
		if (ps->open_group) {
			err(ps, file, line, t[0].col, "include inside a group");
			return -1;
		}
		if (n != 2) {
			err(ps, file, line, n > 2 ? t[2].col : t[0].col + 8,
			    "expected one file after include: \"path\" or <shipped.policy>");
			return -1;
		}
		if (t[1].is_str) {
			if (t[1].text[0] == '/')
				snprintf(full, sizeof(full), "%s", t[1].text);
			else
				snprintf(full, sizeof(full), "%s%s", dir, t[1].text);
			ship = NULL;
		} else if (t[1].text[0] == '<' && t[1].text[strlen(t[1].text) - 1] == '>' &&
		           strlen(t[1].text) > 2) {
			snprintf(full, sizeof(full), "<%.*s>", (int)strlen(t[1].text) - 2,
			         t[1].text + 1);
			char nm[256];
			snprintf(nm, sizeof(nm), "%.*s", (int)strlen(t[1].text) - 2, t[1].text + 1);
			ship = policy_shipped(nm);
			if (!ship) {
				err(ps, file, line, t[1].col, "no shipped policy called %s",
				    t[1].text);
				return -1;
			}
		} else {
			err(ps, file, line, t[1].col,
			    "expected \"path\" (relative to this file) or <shipped.policy>, found "
			    "%s",
			    t[1].text);
			return -1;
		}
		if (ps->depth >= POL_MAX_INCLUDE_DEPTH) {
			err(ps, file, line, t[1].col, "includes nested deeper than %d",
			    POL_MAX_INCLUDE_DEPTH);
			return -1;
		}
		for (int k = 0; k <= ps->depth; k++)
			if (ps->stack[k] && !strcmp(ps->stack[k], full)) {
				err(ps, file, line, t[1].col, "include cycle: %s includes itself",
				    full);
				return -1;
			}
		/* a file already read is not read again (its groups exist) */
		for (size_t k = 0; k < ps->ndone; k++)
			if (!strcmp(ps->done[k], full))
				return 0;
		ps->depth++;
		int saved = ps->have_version;
		ps->have_version = 0; /* each file starts with its own version line */
		int rc = parse_file(ps, full, ship, line);
		ps->have_version = saved;
		ps->depth--;
		return rc;
	}
	if (!strcmp(w, "group")) {
		struct group *g;
		if (ps->open_group) {
			err(ps, file, line, t[0].col, "group inside group %s: expected end first",
			    ps->open_group->name);
			return -1;
		}
		if (n != 2 || t[1].text[0] != '@' || !t[1].text[1]) {
			err(ps, file, line, n > 1 ? t[1].col : t[0].col + 6,
			    "expected a group name like @stdio after group");
			return -1;
		}
		if (strlen(t[1].text) >= sizeof(g->name)) {
			err(ps, file, line, t[1].col, "group name too long");
			return -1;
		}
		if ((g = find_group(ps, t[1].text))) {
			err(ps, file, line, t[1].col, "group %s is already defined at %s:%d",
			    t[1].text, g->loc.file, g->loc.line);
			return -1;
		}
		if (ps->ngroups == ps->capgroups) {
			size_t nc = ps->capgroups ? ps->capgroups * 2 : 16;
			struct group *ng = realloc(ps->groups, nc * sizeof(*ng));
			if (!ng)
				return -1;
			ps->groups = ng;
			ps->capgroups = nc;
		}
		g = &ps->groups[ps->ngroups++];
		memset(g, 0, sizeof(*g));
		memcpy(g->name, t[1].text, strlen(t[1].text) + 1); /* length checked above */
		g->loc = (struct pol_loc){intern(p, file), line, t[1].col};
		ps->open_group = g;
		return 0;
	}
	if (!strcmp(w, "end")) {
		if (!ps->open_group) {
			err(ps, file, line, t[0].col, "end without group");
			return -1;
		}
		if (n != 1) {
			err(ps, file, line, t[1].col, "expected nothing after end");
			return -1;
		}
		ps->open_group = NULL;
		return 0;
	}
	if (!strcmp(w, "default") || !strcmp(w, "unknown")) {
		int is_default = w[0] == 'd';
		if (ps->open_group) {
			err(ps, file, line, t[0].col, "%s inside a group", w);
			return -1;
		}
		if (n < 2 || action(ps, file, line, t + 1, n - 1, &act, &errnum, &i) <= 0) {
			if (ps->errors == 0 || n < 2)
				err(ps, file, line,
				    n > 1 ? t[1].col : t[0].col + (int)strlen(w) + 1,
				    "expected an action after %s: kill, trap, log, allow or errno "
				    "NAME",
				    w);
			return -1;
		}
		if (n != 1 + i) {
			err(ps, file, line, t[1 + i].col, "expected nothing after the action");
			return -1;
		}
		if (!is_default && act != FA_KILL && act != FA_ERRNO) {
			err(ps, file, line, t[1].col, "unknown takes kill or errno NAME");
			return -1;
		}
		if (is_default) {
			p->def_act = act;
			p->def_err = errnum;
			p->def_loc = (struct pol_loc){intern(p, file), line, t[0].col};
			ps->have_default = 1;
		} else {
			p->have_unknown = 1;
			p->unknown_act = act;
			p->unknown_err = errnum;
			p->unknown_loc = (struct pol_loc){intern(p, file), line, t[0].col};
		}
		return 0;
	}
	if (!strcmp(w, "user")) {
		if (n != 2) {
			err(ps, file, line, n > 2 ? t[2].col : t[0].col + 5,
			    "expected one user name or uid");
			return -1;
		}
		if (strlen(t[1].text) >= sizeof(p->user)) {
			err(ps, file, line, t[1].col, "user name too long");
			return -1;
		}
		memcpy(p->user, t[1].text, strlen(t[1].text) + 1);
		return 0;
	}
	if (!strcmp(w, "rlimit")) {
		static const char *const names[] = {"nofile", "nproc", "fsize", "as"};
		int k;
		if (n != 3) {
			err(ps, file, line, n > 3 ? t[3].col : t[0].col + 7,
			    "expected rlimit NAME VALUE (nofile, nproc, fsize, as; a number or "
			    "unlimited)");
			return -1;
		}
		for (k = 0; k < POL_RL_COUNT && strcmp(names[k], t[1].text); k++)
			;
		if (k == POL_RL_COUNT) {
			err(ps, file, line, t[1].col,
			    "unknown limit \"%s\" (nofile, nproc, fsize, as)", t[1].text);
			return -1;
		}
		if (!strcmp(t[2].text, "unlimited")) {
			p->rlimit[k] = ~0ul;
		} else {
			char *end;
			errno = 0;
			unsigned long long v = strtoull(t[2].text, &end, 0);
			if (*end || errno || t[2].text[0] == '-' || !t[2].text[0] || v >= ~0ull) {
				err(ps, file, line, t[2].col,
				    "expected a number or unlimited, found \"%s\"", t[2].text);
				return -1;
			}
			p->rlimit[k] = (unsigned long)v;
		}
		p->have_rlimit[k] = 1;
		return 0;
	}
	if (!strcmp(w, "namespaces")) {
		if (n != 2 || (strcmp(t[1].text, "on") && strcmp(t[1].text, "off"))) {
			err(ps, file, line, n > 1 ? t[1].col : t[0].col + 11,
			    "expected namespaces on|off");
			return -1;
		}
		p->namespaces = t[1].text[1] == 'n';
		return 0;
	}
	if (!strcmp(w, "path") || !strcmp(w, "beneath")) {
		static const struct {
			const char *n;
			unsigned r;
		} rights[] = {{"read", POL_R_READ},         {"write", POL_R_WRITE},
		              {"append", POL_R_APPEND},     {"create", POL_R_CREATE},
		              {"truncate", POL_R_TRUNCATE}, {"stat", POL_R_STAT},
		              {"readlink", POL_R_READLINK}};
		struct pol_file f;
		memset(&f, 0, sizeof(f));
		f.beneath = w[0] == 'b';
		f.mode = 0600;
		if (n < 4 || !t[1].is_str || strcmp(t[2].text, "allow") != 0) {
			err(ps, file, line, n > 1 ? t[1].col : t[0].col,
			    "expected %s \"/absolute/path\" allow RIGHTS[,RIGHTS] [mode OCTAL] "
			    "[symlinks] [special] [directory] [fs NAME]...",
			    w);
			return -1;
		}
		if (t[1].text[0] != '/') {
			err(ps, file, line, t[1].col, "the path must be absolute");
			return -1;
		}
		{
			const char *x = t[1].text;
			size_t l = strlen(x);
			if (strstr(x, "//") || strstr(x, "/./") || strstr(x, "/../") ||
			    (l > 1 && x[l - 1] == '/') || (l >= 2 && !strcmp(x + l - 2, "/.")) ||
			    (l >= 3 && !strcmp(x + l - 3, "/.."))) {
				err(ps, file, line, t[1].col,
				    "the path must be normal: no //, no . or .. component, no "
				    "trailing /");
				return -1;
			}
		}
		snprintf(f.path, sizeof(f.path), "%s", t[1].text);
		i = 3;
		for (;;) {
			int k;
			for (k = 0; k < (int)(sizeof(rights) / sizeof(rights[0])); k++)
				if (!strcmp(rights[k].n, t[i].text))
					break;
			if (k == (int)(sizeof(rights) / sizeof(rights[0]))) {
				err(ps, file, line, t[i].col,
				    "unknown right \"%s\" (read, write, append, create, truncate, "
				    "stat, "
				    "readlink)",
				    t[i].text);
				return -1;
			}
			f.rights |= rights[k].r;
			i++;
			if (i < n && !strcmp(t[i].text, ",")) {
				i++;
				if (i >= n) {
					err(ps, file, line, t[i - 1].col,
					    "expected a right after ,");
					return -1;
				}
				continue;
			}
			break;
		}
		while (i < n) {
			if (!strcmp(t[i].text, "mode") && i + 1 < n) {
				char *end;
				unsigned long m = strtoul(t[i + 1].text, &end, 8);
				if (*end || m > 07777) {
					err(ps, file, line, t[i + 1].col,
					    "expected an octal mode like 0640");
					return -1;
				}
				f.mode = (unsigned)m;
				i += 2;
			} else if (!strcmp(t[i].text, "symlinks")) {
				f.symlinks = 1;
				i++;
			} else if (!strcmp(t[i].text, "special")) {
				f.special = 1;
				i++;
			} else if (!strcmp(t[i].text, "directory")) {
				f.directory = 1;
				i++;
			} else if (!strcmp(t[i].text, "fs") && i + 1 < n) {
				unsigned b = pol_pseudofs_bit(t[i + 1].text);
				if (!b) {
					char names[512];
					size_t o = 0;
					for (unsigned k = 0; k < POL_FS_COUNT && o < sizeof(names);
					     k++)
						o += (size_t)snprintf(names + o, sizeof(names) - o,
						                      "%s%s", k ? ", " : "",
						                      pol_pseudofs_name(k));
					err(ps, file, line, t[i + 1].col,
					    "\"%s\" is not a pseudo filesystem the broker knows "
					    "(%s)",
					    t[i + 1].text, names);
					return -1;
				}
				f.fs |= b;
				i += 2;
			} else {
				err(ps, file, line, t[i].col,
				    "expected mode OCTAL, symlinks, special, directory or fs NAME, "
				    "found \"%s\"",
				    t[i].text);
				return -1;
			}
		}
		f.loc = (struct pol_loc){intern(p, file), line, t[0].col};
		if (p->nfiles == p->capfiles) {
			size_t nc = p->capfiles ? p->capfiles * 2 : 8;
			struct pol_file *nf = realloc(p->files, nc * sizeof(*nf));
			if (!nf)
				return -1;
			p->files = nf;
			p->capfiles = nc;
		}
		p->files[p->nfiles++] = f;
		return 0;
	}

	/* a rule */
	a = action(ps, file, line, t, n, &act, &errnum, &i);
	if (a < 0)
		return -1;
	if (a == 0) {
		err(ps, file, line, t[0].col,
		    "expected a rule (allow, errno NAME, kill, trap, log) or a directive (version, "
		    "include, group, end, default, unknown, user, rlimit, namespaces, path, "
		    "beneath), "
		    "found \"%s\"",
		    w);
		return -1;
	}
	if (i >= n) {
		err(ps, file, line, t[i - 1].col + (int)strlen(t[i - 1].text),
		    "expected a syscall name or @group after %s", t[i - 1].text);
		return -1;
	}
	struct pol_rule r;
	memset(&r, 0, sizeof(r));
	r.act = act;
	r.err = errnum;
	r.loc = (struct pol_loc){intern(p, file), line, t[i].col};
	if (t[i].text[0] == '@') {
		struct group *g = find_group(ps, t[i].text);
		int at = i;
		if (!g) {
			err(ps, file, line, t[i].col,
			    "unknown group %s (define it with group %s ... end "
			    "before using it)",
			    t[i].text, t[i].text);
			return -1;
		}
		if (ps->open_group == g) {
			err(ps, file, line, t[i].col, "group %s uses itself", g->name);
			return -1;
		}
		i++;
		if (i < n && strcmp(t[i].text, "because") != 0) {
			err(ps, file, line, t[i].col,
			    "a group takes no conditions: expected because or the end of the line");
			return -1;
		}
		char reason[256] = "";
		if (i < n) {
			if (i + 2 != n || !t[i + 1].is_str) {
				err(ps, file, line, t[i].col,
				    "expected because \"reason\" at the end");
				return -1;
			}
			if (strlen(t[i + 1].text) >= sizeof(reason)) {
				err(ps, file, line, t[i + 1].col, "reason too long");
				return -1;
			}
			memcpy(reason, t[i + 1].text, strlen(t[i + 1].text) + 1);
		}
		/* the group's rules, each with its own place; the action of
		 * the using line applies when it is not allow */
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
			(void)at;
			if (push_rule(ps, &gr) < 0)
				return -1;
		}
		return 0;
	}
	if (strlen(t[i].text) >= sizeof(r.syscall)) {
		err(ps, file, line, t[i].col, "syscall name too long");
		return -1;
	}
	memcpy(r.syscall, t[i].text, strlen(t[i].text) + 1); /* length checked above */
	r.nr = seccomp_syscall_resolve_name(r.syscall);
	if (r.nr == __NR_SCMP_ERROR)
		r.nr = -1;
	i++;
	if (i < n && !strcmp(t[i].text, "if")) {
		i = conditions(ps, file, line, t, n, i + 1, &r);
		if (i < 0)
			return -1;
	}
	if (i < n) {
		if (strcmp(t[i].text, "because") != 0) {
			err(ps, file, line, t[i].col,
			    "expected if, and, because or the end of the line, "
			    "found \"%s\"",
			    t[i].text);
			return -1;
		}
		if (i + 1 >= n || !t[i + 1].is_str) {
			err(ps, file, line, i + 1 < n ? t[i + 1].col : t[i].col + 7,
			    "expected a \"quoted reason\" after because");
			return -1;
		}
		if (i + 2 != n) {
			err(ps, file, line, t[i + 2].col,
			    "expected the end of the line after the reason");
			return -1;
		}
		if (!t[i + 1].text[0]) {
			err(ps, file, line, t[i + 1].col, "an empty reason explains nothing");
			return -1;
		}
		if (strlen(t[i + 1].text) >= sizeof(r.reason)) {
			err(ps, file, line, t[i + 1].col, "reason too long (at most %zu bytes)",
			    sizeof(r.reason) - 1);
			return -1;
		}
		memcpy(r.reason, t[i + 1].text, strlen(t[i + 1].text) + 1);
	}
	return push_rule(ps, &r);
}

static int parse_file(struct parser *ps, const char *path, const char *text, int line0)
{
	char *buf = NULL, dir[PATH_MAX];
	const char *name;
	int line = 0, rc = 0;
	(void)line0;

	name = intern(ps->p, path);
	if (!name)
		return -1;
	ps->stack[ps->depth] = name;
	if (!text) {
		FILE *f = fopen(path, "re");
		size_t cap = 0, len = 0;
		struct stat st;
		if (!f) {
			err(ps, path, 0, 0, "cannot open: %s", strerror(errno));
			return -1;
		}
		if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
			fclose(f);
			err(ps, path, 0, 0, "not a regular file");
			return -1;
		}
		for (;;) {
			if (len + 4096 + 1 > cap) {
				char *nb = realloc(buf, cap = cap ? cap * 2 : 8192);
				if (!nb || cap > (1u << 24)) {
					free(nb ? nb : buf);
					fclose(f);
					err(ps, path, 0, 0, "too large (16 MiB at most)");
					return -1;
				}
				buf = nb;
			}
			size_t k = fread(buf + len, 1, 4096, f);
			len += k;
			if (k < 4096)
				break;
		}
		fclose(f);
		buf[len] = '\0';
		if (memchr(buf, '\0', len)) {
			free(buf);
			err(ps, path, 0, 0, "contains a NUL byte: not a policy file");
			return -1;
		}
		text = buf;
	}
	{
		const char *slash = strrchr(path, '/');
		if (slash && path[0] != '<')
			snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path + 1), path);
		else
			dir[0] = '\0';
	}
	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		char l[8192];
		struct tok t[TOK_MAX];
		int n;
		line++;
		if (len >= sizeof(l)) {
			err(ps, name, line, 1, "line too long (at most %zu bytes)", sizeof(l) - 1);
			rc = -1;
		} else {
			memcpy(l, s, len);
			l[len] = '\0';
			n = tokenize(ps, name, line, l, t);
			if (n < 0)
				rc = -1;
			else if (n > 0 && statement(ps, name, line, t, n, dir) < 0)
				rc = -1;
		}
		s += len + (nl ? 1 : 0);
	}
	if (ps->open_group && ps->depth == 0) {
		err(ps, name, line, 1, "group %s is not closed: expected end",
		    ps->open_group->name);
		rc = -1;
	}
	if (ps->ndone < sizeof(ps->done) / sizeof(ps->done[0]))
		ps->done[ps->ndone++] = name;
	if (!ps->have_version && rc == 0) {
		err(ps, name, line > 0 ? line : 1, 1, "expected \"version 1\": the file is empty");
		rc = -1;
	}
	free(buf);
	return rc;
}

struct policy *policy_load(const char *path, const char *text, pol_diag_fn diag, void *arg)
{
	struct parser ps;
	struct policy *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memset(&ps, 0, sizeof(ps));
	ps.p = p;
	ps.diag = diag;
	ps.arg = arg;
	p->def_act = FA_KILL;
	p->namespaces = -1;
	snprintf(p->name, sizeof(p->name), "%s", path);
	parse_file(&ps, path, text, 0);
	if (!ps.have_default && ps.errors == 0)
		p->def_loc = (struct pol_loc){p->nnames ? p->names[0] : "", 0, 0};
	for (size_t i = 0; i < ps.ngroups; i++)
		free(ps.groups[i].rules);
	free(ps.groups);
	if (ps.errors || policy_append_narrow(p) < 0) {
		policy_free(p);
		return NULL;
	}
	return p;
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free(p->rules);
	free(p->files);
	for (size_t i = 0; i < p->nnames; i++)
		free(p->names[i]);
	free(p->names);
	free(p);
}
