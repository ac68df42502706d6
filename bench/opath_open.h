/* SPDX-License-Identifier: ISC */
/*
 * opath_open.h - the open through an O_PATH fd, the way of a broker that
 * keeps the brokered open's guarantees with no identity check, shared by
 * look-floor (its way "opath") and httpd-floor --look (a path its one
 * statx does not take): the file opened is the one looked at by
 * construction.
 */
#ifndef PRIVSEP_BENCH_OPATH_OPEN_H
#define PRIVSEP_BENCH_OPATH_OPEN_H

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* openat2 of path beneath root as O_PATH (O_PATH | O_CLOEXEC | path_flags,
 * with resolve), its fstat (not a regular file: EACCES, never opened),
 * then the real open with flags through /proc/self/fd/N (procfd: that
 * directory, kept open) and the close of the O_PATH fd.  The fd, with the
 * O_PATH fd's fstat in *st; -1 with errno (*st set when only the real
 * open failed). */
static inline int opath_open(int root, int procfd, const char *path, int path_flags,
                             uint64_t resolve, int flags, struct stat *st)
{
	struct open_how ph = {.flags = (uint64_t)(O_PATH | O_CLOEXEC | path_flags),
	                      .resolve = resolve};
	char num[16];
	int p = (int)syscall(SYS_openat2, root, path, &ph, sizeof(ph)), fd;
	if (p < 0)
		return -1;
	if (fstat(p, st) < 0 || !S_ISREG(st->st_mode)) {
		close(p);
		errno = EACCES;
		return -1;
	}
	snprintf(num, sizeof(num), "%d", p);
	fd = openat(procfd, num, flags);
	close(p);
	return fd;
}

#endif
