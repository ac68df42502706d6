#!/bin/sh
# SPDX-License-Identifier: ISC
# The build's hardening is on: PIE, full RELRO (-z relro -z now), a
# non-executable stack, stack protector and _FORTIFY_SOURCE in the code.
# Usage: hardening.sh BINARY LIBRARY
set -eu
fail() { echo "hardening: $*" >&2; exit 1; }
for f in "$@"; do
	readelf -h "$f" | grep -q 'Type:.*DYN' || fail "$f is not position-independent"
	readelf -l "$f" | grep -q GNU_RELRO || fail "$f has no RELRO segment"
	readelf -d "$f" | grep -Eq 'BIND_NOW|FLAGS_1.*NOW' || fail "$f is not linked -z now"
	readelf -lW "$f" | grep GNU_STACK | grep -q 'RWE' && fail "$f has an executable stack"
done
# the protected build uses the checked libc functions and the canary
readelf -sW "$2" | grep -q '__stack_chk_fail' || fail "$2: no stack protector"
if [ "${CHECK_FORTIFY:-1}" = 1 ]; then
	readelf -sW "$2" | grep -Eq '__[a-z]+_chk@' || fail "$2: no _FORTIFY_SOURCE checks"
fi
echo "hardening: ok"
