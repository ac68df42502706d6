/* SPDX-License-Identifier: ISC */
/*
 * spawn_start.c - privsep_spawn and every other start of a worker: a
 * worker from its pool, else what forbids the spawn, then the fork here
 * (spawn.c makes the job) or, once the helper is confined, the request
 * to its spawner (spawner.c); the new worker attached either way.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_int.h"
#include "sandbox.h"
#include "spawn_job.h"
#include "spawner.h"

struct privsep_worker *spawn_or_take(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct privsep_worker *w;
	if (!h || !sp)
		return spawn_worker(h, sp);
	if (sp->pool && sp->unsandboxed) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": a pool of unsandboxed workers: no READY to hold them at; "
		         "not started",
		         sp->name ? sp->name : "worker");
		errno = EINVAL;
		return NULL;
	}
	if (sp->pool > POOL_MAX) {
		log_line(h->log, h->log_arg, PRIVSEP_LOG_ERR,
		         "worker \"%s\": pool %u is over the most, %d; not started",
		         sp->name ? sp->name : "worker", sp->pool, POOL_MAX);
		errno = EINVAL;
		return NULL;
	}
	w = pool_take(h, sp);
	return w ? w : spawn_worker(h, sp);
}

struct privsep_worker *privsep_spawn(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct privsep_worker *w;
	struct spawn_rec *r = NULL;

	if (sp && sp->restart_max && !(r = spawn_rec_new(sp)))
		return NULL;
	w = spawn_or_take(h, r ? &r->sp : sp);
	if (!w) {
		free(r);
		return NULL;
	}
	w->life.rec = r;
	w->life.slot = sp->slot;
	return w;
}

struct privsep_worker *spawn_worker(struct privsep_helper *h, const struct privsep_spawn *sp)
{
	struct spawn_job j;
	int pidfd, saved;
	pid_t pid;

	if (!h || !sp || (!sp->main && !sp->exec)) {
		errno = EINVAL;
		return NULL;
	}
	spawn_job_init(&j, sp);
	if (spawn_refused(h, sp, &j) < 0)
		return NULL;
	/* confined: the spawner starts it, unconfined, as our child */
	if (h->spawner.sock >= 0)
		return spawner_spawn(h, sp, &j);
	if (spawn_job_prepare(h, sp, &j) < 0)
		return NULL;
	/* what a spawner forked later may start again (spawner_known.c) */
	spawner_known_spawn(sp);
	fflush(NULL); /* or the child would write the helper's buffered output again */
	pid = fork();
	if (pid < 0) {
		saved = errno;
		job_close(&j);
		sandbox_release(&j.plan);
		errno = saved;
		return NULL;
	}
	if (pid == 0)
		spawn_job_child(h, sp, &j);
	job_close_child_ends(&j);
	/* a uid leased ahead is checked again now, while the child takes
	 * steps 1 to 4; it waits for the answer before step 5 */
	if (spawn_confirm_uid(h, &j, pid) < 0) {
		saved = errno;
		/* taken since its lease: once more, with a lease made now
		 * (the one kept ahead is used up, so this one scans) */
		return saved == EEXIST ? spawn_worker(h, sp) : NULL;
	}
	/* The child cannot be reaped before we wait for it, so its pid is
	 * still its own here. */
	/* the next spawn's uid: leased ahead once this worker is past READY
	 * and the helper is idle (helper_lease_ahead), not while the child
	 * takes its steps, whose CPU the scan would share */
	if (j.plan.lease >= 0)
		h->lease_ahead = 1;
	pidfd = pidfd_open(pid, 0);
	if (pidfd < 0) {
		saved = errno;
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		job_close(&j);
		sandbox_release(&j.plan); /* reaped above */
		errno = saved;
		return NULL;
	}
	return spawn_attach(h, sp, &j, pid, pidfd);
}
