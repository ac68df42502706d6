/* SPDX-License-Identifier: ISC */
/*
 * test_spawner_attack.c - the spawner (branch s5-spawn4,
 * framework/helper/spawner.c) attacked from the side it trusts: a
 * confined helper that is compromised holds the spawner's socket, and
 * confinement is only worth something if the spawner gives it back
 * nothing the helper's filter took.  And the helper's side: a spawn that
 * fails for a reason of the helper's own (its fd limit) must fail alone.
 *
 * The helper here starts its spawner directly (spawner_start, what
 * privsep_helper_confine does first), as test_spawner.c does, so that the
 * test process stays unconfined and can look at what was started.
 *
 * Built only where the spawner exists (tests/meson.build).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "spawner.h"
#include "spawner_peer.h"

/* Lower the soft RLIMIT_NOFILE (the hard one kept: raised back without
 * a capability) so that exactly room more fds can be opened. */
static int soft_fd_room(int room)
{
	struct rlimit rl;
	int open_below = 0, lim;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	for (lim = 0; lim < 65536; lim++) {
		if (lim - open_below == room)
			break;
		if (fcntl(lim, F_GETFD) >= 0)
			open_below++;
	}
	rl.rlim_cur = (rlim_t)lim;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

/* The line of /proc/PID/status that starts with key, its value into out
 * (at most len bytes): 0, or -1 (the process is gone). */
static int status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char path[64], line[256];
	FILE *f;
	int rc = -1;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			const char *v = line + strlen(key) + 1;
			while (*v == ' ' || *v == '\t')
				v++;
			snprintf(out, len, "%s", v);
			out[strcspn(out, "\n")] = '\0';
			rc = 0;
			break;
		}
	fclose(f);
	return rc;
}

/* A compromised confined helper writes its own request on the spawner's
 * socket: unsandboxed, a program of its choice.  The spawner is
 * unconfined and keeps every privilege of a spawn; whatever it starts
 * for such a request must still be a worker under a sandbox (its own
 * filter at least), never a process with no seccomp filter at all
 * (and, as root, uid 0 with every capability) while the helper that
 * asked for it is confined.  Fails on s5-spawn4 (spawner_req.c accepts
 * REQ_F_UNSANDBOXED; spawn_one starts it). */
static void
a_compromised_confined_helper_cannot_have_its_spawner_start_a_process_without_a_sandbox(void **s)
{
	struct hx *x = hx_new(spawner_peer_table, 1, 0);
	int prog = privsep_exec_open("/bin/sleep");
	static const char *argv_sleep[] = {"sleep", "60", NULL};
	struct privsep_exec ex = {.fd = prog, .argv = argv_sleep};
	struct privsep_spawn sp = {.name = "anything", .exec = &ex, .unsandboxed = 1};
	uint8_t *buf = calloc(1, SPAWNER_REQ_MAX);
	int fds[SPAWNER_REQ_FDS];
	size_t len, nfds;
	uint32_t err = 0;
	pid_t pid = 0;
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	assert_non_null(x);
	assert_non_null(buf);
	assert_true(prog >= 0);
	assert_int_equal(spawner_start(x->h), 0);
	/* what the helper's own code never checks: the bytes are the
	 * attacker's, written the way the helper writes them */
	assert_int_equal(spawner_req_write(&sp, buf, SPAWNER_REQ_MAX, &len, fds, &nfds), 0);
	assert_int_equal(raw_send(x->h->spawner.sock, buf, len, fds, nfds), 0);
	if (spawner_peer_answer(x->h->spawner.sock, &err, &pid, NULL, 0, NULL) == 0 && !err &&
	    pid > 0) {
		char seccomp[64] = "", capeff[64] = "", uid[64] = "", comm[64] = "";
		int64_t end = now_ms() + 20000;
		/* wait (bounded) until the program itself runs: the filter a
		 * process has once it is the program is what counts */
		while (now_ms() < end) {
			char path[64];
			FILE *f;
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			f = fopen(path, "re");
			if (!f)
				break;
			if (!fgets(comm, sizeof(comm), f))
				comm[0] = '\0';
			fclose(f);
			comm[strcspn(comm, "\n")] = '\0';
			if (!strcmp(comm, "sleep"))
				break;
			poll(NULL, 0, 5);
		}
		(void)status_field(pid, "Seccomp", seccomp, sizeof(seccomp));
		(void)status_field(pid, "CapEff", capeff, sizeof(capeff));
		(void)status_field(pid, "Uid", uid, sizeof(uid));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0); /* CLONE_PARENT: our child */
		if (!strcmp(comm, "sleep") && !strcmp(seccomp, "0"))
			fail_msg("the spawner started pid %d (%s) for a request on its socket: "
			         "Seccomp %s, Uid %s, CapEff %s: a process with no sandbox at all, "
			         "which the confined helper that asked could never start itself",
			         (int)pid, comm, seccomp, uid, capeff);
	}
	free(buf);
	close(prog);
	hx_free(x);
}

/* The two fd-limit tests' start: a helper with its spawner, an exec-mode
 * worker's program, and the helper's children from before (a previous
 * test's, if any). */
struct spawner_fx {
	struct hx *x;
	int prog;
	struct privsep_exec ex;
	struct privsep_spawn sp;
	pid_t before[8];
	int nbefore;
};

static struct hx *spawner_fx_new(struct spawner_fx *f)
{
	memset(f, 0, sizeof(*f));
	f->x = spawner_peer_helper(&f->ex);
	f->prog = f->ex.fd;
	f->sp = (struct privsep_spawn){.name = "probe", .exec = &f->ex};
	f->nbefore = hx_children(f->before, 8);
	assert_int_equal(spawner_start(f->x->h), 0);
	return f->x;
}

/* A child of this thread that is neither the spawner nor one from before
 * (the last such), or 0. */
static pid_t spawner_fx_unknown_child(const struct spawner_fx *f)
{
	pid_t kids[8], unknown = 0;
	int n = hx_children(kids, 8);
	for (int i = 0; i < n; i++) {
		int old = kids[i] == f->x->h->spawner.pid;
		for (int k = 0; k < f->nbefore; k++)
			old |= kids[i] == f->before[k];
		if (!old)
			unknown = kids[i];
	}
	return unknown;
}

/* The helper's own fd limit, reached at the moment the spawner's answer
 * comes (its five fds: channel, pidfd, pipes, lease), fails that spawn
 * (EMFILE or the like); the spawner is not lost for it, the next spawn
 * once fds are free again starts its worker, and the worker cloned for
 * the failed spawn does not run on unknown to the helper.  Fails on
 * s5-spawn4: the answer's MSG_CTRUNC is "a malformed record", the
 * spawner is killed and no worker starts from then on (ECHILD). */
static void a_spawn_failed_at_the_helpers_fd_limit_fails_alone_and_the_next_one_starts(void **s)
{
	struct spawner_fx f;
	struct hx *x = spawner_fx_new(&f);
	struct privsep_spawn sp = f.sp;
	struct privsep_worker *w;
	struct rlimit saved;
	(void)s;
	/* what privsep_helper_confine sets (its filter not loaded here): a
	 * spawn that the spawner does not make is not made */
	x->h->confined = 1;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	/* room for two fds: the answer brings three or more */
	assert_int_equal(soft_fd_room(2), 0);
	errno = 0;
	w = privsep_spawn(x->h, &sp);
	{
		int e = errno;
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
		/* the answer carries three fds or more: room for two is never
		 * enough, and the spawn fails with EMFILE and one line */
		if (w) {
			assert_true(hx_pump_gone(x, 1, 20000));
			fail_msg("room for two fds: the spawn started whole (nothing shown)");
		}
		if (e != EMFILE ||
		    !hx_logged(x, "worker \"probe\": not started: the helper has room for ")) {
			for (int i = 0; i < x->nlog; i++)
				fprintf(stderr, "log: %s\n", x->log[i]);
			fail_msg("room for two fds: errno %d, not EMFILE and its line", e);
		}
	}
	{
		char orphan[160] = "", next[200] = "";
		int gone = x->gone;
		pid_t unknown = 0;
		int64_t end = now_ms() + 5000;
		/* the worker cloned for the failed spawn: a child the helper
		 * never heard of is killed and reaped by the helper (given a few
		 * turns to do it) */
		do {
			unknown = spawner_fx_unknown_child(&f);
			if (unknown)
				privsep_helper_step(x->h, 50);
		} while (unknown && now_ms() < end);
		if (unknown) {
			char st[64] = "?";
			(void)status_field(unknown, "State", st, sizeof(st));
			snprintf(
			    orphan, sizeof(orphan),
			    "; pid %d (state %s) is a child of the helper it does not know: the "
			    "worker cloned for the failed spawn",
			    (int)unknown, st);
			kill(unknown, SIGKILL);
			waitpid(unknown, NULL, 0);
		}
		errno = 0;
		w = privsep_spawn(x->h, &sp);
		if (!w)
			snprintf(next, sizeof(next),
			         "the spawn after one that met the helper's fd limit failed too "
			         "(errno %d: %s)%s",
			         errno, strerror(errno),
			         hx_logged(x, "no worker starts from now on")
			             ? ": the spawner was given up for the helper's own fd limit"
			             : "");
		if (!w || unknown)
			fail_msg("%s%s", w ? "the next spawn started" : next, orphan);
		assert_true(hx_pump_gone(x, gone + 1, 20000));
	}
	close(f.prog);
	hx_free(x);
}

/* The cut answer, reached for real: the helper's fd limit is lowered
 * after its room check, while it waits for the spawner's answer.  The
 * spawner is held stopped (SIGSTOP: what a spawner waiting in the run
 * queue is) so that the answer cannot come before; a second thread
 * waits until the helper's thread is blocked in epoll_wait on its set of
 * the spawner's socket (its /proc/self/task/TID/syscall: the room check
 * and the request are behind it),
 * leaves room for fewer fds than the answer carries, and lets the
 * spawner go on.  The kernel then cuts the answer (MSG_CTRUNC).  The
 * worker cloned for it is killed through its pidfd (the answer's first
 * fd) and reaped, what arrived is closed, only this spawn fails
 * (EMFILE, one line), and the next spawn starts its worker. */
/* The spawner held stopped (SIGSTOP), once it is (a bound of 10 s). */
static void spawner_stopped(pid_t spawner)
{
	char st[64] = "";
	int64_t end = now_ms() + 10000;
	assert_int_equal(kill(spawner, SIGSTOP), 0);
	while ((status_field(spawner, "State", st, sizeof(st)) < 0 || st[0] != 'T') &&
	       now_ms() < end)
		sched_yield();
	assert_int_equal(st[0], 'T');
}

struct cut {
	struct privsep_helper *h;
	pid_t tid; /* the helper's thread */
	int room, saw_poll;
	struct rlimit saved;
};

/* Whether thread tid waits for the spawner's answer: in epoll_wait on
 * the helper's epoll set of the spawner's socket alone (its first
 * argument, /proc/self/task/TID/syscall). */
static int in_poll_on(pid_t tid, const struct privsep_helper *h)
{
	char path[64], buf[256];
	unsigned long nr, a0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	if (hx_read_small(path, buf, sizeof(buf)) <= 0)
		return 0;
	if (sscanf(buf, "%lu %lx", &nr, &a0) != 2)
		return 0; /* "running" */
	return (
#ifdef SYS_epoll_wait
	           nr == SYS_epoll_wait ||
#endif
	           nr == SYS_epoll_pwait) &&
	       (int)a0 == h->spawner.epfd;
}

static void *cut_thread(void *arg)
{
	struct cut *c = arg;
	int64_t end = now_ms() + 10000;
	while (!(c->saw_poll = in_poll_on(c->tid, c->h)) && now_ms() < end)
		sched_yield();
	if (c->saw_poll)
		(void)soft_fd_room(c->room);
	kill(c->h->spawner.pid, SIGCONT);
	return NULL;
}

static void
an_answer_cut_at_the_helpers_fd_limit_kills_its_worker_and_the_next_spawn_starts(void **s)
{
	struct spawner_fx f;
	struct hx *x = spawner_fx_new(&f);
	struct privsep_spawn sp = f.sp;
	struct privsep_worker *w;
	(void)s;
	x->h->confined = 1; /* what privsep_helper_confine sets */
	/* room for no fd, for the pidfd alone, then for the pidfd and the
	 * channel: the answer carries three fds or more (its standard
	 * error's pipe; as root the uid lease) */
	for (int room = 0; room <= 2; room++) {
		struct cut c = {.h = x->h, .tid = gettid(), .room = room};
		char st[64] = "", want[160];
		pthread_t t;
		int64_t end = now_ms() + 10000;
		pid_t unknown;
		assert_int_equal(getrlimit(RLIMIT_NOFILE, &c.saved), 0);
		spawner_stopped(x->h->spawner.pid);
		assert_int_equal(pthread_create(&t, NULL, cut_thread, &c), 0);
		errno = 0;
		w = privsep_spawn(x->h, &sp);
		int e = errno;
		assert_int_equal(pthread_join(t, NULL), 0);
		assert_int_equal(setrlimit(RLIMIT_NOFILE, &c.saved), 0);
		if (!c.saw_poll)
			fail_msg(
			    "the helper's thread was never seen in epoll_wait on the spawner's socket");
		if (w) {
			assert_true(hx_pump_gone(x, 1, 20000));
			fail_msg("room for %d fds: the spawn started whole", room);
		}
		snprintf(want, sizeof(want),
		         "worker \"probe\": not started: the helper's fd limit let %d of the ",
		         room);
		if (e != EMFILE || !hx_logged(x, want) ||
		    (room == 0 && !hx_logged(x, "is killed by the spawner"))) {
			for (int i = 0; i < x->nlog; i++)
				fprintf(stderr, "log: %s\n", x->log[i]);
			fail_msg("room for %d fds: errno %d, not the cut answer's EMFILE and line",
			         room, e);
		}
		/* the worker cloned for it is gone already: killed and reaped
		 * by the failed spawn itself, no step of the helper's needed.
		 * With no fd of the answer (room 0) a confined helper cannot
		 * kill it (no kill, no pidfd_open in helper.policy): the
		 * spawner, which kept its pidfd, kills it (END), and the
		 * helper reaps it by the pid the answer told, at once or at a
		 * turn of its loop (before, it stayed a zombie child of the
		 * helper until the helper exited).  The test only looks. */
		end = now_ms() + 10000;
		do {
			unknown = spawner_fx_unknown_child(&f);
			if (room == 0 && unknown)
				(void)privsep_helper_step(x->h, 20);
		} while (room == 0 && unknown && now_ms() < end);
		if (unknown) {
			(void)status_field(unknown, "State", st, sizeof(st));
			kill(unknown, SIGKILL);
			waitpid(unknown, NULL, 0);
			fail_msg(
			    "pid %d (state %s), the worker cloned for the cut answer, is still "
			    "a child of the helper",
			    (int)unknown, st);
		}
		if (room == 0 &&
		    !hx_logged(x, "the worker of an answer cut to no fd or never read, ended")) {
			for (int i = 0; i < x->nlog; i++)
				fprintf(stderr, "log: %s\n", x->log[i]);
			fail_msg(
			    "room 0: the helper did not say it reaped the cut answer's worker");
		}
		assert_false(hx_logged(x, "no worker starts from now on"));
	}
	/* the spawner goes on: the next spawn starts its worker */
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 1, 20000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	close(f.prog);
	hx_free(x);
}

/* The children of thread tid (CLONE_PARENT: the workers the spawner
 * cloned are the helper thread's): the first one not in not[] (n), or 0. */
static pid_t child_not_in(pid_t tid, const pid_t * not, int n)
{
	char path[64], buf[1024];
	ssize_t k;
	int fd;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	k = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[k > 0 ? k : 0] = '\0';
	for (char *p = buf, *e;; p = e) {
		long v = strtol(p, &e, 10);
		int old = 0;
		if (e == p)
			return 0;
		for (int i = 0; i < n; i++)
			old |= not [i] == (pid_t)v;
		if (!old)
			return (pid_t)v;
	}
}

/* The children that are no spawn's worker: those before f's spawner,
 * and the spawner.  How many, in not[] (room for 9). */
static int not_workers(const struct spawner_fx *f, pid_t * not )
{
	int n = 0;
	for (int i = 0; i < f->nbefore; i++)
		not [n++] = f->before[i];
	not [n++] = f->x->h->spawner.pid;
	return n;
}

/* The helper's thread held in a signal handler (as a thread the kernel
 * has not scheduled yet) while the spawner's answer waits for it in its
 * socket: the handler reads one byte of hold[0]. */
static int hold[2] = {-1, -1};
static volatile sig_atomic_t held_in_handler;

static void hold_handler(int sig)
{
	char b;
	(void)sig;
	held_in_handler = 1;
	while (read(hold[0], &b, 1) < 0 && errno == EINTR)
		;
}

/* hold[] made, SIGUSR1 held by hold_handler (old: the action before). */
static void hold_ready(struct sigaction *old)
{
	struct sigaction sa;
	assert_int_equal(pipe2(hold, O_CLOEXEC), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_handler;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, old), 0);
	held_in_handler = 0;
}

/* Once the helper's thread tid waits in epoll_wait (before end): held
 * in hold_handler.  Whether it waited. */
static int hold_in_poll(pid_t tid, const struct privsep_helper *h, int64_t end)
{
	int saw;
	while (!(saw = in_poll_on(tid, h)) && now_ms() < end)
		sched_yield();
	if (saw) {
		(void)syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		while (!held_in_handler && now_ms() < end)
			sched_yield();
	}
	return saw;
}

struct late_cut {
	struct spawner_fx *f;
	pid_t tid;         /* the helper's thread */
	pid_t pid;         /* the worker cloned for the spawn */
	int pidfd;         /* the test's pidfd of it */
	int ran, saw_poll; /* its program ran; the helper waited in epoll_wait */
	char comm[32];
};

/* Once the helper waits in epoll_wait for the answer: hold its thread, let the
 * spawner answer, wait until the worker is cloned (before session 8: until
 * it ran its program, past every use of its channel the framework makes;
 * now it waits for the helper's go first), then cut: no room for any
 * fd, and the helper's thread goes on to read the answer. */
static void *late_cut_thread(void *arg)
{
	struct late_cut *c = arg;
	struct privsep_helper *h = c->f->x->h;
	pid_t not [9];
	int n = not_workers(c->f, not );
	int64_t end = now_ms() + 10000;
	c->saw_poll = hold_in_poll(c->tid, h, end);
	kill(h->spawner.pid, SIGCONT);
	while (c->saw_poll && !c->ran && now_ms() < end) {
		char path[64];
		int fd;
		ssize_t k;
		if (!c->pid)
			c->pid = child_not_in(c->tid, not, n);
		if (c->pid) {
			if (c->pidfd < 0)
				c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)c->pid);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			k = fd >= 0 ? read(fd, c->comm, sizeof(c->comm) - 1) : -1;
			if (fd >= 0)
				close(fd);
			c->comm[k > 0 ? k : 0] = '\0';
			c->comm[strcspn(c->comm, "\n")] = '\0';
			/* cloned: its program starts only once the helper holds
			 * it (the spawner's go, which the held helper has not
			 * sent), so this is as late as a cut can come now */
			c->ran = c->pidfd >= 0;
		}
		if (!c->ran)
			poll(NULL, 0, 1);
	}
	if (c->saw_poll) {
		/* no room, the limit not 0: every fd below it open */
		struct rlimit rl;
		int k = 0;
		while (fcntl(k, F_GETFD) >= 0)
			k++;
		if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
			rl.rlim_cur = (rlim_t)k;
			(void)setrlimit(RLIMIT_NOFILE, &rl);
		}
		(void)!write(hold[1], "", 1);
	}
	return NULL;
}

/* A test's failure about pid, a child of this process still there: its
 * state into state (len bytes), then it killed and reaped, and the
 * helper's log said. */
static void child_given_up(const struct hx *x, pid_t pid, char *state, size_t len)
{
	snprintf(state, len, "?");
	(void)status_field(pid, "State", state, len);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, __WALL);
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

/* A compromised worker's view of an answer cut to no fd: the worker
 * cloned for it got past every use of its channel that the framework
 * makes (the cut came after its program started: the helper's thread
 * read the answer late) and runs a program that never touches its
 * channel (/bin/sleep, a foreign program) - nothing of its own ends it,
 * and the helper, with no fd of the answer, holds no pidfd of it and
 * cannot kill it (helper.policy has neither kill nor pidfd_open).  It
 * must still be gone, and reaped, within a bound: the spawner kept its
 * pidfd and ends it when the helper says the answer brought it none.
 * Reached for real: the spawner held stopped until the helper's thread
 * waits in epoll_wait, that thread then held in a signal handler while the
 * spawner answers and the worker's program starts, the fd limit lowered
 * to no room, the thread let go.  Fails on main (71ffdc2): the sleeper
 * runs on, unmanaged, for its hour. */
static void
an_answer_cut_to_no_fd_has_its_worker_ended_though_its_program_never_uses_its_channel(void **s)
{
	struct spawner_fx f;
	static const char *argv_sleep[] = {"sleep", "3600", NULL};
	/* opened before the spawner starts: a program it knows */
	struct privsep_exec ex = {.fd = privsep_exec_open("/bin/sleep"),
	                          .argv = argv_sleep,
	                          .flags = PRIVSEP_EXEC_FOREIGN};
	struct hx *x = spawner_fx_new(&f);
	struct privsep_spawn sp = {.name = "sleeper", .exec = &ex};
	struct late_cut c = {.f = &f, .tid = gettid(), .pidfd = -1};
	struct sigaction old;
	struct rlimit saved;
	struct privsep_worker *w;
	pthread_t t;
	int e, ended = 0;
	int64_t end;
	(void)s;
	assert_true(ex.fd >= 0);
	x->h->confined = 1; /* what privsep_helper_confine sets */
	hold_ready(&old);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	spawner_stopped(x->h->spawner.pid);
	assert_int_equal(pthread_create(&t, NULL, late_cut_thread, &c), 0);
	errno = 0;
	w = privsep_spawn(x->h, &sp);
	e = errno;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	if (!c.saw_poll || !c.ran || c.pidfd < 0)
		fail_msg(
		    "not reached: the helper in epoll_wait %d, the program ran %d (comm \"%s\"), "
		    "pid %d",
		    c.saw_poll, c.ran, c.comm, (int)c.pid);
	if (w) {
		kill(c.pid, SIGKILL);
		assert_true(hx_pump_gone(x, 1, 20000));
		fail_msg("room for no fd: the spawn started whole");
	}
	assert_int_equal(e, EMFILE);
	assert_true(hx_logged(x, "worker \"sleeper\": not started: the helper's fd limit let 0 "
	                         "of the "));
	/* gone, and reaped by the helper, within a bound (its loop turning) */
	end = now_ms() + 10000;
	for (;;) {
		struct pollfd p = {c.pidfd, POLLIN, 0};
		pid_t not [9];
		int n = not_workers(&f, not );
		ended = poll(&p, 1, 0) == 1;
		if (ended && child_not_in(gettid(), not, n) != c.pid)
			break;
		if (now_ms() > end)
			break;
		(void)privsep_helper_step(x->h, 20);
	}
	if (!ended || kill(c.pid, 0) == 0) {
		char state[64];
		child_given_up(x, c.pid, state, sizeof(state));
		fail_msg(
		    "pid %d (%s, state %s), the worker of an answer cut to no fd whose program "
		    "never uses its channel, %s 10 s after the cut",
		    (int)c.pid, c.comm, state, ended ? "is not reaped" : "still runs");
	}
	assert_false(hx_logged(x, "no worker starts from now on"));
	/* the spawner goes on */
	sp = f.sp;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 1, 20000));
	close(c.pidfd);
	close(hold[0]);
	close(hold[1]);
	close(ex.fd);
	close(f.prog);
	hx_free(x);
}

/* The spawner ended between the clone3 of a worker and its answer. */
struct at_clone {
	pid_t spawner;
	pid_t pid;    /* the worker its clone3 returned */
	int ready[2]; /* a byte once it is traced, or could not be */
	int seized, killed;
};

/* The spawner traced (this thread its tracer) from its next call on,
 * killed at the exit stop of its clone3: the worker is cloned, the
 * helper's child, and no byte of the answer is written. */
static void *kill_at_clone_thread(void *arg)
{
	struct at_clone *c = arg;
	long last = -1;
	int st;
	c->seized = ptrace(PTRACE_SEIZE, c->spawner, 0, PTRACE_O_TRACESYSGOOD) == 0 &&
	            ptrace(PTRACE_INTERRUPT, c->spawner, 0, 0) == 0;
	/* the request is sent only now: its clone3 is seen */
	(void)!write(c->ready[1], "", 1);
	if (!c->seized)
		return NULL;
	while (waitpid(c->spawner, &st, __WALL) == c->spawner && WIFSTOPPED(st)) {
		int sig = 0;
		if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
			struct __ptrace_syscall_info si;
			memset(&si, 0, sizeof(si));
			if (ptrace(PTRACE_GET_SYSCALL_INFO, c->spawner, sizeof(si), &si) <= 0)
				return NULL;
			if (si.op == PTRACE_SYSCALL_INFO_ENTRY)
				last = (long)si.entry.nr;
			else if (si.op == PTRACE_SYSCALL_INFO_EXIT && last == SYS_clone3 &&
			         si.exit.rval > 0) {
				c->pid = (pid_t)si.exit.rval;
				__atomic_store_n(&c->killed, kill(c->spawner, SIGKILL) == 0,
				                 __ATOMIC_SEQ_CST);
				return NULL; /* its end is the helper's to reap */
			}
		} else if ((st >> 16) == 0) {
			sig = WSTOPSIG(st); /* a signal for it: delivered */
		}
		if (ptrace(PTRACE_SYSCALL, c->spawner, 0, sig) < 0)
			return NULL;
	}
	return NULL;
}

/* A spawner that ends after it cloned a worker and before it answered
 * (killed by a compromised helper, which holds its pidfd, at that
 * moment; or by the helper at its answer's timeout while it is held
 * there): the worker, the helper's child (CLONE_PARENT), finds its
 * channel's end of file before anything and exits 127; the helper never
 * learnt its pid from an answer.  It must still be reaped, not left a
 * zombie until the helper exits.  Reached for real: the spawner traced
 * by the test and killed at the exit stop of its clone3.  Fails on main:
 * the worker stays a zombie child of the helper. */
static void a_worker_whose_spawner_ended_before_answering_is_reaped(void **s)
{
	struct spawner_fx f;
	struct hx *x = spawner_fx_new(&f);
	struct privsep_spawn sp = f.sp;
	struct at_clone c = {.spawner = x->h->spawner.pid};
	struct privsep_worker *w;
	pthread_t t;
	pid_t unknown = 0;
	int64_t end;
	int e, spawner_fd = (int)syscall(SYS_pidfd_open, c.spawner, 0);
	char b;
	(void)s;
	assert_true(spawner_fd >= 0);
	assert_int_equal(pipe2(c.ready, O_CLOEXEC), 0);
	x->h->confined = 1; /* what privsep_helper_confine sets */
	assert_int_equal(pthread_create(&t, NULL, kill_at_clone_thread, &c), 0);
	assert_int_equal(read(c.ready[0], &b, 1), 1);
	close(c.ready[0]);
	close(c.ready[1]);
	if (!c.seized) {
		/* ptrace of its own child refused by this host */
		assert_int_equal(pthread_join(t, NULL), 0);
		close(spawner_fd);
		close(f.prog);
		hx_free(x);
		skip();
	}
	errno = 0;
	w = privsep_spawn(x->h, &sp);
	e = errno;
	/* not killed at a clone3 (none came): the tracer's wait ends */
	if (!__atomic_load_n(&c.killed, __ATOMIC_SEQ_CST))
		(void)syscall(SYS_pidfd_send_signal, spawner_fd, SIGKILL, NULL, 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	close(spawner_fd);
	if (!c.killed || !c.pid)
		fail_msg("not reached: the spawner was %skilled at its clone3 (pid %d)",
		         c.killed ? "" : "not ", (int)c.pid);
	assert_null(w);
	assert_int_equal(e, ECHILD);
	/* gone, and reaped by the helper, within a bound (its loop turning) */
	end = now_ms() + 10000;
	while ((unknown = spawner_fx_unknown_child(&f)) == c.pid && now_ms() < end)
		(void)privsep_helper_step(x->h, 20);
	if (unknown == c.pid) {
		char st[64];
		child_given_up(x, c.pid, st, sizeof(st));
		fail_msg("pid %d (state %s), cloned by the spawner that ended before it "
		         "answered, is still a child of the helper 10 s later",
		         (int)c.pid, st);
	}
	assert_true(hx_logged(x, "cloned by the spawner that ended before it answered"));
	/* it never ran its program: its channel's end of file, first */
	assert_true(hx_logged(x, "never read, ended (status 127) and is reaped"));
	close(f.prog);
	hx_free(x);
}

/* Whether the spawner (a child of this process) sleeps in recvmsg: it
 * answered what it read and waits for the next record. */
static int spawner_in_recv(pid_t spawner)
{
	char path[64], buf[256], st[64];
	unsigned long nr;
	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)spawner);
	if (hx_read_small(path, buf, sizeof(buf)) <= 0 || sscanf(buf, "%lu", &nr) != 1)
		return 0;
	return nr == SYS_recvmsg && status_field(spawner, "State", st, sizeof(st)) == 0 &&
	       st[0] == 'S';
}

struct lost {
	struct spawner_fx *f;
	pid_t tid;              /* the helper's thread */
	pid_t pid;              /* the worker cloned for the spawn */
	int pidfd;              /* the test's pidfd of it */
	int saw_poll, answered; /* the helper waited; the spawner answered */
};

/* Once the helper waits in epoll_wait for the answer: hold its thread,
 * let the spawner go on (an END's ENDED first, then the spawn's answer),
 * wait until it cloned the worker and answered, let the helper go. */
static void *lost_thread(void *arg)
{
	struct lost *c = arg;
	struct privsep_helper *h = c->f->x->h;
	pid_t not [9];
	int n = not_workers(c->f, not );
	int64_t end = now_ms() + 10000;
	c->saw_poll = hold_in_poll(c->tid, h, end);
	kill(h->spawner.pid, SIGCONT);
	while (c->saw_poll && !c->answered && now_ms() < end) {
		if (!c->pid)
			c->pid = child_not_in(c->tid, not, n);
		if (c->pid && c->pidfd < 0)
			c->pidfd = (int)syscall(SYS_pidfd_open, c->pid, 0);
		c->answered = c->pidfd >= 0 && spawner_in_recv(h->spawner.pid);
		if (!c->answered)
			poll(NULL, 0, 1);
	}
	if (c->saw_poll)
		(void)!write(hold[1], "", 1);
	return NULL;
}

/* The helper gives its spawner up with the answer of a spawn unread (a
 * record before it that is no answer: the helper kills the spawner and
 * closes its socket, as after a timeout): the worker cloned for that
 * answer has lost the one pidfd anybody held of it (the spawner's), and
 * the helper never had one.  It must never run its program and must
 * end: it waits, before anything, for the helper's go on its channel,
 * whose other end went with the unread answer (end of file).  Reached
 * for real: the spawner held stopped while an END and the spawn's
 * request wait for it, the helper's thread held in a signal handler
 * from its epoll_wait until the spawner cloned the worker and answered
 * both.  Fails on main (c00ebe4): /bin/sleep 3600 runs on, unmanaged. */
static void
a_worker_whose_spawner_is_lost_with_its_answer_unread_never_runs_its_program_and_ends(void **s)
{
	struct spawner_fx f;
	static const char *argv_sleep[] = {"sleep", "3600", NULL};
	struct privsep_exec ex = {.fd = privsep_exec_open("/bin/sleep"),
	                          .argv = argv_sleep,
	                          .flags = PRIVSEP_EXEC_FOREIGN};
	struct hx *x = spawner_fx_new(&f);
	struct privsep_spawn sp = {.name = "sleeper", .exec = &ex};
	struct lost c = {.f = &f, .tid = gettid(), .pidfd = -1};
	struct sigaction old;
	struct privsep_worker *w;
	struct pollfd p;
	siginfo_t si;
	uint8_t end_rec[8];
	struct privsep_writer wr;
	pthread_t t;
	int e;
	int64_t end;
	(void)s;
	assert_true(ex.fd >= 0);
	x->h->confined = 1; /* what privsep_helper_confine sets */
	hold_ready(&old);
	spawner_stopped(x->h->spawner.pid);
	/* a record that comes before the answer and is none: the ENDED of
	 * an END for a pid the spawner does not hold */
	privsep_writer_init(&wr, end_rec, sizeof(end_rec));
	privsep_writer_put_u32(&wr, SPAWNER_END_MAGIC);
	privsep_writer_put_u32(&wr, (uint32_t)getpid());
	assert_int_equal(send(x->h->spawner.sock, end_rec, wr.len, MSG_NOSIGNAL), (ssize_t)wr.len);
	assert_int_equal(pthread_create(&t, NULL, lost_thread, &c), 0);
	errno = 0;
	w = privsep_spawn(x->h, &sp);
	e = errno;
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
	if (!c.saw_poll || !c.answered || c.pidfd < 0)
		fail_msg(
		    "not reached: the helper in epoll_wait %d, the spawner answered %d, pid %d",
		    c.saw_poll, c.answered, (int)c.pid);
	assert_null(w);
	assert_int_equal(e, ECHILD);
	assert_true(hx_logged(x, "answered with a malformed record; no worker starts"));
	/* it ends by itself, within a bound, before its program ran */
	p = (struct pollfd){c.pidfd, POLLIN, 0};
	if (poll(&p, 1, 10000) != 1) {
		char comm[32] = "?";
		char path[64];
		int fd;
		ssize_t k;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)c.pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		k = fd >= 0 ? read(fd, comm, sizeof(comm) - 1) : -1;
		if (fd >= 0)
			close(fd);
		comm[k > 0 ? k : 1] = '\0';
		comm[strcspn(comm, "\n")] = '\0';
		(void)syscall(SYS_pidfd_send_signal, c.pidfd, SIGKILL, NULL, 0);
		waitpid(c.pid, NULL, __WALL);
		fail_msg("pid %d (%s), the worker of an answer never read, still runs 10 s after "
		         "its spawner was given up: nobody holds its pidfd",
		         (int)c.pid, comm);
	}
	/* 127: it found end of file where the go would be, ran nothing; and
	 * the helper, its parent, read the answer it had left unread once
	 * the spawner was dead and reaps it (before, it stayed a zombie
	 * until the helper exited: session 9) */
	memset(&si, 0, sizeof(si));
	assert_int_equal(
	    waitid((idtype_t)P_PIDFD, (id_t)c.pidfd, &si, WEXITED | WNOWAIT | WNOHANG | __WALL), 0);
	assert_int_equal(si.si_code, CLD_EXITED);
	assert_int_equal(si.si_status, 127);
	{
		char line[160];
		snprintf(line, sizeof(line),
		         "spawner: process %d, the worker of an answer cut to no "
		         "fd or never read, ended (status 127) and is reaped",
		         (int)c.pid);
		end = now_ms() + 10000;
		while (!hx_logged(x, line) && now_ms() < end)
			privsep_helper_step(x->h, 10);
		if (!hx_logged(x, line)) {
			waitpid(c.pid, NULL, __WALL);
			fail_msg("pid %d, the worker of an answer never read, ended but the helper "
			         "did not reap it",
			         (int)c.pid);
		}
	}
	assert_true(hx_logged(x, "cloned for an answer the helper never read"));
	errno = 0;
	assert_int_equal(waitid((idtype_t)P_PIDFD, (id_t)c.pidfd, &si, WEXITED | WNOHANG | __WALL),
	                 -1);
	assert_int_equal(errno, ECHILD);
	close(c.pidfd);
	close(hold[0]);
	close(hold[1]);
	close(ex.fd);
	close(f.prog);
	hx_free(x);
}

/* A compromised confined helper writes END records of its own on its
 * spawner's socket, the spawner being unconfined with the privileges of
 * a spawn: it must not become a way to kill what the helper could not.
 * Naming the helper's own pid, pid 1, a worker still alive and managed
 * (handed over: the helper said GOT), a worker's old pid (reaped, free
 * to be recycled), a process the spawner never cloned: each is refused
 * (ESRCH) with one line on the spawner's standard error, outside the
 * helper's log, and each of them lives on; the spawner goes on.  Fails
 * on main (71ffdc2), whose spawner takes an END for a malformed request
 * and exits; fails if the spawner kills the pid it is told (a mutant
 * with pidfd_open(pid) in place of the pidfd it kept). */
static void a_compromised_helpers_spawner_ends_no_process_but_the_one_it_cloned_and_holds(void **s)
{
	struct spawner_fx f;
	struct hx *x;
	static const char *argv_pause[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "pause", "-", NULL};
	struct privsep_exec ex;
	struct privsep_spawn sp;
	struct privsep_worker *w;
	pid_t old, managed, stranger, targets[5];
	int err2 = memfd_create("spawner-stderr", MFD_CLOEXEC), saved2 = dup(STDERR_FILENO);
	int gone;
	(void)s;
	assert_true(err2 >= 0 && saved2 >= 0);
	/* the spawner's standard error is the helper's at its start */
	assert_true(dup2(err2, STDERR_FILENO) >= 0);
	x = spawner_fx_new(&f);
	assert_true(dup2(saved2, STDERR_FILENO) >= 0);
	close(saved2);
	x->h->confined = 1;
	/* a worker's old pid: started, handed over, ended, reaped */
	sp = f.sp;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	old = w->pid;
	assert_true(hx_pump_gone(x, 1, 20000));
	gone = x->gone;
	/* a worker alive and managed */
	ex = f.ex;
	ex.argv = argv_pause;
	sp.exec = &ex;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	managed = w->pid;
	/* a process the spawner never cloned */
	stranger = fork();
	assert_true(stranger >= 0);
	if (stranger == 0) {
		(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	targets[0] = getpid();
	targets[1] = 1;
	targets[2] = managed;
	targets[3] = old;
	targets[4] = stranger;
	for (int i = 0; i < 5; i++) {
		char line[128];
		uint32_t e = 0;
		if (spawner_peer_end(x->h->spawner.sock, targets[i], &e) < 0) {
			kill(stranger, SIGKILL);
			waitpid(stranger, NULL, 0);
			fail_msg("an END naming pid %d: no ENDED answer (the spawner: %s)",
			         (int)targets[i],
			         spawner_peer_lines_with(err2, "it exits") ? "exited"
			                                                   : "said nothing");
		}
		assert_int_equal(e, ESRCH);
		snprintf(line, sizeof(line), "refused to end pid %d: not the process it cloned",
		         (int)targets[i]);
		assert_int_equal(spawner_peer_lines_with(err2, line), 1);
	}
	/* every one of them lives on */
	assert_int_equal(kill(1, 0) == 0 || errno == EPERM, 1);
	assert_int_equal(kill(stranger, 0), 0);
	{
		int pfd = (int)syscall(SYS_pidfd_open, stranger, 0);
		struct pollfd p = {pfd, POLLIN, 0};
		assert_true(pfd >= 0);
		assert_int_equal(poll(&p, 1, 0), 0);
		close(pfd);
		p.fd = w->pidfd;
		assert_int_equal(poll(&p, 1, 0), 0);
	}
	(void)privsep_helper_step(x->h, 0);
	assert_int_equal(x->gone, gone);
	kill(stranger, SIGKILL);
	waitpid(stranger, NULL, 0);
	privsep_worker_kill(w);
	assert_true(hx_pump_gone(x, gone + 1, 20000));
	/* the spawner goes on: the next spawn starts */
	sp = f.sp;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, gone + 2, 20000));
	assert_int_equal(spawner_peer_lines_with(err2, "it exits"), 0);
	close(err2);
	close(f.prog);
	hx_free(x);
}

/* What the request's flags cannot ask for, the policy text (the helper's
 * too) cannot either: a policy that says "namespaces off" takes the
 * namespaces and the empty root away as PRIVSEP_SB_NO_NAMESPACES does.
 * A confined helper's spawner starts no such worker (EPERM, one line
 * naming why), root or not; the same spawner then starts a worker under
 * the same policy without it.  Fails without the check in spawner.c's
 * spawn_one (the worker starts, outside its namespaces as root). */
static void a_confined_helpers_spawner_starts_no_worker_whose_policy_turns_namespaces_off(void **s)
{
	struct hx *x = hx_new(spawner_peer_table, 1, 0);
	int prog = privsep_exec_open(EXEC_WORKER);
	struct privsep_exec ex = {.fd = prog, .argv = spawner_peer_argv_report};
	struct privsep_sandbox sb = {.policy = "no-namespaces.policy",
	                             .policy_text =
	                                 "version 1\ninclude <default.policy>\nnamespaces off\n"};
	struct privsep_spawn sp = {.name = "nons", .exec = &ex, .sandbox = &sb};
	struct privsep_worker *w;
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	assert_non_null(x);
	assert_true(prog >= 0);
	/* started once before confining (a policy the spawner knows): the
	 * spawner refuses it for what it says, not for being unknown */
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 1, 20000));
	assert_int_equal(spawner_start(x->h), 0);
	x->h->confined = 1; /* what privsep_helper_confine sets */
	errno = 0;
	w = privsep_spawn(x->h, &sp);
	if (w) {
		assert_true(hx_pump_gone(x, 1, 20000));
		fail_msg("a confined helper's spawner started a worker whose policy says "
		         "\"namespaces off\"");
	}
	assert_int_equal(errno, EPERM);
	assert_true(hx_logged(x, "namespaces off"));
	/* the spawner is not lost for it: the same program, the default
	 * policy, starts */
	sp.sandbox = NULL;
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 2, 20000));
	close(prog);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_cannot_have_its_spawner_start_a_process_without_a_sandbox),
	    cmocka_unit_test(
	        a_spawn_failed_at_the_helpers_fd_limit_fails_alone_and_the_next_one_starts),
	    cmocka_unit_test(
	        an_answer_cut_at_the_helpers_fd_limit_kills_its_worker_and_the_next_spawn_starts),
	    cmocka_unit_test(
	        a_confined_helpers_spawner_starts_no_worker_whose_policy_turns_namespaces_off),
	    cmocka_unit_test(
	        an_answer_cut_to_no_fd_has_its_worker_ended_though_its_program_never_uses_its_channel),
	    cmocka_unit_test(a_worker_whose_spawner_ended_before_answering_is_reaped),
	    cmocka_unit_test(
	        a_compromised_helpers_spawner_ends_no_process_but_the_one_it_cloned_and_holds),
	    cmocka_unit_test(
	        a_worker_whose_spawner_is_lost_with_its_answer_unread_never_runs_its_program_and_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
