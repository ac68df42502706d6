/* SPDX-License-Identifier: ISC */
/*
 * client/fs_client.c - the file broker's calls, the worker's side: a
 * path (and flags or a mode) in one call to the helper, its answer or
 * its refusal's reason back.  The helper's side is services/fs_host.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "privsep.h"
#include "proto.h"
#include "wire.h"

/* ---- the worker's calls ---- */

static int fs_call(struct privsep_client *c, uint32_t type, int with_num, uint32_t num,
                   const char *path, struct privsep_result *res, char *why, size_t whylen)
{
	uint8_t buf[8 + PATH_MAX + 16];
	struct privsep_writer w;
	int rc;
	if (why && whylen)
		why[0] = '\0';
	if (!path) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(path) >= PROTO_PATH_MAX) { /* the protocol carries no more */
		if (why)
			snprintf(why, whylen, "path longer than PATH_MAX");
		errno = ENAMETOOLONG;
		return -1;
	}
	privsep_writer_init(&w, buf, sizeof(buf));
	if (with_num)
		privsep_writer_put_u32(&w, num);
	if (privsep_writer_put_str(&w, path) < 0) {
		if (why)
			snprintf(why, whylen, "path longer than PATH_MAX");
		errno = ENAMETOOLONG;
		return -1;
	}
	rc = privsep_client_call(c, type, buf, w.len, NULL, 0, res);
	if (rc > 0) {
		if (why)
			snprintf(why, whylen, "%s", res->detail);
		errno = rc;
		return -1;
	}
	if (rc < 0 && why)
		snprintf(why, whylen, "%s", strerror(errno));
	return rc;
}

int privsep_fs_open(struct privsep_client *c, const char *path, int flags, char *why, size_t whylen)
{
	struct privsep_result res = {0};
	if (fs_call(c, PRIVSEP_T_FS_OPEN, 1, (uint32_t)flags, path, &res, why, whylen) < 0)
		return -1;
	if (res.nfds != 1) {
		for (size_t i = 0; i < res.nfds; i++)
			close(res.fds[i]);
		errno = EPROTO;
		return -1;
	}
	return res.fds[0];
}

int privsep_fs_stat(struct privsep_client *c, const char *path, struct stat *st, char *why,
                    size_t whylen)
{
	uint8_t body[9 * 8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	struct privsep_reader r;
	uint64_t f[9];
	if (fs_call(c, PRIVSEP_T_FS_STAT, 0, 0, path, &res, why, whylen) < 0)
		return -1;
	privsep_reader_init(&r, body, res.len);
	for (int i = 0; i < 9; i++)
		privsep_reader_get_u64(&r, &f[i]);
	if (privsep_reader_end(&r) < 0) {
		errno = EPROTO;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	st->st_dev = f[0];
	st->st_ino = f[1];
	st->st_mode = (mode_t)f[2];
	st->st_nlink = f[3];
	st->st_uid = (uid_t)f[4];
	st->st_gid = (gid_t)f[5];
	st->st_size = (off_t)f[6];
	st->st_mtim.tv_sec = (time_t)f[7];
	st->st_mtim.tv_nsec = (long)f[8];
	return 0;
}

ssize_t privsep_fs_readlink(struct privsep_client *c, const char *path, char *buf, size_t len,
                            char *why, size_t whylen)
{
	uint8_t body[PATH_MAX + 8];
	struct privsep_result res = {.data = body, .cap = sizeof(body)};
	struct privsep_reader r;
	const char *t;
	size_t n;
	if (fs_call(c, PRIVSEP_T_FS_READLINK, 0, 0, path, &res, why, whylen) < 0)
		return -1;
	privsep_reader_init(&r, body, res.len);
	if (privsep_reader_get_str(&r, &t, &n) < 0 || privsep_reader_end(&r) < 0) {
		errno = EPROTO;
		return -1;
	}
	if (n > len)
		n = len; /* readlink(2) truncates too */
	memcpy(buf, t, n);
	return (ssize_t)n;
}

int privsep_fs_access(struct privsep_client *c, const char *path, int mode, char *why,
                      size_t whylen)
{
	struct privsep_result res = {0};
	return fs_call(c, PRIVSEP_T_FS_ACCESS, 1, (uint32_t)mode, path, &res, why, whylen) < 0 ? -1
	                                                                                       : 0;
}
