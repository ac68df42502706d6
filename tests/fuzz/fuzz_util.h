/*
 * fuzz_util.h - what the fuzz targets share: a silent log, an fd count,
 * and memfds sealed or not.
 */
#ifndef PRIVSEP_FUZZ_UTIL_H
#define PRIVSEP_FUZZ_UTIL_H

#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "privsep.h"

static inline void fuzz_quiet(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

/* Open fds below 1024. */
static inline int fuzz_count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* A memfd of n bytes (written, so not sparse), with every bulk seal if
 * sealed. */
static inline int fuzz_memfd(size_t n, int sealed)
{
	static const char zero[64];
	int fd = memfd_create("fuzz", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || n > sizeof(zero) || (n && pwrite(fd, zero, n, 0) != (ssize_t)n))
		abort();
	if (sealed &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0)
		abort();
	return fd;
}

#endif
