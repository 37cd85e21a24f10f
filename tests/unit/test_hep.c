/* SPDX-License-Identifier: GPL-3.0-or-later */
/* HEP v3 encoder and decoder (src/hep/hep.c): byte vectors and hostile packets. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/hep.h"
#include "test.h"

/* 10.0.0.1:5060 -> 10.0.0.2:5080 UDP, 2021-01-01 00:00:00.123456, id 2001, key "pw", Call-ID "c1", payload "SIP". */
static const uint8_t vec_v4[] = {
	'H', 'E', 'P', '3', 0x00, 0x76,
	0, 0, 0, 0x01, 0, 7, 2,                          /* family: AF_INET */
	0, 0, 0, 0x02, 0, 7, 17,                         /* protocol: UDP */
	0, 0, 0, 0x03, 0, 10, 10, 0, 0, 1,               /* IPv4 source */
	0, 0, 0, 0x04, 0, 10, 10, 0, 0, 2,               /* IPv4 destination */
	0, 0, 0, 0x07, 0, 8, 0x13, 0xc4,                 /* source port 5060 */
	0, 0, 0, 0x08, 0, 8, 0x13, 0xd8,                 /* destination port 5080 */
	0, 0, 0, 0x09, 0, 10, 0x5f, 0xee, 0x66, 0x00,    /* seconds 1609459200 */
	0, 0, 0, 0x0a, 0, 10, 0x00, 0x01, 0xe2, 0x40,    /* microseconds 123456 */
	0, 0, 0, 0x0b, 0, 7, 1,                          /* protocol type: SIP */
	0, 0, 0, 0x0c, 0, 10, 0x00, 0x00, 0x07, 0xd1,    /* capture id 2001 */
	0, 0, 0, 0x0e, 0, 8, 'p', 'w',                   /* auth key */
	0, 0, 0, 0x11, 0, 8, 'c', '1',                   /* correlation id */
	0, 0, 0, 0x0f, 0, 9, 'S', 'I', 'P',              /* payload */
};

static void fill_v4(struct ct_hep_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->t.src.family = 4;
	m->t.src.a[0] = 10; m->t.src.a[3] = 1;
	m->t.dst.family = 4;
	m->t.dst.a[0] = 10; m->t.dst.a[3] = 2;
	m->t.sport = 5060;
	m->t.dport = 5080;
	m->t.proto = 17;
	m->ts_us = INT64_C(1609459200123456);
	m->proto_type = CT_HEP_PROTO_SIP;
	m->capture_id = 2001;
	m->auth_key = "pw";
	m->auth_key_len = 2;
	m->correlation = "c1";
	m->correlation_len = 2;
	m->payload = (const uint8_t *)"SIP";
	m->payload_len = 3;
}

static void test_encode_v4(void)
{
	struct ct_hep_msg m, d;
	uint8_t out[256];
	size_t n;

	fill_v4(&m);
	n = ct_hep_encode(&m, out, sizeof(out));
	CHECK_INT(n, sizeof(vec_v4));
	CHECK(n == sizeof(vec_v4) && memcmp(out, vec_v4, n) == 0);
	/* Too small a buffer: nothing, never a partial packet. */
	CHECK_INT(ct_hep_encode(&m, out, sizeof(vec_v4) - 1), 0);
	CHECK_INT(ct_hep_encode(&m, out, 3), 0);
	/* The decoder reads back every field. */
	CHECK_INT(ct_hep_decode(vec_v4, sizeof(vec_v4), &d), CT_OK);
	CHECK_INT(d.t.src.family, 4);
	CHECK(memcmp(d.t.src.a, m.t.src.a, 16) == 0 && memcmp(d.t.dst.a, m.t.dst.a, 16) == 0);
	CHECK_INT(d.t.sport, 5060);
	CHECK_INT(d.t.dport, 5080);
	CHECK_INT(d.t.proto, 17);
	CHECK_INT(d.ts_us, INT64_C(1609459200123456));
	CHECK_INT(d.proto_type, 1);
	CHECK_INT(d.capture_id, 2001);
	CHECK(d.auth_key_len == 2 && memcmp(d.auth_key, "pw", 2) == 0);
	CHECK(d.correlation_len == 2 && memcmp(d.correlation, "c1", 2) == 0);
	CHECK(d.payload_len == 3 && memcmp(d.payload, "SIP", 3) == 0);
	/* Without key and correlation id: those chunks are left out. */
	m.auth_key = NULL;
	m.correlation = NULL;
	CHECK_INT(ct_hep_encode(&m, out, sizeof(out)), sizeof(vec_v4) - 16);
	CHECK_INT(out[4] << 8 | out[5], sizeof(vec_v4) - 16);
	CHECK_INT(ct_hep_decode(out, sizeof(vec_v4) - 16, &d), CT_OK);
	CHECK(d.auth_key == NULL && d.correlation == NULL);
}

static void test_encode_v6(void)
{
	static const uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	static const uint8_t dst[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	struct ct_hep_msg m, d;
	uint8_t out[256];
	size_t n;

	fill_v4(&m);
	m.t.src.family = m.t.dst.family = 6;
	memcpy(m.t.src.a, src, 16);
	memcpy(m.t.dst.a, dst, 16);
	m.t.proto = 6;
	n = ct_hep_encode(&m, out, sizeof(out));
	CHECK_INT(n, sizeof(vec_v4) + 24);
	/* family 10, protocol 6, then the 16-byte addresses in chunks 5 and 6 */
	CHECK_INT(out[12], 10);
	CHECK_INT(out[19], 6);
	CHECK(out[23] == 0x05 && out[25] == 22 && memcmp(out + 26, src, 16) == 0);
	CHECK(out[45] == 0x06 && out[47] == 22 && memcmp(out + 48, dst, 16) == 0);
	CHECK_INT(ct_hep_decode(out, n, &d), CT_OK);
	CHECK_INT(d.t.src.family, 6);
	CHECK(memcmp(d.t.src.a, src, 16) == 0 && memcmp(d.t.dst.a, dst, 16) == 0);
	CHECK_INT(d.t.proto, 6);
	/* No address family: not encodable. */
	m.t.src.family = 0;
	CHECK_INT(ct_hep_encode(&m, out, sizeof(out)), 0);
}

static void test_too_big(void)
{
	static uint8_t big[CT_HEP_MAX], out[CT_HEP_MAX];
	struct ct_hep_msg m;

	fill_v4(&m);
	m.payload = big;
	m.payload_len = CT_HEP_MAX - 6;   /* the chunk fits 16 bits, the packet does not */
	CHECK_INT(ct_hep_encode(&m, out, sizeof(out)), 0);
	m.payload_len = CT_HEP_MAX - (sizeof(vec_v4) - 3);   /* exactly 65535 bytes */
	CHECK_INT(ct_hep_encode(&m, out, sizeof(out)), CT_HEP_MAX);
}

static void test_frame_len(void)
{
	CHECK_INT(ct_hep_frame_len(vec_v4, 0), 0);
	CHECK_INT(ct_hep_frame_len(vec_v4, 3), 0);
	CHECK_INT(ct_hep_frame_len(vec_v4, 5), 0);
	CHECK_INT(ct_hep_frame_len(vec_v4, 6), sizeof(vec_v4));
	CHECK_INT(ct_hep_frame_len((const uint8_t *)"HEP2\0\x10", 6), -1);
	CHECK_INT(ct_hep_frame_len((const uint8_t *)"X", 1), -1);
	CHECK_INT(ct_hep_frame_len((const uint8_t *)"HEP3\0\x05", 6), -1);
}

/* Malformed packets: each is refused, none read past its end. */
static void test_decode_hostile(void)
{
	uint8_t b[sizeof(vec_v4) + 8];
	struct ct_hep_msg d;
	size_t i;

	/* Every truncation (the total length no longer matches). */
	for (i = 0; i < sizeof(vec_v4); i++)
		CHECK_INT(ct_hep_decode(vec_v4, i, &d), CT_ERR);
	/* A chunk length past the end. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[sizeof(vec_v4) - 4] = 0x40;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* A chunk length under its own header. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[11] = 5;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* An IPv4 address chunk of 3 bytes. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[25] = 9;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* Microseconds over a second. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[72] = 0x10;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* Family says IPv6, addresses are IPv4. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[12] = 10;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* No payload chunk (its type changed to an unknown one): refused. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	b[sizeof(vec_v4) - 6] = 0x30;
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4), &d), CT_ERR);
	/* A vendor chunk is skipped, the rest decodes. */
	memcpy(b, vec_v4, sizeof(vec_v4));
	memcpy(b + sizeof(vec_v4), "\x00\x21\x00\x0f\x00\x08zz", 8);
	b[5] = (uint8_t)(sizeof(vec_v4) + 8);
	CHECK_INT(ct_hep_decode(b, sizeof(vec_v4) + 8, &d), CT_OK);
	CHECK(d.payload_len == 3 && memcmp(d.payload, "SIP", 3) == 0);
}

int main(void)
{
	test_encode_v4();
	test_encode_v6();
	test_too_big();
	test_frame_len();
	test_decode_hostile();
	return TEST_REPORT();
}
