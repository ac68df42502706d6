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
    {.type = T_ECHO_STR,
     .name = "echo-str",
     .min_len = 4,
     .max_len = 256,
     .flags = PRIVSEP_H_CALL,
     .fn = echo_str},
    {.type = T_POST, .name = "post", .max_len = 64, .flags = PRIVSEP_H_POST, .fn = post},
    {.type = T_TAKE_FD,
     .name = "take-fd",
     .min_fds = 1,
     .max_fds = 1,
     .flags = PRIVSEP_H_CALL,
     .fn = take_fd},
    {.type = T_ONCE, .name = "once", .flags = PRIVSEP_H_CALL | PRIVSEP_H_ONCE, .fn = once},
    {.type = T_GIVE_FDS,
     .name = "give-fds",
     .min_len = 4,
     .max_len = 4,
     .flags = PRIVSEP_H_CALL,
     .fn = give_fds},
    {.type = T_DENY, .name = "deny", .max_len = 16, .flags = PRIVSEP_H_CALL, .fn = deny},
    {.type = T_TWO_FDS_MAX,
     .name = "two-fds-max",
     .max_fds = 2,
     .flags = PRIVSEP_H_CALL,
     .fn = count},
};
const size_t testapp_n = sizeof(testapp_table) / sizeof(testapp_table[0]);
