/* SPDX-License-Identifier: ISC */
/*
 * client.c - the worker's side: synchronous calls, one-way posts, events.
 *
 * Many threads may call at once.  Each call registers a slot with a fresh
 * request id, sends, and then waits; one waiting thread at a time reads
 * the socket and hands each reply to the slot with its id.  The reply
 * body is copied straight into the caller's buffer, so a call allocates
 * nothing.  Records are checked and framed by the message layer (msg.c),
 * as the helper's are.  An event from the helper is checked against the table and
 * its handler run by whichever thread read it (a waiting call, or
 * privsep_client_dispatch), with no lock held and no other thread
 * reading meanwhile.
 *
 * Sending keeps one order: under smu, whatever is queued goes first.  A
 * call or a waiting post blocks while the socket is full; a NOWAIT post
 * is queued (bounded) and sent by the next send, dispatch or flush.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "chan.h"
#include "client_int.h"
#include "clock.h"
#include "logline.h"
#include "outq.h"
#include "privsep.h"
#include "msg.h"
#include "proto.h"
#include "region.h"
#include "rows.h"
#include "wire.h"

struct call_slot {
	uint32_t id;
	struct privsep_result *res; /* NULL: an asynchronous call cancelled */
	int done;
	int rc;     /* 0, a positive errno (the helper refused), or -1 */
	int error;  /* errno when rc == -1 */
	int linked; /* on the calls in flight */
	struct call_slot *next, *prev;
	/* an asynchronous call (privsep_client_call_async): heap, reused */
	int async;
	int sent; /* its record went (or is queued): a reply, or death, ends it */
	privsep_done_fn fn;
	void *arg;
	client_check_fn check;
};

struct privsep_client {
	int fd;
	size_t msg_max;
	privsep_log_fn log;
	void *log_arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint32_t next_id;
	int ids_wrapped; /* next_id went round: a new id may still be in use */
	/* the calls in flight, oldest first: the helper answers a worker's
	 * calls in order, so a reply's call is found at the head and unlinked
	 * there, not after a walk past every call in flight */
	struct call_slot *calls, *calls_tail;
	struct call_slot *spare; /* asynchronous calls' slots, free for reuse */
	size_t nasync;           /* asynchronous calls in flight (on calls) */
	int reading;             /* a thread is in recvmsg, or runs an event's handler */
	pthread_t reader;        /* that thread, while reading */
	int waiters;             /* threads waiting on cv for the reading thread */
	int dead;                /* 0, or the errno every call now fails with */
	uint8_t *rx;
	const struct privsep_handler *table; /* its PRIVSEP_H_EVENT rows */
	size_t n;
	pthread_mutex_t smu; /* sending: q and the order of records */
	struct outq q;
	pthread_mutex_t rmu;     /* the bulk region, from its put to its send */
	struct region_tx region; /* region.h */
	/* the part-by-part type (revision 1.7) whose payload the holder of
	 * rmu is sending in parts, from before its first part to after its
	 * final record; 0: none.  A sealed memfd of that type sent meanwhile
	 * (a NOWAIT post or an asynchronous call of another thread, which
	 * cannot wait for rmu) would land between the parts, which the
	 * helper takes as a violation: send_out refuses it (EBUSY) */
	uint32_t feeding;
	uint8_t *batch; /* PRIVSEP_POST_BATCH: a BATCH's payload (under smu) */
	size_t blen;    /* its bytes so far; 0: no batch */
	/* the row of the last type batched, found admissible for a batch
	 * (a post with no fd and no bulk): only its length is checked again */
	const struct privsep_handler *brow;
};

#define CLIENT_QUEUE_MAX 256
/* How long a bulk send waits for the helper to have copied out the
 * previous payload of the region before it gives the region up. */
#define CLIENT_REGION_WAIT_MS 1000
/* A payload of REGION_PARTS_MIN bytes or more goes in parts of
 * REGION_SLOT bytes (revision 1.4): the helper copies one out while the
 * next is written.  The parts go around REGION_RING slots of the region
 * (region_tx_at), so that each stays in the caches between the worker's
 * copy in and the helper's copy out: a slot is written again once the
 * helper copied out its part, waited for up to CLIENT_RING_WAIT_MS
 * (measured: bench/README.md, "Bulk payloads, session 6"); a slot not
 * free by then sends the rest of that payload to its own places with no
 * more waiting (a helper in the same thread serves nothing until the
 * send returns).  Once CLIENT_PARTS_AHEAD parts are not copied out yet,
 * the rest of the payload goes as one part, so that the records of one
 * payload fit in the socket's buffer together.  Sizes measured
 * (bench/README.md, "Bulk payloads, revision 1.4"). */
#define CLIENT_PARTS_AHEAD 32u
#define CLIENT_RING_WAIT_MS 2
/* ... and for a type whose handler takes its parts as they come
 * (PRIVSEP_H_PARTS, revision 1.7): the helper reads each part as well as
 * copying it, so on a loaded machine it fell more than 2 ms behind the
 * ring in 9 of 12 payloads of 256 MiB, whose rest then went through
 * memory instead of the caches (about 15 % more CPU); waiting up to
 * 10 ms it did in none after each worker's first (bench/README.md,
 * "Bulk part by part, session 11"). */
#define CLIENT_RING_WAIT_FED_MS 10
/* A payload of CLIENT_EARLY_MIN to CLIENT_EARLY_MAX bytes, to a helper
 * that copied the last record out on another CPU, goes in two parts:
 * its first CLIENT_EARLY_FIRST bytes, sent before the rest is written,
 * so that the helper's wake-up (on this VM about 18 us from an idle CPU)
 * overlaps the worker's copy of the rest, as the socket copy's header
 * record does; then the rest, then the final record.  Below the range
 * the rest is copied in less time than the extra records cost; above
 * it the copy outlasts the wake-up and the helper would sleep again
 * between the parts; on the helper's own CPU each part would preempt
 * the worker (measured at 64 KiB and 1 MiB, the edges reasoned:
 * bench/README.md, "Bulk payloads, session 8"). */
#define CLIENT_EARLY_MIN ((size_t)32 << 10)
#define CLIENT_EARLY_MAX ((size_t)128 << 10)
#define CLIENT_EARLY_FIRST ((size_t)4 << 10)
/* Records read by one privsep_client_dispatch, at most. */
#define CLIENT_BATCH 64

/* The client whose event handler this thread is running, if any (the
 * innermost); self_reads tells for any client. */
static __thread const struct privsep_client *tl_event;

/* 1 if this thread holds c's reading role (runs one of its event
 * handlers, maybe with another client's handler nested in it).  mu held. */
static int self_reads(const struct privsep_client *c)
{
	return c->reading && pthread_equal(c->reader, pthread_self());
}

#define CLOG(c, lvl, ...) log_line((c)->log, (c)->log_arg, lvl, __VA_ARGS__)

struct privsep_client *privsep_client_new(int fd, const struct privsep_client_config *cfg)
{
	size_t msg_max = cfg && cfg->msg_max ? cfg->msg_max : PRIVSEP_MSG_MAX_DEFAULT;
	struct privsep_client *c;

	int bad = fd < 0 || msg_max < PRIVSEP_MSG_MAX_MIN || msg_max > PRIVSEP_MSG_MAX_LIMIT ||
	          (cfg && cfg->n && !cfg->table);
	/* the tables the helper would refuse (privsep_helper_new), refused
	 * here: a bad row, or a type in two rows */
	for (size_t i = 0; !bad && cfg && cfg->table && i < cfg->n; i++)
		bad = !row_valid(&cfg->table[i], msg_max - PRIVSEP_HDR_LEN) ||
		      table_row_find(cfg->table, i, cfg->table[i].type);
	if (bad) {
		if (fd >= 0)
			close(fd);
		errno = EINVAL;
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->rx = malloc(msg_max)) || !(c->batch = malloc(msg_max))) {
		if (c)
			free(c->rx);
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
	c->table = cfg ? cfg->table : NULL;
	c->n = c->table ? cfg->n : 0;
	outq_init(&c->q, cfg && cfg->queue_max ? cfg->queue_max : CLIENT_QUEUE_MAX);
	pthread_mutex_init(&c->smu, NULL);
	pthread_mutex_init(&c->mu, NULL);
	pthread_mutex_init(&c->rmu, NULL);
	region_tx_init(&c->region);
	{
		/* timed waits measure on the monotonic clock */
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&c->cv, &ca);
		pthread_condattr_destroy(&ca);
	}
	return c;
}

void privsep_client_free(struct privsep_client *c)
{
	if (!c)
		return;
	int saved = errno;
	/* posts queued or batched: what the socket takes now goes (never a
	 * wait), the rest is dropped, said in one line */
	if ((c->q.n || c->blen) && privsep_client_flush(c, 0) < 0)
		CLOG(c, PRIVSEP_LOG_ERR,
		     "worker: %zu messages queued were never sent (%s): dropped with the client",
		     c->q.n + (c->blen != 0), strerror(errno));
	close(c->fd);
	/* asynchronous calls still in flight are dropped, done not run */
	while (c->calls) {
		struct call_slot *s = c->calls;
		c->calls = s->next;
		if (s->async)
			free(s);
	}
	while (c->spare) {
		struct call_slot *s = c->spare;
		c->spare = s->next;
		free(s);
	}
	outq_clear(&c->q);
	region_tx_free(&c->region);
	pthread_mutex_destroy(&c->rmu);
	pthread_mutex_destroy(&c->smu);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->cv);
	free(c->rx);
	free(c->batch);
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
                       const struct wire_hdr *hdr)
{
	if (c->dead)
		return;
	__atomic_store_n(&c->dead, err, __ATOMIC_RELEASE);
	if (v != PRIVSEP_V_NONE) {
		if (hdr)
			CLOG(
			    c, PRIVSEP_LOG_ERR,
			    "worker: helper broke the protocol: %s (type 0x%x id %u len %u nfds %u); channel closed",
			    privsep_violation_name(v), hdr->type, hdr->id, hdr->len, hdr->nfds);
		else
			CLOG(c, PRIVSEP_LOG_ERR,
			     "worker: helper broke the protocol: %s; channel closed",
			     privsep_violation_name(v));
		/* SHUT_WR, the only shutdown a worker's policy allows (on a
		 * TCP listener SHUT_RD would close it for every holder): the
		 * helper reads the end, drops this worker and closes the
		 * channel, which wakes every thread still waiting on it */
		shutdown(c->fd, SHUT_WR);
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

/* A call's id: never 0, never one in flight.  Until next_id has gone
 * round, every id in flight was taken from it before, so is below it:
 * no walk is needed to know a new one is free.  mu held. */
static uint32_t id_new(struct privsep_client *c)
{
	for (;;) {
		uint32_t id = c->next_id++;
		if (c->next_id == 0)
			c->ids_wrapped = 1;
		if (id != 0 && !(c->ids_wrapped && id_in_use(c, id)))
			return id;
	}
}

/* Add s to the calls in flight, after the others.  mu held. */
static void slot_link(struct privsep_client *c, struct call_slot *s)
{
	s->next = NULL;
	s->prev = c->calls_tail;
	if (c->calls_tail)
		c->calls_tail->next = s;
	else
		c->calls = s;
	c->calls_tail = s;
	s->linked = 1;
}

static void slot_finish(struct call_slot *s, int rc, int error)
{
	s->rc = rc;
	s->error = error;
	s->done = 1;
}

/* msg_check's question for a REPLY, asked from deliver (mu held). */
struct reply_to {
	struct privsep_client *c;
	struct call_slot *s; /* the call the reply is for */
};

/* A reply may come for id: a call in progress and still unanswered. */
static int call_open(void *arg, uint32_t id)
{
	struct reply_to *r = arg;
	r->s = slot_find(r->c, id);
	return r->s != NULL;
}

/* Check one received REPLY and hand it to its slot.  mu held.  The
 * slot of an asynchronous call it answered, whose done is to run, or
 * NULL. */
static struct call_slot *deliver(struct privsep_client *c, struct msg *m)
{
	struct reply_to to = {c, NULL};
	struct msg_end e = {c->msg_max, PROTO_H2W, NULL, 0, 0, NULL, call_open, &to, NULL, NULL};
	enum msg_verdict mv = msg_check(m, &e);
	struct call_slot *s = to.s;
	uint32_t error = 0;
	const char *detail;
	const void *body;
	size_t dlen, blen;

	if (mv == MSG_OK || mv == MSG_FDLIMIT)
		m->viol = msg_reply(m, &error, &detail, &dlen, &body, &blen);
	if (m->viol != PRIVSEP_V_NONE) {
		client_die(c, EPROTO, m->viol, &m->hdr);
		return NULL;
	}
	if (!s->res) {
		slot_finish(s, -1, ECANCELED); /* cancelled: its fds closed by msg_release */
	} else if (error != 0) {
		memcpy(s->res->detail, detail, dlen + 1);
		slot_finish(s, (int)error, 0);
	} else if (mv == MSG_FDLIMIT) {
		slot_finish(s, -1, EMFILE);
	} else if (blen > s->res->cap) {
		slot_finish(s, -1, EMSGSIZE); /* its fds closed by msg_release */
	} else {
		if (blen)
			memcpy(s->res->data, body, blen);
		s->res->len = blen;
		/* the fds are the caller's now */
		memcpy(s->res->fds, m->req.fds, m->req.nfds * sizeof(int));
		s->res->nfds = m->req.nfds;
		for (size_t i = 0; i < m->req.nfds; i++)
			m->req.fds[i] = -1;
		slot_finish(s, 0, 0);
	}
	return s->async ? s : NULL;
}

/* Unlink s from the calls in flight.  mu held. */
static void slot_unlink(struct privsep_client *c, struct call_slot *s)
{
	if (!s->linked)
		return;
	if (s->prev)
		s->prev->next = s->next;
	else
		c->calls = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		c->calls_tail = s->prev;
	s->next = s->prev = NULL;
	s->linked = 0;
}

/* An asynchronous call's slot, unlinked, back to the spare ones.  mu
 * held. */
static void slot_put(struct privsep_client *c, struct call_slot *s)
{
	c->nasync--;
	s->next = c->spare;
	c->spare = s;
}

/* Run an answered (or failed) asynchronous call's done, as the reading
 * thread, like an event's handler: mu not held, this thread the reader.
 * 1 when done ran (a cancelled call's does not). */
static int async_done(struct privsep_client *c, struct call_slot *s)
{
	int error;
	if (!s->res || !s->fn)
		return 0;
	if (s->rc > 0) { /* the helper refused: its errno, its detail */
		s->res->refused = 1;
		error = s->rc;
	} else {
		error = s->rc < 0 ? s->error : 0;
	}
	if (error == 0 && s->check)
		error = s->check(s->res);
	{
		const struct privsep_client *outer = tl_event;
		tl_event = c;
		s->fn(s->res, error, s->arg);
		tl_event = outer;
	}
	return 1;
}

/* The client is dead: every asynchronous call in flight fails with its
 * error, done run.  mu held, this thread the reader (c->reading set by
 * the caller).  How many done ran.  (A call still being sent by another
 * thread is left for the next dispatch.) */
static int async_fail_all(struct privsep_client *c)
{
	int n = 0;
	for (;;) {
		struct call_slot *s = c->calls;
		while (s && !(s->async && s->sent))
			s = s->next;
		if (!s)
			return n;
		slot_unlink(c, s);
		if (!s->done)
			slot_finish(s, -1, c->dead);
		pthread_mutex_unlock(&c->mu);
		n += async_done(c, s);
		pthread_mutex_lock(&c->mu);
		slot_put(c, s);
	}
}

/* A record that is not a reply: check it as an event and run its
 * handler.  Runs without mu, as the reading thread.  1 when handled (or
 * dropped with a log line), -1 for a violation (m->viol). */
static int event(struct privsep_client *c, struct msg *m)
{
	struct msg_end e = {c->msg_max, PROTO_H2W, c->table, c->n, 0, NULL, NULL, NULL, NULL, NULL};
	const struct privsep_handler *row;
	int rc;

	switch (msg_check(m, &e)) {
	case MSG_VIOLATION:
		if (m->viol == PRIVSEP_V_BAD_BULK)
			CLOG(c, PRIVSEP_LOG_ERR, "worker: event %s: %s", m->row->name, m->why);
		return -1;
	case MSG_FDLIMIT:
		CLOG(
		    c, PRIVSEP_LOG_ERR,
		    "worker: event %s: its %u fds could not be received (worker at its fd limit); event dropped",
		    m->row->name, m->hdr.nfds);
		return 1;
	case MSG_UNMAPPED:
		CLOG(c, PRIVSEP_LOG_ERR, "worker: event %s: %s; event dropped", m->row->name,
		     m->why);
		return 1;
	case MSG_OK:
		break;
	}
	row = m->row;
	m->req.client = c;
	privsep_writer_init(&m->req.reply, NULL, 0);
	{
		const struct privsep_client *outer = tl_event;
		tl_event = c;
		rc = row->fn(&m->req, row->arg);
		tl_event = outer;
	}
	msg_release(m);
	if (rc == PRIVSEP_VIOLATION) {
		CLOG(c, PRIVSEP_LOG_ERR, "worker: event %s: %s", row->name,
		     m->req.detail[0] ? m->req.detail : "the handler rejected the payload");
		m->viol = PRIVSEP_V_BAD_PAYLOAD;
		return -1;
	}
	return 1;
}

/* Read one record as the reading thread; mu is released while blocked
 * and while an event's handler or an asynchronous call's done runs.  1
 * when an event was handled or a done ran; 0 otherwise (*again: nothing
 * to read, non-blocking). */
static int read_one(struct privsep_client *c, int nonblock, int *again)
{
	struct call_slot *as = NULL;
	struct msg m;
	enum chan_status st;
	int ev = 0, err;

	c->reading = 1;
	c->reader = pthread_self();
	pthread_mutex_unlock(&c->mu);
	st = msg_recv(c->fd, &m, c->rx, c->msg_max, nonblock);
	err = errno;
	/* not a reply: an event, checked and handled here, with no lock
	 * held */
	if ((st == CHAN_RECORD || st == CHAN_FDLIMIT) &&
	    msg_decode(&m, c->msg_max) == PRIVSEP_V_NONE && m.hdr.type != PRIVSEP_T_REPLY)
		ev = event(c, &m);
	pthread_mutex_lock(&c->mu);
	if (ev < 0)
		client_die(c, EPROTO, m.viol, &m.hdr);
	else if (ev == 0)
		switch (st) {
		case CHAN_RECORD:
		case CHAN_FDLIMIT:
			if (m.viol != PRIVSEP_V_NONE)
				client_die(c, EPROTO, m.viol, msg_hdr_known(&m) ? &m.hdr : NULL);
			else
				as = deliver(c, &m);
			break;
		case CHAN_VIOLATION:
			client_die(c, EPROTO, m.viol, NULL);
			break;
		case CHAN_EOF:
			client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
			break;
		case CHAN_AGAIN:
			*again = 1;
			break;
		case CHAN_ERROR:
			client_die(c, err == ECONNRESET ? EPIPE : err, PRIVSEP_V_NONE, NULL);
			break;
		}
	msg_release(&m);
	if (as) {
		/* an asynchronous call's reply: its done runs here, this
		 * thread still the reader, no lock held, as an event's
		 * handler */
		slot_unlink(c, as);
		pthread_mutex_unlock(&c->mu);
		ev = async_done(c, as);
		pthread_mutex_lock(&c->mu);
		slot_put(c, as);
	}
	c->reading = 0;
	if (c->waiters)
		pthread_cond_broadcast(&c->cv);
	return ev > 0;
}

/* The arguments, and an application type's record against the client's
 * table (kind PRIVSEP_H_CALL or PRIVSEP_H_POST): what the helper would
 * kill the worker for is a local error, nothing is sent.  0, or -1 with
 * errno and, when the table refuses it, the rule in why. */
static int check_args(const struct privsep_client *c, unsigned kind, uint32_t type, const void *p,
                      size_t len, const int *fds, size_t nfds, const struct privsep_bulk *bulk,
                      char *why, size_t whylen)
{
	size_t fixed = bulk ? BULK_FIXED : 0;
	const struct privsep_handler *r;
	why[0] = '\0';
	if (type == 0 || (len && !p) || (nfds && !fds) || nfds + !!bulk > PRIVSEP_MAX_FDS ||
	    (bulk && bulk->len && !bulk->data)) {
		errno = EINVAL;
		return -1;
	}
	if (len + fixed > c->msg_max - PRIVSEP_HDR_LEN) {
		errno = EMSGSIZE;
		return -1;
	}
	if (type < PRIVSEP_TYPE_APP_MIN || !c->table)
		return 0; /* the framework's own, or no table to check against */
	r = table_row_find(c->table, c->n, type);
	if (!r) {
		snprintf(why, whylen, "type 0x%x is not in the client's table", (unsigned)type);
		errno = EINVAL;
		return -1;
	}
	return row_admits(r, kind, len, nfds, !!bulk, bulk ? bulk->len : 0, why, whylen);
}

/* Wait until the socket has room or until (ms, -1: forever) passes,
 * with smu released meanwhile: a thread that waits to send never keeps
 * another from queueing (an event handler's post, for one).  smu held on
 * entry and return.  0, or -1 with errno (EAGAIN: the time ran out). */
static int wait_room(struct privsep_client *c, int64_t until)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
	int left = -1, rc, err;
	if (until >= 0) {
		int64_t now = clock_now_ms();
		if (now >= until) {
			errno = EAGAIN;
			return -1;
		}
		left = (int)(until - now);
	}
	pthread_mutex_unlock(&c->smu);
	rc = poll(&pfd, 1, left);
	err = errno;
	pthread_mutex_lock(&c->smu);
	if (rc < 0 && err != EINTR) {
		errno = err;
		return -1;
	}
	return 0;
}

/* Send everything queued, waiting up to timeout_ms (-1 forever) for
 * room.  smu held.  0 when the queue is empty; -1 with errno (EAGAIN:
 * the time ran out). */
static int flush_wait(struct privsep_client *c, int timeout_ms)
{
	int64_t until = timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
	for (;;) {
		int rc = outq_flush(&c->q, c->fd);
		if (rc == 1)
			return 0;
		if (rc < 0) {
			if (errno == ECONNRESET)
				errno = EPIPE;
			return -1;
		}
		if (wait_room(c, until) < 0)
			return -1;
	}
}

/* Send the batch, if any: now, or queued after what is queued (the
 * queue's bound reached: nowait, EAGAIN; else wait for the queue to
 * drain, smu released meanwhile, so that other threads add to the batch
 * that goes).  smu held.  0, or -1 with errno. */
static int batch_flush(struct privsep_client *c, int nowait)
{
	while (c->blen) {
		struct msg_out o = {PRIVSEP_T_BATCH, 0, c->batch, c->blen, NULL, 0, -1, 0, NULL};
		enum msg_sent s = msg_send(c->fd, &c->q, &o, 0);
		if (s == MSG_SENT || s == MSG_QUEUED) {
			c->blen = 0;
			return 0;
		}
		if (s == MSG_BROKEN) {
			if (errno == ECONNRESET)
				errno = EPIPE;
			return -1;
		}
		if (nowait || errno != EAGAIN || flush_wait(c, -1) < 0)
			return -1;
	}
	return 0;
}

/* Add a one-way message to the batch (sent first when it would not fit).
 * 0, or -1 with errno. */
static int batch_add(struct privsep_client *c, uint32_t type, const void *data, size_t len,
                     int nowait)
{
	size_t room = c->msg_max - PRIVSEP_HDR_LEN;
	int rc = 0;
	if (PROTO_BATCH_ENTRY + len > room) {
		errno = EMSGSIZE;
		return -1;
	}
	pthread_mutex_lock(&c->smu);
	if (c->blen + PROTO_BATCH_ENTRY + len > room)
		rc = batch_flush(c, nowait);
	if (rc == 0) {
		uint8_t *p = c->batch + c->blen;
		for (int i = 0; i < 4; i++) { /* u32 type, u32 len, little-endian */
			p[i] = (uint8_t)(type >> (8 * i));
			p[4 + i] = (uint8_t)((uint32_t)len >> (8 * i));
		}
		if (len)
			memcpy(p + PROTO_BATCH_ENTRY, data, len);
		c->blen += PROTO_BATCH_ENTRY + len;
	}
	pthread_mutex_unlock(&c->smu);
	return rc;
}

/* Send o (msg_send, how its flags), after whatever is queued.  nowait:
 * queue it when the socket is full (EAGAIN when the queue is full); else
 * wait for room, smu released while waiting.  o->bulkfd is taken (not
 * with MSG_SEND_BORROW_BULK).  0, or -1 with
 * errno. */
static int send_out(struct privsep_client *c, const struct msg_out *o, int nowait, unsigned how)
{
	int rc = -1, taken = 0;

	pthread_mutex_lock(&c->smu);
	/* a payload of its type going in parts: this record would be sent
	 * (or queued) between them.  Read under smu: the parts' sender
	 * stores it before it sends its first part, clears it once its final
	 * record is sent */
	if (o->bulkfd >= 0 && !(how & MSG_SEND_BORROW_BULK) &&
	    o->type == __atomic_load_n(&c->feeding, __ATOMIC_SEQ_CST)) {
		errno = EBUSY;
		goto out;
	}
	/* the posts batched before it go first */
	if (c->blen && batch_flush(c, nowait) < 0)
		goto out;
	for (;;) {
		if (c->q.n && outq_flush(&c->q, c->fd) < 0)
			break;
		if (!c->q.n && !nowait) {
			/* nothing queued before it: a plain blocking send, with
			 * the lock released so that no other sender waits on it
			 * (and not taken again after it: o is sent, whatever the
			 * queue holds now was queued after it) */
			pthread_mutex_unlock(&c->smu);
			rc = msg_send(c->fd, NULL, o, how) == MSG_SENT ? 0 : -1;
			if (rc < 0 && errno == ECONNRESET)
				errno = EPIPE;
			return rc;
		}
		if (!c->q.n || nowait) {
			rc = msg_send(c->fd, &c->q, o, how) >= 0 ? 0 : -1;
			taken = 1;
			break;
		}
		if (wait_room(c, -1) < 0)
			break;
	}
out:
	pthread_mutex_unlock(&c->smu);
	if (!taken && o->bulkfd >= 0 && !(how & MSG_SEND_BORROW_BULK)) {
		int saved = errno;
		close(o->bulkfd);
		errno = saved;
	}
	if (rc < 0 && errno == ECONNRESET)
		errno = EPIPE;
	return rc;
}

/* A bulk payload on its way: the fd to send and its u64 size. */
struct bulk_out {
	int fd;        /* -1: no bulk */
	uint64_t size; /* with REGION_FLAG for the region form */
	int region;    /* rmu held: the region's payload, until bulk_sent */
};

static int client_dead(void *arg)
{
	const struct privsep_client *c = arg;
	return __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE) != 0;
}

/* The type to name in a payload's parts (revision 1.7): type itself when
 * the table says the helper takes it part by part (PRIVSEP_H_PARTS); 0
 * (parts that name none, which such a helper takes whole) when it does
 * not or the client has no table. */
static uint32_t parts_type(const struct privsep_client *c, uint32_t type)
{
	const struct privsep_handler *r = c->table ? table_row_find(c->table, c->n, type) : NULL;
	return r && (r->flags & PRIVSEP_H_PARTS) ? type : 0;
}

/* bulk in parts through the region (rmu held), before its final record:
 * the region made ready for the whole payload (every earlier record of
 * it copied out), then each part written at its own offset and sent as a
 * REGION_PART, with the region's fd while the helper is not known to hold
 * it.  0; -1 with errno; -2 with errno when no region could be made
 * (nothing was sent). */
static int send_parts(struct privsep_client *c, const struct privsep_bulk *bulk, int early,
                      uint32_t type)
{
	const uint8_t *src = bulk->data;
	size_t n;

	if (region_tx_room(&c->region, bulk->len, CLIENT_REGION_WAIT_MS, client_dead, c) < 0)
		return errno == EPIPE ? -1 : -2;
	for (size_t off = 0; off < bulk->len; off += n) {
		uint8_t pl[REGION_PART_TYPED_LEN];
		struct privsep_writer w;
		size_t at;
		int fd;
		if (early) {
			/* the first piece, then the rest: each at its own place */
			n = off ? bulk->len - off : CLIENT_EARLY_FIRST;
			at = off;
		} else {
			n = bulk->len - off < REGION_SLOT ? bulk->len - off : REGION_SLOT;
			/* the helper is behind (or in this thread): the rest at once */
			if (region_tx_unacked(&c->region) >= CLIENT_PARTS_AHEAD)
				n = bulk->len - off;
			at = region_tx_at(&c->region, off, REGION_SLOT, n,
			                  type ? CLIENT_RING_WAIT_FED_MS : CLIENT_RING_WAIT_MS,
			                  client_dead, c);
		}
		fd = region_tx_part(&c->region, at, src + off, n);
		privsep_writer_init(&w, pl, sizeof(pl));
		privsep_writer_put_u64(&w, bulk->len);
		privsep_writer_put_u64(&w, off);
		privsep_writer_put_u64(&w, at);
		privsep_writer_put_u64(&w, n);
		if (type)
			privsep_writer_put_u32(&w, type);
		{
			struct msg_out o = {PRIVSEP_T_REGION_PART,
			                    0,
			                    pl,
			                    w.len,
			                    fd >= 0 ? &fd : NULL,
			                    fd >= 0,
			                    -1,
			                    0,
			                    NULL};
			if (send_out(c, &o, 0, 0) < 0) {
				region_tx_unsend(&c->region);
				return -1;
			}
		}
	}
	return 0;
}

/* Whether a payload of len bytes goes in early parts (CLIENT_EARLY_MIN):
 * the helper holds the region (no fd to send with the parts) and copied
 * its last record out on a CPU other than this thread's.  rmu held. */
static int early_parts(const struct privsep_client *c, size_t len)
{
	int hcpu;
	if (len < CLIENT_EARLY_MIN || len > CLIENT_EARLY_MAX || !c->region.known)
		return 0;
	hcpu = region_tx_helper_cpu(&c->region);
	return hcpu >= 0 && hcpu != sched_getcpu();
}

/* The fd for bulk (none asked: -1): the worker's region, reused (waiting,
 * unless nowait, for the helper to have copied out the payload before),
 * or a sealed memfd when the region is busy or cannot be made.  0, or -1
 * with errno. */
static int make_bulk(struct privsep_client *c, const struct privsep_out *out, int nowait,
                     struct bulk_out *b)
{
	const struct privsep_bulk *bulk = out->bulk;
	b->fd = -1;
	b->size = 0;
	b->region = 0;
	if (!bulk)
		return 0;
	/* a payload of the region still queued here would never be copied
	 * out while this one waits for it: what is queued goes first */
	if (!nowait) {
		pthread_mutex_lock(&c->smu);
		if (c->q.n && flush_wait(c, -1) < 0) {
			int err = errno;
			pthread_mutex_unlock(&c->smu);
			errno = err;
			return -1;
		}
		pthread_mutex_unlock(&c->smu);
	}
	if (nowait ? pthread_mutex_trylock(&c->rmu) == 0 : pthread_mutex_lock(&c->rmu) == 0) {
		/* a large payload in parts: never in an event handler (its
		 * call fails, and the parts would have no final record) */
		int early = early_parts(c, bulk->len);
		if (!nowait && (early || bulk->len >= REGION_PARTS_MIN) && !tl_event) {
			uint32_t type = parts_type(c, out->type);
			int rc;
			__atomic_store_n(&c->feeding, type, __ATOMIC_SEQ_CST);
			rc = send_parts(c, bulk, early, type);
			if (rc == 0) {
				region_tx_final(&c->region, bulk->len, &b->size);
				b->fd = MSG_BULK_NOFD;
				b->region = 1;
				return 0;
			}
			__atomic_store_n(&c->feeding, 0, __ATOMIC_SEQ_CST);
			pthread_mutex_unlock(&c->rmu);
			if (rc == -1)
				return -1;
			goto sealed; /* no region could be made */
		}
		b->fd = region_tx_put(&c->region, bulk->data, bulk->len,
		                      nowait ? 0 : CLIENT_REGION_WAIT_MS, client_dead, c, &b->size);
		if (b->fd != -1) {
			b->region = 1;
			return 0;
		}
		pthread_mutex_unlock(&c->rmu);
		if (errno == EPIPE)
			return -1;
	}
sealed:
	b->fd = bulk_make(bulk->data, bulk->len);
	b->size = bulk->len;
	return b->fd < 0 ? -1 : 0;
}

/* The record with b's payload was sent (rc 0) or not. */
static void bulk_sent(struct privsep_client *c, struct bulk_out *b, int rc)
{
	if (!b->region)
		return;
	if (rc < 0)
		region_tx_unsend(&c->region);
	__atomic_store_n(&c->feeding, 0, __ATOMIC_SEQ_CST); /* its final record is sent */
	pthread_mutex_unlock(&c->rmu);
	b->region = 0;
}

/* b's payload will not be sent after all. */
static void bulk_drop(struct privsep_client *c, struct bulk_out *b)
{
	if (b->region)
		bulk_sent(c, b, -1);
	else if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

/* A call's start, sync or async: res reads "nothing yet" (no fds, no
 * detail), then out is checked against the limits; -1 with errno (and
 * res->detail) when it cannot be sent. Inline: the sync path pays no call. */
static inline int call_check(const struct privsep_client *c, const struct privsep_out *out,
                             struct privsep_result *res)
{
	res->len = 0;
	res->nfds = 0;
	for (size_t i = 0; i < PRIVSEP_MAX_FDS; i++)
		res->fds[i] = -1;
	res->refused = 0;
	res->detail[0] = '\0';
	if (!out || out->flags || (res->cap && !res->data)) {
		errno = EINVAL;
		return -1;
	}
	if (check_args(c, PRIVSEP_H_CALL, out->type, out->data, out->len, out->fds, out->nfds,
	               out->bulk, res->detail, sizeof(res->detail)) < 0)
		return -1;
	return 0;
}

int privsep_client_call(struct privsep_client *c, const struct privsep_out *out,
                        struct privsep_result *res)
{
	struct call_slot s = {0};
	struct bulk_out bo;
	int rc, err;

	if (!res) {
		errno = EINVAL;
		return -1;
	}
	if (call_check(c, out, res) < 0)
		return -1;
	if (make_bulk(c, out, 0, &bo) < 0)
		return -1;
	/* one locked section checks and registers the call (a call takes the
	 * lock twice: here, and to wait for its reply) */
	pthread_mutex_lock(&c->mu);
	/* in an event handler of c (or of another client, called from one of
	 * c's): its reply would have to be read by this very thread */
	if (self_reads(c) || c->dead) {
		err = self_reads(c) ? EDEADLK : c->dead;
		pthread_mutex_unlock(&c->mu);
		bulk_drop(c, &bo);
		errno = err;
		return -1;
	}
	s.id = id_new(c);
	s.res = res;
	/* the slot lives on this stack: it is unlinked below before return */
	slot_link(c, &s);
	pthread_mutex_unlock(&c->mu);

	{
		struct msg_out o = {out->type, s.id,  out->data, out->len, out->fds,
		                    out->nfds, bo.fd, bo.size,   NULL};
		rc = send_out(c, &o, 0, bo.region ? MSG_SEND_BORROW_BULK : 0);
		err = errno;
		bulk_sent(c, &bo, rc);
	}

	pthread_mutex_lock(&c->mu);
	if (rc < 0) {
		if (err == EPIPE)
			client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
		slot_finish(&s, -1, err);
	}
	while (!s.done && !c->dead) {
		if (c->reading) {
			c->waiters++;
			pthread_cond_wait(&c->cv, &c->mu);
			c->waiters--;
		} else {
			int again = 0;
			read_one(c, 0, &again);
		}
	}
	if (!s.done)
		slot_finish(&s, -1, c->dead);
	slot_unlink(c, &s);
	pthread_mutex_unlock(&c->mu);
	if (s.rc > 0) { /* the helper refused: its errno, its detail */
		res->refused = 1;
		errno = s.rc;
		return -1;
	}
	if (s.rc < 0)
		errno = s.error;
	return s.rc;
}

int client_call_async(struct privsep_client *c, const struct privsep_out *out,
                      struct privsep_result *res, client_check_fn check, privsep_done_fn done,
                      void *arg, uint32_t *id)
{
	struct call_slot *s;
	struct bulk_out bo;
	uint32_t myid;
	int rc, err;

	if (!res || !done) {
		errno = EINVAL;
		return -1;
	}
	if (call_check(c, out, res) < 0)
		return -1;
	pthread_mutex_lock(&c->mu);
	if (c->dead) {
		err = c->dead;
		pthread_mutex_unlock(&c->mu);
		errno = err;
		return -1;
	}
	s = c->spare;
	if (s) {
		c->spare = s->next;
	} else if (!(s = malloc(sizeof(*s)))) {
		pthread_mutex_unlock(&c->mu);
		errno = ENOMEM;
		return -1;
	}
	memset(s, 0, sizeof(*s));
	s->id = id_new(c);
	s->res = res;
	s->async = 1;
	s->fn = done;
	s->arg = arg;
	s->check = check;
	slot_link(c, s);
	c->nasync++;
	myid = s->id;
	pthread_mutex_unlock(&c->mu);
	/* from the send on, the reply may be read, done run and s reused by
	 * another thread's call before this one looks at s again */
	if (id)
		*id = myid;

	/* never waits: a reply may have to be read before the helper reads
	 * more of what this worker sends (docs/PROTOCOL.md section 9) */
	rc = make_bulk(c, out, 1, &bo);
	if (rc == 0) {
		struct msg_out o = {out->type, s->id, out->data, out->len, out->fds,
		                    out->nfds, bo.fd, bo.size,   NULL};
		rc = send_out(c, &o, 1, bo.region ? MSG_SEND_BORROW_BULK : 0);
		err = errno;
		bulk_sent(c, &bo, rc);
	} else {
		err = errno;
	}
	if (rc == 0) {
		pthread_mutex_lock(&c->mu);
		/* still this call's slot (not answered and reused since: slots
		 * are freed only with the client) */
		if (s->linked && s->id == myid)
			s->sent = 1;
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	/* not sent: the call never was, done will not run */
	pthread_mutex_lock(&c->mu);
	if (err == EPIPE)
		client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
	slot_unlink(c, s);
	slot_put(c, s);
	pthread_mutex_unlock(&c->mu);
	errno = err;
	return -1;
}

int privsep_client_call_async(struct privsep_client *c, const struct privsep_out *out,
                              struct privsep_result *res, privsep_done_fn done, void *arg,
                              uint32_t *id)
{
	return client_call_async(c, out, res, NULL, done, arg, id);
}

int privsep_client_cancel(struct privsep_client *c, uint32_t id)
{
	struct call_slot *s;
	pthread_mutex_lock(&c->mu);
	s = slot_find(c, id);
	if (!s || !s->async || !s->res) {
		pthread_mutex_unlock(&c->mu);
		errno = ENOENT;
		return -1;
	}
	/* kept until its reply comes: a reply to no call is a violation */
	s->res = NULL;
	pthread_mutex_unlock(&c->mu);
	return 0;
}

int privsep_client_post(struct privsep_client *c, const struct privsep_out *out)
{
	int dead, rc, nowait;
	struct bulk_out bo;
	char why[PRIVSEP_DETAIL_MAX];
	unsigned flags;
	if (!out || (out->flags != PRIVSEP_POST_WAIT && out->flags != PRIVSEP_POST_NOWAIT &&
	             out->flags != PRIVSEP_POST_BATCH)) {
		errno = EINVAL;
		return -1;
	}
	/* a batch carries an application's one-way messages, no fd, no bulk */
	if (out->flags == PRIVSEP_POST_BATCH &&
	    (out->type < PRIVSEP_TYPE_APP_MIN || out->nfds || out->bulk)) {
		CLOG(
		    c, PRIVSEP_LOG_ERR,
		    "post not sent: a batch carries application types only, with no fd and no bulk");
		errno = EINVAL;
		return -1;
	}
	flags = out->flags;
	/* the row of the type batched last: its length is all that can differ */
	if (flags == PRIVSEP_POST_BATCH && c->table) {
		const struct privsep_handler *r = __atomic_load_n(&c->brow, __ATOMIC_RELAXED);
		if (r && r->type == out->type && out->len >= r->min_len && out->len <= r->max_len &&
		    (!out->len || out->data))
			goto checked;
	}
	if (check_args(c, PRIVSEP_H_POST, out->type, out->data, out->len, out->fds, out->nfds,
	               out->bulk, why, sizeof(why)) < 0) {
		if (why[0]) /* a post has no result to carry the rule: one line */
			CLOG(c, PRIVSEP_LOG_ERR, "post not sent: %s", why);
		return -1;
	}
	if (flags == PRIVSEP_POST_BATCH && c->table)
		__atomic_store_n(&c->brow, table_row_find(c->table, c->n, out->type),
		                 __ATOMIC_RELAXED);
checked:
	/* a handler that waited could wait for itself (docs/PROTOCOL.md) */
	nowait = flags == PRIVSEP_POST_NOWAIT;
	if (tl_event && !nowait) {
		pthread_mutex_lock(&c->mu);
		if (self_reads(c))
			nowait = 1;
		pthread_mutex_unlock(&c->mu);
	}
	/* stored atomically by client_die: no lock on every post */
	dead = __atomic_load_n(&c->dead, __ATOMIC_ACQUIRE);
	if (dead) {
		errno = dead;
		return -1;
	}
	if (flags == PRIVSEP_POST_BATCH) {
		rc = batch_add(c, out->type, out->data, out->len, nowait);
		if (rc < 0 && errno == EPIPE) {
			pthread_mutex_lock(&c->mu);
			client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
			pthread_mutex_unlock(&c->mu);
		}
		return rc;
	}
	if (!out->bulk) {
		/* no bulk payload (the common post): nothing to make or to
		 * account for after the send (issue 17: the post's own
		 * instructions, bench/README.md "Throughput", session 6) */
		struct msg_out o = {out->type, 0,  out->data, out->len, out->fds,
		                    out->nfds, -1, 0,         NULL};
		rc = send_out(c, &o, nowait, 0);
	} else {
		struct msg_out o;
		int err;
		if (make_bulk(c, out, nowait, &bo) < 0)
			return -1;
		o = (struct msg_out){out->type, 0,     out->data, out->len, out->fds,
		                     out->nfds, bo.fd, bo.size,   NULL};
		rc = send_out(c, &o, nowait, bo.region ? MSG_SEND_BORROW_BULK : 0);
		err = errno;
		bulk_sent(c, &bo, rc);
		errno = err;
	}
	if (rc < 0 && errno == EPIPE) {
		pthread_mutex_lock(&c->mu);
		client_die(c, EPIPE, PRIVSEP_V_NONE, NULL);
		pthread_mutex_unlock(&c->mu);
	}
	return rc;
}

int privsep_client_flush(struct privsep_client *c, int timeout_ms)
{
	int rc;
	pthread_mutex_lock(&c->smu);
	/* the batch, queued if need be, then the queue */
	rc = batch_flush(c, 1);
	if (rc < 0 && errno == EAGAIN) {
		rc = flush_wait(c, timeout_ms);
		if (rc == 0)
			rc = batch_flush(c, 1);
	}
	if (rc == 0)
		rc = flush_wait(c, timeout_ms);
	pthread_mutex_unlock(&c->smu);
	return rc;
}

size_t privsep_client_queued(struct privsep_client *c)
{
	size_t n;
	pthread_mutex_lock(&c->smu);
	n = c->q.n + (c->blen != 0); /* a batch not sent yet is one record */
	pthread_mutex_unlock(&c->smu);
	return n;
}

/* The client is dead: the asynchronous calls in flight end (EPIPE,
 * EPROTO), their done run by this thread as the reader, unless another
 * thread reads.  mu held.  How many done ran. */
static int dead_calls_end(struct privsep_client *c)
{
	int n;
	if (!c->nasync || c->reading)
		return 0;
	c->reading = 1;
	c->reader = pthread_self();
	n = async_fail_all(c);
	c->reading = 0;
	if (c->waiters)
		pthread_cond_broadcast(&c->cv);
	return n;
}

int privsep_client_dispatch(struct privsep_client *c, int timeout_ms)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	int64_t until = timeout_ms < 0 ? -1 : clock_now_ms() + timeout_ms;
	int handled = 0, dead;

	pthread_mutex_lock(&c->mu);
	if (self_reads(c)) {
		/* called from one of c's event handlers: this thread is the
		 * reader already, and the loop around the handler goes on */
		pthread_mutex_unlock(&c->mu);
		return 0;
	}
	if (c->dead) {
		handled = dead_calls_end(c);
		dead = c->dead;
		pthread_mutex_unlock(&c->mu);
		if (!handled) {
			errno = dead;
			return -1;
		}
		return handled;
	}
	pthread_mutex_unlock(&c->mu);
	pthread_mutex_lock(&c->smu);
	if ((c->blen && batch_flush(c, 1) < 0 && errno != EAGAIN) ||
	    (c->q.n && outq_flush(&c->q, c->fd) < 0)) {
		int err = errno == ECONNRESET ? EPIPE : errno;
		pthread_mutex_unlock(&c->smu);
		errno = err;
		return -1;
	}
	if (c->q.n)
		pfd.events |= POLLOUT;
	pthread_mutex_unlock(&c->smu);
	if (timeout_ms == 0) {
		/* nothing to wait for: read at once (a record or EAGAIN), not
		 * poll first: an event loop calls this when its epoll said the
		 * socket is readable, and the poll was a system call per
		 * dispatch that told it again (examples/httpd: 0.5 a request) */
		pfd.revents = POLLIN;
	} else if (poll(&pfd, 1, timeout_ms) < 0) {
		if (errno == EINTR)
			return 0;
		return -1;
	}
	if (pfd.revents & POLLOUT) {
		pthread_mutex_lock(&c->smu);
		(void)outq_flush(&c->q, c->fd); /* an error shows at the next read */
		pthread_mutex_unlock(&c->smu);
	}
	pthread_mutex_lock(&c->mu);
	if (c->reading && (pfd.revents & (POLLIN | POLLHUP | POLLERR))) {
		/* another thread reads and runs the handlers: wait for its turn
		 * to end, within what is left of the time, rather than spin on
		 * a readable socket */
		int64_t now = clock_now_ms();
		c->waiters++;
		if (until < 0) {
			pthread_cond_wait(&c->cv, &c->mu);
		} else if (now < until) {
			struct timespec ts;
			int64_t left = until - now;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)(left / 1000);
			ts.tv_nsec += (long)(left % 1000) * 1000000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
		}
		c->waiters--;
	}
	if (!c->reading && !c->dead && (pfd.revents & (POLLIN | POLLHUP | POLLERR)))
		for (int i = 0; i < CLIENT_BATCH && !c->dead && !c->reading; i++) {
			int again = 0;
			handled += read_one(c, 1, &again);
			if (again)
				break;
		}
	if (c->dead)
		handled += dead_calls_end(c);
	dead = c->dead;
	pthread_mutex_unlock(&c->mu);
	if (dead && !handled) {
		errno = dead;
		return -1;
	}
	return handled;
}

int privsep_client_drop_permits(struct privsep_client *c, const uint32_t *types, size_t n,
                                struct privsep_result *res)
{
	uint8_t buf[4 + 4 * PROTO_PERMIT_DROP_MAX];
	struct privsep_writer w;
	struct privsep_result own = {0};

	if (!res)
		res = &own;
	if (n == 0 || n > PROTO_PERMIT_DROP_MAX || !types) {
		res->refused = 0;
		snprintf(res->detail, sizeof(res->detail), "a permit drop lists 1 to %u types",
		         (unsigned)PROTO_PERMIT_DROP_MAX);
		errno = EINVAL;
		return -1;
	}
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, (uint32_t)n);
	for (size_t i = 0; i < n; i++)
		privsep_writer_put_u32(&w, types[i]);
	return privsep_client_call(
	    c, &(struct privsep_out){.type = PRIVSEP_T_PERMIT_DROP, .data = buf, .len = w.len},
	    res);
}

int privsep_client_ping(struct privsep_client *c, const void *data, size_t len,
                        struct privsep_result *res)
{
	return privsep_client_call(
	    c, &(struct privsep_out){.type = PRIVSEP_T_PING, .data = data, .len = len}, res);
}
