/*
 * libFuzzer target: the helper's dispatch fed arbitrary records, with and
 * without fds, from a worker that is new each time.  A leaked fd or a
 * worker that survives a violation without being dropped is a crash.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helper_int.h"
#include "fuzz_util.h"
#include "privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int str_handler(struct privsep_req *req, void *arg)
{
	struct privsep_reader r;
	const char *s;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_get_str(&r, &s, NULL) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	privsep_put_str(&req->reply, s);
	return 0;
}

static int fd_handler(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (req->nfds && (req->data[0] & 1))
		return privsep_req_reply_fd(req, privsep_req_take_fd(req, 0)) < 0 ? 5 : 0;
	return req->len ? 13 : 0;
}

static int bulk_handler(struct privsep_req *req, void *arg)
{
	uint8_t sum = 0;
	(void)arg;
	for (size_t i = 0; i < req->bulk_len; i++)
		sum ^= ((const uint8_t *)req->bulk)[i];
	return sum & 1 ? PRIVSEP_VIOLATION : 0;
}

static const struct privsep_handler table[] = {
    {0x10001, "str", 4, 256, 0, 0, PRIVSEP_H_CALL, str_handler, NULL, 0},
    {0x10002, "post", 0, 64, 0, 2, PRIVSEP_H_POST, fd_handler, NULL, 0},
    {0x10003, "fd", 1, 16, 1, 4, PRIVSEP_H_CALL | PRIVSEP_H_ONCE, fd_handler, NULL, 0},
    {0x10004, "bulk", 0, 16, 0, 2, PRIVSEP_H_POST | PRIVSEP_H_BULK, bulk_handler, NULL, 64},
    {0x10005, "bulk-call", 0, 16, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_BULK, bulk_handler, NULL, 64},
    {0x10006, "event", 0, 8, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
};

static struct privsep_helper *h;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2], fds[4], nfds, before;
	struct privsep_worker *w;
	char sink[4096];
	if (!h) {
		struct privsep_helper_config cfg = {.log = fuzz_quiet};
		h = privsep_helper_new(table, sizeof(table) / sizeof(table[0]), &cfg);
		if (!h)
			abort();
	}
	if (size < 1 || size > 4096)
		return 0;
	before = fuzz_count_fds();
	if (privsep_chan_pair(sv) < 0)
		abort();
	w = privsep_helper_add(h, sv[0], -1, 0, "fuzz");
	if (!w)
		abort();
	nfds = data[0] % 5;
	/* fd 0 is a memfd of 0..56 bytes, sealed or not, when bit 7 says so:
	 * bulk records need one */
	for (int i = 0; i < nfds; i++) {
		if (i == 0 && (data[0] & 0x80))
			fds[i] = fuzz_memfd(8u * ((data[0] >> 3) & 7u), data[0] & 0x40);
		else
			fds[i] = i % 2 ? open("/dev/null", O_RDONLY | O_CLOEXEC) : dup(sv[1]);
	}
	/* the rest of the bytes: one or two records as they arrived */
	helper_feed(w, (uint8_t *)(uintptr_t)(data + 1), size - 1, fds, (size_t)nfds);
	if (privsep_helper_nworkers(h) == 1 && size > 8) {
		int none[1];
		helper_feed(w, (uint8_t *)(uintptr_t)(data + 1), (size - 1) / 2, none, 0);
	}
	while (recv(sv[1], sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
	close(sv[1]);
	/* the helper notices the end of the stream and drops the worker */
	for (int i = 0; i < 10 && privsep_helper_nworkers(h) > 0; i++)
		privsep_helper_step(h, 0);
	if (privsep_helper_nworkers(h) != 0 || fuzz_count_fds() != before)
		abort(); /* a worker or an fd left behind */
	return 0;
}
