#!/bin/sh
# SPDX-License-Identifier: ISC
# Record the ABI of the built library as the one the library must keep:
# tests/abi/SONAME.dump (the check, tests/abi-check.sh, compares every
# build with the dump of its SONAME).  The one command after a deliberate
# change of the ABI:
#
#   tools/abi-update.sh BUILD_DIR          a new SONAME (soversion raised
#                                          in framework/meson.build), or
#                                          additions only
#   tools/abi-update.sh BUILD_DIR --break  replace the dump of the same
#                                          SONAME by an incompatible one:
#                                          only for a version not yet
#                                          released
#
# Without --break it refuses a dump that breaks the recorded ABI of the
# same SONAME: raise soversion (and the project version) instead.  Other
# SONAMEs' dumps are removed: tests/abi/ holds the current one only.
# Commit tests/abi/ afterwards.
set -eu
build=${1:?usage: abi-update.sh BUILD_DIR [--break]}
force=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
lib=$build/framework/libprivsep.so
[ -e "$lib" ] || { echo "abi-update: no $lib (build first)" >&2; exit 2; }
soname=$(readelf -d "$lib" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
[ -n "$soname" ] || { echo "abi-update: $lib has no SONAME" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rc=0
sh "$root/tools/abi-dump.sh" "$lib" "$root" "$tmp/new.dump" || rc=$?
[ "$rc" = 0 ] || { echo "abi-update: no dump made" >&2; exit 2; }
dump=$root/tests/abi/$soname.dump
if [ -f "$dump" ]; then
	rc=0
	abi-compliance-checker -l privsep -old "$dump" -new "$tmp/new.dump" \
		-report-path "$tmp/report.html" >"$tmp/acc.log" 2>&1 || rc=$?
	if [ "$rc" != 0 ] && [ "$force" != --break ]; then
		cat "$tmp/acc.log" >&2
		echo "abi-update: this build breaks the ABI of $soname recorded in tests/abi/; raise soversion in framework/meson.build (and the project version), or give --break for a version not yet released" >&2
		exit 1
	fi
fi
mkdir -p "$root/tests/abi"
for old in "$root"/tests/abi/*.dump; do
	[ -e "$old" ] && [ "$old" != "$dump" ] && rm -f "$old"
done
cp "$tmp/new.dump" "$dump"
echo "abi-update: tests/abi/$soname.dump is the ABI of this build"
