/* SPDX-License-Identifier: ISC */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testapp.h"

int testapp_posts;

static int echo_str(struct privsep_req *req, void *arg)
{
	(void)arg;
	struct privsep_reader r;
	const char *s;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_str(&r, &s, NULL) < 0 || privsep_reader_end(&r) < 0)
		return privsep_req_fail(req, r.err, "not one str"), PRIVSEP_VIOLATION;
	privsep_writer_put_str(&req->reply, s);
	return 0;
}

static int post(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	testapp_posts++;
	return 0;
}

static int take_fd(struct privsep_req *req, void *arg)
{
	(void)arg;
	struct stat st;
	int fl;
	if (fstat(req->fds[0], &st) < 0 || (fl = fcntl(req->fds[0], F_GETFD)) < 0)
		return errno;
	privsep_writer_put_u32(&req->reply, (uint32_t)(st.st_mode & S_IFMT));
	privsep_writer_put_u32(&req->reply, (uint32_t)fl);
	return 0;
}

static int count(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_writer_put_u32(&req->reply, (uint32_t)req->nfds);
	return 0;
}

static int once(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static int give_fds(struct privsep_req *req, void *arg)
{
	(void)arg;
	struct privsep_reader r;
	uint32_t n;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &n) < 0 || privsep_reader_end(&r) < 0 || n > PRIVSEP_MAX_FDS)
		return PRIVSEP_VIOLATION;
	for (uint32_t i = 0; i < n; i++) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return privsep_req_fail(req, errno, "open /dev/null");
		if (privsep_req_reply_fd(req, fd) < 0)
			return errno;
	}
	return 0;
}

static int deny(struct privsep_req *req, void *arg)
{
	(void)arg;
	return privsep_req_fail(req, EACCES, "denied by rule 3 (test.policy:7)");
}

const struct privsep_handler testapp_table[] = {
    {T_ECHO_STR, "echo-str", 4, 256, 0, 0, PRIVSEP_H_CALL, echo_str, NULL, 0},
    {T_POST, "post", 0, 64, 0, 0, PRIVSEP_H_POST, post, NULL, 0},
    {T_TAKE_FD, "take-fd", 0, 0, 1, 1, PRIVSEP_H_CALL, take_fd, NULL, 0},
    {T_ONCE, "once", 0, 0, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_ONCE, once, NULL, 0},
    {T_GIVE_FDS, "give-fds", 4, 4, 0, 0, PRIVSEP_H_CALL, give_fds, NULL, 0},
    {T_DENY, "deny", 0, 16, 0, 0, PRIVSEP_H_CALL, deny, NULL, 0},
    {T_TWO_FDS_MAX, "two-fds-max", 0, 0, 0, 2, PRIVSEP_H_CALL, count, NULL, 0},
};
const size_t testapp_n = sizeof(testapp_table) / sizeof(testapp_table[0]);
