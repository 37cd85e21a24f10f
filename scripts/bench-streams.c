/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Micro-benchmark of the RTP path at scale (issue 16, "many streams"): ns
 * per RTP packet through the whole engine (ct_engine_frame: decode, the
 * stream lookup, sequence, loss, jitter and per-interval accounting) with
 * 1,000, 10,000 and 100,000 concurrent streams.  For S streams it sets up
 * S / 2 answered calls (INVITE and 200 OK with SDP, ACK: real SIP text in
 * Ethernet / IPv4 / UDP frames, RFC 3261 and RFC 4566), then sends rounds of
 * one G.711 packet per stream (RFC 3550 headers, 20 ms apart, the streams
 * of a round interleaved as on a trunk), built in place from a template.
 * The first round, which makes the streams, is not timed: the figure is a
 * packet of a running stream.  The per-packet time is the engine's CPU
 * time over the other rounds (the process's: no other thread runs without
 * sinks or recordings) less the same loop building the frames without the
 * engine.  The packets must all be matched to their
 * calls (rtp_packets), or the run says so and exits 1.
 *
 * Built on demand (make scripts/bench-streams, an EXTRA_PROGRAMS entry);
 * scripts/bench --streams runs it.
 * usage: bench-streams [STREAMS ...]   (default 1000 10000 100000; prints one line per size)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/source.h"

#define T0 INT64_C(1709296496000000)
#define PACKETS_MIN 2000000      /* each size sends at least this many RTP packets */
#define ROUNDS_MIN 20
#define LINKTYPE_ETHERNET 1
#define PBX 0xcb00710a           /* 203.0.113.10 */

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

/* The caller of call i: 10.x.y.z, never the PBX. */
static uint32_t caller_ip(size_t i)
{
	return 0x0a000000u | (uint32_t)(i + 1);
}

static unsigned caller_port(size_t i)
{
	return 16384 + 2 * (unsigned)(i % 8192);
}

/* Call i's media on the PBX side: 25,000 even ports per address, 203.0.113.10 on. */
static uint32_t pbx_ip(size_t i)
{
	return PBX + (uint32_t)(i / 25000);
}

static unsigned pbx_port(size_t i)
{
	return 10000 + 2 * (unsigned)(i % 25000);
}

/* An Ethernet / IPv4 / UDP frame of payload len at buf (zeroed headers); its length. */
static size_t frame(uint8_t *buf, uint32_t src, unsigned sport, uint32_t dst, unsigned dport,
    size_t len)
{
	memset(buf, 0, 42);
	buf[0] = 0x02;
	buf[6] = 0x04;
	put16(buf + 12, 0x0800);
	buf[14] = 0x45;
	put16(buf + 16, (unsigned)(20 + 8 + len));
	buf[22] = 64;
	buf[23] = 17;
	put32(buf + 26, src);
	put32(buf + 30, dst);
	put16(buf + 34, sport);
	put16(buf + 36, dport);
	put16(buf + 38, (unsigned)(8 + len));
	return 42 + len;
}

static void ip_s(char *s, size_t n, uint32_t a)
{
	snprintf(s, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Feeds one SIP message of call i (kind 0 INVITE, 1 200 OK, 2 ACK) at time t. */
static void sip(struct ct_engine *e, size_t i, int kind, int64_t t)
{
	static uint8_t buf[2048];
	char a[16], p[16], m[16], sdp[256], *msg = (char *)buf + 42;
	uint32_t ca = caller_ip(i);
	int n, sl;
	struct ct_frame f;

	ip_s(a, sizeof(a), ca);
	ip_s(p, sizeof(p), PBX);
	ip_s(m, sizeof(m), pbx_ip(i));
	sl = kind == 2 ? 0 : snprintf(sdp, sizeof(sdp),
	    "v=0\r\no=- %zu 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
	    "m=audio %u RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n", i, kind == 0 ? a : m,
	    kind == 0 ? a : m, kind == 0 ? caller_port(i) : pbx_port(i));
	n = snprintf(msg, sizeof(buf) - 42,
	    "%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%zx%s\r\n"
	    "From: <sip:+1555%07zu@%s>;tag=f%zx\r\nTo: <sip:+18005550100@%s>%s\r\n"
	    "Call-ID: bench-%zu@%s\r\nCSeq: 1 %s\r\nContact: <sip:%s:5060>\r\n"
	    "%sContent-Length: %d\r\n\r\n%s",
	    kind == 0 ? "INVITE sip:+18005550100@203.0.113.10 SIP/2.0" :
	    kind == 1 ? "SIP/2.0 200 OK" : "ACK sip:+18005550100@203.0.113.10 SIP/2.0",
	    a, i, kind == 2 ? "a" : "", i % 10000000, a, i, p, kind == 0 ? "" : ";tag=t1", i, a,
	    kind == 2 ? "ACK" : "INVITE", kind == 1 ? p : a,
	    sl > 0 ? "Content-Type: application/sdp\r\n" : "", sl, sl > 0 ? sdp : "");
	f.ts_us = t;
	f.caplen = f.wirelen = (uint32_t)(kind == 1 ? frame(buf, PBX, 5060, ca, 5060, (size_t)n) :
	    frame(buf, ca, 5060, PBX, 5060, (size_t)n));
	f.linktype = LINKTYPE_ETHERNET;
	f.data = buf;
	(void)ct_engine_frame(e, &f);
}

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * RTP rounds first .. first + rounds - 1: with e NULL only the frames are
 * built (the loop's own cost); returns the CPU seconds.  Stream 2i is call
 * i's caller to the PBX, 2i + 1 the PBX to the caller.
 */
static double rtp_rounds(struct ct_engine *e, size_t calls, size_t first, size_t rounds,
    volatile uint32_t *sink)
{
	static uint8_t buf[42 + 12 + 160];
	double t0 = cpu_s();
	size_t r, i;
	int side;
	struct ct_frame f;

	memset(buf + 42 + 12, 0xff, 160);
	f.caplen = f.wirelen = (uint32_t)frame(buf, 0, 0, 0, 0, 12 + 160);
	f.linktype = LINKTYPE_ETHERNET;
	f.data = buf;
	buf[42] = 0x80;
	for (r = first; r < first + rounds; r++)
		for (i = 0; i < calls; i++)
			for (side = 0; side < 2; side++) {
				uint32_t ca = caller_ip(i);

				put32(buf + 26, side == 0 ? ca : pbx_ip(i));
				put32(buf + 30, side == 0 ? pbx_ip(i) : ca);
				put16(buf + 34, side == 0 ? caller_port(i) : pbx_port(i));
				put16(buf + 36, side == 0 ? pbx_port(i) : caller_port(i));
				put16(buf + 44, (unsigned)(r + 1));
				put32(buf + 46, (uint32_t)(r * 160));
				put32(buf + 50, (uint32_t)(2 * i + (size_t)side + 1));
				f.ts_us = T0 + 1000000 + (int64_t)r * 20000 +
				    (int64_t)(i * 20000 / calls) + side;
				if (e != NULL)
					(void)ct_engine_frame(e, &f);
				else
					*sink += buf[31] + buf[45];
			}
	return cpu_s() - t0;
}

static int run(size_t streams)
{
	size_t calls = streams / 2, rounds = PACKETS_MIN / (calls * 2), i;
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_engine_cfg cfg;
	struct ct_engine *e;
	volatile uint32_t sink = 0;
	double engine, build;
	uint64_t want, got;

	if (rounds < ROUNDS_MIN)
		rounds = ROUNDS_MIN;
	ct_engine_cfg_default(&cfg);
	if (cfg.dialog.max_dialogs < calls)
		cfg.dialog.max_dialogs = calls;
	if ((e = ct_engine_new(&cfg, errbuf)) == NULL) {
		fprintf(stderr, "bench-streams: %s\n", errbuf);
		return 1;
	}
	for (i = 0; i < calls; i++) {
		int64_t t = T0 + (int64_t)(i * 1000000 / calls);

		sip(e, i, 0, t);
		sip(e, i, 1, t + 100);
		sip(e, i, 2, t + 200);
	}
	(void)rtp_rounds(e, calls, 0, 1, &sink);   /* the streams' first packets make them */
	engine = rtp_rounds(e, calls, 1, rounds, &sink);
	build = rtp_rounds(NULL, calls, 1, rounds, &sink);
	want = (uint64_t)calls * 2 * (rounds + 1);
	got = ct_engine_counters(e)->rtp_packets;
	printf("streams %zu calls %zu rounds %zu packets %llu matched %llu  "
	    "ns/packet %.1f (engine %.3f s, frame building %.3f s)%s\n",
	    calls * 2, calls, rounds, (unsigned long long)want, (unsigned long long)got,
	    (engine - build) * 1e9 / (double)(calls * 2 * rounds), engine, build,
	    got == want ? "" : "  NOT ALL MATCHED");
	fflush(stdout);
	ct_engine_finish(e);
	ct_engine_free(e);
	return got == want ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const size_t sizes[] = { 1000, 10000, 100000 };
	int i, rc = 0;

	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			long v = atol(argv[i]);

			if (v < 2) {
				fprintf(stderr, "usage: bench-streams [STREAMS ...]\n");
				return 2;
			}
			rc |= run((size_t)v);
		}
		return rc;
	}
	for (i = 0; i < 3; i++)
		rc |= run(sizes[i]);
	return rc;
}
