#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""A privsep worker in Python 3, standard library only, written from
docs/PROTOCOL.md (sections 1-9 and 13) alone.

The C helper of tests/interop/test_interop.c executes it in exec mode as a
foreign worker: argv[1] is the mode.  "run": READY, then calls with
payloads and fds, a post, events, a permit dropped, a bulk payload, and a
last call with what it saw.  "bad-magic", "unknown-type", "nfds-mismatch":
READY, then one malformed record, for which the helper kills it;
"ping-after-drop": PING given up, then sent.
"fs-open": READY, then FS_OPEN of argv[3] (this file) as revision 1.5 sends
it and with revision 1.6's bit 31 (section 6), checking each answer;
"exec-memfd": READY, then an exec of another program from a memfd;
"exec-raised-limit": the same on the program's fd number, after raising
the fd limit.
"""
import array
import fcntl
import os
import socket
import struct
import sys

# Section 2 and 3.
MAGIC = 0x5053
VERSION = 1
HEADER = struct.Struct("<HBBIII")  # magic, version, nfds, type, id, len
MAX_FDS = 4
LIMIT = 4096  # the record limit: section 13 says it is not sent

# Section 6.
REPLY, PING, PERMIT_DROP, SANDBOX_FAILED, SECCOMP_TRAP, READY = 1, 2, 3, 4, 5, 6
FS_OPEN = 0x0100
FS_OPEN_STAT = 0x80000000  # bit 31 of FS_OPEN's flags (revision 1.6)

# The interop test's table (tests/interop/test_interop.c).
T_ECHO = 0x10000  # call: bytes back, with one fd of the helper's
T_NOTE = 0x10001  # post: a str
T_TICK = 0x10002  # event: u32 counter
T_BULK = 0x10003  # call with a bulk payload: u32 sum of its bytes back
T_DONE = 0x10004  # call: str summary


class ProtocolError(Exception):
    pass


def put_str(s):
    b = s.encode() + b"\0"
    return struct.pack("<I", len(b)) + b


def get_str(buf, off):
    """Section 4: a str, its u32 length counting the NUL."""
    if off + 4 > len(buf):
        raise ProtocolError("short str")
    (n,) = struct.unpack_from("<I", buf, off)
    if n == 0 or off + 4 + n > len(buf):
        raise ProtocolError("bad str length")
    s = buf[off + 4: off + 4 + n]
    if s[-1] != 0 or 0 in s[:-1]:
        raise ProtocolError("bad str")
    return s[:-1].decode(), off + 4 + n


class Channel:
    def __init__(self, fd=3):
        # Section 13: the channel is fd 3, a SOCK_SEQPACKET unix socket.
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET, 0, fileno=fd)
        self.next_id = 1
        self.ticks = []

    def send(self, type_, id_, payload=b"", fds=(), nfds=None, magic=MAGIC):
        """Section 1: one record, one sendmsg with MSG_NOSIGNAL, its fds
        in one SCM_RIGHTS control message."""
        hdr = HEADER.pack(magic, VERSION, len(fds) if nfds is None else nfds,
                          type_, id_, len(payload))
        anc = []
        if fds:
            anc = [(socket.SOL_SOCKET, socket.SCM_RIGHTS,
                    array.array("i", fds).tobytes())]
        self.sock.sendmsg([hdr + payload], anc, socket.MSG_NOSIGNAL)

    def recv(self):
        """Section 8, as far as a worker checks: returns (type, id,
        payload, fds)."""
        while True:
            try:
                data, anc, flags, _ = self.sock.recvmsg(
                    LIMIT, socket.CMSG_SPACE(MAX_FDS * 4), socket.MSG_CMSG_CLOEXEC)
                break
            except InterruptedError:
                continue
        fds = []
        for level, kind, cdata in anc:
            if level != socket.SOL_SOCKET or kind != socket.SCM_RIGHTS:
                raise ProtocolError("bad-cmsg")
            a = array.array("i")
            a.frombytes(cdata[: len(cdata) - len(cdata) % a.itemsize])
            fds.extend(a)
        if not data and not fds:
            raise EOFError("the helper is gone")
        if flags & socket.MSG_TRUNC:
            raise ProtocolError("oversize")
        if len(data) < HEADER.size:
            raise ProtocolError("short-header")
        magic, version, nfds, type_, id_, n = HEADER.unpack_from(data)
        if magic != MAGIC:
            raise ProtocolError("bad-magic")
        if version != VERSION:
            raise ProtocolError("bad-version")
        if HEADER.size + n != len(data):
            raise ProtocolError("len-mismatch")
        if nfds != len(fds):
            raise ProtocolError("nfds-mismatch")
        return type_, id_, data[HEADER.size:], fds

    def event(self, type_, id_, payload, fds):
        """Section 5, "Events": id 0, the row's bounds."""
        for fd in fds:
            os.close(fd)
        if type_ != T_TICK:
            raise ProtocolError("unknown-type" if type_ > PERMIT_DROP else "wrong-direction")
        if id_ != 0:
            raise ProtocolError("id-on-post")
        if len(payload) != 4 or fds:
            raise ProtocolError("bad-size")
        self.ticks.append(struct.unpack("<I", payload)[0])

    def call(self, type_, payload=b"", fds=(), id_=None):
        """A call and its REPLY (section 5); events that arrive first are
        handled in order.  Returns (error, body or detail, fds)."""
        if id_ is None:
            id_ = self.next_id
            self.next_id = self.next_id + 1 if self.next_id < 0xFFFFFFFF else 1
        self.send(type_, id_, payload, fds)
        while True:
            t, i, p, f = self.recv()
            if t != REPLY:
                self.event(t, i, p, f)
                continue
            if i != id_:
                raise ProtocolError("unknown-id")
            if len(p) < 4:
                raise ProtocolError("bad-size")
            (err,) = struct.unpack_from("<I", p)
            if err == 0:
                return 0, p[4:], f
            if err > 4095 or f:
                raise ProtocolError("bad-reply")
            detail, end = get_str(p, 4)
            if end != len(p) or len(detail) > 255:
                raise ProtocolError("bad-reply")
            return err, detail, []

    def post(self, type_, payload=b"", fds=()):
        self.send(type_, 0, payload, fds)


def sealed_memfd(data):
    """Section 5, "Bulk payloads": a memfd with every page written and the
    four seals."""
    fd = os.memfd_create("bulk", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    fcntl.fcntl(fd, fcntl.F_ADD_SEALS, fcntl.F_SEAL_WRITE | fcntl.F_SEAL_SHRINK
                | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
    return fd


def ready(ch):
    """Section 13: READY first, and wait for the helper's check."""
    err, detail, _ = ch.call(READY)
    if err:
        sys.stderr.write("READY refused: %s\n" % detail)
        sys.exit(127)


def run(ch):
    seen = []
    # a call with a payload and two fds (its standard input and output;
    # the policy allows no pipe): the helper answers the bytes
    # and one fd of its own, whose pipe says hello
    err, body, fds = ch.call(T_ECHO, b"from python", (0, 1))
    if err or body != b"from python" or len(fds) != 1:
        raise SystemExit("echo: %r %r %r" % (err, body, fds))
    seen.append("echo=" + os.read(fds[0], 64).decode())
    os.close(fds[0])
    # a ping
    err, body, _ = ch.call(PING, b"abcd")
    seen.append("ping=" + body.decode() if not err else "ping-error=%d" % err)
    # a post
    ch.post(T_NOTE, put_str("a note from python"))
    # give up PING; the helper then refuses a second PERMIT_DROP of a
    # type not in its table with EINVAL, dropping nothing
    err, _, _ = ch.call(PERMIT_DROP, struct.pack("<II", 1, PING))
    seen.append("drop=%d" % err)
    err, _, _ = ch.call(PERMIT_DROP, struct.pack("<II", 1, 0x7FFFFFFF))
    seen.append("drop-unknown=%d" % err)
    # a bulk payload of 200000 bytes
    data = bytes(i % 251 for i in range(200000))
    mfd = sealed_memfd(data)
    err, body, _ = ch.call(T_BULK, struct.pack("<Q", len(data)), (mfd,))
    os.close(mfd)
    seen.append("bulk=%d" % (struct.unpack("<I", body)[0] if not err else -err))
    seen.append("sum=%d" % (sum(data) & 0xFFFFFFFF))
    seen.append("ticks=" + ",".join(str(t) for t in ch.ticks))
    err, _, _ = ch.call(T_DONE, put_str(";".join(seen)))
    return 0 if err == 0 else 1


def fs_open(ch, path):
    """Section 6, "The file broker" and "Revision 1.6": FS_OPEN without
    bit 31 answers error 0, an empty body and the fd; with it, the nine
    u64 of the fd's stat, which must be what fstat of that fd says."""
    seen = []
    err, body, fds = ch.call(FS_OPEN, struct.pack("<I", os.O_RDONLY) + put_str(path))
    if err or body != b"" or len(fds) != 1:
        raise SystemExit("open: %r %r %r" % (err, body, fds))
    seen.append("plain=" + os.pread(fds[0], 2, 0).decode())
    os.close(fds[0])
    err, body, fds = ch.call(FS_OPEN, struct.pack("<I", os.O_RDONLY | FS_OPEN_STAT)
                             + put_str(path))
    if err or len(body) != 72 or len(fds) != 1:
        raise SystemExit("open with stat: %r %r %r" % (err, body, fds))
    f = struct.unpack("<9Q", body)
    st = os.fstat(fds[0])
    mine = (st.st_dev, st.st_ino, st.st_mode, st.st_nlink, st.st_uid, st.st_gid,
            st.st_size, st.st_mtime_ns // 10**9, st.st_mtime_ns % 10**9)
    seen.append("stat=" + ("same" if f == mine else "%r!=%r" % (f, mine)))
    seen.append("size=%d" % f[6])
    os.close(fds[0])
    err, _, _ = ch.call(T_DONE, put_str(";".join(seen)))
    return 0 if err == 0 else 1


def exec_memfd(ch):
    """What a taken-over foreign worker would try: another program, from
    a memfd (which Landlock does not look at).  The first filter allows
    one execveat only, of the program's own fd number: it kills this."""
    with open("/usr/bin/true", "rb") as f:
        data = f.read()
    fd = sealed_memfd(data)
    os.execve(fd, ["true"], {})
    return 3


def exec_raised_limit(ch):
    """Exec mode's one execveat is of fd N, the fd limit at start, which
    no fd can have while the limit stays: raise the limit, put a memfd
    holding another program on N, and execute it.  5 when the raise or
    the dup2 onto N is refused."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        with open("/bin/sh", "rb") as f:
            fd = sealed_memfd(f.read())
        os.dup2(fd, soft)
    except (OSError, ValueError):
        return 5
    # a second program would exit 42
    os.execve(soft, ["sh", "-c", "exit 42"], {})
    return 3


def malformed(ch, mode):
    if mode == "ping-after-drop":
        # section 7: PING given up, then used: not-permitted
        err, _, _ = ch.call(PERMIT_DROP, struct.pack("<II", 1, PING))
        if err:
            return 4
        ch.send(PING, 1 << 20, b"x")
    elif mode == "bad-magic":
        ch.send(T_NOTE, 0, put_str("x"), magic=0x1234)
    elif mode == "unknown-type":
        ch.send(0xA, 0, b"")  # reserved, unused (0x9 is REGION_PART)
    elif mode == "nfds-mismatch":
        ch.send(T_NOTE, 0, put_str("x"), nfds=1)
    else:
        return 2
    # section 8: the helper kills the worker; wait for it
    try:
        ch.recv()
    except (EOFError, ProtocolError, OSError):
        pass
    return 3


KEPT = []


def main():
    if len(sys.argv) < 2:
        return 2
    ch = Channel()
    KEPT.append(ch)  # never closed, nor finalized, before the exit
    ready(ch)
    if sys.argv[1] == "run":
        return run(ch)
    if sys.argv[1] == "fs-open":
        return fs_open(ch, sys.argv[2])
    if sys.argv[1] == "exec-memfd":
        return exec_memfd(ch)
    if sys.argv[1] == "exec-raised-limit":
        return exec_raised_limit(ch)
    return malformed(ch, sys.argv[1])


if __name__ == "__main__":
    # the channel is closed by the kernel as the process exits, never
    # before: a worker that closes it has 1000 ms to be gone (section 11),
    # which Python's own finalization may outlast on a loaded machine
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
