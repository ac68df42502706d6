/* SPDX-License-Identifier: ISC */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <valgrind/valgrind.h>

#include <cmocka.h>

#include "harness.h"
#include "wire.h"
#include "chan.h"
#include "helper_int.h"
#include "uidpool.h"

static void hx_log(enum privsep_log_level lvl, const char *line, void *arg)
{
	struct hx *x = arg;
	if (x->nlog < HX_LOG_LINES) {
		x->lvl[x->nlog] = lvl;
		snprintf(x->log[x->nlog++], sizeof(x->log[0]), "%s", line);
	}
	if (getenv("HX_VERBOSE"))
		fprintf(stderr, "log: %s\n", line);
}

static void hx_gone(struct privsep_worker *w, void *arg)
{
	struct hx *x = arg;
	x->gone++;
	x->last_exit = *privsep_worker_exit_info(w);
	x->last_viol = x->last_exit.violation;
	snprintf(x->last_gone, sizeof(x->last_gone), "%s", privsep_worker_name(w));
}

static void hx_restarted(struct privsep_worker *w, void *arg)
{
	struct hx *x = arg;
	x->restarted++;
	x->last_restarted_slot = privsep_worker_slot(w);
	snprintf(x->last_restarted, sizeof(x->last_restarted), "%s", privsep_worker_name(w));
}

struct hx *hx_new(const struct privsep_handler *table, size_t n, size_t msg_max)
{
	struct privsep_helper_config base = {.msg_max = msg_max};
	return hx_new_cfg(table, n, &base);
}

struct hx *hx_new_cfg(const struct privsep_handler *table, size_t n,
                      const struct privsep_helper_config *base)
{
	struct hx *x = calloc(1, sizeof(*x));
	struct privsep_helper_config cfg = *base;
	if (!x)
		return NULL;
	cfg.on_worker_restarted = hx_restarted;
	cfg.restarted_arg = x;
	cfg.log = hx_log;
	cfg.log_arg = x;
	cfg.on_worker_gone = hx_gone;
	cfg.gone_arg = x;
	x->h = privsep_helper_new(table, n, &cfg);
	if (!x->h) {
		free(x);
		return NULL;
	}
	return x;
}

void hx_free(struct hx *x)
{
	if (!x)
		return;
	privsep_helper_free(x->h);
	free(x);
}

int hx_attach_raw(struct hx *x, const char *name, struct privsep_worker **w)
{
	int sv[2];
	struct privsep_worker *pw;
	if (chan_pair(sv) < 0)
		return -1;
	pw = helper_attach(x->h, sv[0], -1, 0, name);
	if (!pw) {
		close(sv[1]);
		return -1;
	}
	if (w)
		*w = pw;
	return sv[1];
}

int hx_attach_policy(struct hx *x, const char *name, const char *policy, const char *text,
                     struct privsep_worker **w, char *why, size_t whylen)
{
	const struct pol_entry *pe = helper_policy(x->h, policy, text, 0, why, whylen);
	int fd;
	if (!pe)
		return -1;
	fd = hx_attach_raw(x, name, w);
	if (fd < 0) {
		snprintf(why, whylen, "%s: cannot attach", name);
		return -1;
	}
	(*w)->spawn.pol = pol_entry_policy(pe);
	(*w)->spawn.roots = pol_entry_roots(pe);
	return fd;
}

struct privsep_client *hx_attach_client(struct hx *x, const char *name, size_t msg_max)
{
	struct privsep_client_config cfg = {.msg_max = msg_max, .log = hx_log, .log_arg = x};
	int fd = hx_attach_raw(x, name, NULL);
	return fd < 0 ? NULL : privsep_client_new(fd, &cfg);
}

int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int hx_pump_until(struct hx *x, const atomic_int *flag, int timeout_ms)
{
	int64_t end = now_ms() + timeout_ms;
	while (!atomic_load(flag) && now_ms() < end)
		privsep_helper_step(x->h, 5);
	return atomic_load(flag);
}

int hx_pump_gone(struct hx *x, int n, int timeout_ms)
{
	/* every caller expects the workers gone: the bound only ends a
	 * failing test, so it is never under HX_GONE_MIN_MS (a worker's
	 * start took over 5 s under ASan at load 30) */
	int64_t end = now_ms() + (timeout_ms > HX_GONE_MIN_MS ? timeout_ms : HX_GONE_MIN_MS);
	while (x->gone < n && now_ms() < end)
		privsep_helper_step(x->h, 5);
	return x->gone >= n;
}

int hx_logged(const struct hx *x, const char *s)
{
	for (int i = 0; i < x->nlog; i++)
		if (strstr(x->log[i], s))
			return 1;
	return 0;
}

static void *bg_main(void *arg)
{
	struct hx_bg *b = arg;
	b->rc = privsep_client_call(
	    b->c, &(struct privsep_out){.type = b->type, .data = b->req, .len = b->len}, &b->res);
	b->err = errno;
	atomic_store(&b->done, 1);
	return NULL;
}

void hx_bg_call(struct hx_bg *b, struct privsep_client *c, uint32_t type, const void *req,
                size_t len)
{
	memset(b, 0, sizeof(*b));
	b->c = c;
	b->type = type;
	if (len)
		memcpy(b->req, req, len);
	b->len = len;
	b->res.data = b->body;
	b->res.cap = sizeof(b->body);
	pthread_create(&b->thr, NULL, bg_main, b);
}

int hx_bg_wait(struct hx *x, struct hx_bg *b)
{
	hx_pump_until(x, &b->done, 5000);
	pthread_join(b->thr, NULL);
	return b->rc;
}

struct bg_open {
	pthread_t t;
	struct privsep_client *c;
	const char *path;
	int flags;
	int fd, err;
	struct privsep_result res;
	atomic_int done;
};

static void *bg_open_main(void *arg)
{
	struct bg_open *o = arg;
	o->fd = privsep_fs_open(o->c, o->path, o->flags, &o->res);
	o->err = o->fd < 0 ? errno : 0;
	atomic_store(&o->done, 1);
	return NULL;
}

int hx_bg_open(struct hx *x, struct privsep_client *c, const char *path, int flags, int timeout_ms,
               int *err, char *why)
{
	struct bg_open o = {.c = c, .path = path, .flags = flags};
	pthread_create(&o.t, NULL, bg_open_main, &o);
	if (!hx_pump_until(x, &o.done, timeout_ms))
		return -2;
	pthread_join(o.t, NULL);
	*err = o.err;
	if (why)
		snprintf(why, PRIVSEP_DETAIL_MAX, "%s", o.res.detail);
	return o.fd;
}

int hx_fs_new(struct hx_fs *f, const char *name, const char *policy, const char *text)
{
	char why[512];
	struct privsep_client_config cfg = {.msg_max = 8192};
	int fd;
	f->c = NULL;
	f->x = hx_new(NULL, 0, 8192);
	if (!f->x)
		return -1;
	fd = hx_attach_policy(f->x, name, policy, text, &f->w, why, sizeof(why));
	if (fd < 0) {
		fprintf(stderr, "policy: %s\n", why);
		return -1;
	}
	f->c = privsep_client_new(fd, &cfg);
	return f->c ? 0 : -1;
}

void hx_fs_free(struct hx_fs *f)
{
	privsep_client_free(f->c);
	hx_free(f->x);
}

int hx_fs_open(struct hx_fs *f, const char *path, int flags, int *err, char *why)
{
	/* a bound for a hung helper, not a timing claim: generous for a loaded machine */
	return hx_bg_open(f->x, f->c, path, flags, 30000, err, why);
}

int hx_fs_dirs(char top[64], char root[128], const char *tag)
{
	snprintf(top, 64, "/tmp/privsep-%s-XXXXXX", tag);
	if (!mkdtemp(top))
		return -1;
	snprintf(root, 128, "%s/root", top);
	return mkdir(root, 0755) < 0 ? -1 : 0;
}

const char *hx_fs_one_rule(const char *root, const char *rights)
{
	static char t[512];
	snprintf(t, sizeof(t), "version 1\nbeneath \"%s\" allow %s\n", root, rights);
	return t;
}

void hx_put(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void *swap_main(void *arg)
{
	struct hx_swapper *sw = arg;
	for (long i = 0; !atomic_load(&sw->stop); i++) {
		const char *other = sw->other[i % sw->n];
		if (renameat2(AT_FDCWD, sw->file, AT_FDCWD, other, RENAME_EXCHANGE) == 0)
			renameat2(AT_FDCWD, sw->file, AT_FDCWD, other, RENAME_EXCHANGE);
		atomic_fetch_add(&sw->swaps, 1);
	}
	return NULL;
}

void hx_swap_start(struct hx_swapper *sw)
{
	atomic_store(&sw->stop, 0);
	assert_int_equal(pthread_create(&sw->t, NULL, swap_main, sw), 0);
}

void hx_swap_stop(struct hx_swapper *sw)
{
	atomic_store(&sw->stop, 1);
	pthread_join(sw->t, NULL);
}

int hx_rmtree(const char *dir)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n - 3; /* ".", ".." and the directory's own fd */
}

int hx_lease_held_here(unsigned uid)
{
	char link[64], target[256], line[256];
	long long want = (long long)uid - UIDPOOL_MIN, start, end;
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		FILE *f;
		ssize_t k;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = '\0';
		if (strcmp(target, UIDPOOL_DIR "/" UIDPOOL_FILE) != 0)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fdinfo/%s", de->d_name);
		f = fopen(link, "re");
		while (f && fgets(line, sizeof(line), f))
			/* lock:\t1: OFDLCK ADVISORY  WRITE -1 MAJ:MIN:INO START END */
			if (!strncmp(line, "lock:", 5) && strstr(line, "OFDLCK") &&
			    sscanf(strrchr(line, ':') + 1, "%*s %lld %lld", &start, &end) == 2 &&
			    start <= want && want <= end)
				n++;
		if (f)
			fclose(f);
	}
	closedir(d);
	return n;
}

size_t rec_make(uint8_t *rec, uint32_t type, uint32_t id, const void *payload, size_t plen,
                uint8_t nfds)
{
	struct wire_hdr h = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, nfds, type, id,
	                     (uint32_t)plen};
	wire_put_hdr(rec, &h);
	if (plen)
		memcpy(rec + PRIVSEP_HDR_LEN, payload, plen);
	return PRIVSEP_HDR_LEN + plen;
}

int raw_send(int fd, const void *buf, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 16)];
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds && chan_put_fds(&mh, ctl.b, sizeof(ctl), fds, nfds) < 0)
		return -1;
	return sendmsg(fd, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

int raw_send_u32(int fd, uint32_t type, uint32_t id, uint32_t v, const int *fds, size_t nfds)
{
	uint8_t rec[PRIVSEP_HDR_LEN + 4];
	size_t n = rec_make(rec, type, id, &v, 4, (uint8_t)nfds);
	return raw_send(fd, rec, n, fds, nfds);
}

int set_fd_room(int room)
{
	struct rlimit rl;
	int open_below = 0, lim = 0;
	/* the smallest limit that leaves exactly room free slots */
	for (lim = 0; lim < 65536; lim++) {
		if (lim - open_below == room)
			break;
		if (fcntl(lim, F_GETFD) >= 0)
			open_below++;
	}
	rl.rlim_cur = rl.rlim_max = (rlim_t)lim;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int probe_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

int under_valgrind(void)
{
	return RUNNING_ON_VALGRIND ? 1 : 0;
}

static int on_call_fd = -1;
static void (*on_call_fn)(void);

/* hx_on_call's thread: each notification, on_call, then the call goes on. */
static void *on_call_thread(void *arg)
{
	(void)arg;
	for (;;) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		if (ioctl(on_call_fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0) {
			if (errno == EINTR)
				continue;
			return NULL;
		}
		on_call_fn();
		memset(&resp, 0, sizeof(resp));
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		(void)ioctl(on_call_fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
}

int hx_on_call(long nr, unsigned arg1, void (*on_call)(void))
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 3),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[1])),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arg1, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	pthread_t t;

	on_call_fn = on_call;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	on_call_fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                          SECCOMP_FILTER_FLAG_NEW_LISTENER, &fp);
	if (on_call_fd < 0)
		return -1;
	if (pthread_create(&t, NULL, on_call_thread, NULL) != 0)
		return -1;
	return 0;
}

void hx_ready_then_pause(struct privsep_helper *h, struct privsep_worker *w, int fd)
{
	pid_t wp = w ? privsep_worker_pid(w) : -1;
	int64_t end = now_ms() + 60000;
	while (w && !privsep_worker_ready(w))
		if (now_ms() >= end || privsep_helper_step(h, 100) < 0)
			_exit(1);
	if (write(fd, &wp, sizeof(wp)) != sizeof(wp))
		_exit(1);
	for (;;)
		pause();
}

/* The pids of this thread's children (a worker cloned with CLONE_PARENT
 * is one of them), at most max; -1 when /proc cannot tell. */
int hx_children(pid_t *out, int max)
{
	char path[64], buf[1024];
	int n = 0;
	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	if (hx_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	for (char *s = buf, *e; n < max; s = e) {
		long v = strtol(s, &e, 10);
		if (e == s)
			break;
		out[n++] = (pid_t)v;
	}
	return n;
}

/* The four uids and gids of pid (real, effective, saved, filesystem). */
int hx_ids_of(pid_t pid, unsigned uid[4], unsigned gid[4])
{
	char path[64], buf[2048];
	const char *u, *g;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if (hx_read_small(path, buf, sizeof(buf)) < 0)
		return -1;
	u = strstr(buf, "\nUid:");
	g = strstr(buf, "\nGid:");
	if (!u || !g || sscanf(u, "\nUid: %u %u %u %u", &uid[0], &uid[1], &uid[2], &uid[3]) != 4 ||
	    sscanf(g, "\nGid: %u %u %u %u", &gid[0], &gid[1], &gid[2], &gid[3]) != 4)
		return -1;
	return 0;
}

int hx_others_with_id(unsigned id, pid_t except, pid_t *who)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	int n = 0;
	assert_non_null(d); /* a test that cannot look fails */
	while ((de = readdir(d))) {
		unsigned u[4], g[4];
		pid_t pid = (pid_t)atoi(de->d_name);
		if (pid <= 0 || pid == except || hx_ids_of(pid, u, g) < 0)
			continue;
		for (int i = 0; i < 4; i++)
			if (u[i] == id || g[i] == id) {
				if (!n++ && who)
					*who = pid;
				break;
			}
	}
	closedir(d);
	return n;
}

ssize_t hx_recv_fd(int sock, void *buf, size_t size, int *fd)
{
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int) * PRIVSEP_MAX_FDS)];
	} ctl;
	struct iovec iov = {buf, size};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	struct cmsghdr *c;
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	*fd = -1;
	if (n < 0)
		return n;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(sizeof(int)) && mh.msg_controllen == CMSG_SPACE(sizeof(int))) {
		memcpy(fd, CMSG_DATA(c), sizeof(int));
		return n;
	}
	/* not exactly one: none is kept */
	for (; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int k;
				memcpy(&k, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(k);
			}
	return n;
}

int hx_reply_fd(struct privsep_req *req, int fd)
{
	if (fd < 0)
		return errno;
	return privsep_req_reply_fd(req, fd) < 0 ? EIO : 0;
}
