/* SPDX-License-Identifier: ISC */
/*
 * exec_worker.c - test_exec's worker program, executed by the helper in
 * exec mode: argv[1] the marker, then the probe's mode and parameter.
 */
#include "exec_probe.h"

int main(int argc, char **argv)
{
	if (!privsep_exec_is_worker(argc, argv) || argc < 4)
		return 2;
	privsep_client_main(NULL, probe_main, argv + 2);
}
