/* SPDX-License-Identifier: ISC */
/*
 * spawner_known.c - what a confined helper's spawner may start: only what
 * the helper could have started when it confined itself.
 *
 * The spawner is a fork of the helper at that moment, so it holds a copy
 * of everything the application set up before: the programs it opened
 * (privsep_exec_open, or an exec-mode spawn's fd, still open then), the
 * policies its spawns loaded (policies.c's cache: path, text and mode),
 * the users its spawns named.  A request on the spawner's socket is the
 * confined helper's, so maybe a compromised one's: each of those fields
 * must be one of these, else the spawner refuses it (EPERM, one line on
 * its standard error and in the answer's log) and goes on.
 *
 * A reload after confining may change a policy's text (a file edited, a
 * --root changed): a text not byte-identical to a known one of the same
 * name and mode is still taken when it allows no more than that one
 * (policy_within): no syscall rule that lets a call through which the
 * known policy did not have with the same arguments, no rule of the known
 * one that refused a call dropped for a syscall it lets through, the same
 * user, a limit only lower.  Its file rules (the broker's, applied by the
 * helper itself) may change freely.
 *
 * The environment of an exec-mode worker is the request's, but the
 * loader's part of it is not: a variable the C library's loader honours
 * (and drops in secure mode: LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT,
 * GLIBC_TUNABLES, ...) would run code of the request's choice in the new
 * image before the worker narrows itself, under exec mode's first filter
 * and Landlock layer (the loader's opens, executable mappings).  Such an
 * entry must be, byte for byte, one a spawn gave before confining.
 *
 * So must each of an exec-mode worker's read_beneath paths: exec mode's
 * root (a root helper's) binds them, and its first Landlock layer lets
 * the worker read beneath them, so a request's "/" gave a worker of a
 * known program (its argv the request's) every file its user may read,
 * which the confined helper, under its own Landlock, no longer can.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "helper_int.h"
#include "policy.h"
#include "spawner.h"

/* programs and users noted before confining, at most */
#define KNOWN_MAX 128

struct known_prog {
	int fd;
	dev_t dev;
	ino_t ino;
};

/* This process's notes (every helper's: the spawner takes the whole
 * process's, which is what an unconfined helper could start). */
static struct known_prog progs[KNOWN_MAX];
static size_t nprogs;
static char *users[KNOWN_MAX];
static size_t nusers;
/* environment entries of the loader's a spawn gave (spawner_known_env) */
static char *envs[KNOWN_MAX];
static size_t nenvs;
/* the read_beneath paths a spawn gave */
static char *reads[KNOWN_MAX];
static size_t nreads;
/* The notes are made from any thread (privsep_exec_open, privsep_spawn);
 * the spawner's fork holds this lock, so it takes them whole. */
static pthread_mutex_t notes_lock = PTHREAD_MUTEX_INITIALIZER;

/* In the spawner: the programs still open when it was forked, and the
 * first entry of the policy cache then (entries are put in front, so
 * those known are it and every one after it). */
static struct known_prog snap_progs[KNOWN_MAX];
static size_t nsnap_progs;
static const struct pol_entry *snap_policies;
static int snap_taken;

void spawner_known_program(int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	pthread_mutex_lock(&notes_lock);
	for (size_t i = 0; i < nprogs; i++)
		if (progs[i].fd == fd && progs[i].dev == st.st_dev && progs[i].ino == st.st_ino) {
			pthread_mutex_unlock(&notes_lock);
			return;
		}
	if (nprogs == KNOWN_MAX) {
		/* the oldest first: one whose fd was closed since is likely */
		memmove(progs, progs + 1, sizeof(progs[0]) * (KNOWN_MAX - 1));
		nprogs--;
	}
	progs[nprogs++] = (struct known_prog){fd, st.st_dev, st.st_ino};
	pthread_mutex_unlock(&notes_lock);
}

/* Whether the environment entry e names a variable glibc's loader or
 * libc reads for code, libraries or files to load, the ones it drops in
 * secure mode (a set-user-ID start): every LD_ and MALLOC_ one, and the
 * others by name. */
static int loader_env(const char *e)
{
	static const char *const names[] = {
	    "GLIBC_TUNABLES",   "GCONV_PATH",  "GETCONF_DIR", "HOSTALIASES",
	    "LOCALDOMAIN",      "LOCPATH",     "NIS_PATH",    "NLSPATH",
	    "RESOLV_HOST_CONF", "RES_OPTIONS", "TMPDIR",      "TZDIR",
	};
	size_t n = strcspn(e, "=");
	if (!strncmp(e, "LD_", 3) || !strncmp(e, "MALLOC_", 7))
		return 1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i]) == n && !strncmp(e, names[i], n))
			return 1;
	return 0;
}

/* Whether s is one of the n strings of list. */
static int noted(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

/* s into list (n of them, at most KNOWN_MAX) unless it is there; under
 * notes_lock. */
static void note_string(char **list, size_t *n, const char *s)
{
	char *c;
	if (noted(list, *n, s))
		return;
	if (*n < KNOWN_MAX && (c = strdup(s)))
		list[(*n)++] = c;
}

/* The length of e's name to print: its leading letters, digits and
 * underscores, at most 64 (the rest is the request's, maybe a line). */
static int env_name_len(const char *e)
{
	size_t n = strspn(e, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
	return n > 64 ? 64 : (int)n;
}

/* The length of path to print: its leading printable bytes but the
 * quote, at most 64 (the rest is the request's, maybe a line). */
static int path_len(const char *p)
{
	int n = 0;
	while (n < 64 && p[n] >= 0x20 && p[n] < 0x7f && p[n] != '"')
		n++;
	return n;
}

void spawner_known_spawn(const struct privsep_spawn *sp)
{
	const char *u = sp->sandbox && !sp->unsandboxed ? sp->sandbox->user : NULL;
	const char *const *ev = sp->exec ? sp->exec->envp : NULL;
	const char *const *rb = sp->exec ? sp->exec->read_beneath : NULL;
	size_t nrb = rb ? sp->exec->nread : 0;
	if (sp->exec)
		spawner_known_program(sp->exec->fd);
	if (!u && !ev && !nrb)
		return;
	pthread_mutex_lock(&notes_lock);
	if (u)
		note_string(users, &nusers, u);
	for (size_t i = 0; ev && ev[i]; i++)
		if (loader_env(ev[i]))
			note_string(envs, &nenvs, ev[i]);
	for (size_t i = 0; i < nrb; i++)
		if (rb[i])
			note_string(reads, &nreads, rb[i]);
	pthread_mutex_unlock(&notes_lock);
}

void spawner_known_hold(void)
{
	pthread_mutex_lock(&notes_lock);
}

void spawner_known_release(void)
{
	pthread_mutex_unlock(&notes_lock);
}

void spawner_known_take(const struct privsep_helper *h)
{
	/* a program counts while its fd is open on the same file: a number
	 * closed since may be anything now */
	nsnap_progs = 0;
	for (size_t i = 0; i < nprogs; i++) {
		struct stat st;
		if (fstat(progs[i].fd, &st) == 0 && st.st_dev == progs[i].dev &&
		    st.st_ino == progs[i].ino)
			snap_progs[nsnap_progs++] = progs[i];
	}
	snap_policies = h->policies;
	snap_taken = 1;
}

static int refuse(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	errno = EPERM;
	return -1;
}

static int known_program(int fd, struct stat *st)
{
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode))
		return 0;
	for (size_t i = 0; i < nsnap_progs; i++)
		if (snap_progs[i].dev == st->st_dev && snap_progs[i].ino == st->st_ino)
			return 1;
	return 0;
}

static int known_user(const struct privsep_helper *h, const char *u)
{
	(void)h;
	if (noted(users, nusers, u))
		return 1;
	/* a user a known policy names */
	for (const struct pol_entry *e = snap_policies; e; e = pol_entry_next(e))
		if (!pol_entry_filter_only(e) && !strcmp(pol_entry_policy(e)->user, u))
			return 1;
	return 0;
}

static int permits(enum filter_action a)
{
	return a == FA_ALLOW || a == FA_LOG;
}

static int same_rule(const struct pol_rule *a, const struct pol_rule *b)
{
	if (a->nr != b->nr || a->act != b->act || a->ncond != b->ncond ||
	    (a->act == FA_ERRNO && a->err != b->err))
		return 0;
	for (unsigned i = 0; i < a->ncond; i++) {
		const struct pol_cond *x = &a->cond[i], *y = &b->cond[i];
		if (x->arg != y->arg || x->is32 != y->is32 || x->op != y->op || x->val != y->val ||
		    x->nset != y->nset || memcmp(x->set, y->set, sizeof(x->set[0]) * x->nset))
			return 0;
	}
	return 1;
}

static int has_rule(const struct policy *p, const struct pol_rule *r)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (same_rule(&p->rules[i], r))
			return 1;
	return 0;
}

static int lets_through(const struct policy *p, int nr)
{
	for (size_t i = 0; i < p->nrules; i++)
		if (p->rules[i].nr == nr && permits(p->rules[i].act))
			return 1;
	return 0;
}

/* Whether n allows no more than k (the file header): 1, or 0 with what
 * does not hold in why. */
/* The exec-mode first filter's own additions (spawn_exec_policy_text):
 * <exec.policy>'s rules and the lines after the worker's policy in the
 * filter's top text (the one execveat, the sanitizer's two).  arg: the
 * top text's name and its first line past the worker's policy. */
struct exec_tail {
	const char *name;
	int line;
};

static int exec_addition(const struct pol_rule *r, const struct exec_tail *t)
{
	const char *f = r->loc.file ? r->loc.file : "";
	return t &&
	       (!strcmp(f, "<exec.policy>") || (!strcmp(f, t->name) && r->loc.line >= t->line));
}

static int policy_within_but(const struct policy *n, const struct policy *k,
                             const struct exec_tail *tail, char *why, size_t len);

static int policy_within(const struct policy *n, const struct policy *k, char *why, size_t len)
{
	return policy_within_but(n, k, NULL, why, len);
}

static int policy_within_but(const struct policy *n, const struct policy *k,
                             const struct exec_tail *tail, char *why, size_t len)
{
	if (permits(n->def_act) && !permits(k->def_act)) {
		snprintf(why, len, "its default lets calls through");
		return 0;
	}
	if (n->have_unknown && permits(n->unknown_act) &&
	    !(k->have_unknown && permits(k->unknown_act))) {
		snprintf(why, len, "it lets unknown calls through");
		return 0;
	}
	for (size_t i = 0; i < n->nrules; i++) {
		const struct pol_rule *r = &n->rules[i];
		if (!permits(r->act) || exec_addition(r, tail))
			continue;
		if (!has_rule(k, r)) {
			snprintf(why, len,
			         "%s:%d allows %s, which the policy known had no such rule for",
			         r->loc.file ? r->loc.file : "?", r->loc.line, r->syscall);
			return 0;
		}
	}
	/* a call let through keeps every refusal the known policy had for it */
	for (size_t i = 0; i < k->nrules; i++) {
		const struct pol_rule *r = &k->rules[i];
		if (!permits(r->act) && lets_through(n, r->nr) && !has_rule(n, r)) {
			snprintf(why, len, "the rule that refused some %s calls is gone",
			         r->syscall);
			return 0;
		}
	}
	if (strcmp(n->user, k->user)) {
		snprintf(why, len, "its user \"%s\" is not \"%s\"", n->user, k->user);
		return 0;
	}
	for (int i = 0; i < POL_RL_COUNT; i++)
		if (k->have_rlimit[i] ? !n->have_rlimit[i] || n->rlimit[i] > k->rlimit[i]
		                      : n->have_rlimit[i]) {
			snprintf(why, len, "a limit is higher or new");
			return 0;
		}
	if (n->namespaces == 0 && k->namespaces != 0) {
		snprintf(why, len, "it turns namespaces off");
		return 0;
	}
	return 1;
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void quiet(const char *msg, void *arg)
{
	(void)msg;
	(void)arg;
}

/* Whether text includes a file by path (include "..."): a reload's text
 * is read twice in the spawner, checked and then compiled, and a file
 * could change in between; a shipped policy (<name>) cannot. */
static int includes_a_file(const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		l += strspn(l, " \t");
		if (!strncmp(l, "include", 7) && (l[7] == ' ' || l[7] == '\t') &&
		    l[7 + strspn(l + 7, " \t")] == '"')
			return 1;
	}
	return 0;
}

/* The policy of the request: known as it is, or within a known one of
 * the same name and mode.  0, or -1 with why. */
static int known_policy(const struct spawner_req *q, int mode, char *why, size_t whylen)
{
	const char *path = q->sp.sandbox ? q->sb.policy : NULL;
	const char *text = q->sp.sandbox ? q->sb.policy_text : NULL;
	const char *name = path ? path : "<default.policy>";
	char first[256] = "", within[256] = "";
	int named = 0;
	struct policy *n;

	/* the shipped default, which is in the library and no file, but
	 * not unenforced (learn mode) unless a spawn asked for that */
	if (!path && !text && mode != POL_MODE_LEARN)
		return 0;
	/* byte-identical; a file's by path alone is the one compiled then,
	 * which the spawner's copy of the cache uses (not read again) */
	for (const struct pol_entry *e = snap_policies; e; e = pol_entry_next(e))
		if (!pol_entry_filter_only(e) && pol_entry_mode(e) == mode &&
		    same(pol_entry_path(e), path) && same(pol_entry_text(e), text))
			return 0;
	if (!path && !text)
		return refuse(why, whylen,
		              "learn mode (not enforced), which no spawn asked for before the "
		              "helper confined itself");
	/* a reload's: the text changed; given as text (a file by path alone
	 * is read twice, checked then compiled) and reading no file */
	if (!text)
		return refuse(why, whylen,
		              "its policy %s is a file by path alone that the helper did not load "
		              "in this mode before it confined itself",
		              name);
	if (includes_a_file(text))
		return refuse(why, whylen,
		              "its policy %s is a new text that includes a file by path (only "
		              "shipped <policies> in a text a reload changed)",
		              name);
	n = policy_load(name, text, quiet, NULL);
	if (!n)
		return refuse(why, whylen, "its policy %s cannot be read", name);
	for (const struct pol_entry *e = snap_policies; e; e = pol_entry_next(e)) {
		if (pol_entry_filter_only(e) || pol_entry_mode(e) != mode ||
		    !same(pol_entry_path(e), path))
			continue;
		named = 1;
		if (policy_within(n, pol_entry_policy(e), within, sizeof(within))) {
			policy_free(n);
			return 0;
		}
		if (!first[0])
			snprintf(first, sizeof(first), "%s", within);
	}
	policy_free(n);
	if (!named)
		return refuse(why, whylen,
		              "its policy %s (in this mode) is none the helper loaded before it "
		              "confined itself",
		              name);
	return refuse(why, whylen,
	              "its policy %s allows more than the one of that name the helper loaded "
	              "before it confined itself: %s",
	              name, first);
}

/* The first line of the first filter's top text after the worker's
 * policy text (the additions follow it on a line of their own). */
static int lines_of(const char *text)
{
	size_t len = strlen(text);
	int n = 1;
	for (const char *p = text; *p; p++)
		n += *p == '\n';
	return n + (len && text[len - 1] != '\n');
}

int spawner_known_used(const struct spawner_req *q, int mode, const struct policy *pol,
                       const struct policy *filter_pol, char *why, size_t whylen)
{
	const char *path = q->sp.sandbox ? q->sb.policy : NULL;
	const char *text = q->sp.sandbox ? q->sb.policy_text : NULL;
	char name[PATH_MAX + 16], within[256] = "";
	struct exec_tail tail;

	if (!path && !text)
		return 0; /* the shipped default: no file of anyone's */
	/* the first filter's top text, as spawn_exec_policy_text names it:
	 * the worker's text then the additions, or a head including the
	 * worker's file (two lines) then the additions */
	if (path && !text)
		snprintf(name, sizeof(name), "%s (exec mode)", path);
	else
		snprintf(name, sizeof(name), "%s", path ? path : "");
	tail.name = name;
	tail.line = text ? lines_of(text) : 3;
	for (const struct pol_entry *e = snap_policies; e; e = pol_entry_next(e)) {
		const struct policy *k = pol_entry_policy(e);
		if (pol_entry_filter_only(e) || pol_entry_mode(e) != mode ||
		    !same(pol_entry_path(e), path))
			continue;
		if (policy_within(pol, k, within, sizeof(within)) &&
		    (!filter_pol ||
		     policy_within_but(filter_pol, k, &tail, within, sizeof(within))))
			return 0;
	}
	return refuse(why, whylen,
	              "the policy %s as compiled allows more than the one of that name the "
	              "helper loaded before it confined itself (a file it includes changed "
	              "since it was checked)%s%s",
	              path ? path : "(text)", within[0] ? ": " : "", within);
}

int spawner_known_check(const struct privsep_helper *h, const struct spawner_req *q, int mode,
                        char *why, size_t whylen)
{
	struct stat st;
	memset(&st, 0, sizeof(st));
	if (!snap_taken)
		return refuse(why, whylen, "the spawner took no note of what it may start");
	if (!known_program(q->ex.fd, &st))
		return refuse(
		    why, whylen,
		    "its program (device %lu, inode %lu) is none the helper opened before "
		    "it confined itself",
		    (unsigned long)st.st_dev, (unsigned long)st.st_ino);
	if (q->sp.sandbox && q->sb.user && !known_user(h, q->sb.user))
		return refuse(
		    why, whylen,
		    "its user \"%s\" is none the helper's spawns or policies named before "
		    "it confined itself",
		    q->sb.user);
	for (size_t i = 0; q->ex.envp && q->ex.envp[i]; i++)
		if (loader_env(q->ex.envp[i]) && !noted(envs, nenvs, q->ex.envp[i]))
			return refuse(
			    why, whylen,
			    "its environment sets %.*s, a variable of the loader's that no "
			    "spawn gave so before the helper confined itself",
			    env_name_len(q->ex.envp[i]), q->ex.envp[i]);
	for (size_t i = 0; i < q->ex.nread; i++)
		if (!noted(reads, nreads, q->ex.read_beneath[i]))
			return refuse(why, whylen,
			              "its read_beneath \"%.*s\"%s is none a spawn gave before the "
			              "helper confined itself",
			              path_len(q->ex.read_beneath[i]), q->ex.read_beneath[i],
			              q->ex.read_beneath[i][path_len(q->ex.read_beneath[i])] ? "..."
			                                                                     : "");
	return known_policy(q, mode, why, whylen);
}
