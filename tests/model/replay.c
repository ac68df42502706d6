/* SPDX-License-Identifier: ISC */
/*
 * replay.c - the model's counterexamples, replayed against the real
 * helper (docs/PROTOCOL.md, "Checked properties").
 *
 * Each file of tests/model/traces is what the workers of one broken model
 * (a mutant of privsep.pml) sent, and what its helper's application
 * posted, on the path where spin found that model breaking a rule:
 *
 *   send W TYPE ID BYTE WHY   worker W sends a record (WHY: app.h's M_BAD_*,
 *                             why it must be a violation, or M_OK; a
 *                             bulk's BYTE, its size in the model's steps,
 *                             is sent as its one payload byte: the real
 *                             turn of 32 is not what this test checks)
 *   post W N                  the helper's application posts event N to W
 *   exit W | dies W           worker W closes its end
 *   helperdies                the helper ends
 *   violation W V             what the broken helper did (not replayed)
 *
 * Two raw workers play the sends through their channels to a real helper
 * with the model's rows (app.h).  The real helper must keep every rule the
 * mutant broke: each call answered exactly once, with its own id and
 * bytes, until its worker is gone; each record WHY calls bad is that
 * violation, killing that worker and never the other; events arrive in
 * order; and the other worker is still served at the end.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "wire.h"
#include "app.h"

#define NW 2
#define NIDS 16

static int echo(struct privsep_req *req, void *arg)
{
	(void)arg;
	privsep_writer_put_raw(&req->reply, req->data, req->len);
	return 0;
}

static int once(struct privsep_req *req, void *arg)
{
	(void)arg;
	return req->data[0] % 2 ? privsep_req_fail(req, M_EACCES, "odd byte") : 0;
}

static int post(struct privsep_req *req, void *arg)
{
	(void)req;
	(void)arg;
	return 0;
}

static const struct privsep_handler rows[] = {
    {M_T_ECHO, "echo", 1, 1, 0, 0, PRIVSEP_H_CALL, echo, NULL, 0},
    {M_T_ONCE, "once", 1, 1, 0, 0, PRIVSEP_H_CALL | PRIVSEP_H_ONCE, once, NULL, 0},
    {M_T_POST, "post", 1, 1, 0, 0, PRIVSEP_H_POST, post, NULL, 0},
    {M_T_BULK, "bulk", 1, 1, 0, 0, PRIVSEP_H_POST | PRIVSEP_H_BULK, post, NULL, 64},
    {M_T_EVENT, "event", 1, 1, 0, 0, PRIVSEP_H_EVENT, NULL, NULL, 0},
};

struct side {
	int fd; /* the test's end, -1 once closed */
	struct privsep_worker *w;
	int bad;             /* the first M_BAD_* it sent, 0 none */
	int calls[NIDS];     /* per id: 1 sent and unanswered */
	uint8_t tag[NIDS];   /* per id: the byte sent */
	uint32_t type[NIDS]; /* per id: the type */
	int replies[NIDS];   /* per id: replies received */
	int events, posted;  /* events received, posted */
	int eof;
};

static const char *names[NW] = {"w0", "w1"};

static int want_violation(int why)
{
	switch (why) {
	case M_BAD_DROPPED:
	case M_BAD_ONCE:
		return PRIVSEP_V_NOT_PERMITTED;
	case M_BAD_NO_ID:
		return PRIVSEP_V_CALL_WITHOUT_ID;
	case M_BAD_REPLY:
		return PRIVSEP_V_WRONG_DIRECTION;
	}
	return PRIVSEP_V_NONE;
}

/* A sealed memfd of one byte: a valid bulk. */
static int bulk_fd(void)
{
	int fd = memfd_create("bulk", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "b", 1), 1);
	assert_int_equal(
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL), 0);
	return fd;
}

/* Read everything the helper sent to s, checking each record as it
 * comes: a reply answers a call in progress, once; an event is the next. */
static void drain(struct side *s, int who)
{
	uint8_t buf[512];
	if (s->fd < 0)
		return;
	for (;;) {
		ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
		struct wire_hdr h;
		if (n < 0)
			return;
		if (n == 0) {
			s->eof = 1;
			return;
		}
		/* a well-formed record, without fds */
		assert_int_equal(wire_check(buf, (size_t)n, 0, sizeof(buf), &h), PRIVSEP_V_NONE);
		if (h.type == PRIVSEP_T_REPLY) {
			uint32_t err = (uint32_t)buf[16] | (uint32_t)buf[17] << 8 |
			               (uint32_t)buf[18] << 16 | (uint32_t)buf[19] << 24;
			/* section 5: exactly one reply, to a call in progress */
			assert_true(h.id > 0 && h.id < NIDS);
			if (!s->calls[h.id])
				fail_msg("worker %d: a reply for id %u, which no call waits for",
				         who, h.id);
			s->calls[h.id] = 0;
			s->replies[h.id]++;
			/* ... with that call's own answer */
			if (s->type[h.id] == M_T_ECHO) {
				assert_int_equal(err, 0);
				assert_int_equal(h.len, 5);
				assert_int_equal(buf[20], s->tag[h.id]);
			} else if (s->type[h.id] == M_T_ONCE) {
				assert_int_equal(err, s->tag[h.id] % 2 ? M_EACCES : 0);
			} else {
				assert_int_equal(err, 0);
			}
		} else {
			/* section 9: events in order */
			assert_int_equal(h.type, M_T_EVENT);
			assert_int_equal(h.len, 1);
			assert_int_equal(buf[16], s->events);
			s->events++;
		}
	}
}

static void pump(struct hx *x, struct side *sides)
{
	for (int i = 0; i < 20; i++) {
		privsep_helper_step(x->h, 2);
		for (int k = 0; k < NW; k++)
			drain(&sides[k], k);
	}
}

static void send_line(struct side *s, uint32_t type, uint32_t id, uint8_t tag, int why)
{
	uint8_t rec[64], pay[16];
	size_t plen = 0;
	int fds[1] = {-1};
	size_t nfds = 0;

	struct privsep_writer wr;

	privsep_writer_init(&wr, pay, sizeof(pay));
	if (type == PRIVSEP_T_PERMIT_DROP) {
		/* the model's PERMIT_DROP gives up ECHO */
		privsep_writer_put_u32(&wr, 1);
		privsep_writer_put_u32(&wr, M_T_ECHO);
	} else if (type == PRIVSEP_T_REPLY) {
		privsep_writer_put_u32(&wr, 0);
	} else if (type == M_T_BULK) {
		privsep_writer_put_u64(&wr, 1);
		privsep_writer_put_u8(&wr, tag);
		fds[0] = bulk_fd();
		nfds = 1;
	} else {
		privsep_writer_put_u8(&wr, tag);
	}
	plen = wr.len;
	if (why == M_OK && id) {
		assert_true(id < NIDS);
		s->calls[id] = 1;
		s->tag[id] = tag;
		s->type[id] = type;
	}
	if (why != M_OK && !s->bad)
		s->bad = why;
	size_t n = rec_make(rec, type, id, pay, plen, (uint8_t)nfds);
	assert_int_equal(raw_send(s->fd, rec, n, fds, nfds), 0);
	if (nfds)
		close(fds[0]);
}

static void replay(void **state)
{
	const char *path = *state;
	struct privsep_helper_config cfg = {.queue_max = 1};
	struct hx *x = hx_new_cfg(rows, sizeof(rows) / sizeof(rows[0]), &cfg);
	struct side sides[NW];
	FILE *f = fopen(path, "r");
	char line[128];
	int helper_gone = 0;

	assert_non_null(x);
	assert_non_null(f);
	memset(sides, 0, sizeof(sides));
	for (int k = 0; k < NW; k++) {
		sides[k].fd = hx_attach_raw(x, names[k], &sides[k].w);
		assert_true(sides[k].fd >= 0);
	}
	while (fgets(line, sizeof(line), f)) {
		unsigned w, type, id, tag, why, n;
		if (sscanf(line, "send %u %u %u %u %u", &w, &type, &id, &tag, &why) == 5) {
			assert_true(w < NW);
			/* a worker the real helper killed, or that closed, sends
			 * nothing more */
			if (sides[w].fd < 0 || sides[w].bad)
				continue;
			send_line(&sides[w], type, id, (uint8_t)tag, (int)why);
		} else if (sscanf(line, "post %u %u", &w, &n) == 2) {
			uint8_t b = (uint8_t)sides[w].posted;
			assert_true(w < NW);
			if (sides[w].fd < 0 || sides[w].bad)
				continue;
			/* queue_max 1: EAGAIN is allowed, a lost event is not */
			if (privsep_worker_post(sides[w].w, &(struct privsep_out){.type = M_T_EVENT,
			                                                          .data = &b,
			                                                          .len = 1}) == 0)
				sides[w].posted++;
			else
				assert_int_equal(errno, EAGAIN);
		} else if (sscanf(line, "exit %u", &w) == 1 || sscanf(line, "dies %u", &w) == 1) {
			assert_true(w < NW);
			if (sides[w].fd >= 0 && !sides[w].bad) {
				pump(x, sides);
				close(sides[w].fd);
				sides[w].fd = -1;
			}
		} else if (!strncmp(line, "helperdies", 10)) {
			helper_gone = 1;
			break;
		}
		pump(x, sides);
	}
	fclose(f);
	pump(x, sides);

	for (int k = 0; k < NW; k++) {
		struct side *s = &sides[k];
		char want[160];
		if (s->bad) {
			/* section 8: that violation, this worker killed */
			snprintf(want, sizeof(want), "worker \"%s\" pid 0: protocol violation %s",
			         names[k], privsep_violation_name(want_violation(s->bad)));
			if (!hx_logged(x, want))
				fail_msg("worker %d: no \"%s\" logged", k, want);
			assert_true(s->eof);
		} else {
			snprintf(want, sizeof(want), "worker \"%s\" pid 0: protocol violation",
			         names[k]);
			if (hx_logged(x, want))
				fail_msg("worker %d sent no violation and was killed", k);
		}
		if (s->fd < 0)
			continue;
		/* every call answered (a killed worker's calls before its
		 * violation too: the helper serves records in order) */
		for (int i = 1; i < NIDS; i++)
			if (s->calls[i])
				fail_msg("worker %d: call id %d has no reply", k, i);
		assert_int_equal(s->events, s->posted);
		if (!s->bad && !helper_gone) {
			/* still served */
			uint8_t rec[32];
			size_t n = rec_make(rec, M_T_ECHO, 9, "z", 1, 0);
			s->calls[9] = 1;
			s->tag[9] = 'z';
			s->type[9] = M_T_ECHO;
			assert_int_equal(raw_send(s->fd, rec, n, NULL, 0), 0);
			pump(x, sides);
			assert_int_equal(s->replies[9], 1);
		}
	}
	hx_free(x);
	for (int k = 0; k < NW; k++)
		if (sides[k].fd >= 0) {
			/* the helper is gone: end of stream */
			drain(&sides[k], k);
			assert_true(sides[k].eof);
			close(sides[k].fd);
		}
}

int main(int argc, char **argv)
{
	struct CMUnitTest *tests;
	struct dirent **ents;
	int n, nt = 0, rc;
	static char paths[64][512];

	if (argc != 2) {
		fprintf(stderr, "usage: %s TRACES_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &ents, NULL, alphasort);
	if (n < 0) {
		perror(argv[1]);
		return 2;
	}
	tests = calloc((size_t)n, sizeof(*tests));
	for (int i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		size_t l = strlen(e);
		if (l > 6 && !strcmp(e + l - 6, ".trace") && nt < 64) {
			snprintf(paths[nt], sizeof(paths[nt]), "%s/%s", argv[1], e);
			tests[nt] = (struct CMUnitTest){e, replay, NULL, NULL, paths[nt]};
			nt++;
		}
	}
	if (nt == 0) {
		fprintf(stderr, "%s: no traces\n", argv[1]);
		return 1;
	}
	rc = _cmocka_run_group_tests("model-traces", tests, (size_t)nt, NULL, NULL);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(tests);
	return rc;
}
