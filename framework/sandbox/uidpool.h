/* SPDX-License-Identifier: ISC */
/*
 * uidpool.h - internal: each worker its own uid and gid.
 *
 * A root helper gives every worker whose policy and configuration name no
 * user a uid of its own from systemd's range for dynamic users, with the
 * same number as its gid.  A uid is leased: an open file description
 * holding an OFD write lock on the uid's byte of UIDPOOL_DIR/uids, so that
 * no two privsep helpers on the machine (nor two in one process: each
 * lease is its own open) hold the same one.  Closing the lease releases
 * it; the helper does that when the worker is reaped.
 */
#ifndef PRIVSEP_UIDPOOL_H
#define PRIVSEP_UIDPOOL_H

#include <stddef.h>
#include <sys/types.h>

/* systemd's range for dynamic users (docs/UIDS-GIDS.md in systemd). */
#define UIDPOOL_MIN 61184u
#define UIDPOOL_MAX 65519u
#define UIDPOOL_DIR "/run/privsep"
#define UIDPOOL_FILE "uids"

/* Lease the lowest uid of the range that no other lease holds, that is
 * none of the real, effective, saved or filesystem uids or gids of any
 * process in /proc, that the passwd and group databases do not know, and
 * that systemd has not allocated (/run/systemd/dynamic-uid/UID).  The
 * lease fd (close-on-exec), and the uid in *uid; -1 with errno and a
 * one-line reason in why. */
int uidpool_acquire(uid_t *uid, char *why, size_t whylen);
/* ... a lease taken ahead (uidpool_prefetch) is used first, after the
 * lease file's owner and mode, the databases and systemd's lease are
 * looked at again. */

/* uidpool_acquire in two halves, for a spawn that checks the uid again
 * while its child takes its first steps: the lease kept ahead, taken as
 * it is (*again 1: the caller must pass uidpool_check before anything
 * runs as that uid), or, with none kept, a lease made now with every
 * check (*again 0).  The lease fd, or -1 with errno and why. */
int uidpool_take(uid_t *uid, int *again, char *why, size_t whylen);
/* What can change without a lease, looked at again for a uid leased
 * ahead: the lease file's owner and mode (EPERM and the like), the
 * databases and systemd's allocation (EEXIST: lease another, with a
 * scan).  0, or -1 with errno and why. */
int uidpool_check(uid_t uid, char *why, size_t whylen);

/* Lease the next uid now, kept for the next uidpool_acquire (one per
 * process; nothing when one waits already; a failure is left for
 * uidpool_acquire to report).  The helper calls it when it is idle after
 * a start (helper_lease_ahead): the next spawn's scan is done ahead. */
void uidpool_prefetch(void);
/* Release the lease kept ahead, if any. */
void uidpool_drop_spare(void);
/* 1 with its uid in *uid if a lease is kept ahead, else 0. */
int uidpool_spare(uid_t *uid);
/* 1 if fd is the lease kept ahead. */
int uidpool_owns_fd(int fd);

/* 1 if some open file description holds uid's lease (this process's
 * included); 0 if not; -1 with errno. */
int uidpool_held(uid_t uid);

#endif
