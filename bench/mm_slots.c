/* SPDX-License-Identifier: ISC */
/* mm_slots.c - a raw receiver's slots for recvmmsg(2) (mm_slots.h). */
#include "mm_slots.h"

void mm_slots_arm(struct mmsghdr *mm, struct iovec *iov, union mm_ctl *ctl, char *buf, size_t size,
                  unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		iov[i] = (struct iovec){buf + (size_t)i * size, size};
		mm[i].msg_hdr = (struct msghdr){.msg_iov = &iov[i],
		                                .msg_iovlen = 1,
		                                .msg_control = ctl[i].b,
		                                .msg_controllen = sizeof(ctl[i].b)};
	}
}
