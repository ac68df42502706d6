/* SPDX-License-Identifier: ISC */
/*
 * policy_parse.h - internal to the policy front end: the parser's state,
 * a line's tokens, and the directives' table.  policy_parse.c reads files
 * and lines, policy_token.c splits a line into tokens,
 * policy_directive.c holds the table of directives and the small ones,
 * policy_rule.c the seccomp rules (allow, errno, kill, trap, log) and
 * policy_path.c the file broker's (path, beneath).  Nothing outside these
 * files includes this header.
 */
#ifndef PRIVSEP_POLICY_PARSE_H
#define PRIVSEP_POLICY_PARSE_H

#include <stddef.h>

#include "policy.h"

#define POL_TOK_MAX 64    /* words on one line */
#define POL_WORD_MAX 4095 /* bytes in one word or string */
#define POL_LINE_MAX 8191 /* bytes in one line */
#define POL_DONE_MAX 64   /* files remembered as read to the end */

/* A token: a span of the line, NUL-terminated in place (a word or a
 * string's contents, escapes resolved), or one of the marks { } , which
 * point at their constant text. */
struct pol_tok {
	const char *text;
	size_t len;
	int col;    /* 1-based, of its first byte (a string's opening quote) */
	int is_str; /* a "quoted string" */
};

/* A group between "group @name" and "end": its rules, copied where it is
 * used. */
struct pol_group {
	char name[32];
	struct pol_rule *rules;
	size_t n, cap;
	struct pol_loc loc;
};

struct pol_parser {
	struct policy *p;
	pol_diag_fn diag;
	void *arg;
	int errors;
	struct pol_group *groups;
	size_t ngroups, capgroups;
	struct pol_group *open_group; /* between "group" and "end" */
	int depth;
	const char *stack[POL_MAX_INCLUDE_DEPTH + 1]; /* files being read */
	int have_version, have_default;
	const char *done[POL_DONE_MAX]; /* files read to the end */
	size_t ndone;
};

/* One statement: the tokens of one line (n > 0) and where it is. */
struct pol_stmt {
	const char *file; /* interned */
	int line;
	const struct pol_tok *t;
	int n;
	const char *dir; /* the file's directory: dir[0..dirlen), for include */
	size_t dirlen;
};

/* An error at file:line:col (line 0: at the file), counted and passed to
 * the diagnostic function. */
void pol_err(struct pol_parser *ps, const char *file, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* The same at the statement's line. */
void pol_serr(struct pol_parser *ps, const struct pol_stmt *st, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The policy's own copy of a file name (for locations); NULL out of
 * memory. */
const char *pol_intern(struct policy *p, const char *name);

/* Whether token t is the word w. */
int pol_tok_is(const struct pol_tok *t, const char *w);

/* Split line (NUL-terminated, modified in place) into at most POL_TOK_MAX
 * tokens.  Returns the count, or -1 after reporting. */
int pol_tokenize(struct pol_parser *ps, const char *file, int line, char *s, struct pol_tok *t);

/* The group called name, or NULL (policy_rule.c). */
struct pol_group *pol_find_group(struct pol_parser *ps, const char *name);

/* One statement, by the table of directives: 0, -1 after reporting, or
 * POL_STMT_INCLUDE: an include in its place, for the parser to read (the
 * directives never call the parser back). */
#define POL_STMT_INCLUDE 1
int pol_statement(struct pol_parser *ps, const struct pol_stmt *st);

/* The directives that live beside what they need. */
int pol_dir_rule(struct pol_parser *ps, const struct pol_stmt *st); /* policy_rule.c */
int pol_dir_path(struct pol_parser *ps, const struct pol_stmt *st); /* policy_path.c */

/* An action word at t[0] (allow, kill, trap, log, errno NAME): 1 and the
 * index after it, 0 if t[0] is no action, -1 after reporting. */
int pol_action(struct pol_parser *ps, const struct pol_stmt *st, const struct pol_tok *t, int n,
               enum filter_action *act, int *errnum, int *next);

#endif
