/* SPDX-License-Identifier: ISC */
/*
 * exec_worker.c - test_exec's worker program, executed by the helper in
 * exec mode: argv[1] the marker, then the probe's mode and parameter.
 * Mode "chan-at-start" looks at the channel (fd 3) before anything of
 * the framework runs and says what it found (mode "say"); mode
 * "seccomp-early" makes one of libseccomp's probes of the kernel there,
 * under the first filter alone, and says what it returned.  Modes
 * "ctor-filter" and "ctor-filter-fake" are a constructor's: before main
 * (before privsep_client_main narrows) it loads a filter of its own with
 * the narrowing's one seccomp form, returning EPERM for sendfile (and,
 * "-fake", 0 for seccomp itself: the narrowing's own load then
 * "succeeds" without loading); the worker then calls sendfile (mode
 * "sendfile").
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_probe.h"

/* What fd 3 holds as the program starts: "fd3=empty" when nothing waits
 * on it (PROTOCOL.md, "What the program finds"). */
static const char *chan_at_start(char *out, size_t len)
{
	char b[16];
	struct iovec iov = {b, sizeof(b)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	ssize_t n = recvmsg(PRIVSEP_EXEC_CHAN_FD, &m, MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		snprintf(out, len, "fd3=empty\n");
	else if (n < 0)
		snprintf(out, len, "fd3=error %d\n", errno);
	else
		snprintf(out, len, "fd3=%zd bytes, the first %#x\n", n,
		         n ? (unsigned char)b[0] : 0);
	/* also on standard error (the helper's log): a byte left on the
	 * channel would be the first record privsep_client_main reads, and
	 * the report through the channel would never come */
	if (strcmp(out, "fd3=empty\n"))
		dprintf(STDERR_FILENO, "%s", out);
	return out;
}

/* Before main: a filter of the program's own (glibc passes a
 * constructor argc and argv). */
__attribute__((constructor)) static void ctor_filter(int argc, char **argv, char **envp)
{
	int fake;
	(void)envp;
	if (argc < 3 || strncmp(argv[2], "ctor-filter", 11) != 0)
		return;
	fake = !strcmp(argv[2], "ctor-filter-fake");
	struct sock_filter f[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendfile, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, fake ? SYS_seccomp : ~0u, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {(unsigned short)(sizeof(f) / sizeof(f[0])), f};
	(void)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

int main(int argc, char **argv)
{
	static char sendfile_mode[] = "sendfile";
	static char said[80], say[] = "say";
	if (!privsep_exec_is_worker(argc, argv) || argc < 4)
		return 2;
	if (!strcmp(argv[2], "chan-at-start")) {
		argv[2] = say;
		argv[3] = (char *)chan_at_start(said, sizeof(said));
	} else if (!strncmp(argv[2], "ctor-filter", 11)) {
		argv[2] = sendfile_mode;
	} else if (!strcmp(argv[2], "seccomp-early")) {
		argv[3] = (char *)probe_seccomp(argv[3], said, sizeof(said));
		argv[2] = say;
	}
	privsep_client_main(NULL, probe_main, argv + 2);
}
