/* SPDX-License-Identifier: ISC */
/*
 * The policy-string builder (privsep_policy_quote, privsep_policy_append):
 * hostile paths either come back from the parser as exactly the bytes
 * given, or are refused; none adds a rule, a comment or a second line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "policy.h"
#include "privsep.h"

static char diag[1400];

static void collect(const char *msg, void *arg)
{
	(void)arg;
	snprintf(diag, sizeof(diag), "%s", msg);
}

/* Build `directive "path" rights` and parse it: the one file rule it
 * makes must name exactly path. */
static void round_trip(const char *directive, const char *path)
{
	char *text = NULL;
	struct policy *p;
	assert_int_equal(privsep_policy_append(&text, directive, path, "allow read"), 0);
	diag[0] = '\0';
	p = policy_load("built", text, collect, NULL);
	if (!p)
		fail_msg("the parser refused the built text: %s\n%s", diag, text);
	assert_int_equal(p->nfiles, 1);
	assert_string_equal(p->files[0].path, path);
	assert_int_equal(p->files[0].beneath, !strcmp(directive, "beneath"));
	assert_int_equal(p->files[0].rights, POL_R_READ);
	policy_free(p);
	free(text);
}

static void hostile_paths_read_back_as_exactly_the_path_given(void **s)
{
	(void)s;
	static const char *const paths[] = {
	    "/srv/plain",
	    "/srv/a \"quoted\" name",
	    "/srv/x\" allow read,write,create \"/etc", /* a rule's words inside the string */
	    "/srv/back\\slash",
	    "/srv/trailing\\",
	    "/srv/\\\"",
	    "/srv/\\\\\\\"\"",
	    "/srv/# not a comment",
	    "/srv/{braces}, commas",
	    "/srv/caf\xc3\xa9/\xff\xfe",
	    "/srv/del\x7f",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		round_trip("path", paths[i]);
		round_trip("beneath", paths[i]);
	}
	/* the longest path there is */
	char *longest = malloc(PRIVSEP_POLICY_STRING_MAX + 1);
	assert_non_null(longest);
	longest[0] = '/';
	memset(longest + 1, 'a', PRIVSEP_POLICY_STRING_MAX - 1);
	longest[PRIVSEP_POLICY_STRING_MAX] = '\0';
	round_trip("path", longest);
	free(longest);
}

static void a_line_the_parser_would_cut_is_refused(void **s)
{
	(void)s;
	char *text = NULL;
	/* a path of quotes doubles when escaped: quoted, it fits a string,
	 * but not the parser's line */
	char *quotes = malloc(PRIVSEP_POLICY_STRING_MAX + 1);
	char *buf = malloc(2 * PRIVSEP_POLICY_STRING_MAX + 3);
	assert_non_null(quotes);
	assert_non_null(buf);
	quotes[0] = '/';
	memset(quotes + 1, '"', PRIVSEP_POLICY_STRING_MAX - 1);
	quotes[PRIVSEP_POLICY_STRING_MAX] = '\0';
	assert_int_equal(privsep_policy_quote(quotes, buf, 2 * PRIVSEP_POLICY_STRING_MAX + 3),
	                 2 * PRIVSEP_POLICY_STRING_MAX + 1);
	errno = 0;
	assert_int_equal(privsep_policy_append(&text, "path", quotes, "allow read"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_null(text);
	/* half of them fit, and read back */
	quotes[PRIVSEP_POLICY_STRING_MAX / 2] = '\0';
	round_trip("beneath", quotes);
	free(quotes);
	free(buf);
}

static void control_bytes_are_refused_never_written(void **s)
{
	(void)s;
	static const char *const paths[] = {
	    "/srv/x\"\npath \"/etc/shadow", /* a newline would begin a rule of its own */
	    "/srv/x\rpath",
	    "/srv/tab\there",
	    "/srv/esc\x1b[2J",
	    "/srv/\x01",
	    "",
	};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char *text = NULL, buf[64];
		errno = 0;
		assert_int_equal(privsep_policy_append(&text, "path", paths[i], "allow read"), -1);
		assert_int_equal(errno, EINVAL);
		assert_null(text);
		assert_int_equal(privsep_policy_quote(paths[i], buf, sizeof(buf)), -1);
		assert_int_equal(errno, EINVAL);
	}
	/* and a text already begun is left as it was */
	char *text = NULL;
	assert_int_equal(privsep_policy_append(&text, "path", "/srv/a", "allow read"), 0);
	char *before = strdup(text);
	assert_int_equal(privsep_policy_append(&text, "path", "/srv/b\n", "allow read"), -1);
	assert_string_equal(text, before);
	free(before);
	free(text);
}

static void what_the_language_cannot_say_is_refused(void **s)
{
	(void)s;
	char *text = NULL, buf[8];
	/* longer than any path */
	char *big = malloc(PRIVSEP_POLICY_STRING_MAX + 2);
	assert_non_null(big);
	memset(big, 'a', PRIVSEP_POLICY_STRING_MAX + 1);
	big[0] = '/';
	big[PRIVSEP_POLICY_STRING_MAX + 1] = '\0';
	assert_int_equal(privsep_policy_append(&text, "path", big, "allow read"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(big);
	/* a buffer too small is not overrun */
	memset(buf, 'Z', sizeof(buf));
	assert_int_equal(privsep_policy_quote("/a\"b\"c", buf, 7), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(buf[0], 'Z');
	assert_int_equal(privsep_policy_quote("/a\"b", buf, 8), 7);
	assert_string_equal(buf, "\"/a\\\"b\"");
	/* the directive is one word; the rest adds no string, comment or line */
	assert_int_equal(
	    privsep_policy_append(&text, "path \"/etc\" allow write\npath", "/a", "allow read"),
	    -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_policy_append(&text, "path", "/a", "allow read\nallow ptrace"),
	                 -1);
	assert_int_equal(privsep_policy_append(&text, "path", "/a", "allow read # x"), -1);
	assert_int_equal(privsep_policy_append(&text, "path", "/a", "allow read \"/b\""), -1);
	assert_int_equal(privsep_policy_append(&text, "path", NULL, NULL), -1);
	assert_null(text);
}

static void a_built_text_includes_a_file_and_adds_rules(void **s)
{
	(void)s;
	char *text = NULL;
	assert_int_equal(privsep_policy_append(&text, "include", NULL, "<default.policy>"), 0);
	assert_int_equal(
	    privsep_policy_append(&text, "beneath", "/srv/www \"x\"", "allow read symlinks"), 0);
	assert_string_equal(text, "version 1\ninclude <default.policy>\n"
	                          "beneath \"/srv/www \\\"x\\\"\" allow read symlinks\n");
	struct policy *p = policy_load("built", text, collect, NULL);
	if (!p)
		fail_msg("%s", diag);
	assert_int_equal(p->nfiles, 1);
	assert_string_equal(p->files[0].path, "/srv/www \"x\"");
	assert_true(p->files[0].symlinks);
	policy_free(p);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(hostile_paths_read_back_as_exactly_the_path_given),
	    cmocka_unit_test(a_line_the_parser_would_cut_is_refused),
	    cmocka_unit_test(control_bytes_are_refused_never_written),
	    cmocka_unit_test(what_the_language_cannot_say_is_refused),
	    cmocka_unit_test(a_built_text_includes_a_file_and_adds_rules),
	};
	return cmocka_run_group_tests_name("policy_text", tests, NULL, NULL);
}
