/* SPDX-License-Identifier: ISC */
/*
 * fcache.c - see fcache.h.  A small fixed table searched linearly: the
 * entries are few and short-lived, and a miss costs a round trip to the
 * helper anyway.
 *
 * Standard C11 and POSIX.1-2008: it defines _POSIX_C_SOURCE (for
 * strdup) and compiles with cc -std=c11 -pedantic.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fcache.h"

static void entry_free(struct fcache_entry *e)
{
	close(e->fd);
	free(e->key);
	free(e);
}

/* Take e out of the table (slot i); it is closed now or at its last release. */
static void evict(struct fcache *c, size_t i)
{
	struct fcache_entry *e = c->slot[i];
	c->slot[i] = NULL;
	c->kept--;
	e->evicted = 1;
	if (e->refs == 0)
		entry_free(e);
}

struct fcache_entry *fcache_get(struct fcache *c, const char *key, uint64_t now_ms)
{
	for (size_t i = 0; c->kept && i < FCACHE_SLOTS; i++) {
		struct fcache_entry *e = c->slot[i];
		if (!e || strcmp(e->key, key) != 0)
			continue;
		if (e->expires <= now_ms) {
			evict(c, i);
			return NULL;
		}
		e->refs++;
		return e;
	}
	return NULL;
}

struct fcache_entry *fcache_add(struct fcache *c, const char *key, int fd, const char *type,
                                uint64_t now_ms)
{
	struct fcache_entry *e = calloc(1, sizeof(*e));
	size_t free_slot = FCACHE_SLOTS, oldest = FCACHE_SLOTS;
	if (!e) {
		close(fd);
		return NULL;
	}
	e->fd = fd;
	e->type = type;
	e->refs = 1;
	e->evicted = 1; /* until it has a slot */
	if (c->ttl_ms == 0)
		return e;
	for (size_t i = 0; i < FCACHE_SLOTS; i++) {
		struct fcache_entry *s = c->slot[i];
		if (s && s->expires <= now_ms)
			evict(c, i);
		if (!c->slot[i] && free_slot == FCACHE_SLOTS)
			free_slot = i;
		else if (c->slot[i] &&
		         (oldest == FCACHE_SLOTS || c->slot[i]->expires < c->slot[oldest]->expires))
			oldest = i;
	}
	if (free_slot == FCACHE_SLOTS && oldest != FCACHE_SLOTS) {
		evict(c, oldest);
		free_slot = oldest;
	}
	if (free_slot == FCACHE_SLOTS || !(e->key = strdup(key)))
		return e; /* for this response only */
	e->expires = now_ms + c->ttl_ms;
	e->evicted = 0;
	c->slot[free_slot] = e;
	c->kept++;
	return e;
}

void fcache_release(struct fcache_entry *e)
{
	if (!e)
		return;
	if (--e->refs == 0 && e->evicted)
		entry_free(e);
}

void fcache_sweep(struct fcache *c, uint64_t now_ms)
{
	for (size_t i = 0; c->kept && i < FCACHE_SLOTS; i++)
		if (c->slot[i] && c->slot[i]->expires <= now_ms)
			evict(c, i);
}

uint64_t fcache_next_expiry(const struct fcache *c)
{
	uint64_t first = UINT64_MAX;
	for (size_t i = 0; c->kept && i < FCACHE_SLOTS; i++)
		if (c->slot[i] && c->slot[i]->expires < first)
			first = c->slot[i]->expires;
	return first;
}

void fcache_clear(struct fcache *c)
{
	for (size_t i = 0; c->kept && i < FCACHE_SLOTS; i++)
		if (c->slot[i])
			evict(c, i);
}
