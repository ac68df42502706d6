/* SPDX-License-Identifier: ISC */
/*
 * fcache.h - the worker's short-lived cache of files the broker opened.
 *
 * A file the helper opened for a path is kept open for a short time
 * (ttl_ms) and used again for the same path without asking the helper.
 * Only successes are kept: a refusal or a missing file is asked again
 * every time (and logged by the helper every time).  Each use fstats the
 * fd, so a file changed in place is seen at once; a file replaced or
 * removed is seen when its entry expires, and closed then (fcache_sweep)
 * even when no request comes.  Entries in use by a response
 * stay open until it is sent.
 */
#ifndef HTTPD_FCACHE_H
#define HTTPD_FCACHE_H

#include <stddef.h>
#include <stdint.h>

#define FCACHE_SLOTS 64

struct fcache_entry {
	char *key;        /* the path asked for; NULL for a file kept for one response only */
	int fd;           /* the regular file it names */
	const char *type; /* its Content-Type */
	uint64_t expires; /* ms, monotonic */
	unsigned refs;    /* responses using it */
	int evicted;      /* out of the table: closed when refs reach 0 */
};

struct fcache {
	unsigned ttl_ms; /* 0: keep nothing */
	unsigned kept;   /* slots in use: none (always so with ttl_ms 0), no scan */
	struct fcache_entry *slot[FCACHE_SLOTS];
};

/* The live entry for key, with a reference taken, or NULL. */
struct fcache_entry *fcache_get(struct fcache *c, const char *key, uint64_t now_ms);

/* Keep fd (taken) for key, with a reference taken for the caller, in a
 * free slot or the oldest one's.  With ttl_ms 0 (or no memory for the
 * key) the entry serves this one response.  NULL on ENOMEM (fd closed). */
struct fcache_entry *fcache_add(struct fcache *c, const char *key, int fd, const char *type,
                                uint64_t now_ms);

/* Drop a reference; an expired or evicted entry is closed with its last. */
void fcache_release(struct fcache_entry *e);

/* Take every entry expired at now_ms out of the table: closed now, or
 * at its last release when a response uses it.  The worker calls it from
 * its timer, so that an idle worker does not keep a removed file's space. */
void fcache_sweep(struct fcache *c, uint64_t now_ms);

/* When the earliest entry in the table expires (ms), or UINT64_MAX when
 * the table is empty: when the next sweep is due. */
uint64_t fcache_next_expiry(const struct fcache *c);

/* Close and forget every entry no response uses; the rest when released. */
void fcache_clear(struct fcache *c);

#endif
