/* SPDX-License-Identifier: ISC */
/*
 * confined_peer.h - the fixture of the tests of a confined helper
 * (test_confined_helper_files.c, _modes.c, _exact_create.c, _rename.c):
 * a temporary directory and its files, the helper confined in a child,
 * the attacker's refused steps.  Each test keeps its own attack and its
 * own policy texts.
 */
#ifndef PRIVSEP_TESTS_CONFINED_PEER_H
#define PRIVSEP_TESTS_CONFINED_PEER_H

#include <sys/types.h>

struct hx;

/* The test's directory (made by cp_setup, removed by cp_teardown). */
extern char cp_top[64];

/* The Landlock ABI the kernel offers (<= 0: none). */
int cp_landlock_abi(void);

/* openat2 of path from the cwd with flags (and O_CLOEXEC; mode 0600 with
 * O_CREAT): the call its filter cannot read the flags of. */
int cp_openat2(const char *path, int flags);

/* rel's path in the test's directory (one of four rotating buffers). */
const char *cp_at(const char *rel);

/* rel in the test's directory holding exactly text, with mode. */
void cp_put(const char *rel, const char *text, mode_t mode);

/* Its text (at most 255 bytes), or "" with errno set. */
const char *cp_text_of(const char *path);

/* rel in the test's directory could be read and holds want. */
int cp_same_text(const char *rel, const char *want);

/* cmocka's group setup: a new directory from tmpl ("/tmp/...-XXXXXX"),
 * mode 0755, in cp_top; 0 or -1.  cp_teardown removes it. */
int cp_setup(const char *tmpl);
int cp_teardown(void **s);

/* The attack's one step: 1 when it was refused with EACCES; else 0, said
 * on stderr, and an fd it got (a step named "open...") closed at once,
 * never written. */
int cp_refused(const char *what, int rc);

/* A worker policy text: fmt and its arguments (paths in cp_top). */
const char *cp_policy(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A helper in this process with one worker "files" attached under the
 * policy text policy (*fd: the worker's end, for a worker process forked
 * before confining), not yet confined.  NULL, said, on a failure. */
struct hx *cp_confined(const char *policy, int *fd);

/* The helper's log on stderr. */
void cp_dump(const struct hx *x);

/* The confined helper x serves its worker process kid until kid closes
 * its end (a bound for a hung helper): 0; 1 when it did not; 2 when kid
 * did not exit 0 (its step said, and the log). */
int cp_served(struct hx *x, pid_t kid);

/* The helper x with worker fd: worker(fd) run in a child process (the
 * worker's side), x confined by the helper policy name/text (NULL:
 * the shipped helper.policy), then served as cp_served: 0; 2 (no
 * fork), 3 (not confined), 4 or 5 (cp_served's 1 or 2). */
int cp_serve(struct hx *x, int fd, int (*worker)(int), const char *name, const char *text);

/* body run in a child (confinement is for good): its exit status; the
 * test fails when a signal killed it. */
int cp_run_child(int (*body)(void));
/* body(ready, go) run in a child: once it wrote a byte on ready, rel
 * (in the test's directory) is replaced by a new file holding text,
 * renamed over it, and a byte goes on go.  body's exit status; the test
 * fails when a signal killed it. */
int cp_renamed_over(int (*body)(int ready, int go), const char *rel, const char *text);
/* A helper under the policy text policy (one worker attached, no process
 * of its own), confined in this process: NULL, said (its log dumped),
 * when it could not be. */
struct hx *cp_confined_now(const char *policy);
/* cp_confined's x with worker fd: worker(fd, go) run in a child, x
 * confined, a byte written on ready, then served as cp_served: 0; 2 (no
 * fork), 3 (not confined), 4 (ready), 5 or 6 (cp_served's 1 or 2). */
int cp_serve_told(struct hx *x, int fd, int (*worker)(int fd, int go), int ready, int go);

#endif
