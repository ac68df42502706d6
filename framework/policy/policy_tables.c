/* SPDX-License-Identifier: ISC */
/*
 * policy_tables.c - the names a policy may use: each syscall's arguments
 * (and which are ints, compared on 32 bits), symbolic constants, errno
 * names, and the short list of syscalls whose allow needs a reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "policy.h"

/* "name arg arg ...": an argument ending in '%' is an int. */
static const char *const argtab[] = {
    "read fd% buf count",
    "write fd% buf count",
    "readv fd% iov iovcnt%",
    "writev fd% iov iovcnt%",
    "pread64 fd% buf count offset",
    "pwrite64 fd% buf count offset",
    "close fd%",
    "close_range first% last% flags%",
    "lseek fd% offset whence%",
    "open pathname flags% mode%",
    "openat dirfd% pathname flags% mode%",
    "openat2 dirfd% pathname how size",
    "fstat fd% statbuf",
    "newfstatat dirfd% pathname statbuf flags%",
    "statx dirfd% pathname flags% mask% statxbuf",
    "faccessat2 dirfd% pathname mode% flags%",
    "fcntl fd% cmd% arg",
    "ioctl fd% request% arg",
    "dup fd%",
    "dup3 oldfd% newfd% flags%",
    "mmap addr length prot% flags% fd% offset",
    "mprotect addr length prot%",
    "munmap addr length",
    "mremap old_address old_size new_size flags% new_address",
    "madvise addr length advice%",
    "socket domain% type% protocol%",
    "socketpair domain% type% protocol% sv",
    "bind fd% addr addrlen%",
    "connect fd% addr addrlen%",
    "listen fd% backlog%",
    "accept fd% addr addrlen",
    "accept4 fd% addr addrlen flags%",
    "shutdown fd% how%",
    "sendto fd% buf len flags% dest_addr addrlen%",
    "recvfrom fd% buf len flags% src_addr addrlen",
    "sendmsg fd% msg flags%",
    "sendmmsg fd% msgvec vlen% flags%",
    "recvmsg fd% msg flags%",
    "recvmmsg fd% msgvec vlen% flags% timeout",
    "setsockopt fd% level% optname% optval optlen%",
    "getsockopt fd% level% optname% optval optlen",
    "sendfile out_fd% in_fd% offset count",
    "poll fds nfds timeout%",
    "ppoll fds nfds tmo_p sigmask sigsetsize",
    "epoll_create1 flags%",
    "epoll_ctl epfd% op% fd% event",
    "epoll_wait epfd% events maxevents% timeout%",
    "epoll_pwait epfd% events maxevents% timeout% sigmask sigsetsize",
    "clone flags newsp parent_tid child_tid tls",
    "clone3 cl_args size",
    "futex uaddr futex_op% val% timeout uaddr2 val3%",
    "kill pid% sig%",
    "tgkill tgid% tid% sig%",
    "tkill tid% sig%",
    "rt_sigaction signum% act oldact sigsetsize",
    "rt_sigprocmask how% set oldset sigsetsize",
    "prctl option% arg2 arg3 arg4 arg5",
    "clock_gettime clockid% tp",
    "clock_nanosleep clockid% flags% request remain",
    "getrandom buf buflen flags%",
    "memfd_create name flags%",
    "exit status%",
    "exit_group status%",
    "setuid uid%",
    "setgid gid%",
    "setresuid ruid% euid% suid%",
    "setresgid rgid% egid% sgid%",
    "ptrace request pid% addr data",
    "unshare flags%",
    "execve pathname argv envp",
    "personality persona%",
    "getdents64 fd% dirp count%",
    "readlinkat dirfd% pathname buf bufsiz%",
    "ftruncate fd% length",
    "fallocate fd% mode% offset len",
    "pwritev2 fd% iov iovcnt% pos_l pos_h flags%",
    "fsync fd%",
    "fdatasync fd%",
    "pipe2 pipefd flags%",
    "eventfd2 initval% flags%",
    "timerfd_create clockid% flags%",
    "signalfd4 fd% mask sizemask flags%",
    "sched_getaffinity pid% cpusetsize mask",
    "membarrier cmd% flags% cpu_id%",
    "rseq rseq rseq_len% flags% sig%",
    "set_robust_list head len",
    "io_uring_setup entries% p",
    "bpf cmd% attr size%",
    "userfaultfd flags%",
    "getpid",
    "gettid",
    "getppid",
    "brk addr",
    "sigaltstack ss old_ss",
    "rt_sigreturn",
    "restart_syscall",
    "nanosleep req rem",
    "gettimeofday tv tz",
    "pause",
    "sched_yield",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
};

static int find_syscall(const char *syscall, const char **rest)
{
	size_t n = strlen(syscall);
	for (size_t i = 0; i < sizeof(argtab) / sizeof(argtab[0]); i++)
		if (!strncmp(argtab[i], syscall, n) && (argtab[i][n] == ' ' || !argtab[i][n])) {
			*rest = argtab[i] + n;
			return 1;
		}
	return 0;
}

int pol_arg(const char *syscall, const char *name, int *is32)
{
	const char *p;
	int known = find_syscall(syscall, &p);
	if (!strncmp(name, "arg", 3) && name[3] >= '0' && name[3] <= '5' && !name[4]) {
		unsigned i = (unsigned)(name[3] - '0');
		*is32 = known ? pol_arg_is32(syscall, i) : 0;
		return (int)i;
	}
	if (!known)
		return -1;
	for (int i = 0; *p; i++) {
		size_t len;
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len)
			break;
		int int_arg = p[len - 1] == '%';
		size_t nlen = len - (size_t)int_arg;
		if (strlen(name) == nlen && !strncmp(p, name, nlen)) {
			*is32 = int_arg;
			return i;
		}
		p += len;
	}
	return -1;
}

int pol_arg_is32(const char *syscall, unsigned idx)
{
	const char *p;
	if (!find_syscall(syscall, &p))
		return 0;
	for (unsigned i = 0; *p; i++) {
		size_t len;
		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len)
			return 0;
		if (i == idx)
			return p[len - 1] == '%';
		p += len;
	}
	return 0;
}

const char *pol_arg_names(const char *syscall)
{
	const char *p;
	if (!find_syscall(syscall, &p))
		return "arg0 .. arg5";
	p += strspn(p, " ");
	return *p ? p : "(none)";
}

struct cst {
	const char *name;
	int64_t v;
};

#define C(x)                                                                                       \
	{                                                                                          \
#x, (int64_t)(x)                                                                   \
	}
static const struct cst consts[] = {
    /* open */
    C(O_RDONLY),
    C(O_WRONLY),
    C(O_RDWR),
    C(O_ACCMODE),
    C(O_CREAT),
    C(O_EXCL),
    C(O_NOCTTY),
    C(O_TRUNC),
    C(O_APPEND),
    C(O_NONBLOCK),
    C(O_DSYNC),
    C(O_SYNC),
    C(O_DIRECTORY),
    C(O_NOFOLLOW),
    C(O_CLOEXEC),
    C(O_PATH),
    C(O_TMPFILE),
    C(O_NOATIME),
    C(O_LARGEFILE),
    C(O_DIRECT),
    /* at */
    C(AT_FDCWD),
    C(AT_EMPTY_PATH),
    C(AT_SYMLINK_NOFOLLOW),
    C(AT_SYMLINK_FOLLOW),
    C(AT_REMOVEDIR),
    C(AT_NO_AUTOMOUNT),
    C(AT_STATX_SYNC_AS_STAT),
    /* fcntl */
    C(F_DUPFD),
    C(F_DUPFD_CLOEXEC),
    C(F_GETFD),
    C(F_SETFD),
    C(F_GETFL),
    C(F_SETFL),
    C(F_GETLK),
    C(F_SETLK),
    C(F_SETLKW),
    C(F_SETOWN),
    C(F_GETOWN),
    C(F_SETSIG),
    C(F_GETSIG),
    C(F_ADD_SEALS),
    C(F_GET_SEALS),
    C(F_SEAL_SEAL),
    C(F_SEAL_SHRINK),
    C(F_SEAL_GROW),
    C(F_SEAL_WRITE),
    C(FD_CLOEXEC),
    /* pwritev2 (RWF_NOAPPEND is Linux 6.9+, newer than Debian 12's headers) */
    {"RWF_HIPRI", 0x01},
    {"RWF_DSYNC", 0x02},
    {"RWF_SYNC", 0x04},
    {"RWF_NOWAIT", 0x08},
    {"RWF_APPEND", 0x10},
    {"RWF_NOAPPEND", 0x20},
    /* mmap */
    C(PROT_NONE),
    C(PROT_READ),
    C(PROT_WRITE),
    C(PROT_EXEC),
    C(MAP_SHARED),
    C(MAP_PRIVATE),
    C(MAP_FIXED),
    C(MAP_ANONYMOUS),
    C(MAP_NORESERVE),
    C(MAP_STACK),
    C(MAP_GROWSDOWN),
    C(MAP_FIXED_NOREPLACE),
    C(MAP_POPULATE),
    C(MREMAP_MAYMOVE),
    C(MADV_DONTNEED),
    C(MADV_FREE),
    C(MADV_WILLNEED),
    C(MADV_DONTDUMP),
    C(MADV_NORMAL),
    C(MADV_HUGEPAGE),
    C(MADV_NOHUGEPAGE),
    /* sockets */
    C(AF_UNIX),
    C(AF_LOCAL),
    C(AF_INET),
    C(AF_INET6),
    C(AF_NETLINK),
    C(AF_PACKET),
    C(SOCK_STREAM),
    C(SOCK_DGRAM),
    C(SOCK_SEQPACKET),
    C(SOCK_RAW),
    C(SOCK_NONBLOCK),
    C(SOCK_CLOEXEC),
    C(MSG_NOSIGNAL),
    C(MSG_DONTWAIT),
    C(MSG_CMSG_CLOEXEC),
    C(MSG_PEEK),
    C(MSG_WAITALL),
    C(MSG_TRUNC),
    C(MSG_CTRUNC),
    C(MSG_OOB),
    C(MSG_MORE),
    C(MSG_FASTOPEN),
    C(IPPROTO_TCP),
    C(TCP_NODELAY),
    C(TCP_NOTSENT_LOWAT),
    C(TCP_FASTOPEN),
    C(TCP_FASTOPEN_CONNECT),
    C(SOL_SOCKET),
    C(SO_REUSEADDR),
    C(SO_KEEPALIVE),
    C(SO_SNDBUF),
    C(SO_RCVBUF),
    C(SO_PEERCRED),
    C(SHUT_RD),
    C(SHUT_WR),
    C(SHUT_RDWR),
    /* threads */
    C(CLONE_VM),
    C(CLONE_FS),
    C(CLONE_FILES),
    C(CLONE_SIGHAND),
    C(CLONE_THREAD),
    C(CLONE_SYSVSEM),
    C(CLONE_SETTLS),
    C(CLONE_PARENT_SETTID),
    C(CLONE_CHILD_CLEARTID),
    C(CLONE_NEWNS),
    C(CLONE_NEWUSER),
    C(CLONE_NEWPID),
    C(CLONE_NEWNET),
    C(CLONE_NEWIPC),
    C(CLONE_NEWUTS),
    C(CLONE_NEWCGROUP),
    C(CLONE_PIDFD),
    C(FUTEX_WAIT),
    C(FUTEX_WAKE),
    C(FUTEX_PRIVATE_FLAG),
    C(FUTEX_WAIT_BITSET),
    C(FUTEX_WAKE_BITSET),
    /* epoll, poll, time, random, memfd */
    C(EPOLL_CTL_ADD),
    C(EPOLL_CTL_MOD),
    C(EPOLL_CTL_DEL),
    C(EPOLL_CLOEXEC),
    C(POLLIN),
    C(POLLOUT),
    C(CLOCK_REALTIME),
    C(CLOCK_MONOTONIC),
    C(CLOCK_BOOTTIME),
    C(CLOCK_PROCESS_CPUTIME_ID),
    C(CLOCK_THREAD_CPUTIME_ID),
    C(TIMER_ABSTIME),
    C(GRND_NONBLOCK),
    C(GRND_RANDOM),
    C(MFD_CLOEXEC),
    C(MFD_ALLOW_SEALING),
    /* signals */
    C(SIGHUP),
    C(SIGINT),
    C(SIGQUIT),
    C(SIGABRT),
    C(SIGKILL),
    C(SIGSEGV),
    C(SIGPIPE),
    C(SIGALRM),
    C(SIGTERM),
    C(SIGCHLD),
    C(SIGSYS),
    C(SIGUSR1),
    C(SIGUSR2),
    C(SIG_BLOCK),
    C(SIG_UNBLOCK),
    C(SIG_SETMASK),
    /* prctl, ioctl */
    C(PR_SET_NAME),
    C(PR_GET_NAME),
    C(PR_SET_DUMPABLE),
    C(PR_GET_DUMPABLE),
    C(PR_SET_NO_NEW_PRIVS),
    C(PR_GET_NO_NEW_PRIVS),
    C(PR_SET_PDEATHSIG),
    C(FIONREAD),
    C(FIONBIO),
    C(FIOCLEX),
    C(TCGETS),
    /* the helper's end of a worker's seccomp user notification */
    C(SECCOMP_IOCTL_NOTIF_RECV),
    C(SECCOMP_IOCTL_NOTIF_SEND),
};
#undef C

int pol_const(const char *name, int64_t *v)
{
	for (size_t i = 0; i < sizeof(consts) / sizeof(consts[0]); i++)
		if (!strcmp(consts[i].name, name)) {
			*v = consts[i].v;
			return 0;
		}
	return -1;
}

int pol_errno(const char *name)
{
	if (name[0] != 'E')
		return -1;
	for (int e = 1; e < 4096; e++) {
		const char *n = strerrorname_np(e);
		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

int pol_dangerous(const char *syscall)
{
	static const char *const list[] = {
	    "ioctl",
	    "prctl",
	    "clone",
	    "clone3",
	    "socket",
	    "socketpair",
	    "execve",
	    "execveat",
	    "ptrace",
	    "kill",
	    "tkill",
	    "tgkill",
	    "setuid",
	    "setgid",
	    "setresuid",
	    "setresgid",
	    "setgroups",
	    "mount",
	    "umount2",
	    "pivot_root",
	    "chroot",
	    "unshare",
	    "setns",
	    "bpf",
	    "perf_event_open",
	    "keyctl",
	    "add_key",
	    "request_key",
	    "personality",
	    "open",
	    "openat",
	    "openat2",
	    "io_uring_setup",
	    "userfaultfd",
	    "process_vm_readv",
	    "process_vm_writev",
	    "seccomp",
	    "memfd_create",
	    "connect",
	    "bind",
	    "sendfile",
	};
	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (!strcmp(list[i], syscall))
			return 1;
	return 0;
}
