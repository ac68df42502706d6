/* SPDX-License-Identifier: ISC */
/*
 * test_async_cancel_id.c - an asynchronous call's id (the *id of
 * privsep_client_call_async, privsep_fs_open_async) is its own: a
 * privsep_client_cancel with it can never end another call.
 *
 * The call's reply can be read, and its done run, by another thread (the
 * one in privsep_client_dispatch, or in a synchronous call) before the
 * caller's privsep_client_call_async has returned: the slot is then free
 * again, and a third call may take it.  Here that order is made exact:
 * thread B's send is a seccomp user notification; this thread (not
 * filtered) makes B's send itself, reads and ends B's call with
 * dispatch, starts call C, and only then lets B's send return.  B's *id
 * must still be B's call's, and B's cancel of it (its call already
 * ended) ENOENT; C must end with its own file.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "proto.h"
#include "wire.h"

struct op {
	struct privsep_result res;
	atomic_int ran;
	int error;
	int fd;
};

static void on_done(struct privsep_result *res, int error, void *arg)
{
	struct op *o = arg;
	o->error = error;
	o->fd = error ? -1 : res->fds[0];
	atomic_fetch_add(&o->ran, 1);
}

static long long ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static struct privsep_client *cl;

/* Thread A: a synchronous call, whose reply comes last: until then A
 * is the client's reading thread. */
static int a_rc;
static void *thread_a(void *arg)
{
	struct stat st;
	(void)arg;
	a_rc = privsep_fs_stat(cl, "/a", &st, NULL);
	return NULL;
}

/* Thread B: its sends are notified; its asynchronous open, then the
 * cancel of the id it was given. */
struct b_state {
	atomic_int lfd; /* its listener, -1 until made; -2 failed */
	struct op op;
	uint32_t id;
	int call_rc, cancel_rc, cancel_errno;
};

static void *thread_b(void *arg)
{
	struct b_state *b = arg;
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendto, 1, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_sendmsg, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	int lfd;
	/* this thread only (no TSYNC) */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    (lfd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                        SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp)) < 0) {
		atomic_store(&b->lfd, -2);
		return NULL;
	}
	atomic_store(&b->lfd, lfd);
	b->call_rc = privsep_fs_open_async(cl, "/b", O_RDONLY, &b->op.res, on_done, &b->op, &b->id);
	errno = 0;
	b->cancel_rc = privsep_client_cancel(cl, b->id);
	b->cancel_errno = errno;
	return NULL;
}

/* Thread C: an asynchronous open started while B is in its send. */
static struct op opc;
static uint32_t c_id;
static atomic_int c_tid;
static void *thread_c(void *arg)
{
	(void)arg;
	atomic_store(&c_tid, (int)syscall(SYS_gettid));
	(void)privsep_fs_open_async(cl, "/c", O_RDONLY, &opc.res, on_done, &opc, &c_id);
	return NULL;
}

/* The id of the record at p (len bytes). */
static uint32_t rec_id(const uint8_t *p, size_t len)
{
	struct wire_hdr h;
	assert_int_equal(wire_check(p, len, 0, 8192, &h), PRIVSEP_V_NONE);
	return h.id;
}

/* The helper's end: read one record, its id. */
static uint32_t read_id(int fd)
{
	uint8_t buf[8192];
	ssize_t n = recv(fd, buf, sizeof(buf), 0);
	assert_true(n >= (ssize_t)PRIVSEP_HDR_LEN);
	return rec_id(buf, (size_t)n);
}

/* The helper's end: a successful reply to id, with fd (-1: none). */
static void reply(int sock, uint32_t id, int fd)
{
	uint8_t rec[64], pl[4] = {0, 0, 0, 0};
	size_t n = rec_make(rec, PRIVSEP_T_REPLY, id, pl, 4, fd >= 0);
	assert_int_equal(raw_send(sock, rec, n, &fd, fd >= 0), 0);
}

/* Wait (bounded) until thread tid sleeps in a futex. */
static void wait_in_futex(int tid)
{
	long long end = ms_now() + 30000;
	char p[64], buf[64];
	snprintf(p, sizeof(p), "/proc/self/task/%d/syscall", tid);
	while (ms_now() < end) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = '\0';
			if (atoi(buf) == SYS_futex)
				return;
		}
		sched_yield();
	}
	fail_msg("thread C never waited for the send lock");
}

static void an_asynchronous_call_s_id_never_names_another_call_even_when_it_ended_first(void **s)
{
	struct privsep_client_config cfg = {.msg_max = 8192, .queue_max = 16};
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct b_state b;
	pthread_t ta, tb, tc;
	long long end;
	uint32_t id_a, id_b, id_c;
	size_t sent = 0;
	int sv[2], lfd, nul;
	(void)s;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	cl = privsep_client_new(sv[0], &cfg);
	assert_non_null(cl);
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(nul >= 0);

	/* A: sent, then reading, its reply held back */
	assert_int_equal(pthread_create(&ta, NULL, thread_a, NULL), 0);
	id_a = read_id(sv[1]);

	/* B: its send stops in the kernel's hands */
	memset(&b, 0, sizeof(b));
	atomic_store(&b.lfd, -1);
	assert_int_equal(pthread_create(&tb, NULL, thread_b, &b), 0);
	end = ms_now() + 30000;
	while ((lfd = atomic_load(&b.lfd)) == -1 && ms_now() < end)
		sched_yield();
	if (lfd == -2) {
		pthread_join(tb, NULL);
		skip(); /* no seccomp user notification for a thread here */
	}
	assert_true(lfd >= 0);
	memset(&req, 0, sizeof(req));
	assert_int_equal(ioctl(lfd, SECCOMP_IOCTL_NOTIF_RECV, &req), 0);
	if (req.data.nr == __NR_sendto) {
		sent = (size_t)req.data.args[2];
		id_b = rec_id((const uint8_t *)(uintptr_t)req.data.args[1], sent);
	} else {
		const struct msghdr *mh = (const struct msghdr *)(uintptr_t)req.data.args[1];
		for (size_t i = 0; i < mh->msg_iovlen; i++)
			sent += mh->msg_iov[i].iov_len;
		id_b = rec_id(mh->msg_iov[0].iov_base, sent); /* the header is whole in iov 0 */
	}

	/* B's reply, read by A (the reader): B's call ends, its done runs,
	 * before B's privsep_fs_open_async has returned */
	reply(sv[1], id_b, nul);
	end = ms_now() + 30000;
	while (atomic_load(&b.op.ran) == 0 && ms_now() < end)
		sched_yield();
	assert_int_equal(atomic_load(&b.op.ran), 1);
	assert_int_equal(b.op.error, 0);

	/* C starts a call now, and waits for the send lock B holds */
	assert_int_equal(pthread_create(&tc, NULL, thread_c, NULL), 0);
	end = ms_now() + 30000;
	while (atomic_load(&c_tid) == 0 && ms_now() < end)
		sched_yield();
	wait_in_futex(atomic_load(&c_tid));

	/* B's send returns, as if made */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.val = (int64_t)sent;
	assert_int_equal(ioctl(lfd, SECCOMP_IOCTL_NOTIF_SEND, &resp), 0);
	pthread_join(tb, NULL);
	close(lfd);
	pthread_join(tc, NULL);
	id_c = read_id(sv[1]);
	assert_int_equal(b.call_rc, 0);
	assert_int_not_equal(id_b, id_c);
	assert_int_equal(c_id, id_c);

	if (b.id != id_b)
		fail_msg("privsep_fs_open_async gave B the id %u, its call's was %u (C's is %u)",
		         (unsigned)b.id, (unsigned)id_b, (unsigned)id_c);
	if (b.cancel_rc == 0)
		fail_msg("B's cancel with the id it was given cancelled a call in flight: its own "
		         "had ended, so it was another's");
	assert_int_equal(b.cancel_errno, ENOENT);

	/* C's reply then A's: C ends once with its fd, A returns */
	reply(sv[1], id_c, nul);
	reply(sv[1], id_a, -1);
	pthread_join(ta, NULL);
	end = ms_now() + 30000;
	while (atomic_load(&opc.ran) == 0 && ms_now() < end)
		assert_true(privsep_client_dispatch(cl, 10) >= 0);
	assert_int_equal(atomic_load(&opc.ran), 1);
	assert_int_equal(opc.error, 0);
	close(opc.fd);
	close(b.op.fd);
	close(nul);
	privsep_client_free(cl);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        an_asynchronous_call_s_id_never_names_another_call_even_when_it_ended_first),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
