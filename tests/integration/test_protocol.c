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
	assert_int_equal(hx_bg_wait(x, &bg), EACCES);
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
	f->rc = privsep_call(f->c, f->type, NULL, 0, &f->fd, 1, &f->res);
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
		if (privsep_ping(t->c, req, 8, &res) != 0 || res.len != 8 ||
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
	assert_int_equal(hx_bg_wait(x, &bg), EINVAL);
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
	assert_int_equal(privsep_worker_revoke(w, T_DENY), 0);
	assert_false(privsep_worker_permitted(w, T_DENY));
	assert_int_equal(privsep_worker_revoke(w, 0x7777777), -1);
	assert_int_equal(errno, ENOENT);
	/* using a dropped type is a violation */
	assert_int_equal(privsep_post(c, T_POST, NULL, 0, NULL, 0), 0);
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
	if (privsep_call(c, T_GIVE_FDS, "\4\0\0\0", 4, NULL, 0, &res) != -1 || errno != EMFILE)
		return 11;
	if (res.nfds != 0 || count_fds() != before)
		return 12;
	/* not a dead channel: a call that fits works */
	if (privsep_call(c, T_GIVE_FDS, "\2\0\0\0", 4, NULL, 0, &res) != 0 || res.nfds != 2)
		return 13;
	close(res.fds[0]);
	close(res.fds[1]);
	return count_fds() == before ? 0 : 14;
}

static int exit_status;
static void gone_status(struct privsep_worker *w, void *arg)
{
	int code, status;
	(void)arg;
	exit_status = privsep_worker_exit(w, &code, &status) && code == CLD_EXITED ? status : -1;
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
	assert_int_equal(privsep_chan_pair(sv), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		/* the helper, in a child so the limit binds it alone */
		struct hx *x = hx_new(testapp_table, testapp_n, 0);
		int before;
		close(sv[1]);
		if (!x || !privsep_helper_add(x->h, sv[0], -1, 0, "w"))
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
		assert_int_equal(privsep_call(c, T_TWO_FDS_MAX, NULL, 0, fds, 2, &res), EMFILE);
		assert_string_equal(res.detail, "helper could not receive the request's fds");
		/* the helper is still serving this worker */
		assert_int_equal(privsep_ping(c, "x", 1, &res), 0);
		assert_int_equal(privsep_call(c, T_TWO_FDS_MAX, NULL, 0, NULL, 0, &res), 0);
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
	privsep_put_u32(&req->reply, (uint32_t)privsep_worker_pid(req->worker));
	privsep_put_u32(&req->reply, claimed);
	return 0;
}

static int ident_main(struct privsep_client *c, void *arg)
{
	(void)arg;
	uint8_t body[8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	uint32_t lie = 1, seen;
	if (privsep_call(c, PRIVSEP_TYPE_APP_MIN + 99, &lie, 4, NULL, 0, &res) != 0)
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
	const struct privsep_handler t[] = {{PRIVSEP_TYPE_APP_MIN + 99, "ident", 4, 4, 0, 0,
	                                     PRIVSEP_H_CALL, ident_handler, NULL, 0}};
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

static int gone_code, gone_sig;
static void gone_record(struct privsep_worker *w, void *arg)
{
	(void)arg;
	if (!privsep_worker_exit(w, &gone_code, &gone_sig))
		gone_code = -1;
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
	assert_int_equal(gone_code, CLD_KILLED);
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
	gone_code = 0;
	w = privsep_spawn(h, &sp);
	assert_non_null(w);
	pid = privsep_worker_pid(w);
	privsep_helper_free(h);
	assert_int_equal(gone_code, CLD_KILLED);
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
	gone_viol = privsep_worker_violation(w);
	if (!privsep_worker_exit(w, &gone_code, &gone_sig))
		gone_code = -1;
}

static void rule_violation_kills_the_worker_process(void **state)
{
	(void)state;
	if (under_valgrind())
		skip(); /* valgrind 3.19 has no pidfd_open: no worker starts */
	struct privsep_helper_config cfg = {.on_worker_gone = gone_violation};
	struct privsep_helper *h = privsep_helper_new(testapp_table, testapp_n, &cfg);
	struct privsep_spawn sp = {.name = "garbage", .main = garbage_main, .unsandboxed = 1};
	gone_code = 0;
	assert_non_null(privsep_spawn(h, &sp));
	assert_int_equal(privsep_helper_run(h), 0);
	assert_int_equal(gone_viol, PRIVSEP_V_BAD_MAGIC);
	assert_int_equal(gone_code, CLD_KILLED);
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
		if (privsep_post(c, T_POST, "x", 1, NULL, 0) < 0)
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
		assert_non_null(privsep_spawn(h, &sp));
		/* let it exit before the helper looks at all */
		usleep(20000);
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
	assert_int_equal(privsep_ping(c, big, 64 - 15, &res), -1);
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

static void rule_handler_table_is_checked_when_the_helper_is_made(void **state)
{
	(void)state;
	const struct privsep_handler bad[][2] = {
	    {{0x10, "fw-range", 0, 0, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "a", 0, 0, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0},
	     {0x10001, "dup", 0, 0, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "both", 0, 0, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_POST, nop, NULL, 0}},
	    {{0x10001, "neither", 0, 0, 0, 0, 0, nop, NULL, 0}},
	    {{0x10001, "len", 5, 4, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "over", 0, 4096 - 15, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "fds", 0, 0, 0, 5, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "nofn", 0, 0, 0, 0, PRIVSEP_H_CALL, NULL, NULL, 0}},
	    {{0x10001, NULL, 0, 0, 0, 0, PRIVSEP_H_CALL, nop, NULL, 0}},
	    {{0x10001, "flag", 0, 0, 0, 0, PRIVSEP_H_CALL | 0x100, nop, NULL, 0}},
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
	assert_int_equal(privsep_chan_pair(sv), 0);
	/* with SO_PASSCRED the kernel adds SCM_CREDENTIALS to every record */
	assert_int_equal(setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)), 0);
	assert_non_null(privsep_helper_add(x->h, sv[0], -1, 0, "creds"));
	assert_int_equal(raw_send(sv[1], rec, len, NULL, 0), 0);
	assert_true(hx_pump_gone(x, 1, 3000));
	assert_int_equal(x->last_viol, PRIVSEP_V_BAD_CMSG);
	close(sv[1]);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(rule_call_gets_exactly_one_reply_with_its_id),
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
	};
	return cmocka_run_group_tests_name("protocol", tests, NULL, NULL);
}
