/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/sip/sdp.c (ct_sdp_parse, ct_rtp_static_codec), plus
 * the guard-page test (picohttpparser style) of every byte-level SIP/SDP
 * parser: each prefix of valid inputs is copied to end exactly at a
 * PROT_NONE page, so any read past len faults at once.
 * References: RFC 8866 §5, RFC 3264 §5.1, RFC 3551 §6.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/packet.h"
#include "calltap/rtp.h"
#include "calltap/sip.h"
#include "test.h"

#define S(x) x, sizeof(x) - 1

static const char sdp_av[] =
	"v=0\r\n"
	"o=- 20518 0 IN IP4 203.0.113.1\r\n"
	"s= \r\n"
	"t=0 0\r\n"
	"c=IN IP4 203.0.113.1\r\n"
	"a=sendrecv\r\n"
	"m=audio 54400 RTP/SAVPF 0 96\r\n"
	"a=rtpmap:96 opus/48000/2\r\n"
	"a=ptime:20\r\n"
	"m=video 55400 RTP/AVP 31 97\r\n"
	"a=rtpmap:97 H264/90000\r\n"
	"a=fmtp:97 profile-level-id=42e01f\r\n"
	"a=recvonly\r\n";

static void test_audio_video(void)
{
	struct ct_sdp s;
	const struct ct_sdp_media *a = &s.media[0], *v = &s.media[1];

	CHECK_INT(ct_sdp_parse(S(sdp_av), &s), CT_OK);
	CHECK_INT(s.conn.family, 4);
	CHECK(memcmp(s.conn.a, "\xcb\x00\x71\x01", 4) == 0);
	CHECK_INT(s.n_media, 2);
	CHECK_STR(a->type, "audio");
	CHECK_INT(a->port, 54400);
	CHECK_INT(a->n_ports, 1);
	CHECK_STR(a->proto, "RTP/SAVPF");
	CHECK_INT(a->dir, CT_SDP_SENDRECV);
	CHECK_INT(a->ptime, 20);
	CHECK_INT(a->addr.family, 4);
	CHECK(memcmp(a->addr.a, "\xcb\x00\x71\x01", 4) == 0);
	CHECK_INT(a->n_codecs, 2);
	CHECK_INT(a->codecs[0].pt, 0);
	CHECK_STR(a->codecs[0].name, "PCMU");
	CHECK_INT(a->codecs[0].rate, 8000);
	CHECK_INT(a->codecs[0].channels, 1);
	CHECK_INT(a->codecs[1].pt, 96);
	CHECK_STR(a->codecs[1].name, "opus");
	CHECK_INT(a->codecs[1].rate, 48000);
	CHECK_INT(a->codecs[1].channels, 2);
	CHECK_STR(v->type, "video");
	CHECK_INT(v->port, 55400);
	CHECK_STR(v->proto, "RTP/AVP");
	CHECK_INT(v->dir, CT_SDP_RECVONLY);
	CHECK_INT(v->ptime, 0);
	CHECK_INT(v->n_codecs, 2);
	CHECK_STR(v->codecs[0].name, "H261");
	CHECK_INT(v->codecs[0].rate, 90000);
	CHECK_INT(v->codecs[1].pt, 97);
	CHECK_STR(v->codecs[1].name, "H264");
	CHECK_INT(v->codecs[1].rate, 90000);
}

static const char sdp_dtmf[] =
	"v=0\n"
	"o=user1 53655765 2353687637 IN IP4 10.0.0.5\n"
	"s=-\n"
	"c=IN IP4 10.0.0.5\n"
	"t=0 0\n"
	"m=audio 6000 RTP/AVP 8 0 18 101\n"
	"a=rtpmap:8 PCMA/8000\n"
	"a=rtpmap:18 G729/8000\n"
	"a=fmtp:18 annexb=no\n"
	"a=rtpmap:101 telephone-event/8000\n"
	"a=fmtp:101 0-15\n"
	"a=ptime:30"; /* no final newline */

static void test_telephone_event(void)
{
	struct ct_sdp s;
	const struct ct_sdp_media *a = &s.media[0];

	CHECK_INT(ct_sdp_parse(S(sdp_dtmf), &s), CT_OK);
	CHECK_INT(s.n_media, 1);
	CHECK_INT(a->port, 6000);
	CHECK_INT(a->n_codecs, 4);
	CHECK_INT(a->codecs[0].pt, 8);
	CHECK_STR(a->codecs[0].name, "PCMA");
	CHECK_INT(a->codecs[1].pt, 0);
	CHECK_STR(a->codecs[1].name, "PCMU");
	CHECK_INT(a->codecs[2].pt, 18);
	CHECK_STR(a->codecs[2].name, "G729");
	CHECK_INT(a->codecs[3].pt, 101);
	CHECK_STR(a->codecs[3].name, "telephone-event");
	CHECK_INT(a->codecs[3].rate, 8000);
	CHECK_INT(a->codecs[3].channels, 1);
	CHECK_INT(a->ptime, 30);
	CHECK(memcmp(a->addr.a, "\x0a\x00\x00\x05", 4) == 0);
}

static const char sdp_v6[] =
	"v=0\r\n"
	"o=bob 2808844564 2808844564 IN IP6 2001:db8::2\r\n"
	"s=-\r\n"
	"c=IN IP6 2001:db8::2\r\n"
	"t=0 0\r\n"
	"m=audio 49174 RTP/AVP 0\r\n"
	"c=IN IP4 192.0.2.7/127/2\r\n"
	"a=inactive\r\n"
	"m=audio 0 RTP/AVP 8\r\n"
	"m=video 51372/2 RTP/AVP 99\r\n"
	"c=IN IP6 2001:db8::99\r\n"
	"a=sendonly\r\n"
	"m=image 0 udptl t38\r\n"
	"m=audio 70000 RTP/AVP 0\r\n"
	"a=sendonly\r\n"
	"m=audio 5004 RTP/AVP 0\r\n"
	"c=IN IP4 not-an-address\r\n";

static void test_v6_media_conn_port0(void)
{
	static const uint8_t v6_2[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 };
	static const uint8_t v6_99[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x99 };
	struct ct_sdp s;

	CHECK_INT(ct_sdp_parse(S(sdp_v6), &s), CT_OK);
	CHECK_INT(s.conn.family, 6);
	CHECK(memcmp(s.conn.a, v6_2, 16) == 0);
	CHECK_INT(s.n_media, 5); /* the port 70000 m= line is dropped */
	/* media-level IPv4 c= with /ttl/count overrides the session */
	CHECK_INT(s.media[0].addr.family, 4);
	CHECK(memcmp(s.media[0].addr.a, "\xc0\x00\x02\x07", 4) == 0);
	CHECK_INT(s.media[0].dir, CT_SDP_INACTIVE);
	/* port 0: rejected stream, session address */
	CHECK_INT(s.media[1].port, 0);
	CHECK_INT(s.media[1].addr.family, 6);
	CHECK(memcmp(s.media[1].addr.a, v6_2, 16) == 0);
	CHECK_INT(s.media[1].dir, CT_SDP_SENDRECV);
	CHECK_STR(s.media[1].codecs[0].name, "PCMA");
	/* port/count: count ignored; dynamic PT without rtpmap */
	CHECK_INT(s.media[2].port, 51372);
	CHECK(memcmp(s.media[2].addr.a, v6_99, 16) == 0);
	CHECK_INT(s.media[2].dir, CT_SDP_SENDONLY);
	CHECK_INT(s.media[2].n_codecs, 1);
	CHECK_INT(s.media[2].codecs[0].pt, 99);
	CHECK_STR(s.media[2].codecs[0].name, "");
	CHECK_INT(s.media[2].codecs[0].rate, 0);
	/* non-RTP media: no codecs */
	CHECK_STR(s.media[3].type, "image");
	CHECK_STR(s.media[3].proto, "udptl");
	CHECK_INT(s.media[3].n_codecs, 0);
	/* the a=sendonly after the dropped m= line applies to nothing */
	CHECK_INT(s.media[3].dir, CT_SDP_SENDRECV);
	/* a c= that is no address leaves the media address unset */
	CHECK_INT(s.media[4].port, 5004);
	CHECK_INT(s.media[4].addr.family, 0);
}

static const char sdp_sess_dir[] =
	"v=0\r\n"
	"a=sendonly\r\n"
	"c=IN IP4 198.51.100.1\r\n"
	"m=audio 1000 RTP/AVP 0\r\n"
	"m=audio 1002 RTP/AVP 0\r\n"
	"a=sendrecv\r\n";

static void test_session_dir(void)
{
	struct ct_sdp s;

	CHECK_INT(ct_sdp_parse(S(sdp_sess_dir), &s), CT_OK);
	CHECK_INT(s.n_media, 2);
	CHECK_INT(s.media[0].dir, CT_SDP_SENDONLY);
	CHECK_INT(s.media[1].dir, CT_SDP_SENDRECV);
	CHECK(memcmp(s.media[1].addr.a, "\xc6\x33\x64\x01", 4) == 0);
}

static void test_caps(void)
{
	char buf[2048];
	struct ct_sdp s;
	size_t n = 0;
	int i;

	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	    "v=0\r\nm=audio 2000 RTP/AVP");
	for (i = 0; i < 20; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, " %d", 96 + i);
	n += (size_t)snprintf(buf + n, sizeof(buf) - n,
	    "\r\na=rtpmap:96 AMR/8000\r\na=rtpmap:115 AMR-WB/16000\r\n");
	for (i = 0; i < 12; i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "m=audio %d RTP/AVP 0\r\na=ptime:%d\r\n", 3000 + i, 10 + i);
	CHECK_INT(ct_sdp_parse(buf, n, &s), CT_OK);
	CHECK_INT(s.n_media, CT_SDP_MAX_MEDIA);
	CHECK_INT(s.media[0].n_codecs, CT_SDP_MAX_CODECS);
	CHECK_INT(s.media[0].codecs[0].pt, 96);
	CHECK_STR(s.media[0].codecs[0].name, "AMR");
	CHECK_INT(s.media[0].codecs[15].pt, 111);
	CHECK_INT(s.media[1].port, 3000);
	CHECK_INT(s.media[7].port, 3006);
	CHECK_INT(s.media[7].ptime, 16);
}

static const struct {
	const char *in;
	size_t len;
	int want;
	uint8_t n_media;
} misc_vecs[] = {
	{ S(""), CT_ERR, 0 },
	{ S("hello world\r\nthis is not sdp\r\n"), CT_ERR, 0 },
	{ S("\x80\x08\x00\x01garbage=\r\n"), CT_ERR, 0 },
	{ S("a=sendrecv\r\nc=IN IP4 1.2.3.4\r\n"), CT_ERR, 0 },
	{ S("v=0"), CT_OK, 0 },
	{ S("m=audio 1 RTP/AVP 0"), CT_OK, 1 },
	{ S("v=0\r\nm=\r\nm=audio\r\nm=audio 5\r\nm=audio x RTP/AVP 0\r\n"), CT_OK, 0 },
	{ S("v=0\r\nm=audio 5 RTP/AVP\r\n"), CT_OK, 1 },
	{ S("v=0\r\nm=audio 5 RTP/AVP 128 -1 abc 7\r\n"), CT_OK, 1 },
	{ S("v=0\r\nm=audio 5 RTP/AVP 0\r\na=rtpmap:0\r\na=rtpmap:0 X\r\na=rtpmap:x X/1\r\n"
	    "a=rtpmap:0 /8000\r\na=ptime:\r\na=rtpmap:0 Y/9\r\n"), CT_OK, 1 },
};

static void test_misc(void)
{
	struct ct_sdp s;
	size_t i;

	for (i = 0; i < sizeof(misc_vecs) / sizeof(misc_vecs[0]); i++) {
		CHECK_INT(ct_sdp_parse(misc_vecs[i].in, misc_vecs[i].len, &s), misc_vecs[i].want);
		CHECK_INT(s.n_media, misc_vecs[i].n_media);
	}
	CHECK_INT(ct_sdp_parse(NULL, 0, &s), CT_ERR);
	/* only PT 7 of "128 -1 abc 7" is a payload type */
	ct_sdp_parse(misc_vecs[8].in, misc_vecs[8].len, &s);
	CHECK_INT(s.media[0].n_codecs, 1);
	CHECK_STR(s.media[0].codecs[0].name, "LPC");
	/* malformed rtpmaps are ignored, the last good one wins */
	ct_sdp_parse(misc_vecs[9].in, misc_vecs[9].len, &s);
	CHECK_STR(s.media[0].codecs[0].name, "Y");
	CHECK_INT(s.media[0].codecs[0].rate, 9);
	CHECK_INT(s.media[0].ptime, 0);
}

static void test_static_table(void)
{
	static const struct {
		uint8_t pt;
		const char *name;
		uint32_t rate;
	} vecs[] = {
		{ 0, "PCMU", 8000 }, { 3, "GSM", 8000 }, { 4, "G723", 8000 },
		{ 5, "DVI4", 8000 }, { 6, "DVI4", 16000 }, { 7, "LPC", 8000 },
		{ 8, "PCMA", 8000 }, { 9, "G722", 8000 }, { 10, "L16", 44100 },
		{ 11, "L16", 44100 }, { 12, "QCELP", 8000 }, { 13, "CN", 8000 },
		{ 14, "MPA", 90000 }, { 15, "G728", 8000 }, { 16, "DVI4", 11025 },
		{ 17, "DVI4", 22050 }, { 18, "G729", 8000 }, { 25, "CelB", 90000 },
		{ 26, "JPEG", 90000 }, { 28, "nv", 90000 }, { 31, "H261", 90000 },
		{ 32, "MPV", 90000 }, { 33, "MP2T", 90000 }, { 34, "H263", 90000 },
		{ 1, NULL, 7 }, { 2, NULL, 7 }, { 19, NULL, 7 }, { 24, NULL, 7 },
		{ 35, NULL, 7 }, { 96, NULL, 7 }, { 127, NULL, 7 }, { 255, NULL, 7 },
	};
	size_t i;
	uint32_t rate;
	struct ct_sdp s;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		rate = 7;
		CHECK_STR(ct_rtp_static_codec(vecs[i].pt, &rate), vecs[i].name);
		CHECK_INT(rate, vecs[i].rate);
	}
	CHECK_STR(ct_rtp_static_codec(8, NULL), "PCMA");
	CHECK_INT(ct_sdp_parse(S("v=0\r\nm=audio 9 RTP/AVP 10\r\n"), &s), CT_OK);
	CHECK_INT(s.media[0].codecs[0].channels, 2);
}

/* ---- guard-page test ----------------------------------------------------- */

struct guard {
	char *page;   /* readable page; the next one is PROT_NONE */
	size_t size;  /* page size */
};

static bool guard_init(struct guard *g)
{
	long ps = sysconf(_SC_PAGESIZE);
	void *p;

	g->size = ps > 0 ? (size_t)ps : 4096;
	p = mmap(NULL, 2 * g->size, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return false;
	g->page = p;
	return mprotect(g->page + g->size, g->size, PROT_NONE) == 0;
}

/* Copies src[0..n) so that it ends exactly at the guard page. */
static const char *guard_copy(struct guard *g, const char *src, size_t n)
{
	char *dst = g->page + g->size - n;

	memcpy(dst, src, n);
	return dst;
}

/* Runs every byte parser on each prefix of src; returns a checksum of results. */
static long guard_run(struct guard *g, const char *src, size_t n)
{
	struct ct_sdp sdp;
	size_t i, skip;
	long sum = 0;
	const char *p;

	for (i = 0; i <= n && i <= g->size; i++) {
		p = guard_copy(g, src, i);
		sum += ct_sdp_parse(p, i, &sdp);
		sum += (long)ct_sip_frame(p, i, &skip) + (long)skip;
		sum += ct_sip_looks_like(p, i);
		sum += (long)ct_sip_resync(p, i);
	}
	return sum;
}

static const char sip_invite[] =
	"INVITE sip:+4930123@pbx.example.net;user=phone SIP/2.0\r\n"
	"Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-524287-1\r\n"
	"f: \"Anna\" <sip:anna@example.net>;tag=abc\r\n"
	"t: <tel:+4930123>\r\n"
	"i: 1-2-3@192.0.2.10\r\n"
	"CSeq: 1 INVITE\r\n"
	"c: application/sdp\r\n"
	"l: 25\r\n"
	"\r\n"
	"v=0\r\n"
	"m=audio 4 RTP/AVP 0\n";

static void test_guard_page(void)
{
	struct guard g;

	if (!guard_init(&g)) {
		CHECK(!"guard page setup");
		return;
	}
	/* completing without a fault is the test; results are still checked */
	CHECK(guard_run(&g, S(sdp_av)) != 0);
	CHECK(guard_run(&g, S(sdp_dtmf)) != 0);
	CHECK(guard_run(&g, S(sdp_v6)) != 0);
	CHECK(guard_run(&g, S(sip_invite)) != 0);
	CHECK(guard_run(&g, S("SIP/2.0 180 Ringing\r\nContent-Length: 0\r\n\r\n")) != 0);
	CHECK(guard_run(&g, S("\r\n\r\nBYE sip:a@b SIP/2.0\nl:0\n\n")) != 0);
	CHECK_INT(ct_sip_frame(guard_copy(&g, S(sip_invite)), sizeof(sip_invite) - 1,
	    &(size_t){ 0 }), sizeof(sip_invite) - 1);
	munmap(g.page, 2 * g.size);
}

/* a=fmtp octet-align=1 (RFC 4867 §8.1) marks its payload type only; 0 or absent: not. */
static const char sdp_amr[] =
	"v=0\r\n"
	"o=- 1 1 IN IP4 192.0.2.1\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.1\r\n"
	"t=0 0\r\n"
	"m=audio 4000 RTP/AVP 96 97 98 99 0\r\n"
	"a=fmtp:96 mode-change-capability=2; octet-align=1 ;max-red=0\r\n"
	"a=rtpmap:96 AMR-WB/16000/1\r\n"
	"a=rtpmap:97 AMR-WB/16000/1\r\n"
	"a=fmtp:97 mode-change-capability=2;max-red=0\r\n"
	"a=rtpmap:98 AMR/8000\r\n"
	"a=fmtp:98 octet-align=0\r\n"
	"a=rtpmap:99 AMR/8000\r\n"
	"a=fmtp:99 octet-align=1\r\n";

static void test_fmtp(void)
{
	struct ct_sdp s;
	const struct ct_sdp_media *a = &s.media[0];

	CHECK_INT(ct_sdp_parse(S(sdp_amr), &s), CT_OK);
	CHECK_INT(a->n_codecs, 5);
	CHECK_STR(a->codecs[0].name, "AMR-WB");
	CHECK_INT(a->codecs[0].rate, 16000);
	CHECK_INT(a->codecs[0].fmt, CT_SDP_OCTET_ALIGN);
	CHECK_INT(a->codecs[1].fmt, 0);
	CHECK_STR(a->codecs[2].name, "AMR");
	CHECK_INT(a->codecs[2].fmt, 0);
	CHECK_INT(a->codecs[3].fmt, CT_SDP_OCTET_ALIGN);
	CHECK_INT(a->codecs[4].fmt, 0);
}

/*
 * c= addresses: the dotted-quad fast path (ipv4.h) and ct_addr_parse give
 * the same address for every text, taken or not (leading zeros, 256, three
 * or five parts, a TTL, IPv6, names).
 */
static void test_conn_addr(void)
{
	static const char *const addrs[] = {
		"192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.5/127/2", "1.2.3.4/", "01.2.3.4",
		"1.02.3.4", "1.2.3.04", "1.2.3.256", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..3.4",
		".1.2.3", "1.2.3.", "1.2.3.4a", "1.2.3.-4", "1000.2.3.4", "2001:db8::1",
		"::ffff:192.0.2.1", "[2001:db8::2]", "host.example", "0.0.0.00", "9.9.9.9",
		"199.200.201.255", "1.2.3.4 ", "1.2.3.4\t",
	};
	char text[160], want_s[64], got_s[64];
	struct ct_sdp sdp;
	struct ct_addr want;
	size_t i;

	for (i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		size_t n = (size_t)snprintf(text, sizeof(text),
		    "v=0\r\nc=IN IP4 %s\r\nm=audio 4000 RTP/AVP 0\r\n", addrs[i]);
		char a[64];
		const char *slash = strchr(addrs[i], '/');
		size_t an = slash != NULL ? (size_t)(slash - addrs[i]) : strlen(addrs[i]);

		CHECK_INT(ct_sdp_parse(text, n, &sdp), CT_OK);
		/* what the SDP parser gave before the fast path: ct_addr_parse of the
		 * token up to '/' (blanks end the token), else unset */
		snprintf(a, sizeof(a), "%.*s", (int)an, addrs[i]);
		a[strcspn(a, " \t")] = '\0';
		memset(&want, 0, sizeof(want));
		if (ct_addr_parse(&want, a) != 0)
			memset(&want, 0, sizeof(want));
		CHECK(memcmp(&sdp.conn, &want, sizeof(want)) == 0);
		CHECK(memcmp(&sdp.media[0].addr, &want, sizeof(want)) == 0);
		if (memcmp(&sdp.conn, &want, sizeof(want)) != 0)
			fprintf(stderr, "  c= %s: got %s, want %s\n", addrs[i],
			    ct_addr_str(&sdp.conn, got_s, sizeof(got_s)),
			    ct_addr_str(&want, want_s, sizeof(want_s)));
	}
}

/*
 * ct_sdp_parse zeroes only the header and the media it fills: parsing
 * into a struct full of garbage gives the same conn, n_media and media
 * as into a zeroed one, for bodies with 0, 1, 2 and 9 (over the cap) m=
 * lines, session and media c=, rtpmap and direction.
 */
static void test_no_full_zero(void)
{
	static const char *const bodies[] = {
		"v=0\r\ns=-\r\n",
		"v=0\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n",
		"v=0\r\nm=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.2\r\nm=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n",
		"v=0\r\nm=audio 1 RTP/AVP 0\r\nm=audio 2 RTP/AVP 0\r\nm=audio 3 RTP/AVP 0\r\nm=audio 4 RTP/AVP 0\r\n"
		    "m=audio 5 RTP/AVP 0\r\nm=audio 6 RTP/AVP 0\r\nm=audio 7 RTP/AVP 0\r\nm=audio 8 RTP/AVP 0\r\n"
		    "m=audio 9 RTP/AVP 0\r\n",
	};
	static struct ct_sdp a, b;
	size_t i;

	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		memset(&a, 0, sizeof(a));
		memset(&b, 0xa5, sizeof(b));
		CHECK_INT(ct_sdp_parse(bodies[i], strlen(bodies[i]), &a),
		    ct_sdp_parse(bodies[i], strlen(bodies[i]), &b));
		CHECK(memcmp(&a.conn, &b.conn, sizeof(a.conn)) == 0);
		CHECK_INT(a.n_media, b.n_media);
		CHECK(memcmp(a.media, b.media, a.n_media * sizeof(a.media[0])) == 0);
	}
	CHECK_INT(a.n_media, CT_SDP_MAX_MEDIA);
}

/*
 * m= <port>/<number of ports> (RFC 8866 §5.14): the count is kept, 1 when
 * absent or malformed (the port itself still counts), cut so that the
 * last RTP port (port + 2 * (n - 1)) is <= 65535.
 */
static const struct {
	const char *port;     /* the m= line's port token */
	int n_media;          /* 0: the line is no media */
	uint16_t want_port;
	uint16_t want_n;
} port_vecs[] = {
	{ "5000", 1, 5000, 1 },
	{ "5000/1", 1, 5000, 1 },
	{ "5000/2", 1, 5000, 2 },
	{ "49170/8", 1, 49170, 8 },
	{ "5000/9", 1, 5000, 9 },            /* kept: media.c caps what it registers */
	{ "5000/65535", 1, 5000, 30268 },    /* (65535 - 5000) / 2 + 1 */
	{ "65534/2", 1, 65534, 1 },          /* 65536 is no port */
	{ "65533/2", 1, 65533, 2 },          /* 65535 is */
	{ "65535/3", 1, 65535, 1 },
	{ "0/2", 1, 0, 2 },                  /* rejected stream: the count means nothing */
	{ "5000/0", 1, 5000, 1 },            /* malformed counts: the first port only */
	{ "5000/", 1, 5000, 1 },
	{ "5000/x", 1, 5000, 1 },
	{ "5000/-2", 1, 5000, 1 },
	{ "5000/2/3", 1, 5000, 1 },
	{ "5000/65536", 1, 5000, 1 },
	{ "5000/00000000002", 1, 5000, 1 },  /* 11 digits */
	{ "5000/0000000002", 1, 5000, 2 },
	{ "x/2", 0, 0, 0 },
	{ "/2", 0, 0, 0 },
	{ "65536/1", 0, 0, 0 },
};

static void test_port_count(void)
{
	char buf[256];
	struct ct_sdp s;
	size_t i;
	int n;

	for (i = 0; i < sizeof(port_vecs) / sizeof(port_vecs[0]); i++) {
		n = snprintf(buf, sizeof(buf), "v=0\r\nc=IN IP4 192.0.2.1\r\n"
		    "m=audio %s RTP/AVP 0\r\na=rtcp:7000\r\n", port_vecs[i].port);
		CHECK_INT(ct_sdp_parse(buf, (size_t)n, &s), CT_OK);
		CHECK_INT(s.n_media, port_vecs[i].n_media);
		if (s.n_media != 1 || port_vecs[i].n_media != 1)
			continue;
		CHECK_INT(s.media[0].port, port_vecs[i].want_port);
		CHECK_INT(s.media[0].n_ports, port_vecs[i].want_n);
		CHECK_INT(s.media[0].rtcp_port, 7000);
		CHECK_INT(s.media[0].n_codecs, 1);
		CHECK_STR(s.media[0].proto, "RTP/AVP");
	}
	/* Each m= line has its own count; a session-level line gives none. */
	n = snprintf(buf, sizeof(buf), "v=0\r\nc=IN IP4 192.0.2.1\r\n"
	    "m=audio 5000/2 RTP/AVP 0\r\nm=video 6000 RTP/AVP 31\r\nm=video 7000/3 RTP/AVP 31\r\n");
	CHECK_INT(ct_sdp_parse(buf, (size_t)n, &s), CT_OK);
	CHECK_INT(s.n_media, 3);
	CHECK_INT(s.media[0].n_ports, 2);
	CHECK_INT(s.media[1].n_ports, 1);
	CHECK_INT(s.media[2].n_ports, 3);
	CHECK_INT(s.media[2].port, 7000);
}

/* Number bounds of span_uint: ports, payload types, rates at and past their maximum. */
static void test_number_bounds(void)
{
	static const char body[] =
	    "v=0\r\nc=IN IP4 192.0.2.1\r\n"
	    "m=audio 65535 RTP/AVP 127 128 0000000008 00000000000\r\n"
	    "a=rtpmap:127 X/4294967295\r\na=ptime:65535\r\na=rtcp:65536\r\n"
	    "m=audio 65536 RTP/AVP 0\r\n"
	    "m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 Y/4294967296\r\na=ptime:65536\r\na=rtcp:65535\r\n";
	struct ct_sdp sdp;

	CHECK_INT(ct_sdp_parse(body, sizeof(body) - 1, &sdp), CT_OK);
	CHECK_INT(sdp.n_media, 2);                 /* port 65536: no media */
	CHECK_INT(sdp.media[0].port, 65535);
	CHECK_INT(sdp.media[0].n_codecs, 2);       /* 127 and 0000000008; 128 and 11 digits not */
	CHECK_INT(sdp.media[0].codecs[0].pt, 127);
	CHECK_STR(sdp.media[0].codecs[0].name, "X");
	CHECK(sdp.media[0].codecs[0].rate == 4294967295u);
	CHECK_INT(sdp.media[0].codecs[1].pt, 8);
	CHECK_INT(sdp.media[0].ptime, 65535);
	CHECK_INT(sdp.media[0].rtcp_port, 0);
	CHECK_INT(sdp.media[1].port, 4000);
	CHECK_INT(sdp.media[1].codecs[0].rate, 0); /* rate past 32 bits: rtpmap ignored */
	CHECK_INT(sdp.media[1].ptime, 0);
	CHECK_INT(sdp.media[1].rtcp_port, 65535);
}

/*
 * Tokens of every length from 1 to 40 bytes ended by a space, a tab or the
 * line end (next_token's eight-byte blank search and its tail), with bytes
 * over 0x7f and control bytes inside: the rtpmap name is the token up to
 * its '/', cut to the field.
 */
static void test_token_lengths(void)
{
	char body[256], want[64];
	struct ct_sdp sdp;
	size_t len, k;

	for (len = 1; len <= 40; len++) {
		for (k = 0; k < 3; k++) {
			char name[48];
			size_t i, n;

			for (i = 0; i < len; i++)
				name[i] = (char)(i % 5 == 3 ? 0xe9 : i % 7 == 5 ? 0x01 : 'a' + (int)(i % 26));
			name[len] = '\0';
			n = (size_t)snprintf(body, sizeof(body), "v=0\r\nm=audio 4000 RTP/AVP 96\r\n"
			    "a=rtpmap:96%s%s/8000%s", k == 1 ? "\t" : " ", name,
			    k == 0 ? " x\r\n" : k == 1 ? "\tx\r\n" : "\r\n");
			CHECK_INT(ct_sdp_parse(body, n, &sdp), CT_OK);
			snprintf(want, sizeof(want), "%.*s", (int)sizeof(sdp.media[0].codecs[0].name) - 1,
			    name);
			CHECK_STR(sdp.media[0].codecs[0].name, want);
			CHECK_INT(sdp.media[0].codecs[0].rate, 8000);
		}
	}
}

/*
 * SRTP m= protos (RFC 3711 RTP/SAVP, RFC 5124 RTP/SAVPF, RFC 5764
 * UDP/TLS/RTP/SAVP[F]) flag the line and each of its codecs CT_SDP_SRTP
 * (their payloads are encrypted); others do not, nor a proto that only
 * starts like one.
 */
static void test_srtp(void)
{
	static const struct {
		const char *proto;
		bool srtp;
	} cases[] = {
		{ "RTP/AVP", false }, { "RTP/SAVP", true }, { "RTP/SAVPF", true },
		{ "UDP/TLS/RTP/SAVP", true }, { "UDP/TLS/RTP/SAVPF", true }, { "RTP/AVPF", false },
		{ "RTP/SAVPFX", false }, { "SAVP", true }, { "udptl", false }, { "RTP/savp", false },
		{ "TCP/TLS/RTP/SAVPF", true }, { "RTP/SAV", false },
	};
	char body[256];
	struct ct_sdp sdp;
	size_t i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = (size_t)snprintf(body, sizeof(body), "v=0\r\nc=IN IP4 192.0.2.1\r\n"
		    "m=audio 4000 %s 0 111\r\na=rtpmap:111 opus/48000/2\r\n"
		    "m=audio 5000 RTP/AVP 0\r\n", cases[i].proto);
		CHECK_INT(ct_sdp_parse(body, n, &sdp), CT_OK);
		CHECK_INT(sdp.n_media, 2);
		CHECK_STR(sdp.media[0].proto, cases[i].proto);
		CHECK_INT(sdp.media[0].srtp, cases[i].srtp);
		CHECK_INT(sdp.media[0].n_codecs, 2);
		CHECK_INT(sdp.media[0].codecs[0].fmt, cases[i].srtp ? CT_SDP_SRTP : 0);
		CHECK_INT(sdp.media[0].codecs[1].fmt, cases[i].srtp ? CT_SDP_SRTP : 0);
		CHECK_INT(sdp.media[1].srtp, false);
		CHECK_INT(sdp.media[1].codecs[0].fmt, 0);
	}
}

/* c= spellings around parse_conn's "IN IP4 " shortcut. */
static void test_conn_spellings(void)
{
	static const struct { const char *line; const char *addr; } v[] = {
		{ "c=IN IP4 192.0.2.1", "192.0.2.1" }, { "c=IN IP4  192.0.2.1", "192.0.2.1" },
		{ "c=IN\tIP4\t192.0.2.1", "192.0.2.1" }, { "c= IN IP4 192.0.2.1", "192.0.2.1" },
		{ "c=IN IP4 192.0.2.1/127", "192.0.2.1" }, { "c=IN IP4 ", NULL }, { "c=IN IP4", NULL },
		{ "c=IN IP41.2.3.4", NULL }, { "c=IN IP6 2001:db8::1", "2001:db8::1" },
		{ "c=IN IP6 192.0.2.1", "192.0.2.1" }, { "c=in ip4 192.0.2.1", NULL },
		{ "c=IN IP4 192.0.2.1 extra", "192.0.2.1" }, { "c=IN IP4 \t192.0.2.1", "192.0.2.1" },
	};
	char body[128], b[64];
	struct ct_sdp sdp;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = (size_t)snprintf(body, sizeof(body), "v=0\r\n%s\r\nm=audio 4000 RTP/AVP 0\r\n",
		    v[i].line);

		CHECK_INT(ct_sdp_parse(body, n, &sdp), CT_OK);
		if (v[i].addr == NULL)
			CHECK_INT(sdp.conn.family, 0);
		else
			CHECK_STR(ct_addr_str(&sdp.conn, b, sizeof(b)), v[i].addr);
	}
}

int main(void)
{
	test_audio_video();
	test_fmtp();
	test_telephone_event();
	test_v6_media_conn_port0();
	test_session_dir();
	test_caps();
	test_misc();
	test_static_table();
	test_guard_page();
	test_conn_addr();
	test_no_full_zero();
	test_number_bounds();
	test_port_count();
	test_token_lengths();
	test_conn_spellings();
	test_srtp();
	return TEST_REPORT();
}
