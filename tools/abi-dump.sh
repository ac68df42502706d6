#!/bin/sh
# SPDX-License-Identifier: ISC
# The ABI of a built libprivsep, as abi-dumper writes it: the exported
# functions (privsep.map) and the types of the public header.
#   abi-dump.sh LIBRARY SOURCE_ROOT OUT
# Exit 77 when abi-dumper is missing or the library has no debug
# information (a build without -g): nothing to compare then.
set -eu
lib=$1 root=$2 out=$3
command -v abi-dumper >/dev/null || {
	echo "abi: abi-dumper is not installed (Debian: abi-dumper)" >&2
	exit 77
}
readelf -S "$lib" | grep -q '\.debug_info' || {
	echo "abi: $lib has no debug information (build with -g: buildtype debug or debugoptimized)" >&2
	exit 77
}
version=$(sed -n "s/^  version : '\([0-9.]*\)',$/\1/p" "$root/meson.build")
abi-dumper "$lib" -o "$out" -lver "$version" -public-headers "$root/framework/include" \
	>"$out.log" 2>&1 || {
	cat "$out.log" >&2
	exit 1
}
rm -f "$out.log"
