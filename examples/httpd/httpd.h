/* SPDX-License-Identifier: ISC */
/*
 * httpd.h - the helper's state, shared by httpd.c (start and the event
 * loop), status.c (STATUS=, SIGUSR1, process titles) and reload.c
 * (SIGHUP).
 */
#ifndef HTTPD_HTTPD_H
#define HTTPD_HTTPD_H

#include <stddef.h>
#include <stdint.h>

#include <privsep.h>

#include "server.h"

#define WORKERS_MAX 64

/* One worker and what it keeps across its restarts and reloads (the
 * framework's slot i + 1): its socket, its configuration, its sandbox
 * (two: the live worker's, and its replacement's during a reload), its
 * program's arguments (argv[0] its title). */
struct slot {
	struct privsep_worker *w;       /* NULL while dead */
	struct privsep_worker *pending; /* a reload's replacement, not ready yet */
	struct privsep_worker *old;     /* replaced, finishing its connections */
	int64_t old_until;              /* then stopped (monotonic ms) */
	int lfd;                        /* its own listening socket, -1 none */
	struct server_config cfg;       /* the httpd's, with lfd */
	struct privsep_sandbox sb[2];   /* the httpd's, keeping lfd: sb[cur] the live one's */
	int cur;
	struct privsep_exec ex;
	const char *argv[14];
	char name[32];
	char title[32]; /* argv[0]: "httpd: worker N" */
};

struct httpd {
	struct privsep_helper *h;
	struct privsep_spawn sp;
	/* exec mode: this binary, opened at start, executed again for each
	 * worker and restart with the configuration in argv (worker_argv) */
	struct privsep_exec ex;
	char wargs[10][32];
	const char *wargv[14];
	struct privsep_sandbox sb;
	struct server_config cfg;
	struct slot slots[WORKERS_MAX];
	unsigned nslots;
	int fatal; /* a worker could not start and would fail again: the exit
	            * status (1 no sandbox, 2 an fd limit below what --max-conns needs) */
	/* the workers' policy: --policy's path (NULL: <httpd.policy>), the
	 * texts live workers run under (a reload adds one) */
	const char *policy;
	char *texts[WORKERS_MAX + 1];
	unsigned ntexts;
	const char *root, *where;
	unsigned long reloads, reload_failures;
	/* while a reload checks its policy: the first error line, kept */
	int quiet;
	char why[512];
	uint64_t status_key[5];  /* what the last STATUS= sent said */
	int64_t status_retry_ms; /* a STATUS= found no room: not before this */
	const char *learn;       /* --learn FILE */
	int learn_fd;            /* FILE, open for the proposal; -1 none */
};

/* One line of httpd's own on its standard error, at lvl (to the
 * journal with its priority), never blocking the helper. */
void say(const struct httpd *d, enum privsep_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* status.c: this process's title ("httpd: helper": its comm and, as far
 * as its arguments' room allows, its command line). */
void title_helper(int argc, char **argv);
/* STATUS= to the service manager when what it says changed. */
void status_update(struct httpd *d);
/* SIGUSR1: one line of counters in the log. */
void status_line(struct privsep_helper *h, int signo, void *arg);

/* reload.c: the workers' policy text (the file's text, or an include of
 * <httpd.policy>, then the root's beneath rule), malloc'd; NULL after a
 * line that says why. */
char *policy_text(struct httpd *d, const char *root, char *why, size_t len);
/* The spawn of slot i's worker under sandbox k (0 or 1) with text. */
void slot_spawn(struct httpd *d, unsigned i, int k, char *text, struct privsep_spawn *sp);
/* SIGHUP: the policy read again, checked and verified; each worker
 * replaced once its replacement is ready, or the old policy kept. */
void reload(struct privsep_helper *h, void *arg);
/* A replacement is ready: the old worker finishes what it serves. */
void reload_replaced(struct privsep_worker *old, struct privsep_worker *w, void *arg);
/* A worker is gone: forget it where a reload holds it. */
void reload_gone(struct httpd *d, struct privsep_worker *w);
/* Stop the replaced workers whose time to finish is over; the ms until
 * the next such deadline, or -1. */
int reload_tick(struct httpd *d);

#endif
