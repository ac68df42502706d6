/*
 * spawn.c - starting a worker: a channel, a fork, a pidfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_int.h"

/* The fd the worker's channel has in the worker. */
#define WORKER_CHAN_FD 3

/* Runs in the child; never returns. */
static void worker_child(int chan, const struct privsep_spawn *sp, size_t msg_max)
{
	struct privsep_client_config cfg = sp->client;
	struct privsep_client *c;
	int rc;

	/* Only standard input, output, error and the channel survive. */
	if (chan != WORKER_CHAN_FD) {
		if (dup3(chan, WORKER_CHAN_FD, O_CLOEXEC) < 0)
			_exit(127);
		close(chan);
	}
	if (close_range(WORKER_CHAN_FD + 1, ~0u, 0) < 0)
		_exit(127);
	cfg.msg_max = msg_max;
	c = privsep_client_new(WORKER_CHAN_FD, &cfg);
	if (!c)
		_exit(127);
	rc = sp->main(c, sp->arg);
	privsep_client_free(c);
	fflush(NULL);
	_exit(rc & 0xff);
}

struct privsep_worker *privsep_spawn(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct sigaction sa;
	int sv[2], pidfd;
	pid_t pid;

	if (!h || !sp || !sp->main) {
		errno = EINVAL;
		return NULL;
	}
	/* With SIGCHLD ignored the kernel reaps children at once, and a pid
	 * could be reused before pidfd_open: refuse rather than race. */
	if (sigaction(SIGCHLD, NULL, &sa) == 0 &&
	    (sa.sa_handler == SIG_IGN || (sa.sa_flags & SA_NOCLDWAIT))) {
		errno = EINVAL;
		return NULL;
	}
	if (privsep_chan_pair(sv) < 0)
		return NULL;
	pid = fork();
	if (pid < 0) {
		int saved = errno;
		close(sv[0]);
		close(sv[1]);
		errno = saved;
		return NULL;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_child(sv[1], sp, helper_msg_max(h));
	}
	close(sv[1]);
	/* The child cannot be reaped before we wait for it, so its pid is
	 * still its own here. */
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		int saved = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		close(sv[0]);
		errno = saved;
		return NULL;
	}
	struct privsep_worker *w = privsep_helper_add(h, sv[0], pidfd, pid, sp->name);
	if (!w) {
		int saved = errno;
		kill(pid, SIGKILL); /* not reaped yet: still this child's pid */
		waitpid(pid, NULL, 0);
		errno = saved;
	}
	return w;
}
