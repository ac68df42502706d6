#!/bin/sh
# SPDX-License-Identifier: ISC
# Every example source, and privsep.h alone, compiles as ISO C11 with
# -pedantic and the feature macro the file itself defines and names in its
# top comment: nothing from the build's command line (which has
# -D_GNU_SOURCE for the framework).
#   examples-c11.sh SOURCE_ROOT CC [CC ARGS...]
set -eu
root=$1
shift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
flags="-std=c11 -pedantic -Wall -Wextra -Werror -c -o $tmp/o.o -I$root/framework/include"
# -Wno-format-truncation as in the build (gcc): a status line cut short is meant
echo 'int x;' >"$tmp/probe.c"
if "$@" -Wno-format-truncation -Werror -c -o "$tmp/o.o" "$tmp/probe.c" 2>/dev/null; then
	flags="$flags -Wno-format-truncation"
fi
status=0
n=0
echo '#include <privsep.h>' >"$tmp/header.c"
# shellcheck disable=SC2086
if ! "$@" $flags "$tmp/header.c"; then
	echo "examples-c11: privsep.h alone does not compile as C11 -pedantic" >&2
	status=1
fi
for f in "$root"/examples/*/*.c; do
	n=$((n + 1))
	macro=$(sed -n 's/^#define \(_[A-Z_]*_SOURCE\) .*/\1/p' "$f" | head -n 1)
	if [ -n "$macro" ]; then
		# the top comment (up to the first " */") names the macro it defines
		awk '/^ \*\/$/ { exit } { print }' "$f" | grep -q "$macro" || {
			echo "examples-c11: ${f#"$root"/}: defines $macro but its top comment does not say so" >&2
			status=1
		}
	fi
	# shellcheck disable=SC2086
	if ! "$@" $flags -I"$(dirname "$f")" "$f"; then
		echo "examples-c11: ${f#"$root"/} does not compile with -std=c11 -pedantic${macro:+ and its $macro}" >&2
		status=1
	fi
done
[ "$status" = 0 ] && echo "examples-c11: privsep.h and $n example sources compile as C11 -pedantic"
exit $status
