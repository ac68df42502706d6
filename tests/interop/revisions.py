#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The second implementation of revisions 1.1 to 1.7 of docs/PROTOCOL.md:
a worker in Python 3, standard library only, written from the spec
alone (section 5's bulk payloads, the region, the held region,
REGION_PART and revision 1.7's part that names its part-by-part type;
section 6's BATCH and FS_OPEN's bit 31).  worker.py holds revision
1.0's channel; this adds the later records.

tests/interop/test_interop_rev.c executes it in exec mode as a foreign
worker: argv[1] is the mode, argv[2] a path the policy lets it open.
"run": every record of 1.1 to 1.6 as the spec says to send it, each
answer and `done` checked, then a T_DONE call with what it saw.
"run-1.7": every record of revision 1.7 (36-byte REGION_PART records,
payloads of a PRIVSEP_H_PARTS type whole and in parts, a part its
handler refuses), each answer and `done` checked, then a T_DONE call.
"abandon-at-exit": a part of a part-by-part payload, then the exit.
"small-limit": FS_OPEN with and without bit 31 under a record limit of
64, where the answer with the stat does not fit.  Any
other mode (the names in MALFORMED): READY, what the rule needs first,
then one record that breaks it; the helper answers the violation by
ending the worker, which then reads end of stream.
"""
import ctypes
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
# Section 5's wait on `done`: a shared futex (no FUTEX_PRIVATE_FLAG), the
# system call by its number (ctypes, the standard library's way to it;
# the machine from the interpreter's build, as uname is not in the
# worker's policy).
SYS_FUTEX = {"x86_64": 202, "aarch64": 98, "riscv64": 98}[
    sys.implementation._multiarch.split("-")[0]]
FUTEX_WAIT = 0
LIBC = ctypes.CDLL(None, use_errno=True)


class Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]
SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW

# The test's table (tests/interop/test_interop_rev.c).
T_ECHO = 0x10000  # call, 2 fds
T_NOTE = 0x10001  # post: a str
T_TICK = 0x10002  # event
T_BULK = 0x10003  # call, bulk of at most 1 MiB: u32 sum of its bytes back
T_DONE = 0x10004  # call: str summary
T_BPOST = 0x10005  # post, bulk of at most 2 MiB
# revision 1.7: PRIVSEP_H_PARTS rows, whose handlers check every byte
# they are fed against ppattern(total)
T_PCALL = 0x10006  # call, bulk of at most 2 MiB: what it was fed back
T_PPOST = 0x10007  # post, bulk of at most 1 MiB + 4 KiB: a wrong byte is
                   # a violation
BULK_MAX = 1 << 20  # T_BULK's
LARGEST = 2 << 20  # the largest bulk_max of the worker-to-helper rows
PPOST_MAX = (1 << 20) + 4096  # T_PPOST's
PIECE = 1 << 20  # section 5, revision 1.7: a piece is at most 1 MiB


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
        says, the way it says: 1 stored in `waiting` (u32 at 4), `done`
        read again, FUTEX_WAIT on the value read, 0 stored in `waiting`
        once the wait ends; so the helper's FUTEX_WAKE is what ends it.
        Python has no fence between a store and a later load: where the
        helper read `waiting` before this store was seen, its wake-up is
        missed and the wait ends with its slice, 10 ms, as the C
        client's does (region.c).  True when `done` came."""
        def came():
            return (self.done() - n) & 0xFFFFFFFF < 1 << 31

        end = time.monotonic() + 1.0
        word = ctypes.c_char.from_buffer(self.map)
        addr = ctypes.c_void_p(ctypes.addressof(word))
        del word  # the mapping stays; its export does not
        try:
            while not came():
                if time.monotonic() > end:
                    return False
                struct.pack_into("=I", self.map, 4, 1)
                d = self.done()
                if came():
                    break
                ts = Timespec(0, 10000000)
                LIBC.syscall(SYS_FUTEX, addr, FUTEX_WAIT, ctypes.c_uint32(d),
                             ctypes.byref(ts), None, 0)
            return True
        finally:
            struct.pack_into("=I", self.map, 4, 0)

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


def part(total, off, at, n, type_=None):
    """REGION_PART's payload: 32 bytes, or 36 with the part-by-part type
    it names (revision 1.7)."""
    return struct.pack("<QQQQ", total, off, at, n) + (
        b"" if type_ is None else struct.pack("<I", type_))


def ppattern(total):
    """What the part-by-part handlers of the test expect: byte i of a
    payload of total bytes is (7 i + total) mod 251, of period 251."""
    block = bytes((i * 7 + total) % 251 for i in range(251))
    return (block * (total // 251 + 1))[:total]


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


# Revision 1.7 (section 5): a PRIVSEP_H_PARTS type's payload, whole or in
# parts of 36 bytes that name it; its handler is fed each part as it
# comes, at most a piece (1 MiB) at a time, then the message.

def fed(err, body, total, own, pieces=None, whole=False):
    """T_PCALL's answer: u64 bytes fed, u32 pieces, u32 the largest,
    u64 bulk_total, u32 the message's own length.  A payload in parts
    is fed a piece of at most 1 MiB at a time, at least one per part
    (pieces: how many parts); one that came whole as one part of all
    its bytes (none for 0 bytes).  "ok", or what differs."""
    if err or len(body) != 28:
        return "err%d:%s" % (err, body if isinstance(body, str) else len(body))
    n, got, largest, total_at_end, own_len = struct.unpack("<QIIQI", body)
    if whole:
        ok = got == (1 if total else 0) and largest == total
    else:
        ok = got >= pieces and largest <= PIECE
    ok &= n == total and total_at_end == total and own_len == own
    return "ok" if ok else "fed%d,%d,%d,%d,%d" % (n, got, largest, total_at_end, own_len)


def send_parts(ch, r, type_, data, cuts, first_fd=False, bad=None):
    """data in typed parts through region r: cuts lists each part's
    (off, at, len); each `at` is written once `done` counted every record
    before (the simplest rule that is always safe: section 5, "What
    `done` counts").  bad: an offset of the payload sent wrong.  Counts
    the parts in r.counted; True when every wait came."""
    waited = True
    for k, (off, at, n) in enumerate(cuts):
        waited &= r.wait(r.counted)
        piece = bytearray(data[off:off + n])
        if bad is not None and off <= bad < off + n:
            piece[bad - off] ^= 0xFF
        r.put(at, piece)
        fds = (r.fd,) if first_fd and k == 0 else ()
        ch.send(REGION_PART, 0, part(len(data), off, at, n, type_), fds)
        r.counted += 1
    return waited


def ring(total, slot, slots):
    """Cuts of total bytes in parts of slot bytes, part k at slot k mod
    slots (revision 1.4's client, with smaller slots)."""
    return [(off, (k % slots) * slot, min(slot, total - off))
            for k, off in enumerate(range(0, total, slot))]


def run17(ch):
    seen, posted = [], []
    r = Region(LARGEST)

    # a payload of the largest size in eight typed parts around four
    # slots, the first with the new region's memfd; meanwhile other
    # records are served as usual: a whole-payload bulk call and another
    # part-by-part type's post, each in a sealed memfd, and a PING
    total = LARGEST
    data = ppattern(total)
    cuts = ring(total, 256 << 10, 4)
    waited = send_parts(ch, r, T_PCALL, data, cuts[:2], first_fd=True)
    other = pattern(70000, 11)
    fd = sealed_memfd(other)
    err, body, _ = bulk_call(ch, T_BULK, len(other), (fd,))
    os.close(fd)
    between = sum_of(err, body) == checksum(other)
    fd = sealed_memfd(ppattern(5000))
    ch.send(T_PPOST, 0, struct.pack("<Q", 5000), (fd,))
    os.close(fd)
    posted.append("5000/5000")
    between &= ch.call(PING, b"x")[0] == 0
    waited &= send_parts(ch, r, T_PCALL, data, cuts[2:])
    err, body, _ = bulk_call(ch, T_PCALL, REGION | HELD | total, own=b"tag")
    r.counted += 1
    seen.append("parts=" + fed(err, body, total, 3, pieces=len(cuts)))
    seen.append("between=%s" % ("ok" if between else "bad"))
    seen.append("done=%s" % ("ok" if waited and r.done() == r.counted else
                             "%d,%d,%d" % (waited, r.done(), r.counted)))

    # one part of 1.5 MiB + 1: more than a piece, so fed in pieces
    total = PIECE + PIECE // 2 + 1
    send_parts(ch, r, T_PCALL, ppattern(total), [(0, 0, total)])
    err, body, _ = bulk_call(ch, T_PCALL, REGION | HELD | total)
    r.counted += 1
    seen.append("large=" + fed(err, body, total, 0, pieces=2))

    # the one-way type, as the client's early parts: its first 4 KiB,
    # then the rest at its own offset, of its row's bulk_max; a PING
    # behind it says it was served
    total = PPOST_MAX
    send_parts(ch, r, T_PPOST, ppattern(total), [(0, 0, 4096), (4096, 4096, total - 4096)])
    ch.send(T_PPOST, 0, struct.pack("<Q", REGION | HELD | total))
    r.counted += 1
    posted.append("%d/%d" % (total, total))
    ch.call(PING, b"")

    # payloads of a part-by-part type that come whole: one part of every
    # byte, then the message; 0 bytes, the message alone
    whole = []
    total = PIECE + PIECE // 2
    fd = sealed_memfd(ppattern(total))
    err, body, _ = bulk_call(ch, T_PCALL, total, (fd,))
    os.close(fd)
    whole.append(fed(err, body, total, 0, whole=True))
    fd = sealed_memfd(b"")
    err, body, _ = bulk_call(ch, T_PCALL, 0, (fd,), own=b"0")
    os.close(fd)
    whole.append(fed(err, body, 0, 1, whole=True))
    for held_, total in ((False, 100000), (True, 5000), (True, 0)):
        r.wait(r.counted)
        r.put(0, ppattern(total))
        err, body, _ = bulk_call(ch, T_PCALL, REGION | (HELD if held_ else 0) | total,
                                 () if held_ else (r.fd,))
        r.counted += 1
        whole.append(fed(err, body, total, 0, whole=True))
    # parts that name no type (revision 1.4) are a payload that came whole
    total = 300000
    data = ppattern(total)
    for off, at, n in ((0, 0, 100000), (100000, 100000, 200000)):
        r.wait(r.counted)
        r.put(at, data[off:off + n])
        ch.send(REGION_PART, 0, part(total, off, at, n))
        r.counted += 1
    err, body, _ = bulk_call(ch, T_PCALL, REGION | HELD | total)
    r.counted += 1
    whole.append(fed(err, body, total, 0, whole=True))
    seen.append("whole=" + ",".join(whole))

    # a part its handler refuses (a byte differs in the second): the
    # rest is read and counted in `done`, not fed; the message is
    # answered with the handler's error and detail
    total = 3 * (256 << 10)
    send_parts(ch, r, T_PCALL, ppattern(total), ring(total, 256 << 10, 3), bad=300000)
    err, detail, _ = bulk_call(ch, T_PCALL, REGION | HELD | total)
    r.counted += 1
    seen.append("refused=%s" % ("ok" if err == 74 and "300000" in detail  # EBADMSG
                                and r.wait(r.counted) else "%d:%s" % (err, detail)))
    # and the next payload is fed again
    total = 500000
    send_parts(ch, r, T_PCALL, ppattern(total), [(0, 0, 200000), (200000, 200000, 300000)])
    err, body, _ = bulk_call(ch, T_PCALL, REGION | HELD | total)
    r.counted += 1
    seen.append("again=" + fed(err, body, total, 0, pieces=2))
    seen.append("pposts=" + ",".join(posted))
    r.close()

    err, _, _ = ch.call(T_DONE, put_str(";".join(seen)))
    return 0 if err == 0 else 1


def abandon_at_exit(ch):
    """A part of T_PCALL's payload, a PING (the part was served), then
    the exit: the handler is told the payload will never end."""
    r = Region(PAGE)
    send_parts(ch, r, T_PCALL, ppattern(100), [(0, 0, 50)], first_fd=True)
    ch.call(PING, b"")
    return 0


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
    drop(ch, T_BULK, T_BPOST, T_PCALL, T_PPOST)
    ch.send(REGION_PART, 0, part(10, 0, 0, 10))


def m_part_total_over_the_permitted(ch):
    # T_BPOST (2 MiB) and the part-by-part types given up: T_BULK's 1 MiB
    # is the largest left
    held(ch, LARGEST)
    drop(ch, T_BPOST, T_PCALL, T_PPOST)
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


# Revision 1.7 (section 5, "The helper's checks"): records through a held
# region of `datalen` bytes, the last of which breaks a rule.  A record:
# ("part", total, off, at, len[, type]), its bytes the handlers' pattern
# where they fit the region (wrong at offset `bad`); ("final", type,
# size): the held form; ("sealed", type, size): a sealed memfd;
# ("region", type, size): a region record with the region's memfd;
# ("drop", type): PERMIT_DROP; ("memfd", total, off, at, len, type): a
# part with another region's memfd; ("raw", payload): a REGION_PART of
# any length.

def records_then(datalen, records, bad=None):
    def send(ch):
        r = held(ch, datalen)
        for kind, *a in records:
            if kind in ("part", "memfd"):
                total, off, at, n = a[:4]
                if at + n <= datalen and off + n <= total:
                    piece = bytearray(ppattern(total)[off:off + n])
                    if bad is not None and off <= bad < off + n:
                        piece[bad - off] ^= 0xFF
                    r.put(at, piece)
                fds = (Region(PAGE).fd,) if kind == "memfd" else ()
                ch.send(REGION_PART, 0, part(*a), fds)
                r.counted += 1
            elif kind == "final":
                ch.send(a[0], 0 if a[0] == T_PPOST else 1,
                        struct.pack("<Q", REGION | HELD | a[1]))
            elif kind == "sealed":
                ch.send(a[0], 0 if a[0] == T_PPOST else 1, struct.pack("<Q", a[1]),
                        (sealed_memfd(ppattern(a[1])),))
            elif kind == "region":
                # its payload is at the data's offset 0: written once
                # `done` counted every part before (the helper copied them)
                r.wait(r.counted)
                payload = bytearray(ppattern(a[1]))
                if bad is not None:
                    payload[bad] ^= 0xFF
                r.put(0, payload)
                ch.send(a[0], 0 if a[0] == T_PPOST else 1, struct.pack("<Q", REGION | a[1]),
                        (r.fd,))
            elif kind == "drop":
                drop(ch, *a)
            else:
                ch.send(REGION_PART, 0, a[0])
        return r
    return send


K = 256 << 10
PART17 = {
    # a type the helper does not take part by part
    "typed-part-whole-type": (K, [("part", 10, 0, 0, 10, T_BULK)]),
    "typed-part-no-bulk": (K, [("part", 10, 0, 0, 10, T_NOTE)]),
    "typed-part-unknown-type": (K, [("part", 10, 0, 0, 10, 0x7FFFFFFF)]),
    "typed-part-framework-type": (K, [("part", 10, 0, 0, 10, PING)]),
    "typed-part-event": (K, [("part", 10, 0, 0, 10, T_TICK)]),
    # under a table with no PRIVSEP_H_PARTS row at all (the C test's)
    "typed-part-no-parts-row": (K, [("part", 10, 0, 0, 10, T_PCALL)]),
    # its row's permit, its row's bulk_max
    "typed-part-not-permitted": (K, [("drop", T_PCALL), ("part", 10, 0, 0, 10, T_PCALL)]),
    "typed-part-total-over-its-row": (K, [("part", PPOST_MAX + 1, 0, 0, 10, T_PPOST)]),
    "typed-part-total-zero": (K, [("part", 0, 0, 0, 10, T_PCALL)]),
    # REGION_PART is 32 or 36 bytes
    "part-of-34-bytes": (K, [("raw", part(10, 0, 0, 10) + b"\0\0")]),
    "part-of-37-bytes": (K, [("raw", part(10, 0, 0, 10, T_PCALL) + b"\0")]),
    # steps 1 to 3, as for any part
    "typed-part-empty": (K, [("part", 10, 0, 0, 0, T_PCALL)]),
    "typed-part-past-the-region": (2 * PAGE, [("part", 3 * PAGE, 0, PAGE, PAGE + 1, T_PCALL)]),
    "typed-part-first-not-at-0": (K, [("part", 100, 10, 0, 10, T_PCALL)]),
    "typed-part-gap": (K, [("part", 100, 0, 0, 10, T_PCALL), ("part", 100, 20, 20, 10, T_PCALL)]),
    "typed-part-overlap": (K, [("part", 100, 0, 0, 10, T_PCALL),
                               ("part", 100, 5, 5, 10, T_PCALL)]),
    "typed-part-again": (K, [("part", 100, 0, 0, 10, T_PCALL), ("part", 100, 0, 0, 10, T_PCALL)]),
    "typed-part-past-total": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                  ("part", 100, 10, 10, 91, T_PCALL)]),
    "typed-part-total-changes": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                     ("part", 200, 10, 10, 10, T_PCALL)]),
    "typed-part-another-memfd": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                     ("memfd", 100, 10, 10, 10, T_PCALL)]),
    # the type changed mid-payload
    "typed-part-type-changes": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                    ("part", 100, 10, 10, 10, T_PPOST)]),
    "typed-part-then-untyped": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                    ("part", 100, 10, 10, 10)]),
    "untyped-part-then-typed": (K, [("part", 100, 0, 0, 10),
                                    ("part", 100, 10, 10, 10, T_PCALL)]),
    # a part after one its handler refused is still checked
    "typed-part-gap-after-refusal": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                         ("part", 100, 20, 20, 10, T_PCALL)], 5),
    # the final record disagrees
    "typed-final-whole-type": (K, [("part", 100, 0, 0, 100, T_PCALL), ("final", T_BULK, 100)]),
    "typed-final-other-parts-type": (K, [("part", 100, 0, 0, 100, T_PCALL),
                                         ("final", T_PPOST, 100)]),
    "typed-final-total-changed": (K, [("part", 100, 0, 0, 100, T_PCALL),
                                      ("final", T_PCALL, 99)]),
    "typed-final-before-the-last-part": (K, [("part", 100, 0, 0, 50, T_PCALL),
                                             ("final", T_PCALL, 100)]),
    # mid-payload: its own type in a sealed memfd, a region record
    "typed-part-then-sealed-same-type": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                             ("sealed", T_PCALL, 100)]),
    "typed-part-then-region-record": (K, [("part", 100, 0, 0, 10, T_PCALL),
                                          ("region", T_BULK, 10)]),
}
# a part its one-way handler says is malformed (a byte differs): the
# violation bad-payload; the same for the payload that came whole
PART17_BAD = {
    "typed-part-handler-violation": (K, [("part", 1000, 0, 0, 500, T_PPOST),
                                         ("part", 1000, 500, 500, 500, T_PPOST)], 700),
    "whole-handler-violation": (K, [("region", T_PPOST, 1000)], 700),
}


def m_typed_part_whole_type_none_permitted(ch):
    # section 8's order: a part from a worker that holds no bulk permit
    # is not-permitted before its named type is looked at
    held(ch)
    drop(ch, T_BULK, T_BPOST, T_PCALL, T_PPOST)
    ch.send(REGION_PART, 0, part(10, 0, 0, 10, T_BULK))


def m_typed_part_not_permitted_no_region(ch):
    # the named type's permit is checked before the held region
    drop(ch, T_PCALL)
    ch.send(REGION_PART, 0, part(10, 0, 0, 10, T_PCALL))


MALFORMED = {name[2:].replace("_", "-"): f for name, f in globals().items()
             if name.startswith("m_")}
MALFORMED.update({name: parts_then(*v) for name, v in PARTS.items()})
MALFORMED.update({name: records_then(*v) for name, v in PART17.items()})
MALFORMED.update({name: records_then(*v) for name, v in PART17_BAD.items()})


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
        if sys.argv[1] == "run-1.7":
            return run17(ch)
        if sys.argv[1] == "abandon-at-exit":
            return abandon_at_exit(ch)
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
