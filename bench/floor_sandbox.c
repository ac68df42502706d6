/* SPDX-License-Identifier: ISC */
/*
 * floor_sandbox.c - httpd-floor --sandbox: the sandbox httpd's guarantees
 * require, on the floor server (bench/README.md, "`--file-cache 0`,
 * session 12").  Everything is the library's own code; nothing of a
 * ruleset or a filter is copied here.
 *
 * The broker is confined as httpd's helper is: privsep_helper_confine
 * (the public call httpd makes, with httpd's text "include
 * <helper.policy>"), on a helper object that holds httpd's workers'
 * policy as a spawn loads it (helper_policy, internal: what
 * privsep_spawn calls; it opens the broker's root too).  So its Landlock
 * ruleset is confine_ll.c's for httpd's one rule (every right handled,
 * READ_FILE beneath the root, /proc read, /dev/kmsg, /dev/null), its
 * filters unotify_confine's and helper.policy's, its capabilities those
 * httpd keeps (privsep_helper_keep_caps, as root) less confine_caps's
 * drops.  Without the flag PRIVSEP_CONFINE_EXEC_SPAWNS httpd passes: no
 * spawner process (it starts workers; it is on no request's path).
 *
 * Each worker is under what an httpd worker (exec mode) is under once
 * READY: the first filter, httpd's policy text (include <httpd.policy>,
 * beneath ROOT allow read symlinks, built with privsep_policy_append as
 * examples/httpd/reload.c does) with exec mode's start rules
 * (spawn_exec_policy_text, internal), compiled and verified by the
 * helper's cache (helper_policy_filter); then sandbox_narrow (internal:
 * the new image's step, a Landlock layer with no right, its self-check,
 * the second filter).  Differences, none on a request's path: the
 * policy is compiled to kill (httpd's to notify its helper, which kills:
 * the same rules, other return values; here a call outside the policy
 * kills the floor's worker, and bench/httpd.sh says so); no exec, so no
 * first Landlock layer (the loader's reads; a worker opens nothing) and
 * no listener; no namespaces, ids, rlimits, securebits (no check on a
 * worker's calls).
 *
 * --sandbox=landlock and --sandbox=seccomp take one part alone: the
 * broker's Landlock (helper_confine_landlock, internal: the confine's
 * own) or its two filters, the workers' Landlock layer (landlock_restrict
 * with no rule, sandbox_narrow's) or their two filters.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "privsep.h"
#include "filter.h"
#include "helper_int.h"
#include "policy.h"
#include "sandbox.h"
#include "spawn_exec.h"
#include "floor_sandbox.h"

/* the names httpd gives its policies (examples/httpd/httpd.c) */
#define WORKER_POLICY "httpd command line"
#define HELPER_POLICY "httpd helper"
#define HELPER_TEXT "version 1\ninclude <helper.policy>\n"
/* exec mode's one execveat names the program's fd, the worker's
 * RLIMIT_NOFILE: httpd.policy's ceiling; a constant of one rule */
#define EXEC_FDN 4096

/* what httpd keeps as root before it confines its helper */
static const char *const httpd_caps[] = {"cap_dac_read_search", "cap_kill",    "cap_setuid",
                                         "cap_setgid",          "cap_setpcap", "cap_sys_admin",
                                         "cap_sys_chroot"};

static unsigned parts;
static struct privsep_helper *helper;
static const struct filter_prog *worker_prog;

unsigned floor_sandbox_parts(const char *arg)
{
	if (!arg)
		return FLOOR_SB_LANDLOCK | FLOOR_SB_SECCOMP;
	if (!strcmp(arg, "landlock"))
		return FLOOR_SB_LANDLOCK;
	if (!strcmp(arg, "seccomp"))
		return FLOOR_SB_SECCOMP;
	return 0;
}

int floor_sandbox_prepare(unsigned which, const char *rootdir)
{
	char why[512], name[PATH_MAX + 16], root[PATH_MAX], *text = NULL, *first;
	const struct pol_entry *pe;
	parts = which;
	/* httpd's --root is taken as its real path */
	if (!realpath(rootdir, root) ||
	    privsep_policy_append(&text, "include", NULL, "<httpd.policy>") < 0 ||
	    privsep_policy_append(&text, "beneath", root, "allow read symlinks") < 0) {
		fprintf(stderr, "httpd-floor: --sandbox: %s: %s\n", rootdir, strerror(errno));
		return -1;
	}
	helper = privsep_helper_new(NULL, 0, NULL);
	/* the spawn's load: checked, compiled, verified, the root opened */
	pe = helper ? helper_policy(helper, WORKER_POLICY, text, POL_MODE_ENFORCE, why, sizeof(why))
	            : NULL;
	first =
	    pe ? spawn_exec_policy_text(text, WORKER_POLICY, "", EXEC_FDN, 0, name, sizeof(name))
	       : NULL;
	pe = first ? helper_policy_filter(helper, name, first, POL_MODE_ENFORCE, why, sizeof(why))
	           : NULL;
	free(first);
	free(text);
	if (!pe) {
		fprintf(stderr, "httpd-floor: --sandbox: httpd's policy: %s\n",
		        helper ? why : strerror(errno));
		return -1;
	}
	worker_prog = pol_entry_prog(pe);
	return 0;
}

int floor_sandbox_worker(void)
{
	struct landlock_plan ll;
	char why[256] = "no_new_privs";
	int rc = prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	landlock_probe(&ll);
	if (rc == 0 && parts == FLOOR_SB_LANDLOCK) {
		snprintf(why, sizeof(why), "Landlock ABI %d", ll.abi);
		rc = ll.abi ? landlock_restrict(&ll, NULL, NULL) : -1;
	} else if (rc == 0 && parts == FLOOR_SB_SECCOMP) {
		snprintf(why, sizeof(why), "the two filters");
		rc = filter_load(worker_prog) < 0 ? -1 : filter_load_plain(sandbox_narrow_prog());
	} else if (rc == 0) {
		snprintf(why, sizeof(why), "the first filter");
		rc = filter_load(worker_prog);
		if (rc == 0)
			rc = sandbox_narrow(why, sizeof(why));
	}
	if (rc < 0)
		fprintf(stderr, "httpd-floor: a worker's sandbox: %s: %s\n", why, strerror(errno));
	return rc;
}

int floor_sandbox_broker(void)
{
	char why[512];
	const struct pol_entry *pe;
	/* httpd's capabilities first, as it keeps them as root (the
	 * confine then drops the spawn's) */
	if (parts == (FLOOR_SB_LANDLOCK | FLOOR_SB_SECCOMP)) {
		if (geteuid() == 0 &&
		    privsep_helper_keep_caps(httpd_caps,
		                             sizeof(httpd_caps) / sizeof(httpd_caps[0])) < 0) {
			perror("httpd-floor: keeping httpd's capabilities");
			return -1;
		}
		return privsep_helper_confine(helper, HELPER_POLICY, HELPER_TEXT);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		perror("httpd-floor: no_new_privs");
		return -1;
	}
	if (parts == FLOOR_SB_LANDLOCK)
		return helper_confine_landlock(helper); /* it logs why */
	/* the confine's two filters: unotify_confine's (no NOTIF_SEND),
	 * then helper.policy's */
	pe = helper_policy_filter(helper, HELPER_POLICY, HELPER_TEXT, POL_MODE_ENFORCE, why,
	                          sizeof(why));
	if (!pe || unotify_confine(helper) < 0 || filter_load(pol_entry_prog(pe)) < 0) {
		fprintf(stderr, "httpd-floor: the broker's filter: %s\n",
		        pe ? strerror(errno) : why);
		return -1;
	}
	return 0;
}
