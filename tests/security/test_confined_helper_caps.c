/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_caps.c - a compromised confined root helper, the
 * attacker, and the capabilities it holds.  privsep_helper_confine keeps
 * an allow-list: cap_dac_override, cap_dac_read_search (the broker opens
 * and creates files of other owners) and cap_kill (stopping workers of
 * other uids), and what the application kept with
 * privsep_helper_keep_caps, less what no confined helper keeps (a
 * spawn's, cap_fsetid, cap_sys_ptrace, cap_perfmon).  The sets are read
 * from the kernel (/proc/self/status) in the confined helper.  Every
 * case needs root (a normal user's helper holds no capability to begin
 * with, and cannot narrow its bounding set): skipped, said, otherwise.
 * Each helper runs in a child: confinement is for good.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "confined_peer.h"
#include "harness.h"
#include "helper_int.h"

/* the allow-list: cap_dac_override 1, cap_dac_read_search 2, cap_kill 5 */
#define ALLOWED ((1ull << 1) | (1ull << 2) | (1ull << 5))
#define NOBODY 65534

/* libcap's cap_drop_bound, as the framework calls it: it fails (EIO)
 * for fail_bound, when that is a capability, so a confine fails half-way
 * through the bounding set; otherwise libcap's. */
static cap_value_t fail_bound = -1;

int cap_drop_bound(cap_value_t cap)
{
	static int (*real)(cap_value_t);
	if (cap == fail_bound) {
		errno = EIO;
		return -1;
	}
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "cap_drop_bound");
	if (!real) {
		errno = ENOSYS;
		return -1;
	}
	return real(cap);
}

static int setup(void **s)
{
	(void)s;
	if (cp_setup("/tmp/privsep-chc-XXXXXX") < 0 || mkdir(cp_at("d"), 0700) < 0)
		return -1;
	cp_put("d/secret", "nobody's file\n", 0600);
	if (geteuid() == 0 &&
	    (chown(cp_at("d"), NOBODY, NOBODY) < 0 || chown(cp_at("d/secret"), NOBODY, NOBODY) < 0))
		return -1;
	return 0;
}

static void root_only(void)
{
	if (under_valgrind())
		skip(); /* no seccomp under valgrind */
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root (a normal user's helper holds no "
		                "capability to keep or drop)\n");
		skip();
	}
}

/* body run as a confined helper would be, in a child (root only): it
 * returns 0 */
static void root_child(int (*body)(void))
{
	root_only();
	assert_int_equal(cp_run_child(body), 0);
}

/* A field of /proc/self/status (CapEff, ...) as a number; -1 when absent. */
static int cap_field(const char *name, unsigned long long *v)
{
	char want[32], t[8192];
	const char *p;
	int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, t, sizeof(t) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	t[n] = '\0';
	snprintf(want, sizeof(want), "\n%s:\t", name);
	p = strstr(t, want);
	if (!p)
		return -1;
	*v = strtoull(p + strlen(want), NULL, 16);
	return 0;
}

/* The five sets read from the kernel hold exactly want (CapEff, CapPrm,
 * CapBnd) and nothing (CapInh, CapAmb): 1, else 0, said. */
static int sets_are(unsigned long long want)
{
	static const char *const full[] = {"CapEff", "CapPrm", "CapBnd"};
	static const char *const none[] = {"CapInh", "CapAmb"};
	unsigned long long v;
	int ok = 1;
	for (int i = 0; i < 3; i++)
		if (cap_field(full[i], &v) < 0 || v != want) {
			fprintf(
			    stderr,
			    "the confined helper's %s is %016llx, not %016llx (beyond: %016llx)\n",
			    full[i], v, want, v & ~want);
			ok = 0;
		}
	for (int i = 0; i < 2; i++)
		if (cap_field(none[i], &v) < 0 || v != 0) {
			fprintf(stderr, "the confined helper's %s is %016llx, not empty\n", none[i],
			        v);
			ok = 0;
		}
	return ok;
}

/* A helper confined here holds exactly want of what it held: 0; 2 (no
 * status), 3 (not confined), 4 (other sets). */
static int confined_holds(unsigned long long want)
{
	unsigned long long held;
	if (cap_field("CapPrm", &held) < 0)
		return 2;
	if (!cp_confined_now("version 1\n"))
		return 3;
	/* from here, the helper is the attacker's */
	return sets_are(held & want) ? 0 : 4;
}

static int allow_list_body(void)
{
	return confined_holds(ALLOWED);
}

/* Fails on main (session 10): a confined root helper dropped a
 * deny-list and kept every other capability it had (cap_sys_rawio,
 * cap_sys_module, cap_net_admin, cap_mknod, cap_bpf, cap_syslog, ...). */
static void a_compromised_confined_root_helper_holds_only_the_allow_list(void **s)
{
	(void)s;
	root_child(allow_list_body);
}

static int app_kept_body(void)
{
	/* cap_setuid and cap_setpcap: kept for spawning (httpd's), which
	 * the spawner does; no confined helper keeps them (without
	 * cap_setpcap kept, the bounding set could not be narrowed from
	 * here on).  cap_dac_override: in the allow-list but not kept: it
	 * stays dropped */
	static const char *const keep[] = {"cap_kill",    "cap_net_bind_service",
	                                   "cap_syslog",  "cap_setuid",
	                                   "cap_setpcap", "cap_dac_read_search"};
	const unsigned long long want = (1ull << 5) | (1ull << 10) | (1ull << 34) | (1ull << 2);
	if (privsep_helper_keep_caps(keep, 6) < 0)
		return 5;
	return confined_holds(want);
}

static void a_confined_root_helper_keeps_what_the_application_kept_but_no_spawn_capability(void **s)
{
	(void)s;
	root_child(app_kept_body);
}

static int kmsg_body(void)
{
	int fd;
	struct hx *x = cp_confined_now("version 1\n");
	if (!x)
		return 3;
	/* Landlock lets the helper read /dev/kmsg, and its filter openat
	 * read-only: only the capability stands in the way */
	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd >= 0) {
		char rec[2048];
		ssize_t n = read(fd, rec, sizeof(rec));
		fprintf(stderr,
		        "not refused: /dev/kmsg opened, %zd bytes of the kernel's log read\n", n);
		close(fd);
		return 4;
	}
	if (errno != EPERM && errno != EACCES) {
		fprintf(stderr, "open /dev/kmsg: %s, not EPERM\n", strerror(errno));
		return 5;
	}
	return 0;
}

/* kernel.dmesg_restrict 1 keeps the kernel's log from every process
 * without cap_syslog.  Fails on main: the confined root helper kept
 * cap_syslog and read it (other daemons' audit records, the kernel's
 * messages).  An application that wants a kill no listener hears named
 * from the audit record keeps cap_syslog itself. */
static void a_compromised_confined_root_helper_reads_no_restricted_kernel_log(void **s)
{
	char v[8] = "";
	const char *t;
	(void)s;
	root_only();
	t = cp_text_of("/proc/sys/kernel/dmesg_restrict");
	if (t)
		snprintf(v, sizeof(v), "%s", t);
	if (strcmp(v, "1\n") != 0 || access("/dev/kmsg", R_OK) != 0) {
		fprintf(stderr, "skipped: kernel.dmesg_restrict is not 1 or no /dev/kmsg "
		                "(every process may read the kernel's log)\n");
		skip();
	}
	assert_int_equal(cp_run_child(kmsg_body), 0);
}

/* The worker's side: nobody's 0600 file read, and a file created in
 * nobody's 0700 directory, through the broker. */
static int worker_side(int fd)
{
	struct privsep_client_config cfg = {.msg_max = 8192};
	struct privsep_client *c = privsep_client_new(fd, &cfg);
	struct privsep_result res;
	char buf[64];
	ssize_t n;
	int f;
	if (!c)
		return 10;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, cp_at("d/secret"), O_RDONLY, &res);
	if (f < 0) {
		fprintf(stderr, "read nobody's file: %s (%s)\n", strerror(errno), res.detail);
		return 11;
	}
	n = read(f, buf, sizeof(buf));
	close(f);
	if (n != 14 || memcmp(buf, "nobody's file\n", 14) != 0)
		return 12;
	memset(&res, 0, sizeof(res));
	f = privsep_fs_open(c, cp_at("d/made"), O_WRONLY | O_CREAT | O_EXCL, &res);
	if (f < 0) {
		fprintf(stderr, "create in nobody's directory: %s (%s)\n", strerror(errno),
		        res.detail);
		return 13;
	}
	close(f);
	privsep_client_free(c);
	return 0;
}

static int serve_body(void)
{
	int fd;
	struct hx *x = cp_confined(
	    cp_policy("version 1\nbeneath \"%s/d\" allow read,write,create mode 0600\n", cp_top),
	    &fd);
	if (!x)
		return 2;
	return cp_serve(x, fd, worker_side, NULL, NULL);
}

/* What the allow-list is for: without cap_dac_read_search the open of
 * nobody's 0600 file fails (EACCES), without cap_dac_override the create
 * in nobody's 0700 directory. */
static void a_confined_root_helpers_broker_still_serves_files_of_other_owners(void **s)
{
	(void)s;
	root_only();
	unlink(cp_at("d/made"));
	assert_int_equal(cp_run_child(serve_body), 0);
	assert_int_equal(unlink(cp_at("d/made")), 0);
}

/* The confine fails half-way: the bounding drop of cap_sys_module (16)
 * fails with EIO after those before it that the allow-list does not
 * keep were dropped.  It fails closed: -1 with EIO and one line, the
 * helper not confined (privsep_helper_run goes on unconfined only if the
 * application ignores the -1: httpd and fileopener exit), its spawner
 * stopped, and no set holds a capability it did not hold before (the
 * bounding set has lost some, the permitted set none). */
static int half_body(void)
{
	static const char *const sets[] = {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"};
	unsigned long long before[5], after[5], bnd_only;
	struct hx *x = hx_new(NULL, 0, 0);
	int rc, e;
	if (!x)
		return 2;
	for (int i = 0; i < 5; i++)
		if (cap_field(sets[i], &before[i]) < 0)
			return 2;
	fail_bound = CAP_SYS_MODULE;
	errno = 0;
	rc = privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS);
	e = errno;
	fail_bound = -1;
	if (rc != -1 || e != EIO) {
		fprintf(stderr, "the confine returned %d (%s), not -1 with EIO\n", rc, strerror(e));
		return 3;
	}
	if (x->h->confined || x->h->spawner.sock >= 0 ||
	    !hx_logged(x, "helper: cannot confine: dropping its capabilities: ")) {
		cp_dump(x);
		return 4;
	}
	for (int i = 0; i < 5; i++)
		if (cap_field(sets[i], &after[i]) < 0 || (after[i] & ~before[i])) {
			fprintf(stderr, "%s is %016llx, before %016llx\n", sets[i], after[i],
			        before[i]);
			return 5;
		}
	/* half-way: cap_chown (0), below cap_sys_module and not kept, left
	 * the bounding set, which still has cap_sys_module */
	bnd_only = after[3];
	if ((bnd_only & 1ull) || !(bnd_only & (1ull << CAP_SYS_MODULE)) || after[1] != before[1]) {
		fprintf(stderr, "not half-way: CapBnd %016llx, CapPrm %016llx (before %016llx)\n",
		        after[3], after[1], before[1]);
		return 6;
	}
	hx_free(x);
	return 0;
}

static void a_confine_that_fails_half_way_through_the_capabilities_fails_closed(void **s)
{
	(void)s;
	root_child(half_body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_compromised_confined_root_helper_holds_only_the_allow_list),
	    cmocka_unit_test(
	        a_confined_root_helper_keeps_what_the_application_kept_but_no_spawn_capability),
	    cmocka_unit_test(a_compromised_confined_root_helper_reads_no_restricted_kernel_log),
	    cmocka_unit_test(a_confined_root_helpers_broker_still_serves_files_of_other_owners),
	    cmocka_unit_test(a_confine_that_fails_half_way_through_the_capabilities_fails_closed),
	};
	return cmocka_run_group_tests(tests, setup, cp_teardown);
}
