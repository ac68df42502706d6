#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The second implementation of revisions 1.1 to 1.6 of docs/PROTOCOL.md:
a worker in Python 3, standard library only, written from the spec
alone (section 5's bulk payloads, the region, the held region and
REGION_PART; section 6's BATCH and FS_OPEN's bit 31).  worker.py holds
revision 1.0's channel; this adds the later records.

tests/interop/test_interop_rev.c executes it in exec mode as a foreign
worker: argv[1] is the mode, argv[2] a path the policy lets it open.
"run": every record of 1.1 to 1.6 as the spec says to send it, each
answer and `done` checked, then a T_DONE call with what it saw.
"small-limit": FS_OPEN with and without bit 31 under a record limit of
64, where the answer with the stat does not fit.  Any
other mode (the names in MALFORMED): READY, what the rule needs first,
then one record that breaks it; the helper answers the violation by
ending the worker, which then reads end of stream.
"""
import fcntl
import mmap
import os
import struct
import sys
import time

# python -I leaves the script's directory out of sys.path
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import worker  # noqa: E402
from worker import (Channel, PERMIT_DROP, PING, ProtocolError,  # noqa: E402
                    put_str, ready, sealed_memfd)

# Section 6.
BATCH = 0x0007
REGION_PART = 0x0009
FS_OPEN = 0x0100
FS_OPEN_STAT = 0x80000000

# Section 5: the u64 size of a bulk record.
REGION = 1 << 63  # revision 1.1: the region form
HELD = 1 << 62  # revision 1.4, with bit 63: the held region, no memfd
PAGE = mmap.PAGESIZE  # sysconf(_SC_PAGESIZE)
SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW

# The test's table (tests/interop/test_interop_rev.c).
T_ECHO = 0x10000  # call, 2 fds
T_NOTE = 0x10001  # post: a str
T_TICK = 0x10002  # event
T_BULK = 0x10003  # call, bulk of at most 1 MiB: u32 sum of its bytes back
T_DONE = 0x10004  # call: str summary
T_BPOST = 0x10005  # post, bulk of at most 2 MiB
BULK_MAX = 1 << 20  # T_BULK's
LARGEST = 2 << 20  # the largest bulk_max of the worker-to-helper rows


def pattern(n, seed):
    return bytes((i * 7 + seed) % 251 for i in range(n))


def checksum(b):
    return sum(b) & 0xFFFFFFFF


def write_all(fd, data):
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


class Region:
    """Section 5, "The region form": a memfd of one control page and
    `datalen` bytes of data, every page written, mapped read-write,
    sealed against shrinking and growing.  seal_seal: revision 1.1's
    region (the worker adds F_SEAL_SEAL too); else revision 1.3's."""

    def __init__(self, datalen, seal_seal=False, seals=SEALS, size=None,
                 sparse=False):
        self.fd = os.memfd_create("region", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        total = PAGE + datalen if size is None else size
        if sparse:
            # the control page written, the data's last byte only
            write_all(self.fd, bytes(PAGE))
            os.pwrite(self.fd, b"\0", total - 1)
        else:
            write_all(self.fd, bytes(total))
        self.len = total
        self.map = None
        if not seals & fcntl.F_SEAL_WRITE and total >= PAGE:
            self.map = mmap.mmap(self.fd, total, mmap.MAP_SHARED,
                                 mmap.PROT_READ | mmap.PROT_WRITE)
        fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS,
                    seals | (fcntl.F_SEAL_SEAL if seal_seal else 0))
        self.counted = 0  # records sent through it that `done` counts

    def done(self):
        """u32 `done` at offset 0 of the control page, the machine's byte
        order, written by the helper."""
        return struct.unpack_from("=I", self.map, 0)[0]

    def wait(self, n):
        """Wait until `done` reaches n (counted records; u32, so n or up
        to 2^31 - 1 past it, modulo 2^32): at most 1000 ms, as section 5
        says.  Python's standard library has no futex, so this polls
        with `waiting` left 0 (the helper then wakes nobody); True when
        it came."""
        end = time.monotonic() + 1.0
        while (self.done() - n) & 0xFFFFFFFF >= 1 << 31:
            if time.monotonic() > end:
                return False
            time.sleep(0.0002)
        return True

    def put(self, at, data):
        """The payload's bytes at offset `at` of the data (one page in)."""
        self.map[PAGE + at: PAGE + at + len(data)] = data

    def call(self, ch, data, held=False):
        """data written at the data's offset 0 and sent in a T_BULK call
        through this region, with its memfd or in the held form; counted.
        True when the helper's sum is data's."""
        self.put(0, data)
        size = REGION | (HELD if held else 0) | len(data)
        err, body, _ = bulk_call(ch, T_BULK, size, () if held else (self.fd,))
        self.counted += 1
        return sum_of(err, body) == checksum(data)

    def close(self):
        if self.map is not None:
            self.map.close()
        os.close(self.fd)


def bulk_call(ch, type_, size, fds=(), own=b""):
    """A call of a bulk type: u64 size, then the type's own payload."""
    return ch.call(type_, struct.pack("<Q", size) + own, fds)


def part(total, off, at, n):
    return struct.pack("<QQQQ", total, off, at, n)


def batch(*entries):
    """Section 6, BATCH: entries of u32 type, u32 len, the bytes."""
    return b"".join(struct.pack("<II", t, len(b)) + b for t, b in entries)


def sum_of(err, body):
    return struct.unpack("<I", body)[0] if err == 0 and len(body) == 4 else -err


def run(ch, path):
    seen = []

    # 1.0: a sealed memfd
    data = pattern(50000, 3)
    fd = sealed_memfd(data)
    err, body, _ = bulk_call(ch, T_BULK, len(data), (fd,))
    os.close(fd)
    seen.append("sealed=" + ("ok" if sum_of(err, body) == checksum(data) else "%d" % err))

    # 1.1: a region the worker seals itself; every record carries it
    r = Region(128 * 1024, seal_seal=True)
    got = []
    for seed in (1, 2):
        if not r.wait(r.counted):
            got.append("timeout")
        # step 3: `done` is stored before the handler runs, so the reply
        # finds it counted
        got.append("ok%d" % r.done() if r.call(ch, pattern(70000 + seed, seed)) else "bad")
    seen.append("r11=" + ",".join(got))
    r.close()

    # 1.3: a region without F_SEAL_SEAL, which the helper seals; then
    # 1.4: named without its memfd once `done` is not 0 for it
    r = Region(256 * 1024)
    seen.append("r13=" + ("ok%d" % r.done() if r.call(ch, pattern(100000, 4)) else "bad"))
    posted = []
    for seed in (5, 6):
        # one-way: nothing answers, `done` says when the region is free
        if not r.wait(r.counted):
            seen.append("timeout")
        data = pattern(30000 + seed, seed)
        r.put(0, data)
        ch.send(T_BPOST, 0, struct.pack("<Q", REGION | HELD | len(data)))
        r.counted += 1
        posted.append(str(checksum(data)))
    held_ok = r.wait(r.counted)
    # a sealed memfd is no region: the helper still holds this one
    data = pattern(5000, 9)
    fd = sealed_memfd(data)
    err, body, _ = bulk_call(ch, T_BULK, len(data), (fd,))
    os.close(fd)
    held_ok &= sum_of(err, body) == checksum(data) and r.done() == r.counted
    held_ok &= r.call(ch, pattern(6000, 10), held=True) and r.done() == r.counted

    # 1.4: a payload in REGION_PART records, then its final record; the
    # parts take turns in two slots of 64 KiB, each rewritten only once
    # `done` counted the part written there before
    total = 300000
    data = pattern(total, 7)
    slot = 64 * 1024
    ranks = [0, 0]
    waited = True
    for k, off in enumerate(range(0, total, slot)):
        n = min(slot, total - off)
        if ranks[k % 2]:
            waited &= r.wait(ranks[k % 2])
        r.put((k % 2) * slot, data[off:off + n])
        ch.send(REGION_PART, 0, part(total, off, (k % 2) * slot, n))
        r.counted += 1
        ranks[k % 2] = r.counted
    err, body, _ = bulk_call(ch, T_BULK, REGION | HELD | total)
    r.counted += 1
    seen.append("held=%s" % ("ok" if held_ok else "timeout"))
    seen.append("parts=" + ("ok" if waited and sum_of(err, body) == checksum(data)
                            and r.done() == r.counted else "bad%d,%d,%d,%d,%d" % (
                                err, waited, sum_of(err, body) == checksum(data),
                                r.done(), r.counted)))
    r.close()

    # 1.4: a new region that comes with its first part (the worker does
    # not know the helper holds it yet), then the held form
    r = Region(64 * 1024)
    data = pattern(40000, 8)
    r.put(0, data[:4096])
    ch.send(REGION_PART, 0, part(len(data), 0, 0, 4096), (r.fd,))
    r.put(4096, data[4096:])
    ch.send(REGION_PART, 0, part(len(data), 4096, 4096, len(data) - 4096))
    ch.send(T_BPOST, 0, struct.pack("<Q", REGION | HELD | len(data)))
    # a post has no reply: a PING behind it says it was served
    ch.call(PING, b"")
    posted.append(str(checksum(data)))
    seen.append("newparts=" + ("ok" if r.wait(3) else "done%d" % r.done()))
    seen.append("bpost=" + ",".join(posted))
    r.close()

    # 1.2: three notes in one BATCH record, served in order
    ch.post(BATCH, batch((T_NOTE, put_str("b1")), (T_NOTE, put_str("b2")),
                         (T_NOTE, put_str("b3"))))

    # 1.6: FS_OPEN with bit 31: the stat of the fd sent, as fstat says
    err, body, fds = ch.call(FS_OPEN, struct.pack("<I", os.O_RDONLY | FS_OPEN_STAT)
                             + put_str(path))
    if err == 0 and len(body) == 72 and len(fds) == 1:
        st = os.fstat(fds[0])
        mine = (st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid,
                st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9)
        seen.append("stat=" + ("same" if struct.unpack("<9Q", body) == mine else "differs"))
    else:
        seen.append("stat=%d,%d,%d" % (err, len(body), len(fds)))
    for f in fds:
        os.close(f)
    # a refusal with bit 31 says what it says without it
    refusals = []
    for bits in (0, FS_OPEN_STAT):
        err, detail, fds = ch.call(FS_OPEN, struct.pack("<I", os.O_RDONLY | bits)
                                   + put_str("/nonexistent-rule/x"))
        refusals.append("%d:%s:%d" % (err, detail, len(fds)))
    seen.append("refused=" + ("same" if refusals[0] == refusals[1] else "|".join(refusals)))
    # bit 30 is no open flag the broker allows: EINVAL, the worker lives
    err, _, fds = ch.call(FS_OPEN, struct.pack("<I", 0x40000000) + put_str(path))
    seen.append("bit30=%d" % err)

    err, _, _ = ch.call(T_DONE, put_str(";".join(seen)))
    return 0 if err == 0 else 1


def small_limit(ch):
    """Revision 1.6 under a record limit of 64 (the helper's): FS_OPEN of
    /usr, a directory, is answered its fd; with bit 31 the 92-byte answer
    does not fit, and the helper answers EMSGSIZE with section 5's detail
    ("reply too large for the record limit") and no fd."""
    flags = os.O_RDONLY | os.O_DIRECTORY
    seen = []
    for name, bits in (("plain", 0), ("stat", FS_OPEN_STAT)):
        err, detail, fds = ch.call(FS_OPEN, struct.pack("<I", flags | bits) + put_str("/usr"))
        ok = err == 0 or detail == "reply too large for the record limit"
        seen.append("%s=%d,%d,%d" % (name, err, len(fds), ok))
        for f in fds:
            os.close(f)
    err, _, _ = ch.call(T_DONE, put_str(";".join(seen)[:40]))
    return 0 if err == 0 else 1


# Each malformed mode: what comes before, then the record that breaks a
# rule.  The helper ends the worker (section 8); the C test checks the
# violation's name and its one log line.

def m_sealed_no_write_seal(ch):
    fd = os.memfd_create("bulk", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    write_all(fd, bytes(100))
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS | fcntl.F_SEAL_SEAL)
    ch.send(T_BULK, 1, struct.pack("<Q", 100), (fd,))


def m_sealed_size_differs(ch):
    ch.send(T_BULK, 1, struct.pack("<Q", 101), (sealed_memfd(bytes(100)),))


def m_sealed_over_bulk_max(ch):
    ch.send(T_BULK, 1, struct.pack("<Q", BULK_MAX + 1), (sealed_memfd(bytes(BULK_MAX + 1)),))


def m_sealed_sparse(ch):
    fd = os.memfd_create("bulk", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    os.pwrite(fd, b"x", 3 * PAGE)
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, SEALS | fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SEAL)
    ch.send(T_BULK, 1, struct.pack("<Q", 3 * PAGE + 1), (fd,))


def m_sealed_not_memfd(ch):
    ch.send(T_BULK, 1, struct.pack("<Q", 0), (0,))  # /dev/null


def m_bulk_without_fd(ch):
    ch.send(T_BULK, 1, struct.pack("<Q", 0))


def m_bulk_without_size(ch):
    ch.send(T_BULK, 1, b"\0\0\0\0", (sealed_memfd(b""),))


def m_region_no_grow_seal(ch):
    r = Region(PAGE, seals=fcntl.F_SEAL_SHRINK)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 10), (r.fd,))


def m_region_write_sealed(ch):
    r = Region(PAGE, seals=SEALS | fcntl.F_SEAL_WRITE)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 10), (r.fd,))


def m_region_under_a_page(ch):
    r = Region(0, size=PAGE // 2)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 0), (r.fd,))


def m_region_over_the_largest(ch):
    r = Region(LARGEST + PAGE)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 10), (r.fd,))


def m_region_sparse(ch):
    r = Region(4 * PAGE, sparse=True)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 10), (r.fd,))


def m_region_size_past_data(ch):
    r = Region(PAGE)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | (PAGE + 1)), (r.fd,))


def m_region_over_bulk_max(ch):
    r = Region(LARGEST)
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | (BULK_MAX + 1)), (r.fd,))


def m_held_none(ch):
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | HELD | 10))


def m_held_worker_sealed(ch):
    r = Region(PAGE, seal_seal=True)
    bulk_call(ch, T_BULK, REGION | 10, (r.fd,))
    ch.send(T_BULK, 2, struct.pack("<Q", REGION | HELD | 10))


def held(ch, datalen=256 * 1024):
    """A revision 1.3 region the helper holds: one record through it,
    copied out."""
    r = Region(datalen)
    if not r.call(ch, b"h") or not r.wait(1):
        raise SystemExit("no held region")
    return r


def m_held_with_memfd(ch):
    # the held form counts the type's own fds only: T_BULK has none
    r = held(ch)
    ch.send(T_BULK, 2, struct.pack("<Q", REGION | HELD | 10), (r.fd,))


def drop(ch, *types):
    """PERMIT_DROP (section 6) of these types, which the helper grants."""
    err, _, _ = ch.call(PERMIT_DROP, struct.pack("<I%dI" % len(types), len(types), *types))
    if err:
        raise SystemExit("drop refused")


def m_part_without_region(ch):
    ch.send(REGION_PART, 0, part(10, 0, 0, 10))


def m_part_not_permitted(ch):
    held(ch)
    drop(ch, T_BULK, T_BPOST)
    ch.send(REGION_PART, 0, part(10, 0, 0, 10))


def m_part_total_over_the_permitted(ch):
    # T_BPOST (2 MiB) given up: T_BULK's 1 MiB is the largest left
    held(ch, LARGEST)
    drop(ch, T_BPOST)
    ch.send(REGION_PART, 0, part(BULK_MAX + 1, 0, 0, 10))


def m_part_another_memfd(ch):
    held(ch)
    other = Region(PAGE)
    ch.send(REGION_PART, 0, part(100, 0, 0, 10))
    ch.send(REGION_PART, 0, part(100, 10, 0, 10), (other.fd,))


def m_part_then_region_record(ch):
    r = held(ch)
    ch.send(REGION_PART, 0, part(100, 0, 0, 10))
    ch.send(T_BULK, 1, struct.pack("<Q", REGION | 10), (r.fd,))


def m_part_with_id(ch):
    held(ch)
    ch.send(REGION_PART, 7, part(10, 0, 0, 10))


def m_part_short(ch):
    held(ch)
    ch.send(REGION_PART, 0, part(10, 0, 0, 10)[:24])


def m_batch_runs_past_the_end(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x"))) + struct.pack("<II", T_NOTE, 100))


def m_batch_framework_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (PING, b"")))


def m_batch_bulk_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_BPOST, struct.pack("<Q", 0))))


def m_batch_fds_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_ECHO, b"")))


def m_batch_call_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_DONE, put_str("y"))))


def m_batch_event_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_TICK, b"\0\0\0\0")))


def m_batch_unknown_entry(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (0x7FFFFFFF, b"")))


def m_batch_entry_size(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_NOTE, b"\1\0")))


def m_batch_entry_payload(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x")), (T_NOTE, b"\2\0\0\0yy")))


def m_batch_dropped_entry(ch):
    drop(ch, T_NOTE)
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x"))))


def m_batch_with_id(ch):
    ch.send(BATCH, 5, batch((T_NOTE, put_str("x"))))


def m_batch_short(ch):
    ch.send(BATCH, 0, b"\1\0\1\0")


def m_batch_with_fd(ch):
    ch.send(BATCH, 0, batch((T_NOTE, put_str("x"))), (0,))


def m_fs_open_short(ch):
    ch.send(FS_OPEN, 1, struct.pack("<II", FS_OPEN_STAT, 0))


def m_fs_open_bad_str(ch):
    ch.send(FS_OPEN, 1, struct.pack("<II", FS_OPEN_STAT, 2) + b"/x")


# Section 5, "A payload in parts": records through a held region of
# `datalen` bytes, the last of which breaks a rule: REGION_PART's u64
# total, off, at, len, or a final record's size (one number).
PARTS = {
    "part-total-over-the-largest": (256 << 10, [(LARGEST + 1, 0, 0, 10)]),
    "part-empty": (256 << 10, [(10, 0, 0, 0)]),
    "part-past-the-region": (2 * PAGE, [(3 * PAGE, 0, PAGE, PAGE + 1)]),
    "part-first-not-at-0": (256 << 10, [(100, 10, 0, 10)]),
    "part-gap": (256 << 10, [(100, 0, 0, 10), (100, 20, 0, 10)]),
    "part-overlap": (256 << 10, [(100, 0, 0, 10), (100, 5, 0, 10)]),
    "part-past-total": (256 << 10, [(100, 0, 0, 101)]),
    "part-total-changes": (256 << 10, [(100, 0, 0, 10), (200, 10, 0, 10)]),
    "final-total-changed": (256 << 10, [(100, 0, 0, 100), 99]),
    "final-before-the-last-part": (256 << 10, [(100, 0, 0, 50), 100]),
    # the parts fit T_BPOST's 2 MiB, the final record is T_BULK's 1 MiB
    "final-over-its-bulk-max": (LARGEST, [(BULK_MAX + PAGE, 0, 0, BULK_MAX + PAGE),
                                          BULK_MAX + PAGE]),
}


def parts_then(datalen, records):
    def send(ch):
        r = held(ch, datalen)
        for rec in records:
            if isinstance(rec, tuple):
                ch.send(REGION_PART, 0, part(*rec))
            else:
                ch.send(T_BULK, 1, struct.pack("<Q", REGION | HELD | rec))
        return r
    return send


MALFORMED = {name[2:].replace("_", "-"): f for name, f in globals().items()
             if name.startswith("m_")}
MALFORMED.update({name: parts_then(*v) for name, v in PARTS.items()})


KEPT = []


def main():
    if len(sys.argv) < 3:
        return 2
    if sys.argv[1] == "small-limit":
        worker.LIMIT = 64  # the helper's, which section 13 says is not sent
    ch = Channel()
    KEPT.append(ch)  # never closed, nor finalized, before the exit
    ready(ch)
    try:
        if sys.argv[1] == "run":
            return run(ch, sys.argv[2])
        if sys.argv[1] == "small-limit":
            return small_limit(ch)
        MALFORMED[sys.argv[1]](ch)
        # section 8: the helper ends the worker; wait for the end
        while True:
            ch.recv()
    except (EOFError, ProtocolError, ConnectionError):
        return 3


if __name__ == "__main__":
    # the channel is closed by the kernel as the process exits, never
    # before: a worker that closes it has 1000 ms to be gone (section 11),
    # which Python's own finalization may outlast on a loaded machine
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
