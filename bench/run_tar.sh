#!/bin/sh
# SPDX-License-Identifier: ISC
# privsep-run's cost on a real program: tar -cf of a tree of 2,000 small
# files, under privsep-run and unsandboxed, alternating, ROUNDS times
# each; prints the medians and their ratio (bench/README.md).
# Then the floor no helper can go under (bench/notify_floor.c): the
# calls privsep-run brokers, counted in the unsandboxed run (strace, when
# installed), times the kernel's bare notification round trip, and
# privsep-run's start (`-- /bin/true`, median of ROUNDS).
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
floor=$(cd "$1" && pwd)/bench/notify-floor
command -v strace >/dev/null 2>&1 && [ -x "$floor" ] || exit 0
calls=open,openat,openat2,creat,stat,lstat,newfstatat,statx,access,faccessat,faccessat2,readlink,readlinkat
n=$(strace -f -c -e trace=$calls -o "$d/count" tar -cf "$d/out/count.tar" -C "$d/in" . &&
	awk '$NF == "total" { print $4 }' "$d/count")
: >"$d/start"
r=0
while [ $r -lt "$rounds" ]; do
	t=$(now)
	"$run" -- /bin/true 2>/dev/null
	echo $(($(now) - t)) >>"$d/start"
	r=$((r + 1))
done
st=$(med "$d/start")
"$floor" >"$d/floor" || exit 1
rt=$(awk '$1 == "bare_round_trip_sync_free" { print $2 }' "$d/floor")
fs=$(awk '$1 == "fstat_served_sync_free" { print $2 }' "$d/floor")
echo "floor: $n brokered calls x $rt ns (a bare notification round trip) = $((n * rt / 1000)) us, + privsep-run -- /bin/true $((st / 1000)) us = $(((n * rt + st) / 1000)) us, against $((p / 1000)) us for 2 x; an fstat as privsep-run answers it: $fs ns"
