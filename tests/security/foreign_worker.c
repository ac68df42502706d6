/* SPDX-License-Identifier: ISC */
/*
 * foreign_worker.c - a program not built on libprivsep, executed by
 * test_exec as a foreign worker (PRIVSEP_EXEC_FOREIGN): it never narrows,
 * and runs under exec mode's first filter for good.  It speaks no
 * protocol: what it found is its exit status.
 *
 * Mode "own-filter": load a filter of its own, with the one seccomp form
 * the narrowing of a libprivsep program uses (SECCOMP_SET_MODE_FILTER, no
 * flag), that returns EPERM for sendfile, then make that call, which its
 * policy denies.  ERRNO ranks above the first filter's notification: if
 * the filter loads, sendfile fails quietly and the helper hears of
 * nothing.  Exit 3: the filter did not load (and the worker was not
 * killed); 4: sendfile failed with EPERM, hidden; 5: it returned
 * anything else.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long own_filter(void)
{
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendfile, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv)
{
	long r;
	if (argc < 2 || strcmp(argv[1], "own-filter") != 0)
		return 2;
	if (own_filter() < 0)
		return 3;
	r = syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
	return r < 0 && errno == EPERM ? 4 : 5;
}
