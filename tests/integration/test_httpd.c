/* SPDX-License-Identifier: ISC */
/*
 * test_httpd.c - examples/httpd under attack, through raw sockets: bad
 * request lines, bytes that are no HTTP, huge heads, path attacks, slow
 * senders and readers, pipelining, many idle connections, a worker
 * killed mid-request, readiness and stopping through sd_notify.  After
 * every attack the server must still answer a plain GET.
 *
 * Usage: test_httpd HTTPD.  The server runs on a free loopback port with
 * short deadlines (1 s); every wait below has a bound far above them, so
 * a slow machine is slower, not failing.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "httpd_procs.h"

static const char *httpd_path;
static char dir[64];

struct server {
	pid_t pid;
	int port;
	int notify; /* our end of NOTIFY_SOCKET */
	char log[128];
};

static struct server srv; /* two workers, for most tests */

static void write_file(const char *name, const char *data, size_t n)
{
	char p[256];
	int fd;
	snprintf(p, sizeof(p), "%s/root/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
}

static int log_count(const struct server *s, const char *what)
{
	char buf[65536];
	int fd = open(s->log, O_RDONLY | O_CLOEXEC), c = 0;
	ssize_t n;
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (char *p = buf; (p = strstr(p, what)); p++)
		c++;
	return c;
}

static int log_has(const struct server *s, const char *what)
{
	return log_count(s, what) > 0;
}

/* Start httpd with workers and the extra option pair opt val (opt may be
 * NULL); return once it said READY=1 over sd_notify and logged its port. */
static void server_start(struct server *s, const char *name, const char *workers, const char *opt,
                         const char *val)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	char root[128], sock[128], line[256], *p;
	struct timespec t0;

	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(sock, sizeof(sock), "%s/notify-%s", dir, name);
	snprintf(s->log, sizeof(s->log), "%s/log-%s", dir, name);
	s->notify = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(s->notify >= 0);
	strcpy(sa.sun_path, sock);
	assert_int_equal(bind(s->notify, (struct sockaddr *)&sa, sizeof(sa)), 0);
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		setenv("NOTIFY_SOCKET", sock, 1);
		execl(httpd_path, httpd_path, "--address", "127.0.0.1", "--port", "0", "--root",
		      root, "--workers", workers, "--header-timeout", "1", "--idle-timeout", "1",
		      "--send-timeout", "1", opt, val, (char *)NULL);
		_exit(127);
	}
	if (notify_wait(s->notify, "READY=1", NULL, 20000) < 0)
		fail_msg("httpd did not say READY=1 in 20 s");
	/* the port, from "httpd: listening on 127.0.0.1:PORT," */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	s->port = 0;
	/* and, but in learn mode, its spawner forked and named (not counted
	 * as a worker) */
	int confined = opt && !strcmp(opt, "--learn");
	while ((!s->port || !confined) && ms_since(&t0) < 10000) {
		FILE *f = fopen(s->log, "re");
		while (f && fgets(line, sizeof(line), f)) {
			if ((p = strstr(line, "listening on 127.0.0.1:")))
				s->port = atoi(p + strlen("listening on 127.0.0.1:"));
			if (strstr(line, "helper: confined by"))
				confined = 1;
		}
		if (f)
			fclose(f);
		if (!s->port || !confined)
			usleep(20000);
	}
	assert_true(s->port > 0);
}

/* Stop with SIGTERM: STOPPING=1 and exit status 0. */
static void server_stop(struct server *s)
{
	int status;
	kill(s->pid, SIGTERM);
	assert_int_equal(notify_wait(s->notify, "STOPPING=1", NULL, 20000), 0);
	assert_int_equal(waitpid(s->pid, &status, 0), s->pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	close(s->notify);
}

static int connect_to(const struct server *s)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)s->port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		assert_true(k > 0);
		p += k;
		n -= (size_t)k;
	}
}

/* Read until the server closes (or ms pass); the bytes, NUL-terminated,
 * in buf; the count, and *closed whether it closed. */
static size_t read_until_close(int fd, char *buf, size_t cap, int ms, int *closed)
{
	size_t o = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	*closed = 0;
	while (ms_since(&t0) < ms) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(fd, buf + o, cap - 1 - o, 0);
		if (n <= 0) {
			*closed = 1;
			break;
		}
		o += (size_t)n;
		if (o == cap - 1)
			break;
	}
	buf[o] = '\0';
	return o;
}

/* Send a raw request on a new connection; the status of the answer, and
 * the answer in buf.  Checks that the server closed the connection when
 * must_close. */
static int raw(const char *req, size_t n, char *buf, size_t cap, int must_close)
{
	int fd = connect_to(&srv), closed, status = 0;
	send_all(fd, req, n);
	if (!must_close)
		shutdown(fd, SHUT_WR);
	read_until_close(fd, buf, cap, 10000, &closed);
	close(fd);
	if (must_close && !closed)
		fail_msg("the server kept the connection open after: %.60s", req);
	if (sscanf(buf, "HTTP/1.1 %d ", &status) != 1)
		fail_msg("no status line in answer to %.60s: %.100s", req, buf);
	return status;
}

static int raw_s(const char *req, int must_close)
{
	char buf[65536];
	return raw(req, strlen(req), buf, sizeof(buf), must_close);
}

/* A plain GET to s on a new connection answers 200 with the file. */
static void still_serves_on(const struct server *s)
{
	char buf[4096];
	int fd = connect_to(s), closed;
	send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n", 51);
	read_until_close(fd, buf, sizeof(buf), 10000, &closed);
	close(fd);
	if (strncmp(buf, "HTTP/1.1 200 ", 13) || !strstr(buf, "\r\n\r\nhello\n"))
		fail_msg("no 200 with the file: %.100s", buf);
}

/* A plain GET answers 200 with the file: the server still serves. */
static void still_serves(void)
{
	char buf[4096];
	const char req[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw(req, sizeof(req) - 1, buf, sizeof(buf), 1), 200);
	assert_non_null(strstr(buf, "\r\n\r\nhello\n"));
}

/* ---- tests ---- */

static void bad_request_lines_are_400_and_close(void **st)
{
	(void)st;
	static const char *const bad[] = {
	    "GET  / HTTP/1.1\r\nHost: t\r\n\r\n",
	    "GET / HTTP/1.1 x\r\nHost: t\r\n\r\n",
	    "GET /\r\n\r\n",
	    "GE(T / HTTP/1.1\r\nHost: t\r\n\r\n",
	    "GET / HTTP/1.1\r\n\r\n",
	    "GET noslash HTTP/1.1\r\nHost: t\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: t\r\n folded\r\n\r\n",
	    "GET / HTTP/1.1\rHost: t\r\n\r\n",
	    "GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (raw_s(bad[i], 1) != 400)
			fail_msg("not 400: %s", bad[i]);
	still_serves();
}

static void a_bare_lf_in_a_crlf_head_is_400_not_two_requests(void **st)
{
	(void)st;
	char buf[8192];
	/* a proxy that ends lines only at CRLF would see one request here,
	 * with "a\n\nGET /b.css ..." in its X field: smuggling */
	const char req[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\nX: a\n\n"
	                   "GET /b.css HTTP/1.1\r\nHost: t\r\n\r\n";
	assert_int_equal(raw(req, sizeof(req) - 1, buf, sizeof(buf), 1), 400);
	assert_null(strstr(buf + 1, "HTTP/1.1 ")); /* one answer, no more */
	assert_null(strstr(buf, "p{}"));
	/* the other way: a CRLF in a head whose request line ended with LF */
	assert_int_equal(raw_s("GET /a.txt HTTP/1.1\nHost: t\r\n\r\n", 1), 400);
	/* a head with bare LFs throughout is served */
	const char lf[] = "GET /a.txt HTTP/1.1\nHost: t\nConnection: close\n\n";
	assert_int_equal(raw(lf, sizeof(lf) - 1, buf, sizeof(buf), 1), 200);
	assert_non_null(strstr(buf, "\r\n\r\nhello\n"));
	still_serves();
}

static void bytes_that_are_not_http_are_400(void **st)
{
	(void)st;
	char buf[4096];
	/* the start of a TLS ClientHello */
	const char tls[] = "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03";
	assert_int_equal(raw(tls, sizeof(tls) - 1, buf, sizeof(buf), 1), 400);
	const char nul[] = "GET /a\0.txt HTTP/1.1\r\nHost: t\r\n\r\n";
	assert_int_equal(raw(nul, sizeof(nul) - 1, buf, sizeof(buf), 1), 400);
	const char nulh[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n";
	assert_int_equal(raw(nulh, sizeof(nulh) - 1, buf, sizeof(buf), 1), 400);
	assert_int_equal(raw_s("GET /a%00.txt HTTP/1.1\r\nHost: t\r\n\r\n", 1), 400);
	still_serves();
}

static void other_versions_are_505_and_methods_405(void **st)
{
	(void)st;
	char buf[4096];
	const char post[] = "POST /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw_s("GET / HTTP/2.0\r\nHost: t\r\n\r\n", 1), 505);
	assert_int_equal(raw(post, sizeof(post) - 1, buf, sizeof(buf), 1), 405);
	assert_non_null(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	/* with a body: answered, then closed (the body is never a request) */
	assert_int_equal(raw_s("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n"
	                       "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n",
	                       1),
	                 405);
	assert_int_equal(raw_s("GET / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello", 1),
	                 413);
	still_serves();
}

static void huge_heads_are_431_and_long_lines_414(void **st)
{
	(void)st;
	size_t n = 40000;
	char *req = malloc(n + 64), *buf = malloc(65536);
	assert_non_null(req);
	assert_non_null(buf);
	/* a request line of 40000 bytes */
	memcpy(req, "GET /", 5);
	memset(req + 5, 'a', n);
	memcpy(req + 5 + n, " HTTP/1.1\r\nHost: t\r\n\r\n", 23);
	assert_int_equal(raw(req, n + 28, buf, 65536, 1), 414);
	/* a decoded path longer than the limit, in a line that fits */
	memset(req + 5, 'a', 2000);
	memcpy(req + 5 + 2000, " HTTP/1.1\r\nHost: t\r\n\r\n", 23);
	assert_int_equal(raw(req, 2028, buf, 65536, 1), 414);
	/* a 40000-byte field */
	size_t o = (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: t\r\nX: ");
	memset(req + o, 'b', n - o);
	memcpy(req + n, "\r\n\r\n", 4);
	assert_int_equal(raw(req, n + 4, buf, 65536, 1), 431);
	/* many small fields */
	o = (size_t)sprintf(req, "GET / HTTP/1.1\r\nHost: t\r\n");
	for (int i = 0; i < 200; i++)
		o += (size_t)sprintf(req + o, "X-%d: y\r\n", i);
	o += (size_t)sprintf(req + o, "\r\n");
	assert_int_equal(raw(req, o, buf, 65536, 1), 431);
	free(req);
	free(buf);
	still_serves();
}

static void path_attacks_are_403(void **st)
{
	(void)st;
	static const char *const bad[] = {
	    "/../etc/passwd",
	    "/%2e%2e/etc/passwd",
	    "/%2E%2E%2Fetc%2Fpasswd",
	    "/sub/../../etc/passwd",
	    "/sub/%2e%2e/a.txt",
	    "/./../etc/passwd",
	    "//../etc/passwd",
	    "http://t/../etc/passwd",
	    "/out",
	    "/out/passwd",
	    "/outdir/x",
	};
	char req[512], buf[8192];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", bad[i]);
		int st2 = raw(req, (size_t)n, buf, sizeof(buf), 0);
		if (st2 != 403)
			fail_msg("%s: %d, not 403", bad[i], st2);
		if (strstr(buf, "root:"))
			fail_msg("%s: leaked /etc/passwd", bad[i]);
	}
	/* one line in the helper's log per refusal, naming the rule */
	assert_true(log_count(&srv, "a .. component is never allowed") >= 7);
	assert_true(log_has(&srv, "escapes the root"));
	still_serves();
}

static void a_slow_sender_gets_408_and_others_are_served(void **st)
{
	(void)st;
	struct timespec t0;
	char buf[4096];
	int fd = connect_to(&srv), closed = 0, got408 = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	send_all(fd, "GET /a.txt HTTP/1.1\r\n", 21);
	/* a field every 200 ms, forever: the head's deadline ends it */
	while (!closed && ms_since(&t0) < 15000) {
		struct pollfd p = {fd, POLLIN, 0};
		if (send(fd, "X: y\r\n", 6, MSG_NOSIGNAL) < 0)
			break;
		if (poll(&p, 1, 200) > 0) {
			size_t n = read_until_close(fd, buf, sizeof(buf), 2000, &closed);
			got408 = n > 0 && strncmp(buf, "HTTP/1.1 408 ", 13) == 0;
			break;
		}
		if (ms_since(&t0) > 400 && ms_since(&t0) < 700)
			still_serves(); /* while the slow one is held */
	}
	close(fd);
	if (!got408)
		fail_msg("no 408 for a slow sender after %ld ms", ms_since(&t0));
	still_serves();
}

static void a_408_is_followed_by_lingering_not_a_reset(void **st)
{
	(void)st;
	char buf[4096];
	size_t o = 0;
	int fd = connect_to(&srv), eof = 0;
	struct timespec t0;
	send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: t\r\n", 30); /* never whole */
	/* the 408, after the 1 s header deadline */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (o < 13 && ms_since(&t0) < 10000) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf + o, sizeof(buf) - 1 - o, 0);
		assert_true(n > 0);
		o += (size_t)n;
	}
	buf[o] = '\0';
	assert_int_equal(strncmp(buf, "HTTP/1.1 408 ", 13), 0);
	/* the client still sends: the server reads and drops it for a while
	 * (a closed socket would answer with a reset, and the second send
	 * would fail) */
	send_all(fd, "X: y\r\n", 6);
	usleep(200000);
	if (send(fd, "X: y\r\n", 6, MSG_NOSIGNAL) != 6)
		fail_msg("the connection was reset after the 408: %s", strerror(errno));
	/* then the end of the answer, not a reset */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!eof && ms_since(&t0) < 10000) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0)
			fail_msg("a reset after the 408: %s", strerror(errno));
		eof = n == 0;
	}
	close(fd);
	assert_true(eof);
	still_serves();
}

static void a_silent_connection_is_closed(void **st)
{
	(void)st;
	char buf[256];
	int fd = connect_to(&srv), closed;
	size_t n = read_until_close(fd, buf, sizeof(buf), 15000, &closed);
	close(fd);
	assert_true(closed);
	assert_int_equal(n, 0); /* nothing was asked, nothing answered */
}

static void an_idle_kept_alive_connection_is_closed(void **st)
{
	(void)st;
	char buf[4096];
	int fd = connect_to(&srv), closed;
	send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n", 32);
	read_until_close(fd, buf, sizeof(buf), 15000, &closed);
	close(fd);
	assert_true(closed);
	assert_int_equal(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
	assert_non_null(strstr(buf, "Connection: keep-alive"));
}

static void a_reader_that_never_reads_is_dropped(void **st)
{
	(void)st;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 4096, closed;
	size_t total = 0;
	char *buf = malloc(1 << 20);
	struct timespec t0;
	assert_non_null(buf);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	send_all(fd, "GET /huge.bin HTTP/1.1\r\nHost: t\r\n\r\n", 35);
	sleep(3); /* three send deadlines without reading a byte */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		size_t n = read_until_close(fd, buf, 1 << 20, 15000, &closed);
		total += n;
		if (closed || n == 0 || ms_since(&t0) > 15000)
			break;
	}
	close(fd);
	free(buf);
	assert_true(closed);
	if (total >= 64u << 20)
		fail_msg(
		    "the whole 64 MiB arrived: the server waited for a reader that did not read");
	still_serves();
}

static void a_slow_reader_that_keeps_reading_gets_everything(void **st)
{
	(void)st;
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)srv.port)};
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), small = 65536;
	size_t total = 0, body = 8u << 20;
	char buf[65536];
	const char req[] = "GET /huge.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-8388607\r\n"
	                   "Connection: close\r\n\r\n";
	struct timespec t0;
	assert_true(fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	send_all(fd, req, sizeof(req) - 1);
	/* 8 MiB, more than the socket buffers hold, at about 3 MB/s: the
	 * answer takes longer than the 1 s send deadline, but it moves */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t n;
		if (poll(&p, 1, 10000) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		total += (size_t)n;
		usleep(20000);
	}
	close(fd);
	/* the head, then all 8 MiB */
	if (total <= body || total > body + 1024)
		fail_msg("%zu bytes arrived of a %zu-byte body and its head", total, body);
	if (ms_since(&t0) < 1500)
		fail_msg("the answer took %ld ms: too fast to test the deadline", ms_since(&t0));
	still_serves();
}

static void pipelined_requests_are_answered_in_order(void **st)
{
	(void)st;
	char buf[8192];
	const char req[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "HEAD /b.css HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	assert_int_equal(raw(req, sizeof(req) - 1, buf, sizeof(buf), 1), 200);
	char *a = strstr(buf, "HTTP/1.1 200 OK"), *b = a ? strstr(a + 1, "HTTP/1.1 200 OK") : NULL;
	char *c = b ? strstr(b + 1, "HTTP/1.1 404 Not Found") : NULL;
	char *d = c ? strstr(c + 1, "HTTP/1.1 200 OK") : NULL;
	assert_non_null(d);
	assert_non_null(strstr(b, "Content-Type: text/css"));
	assert_null(strstr(d + 1, "HTTP/1.1 ")); /* four answers, no more */
}

static void many_idle_connections_do_not_stop_service(void **st)
{
	(void)st;
	int fds[200];
	for (int i = 0; i < 200; i++)
		fds[i] = connect_to(&srv);
	still_serves();
	for (int i = 0; i < 200; i++)
		close(fds[i]);
	still_serves();
}

/* The value of a "Key:\tvalue" line of /proc/PID/status, or "". */
static void status_field(pid_t pid, const char *key, char *out, size_t len)
{
	char p[64], line[256];
	FILE *f;
	snprintf(p, sizeof(p), "/proc/%d/status", (int)pid);
	out[0] = '\0';
	f = fopen(p, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':') {
			snprintf(out, len, "%s", line + strlen(key) + 2);
			out[strcspn(out, "\n")] = '\0';
		}
	if (f)
		fclose(f);
}

/* Whether PID runs its own image as a worker: its command line is the
 * title the helper gave the worker's program ("httpd: worker N").  A
 * child before its execve still has the helper's title (and, cloexec,
 * the helper's fds: they go at the execve). */
static int runs_worker_image(pid_t pid)
{
	char p[64], line[64] = "";
	FILE *f;
	snprintf(p, sizeof(p), "/proc/%d/cmdline", (int)pid);
	f = fopen(p, "re");
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return !strncmp(line, "httpd: worker ", 14);
}

/* The soft "Max open files" of /proc/PID/limits, or -1. */
static long max_open_files(pid_t pid)
{
	char p[64], line[256];
	long v = -1;
	FILE *f;
	snprintf(p, sizeof(p), "/proc/%d/limits", (int)pid);
	f = fopen(p, "re");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "Max open files", 14))
			v = strtol(line + 14, NULL, 10);
	if (f)
		fclose(f);
	return v;
}

/* How many of pid's fds are a deleted file whose name ends in name; -1
 * when its fds cannot be read. */
static int fds_on_deleted(pid_t pid, const char *name)
{
	char p[64], link[512], target[512];
	char want[256];
	struct dirent *de;
	int n = 0;
	DIR *d;
	snprintf(p, sizeof(p), "/proc/%d/fd", (int)pid);
	snprintf(want, sizeof(want), "%s (deleted)", name);
	d = opendir(p);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		ssize_t k;
		snprintf(link, sizeof(link), "%s/%s", p, de->d_name);
		k = readlink(link, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = '\0';
		if (strlen(target) >= strlen(want) &&
		    !strcmp(target + strlen(target) - strlen(want), want))
			n++;
	}
	closedir(d);
	return n;
}

static void workers_are_sandboxed_and_the_helper_keeps_little(void **st)
{
	(void)st;
	pid_t w[4];
	unsigned uids[4] = {0};
	char v[128];
	int n = proc_workers(srv.pid, w, 4);
	assert_int_equal(n, 2);
	for (int i = 0; i < n; i++) {
		/* the fds --max-conns 1000 needs: 2 per connection, 64 cached
		 * files, 16 of its own; not the policy's ceiling */
		assert_int_equal(max_open_files(w[i]), 2080);
		status_field(w[i], "Seccomp", v, sizeof(v));
		assert_string_equal(v, "2");
		/* exec mode, the default: this program executed again, which
		 * narrowed itself (a second filter; a forked worker has one),
		 * with an empty environment (its /proc environ, where this
		 * test may read it: as root) */
		status_field(w[i], "Seccomp_filters", v, sizeof(v));
		assert_string_equal(v, "2");
		if (geteuid() == 0) {
			char p[64], env[16];
			int fd;
			snprintf(p, sizeof(p), "/proc/%d/environ", (int)w[i]);
			fd = open(p, O_RDONLY | O_CLOEXEC);
			assert_true(fd >= 0);
			assert_int_equal(read(fd, env, sizeof(env)), 0);
			close(fd);
		}
		status_field(w[i], "NoNewPrivs", v, sizeof(v));
		assert_string_equal(v, "1");
		status_field(w[i], "CapEff", v, sizeof(v));
		assert_string_equal(v, "0000000000000000");
		status_field(w[i], "CapBnd", v, sizeof(v));
		if (geteuid() == 0) {
			assert_string_equal(v, "0000000000000000");
			/* each its own uid from the dynamic range (61184-65519),
			 * the same number its gid */
			unsigned u[4];
			status_field(w[i], "Uid", v, sizeof(v));
			assert_int_equal(sscanf(v, "%u %u %u %u", &u[0], &u[1], &u[2], &u[3]), 4);
			assert_in_range(u[0], 61184, 65519);
			for (int k = 0; k < 4; k++)
				assert_int_equal(u[k], u[0]);
			uids[i] = u[0];
			status_field(w[i], "Gid", v, sizeof(v));
			assert_int_equal(strtoul(v, NULL, 10), u[0]);
		}
	}
	if (geteuid() == 0)
		assert_int_not_equal(uids[0], uids[1]);
	if (geteuid() == 0) {
		/* the confined helper: dac_read_search 2 (the broker), kill 5;
		 * its spawner besides what a spawn needs: setgid 6, setuid 7,
		 * setpcap 8, sys_chroot 18, sys_admin 21; neither has
		 * net_bind_service (10) */
		char p[64], line[1024];
		pid_t spawner = 0;
		FILE *f;
		status_field(srv.pid, "CapEff", v, sizeof(v));
		assert_string_equal(v, "0000000000000024");
		status_field(srv.pid, "CapBnd", v, sizeof(v));
		assert_string_equal(v, "0000000000000024");
		snprintf(p, sizeof(p), "/proc/%d/task/%d/children", (int)srv.pid, (int)srv.pid);
		f = fopen(p, "re");
		assert_non_null(f);
		if (fgets(line, sizeof(line), f))
			for (char *s = line, *e;; s = e) {
				long c = strtol(s, &e, 10);
				if (e == s)
					break;
				if (proc_is_spawner(c))
					spawner = (pid_t)c;
			}
		fclose(f);
		assert_true(spawner > 0);
		status_field(spawner, "CapEff", v, sizeof(v));
		assert_string_equal(v, "00000000002401e4");
		status_field(spawner, "CapBnd", v, sizeof(v));
		assert_string_equal(v, "00000000002401e4");
	}
}

/* 1 once the server's end of the connection from local port cport has
 * been accepted: /proc/net/tcp (readable by anyone) shows a socket inode
 * for it, 0 while it waits in a listening socket's queue. */
static int accepted(int sport, int cport)
{
	char line[512];
	int yes = 0;
	FILE *f = fopen("/proc/net/tcp", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned lport, rport;
		unsigned long inode;
		if (sscanf(line, " %*u: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x %*u %*u %lu", &lport,
		           &rport, &inode) == 3 &&
		    (int)lport == sport && (int)rport == cport && inode)
			yes = 1;
	}
	fclose(f);
	return yes;
}

static void a_worker_killed_mid_request_is_restarted(void **st)
{
	(void)st;
	struct server one;
	struct timespec t0;
	pid_t before[4], after[4];
	char buf[4096];
	int fd, closed, ok = 0, n;

	server_start(&one, "one", "1", NULL, NULL);
	assert_int_equal(proc_workers(one.pid, before, 4), 1);
	fd = connect_to(&one);
	send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: t\r\n", 30); /* half a head */
	{
		/* the worker holds the connection (accepted), not its listener */
		struct sockaddr_in me;
		socklen_t ml = sizeof(me);
		assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		while (!accepted(one.port, ntohs(me.sin_port))) {
			if (ms_since(&t0) > 10000)
				fail_msg("the worker did not accept the connection in 10 s");
			poll(NULL, 0, 5);
		}
	}
	assert_int_equal(kill(before[0], SIGKILL), 0);
	read_until_close(fd, buf, sizeof(buf), 10000, &closed);
	close(fd);
	assert_true(closed); /* the connection died with its worker */
	/* the helper restarts it; the next request succeeds */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!ok && ms_since(&t0) < 20000) {
		n = proc_workers(one.pid, after, 4);
		if (n == 1 && after[0] != before[0]) {
			fd = connect_to(&one);
			send_all(fd, "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
			         51);
			read_until_close(fd, buf, sizeof(buf), 10000, &closed);
			close(fd);
			ok = strncmp(buf, "HTTP/1.1 200 ", 13) == 0 &&
			     strstr(buf, "\r\n\r\nhello\n");
		}
		if (!ok)
			usleep(20000);
	}
	if (!ok)
		fail_msg("no 200 from a restarted worker in 20 s");
	/* the helper's log: one line for the death, one for the restart */
	assert_int_equal(log_count(&one, "httpd-worker-1\" pid"), 1);
	assert_int_equal(log_count(&one, "killed by signal 9"), 1);
	/* the framework's restart policy, with httpd's slot name */
	assert_int_equal(log_count(&one, "worker \"httpd-worker-1\": restart 1 in 100 ms"), 1);
	server_stop(&one);
}

/* pid's listening socket on port (taken through its pidfd: the same
 * file description the worker holds), or -1 with errno EPERM when this
 * process may not take a worker's fds. */
static int worker_listener(pid_t pid, int port)
{
	int pidfd = pidfd_open(pid, 0), found = -1;
	assert_true(pidfd >= 0);
	for (int fd = 0; fd < 128; fd++) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa), il = sizeof(int);
		int acc = 0, t = pidfd_getfd(pidfd, fd, 0);
		if (t < 0 && errno == EPERM) {
			close(pidfd);
			errno = EPERM;
			return -1;
		}
		if (t < 0)
			continue;
		if (getsockopt(t, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il) == 0 && acc &&
		    getsockname(t, (struct sockaddr *)&sa, &sl) == 0 &&
		    ntohs(sa.sin_port) == port) {
			if (found >= 0)
				fail_msg("worker %d holds two listening sockets", (int)pid);
			found = t;
		} else {
			close(t);
		}
	}
	close(pidfd);
	if (found < 0)
		fail_msg("worker %d holds no listening socket on port %d", (int)pid, port);
	return found;
}

/* The listening TCP sockets on port, from /proc/net/tcp (readable by
 * anyone, in the test's network namespace, which is the helper's). */
static int listeners_on(int port)
{
	char line[512];
	int n = 0;
	FILE *f = fopen("/proc/net/tcp", "re");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned lport, st;
		if (sscanf(line, " %*u: %*x:%x %*x:%*x %x", &lport, &st) == 2 &&
		    (int)lport == port && st == 0x0a)
			n++;
	}
	fclose(f);
	return n;
}

static int accepting(int fd)
{
	int acc = 0;
	socklen_t il = sizeof(acc);
	return getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &il) == 0 && acc;
}

/* Each worker holds its own listening socket (SO_REUSEPORT): what its
 * policy lets it do to that socket (fcntl F_SETFL clearing O_NONBLOCK,
 * shutdown SHUT_WR, TCP options) reaches no other worker, the service
 * keeps answering, and a restarted worker gets its socket back as it was
 * made.  A shared socket would share its file description: one worker's
 * F_SETFL would make every worker's accept blocking. */
static struct server two; /* its own: it kills a worker */

/* If the test failed with the server running, stop it the hard way (the
 * workers die with it). */
static int two_teardown(void **st)
{
	int status;
	(void)st;
	if (two.pid > 0 && waitpid(two.pid, &status, WNOHANG) == 0) {
		kill(two.pid, SIGKILL);
		waitpid(two.pid, &status, 0);
		close(two.notify);
	}
	two.pid = 0;
	return 0;
}

static void each_worker_has_its_own_listener_and_what_one_does_to_it_stays_its_own(void **st)
{
	(void)st;
	struct stat a, b;
	struct timespec t0;
	pid_t w[4], after[4];
	int l[2], one = 1, n, restarted = -1;

	server_start(&two, "reuse", "2", NULL, NULL);
	assert_int_equal(proc_workers(two.pid, w, 4), 2);
	/* two sockets listen on the port, not one */
	assert_int_equal(listeners_on(two.port), 2);
	l[0] = worker_listener(w[0], two.port);
	if (l[0] < 0) {
		server_stop(&two);
		print_message("an ordinary user may not take a non-dumpable worker's fds "
		              "(pidfd_getfd needs CAP_SYS_PTRACE): only the two listening "
		              "sockets were checked; test_net.c checks the policy as any "
		              "user\n");
		skip();
	}
	l[1] = worker_listener(w[1], two.port);
	assert_true(l[1] >= 0);
	assert_int_equal(fstat(l[0], &a), 0);
	assert_int_equal(fstat(l[1], &b), 0);
	if (a.st_ino == b.st_ino)
		fail_msg("the two workers hold the same listening socket");
	/* worker 1 does to its socket what its policy allows */
	assert_int_equal(fcntl(l[0], F_SETFL, 0), 0);
	assert_int_equal(shutdown(l[0], SHUT_WR), 0);
	assert_int_equal(setsockopt(l[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)), 0);
	assert_true(fcntl(l[1], F_GETFL) & O_NONBLOCK);
	assert_true(accepting(l[0]));
	assert_true(accepting(l[1]));
	for (int i = 0; i < 20; i++)
		still_serves_on(&two);
	/* a worker that dies: the one that replaces it has the socket back
	 * non-blocking.  Looked at once it is in its sandbox and its own
	 * image: exec mode's child installs its first filter before the
	 * execve, and until the execve it still holds the helper's fds
	 * (close-on-exec), the other worker's listener among them */
	assert_int_equal(kill(w[0], SIGKILL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (restarted < 0 && ms_since(&t0) < 20000) {
		char sc[16] = "";
		n = proc_workers(two.pid, after, 4);
		for (int i = 0; i < n; i++)
			if (n == 2 && after[i] != w[0] && after[i] != w[1]) {
				status_field(after[i], "Seccomp", sc, sizeof(sc));
				if (!strcmp(sc, "2") && runs_worker_image(after[i]))
					restarted = i;
			}
		if (restarted < 0)
			usleep(20000);
	}
	if (restarted < 0)
		fail_msg("worker 1 was not restarted into its sandbox in 20 s");
	close(l[0]);
	l[0] = worker_listener(after[restarted], two.port);
	assert_true(l[0] >= 0);
	assert_int_equal(fstat(l[0], &b), 0);
	assert_int_equal(a.st_ino, b.st_ino); /* the same socket */
	assert_true(fcntl(l[0], F_GETFL) & O_NONBLOCK);
	still_serves_on(&two);
	close(l[0]);
	close(l[1]);
	server_stop(&two);
}

/* GET path on fd (kept alive); the body of a 200, in body. */
static void get_body(int fd, const char *path, char *body, size_t cap)
{
	char req[256], buf[4096];
	size_t o = 0;
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: t\r\n\r\n", path);
	char *b;
	send_all(fd, req, (size_t)n);
	/* the answers here are small: read until the head and its body are in */
	for (;;) {
		struct pollfd p = {fd, POLLIN, 0};
		ssize_t k;
		assert_true(poll(&p, 1, 10000) > 0);
		k = recv(fd, buf + o, sizeof(buf) - 1 - o, 0);
		assert_true(k > 0);
		o += (size_t)k;
		buf[o] = '\0';
		if ((b = strstr(buf, "\r\n\r\n")) && strstr(buf, "Content-Length: ")) {
			size_t len = strtoul(strstr(buf, "Content-Length: ") + 16, NULL, 10);
			if (o >= (size_t)(b + 4 - buf) + len) {
				assert_int_equal(strncmp(buf, "HTTP/1.1 200 ", 13), 0);
				assert_true(len < cap);
				memcpy(body, b + 4, len);
				body[len] = '\0';
				return;
			}
		}
	}
}

static void one_file_is_one_cache_entry_whatever_slashes_name_it(void **st)
{
	(void)st;
	struct server one;
	char body[64], from[256], to[256];
	int fd;
	write_file("k.txt", "v1\n", 3);
	/* one worker, and a cache that outlives the test */
	server_start(&one, "cache", "1", "--file-cache", "600");
	fd = connect_to(&one);
	get_body(fd, "/k.txt", body, sizeof(body));
	assert_string_equal(body, "v1\n");
	/* replaced: a new file under the name; the cached one is still v1 */
	write_file("k.new", "v2\n", 3);
	snprintf(from, sizeof(from), "%s/root/k.new", dir);
	snprintf(to, sizeof(to), "%s/root/k.txt", dir);
	assert_int_equal(rename(from, to), 0);
	static const char *const names[] = {"//k.txt", "/./k.txt", "/.//./k.txt", "///k.txt"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		get_body(fd, names[i], body, sizeof(body));
		if (strcmp(body, "v1\n") != 0)
			fail_msg("%s was not the cache entry of /k.txt: %s", names[i], body);
	}
	close(fd);
	server_stop(&one);
}

/* With no cache every request asks the broker, without waiting for its
 * answer: one worker has the opens of many connections in flight at
 * once.  Each connection still gets its own answers, in its order, a
 * refusal and a missing file among them; a connection closed while its
 * open is in flight costs the worker nothing. */
static void with_no_cache_opens_in_flight_answer_each_connection_in_order(void **st)
{
	(void)st;
	enum { NC = 24 };
	struct server one;
	int fds[NC], closed;
	static char buf[NC][16384];
	const char req[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "HEAD /b.css HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /sub HTTP/1.1\r\nHost: t\r\n\r\n"
	                   "GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
	static const char *const want[] = {
	    "HTTP/1.1 200 OK", "HTTP/1.1 404 Not Found",         "HTTP/1.1 403 Forbidden",
	    "HTTP/1.1 200 OK", "HTTP/1.1 301 Moved Permanently", "HTTP/1.1 200 OK"};
	server_start(&one, "nocache", "1", "--file-cache", "0");
	/* connections that go while their request waits for the broker */
	for (int i = 0; i < 50; i++) {
		int fd = connect_to(&one);
		send_all(fd, req, sizeof(req) - 1);
		close(fd);
	}
	/* every connection's requests sent before any answer is read */
	for (int i = 0; i < NC; i++) {
		fds[i] = connect_to(&one);
		send_all(fds[i], req, sizeof(req) - 1);
	}
	for (int i = 0; i < NC; i++) {
		const char *p = buf[i];
		read_until_close(fds[i], buf[i], sizeof(buf[i]), 10000, &closed);
		close(fds[i]);
		if (!closed)
			fail_msg("connection %d: not closed after its last answer", i);
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			const char *q = strstr(p, want[k]);
			if (!q)
				fail_msg("connection %d: answer %zu is not %s: %.200s", i, k,
				         want[k], p);
			/* nothing else between two answers */
			if (k > 0 && memmem(p, (size_t)(q - p), "HTTP/1.1 ", 9))
				fail_msg("connection %d: answer %zu out of order", i, k);
			if (k == 0 && !strstr(q, "\r\n\r\nhello\n"))
				fail_msg("connection %d: not the file", i);
			p = q + 1;
		}
		assert_null(strstr(p, "HTTP/1.1 ")); /* six answers, no more */
	}
	still_serves_on(&one);
	/* the worker lived through it all */
	assert_int_equal(log_count(&one, "\": restart "), 0);
	server_stop(&one);
}

/* A worker reads a connection only when epoll said it has bytes (a
 * read that drained it waits for the next edge, as nginx does): the next
 * request on a kept-alive connection is still read when it comes, and a
 * client that ends the connection, after its answer or with its request,
 * has it closed at once, long before the idle deadline (30 s here). */
static void a_kept_alive_connection_is_read_again_and_closed_when_its_client_ends_it(void **st)
{
	(void)st;
	struct server one;
	char body[256], buf[16384];
	struct timespec t0;
	int fd, closed;
	server_start(&one, "ends", "1", "--idle-timeout", "30");
	/* each request sent after the answer to the one before */
	fd = connect_to(&one);
	for (int i = 0; i < 3; i++) {
		get_body(fd, "/a.txt", body, sizeof(body));
		assert_string_equal(body, "hello\n");
	}
	/* the end after the last answer was read */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(shutdown(fd, SHUT_WR), 0);
	read_until_close(fd, buf, sizeof(buf), 10000, &closed);
	close(fd);
	if (!closed || ms_since(&t0) >= 10000)
		fail_msg("a connection ended after its answer was not closed in 10 s");
	/* the end with the request: both read in one go */
	for (int i = 0; i < 8; i++) {
		static const char req[] = "GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n";
		fd = connect_to(&one);
		send_all(fd, req, sizeof(req) - 1);
		assert_int_equal(shutdown(fd, SHUT_WR), 0);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		read_until_close(fd, buf, sizeof(buf), 10000, &closed);
		close(fd);
		if (!closed || ms_since(&t0) >= 10000)
			fail_msg("a connection ended with its request was not closed in 10 s");
		if (strncmp(buf, "HTTP/1.1 200 ", 13) || !strstr(buf, "\r\n\r\nhello\n"))
			fail_msg("no 200 with the file before the close: %.100s", buf);
	}
	server_stop(&one);
}

static void an_idle_worker_closes_a_removed_file_when_its_entry_expires(void **st)
{
	(void)st;
	struct server one;
	struct timespec t0;
	char body[64], p[256];
	pid_t w[2];
	int fd, held;
	write_file("gone.txt", "bye\n", 4);
	server_start(&one, "sweep", "1", "--file-cache", "0.5");
	assert_int_equal(proc_workers(one.pid, w, 2), 1);
	fd = connect_to(&one);
	get_body(fd, "/gone.txt", body, sizeof(body));
	close(fd);
	snprintf(p, sizeof(p), "%s/root/gone.txt", dir);
	assert_int_equal(unlink(p), 0);
	held = fds_on_deleted(w[0], "/gone.txt");
	if (held < 0) {
		server_stop(&one);
		skip(); /* the worker's fds cannot be read here */
	}
	/* held for the cache's 0.5 s, then closed with no request to make
	 * the worker look */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (fds_on_deleted(w[0], "/gone.txt") > 0 && ms_since(&t0) < 10000)
		usleep(50000);
	if (fds_on_deleted(w[0], "/gone.txt") != 0)
		fail_msg("an idle worker still holds a removed file after %ld ms", ms_since(&t0));
	assert_int_equal(held, 1); /* it was held: the test saw the close */
	server_stop(&one);
}

static int setup(void **st)
{
	char big[4096];
	(void)st;
	strcpy(dir, "/tmp/privsep-httpd.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	chmod(dir, 0755);
	char p[256];
	snprintf(p, sizeof(p), "%s/root", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/root/sub", dir);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outside", dir);
	mkdir(p, 0755);
	write_file("a.txt", "hello\n", 6);
	write_file("b.css", "p{}\n", 4);
	write_file("index.html", "<h1>i</h1>\n", 11);
	memset(big, 'x', sizeof(big));
	/* 64 MiB, sparse: more than any socket buffer holds */
	snprintf(p, sizeof(p), "%s/root/huge.bin", dir);
	if (truncate(p, 0) < 0 && errno != ENOENT)
		return -1;
	int fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || ftruncate(fd, 64 << 20) < 0)
		return -1;
	close(fd);
	/* symlinks out of the root */
	char t[256];
	snprintf(p, sizeof(p), "%s/root/out", dir);
	if (symlink("/etc/passwd", p) < 0)
		return -1;
	snprintf(p, sizeof(p), "%s/root/outdir", dir);
	snprintf(t, sizeof(t), "%s/outside", dir);
	if (symlink(t, p) < 0)
		return -1;
	server_start(&srv, "main", "2", NULL, NULL);
	return 0;
}

static int teardown(void **st)
{
	char cmd[128];
	(void)st;
	server_stop(&srv);
	/* no worker died, none was restarted in all of the above */
	assert_int_equal(log_count(&srv, "\": restart "), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bad_request_lines_are_400_and_close),
	    cmocka_unit_test(a_bare_lf_in_a_crlf_head_is_400_not_two_requests),
	    cmocka_unit_test(bytes_that_are_not_http_are_400),
	    cmocka_unit_test(other_versions_are_505_and_methods_405),
	    cmocka_unit_test(huge_heads_are_431_and_long_lines_414),
	    cmocka_unit_test(path_attacks_are_403),
	    cmocka_unit_test(a_slow_sender_gets_408_and_others_are_served),
	    cmocka_unit_test(a_408_is_followed_by_lingering_not_a_reset),
	    cmocka_unit_test(a_silent_connection_is_closed),
	    cmocka_unit_test(an_idle_kept_alive_connection_is_closed),
	    cmocka_unit_test(a_reader_that_never_reads_is_dropped),
	    cmocka_unit_test(a_slow_reader_that_keeps_reading_gets_everything),
	    cmocka_unit_test(pipelined_requests_are_answered_in_order),
	    cmocka_unit_test(many_idle_connections_do_not_stop_service),
	    cmocka_unit_test(workers_are_sandboxed_and_the_helper_keeps_little),
	    cmocka_unit_test_teardown(
	        each_worker_has_its_own_listener_and_what_one_does_to_it_stays_its_own,
	        two_teardown),
	    cmocka_unit_test(a_worker_killed_mid_request_is_restarted),
	    cmocka_unit_test(one_file_is_one_cache_entry_whatever_slashes_name_it),
	    cmocka_unit_test(an_idle_worker_closes_a_removed_file_when_its_entry_expires),
	    cmocka_unit_test(with_no_cache_opens_in_flight_answer_each_connection_in_order),
	    cmocka_unit_test(
	        a_kept_alive_connection_is_read_again_and_closed_when_its_client_ends_it),
	};
	if (argc != 2) {
		fprintf(stderr, "usage: test_httpd HTTPD\n");
		return 2;
	}
	httpd_path = argv[1];
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
