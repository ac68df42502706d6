#!/bin/sh
# SPDX-License-Identifier: ISC
# fileopener's command-line contract, end to end, as a user runs it.
# Usage: fileopener-cli.sh FILEOPENER
set -u
fo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
d=$(mktemp -d /tmp/privsep-fo.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "fileopener-cli: $*" >&2; exit 1; }
mkdir -p "$d/root/sub"
printf 'one\n' >"$d/root/a.txt"
printf 'two\n' >"$d/root/sub/b.txt"
printf 'three\n' >"$d/c.txt"
head -c 300000 /dev/urandom >"$d/root/big.bin"

# copies in order, exit 0
"$fo" --allow-read "$d/c.txt" --allow-read-beneath "$d/root" \
	"$d/root/a.txt" "$d/c.txt" "$d/root/sub/b.txt" >"$d/out" 2>"$d/err"
[ $? = 0 ] || fail "allowed reads: exit $?: $(cat "$d/err")"
printf 'one\nthree\ntwo\n' | cmp -s - "$d/out" || fail "allowed reads: wrong bytes: $(cat "$d/out")"

# large content arrives intact
"$fo" --allow-read-beneath "$d/root" "$d/root/big.bin" >"$d/big" 2>/dev/null || fail "big: exit $?"
cmp -s "$d/big" "$d/root/big.bin" || fail "big: content differs"

# a refusal: one line in the documented form, the others still copied, exit 1
(cd "$d" && "$fo" --allow-read-beneath root root/a.txt /etc/shadow c.txt root/../c.txt) \
	>"$d/out" 2>"$d/err"
st=$?
[ "$st" = 1 ] || fail "refusals: exit $st"
[ "$(cat "$d/out")" = "one" ] || fail "refusals: stdout $(cat "$d/out")"
# the worker's lines reach the user through the helper's log, marked
# with the worker's name and pid (never on the helper's stderr itself)
w='^privsep: [0-9T:.-]*Z worker "fileopener" pid [0-9]*: '
grep -qx "${w}fileopener: /etc/shadow: Permission denied (no rule allows /etc/shadow)" "$d/err" ||
	fail "refusal line: $(cat "$d/err")"
grep -qx "${w}fileopener: c.txt: Permission denied (no rule allows $d/c.txt)" "$d/err" ||
	fail "relative refusal line: $(cat "$d/err")"
grep -qx "${w}fileopener: root/../c.txt: Permission denied (a .. component is never allowed)" "$d/err" ||
	fail "dotdot refusal line: $(cat "$d/err")"
[ "$(grep -c "${w}fileopener: " "$d/err")" = 3 ] || fail "not one line per refusal: $(cat "$d/err")"
grep -q '^fileopener: ' "$d/err" && fail "an unmarked worker line: $(cat "$d/err")"

# a rule denying a right names the rule
"$fo" --allow-read "$d/c.txt" "$d/root/a.txt" 2>"$d/err" >/dev/null
grep -q "fileopener: $d/root/a.txt: Permission denied (no rule allows" "$d/err" || fail "$(cat "$d/err")"

# --policy: its rules apply, with file:line in the reasons
cat >"$d/p.policy" <<EOP
version 1
include <fileopener.policy>
path "$d/c.txt" allow stat
EOP
"$fo" --policy "$d/p.policy" "$d/c.txt" 2>"$d/err" >/dev/null
[ $? = 1 ] || fail "--policy: exit"
grep -q "denied by $d/p.policy:3 (path \"$d/c.txt\" allow stat): read needed" "$d/err" ||
	fail "--policy reason: $(cat "$d/err")"

# usage and policy errors: exit 2
"$fo" >/dev/null 2>&1; [ $? = 2 ] || fail "no PATH: not 2"
"$fo" --bogus x >/dev/null 2>&1; [ $? = 2 ] || fail "bad option: not 2"
printf 'version 1\nallow read if fd ~= 1\n' >"$d/bad.policy"
"$fo" --policy "$d/bad.policy" "$d/c.txt" >/dev/null 2>"$d/err"
[ $? = 2 ] || fail "bad policy: not 2"
grep -q "bad.policy:2:18: expected an operator" "$d/err" || fail "bad policy message: $(cat "$d/err")"
"$fo" --help | grep -q "^usage: fileopener" || fail "--help"

# --print-sandbox: the worker's credentials and sandbox, from inside
"$fo" --print-sandbox >"$d/sb" 2>/dev/null || fail "--print-sandbox: exit $?"
for l in Uid Gid Groups CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp Seccomp_filters; do
	grep -q "^$l:" "$d/sb" || fail "--print-sandbox lacks $l: $(cat "$d/sb")"
done
grep -q "^NoNewPrivs:	1$" "$d/sb" || fail "NoNewPrivs"
grep -q "^Seccomp:	2$" "$d/sb" || fail "Seccomp"
# exec mode by default: the worker is this program executed again, which
# narrowed itself with a second filter (a forked worker has one)
grep -q "^Seccomp_filters:	2$" "$d/sb" || fail "not exec mode: $(grep ^Seccomp_filters "$d/sb")"
grep -q "^CapEff:	0000000000000000$" "$d/sb" || fail "CapEff"
grep -q "^Landlock ABI [0-9]" "$d/sb" || grep -q "^Landlock not available" "$d/sb" || fail "Landlock line"
# the helper: confined by its own filter, and (as root) only the broker's capability
grep -q "^helper Seccomp:	2$" "$d/sb" || fail "helper not confined: $(cat "$d/sb")"
if [ "$(id -u)" = 0 ]; then
	# its own uid from the dynamic range, the same number its gid
	u=$(sed -n 's/^Uid:	\([0-9]*\)	\1	\1	\1$/\1/p' "$d/sb")
	[ -n "$u" ] && [ "$u" -ge 61184 ] && [ "$u" -le 65519 ] || fail "Uid: $(grep ^Uid: "$d/sb")"
	grep -q "^Gid:	$u	$u	$u	$u$" "$d/sb" || fail "Gid: $(grep ^Gid: "$d/sb")"
	grep -q "^CapBnd:	0000000000000000$" "$d/sb" || fail "CapBnd"
	# cap_dac_read_search (2) and cap_kill (5)
	grep -q "^helper CapEff:	0000000000000024$" "$d/sb" || fail "helper keeps more than it needs"
	grep -q "^helper CapBnd:	0000000000000024$" "$d/sb" || fail "helper bounding set"
fi

# a confined helper still stops its worker on SIGTERM: the worker blocks
# reading a FIFO whose writer never writes
mkfifo "$d/fifo"
printf 'version 1\ninclude <fileopener.policy>\npath "%s" allow read special\n' "$d/fifo" >"$d/f.policy"
sleep 3 >"$d/fifo" 2>/dev/null &
writer=$!
"$fo" --policy "$d/f.policy" "$d/fifo" >/dev/null 2>"$d/err" &
pid=$!
# wait (10 s at most) for the helper to be confined and its worker to be
# in its sandbox, blocked
i=0
until grep -q "^Seccomp:	2" "/proc/$pid/status" 2>/dev/null &&
	w=$(grep -l "^PPid:	$pid\$" /proc/[0-9]*/status 2>/dev/null | head -n 1) &&
	[ -n "$w" ] && grep -q "^Seccomp:	2" "$w" 2>/dev/null &&
	grep -q "^State:	S" "$w" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 200 ] || fail "no worker blocked in its sandbox after 10 s: $(cat "$d/err")"
	sleep 0.05
done
# it starts no worker once confined, so it has no spawner (an unconfined
# process with the helper's privileges): its one child is the worker
kids=$(grep -l "^PPid:	$pid\$" /proc/[0-9]*/status 2>/dev/null | wc -l)
[ "$kids" = 1 ] || fail "the confined helper has $kids children, not its worker alone: $(grep -h "^Name:" $(grep -l "^PPid:	$pid\$" /proc/[0-9]*/status 2>/dev/null) 2>/dev/null | tr '\n' ' ')"
kill -TERM $pid
wait $pid
st=$?
kill $writer 2>/dev/null
[ "$st" = 143 ] || fail "SIGTERM: exit $st, want 143: $(cat "$d/err")"
grep -q "did not exit within 1000 ms; killed" "$d/err" || fail "the worker was not killed: $(cat "$d/err")"
grep -q "SIGKILL failed" "$d/err" && fail "the helper could not kill its worker: $(cat "$d/err")"
grep -q "Terminated: stopping 1 worker" "$d/err" || fail "SIGTERM not logged: $(cat "$d/err")"
# --learn: under a policy without @glibc (fstat and what glibc's start
# makes), the worker is killed; in learn mode it runs, and the proposal
# (the policy, then "allow X because "learned; review"" per call, with the
# values seen) is a policy under which the same run succeeds, and which
# check accepts
cat >"$d/nog.policy" <<EOP
version 1
include <groups.policy>
include <glibc.policy>
default kill
allow @stdio
allow @alloc
allow @time
allow @signal
allow @ipc
allow @ids
allow @exit
rlimit fsize unlimited
path "$d/c.txt" allow read
EOP
"$fo" --policy "$d/nog.policy" "$d/c.txt" >"$d/out" 2>"$d/err" && fail "--learn: the policy without @glibc was enough"
grep -q "seccomp violation: " "$d/err" || fail "--learn: no violation without it: $(cat "$d/err")"
"$fo" --policy "$d/nog.policy" --learn "$d/learned.policy" "$d/c.txt" >"$d/out" 2>"$d/err" ||
	fail "--learn: exit $?: $(cat "$d/err")"
[ "$(cat "$d/out")" = "three" ] || fail "--learn: stdout $(cat "$d/out")"
grep -q "LEARN MODE" "$d/err" || fail "--learn: no line saying the worker is not sandboxed by its filter"
grep -q "seccomp violation" "$d/err" && fail "--learn: a violation killed the worker: $(cat "$d/err")"
grep -q "^include \"$d/nog.policy\"$" "$d/learned.policy" || fail "--learn: the policy is not in the proposal: $(cat "$d/learned.policy")"
grep -q '^allow newfstatat because "learned; review"$' "$d/learned.policy" ||
	fail "--learn: fstat not learned: $(cat "$d/learned.policy")"
grep -q "^# learned: newfstatat, [0-9]* calls\?; arg0 0x" "$d/learned.policy" ||
	fail "--learn: no argument values: $(cat "$d/learned.policy")"
"$fo" --policy "$d/learned.policy" "$d/c.txt" >"$d/out" 2>"$d/err" ||
	fail "--learn: the proposal is not enough: $(cat "$d/err")"
[ "$(cat "$d/out")" = "three" ] || fail "--learn: under the proposal, stdout $(cat "$d/out")"
grep -q "LEARN MODE" "$d/err" && fail "--learn: the proposal's run was in learn mode"

echo "fileopener-cli: the command-line contract holds"
