#!/bin/sh
# SPDX-License-Identifier: ISC
# libprivsep as a dependency: installed and found by pkg-config, and as a
# meson subproject.  Usage: consumer.sh SOURCE_ROOT
set -eu
src=$(cd "$1" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. installed
meson setup "$tmp/lib" "$src" --prefix="$tmp/prefix" -Dtests=false -Ddefault_library=both >/dev/null
ninja -C "$tmp/lib" install >/dev/null
pc=$(find "$tmp/prefix" -name privsep.pc)
test -n "$pc"
test -f "$tmp/prefix/include/privsep.h"
ls "$tmp"/prefix/lib*/*/libprivsep.so.1* "$tmp"/prefix/lib*/libprivsep.so.1* 2>/dev/null | grep -q .
PKG_CONFIG_PATH=$(dirname "$pc") meson setup "$tmp/c1" "$src/tests/consumer" \
	--wrap-mode=nofallback >/dev/null
ninja -C "$tmp/c1" >/dev/null
LD_LIBRARY_PATH=$(dirname "$(dirname "$pc")") "$tmp/c1/consumer" | grep -q "consumer: ok"
# the installed library carries a soname
readelf -d "$(dirname "$(dirname "$pc")")/libprivsep.so" | grep -q 'SONAME.*libprivsep.so.1'
# the installed static library links a daemon too, with pkg-config --static
libdir=$(dirname "$(dirname "$pc")")
# shellcheck disable=SC2046
${CC:-cc} -o "$tmp/static-consumer" "$src/tests/consumer/consumer.c" \
	$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags privsep) "$libdir/libprivsep.a" \
	$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --static --libs privsep | sed 's/-lprivsep//')
"$tmp/static-consumer" | grep -q "consumer: ok"

# 2. as a subproject
mkdir -p "$tmp/c2/subprojects"
cp "$src/tests/consumer/meson.build" "$src/tests/consumer/consumer.c" "$tmp/c2/"
ln -s "$src" "$tmp/c2/subprojects/privsep"
meson setup "$tmp/c2/build" "$tmp/c2" --force-fallback-for=privsep -Dprivsep:tests=false >/dev/null
ninja -C "$tmp/c2/build" >/dev/null
"$tmp/c2/build/consumer" | grep -q "consumer: ok"
echo "consumer: installed and subproject builds both work"
