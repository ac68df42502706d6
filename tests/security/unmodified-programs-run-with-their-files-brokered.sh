#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run (issue 20): real, unmodified programs run in the sandbox
# with their file opens brokered by the helper, and get exactly the files
# the options allow.  As root and as a normal user (nothing here needs
# root: Landlock, seccomp and the notifier work unprivileged).
# Usage: unmodified-programs-run-with-their-files-brokered.sh PRIVSEP_RUN RUN_PROBE
set -u
R=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
P=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
d=$(mktemp -d /tmp/privsep-run.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "run-programs: $*" >&2; exit 1; }
PATH=/usr/bin:/bin
export PATH
mkdir -p "$d/in/sub/deep" "$d/out" "$d/other"
printf 'one\ntwo\nthree\n' >"$d/in/a.txt"
printf 'needle here\n' >"$d/in/sub/deep/b.txt"
printf 'no\n' >"$d/in/sub/c.txt"
printf 'SECRET\n' >"$d/other/secret"
for i in 0 1 2 3; do printf 'file%d\n' $i >"$d/in/f$i"; done

# cat and sha256sum of allowed files: the bytes, exit 0
out=$("$R" --allow-read "$d/in/a.txt" -- cat "$d/in/a.txt" 2>"$d/err") || fail "cat: exit $?: $(cat "$d/err")"
[ "$out" = "$(printf 'one\ntwo\nthree')" ] || fail "cat: got $out"
want=$(sha256sum "$d/in/a.txt" "$d/in/sub/c.txt")
got=$("$R" --allow-read "$d/in/a.txt" --allow-read "$d/in/sub/c.txt" -- sha256sum "$d/in/a.txt" "$d/in/sub/c.txt" 2>"$d/err") ||
	fail "sha256sum: exit $?: $(cat "$d/err")"
[ "$got" = "$want" ] || fail "sha256sum: got $got"
# a file not allowed: the command's own error, and one refusal line
"$R" --allow-read "$d/in/a.txt" -- cat "$d/other/secret" >"$d/o" 2>"$d/err" && fail "cat of a file not allowed succeeded"
[ -s "$d/o" ] && fail "cat of a file not allowed printed $(cat "$d/o")"
grep -q "^privsep-run: cat: openat \"$d/other/secret\": refused, Permission denied (no rule allows $d/other/secret)\$" "$d/err" ||
	fail "refusal line: $(cat "$d/err")"

# ls -la of an allowed directory: every entry, with its metadata
"$R" --allow-read-beneath "$d/in" -- ls -la "$d/in/sub" >"$d/o" 2>"$d/err" || fail "ls -la: exit $?: $(cat "$d/err")"
ls -la "$d/in/sub" >"$d/want"
cmp -s "$d/o" "$d/want" || fail "ls -la differs: $(diff "$d/want" "$d/o")"

# grep -r beneath a root
out=$("$R" --allow-read-beneath "$d/in" -- grep -r needle "$d/in" 2>"$d/err") || fail "grep -r: exit $?: $(cat "$d/err")"
[ "$out" = "$d/in/sub/deep/b.txt:needle here" ] || fail "grep -r: got $out"

# python3 reading one file and writing another (its own imports come
# from <run.policy>'s /usr/lib)
if [ -x /usr/bin/python3 ]; then
	"$R" --allow-read "$d/in/a.txt" --allow-write-beneath "$d/out" -- /usr/bin/python3 -c \
		"open('$d/out/p.txt','w').write(open('$d/in/a.txt').read().upper())" 2>"$d/err" ||
		fail "python3: exit $?: $(cat "$d/err")"
	[ "$(cat "$d/out/p.txt")" = "$(printf 'ONE\nTWO\nTHREE')" ] || fail "python3 wrote $(cat "$d/out/p.txt")"
else
	echo "run-programs: no /usr/bin/python3 here: python3 not checked" >&2
fi

# tar -cf of an allowed tree into an allowed directory
"$R" --allow-read-beneath "$d/in" --allow-write-beneath "$d/out" -- tar -cf "$d/out/t.tar" -C "$d/in" . 2>"$d/err" ||
	fail "tar -cf: exit $?: $(cat "$d/err")"
tar -tf "$d/out/t.tar" | sort >"$d/o"
(cd "$d/in" && find . | sed 's|^\./||; s|^\.$||' | sort) >"$d/want"
sed -i 's|^\./||; s|/$||' "$d/o"
cmp -s "$d/o" "$d/want" || fail "tar listing differs: $(diff "$d/want" "$d/o")"

# sh -c 'cat f | wc -l' with sh, cat and wc allowed to execute
out=$("$R" --allow-read "$d/in/a.txt" --allow-exec /bin/sh --allow-exec /usr/bin/cat --allow-exec /usr/bin/wc -- \
	/bin/sh -c "cat $d/in/a.txt | wc -l" 2>"$d/err") || fail "sh pipeline: exit $?: $(cat "$d/err")"
[ "$out" = 3 ] || fail "sh pipeline: got $out"
# without --allow-exec of cat, the shell cannot run it (Landlock)
"$R" --allow-read "$d/in/a.txt" --allow-exec /bin/sh --allow-exec /usr/bin/wc -- \
	/bin/sh -c "cat $d/in/a.txt" >"$d/o" 2>"$d/err" && fail "sh ran cat that was not allowed: $(cat "$d/o")"
[ -s "$d/o" ] && fail "cat not allowed printed $(cat "$d/o")"

# a multi-threaded program opening from 8 threads at once
out=$("$R" --allow-read-beneath "$d/in" -- "$P" threads 8 "$d/in" 2>"$d/err") || fail "threads: exit $?: $out $(cat "$d/err")"
[ "$out" = "threads 8 opens 1600 wrong 0" ] || fail "threads: $out"

# --learn: tar with no read rule, everything allowed and noted; the
# proposal (file and syscall rules, each "learned; review") runs the same
# tar again with --policy, and the archive is the same tree
"$R" --learn "$d/learned.policy" --allow-write-beneath "$d/out" -- tar -cf "$d/out/l1.tar" -C "$d/in" . 2>"$d/err" ||
	fail "tar --learn: exit $?: $(cat "$d/err")"
grep -q '^# learned; review$' "$d/learned.policy" || fail "no learned file rule: $(cat "$d/learned.policy")"
grep -q "^beneath \"$d/in\" allow read,stat" "$d/learned.policy" || fail "the tree was not learned: $(cat "$d/learned.policy")"
grep -v '^#' "$d/learned.policy" | grep -v '^version 1$' | grep -v '^beneath \|^path ' | grep -qv 'because "learned; review"$' &&
	fail "a syscall rule without its reason: $(cat "$d/learned.policy")"
"$R" --allow-write-beneath "$d/out" -- tar -cf "$d/out/l0.tar" -C "$d/in" . 2>/dev/null &&
	fail "tar read the tree without a rule"
"$R" --policy "$d/learned.policy" --allow-write-beneath "$d/out" -- tar -cf "$d/out/l2.tar" -C "$d/in" . 2>"$d/err" ||
	fail "tar --policy learned: exit $?: $(cat "$d/err")"
tar -tf "$d/out/l2.tar" | sort >"$d/o"
tar -tf "$d/out/t.tar" | sort >"$d/want"
cmp -s "$d/o" "$d/want" || fail "the learned run archived another tree: $(diff "$d/want" "$d/o")"

# exit statuses: the command's own; 127 not found; 126 not executable
"$R" -- /bin/false 2>/dev/null
[ $? = 1 ] || fail "false: exit status not 1"
"$R" -- "$d/nonexistent" 2>"$d/err"
[ $? = 127 ] || fail "missing command: not 127"
"$R" -- "$d/in/a.txt" 2>"$d/err"
[ $? = 126 ] || fail "non-executable command: not 126"
exit 0
