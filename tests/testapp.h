/* SPDX-License-Identifier: ISC */
/*
 * testapp.h - the application table the integration tests serve.
 */
#ifndef PRIVSEP_TESTAPP_H
#define PRIVSEP_TESTAPP_H

#include "privsep.h"

enum {
	T_ECHO_STR = PRIVSEP_TYPE_APP_MIN + 1, /* call: one str, echoed */
	T_POST,                                /* one-way: 0..64 bytes */
	T_TAKE_FD,                             /* call: exactly one fd, no bytes */
	T_ONCE,                                /* call, once */
	T_GIVE_FDS,                            /* call: u32 n, answered with n fds */
	T_DENY,                                /* call: always EACCES "rule 3" */
	T_TWO_FDS_MAX,                         /* call: 0..2 fds */
};

extern const struct privsep_handler testapp_table[];
extern const size_t testapp_n;
extern int testapp_posts; /* one-way messages served */

#endif
