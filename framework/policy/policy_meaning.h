/* SPDX-License-Identifier: ISC */
/*
 * policy_meaning.h - internal to the policy compiler's phases (meaning,
 * check, compile, explain): what an action and a condition mean, and how
 * the phases report at a rule's place.  Nothing outside
 * framework/policy_*.c includes it.
 */
#ifndef PRIVSEP_POLICY_MEANING_H
#define PRIVSEP_POLICY_MEANING_H

#include <stdint.h>

#include "policy.h"

#define POL_LOW32 0xffffffffull
#define POL_EXPAND_MAX 256 /* libseccomp rules one policy rule may become */

/* "file:line:col: text" at loc (or the text alone when loc has no line),
 * to diag. */
void pol_diagf(pol_diag_fn diag, void *arg, const struct pol_loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The seccomp return value of an action; of the policy's default (kill
 * traps in the debug mode). */
uint32_t pol_act_value(enum filter_action a, int err, int debug);
uint32_t pol_default_value(const struct policy *p, int debug);
/* What a call of another architecture, or an x32 number, gets: killed,
 * and in the notify and learn modes a notification (the helper names it
 * and kills: unotify.c). */
uint32_t pol_badarch_value(int debug);

/* An action's word: allow, errno, kill, trap, log. */
const char *pol_act_name(enum filter_action a);
/* Whether this architecture's table names syscall nr. */
int pol_named(int nr);

/* Whether rule r, after a rule for every call of its syscall with action
 * act (errno err), takes nothing away: a rule of exec mode's start
 * (<exec.policy>'s @exec_start or @exec_narrow, added after the worker's policy) with the
 * same action, the policy allowing more than the start needs (a learned
 * "allow newfstatat" is such an earlier rule).  check finds nothing
 * there, and learn mode may propose such an allow. */
int pol_start_rule_yields(const struct pol_rule *r, enum filter_action act, int err);

/* A condition as alternatives (any one holds) of libseccomp comparisons;
 * never: it cannot hold. */
struct pol_alt {
	struct filter_cmp c[64];
	unsigned n;
	int never;
};
void pol_expand_cond(const struct pol_cond *c, struct pol_alt *al);

#endif
