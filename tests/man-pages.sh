#!/bin/sh
# SPDX-License-Identifier: ISC
# The manual (docs/man).
#   man-pages.sh render SOURCE_ROOT GCC
#     every page (docs/man, and the examples') renders with `MANWIDTH=80 man --warnings -l` without a
#     warning; every section 3 page has NAME, SYNOPSIS, DESCRIPTION,
#     RETURN VALUES, ERRORS, EXAMPLES and SEE ALSO and the project's
#     version; each function its NAME lists is in its SYNOPSIS, whose
#     prototypes compile against privsep.h (a signature the header does
#     not have is a conflicting declaration); every
#     function the installed header declares (as gcc -aux-info reads it)
#     is in the NAME of some page, and no page names a function the
#     header does not declare; a privsep_*(3) page a page refers to
#     exists.
#   man-pages.sh install SOURCE_ROOT BUILD_DIR
#     `meson install --destdir` installs each section 3 page and, for
#     every function of its NAME, a link that man renders.
# Exit 77 without man(1).
set -eu
mode=$1 root=$2
man=$root/docs/man
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() {
	echo "man-pages: $*" >&2
	status=1
}
command -v man >/dev/null || {
	echo "man-pages: man(1) is not installed (Debian: man-db, groff-base)" >&2
	exit 77
}

# a page's SYNOPSIS as C: the arguments of .B and .I joined with spaces,
# of .BI, .BR, ... without (as troff joins them); other requests dropped
synopsis_c() {
	awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH/ { on = 0 } !on { next }
	/^\.(B|BI|BR|I|IR|RB|RI) / {
		line = $0; mac = $1; sub(/^\.[A-Z]+ /, "", line)
		sep = (mac == ".B" || mac == ".I") ? " " : ""
		out = ""; i = 1; n = length(line)
		while (i <= n) {
			c = substr(line, i, 1)
			if (c == " ") { i++; continue }
			if (out != "") out = out sep
			if (c == "\"") {
				j = index(substr(line, i + 1), "\"")
				out = out substr(line, i + 1, j - 1); i += j + 1
			} else {
				j = index(substr(line, i), " "); if (!j) j = n - i + 2
				out = out substr(line, i, j - 1); i += j
			}
		}
		gsub(/\\-/, "-", out); gsub(/\\e/, "\\", out); print out; next
	}
	/^\./ { next } { print }' "$1"
}

# the functions a page's NAME section lists, one a line
names() {
	awk '/^\.SH NAME/ { on = 1; next } /^\.SH/ { on = 0 } on' "$1" | tr '\n' ' ' |
		sed 's/\\-.*//' | tr ',' '\n' | sed 's/^ *//; s/ *$//' | grep -v '^$' |
		grep -v '^privsep$' || true
}

case $mode in
render)
	gcc=$3
	version=$(sed -n "s/^  version : '\([0-9.]*\)',$/\1/p" "$root/meson.build")
	for page in "$man"/*.[1-8] "$root"/examples/*/*.[1-8]; do
		p=$(basename "$page")
		MANWIDTH=80 man --warnings -l "$page" >"$tmp/out" 2>"$tmp/err" ||
			fail "$p: man exits $?"
		[ ! -s "$tmp/err" ] || fail "$p: $(head -n 3 "$tmp/err")"
		[ -s "$tmp/out" ] || fail "$p renders nothing"
	done
	for page in "$man"/*.3; do
		p=$(basename "$page")
		for s in NAME SYNOPSIS DESCRIPTION "RETURN VALUES" ERRORS EXAMPLES "SEE ALSO"; do
			grep -q "^\.SH $s\$" "$page" || fail "$p: no $s section"
		done
		grep -q "^\.TH [^ ]* 3 [0-9-]* \"privsep $version\" " "$page" ||
			fail "$p: its .TH line does not say privsep $version"
		awk '/^\.SH SYNOPSIS/ { on = 1; next } /^\.SH/ { on = 0 } on' "$page" |
			sed 's/[\\"]//g; s/fB//g; s/fI//g; s/fR//g' | tr -d ' ' >"$tmp/synopsis"
		for f in $(names "$page"); do
			grep -q "[*a-z ]$f(" "$tmp/synopsis" || grep -q "^$f(\|[^a-z_]$f(" "$tmp/synopsis" ||
				fail "$p: $f is in NAME, not in SYNOPSIS"
			echo "$f $p" >>"$tmp/documented"
		done
		# its prototypes (statements naming a privsep_ function), compiled
		# with the header: a conflicting one is an error
		{
			printf '#include <fcntl.h>\n#include <sys/stat.h>\n#include <privsep.h>\n'
			synopsis_c "$page" | grep -v '^#\|^cc ' | tr '\n' ' ' | tr ';' '\n' |
				grep 'privsep_[a-z0-9_]* *(' | grep -v '[{}]\|typedef' | sed 's/$/;/'
		} >"$tmp/synopsis.c"
		"$gcc" -std=c11 -fsyntax-only -Werror -I"$root/framework/include" "$tmp/synopsis.c" \
			2>"$tmp/cc" || fail "$p: its SYNOPSIS is not what privsep.h declares: $(grep error "$tmp/cc" | head -n 3)"
	done
	sort "$tmp/documented" | awk '{ print $1 }' >"$tmp/doc"
	dups=$(uniq -d "$tmp/doc")
	[ -z "$dups" ] || fail "documented on two pages: $dups"
	sort -u "$tmp/doc" -o "$tmp/doc"
	# the header's functions, as the compiler reads it
	echo '#include <privsep.h>' >"$tmp/h.c"
	"$gcc" -aux-info "$tmp/aux" -fsyntax-only -I"$root/framework/include" "$tmp/h.c"
	grep '/privsep\.h:' "$tmp/aux" | sed 's/(.*//; s/ *$//; s/.*[ *]//' |
		sort -u >"$tmp/header"
	[ -s "$tmp/header" ] || fail "no function found in privsep.h"
	for f in $(comm -23 "$tmp/header" "$tmp/doc"); do
		fail "$f (privsep.h) is on no page's NAME"
	done
	for f in $(comm -13 "$tmp/header" "$tmp/doc"); do
		fail "$f is documented but privsep.h declares no such function"
	done
	# references to privsep pages: a page, or a function with a link
	for page in "$man"/*.[1-8]; do
		grep -o '^\.BR privsep[a-z_.\\-]* ([0-9])' "$page" | sed 's/^\.BR //; s/\\//g' |
			while read -r ref sec; do
				sec=$(echo "$sec" | tr -d '()')
				[ -f "$man/$ref.$sec" ] || grep -qx "$ref" "$tmp/doc" ||
					echo "$(basename "$page"): refers to $ref($sec), which is no page"
			done
	done >"$tmp/refs"
	[ ! -s "$tmp/refs" ] || fail "$(cat "$tmp/refs")"
	[ "$status" = 0 ] &&
		echo "man-pages: $(ls "$man"/*.[1-8] "$root"/examples/*/*.[1-8] | wc -l) pages render without warnings; $(wc -l <"$tmp/doc") functions of privsep.h, each documented"
	;;
install)
	build=$3
	meson install -C "$build" --no-rebuild --destdir "$tmp/dest" >"$tmp/install.log" 2>&1 || {
		cat "$tmp/install.log" >&2
		fail "meson install failed"
		exit 1
	}
	m3=$(find "$tmp/dest" -type d -path '*/man/man3' | head -n 1)
	[ -n "$m3" ] || { fail "no man3 directory installed"; exit 1; }
	n=0
	for page in "$man"/*.3; do
		p=$(basename "$page")
		[ -f "$m3/$p" ] && [ ! -L "$m3/$p" ] || fail "$p is not installed"
		for f in $(names "$page"); do
			n=$((n + 1))
			[ "$f.3" = "$p" ] && continue
			[ -L "$m3/$f.3" ] || { fail "$f.3 is not installed as a link"; continue; }
			[ "$(readlink "$m3/$f.3")" = "$p" ] || fail "$f.3 points to $(readlink "$m3/$f.3"), not $p"
			MANWIDTH=80 man --warnings -l "$m3/$f.3" 2>"$tmp/err" | grep -q "^NAME" ||
				fail "$f.3 does not render"
			[ ! -s "$tmp/err" ] || fail "$f.3: $(head -n 1 "$tmp/err")"
		done
	done
	[ "$status" = 0 ] && echo "man-pages: $(ls "$man"/*.3 | wc -l) pages and a link for each of $n functions installed"
	;;
*)
	echo "usage: man-pages.sh render|install SOURCE_ROOT ..." >&2
	exit 2
	;;
esac
exit $status
