/* SPDX-License-Identifier: ISC */
/*
 * exec_probe.c - test_exec's worker, in an executed program
 * (exec_worker.c) or, to show what fork mode gives, in a forked one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "exec_probe.h"

extern char **environ;

static void add(char *buf, size_t cap, size_t *len, const char *key, const char *s)
{
	int n = snprintf(buf + *len, cap - *len, "%s%s%s", key, s, key[0] ? "\n" : "");
	if (n > 0 && (size_t)n < cap - *len)
		*len += (size_t)n;
}

/* Whether the marker (hex of its bytes xor 0x55: the marker itself is
 * never in this process's memory but where the helper's left it) is in
 * any readable mapping: "yes", "no", or "unknown" when /proc/self is not
 * readable (a sandboxed worker). */
const char *probe_marker_scan(const char *hex)
{
	unsigned char enc[64];
	size_t n = 0;
	char line[512];
	static unsigned char chunk[1 << 16];
	FILE *maps;
	int mem, found = 0;

	for (; hex[0] && hex[1] && n < sizeof(enc); hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			return "bad";
		enc[n++] = (unsigned char)v;
	}
	maps = fopen("/proc/self/maps", "re");
	mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
	if (!maps || mem < 0) {
		if (maps)
			fclose(maps);
		if (mem >= 0)
			close(mem);
		return "unknown";
	}
	while (!found && fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char perm[8];
		/* a mapping over 1 GiB is a reservation, not the helper's
		 * heap or stack (an AddressSanitizer build's shadow is
		 * terabytes) */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r' ||
		    strstr(line, "[vvar") || strstr(line, "[vsyscall]") || hi - lo > (1ul << 30))
			continue;
		for (unsigned long a = lo; !found && a < hi; a += sizeof(chunk) - n) {
			size_t want = hi - a < sizeof(chunk) ? hi - a : sizeof(chunk);
			ssize_t got = pread(mem, chunk, want, (off_t)a);
			if (got <= 0)
				break;
			for (ssize_t i = 0; i + (ssize_t)n <= got && !found; i++) {
				size_t j = 0;
				while (j < n && chunk[i + j] == (enc[j] ^ 0x55))
					j++;
				found = j == n;
			}
			if ((size_t)got < want)
				break;
		}
	}
	fclose(maps);
	close(mem);
	return found ? "yes" : "no";
}

static int report(struct privsep_client *c, const char *marker)
{
	char buf[PROBE_REPORT_MAX], num[64];
	size_t len = 0;
	uintptr_t canary;
	struct privsep_result res = {0};

#if defined(__x86_64__)
	__asm__ volatile("mov %%fs:0x28, %0" : "=r"(canary));
#else
	canary = 0;
#endif
	snprintf(num, sizeof(num), "%#lx", (unsigned long)canary);
	add(buf, sizeof(buf), &len, "canary=", num);
	snprintf(num, sizeof(num), "%p", (void *)(uintptr_t)&getpid);
	add(buf, sizeof(buf), &len, "libc=", num);
	add(buf, sizeof(buf), &len,
	    "marker=", strcmp(marker, "-") ? probe_marker_scan(marker) : "unasked");
	add(buf, sizeof(buf), &len, "", "fds=");
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0) {
			snprintf(num, sizeof(num), "%d,", fd);
			add(buf, sizeof(buf), &len, "", num);
		}
	add(buf, sizeof(buf), &len, "", "\n");
	for (char **e = environ; e && *e; e++)
		add(buf, sizeof(buf), &len, "env=", *e);
	return privsep_client_call(
	           c, &(struct privsep_out){.type = PROBE_T_REPORT, .data = buf, .len = len},
	           &res) == 0
	           ? 0
	           : 3;
}

long probe_foreign_exit(int how)
{
#if defined(__x86_64__)
	if (how == PROBE_INT80) {
		long r;
		/* i386's exit_group (252) through its entry: ebx, ecx, edx,
		 * esi, edi are its first five arguments */
		__asm__ volatile("int $0x80"
		                 : "=a"(r)
		                 : "a"(252L), "b"(0x2aL), "c"(0x1111L), "d"(0x2222L), "S"(0x3333L),
		                   "D"(0x4444L)
		                 : "memory");
		return r;
	}
	/* x32's exit_group: x86_64's number with the x32 bit */
	return syscall(0x40000000L | 231, 0x2aL, 0x1111L, 0x2222L, 0x3333L, 0x4444L);
#else
	(void)how;
	errno = ENOSYS;
	return -1;
#endif
}

const char *probe_seccomp(const char *shape, char *out, size_t len)
{
	uint32_t action = SECCOMP_RET_LOG;
	struct seccomp_notif_sizes sizes;
	long r = -2;
	errno = 0;
	if (!strcmp(shape, "strict-flag"))
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_STRICT, 1, NULL);
	else if (!strcmp(shape, "filter-null"))
		r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_LOG, NULL);
	else if (!strcmp(shape, "action-avail"))
		r = syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
	else if (!strcmp(shape, "notif-sizes"))
		r = syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sizes);
	snprintf(out, len, "seccomp-%s=%ld/%d\n", shape, r, r < 0 ? errno : 0);
	return out;
}

/* A filter of the worker's own, loaded as the narrowing loads its
 * second one (SECCOMP_SET_MODE_FILTER, no flag): sendfile, a call the
 * policy denies, fails with EPERM instead of notifying the helper; every
 * other call is left to the filters below.  The kernel runs the filter
 * whose action ranks first, and ERRNO ranks above USER_NOTIF: loaded, it
 * would turn the policy's kill into an error only the worker sees. */
static long own_filter(void)
{
	struct sock_filter insns[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_sendfile, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {sizeof(insns) / sizeof(insns[0]), insns};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp);
}

int probe_main(struct privsep_client *c, void *arg)
{
	const char *const *a = arg;
	char why[160];
	struct privsep_result res = {0};
	const char *av[2] = {"again", NULL}, *ev[1] = {NULL};

	if (!a || !a[0] || !a[1])
		return 2;
	if (!strcmp(a[0], "report"))
		return report(c, a[1]);
	if (!strcmp(a[0], "pause"))
		for (;;) /* only a signal ends it, not the channel's end */
			pause();
	if (!strcmp(a[0], "exec"))
		execve(a[1], (char *const *)av, (char *const *)ev);
	else if (!strcmp(a[0], "execveat"))
		/* what the first filter allowed: the program's fd number (the
		 * worker's nofile limit, 64 by default) with AT_EMPTY_PATH,
		 * and a path that names the program itself */
		syscall(SYS_execveat, 64, a[1], av, ev, AT_EMPTY_PATH);
	else if (!strcmp(a[0], "int80") || !strcmp(a[0], "x32")) {
		/* a call of another architecture: exit_group(42), which would
		 * end the worker with status 42 if it ran */
		long r = probe_foreign_exit(!strcmp(a[0], "int80") ? PROBE_INT80 : PROBE_X32);
		snprintf(why, sizeof(why), "%s-returned=%ld\n", a[0], r);
		goto say;
	} else if (!strcmp(a[0], "execveat-other")) {
		/* an exec the first filter's execveat rule (the program's fd
		 * only) refuses: of no fd at all; EBADF if it runs */
		long r = syscall(SYS_execveat, -1, "", av, ev, AT_EMPTY_PATH);
		snprintf(why, sizeof(why), "execveat-other-returned=%ld/%d\n", r,
		         r < 0 ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "sendfile")) {
		/* a call the policy does not have, with arguments to name */
		long r = syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
		snprintf(why, sizeof(why), "sendfile-returned=%ld/%d\n", r, r < 0 ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "own-filter") || !strcmp(a[0], "told-sendfile")) {
		/* own-filter: a filter of its own first (what it returned is
		 * reported before anything else); told-sendfile: "told" only.
		 * Then, once the report is answered, the call the policy
		 * denies */
		long r = 0;
		if (!strcmp(a[0], "own-filter")) {
			r = own_filter();
			snprintf(why, sizeof(why), "own-filter=%ld/%d\n", r, r < 0 ? errno : 0);
		} else {
			snprintf(why, sizeof(why), "told\n");
		}
		(void)privsep_client_call(
		    c,
		    &(struct privsep_out){.type = PROBE_T_REPORT, .data = why, .len = strlen(why)},
		    &res);
		r = syscall(SYS_sendfile, 7, 8, NULL, 0x1234);
		snprintf(why, sizeof(why), "sendfile-returned=%ld/%d\n", r, r < 0 ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "readlink-path") || !strcmp(a[0], "stat-path")) {
		/* a host path, by path: Landlock bounds neither call (exec mode
		 * has no empty root: the loader needs its files) */
		char link[64] = "";
		struct stat st;
		long r;
		if (!strcmp(a[0], "readlink-path"))
			r = syscall(SYS_readlink, a[1], link, sizeof(link) - 1);
		else
			r = syscall(SYS_newfstatat, AT_FDCWD, a[1], &st, AT_EMPTY_PATH);
		if (r > 0 && r < (long)sizeof(link))
			link[r] = '\0';
		snprintf(why, sizeof(why), "%s=%ld/%d %s\n", a[0], r, r < 0 ? errno : 0, link);
		goto say;
	} else if (!strcmp(a[0], "ptrace")) {
		/* a call both the worker's and the helper's policy refuse */
		long r = syscall(SYS_ptrace, 2, 1, 0x4321, 0);
		snprintf(why, sizeof(why), "ptrace-returned=%ld/%d\n", r, r < 0 ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "socket-unix")) {
		/* what helper-spawn.policy failed with EACCES */
		long r = syscall(SYS_socket, 1, 1, 0);
		snprintf(why, sizeof(why), "socket-returned=%ld/%d\n", r, r < 0 ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "seccomp") || !strcmp(a[0], "seccomp-early")) {
		/* libseccomp's probe of the kernel, after start ("seccomp-early"
		 * is exec_worker.c's, before privsep_client_main; in fork mode
		 * there is no before: the same call here) */
		probe_seccomp(a[1], why, sizeof(why));
		goto say;
	} else if (!strcmp(a[0], "say")) {
		/* what the program saw before the framework ran (exec_worker.c) */
		snprintf(why, sizeof(why), "%s", a[1]);
		goto say;
	} else if (!strcmp(a[0], "mmap-exec")) {
		/* what the first filter allows for the loader: an executable
		 * mapping, here of anonymous memory */
		void *p =
		    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		snprintf(why, sizeof(why), "mmap-returned=%d\n", p == MAP_FAILED ? errno : 0);
		goto say;
	} else if (!strcmp(a[0], "mprotect-exec")) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		int rc = p == MAP_FAILED ? -1 : mprotect(p, 4096, PROT_READ | PROT_EXEC);
		snprintf(why, sizeof(why), "mprotect-returned=%d\n", rc < 0 ? errno : 0);
		goto say;
	} else
		return 2;
	/* still here: the exec failed without killing; say how */
	snprintf(why, sizeof(why), "exec-returned=%d\n", errno);
say:
	(void)privsep_client_call(
	    c, &(struct privsep_out){.type = PROBE_T_REPORT, .data = why, .len = strlen(why)},
	    &res);
	return 4;
}
