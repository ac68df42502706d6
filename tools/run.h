/* SPDX-License-Identifier: ISC */
/* run.h - privsep-run's parts: the options (privsep-run.c), the run
 * (run_loop.c). */
#ifndef PRIVSEP_RUN_H
#define PRIVSEP_RUN_H

#include <stddef.h>

/* Exit statuses of privsep-run's own, as env(1) and timeout(1). */
#define RUN_EXIT_FAILED 125
#define RUN_EXIT_CANNOT 126
#define RUN_EXIT_NOTFOUND 127

enum { RUN_READ, RUN_READ_BENEATH, RUN_WRITE_BENEATH, RUN_EXEC };

struct run_path {
	int kind; /* RUN_* */
	char *path;
};

struct run_opts {
	struct run_path *paths;
	size_t npaths;
	const char *policy, *learn;
	int verbose;
	char **argv;      /* COMMAND [ARG...] */
	const char *prog; /* COMMAND found */
};

/* Run o's command in the sandbox, brokering its path calls, until it and
 * its output are done: its exit status, or 125/126 with one line said. */
int run(const struct run_opts *o);

#endif
