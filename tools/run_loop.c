/* SPDX-License-Identifier: ISC */
/*
 * run_loop.c - privsep-run's run: the policy from the options, the
 * sandbox (exec mode, with a second filter whose listener comes back to
 * this process), and one loop that answers the program's path calls
 * (fs_notify_serve) and copies its standard output and error to ours,
 * until the program has exited and its output is done.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_notify.h"
#include "policy.h"
#include "privsep.h"
#include "run.h"
#include "run_learn.h"
#include "sandbox.h"

extern char **environ;

#define RUN_POLICY_NAME "privsep-run" /* the policy text's name in its rules */

static const char *const grants[] = {
    [RUN_READ] = "allow read,stat",
    [RUN_READ_BENEATH] = "allow read,stat,readlink symlinks directory",
    [RUN_WRITE_BENEATH] =
        "allow read,write,create,truncate,stat,readlink mode 0644 symlinks directory",
    [RUN_EXEC] = "allow read,stat",
};

/* The policy text: <run.policy>, --policy, the options' file rules, the
 * command's own, children when something else may be executed, and the
 * one execveat of exec mode (of fd fdn).  NULL, the line said. */
static char *policy_text(const struct run_opts *o, int fdn)
{
	char *t = NULL, *nt, rule[160], abs[PATH_MAX];
	int children = 0, k;
	size_t have;
	if (privsep_policy_append(&t, "include", NULL, "<run.policy>") < 0)
		goto fail;
	if (o->policy) {
		size_t n = strlen(o->policy);
		int shipped = n > 2 && o->policy[0] == '<' && o->policy[n - 1] == '>';
		if (!shipped && !realpath(o->policy, abs)) {
			fprintf(stderr, "privsep-run: --policy %s: %s\n", o->policy,
			        strerror(errno));
			free(t);
			return NULL;
		}
		if (privsep_policy_append(&t, "include", shipped ? NULL : abs,
		                          shipped ? o->policy : NULL) < 0)
			goto fail;
	}
	if (privsep_policy_append(&t, "path", o->prog, grants[RUN_EXEC]) < 0)
		goto fail;
	for (size_t i = 0; i < o->npaths; i++) {
		const struct run_path *p = &o->paths[i];
		if (privsep_policy_append(
		        &t, p->kind == RUN_READ || p->kind == RUN_EXEC ? "path" : "beneath",
		        p->path, grants[p->kind]) < 0)
			goto fail;
		children |= p->kind == RUN_EXEC;
	}
	if (children && privsep_policy_append(&t, "allow", NULL, "@children") < 0)
		goto fail;
	/* with its reason, as check asks of an execveat rule: written here
	 * (privsep_policy_append takes no quoted word after the rule's) */
	have = strlen(t);
	k = snprintf(rule, sizeof(rule),
	             "allow execveat if arg0 == %d and arg4 == AT_EMPTY_PATH because "
	             "\"privsep-run executes the program from its fd\"\n",
	             fdn);
	if (k < 0 || (size_t)k >= sizeof(rule)) {
		errno = ENAMETOOLONG;
		goto fail;
	}
	if (!(nt = realloc(t, have + (size_t)k + 1)))
		goto fail;
	t = nt;
	memcpy(t + have, rule, (size_t)k + 1);
	return t;
fail:
	fprintf(stderr, "privsep-run: the policy's text: %s\n", strerror(errno));
	free(t);
	return NULL;
}

/* The policy text's own execveat rule (policy_text's last line, loaded
 * with fd 0) made to name fd fdn: the fd's number is the policy's nofile
 * limit, which only the loaded policy knows, and one load is spared (the
 * text is parsed once, <run.policy> and --policy included).  0, or -1
 * when the rule is not exactly once where the text put it. */
static int set_exec_fd(struct policy *pol, int fdn)
{
	struct pol_rule *hit = NULL;
	for (size_t i = 0; i < pol->nrules; i++) {
		struct pol_rule *r = &pol->rules[i];
		if (strcmp(r->syscall, "execveat") != 0 || !r->loc.file ||
		    strcmp(r->loc.file, RUN_POLICY_NAME) != 0)
			continue;
		if (hit || r->ncond != 2 || r->cond[0].arg != 0 || r->cond[0].op != P_EQ ||
		    r->cond[0].val != 0)
			return -1;
		hit = r;
	}
	if (!hit)
		return -1;
	hit->cond[0].val = (uint64_t)fdn;
	return 0;
}

static void diag(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "privsep-run: policy: %s\n", msg);
}

static void root_warn(void *arg, const struct pol_file *f, int err)
{
	(void)arg;
	if (err != ENOENT) /* /lib64 is not on every system */
		fprintf(stderr, "privsep-run: %s:%d: beneath \"%s\": %s; it refuses every path\n",
		        f->loc.file, f->loc.line, f->path, strerror(err));
}

struct loop {
	const struct run_opts *o;
	const char *name;
	struct run_learn *learn; /* --learn, else NULL */
};

static void learn_other(void *arg, int nr, const uint64_t *args)
{
	const struct loop *l = arg;
	run_learn_call(l->learn, nr, args);
}

static const char *op_name(int op)
{
	return op == FS_OP_OPEN     ? "open"
	       : op == FS_OP_STAT   ? "stat"
	       : op == FS_OP_ACCESS ? "access"
	                            : "readlink";
}

/* One line per refusal by the rules (EACCES), or per call with
 * --verbose: the path is the program's, so it is printed escaped. */
static void report(void *arg, const struct fs_notify_event *ev)
{
	const struct loop *l = arg;
	char path[PATH_MAX * 4 + 1];
	size_t o = 0;
	if (l->learn)
		run_learn_file(l->learn, ev);
	if (!l->o->verbose && ev->err != EACCES)
		return;
	for (const char *s = ev->path; *s && o + 5 < sizeof(path); s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\')
			o += (size_t)snprintf(path + o, sizeof(path) - o, "\\x%02x", c);
		else
			path[o++] = (char)c;
	}
	path[o] = '\0';
	if (ev->err)
		fprintf(stderr, "privsep-run: %s: %s \"%s\": refused, %s (%s)\n", l->name, ev->call,
		        path, strerror(ev->err), ev->detail);
	else
		fprintf(stderr, "privsep-run: %s: %s \"%s\": %s %s\n", l->name, ev->call, path,
		        op_name(ev->op), ev->detail);
}

/* Copy what is in fd to out; 0 at the end (or an error), 1 otherwise. */
static int copy(int fd, int out)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 1;
	if (n <= 0)
		return 0;
	for (ssize_t w = 0; w < n;) {
		ssize_t k = write(out, buf + w, (size_t)(n - w));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return 1; /* our output is gone: the program's is dropped */
		w += k;
	}
	return 1;
}

/* The listener, or -1 with the child's reason said. */
static int take_listener(int sock, const char *name, char *why, size_t whylen)
{
	char cbuf[CMSG_SPACE(sizeof(int))], byte[512];
	struct iovec iov = {byte, sizeof(byte) - 1};
	struct msghdr mh = {0};
	struct cmsghdr *c;
	ssize_t n;
	int fd = -1;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	do
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (c = n > 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (fd >= 0)
		return fd;
	byte[n > 0 ? n : 0] = '\0';
	snprintf(why, whylen, "%s: the sandbox could not be entered: %s", name,
	         n > 0 ? byte : "the child ended first");
	return -1;
}

/* In the child: the sandbox, then the exec; never returns.  A failure
 * is said on the socket (fd 3 from step 1 on). */
static void child(struct sb_plan *plan, int sock, int out, int err)
{
	char why[400];
	int step;
	if (dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(RUN_EXIT_FAILED);
	step = sandbox_enter(plan, why, sizeof(why));
	if (send(PRIVSEP_EXEC_CHAN_FD, why, strlen(why), MSG_NOSIGNAL) < 0)
		(void)!send(sock, why, strlen(why), MSG_NOSIGNAL);
	_exit(step == PRIVSEP_SB_STEP_EXEC ? RUN_EXIT_CANNOT : RUN_EXIT_FAILED);
}

static int wait_status(int st, const char *name)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WTERMSIG(st) == SIGSYS)
		fprintf(
		    stderr,
		    "privsep-run: %s was killed by its filter (SIGSYS): a system call its policy does not allow (privsep-run --learn shows which)\n",
		    name);
	return 128 + WTERMSIG(st);
}

int run(const struct run_opts *o)
{
	struct policy *pol = NULL, *fpol = NULL, *base = NULL;
	struct run_learn *learn = NULL;
	int more_calls[512];
	size_t nmore_calls = 0;
	struct filter_prog prog = {0}, nprog = {0};
	struct fs_root roots = {0};
	struct sb_plan plan;
	struct privsep_exec ex = {0};
	const char **more = NULL, **exec = NULL;
	char(*interp)[256] = NULL;
	size_t nmore = 0, nexec = 0;
	unsigned long verified = 0;
	char ibuf[PATH_MAX];
	char why[512], *text = NULL;
	int sock[2] = {-1, -1}, outp[2] = {-1, -1}, errp[2] = {-1, -1}, lfd = -1, pfd = -1;
	int rc = RUN_EXIT_FAILED, fdn, prepared = 0;
	const char *name = strrchr(o->prog, '/') ? strrchr(o->prog, '/') + 1 : o->prog;
	pid_t pid;

	ex.fd = privsep_exec_open(o->prog);
	if (ex.fd < 0) {
		fprintf(stderr, "privsep-run: %s: %s\n", o->prog, strerror(errno));
		return RUN_EXIT_CANNOT;
	}
	/* only an ELF program of this machine is executed from its fd (a
	 * script's interpreter would need its name): cannot be run, 126 */
	if (sandbox_elf_interp(ex.fd, ibuf, sizeof(ibuf)) < 0 && errno == ENOEXEC) {
		fprintf(stderr,
		        "privsep-run: %s: not an ELF program of this machine (a script runs with "
		        "its interpreter as COMMAND)\n",
		        o->prog);
		close(ex.fd);
		return RUN_EXIT_CANNOT;
	}
	/* the worker's nofile limit is the program fd's number: the
	 * policy is loaded with 0 in the execveat rule, then the rule set */
	text = policy_text(o, 0);
	pol = text ? policy_load(RUN_POLICY_NAME, text, diag, NULL) : NULL;
	if (!pol)
		goto out;
	fdn = pol->have_rlimit[POL_RL_NOFILE] ? (int)pol->rlimit[POL_RL_NOFILE] : 1024;
	if (set_exec_fd(pol, fdn) < 0) {
		fprintf(stderr,
		        "privsep-run: the policy's execveat rule is not where it was put\n");
		goto out;
	}
	/* what the helper asks of a worker's policy (and privsep-policy run
	 * of its own): no finding of check; the filter verified below */
	if (policy_check(pol, diag, NULL) != 0) {
		fprintf(stderr, "privsep-run: the policy is not loaded: check must pass (each "
		                "finding above)\n");
		goto out;
	}
	fpol = pol;
	if (o->learn) {
		/* permissive: every call allowed (those pol would not allow
		 * outright sent here too and noted), every file readable
		 * beneath / (writes only where the options say) */
		static const char ftext[] =
		    "beneath \"/\" allow read,stat,readlink symlinks directory\n";
		char ptext[192], *t;
		size_t n = strlen(text);
		snprintf(ptext, sizeof(ptext),
		         "version 1\ndefault allow\nrlimit nofile %d\nrlimit nproc 512\n", fdn);
		learn = run_learn_new(pol);
		nmore_calls = run_learn_calls(pol, more_calls, 512);
		if (!learn || !(t = realloc(text, n + sizeof(ftext))))
			goto out;
		text = t;
		memcpy(text + n, ftext, sizeof(ftext));
		fpol = policy_load("privsep-run --learn", text, diag, NULL);
		if (!fpol)
			goto out;
		base = pol; /* the rules given: learn's measure */
		pol = policy_load("privsep-run --learn (syscalls)", ptext, diag, NULL);
		if (!pol)
			goto out;
	}
	if (policy_compile(pol, &prog, 0, diag, NULL) < 0 ||
	    fs_notify_filter(&nprog, more_calls, nmore_calls) < 0) {
		fprintf(stderr, "privsep-run: the filters: %s\n", strerror(errno));
		goto out;
	}
	if (policy_verify(pol, &prog, 0, diag, NULL, &verified) != 0) {
		fprintf(stderr, "privsep-run: the policy is not loaded: its compiled filter "
		                "and its rules disagree (each call above)\n");
		goto out;
	}
	if (fs_roots_open(&roots, fpol, root_warn, NULL) < 0)
		goto out;
	/* what Landlock lets the program execute besides itself: the
	 * --allow-exec files and their ELF interpreters; access(X_OK)
	 * answers yes for the same */
	more = calloc(2 * o->npaths + 1, sizeof(*more));
	exec = calloc(o->npaths + 1, sizeof(*exec));
	interp = calloc(o->npaths + 1, sizeof(*interp));
	if (!more || !exec || !interp)
		goto out;
	exec[nexec++] = o->prog;
	for (size_t i = 0; i < o->npaths; i++) {
		int fd;
		if (o->paths[i].kind != RUN_EXEC)
			continue;
		fd = open(o->paths[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || sandbox_elf_interp(fd, interp[i], sizeof(interp[i])) < 0)
			interp[i][0] =
			    '\0'; /* a script: its interpreter needs its own --allow-exec */
		if (fd >= 0)
			close(fd);
		more[nmore++] = o->paths[i].path;
		if (interp[i][0])
			more[nmore++] = interp[i];
		exec[nexec++] = o->paths[i].path;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0 ||
	    pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		fprintf(stderr, "privsep-run: %s\n", strerror(errno));
		goto out;
	}
	ex.argv = (const char *const *)o->argv;
	ex.envp = (const char *const *)environ;
	ex.flags = PRIVSEP_EXEC_FOREIGN;
	if (sandbox_prepare(&plan, NULL, pol, &prog, sock[1], why, sizeof(why)) < 0 ||
	    (prepared = 1,
	     sandbox_exec_prepare(&plan, &ex, NULL, name, sock[1], why, sizeof(why)) < 0)) {
		fprintf(stderr, "privsep-run: the sandbox: %s\n", why);
		goto out;
	}
	plan.pipe_out = plan.pipe_err = 1;
	plan.notify = &nprog;
	plan.exec.exec_more = more;
	plan.exec.nexec_more = nmore;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "privsep-run: fork: %s\n", strerror(errno));
		goto out;
	}
	if (pid == 0)
		child(&plan, sock[1], outp[1], errp[1]);
	close(sock[1]);
	close(outp[1]);
	close(errp[1]);
	sock[1] = outp[1] = errp[1] = -1;
	pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	lfd = take_listener(sock[0], name, why, sizeof(why));
	if (lfd < 0)
		fprintf(stderr, "privsep-run: %s\n", why);
	else
		(void)fs_notify_sync_wakeup(lfd); /* before 6.6: woken as before */
	{
		struct loop l = {o, name, learn};
		struct fs_notify n = {.listener = lfd,
		                      .pol = fpol,
		                      .roots = &roots,
		                      .exec = (const char *const *)exec,
		                      .nexec = nexec,
		                      .report = report,
		                      .arg = &l,
		                      .other = learn ? learn_other : NULL};
		struct pollfd p[5] = {{lfd, POLLIN, 0},
		                      {sock[0], POLLIN, 0},
		                      {outp[0], POLLIN, 0},
		                      {errp[0], POLLIN, 0},
		                      {pfd, POLLIN, 0}};
		int st = 0, exited = 0;
		while (!exited || p[2].fd >= 0 || p[3].fd >= 0) {
			if (poll(p, 5, -1) < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (p[0].revents & POLLIN)
				fs_notify_serve(&n);
			else if (p[0].revents)
				p[0].fd = -1; /* every process under the filter is gone */
			if (p[1].revents) {
				char line[512];
				ssize_t k = recv(sock[0], line, sizeof(line) - 1, MSG_DONTWAIT);
				if (k > 0) {
					line[k] = '\0';
					fprintf(stderr, "privsep-run: %s: %s\n", name, line);
				}
				if (k == 0 || (k < 0 && errno != EAGAIN))
					p[1].fd = -1; /* the exec closed it: it ran */
			}
			for (int i = 2; i <= 3; i++)
				if (p[i].revents && !copy(p[i].fd, i - 1))
					p[i].fd = -1;
			if (p[4].revents || (pfd < 0 && !exited)) {
				if (waitpid(pid, &st, pfd < 0 ? 0 : WNOHANG) == pid) {
					exited = 1;
					p[4].fd = -1;
				}
			}
		}
		if (!exited)
			waitpid(pid, &st, 0);
		rc = lfd < 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? RUN_EXIT_FAILED
		                                                      : wait_status(st, name);
		if (learn && lfd >= 0) {
			if (run_learn_write(learn, o->learn, o->argv) < 0) {
				fprintf(stderr, "privsep-run: --learn %s: %s\n", o->learn,
				        strerror(errno));
				rc = RUN_EXIT_FAILED;
			} else {
				fprintf(
				    stderr,
				    "privsep-run: %s: a policy proposed in %s; review it, then run with --policy %s\n",
				    name, o->learn, o->learn);
			}
		}
	}
out:
	if (prepared)
		sandbox_release(&plan);
	for (int i = 0; i < 2; i++) {
		if (sock[i] >= 0)
			close(sock[i]);
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	if (lfd >= 0)
		close(lfd);
	if (pfd >= 0)
		close(pfd);
	close(ex.fd);
	fs_roots_close(&roots);
	filter_prog_free(&prog);
	filter_prog_free(&nprog);
	run_learn_free(learn);
	if (base)
		policy_free(base);
	if (fpol && fpol != pol && fpol != base)
		policy_free(fpol);
	if (pol)
		policy_free(pol);
	free(text);
	free(more);
	free(exec);
	free(interp);
	return rc;
}
