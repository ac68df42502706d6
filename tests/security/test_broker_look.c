/* SPDX-License-Identifier: ISC */
/*
 * The file broker's look before it opens (fs_host.c), as a worker attacks
 * it: a FIFO or a device exchanged with the file between the look and the
 * open, a refused FIFO or device that the helper must not even open, a
 * symlink in the middle of a path that must tell nothing of what lies
 * outside the root, and a mount put over a directory already looked at
 * (the look remembers filesystems by mount).  The helper runs in this
 * process; a client thread plays the worker, as in test_broker.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"

static char top[64];   /* the test's directory */
static char root[128]; /* top/root: the rule's root */
static int have_dev;   /* root/null, a device made here (root only) */

/* A helper and a client whose worker has policy text; 0 or -1 (no
 * cmocka here: the mount test runs it in a child). */
static int fx_open(struct hx_fs *f, const char *text)
{
	return hx_fs_new(f, "look", "look-test.policy", text);
}

static int setup(void **s)
{
	char p[256];
	(void)s;
	if (hx_fs_dirs(top, root, "look") < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/out", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out/fifo", top);
	mkfifo(p, 0644);
	snprintf(p, sizeof(p), "%s/out/dir", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/out/file", top);
	hx_put(p, "outside\n");
	snprintf(p, sizeof(p), "%s/outlink", root);
	char target[256];
	snprintf(target, sizeof(target), "%s/out", top);
	if (symlink(target, p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/swap", root);
	hx_put(p, "regular\n");
	snprintf(p, sizeof(p), "%s/swap.fifo", root);
	mkfifo(p, 0644);
	snprintf(p, sizeof(p), "%s/fifo", root);
	mkfifo(p, 0644);
	/* a device of our own (the null device's numbers), so that nobody
	 * else's opens show in its events; only with CAP_MKNOD, and /tmp
	 * must allow devices (nodev would refuse every open of it anyway) */
	snprintf(p, sizeof(p), "%s/null", root);
	have_dev = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
	if (have_dev) {
		snprintf(p, sizeof(p), "%s/swap.dev", root);
		have_dev = mknod(p, S_IFCHR | 0666, makedev(1, 3)) == 0;
	}
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

/* ---- the file opened is the one looked at ---- */

/* Another process exchanges the file with a FIFO (and, as root, a
 * device) as fast as it can while the worker opens it 5,000 times: every
 * fd the worker gets is the regular file with its content, every refusal
 * says FIFO, device or "changed", and the helper never blocks. */
static void a_file_swapped_for_a_fifo_or_device_between_look_and_open_is_never_handed_out(void **s)
{
	(void)s;
	struct hx_fs f;
	struct hx_swapper sw = {0};
	char why[PRIVSEP_DETAIL_MAX], buf[32];
	int err, got = 0, special = 0, changed = 0;
	struct stat st;
	assert_int_equal(fx_open(&f, hx_fs_one_rule(root, "read")), 0);
	snprintf(sw.file, sizeof(sw.file), "%s/swap", root);
	snprintf(sw.other[0], sizeof(sw.other[0]), "%s/swap.fifo", root);
	snprintf(sw.other[1], sizeof(sw.other[1]), "%s/swap.dev", root);
	sw.n = have_dev ? 2 : 1;
	hx_swap_start(&sw);
	for (int i = 0; i < 5000; i++) {
		int fd = hx_fs_open(&f, sw.file, O_RDONLY, &err, why);
		assert_int_not_equal(fd, -2); /* the helper blocked */
		if (fd >= 0) {
			assert_int_equal(fstat(fd, &st), 0);
			assert_true(S_ISREG(st.st_mode));
			ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
			assert_int_equal(n, 8);
			buf[n] = '\0';
			assert_string_equal(buf, "regular\n");
			close(fd);
			got++;
		} else if (err == EAGAIN) {
			assert_non_null(strstr(why, "changed while it was being opened"));
			changed++;
		} else {
			assert_int_equal(err, EACCES);
			assert_true(strstr(why, "is a FIFO") ||
			            strstr(why, "is a character device"));
			special++;
		}
	}
	hx_swap_stop(&sw);
	hx_fs_free(&f);
	assert_true(atomic_load(&sw.swaps) > 0);
	print_message("5000 opens against %ld exchanges (%s): %d the file, %d refused as "
	              "special, %d changed under the look\n",
	              atomic_load(&sw.swaps), have_dev ? "a FIFO and a device" : "a FIFO only", got,
	              special, changed);
}

/* ---- the helper never opens what it refuses ---- */

/* A FIFO's open wakes its writers, a device's runs its driver: under a
 * rule that does not say special, the broker refuses both without
 * opening them (fsnotify reports every open but an O_PATH one, so an
 * IN_OPEN event would be the helper's).  The watch is shown to work by
 * an open of this test's own afterwards. */
static void a_refused_fifo_or_device_is_never_opened_by_the_helper(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[2][256], why[PRIVSEP_DETAIL_MAX];
	char ev[sizeof(struct inotify_event) + NAME_MAX + 1];
	int err, in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), n = have_dev ? 2 : 1;
	assert_true(in >= 0);
	snprintf(p[0], sizeof(p[0]), "%s/fifo", root);
	snprintf(p[1], sizeof(p[1]), "%s/null", root);
	for (int i = 0; i < n; i++)
		assert_true(inotify_add_watch(in, p[i], IN_OPEN) >= 0);
	assert_int_equal(fx_open(&f, hx_fs_one_rule(root, "read")), 0);
	for (int round = 0; round < 3; round++) /* the mount is known after the first */
		for (int i = 0; i < n; i++) {
			assert_int_equal(hx_fs_open(&f, p[i], O_RDONLY, &err, why), -1);
			assert_int_equal(err, EACCES);
			assert_non_null(strstr(why, i ? "is a character device" : "is a FIFO"));
			assert_non_null(strstr(why, "does not say special"));
		}
	hx_fs_free(&f);
	assert_int_equal(read(in, ev, sizeof(ev)), -1); /* no IN_OPEN */
	assert_int_equal(errno, EAGAIN);
	for (int i = 0; i < n; i++) {
		int fd = open(p[i], O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_true(read(in, ev, sizeof(ev)) > 0); /* the watch sees an open */
	close(in);
	if (!have_dev)
		print_message("the FIFO only: making a device needs CAP_MKNOD (not here)\n");
}

/* ---- a symlink in the middle tells nothing ---- */

/* root/outlink is a symlink to a directory outside the root holding a
 * FIFO, a directory, a file and nothing: under a rule without symlinks,
 * the worker gets the same refusal for all four (a look that followed
 * the symlink and refused by what it found, "is a FIFO", "is a
 * directory", would tell the worker what lies outside). */
static void a_symlink_in_the_middle_tells_nothing_of_what_lies_outside_the_root(void **s)
{
	(void)s;
	static const char *const names[] = {"fifo", "dir", "file", "missing"};
	static const int flags[] = {O_RDONLY, O_RDONLY | O_NONBLOCK, O_RDONLY | O_DIRECTORY};
	struct hx_fs f;
	char p[256], why[PRIVSEP_DETAIL_MAX];
	int err;
	assert_int_equal(fx_open(&f, hx_fs_one_rule(root, "read,stat")), 0);
	for (size_t k = 0; k < sizeof(flags) / sizeof(flags[0]); k++)
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			snprintf(p, sizeof(p), "%s/outlink/%s", root, names[i]);
			assert_int_equal(hx_fs_open(&f, p, flags[k], &err, why), -1);
			assert_int_equal(err, EACCES);
			if (!strstr(why, "goes through a symlink"))
				fail_msg("%s (flags 0x%x): %s", names[i], flags[k], why);
		}
	hx_fs_free(&f);
}

/* ---- the mount cache vouches for one mount only ---- */

/* In the child: a tmpfs on root/m, opened as a directory (its mount now
 * known to the look), then devpts mounted over it: the same path is now
 * the root of a pseudo filesystem the rule does not name, and must be
 * refused as such, not let through by what the look learnt of the tmpfs.
 * Exit 0 right, 1 wrong (message on stderr), 77 when no mount namespace
 * can be made here. */
static int mount_child(void)
{
	struct hx_fs f;
	char m[256], why[PRIVSEP_DETAIL_MAX];
	int err, fd;
	if (unshare(geteuid() == 0 ? CLONE_NEWNS : CLONE_NEWUSER | CLONE_NEWNS) < 0)
		return 77;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return 77;
	snprintf(m, sizeof(m), "%s/m", root);
	if (mkdir(m, 0755) < 0 && errno != EEXIST)
		return 1;
	if (mount("tmpfs", m, "tmpfs", 0, "size=64k") < 0)
		return 77;
	if (fx_open(&f, hx_fs_one_rule(root, "read directory special")) < 0)
		return 1;
	for (int i = 0; i < 3; i++) {
		fd = hx_fs_open(&f, m, O_RDONLY | O_DIRECTORY, &err, why);
		if (fd < 0) {
			fprintf(stderr, "the tmpfs: %s\n", why);
			return 1;
		}
		close(fd);
	}
	if (mount("devpts", m, "devpts", 0, "newinstance,ptmxmode=0666") < 0) {
		fprintf(stderr, "mount devpts: %s\n", strerror(errno));
		return 77;
	}
	for (int i = 0; i < 3; i++) {
		fd = hx_fs_open(&f, m, O_RDONLY | O_DIRECTORY, &err, why);
		if (fd >= 0 || err != EACCES || !strstr(why, "is on devpts")) {
			fprintf(stderr, "devpts: fd %d, %s: %s\n", fd, strerror(err), why);
			return 1;
		}
	}
	hx_fs_free(&f);
	return 0;
}

static void a_mount_seen_once_vouches_for_no_other_mounted_at_the_same_path(void **s)
{
	(void)s;
	int st;
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(mount_child());
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	if (WEXITSTATUS(st) == 77) {
		/* as root the mount namespace is always there: only an
		 * unprivileged run where user namespaces are off gets here */
		assert_int_not_equal(geteuid(), 0);
		skip();
	}
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- the roots ---- */

/* path opens (read-only, by the broker) and holds len bytes. */
static void opens_with(struct hx_fs *f, const char *path, ssize_t len)
{
	char why[PRIVSEP_DETAIL_MAX], buf[16];
	int err, fd = hx_fs_open(f, path, O_RDONLY, &err, why);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, sizeof(buf), 0), len);
	close(fd);
}

/* A rule's root is opened once, when its policy is loaded, and so is the
 * directory of an exact path: a root renamed away and replaced (a new
 * release put in place) keeps serving the directory it was opened on
 * until the policy is loaded again (a reload, a restart: the helper's
 * cached policy entry, same text), which opens the new one; a root gone
 * by then refuses every path. */
static void
a_root_or_an_exact_paths_directory_replaced_on_disk_is_opened_again_when_the_policy_is_loaded_again(
    void **s)
{
	(void)s;
	struct hx_fs f;
	char base[256], old[256], p[256], why[PRIVSEP_DETAIL_MAX], text[512];
	char conf[256], confold[256], exact[256];
	const struct pol_entry *pe;
	int err;
	snprintf(base, sizeof(base), "%s/release", top);
	snprintf(old, sizeof(old), "%s/release.old", top);
	assert_int_equal(mkdir(base, 0755), 0);
	snprintf(p, sizeof(p), "%s/index", base);
	hx_put(p, "first\n");
	snprintf(conf, sizeof(conf), "%s/conf", top);
	snprintf(confold, sizeof(confold), "%s/conf.old", top);
	snprintf(exact, sizeof(exact), "%s/conf/exact", top);
	assert_int_equal(mkdir(conf, 0755), 0);
	hx_put(exact, "one\n");
	snprintf(text, sizeof(text),
	         "version 1\nbeneath \"%s\" allow read\npath \"%s\" allow read\n", base, exact);
	assert_int_equal(fx_open(&f, text), 0);
	opens_with(&f, p, 6);
	opens_with(&f, exact, 4);
	/* the new release takes the root's name, a new directory the exact
	 * path's */
	assert_int_equal(rename(base, old), 0);
	assert_int_equal(mkdir(base, 0755), 0);
	hx_put(p, "second\n");
	assert_int_equal(rename(conf, confold), 0);
	assert_int_equal(mkdir(conf, 0755), 0);
	hx_put(exact, "three\n");
	opens_with(&f, p, 6); /* not loaded again: the old one */
	opens_with(&f, exact, 4);
	/* loaded again (what a reload or a restart does): the same entry,
	 * its root opened again */
	pe = helper_policy(f.x->h, "look-test.policy", text, 0, why, sizeof(why));
	assert_non_null(pe);
	assert_ptr_equal(pol_entry_roots(pe), f.w->spawn.roots);
	opens_with(&f, p, 7);
	opens_with(&f, exact, 6);
	/* gone when loaded again: refused, not the old directory */
	snprintf(p, sizeof(p), "%s/release.new", top);
	assert_int_equal(rename(base, p), 0);
	assert_non_null(helper_policy(f.x->h, "look-test.policy", text, 0, why, sizeof(why)));
	snprintf(p, sizeof(p), "%s/index", base);
	assert_int_equal(hx_fs_open(&f, p, O_RDONLY, &err, why), -1);
	assert_int_equal(err, EACCES);
	assert_non_null(strstr(why, "could not be opened"));
	assert_true(hx_logged(f.x, "the rule will refuse every path"));
	hx_fs_free(&f);
}

/* ---- a lease ---- */

/* Whoever owns a file beneath a root can take a write lease on it: an
 * open without O_NONBLOCK then waits until the holder lets go, up to
 * /proc/sys/fs/lease-break-time (45 s here).  The broker opens with
 * O_NONBLOCK (then clears it, so that the worker gets the flags it asked
 * for): the worker gets EWOULDBLOCK at once and the helper serves on. */
static void a_leased_file_never_blocks_the_helper(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], why[PRIVSEP_DETAIL_MAX], c = 0;
	int ready[2], go[2], err, fd;
	pid_t holder;
	snprintf(p, sizeof(p), "%s/leased", root);
	hx_put(p, "leased\n");
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	holder = fork();
	assert_true(holder >= 0);
	if (holder == 0) {
		int lfd = open(p, O_RDONLY | O_CLOEXEC);
		signal(SIGIO, SIG_IGN); /* the lease break's signal */
		c = (lfd >= 0 && fcntl(lfd, F_SETLEASE, F_RDLCK) == 0) ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) < 0)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(read(ready[0], &c, 1), 1);
	if (c != 'y') { /* leases are off here (fs.leases-enable 0) */
		assert_int_equal(write(go[1], "x", 1), 1);
		waitpid(holder, NULL, 0);
		skip();
	}
	assert_int_equal(fx_open(&f, hx_fs_one_rule(root, "read,write")), 0);
	/* a read lease is broken by a write open: the worker asks O_WRONLY */
	fd = hx_fs_open(&f, p, O_WRONLY, &err, why);
	assert_int_not_equal(fd, -2); /* the helper waited for the holder */
	assert_int_equal(fd, -1);
	assert_int_equal(err, EWOULDBLOCK);
	/* and it serves on: another file at once */
	snprintf(p, sizeof(p), "%s/swap", root);
	fd = hx_fs_open(&f, p, O_RDONLY, &err, why);
	assert_true(fd >= 0);
	close(fd);
	hx_fs_free(&f);
	assert_int_equal(write(go[1], "x", 1), 1);
	assert_int_equal(waitpid(holder, NULL, 0), holder);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_file_swapped_for_a_fifo_or_device_between_look_and_open_is_never_handed_out),
	    cmocka_unit_test(a_refused_fifo_or_device_is_never_opened_by_the_helper),
	    cmocka_unit_test(a_symlink_in_the_middle_tells_nothing_of_what_lies_outside_the_root),
	    cmocka_unit_test(a_mount_seen_once_vouches_for_no_other_mounted_at_the_same_path),
	    cmocka_unit_test(
	        a_root_or_an_exact_paths_directory_replaced_on_disk_is_opened_again_when_the_policy_is_loaded_again),
	    cmocka_unit_test(a_leased_file_never_blocks_the_helper),
	};
	return cmocka_run_group_tests_name("broker-look", tests, setup, teardown);
}
