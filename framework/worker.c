/*
 * worker.c - the worker's side: synchronous calls, one-way posts.
 *
 * Many threads may call at once.  Each call registers a slot with a fresh
 * request id, sends, and then waits; one waiting thread at a time reads
 * the socket and hands each reply to the slot with its id.  The reply
 * body is copied straight into the caller's buffer, so a call allocates
 * nothing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "chan.h"
#include "helper_int.h"
#include "proto.h"

struct call_slot {
	uint32_t id;
	struct privsep_result *res;
	int done;
	int rc;    /* privsep_call's return value */
	int error; /* errno when rc == -1 */
	struct call_slot *next;
};

struct privsep_client {
	int fd;
	size_t msg_max;
	privsep_log_fn log;
	void *log_arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t next_id;
	struct call_slot *calls;
	int reading; /* a thread is in recvmsg */
	int dead;    /* 0, or the errno every call now fails with */
	uint8_t *rx;
};

#define CLOG(c, lvl, ...) helper_log((c)->log, (c)->log_arg, lvl, __VA_ARGS__)

struct privsep_client *privsep_client_new(int fd, const struct privsep_client_config *cfg)
{
	size_t msg_max = cfg && cfg->msg_max ? cfg->msg_max : PRIVSEP_MSG_MAX_DEFAULT;
	struct privsep_client *c;

	if (fd < 0 || msg_max < PRIVSEP_MSG_MAX_MIN || msg_max > PRIVSEP_MSG_MAX_LIMIT) {
		if (fd >= 0)
			close(fd);
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->rx = malloc(msg_max))) {
		free(c);
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	c->fd = fd;
	c->msg_max = msg_max;
	c->log = cfg ? cfg->log : NULL;
	c->log_arg = cfg ? cfg->log_arg : NULL;
	c->next_id = 1;
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	return c;
}

void privsep_client_free(struct privsep_client *c)
{
	if (!c)
		return;
	int saved = errno;
	close(c->fd);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->rx);
	free(c);
	errno = saved;
}

int privsep_client_fd(const struct privsep_client *c)
{
	return c->fd;
}

/* The helper broke the protocol or went away: every call fails from now
 * on.  Called with mu held. */
static void client_die(struct privsep_client *c, int err, enum privsep_violation v,
                       const struct privsep_hdr *hdr)
{
	if (c->dead)
		return;
	c->dead = err;
	if (v != PRIVSEP_V_NONE) {
		if (hdr)
			CLOG(c, PRIVSEP_LOG_ERR,
			     "worker: helper broke the protocol: %s (type 0x%x id %u len %u nfds "
			     "%u); "
			     "channel closed",
			     privsep_violation_name(v), hdr->type, hdr->id, hdr->len, hdr->nfds);
		else
			CLOG(c, PRIVSEP_LOG_ERR,
			     "worker: helper broke the protocol: %s; channel closed",
			     privsep_violation_name(v));
		shutdown(c->fd, SHUT_RDWR);
	}
}

static struct call_slot *slot_find(struct privsep_client *c, uint32_t id)
{
	/* An answered call waits to be unlinked by its thread: a second reply
	 * with its id must not find it. */
	for (struct call_slot *s = c->calls; s; s = s->next)
		if (s->id == id && !s->done)
			return s;
	return NULL;
}

static int id_in_use(const struct privsep_client *c, uint32_t id)
{
	for (const struct call_slot *s = c->calls; s; s = s->next)
		if (s->id == id)
			return 1;
	return 0;
}

static void slot_finish(struct call_slot *s, int rc, int error)
{
	s->rc = rc;
	s->error = error;
	s->done = 1;
}

/* Check one received record and hand it to its slot.  mu held. */
static void deliver(struct privsep_client *c, struct chan_msg *m, enum chan_status st)
{
	struct privsep_hdr hdr;
	enum privsep_violation v;
	struct call_slot *s;
	struct privsep_reader r;
	uint32_t error;
	const void *body;
	size_t blen;

	v = privsep_wire_check(m->buf, m->len, m->nfds, c->msg_max, &hdr);
	if (st == CHAN_FDLIMIT)
		v = privsep_wire_check_fdlimit(v, m->nfds_partial, &hdr);
	if (v == PRIVSEP_V_NONE && hdr.type != PRIVSEP_T_REPLY)
		v = proto_msg_find(hdr.type) || hdr.type >= PRIVSEP_TYPE_APP_MIN
		        ? PRIVSEP_V_WRONG_DIRECTION
		        : PRIVSEP_V_UNKNOWN_TYPE;
	if (v == PRIVSEP_V_NONE && !(s = slot_find(c, hdr.id)))
		v = PRIVSEP_V_UNKNOWN_ID;
	if (v == PRIVSEP_V_NONE && hdr.len < PROTO_REPLY_FIXED)
		v = PRIVSEP_V_BAD_SIZE;
	if (v != PRIVSEP_V_NONE) {
		chan_close_fds(m->fds, m->nfds);
		client_die(c, EPROTO, v, v == PRIVSEP_V_SHORT_HEADER ? NULL : &hdr);
		return;
	}
	privsep_reader_init(&r, m->buf + PRIVSEP_HDR_LEN, hdr.len);
	privsep_get_u32(&r, &error);
	if (error != 0) {
		const char *detail;
		size_t dlen;
		if (error > 4095 || hdr.nfds != 0 || privsep_get_str(&r, &detail, &dlen) < 0 ||
		    privsep_reader_end(&r) < 0 || dlen >= PRIVSEP_DETAIL_MAX) {
			chan_close_fds(m->fds, m->nfds);
			client_die(c, EPROTO, PRIVSEP_V_BAD_REPLY, &hdr);
			return;
		}
		memcpy(s->res->detail, detail, dlen + 1);
		slot_finish(s, (int)error, 0);
		return;
	}
	if (st == CHAN_FDLIMIT) {
		slot_finish(s, -1, EMFILE);
		return;
	}
	privsep_get_rest(&r, &body, &blen);
	if (blen > s->res->cap) {
		chan_close_fds(m->fds, m->nfds);
		slot_finish(s, -1, EMSGSIZE);
		return;
	}
	if (blen)
		memcpy(s->res->data, body, blen);
	s->res->len = blen;
	memcpy(s->res->fds, m->fds, m->nfds * sizeof(int));
	s->res->nfds = m->nfds;
	slot_finish(s, 0, 0);
}

/* Read one record as the reading thread; mu is released while blocked. */
static void read_one(struct privsep_client *c)
{
	struct chan_msg m = {.buf = c->rx, .cap = c->msg_max};
	enum chan_status st;

	c->reading = 1;
	pthread_mutex_unlock(&c->mu);
	st = chan_recv(c->fd, &m, 0);
	int err = errno;
	pthread_mutex_lock(&c->mu);
	c->reading = 0;
	switch (st) {
	case CHAN_RECORD:
	case CHAN_FDLIMIT:
		deliver(c, &m, st);
		break;
	case CHAN_VIOLATION:
		client_die(c, EPROTO, m.viol, NULL);
		break;
	case CHAN_EOF:
		client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
		break;
	case CHAN_AGAIN: /* not on a blocking socket; retry */
		break;
	case CHAN_ERROR:
		client_die(c, err == ECONNRESET ? EPIPE : err, PRIVSEP_V_NONE, NULL);
		break;
	}
	pthread_cond_broadcast(&c->cv);
}

static int check_args(const struct privsep_client *c, uint32_t type, const void *p, size_t len,
                      const int *fds, size_t nfds)
{
	if (type == 0 || (len && !p) || (nfds && !fds) || nfds > PRIVSEP_MAX_FDS) {
		errno = EINVAL;
		return -1;
	}
	if (len > c->msg_max - PRIVSEP_HDR_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static int send_record(struct privsep_client *c, uint32_t type, uint32_t id, const void *p,
                       size_t len, const int *fds, size_t nfds)
{
	uint8_t hb[PRIVSEP_HDR_LEN];
	struct privsep_hdr hdr = {PRIVSEP_WIRE_MAGIC, PRIVSEP_WIRE_VERSION, (uint8_t)nfds, type, id,
	                          (uint32_t)len};
	privsep_wire_put_hdr(hb, &hdr);
	return chan_send(c->fd, hb, sizeof(hb), p, len, fds, nfds, 0);
}

int privsep_call(struct privsep_client *c, uint32_t type, const void *req, size_t len,
                 const int *fds, size_t nfds, struct privsep_result *res)
{
	struct call_slot s = {0};
	int rc, err;

	if (!res || (res->cap && !res->data)) {
		errno = EINVAL;
		return -1;
	}
	res->len = 0;
	res->nfds = 0;
	for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
		res->fds[i] = -1;
	res->detail[0] = '\0';
	if (check_args(c, type, req, len, fds, nfds) < 0)
		return -1;

	pthread_mutex_lock(&c->mu);
	if (c->dead) {
		errno = c->dead;
		pthread_mutex_unlock(&c->mu);
		return -1;
	}
	do
		s.id = c->next_id++;
	while (s.id == 0 || id_in_use(c, s.id));
	s.res = res;
	s.next = c->calls;
	/* the slot lives on this stack: it is unlinked below before return */
	// cppcheck-suppress autoVariables
	c->calls = &s;
	pthread_mutex_unlock(&c->mu);

	rc = send_record(c, type, s.id, req, len, fds, nfds);
	err = errno;

	pthread_mutex_lock(&c->mu);
	if (rc < 0) {
		if (err == EPIPE || err == ECONNRESET)
			client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
		slot_finish(&s, -1, err == ECONNRESET ? EPIPE : err);
	}
	while (!s.done && !c->dead) {
		if (c->reading)
			pthread_cond_wait(&c->cv, &c->mu);
		else
			read_one(c);
	}
	if (!s.done)
		slot_finish(&s, -1, c->dead);
	for (struct call_slot **pp = &c->calls; *pp; pp = &(*pp)->next)
		if (*pp == &s) {
			*pp = s.next;
			break;
		}
	pthread_mutex_unlock(&c->mu);
	if (s.rc < 0)
		errno = s.error;
	return s.rc;
}

int privsep_post(struct privsep_client *c, uint32_t type, const void *msg, size_t len,
                 const int *fds, size_t nfds)
{
	int dead;
	if (check_args(c, type, msg, len, fds, nfds) < 0)
		return -1;
	pthread_mutex_lock(&c->mu);
	dead = c->dead;
	pthread_mutex_unlock(&c->mu);
	if (dead) {
		errno = dead;
		return -1;
	}
	if (send_record(c, type, 0, msg, len, fds, nfds) < 0) {
		if (errno == ECONNRESET)
			errno = EPIPE;
		return -1;
	}
	return 0;
}

int privsep_drop_permits(struct privsep_client *c, const uint32_t *types, size_t n)
{
	uint8_t buf[4 + 4 * PROTO_PERMIT_DROP_MAX];
	struct privsep_writer w;
	struct privsep_result res = {0};

	if (n == 0 || n > PROTO_PERMIT_DROP_MAX || !types) {
		errno = EINVAL;
		return -1;
	}
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_put_u32(&w, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		privsep_put_u32(&w, types[i]);
	return privsep_call(c, PRIVSEP_T_PERMIT_DROP, buf, w.len, NULL, 0, &res);
}

int privsep_ping(struct privsep_client *c, const void *data, size_t len, struct privsep_result *res)
{
	return privsep_call(c, PRIVSEP_T_PING, data, len, NULL, 0, res);
}
