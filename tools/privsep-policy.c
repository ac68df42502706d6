/* SPDX-License-Identifier: ISC */
/*
 * privsep-policy - check, export, explain and verify worker policies.
 * See privsep-policy(1) and docs/POLICY.md.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "learn.h"
#include "policy.h"

static const char usage[] = "usage: privsep-policy check FILE...\n"
                            "       privsep-policy export [--pfc | --bpf] [--debug] FILE\n"
                            "       privsep-policy explain [--debug] FILE SYSCALL [ARG...]\n"
                            "       privsep-policy verify [--debug] FILE...\n"
                            "       privsep-policy shipped [NAME]\n"
                            "       privsep-policy learn [-o FILE] -- COMMAND [ARG...]\n"
                            "       privsep-policy --help | --version\n"
                            "       privsep-policy run [--debug] FILE -- COMMAND [ARG...]\n"
                            "A FILE of the form <name> is a policy shipped with privsep.\n"
                            "Exit status: 0 clean, 1 findings or differences, 2 unusable input.\n";

/* A usage error: one line naming what is wrong (the option, or what is
 * missing), then the usage; exit status 2. */
static int usage_error(const char *cmd, const char *what, const char *arg)
{
	fprintf(stderr, "privsep-policy: %s%s%s%s\n", cmd ? cmd : "", cmd ? ": " : "", what,
	        arg ? arg : "");
	fputs(usage, stderr);
	return 2;
}

/* An argument that is an option ("--x", "-x"), not a FILE or "--". */
static int is_option(const char *a)
{
	return a[0] == '-' && a[1] && strcmp(a, "--") != 0;
}

static void print_line(const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

static struct policy *load(const char *file)
{
	size_t n = strlen(file);
	if (n > 2 && file[0] == '<' && file[n - 1] == '>') {
		char name[256];
		const char *text;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 2), file + 1);
		text = policy_shipped(name);
		if (!text) {
			fprintf(stderr,
			        "%s: no shipped policy of that name (privsep-policy shipped)\n",
			        file);
			return NULL;
		}
		return policy_load(file, text, print_line, NULL);
	}
	return policy_load(file, NULL, print_line, NULL);
}

static int cmd_check(int argc, char **argv)
{
	int worst = 0;
	for (int i = 0; i < argc; i++)
		if (is_option(argv[i]))
			return usage_error("check", "unknown option ", argv[i]);
	for (int i = 0; i < argc; i++) {
		struct policy *p = load(argv[i]);
		int n;
		if (!p) {
			worst = 2;
			continue;
		}
		n = policy_check(p, print_line, NULL);
		if (n) {
			fprintf(stderr, "%s: %d finding%s\n", argv[i], n, n > 1 ? "s" : "");
			if (worst < 1)
				worst = 1;
		} else {
			printf("%s: clean (%zu rules)\n", argv[i], p->nrules);
		}
		policy_free(p);
	}
	return worst;
}

static const char *action_text(const struct pol_rule *r, char *buf, size_t len)
{
	static const char *const n[] = {"allow", "errno", "kill", "trap", "log"};
	if (r->act == FA_ERRNO)
		snprintf(buf, len, "errno %s", strerrorname_np(r->err));
	else
		snprintf(buf, len, "%s", n[r->act]);
	return buf;
}

static void cond_text(const struct pol_rule *r, char *buf, size_t len)
{
	static const char *const ops[] = {"==", "!=", "<",       "<=",       ">",
	                                  ">=", "in", "has-any", "has-none", "within"};
	size_t o = 0;
	buf[0] = '\0';
	for (unsigned k = 0; k < r->ncond && o < len; k++) {
		const struct pol_cond *c = &r->cond[k];
		o += (size_t)snprintf(buf + o, len - o, "%sarg%u%s %s ", k ? " and " : "", c->arg,
		                      c->is32 ? "(int)" : "", ops[c->op]);
		if (c->op == P_IN) {
			for (unsigned j = 0; j < c->nset && o < len; j++)
				o += (size_t)snprintf(buf + o, len - o, "%s0x%llx", j ? ", " : "{",
				                      (unsigned long long)c->set[j]);
			if (o < len)
				o += (size_t)snprintf(buf + o, len - o, "}");
		} else if (o < len) {
			o += (size_t)snprintf(buf + o, len - o, "0x%llx",
			                      (unsigned long long)c->val);
		}
	}
	if (!r->ncond)
		snprintf(buf, len, "any arguments");
}

static int cmd_export(int argc, char **argv)
{
	int pfc = 0, bpf = 0, debug = 0, i = 0;
	struct policy *p;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--pfc"))
			pfc = 1;
		else if (!strcmp(argv[i], "--bpf"))
			bpf = 1;
		else if (!strcmp(argv[i], "--debug"))
			debug = 1;
		else
			return usage_error("export", "unknown option ", argv[i]);
	}
	if (i + 1 != argc)
		return usage_error("export", i == argc ? "no FILE" : "one FILE only", NULL);
	p = load(argv[i]);
	if (!p)
		return 2;
	if (pfc) {
		fflush(stdout);
		int rc = policy_export_pfc(p, debug, STDOUT_FILENO, print_line, NULL);
		policy_free(p);
		return rc < 0 ? 2 : 0;
	}
	if (bpf) {
		struct filter_prog prog;
		if (policy_compile(p, &prog, debug, print_line, NULL) < 0) {
			policy_free(p);
			return 2;
		}
		printf("# %s: %u instructions (struct sock_filter: code jt jf k)\n", argv[i],
		       prog.len);
		for (unsigned k = 0; k < prog.len; k++)
			printf("%4u: 0x%04x %3u %3u 0x%08x\n", k, prog.insns[k].code,
			       prog.insns[k].jt, prog.insns[k].jf, prog.insns[k].k);
		filter_prog_free(&prog);
		policy_free(p);
		return 0;
	}
	printf("# %s: the effective rules, first match per syscall wins\n", argv[i]);
	printf("%-20s %-14s %-44s %s\n", "syscall", "action", "condition", "source");
	for (size_t k = 0; k < p->nrules; k++) {
		const struct pol_rule *r = &p->rules[k];
		char a[32], c[512], src[512];
		action_text(r, a, sizeof(a));
		cond_text(r, c, sizeof(c));
		snprintf(src, sizeof(src), "%s:%d%s%s", r->loc.file, r->loc.line,
		         r->group[0] ? " " : "", r->group);
		printf("%-20s %-14s %-44s %s\n", r->syscall, a, c, src);
	}
	if (p->have_unknown) {
		struct pol_rule u = {.act = p->unknown_act, .err = p->unknown_err};
		char a[32];
		printf("%-20s %-14s %-44s %s:%d\n", "(unnamed numbers)",
		       action_text(&u, a, sizeof(a)), "numbers 0..511 this table does not name",
		       p->unknown_loc.file, p->unknown_loc.line);
	}
	{
		struct pol_rule d = {.act = p->def_act, .err = p->def_err};
		char a[32];
		printf("%-20s %-14s %-44s %s:%d\n", "(everything else)",
		       action_text(&d, a, sizeof(a)), "", p->def_loc.file ? p->def_loc.file : "",
		       p->def_loc.line);
	}
	printf("%-20s %-14s %-44s %s\n", "(other architectures)", "kill", "i386, x32, ...",
	       "fixed");
	policy_free(p);
	return 0;
}

/* A number, a constant, or A|B|... of them. */
static int parse_arg(const char *s, uint64_t *v)
{
	char buf[256], *save = NULL, *part;
	snprintf(buf, sizeof(buf), "%s", s);
	*v = 0;
	if (!buf[0])
		return -1;
	for (part = strtok_r(buf, "|", &save); part; part = strtok_r(NULL, "|", &save)) {
		char *end;
		int64_t c;
		int neg = part[0] == '-';
		errno = 0;
		unsigned long long x = strtoull(part + neg, &end, 0);
		if (!*end && !errno && part[neg] && neg && x > (1ull << 63))
			return -1; /* under -2^63: no 64-bit value */
		if (!*end && !errno && part[neg])
			*v |= neg ? 0 - (uint64_t)x : x;
		else if (pol_const(part, &c) == 0)
			*v |= (uint64_t)c;
		else
			return -1;
	}
	return 0;
}

static int cmd_explain(int argc, char **argv)
{
	int debug = 0, i = 0, nr;
	uint64_t args[6] = {0};
	struct policy *p;
	const struct pol_rule *r;
	uint32_t act;
	char why[600];
	if (i < argc && !strcmp(argv[i], "--debug")) {
		debug = 1;
		i++;
	}
	if (i < argc && is_option(argv[i]))
		return usage_error("explain", "unknown option ", argv[i]);
	if (argc - i < 2 || argc - i > 8)
		return usage_error(
		    "explain", argc - i < 2 ? "FILE and SYSCALL needed" : "at most 6 ARGs", NULL);
	p = load(argv[i]);
	if (!p)
		return 2;
	nr = seccomp_syscall_resolve_name(argv[i + 1]);
	if (nr == __NR_SCMP_ERROR) {
		fprintf(stderr, "%s: not a syscall on this architecture\n", argv[i + 1]);
		policy_free(p);
		return 2;
	}
	for (int k = i + 2; k < argc; k++)
		if (parse_arg(argv[k], &args[k - i - 2]) < 0) {
			fprintf(stderr, "%s: not a number or a known constant\n", argv[k]);
			policy_free(p);
			return 2;
		}
	act = policy_eval(p, debug, seccomp_arch_native(), nr, args, &r);
	policy_explain(p, debug, nr, args, why, sizeof(why));
	switch (act & 0xffff0000u) {
	case SCMP_ACT_ALLOW:
		printf("allow");
		break;
	case SCMP_ACT_KILL_PROCESS:
		printf("kill");
		break;
	case SCMP_ACT_TRAP:
		printf("trap");
		break;
	case SCMP_ACT_LOG:
		printf("log");
		break;
	default:
		printf("errno %s", strerrorname_np((int)(act & 0xffff)));
	}
	printf(": %s(", argv[i + 1]);
	for (int k = 0; k < 6; k++)
		printf("%s0x%llx", k ? ", " : "", (unsigned long long)args[k]);
	printf(") is decided by %s", why);
	if (r && r->reason[0])
		printf(", because \"%s\"", r->reason);
	printf("\n");
	policy_free(p);
	return 0;
}

static int cmd_verify(int argc, char **argv)
{
	int debug = 0, i = 0, worst = 0;
	if (i < argc && !strcmp(argv[i], "--debug")) {
		debug = 1;
		i++;
	}
	if (i < argc && is_option(argv[i]))
		return usage_error("verify", "unknown option ", argv[i]);
	if (i >= argc)
		return usage_error("verify", "no FILE", NULL);
	for (; i < argc; i++) {
		struct policy *p = load(argv[i]);
		struct filter_prog prog;
		unsigned long calls = 0;
		int n;
		if (!p || policy_compile(p, &prog, debug, print_line, NULL) < 0) {
			policy_free(p);
			worst = 2;
			continue;
		}
		n = policy_verify(p, &prog, debug, print_line, NULL, &calls);
		if (n < 0) {
			worst = 2;
		} else if (n > 0) {
			fprintf(stderr, "%s: %d of %lu calls differ\n", argv[i], n, calls);
			if (worst < 1)
				worst = 1;
		} else {
			printf(
			    "%s: verified: %u instructions agree with the policy over %lu calls\n",
			    argv[i], prog.len, calls);
		}
		filter_prog_free(&prog);
		policy_free(p);
	}
	return worst;
}

static int cmd_shipped(int argc, char **argv)
{
	if (argc > 1)
		return usage_error("shipped", "one NAME at most", NULL);
	if (argc == 1 && is_option(argv[0]))
		return usage_error("shipped", "unknown option ", argv[0]);
	if (argc == 0) {
		for (int i = 0; policy_shipped_names[i]; i++)
			printf("<%s>\n", policy_shipped_names[i]);
		return 0;
	}
	char name[256];
	size_t n = strlen(argv[0]);
	if (n > 2 && argv[0][0] == '<' && argv[0][n - 1] == '>')
		snprintf(name, sizeof(name), "%.*s", (int)(n - 2), argv[0] + 1);
	else
		snprintf(name, sizeof(name), "%s", argv[0]);
	const char *t = policy_shipped(name);
	if (!t) {
		fprintf(stderr, "%s: no shipped policy of that name\n", argv[0]);
		return 2;
	}
	fputs(t, stdout);
	return 0;
}

/* Check, compile, verify, then load FILE into this process and run the
 * command under it: to try a policy (a learned one, say) on a program. */
static int cmd_run(int argc, char **argv)
{
	int debug = 0, i = 0;
	struct policy *p;
	struct filter_prog prog = {0};
	unsigned long calls;
	if (i < argc && !strcmp(argv[i], "--debug")) {
		debug = 1;
		i++;
	}
	if (i < argc && is_option(argv[i]))
		return usage_error("run", "unknown option ", argv[i]);
	if (argc - i < 3 || strcmp(argv[i + 1], "--") != 0)
		return usage_error("run", "FILE -- COMMAND needed", NULL);
	p = load(argv[i]);
	if (!p)
		return 2;
	if (policy_check(p, print_line, NULL) != 0 ||
	    policy_compile(p, &prog, debug, print_line, NULL) < 0 ||
	    policy_verify(p, &prog, debug, print_line, NULL, &calls) != 0) {
		fprintf(stderr, "%s: not loaded: check and verify must pass\n", argv[i]);
		filter_prog_free(&prog);
		policy_free(p);
		return 2;
	}
	policy_free(p);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || filter_load(&prog) < 0) {
		perror("privsep-policy run: loading the filter");
		filter_prog_free(&prog);
		return 2;
	}
	execvp(argv[i + 2], argv + i + 2);
	return 127; /* the filter may have refused execve itself */
}

static int cmd_learn(int argc, char **argv)
{
	const char *outpath = NULL;
	FILE *out = stdout;
	unsigned long calls;
	int i = 0, st;
	if (i < argc && !strcmp(argv[i], "-o")) {
		if (i + 1 >= argc)
			return usage_error("learn", "-o needs a value", NULL);
		outpath = argv[i + 1];
		i += 2;
	}
	if (i < argc && is_option(argv[i]))
		return usage_error("learn", "unknown option ", argv[i]);
	if (i < argc && !strcmp(argv[i], "--"))
		i++;
	if (i >= argc)
		return usage_error("learn", "no COMMAND", NULL);
	if (outpath && !(out = fopen(outpath, "we"))) {
		perror(outpath);
		return 2;
	}
	st = policy_learn(argv + i, out, &calls);
	if (outpath)
		fclose(out);
	if (st < 0) {
		perror("privsep-policy learn");
		return 2;
	}
	fprintf(stderr, "privsep-policy learn: %s exited with %d after %lu syscalls%s%s\n", argv[i],
	        st, calls, outpath ? "; proposal in " : "", outpath ? outpath : "");
	return 0;
}

static const char *const commands[] = {"check", "export", "explain", "verify", "run", "learn"};

int main(int argc, char **argv)
{
	if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		fputs(usage, stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		printf("privsep-policy (privsep) %s\n", privsep_version());
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "check"))
		return cmd_check(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "export"))
		return cmd_export(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "explain"))
		return cmd_explain(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "verify"))
		return cmd_verify(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (argc >= 3 && !strcmp(argv[1], "learn"))
		return cmd_learn(argc - 2, argv + 2);
	if (argc >= 2 && !strcmp(argv[1], "shipped"))
		return cmd_shipped(argc - 2, argv + 2);
	if (argc < 2)
		return usage_error(NULL, "no command", NULL);
	if (is_option(argv[1]))
		return usage_error(NULL, "unknown option ", argv[1]);
	for (size_t k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (!strcmp(argv[1], commands[k]))
			return usage_error(commands[k], "arguments missing", NULL);
	return usage_error(NULL, "unknown command ", argv[1]);
}
