/* SPDX-License-Identifier: ISC */
/*
 * policy_append.c - what an append-only grant means for the filter.
 *
 * A file rule that grants append but not write promises that the worker
 * only adds bytes to the file.  The broker opens such a file only with
 * O_WRONLY|O_APPEND (services/fs.c); what would turn that fd into one
 * that rewrites existing bytes is a syscall, so the filter must hold it:
 *
 *   fcntl(F_SETFL) without O_APPEND    clears O_APPEND (the rules that
 *                                      allow F_SETFL by its cmd are
 *                                      narrowed here, at load)
 *   pwritev2(..., RWF_NOAPPEND)        writes at an offset (Linux 6.9+)
 *   fallocate(PUNCH_HOLE, ZERO_RANGE,  zeroes or moves existing bytes
 *             COLLAPSE/INSERT_RANGE)
 *   ftruncate                          cuts them (unless the grant says
 *                                      truncate too)
 *   io_submit, io_uring_setup          an iocb or a ring's entry carries
 *                                      RWF_NOAPPEND where no filter can
 *                                      read it
 *
 * (pwrite and pwritev append on an O_APPEND fd; mmap needs O_RDWR for a
 * shared writable map; splice, sendfile and copy_file_range refuse an
 * O_APPEND output.)
 */
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include "policy.h"

#define RWF_NOAPPEND_ 0x20u /* Linux 6.9 */

/* The first file rule that grants append without write, or NULL. */
static const struct pol_file *append_only(const struct policy *p)
{
	for (size_t i = 0; i < p->nfiles; i++)
		if ((p->files[i].rights & POL_R_APPEND) && !(p->files[i].rights & POL_R_WRITE))
			return &p->files[i];
	return NULL;
}

static int lets_through(enum filter_action a)
{
	return a == FA_ALLOW || a == FA_LOG;
}

static struct pol_cond *cond_on(struct pol_rule *r, unsigned arg)
{
	for (unsigned k = 0; k < r->ncond; k++)
		if (r->cond[k].arg == arg)
			return &r->cond[k];
	return NULL;
}

/* Rule r allows F_SETFL only: require O_APPEND in its argument (a rule
 * that already holds the argument is left as it is, and check reports it
 * if it lets O_APPEND be cleared). */
static void require_append(struct pol_rule *r, const struct pol_file *f)
{
	if (cond_on(r, 2) || r->ncond >= POL_MAX_COND)
		return;
	r->cond[r->ncond++] = (struct pol_cond){.arg = 2, .op = P_ANY, .val = O_APPEND};
	snprintf(r->reason, sizeof(r->reason),
	         "F_SETFL only with O_APPEND set: %s:%d grants append without write", f->loc.file,
	         f->loc.line);
}

int policy_append_narrow(struct policy *p)
{
	const struct pol_file *f = append_only(p);
	if (!f)
		return 0;
	for (size_t i = 0; i < p->nrules; i++) {
		struct pol_rule *r = &p->rules[i];
		struct pol_cond *cmd;
		unsigned k, j;
		if (strcmp(r->syscall, "fcntl") || !lets_through(r->act) || !(cmd = cond_on(r, 1)))
			continue;
		if (cmd->op == P_EQ && (cmd->val & 0xffffffffu) == F_SETFL) {
			require_append(r, f);
			continue;
		}
		if (cmd->op != P_IN)
			continue; /* another form: check reports it if it allows F_SETFL */
		for (k = 0; k < cmd->nset && (cmd->set[k] & 0xffffffffu) != F_SETFL; k++)
			;
		if (k == cmd->nset || cond_on(r, 2))
			continue;
		if (cmd->nset == 1) {
			require_append(r, f);
			continue;
		}
		/* split: the set without F_SETFL, and F_SETFL with O_APPEND */
		size_t ci = (size_t)(cmd - r->cond);
		if (p->nrules == p->caprules) {
			size_t nc = p->caprules ? p->caprules * 2 : 64;
			struct pol_rule *nr = realloc(p->rules, nc * sizeof(*nr));
			if (!nr)
				return -1;
			p->rules = nr;
			p->caprules = nc;
		}
		memmove(&p->rules[i + 2], &p->rules[i + 1],
		        (p->nrules - i - 1) * sizeof(p->rules[0]));
		p->nrules++;
		p->rules[i + 1] = p->rules[i];
		struct pol_cond *set = &p->rules[i].cond[ci], *one = &p->rules[i + 1].cond[ci];
		for (j = k; j + 1 < set->nset; j++)
			set->set[j] = set->set[j + 1];
		set->nset--;
		one->op = P_EQ;
		one->val = F_SETFL;
		one->nset = 0;
		require_append(&p->rules[i + 1], f);
		i++;
	}
	return 0;
}

/* Does p let the call through? */
static int allowed(const struct policy *p, int nr, uint64_t a0, uint64_t a1, uint64_t a2,
                   uint64_t a3, uint64_t a4, uint64_t a5, const struct pol_rule **r)
{
	const uint64_t args[6] = {a0, a1, a2, a3, a4, a5};
	uint32_t v = policy_eval(p, 0, seccomp_arch_native(), nr, args, r);
	v &= SECCOMP_RET_ACTION_FULL;
	return v == SCMP_ACT_ALLOW || v == SCMP_ACT_LOG;
}

static void finding(const struct policy *p, const struct pol_file *f, const struct pol_rule *r,
                    const char *what, const char *fix, pol_diag_fn diag, void *arg)
{
	char msg[1024];
	const struct pol_loc *loc = r ? &r->loc : &p->def_loc;
	if (!diag) /* counted by the caller, told to nobody */
		return;
	snprintf(
	    msg, sizeof(msg),
	    "%s is allowed, and %s:%d grants append without write: the worker could rewrite existing bytes of the file; %s",
	    what, f->loc.file, f->loc.line, fix);
	if (loc->file && loc->line) {
		char full[1400];
		snprintf(full, sizeof(full), "%s:%d:%d: %s", loc->file, loc->line, loc->col, msg);
		diag(full, arg);
	} else {
		diag(msg, arg);
	}
}

int policy_append_check(const struct policy *p, pol_diag_fn diag, void *arg)
{
	const struct pol_file *f = append_only(p);
	const struct pol_rule *r;
	int n = 0, no_truncate = 0;
	if (!f)
		return 0;
	for (size_t i = 0; i < p->nfiles; i++)
		no_truncate |= (p->files[i].rights & POL_R_APPEND) &&
		               !(p->files[i].rights & (POL_R_WRITE | POL_R_TRUNCATE));
	static const uint64_t setfl[] = {0, O_NONBLOCK, O_RDWR, ~(uint64_t)O_APPEND};
	for (size_t i = 0; i < sizeof(setfl) / sizeof(setfl[0]); i++)
		if (allowed(p, SYS_fcntl, 3, F_SETFL, setfl[i], 0, 0, 0, &r)) {
			finding(p, f, r, "fcntl F_SETFL without O_APPEND",
			        "allow F_SETFL only if arg has-any O_APPEND", diag, arg);
			n++;
			break;
		}
	if (allowed(p, SYS_pwritev2, 3, 0, 1, 0, 0, RWF_NOAPPEND_, &r)) {
		finding(p, f, r, "pwritev2 with RWF_NOAPPEND",
		        "allow pwritev2 only if flags has-none RWF_NOAPPEND", diag, arg);
		n++;
	}
	static const uint64_t modes[] = {0x03 /* PUNCH_HOLE|KEEP_SIZE */, 0x08 /* COLLAPSE */,
	                                 0x10 /* ZERO_RANGE */, 0x20 /* INSERT */};
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (allowed(p, SYS_fallocate, 3, modes[i], 0, 1, 0, 0, &r)) {
			finding(p, f, r, "fallocate that punches, zeroes or moves a range",
			        "allow fallocate only if mode within FALLOC_FL_KEEP_SIZE (1)", diag,
			        arg);
			n++;
			break;
		}
	if (no_truncate && allowed(p, SYS_ftruncate, 3, 0, 0, 0, 0, 0, &r)) {
		finding(p, f, r, "ftruncate", "do not allow ftruncate, or grant truncate", diag,
		        arg);
		n++;
	}
	if (allowed(p, SYS_io_submit, 0, 1, 0, 0, 0, 0, &r)) {
		finding(p, f, r, "io_submit (whose RWF_NOAPPEND no filter can read)",
		        "do not allow io_submit", diag, arg);
		n++;
	}
	if (allowed(p, SYS_io_uring_setup, 1, 0, 0, 0, 0, 0, &r)) {
		finding(
		    p, f, r,
		    "io_uring_setup (a ring's writes carry RWF_NOAPPEND where no filter can read it)",
		    "do not allow io_uring_setup", diag, arg);
		n++;
	}
	return n;
}
