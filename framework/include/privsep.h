/* SPDX-License-Identifier: ISC */
/*
 * privsep.h - the public interface of libprivsep.
 *
 * A daemon is split into a privileged *helper* and a sandboxed *worker*
 * that talk over an AF_UNIX SOCK_SEQPACKET socketpair with the binary
 * protocol of docs/PROTOCOL.md (normative).  The helper serves requests
 * through a declarative handler table; the worker makes synchronous calls
 * and one-way posts.
 *
 * The header is grouped by object: the helper (privsep_helper_*), its
 * handle of one worker (privsep_worker_*), a request in a handler
 * (privsep_req_*), the worker's end of the channel (privsep_client_*),
 * the sandbox, spawning, the file broker (privsep_fs_*), policy text and
 * the payload codec (privsep_writer_* / privsep_reader_*).
 *
 * The error contract (every function):
 *  - a function that can fail returns -1 (or NULL) and sets errno; one
 *    that returns a count or a length returns -1 with errno on failure;
 *  - a refusal by the helper is a failure like any other: -1, errno the
 *    helper's errno, and in struct privsep_result refused = 1 and detail
 *    the helper's explanation;
 *  - a function that cannot fail says so ("Never fails.");
 *  - the one exception is a handler's return value (privsep_handler_fn):
 *    what a handler returns to the framework, not what an API call
 *    returns to a program (0, a positive errno, PRIVSEP_VIOLATION).
 * Other conventions:
 *  - "takes" an fd or buffer means the callee owns it afterwards, on
 *    success and on failure alike; "borrows" means the caller keeps it.
 */
#ifndef PRIVSEP_H
#define PRIVSEP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Everything declared here is the library's public API, exported with
 * default visibility; the library builds everything else hidden. */
#pragma GCC visibility push(default)

/* ------------------------------------------------------------------ */
/* Version of the library (meson.build's project version; a test keeps
 * the two equal).                                                      */

#define PRIVSEP_VERSION_MAJOR 1
#define PRIVSEP_VERSION_MINOR 0
#define PRIVSEP_VERSION_PATCH 0

/* The version of the library the program runs with, "MAJOR.MINOR.PATCH"
 * (static storage), which may differ from the PRIVSEP_VERSION_* the
 * program was compiled with.  Never fails. */
const char *privsep_version(void);

/* ------------------------------------------------------------------ */
/* The protocol: limits, message types, violations (docs/PROTOCOL.md). */

#define PRIVSEP_HDR_LEN 16u
#define PRIVSEP_MAX_FDS 4u /* fds in one record, at most */
/* Record size (header + payload): the default and the hard limits. */
#define PRIVSEP_MSG_MAX_DEFAULT 4096u
#define PRIVSEP_MSG_MAX_MIN 64u
#define PRIVSEP_MSG_MAX_LIMIT 65536u
/* Types 1..0xffff are the framework's; 0x10000.. are the application's. */
#define PRIVSEP_TYPE_APP_MIN 0x10000u
/* Longest detail text an error reply carries, NUL included. */
#define PRIVSEP_DETAIL_MAX 256u

/* Framework message types (docs/PROTOCOL.md, "Message types"). */
enum privsep_msg_type {
	PRIVSEP_T_REPLY = 0x0001,            /* helper -> worker: answer to a call */
	PRIVSEP_T_PING = 0x0002,             /* worker -> helper call: echo */
	PRIVSEP_T_PERMIT_DROP = 0x0003,      /* worker -> helper call: narrow */
	PRIVSEP_T_SANDBOX_FAILED = 0x0004,   /* worker -> helper: why it aborts */
	PRIVSEP_T_SECCOMP_TRAP = 0x0005,     /* worker -> helper: debug mode report */
	PRIVSEP_T_READY = 0x0006,            /* worker -> helper: sandbox entered */
	PRIVSEP_T_BATCH = 0x0007,            /* worker -> helper: one-way messages coalesced */
	PRIVSEP_T_SECCOMP_LISTENER = 0x0008, /* worker -> helper: its filter's listener */
	PRIVSEP_T_REGION_PART = 0x0009,      /* worker -> helper: a bulk payload's part */
	PRIVSEP_T_FS_OPEN = 0x0100,          /* worker -> helper call: file broker */
	PRIVSEP_T_FS_STAT = 0x0101,
	PRIVSEP_T_FS_READLINK = 0x0102,
	PRIVSEP_T_FS_ACCESS = 0x0103,
};

/* Violations: what the receiver found wrong with a record.  Each has a
 * short stable name (privsep_violation_name) used in log lines and in
 * the spec.  0 is "no violation". */
enum privsep_violation {
	PRIVSEP_V_NONE = 0,
	PRIVSEP_V_SHORT_HEADER,
	PRIVSEP_V_BAD_MAGIC,
	PRIVSEP_V_BAD_VERSION,
	PRIVSEP_V_LEN_MISMATCH,
	PRIVSEP_V_OVERSIZE,
	PRIVSEP_V_NFDS_LIMIT,
	PRIVSEP_V_NFDS_MISMATCH,
	PRIVSEP_V_BAD_CMSG,
	PRIVSEP_V_TYPE_ZERO,
	PRIVSEP_V_UNKNOWN_TYPE,
	PRIVSEP_V_WRONG_DIRECTION,
	PRIVSEP_V_NOT_PERMITTED,
	PRIVSEP_V_CALL_WITHOUT_ID,
	PRIVSEP_V_ID_ON_POST,
	PRIVSEP_V_BAD_SIZE,
	PRIVSEP_V_BAD_FD_COUNT,
	PRIVSEP_V_BAD_PAYLOAD,
	PRIVSEP_V_UNKNOWN_ID,
	PRIVSEP_V_BAD_REPLY,
	PRIVSEP_V_EMPTY_RECORD,
	PRIVSEP_V_BAD_BULK,
	PRIVSEP_V_BAD_BATCH,
	PRIVSEP_V__COUNT
};

/* The stable name of a violation ("bad-magic", ...; "none" for
 * PRIVSEP_V_NONE, "unknown-violation" for any other value).  Never fails
 * (never NULL). */
const char *privsep_violation_name(enum privsep_violation v);

/* ------------------------------------------------------------------ */
/* privsep_writer_* / privsep_reader_*: the payload codec, bounds-checked,
 * for the bytes of a message.  No I/O.  All integers little-endian,
 * fixed width.  Each put and get returns 0, or -1 with errno (the sticky
 * error below); privsep_writer_init and privsep_reader_init never fail. */

/* A payload writer over a caller's buffer.  Errors are sticky: after the
 * first failed put, every put fails and err holds that put's errno
 * (EMSGSIZE: it did not fit; EINVAL: privsep_writer_put_str of NULL). */
struct privsep_writer {
	uint8_t *buf; /* borrowed */
	size_t cap;
	size_t len;
	int err;
};

void privsep_writer_init(struct privsep_writer *w, void *buf, size_t cap);
int privsep_writer_put_u8(struct privsep_writer *w, uint8_t v);
int privsep_writer_put_u16(struct privsep_writer *w, uint16_t v);
int privsep_writer_put_u32(struct privsep_writer *w, uint32_t v);
int privsep_writer_put_u64(struct privsep_writer *w, uint64_t v);
/* A string: u32 length counting the NUL, then the bytes and the NUL.
 * Fails with EINVAL for NULL, EMSGSIZE when it does not fit. */
int privsep_writer_put_str(struct privsep_writer *w, const char *s);
/* A blob: u32 length, then the bytes. */
int privsep_writer_put_bytes(struct privsep_writer *w, const void *p, size_t n);
/* Raw bytes with no length prefix. */
int privsep_writer_put_raw(struct privsep_writer *w, const void *p, size_t n);

/* A payload reader over received bytes.  Errors are sticky; err holds:
 * EBADMSG (fewer bytes than the field needs, or bytes left at the end),
 * EINVAL (a string of length 0), EILSEQ (a string whose last byte is not
 * NUL, or with a NUL inside). */
struct privsep_reader {
	const uint8_t *buf; /* borrowed */
	size_t len;
	size_t off;
	int err;
};

void privsep_reader_init(struct privsep_reader *r, const void *buf, size_t len);
int privsep_reader_get_u8(struct privsep_reader *r, uint8_t *v);
int privsep_reader_get_u16(struct privsep_reader *r, uint16_t *v);
int privsep_reader_get_u32(struct privsep_reader *r, uint32_t *v);
int privsep_reader_get_u64(struct privsep_reader *r, uint64_t *v);
/* *s points into the reader's buffer (borrowed, NUL-terminated);
 * *n (may be NULL) is strlen(*s). */
int privsep_reader_get_str(struct privsep_reader *r, const char **s, size_t *n);
/* *p points into the reader's buffer (borrowed). */
int privsep_reader_get_bytes(struct privsep_reader *r, const void **p, size_t *n);
/* The remaining bytes, all of them (borrowed). */
int privsep_reader_get_rest(struct privsep_reader *r, const void **p, size_t *n);
/* 0 when no error happened and every byte was read, else -1 (EBADMSG
 * for leftover bytes, or the sticky error). */
int privsep_reader_end(struct privsep_reader *r);

/* ------------------------------------------------------------------ */
/* Logging (the helper's log function, and privsep_log in a worker).
 * The framework writes one line per event worth a human's
 * attention, at a level by kind: violations (a protocol violation, a
 * worker killed by its filter) and failures at ERR, refusals at WARN,
 * the life-cycle (policy loaded, worker started, ended cleanly,
 * restarted, replaced) at INFO, per-request lines at DEBUG.  A worker's
 * own lines (its standard error) are at most WARN, whatever it asks.
 * Default: standard error, never blocking the helper
 * (privsep_helper_log_stderr says the format). */

enum privsep_log_level { PRIVSEP_LOG_ERR, PRIVSEP_LOG_WARN, PRIVSEP_LOG_INFO, PRIVSEP_LOG_DEBUG };
typedef void (*privsep_log_fn)(enum privsep_log_level lvl, const char *line, void *arg);

/* ------------------------------------------------------------------ */
/* Messages and the handler table: what both ends agree on.  One table
 * of rows, one per application message type, is given to the helper
 * (privsep_helper_new) and to the worker's client (privsep_client_new,
 * privsep_spawn); each end checks every record against it. */

struct privsep_helper;
struct privsep_worker; /* the helper's handle of one worker */
struct privsep_client; /* the worker's end of the channel */

/* One received request as a handler sees it.  The framework has checked
 * everything the handler table declares before the handler runs. */
struct privsep_req {
	struct privsep_worker *worker; /* helper side; NULL in a worker's event handler */
	struct privsep_client *client; /* worker side (an event); NULL in the helper */
	uint32_t type;
	uint32_t id;         /* 0 for a one-way post */
	const uint8_t *data; /* payload, borrowed until the handler returns */
	size_t len;
	int fds[PRIVSEP_MAX_FDS]; /* received, close-on-exec; -1 once taken */
	size_t nfds;
	/* A type with PRIVSEP_H_BULK: the bulk payload, read-only: a mapping
	 * of a sealed memfd nobody can change, or the helper's own copy of
	 * a worker's region (docs/PROTOCOL.md, "Bulk payloads"); valid until
	 * the handler returns.  A bulk of 0 bytes is valid: bulk is then a
	 * non-NULL pointer to no bytes and bulk_len 0.  NULL and 0 for other
	 * types. */
	const void *bulk;
	size_t bulk_len;
	/* The reply under construction (calls only).  Handlers append the
	 * success body here; the framework frames it. */
	struct privsep_writer reply;
	int reply_fds[PRIVSEP_MAX_FDS];
	size_t reply_nfds;
	/* For an error return: why, e.g. which rule denied.  Set with
	 * privsep_req_fail(). */
	char detail[PRIVSEP_DETAIL_MAX];
	/* A PRIVSEP_H_PARTS type (privsep_req_part(3)): which call this is,
	 * PRIVSEP_PART_BYTES, PRIVSEP_PART_END or PRIVSEP_PART_ABANDON; 0
	 * (PRIVSEP_PART_NONE) for every other type. */
	unsigned part;
	/* PRIVSEP_PART_BYTES: bulk's place in the payload (bulk_len bytes
	 * at this offset); 0 otherwise. */
	uint64_t bulk_off;
	/* A PRIVSEP_H_PARTS type: the payload's whole length, in every call
	 * for it; 0 for other types. */
	uint64_t bulk_total;
};

/* req->part, for a PRIVSEP_H_PARTS type (privsep_req_part(3)). */
#define PRIVSEP_PART_NONE 0u    /* not a part-by-part type */
#define PRIVSEP_PART_BYTES 1u   /* bulk: bulk_len bytes of the payload at bulk_off */
#define PRIVSEP_PART_END 2u     /* every byte came: the message itself */
#define PRIVSEP_PART_ABANDON 3u /* the payload will never end: drop its state */

/* Handler return values: 0 sends the reply built in req; a positive
 * errno sends an error reply with req->detail; PRIVSEP_VIOLATION means
 * the request was malformed: the worker is killed. */
#define PRIVSEP_VIOLATION (-1)
typedef int (*privsep_handler_fn)(struct privsep_req *req, void *arg);

/* Handler flags. */
#define PRIVSEP_H_CALL 0x1u /* request with an id, gets exactly one reply */
#define PRIVSEP_H_POST 0x2u /* one-way: id 0, no reply */
#define PRIVSEP_H_ONCE 0x4u /* permitted once per worker, then revoked */
/* One-way from the helper to the worker (privsep_worker_post): an event.
 * The helper ignores fn; a worker whose client has the table runs fn
 * (with req->client set) when the event arrives. */
#define PRIVSEP_H_EVENT 0x8u
/* The message carries a bulk payload of at most bulk_max bytes in a
 * sealed memfd (docs/PROTOCOL.md, "Bulk payloads"); min/max_len and
 * min/max_fds bound the rest of the message, as for any type. */
#define PRIVSEP_H_BULK 0x10u
/* With PRIVSEP_H_BULK, on a call or a post from the worker: the handler
 * takes the bulk payload part by part, each part the helper's own copy
 * handed over while it is in the caches, and then the message
 * (privsep_req_part(3): req->part says which call it is).  A handler fed
 * a part is called again for that payload exactly once more with
 * PRIVSEP_PART_END or PRIVSEP_PART_ABANDON, unless it returned nonzero
 * for a part. */
#define PRIVSEP_H_PARTS 0x20u

/* One row of the dispatch table.  Write rows with designated
 * initializers; a field left out is 0:
 *   {.type = T_GET, .name = "get", .max_len = 64, .flags = PRIVSEP_H_CALL,
 *    .fn = on_get}
 * is a call of 0 to 64 payload bytes and no fds. */
struct privsep_handler {
	uint32_t type; /* >= PRIVSEP_TYPE_APP_MIN */
	const char *name;
	uint32_t min_len, max_len; /* payload bounds, inclusive */
	uint8_t min_fds, max_fds;  /* fd count bounds, inclusive */
	unsigned flags;            /* exactly one of CALL/POST/EVENT, maybe ONCE, BULK, PARTS */
	privsep_handler_fn fn;
	void *arg;
	uint64_t bulk_max; /* PRIVSEP_H_BULK: the largest bulk payload in bytes,
	                      at least 1; 0 without PRIVSEP_H_BULK */
};

/* A bulk payload to send: len bytes at data (borrowed; copied into a
 * sealed memfd before the call returns). */
struct privsep_bulk {
	const void *data;
	size_t len;
};

/* How a one-way message waits when the socket is full (privsep_out's
 * flags, for privsep_client_post only). */
#define PRIVSEP_POST_WAIT 0x0u   /* the default: block until it is sent */
#define PRIVSEP_POST_NOWAIT 0x1u /* queue it; EAGAIN when the queue is full */
/* Coalesce it with the posts before it into one BATCH record (an
 * application type with no fds and no bulk), sent when the next does not
 * fit, before any other record, and by privsep_client_flush or
 * privsep_client_dispatch: a program that batches flushes.  Waits as
 * PRIVSEP_POST_WAIT does when the batch must go and the socket is full. */
#define PRIVSEP_POST_BATCH 0x2u

/* One outgoing message, for privsep_client_call, privsep_client_post and
 * privsep_worker_post.  Everything is borrowed for the call only: data
 * is copied, fds are duplicated by the kernel (the caller still closes
 * its copies), a bulk payload is copied into a sealed memfd.  Write it
 * as a compound literal:
 *   privsep_client_call(c, &(struct privsep_out){.type = T_GET,
 *                                                .data = &q, .len = sizeof q},
 *                       &res);                                           */
struct privsep_out {
	uint32_t type;
	const void *data; /* payload, len bytes */
	size_t len;
	const int *fds; /* nfds fds, at most PRIVSEP_MAX_FDS (one fewer with a bulk) */
	size_t nfds;
	const struct privsep_bulk *bulk; /* PRIVSEP_H_BULK types only; NULL: none */
	unsigned flags;                  /* privsep_client_post: PRIVSEP_POST_WAIT (0) or
	                                    PRIVSEP_POST_NOWAIT; 0 for the other two */
};

/* ------------------------------------------------------------------ */
/* privsep_req_*: a received request, in a handler. */

/* In a handler: attach fd (taken) to the reply.  0, or -1 with errno
 * EMSGSIZE when the reply already carries PRIVSEP_MAX_FDS fds (fd is
 * closed).  In the helper, a reply with an fd that is not open or is one
 * of the helper's own is answered EBADF instead (logged; nothing sent). */
int privsep_req_reply_fd(struct privsep_req *req, int fd);
/* In a handler: take received fd i; the caller owns it.  -1 (EBADF) if
 * there is no such fd or it was taken already. */
int privsep_req_take_fd(struct privsep_req *req, size_t i);
/* In a handler: set the error detail (printf format); returns errnum so
 * a handler can write `return privsep_req_fail(req, EACCES, "...")` (a
 * handler's return value, not an error of this call).  Never fails. */
/* In a handler of a PRIVSEP_H_PARTS type: which call this is,
 * PRIVSEP_PART_BYTES (req->bulk: req->bulk_len bytes of the payload at
 * req->bulk_off of req->bulk_total, the helper's copy, valid until the
 * handler returns; none of the message's own id, payload or fds),
 * PRIVSEP_PART_END (the message, every byte fed: req->bulk NULL) or
 * PRIVSEP_PART_ABANDON (the payload will never end: drop what was kept
 * of it; the return value is ignored); PRIVSEP_PART_NONE (0) for every
 * other type (privsep_req_part(3)). */
unsigned privsep_req_part(const struct privsep_req *req);

int privsep_req_fail(struct privsep_req *req, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ------------------------------------------------------------------ */
/* privsep_helper_*: the helper, the privileged end.  It serves every
 * worker's requests from one event loop that never blocks. */

struct privsep_helper_config {
	size_t msg_max; /* record size limit; 0 = PRIVSEP_MSG_MAX_DEFAULT */
	/* NULL: privsep_helper_log_stderr, which never blocks.  A function
	 * of the application's runs in the helper's event loop: it must not
	 * block either (it may pass lines on to privsep_helper_log_stderr). */
	privsep_log_fn log;
	void *log_arg;
	/* Called once when a worker is gone (disconnected, killed, exited). */
	void (*on_worker_gone)(struct privsep_worker *w, void *arg);
	void *gone_arg;
	/* Called when a restart policy started a worker again (the new
	 * struct privsep_worker; the old one is gone). */
	void (*on_worker_restarted)(struct privsep_worker *w, void *arg);
	void *restarted_arg;
	/* One-way messages to one worker queued while its socket is full; a
	 * post over it fails with EAGAIN.  0 = 256. */
	size_t queue_max;
	/* Called when a worker's queue is empty again after a post to it
	 * failed with EAGAIN: the time to post again. */
	void (*on_worker_drained)(struct privsep_worker *w, void *arg);
	void *drained_arg;
	/* A spawned worker's standard error comes to the helper through a
	 * pipe; each line is logged through log with the worker's name, pid
	 * and a timestamp.  At most log_rate lines a second (bursts of
	 * log_burst) and at most log_byte_rate bytes a second (bursts of
	 * log_byte_burst, counted as the line is logged, escaped) per worker,
	 * the rest counted and dropped; lines longer than log_line_max bytes
	 * (at most 4000) are cut and marked.  0 = 100, 200, 65536, 262144,
	 * 1024.  The file broker's refusal lines for a worker have a limit of
	 * their own at the same rates. */
	unsigned log_rate, log_burst;
	size_t log_line_max;
	unsigned long log_byte_rate, log_byte_burst;
	/* Called when a replacement (privsep_worker_replace) is ready and
	 * takes over from old.  The application then ends old its own way
	 * (an event that tells it to finish what it serves and exit, then
	 * privsep_worker_stop after a deadline of its choice); old is never
	 * restarted.  NULL: the helper closes old's channel at once
	 * (privsep_worker_stop). */
	void (*on_worker_replaced)(struct privsep_worker *old, struct privsep_worker *w, void *arg);
	void *replaced_arg;
};

/* A helper serving the rows of table (borrowed; must outlive the
 * helper).  cfg may be NULL.  Fails with EINVAL for a msg_max outside
 * PRIVSEP_MSG_MAX_MIN..PRIVSEP_MSG_MAX_LIMIT or a bad table: a type in
 * the framework's range, a duplicate type, a NULL name, a NULL fn in a
 * row that is not an event, flags that are not exactly one of
 * CALL/POST/EVENT (ONCE on an event, an unknown bit), min over max,
 * bounds over the record limit or 4 fds (with PRIVSEP_H_BULK: 8 bytes
 * and 1 fd fewer), PRIVSEP_H_BULK with bulk_max 0, bulk_max without
 * PRIVSEP_H_BULK, or PRIVSEP_H_PARTS without PRIVSEP_H_BULK or on an
 * event.  ENOMEM. */
struct privsep_helper *privsep_helper_new(const struct privsep_handler *table, size_t n,
                                          const struct privsep_helper_config *cfg);

/* Stop serving, kill any worker still attached (SIGKILL through its
 * pidfd), close every fd the helper holds, free everything. */
void privsep_helper_free(struct privsep_helper *h);

/* The epoll fd that becomes readable when privsep_helper_step has work.
 * Borrowed: do not close.  Never fails. */
int privsep_helper_fd(const struct privsep_helper *h);

/* Wait up to timeout_ms (-1 forever, 0 not at all) and serve whatever is
 * ready.  Returns the number of workers still attached, or -1 (errno
 * from epoll_wait other than EINTR). */
int privsep_helper_step(struct privsep_helper *h, int timeout_ms);

/* Serve until no worker is attached and what workers wrote to their
 * standard output (stdout_copy) is copied (a stop signal does not wait
 * for it).  0, or -1 as privsep_helper_step. */
int privsep_helper_run(struct privsep_helper *h);

/* Number of workers attached (not those a pool keeps started ahead).
 * Never fails. */
size_t privsep_helper_nworkers(const struct privsep_helper *h);

/* Handle SIGINT, SIGTERM and SIGHUP through a signalfd in h's event loop
 * (no asynchronous handlers).  Blocks the three in the calling thread:
 * call it before starting threads.  SIGINT and SIGTERM stop the helper
 * (privsep_helper_stop); SIGHUP calls on_reload(h, arg) (may be NULL).
 * 0, or -1 with errno. */
int privsep_helper_signals(struct privsep_helper *h,
                           void (*on_reload)(struct privsep_helper *h, void *arg), void *arg);

/* What a helper did so far (privsep_helper_stats: every worker, live or
 * gone) or one worker (privsep_worker_stats).  The caller sets size to
 * sizeof(struct privsep_stats); the library fills the fields that fit
 * in it and sets size to what it filled, so that a program built with an
 * older, smaller struct keeps working when fields are added at its end. */
struct privsep_stats {
	size_t size;
	uint64_t calls;      /* requests that reached their handler (calls and one-way) */
	uint64_t refusals;   /* calls answered with an error (a handler's errno, or no
	                        room for the request's fds or bulk) */
	uint64_t violations; /* workers killed for a protocol violation or by their filter */
	uint64_t restarts;   /* workers started again by their restart policy (a worker:
	                        the restarts of its slot before it) */
	uint64_t queued;     /* messages waiting now in the workers' queues */
	uint64_t bytes_in;   /* record bytes received from workers (headers included) */
	uint64_t bytes_out;  /* record bytes sent to workers (replies and events) */
	uint64_t uptime_ms;  /* since privsep_helper_new, or since the worker's spawn */
	uint64_t workers;    /* workers attached (a worker: 1) */
	uint64_t ready;      /* of them, those that entered their sandbox (READY) */
};

/* Fill st (st->size set by the caller, at least through calls) with h's
 * counters: the live workers' and those of every worker gone.  No
 * allocation; the counting costs one increment per record.  0, or -1
 * with errno EINVAL (h or st NULL, st->size too small). */
int privsep_helper_stats(const struct privsep_helper *h, struct privsep_stats *st);

/* Take signo through the same signalfd, in h's event loop: fn(h, signo,
 * arg) runs there (fn NULL: the signal is taken and ignored).  For the
 * signals whose default ends the process and that report no fault:
 * SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGQUIT, SIGWINCH and the real-time
 * ones; at most 8.  Blocks signo in the calling thread: call it before
 * starting threads.  Again for the same signo replaces fn.  0, or -1
 * with errno (EINVAL another signal, ENOSPC, or signalfd's). */
int privsep_helper_on_signal(struct privsep_helper *h, int signo,
                             void (*fn)(struct privsep_helper *h, int signo, void *arg), void *arg);

/* Stop gracefully: no more restarts; every worker's channel is closed (its
 * calls fail with EPIPE), it has 1000 ms to exit, then SIGKILL.
 * privsep_helper_run returns once all are gone. */
void privsep_helper_stop(struct privsep_helper *h);

/* The signal that stopped h (SIGINT, SIGTERM), 0 if none.  A daemon exits
 * with 128 + this, as shells do.  Never fails. */
int privsep_helper_stop_signal(const struct privsep_helper *h);

/* Load a seccomp filter into the helper itself, from a policy file (NULL:
 * the shipped helper.policy, for a helper that serves its workers and the
 * file broker), checked and verified like a worker's.  The helper then
 * drops the capabilities only a spawn needs (cap_setuid, cap_setgid,
 * cap_setpcap, cap_sys_admin, cap_sys_chroot, cap_sys_resource) and
 * starts no worker any more: privsep_spawn fails with EPERM, logged, as
 * does a restart or a replacement.  For a helper that still starts
 * exec-mode workers once confined, privsep_helper_confine_flags with
 * PRIVSEP_CONFINE_EXEC_SPAWNS.  Call it before starting threads: with
 * another thread it changes nothing and fails with EBUSY (capabilities
 * and Landlock are a thread's).  0, or -1 with errno (the log says why). */
int privsep_helper_confine(struct privsep_helper *h, const char *policy, const char *policy_text);

/* privsep_helper_confine_flags's flags. */
/* Exec-mode workers are started after confining (a restart, a
 * replacement, a new privsep_spawn): fork the spawner. */
#define PRIVSEP_CONFINE_EXEC_SPAWNS 0x1u

/* privsep_helper_confine, with flags: 0 is privsep_helper_confine.  With
 * PRIVSEP_CONFINE_EXEC_SPAWNS, just before loading the filter the
 * helper forks its spawner: an unconfined process that keeps the
 * privileges a spawn needs and from then on starts every exec-mode
 * worker the helper asks for, as the helper's child (clone3 with
 * CLONE_PARENT), under the worker's own filters only, never the
 * helper's; the helper then drops the capabilities only a spawn needs
 * (cap_setuid, cap_setgid, cap_setpcap, cap_sys_admin, cap_sys_chroot,
 * cap_sys_resource).  So exec-mode workers are still started, restarted
 * and replaced, each violation named through the worker's own listener.
 * A fork-mode worker is not (EPERM, logged; a pending restart of one
 * fails, a later death is not restarted): its main would run in the
 * spawner's copy of the helper's memory from before.  The spawner dies
 * with the helper; if it is gone, no worker starts (ECHILD, logged).
 * Nor does it start one with less than a whole sandbox: unsandboxed,
 * PRIVSEP_SB_NO_NAMESPACES or a policy's "namespaces off" is EPERM,
 * logged.  Nor anything the helper could not have started at this call:
 * a program not open then (privsep_exec_open, or an exec-mode spawn's),
 * a policy no spawn had loaded then in that mode (or one of its name
 * that allows more: a reload may only narrow), a user no spawn nor
 * loaded policy named: EPERM, logged and on standard error.  A spawn
 * at the helper's fd limit (no room for the fds of the spawner's
 * answer) fails alone (EMFILE, logged), nothing cloned.
 * For fork-mode workers that must restart: give the restart policy a
 * restart_verdict that returns PRIVSEP_RESTART_STOP_ALL and exit
 * non-zero for a supervisor to start the whole daemon again, or stay
 * unconfined.  Without the flag there is no spawner (an unconfined
 * process with the helper's privileges kept for nothing): no worker
 * starts after it.  0, or -1 with errno (EINVAL also for an unknown
 * flag, and for a helper confined already with the other choice of
 * PRIVSEP_CONFINE_EXEC_SPAWNS: a second call asking what the first did
 * returns 0; the log says why). */
int privsep_helper_confine_flags(struct privsep_helper *h, const char *policy,
                                 const char *policy_text, unsigned flags);

/* Keep only the capabilities named (libcap names: "cap_dac_read_search",
 * "cap_net_bind_service", ...) in this process's permitted and effective
 * sets and its bounding set; inheritable and ambient emptied.  Call in the
 * helper once it has done what needed more, before starting threads:
 * capabilities are a thread's, so with another thread it changes nothing
 * and fails with EBUSY.  -1 with errno EINVAL for an unknown name, EBUSY,
 * EPERM when the process cannot. */
int privsep_helper_keep_caps(const char *const *names, size_t n);

/* In the helper: one line at level lvl to its standard error, as the
 * default log writes it, for an application's log function that filters
 * lines.  When standard error is the journal ($JOURNAL_STREAM names its
 * device and inode, systemd.exec(5)): "<N>privsep: LINE\n", N the
 * priority sd-daemon(3) reads (3 err, 4 warning, 6 info, 7 debug), no
 * time (the journal keeps it); otherwise "privsep: TIME LINE\n", TIME
 * in UTC as 2026-11-30T06:53:49.123Z, for helper and worker lines alike.
 * Never blocks: the helper looked at its standard error when it was made
 * and writes it without waiting (a socket with MSG_DONTWAIT, a pipe or a
 * terminal through a description of its own with O_NONBLOCK; the shared
 * description's flags never change).  What cannot be written now waits in
 * a 64 KiB buffer; a line that finds it full is dropped, and the count of
 * dropped lines and bytes is one line once writing resumes. */
void privsep_helper_log_stderr(struct privsep_helper *h, enum privsep_log_level lvl,
                               const char *line);
/* The same writer for an application's own lines (whole lines, as they
 * are, at most 16384 bytes; to the journal each line begins with lvl's
 * "<N>"): 0, or -1 with errno (ENOBUFS: dropped and counted; EINVAL). */
int privsep_helper_write_stderr(struct privsep_helper *h, enum privsep_log_level lvl,
                                const void *text, size_t len);
/* A privsep_log_fn that writes to syslog(3).  The application calls
 * openlog as it likes; with LOG_NDELAY before privsep_helper_confine,
 * since the helper's policy has no connect. */
void privsep_log_syslog(enum privsep_log_level lvl, const char *line, void *arg);

/* ------------------------------------------------------------------ */
/* privsep_worker_*: the helper's handle of one worker. */

/* Revoke type for worker w from now on.  Permits only narrow: there is no
 * way to grant a type again.  ENOENT if the type is not in the table. */
int privsep_worker_drop_permit(struct privsep_worker *w, uint32_t type);
/* 1 once a spawned worker has entered its sandbox (READY arrived), else
 * 0.  Never fails. */
int privsep_worker_ready(const struct privsep_worker *w);
/* 1 if type's permit still stands for w, 0 if it was dropped or used
 * (a one-shot type), or type is not in the table.  An event's permit is
 * never looked at (the worker never sends one): 1 until it is dropped.
 * Never fails. */
int privsep_worker_permitted(const struct privsep_worker *w, uint32_t type);
/* What the helper knows of a worker (borrowed strings).  Never fail. */
pid_t privsep_worker_pid(const struct privsep_worker *w);
const char *privsep_worker_name(const struct privsep_worker *w);
/* privsep_spawn's slot: the same for every restart of a worker.  Never
 * fails. */
unsigned privsep_worker_slot(const struct privsep_worker *w);
/* Application data attached to a worker.  Never fail. */
void privsep_worker_set_data(struct privsep_worker *w, void *data);
void *privsep_worker_data(const struct privsep_worker *w);
/* Drop the worker now: SIGKILL through its pidfd, channel closed; no
 * restart. */
void privsep_worker_kill(struct privsep_worker *w);
/* Stop the worker gracefully, as privsep_helper_stop stops each: its
 * channel is closed (its calls fail with EPIPE), it has 1000 ms to exit,
 * then SIGKILL; its restart policy applies to how it ends (a clean exit
 * is not restarted).  Nothing when it is closing or gone already. */
void privsep_worker_stop(struct privsep_worker *w);

/* Fill st with w's own counters, as privsep_helper_stats.  0, or -1
 * with errno EINVAL. */
int privsep_worker_stats(const struct privsep_worker *w, struct privsep_stats *st);

/* Send an event (out->type a PRIVSEP_H_EVENT type of the table) to
 * worker w, with out->fds and, for a PRIVSEP_H_BULK type, out->bulk.
 * Never blocks: when the socket is full the message is queued, in order;
 * when the queue holds queue_max, -1 with EAGAIN (on_worker_drained says
 * when to try again).  out->flags must be 0 (a helper that waited for one
 * worker would stall the others, and deadlock with a worker that waits to
 * send to it).  0, or -1 with errno: EINVAL (out NULL, flags not 0, type
 * not an event of the table, sizes or fds outside its row, bulk missing
 * or not expected), EBADF (an fd of out->fds not open, or one of the
 * helper's own: nothing sent, the worker untouched), EMSGSIZE (a bulk
 * over the row's bulk_max, a record over the limit), EPIPE (the worker
 * is gone), ENOMEM, or the memfd's errno. */
int privsep_worker_post(struct privsep_worker *w, const struct privsep_out *out);
/* Messages queued for w (its socket was full).  Never fails. */
size_t privsep_worker_queued(const struct privsep_worker *w);

/* How a worker ended (valid in on_worker_gone). */
enum privsep_exit_kind {
	PRIVSEP_EXIT_UNKNOWN,   /* no pidfd, or not the helper's child */
	PRIVSEP_EXIT_STATUS,    /* exit() with status */
	PRIVSEP_EXIT_SIGNAL,    /* killed by a signal not from the helper */
	PRIVSEP_EXIT_SECCOMP,   /* killed by its seccomp filter */
	PRIVSEP_EXIT_VIOLATION, /* killed by the helper for a protocol violation */
	PRIVSEP_EXIT_SANDBOX,   /* a sandbox step failed; application code never ran */
	PRIVSEP_EXIT_KILLED,    /* killed by the helper: stop, kill, or no exit after EOF */
	PRIVSEP_EXIT_STOPPED,   /* found stopped (SIGSTOP from anyone) and killed by the helper */
};

struct privsep_exit_info {
	enum privsep_exit_kind kind;
	/* Whatever the kind: status when
	 * the process exited (PRIVSEP_EXIT_SANDBOX: 127), signal when a
	 * signal killed it (PRIVSEP_EXIT_VIOLATION, _KILLED: SIGKILL); 0
	 * otherwise.  PRIVSEP_EXIT_SECCOMP: signal is SIGSYS, also in the
	 * debug mode where the worker exits with status 128 + 31 itself. */
	int status;
	int signal;
	int syscall; /* PRIVSEP_EXIT_SECCOMP: the number, -1 unknown */
	/* its name; for a call the filter's architecture check refused,
	 * "ARCH:NAME" ("i386:open" through int 0x80, "x32:read"), syscall
	 * then being the number as the kernel reported it (x32's with its
	 * 0x40000000 bit) */
	char syscall_name[32];
	/* args hold the call's arguments, as the kernel's notification (or
	 * the debug mode's trap) reported them; 0 for a kill no listener
	 * hears (a filter the helper confined itself with, which a worker
	 * started after it inherits) */
	int have_args;
	uint64_t args[6];
	enum privsep_violation violation; /* PRIVSEP_EXIT_VIOLATION */
	int step;                         /* PRIVSEP_EXIT_SANDBOX */
	char line[512];                   /* the one line the helper logged */
	/* PRIVSEP_EXIT_STOPPED: the signal that stopped it, or SIGCONT when it
	 * was continued before the helper looked (signal is SIGKILL) */
	int stop_signal;
};

/* The exit of w (borrowed; valid in on_worker_gone).  Never fails. */
const struct privsep_exit_info *privsep_worker_exit_info(const struct privsep_worker *w);

/* A worker spawned with PRIVSEP_SB_LEARN: write to fd a proposed policy,
 * in the policy language: its policy's own text (or an include of its
 * file), then "allow SYSCALL because "learned; review"" for each call it
 * made that the policy would have killed, after a comment with the
 * argument values seen (a call the policy has conditional rules for gets
 * the comment only).  Valid until w is freed (in on_worker_gone too).
 * 0, or -1 with errno (EINVAL: not a learning worker). */
int privsep_worker_learned(const struct privsep_worker *w, int fd);

/* ------------------------------------------------------------------ */
/* privsep_client_*: the worker's end of the channel.  Calls wait for
 * their reply; posts are one-way; events from the helper run the
 * table's handlers.  Safe to use from many threads at once. */

struct privsep_client_config {
	size_t msg_max;     /* must equal the helper's; 0 = default */
	privsep_log_fn log; /* NULL = standard error */
	void *log_arg;
	/* The table whose PRIVSEP_H_EVENT rows the worker accepts, running
	 * their fn (NULL: no event accepted; privsep_spawn passes the
	 * helper's table when this is NULL). */
	const struct privsep_handler *table;
	size_t n;
	/* One-way messages queued while the socket is full
	 * (PRIVSEP_POST_NOWAIT).  0 = 256. */
	size_t queue_max;
};

/* A client on channel fd (taken: closed on failure too).  cfg may be
 * NULL.  NULL on ENOMEM, EINVAL (fd negative; msg_max out of range; a
 * table privsep_helper_new would refuse: a bad row, a type in two rows).
 * The fd itself is not looked at: one that is not open fails the first
 * call or post (EBADF).  With a table, every call and post of an application type is
 * checked against its row before it is sent (docs/PROTOCOL.md section 5). */
struct privsep_client *privsep_client_new(int fd, const struct privsep_client_config *cfg);
/* Close the channel and free.  No call may be in progress.  Posts still
 * queued or batched (privsep_client_queued) are sent when the socket
 * takes them at once, never waited for; the rest are dropped, said in
 * one line on the client's log: privsep_client_flush first to wait. */
void privsep_client_free(struct privsep_client *c);
/* The channel fd, for poll(POLLIN/POLLHUP) in an event loop.  Borrowed.
 * Never fails. */
int privsep_client_fd(const struct privsep_client *c);

/* A call's answer.  data/cap are the caller's buffer for the reply body;
 * on return len is the body's length and fds the received fds (the caller
 * owns them, close-on-exec).  After a failed call refused says who failed
 * it, and detail why:
 *  - refused 1: the helper refused the call; errno is the helper's errno
 *    and detail its explanation (for a policy denial: which rule);
 *  - refused 0: a local failure; detail names the rule of the client's
 *    table that the call broke (nothing was sent), else it is empty. */
struct privsep_result {
	void *data;
	size_t cap;
	size_t len;
	int fds[PRIVSEP_MAX_FDS];
	size_t nfds;
	int refused;
	char detail[PRIVSEP_DETAIL_MAX];
};

/* Send the call out (an application call type of the table, or a
 * framework call) and wait for its reply.  out->flags must be 0.  0 on
 * success; -1 with errno on any failure:
 *  the helper's errno  the helper refused the call (res->refused = 1,
 *            res->detail says why; EACCES for a policy denial, ...);
 *  EINVAL    bad arguments (out or res NULL, res->data NULL with a cap,
 *            flags not 0, type 0), or a record the client's table forbids
 *            (a type not in it, not a call, a length, fd count or bulk
 *            payload outside its row): nothing is sent, res->detail names
 *            the rule;
 *  EMSGSIZE  the request does not fit the record limit, a bulk payload is
 *            over its row's bulk_max (nothing sent, res->detail names the
 *            rule), or the reply does not fit res->cap (its fds closed);
 *  EMFILE    the reply's fds could not all be received (all closed);
 *  EDEADLK   called from an event handler of the same client;
 *  EPIPE     the helper is gone;
 *  EPROTO    the helper broke the protocol (logged; the client is dead).
 * res->refused is 0 for every local failure. */
int privsep_client_call(struct privsep_client *c, const struct privsep_out *out,
                        struct privsep_result *res);

/* The end of an asynchronous call: error 0 on success, else the errno
 * privsep_client_call would have failed with (res->refused and
 * res->detail as it sets them).  res is the caller's, filled as
 * privsep_client_call fills it; on success the fds in it are the
 * callee's to close. */
typedef void (*privsep_done_fn)(struct privsep_result *res, int error, void *arg);

/* Send a call as privsep_client_call does, but do not wait for its
 * reply: done(res, error, arg) runs once when it comes (or when the
 * client dies: EPIPE, EPROTO), like an event's handler, in the thread
 * that reads it (privsep_client_dispatch, or a synchronous call waiting
 * for its own reply), with no lock held; it may start other asynchronous
 * calls, not wait for one.  res (and res->data) must stay valid until
 * then.  Never waits: a call the socket cannot take now is queued (as a
 * PRIVSEP_POST_NOWAIT post, sent by the next dispatch, flush or call).
 * Many calls may be in flight at once; the helper answers them one at a
 * time, in order.  *id (id may be NULL) gets the call's id, for
 * privsep_client_cancel.  0: done will run; -1 with errno, and done will
 * never run: as privsep_client_call (EINVAL, EMSGSIZE with res->detail,
 * EPIPE, EPROTO), EAGAIN (queue_max records already queued), ENOMEM,
 * EBUSY (as privsep_client_post's NOWAIT post). */
int privsep_client_call_async(struct privsep_client *c, const struct privsep_out *out,
                              struct privsep_result *res, privsep_done_fn done, void *arg,
                              uint32_t *id);

/* Forget an asynchronous call in flight: its done will not run and its
 * res is no longer used; its reply, when it comes, is dropped (its fds
 * closed).  0, or -1 with errno ENOENT: no such call in flight (its done
 * has run, or is running in another thread). */
int privsep_client_cancel(struct privsep_client *c, uint32_t id);

/* Send a one-way message (an application post type).  out->flags
 * PRIVSEP_POST_WAIT (0) blocks while the socket is full;
 * PRIVSEP_POST_NOWAIT queues the message (in order, sent by later calls,
 * posts, privsep_client_dispatch or privsep_client_flush) and fails with
 * EAGAIN when queue_max are queued; PRIVSEP_POST_BATCH adds it to the
 * client's batch (above).  In an event handler WAIT acts as NOWAIT.  0,
 * or -1 with errno (EINVAL, EMSGSIZE, EAGAIN, EPIPE, EPROTO,
 * as privsep_client_call; EBUSY: a NOWAIT post of a PRIVSEP_H_PARTS
 * type while another thread sends a payload of that type in parts,
 * nothing sent).  A record the client's table forbids is not
 * sent (EINVAL, or EMSGSIZE for a bulk payload over bulk_max), and one
 * line of the client's log names the rule. */
int privsep_client_post(struct privsep_client *c, const struct privsep_out *out);

/* Echo data through the helper (PRIVSEP_T_PING); the echo arrives in res.
 * Returns as privsep_client_call. */
int privsep_client_ping(struct privsep_client *c, const void *data, size_t len,
                        struct privsep_result *res);

/* Give up the listed types for good (PRIVSEP_T_PERMIT_DROP): application
 * calls and posts, PING, PERMIT_DROP and the file broker's types.  The
 * helper refuses the whole list with EINVAL, dropping nothing, if one is
 * not in its table, is an event or is a start-up message (SANDBOX_FAILED,
 * SECCOMP_TRAP, READY).  0, or -1 with errno as privsep_client_call (the
 * helper's EINVAL for a refused list, res->refused 1 and its detail;
 * EINVAL for n 0 or over 256 or types NULL, not sent).  res (may be NULL) as
 * privsep_client_ping's, its data unused. */
int privsep_client_drop_permits(struct privsep_client *c, const uint32_t *types, size_t n,
                                struct privsep_result *res);

/* For a worker's event loop: send what is queued, then receive what has
 * arrived within timeout_ms (-1 forever, 0 not at all) and run the
 * events' handlers (replies go to the calls waiting for them).  The
 * number of events handled, or -1 with errno (EPIPE, EPROTO). */
int privsep_client_dispatch(struct privsep_client *c, int timeout_ms);
/* Send what is queued (the batch of PRIVSEP_POST_BATCH posts first),
 * waiting up to timeout_ms.  0 when nothing is left queued, -1 with errno
 * (EAGAIN: still queued; EPIPE). */
int privsep_client_flush(struct privsep_client *c, int timeout_ms);
/* Messages queued (the socket was full), and 1 for a batch not sent yet.
 * Never fails. */
size_t privsep_client_queued(struct privsep_client *c);

/* In a worker: one line to standard error, which for a spawned worker is
 * the pipe to the helper's log (PRIVSEP_LOG_ERR ... DEBUG).  Newlines in
 * the text become spaces: one call, one line. */
void privsep_log(enum privsep_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------------ */
/* privsep_sandbox_*: the worker's sandbox.  A zeroed struct is the strictest
 * configuration; docs and SECURITY.md give the order of the steps. */

#define PRIVSEP_SANDBOX_KEEP_MAX 16
#define PRIVSEP_UNLIMITED (~0ul)
#define PRIVSEP_SB_NO_NAMESPACES 0x1u /* root: no new namespaces, no chroot */
#define PRIVSEP_SB_DEBUG 0x2u         /* seccomp traps and reports instead of killing */
#define PRIVSEP_SB_NULL_STDIO 0x4u    /* stderr from /dev/null too (no log pipe, no stdout_copy) */
/* Learn mode, NOT a security boundary: every step, but each call the
 * policy would kill is let through and recorded with its arguments
 * (privsep_worker_learned writes the proposal).  Not with _DEBUG. */
#define PRIVSEP_SB_LEARN 0x8u

struct privsep_sandbox {
	/* The worker's policy file (docs/POLICY.md): its syscalls, and its
	 * user, limits and namespaces.  NULL: the shipped default.policy.
	 * The fields below only narrow it: where both set a limit the lower
	 * one applies, and where both name a user they must agree. */
	const char *policy;
	/* The policy's text itself, when not read from a file (policy then
	 * names it in messages, and relative includes are relative to it). */
	const char *policy_text;
	unsigned flags; /* PRIVSEP_SB_* */
	/* user name or numeric uid; NULL: the policy's, or (root helper) a
	 * uid and gid of the worker's own from 61184-65519 */
	const char *user;
	const int *keep_fds;  /* fds the worker keeps besides 0-2 and its channel */
	size_t nkeep;         /* at most PRIVSEP_SANDBOX_KEEP_MAX */
	unsigned long nofile; /* RLIMIT_NOFILE; 0: the policy's, or 64 */
	/* RLIMIT_NPROC; 0: the policy's, or 0.  It counts every process and
	 * thread of the worker's user on the machine, so 0 means the worker
	 * can start no thread; the filter forbids new processes anyway. */
	unsigned long nproc;
	/* RLIMIT_FSIZE and RLIMIT_AS in bytes; 0: the policy's (default.policy:
	 * 1 GiB each), or unlimited.  The address space counts what the
	 * worker inherits from the helper through fork. */
	unsigned long fsize;
	unsigned long as;
};

/* The steps, in the order they are taken. */
enum privsep_sandbox_step {
	PRIVSEP_SB_STEP_FDS = 1,
	PRIVSEP_SB_STEP_RLIMITS,
	PRIVSEP_SB_STEP_NAMESPACES,
	PRIVSEP_SB_STEP_SECUREBITS,
	PRIVSEP_SB_STEP_IDS,
	PRIVSEP_SB_STEP_CAPS,
	PRIVSEP_SB_STEP_PROCESS,
	PRIVSEP_SB_STEP_NNP,
	PRIVSEP_SB_STEP_LANDLOCK,
	PRIVSEP_SB_STEP_SELFCHECK,
	PRIVSEP_SB_STEP_SECCOMP,
	/* exec mode (struct privsep_exec): the execveat of the worker's
	 * program, and the new image's narrowing before READY */
	PRIVSEP_SB_STEP_EXEC,
	PRIVSEP_SB_STEP_NARROW,
};
/* One line on what Landlock enforces on this kernel ("Landlock ABI 7: no
 * filesystem access ..."), as workers get it, into buf (len bytes with
 * the NUL, cut to fit).  Never fails. */
void privsep_sandbox_describe(char *buf, size_t len);

/* "fds", "rlimits", ... "seccomp"; "unknown" otherwise.  Never fails. */
const char *privsep_sandbox_step_name(int step);

/* ------------------------------------------------------------------ */
/* privsep_spawn: starting a worker. */

typedef int (*privsep_main_fn)(struct privsep_client *c, void *arg);

/* restart_max: restart as often as it fails (each time after its
 * back-off). */
#define PRIVSEP_RESTART_FOREVER (~0u)

/* What becomes of a worker of a restart policy that is gone. */
enum privsep_restart_verdict {
	PRIVSEP_RESTART = 1,      /* started again after its back-off */
	PRIVSEP_RESTART_GIVE_UP,  /* not again; the other workers go on */
	PRIVSEP_RESTART_STOP_ALL, /* the helper stops (privsep_helper_stop) */
};

struct privsep_spawn {
	const char *name;     /* for log lines; copied */
	privsep_main_fn main; /* fork mode: runs in the child; its return is the exit status */
	void *arg;
	struct privsep_client_config client;   /* msg_max is taken from the helper */
	const struct privsep_sandbox *sandbox; /* NULL: the defaults */
	/* 1: run main with the helper's privileges and no sandbox at all.  For
	 * tests and debugging only; the helper logs a warning. */
	int unsandboxed;
	/* A worker's fds 0, 1 and 2 are never the helper's (a terminal, a
	 * socket, the helper's log): standard input and output are /dev/null,
	 * standard error a pipe to the helper, which logs each line with the
	 * worker's name and pid (privsep_helper_config's log_*).
	 * stdout_copy 1: standard output is a pipe too, whose bytes the helper
	 * copies to its own standard output (a command-line tool whose worker
	 * prints its result), never waiting on it: when the helper's output
	 * is slow the worker waits on its pipe.  To a terminal, control bytes
	 * arrive escaped (\xNN; newline and tab kept). */
	int stdout_copy;
	/* Restart policy: a worker that fails (exit status other than 0, a
	 * signal, its filter, a protocol violation, no exit after EOF) while
	 * the helper is not stopping is started again, at most restart_max
	 * times (PRIVSEP_RESTART_FOREVER: no limit), after restart_backoff_ms
	 * (0: 100 ms) doubled at each restart (at most 30 s).  Not restarted:
	 * exit 0, a failed sandbox step (it would fail again),
	 * privsep_worker_kill.  0: never.  The name is copied; sandbox and
	 * its keep_fds (the same fds, still open) and arg are borrowed for as
	 * long as restarts may happen. */
	unsigned restart_max;
	unsigned restart_backoff_ms;
	/* A worker that ran at least this long before it failed was healthy:
	 * its restart count and back-off start over.  0 = 10 s. */
	unsigned restart_reset_ms;
	/* With a restart policy: asked once each time the worker is gone
	 * while the helper is not stopping (after on_worker_gone, w and its
	 * exit info still valid), with the verdict the policy above proposes
	 * (PRIVSEP_RESTART or PRIVSEP_RESTART_GIVE_UP); returns the one that
	 * applies.  PRIVSEP_RESTART is honoured for any exit but a failed
	 * sandbox step and privsep_worker_kill, within restart_max, by a
	 * helper not confined or, once confined, for an exec-mode worker
	 * while the spawner lives (else it is PRIVSEP_RESTART_GIVE_UP,
	 * logged; privsep_helper_confine says why); PRIVSEP_RESTART_STOP_ALL
	 * stops the helper (privsep_helper_stop; the log says which worker
	 * asked).  NULL: the proposal applies.  Not asked for a restart that
	 * failed to start: that counts as a death, within the limit. */
	enum privsep_restart_verdict (*restart_verdict)(struct privsep_worker *w,
	                                                enum privsep_restart_verdict proposed,
	                                                void *arg);
	void *verdict_arg;
	/* The application's number for this worker, the same for every
	 * restart of it (privsep_worker_slot): an application with N workers
	 * of one kind finds which one a restarted worker replaces. */
	unsigned slot;
	/* NULL: fork mode, main runs in a copy of the helper (its heap,
	 * stack, environment, canary and layout: SECURITY.md).  Otherwise
	 * exec mode: the program is executed (main is then unused) from a
	 * fresh image; borrowed, as sandbox, for as long as restarts may
	 * happen. */
	const struct privsep_exec *exec;
	/* Spawn-ahead: keep this many workers of this spawn (the same name,
	 * main, arg, client, sandbox, exec and stdout_copy) started ahead
	 * (at most 64), each in its own sandbox, checked at READY, waiting
	 * there (READY's reply held back: no application code runs in it).
	 * privsep_spawn and a restart of this spawn are handed one at the
	 * cost of a send, and the event loop starts its replacement; a cold
	 * start when none is ready.  0: none, a start at each spawn.  A
	 * pooled worker that dies is replaced, never handed out, and the
	 * application never hears of it; pooled workers count in no
	 * privsep_helper_nworkers.  Fork mode: the pooled child is a copy of
	 * the helper as it was when it was started, arg's memory too.
	 * Borrowed, like a restart's: sandbox, exec and arg, as long as the
	 * helper lives.  Not with unsandboxed (EINVAL). */
	unsigned pool;
};

/* ------------------------------------------------------------------ */
/* Exec mode (docs/PROTOCOL.md, "Starting a worker by exec"). */

/* The channel's fd in an executed worker. */
#define PRIVSEP_EXEC_CHAN_FD 3
/* argv[1] of a daemon that executes its own binary as its worker. */
#define PRIVSEP_EXEC_MARKER "--privsep-worker"
/* The program does not narrow its sandbox itself (it is not built on
 * libprivsep's privsep_client_main: a worker in another language); the
 * helper then expects one filter, not two, at READY. */
#define PRIVSEP_EXEC_FOREIGN 0x1u

struct privsep_exec {
	int fd; /* privsep_exec_open's (borrowed): what runs, whatever the path holds later */
	/* argv and the environment of the program (borrowed, NULL-ended);
	 * argv NULL: { name, NULL }; envp NULL: empty */
	const char *const *argv;
	const char *const *envp;
	unsigned flags; /* PRIVSEP_EXEC_* */
	/* Directories and files the new image may read until it narrows
	 * (a foreign worker: for good), besides its libraries' (/usr, /lib,
	 * /lib64, /etc/ld.so.cache and libprivsep's own directory); from a
	 * root helper, with those, all its root holds (at most 32 paths). */
	const char *const *read_beneath;
	size_t nread;
};

/* An fd of the program at path (NULL: this process's own binary) for
 * struct privsep_exec, opened now: a file later put at path is never
 * what runs.  Close-on-exec; the caller closes it.  The open never waits
 * (no writer of a FIFO, no lease's break): what is not a regular file
 * fails (EACCES; a socket: open's ENXIO).  -1 with errno. */
int privsep_exec_open(const char *path);

/* In an executed worker, at the top of main: 1 when argv[1] is
 * PRIVSEP_EXEC_MARKER and fd PRIVSEP_EXEC_CHAN_FD is a SOCK_SEQPACKET
 * socket (a helper started this process as its worker), else 0. */
int privsep_exec_is_worker(int argc, char **argv);

/* In an executed worker: take the channel on PRIVSEP_EXEC_CHAN_FD, finish
 * the sandbox (dumpable off, a second Landlock layer with no file right,
 * a second filter under which any execve, execveat, open and executable
 * mapping fails, or kills where the policy denies it), send READY and
 * wait for the helper's check, then run fn(client, arg) and exit with
 * its return value.  cfg as privsep_client_new's (msg_max must be the
 * helper's).  Never returns: a failed step reports SANDBOX_FAILED and
 * exits with status 127 before fn runs. */
__attribute__((noreturn)) void privsep_client_main(const struct privsep_client_config *cfg,
                                                   privsep_main_fn fn, void *arg);

/* A program whose whole main is the worker function fn. */
#define PRIVSEP_CLIENT_MAIN(fn)                                                                    \
	int main(void)                                                                             \
	{                                                                                          \
		privsep_client_main(NULL, (fn), NULL);                                             \
	}

/* Fork a worker attached to h: a new channel, a pidfd; in the child the
 * sandbox (every step, in order; any failure aborts the child before main
 * runs, and the helper logs which step and why), then the client on its
 * end and main(client, arg); the child exits with main's return value.
 * With sp->exec (exec mode) the child executes the program after the
 * sandbox's steps instead, and the program's privsep_client_main takes
 * over (main may be NULL).
 * Returns the worker, or NULL with errno (EINVAL for a sandbox that
 * cannot be prepared, EBADF for a keep_fds entry that is not open: the
 * log says why; privsep_spawn(3) lists the rest). */
struct privsep_worker *privsep_spawn(struct privsep_helper *h, const struct privsep_spawn *sp);

/* Replace worker old by a new one started from sp (a reload: a new
 * policy, new arguments), without a moment with neither: the new worker
 * starts now; once the helper has checked its sandbox (READY), it takes
 * over: old's channel is closed (as privsep_helper_stop closes each:
 * 1000 ms to exit, then SIGKILL), old is never restarted, and the new
 * one has sp's restart policy and slot.  Until then old serves as
 * before.  When the new one ends before it is ready (its policy or
 * sandbox failed: logged), old stays as it was, with its own restart
 * policy (one line says so; the new one's on_worker_gone is called);
 * when old ends first, the new one takes its place.  sp as privsep_spawn
 * (sandboxed: READY is what it waits for).  The new worker (not ready
 * yet: privsep_worker_ready), or NULL with errno: privsep_spawn's (old
 * untouched, the log says why), EBUSY (a replacement of old is already
 * starting, or old is one), EPIPE (old is gone or closing, or the
 * helper is stopping), EINVAL (NULL, unsandboxed). */
struct privsep_worker *privsep_worker_replace(struct privsep_worker *old,
                                              const struct privsep_spawn *sp);

/* ------------------------------------------------------------------ */
/* privsep_fs_*: the file broker, the worker's side.  The worker asks;
 * the helper checks the path and flags against the file rules of the
 * worker's policy (path, beneath), opens race-free, and passes the fd
 * back.  Each call returns -1 with errno on failure (EACCES denied,
 * EINVAL malformed, ENOENT, ENAMETOOLONG, or any error of
 * privsep_client_call) and, when res is not NULL, says why as
 * privsep_client_call does: res->refused 1 and res->detail the helper's
 * explanation (which rule denied, or that no rule allows the path), or
 * res->refused 0 for a local failure.  res->data and res->cap are not
 * used; res->len and res->fds are not filled. */

struct stat;
/* An fd for path opened with flags (the mode of a created file is the
 * rule's); close-on-exec; the caller owns it. */
int privsep_fs_open(struct privsep_client *c, const char *path, int flags,
                    struct privsep_result *res);
/* The same open as an asynchronous call (privsep_client_call_async):
 * done runs with error 0 and the fd in res->fds[0] (res->nfds 1), or
 * with the errno privsep_fs_open would have set.  res->data and res->cap
 * are not used.  0, or -1 with errno (done will never run). */
int privsep_fs_open_async(struct privsep_client *c, const char *path, int flags,
                          struct privsep_result *res, privsep_done_fn done, void *arg,
                          uint32_t *id);
/* privsep_fs_open, and *st the stat of the fd it returns: dev, ino,
 * mode, nlink, uid, gid, size and mtime (the rest 0), as fstat(2) gave
 * them to the helper right after it opened that very fd and checked it
 * was the file it looked at (protocol revision 1.6), so the caller need
 * not fstat it again.  A snapshot, as any fstat: what a writer changes
 * later is not in it.  The fd, or -1 with errno as privsep_fs_open
 * (EINVAL for st NULL; EPROTO when the helper's answer carries no stat). */
int privsep_fs_open_stat(struct privsep_client *c, const char *path, int flags, struct stat *st,
                         struct privsep_result *res);
/* The same as an asynchronous call: when done runs with error 0, the fd
 * is in res->fds[0] and *st is filled.  res->data and res->cap are set
 * here (to st: the answer's stat lands there); st, like res, must stay
 * valid until done runs.  0, or -1 with errno (done will never run). */
int privsep_fs_open_stat_async(struct privsep_client *c, const char *path, int flags,
                               struct stat *st, struct privsep_result *res, privsep_done_fn done,
                               void *arg, uint32_t *id);
/* stat(2) of path: dev, ino, mode, nlink, uid, gid, size and mtime.  0. */
int privsep_fs_stat(struct privsep_client *c, const char *path, struct stat *st,
                    struct privsep_result *res);
/* readlink(2) of path into buf (not NUL-terminated); its length. */
ssize_t privsep_fs_readlink(struct privsep_client *c, const char *path, char *buf, size_t len,
                            struct privsep_result *res);
/* 0 when the broker would grant mode (R_OK, W_OK; F_OK 0) on path. */
int privsep_fs_access(struct privsep_client *c, const char *path, int mode,
                      struct privsep_result *res);

/* ------------------------------------------------------------------ */
/* privsep_policy_*: policy text built by a program (a daemon's rules from
 * its command line), read back by the parser exactly as meant. */

/* The longest string privsep_policy_quote takes (PATH_MAX less its NUL). */
#define PRIVSEP_POLICY_STRING_MAX 4095
/* The longest line the parser reads (without its newline). */
#define PRIVSEP_POLICY_LINE_MAX 8191

/* s as a policy string (docs/POLICY.md): "s", with \" and \\ escaped,
 * into buf (len bytes with the NUL).  Its length, or -1 with errno:
 * EINVAL for NULL, an empty s or a byte below 0x20 (the language has no
 * escape for them; a newline would end the rule and begin another),
 * ENAMETOOLONG for more than PRIVSEP_POLICY_STRING_MAX bytes, ERANGE
 * when len is too small (2 * strlen(s) + 3 always is enough). */
int privsep_policy_quote(const char *s, char *buf, size_t len);

/* Append one line to the policy text *text (malloc'd, the caller frees
 * it; *text NULL: a new text, begun with "version 1"): directive, then s
 * quoted (NULL: none), then rest (NULL: none).  For example
 * ("beneath", root, "allow read symlinks"), ("include", file, NULL),
 * ("include", NULL, "<httpd.policy>").  directive is one bare word
 * (a-z, 0-9, _); rest is the caller's words, with no byte below 0x20,
 * no DEL, no '"' and no '#'.  0, or -1 with errno as
 * privsep_policy_quote (EINVAL also for a directive or rest that would
 * say more than one line, or neither s nor rest; ENAMETOOLONG also for a
 * line over PRIVSEP_POLICY_LINE_MAX once quoted), *text unchanged. */
int privsep_policy_append(char **text, const char *directive, const char *s, const char *rest);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif
#endif /* PRIVSEP_H */
