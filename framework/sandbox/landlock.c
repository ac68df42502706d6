/* SPDX-License-Identifier: ISC */
/*
 * landlock.c - the kernel's Landlock, as the sandbox uses it: which ABI
 * this kernel offers and what it can enforce, and a restriction of this
 * process with a ruleset (step 9; exec mode's two layers).
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sandbox.h"

/* Landlock, carried here: Debian 12's headers stop at ABI 2. */
#define LL_CREATE_RULESET_VERSION (1u << 0)
#define LL_SYS_CREATE_RULESET 444
#define LL_SYS_RESTRICT_SELF 446
#define LL_FS_ABI1 ((1ull << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER (1ull << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ull << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ull << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP (1ull << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ull << 1)
#define LL_SCOPE_ABSTRACT_UNIX (1ull << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ull << 1)

struct ll_ruleset_attr {
	uint64_t handled_access_fs;
	uint64_t handled_access_net;
	uint64_t scoped;
};

/* The kernel's ABI, asked once per process: it cannot change while the
 * kernel runs (one syscall less on every spawn). */
static long probed_abi;
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static void probe_abi(void)
{
	probed_abi = syscall(LL_SYS_CREATE_RULESET, NULL, 0, LL_CREATE_RULESET_VERSION);
}

void landlock_probe(struct landlock_plan *ll)
{
	long abi;
	pthread_once(&probe_once, probe_abi);
	abi = probed_abi;
	memset(ll, 0, sizeof(*ll));
	if (abi <= 0)
		return;
	ll->abi = (int)abi;
	ll->fs = LL_FS_ABI1;
	if (abi >= 2)
		ll->fs |= LL_FS_REFER;
	if (abi >= 3)
		ll->fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		ll->fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4)
		ll->net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
	if (abi >= 6)
		ll->scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
}

int landlock_restrict(const struct landlock_plan *ll, int (*rules)(int, const struct sb_plan *),
                      const struct sb_plan *p)
{
	struct ll_ruleset_attr attr = {ll->fs, ll->net, ll->scoped};
	size_t size = ll->abi >= 6 ? 24 : ll->abi >= 4 ? 16 : 8;
	long fd = syscall(LL_SYS_CREATE_RULESET, &attr, size, 0);
	int rc;
	if (fd < 0)
		return -1;
	rc = rules ? rules((int)fd, p) : 0;
	if (rc == 0)
		rc = (int)syscall(LL_SYS_RESTRICT_SELF, (int)fd, 0);
	close((int)fd);
	return rc;
}
