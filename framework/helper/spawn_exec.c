/* SPDX-License-Identifier: ISC */
/*
 * spawn_exec.c - the helper's side of exec mode: the program's fd, the
 * first filter (the worker's policy, exec.policy's start, and the one
 * execveat), and the unsandboxed exec.  The steps themselves are in
 * framework/sandbox/sandbox_exec.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper_int.h"
#include "policy.h"
#include "sandbox.h"
#include "spawn_exec.h"
#include "spawner.h"

int privsep_exec_open(const char *path)
{
	struct stat st;
	/* O_NONBLOCK: the open never waits (a FIFO for a writer, a file
	 * for a lease's break) and O_NOCTTY takes no terminal; what is not
	 * a regular file is refused before anything reads it */
	int fd = open(path ? path : "/proc/self/exe", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	/* a blocking fd again, as the caller expects of one it reads */
	if (fcntl(fd, F_SETFL, 0) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* a program a confined helper's spawner may start */
	spawner_known_program(fd);
	return fd;
}

char *spawn_exec_policy_text(const char *text, const char *path, const char *abs, int fdn,
                             int foreign, char *name, size_t namelen)
{
	char head[PATH_MAX * 2 + 64], quoted[PATH_MAX * 2 + 8];
	char tail[1024];
	char *out;
	size_t n;

	snprintf(
	    tail, sizeof(tail),
	    "\ninclude <exec.policy>\nallow @exec_start\n%s"
	    "allow execveat if arg0 == %d and arg4 == AT_EMPTY_PATH because \"exec mode's one exec: the program's fd, a number no fd of the new image can have\"\n"
#if defined(__SANITIZE_ADDRESS__)
	    /* AddressSanitizer builds only (the test suite's second
	     * run): its runtime's start reads /proc/self and sets
	     * RLIMIT_CORE; the second filter takes the opens back */
	    "allow open if flags == O_RDONLY because \"AddressSanitizer's start reads /proc/self\"\n"
	    "allow prlimit64 if arg1 == 4 because \"AddressSanitizer sets RLIMIT_CORE\"\n"
#endif
	    ,
	    /* a foreign worker never narrows: no seccomp form, no second
	     * Landlock layer of its own (it could load a filter that hides a
	     * call its policy denies) */
	    foreign ? "" : "allow @exec_narrow\n", fdn);
	/* a policy file is included by its absolute path, under a name of
	 * its own (the file's name would be an include of itself) */
	if (path && !text)
		snprintf(name, namelen, "%s (exec mode)", path);
	else
		snprintf(name, namelen, "%s", path ? path : "");
	if (text) {
		head[0] = '\0';
	} else if (path) {
		if (!abs || abs[0] != '/' ||
		    privsep_policy_quote(abs, quoted, sizeof(quoted)) < 0) {
			errno = EINVAL;
			return NULL;
		}
		snprintf(head, sizeof(head), "version 1\ninclude %s\n", quoted);
		text = "";
	} else {
		/* the shipped default's own text: the policy is named
		 * <default.policy> in messages, and may not include itself */
		head[0] = '\0';
		text = policy_shipped("default.policy");
		if (!text) {
			errno = ENOENT;
			return NULL;
		}
	}
	n = strlen(head) + strlen(text) + strlen(tail) + 1;
	out = malloc(n);
	if (!out)
		return NULL;
	snprintf(out, n, "%s%s%s", head, text, tail);
	return out;
}

int spawn_exec_prepare(struct privsep_helper *h, const struct privsep_spawn *sp,
                       struct sb_plan *plan, int chan, int debug, const struct policy **pol,
                       char *abs, char *why, size_t whylen)
{
	const struct pol_entry *pe;
	const char *text = sp->sandbox ? sp->sandbox->policy_text : NULL;
	const char *path = sp->sandbox ? sp->sandbox->policy : NULL;
	char *t, name[PATH_MAX + 16];

	abs[0] = '\0';
	if (sandbox_exec_prepare(plan, sp->exec, sp->sandbox, sp->name, chan, why, whylen) < 0)
		return -1;
	if (path && !text && !realpath(path, abs)) {
		snprintf(why, whylen, "exec mode's policy: %s: %s", path, strerror(errno));
		return -1;
	}
	t = spawn_exec_policy_text(text, path, abs, plan->exec.fdn,
	                           !!(sp->exec->flags & PRIVSEP_EXEC_FOREIGN), name, sizeof(name));
	if (!t) {
		snprintf(why, whylen, "exec mode's policy: %s", strerror(errno));
		return -1;
	}
	/* its filter only: the broker serves the worker's own policy's
	 * roots, which spawn_plan's lookup opened (and looks at again) */
	pe = helper_policy_filter(h, name[0] ? name : NULL, t, debug, why, whylen);
	free(t);
	if (!pe)
		return -1;
	plan->prog = pol_entry_prog(pe);
	*pol = pol_entry_policy(pe);
	return 0;
}

void spawn_exec_bare(const struct privsep_exec *ex, const char *name, int chan)
{
	const char *av[2] = {name ? name : "worker", NULL};
	const char *ev[1] = {NULL};
	int hi = chan > ex->fd ? chan : ex->fd, c, p;

	c = fcntl(chan, F_DUPFD_CLOEXEC, hi + 1);
	p = c < 0 ? -1 : fcntl(ex->fd, F_DUPFD_CLOEXEC, c + 1);
	if (p < 0 || dup2(c, PRIVSEP_EXEC_CHAN_FD) < 0 ||
	    close_range(PRIVSEP_EXEC_CHAN_FD + 1, (unsigned)p - 1, 0) < 0 ||
	    close_range((unsigned)p + 1, ~0u, 0) < 0)
		_exit(127);
	syscall(SYS_execveat, p, "", ex->argv ? ex->argv : av, ex->envp ? ex->envp : ev,
	        AT_EMPTY_PATH);
	_exit(127);
}
