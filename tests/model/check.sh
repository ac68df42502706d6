#!/bin/sh
# SPDX-License-Identifier: ISC
#
# check.sh - the protocol's model, checked by spin (docs/PROTOCOL.md,
# "Checked properties").
#
#   check.sh MODEL_DIR            check the model, then every mutant
#   check.sh MODEL_DIR --update   the same, and rewrite MODEL_DIR/traces
#
# 1. The model (privsep.pml) in two configurations, each an exhaustive
#    search of its assertions and end states, and each of its LTL claims
#    on its own (pan -a -N NAME, the liveness one under weak fairness,
#    -f): spin must report no error, and every state must have been
#    explored (no "Search not completed", no memory limit hit).
# 2. Each mutant (a MUT_* macro of privsep.pml: one broken rule) must make
#    spin report an error, and the one its property names (a mutant of a
#    claim: that claim, with the model's assertions off): a property that
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

# name, spin -D flags, what spin must report: "ok", "ok ltl CLAIM" (the
# claim holds), the failed assertion or end state, or "ltl CLAIM" (the
# claim fails); the longest first
[ "$one" = 1 ] || cat >"$work/runs" <<'EOF'
both-die -DCALLERS1=1 -DPOSTER1=0 -DBULKMAX=1 -DBULK_WHOLE=0|ok
live -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3 -DBULKMAX=2 -DBULK_WHOLE=0|ok
s5-every-call-returns -DWDIE=0 -DHDIE=0 -DCALLERS1=1 -DPOSTER1=0|ok ltl s5_every_call_returns
s9-events-delivered-in-order -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3 -DCALLERS1=1 -DPOSTER1=0 -DBULKMAX=1 -DBULK_WHOLE=0|ok ltl s9_events_delivered_in_order
s7-a-drop-is-for-good -DWDIE=0 -DHDIE=0 -DCALLERS1=1 -DPOSTER1=0 -DBULKMAX=1 -DBULK_WHOLE=0|ok ltl s7_a_drop_is_for_good
reply-bounded-by-queue-max -DMUT_REPLY_BOUNDED -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|invalid end state
stop-reading-while-anything-queued -DMUT_STOP_READING_WHILE_QUEUED -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|invalid end state
permit-drop-ignored -DMUT_DROP_IGNORED -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s7_dropped_permit_never_comes_back
once-lost-only-on-success -DMUT_ONCE_ON_SUCCESS -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s7_once_type_served_at_most_once
violation-kills-the-other-worker -DMUT_KILL_WRONG_WORKER -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s8_violation_ends_the_offender_only
reply-sent-on-a-full-socket -DMUT_BLOCKING_REPLY -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s9_helper_never_blocks
event-overtakes-the-queue -DMUT_EVENT_OVERTAKES -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s9_events_in_order
queued-reply-shares-the-tx-buffer -DMUT_SHARED_TX -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s5_reply_reaches_its_own_call
reply-to-the-thread-that-reads-it -DMUT_REPLY_TO_READER -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|assertion violated s5_reply_reaches_its_own_call
no-turn-limit -DMUT_NO_TURN_LIMIT -DWDIE=0 -DHDIE=0|assertion violated s9_weight_bounds_a_turn
bulk-weighs-one -DMUT_BULK_WEIGHS_ONE -DWDIE=0 -DHDIE=0|assertion violated s9_weight_bounds_a_turn
first-worker-served-again -DMUT_FIRST_AGAIN -DTURN=1 -DWDIE=0 -DHDIE=0|assertion violated s9_one_workers_turn
writable-wake-up-leaves-the-reply -DMUT_FLUSH_EVENTS_ONLY -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|ltl s5_every_call_returns
permits-regranted-at-each-turn -DMUT_PERMITS_REGRANTED -DWDIE=0 -DHDIE=0 -DBULKMAX=1 -DBULK_WHOLE=0|ltl s7_a_drop_is_for_good
event-overtakes-the-queue-ltl -DMUT_EVENT_OVERTAKES -DWDIE=0 -DHDIE=0 -DQMAX=2 -DNEV=3 -DBULKMAX=1 -DBULK_WHOLE=0|ltl s9_events_delivered_in_order
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
		# A safety search without the claims; an LTL claim (-N) as a
		# search for acceptance cycles (-a), the liveness one under weak
		# fairness (-f); a mutant that a claim must catch with the
		# model's own assertions off (CLAIMS_ONLY).
		claim=
		case "$want" in
		"ok ltl "*) claim=${want#ok ltl } ;;
		"ltl "*)
			claim=${want#ltl }
			flags="$flags -DCLAIMS_ONLY"
			;;
		esac
		opt=-O0
		case "$want" in ok*) opt=-O2 ;; esac
		cdefs="-DSAFETY -DNOCLAIM"
		panflags=
		if [ -n "$claim" ]; then
			cdefs=
			panflags="-a -N $claim"
			case "$claim" in s5_*) panflags="$panflags -f" ;; esac
		fi
		# shellcheck disable=SC2086
		spin -a $flags privsep.pml >spin.txt 2>&1 || { cat spin.txt; exit 1; }
		# shellcheck disable=SC2086
		cc $opt -w $cdefs -DCOLLAPSE -DMEMLIM=3000 -o pan pan.c || exit 1
		start=$(date +%s.%N)
		# shellcheck disable=SC2086
		./pan -m200000 $panflags >pan.txt 2>&1
		end=$(date +%s.%N)
		states=$(sed -n 's/^ *\([0-9e.+]*\) states, stored.*/\1/p' pan.txt)
		visited=$(sed -n 's/.*states, stored (\([0-9e.+]*\) visited).*/ (\1 visited)/p' pan.txt)
		depth=$(sed -n 's/.*depth reached \([0-9]*\).*/\1/p' pan.txt)
		secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
		if [ -n "$claim" ] && ! grep -q "^pan: ltl formula $claim\$" pan.txt; then
			echo "FAIL $name: pan did not check the claim $claim:"
			grep "^pan" pan.txt
			exit 1
		fi
		case "$want" in
		ok*)
			if grep -q "errors: 0" pan.txt && ! grep -q "Search not completed\|out of memory\|max search depth too small" pan.txt; then
				echo "ok   $name: no error${claim:+ (claim $claim)}; $states states$visited, depth $depth, $secs s"
			else
				echo "FAIL $name: spin found an error in the model:"
				grep "^pan" pan.txt
				# shellcheck disable=SC2086
				spin -t $flags privsep.pml 2>&1 | grep "@@\|assert" | tail -30
				exit 1
			fi
			;;
		*)
			if [ -n "$claim" ]; then
				# the claim alone: the assertion spin makes of a safety
				# formula, or an acceptance cycle
				grep -q "^pan:1: \(assertion violated\|acceptance cycle\)" pan.txt
			else
				grep -q "^pan:1: $want" pan.txt
			fi
			# shellcheck disable=SC2181
			if [ $? = 0 ]; then
				echo "ok   $name: spin reports \"$(sed -n 's/^pan:1: \(.*\) (at depth.*/\1/p' pan.txt)\"${claim:+ (claim $claim)} ($states states, $secs s)"
				# shellcheck disable=SC2086
				spin -t $flags privsep.pml 2>&1 | sed -n 's/^[[:space:]]*@@ //p' >trace
			else
				echo "FAIL $name: spin must report \"$want\"; it says:"
				grep "^pan\|errors" pan.txt
				exit 1
			fi
			;;
		esac
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
	case "$want" in ok*) continue ;; esac
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
