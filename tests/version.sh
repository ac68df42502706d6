#!/bin/sh
# SPDX-License-Identifier: ISC
# The version is one number: meson.build's project version, privsep.h's
# PRIVSEP_VERSION_* macros, privsep_version() (through the tools) and
# what every tool prints for --version.
#   version.sh SOURCE_ROOT PRIVSEP_POLICY FILEOPENER HTTPD
set -eu
root=$1
shift
fail() {
	echo "version: $*" >&2
	exit 1
}
want=$(sed -n "s/^  version : '\([0-9.]*\)',$/\1/p" "$root/meson.build")
[ -n "$want" ] || fail "no project version in meson.build"
h=$root/framework/include/privsep.h
major=$(sed -n 's/^#define PRIVSEP_VERSION_MAJOR \([0-9]*\)$/\1/p' "$h")
minor=$(sed -n 's/^#define PRIVSEP_VERSION_MINOR \([0-9]*\)$/\1/p' "$h")
patch=$(sed -n 's/^#define PRIVSEP_VERSION_PATCH \([0-9]*\)$/\1/p' "$h")
[ "$major.$minor.$patch" = "$want" ] ||
	fail "privsep.h says $major.$minor.$patch, meson.build $want"
for tool in "$@"; do
	name=$(basename "$tool")
	out=$("$tool" --version) || fail "$name --version: exit $?"
	[ "$out" = "$name (privsep) $want" ] || fail "$name --version printed \"$out\""
	"$tool" --help | grep -q -- "--version" || fail "$name --help does not name --version"
done
echo "version: $want everywhere"
