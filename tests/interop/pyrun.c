/* SPDX-License-Identifier: ISC */
#include <fcntl.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "pyrun.h"

/* The system's Python 3 as an ELF program (a wrapper script cannot be
 * executed through a close-on-exec fd), or NULL. */
static const char *python(void)
{
	static const char *const paths[] = {"/usr/bin/python3", "/usr/local/bin/python3"};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char magic[4];
		int fd = open(paths[i], O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, magic, 4) : -1;
		if (fd >= 0)
			close(fd);
		if (n == 4 && !memcmp(magic, "\177ELF", 4))
			return paths[i];
	}
	return NULL;
}

void py_dump(const struct hx *x)
{
	for (int i = 0; i < x->nlog; i++)
		fprintf(stderr, "log: %s\n", x->log[i]);
}

struct hx *py_run(const struct privsep_handler *table, size_t n, size_t msg_max, const char *script,
                  const char *mode, const char *arg, const char *policy_text)
{
	static const char *const dirs[] = {INTEROP_DIR};
	char path[512], argpath[512];
	const char *py = python();
	const char *argv[] = {"python3", "-I", "-S", "-B", path, mode, argpath, NULL};
	struct privsep_sandbox sb = {.policy = policy_text ? "python-variant.policy"
	                                                   : INTEROP_DIR "/python.policy",
	                             .policy_text = policy_text};
	struct privsep_exec ex = {
	    .argv = argv, .flags = PRIVSEP_EXEC_FOREIGN, .read_beneath = dirs, .nread = 1};
	struct privsep_spawn sp = {.name = "python", .sandbox = &sb, .exec = &ex};
	struct hx *x;

	if (!py)
		skip(); /* no Python 3 program on this machine */
	snprintf(path, sizeof(path), "%s/%s", INTEROP_DIR, script);
	snprintf(argpath, sizeof(argpath), "%s/%s", INTEROP_DIR, arg);
	x = hx_new(table, n, msg_max);
	assert_non_null(x);
	ex.fd = privsep_exec_open(py);
	assert_true(ex.fd >= 0);
	if (!privsep_spawn(x->h, &sp))
		py_dump(x);
	if (!hx_pump_gone(x, 1, 60000))
		py_dump(x);
	assert_int_equal(x->gone, 1);
	close(ex.fd);
	return x;
}

void py_assert_killed(const struct hx *x, enum privsep_violation v, const char *line)
{
	char named[96];
	const char *vline = "";
	int lines = 0, says;
	snprintf(named, sizeof(named), ": protocol violation %s:", privsep_violation_name(v));
	for (int k = 0; k < x->nlog; k++) {
		if (strstr(x->log[k], "protocol violation")) {
			lines++;
			vline = x->log[k];
		}
	}
	says = strstr(vline, named) && (!line || strstr(vline, line)) &&
	       strstr(vline, "; worker killed");
	if (x->last_exit.kind != PRIVSEP_EXIT_VIOLATION || x->last_exit.violation != v ||
	    lines != 1 || !says) {
		py_dump(x);
		fprintf(stderr, "wanted one violation line with \"%s\" and \"%s\"\n", named,
		        line ? line : "");
	}
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_VIOLATION);
	assert_string_equal(privsep_violation_name(x->last_exit.violation),
	                    privsep_violation_name(v));
	assert_int_equal(x->last_exit.signal, SIGKILL);
	assert_int_equal(lines, 1);
	assert_true(says);
}

void py_assert_exited(const struct hx *x, int status)
{
	if (x->last_exit.kind != PRIVSEP_EXIT_STATUS || x->last_exit.status != status)
		py_dump(x);
	assert_int_equal(x->last_exit.kind, PRIVSEP_EXIT_STATUS);
	assert_int_equal(x->last_exit.status, status);
}
