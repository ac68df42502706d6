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

#include "client_int.h"
#include "privsep.h"
#include "proto.h"
#include "wire.h"

/* ---- the worker's calls ---- */

/* The caller's result (may be NULL) before a file call: nothing refused,
 * no detail, no reply. */
static void res_clear(struct privsep_result *res)
{
	if (res) {
		res->len = 0;
		res->nfds = 0;
		res->refused = 0;
		res->detail[0] = '\0';
	}
}

/* A broker request's payload in buf (cap bytes): the u32 num when
 * with_num, then path.  Its length, or 0 with errno (EINVAL, ENAMETOOLONG
 * with res->detail). */
static size_t fs_request(uint8_t *buf, size_t cap, int with_num, uint32_t num, const char *path,
                         struct privsep_result *res)
{
	struct privsep_writer w;
	if (!path) {
		errno = EINVAL;
		return 0;
	}
	privsep_writer_init(&w, buf, cap);
	if (with_num)
		privsep_writer_put_u32(&w, num);
	/* the protocol carries no more */
	if (strlen(path) >= PROTO_PATH_MAX || privsep_writer_put_str(&w, path) < 0) {
		if (res)
			snprintf(res->detail, sizeof(res->detail), "path longer than PATH_MAX");
		errno = ENAMETOOLONG;
		return 0;
	}
	return w.len;
}

/* One broker call.  res is the caller's (may be NULL): it gets refused
 * and detail as privsep_client_call gives them; the reply goes to body
 * (blen bytes; fds to *fd when fd is not NULL). */
static int fs_call(struct privsep_client *c, uint32_t type, int with_num, uint32_t num,
                   const char *path, void *body, size_t *blen, int *fd, struct privsep_result *res)
{
	uint8_t buf[8 + PATH_MAX + 16];
	struct privsep_result r = {.data = body, .cap = blen ? *blen : 0};
	size_t len;
	int rc;
	res_clear(res);
	len = fs_request(buf, sizeof(buf), with_num, num, path, res);
	if (len == 0)
		return -1;
	rc = privsep_client_call(c, &(struct privsep_out){.type = type, .data = buf, .len = len},
	                         &r);
	if (rc < 0) {
		int err = errno;
		if (res) {
			res->refused = r.refused;
			memcpy(res->detail, r.detail, sizeof(res->detail));
		}
		errno = err;
		return -1;
	}
	if (blen)
		*blen = r.len;
	if (fd && r.nfds == 1) {
		*fd = r.fds[0];
		return 0;
	}
	for (size_t i = 0; i < r.nfds; i++)
		close(r.fds[i]);
	if (fd || r.nfds) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

/* Flags of an open: PROTO_FS_OPEN_STAT is the protocol's, never the
 * caller's.  0, or -1 with errno EINVAL and res->detail. */
static int open_flags_ok(int flags, struct privsep_result *res)
{
	if (!((uint32_t)flags & PROTO_FS_OPEN_STAT))
		return 0;
	if (res)
		snprintf(res->detail, sizeof(res->detail), "open flags 0x%x are not allowed",
		         PROTO_FS_OPEN_STAT);
	errno = EINVAL;
	return -1;
}

/* FS_STAT's body, or FS_OPEN's with PROTO_FS_OPEN_STAT (nine u64, in
 * PROTO_FS_STAT_FIELDS' order), into *st.  body may be st itself (the
 * asynchronous open's reply lands there).  0, or -1 for any other
 * length. */
static int stat_of_body(const void *body, size_t blen, struct stat *st)
{
	struct privsep_reader r;
	uint64_t f[PROTO_FS_STAT_FIELDS];
	privsep_reader_init(&r, body, blen);
	for (size_t i = 0; i < PROTO_FS_STAT_FIELDS; i++)
		privsep_reader_get_u64(&r, &f[i]);
	if (privsep_reader_end(&r) < 0)
		return -1;
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

/* The body of nine u64 fits in a struct stat (where the asynchronous
 * open's reply is received). */
_Static_assert(sizeof(struct stat) >= PROTO_FS_STAT_FIELDS * 8, "struct stat holds the body");

int privsep_fs_open(struct privsep_client *c, const char *path, int flags,
                    struct privsep_result *res)
{
	int fd = -1;
	if (open_flags_ok(flags, res) < 0)
		return -1;
	if (fs_call(c, PRIVSEP_T_FS_OPEN, 1, (uint32_t)flags, path, NULL, NULL, &fd, res) < 0)
		return -1;
	return fd;
}

int privsep_fs_open_stat(struct privsep_client *c, const char *path, int flags, struct stat *st,
                         struct privsep_result *res)
{
	uint8_t body[PROTO_FS_STAT_FIELDS * 8];
	size_t blen = sizeof(body);
	int fd = -1;
	if (!st) {
		res_clear(res);
		errno = EINVAL;
		return -1;
	}
	if (open_flags_ok(flags, res) < 0)
		return -1;
	if (fs_call(c, PRIVSEP_T_FS_OPEN, 1, (uint32_t)flags | PROTO_FS_OPEN_STAT, path, body,
	            &blen, &fd, res) < 0)
		return -1;
	if (stat_of_body(body, blen, st) < 0) {
		close(fd);
		errno = EPROTO;
		return -1;
	}
	return fd;
}

/* An open's successful reply carries exactly one fd. */
static int one_fd(struct privsep_result *res)
{
	if (res->nfds == 1)
		return 0;
	for (size_t i = 0; i < res->nfds; i++) {
		close(res->fds[i]);
		res->fds[i] = -1;
	}
	res->nfds = 0;
	return EPROTO;
}

/* An open's successful reply with the stat: one fd, and the body (in
 * res->data, the caller's struct stat) decoded there. */
static int one_fd_stat(struct privsep_result *res)
{
	int err = one_fd(res);
	if (!err && stat_of_body(res->data, res->len, res->data) < 0) {
		close(res->fds[0]);
		res->fds[0] = -1;
		res->nfds = 0;
		err = EPROTO;
	}
	return err;
}

static int open_async(struct privsep_client *c, const char *path, int flags, struct stat *st,
                      struct privsep_result *res, privsep_done_fn done, void *arg, uint32_t *id)
{
	uint8_t buf[8 + PATH_MAX + 16];
	size_t len;
	if (!res) {
		errno = EINVAL;
		return -1;
	}
	/* the stat's body lands in *st and is decoded in place */
	res->data = st;
	res->cap = st ? sizeof(*st) : 0;
	res_clear(res);
	if (open_flags_ok(flags, res) < 0)
		return -1;
	len = fs_request(buf, sizeof(buf), 1, (uint32_t)flags | (st ? PROTO_FS_OPEN_STAT : 0), path,
	                 res);
	if (len == 0)
		return -1;
	return client_call_async(
	    c, &(struct privsep_out){.type = PRIVSEP_T_FS_OPEN, .data = buf, .len = len}, res,
	    st ? one_fd_stat : one_fd, done, arg, id);
}

int privsep_fs_open_async(struct privsep_client *c, const char *path, int flags,
                          struct privsep_result *res, privsep_done_fn done, void *arg, uint32_t *id)
{
	return open_async(c, path, flags, NULL, res, done, arg, id);
}

int privsep_fs_open_stat_async(struct privsep_client *c, const char *path, int flags,
                               struct stat *st, struct privsep_result *res, privsep_done_fn done,
                               void *arg, uint32_t *id)
{
	if (!st) {
		errno = EINVAL;
		return -1;
	}
	return open_async(c, path, flags, st, res, done, arg, id);
}

int privsep_fs_stat(struct privsep_client *c, const char *path, struct stat *st,
                    struct privsep_result *res)
{
	uint8_t body[PROTO_FS_STAT_FIELDS * 8];
	size_t blen = sizeof(body);
	if (!st) {
		res_clear(res);
		errno = EINVAL;
		return -1;
	}
	if (fs_call(c, PRIVSEP_T_FS_STAT, 0, 0, path, body, &blen, NULL, res) < 0)
		return -1;
	if (stat_of_body(body, blen, st) < 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

ssize_t privsep_fs_readlink(struct privsep_client *c, const char *path, char *buf, size_t len,
                            struct privsep_result *res)
{
	uint8_t body[PATH_MAX + 8];
	size_t blen = sizeof(body);
	struct privsep_reader r;
	const char *t;
	size_t n;
	if (!buf && len) {
		res_clear(res);
		errno = EINVAL;
		return -1;
	}
	if (fs_call(c, PRIVSEP_T_FS_READLINK, 0, 0, path, body, &blen, NULL, res) < 0)
		return -1;
	privsep_reader_init(&r, body, blen);
	if (privsep_reader_get_str(&r, &t, &n) < 0 || privsep_reader_end(&r) < 0) {
		errno = EPROTO;
		return -1;
	}
	if (n > len)
		n = len; /* readlink(2) truncates too */
	if (n)
		memcpy(buf, t, n);
	return (ssize_t)n;
}

int privsep_fs_access(struct privsep_client *c, const char *path, int mode,
                      struct privsep_result *res)
{
	return fs_call(c, PRIVSEP_T_FS_ACCESS, 1, (uint32_t)mode, path, NULL, NULL, NULL, res);
}
