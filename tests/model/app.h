/* SPDX-License-Identifier: ISC */
/*
 * app.h - the application rows of the protocol's model (privsep.pml) and
 * of the test that replays its traces against the real helper
 * (test_model_replay.c).  Read by cpp for both: #defines only.
 */
#ifndef MODEL_APP_H
#define MODEL_APP_H

/* call: one byte, echoed */
#define M_T_ECHO (PRIVSEP_TYPE_APP_MIN + 1)
/* call, once: answered 0 for an even byte, EACCES for an odd one */
#define M_T_ONCE (PRIVSEP_TYPE_APP_MIN + 2)
/* one-way: one byte */
#define M_T_POST (PRIVSEP_TYPE_APP_MIN + 3)
/* one-way with a bulk payload: one byte, in the model its payload's size
 * in steps of 4 KiB (section 9's weight: 1 + steps), or M_BULK_WHOLE, a
 * payload the helper cannot map (it weighs the whole turn, as a
 * REGION_PART does) */
#define M_T_BULK (PRIVSEP_TYPE_APP_MIN + 4)
#define M_BULK_WHOLE 9
/* event, helper to worker: one byte, its sequence number */
#define M_T_EVENT (PRIVSEP_TYPE_APP_MIN + 5)
/* what the ONCE handler answers an odd byte */
#define M_EACCES 13

/* Why a record a worker sends must be a violation (the model's ghost,
 * carried in the trace): */
#define M_OK 0
#define M_BAD_DROPPED 1 /* its type was given up by an earlier PERMIT_DROP */
#define M_BAD_ONCE 2    /* a one-shot type sent a second time */
#define M_BAD_NO_ID 3   /* a call with id 0 */
#define M_BAD_REPLY 4   /* a REPLY, which only the helper sends */

#endif
