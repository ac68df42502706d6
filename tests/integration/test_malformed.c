/* SPDX-License-Identifier: ISC */
/*
 * The malformed-input table: every named case is a record a hostile
 * worker sends.  Each asserts the outcome docs/PROTOCOL.md names (the
 * violation, one log line, the worker dropped), that no fd leaked in the
 * process (helper and test share it), and that the helper then still
 * serves a valid request from another worker.
 *
 * The second table plays a hostile helper against a real client.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "testapp.h"
#include "wire.h"
#include "chan.h"

#define MSG_MAX 1024

enum pre { PRE_NONE, PRE_DROP_ECHO, PRE_USE_ONCE, PRE_REVOKE_ECHO };

struct mcase {
	const char *name;
	enum privsep_violation want;
	uint32_t type, id;
	const char *payload; /* NULL: plen zero bytes */
	size_t plen;
	int fds;       /* real fds attached */
	int magic;     /* -1 default */
	int version;   /* -1 default */
	int nfds;      /* -1: = fds */
	long len;      /* -1: = plen */
	size_t reclen; /* 0: header + plen; else send this many bytes */
	enum pre pre;
};

#define D .magic = -1, .version = -1, .nfds = -1, .len = -1

static const struct mcase cases[] = {
    {"short_header_8_bytes", PRIVSEP_V_SHORT_HEADER, T_ECHO_STR, 1, NULL, 0, 0, D, .reclen = 8},
    {"short_header_15_bytes", PRIVSEP_V_SHORT_HEADER, T_ECHO_STR, 1, NULL, 0, 0, D, .reclen = 15},
    {"empty_record", PRIVSEP_V_EMPTY_RECORD, T_ECHO_STR, 1, NULL, 0, 0, D, .reclen = (size_t)-1},
    {"wrong_magic", PRIVSEP_V_BAD_MAGIC, T_ECHO_STR, 1, "\2\0\0\0a\0", 6, 0, .magic = 0x5350,
     .version = -1, .nfds = -1, .len = -1},
    {"magic_zero", PRIVSEP_V_BAD_MAGIC, T_ECHO_STR, 1, NULL, 0, 0, .magic = 0, .version = -1,
     .nfds = -1, .len = -1},
    {"wrong_version_2", PRIVSEP_V_BAD_VERSION, T_ECHO_STR, 1, NULL, 0, 0, .magic = -1, .version = 2,
     .nfds = -1, .len = -1},
    {"wrong_version_0", PRIVSEP_V_BAD_VERSION, T_ECHO_STR, 1, NULL, 0, 0, .magic = -1, .version = 0,
     .nfds = -1, .len = -1},
    {"len_larger_than_record", PRIVSEP_V_LEN_MISMATCH, T_ECHO_STR, 1, "\2\0\0\0a\0", 6, 0,
     .magic = -1, .version = -1, .nfds = -1, .len = 7},
    {"len_smaller_than_record", PRIVSEP_V_LEN_MISMATCH, T_ECHO_STR, 1, "\2\0\0\0a\0", 6, 0,
     .magic = -1, .version = -1, .nfds = -1, .len = 5},
    {"len_field_over_limit", PRIVSEP_V_OVERSIZE, T_ECHO_STR, 1, NULL, 0, 0, .magic = -1,
     .version = -1, .nfds = -1, .len = 0x7fffffff},
    {"record_over_limit", PRIVSEP_V_OVERSIZE, T_ECHO_STR, 1, NULL, MSG_MAX - 16 + 1, 0, D},
    {"nfds_field_over_4", PRIVSEP_V_NFDS_LIMIT, T_ECHO_STR, 1, NULL, 0, 0, .magic = -1,
     .version = -1, .nfds = 5, .len = -1},
    {"five_fds_sent", PRIVSEP_V_NFDS_LIMIT, T_TAKE_FD, 1, NULL, 0, 5, D},
    {"twelve_fds_sent", PRIVSEP_V_NFDS_LIMIT, T_TAKE_FD, 1, NULL, 0, 12, D},
    {"fds_declared_none_sent", PRIVSEP_V_NFDS_MISMATCH, T_TAKE_FD, 1, NULL, 0, 0, .magic = -1,
     .version = -1, .nfds = 1, .len = -1},
    {"undeclared_fd", PRIVSEP_V_NFDS_MISMATCH, T_TAKE_FD, 1, NULL, 0, 1, .magic = -1, .version = -1,
     .nfds = 0, .len = -1},
    {"type_zero", PRIVSEP_V_TYPE_ZERO, 0, 1, NULL, 0, 0, D},
    {"unknown_framework_type", PRIVSEP_V_UNKNOWN_TYPE, 0x00ff, 1, NULL, 0, 0, D},
    {"unknown_application_type", PRIVSEP_V_UNKNOWN_TYPE, 0x1ffff, 1, NULL, 0, 0, D},
    {"reply_sent_by_worker", PRIVSEP_V_WRONG_DIRECTION, PRIVSEP_T_REPLY, 1, "\0\0\0\0", 4, 0, D},
    {"call_with_id_zero", PRIVSEP_V_CALL_WITHOUT_ID, T_ECHO_STR, 0, "\2\0\0\0a\0", 6, 0, D},
    {"ping_with_id_zero", PRIVSEP_V_CALL_WITHOUT_ID, PRIVSEP_T_PING, 0, NULL, 0, 0, D},
    {"one_way_with_id", PRIVSEP_V_ID_ON_POST, T_POST, 9, NULL, 0, 0, D},
    {"payload_below_min", PRIVSEP_V_BAD_SIZE, T_ECHO_STR, 1, "\0\0", 2, 0, D},
    {"payload_above_max", PRIVSEP_V_BAD_SIZE, T_ECHO_STR, 1, NULL, 257, 0, D},
    {"payload_on_empty_type", PRIVSEP_V_BAD_SIZE, T_ONCE, 1, "x", 1, 0, D},
    {"fd_on_no_fd_type", PRIVSEP_V_BAD_FD_COUNT, T_ECHO_STR, 1, "\2\0\0\0a\0", 6, 1, D},
    {"missing_required_fd", PRIVSEP_V_BAD_FD_COUNT, T_TAKE_FD, 1, NULL, 0, 0, D},
    {"too_many_fds_for_type", PRIVSEP_V_BAD_FD_COUNT, T_TAKE_FD, 1, NULL, 0, 2, D},
    {"three_fds_on_two_max", PRIVSEP_V_BAD_FD_COUNT, T_TWO_FDS_MAX, 1, NULL, 0, 3, D},
    {"zero_length_string", PRIVSEP_V_BAD_PAYLOAD, T_ECHO_STR, 1, "\0\0\0\0", 4, 0, D},
    {"string_without_nul", PRIVSEP_V_BAD_PAYLOAD, T_ECHO_STR, 1, "\2\0\0\0ab", 6, 0, D},
    {"string_with_embedded_nul", PRIVSEP_V_BAD_PAYLOAD, T_ECHO_STR, 1, "\3\0\0\0a\0\0", 7, 0, D},
    {"string_length_past_payload", PRIVSEP_V_BAD_PAYLOAD, T_ECHO_STR, 1, "\x09\0\0\0a\0", 6, 0, D},
    {"trailing_bytes_after_string", PRIVSEP_V_BAD_PAYLOAD, T_ECHO_STR, 1, "\2\0\0\0a\0zz", 8, 0, D},
    {"permit_drop_count_zero", PRIVSEP_V_BAD_PAYLOAD, PRIVSEP_T_PERMIT_DROP, 1, "\0\0\0\0\1\0\1\0",
     8, 0, D},
    {"permit_drop_count_mismatch", PRIVSEP_V_BAD_PAYLOAD, PRIVSEP_T_PERMIT_DROP, 1,
     "\2\0\0\0\1\0\1\0", 8, 0, D},
    {"permit_drop_too_short", PRIVSEP_V_BAD_SIZE, PRIVSEP_T_PERMIT_DROP, 1, "\1\0\0\0", 4, 0, D},
    {"type_given_up", PRIVSEP_V_NOT_PERMITTED, T_ECHO_STR, 2, "\2\0\0\0a\0", 6, 0, D,
     .pre = PRE_DROP_ECHO},
    {"once_type_used_twice", PRIVSEP_V_NOT_PERMITTED, T_ONCE, 2, NULL, 0, 0, D,
     .pre = PRE_USE_ONCE},
    {"type_revoked_by_helper", PRIVSEP_V_NOT_PERMITTED, T_ECHO_STR, 2, "\2\0\0\0a\0", 6, 0, D,
     .pre = PRE_REVOKE_ECHO},
    {"bad_payload_with_fds_closes_them", PRIVSEP_V_BAD_PAYLOAD, T_GIVE_FDS, 1, "\x09\0\0\0", 4, 0,
     D},
};

struct fixture {
	struct hx *x;
	struct privsep_client *good;
};

static int setup(void **state)
{
	static struct fixture f;
	f.x = hx_new(testapp_table, testapp_n, MSG_MAX);
	if (!f.x)
		return -1;
	f.good = hx_attach_client(f.x, "good", MSG_MAX);
	if (!f.good)
		return -1;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	privsep_client_free(f->good);
	hx_free(f->x);
	return 0;
}

/* Read the one reply the raw worker expects; returns its error field. */
static int raw_reply(int fd)
{
	uint8_t b[MSG_MAX];
	ssize_t n = recv(fd, b, sizeof(b), 0);
	assert_true(n >= 20);
	return b[16] | b[17] << 8;
}

static void run_case(struct fixture *f, const struct mcase *c)
{
	uint8_t rec[MSG_MAX * 2] = {0};
	uint8_t payload[MSG_MAX * 2] = {0};
	int fds[16];
	struct hx_bg bg;
	struct privsep_worker *w;
	int before, sock, gone0 = f->x->gone, nlog0 = f->x->nlog;
	char want[96];
	size_t len;
	struct wire_hdr h;

	before = count_fds();
	sock = hx_attach_raw(f->x, c->name, &w);
	assert_true(sock >= 0);

	if (c->pre == PRE_DROP_ECHO || c->pre == PRE_USE_ONCE) {
		uint8_t p[8] = {1, 0, 0, 0};
		uint32_t t = T_ECHO_STR;
		memcpy(p + 4, &t, 4);
		len = c->pre == PRE_DROP_ECHO ? rec_make(rec, PRIVSEP_T_PERMIT_DROP, 1, p, 8, 0)
		                              : rec_make(rec, T_ONCE, 1, NULL, 0, 0);
		assert_int_equal(raw_send(sock, rec, len, NULL, 0), 0);
		privsep_helper_step(f->x->h, 100);
		assert_int_equal(raw_reply(sock), 0);
	} else if (c->pre == PRE_REVOKE_ECHO) {
		assert_int_equal(privsep_worker_drop_permit(w, T_ECHO_STR), 0);
	}

	if (c->payload)
		memcpy(payload, c->payload, c->plen);
	len = rec_make(rec, c->type, c->id, payload, c->plen,
	               (uint8_t)(c->nfds >= 0 ? c->nfds : c->fds));
	h = (struct wire_hdr){c->magic >= 0 ? (uint16_t)c->magic : PRIVSEP_WIRE_MAGIC,
	                      c->version >= 0 ? (uint8_t)c->version : PRIVSEP_WIRE_VERSION,
	                      (uint8_t)(c->nfds >= 0 ? c->nfds : c->fds),
	                      c->type,
	                      c->id,
	                      c->len >= 0 ? (uint32_t)c->len : (uint32_t)c->plen};
	wire_put_hdr(rec, &h);
	if (c->reclen == (size_t)-1)
		len = 0;
	else if (c->reclen)
		len = c->reclen;
	for (int i = 0; i < c->fds; i++) {
		int p[2];
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		close(p[1]);
		fds[i] = p[0];
	}
	assert_int_equal(raw_send(sock, rec, len, fds, (size_t)c->fds), 0);
	for (int i = 0; i < c->fds; i++)
		close(fds[i]);

	/* The outcome the spec names: the violation, one log line, dropped. */
	assert_true(hx_pump_gone(f->x, gone0 + 1, 3000));
	assert_int_equal(f->x->last_viol, c->want);
	assert_string_equal(f->x->last_gone, c->name);
	snprintf(want, sizeof(want), "protocol violation %s", privsep_violation_name(c->want));
	assert_int_equal(f->x->nlog, nlog0 + 1);
	assert_non_null(strstr(f->x->log[nlog0], want));
	assert_non_null(strstr(f->x->log[nlog0], c->name));
	/* The helper closed its end. */
	assert_int_equal(recv(sock, rec, sizeof(rec), MSG_DONTWAIT), 0);
	close(sock);
	assert_int_equal(count_fds(), before);

	/* And it still serves another worker. */
	hx_bg_call(&bg, f->good, T_ECHO_STR, "\6\0\0\0after\0", 10);
	assert_int_equal(hx_bg_wait(f->x, &bg), 0);
	assert_string_equal((char *)bg.body + 4, "after");
}

static void malformed_table(void **state)
{
	struct fixture *f = *state;
	assert_true(sizeof(cases) / sizeof(cases[0]) >= 30);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		print_message("case %-36s -> %s\n", cases[i].name,
		              privsep_violation_name(cases[i].want));
		run_case(f, &cases[i]);
	}
}

/* ---- the worker's side: a hostile helper against a real client ---- */

enum reply_kind {
	R_UNKNOWN_ID,
	R_WRONG_TYPE,
	R_BAD_MAGIC,
	R_ERROR_OVER_4095,
	R_ERROR_WITH_FD,
	R_TOO_SHORT,
	R_ERROR_DETAIL_NOT_STR,
	R_BODY_OVER_CAP,
	R_FDS_DECLARED_NOT_SENT,
	R_HELPER_CLOSES,
	R_EMPTY_RECORD,
};

struct wcase {
	const char *name;
	enum reply_kind kind;
	int want_rc, want_errno;
	int client_survives;
};

static const struct wcase wcases[] = {
    {"reply_for_unknown_request_id", R_UNKNOWN_ID, -1, EPROTO, 0},
    {"reply_with_request_type", R_WRONG_TYPE, -1, EPROTO, 0},
    {"reply_with_wrong_magic", R_BAD_MAGIC, -1, EPROTO, 0},
    {"reply_error_over_4095", R_ERROR_OVER_4095, -1, EPROTO, 0},
    {"error_reply_carrying_fd", R_ERROR_WITH_FD, -1, EPROTO, 0},
    {"reply_shorter_than_error_field", R_TOO_SHORT, -1, EPROTO, 0},
    {"error_reply_detail_not_a_str", R_ERROR_DETAIL_NOT_STR, -1, EPROTO, 0},
    {"reply_body_over_callers_buffer", R_BODY_OVER_CAP, -1, EMSGSIZE, 1},
    {"reply_fds_declared_not_sent", R_FDS_DECLARED_NOT_SENT, -1, EPROTO, 0},
    {"helper_closes_mid_call", R_HELPER_CLOSES, -1, EPIPE, 0},
    {"empty_record_from_helper", R_EMPTY_RECORD, -1, EPROTO, 0},
};

struct call_thread {
	pthread_t t;
	struct privsep_client *c;
	uint8_t body[8];
	struct privsep_result res;
	int rc, err;
};

static void *do_call(void *arg)
{
	struct call_thread *ct = arg;
	ct->res.data = ct->body;
	ct->res.cap = sizeof(ct->body);
	ct->rc = privsep_client_call(ct->c, &(struct privsep_out){.type = T_DENY}, &ct->res);
	ct->err = errno;
	return NULL;
}

static void quiet_log(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)line;
	(void)arg;
}

static void run_wcase(const struct wcase *wc)
{
	int before = count_fds();
	int sv[2], devnull;
	struct privsep_client_config cfg = {.msg_max = MSG_MAX, .log = quiet_log};
	struct call_thread ct = {0};
	uint8_t in[MSG_MAX], out[MSG_MAX * 2];
	uint8_t payload[64] = {0};
	struct wire_hdr h;
	size_t len = 0;
	uint32_t id;
	int sendfd = 0;

	assert_int_equal(chan_pair(sv), 0);
	ct.c = privsep_client_new(sv[1], &cfg);
	assert_non_null(ct.c);
	pthread_create(&ct.t, NULL, do_call, &ct);
	assert_true(recv(sv[0], in, sizeof(in), 0) >= 16);
	memcpy(&id, in + 8, 4);
	devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	switch (wc->kind) {
	case R_UNKNOWN_ID:
		len = rec_make(out, PRIVSEP_T_REPLY, id + 1, payload, 4, 0);
		break;
	case R_WRONG_TYPE:
		len = rec_make(out, T_ECHO_STR, id, payload, 4, 0);
		break;
	case R_BAD_MAGIC:
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 4, 0);
		out[0] = 0;
		break;
	case R_ERROR_OVER_4095:
		memcpy(payload, "\0\x10\0\0\1\0\0\0\0", 9);
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 9, 0);
		break;
	case R_ERROR_WITH_FD:
		memcpy(payload, "\x0d\0\0\0\1\0\0\0\0", 9);
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 9, 1);
		sendfd = 1;
		break;
	case R_TOO_SHORT:
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 3, 0);
		break;
	case R_ERROR_DETAIL_NOT_STR:
		memcpy(payload, "\x0d\0\0\0\2\0\0\0ab", 10);
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 10, 0);
		break;
	case R_BODY_OVER_CAP:
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 4 + 9, 1);
		sendfd = 1;
		break;
	case R_FDS_DECLARED_NOT_SENT:
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 4, 2);
		break;
	case R_HELPER_CLOSES:
	case R_EMPTY_RECORD:
		break;
	}
	(void)h;
	if (wc->kind == R_HELPER_CLOSES) {
		close(sv[0]);
		sv[0] = -1;
	} else {
		assert_int_equal(raw_send(sv[0], out, len, &devnull, (size_t)sendfd), 0);
	}
	pthread_join(ct.t, NULL);
	assert_int_equal(ct.rc, wc->want_rc);
	assert_int_equal(ct.err, wc->want_errno);
	assert_int_equal(ct.res.refused, 0); /* the client's own failure */
	assert_int_equal(ct.res.nfds, 0);
	if (wc->client_survives) {
		/* the channel is still good: a proper reply now works */
		pthread_create(&ct.t, NULL, do_call, &ct);
		assert_true(recv(sv[0], in, sizeof(in), 0) >= 16);
		memcpy(&id, in + 8, 4);
		memcpy(payload, "\x0d\0\0\0\2\0\0\0x\0", 10);
		len = rec_make(out, PRIVSEP_T_REPLY, id, payload, 10, 0);
		assert_int_equal(raw_send(sv[0], out, len, NULL, 0), 0);
		pthread_join(ct.t, NULL);
		assert_int_equal(ct.rc, -1);
		assert_int_equal(ct.err, EACCES);
		assert_int_equal(ct.res.refused, 1);
		assert_string_equal(ct.res.detail, "x");
	} else if (sv[0] >= 0) {
		/* the client shut the channel down and stays dead */
		assert_int_equal(recv(sv[0], in, sizeof(in), MSG_DONTWAIT), 0);
		assert_int_equal(privsep_client_post(ct.c, &(struct privsep_out){.type = T_POST}),
		                 -1);
	}
	privsep_client_free(ct.c);
	if (sv[0] >= 0)
		close(sv[0]);
	close(devnull);
	assert_int_equal(count_fds(), before);
}

static void malformed_replies_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(wcases) / sizeof(wcases[0]); i++) {
		print_message("case %-36s -> %s\n", wcases[i].name, strerror(wcases[i].want_errno));
		run_wcase(&wcases[i]);
	}
}

/* A second reply for a call already answered is not delivered to it: the
 * next read finds no call with that id. */
static void duplicate_reply_is_unknown_id(void **state)
{
	(void)state;
	int sv[2], before = count_fds();
	struct privsep_client_config cfg = {.msg_max = MSG_MAX, .log = quiet_log};
	struct call_thread ct = {0};
	uint8_t in[MSG_MAX], out[64];
	uint32_t id;
	size_t len;
	assert_int_equal(chan_pair(sv), 0);
	ct.c = privsep_client_new(sv[1], &cfg);
	pthread_create(&ct.t, NULL, do_call, &ct);
	assert_true(recv(sv[0], in, sizeof(in), 0) >= 16);
	memcpy(&id, in + 8, 4);
	len = rec_make(out, PRIVSEP_T_REPLY, id, "\x0d\0\0\0\2\0\0\0x\0", 10, 0);
	assert_int_equal(raw_send(sv[0], out, len, NULL, 0), 0);
	assert_int_equal(raw_send(sv[0], out, len, NULL, 0), 0);
	pthread_join(ct.t, NULL);
	assert_int_equal(ct.rc, -1);
	assert_int_equal(ct.err, EACCES);
	assert_int_equal(ct.res.refused, 1);
	/* the next call reads the duplicate first */
	pthread_create(&ct.t, NULL, do_call, &ct);
	pthread_join(ct.t, NULL);
	assert_int_equal(ct.rc, -1);
	assert_int_equal(ct.err, EPROTO);
	privsep_client_free(ct.c);
	close(sv[0]);
	assert_int_equal(count_fds(), before);
}

static char wlog_line[512];
static void keep_log(enum privsep_log_level l, const char *line, void *arg)
{
	(void)l;
	(void)arg;
	snprintf(wlog_line, sizeof(wlog_line), "%s", line);
}

/* At the worker, a record that is neither a REPLY nor an event it has a
 * handler for: wrong-direction for a type section 6 defines or a request
 * row of the table, unknown-type for a reserved number or a type nobody
 * defines. */
static void worker_tells_a_defined_type_from_a_reserved_one(void **state)
{
	static const struct {
		uint32_t type;
		const char *want;
	} tcases[] = {
	    {PRIVSEP_T_PING, "wrong-direction"},
	    {PRIVSEP_T_PERMIT_DROP, "wrong-direction"},
	    {PRIVSEP_T_SANDBOX_FAILED, "wrong-direction"},
	    {PRIVSEP_T_SECCOMP_TRAP, "wrong-direction"},
	    {PRIVSEP_T_READY, "wrong-direction"},
	    {PRIVSEP_T_SECCOMP_LISTENER, "wrong-direction"},
	    {PRIVSEP_T_FS_OPEN, "wrong-direction"},
	    {PRIVSEP_T_FS_ACCESS, "wrong-direction"},
	    {T_ECHO_STR, "wrong-direction"}, /* a request row of the table */
	    {PRIVSEP_T_BATCH, "wrong-direction"},
	    {PRIVSEP_T_REGION_PART, "wrong-direction"},
	    {0x000a, "unknown-type"}, /* reserved, unused */
	    {0x00ff, "unknown-type"},
	    {0x0104, "unknown-type"},
	    {0xffff, "unknown-type"},
	    {0x1ffff, "unknown-type"}, /* not in the table */
	};
	(void)state;
	for (size_t i = 0; i < sizeof(tcases) / sizeof(tcases[0]); i++) {
		struct privsep_client_config cfg = {
		    .msg_max = MSG_MAX, .log = keep_log, .table = testapp_table, .n = testapp_n};
		char want[96];
		uint8_t rec[32];
		int sv[2];
		struct privsep_client *c;
		assert_int_equal(chan_pair(sv), 0);
		c = privsep_client_new(sv[1], &cfg);
		assert_non_null(c);
		wlog_line[0] = '\0';
		assert_int_equal(
		    raw_send(sv[0], rec, rec_make(rec, tcases[i].type, 0, NULL, 0, 0), NULL, 0), 0);
		assert_int_equal(privsep_client_dispatch(c, 3000), -1);
		assert_int_equal(errno, EPROTO);
		snprintf(want, sizeof(want), "helper broke the protocol: %s (type 0x%x ",
		         tcases[i].want, tcases[i].type);
		print_message("type 0x%05x -> %s\n", tcases[i].type, tcases[i].want);
		assert_non_null(strstr(wlog_line, want));
		privsep_client_free(c);
		close(sv[0]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(malformed_table),
	    cmocka_unit_test(malformed_replies_table),
	    cmocka_unit_test(duplicate_reply_is_unknown_id),
	    cmocka_unit_test(worker_tells_a_defined_type_from_a_reserved_one),
	};
	return cmocka_run_group_tests_name("malformed", tests, setup, teardown);
}
