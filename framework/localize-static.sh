#!/bin/sh
# SPDX-License-Identifier: ISC
# The installed static library, made from the internal one: all objects
# partially linked into one (ld -r), so that the references between them
# are resolved inside it; then every hidden symbol (all but the public
# API, which include/privsep.h declares with default visibility) made
# local.  What remains global is the public API, and references to the
# libraries it uses (libc, libseccomp, libcap).
# Usage: localize-static.sh OUT.a INTERNAL.a LD OBJCOPY AR
set -eu
out=$1 in=$2 ld=$3 objcopy=$4 ar=$5
tmp=$out.tmp
rm -rf "$tmp" "$out"
mkdir "$tmp"
"$ld" -r --whole-archive "$in" -o "$tmp/privsep.o"
"$objcopy" --localize-hidden "$tmp/privsep.o"
"$ar" rcD "$out" "$tmp/privsep.o"
rm -rf "$tmp"
