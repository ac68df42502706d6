#!/bin/sh
# SPDX-License-Identifier: ISC
# README.md's "Status" table and "Layout" list, checked against the tree.
# Usage: readme-status.sh SOURCE_ROOT PRIVSEP_POLICY
#  - every path a row names in its "in the tree" column exists, unless the
#    row's state is "planned" (then none of them may exist yet: a planned
#    part that is there is a stale row);
#  - a state is done, measured, partial or planned, and says neither
#    "not yet" nor "not started" unless it is planned;
#  - every examples/*/ directory and every command privsep-policy's usage
#    lists is in a row whose state is done;
#  - every path the Layout list names exists.
set -u
root=$1 tool=$2
readme=$root/README.md
fail() { echo "readme-status: $*" >&2; exit 1; }
[ -f "$readme" ] || fail "no $readme"

table=$(awk '/^## Status$/ { on = 1; next } /^## / { on = 0 } on && /^\| / && !/^\|---/' "$readme" | sed 1d)
[ -n "$table" ] || fail "README.md has no Status table"
done_rows=""
echo "$table" | {
	n=0
	while IFS= read -r row; do
		n=$((n + 1))
		part=$(echo "$row" | cut -d'|' -f2)
		state=$(echo "$row" | cut -d'|' -f3 | sed 's/^ *//; s/ *$//')
		where=$(echo "$row" | cut -d'|' -f4)
		kind=${state%%[;, ]*}
		case $kind in
		done | measured | partial | planned) ;;
		*) fail "row $n: state \"$state\" is not done, measured, partial or planned" ;;
		esac
		if [ "$kind" != planned ]; then
			case $state in
			*"not yet"* | *"not started"*) fail "row $n: \"$state\" but the state is $kind" ;;
			esac
		fi
		paths=$(echo "$where" | grep -o '`[^`]*`' | tr -d '`')
		[ -n "$paths" ] || fail "row $n ($part): names nothing in the tree"
		for p in $paths; do
			if [ "$kind" = planned ]; then
				[ -e "$root/$p" ] && fail "row $n ($part) is planned, but $p exists"
			else
				[ -e "$root/$p" ] || fail "row $n ($part) is $kind, but $p does not exist"
			fi
		done
	done
} || exit 1

done_text=$(echo "$table" | awk -F'|' '{ s = $3; sub(/^ */, "", s) } s ~ /^done/ { print $2, $4 }')
for d in "$root"/examples/*/; do
	d=examples/$(basename "$d")/
	echo "$done_text" | grep -qF "\`$d\`" || fail "$d is in the tree but in no done row of the Status table"
done
cmds=$("$tool" --help 2>&1 | sed -n 's/^\(usage:\)\{0,1\} *privsep-policy \([a-z][a-z-]*\).*/\2/p')
[ -n "$cmds" ] || fail "no command in the usage of $tool"
policy_row=$(echo "$done_text" | grep -F '`privsep-policy`')
[ -n "$policy_row" ] || fail "no done row names \`privsep-policy\`"
for c in $cmds; do
	echo "$policy_row" | grep -qw -- "$c" || fail "privsep-policy $c exists but the Status table does not say so"
done

layout=$(awk '/^## Layout$/ { on = 1; next } /^## / { on = 0 } on && /^    [a-z]/ { print $1 }' "$readme")
[ -n "$layout" ] || fail "README.md has no Layout list"
for p in $layout; do
	# shellcheck disable=SC2086 # a glob such as framework/policy_*.c
	set -- $root/$p
	[ -e "$1" ] || fail "Layout names $p, which is not in the tree"
done
echo "readme-status: the Status table and the Layout list match the tree"
