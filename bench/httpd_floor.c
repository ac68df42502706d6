/* SPDX-License-Identifier: ISC */
/*
 * httpd_floor.c - the floor of a web server that opens every file through
 * a broker process, as examples/httpd --file-cache 0 does: no HTTP
 * framework, no sandbox, no checks beyond the broker's confinement,
 * nothing but what any server that brokers its opens must do per request
 * (bench/README.md, "httpd --file-cache 0: the floor server").
 *
 * Its connection handling is httpd's: one process per worker, each with
 * its own listening socket in the port's SO_REUSEPORT group, one accept
 * per wake-up, keep-alive connections in one edge-triggered epoll set,
 * each added once; the opens of a worker go to the broker without
 * waiting (the worker serves its other connections meanwhile) and their
 * answers come on the worker's channel, which is in the same epoll set.
 * The broker is one process for all workers, as httpd's helper is.
 *
 * Per request a worker does what nginx does (strace -f -c of its
 * workers: recvfrom, openat, newfstatat, writev, sendfile, close), with
 * its open replaced by a round trip to the broker:
 *   worker: recv the request, send the path on its SEQPACKET channel;
 *   broker: recv it, openat2 it beneath the root (RESOLVE_BENEATH: a
 *           broker that opened anything it is sent would be none),
 *           sendmsg the fd back with SCM_RIGHTS, close its copy;
 *   worker: recvmsg the fd, fstat it, send the head and a body up to
 *           8 KiB together (pread into the head's buffer, one writev, as
 *           httpd does; it costs the server and wrk less than nginx's
 *           two), or with --sendfile and above 8 KiB as nginx does
 *           (writev the head, sendfile the body), close.
 * Like nginx, a worker reads a connection only when epoll said it is
 * readable and its last read did not drain it, and reads its channel and
 * the broker its sockets until EAGAIN per wake-up.
 *
 * With --look the broker does what any broker with the brokered open's
 * guarantees must (refuse what is not a regular file before opening it,
 * never block, hand out only the file it looked at), with the fewest
 * system calls found (bench/look_floor.c measures the ways): statx of
 * the name before the openat2, fstat of the fd after it, 2 calls more
 * per request (open_looked).  Its answer carries that fstat's size,
 * mtime and mode, so the worker does not fstat the fd again, as httpd's
 * since protocol revision 1.6 (privsep_fs_open_stat): one call less per
 * request in the worker.  bench/httpd.sh runs both floors.
 *
 * With --sandbox the broker and the workers are under the sandbox
 * httpd's guarantees require, as httpd's helper and workers are: the
 * broker confined by the library's own privsep_helper_confine (its
 * Landlock for httpd's root, helper.policy's filter), each worker under
 * httpd's policy's filter, exec mode's second filter and a Landlock
 * layer with no right (floor_sandbox.c says how, and what differs);
 * --sandbox=landlock or --sandbox=seccomp, one part alone.
 * bench/httpd.sh runs --look --sandbox as floor-sandbox.
 *
 * Usage: httpd-floor --port N --root DIR [--address A] [--workers N]
 *                    [--sendfile] [--look] [--sandbox[=landlock|seccomp]]
 * (the arguments bench/httpd.sh gives httpd; default address 127.0.0.1,
 * workers one per CPU).  It stops on SIGTERM; its workers die with it.
 * Not a server for anything but this measurement: only GET, every path
 * beneath the root, every connection kept alive.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "floor_sandbox.h"
#include "opath_open.h"

#define WORKERS_MAX 64
#define IN_MAX 4096
#define PATH_MAX_LEN 1024
#define HEAD_MAX 512
#define INLINE_MAX 8192 /* httpd's SERVE_INLINE_MAX */
#define TURN 32         /* opens of one worker per turn, as privsep's helper */

/* --look: the broker keeps the brokered open's guarantees (issue 17:
 * "the look, no blocking on FIFOs, the file opened is the one looked
 * at") with the fewest system calls found (bench/look_floor.c): a
 * statx of the name before the open, which refuses what is not a
 * regular file before anything is opened, and an fstat of the fd after
 * it, which refuses a file that is not the one looked at */
static int look;

/* A body up to INLINE_MAX is read with pread into the head's buffer and
 * sent with it in one writev, as httpd does; --sendfile: nginx's way
 * (writev the head, sendfile the body) */
static int inline_bodies = 1;

/* ---- the broker ---- */

/* The answer to one open: the error (0: the fd is in SCM_RIGHTS), and
 * with --look what the broker's fstat of that fd said. */
struct answer {
	int32_t error;
	uint32_t mode;
	int64_t size, mtime;
};

static int broker_answer(int sock, int fd, int error, const struct stat *st)
{
	union {
		struct cmsghdr a;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct answer a = {.error = error};
	struct iovec iov = {&a, look ? sizeof(a) : sizeof(a.error)};
	if (fd >= 0 && look) {
		a.mode = st->st_mode;
		a.size = st->st_size;
		a.mtime = st->st_mtim.tv_sec;
	}
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		struct cmsghdr *c;
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* The look-keeping open of path beneath root (--look): the fd, or -1
 * with errno (EACCES: not a regular file, never opened; EAGAIN: the
 * name changed between the look and the open).  A name in the root
 * itself (what httpd's quick look takes: no '/', not "." or "..") is
 * looked at with one statx, without following a symlink; any other
 * path (or a symlink) through an O_PATH fd opened as the real open
 * would be, and the real open through /proc/self/fd (the file the look
 * saw by construction), as the product's full look. */
static int open_looked(int root, int procfd, const char *path, const struct open_how *how,
                       struct stat *out)
{
	struct statx sx;
	struct stat st;
	int fd;
	if (!strchr(path, '/') && strcmp(path, ".") != 0 && strcmp(path, "..") != 0 &&
	    statx(root, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE | STATX_INO, &sx) ==
	        0 &&
	    !S_ISLNK(sx.stx_mode)) {
		if (!S_ISREG(sx.stx_mode)) {
			errno = EACCES;
			return -1;
		}
		fd = (int)syscall(SYS_openat2, root, path, how, sizeof(*how));
		if (fd < 0)
			return -1;
		if (fstat(fd, &st) < 0 || st.st_ino != sx.stx_ino ||
		    st.st_dev != makedev(sx.stx_dev_major, sx.stx_dev_minor)) {
			close(fd);
			errno = EAGAIN;
			return -1;
		}
		*out = st;
		return fd;
	}
	/* *out: the file reopened, by construction; without O_NOCTTY, which
	 * means nothing for the regular file opath_open reopens and which
	 * helper.policy's openat does not take (--sandbox) */
	return opath_open(root, procfd, path, 0, how->resolve, (int)how->flags & ~O_NOCTTY, out);
}

/* The opens waiting on sock, at most TURN of them (then the other
 * workers': the socket is level-triggered, epoll says it again; read
 * until EAGAIN, a worker that keeps sending would starve the others):
 * 0, or -1 when the worker is gone. */
static int broker_serve(int sock, int root, int procfd)
{
	struct open_how how = {.flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY,
	                       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	char path[PATH_MAX_LEN + 1];
	for (int turn = 0; turn < TURN; turn++) {
		ssize_t n = recv(sock, path, PATH_MAX_LEN, MSG_DONTWAIT);
		struct stat st = {0};
		int fd;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0)
			return -1;
		path[n] = '\0';
		if (look)
			fd = open_looked(root, procfd, path, &how, &st);
		else
			fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
		if (broker_answer(sock, fd, fd < 0 ? errno : 0, &st) < 0) {
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (fd >= 0)
			close(fd);
	}
	return 0;
}

static int broker(const int *socks, unsigned n, int root, int procfd)
{
	struct epoll_event evs[WORKERS_MAX];
	unsigned live = n;
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		return 1;
	for (unsigned i = 0; i < n; i++) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
		if (epoll_ctl(ep, EPOLL_CTL_ADD, socks[i], &ev) < 0)
			return 1;
	}
	while (live) {
		int k = epoll_wait(ep, evs, WORKERS_MAX, -1);
		if (k < 0 && errno != EINTR)
			return 1;
		for (int i = 0; i < k; i++) {
			int s = socks[evs[i].data.u32];
			if (broker_serve(s, root, procfd) < 0) {
				fprintf(stderr, "httpd-floor: worker %u is gone\n",
				        evs[i].data.u32);
				epoll_ctl(ep, EPOLL_CTL_DEL, s, NULL);
				close(s);
				live--;
			}
		}
	}
	return 1;
}

/* ---- a worker ---- */

enum state { ST_READ, ST_OPEN, ST_WRITE, ST_CLOSED };

struct conn {
	int fd;
	enum state state;
	int readable;       /* epoll said so, and no read since drained it */
	int queued;         /* its open is in flight */
	struct conn *qnext; /* the next open in flight, or the next closed one */
	size_t in_len, head_len;
	int file;
	off_t off, end;
	size_t out_len, out_off;
	char out[HEAD_MAX + INLINE_MAX];
	char in[IN_MAX];
};

struct worker {
	int ep, chan, lfd;
	struct conn *qhead, *qtail; /* waiting for the broker, in the order asked */
	struct conn *closed;        /* freed after the events at hand (one may name it) */
	time_t date_s;
	char date[40]; /* the Date header's value, made once a second */
};

static char tag_listen, tag_chan;

static void http_date(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* c is done; its memory goes after the events at hand, or when its
 * open's answer comes */
static void conn_close(struct worker *w, struct conn *c)
{
	close(c->fd);
	if (c->file >= 0)
		close(c->file);
	c->file = -1;
	c->state = ST_CLOSED;
	if (!c->queued) {
		c->qnext = w->closed;
		w->closed = c;
	}
}

static const char *mime(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && strcmp(dot, ".html") == 0 ? "text/html" : "application/octet-stream";
}

/* A head was read: ask the broker for its file. */
static int conn_ask(struct worker *w, struct conn *c)
{
	char *p = c->in, *end = c->in + c->head_len, *sp;
	if (c->head_len < 5 || memcmp(p, "GET /", 5) != 0)
		return -1;
	p += 5;
	sp = memchr(p, ' ', (size_t)(end - p));
	if (!sp || sp == p || sp - p > PATH_MAX_LEN)
		return -1;
	if (send(w->chan, p, (size_t)(sp - p), 0) < 0)
		return -1;
	c->state = ST_OPEN;
	c->queued = 1;
	c->qnext = NULL;
	if (w->qtail)
		w->qtail->qnext = c;
	else
		w->qhead = c;
	w->qtail = c;
	return 0;
}

/* Run c until it blocks: 0, or -1 when it was closed. */
static int conn_run(struct worker *w, struct conn *c)
{
	for (;;) {
		if (c->state == ST_OPEN || c->state == ST_CLOSED)
			return 0;
		if (c->state == ST_WRITE) {
			while (c->out_off < c->out_len) {
				struct iovec iov = {c->out + c->out_off, c->out_len - c->out_off};
				ssize_t n = writev(c->fd, &iov, 1);
				if (n < 0 && errno == EAGAIN)
					return 0;
				if (n < 0) {
					conn_close(w, c);
					return -1;
				}
				c->out_off += (size_t)n;
			}
			while (c->file >= 0 && c->off < c->end) {
				ssize_t n =
				    sendfile(c->fd, c->file, &c->off, (size_t)(c->end - c->off));
				if (n < 0 && errno == EAGAIN)
					return 0;
				if (n <= 0) {
					conn_close(w, c);
					return -1;
				}
			}
			if (c->file >= 0)
				close(c->file);
			c->file = -1;
			/* the bytes after this head: a pipelined request */
			memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
			c->in_len -= c->head_len;
			c->head_len = 0;
			c->state = ST_READ;
		}
		/* ST_READ: a whole head buffered, or read more */
		char *e = c->in_len >= 4 ? memmem(c->in, c->in_len, "\r\n\r\n", 4) : NULL;
		if (e) {
			c->head_len = (size_t)(e + 4 - c->in);
			if (conn_ask(w, c) < 0) {
				conn_close(w, c);
				return -1;
			}
			return 0;
		}
		if (!c->readable)
			return 0;
		size_t room = IN_MAX - c->in_len;
		ssize_t n = room ? recv(c->fd, c->in + c->in_len, room, 0) : -1;
		if (n < 0 && errno == EAGAIN) {
			c->readable = 0;
			return 0;
		}
		if (n <= 0) {
			conn_close(w, c);
			return -1;
		}
		if ((size_t)n < room) /* drained: the next bytes bring an event */
			c->readable = 0;
		c->in_len += (size_t)n;
	}
}

/* The broker's answer for c: fd or error, and (--look) the fd's size,
 * mtime and mode as the broker's fstat said.  Its answer made in c->out. */
static void conn_opened(struct worker *w, struct conn *c, int fd, const struct answer *a)
{
	struct stat st;
	char lm[40];
	const char *path = c->in + 5;
	int status = 200, error = a->error;
	if (fd >= 0 && look) {
		memset(&st, 0, sizeof(st));
		st.st_mode = a->mode;
		st.st_size = a->size;
		st.st_mtim.tv_sec = a->mtime;
	}
	if (fd >= 0 && ((!look && fstat(fd, &st) < 0) || !S_ISREG(st.st_mode))) {
		close(fd);
		fd = -1;
		error = EACCES;
	}
	if (fd < 0) {
		status = error == ENOENT || error == ENOTDIR ? 404 : 403;
		c->out_len = (size_t)snprintf(
		    c->out, sizeof(c->out),
		    "HTTP/1.1 %d %s\r\nServer: httpd-floor\r\nDate: %s\r\nContent-Length: 0\r\n"
		    "Connection: keep-alive\r\n\r\n",
		    status, status == 404 ? "Not Found" : "Forbidden", w->date);
		c->file = -1;
	} else {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(path, " "), path);
		http_date(st.st_mtim.tv_sec, lm, sizeof(lm));
		c->out_len = (size_t)snprintf(
		    c->out, sizeof(c->out),
		    "HTTP/1.1 200 OK\r\nServer: httpd-floor\r\nDate: %s\r\nContent-Type: %s\r\n"
		    "Content-Length: %lld\r\nLast-Modified: %s\r\nConnection: keep-alive\r\n"
		    "ETag: \"%llx-%llx\"\r\nAccept-Ranges: bytes\r\n\r\n",
		    w->date, mime(name), (long long)st.st_size, lm,
		    (unsigned long long)st.st_mtim.tv_sec, (unsigned long long)st.st_size);
		c->file = fd;
		c->off = 0;
		c->end = st.st_size;
		if (inline_bodies && st.st_size <= INLINE_MAX && c->out_len < HEAD_MAX) {
			ssize_t k = pread(fd, c->out + c->out_len, (size_t)st.st_size, 0);
			if (k == st.st_size) {
				c->out_len += (size_t)k;
				close(fd);
				c->file = -1;
			}
		}
	}
	c->out_off = 0;
	c->state = ST_WRITE;
}

/* Every answer waiting on the channel: 0, or -1 when the broker is gone. */
static int channel_read(struct worker *w)
{
	for (;;) {
		union {
			struct cmsghdr a;
			char b[CMSG_SPACE(sizeof(int))];
		} ctl;
		struct answer a = {0};
		int fd = -1;
		struct iovec iov = {&a, sizeof(a)};
		struct msghdr mh = {.msg_iov = &iov,
		                    .msg_iovlen = 1,
		                    .msg_control = ctl.b,
		                    .msg_controllen = sizeof(ctl.b)};
		ssize_t n = recvmsg(w->chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		struct cmsghdr *cm;
		struct conn *c;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n != (ssize_t)(look ? sizeof(a) : sizeof(a.error)) || !(c = w->qhead))
			return -1;
		cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		w->qhead = c->qnext;
		if (!w->qhead)
			w->qtail = NULL;
		c->queued = 0;
		if (c->state == ST_CLOSED) {
			if (fd >= 0)
				close(fd);
			c->qnext = w->closed;
			w->closed = c;
			continue;
		}
		conn_opened(w, c, fd, &a);
		conn_run(w, c);
	}
}

static void accept_one(struct worker *w)
{
	int one = 1, fd = accept4(w->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct conn *c;
	if (fd < 0)
		return;
	c = malloc(sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	memset(c, 0, offsetof(struct conn, in));
	c->fd = fd;
	c->file = -1;
	c->state = ST_READ;
	c->readable = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	                         .data.ptr = c};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		conn_close(w, c);
		return;
	}
	conn_run(w, c);
}

static int worker(int lfd, int chan, int sandbox)
{
	struct worker w = {.lfd = lfd, .chan = chan};
	struct epoll_event evs[64];
	struct epoll_event el = {.events = EPOLLIN, .data.ptr = &tag_listen};
	struct epoll_event ec = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &tag_chan};
	w.ep = epoll_create1(EPOLL_CLOEXEC);
	if (w.ep < 0 || epoll_ctl(w.ep, EPOLL_CTL_ADD, lfd, &el) < 0 ||
	    epoll_ctl(w.ep, EPOLL_CTL_ADD, chan, &ec) < 0)
		return 1;
	signal(SIGPIPE, SIG_IGN);
	if (sandbox && floor_sandbox_worker() < 0)
		return 1;
	for (;;) {
		int n = epoll_wait(w.ep, evs, 64, -1);
		time_t now = time(NULL);
		if (n < 0 && errno != EINTR)
			return 1;
		if (now != w.date_s) {
			w.date_s = now;
			http_date(now, w.date, sizeof(w.date));
		}
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_listen) {
				accept_one(&w);
			} else if (p == &tag_chan) {
				if (channel_read(&w) < 0)
					return 0; /* the broker is gone */
			} else {
				struct conn *c = p;
				if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
					c->readable = 1;
				conn_run(&w, c);
			}
		}
		while (w.closed) {
			struct conn *c = w.closed;
			w.closed = c->qnext;
			free(c);
		}
	}
}

/* ---- start ---- */

static int listen_on(const char *addr, unsigned port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || inet_pton(AF_INET, addr, &sa.sin_addr) != 1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 511) < 0) {
		fprintf(stderr, "httpd-floor: listening on %s port %u: %s\n", addr, port,
		        strerror(errno));
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"address", required_argument, NULL, 'a'}, {"port", required_argument, NULL, 'p'},
	    {"root", required_argument, NULL, 'r'},    {"workers", required_argument, NULL, 'w'},
	    {"sendfile", no_argument, NULL, 's'},      {"look", no_argument, NULL, 'l'},
	    {"sandbox", optional_argument, NULL, 'S'}, {NULL, 0, NULL, 0}};
	const char *addr = "127.0.0.1", *rootdir = NULL;
	long port = -1, n = sysconf(_SC_NPROCESSORS_ONLN);
	int socks[WORKERS_MAX], o, root, procfd;
	unsigned sandbox = 0;
	pid_t self = getpid();
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = atol(optarg);
			break;
		case 'r':
			rootdir = optarg;
			break;
		case 'w':
			n = atol(optarg);
			break;
		case 's':
			inline_bodies = 0;
			break;
		case 'l':
			look = 1;
			break;
		case 'S':
			sandbox = floor_sandbox_parts(optarg);
			if (!sandbox) {
				fprintf(stderr, "httpd-floor: --sandbox=%s: landlock or seccomp\n",
				        optarg);
				return 2;
			}
			break;
		default:
			return 2;
		}
	}
	if (!rootdir || port < 1 || port > 65535 || n < 1 || n > WORKERS_MAX) {
		fprintf(stderr, "usage: httpd-floor --port N --root DIR [--address A] "
		                "[--workers N (1 to 64)] [--sendfile] [--look] "
		                "[--sandbox[=landlock|seccomp]]\n");
		return 2;
	}
	root = open(rootdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		fprintf(stderr, "httpd-floor: %s: %s\n", rootdir, strerror(errno));
		return 1;
	}
	if (sandbox && floor_sandbox_prepare(sandbox, rootdir) < 0)
		return 1;
	for (long i = 0; i < n; i++) {
		int sv[2], lfd = listen_on(addr, (unsigned)port);
		pid_t pid;
		if (lfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
			return 1;
		pid = fork();
		if (pid < 0)
			return 1;
		if (pid == 0) {
			for (long j = 0; j < i; j++)
				close(socks[j]);
			close(sv[0]);
			close(root);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != self)
				_exit(0);
			_exit(worker(lfd, sv[1], sandbox != 0));
		}
		close(lfd);
		close(sv[1]);
		socks[i] = sv[0];
	}
	procfd = open("/proc/self/fd", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (look && procfd < 0) {
		fprintf(stderr, "httpd-floor: /proc/self/fd: %s\n", strerror(errno));
		return 1;
	}
	if (sandbox && floor_sandbox_broker() < 0) {
		fprintf(stderr, "httpd-floor: the broker's sandbox (the line above says why)\n");
		return 1;
	}
	return broker(socks, (unsigned)n, root, procfd);
}
