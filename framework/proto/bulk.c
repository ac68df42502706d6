/* SPDX-License-Identifier: ISC */
/*
 * bulk.c - bulk payloads in sealed memfds.
 *
 * Shared memory is the fastest way to move a large payload and the most
 * dangerous one: a receiver that reads a buffer its sender can still
 * change reads it twice at its peril.  The rule here: the receiver maps
 * nothing the sender can change.  A memfd with F_SEAL_WRITE has no
 * writable mapping and takes no write(2) (the kernel refuses the seal
 * while a writable mapping exists), F_SEAL_SHRINK keeps its pages from
 * vanishing under the reader (SIGBUS), F_SEAL_GROW keeps its size, and
 * F_SEAL_SEAL keeps the set as it is.  Only a memfd made with
 * MFD_ALLOW_SEALING can carry F_SEAL_WRITE; other files fail
 * F_GET_SEALS or report F_SEAL_SEAL alone, so the check below also tells
 * a memfd from anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bulk.h"

int bulk_make(const void *data, size_t len)
{
	const uint8_t *p = data;
	int fd = memfd_create("privsep-bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len;) {
		ssize_t n = pwrite(fd, p + off, len - off, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		off += (size_t)n;
	}
	if (fcntl(fd, F_ADD_SEALS, BULK_SEALS) < 0)
		goto fail;
	return fd;
fail : {
	int saved = errno;
	close(fd);
	errno = saved;
	return -1;
}
}

static void missing_seals(int seals, char *buf, size_t len)
{
	static const struct {
		int seal;
		const char *name;
	} names[] = {{F_SEAL_WRITE, "F_SEAL_WRITE"},
	             {F_SEAL_SHRINK, "F_SEAL_SHRINK"},
	             {F_SEAL_GROW, "F_SEAL_GROW"},
	             {F_SEAL_SEAL, "F_SEAL_SEAL"}};
	size_t o = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && o < len; i++)
		if (!(seals & names[i].seal))
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "",
			                      names[i].name);
}

int bulk_map(int fd, uint64_t size, uint64_t max, const void **p, char *why, size_t whylen)
{
	struct stat st;
	int seals;
	void *m;

	*p = NULL;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0) {
		snprintf(why, whylen, "the bulk fd is not a memfd (F_GET_SEALS: %s)",
		         strerror(errno));
		return 1;
	}
	if ((seals & BULK_SEALS) != BULK_SEALS) {
		char miss[96];
		missing_seals(seals, miss, sizeof(miss));
		snprintf(why, whylen, "the bulk memfd is not fully sealed: missing %s", miss);
		return 1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "fstat of the bulk memfd: %s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "the bulk fd is not a memfd (not a regular file)");
		return 1;
	}
	if ((fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY) {
		snprintf(why, whylen, "the bulk memfd is not open for reading");
		return 1;
	}
	if (size > max) {
		snprintf(why, whylen, "bulk of %llu bytes is over the type's limit of %llu",
		         (unsigned long long)size, (unsigned long long)max);
		return 1;
	}
	if ((uint64_t)st.st_size != size) {
		snprintf(why, whylen, "the bulk memfd has %lld bytes, the record declares %llu",
		         (long long)st.st_size, (unsigned long long)size);
		return 1;
	}
	/* Every page written by the sender: a sparse memfd would make the
	 * receiver's mapping allocate (and pay for) the pages the sender
	 * never wrote. */
	{
		long page = sysconf(_SC_PAGESIZE);
		uint64_t need = (size + (uint64_t)page - 1) / (uint64_t)page * (uint64_t)page;
		if ((uint64_t)st.st_blocks * 512 < need) {
			snprintf(
			    why, whylen,
			    "the bulk memfd is sparse: %llu of %llu bytes allocated (the sender must write every byte)",
			    (unsigned long long)st.st_blocks * 512, (unsigned long long)need);
			return 1;
		}
	}
	if (size == 0) {
		*p = "";
		return 0;
	}
	if (size > SIZE_MAX) {
		snprintf(why, whylen, "bulk of %llu bytes cannot be mapped here",
		         (unsigned long long)size);
		errno = EFBIG;
		return -1;
	}
	m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (m == MAP_FAILED) {
		int err = errno;
		snprintf(why, whylen, "mapping %llu bytes of bulk: %s", (unsigned long long)size,
		         strerror(err));
		/* the fd's fault (no read access, not mappable), not the receiver's */
		if (err == EACCES || err == ENODEV || err == EINVAL)
			return 1;
		errno = err;
		return -1;
	}
	*p = m;
	return 0;
}

void bulk_unmap(const void *p, uint64_t size)
{
	if (p && size)
		munmap((void *)(uintptr_t)p, (size_t)size);
}
