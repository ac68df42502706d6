/* SPDX-License-Identifier: ISC */
/*
 * fs_notify.h - internal: privsep-run's notifier, the file broker for a
 * program that was not written for it (fs_notify.c).
 */
#ifndef PRIVSEP_FS_NOTIFY_H
#define PRIVSEP_FS_NOTIFY_H

#include <stddef.h>

#include "filter.h"
#include "fs.h"

/* One brokered call: its name, the path as the program gave it, the
 * absolute path it was decided on ("" when none could be made), the
 * operation (enum fs_op) with its open flags or access mode, and the
 * answer: 0, or the errno with why. */
struct fs_notify_event {
	const char *call, *path, *abs;
	int op, arg, err;
	const char *detail;
};

struct fs_notify {
	int listener; /* the target's seccomp listener */
	const struct policy *pol;
	const struct fs_root *roots; /* fs_roots_open's, for pol */
	/* the normalised paths access(X_OK) answers yes for: what Landlock
	 * lets the program execute */
	const char *const *exec;
	size_t nexec;
	void (*report)(void *arg, const struct fs_notify_event *ev); /* NULL: none */
	void *arg;
	/* privsep-run --learn only: a call the filter sent that is not a
	 * path call (fs_notify_filter's more), reported here and then let
	 * through (SECCOMP_USER_NOTIF_FLAG_CONTINUE: nothing is decided on
	 * it, the filter of that run allows it anyway).  NULL: ENOSYS */
	void (*other)(void *arg, int nr, const uint64_t *args);
};

/* The calls that go to the helper (numbers of this architecture), and
 * their count. */
extern const int fs_notify_calls[];
extern const size_t fs_notify_ncalls;

/* The filter that sends them to the helper, and the nmore calls of more
 * too (--learn), compiled; default allow: the policy's own filter
 * decides everything else.  0 or -1 with errno. */
int fs_notify_filter(struct filter_prog *out, const int *more, size_t nmore);

/* Ask the kernel to hand the CPU over on each notification and each
 * answer (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): the program
 * waits while the helper decides, so the waker runs the woken on its own
 * CPU instead of waking another one (an IPI, and on a VM an exit).  Only
 * where each side runs changes, nothing of what is decided.  0, or -1
 * with errno (EINVAL: an older kernel; the notifications work as before). */
int fs_notify_sync_wakeup(int listener);

/* Receive and answer one notification: decide with fs_decide, open or
 * look with the broker's functions (fs_host.c), inject the fd with
 * SECCOMP_IOCTL_NOTIF_ADDFD and SECCOMP_ADDFD_FLAG_SEND, or write a stat
 * or a link's text into the program's buffer, or answer the errno.  0
 * (also when the program was gone), or -1 with errno when the listener
 * itself failed (ENOENT, EBADF: every target is gone). */
int fs_notify_serve(const struct fs_notify *n);

#endif
