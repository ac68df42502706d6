/* SPDX-License-Identifier: ISC */
/*
 * privsep.pml - the wire protocol's state machine (docs/PROTOCOL.md,
 * sections 5, 7, 8, 9, 11) as a Promela model for spin.
 *
 * One helper, two workers.  Each worker has two threads that make one
 * call each (ids 1 and 2, in flight together) and one thread that posts
 * one-way messages and may then dispatch events; a worker is one process
 * whose options are its threads' steps.  Each channel is two bounded
 * FIFOs (a SOCK_SEQPACKET pair whose SO_SNDBUF holds WCAP, WCAP1 or HCAP
 * records); the helper has one queue per worker for what the socket had
 * no room for (queue_max events plus one reply); one wake-up of the
 * helper is one atomic step; the helper's application posts events; the
 * helper and worker 0 may die at any point; worker 0 may act as a
 * compromised worker and send violations.
 *
 * Every property is an assertion on a variable named after the rule it
 * checks (pan prints that name when it fails), spin's own end-state
 * check (no deadlock, no call left waiting), or one of the LTL claims at
 * the end (pan -a -N NAME): see docs/PROTOCOL.md, "Checked properties",
 * and tests/model/check.sh, which also checks one broken variant per
 * property (the MUT_* macros) and turns the counterexamples into traces
 * that test_model_replay.c replays against the real helper.  The printf
 * lines ("@@ ...") are those traces.
 */
#include "proto.pml"
#include "app.h"
#ifdef CLAIMS_ONLY
/* the model's assertions off: an LTL claim alone must catch a mutant */
#define assert(e) skip
#endif

#define NW 2 /* workers */
#ifndef WCAP
#define WCAP 2 /* records a worker's socket holds towards the helper */
#endif
#ifndef WCAP1
#define WCAP1 1 /* and worker 1's */
#endif
#ifndef HCAP
#define HCAP 1 /* records the helper's socket holds towards a worker */
#endif
#ifndef QMAX
#define QMAX 1 /* queue_max */
#endif
#ifndef NEV
#define NEV 2 /* events the helper's application tries to post per worker */
#endif
#ifndef NEV1
#define NEV1 0 /* and to worker 1 */
#endif
#ifndef WDIE1
#define WDIE1 0 /* worker 1 may die too */
#endif
#ifndef CALLERS1
#define CALLERS1 2 /* calling threads of worker 1 (worker 0 has two) */
#endif
#ifndef POSTER1
#define POSTER1 1 /* whether worker 1 has a posting thread (worker 0 has) */
#endif
#define NTHREADS(w) (w == 0 -> 3 : CALLERS1 + POSTER1)
#define NPOST(w) (w == 0 -> NPOST0 : NPOST1)
#ifndef NPOST0
#define NPOST0 2 /* one-way messages worker 0 posts */
#endif
#ifndef NPOST1
#define NPOST1 1 /* and worker 1 */
#endif
#ifndef TURN
#define TURN 3 /* a turn's size: PRIVSEP_TURN_RECORDS (32), scaled */
#endif
#ifndef BULKMAX
#define BULKMAX 3 /* the largest bulk payload worker 0 posts, in steps (4 KiB, scaled) */
#endif
#ifndef BULK_WHOLE
#define BULK_WHOLE 1 /* and whether it may post one the helper cannot map */
#endif
/* Section 9: what a record weighs in its worker's turn: 1, and a bulk
 * payload the helper mapped 1 more per step of its size (a bulk's byte is
 * its size in steps), one it cannot map (M_BULK_WHOLE) the whole turn. */
#define WEIGHT(t, body) (t == M_T_BULK -> (body == M_BULK_WHOLE -> TURN : 1 + body) : 1)
#ifndef HDIE
#define HDIE 1 /* the helper may die */
#endif
#ifndef WDIE
#define WDIE 1 /* a worker may die */
#endif

/* record: type, id, payload byte (a call's tag, an event's number, a
 * reply's error or echo), ghost (M_OK or why it must be a violation) */
chan w2h[NW] = [WCAP] of {int, byte, byte, byte};
chan h2w[NW] = [HCAP] of {int, byte, byte, byte};
/* a reply waits with its own id and bytes (reply error, body) */
chan oq[NW] = [QMAX + 1] of {int, byte, byte, byte};

/* the helper */
bool hdead;
bool hclosed[NW]; /* the helper closed its end of this channel */
byte nreply[NW];  /* replies in oq */
bool permit_echo[NW] = 1, permit_once[NW] = 1, permit_drop[NW] = 1;
byte evtries[NW], evseq[NW];
/* the workers */
bool wgone[NW];  /* the worker's end is closed: it exited or was killed */
bool wdead[NW];  /* killed: its threads stop where they are */
byte wdone[NW];  /* threads finished */
byte waiting[4]; /* per calling thread (w * 2 + k): the id in flight, 0 none */
int callmt[4];   /* and its type */
bool pdisp[NW];  /* the posting thread runs privsep_client_dispatch */
byte evgot[NW];  /* the events delivered, a bit each */
/* ghosts: what was sent, for the assertions only (the helper's logic
 * never reads them) */
bool drop_sent[NW];
byte once_sent[NW], once_served[NW];
byte bypass[NW];
#ifdef MUT_SHARED_TX
byte tx_id, tx_body; /* the broken helper keeps one reply buffer */
#endif

/* the properties, each named after its rule (hidden: not state) */
hidden byte s5_one_reply_per_call;
hidden byte s5_reply_reaches_its_own_call;
hidden byte s7_dropped_permit_never_comes_back;
hidden byte s7_once_type_served_at_most_once;
hidden byte s8_violation_ends_the_offender_only;
hidden byte s9_helper_never_blocks;
hidden byte s9_one_reply_waits_at_most;
hidden byte s9_events_in_order;
hidden byte s9_one_workers_turn;
hidden byte s9_weight_bounds_a_turn;

#define READY(w) (!hclosed[w] && RD_GATE(w) && ((len(w2h[w]) > 0) || wgone[w]))
#ifdef MUT_STOP_READING_WHILE_QUEUED
/* broken: no request is read while anything, an event too, is queued */
#define RD_GATE(w) ((len(oq[w]) == 0))
#else
/* section 9: while a reply waits, no request is read from that worker */
#define RD_GATE(w) (nreply[w] == 0)
#endif
/* a reply's body in the model: a success without bytes (an echo's body
 * is the call's tag, 1..4) */
#define M_DONE 100
#define WRITABLE(w) (!hclosed[w] && (len(oq[w]) > 0) && ((len(h2w[w]) < HCAP) || wgone[w]))

/* The helper closes its end: what waits for this worker is dropped. */
inline hclose(w)
{
	hclosed[w] = 1;
	do
	:: (len(oq[w]) > 0) -> oq[w]?_, _, _, _
	:: (len(oq[w]) == 0) -> break
	od;
	nreply[w] = 0
}

/* Section 8, on a violation: the offender is killed, the others go on. */
inline violation(w, v, g)
{
	s8_violation_ends_the_offender_only = (g != M_OK);
	assert(s8_violation_ends_the_offender_only);
	printf("@@ violation %d %d\n", w, v);
#ifdef MUT_KILL_WRONG_WORKER
	victim = 1 - w;
#else
	victim = w;
#endif
	s8_violation_ends_the_offender_only = (victim == w);
	assert(s8_violation_ends_the_offender_only);
	hclose(victim);
	wdead[victim] = 1;
	wgone[victim] = 1
}

/* Section 9: a record to a worker goes behind what is queued, straight
 * to the socket if nothing is and it has room, else into the queue; the
 * helper never waits on the socket. */
inline send_reply(w, id, body)
{
#ifdef MUT_SHARED_TX
	tx_id = id;
	tx_body = body;
#endif
	if
	:: wgone[w] -> hclose(w) /* EPIPE: reply lost, channel closed */
	:: else ->
		if
#ifdef MUT_BLOCKING_REPLY
		/* broken: the reply is sent whether the socket has room or not */
		:: true ->
			s9_helper_never_blocks = (len(h2w[w]) < HCAP);
			assert(s9_helper_never_blocks);
			h2w[w]!PRIVSEP_T_REPLY, id, body, M_OK
#else
		:: (len(oq[w]) == 0) && (len(h2w[w]) < HCAP) -> h2w[w]!PRIVSEP_T_REPLY, id, body, M_OK
#ifdef MUT_REPLY_BOUNDED
		/* broken: a reply counts against queue_max like an event */
		:: ((len(oq[w]) == 0) && (len(h2w[w]) == HCAP)) || (len(oq[w]) > 0) ->
			if
			:: len(oq[w]) >= QMAX -> skip /* EAGAIN: the reply is lost */
			:: else -> oq[w]!PRIVSEP_T_REPLY, id, body, M_OK; nreply[w]++
			fi
#else
		:: ((len(oq[w]) == 0) && (len(h2w[w]) == HCAP)) || (len(oq[w]) > 0) ->
			s9_helper_never_blocks = (len(oq[w]) < (QMAX + 1));
			assert(s9_helper_never_blocks);
			oq[w]!PRIVSEP_T_REPLY, id, body, M_OK;
			nreply[w]++;
			s9_one_reply_waits_at_most = (nreply[w] <= 1);
			assert(s9_one_reply_waits_at_most)
#endif
#endif
		fi
	fi
}

/* privsep_helper_post: never waits; EAGAIN when queue_max events wait. */
inline post_event(w)
{
	evtries[w]++;
	if
	:: len(oq[w]) - nreply[w] >= QMAX -> skip /* EAGAIN, nothing queued */
	:: else ->
		if
		:: wgone[w] -> hclose(w) /* event lost, channel closed */
#ifdef MUT_EVENT_OVERTAKES
		/* broken: an event goes straight to a socket with room, past
		 * what is queued */
		:: !wgone[w] && (len(h2w[w]) < HCAP) ->
#else
		:: !wgone[w] && (len(oq[w]) == 0) && (len(h2w[w]) < HCAP) ->
#endif
			h2w[w]!M_T_EVENT, 0, evseq[w], M_OK;
			printf("@@ post %d %d\n", w, evseq[w]);
			evseq[w]++
		:: else ->
			s9_helper_never_blocks = (len(oq[w]) < (QMAX + 1));
			assert(s9_helper_never_blocks);
			oq[w]!M_T_EVENT, 0, evseq[w], M_OK;
			printf("@@ post %d %d\n", w, evseq[w]);
			evseq[w]++
		fi
	fi
}

/* The socket has room again: send what is queued, oldest first. */
inline flush(w)
{
	do
	:: WRITABLE(w) && wgone[w] -> hclose(w); break /* queued message lost */
#ifdef MUT_FLUSH_EVENTS_ONLY
	/* broken: the socket has room, but a queued reply is left for a
	 * later wake-up, which does the same (EPOLLOUT stays set) */
	:: WRITABLE(w) && !wgone[w] && oq[w]?[PRIVSEP_T_REPLY, _, _, _] -> break
	:: WRITABLE(w) && !wgone[w] && !oq[w]?[PRIVSEP_T_REPLY, _, _, _] ->
#else
	:: WRITABLE(w) && !wgone[w] ->
#endif
		oq[w]?t, id, body, g;
		if
		:: t == PRIVSEP_T_REPLY -> nreply[w]--
		:: else
		fi;
#ifdef MUT_SHARED_TX
		/* broken: a queued reply is sent from the helper's one reply
		 * buffer, which a later reply overwrote */
		if
		:: t == PRIVSEP_T_REPLY -> id = tx_id; body = tx_body
		:: else
		fi;
#endif
		h2w[w]!t, id, body, g
	:: else -> break
	od
}

/* Sections 5, 7 and 8: check one record against the table (the types
 * the model knows) and serve it.  endturn: the turn ends after it. */
inline dispatch(w, t, id, body, g)
{
	v = 0;
	endturn = 0;
	if
	:: t == PRIVSEP_T_REPLY -> v = PRIVSEP_V_WRONG_DIRECTION
	:: t == M_T_ECHO || t == M_T_ONCE || t == PRIVSEP_T_PERMIT_DROP ->
		if
		:: t == M_T_ECHO && !permit_echo[w] -> v = PRIVSEP_V_NOT_PERMITTED
		:: t == M_T_ONCE && !permit_once[w] -> v = PRIVSEP_V_NOT_PERMITTED
		:: t == PRIVSEP_T_PERMIT_DROP && !permit_drop[w] -> v = PRIVSEP_V_NOT_PERMITTED
		:: else ->
			if
			:: id == 0 -> v = PRIVSEP_V_CALL_WITHOUT_ID
			:: else
			fi
		fi
	:: t == M_T_POST || t == M_T_BULK ->
		if
		:: id != 0 -> v = PRIVSEP_V_ID_ON_POST
		:: else
		fi
	fi;
	if
	:: v != 0 -> violation(w, v, g)
	:: else ->
		s7_dropped_permit_never_comes_back = (g != M_BAD_DROPPED);
		assert(s7_dropped_permit_never_comes_back);
		if
		:: t == M_T_ECHO -> send_reply(w, id, body); endturn = 1
		:: t == M_T_ONCE ->
#ifndef MUT_ONCE_ON_SUCCESS
			/* section 7: lost when it passes the checks, whatever the
			 * handler then returns */
			permit_once[w] = 0;
#endif
			once_served[w]++;
			s7_once_type_served_at_most_once = (once_served[w] <= 1);
			assert(s7_once_type_served_at_most_once);
			if
			:: body % 2 == 0 ->
#ifdef MUT_ONCE_ON_SUCCESS
				/* broken: the permit is lost only when the handler
				 * succeeds */
				permit_once[w] = 0;
#endif
				send_reply(w, id, M_DONE)
			:: else -> send_reply(w, id, M_EACCES)
			fi;
			endturn = 1
		:: t == PRIVSEP_T_PERMIT_DROP ->
#ifndef MUT_DROP_IGNORED
			permit_echo[w] = 0;
#endif
			send_reply(w, id, M_DONE);
			endturn = 1
		:: t == M_T_POST || t == M_T_BULK
		fi
	fi
}

#ifdef MUT_NO_TURN_LIMIT
#define UNDER_TURN(s) true /* broken: a turn lasts while records come */
#else
#define UNDER_TURN(s) (s < TURN)
#endif
#ifdef MUT_BULK_WEIGHS_ONE
/* broken: a bulk record counts 1, whatever its size (a turn of bulk
 * payloads moves TURN times more bytes than a turn of records) */
#define HELPER_WEIGHT(t, body) 1
#else
#define HELPER_WEIGHT(t, body) WEIGHT(t, body)
#endif

/* One record of worker w's turn (one atomic step: the other processes
 * run between two records).  turn: 1 while the turn goes on.  The turn
 * ends after the record whose weight brings the count to TURN or more,
 * after an answered call, and reads nothing while a reply waits
 * (section 9).  gw: the weight read so far in this turn (a ghost, by
 * section 9's rule, whatever the helper counts). */
inline one_record(w)
{
	if
	:: hclosed[w] || !RD_GATE(w) -> turn = 0
	:: !hclosed[w] && RD_GATE(w) && (len(w2h[w]) == 0) && wgone[w] ->
		hclose(w); turn = 0 /* end of stream */
	:: !hclosed[w] && RD_GATE(w) && (len(w2h[w]) == 0) && !wgone[w] -> turn = 0 /* EAGAIN */
	:: !hclosed[w] && RD_GATE(w) && (len(w2h[w]) > 0) ->
		/* a record is read only while the turn's weight is under its
		 * size: what one worker gets of a wake-up is under TURN before
		 * its last record, at most TURN - 1 + one record's weight */
		s9_weight_bounds_a_turn = (gw < TURN);
		assert(s9_weight_bounds_a_turn);
		w2h[w]?t, id, body, g;
		gw = gw + WEIGHT(t, body);
		served = served + HELPER_WEIGHT(t, body);
		/* the other worker waited for this record if it was ready with
		 * a record of its own */
		bypass[w] = 0;
		if
		:: READY(1 - w) && (len(w2h[1 - w]) > 0) ->
			bypass[1 - w]++;
			s9_one_workers_turn = (bypass[1 - w] <= TURN);
			assert(s9_one_workers_turn)
		:: !(READY(1 - w) && (len(w2h[1 - w]) > 0)) -> skip
		fi;
		dispatch(w, t, id, body, g);
		turn = !endturn && UNDER_TURN(served);
		t = 0; id = 0; body = 0; g = 0; v = 0; victim = 0; endturn = 0
	fi
}

/* The next worker of this wake-up, w + 1: its queue is flushed, then its
 * turn, if it is ready. */
inline next_worker()
{
#ifdef MUT_FIRST_AGAIN
	/* broken: the first worker, still ready after its turn, is served
	 * again before the others */
	if
	:: w == 0 && READY(0) -> w = 255
	:: else
	fi;
#endif
	w++;
	served = 0;
	gw = 0;
	turn = 0;
	do
	:: w < NW ->
		flush(w);
		t = 0; id = 0; body = 0; g = 0;
		if
#ifdef MUT_PERMITS_REGRANTED
		/* broken: a worker's permits are rebuilt from its table at
		 * each turn, undoing a PERMIT_DROP */
		:: READY(w) -> permit_echo[w] = 1; turn = 1; break
#else
		:: READY(w) -> turn = 1; break
#endif
		:: !READY(w) -> w++
		fi
	:: w >= NW -> w = 0; break
	od
}

proctype helper()
{
	int t;
	byte w, id, body, g, v, victim, served, gw;
	bool endturn, mortal, turn;
	/* whether this helper may die: chosen once, so that a run where it
	 * lives is checked for deadlock on its own */
	if
	:: HDIE -> mortal = 1
	:: mortal = 0
	fi;
end:
	do
	:: atomic {
		mortal && !hdead && !turn ->
		printf("@@ helperdies\n");
		hdead = 1;
		hclose(0);
		hclose(1);
		turn = 0
	} ; break
	/* a wake-up: every worker epoll reports, in turn */
	:: atomic {
		!turn && (READY(0) || READY(1) || WRITABLE(0) || WRITABLE(1)) ->
		w = 255;
		next_worker();
		do
		:: turn ->
			one_record(w);
			if
			:: !turn -> next_worker()
			:: else
			fi
		:: else -> break
		od
	}
	/* the helper's application posts an event */
	:: atomic { !turn && evtries[0] < NEV && !hclosed[0] -> post_event(0) }
	:: atomic { !turn && evtries[1] < NEV1 && !hclosed[1] -> post_event(1) }
	od
}

/* A worker's end of the channel: a record is sent only if the socket
 * has room (else the sender blocks), and fails (EPIPE) once the helper
 * closed its end. */
#define CAN_SEND(w) (hclosed[w] || (len(w2h[w]) < (w == 0 -> WCAP : WCAP1)))
/* a call of worker w waits for its reply */
#define WAITS(w) (waiting[(w) * 2] != 0 || waiting[(w) * 2 + 1] != 0)

/* A thread ends; the last one ends the process, which closes its end
 * (inside an atomic step). */
inline thread_done(w)
{
	wdone[w]++;
	if
	:: wdone[w] == NTHREADS(w) -> printf("@@ exit %d\n", w); wgone[w] = 1
	:: else
	fi
}

/* Call c's result: ECHO answers the tag (c + 1), ONCE M_DONE or
 * M_EACCES, PERMIT_DROP M_DONE. */
inline check_answer(c, body)
{
	s5_reply_reaches_its_own_call =
	    (callmt[c] == M_T_ECHO && body == c + 1) ||
	    (callmt[c] == M_T_ONCE && (body == M_DONE || body == M_EACCES)) ||
	    (callmt[c] == PRIVSEP_T_PERMIT_DROP && body == M_DONE);
	assert(s5_reply_reaches_its_own_call)
}

/* The client reads one record: a reply goes to the call with its id,
 * which returns (its thread ends), an event to its handler, in order.
 * Which waiting thread reads does not matter (the record goes to the
 * call with its id, and that call returns), but to the broken client of
 * MUT_REPLY_TO_READER. */
inline deliver(w)
{
	h2w[w]?t, id, body, g;
	if
	:: t == PRIVSEP_T_REPLY ->
		if
#ifdef MUT_REPLY_TO_READER
		/* broken: the waiting thread that reads a reply takes it as
		 * its own */
		:: waiting[w * 2] != 0 -> c = w * 2
		:: waiting[w * 2 + 1] != 0 -> c = w * 2 + 1
#else
		:: id != 0 && waiting[w * 2] == id -> c = w * 2
		:: id != 0 && waiting[w * 2 + 1] == id -> c = w * 2 + 1
#endif
		:: else -> c = 255
		fi;
		s5_one_reply_per_call = (c != 255);
		assert(s5_one_reply_per_call);
		check_answer(c, body);
		waiting[c] = 0;
		callmt[c] = 0;
		thread_done(w)
	:: t == M_T_EVENT ->
		s9_events_in_order = (evgot[w] == (1 << body) - 1);
		assert(s9_events_in_order);
		evgot[w] = evgot[w] | (1 << body)
	fi;
	t = 0; id = 0; body = 0; g = 0; c = 0
}

/* Calling thread k of worker w makes its one call (or, in worker 0,
 * may send a record that must be a violation); then it waits until its
 * reply or the end of stream. */
inline call(w, k)
{
	cs[k] = 1;
	if
	:: hclosed[w] -> cs[k] = 2; thread_done(w) /* EPIPE */
	:: else ->
		/* worker 0: thread 0 calls ECHO, ONCE or PERMIT_DROP,
		 * thread 1 ECHO or ONCE, or is compromised; worker 1, the
		 * bystander: ECHO */
		if
		:: mt = M_T_ECHO
		:: w == 0 -> mt = M_T_ONCE
		:: w == 0 && k == 0 -> mt = PRIVSEP_T_PERMIT_DROP
		:: w == 0 && k == 1 -> mt = PRIVSEP_T_REPLY /* compromised */
		:: w == 0 && k == 1 -> mt = 0               /* compromised: call id 0 */
		fi;
		mid = k + 1;
		g = M_OK;
		if
		:: mt == PRIVSEP_T_REPLY -> g = M_BAD_REPLY
		:: mt == 0 -> mt = M_T_ECHO; mid = 0; g = M_BAD_NO_ID
		:: mt == M_T_ECHO && drop_sent[w] -> g = M_BAD_DROPPED
		:: mt == M_T_ONCE && once_sent[w] > 0 -> g = M_BAD_ONCE
		:: else
		fi;
		if
		:: mt == PRIVSEP_T_PERMIT_DROP -> drop_sent[w] = 1
		:: mt == M_T_ONCE -> once_sent[w]++
		:: else
		fi;
		w2h[w]!mt, mid, w * 2 + k + 1, g;
		printf("@@ send %d %d %d %d %d\n", w, mt, mid, w * 2 + k + 1, g);
		if
		:: g == M_OK -> waiting[w * 2 + k] = mid; callmt[w * 2 + k] = mt
		:: else -> cs[k] = 2; thread_done(w) /* a hostile thread expects nothing */
		fi
	fi;
	mt = 0; mid = 0; g = 0
}

/* A worker: two calling threads, one posting thread, and the reading
 * that the waiting ones do, as one process (its threads' steps
 * interleave as its options do; a kill ends them all in one step).  The
 * posting thread waits while the socket is full (privsep_post), then
 * may run privsep_client_dispatch for a while, or never read. */
proctype worker(byte w)
{
	byte cs[2]; /* calling thread: 0 before its call, 1 sent, 2 done */
	byte ps;    /* posting thread: 0 posting, 1 dispatching, 2 done */
	byte n;     /* posts sent */
	int t, mt;
	byte id, body, g, c, mid;
	d_step {
		/* worker 1 without its second calling thread, or without its
		 * posting thread */
		if
		:: w == 1 && CALLERS1 < 2 -> cs[1] = 2
		:: else
		fi;
		if
		:: w == 1 && !POSTER1 -> ps = 2
		:: else
		fi
	};
	{
		do
		:: atomic { cs[0] == 0 && CAN_SEND(w) -> call(w, 0) }
		/* worker 1's two threads are alike (ECHO each): the model lets
		 * thread 0 send first (the runs where thread 1 does are these
		 * with the ids swapped) */
		:: atomic {
			cs[1] == 0 && (w == 0 || cs[0] != 0) && CAN_SEND(w) ->
			call(w, 1)
		}
		:: atomic {
			ps == 0 && n < NPOST(w) && CAN_SEND(w) ->
			if
			:: hclosed[w] -> n = NPOST(w) /* EPIPE */
			:: else ->
				/* worker 0's last post carries a bulk payload of 1
				 * to BULKMAX steps, or one the helper cannot map;
				 * a post's byte is its number */
				body = n;
				if
				:: w == 0 && n == NPOST0 - 1 ->
					mt = M_T_BULK;
					if
					:: body = 1
					:: BULKMAX >= 2 -> body = 2
					:: BULKMAX >= 3 -> body = 3
					:: BULK_WHOLE -> body = M_BULK_WHOLE
					fi
				:: else -> mt = M_T_POST
				fi;
				w2h[w]!mt, 0, body, M_OK;
				printf("@@ send %d %d %d %d %d\n", w, mt, 0, body, M_OK);
				n++;
				mt = 0;
				body = 0
			fi
		}
		/* posted: dispatch for a while (worker 1 gets no events unless
		 * NEV1: its dispatch would read nothing its calls do not), or
		 * never read */
		:: atomic { ps == 0 && n >= NPOST(w) && (w == 0 || NEV1 > 0) && !hclosed[w] -> ps = 1 }
		:: atomic { (ps == 0 && n >= NPOST(w)) || ps == 1 -> ps = 2; n = 0; thread_done(w) }
		/* one of the reading threads reads a record */
		:: atomic { (len(h2w[w]) > 0) && (WAITS(w) || ps == 1) -> deliver(w) }
		/* end of stream: every waiting call fails, EPIPE */
		:: atomic {
			hclosed[w] && (len(h2w[w]) == 0) && WAITS(w) ->
			for (c : (w * 2)..(w * 2 + 1)) {
				if
				:: waiting[c] != 0 -> waiting[c] = 0; callmt[c] = 0; thread_done(w)
				:: else
				fi
			}
			c = 0
		}
		:: wgone[w] -> break
		od
	} unless {
		wdead[w]
	}
}

/* A worker may die at any point (a crash, a kill from outside). */
proctype death(byte w)
{
end:
	atomic { !wgone[w] -> printf("@@ dies %d\n", w); wdead[w] = 1; wgone[w] = 1 }
}

init
{
	atomic {
		byte w;
		run helper();
		for (w : 0..(NW - 1)) {
			run worker(w);
			if
			:: WDIE && (w == 0 || WDIE1) -> run death(w)
			:: else
			fi
		}
	}
}
/* The temporal properties, as LTL claims (pan -N NAME), each named after
 * its rule; check.sh checks each on its own. */
/* a call of worker w waits for its reply, and the worker lives */
#define CALL_OPEN(w) (WAITS(w) && !wdead[w])
#define GOT(w, n) (((evgot[w] >> (n)) & 1) == 1)
/* sections 5 and 11: every call gets its reply or its caller sees the
 * end of the channel (or its worker is gone); under weak fairness */
ltl s5_every_call_returns { [] ((CALL_OPEN(0) || CALL_OPEN(1)) -> <> !(CALL_OPEN(0) || CALL_OPEN(1))) }
/* section 7: once a worker has dropped a permit, it never has it again */
ltl s7_a_drop_is_for_good { [] (!permit_echo[0] -> [] !permit_echo[0]) }
/* section 9: event n + 1 is not delivered before event n */
ltl s9_events_delivered_in_order { (!GOT(0, 1) W GOT(0, 0)) && (!GOT(0, 2) W GOT(0, 1)) }
