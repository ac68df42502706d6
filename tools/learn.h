/* SPDX-License-Identifier: ISC */
/* learn.h - privsep-policy learn (learn.c). */
#ifndef PRIVSEP_LEARN_H
#define PRIVSEP_LEARN_H
#include <stdio.h>

/* Run cmd recording every syscall (let through), write a proposed policy
 * to out.  The command's exit status (128 + signal), or -1 with errno. */
int policy_learn(char **cmd, FILE *out, unsigned long *ncalls);

#endif
