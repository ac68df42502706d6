#!/bin/sh
# SPDX-License-Identifier: ISC
# The man pages' example transcripts are the built tools' own output.
# In an .EX/.EE block, a line "$ privsep\-policy ..." is a command: it is
# run (with the built privsep-policy first in PATH, in a scratch
# directory) and the lines after it, up to the next "$ " line or .EE, are
# replaced by what it prints.  A block right after the comment line
# '.\" file: NAME' is written to NAME in that directory first, so a
# transcript can run the tool on an example the page shows.  Other blocks
# and other commands are left as they are.
# Usage: tools/man-examples.sh BUILD_DIR          refill the pages
#        tools/man-examples.sh BUILD_DIR --check  exit 1 if a page differs
# The counts are those of x86_64 and of a build without sanitizers (an
# ASan build's filters allow sched_getaffinity for its runtime): with
# --check, elsewhere, or with SANITIZE set to anything but "none" (meson
# passes b_sanitize), it exits 77 (skipped).
set -eu
build=$(cd "${1:?usage: man-examples.sh BUILD_DIR [--check]}" && pwd)
mode=${2:-write}
here=$(cd "$(dirname "$0")/.." && pwd)
pages="$here/docs/man/privsep-policy.1 $here/docs/man/privsep.policy.5"
if [ "$mode" = --check ] && [ "$(uname -m)" != x86_64 ]; then
	echo "man-examples: the pages' counts are x86_64's; not checked on $(uname -m)"
	exit 77
fi
if [ "${SANITIZE:-none}" != none ]; then
	echo "man-examples: the pages' counts are those of a build without sanitizers; this one has ${SANITIZE}"
	[ "$mode" = --check ] && exit 77
	exit 2
fi
[ -x "$build/tools/privsep-policy" ] || { echo "man-examples: no $build/tools/privsep-policy" >&2; exit 2; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for page in $pages; do
	out=$scratch/$(basename "$page").new
	PATH="$build/tools:$PATH" awk -v dir="$scratch/run" '
	function untroff(s) {
		gsub(/\\-/, "-", s); gsub(/\\\(aq/, "\047", s); gsub(/\\&/, "", s); gsub(/\\e/, "\\", s)
		return s
	}
	function troff(s) {
		gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s); gsub(/\047/, "\\(aq", s)
		if (s ~ /^[.\047]/) s = "\\&" s
		return s
	}
	function sq(s) { gsub(/\047/, "\047\\\047\047", s); return "\047" s "\047" }
	BEGIN { system("mkdir -p " sq(dir)) }
	/^\.\\" file: / { file = $3; print; next }
	/^\.EX$/ { inex = 1; skipping = 0; print; next }
	/^\.EE$/ { if (file != "") close(dir "/" file); inex = 0; skipping = 0; file = ""; print; next }
	inex && file != "" { print; print untroff($0) > (dir "/" file); next }
	inex && /^\$ privsep\\-policy / {
		print
		skipping = 1
		cmd = "cd " sq(dir) " && " substr(untroff($0), 3)
		while ((cmd | getline line) > 0) print troff(line)
		close(cmd)
		next
	}
	inex && /^\$ / { skipping = 0; print; next }
	skipping { next }
	{ print }
	' "$page" >"$out"
	if [ "$mode" = --check ]; then
		if ! cmp -s "$page" "$out"; then
			echo "man-examples: $(basename "$page"): its examples are not what the tools print:" >&2
			diff -u "$page" "$out" >&2 || true
			echo "man-examples: refill them with: tools/man-examples.sh BUILD_DIR" >&2
			status=1
		fi
	else
		cmp -s "$page" "$out" || cp "$out" "$page"
	fi
done
[ "$status" = 0 ] && echo "man-examples: every example in the pages is what the tools print"
exit "$status"
