/*
 * policy_verify.c - run a compiled seccomp program in a userspace
 * classic-BPF interpreter over every syscall number and a grid of
 * argument values, and compare each result with the policy's meaning
 * (policy_eval).  This guards against compiler mistakes, ours or
 * libseccomp's: a difference is reported with the call that shows it.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

uint32_t bpf_run(const struct filter_prog *prog, const void *data, size_t len, int *err)
{
	uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {0};
	const uint8_t *d = data;
	unsigned pc = 0, steps = 0;
	*err = 0;
	while (pc < prog->len && steps++ < 65536) {
		const struct sock_filter *f = &prog->insns[pc++];
		uint32_t k = f->k;
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (k > len - 4 || k % 4) {
				*err = EFAULT;
				return 0;
			}
			memcpy(&A, d + k, 4);
			break;
		case BPF_LD | BPF_W | BPF_LEN:
			A = (uint32_t)len;
			break;
		case BPF_LDX | BPF_W | BPF_LEN:
			X = (uint32_t)len;
			break;
		case BPF_LD | BPF_IMM:
			A = k;
			break;
		case BPF_LDX | BPF_IMM:
			X = k;
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
		case BPF_ST:
		case BPF_STX:
			if (k >= BPF_MEMWORDS) {
				*err = EFAULT;
				return 0;
			}
			if (f->code == (BPF_LD | BPF_MEM))
				A = M[k];
			else if (f->code == (BPF_LDX | BPF_MEM))
				X = M[k];
			else if (f->code == BPF_ST)
				M[k] = A;
			else
				M[k] = X;
			break;
		case BPF_ALU | BPF_ADD | BPF_K:
			A += k;
			break;
		case BPF_ALU | BPF_ADD | BPF_X:
			A += X;
			break;
		case BPF_ALU | BPF_SUB | BPF_K:
			A -= k;
			break;
		case BPF_ALU | BPF_SUB | BPF_X:
			A -= X;
			break;
		case BPF_ALU | BPF_MUL | BPF_K:
			A *= k;
			break;
		case BPF_ALU | BPF_MUL | BPF_X:
			A *= X;
			break;
		case BPF_ALU | BPF_DIV | BPF_K:
		case BPF_ALU | BPF_DIV | BPF_X:
		case BPF_ALU | BPF_MOD | BPF_K:
		case BPF_ALU | BPF_MOD | BPF_X: {
			uint32_t b = BPF_SRC(f->code) == BPF_K ? k : X;
			if (!b) {
				*err = EDOM;
				return 0;
			}
			A = BPF_OP(f->code) == BPF_DIV ? A / b : A % b;
			break;
		}
		case BPF_ALU | BPF_AND | BPF_K:
			A &= k;
			break;
		case BPF_ALU | BPF_AND | BPF_X:
			A &= X;
			break;
		case BPF_ALU | BPF_OR | BPF_K:
			A |= k;
			break;
		case BPF_ALU | BPF_OR | BPF_X:
			A |= X;
			break;
		case BPF_ALU | BPF_XOR | BPF_K:
			A ^= k;
			break;
		case BPF_ALU | BPF_XOR | BPF_X:
			A ^= X;
			break;
		case BPF_ALU | BPF_LSH | BPF_K:
			A = k < 32 ? A << k : 0;
			break;
		case BPF_ALU | BPF_LSH | BPF_X:
			A = X < 32 ? A << X : 0;
			break;
		case BPF_ALU | BPF_RSH | BPF_K:
			A = k < 32 ? A >> k : 0;
			break;
		case BPF_ALU | BPF_RSH | BPF_X:
			A = X < 32 ? A >> X : 0;
			break;
		case BPF_ALU | BPF_NEG:
			A = -A;
			break;
		case BPF_MISC | BPF_TAX:
			X = A;
			break;
		case BPF_MISC | BPF_TXA:
			A = X;
			break;
		case BPF_JMP | BPF_JA:
			pc += k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += A == k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JEQ | BPF_X:
			pc += A == X ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += A > k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_X:
			pc += A > X ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += A >= k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += A >= X ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (A & k) ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_X:
			pc += (A & X) ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return k;
		case BPF_RET | BPF_A:
			return A;
		default:
			*err = EINVAL;
			return 0;
		}
	}
	*err = ERANGE; /* ran off the end, or looped */
	return 0;
}

static void describe(uint32_t v, char *buf, size_t len)
{
	switch (v & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_KILL_PROCESS:
		snprintf(buf, len, "kill-process");
		break;
	case SECCOMP_RET_KILL_THREAD:
		snprintf(buf, len, "kill-thread");
		break;
	case SECCOMP_RET_TRAP:
		snprintf(buf, len, "trap");
		break;
	case SECCOMP_RET_ERRNO:
		snprintf(buf, len, "errno %u", v & SECCOMP_RET_DATA);
		break;
	case SECCOMP_RET_LOG:
		snprintf(buf, len, "log");
		break;
	case SECCOMP_RET_ALLOW:
		snprintf(buf, len, "allow");
		break;
	default:
		snprintf(buf, len, "0x%08x", v);
	}
}

struct vctx {
	const struct policy *p;
	const struct filter_prog *prog;
	int debug;
	pol_diag_fn diag;
	void *arg;
	int bad;
	unsigned long calls;
};

static int one(struct vctx *v, uint32_t arch, int nr, const uint64_t args[6])
{
	struct seccomp_data d;
	const struct pol_rule *r;
	uint32_t want, got;
	int err;
	memset(&d, 0, sizeof(d));
	d.nr = nr;
	d.arch = arch;
	memcpy(d.args, args, sizeof(d.args));
	want = policy_eval(v->p, v->debug, arch, nr, args, &r);
	got = bpf_run(v->prog, &d, sizeof(d), &err);
	v->calls++;
	if (err) {
		char msg[256];
		snprintf(msg, sizeof(msg), "the program cannot run: %s at syscall %d",
		         strerror(err), nr);
		if (v->diag)
			v->diag(msg, v->arg);
		return -1;
	}
	if (want != got && v->bad < 20) {
		char w[32], g[32], msg[900], where[300],
		    *name = seccomp_syscall_resolve_num_arch(arch, nr);
		if (r)
			snprintf(where, sizeof(where), "%s:%d", r->loc.file, r->loc.line);
		else
			snprintf(where, sizeof(where), "a default");
		describe(want, w, sizeof(w));
		describe(got, g, sizeof(g));
		snprintf(msg, sizeof(msg),
		         "verify: %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) [nr %d, arch "
		         "0x%x]: "
		         "the policy says %s (%s), the compiled filter does %s",
		         name ? name : "?", (unsigned long long)args[0],
		         (unsigned long long)args[1], (unsigned long long)args[2],
		         (unsigned long long)args[3], (unsigned long long)args[4],
		         (unsigned long long)args[5], nr, arch, w, where, g);
		free(name);
		if (v->diag)
			v->diag(msg, v->arg);
	}
	if (want != got)
		v->bad++;
	return 0;
}

/* Values worth trying for one condition: its boundaries, with and
 * without junk in the upper half. */
static unsigned probe_values(const struct pol_cond *c, uint64_t *out, unsigned max)
{
	unsigned n = 0;
	uint64_t base[POL_MAX_SET + 1];
	unsigned nb = 0;
#define PUT(x)                                                                                     \
	do {                                                                                       \
		if (n < max)                                                                       \
			out[n++] = (x);                                                            \
	} while (0)
	if (c->op == P_IN)
		for (unsigned i = 0; i < c->nset; i++)
			base[nb++] = c->set[i];
	else
		base[nb++] = c->val;
	PUT(0);
	PUT(1);
	PUT(0xffffffffull);
	PUT(~0ull);
	PUT(0x100000000ull);
	for (unsigned i = 0; i < nb; i++) {
		uint64_t v = base[i];
		PUT(v);
		PUT(v + 1);
		PUT(v - 1);
		PUT(v & 0xffffffffull);
		PUT((v & 0xffffffffull) | 0xdead00000000ull);
		PUT(((v + 1) & 0xffffffffull) | 0x100000000ull);
		PUT(~v);
		for (int b = 0; b < 64; b++)
			if (v & (1ull << b)) {
				PUT(v & ~(1ull << b));
				PUT(1ull << b);
			}
	}
#undef PUT
	return n;
}

int policy_verify(const struct policy *p, const struct filter_prog *prog, int debug,
                  pol_diag_fn diag, void *arg, unsigned long *ncalls)
{
	struct vctx v = {p, prog, debug, diag, arg, 0, 0};
	uint64_t zero[6] = {0}, junk[6];

	for (int i = 0; i < 6; i++)
		junk[i] = 0xfeedface00000000ull | (uint64_t)i;
	/* every number, with plain and junk arguments */
	for (int nr = 0; nr <= POL_UNKNOWN_MAX + 64; nr++)
		if (one(&v, seccomp_arch_native(), nr, zero) < 0 ||
		    one(&v, seccomp_arch_native(), nr, junk) < 0)
			return -1;
	if (one(&v, seccomp_arch_native(), -1, zero) < 0)
		return -1;
	/* foreign architectures and x32 numbers */
	for (int nr = 0; nr < 8; nr++)
		if (one(&v, AUDIT_ARCH_I386, nr, zero) < 0 ||
		    one(&v, seccomp_arch_native(), 0x40000000 | nr, zero) < 0 ||
		    one(&v, AUDIT_ARCH_AARCH64, nr, zero) < 0)
			return -1;
	/* each rule: a call that satisfies it, then every condition's
	 * boundary values one at a time */
	for (size_t i = 0; i < p->nrules; i++) {
		const struct pol_rule *r = &p->rules[i];
		uint64_t sat[6] = {0};
		if (r->nr < 0)
			continue;
		for (unsigned k = 0; k < r->ncond; k++) {
			const struct pol_cond *c = &r->cond[k];
			uint64_t cand[600];
			unsigned nc = probe_values(c, cand, 600);
			/* a satisfying value: the first candidate that holds */
			for (unsigned j = 0; j < nc; j++)
				if (policy_cond_holds(c, cand[j])) {
					sat[c->arg] = cand[j];
					break;
				}
		}
		if (one(&v, seccomp_arch_native(), r->nr, sat) < 0)
			return -1;
		for (unsigned k = 0; k < r->ncond; k++) {
			uint64_t cand[600];
			unsigned nc = probe_values(&r->cond[k], cand, 600);
			for (unsigned j = 0; j < nc; j++) {
				uint64_t t[6];
				memcpy(t, sat, sizeof(t));
				t[r->cond[k].arg] = cand[j];
				if (one(&v, seccomp_arch_native(), r->nr, t) < 0)
					return -1;
			}
		}
	}
	if (ncalls)
		*ncalls = v.calls;
	return v.bad;
}
