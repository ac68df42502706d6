/* SPDX-License-Identifier: ISC */
/*
 * privsep-spec - print the generated tables of docs/PROTOCOL.md from the
 * code's own protocol tables (framework/proto/proto.c).
 *
 *   privsep-spec SECTION      print one section (constants, header, types,
 *                             violations)
 *   privsep-spec --check FILE exit 1 and name the section when FILE's
 *                             generated blocks differ from the code
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_write.h"

static const char *const sections[] = {"constants", "header", "types", "violations"};

static char *slurp(FILE *f, size_t *n)
{
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + len, 1, cap - len - 1, f)) > 0) {
		len += k;
		if (cap - len < 2) {
			char *nb = realloc(b, cap *= 2);
			if (!nb) {
				free(b);
				return NULL;
			}
			b = nb;
		}
	}
	if (b)
		b[len] = '\0';
	*n = len;
	return b;
}

static int check(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n;
	char *doc;
	int bad = 0;

	if (!f) {
		perror(path);
		return 2;
	}
	doc = slurp(f, &n);
	fclose(f);
	if (!doc)
		return 2;
	for (size_t i = 0; i < sizeof(sections) / sizeof(sections[0]); i++) {
		char begin[96], end[96];
		char *want = NULL, *b, *e;
		size_t wn = 0;
		FILE *mf = open_memstream(&want, &wn);
		snprintf(begin, sizeof(begin), "<!-- BEGIN GENERATED %s -->\n", sections[i]);
		snprintf(end, sizeof(end), "<!-- END GENERATED %s -->", sections[i]);
		spec_write(mf, sections[i]);
		fclose(mf);
		b = strstr(doc, begin);
		e = b ? strstr(b, end) : NULL;
		if (!b || !e) {
			fprintf(stderr, "%s: no generated block \"%s\"\n", path, sections[i]);
			bad = 1;
		} else {
			b += strlen(begin);
			if ((size_t)(e - b) != wn || memcmp(b, want, wn) != 0) {
				fprintf(
				    stderr,
				    "%s: section \"%s\" differs from the code; the code says:\n%s",
				    path, sections[i], want);
				bad = 1;
			}
		}
		free(want);
	}
	free(doc);
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--check"))
		return check(argv[2]);
	if (argc == 2 && spec_write(stdout, argv[1]) == 0)
		return 0;
	fprintf(stderr, "usage: privsep-spec constants|header|types|violations\n"
	                "       privsep-spec --check docs/PROTOCOL.md\n");
	return 2;
}
