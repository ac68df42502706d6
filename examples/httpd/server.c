/* SPDX-License-Identifier: ISC */
/*
 * server.c - the worker's single-threaded event loop.
 *
 * Connections are edge-triggered in one epoll set; each runs a small
 * state machine (read a head, send its answer, maybe linger) until a
 * read or a write would block.  Every connection is on exactly one
 * deadline list; each list has one duration, so appending keeps it
 * sorted and the earliest deadline is a list head.  A client that sends
 * slowly (slowloris), reads slowly or says nothing loses its connection
 * when its deadline passes, whatever else it does.
 *
 * Standard C11 and GNU extensions: it defines _GNU_SOURCE (for
 * accept4) and compiles with cc -std=c11 -pedantic.
 */
#define _GNU_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <privsep.h>

#include "accesslog.h"
#include "fcache.h"
#include "serve.h"
#include "server.h"

enum conn_state { ST_READ, ST_OPEN, ST_WRITE, ST_LINGER };
enum deadline_list { DL_HEADER, DL_IDLE, DL_SEND, DL_LINGER, DL__COUNT };

#define LINGER_MS 2000u      /* reading what a refused client still sends */
#define LINGER_BYTES 65536u  /* and at most this much of it */
#define REQUESTS_PER_TURN 16 /* then the others get their turn */
#define SENDFILE_CHUNK (1u << 20)
/* one accept per wakeup: the connections already here get their turn
 * between two accepts (each worker has its own listening socket; the
 * kernel spreads new connections over the workers) */
#define ACCEPTS_PER_TURN 1
#define NOTSENT_LOWAT (256 * 1024)

struct server;

struct conn {
	struct server *srv;
	int fd;
	char peer[INET6_ADDRSTRLEN]; /* for the access log */
	enum conn_state state;
	enum deadline_list dl;
	uint64_t deadline;
	struct conn *prev, *next; /* on its deadline list */
	struct conn *ready_next;  /* on the ready list: more to do without an event */
	int ready;
	/* what epoll said (edge-triggered: it says it once): readable, and
	 * not drained by a read since; the peer's end seen (EPOLLRDHUP,
	 * EPOLLHUP or EPOLLERR: read on until recv says what it is) */
	int readable, rdhup;
	int need_more;              /* the buffered bytes are not a whole head */
	struct http_head_scan scan; /* how far the head in `in` was looked at */
	size_t in_len, head_len, lingered;
	size_t out_off;
	struct serve_out out;
	char *in; /* limits.head_max bytes */
	/* ST_OPEN: the request waits for the broker's open (asked without
	 * waiting: the other connections are served meanwhile) */
	struct serve_wait *wait; /* the request and what it waits for */
	uint32_t open_id;        /* the broker call in flight, for a cancel */
	int logged_req;          /* the access log names the request */
};

struct list {
	struct conn *head, *tail;
};

struct server {
	const struct server_config *cfg;
	struct privsep_client *client;
	int ep;
	unsigned nconns;
	int accepting;
	uint64_t accept_resume; /* after EMFILE: when to try again, 0 none */
	struct list dl[DL__COUNT];
	unsigned dl_ms[DL__COUNT];
	struct conn *ready;
	struct fcache files;
	uint64_t now_ms;
	int64_t now_s;
	uint64_t drain_until; /* draining (the helper asked): stop by then; 0 not */
};

/* epoll tags for the two fds that are not connections */
static char tag_listen, tag_channel;

/* The helper's drain event arrived (one server per process). */
static int drain_asked;

int server_on_drain(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	drain_asked = 1;
	return 0;
}

static void clock_update(struct server *s)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	s->now_ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	clock_gettime(CLOCK_REALTIME, &ts);
	s->now_s = ts.tv_sec;
}

/* ---- deadline lists ---- */

static void dl_remove(struct server *s, struct conn *c)
{
	struct list *l = &s->dl[c->dl];
	if (c->prev)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Move c to the tail of list d with a fresh deadline. */
static void dl_set(struct server *s, struct conn *c, enum deadline_list d)
{
	struct list *l = &s->dl[d];
	dl_remove(s, c);
	c->dl = d;
	c->deadline = s->now_ms + s->dl_ms[d];
	c->prev = l->tail;
	c->next = NULL;
	if (l->tail)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* ---- connections ---- */

static void accept_enable(struct server *s, int on)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = &tag_listen};
	if (on == s->accepting)
		return;
	if (epoll_ctl(s->ep, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, s->cfg->listen_fd, &ev) == 0)
		s->accepting = on;
}

static void conn_close(struct server *s, struct conn *c)
{
	dl_remove(s, c);
	if (c->ready) { /* rare: unlink from the ready list */
		struct conn **p = &s->ready;
		while (*p && *p != c)
			p = &(*p)->ready_next;
		if (*p)
			*p = c->ready_next;
	}
	/* an open in flight: its answer, when it comes, is dropped (its fd
	 * closed by the client) */
	if (c->state == ST_OPEN)
		(void)privsep_client_cancel(s->client, c->open_id);
	fcache_release(c->out.file);
	close(c->fd);
	free(c->wait);
	free(c->in);
	free(c);
	s->nconns--;
	if (s->nconns < s->cfg->max_conns && !s->accept_resume && !s->drain_until)
		accept_enable(s, 1);
}

/* Waiting for a request: the header deadline once a byte of it is here,
 * the idle one before. */
static void conn_await_request(struct server *s, struct conn *c)
{
	c->state = ST_READ;
	c->head_len = 0;
	c->need_more = 0;
	memset(&c->scan, 0, sizeof(c->scan)); /* the next head starts at in[0] */
	dl_set(s, c, c->in_len ? DL_HEADER : DL_IDLE);
}

/* The answer is in c->out: start sending it. */
static void conn_answer(struct server *s, struct conn *c)
{
	c->state = ST_WRITE;
	c->out_off = 0;
	dl_set(s, c, DL_SEND);
}

/* The answer is in c->out: log it, start sending it. */
static void conn_answered(struct server *s, struct conn *c)
{
	if (s->cfg->access_log) {
		char line[1024];
		size_t n = access_line(line, sizeof(line), c->peer, s->now_s,
		                       c->logged_req ? &c->wait->req : NULL, c->out.status,
		                       serve_body_bytes(&c->out));
		(void)!write(STDERR_FILENO, line, n);
	}
	conn_answer(s, c);
}

/* The broker's answer to c's open (privsep_fs_open_stat_async's done, run in
 * privsep_client_dispatch): the answer is made, and c goes on the ready
 * list, to be run after the events at hand (a connection closed here
 * could still be among them). */
static void conn_opened(struct privsep_result *res, int error, void *arg)
{
	struct conn *c = arg;
	struct server *s = c->srv;
	struct serve_ctx x = {s->cfg->root, &s->files, s->now_s, s->now_ms};
	serve_opened(&x, c->wait, error ? -1 : res->fds[0], error, &c->out);
	conn_answered(s, c);
	if (!c->ready) {
		c->ready = 1;
		c->ready_next = s->ready;
		s->ready = c;
	}
}

/* Parse what is buffered: 1 an answer is ready or asked for, 0 more
 * bytes are needed. */
static int conn_parse(struct server *s, struct conn *c)
{
	struct http_request req;
	size_t cap = s->cfg->limits.head_max;
	/* only the bytes that came since the last call are looked at: a
	 * head trickled byte by byte costs its length, not its square */
	int status = http_head_scan(&c->scan, c->in, c->in_len, &s->cfg->limits, &c->head_len);
	if (status == 0 && c->head_len == 0) {
		if (c->in_len < cap)
			return 0;
		status = 431; /* a full buffer and no end: it cannot fit */
	}
	if (status) {
		memset(&req, 0, sizeof(req));
		c->head_len = c->in_len; /* nothing after a refusal is read as a request */
	} else {
		status = http_parse(c->in, c->head_len, &s->cfg->limits, &req);
	}
	struct serve_ctx x = {s->cfg->root, &s->files, s->now_s, s->now_ms};
	c->logged_req = (status == 0 || status == 405 || status == 413) && req.method;
	if (serve_start(&x, &req, status, &c->out, c->wait)) {
		/* the file: asked for without waiting; the answer comes in
		 * conn_opened */
		/* O_NONBLOCK, as nginx asks: it changes nothing for a regular
		 * file (the only kind served), and the broker, which opens
		 * with it anyway, then has no flag to set back */
		if (privsep_fs_open_stat_async(s->client, c->wait->path, O_RDONLY | O_NONBLOCK,
		                               &c->wait->st, &c->wait->res, conn_opened, c,
		                               &c->open_id) == 0) {
			c->state = ST_OPEN;
			dl_set(s, c, DL_SEND);
			return 1;
		}
		serve_opened(&x, c->wait, -1, errno, &c->out); /* EAGAIN: 503 */
	}
	conn_answered(s, c);
	return 1;
}

/* Send what is left of the answer: 1 done, 0 blocked, -1 the connection
 * is lost.  *moved: whether any byte went. */
static int conn_send(struct conn *c, int *moved)
{
	struct serve_out *o = &c->out;
	*moved = 0;
	while (c->out_off < o->len) {
		ssize_t n = send(c->fd, o->buf + c->out_off, o->len - c->out_off,
		                 MSG_NOSIGNAL | (o->file ? MSG_MORE : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		c->out_off += (size_t)n;
		*moved = 1;
	}
	while (o->file && o->count > 0) {
		off_t off = (off_t)o->off;
		size_t chunk = o->count < SENDFILE_CHUNK ? (size_t)o->count : SENDFILE_CHUNK;
		ssize_t n = sendfile(c->fd, o->file->fd, &off, chunk);
		if (n < 0)
			return errno == EAGAIN ? 0 : -1;
		if (n == 0)
			return -1; /* the file shrank: the length we promised cannot be kept */
		o->off += (uint64_t)n;
		o->count -= (uint64_t)n;
		*moved = 1;
	}
	fcache_release(o->file);
	o->file = NULL;
	return 1;
}

/* After an answer that closes: stop sending, read and drop what the
 * client still sends for a while, so that closing with unread bytes does
 * not reset the connection before the client has read the answer. */
static void conn_linger(struct server *s, struct conn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = ST_LINGER;
	c->lingered = 0;
	dl_set(s, c, DL_LINGER);
}

/* Run c until it blocks: 0, or -1 when it was closed. */
static int conn_run(struct server *s, struct conn *c)
{
	for (int turn = 0;;) {
		if (c->state == ST_READ) {
			size_t cap = s->cfg->limits.head_max;
			if (c->in_len > 0 && !c->need_more) {
				if (conn_parse(s, c))
					continue;
				c->need_more = 1;
			}
			/* drained by the last read and nothing said since: the
			 * next bytes bring an event (as nginx does; it saves a
			 * recv that would say EAGAIN after each answer) */
			if (!c->readable)
				return 0;
			size_t room = cap - c->in_len;
			ssize_t n = recv(c->fd, c->in + c->in_len, room, 0);
			if (n < 0 && errno == EINTR)
				continue;
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				conn_close(s, c);
				return -1;
			}
			if (n < 0) {
				c->readable = 0;
				return 0;
			}
			/* a short read emptied the socket: the next bytes are a
			 * new edge.  Not so once the peer's end was seen: its
			 * edge came with bytes this read took, so read on until
			 * recv returns 0 or fails */
			if ((size_t)n < room && !c->rdhup)
				c->readable = 0;
			if (c->in_len == 0)
				dl_set(s, c, DL_HEADER); /* the request starts: its deadline */
			c->in_len += (size_t)n;
			c->need_more = 0;
		} else if (c->state == ST_OPEN) {
			return 0; /* conn_opened goes on */
		} else if (c->state == ST_WRITE) {
			int moved, rc = conn_send(c, &moved);
			if (rc < 0) {
				conn_close(s, c);
				return -1;
			}
			if (rc == 0) {
				/* progress: the deadline starts again */
				if (moved)
					dl_set(s, c, DL_SEND);
				return 0;
			}
			if (c->out.close) {
				conn_linger(s, c);
				continue;
			}
			/* keep the bytes after this head: a pipelined request */
			memmove(c->in, c->in + c->head_len, c->in_len - c->head_len);
			c->in_len -= c->head_len;
			/* draining: a connection with no request waiting is done */
			if (s->drain_until && !c->in_len) {
				conn_close(s, c);
				return -1;
			}
			conn_await_request(s, c);
			if (++turn >= REQUESTS_PER_TURN) {
				c->ready = 1;
				c->ready_next = s->ready;
				s->ready = c;
				return 0;
			}
		} else {
			char sink[4096];
			ssize_t n = recv(c->fd, sink, sizeof(sink), 0);
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return 0;
			c->lingered += n > 0 ? (size_t)n : 0;
			if (n <= 0 || c->lingered >= LINGER_BYTES) {
				conn_close(s, c);
				return -1;
			}
		}
	}
}

/* The client's address as text; IPv4-mapped IPv6 as plain IPv4. */
static void peer_name(const struct sockaddr_storage *ss, char *out, size_t len)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
	if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], out, (socklen_t)len);
	else if (ss->ss_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, out, (socklen_t)len);
	else if (ss->ss_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, out, (socklen_t)len);
	else
		snprintf(out, len, "-");
}

static void accept_some(struct server *s)
{
	for (int i = 0; i < ACCEPTS_PER_TURN && s->accepting; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int one = 1, lowat = NOTSENT_LOWAT,
		    fd = accept4(s->cfg->listen_fd, (struct sockaddr *)&ss, &sl,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* out of fds or memory: pause, the deadlines free some */
				accept_enable(s, 0);
				s->accept_resume = s->now_ms + 100;
			}
			return; /* EAGAIN: another worker took it; ECONNABORTED: gone */
		}
		c = calloc(1, sizeof(*c));
		if (c) {
			c->in = malloc(s->cfg->limits.head_max);
			c->wait = malloc(sizeof(*c->wait));
		}
		if (!c || !c->in || !c->wait) {
			if (c) {
				free(c->in);
				free(c->wait);
			}
			free(c);
			close(fd);
			return;
		}
		c->srv = s;
		c->readable = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* writable again as soon as little is left unsent: a client that
		 * reads shows progress at once, and no answer sits in a deep
		 * socket buffer */
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat, sizeof(lowat));
		c->fd = fd;
		peer_name(&ss, c->peer, sizeof(c->peer));
		c->dl = DL_IDLE;
		s->nconns++;
		struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		                         .data.ptr = c};
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
			conn_close(s, c);
			continue;
		}
		/* a new connection owes its head within the header deadline */
		c->state = ST_READ;
		dl_set(s, c, DL_HEADER);
		conn_run(s, c);
		if (s->nconns >= s->cfg->max_conns)
			accept_enable(s, 0);
	}
}

/* Close every connection whose deadline passed.  A request begun but not
 * whole in time is answered 408 instead, like any refusal: sent within
 * the send deadline, then the connection lingers (conn_linger), so that
 * the client reads the 408 rather than a reset for the bytes it still
 * sends. */
static void expire(struct server *s)
{
	for (int d = 0; d < DL__COUNT; d++) {
		struct conn *c;
		while ((c = s->dl[d].head) && c->deadline <= s->now_ms) {
			if (d == DL_HEADER && c->in_len > 0 && c->state == ST_READ) {
				serve_timeout(s->now_s, &c->out);
				c->head_len = c->in_len;
				conn_answer(s, c); /* off this list: on the send one */
				conn_run(s, c);
				continue;
			}
			conn_close(s, c);
		}
	}
}

/* The helper's replacement of this worker is ready: accept no more
 * (the listening socket is the replacement's too: what waits in its
 * queue is the replacement's), close the kept-alive connections that
 * wait for another request, answer the requests begun, within the send
 * deadline. */
static void drain_start(struct server *s)
{
	s->drain_until = s->now_ms + s->cfg->send_ms + 1;
	s->accept_resume = 0;
	accept_enable(s, 0);
	/* kept alive between two requests; a connection just accepted (on
	 * the header list) owes a request that may be on its way */
	for (struct conn *c = s->dl[DL_IDLE].head, *nx; c; c = nx) {
		nx = c->next;
		conn_close(s, c);
	}
}

static int next_timeout(struct server *s)
{
	uint64_t first = UINT64_MAX;
	if (s->ready)
		return 0;
	for (int d = 0; d < DL__COUNT; d++)
		if (s->dl[d].head && s->dl[d].head->deadline < first)
			first = s->dl[d].head->deadline;
	if (s->accept_resume && s->accept_resume < first)
		first = s->accept_resume;
	if (fcache_next_expiry(&s->files) < first)
		first = fcache_next_expiry(&s->files); /* close expired files, also when idle */
	if (s->drain_until && s->drain_until < first)
		first = s->drain_until;
	if (first == UINT64_MAX)
		return -1;
	return first <= s->now_ms ? 0
	                          : (int)(first - s->now_ms < 60000 ? first - s->now_ms : 60000);
}

unsigned long server_fds_needed(unsigned max_conns)
{
	return 2ul * max_conns + FCACHE_SLOTS + SERVER_OWN_FDS;
}

int server_run(struct privsep_client *client, const struct server_config *cfg)
{
	struct server s = {.cfg = cfg, .client = client, .files.ttl_ms = cfg->cache_ms};
	struct epoll_event evs[64];
	struct epoll_event ch = {.events = EPOLLIN | EPOLLRDHUP, .data.ptr = &tag_channel};
	int rc = 1;

	/* a policy whose rlimit nofile is below what max_conns needs would
	 * fail accepts and opens under load: refuse to start instead.  The
	 * filter has no getrlimit; F_DUPFD_CLOEXEC to the highest fd needed
	 * fails with EINVAL when it is over the limit */
	unsigned long need = server_fds_needed(cfg->max_conns);
	int probe = need <= INT_MAX
	                ? fcntl(privsep_client_fd(client), F_DUPFD_CLOEXEC, (int)(need - 1))
	                : -1;
	if (probe < 0 && (need > INT_MAX || errno == EINVAL)) {
		fprintf(stderr, "httpd worker: %u connections need %lu fds; the limit is lower\n",
		        cfg->max_conns, need);
		return 2;
	}
	if (probe >= 0)
		close(probe);
	signal(SIGPIPE, SIG_IGN); /* a client gone mid-sendfile is an error, not a death */
	s.dl_ms[DL_HEADER] = cfg->header_ms;
	s.dl_ms[DL_IDLE] = cfg->idle_ms;
	s.dl_ms[DL_SEND] = cfg->send_ms;
	s.dl_ms[DL_LINGER] = LINGER_MS < cfg->idle_ms ? LINGER_MS : cfg->idle_ms;
	s.ep = epoll_create1(EPOLL_CLOEXEC);
	if (s.ep < 0 || epoll_ctl(s.ep, EPOLL_CTL_ADD, privsep_client_fd(client), &ch) < 0) {
		fprintf(stderr, "httpd worker: epoll: %s\n", strerror(errno));
		goto out;
	}
	clock_update(&s);
	accept_enable(&s, 1);
	if (!s.accepting) {
		fprintf(stderr, "httpd worker: the listening socket: %s\n", strerror(errno));
		goto out;
	}
	for (;;) {
		int n = epoll_wait(s.ep, evs, 64, next_timeout(&s));
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "httpd worker: epoll_wait: %s\n", strerror(errno));
			goto out;
		}
		clock_update(&s);
		for (int i = 0; i < n; i++) {
			void *p = evs[i].data.ptr;
			if (p == &tag_channel) {
				/* an event (drain), or the helper closed the channel:
				 * stop */
				if (privsep_client_dispatch(client, 0) < 0) {
					rc = 0;
					goto out;
				}
				continue;
			}
			if (p == &tag_listen) {
				accept_some(&s);
				continue;
			}
			struct conn *c = p;
			/* recorded also for a connection on the ready list,
			 * which runs later: the edge is not said again */
			if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				c->readable = 1;
			if (evs[i].events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
				c->rdhup = 1;
			if (!c->ready)
				conn_run(&s, c);
		}
		/* the connections that yielded their turn */
		struct conn *r = s.ready;
		s.ready = NULL;
		while (r) {
			struct conn *next = r->ready_next;
			r->ready = 0;
			conn_run(&s, r);
			r = next;
		}
		if (s.accept_resume && s.accept_resume <= s.now_ms) {
			s.accept_resume = 0;
			if (s.nconns < cfg->max_conns)
				accept_enable(&s, 1);
		}
		expire(&s);
		fcache_sweep(&s.files, s.now_ms);
		if (drain_asked && !s.drain_until)
			drain_start(&s);
		if (s.drain_until && (!s.nconns || s.now_ms >= s.drain_until)) {
			rc = 0; /* drained (or out of time): the replacement serves */
			goto out;
		}
	}
out:
	for (int d = 0; d < DL__COUNT; d++)
		while (s.dl[d].head)
			conn_close(&s, s.dl[d].head);
	fcache_clear(&s.files);
	if (s.ep >= 0)
		close(s.ep);
	return rc;
}
