#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep(3)'s EXAMPLES program is a complete program: extracted from the
# page, it compiles with -std=c11 -pedantic -Werror, links with the built
# libprivsep.so, runs, prints what the page says and exits 0.
#   man-example.sh SOURCE_ROOT LIBDIR CC [CC ARGS...]
# Exit 77 while privsep.h predates API 1.0 (no struct privsep_out): the
# manual describes 1.0.
set -eu
root=$1 libdir=$2
shift 2
page=$root/docs/man/privsep.3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! grep -q '^struct privsep_out {' "$root/framework/include/privsep.h"; then
	echo "man-example: privsep.h has no struct privsep_out yet (API 1.0): not compiled" >&2
	exit 77
fi
# the first .EX block of EXAMPLES, troff escapes undone
sh "$(dirname "$0")/man-fragments.sh" extract "$page" 1 >"$tmp/example.c"
grep -q '^int main(' "$tmp/example.c" || {
	echo "man-example: the first EXAMPLES block of privsep.3 has no main()" >&2
	exit 1
}
san=
case ${SANITIZE:-none} in none | "") ;; *) san="-fsanitize=$SANITIZE" ;; esac
# shellcheck disable=SC2086
"$@" -std=c11 -pedantic -Wall -Wextra -Werror $san -I"$root/framework/include" \
	-o "$tmp/example" "$tmp/example.c" -L"$libdir" -lprivsep || {
	echo "man-example: privsep(3)'s example does not compile" >&2
	exit 1
}
rc=0
LD_LIBRARY_PATH=$libdir timeout 60 "$tmp/example" >"$tmp/out" 2>"$tmp/err" || rc=$?
if [ "$rc" != 0 ] || ! grep -qx '2 + 3 = 5' "$tmp/out" ||
	! grep -q 'refused by the helper: 3000000 is over 1000000' "$tmp/err"; then
	cat "$tmp/out" "$tmp/err" >&2
	echo "man-example: privsep(3)'s example exited $rc, or did not print what the page says" >&2
	exit 1
fi
echo "man-example: privsep(3)'s example compiles, runs and prints what the page says"
