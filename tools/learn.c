/* SPDX-License-Identifier: ISC */
/*
 * learn.c - privsep-policy learn: run a command with every syscall
 * reported to us through seccomp user notification (and let through), then
 * propose a policy with the syscalls and the argument values it used.
 * The proposal is a start for a human, who reads and narrows it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "learn.h"
#include "policy.h"

#define MAX_NR 512
#define MAX_VALUES 4

struct seen {
	unsigned long calls;
	unsigned order;
	/* per argument: the distinct values, up to MAX_VALUES (more: many) */
	uint64_t v[6][MAX_VALUES];
	unsigned nv[6];
	int many[6];
	uint64_t ored[6]; /* every value's bits */
};

static void note(struct seen *s, const uint64_t *args)
{
	for (int a = 0; a < 6; a++) {
		unsigned k;
		s->ored[a] |= args[a];
		if (s->many[a])
			continue;
		for (k = 0; k < s->nv[a] && s->v[a][k] != args[a]; k++)
			;
		if (k < s->nv[a])
			continue;
		if (s->nv[a] == MAX_VALUES)
			s->many[a] = 1;
		else
			s->v[a][s->nv[a]++] = args[a];
	}
}

/* The child: a filter that notifies us of every syscall but the two that
 * hand us its listener, then the command. */
static void child(int syncr, int syncw, char **cmd)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_NOTIFY);
	int nfd;
	char go;
	if (!ctx || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
	                     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, (uint64_t)syncw)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(read), 1,
	                     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffff, (uint64_t)syncr)) < 0 ||
	    seccomp_load(ctx) < 0)
		_exit(127);
	nfd = seccomp_notify_fd(ctx);
	if (write(syncw, &nfd, sizeof(nfd)) != sizeof(nfd) || read(syncr, &go, 1) != 1)
		_exit(127);
	execvp(cmd[0], cmd);
	_exit(127);
}

static int int_arg_selective(const char *name, const char *arg)
{
	static const char *const good[] = {
	    "flags",   "cmd",    "op",     "prot",  "domain",  "type",     "how",     "option",
	    "request", "advice", "whence", "level", "optname", "futex_op", "clockid", "sig"};
	(void)name;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!strcmp(good[i], arg))
			return 1;
	return 0;
}

/* The name of argument a of syscall from the table, or NULL. */
static const char *arg_name(const char *syscall, unsigned a, char *buf, size_t len)
{
	const char *p = pol_arg_names(syscall);
	for (unsigned i = 0; p && *p; i++) {
		size_t k;
		p += strspn(p, " ");
		k = strcspn(p, " ");
		if (!k)
			break;
		if (i == a) {
			snprintf(buf, len, "%.*s", (int)(k - (p[k - 1] == '%')), p);
			return strncmp(buf, "arg", 3) && strcmp(buf, "(none)") ? buf : NULL;
		}
		p += k;
	}
	return NULL;
}

static void propose(FILE *out, struct seen *seen, char **cmd)
{
	unsigned order[MAX_NR], n = 0;
	fprintf(out, "# proposed by privsep-policy learn from:");
	for (char **c = cmd; *c; c++)
		fprintf(out, " %s", *c);
	fprintf(out, "\n# Every syscall the run made, with the values of its flag-like int\n"
	             "# arguments when it used few.  Read it, narrow it, and write real\n"
	             "# reasons: the ones below only say where a rule came from.\n"
	             "version 1\n\ndefault kill\nunknown errno ENOSYS\n\n");
	for (int nr = 0; nr < MAX_NR; nr++)
		if (seen[nr].calls)
			order[n++] = (unsigned)nr;
	/* in the order of first use */
	for (unsigned i = 1; i < n; i++)
		for (unsigned j = i; j > 0 && seen[order[j]].order < seen[order[j - 1]].order;
		     j--) {
			unsigned t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	for (unsigned i = 0; i < n; i++) {
		int nr = (int)order[i];
		struct seen *s = &seen[nr];
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr), an[32],
		     cond[300] = "";
		const char *reason =
		    pol_dangerous(name ? name : "") ? " because \"learned; review\"" : "";
		if (!name)
			continue;
		fprintf(out, "# %lu call%s\n", s->calls, s->calls > 1 ? "s" : "");
		if (!strcmp(name, "clone3")) {
			fprintf(out, "errno ENOSYS clone3 because \"glibc falls back to clone\"\n");
			free(name);
			continue;
		}
		if (pol_net_learned_errno(name)) {
			/* check reports any allow of it */
			fprintf(
			    out,
			    "errno %s %s because \"learned: check refuses to allow it; review\"\n",
			    pol_net_learned_errno(name), name);
			free(name);
			continue;
		}
		if (!strcmp(name, "mmap") || !strcmp(name, "mprotect")) {
			int exec = 0;
			for (unsigned k = 0; k < s->nv[2]; k++)
				exec |= (s->v[2][k] & 0x4) != 0;
			if (!exec && !s->many[2])
				snprintf(cond, sizeof(cond), " if prot has-none PROT_EXEC");
			else
				reason = " because \"learned: executable memory; review\"";
		}
		/* the first flag-like int argument that took few values
		 * (setsockopt: its level and its option, both) */
		for (unsigned a = 0, premade = cond[0] != 0; a < 6 && !premade; a++) {
			int is32;
			size_t o = strlen(cond);
			if (o && strcmp(name, "setsockopt"))
				break;
			if (s->many[a] || !arg_name(name, a, an, sizeof(an)) ||
			    pol_arg(name, an, &is32) < 0 || !is32 || !int_arg_selective(name, an))
				continue;
			o += (size_t)snprintf(cond + o, sizeof(cond) - o, "%s %s in {",
			                      o ? " and" : " if", an);
			for (unsigned k = 0; k < s->nv[a]; k++)
				o += (size_t)snprintf(
				    cond + o, sizeof(cond) - o, "%s0x%llx", k ? ", " : "",
				    (unsigned long long)(s->v[a][k] & 0xffffffffull));
			snprintf(cond + o, sizeof(cond) - o, "}");
		}
		/* a send whose flags took many values: never MSG_FASTOPEN, unless
		 * the run used it (then check reports the rule) */
		if (!cond[0] &&
		    (!strcmp(name, "sendto") || !strcmp(name, "sendmsg") ||
		     !strcmp(name, "sendmmsg")) &&
		    !(s->ored[!strcmp(name, "sendmsg") ? 2 : 3] & MSG_FASTOPEN))
			snprintf(cond, sizeof(cond), " if flags has-none MSG_FASTOPEN");
		fprintf(out, "allow %s%s%s\n", name, cond, reason);
		free(name);
	}
}

int policy_learn(char **cmd, FILE *out, unsigned long *ncalls)
{
	static struct seen seen[MAX_NR];
	int to_parent[2], to_child[2], nfd, fd = -1, pidfd = -1, st = 0;
	unsigned order = 0;
	pid_t pid;
	struct seccomp_notif *req = NULL;
	struct seccomp_notif_resp *resp = NULL;

	memset(seen, 0, sizeof(seen));
	*ncalls = 0;
	if (pipe2(to_parent, O_CLOEXEC) < 0 || pipe2(to_child, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(to_child[0], to_parent[1], cmd);
	close(to_child[0]);
	close(to_parent[1]);
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0 || read(to_parent[0], &nfd, sizeof(nfd)) != sizeof(nfd) ||
	    (fd = pidfd_getfd(pidfd, nfd, 0)) < 0 || write(to_child[1], "g", 1) != 1 ||
	    seccomp_notify_alloc(&req, &resp) < 0) {
		int e = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = e;
		return -1;
	}
	close(to_parent[0]);
	close(to_child[1]);
	for (;;) {
		struct pollfd p[2] = {{fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents & POLLIN) {
			memset(req, 0, sizeof(*req));
			if (seccomp_notify_receive(fd, req) == 0) {
				int nr = req->data.nr;
				if (nr >= 0 && nr < MAX_NR) {
					if (!seen[nr].calls++)
						seen[nr].order = order++;
					uint64_t a[6];
					for (int k = 0; k < 6; k++)
						a[k] = req->data.args[k];
					note(&seen[nr], a);
				}
				(*ncalls)++;
				memset(resp, 0, sizeof(*resp));
				resp->id = req->id;
				resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
				seccomp_notify_respond(fd, resp); /* ENOENT: the task died */
			}
			continue;
		}
		if (p[1].revents & POLLIN || p[0].revents & (POLLHUP | POLLERR))
			break;
	}
	waitpid(pid, &st, 0);
	seccomp_notify_free(req, resp);
	close(fd);
	close(pidfd);
	propose(out, seen, cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
