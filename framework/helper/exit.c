/* SPDX-License-Identifier: ISC */
/*
 * exit.c - how a worker ended, told in one line.
 *
 * A worker dies in one of a few ways, and the helper says which: a clean
 * exit with its status, a signal, its seccomp filter (which syscall, and
 * the rule or default that denied it), a protocol violation the helper
 * killed it for, a sandbox step that failed before application code ran,
 * a stop the helper found and killed it for, or a kill by the helper
 * itself.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"
#include "helper_int.h"
#include "proto.h"

static const char *const step_names[] = {
    "unknown", "fds", "rlimits",  "namespaces", "securebits", "ids",  "caps",
    "process", "nnp", "landlock", "selfcheck",  "seccomp",    "exec", "narrow",
};

const char *privsep_sandbox_step_name(int step)
{
	if (step < 1 || step > PRIVSEP_SB_STEP_NARROW)
		return step_names[0];
	return step_names[step];
}

int exit_fw_sandbox_failed(struct privsep_req *req, void *arg)
{
	struct privsep_worker *w = req->worker;
	struct privsep_reader r;
	uint32_t step, err;
	const char *detail;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &step) < 0 || privsep_reader_get_u32(&r, &err) < 0 ||
	    privsep_reader_get_str(&r, &detail, NULL) < 0 || privsep_reader_end(&r) < 0 ||
	    step < 1 || step > PRIVSEP_SB_STEP_NARROW)
		return PRIVSEP_VIOLATION;
	w->exit.sb_failed = (int)step;
	w->exit.sb_errno = (int)err;
	snprintf(w->exit.sb_detail, sizeof(w->exit.sb_detail), "%s", detail);
	/* worker-supplied text goes into a log line: one line, printable */
	for (char *c = w->exit.sb_detail; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return 0;
}

int exit_fw_ready(struct privsep_req *req, void *arg)
{
	struct privsep_worker *w = req->worker;
	(void)arg;
	/* the worker waits for this answer before application code: the
	 * kernel's view of it first, and a step not in force stops it */
	helper_start_done(w);
	if (w->spawn.verify) {
		char why[PRIVSEP_DETAIL_MAX - 64];
		int step = sandbox_verify(w->pid, &w->spawn.expect, why, sizeof(why));
		/* its filter's denials are the helper's to hear: without the
		 * listener a denied call would wait for nobody */
		if (!step && w->un.mode && w->un.fd < 0) {
			step = PRIVSEP_SB_STEP_SECCOMP;
			snprintf(why, sizeof(why),
			         "the filter's listener did not reach the helper");
		}
		if (step) {
			w->exit.sb_failed = step;
			w->exit.sb_errno = EPERM;
			snprintf(w->exit.sb_detail, sizeof(w->exit.sb_detail),
			         "not in force when the worker said READY: %s", why);
			privsep_worker_kill(w);
			return privsep_req_fail(req, EPERM, "sandbox step %d (%s) is not in force",
			                        step, privsep_sandbox_step_name(step));
		}
	}
	/* from here on the worker runs application code: it can no longer
	 * claim its sandbox failed */
	privsep_worker_drop_permit(w, PRIVSEP_T_SANDBOX_FAILED);
	privsep_worker_drop_permit(w, PRIVSEP_T_SECCOMP_LISTENER);
	w->exit.ready = 1;
	/* started ahead: it waits for this answer until it is handed out */
	if (pool_hold(w, req->id))
		return HELPER_REPLY_HELD;
	return 0;
}

int exit_fw_seccomp_trap(struct privsep_req *req, void *arg)
{
	struct privsep_worker *w = req->worker;
	struct privsep_reader r;
	uint32_t arch, nr;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	privsep_reader_get_u32(&r, &arch);
	privsep_reader_get_u32(&r, &nr);
	for (int i = 0; i < 6; i++)
		privsep_reader_get_u64(&r, &w->exit.info.args[i]);
	if (privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	w->exit.trapped = 1;
	w->exit.trap_arch = arch;
	w->exit.info.syscall = (int)nr;
	w->exit.info.have_args = 1;
	return 0;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The kernel logs a seccomp kill as an audit record ("type=1326 ...
 * pid=N ... syscall=NR") in its log, which root can read from /dev/kmsg.
 * The record is written by kauditd, a little after the death: wait for
 * it up to 100 ms.  Returns the syscall number or -1. */
static int audit_lookup(pid_t pid, int64_t since_us, uint32_t *arch, int *readable)
{
	char rec[2048], pat[32];
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	int64_t end = mono_us() + 100000;
	int nr = -1;

	*readable = fd >= 0;
	if (fd < 0)
		return -1;
	snprintf(pat, sizeof(pat), " pid=%d ", (int)pid);
	while (nr < 0) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue; /* overwritten while reading: go on */
		if (n < 0) {
			if (errno != EAGAIN || mono_us() > end)
				break;
			usleep(5000);
			continue;
		}
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text" */
		char *ts = strchr(rec, ',');
		ts = ts ? strchr(ts + 1, ',') : NULL;
		if (!ts || strtoll(ts + 1, NULL, 10) < since_us)
			continue;
		if (!strstr(rec, "type=1326") || !strstr(rec, pat))
			continue;
		char *s = strstr(rec, " syscall="), *a = strstr(rec, " arch=");
		if (s)
			nr = (int)strtol(s + 9, NULL, 10);
		if (a)
			*arch = (uint32_t)strtoul(a + 6, NULL, 16);
	}
	close(fd);
	return nr;
}

#if defined(__x86_64__)
#define NATIVE_NAME "x86_64"
#elif defined(__aarch64__)
#define NATIVE_NAME "aarch64"
#else
#define NATIVE_NAME "this machine's"
#endif

/* A call the filter's architecture check refused: "ARCH:NAME" into
 * e->syscall_name, and in words which number of which architecture. */
static void name_foreign(struct privsep_exit_info *e, uint32_t arch, char *num, size_t len)
{
	uint32_t nr = (uint32_t)e->syscall;
	const char *label;
	char other[24];
	char *name = NULL;
	if (arch == AUDIT_ARCH_I386) {
		label = "i386";
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86, e->syscall);
		snprintf(num, len, "i386 syscall %u (the i386 entry, int 0x80)", nr);
	} else if (arch == (uint32_t)seccomp_arch_native() && nr < 0x80000000u) {
		/* x32: this arch, the x32 bit in the number; libseccomp's
		 * x32 table takes the number with its bit */
		label = "x32";
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X32, e->syscall);
		snprintf(num, len, "x32 syscall %u (number 0x%x)", nr & ~0x40000000u, nr);
	} else if (arch == (uint32_t)seccomp_arch_native()) {
		label = "none";
		snprintf(num, len, "syscall number 0x%x, no architecture's", nr);
	} else {
		snprintf(other, sizeof(other), "arch 0x%x", arch);
		label = other;
		name = seccomp_syscall_resolve_num_arch(arch, e->syscall);
		snprintf(num, len, "syscall %u of architecture 0x%x", nr, arch);
	}
	snprintf(e->syscall_name, sizeof(e->syscall_name), "%s:%s", label, name ? name : "?");
	free(name);
}

static void fmt_seccomp(struct privsep_worker *w, char *line, size_t len)
{
	struct privsep_exit_info *e = &w->exit.info;
	char why[320], args[160] = "", num[96];
	char *name = NULL;
	uint32_t arch = w->exit.trap_arch ? w->exit.trap_arch : (uint32_t)seccomp_arch_native();
	int foreign = e->syscall != -1 && policy_foreign(arch, e->syscall);
	if (foreign) {
		name_foreign(e, arch, num, sizeof(num));
	} else {
		if (e->syscall >= 0)
			name = seccomp_syscall_resolve_num_arch(arch, e->syscall);
		snprintf(e->syscall_name, sizeof(e->syscall_name), "%s",
		         name              ? name
		         : e->syscall >= 0 ? "?"
		                           : "unknown");
		free(name);
		snprintf(num, sizeof(num), "syscall %d", e->syscall);
	}
	if (foreign) {
		snprintf(why, sizeof(why),
		         "the filter's architecture check (only " NATIVE_NAME
		         " calls pass, whatever the policy)");
	} else if (w->spawn.unsandboxed || !w->spawn.pol) {
		snprintf(why, sizeof(why), "a filter the worker loaded itself");
	} else if (e->syscall >= 0) {
		policy_explain(exit_refusing_policy(w), w->spawn.debug, e->syscall,
		               e->have_args ? e->args : NULL, why, sizeof(why));
	} else {
		snprintf(why, sizeof(why), "the seccomp filter");
	}
	if (e->have_args)
		snprintf(args, sizeof(args), "(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx)",
		         (unsigned long long)e->args[0], (unsigned long long)e->args[1],
		         (unsigned long long)e->args[2], (unsigned long long)e->args[3],
		         (unsigned long long)e->args[4], (unsigned long long)e->args[5]);
	else if (e->syscall != -1)
		snprintf(args, sizeof(args),
		         " (arguments not reported: named by the kernel's audit record)");
	if (e->syscall != -1)
		snprintf(line, len, "seccomp violation: %s%s, %s; denied by %s", e->syscall_name,
		         args, num, why);
	else
		snprintf(
		    line, len,
		    "seccomp violation: killed by SIGSYS without a notification, so by a filter no listener hears (one the worker loaded itself) or a trap with no handler; which syscall is unknown (the kernel's audit record is not readable here)");
}

void exit_classify(struct privsep_worker *w, const siginfo_t *si)
{
	struct privsep_exit_info *e = &w->exit.info;
	char what[512];
	enum privsep_log_level lvl = PRIVSEP_LOG_ERR;

	if (!w->exit.trapped)
		e->syscall = -1;
	e->violation = w->viol;
	/* what waitid said, whatever the kind */
	if (si && si->si_code == CLD_EXITED)
		e->status = si->si_status;
	else if (si && (si->si_code == CLD_KILLED || si->si_code == CLD_DUMPED))
		e->signal = si->si_status;
	if (w->viol != PRIVSEP_V_NONE) {
		e->kind = PRIVSEP_EXIT_VIOLATION;
		snprintf(what, sizeof(what), "killed for protocol violation %s",
		         privsep_violation_name(w->viol));
	} else if (!si) {
		e->kind = PRIVSEP_EXIT_UNKNOWN;
		snprintf(what, sizeof(what), "gone; how it ended is unknown");
		lvl = PRIVSEP_LOG_INFO;
	} else if (w->exit.sb_failed) {
		e->kind = PRIVSEP_EXIT_SANDBOX;
		e->step = w->exit.sb_failed;
		snprintf(what, sizeof(what),
		         "sandbox step %d (%s) failed, application code never ran: %s",
		         w->exit.sb_failed, privsep_sandbox_step_name(w->exit.sb_failed),
		         w->exit.sb_detail);
	} else if (w->exit.trapped) {
		e->kind = PRIVSEP_EXIT_SECCOMP;
		e->signal = SIGSYS;
		fmt_seccomp(w, what, sizeof(what));
	} else if (si->si_code == CLD_EXITED) {
		e->kind = PRIVSEP_EXIT_STATUS;
		e->status = si->si_status;
		snprintf(what, sizeof(what), "exited with status %d", si->si_status);
		lvl = si->si_status ? PRIVSEP_LOG_WARN : PRIVSEP_LOG_INFO;
	} else if (w->life.stopped) {
		e->kind = PRIVSEP_EXIT_STOPPED;
		e->stop_signal = w->life.stopped; /* signal: SIGKILL, the helper's */
		if (w->life.stopped == SIGCONT)
			snprintf(
			    what, sizeof(what),
			    "was stopped (and continued since): a stopped worker is a hung one; killed");
		else
			snprintf(
			    what, sizeof(what),
			    "stopped by signal %d (%s): a stopped worker is a hung one; killed",
			    w->life.stopped, strsignal(w->life.stopped));
	} else if (w->reap.want_kill) {
		e->kind = PRIVSEP_EXIT_KILLED;
		if (w->reap.grace_expired)
			snprintf(what, sizeof(what),
			         "closed its channel but did not exit within %d ms; killed",
			         HELPER_EXIT_GRACE_MS);
		else
			snprintf(what, sizeof(what), "killed by the helper (%s)",
			         strsignal(si->si_status));
		lvl = PRIVSEP_LOG_WARN;
	} else if (si->si_status == SIGSYS) {
		e->kind = PRIVSEP_EXIT_SECCOMP;
		e->signal = SIGSYS;
		e->syscall = audit_lookup(w->pid, w->life.started_ms * 1000 - 1000000,
		                          &w->exit.trap_arch, &w->exit.kmsg_readable);
		fmt_seccomp(w, what, sizeof(what));
	} else {
		e->kind = PRIVSEP_EXIT_SIGNAL;
		e->signal = si->si_status;
		snprintf(what, sizeof(what), "killed by signal %d (%s)%s", si->si_status,
		         strsignal(si->si_status),
		         si->si_code == CLD_DUMPED ? ", core dumped" : "");
	}
	snprintf(e->line, sizeof(e->line), "worker \"%s\" pid %d: %s", w->name, (int)w->pid, what);
	/* a violation, a stop, and a kill after the grace, were logged when
	 * they happened; once is enough */
	if (e->kind != PRIVSEP_EXIT_VIOLATION && e->kind != PRIVSEP_EXIT_UNKNOWN &&
	    e->kind != PRIVSEP_EXIT_STOPPED &&
	    !(e->kind == PRIVSEP_EXIT_KILLED && w->reap.grace_expired))
		log_line(w->h->log, w->h->log_arg, lvl, "%s", e->line);
}

const struct privsep_exit_info *privsep_worker_exit_info(const struct privsep_worker *w)
{
	return &w->exit.info;
}
