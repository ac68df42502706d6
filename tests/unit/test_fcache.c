/* SPDX-License-Identifier: ISC */
/*
 * test_fcache.c - examples/httpd's file cache: what it keeps, for how
 * long, and that every fd it was given is closed exactly once, whether
 * it expired, was evicted, or was in use by a response at the time.
 */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "fcache.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static int newfd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static void a_kept_file_is_found_until_it_expires(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 1000};
	int fd = newfd();
	struct fcache_entry *e = fcache_add(&c, "/r/a", fd, "text/plain", 5000);
	assert_non_null(e);
	fcache_release(e);
	assert_true(fd_open(fd)); /* kept */
	e = fcache_get(&c, "/r/a", 5999);
	assert_non_null(e);
	assert_int_equal(e->fd, fd);
	fcache_release(e);
	assert_null(fcache_get(&c, "/r/b", 5999));
	assert_null(fcache_get(&c, "/r/a", 6000)); /* expired: closed */
	assert_false(fd_open(fd));
	fcache_clear(&c);
}

static void an_entry_in_use_outlives_its_expiry_and_its_eviction(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 10};
	int fd = newfd();
	struct fcache_entry *e = fcache_add(&c, "/r/a", fd, "x", 0);
	assert_null(fcache_get(&c, "/r/a", 100)); /* expired while a response sends it */
	assert_true(fd_open(fd));
	fcache_release(e);
	assert_false(fd_open(fd));
	fd = newfd();
	e = fcache_add(&c, "/r/a", fd, "x", 200);
	fcache_clear(&c); /* the worker stops while it is sent */
	assert_true(fd_open(fd));
	fcache_release(e);
	assert_false(fd_open(fd));
}

static void a_full_table_evicts_the_oldest(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 100000};
	char key[32];
	int first = -1;
	for (int i = 0; i <= FCACHE_SLOTS; i++) {
		int fd = newfd();
		if (i == 0)
			first = fd;
		snprintf(key, sizeof(key), "/r/%d", i);
		fcache_release(fcache_add(&c, key, fd, "x", (uint64_t)i));
	}
	assert_false(fd_open(first)); /* /r/0 made room */
	assert_null(fcache_get(&c, "/r/0", 100));
	struct fcache_entry *e = fcache_get(&c, "/r/1", 100);
	assert_non_null(e);
	fcache_release(e);
	e = fcache_get(&c, "/r/64", 100);
	assert_non_null(e);
	fcache_release(e);
	fcache_clear(&c);
}

static void with_no_ttl_nothing_is_kept(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 0};
	int fd = newfd();
	struct fcache_entry *e = fcache_add(&c, "/r/a", fd, "x", 0);
	assert_non_null(e);
	assert_null(fcache_get(&c, "/r/a", 0));
	fcache_release(e);
	assert_false(fd_open(fd));
}

static void no_fd_leaks_over_many_uses(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 7};
	struct fcache_entry *held[16] = {0};
	char key[32];
	int before = open_fds();
	for (uint64_t t = 0; t < 20000; t++) {
		struct fcache_entry *e;
		snprintf(key, sizeof(key), "/r/%u", (unsigned)(t * 7919 % 97));
		e = fcache_get(&c, key, t);
		if (!e)
			e = fcache_add(&c, key, newfd(), "x", t);
		assert_non_null(e);
		/* some answers are still being sent when others start */
		fcache_release(held[t % 16]);
		held[t % 16] = e;
	}
	for (int i = 0; i < 16; i++)
		fcache_release(held[i]);
	fcache_clear(&c);
	assert_int_equal(open_fds(), before);
}

static void the_sweep_closes_expired_entries_without_a_lookup(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 1000};
	int a = newfd(), b = newfd(), held = newfd();
	fcache_release(fcache_add(&c, "/r/a", a, "x", 0));
	fcache_release(fcache_add(&c, "/r/b", b, "x", 500));
	struct fcache_entry *h = fcache_add(&c, "/r/h", held, "x", 0);
	assert_int_equal(fcache_next_expiry(&c), 1000);
	fcache_sweep(&c, 999); /* nothing expired yet */
	assert_true(fd_open(a));
	assert_true(fd_open(b));
	fcache_sweep(&c, 1000);
	assert_false(fd_open(a)); /* closed by the sweep alone */
	assert_true(fd_open(b));
	assert_true(fd_open(held)); /* a response still sends it */
	assert_int_equal(fcache_next_expiry(&c), 1500);
	fcache_release(h);
	assert_false(fd_open(held)); /* out of the table: closed with its last use */
	fcache_sweep(&c, 1500);
	assert_false(fd_open(b));
	assert_int_equal(fcache_next_expiry(&c), UINT64_MAX);
	fcache_clear(&c);
}

/* The scans stop when the table holds nothing (its count of slots in
 * use): that count must follow every way in and out, or a kept file
 * would not be found, or not be swept. */
static void every_kept_entry_is_found_and_swept_as_the_table_fills_and_empties(void **st)
{
	(void)st;
	struct fcache c = {.ttl_ms = 1000};
	int fds[FCACHE_SLOTS * 2];
	char key[32];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < FCACHE_SLOTS * 2; i++) { /* the second half evicts the first */
			snprintf(key, sizeof(key), "/r/%d", i);
			fds[i] = newfd();
			fcache_release(fcache_add(&c, key, fds[i], "x", (uint64_t)i));
		}
		for (int i = 0; i < FCACHE_SLOTS * 2; i++) {
			struct fcache_entry *e;
			snprintf(key, sizeof(key), "/r/%d", i);
			e = fcache_get(&c, key, FCACHE_SLOTS * 2);
			if (i < FCACHE_SLOTS) {
				assert_null(e); /* evicted (its fd number may be another's now) */
			} else {
				assert_non_null(e);
				assert_int_equal(e->fd, fds[i]);
				fcache_release(e);
			}
		}
		/* an expired one taken out by its lookup, the rest by the sweep */
		snprintf(key, sizeof(key), "/r/%d", FCACHE_SLOTS);
		assert_null(fcache_get(&c, key, FCACHE_SLOTS + 1000));
		assert_false(fd_open(fds[FCACHE_SLOTS]));
		fcache_sweep(&c, 5000);
		for (int i = 0; i < FCACHE_SLOTS * 2; i++)
			assert_false(fd_open(fds[i]));
		assert_int_equal(fcache_next_expiry(&c), UINT64_MAX);
	}
	fcache_release(fcache_add(&c, "/r/again", fds[0] = newfd(), "x", 6000));
	assert_int_equal(fcache_next_expiry(&c), 7000);
	fcache_clear(&c);
	assert_false(fd_open(fds[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_kept_file_is_found_until_it_expires),
	    cmocka_unit_test(an_entry_in_use_outlives_its_expiry_and_its_eviction),
	    cmocka_unit_test(a_full_table_evicts_the_oldest),
	    cmocka_unit_test(with_no_ttl_nothing_is_kept),
	    cmocka_unit_test(no_fd_leaks_over_many_uses),
	    cmocka_unit_test(the_sweep_closes_expired_entries_without_a_lookup),
	    cmocka_unit_test(every_kept_entry_is_found_and_swept_as_the_table_fills_and_empties),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
