/* SPDX-License-Identifier: ISC */
/* interposer.h - the count of calls into a daemon's own functions that
 * bear the framework's former internal names (interposer-stubs.sh). */
#ifndef INTERPOSER_H
#define INTERPOSER_H
extern volatile int interposed_calls;
#endif
