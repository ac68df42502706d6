#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-policy as a user runs it: each command, its output, its exit status.
# Usage: policy-tool.sh TOOL POLICY_DIR
set -u
tool=$1 dir=$2
fail() { echo "policy-tool: $*" >&2; exit 1; }
expect() { # expect STATUS PATTERN -- ARGS...
	want=$1 pat=$2
	shift 3
	out=$("$tool" "$@" 2>&1)
	got=$?
	[ "$got" = "$want" ] || fail "privsep-policy $*: exit $got, want $want: $out"
	echo "$out" | grep -q -- "$pat" || fail "privsep-policy $*: no \"$pat\" in: $out"
}
expect 0 "usage: privsep-policy check" -- --help
expect 2 "usage:" -- frobnicate
expect 0 "<default.policy>: clean" -- check '<default.policy>'
expect 0 "threads.policy: clean" -- check "$dir/threads.policy"
expect 1 "findings.policy:3:1: permissive default" -- check "$dir/findings.policy"
expect 1 "findings.policy:4:13: errno ptrace needs a reason" -- check "$dir/findings.policy"
expect 1 "findings.policy:6:7: sendto: it lets MSG_FASTOPEN through" -- check "$dir/findings.policy"
expect 2 "broken.policy:3:18: expected an operator" -- check "$dir/broken.policy"
expect 2 "cannot open" -- check "$dir/no-such.policy"
expect 0 "verified: .* instructions agree with the policy over" -- verify '<default.policy>'
expect 0 "verified" -- verify --debug "$dir/threads.policy"
expect 0 "^kill: openat(.*the default action of <default.policy> (the syscall is not in it)" \
	-- explain '<default.policy>' openat AT_FDCWD 0 O_RDONLY
expect 0 "^allow: mmap(0x0, 0x1000, 0x3.*<groups.policy>:23" -- explain '<default.policy>' mmap 0 4096 'PROT_READ|PROT_WRITE'
expect 0 "^kill: mmap(0x0, 0x1000, 0x5.*no rule for this syscall matched its arguments" \
	-- explain '<default.policy>' mmap 0 4096 'PROT_READ|PROT_EXEC'
expect 0 "^errno ENOSYS: clone3.*because \"glibc falls back to clone" -- explain '<default.policy>' clone3
# a negative argument down to -2^63, not past it; an option after a file
expect 0 "close(0x8000000000000000" -- explain '<default.policy>' close -9223372036854775808
expect 2 "not a number or a known constant" -- explain '<default.policy>' close -9223372036854775809
expect 2 "check: unknown option --debug" -- check '<default.policy>' --debug
expect 0 "(everything else)" -- export '<default.policy>'
expect 0 "arg2(int) has-none 0x4" -- export '<default.policy>'
expect 0 "action KILL_PROCESS" -- export --pfc '<default.policy>'
expect 0 "instructions (struct sock_filter" -- export --bpf '<default.policy>'
expect 0 "<groups.policy>" -- shipped
expect 0 "group @stdio" -- shipped groups.policy
# learn: record a run, propose a policy that passes check and verify, and
# under which the same command runs; the default policy kills it
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
expect 0 "exited with 0 after [0-9]* syscalls; proposal in" -- learn -o "$tmp/echo.policy" -- /bin/echo learned
grep -q "^allow execve" "$tmp/echo.policy" || fail "learn: no execve in $(cat "$tmp/echo.policy")"
grep -q "^allow write" "$tmp/echo.policy" || fail "learn: no write"
expect 0 "clean" -- check "$tmp/echo.policy"
expect 0 "verified" -- verify "$tmp/echo.policy"
expect 0 "^under its learned policy$" -- run "$tmp/echo.policy" -- /bin/echo under its learned policy
"$tool" run '<default.policy>' -- /bin/echo nope >/dev/null 2>&1
st=$?
[ "$st" = 159 ] || fail "run under <default.policy>: exit $st, want 159 (SIGSYS: no execve)"
expect 2 "not loaded: check and verify must pass" -- run "$dir/findings.policy" -- /bin/true
# a command that connects (getent: glibc asks nscd first, then reads the
# files): its proposal refuses connect with EACCES, as check refuses to
# allow it, passes check, and the command runs under it
if command -v getent >/dev/null 2>&1; then
	getent=$(command -v getent)
	expect 0 "proposal in" -- learn -o "$tmp/getent.policy" -- "$getent" passwd root
	grep -q '^errno EACCES connect because ' "$tmp/getent.policy" ||
		fail "learn: connect not refused in $(cat "$tmp/getent.policy")"
	grep -q '^allow connect' "$tmp/getent.policy" && fail "learn: allow connect proposed"
	expect 0 "clean" -- check "$tmp/getent.policy"
	expect 0 "^root:" -- run "$tmp/getent.policy" -- "$getent" passwd root
else
	echo "policy-tool: no getent here: a learned connect not checked" >&2
fi
echo "policy-tool: every command behaves as documented"
