/* SPDX-License-Identifier: ISC */
/*
 * helper.c - the helper's event loop and dispatch.
 *
 * Every record from a worker goes through the same checks, in the order
 * docs/PROTOCOL.md lists them, made once by the message layer (msg.c, as
 * the client's are): socket level, header, then the handler table (type
 * known, direction, permitted now, id, size, fd count) and the bulk.
 * Only then does a handler run.  Any failed check is a violation: one
 * log line, the worker is killed, the others are served.  The message
 * owns what the record carried; dispatch releases it on every path.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bulk.h"
#include "chan.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "uidpool.h"
#include "msg.h"
#include "proto.h"
#include "rows.h"
#include "fs.h"
#include "wire.h"

/* Records served from one worker per wake-up, so that one busy worker
 * cannot starve the others. */
#define HELPER_BATCH ((int)PROTO_TURN_RECORDS)
/* Defaults of the helper's configuration. */
#define HELPER_QUEUE_MAX PROTO_QUEUE_MAX_DEFAULT
#define HELPER_LOG_RATE 100
#define HELPER_LOG_BURST 200
#define HELPER_LOG_LINE_MAX 1024
#define HELPER_LOG_LINE_LIMIT 4000
#define HELPER_LOG_BYTE_RATE 65536
#define HELPER_LOG_BYTE_BURST 262144
/* What the helper's standard error keeps while it is not writable. */
#define HELPER_ERR_BUF 65536

#define HLOG(h, lvl, ...) log_line((h)->log, (h)->log_arg, lvl, __VA_ARGS__)

/* ---- the table ---- */

static int row_cmp(const void *a, const void *b)
{
	const struct privsep_handler *x = a, *y = b;
	return x->type < y->type ? -1 : x->type > y->type;
}

static int fw_ping(struct privsep_req *req, void *arg);
static int fw_permit_drop(struct privsep_req *req, void *arg);
static int fw_batch(struct privsep_req *req, void *arg);
static int fw_region_part(struct privsep_req *req, void *arg);

/* The framework's handlers, indexed by proto.h's enum proto_fw: proto.c's
 * rows name them, the helper owns them (proto calls nothing above it).
 * A worker-to-helper row without one here is refused by
 * privsep_helper_new, so a type added to proto.c and forgotten here stops
 * every helper (and every test) from starting: it never falls through to
 * another type's handler. */
static const privsep_handler_fn fw_fns[] = {
    [PROTO_FW_NONE] = NULL,
    [PROTO_FW_PING] = fw_ping,
    [PROTO_FW_PERMIT_DROP] = fw_permit_drop,
    [PROTO_FW_SANDBOX_FAILED] = exit_fw_sandbox_failed,
    [PROTO_FW_SECCOMP_TRAP] = exit_fw_seccomp_trap,
    [PROTO_FW_READY] = exit_fw_ready,
    [PROTO_FW_SECCOMP_LISTENER] = unotify_fw_listener,
    [PROTO_FW_FS_OPEN] = fs_h_open,
    [PROTO_FW_FS_STAT] = fs_h_stat,
    [PROTO_FW_FS_READLINK] = fs_h_readlink,
    [PROTO_FW_FS_ACCESS] = fs_h_access,
    [PROTO_FW_BATCH] = fw_batch,
    [PROTO_FW_REGION_PART] = fw_region_part,
};
_Static_assert(sizeof(fw_fns) / sizeof(fw_fns[0]) == PROTO_FW_COUNT,
               "a framework handler for every enum proto_fw");

privsep_handler_fn helper_fw_fn(enum proto_fw id)
{
	return (unsigned)id < PROTO_FW_COUNT ? fw_fns[id] : NULL;
}

static uint32_t resolve_len(uint32_t v, size_t payload_max)
{
	if (v == PROTO_LEN_RECORD)
		return (uint32_t)payload_max;
	if (v == PROTO_LEN_RECORD - PROTO_REPLY_FIXED)
		return (uint32_t)(payload_max - PROTO_REPLY_FIXED);
	return v;
}

/* A helper started with fd 0, 1 or 2 closed would get its own fds there
 * (the epoll fd, a worker's channel), and a child keeps 0..2: fill them
 * with /dev/null first.  -1 if that fails. */
static int stdio_filled(void)
{
	for (;;) {
		int fd = open("/dev/null", O_RDWR);
		if (fd < 0)
			return fcntl(STDERR_FILENO, F_GETFD) < 0 ? -1 : 0;
		if (fd > STDERR_FILENO) {
			close(fd);
			return 0;
		}
	}
}

struct privsep_helper *privsep_helper_new(const struct privsep_handler *table, size_t n,
                                          const struct privsep_helper_config *cfg)
{
	size_t msg_max = cfg && cfg->msg_max ? cfg->msg_max : PRIVSEP_MSG_MAX_DEFAULT;
	size_t payload_max;
	struct privsep_helper *h;
	size_t nfw = 0;

	if (msg_max < PRIVSEP_MSG_MAX_MIN || msg_max > PRIVSEP_MSG_MAX_LIMIT || (n && !table)) {
		errno = EINVAL;
		return NULL;
	}
	if (stdio_filled() < 0)
		return NULL;
	payload_max = msg_max - PRIVSEP_HDR_LEN;
	for (size_t i = 0; i < n; i++)
		if (!row_valid(&table[i], payload_max)) {
			errno = EINVAL;
			return NULL;
		}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->epfd = -1;
	h->watchfd = -1;
	h->spawner.sock = h->spawner.pidfd = h->spawner.epfd = -1;
	h->spawner.gone.sock = h->spawner.gone.pidfd = h->spawner.gone.epfd = -1;
	h->rxb.kickfd = -1;
	h->msg_max = msg_max;
	h->rows = calloc(n + proto_nmsgs, sizeof(*h->rows));
	h->rx = malloc(msg_max);
	h->tx = malloc(msg_max);
	if (!h->rows || !h->rx || !h->tx)
		goto fail;
	for (size_t i = 0; i < proto_nmsgs; i++) {
		const struct proto_msg *m = &proto_msgs[i];
		struct privsep_handler *r;
		if (m->dir != PROTO_W2H)
			continue;
		r = &h->rows[nfw++];
		r->type = m->type;
		r->name = m->name;
		r->min_len = resolve_len(m->min_len, payload_max);
		r->max_len = resolve_len(m->max_len, payload_max);
		r->min_fds = m->min_fds;
		r->max_fds = m->max_fds;
		r->flags = m->flags;
		r->fn = helper_fw_fn(m->fw);
		if (!r->fn) {
			errno = ENOSYS; /* a framework type without its handler */
			goto fail;
		}
		/* a limit smaller than the type allows: the record limit binds */
		if (r->max_len > payload_max)
			r->max_len = (uint32_t)payload_max;
		if (r->min_len > r->max_len)
			r->min_len = r->max_len;
		r->arg = h;
	}
	if (n)
		memcpy(h->rows + nfw, table, n * sizeof(*table));
	h->nrows = nfw + n;
	qsort(h->rows, h->nrows, sizeof(*h->rows), row_cmp);
	for (size_t i = 1; i < h->nrows; i++)
		if (h->rows[i].type == h->rows[i - 1].type) {
			errno = EINVAL;
			goto fail;
		}
	h->sigfd = -1;
	sigemptyset(&h->sigset);
	h->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epfd < 0)
		goto fail;
	/* the stop check's clock, armed while there are workers to look at */
	h->watchfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	h->twatch = (struct tag){NULL, TAG_WATCH};
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &h->twatch};
		if (h->watchfd < 0 || epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->watchfd, &ev) < 0)
			goto fail;
	}
	/* the batched receive's stash, and its kick */
	h->tkick = (struct tag){NULL, TAG_KICK};
	if (rxb_init(&h->rxb, msg_max) < 0)
		goto fail;
	{
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = &h->tkick};
		if (epoll_ctl(h->epfd, EPOLL_CTL_ADD, h->rxb.kickfd, &ev) < 0)
			goto fail;
	}
	/* the helper's own standard error and output, written without ever
	 * waiting (sink.h), looked at now: later, a confined helper could
	 * not open a description of its own */
	if (sink_open(&h->err, STDERR_FILENO, HELPER_ERR_BUF) < 0 ||
	    sink_open(&h->out, STDOUT_FILENO, 0) < 0) {
		sink_close(&h->err);
		goto fail; /* which closes the epoll and timer fds */
	}
	h->terr = (struct tag){NULL, TAG_SINK_ERR};
	h->tout = (struct tag){NULL, TAG_SINK_OUT};
	h->log = cfg && cfg->log ? cfg->log : helper_log_default;
	h->log_arg = cfg && cfg->log ? cfg->log_arg : h;
	h->on_gone = cfg ? cfg->on_worker_gone : NULL;
	h->gone_arg = cfg ? cfg->gone_arg : NULL;
	h->on_restarted = cfg ? cfg->on_worker_restarted : NULL;
	h->restarted_arg = cfg ? cfg->restarted_arg : NULL;
	h->on_replaced = cfg ? cfg->on_worker_replaced : NULL;
	h->replaced_arg = cfg ? cfg->replaced_arg : NULL;
	h->on_drained = cfg ? cfg->on_worker_drained : NULL;
	h->drained_arg = cfg ? cfg->drained_arg : NULL;
	h->queue_max = cfg && cfg->queue_max ? cfg->queue_max : HELPER_QUEUE_MAX;
	h->log_rate = cfg && cfg->log_rate ? cfg->log_rate : HELPER_LOG_RATE;
	h->log_burst = cfg && cfg->log_burst ? cfg->log_burst : HELPER_LOG_BURST;
	h->log_byte_rate = cfg && cfg->log_byte_rate ? cfg->log_byte_rate : HELPER_LOG_BYTE_RATE;
	h->log_byte_burst =
	    cfg && cfg->log_byte_burst ? cfg->log_byte_burst : HELPER_LOG_BYTE_BURST;
	h->log_line_max = cfg && cfg->log_line_max ? cfg->log_line_max : HELPER_LOG_LINE_MAX;
	if (h->log_line_max > HELPER_LOG_LINE_LIMIT)
		h->log_line_max = HELPER_LOG_LINE_LIMIT;
	h->app = table;
	h->napp = n;
	for (size_t i = 0; i < n; i++)
		if ((table[i].flags & PRIVSEP_H_BULK) && !(table[i].flags & PRIVSEP_H_EVENT) &&
		    table[i].bulk_max > h->rcopy.region_max)
			h->rcopy.region_max = table[i].bulk_max;
	h->started_ms = clock_now_ms();
	return h;
fail : {
	int saved = errno;
	rxb_free(&h->rxb);
	if (h->watchfd >= 0)
		close(h->watchfd);
	if (h->epfd >= 0)
		close(h->epfd);
	free(h->rows);
	free(h->rx);
	free(h->tx);
	free(h);
	errno = saved;
	return NULL;
}
}

int privsep_helper_fd(const struct privsep_helper *h)
{
	return h->epfd;
}

size_t privsep_helper_nworkers(const struct privsep_helper *h)
{
	return h->nworkers - h->npooled; /* the application's */
}

/* ---- workers ---- */

struct privsep_worker *helper_attach(struct privsep_helper *h, int chan, int pidfd, pid_t pid,
                                     const char *name)
{
	return helper_add(h, chan, pidfd, pid, name, 0, 0);
}

/* A protocol violation: one line, and the worker is killed. */
static void violation(struct privsep_worker *w, enum privsep_violation v,
                      const struct wire_hdr *hdr, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void violation(struct privsep_worker *w, enum privsep_violation v,
                      const struct wire_hdr *hdr, const char *fmt, ...)
{
	char what[384] = "", where[160] = "";
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (hdr) {
		const struct privsep_handler *r = row_find(w->h, hdr->type, NULL);
		snprintf(where, sizeof(where), " type 0x%x%s%s%s id %u len %u nfds %u", hdr->type,
		         r ? " (" : "", r ? r->name : "", r ? ")" : "", hdr->id, hdr->len,
		         hdr->nfds);
	}
	w->viol = v;
	HLOG(w->h, PRIVSEP_LOG_ERR,
	     "worker \"%s\" pid %d: protocol violation %s:%s: %s; worker killed", w->name,
	     (int)w->pid, privsep_violation_name(v), where, what);
	helper_worker_close(w, 1);
}

/* ---- replies ---- */

static void set_events(struct privsep_worker *w)
{
	struct epoll_event ev = {.data.ptr = &w->tchan};
	/* while a reply waits, no request is read from this worker */
	ev.events = (w->q.nreply ? 0 : EPOLLIN) | (w->q.n && !w->gate ? EPOLLOUT : 0);
	epoll_ctl(w->h->epfd, EPOLL_CTL_MOD, w->chan, &ev);
}

static void lost(struct privsep_worker *w, const char *what)
{
	HLOG(w->h, PRIVSEP_LOG_INFO, "worker \"%s\" pid %d: %s lost, channel closed: %s", w->name,
	     (int)w->pid, what, strerror(errno));
	helper_worker_close(w, 0);
}

/* The socket has room: send what is queued.  -1 when the channel closed. */
static int flush_queue(struct privsep_worker *w)
{
	int rc = outq_flush(&w->q, w->chan);
	if (rc < 0) {
		lost(w, "queued message");
		return -1;
	}
	set_events(w);
	if (rc == 1 && w->want_drained) {
		w->want_drained = 0;
		if (w->h->on_drained)
			w->h->on_drained(w, w->h->drained_arg);
	}
	return 0;
}

/* Send o to w (msg_send), after whatever is queued; queued when the
 * socket is full.  reply: a reply (always queued); else an event (EAGAIN
 * when the queue is full).  0, or -1 with errno. */
static int send_to(struct privsep_worker *w, const struct msg_out *o, int reply)
{
	unsigned how;
	if (w->chan < 0) {
		if (o->bulkfd >= 0)
			close(o->bulkfd);
		errno = EPIPE;
		return -1;
	}
	/* until its READY is answered, a spawned worker is sent that answer
	 * and nothing else: its framework code reads only the answer, and
	 * events wait in the queue (w->gate) */
	if (reply)
		how = MSG_SEND_REPLY | (w->gate ? MSG_SEND_FIRST : 0);
	else
		how = w->gate ? MSG_SEND_HOLD : 0;
	switch (msg_send(w->chan, &w->q, o, how)) {
	case MSG_SENT:
		w->st.bytes_out += PRIVSEP_HDR_LEN + o->len;
		return 0;
	case MSG_QUEUED:
		w->st.bytes_out += PRIVSEP_HDR_LEN + o->len;
		set_events(w);
		return 0;
	case MSG_BROKEN:
		lost(w, reply ? "reply" : "event");
		errno = EPIPE;
		return -1;
	case MSG_REFUSED:
	default:
		if (errno == EAGAIN)
			w->want_drained = 1;
		else if (reply)
			lost(w, "reply");
		return -1;
	}
}

/* Send the reply whose payload (error, then body) is in h->tx after room
 * for its header, len bytes, with fds (borrowed). */
static void send_reply(struct privsep_worker *w, uint32_t id, size_t len, const int *fds,
                       size_t nfds)
{
	struct msg_out o = {PRIVSEP_T_REPLY, id, w->h->tx + PRIVSEP_HDR_LEN, len, fds, nfds, -1, 0,
	                    w->h->tx};
	(void)send_to(w, &o, 1);
}

static void reply_error(struct privsep_worker *w, uint32_t id, int err, const char *detail)
{
	struct privsep_helper *h = w->h;
	struct privsep_writer wr;
	char d[PRIVSEP_DETAIL_MAX];
	snprintf(d, sizeof(d), "%s", detail ? detail : "");
	privsep_writer_init(&wr, h->tx + PRIVSEP_HDR_LEN, h->msg_max - PRIVSEP_HDR_LEN);
	privsep_writer_put_u32(&wr, (uint32_t)err);
	privsep_writer_put_str(&wr, d);
	if (wr.err) {
		/* a small record limit: send the detail cut to fit */
		privsep_writer_init(&wr, h->tx + PRIVSEP_HDR_LEN, h->msg_max - PRIVSEP_HDR_LEN);
		privsep_writer_put_u32(&wr, (uint32_t)err);
		d[h->msg_max - PRIVSEP_HDR_LEN - 9] = '\0';
		privsep_writer_put_str(&wr, d);
	}
	send_reply(w, id, wr.len, NULL, 0);
}

/* The first of fds the helper must not send: one not open, or one of
 * its own (a number the application closed and the helper used again:
 * another worker's channel, its epoll fd), *own saying which; -1 when
 * every one may go.  Checked before a send: the kernel's EBADF from it
 * would look like a broken channel and end the worker. */
static int bad_fd(const struct privsep_helper *h, const int *fds, size_t n, int *own)
{
	for (size_t i = 0; i < n; i++) {
		*own = helper_owns_fd(h, fds[i]);
		if (*own || fcntl(fds[i], F_GETFD) < 0)
			return (int)i;
	}
	return -1;
}

/* Take the helper's own fds out of a reply a handler built, so that the
 * request's end closes none of them. */
static void drop_own_fds(const struct privsep_helper *h, struct privsep_req *req)
{
	size_t k = 0;
	for (size_t i = 0; i < req->reply_nfds; i++)
		if (!helper_owns_fd(h, req->reply_fds[i]))
			req->reply_fds[k++] = req->reply_fds[i];
	req->reply_nfds = k;
}

/* ---- events ---- */

int privsep_worker_post(struct privsep_worker *w, const struct privsep_out *out)
{
	const struct privsep_handler *row;
	char why[PRIVSEP_DETAIL_MAX];
	const struct privsep_bulk *bulk;
	struct msg_out o;
	int bad, own;

	if (!w || !out || out->flags) {
		errno = EINVAL;
		return -1;
	}
	bulk = out->bulk;
	o = (struct msg_out){out->type, 0, out->data, out->len, out->fds, out->nfds, -1, 0, NULL};
	if ((o.len && !o.data) || (o.nfds && !o.fds) || o.nfds > PRIVSEP_MAX_FDS ||
	    (bulk && bulk->len && !bulk->data)) {
		errno = EINVAL;
		return -1;
	}
	/* the row's rules, as the worker will check them */
	row = row_find(w->h, o.type, NULL);
	if (!row) {
		errno = EINVAL;
		return -1;
	}
	if (row_admits(row, PRIVSEP_H_EVENT, o.len, o.nfds, !!bulk, bulk ? bulk->len : 0, why,
	               sizeof(why)) < 0)
		return -1;
	/* a bad fd is the application's mistake: nothing sent, the worker
	 * untouched */
	bad = bad_fd(w->h, o.fds, o.nfds, &own);
	if (bad >= 0) {
		if (own)
			HLOG(
			    w->h, PRIVSEP_LOG_ERR,
			    "worker \"%s\": event %u not sent: fd %d is one of the helper's own (the application closed its fd, and the number was used again)",
			    w->name, o.type, o.fds[bad]);
		errno = EBADF;
		return -1;
	}
	if (w->chan < 0) {
		errno = EPIPE;
		return -1;
	}
	if (w->q.n - w->q.nreply >= w->h->queue_max) {
		w->want_drained = 1;
		errno = EAGAIN;
		return -1;
	}
	if (bulk) {
		o.bulkfd = bulk_make(bulk->data, bulk->len);
		if (o.bulkfd < 0)
			return -1;
		o.bulk_len = bulk->len;
	}
	return send_to(w, &o, 0);
}

size_t privsep_worker_queued(const struct privsep_worker *w)
{
	return w->q.n;
}

/* ---- requests ---- */

static int fw_ping(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_writer_put_raw(&req->reply, req->data, req->len);
	return 0;
}

/* A part of a bulk payload (revision 1.4): the bulk stage (msg.c) copied
 * it out of the worker's region before this runs; its final record is
 * the application's. */
static int fw_region_part(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static int fw_permit_drop(struct privsep_req *req, void *arg)
{
	struct privsep_helper *h = arg;
	struct privsep_reader r;
	uint32_t count, type;
	size_t idx = 0;

	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &count) < 0 || count == 0 || count > PROTO_PERMIT_DROP_MAX ||
	    req->len != 4 + 4 * (size_t)count) {
		privsep_req_fail(req, EBADMSG, "count does not match the payload");
		return PRIVSEP_VIOLATION;
	}
	for (uint32_t i = 0; i < count; i++) {
		const struct privsep_handler *row;
		privsep_reader_get_u32(&r, &type);
		row = row_find(h, type, NULL);
		if (!row)
			return privsep_req_fail(req, EINVAL, "type 0x%x is not in the table", type);
		/* only what the worker requests: an event's permit is never
		 * looked at, and the start-up messages are the framework's */
		if (row->flags & PRIVSEP_H_EVENT)
			return privsep_req_fail(req, EINVAL,
			                        "type 0x%x is an event: the helper sends it", type);
		if (type == PRIVSEP_T_SANDBOX_FAILED || type == PRIVSEP_T_SECCOMP_TRAP ||
		    type == PRIVSEP_T_READY || type == PRIVSEP_T_SECCOMP_LISTENER)
			return privsep_req_fail(
			    req, EINVAL, "type 0x%x is a start-up message of the framework", type);
		/* the client sends it on its own for any large bulk payload:
		 * a bulk type's permit is the one to drop */
		if (type == PRIVSEP_T_REGION_PART)
			return privsep_req_fail(
			    req, EINVAL, "type 0x%x is part of a bulk payload: drop the bulk type",
			    type);
	}
	privsep_reader_init(&r, req->data, req->len);
	privsep_reader_get_u32(&r, &count);
	for (uint32_t i = 0; i < count; i++) {
		privsep_reader_get_u32(&r, &type);
		if (row_find(h, type, &idx))
			req->worker->permit[idx] = 0;
	}
	return 0;
}

/* "batch entry N (type 0xT, NAME len L)": how a BATCH's entry n, sub,
 * is named in its violation's line (docs/PROTOCOL.md, section 6); NAME
 * for any type with a row, an event's included, as a record's header
 * names it. */
static void batch_entry_name(const struct privsep_helper *h, char *buf, size_t len, size_t n,
                             const struct msg *sub)
{
	const struct privsep_handler *r = row_find(h, sub->hdr.type, NULL);
	snprintf(buf, len, "batch entry %zu (type 0x%x%s%s len %u)", n, sub->hdr.type,
	         r ? ", " : "", r ? r->name : "", sub->hdr.len);
}

/* The handler stage of a request that passed every check, and its
 * reply; batch the BATCH whose entry number entry it is, else NULL. */
static void serve(struct privsep_worker *w, struct msg *m, const struct msg *batch, size_t entry)
{
	struct privsep_helper *h = w->h;
	const struct privsep_handler *row = m->row;
	struct privsep_req *req = &m->req;
	int rc, bad, own;

	req->worker = w;
	req->reply =
	    (struct privsep_writer){h->tx + PRIVSEP_HDR_LEN + PROTO_REPLY_FIXED,
	                            h->msg_max - PRIVSEP_HDR_LEN - PROTO_REPLY_FIXED, 0, 0};
	w->st.calls++;
	rc = (row->flags & PRIVSEP_H_PARTS) ? parts_serve(w, m) : row->fn(req, row->arg);
	if (rc == HELPER_REPLY_HELD)
		return; /* a pooled worker's READY: answered at the hand-out */
	/* no reply is sent: the helper's own fds are not closed with the rest */
	if (rc != 0 || (row->flags & PRIVSEP_H_POST))
		drop_own_fds(h, req);
	if (rc == PRIVSEP_VIOLATION) {
		/* an entry with the BATCH's header, as its other violations */
		char name[160] = "";
		if (batch) {
			batch_entry_name(h, name, sizeof(name) - 2, entry, m);
			strcat(name, ": ");
		}
		violation(w, PRIVSEP_V_BAD_PAYLOAD, batch ? &batch->hdr : &m->hdr, "%s%s %s: %s",
		          name, msg_kind_name(row->flags), row->name,
		          req->detail[0] ? req->detail : "the handler rejected the payload");
		return;
	}
	if (row->flags & PRIVSEP_H_POST) {
		if (rc != 0)
			HLOG(h, PRIVSEP_LOG_DEBUG, "worker \"%s\" pid %d: one-way %s: %s%s%s",
			     w->name, (int)w->pid, row->name,
			     strerror(rc > 0 && rc < 4096 ? rc : EIO), req->detail[0] ? ": " : "",
			     req->detail);
		return;
	}
	if (rc == 0 && req->reply.err) {
		/* the put's own error: a NULL string is not a full record */
		int big = req->reply.err == EMSGSIZE;
		HLOG(h, PRIVSEP_LOG_ERR,
		     "worker \"%s\" pid %d: call %s id %u: %s%s; answered EMSGSIZE", w->name,
		     (int)w->pid, row->name, req->id,
		     big ? "reply body over the record limit" : "a put into the reply failed: ",
		     big ? "" : strerror(req->reply.err));
		rc = privsep_req_fail(req, EMSGSIZE, "%s",
		                      big ? "reply too large for the record limit"
		                          : "the handler could not build its reply");
	} else if (rc < 0 || rc > 4095) {
		HLOG(h, PRIVSEP_LOG_ERR,
		     "worker \"%s\" pid %d: call %s id %u: handler returned %d; answered EIO",
		     w->name, (int)w->pid, row->name, req->id, rc);
		rc = privsep_req_fail(req, EIO, "handler failed");
	}
	/* an application handler's fds; the framework's own handlers (the
	 * file broker) attach only an fd they opened in this call, which is
	 * open and can be no other of the helper's: the brokered open's path
	 * pays no system call for it */
	if (rc == 0 && req->reply_nfds && row->type >= PRIVSEP_TYPE_APP_MIN &&
	    (bad = bad_fd(h, req->reply_fds, req->reply_nfds, &own)) >= 0) {
		HLOG(h, PRIVSEP_LOG_ERR,
		     "worker \"%s\" pid %d: call %s id %u: reply fd %d is %s; answered EBADF",
		     w->name, (int)w->pid, row->name, req->id, req->reply_fds[bad],
		     own ? "one of the helper's own" : "not open");
		rc = privsep_req_fail(req, EBADF, "the handler attached an fd it cannot send");
	}
	if (rc != 0) {
		drop_own_fds(h, req);
		w->st.refusals++;
		reply_error(w, req->id, rc, req->detail);
		return;
	}
	memset(h->tx + PRIVSEP_HDR_LEN, 0, PROTO_REPLY_FIXED); /* error 0 */
	send_reply(w, req->id, PROTO_REPLY_FIXED + req->reply.len, req->reply_fds, req->reply_nfds);
	/* READY answered: the events that waited go now, after it */
	if (w->gate && w->exit.ready && w->chan >= 0) {
		w->gate = 0;
		set_events(w);
		lifecycle_ready(w);
	}
}

/* A BATCH (docs/PROTOCOL.md, section 6): its framing first, whole; then
 * each entry checked as a one-way record of its own and served, in
 * order, as separate records would have been.  The first that fails a
 * check is that violation, named, and ends the worker. */
static int fw_batch(struct privsep_req *req, void *arg)
{
	struct privsep_helper *h = arg;
	struct privsep_worker *w = req->worker;
	/* the request is the batch's message's (serve got it from dispatch) */
	struct msg *m = (struct msg *)(void *)((char *)req - offsetof(struct msg, req));
	struct msg_end e = {h->msg_max, PROTO_W2H, h->rows, h->nrows, 1,
	                    w->permit,  NULL,      NULL,    NULL,     NULL};
	struct msg_batch b;
	struct msg sub;
	int rc;

	if (msg_batch_begin(m, &b) != PRIVSEP_V_NONE) {
		violation(w, PRIVSEP_V_BAD_BATCH, &m->hdr, "%s", m->why);
		return 0;
	}
	while (w->chan >= 0 && (rc = msg_batch_next(&b, &e, &sub)) != 0) {
		if (rc < 0) {
			char name[160];
			batch_entry_name(h, name, sizeof(name), b.n, &sub);
			violation(w, sub.viol, &m->hdr, "%s: %s", name, sub.why);
			return 0;
		}
		serve(w, &sub, m, b.n);
		if (sub.req.reply_nfds)
			msg_release(&sub); /* what a post's handler attached to no reply */
	}
	return 0;
}

/* len bytes in a turn's records: one per PROTO_TURN_BULK_BYTES, rounded
 * up, at most the whole turn. */
static int turn_steps(uint64_t len)
{
	if (len >= (uint64_t)HELPER_BATCH * PROTO_TURN_BULK_BYTES)
		return HELPER_BATCH;
	return (int)((len + PROTO_TURN_BULK_BYTES - 1) / PROTO_TURN_BULK_BYTES);
}

/* A REGION_PART's len (u64 total, off, at, len: msg_check read all
 * four). */
static uint64_t region_part_len(const struct msg *m)
{
	struct privsep_reader rd;
	uint64_t len = 0;
	privsep_reader_init(&rd, m->req.data, m->req.len);
	for (int i = 0; i < 4; i++)
		privsep_reader_get_u64(&rd, &len);
	return len;
}

/* What a record weighs in its worker's turn beyond one record (section 9,
 * "one worker's turn"): the bytes it made the helper copy, one more per
 * PROTO_TURN_BULK_BYTES, rounded up: a bulk payload's, a REGION_PART's
 * (its len); the final record of a payload in parts nothing more (its
 * parts were weighed); and the data of a new region it brought, which
 * the helper mapped populated (mapped bytes), whatever its payload. */
static int bulk_weight(const struct privsep_handler *row, const struct msg *m, int parts_final,
                       size_t mapped)
{
	uint64_t len = m->req.bulk_len;
	int w;
	if (row->type == PRIVSEP_T_REGION_PART) {
		len = region_part_len(m);
	} else if (!(row->flags & PRIVSEP_H_BULK) || parts_final) {
		len = 0;
	}
	w = turn_steps(len) + turn_steps(mapped);
	return w > HELPER_BATCH ? HELPER_BATCH : w;
}

/* Check one record (msg.c) and serve it; whatever it carried that nobody
 * took is released here, on every path. */
static void dispatch(struct privsep_worker *w, struct msg *m)
{
	struct privsep_helper *h = w->h;
	struct msg_end e = {h->msg_max, PROTO_W2H, h->rows, h->nrows,   1,
	                    w->permit,  NULL,      NULL,    &w->region, &h->rcopy};
	const struct privsep_handler *row;
	enum msg_verdict mv;
	uint64_t ptotal;
	int err;

	if (msg_decode(m, h->msg_max) != PRIVSEP_V_NONE) {
		violation(w, m->viol, msg_hdr_known(m) ? &m->hdr : NULL, "%s", m->why);
		goto out;
	}
	/* a payload in parts under way that this record ends (its final) */
	ptotal = w->region.ptotal;
	w->region.mapped = 0;
	mv = msg_check(m, &e);
	err = errno;
	row = m->row;
	switch (mv) {
	case MSG_VIOLATION:
		if (m->viol == PRIVSEP_V_BAD_BULK)
			violation(w, m->viol, &m->hdr, "%s %s: %s", msg_kind_name(row->flags),
			          row->name, m->why);
		else
			violation(w, m->viol, &m->hdr, "%s", m->why);
		break;
	case MSG_FDLIMIT:
		HLOG(
		    h, PRIVSEP_LOG_WARN,
		    "worker \"%s\" pid %d: %s %s id %u: its %u fds could not be received (helper at its fd limit); %s",
		    w->name, (int)w->pid, msg_kind_name(row->flags), row->name, m->hdr.id,
		    m->hdr.nfds, m->hdr.id ? "answered EMFILE" : "message dropped");
		w->st.refusals += m->hdr.id != 0;
		/* a part lost: the rest of its payload is dropped with it */
		if (row->type == PRIVSEP_T_REGION_PART)
			w->region.plost = 1;
		/* the final record of a payload in parts (it names the held
		 * region), or a record of the type being fed: that payload is
		 * over, answered EMFILE; no record ends it later */
		else if (ptotal && (row == w->feed.row || msg_bulk_held(m, row)))
			region_rx_parts_end(&w->region);
		/* a payload fed part by part that will not end now */
		if (row->type == PRIVSEP_T_REGION_PART || (ptotal && !w->region.ptotal))
			parts_abandon(w);
		if (m->hdr.id)
			reply_error(w, m->hdr.id, EMFILE,
			            "helper could not receive the request's fds");
		break;
	case MSG_UNMAPPED:
		w->served_bulk = HELPER_BATCH; /* ends the turn */
		HLOG(h, PRIVSEP_LOG_WARN, "worker \"%s\" pid %d: %s %s id %u: %s; %s", w->name,
		     (int)w->pid, msg_kind_name(row->flags), row->name, m->hdr.id, m->why,
		     m->hdr.id ? "answered" : "message dropped");
		w->st.refusals += m->hdr.id != 0;
		if (row->type == PRIVSEP_T_REGION_PART)
			parts_abandon(w);
		if (m->hdr.id)
			reply_error(w, m->hdr.id, err == EFBIG || err == EMFILE ? err : ENOMEM,
			            m->why);
		break;
	case MSG_OK:
		w->served_bulk = bulk_weight(row, m, ptotal && !w->region.ptotal, w->region.mapped);
		serve(w, m, NULL, 0);
		if (m->feed) {
			char detail[PRIVSEP_DETAIL_MAX];
			if (parts_feed(w, m, detail) == PRIVSEP_VIOLATION)
				violation(w, PRIVSEP_V_BAD_PAYLOAD, &m->hdr,
				          "%s %s: part of %llu bytes at %llu of %llu: %s",
				          msg_kind_name(m->feed->flags), m->feed->name,
				          (unsigned long long)region_part_len(m),
				          (unsigned long long)m->req.bulk_off,
				          (unsigned long long)m->req.bulk_total,
				          detail[0] ? detail : "the handler rejected the payload");
		}
		break;
	}
out:
	msg_release(m);
}

/* A calling worker is read one record at a time: its caller waits for
 * the reply, so a batch would find nothing more, and one recvmmsg that
 * finds one record costs more than a recvmsg (0.7 to 1 us more here,
 * bench/README.md).  But a worker with asynchronous calls in flight
 * (privsep_fs_open_async) has several in the socket at once: read one
 * at a time, each would cost a recvmsg and end the worker's turn, an
 * epoll_wait.  So every HELPER_PILE_PROBE-th read of a calling worker is
 * a batch, which costs no extra system call; one that finds two or more
 * calls puts the worker in pile mode (its calls read in batches, the
 * turn going on while a batch filled its budget), and
 * HELPER_PILE_LONE batches in a row that find one call each take it
 * out. */
#define HELPER_PILE_PROBE 16u
#define HELPER_PILE_LONE 2

static int pile_batch(struct privsep_worker *w)
{
	if (!w->rx_calls || w->rx_pile)
		return 1;
	if (++w->rx_single < HELPER_PILE_PROBE)
		return 0;
	w->rx_single = 0;
	return 1;
}

/* A batch read for a calling worker found got records. */
static void pile_learn(struct privsep_worker *w, unsigned got)
{
	if (got > 1) {
		w->rx_pile = 1;
		w->rx_lone = 0;
	} else if (w->rx_pile && ++w->rx_lone >= HELPER_PILE_LONE) {
		w->rx_pile = 0;
		w->rx_lone = 0;
	}
}

/* Serve up to HELPER_BATCH records, the stashed ones first (rxbatch.h);
 * how many were served (0: nothing more to read now, or the channel
 * closed). */
static int worker_readable(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	int i;
	for (i = 0; i < HELPER_BATCH && w->chan >= 0 && !w->q.nreply; i++) {
		struct msg m;
		enum chan_status st;
		if (rxb_pending(&h->rxb, w)) {
			st = rxb_next(&h->rxb, w, &m, (unsigned)(HELPER_BATCH - i), h->rx,
			              h->msg_max);
		} else if (pile_batch(w)) {
			st = rxb_next(&h->rxb, w, &m, (unsigned)(HELPER_BATCH - i), h->rx,
			              h->msg_max);
			if (w->rx_calls && h->rxb.got)
				pile_learn(w, h->rxb.got);
		} else {
			/* a worker in calls: one record, the round trip's path */
			w->rx_full = 0;
			st = msg_recv(w->chan, &m, h->rx, h->msg_max, 1);
		}
		switch (st) {
		case CHAN_AGAIN:
			return 0;
		case CHAN_EOF:
			helper_worker_close(w, 0);
			return 0;
		case CHAN_ERROR:
			HLOG(h, PRIVSEP_LOG_INFO, "worker \"%s\" pid %d: channel error: %s",
			     w->name, (int)w->pid, strerror(errno));
			helper_worker_close(w, 0);
			return 0;
		case CHAN_RECORD:
		case CHAN_FDLIMIT:
		case CHAN_VIOLATION:
			w->st.bytes_in += m.reclen;
			dispatch(w, &m);
			w->rx_calls = st == CHAN_RECORD && m.hdr.id;
			/* a bulk payload weighs more than a record: once the
			 * turn's weight is spent, the others' turn now (and the
			 * stash's after theirs) */
			i += w->served_bulk;
			w->served_bulk = 0;
			if (i + 1 >= HELPER_BATCH) {
				if (w->chan >= 0 && !w->q.nreply && rxb_pending(&h->rxb, w))
					rxb_kick(&h->rxb);
				return i + 1;
			}
			/* A caller waits for its reply before it sends again: after
			 * answering a call, the next record is unlikely to be there
			 * yet, and epoll says when it is.  Trying first would cost a
			 * recvmsg that fails with EAGAIN on nearly every call.
			 * Records already stashed are served on, and a pile goes on
			 * while its batch filled the budget (more may wait). */
			if (w->rx_calls && !rxb_pending(&h->rxb, w) && !w->rx_full)
				return i + 1;
			break;
		}
	}
	return i;
}

static void worker_reap(struct privsep_worker *w)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	if (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED | WNOHANG) < 0) {
		/* not our child (ECHILD), or reaped by someone else: it is
		 * gone, how is unknown */
		HLOG(w->h, PRIVSEP_LOG_WARN, "worker \"%s\" pid %d: waitid: %s", w->name,
		     (int)w->pid, strerror(errno));
		exit_classify(w, NULL);
	} else if (si.si_pid == 0) {
		return; /* not yet */
	} else {
		w->reap.exited = 1;
		w->reap.exit_code = si.si_code;
		w->reap.exit_status = si.si_status;
		helper_start_done(w);
		/* reaped: no process has its uid any more */
		if (w->spawn.uid_lease >= 0)
			close(w->spawn.uid_lease);
		w->spawn.uid_lease = -1;
	}
	epoll_ctl(w->h->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
	close(w->pidfd);
	w->pidfd = -1;
	unotify_close(w);
	/* Its last log lines, and what it sent before it died (its last
	 * one-way messages), up to the end of the stream. */
	wlog_close(w);
	while (w->chan >= 0 && !w->q.nreply && worker_readable(w) > 0)
		;
	helper_worker_close(w, 0);
	if (w->reap.exited)
		exit_classify(w, &si);
	w->reap.finalize = 1;
}

/* The stop check is due: lifecycle says which worker it found stopped,
 * the core kills it; the check ends with the last live worker. */
static void watch_stops(struct privsep_helper *h)
{
	int live = 0;
	if (lifecycle_watch_tick(h) < 0)
		return;
	for (struct privsep_worker *w = h->workers; w; w = w->next) {
		int stopped = lifecycle_stopped(w);
		live |= stopped >= 0;
		if (stopped == 1)
			helper_worker_close(w, 1);
	}
	if (!live)
		registry_watch(h, 0);
}

static void worker_free(struct privsep_worker *w)
{
	struct privsep_helper *h = w->h;
	parts_abandon(w);
	if (w->prev)
		w->prev->next = w->next;
	else
		h->workers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	h->nworkers--;
	if (!w->exit.info.line[0])
		exit_classify(w, NULL);
	stats_worker_gone(w);
	/* a pooled worker was never the application's */
	if (h->on_gone && !pool_member(w))
		h->on_gone(w, h->gone_arg);
	pool_gone(w);
	/* the verdict on its end: a restart is lifecycle's, stopping every
	 * worker is the core's */
	if (lifecycle_worker_gone(w) == PRIVSEP_RESTART_STOP_ALL)
		privsep_helper_stop(h);
	if (w->pidfd >= 0) {
		epoll_ctl(h->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
		close(w->pidfd);
	}
	rxb_drop(&h->rxb, w);
	wlog_close(w);
	unotify_close(w);
	learn_free(w);
	helper_start_done(w);
	if (w->spawn.uid_lease >= 0)
		close(w->spawn.uid_lease);
	region_rx_free(&w->region);
	free(w->permit);
	free(w);
}

int privsep_helper_step(struct privsep_helper *h, int timeout_ms)
{
	struct epoll_event evs[32];
	int64_t now = 0, next = -1;
	int n;

	/* deadlines and workers to free exist only once a channel closed:
	 * a busy helper reads no clock and walks no list on every call */
	for (struct privsep_worker *w = h->closing ? h->workers : NULL; w; w = w->next)
		if (w->reap.kill_at_ms && !w->reap.killed && !w->reap.exited &&
		    (next < 0 || w->reap.kill_at_ms < next))
			next = w->reap.kill_at_ms;
	{
		int64_t due = lifecycle_due(h);
		if (due >= 0 && (next < 0 || due < next))
			next = due;
		due = lifecycle_refill(h);
		if (due >= 0 && (next < 0 || due < next))
			next = due;
		due = spawner_orphans_reap(h);
		if (due >= 0 && (next < 0 || due < next))
			next = due;
	}
	if (next >= 0) {
		now = clock_now_ms();
		int64_t d = next > now ? next - now : 0;
		if (timeout_ms < 0 || d < timeout_ms)
			timeout_ms = (int)d;
	}
	/* a uid to lease ahead, and no worker starting: first whatever
	 * waits, then, when nothing does, the lease (a scan of /proc) */
	if (h->lease_ahead && !h->starting) {
		n = epoll_wait(h->epfd, evs, 32, 0);
		if (n == 0) {
			helper_lease_ahead(h);
			n = epoll_wait(h->epfd, evs, 32, timeout_ms);
		}
	} else {
		n = epoll_wait(h->epfd, evs, 32, timeout_ms);
	}
	if (n < 0) {
		if (errno != EINTR)
			return -1;
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		struct tag *t = evs[i].data.ptr;
		struct privsep_worker *w = t->w;
		if (t->kind == TAG_SIGNAL) {
			lifecycle_signal(h);
			continue;
		}
		if (t->kind == TAG_WATCH) {
			watch_stops(h);
			continue;
		}
		if (t->kind == TAG_SINK_ERR) {
			helper_err_writable(h);
			continue;
		}
		if (t->kind == TAG_SINK_OUT) {
			wout_writable(h);
			continue;
		}
		if (t->kind == TAG_WOUT) {
			wout_readable(t);
			continue;
		}
		if (t->kind == TAG_KICK) {
			w = rxb_kicked(&h->rxb);
			if (w && !w->reap.finalize && w->chan >= 0 && !w->q.nreply)
				worker_readable(w);
			continue;
		}
		if (w->reap.finalize)
			continue;
		if (t->kind == TAG_UNOTIFY) {
			unotify_readable(w, evs[i].events);
			continue;
		}
		if (t->kind == TAG_PIDFD) {
			worker_reap(w);
			continue;
		}
		if (t->kind == TAG_LOG) {
			wlog_readable(w);
			continue;
		}
		if (w->chan < 0)
			continue;
		if (w->q.n && !w->gate && (evs[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) &&
		    flush_queue(w) < 0)
			continue;
		/* records stashed while a reply waited are served once it left */
		if (!w->q.nreply &&
		    ((evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)) || rxb_pending(&h->rxb, w)))
			worker_readable(w);
	}
	if (!h->closing)
		return (int)privsep_helper_nworkers(h);
	now = clock_now_ms();
	h->closing = 0;
	for (struct privsep_worker *w = h->workers, *nx; w; w = nx) {
		nx = w->next;
		if (w->pidfd >= 0 && w->reap.kill_at_ms && now >= w->reap.kill_at_ms &&
		    !w->reap.killed && !w->reap.exited) {
			if (!w->reap.want_kill) {
				/* the one line for this end: exit_classify does
				 * not log it again */
				w->reap.grace_expired = 1;
				HLOG(
				    h, PRIVSEP_LOG_WARN,
				    "worker \"%s\" pid %d: closed its channel but did not exit within %d ms; killed",
				    w->name, (int)w->pid, HELPER_EXIT_GRACE_MS);
			}
			w->reap.want_kill = 1;
			worker_signal(w);
			if (!w->reap.killed) {
				if (!w->reap.kill_failed++)
					HLOG(
					    h, PRIVSEP_LOG_ERR,
					    "worker \"%s\" pid %d: SIGKILL failed: %s; trying again every %d ms",
					    w->name, (int)w->pid, strerror(errno),
					    HELPER_KILL_RETRY_MS);
				w->reap.kill_at_ms = now + HELPER_KILL_RETRY_MS;
			}
		}
		if (w->reap.finalize)
			worker_free(w);
		else if (w->reap.kill_at_ms)
			h->closing = 1; /* still to be reaped, or killed */
	}
	return (int)privsep_helper_nworkers(h);
}

int privsep_helper_run(struct privsep_helper *h)
{
	/* and until what workers wrote to their standard output is copied
	 * (a stop signal leaves it) */
	while (privsep_helper_nworkers(h) > 0 || h->respawns || (h->outs && !h->stopping))
		if (privsep_helper_step(h, -1) < 0)
			return -1;
	/* nothing left to serve: the next spawn's uid, if one is due */
	helper_lease_ahead(h);
	return 0;
}

void privsep_helper_free(struct privsep_helper *h)
{
	if (!h)
		return;
	h->stopping = 1; /* no restarts from here on */
	while (h->workers) {
		struct privsep_worker *w = h->workers;
		helper_worker_close(w, 1);
		if (w->pidfd >= 0 && !w->reap.exited && !w->reap.killed)
			HLOG(h, PRIVSEP_LOG_ERR,
			     "worker \"%s\" pid %d: could not be killed; not waited for", w->name,
			     (int)w->pid);
		if (w->pidfd >= 0 && !w->reap.exited && w->reap.killed) {
			siginfo_t si;
			memset(&si, 0, sizeof(si));
			while (waitid((idtype_t)P_PIDFD, (id_t)w->pidfd, &si, WEXITED) < 0 &&
			       errno == EINTR)
				;
			if (si.si_pid) {
				w->reap.exited = 1;
				w->reap.exit_code = si.si_code;
				w->reap.exit_status = si.si_status;
				exit_classify(w, &si);
			}
		}
		worker_free(w);
	}
	lifecycle_free(h);
	spawner_stop(h);
	pool_free_all(h);
	uidpool_drop_spare(); /* the uid leased ahead for a next spawn */
	helper_policies_free(h);
	unotify_free(h);
	wout_free_all(h);
	/* the last lines, if there is room for them now */
	helper_err_writable(h);
	sink_arm(h->epfd, &h->err, &h->terr, 0);
	sink_arm(h->epfd, &h->out, &h->tout, 0);
	sink_close(&h->err);
	sink_close(&h->out);
	rxb_free(&h->rxb);
	close(h->watchfd);
	close(h->epfd);
	region_copy_free(&h->rcopy);
	free(h->rows);
	free(h->rx);
	free(h->tx);
	free(h);
}
