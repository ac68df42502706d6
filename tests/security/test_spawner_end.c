/* SPDX-License-Identifier: ISC */
/*
 * test_spawner_end.c - the spawner's END and GOT (framework/helper/
 * spawner_end.c), one behaviour a test, each played by a compromised
 * confined helper that writes its own records on the spawner's socket:
 * it asks for a spawn itself and keeps the answer (the spawner then
 * holds the pidfd of the process it cloned), then says END or GOT.
 *
 * - END for the process it holds: killed through the pidfd, answered
 *   ENDED 0 once it ended (not before);
 * - after that END it holds nothing: the same END again is refused, and
 *   the next spawn request is taken;
 * - while it holds one, an END naming any other pid (the helper's own,
 *   0, a process it never cloned) is refused (ESRCH, one line) and the
 *   one it holds lives on;
 * - a GOT naming a pid it does not hold, or when it holds none, and an
 *   END that is malformed (longer, or with an fd) make it exit, ending
 *   nothing.
 *
 * The helper starts its spawner directly (spawner_start, what
 * privsep_helper_confine does first), as test_spawner_attack.c does, so
 * that the test process stays unconfined and can look at what started:
 * the cloned process is this process's child (CLONE_PARENT).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "exec_probe.h"
#include "harness.h"
#include "helper_int.h"
#include "spawn_job.h"
#include "spawner.h"
#include "spawner_peer.h"

struct fx {
	struct hx *x;
	struct privsep_exec ex;
	struct privsep_spawn sp;
	int err2;    /* the spawner's standard error */
	int sock;    /* the spawner's socket, the attacker's */
	pid_t pid;   /* the process the spawner cloned and holds */
	int kept[8]; /* the answer's fds: kept[0] its pidfd */
	size_t nkept;
};

/* A helper with its spawner (standard error a memfd of the test's),
 * confined as privsep_helper_confine marks it. */
static void fx_new(struct fx *f)
{
	memset(f, 0, sizeof(*f));
	f->x = spawner_peer_helper(&f->ex);
	f->sp = (struct privsep_spawn){.name = "end", .exec = &f->ex};
	f->err2 = spawner_peer_start(f->x->h);
	f->x->h->confined = 1;
	f->sock = f->x->h->spawner.sock;
}

/* The attacker's own spawn request, answered, its answer kept and no
 * GOT said: the spawner holds f->pid. */
static void fx_hold(struct fx *f)
{
	uint8_t *buf = calloc(1, SPAWNER_REQ_MAX);
	int fds[SPAWNER_REQ_FDS];
	size_t len, nfds;
	uint32_t err = 1;
	assert_non_null(buf);
	assert_int_equal(spawner_req_write(&f->sp, buf, SPAWNER_REQ_MAX, &len, fds, &nfds), 0);
	assert_int_equal(raw_send(f->sock, buf, len, fds, nfds), 0);
	free(buf);
	assert_int_equal(spawner_peer_answer(f->sock, &err, &f->pid, f->kept, 8, &f->nkept), 0);
	assert_int_equal(err, 0);
	assert_true(f->pid > 0);
	assert_true(f->nkept >= 1);
}

/* Has the held process ended (its pidfd readable now)? */
static int fx_ended(const struct fx *f)
{
	struct pollfd p = {f->kept[0], POLLIN, 0};
	return poll(&p, 1, 0) == 1;
}

/* The spawner's exit: end of file on its socket within 20 s, with its
 * line holding what. */
static void fx_spawner_exits(const struct fx *f, const char *what)
{
	struct pollfd p = {f->sock, POLLIN, 0};
	uint8_t b[64];
	assert_int_equal(poll(&p, 1, 20000), 1);
	if (recv(f->sock, b, sizeof(b), MSG_DONTWAIT) != 0)
		fail_msg("the spawner answered and goes on (it should exit: %s)", what);
	assert_int_equal(spawner_peer_lines_with(f->err2, what), 1);
	assert_int_equal(spawner_peer_lines_with(f->err2, "it exits"), 1);
}

/* The held process killed (if still there) and reaped, the fds closed,
 * the helper freed. */
static void fx_free(struct fx *f)
{
	if (f->pid > 0) {
		(void)syscall(SYS_pidfd_send_signal, f->kept[0], SIGKILL, NULL, 0);
		waitpid(f->pid, NULL, __WALL);
	}
	for (size_t i = 0; i < f->nkept; i++)
		close(f->kept[i]);
	close(f->err2);
	close(f->ex.fd);
	hx_free(f->x);
}

/* END for the process the spawner holds: ENDED 0, and by then the
 * process has ended, killed (SIGKILL through the pidfd).  Fails with the
 * kill taken out of spawner_held_record (ETIMEDOUT after its wait, the
 * process alive). */
static void an_end_for_the_held_process_kills_it_and_is_answered_once_it_ended(void **s)
{
	struct fx f;
	siginfo_t si;
	uint32_t e = 1;
	(void)s;
	fx_new(&f);
	fx_hold(&f);
	assert_false(fx_ended(&f));
	assert_int_equal(spawner_peer_end(f.sock, f.pid, &e), 0);
	assert_int_equal(e, 0);
	assert_true(fx_ended(&f));
	memset(&si, 0, sizeof(si));
	assert_int_equal(
	    waitid((idtype_t)P_PIDFD, (id_t)f.kept[0], &si, WEXITED | WNOHANG | WNOWAIT | __WALL),
	    0);
	assert_int_equal(si.si_code, CLD_KILLED);
	assert_int_equal(si.si_status, SIGKILL);
	assert_int_equal(spawner_peer_lines_with(f.err2, "refused to end"), 0);
	fx_free(&f);
}

/* After that END the spawner holds nothing: the same END again is
 * refused (ESRCH, its line), and the helper's next spawn starts.  Fails
 * with spawner_held_drop taken out of the END's kill (the second END
 * answered 0; the next spawn "before the helper said"). */
static void after_an_end_the_spawner_holds_nothing_and_takes_the_next_spawn(void **s)
{
	struct fx f;
	char line[128];
	uint32_t e = 1;
	(void)s;
	fx_new(&f);
	fx_hold(&f);
	assert_int_equal(spawner_peer_end(f.sock, f.pid, &e), 0);
	assert_int_equal(e, 0);
	assert_int_equal(spawner_peer_end(f.sock, f.pid, &e), 0);
	assert_int_equal(e, ESRCH);
	snprintf(line, sizeof(line), "refused to end pid %d: not the process it cloned",
	         (int)f.pid);
	assert_int_equal(spawner_peer_lines_with(f.err2, line), 1);
	assert_non_null(privsep_spawn(f.x->h, &f.sp));
	assert_true(hx_pump_gone(f.x, 1, 20000));
	assert_int_equal(spawner_peer_lines_with(f.err2, "it exits"), 0);
	fx_free(&f);
}

/* While it holds a process, an END naming another pid (the helper's own,
 * 0, a process it never cloned) is refused, ESRCH and one line each, and
 * the process it holds lives on until the END that names it.  Fails with
 * the pid's comparison taken out of the END's check (the held process
 * killed for an END naming the helper). */
static void while_it_holds_one_an_end_naming_another_pid_is_refused_and_ends_nothing(void **s)
{
	struct fx f;
	pid_t stranger, targets[3];
	uint32_t e;
	(void)s;
	fx_new(&f);
	fx_hold(&f);
	stranger = fork();
	assert_true(stranger >= 0);
	if (stranger == 0) {
		for (;;)
			pause();
	}
	targets[0] = getpid();
	targets[1] = 0;
	targets[2] = stranger;
	for (int i = 0; i < 3; i++) {
		char line[128];
		e = 0;
		if (spawner_peer_end(f.sock, targets[i], &e) < 0 || e != ESRCH) {
			kill(stranger, SIGKILL);
			waitpid(stranger, NULL, 0);
			fail_msg("an END naming pid %d while the spawner holds %d: %s %u",
			         (int)targets[i], (int)f.pid, "answered", e);
		}
		snprintf(line, sizeof(line), "refused to end pid %d: not the process it cloned",
		         (int)targets[i]);
		assert_int_equal(spawner_peer_lines_with(f.err2, line), 1);
		assert_false(fx_ended(&f));
	}
	assert_int_equal(kill(stranger, 0), 0);
	kill(stranger, SIGKILL);
	waitpid(stranger, NULL, 0);
	/* the one it holds is still its to end */
	assert_int_equal(spawner_peer_end(f.sock, f.pid, &e), 0);
	assert_int_equal(e, 0);
	assert_true(fx_ended(&f));
	fx_free(&f);
}

/* A GOT naming a pid the spawner does not hold: it exits, and the
 * process it held was not killed by it.  Fails with the pid's comparison
 * taken out of the GOT's check (the spawner goes on). */
static void a_got_naming_another_pid_makes_the_spawner_exit(void **s)
{
	struct fx f;
	(void)s;
	fx_new(&f);
	fx_hold(&f);
	spawner_peer_got(f.sock, getpid());
	fx_spawner_exits(&f, "which is not the process the spawner cloned last and holds");
	fx_free(&f);
}

/* A GOT when it holds nothing (pid 0, what its empty hold says): it
 * exits.  Fails with the "holds none" test taken out of the GOT's check
 * (the spawner takes it and goes on). */
static void a_got_when_it_holds_nothing_makes_the_spawner_exit(void **s)
{
	struct fx f;
	(void)s;
	fx_new(&f);
	spawner_peer_got(f.sock, 0);
	fx_spawner_exits(&f, "the helper says it holds pid 0");
	fx_free(&f);
}

/* An END for the held process that is malformed (four bytes more, or
 * an fd with it): the spawner exits, and by its exit it had killed
 * nothing.  Fails with the record's end check, or its fd check, taken
 * out (the process killed, ENDED answered). */
static void a_malformed_end_makes_the_spawner_exit_ending_nothing(void **s)
{
	(void)s;
	for (int withfd = 0; withfd < 2; withfd++) {
		struct fx f;
		uint8_t rec[12];
		struct privsep_writer w;
		int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
		assert_true(null >= 0);
		fx_new(&f);
		fx_hold(&f);
		privsep_writer_init(&w, rec, sizeof(rec));
		privsep_writer_put_u32(&w, SPAWNER_END_MAGIC);
		privsep_writer_put_u32(&w, (uint32_t)f.pid);
		if (!withfd)
			privsep_writer_put_u32(&w, 0);
		assert_int_equal(raw_send(f.sock, rec, w.len, &null, withfd ? 1 : 0), 0);
		close(null);
		fx_spawner_exits(&f, withfd ? "a malformed END record (8 bytes, 1 fds)"
		                            : "a malformed END record (12 bytes, 0 fds)");
		assert_false(fx_ended(&f));
		fx_free(&f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(an_end_for_the_held_process_kills_it_and_is_answered_once_it_ended),
	    cmocka_unit_test(after_an_end_the_spawner_holds_nothing_and_takes_the_next_spawn),
	    cmocka_unit_test(
	        while_it_holds_one_an_end_naming_another_pid_is_refused_and_ends_nothing),
	    cmocka_unit_test(a_got_naming_another_pid_makes_the_spawner_exit),
	    cmocka_unit_test(a_got_when_it_holds_nothing_makes_the_spawner_exit),
	    cmocka_unit_test(a_malformed_end_makes_the_spawner_exit_ending_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
