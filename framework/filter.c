/*
 * filter.c - a worker's seccomp rules: compiled with libseccomp in the
 * helper, exported as BPF once, loaded by the worker with one syscall.
 *
 * libseccomp 2.5.4 compares every argument on 64 bits; an int argument
 * (fd, flags) is compared here with a masked compare on its low 32 bits,
 * the bits the kernel uses, so junk in the upper half can neither slip
 * past a rule nor make glibc's zero-extended values miss one.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filter.h"

#define LOW32 0xffffffffull
#define A32(n, o, x)                                                                               \
	{                                                                                          \
		(n), (o), (x), 0, 1                                                                \
	}
#define A64(n, o, x, y)                                                                            \
	{                                                                                          \
		(n), (o), (x), (y), 0                                                              \
	}
#define ALLOW(s)                                                                                   \
	{                                                                                          \
		s, FA_ALLOW, 0, 0, {{0}}, "builtin", NULL                                          \
	}

/* The framework's own needs in the worker. */
static const struct filter_rule builtin_rules[] = {
    /* the channel */
    ALLOW("read"),
    ALLOW("write"),
    ALLOW("readv"),
    ALLOW("writev"),
    ALLOW("recvmsg"),
    ALLOW("sendmsg"),
    ALLOW("recvfrom"),
    ALLOW("sendto"),
    ALLOW("shutdown"),
    ALLOW("close"),
    ALLOW("poll"),
    ALLOW("ppoll"),
    ALLOW("epoll_create1"),
    ALLOW("epoll_ctl"),
    ALLOW("epoll_wait"),
    ALLOW("epoll_pwait"),
    ALLOW("lseek"),
    ALLOW("pread64"),
    ALLOW("pwrite64"),
    /* fstat, as glibc makes it: newfstatat(fd, "", AT_EMPTY_PATH) only,
     * so that no path can be probed */
    {"fstat", FA_ALLOW, 0, 0, {{0}}, "builtin", NULL},
    {"newfstatat", FA_ALLOW, 0, 1, {A32(3, SCMP_CMP_EQ, AT_EMPTY_PATH)}, "builtin", NULL},
    {"fcntl", FA_ALLOW, 0, 1, {A32(1, SCMP_CMP_EQ, F_GETFD)}, "builtin", NULL},
    {"fcntl", FA_ALLOW, 0, 1, {A32(1, SCMP_CMP_EQ, F_SETFD)}, "builtin", NULL},
    {"fcntl", FA_ALLOW, 0, 1, {A32(1, SCMP_CMP_EQ, F_GETFL)}, "builtin", NULL},
    {"fcntl", FA_ALLOW, 0, 1, {A32(1, SCMP_CMP_EQ, F_SETFL)}, "builtin", NULL},
    /* memory: never executable */
    ALLOW("brk"),
    {"mmap", FA_ALLOW, 0, 1, {A32(2, SCMP_CMP_MASKED_EQ, PROT_EXEC)}, "builtin", NULL},
    {"mprotect", FA_ALLOW, 0, 1, {A32(2, SCMP_CMP_MASKED_EQ, PROT_EXEC)}, "builtin", NULL},
    ALLOW("munmap"),
    ALLOW("mremap"),
    ALLOW("madvise"),
    /* threads: clone only as pthread_create makes it */
    {"clone",
     FA_ALLOW,
     0,
     1,
     {A64(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD)},
     "builtin",
     "threads only: CLONE_THREAD set"},
    {"clone3",
     FA_ERRNO,
     ENOSYS,
     0,
     {{0}},
     "builtin",
     "clone3 passes its flags in memory the filter cannot read; glibc falls back to clone"},
    ALLOW("futex"),
    ALLOW("set_robust_list"),
    ALLOW("rseq"),
    ALLOW("sched_yield"),
    /* signals, time, ids, exit */
    ALLOW("rt_sigaction"),
    ALLOW("rt_sigprocmask"),
    ALLOW("rt_sigreturn"),
    ALLOW("sigaltstack"),
    ALLOW("restart_syscall"),
    ALLOW("clock_gettime"),
    ALLOW("clock_nanosleep"),
    ALLOW("nanosleep"),
    ALLOW("pause"),
    ALLOW("gettimeofday"),
    ALLOW("getpid"),
    ALLOW("gettid"),
    ALLOW("getppid"),
    ALLOW("getuid"),
    ALLOW("geteuid"),
    ALLOW("getgid"),
    ALLOW("getegid"),
    ALLOW("getrandom"),
    ALLOW("exit"),
    ALLOW("exit_group"),
#if defined(__SANITIZE_ADDRESS__)
    /* AddressSanitizer builds only (the test suite's second run): its
     * thread start asks for the CPU mask */
    {"sched_getaffinity", FA_ALLOW, 0, 0, {{0}}, "builtin", "sanitizer runtime, test builds only"},
#endif
};

static const struct filter_policy builtin = {
    builtin_rules, sizeof(builtin_rules) / sizeof(builtin_rules[0]), "built-in default policy"};

const struct filter_policy *filter_builtin(void)
{
	return &builtin;
}

static uint32_t action_of(const struct filter_rule *r)
{
	switch (r->action) {
	case FA_ALLOW:
		return SCMP_ACT_ALLOW;
	case FA_ERRNO:
		return SCMP_ACT_ERRNO((uint16_t)r->err);
	case FA_TRAP:
		return SCMP_ACT_TRAP;
	case FA_LOG:
		return SCMP_ACT_LOG;
	case FA_KILL:
		break;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static struct scmp_arg_cmp to_scmp(const struct filter_cmp *c)
{
	struct scmp_arg_cmp s = {c->arg, (enum scmp_compare)c->op, c->a, c->b};
	if (!c->is32)
		return s;
	/* the low 32 bits only */
	if (c->op == SCMP_CMP_EQ) {
		s.op = SCMP_CMP_MASKED_EQ;
		s.datum_a = LOW32;
		s.datum_b = c->a & LOW32;
	} else if (c->op == SCMP_CMP_MASKED_EQ) {
		/* MASKED_EQ(mask, value): the policy gives "bits in mask are
		 * value"; with a single datum, "none of these bits" (value 0) */
		s.datum_a = c->a & LOW32;
		s.datum_b = c->b & LOW32;
	}
	return s;
}

int filter_compile(const struct filter_policy *p, int debug, struct filter_prog *out,
                   const char **bad)
{
	scmp_filter_ctx ctx = seccomp_init(debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	int rc = -ENOMEM, fd = -1;
	off_t size;

	out->insns = NULL;
	out->len = 0;
	if (!ctx)
		goto done;
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		goto done;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct filter_rule *r = &p->rules[i];
		struct scmp_arg_cmp c[FILTER_MAX_CMP];
		int nr = seccomp_syscall_resolve_name(r->syscall);
		if (nr == __NR_SCMP_ERROR) {
			if (bad)
				*bad = r->syscall;
			rc = -EINVAL;
			goto done;
		}
		for (unsigned k = 0; k < r->ncmp; k++) {
			/* an int compared on its low half: only == and masked ==
			 * can ignore the upper half in libseccomp 2.5.4 */
			if (r->cmp[k].is32 && r->cmp[k].op != SCMP_CMP_EQ &&
			    r->cmp[k].op != SCMP_CMP_MASKED_EQ) {
				if (bad)
					*bad = r->syscall;
				rc = -EINVAL;
				goto done;
			}
			c[k] = to_scmp(&r->cmp[k]);
		}
		rc = seccomp_rule_add_exact_array(ctx, action_of(r), nr, r->ncmp, c);
		if (rc < 0) {
			if (bad)
				*bad = r->syscall;
			goto done;
		}
	}
	fd = memfd_create("privsep-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto done;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		goto done;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % sizeof(struct sock_filter) ||
	    size / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		rc = -E2BIG;
		goto done;
	}
	out->insns = malloc((size_t)size);
	if (!out->insns || pread(fd, out->insns, (size_t)size, 0) != size) {
		free(out->insns);
		out->insns = NULL;
		rc = -EIO;
		goto done;
	}
	out->len = (unsigned short)(size / sizeof(struct sock_filter));
	rc = 0;
done:
	if (fd >= 0)
		close(fd);
	if (ctx)
		seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

void filter_prog_free(struct filter_prog *prog)
{
	free(prog->insns);
	prog->insns = NULL;
	prog->len = 0;
}

int filter_load(const struct filter_prog *prog)
{
	struct sock_fprog fp = {prog->len, prog->insns};
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp) != 0) {
		if (errno == 0)
			errno = ESRCH; /* TSYNC: another thread could not be synced */
		return -1;
	}
	return 0;
}

static int cmp_holds(const struct filter_cmp *c, uint64_t v)
{
	uint64_t a = c->a, b = c->b;
	if (c->is32) {
		v &= LOW32;
		a &= LOW32;
		b &= LOW32;
	}
	switch (c->op) {
	case SCMP_CMP_NE:
		return v != a;
	case SCMP_CMP_LT:
		return v < a;
	case SCMP_CMP_LE:
		return v <= a;
	case SCMP_CMP_EQ:
		return v == a;
	case SCMP_CMP_GE:
		return v >= a;
	case SCMP_CMP_GT:
		return v > a;
	case SCMP_CMP_MASKED_EQ:
		return (v & a) == b;
	default:
		return 0;
	}
}

const struct filter_rule *filter_explain(const struct filter_policy *p, int nr,
                                         const uint64_t *args, char *why, size_t whylen)
{
	int some = 0;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct filter_rule *r = &p->rules[i];
		unsigned k;
		if (seccomp_syscall_resolve_name(r->syscall) != nr)
			continue;
		some = 1;
		if (!args && r->ncmp)
			continue;
		for (k = 0; k < r->ncmp && cmp_holds(&r->cmp[k], args[r->cmp[k].arg]); k++)
			;
		if (k == r->ncmp) {
			snprintf(why, whylen, "rule %s (%s)", r->origin, r->syscall);
			return r;
		}
	}
	if (some)
		snprintf(why, whylen, "the default action of the %s (%s)", p->name,
		         args ? "no rule for this syscall matched its arguments"
		              : "allowed only with argument conditions; arguments unknown");
	else
		snprintf(why, whylen, "the default action of the %s (the syscall is not in it)",
		         p->name);
	return NULL;
}
