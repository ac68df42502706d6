/* SPDX-License-Identifier: ISC */
/*
 * test_confined_helper_answer.c - a compromised confined helper, the
 * attacker: code in the helper after privsep_helper_confine, holding
 * every worker's seccomp listener (SECCOMP_LISTENER sends it there).  A
 * call a worker's policy denies waits in the kernel for the helper's
 * answer; answered SECCOMP_USER_NOTIF_FLAG_CONTINUE, it runs as if the
 * policy allowed it.  helper.policy allowed SECCOMP_IOCTL_NOTIF_SEND for
 * learn mode, so every worker of a compromised confined helper ran
 * whatever call it made (its spawner refuses learn mode nobody asked for
 * before confining, but the mode was only in the helper's answer).
 * Confined with no learn-mode spawn made before, the helper cannot
 * answer.  Each helper runs in a child: confinement is for good.
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "confined_peer.h"
#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"

static atomic_int nreports;
static char report1[PROBE_REPORT_MAX + 1];

static int on_report(struct privsep_req *req, void *arg)
{
	(void)arg;
	if (atomic_load(&nreports) == 1) {
		memcpy(report1, req->data, req->len);
		report1[req->len] = '\0';
	}
	atomic_fetch_add(&nreports, 1);
	return 0;
}

static const struct privsep_handler table[] = {
    {PROBE_T_REPORT, "report", 0, PROBE_REPORT_MAX, 0, 0, PRIVSEP_H_CALL, on_report, NULL, 0},
};

/* Confined, with its spawner: an exec-mode worker under the shipped
 * default (no sendfile) says "told", and once answered calls sendfile.
 * The helper then stops serving and answers that call itself. */
static int answer_body(void)
{
	static const char *argv[] = {"exec_worker", PRIVSEP_EXEC_MARKER, "told-sendfile", "-",
	                             NULL};
	struct privsep_exec ex = {.argv = argv};
	struct privsep_spawn sp = {.name = "probe", .exec = &ex};
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct privsep_worker *w;
	struct pollfd pfd;
	struct hx *x = hx_new(table, 1, 0);
	int rc, e;

	ex.fd = privsep_exec_open(EXEC_WORKER);
	if (!x || ex.fd < 0)
		return 2;
	if (privsep_helper_confine_flags(x->h, NULL, NULL, PRIVSEP_CONFINE_EXEC_SPAWNS) < 0) {
		cp_dump(x);
		return 3;
	}
	w = privsep_spawn(x->h, &sp);
	if (!w) {
		cp_dump(x);
		return 4;
	}
	/* served as usual until "told" is answered: the worker's next call
	 * is sendfile, which its policy denies */
	while (atomic_load(&nreports) < 1 && x->gone == 0)
		privsep_helper_step(x->h, 5);
	if (atomic_load(&nreports) != 1 || w->un.fd < 0) {
		cp_dump(x);
		return 5;
	}
	/* the attacker's: the notification, then CONTINUE */
	pfd = (struct pollfd){.fd = w->un.fd, .events = POLLIN};
	memset(&req, 0, sizeof(req));
	if (poll(&pfd, 1, 20000) != 1 || ioctl(w->un.fd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0 ||
	    req.data.nr != SYS_sendfile) {
		fprintf(stderr, "no sendfile notification (%s, nr %d)\n", strerror(errno),
		        (int)req.data.nr);
		return 6;
	}
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	rc = ioctl(w->un.fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	e = errno;
	if (rc == 0) {
		/* it ran: its result is the worker's next report */
		while (atomic_load(&nreports) < 2 && x->gone == 0)
			privsep_helper_step(x->h, 5);
		fprintf(stderr,
		        "the confined helper answered the worker's denied sendfile CONTINUE, and "
		        "it ran: %s\n",
		        report1[0] ? report1 : "(no report)");
		return 7;
	}
	if (e != EPERM) {
		fprintf(stderr, "SECCOMP_IOCTL_NOTIF_SEND failed with %s, not EPERM\n",
		        strerror(e));
		return 8;
	}
	/* the call never ran: the worker waits in it until it is stopped */
	privsep_worker_stop(w);
	if (!hx_pump_gone(x, 1, 20000) || atomic_load(&nreports) != 1) {
		cp_dump(x);
		return 9;
	}
	close(ex.fd);
	return 0;
}

/* Fails on main: the answer is taken, the worker's sendfile runs and
 * returns what the kernel's sendfile does with fds it does not hold
 * (EBADF), and the worker reports it. */
static void a_compromised_confined_helper_cannot_let_a_workers_denied_call_run(void **s)
{
	(void)s;
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	assert_int_equal(cp_run_child(answer_body), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_compromised_confined_helper_cannot_let_a_workers_denied_call_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
