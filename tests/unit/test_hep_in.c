/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The HEP collector's packet path (src/hep/hep_in.c): ct_hep_in_packet on
 * byte vectors, table-driven (valid IPv4/IPv6, UDP/TCP, and every way a
 * packet can be wrong: magic, lengths, chunks, mandatory chunks missing,
 * auth key, payload type), each with the counter it must move; the frame
 * it rebuilds is decoded back by the engine's own decoders.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "calltap/decode.h"
#include "calltap/err.h"
#include "calltap/hep.h"
#include "test.h"

#define SIP "OPTIONS sip:a@b SIP/2.0\r\nCall-ID: c1\r\nContent-Length: 0\r\n\r\n"

/* What a row builds: a packet from these parts (0 / NULL / false: as a valid one). */
struct spec {
	const char *name;
	int v6;                     /* IPv6 addresses and family 10 */
	int tcp;                    /* IP protocol 6 */
	const char *magic;          /* NULL: "HEP3" */
	int total_delta;            /* added to the header's total length */
	int no_family, no_src, no_dst, no_sport, no_dport, no_payload, no_ts;
	int family;                 /* != 0: this family byte instead */
	int proto_type;             /* 0: SIP (1) */
	const char *key;            /* NULL: no auth key chunk */
	int bad_chunk;              /* 1: chunk length 5; 2: 0xffff; 3: cut in its header;
	                               4: an IPv4 address of 3 bytes; 5: a vendor chunk
	                               (skipped) */
	size_t cut;                 /* > 0: the buffer handed in is this much shorter */
	/* expected */
	int rc;                     /* ct_hep_in_packet's return */
	const char *counter;        /* the one that moves: sip, malformed, auth, other */
};

static size_t put_chunk(uint8_t *p, unsigned vendor, unsigned type, const void *v, size_t n)
{
	p[0] = (uint8_t)(vendor >> 8); p[1] = (uint8_t)vendor;
	p[2] = (uint8_t)(type >> 8); p[3] = (uint8_t)type;
	p[4] = (uint8_t)((n + 6) >> 8); p[5] = (uint8_t)(n + 6);
	memcpy(p + 6, v, n);
	return n + 6;
}

static const uint8_t src4[4] = { 192, 0, 2, 1 }, dst4[4] = { 192, 0, 2, 2 };
static const uint8_t src6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };

static size_t build(const struct spec *s, uint8_t *out)
{
	size_t n = 6, total;
	uint8_t b1;
	uint8_t port_s[2] = { 0x13, 0xc4 }, port_d[2] = { 0x13, 0xc5 };   /* 5060, 5061 */
	uint8_t sec[4] = { 0x65, 0x53, 0xf1, 0x00 }, usec[4] = { 0, 0x01, 0xe2, 0x40 };

	if (!s->no_family) {
		b1 = (uint8_t)(s->family != 0 ? s->family : s->v6 ? 10 : 2);
		n += put_chunk(out + n, 0, 1, &b1, 1);
	}
	b1 = s->tcp ? 6 : 17;
	n += put_chunk(out + n, 0, 2, &b1, 1);
	if (s->bad_chunk == 4)
		n += put_chunk(out + n, 0, 3, src4, 3);
	else if (!s->no_src)
		n += put_chunk(out + n, 0, s->v6 ? 5 : 3, s->v6 ? src6 : src4, s->v6 ? 16 : 4);
	if (!s->no_dst)
		n += put_chunk(out + n, 0, s->v6 ? 6 : 4, s->v6 ? dst6 : dst4, s->v6 ? 16 : 4);
	if (!s->no_sport)
		n += put_chunk(out + n, 0, 7, port_s, 2);
	if (!s->no_dport)
		n += put_chunk(out + n, 0, 8, port_d, 2);
	if (!s->no_ts) {
		n += put_chunk(out + n, 0, 9, sec, 4);
		n += put_chunk(out + n, 0, 10, usec, 4);
	}
	b1 = (uint8_t)(s->proto_type != 0 ? s->proto_type : 1);
	n += put_chunk(out + n, 0, 11, &b1, 1);
	if (s->key != NULL)
		n += put_chunk(out + n, 0, 14, s->key, strlen(s->key));
	if (s->bad_chunk == 5)
		n += put_chunk(out + n, 0x0021, 15, "vendor", 6);
	if (s->bad_chunk == 1 || s->bad_chunk == 2) {
		n += put_chunk(out + n, 0, 0x20, "xx", 2);
		out[n - 4] = s->bad_chunk == 1 ? 0 : 0xff;
		out[n - 3] = s->bad_chunk == 1 ? 5 : 0xff;
	}
	if (!s->no_payload)
		n += put_chunk(out + n, 0, 15, SIP, strlen(SIP));
	if (s->bad_chunk == 3) {          /* 4 bytes of a chunk header at the end */
		memcpy(out + n, "\0\0\0\x0f", 4);
		n += 4;
	}
	memcpy(out, s->magic != NULL ? s->magic : "HEP3", 4);
	total = n + (size_t)s->total_delta;
	out[4] = (uint8_t)(total >> 8);
	out[5] = (uint8_t)total;
	return n - s->cut;
}

static const struct spec rows[] = {
	{ .name = "IPv4 UDP", .rc = 1, .counter = "sip" },
	{ .name = "IPv4 TCP", .tcp = 1, .rc = 1, .counter = "sip" },
	{ .name = "IPv6 UDP", .v6 = 1, .rc = 1, .counter = "sip" },
	{ .name = "IPv6 TCP", .v6 = 1, .tcp = 1, .rc = 1, .counter = "sip" },
	{ .name = "a vendor chunk skipped", .bad_chunk = 5, .rc = 1, .counter = "sip" },
	{ .name = "no time chunks: arrival time", .no_ts = 1, .rc = 1, .counter = "sip" },
	{ .name = "wrong magic", .magic = "HEP2", .rc = 0, .counter = "malformed" },
	{ .name = "not HEP at all", .magic = "INVI", .rc = 0, .counter = "malformed" },
	{ .name = "total length past the end", .total_delta = 10, .rc = 0, .counter = "malformed" },
	{ .name = "total length short of the end", .total_delta = -3, .rc = 0, .counter = "malformed" },
	{ .name = "truncated in the payload chunk", .cut = 5, .total_delta = -5, .rc = 0,
	  .counter = "malformed" },
	{ .name = "truncated (total length kept)", .cut = 1, .rc = 0, .counter = "malformed" },
	{ .name = "chunk length under its header", .bad_chunk = 1, .rc = 0, .counter = "malformed" },
	{ .name = "huge chunk length", .bad_chunk = 2, .rc = 0, .counter = "malformed" },
	{ .name = "a chunk header cut", .bad_chunk = 3, .rc = 0, .counter = "malformed" },
	{ .name = "IPv4 address of 3 bytes", .bad_chunk = 4, .rc = 0, .counter = "malformed" },
	{ .name = "no family", .no_family = 1, .rc = 0, .counter = "malformed" },
	{ .name = "family 10, IPv4 addresses", .family = 10, .rc = 0, .counter = "malformed" },
	{ .name = "no source address", .no_src = 1, .rc = 0, .counter = "malformed" },
	{ .name = "no destination address", .no_dst = 1, .rc = 0, .counter = "malformed" },
	{ .name = "no source port", .no_sport = 1, .rc = 0, .counter = "malformed" },
	{ .name = "no destination port", .no_dport = 1, .rc = 0, .counter = "malformed" },
	{ .name = "no payload", .no_payload = 1, .rc = 0, .counter = "malformed" },
	{ .name = "RTCP payload type", .proto_type = 5, .rc = 0, .counter = "other" },
	{ .name = "log payload type", .proto_type = 100, .rc = 0, .counter = "other" },
};

/* The counter a row names, from st. */
static uint64_t pick(const struct ct_hep_in_stats *st, const char *name)
{
	if (strcmp(name, "sip") == 0)
		return st->sip;
	if (strcmp(name, "malformed") == 0)
		return st->malformed;
	if (strcmp(name, "auth") == 0)
		return st->auth_failed;
	return st->other;
}

/* The rebuilt frame, decoded by the engine's decoders: the HEP tuple, transport, payload, time. */
static void check_frame(const struct spec *s, const struct ct_frame *f)
{
	struct ct_decode_ctx ctx;
	struct ct_packet pkt;

	ct_decode_ctx_init(&ctx);
	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = f->ts_us;
	pkt.linktype = f->linktype;
	pkt.data = f->data;
	pkt.caplen = f->caplen;
	pkt.wirelen = f->wirelen;
	CHECK_INT(ct_decode_frame(&ctx, &pkt), CT_DEC_OK);
	CHECK_INT(pkt.t.src.family, s->v6 ? 6 : 4);
	CHECK(memcmp(pkt.t.src.a, s->v6 ? src6 : src4, s->v6 ? 16 : 4) == 0);
	CHECK(memcmp(pkt.t.dst.a, s->v6 ? dst6 : dst4, s->v6 ? 16 : 4) == 0);
	CHECK_INT(pkt.t.sport, 5060);
	CHECK_INT(pkt.t.dport, 5061);
	CHECK_INT(pkt.t.proto, s->tcp ? 6 : 17);
	if (s->tcp)   /* one whole message: FIN, PSH, ACK */
		CHECK_INT(pkt.tcp_flags, CT_TCP_FIN | CT_TCP_PSH | CT_TCP_ACK);
	CHECK(pkt.payload_len == strlen(SIP) && memcmp(pkt.payload, SIP, strlen(SIP)) == 0);
	CHECK_INT(pkt.events, 0);
	/* 1700000000.123456, or the arrival time handed in */
	CHECK_INT(f->ts_us, s->no_ts ? INT64_C(1800000000000000) : INT64_C(1700000000123456));
}

static void test_table(void)
{
	struct ct_hep_in_cfg cfg;
	size_t i;

	memset(&cfg, 0, sizeof(cfg));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct spec *s = &rows[i];
		struct ct_hep_in *h = ct_hep_in_new_detached(&cfg);
		struct ct_hep_in_stats st;
		struct ct_frame f;
		uint8_t buf[1024];
		size_t n = build(s, buf);
		int rc;

		if (h == NULL) {
			CHECK(h != NULL);
			return;
		}
		memset(&f, 0, sizeof(f));
		rc = ct_hep_in_packet(h, buf, n, INT64_C(1800000000000000), &f);
		ct_hep_in_counts(h, &st);
		if (rc != s->rc || pick(&st, s->counter) != 1 || st.packets != 1 ||
		    st.sip + st.malformed + st.other + st.auth_failed != 1)
			fprintf(stderr, "row '%s': rc %d, sip %llu malformed %llu other %llu\n", s->name,
			    rc, (unsigned long long)st.sip, (unsigned long long)st.malformed,
			    (unsigned long long)st.other);
		CHECK_INT(rc, s->rc);
		CHECK_INT(pick(&st, s->counter), 1);
		CHECK_INT(st.sip + st.malformed + st.other + st.auth_failed, 1);
		if (rc == 1)
			check_frame(s, &f);
		ct_hep_in_free(h);
	}
}

/* --hep-password: the key must be there and equal; any key passes without one. */
static void test_auth(void)
{
	static const struct {
		const char *password, *key;
		int rc;
	} cases[] = {
		{ "s3cret", "s3cret", 1 },
		{ "s3cret", NULL, 0 },
		{ "s3cret", "s3cre", 0 },
		{ "s3cret", "s3cretX", 0 },
		{ "s3cret", "S3cret", 0 },
		{ "s3cret", "", 0 },
		{ NULL, "anything", 1 },
		{ NULL, NULL, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct spec s = { .name = "auth", .key = cases[i].key };
		struct ct_hep_in_cfg cfg;
		struct ct_hep_in *h;
		struct ct_hep_in_stats st;
		struct ct_frame f;
		uint8_t buf[1024];
		size_t n = build(&s, buf);

		memset(&cfg, 0, sizeof(cfg));
		cfg.password = cases[i].password;
		if ((h = ct_hep_in_new_detached(&cfg)) == NULL) {
			CHECK(h != NULL);
			return;
		}
		CHECK_INT(ct_hep_in_packet(h, buf, n, 0, &f), cases[i].rc);
		ct_hep_in_counts(h, &st);
		CHECK_INT(st.auth_failed, cases[i].rc == 0);
		CHECK_INT(st.sip, cases[i].rc == 1);
		ct_hep_in_free(h);
	}
}

/* ct_hep_in_frame's bounds: a buffer too small, a message over IPv4's 65535 bytes. */
static void test_frame_bounds(void)
{
	static uint8_t big[CT_HEP_MAX], out[CT_HEP_FRAME_MAX];
	struct ct_hep_msg m;
	struct ct_frame f;

	memset(&m, 0, sizeof(m));
	m.t.src.family = m.t.dst.family = 4;
	m.t.proto = 17;
	m.payload = big;
	m.payload_len = 65535 - 28;
	CHECK_INT(ct_hep_in_frame(&m, out, sizeof(out), &f), CT_OK);
	CHECK_INT(f.caplen, 65535);
	CHECK_INT(ct_hep_in_frame(&m, out, 100, &f), CT_ERR);
	m.payload_len++;                        /* IPv4 total length would overflow */
	CHECK_INT(ct_hep_in_frame(&m, out, sizeof(out), &f), CT_ERR);
	m.t.src.family = m.t.dst.family = 6;    /* IPv6: the header is not counted */
	CHECK_INT(ct_hep_in_frame(&m, out, sizeof(out), &f), CT_OK);
	m.t.dst.family = 4;                     /* mixed families */
	CHECK_INT(ct_hep_in_frame(&m, out, sizeof(out), &f), CT_ERR);
}

/*
 * Attack: one SIP message stamped in 2106 moved the engine's capture clock
 * past every open call's timeout (each call then ended "no BYE seen",
 * and its real BYE came "back in time").  A capture time more than a
 * minute after the arrival is replaced by the arrival (counted); one
 * within the minute, or in the past (a replayed capture), is kept.
 */
static void test_ts_ahead(void)
{
	static const struct {
		int64_t ts_us;          /* the packet's capture time */
		int64_t want_us;        /* the frame's */
		uint64_t ahead;         /* ts_ahead after it */
	} cases[] = {
		{ INT64_C(1700000000000000), INT64_C(1700000000000000), 0 },   /* the past */
		{ INT64_C(1800000059000000), INT64_C(1800000059000000), 0 },   /* 59 s ahead */
		{ INT64_C(1800000061000000), INT64_C(1800000000000000), 1 },   /* 61 s ahead */
		{ INT64_C(4294967295000000), INT64_C(1800000000000000), 2 },   /* 2106 */
	};
	const int64_t now = INT64_C(1800000000000000);
	struct ct_hep_in_cfg cfg;
	struct ct_hep_in *h;
	struct ct_hep_in_stats st;
	struct ct_hep_msg m;
	struct ct_frame f;
	uint8_t buf[512];
	size_t i, n;

	memset(&cfg, 0, sizeof(cfg));
	if ((h = ct_hep_in_new_detached(&cfg)) == NULL) {
		CHECK(0);
		return;
	}
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.t.src.family = m.t.dst.family = 4;
		memcpy(m.t.src.a, src4, 4);
		memcpy(m.t.dst.a, dst4, 4);
		m.t.sport = 5060;
		m.t.dport = 5061;
		m.t.proto = 17;
		m.ts_us = cases[i].ts_us;
		m.proto_type = CT_HEP_PROTO_SIP;
		m.payload = (const uint8_t *)SIP;
		m.payload_len = strlen(SIP);
		n = ct_hep_encode(&m, buf, sizeof(buf));
		CHECK(n > 0);
		CHECK_INT(ct_hep_in_packet(h, buf, n, now, &f), 1);
		CHECK_INT(f.ts_us, cases[i].want_us);
		ct_hep_in_counts(h, &st);
		CHECK_INT(st.ts_ahead, cases[i].ahead);
	}
	ct_hep_in_free(h);
}

int main(void)
{
	test_table();
	test_auth();
	test_frame_bounds();
	test_ts_ahead();
	return TEST_REPORT();
}
