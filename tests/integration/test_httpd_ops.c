/* SPDX-License-Identifier: ISC */
/*
 * test_httpd_ops.c - examples/httpd as an operator runs it: STATUS=
 * through its NOTIFY_SOCKET on each change, one line of counters on
 * SIGUSR1, the signals it does not document doing nothing, process titles
 * that tell the helper from its workers, and SIGHUP: the policy read
 * again and the workers replaced while a client keeps asking (no request
 * fails), or a broken policy refused in one line with the old one kept.
 *
 * Usage: test_httpd_ops HTTPD POLICY_DIR.  Every wait has a bound far
 * above what it takes: a slow machine is slower, not failing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpd_procs.h"

static const char *httpd_path, *policy_dir;
static char dir[64];

struct server {
	pid_t pid;
	int port;
	int notify;
	char log[128], policy[128];
};

static char *slurp(const char *path, size_t *len)
{
	static char buf[1 << 18];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (len)
		*len = n > 0 ? (size_t)n : 0;
	return buf;
}

static void write_text(const char *path, const char *text, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, n), (ssize_t)n);
	close(fd);
}

static int log_count(const struct server *s, const char *what)
{
	int c = 0;
	for (const char *p = slurp(s->log, NULL); (p = strstr(p, what)); p++)
		c++;
	return c;
}

/* Wait up to ms for the log to hold n lines with what. */
static int log_wait(const struct server *s, const char *what, int n, int ms)
{
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (log_count(s, what) < n) {
		if (ms_since(&t0) > ms)
			return -1;
		usleep(10000);
	}
	return 0;
}

/* httpd with two workers, --policy a copy of the shipped httpd.policy. */
static void server_start(struct server *s, const char *name)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char root[128], sock[128], src[512], *p;
	size_t n;

	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(sock, sizeof(sock), "%s/notify-%s", dir, name);
	snprintf(s->log, sizeof(s->log), "%s/log-%s", dir, name);
	snprintf(s->policy, sizeof(s->policy), "%s/policy-%s", dir, name);
	snprintf(src, sizeof(src), "%s/httpd.policy", policy_dir);
	p = slurp(src, &n);
	assert_true(n > 0);
	write_text(s->policy, p, n);
	s->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->notify >= 0);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(s->notify, (struct sockaddr *)&sa, sizeof(sa)), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test leaves none behind */
		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", sock, 1);
		unsetenv("JOURNAL_STREAM");
		execl(httpd_path, httpd_path, "--address", "127.0.0.1", "--port", "0", "--root",
		      root, "--workers", "2", "--send-timeout", "2", "--policy", s->policy,
		      (char *)NULL);
		_exit(127);
	}
	if (notify_wait(s->notify, "READY=1", NULL, 20000) < 0)
		fail_msg("httpd did not say READY=1 in 20 s");
	assert_int_equal(log_wait(s, "listening on 127.0.0.1:", 1, 10000), 0);
	/* and its spawner forked and named (not counted as a worker) */
	assert_int_equal(log_wait(s, "helper: confined by", 1, 10000), 0);
	p = strstr(slurp(s->log, NULL), "listening on 127.0.0.1:");
	s->port = atoi(p + strlen("listening on 127.0.0.1:"));
	assert_true(s->port > 0);
}

static void server_stop(struct server *s)
{
	int status;
	kill(s->pid, SIGTERM);
	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(s->notify);
}

/* One GET on a new connection: 1 when the answer is 200, 0 otherwise
 * (OPS_VERBOSE: which step failed). */
static int get_ok(int port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	static const char req[] =
	    "GET /index.html HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	struct timeval tv = {5, 0};
	char buf[512];
	size_t o = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) != (ssize_t)sizeof(req) - 1) {
		if (getenv("OPS_VERBOSE"))
			fprintf(stderr, "connect or send: %s\n", strerror(errno));
		close(fd);
		return 0;
	}
	for (;;) {
		ssize_t n = recv(fd, buf + o, sizeof(buf) - 1 - o, 0);
		if (n <= 0)
			break;
		o += (size_t)n;
		if (o == sizeof(buf) - 1)
			break;
	}
	buf[o] = '\0';
	close(fd);
	ok = !strncmp(buf, "HTTP/1.1 200 ", 13) && strstr(buf, "\r\n\r\nhello\n");
	if (!ok && getenv("OPS_VERBOSE"))
		fprintf(stderr, "answer (%zu bytes, %s): %.40s\n", o, strerror(errno), buf);
	return ok;
}

static void status_goes_to_the_service_manager_on_each_change(void **st)
{
	struct server s;
	pid_t kids[8];
	(void)st;
	server_start(&s, "status");
	assert_int_equal(
	    notify_wait(s.notify, "STATUS=serving ", "2 of 2 workers ready, 0 restarts", 10000), 0);
	assert_int_equal(proc_workers(s.pid, kids, 8), 2);
	kill(kids[0], SIGKILL);
	/* the death, then the restart ready again: each a new STATUS= */
	assert_int_equal(notify_wait(s.notify, "STATUS=", "1 of 2 workers ready", 10000), 0);
	assert_int_equal(
	    notify_wait(s.notify, "STATUS=", "2 of 2 workers ready, 1 restarts", 10000), 0);
	server_stop(&s);
}

static void sigusr1_logs_one_line_of_counters_and_undocumented_signals_do_nothing(void **st)
{
	struct server s;
	int status;
	(void)st;
	server_start(&s, "signals");
	assert_true(get_ok(s.port));
	kill(s.pid, SIGUSR1);
	assert_int_equal(log_wait(&s, "httpd: status: 2 workers (2 ready), ", 1, 10000), 0);
	assert_int_equal(log_count(&s, "httpd: status: "), 1);
	assert_int_equal(log_count(&s, " calls, 0 refused, 0 violations, 0 restarts, 0 queued, "),
	                 1);
	/* SIGUSR2 and SIGPIPE: taken and ignored; the service goes on */
	kill(s.pid, SIGUSR2);
	kill(s.pid, SIGPIPE);
	kill(s.pid, SIGUSR1);
	assert_int_equal(log_wait(&s, "httpd: status: ", 2, 10000), 0);
	assert_int_equal(waitpid(s.pid, &status, WNOHANG), 0);
	assert_true(get_ok(s.port));
	server_stop(&s);
}

static void process_titles_tell_the_helper_from_each_worker(void **st)
{
	struct server s;
	pid_t kids[8];
	char path[64], *p;
	int seen[3] = {0};
	(void)st;
	server_start(&s, "titles");
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)s.pid);
	assert_string_equal(slurp(path, NULL), "httpd: helper\n");
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)s.pid);
	assert_string_equal(slurp(path, NULL), "httpd: helper");
	assert_int_equal(proc_workers(s.pid, kids, 8), 2);
	for (int i = 0; i < 2; i++) {
		unsigned n = 0;
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)kids[i]);
		p = slurp(path, NULL);
		assert_int_equal(sscanf(p, "httpd: worker %u", &n), 1);
		assert_true(n == 1 || n == 2);
		seen[n]++;
		/* a worker is never named the helper */
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)kids[i]);
		assert_null(strstr(slurp(path, NULL), "helper"));
	}
	assert_int_equal(seen[1], 1);
	assert_int_equal(seen[2], 1);
	server_stop(&s);
}

struct tally {
	atomic_int stop;
	atomic_long ok, failed, longest_us;
};

static long us_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000000 + (t.tv_nsec - t0->tv_nsec) / 1000;
}

static void reload_replaces_every_worker_while_a_client_keeps_asking_and_none_fails(void **st)
{
	struct server s;
	struct tally *t =
	    mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t client, before[8], after[8];
	int status;
	long ok_before;
	(void)st;
	assert_true(t != MAP_FAILED);
	server_start(&s, "reload");
	assert_int_equal(proc_workers(s.pid, before, 8), 2);
	client = fork();
	assert_true(client >= 0);
	if (client == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL); /* a failed test leaves none behind */
		while (!atomic_load(&t->stop)) {
			struct timespec t0;
			long us;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			if (get_ok(s.port))
				atomic_fetch_add(&t->ok, 1);
			else
				atomic_fetch_add(&t->failed, 1);
			us = us_since(&t0);
			if (us > atomic_load(&t->longest_us))
				atomic_store(&t->longest_us, us);
		}
		_exit(0);
	}
	for (int k = 1; k <= 3; k++) {
		struct timespec r0;
		long during, failed_before;
		ok_before = atomic_load(&t->ok);
		/* requests flow before each reload */
		for (int i = 0; i < 500 && atomic_load(&t->ok) < ok_before + 20; i++)
			usleep(10000);
		ok_before = atomic_load(&t->ok);
		failed_before = atomic_load(&t->failed);
		clock_gettime(CLOCK_MONOTONIC, &r0);
		kill(s.pid, SIGHUP);
		assert_int_equal(
		    log_wait(&s, "the policy read again, checked and verified; 2 of 2", k, 20000),
		    0);
		assert_int_equal(log_wait(&s, ", which is ready", 2 * k, 20000), 0);
		/* the old ones finish and exit 0 */
		assert_int_equal(log_wait(&s, ": exited with status 0", 2 * k, 20000), 0);
		/* the measurement: what the client got from the SIGHUP to the
		 * old workers' exit (seen here within the log poll's 10 ms) */
		during = atomic_load(&t->ok) - ok_before;
		print_message(
		    "reload %d: %ld ms from SIGHUP to the old workers' exit, %ld requests "
		    "answered 200 meanwhile, %ld failed\n",
		    k, ms_since(&r0), during, atomic_load(&t->failed) - failed_before);
	}
	ok_before = atomic_load(&t->ok);
	for (int i = 0; i < 500 && atomic_load(&t->ok) < ok_before + 20; i++)
		usleep(10000);
	atomic_store(&t->stop, 1);
	assert_int_equal(waitpid(client, &status, 0), client);
	print_message("requests through three reloads: %ld answered 200, %ld failed (refused "
	              "connections included), the longest %ld ms\n",
	              atomic_load(&t->ok), atomic_load(&t->failed),
	              atomic_load(&t->longest_us) / 1000);
	assert_int_equal(atomic_load(&t->failed), 0);
	assert_true(atomic_load(&t->ok) > 80);
	/* new workers, never restarted: replaced */
	assert_int_equal(proc_workers(s.pid, after, 8), 2);
	assert_true(after[0] != before[0] && after[0] != before[1]);
	assert_true(after[1] != before[0] && after[1] != before[1]);
	assert_int_equal(log_count(&s, "restart "), 0);
	server_stop(&s);
	munmap(t, sizeof(*t));
}

static void a_policy_that_does_not_check_is_refused_in_one_line_and_the_old_one_stays(void **st)
{
	struct server s;
	pid_t before[8], after[8];
	static const char broken[] = "version 1\ninclude <default.policy>\nallow no_such_call\n";
	char *good;
	size_t n;
	(void)st;
	server_start(&s, "broken");
	assert_int_equal(proc_workers(s.pid, before, 8), 2);
	good = strdup(slurp(s.policy, &n));
	assert_non_null(good);
	write_text(s.policy, broken, sizeof(broken) - 1);
	kill(s.pid, SIGHUP);
	assert_int_equal(
	    log_wait(&s, "httpd: SIGHUP: reload refused, the old policy stays: ", 1, 20000), 0);
	/* the one line says why, and no other line of the attempt is an error */
	assert_int_equal(log_count(&s, "no_such_call"), 1);
	assert_int_equal(log_count(&s, "reload refused, the old policy stays: policy"), 1);
	assert_int_equal(log_count(&s, "replacement"), 0);
	assert_int_equal(proc_workers(s.pid, after, 8), 2);
	assert_true((after[0] == before[0] && after[1] == before[1]) ||
	            (after[0] == before[1] && after[1] == before[0]));
	assert_true(get_ok(s.port));
	/* the old policy also for a restart */
	kill(before[0], SIGKILL);
	assert_int_equal(log_wait(&s, "restart 1 in", 1, 10000), 0);
	assert_int_equal(
	    notify_wait(s.notify, "STATUS=", "2 of 2 workers ready, 1 restarts", 10000), 0);
	assert_true(get_ok(s.port));
	/* fixed, the next SIGHUP reloads */
	write_text(s.policy, good, n);
	free(good);
	kill(s.pid, SIGHUP);
	assert_int_equal(
	    log_wait(&s, "the policy read again, checked and verified; 2 of 2", 1, 20000), 0);
	assert_int_equal(log_wait(&s, ", which is ready", 2, 20000), 0);
	assert_true(get_ok(s.port));
	server_stop(&s);
}

static int setup(void **st)
{
	char p[128];
	(void)st;
	snprintf(dir, sizeof(dir), "/tmp/privsep-httpd-ops-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	chmod(dir, 0755);
	snprintf(p, sizeof(p), "%s/root", dir);
	if (mkdir(p, 0755) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/index.html", dir);
	write_text(p, "hello\n", 6);
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	(void)st;
	if (getenv("OPS_KEEP"))
		return 0;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(status_goes_to_the_service_manager_on_each_change),
	    cmocka_unit_test(sigusr1_logs_one_line_of_counters_and_undocumented_signals_do_nothing),
	    cmocka_unit_test(process_titles_tell_the_helper_from_each_worker),
	    cmocka_unit_test(
	        reload_replaces_every_worker_while_a_client_keeps_asking_and_none_fails),
	    cmocka_unit_test(
	        a_policy_that_does_not_check_is_refused_in_one_line_and_the_old_one_stays),
	};
	if (argc != 3) {
		fprintf(stderr, "usage: test_httpd_ops HTTPD POLICY_DIR\n");
		return 2;
	}
	httpd_path = argv[1];
	policy_dir = argv[2];
	return cmocka_run_group_tests(tests, setup, teardown);
}
