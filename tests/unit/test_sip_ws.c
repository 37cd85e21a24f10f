/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/sip/ws.c, ct_sip_tcp_consume: SIP over WebSocket
 * (RFC 7118) after an HTTP upgrade, with byte vectors built here frame by
 * frame (RFC 6455 §5.2: FIN, opcode, MASK and key, 7/16/64-bit lengths).
 * Client (masked) and server (unmasked) directions, fragmented messages
 * with control frames between the fragments, ping/pong/close skipped,
 * messages over the bound and compressed frames counted and skipped, bad
 * frames and TCP gaps resynchronised on the next frame carrying SIP, a
 * stream whose upgrade was not captured, upgrades that are not for SIP,
 * plain SIP over TCP through the same consumer, and every stream cut into
 * segments of every size from 1 to 64 bytes giving the same messages.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/reasm.h"
#include "calltap/sip.h"
#include "test.h"

#define CAP (512u * 1024u)

static const char upgrade_req[] =
	"GET / HTTP/1.1\r\n"
	"Host: sip-ws.example.com\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
	"Origin: http://www.example.com\r\n"
	"Sec-WebSocket-Protocol: sip\r\n"
	"Sec-WebSocket-Version: 13\r\n"
	"\r\n";

static const char upgrade_resp[] =
	"HTTP/1.1 101 Switching Protocols\r\n"
	"Upgrade: websocket\r\n"
	"Connection: Upgrade\r\n"
	"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
	"Sec-WebSocket-Protocol: sip\r\n"
	"\r\n";

static const char invite[] =
	"INVITE sip:bob@example.com SIP/2.0\r\n"
	"Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"
	"From: sip:alice@example.com;tag=asdyka899\r\n"
	"To: sip:bob@example.com\r\n"
	"Call-ID: asidkj3ss\r\n"
	"CSeq: 1 INVITE\r\n"
	"Max-Forwards: 70\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char ok200[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK56sdasks\r\n"
	"From: sip:alice@example.com;tag=asdyka899\r\n"
	"To: sip:bob@example.com;tag=bmqkjhsd\r\n"
	"Call-ID: asidkj3ss\r\n"
	"CSeq: 1 INVITE\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

/* ---- byte vectors ------------------------------------------------------ */

struct bytes {
	uint8_t *p;
	size_t n;
};

static void b_init(struct bytes *b)
{
	b->p = malloc(CAP);
	b->n = 0;
	if (b->p == NULL)
		abort();
}

static void b_put(struct bytes *b, const void *p, size_t n)
{
	if (b->n + n > CAP)
		abort();
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

static void b_str(struct bytes *b, const char *s)
{
	b_put(b, s, strlen(s));
}

/*
 * Appends one frame: fin, opcode, payload p[0..n), masked with key when
 * masked; lenform 0 = shortest length, 16 or 64 = that length field.
 */
static void frame(struct bytes *b, bool fin, int opcode, const void *p, size_t n,
    bool masked, int lenform)
{
	static const uint8_t key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	uint8_t h[14];
	size_t hl = 2, i;

	h[0] = (uint8_t)((fin ? 0x80 : 0) | opcode);
	if (lenform == 0 && n < 126) {
		h[1] = (uint8_t)n;
	} else if (lenform != 64 && n < 65536) {
		h[1] = 126;
		h[2] = (uint8_t)(n >> 8);
		h[3] = (uint8_t)n;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	if (masked) {
		h[1] |= 0x80;
		memcpy(h + hl, key, 4);
		hl += 4;
	}
	b_put(b, h, hl);
	for (i = 0; i < n; i++) {
		uint8_t c = ((const uint8_t *)p)[i];

		b_put(b, &(uint8_t){ masked ? (uint8_t)(c ^ key[i & 3]) : c }, 1);
	}
}

static void text_frame(struct bytes *b, const char *s, bool masked)
{
	frame(b, true, 1, s, strlen(s), masked, 0);
}

/* ---- a stand-in for the TCP reassembler --------------------------------- */

struct stream {
	uint8_t *buf;
	size_t len;
	struct ct_tcp_scan scan;
	uint64_t sip_err, ws_err;
	size_t nmsg, nws, ntcp;
	char *out;              /* messages, each followed by '|' */
	size_t out_len;
};

static void on_msg(void *user, const char *text, size_t len, uint8_t transport)
{
	struct stream *st = user;

	if (st->out_len + len + 1 > CAP)
		abort();
	memcpy(st->out + st->out_len, text, len);
	st->out_len += len;
	st->out[st->out_len++] = '|';
	st->nmsg++;
	if (transport == CT_TRANSPORT_WS)
		st->nws++;
	else if (transport == CT_TRANSPORT_TCP)
		st->ntcp++;
}

static void s_init(struct stream *st)
{
	memset(st, 0, sizeof(*st));
	st->buf = malloc(CAP);
	st->out = malloc(CAP);
	if (st->buf == NULL || st->out == NULL)
		abort();
}

static void s_fini(struct stream *st)
{
	free(st->buf);
	free(st->out);
}

/* Appends a segment and lets the consumer use what it can (gap as given). */
static void s_push(struct stream *st, const uint8_t *p, size_t n, int gap)
{
	size_t used;

	memcpy(st->buf + st->len, p, n);
	st->len += n;
	used = ct_sip_tcp_consume(st->buf, st->len, gap, &st->scan, on_msg, st,
	    &st->sip_err, &st->ws_err);
	CHECK(used <= st->len);
	if (used > 0)
		memmove(st->buf, st->buf + used, st->len - used);
	st->len -= used;
}

/* A TCP gap as the reassembler makes it: held bytes and scan dropped, mode kept. */
static void s_gap(struct stream *st)
{
	int mode = st->scan.mode;

	st->len = 0;
	memset(&st->scan, 0, sizeof(st->scan));
	st->scan.mode = mode;
}

static void s_send(struct stream *st, const struct bytes *b, size_t seg)
{
	size_t off;

	for (off = 0; off < b->n; off += seg)
		s_push(st, b->p + off, b->n - off < seg ? b->n - off : seg, 0);
}

/* The messages of st, '|'-terminated, equal expect. */
static bool out_is(const struct stream *st, const char *expect)
{
	return st->out_len == strlen(expect) && memcmp(st->out, expect, st->out_len) == 0;
}

/*
 * Sends b whole and in every segment size 1..64: the same messages
 * (expect, n of them, all over transport WS unless ntcp of them are TCP),
 * the same error counts, nothing left held.
 */
static void check_stream(const char *name, const struct bytes *b, const char *expect,
    size_t n, size_t ntcp, uint64_t ws_err)
{
	struct stream st;
	size_t seg;
	int fails = ct_t_fail;

	for (seg = 0; seg <= 64; seg++) {
		s_init(&st);
		s_send(&st, b, seg == 0 ? b->n : seg);
		CHECK_INT(st.nmsg, n);
		CHECK_INT(st.ntcp, ntcp);
		CHECK_INT(st.nws, n - ntcp);
		CHECK(out_is(&st, expect));
		CHECK_INT(st.ws_err, ws_err);
		CHECK_INT(st.sip_err, 0);
		CHECK_INT(st.len, 0);
		s_fini(&st);
		if (ct_t_fail != fails) {
			fprintf(stderr, "  in %s, segments of %zu\n", name, seg);
			return;
		}
	}
}

static char *cat3(const char *a, const char *b, const char *c)
{
	static char buf[4][8192];
	static int k;
	char *r = buf[k++ & 3];

	snprintf(r, sizeof(buf[0]), "%s%s%s", a, b, c);
	return r;
}

/* ---- cases ------------------------------------------------------------- */

/* Client side: upgrade request, masked frames: INVITE, ping, close. */
static void test_client(void)
{
	struct bytes b;

	b_init(&b);
	b_str(&b, upgrade_req);
	text_frame(&b, invite, true);
	frame(&b, true, 9, "hb", 2, true, 0);            /* ping */
	frame(&b, true, 2, ok200, strlen(ok200), true, 0);    /* binary works too */
	frame(&b, true, 8, "\x03\xe8", 2, true, 0);      /* close 1000 */
	check_stream("client", &b, cat3(invite, "|", cat3(ok200, "|", "")), 2, 0, 0);
	free(b.p);
}

/* Server side: 101 response, unmasked frames with 16- and 64-bit lengths. */
static void test_server_lengths(void)
{
	struct bytes b;
	struct stream st;
	static char big[70000];
	size_t n, seg;

	b_init(&b);
	b_str(&b, upgrade_resp);
	frame(&b, true, 1, ok200, strlen(ok200), false, 16);  /* 16-bit form */
	frame(&b, true, 10, "", 0, false, 0);                 /* pong */
	frame(&b, true, 1, ok200, strlen(ok200), false, 64);  /* 64-bit form, small */
	check_stream("server", &b, cat3(ok200, "|", cat3(ok200, "|", "")), 2, 0, 0);

	/* A 66 KB message needs the 64-bit length. */
	n = strlen(ok200) - 2;
	memcpy(big, ok200, n);  /* without the empty line: a long header follows */
	n += (size_t)snprintf(big + n, sizeof(big) - n, "X-Pad: ");
	memset(big + n, 'p', 66000);
	n += 66000;
	memcpy(big + n, "\r\n\r\n", 5);
	n += 4;
	b.n = 0;
	b_str(&b, upgrade_resp);
	frame(&b, true, 1, big, n, false, 0);
	CHECK_INT(b.p[strlen(upgrade_resp) + 1], 127);
	for (seg = 1; seg <= 4096; seg *= 8) {
		s_init(&st);
		s_send(&st, &b, seg);
		CHECK_INT(st.nws, 1);
		CHECK_INT(st.out_len, n + 1);
		CHECK(memcmp(st.out, big, n) == 0);
		CHECK_INT(st.len, 0);
		s_fini(&st);
	}
	free(b.p);
}

/* A message in three fragments with a ping and a pong between them. */
static void test_fragments(void)
{
	struct bytes b;
	size_t n = strlen(invite);

	b_init(&b);
	b_str(&b, upgrade_req);
	frame(&b, false, 1, invite, 10, true, 0);
	frame(&b, true, 9, "x", 1, true, 0);
	frame(&b, false, 0, invite + 10, 100, true, 16);
	frame(&b, true, 10, "", 0, true, 0);
	frame(&b, true, 0, invite + 110, n - 110, true, 0);
	text_frame(&b, ok200, true);
	check_stream("fragments", &b, cat3(invite, "|", cat3(ok200, "|", "")), 2, 0, 0);
	free(b.p);
}

/*
 * A message over CT_WS_MAX_MESSAGE (one frame, then one in fragments) and a
 * compressed (RSV1) frame: each counted once and skipped; what follows is
 * delivered.
 */
static void test_bounds(void)
{
	struct bytes b;
	uint8_t *junk = calloc(1, CT_WS_MAX_MESSAGE + 10);
	uint8_t rsv[] = { 0xc1, 0x05, 'h', 'e', 'l', 'l', 'o' };

	b_init(&b);
	b_str(&b, upgrade_resp);
	frame(&b, true, 1, junk, CT_WS_MAX_MESSAGE + 1, false, 0);
	text_frame(&b, ok200, false);
	frame(&b, false, 1, junk, CT_WS_MAX_MESSAGE / 2, false, 0);
	frame(&b, false, 0, junk, CT_WS_MAX_MESSAGE / 2, false, 0);
	frame(&b, false, 0, junk, 10, false, 0);    /* over the bound here */
	frame(&b, true, 0, junk, 10, false, 0);
	b_put(&b, rsv, sizeof(rsv));
	text_frame(&b, invite, false);
	check_stream("bounds", &b, cat3(ok200, "|", cat3(invite, "|", "")), 2, 0, 3);
	free(b.p);
	free(junk);
}

/* A reserved opcode and a continuation without a message: resync on the next SIP frame. */
static void test_bad_frames(void)
{
	struct bytes b;

	b_init(&b);
	b_str(&b, upgrade_req);
	frame(&b, true, 3, "abcdef", 6, true, 0);   /* reserved opcode */
	text_frame(&b, invite, true);
	frame(&b, true, 0, "abcdef", 6, true, 0);   /* continuation of nothing */
	frame(&b, true, 1, "not sip at all, just text", 25, true, 0);
	text_frame(&b, ok200, true);
	check_stream("bad frames", &b, cat3(invite, "|", cat3(ok200, "|", "")), 2, 0, 2);
	free(b.p);
}

/* After a TCP gap in the middle of a frame, the next frame carrying SIP is found. */
static void test_gap(void)
{
	struct bytes b, c;
	struct stream st;

	b_init(&b);
	b_str(&b, upgrade_req);
	text_frame(&b, invite, true);
	b_init(&c);
	text_frame(&c, invite, true);
	text_frame(&c, ok200, true);
	s_init(&st);
	s_push(&st, b.p, b.n - 20, 0);   /* the INVITE frame is cut... */
	CHECK_INT(st.nmsg, 0);
	s_gap(&st);                       /* ...and its end is lost */
	s_push(&st, c.p + 30, c.n - 30, 1);
	CHECK_INT(st.nws, 1);
	CHECK(out_is(&st, cat3(ok200, "|", "")));
	CHECK_INT(st.len, 0);
	s_fini(&st);
	free(b.p);
	free(c.p);
}

/* A capture that starts after the upgrade: the first frame carries SIP. */
static void test_midstream(void)
{
	struct bytes b;

	b_init(&b);
	text_frame(&b, invite, true);
	text_frame(&b, ok200, false);
	check_stream("midstream", &b, cat3(invite, "|", cat3(ok200, "|", "")), 2, 0, 0);
	free(b.p);
}

/* A capture that starts inside a frame: the next frame carrying SIP is found. */
static void test_midstream_inside_frame(void)
{
	struct bytes b, c;

	b_init(&b);
	text_frame(&b, invite, true);
	text_frame(&b, ok200, false);
	text_frame(&b, invite, false);
	b_init(&c);
	b_put(&c, b.p + 9, b.n - 9);
	check_stream("midstream inside a frame", &c, cat3(ok200, "|", cat3(invite, "|", "")), 2,
	    0, 0);
	free(b.p);
	free(c.p);
}

/*
 * HTTP that is no SIP upgrade (no Sec-WebSocket-Protocol: sip, a 400 answer,
 * a plain GET) is consumed and the stream stays SIP over TCP.
 */
static void test_not_sip_upgrade(void)
{
	struct bytes b;

	b_init(&b);
	b_str(&b, "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
	    "Sec-WebSocket-Protocol: chat, superchat\r\n\r\n");
	b_str(&b, "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Protocol: sip\r\n\r\n");
	b_str(&b, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	b_str(&b, invite);
	b_str(&b, "\r\n");
	b_str(&b, ok200);
	check_stream("not sip upgrade", &b, cat3(invite, "|", cat3(ok200, "|", "")), 2, 2, 0);
	free(b.p);
}

/* wss: TLS records (handshake, then application data) stay opaque. */
static void test_tls_opaque(void)
{
	struct bytes b;
	uint8_t rec[5 + 300];
	size_t i;

	b_init(&b);
	for (i = 0; i < sizeof(rec); i++)
		rec[i] = (uint8_t)(i * 131 + 7);
	rec[0] = 0x16;  /* handshake */
	rec[1] = 0x03;
	rec[2] = 0x03;
	rec[3] = 0x01;
	rec[4] = 0x2c;
	b_put(&b, rec, sizeof(rec));
	rec[0] = 0x17;  /* application data */
	b_put(&b, rec, sizeof(rec));
	check_stream("tls", &b, "", 0, 0, 0);
	free(b.p);
}

/* The header checks are by token, case-insensitive: "SIP" among others. */
static void test_token_list(void)
{
	struct bytes b;

	b_init(&b);
	b_str(&b, "GET /ws HTTP/1.1\r\nupgrade: WebSocket\r\n"
	    "sec-websocket-protocol: msrp, SIP\r\n\r\n");
	text_frame(&b, invite, true);
	check_stream("token list", &b, cat3(invite, "|", ""), 1, 0, 0);
	free(b.p);
}

/* A stream cut inside a frame delivers nothing and holds the partial frame. */
static void test_truncated(void)
{
	struct bytes b;
	struct stream st;
	size_t cut;

	b_init(&b);
	b_str(&b, upgrade_resp);
	text_frame(&b, ok200, false);
	for (cut = strlen(upgrade_resp) + 1; cut < b.n; cut += 7) {
		s_init(&st);
		s_push(&st, b.p, cut, 0);
		CHECK_INT(st.nmsg, 0);
		CHECK_INT(st.ws_err, 0);
		CHECK_INT(st.len, cut - strlen(upgrade_resp));
		s_fini(&st);
	}
	free(b.p);
}

int main(void)
{
	test_client();
	test_server_lengths();
	test_fragments();
	test_bounds();
	test_bad_frames();
	test_gap();
	test_midstream();
	test_midstream_inside_frame();
	test_not_sip_upgrade();
	test_token_list();
	test_tls_opaque();
	test_truncated();
	return TEST_REPORT();
}
