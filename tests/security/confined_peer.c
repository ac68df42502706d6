/* SPDX-License-Identifier: ISC */
/*
 * confined_peer.c - the fixture of the tests of a confined helper (see
 * confined_peer.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "confined_peer.h"
#include "harness.h"

char cp_top[64];

int cp_landlock_abi(void)
{
	return (int)syscall(444, NULL, 0, 1);
}

int cp_openat2(const char *path, int flags)
{
	struct open_how how = {.flags = (uint64_t)(flags | O_CLOEXEC),
	                       .mode = (flags & O_CREAT) ? 0600 : 0};
	return (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));
}

const char *cp_at(const char *rel)
{
	static char p[4][256];
	static int i;
	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", cp_top, rel);
	return p[i];
}

void cp_put(const char *rel, const char *text, mode_t mode)
{
	int fd = open(cp_at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

const char *cp_text_of(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	int e = errno;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	errno = e;
	return buf;
}

int cp_same_text(const char *rel, const char *want)
{
	char buf[64] = "";
	int fd = open(cp_at(rel), O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	if (fd >= 0)
		close(fd);
	return n >= 0 && !strncmp(buf, want, sizeof(buf));
}

int cp_setup(const char *tmpl)
{
	snprintf(cp_top, sizeof(cp_top), "%s", tmpl);
	if (!mkdtemp(cp_top) || chmod(cp_top, 0755) < 0)
		return -1;
	return 0;
}

int cp_teardown(void **s)
{
	(void)s;
	return hx_rmtree(cp_top);
}

int cp_refused(const char *what, int rc)
{
	int e = errno;
	if (rc >= 0 && what[0] == 'o') /* an fd: closed, never written */
		close(rc);
	if (rc < 0 && e == EACCES)
		return 1;
	fprintf(stderr, "not refused: %s: %s\n", what, rc < 0 ? strerror(e) : "done");
	return 0;
}

const char *cp_policy(const char *fmt, ...)
{
	static char t[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t, sizeof(t), fmt, ap);
	va_end(ap);
	return t;
}

struct hx *cp_confined(const char *policy, int *fd)
{
	char why[512];
	struct privsep_worker *w;
	struct hx *x = hx_new(NULL, 0, 8192);
	if (!x)
		return NULL;
	*fd = hx_attach_policy(x, "files", "files.policy", policy, &w, why, sizeof(why));
	if (*fd < 0) {
		fprintf(stderr, "policy: %s\n", why);
		return NULL;
	}
	return x;
}

void cp_dump(const struct hx *x)
{
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

int cp_served(struct hx *x, pid_t kid)
{
	siginfo_t si;
	if (!hx_pump_gone(x, 1, 30000))
		return 1;
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)kid, &si, WEXITED) < 0 || si.si_code != CLD_EXITED ||
	    si.si_status != 0) {
		fprintf(stderr, "the worker's side: step %d failed\n", si.si_status);
		cp_dump(x);
		return 2;
	}
	return 0;
}

int cp_serve(struct hx *x, int fd, int (*worker)(int), const char *name, const char *text)
{
	int rc;
	pid_t kid = fork();
	if (kid < 0)
		return 2;
	if (kid == 0)
		_exit(worker(fd));
	close(fd);
	if (privsep_helper_confine(x->h, name, text) < 0)
		return 3;
	rc = cp_served(x, kid);
	return rc ? 3 + rc : 0;
}

int cp_run_child(int (*body)(void))
{
	int st;
	pid_t p = fork();
	assert_true(p >= 0);
	if (p == 0)
		_exit(body());
	assert_int_equal(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st))
		fail_msg("the confined helper was killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

int cp_renamed_over(int (*body)(int ready, int go), const char *rel, const char *text)
{
	int ready[2], go[2], st;
	char c, tmp[512];
	pid_t p;
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(go), 0);
	p = fork();
	assert_true(p >= 0);
	if (p == 0) {
		close(go[1]);
		_exit(body(ready[1], go[0]));
	}
	close(ready[1]);
	close(go[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	/* the new file, then the rename over the old one */
	snprintf(tmp, sizeof(tmp), "%s.new", rel);
	cp_put(tmp, text, 0644);
	snprintf(tmp, sizeof(tmp), "%s", cp_at(tmp));
	assert_int_equal(rename(tmp, cp_at(rel)), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(waitpid(p, &st, 0), p);
	close(ready[0]);
	close(go[1]);
	if (!WIFEXITED(st))
		fail_msg("the confined helper was killed by signal %d", WTERMSIG(st));
	return WEXITSTATUS(st);
}

struct hx *cp_confined_now(const char *policy)
{
	int fd;
	struct hx *x = cp_confined(policy, &fd);
	if (!x)
		return NULL;
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return NULL;
	}
	return x;
}

int cp_serve_told(struct hx *x, int fd, int (*worker)(int fd, int go), int ready, int go)
{
	int rc;
	pid_t kid = fork();
	if (kid < 0)
		return 2;
	if (kid == 0)
		_exit(worker(fd, go));
	close(fd);
	if (privsep_helper_confine(x->h, NULL, NULL) < 0) {
		cp_dump(x);
		return 3;
	}
	if (write(ready, "r", 1) != 1)
		return 4;
	rc = cp_served(x, kid);
	return rc ? 4 + rc : 0;
}
