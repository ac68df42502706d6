/* SPDX-License-Identifier: ISC */
/*
 * filter.c - libseccomp rules to BPF, once, in the helper; one syscall to
 * load them in the worker.  policy_compile.c decides the rules; this file
 * only drives libseccomp.
 */
#include <errno.h>
#include <stddef.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filter.h"

/* Linux 5.0 and 5.7; carried for older headers */
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static scmp_filter_ctx build(const struct filter_policy *p, size_t *bad, int *rc)
{
	scmp_filter_ctx ctx;
	/* libseccomp asks the running kernel which actions it has; where it
	 * cannot tell (the seccomp syscall itself refused, as under valgrind)
	 * it would refuse KILL_PROCESS.  The program is for the kernel the
	 * worker loads it on: a kernel without it refuses it there, and the
	 * worker's sandbox fails closed at its last step. */
	if (seccomp_api_get() < 3)
		seccomp_api_set(3);
	ctx = seccomp_init(p->def_action);
	*rc = -ENOMEM;
	if (!ctx)
		return NULL;
	/* libseccomp 2.5.4 sends both the architecture mismatch and, on
	 * x86_64, every number >= 0x40000000 but -1 (x32's, and the
	 * negative ones) to this action (its BPF, read with an export:
	 * JGE 0x40000000, JEQ 0xffffffff) */
	if ((*rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	                            p->badarch_action ? p->badarch_action
	                                              : SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (*rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) < 0 ||
	    (*rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		goto fail;
	for (size_t i = 0; i < p->nrules; i++) {
		const struct filter_rule *r = &p->rules[i];
		struct scmp_arg_cmp c[FILTER_MAX_CMP];
		for (unsigned k = 0; k < r->ncmp; k++)
			c[k] = (struct scmp_arg_cmp){r->cmp[k].arg, (enum scmp_compare)r->cmp[k].op,
			                             r->cmp[k].a, r->cmp[k].b};
		*rc = seccomp_rule_add_exact_array(ctx, r->action, r->nr, r->ncmp, c);
		if (*rc < 0) {
			if (bad)
				*bad = i;
			goto fail;
		}
	}
	*rc = 0;
	return ctx;
fail:
	seccomp_release(ctx);
	return NULL;
}

int filter_compile(const struct filter_policy *p, struct filter_prog *out, size_t *bad)
{
	int rc, fd = -1;
	off_t size;
	scmp_filter_ctx ctx = build(p, bad, &rc);

	out->insns = NULL;
	out->len = 0;
	if (!ctx)
		goto done;
	fd = memfd_create("privsep-bpf", MFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto done;
	}
	if ((rc = seccomp_export_bpf(ctx, fd)) < 0)
		goto done;
	size = lseek(fd, 0, SEEK_END);
	if (size <= 0 || size % (off_t)sizeof(struct sock_filter) ||
	    size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
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
	out->len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
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

int filter_export_pfc(const struct filter_policy *p, int fd)
{
	int rc;
	scmp_filter_ctx ctx = build(p, NULL, &rc);
	if (!ctx) {
		errno = -rc;
		return -1;
	}
	rc = seccomp_export_pfc(ctx, fd);
	seccomp_release(ctx);
	if (rc < 0) {
		errno = -rc;
		return -1;
	}
	return 0;
}

int filter_cache_allows(const struct filter_prog *prog, uint32_t arch, int nr)
{
	uint32_t acc = 0;
	/* every jump of a valid program goes forward, so each step advances
	 * pc and the walk ends within len steps */
	for (unsigned pc = 0; pc < prog->len; pc++) {
		const struct sock_filter *in = &prog->insns[pc];
		int taken;
		switch (in->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (in->k == offsetof(struct seccomp_data, nr))
				acc = (uint32_t)nr;
			else if (in->k == offsetof(struct seccomp_data, arch))
				acc = arch;
			else
				return 0; /* an argument or the ip: decided per call */
			continue;
		case BPF_ALU | BPF_AND | BPF_K:
			acc &= in->k;
			continue;
		case BPF_RET | BPF_K:
			return in->k == SECCOMP_RET_ALLOW;
		case BPF_JMP | BPF_JA:
			pc += in->k;
			continue;
		case BPF_JMP | BPF_JEQ | BPF_K:
			taken = acc == in->k;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			taken = acc >= in->k;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			taken = acc > in->k;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			taken = (acc & in->k) != 0;
			break;
		default:
			return 0; /* the kernel does not emulate it */
		}
		pc += taken ? in->jt : in->jf;
	}
	return 0; /* ran off the end: not a valid program */
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

int filter_load_plain(const struct filter_prog *prog)
{
	struct sock_fprog fp = {prog->len, prog->insns};
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0 ? -1 : 0;
}

int filter_load_listener(const struct filter_prog *prog)
{
	struct sock_fprog fp = {prog->len, prog->insns};
	/* TSYNC and NEW_LISTENER together need TSYNC_ESRCH: a thread that
	 * cannot be synced is then ESRCH, and the return value is the fd */
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
	                  SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_TSYNC_ESRCH |
	                      SECCOMP_FILTER_FLAG_NEW_LISTENER,
	                  &fp);
	if (fd < 0) {
		if (errno == 0)
			errno = ESRCH;
		return -1;
	}
	return (int)fd;
}

int filter_notif_bufs_new(struct filter_notif_bufs *b)
{
	struct seccomp_notif_sizes sz;
	memset(b, 0, sizeof(*b));
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0)
		return -1;
	b->req_size = sz.seccomp_notif > sizeof(*b->req) ? sz.seccomp_notif : sizeof(*b->req);
	b->resp_size =
	    sz.seccomp_notif_resp > sizeof(*b->resp) ? sz.seccomp_notif_resp : sizeof(*b->resp);
	b->req = calloc(1, b->req_size);
	b->resp = calloc(1, b->resp_size);
	if (!b->req || !b->resp) {
		filter_notif_bufs_free(b);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

void filter_notif_bufs_free(struct filter_notif_bufs *b)
{
	free(b->req);
	free(b->resp);
	memset(b, 0, sizeof(*b));
}
