/* SPDX-License-Identifier: ISC */
/*
 * The file broker: the path rules, the flag allowlist, symlink and magic
 * link escapes (and a race), special files, content, close-on-exec, and
 * no leak over 100,000 opens.  The helper runs in this process; a client
 * thread plays the worker, with the policy a spawned worker would get.
 */
#include <dirent.h>
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"
#include "fs.h"
#include "logline.h"
#include "proto.h"

static char top[64];   /* the test's directory */
static char root[128]; /* top/root: beneath, read,stat,readlink */

/* A helper and a client whose worker has policy text. */
static void fx_open(struct hx_fs *f, const char *text)
{
	assert_int_equal(hx_fs_new(f, "broker", "broker-test.policy", text), 0);
}

/* One broker call from a thread while this one pumps the helper. */
static int bopen(struct hx_fs *f, const char *path, int flags, int *err, char *why)
{
	int fd = hx_fs_open(f, path, flags, err, why);
	assert_int_not_equal(fd, -2);
	return fd;
}

static void put(const char *rel, const char *text)
{
	char p[256];
	snprintf(p, sizeof(p), "%s/%s", top, rel);
	hx_put(p, text);
}

static int setup(void **s)
{
	char p[256];
	(void)s;
	if (hx_fs_dirs(top, root, "broker") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/sub", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/rootx", top); /* a prefix of nothing: /root vs /rootx */
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/rw", top);
	mkdir(p, 0755);
	put("root/file.txt", "the file\n");
	put("root/sub/inner.txt", "inner\n");
	put("rootx/secret.txt", "secret\n");
	put("exact.txt", "exact\n");
	put("outside.txt", "outside\n");
	snprintf(p, sizeof(p), "%s/root/link_out", top);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/root/link_in", top);
	assert_int_equal(symlink("file.txt", p), 0);
	snprintf(p, sizeof(p), "%s/root/dirlink", top);
	assert_int_equal(symlink("/etc", p), 0);
	snprintf(p, sizeof(p), "%s/root/fifo", top);
	mkfifo(p, 0644);
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

static char *policy_text(const char *extra)
{
	static char t[4096];
	snprintf(t, sizeof(t),
	         "version 1\n"
	         "beneath \"%s/root\" allow read,stat,readlink\n"
	         "beneath \"%s/rw\" allow read,write,create,truncate,append mode 0640\n"
	         "path \"%s/exact.txt\" allow read\n"
	         "path \"/dev/zero\" allow read\n%s",
	         top, top, top, extra ? extra : "");
	return t;
}

/* ---- the path table ---- */

struct pcase {
	const char *name;
	const char *path; /* "%R" root, "%T" top */
	int flags;
	int err; /* 0: an fd */
	const char *why;
};

static const struct pcase pcases[] = {
    {"zero_length_path", "", O_RDONLY, EINVAL, "empty path"},
    {"relative_path", "root/file.txt", O_RDONLY, EINVAL, "not an absolute path"},
    {"slash_alone", "/", O_RDONLY, EACCES, "no rule allows /"},
    {"file_beneath_root", "%R/file.txt", O_RDONLY, 0, NULL},
    {"nested_file", "%R/sub/inner.txt", O_RDONLY, 0, NULL},
    {"double_slash_is_one", "%R//file.txt", O_RDONLY, 0, NULL},
    {"leading_double_slash", "/%R/file.txt", O_RDONLY, 0, NULL},
    {"dot_component_dropped", "%R/./file.txt", O_RDONLY, 0, NULL},
    {"dotdot_refused", "%R/sub/../file.txt", O_RDONLY, EACCES, "a .. component is never allowed"},
    {"dotdot_at_the_end", "%R/..", O_RDONLY, EACCES, "a .. component"},
    {"dotdot_out_of_root", "%R/../outside.txt", O_RDONLY, EACCES, "a .. component"},
    {"the_root_itself", "%R", O_RDONLY | O_DIRECTORY, EISDIR, "does not say directory"},
    {"trailing_slash_on_dir", "%R/sub/", O_RDONLY, EISDIR, "does not say directory"},
    {"dir_without_o_directory", "%R/sub", O_RDONLY, EISDIR, "does not say directory"},
    {"trailing_slash_on_file", "%R/file.txt/", O_RDONLY, ENOTDIR, NULL},
    {"missing_beneath_root", "%R/missing", O_RDONLY, ENOENT, NULL},
    {"missing_outside_is_not_an_oracle", "%T/missing", O_RDONLY, EACCES, "no rule allows"},
    {"existing_outside", "%T/outside.txt", O_RDONLY, EACCES, "no rule allows"},
    {"etc_shadow", "/etc/shadow", O_RDONLY, EACCES, "no rule allows /etc/shadow"},
    {"prefix_confusion", "%T/rootx/secret.txt", O_RDONLY, EACCES, "no rule allows"},
    {"symlink_out_of_root", "%R/link_out", O_RDONLY, EACCES, "goes through a symlink"},
    {"symlink_inside_root", "%R/link_in", O_RDONLY, EACCES, "goes through a symlink"},
    {"symlink_as_intermediate", "%R/dirlink/passwd", O_RDONLY, EACCES, "goes through a symlink"},
    {"fifo_refused", "%R/fifo", O_RDONLY, EACCES, "is a FIFO"},
    {"device_refused", "/dev/zero", O_RDONLY, EACCES, "is a character device"},
    {"exact_path", "%T/exact.txt", O_RDONLY, 0, NULL},
    {"exact_path_with_trailing_slash", "%T/exact.txt/", O_RDONLY, ENOTDIR, NULL},
    {"longer_than_exact", "%T/exact.txtx", O_RDONLY, EACCES, "no rule allows"},
    {"proc_self_root_is_just_a_path", "/proc/self/root%R/file.txt", O_RDONLY, EACCES,
     "no rule allows"},
    {"read_only_rule_no_write", "%R/file.txt", O_WRONLY, EACCES, "write needed"},
    {"rw_rule_creates", "%T/rw/new.txt", O_WRONLY | O_CREAT, 0, NULL},
};

static void expand(const char *in, char *out, size_t len)
{
	size_t o = 0;
	for (const char *s = in; *s && o + 1 < len; s++) {
		if (s[0] == '%' && (s[1] == 'R' || s[1] == 'T')) {
			o += (size_t)snprintf(out + o, len - o, "%s", s[1] == 'R' ? root : top);
			s++;
		} else {
			out[o++] = *s;
		}
	}
	out[o < len ? o : len - 1] = '\0';
}

static void path_table(void **s)
{
	(void)s;
	struct hx_fs f;
	char path[PATH_MAX + 64], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	assert_true(sizeof(pcases) / sizeof(pcases[0]) >= 25);
	fx_open(&f, policy_text(NULL));
	for (size_t i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		const struct pcase *c = &pcases[i];
		expand(c->path, path, sizeof(path));
		fd = bopen(&f, path, c->flags, &err, why);
		print_message("%-34s %s -> %s %s\n", c->name, path,
		              fd >= 0 ? "fd" : strerrorname_np(err), fd >= 0 ? "" : why);
		if (c->err == 0 && fd < 0)
			fail_msg("%s: %s refused: %s (%s)", c->name, path, strerror(err), why);
		if (c->err != 0) {
			if (fd >= 0)
				fail_msg("%s: %s opened", c->name, path);
			if (err != c->err)
				fail_msg("%s: %s: %s, want %s (%s)", c->name, path,
				         strerrorname_np(err), strerrorname_np(c->err), why);
			if (c->why && !strstr(why, c->why))
				fail_msg("%s: detail \"%s\" lacks \"%s\"", c->name, why, c->why);
		}
		if (fd >= 0)
			close(fd);
	}
	hx_fs_free(&f);
}

static void path_max_and_one_more(void **s)
{
	(void)s;
	struct hx_fs f;
	char path[PATH_MAX + 2], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	size_t n;
	fx_open(&f, policy_text(NULL));
	/* PATH_MAX with its NUL: allowed by the rules, not there */
	n = (size_t)snprintf(path, sizeof(path), "%s", root);
	while (n < PATH_MAX - 1) {
		size_t k = PATH_MAX - 1 - n > 200 ? 200 : PATH_MAX - 1 - n;
		path[n++] = '/';
		if (k > 1) {
			memset(path + n, 'a', k - 1);
			n += k - 1;
		}
	}
	path[n] = '\0';
	assert_int_equal(strlen(path), PATH_MAX - 1);
	fd = bopen(&f, path, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, ENOENT);
	/* one byte more */
	path[n++] = 'a';
	path[n] = '\0';
	fd = bopen(&f, path, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, ENAMETOOLONG);
	hx_fs_free(&f);
}

/* ---- flags ---- */

#define ALLOWED_FLAGS                                                                              \
	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | O_NONBLOCK | O_CLOEXEC |              \
	 O_DIRECTORY | O_NOFOLLOW | O_NOCTTY | O_LARGEFILE | O_SYNC | O_DSYNC)

static void flag_matrix(void **s)
{
	(void)s;
	struct hx_fs f;
	char ro[256], rw[256], ex[256], why[PRIVSEP_DETAIL_MAX];
	const char *paths[3] = {ro, rw, ex};
	int err;
	snprintf(ro, sizeof(ro), "%s/file.txt", root);
	snprintf(rw, sizeof(rw), "%s/rw/flags.txt", top);
	snprintf(ex, sizeof(ex), "%s/exact.txt", top);
	put("rw/flags.txt", "data\n");
	fx_open(&f, policy_text(NULL));
	for (int kind = 0; kind < 3; kind++) {
		for (int b = 0; b < 32; b++) {
			int flags = (int)(1u << b);
			int fd = bopen(&f, paths[kind], flags, &err, why);
			int acc = flags & O_ACCMODE;
			if (!(flags & ALLOWED_FLAGS) || (flags & O_PATH)) {
				if (fd >= 0 || err != EINVAL)
					fail_msg("bit %d on rule kind %d: want EINVAL, got %s", b,
					         kind, fd >= 0 ? "an fd" : strerrorname_np(err));
				continue;
			}
			if (fd < 0) {
				/* refused: only for rights the rule lacks, or a
				 * flag that does not fit the file */
				if (kind != 1 && (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC))))
					assert_true(err == EACCES || err == EINVAL);
				else if (flags & O_DIRECTORY)
					assert_int_equal(err, ENOTDIR);
				else if (flags & O_EXCL)
					assert_int_equal(err, EINVAL);
				else if (flags & O_TRUNC)
					assert_int_equal(err, EINVAL); /* O_RDONLY|O_TRUNC */
				else
					fail_msg("bit %d on rule kind %d refused: %s (%s)", b, kind,
					         strerror(err), why);
				continue;
			}
			/* an fd: close-on-exec, and writable only if asked and
			 * granted */
			assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
			if (acc == O_RDONLY || kind != 1)
				assert_int_equal(write(fd, "x", 1), -1);
			close(fd);
		}
	}
	/* the refusals spelled out */
	struct {
		int flags;
		int err;
	} must[] = {
	    {O_RDONLY | O_TRUNC, EINVAL}, {O_PATH, EINVAL}, {O_TMPFILE | O_RDWR, EINVAL},
	    {O_ACCMODE, EINVAL},          {O_EXCL, EINVAL}, {O_RDONLY | 0x40000000, EINVAL},
	};
	for (size_t i = 0; i < sizeof(must) / sizeof(must[0]); i++) {
		int fd = bopen(&f, rw, must[i].flags, &err, why);
		assert_int_equal(fd, -1);
		assert_int_equal(err, must[i].err);
	}
	hx_fs_free(&f);
}

static void read_only_grant_never_yields_a_writable_fd(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	snprintf(p, sizeof(p), "%s/file.txt", root);
	fx_open(&f, policy_text(NULL));
	for (int acc = 0; acc < 3; acc++) {
		fd = bopen(&f, p, acc, &err, why);
		if (acc == O_RDONLY) {
			assert_true(fd >= 0);
			assert_int_equal(write(fd, "x", 1), -1);
			assert_int_equal(errno, EBADF);
			close(fd);
		} else {
			assert_int_equal(fd, -1);
			assert_int_equal(err, EACCES);
			assert_non_null(strstr(why, "write needed"));
		}
	}
	hx_fs_free(&f);
}

/* The bytes of path (at most 63), or "" when it cannot be read. */
static const char *text_of(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

/* O_TRUNC under a rule that does not allow write: refused, and the file
 * keeps its bytes.  Read-only rules (beneath and exact), read,truncate
 * (truncate alone opens nothing: O_RDONLY|O_TRUNC is refused whatever
 * the rule, since Linux truncates with it) and read,append (an appending
 * fd that truncates first rewrites the file). */
static void
an_o_trunc_open_under_a_rule_without_write_is_refused_and_the_file_keeps_its_bytes(void **s)
{
	static const struct {
		const char *rel, *text;
		int flags, err;
	} cases[] = {
	    {"root/file.txt", "the file\n", O_RDONLY | O_TRUNC, EINVAL},
	    {"root/file.txt", "the file\n", O_WRONLY | O_TRUNC, EACCES},
	    {"root/file.txt", "the file\n", O_RDWR | O_TRUNC, EACCES},
	    {"root/file.txt", "the file\n", O_WRONLY | O_APPEND | O_TRUNC, EACCES},
	    {"exact.txt", "exact\n", O_RDONLY | O_TRUNC, EINVAL},
	    {"exact.txt", "exact\n", O_WRONLY | O_TRUNC, EACCES},
	    {"rt/file.txt", "read,truncate\n", O_RDONLY | O_TRUNC, EINVAL},
	    {"rt/file.txt", "read,truncate\n", O_RDONLY | O_TRUNC | O_NONBLOCK, EINVAL},
	    {"ra/file.txt", "read,append\n", O_WRONLY | O_APPEND | O_TRUNC, EACCES},
	    {"ra/file.txt", "read,append\n", O_WRONLY | O_TRUNC, EACCES},
	};
	struct hx_fs f;
	char extra[512], p[256], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	(void)s;
	snprintf(p, sizeof(p), "%s/rt", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/ra", top);
	mkdir(p, 0755);
	snprintf(extra, sizeof(extra),
	         "beneath \"%s/rt\" allow read,truncate\n"
	         "beneath \"%s/ra\" allow read,append\n",
	         top, top);
	fx_open(&f, policy_text(extra));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		put(cases[i].rel, cases[i].text);
		snprintf(p, sizeof(p), "%s/%s", top, cases[i].rel);
		fd = bopen(&f, p, cases[i].flags, &err, why);
		if (fd >= 0)
			close(fd);
		if (fd >= 0 || err != cases[i].err)
			fail_msg("%s flags 0x%x: %s, want %s", cases[i].rel, cases[i].flags,
			         fd >= 0 ? "an fd" : strerrorname_np(err),
			         strerrorname_np(cases[i].err));
		if (strcmp(text_of(p), cases[i].text))
			fail_msg("%s flags 0x%x: the file holds \"%s\"", cases[i].rel,
			         cases[i].flags, text_of(p));
	}
	hx_fs_free(&f);
}

static void created_files_get_the_rules_mode(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], why[PRIVSEP_DETAIL_MAX];
	struct stat st;
	int err, fd;
	mode_t old = umask(0);
	snprintf(p, sizeof(p), "%s/rw/created.txt", top);
	fx_open(&f, policy_text(NULL));
	fd = bopen(&f, p, O_WRONLY | O_CREAT | O_EXCL, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	umask(old);
	hx_fs_free(&f);
}

/* ---- symlinks and magic links ---- */

static void magic_links_are_refused(void **s)
{
	(void)s;
	struct hx_fs f;
	char why[PRIVSEP_DETAIL_MAX], p[64];
	int err, fd, mine = open("/etc/passwd", O_RDONLY | O_CLOEXEC);
	/* even with symlinks allowed, /proc's magic links are not followed */
	fx_open(&f, "version 1\nbeneath \"/proc\" allow read symlinks\n");
	fd = bopen(&f, "/proc/self/root/etc/passwd", O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, EACCES);
	snprintf(p, sizeof(p), "/proc/self/fd/%d", mine);
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, EACCES);
	close(mine);
	hx_fs_free(&f);
}

static void symlinks_allowed_stay_inside_the_root(void **s)
{
	(void)s;
	struct hx_fs f;
	char why[PRIVSEP_DETAIL_MAX], p[256];
	int err, fd;
	char extra[512];
	snprintf(extra, sizeof(extra), "beneath \"%s/root/sub\" allow read symlinks\n", top);
	fx_open(&f, policy_text(extra));
	/* link_in (inside) works where symlinks are allowed: the root rule
	 * has none, so this one is refused... */
	snprintf(p, sizeof(p), "%s/link_in", root);
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	/* ...and a symlink out of a root that allows symlinks still cannot
	 * leave it */
	char lp[256];
	snprintf(lp, sizeof(lp), "%s/sub/out", root);
	assert_int_equal(symlink("/etc/passwd", lp), 0);
	fd = bopen(&f, lp, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, EACCES);
	assert_non_null(strstr(why, "escapes the root"));
	unlink(lp);
	hx_fs_free(&f);
}

struct swapper {
	pthread_t t;
	atomic_int stop;
	char dir[256], real[256], link[256];
};

static void *swap_main(void *arg)
{
	struct swapper *sw = arg;
	while (!atomic_load(&sw->stop)) {
		rename(sw->real, sw->dir); /* a real directory */
		rename(sw->dir, sw->real);
		if (symlink("/etc", sw->link) < 0)
			continue;
		rename(sw->link, sw->dir); /* a symlink out */
		unlink(sw->dir);
	}
	return NULL;
}

static void race_of_a_directory_and_a_symlink_never_escapes(void **s)
{
	(void)s;
	struct hx_fs f;
	struct swapper sw = {0};
	char p[256], why[PRIVSEP_DETAIL_MAX], extra[512];
	struct stat st, etc_st;
	int err, opened = 0;
	snprintf(sw.dir, sizeof(sw.dir), "%s/race", root);
	snprintf(sw.real, sizeof(sw.real), "%s/race.real", root);
	snprintf(sw.link, sizeof(sw.link), "%s/race.link", root);
	mkdir(sw.real, 0755);
	snprintf(p, sizeof(p), "%s/race.real/passwd", root);
	put("root/race.real/passwd", "inside\n");
	assert_int_equal(stat("/etc/passwd", &etc_st), 0);
	/* both with and without symlinks allowed */
	/* the root allows symlinks (RESOLVE_BENEATH alone holds), then not */
	snprintf(extra, sizeof(extra), "version 1\nbeneath \"%s\" allow read symlinks\n", root);
	for (int pass = 0; pass < 2; pass++) {
		fx_open(&f, pass ? policy_text(NULL) : extra);
		atomic_store(&sw.stop, 0);
		pthread_create(&sw.t, NULL, swap_main, &sw);
		snprintf(p, sizeof(p), "%s/race/passwd", root);
		for (int i = 0; i < 5000; i++) {
			int fd = bopen(&f, p, O_RDONLY, &err, why);
			if (fd < 0)
				continue;
			assert_int_equal(fstat(fd, &st), 0);
			/* whatever it got, it is never /etc/passwd */
			assert_false(st.st_dev == etc_st.st_dev && st.st_ino == etc_st.st_ino);
			opened++;
			close(fd);
		}
		atomic_store(&sw.stop, 1);
		pthread_join(sw.t, NULL);
		rename(sw.dir, sw.real);
		hx_fs_free(&f);
	}
	print_message("10000 opens raced, %d reached the file inside, none escaped\n", opened);
}

/* ---- special files ---- */

static void special_files_open_without_blocking_when_allowed(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], extra[512], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	snprintf(extra, sizeof(extra), "path \"%s/fifo\" allow read special\n", root);
	fx_open(&f, policy_text(extra));
	snprintf(p, sizeof(p), "%s/fifo", root);
	/* no writer: a blocking open would hang the helper forever */
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_true(fd >= 0);
	close(fd);
	hx_fs_free(&f);
}

/* A rule that says special lets every kind but a directory through (that
 * needs directory); the fd comes back
 * with exactly the status flags asked for, O_NONBLOCK and O_APPEND
 * included, on every kind of rule. */
static void special_rule_opens_with_the_flags_asked(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], rw[256], extra[512], why[PRIVSEP_DETAIL_MAX];
	struct stat st;
	int err, fd;
	snprintf(extra, sizeof(extra),
	         "path \"%s/fifo\" allow read special\npath \"/dev/null\" allow read,write "
	         "special\npath \"%s/sub\" allow read special\n",
	         root, root);
	fx_open(&f, policy_text(extra));
	/* special lets every kind through but a directory: that needs directory */
	snprintf(p, sizeof(p), "%s/sub", root);
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, EISDIR);
	snprintf(p, sizeof(p), "%s/fifo", root);
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), 0);
	close(fd);
	fd = bopen(&f, p, O_RDONLY | O_NONBLOCK, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND), O_NONBLOCK);
	close(fd);
	fd = bopen(&f, "/dev/null", O_WRONLY | O_APPEND, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND | O_ACCMODE),
	                 O_APPEND | O_WRONLY);
	assert_int_equal(write(fd, "x", 1), 1);
	close(fd);
	/* a missing special file is refused as before */
	fd = bopen(&f, "/dev/nonexistent-privsep", O_RDONLY, &err, why);
	assert_int_equal(fd, -1);
	assert_int_equal(err, EACCES); /* no rule */
	/* a regular file: the same flags back */
	snprintf(rw, sizeof(rw), "%s/rw/flags-asked.txt", top);
	put("rw/flags-asked.txt", "data\n");
	fd = bopen(&f, rw, O_WRONLY | O_APPEND, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND | O_ACCMODE),
	                 O_APPEND | O_WRONLY);
	close(fd);
	fd = bopen(&f, rw, O_RDWR | O_NONBLOCK, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_APPEND | O_ACCMODE),
	                 O_NONBLOCK | O_RDWR);
	close(fd);
	hx_fs_free(&f);
}

/* ---- content, cloexec, leaks ---- */

static void brokered_content_equals_direct_content(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], why[PRIVSEP_DETAIL_MAX], a[64] = "", b[64] = "";
	int err, fd, d;
	snprintf(p, sizeof(p), "%s/sub/inner.txt", root);
	fx_open(&f, policy_text(NULL));
	fd = bopen(&f, p, O_RDONLY, &err, why);
	assert_true(fd >= 0);
	d = open(p, O_RDONLY);
	assert_true(read(fd, a, sizeof(a)) > 0);
	assert_true(read(d, b, sizeof(b)) > 0);
	assert_string_equal(a, b);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(d);
	hx_fs_free(&f);
}

struct many {
	pthread_t t;
	struct privsep_client *c;
	const char *path;
	int bad;
	atomic_int done;
};

static void *many_main(void *arg)
{
	struct many *m = arg;
	for (int i = 0; i < 100000; i++) {
		int fd = privsep_fs_open(m->c, m->path, O_RDONLY, NULL);
		if (fd < 0)
			m->bad++;
		else
			close(fd);
		/* every tenth a refusal, which must leak nothing either */
		if (i % 10 == 0 && privsep_fs_open(m->c, "/etc/shadow", O_RDONLY, NULL) >= 0)
			m->bad++;
	}
	atomic_store(&m->done, 1);
	return NULL;
}

static void nothing_leaks_over_100000_opens(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256];
	struct many m = {0};
	int before;
	snprintf(p, sizeof(p), "%s/file.txt", root);
	fx_open(&f, policy_text(NULL));
	before = count_fds();
	m.c = f.c;
	m.path = p;
	pthread_create(&m.t, NULL, many_main, &m);
	while (!atomic_load(&m.done))
		privsep_helper_step(f.x->h, 5);
	pthread_join(m.t, NULL);
	assert_int_equal(m.bad, 0);
	/* helper and worker share this process: neither kept one */
	assert_int_equal(count_fds(), before);
	hx_fs_free(&f);
}

/* ---- the other operations ---- */

struct call {
	pthread_t t;
	struct privsep_client *c;
	int which;
	const char *path;
	struct stat st;
	char buf[256];
	ssize_t n;
	int rc, err;
	struct privsep_result res;
	atomic_int done;
};

static void *call_main(void *arg)
{
	struct call *k = arg;
	if (k->which == 0)
		k->rc = privsep_fs_stat(k->c, k->path, &k->st, &k->res);
	else if (k->which == 1)
		k->rc = (int)(k->n = privsep_fs_readlink(k->c, k->path, k->buf, sizeof(k->buf),
		                                         &k->res));
	else
		k->rc = privsep_fs_access(k->c, k->path, k->which == 2 ? R_OK : W_OK, &k->res);
	k->err = errno;
	atomic_store(&k->done, 1);
	return NULL;
}

static int bcall(struct hx_fs *f, struct call *k)
{
	k->c = f->c;
	pthread_create(&k->t, NULL, call_main, k);
	assert_true(hx_pump_until(f->x, &k->done, 5000));
	pthread_join(k->t, NULL);
	return k->rc;
}

static void stat_readlink_access_follow_their_rights(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], l[256], e[256];
	struct stat st;
	snprintf(p, sizeof(p), "%s/file.txt", root);
	snprintf(l, sizeof(l), "%s/link_out", root);
	snprintf(e, sizeof(e), "%s/exact.txt", top);
	fx_open(&f, policy_text(NULL));
	struct call k1 = {.which = 0, .path = p};
	assert_int_equal(bcall(&f, &k1), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(k1.st.st_ino, st.st_ino);
	assert_int_equal(k1.st.st_size, st.st_size);
	struct call k2 = {.which = 1, .path = l};
	assert_int_equal(bcall(&f, &k2), 11);
	assert_memory_equal(k2.buf, "/etc/passwd", 11);
	struct call k3 = {.which = 2, .path = p};
	assert_int_equal(bcall(&f, &k3), 0);
	struct call k4 = {.which = 3, .path = p}; /* W_OK on a read-only root */
	assert_int_equal(bcall(&f, &k4), -1);
	assert_int_equal(k4.err, EACCES);
	struct call k5 = {.which = 0, .path = e}; /* exact rule: read only, no stat */
	assert_int_equal(bcall(&f, &k5), -1);
	assert_int_equal(k5.err, EACCES);
	assert_non_null(strstr(k5.res.detail, "stat needed"));
	assert_int_equal(k5.res.refused, 1);
	hx_fs_free(&f);
}

static void a_worker_without_a_policy_gets_nothing(void **s)
{
	(void)s;
	struct hx *x = hx_new(NULL, 0, 0);
	struct privsep_client *c = hx_attach_client(x, "nopolicy", 0);
	struct hx_fs f = {x, c, NULL};
	char why[PRIVSEP_DETAIL_MAX];
	int err;
	assert_int_equal(bopen(&f, "/etc/hostname", O_RDONLY, &err, why), -1);
	assert_int_equal(err, EACCES);
	assert_non_null(strstr(why, "no policy"));
	assert_true(hx_logged(x, "fs open /etc/hostname: EACCES"));
	privsep_client_free(c);
	hx_free(x);
}

static void broker_log_lines_are_escaped_rate_limited_and_not_found_is_debug(void **s)
{
	struct hx_fs f;
	char path[256], why[PRIVSEP_DETAIL_MAX];
	int err, refusals = 0, dropped_line = -1, missing = -1;
	(void)s;
	fx_open(&f, policy_text(NULL));
	/* 10 lines, then 5 a second */
	f.x->h->log_rate = 5;
	f.x->h->log_burst = 10;
	log_bucket_init(f.x->h, &f.w->log.denyrl);
	/* a path the worker chose, with a C1 control and a bidi override,
	 * refused 300 times */
	snprintf(path, sizeof(path),
	         "%s/x\xc2\x9b"
	         "2J\xe2\x80\xae/../y",
	         root);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(bopen(&f, path, O_RDONLY, &err, why), -1);
		assert_int_equal(err, EACCES);
	}
	log_bucket_init(f.x->h, &f.w->log.denyrl); /* room for the next line */
	snprintf(path, sizeof(path), "%s/does-not-exist", root);
	assert_int_equal(bopen(&f, path, O_RDONLY, &err, why), -1);
	assert_int_equal(err, ENOENT);
	for (int i = 0; i < f.x->nlog; i++) {
		const char *l = f.x->log[i];
		if (strstr(l, "fs open ") && strstr(l, "EACCES")) {
			refusals++;
			assert_non_null(strstr(l, "x\\xc2\\x9b2J\\xe2\\x80\\xae/../y"));
			assert_null(strstr(l, "\xc2\x9b"));
		}
		if (strstr(l, "file broker refusals not logged"))
			dropped_line = i;
		if (strstr(l, "does-not-exist: ENOENT"))
			missing = i;
	}
	/* the burst, and what the rate refilled meanwhile; the rest counted */
	assert_true(refusals >= 10 && refusals < 300);
	assert_true(dropped_line >= 0);
	/* a path that does not exist is no refusal of the rules: debug */
	assert_true(missing >= 0);
	assert_int_equal(f.x->lvl[missing], PRIVSEP_LOG_DEBUG);
	hx_fs_free(&f);
}

static char long_line[PRIVSEP_LOG_LINE_MAX + 1];

static void keep_refusal(enum privsep_log_level lvl, const char *line, void *arg)
{
	(void)arg;
	(void)lvl;
	if (strstr(line, "fs open "))
		snprintf(long_line, sizeof(long_line), "%s", line);
}

/* A path the worker chose, as long as a path may be and of bytes each
 * escaped to four (\x01), refused: the line still says why (the error's
 * name and the broker's reason).  Fails on main: the escaped path filled
 * the line (16,380 bytes of 16,384), which was cut before the reason, so
 * the worker chose a refusal line that does not say what refused it. */
static void a_refusal_of_the_longest_path_of_escaped_bytes_still_says_why(void **s)
{
	struct hx_fs f;
	char path[PROTO_PATH_MAX], why[PRIVSEP_DETAIL_MAX];
	int err;
	(void)s;
	fx_open(&f, policy_text(NULL));
	memset(path, 0x01, sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	f.x->h->log = keep_refusal;
	long_line[0] = '\0';
	assert_int_equal(bopen(&f, path, O_RDONLY, &err, why), -1);
	assert_int_equal(err, EACCES);
	assert_non_null(strstr(why, "no rule allows /"));
	if (!strstr(long_line, ": EACCES: no rule allows /\\x01"))
		fail_msg("the refusal's line (%zu bytes) does not say why: ...%s",
		         strlen(long_line),
		         long_line + (strlen(long_line) > 80 ? strlen(long_line) - 80 : 0));
	/* the path is shown in part, and says so */
	assert_non_null(strstr(long_line, "fs open /\\x01\\x01"));
	assert_non_null(strstr(long_line, "\\x01... (4095 bytes): EACCES: "));
	hx_fs_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(path_table),
	    cmocka_unit_test(path_max_and_one_more),
	    cmocka_unit_test(flag_matrix),
	    cmocka_unit_test(read_only_grant_never_yields_a_writable_fd),
	    cmocka_unit_test(
	        an_o_trunc_open_under_a_rule_without_write_is_refused_and_the_file_keeps_its_bytes),
	    cmocka_unit_test(created_files_get_the_rules_mode),
	    cmocka_unit_test(magic_links_are_refused),
	    cmocka_unit_test(symlinks_allowed_stay_inside_the_root),
	    cmocka_unit_test(race_of_a_directory_and_a_symlink_never_escapes),
	    cmocka_unit_test(special_files_open_without_blocking_when_allowed),
	    cmocka_unit_test(special_rule_opens_with_the_flags_asked),
	    cmocka_unit_test(brokered_content_equals_direct_content),
	    cmocka_unit_test(stat_readlink_access_follow_their_rights),
	    cmocka_unit_test(a_worker_without_a_policy_gets_nothing),
	    cmocka_unit_test(broker_log_lines_are_escaped_rate_limited_and_not_found_is_debug),
	    cmocka_unit_test(a_refusal_of_the_longest_path_of_escaped_bytes_still_says_why),
	    cmocka_unit_test(nothing_leaks_over_100000_opens),
	};
	return cmocka_run_group_tests_name("broker", tests, setup, teardown);
}
