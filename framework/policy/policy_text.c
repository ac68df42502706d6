/* SPDX-License-Identifier: ISC */
/*
 * policy_text.c - policy text built by a program: one line at a time,
 * each string quoted so that the parser (policy_parse.c's tokenizer)
 * reads back exactly the bytes given, and what the language cannot say
 * refused rather than approximated.
 *
 * The parser's strings: between double quotes, \" and \\ the only
 * escapes, no byte below 0x20 (it has no escape for them; a newline
 * would end the rule and start another).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "privsep.h"

int privsep_policy_quote(const char *s, char *buf, size_t len)
{
	size_t n = 0, o = 0;

	if (!s || !*s || !buf) {
		errno = EINVAL;
		return -1;
	}
	for (const char *p = s; *p; p++, n++) {
		if ((unsigned char)*p < 0x20) {
			errno = EINVAL;
			return -1;
		}
		if (n >= PRIVSEP_POLICY_STRING_MAX) {
			errno = ENAMETOOLONG;
			return -1;
		}
		o += *p == '"' || *p == '\\' ? 2 : 1;
	}
	if (o + 3 > len) { /* the quotes and the NUL */
		errno = ERANGE;
		return -1;
	}
	o = 0;
	buf[o++] = '"';
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf[o++] = '\\';
		buf[o++] = *p;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return (int)o;
}

/* A bare word of the language: a directive. */
static int is_word(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

/* The caller's own words after the string: printable, no string and no
 * comment in them (either would change what the line says). */
static int is_words(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '"' || *s == '#')
			return 0;
	return 1;
}

int privsep_policy_append(char **text, const char *directive, const char *s, const char *rest)
{
	static const char head[] = "version 1\n";
	size_t have, qlen = s ? 2 * strlen(s) + 3 : 0, need;
	char *q = NULL, *nt;
	int n = 0;

	if (!text || !directive || !is_word(directive) || (rest && !is_words(rest)) ||
	    (!s && !rest)) {
		errno = EINVAL;
		return -1;
	}
	if (s) {
		q = malloc(qlen);
		if (!q)
			return -1;
		n = privsep_policy_quote(s, q, qlen);
		if (n < 0) {
			int e = errno;
			free(q);
			errno = e;
			return -1;
		}
	}
	/* the line, without its newline */
	need = strlen(directive) + (s ? 1 + (size_t)n : 0) + (rest ? strlen(rest) + 1 : 0);
	if (need > PRIVSEP_POLICY_LINE_MAX) {
		free(q);
		errno = ENAMETOOLONG;
		return -1;
	}
	have = *text ? strlen(*text) : 0;
	need += (*text ? 0 : sizeof(head) - 1) + 2;
	nt = realloc(*text, have + need);
	if (!nt) {
		free(q);
		return -1;
	}
	if (!*text) {
		memcpy(nt, head, sizeof(head));
		have = sizeof(head) - 1;
	}
	have += (size_t)sprintf(nt + have, "%s", directive);
	if (q)
		have += (size_t)sprintf(nt + have, " %s", q);
	if (rest)
		have += (size_t)sprintf(nt + have, " %s", rest);
	nt[have++] = '\n';
	nt[have] = '\0';
	*text = nt;
	free(q);
	return 0;
}
