/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HEP v3 encoder and decoder (hep.h): pure functions over buffers. */
#include "config.h"

#include <string.h>

#include "calltap/err.h"
#include "calltap/hep.h"

#define HEP_HDR 6u     /* "HEP3" + total length */
#define CHUNK_HDR 6u   /* vendor + type + length */

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get16(const uint8_t *p)
{
	return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A writer that stops at its bound; ok turns false on the first chunk that does not fit. */
struct hep_w {
	uint8_t *out;
	size_t cap;
	size_t len;
	bool ok;
};

static void chunk(struct hep_w *w, uint32_t type, const void *v, size_t n)
{
	if (!w->ok || n > CT_HEP_MAX - CHUNK_HDR || w->cap - w->len < CHUNK_HDR + n) {
		w->ok = false;
		return;
	}
	put16(w->out + w->len, 0);
	put16(w->out + w->len + 2, type);
	put16(w->out + w->len + 4, (uint32_t)(CHUNK_HDR + n));
	if (n > 0)
		memcpy(w->out + w->len + CHUNK_HDR, v, n);
	w->len += CHUNK_HDR + n;
}

static void chunk8(struct hep_w *w, uint32_t type, uint8_t v)
{
	chunk(w, type, &v, 1);
}

static void chunk16(struct hep_w *w, uint32_t type, uint32_t v)
{
	uint8_t b[2];

	put16(b, v);
	chunk(w, type, b, 2);
}

static void chunk32(struct hep_w *w, uint32_t type, uint32_t v)
{
	uint8_t b[4];

	put32(b, v);
	chunk(w, type, b, 4);
}

size_t ct_hep_encode(const struct ct_hep_msg *m, uint8_t *out, size_t cap)
{
	struct hep_w w = { out, cap < CT_HEP_MAX ? cap : CT_HEP_MAX, HEP_HDR, true };
	int64_t ts = m->ts_us < 0 ? 0 : m->ts_us;
	bool v6 = m->t.src.family == 6;

	if (w.cap < HEP_HDR || (m->t.src.family != 4 && !v6))
		return 0;
	chunk8(&w, CT_HEP_IP_FAMILY, v6 ? 10 : 2);
	chunk8(&w, CT_HEP_IP_PROTO, m->t.proto);
	chunk(&w, v6 ? CT_HEP_IPV6_SRC : CT_HEP_IPV4_SRC, m->t.src.a, v6 ? 16 : 4);
	chunk(&w, v6 ? CT_HEP_IPV6_DST : CT_HEP_IPV4_DST, m->t.dst.a, v6 ? 16 : 4);
	chunk16(&w, CT_HEP_SRC_PORT, m->t.sport);
	chunk16(&w, CT_HEP_DST_PORT, m->t.dport);
	chunk32(&w, CT_HEP_TS_SEC, (uint32_t)(ts / 1000000));
	chunk32(&w, CT_HEP_TS_USEC, (uint32_t)(ts % 1000000));
	chunk8(&w, CT_HEP_PROTO_TYPE, m->proto_type);
	chunk32(&w, CT_HEP_CAPTURE_ID, m->capture_id);
	if (m->auth_key != NULL)
		chunk(&w, CT_HEP_AUTH_KEY, m->auth_key, m->auth_key_len);
	if (m->correlation != NULL)
		chunk(&w, CT_HEP_CORRELATION, m->correlation, m->correlation_len);
	chunk(&w, CT_HEP_PAYLOAD, m->payload, m->payload_len);
	if (!w.ok)
		return 0;
	memcpy(out, "HEP3", 4);
	put16(out + 4, (uint32_t)w.len);
	return w.len;
}

long ct_hep_frame_len(const uint8_t *buf, size_t len)
{
	uint32_t total;

	if (len < HEP_HDR)
		return memcmp(buf, "HEP3", len < 4 ? len : 4) == 0 ? 0 : -1;
	if (memcmp(buf, "HEP3", 4) != 0)
		return -1;
	total = get16(buf + 4);
	return total < HEP_HDR ? -1 : (long)total;
}

int ct_hep_decode(const uint8_t *buf, size_t len, struct ct_hep_msg *m)
{
	size_t off = HEP_HDR;
	unsigned seen = 0;   /* bit per chunk type below 32 */
	uint32_t sec = 0, usec = 0;
	uint8_t family = 0;

	memset(m, 0, sizeof(*m));
	if (len < HEP_HDR || ct_hep_frame_len(buf, len) != (long)len)
		return CT_ERR;
	while (off < len) {
		uint32_t vendor, type, clen;
		const uint8_t *v;
		size_t n;

		if (len - off < CHUNK_HDR)
			return CT_ERR;
		vendor = get16(buf + off);
		type = get16(buf + off + 2);
		clen = get16(buf + off + 4);
		if (clen < CHUNK_HDR || clen > len - off)
			return CT_ERR;
		v = buf + off + CHUNK_HDR;
		n = clen - CHUNK_HDR;
		off += clen;
		if (vendor != 0 || type >= 32)
			continue;
		switch (type) {
		case CT_HEP_IP_FAMILY: case CT_HEP_IP_PROTO: case CT_HEP_PROTO_TYPE:
			if (n != 1)
				return CT_ERR;
			if (type == CT_HEP_IP_FAMILY)
				family = v[0];
			else if (type == CT_HEP_IP_PROTO)
				m->t.proto = v[0];
			else
				m->proto_type = v[0];
			break;
		case CT_HEP_IPV4_SRC: case CT_HEP_IPV4_DST:
		case CT_HEP_IPV6_SRC: case CT_HEP_IPV6_DST: {
			bool v6 = type >= CT_HEP_IPV6_SRC;
			struct ct_addr *a = (type == CT_HEP_IPV4_SRC || type == CT_HEP_IPV6_SRC) ?
			    &m->t.src : &m->t.dst;

			if (n != (v6 ? 16u : 4u))
				return CT_ERR;
			memset(a, 0, sizeof(*a));
			a->family = v6 ? 6 : 4;
			memcpy(a->a, v, n);
			break;
		}
		case CT_HEP_SRC_PORT: case CT_HEP_DST_PORT:
			if (n != 2)
				return CT_ERR;
			if (type == CT_HEP_SRC_PORT)
				m->t.sport = (uint16_t)get16(v);
			else
				m->t.dport = (uint16_t)get16(v);
			break;
		case CT_HEP_TS_SEC: case CT_HEP_TS_USEC: case CT_HEP_CAPTURE_ID:
			if (n != 4)
				return CT_ERR;
			if (type == CT_HEP_TS_SEC) {
				sec = get32(v);
				m->ts_seen = true;
			} else if (type == CT_HEP_TS_USEC)
				usec = get32(v);
			else
				m->capture_id = get32(v);
			break;
		case CT_HEP_AUTH_KEY:
			m->auth_key = (const char *)v;
			m->auth_key_len = n;
			break;
		case CT_HEP_CORRELATION:
			m->correlation = (const char *)v;
			m->correlation_len = n;
			break;
		case CT_HEP_PAYLOAD:
			m->payload = v;
			m->payload_len = n;
			break;
		default:
			continue;
		}
		seen |= 1u << type;
	}
	if (usec >= 1000000)
		return CT_ERR;
	m->ts_us = (int64_t)sec * 1000000 + usec;
	/* Family, addresses of that family, both ports and the payload are required. */
	if (!(seen & (1u << CT_HEP_PAYLOAD)) || !(seen & (1u << CT_HEP_SRC_PORT)) ||
	    !(seen & (1u << CT_HEP_DST_PORT)) || (family != 2 && family != 10) ||
	    m->t.src.family != (family == 2 ? 4 : 6) || m->t.dst.family != m->t.src.family)
		return CT_ERR;
	return CT_OK;
}
