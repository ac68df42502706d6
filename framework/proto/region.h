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
/* With REGION_FLAG (revision 1.4): the record carries no memfd and names
 * the region the helper holds for this channel; its payload is at the
 * data's offset 0, or, when parts of it came (REGION_PART), in them. */
#define REGION_HELD ((uint64_t)1 << 62)
/* A bulk record's length bits (the rest are flags; a length with one of
 * the bits in between is over any bulk_max). */
#define REGION_LEN_MASK (REGION_HELD - 1)
/* REGION_PART's payload: u64 total, u64 off, u64 at, u64 len. */
#define REGION_PART_LEN 32u
/* ... and u32 type (revision 1.7): a part of a PRIVSEP_H_PARTS type's
 * payload, fed to its handler as it comes. */
#define REGION_PART_TYPED_LEN 36u
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
/* 1 + the CPU the receiver last copied out on; 0: not told (revision
 * 1.5, receiver writes; a hint the sender's choices read, never the
 * receiver) */
#define REGION_OFF_CPU 8

/* Parts of a payload in parts go around this many slots at the start of
 * the region while the receiver keeps up (region_tx_at). */
#define REGION_RING 4u
/* A worker sends a payload of REGION_PARTS_MIN bytes or more in parts of
 * REGION_SLOT bytes (revision 1.4; the client's choice, not the wire's):
 * the helper copies one out while the next is written, each through a
 * ring slot of this size (client.c; the bench's floor of this path,
 * bench/README.md "Bulk, session 10", does the same memory work). */
#define REGION_SLOT ((size_t)1 << 20)
#define REGION_PARTS_MIN ((size_t)4 << 20)

/* The sender's region (a worker's client). */
struct region_tx {
	int fd;        /* -1: none yet */
	uint8_t *map;  /* the whole memfd, read-write */
	size_t maplen; /* page + data capacity */
	uint32_t sent; /* payloads sent through this region */
	int known;     /* the helper copied one out: it holds the region, so
	                * a record may name it without its fd */
	/* the count of records sent (sent) with the last part written in
	 * each ring slot: the slot is free once DONE reaches it */
	uint32_t slot_sent[REGION_RING];
	int linear; /* this payload's parts go at their own places now */
};

/* region_tx_put's "fd" when the record names the held region (no fd). */
#define REGION_TX_HELD (-2)

/* The receiver's copy of a payload: one buffer, kept and grown (the helper
 * serves one record at a time). */
struct region_copy {
	uint8_t *buf;
	size_t cap;
	uint64_t region_max; /* the largest region data a sender may offer */
	/* payloads of more bytes are copied out with non-temporal stores
	 * (copyout.h); 0: COPYOUT_STREAM_OVER; SIZE_MAX: never */
	size_t stream_over;
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
	int fd;        /* -1; a revision 1.3 region whose data this end could
	                * not map: kept to read it with pread when a record
	                * names it without its fd */
	uint32_t done; /* payloads copied out of this region */
	/* a payload coming in parts (REGION_PART, revision 1.4): copied into
	 * parts (this worker's, kept from one payload to the next) */
	struct region_copy parts;
	uint64_t ptotal; /* its length; 0: no payload in parts under way */
	uint64_t pgot;   /* the bytes that came, in order */
	uint32_t ptype;  /* revision 1.7: the part-by-part bulk type its parts
	                  * name, each part copied into parts' start and fed
	                  * to that type's handler; 0: parts that name none,
	                  * copied into parts at their offsets */
	/* a part of that type checked and not yet all copied out
	 * (region_rx_piece): fleft bytes at fat of the region's data, the
	 * payload's bytes from foff */
	size_t fat, fleft;
	uint64_t foff;
	int perr;  /* nonzero: parts could not be made (errno) */
	int plost; /* a part was dropped (the helper's fd limit): the
	            * rest of that payload is dropped too */
	/* the data bytes this end mapped populated for a new region (step 1)
	 * since the caller last set it to 0: its work, which the helper
	 * weighs in the worker's turn as the bytes of a payload */
	size_t mapped;
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

/* A payload in parts (revision 1.4): room for len bytes of data in r,
 * every record sent through it copied out (waiting up to wait_ms, else a
 * new region is made, as region_tx_put does).  0; -1 with errno. */
int region_tx_room(struct region_tx *r, size_t len, int wait_ms, int (*dead)(void *), void *arg);
/* The records sent through r that the helper did not copy out yet. */
uint32_t region_tx_unacked(const struct region_tx *r);
/* The CPU the helper last copied a record of r out on (REGION_OFF_CPU);
 * -1: not told (no region yet, or a helper of revision 1.4 or before). */
int region_tx_helper_cpu(const struct region_tx *r);
/* Where in r's data the part at offset off of a payload in parts (of
 * part bytes each, len this one) goes: the ring slot off / part mod
 * REGION_RING, so that the parts go around a few slots that stay in the
 * caches, when this part fits in a slot and the receiver has copied out
 * the part written there before; else its own place, off (a region as
 * large as the payload: those places lie past the ring from the
 * REGION_RING-th part on, and nothing is ever waited for). */
size_t region_tx_at(struct region_tx *r, size_t off, size_t part, size_t len, int wait_ms,
                    int (*dead)(void *), void *arg);
/* Part of that payload: len bytes of data written at offset at of r's
 * data.  Returns the fd to send with the part (r's, borrowed, while the
 * helper is not known to hold the region) or REGION_TX_HELD.  Counted as
 * sent (region_tx_unsend if it was not). */
int region_tx_part(struct region_tx *r, size_t at, const void *data, size_t len);
/* The record that ends a payload in parts of len bytes: counted, *size
 * to send (no fd). */
void region_tx_final(struct region_tx *r, size_t len, uint64_t *size);

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
/* The same for a record of revision 1.4 that names the held region (no
 * fd; size without REGION_FLAG and REGION_HELD), of the given type: its
 * payload at the data's offset 0, or the parts that came (the record
 * ends them; parts that named a type, revision 1.7, were fed and *p is
 * then a valid empty pointer; a record of another type is a
 * violation). */
int region_rx_held_of(struct region_rx *rx, struct region_copy *c, uint64_t size, uint64_t max,
                      uint32_t type, const void **p, char *why, size_t whylen);
/* region_rx_held_of for a type that takes its payload whole (0). */
int region_rx_held(struct region_rx *rx, struct region_copy *c, uint64_t size, uint64_t max,
                   const void **p, char *why, size_t whylen);
/* A REGION_PART record: fd (borrowed, -1: none) the region it brings,
 * the part's fields (type 0: a part that names none).  Copies the part
 * out into rx's parts buffer at its offset; with a type, copies nothing
 * yet and *fed is rx's parts buffer, where region_rx_piece copies it out
 * piece by piece (NULL: the payload is lost, an earlier part dropped or
 * a buffer that could not be made).  0; 1
 * when the sender broke the rule (why); -1 with errno (why) when this
 * end could not (the payload is then answered so at its final record). */
int region_rx_part_of(struct region_rx *rx, const struct region_copy *c, int fd, uint64_t total,
                      uint64_t off, uint64_t at, uint64_t len, uint32_t type, const void **fed,
                      char *why, size_t whylen);
/* The next piece of a part that names a type, after region_rx_part_of
 * checked it: at most REGION_SLOT bytes of it copied out into rx's parts
 * buffer, *n bytes at *p, the payload's bytes from *off; the sender is
 * told (done) once the part's last piece is copied.  1; 0 when none is
 * left, or when the copy failed (*p NULL: the payload is lost, and the
 * rest of the part is dropped). */
int region_rx_piece(struct region_rx *rx, const void **p, size_t *n, uint64_t *off);
/* The rest of that part not read (its handler refused the payload, or
 * the worker is gone): the sender told. */
void region_rx_pieces_drop(struct region_rx *rx);
/* region_rx_part_of for a part that names no type (revision 1.4). */
int region_rx_part(struct region_rx *rx, const struct region_copy *c, int fd, uint64_t total,
                   uint64_t off, uint64_t at, uint64_t len, char *why, size_t whylen);
/* Nothing held yet (a worker's start). */
void region_rx_init(struct region_rx *rx);

/* Unmap what rx holds. */
void region_rx_free(struct region_rx *rx);
void region_copy_free(struct region_copy *c);

#endif
