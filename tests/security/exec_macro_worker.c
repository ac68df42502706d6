/* SPDX-License-Identifier: ISC */
/*
 * exec_macro_worker.c - a worker program whose whole main is
 * PRIVSEP_CLIENT_MAIN(fn), as privsep.h and privsep_exec_open(3) show it:
 * fn reports what it finds (test_exec.c), sandboxed and narrowed.
 */
#include "exec_probe.h"

static int report_main(struct privsep_client *c, void *arg)
{
	static const char *const args[] = {"report", "-", NULL};
	(void)arg;
	return probe_main(c, (void *)args);
}

PRIVSEP_CLIENT_MAIN(report_main)
