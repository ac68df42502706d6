#!/bin/sh
# SPDX-License-Identifier: ISC
# Refill the generated blocks of docs/PROTOCOL.md from the code.
# Usage: tools/spec-regen.sh BUILD_DIR
set -eu
build=${1:-build}
doc=$(dirname "$0")/../docs/PROTOCOL.md
for s in constants header types violations; do
	"$build/tools/privsep-spec" "$s" >"$doc.$s"
	awk -v s="$s" -v f="$doc.$s" '
		$0 == "<!-- BEGIN GENERATED " s " -->" { print; while ((getline l < f) > 0) print l; skip = 1; next }
		$0 == "<!-- END GENERATED " s " -->" { skip = 0 }
		!skip { print }' "$doc" >"$doc.new"
	mv "$doc.new" "$doc"
	rm -f "$doc.$s"
done
"$build/tools/privsep-spec" --check "$doc"
