/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/sip/frame.c: ct_sip_frame (whole, partial, body,
 * compact l:, back-to-back, keep-alives, garbage, limits), ct_sip_resync,
 * ct_sip_looks_like, and the incremental ct_sip_stream_consume over a
 * growing buffer (same messages for every segment size; linear work for a
 * 60 KB header or Request-URI sent a few bytes per segment).  Vectors are written by hand after real captures.
 * References: RFC 3261 §7.5, §18.3, §20.14; RFC 5626 §4.4.1.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "calltap/err.h"
#include "calltap/sip.h"
#include "test.h"

#define S(x) x, sizeof(x) - 1

static const char invite_sdp[] =
	"INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
	"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
	"Max-Forwards: 70\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	"To: Bob <sip:bob@biloxi.example.com>\r\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
	"CSeq: 1 INVITE\r\n"
	"Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n"
	"Content-Type: application/sdp\r\n"
	"Content-Length: 151\r\n"
	"\r\n"
	"v=0\r\n"
	"o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.101\r\n"
	"t=0 0\r\n"
	"m=audio 49172 RTP/AVP 0\r\n"
	"a=rtpmap:0 PCMU/8000\r\n";

static const char ok_nobody[] =
	"SIP/2.0 200 OK\r\n"
	"Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n"
	"From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n"
	"To: Bob <sip:bob@biloxi.example.com>;tag=8321234356\r\n"
	"Call-ID: 3848276298220188511@atlanta.example.com\r\n"
	"CSeq: 2 BYE\r\n"
	"Content-Length: 0\r\n"
	"\r\n";

static const char compact_l[] =
	"MESSAGE sip:user2@domain.com SIP/2.0\r\n"
	"v: SIP/2.0/TCP user1pc.domain.com;branch=z9hG4bK776sgdkse\r\n"
	"f: sip:user1@domain.com;tag=49583\r\n"
	"t: sip:user2@domain.com\r\n"
	"i: asd88asd77a@1.2.3.4\r\n"
	"CSeq: 1 MESSAGE\r\n"
	"c: text/plain\r\n"
	"l   :  18 \r\n"
	"\r\n"
	"Watson, come here.";

static const char no_clen[] =
	"OPTIONS sip:carol@chicago.example.com SIP/2.0\r\n"
	"Call-ID: a84b4c76e66710\r\n"
	"CSeq: 63104 OPTIONS\r\n"
	"\r\n";

static const char lf_only[] =
	"BYE sip:alice@192.0.2.4 SIP/2.0\n"
	"Call-ID: x1\n"
	"CONTENT-LENGTH: 4\n"
	"\n"
	"abcdEXTRA";

static void test_whole(void)
{
	size_t skip = 99;

	CHECK_INT(ct_sip_frame(S(invite_sdp), &skip), sizeof(invite_sdp) - 1);
	CHECK_INT(skip, 0);
	CHECK_INT(ct_sip_frame(S(ok_nobody), &skip), sizeof(ok_nobody) - 1);
	CHECK_INT(ct_sip_frame(S(compact_l), &skip), sizeof(compact_l) - 1);
	CHECK_INT(ct_sip_frame(S(no_clen), &skip), sizeof(no_clen) - 1);
	/* bare LF line ends; trailing bytes belong to the next message */
	CHECK_INT(ct_sip_frame(S(lf_only), &skip), sizeof(lf_only) - 1 - 5);
	/* status line without reason phrase */
	CHECK_INT(ct_sip_frame(S("SIP/2.0 100\r\n\r\n"), &skip), 15);
	/* a request with no headers at all */
	CHECK_INT(ct_sip_frame(S("OPTIONS sip:x SIP/2.0\r\n\r\n"), &skip), 25);
}

static void test_back_to_back(void)
{
	char buf[2048];
	size_t n1 = sizeof(ok_nobody) - 1, n2 = sizeof(invite_sdp) - 1, skip;
	ssize_t r;

	memcpy(buf, ok_nobody, n1);
	memcpy(buf + n1, invite_sdp, n2);
	r = ct_sip_frame(buf, n1 + n2, &skip);
	CHECK_INT(r, n1);
	CHECK_INT(skip, 0);
	r = ct_sip_frame(buf + n1, n2, &skip);
	CHECK_INT(r, n2);
	/* the second message only half there */
	r = ct_sip_frame(buf + n1, n2 / 2, &skip);
	CHECK_INT(r, CT_PARTIAL);
}

/* Every cut of msg is CT_PARTIAL, the whole one the exact length. */
static void check_every_cut(const char *msg, size_t n)
{
	size_t i, skip, bad = 0;

	for (i = 0; i < n; i++)
		if (ct_sip_frame(msg, i, &skip) != CT_PARTIAL || skip != 0)
			bad++;
	CHECK_INT(bad, 0);
	CHECK_INT(ct_sip_frame(msg, n, &skip), n);
}

static void test_cuts(void)
{
	check_every_cut(S(invite_sdp));
	check_every_cut(S(ok_nobody));
	check_every_cut(S(compact_l));
	check_every_cut(S(no_clen));
}

static void test_keepalive(void)
{
	char buf[2048];
	size_t skip = 0;
	ssize_t r;

	CHECK_INT(ct_sip_frame(S("\r\n\r\n"), &skip), CT_PARTIAL);
	CHECK_INT(skip, 4);
	CHECK_INT(ct_sip_frame(S("\r\n"), &skip), CT_PARTIAL);
	CHECK_INT(skip, 2);
	CHECK_INT(ct_sip_frame("", 0, &skip), CT_PARTIAL);
	CHECK_INT(skip, 0);
	memcpy(buf, "\r\n\r\n\n", 5);
	memcpy(buf + 5, ok_nobody, sizeof(ok_nobody) - 1);
	r = ct_sip_frame(buf, 5 + sizeof(ok_nobody) - 1, &skip);
	CHECK_INT(skip, 5);
	CHECK_INT(r, sizeof(ok_nobody) - 1);
	r = ct_sip_frame(buf, 8, &skip);
	CHECK_INT(skip, 5);
	CHECK_INT(r, CT_PARTIAL);
}

struct bad_vec {
	const char *in;
	ssize_t want;
};

static const struct bad_vec start_vecs[] = {
	{ "HTTP/1.1 200 OK\r\n\r\n", CT_ERR },
	{ "GET / HTTP/1.1\r\n\r\n", CT_ERR },
	{ "\x80\x08\x12\x34", CT_ERR },
	{ "INVITE sip:x SIP/2.1\r\n\r\n", CT_ERR },
	{ "INVITE  sip:x SIP/2.0\r\n\r\n", CT_ERR },
	{ "INVITE sip:x SIP/2.0 \r\n\r\n", CT_ERR },
	{ "INVITE sip:x SIP/2.0\rX\n\r\n", CT_ERR },
	{ "INVITE nourischeme SIP/2.0\r\n\r\n", CT_ERR },
	{ "SIP/2.0 20 OK\r\n\r\n", CT_ERR },
	{ "SIP/2.0 900 OK\r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 O\001K\r\n\r\n", CT_ERR },
	{ ": foo\r\n", CT_ERR },
	{ "INV", CT_PARTIAL },
	{ "SIP/2", CT_PARTIAL },
	{ "SIP/2.0 18", CT_PARTIAL },
	{ "INVITE sip:bob@example.com SIP/2.", CT_PARTIAL },
	{ "INVITE sip:bob@example.com SIP/2.0\r", CT_PARTIAL },
	{ "INVITE sip:bob@example.com SIP/2.0\r\nCSeq: 1 INVITE\r\n", CT_PARTIAL },
	{ "SIP/2.0 200 OK\r\nContent-Length: 12x\r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 OK\r\nContent-Length: \r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 OK\r\nContent-Length: -1\r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 OK\r\nl: 16777217\r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 OK\r\nl: 99999999999999999999\r\n\r\n", CT_ERR },
	{ "SIP/2.0 200 OK\r\nl: 3\r\nContent-Length: 4\r\n\r\nabcd", CT_ERR },
	{ "SIP/2.0 200 OK\r\nl: 4\r\nContent-Length: 4\r\n\r\nabcd", 47 },
	{ "SIP/2.0 200 OK\r\nl: 16777216\r\n\r\n", CT_PARTIAL },
	{ "SIP/2.0 200 OK\r\nX-Content-Length: 5\r\n\r\n", 39 },
	{ "SIP/2.0 200 OK\r\nlx: 5\r\n\r\n", 25 },
};

static void test_start_and_clen(void)
{
	size_t i, skip;

	for (i = 0; i < sizeof(start_vecs) / sizeof(start_vecs[0]); i++) {
		ssize_t r = ct_sip_frame(start_vecs[i].in, strlen(start_vecs[i].in), &skip);

		if (r != start_vecs[i].want)
			fprintf(stderr, "vector %zu: \"%s\"\n", i, start_vecs[i].in);
		CHECK_INT(r, start_vecs[i].want);
	}
}

static void test_huge_header(void)
{
	static const char head[] = "SIP/2.0 200 OK\r\n";
	size_t n = 70 * 1024, i, skip;
	char *buf = malloc(n);

	if (buf == NULL)
		return;
	memcpy(buf, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i + 10 <= n; i += 10)
		memcpy(buf + i, "X-Pad: a\r\n", 10);
	for (; i < n; i++)
		buf[i] = 'a';
	CHECK_INT(ct_sip_frame(buf, 64 * 1024 - 1, &skip), CT_PARTIAL);
	CHECK_INT(ct_sip_frame(buf, n, &skip), CT_ERR);
	/* a start line never ending */
	memset(buf, 'A', n);
	buf[6] = ' ';
	memcpy(buf + 7, "sip:", 4);
	CHECK_INT(ct_sip_frame(buf, 1000, &skip), CT_PARTIAL);
	CHECK_INT(ct_sip_frame(buf, n, &skip), CT_ERR);
	free(buf);
}

static void test_resync(void)
{
	char buf[2048];
	static const char junk[] = "\x13\x00garbage line\r\nmore: junk\n";
	size_t jn = sizeof(junk) - 1, mn = sizeof(ok_nobody) - 1, skip, off;

	memcpy(buf, junk, jn);
	memcpy(buf + jn, ok_nobody, mn);
	CHECK_INT(ct_sip_frame(buf, jn + mn, &skip), CT_ERR);
	off = ct_sip_resync(buf, jn + mn);
	CHECK_INT(off, jn);
	CHECK_INT(ct_sip_frame(buf + off, jn + mn - off, &skip), mn);
	/* "XSIP/2.0 ..." is no start line, nor are the headers after it */
	buf[jn] = 'X';
	memcpy(buf + jn + 1, ok_nobody, mn);
	CHECK_INT(ct_sip_resync(buf, jn + 1 + mn), jn + 1 + mn);
	/* headers of a message are never taken for a start line */
	off = ct_sip_resync(invite_sdp, sizeof(invite_sdp) - 1);
	CHECK_INT(off, sizeof(invite_sdp) - 1);
	CHECK_INT(ct_sip_resync(S("no newline at all")), 17);
	CHECK_INT(ct_sip_resync("", 0), 0);
	CHECK_INT(ct_sip_resync(S("junk\n")), 5);
	/* a start line cut at the end of the buffer is kept */
	CHECK_INT(ct_sip_resync(S("junk\nBYE sip:a@b SIP")), 5);
	CHECK_INT(ct_sip_resync(S("junk\nSIP/2.0 486 Busy Here\r\n")), 5);
	CHECK_INT(ct_sip_resync(S("junk\n\x80\x08\nbody text here\r\n")), 24);
}

struct looks_vec {
	const char *in;
	size_t len;
	bool want;
};

static const struct looks_vec looks_vecs[] = {
	{ S("INVITE sip:bob@biloxi.example.com SIP/2.0\r\nVia: x\r\n"), true },
	{ S("REGISTER sips:ss2.biloxi.example.com SIP/2.0\r\n"), true },
	{ S("INVITE tel:+12125551212 SIP/2.0\r\n"), true },
	{ S("ACK SIP:bob@192.0.2.4 SIP/2.0\n"), true },
	{ S("SIP/2.0 200 OK\r\n"), true },
	{ S("SIP/2.0 100 Trying\r\n"), true },
	{ S("SIP/2.0 2x0 OK\r\n"), false },
	{ S("GET / HTTP/1.1\r\nHost: a\r\n"), false },
	{ S("HTTP/1.1 200 OK\r\n"), false },
	{ S("INVITE http://x SIP/2.0\r\n"), false },
	{ S("INVITE sip:bob@biloxi.example.com HTTP/1.0\r\n"), false },
	{ S("INVITE sip:bob@biloxi.example.com SIP/2.0"), false },
	{ S("invite sip:bob@biloxi.example.com SIP/2.0\r\n"), false },
	{ S("\r\n\r\n"), false },
	{ S("\x80\x00\x12\x34\x00\x00\x00\xa0\xde\xad\xbe\xef\xff\xff\xff\xff"), false },
	{ S("\x80\x88\x12\x34\x00\x00\x00\xa0\xde\xad\xbe\xef\xd5\xd5\xd5\xd5"), false },
	{ S("SIP/2.0"), false },
	{ "", 0, false },
};

static void test_looks_like(void)
{
	size_t i;

	for (i = 0; i < sizeof(looks_vecs) / sizeof(looks_vecs[0]); i++) {
		bool r = ct_sip_looks_like(looks_vecs[i].in, looks_vecs[i].len);

		if (r != looks_vecs[i].want)
			fprintf(stderr, "looks_like vector %zu\n", i);
		CHECK(r == looks_vecs[i].want);
	}
}

/*
 * ct_sip_starts_message (where a TCP stream may resume after a hole):
 * ct_sip_looks_like with a registered method or a status line; not the
 * rest of a request line resent from inside its method ("ITE sip:" of an
 * INVITE), nor an extension method.
 */
static void test_starts_message(void)
{
	static const struct {
		const char *in;
		bool want;
	} v[] = {
		{ "INVITE sip:+14155550100@pbx SIP/2.0\r\nVia: x\r\n", true },
		{ "SIP/2.0 180 Ringing\r\n", true },
		{ "ACK sip:a@b SIP/2.0\r\n", true },
		{ "BYE sip:a@b SIP/2.0\r\n", true },
		{ "CANCEL sip:a@b SIP/2.0\r\n", true },
		{ "REGISTER sip:b SIP/2.0\r\n", true },
		{ "OPTIONS sip:a@b SIP/2.0\r\n", true },
		{ "PRACK sip:a@b SIP/2.0\r\n", true },
		{ "SUBSCRIBE sip:a@b SIP/2.0\r\n", true },
		{ "NOTIFY sip:a@b SIP/2.0\r\n", true },
		{ "PUBLISH sip:a@b SIP/2.0\r\n", true },
		{ "INFO sip:a@b SIP/2.0\r\n", true },
		{ "REFER sip:a@b SIP/2.0\r\n", true },
		{ "MESSAGE sip:a@b SIP/2.0\r\n", true },
		{ "UPDATE tel:+14155550100 SIP/2.0\r\n", true },
		{ "ITE sip:+14155550100@pbx SIP/2.0\r\nVia: x\r\n", false },
		{ "NVITE sip:+14155550100@pbx SIP/2.0\r\n", false },
		{ "E sip:+14155550100@pbx SIP/2.0\r\n", false },
		{ "TIFY sip:a@b SIP/2.0\r\n", false },
		{ "PING sip:a@b SIP/2.0\r\n", false },
		{ "INVITEX sip:a@b SIP/2.0\r\n", false },
		{ "INVITE sip:a@b SIP/2.0", false },          /* not a whole line */
		{ "SIP/2.0 2", false },
		{ "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool r = ct_sip_starts_message(v[i].in, strlen(v[i].in));

		if (r != v[i].want)
			fprintf(stderr, "starts_message vector %zu\n", i);
		CHECK(r == v[i].want);
	}
	/* Either way it never says more than ct_sip_looks_like. */
	for (i = 0; i < sizeof(looks_vecs) / sizeof(looks_vecs[0]); i++)
		CHECK(!ct_sip_starts_message(looks_vecs[i].in, looks_vecs[i].len) ||
		    ct_sip_looks_like(looks_vecs[i].in, looks_vecs[i].len));
}

/*
 * ct_sip_body_short: a datagram whose header section is whole and whose
 * Content-Length (long or compact form) is larger than what follows it;
 * not one that is exact, longer (extra bytes are discarded, RFC 3261
 * §18.3), without Content-Length, with a malformed one, or whose header
 * section does not end (a datagram cut after "Content-Length: 0").
 */
static void test_body_short(void)
{
	static const struct {
		const char *in;
		bool want;
	} v[] = {
		{ "BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Length: 900\r\n\r\n", true },
		{ "BYE sip:a@b SIP/2.0\r\nl: 5\r\n\r\nabcd", true },
		{ "SIP/2.0 200 OK\r\nContent-Length: 4\r\n\r\nabc", true },
		{ "BYE sip:a@b SIP/2.0\nContent-Length: 3\n\nab", true },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: 4\r\n\r\nabcd", false },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: 2\r\n\r\nabcd", false },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: 0\r\n\r\n", false },
		{ "BYE sip:a@b SIP/2.0\r\nCall-ID: x\r\n\r\n", false },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: x9\r\n\r\n", false },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: 900", false },
		{ "BYE sip:a@b SIP/2.0\r\nContent-Length: 900\r\n", false },
		{ "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		bool r = ct_sip_body_short(v[i].in, strlen(v[i].in));

		if (r != v[i].want)
			fprintf(stderr, "body_short vector %zu\n", i);
		CHECK(r == v[i].want);
	}
}

/* ---- incremental framing over a growing stream buffer ------------------- */

/* A stand-in for the TCP reassembler: appends segments, keeps what the
 * consumer did not use, and records the messages it framed. */
struct stream {
	char *buf;
	size_t len;
	struct ct_tcp_scan scan;
	uint64_t framing;
	size_t nmsg;
	char *out;              /* framed messages, concatenated */
	size_t out_len;
};

static void stream_msg(void *user, const char *text, size_t len)
{
	struct stream *st = user;

	memcpy(st->out + st->out_len, text, len);
	st->out_len += len;
	st->nmsg++;
}

static void stream_init(struct stream *st, size_t cap)
{
	memset(st, 0, sizeof(*st));
	st->buf = malloc(cap);
	st->out = malloc(cap);
}

static void stream_fini(struct stream *st)
{
	free(st->buf);
	free(st->out);
}

static void stream_push(struct stream *st, const char *p, size_t n)
{
	size_t used;

	memcpy(st->buf + st->len, p, n);
	st->len += n;
	used = ct_sip_stream_consume((const uint8_t *)st->buf, st->len, &st->scan,
	    stream_msg, st, &st->framing);
	CHECK(used <= st->len);
	memmove(st->buf, st->buf + used, st->len - used);
	st->len -= used;
}

/* Sends text[0..n) in segments of seg bytes. */
static void stream_send(struct stream *st, const char *text, size_t n, size_t seg)
{
	size_t off;

	for (off = 0; off < n; off += seg)
		stream_push(st, text + off, n - off < seg ? n - off : seg);
}

/*
 * Every segment size frames the same messages as the whole stream at once
 * (keep-alives, bodies, compact l:, garbage resync, messages back to back).
 */
static void test_scan_segments(void)
{
	static char text[8192];
	struct stream whole, st;
	size_t n = 0, seg;

	n += (size_t)sprintf(text + n, "\r\n\r\n%s%s", invite_sdp, ok_nobody);
	n += (size_t)sprintf(text + n, "%sgarbage line\r\nmore junk\n%s", compact_l, invite_sdp);
	n += (size_t)sprintf(text + n, "\r\n%s", ok_nobody);
	stream_init(&whole, sizeof(text));
	stream_push(&whole, text, n);
	CHECK_INT(whole.nmsg, 5);
	CHECK_INT(whole.len, 0);
	CHECK_INT(whole.framing, 0);
	for (seg = 1; seg <= 64; seg++) {
		stream_init(&st, sizeof(text));
		stream_send(&st, text, n, seg);
		CHECK_INT(st.nmsg, whole.nmsg);
		CHECK(st.out_len == whole.out_len && memcmp(st.out, whole.out, st.out_len) == 0);
		CHECK_INT(st.len, 0);
		stream_fini(&st);
	}
	stream_fini(&whole);
}

/*
 * Attack: one message of 12,000 short header lines (60 KB) sent 10 bytes per
 * segment.  Rescanning the buffer at every segment examined ~180 MB; the
 * scan state keeps the work linear (each byte a few times at most).
 */
static void test_scan_tiny_segments(void)
{
	const size_t lines = 12000;
	struct stream st;
	char *msg = malloc(lines * 5 + 256);
	size_t n = 0, i;

	n += (size_t)sprintf(msg, "OPTIONS sip:x@example.com SIP/2.0\r\n");
	for (i = 0; i < lines; i++)
		n += (size_t)sprintf(msg + n, "a:b\r\n");
	n += (size_t)sprintf(msg + n, "Content-Length: 3\r\n\r\nabc");
	stream_init(&st, 2 * n);
	stream_send(&st, msg, n, 10);
	CHECK_INT(st.nmsg, 1);
	CHECK_INT(st.out_len, n);
	CHECK_INT(st.len, 0);
	if (st.scan.work > 3 * (uint64_t)n)
		fprintf(stderr, "framing examined %llu bytes for a %zu-byte message\n",
		    (unsigned long long)st.scan.work, n);
	CHECK(st.scan.work <= 3 * (uint64_t)n);
	stream_fini(&st);

	/* A 60 KB Request-URI one byte at a time: the start line is checked
	 * again only when the bytes double or a line end arrives. */
	n = (size_t)sprintf(msg, "INVITE sip:");
	memset(msg + n, 'u', 60000);
	n += 60000;
	n += (size_t)sprintf(msg + n, "@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n");
	stream_init(&st, 2 * n);
	stream_send(&st, msg, n, 1);
	CHECK_INT(st.nmsg, 1);
	CHECK_INT(st.out_len, n);
	CHECK(st.scan.work <= 6 * (uint64_t)n);
	stream_fini(&st);

	/* The same with a control byte inside the URI: refused (resync)
	 * within twice the bytes of the last check, never framed, and the
	 * junk after it is dropped as it comes. */
	msg[30000] = '\x01';
	stream_init(&st, 2 * n);
	stream_send(&st, msg, 2 * 30001, 10);
	CHECK(st.len <= 32);     /* at most a method-length prefix of junk */
	stream_send(&st, msg + 2 * 30001, n - 2 * 30001, 10);
	CHECK_INT(st.nmsg, 0);
	CHECK(st.len <= 32);
	stream_fini(&st);
	free(msg);
}

/*
 * The consumer's messages for data[0..len) fed at once, by the stateless
 * ct_sip_frame() and ct_sip_resync() from each offset (the model).
 */
static size_t model_consume(const char *data, size_t len, char *out, size_t *out_len)
{
	size_t off = 0, skip, r, nmsg = 0;
	ssize_t n;

	*out_len = 0;
	while (off < len) {
		n = ct_sip_frame(data + off, len - off, &skip);
		if (n > 0) {
			memcpy(out + *out_len, data + off + skip, (size_t)n);
			*out_len += (size_t)n;
			nmsg++;
			off += skip + (size_t)n;
		} else if (n == CT_PARTIAL) {
			break;
		} else {
			r = ct_sip_resync(data + off, len - off);
			off += r > 0 ? r : len - off;
		}
	}
	return nmsg;
}

/* Appends count copies of line to buf at *n. */
static void put_lines(char *buf, size_t *n, const char *line, size_t count)
{
	size_t k = strlen(line);

	while (count-- > 0) {
		memcpy(buf + *n, line, k);
		*n += k;
	}
}

/*
 * Attack: header sections made of request lines.  Each line is a start
 * line ct_sip_resync() offers after the message before it fails, and
 * searching each one's header section again for its empty line (64 KiB
 * without one) or reading its Content-Length again (malformed or
 * contradicted) examined about 64 KiB per 22-byte line: 1.5 MB/s on one
 * connection filled a CPU.  What a failure showed is reused, so the work
 * stays linear, and the messages framed are still the model's, including
 * a message that starts inside one that failed and ends past where that
 * one's search stopped, or after the line a contradiction started at.
 */
static void test_scan_failed_headers(void)
{
	const char *line = "INVITE sip:a SIP/2.0\r\n";
	size_t cap = 600000, n, i, mlen, mnum;
	char *text = malloc(cap), *model = malloc(cap);
	struct stream st;
	int round;

	for (round = 0; round < 4; round++) {
		n = 0;
		switch (round) {
		case 0:     /* no empty line at all */
			put_lines(text, &n, line, 8000);
			break;
		case 1:     /* malformed Content-Length, three times */
			for (i = 0; i < 3; i++) {
				put_lines(text, &n, line, 2700);
				put_lines(text, &n, "l: x\r\n\r\n", 1);
			}
			break;
		case 2:     /* a message inside one with no empty line in 64 KiB */
			put_lines(text, &n, "OPTIONS sip:a SIP/2.0\r\n", 1);
			put_lines(text, &n, "X: y\r\n", 300);
			put_lines(text, &n, "BYE sip:b SIP/2.0\r\n", 1);
			put_lines(text, &n, "a: b\r\n", 10700);
			put_lines(text, &n, "Content-Length: 2\r\n\r\nokNOTIFY sip:c SIP/2.0\r\n\r\n", 1);
			break;
		case 3:     /* contradicted Content-Length: the start after its first value frames */
			put_lines(text, &n, line, 1);
			put_lines(text, &n, "l: 5\r\n", 1);
			put_lines(text, &n, line, 1);
			put_lines(text, &n, "l: 5\r\n", 1);
			put_lines(text, &n, line, 3);
			put_lines(text, &n, "l: 6\r\n\r\nabcdef", 1);
			put_lines(text, &n, "SIP/2.0 200 OK\r\nl: 5\r\n\r\nhello", 1);
			break;
		}
		mnum = model_consume(text, n, model, &mlen);
		CHECK_INT(mnum, round < 2 ? 0u : 2u);
		stream_init(&st, cap);
		stream_push(&st, text, n);
		CHECK_INT(st.nmsg, mnum);
		CHECK(st.out_len == mlen && memcmp(st.out, model, mlen) == 0);
		if (st.scan.work > 4 * (uint64_t)n + 4096)
			fprintf(stderr, "round %d: framing examined %llu bytes for %zu\n", round,
			    (unsigned long long)st.scan.work, n);
		CHECK(st.scan.work <= 4 * (uint64_t)n + 4096);
		stream_fini(&st);

		/* The same in 1400-byte segments: linear too. */
		stream_init(&st, cap);
		stream_send(&st, text, n, 1400);
		CHECK(st.scan.work <= 4 * (uint64_t)n + 4096);
		if (round >= 2)
			CHECK_INT(st.nmsg, mnum);
		stream_fini(&st);
	}
	free(text);
	free(model);
}

int main(void)
{
	test_whole();
	test_back_to_back();
	test_cuts();
	test_keepalive();
	test_start_and_clen();
	test_huge_header();
	test_resync();
	test_looks_like();
	test_starts_message();
	test_body_short();
	test_scan_segments();
	test_scan_tiny_segments();
	test_scan_failed_headers();
	return TEST_REPORT();
}
