/* SPDX-License-Identifier: ISC */
/*
 * test_bulk_region.c - the region form of a bulk payload (docs/PROTOCOL.md,
 * "Bulk payloads", "The region form"): a worker's memfd reused from one
 * payload to the next, which the worker can always write.  The attacker
 * holds its region read-write while the helper serves the record: it
 * rewrites the bytes after the handler checked them and while the helper
 * reads them, and the handler's bytes do not change.  Then the region's
 * own rules, each a bad-bulk, and an honest worker's payloads in a row.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "chan.h"
#include "attacker_region.h"
#include "bulk_peer.h"
#include "harness.h"
#include "helper_int.h"
#include "region.h"

#define T_BULK (PRIVSEP_TYPE_APP_MIN + 1)
#define T_SMALL (PRIVSEP_TYPE_APP_MIN + 2)
#define T_EV (PRIVSEP_TYPE_APP_MIN + 3)
#define MIB (1u << 20)
#define LIMIT (64u * MIB)

/* ---- the attacker's region ---- */

/* ---- the handler: checks, lets the attacker act, reads again ---- */

static struct region *victim; /* the attacker's region, for the handler */
static atomic_int served;
static int checked_ok;     /* the bytes passed the handler's check */
static int still_the_same; /* and read the same after the attacker wrote */
static int (*attack)(void);
static uint64_t last_len;

static int checking_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	last_len = req->bulk_len;
	/* the check: every byte 'A' */
	checked_ok = bulk_peer_all(req->bulk, req->bulk_len, 'A');
	/* the worker rewrites its region after the check */
	if (attack)
		attack();
	/* the use: the bytes the handler reads now are still what it checked */
	still_the_same = bulk_peer_all(req->bulk, req->bulk_len, 'A');
	served++;
	return 0;
}

static const struct privsep_handler table[] = {
    {.type = T_BULK,
     .name = "bulk",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = checking_handler,
     .bulk_max = LIMIT},
    {.type = T_SMALL,
     .name = "small",
     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
     .fn = checking_handler,
     .bulk_max = 16},
    {.type = T_EV,
     .name = "bulk-event",
     .flags = PRIVSEP_H_EVENT | PRIVSEP_H_BULK,
     .fn = checking_handler,
     .bulk_max = LIMIT},
};
#define NTABLE (sizeof(table) / sizeof(table[0]))

static int rewrite_to_b(void)
{
	memset(victim->map + pg, 'B', victim->len);
	return 0;
}

static void
a_worker_that_rewrites_its_region_after_the_check_does_not_change_the_handlers_bytes(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "attacker", NULL);
	struct region r = region_new(MIB, REGION_SEALS, MIB);
	(void)state;
	memset(r.map + pg, 'A', MIB);
	victim = &r;
	attack = rewrite_to_b;
	served = 0;
	checked_ok = still_the_same = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_int_equal(last_len, MIB);
	assert_true(checked_ok);
	/* the region itself did change: the attack happened */
	assert_true(bulk_peer_all(r.map + pg, MIB, 'B'));
	/* and the handler's bytes did not */
	assert_true(still_the_same);
	/* the helper says it copied the payload out: the sender may reuse */
	assert_int_equal(*(volatile uint32_t *)(void *)(r.map + REGION_OFF_DONE), 1);
	/* the same region again, with the bytes the attacker left ('B'): the
	 * helper copies them out anew, and the check sees them */
	attack = NULL;
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_false(checked_ok);
	assert_int_equal(*(volatile uint32_t *)(void *)(r.map + REGION_OFF_DONE), 2);
	assert_int_equal(x->gone, 0);
	attack = NULL;
	close(sock);
	region_del(&r);
	hx_free(x);
}

/* A thread that writes 'A' and 'B' over the region for as long as the
 * helper serves: the copy holds some mix, which the handler sees once. */
static atomic_int stop;
static void *flipper(void *arg)
{
	struct region *r = arg;
	for (unsigned i = 0; !stop; i++)
		memset(r->map + pg, (i & 1) ? 'B' : 'A', r->len);
	return NULL;
}

static uint64_t hash1, hash2;
static int hashing_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	hash1 = bulk_peer_hash(req->bulk, req->bulk_len);
	/* long enough for the flipper to write the region again meanwhile */
	hash2 = bulk_peer_hash(req->bulk, req->bulk_len);
	served++;
	return 0;
}

static void
a_worker_that_rewrites_its_region_while_the_helper_reads_it_cannot_make_two_reads_differ(
    void **state)
{
	const struct privsep_handler t[] = {{.type = T_BULK,
	                                     .name = "bulk",
	                                     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                     .fn = hashing_handler,
	                                     .bulk_max = LIMIT}};
	struct hx *x = hx_new(t, 1, 0);
	int sock = hx_attach_raw(x, "attacker", NULL);
	struct region r = region_new(4 * MIB, REGION_SEALS, 4 * MIB);
	pthread_t th;
	(void)state;
	stop = 0;
	served = 0;
	assert_int_equal(pthread_create(&th, NULL, flipper, &r), 0);
	for (int i = 0; i < 5; i++) {
		served = 0;
		bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | 4 * MIB, r.fd);
		assert_int_equal(hx_pump_until(x, &served, 10000), 1);
		assert_true(hash1 == hash2);
	}
	stop = 1;
	pthread_join(th, NULL);
	assert_int_equal(x->gone, 0);
	close(sock);
	region_del(&r);
	hx_free(x);
}

/* ---- the region's rules ---- */

/* A raw worker sends a region record; the violation it was killed for. */
static enum privsep_violation region_verdict(uint32_t type, uint64_t size, int fd)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "raw", NULL);
	enum privsep_violation v;
	served = 0;
	attack = NULL;
	bulk_peer_send(sock, type, 0, REGION_FLAG | size, fd);
	assert_true(hx_pump_gone(x, 1, 3000));
	v = x->last_viol;
	assert_int_equal(served, 0);
	close(sock);
	hx_free(x);
	return v;
}

static void rule_a_region_must_be_sealed_against_shrinking_and_growing(void **state)
{
	static const int missing[] = {F_SEAL_SHRINK, F_SEAL_GROW};
	(void)state;
	/* in both forms: revision 1.3 (the helper adds F_SEAL_SEAL) and 1.1
	 * (the worker did) */
	for (size_t i = 0; i < 2; i++)
		for (int form = 0; form < 2; form++) {
			struct region r = region_new(
			    pg, (form ? REGION_SEALS_1_1 : REGION_SEALS) & ~missing[i], pg);
			assert_int_equal(region_verdict(T_BULK, 16, r.fd), PRIVSEP_V_BAD_BULK);
			region_del(&r);
		}
}

/* The helper writes the control page: a region it cannot map writable (the
 * worker sealed it against writes, now or in the future) is refused, and
 * so is a revision 1.3 region the helper cannot seal. */
static void rule_a_region_whose_control_page_the_helper_cannot_write_is_bad_bulk(void **state)
{
	static const int extra[] = {F_SEAL_FUTURE_WRITE, F_SEAL_FUTURE_WRITE | F_SEAL_SEAL};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct region r = region_new(pg, REGION_SEALS, pg);
		/* the worker's own mapping stays writable under these seals */
		assert_int_equal(fcntl(r.fd, F_ADD_SEALS, extra[i]), 0);
		assert_int_equal(region_verdict(T_BULK, 16, r.fd), PRIVSEP_V_BAD_BULK);
		region_del(&r);
	}
}

static void rule_a_region_cannot_hold_less_than_the_record_declares(void **state)
{
	struct region r = region_new(pg, REGION_SEALS, pg);
	(void)state;
	assert_int_equal(region_verdict(T_BULK, pg + 1, r.fd), PRIVSEP_V_BAD_BULK);
	region_del(&r);
}

static void rule_a_region_payload_over_the_type_limit_is_bad_bulk(void **state)
{
	struct region r = region_new(pg, REGION_SEALS, pg);
	(void)state;
	assert_int_equal(region_verdict(T_SMALL, 17, r.fd), PRIVSEP_V_BAD_BULK);
	region_del(&r);
}

static void rule_a_region_larger_than_the_largest_bulk_limit_is_bad_bulk(void **state)
{
	/* the helper maps a region whole: its size is bounded by the table */
	struct region r = region_new(LIMIT + pg, REGION_SEALS, 0);
	(void)state;
	assert_int_equal(region_verdict(T_BULK, 16, r.fd), PRIVSEP_V_BAD_BULK);
	region_del(&r);
}

static void rule_a_region_with_a_hole_in_the_payload_is_bad_bulk(void **state)
{
	/* the first page written, the rest a hole that the helper would have
	 * to allocate */
	struct region r = region_new(MIB, REGION_SEALS, pg);
	(void)state;
	assert_int_equal(region_verdict(T_BULK, MIB, r.fd), PRIVSEP_V_BAD_BULK);
	region_del(&r);

	/* a whole region of revision 1.1 (sealed by the worker), accepted;
	 * then the worker punches a hole in it (the seals allow that) and
	 * sends it again */
	r = region_new(MIB, REGION_SEALS_1_1, MIB);
	{
		struct hx *x = hx_new(table, NTABLE, 0);
		int sock = hx_attach_raw(x, "raw", NULL);
		attack = NULL;
		served = 0;
		bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
		assert_int_equal(hx_pump_until(x, &served, 5000), 1);
		assert_int_equal(fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		                           (off_t)(pg + pg), 4096),
		                 0);
		served = 0;
		bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
		assert_true(hx_pump_gone(x, 1, 3000));
		assert_int_equal(x->last_viol, PRIVSEP_V_BAD_BULK);
		assert_int_equal(served, 0);
		assert_true(hx_logged(x, "the bulk region is sparse"));
		close(sock);
		hx_free(x);
	}
	region_del(&r);
}

/* A revision 1.3 region: once the helper took it, the worker can rewrite
 * it through the mapping it had, and nothing else: no hole punched, no
 * write(2), no new writable mapping, no shrinking.  So the helper reads
 * the payload through a read-only mapping of its own without a page that
 * could vanish under it (a fault that would allocate, or SIGBUS). */
static void a_worker_cannot_punch_a_hole_in_its_region_once_the_helper_took_it(void **state)
{
	struct hx *x = hx_new(table, NTABLE, 0);
	int sock = hx_attach_raw(x, "attacker", NULL);
	struct region r = region_new(MIB, REGION_SEALS, MIB);
	int seals;
	(void)state;
	memset(r.map + pg, 'A', MIB);
	attack = NULL;
	served = 0;
	checked_ok = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_true(checked_ok);
	seals = fcntl(r.fd, F_GET_SEALS);
	assert_int_equal(seals & (REGION_SEALS | REGION_SEALS_HELPER),
	                 REGION_SEALS | REGION_SEALS_HELPER);
	/* every way to free a page of it, or to write it anew, is refused */
	errno = 0;
	assert_int_equal(
	    fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(pg + pg), 4096),
	    -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(madvise(r.map + pg + pg, pg, MADV_REMOVE), -1);
	assert_int_equal(errno, EPERM);
	errno = 0;
	assert_int_equal(pwrite(r.fd, "B", 1, (off_t)pg), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(ftruncate(r.fd, (off_t)pg), -1);
	assert_true(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, r.fd, 0) == MAP_FAILED);
	assert_int_equal(fcntl(r.fd, F_ADD_SEALS, F_SEAL_WRITE), -1);
	/* the worker's own mapping still writes it: the next payload, served
	 * from what it wrote there */
	memset(r.map + pg, 'B', MIB);
	served = 0;
	checked_ok = 1;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	assert_false(checked_ok);
	assert_true(bulk_peer_all(r.map + pg, MIB, 'B'));
	assert_int_equal(*(volatile uint32_t *)(void *)(r.map + REGION_OFF_DONE), 2);
	assert_int_equal(x->gone, 0);
	close(sock);
	region_del(&r);
	hx_free(x);
}

static void rule_a_region_must_be_open_read_write(void **state)
{
	struct region r = region_new(pg, REGION_SEALS, pg);
	char path[64];
	int ro;
	(void)state;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r.fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(ro >= 0);
	assert_int_equal(region_verdict(T_BULK, 16, ro), PRIVSEP_V_BAD_BULK);
	close(ro);
	region_del(&r);
}

static void rule_a_region_from_the_helper_is_refused_by_the_worker(void **state)
{
	/* only a worker sends regions: a helper that sends one broke the
	 * protocol (the worker would read memory the helper can change) */
	int sv[2];
	struct privsep_client_config cfg = {.table = table, .n = NTABLE};
	struct privsep_client *c;
	struct region r = region_new(pg, REGION_SEALS, pg);
	(void)state;
	assert_int_equal(chan_pair(sv), 0);
	c = privsep_client_new(sv[1], &cfg);
	assert_non_null(c);
	served = 0;
	bulk_peer_send(sv[0], T_EV, 0, REGION_FLAG | 16, r.fd);
	assert_int_equal(privsep_client_dispatch(c, 1000), -1);
	assert_int_equal(errno, EPROTO);
	assert_int_equal(served, 0);
	privsep_client_free(c);
	close(sv[0]);
	region_del(&r);
}

/* ---- an honest worker ---- */

static void fill(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (uint8_t)(seed >> 16);
	}
}

#define NPAYLOADS 24
static atomic_int intact, broken;

/* Payload i is i's fill, of a size that varies (so that the region is
 * reused, and replaced by a larger one once). */
static size_t payload_size(int i)
{
	return (i < NPAYLOADS / 2 ? 256u << 10 : MIB) - (size_t)i * 4096;
}

static size_t region_mapped_max;   /* the largest mapping of a region in the helper */
static size_t region_writable_max; /* the largest writable one */

/* The largest mapping of a worker's region in this process (the helper),
 * and the largest writable one: /proc/self/maps names a memfd
 * "/memfd:NAME (deleted)". */
static void region_mappings(size_t *all_max, size_t *w_max)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512], perms[8];
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (!strstr(line, "/memfd:privsep-region") ||
		    sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (hi - lo > *all_max)
			*all_max = hi - lo;
		if (perms[1] == 'w' && hi - lo > *w_max)
			*w_max = hi - lo;
	}
	fclose(f);
}

static int verifying_handler(struct privsep_req *req, void *arg)
{
	static uint8_t want[MIB];
	int i = served;
	(void)arg;
	region_mappings(&region_mapped_max, &region_writable_max);
	fill(want, payload_size(i), (uint32_t)i);
	if (req->bulk_len == payload_size(i) && !memcmp(req->bulk, want, req->bulk_len))
		intact++;
	else
		broken++;
	served++;
	return 0;
}

static int poster(struct privsep_client *c, void *arg)
{
	static uint8_t buf[MIB];
	(void)arg;
	for (int i = 0; i < NPAYLOADS; i++) {
		struct privsep_bulk b = {buf, payload_size(i)};
		fill(buf, b.len, (uint32_t)i);
		/* back to back: the next payload is written into the region
		 * while the helper may still be reading the last, unless the
		 * client waits for it */
		if (privsep_client_post(c, &(struct privsep_out){.type = T_BULK, .bulk = &b}) < 0)
			return 10 + i;
	}
	return privsep_client_flush(c, 5000) < 0 ? 9 : 0;
}

static const char bulk_policy[] = "version 1\n"
                                  "include <default.policy>\n"
                                  "allow @bulk\n";

/* An honest poster's NPAYLOADS payloads, served by verifying_handler;
 * the helper, with the worker gone, for the caller to look at. */
static struct hx *post_honestly(void)
{
	static const struct privsep_handler t[] = {{.type = T_BULK,
	                                            .name = "bulk",
	                                            .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                            .fn = verifying_handler,
	                                            .bulk_max = LIMIT}};
	struct hx *x = hx_new(t, 1, 0);
	struct privsep_sandbox sb = {.policy = "bulk region test", .policy_text = bulk_policy};
	struct privsep_spawn sp = {.name = "poster", .main = poster, .sandbox = &sb};
	served = intact = broken = 0;
	region_mapped_max = region_writable_max = 0;
	assert_non_null(privsep_spawn(x->h, &sp));
	assert_true(hx_pump_gone(x, 1, 60000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	return x;
}

static void an_honest_worker_s_payloads_in_a_row_each_arrive_intact(void **state)
{
	struct hx *x = post_honestly();
	(void)state;
	assert_int_equal(served, NPAYLOADS);
	assert_int_equal(intact, NPAYLOADS);
	assert_int_equal(broken, 0);
	/* the helper copied them out of the region (the log says nothing of
	 * a sealed memfd refused or a payload dropped) */
	assert_false(hx_logged(x, "bad-bulk"));
	hx_free(x);
}

/* A revision 1.1 worker can punch a hole in its region after the helper
 * checked it (madvise MADV_REMOVE on its own mapping: @alloc allows
 * madvise).  Read through a shared mapping, the hole would be allocated by
 * the helper's fault (and charged to it, or SIGBUS where shmem cannot be
 * charged).  So the helper maps a region's payload only once it sealed it
 * with F_SEAL_FUTURE_WRITE (revision 1.3: no hole can be punched), and
 * read-only: the one writable mapping it has is the control page. */
static void the_helper_maps_a_region_s_payload_only_read_only_once_it_sealed_it(void **state)
{
	struct hx *x = post_honestly();
	(void)state;
	assert_int_equal(intact, NPAYLOADS);
	/* the data was mapped (read-only) while payloads were served */
	assert_true(region_mapped_max >= MIB - (NPAYLOADS - 1) * 4096);
	/* and the only writable mapping was the control page */
	assert_int_equal(region_writable_max, (size_t)sysconf(_SC_PAGESIZE));
	hx_free(x);
}

/* ---- a helper confined by helper.policy ---- */

static void quiet(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

static void a_confined_helper_serves_a_region_and_refuses_a_hole_punched_in_it(void **state)
{
	/* every call the region costs the helper (fstat, the seals it reads
	 * and adds, mmap, mprotect, madvise, pread, lseek for a hole, futex)
	 * is one helper.policy allows: a confined helper is not killed by its
	 * own filter when a worker sends a region of either revision, or
	 * punches a hole in one of revision 1.1 */
	struct region r13 = region_new(MIB, REGION_SEALS, MIB);
	struct region r = region_new(MIB, REGION_SEALS_1_1, MIB);
	int sv[2], st;
	pid_t hp;
	(void)state;
	memset(r13.map + pg, 'A', MIB);
	memset(r.map + pg, 'A', MIB);
	assert_int_equal(chan_pair(sv), 0);
	hp = fork();
	assert_true(hp >= 0);
	if (hp == 0) {
		struct privsep_helper_config cfg = {.log = quiet};
		struct privsep_helper *h = privsep_helper_new(table, NTABLE, &cfg);
		int all_ok = 1;
		close(sv[1]);
		attack = NULL;
		served = 0;
		if (!h || !helper_attach(h, sv[0], -1, 0, "w") ||
		    privsep_helper_confine(h, NULL, NULL) < 0)
			_exit(2);
		for (int t = 0; t < 500 && privsep_helper_nworkers(h) > 0; t++) {
			int before = served;
			privsep_helper_step(h, 20);
			if (served != before && !checked_ok)
				all_ok = 0;
		}
		/* served the two, killed the worker for the third */
		_exit(served == 2 && all_ok && privsep_helper_nworkers(h) == 0 ? 0 : 3);
	}
	close(sv[0]);
	/* the helper copied each out (its control page says so) */
	bulk_peer_send(sv[1], T_BULK, 0, REGION_FLAG | MIB, r13.fd);
	for (int t = 0; t < 1000 && !*(volatile uint32_t *)(void *)(r13.map + REGION_OFF_DONE); t++)
		poll(NULL, 0, 10);
	assert_int_equal(*(volatile uint32_t *)(void *)(r13.map + REGION_OFF_DONE), 1);
	bulk_peer_send(sv[1], T_BULK, 0, REGION_FLAG | MIB, r.fd);
	for (int t = 0; t < 1000 && !*(volatile uint32_t *)(void *)(r.map + REGION_OFF_DONE); t++)
		poll(NULL, 0, 10);
	assert_int_equal(*(volatile uint32_t *)(void *)(r.map + REGION_OFF_DONE), 1);
	assert_int_equal(
	    fallocate(r.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(pg + pg), 4096), 0);
	bulk_peer_send(sv[1], T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(waitpid(hp, &st, 0), hp);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("the confined helper %s %d",
		         WIFEXITED(st) ? "exited with" : "was killed by",
		         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	close(sv[1]);
	region_del(&r);
	region_del(&r13);
}

/* ---- what a worker forked later inherits ---- */

static const void *other_region_copy; /* the helper's copy of A's payload */

static int look_for_the_copy(struct privsep_client *c, void *arg)
{
	unsigned char v;
	(void)c;
	(void)arg;
	/* mapped here: 1; gone (ENOMEM): 0 */
	uintptr_t page = (uintptr_t)other_region_copy & ~(uintptr_t)(pg - 1);
	return mincore((void *)page, pg, &v) == 0 ? 1 : 0;
}

static const void *seen_bulk;
static int noting_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	seen_bulk = req->bulk;
	served++;
	return 0;
}

static void a_worker_forked_later_does_not_inherit_another_worker_s_bulk(void **state)
{
	const struct privsep_handler t[] = {{.type = T_BULK,
	                                     .name = "bulk",
	                                     .flags = PRIVSEP_H_POST | PRIVSEP_H_BULK,
	                                     .fn = noting_handler,
	                                     .bulk_max = LIMIT}};
	struct hx *x = hx_new(t, 1, 0);
	int sock = hx_attach_raw(x, "a", NULL);
	struct region r = region_new(MIB, REGION_SEALS, MIB);
	struct privsep_spawn sp = {.name = "b", .main = look_for_the_copy, .unsandboxed = 1};
	(void)state;
	memset(r.map + pg, 'S', MIB); /* A's secret */
	served = 0;
	bulk_peer_send(sock, T_BULK, 0, REGION_FLAG | MIB, r.fd);
	assert_int_equal(hx_pump_until(x, &served, 5000), 1);
	other_region_copy = seen_bulk;
	/* here, in the helper, the copy is mapped */
	{
		unsigned char v;
		uintptr_t page = (uintptr_t)seen_bulk & ~(uintptr_t)(pg - 1);
		assert_int_equal(mincore((void *)page, pg, &v), 0);
	}
	assert_non_null(privsep_spawn(x->h, &sp));
	/* B exits 0: neither the copy nor (MADV_DONTFORK) the region is in
	 * its address space */
	assert_true(hx_pump_gone(x, 1, 10000));
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, 0);
	close(sock);
	region_del(&r);
	hx_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        a_worker_that_rewrites_its_region_after_the_check_does_not_change_the_handlers_bytes),
	    cmocka_unit_test(
	        a_worker_that_rewrites_its_region_while_the_helper_reads_it_cannot_make_two_reads_differ),
	    cmocka_unit_test(rule_a_region_must_be_sealed_against_shrinking_and_growing),
	    cmocka_unit_test(rule_a_region_cannot_hold_less_than_the_record_declares),
	    cmocka_unit_test(rule_a_region_payload_over_the_type_limit_is_bad_bulk),
	    cmocka_unit_test(rule_a_region_larger_than_the_largest_bulk_limit_is_bad_bulk),
	    cmocka_unit_test(rule_a_region_whose_control_page_the_helper_cannot_write_is_bad_bulk),
	    cmocka_unit_test(rule_a_region_with_a_hole_in_the_payload_is_bad_bulk),
	    cmocka_unit_test(a_worker_cannot_punch_a_hole_in_its_region_once_the_helper_took_it),
	    cmocka_unit_test(rule_a_region_must_be_open_read_write),
	    cmocka_unit_test(rule_a_region_from_the_helper_is_refused_by_the_worker),
	    cmocka_unit_test(an_honest_worker_s_payloads_in_a_row_each_arrive_intact),
	    cmocka_unit_test(the_helper_maps_a_region_s_payload_only_read_only_once_it_sealed_it),
	    cmocka_unit_test(a_worker_forked_later_does_not_inherit_another_worker_s_bulk),
	    cmocka_unit_test(a_confined_helper_serves_a_region_and_refuses_a_hole_punched_in_it),
	};
	return cmocka_run_group_tests(tests, region_setup, NULL);
}
