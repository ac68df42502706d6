/* SPDX-License-Identifier: ISC */
/*
 * proto.c - the protocol's tables: one place for the code and the spec.
 */
#include <string.h>

#include "proto.h"

const struct proto_field proto_fields[] = {
    {"magic", WIRE_OFF_MAGIC, 2,
     "0x5053, bytes `53 50` (\"SP\" in memory order, \"PS\" as a little-endian number)"},
    {"version", WIRE_OFF_VERSION, 1, "protocol version, 1"},
    {"nfds", WIRE_OFF_NFDS, 1, "number of fds carried by this record's SCM_RIGHTS, 0..4"},
    {"type", WIRE_OFF_TYPE, 4, "message type; 0 is invalid"},
    {"id", WIRE_OFF_ID, 4, "request id; a reply echoes it; 0 for a one-way message"},
    {"len", WIRE_OFF_LEN, 4, "payload bytes; the record is exactly 16 + len bytes"},
};
const size_t proto_nfields = sizeof(proto_fields) / sizeof(proto_fields[0]);

const struct proto_msg proto_msgs[] = {
    {PRIVSEP_T_REPLY, "REPLY", PROTO_H2W, PROTO_FW_NONE, PRIVSEP_H_POST, PROTO_REPLY_FIXED,
     PROTO_LEN_RECORD, 0, PRIVSEP_MAX_FDS,
     "u32 error; error 0: the body, then fds; error 1..4095: str detail, no fds", "-"},
    {PRIVSEP_T_PING, "PING", PROTO_W2H, PROTO_FW_PING, PRIVSEP_H_CALL, 0,
     PROTO_LEN_RECORD - PROTO_REPLY_FIXED, 0, 0, "any bytes", "the same bytes"},
    {PRIVSEP_T_PERMIT_DROP, "PERMIT_DROP", PROTO_W2H, PROTO_FW_PERMIT_DROP, PRIVSEP_H_CALL, 8,
     4 + 4 * PROTO_PERMIT_DROP_MAX, 0, 0,
     "u32 count (1..256), then count x u32 type; len = 4 + 4 x count",
     "empty body; EINVAL (nothing dropped) if a type is not one the worker requests (below)"},
    {PRIVSEP_T_SANDBOX_FAILED, "SANDBOX_FAILED", PROTO_W2H, PROTO_FW_SANDBOX_FAILED,
     PRIVSEP_H_POST | PRIVSEP_H_ONCE, 13, 8 + 4 + PRIVSEP_DETAIL_MAX, 0, 0,
     "u32 step (1..13), u32 errno, str detail: the sandbox step that failed", "-"},
    {PRIVSEP_T_SECCOMP_TRAP, "SECCOMP_TRAP", PROTO_W2H, PROTO_FW_SECCOMP_TRAP,
     PRIVSEP_H_POST | PRIVSEP_H_ONCE, 56, 56, 0, 0,
     "u32 audit arch, u32 syscall number, 6 x u64 arguments: the call the filter trapped", "-"},
    {PRIVSEP_T_READY, "READY", PROTO_W2H, PROTO_FW_READY, PRIVSEP_H_CALL | PRIVSEP_H_ONCE, 0, 0, 0,
     0, "empty: every sandbox step is taken",
     "empty body: the helper found each step in force, application code starts now; EPERM: a step is not (the worker is killed)"},
    {PRIVSEP_T_BATCH, "BATCH", PROTO_W2H, PROTO_FW_BATCH, PRIVSEP_H_POST, PROTO_BATCH_ENTRY,
     PROTO_LEN_RECORD, 0, 0,
     "1 or more entries filling it exactly, each u32 type, u32 len, len bytes: one-way messages of application types, served in order (section 6)",
     "-"},
    {PRIVSEP_T_SECCOMP_LISTENER, "SECCOMP_LISTENER", PROTO_W2H, PROTO_FW_SECCOMP_LISTENER,
     PRIVSEP_H_POST | PRIVSEP_H_ONCE, 0, 0, 1, 1,
     "empty; the fd: the seccomp user notification listener of the worker's filter", "-"},
    {PRIVSEP_T_REGION_PART, "REGION_PART", PROTO_W2H, PROTO_FW_REGION_PART, PRIVSEP_H_POST, 32, 36,
     0, 1,
     "u64 total, u64 off, u64 at, u64 len: len bytes at offset at of the region's data are the payload's bytes off..off+len of total; then (36 bytes, revision 1.7) u32 type: the part-by-part bulk type whose payload it is; the fd: the region, when the helper does not hold it yet (revision 1.4, section 5)",
     "-"},
    {PRIVSEP_T_FS_OPEN, "FS_OPEN", PROTO_W2H, PROTO_FW_FS_OPEN, PRIVSEP_H_CALL, 9,
     8 + PROTO_PATH_MAX, 0, 0, "u32 open flags (bit 31: the stat too, revision 1.6), str path",
     "the fd; the body empty, or with bit 31 the fd's 9 x u64 as FS_STAT's"},
    {PRIVSEP_T_FS_STAT, "FS_STAT", PROTO_W2H, PROTO_FW_FS_STAT, PRIVSEP_H_CALL, 5,
     4 + PROTO_PATH_MAX, 0, 0, "str path",
     "9 x u64: dev, ino, mode, nlink, uid, gid, size, mtime s, mtime ns"},
    {PRIVSEP_T_FS_READLINK, "FS_READLINK", PROTO_W2H, PROTO_FW_FS_READLINK, PRIVSEP_H_CALL, 5,
     4 + PROTO_PATH_MAX, 0, 0, "str path", "str target"},
    {PRIVSEP_T_FS_ACCESS, "FS_ACCESS", PROTO_W2H, PROTO_FW_FS_ACCESS, PRIVSEP_H_CALL, 9,
     8 + PROTO_PATH_MAX, 0, 0, "u32 mode (R_OK, W_OK), str path", "empty body"},
};
const size_t proto_nmsgs = sizeof(proto_msgs) / sizeof(proto_msgs[0]);

const struct proto_viol proto_viols[] = {
    /* In the order the receiver checks them. */
    {PRIVSEP_V_EMPTY_RECORD, "empty-record", "socket",
     "a record of 0 bytes arrived (not end of stream)"},
    {PRIVSEP_V_OVERSIZE, "oversize", "socket",
     "the record is longer than the record limit (the kernel reports it truncated)"},
    {PRIVSEP_V_BAD_CMSG, "bad-cmsg", "socket", "a control message other than SCM_RIGHTS arrived"},
    {PRIVSEP_V_NFDS_LIMIT, "nfds-limit", "socket", "more than 4 fds arrived with the record"},
    {PRIVSEP_V_SHORT_HEADER, "short-header", "header",
     "the record is shorter than the 16-byte header"},
    {PRIVSEP_V_BAD_MAGIC, "bad-magic", "header", "magic is not 0x5053"},
    {PRIVSEP_V_BAD_VERSION, "bad-version", "header", "version is not 1"},
    {PRIVSEP_V_OVERSIZE, "oversize", "header", "len is larger than the record limit less 16"},
    {PRIVSEP_V_LEN_MISMATCH, "len-mismatch", "header", "16 + len differs from the record's size"},
    {PRIVSEP_V_NFDS_LIMIT, "nfds-limit", "header", "nfds is over 4"},
    {PRIVSEP_V_TYPE_ZERO, "type-zero", "header", "type is 0"},
    {PRIVSEP_V_NFDS_MISMATCH, "nfds-mismatch", "header",
     "nfds differs from the number of fds that arrived"},
    {PRIVSEP_V_UNKNOWN_TYPE, "unknown-type", "table",
     "type is neither defined in section 6 nor a row of the application's table (a reserved number; at the worker, also an event row without a handler)"},
    {PRIVSEP_V_WRONG_DIRECTION, "wrong-direction", "table",
     "the type is defined but never sent in this direction (a REPLY or an event from the worker; a type of section 6 other than REPLY, or a CALL or POST row, from the helper)"},
    {PRIVSEP_V_UNKNOWN_ID, "unknown-id", "table",
     "(worker) a reply whose id matches no call in progress"},
    {PRIVSEP_V_NOT_PERMITTED, "not-permitted", "table",
     "(helper) the type was given up (PERMIT_DROP), revoked by the helper, or was one-shot and used; a REGION_PART from a worker that holds the permit of no bulk type (section 5)"},
    {PRIVSEP_V_CALL_WITHOUT_ID, "call-without-id", "table",
     "(helper) a call type arrived with id 0"},
    {PRIVSEP_V_ID_ON_POST, "id-on-post", "table",
     "a one-way type (an event, at the worker) arrived with an id other than 0"},
    {PRIVSEP_V_BAD_SIZE, "bad-size", "table", "len is outside the type's payload bounds"},
    {PRIVSEP_V_BAD_FD_COUNT, "bad-fd-count", "table",
     "nfds is outside the type's fd bounds (an event's, at the worker)"},
    {PRIVSEP_V_BAD_BULK, "bad-bulk", "bulk",
     "(a bulk type) the first fd is not a memfd sealed with F_SEAL_WRITE, F_SEAL_SHRINK, F_SEAL_GROW and F_SEAL_SEAL, open for reading and with every page written; its size differs from the u64 size the payload declares; or that size is over the type's bulk limit; in the region form (helper, bit 63 of the size), a region not sealed with F_SEAL_SHRINK and F_SEAL_GROW, whose control page cannot be mapped writable, or (without F_SEAL_SEAL) that cannot be sealed with F_SEAL_FUTURE_WRITE and F_SEAL_SEAL, not open for reading and writing, larger than the largest bulk limit, shorter than the size, or with a page of the payload not allocated; (helper, revision 1.4) a record that names the held region without its memfd (bits 63 and 62) when none is held or the one held was sealed by the worker, a REGION_PART that breaks a rule of section 5 (past the end of the region or of its payload, empty, overlapping, missing, out of order, a total that changes or is over the largest bulk limit, another memfd mid-payload), a final record whose size is not the parts' total or that comes before all of them, or a record with its region's memfd while a payload in parts waits for its final record"},
    {PRIVSEP_V_BAD_PAYLOAD, "bad-payload", "handler",
     "the payload does not parse as its type says (short field, leftover bytes, bad string): the handler of a request (helper) or of an event (worker) says so"},
    {PRIVSEP_V_BAD_REPLY, "bad-reply", "handler",
     "(worker) a reply whose error is over 4095, or an error reply with fds or a malformed detail"},
    {PRIVSEP_V_BAD_BATCH, "bad-batch", "handler", "(helper) a BATCH whose entries do not fill its payload exactly (an entry's header or its len runs past the end), or an entry of a framework type, of a bulk type or of a type that needs fds; an entry is otherwise checked as a one-way record of its type with id 0 and no fds (13 to 20), and named so"},
};
const size_t proto_nviols = sizeof(proto_viols) / sizeof(proto_viols[0]);

const char *privsep_violation_name(enum privsep_violation v)
{
	if (v == PRIVSEP_V_NONE)
		return "none";
	for (size_t i = 0; i < proto_nviols; i++)
		if (proto_viols[i].v == v)
			return proto_viols[i].name;
	return "unknown-violation";
}

const struct proto_msg *proto_msg_find(uint32_t type)
{
	for (size_t i = 0; i < proto_nmsgs; i++)
		if (proto_msgs[i].type == type)
			return &proto_msgs[i];
	return NULL;
}

const char *proto_dir_sender(enum proto_dir dir)
{
	return dir == PROTO_H2W ? "helper" : "worker";
}
