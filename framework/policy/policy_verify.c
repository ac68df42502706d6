/* SPDX-License-Identifier: ISC */
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

/* The machine's state while it runs. */
struct bpf_vm {
	uint32_t A, X, M[BPF_MEMWORDS];
	const uint8_t *d;
	size_t len;
	unsigned pc;
};

/* Loads and stores (classes LD, LDX, ST, STX): 0, or an errno. */
static int bpf_ldst(struct bpf_vm *m, uint16_t code, uint32_t k)
{
	switch (code) {
	case BPF_LD | BPF_W | BPF_ABS:
		if (k > m->len - 4 || k % 4)
			return EFAULT;
		memcpy(&m->A, m->d + k, 4);
		return 0;
	case BPF_LD | BPF_W | BPF_LEN:
		m->A = (uint32_t)m->len;
		return 0;
	case BPF_LDX | BPF_W | BPF_LEN:
		m->X = (uint32_t)m->len;
		return 0;
	case BPF_LD | BPF_IMM:
		m->A = k;
		return 0;
	case BPF_LDX | BPF_IMM:
		m->X = k;
		return 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (k >= BPF_MEMWORDS)
			return EFAULT;
		if (code == (BPF_LD | BPF_MEM))
			m->A = m->M[k];
		else if (code == (BPF_LDX | BPF_MEM))
			m->X = m->M[k];
		else if (code == BPF_ST)
			m->M[k] = m->A;
		else
			m->M[k] = m->X;
		return 0;
	default:
		return EINVAL;
	}
}

/* Arithmetic (class ALU) on A with k or X: 0, or an errno. */
static int bpf_alu(struct bpf_vm *m, uint16_t code, uint32_t k)
{
	uint32_t b = BPF_SRC(code) == BPF_K ? k : m->X;
	switch (BPF_OP(code)) {
	case BPF_ADD:
		m->A += b;
		return 0;
	case BPF_SUB:
		m->A -= b;
		return 0;
	case BPF_MUL:
		m->A *= b;
		return 0;
	case BPF_DIV:
	case BPF_MOD:
		if (!b)
			return EDOM;
		m->A = BPF_OP(code) == BPF_DIV ? m->A / b : m->A % b;
		return 0;
	case BPF_AND:
		m->A &= b;
		return 0;
	case BPF_OR:
		m->A |= b;
		return 0;
	case BPF_XOR:
		m->A ^= b;
		return 0;
	case BPF_LSH:
		m->A = b < 32 ? m->A << b : 0;
		return 0;
	case BPF_RSH:
		m->A = b < 32 ? m->A >> b : 0;
		return 0;
	case BPF_NEG:
		if (code != (BPF_ALU | BPF_NEG))
			return EINVAL;
		m->A = -m->A;
		return 0;
	default:
		return EINVAL;
	}
}

/* Jumps (class JMP): 0, or an errno. */
static int bpf_jmp(struct bpf_vm *m, const struct sock_filter *f)
{
	uint32_t b = BPF_SRC(f->code) == BPF_K ? f->k : m->X;
	int taken;
	switch (BPF_OP(f->code)) {
	case BPF_JA:
		if (f->code != (BPF_JMP | BPF_JA))
			return EINVAL;
		m->pc += f->k;
		return 0;
	case BPF_JEQ:
		taken = m->A == b;
		break;
	case BPF_JGT:
		taken = m->A > b;
		break;
	case BPF_JGE:
		taken = m->A >= b;
		break;
	case BPF_JSET:
		taken = (m->A & b) != 0;
		break;
	default:
		return EINVAL;
	}
	m->pc += taken ? f->jt : f->jf;
	return 0;
}

uint32_t bpf_run(const struct filter_prog *prog, const void *data, size_t len, int *err)
{
	struct bpf_vm m = {.d = data, .len = len};
	unsigned steps = 0;
	*err = 0;
	while (m.pc < prog->len && steps++ < 65536) {
		const struct sock_filter *f = &prog->insns[m.pc++];
		if (f->code > 0xff) { /* no classic BPF code has these bits */
			*err = EINVAL;
			return 0;
		}
		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
		case BPF_LDX:
		case BPF_ST:
		case BPF_STX:
			*err = bpf_ldst(&m, f->code, f->k);
			break;
		case BPF_ALU:
			*err = bpf_alu(&m, f->code, f->k);
			break;
		case BPF_JMP:
			*err = bpf_jmp(&m, f);
			break;
		case BPF_RET:
			if (f->code == (BPF_RET | BPF_K))
				return f->k;
			if (f->code == (BPF_RET | BPF_A))
				return m.A;
			*err = EINVAL;
			break;
		default: /* BPF_MISC */
			if (f->code == (BPF_MISC | BPF_TAX))
				m.X = m.A;
			else if (f->code == (BPF_MISC | BPF_TXA))
				m.A = m.X;
			else
				*err = EINVAL;
		}
		if (*err)
			return 0;
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
	case SECCOMP_RET_USER_NOTIF:
		snprintf(buf, len, "user-notify");
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
		snprintf(
		    msg, sizeof(msg),
		    "verify: %s(0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx, 0x%llx) [nr %d, arch 0x%x]: the policy says %s (%s), the compiled filter does %s",
		    name ? name : "?", (unsigned long long)args[0], (unsigned long long)args[1],
		    (unsigned long long)args[2], (unsigned long long)args[3],
		    (unsigned long long)args[4], (unsigned long long)args[5], nr, arch, w, where,
		    g);
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

int policy_probe(const struct policy *p, policy_probe_fn fn, void *arg)
{
	uint64_t zero[6] = {0}, junk[6];

	for (int i = 0; i < 6; i++)
		junk[i] = 0xfeedface00000000ull | (uint64_t)i;
	/* every number, with plain and junk arguments */
	for (int nr = 0; nr <= POL_UNKNOWN_MAX + 64; nr++)
		if (fn(seccomp_arch_native(), nr, zero, arg) < 0 ||
		    fn(seccomp_arch_native(), nr, junk, arg) < 0)
			return -1;
	if (fn(seccomp_arch_native(), -1, zero, arg) < 0)
		return -1;
	/* a negative number but -1: the architecture check's, as x32's */
	if (fn(seccomp_arch_native(), -2, zero, arg) < 0)
		return -1;
	/* foreign architectures and x32 numbers */
	for (int nr = 0; nr < 8; nr++)
		if (fn(AUDIT_ARCH_I386, nr, zero, arg) < 0 ||
		    fn(seccomp_arch_native(), 0x40000000 | nr, zero, arg) < 0 ||
		    fn(AUDIT_ARCH_AARCH64, nr, zero, arg) < 0)
			return -1;
	/* each rule: a call that satisfies it, then every condition's
	 * boundary values one at a time */
	for (size_t i = 0; p && i < p->nrules; i++) {
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
		if (fn(seccomp_arch_native(), r->nr, sat, arg) < 0)
			return -1;
		for (unsigned k = 0; k < r->ncond; k++) {
			uint64_t cand[600];
			unsigned nc = probe_values(&r->cond[k], cand, 600);
			for (unsigned j = 0; j < nc; j++) {
				uint64_t t[6];
				memcpy(t, sat, sizeof(t));
				t[r->cond[k].arg] = cand[j];
				if (fn(seccomp_arch_native(), r->nr, t, arg) < 0)
					return -1;
			}
		}
	}
	return 0;
}

static int one_fn(uint32_t arch, int nr, const uint64_t args[6], void *arg)
{
	return one(arg, arch, nr, args);
}

int policy_verify(const struct policy *p, const struct filter_prog *prog, int debug,
                  pol_diag_fn diag, void *arg, unsigned long *ncalls)
{
	struct vctx v = {p, prog, debug, diag, arg, 0, 0};

	if (policy_probe(p, one_fn, &v) < 0)
		return -1;
	if (ncalls)
		*ncalls = v.calls;
	return v.bad;
}
