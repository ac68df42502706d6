/* SPDX-License-Identifier: ISC */
/*
 * region.c - the region form of a bulk payload (region.h).
 *
 * The rule that keeps a hostile sender harmless: the receiver reads the
 * region once, with one copy into memory only it can write, and nothing
 * (no check, no handler) ever reads the region itself.  A sender that
 * rewrites the region during the copy changes what the copy holds, which
 * it could have sent anyway; it cannot change a byte after the copy, when
 * the checks and the handler run.  F_SEAL_SHRINK keeps every page of the
 * region there while the receiver reads (no SIGBUS), F_SEAL_GROW keeps
 * its size, F_SEAL_SEAL the seals.  The control page is the one place the
 * receiver writes: a counter, which it never reads back.
 *
 * Two forms (docs/PROTOCOL.md, section 12).  Revision 1.1: the sender
 * sealed the region with F_SEAL_SEAL too; it can still punch holes in
 * it, so the receiver reads the payload with pread (a hole reads as
 * zeros and allocates nothing), a page at a time in the kernel.
 * Revision 1.3: the sender leaves F_SEAL_SEAL off and the receiver, once
 * it has mapped the control page read-write, adds F_SEAL_FUTURE_WRITE and
 * F_SEAL_SEAL itself: from then on nobody can write(2), punch a hole
 * (fallocate, MADV_REMOVE) or map the region writable anew; only the
 * sender's mapping from before stays writable.  Every page checked
 * allocated after that stays allocated, so the receiver maps the data
 * read-only and copies it out with memcpy (twice pread's speed here).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "copyout.h"
#include "region.h"

/* A copy buffer this large or larger asks for transparent huge pages. */
#define REGION_HUGE ((size_t)2 << 20)

static size_t page(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static size_t round_up(size_t n, size_t to)
{
	return (n + to - 1) / to * to;
}

static uint32_t *word(uint8_t *map, size_t off)
{
	return (uint32_t *)(void *)(map + off);
}

/* ---- the sender ---- */

void region_tx_init(struct region_tx *r)
{
	r->fd = -1;
	r->map = NULL;
	r->maplen = 0;
	r->sent = 0;
	r->known = 0;
	r->linear = 0;
	memset(r->slot_sent, 0, sizeof(r->slot_sent));
}

void region_tx_free(struct region_tx *r)
{
	int saved = errno;
	if (r->map)
		munmap(r->map, r->maplen);
	if (r->fd >= 0)
		close(r->fd);
	region_tx_init(r);
	errno = saved;
}

static int pwrite_all(int fd, const void *p, size_t n, size_t off)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t k = pwrite(fd, b, n, (off_t)off);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += k;
		n -= (size_t)k;
		off += (size_t)k;
	}
	return 0;
}

static int pwrite_zeros(int fd, size_t n, size_t off)
{
	static const uint8_t zeros[4096];
	while (n) {
		size_t k = n < sizeof(zeros) ? n : sizeof(zeros);
		if (pwrite_all(fd, zeros, k, off) < 0)
			return -1;
		n -= k;
		off += k;
	}
	return 0;
}

/* A new region holding data (len bytes) and room for at least want bytes,
 * every page written (the control page, the data, zeros to the end of its
 * last page), in place of r's. */
static int region_make(struct region_tx *r, const void *data, size_t len, size_t want)
{
	size_t pg = page(), cap = round_up(len > want ? len : want ? want : 1, pg);
	int fd = memfd_create("privsep-region", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	uint8_t *map;
	if (fd < 0)
		return -1;
	if (pwrite_zeros(fd, pg, 0) < 0 || (len && pwrite_all(fd, data, len, pg) < 0) ||
	    pwrite_zeros(fd, cap - len, pg + len) < 0 || fcntl(fd, F_ADD_SEALS, REGION_SEALS) < 0)
		goto fail;
	/* populated: the next payloads are written with no page fault */
	map = mmap(NULL, pg + cap, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (map == MAP_FAILED)
		goto fail;
	region_tx_free(r);
	r->fd = fd;
	r->map = map;
	r->maplen = pg + cap;
	r->sent = 0;
	r->known = 0;
	memset(r->slot_sent, 0, sizeof(r->slot_sent));
	return 0;
fail : {
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
}

/* Whether the receiver copied out all but ahead of the records sent (done
 * is d); the first one it copied tells that it holds the region. */
static int region_caught_up(struct region_tx *r, uint32_t d, unsigned ahead)
{
	if (d != 0)
		r->known = 1;
	return (uint32_t)(r->sent - d) <= ahead;
}

/* Wait until the receiver has copied out every record sent but ahead of
 * them, up to wait_ms.  0; -1 with errno EAGAIN (the time ran out) or
 * EPIPE. */
static int region_wait(struct region_tx *r, unsigned ahead, int wait_ms, int (*dead)(void *),
                       void *arg)
{
	uint32_t *done = word(r->map, REGION_OFF_DONE), *waiting = word(r->map, REGION_OFF_WAITING);
	int64_t until;
	int rc = 0;
	if (region_caught_up(r, __atomic_load_n(done, __ATOMIC_ACQUIRE), ahead))
		return 0;
	if (wait_ms <= 0) {
		errno = EAGAIN;
		return -1;
	}
	until = clock_now_ms() + wait_ms;
	for (;;) {
		uint32_t d;
		int64_t left;
		struct timespec ts;
		/* the receiver stores DONE, then reads WAITING; this end stores
		 * WAITING, then reads DONE: one of the two sees the other */
		__atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
		d = __atomic_load_n(done, __ATOMIC_SEQ_CST);
		if (region_caught_up(r, d, ahead))
			break;
		if (dead && dead(arg)) {
			errno = EPIPE;
			rc = -1;
			break;
		}
		left = until - clock_now_ms();
		if (left <= 0) {
			errno = EAGAIN;
			rc = -1;
			break;
		}
		/* in slices, so that a channel that died is noticed */
		if (left > 10)
			left = 10;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		syscall(SYS_futex, done, FUTEX_WAIT, d, &ts, NULL, 0);
	}
	__atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
	return rc;
}

int region_tx_put(struct region_tx *r, const void *data, size_t len, int wait_ms,
                  int (*dead)(void *), void *arg, uint64_t *size)
{
	size_t pg = page();
	int fd;
	if (r->map && len <= r->maplen - pg) {
		if (region_wait(r, 0, wait_ms, dead, arg) == 0) {
			if (len)
				memcpy(r->map + pg, data, len);
		} else if (errno == EAGAIN && wait_ms > 0) {
			/* the receiver never told: a payload it did not copy
			 * (dropped at its fd limit), or it is stuck.  This region
			 * is given up (whatever it does with it later changes
			 * nothing here) and a new one made. */
			if (region_make(r, data, len, 0) < 0)
				return -1;
		} else {
			return -1;
		}
	} else if (region_make(r, data, len, 0) < 0) {
		return -1;
	}
	/* borrowed by the send (MSG_SEND_BORROW_BULK); a region the helper
	 * holds is named without it (revision 1.4) */
	fd = r->known ? REGION_TX_HELD : r->fd;
	r->sent++;
	*size = REGION_FLAG | (r->known ? REGION_HELD : 0) | (uint64_t)len;
	return fd;
}

int region_tx_room(struct region_tx *r, size_t len, int wait_ms, int (*dead)(void *), void *arg)
{
	if (r->map && len <= r->maplen - page()) {
		if (region_wait(r, 0, wait_ms, dead, arg) == 0)
			return 0;
		/* not copied out in time: given up, as region_tx_put does */
		if (errno != EAGAIN || wait_ms <= 0)
			return -1;
	}
	return region_make(r, NULL, 0, len);
}

uint32_t region_tx_unacked(const struct region_tx *r)
{
	return r->sent - __atomic_load_n(word(r->map, REGION_OFF_DONE), __ATOMIC_ACQUIRE);
}

int region_tx_helper_cpu(const struct region_tx *r)
{
	if (!r->map)
		return -1;
	return (int)__atomic_load_n(word(r->map, REGION_OFF_CPU), __ATOMIC_RELAXED) - 1;
}

size_t region_tx_at(struct region_tx *r, size_t off, size_t part, size_t len, int wait_ms,
                    int (*dead)(void *), void *arg)
{
	size_t k = off / part, j = k % REGION_RING;
	if (k == 0)
		r->linear = 0;
	if (len > part || r->linear)
		return off;
	/* the slot's last part copied out: DONE reached the count of
	 * records sent with it, so at most sent - slot_sent are not */
	if (k >= REGION_RING && region_wait(r, r->sent - r->slot_sent[j], wait_ms, dead, arg) < 0) {
		/* not in time (or a helper in this very thread): the rest of
		 * this payload at its own places, with no more waiting */
		r->linear = 1;
		return off;
	}
	/* this part's record will be the (sent + 1)-th */
	r->slot_sent[j] = r->sent + 1;
	return j * part;
}

int region_tx_part(struct region_tx *r, size_t at, const void *data, size_t len)
{
	memcpy(r->map + page() + at, data, len);
	r->sent++;
	return r->known ? REGION_TX_HELD : r->fd;
}

void region_tx_final(struct region_tx *r, size_t len, uint64_t *size)
{
	r->sent++;
	*size = REGION_FLAG | REGION_HELD | (uint64_t)len;
}

void region_tx_unsend(struct region_tx *r)
{
	r->sent--;
}

/* ---- the receiver ---- */

void region_rx_init(struct region_rx *rx)
{
	memset(rx, 0, sizeof(*rx));
	rx->fd = -1;
}

/* The region's mappings and fd, not the parts' buffer. */
static void region_rx_unmap(struct region_rx *rx)
{
	if (rx->map)
		munmap(rx->map, rx->maplen);
	if (rx->data)
		munmap((void *)(uintptr_t)rx->data, rx->datalen);
	if (rx->fd >= 0)
		close(rx->fd);
	rx->fd = -1;
	rx->map = NULL;
	rx->maplen = 0;
	rx->data = NULL;
	rx->datalen = 0;
	rx->sealed = 0;
	rx->dev = 0;
	rx->ino = 0;
	rx->done = 0;
}

void region_copy_free(struct region_copy *c)
{
	if (c->buf)
		munmap(c->buf, c->cap);
	c->buf = NULL;
	c->cap = 0;
}

void region_rx_free(struct region_rx *rx)
{
	region_rx_unmap(rx);
	region_copy_free(&rx->parts);
	rx->ptotal = 0;
	rx->ptype = 0;
	rx->pgot = 0;
	rx->fleft = 0;
	rx->perr = 0;
	rx->plost = 0;
}

/* The region's allocation: every page of its st_size (a hole would be
 * allocated, and paid for, by this end's read). */
static int region_sparse(const struct stat *st, char *why, size_t whylen)
{
	size_t pg = page();
	if ((uint64_t)st->st_blocks * 512 >= round_up((size_t)st->st_size, pg))
		return 0;
	snprintf(
	    why, whylen,
	    "the bulk region is sparse: %llu of %llu bytes allocated (the sender must write every page)",
	    (unsigned long long)st->st_blocks * 512,
	    (unsigned long long)round_up((size_t)st->st_size, pg));
	return 1;
}

/* A mapping of fd for the receiver: none of it ever forked into a worker.
 * 0; 1 (why says so) when the fd refuses it; -1 with errno. */
static int region_mmap(int fd, size_t len, off_t off, int prot, int flags, uint8_t **out,
                       const char *what, char *why, size_t whylen)
{
	uint8_t *map = mmap(NULL, len, prot, MAP_SHARED | flags, fd, off);
	int err;
	if (map == MAP_FAILED) {
		err = errno;
		snprintf(why, whylen, "mapping %s (%zu bytes): %s", what, len, strerror(err));
		if (err == EACCES || err == ENODEV || err == EINVAL || err == EPERM)
			return 1;
		errno = err;
		return -1;
	}
	if (madvise(map, len, MADV_DONTFORK) < 0) {
		err = errno;
		munmap(map, len);
		snprintf(why, whylen, "%s: %s", what, strerror(err));
		if (err == EACCES || err == EPERM)
			return 1;
		errno = err;
		return -1;
	}
	*out = map;
	return 0;
}

/* A revision 1.3 region whose control page this end mapped: seal it
 * against every write but the sender's mapping, check that the seals
 * hold and that every page is allocated (none can be freed after), and
 * map its data read-only.  0, 1 (why), -1 (errno). */
static int region_rx_seal(int fd, size_t datalen, const uint8_t **data, char *why, size_t whylen)
{
	size_t pg = page();
	struct stat st;
	uint8_t *map = NULL;
	int seals, rc;

	*data = NULL;
	if (fcntl(fd, F_ADD_SEALS, REGION_SEALS_HELPER) < 0) {
		snprintf(why, whylen,
		         "sealing the bulk region with F_SEAL_FUTURE_WRITE and F_SEAL_SEAL: %s",
		         strerror(errno));
		return 1;
	}
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & (REGION_SEALS | REGION_SEALS_HELPER)) !=
	                     (REGION_SEALS | REGION_SEALS_HELPER)) {
		snprintf(why, whylen, "the bulk region lost its seals (0x%x)", (unsigned)seals);
		return 1;
	}
	/* the sender could punch holes until the seal: look again */
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "fstat of the bulk region: %s", strerror(errno));
		return -1;
	}
	if (region_sparse(&st, why, whylen))
		return 1;
	if (!datalen)
		return 0;
	/* populated: every page is allocated, so this allocates nothing.
	 * Where this end cannot map it (its address-space limit), the region
	 * is read with pread: it is sealed now, and a region sealed once
	 * cannot be offered again as a new one */
	rc = region_mmap(fd, datalen, (off_t)pg, PROT_READ, MAP_POPULATE, &map,
	                 "the bulk region's data, read-only", why, whylen);
	if (rc > 0)
		return rc;
	*data = rc == 0 ? map : NULL;
	return 0;
}

/* A region not seen before: check it and map it in place of rx's. */
static int region_rx_map(struct region_rx *rx, const struct region_copy *c, int fd, struct stat *st,
                         char *why, size_t whylen)
{
	size_t pg = page(), datalen;
	uint64_t lim = c->region_max > SIZE_MAX / 2 ? SIZE_MAX / 2 : c->region_max;
	uint64_t max = round_up((size_t)lim, pg);
	int seals = fcntl(fd, F_GET_SEALS), sealed, rc;
	uint8_t *map;
	const uint8_t *data = NULL;

	if (seals < 0) {
		snprintf(why, whylen, "the bulk region is not a memfd (F_GET_SEALS: %s)",
		         strerror(errno));
		return 1;
	}
	if ((seals & REGION_SEALS) != REGION_SEALS) {
		snprintf(
		    why, whylen,
		    "the bulk region is not sealed with F_SEAL_SHRINK and F_SEAL_GROW (seals 0x%x)",
		    (unsigned)seals);
		return 1;
	}
	/* the size is frozen only from the seals on: the caller's fstat came
	 * before them, when the sender could still shrink the region (a copy
	 * through the mapping past its end would be SIGBUS); look again */
	if (fstat(fd, st) < 0) {
		snprintf(why, whylen, "fstat of the bulk region: %s", strerror(errno));
		return -1;
	}
	/* without F_SEAL_SEAL: revision 1.3, this end seals it */
	sealed = !(seals & F_SEAL_SEAL);
	if (!S_ISREG(st->st_mode)) {
		snprintf(why, whylen, "the bulk region is not a memfd (not a regular file)");
		return 1;
	}
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) != O_RDWR) {
		snprintf(why, whylen, "the bulk region is not open for reading and writing");
		return 1;
	}
	if (st->st_size < (off_t)pg || (uint64_t)st->st_size - pg > max) {
		snprintf(
		    why, whylen,
		    "the bulk region has %lld bytes: a control page and at most %llu bytes of data",
		    (long long)st->st_size, (unsigned long long)max);
		return 1;
	}
	/* every page allocated by the sender, before this end maps it
	 * populated: a hole would be allocated (and paid for) here */
	if (region_sparse(st, why, whylen))
		return 1;
	datalen = (size_t)st->st_size - pg;
	/* the control page, read-write: the one place this end writes.  A
	 * revision 1.1 region's data is never mapped: read with pread, which
	 * reads a hole the sender punched later as zeros without allocating
	 * it (a fault through a shared mapping would allocate it, and could
	 * SIGBUS where shmem cannot be charged) */
	rc = region_mmap(fd, pg, 0, PROT_READ | PROT_WRITE, 0, &map,
	                 "the bulk region's control page", why, whylen);
	if (rc)
		return rc;
	if (sealed) {
		rc = region_rx_seal(fd, datalen, &data, why, whylen);
		if (rc) {
			int err = errno;
			munmap(map, pg);
			errno = err;
			return rc;
		}
	}
	region_rx_unmap(rx);
	rx->map = map;
	rx->maplen = pg;
	rx->datalen = datalen;
	rx->data = data;
	rx->sealed = sealed;
	rx->dev = st->st_dev;
	rx->ino = st->st_ino;
	/* populated: a fault per page, whatever the payload's size (1 MiB:
	 * 0.3 ms here, more than a copy of it) */
	rx->mapped += data ? datalen : 0;
	/* a sealed region read with pread: kept, so that a record may name
	 * it without its fd (revision 1.4); without it such a record is
	 * answered as one this end cannot map */
	if (sealed && !data && datalen)
		rx->fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	return 0;
}

/* c's buffer with room for size bytes: kept from one payload to the next,
 * out of every worker forked later. */
static int copy_room(struct region_copy *c, size_t size)
{
	size_t cap;
	void *b;
	if (c->cap >= size)
		return 0;
	cap = round_up(size, size >= REGION_HUGE ? REGION_HUGE : page());
	b = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return -1;
	if (madvise(b, cap, MADV_DONTFORK) < 0) {
		int saved = errno;
		munmap(b, cap);
		errno = saved;
		return -1;
	}
	if (cap >= REGION_HUGE)
		(void)madvise(b, cap, MADV_HUGEPAGE); /* where the machine allows it */
	region_copy_free(c);
	c->buf = b;
	c->cap = cap;
	return 0;
}

/* size bytes of fd from off into buf, with pread: the sealed size
 * holds them all, so a short read is an error, never an end. */
static int read_all(int fd, uint8_t *buf, size_t size, off_t off)
{
	while (size) {
		ssize_t n = pread(fd, buf, size, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		buf += n;
		size -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Tell the sender one more payload was copied out (or dropped), and on
 * which CPU: a hint for its choice of sending a payload in early parts
 * (revision 1.5; this end never reads it back). */
static void region_ack(struct region_rx *rx)
{
	uint32_t *done = word(rx->map, REGION_OFF_DONE);
	int cpu = sched_getcpu();
	__atomic_store_n(word(rx->map, REGION_OFF_CPU), cpu < 0 ? 0u : (uint32_t)cpu + 1,
	                 __ATOMIC_RELAXED);
	__atomic_store_n(done, ++rx->done, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(word(rx->map, REGION_OFF_WAITING), __ATOMIC_SEQ_CST))
		syscall(SYS_futex, done, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
}

/* Whether a payload of total bytes is copied out with non-temporal
 * stores: one larger than the last-level cache, whose copy the handler
 * reads back from memory anyway. */
static int region_stream(const struct region_copy *c, uint64_t total)
{
	size_t over = c->stream_over ? c->stream_over : COPYOUT_STREAM_OVER;
	return total > over;
}

/* size bytes at offset at of rx's data (its mapping, or fd with pread)
 * into dst (streamed: see region_stream).  0; -1 with errno. */
static int region_read(const struct region_rx *rx, int fd, uint8_t *dst, size_t size, size_t at,
                       int stream)
{
	if (!size)
		return 0;
	if (rx->data) {
		copyout(dst, rx->data + at, size, stream);
		return 0;
	}
	if (fd < 0) {
		errno = ENOMEM;
		return -1;
	}
	return read_all(fd, dst, size, (off_t)(page() + at));
}

/* The payload, size bytes at the data's offset 0, copied out into c (fd:
 * the region, for pread; -1: none), and the sender told.  0; -1. */
static int region_copy_out(struct region_rx *rx, struct region_copy *c, int fd, uint64_t size,
                           const void **p, char *why, size_t whylen)
{
	if (copy_room(c, (size_t)size) < 0) {
		int err = errno;
		snprintf(why, whylen, "no room to copy %llu bytes of bulk: %s",
		         (unsigned long long)size, strerror(err));
		region_ack(rx);
		errno = err;
		return -1;
	}
	/* the one read of the region: from here on only the copy is read */
	if (region_read(rx, fd, c->buf, (size_t)size, 0, region_stream(c, size)) < 0) {
		int err = errno;
		snprintf(why, whylen, "reading %llu bytes of bulk from the region: %s",
		         (unsigned long long)size, strerror(err));
		region_ack(rx);
		errno = err;
		return -1;
	}
	region_ack(rx);
	*p = size ? (const void *)c->buf : (const void *)"";
	return 0;
}

/* A payload in parts under way: nothing but its parts and its final
 * record may name the region. */
static int region_parts_open(const struct region_rx *rx, const char *what, char *why, size_t whylen)
{
	if (!rx->ptotal)
		return 0;
	snprintf(why, whylen,
	         "%s while a payload in parts waits for its final record (%llu of %llu bytes came)",
	         what, (unsigned long long)rx->pgot, (unsigned long long)rx->ptotal);
	return 1;
}

static int region_over(uint64_t size, uint64_t max, size_t datalen, char *why, size_t whylen)
{
	if (size > max) {
		snprintf(why, whylen, "bulk of %llu bytes is over the type's limit of %llu",
		         (unsigned long long)size, (unsigned long long)max);
		return 1;
	}
	if (size > datalen) {
		snprintf(why, whylen, "the bulk region holds %zu bytes, the record declares %llu",
		         datalen, (unsigned long long)size);
		return 1;
	}
	return 0;
}

int region_rx_take(struct region_rx *rx, struct region_copy *c, int fd, uint64_t size, uint64_t max,
                   const void **p, char *why, size_t whylen)
{
	size_t pg = page();
	struct stat st;
	off_t hole;
	int rc;

	*p = NULL;
	if (region_parts_open(rx, "a bulk record with its region's memfd", why, whylen))
		return 1;
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "fstat of the bulk region: %s", strerror(errno));
		return -1;
	}
	if (!rx->map || st.st_dev != rx->dev || st.st_ino != rx->ino) {
		rc = region_rx_map(rx, c, fd, &st, why, whylen);
		if (rc)
			return rc;
	}
	if (region_over(size, max, rx->datalen, why, whylen))
		return 1;
	/* every page of the payload still allocated (a revision 1.1 sender
	 * may punch a hole after the region was mapped): a hole would make
	 * this end allocate (and pay for) it.  A region this end sealed, or
	 * with every page allocated (its blocks), has none; else it is
	 * looked for. */
	if (rx->sealed || (uint64_t)st.st_blocks * 512 >= round_up((size_t)st.st_size, pg))
		hole = st.st_size;
	else
		hole = lseek(fd, (off_t)pg, SEEK_HOLE);
	if (hole >= 0 && (uint64_t)hole < pg + size) {
		snprintf(why, whylen,
		         "the bulk region is sparse: a hole at %lld, in the payload's %llu bytes",
		         (long long)hole - (long long)pg, (unsigned long long)size);
		return 1;
	}
	return region_copy_out(rx, c, fd, size, p, why, whylen);
}

/* A record that names the held region (no fd): one there, sealed by this
 * end (a revision 1.1 region may have holes punched: its fd is needed). */
static int region_held_ok(const struct region_rx *rx, const char *what, char *why, size_t whylen)
{
	if (!rx->map) {
		snprintf(why, whylen,
		         "%s names the held region without its memfd, and no region is held", what);
		return 1;
	}
	if (!rx->sealed) {
		snprintf(
		    why, whylen,
		    "%s names the held region without its memfd, and that region was sealed by "
		    "the worker (revision 1.1): only its memfd names it",
		    what);
		return 1;
	}
	return 0;
}

int region_rx_held_of(struct region_rx *rx, struct region_copy *c, uint64_t size, uint64_t max,
                      uint32_t type, const void **p, char *why, size_t whylen)
{
	*p = NULL;
	if (rx->plost) {
		/* not told to the sender (done): it makes a new region */
		rx->plost = 0;
		rx->ptotal = 0;
		rx->ptype = 0;
		rx->pgot = 0;
		snprintf(
		    why, whylen,
		    "a part of this bulk payload could not be received (helper at its fd limit)");
		errno = EMFILE;
		return -1;
	}
	if (region_held_ok(rx, "a bulk record", why, whylen))
		return 1;
	if (!rx->ptotal) {
		if (region_over(size, max, rx->datalen, why, whylen))
			return 1;
		return region_copy_out(rx, c, rx->fd, size, p, why, whylen);
	}
	/* the final record of a payload in parts */
	if (rx->ptype && type != rx->ptype) {
		snprintf(
		    why, whylen,
		    "a record of type 0x%x ends a payload in parts whose parts named type 0x%x",
		    type, rx->ptype);
		return 1;
	}
	if (size != rx->ptotal) {
		snprintf(
		    why, whylen,
		    "the total of a payload in parts changed: its parts said %llu bytes, its final "
		    "record %llu",
		    (unsigned long long)rx->ptotal, (unsigned long long)size);
		return 1;
	}
	if (rx->pgot != rx->ptotal) {
		snprintf(
		    why, whylen,
		    "a part is missing: %llu of the %llu bytes of a payload in parts came before "
		    "its final record",
		    (unsigned long long)rx->pgot, (unsigned long long)rx->ptotal);
		return 1;
	}
	if (size > max) {
		snprintf(why, whylen, "bulk of %llu bytes is over the type's limit of %llu",
		         (unsigned long long)size, (unsigned long long)max);
		return 1;
	}
	rx->ptotal = 0;
	rx->pgot = 0;
	region_ack(rx);
	if (rx->perr) {
		rx->ptype = 0;
		errno = rx->perr;
		snprintf(why, whylen, "no room to copy %llu bytes of bulk in parts: %s",
		         (unsigned long long)size, strerror(rx->perr));
		rx->perr = 0;
		return -1;
	}
	/* fed part by part: its bytes went to the handler, none is kept */
	*p = rx->ptype ? (const void *)"" : (const void *)rx->parts.buf;
	rx->ptype = 0;
	return 0;
}

int region_rx_part_of(struct region_rx *rx, const struct region_copy *c, int fd, uint64_t total,
                      uint64_t off, uint64_t at, uint64_t len, uint32_t type, const void **fed,
                      char *why, size_t whylen)
{
	uint64_t lim = c->region_max > SIZE_MAX / 2 ? SIZE_MAX / 2 : c->region_max;
	uint8_t *dst;
	int rc;

	*fed = NULL;
	/* a part of this payload was dropped (this end's fd limit): so is
	 * the rest, up to its final record, which is answered so */
	if (rx->plost)
		return 0;
	if (fd >= 0) {
		struct stat st;
		if (fstat(fd, &st) < 0) {
			snprintf(why, whylen, "fstat of the bulk region: %s", strerror(errno));
			return -1;
		}
		if (!rx->map || st.st_dev != rx->dev || st.st_ino != rx->ino) {
			if (region_parts_open(
			        rx, "a region swapped mid-payload: a part with another memfd", why,
			        whylen))
				return 1;
			rc = region_rx_map(rx, c, fd, &st, why, whylen);
			if (rc)
				return rc;
		}
	}
	if (region_held_ok(rx, "a part", why, whylen))
		return 1;
	if (total == 0 || total > lim) {
		snprintf(why, whylen,
		         "a payload in parts of %llu bytes: 1 to the largest bulk limit, %llu",
		         (unsigned long long)total, (unsigned long long)lim);
		return 1;
	}
	if (len == 0 || at > rx->datalen || len > rx->datalen - at) {
		snprintf(why, whylen, "a part of %llu bytes at %llu of a region of %zu bytes%s",
		         (unsigned long long)len, (unsigned long long)at, rx->datalen,
		         len ? " runs past its end" : " is empty");
		return 1;
	}
	if (!rx->ptotal && off != 0) {
		snprintf(
		    why, whylen,
		    "a part at offset %llu of a payload in parts that did not begin (the first "
		    "part is at 0)",
		    (unsigned long long)off);
		return 1;
	}
	if (rx->ptotal && type != rx->ptype) {
		snprintf(why, whylen,
		         "a part of type 0x%x in a payload in parts of type 0x%x (0: a part that "
		         "names no type): the type changed mid-payload",
		         type, rx->ptype);
		return 1;
	}
	if (rx->ptotal && total != rx->ptotal) {
		snprintf(why, whylen,
		         "the total of a payload in parts changed: %llu bytes, then %llu in a part",
		         (unsigned long long)rx->ptotal, (unsigned long long)total);
		return 1;
	}
	if (rx->ptotal && off != rx->pgot) {
		snprintf(why, whylen,
		         "a part at offset %llu %s: %llu bytes of the payload had come",
		         (unsigned long long)off,
		         off < rx->pgot ? "overlaps what came (or comes again)"
		                        : "leaves a gap (a part is missing or out of order)",
		         (unsigned long long)rx->pgot);
		return 1;
	}
	if (len > total - off) {
		snprintf(
		    why, whylen,
		    "a part of %llu bytes at offset %llu runs past the end of its payload of %llu",
		    (unsigned long long)len, (unsigned long long)off, (unsigned long long)total);
		return 1;
	}
	if (!rx->ptotal) {
		rx->ptotal = total;
		rx->ptype = type;
		rx->pgot = 0;
		rx->perr = type || copy_room(&rx->parts, (size_t)total) == 0 ? 0 : errno;
	}
	rx->pgot += len;
	if (type) {
		/* part by part: copied out piece by piece (region_rx_piece),
		 * each into the start of a buffer of one piece, with stores
		 * that keep it in the caches for the handler that reads it
		 * next */
		size_t piece = len < REGION_SLOT ? (size_t)len : REGION_SLOT;
		if (!rx->perr && copy_room(&rx->parts, piece) < 0)
			rx->perr = errno;
		if (rx->perr) {
			region_ack(rx); /* nothing of it will be read */
			return 0;
		}
		rx->fat = (size_t)at;
		rx->fleft = (size_t)len;
		rx->foff = off;
		*fed = rx->parts.buf;
		return 0;
	}
	dst = rx->parts.buf + off;
	/* the one read of these bytes of the region: only the copy is read */
	if (!rx->perr &&
	    region_read(rx, rx->fd, dst, (size_t)len, (size_t)at, region_stream(c, total)) < 0)
		rx->perr = errno ? errno : EIO;
	region_ack(rx);
	return 0;
}

int region_rx_piece(struct region_rx *rx, const void **p, size_t *n, uint64_t *off)
{
	size_t k = rx->fleft < REGION_SLOT ? rx->fleft : REGION_SLOT;
	*p = NULL;
	*n = 0;
	*off = rx->foff;
	if (!rx->fleft)
		return 0;
	/* the one read of these bytes of the region: only the copy is read */
	if (region_read(rx, rx->fd, rx->parts.buf, k, rx->fat, 0) < 0) {
		rx->perr = errno ? errno : EIO;
		region_rx_pieces_drop(rx);
		return 0;
	}
	rx->fat += k;
	rx->foff += k;
	rx->fleft -= k;
	/* the part's last byte read: the sender may write its place again */
	if (!rx->fleft)
		region_ack(rx);
	*p = rx->parts.buf;
	*n = k;
	return 1;
}

void region_rx_pieces_drop(struct region_rx *rx)
{
	if (!rx->fleft)
		return;
	rx->fleft = 0;
	region_ack(rx);
}

int region_rx_held(struct region_rx *rx, struct region_copy *c, uint64_t size, uint64_t max,
                   const void **p, char *why, size_t whylen)
{
	return region_rx_held_of(rx, c, size, max, 0, p, why, whylen);
}

int region_rx_part(struct region_rx *rx, const struct region_copy *c, int fd, uint64_t total,
                   uint64_t off, uint64_t at, uint64_t len, char *why, size_t whylen)
{
	const void *fed;
	return region_rx_part_of(rx, c, fd, total, off, at, len, 0, &fed, why, whylen);
}
