/* SPDX-License-Identifier: ISC */
/*
 * test_spawner_include.c - a compromised confined helper cannot make its
 * spawner check one policy and compile another.
 *
 * A reload's policy text (a text not byte-identical to the one of its
 * name known before confining) is taken when it allows no more than the
 * known one.  Such a text may include a file by path.  The spawner read
 * the text's includes once to check it (spawner_known.c) and again to
 * compile the worker's filter (policies.c): the attacker, who may write
 * that file (the helper is root; its filter lets it openat2 any file
 * for writing), rewrites it between the two reads.  Here the rewrite is
 * made at the exact moment of the second read by a fanotify permission
 * event on the included file (root only: the spawner is root's anyway),
 * and the rewritten file raises the fd limit the known policy set: the
 * worker's own limit shows which text its sandbox was built from.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
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

#define NARROW "version 1\nrlimit nofile 48\n"
#define WIDE "version 1\nrlimit nofile 900\n"

/* The included file's permission events: the second open finds WIDE. */
struct watcher {
	pthread_t t;
	int fan, rw;
	atomic_int opens, stop;
};

static void *watch_main(void *arg)
{
	struct watcher *w = arg;
	char buf[4096] __attribute__((aligned(8)));
	while (!atomic_load(&w->stop)) {
		struct pollfd p = {w->fan, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 100) != 1)
			continue;
		n = read(w->fan, buf, sizeof(buf));
		for (struct fanotify_event_metadata *m = (void *)buf; n > 0 && FAN_EVENT_OK(m, n);
		     m = FAN_EVENT_NEXT(m, n)) {
			struct fanotify_response r = {.fd = m->fd, .response = FAN_ALLOW};
			if ((m->mask & FAN_OPEN_PERM) && atomic_fetch_add(&w->opens, 1) == 1) {
				/* the second read: the attacker's text, through an fd
				 * opened before the mark (no event of its own) */
				if (ftruncate(w->rw, 0) < 0 ||
				    pwrite(w->rw, WIDE, strlen(WIDE), 0) != (ssize_t)strlen(WIDE))
					r.response = FAN_DENY;
			}
			(void)!write(w->fan, &r, sizeof(r));
			if (m->fd >= 0)
				close(m->fd);
		}
	}
	return NULL;
}

/* The spawner's answer: its err and pid (the worker left running, our
 * child by CLONE_PARENT; its channel's fds kept open in keep[]). */
static int answer(int sock, uint32_t *err, pid_t *pid, int *keep, size_t *nkeep)
{
	if (spawner_peer_answer(sock, err, pid, keep, 8, nkeep) < 0)
		return -1;
	if (*pid) {
		spawner_peer_got(sock, *pid);
		/* and its go on the worker's channel (fds[1], as the helper
		 * sends it): the worker's sandbox steps begin */
		if (*nkeep > 1) {
			const char go = SPAWNER_GO;
			(void)send(keep[1], &go, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
	}
	return 0;
}

/* The worker's soft fd limit once its sandbox set it (step 2; the
 * spawner's own is neither 48 nor 900): read when the worker's first
 * record is on its channel (chan, the helper's end: it sends it after
 * its sandbox steps) or the channel ended, waited for up to 20 s.  The
 * value, or -1: nothing came, or no limit could be read. */
static long worker_nofile(pid_t pid, int chan)
{
	char path[64], line[256];
	struct pollfd p = {chan, POLLIN, 0};
	long v = -1;
	FILE *f;
	if (poll(&p, 1, 20000) != 1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Max open files", 14))
			v = strtol(line + 14, NULL, 10);
	fclose(f);
	return v;
}

/* One attempt, the known text including the file with word (the
 * directive up to the quoted path); the request's text the known one
 * itself when same (taken by the first check at once: only the check of
 * what was compiled stands), else a reload's. */
static void attempt(const char *word, int same)
{
	char dir[] = "/tmp/privsep-include-XXXXXX", inc[128], known[512], reload[600];
	struct watcher wt = {0};
	struct privsep_exec ex;
	struct privsep_sandbox sb;
	struct privsep_spawn sp;
	struct privsep_worker *w;
	struct hx *x;
	uint8_t *buf;
	int fds[SPAWNER_REQ_FDS], keep[8], prog, err2, saved2;
	size_t len, nfds, nkeep;
	uint32_t err = 0;
	pid_t pid = 0;
	if (under_valgrind() || geteuid() != 0)
		skip(); /* a spawner is a root helper's; fanotify needs root */
	wt.fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY | O_CLOEXEC);
	if (wt.fan < 0)
		skip(); /* no fanotify here (a container without it) */
	assert_non_null(mkdtemp(dir));
	snprintf(inc, sizeof(inc), "%s/inc.policy", dir);
	wt.rw = open(inc, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	assert_true(wt.rw >= 0);
	assert_int_equal(write(wt.rw, NARROW, strlen(NARROW)), (ssize_t)strlen(NARROW));
	snprintf(known, sizeof(known), "version 1\ninclude <default.policy>\n");
	snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s\"%s\"\n", word, inc);
	/* the reload's text: the known one and a comment (another text,
	 * the same rules: within it) */
	snprintf(reload, sizeof(reload), "%s# reloaded\n", known);

	/* the application, before confining: one worker under the known
	 * policy, then its spawner */
	x = hx_new(spawner_peer_table, 1, 0);
	assert_non_null(x);
	prog = privsep_exec_open(EXEC_WORKER);
	assert_true(prog >= 0);
	ex = (struct privsep_exec){.fd = prog, .argv = spawner_peer_argv_report};
	sb = (struct privsep_sandbox){.policy = "known.policy", .policy_text = known};
	sp = (struct privsep_spawn){.name = "known", .exec = &ex, .sandbox = &sb};
	w = privsep_spawn(x->h, &sp);
	assert_non_null(w);
	assert_true(hx_pump_gone(x, 1, 20000));
	err2 = memfd_create("spawner-stderr", MFD_CLOEXEC);
	saved2 = dup(STDERR_FILENO);
	assert_true(err2 >= 0 && saved2 >= 0);
	assert_true(dup2(err2, STDERR_FILENO) >= 0);
	assert_int_equal(spawner_start(x->h), 0);
	assert_true(dup2(saved2, STDERR_FILENO) >= 0);
	close(saved2);
	x->h->confined = 1;

	/* the attacker: the reload's text, the include rewritten at the
	 * spawner's second read of it */
	assert_int_equal(fanotify_mark(wt.fan, FAN_MARK_ADD, FAN_OPEN_PERM, AT_FDCWD, inc), 0);
	assert_int_equal(pthread_create(&wt.t, NULL, watch_main, &wt), 0);
	sb.policy_text = same ? known : reload;
	buf = calloc(1, SPAWNER_REQ_MAX);
	assert_non_null(buf);
	assert_int_equal(spawner_req_write(&sp, buf, SPAWNER_REQ_MAX, &len, fds, &nfds), 0);
	assert_int_equal(raw_send(x->h->spawner.sock, buf, len, fds, nfds), 0);
	free(buf);
	assert_int_equal(answer(x->h->spawner.sock, &err, &pid, keep, &nkeep), 0);
	atomic_store(&wt.stop, 1);
	pthread_join(wt.t, NULL);
	if (pid) {
		/* started: under the text it checked (the include's 48),
		 * never under the include as rewritten (900) */
		long v = nkeep > 1 ? worker_nofile(pid, keep[1]) : -1;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, __WALL);
		if (v != 48)
			fail_msg(
			    "the worker's fd limit is %ld: its sandbox was built from a text the "
			    "spawner did not check (the include read %d times)",
			    v, atomic_load(&wt.opens));
	} else {
		/* refused as rule 6 says: EPERM and one line naming it on the
		 * spawner's standard error */
		assert_int_equal(err, EPERM);
		assert_int_equal(spawner_peer_lines_with(err2, "refused worker \"known\""), 1);
		if (same && atomic_load(&wt.opens) < 2)
			fail_msg("refused before the include was read again (%d reads): the "
			         "case this attempt is for was not reached",
			         atomic_load(&wt.opens));
	}
	for (size_t i = 0; i < nkeep; i++)
		close(keep[i]);
	close(wt.fan);
	close(wt.rw);
	close(err2);
	close(prog);
	hx_free(x);
	assert_int_equal(unlink(inc), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* The include as it is usually written, and as the parser also reads it
 * (no blank after include; a carriage return before it, which the
 * tokenizer skips as a blank): a check of the text's spelling for
 * includes (s8-spawner8's includes_a_file) passes the last two, so only
 * the compiled policies, checked again, hold. */
static void
a_compromised_confined_helper_cannot_have_its_spawner_check_one_include_and_compile_another(
    void **s)
{
	(void)s;
	attempt("include ", 0);
	attempt("include", 0);
	attempt("\rinclude ", 0);
	attempt("include ", 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_compromised_confined_helper_cannot_have_its_spawner_check_one_include_and_compile_another),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
