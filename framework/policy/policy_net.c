/* SPDX-License-Identifier: ISC */
/*
 * policy_net.c - the rules that would let a worker make a connection
 * through a socket it holds.
 *
 * A worker makes no socket, but it may hold TCP sockets the helper made
 * (a listener, accepted connections): they live in the helper's network
 * namespace, so the worker's empty one does not contain them.  A TCP
 * socket in the closed state (a listener after shutdown with SHUT_RD, say)
 * is connected by connect, and by a send with MSG_FASTOPEN, which Landlock's
 * TCP connect rule does not see (Linux 6.18); TCP_FASTOPEN_CONNECT makes a
 * later send do the same.  So check reports every allow (or log) rule that
 * lets one of these through, whatever its reason: each would void that
 * guarantee for every socket the worker holds.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "policy.h"

#define LOW32 0xffffffffull

/* The rule's condition on argument arg, or NULL (any value). */
static const struct pol_cond *cond_on(const struct pol_rule *r, unsigned arg)
{
	for (unsigned i = 0; i < r->ncond; i++)
		if (r->cond[i].arg == arg)
			return &r->cond[i];
	return NULL;
}

/* Whether some value with bit set (in the kernel's low 32 bits) passes
 * c.  Exact: for each operator one of these witnesses passes when any
 * value with the bit does (==: its value; in: a member; has-none and
 * within: the bit alone; has-any: the bit and the mask; < and <=: the bit
 * alone, the smallest such value; > and >=: all ones, the largest; !=:
 * the bit alone or with bit 0). */
static int admits_bit(const struct pol_cond *c, uint64_t bit)
{
	uint64_t w[4 + POL_MAX_SET];
	unsigned n = 0;
	if (!c)
		return 1;
	w[n++] = bit;
	w[n++] = c->is32 ? LOW32 : ~0ull;
	w[n++] = bit | c->val;
	w[n++] = bit | 1;
	for (unsigned i = 0; c->op == P_IN && i < c->nset; i++)
		w[n++] = c->set[i];
	for (unsigned i = 0; i < n; i++)
		if ((w[i] & bit) && policy_cond_holds(c, w[i]))
			return 1;
	return 0;
}

/* Whether the int value v passes c.  Every argument looked at here is an
 * int in the tables (compared on its low 32 bits, as the kernel reads
 * it); a condition that is not is reported, to be safe. */
static int admits_value(const struct pol_cond *c, uint32_t v)
{
	return !c || !c->is32 || policy_cond_holds(c, v);
}

int pol_net_finding(const struct pol_rule *r, char *msg, size_t len)
{
	const char *s = r->syscall;
	if (r->act != FA_ALLOW && r->act != FA_LOG)
		return 0; /* the call does not run */
	if (!strcmp(s, "connect")) {
		snprintf(
		    msg, len,
		    "%s connect: it connects any socket the worker holds, in the network namespace the socket was made in (the helper's); give the worker connected sockets instead",
		    r->act == FA_ALLOW ? "allow" : "log");
		return 1;
	}
	if (!strcmp(s, "io_uring_setup") || !strcmp(s, "io_uring_enter") ||
	    !strcmp(s, "io_uring_register")) {
		snprintf(
		    msg, len,
		    "%s: io_uring runs connect, sendmsg and shutdown as operations no seccomp rule sees, so every condition on those calls is void (a reset socket disconnected and connected by Fast Open, measured): give the worker no io_uring",
		    s);
		return 1;
	}
	if (!strcmp(s, "sendto") || !strcmp(s, "sendmsg") || !strcmp(s, "sendmmsg")) {
		unsigned flags = !strcmp(s, "sendmsg") ? 2 : 3;
		if (!admits_bit(cond_on(r, flags), MSG_FASTOPEN))
			return 0;
		snprintf(
		    msg, len,
		    "%s: it lets MSG_FASTOPEN through, which connects a TCP socket in the closed state (a listener shut down, say) to any address: add `if flags has-none MSG_FASTOPEN`",
		    s);
		return 1;
	}
	if (!strcmp(s, "shutdown")) {
		const struct pol_cond *how = cond_on(r, 1);
		if (!admits_value(how, SHUT_RD) && !admits_value(how, SHUT_RDWR))
			return 0;
		snprintf(
		    msg, len,
		    "shutdown: it lets SHUT_RD or SHUT_RDWR through, which closes a listening socket for every process that holds it and leaves it to be connected: add `if how == SHUT_WR`");
		return 1;
	}
	if (!strcmp(s, "setsockopt")) {
		if (!admits_value(cond_on(r, 1), IPPROTO_TCP) ||
		    !admits_value(cond_on(r, 2), TCP_FASTOPEN_CONNECT))
			return 0;
		snprintf(
		    msg, len,
		    "setsockopt: it lets TCP_FASTOPEN_CONNECT through (level IPPROTO_TCP, optname %d), which makes a later send connect the socket: hold level or optname to the options the worker needs",
		    TCP_FASTOPEN_CONNECT);
		return 1;
	}
	return 0;
}

const char *pol_net_learned_errno(const char *syscall)
{
	if (!strcmp(syscall, "connect"))
		return "EACCES";
	if (!strcmp(syscall, "io_uring_setup") || !strcmp(syscall, "io_uring_enter") ||
	    !strcmp(syscall, "io_uring_register"))
		return "ENOSYS";
	return NULL;
}
