#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run (issue 20): glibc's fstat is newfstatat(fd, "", AT_EMPTY_PATH),
# which the filter cannot tell from a path call, so the helper answers it
# (and statx or newfstatat with a NULL path and AT_EMPTY_PATH, which Linux
# 6.11 and later take as "": before, the helper answered those EFAULT):
# for the program's own fd (file, directory, pipe) exactly what the
# kernel's fstat(2) says, EBADF for no fd, EFAULT for a buffer the program
# cannot write; and a path written over the "" by another thread, 10^4
# times, is decided by the rules (refused outside), never stat'ed by the
# kernel on the program's behalf. A fast path that let the call through
# (SECCOMP_USER_NOTIF_FLAG_CONTINUE) once it read "" fails here: the
# kernel reads the path again and stats the other file.
# Usage: a-programs-fstat-answers-for-its-own-fd-never-for-a-path.sh PRIVSEP_RUN RUN_PROBE
set -u
R=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
P=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
d=$(mktemp -d /tmp/privsep-run.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "run-fstat: $*" >&2; exit 1; }
mkdir -p "$d/in" "$d/other"
chmod 755 "$d"
printf 'ok\n' >"$d/in/a.txt"
printf 'SECRET\n' >"$d/other/secret"
run() { "$R" --allow-read-beneath "$d/in" "$@"; }

run -- "$P" fstat "$d/in" >"$d/o" 2>"$d/err" || fail "fstat: exit $?: $(cat "$d/err")"
cat >"$d/want" <<W
fstat file: same
statx file: same
fstat dir: same
statx dir: same
fstat pipe: same
statx pipe: same
fstat closed: EBADF
statx closed: EBADF
fstat NULL file: same
statx NULL file: same
fstat NULL dir: same
statx NULL dir: same
fstat NULL pipe: same
statx NULL pipe: same
fstat NULL closed: EBADF
statx NULL closed: EBADF
fstat and statx NULL cwd: same
statx NULL without AT_EMPTY_PATH: EFAULT
fstat read-only buffer: EFAULT
fstat without AT_EMPTY_PATH: ENOENT
W
cmp -s "$d/o" "$d/want" || fail "own fds: $(diff "$d/want" "$d/o")"

# "" and a path out of the root (relative to the program's directory fd,
# which the kernel would resolve) swapped by another thread
out=$(run -- "$P" fstatrace "$d/in" ../other/secret 10000 2>"$d/err") ||
	fail "fstat race: $out $(tail -3 "$d/err")"
case "$out" in "fstatrace tries 10000 own "*" other 0") ;; *) fail "fstat race: $out" ;; esac
case "$out" in *" own 0 "*) fail "fstat race: never answered for the fd: $out" ;; esac
case "$out" in *" refused 0 "*) fail "fstat race: the path was never seen: $out" ;; esac
grep -q "newfstatat \"../other/secret\": refused, Permission denied (no rule allows $d/other/secret)" "$d/err" ||
	fail "no refusal line: $(tail -3 "$d/err")"
exit 0
