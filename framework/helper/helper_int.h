/* SPDX-License-Identifier: ISC */
/*
 * helper_int.h - internal: what other framework files and the fuzz
 * targets need of the helper.
 */
#ifndef PRIVSEP_HELPER_INT_H
#define PRIVSEP_HELPER_INT_H

#include <signal.h>
#include <sys/types.h>

#include "clock.h"
#include "logline.h"
#include "outq.h"
#include "proto.h"
#include "region.h"
#include "rxbatch.h"
#include "sandbox_verify.h"
#include "privsep.h"
#include "sink.h"

/* After a worker closes its channel it has this long to exit. */
#define HELPER_EXIT_GRACE_MS 1000
/* A SIGKILL that could not be sent is tried again this often. */
#define HELPER_KILL_RETRY_MS 100
/* Workers are looked at this often for a stop (SIGSTOP and the like):
 * the kernel tells a parent of a stop only by SIGCHLD or waitid, and a
 * pidfd does not become readable for it. */
#define HELPER_STOP_CHECK_MS 200
/* Signals privsep_helper_on_signal takes, at most. */
#define HELPER_SIGNALS_MAX 8
/* Workers of answers cut to no fd the helper waits to reap at once
 * (spawner.c); one more is left a zombie, said in a line. */
#define SPAWNER_ORPHANS_MAX 16
/* How long the helper waits for the spawner to end (killed, or its
 * socket closed) before it leaves the rest to a later turn of its loop
 * (spawner.c): the helper never blocks on it. */
#define SPAWNER_GONE_MS 1000

enum tag_kind {
	TAG_CHAN,
	TAG_PIDFD,
	TAG_SIGNAL,
	TAG_LOG,
	TAG_SINK_ERR,
	TAG_SINK_OUT,
	TAG_WOUT,
	TAG_WATCH,
	TAG_UNOTIFY,
	TAG_KICK /* rxbatch.c: a worker's stashed records wait for a turn */
};

/* Two token buckets: log_rate lines a second in bursts of log_burst, and
 * log_byte_rate bytes a second in bursts of log_byte_burst; a line passes
 * when both have room for it. */
struct log_bucket {
	int64_t tokens;           /* thousandths of a line */
	int64_t btokens;          /* thousandths of a byte */
	int64_t refill_ms;        /* when tokens were last added */
	unsigned long drop;       /* lines dropped since the last report */
	unsigned long long dropb; /* and their bytes */
};
struct tag {
	struct privsep_worker *w;
	enum tag_kind kind;
};

/* Each part of a worker's state is owned by the module that writes it;
 * the others read it.  The registry's and dispatch's own fields come
 * first. */

/* registry.c: the end of the process, as the helper sees it */
struct worker_reap {
	int killed;         /* SIGKILL sent */
	int want_kill;      /* SIGKILL asked for */
	int grace_expired;  /* killed for not exiting within the grace; logged then */
	int kill_failed;    /* SIGKILL attempts that failed */
	int64_t kill_at_ms; /* closing: SIGKILL at this time; 0 none */
	int exited, exit_code, exit_status;
	int finalize;
};

/* log.c: the read end of the worker's standard error */
struct worker_log {
	int fd;
	char *buf; /* log_line_max bytes: the line so far */
	size_t len;
	int cut;                  /* the line was cut: skip to its end */
	struct log_bucket rl;     /* the rate limit of its lines */
	struct log_bucket denyrl; /* and of the broker's refusal lines for it */
	struct tag tag;
};

/* exit.c: what the worker and the kernel reported, and how it ended */
struct worker_exit {
	struct privsep_exit_info info;
	int sb_failed, sb_errno;
	char sb_detail[PRIVSEP_DETAIL_MAX];
	int trapped;
	uint32_t trap_arch;
	int kmsg_readable;
	int ready; /* READY arrived */
};

/* helper.c: what it was served (privsep_worker_stats); plain increments */
struct worker_stats {
	uint64_t calls, refusals, bytes_in, bytes_out;
};

/* lifecycle.c: its life and its restarts */
struct worker_life {
	int64_t started_ms;
	int no_restart;        /* privsep_worker_kill */
	unsigned slot;         /* privsep_spawn's, kept across restarts */
	struct spawn_rec *rec; /* restart policy, if any */
	int stopped;           /* found stopped: the stop signal, or SIGCONT */
	/* privsep_worker_replace: the worker this one replaces once it is
	 * ready, and the restart policy it takes then; the replacement of
	 * this one, while it starts */
	int replacing;
	struct privsep_worker *replaces, *replaced_by;
	struct spawn_rec *next_rec;
};

/* spawn.c: how it was started */
struct worker_spawn {
	const struct policy *pol;    /* its policy (the helper's cache) */
	const struct fs_root *roots; /* the file broker's roots for pol */
	/* exec mode: the policy its first filter was compiled from (pol,
	 * exec.policy's start, the one execveat), whose rules a seccomp
	 * kill is explained by; NULL: pol's */
	const struct policy *filter_pol;
	int debug; /* PRIVSEP_SB_DEBUG */
	int unsandboxed;
	/* a sandboxed spawn: READY is checked against /proc/PID/status
	 * (sandbox_verify.c) */
	int verify;
	struct sb_expect expect;
	int uid_lease; /* its own uid's lease (uidpool.h), -1: none */
	int starting;  /* counted in the helper's starting: no READY answered yet */
};

/* unotify.c: the helper's end of the worker's seccomp user notification
 * listener */
struct learn_state;
struct worker_unotify {
	int mode;  /* POL_MODE_NOTIFY or _LEARN: a listener is owed; 0 none */
	int fd;    /* the listener, -1: none (yet, or closed) */
	int named; /* a violation was received: the worker is being killed */
	struct tag tag;
	struct learn_state *learn; /* learn.c: each call let through */
};

/* pool.c: a worker started ahead, until it is handed out */
struct worker_pool {
	struct spawn_pool *of; /* its pool; NULL: handed out, or never pooled */
	int held;              /* READY checked, its reply held back */
	uint32_t ready_id;     /* READY's id, answered at the hand-out */
	uint8_t *permit;       /* its permits while they are withdrawn */
	int discard;           /* found gone at a hand-out: nobody's worker */
};

/* parts.c: a PRIVSEP_H_PARTS handler fed a payload that did not end */
struct worker_feed {
	const struct privsep_handler *row; /* fed a part; NULL: none */
	uint64_t total;                    /* that payload's length */
	int err;                           /* nonzero: the handler returned it for a part: not fed
	                                    * any more, the message answered with it */
	int busy;                          /* in a part call */
	char detail[PRIVSEP_DETAIL_MAX];
};

struct privsep_worker {
	struct privsep_helper *h;
	struct privsep_worker *next, *prev;
	int chan;  /* -1 once closed */
	int pidfd; /* -1 when none or reaped */
	pid_t pid;
	char name[64];
	uint8_t *permit; /* one byte per table row: 1 permitted */
	enum privsep_violation viol;
	/* What the socket had no room for, in order: events, and at most one
	 * reply (while a reply waits, no request is read from this worker). */
	struct outq q;
	int want_drained; /* a post failed with EAGAIN: tell when empty */
	int served_bulk;  /* the records a bulk record served weighs
	                   * beyond its own in the turn (0: none) */
	int rx_calls;     /* its last record was a call: read one at a time */
	/* its calls come in piles (asynchronous calls in flight): read them
	 * in batches too (helper.c, worker_readable) */
	int rx_pile;
	unsigned rx_single; /* calls read one at a time since its last batch */
	int rx_lone;        /* batches in a row that found one call */
	int rx_full;        /* its last read was a batch that filled its budget */
	int gate;           /* a sandboxed spawn: nothing but READY's answer is sent before */
	void *data;
	struct tag tchan, tpid;
	/* its bulk region, mapped (region.h) */
	struct region_rx region;
	struct worker_reap reap;
	struct worker_log log;
	struct worker_exit exit;
	struct worker_life life;
	struct worker_spawn spawn;
	struct worker_stats st;
	struct worker_unotify un;
	struct worker_pool pool;
	struct worker_feed feed;
};

struct privsep_helper {
	/* the merged table: the framework's rows (proto.c's, with the
	 * helper's handlers) and the application's, sorted by type */
	struct privsep_handler *rows;
	size_t nrows;
	size_t msg_max;
	int epfd;
	privsep_log_fn log;
	void *log_arg;
	void (*on_gone)(struct privsep_worker *, void *);
	void *gone_arg;
	void (*on_restarted)(struct privsep_worker *, void *);
	void *restarted_arg;
	void (*on_replaced)(struct privsep_worker *, struct privsep_worker *, void *);
	void *replaced_arg;
	struct privsep_worker *workers;
	size_t nworkers;
	uint8_t *rx, *tx;                  /* msg_max bytes each */
	struct rxbatch rxb;                /* batched receive (rxbatch.h) */
	struct tag tkick;                  /* its kick, in epoll */
	struct region_copy rcopy;          /* where a region's payload is copied */
	const struct privsep_handler *app; /* the application's table, for workers */
	size_t napp;
	size_t queue_max;
	void (*on_drained)(struct privsep_worker *, void *);
	void *drained_arg;
	unsigned log_rate, log_burst;
	unsigned long log_byte_rate, log_byte_burst;
	size_t log_line_max;
	/* sink.c: the helper's own standard error (its log) and output (the
	 * copies of workers' standard output), never waited on */
	struct sink err, out;
	struct tag terr, tout;
	unsigned long err_drop;       /* log lines the full sink lost, to report */
	unsigned long long err_dropb; /* and their bytes */
	struct wout *outs;            /* wout.c: workers' output being copied */
	int told_sandbox;             /* the sandbox's reach was logged once */
	/* lifecycle.c */
	int sigfd;
	sigset_t sigset; /* what sigfd takes */
	int signals_on;  /* privsep_helper_signals was called */
	struct tag tsig;
	struct {
		int signo;
		void (*fn)(struct privsep_helper *, int, void *);
		void *arg;
	} sigh[HELPER_SIGNALS_MAX]; /* privsep_helper_on_signal's */
	size_t nsigh;
	void (*on_reload)(struct privsep_helper *, void *);
	void *reload_arg;
	int stopping, stop_signal;
	struct spawn_rec *respawns; /* waiting for their restart time */
	struct pol_entry *policies; /* policies.c */
	int confined;               /* privsep_helper_confine: no more spawning */
	int closing;                /* some worker has a deadline or is to be freed */
	int watchfd;                /* timerfd: look for stopped workers */
	int watching;               /* watchfd is armed */
	struct tag twatch;
	/* stats.c: the counters of the workers gone (the live ones count in
	 * their own), violations and restarts; when the helper was made */
	struct worker_stats gone_st;
	uint64_t violations, restarts;
	int64_t started_ms;
	struct unotify_bufs *unotify; /* unotify.c: receive buffers, NULL until needed */
	struct spawn_pool *pools;     /* pool.c */
	size_t npooled;               /* workers in a pool, not the application's */
	/* spawn.c: the next spawn's uid is to be leased ahead (a spawn
	 * used a lease), once no worker is starting and no event waits:
	 * never between a spawn and its worker's READY */
	int lease_ahead;
	unsigned starting; /* sandboxed workers not yet past READY, nor gone */
	/* spawner.c: after privsep_helper_confine, the process that starts
	 * exec-mode workers (sock -1: none); in the spawner itself, its
	 * copy of the helper has no_roots (the broker's roots are not its) */
	struct {
		/* epfd: an epoll set of sock alone, made before confining;
		 * the answers are waited for in it (poll fails with EINVAL
		 * once another thread set the fd limit to 0) */
		int sock, pidfd, epfd;
		pid_t pid;
		/* a page shared with the spawner (MAP_SHARED before its
		 * fork, NULL: none), where the kernel writes the pid of each
		 * process it clones (CLONE_PARENT_SETTID) before the clone
		 * returns; 0 again once a worker's answer was taken.  A
		 * spawner gone before answering leaves the pid of the worker
		 * it cloned, the helper's child, there (spawner.c) */
		pid_t *cloned;
		/* the workers of answers cut to no fd (spawner_cut): the
		 * helper's children, by the pids the spawner told, that the
		 * spawner killed (END); reaped once they end
		 * (spawner_orphans_reap) */
		pid_t orphans[SPAWNER_ORPHANS_MAX];
		unsigned norphans, orphans_wait_ms;
		int64_t orphans_due_ms;
		/* a spawner given up that had not ended within
		 * SPAWNER_GONE_MS: its socket (-1 once closed), pidfd and
		 * epoll set, kept until it ended; then the answers it left
		 * are read and it is reaped (spawner_orphans_reap) */
		struct {
			int sock, pidfd, epfd;
			pid_t *cloned;
			unsigned wait_ms;
			int64_t due_ms;
			char name[64];
		} gone;
	} spawner;
	/* confined without PRIVSEP_CONFINE_EXEC_SPAWNS: no spawner was
	 * started, no worker starts */
	int no_spawner;
	int no_roots;
};

/* Why a confined helper starts no worker: what a spawn needs that
 * helper.policy refuses (measured: SECURITY.md, "The helper"). */
#define HELPER_CONFINED_WHY                                                                         \
	"after privsep_helper_confine only exec-mode workers start, through the spawner, while it " \
	"lives"
/* Why a helper confined without a spawner starts no worker. */
#define HELPER_NO_SPAWNER_WHY                                                                      \
	"it was confined without PRIVSEP_CONFINE_EXEC_SPAWNS, so it has no spawner and no worker " \
	"starts"
/* Why this confined helper starts no worker (one of the two above). */
#define HELPER_CONFINED_WHY_OF(h) ((h)->no_spawner ? HELPER_NO_SPAWNER_WHY : HELPER_CONFINED_WHY)
/* Whether sp's worker can start now: always before
 * privsep_helper_confine; after it, an exec-mode one while the spawner
 * lives (spawner.c). */
int helper_can_spawn(const struct privsep_helper *h, const struct privsep_spawn *sp);

/* A worker's spawn parameters, kept for its restarts. */
struct spawn_rec {
	struct spawn_rec *next;
	struct privsep_spawn sp; /* sp.name points to name */
	char name[64];
	unsigned restarts;
	int64_t due_ms;
	uint64_t restarted; /* restarts since the first start (stats) */
};
/* registry.c: *sp kept in dst, its name copied to name (len bytes;
 * "worker" when it has none), so the caller's buffers may change. */
void spawn_keep(struct privsep_spawn *dst, char *name, size_t len, const struct privsep_spawn *sp);
/* A restart record holding sp so kept; NULL with errno. */
struct spawn_rec *spawn_rec_new(const struct privsep_spawn *sp);

/* registry.c: the workers, below the event loop, spawn, lifecycle and
 * exit (it calls none of them). */
size_t helper_msg_max(const struct privsep_helper *h);
/* The row of type in h's merged table (its index in *idx), or NULL. */
const struct privsep_handler *row_find(const struct privsep_helper *h, uint32_t type, size_t *idx);
/* SIGKILL w now, if it has a pidfd and is not dead or killed yet. */
void worker_signal(struct privsep_worker *w);
/* The stop check's timer on or off; -1 with errno. */
int registry_watch(struct privsep_helper *h, int on);

/* The helper's handler of a framework type (proto.h's enum proto_fw),
 * or NULL: none. */
privsep_handler_fn helper_fw_fn(enum proto_fw id);

/* Serve a worker on channel fd chan (taken) whose process is pidfd
 * (taken; -1 when the helper did not start it and cannot signal it): a
 * worker the helper did not spawn (tests, the benchmark).  name is
 * copied.  Returns the worker, or NULL (EINVAL, ENOMEM, and the fds are
 * closed). */
struct privsep_worker *helper_attach(struct privsep_helper *h, int chan, int pidfd, pid_t pid,
                                     const char *name);

/* Close w's channel; kill: SIGKILL now, else after the grace period. */
void helper_worker_close(struct privsep_worker *w, int kill);

/* parts.c: m, a REGION_PART that names its type (m->feed) and passed
 * every check: its bytes to that type's handler.  0; PRIVSEP_VIOLATION
 * when the handler returned it (its detail in detail, PRIVSEP_DETAIL_MAX
 * bytes): the caller kills the worker. */
struct msg;
int parts_feed(struct privsep_worker *w, const struct msg *m, char *detail);
/* The handler of m, a record of a PRIVSEP_H_PARTS row, for the message
 * itself (PRIVSEP_PART_END), fed its payload first as one part when it
 * came whole, or answered with what the handler returned for a part.
 * What serve answers. */
int parts_serve(struct privsep_worker *w, struct msg *m);
/* w's handler fed part of a payload that will not end (w violated, its
 * channel closed, a part lost) is told so, once. */
void parts_abandon(struct privsep_worker *w);

/* Add a worker; spawned: the framework's own start-up messages
 * (SANDBOX_FAILED, READY, and SECCOMP_TRAP if debug) stay permitted. */
struct privsep_worker *helper_add(struct privsep_helper *h, int chan, int pidfd, pid_t pid,
                                  const char *name, int spawned, int debug);
/* 1 if fd is one of h's own (epoll, signalfd, a worker's channel, pidfd
 * or log pipe). */
int helper_owns_fd(const struct privsep_helper *h, int fd);
/* w is past its start (READY answered, refused, or w gone): no longer
 * counted in h->starting.  Idempotent. */
void helper_start_done(struct privsep_worker *w);
/* Lease the next spawn's uid ahead if one is due and no worker is
 * starting (spawn.c's lease_ahead). */
void helper_lease_ahead(struct privsep_helper *h);
/* In a new child: wipe the helper's buffers, which hold other workers'
 * requests and replies. */
void helper_scrub(struct privsep_helper *h);

/* confine_ll.c: restrict the helper with Landlock to what the file rules
 * of its policies serve and what it reads itself, then check it; a kernel
 * without Landlock is logged once and goes on.  0, or -1 with errno and
 * one line logged. */
int helper_confine_landlock(struct privsep_helper *h);

/* threads.c: the threads of this process (/proc/self/status), -1 when
 * it cannot be read.  Capabilities and Landlock are a thread's: whatever
 * narrows the helper first checks this is 1. */
int helper_threads(void);

/* policies.c: load, check, compile and verify a policy once (path NULL:
 * the shipped default); NULL with a one-line reason in why. */
struct pol_entry;
struct policy;
struct filter_prog;
struct fs_root;
const struct pol_entry *helper_policy(struct privsep_helper *h, const char *path, const char *text,
                                      int debug, char *why, size_t whylen);
/* The same for a policy used only for its filter (exec mode's first
 * filter): the broker's roots are neither opened nor looked at again. */
const struct pol_entry *helper_policy_filter(struct privsep_helper *h, const char *path,
                                             const char *text, int debug, char *why, size_t whylen);
const struct fs_root *pol_entry_roots(const struct pol_entry *e);
const struct policy *pol_entry_policy(const struct pol_entry *e);
const struct filter_prog *pol_entry_prog(const struct pol_entry *e);
/* The cache in order (spawner_known.c): the next entry, its path and
 * text as given (NULL: none), its mode, and whether it is not a
 * worker's own policy compiled here (exec mode's first filter, or one
 * only read and checked by a confined helper). */
const struct pol_entry *pol_entry_next(const struct pol_entry *e);
const char *pol_entry_path(const struct pol_entry *e);
const char *pol_entry_text(const struct pol_entry *e);
int pol_entry_mode(const struct pol_entry *e);
int pol_entry_filter_only(const struct pol_entry *e);
void helper_policies_free(struct privsep_helper *h);
/* A confined helper's copy of a worker's policy, for the names of its
 * violations and the broker's rules: the one helper_policy loaded, else
 * read and checked here but not compiled (the spawner compiles and
 * verifies it; compiling needs calls a confined helper no longer has).
 * NULL with a one-line reason in why. */
const struct pol_entry *helper_policy_checked(struct privsep_helper *h, const char *path,
                                              const char *text, int debug, char *why,
                                              size_t whylen);
/* helper_policy_checked's without the broker's roots: exec mode's first
 * filter's policy, for the names of its violations (spawner.c). */
const struct pol_entry *helper_policy_read(struct privsep_helper *h, const char *path,
                                           const char *text, int debug, char *why, size_t whylen);
/* In the spawner: its copy of the cache keeps no root fd (the helper's
 * numbers, closed there), and opens none from now on. */
void helper_policies_forget_roots(struct privsep_helper *h);

/* unotify.c: a worker's listener (the handler of SECCOMP_LISTENER takes
 * its fd into the event loop); the loop calls unotify_readable on its
 * events; closed when the worker is reaped or freed.  In notify mode a
 * notification is a violation: its call and arguments recorded for
 * exit.c, the worker killed, the call never answered (it never runs). */
int unotify_fw_listener(struct privsep_req *req, void *arg);
/* The receive buffers, sized by the kernel (a seccomp call, which a
 * confined helper may not make): made before the first spawn that
 * notifies.  0, or -1 with errno. */
int unotify_prepare(struct privsep_helper *h);
/* Before the helper's own filter: unless a learn-mode spawn was made, a
 * filter that refuses SECCOMP_IOCTL_NOTIF_SEND (EPERM), so the confined
 * helper answers no worker's notification (CONTINUE would run the call
 * its policy denied).  0, or -1 with errno. */
int unotify_confine(struct privsep_helper *h);
void unotify_readable(struct privsep_worker *w, uint32_t events);
void unotify_close(struct privsep_worker *w);
void unotify_free(struct privsep_helper *h);

/* learn.c: learn mode (PRIVSEP_SB_LEARN).  learn_begin: w's record, with
 * its policy as sb names it (0, or -1 with errno); learn_notified: record
 * the call req and answer it CONTINUE on fd; learn_free: when w is
 * freed. */
struct seccomp_notif;
struct seccomp_notif_resp;
int learn_begin(struct privsep_worker *w, const struct privsep_sandbox *sb);
void learn_notified(struct privsep_worker *w, int fd, const struct seccomp_notif *req,
                    struct seccomp_notif_resp *resp);
void learn_free(struct privsep_worker *w);

/* spawn.c */
struct privsep_worker *spawn_worker(struct privsep_helper *h, const struct privsep_spawn *sp);
/* A worker of sp's pool when one is there (pool.c), else spawn_worker. */
struct privsep_worker *spawn_or_take(struct privsep_helper *h, const struct privsep_spawn *sp);

/* pool.c: spawn-ahead (privsep_spawn's pool) */
#define POOL_MAX 64
/* A handler's return that sends no reply now (READY of a pooled
 * worker: its reply is the hand-out). */
#define HELPER_REPLY_HELD 0x10000
/* A worker of sp's pool, handed out (its READY answered, or answered
 * when it comes), or NULL: none ready to hand out (then the caller
 * starts one).  Makes sp's pool on its first use. */
struct privsep_worker *pool_take(struct privsep_helper *h, const struct privsep_spawn *sp);
/* READY of w, checked: 1 if w is pooled and the reply (id) is held until
 * the hand-out, its permits withdrawn meanwhile; 0 otherwise. */
int pool_hold(struct privsep_worker *w, uint32_t id);
/* w is freed: its pool's count, one log line if it was still pooled. */
void pool_gone(struct privsep_worker *w);
/* 1 if w was never the application's (pooled, or discarded at a
 * hand-out): no on_worker_gone, no restart. */
int pool_member(const struct privsep_worker *w);
/* A pool that lacks a worker and may be refilled now, or NULL (*next:
 * when one may be tried again, or -1). */
struct spawn_pool *pool_lacking(struct privsep_helper *h, int64_t *next);
const struct privsep_spawn *pool_spawn_of(const struct spawn_pool *p);
/* w, just started for p, is its member now. */
void pool_joined(struct spawn_pool *p, struct privsep_worker *w);
/* p's refill failed (errno err): logged, tried again later. */
void pool_failed(struct privsep_helper *h, struct spawn_pool *p, int err);
/* Idle pooled workers (READY checked, waiting), for tests and the
 * benchmark. */
size_t pool_idle(const struct privsep_helper *h);
void pool_free_all(struct privsep_helper *h);

/* lifecycle.c */
void lifecycle_signal(struct privsep_helper *h);
/* w is gone: schedule its restart if its policy allows.  The verdict
 * (PRIVSEP_RESTART_STOP_ALL: the caller stops every worker). */
enum privsep_restart_verdict lifecycle_worker_gone(struct privsep_worker *w);
/* w's READY was answered: if it replaces a worker, it takes over now. */
void lifecycle_ready(struct privsep_worker *w);
/* Start the restarts that are due; the next due time or -1. */
int64_t lifecycle_due(struct privsep_helper *h);
/* Start the workers the pools lack (pool.c); the next time to try again
 * or -1. */
int64_t lifecycle_refill(struct privsep_helper *h);
void lifecycle_free(struct privsep_helper *h);
/* The stop check's timer fired: read it; -1 if it failed. */
int lifecycle_watch_tick(struct privsep_helper *h);
/* Look at w for a stop: 1 if it is stopped (logged: the caller kills
 * it), 0 if it is live, -1 if it has no live process to look at. */
int lifecycle_stopped(struct privsep_worker *w);

/* stats.c: a worker is freed: its counters go to the helper's. */
void stats_worker_gone(struct privsep_worker *w);

/* broker.c: the file broker's requests, served with the worker's context. */
int fs_h_open(struct privsep_req *req, void *arg);
int fs_h_stat(struct privsep_req *req, void *arg);
int fs_h_readlink(struct privsep_req *req, void *arg);
int fs_h_access(struct privsep_req *req, void *arg);

/* exit.c: the framework's reports from a worker, and how it ended. */
int exit_fw_sandbox_failed(struct privsep_req *req, void *arg);
int exit_fw_seccomp_trap(struct privsep_req *req, void *arg);
int exit_fw_ready(struct privsep_req *req, void *arg);
/* Fill w->exit from the wait status in si (NULL: unknown) and log the
 * one line that says how w ended. */
void exit_classify(struct privsep_worker *w, const siginfo_t *si);
/* The policy of the filter that refuses w's calls, whose rules a
 * violation is explained by (exit.c) and learn mode judges a call by
 * (learn.c): in exec mode the first filter's (the second one kills
 * nothing: its refusals fail with ENOSYS or EACCES, narrow_rules.h),
 * else w's own; NULL when w has none.  Here, not in exit.c: learn.c
 * calling exit.c would close a cycle of objects (tests/layers.sh). */
static inline const struct policy *exit_refusing_policy(const struct privsep_worker *w)
{
	return w->spawn.filter_pol ? w->spawn.filter_pol : w->spawn.pol;
}

/* log.c: a spawned worker's standard error, read through a pipe (rfd,
 * taken), one log line per line it writes. */
int wlog_attach(struct privsep_worker *w, int rfd);
/* Read what the pipe holds now (at most a fair share). */
void wlog_readable(struct privsep_worker *w);
/* The worker is gone: read everything left, log the last partial line
 * and the count of dropped lines, close the pipe. */
void wlog_close(struct privsep_worker *w);

/* The file broker refused a worker's request (arg: the worker): one
 * line, the path and detail escaped, rate-limited per worker. */
void wlog_refused(void *arg, const char *what, const char *path, int err, const char *detail);

/* 1 if b allows one more line of bytes bytes now; 0 if not (counted in
 * b->drop and b->dropb). */
int log_bucket_take(const struct privsep_helper *h, struct log_bucket *b, size_t bytes);
void log_bucket_init(const struct privsep_helper *h, struct log_bucket *b);
/* src (n bytes) into dst (cap bytes), as worker lines are escaped:
 * printable ASCII, tab and valid UTF-8 kept, anything else \xNN; cut to
 * fit.  The bytes of src taken (n: all of it). */
size_t log_escape(char *dst, size_t cap, const char *src, size_t n);

/* The helper's standard error is writable again (or may be): write what
 * waits, then the count of what was lost. */
void helper_err_writable(struct privsep_helper *h);
/* The default log (arg: the helper): privsep_helper_log_stderr. */
void helper_log_default(enum privsep_log_level lvl, const char *line, void *arg);

/* wout.c: a spawned worker's standard output, copied to the helper's
 * (the spawn's stdout_copy).  rfd (taken) is the read end of its pipe. */
int wout_attach(struct privsep_worker *w, int rfd);
/* The pipe of the wout whose tag t is has bytes, or its end. */
void wout_readable(struct tag *t);
/* The helper's standard output is writable: copy what waits. */
void wout_writable(struct privsep_helper *h);
/* 1 if fd is the read end of a worker's output pipe. */
int wout_owns_fd(const struct privsep_helper *h, int fd);
/* The helper is freed: what could not be written is counted in one line. */
void wout_free_all(struct privsep_helper *h);

#endif
