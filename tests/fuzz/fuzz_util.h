/* SPDX-License-Identifier: ISC */
/*
 * fuzz_util.h - what the fuzz targets share: a silent log, fd checks
 * cheap enough for every input, memfds sealed or not, and a record sent
 * or drained with its fds.
 */
#ifndef PRIVSEP_FUZZ_UTIL_H
#define PRIVSEP_FUZZ_UTIL_H

#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "privsep.h"

static inline void fuzz_quiet(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

/* A finding of the harness itself (not a sanitizer's): one line, then
 * abort, so that libFuzzer saves the input. */
static inline void fuzz_fail(const char *what)
{
	fprintf(stderr, "==fuzz== %s\n", what);
	abort();
}

/* Open fds below 1024. */
static inline int fuzz_count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/*
 * Leaked fds, cheaply.  A new fd takes the lowest free number, so an fd
 * an input leaves open lies below the lowest free fd at its start plus
 * the most fds an input holds at once.  fuzz_fds_begin() records which
 * fds of [0, lowest free + FUZZ_FD_SLACK) are open and fuzz_fds_end()
 * compares: one fcntl per fd of the window, some 40 calls (counting
 * /proc/self/fd on every input cost more than the input).  The window
 * is looked at again at the start of an input only when the lowest free
 * fd moved since the end of the last one: libFuzzer itself opens fds
 * between inputs (the symbolizer's pipes when it prints a new function).
 * Every FUZZ_FULL_EVERY inputs the whole table is counted from
 * /proc/self/fd before and after, and /proc/self/maps must hold no
 * mapping of a memfd after (a bulk payload left mapped).
 */
#define FUZZ_FD_SLACK 32
#define FUZZ_FD_WORDS 4 /* the window: at most 256 fds */
#define FUZZ_FULL_EVERY 4096u
struct fuzz_fds {
	int hi;                       /* the window: [0, hi) */
	uint64_t open[FUZZ_FD_WORDS]; /* which were open at the start */
	int low;                      /* the lowest free fd at the last end, -1 */
	int total;                    /* open fds at the start, all of them */
	unsigned n;                   /* inputs */
};

/* Every open fd, from /proc/self/fd (without the directory's own). */
static inline int fuzz_fds_total(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;
	if (!d)
		fuzz_fail("cannot read /proc/self/fd");
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;
}

/* Mappings of a memfd in /proc/self/maps. */
static inline int fuzz_memfd_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	int n = 0;
	if (!f)
		fuzz_fail("cannot read /proc/self/maps");
	while (fgets(line, sizeof(line), f))
		n += strstr(line, "/memfd:") != NULL;
	fclose(f);
	return n;
}

static inline int fuzz_fds_lowest_free(void)
{
	int low = fcntl(2, F_DUPFD_CLOEXEC, 0);
	if (low < 0)
		low = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (low < 0)
		fuzz_fail("no fd to find the lowest free one");
	close(low);
	return low;
}

static inline void fuzz_fds_window(uint64_t *open, int hi)
{
	memset(open, 0, sizeof(uint64_t) * FUZZ_FD_WORDS);
	for (int fd = 0; fd < hi; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			open[fd / 64] |= 1ull << (fd % 64);
}

static inline void fuzz_fds_init(struct fuzz_fds *s)
{
	memset(s, 0, sizeof(*s));
	s->low = -1;
}

static inline void fuzz_fds_begin(struct fuzz_fds *s)
{
	int low = fuzz_fds_lowest_free();
	if (low != s->low) {
		if (low + FUZZ_FD_SLACK > 64 * FUZZ_FD_WORDS)
			fuzz_fail("too many fds open for the window");
		s->hi = low + FUZZ_FD_SLACK;
		fuzz_fds_window(s->open, s->hi);
	}
	if (s->n % FUZZ_FULL_EVERY == 0)
		s->total = fuzz_fds_total();
}

/* Abort if the input left an fd open (or closed one it did not own). */
static inline void fuzz_fds_end(struct fuzz_fds *s)
{
	uint64_t now[FUZZ_FD_WORDS];
	fuzz_fds_window(now, s->hi);
	if (memcmp(now, s->open, sizeof(now)) != 0) {
		for (int fd = 0; fd < s->hi; fd++)
			if ((now[fd / 64] ^ s->open[fd / 64]) >> (fd % 64) & 1) {
				char p[64], t[256] = "";
				snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
				ssize_t n = readlink(p, t, sizeof(t) - 1);
				t[n > 0 ? n : 0] = '\0';
				fprintf(stderr,
				        "==fuzz== fd %d: %s before the input, %s after%s%s\n", fd,
				        s->open[fd / 64] >> (fd % 64) & 1 ? "open" : "closed",
				        now[fd / 64] >> (fd % 64) & 1 ? "open" : "closed",
				        t[0] ? ": " : "", t);
			}
		fuzz_fail("an fd was left open or closed by this input");
	}
	if (s->n++ % FUZZ_FULL_EVERY == 0) {
		if (fuzz_fds_total() != s->total)
			fuzz_fail("the count of open fds (/proc/self/fd) changed in this input");
		if (fuzz_memfd_maps() != 0)
			fuzz_fail("a memfd is still mapped after this input");
	}
	s->low = fuzz_fds_lowest_free();
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

/* The fds of a record as the first byte of an input says: (c % 6) of
 * them, one more than a record may carry at most; if bit 7 is set the
 * first is a memfd of 8 * ((c >> 3) & 7) bytes, sealed if bit 6 is set
 * (a bulk record needs one); the others /dev/null or, if alt_fd >= 0, a
 * dup of it every second one.  How many. */
static inline size_t fuzz_make_fds(uint8_t c, int *fds, int alt_fd)
{
	size_t n = c % (PRIVSEP_MAX_FDS + 2);
	for (size_t i = 0; i < n; i++) {
		if (i == 0 && (c & 0x80))
			fds[i] = fuzz_memfd(8u * ((c >> 3) & 7u), c & 0x40);
		else if (i % 2 == 0 && alt_fd >= 0)
			fds[i] = fcntl(alt_fd, F_DUPFD_CLOEXEC, 0);
		else
			fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			abort();
	}
	return n;
}

/* Send one record of len bytes with nfds fds (kept: the caller closes
 * them); the send must not fail. */
static inline void fuzz_send(int sock, const void *rec, size_t len, const int *fds, size_t nfds)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * (PRIVSEP_MAX_FDS + 1))];
	} ctl;
	struct iovec iov = {.iov_base = (void *)(uintptr_t)rec, .iov_len = len};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	if (sendmsg(sock, &mh, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t)len)
		fuzz_fail("sendmsg of a fuzz record failed");
}

/* Read one record without waiting, closing every fd that came with it.
 * Its length, 0 at the end of the stream, -1 when nothing waits (*id:
 * its id, if it has a header). */
static inline ssize_t fuzz_drain_one(int sock, uint32_t *id)
{
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * (PRIVSEP_MAX_FDS + 1))];
	} ctl;
	uint8_t buf[PRIVSEP_MSG_MAX_LIMIT];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
	struct msghdr mh = {.msg_iov = &iov,
	                    .msg_iovlen = 1,
	                    .msg_control = ctl.b,
	                    .msg_controllen = sizeof(ctl.b)};
	ssize_t n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
				close(fd);
			}
	if (n >= 16 && id)
		*id = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
		      (uint32_t)buf[11] << 24;
	return n;
}

#endif
