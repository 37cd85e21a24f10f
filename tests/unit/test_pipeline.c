/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The pipeline (--threads N, src/pipeline.c) against the engine alone: the
 * same synthetic trunk (answered calls with SDP and RTP both ways, a
 * message only libosip2 reads, a frame larger than a batch, a truncated
 * frame) fed to ct_engine_frame and through ct_pipeline_frame with 1 and 3
 * workers and batches of 1, 5 and 256 frames gives the same counters, and
 * they hold the values the trunk was built with.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/pipeline.h"
#include "test.h"

#define CALLS 12
#define RTP_EACH 40            /* RTP packets each way per call */
#define BIG 100000             /* a frame larger than a batch's buffer */

struct trunk {
	struct ct_frame *f;
	size_t n, cap;
};

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

/* Appends an Ethernet/IPv4/UDP frame from 10.0.0.s:sp to 10.0.0.d:dp carrying pl. */
static void add_udp(struct trunk *t, int64_t ts, int s, uint16_t sp, int d, uint16_t dp,
    const void *pl, size_t len, size_t caplen_cut)
{
	uint8_t *fr = calloc(1, 42 + len);
	struct ct_frame *f;

	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 256;
		t->f = realloc(t->f, t->cap * sizeof(*t->f));
	}
	fr[12] = 0x08;                  /* IPv4 */
	fr[14] = 0x45;
	put16(fr + 16, (uint16_t)(20 + 8 + len > 65535 ? 65535 : 20 + 8 + len));
	fr[22] = 64;
	fr[23] = 17;                    /* UDP */
	fr[26] = 10; fr[29] = (uint8_t)s;
	fr[30] = 10; fr[33] = (uint8_t)d;
	put16(fr + 34, sp);
	put16(fr + 36, dp);
	put16(fr + 38, (uint16_t)(8 + len > 65535 ? 0 : 8 + len));
	memcpy(fr + 42, pl, len);
	f = &t->f[t->n++];
	f->ts_us = ts;
	f->linktype = 1;
	f->wirelen = (uint32_t)(42 + len);
	f->caplen = caplen_cut ? (uint32_t)caplen_cut : f->wirelen;
	f->data = fr;
}

/* head: the message's headers (FMT of ADD_SIP with the call number in); sdp: body or NULL. */
static void add_sip_text(struct trunk *t, int64_t ts, int s, int d, const char *head,
    const char *sdp)
{
	char msg[2048];
	size_t blen = sdp ? strlen(sdp) : 0;

	snprintf(msg, sizeof(msg), "%sContent-Length: %zu\r\n\r\n%s", head, blen, sdp ? sdp : "");
	add_udp(t, ts, s, 5060, d, 5060, msg, strlen(msg), 0);
}

#define ADD_SIP(t, ts, s, d, FMT, i, sdp) do { \
	char head_[1024]; \
	snprintf(head_, sizeof(head_), FMT, i, i, i, i); \
	add_sip_text(t, ts, s, d, head_, sdp); \
} while (0)

static void add_rtp(struct trunk *t, int64_t ts, int s, uint16_t sp, int d, uint16_t dp,
    uint32_t ssrc, uint16_t seq)
{
	uint8_t p[172];

	memset(p, 0xff, sizeof(p));
	p[0] = 0x80;
	p[1] = 0;                      /* PCMU */
	put16(p + 2, seq);
	put16(p + 4, 0);
	put16(p + 6, (uint16_t)(seq * 160u));
	p[8] = (uint8_t)(ssrc >> 24); p[9] = (uint8_t)(ssrc >> 16);
	p[10] = (uint8_t)(ssrc >> 8); p[11] = (uint8_t)ssrc;
	add_udp(t, ts, s, sp, d, dp, p, sizeof(p), 0);
}

#define INVITE \
    "INVITE sip:200@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 1 INVITE\r\nContact: <sip:100@10.0.0.1>\r\nContent-Type: application/sdp\r\nX-N: %d\r\n"
/* a stray CR in the To header: the pre-scan leaves the message to libosip2 */
#define INVITE_FOLDED \
    "INVITE sip:200@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>\r\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 1 INVITE\r\nContact: <sip:100@10.0.0.1>\r\nContent-Type: application/sdp\r\nX-N: %d\r\n"
#define OK200 \
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>;tag=b%d\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 1 INVITE\r\nContact: <sip:200@10.0.0.2>\r\nContent-Type: application/sdp\r\n"
#define ACK \
    "ACK sip:200@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>;tag=b%d\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 1 ACK\r\n"
#define BYE \
    "BYE sip:200@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKb%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>;tag=b%d\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 2 BYE\r\n"
#define BYE_OK \
    "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKb%d\r\n" \
    "From: <sip:100@10.0.0.1>;tag=a%d\r\nTo: <sip:200@10.0.0.2>;tag=b%d\r\nCall-ID: c%d@x\r\n" \
    "CSeq: 2 BYE\r\n"

static void build(struct trunk *t)
{
	const int64_t t0 = INT64_C(1700000000000000);
	char sdp_a[256], sdp_b[256];
	static uint8_t big[BIG];
	int i, k;

	for (i = 0; i < CALLS; i++) {
		int64_t ts = t0 + (int64_t)i * 300000;
		uint16_t pa = (uint16_t)(20000 + 2 * i), pb = (uint16_t)(30000 + 2 * i);

		snprintf(sdp_a, sizeof(sdp_a), "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\n"
		    "c=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n", pa);
		snprintf(sdp_b, sizeof(sdp_b), "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\n"
		    "c=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio %u RTP/AVP 0\r\n", pb);
		if (i == 3)
			ADD_SIP(t, ts, 1, 2, INVITE_FOLDED, i, sdp_a);
		else
			ADD_SIP(t, ts, 1, 2, INVITE, i, sdp_a);
		ADD_SIP(t, ts + 1000, 2, 1, OK200, i, sdp_b);
		ADD_SIP(t, ts + 2000, 1, 2, ACK, i, NULL);
		for (k = 0; k < RTP_EACH; k++) {
			add_rtp(t, ts + 3000 + k * 20000, 1, pa, 2, pb, 0x1000u + (uint32_t)i,
			    (uint16_t)k);
			add_rtp(t, ts + 3010 + k * 20000, 2, pb, 1, pa, 0x2000u + (uint32_t)i,
			    (uint16_t)k);
			if (i == 5 && k == 7)   /* a frame larger than a batch, not RTP */
				add_udp(t, ts + 3020 + k * 20000, 7, 9999, 8, 9999, big, BIG, 0);
			if (i == 6 && k == 9) {   /* cut short: the decoder refuses it */
				add_rtp(t, ts + 3030 + k * 20000, 1, pa, 2, pb, 0x1000u, 1);
				t->f[t->n - 1].caplen = 20;
			}
		}
		ADD_SIP(t, ts + 3000 + RTP_EACH * 20000, 1, 2, BYE, i, NULL);
		ADD_SIP(t, ts + 3100 + RTP_EACH * 20000, 2, 1, BYE_OK, i, NULL);
	}
}

/* Runs the trunk through a fresh engine (workers 0: ct_engine_frame) into st. */
static void run(const struct trunk *t, unsigned workers, struct ct_engine_stats *st)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_engine *e = ct_engine_new(NULL, errbuf);
	struct ct_pipeline *p = NULL;
	size_t i;

	CHECK(e != NULL);
	if (e == NULL)
		return;
	if (workers > 0) {
		p = ct_pipeline_new(e, workers, false, errbuf);
		CHECK(p != NULL);
	}
	for (i = 0; i < t->n; i++) {
		if (p != NULL)
			(void)ct_pipeline_frame(p, &t->f[i]);
		else
			(void)ct_engine_frame(e, &t->f[i]);
	}
	if (p != NULL) {
		struct ct_pipeline_stats ps;

		(void)ct_pipeline_drain(p);
		ct_pipeline_get_stats(p, &ps);
		CHECK_INT(ps.frames + ps.direct, t->n);
		ct_pipeline_free(p);
	}
	CHECK_INT(ct_engine_finish(e), CT_OK);
	ct_engine_get_stats(e, st);
	ct_engine_free(e);
}

int main(void)
{
	static const struct { unsigned workers; const char *frames; } cases[] = {
		{ 1, "1" }, { 1, "5" }, { 3, "5" }, { 1, NULL }, { 3, NULL },
	};
	char errbuf[CT_ERRBUF_SIZE];
	struct trunk t = { NULL, 0, 0 };
	struct ct_engine_stats one, st;
	size_t i;

	build(&t);
	run(&t, 0, &one);
	/* the values the trunk was built with */
	CHECK_INT(one.c.frames, t.n);
	CHECK_INT(one.c.sip_udp, CALLS * 5);
	CHECK_INT(one.c.records, CALLS);
	CHECK_INT(one.c.rtp_packets, CALLS * RTP_EACH * 2);
	CHECK_INT(one.c.invalid, 2);   /* the cut frame and the one longer than IPv4 allows */
	CHECK_INT(one.c.sip_prescan_skipped, CALLS * 5 - 1);  /* the stray CR: libosip2 */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (cases[i].frames != NULL)
			setenv("CALLTAP_PIPELINE_FRAMES", cases[i].frames, 1);
		else
			unsetenv("CALLTAP_PIPELINE_FRAMES");
		run(&t, cases[i].workers, &st);
		CHECK(memcmp(&st.c, &one.c, sizeof(one.c)) == 0);
		CHECK_INT(st.c.records, one.c.records);
		CHECK_INT(st.c.rtp_packets, one.c.rtp_packets);
		CHECK_INT(st.c.sip_prescan_skipped, one.c.sip_prescan_skipped);
		CHECK_INT(st.dialog.calls, one.dialog.calls);
		CHECK_INT(st.media.packets, one.media.packets);
	}
	/* worker counts outside 1 .. CT_PIPELINE_MAX_WORKERS are refused */
	{
		struct ct_engine *e = ct_engine_new(NULL, errbuf);

		CHECK(ct_pipeline_new(e, 0, false, errbuf) == NULL);
		CHECK(ct_pipeline_new(e, CT_PIPELINE_MAX_WORKERS + 1, false, errbuf) == NULL);
		ct_pipeline_free(NULL);
		ct_engine_free(e);
	}
	for (i = 0; i < t.n; i++)
		free((void *)t.f[i].data);
	free(t.f);
	return TEST_REPORT();
}
