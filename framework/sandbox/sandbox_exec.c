/* SPDX-License-Identifier: ISC */
/*
 * sandbox_exec.c - exec mode: the worker is a program executed from a
 * fresh image, with nothing of the helper's memory.
 *
 * Before the execveat (in the helper's fork, steps 1-11 of sandbox.c):
 * the channel on fd 3, the application's kept fds on 4.., the program on
 * fdn, the worker's own RLIMIT_NOFILE, a number no fd of the new image can
 * ever have; a first Landlock layer that lets the new image read its
 * libraries and execute only the program and its ELF interpreter; a first
 * filter, the policy's and the start's needs (exec.policy), whose only
 * execveat is of fd fdn.  In the new image (sandbox_narrow, called by
 * privsep_client_main before READY): dumpable off again (execve set it),
 * a second Landlock layer with no right at all, the self-check, and a
 * second filter under which execve, execveat, every open and every
 * executable mapping fail (ENOSYS) where the first allowed them.
 * SECURITY.md's step table says the same.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "filter.h"
#include "narrow_bpf.h"
#include "narrow_rules.h"
#include "sandbox.h"

#define LL_SYS_ADD_RULE 445
#define LL_RULE_PATH_BENEATH 1
#define LL_EXECUTE (1ull << 0)
#define LL_READ_FILE (1ull << 2)
#define LL_READ_DIR (1ull << 3)

struct ll_path_beneath {
	uint64_t allowed_access;
	int32_t parent_fd;
} __attribute__((packed));

/* What the loader reads on every system (merged /usr or not); in an
 * AddressSanitizer build (the test suite's second run) also /proc, which
 * its runtime reads at start (its own maps). */
static const char *const loader_paths[] = {
    "/usr",  "/lib", "/lib64", "/etc/ld.so.cache",
#if defined(__SANITIZE_ADDRESS__)
    "/proc",
#endif
};

/* The ELF interpreter named by the program's PT_INTERP, into buf ("":
 * none, a static program).  -1 when fd is not an ELF file of this
 * machine's class. */
static int elf_interp(int fd, char *buf, size_t len)
{
	Elf64_Ehdr eh;
	buf[0] = '\0';
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr)) {
		errno = ENOEXEC;
		return -1;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph)) {
			errno = ENOEXEC;
			return -1;
		}
		if (ph.p_type != PT_INTERP)
			continue;
		if (ph.p_filesz < 2 || ph.p_filesz > len ||
		    pread(fd, buf, ph.p_filesz, (off_t)ph.p_offset) != (ssize_t)ph.p_filesz ||
		    buf[ph.p_filesz - 1] != '\0' || buf[0] != '/') {
			buf[0] = '\0';
			errno = ENOEXEC;
			return -1;
		}
		return 0;
	}
	return 0;
}

/* The directory of the shared libprivsep this code is in ("" when it is
 * linked into the program itself), found once per process: where the
 * library was mapped from does not change (dladdr and realpath cost a
 * readlink per path component, at every spawn otherwise). */
static char lib_dir_found[PATH_MAX];
static pthread_once_t lib_dir_once = PTHREAD_ONCE_INIT;

static void lib_dir_find(void)
{
	Dl_info di;
	char tmp[PATH_MAX];
	if (!dladdr((void *)lib_dir_find, &di) || !di.dli_fname || !strstr(di.dli_fname, ".so"))
		return;
	if (!realpath(di.dli_fname, tmp))
		return;
	snprintf(lib_dir_found, sizeof(lib_dir_found), "%s", dirname(tmp));
}

static void lib_dir(char *buf, size_t len)
{
	pthread_once(&lib_dir_once, lib_dir_find);
	snprintf(buf, len, "%s", lib_dir_found);
}

int sandbox_elf_interp(int fd, char *buf, size_t len)
{
	return elf_interp(fd, buf, len);
}

int sandbox_exec_prepare(struct sb_plan *plan, const struct privsep_exec *ex,
                         const struct privsep_sandbox *sb, const char *name, int chan, char *why,
                         size_t whylen)
{
	struct sb_exec *e = &plan->exec;
	struct stat st;
	size_t nkeep = sb ? sb->nkeep : 0;

	memset(e, 0, sizeof(*e));
	if (ex->fd < 0 || fstat(ex->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "exec: the program's fd %d is not an open regular file",
		         ex->fd);
		errno = EBADF;
		return -1;
	}
	if (ex->flags & ~PRIVSEP_EXEC_FOREIGN) {
		snprintf(why, whylen, "exec: unknown flags 0x%x", ex->flags);
		errno = EINVAL;
		return -1;
	}
	if (elf_interp(ex->fd, e->interp, sizeof(e->interp)) < 0) {
		snprintf(why, whylen, "exec: the program is not an ELF file of this machine");
		return -1;
	}
	/* the first layer is what keeps the new image's start to its
	 * libraries: no Landlock, no exec mode */
	if (!plan->ll.abi) {
		snprintf(why, whylen, "exec mode needs Landlock, which this kernel does not offer");
		errno = ENOTSUP;
		return -1;
	}
	if (plan->nofile.rlim_cur < 4 + nkeep + 1 || plan->nofile.rlim_cur > 65536) {
		snprintf(
		    why, whylen,
		    "exec mode needs the worker's nofile limit between %zu and 65536, not %llu",
		    4 + nkeep + 1, (unsigned long long)plan->nofile.rlim_cur);
		errno = EINVAL;
		return -1;
	}
	e->on = 1;
	e->fd = ex->fd;
	e->chan = chan;
	e->fdn = (int)plan->nofile.rlim_cur;
	e->nkeep = nkeep;
	for (size_t i = 0; i < nkeep; i++)
		e->keep_src[i] = sb->keep_fds[i];
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "worker");
	lib_dir(e->libdir, sizeof(e->libdir));
	e->argv = ex->argv;
	e->envp = ex->envp;
	e->read = ex->read_beneath;
	e->nread = ex->read_beneath ? ex->nread : 0;
	/* the fds of the new image, sorted: 0-2, the channel, the kept
	 * ones, the program */
	plan->nkeep = 0;
	for (int fd = 0; fd < 4 + (int)nkeep; fd++)
		plan->keep[plan->nkeep++] = fd;
	plan->keep[plan->nkeep++] = e->fdn;
	/* a root helper's worker gets a root of its own (step 3) */
	if (plan->root && !(plan->flags & PRIVSEP_SB_NO_NAMESPACES))
		return sandbox_exec_root_plan(plan, loader_paths,
		                              sizeof(loader_paths) / sizeof(loader_paths[0]), why,
		                              whylen);
	return 0;
}

int sandbox_exec_fds(const struct sb_plan *p)
{
	const struct sb_exec *e = &p->exec;
	int src[PRIVSEP_SANDBOX_KEEP_MAX + 2], dst[PRIVSEP_SANDBOX_KEEP_MAX + 2],
	    tmp[PRIVSEP_SANDBOX_KEEP_MAX + 2];
	size_t n = 0;
	int hi = e->fdn;
	struct rlimit rl;

	src[n] = e->chan;
	dst[n++] = PRIVSEP_EXEC_CHAN_FD;
	for (size_t i = 0; i < e->nkeep; i++) {
		src[n] = e->keep_src[i];
		dst[n++] = PRIVSEP_EXEC_CHAN_FD + 1 + (int)i;
	}
	src[n] = e->fd;
	dst[n++] = e->fdn;
	for (size_t i = 0; i < n; i++)
		if (src[i] > hi)
			hi = src[i];
	/* copies above every number in play, then each to its place */
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if ((rlim_t)hi + n + 1 > rl.rlim_cur) {
		rl.rlim_cur = rl.rlim_max;
		if ((rlim_t)hi + n + 1 > rl.rlim_cur || setrlimit(RLIMIT_NOFILE, &rl) < 0) {
			errno = EMFILE;
			return -1;
		}
	}
	for (size_t i = 0; i < n; i++)
		if ((tmp[i] = fcntl(src[i], F_DUPFD_CLOEXEC, hi + 1)) < 0)
			return -1;
	for (size_t i = 0; i < n; i++) {
		if (dup3(tmp[i], dst[i], dst[i] == e->fdn ? O_CLOEXEC : 0) < 0)
			return -1;
		close(tmp[i]);
	}
	return 0;
}

static int add_rule(int ruleset, int fd, uint64_t access)
{
	struct ll_path_beneath pb = {access, fd};
	return (int)syscall(LL_SYS_ADD_RULE, ruleset, LL_RULE_PATH_BENEATH, &pb, 0);
}

/* Execute (and read) access to the file at path, which must exist. */
static int add_exec(int ruleset, const char *path, uint64_t handled)
{
	int fd = open(path, O_PATH | O_CLOEXEC), rc;
	if (fd < 0)
		return -1;
	rc = add_rule(ruleset, fd, (LL_EXECUTE | LL_READ_FILE) & handled);
	close(fd);
	return rc;
}

/* Read access beneath path (a directory) or to it (a file), when it
 * exists. */
static int add_read(int ruleset, const char *path, uint64_t handled)
{
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC), rc;
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	if (fstat(fd, &st) < 0) {
		close(fd);
		return -1;
	}
	rc = add_rule(ruleset, fd,
	              (S_ISDIR(st.st_mode) ? LL_READ_FILE | LL_READ_DIR : LL_READ_FILE) & handled);
	close(fd);
	return rc;
}

int sandbox_exec_rules(int ruleset, const struct sb_plan *p)
{
	const struct sb_exec *e = &p->exec;
	uint64_t fs = p->ll.fs;
	/* execute: the program and its interpreter, nothing else (the
	 * kernel opens the interpreter for execution by its path) */
	if (add_rule(ruleset, e->fdn, (LL_EXECUTE | LL_READ_FILE) & fs) < 0)
		return -1;
	if (e->interp[0] && add_exec(ruleset, e->interp, fs) < 0)
		return -1;
	for (size_t i = 0; i < e->nexec_more; i++)
		if (add_exec(ruleset, e->exec_more[i], fs) < 0)
			return -1;
	for (size_t i = 0; i < sizeof(loader_paths) / sizeof(loader_paths[0]); i++)
		if (add_read(ruleset, loader_paths[i], fs) < 0)
			return -1;
	if (e->libdir[0] && add_read(ruleset, e->libdir, fs) < 0)
		return -1;
	for (size_t i = 0; i < e->nread; i++)
		if (e->read[i] && add_read(ruleset, e->read[i], fs) < 0)
			return -1;
	return 0;
}

int sandbox_exec_run(const struct sb_plan *p)
{
	const struct sb_exec *e = &p->exec;
	const char *av[2] = {e->name, NULL};
	const char *ev[1] = {NULL};
	return (int)syscall(SYS_execveat, e->fdn, "", e->argv ? e->argv : av,
	                    e->envp ? e->envp : ev, AT_EMPTY_PATH);
}

const struct filter_policy *sandbox_narrow_policy(void)
{
	return &narrow_policy;
}

const struct filter_prog *sandbox_narrow_prog(void)
{
	/* libseccomp's compile of narrow_rules, made once at build time
	 * (narrow_gen.c): the new image only loads it */
	static const struct filter_prog prog = {
	    (struct sock_filter *)narrow_bpf,
	    (unsigned short)(sizeof(narrow_bpf) / sizeof(narrow_bpf[0]))};
	return &prog;
}

int sandbox_narrow(char *why, size_t whylen)
{
	struct landlock_plan ll;
	int fd;
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(why, whylen, "PR_SET_DUMPABLE: %s", strerror(errno));
		return -1;
	}
	landlock_probe(&ll);
	if (!ll.abi || landlock_restrict(&ll, NULL, NULL) < 0) {
		snprintf(why, whylen, "the second Landlock layer: %s",
		         ll.abi ? strerror(errno) : "Landlock not available");
		if (!ll.abi)
			errno = ENOTSUP;
		return -1;
	}
	fd = open("/", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		snprintf(why, whylen, "open(\"/\") succeeded under the second Landlock layer");
		errno = EPERM;
		return -1;
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1 ||
	    prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) {
		snprintf(why, whylen, "no_new_privs or dumpable not as set");
		errno = EPERM;
		return -1;
	}
	if (filter_load_plain(sandbox_narrow_prog()) < 0) {
		snprintf(why, whylen, "the second filter: %s", strerror(errno));
		return -1;
	}
	return 0;
}
