/* SPDX-License-Identifier: ISC */
/*
 * test_interposition.c - a daemon's own function names cannot switch its
 * worker's sandbox off.
 *
 * This program is a daemon as a new user writes one: it links libprivsep
 * (the shared library, and in a second build the installed static one)
 * and defines, with interposer-stubs.sh, a function of its own for every
 * name the library had as an internal global before it exported only its
 * API (data/internal-names-f22fc3e.txt: filter_load, sandbox_enter,
 * chan_send, ...), each returning 0.  Then it spawns a worker under the
 * default policy.  It passes when the worker was fully sandboxed (the
 * helper reads Seccomp 2, its filters, NoNewPrivs 1 and empty capability
 * sets in /proc/PID/status while the worker runs, and socket(AF_INET)
 * kills it) or was not started at all (a sandbox step failed, application
 * code never ran), and the library never called one of the daemon's
 * functions.  Before, filter_load alone gave a worker with no filter.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <privsep.h>

#include "interposer.h"

#define T_CHECK 0x10000u

static struct {
	int checked;
	long seccomp, filters, nnp;
	int caps_empty;
	uint32_t worker_calls;
	int gone;
	struct privsep_exit_info exit;
} st;

/* The value of "Name:" in a /proc/PID/status text; -1 if absent. */
static long field(const char *status, const char *name, int base)
{
	char key[32];
	const char *p;
	snprintf(key, sizeof(key), "\n%s:", name);
	p = strstr(status, key);
	return p ? strtol(p + strlen(key), NULL, base) : -1;
}

/* The helper reads the running worker's state from the kernel. */
static int on_check(struct privsep_req *req, void *arg)
{
	static const char *const caps[] = {"CapInh", "CapPrm", "CapEff", "CapAmb"};
	char path[64], status[8192];
	struct privsep_reader r;
	ssize_t n;
	int fd;
	(void)arg;
	privsep_reader_init(&r, req->data, req->len);
	if (privsep_reader_get_u32(&r, &st.worker_calls) < 0 || privsep_reader_end(&r) < 0)
		return PRIVSEP_VIOLATION;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)privsep_worker_pid(req->worker));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return privsep_req_fail(req, EIO, "cannot open %s", path);
	status[0] = '\n';
	n = read(fd, status + 1, sizeof(status) - 2);
	close(fd);
	if (n <= 0)
		return privsep_req_fail(req, EIO, "cannot read %s", path);
	status[n + 1] = '\0';
	st.seccomp = field(status, "Seccomp", 10);
	st.filters = field(status, "Seccomp_filters", 10);
	st.nnp = field(status, "NoNewPrivs", 10);
	st.caps_empty = 1;
	for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++)
		st.caps_empty &= field(status, caps[i], 16) == 0;
	st.checked = 1;
	return 0;
}

static int worker(struct privsep_client *c, void *arg)
{
	uint8_t buf[4];
	struct privsep_writer w;
	struct privsep_result res = {0};
	int s;
	(void)arg;
	privsep_writer_init(&w, buf, sizeof(buf));
	privsep_writer_put_u32(&w, (uint32_t)interposed_calls);
	if (privsep_client_call(
	        c, &(struct privsep_out){.type = T_CHECK, .data = buf, .len = w.len}, &res) != 0)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	/* still here: the filter let it through */
	privsep_log(PRIVSEP_LOG_ERR, "socket(AF_INET) returned %d", s);
	return 3;
}

static void on_gone(struct privsep_worker *w, void *arg)
{
	(void)arg;
	st.gone = 1;
	st.exit = *privsep_worker_exit_info(w);
}

int main(void)
{
	static const struct privsep_handler table[] = {
	    {.type = T_CHECK,
	     .name = "CHECK",
	     .min_len = 4,
	     .max_len = 4,
	     .flags = PRIVSEP_H_CALL,
	     .fn = on_check},
	};
	struct privsep_helper_config cfg = {.on_worker_gone = on_gone};
	struct privsep_spawn sp = {.name = "interposed", .main = worker};
	struct privsep_helper *h = privsep_helper_new(table, 1, &cfg);
	struct privsep_worker *w;
	int ok = 0;

	if (!h) {
		printf("FAIL: privsep_helper_new: %m (%d of the daemon's functions called)\n",
		       interposed_calls);
		return 1;
	}
	w = privsep_spawn(h, &sp);
	if (w && privsep_helper_run(h) < 0)
		printf("privsep_helper_run: %m\n");
	privsep_helper_free(h);
	if (interposed_calls) {
		printf("FAIL: the library called the daemon's own functions %d times\n",
		       interposed_calls);
	} else if (!w) {
		printf("FAIL: privsep_spawn: %m\n");
	} else if (st.checked) {
		printf("worker: Seccomp %ld, Seccomp_filters %ld, NoNewPrivs %ld, capability sets "
		       "%s, %" PRIu32
		       " calls into the daemon's functions in the worker; its end: %s\n",
		       st.seccomp, st.filters, st.nnp, st.caps_empty ? "empty" : "NOT empty",
		       st.worker_calls, st.exit.line);
		ok = st.seccomp == 2 && st.filters >= 1 && st.nnp == 1 && st.caps_empty &&
		     st.worker_calls == 0 && st.exit.kind == PRIVSEP_EXIT_SECCOMP;
		printf("%s: the worker %s\n", ok ? "ok" : "FAIL",
		       ok ? "was fully sandboxed" : "was NOT fully sandboxed");
	} else if (st.gone && st.exit.kind == PRIVSEP_EXIT_SANDBOX) {
		printf("ok: the worker was not started: %s\n", st.exit.line);
		ok = 1;
	} else {
		printf("FAIL: the worker ended before its check: %s\n",
		       st.gone ? st.exit.line : "(never reported)");
	}
	return ok ? 0 : 1;
}
