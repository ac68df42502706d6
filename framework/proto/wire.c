/* SPDX-License-Identifier: ISC */
/*
 * wire.c - the record header and the payload codec.  Pure: no I/O, no
 * allocation.  docs/PROTOCOL.md is the normative description.
 */
#include <errno.h>
#include <string.h>

#include "privsep.h"
#include "proto.h"
#include "wire.h"

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void wire_put_hdr(uint8_t *out, const struct wire_hdr *hdr)
{
	le16(out + WIRE_OFF_MAGIC, hdr->magic);
	out[WIRE_OFF_VERSION] = hdr->version;
	out[WIRE_OFF_NFDS] = hdr->nfds;
	le32(out + WIRE_OFF_TYPE, hdr->type);
	le32(out + WIRE_OFF_ID, hdr->id);
	le32(out + WIRE_OFF_LEN, hdr->len);
}

enum privsep_violation wire_check(const uint8_t *rec, size_t reclen, size_t nfds_received,
                                  size_t msg_max, struct wire_hdr *hdr)
{
	if (reclen < PRIVSEP_HDR_LEN)
		return PRIVSEP_V_SHORT_HEADER;
	hdr->magic = rd16(rec + WIRE_OFF_MAGIC);
	hdr->version = rec[WIRE_OFF_VERSION];
	hdr->nfds = rec[WIRE_OFF_NFDS];
	hdr->type = rd32(rec + WIRE_OFF_TYPE);
	hdr->id = rd32(rec + WIRE_OFF_ID);
	hdr->len = rd32(rec + WIRE_OFF_LEN);
	if (hdr->magic != PRIVSEP_WIRE_MAGIC)
		return PRIVSEP_V_BAD_MAGIC;
	if (hdr->version != PRIVSEP_WIRE_VERSION)
		return PRIVSEP_V_BAD_VERSION;
	if (reclen > msg_max || (size_t)hdr->len > msg_max - PRIVSEP_HDR_LEN)
		return PRIVSEP_V_OVERSIZE;
	if ((size_t)hdr->len != reclen - PRIVSEP_HDR_LEN)
		return PRIVSEP_V_LEN_MISMATCH;
	if (hdr->nfds > PRIVSEP_MAX_FDS)
		return PRIVSEP_V_NFDS_LIMIT;
	if (hdr->type == 0)
		return PRIVSEP_V_TYPE_ZERO;
	if (hdr->nfds != nfds_received)
		return PRIVSEP_V_NFDS_MISMATCH;
	return PRIVSEP_V_NONE;
}

enum privsep_violation wire_check_fdlimit(enum privsep_violation v, size_t installed,
                                          const struct wire_hdr *hdr)
{
	if (v == PRIVSEP_V_NFDS_MISMATCH && installed < hdr->nfds)
		return PRIVSEP_V_NONE;
	if (v == PRIVSEP_V_NONE)
		return PRIVSEP_V_NFDS_MISMATCH; /* fds arrived, nfds said none */
	return v;
}

/* ---- writer ---- */

void privsep_writer_init(struct privsep_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->cap = cap;
	w->len = 0;
	w->err = 0;
}

/* Reserve n bytes, n > 0 (a writer over no buffer has no address for
 * none); NULL (and the sticky error) when they do not fit. */
static uint8_t *wr_reserve(struct privsep_writer *w, size_t n)
{
	if (w->err)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = EMSGSIZE;
		return NULL;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static int wr_fail(struct privsep_writer *w)
{
	errno = w->err;
	return -1;
}

int privsep_writer_put_u8(struct privsep_writer *w, uint8_t v)
{
	uint8_t *p = wr_reserve(w, 1);
	if (!p)
		return wr_fail(w);
	*p = v;
	return 0;
}

int privsep_writer_put_u16(struct privsep_writer *w, uint16_t v)
{
	uint8_t *p = wr_reserve(w, 2);
	if (!p)
		return wr_fail(w);
	le16(p, v);
	return 0;
}

int privsep_writer_put_u32(struct privsep_writer *w, uint32_t v)
{
	uint8_t *p = wr_reserve(w, 4);
	if (!p)
		return wr_fail(w);
	le32(p, v);
	return 0;
}

int privsep_writer_put_u64(struct privsep_writer *w, uint64_t v)
{
	uint8_t *p = wr_reserve(w, 8);
	if (!p)
		return wr_fail(w);
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
	return 0;
}

int privsep_writer_put_raw(struct privsep_writer *w, const void *src, size_t n)
{
	uint8_t *p;
	if (!n) /* nothing to put: it fits, unless a put failed before */
		return w->err ? wr_fail(w) : 0;
	p = wr_reserve(w, n);
	if (!p)
		return wr_fail(w);
	memcpy(p, src, n);
	return 0;
}

int privsep_writer_put_bytes(struct privsep_writer *w, const void *src, size_t n)
{
	if (!w->err && (n > UINT32_MAX || n > w->cap - w->len || 4 > w->cap - w->len - n))
		w->err = EMSGSIZE;
	if (privsep_writer_put_u32(w, (uint32_t)n) < 0)
		return -1;
	return privsep_writer_put_raw(w, src, n);
}

int privsep_writer_put_str(struct privsep_writer *w, const char *s)
{
	if (!s) {
		if (!w->err)
			w->err = EINVAL;
		return wr_fail(w);
	}
	return privsep_writer_put_bytes(w, s, strlen(s) + 1);
}

/* ---- reader ---- */

void privsep_reader_init(struct privsep_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->off = 0;
	r->err = 0;
}

static const uint8_t *rd_take(struct privsep_reader *r, size_t n)
{
	if (r->err)
		return NULL;
	if (n > r->len - r->off) {
		r->err = EBADMSG;
		return NULL;
	}
	const uint8_t *p = r->buf + r->off;
	r->off += n;
	return p;
}

static int rd_fail(struct privsep_reader *r)
{
	errno = r->err;
	return -1;
}

int privsep_reader_get_u8(struct privsep_reader *r, uint8_t *v)
{
	const uint8_t *p = rd_take(r, 1);
	if (!p)
		return rd_fail(r);
	*v = *p;
	return 0;
}

int privsep_reader_get_u16(struct privsep_reader *r, uint16_t *v)
{
	const uint8_t *p = rd_take(r, 2);
	if (!p)
		return rd_fail(r);
	*v = rd16(p);
	return 0;
}

int privsep_reader_get_u32(struct privsep_reader *r, uint32_t *v)
{
	const uint8_t *p = rd_take(r, 4);
	if (!p)
		return rd_fail(r);
	*v = rd32(p);
	return 0;
}

int privsep_reader_get_u64(struct privsep_reader *r, uint64_t *v)
{
	const uint8_t *p = rd_take(r, 8);
	if (!p)
		return rd_fail(r);
	*v = (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
	return 0;
}

int privsep_reader_get_bytes(struct privsep_reader *r, const void **out, size_t *n)
{
	uint32_t len;
	if (privsep_reader_get_u32(r, &len) < 0)
		return -1;
	const uint8_t *p = rd_take(r, len);
	if (!p)
		return rd_fail(r);
	*out = p;
	*n = len;
	return 0;
}

int privsep_reader_get_str(struct privsep_reader *r, const char **s, size_t *n)
{
	const void *p;
	size_t len;
	if (privsep_reader_get_bytes(r, &p, &len) < 0)
		return -1;
	if (len == 0) {
		r->err = EINVAL;
		return rd_fail(r);
	}
	const char *c = p;
	if (c[len - 1] != '\0' || memchr(c, '\0', len - 1) != NULL) {
		r->err = EILSEQ;
		return rd_fail(r);
	}
	*s = c;
	if (n)
		*n = len - 1;
	return 0;
}

int privsep_reader_get_rest(struct privsep_reader *r, const void **p, size_t *n)
{
	if (r->err)
		return rd_fail(r);
	*p = r->buf + r->off;
	*n = r->len - r->off;
	r->off = r->len;
	return 0;
}

int privsep_reader_end(struct privsep_reader *r)
{
	if (!r->err && r->off != r->len)
		r->err = EBADMSG;
	return r->err ? rd_fail(r) : 0;
}
