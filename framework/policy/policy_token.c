/* SPDX-License-Identifier: ISC */
/*
 * policy_token.c - one line of a policy as tokens: words, "quoted
 * strings" (with \" and \\) and the marks { } , up to a # comment.  A
 * token is a span of the line itself: a string's escapes are resolved in
 * place (the text only shrinks, behind the reading position), and once
 * the line is read each word and string is NUL-terminated in place, on
 * the byte after it, which no other token holds (a separator, a mark
 * whose token points at its constant text, or a string's closing quote).
 * Below the rest of the front end: the parser's error lines and its
 * interned names, which every directive uses.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_parse.h"

/* ---- the parser's error lines and interned names ---- */

static void verr(struct pol_parser *ps, const char *file, int line, int col, const char *fmt,
                 va_list ap) __attribute__((format(printf, 5, 0)));

static void verr(struct pol_parser *ps, const char *file, int line, int col, const char *fmt,
                 va_list ap)
{
	char msg[1024], full[1200];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		snprintf(full, sizeof(full), "%s:%d:%d: %s", file, line, col, msg);
	else
		snprintf(full, sizeof(full), "%s: %s", file, msg);
	ps->errors++;
	if (ps->diag)
		ps->diag(full, ps->arg);
}

void pol_err(struct pol_parser *ps, const char *file, int line, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(ps, file, line, col, fmt, ap);
	va_end(ap);
}

void pol_serr(struct pol_parser *ps, const struct pol_stmt *st, int col, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	verr(ps, st->file, st->line, col, fmt, ap);
	va_end(ap);
}

const char *pol_intern(struct policy *p, const char *name)
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

/* ---- tokens ---- */

int pol_tok_is(const struct pol_tok *t, const char *w)
{
	return strcmp(t->text, w) == 0;
}

/* The "quoted string" whose opening quote is at *sp: its contents
 * unescaped in place into t, *sp past the closing quote.  0, or -1 after
 * reporting. */
static int string(struct pol_parser *ps, const char *file, int line, const char *start, char **sp,
                  struct pol_tok *t)
{
	char *s = *sp + 1, *w = s;
	size_t k = 0;
	while (*s && *s != '"') {
		char c = *s++;
		if (c == '\\') {
			if (*s != '"' && *s != '\\') {
				pol_err(ps, file, line, (int)(s - start),
				        "unknown escape \\%c in a string", *s ? *s : ' ');
				return -1;
			}
			c = *s++;
		}
		if ((unsigned char)c < 0x20) {
			pol_err(ps, file, line, (int)(s - start), "control character in a string");
			return -1;
		}
		if (k + 1 > POL_WORD_MAX) {
			pol_err(ps, file, line, t->col, "string too long");
			return -1;
		}
		w[k++] = c;
	}
	if (*s != '"') {
		pol_err(ps, file, line, t->col, "unterminated string: expected a closing \"");
		return -1;
	}
	t->text = w;
	t->len = k;
	t->is_str = 1;
	*sp = s + 1;
	return 0;
}

int pol_tokenize(struct pol_parser *ps, const char *file, int line, char *s, struct pol_tok *t)
{
	char *const start = s;
	int n = 0;
	while (*s) {
		if (*s == ' ' || *s == '\t' || *s == '\r') {
			s++;
			continue;
		}
		if (*s == '#')
			break;
		if (n == POL_TOK_MAX) {
			pol_err(ps, file, line, (int)(s - start) + 1,
			        "too many words on one line (at most %d)", POL_TOK_MAX);
			return -1;
		}
		t[n].col = (int)(s - start) + 1;
		t[n].is_str = 0;
		if (*s == '"') {
			if (string(ps, file, line, start, &s, &t[n]) < 0)
				return -1;
		} else if (*s == '{' || *s == '}' || *s == ',') {
			t[n].text = *s == '{' ? "{" : *s == '}' ? "}" : ","; /* its own */
			s++;
			t[n].len = 1;
		} else {
			size_t k = strcspn(s, " \t\r#\"{},");
			if (k > POL_WORD_MAX) {
				pol_err(ps, file, line, t[n].col, "word too long");
				return -1;
			}
			t[n].text = s;
			t[n].len = k;
			s += k;
		}
		n++;
	}
	/* every word and string ends where no token is: terminate them (a
	 * word holds no mark, so a one-byte mark is a mark's own text) */
	for (int i = 0; i < n; i++)
		if (t[i].is_str || t[i].len != 1 || !strchr("{},", t[i].text[0]))
			start[t[i].text - start + (ptrdiff_t)t[i].len] = '\0';
	return n;
}
