/* SPDX-License-Identifier: ISC */
/*
 * uidpool.c - leasing each worker its own uid and gid (uidpool.h).
 *
 * What is checked before a uid is leased, and why:
 *   the lease      an OFD lock on the uid's byte of /run/privsep/uids:
 *                  every privsep helper on the machine takes it, and an
 *                  OFD lock conflicts with any other open, in this
 *                  process too; it dies with the lease fd, so a helper
 *                  that dies leaks no uid
 *   processes      every process in /proc, by its real, effective, saved
 *                  and filesystem ids (PIDFD_GET_INFO, else its status): a worker of a helper that
 * died (until its death signal lands), a process a worker left behind when its policy allowed them,
 * or any other program that uses the range without the lease databases      getpwuid and getgrgid
 * (NSS: /etc/passwd, /etc/group, and systemd's dynamic users when nss-systemd is on) systemd
 * /run/systemd/dynamic-uid/UID, systemd's own lease A lease taken ahead: when it is idle after a
 * start (helper_lease_ahead) the helper leases the next uid (uidpool_prefetch), and the next
 * spawn uses it (uidpool_acquire), checking again what can change
 * without a lease: the lease file's owner and mode, the databases and
 * systemd's lease.  Held since its scan, the spare's uid can reach a
 * process only through a program that sets ids in the range with no
 * lease, no database entry and no systemd lease: outside what this pool
 * can guard (a scan at the spawn would see it only if it ran then).
 * What is not: files that a uid owns (that needs a walk of every file
 * system), and processes in other pid namespaces than the helper's.  A
 * worker cannot reach a file by path (the empty root, Landlock, no open
 * in its filter) or create one, so the uids this pool hands out own no
 * file unless someone else gave them one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uidpool.h"

#define NRANGE (UIDPOOL_MAX - UIDPOOL_MIN + 1)

static void mark(uint8_t *used, unsigned long id)
{
	if (id >= UIDPOOL_MIN && id <= UIDPOOL_MAX)
		used[(id - UIDPOOL_MIN) / 8] |= (uint8_t)(1u << ((id - UIDPOOL_MIN) % 8));
}

static int is_marked(const uint8_t *used, unsigned id)
{
	return used[(id - UIDPOOL_MIN) / 8] & (1u << ((id - UIDPOOL_MIN) % 8));
}

/* Mark the four ids that follow key ("Uid:", "Gid:") in a status text. */
static void mark_ids(uint8_t *used, const char *status, const char *key)
{
	const char *p = strstr(status, key);
	char *end;
	if (!p)
		return;
	p += strlen(key);
	for (int i = 0; i < 4; i++) {
		unsigned long v = strtoul(p, &end, 10);
		if (end == p)
			return;
		mark(used, v);
		p = end;
	}
}

/* PIDFD_GET_INFO (Linux 6.13; Debian 12's headers lack it): a process's
 * eight ids, without the text of /proc/PID/status (a third of its cost
 * here: 5.5 against 15 us of CPU a process). */
struct uid_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid, spare0[1];
};
#define UID_PIDFD_GET_INFO _IOWR(0xFF, 11, struct uid_pidfd_info)
#define UID_PIDFD_INFO_CREDS (1ull << 1)

/* 0: the kernel has no PIDFD_GET_INFO, status is read instead. */
static atomic_int pidfd_info_works = 1;

/* Mark pid's ids through a pidfd: 0 done (or the process is gone), -1
 * when its status must be read instead. */
static int mark_by_pidfd(uint8_t *used, pid_t pid)
{
	struct uid_pidfd_info pi;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), rc, e;
	if (fd < 0)
		return errno == ESRCH ? 0 : -1;
	memset(&pi, 0, sizeof(pi));
	pi.mask = UID_PIDFD_INFO_CREDS;
	rc = ioctl(fd, UID_PIDFD_GET_INFO, &pi);
	e = errno;
	close(fd);
	if (rc < 0) {
		if (e == ENOTTY || e == EINVAL || e == EOPNOTSUPP)
			atomic_store(&pidfd_info_works, 0);
		return -1; /* a zombie too (ESRCH): its status still has ids */
	}
	if (!(pi.mask & UID_PIDFD_INFO_CREDS))
		return -1;
	mark(used, pi.ruid);
	mark(used, pi.euid);
	mark(used, pi.suid);
	mark(used, pi.fsuid);
	mark(used, pi.rgid);
	mark(used, pi.egid);
	mark(used, pi.sgid);
	mark(used, pi.fsgid);
	return 0;
}

/* 1 when /proc numbers processes as this process's pid namespace does
 * (a pidfd is opened by that number). */
static int proc_is_ours(void)
{
	char buf[32];
	ssize_t n = readlink("/proc/self", buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10) == (long)getpid();
}

/* Every id in the range that a process in /proc holds: its real,
 * effective, saved and filesystem uids and gids, from a pidfd where the
 * kernel tells them, else from /proc/PID/status. */
static int scan_proc(uint8_t *used)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	char path[64], buf[1024];
	int by_pidfd;
	if (!d)
		return -1;
	by_pidfd = atomic_load(&pidfd_info_works) && proc_is_ours();
	while ((de = readdir(d))) {
		int fd;
		ssize_t n;
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		if (by_pidfd && mark_by_pidfd(used, (pid_t)strtol(de->d_name, NULL, 10)) == 0)
			continue;
		snprintf(path, sizeof(path), "%s/status", de->d_name);
		fd = openat(dirfd(d), path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue; /* gone meanwhile */
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n <= 0)
			continue;
		buf[n] = '\0';
		mark_ids(used, buf, "\nUid:");
		mark_ids(used, buf, "\nGid:");
	}
	closedir(d);
	return 0;
}

static int known_to_the_databases(unsigned id)
{
	struct passwd pw, *pres = NULL;
	struct group gr, *gres = NULL;
	char buf[4096];
	char path[64];
	if (getpwuid_r((uid_t)id, &pw, buf, sizeof(buf), &pres) != 0 || pres)
		return 1; /* an error counts as known: fail closed */
	if (getgrgid_r((gid_t)id, &gr, buf, sizeof(buf), &gres) != 0 || gres)
		return 1;
	snprintf(path, sizeof(path), "/run/systemd/dynamic-uid/%u", id);
	return access(path, F_OK) == 0 || errno != ENOENT;
}

/* The lease file, opened anew (each lease is its own open file
 * description); its directory and itself must be root's alone. */
static int open_leases(char *why, size_t whylen)
{
	struct stat st;
	int dfd, fd;
	if (mkdir(UIDPOOL_DIR, 0755) < 0 && errno != EEXIST) {
		snprintf(why, whylen, "mkdir %s: %s", UIDPOOL_DIR, strerror(errno));
		return -1;
	}
	dfd = open(UIDPOOL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(why, whylen, "%s: %s", UIDPOOL_DIR, strerror(errno));
		return -1;
	}
	if (fstat(dfd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 022)) {
		close(dfd);
		snprintf(why, whylen, "%s is not root's alone (owner and mode)", UIDPOOL_DIR);
		errno = EPERM;
		return -1;
	}
	fd = openat(dfd, UIDPOOL_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0) {
		snprintf(why, whylen, "%s/%s: %s", UIDPOOL_DIR, UIDPOOL_FILE, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		snprintf(why, whylen, "%s/%s is not root's alone (owner and mode)", UIDPOOL_DIR,
		         UIDPOOL_FILE);
		errno = EPERM;
		return -1;
	}
	return fd;
}

static struct flock byte_of(unsigned id, short type)
{
	struct flock fl;
	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = (off_t)(id - UIDPOOL_MIN);
	fl.l_len = 1;
	return fl;
}

/* The lease taken ahead (uidpool_prefetch), -1: none.  One per process,
 * whichever helper takes it. */
static pthread_mutex_t spare_mu = PTHREAD_MUTEX_INITIALIZER;
static int spare_fd = -1;
static uid_t spare_uid;

/* The scan and the lease (uidpool_acquire's contract). */
static int acquire_scan(uid_t *uid, char *why, size_t whylen)
{
	uint8_t used[(NRANGE + 7) / 8];
	int fd = open_leases(why, whylen);
	if (fd < 0)
		return -1;
	memset(used, 0, sizeof(used));
	if (scan_proc(used) < 0) {
		int e = errno;
		close(fd);
		snprintf(why, whylen, "/proc: %s", strerror(e));
		errno = e;
		return -1;
	}
	for (unsigned id = UIDPOOL_MIN; id <= UIDPOOL_MAX; id++) {
		struct flock fl = byte_of(id, F_WRLCK);
		if (is_marked(used, id))
			continue;
		if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
			if (errno == EAGAIN || errno == EACCES)
				continue; /* another lease holds it */
			snprintf(why, whylen, "lock on %s/%s: %s", UIDPOOL_DIR, UIDPOOL_FILE,
			         strerror(errno));
			close(fd);
			return -1;
		}
		if (known_to_the_databases(id)) {
			fl.l_type = F_UNLCK;
			fcntl(fd, F_OFD_SETLK, &fl);
			continue;
		}
		*uid = (uid_t)id;
		return fd;
	}
	close(fd);
	snprintf(why, whylen, "no free uid in %u-%u (all leased or in use)", UIDPOOL_MIN,
	         UIDPOOL_MAX);
	errno = EAGAIN;
	return -1;
}

int uidpool_held(uid_t uid)
{
	char why[128];
	struct flock fl = byte_of((unsigned)uid, F_WRLCK);
	int fd, rc;
	if (uid < UIDPOOL_MIN || uid > UIDPOOL_MAX)
		return 0;
	fd = open_leases(why, sizeof(why));
	if (fd < 0)
		return -1;
	rc = fcntl(fd, F_OFD_GETLK, &fl);
	close(fd);
	if (rc < 0)
		return -1;
	return fl.l_type != F_UNLCK;
}

int uidpool_take(uid_t *uid, int *again, char *why, size_t whylen)
{
	int fd;
	pthread_mutex_lock(&spare_mu);
	fd = spare_fd;
	*uid = spare_uid;
	spare_fd = -1;
	pthread_mutex_unlock(&spare_mu);
	*again = fd >= 0;
	return fd >= 0 ? fd : acquire_scan(uid, why, whylen);
}

int uidpool_check(uid_t uid, char *why, size_t whylen)
{
	/* The spare's lock was held since its scan: no lease could take
	 * the uid, and a process with it then would have been seen.  Looked
	 * at again now: the lease file, still root's alone, and the
	 * databases and systemd, which could have given the uid out since
	 * (systemd writes its lease before it starts the process). */
	int chk = open_leases(why, whylen);
	if (chk < 0)
		return -1;
	close(chk);
	if (known_to_the_databases((unsigned)uid)) {
		snprintf(why, whylen,
		         "uid %u is now known to the passwd or group database, or to systemd",
		         (unsigned)uid);
		errno = EEXIST;
		return -1;
	}
	return 0;
}

int uidpool_acquire(uid_t *uid, char *why, size_t whylen)
{
	int again, fd = uidpool_take(uid, &again, why, whylen);
	int e;
	if (fd < 0 || !again || uidpool_check(*uid, why, whylen) == 0)
		return fd;
	e = errno;
	close(fd);
	errno = e;
	return e == EEXIST ? acquire_scan(uid, why, whylen) : -1;
}

void uidpool_prefetch(void)
{
	char why[160];
	uid_t u;
	int fd;
	pthread_mutex_lock(&spare_mu);
	fd = spare_fd;
	pthread_mutex_unlock(&spare_mu);
	if (fd >= 0)
		return;
	/* a failure here is the next uidpool_acquire's to report */
	fd = acquire_scan(&u, why, sizeof(why));
	if (fd < 0)
		return;
	pthread_mutex_lock(&spare_mu);
	if (spare_fd < 0) {
		spare_fd = fd;
		spare_uid = u;
		fd = -1;
	}
	pthread_mutex_unlock(&spare_mu);
	if (fd >= 0)
		close(fd);
}

void uidpool_drop_spare(void)
{
	int fd;
	pthread_mutex_lock(&spare_mu);
	fd = spare_fd;
	spare_fd = -1;
	pthread_mutex_unlock(&spare_mu);
	if (fd >= 0)
		close(fd);
}

int uidpool_spare(uid_t *uid)
{
	int kept;
	pthread_mutex_lock(&spare_mu);
	kept = spare_fd >= 0;
	*uid = spare_uid;
	pthread_mutex_unlock(&spare_mu);
	return kept;
}

int uidpool_owns_fd(int fd)
{
	int own;
	pthread_mutex_lock(&spare_mu);
	own = fd >= 0 && fd == spare_fd;
	pthread_mutex_unlock(&spare_mu);
	return own;
}
