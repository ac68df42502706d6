#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run loads a policy only as the helper loads a worker's: check
# finds nothing in it (and its filter is verified), so a --policy with a
# finding (a permissive default, allow connect) runs nothing; one policy
# file; its own errors each said, with the statuses env(1) gives (125 its
# own, 126 a COMMAND it cannot run); relative paths with . and .. taken
# from the cwd; and a --learn proposal that check accepts, connect refused
# in it.  As root and as a normal user.
# Usage: privsep-run-runs-only-under-a-policy-check-accepts.sh PRIVSEP_RUN
set -u
R=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
d=$(mktemp -d /tmp/privsep-run-policy.XXXXXX)
trap 'rm -rf "$d"' EXIT
fail() { echo "run-policy: $*" >&2; exit 1; }
PATH=/usr/bin:/bin
export PATH
mkdir -p "$d/in" "$d/out" "$d/bin"
printf 'one\n' >"$d/in/a.txt"
cp /bin/cat "$d/bin/mycat"
printf '#!/bin/sh\necho script\n' >"$d/bin/script"
chmod +x "$d/bin/script"
printf 'version 1\ndefault allow\n' >"$d/permissive.policy"
printf 'version 1\nallow connect because "it asks"\n' >"$d/connect.policy"
printf 'version 1\nrlimit nofile 40\n' >"$d/ok.policy"

# expect STATUS PATTERN [ARGS...]: the status, and a line of standard
# error matching PATTERN; the command never ran (no $d/out/ran)
expect() {
	want=$1 pat=$2
	shift 2
	rm -f "$d/out/ran"
	"$R" "$@" </dev/null >"$d/o" 2>"$d/err"
	got=$?
	[ "$got" = "$want" ] || fail "privsep-run $*: exit $got, want $want: $(cat "$d/err")"
	grep -q -- "$pat" "$d/err" || fail "privsep-run $*: no \"$pat\" in: $(cat "$d/err")"
	[ -e "$d/out/ran" ] && fail "privsep-run $*: the command ran"
	return 0
}

# findings: the policy is not loaded, the command never runs
expect 125 "permissive default" --policy "$d/permissive.policy" \
	--allow-write-beneath "$d/out" -- tee "$d/out/ran"
expect 125 "the policy is not loaded: check must pass" --policy "$d/permissive.policy" \
	--allow-write-beneath "$d/out" -- tee "$d/out/ran"
expect 125 "allow connect: it connects any socket" --policy "$d/connect.policy" \
	--allow-write-beneath "$d/out" -- tee "$d/out/ran"
# a clean one runs
"$R" --policy "$d/ok.policy" --allow-write-beneath "$d/out" -- tee "$d/out/ran" </dev/null 2>"$d/err" ||
	fail "a clean --policy: exit $?: $(cat "$d/err")"
[ -e "$d/out/ran" ] || fail "a clean --policy: the command did not run"
# one policy file, one proposal: a second is a usage error, not dropped
expect 125 "given twice: --policy" --policy "$d/ok.policy" --policy "$d/permissive.policy" \
	-- tee "$d/out/ran"
expect 125 "given twice: --learn" --learn "$d/l1" --learn "$d/l2" -- tee "$d/out/ran"
# a --policy that is not there: said
expect 125 "^privsep-run: --policy $d/none.policy: No such file or directory\$" \
	--policy "$d/none.policy" -- tee "$d/out/ran"
# a script: cannot be run from its fd (126, as env(1)), said
expect 126 "not an ELF program of this machine" -- "$d/bin/script"

# relative paths with . and .. from the cwd, COMMAND's too
(
	cd "$d/bin" || exit 1
	out=$("$R" --allow-read ./../in/./a.txt -- ./mycat ../in/a.txt 2>"$d/err") ||
		fail "relative paths: exit $?: $(cat "$d/err")"
	[ "$out" = one ] || fail "relative paths: got $out"
) || exit 1
# --learn of a command that connects (glibc asks nscd, then reads the
# files): the proposal refuses connect with EACCES and loads as it is
if command -v getent >/dev/null 2>&1; then
	"$R" --learn "$d/getent.policy" -- getent passwd root >/dev/null 2>"$d/err" ||
		fail "getent --learn: exit $?: $(cat "$d/err")"
	grep -q '^errno EACCES connect because "learned; review"$' "$d/getent.policy" ||
		fail "the proposal does not refuse connect: $(cat "$d/getent.policy")"
	out=$("$R" --policy "$d/getent.policy" -- getent passwd root 2>"$d/err") ||
		fail "getent under its proposal: exit $?: $(cat "$d/err")"
	case $out in root:*) ;; *) fail "getent under its proposal: got $out" ;; esac
else
	echo "run-policy: no getent here: a learned connect not checked" >&2
fi
echo "run-policy: privsep-run runs only under a policy check accepts; its errors said"
