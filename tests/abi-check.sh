#!/bin/sh
# SPDX-License-Identifier: ISC
# The built shared library keeps the ABI recorded for its SONAME in
# tests/abi/SONAME.dump: abi-compliance-checker finds no binary or source
# compatibility problem (a removed function, a changed signature, a struct
# or enum changed).  Additions pass.  A deliberate change is recorded with
# tools/abi-update.sh (a new SONAME, or --break before a release).
#   abi-check.sh SOURCE_ROOT LIBRARY REPORT_DIR
# Exit 77 (skipped) without abi-dumper and abi-compliance-checker, or for
# a library built without debug information.
set -eu
root=$1 lib=$2 out=$3
command -v abi-compliance-checker >/dev/null || {
	echo "abi: abi-compliance-checker is not installed (Debian: abi-compliance-checker)" >&2
	exit 77
}
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "abi: $lib has no SONAME" >&2; exit 1; }
dump=$root/tests/abi/$soname.dump
if [ ! -f "$dump" ]; then
	echo "abi: no recorded ABI for $soname (tests/abi/ has: $(cd "$root/tests/abi" && ls)); after raising soversion on purpose, record it: tools/abi-update.sh BUILD_DIR" >&2
	exit 1
fi
mkdir -p "$out"
sh "$root/tools/abi-dump.sh" "$lib" "$root" "$out/built.dump" # 77 passes through set -e
rc=0
abi-compliance-checker -l privsep -old "$dump" -new "$out/built.dump" \
	-report-path "$out/report.html" >"$out/acc.log" 2>&1 || rc=$?
if [ "$rc" != 0 ]; then
	grep -i "compatibility" "$out/acc.log" >&2 || cat "$out/acc.log" >&2
	# each problem in one line, from the same comparison as XML
	abi-compliance-checker -l privsep -old "$dump" -new "$out/built.dump" \
		-report-path "$out/report.xml" -report-format xml >/dev/null 2>&1 || true
	awk '
	/<removed_symbols>/ { removed = 1 } /<\/removed_symbols>/ { removed = 0 }
	removed && /<name>/ { gsub(/.*<name>|<\/name>.*/, ""); print "abi: removed: " $0 }
	/<type name=/ { t = $0; sub(/.*<type name="/, "", t); sub(/".*/, "", t) }
	/<change/ {
		c = $0; tg = c; sub(/.*target="/, "", tg); sub(/".*/, "", tg)
		sub(/.*<change[^>]*>/, "", c); sub(/<\/change>.*/, "", c)
		if (match($0, /old_size="[^"]*"/)) { o = substr($0, RSTART + 10, RLENGTH - 11); gsub(/@old_size/, o " bits", c) }
		if (match($0, /new_size="[^"]*"/)) { o = substr($0, RSTART + 10, RLENGTH - 11); gsub(/@new_size/, o " bits", c) }
		gsub(/@target/, tg, c); print "abi: " t ": " c
	}' "$out/report.xml" | sort -u >&2
	echo "abi: $lib breaks the ABI recorded in tests/abi/$soname.dump (report: $out/report.html); if meant, raise soversion in framework/meson.build and run tools/abi-update.sh BUILD_DIR" >&2
	exit 1
fi
echo "abi: $soname keeps the ABI of tests/abi/$soname.dump"
