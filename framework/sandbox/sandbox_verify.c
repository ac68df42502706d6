/* SPDX-License-Identifier: ISC */
/*
 * sandbox_verify.c - before a worker runs application code, the helper
 * reads from the kernel (/proc/PID/status) that each step it can see there
 * is in force: Seccomp 2 with exactly the filters loaded, NoNewPrivs 1,
 * capability sets empty (and the bounding set, as root), the worker's ids
 * and no groups (as root).  It does not trust the worker's word (READY)
 * nor the code that took the steps: a step that reported success without
 * effect is caught here, whatever the reason.  Landlock is not shown in
 * /proc; the worker's own step 10 asks the kernel for it (open("/") must
 * fail) before its filter forbids the question.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "sandbox.h"
#include "sandbox_verify.h"

/* path's text, NUL-terminated, after a leading newline (so that every
 * field is found as "\nName:").  Its length, or -1 with errno. */
static ssize_t read_status(const char *path, char *buf, size_t cap)
{
	ssize_t n, len = 1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	buf[0] = '\n';
	while ((size_t)len < cap - 1 && (n = read(fd, buf + len, cap - 1 - (size_t)len)) > 0)
		len += n;
	if (n < 0 && (size_t)len < cap - 1) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	buf[len] = '\0';
	return len;
}

/* The text after "Name:" and its tabs, or NULL. */
static const char *field(const char *st, const char *name)
{
	char key[32];
	const char *p;
	snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(st, key);
	if (!p)
		return NULL;
	p += strlen(key);
	while (*p == '\t' || *p == ' ')
		p++;
	return p;
}

/* A number field; -1 if absent or not a number. */
static long long num(const char *st, const char *name, int base)
{
	const char *p = field(st, name);
	char *end;
	long long v;
	if (!p)
		return -1;
	errno = 0;
	v = strtoll(p, &end, base);
	return errno || end == p || (*end != '\n' && *end != '\0') ? -1 : v;
}

/* Uid: or Gid: with all four ids equal to id. */
static int ids_are(const char *st, const char *name, unsigned long id)
{
	const char *p = field(st, name);
	char *end;
	if (!p)
		return 0;
	for (int i = 0; i < 4; i++) {
		errno = 0;
		if (strtoul(p, &end, 10) != id || errno || end == p)
			return 0;
		p = end;
	}
	return *p == '\n';
}

int sandbox_expect(struct sb_expect *e, const struct sb_plan *plan, char *why, size_t whylen)
{
	char st[4096];
	long long own;
	e->root = plan->root;
	e->uid = plan->uid;
	e->gid = plan->gid;
	/* a fork inherits the filters of the thread that forks: none, the
	 * usual case, is known without reading /proc */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0) {
		e->filters = 1;
		return 0;
	}
	if (read_status("/proc/thread-self/status", st, sizeof(st)) < 0) {
		snprintf(why, whylen, "the helper cannot read /proc/thread-self/status: %s",
		         strerror(errno));
		return -1;
	}
	own = num(st, "Seccomp_filters", 10);
	if (own < 0) {
		snprintf(
		    why, whylen,
		    "no Seccomp_filters in /proc/thread-self/status (Linux 5.9 or later needed)");
		errno = ENOTSUP;
		return -1;
	}
	e->filters = (long)own + 1;
	return 0;
}

#define NOT(step, ...)                                                                             \
	do {                                                                                       \
		snprintf(why, whylen, __VA_ARGS__);                                                \
		return step;                                                                       \
	} while (0)

int sandbox_verify(pid_t pid, const struct sb_expect *e, char *why, size_t whylen)
{
	static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapAmb"};
	char path[64], st[4096];
	long long v;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (read_status(path, st, sizeof(st)) < 0)
		NOT(PRIVSEP_SB_STEP_SELFCHECK, "the helper cannot read %s: %s", path,
		    strerror(errno));
	if (e->root) {
		if (!ids_are(st, "Uid", e->uid) || !ids_are(st, "Gid", e->gid))
			NOT(PRIVSEP_SB_STEP_IDS, "%s: the ids are not all %u:%u", path,
			    (unsigned)e->uid, (unsigned)e->gid);
		if (!field(st, "Groups") || *field(st, "Groups") != '\n')
			NOT(PRIVSEP_SB_STEP_IDS, "%s: the worker has supplementary groups", path);
	}
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		if ((v = num(st, caps[i], 16)) != 0)
			NOT(PRIVSEP_SB_STEP_CAPS, "%s: %s is %llx, not empty", path, caps[i], v);
	if (e->root && (v = num(st, "CapBnd", 16)) != 0)
		NOT(PRIVSEP_SB_STEP_CAPS, "%s: CapBnd is %llx, not empty", path, v);
	if ((v = num(st, "NoNewPrivs", 10)) != 1)
		NOT(PRIVSEP_SB_STEP_NNP, "%s: NoNewPrivs is %lld, not 1", path, v);
	if ((v = num(st, "Seccomp", 10)) != 2)
		NOT(PRIVSEP_SB_STEP_SECCOMP, "%s: Seccomp is %lld, not 2 (filter)", path, v);
	if ((v = num(st, "Seccomp_filters", 10)) != e->filters)
		NOT(PRIVSEP_SB_STEP_SECCOMP, "%s: Seccomp_filters is %lld, not %ld", path, v,
		    e->filters);
	return 0;
}
