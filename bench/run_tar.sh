#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run's cost on a real program: tar -cf of a tree of 2,000 small
# files, under privsep-run and unsandboxed, alternating, ROUNDS times
# each; prints the medians and their ratio (bench/README.md).
# Usage: bench/run_tar.sh BUILD_DIR [ROUNDS]
set -eu
run=$(cd "$1" && pwd)/tools/privsep-run
rounds=${2:-9}
d=$(mktemp -d /tmp/privsep-run-tar.XXXXXX)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d/in" "$d/out"
i=0
while [ $i -lt 2000 ]; do
	sub=$d/in/d$((i / 100))
	[ -d "$sub" ] || mkdir "$sub"
	printf 'file %d\n' $i >"$sub/f$i"
	i=$((i + 1))
done
now() { date +%s%N; }
: >"$d/plain"
: >"$d/run"
r=0
while [ $r -lt "$rounds" ]; do
	t=$(now)
	tar -cf "$d/out/plain.tar" -C "$d/in" .
	echo $(($(now) - t)) >>"$d/plain"
	t=$(now)
	"$run" --allow-read-beneath "$d/in" --allow-write-beneath "$d/out" -- \
		tar -cf "$d/out/run.tar" -C "$d/in" . 2>/dev/null
	echo $(($(now) - t)) >>"$d/run"
	r=$((r + 1))
done
cmp -s "$d/out/plain.tar" "$d/out/run.tar" || tar -tf "$d/out/run.tar" >/dev/null ||
	{ echo "run_tar: the archive under privsep-run is not readable" >&2; exit 1; }
med() { sort -n "$1" | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
p=$(med "$d/plain")
s=$(med "$d/run")
echo "tar -cf of 2000 files: unsandboxed median $((p / 1000)) us, under privsep-run $((s / 1000)) us, ratio $(awk "BEGIN { printf \"%.2f\", $s / $p }") ($rounds rounds)"
