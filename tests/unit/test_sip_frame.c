/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/sip/frame.c: ct_sip_frame (whole, partial, body,
 * compact l:, back-to-back, keep-alives, garbage, limits), ct_sip_resync and
 * ct_sip_looks_like.  Vectors are written by hand after real captures.
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
	return TEST_REPORT();
}
