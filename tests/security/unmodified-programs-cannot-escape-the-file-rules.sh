#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run (issue 20): a program under privsep-run, acting as an
# attacker with plain libc calls (run_probe.c), gets nothing outside its
# file rules, whatever path it names and however it races the helper.
# Usage: unmodified-programs-cannot-escape-the-file-rules.sh PRIVSEP_RUN RUN_PROBE
set -u
R=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
P=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
d=$(mktemp -d /tmp/privsep-run.XXXXXX)
swapper=
trap '[ -n "$swapper" ] && kill "$swapper" 2>/dev/null; rm -rf "$d"' EXIT
fail() { echo "run-escapes: $*" >&2; exit 1; }
mkdir -p "$d/in/real" "$d/other"
printf 'ok\n' >"$d/in/a.txt"
printf 'ok\n' >"$d/in/real/f"
printf 'SECRET\n' >"$d/other/secret"
printf 'SECRET\n' >"$d/other/f"
ln -s "$d/other/secret" "$d/in/out-abs"
ln -s ../other/secret "$d/in/out-rel"
ln -s a.txt "$d/in/inside"
mkfifo "$d/in/fifo"
run() { "$R" --allow-read-beneath "$d/in" "$@"; }

# each escape by name: refused (EACCES), the allowed ones still served
run -- "$P" open "$d/in/a.txt" "$d/in/../other/secret" "$d/in/real/../../other/secret" \
	"$d/other/secret" "$d/in/out-abs" "$d/in/out-rel" "$d/in/inside" /proc/self/root/"$d/other/secret" \
	/proc/self/cwd/x "/proc/self/fd/0" "$d/in/fifo" /dev/zero /etc/hostname >"$d/o" 2>"$d/err" ||
	fail "probe: exit $?: $(cat "$d/err")"
cat >"$d/want" <<W
$d/in/a.txt: ok ok
$d/in/../other/secret: EACCES
$d/in/real/../../other/secret: EACCES
$d/other/secret: EACCES
$d/in/out-abs: EACCES
$d/in/out-rel: EACCES
$d/in/inside: ok ok
/proc/self/root/$d/other/secret: EACCES
/proc/self/cwd/x: EACCES
/proc/self/fd/0: EACCES
$d/in/fifo: EACCES
/dev/zero: EACCES
/etc/hostname: EACCES
W
cmp -s "$d/o" "$d/want" || fail "escapes: $(diff "$d/want" "$d/o")"
grep -q "fifo\": refused, Permission denied ($d/in/fifo is a FIFO" "$d/err" || fail "fifo refusal: $(cat "$d/err")"

# access of the program's own fd (faccessat2 with AT_EMPTY_PATH) answers
# what the rule allows for that file, as access by its path does: no
# write on a read-only rule (before, 0 for any mode)
run -- "$P" accessfd "$d/in/a.txt" >"$d/o" 2>"$d/err" || fail "accessfd: exit $?: $(cat "$d/err")"
cat >"$d/want" <<W
F_OK: fd 0 path 0
R_OK: fd 0 path 0
W_OK: fd EACCES path EACCES
R_OK|W_OK: fd EACCES path EACCES
W
cmp -s "$d/o" "$d/want" || fail "access of an fd: $(diff "$d/want" "$d/o")"

# /proc, even allowed by a rule, is the helper's view and a pseudo
# filesystem: the helper's environment, root, fds and memory are refused
"$R" --allow-read-beneath /proc --allow-read-beneath /dev -- "$P" helper >"$d/o" 2>"$d/err" ||
	fail "helper probe: exit $?: $(cat "$d/err")"
grep -v ': EACCES$' "$d/o" && fail "a /proc entry of the helper was opened"
[ "$(wc -l <"$d/o")" = 6 ] || fail "helper probe: $(cat "$d/o")"
"$R" --allow-read-beneath /proc --allow-read-beneath /dev -- "$P" open /proc/self/fd/3 /proc/self/fd/4 /proc/self/environ /dev/zero >"$d/o" 2>"$d/err"
grep -v ': EACCES$' "$d/o" && fail "a helper fd, its environment or a device was opened"
grep -q 'is on proc' "$d/err" || fail "no pseudo filesystem refusal: $(cat "$d/err")"

# the program holds no fd of the helper's (its listener, its roots, its
# socket to the child): 0, 1 and 2 only
out=$(run -- "$P" fds 2>"$d/err") || fail "fds: exit $?: $(cat "$d/err")"
[ "$out" = "fds: 0 1 2" ] || fail "the program holds more than its standard fds: $out"

# a hard link: the program cannot make one (EACCES), so a name in an
# allowed root is the only way to a file, and the rules are on names
run -- "$P" link "$d/other/secret" "$d/in/hl" >"$d/o" 2>"$d/err"
[ "$(cat "$d/o")" = "link: EACCES" ] || fail "link: $(cat "$d/o") $(cat "$d/err")"
[ -e "$d/in/hl" ] && fail "the hard link was made"

# a symlink under a root whose rule says symlinks, leading beneath a
# deeper root that allows stat only: the deeper rule decides (before, the
# program read the secret through the link)
mkdir "$d/in/private"
printf 'SECRET\n' >"$d/in/private/secret"
ln -s private/secret "$d/in/to-secret"
ln -s a.txt "$d/in/to-a"
printf 'version 1\nbeneath "%s/in" allow read,stat symlinks\nbeneath "%s/in/private" allow stat\n' \
	"$d" "$d" >"$d/nested.policy"
"$R" --policy "$d/nested.policy" -- "$P" open "$d/in/to-secret" "$d/in/private/secret" "$d/in/to-a" \
	>"$d/o" 2>"$d/err" || fail "nested: exit $?: $(cat "$d/err")"
printf '%s\n' "$d/in/to-secret: EACCES" "$d/in/private/secret: EACCES" "$d/in/to-a: ok ok" >"$d/want"
cmp -s "$d/o" "$d/want" || fail "nested: $(diff "$d/want" "$d/o")"
grep -q "to-secret\": refused, Permission denied ($d/in/to-secret leads to $d/in/private/secret" "$d/err" ||
	fail "nested refusal: $(cat "$d/err")"

# the path rewritten in memory by another thread during the call, 10^4
# times: the helper opens what it read once, never the other path
out=$(run -- "$P" memrace "$d/in/a.txt" "$d/other/secret" 10000 2>"$d/err") || fail "memrace: $out $(cat "$d/err")"
case "$out" in "memrace tries 10000 ok "*" leaked 0") ;; *) fail "memrace: $out" ;; esac
case "$out" in *" ok 0 "*) fail "memrace: never opened: $out" ;; esac

# a directory swapped with a symlink out of the root, 10^4 opens while
# another process exchanges them: never the file outside
mkdir "$d/in/x"
printf 'ok\n' >"$d/in/x/f"
ln -s "$d/other" "$d/in/y"
"$P" swap "$d/in/x" "$d/in/y" 60 2>/dev/null &
swapper=$!
out=$(run -- "$P" reopen "$d/in/x/f" 10000 2>"$d/err") || fail "rename race: $out"
kill "$swapper" 2>/dev/null
wait "$swapper" 2>/dev/null
swapper=
case "$out" in "reopen tries 10000 ok "*" leaked 0") ;; *) fail "rename race: $out" ;; esac
exit 0
