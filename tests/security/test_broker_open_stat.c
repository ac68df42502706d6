/* SPDX-License-Identifier: ISC */
/*
 * FS_OPEN's answer with the opened file's stat (protocol revision 1.6,
 * privsep_fs_open_stat and its asynchronous form), as a worker would
 * attack it and as a peer of revision 1.5 meets it: the stat is fstat of
 * the very fd the worker gets, whatever the file (sizes around the
 * boundaries of the u64 fields, a time before 1970, nanoseconds, a
 * created file's mode, a directory a rule opens), even while another
 * process exchanges the name for another file as fast as it can; a 1.5
 * worker that never asks gets the empty body it always got; a helper
 * whose answer has no stat of the right length fails the call, not the
 * worker, and leaves no fd behind.  The helper runs in this process; a
 * client thread plays the worker, as in test_broker_look.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "harness.h"
#include "proto.h"
#include "wire.h"

static char top[64];   /* the test's directory */
static char root[128]; /* top/root: the rule's root */

static void fx_open(struct hx_fs *f, const char *text)
{
	assert_int_equal(hx_fs_new(f, "stat", "stat-test.policy", text), 0);
}

/* One open with its stat from a worker thread while this one runs the
 * helper: synchronous (privsep_fs_open_stat) or asynchronous
 * (privsep_fs_open_stat_async, its done run by privsep_client_dispatch). */
struct bg {
	pthread_t t;
	struct privsep_client *c;
	const char *path;
	int flags, async;
	int fd, err;
	struct stat st;
	struct privsep_result res;
	atomic_int done, answered;
};

static void bg_done(struct privsep_result *res, int error, void *arg)
{
	struct bg *b = arg;
	b->err = error;
	b->fd = error ? -1 : res->fds[0];
	atomic_store(&b->answered, 1);
}

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	memset(&b->st, 0xa5, sizeof(b->st)); /* nothing left from before */
	if (!b->async) {
		b->fd = privsep_fs_open_stat(b->c, b->path, b->flags, &b->st, &b->res);
		b->err = b->fd < 0 ? errno : 0;
	} else if (privsep_fs_open_stat_async(b->c, b->path, b->flags, &b->st, &b->res, bg_done, b,
	                                      NULL) < 0) {
		b->fd = -1;
		b->err = errno;
	} else {
		while (!atomic_load(&b->answered))
			if (privsep_client_dispatch(b->c, 1000) < 0 && errno != EINTR) {
				b->fd = -1;
				b->err = errno;
				break;
			}
	}
	atomic_store(&b->done, 1);
	return NULL;
}

/* The fd, with *st; -1 with *err. */
static int open_stat(struct hx_fs *f, const char *path, int flags, int async, struct stat *st,
                     int *err)
{
	struct bg b = {.c = f->c, .path = path, .flags = flags, .async = async};
	pthread_create(&b.t, NULL, bg_main, &b);
	/* a bound for a hung helper, not a timing claim */
	assert_true(hx_pump_until(f->x, &b.done, 30000));
	pthread_join(b.t, NULL);
	*st = b.st;
	*err = b.err;
	return b.fd;
}

/* The fields the answer carries, against fstat of the fd itself. */
static void assert_stat_is_fds(int fd, const struct stat *got)
{
	struct stat st;
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(got->st_dev, st.st_dev);
	assert_int_equal(got->st_ino, st.st_ino);
	assert_int_equal(got->st_mode, st.st_mode);
	assert_int_equal(got->st_nlink, st.st_nlink);
	assert_int_equal(got->st_uid, st.st_uid);
	assert_int_equal(got->st_gid, st.st_gid);
	assert_int_equal(got->st_size, st.st_size);
	assert_int_equal(got->st_mtim.tv_sec, st.st_mtim.tv_sec);
	assert_int_equal(got->st_mtim.tv_nsec, st.st_mtim.tv_nsec);
}

static int setup(void **s)
{
	(void)s;
	return hx_fs_dirs(top, root, "ostat");
}

static int teardown(void **s)
{
	(void)s;
	return hx_rmtree(top);
}

/* A file of size bytes (sparse past its first byte), mode, mtime. */
static void make_file(const char *path, off_t size, mode_t mode, time_t sec, long nsec)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	if (size > 0)
		assert_int_equal(pwrite(fd, "x", 1, 0), 1);
	assert_int_equal(ftruncate(fd, size), 0);
	assert_int_equal(fchmod(fd, mode), 0);
	struct timespec t[2] = {{sec, nsec}, {sec, nsec}};
	assert_int_equal(futimens(fd, t), 0);
	close(fd);
}

/* ---- the stat is the fd's ---- */

/* Sizes at the boundaries of the record and of the u64's halves (0, 1,
 * a page and either side of it, 2^31, 2^32 + 1: sparse, where the
 * filesystem allows), a time before 1970 and the last nanosecond of a
 * second, odd mode bits: each open's stat, synchronous and asynchronous,
 * is fstat of the fd the worker got, field by field. */
static void the_stat_with_an_open_is_the_fstat_of_the_fd_handed_out(void **s)
{
	(void)s;
	static const off_t sizes[] = {0,    1,           4095,           4096,
	                              4097, 1024 * 1024, (off_t)1 << 31, ((off_t)1 << 32) + 1};
	static const struct {
		time_t sec;
		long nsec;
	} times[] = {{0, 0}, {1764547200, 999999999}, {-86400 * 365 * 10L, 123456789}};
	struct hx_fs f;
	char p[256];
	int n = 0;
	fx_open(&f, hx_fs_one_rule(root, "read"));
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (int async = 0; async < 2; async++) {
			struct stat st;
			int err, fd;
			snprintf(p, sizeof(p), "%s/f%zu", root, i);
			make_file(p, sizes[i], i % 2 ? 0640 : 02755, times[i % 3].sec,
			          times[i % 3].nsec);
			fd = open_stat(&f, p, O_RDONLY, async, &st, &err);
			if (fd < 0)
				print_error("%s: %s\n", p, strerror(err));
			assert_true(fd >= 0);
			assert_stat_is_fds(fd, &st);
			assert_int_equal(st.st_size, sizes[i]);
			assert_int_equal(st.st_mtim.tv_sec, times[i % 3].sec);
			assert_int_equal(st.st_mtim.tv_nsec, times[i % 3].nsec);
			assert_int_equal(st.st_atim.tv_sec, 0); /* not carried: 0 */
			close(fd);
			n++;
		}
	hx_fs_free(&f);
	print_message("%d opens, each stat fstat's of its fd\n", n);
}

/* A file the broker creates gets its rule's mode after the open: the
 * stat sent is of the file as handed out (mode 0666, not the umask's or
 * what open made), and a directory a rule opens is described as one. */
static void a_created_file_or_a_directory_is_described_as_handed_out(void **s)
{
	(void)s;
	struct hx_fs f;
	char p[256], t[512];
	struct stat st;
	int err, fd;
	snprintf(p, sizeof(p), "%s/dir", root);
	assert_int_equal(mkdir(p, 0711), 0);
	snprintf(t, sizeof(t),
	         "version 1\nbeneath \"%s\" allow read,write,create mode 0666 directory\n", root);
	fx_open(&f, t);
	for (int async = 0; async < 2; async++) {
		snprintf(p, sizeof(p), "%s/new%d", root, async);
		fd = open_stat(&f, p, O_RDWR | O_CREAT | O_EXCL, async, &st, &err);
		if (fd < 0)
			print_error("%s: %s\n", p, strerror(err));
		assert_true(fd >= 0);
		assert_stat_is_fds(fd, &st);
		assert_int_equal(st.st_mode, S_IFREG | 0666);
		assert_int_equal(st.st_size, 0);
		close(fd);
		snprintf(p, sizeof(p), "%s/dir/", root);
		fd = open_stat(&f, p, O_RDONLY | O_DIRECTORY, async, &st, &err);
		assert_true(fd >= 0);
		assert_stat_is_fds(fd, &st);
		assert_int_equal(st.st_mode, S_IFDIR | 0711);
		close(fd);
	}
	hx_fs_free(&f);
}

/* ---- the worker cannot make the helper describe another file ---- */

/* Another process exchanges the name with a file of another size and
 * with a FIFO as fast as it can while the worker opens it with its stat
 * 3,000 times: every answer's stat is fstat of the fd that came with it
 * (the size says which file: its bytes agree), never the file the look
 * saw or the name leads to later; a FIFO is never handed out. */
static void a_worker_cannot_make_the_helper_stat_another_file_than_the_one_it_opened(void **s)
{
	(void)s;
	struct hx_fs f;
	struct hx_swapper sw = {0};
	int got[2] = {0, 0}, refused = 0;
	/* the name is the short file, the long one (two rounds in three), or a FIFO */
	snprintf(sw.file, sizeof(sw.file), "%s/swap", root);
	snprintf(sw.other[0], sizeof(sw.other[0]), "%s/swap.long", root);
	snprintf(sw.other[1], sizeof(sw.other[1]), "%s/swap.long", root);
	snprintf(sw.other[2], sizeof(sw.other[2]), "%s/swap.fifo", root);
	sw.n = 3;
	make_file(sw.file, 0, 0644, 1000, 1);
	make_file(sw.other[0], 0, 0644, 2000, 2);
	{
		int fd = open(sw.file, O_WRONLY | O_CLOEXEC);
		assert_int_equal(write(fd, "short\n", 6), 6);
		close(fd);
		fd = open(sw.other[0], O_WRONLY | O_CLOEXEC);
		assert_int_equal(write(fd, "the longer one\n", 15), 15);
		close(fd);
	}
	assert_int_equal(mkfifo(sw.other[2], 0644), 0);
	fx_open(&f, hx_fs_one_rule(root, "read"));
	hx_swap_start(&sw);
	for (int i = 0; i < 3000; i++) {
		struct stat st;
		char buf[32];
		int err, fd = open_stat(&f, sw.file, O_RDONLY, i % 2, &st, &err);
		if (fd < 0) {
			assert_true(err == EAGAIN || err == EACCES);
			refused++;
			continue;
		}
		assert_stat_is_fds(fd, &st);
		assert_true(S_ISREG(st.st_mode));
		assert_true(st.st_size == 6 || st.st_size == 15);
		assert_int_equal(pread(fd, buf, sizeof(buf), 0), st.st_size);
		assert_int_equal(memcmp(buf, st.st_size == 6 ? "short\n" : "the longer one\n",
		                        (size_t)st.st_size),
		                 0);
		got[st.st_size == 15]++;
		close(fd);
	}
	hx_swap_stop(&sw);
	hx_fs_free(&f);
	assert_true(atomic_load(&sw.swaps) > 0);
	print_message("3000 opens against %ld exchanges: %d the short file, %d the long one, %d "
	              "refused (changed, or a FIFO)\n",
	              atomic_load(&sw.swaps), got[0], got[1], refused);
}

/* ---- a peer of revision 1.5 ---- */

/* An FS_OPEN record by hand, as a worker of revision 1.5 (or the
 * Python peer) sends it: the reply's payload length and its one fd. */
static ssize_t raw_open(struct hx *x, int sock, uint32_t flags, const char *path, uint8_t *reply,
                        size_t cap, int *fd)
{
	uint8_t rec[512];
	struct privsep_writer w;
	struct wire_hdr h = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 0, PRIVSEP_T_FS_OPEN, 7, 0};
	ssize_t n = -1;
	privsep_writer_init(&w, rec + PRIVSEP_HDR_LEN, sizeof(rec) - PRIVSEP_HDR_LEN);
	privsep_writer_put_u32(&w, flags);
	assert_int_equal(privsep_writer_put_str(&w, path), 0);
	h.len = (uint32_t)w.len;
	wire_put_hdr(rec, &h);
	assert_int_equal(send(sock, rec, PRIVSEP_HDR_LEN + w.len, MSG_NOSIGNAL),
	                 (ssize_t)(PRIVSEP_HDR_LEN + w.len));
	/* a bound for a hung helper, not a timing claim */
	for (int i = 0; i < 6000 && n < 0; i++) {
		privsep_helper_step(x->h, 5);
		n = hx_recv_fd(sock, reply, cap, fd);
	}
	return n;
}

/* A worker that does not set bit 31 gets what revision 1.5 gave: error
 * 0, an empty body and the fd; the same record with bit 31 gets the 72
 * bytes of the stat in FS_STAT's order, which are the fd's. */
static void a_worker_of_revision_1_5_is_answered_an_empty_body_and_its_fd(void **s)
{
	(void)s;
	struct hx *x = hx_new(NULL, 0, 0);
	struct privsep_worker *w;
	char p[256], why[256];
	uint8_t rep[256];
	struct stat st;
	int fd, sock;
	ssize_t n;
	assert_non_null(x);
	snprintf(p, sizeof(p), "%s/old", root);
	make_file(p, 4097, 0644, 1234567890, 5);
	sock = hx_attach_policy(x, "old", "old.policy", hx_fs_one_rule(root, "read"), &w, why,
	                        sizeof(why));
	assert_true(sock >= 0);

	n = raw_open(x, sock, O_RDONLY, p, rep, sizeof(rep), &fd);
	assert_int_equal(n, PRIVSEP_HDR_LEN + 4); /* the error, no body */
	assert_int_equal(wire_get_u32(rep + 4), PRIVSEP_T_REPLY);
	assert_int_equal(wire_get_u32(rep + PRIVSEP_HDR_LEN), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, 4097);
	close(fd);

	n = raw_open(x, sock, O_RDONLY | PROTO_FS_OPEN_STAT, p, rep, sizeof(rep), &fd);
	assert_int_equal(n, PRIVSEP_HDR_LEN + 4 + 72);
	assert_int_equal(wire_get_u32(rep + PRIVSEP_HDR_LEN), 0);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	{
		uint64_t f[9];
		struct privsep_reader r;
		privsep_reader_init(&r, rep + PRIVSEP_HDR_LEN + 4, 72);
		for (int i = 0; i < 9; i++)
			privsep_reader_get_u64(&r, &f[i]);
		assert_int_equal(privsep_reader_end(&r), 0);
		assert_int_equal(f[0], st.st_dev);
		assert_int_equal(f[1], st.st_ino);
		assert_int_equal(f[2], st.st_mode);
		assert_int_equal(f[6], 4097);
		assert_int_equal(f[7], 1234567890);
		assert_int_equal(f[8], 5);
	}
	close(fd);
	close(sock);
	hx_free(x);
}

/* Bit 31 is the protocol's: privsep_fs_open refuses it from its caller
 * (EINVAL, nothing sent) rather than take a stat it has no room for. */
static void the_stat_bit_is_no_open_flag_of_the_caller(void **s)
{
	(void)s;
	struct hx_fs f;
	struct privsep_result res;
	struct stat st;
	char p[256];
	snprintf(p, sizeof(p), "%s/old", root);
	fx_open(&f, hx_fs_one_rule(root, "read"));
	/* refused before anything is sent: no pump needed */
	assert_int_equal(privsep_fs_open(f.c, p, O_RDONLY | (int)PROTO_FS_OPEN_STAT, &res), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(res.refused, 0);
	assert_int_equal(
	    privsep_fs_open_stat(f.c, p, O_RDONLY | (int)PROTO_FS_OPEN_STAT, &st, &res), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(privsep_fs_open_stat(f.c, p, O_RDONLY, NULL, &res), -1);
	assert_int_equal(errno, EINVAL);
	hx_fs_free(&f);
}

/* ---- a helper's answer without a stat of the right length ---- */

struct fake {
	pthread_t t;
	int sock;    /* the helper's end, played by this test */
	size_t blen; /* the body it answers the open with */
	int fd;      /* the fd it sends (a pipe's end) */
};

static void *fake_main(void *arg)
{
	struct fake *k = arg;
	uint8_t in[8192], out[256] = {0};
	struct wire_hdr h = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, 1, PRIVSEP_T_REPLY, 0, 0};
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t n = recv(k->sock, in, sizeof(in), 0);
	if (n < PRIVSEP_HDR_LEN)
		return NULL;
	h.id = wire_get_u32(in + 8);
	h.len = (uint32_t)(4 + k->blen);
	wire_put_hdr(out, &h);
	iov.iov_base = out;
	iov.iov_len = PRIVSEP_HDR_LEN + 4 + k->blen;
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &k->fd, sizeof(int));
	(void)!sendmsg(k->sock, &mh, MSG_NOSIGNAL);
	return NULL;
}

/* A helper (played here) answers an open with its stat with no body, a
 * body a u64 short, a u64 too many, or 200 bytes: the call fails
 * (EPROTO; EMSGSIZE for a body over the room the client gave it: the
 * 72 bytes of the synchronous call, the struct stat of the asynchronous
 * one), the fd that came with it is closed, and the worker's client
 * lives on to make the next call. */
static void an_answer_without_a_whole_stat_fails_the_call_and_leaves_no_fd(void **s)
{
	(void)s;
	static const size_t blens[] = {0, 64, 80, 200};
	for (size_t i = 0; i < sizeof(blens) / sizeof(blens[0]); i++)
		for (int async = 0; async < 2; async++) {
			int sv[2], pp[2], before;
			struct fake k = {0};
			struct privsep_client_config cfg = {.msg_max = 8192};
			struct privsep_client *c;
			struct privsep_result res;
			struct stat st;
			assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv),
			                 0);
			assert_int_equal(pipe2(pp, O_CLOEXEC), 0);
			c = privsep_client_new(sv[1], &cfg);
			assert_non_null(c);
			k.sock = sv[0];
			k.blen = blens[i];
			k.fd = pp[0];
			before = count_fds();
			pthread_create(&k.t, NULL, fake_main, &k);
			if (!async) {
				assert_int_equal(privsep_fs_open_stat(c, "/x", O_RDONLY, &st, &res),
				                 -1);
				assert_int_equal(errno, blens[i] > 72 ? EMSGSIZE : EPROTO);
			} else {
				struct bg b = {.c = c, .path = "/x", .flags = O_RDONLY, .async = 1};
				bg_main(&b);
				assert_int_equal(b.fd, -1);
				assert_int_equal(b.err, blens[i] > sizeof(struct stat) ? EMSGSIZE
				                                                       : EPROTO);
			}
			pthread_join(k.t, NULL);
			assert_int_equal(count_fds(), before); /* the fd received, closed */
			/* the channel is not dead: the next call is sent */
			k.blen = 72;
			pthread_create(&k.t, NULL, fake_main, &k);
			{
				int fd = privsep_fs_open_stat(c, "/x", O_RDONLY, &st, &res);
				assert_true(fd >= 0);
				close(fd);
			}
			pthread_join(k.t, NULL);
			privsep_client_free(c);
			close(sv[0]);
			close(pp[0]);
			close(pp[1]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(the_stat_with_an_open_is_the_fstat_of_the_fd_handed_out),
	    cmocka_unit_test(a_created_file_or_a_directory_is_described_as_handed_out),
	    cmocka_unit_test(
	        a_worker_cannot_make_the_helper_stat_another_file_than_the_one_it_opened),
	    cmocka_unit_test(a_worker_of_revision_1_5_is_answered_an_empty_body_and_its_fd),
	    cmocka_unit_test(the_stat_bit_is_no_open_flag_of_the_caller),
	    cmocka_unit_test(an_answer_without_a_whole_stat_fails_the_call_and_leaves_no_fd),
	};
	return cmocka_run_group_tests_name("broker-open-stat", tests, setup, teardown);
}
