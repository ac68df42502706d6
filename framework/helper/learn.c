/* SPDX-License-Identifier: ISC */
/*
 * learn.c - learn mode for one worker (PRIVSEP_SB_LEARN): every call its
 * policy would kill reaches the helper through the worker's seccomp
 * listener (unotify.c), is recorded with its arguments and let through
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE), and at the end the daemon asks for
 * a proposal: the policy's own text, then one rule per call learned.
 *
 * Not a security boundary: CONTINUE lets the call run as the worker made
 * it, and a call whose arguments are pointers (a path) can be changed by
 * another thread after the helper looked (seccomp_unotify(2)).  The
 * helper says so when such a worker starts.  Only the worker's calls are
 * seen: the listener belongs to its filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <limits.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "helper_int.h"
#include "policy.h"

#define LEARN_VALUES 4 /* distinct values kept per argument; more: many */

/* One syscall the worker made that its policy would have killed. */
struct learn_call {
	struct learn_call *next;
	uint32_t arch;
	int nr;
	unsigned long calls;
	uint64_t v[6][LEARN_VALUES];
	unsigned nv[6];
	int many[6];
};

struct learn_state {
	struct learn_call *calls, **tail;
	char *head; /* the policy's own text, or an include of it */
	/* calls of a number no table names: counted, never one entry each
	 * (a worker calling syscall(n) for every n would grow the helper) */
	unsigned long unnamed;
};

static void note(struct learn_call *c, const uint64_t *args)
{
	c->calls++;
	for (int a = 0; a < 6; a++) {
		unsigned k;
		if (c->many[a])
			continue;
		for (k = 0; k < c->nv[a] && c->v[a][k] != args[a]; k++)
			;
		if (k < c->nv[a])
			continue;
		if (c->nv[a] == LEARN_VALUES)
			c->many[a] = 1;
		else
			c->v[a][c->nv[a]++] = args[a];
	}
}

int learn_begin(struct privsep_worker *w, const struct privsep_sandbox *sb)
{
	struct learn_state *s = calloc(1, sizeof(*s));
	char abs[PATH_MAX];
	size_t n;
	if (!s)
		return -1;
	s->tail = &s->calls;
	if (sb && sb->policy_text) {
		s->head = strdup(sb->policy_text);
	} else if (sb && sb->policy) {
		if (!realpath(sb->policy, abs)) {
			free(s);
			return -1;
		}
		n = strlen(abs) + 32;
		s->head = malloc(n);
		if (s->head)
			snprintf(s->head, n, "version 1\ninclude \"%s\"\n", abs);
	} else {
		s->head = strdup("version 1\ninclude <default.policy>\n");
	}
	if (!s->head) {
		free(s);
		return -1;
	}
	w->un.learn = s;
	log_line(
	    w->h->log, w->h->log_arg, PRIVSEP_LOG_WARN,
	    "worker \"%s\" pid %d: LEARN MODE: every call its policy would kill is let through and recorded; this worker is NOT sandboxed by its filter (learn mode is not a security boundary)",
	    w->name, (int)w->pid);
	return 0;
}

void learn_free(struct privsep_worker *w)
{
	struct learn_state *s = w->un.learn;
	if (!s)
		return;
	while (s->calls) {
		struct learn_call *c = s->calls;
		s->calls = c->next;
		free(c);
	}
	free(s->head);
	free(s);
	w->un.learn = NULL;
}

/* The call's name (malloc'd), NULL if libseccomp does not know it. */
static char *name_of(uint32_t arch, int nr)
{
	return seccomp_syscall_resolve_num_arch(arch, nr);
}

void learn_notified(struct privsep_worker *w, int fd, const struct seccomp_notif *req,
                    struct seccomp_notif_resp *resp)
{
	struct learn_state *s = w->un.learn;
	struct learn_call *c = NULL;
	uint64_t a[6];
	for (int i = 0; i < 6; i++)
		a[i] = req->data.args[i];
	for (c = s ? s->calls : NULL; c; c = c->next)
		if (c->nr == req->data.nr && c->arch == req->data.arch)
			break;
	if (s && !c) {
		char *name = name_of(req->data.arch, req->data.nr);
		if (!name) {
			if (!s->unnamed++)
				log_line(
				    w->h->log, w->h->log_arg, PRIVSEP_LOG_WARN,
				    "worker \"%s\" pid %d: learn: syscall %d, a number no table "
				    "names, let through (the kernel answers ENOSYS); such calls "
				    "are counted, not listed",
				    w->name, (int)w->pid, req->data.nr);
			goto answer;
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			free(name);
			goto answer;
		}
		c->arch = req->data.arch;
		c->nr = req->data.nr;
		*s->tail = c;
		s->tail = &c->next;
		log_line(w->h->log, w->h->log_arg, PRIVSEP_LOG_WARN,
		         "worker \"%s\" pid %d: learn: %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, "
		         "0x%llx), syscall %d, is not in its policy; let through",
		         w->name, (int)w->pid, name ? name : "?", (unsigned long long)a[0],
		         (unsigned long long)a[1], (unsigned long long)a[2],
		         (unsigned long long)a[3], (unsigned long long)a[4],
		         (unsigned long long)a[5], req->data.nr);
		free(name);
	}
	if (c)
		note(c, a);
answer:
	/* what makes it a learn mode and not a sandbox: the call runs */
	memset(resp, 0, sizeof(*resp));
	resp->id = req->id;
	resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	/* the ioctl, as unotify.c receives: ENOENT (the thread was
	 * interrupted or killed since; an interrupted call comes again) */
	(void)ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
}

/* The values argument a took, as a comment. */
static void put_values(FILE *f, const struct learn_call *c, int a)
{
	fprintf(f, " arg%d", a);
	if (c->many[a]) {
		fprintf(f, " many");
		return;
	}
	for (unsigned k = 0; k < c->nv[a]; k++)
		fprintf(f, "%s0x%llx", k ? "|" : " ", (unsigned long long)c->v[a][k]);
}

/* Why the filter pol refused c's first call, in the words of the
 * violation line (policy_explain), for a person to widen by hand. */
static void put_denied(FILE *f, const struct privsep_worker *w, const struct learn_call *c,
                       const struct policy *pol)
{
	char why[768];
	uint64_t first[6];
	/* each argument's first value is the first call's */
	for (int a = 0; a < 6; a++)
		first[a] = c->v[a][0];
	policy_explain(pol, w->spawn.debug, c->nr, first, why, sizeof(why));
	fprintf(f, "# (the first call was denied by %s: widen those rules by hand)\n", why);
}

int privsep_worker_learned(const struct privsep_worker *w, int fd)
{
	const struct learn_state *s = w ? w->un.learn : NULL;
	const struct policy *pol = w ? exit_refusing_policy(w) : NULL;
	char *text = NULL;
	size_t len = 0, off = 0;
	FILE *f;
	if (!s || fd < 0) {
		errno = EINVAL;
		return -1;
	}
	/* built in memory, then written: no call a confined helper may not
	 * make (helper.policy has write, not dup or open) */
	f = open_memstream(&text, &len);
	if (!f)
		return -1;
	fprintf(f,
	        "# Proposed by privsep's learn mode from worker \"%s\": its policy, then\n"
	        "# one rule for each call it made that the policy would have killed, with\n"
	        "# the argument values seen.  Review every learned rule and narrow it.\n",
	        w->name);
	fputs(s->head, f);
	if (s->head[0] && s->head[strlen(s->head) - 1] != '\n')
		fputc('\n', f);
	for (const struct learn_call *c = s->calls; c; c = c->next) {
		char *name = name_of(c->arch, c->nr);
		fprintf(f, "# learned: %s, %lu call%s;", name ? name : "?", c->calls,
		        c->calls > 1 ? "s" : "");
		for (int a = 0; a < 6; a++)
			put_values(f, c, a);
		fputc('\n', f);
		if (!name || c->arch != (uint32_t)seccomp_arch_native())
			fprintf(f, "# (syscall %d of architecture 0x%x: no rule can allow it)\n",
			        c->nr, c->arch);
		else if (pol && policy_rules_for(pol, c->nr, 0))
			/* the filter that refused it has rules for it (the
			 * worker's own, or exec mode's): an allow of every
			 * call beside them would overlap them, or shadow
			 * exec mode's (check refuses that); a person widens
			 * the ones the violation line would name instead */
			put_denied(f, w, c, pol);
		else
			fprintf(f, "allow %s because \"learned; review\"\n", name);
		free(name);
	}
	if (s->unnamed)
		fprintf(
		    f, "# learned: %lu call%s of numbers no table names (no rule can allow them)\n",
		    s->unnamed, s->unnamed > 1 ? "s" : "");
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(text);
			return -1;
		}
		off += (size_t)n;
	}
	free(text);
	return 0;
}
