/* SPDX-License-Identifier: ISC */
/*
 * Asynchronous calls (privsep_client_call_async, privsep_fs_open_async,
 * privsep_client_cancel): many brokered opens in flight from one worker,
 * each answered once with its own file; a refusal among them fails that
 * one alone; a cancelled call's fd is closed; a client whose helper goes
 * away ends every call in flight; and a worker killed with opens in
 * flight (replies with fds in its socket, one queued in the helper)
 * leaves nothing behind in the helper.  The helper runs in this process
 * and this thread: an asynchronous call never waits, so one thread can
 * start the calls, pump the helper and read the answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "helper_int.h"

static char top[64]; /* the test's directory: files f0 .. f63 */
#define NFILES 64

struct fx {
	struct hx *x;
	struct privsep_worker *w;
	int fd; /* the worker's end of the channel */
};

/* A helper whose raw worker may read the files beneath top. */
static void fx_open(struct fx *f)
{
	char text[256], why[512];
	f->x = hx_new(NULL, 0, 8192);
	assert_non_null(f->x);
	snprintf(text, sizeof(text), "version 1\nbeneath \"%s\" allow read\n", top);
	f->fd = hx_attach_policy(f->x, "async", "async-test.policy", text, &f->w, why, sizeof(why));
	if (f->fd < 0)
		fail_msg("policy: %s", why);
}

static struct privsep_client *fx_client(struct fx *f, size_t queue_max)
{
	struct privsep_client_config cfg = {.msg_max = 8192, .queue_max = queue_max};
	struct privsep_client *c = privsep_client_new(f->fd, &cfg);
	assert_non_null(c);
	return c;
}

/* The end of a test: c freed, its worker gone, the helper freed, and
 * the process holds as many fds as before. */
static void fx_end(struct fx *f, struct privsep_client *c, int before)
{
	privsep_client_free(c);
	assert_true(hx_pump_gone(f->x, 1, 10000));
	hx_free(f->x);
	assert_int_equal(count_fds(), before);
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* One open in flight and how it ended. */
struct op {
	struct privsep_result res;
	int ran;   /* times done ran */
	int error; /* its error */
	int fd;    /* the fd it got, -1 */
	int order; /* when it ended, 1 first */
};

static int ended; /* the order of the ends so far */

static void on_done(struct privsep_result *res, int error, void *arg)
{
	struct op *o = arg;
	assert_ptr_equal(res, &o->res);
	o->ran++;
	o->error = error;
	o->fd = error ? -1 : res->fds[0];
	if (!error)
		assert_int_equal(res->nfds, 1);
	o->order = ++ended;
}

/* Pump the helper and read the answers until n ends were counted in
 * all (or a bound for a hung helper, not a timing claim, passed). */
static void pump_until_ended(struct fx *f, struct privsep_client *c, int n)
{
	long long end = ms_now() + 30000;
	int handled = ended;
	while (ended < n && ms_now() < end) {
		int k;
		privsep_helper_step(f->x->h, 5);
		k = privsep_client_dispatch(c, 0);
		assert_true(k >= 0);
		handled += k;
	}
	assert_int_equal(ended, n);
	/* dispatch counts each done it ran */
	assert_int_equal(handled, n);
}

/* A helper, its worker's client (queue_max), no open ended yet. */
static struct privsep_client *fx_start(struct fx *f, size_t queue_max)
{
	struct privsep_client *c;
	fx_open(f);
	c = fx_client(f, queue_max);
	ended = 0;
	return c;
}

static void path_of(int i, char *p, size_t len)
{
	snprintf(p, len, "%s/f%d", top, i % NFILES);
}

/* The file's content is its number: the fd is the one asked for. */
static void assert_is_file(int fd, int i)
{
	char buf[32], want[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(want, sizeof(want), "%d\n", i % NFILES);
	assert_string_equal(buf, want);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
}

static void many_opens_in_flight_from_one_worker_each_end_once_with_its_own_file(void **s)
{
	enum { N = 600 };
	static struct op ops[N];
	struct fx f;
	struct privsep_client *c;
	int before = count_fds();
	(void)s;
	c = fx_start(&f, N);
	/* all sent before the helper reads one: N in flight at once (the
	 * socket takes some, the client's queue the rest) */
	for (int i = 0; i < N; i++) {
		char p[PATH_MAX];
		uint32_t id = 0;
		path_of(i, p, sizeof(p));
		ops[i] = (struct op){.fd = -1};
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &ops[i].res, on_done, &ops[i], &id), 0);
		assert_true(id != 0);
	}
	assert_true(privsep_client_queued(c) > 0); /* more than the socket takes */
	pump_until_ended(&f, c, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ops[i].ran, 1);
		assert_int_equal(ops[i].error, 0);
		/* the helper answers in the order sent */
		assert_int_equal(ops[i].order, i + 1);
		assert_is_file(ops[i].fd, i);
		close(ops[i].fd);
	}
	/* nothing more comes, nothing runs twice */
	privsep_helper_step(f.x->h, 5);
	assert_int_equal(privsep_client_dispatch(c, 0), 0);
	fx_end(&f, c, before);
}

static void a_refusal_among_opens_in_flight_fails_that_open_alone(void **s)
{
	enum { N = 21 };
	struct op ops[N];
	struct fx f;
	struct privsep_client *c;
	int before = count_fds();
	(void)s;
	c = fx_start(&f, 0);
	for (int i = 0; i < N; i++) {
		char p[PATH_MAX];
		path_of(i, p, sizeof(p));
		if (i == 7)
			snprintf(p, sizeof(p), "/etc/shadow"); /* no rule allows it */
		if (i == 10)
			snprintf(p, sizeof(p), "%s/missing", top);
		if (i == 13)
			snprintf(p, sizeof(p), "%s/../%s/f1", top, top + 5); /* a .. component */
		ops[i] = (struct op){.fd = -1};
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &ops[i].res, on_done, &ops[i], NULL), 0);
	}
	/* a local refusal: nothing sent, done never runs */
	{
		struct op bad = {.fd = -1};
		assert_int_equal(
		    privsep_fs_open_async(c, "x", O_RDONLY, &bad.res, NULL, &bad, NULL), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(
		    privsep_fs_open_async(c, NULL, O_RDONLY, &bad.res, on_done, &bad, NULL), -1);
		assert_int_equal(errno, EINVAL);
		assert_int_equal(bad.ran, 0);
	}
	pump_until_ended(&f, c, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ops[i].ran, 1);
		assert_int_equal(ops[i].order, i + 1);
		if (i == 7 || i == 13) {
			assert_int_equal(ops[i].error, EACCES);
			assert_int_equal(ops[i].res.refused, 1);
			assert_non_null(strstr(ops[i].res.detail,
			                       i == 7 ? "no rule allows" : "a .. component"));
			assert_int_equal(ops[i].res.nfds, 0);
		} else if (i == 10) {
			assert_int_equal(ops[i].error, ENOENT);
			assert_int_equal(ops[i].res.refused, 1);
		} else {
			assert_int_equal(ops[i].error, 0);
			assert_is_file(ops[i].fd, i);
			close(ops[i].fd);
		}
	}
	fx_end(&f, c, before);
}

static void a_cancelled_open_never_ends_and_its_fd_is_closed(void **s)
{
	struct op ops[3] = {{.fd = -1}, {.fd = -1}, {.fd = -1}};
	uint32_t ids[3];
	struct fx f;
	struct privsep_client *c;
	int before = count_fds();
	(void)s;
	c = fx_start(&f, 0);
	for (int i = 0; i < 3; i++) {
		char p[PATH_MAX];
		path_of(i, p, sizeof(p));
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &ops[i].res, on_done, &ops[i], &ids[i]),
		    0);
	}
	assert_int_equal(privsep_client_cancel(c, ids[1]), 0);
	assert_int_equal(privsep_client_cancel(c, ids[1]), -1); /* once */
	assert_int_equal(errno, ENOENT);
	assert_int_equal(privsep_client_cancel(c, 0xdead), -1);
	assert_int_equal(errno, ENOENT);
	pump_until_ended(&f, c, 2);
	assert_int_equal(ops[0].ran, 1);
	assert_int_equal(ops[1].ran, 0);
	assert_int_equal(ops[2].ran, 1);
	/* the cancelled call's reply came in between, and it was no
	 * violation: the client lives and calls again */
	{
		struct op again = {.fd = -1};
		char p[PATH_MAX];
		path_of(5, p, sizeof(p));
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &again.res, on_done, &again, NULL), 0);
		pump_until_ended(&f, c, 3);
		assert_int_equal(again.error, 0);
		assert_is_file(again.fd, 5);
		close(again.fd);
	}
	assert_int_equal(privsep_client_cancel(c, ids[0]), -1); /* ended already */
	close(ops[0].fd);
	close(ops[2].fd);
	/* the cancelled open's fd was closed by the client */
	fx_end(&f, c, before);
}

static void when_the_helper_goes_every_open_in_flight_ends_with_epipe(void **s)
{
	enum { N = 10 };
	struct op ops[N];
	struct fx f;
	struct privsep_client *c;
	int before = count_fds(), n;
	(void)s;
	c = fx_start(&f, 0);
	for (int i = 0; i < N; i++) {
		char p[PATH_MAX];
		path_of(i, p, sizeof(p));
		ops[i] = (struct op){.fd = -1};
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &ops[i].res, on_done, &ops[i], NULL), 0);
	}
	/* the helper reads none of them and goes */
	hx_free(f.x);
	n = privsep_client_dispatch(c, 1000);
	assert_int_equal(n, N);
	for (int i = 0; i < N; i++) {
		assert_int_equal(ops[i].ran, 1);
		assert_int_equal(ops[i].error, EPIPE);
	}
	/* then the client is dead: no call starts, dispatch says so */
	assert_int_equal(privsep_client_dispatch(c, 0), -1);
	assert_int_equal(errno, EPIPE);
	{
		struct op late = {.fd = -1};
		char p[PATH_MAX];
		path_of(0, p, sizeof(p));
		assert_int_equal(
		    privsep_fs_open_async(c, p, O_RDONLY, &late.res, on_done, &late, NULL), -1);
		assert_int_equal(errno, EPIPE);
		assert_int_equal(late.ran, 0);
	}
	privsep_client_free(c);
	assert_int_equal(count_fds(), before);
}

/* The worker's process: as many opens as the socket and the queue take,
 * then it says so, sends them all and waits to be killed, reading
 * nothing. */
static void killed_worker(struct fx *f, int ready)
{
	static struct op ops[4096];
	struct privsep_client *c = fx_client(f, 1024);
	int n = 0;
	for (; n < 4096; n++) {
		char p[PATH_MAX];
		path_of(n, p, sizeof(p));
		if (privsep_fs_open_async(c, p, O_RDONLY, &ops[n].res, on_done, &ops[n], NULL) < 0)
			break;
	}
	(void)!write(ready, &n, sizeof(n));
	/* what is queued goes as the helper reads, until it stops reading:
	 * a reply of its waits for room in this socket */
	(void)privsep_client_flush(c, -1);
	for (;;)
		pause();
}

static void a_worker_killed_with_opens_in_flight_leaves_nothing_in_the_helper(void **s)
{
	struct fx f;
	int before = count_fds(), base, p[2], n = 0, queued = 0, status;
	long long end;
	pid_t pid;
	(void)s;
	fx_open(&f);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		killed_worker(&f, p[1]);
	}
	close(p[1]);
	close(f.fd); /* the worker's end is the child's alone */
	assert_int_equal(read(p[0], &n, sizeof(n)), (ssize_t)sizeof(n));
	close(p[0]);
	base = count_fds(); /* the helper with this worker, nothing in flight */
	assert_true(n > 100);
	/* the helper answers until the worker's socket is full of replies,
	 * each with an fd, and one more reply waits in the helper's queue */
	end = ms_now() + 30000;
	while (!queued && ms_now() < end) {
		privsep_helper_step(f.x->h, 5);
		queued = (int)privsep_worker_queued(f.w);
	}
	if (queued != 1)
		kill(pid, SIGKILL);
	assert_int_equal(queued, 1);
	assert_int_equal(count_fds(), base + 1); /* the queued reply's fd */
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_true(hx_pump_gone(f.x, 1, 10000));
	print_message("%d opens in flight when the worker was killed\n", n);
	/* no fd of the replies, queued or in the dead socket, is left; the
	 * worker's channel is closed */
	assert_int_equal(count_fds(), base - 1);
	hx_free(f.x);
	assert_int_equal(count_fds(), before);
}

static int setup(void **s)
{
	(void)s;
	snprintf(top, sizeof(top), "/tmp/privsep-async-XXXXXX");
	if (!mkdtemp(top))
		return -1;
	chmod(top, 0755);
	for (int i = 0; i < NFILES; i++) {
		char p[128];
		FILE *fp;
		snprintf(p, sizeof(p), "%s/f%d", top, i);
		fp = fopen(p, "w");
		if (!fp)
			return -1;
		fprintf(fp, "%d\n", i);
		fclose(fp);
	}
	return 0;
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(many_opens_in_flight_from_one_worker_each_end_once_with_its_own_file),
	    cmocka_unit_test(a_refusal_among_opens_in_flight_fails_that_open_alone),
	    cmocka_unit_test(a_cancelled_open_never_ends_and_its_fd_is_closed),
	    cmocka_unit_test(when_the_helper_goes_every_open_in_flight_ends_with_epipe),
	    cmocka_unit_test(a_worker_killed_with_opens_in_flight_leaves_nothing_in_the_helper),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
