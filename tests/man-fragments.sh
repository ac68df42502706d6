#!/bin/sh
# SPDX-License-Identifier: ISC
# Every block of EXAMPLES in the section 3 pages (docs/man/*.3) is checked
# against the built library, so that a page never shows code the header
# no longer accepts:
#   man-fragments.sh check SOURCE_ROOT BUILD_ROOT CC [CC ARGS...]
#   man-fragments.sh extract PAGE K     (block K of PAGE's EXAMPLES, troff
#                                        escapes undone, to stdout)
# Block K of PAGE.3 is checked by what tests/man-fragments/ holds for it:
#   PAGE.3.K.c       C around the block (its line "/* @EXAMPLE@ */" is
#                    the block): what the fragment takes as given (headers,
#                    the daemon's own functions and variables, the
#                    function it sits in).  Compiled with -std=c11
#                    -pedantic -Wall -Wextra -Werror, less the unused-
#                    variable warnings (a fragment elides what it does
#                    next).  With a PAGE.3.(K+1).output beside it, linked
#                    with libprivsep too and run: block K+1 is what it
#                    prints.
#   PAGE.3.K.output  block K is block K-1's output.  The file's first
#                    line is the start of that output on the machine the
#                    page describes ("Landlock ABI 7:"; empty: any
#                    machine); where the program prints something else
#                    there (another kernel), the block is not compared,
#                    and said so.  Its second line "one line": the page
#                    wraps one line of output, compared joined.
#   PAGE.3.K.policy  policy text around the block (its line "@EXAMPLE@"):
#                    `privsep-policy check` must accept it.
# A block with none of these, or a file for a block that is not there,
# fails the test.  privsep.3 is tests/man-example.sh's (a whole program,
# run, its output and its log line checked).
set -eu

extract() {
	awk -v want="$2" '/^\.SH EXAMPLES/ { on = 1; next } /^\.SH/ { on = 0 }
		on && /^\.EE/ { inex = 0; next }
		on && inex && k == want { print }
		on && /^\.EX/ { inex = 1; k++ }' "$1" |
		sed 's/\\-/-/g; s/\\e/\\/g; s/^\\&//; s/\\(aq/'"'"'/g; s/\\(dq/"/g'
}

nblocks() {
	awk '/^\.SH EXAMPLES/ { on = 1; next } /^\.SH/ { on = 0 }
		on && /^\.EX/ { k++ } END { print k + 0 }' "$1"
}

# context FILE BLOCKFILE: FILE with its one line that holds "@EXAMPLE@"
# (alone, or as a C comment) replaced by the block, to stdout
context() {
	[ "$(grep -c '@EXAMPLE@' "$1")" = 1 ] || {
		echo "man-fragments: $1 has not one line with @EXAMPLE@" >&2
		return 1
	}
	awk -v blk="$2" '/@EXAMPLE@/ {
		while ((getline l < blk) > 0) print l; next } { print }' "$1"
}

if [ "${1:-}" = extract ]; then
	extract "$2" "$3"
	exit 0
fi
[ "${1:-}" = check ] || {
	echo "usage: man-fragments.sh check SOURCE_ROOT BUILD_ROOT CC [ARGS...] | extract PAGE K" >&2
	exit 2
}
root=$2 build=$3
shift 3
dir=$root/tests/man-fragments
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
san=
case ${SANITIZE:-none} in none | "") ;; *) san="-fsanitize=$SANITIZE" ;; esac
cflags="-std=c11 -pedantic -Wall -Wextra -Werror -Wno-unused-variable
	-Wno-unused-but-set-variable -Wno-unused-function -Wno-unused-const-variable"
fail=0 checked=0 cs=0 ran=0 policies=0 outputs=0 notcompared=0

for page in "$root"/docs/man/*.3; do
	name=$(basename "$page")
	[ "$name" = privsep.3 ] && continue
	n=$(nblocks "$page")
	k=1
	while [ "$k" -le "$n" ]; do
		base=$dir/$name.$k
		extract "$page" "$k" >"$tmp/block"
		if [ -f "$base.c" ]; then
			rm -f "$tmp/out"
			context "$base.c" "$tmp/block" >"$tmp/x.c" || { fail=1; k=$((k + 1)); continue; }
			next=$dir/$name.$((k + 1)).output
			if [ -f "$next" ]; then
				# shellcheck disable=SC2086
				if ! "$@" $cflags $san -I"$root/framework/include" -o "$tmp/x" "$tmp/x.c" \
					-L"$build/framework" -lprivsep 2>"$tmp/err"; then
					cat "$tmp/err" >&2
					echo "man-fragments: $name, block $k: does not compile and link (context $base.c)" >&2
					fail=1
				elif ! LD_LIBRARY_PATH=$build/framework timeout 60 "$tmp/x" >"$tmp/out" 2>"$tmp/err"; then
					cat "$tmp/err" >&2
					echo "man-fragments: $name, block $k: its program failed" >&2
					fail=1
				else
					ran=$((ran + 1))
				fi
			else
				# shellcheck disable=SC2086
				if ! "$@" $cflags -I"$root/framework/include" -c -o "$tmp/x.o" "$tmp/x.c" 2>"$tmp/err"; then
					cat "$tmp/err" >&2
					echo "man-fragments: $name, block $k: does not compile (context $base.c)" >&2
					fail=1
				fi
			fi
			cs=$((cs + 1))
			checked=$((checked + 1))
		elif [ -f "$base.output" ]; then
			prefix=$(head -n 1 "$base.output")
			if [ ! -f "$tmp/out" ]; then
				echo "man-fragments: $name, block $k: an output, but block $((k - 1)) was not run" >&2
				fail=1
			elif [ -n "$prefix" ] && ! head -n 1 "$tmp/out" | grep -qF -- "$prefix"; then
				echo "man-fragments: $name, block $k: not compared: the program printed \"$(head -n 1 "$tmp/out")\" here, the page shows the output on a machine where it starts \"$prefix\""
				notcompared=$((notcompared + 1))
			elif [ "$(sed -n 2p "$base.output")" = "one line" ] &&
				awk 'NR > 1 { printf " " } { printf "%s", $0 } END { print "" }' "$tmp/block" >"$tmp/joined" &&
				! cmp -s "$tmp/joined" "$tmp/out"; then
				diff -u "$tmp/joined" "$tmp/out" >&2 || true
				echo "man-fragments: $name, block $k: the page's output (one line, wrapped on the page) differs from what block $((k - 1)) prints (above: - the page, + the program)" >&2
				fail=1
			elif [ "$(sed -n 2p "$base.output")" != "one line" ] && ! cmp -s "$tmp/block" "$tmp/out"; then
				diff -u "$tmp/block" "$tmp/out" >&2 || true
				echo "man-fragments: $name, block $k: the page's output differs from what block $((k - 1)) prints (above: - the page, + the program)" >&2
				fail=1
			else
				outputs=$((outputs + 1))
			fi
			checked=$((checked + 1))
		elif [ -f "$base.policy" ]; then
			context "$base.policy" "$tmp/block" >"$tmp/x.policy" || { fail=1; k=$((k + 1)); continue; }
			if ! "$build/tools/privsep-policy" check "$tmp/x.policy" >"$tmp/err" 2>&1; then
				cat "$tmp/err" >&2
				echo "man-fragments: $name, block $k: privsep-policy check refuses it (context $base.policy)" >&2
				fail=1
			fi
			policies=$((policies + 1))
			checked=$((checked + 1))
		else
			echo "man-fragments: $name, block $k: no $base.c, .output or .policy says how to check it" >&2
			fail=1
		fi
		[ -f "$base.c" ] || rm -f "$tmp/out"
		k=$((k + 1))
	done
done
# a context for a block that is gone
for f in "$dir"/*; do
	b=$(basename "$f")
	page=${b%.*}
	k=${page##*.}
	page=${page%.*}
	if [ ! -f "$root/docs/man/$page" ] || [ "$k" -gt "$(nblocks "$root/docs/man/$page")" ]; then
		echo "man-fragments: $b: $page has no block $k of EXAMPLES" >&2
		fail=1
	fi
done
echo "man-fragments: $checked blocks of EXAMPLES looked at: $cs of C ($ran of them linked and run), $outputs outputs the same as their program's, $policies policies, $notcompared outputs not compared on this machine"
exit "$fail"
