/* SPDX-License-Identifier: ISC */
/*
 * sandbox.c - dropping the worker's privileges, in a fixed order.
 *
 * The order, and why (SECURITY.md says the same):
 *   1 fds        close every fd but stdio, the channel and the kept ones:
 *                nothing of the helper's leaks in; stdin and stdout from
 *                /dev/null, stderr the log pipe (stdout a pipe too when
 *                the spawn copies it), never a terminal, socket or the
 *                helper's log; a new session (no terminal, no group
 *                signals meant for the helper)
 *   2 rlimits    NOFILE small, NPROC 0 by default (no new processes or
 *                threads), CORE 0 (no dumps of secrets), FSIZE, AS
 *   3 namespaces (root) new network, IPC, UTS and mount namespaces, and a
 *                chroot into an empty read-only tmpfs
 *   4 securebits (root) NOROOT, NO_SETUID_FIXUP, NO_CAP_AMBIENT_RAISE,
 *                KEEP_CAPS off, each locked: uid 0 and execve can never
 *                bring capabilities back; needs CAP_SETPCAP, so it comes
 *                before the ids change
 *   5 ids        setgroups(0), setresgid, setresuid to the worker's user,
 *                by default a uid and gid of its own (uidpool.c); a uid
 *                leased ahead only once the helper, which checks it again
 *                while steps 1-4 run, confirmed it on the channel
 *   6 caps       (root) bounding set emptied (CAP_SETPCAP is still held:
 *                NO_SETUID_FIXUP kept the sets through step 5), ambient
 *                cleared, permitted/effective/inheritable cleared
 *   7 process    PR_SET_DUMPABLE 0, PR_SET_PDEATHSIG SIGKILL, then the
 *                parent must still be the helper (both are reset by a
 *                credentials change, hence after step 5)
 *   8 nnp        PR_SET_NO_NEW_PRIVS 1 (required to load a filter as
 *                non-root, and blocks privilege gain through execve)
 *   9 landlock   no filesystem access at all, no TCP bind/connect, no
 *                signals or abstract sockets outside the sandbox, as far
 *                as the kernel's ABI goes
 *  10 selfcheck  setuid(0) must fail, the ids and capability sets must
 *                be what was asked, open("/") must fail: checked here,
 *                before the filter, which would kill the worker for the
 *                very calls the check makes
 *  11 seccomp    the filter compiled in the helper, default kill-process,
 *                loaded with TSYNC (privsep-run: first a filter whose
 *                path calls go to the helper, sandbox_notify.c)
 * Any failure aborts the worker before application code runs.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/securebits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"
#include "uidpool.h"

/* The helper's byte that confirms a uid leased ahead (step 5's wait). */
#define SB_UID_CONFIRMED 'u'

void landlock_describe(const struct landlock_plan *ll, char *buf, size_t len)
{
	if (!ll->abi) {
		snprintf(buf, len,
		         "Landlock not available: no filesystem restriction from Landlock");
		return;
	}
	snprintf(buf, len, "Landlock ABI %d: no filesystem access (%d rights handled)%s%s", ll->abi,
	         __builtin_popcountll(ll->fs),
	         ll->net ? ", no TCP bind or connect" : ", TCP not restricted (ABI < 4)",
	         ll->scoped ? ", no signals or abstract unix sockets outside the sandbox"
	                    : ", signals not scoped (ABI < 6)");
}

void privsep_sandbox_describe(char *buf, size_t len)
{
	struct landlock_plan ll;
	landlock_probe(&ll);
	landlock_describe(&ll, buf, len);
}

/* A user the sandbox cannot have is the application's mistake, as a bad
 * policy is: EINVAL, with the reason in why. */
static int resolve_user(const char *user, uid_t *uid, gid_t *gid, char *why, size_t whylen)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	char *end;
	unsigned long v;
	int rc;

	errno = 0;
	v = strtoul(user, &end, 10);
	if (*user && !*end) { /* numeric: uid, and the same gid */
		if (errno || user[0] == '-' || v >= (unsigned long)INT32_MAX) {
			snprintf(why, whylen, "user \"%s\" is not a uid below %d", user, INT32_MAX);
			errno = EINVAL;
			return -1;
		}
		*uid = (uid_t)v;
		*gid = (gid_t)v;
		return 0;
	}
	rc = getpwnam_r(user, &pw, buf, sizeof(buf), &res);
	if (rc != 0 || !res) {
		if (!strcmp(user, "nobody")) {
			*uid = 65534;
			*gid = 65534;
			return 0;
		}
		if (rc != 0)
			snprintf(why, whylen, "no such user \"%s\" (getpwnam_r: %s)", user,
			         strerror(rc));
		else
			snprintf(why, whylen, "no such user \"%s\"", user);
		errno = EINVAL;
		return -1;
	}
	*uid = pw.pw_uid;
	*gid = pw.pw_gid;
	return 0;
}

static int int_cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* The worker's limit: what was asked, never above what the helper has
 * (RLIM_INFINITY: the helper's soft limit), its soft and hard limits one
 * value, so that the worker can never raise it (exec mode's fd N). */
static int lower_rl(int res, rlim_t want, struct rlimit *out)
{
	struct rlimit old;
	if (getrlimit(res, &old) < 0)
		return -1;
	if (want == RLIM_INFINITY)
		want = old.rlim_cur;
	out->rlim_cur = out->rlim_max = want < old.rlim_max ? want : old.rlim_max;
	return 0;
}

/* The lower of two limits, 0 meaning unset; dflt when both are unset. */
static rlim_t narrow(unsigned long conf, int pol_set, unsigned long pol, rlim_t dflt)
{
	rlim_t a = conf == PRIVSEP_UNLIMITED ? RLIM_INFINITY : (rlim_t)conf;
	rlim_t b = pol == ~0ul ? RLIM_INFINITY : (rlim_t)pol;
	if (conf && pol_set)
		return a < b ? a : b;
	if (conf)
		return a;
	if (pol_set)
		return b;
	return dflt;
}

/* This process's address space in bytes (what a forked worker starts
 * with), from /proc/self/statm; 0 when it cannot be read. */
static rlim_t vm_size(void)
{
	char buf[128];
	unsigned long long pages = 0;
	int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if (sscanf(buf, "%llu", &pages) != 1)
		return 0;
	return (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE);
}

/* The worker's address-space limit (want; RLIM_INFINITY: the helper's)
 * into *out.  A forked worker starts with the helper's address space: -1
 * with a reason when that is already over the limit (the worker could not
 * allocate a byte).  An executed one (fresh) starts from a new image: the
 * helper's size is not its own, and is not read. */
static int as_limit(rlim_t want, int fresh, struct rlimit *out, char *why, size_t whylen)
{
#if defined(__SANITIZE_ADDRESS__)
	(void)fresh; /* the new image's runtime reserves its shadow too */
	rlim_t have = want == RLIM_INFINITY ? 0 : vm_size();
#else
	rlim_t have = want == RLIM_INFINITY || fresh ? 0 : vm_size();
#endif
#if defined(__SANITIZE_ADDRESS__)
	/* AddressSanitizer builds only (the test suite's second run): the
	 * sanitizer reserved terabytes of address space for its shadow at
	 * start, which the worker inherits; the bound counts from there */
	if (want != RLIM_INFINITY)
		want = have + want < have ? RLIM_INFINITY : have + want;
#endif
	if (lower_rl(RLIMIT_AS, want, out) < 0) {
		snprintf(why, whylen, "getrlimit: %s", strerror(errno));
		return -1;
	}
	if (out->rlim_cur != RLIM_INFINITY && have >= out->rlim_cur) {
		snprintf(
		    why, whylen,
		    "the helper's address space (%llu MiB), which a forked worker starts with, is over the worker's rlimit as (%llu MiB): raise it in the worker's policy",
		    (unsigned long long)(have >> 20), (unsigned long long)(out->rlim_cur >> 20));
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

static int prepare(struct sb_plan *plan, const struct privsep_sandbox *sb, const struct policy *pol,
                   const struct filter_prog *prog, int chan, int defer, int fresh, char *why,
                   size_t whylen)
{
	static const struct privsep_sandbox defaults;
	const char *user;

	if (!sb)
		sb = &defaults;
	memset(plan, 0, sizeof(*plan));
	plan->lease = -1;
	plan->chan = chan;
	if (sb->nkeep > PRIVSEP_SANDBOX_KEEP_MAX) {
		snprintf(why, whylen, "more than %d kept fds", PRIVSEP_SANDBOX_KEEP_MAX);
		errno = EINVAL;
		return -1;
	}
	if (sb->nkeep && !sb->keep_fds) {
		snprintf(why, whylen, "nkeep is %zu but keep_fds is NULL", sb->nkeep);
		errno = EINVAL;
		return -1;
	}
	plan->root = geteuid() == 0;
	plan->flags = sb->flags;
	if (pol->namespaces == 0)
		plan->flags |= PRIVSEP_SB_NO_NAMESPACES;
	if (sb->user && pol->user[0] && strcmp(sb->user, pol->user) != 0) {
		snprintf(why, whylen,
		         "the policy's user is %s, the configuration's %s: they must agree",
		         pol->user, sb->user);
		errno = EINVAL;
		return -1;
	}
	/* no user named: a root helper leases the worker a uid of its own
	 * (below, last, so that no failure comes after it); a helper that is
	 * not root cannot change ids, and its workers keep its own */
	user = sb->user ? sb->user : pol->user[0] ? pol->user : NULL;
	plan->uid = getuid();
	plan->gid = getgid();
	if (user && resolve_user(user, &plan->uid, &plan->gid, why, whylen) < 0)
		return -1;
	if (user && plan->root && (plan->uid == 0 || plan->gid == 0)) {
		snprintf(why, whylen, "the worker's user must not be root (uid or gid 0)");
		errno = EINVAL;
		return -1;
	}
	plan->keep[plan->nkeep++] = 0;
	plan->keep[plan->nkeep++] = 1;
	plan->keep[plan->nkeep++] = 2;
	plan->keep[plan->nkeep++] = chan;
	for (size_t i = 0; i < sb->nkeep; i++) {
		if (sb->keep_fds[i] < 0 || fcntl(sb->keep_fds[i], F_GETFD) < 0) {
			snprintf(why, whylen, "kept fd %d is not open", sb->keep_fds[i]);
			errno = EBADF;
			return -1;
		}
		plan->keep[plan->nkeep++] = sb->keep_fds[i];
	}
	qsort(plan->keep, plan->nkeep, sizeof(int), int_cmp);
	if (lower_rl(
	        RLIMIT_NOFILE,
	        narrow(sb->nofile, pol->have_rlimit[POL_RL_NOFILE], pol->rlimit[POL_RL_NOFILE], 64),
	        &plan->nofile) < 0 ||
	    lower_rl(
	        RLIMIT_NPROC,
	        narrow(sb->nproc, pol->have_rlimit[POL_RL_NPROC], pol->rlimit[POL_RL_NPROC], 0),
	        &plan->nproc) < 0 ||
	    lower_rl(RLIMIT_CORE, 0, &plan->core) < 0 ||
	    lower_rl(RLIMIT_FSIZE,
	             narrow(sb->fsize, pol->have_rlimit[POL_RL_FSIZE], pol->rlimit[POL_RL_FSIZE],
	                    RLIM_INFINITY),
	             &plan->fsize) < 0) {
		snprintf(why, whylen, "getrlimit: %s", strerror(errno));
		return -1;
	}
	if (as_limit(
	        narrow(sb->as, pol->have_rlimit[POL_RL_AS], pol->rlimit[POL_RL_AS], RLIM_INFINITY),
	        fresh, &plan->as, why, whylen) < 0)
		return -1;
	plan->helper = getpid();
	landlock_probe(&plan->ll);
	plan->prog = prog;
	if (!user && plan->root) {
		char lwhy[160];
		uid_t uid;
		plan->lease = defer ? uidpool_take(&uid, &plan->uid_again, lwhy, sizeof(lwhy))
		                    : uidpool_acquire(&uid, lwhy, sizeof(lwhy));
		if (plan->lease < 0) {
			snprintf(why, whylen, "no uid of its own for the worker: %s", lwhy);
			return -1;
		}
		plan->uid = uid;
		plan->gid = (gid_t)uid;
	}
	return 0;
}

int sandbox_prepare(struct sb_plan *plan, const struct privsep_sandbox *sb,
                    const struct policy *pol, const struct filter_prog *prog, int chan, char *why,
                    size_t whylen)
{
	return prepare(plan, sb, pol, prog, chan, 0, 0, why, whylen);
}

int sandbox_prepare_spawn(struct sb_plan *plan, const struct privsep_sandbox *sb,
                          const struct policy *pol, const struct filter_prog *prog, int chan,
                          int exec, char *why, size_t whylen)
{
	return prepare(plan, sb, pol, prog, chan, 1, exec, why, whylen);
}

int sandbox_uid_confirm(const struct sb_plan *plan, int peer, char *why, size_t whylen)
{
	static const char yes = SB_UID_CONFIRMED;
	if (!plan->uid_again)
		return 0;
	if (uidpool_check(plan->uid, why, whylen) < 0)
		return -1;
	/* the child's socket buffer is empty: this never blocks */
	if (send(peer, &yes, 1, MSG_DONTWAIT | MSG_NOSIGNAL) != 1) {
		int e = errno;
		/* the child is gone already: a step before 5 failed, and its
		 * own report (SANDBOX_FAILED) waits on the channel, which the
		 * spawn goes on to read; it never ran as the uid */
		if (e == EPIPE || e == ECONNRESET)
			return 0;
		snprintf(why, whylen, "the uid's confirmation to the child: %s", strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

/* Step 5's wait, in the child: the helper's one byte on the channel, or
 * nothing runs as the uid (the helper found it taken since its lease and
 * kills this child; or it is gone: end of file). */
static int uid_confirmed(const struct sb_plan *p)
{
	char b = 0;
	ssize_t n;
	int chan = p->exec.on ? PRIVSEP_EXEC_CHAN_FD : p->chan;
	do
		n = recv(chan, &b, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n != 1 || b != SB_UID_CONFIRMED) {
		errno = n < 0 ? errno : EPERM;
		return -1;
	}
	return 0;
}

void sandbox_uid_settle(const struct sb_plan *p, int step, int chan)
{
	char b;
	ssize_t n;
	/* from step 5 on the byte was taken, or none will come */
	if (!p->uid_again || step >= PRIVSEP_SB_STEP_IDS)
		return;
	do
		n = recv(chan, &b, 1, 0);
	while (n < 0 && errno == EINTR);
}

void sandbox_release(struct sb_plan *plan)
{
	if (plan->lease >= 0)
		close(plan->lease);
	plan->lease = -1;
}

#define FAIL(step, ...)                                                                            \
	do {                                                                                       \
		int e_ = errno;                                                                    \
		snprintf(why, whylen, __VA_ARGS__);                                                \
		errno = e_ ? e_ : EPERM;                                                           \
		return step;                                                                       \
	} while (0)

int sandbox_close_fds(const int *keep, size_t nkeep)
{
	unsigned lo = 0;
	for (size_t i = 0; i < nkeep; i++) {
		unsigned k = (unsigned)keep[i];
		if (k > lo && close_range(lo, k - 1, 0) < 0)
			return -1;
		lo = k + 1;
	}
	return close_range(lo, ~0u, 0);
}

/* Standard input and output from /dev/null; standard error too, unless
 * the spawn put the pipe to the helper's log there (pipe_err), and
 * standard output the pipe the helper copies (pipe_out).  A kept one must
 * be a pipe, never a terminal or a socket: the helper's terminal, its
 * socket or its log never reach the worker.  PRIVSEP_SB_NULL_STDIO keeps
 * none. */
static int safe_stdio(const struct sb_plan *p)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0)
		return -1;
	for (int fd = 0; fd <= 2; fd++) {
		struct stat st;
		int keep = !(p->flags & PRIVSEP_SB_NULL_STDIO) &&
		           ((fd == 1 && p->pipe_out) || (fd == 2 && p->pipe_err));
		if (keep && (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))) {
			close(null);
			errno = EBADF;
			return -1;
		}
		if (!keep && dup2(null, fd) < 0) {
			int saved = errno;
			close(null);
			errno = saved;
			return -1;
		}
	}
	close(null);
	return 0;
}

static int enter_namespaces(const struct sb_plan *p)
{
	int exec = p->exec.on;
	if (unshare(CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS) < 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -1;
	/* exec mode: the kernel and the loader open the new image's
	 * interpreter and libraries by path; Landlock is its file wall.  But
	 * Landlock does not bound a stat by path, nor does the filter (glibc's
	 * fstat takes a path too), and there is no pid namespace: a /proc of
	 * its own, where it sees only the processes ptrace would let it look
	 * at (its own: its uid is its own) and no entry but theirs, so that
	 * it cannot list the host's processes and their owners */
	/* and, from a root helper (the plan made in the helper), a root of
	 * its own that holds only what the start needs, so that a stat by
	 * path finds nothing else of the host (exec_root.c); privsep-run's
	 * programs (notify) keep the host's root, whose path calls the
	 * helper answers against their cwd */
	if (exec && p->exec.root_on && !p->notify)
		return sandbox_exec_root_enter(p);
	if (exec)
		return mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		             "hidepid=invisible,subset=pid");
	/* an empty, read-only root: the worker sees no file at all */
	if (mount("privsep-empty", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY,
	          "size=4k,nr_inodes=2,mode=0555") < 0)
		return -1;
	if (chdir("/tmp") < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -1;
	return 0;
}

static int lock_securebits(void)
{
	return cap_set_secbits(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_SETUID_FIXUP |
	                       SECBIT_NO_SETUID_FIXUP_LOCKED | SECBIT_KEEP_CAPS_LOCKED |
	                       SECBIT_NO_CAP_AMBIENT_RAISE | SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED);
}

static int drop_caps(void)
{
	cap_t none;
	int rc;
	for (cap_value_t c = 0; c <= CAP_LAST_CAP || cap_max_bits() > c; c++)
		if (cap_drop_bound(c) < 0 && errno != EINVAL)
			return -1;
	/* one call (libcap's cap_reset_ambient asks for each capability
	 * first: 42 prctl calls on the start's path) */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		return -1;
	none = cap_init();
	if (!none)
		return -1;
	rc = cap_set_proc(none);
	cap_free(none);
	return rc;
}

static int caps_all_clear(void)
{
	cap_t cur = cap_get_proc(), none = cap_init();
	int same = cur && none && cap_compare(cur, none) == 0;
	cap_free(cur);
	cap_free(none);
	return same;
}

/* Step 11 with a listener: the filter's notifications go to the helper,
 * which must hold the listener before application code runs (or a denied
 * call would wait for nobody); this process keeps no copy.  why is set
 * on failure. */
static void load_notifying(const struct sb_plan *p, char *why, size_t whylen)
{
	int fd = filter_load_listener(p->prog);
	if (fd < 0) {
		snprintf(why, whylen, "seccomp with a listener: %s", strerror(errno));
		return;
	}
	if (!p->give_listener || p->give_listener(p, fd) < 0) {
		int e = errno ? errno : EPIPE;
		close(fd);
		snprintf(why, whylen, "the listener could not be sent to the helper: %s",
		         strerror(e));
		errno = e;
		return;
	}
	close(fd);
}

int sandbox_enter(const struct sb_plan *p, char *why, size_t whylen)
{
	why[0] = '\0';
	errno = 0;
	/* 1 */
	if (p->exec.on && sandbox_exec_fds(p) < 0)
		FAIL(PRIVSEP_SB_STEP_FDS, "the exec mode's fds: %s", strerror(errno));
	if (sandbox_close_fds(p->keep, p->nkeep) < 0)
		FAIL(PRIVSEP_SB_STEP_FDS, "close_range: %s", strerror(errno));
	if (safe_stdio(p) < 0)
		FAIL(PRIVSEP_SB_STEP_FDS, "standard fds: %s", strerror(errno));
	if (setsid() < 0)
		FAIL(PRIVSEP_SB_STEP_FDS, "setsid: %s", strerror(errno));
	/* 2 */
	if (setrlimit(RLIMIT_NOFILE, &p->nofile) < 0 ||
	    (!p->exec.on && setrlimit(RLIMIT_NPROC, &p->nproc) < 0) ||
	    setrlimit(RLIMIT_CORE, &p->core) < 0 || setrlimit(RLIMIT_FSIZE, &p->fsize) < 0 ||
	    setrlimit(RLIMIT_AS, &p->as) < 0)
		FAIL(PRIVSEP_SB_STEP_RLIMITS, "setrlimit: %s", strerror(errno));
	if (p->root) {
		/* 3 */
		if (!(p->flags & PRIVSEP_SB_NO_NAMESPACES) && enter_namespaces(p) < 0)
			FAIL(
			    PRIVSEP_SB_STEP_NAMESPACES,
			    "namespaces and empty root: %s (the helper needs cap_sys_admin, or set PRIVSEP_SB_NO_NAMESPACES)",
			    strerror(errno));
		/* 4 */
		if (lock_securebits() < 0)
			FAIL(PRIVSEP_SB_STEP_SECUREBITS,
			     "securebits: %s (the helper needs cap_setpcap)", strerror(errno));
		/* 5 */
		if (p->uid_again && uid_confirmed(p) < 0)
			FAIL(
			    PRIVSEP_SB_STEP_IDS,
			    "the helper did not confirm uid %u, leased ahead: %s (the uid is not used)",
			    (unsigned)p->uid, strerror(errno));
		if (setgroups(0, NULL) < 0 || setresgid(p->gid, p->gid, p->gid) < 0 ||
		    setresuid(p->uid, p->uid, p->uid) < 0)
			FAIL(
			    PRIVSEP_SB_STEP_IDS,
			    "setgroups/setresgid/setresuid to %u:%u: %s (the helper needs cap_setuid and cap_setgid)",
			    (unsigned)p->uid, (unsigned)p->gid, strerror(errno));
		/* 6 */
		if (drop_caps() < 0)
			FAIL(PRIVSEP_SB_STEP_CAPS, "capabilities: %s", strerror(errno));
	} else {
		/* nothing to drop, and no right to: cap_set_proc of an empty
		 * set still clears whatever file capabilities gave */
		cap_t none = cap_init();
		int rc = none ? cap_set_proc(none) : -1;
		cap_free(none);
		if (rc < 0)
			FAIL(PRIVSEP_SB_STEP_CAPS, "capabilities: %s", strerror(errno));
	}
	/* step 2's RLIMIT_NPROC, in exec mode after the ids: a setresuid
	 * that finds the new uid over its limit marks the process, and
	 * execve then fails with EAGAIN (execve(2)) */
	if (p->exec.on && setrlimit(RLIMIT_NPROC, &p->nproc) < 0)
		FAIL(PRIVSEP_SB_STEP_RLIMITS, "setrlimit: %s", strerror(errno));
	/* 7 */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		FAIL(PRIVSEP_SB_STEP_PROCESS, "prctl: %s", strerror(errno));
	if (getppid() != p->helper) {
		errno = ESRCH;
		FAIL(PRIVSEP_SB_STEP_PROCESS, "the helper (pid %d) is gone", (int)p->helper);
	}
	/* 8 */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		FAIL(PRIVSEP_SB_STEP_NNP, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	/* 9: best effort by ABI; the helper reported what applies */
	if (p->ll.abi && landlock_restrict(&p->ll, p->exec.on ? sandbox_exec_rules : NULL, p) < 0)
		FAIL(PRIVSEP_SB_STEP_LANDLOCK, "Landlock ABI %d: %s", p->ll.abi, strerror(errno));
	/* 10 */
	{
		uid_t r, e, s;
		gid_t rg, eg, sg;
		int fd;
		if (setuid(0) == 0 && p->uid != 0) {
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "setuid(0) succeeded");
		}
		if (p->root && (getresuid(&r, &e, &s) < 0 || r != p->uid || e != p->uid ||
		                s != p->uid || getresgid(&rg, &eg, &sg) < 0 || rg != p->gid ||
		                eg != p->gid || sg != p->gid || getgroups(0, NULL) != 0)) {
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "ids are not %u:%u with no groups",
			     (unsigned)p->uid, (unsigned)p->gid);
		}
		if (!caps_all_clear()) {
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "a capability set is not empty");
		}
		if (p->root && prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 0) {
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "the bounding set is not empty");
		}
		if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
		    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "no_new_privs or dumpable not as set");
		}
		if (p->ll.abi && (fd = open("/", O_RDONLY | O_CLOEXEC)) >= 0) {
			close(fd);
			errno = EPERM;
			FAIL(PRIVSEP_SB_STEP_SELFCHECK, "open(\"/\") succeeded under Landlock");
		}
	}
	/* 11 */
	errno = 0;
	if (p->exec.on && p->notify && sandbox_listener(p->notify, PRIVSEP_EXEC_CHAN_FD) < 0)
		FAIL(PRIVSEP_SB_STEP_SECCOMP, "seccomp listener: %s", strerror(errno));
	/* one listener per process: privsep-run's (notify) excludes the
	 * policy's own (listen), which only privsep_spawn asks for */
	if (p->listen && !p->notify)
		load_notifying(p, why, whylen);
	else if (filter_load(p->prog) < 0)
		FAIL(PRIVSEP_SB_STEP_SECCOMP, "seccomp: %s", strerror(errno));
	if (why[0])
		return PRIVSEP_SB_STEP_SECCOMP;
	/* exec mode: the one exec the filter allows, of fd fdn */
	if (p->exec.on) {
		errno = 0;
		sandbox_exec_run(p);
		FAIL(PRIVSEP_SB_STEP_EXEC, "execveat of the worker's program: %s", strerror(errno));
	}
	return 0;
}
