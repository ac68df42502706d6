/* SPDX-License-Identifier: ISC */
/*
 * spawn.c - starting a worker: a channel, a fork, a pidfd, and in the
 * child the sandbox before any application code.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "chan.h"
#include "helper_int.h"
#include "proto.h"
#include "sandbox.h"
#include "spawn_exec.h"
#include "wire.h"

/* The child's channel, for the SIGSYS handler of the debug mode. */
static int child_chan = -1;

/* One framework one-way record, sent from the child with no allocation. */
static void child_post(uint32_t type, const void *payload, size_t len)
{
	uint8_t hb[PRIVSEP_HDR_LEN];
	struct wire_hdr hdr = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, type, 0, (uint32_t)len};
	wire_put_hdr(hb, &hdr);
	(void)chan_send(child_chan, hb, sizeof(hb), payload, len, NULL, 0, 0);
}

/* READY is a call: the helper reads from the kernel that every step is
 * in force (sandbox_verify.c) before it answers, and sends nothing before
 * that answer.  Anything but an empty success ends the worker before
 * application code.  0 or -1. */
static int child_ready(size_t msg_max)
{
	uint8_t hb[PRIVSEP_HDR_LEN], rb[PRIVSEP_HDR_LEN + 8 + PRIVSEP_DETAIL_MAX];
	struct wire_hdr hdr = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, PRIVSEP_T_READY, 1, 0};
	struct chan_msg m = {.buf = rb, .cap = sizeof(rb)};
	wire_put_hdr(hb, &hdr);
	if (chan_send(child_chan, hb, sizeof(hb), NULL, 0, NULL, 0, 0) < 0 ||
	    chan_recv(child_chan, &m, 0) != CHAN_RECORD)
		return -1;
	chan_close_fds(m.fds, m.nfds);
	if (wire_check(rb, m.len, m.nfds, msg_max, &hdr) != PRIVSEP_V_NONE ||
	    hdr.type != PRIVSEP_T_REPLY || hdr.id != 1 || hdr.len != PROTO_REPLY_FIXED ||
	    hdr.nfds != 0)
		return -1;
	return rb[PRIVSEP_HDR_LEN] | rb[PRIVSEP_HDR_LEN + 1] | rb[PRIVSEP_HDR_LEN + 2] |
	               rb[PRIVSEP_HDR_LEN + 3]
	           ? -1
	           : 0;
}

/* Debug mode: the filter traps instead of killing.  Report the call and
 * its arguments to the helper, then exit; async-signal-safe throughout
 * (no allocation, no locks, sendmsg and exit_group only). */
static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint8_t buf[56];
	struct privsep_writer w;
	(void)sig;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, si->si_arch);
	privsep_writer_put_u32(&w, (uint32_t)si->si_syscall);
#if defined(__x86_64__)
	const greg_t *g = uc->uc_mcontext.gregs;
	const int regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};
	for (int i = 0; i < 6; i++)
		privsep_writer_put_u64(&w, (uint64_t)g[regs[i]]);
#else
	(void)uc;
	for (int i = 0; i < 6; i++)
		privsep_writer_put_u64(&w, 0);
#endif
	child_post(PRIVSEP_T_SECCOMP_TRAP, buf, w.len);
	_exit(128 + SIGSYS);
}

/* The child's fds 0, 1 and 2: /dev/null, or the pipes to the helper (outw
 * for standard output, logw for standard error; -1: /dev/null).  Never
 * one of the helper's: not its terminal, its socket, its log, nor an fd
 * the application left there.  -1 on failure. */
static int child_stdio(int outw, int logw)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0 && null <= STDERR_FILENO) {
		int hi = fcntl(null, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
		close(null);
		null = hi;
	}
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
	    dup2(outw >= 0 ? outw : null, STDOUT_FILENO) < 0 ||
	    dup2(logw >= 0 ? logw : null, STDERR_FILENO) < 0)
		return -1;
	close(null);
	if (outw > STDERR_FILENO)
		close(outw);
	if (logw > STDERR_FILENO)
		close(logw);
	return 0;
}

/* Runs in the child; never returns. */
static void worker_child(struct privsep_helper *h, int chan, int outw, int logw,
                         const struct privsep_spawn *sp, const struct sb_plan *plan)
{
	size_t msg_max = helper_msg_max(h);
	struct privsep_client_config cfg = sp->client;
	struct privsep_client *c;
	char why[PRIVSEP_DETAIL_MAX - 1];
	int rc;

	child_chan = chan;
	/* other workers' last requests and replies are in these buffers */
	helper_scrub(h);
	/* standard input and output from /dev/null, standard error the pipe
	 * to the helper's log (spawn_worker put the channel and the pipes
	 * above fd 2) */
	if (chan <= STDERR_FILENO || child_stdio(outw, logw) < 0)
		_exit(127);
	/* glibc's stdio asks whether fd 0 or 1 is a terminal (ioctl TCGETS)
	 * when it first gives the stream a buffer, and /dev/null is a
	 * character device: a policy need not allow that ioctl, so the
	 * buffers are settled now, before the sandbox (neither is ever a
	 * terminal).  Standard error is unbuffered: it never asks. */
	(void)setvbuf(stdin, NULL, _IOFBF, 0);
	(void)setvbuf(stdout, NULL, _IOFBF, 0);
	/* The helper's signal handlers and mask mean nothing here. */
	{
		sigset_t all;
		for (int sig = 1; sig < NSIG; sig++)
			if (sig != SIGKILL && sig != SIGSTOP)
				signal(sig, SIG_DFL);
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
	}
	if (plan) {
		if (plan->flags & PRIVSEP_SB_DEBUG) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			sa.sa_sigaction = on_sigsys;
			sa.sa_flags = SA_SIGINFO;
			sigemptyset(&sa.sa_mask);
			sigaction(SIGSYS, &sa, NULL);
		}
		rc = sandbox_enter(plan, why, sizeof(why));
		if (rc != 0) {
			uint8_t buf[8 + 4 + PRIVSEP_DETAIL_MAX];
			struct privsep_writer w;
			int err = errno;
			/* exec mode: step 1 moved the channel to its fixed fd */
			if (plan->exec.on && rc > PRIVSEP_SB_STEP_FDS)
				child_chan = PRIVSEP_EXEC_CHAN_FD;
			privsep_writer_init(&w, buf, sizeof(buf));
			privsep_writer_put_u32(&w, (uint32_t)rc);
			privsep_writer_put_u32(&w, (uint32_t)err);
			privsep_writer_put_str(&w, why);
			child_post(PRIVSEP_T_SANDBOX_FAILED, buf, w.len);
			_exit(127);
		}
	} else {
		/* unsandboxed: still no fd of the helper's but the channel */
		int keep[4] = {0, 1, 2, chan};
		if (sp->exec)
			spawn_exec_bare(sp->exec, sp->name, chan);
		if (chan <= 2 || sandbox_close_fds(keep, 4) < 0)
			_exit(127);
	}
	if (plan && child_ready(msg_max) < 0)
		_exit(127);
	cfg.msg_max = msg_max;
	if (!cfg.table) {
		cfg.table = h->app;
		cfg.n = h->napp;
	}
	c = privsep_client_new(chan, &cfg);
	if (!c)
		_exit(127);
	rc = sp->main(c, sp->arg);
	privsep_client_free(c);
	fflush(NULL);
	_exit(rc & 0xff);
}

struct privsep_worker *privsep_spawn(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct privsep_worker *w;
	struct spawn_rec *r = NULL;

	if (sp && sp->restart_max) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return NULL;
		r->sp = *sp;
		/* the same name for every restart, whatever the caller's
		 * buffer holds later */
		snprintf(r->name, sizeof(r->name), "%s", sp->name ? sp->name : "worker");
		r->sp.name = r->name;
	}
	w = spawn_worker(h, r ? &r->sp : sp);
	if (!w) {
		free(r);
		return NULL;
	}
	w->rec = r;
	w->slot = sp->slot;
	return w;
}

/* Move *fd above 0..2 (a helper started with some of them closed gets
 * its new fds there), where the child's standard fds would clobber it. */
static int above_stdio(int *fd)
{
	int nfd;
	if (*fd > STDERR_FILENO)
		return 0;
	nfd = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1);
	if (nfd < 0)
		return -1;
	close(*fd);
	*fd = nfd;
	return 0;
}

struct privsep_worker *spawn_worker(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct sigaction sa;
	struct sb_plan plan;
	struct sb_expect expect;
	char why[512];
	const struct policy *pol = NULL;
	const struct fs_root *roots = NULL;
	int debug =
	    !sp || sp->unsandboxed || !sp->sandbox ? 0 : !!(sp->sandbox->flags & PRIVSEP_SB_DEBUG);
	int null_stdio = !sp || sp->unsandboxed || !sp->sandbox
	                     ? 0
	                     : !!(sp->sandbox->flags & PRIVSEP_SB_NULL_STDIO);
	int sv[2], lp[2], op[2], pidfd, saved;
	pid_t pid;
	struct privsep_worker *w;

	plan.lease = -1;
	if (!h || !sp || (!sp->main && !sp->exec)) {
		errno = EINVAL;
		return NULL;
	}
	if (h->confined) {
		helper_log(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		           "worker \"%s\": not started: the helper is confined (%s)",
		           sp->name ? sp->name : "worker", HELPER_CONFINED_WHY);
		errno = EPERM;
		return NULL;
	}
	/* With SIGCHLD ignored the kernel reaps children at once, and a pid
	 * could be reused before pidfd_open: refuse rather than race. */
	if (sigaction(SIGCHLD, NULL, &sa) == 0 &&
	    (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))) {
		errno = EINVAL;
		return NULL;
	}
	if (sp->stdout_copy && null_stdio) {
		helper_log(
		    h->log, h->log_arg, PRIVSEP_LOG_ERR,
		    "worker \"%s\": stdout_copy and PRIVSEP_SB_NULL_STDIO disagree; not started",
		    sp->name ? sp->name : "worker");
		errno = EINVAL;
		return NULL;
	}
	/* a kept fd is the application's, never one of the helper's own: a
	 * restart passes the same numbers again, and one the application
	 * closed since may now be another worker's channel */
	for (size_t i = 0;
	     !sp->unsandboxed && sp->sandbox && sp->sandbox->keep_fds && i < sp->sandbox->nkeep;
	     i++)
		if (helper_owns_fd(h, sp->sandbox->keep_fds[i])) {
			helper_log(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": not started: kept fd %d is one of the helper's own (the application closed its fd, and the number was used again)",
			    sp->name ? sp->name : "worker", sp->sandbox->keep_fds[i]);
			errno = EBADF;
			return NULL;
		}
	if (chan_pair(sv) < 0)
		return NULL;
	lp[0] = lp[1] = op[0] = op[1] = -1;
	if ((!null_stdio && pipe2(lp, O_CLOEXEC) < 0) ||
	    (sp->stdout_copy && pipe2(op, O_CLOEXEC) < 0) || above_stdio(&sv[1]) < 0 ||
	    (lp[1] >= 0 && above_stdio(&lp[1]) < 0) || (op[1] >= 0 && above_stdio(&op[1]) < 0)) {
		saved = errno;
		chan_close_fds(sv, 2);
		chan_close_fds(lp, 2);
		chan_close_fds(op, 2);
		errno = saved;
		return NULL;
	}
	if (!sp->unsandboxed) {
		const struct pol_entry *pe = helper_policy(
		    h, sp->sandbox ? sp->sandbox->policy : NULL,
		    sp->sandbox ? sp->sandbox->policy_text : NULL, debug, why, sizeof(why));
		if (!pe ||
		    sandbox_prepare(&plan, sp->sandbox, pol_entry_policy(pe), pol_entry_prog(pe),
		                    sv[1], why, sizeof(why)) < 0 ||
		    (sp->exec &&
		     spawn_exec_prepare(h, sp, &plan, sv[1], debug, why, sizeof(why)) < 0) ||
		    sandbox_expect(&expect, &plan, why, sizeof(why)) < 0) {
			saved = errno;
			helper_log(h->log, h->log_arg, PRIVSEP_LOG_ERR,
			           "worker \"%s\": sandbox cannot be prepared: %s; not started",
			           sp->name ? sp->name : "worker", why);
			close(sv[0]);
			close(sv[1]);
			chan_close_fds(lp, 2);
			chan_close_fds(op, 2);
			sandbox_release(&plan); /* leased, when sandbox_expect failed */
			errno = saved ? saved : EINVAL;
			return NULL;
		}
		/* exec mode: the new image loads a second filter before READY */
		if (sp->exec && !(sp->exec->flags & PRIVSEP_EXEC_FOREIGN))
			expect.filters++;
		/* the pipes that step 1 keeps on fds 1 and 2 */
		plan.pipe_out = op[1] >= 0;
		plan.pipe_err = lp[1] >= 0;
		pol = pol_entry_policy(pe);
		roots = pol_entry_roots(pe);
		if (!h->told_sandbox) {
			char ll[256];
			h->told_sandbox = 1;
			landlock_describe(&plan.ll, ll, sizeof(ll));
			helper_log(h->log, h->log_arg, PRIVSEP_LOG_INFO, "sandbox: %s", ll);
			if (!plan.root)
				helper_log(
				    h->log, h->log_arg, PRIVSEP_LOG_WARN,
				    "sandbox: not started as root: workers keep uid %u; namespaces, securebits, ids and capability drops do not apply (the other steps do)",
				    (unsigned)getuid());
		}
	} else {
		helper_log(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		           "worker \"%s\" runs WITHOUT a sandbox (unsandboxed is set)",
		           sp->name ? sp->name : "worker");
	}
	fflush(NULL); /* or the child would write the helper's buffered output again */
	pid = fork();
	if (pid < 0) {
		saved = errno;
		close(sv[0]);
		close(sv[1]);
		chan_close_fds(lp, 2);
		chan_close_fds(op, 2);
		sandbox_release(&plan);
		errno = saved;
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		if (lp[0] >= 0)
			close(lp[0]);
		if (op[0] >= 0)
			close(op[0]);
		worker_child(h, sv[1], op[1], lp[1], sp, sp->unsandboxed ? NULL : &plan);
	}
	close(sv[1]);
	if (lp[1] >= 0)
		close(lp[1]);
	if (op[1] >= 0)
		close(op[1]);
	/* The child cannot be reaped before we wait for it, so its pid is
	 * still its own here. */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		saved = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		if (lp[0] >= 0)
			close(lp[0]);
		if (op[0] >= 0)
			close(op[0]);
		sandbox_release(&plan); /* reaped above */
		errno = saved;
		return NULL;
	}
	w = helper_add(h, sv[0], pidfd, pid, sp->name, 1,
	               !sp->unsandboxed && sp->sandbox && (sp->sandbox->flags & PRIVSEP_SB_DEBUG));
	if (w) {
		/* the uid is this worker's until it is reaped (also when it is
		 * killed below: the loop reaps and frees it, and releases it) */
		w->uid_lease = plan.lease;
		/* each attach takes its fd, done or not */
		int bad = lp[0] >= 0 && wlog_attach(w, lp[0]) < 0;
		saved = errno;
		if (op[0] >= 0 && (bad || wout_attach(w, op[0]) < 0)) {
			if (bad)
				close(op[0]);
			else
				saved = errno;
			bad = 1;
		}
		if (bad) {
			privsep_worker_kill(w); /* reaped and freed by the loop */
			errno = saved;
			return NULL;
		}
	} else {
		saved = errno;
		if (lp[0] >= 0)
			close(lp[0]);
		if (op[0] >= 0)
			close(op[0]);
		kill(pid, SIGKILL); /* not reaped yet: still this child's pid */
		waitpid(pid, NULL, 0);
		sandbox_release(&plan);
		errno = saved;
		return NULL;
	}
	w->unsandboxed = sp->unsandboxed;
	if (!sp->unsandboxed) {
		w->verify = w->gate = 1;
		w->expect = expect;
	}
	w->pol = pol;
	w->roots = roots;
	w->debug = debug;
	return w;
}
