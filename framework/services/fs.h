/* SPDX-License-Identifier: ISC */
/*
 * fs.h - internal: the file broker's decisions, apart from its I/O, so
 * that they can be tested and fuzzed on their own (fs_rules.c), and the
 * helper's side, given its context with each request (fs_host.c).
 */
#ifndef PRIVSEP_FS_H
#define PRIVSEP_FS_H

#include <stddef.h>

#include "policy.h"

/* The directory fds of a policy's file rules, opened by the helper when
 * the policy is loaded; fd[i] belongs to file rule i: a beneath rule's
 * root (-1: it could not be opened, and the rule refuses every path), or
 * the directory an exact path is in, for the broker's quick look only
 * (-1: no quick look for that rule). */
struct fs_root {
	int *fd;
	size_t n;
};

/* Operations, as rights they need. */
enum fs_op { FS_OP_OPEN, FS_OP_STAT, FS_OP_READLINK, FS_OP_ACCESS };

struct fs_decision {
	int rule;         /* index in the policy's file rules, -1 none */
	char rel[4096];   /* beneath a root: the path below it ("." for the root) */
	char norm[4096];  /* the normalised path */
	int want_dir;     /* the path ended in / */
	int flags;        /* open flags to use (O_CLOEXEC, O_NOCTTY added) */
	int op, arg;      /* what was decided: enum fs_op, its flags or mode */
	char detail[256]; /* why, when refused */
	int confined;     /* set by the caller: the helper confined itself
	                   * (Landlock), which the words of a refusal the
	                   * kernel made name */
};

/* Decide from the strings alone whether path may be used for op with
 * flags (open) or mode (access) under p's file rules.  0 and *d filled,
 * or an errno (EINVAL malformed, EACCES refused) with d->detail saying
 * which rule or that none allows it. */
int fs_decide(const struct policy *p, const char *path, int op, int flags_or_mode,
              struct fs_decision *d);

/* Normalise an absolute path: collapse //, drop ., refuse .., note a
 * trailing /.  0, or EINVAL / EACCES / ENAMETOOLONG with detail. */
int fs_normalise(const char *path, char *out, size_t len, int *want_dir, char *detail, size_t dlen);

/* The next component of the path at *s, past its slashes (// is one
 * separator) and past any "." component: its start, with its length in
 * *k and *s past it; NULL at the end of the path.  ".." is returned like
 * any other name (fs_rules.c). */
const char *fs_next_name(const char **s, size_t *k);

/* Whether a deeper rule of pol (a deeper root, an exact path) lies
 * beneath the root of beneath rule i: then a symlink under rule i may
 * lead where that rule decides (fs_target.c). */
int fs_rule_has_deeper(const struct policy *pol, int i);

/* The name, as r's path spells it, of what fd is beneath r's root (its
 * fd rootfd), as the kernel reports both (/proc/self/fd), with "/" and
 * last appended when last is not NULL: 0, or -1 when it cannot tell. */
int fs_target_name(const struct pol_file *r, int rootfd, int fd, const char *last, char *out,
                   size_t len);

/* Open what d decided, as its rule says (helper side).  The fd, or -1
 * with errno for the worker and detail set. */
int fs_broker_open(const struct fs_root *roots, const struct policy *pol,
                   const struct fs_decision *d, char *detail, size_t dlen);

/* The same, with *st the fstat of the fd returned, taken after the
 * identity check (and after the mode of a created file was set): the
 * stat of the very file handed out, never of a name (FS_OPEN's answer
 * with its stat, revision 1.6). */
struct stat;
int fs_broker_open_st(const struct fs_root *roots, const struct policy *pol,
                      const struct fs_decision *d, struct stat *st, char *detail, size_t dlen);

/* An O_PATH look at what d decided (flags: O_PATH with O_DIRECTORY or
 * O_NOFOLLOW as the call asks), beneath its rule's root, refused on a
 * pseudo filesystem the rule does not name: the stat, readlink and
 * access of the broker and of privsep-run's notifier.  The fd, or -1
 * with errno for the worker and detail set. */
int fs_broker_look(const struct fs_root *roots, const struct policy *pol,
                   const struct fs_decision *d, int flags, char *detail, size_t dlen);

/* Open the roots of pol's beneath rules (O_PATH directories), once; a
 * root that cannot be opened is -1 (its rule then refuses every path)
 * and reported through warn.  0, or -1 with errno (out of memory). */
int fs_roots_open(struct fs_root *roots, const struct policy *pol,
                  void (*warn)(void *arg, const struct pol_file *f, int err), void *arg);
void fs_roots_close(struct fs_root *roots);

/* When the policy is loaded again (a reload, a restart): each root whose
 * path now names another directory than its fd (replaced by a rename, a
 * mount) is opened again; one that is gone refuses every path from now
 * on (reported through warn).  Until then a root's fd keeps the directory
 * it was opened on, whatever happens to the path. */
void fs_roots_refresh(struct fs_root *roots, const struct policy *pol,
                      void (*warn)(void *arg, const struct pol_file *f, int err), void *arg);

/* A request's context, given by whoever serves it (the helper): the
 * worker's policy (NULL: none, so no file rules), the roots opened for
 * it, and the function that logs one refusal (the path is the worker's
 * choice: the function escapes it and limits the rate of such lines). */
struct fs_ctx {
	const struct policy *pol;
	const struct fs_root *roots;
	int confined; /* the helper confined itself (fs_decision's) */
	void (*refused)(void *arg, const char *what, const char *path, int err, const char *detail);
	void *arg;
};

/* Serve one request (its payload in req) under ctx: 0 with the reply
 * in req, an errno with req's detail saying why, or PRIVSEP_VIOLATION for
 * a malformed payload (fs_host.c). */
struct privsep_req;
int fs_serve_open(struct privsep_req *req, const struct fs_ctx *ctx);
int fs_serve_stat(struct privsep_req *req, const struct fs_ctx *ctx);
int fs_serve_readlink(struct privsep_req *req, const struct fs_ctx *ctx);
int fs_serve_access(struct privsep_req *req, const struct fs_ctx *ctx);

#endif
