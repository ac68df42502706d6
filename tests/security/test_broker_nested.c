/* SPDX-License-Identifier: ISC */
/*
 * The file broker's most specific rule, as a worker attacks it through a
 * symlink: under a root whose rule says symlinks, a deeper rule (a deeper
 * root, or an exact path) narrows what may be done with what lies under
 * it.  A symlink in the shallower root that leads there ("stays in it",
 * as the rule allows) must not lend the shallower rule's rights to the
 * file or directory it leads to: the rules decide for the file opened,
 * not only for the name asked.  Nobody but the worker's adversary needs
 * to act: the symlinks are there (a site's content, an unpacked archive).
 * The helper runs in this process; a client thread plays the worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"

static char top[64];   /* the test's directory */
static char root[128]; /* top/root: the shallow rule's root */

static int fx_open(struct hx_fs *f, const char *text)
{
	return hx_fs_new(f, "nested", "nested-test.policy", text);
}

static void link_to(const char *target, const char *name)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", root, name);
	assert_int_equal(symlink(target, p), 0);
}

static int setup(void **s)
{
	char p[256];
	(void)s;
	if (hx_fs_dirs(top, root, "nested") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/private", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/keys", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sealed", root);
	mkdir(p, 0755);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

/* The content of fd, or "" */
static const char *content(int fd)
{
	static char b[64];
	ssize_t n = pread(fd, b, sizeof(b) - 1, 0);
	b[n > 0 ? n : 0] = '\0';
	return b;
}

/* Opened, with its content: what the shallow rule still serves. */
static void served(struct hx_fs *f, const char *name, const char *want)
{
	char p[256], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	fd = hx_fs_open(f, p, O_RDONLY, &err, why);
	if (fd < 0)
		fail_msg("%s: refused: %s", name, why);
	assert_string_equal(content(fd), want);
	close(fd);
}

/* Refused with EACCES, whatever the helper says; no fd, no file made. */
static void refused(struct hx_fs *f, const char *name, int flags)
{
	char p[256], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	fd = hx_fs_open(f, p, flags, &err, why);
	assert_int_not_equal(fd, -2);
	if (fd >= 0)
		fail_msg("%s (flags 0x%x): served, \"%s\", which its deeper rule does not allow",
		         name, flags, content(fd));
	if (err != EACCES)
		fail_msg("%s (flags 0x%x): %s, not EACCES: %s", name, flags, strerror(err), why);
}

/* A stat by the broker (privsep_fs_stat's request) of root/name: 0, or
 * the errno it failed with. */
static int bstat(struct hx_fs *f, const char *name)
{
	char p[256];
	uint8_t req[256];
	struct privsep_writer w;
	struct hx_bg b;
	snprintf(p, sizeof(p), "%s/%s", root, name);
	privsep_writer_init(&w, req, sizeof(req));
	assert_int_equal(privsep_writer_put_str(&w, p), 0);
	hx_bg_call(&b, f->c, PRIVSEP_T_FS_STAT, req, w.len);
	return hx_bg_wait(f->x, &b) < 0 ? b.err : 0;
}

static void a_symlink_never_lends_a_shallower_rules_rights_to_what_a_deeper_rule_covers(void **s)
{
	char text[1024], p[256];
	struct hx_fs f;
	struct stat st;
	(void)s;
	snprintf(p, sizeof(p), "%s/private/secret", root);
	hx_put(p, "SECRET\n");
	snprintf(p, sizeof(p), "%s/keys/k", root);
	hx_put(p, "KEY\n");
	snprintf(p, sizeof(p), "%s/pub.txt", root);
	hx_put(p, "public\n");
	snprintf(p, sizeof(p), "%s/sealed/f", root);
	hx_put(p, "sealed\n");
	link_to("private/secret", "to-secret");       /* the file, by a relative link */
	link_to("private", "to-private");             /* its directory */
	link_to("keys/k", "to-key");                  /* an exact path's file */
	link_to("private/new-by-link", "to-missing"); /* dangling, into the deeper root */
	link_to("sealed/f", "to-sealed");             /* a deeper root without stat */
	link_to("pub.txt", "to-pub");                 /* none of the deeper rules' */
	snprintf(text, sizeof(text),
	         "version 1\n"
	         "beneath \"%s\" allow read,write,create,stat symlinks\n"
	         "beneath \"%s/private\" allow stat\n"
	         "path \"%s/keys/k\" allow stat\n"
	         "beneath \"%s/sealed\" allow read\n",
	         root, root, root, root);
	assert_int_equal(fx_open(&f, text), 0);

	/* what each rule says, by the file's own name */
	served(&f, "pub.txt", "public\n");
	refused(&f, "private/secret", O_RDONLY);
	refused(&f, "keys/k", O_RDONLY);
	/* the shallow rule still goes through a symlink that leads nowhere
	 * a deeper rule covers */
	served(&f, "to-pub", "public\n");

	/* through a symlink: the deeper rule decides, as by the name */
	refused(&f, "to-secret", O_RDONLY);
	refused(&f, "to-private/secret", O_RDONLY);
	refused(&f, "to-key", O_RDONLY);
	refused(&f, "to-secret", O_WRONLY | O_APPEND);
	/* a look too: the exact path allows stat, so does the deeper root;
	 * a deeper rule without it refuses a stat through the symlink */
	assert_int_equal(bstat(&f, "to-key"), 0);
	assert_int_equal(bstat(&f, "to-pub"), 0);
	assert_int_equal(bstat(&f, "sealed/f"), EACCES);
	assert_int_equal(bstat(&f, "to-sealed"), EACCES);
	served(&f, "to-sealed", "sealed\n"); /* what it does allow */

	/* a file made through a symlinked directory lands under the deeper
	 * rule, which does not allow create: not made */
	refused(&f, "to-private/new", O_WRONLY | O_CREAT);
	snprintf(p, sizeof(p), "%s/private/new", root);
	assert_int_equal(lstat(p, &st), -1);
	/* nor through a dangling symlink (never: a create is exclusive) */
	{
		char why[PRIVSEP_DETAIL_MAX];
		int err, fd;
		snprintf(p, sizeof(p), "%s/to-missing", root);
		fd = hx_fs_open(&f, p, O_WRONLY | O_CREAT, &err, why);
		assert_int_equal(fd, -1);
		snprintf(p, sizeof(p), "%s/private/new-by-link", root);
		assert_int_equal(lstat(p, &st), -1);
	}
	/* the files keep their bytes */
	snprintf(p, sizeof(p), "%s/private/secret", root);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 7);
	hx_fs_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_symlink_never_lends_a_shallower_rules_rights_to_what_a_deeper_rule_covers),
	};
	return cmocka_run_group_tests_name("broker-nested", tests, setup, teardown);
}
