/* SPDX-License-Identifier: ISC */
/*
 * harness.h - an in-process helper for the tests.
 *
 * The test thread owns the helper and pumps it with hx_pump(); workers are
 * either raw sockets the test writes bytes to, or clients driven from a
 * second thread (hx_bg_*), so that everything happens in one process and
 * /proc/self/fd counts every fd on both sides.
 */
#ifndef PRIVSEP_TEST_HARNESS_H
#define PRIVSEP_TEST_HARNESS_H

#include <pthread.h>
#include <stdatomic.h>

#include "hx_read.h"
#include "privsep.h"

#define HX_LOG_LINES 512

struct hx {
	struct privsep_helper *h;
	char log[HX_LOG_LINES][1024];
	enum privsep_log_level lvl[HX_LOG_LINES];
	int nlog;
	int gone;
	enum privsep_violation last_viol;
	char last_gone[64];
	struct privsep_exit_info last_exit;
	int restarted;
	/* the last restarted worker's name and slot */
	char last_restarted[64];
	unsigned last_restarted_slot;
};

/* A helper over table (may be NULL, n 0) with the log captured.  msg_max
 * 0 = default. */
struct hx *hx_new(const struct privsep_handler *table, size_t n, size_t msg_max);
/* The same with the rest of base's configuration (queue, log limits);
 * the harness's own callbacks replace base's. */
struct hx *hx_new_cfg(const struct privsep_handler *table, size_t n,
                      const struct privsep_helper_config *base);
void hx_free(struct hx *x);
/* Attach a worker the test plays by hand: returns the test's end of its
 * channel; *w (may be NULL) the helper's record. */
int hx_attach_raw(struct hx *x, const char *name, struct privsep_worker **w);
/* Load policy text (named policy) and attach a worker the test plays by
 * hand under it (its filter rules and roots): the test's end of its
 * channel, or -1 with why said; *w the helper's record. */
int hx_attach_policy(struct hx *x, const char *name, const char *policy, const char *text,
                     struct privsep_worker **w, char *why, size_t whylen);
/* Attach a worker with a real client on its end. */
struct privsep_client *hx_attach_client(struct hx *x, const char *name, size_t msg_max);
/* CLOCK_MONOTONIC in milliseconds. */
int64_t now_ms(void);
/* Step h while cond holds, for at most ms (a generous bound: the machine
 * may be loaded). */
#define PUMP_WHILE(h, cond, ms)                                                                    \
	for (int64_t end_ = now_ms() + (ms); (cond) && now_ms() < end_;)                           \
	privsep_helper_step((h), 10)
/* Step the helper until *flag becomes nonzero or timeout_ms passes;
 * returns *flag. */
int hx_pump_until(struct hx *x, const atomic_int *flag, int timeout_ms);
/* Step until the number of gone workers reaches n; returns 1 if it did,
 * 0 after timeout_ms or HX_GONE_MIN_MS, whichever is longer. */
#define HX_GONE_MIN_MS 60000
int hx_pump_gone(struct hx *x, int n, int timeout_ms);
/* 1 if some captured log line contains s. */
/* The four uids and gids of pid (real, effective, saved, filesystem):
 * 0, or -1. */
int hx_ids_of(pid_t pid, unsigned uid[4], unsigned gid[4]);
/* How many processes but except hold id as one of their uids or gids, the
 * first one's pid in *who (when who is not NULL); a /proc that cannot be
 * listed fails the calling cmocka test. */
int hx_others_with_id(unsigned id, pid_t except, pid_t *who);
/* One record from sock without waiting, into buf: its length (-1 with
 * errno EAGAIN when none waits); *fd its one fd, -1 when it carried none
 * or more than one (those are closed). */
ssize_t hx_recv_fd(int sock, void *buf, size_t size, int *fd);
/* In a handler: attach fd, just opened (or -1 with the open's errno), to
 * the reply: 0, or the errno a handler returns (fd is taken either way). */
int hx_reply_fd(struct privsep_req *req, int fd);
/* The pids of this thread's children, at most max; -1 when /proc
 * cannot tell. */
int hx_children(pid_t *out, int max);
int hx_logged(const struct hx *x, const char *s);

/* A call made from a background thread while the test pumps. */
struct hx_bg {
	pthread_t thr;
	struct privsep_client *c;
	uint32_t type;
	uint8_t req[256];
	size_t len;
	uint8_t body[256];
	struct privsep_result res;
	int rc, err;
	atomic_int done;
};
void hx_bg_call(struct hx_bg *b, struct privsep_client *c, uint32_t type, const void *req,
                size_t len);
/* Pump until the call finished; joins the thread; returns its rc. */
int hx_bg_wait(struct hx *x, struct hx_bg *b);

/* One privsep_fs_open(c, path, flags) from a thread while this one pumps
 * the helper: its fd, or -1 with *err its errno and why (may be NULL,
 * PRIVSEP_DETAIL_MAX bytes) the helper's detail; -2 if the helper did not
 * answer within timeout_ms (it blocked; the thread stays: the caller fails). */
int hx_bg_open(struct hx *x, struct privsep_client *c, const char *path, int flags, int timeout_ms,
               int *err, char *why);
/* The file broker's tests: a helper in this process and a client whose
 * worker (name) has policy text (policy: its file name in messages); a
 * client thread plays the worker. */
struct hx_fs {
	struct hx *x;
	struct privsep_client *c;
	struct privsep_worker *w;
};
/* 0, or -1 (the policy's refusal on stderr; no cmocka: a child may run it). */
int hx_fs_new(struct hx_fs *f, const char *name, const char *policy, const char *text);
void hx_fs_free(struct hx_fs *f);
/* hx_bg_open by the worker, bounded for a hung helper (30 s): -2 then. */
int hx_fs_open(struct hx_fs *f, const char *path, int flags, int *err, char *why);
/* The file broker's tests' directories: top a new /tmp/privsep-TAG-XXXXXX
 * (top: 64 bytes), root its subdirectory top/root, mode 0755 (root: 128
 * bytes).  0, or -1 (no cmocka: a setup runs it). */
int hx_fs_dirs(char top[64], char root[128], const char *tag);
/* The policy of one rule, beneath root allow rights, in a buffer of its
 * own (until the next call). */
const char *hx_fs_one_rule(const char *root, const char *rights);
/* A file at path with text (cmocka fails the test if it cannot). */
void hx_put(const char *path, const char *text);
/* A thread that plays another process racing the broker: it exchanges
 * file with other[i % n] (RENAME_EXCHANGE) and back, round i after round
 * i, as fast as it can, from hx_swap_start until hx_swap_stop (which
 * joins it); swaps counts the rounds. */
struct hx_swapper {
	pthread_t t;
	atomic_int stop;
	atomic_long swaps;
	char file[256], other[3][256];
	int n;
};
void hx_swap_start(struct hx_swapper *sw);
void hx_swap_stop(struct hx_swapper *sw);
/* In a child that plays a helper's side: from now on each call nr of
 * this process whose second argument's low 32 bits are arg1 waits while
 * on_call runs in a thread of the harness, then goes on (a seccomp user
 * notification, answered SECCOMP_USER_NOTIF_FLAG_CONTINUE): the worker
 * that acts at the exact moment the helper makes that call.  Sets
 * no_new_privs.  0, or -1 when the filter or the thread could not be made. */
int hx_on_call(long nr, unsigned arg1, void (*on_call)(void));
/* In a child playing a helper that a test will SIGKILL: pump h until w
 * answered READY (200 steps of up to 100 ms: within 20 s, however loaded
 * the machine), write its pid to fd (-1 when w is NULL: not spawned),
 * then pause for ever.  _exit(1) when not ready in time or the write
 * fails. */
__attribute__((noreturn)) void hx_ready_then_pause(struct privsep_helper *h,
                                                   struct privsep_worker *w, int fd);
/* rm -rf dir (a test's own temporary tree): 0, or -1. */
int hx_rmtree(const char *dir);

/* 1 when running under valgrind (which has no seccomp syscall and keeps
 * fds of its own). */
int under_valgrind(void);
/* Lower RLIMIT_NOFILE so that exactly room more fds can be opened. */
int set_fd_room(int room);
/* Number of open fds below 1024, by fcntl: works inside the sandbox. */
int probe_fds(void);
/* Number of open fds of this process. */
int count_fds(void);
/* How many fds of this process hold the uid lease of uid (an OFD lock on
 * its byte of the lease file, held through that very description:
 * /proc/self/fdinfo's "lock:" lines); another process's lease of the same
 * uid (another helper's on this machine) is not counted.  -1 on error. */
int hx_lease_held_here(unsigned uid);

/* A whole record: header with the given fields, then payload. */
size_t rec_make(uint8_t *rec, uint32_t type, uint32_t id, const void *payload, size_t plen,
                uint8_t nfds);
/* Send raw bytes with fds (borrowed) as one record. */
int raw_send(int fd, const void *buf, size_t len, const int *fds, size_t nfds);
/* One record of type and id whose payload is the number v (4 bytes),
 * with fds (borrowed): raw_send's result. */
int raw_send_u32(int fd, uint32_t type, uint32_t id, uint32_t v, const int *fds, size_t nfds);

#endif
