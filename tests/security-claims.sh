#!/bin/sh
# SPDX-License-Identifier: ISC
# Every test SECURITY.md names for a guarantee exists: the identifiers in
# the "test" column of its "| guarantee | test |" tables (a * stands for
# any part of a name) are searched for in tests/.  A claim whose test was
# renamed or removed fails here.
set -eu
root=$1
names=$(awk -F'|' '/^\| guarantee \| test/ { t = 1; next } /^$/ { t = 0 }
	t && /^\|/ { print $(NF - 1) }' "$root/SECURITY.md" |
	grep -o '`[^`]*`' | tr -d '`' | tr ',' '\n' | sed 's/^ *//; s/.*: //; s/ (.*//' |
	grep -E '^[a-z0-9_*]+$' | grep _ | sort -u)
n=0
missing=0
for name in $names; do
	n=$((n + 1))
	re=$(printf '%s' "$name" | sed 's/\*/[a-z0-9_]*/g')
	if ! grep -rqE "\\b$re\\b" "$root/tests"; then
		echo "security-claims: SECURITY.md names $name, which no test in tests/ defines" >&2
		missing=$((missing + 1))
	fi
done
[ "$n" -gt 50 ] || { echo "security-claims: only $n test names found in SECURITY.md" >&2; exit 1; }
[ "$missing" -eq 0 ] || exit 1
echo "security-claims: $n tests named in SECURITY.md, all present"
