#!/bin/sh
# SPDX-License-Identifier: ISC
#
# check.sh - the protocol's model, checked by spin (docs/PROTOCOL.md,
# "Checked properties").
#
#   check.sh MODEL_DIR            check the model, then every mutant
#   check.sh MODEL_DIR --update   the same, and rewrite MODEL_DIR/traces
#
# 1. The model (privsep.pml) in three configurations, each an exhaustive
#    search: spin must report no error, and every state must have been
#    explored (no "Search not completed", no memory limit hit).
# 2. Each mutant (a MUT_* macro of privsep.pml: one broken rule) must make
#    spin report an error, and the one its property names: a property that
#    cannot fail is itself a failure.
# 3. Each mutant's counterexample, as the records its workers sent (the
#    model's "@@" lines), must be what MODEL_DIR/traces/MUTANT.trace holds:
#    test_model_replay replays those files against the real helper.
#
# Exit 77 (skipped) when spin or cc is missing.
set -u
if [ "${1:-}" = --one ]; then
	# one run, in $work (exported by the main script)
	dir=$2
	one=1
else
	dir=$1
	one=0
	update=${2:-}
fi
command -v spin >/dev/null 2>&1 || { echo "spin is not installed (apt-get install spin): skipped"; exit 77; }
command -v cc >/dev/null 2>&1 || { echo "no cc to build spin's verifier: skipped"; exit 77; }

if [ "$one" = 0 ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
fail=0

# name, spin -D flags, what spin must report ("ok", or the failed claim);
# the longest first
[ "$one" = 1 ] || cat >"$work/runs" <<'EOF'
worker-dies -DHDIE=0|ok
helper-dies -DWDIE=0|ok
live -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3|ok
reply-bounded-by-queue-max -DMUT_REPLY_BOUNDED -DWDIE=0 -DHDIE=0|invalid end state
stop-reading-while-anything-queued -DMUT_STOP_READING_WHILE_QUEUED -DWDIE=0 -DHDIE=0|invalid end state
permit-drop-ignored -DMUT_DROP_IGNORED -DWDIE=0 -DHDIE=0|assertion violated s7_dropped_permit_never_comes_back
once-lost-only-on-success -DMUT_ONCE_ON_SUCCESS -DWDIE=0 -DHDIE=0|assertion violated s7_once_type_served_at_most_once
violation-kills-the-other-worker -DMUT_KILL_WRONG_WORKER -DWDIE=0 -DHDIE=0|assertion violated s8_violation_ends_the_offender_only
reply-sent-on-a-full-socket -DMUT_BLOCKING_REPLY -DWDIE=0 -DHDIE=0|assertion violated s9_helper_never_blocks
event-overtakes-the-queue -DMUT_EVENT_OVERTAKES -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3|assertion violated s9_events_in_order
queued-reply-shares-the-tx-buffer -DMUT_SHARED_TX -DWDIE=0 -DHDIE=0|assertion violated s5_one_reply_per_call
reply-to-the-thread-that-reads-it -DMUT_REPLY_TO_READER -DWDIE=0 -DHDIE=0|assertion violated s5_reply_reaches_its_own_call
no-turn-limit -DMUT_NO_TURN_LIMIT -DWDIE=0 -DHDIE=0|assertion violated s9_one_workers_turn
EOF

run_one() {
	name=$1
	flags=$2
	want=$3
	d="$work/$name"
	mkdir -p "$d"
	cp "$dir/privsep.pml" "$dir/proto.pml" "$dir/app.h" "$d/"
	(
		cd "$d" || exit 1
		# shellcheck disable=SC2086
		opt=-O0; [ "$want" = ok ] && opt=-O2
		spin -a $flags privsep.pml >spin.txt 2>&1 || { cat spin.txt; exit 1; }
		cc $opt -w -DSAFETY -DCOLLAPSE -DMEMLIM=3000 -o pan pan.c || exit 1
		start=$(date +%s.%N)
		./pan -m200000 >pan.txt 2>&1
		end=$(date +%s.%N)
		states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' pan.txt)
		depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.txt)
		secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
		if [ "$want" = ok ]; then
			if grep -q "errors: 0" pan.txt && ! grep -q "Search not completed\|out of memory\|max search depth too small" pan.txt; then
				echo "ok   $name: no error; $states states, depth $depth, $secs s"
			else
				echo "FAIL $name: spin found an error in the model:"
				grep "^pan" pan.txt
				spin -t $flags privsep.pml 2>&1 | grep "@@\|assert" | tail -30
				exit 1
			fi
		else
			if grep -q "^pan:1: $want" pan.txt; then
				echo "ok   $name: spin reports \"$want\" ($states states, $secs s)"
				# shellcheck disable=SC2086
				spin -t $flags privsep.pml 2>&1 | sed -n 's/^[[:space:]]*@@ //p' >trace
			else
				echo "FAIL $name: spin must report \"$want\"; it says:"
				grep "^pan\|errors" pan.txt
				exit 1
			fi
		fi
	)
}

if [ "$one" = 1 ]; then
	run_one "$3" "$4" "$5"
	exit $?
fi

# two at a time (the machine's two cores), the longest first
export dir work
tr '\n' '\0' <"$work/runs" |
	xargs -0 -P 2 -I{} sh -c 'spec=${1%%|*}; want=${1#*|}; name=${spec%% *}
		sh "$0" --one "$dir" "$name" "${spec#* }" "$want" >"$work/$name.log" 2>&1 || touch "$work/failed"' "$0" {}
[ -e "$work/failed" ] && fail=1

while IFS='|' read -r spec want; do
	name=${spec%% *}
	cat "$work/$name.log"
	[ "$want" = ok ] && continue
	[ -f "$work/$name/trace" ] || continue
	if [ "$update" = --update ]; then
		mkdir -p "$dir/traces"
		cp "$work/$name/trace" "$dir/traces/$name.trace"
	elif ! cmp -s "$work/$name/trace" "$dir/traces/$name.trace"; then
		echo "FAIL $name: its counterexample differs from traces/$name.trace (check.sh $dir --update):"
		diff "$dir/traces/$name.trace" "$work/$name/trace"
		fail=1
	fi
done <"$work/runs"
exit $fail
