#!/bin/sh
# SPDX-License-Identifier: ISC
# Static analysis with the project's committed configuration: cppcheck over
# the framework, the tools and the examples; any finding fails.  Inline
# suppressions (// cppcheck-suppress ...) carry their reason beside them.
# Usage: static-analysis.sh SOURCE_ROOT
set -eu
cd "$1"
command -v cppcheck >/dev/null || { echo "static-analysis: cppcheck is not installed" >&2; exit 1; }
exec cppcheck --quiet --error-exitcode=1 --inline-suppr \
	--enable=warning,portability,performance --std=c11 \
	-D_GNU_SOURCE -D__linux__ -D__x86_64__ \
	-I framework/include -I framework/proto -I framework/policy -I framework/sandbox \
	-I framework/helper -I framework/client -I framework/services -I framework \
	framework tools examples
