/*
 * libFuzzer target: the worker's client fed arbitrary records from a
 * hostile helper (replies and events, with fds, bulk memfds sealed or
 * not).  A leaked fd, a mapping left behind or a crash is a finding.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "privsep.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(struct privsep_req *req, void *arg)
{
	uint8_t x = 0;
	(void)arg;
	for (size_t i = 0; i < req->bulk_len; i++)
		x ^= ((const uint8_t *)req->bulk)[i];
	for (size_t i = 0; i < req->len; i++)
		x ^= req->data[i];
	return x == 0x5a ? PRIVSEP_VIOLATION : 0;
}

static const struct privsep_handler table[] = {
    {0x10001, "event", 0, 16, 0, 2, PRIVSEP_H_EVENT, on_event, NULL, 0},
    {0x10002, "bulk-event", 0, 16, 0, 1, PRIVSEP_H_EVENT | PRIVSEP_H_BULK, on_event, NULL, 64},
    {0x10003, "call", 0, 16, 0, 0, PRIVSEP_H_CALL, on_event, NULL, 0},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct privsep_client_config cfg = {.log = fuzz_quiet, .table = table, .n = 3};
	int sv[2], fds[4], nfds, before;
	struct privsep_client *c;
	union {
		struct cmsghdr align;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	if (size < 1 || size > 4096)
		return 0;
	before = fuzz_count_fds();
	if (privsep_chan_pair(sv) < 0)
		abort();
	c = privsep_client_new(sv[1], &cfg);
	if (!c)
		abort();
	nfds = data[0] % 5;
	for (int i = 0; i < nfds; i++)
		fds[i] = i == 0 && (data[0] & 0x80)
		             ? fuzz_memfd(8u * ((data[0] >> 3) & 7u), data[0] & 0x40)
		             : open("/dev/null", O_RDONLY | O_CLOEXEC);
	/* the rest of the bytes: one record as the helper sent it */
	struct iovec iov = {.iov_base = (void *)(uintptr_t)(data + 1), .iov_len = size - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * (size_t)nfds);
	}
	if (sendmsg(sv[0], &mh, MSG_NOSIGNAL) < 0 && size > 1)
		abort();
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	close(sv[0]);
	for (int i = 0; i < 4; i++)
		if (privsep_client_dispatch(c, 0) < 0)
			break;
	privsep_client_free(c);
	if (fuzz_count_fds() != before)
		abort(); /* an fd left behind */
	return 0;
}
