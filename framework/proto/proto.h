/* SPDX-License-Identifier: ISC */
/*
 * proto.h - internal: the protocol's tables, kept in one place.
 *
 * proto.c holds the header layout, the framework's message types and the
 * violations, with the words the spec uses for them.  The code reads its
 * numbers from here, and tools/privsep-spec (not the library) prints the
 * same tables into docs/PROTOCOL.md; a test fails when the two disagree.
 */
#ifndef PRIVSEP_PROTO_H
#define PRIVSEP_PROTO_H

#include <stdint.h>

#include "privsep.h"

/* Header field offsets (docs/PROTOCOL.md, "Header"). */
#define WIRE_OFF_MAGIC 0
#define WIRE_OFF_VERSION 2
#define WIRE_OFF_NFDS 3
#define WIRE_OFF_TYPE 4
#define WIRE_OFF_ID 8
#define WIRE_OFF_LEN 12

/* A reply's fixed part: u32 error. */
#define PROTO_REPLY_FIXED 4u
/* PERMIT_DROP carries at most this many types. */
#define PROTO_PERMIT_DROP_MAX 256u
/* A path on the wire: at most this many bytes with its NUL (PATH_MAX). */
#define PROTO_PATH_MAX 4096u
/* Records the helper serves from one worker in one wake-up (section 9,
 * "one worker's turn"). */
#define PROTO_TURN_RECORDS 32u
/* A bulk payload weighs one record more in that turn per this many bytes
 * it carries, rounded up (section 9): a turn moves about as many bytes in
 * bulk as in full records. */
#define PROTO_TURN_BULK_BYTES 4096u
/* Events that may wait per worker when queue_max is 0 (section 9). */
#define PROTO_QUEUE_MAX_DEFAULT 256u
/* FS_OPEN's u32 flags: this bit asks for the opened fd's stat with the
 * answer (revision 1.6); it is no open flag (Linux has none there). */
#define PROTO_FS_OPEN_STAT 0x80000000u
/* FS_STAT's body, and FS_OPEN's with PROTO_FS_OPEN_STAT: dev, ino, mode,
 * nlink, uid, gid, size, mtime s, mtime ns, each a u64. */
#define PROTO_FS_STAT_FIELDS 9u
/* A BATCH entry's own header: u32 type, u32 len. */
#define PROTO_BATCH_ENTRY 8u
/* max_len meaning "up to the record limit less the header". */
#define PROTO_LEN_RECORD UINT32_MAX

struct proto_field {
	const char *name;
	unsigned off, size;
	const char *meaning;
};

/* Which way a type travels. */
enum proto_dir {
	PROTO_W2H = 1, /* from the worker to the helper: a call or a one-way message */
	PROTO_H2W,     /* from the helper to the worker: a reply or an event */
};

/* The helper's handler of a framework type the worker sends: an index
 * into the helper's own array of handlers (proto calls nothing above it).
 * 0 is none, so a row that forgets its handler has none, and the helper
 * refuses to start with a worker-to-helper row without one. */
enum proto_fw {
	PROTO_FW_NONE = 0,
	PROTO_FW_PING,
	PROTO_FW_PERMIT_DROP,
	PROTO_FW_SANDBOX_FAILED,
	PROTO_FW_SECCOMP_TRAP,
	PROTO_FW_READY,
	PROTO_FW_SECCOMP_LISTENER,
	PROTO_FW_FS_OPEN,
	PROTO_FW_FS_STAT,
	PROTO_FW_FS_READLINK,
	PROTO_FW_FS_ACCESS,
	PROTO_FW_BATCH,
	PROTO_FW_REGION_PART,
	PROTO_FW_COUNT
};

struct proto_msg {
	uint32_t type;
	const char *name;
	enum proto_dir dir;
	enum proto_fw fw; /* PROTO_W2H: its handler at the helper */
	unsigned flags;   /* PRIVSEP_H_CALL / _POST */
	uint32_t min_len, max_len;
	uint8_t min_fds, max_fds;
	const char *payload;
	const char *reply;
};

struct proto_viol {
	enum privsep_violation v;
	const char *name;
	const char *stage; /* socket, header, table, handler */
	const char *rule;
};

extern const struct proto_field proto_fields[];
extern const size_t proto_nfields;
extern const struct proto_msg proto_msgs[];
extern const size_t proto_nmsgs;
extern const struct proto_viol proto_viols[];
extern const size_t proto_nviols;

const struct proto_msg *proto_msg_find(uint32_t type);

/* "worker" or "helper": who sends a type travelling dir. */
const char *proto_dir_sender(enum proto_dir dir);

#endif
