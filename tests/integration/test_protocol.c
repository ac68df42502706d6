/* SPDX-License-Identifier: ISC */
/*
 * One test per rule of docs/PROTOCOL.md that the malformed-input table
 * does not already cover, named after the rule.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "testapp.h"
#include "wire.h"
#include "chan.h"
#include "helper_int.h"

static void rule_call_gets_exactly_one_reply_with_its_id(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	uint8_t rec[64], in[64];
	size_t len = rec_make(rec, PRIVSEP_T_PING, 0xdeadbeef, "abcd", 4, 0);
	uint32_t id;
	assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
	privsep_helper_step(x->h, 1000);
	assert_int_equal(recv(sock, in, sizeof(in), 0), 16 + 4 + 4);
	memcpy(&id, in + 8, 4);
	assert_int_equal(id, 0xdeadbeef);
	assert_int_equal(in[4], PRIVSEP_T_REPLY);
	assert_memory_equal(in + 16, "\0\0\0\0abcd", 8);
	privsep_helper_step(x->h, 50);
	assert_int_equal(recv(sock, in, sizeof(in), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
	close(sock);
	hx_free(x);
}

static void rule_one_way_message_gets_no_reply(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	uint8_t rec[64], in[64];
	size_t len = rec_make(rec, T_POST, 0, "zz", 2, 0);
	int posts = testapp_posts;
	assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
	assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
	len = rec_make(rec, PRIVSEP_T_PING, 5, NULL, 0, 0);
	assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
	privsep_helper_step(x->h, 1000);
	/* one record per message: two posts, then the ping's reply only */
	assert_int_equal(recv(sock, in, sizeof(in), 0), 20);
	assert_int_equal(in[8], 5);
	assert_int_equal(testapp_posts, posts + 2);
	close(sock);
	hx_free(x);
}

static void rule_error_reply_carries_errno_and_detail(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "c", 0);
	struct hx_bg bg;
	hx_bg_call(&bg, c, T_DENY, NULL, 0);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EACCES);
	assert_int_equal(bg.res.refused, 1);
	assert_string_equal(bg.res.detail, "denied by rule 3 (test.policy:7)");
	assert_int_equal(bg.res.len, 0);
	privsep_client_free(c);
	hx_free(x);
}

static void rule_fds_travel_in_the_same_record_and_arrive_cloexec(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "c", 0);
	struct hx_bg bg;
	int before = count_fds();
	hx_bg_call(&bg, c, T_GIVE_FDS, "\4\0\0\0", 4);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_int_equal(bg.res.nfds, 4);
	for (int i = 0; i < 4; i++) {
		struct stat st;
		assert_int_equal(fstat(bg.res.fds[i], &st), 0);
		assert_true(S_ISCHR(st.st_mode));
		assert_true(fcntl(bg.res.fds[i], F_GETFD) & FD_CLOEXEC);
		close(bg.res.fds[i]);
	}
	assert_int_equal(count_fds(), before);
	privsep_client_free(c);
	hx_free(x);
}

struct fdcall {
	pthread_t t;
	struct privsep_client *c;
	uint32_t type;
	int fd;
	uint8_t body[16];
	struct privsep_result res;
	int rc;
	atomic_int done;
};

static void *fdcall_main(void *arg)
{
	struct fdcall *f = arg;
	f->res.data = f->body;
	f->res.cap = sizeof(f->body);
	f->rc = privsep_client_call(
	    f->c, &(struct privsep_out){.type = f->type, .fds = &f->fd, .nfds = 1}, &f->res);
	atomic_store(&f->done, 1);
	return NULL;
}

static void rule_helper_receives_fds_cloexec(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct fdcall f = {.c = hx_attach_client(x, "c", 0), .type = T_TAKE_FD};
	uint32_t mode, flags;
	int p[2];
	assert_int_equal(pipe(p), 0);
	f.fd = p[0];
	pthread_create(&f.t, NULL, fdcall_main, &f);
	assert_true(hx_pump_until(x, &f.done, 3000));
	pthread_join(f.t, NULL);
	assert_int_equal(f.rc, 0);
	memcpy(&mode, f.body, 4);
	memcpy(&flags, f.body + 4, 4);
	assert_int_equal(mode, S_IFIFO);
	assert_true(flags & FD_CLOEXEC);
	close(p[0]);
	close(p[1]);
	privsep_client_free(f.c);
	hx_free(x);
}

/* ---- many threads ---- */

#define THREADS 8
#define CALLS 10000

struct thr {
	pthread_t t;
	struct privsep_client *c;
	int idx;
	int bad;
};

static void *thr_main(void *arg)
{
	struct thr *t = arg;
	for (int i = 0; i < CALLS; i++) {
		uint8_t req[8], body[8];
		struct privsep_result res = {.data = body, .cap = sizeof(body)};
		uint32_t a = (uint32_t)t->idx, b = (uint32_t)i;
		memcpy(req, &a, 4);
		memcpy(req + 4, &b, 4);
		if (privsep_client_ping(t->c, req, 8, &res) != 0 || res.len != 8 ||
		    memcmp(req, body, 8) != 0)
			t->bad++;
	}
	return NULL;
}

static void rule_each_thread_gets_its_own_reply(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_client *c = hx_attach_client(x, "threads", 0);
	struct thr t[THREADS];
	atomic_int joined = 0;
	for (int i = 0; i < THREADS; i++) {
		t[i] = (struct thr){.c = c, .idx = i};
		pthread_create(&t[i].t, NULL, thr_main, &t[i]);
	}
	/* pump until every thread finished */
	for (int i = 0; i < THREADS; i++) {
		while (pthread_tryjoin_np(t[i].t, NULL) != 0)
			privsep_helper_step(x->h, 5);
		assert_int_equal(t[i].bad, 0);
	}
	(void)joined;
	privsep_client_free(c);
	hx_free(x);
}

/* ---- permits ---- */

static void rule_permits_only_narrow(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	struct privsep_worker *w;
	int fd = hx_attach_raw(x, "narrow", &w);
	struct privsep_client *c = privsep_client_new(fd, NULL);
	struct hx_bg bg;
	uint8_t req[12];
	uint32_t types[2] = {T_POST, 0x7777777}; /* the second is not in the table */

	/* a drop naming an unknown type drops nothing */
	memcpy(req, "\2\0\0\0", 4);
	memcpy(req + 4, types, 8);
	hx_bg_call(&bg, c, PRIVSEP_T_PERMIT_DROP, req, 12);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EINVAL);
	assert_int_equal(bg.res.refused, 1);
	assert_true(privsep_worker_permitted(w, T_POST));
	/* a good drop narrows */
	memcpy(req, "\1\0\0\0", 4);
	hx_bg_call(&bg, c, PRIVSEP_T_PERMIT_DROP, req, 8);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_false(privsep_worker_permitted(w, T_POST));
	assert_true(privsep_worker_permitted(w, T_ECHO_STR));
	/* dropping PERMIT_DROP itself locks the set */
	types[0] = PRIVSEP_T_PERMIT_DROP;
	memcpy(req + 4, types, 4);
	hx_bg_call(&bg, c, PRIVSEP_T_PERMIT_DROP, req, 8);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_false(privsep_worker_permitted(w, PRIVSEP_T_PERMIT_DROP));
	/* the helper can revoke, never grant; an unknown type is ENOENT */
	assert_int_equal(privsep_worker_drop_permit(w, T_DENY), 0);
	assert_false(privsep_worker_permitted(w, T_DENY));
	assert_int_equal(privsep_worker_drop_permit(w, 0x7777777), -1);
	assert_int_equal(errno, ENOENT);
	/* using a dropped type is a violation */
	assert_int_equal(privsep_client_post(c, &(struct privsep_out){.type = T_POST}), 0);
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(x->last_viol, PRIVSEP_V_NOT_PERMITTED);
	privsep_client_free(c);
	hx_free(x);
}

/* ---- flow control ---- */

static void rule_helper_never_blocks_on_a_worker_that_stops_reading(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int sock = hx_attach_raw(x, "flooder", NULL);
	struct privsep_client *good = hx_attach_client(x, "good", 0);
	uint8_t rec[4096], in[4096], blob[3000] = {0};
	size_t len = rec_make(rec, PRIVSEP_T_PING, 1, blob, sizeof(blob), 0);
	int sent = 0, got = 0;
	struct hx_bg bg;

	/* Flood large pings and never read: the worker's receive buffer and
	 * then the helper's send buffer fill up. */
	fcntl(sock, F_SETFL, O_NONBLOCK);
	for (int i = 0; i < 20000; i++) {
		if (send(sock, rec, len, MSG_NOSIGNAL) < 0)
			break;
		sent++;
		privsep_helper_step(x->h, 0);
	}
	for (int i = 0; i < 50; i++)
		privsep_helper_step(x->h, 0); /* returns: never blocked */
	assert_true(sent > 10);
	/* another worker is served meanwhile */
	hx_bg_call(&bg, good, PRIVSEP_T_PING, "hi", 2);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	/* and once the flooder reads again, every request is answered in order */
	while (got < sent) {
		ssize_t n = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (n < 0) {
			assert_int_equal(errno, EAGAIN);
			privsep_helper_step(x->h, 5);
			continue;
		}
		assert_int_equal(n, 16 + 4 + 3000);
		got++;
	}
	assert_int_equal(got, sent);
	assert_int_equal(x->gone, 0);
	close(sock);
	privsep_client_free(good);
	hx_free(x);
}

/* ---- fd limits ---- */

static int give_fds_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	uint8_t body[8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	int before = count_fds();
	if (set_fd_room(2) < 0) /* count_fds needs one too */
		return 10;
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = T_GIVE_FDS, .data = "\4\0\0\0", .len = 4}, &res) !=
	        -1 ||
	    errno != EMFILE || res.refused)
		return 11;
	if (res.nfds != 0 || count_fds() != before)
		return 12;
	/* not a dead channel: a call that fits works */
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = T_GIVE_FDS, .data = "\2\0\0\0", .len = 4}, &res) !=
	        0 ||
	    res.nfds != 2)
		return 13;
	close(res.fds[0]);
	close(res.fds[1]);
	return count_fds() == before ? 0 : 14;
}

static int exit_status;
static void gone_status(struct privsep_worker *w, void *arg)
{
	const struct privsep_exit_info *e = privsep_worker_exit_info(w);
	(void)arg;
	exit_status = e->kind == PRIVSEP_EXIT_STATUS ? e->status : -1;
}

static void rule_worker_at_its_fd_limit_gets_emfile_and_loses_nothing(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own under the limit */
	struct privsep_helper_config cfg = {.on_worker_gone = gone_status};
	struct privsep_helper *h = privsep_helper_new(testapp_table, testapp_n, &cfg);
	/* the protocol layer under test: setrlimit and /proc need no sandbox */
	struct privsep_spawn sp = {.name = "lowfd", .main = give_fds_main, .unsandboxed = 1};
	exit_status = -2;
	assert_non_null(privsep_spawn(h, &sp));
	assert_int_equal(privsep_helper_run(h), 0);
	assert_int_equal(exit_status, 0);
	privsep_helper_free(h);
}

static void rule_helper_at_its_fd_limit_answers_emfile_and_loses_nothing(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind keeps fds of its own under the limit */
	int sv[2], st;
	pid_t pid;
	assert_int_equal(chan_pair(sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the helper, in a child so the limit binds it alone */
		struct hx *x = hx_new(testapp_table, testapp_n, 0);
		int before;
		close(sv[1]);
		if (!x || !helper_attach(x->h, sv[0], -1, 0, "w"))
			_exit(20);
		before = count_fds();
		if (set_fd_room(1) < 0) /* one of the two fds will fit */
			_exit(21);
		while (privsep_helper_nworkers(x->h) > 0)
			privsep_helper_step(x->h, -1);
		if (!hx_logged(x,
		               "could not be received (helper at its fd limit); answered EMFILE"))
			_exit(22);
		if (count_fds() != before - 1) /* the channel is closed now */
			_exit(23);
		_exit(x->last_viol == PRIVSEP_V_NONE ? 0 : 24);
	}
	close(sv[0]);
	{
		struct privsep_client *c = privsep_client_new(sv[1], NULL);
		uint8_t body[64];
		struct privsep_result res = {.data = body, .cap = sizeof(body)};
		int fds[2] = {open("/dev/null", O_RDONLY), open("/dev/null", O_RDONLY)};
		assert_int_equal(
		    privsep_client_call(
		        c, &(struct privsep_out){.type = T_TWO_FDS_MAX, .fds = fds, .nfds = 2},
		        &res),
		    -1);
		assert_int_equal(errno, EMFILE);
		assert_int_equal(res.refused, 1);
		assert_string_equal(res.detail, "helper could not receive the request's fds");
		/* the helper is still serving this worker */
		assert_int_equal(privsep_client_ping(c, "x", 1, &res), 0);
		assert_int_equal(
		    privsep_client_call(c, &(struct privsep_out){.type = T_TWO_FDS_MAX}, &res), 0);
		close(fds[0]);
		close(fds[1]);
		privsep_client_free(c);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

/* ---- identity, spawn, lifecycle ---- */

static int ident_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	uint32_t claimed;
	memcpy(&claimed, req->data, 4);
	/* the helper's idea of the peer comes from fork, not the payload */
	privsep_writer_put_u32(&req->reply, (uint32_t)privsep_worker_pid(req->worker));
	privsep_writer_put_u32(&req->reply, claimed);
	return 0;
}

static int ident_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	uint8_t body[8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	uint32_t lie = 1, seen;
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = PRIVSEP_TYPE_APP_MIN + 99, .data = &lie, .len = 4},
	        &res) != 0)
		return 30;
	memcpy(&seen, body, 4);
	if (seen != (uint32_t)getpid())
		return 31;
	/* only standard input, output, error and the channel are open */
	if (probe_fds() != 4 || fcntl(privsep_client_fd(c), F_GETFD) < 0)
		return 32;
	return 7;
}

static void rule_identity_comes_from_the_channel_not_the_payload(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	const struct privsep_handler t[] = {{.type = PRIVSEP_TYPE_APP_MIN + 99,
	                                     .name = "ident",
	                                     .min_len = 4,
	                                     .max_len = 4,
	                                     .flags = PRIVSEP_H_CALL,
	                                     .fn = ident_handler}};
	struct privsep_helper_config cfg = {.on_worker_gone = gone_status};
	struct privsep_helper *h = privsep_helper_new(t, 1, &cfg);
	struct privsep_spawn sp = {.name = "ident", .main = ident_main, .unsandboxed = 1};
	struct privsep_worker *w;
	exit_status = -2;
	w = privsep_spawn(h, &sp);
	assert_non_null(w);
	assert_true(privsep_worker_pid(w) > 1);
	assert_int_equal(privsep_helper_run(h), 0);
	assert_int_equal(exit_status, 7); /* the exit status is reported too */
	privsep_helper_free(h);
}

static int linger_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	close(privsep_client_fd(c));
	pause();
	return 0;
}

/* how the last worker ended: its exit kind and signal */
static int gone_kind, gone_sig;
static void gone_record(struct privsep_worker *w, void *arg)
{
	(void)arg;
	gone_kind = (int)privsep_worker_exit_info(w)->kind;
	gone_sig = privsep_worker_exit_info(w)->signal;
}

static void rule_worker_that_closes_its_channel_is_killed_after_the_grace(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct privsep_helper_config cfg = {.on_worker_gone = gone_record};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	struct privsep_spawn sp = {.name = "linger", .main = linger_main, .unsandboxed = 1};
	struct timespec a, b;
	assert_non_null(privsep_spawn(h, &sp));
	clock_gettime(CLOCK_MONOTONIC, &a);
	assert_int_equal(privsep_helper_run(h), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	assert_int_equal(gone_kind, PRIVSEP_EXIT_KILLED);
	assert_int_equal(gone_sig, SIGKILL);
	/* not before the grace period (1000 ms) */
	assert_true((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 >= 900);
	privsep_helper_free(h);
}

static void rule_freeing_the_helper_kills_its_workers(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct privsep_helper_config cfg = {.on_worker_gone = gone_record};
	struct privsep_helper *h = privsep_helper_new(NULL, 0, &cfg);
	struct privsep_spawn sp = {.name = "linger", .main = linger_main, .unsandboxed = 1};
	struct privsep_worker *w;
	pid_t pid;
	gone_kind = 0;
	w = privsep_spawn(h, &sp);
	assert_non_null(w);
	pid = privsep_worker_pid(w);
	privsep_helper_free(h);
	assert_int_equal(gone_kind, PRIVSEP_EXIT_KILLED);
	assert_int_equal(gone_sig, SIGKILL);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped already */
	assert_int_equal(errno, ECHILD);
}

static int garbage_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	if (send(privsep_client_fd(c), "garbage-garbage-garbage", 23, MSG_NOSIGNAL) < 0)
		return 40;
	pause();
	return 41;
}

static enum privsep_violation gone_viol;
static void gone_violation(struct privsep_worker *w, void *arg)
{
	(void)arg;
	gone_viol = privsep_worker_exit_info(w)->violation;
	gone_record(w, arg);
}

static void rule_violation_kills_the_worker_process(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct privsep_helper_config cfg = {.on_worker_gone = gone_violation};
	struct privsep_helper *h = privsep_helper_new(testapp_table, testapp_n, &cfg);
	struct privsep_spawn sp = {.name = "garbage", .main = garbage_main, .unsandboxed = 1};
	gone_kind = 0;
	assert_non_null(privsep_spawn(h, &sp));
	assert_int_equal(privsep_helper_run(h), 0);
	assert_int_equal(gone_viol, PRIVSEP_V_BAD_MAGIC);
	assert_int_equal(gone_kind, PRIVSEP_EXIT_VIOLATION);
	assert_int_equal(gone_sig, SIGKILL);
	/* spawning needs a main */
	sp.main = NULL;
	assert_null(privsep_spawn(h, &sp));
	assert_int_equal(errno, EINVAL);
	privsep_helper_free(h);
}

static int post_and_exit_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++)
		if (privsep_client_post(
		        c, &(struct privsep_out){.type = T_POST, .data = "x", .len = 1}) < 0)
			return 50;
	return 0; /* exits at once: the posts are still queued */
}

static void rule_a_dead_workers_last_one_way_messages_are_served(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	for (int round = 0; round < 20; round++) {
		struct privsep_helper *h = privsep_helper_new(testapp_table, testapp_n, NULL);
		struct privsep_spawn sp = {
		    .name = "poster", .main = post_and_exit_main, .unsandboxed = 1};
		int posts = testapp_posts;
		struct privsep_worker *w = privsep_spawn(h, &sp);
		siginfo_t si;
		assert_non_null(w);
		/* it has exited before the helper looks at all (not reaped:
		 * WNOWAIT leaves that to the helper) */
		assert_int_equal(waitid(P_PID, (id_t)privsep_worker_pid(w), &si, WEXITED | WNOWAIT),
		                 0);
		assert_int_equal(privsep_helper_run(h), 0);
		assert_int_equal(testapp_posts, posts + 3);
		privsep_helper_free(h);
	}
}

/* ---- configuration ---- */

static void rule_record_limit_is_configurable(void **state)
{
	(void)state;
	struct hx *x = hx_new(NULL, 0, 64);
	struct privsep_client *c = hx_attach_client(x, "small", 64);
	assert_non_null(c);
	struct hx_bg bg;
	uint8_t big[64] = {0};
	hx_bg_call(&bg, c, PRIVSEP_T_PING, big, 64 - 20);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_int_equal(bg.res.len, 44);
	/* over the limit: refused locally, nothing sent */
	struct privsep_result res = {.data = big, .cap = sizeof(big)};
	assert_int_equal(privsep_client_ping(c, big, 64 - 15, &res), -1);
	assert_int_equal(errno, EMSGSIZE);
	privsep_client_free(c);
	hx_free(x);
	/* limits outside 64..65536 are refused */
	struct privsep_helper_config cfg = {.msg_max = 63};
	assert_null(privsep_helper_new(NULL, 0, &cfg));
	assert_int_equal(errno, EINVAL);
	cfg.msg_max = 65537;
	assert_null(privsep_helper_new(NULL, 0, &cfg));
}

static int nop(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}
#define nop_call nop

static void rule_handler_table_is_checked_when_the_helper_is_made(void **state)
{
	(void)state;
	const struct privsep_handler bad[][2] = {
	    {{.type = 0x10, .name = "fw-range", .flags = PRIVSEP_H_CALL, .fn = nop}},
	    {{.type = 0x10001, .name = "a", .flags = PRIVSEP_H_CALL, .fn = nop},
	     {.type = 0x10001, .name = "dup", .flags = PRIVSEP_H_CALL, .fn = nop}},
	    {{.type = 0x10001,
	      .name = "both",
	      .flags = PRIVSEP_H_CALL | PRIVSEP_H_POST,
	      .fn = nop}},
	    {{.type = 0x10001, .name = "neither", .fn = nop}},
	    {{.type = 0x10001,
	      .name = "len",
	      .min_len = 5,
	      .max_len = 4,
	      .flags = PRIVSEP_H_CALL,
	      .fn = nop}},
	    {{.type = 0x10001,
	      .name = "over",
	      .max_len = 4096 - 15,
	      .flags = PRIVSEP_H_CALL,
	      .fn = nop}},
	    {{.type = 0x10001, .name = "fds", .max_fds = 5, .flags = PRIVSEP_H_CALL, .fn = nop}},
	    {{.type = 0x10001, .name = "nofn", .flags = PRIVSEP_H_CALL}},
	    {{.type = 0x10001, .name = NULL, .flags = PRIVSEP_H_CALL, .fn = nop}},
	    {{.type = 0x10001, .name = "flag", .flags = PRIVSEP_H_CALL | 0x100, .fn = nop}},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		assert_null(privsep_helper_new(bad[i], bad[i][1].name ? 2 : 1, NULL));
		assert_int_equal(errno, EINVAL);
	}
}

static void rule_control_messages_other_than_rights_are_violations(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int sv[2], one = 1;
	uint8_t rec[32];
	size_t len = rec_make(rec, PRIVSEP_T_PING, 1, NULL, 0, 0);
	assert_int_equal(chan_pair(sv), 0);
	/* with SO_PASSCRED the kernel adds SCM_CREDENTIALS to every record */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_non_null(helper_attach(x->h, sv[0], -1, 0, "creds"));
	assert_int_equal(raw_send(sv[1], rec, len, NULL, 0), 0);
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(x->last_viol, PRIVSEP_V_BAD_CMSG);
	close(sv[1]);
	hx_free(x);
}

/* ---- rules an independent implementation had to guess (issue 19) ---- */

/* A raw worker sends PERMIT_DROP for types; the helper's REPLY error. */
static uint32_t drop_raw(struct hx *x, int sock, const uint32_t *types, uint32_t n, char *detail,
                         size_t dlen)
{
	uint8_t pl[64], rec[128], in[512];
	struct privsep_writer w;
	struct wire_hdr h;
	uint32_t err = 0xffffffff;
	privsep_writer_init(&w, pl, sizeof(pl));
	privsep_writer_put_u32(&w, n);
	for (uint32_t i = 0; i < n; i++)
		privsep_writer_put_u32(&w, types[i]);
	assert_int_equal(
	    raw_send(sock, rec, rec_make(rec, PRIVSEP_T_PERMIT_DROP, 9, pl, w.len, 0), NULL, 0), 0);
	for (int t = 0; t < 250; t++) {
		ssize_t got = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (got < 0) {
			privsep_helper_step(x->h, 20);
			continue;
		}
		assert_int_equal(wire_check(in, (size_t)got, 0, 4096, &h), PRIVSEP_V_NONE);
		assert_int_equal(h.type, PRIVSEP_T_REPLY);
		assert_int_equal(h.id, 9);
		struct privsep_reader r;
		const char *d = "";
		privsep_reader_init(&r, in + PRIVSEP_HDR_LEN, h.len);
		privsep_reader_get_u32(&r, &err);
		if (err)
			privsep_reader_get_str(&r, &d, NULL);
		snprintf(detail, dlen, "%s", d);
		break;
	}
	return err;
}

#define T_EVENT_ROW (PRIVSEP_TYPE_APP_MIN + 0x100)

static void rule_permit_drop_takes_only_types_the_worker_requests(void **state)
{
	static const struct privsep_handler t[] = {
	    {.type = T_ECHO_STR,
	     .name = "echo-str",
	     .min_len = 4,
	     .max_len = 256,
	     .flags = PRIVSEP_H_CALL,
	     .fn = nop_call},
	    {.type = T_POST,
	     .name = "post",
	     .max_len = 64,
	     .flags = PRIVSEP_H_POST,
	     .fn = nop_call},
	    {.type = T_EVENT_ROW, .name = "event", .max_len = 8, .flags = PRIVSEP_H_EVENT},
	};
	static const uint32_t refused[] = {PRIVSEP_T_SANDBOX_FAILED,
	                                   PRIVSEP_T_SECCOMP_TRAP,
	                                   PRIVSEP_T_READY,
	                                   PRIVSEP_T_SECCOMP_LISTENER,
	                                   T_EVENT_ROW,
	                                   PRIVSEP_T_REPLY,
	                                   0x9,
	                                   0x1ffff};
	static const uint32_t taken[] = {T_ECHO_STR,           T_POST,
	                                 PRIVSEP_T_PING,       PRIVSEP_T_FS_OPEN,
	                                 PRIVSEP_T_FS_STAT,    PRIVSEP_T_FS_READLINK,
	                                 PRIVSEP_T_FS_ACCESS,  PRIVSEP_T_BATCH,
	                                 PRIVSEP_T_PERMIT_DROP};
	struct hx *x = hx_new(t, 3, 0);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "dropper", &w);
	char detail[PRIVSEP_DETAIL_MAX];
	(void)state;
	/* each refused type, listed after one the worker may drop: EINVAL,
	 * the detail names the type, and nothing is dropped */
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		uint32_t two[2] = {T_ECHO_STR, refused[i]};
		char want[32];
		print_message("PERMIT_DROP 0x%x -> EINVAL\n", refused[i]);
		assert_int_equal(drop_raw(x, sock, two, 2, detail, sizeof(detail)), EINVAL);
		snprintf(want, sizeof(want), "type 0x%x ", refused[i]);
		assert_non_null(strstr(detail, want));
		assert_int_equal(privsep_worker_permitted(w, T_ECHO_STR), 1);
	}
	/* every type the worker requests may be dropped, PERMIT_DROP last */
	assert_int_equal(drop_raw(x, sock, taken, 9, detail, sizeof(detail)), 0);
	for (size_t i = 0; i < 9; i++)
		assert_int_equal(privsep_worker_permitted(w, taken[i]), 0);
	assert_int_equal(x->gone, 0);
	close(sock);
	hx_free(x);
}

static int handler_fails(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (req->len == 0)
		return 5000; /* neither an errno nor PRIVSEP_VIOLATION */
	if (req->len == 2) { /* a put that fails for another reason than size */
		privsep_writer_put_str(&req->reply, NULL);
		return 0;
	}
	/* a body larger than the record */
	for (int i = 0; i < 2000; i++)
		privsep_writer_put_u32(&req->reply, (uint32_t)i);
	return 0;
}

static void rule_a_handlers_failure_is_logged_with_the_worker(void **state)
{
	static const struct privsep_handler t[] = {{.type = T_ECHO_STR,
	                                            .name = "failing",
	                                            .max_len = 8,
	                                            .flags = PRIVSEP_H_CALL,
	                                            .fn = handler_fails}};
	struct hx *x = hx_new(t, 1, 0);
	struct privsep_client *c = hx_attach_client(x, "namer", 0);
	struct hx_bg bg;
	(void)state;
	assert_non_null(c);
	hx_bg_call(&bg, c, T_ECHO_STR, NULL, 0);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EIO);
	assert_int_equal(bg.res.refused, 1);
	assert_string_equal(bg.res.detail, "handler failed");
	assert_true(hx_logged(x, "worker \"namer\" pid 0: call failing id "));
	assert_true(hx_logged(x, ": handler returned 5000; answered EIO"));
	hx_bg_call(&bg, c, T_ECHO_STR, "x", 1);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EMSGSIZE);
	assert_int_equal(bg.res.refused, 1);
	assert_string_equal(bg.res.detail, "reply too large for the record limit");
	assert_true(hx_logged(x, ": reply body over the record limit; answered EMSGSIZE"));
	/* the line says the put's own error, not the record limit */
	int before = x->nlog;
	hx_bg_call(&bg, c, T_ECHO_STR, "xy", 2);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EMSGSIZE);
	assert_string_equal(bg.res.detail, "the handler could not build its reply");
	int said = 0;
	for (int i = before; i < x->nlog; i++) {
		assert_null(strstr(x->log[i], "over the record limit"));
		said += strstr(x->log[i], ": a put into the reply failed: Invalid argument; "
		                          "answered EMSGSIZE") != NULL;
	}
	assert_int_equal(said, 1);
	for (int i = 0; i < x->nlog; i++)
		if (strstr(x->log[i], "answered E"))
			assert_non_null(strstr(x->log[i], "worker \"namer\" pid 0: "));
	privsep_client_free(c);
	hx_free(x);
}

static int g_reply_fd;

static int handler_attaches(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (req->len)
		privsep_req_reply_fd(req, g_reply_fd);
	return req->len == 2 ? EPERM : 0;
}

/* A reply fd the handler closed, or one of the helper's own, is the
 * handler's mistake: the call is answered EBADF with one line, the worker
 * keeps its channel, and the helper's own fd is neither sent nor closed
 * (nor when the handler fails the call with it attached). */
static void rule_a_bad_fd_in_a_reply_is_ebadf_and_the_worker_stays(void **state)
{
	static const struct privsep_handler t[] = {{.type = T_ECHO_STR,
	                                            .name = "attaching",
	                                            .max_len = 8,
	                                            .flags = PRIVSEP_H_CALL,
	                                            .fn = handler_attaches}};
	struct hx *x = hx_new(t, 1, 0);
	struct privsep_client *c = hx_attach_client(x, "fds", 0);
	struct hx_bg bg;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	(void)state;
	assert_non_null(c);
	close(fd);
	for (int i = 0; i < 2; i++) {
		g_reply_fd = i == 0 ? fd : privsep_helper_fd(x->h);
		hx_bg_call(&bg, c, T_ECHO_STR, "x", 1);
		assert_int_equal(hx_bg_wait(x, &bg), -1);
		assert_int_equal(bg.err, EBADF);
		assert_int_equal(bg.res.refused, 1);
		assert_int_equal(x->gone, 0);
	}
	assert_true(hx_logged(x, ": reply fd "));
	assert_true(hx_logged(x, " is not open; answered EBADF"));
	assert_true(hx_logged(x, " is one of the helper's own; answered EBADF"));
	hx_bg_call(&bg, c, T_ECHO_STR, "xy", 2);
	assert_int_equal(hx_bg_wait(x, &bg), -1);
	assert_int_equal(bg.err, EPERM);
	assert_true(fcntl(privsep_helper_fd(x->h), F_GETFD) >= 0);
	hx_bg_call(&bg, c, T_ECHO_STR, NULL, 0);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_int_equal(x->gone, 0);
	assert_int_equal(privsep_helper_nworkers(x->h), 1);
	privsep_client_free(c);
	hx_free(x);
}

static int exit7_main(struct privsep_client *c, void *arg)
{
	(void)c;
	(void)arg;
	return 7;
}

/* Spawn main unsandboxed in x and pump until it is gone; its pid. */
static pid_t spawn_until_gone(struct hx *x, const char *name, privsep_main_fn main, int *code,
                              int *status)
{
	struct privsep_spawn sp = {.name = name, .main = main, .unsandboxed = 1};
	struct privsep_worker *w = privsep_spawn(x->h, &sp);
	pid_t pid;
	assert_non_null(w);
	pid = privsep_worker_pid(w);
	x->gone = 0;
	gone_kind = gone_sig = -1;
	assert_true(hx_pump_gone(x, 1, 10000));
	*code = x->last_exit.kind;
	*status = pid;
	return pid;
}

static void rule_exit_info_reports_the_exit_status_and_the_signal(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int kind, pid;
	/* a protocol violation: killed by SIGKILL */
	spawn_until_gone(x, "garbage", garbage_main, &kind, &pid);
	assert_int_equal(kind, PRIVSEP_EXIT_VIOLATION);
	assert_int_equal(x->last_exit.violation, PRIVSEP_V_BAD_MAGIC);
	assert_int_equal(x->last_exit.signal, SIGKILL);
	assert_int_equal(x->last_exit.status, 0);
	/* an exit with a status */
	spawn_until_gone(x, "seven", exit7_main, &kind, &pid);
	assert_int_equal(kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 7);
	assert_int_equal(x->last_exit.signal, 0);
	hx_free(x);
}

static void rule_a_worker_killed_after_the_grace_is_logged_once(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct hx *x = hx_new(NULL, 0, 0);
	char tag[32];
	int kind, pid, lines = 0, at = -1;
	spawn_until_gone(x, "linger", linger_main, &kind, &pid);
	assert_int_equal(kind, PRIVSEP_EXIT_KILLED);
	assert_int_equal(x->last_exit.signal, SIGKILL);
	snprintf(tag, sizeof(tag), " pid %d: ", pid);
	for (int i = 0; i < x->nlog; i++)
		if (strstr(x->log[i], tag) && x->lvl[i] <= PRIVSEP_LOG_WARN) {
			lines++;
			at = i;
		}
	assert_int_equal(lines, 1);
	assert_int_equal(x->lvl[at], PRIVSEP_LOG_WARN);
	assert_non_null(strstr(x->log[at], "closed its channel but did not exit within 1000 ms; "
	                                   "killed"));
	/* the exit's line is that one line */
	assert_string_equal(x->last_exit.line, x->log[at]);
	hx_free(x);
}

static void rule_an_empty_record_is_told_from_end_of_stream_without_waiting(void **state)
{
	(void)state;
	struct hx *x = hx_new(testapp_table, testapp_n, 0);
	int sock = hx_attach_raw(x, "empty", NULL), sv[2];
	long long t0;
	struct privsep_client *c;
	/* the peer stays open: poll with timeout 0 sees no hang-up, so the
	 * verdict comes in the one step that reads the record */
	assert_int_equal(send(sock, "", 0, MSG_NOSIGNAL), 0);
	t0 = now_ms();
	privsep_helper_step(x->h, 30000);
	/* a receiver that waited would take its timeout (30 s); half of it
	 * is the bound, which no load reaches (valgrind's pace says nothing
	 * about it) */
	assert_true(under_valgrind() || now_ms() - t0 < 15000);
	assert_int_equal(x->gone, 1);
	assert_int_equal(x->last_viol, PRIVSEP_V_EMPTY_RECORD);
	close(sock);
	/* the peer closed: end of stream, no violation */
	sock = hx_attach_raw(x, "closed", NULL);
	close(sock);
	assert_true(hx_pump_gone(x, 2, 3000));
	assert_int_equal(x->last_viol, PRIVSEP_V_NONE);
	hx_free(x);
	/* the same at the worker */
	assert_int_equal(chan_pair(sv), 0);
	c = privsep_client_new(sv[1], NULL);
	assert_non_null(c);
	assert_int_equal(send(sv[0], "", 0, MSG_NOSIGNAL), 0);
	t0 = now_ms();
	assert_int_equal(privsep_client_dispatch(c, 30000), -1);
	assert_int_equal(errno, EPROTO);
	/* as above: a receiver that waited would take 30 s */
	assert_true(under_valgrind() || now_ms() - t0 < 15000);
	privsep_client_free(c);
	close(sv[0]);
	assert_int_equal(chan_pair(sv), 0);
	c = privsep_client_new(sv[1], NULL);
	close(sv[0]);
	assert_int_equal(privsep_client_dispatch(c, 3000), -1);
	assert_int_equal(errno, EPIPE);
	privsep_client_free(c);
}

static void rule_a_reply_is_queued_whatever_queue_max_is(void **state)
{
	static const struct privsep_handler t[] = {
	    {.type = T_EVENT_ROW, .name = "event", .max_len = 512, .flags = PRIVSEP_H_EVENT}};
	struct privsep_helper_config cfg = {.queue_max = 1};
	struct hx *x = hx_new_cfg(t, 1, &cfg);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "full", &w), sent = 0, events = 0, replied = 0;
	uint8_t big[512] = {0}, rec[64], in[1024];
	(void)state;
	/* the socket full and queue_max events queued */
	while (privsep_worker_post(w, &(struct privsep_out){.type = T_EVENT_ROW,
	                                                    .data = big,
	                                                    .len = sizeof(big)}) == 0)
		sent++;
	assert_int_equal(errno, EAGAIN);
	assert_int_equal(privsep_worker_queued(w), 1);
	/* a call now: its reply goes behind the queue, over queue_max */
	assert_int_equal(
	    raw_send(sock, rec, rec_make(rec, PRIVSEP_T_PING, 77, "ab", 2, 0), NULL, 0), 0);
	for (int k = 0; k < 250 && privsep_worker_queued(w) < 2; k++)
		privsep_helper_step(x->h, 20);
	assert_int_equal(privsep_worker_queued(w), 2);
	assert_int_equal(x->gone, 0);
	/* everything arrives, in order, the reply last */
	for (int k = 0; k < 1000 && !replied; k++) {
		struct wire_hdr h;
		ssize_t got = recv(sock, in, sizeof(in), MSG_DONTWAIT);
		if (got < 0) {
			privsep_helper_step(x->h, 20);
			continue;
		}
		assert_int_equal(wire_check(in, (size_t)got, 0, 4096, &h), PRIVSEP_V_NONE);
		if (h.type == T_EVENT_ROW) {
			assert_int_equal(replied, 0);
			events++;
		} else {
			assert_int_equal(h.type, PRIVSEP_T_REPLY);
			assert_int_equal(h.id, 77);
			replied = 1;
		}
	}
	assert_int_equal(replied, 1);
	assert_int_equal(events, sent);
	close(sock);
	hx_free(x);
}

/* An event whose fd the application closed is the application's error:
 * EBADF, as when the socket is full and the fd is duplicated into the
 * queue, and the worker keeps its channel.  So is one of the helper's own
 * fds (a number the application closed, used again by the helper): it is
 * never handed to a worker.  Nothing is sent for either; the next good
 * event goes through. */
static void rule_a_bad_fd_in_an_event_is_ebadf_and_the_worker_stays(void **state)
{
	static const struct privsep_handler t[] = {
	    {.type = T_EVENT_ROW, .name = "event", .max_fds = 1, .flags = PRIVSEP_H_EVENT}};
	struct hx *x = hx_new(t, 1, 0);
	struct privsep_worker *w;
	int sock = hx_attach_raw(x, "badfd", &w);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int bad[2] = {fd, privsep_helper_fd(x->h)};
	uint8_t in[256];
	(void)state;
	close(fd); /* fd is now a number no file has */
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(
		    privsep_worker_post(
		        w, &(struct privsep_out){.type = T_EVENT_ROW, .fds = &bad[i], .nfds = 1}),
		    -1);
		assert_int_equal(errno, EBADF);
		assert_int_equal(x->gone, 0);
		assert_int_equal(privsep_helper_nworkers(x->h), 1);
		assert_int_equal(recv(sock, in, sizeof(in), MSG_DONTWAIT), -1);
		assert_int_equal(errno, EAGAIN);
	}
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(privsep_worker_post(
	                     w, &(struct privsep_out){.type = T_EVENT_ROW, .fds = &fd, .nfds = 1}),
	                 0);
	assert_true(recv(sock, in, sizeof(in), MSG_DONTWAIT) >= (ssize_t)PRIVSEP_HDR_LEN);
	close(fd);
	close(sock);
	hx_free(x);
}

/* ---- the client checks what it sends ---- */

#define TC_CALL (PRIVSEP_TYPE_APP_MIN + 40)
#define TC_POST (PRIVSEP_TYPE_APP_MIN + 41)
#define TC_BULK (PRIVSEP_TYPE_APP_MIN + 42)
#define TC_EVENT (PRIVSEP_TYPE_APP_MIN + 43)
static int tc_served;
static int tc_serve(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	tc_served++;
	return 0;
}
static const struct privsep_handler tc_table[] = {
    {.type = TC_CALL,
     .name = "tc-call",
     .min_len = 4,
     .max_len = 8,
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL,
     .fn = tc_serve},
    {.type = TC_POST, .name = "tc-post", .max_len = 4, .flags = PRIVSEP_H_POST, .fn = tc_serve},
    {.type = TC_BULK,
     .name = "tc-bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = tc_serve,
     .bulk_max = 16},
    {.type = TC_EVENT, .name = "tc-event", .flags = PRIVSEP_H_EVENT},
};

/* What its own table forbids, the client refuses with EINVAL (EMSGSIZE for
 * a bulk over its row's limit), the rule named in the result (a call) or
 * in one log line (a post), and sends nothing: the worker lives, the helper
 * sees no record and no violation. */
static void rule_the_client_checks_each_record_against_its_table_before_sending(void **state)
{
	struct hx *x = hx_new(tc_table, 4, 0);
	struct privsep_client_config cc = {.table = tc_table, .n = 4};
	struct privsep_client *c = privsep_client_new(hx_attach_raw(x, "tc", NULL), &cc);
	static uint8_t big[64];
	static const struct privsep_bulk b16 = {big, 16}, b17 = {big, 17};
	uint8_t out[64];
	int fds[2] = {0, 0};
	struct privsep_result res = {.data = out, .cap = sizeof(out)};
	struct hx_bg bg;
	static const struct {
		const char *shape;
		int call; /* 1: privsep_client_call, 0: privsep_client_post */
		uint32_t type;
		size_t len, nfds;
		const struct privsep_bulk *bulk;
		int err;
		const char *rule;
	} cases[] = {
	    {"call below min_len", 1, TC_CALL, 3, 0, NULL, EINVAL, "a payload of 3 bytes"},
	    {"call above max_len", 1, TC_CALL, 9, 0, NULL, EINVAL, "the row takes 4..8"},
	    {"call with too many fds", 1, TC_CALL, 4, 2, NULL, EINVAL, "2 fds"},
	    {"call on a post type", 1, TC_POST, 0, 0, NULL, EINVAL, "is a post, not a call"},
	    {"call on an event type", 1, TC_EVENT, 0, 0, NULL, EINVAL, "is an event, not a call"},
	    {"call of a type not in the table", 1, TC_CALL + 99, 4, 0, NULL, EINVAL,
	     "not in the client's table"},
	    {"post on a call type", 0, TC_CALL, 4, 0, NULL, EINVAL, NULL},
	    {"post above max_len", 0, TC_POST, 5, 0, NULL, EINVAL, NULL},
	    {"post with an fd the row does not take", 0, TC_POST, 0, 1, NULL, EINVAL, NULL},
	    {"post with a bulk on a row without", 0, TC_POST, 0, 0, &b16, EINVAL, NULL},
	    {"post without the bulk its row needs", 0, TC_BULK, 0, 0, NULL, EINVAL, NULL},
	    {"post with a bulk over bulk_max", 0, TC_BULK, 0, 0, &b17, EMSGSIZE, NULL},
	};
	(void)state;
	assert_non_null(c);
	fds[0] = fds[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc;
		errno = 0;
		res.refused = 1; /* the call must say 0: not the helper's refusal */
		if (cases[i].call)
			rc = privsep_client_call(c,
			                         &(struct privsep_out){.type = cases[i].type,
			                                               .data = big,
			                                               .len = cases[i].len,
			                                               .fds = fds,
			                                               .nfds = cases[i].nfds,
			                                               .bulk = cases[i].bulk},
			                         &res);
		else
			rc = privsep_client_post(
			    c, &(struct privsep_out){.type = cases[i].type,
			                             .data = big,
			                             .len = cases[i].len,
			                             .fds = fds,
			                             .nfds = cases[i].nfds,
			                             .bulk = cases[i].bulk,
			                             .flags = PRIVSEP_POST_NOWAIT});
		if (rc != -1 || errno != cases[i].err)
			fail_msg("%s: rc %d errno %d, want -1 and %d", cases[i].shape, rc, errno,
			         cases[i].err);
		if (cases[i].call && res.refused != 0)
			fail_msg("%s: refused %d: the helper never saw it", cases[i].shape,
			         res.refused);
		if (cases[i].rule && !strstr(res.detail, cases[i].rule))
			fail_msg("%s: the result says \"%s\", not \"%s\"", cases[i].shape,
			         res.detail, cases[i].rule);
		print_message("%-40s -> %s %s\n", cases[i].shape, strerror(errno),
		              cases[i].call ? res.detail : "");
	}
	close(fds[0]);
	/* nothing went out: the helper saw no record; then a good call works */
	hx_bg_call(&bg, c, TC_CALL, "four", 4);
	assert_int_equal(hx_bg_wait(x, &bg), 0);
	assert_int_equal(tc_served, 1);
	assert_int_equal(x->gone, 0);
	assert_int_equal(x->last_viol, PRIVSEP_V_NONE);
	assert_false(hx_logged(x, "violation"));
	privsep_client_free(c);
	hx_free(x);
}

/* A client refuses a table the helper would refuse: a row over the record
 * limit, or one no kind. */
static void rule_a_client_refuses_rows_the_helper_would_refuse(void **state)
{
	static const struct privsep_handler too_big[] = {
	    {.type = TC_CALL,
	     .name = "big",
	     .max_len = PRIVSEP_MSG_MAX_DEFAULT,
	     .flags = PRIVSEP_H_CALL,
	     .fn = tc_serve},
	};
	static const struct privsep_handler no_kind[] = {
	    {.type = TC_CALL, .name = "none", .max_len = 4, .fn = tc_serve},
	};
	struct privsep_client_config a = {.table = too_big, .n = 1}, b = {.table = no_kind, .n = 1};
	int sv[2];
	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	close(sv[0]);
	errno = 0;
	assert_null(privsep_client_new(sv[1], &a)); /* the fd is taken either way */
	assert_int_equal(errno, EINVAL);
	assert_int_equal(chan_pair(sv), 0);
	close(sv[0]);
	errno = 0;
	assert_null(privsep_client_new(sv[1], &b));
	assert_int_equal(errno, EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rule_call_gets_exactly_one_reply_with_its_id),
	    cmocka_unit_test(rule_the_client_checks_each_record_against_its_table_before_sending),
	    cmocka_unit_test(rule_a_client_refuses_rows_the_helper_would_refuse),
	    cmocka_unit_test(rule_one_way_message_gets_no_reply),
	    cmocka_unit_test(rule_error_reply_carries_errno_and_detail),
	    cmocka_unit_test(rule_fds_travel_in_the_same_record_and_arrive_cloexec),
	    cmocka_unit_test(rule_helper_receives_fds_cloexec),
	    cmocka_unit_test(rule_each_thread_gets_its_own_reply),
	    cmocka_unit_test(rule_permits_only_narrow),
	    cmocka_unit_test(rule_helper_never_blocks_on_a_worker_that_stops_reading),
	    cmocka_unit_test(rule_worker_at_its_fd_limit_gets_emfile_and_loses_nothing),
	    cmocka_unit_test(rule_helper_at_its_fd_limit_answers_emfile_and_loses_nothing),
	    cmocka_unit_test(rule_identity_comes_from_the_channel_not_the_payload),
	    cmocka_unit_test(rule_worker_that_closes_its_channel_is_killed_after_the_grace),
	    cmocka_unit_test(rule_freeing_the_helper_kills_its_workers),
	    cmocka_unit_test(rule_violation_kills_the_worker_process),
	    cmocka_unit_test(rule_a_dead_workers_last_one_way_messages_are_served),
	    cmocka_unit_test(rule_record_limit_is_configurable),
	    cmocka_unit_test(rule_handler_table_is_checked_when_the_helper_is_made),
	    cmocka_unit_test(rule_control_messages_other_than_rights_are_violations),
	    cmocka_unit_test(rule_permit_drop_takes_only_types_the_worker_requests),
	    cmocka_unit_test(rule_a_handlers_failure_is_logged_with_the_worker),
	    cmocka_unit_test(rule_exit_info_reports_the_exit_status_and_the_signal),
	    cmocka_unit_test(rule_a_worker_killed_after_the_grace_is_logged_once),
	    cmocka_unit_test(rule_an_empty_record_is_told_from_end_of_stream_without_waiting),
	    cmocka_unit_test(rule_a_reply_is_queued_whatever_queue_max_is),
	    cmocka_unit_test(rule_a_bad_fd_in_an_event_is_ebadf_and_the_worker_stays),
	    cmocka_unit_test(rule_a_bad_fd_in_a_reply_is_ebadf_and_the_worker_stays),
	};
	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
