#!/bin/sh
# SPDX-License-Identifier: ISC
# The README's "Build your own daemon" program must be the file the tests
# build and run.
set -eu
readme=$1 src=$2
sed -n '/^<!-- BEGIN examples\/minimal\/minimal.c -->$/,/^<!-- END examples\/minimal\/minimal.c -->$/p' "$readme" |
	sed '1,2d;$d' | sed '$d' >"${TMPDIR:-/tmp}/readme-minimal.$$"
if ! cmp -s "${TMPDIR:-/tmp}/readme-minimal.$$" "$src"; then
	diff -u "$src" "${TMPDIR:-/tmp}/readme-minimal.$$" || true
	rm -f "${TMPDIR:-/tmp}/readme-minimal.$$"
	echo "README.md's copy of $src differs from the file" >&2
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/readme-minimal.$$"
