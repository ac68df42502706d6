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
#include <seccomp.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "chan.h"
#include "client_int.h"
#include "helper_int.h"
#include "msg.h"
#include "policy.h"
#include "proto.h"
#include "sandbox.h"
#include "spawn_exec.h"
#include "spawn_job.h"
#include "spawner.h"
#include "uidpool.h"

/* The child's channel, for the SIGSYS handler of the debug mode. */
static int child_chan = -1;

/* One framework one-way record, sent from the child with no allocation
 * (and from a signal handler: msg_send without a queue only frames and
 * calls sendmsg). */
static void child_post(uint32_t type, const void *payload, size_t len)
{
	struct msg_out o = {type, 0, payload, len, NULL, 0, -1, 0, NULL};
	(void)msg_send(child_chan, NULL, &o, 0);
}

/* Step 11's listener to the helper, the channel's first record after the
 * filter (exec mode: step 1 moved the channel to its fixed fd). */
static int give_listener(const struct sb_plan *p, int fd)
{
	struct msg_out o = {PRIVSEP_T_SECCOMP_LISTENER, 0, NULL, 0, &fd, 1, -1, 0, NULL};
	return msg_send(p->exec.on ? PRIVSEP_EXEC_CHAN_FD : child_chan, NULL, &o, 0);
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
__attribute__((noreturn)) static void worker_child(struct privsep_helper *h, int chan, int outw,
                                                   int logw, const struct privsep_spawn *sp,
                                                   const struct sb_plan *plan)
{
	size_t msg_max = helper_msg_max(h);
	struct privsep_client_config cfg = sp->client;
	char why[PRIVSEP_DETAIL_MAX - 1];
	int rc;

	child_chan = chan;
	/* other workers' last requests and replies are in these buffers;
	 * exec mode: the execveat discards this whole image, and writing
	 * the buffers here would only copy their pages (copy on write) */
	if (!sp->exec)
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
	if (!sp->exec) { /* exec mode: no stdio of this image is used */
		(void)setvbuf(stdin, NULL, _IOFBF, 0);
		(void)setvbuf(stdout, NULL, _IOFBF, 0);
	}
	/* The helper's signal handlers and mask mean nothing here. */
	signals_default();
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
			sandbox_uid_settle(plan, rc, child_chan);
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
	cfg.msg_max = msg_max;
	if (!cfg.table) {
		cfg.table = h->app;
		cfg.n = h->napp;
	}
	/* READY (sandboxed), the client, main, its posts sent, the exit */
	client_run(chan, &cfg, msg_max, plan != NULL, sp->main, sp->arg);
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

/* Close every fd the job still holds. */
void job_close(struct spawn_job *j)
{
	chan_close_fds(j->sv, 2);
	chan_close_fds(j->lp, 2);
	chan_close_fds(j->op, 2);
}

void signals_default(void)
{
	sigset_t none;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void job_close_child_ends(struct spawn_job *j)
{
	close(j->sv[1]);
	if (j->lp[1] >= 0)
		close(j->lp[1]);
	if (j->op[1] >= 0)
		close(j->op[1]);
	j->sv[1] = j->lp[1] = j->op[1] = -1;
}

/* spawn_refused's refusal: one log line, worker "name": why; -1 with err. */
static int refuse(struct privsep_helper *h, const struct spawn_job *j, int err, const char *why)
{
	log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR, "worker \"%s\": %s", j->name, why);
	errno = err;
	return -1;
}

/* What forbids this spawn before anything is made: 0, or -1 with errno
 * (after one log line where the reason is the caller's). */
int spawn_refused(struct privsep_helper *h, const struct privsep_spawn *sp,
                  const struct spawn_job *j)
{
	struct sigaction sa;
	if (h->confined && h->no_spawner)
		return refuse(h, j, EPERM,
		              "not started: the helper is confined (" HELPER_NO_SPAWNER_WHY ")");
	if (h->confined && h->spawner.sock < 0)
		return refuse(h, j, EPERM,
		              "not started: the helper is confined (" HELPER_CONFINED_WHY ")");
	if (h->spawner.sock >= 0 && !sp->exec)
		return refuse(
		    h, j, EPERM,
		    "not started: the helper is confined, and a fork-mode worker's main would run in the spawner's copy of the helper's memory from before (only exec-mode workers start after privsep_helper_confine)");
	/* the spawner starts no process with less than a whole sandbox (it
	 * refuses the request too: spawner_req.c) */
	if (h->spawner.sock >= 0 &&
	    (sp->unsandboxed || (sp->sandbox && (sp->sandbox->flags & ~SPAWNER_SB_FLAGS))))
		return refuse(
		    h, j, EPERM,
		    sp->unsandboxed
		        ? "not started: the helper is confined, and its spawner starts no "
		          "worker without a sandbox (unsandboxed is set)"
		        : "not started: the helper is confined, and its spawner starts no "
		          "worker with PRIVSEP_SB_NO_NAMESPACES or an unknown sandbox flag");
	/* With SIGCHLD ignored the kernel reaps children at once, and a pid
	 * could be reused before pidfd_open: refuse rather than race. */
	if (sigaction(SIGCHLD, NULL, &sa) == 0 &&
	    (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))) {
		errno = EINVAL;
		return -1;
	}
	if (sp->sandbox && !sp->unsandboxed && (sp->sandbox->flags & PRIVSEP_SB_DEBUG) &&
	    (sp->sandbox->flags & PRIVSEP_SB_LEARN))
		return refuse(
		    h, j, EINVAL,
		    "PRIVSEP_SB_DEBUG and PRIVSEP_SB_LEARN exclude each other; not started");
	if (sp->stdout_copy && j->null_stdio)
		return refuse(h, j, EINVAL,
		              "stdout_copy and PRIVSEP_SB_NULL_STDIO disagree; not started");
	/* a kept fd is the application's, never one of the helper's own: a
	 * restart passes the same numbers again, and one the application
	 * closed since may now be another worker's channel */
	for (size_t i = 0;
	     !sp->unsandboxed && sp->sandbox && sp->sandbox->keep_fds && i < sp->sandbox->nkeep;
	     i++)
		if (helper_owns_fd(h, sp->sandbox->keep_fds[i])) {
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_ERR,
			    "worker \"%s\": not started: kept fd %d is one of the helper's own (the application closed its fd, and the number was used again)",
			    j->name, sp->sandbox->keep_fds[i]);
			errno = EBADF;
			return -1;
		}
	return 0;
}

/* The channel and the pipes, the child's ends above its standard fds.
 * 0, or -1 with errno and nothing left open. */
static int spawn_fds(const struct privsep_spawn *sp, struct spawn_job *j)
{
	if (chan_pair(j->sv) < 0)
		return -1;
	if ((!j->null_stdio && pipe2(j->lp, O_CLOEXEC) < 0) ||
	    (sp->stdout_copy && pipe2(j->op, O_CLOEXEC) < 0) || above_stdio(&j->sv[1]) < 0 ||
	    (j->lp[1] >= 0 && above_stdio(&j->lp[1]) < 0) ||
	    (j->op[1] >= 0 && above_stdio(&j->op[1]) < 0)) {
		int saved = errno;
		job_close(j);
		errno = saved;
		return -1;
	}
	return 0;
}

/* Notify and learn modes: step 11 sends the listener on the channel, so
 * the policy must let the channel's sendmsg through (or that send would
 * itself wait for a listener the helper does not hold yet).  -1 with
 * why. */
static int spawn_notify_plan(struct privsep_helper *h, struct spawn_job *j,
                             const struct policy *pol, char *why, size_t whylen)
{
	const uint64_t args[6] = {(uint64_t)(j->plan.exec.on ? PRIVSEP_EXEC_CHAN_FD : j->sv[1]),
	                          0,
	                          MSG_NOSIGNAL,
	                          0,
	                          0,
	                          0};
	const struct pol_rule *r;
	if (j->mode != POL_MODE_NOTIFY && j->mode != POL_MODE_LEARN)
		return 0;
	j->plan.listen = 1;
	j->plan.give_listener = give_listener;
	if (unotify_prepare(h) < 0) {
		snprintf(why, whylen, "the seccomp notification buffers: %s", strerror(errno));
		return -1;
	}
	if (policy_eval(pol, j->mode, seccomp_arch_native(), SYS_sendmsg, args, &r) !=
	    SCMP_ACT_ALLOW) {
		snprintf(
		    why, whylen,
		    "the policy does not allow sendmsg(channel, msg, MSG_NOSIGNAL): the channel needs it");
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* The sandbox's plan from the worker's policy (checked, compiled and
 * verified once by the cache), and what the helper will check at READY.
 * 0, or -1 with errno after one log line. */
static int spawn_plan(struct privsep_helper *h, const struct privsep_spawn *sp, struct spawn_job *j)
{
	char why[512];
	const struct policy *filter_pol = NULL; /* exec mode's first filter's */
	if (sp->unsandboxed) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_WARN,
		         "worker \"%s\" runs WITHOUT a sandbox (unsandboxed is set)", j->name);
		return 0;
	}
	const struct pol_entry *pe =
	    helper_policy(h, sp->sandbox ? sp->sandbox->policy : NULL,
	                  sp->sandbox ? sp->sandbox->policy_text : NULL, j->mode, why, sizeof(why));
	if (!pe ||
	    sandbox_prepare_spawn(&j->plan, sp->sandbox, pol_entry_policy(pe), pol_entry_prog(pe),
	                          j->sv[1], sp->exec != NULL, why, sizeof(why)) < 0 ||
	    (sp->exec && spawn_exec_prepare(h, sp, &j->plan, j->sv[1], j->mode, &filter_pol,
	                                    j->exec_abs, why, sizeof(why)) < 0) ||
	    sandbox_expect(&j->expect, &j->plan, why, sizeof(why)) < 0 ||
	    spawn_notify_plan(h, j, pol_entry_policy(pe), why, sizeof(why)) < 0) {
		int saved = errno;
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": sandbox cannot be prepared: %s; not started", j->name,
		         why);
		errno = saved ? saved : EINVAL;
		return -1;
	}
	/* exec mode: the new image loads a second filter before READY */
	if (sp->exec && !(sp->exec->flags & PRIVSEP_EXEC_FOREIGN))
		j->expect.filters++;
	/* the pipes that step 1 keeps on fds 1 and 2 */
	j->plan.pipe_out = j->op[1] >= 0;
	j->plan.pipe_err = j->lp[1] >= 0;
	j->pol = pol_entry_policy(pe);
	j->roots = pol_entry_roots(pe);
	j->filter_pol = filter_pol;
	if (!h->told_sandbox) {
		char ll[256];
		h->told_sandbox = 1;
		landlock_describe(&j->plan.ll, ll, sizeof(ll));
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO, "sandbox: %s", ll);
		if (!j->plan.root)
			log_line(
			    h->log, h->log_arg, PRIVSEP_LOG_WARN,
			    "sandbox: not started as root: workers keep uid %u; namespaces, securebits, ids and capability drops do not apply (the other steps do)",
			    (unsigned)getuid());
	}
	return 0;
}

/* The new child pid is served: its channel, pidfd and pipes (all taken)
 * become a worker in the registry.  The worker, or NULL with errno (the
 * child killed: reaped here, or by the loop once it is registered). */
struct privsep_worker *spawn_attach(struct privsep_helper *h, const struct privsep_spawn *sp,
                                    struct spawn_job *j, pid_t pid, int pidfd)
{
	int saved;
	struct privsep_worker *w =
	    helper_add(h, j->sv[0], pidfd, pid, sp->name, 1,
	               !sp->unsandboxed && sp->sandbox && (sp->sandbox->flags & PRIVSEP_SB_DEBUG));
	j->sv[0] = -1; /* taken */
	if (!w) {
		saved = errno;
		job_close(j);
		kill(pid, SIGKILL); /* not reaped yet: still this child's pid */
		waitpid(pid, NULL, 0);
		sandbox_release(&j->plan);
		errno = saved;
		return NULL;
	}
	/* the uid is this worker's until it is reaped (also when it is
	 * killed below: the loop reaps and frees it, and releases it) */
	w->spawn.uid_lease = j->plan.lease;
	/* each attach takes its fd, done or not */
	int bad = j->lp[0] >= 0 && wlog_attach(w, j->lp[0]) < 0;
	saved = errno;
	if (j->op[0] >= 0 && (bad || wout_attach(w, j->op[0]) < 0)) {
		if (bad)
			close(j->op[0]);
		else
			saved = errno;
		bad = 1;
	}
	j->lp[0] = j->op[0] = -1;
	if (bad) {
		privsep_worker_kill(w); /* reaped and freed by the loop */
		errno = saved;
		return NULL;
	}
	w->spawn.unsandboxed = sp->unsandboxed;
	if (!sp->unsandboxed) {
		w->spawn.verify = w->gate = 1;
		w->spawn.expect = j->expect;
		w->spawn.starting = 1;
		h->starting++;
	}
	w->spawn.pol = j->pol;
	w->spawn.roots = j->roots;
	w->spawn.filter_pol = j->filter_pol;
	w->spawn.debug = j->debug;
	w->un.mode = j->plan.listen ? j->mode : 0;
	if (w->un.mode == POL_MODE_LEARN && learn_begin(w, sp->sandbox) < 0) {
		saved = errno;
		privsep_worker_kill(w); /* reaped and freed by the loop */
		errno = saved;
		return NULL;
	}
	return w;
}

/* The uid leased ahead cannot be the worker's (why): one line, -1. */
static int uid_refused(struct privsep_helper *h, const struct spawn_job *j, const char *why)
{
	int saved = errno;
	if (saved == EEXIST)
		log_line(h->log, h->log_arg, PRIVSEP_LOG_INFO,
		         "worker \"%s\": the uid leased ahead is taken since: %s; leasing another",
		         j->name, why);
	else
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": sandbox cannot be prepared: no uid of its own for the "
		         "worker: %s; not started",
		         j->name, why);
	errno = saved;
	return -1;
}

int spawn_uid_confirm(struct privsep_helper *h, struct spawn_job *j)
{
	char why[256];
	if (sandbox_uid_confirm(&j->plan, j->sv[0], why, sizeof(why)) == 0)
		return 0;
	return uid_refused(h, j, why);
}

int spawn_uid_check(struct privsep_helper *h, struct spawn_job *j)
{
	char why[256];
	if (!j->plan.uid_again)
		return 0;
	if (uidpool_check(j->plan.uid, why, sizeof(why)) < 0)
		return uid_refused(h, j, why);
	j->plan.uid_again = 0; /* checked: step 5 waits for nothing */
	return 0;
}

int spawn_confirm_uid(struct privsep_helper *h, struct spawn_job *j, pid_t pid)
{
	int saved;
	if (spawn_uid_confirm(h, j) == 0)
		return 0;
	saved = errno;
	kill(pid, SIGKILL); /* not reaped yet: still this child's pid */
	waitpid(pid, NULL, 0);
	job_close(j);
	sandbox_release(&j->plan);
	errno = saved;
	return -1;
}

/* How the worker's policy is compiled: its kills trap (debug), notify
 * the helper, which kills (the default), or notify and are let through
 * (learn). */
static int spawn_mode(const struct privsep_spawn *sp)
{
	unsigned f = sp->unsandboxed || !sp->sandbox ? 0 : sp->sandbox->flags;
	if (f & PRIVSEP_SB_DEBUG)
		return POL_MODE_DEBUG;
	return f & PRIVSEP_SB_LEARN ? POL_MODE_LEARN : POL_MODE_NOTIFY;
}

void spawn_job_init(struct spawn_job *j, const struct privsep_spawn *sp)
{
	memset(j, 0, sizeof(*j));
	j->sv[0] = j->sv[1] = j->lp[0] = j->lp[1] = j->op[0] = j->op[1] = -1;
	j->plan.lease = -1;
	j->name = sp->name ? sp->name : "worker";
	j->debug = sp->unsandboxed || !sp->sandbox ? 0 : !!(sp->sandbox->flags & PRIVSEP_SB_DEBUG);
	j->mode = spawn_mode(sp);
	j->null_stdio =
	    sp->unsandboxed || !sp->sandbox ? 0 : !!(sp->sandbox->flags & PRIVSEP_SB_NULL_STDIO);
}

int spawn_job_prepare(struct privsep_helper *h, const struct privsep_spawn *sp, struct spawn_job *j)
{
	int saved;
	if (spawn_fds(sp, j) < 0)
		return -1;
	if (spawn_plan(h, sp, j) < 0) {
		saved = errno;
		job_close(j);
		sandbox_release(&j->plan); /* leased, when sandbox_expect failed */
		errno = saved;
		return -1;
	}
	return 0;
}

void spawn_job_child(struct privsep_helper *h, const struct privsep_spawn *sp, struct spawn_job *j)
{
	close(j->sv[0]);
	if (j->lp[0] >= 0)
		close(j->lp[0]);
	if (j->op[0] >= 0)
		close(j->op[0]);
	worker_child(h, j->sv[1], j->op[1], j->lp[1], sp, sp->unsandboxed ? NULL : &j->plan);
}

void helper_start_done(struct privsep_worker *w)
{
	if (!w->spawn.starting)
		return;
	w->spawn.starting = 0;
	w->h->starting--;
}

void helper_lease_ahead(struct privsep_helper *h)
{
	if (!h->lease_ahead || h->starting)
		return;
	h->lease_ahead = 0;
	/* a confined helper starts no worker again, and its filter refuses
	 * the scan */
	if (!h->confined)
		uidpool_prefetch();
}
