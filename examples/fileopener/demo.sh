#!/bin/sh
# SPDX-License-Identifier: ISC
# The file-opener, shown: a few reads the rules allow, a few they refuse,
# each explained.  Usage: demo.sh FILEOPENER
set -u
fo=$1
d=$(mktemp -d /tmp/privsep-demo.XXXXXX)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/www/docs"
echo "hello from a file the worker could not open itself" >"$d/www/index.txt"
echo "a document beneath the root" >"$d/www/docs/guide.txt"
echo "a secret next to the root, not in it" >"$d/secret.txt"
ln -s ../secret.txt "$d/www/escape"
mkfifo "$d/www/pipe"

# The helper also logs one line per refusal (privsep: ...); the demo shows
# what the user of fileopener sees.
run() {
	printf '\n$ fileopener %s\n' "$(echo "$*" | sed "s|$d|\$D|g")"
	"$fo" "$@" >"$d/out" 2>&1
	status=$?
	grep -v '^privsep: ' "$d/out" | sed "s|$d|\$D|g"
	printf '  (exit status %s)\n' "$status"
}

echo "D=$d: www/index.txt, www/docs/guide.txt, secret.txt beside www,"
echo "www/escape -> ../secret.txt, www/pipe a FIFO"
echo

echo "== the worker's sandbox, as it sees itself"
run --print-sandbox

echo
echo "== allowed: one exact path, and everything beneath a root"
run --allow-read "$d/www/index.txt" --allow-read-beneath "$d/www/docs" \
	"$d/www/index.txt" "$d/www/docs/guide.txt"

echo
echo "== refused, each with its reason and the rule (or that none allows it)"
run --allow-read-beneath "$d/www" \
	/etc/shadow "$d/secret.txt" "$d/www/../secret.txt" "$d/www/escape" "$d/www/pipe" relative.txt
