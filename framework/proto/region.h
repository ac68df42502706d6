/* SPDX-License-Identifier: ISC */
/*
 * region.h - internal: the region form of a bulk payload (docs/PROTOCOL.md,
 * "Bulk payloads", "The region form").
 *
 * A sealed memfd can never be written again, so every payload in one is
 * fresh shared-memory pages, which the kernel allocates, zeroes, maps and
 * frees: 3 to 5 times the cost of copying the bytes through the socket.  A
 * region is one memfd per worker, reused: sealed against shrinking and
 * growing (so it never loses a page under a reader) but writable by its
 * sender for ever.  So the receiver never reads a byte of it twice: it
 * copies the payload out into memory of its own before anything looks at
 * it, and every check and the handler read that copy.  The first page is
 * the control page: the receiver stores there how many payloads it has
 * copied out, and the sender writes the next payload only when the
 * receiver has copied the last (or sends a sealed memfd instead).
 *
 * Only a worker sends regions and only the helper receives them.  No
 * socket I/O and no message types.
 */
#ifndef PRIVSEP_REGION_H
#define PRIVSEP_REGION_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The u64 size of a bulk record: this bit set is the region form. */
#define REGION_FLAG ((uint64_t)1 << 63)
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
/* The seals a worker adds to its region (revision 1.3; never
 * F_SEAL_WRITE: it keeps writing the region through its mapping). */
#define REGION_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)
/* A region a worker of revision 1.1 sent: it added F_SEAL_SEAL too. */
#define REGION_SEALS_1_1 (REGION_SEALS | F_SEAL_SEAL)
/* The seals the helper adds to a revision 1.3 region before it maps its
 * data: no write(2), no hole punched, no new writable mapping, ever;
 * the worker's own mapping stays writable. */
#define REGION_SEALS_HELPER (F_SEAL_FUTURE_WRITE | F_SEAL_SEAL)

/* The control page's words (little-endian u32, at these offsets). */
#define REGION_OFF_DONE 0    /* payloads the receiver copied out (receiver writes) */
#define REGION_OFF_WAITING 4 /* nonzero: the sender waits on DONE (sender writes) */

/* The sender's region (a worker's client). */
struct region_tx {
	int fd;        /* -1: none yet */
	uint8_t *map;  /* the whole memfd, read-write */
	size_t maplen; /* page + data capacity */
	uint32_t sent; /* payloads sent through this region */
};

/* The receiver's view of one sender's region (the helper, per worker). */
struct region_rx {
	uint8_t *map;   /* NULL: none; the control page only, read-write */
	size_t maplen;  /* one page */
	size_t datalen; /* the data after it */
	/* a region the helper sealed (revision 1.3): its data, mapped
	 * read-only, copied out with memcpy; NULL: read with pread (a
	 * revision 1.1 region, or no data) */
	const uint8_t *data;
	int sealed; /* this end added REGION_SEALS_HELPER (revision 1.3) */
	dev_t dev;
	ino_t ino;
	uint32_t done; /* payloads copied out of this region */
};

/* The receiver's copy of a payload: one buffer, kept and grown (the helper
 * serves one record at a time). */
struct region_copy {
	uint8_t *buf;
	size_t cap;
	uint64_t region_max; /* the largest region data a sender may offer */
};

void region_tx_init(struct region_tx *r);
void region_tx_free(struct region_tx *r);

/* Put len bytes of data in r, waiting up to wait_ms (0: not at all) for
 * the receiver to have copied out the previous payload; a region is made
 * (or replaced by a larger one) as needed.  Returns the region's fd
 * (r's own: the send borrows it) and *size to send (REGION_FLAG |
 * len); -1 with errno when the region is busy (EAGAIN) or cannot be
 * made: the caller then sends a sealed memfd.  dead(arg) is asked while
 * waiting: nonzero ends the wait (EPIPE). */
int region_tx_put(struct region_tx *r, const void *data, size_t len, int wait_ms,
                  int (*dead)(void *), void *arg, uint64_t *size);
/* The payload region_tx_put counted was not sent after all. */
void region_tx_unsend(struct region_tx *r);

/* The region form at the receiver: fd (borrowed) with size (REGION_FLAG
 * cleared) of at most max bytes.  Checks the region (first time it is
 * seen: seals, a regular file open read-write, its size; a revision 1.3
 * region is sealed by this end then; each time, for a revision 1.1
 * region: every page of the payload allocated), copies the payload out
 * into c and tells
 * the sender (the control page).  *p, size bytes of c's buffer (size 0: a
 * valid empty pointer).  Returns 0; 1 when the sender broke the rule (why
 * says how); -1 with errno when the receiver could not map or copy a
 * valid one (why says so; the sender is told all the same when it can
 * be). */
int region_rx_take(struct region_rx *rx, struct region_copy *c, int fd, uint64_t size, uint64_t max,
                   const void **p, char *why, size_t whylen);

/* Unmap what rx holds. */
void region_rx_free(struct region_rx *rx);
void region_copy_free(struct region_copy *c);

#endif
