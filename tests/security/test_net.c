/* SPDX-License-Identifier: ISC */
/*
 * Sockets a worker holds: no connection out through any of them, and the
 * listener survives.
 *
 * A worker makes no socket, but it may hold TCP sockets the helper made:
 * httpd's workers hold a listening socket and the connections they
 * accept; any daemon may give one through keep_fds.  They live in the
 * helper's network namespace, so the worker's empty namespace does not
 * contain them.  A compromised worker under each shipped policy holds a
 * listening socket and an accepted connection its peer reset (SO_LINGER
 * 0), and tries every way tcp(7) and socket(7) give to connect one of
 * them: a Fast Open send (sendto, sendmsg, sendmmsg) with and without a
 * shutdown first, an AF_UNSPEC "disconnect", connect,
 * TCP_FASTOPEN_CONNECT, listen, bind; one worker per attempt, since the
 * filter kills at the first denied call.  Then one worker makes every
 * call its policy allows on both sockets (shutdown SHUT_WR, sends with
 * an address, write, writev, sendfile, fcntl F_SETFL, setsockopt,
 * accept4) and must not be killed.  After each attempt the test, which
 * holds the same sockets, checks from the kernel's side that the listener
 * still listens and the reset connection is still closed, that a
 * listener outside the worker's namespace saw no connection (a canary
 * connection of the test's own is the first and only one it has), and
 * that the service still accepts.
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
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

#define WAIT_MS 10000 /* far above what loopback needs */

/* What the worker holds, and where it must not reach. */
struct net {
	int outside; /* a listener of the test's: nothing of the worker's may reach it */
	struct sockaddr_in out_addr;
	int service; /* the listening socket the worker holds */
	struct sockaddr_in svc_addr;
	int reset; /* an accepted connection the peer reset, in the closed state */
	int file;  /* a memfd with a few bytes, for sendfile */
	int attempt;
};

/* ---- the worker: one attempt ---- */

enum attempt {
	SHUT_RD_THEN_FASTOPEN, /* the issue's: the listener shut down, then a Fast Open send */
	SHUT_RDWR_THEN_FASTOPEN,
	FASTOPEN_SENDTO_LISTENER,
	FASTOPEN_SENDTO_RESET,
	FASTOPEN_SENDMSG_RESET,
	FASTOPEN_SENDMMSG_RESET,
	UNSPEC_DISCONNECT_THEN_FASTOPEN, /* sendto MSG_FASTOPEN to AF_UNSPEC disconnects */
	SHUT_RD_RESET_THEN_FASTOPEN,
	CONNECT_LISTENER,
	CONNECT_RESET,
	FASTOPEN_CONNECT_OPTION, /* setsockopt TCP_FASTOPEN_CONNECT, then connect and send */
	LISTEN_RESET,            /* a closed socket listening again, in the helper's namespace */
	BIND_RESET,
	EVERY_ALLOWED_CALL, /* last: must run to its end */
	NATTEMPTS
};

static const char *const attempt_name[NATTEMPTS] = {
    "shutdown(listener, SHUT_RD) then sendto MSG_FASTOPEN",
    "shutdown(listener, SHUT_RDWR) then sendto MSG_FASTOPEN",
    "sendto(listener, MSG_FASTOPEN)",
    "sendto(reset connection, MSG_FASTOPEN)",
    "sendmsg(reset connection, MSG_FASTOPEN)",
    "sendmmsg(reset connection, MSG_FASTOPEN)",
    "sendto(reset connection, MSG_FASTOPEN, AF_UNSPEC) then sendto MSG_FASTOPEN",
    "shutdown(reset connection, SHUT_RD) then sendto MSG_FASTOPEN",
    "connect(listener)",
    "connect(reset connection)",
    "setsockopt TCP_FASTOPEN_CONNECT, connect, send",
    "listen(reset connection)",
    "bind(reset connection)",
    "every call the policy allows, on both sockets",
};

static void fastopen_to(int fd, const struct sockaddr_in *to)
{
	sendto(fd, "out", 3, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT, (const void *)to,
	       sizeof(*to));
}

/* Every call the policies allow on a socket, with an address where one
 * can be given; each must fail or do nothing that connects. */
static void allowed_calls(const struct net *n, int fd, int httpd)
{
	const void *to = &n->out_addr;
	char byte = 'x';
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {.msg_name = (void *)to,
	                    .msg_namelen = sizeof(n->out_addr),
	                    .msg_iov = &iov,
	                    .msg_iovlen = 1};
	int one = 1, flags = MSG_NOSIGNAL | MSG_DONTWAIT;
	if (httpd) {
		struct sockaddr_in peer;
		socklen_t sl = sizeof(peer);
		int c = accept4(fd, (struct sockaddr *)&peer, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c >= 0)
			close(c);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(fd, IPPROTO_TCP, TCP_NOTSENT_LOWAT, &one, sizeof(one));
	}
	for (int blocking = 0; blocking <= 1; blocking++) {
		sendto(fd, &byte, 1, flags, to, sizeof(n->out_addr));
		sendto(fd, &byte, 1, flags | MSG_MORE | MSG_OOB, to, sizeof(n->out_addr));
		sendto(fd, &byte, 1, flags, NULL, 0);
		sendmsg(fd, &mh, flags);
		sendmsg(fd, &mh, flags | MSG_MORE);
		(void)!write(fd, &byte, 1);
		(void)!writev(fd, &iov, 1);
		if (httpd) {
			off_t off = 0;
			sendfile(fd, n->file, &off, 4);
		}
		recvfrom(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK, NULL, NULL);
		shutdown(fd, SHUT_WR);
		/* the second round with the file description blocking: every
		 * holder of the socket sees that (the sends still fail at once:
		 * the socket is not connecting) */
		fcntl(fd, F_SETFL, 0);
	}
}

static int attempt_main(struct privsep_client *c, void *arg)
{
	const struct net *n = arg;
	const struct sockaddr_in *to = &n->out_addr;
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	char byte = 'x';
	struct iovec iov = {&byte, 1};
	struct msghdr mh = {
	    .msg_name = (void *)to, .msg_namelen = sizeof(*to), .msg_iov = &iov, .msg_iovlen = 1};
	struct mmsghdr mm = {.msg_hdr = mh};
	int v = 1;
	(void)c;
	signal(SIGPIPE, SIG_IGN); /* a closed socket's EPIPE, not a death */
	switch (n->attempt) {
	case SHUT_RD_THEN_FASTOPEN:
		shutdown(n->service, SHUT_RD);
		fastopen_to(n->service, to);
		break;
	case SHUT_RDWR_THEN_FASTOPEN:
		shutdown(n->service, SHUT_RDWR);
		fastopen_to(n->service, to);
		break;
	case FASTOPEN_SENDTO_LISTENER:
		fastopen_to(n->service, to);
		break;
	case FASTOPEN_SENDTO_RESET:
		fastopen_to(n->reset, to);
		fastopen_to(n->reset, to); /* the first may only clear the reset's error */
		break;
	case FASTOPEN_SENDMSG_RESET:
		sendmsg(n->reset, &mh, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT);
		sendmsg(n->reset, &mh, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case FASTOPEN_SENDMMSG_RESET:
		sendmmsg(n->reset, &mm, 1, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case UNSPEC_DISCONNECT_THEN_FASTOPEN:
		sendto(n->reset, "x", 1, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT, &unspec,
		       sizeof(unspec));
		fastopen_to(n->reset, to);
		sendto(n->service, "x", 1, MSG_FASTOPEN | MSG_NOSIGNAL | MSG_DONTWAIT, &unspec,
		       sizeof(unspec));
		fastopen_to(n->service, to);
		break;
	case SHUT_RD_RESET_THEN_FASTOPEN:
		shutdown(n->reset, SHUT_RD);
		fastopen_to(n->reset, to);
		break;
	case CONNECT_LISTENER:
		connect(n->service, (const void *)to, sizeof(*to));
		break;
	case CONNECT_RESET:
		connect(n->reset, (const void *)&unspec, sizeof(unspec)); /* a disconnect */
		connect(n->reset, (const void *)to, sizeof(*to));
		break;
	case FASTOPEN_CONNECT_OPTION:
		setsockopt(n->reset, IPPROTO_TCP, TCP_FASTOPEN_CONNECT, &v, sizeof(v));
		connect(n->reset, (const void *)to, sizeof(*to));
		send(n->reset, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		break;
	case LISTEN_RESET:
		listen(n->reset, 8);
		break;
	case BIND_RESET:
		bind(n->reset, (const void *)to, sizeof(*to));
		break;
	case EVERY_ALLOWED_CALL:
		/* the httpd worker's calls when its policy is httpd's (the
		 * test says so through the fd's presence) */
		allowed_calls(n, n->reset, n->file >= 0);
		allowed_calls(n, n->service, n->file >= 0);
		break;
	}
	return 0;
}

/* ---- the test's side ---- */

static int tcp_listener(struct sockaddr_in *addr)
{
	socklen_t sl = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(addr, 0, sizeof(*addr));
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, sizeof(*addr)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &sl), 0);
	return fd;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t sl = sizeof(ti);
	memset(&ti, 0, sizeof(ti));
	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &sl), 0);
	return ti.tcpi_state;
}

/* A connection from the test to addr; the accepted end from lfd. */
static int connect_and_accept(int lfd, const struct sockaddr_in *addr, int *client)
{
	struct pollfd p = {lfd, POLLIN, 0};
	*client = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(*client >= 0);
	assert_int_equal(connect(*client, (const struct sockaddr *)addr, sizeof(*addr)), 0);
	if (poll(&p, 1, WAIT_MS) != 1)
		return -1;
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

static void net_setup(struct net *n, int with_file)
{
	struct linger lg = {1, 0};
	int client;
	n->outside = tcp_listener(&n->out_addr);
	n->service = tcp_listener(&n->svc_addr);
	n->reset = connect_and_accept(n->service, &n->svc_addr, &client);
	assert_true(n->reset >= 0);
	/* the peer resets it: SO_LINGER 0, close */
	assert_int_equal(setsockopt(client, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(client);
	{
		struct pollfd p = {n->reset, POLLIN, 0};
		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		assert_true(p.revents & (POLLHUP | POLLERR));
	}
	assert_int_equal(tcp_state(n->reset), TCP_CLOSE);
	n->file = -1;
	if (with_file) {
		n->file = memfd_create("net-test", MFD_CLOEXEC);
		assert_true(n->file >= 0);
		assert_int_equal(write(n->file, "data", 4), 4);
	}
}

static void net_free(struct net *n)
{
	close(n->outside);
	close(n->service);
	close(n->reset);
	if (n->file >= 0)
		close(n->file);
}

/* Nothing reached the outside listener: a connection of the test's own
 * is the first and only one in its queue. */
static void outside_saw_nothing(const struct net *n, const char *what)
{
	struct sockaddr_in canary, first;
	socklen_t sl = sizeof(canary), fl = sizeof(first);
	int client, a = connect_and_accept(n->outside, &n->out_addr, &client), more;
	assert_true(a >= 0);
	assert_int_equal(getsockname(client, (struct sockaddr *)&canary, &sl), 0);
	assert_int_equal(getpeername(a, (struct sockaddr *)&first, &fl), 0);
	if (first.sin_port != canary.sin_port)
		fail_msg("%s: the outside listener accepted a connection from port %u before the "
		         "test's own",
		         what, ntohs(first.sin_port));
	more = accept4(n->outside, NULL, NULL, SOCK_CLOEXEC);
	if (more >= 0)
		fail_msg("%s: a second connection reached the outside listener", what);
	close(a);
	close(client);
}

static void after_attempt(const struct net *n, const char *what)
{
	int client, a;
	/* from the kernel's side: the same sockets, unconnected */
	if (tcp_state(n->service) != TCP_LISTEN)
		fail_msg("%s: the listener is no longer listening (TCP state %d%s)", what,
		         tcp_state(n->service),
		         tcp_state(n->service) == TCP_ESTABLISHED ||
		                 tcp_state(n->service) == TCP_SYN_SENT
		             ? ": it connected"
		             : "");
	if (tcp_state(n->reset) != TCP_CLOSE)
		fail_msg("%s: the reset connection left the closed state (TCP state %d): it "
		         "connects",
		         what, tcp_state(n->reset));
	outside_saw_nothing(n, what);
	/* the service still accepts */
	a = connect_and_accept(n->service, &n->svc_addr, &client);
	if (a < 0)
		fail_msg("%s: the listener no longer accepts", what);
	close(a);
	close(client);
}

static void every_attempt_under(const char *policy)
{
	char text[128], name[64];
	int httpd = !strcmp(policy, "httpd.policy");
	if (under_valgrind())
		skip(); /* valgrind has no seccomp */
	snprintf(text, sizeof(text), "version 1\ninclude <%s>\n", policy);
	snprintf(name, sizeof(name), "net test on %s", policy);
	for (int i = 0; i < NATTEMPTS; i++) {
		struct net n;
		struct hx *x = hx_new(NULL, 0, 0);
		int keep[3];
		struct privsep_sandbox sb = {.policy = name, .policy_text = text};
		struct privsep_spawn sp = {
		    .name = "net", .main = attempt_main, .arg = &n, .sandbox = &sb};
		char what[256];
		assert_non_null(x);
		net_setup(&n, httpd);
		n.attempt = i;
		keep[0] = n.service;
		keep[1] = n.reset;
		keep[2] = n.file;
		sb.keep_fds = keep;
		sb.nkeep = httpd ? 3 : 2;
		snprintf(what, sizeof(what), "<%s>: %s", policy, attempt_name[i]);
		assert_non_null(privsep_spawn(x->h, &sp));
		assert_true(hx_pump_gone(x, 1, WAIT_MS));
		/* what the kernel says first: a connection, a dead listener */
		after_attempt(&n, what);
		if (i == EVERY_ALLOWED_CALL) {
			if (x->last_exit.kind != PRIVSEP_EXIT_STATUS || x->last_exit.status != 0)
				fail_msg("%s: the worker did not finish: %s", what,
				         x->last_exit.line);
		} else if (x->last_exit.kind != PRIVSEP_EXIT_SECCOMP) {
			fail_msg("%s: not killed by the worker's filter: %s", what,
			         x->last_exit.line);
		}
		net_free(&n);
		hx_free(x);
	}
}

static void no_connection_out_through_held_sockets_under_httpd_policy(void **state)
{
	(void)state;
	every_attempt_under("httpd.policy");
}

static void no_connection_out_through_held_sockets_under_default_policy(void **state)
{
	(void)state;
	every_attempt_under("default.policy");
}

static void no_connection_out_through_held_sockets_under_fileopener_policy(void **state)
{
	(void)state;
	every_attempt_under("fileopener.policy");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(no_connection_out_through_held_sockets_under_httpd_policy),
	    cmocka_unit_test(no_connection_out_through_held_sockets_under_default_policy),
	    cmocka_unit_test(no_connection_out_through_held_sockets_under_fileopener_policy),
	};
	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
