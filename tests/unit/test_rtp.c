/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of src/rtp/rtp.c, stream.c and mos.c: RTP/RTCP header vectors
 * (CSRC, extension, padding, malformed), stream statistics against a naive
 * reference model over generated traffic (loss, duplicates, reordering,
 * sequence wrap, arrival jitter), RFC 4733 digits and E-model MOS points.
 * References: RFC 3550 §5.1, §6.4.1, A.1, A.8; RFC 4733 §2.5; ITU-T G.107.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/dialog.h"
#include "calltap/err.h"
#include "calltap/media.h"
#include "calltap/rtp.h"
#include "calltap/sip.h"
#include "test.h"

#define NEAR(a, b, eps) CHECK(fabs((double)(a) - (double)(b)) <= (eps))

/* ---- header parsing ---------------------------------------------------- */

struct parse_case {
	const char *name;
	uint8_t bytes[40];
	size_t len;
	int rc;
	uint8_t pt, cc;
	uint16_t seq;
	uint32_t ts, ssrc;
	size_t payload_off, payload_len;
	bool marker, ext, pad;
};

static const struct parse_case parse_cases[] = {
	{ "plain", { 0x80, 0x00, 0x12, 0x34, 0, 0, 0x01, 0x40, 0xde, 0xad, 0xbe, 0xef,
	    1, 2, 3, 4 }, 16, CT_OK, 0, 0, 0x1234, 320, 0xdeadbeef, 12, 4, false, false, false },
	{ "marker pt 101", { 0x80, 0xe5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1,
	    9 }, 13, CT_OK, 101, 0, 0xffff, 0xffffffff, 1, 12, 1, true, false, false },
	{ "2 csrc", { 0x82, 0x08, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0xa, 0xa, 0xa, 0xa,
	    0xb, 0xb, 0xb, 0xb, 7, 7 }, 22, CT_OK, 8, 2, 1, 0, 2, 20, 2, false, false, false },
	{ "extension 1 word", { 0x90, 0x00, 0, 5, 0, 0, 0, 9, 0, 0, 0, 3, 0xbe, 0xde, 0, 1,
	    1, 2, 3, 4, 0x55, 0x66 }, 22, CT_OK, 0, 0, 5, 9, 3, 20, 2, false, true, false },
	{ "csrc + extension", { 0x91, 0x00, 0, 5, 0, 0, 0, 9, 0, 0, 0, 3, 1, 1, 1, 1,
	    0x10, 0x00, 0, 0, 0x77 }, 21, CT_OK, 0, 1, 5, 9, 3, 20, 1, false, true, false },
	{ "padding 3", { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0x22, 0, 0, 3 },
	    17, CT_OK, 0, 0, 1, 0, 1, 12, 2, false, false, true },
	{ "padding whole payload", { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 4 },
	    16, CT_OK, 0, 0, 1, 0, 1, 12, 0, false, false, true },
	{ .name = "padding count 0", .bytes = { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 0 },
	    .len = 14, .rc = CT_ERR },
	{ .name = "padding too long", .bytes = { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x11, 5 },
	    .len = 14, .rc = CT_ERR },
	{ .name = "padding, no payload", .bytes = { 0xa0, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 },
	    .len = 12, .rc = CT_ERR },
	{ .name = "version 1", .bytes = { 0x40, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0 },
	    .len = 13, .rc = CT_ERR },
	{ .name = "version 0 (STUN)", .bytes = { 0x00, 0x01, 0, 0, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0 },
	    .len = 12, .rc = CT_ERR },
	{ .name = "short 11", .bytes = { 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0 },
	    .len = 11, .rc = CT_ERR },
	{ .name = "csrc past end", .bytes = { 0x83, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 },
	    .len = 16, .rc = CT_ERR },
	{ .name = "extension header cut", .bytes = { 0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
	    0xbe, 0xde }, .len = 14, .rc = CT_ERR },
	{ .name = "extension body past end", .bytes = { 0x90, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1,
	    0xbe, 0xde, 0, 2, 1, 2, 3, 4 }, .len = 20, .rc = CT_ERR },
};

static void test_parse(void)
{
	size_t i;
	struct ct_rtp_hdr h;

	for (i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const struct parse_case *pc = &parse_cases[i];
		int rc;

		memset(&h, 0, sizeof(h));
		rc = ct_rtp_parse(pc->bytes, pc->len, &h);
		CHECK_INT(rc, pc->rc);
		if (rc != CT_OK || pc->rc != CT_OK)
			continue;
		CHECK_INT(h.version, 2);
		CHECK_INT(h.pt, pc->pt);
		CHECK_INT(h.csrc_count, pc->cc);
		CHECK_INT(h.seq, pc->seq);
		CHECK_INT(h.ts, pc->ts);
		CHECK_INT(h.ssrc, pc->ssrc);
		CHECK_INT(h.marker, pc->marker);
		CHECK_INT(h.extension, pc->ext);
		CHECK_INT(h.padding, pc->pad);
		CHECK(h.payload == pc->bytes + pc->payload_off);
		CHECK_INT(h.payload_len, pc->payload_len);
	}
	CHECK_INT(ct_rtp_parse(NULL, 12, &h), CT_ERR);
	CHECK_INT(ct_rtp_parse(parse_cases[0].bytes, 16, NULL), CT_ERR);
}

static void test_rtcp(void)
{
	static const uint8_t rr[] = { 0x81, 201, 0, 7, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t sr_empty[] = { 0x80, 200, 0, 6, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t app[] = { 0x80, 204, 0, 2, 0, 0, 0, 1, 'n', 'a', 'm', 'e' };
	static const uint8_t pt199[] = { 0x80, 199, 0, 1, 0, 0, 0, 1 };
	static const uint8_t pt205[] = { 0x80, 205, 0, 1, 0, 0, 0, 1 };
	static const uint8_t v1[] = { 0x41, 201, 0, 1, 0, 0, 0, 1 };
	static const uint8_t too_long[] = { 0x81, 201, 0, 7, 0, 0, 0, 1 };
	static const uint8_t rtp_pcmu[] = { 0x80, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1 };

	CHECK(ct_rtcp_looks_like(rr, sizeof(rr)));
	CHECK(ct_rtcp_looks_like(sr_empty, sizeof(sr_empty)));
	CHECK(ct_rtcp_looks_like(app, sizeof(app)));
	CHECK(!ct_rtcp_looks_like(pt199, sizeof(pt199)));
	CHECK(!ct_rtcp_looks_like(pt205, sizeof(pt205)));
	CHECK(!ct_rtcp_looks_like(v1, sizeof(v1)));
	CHECK(!ct_rtcp_looks_like(too_long, sizeof(too_long)));
	CHECK(!ct_rtcp_looks_like(rr, 7));
	CHECK(!ct_rtcp_looks_like(rtp_pcmu, sizeof(rtp_pcmu)));
	CHECK(!ct_rtcp_looks_like(NULL, 32));
}

/* ---- stream vs naive model --------------------------------------------- */

struct gen_pkt {
	uint32_t ext;    /* true extended sequence number */
	uint32_t ts;
	int64_t t_us;
};

/* Deterministic LCG so that failures reproduce. */
static uint32_t rnd(uint32_t *st)
{
	*st = *st * 1103515245u + 12345u;
	return (*st >> 8) & 0xffffff;
}

/*
 * Generates n sent packets (20 ms of PCMU each, sequence starting at seq0)
 * and the received order with loss, duplicates, adjacent swaps and arrival
 * jitter (percentages per packet).  Returns the number received.
 */
/*
 * Per mille of packets after which the network stalls 0.5-1.5 s (every
 * later packet that much later: the probation of a transit jump, stream.c),
 * and after which the sender moves its timestamps by up to 2^24 units (a
 * timestamp restart): read by generate, 0 by default.
 */
static unsigned g_stall_pm, g_tsjump_pm;

static size_t generate(struct gen_pkt *out, size_t n, uint32_t seq0, uint32_t seed,
    unsigned loss, unsigned dup, unsigned swap, unsigned jitter_us)
{
	size_t i, k = 0;
	uint32_t st = seed, ts_off = 0;
	int64_t stall_us = 0;

	for (i = 0; i < n; i++) {
		struct gen_pkt p;

		if (g_stall_pm != 0 && rnd(&st) % 1000 < g_stall_pm)
			stall_us += 500000 + (int64_t)(rnd(&st) % 1000000);
		if (g_tsjump_pm != 0 && rnd(&st) % 1000 < g_tsjump_pm)
			ts_off += rnd(&st);
		if (rnd(&st) % 100 < loss)
			continue;
		p.ext = seq0 + (uint32_t)i;
		p.ts = 1000u + (uint32_t)i * 160u + ts_off;
		p.t_us = 5000000 + (int64_t)i * 20000 + stall_us +
		    (jitter_us ? rnd(&st) % jitter_us : 0);
		out[k++] = p;
		if (rnd(&st) % 100 < dup) {
			p.t_us += 100;
			out[k++] = p;
		}
	}
	for (i = 1; i + 1 < k; i++) {
		if (rnd(&st) % 100 < swap && out[i].ext != out[i + 1].ext) {
			struct gen_pkt tmp = out[i];

			out[i] = out[i + 1];
			out[i + 1] = tmp;
			i++;
		}
	}
	/* Arrival times must not go backwards in capture order. */
	for (i = 1; i < k; i++)
		if (out[i].t_us < out[i - 1].t_us)
			out[i].t_us = out[i - 1].t_us;
	return k;
}

struct model {
	int64_t lost;
	uint64_t dups, ooo;
	double max_jitter, mean_jitter, max_delta;
};

/* The straightforward reference: true sequence numbers and plain arrays. */
static void model_run(const struct gen_pkt *p, size_t k, struct model *m)
{
	uint32_t base = p[0].ext, max = p[0].ext;
	uint8_t *seen = calloc(200000, 1);
	double j = 0.0, d, delta;
	size_t i;

	memset(m, 0, sizeof(*m));
	seen[p[0].ext - base + 1000] = 1;
	for (i = 1; i < k; i++) {
		uint32_t e = p[i].ext;

		if (e > max)
			max = e;
		else if (seen[e - base + 1000])
			m->dups++;
		else
			m->ooo++;
		seen[e - base + 1000] = 1;
		delta = (double)(p[i].t_us - p[i - 1].t_us) / 1000.0;
		d = fabs(delta - (double)(int32_t)(p[i].ts - p[i - 1].ts) / 8.0);
		j += (d - j) / 16.0;
		if (j > m->max_jitter)
			m->max_jitter = j;
		if (delta > m->max_delta)
			m->max_delta = delta;
		m->mean_jitter = (m->mean_jitter * (double)(i - 1) + j) / (double)i;
	}
	m->lost = (int64_t)(max - base + 1) - (int64_t)k;
	free(seen);
}

/* True when the received 16-bit sequence numbers wrapped at least once. */
static bool h_wrapped(const struct gen_pkt *p, size_t k)
{
	return k > 0 && (p[k - 1].ext >> 16) != (p[0].ext >> 16);
}

static void run_model_case(uint32_t seq0, uint32_t seed, unsigned loss, unsigned dup,
    unsigned swap, unsigned jitter_us)
{
	static struct gen_pkt pk[12000];
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	struct model m;
	size_t k, i;

	k = generate(pk, 5000, seq0, seed, loss, dup, swap, jitter_us);
	model_run(pk, k, &m);
	ct_rtp_stream_init(&s, 0x11223344, 8000);
	for (i = 0; i < k; i++) {
		struct ct_rtp_hdr h;

		memset(&h, 0, sizeof(h));
		h.version = 2;
		h.seq = (uint16_t)pk[i].ext;
		h.ts = pk[i].ts;
		h.ssrc = 0x11223344;
		ct_rtp_stream_update(&s, &h, pk[i].t_us);
	}
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, k);
	CHECK_INT(out.lost, m.lost);
	CHECK_INT(out.duplicates, m.dups);
	CHECK_INT(out.out_of_order, m.ooo);
	NEAR(out.max_jitter_ms, m.max_jitter, 1e-9);
	NEAR(out.mean_jitter_ms, m.mean_jitter, 1e-9);
	NEAR(out.max_delta_ms, m.max_delta, 1e-9);
	CHECK_INT(out.first_us, pk[0].t_us);
	CHECK_INT(out.last_us, pk[k - 1].t_us);
	/* The generator really produced what the case asks for. */
	CHECK(loss == 0 || m.lost > 0);
	CHECK(dup == 0 || m.dups > 0);
	CHECK(swap == 0 || m.ooo > 0);
	CHECK(jitter_us == 0 || m.max_jitter > 0.0);
	CHECK(seq0 + 5000 <= 65536 || h_wrapped(pk, k));
	if (m.lost > 0)
		NEAR(out.loss_pct, (double)m.lost * 100.0 / (double)(m.lost + (int64_t)k), 1e-9);
	else
		NEAR(out.loss_pct, 0.0, 0.0);
}

static void test_model(void)
{
	run_model_case(100, 1, 0, 0, 0, 0);          /* clean */
	run_model_case(65000, 2, 3, 0, 0, 3000);     /* loss, wrap at 65535 */
	run_model_case(65530, 3, 0, 4, 0, 1000);     /* duplicates across the wrap */
	run_model_case(30000, 4, 0, 0, 5, 8000);     /* reordering */
	run_model_case(64000, 5, 5, 3, 4, 15000);    /* everything, across the wrap */
	run_model_case(0, 6, 10, 10, 10, 40000);     /* heavy */
	/* Stalls and timestamp restarts: every packet of a transit jump goes
	 * on probation and is taken as the next packet confirms it. */
	g_stall_pm = 5;
	run_model_case(200, 7, 0, 0, 0, 0);
	run_model_case(65000, 8, 3, 2, 3, 8000);
	g_stall_pm = 0;
	g_tsjump_pm = 5;
	run_model_case(300, 9, 0, 0, 0, 0);
	run_model_case(64000, 10, 3, 2, 0, 8000);
	g_stall_pm = 20;
	g_tsjump_pm = 0;
	run_model_case(400, 11, 5, 3, 4, 15000);
	g_stall_pm = g_tsjump_pm = 0;
}

static void feed(struct ct_rtp_stream *s, uint8_t pt, bool marker, uint16_t seq, uint32_t ts,
    int64_t t, const uint8_t *pl, size_t pl_len)
{
	struct ct_rtp_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = 2;
	h.pt = pt;
	h.marker = marker;
	h.seq = seq;
	h.ts = ts;
	h.payload = pl;
	h.payload_len = pl_len;
	ct_rtp_stream_update(s, &h, t);
}

static void test_wrap_and_edges(void)
{
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	static const uint16_t seqs[] = { 65534, 65535, 0, 1, 3 };
	size_t i;

	ct_rtp_stream_init(&s, 7, 0);
	CHECK_INT(s.clock_rate, 8000);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 0);
	CHECK_INT(out.lost, 0);
	CHECK_INT(out.payload_type, -1);
	CHECK(out.mos == 0.0);
	CHECK(out.first_us == CT_TIME_NONE);
	for (i = 0; i < 5; i++)
		feed(&s, 8, i == 0, seqs[i], 160u * (uint32_t)i, 20000 * (int64_t)i, NULL, 0);
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 5);
	CHECK_INT(out.lost, 1);               /* seq 2 */
	NEAR(out.loss_pct, 100.0 / 6.0, 1e-9);
	CHECK_INT(out.payload_type, 8);
	CHECK_STR(out.codec, "PCMA");
	CHECK_INT(out.ssrc, 7);
	NEAR(out.max_jitter_ms, 0.0, 1e-12);
	NEAR(out.max_delta_ms, 20.0, 1e-12);
	NEAR(out.mos, ct_rtp_mos("PCMA", 1.0 / 6.0, 0.0), 1e-12);
	CHECK(out.mos > 2.5 && out.mos < 3.0);   /* 16.7 % loss */

	/* The caller's codec wins and is kept. */
	memset(&out, 0, sizeof(out));
	strcpy(out.codec, "G729");
	ct_rtp_stream_stats(&s, &out);
	CHECK_STR(out.codec, "G729");
	NEAR(out.mos, ct_rtp_mos("G729", 1.0 / 6.0, 0.0), 1e-12);

	/* A marked packet and comfort noise are kept out of max delta. */
	ct_rtp_stream_init(&s, 8, 8000);
	feed(&s, 0, false, 10, 0, 0, NULL, 0);
	feed(&s, 0, false, 11, 160, 20000, NULL, 0);
	feed(&s, 13, false, 12, 320, 40000, NULL, 0);
	feed(&s, 0, true, 13, 8320, 1040000, NULL, 0);   /* after 1 s of silence */
	feed(&s, 0, false, 14, 8480, 1060000, NULL, 0);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	NEAR(out.max_delta_ms, 20.0, 1e-9);
	CHECK_INT(out.lost, 0);

	/* Timestamps units: 44.1 kHz counts as 44 per ms, as in Wireshark. */
	ct_rtp_stream_init(&s, 9, 8000);
	feed(&s, 10, false, 1, 0, 0, NULL, 0);
	feed(&s, 10, false, 2, 880, 20000, NULL, 0);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	NEAR(out.max_jitter_ms, 0.0, 1e-12);

	/* Unknown dynamic clock rate: no jitter at all. */
	ct_rtp_stream_init(&s, 10, 8000);
	s.clock_rate = 0;
	feed(&s, 111, false, 1, 0, 0, NULL, 0);
	feed(&s, 111, false, 2, 160, 50000, NULL, 0);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	NEAR(out.max_jitter_ms, 0.0, 0.0);
	NEAR(out.max_delta_ms, 50.0, 1e-9);
	CHECK_STR(out.codec, "");

	/* NULL arguments are no-ops. */
	ct_rtp_stream_init(NULL, 1, 1);
	ct_rtp_stream_update(NULL, NULL, 0);
	ct_rtp_stream_update(&s, NULL, 0);
	ct_rtp_stream_stats(&s, NULL);
	ct_rtp_stream_stats(NULL, &out);
}

/*
 * Sequence jumps (RFC 3550 A.1) and probation: 500 packets of 20 ms, the
 * sequence changed from packet 250 on by the case's rule, or one packet
 * more slipped in after packet 250 (a spoofer with the stream's SSRC, or a
 * corrupted copy).  A lone jump is not received (A.1) and only counts out
 * of order; a restart (the jump followed by its successor) is no loss; a
 * gap whose arrival time matches its length is loss, however long, and a
 * short gap confirmed by the packets after it too.  The stream's timing
 * is even, so a lone packet taken would show as jitter.
 */
static void test_seq_jumps(void)
{
	static const struct {
		const char *name;
		int mode;             /* 0: only packet 250 off by delta, 1: all from 250 on,
		                         2: one more packet after 250, 250 + delta */
		int32_t delta;        /* added to the sequence */
		int64_t ts_delta;     /* mode 2: added to its timestamp (units), else 0 */
		int64_t pause_us;     /* extra arrival gap before packet 250 */
		int64_t packets, lost, ooo;
		double max_jitter_ms;
	} cases[] = {
		{ "one corrupted, +30000", 0, 30000, 0, 0, 499, 1, 1, 0.0 },
		{ "one corrupted, -20000", 0, -20000, 0, 0, 499, 1, 1, 0.0 },
		{ "one corrupted, +3000", 0, 3000, 0, 0, 499, 1, 1, 0.0 },
		{ "one corrupted, +2000", 0, 2000, 0, 0, 499, 1, 1, 0.0 },
		{ "one corrupted, +8", 0, 8, 0, 0, 499, 1, 1, 0.0 },
		{ "restart +40000", 1, 40000, 0, 0, 500, 0, 0, 0.0 },
		{ "restart -1000", 1, -1000, 0, 0, 500, 0, 0, 0.0 },
		{ "restart +3000", 1, 3000, 0, 0, 500, 0, 0, 0.0 },
		{ "restart -40000", 1, -40000, 0, 0, 500, 0, 0, 0.0 },
		{ "gap of 2998, under A.1's MAX_DROPOUT", 1, 2998, 0, 0, 500, 2998, 0, 0.0 },
		{ "gap of 20, too soon but confirmed", 1, 20, 0, 0, 500, 20, 0, 0.0 },
		/* the sender's timestamps ran on through the outage: one transit jump */
		{ "70 s outage, 3500 lost", 1, 3500, 0, 70 * INT64_C(1000000), 500, 3500, 0, 70000.0 / 16 },
		{ "12 s outage, 600 lost", 1, 600, 0, 12 * INT64_C(1000000), 500, 600, 0, 12000.0 / 16 },
		{ "slipped in, +2000 (its timestamp too)", 2, 2000, 2000 * 160, 0, 500, 0, 1, 0.0 },
		{ "slipped in, +30000", 2, 30000, 0, 0, 500, 0, 1, 0.0 },
		{ "slipped in, -5000", 2, -5000, 0, 0, 500, 0, 1, 0.0 },
		{ "slipped in, next number, timestamp + 2^30", 2, 1, INT64_C(1) << 30, 0, 500, 0, 1, 0.0 },
		{ "slipped in, number after next, timestamp + 2^20", 2, 2, INT64_C(1) << 20, 0, 500, 0, 1,
		    0.0 },
		{ "slipped in, number after next, timestamp before the first", 2, 2, -(INT64_C(1) << 20), 0,
		    500, 0, 1, 0.0 },
	};
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	size_t c;
	int i;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		ct_rtp_stream_init(&s, 1, 8000);
		for (i = 0; i < 500; i++) {
			int32_t d = (cases[c].mode == 0 ? i == 250 : cases[c].mode == 1 && i >= 250) ?
			    cases[c].delta : 0;
			int64_t t = 20000 * (int64_t)i + (i >= 250 ? cases[c].pause_us : 0);

			feed(&s, 0, false, (uint16_t)(1000 + i + d), 160u * (uint32_t)i, t, NULL, 0);
			if (cases[c].mode == 2 && i == 250)
				feed(&s, 0, false, (uint16_t)(1250 + cases[c].delta),
				    (uint32_t)(160 * 250 + cases[c].ts_delta), t + 5000, NULL, 0);
		}
		memset(&out, 0, sizeof(out));
		ct_rtp_stream_stats(&s, &out);
		if (out.lost != cases[c].lost || (int64_t)out.out_of_order != cases[c].ooo ||
		    out.max_jitter_ms != cases[c].max_jitter_ms)
			fprintf(stderr, "seq jump case %s: lost %lld, out of order %llu, jitter %.3f, mos %.2f\n",
			    cases[c].name, (long long)out.lost, (unsigned long long)out.out_of_order,
			    out.max_jitter_ms, out.mos);
		CHECK_INT(out.packets, cases[c].packets);
		CHECK_INT(out.lost, cases[c].lost);
		CHECK_INT(out.out_of_order, cases[c].ooo);
		CHECK_INT(out.duplicates, 0);
		NEAR(out.max_jitter_ms, cases[c].max_jitter_ms, 1e-9);
		if (cases[c].lost == 0)
			NEAR(out.mos, 4.41, 0.05);
	}
}

/*
 * Probation edge cases: a timestamp restart whose first two packets
 * swapped (the earlier one decides nothing, the one after confirms); a
 * packet still held at the end (alone); a SPAN copy of the held packet is
 * known (ct_rtp_stream_has_seq); the held packet's arrival is the last.
 */
static void test_probation(void)
{
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	int i;

	/* 0..99 at ts 160 i, then 101 and 100 swapped, from 101 on ts + 10^7:
	 * 100 goes first, 102 confirms 101, all in sequence order. */
	ct_rtp_stream_init(&s, 1, 8000);
	for (i = 0; i < 200; i++) {
		int k = i == 100 ? 101 : i == 101 ? 100 : i;
		uint32_t ts = 160u * (uint32_t)k + (k >= 101 ? 10000000u : 0);

		feed(&s, 0, false, (uint16_t)(5 + k), ts, 20000 * (int64_t)i, NULL, 0);
		if (i == 100)
			CHECK(s.held_us != CT_TIME_NONE);
	}
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 200);
	CHECK_INT(out.lost, 0);
	CHECK_INT(out.out_of_order, 0);
	/* the restart is one transit jump of 10^7 / 8 ms, as without probation */
	CHECK(out.max_jitter_ms > 10000000.0 / 8 / 16 - 5 && out.max_jitter_ms < 10000000.0 / 8 / 16 + 5);

	/* A wild timestamp held, then a packet 1000 behind with a plausible
	 * timestamp (it goes first: alone, no restart), then the real 101. */
	ct_rtp_stream_init(&s, 1, 8000);
	for (i = 0; i < 200; i++) {
		if (i == 101) {
			feed(&s, 0, false, 101, 160u * 101 + 0x40000000u, 20000 * 101 - 2000, NULL, 0);
			feed(&s, 0, false, (uint16_t)(101 - 1000), 160u * 100 + 80,
			    20000 * 101 - 1000, NULL, 0);
		}
		feed(&s, 0, false, (uint16_t)i, 160u * (uint32_t)i, 20000 * (int64_t)i, NULL, 0);
	}
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 200);
	CHECK_INT(out.lost, 0);
	CHECK_INT(out.out_of_order, 2);
	CHECK_INT(out.duplicates, 0);
	CHECK(out.max_jitter_ms < 1.0);

	/* Last packet alone: wild timestamp, nothing after it. */
	ct_rtp_stream_init(&s, 1, 8000);
	for (i = 0; i < 50; i++)
		feed(&s, 0, false, (uint16_t)i, 160u * (uint32_t)i, 20000 * (int64_t)i, NULL, 0);
	feed(&s, 0, false, 50, 0x40000000u, 20000 * 50, NULL, 0);
	CHECK(ct_rtp_stream_has_seq(&s, 50));
	CHECK(!ct_rtp_stream_has_seq(&s, 51));
	CHECK_INT(ct_rtp_stream_last_us(&s), 20000 * 50);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 50);
	CHECK_INT(out.lost, 0);
	CHECK_INT(out.out_of_order, 1);
	CHECK_INT(out.last_us, 20000 * 49);
	NEAR(out.max_jitter_ms, 0.0, 1e-9);

	/* A stall of 2 s: the first packet after it waits, then counts. */
	ct_rtp_stream_init(&s, 1, 8000);
	for (i = 0; i < 100; i++)
		feed(&s, 0, false, (uint16_t)i, 160u * (uint32_t)i,
		    20000 * (int64_t)i + (i >= 60 ? 2000000 : 0), NULL, 0);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets, 100);
	CHECK_INT(out.out_of_order, 0);
	NEAR(out.max_jitter_ms, 2000.0 / 16, 1e-9);
	NEAR(out.max_delta_ms, 2020.0, 1e-9);
}

/*
 * Excursions: jumps taken that the stream then contradicts.  Two spoofed
 * packets in a row (the second confirms the first on probation), with a
 * sequence number 2,000 ahead or a timestamp 2^30 ahead: the stream going
 * on from the numbers before them undoes them (they count in out_of_order
 * only), so every figure, intervals included, is the legit stream's.  One
 * spoofed packet inside a real stall whose length would explain its jump
 * is held all the same, and the stream after the stall leaves it alone.  A real restart followed by one straggler of the old numbers
 * keeps the restart; an excursion longer than EXC_MAX (32) packets stays.
 */
static void ex_run(int kind, struct ct_stream_stats *out, struct ct_stream_ival **iv_out,
    uint32_t *n_iv)
{
	struct ct_rtp_stream s;
	struct ct_rtp_ivals iv;
	int i, k;

	ct_rtp_stream_init(&s, 1, 8000);
	ct_rtp_ivals_init(&iv, 1000000, 64);
	s.ivals = &iv;
	for (i = 0; i < 200; i++) {
		int64_t t = 20000 * (int64_t)i + ((kind == 3 || kind == 6) && i >= 60 ? 3000000 : 0);

		if (i == 100 && kind == 1)           /* two packets 2,000 ahead */
			for (k = 0; k < 2; k++)
				feed(&s, 0, false, (uint16_t)(1099 + 2000 + k), 160u * (uint32_t)(2099 + k),
				    t - 10000 + 1000 * k, NULL, 0);
		if (i == 100 && kind == 2)           /* the next two numbers, timestamps 2^30 ahead */
			for (k = 0; k < 2; k++)
				feed(&s, 0, false, (uint16_t)(1100 + k), 160u * (uint32_t)(100 + k) + 0x40000000u,
				    t - 10000 + 1000 * k, NULL, 0);
		if (i == 60 && kind == 3)            /* inside the stall, 75 ahead: 1.5 s would explain it */
			feed(&s, 0, false, 1059 + 75, 160u * (59 + 75), 20000 * 59 + 1500000, NULL, 0);
		if (i == 100 && kind == 4) {         /* a real restart, 5,000 ahead, for good */
			for (k = 100; k < 200; k++)
				feed(&s, 0, false, (uint16_t)(6000 + k), 160u * (uint32_t)k,
				    20000 * (int64_t)k, NULL, 0);
			/* a straggler of the old numbers, then the new ones go on */
			feed(&s, 0, false, 1100, 160u * 100, 20000 * 200, NULL, 0);
			for (k = 200; k < 210; k++)
				feed(&s, 0, false, (uint16_t)(6000 + k), 160u * (uint32_t)k,
				    20000 * (int64_t)k + 1000, NULL, 0);
			break;
		}
		if (i == 100 && kind == 5)           /* 40 packets 2,000 ahead: longer than EXC_MAX */
			for (k = 0; k < 40; k++)
				feed(&s, 0, false, (uint16_t)(1099 + 2000 + k), 160u * (uint32_t)(2099 + k),
				    t - 10000 + 200 * k, NULL, 0);
		feed(&s, 0, false, (uint16_t)(1000 + i), 160u * (uint32_t)i, t, NULL, 0);
	}
	memset(out, 0, sizeof(*out));
	ct_rtp_stream_stats(&s, out);
	ct_rtp_ivals_export(&iv, "PCMU", out->last_us, iv_out, n_iv);
	ct_rtp_ivals_fini(&iv);
}

static void test_excursions(void)
{
	struct ct_stream_stats ref, out;
	struct ct_stream_ival *riv, *iv;
	uint32_t rn, n, i;
	int kind;

	for (kind = 1; kind <= 3; kind++) {
		ex_run(kind == 3 ? 6 : 0, &ref, &riv, &rn);   /* the legit stream alone */
		ex_run(kind, &out, &iv, &n);
		if (out.lost != 0 || out.out_of_order != (kind == 3 ? 1u : 2u))
			fprintf(stderr, "excursion %d: lost %lld, out of order %llu, jitter %.3f\n", kind,
			    (long long)out.lost, (unsigned long long)out.out_of_order, out.max_jitter_ms);
		CHECK_INT(out.packets, 200);
		CHECK_INT(out.lost, 0);
		CHECK_INT(out.duplicates, 0);
		CHECK_INT(out.out_of_order, kind == 3 ? 1 : 2);
		NEAR(out.max_jitter_ms, ref.max_jitter_ms, 1e-9);
		NEAR(out.mean_jitter_ms, ref.mean_jitter_ms, 1e-9);
		NEAR(out.max_delta_ms, ref.max_delta_ms, 1e-9);
		NEAR(out.mos, ref.mos, 1e-9);
		CHECK_INT(out.last_us, ref.last_us);
		CHECK_INT(n, rn);
		for (i = 0; i < n && i < rn; i++) {
			CHECK_INT(iv[i].packets, riv[i].packets);
			CHECK_INT(iv[i].lost, riv[i].lost);
		}
		free(riv);
		free(iv);
	}
	/* the stall alone: its own figures (one transit jump of 3 s) */
	ex_run(6, &ref, &riv, &rn);
	NEAR(ref.max_delta_ms, 3020.0, 1e-9);
	free(riv);

	/* a real restart keeps its figures; the straggler is alone */
	ex_run(4, &out, &iv, &n);
	CHECK_INT(out.packets, 210);
	CHECK_INT(out.lost, 0);
	CHECK_INT(out.out_of_order, 1);
	free(iv);

	/* a longer excursion is the stream's: not undone (1,999 lost, then the
	 * old numbers again as a restart) */
	ex_run(5, &out, &iv, &n);
	CHECK_INT(out.packets, 240);
	CHECK(out.lost >= 1999 - 40);
	free(iv);
}

/* ---- RFC 4733 ----------------------------------------------------------- */

static void event(struct ct_rtp_stream *s, uint8_t pt, uint8_t code, bool end, bool marker,
    uint16_t seq, uint32_t ts, int64_t t)
{
	uint8_t pl[4] = { code, (uint8_t)((end ? 0x80 : 0) | 10), 0, 160 };

	feed(s, pt, marker, seq, ts, t, pl, sizeof(pl));
}

static void test_dtmf(void)
{
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	uint16_t seq = 100;
	int64_t t = 0;
	uint32_t ts = 0;
	double j;
	int i;

	ct_rtp_stream_init(&s, 1, 8000);
	for (i = 0; i < 5; i++, seq++, ts += 160, t += 20000)
		feed(&s, 0, false, seq, ts, t + (i == 3 ? 3000 : 0), NULL, 0);
	j = s.jitter;
	/* '5': three updates then three end packets with the same sequence number. */
	event(&s, 101, 5, false, true, seq++, ts, t); t += 20000;
	event(&s, 101, 5, false, false, seq++, ts, t); t += 20000;
	event(&s, 101, 5, false, false, seq++, ts, t); t += 20000;
	event(&s, 101, 5, true, false, seq, ts, t); t += 20000;
	event(&s, 101, 5, true, false, seq, ts, t); t += 20000;
	event(&s, 101, 5, true, false, seq, ts, t); t += 20000;
	CHECK(s.jitter == j);                    /* events leave J alone */
	seq++;
	ts += 6 * 160;
	/* '#', then a late straggler of '5' which must not repeat it. */
	event(&s, 101, 11, false, true, seq++, ts, t); t += 20000;
	event(&s, 101, 5, true, false, seq++, ts - 960, t); t += 20000;
	event(&s, 101, 11, true, false, seq++, ts, t); t += 20000;
	ts += 3 * 160;
	event(&s, 101, 12, true, true, seq++, ts, t); t += 20000;   /* 'A' */
	ts += 160;
	event(&s, 101, 16, true, true, seq++, ts, t); t += 20000;   /* flash */
	ts += 160;
	event(&s, 101, 20, true, true, seq++, ts, t); t += 20000;   /* not a digit */
	ts += 160;
	event(&s, 101, 0, false, true, seq++, ts, t); t += 20000;   /* '0' */
	feed(&s, 101, true, seq++, ts + 160, t, (const uint8_t *)"\x09", 1); /* short */
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_STR(out.dtmf, "5#A!0");
	CHECK_INT(out.packets, 5 + 6 + 3 + 4 + 1);
	CHECK_INT(out.lost, -2);                 /* two end retransmissions */
	CHECK_INT(out.duplicates, 2);
	CHECK_INT(out.payload_type, 0);

	/* A negotiated event type: 96 is events, 101 is then ordinary media. */
	ct_rtp_stream_init(&s, 2, 8000);
	s.dtmf_pt = 96;
	event(&s, 96, 9, false, true, 1, 0, 0);
	event(&s, 101, 3, false, true, 2, 160, 20000);
	event(&s, 96, 10, true, true, 3, 320, 40000);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_STR(out.dtmf, "9*");
	CHECK_INT(out.payload_type, 101);

	/* Only events: the event type is reported. */
	ct_rtp_stream_init(&s, 3, 8000);
	event(&s, 101, 1, false, true, 1, 0, 0);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.payload_type, 101);
	CHECK_STR(out.dtmf, "1");

	/* An event with a wild sequence number (injected with the stream's
	 * SSRC) is alone on probation: no digit; a jump the next packet
	 * confirms (a burst of loss before the event) gives its digit. */
	ct_rtp_stream_init(&s, 5, 8000);
	for (i = 0; i < 50; i++) {
		if (i == 25)
			event(&s, 101, 7, true, true, (uint16_t)(10 + 25 + 2000), 160u * 25,
			    20000 * 25 - 5000);
		feed(&s, 0, false, (uint16_t)(10 + i), 160u * (uint32_t)i, 20000 * (int64_t)i, NULL, 0);
	}
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_STR(out.dtmf, "");
	CHECK_INT(out.out_of_order, 1);
	CHECK_INT(out.packets, 50);
	ct_rtp_stream_init(&s, 6, 8000);
	for (i = 0; i < 10; i++)
		feed(&s, 0, false, (uint16_t)(10 + i), 160u * (uint32_t)i, 20000 * (int64_t)i, NULL, 0);
	event(&s, 101, 3, false, true, 10 + 30, 160u * 30, 20000 * 30);
	event(&s, 101, 3, true, false, 10 + 31, 160u * 30, 20000 * 31);
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_STR(out.dtmf, "3");
	CHECK_INT(out.lost, 20);

	/* More digits than the buffer holds: truncated, terminated. */
	ct_rtp_stream_init(&s, 4, 8000);
	for (i = 0; i < 100; i++)
		event(&s, 101, (uint8_t)(i % 10), true, true, (uint16_t)i, (uint32_t)i * 800, i * 100000);
	CHECK_INT(strlen(s.dtmf), sizeof(s.dtmf) - 1);
	CHECK(s.dtmf[0] == '0' && s.dtmf[62] == '2');
}

/* ---- MOS ---------------------------------------------------------------- */

static void test_mos(void)
{
	double r = 93.2 - 0.024 * 30.0;
	double best = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
	double prev;
	int i;

	NEAR(ct_rtp_mos("PCMU", 0.0, 0.0), best, 1e-12);
	NEAR(best, 4.40, 0.01);
	NEAR(ct_rtp_mos(NULL, 0.0, 0.0), best, 1e-12);
	NEAR(ct_rtp_mos("pcma", 0.0, 0.0), best, 1e-12);
	NEAR(ct_rtp_mos("no-such-codec", 0.0, 0.0), best, 1e-12);
	/* G.729A: Ie 11, 1 % loss: Ie_eff = 11 + 84 * 1 / (1 + 19) = 15.2 */
	r = 93.2 - 0.72 - 15.2;
	NEAR(ct_rtp_mos("G729", 0.01, 0.0), 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6, 1e-9);
	/* 100 ms mean jitter: Ta = 230 ms, Id = 5.52 + 0.11 * 52.7 */
	r = 93.2 - (0.024 * 230.0 + 0.11 * (230.0 - 177.3));
	NEAR(ct_rtp_mos("PCMU", 0.0, 100.0), 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6, 1e-9);
	CHECK(ct_rtp_mos("G729", 0.0, 0.0) < ct_rtp_mos("PCMU", 0.0, 0.0));
	CHECK(ct_rtp_mos("GSM", 0.0, 0.0) < ct_rtp_mos("GSM-EFR", 0.0, 0.0));
	prev = 5.0;
	for (i = 0; i <= 50; i++) {
		double m = ct_rtp_mos("PCMU", i / 100.0, 10.0);

		CHECK(m < prev || m == 1.0);
		CHECK(m >= 1.0 && m <= 4.5);
		prev = m;
	}
	prev = 5.0;
	for (i = 0; i <= 40; i++) {
		double m = ct_rtp_mos("PCMA", 0.02, i * 25.0);

		CHECK(m < prev || m == 1.0);
		prev = m;
	}
	/* All lost: Ie_eff = 95 * 100 / (100 + 25.1) */
	r = 93.2 - 0.72 - 9500.0 / 125.1;
	NEAR(ct_rtp_mos("PCMU", 1.0, 0.0), 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6, 1e-9);
	NEAR(ct_rtp_mos("PCMU", 5.0, 0.0), ct_rtp_mos("PCMU", 1.0, 0.0), 0.0);
	NEAR(ct_rtp_mos("GSM", 1.0, 0.0), 1.0, 0.0);  /* R = 4.3: formula < 1, clamped */
	NEAR(ct_rtp_mos("PCMU", -1.0, -5.0), best, 1e-12);
	NEAR(ct_rtp_mos("PCMU", NAN, NAN), best, 1e-12);
	NEAR(ct_rtp_mos("PCMU", 0.0, 1e6), 1.0, 0.0);
}

/* ---- media matching ---------------------------------------------------- */

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1700000000) * SEC)

/* A dialog table wired to a media table, as the engine wires them. */
struct mctx {
	struct ct_dialog_table *dt;
	struct ct_media_table *mt;
	struct ct_call_record *recs[16];
	size_t n;
	const char *mport;    /* when set, the m= port token of sip()'s SDP ("5000/2") */
	uint8_t tunnel;       /* ct_tuple.tunnel of the messages and packets sent next */
	uint16_t vlan;        /* ct_packet vlan and ttl of the RTP and RTCP packets sent next */
	uint8_t ttl;
	uint8_t pt;           /* payload type of rtp()'s packets (0: PCMU) */
};

static void m_emit(void *user, struct ct_call_record *r)
{
	struct mctx *c = user;

	if (c->n < sizeof(c->recs) / sizeof(c->recs[0]))
		c->recs[c->n++] = r;
	else
		ct_call_record_free(r);
}

static void m_media(void *user, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	ct_media_on_sdp(((struct mctx *)user)->mt, d, m);
}

static void m_closing(void *user, struct ct_dialog *d, struct ct_call_record *r)
{
	ct_media_closing(((struct mctx *)user)->mt, d, r);
}

static void mctx_init(struct mctx *c, size_t max_flows)
{
	struct ct_dialog_hooks h = { m_emit, m_media, m_closing, c, NULL, NULL, NULL, NULL };
	struct ct_dialog_cfg cfg;

	memset(c, 0, sizeof(*c));
	ct_sip_init();
	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 100000;
	c->dt = ct_dialog_table_new(&cfg, &h);
	c->mt = ct_media_new(max_flows);
	CHECK(c->dt != NULL && c->mt != NULL);
}

static void mctx_fini(struct mctx *c)
{
	size_t i;

	ct_dialog_table_free(c->dt);
	ct_media_free(c->mt);
	for (i = 0; i < c->n; i++)
		ct_call_record_free(c->recs[i]);
}

static struct ct_addr ip(const char *text)
{
	struct ct_addr a;

	memset(&a, 0, sizeof(a));
	CHECK_INT(ct_addr_parse(&a, text), 0);
	return a;
}

/* Parses text as a SIP message sent src:5060 -> dst:5060 at ts (fini'd by the caller). */
static void sip_parse(struct ct_sip_msg *m, int64_t ts, const char *src, const char *dst,
    const char *text)
{
	memset(m, 0, sizeof(*m));
	CHECK_INT(ct_sip_msg_parse(m, text, strlen(text)), CT_OK);
	m->ts_us = ts;
	m->t.src = ip(src);
	m->t.dst = ip(dst);
	m->t.sport = m->t.dport = 5060;
	m->t.proto = 17;
	m->transport = CT_TRANSPORT_UDP;
}

/*
 * One SIP message of call cid between caller A and callee B.  method NULL:
 * a response (status) to cseq_method.  from_a: A sent it.  media: the SDP
 * connection address and port ("" = no body).
 */
static void sip(struct mctx *c, int64_t ts, const char *cid, const char *method, int status,
    const char *cseq_method, unsigned cseq, bool from_a, const char *sig_src,
    const char *sig_dst, const char *media_ip, unsigned media_port)
{
	char sdp[512], msg[2048], start[128], port[24];
	struct ct_sip_msg m;
	bool req = method != NULL;
	/* Requests from A and responses to A's requests carry A's From tag. */
	bool a_from = req ? from_a : !from_a;

	sdp[0] = '\0';
	if (c->mport != NULL)
		snprintf(port, sizeof(port), "%s", c->mport);
	else
		snprintf(port, sizeof(port), "%u", media_port);
	if (media_ip[0] != '\0')
		snprintf(sdp, sizeof(sdp), "v=0\r\no=- 1 %u IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\n"
		    "t=0 0\r\nm=audio %s RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
		    "a=rtpmap:101 telephone-event/8000\r\n", cseq, media_ip, media_ip, port);
	if (req)
		snprintf(start, sizeof(start), "%s sip:%s@%s SIP/2.0", method, a_from ? "bob" : "alice",
		    sig_dst);
	else
		snprintf(start, sizeof(start), "SIP/2.0 %d %s", status, status == 200 ? "OK" : "Ringing");
	snprintf(msg, sizeof(msg), "%s\r\nVia: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s%u%s\r\n"
	    "From: <sip:%s@x>;tag=%s\r\nTo: <sip:%s@x>%s\r\nCall-ID: %s\r\nCSeq: %u %s\r\n"
	    "Contact: <sip:%s@%s>\r\n%sContent-Length: %zu\r\n\r\n%s",
	    start, req ? sig_src : sig_dst, cid, cseq, method ? method : cseq_method,
	    a_from ? "alice" : "bob", a_from ? "ta" : "tb",
	    a_from ? "bob" : "alice",
	    (req && strcmp(method, "INVITE") == 0 && cseq == 1) ? "" : (a_from ? ";tag=tb" : ";tag=ta"),
	    cid, cseq, req ? method : cseq_method, from_a ? "alice" : "bob", sig_src,
	    sdp[0] ? "Content-Type: application/sdp\r\n" : "", strlen(sdp), sdp);
	sip_parse(&m, ts, sig_src, sig_dst, msg);
	m.t.tunnel = c->tunnel;
	ct_dialog_on_msg(c->dt, &m);
	ct_sip_msg_fini(&m);
}

/*
 * The receiver's 200 (no SDP) to request req, 1 ms later: an in-dialog
 * offer is the call's once accepted (dialog.c offer_hold).
 */
static void accept_req(struct mctx *c, const struct ct_sip_msg *req)
{
	struct ct_sip_msg r = *req;   /* borrowed strings: ct_dialog_on_msg keeps none */

	r.is_request = false;
	r.status = 200;
	r.method[0] = '\0';
	r.has_sdp = false;
	r.ts_us = req->ts_us + 1000;
	r.t.src = req->t.dst;
	r.t.dst = req->t.src;
	r.t.sport = req->t.dport;
	r.t.dport = req->t.sport;
	ct_dialog_on_msg(c->dt, &r);
}

/* One RTP packet (PCMU, 20 ms, 160 bytes of payload byte fill); returns ct_media_packet's result. */
static int rtp(struct mctx *c, int64_t ts, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint32_t ssrc, uint16_t seq, uint8_t fill)
{
	uint8_t b[12 + 160];
	struct ct_packet pkt;
	uint32_t rts = (uint32_t)seq * 160;

	memset(b, fill, sizeof(b));
	b[0] = 0x80;
	b[1] = c->pt;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(rts >> 24);
	b[5] = (uint8_t)(rts >> 16);
	b[6] = (uint8_t)(rts >> 8);
	b[7] = (uint8_t)rts;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = ts;
	pkt.t.src = ip(src);
	pkt.t.dst = ip(dst);
	pkt.t.sport = sport;
	pkt.t.dport = dport;
	pkt.t.proto = 17;
	pkt.t.tunnel = c->tunnel;
	pkt.vlan = c->vlan;
	pkt.ttl = c->ttl;
	pkt.payload = b;
	pkt.payload_len = sizeof(b);
	return ct_media_packet(c->mt, &pkt);
}

/* n packets of one stream, 20 ms apart from t; counts the results that were `want`. */
static int burst(struct mctx *c, int64_t t, const char *src, uint16_t sport, const char *dst,
    uint16_t dport, uint32_t ssrc, uint16_t seq0, int n, int want)
{
	int i, got = 0;

	for (i = 0; i < n; i++)
		got += rtp(c, t + i * 20000, src, sport, dst, dport, ssrc, (uint16_t)(seq0 + i), 0x55) == want;
	return got;
}

/* Sets up call cid: INVITE from A (offer a_ip:a_port), 200 OK from B (answer b_ip:b_port), ACK. */
static void call_setup(struct mctx *c, int64_t t, const char *cid, const char *a_sig,
    const char *a_ip, unsigned a_port, const char *b_ip, unsigned b_port)
{
	sip(c, t, cid, "INVITE", 0, NULL, 1, true, a_sig, "203.0.113.10", a_ip, a_port);
	sip(c, t + 100000, cid, NULL, 200, "INVITE", 1, false, "203.0.113.10", a_sig, b_ip, b_port);
	sip(c, t + 200000, cid, "ACK", 0, NULL, 1, true, a_sig, "203.0.113.10", "", 0);
}

static void call_bye(struct mctx *c, int64_t t, const char *cid, const char *a_sig)
{
	sip(c, t, cid, "BYE", 0, NULL, 2, true, a_sig, "203.0.113.10", "", 0);
	sip(c, t + 1000, cid, NULL, 200, "BYE", 2, false, "203.0.113.10", a_sig, "", 0);
	ct_dialog_flush(c->dt);
	ct_media_flush(c->mt);
}

/* The stream src -> dst of record r (text "ip:port"), or NULL. */
static const struct ct_stream_stats *stream_of(const struct ct_call_record *r, const char *src,
    uint16_t sport)
{
	struct ct_addr a = ip(src);
	size_t i;

	for (i = 0; i < r->n_streams; i++)
		if (ct_addr_eq(&r->streams[i].src, &a) && r->streams[i].sport == sport)
			return &r->streams[i];
	return NULL;
}

/*
 * A stranger sends RTP to the PBX's port of a call (public SDP on both
 * sides): every packet is refused and counted, the call keeps its two
 * streams, exactly.
 */
static void test_media_injection(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	const struct ct_stream_stats *s;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "inj-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	/* The stranger starts first, and keeps going between the real packets. */
	CHECK_INT(burst(&c, t - 5000, "45.33.1.2", 40000, "203.0.113.10", 10000, 0xbad, 1, 50,
	    CT_MEDIA_INJECTED), 50);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 100, 50,
	    CT_MEDIA_CALL), 50);
	CHECK_INT(burst(&c, t, "203.0.113.10", 10000, "198.51.100.20", 20000, 0x2222, 7, 50,
	    CT_MEDIA_CALL), 50);
	/* Another stranger on the RTCP port and on the caller's port. */
	CHECK_INT(burst(&c, t, "45.33.1.3", 5000, "203.0.113.10", 10001, 0xbad2, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	CHECK_INT(burst(&c, t, "45.33.1.3", 5000, "198.51.100.20", 20000, 0xbad3, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	/* The far party's SDP IP from another port (1b), and its signalling IP (1c). */
	CHECK_INT(burst(&c, t, "198.51.100.20", 20010, "203.0.113.10", 10000, 0x3333, 1, 5,
	    CT_MEDIA_CALL), 5);
	CHECK_INT(burst(&c, t, "198.51.100.10", 30000, "203.0.113.10", 10000, 0x4444, 1, 5,
	    CT_MEDIA_CALL), 5);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 90);
	CHECK_INT(ms.injected_streams, 3);
	CHECK_INT(ms.promoted, 0);
	CHECK_INT(ms.packets, 110);
	call_bye(&c, t + 2 * SEC, "inj-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->n_streams, 4);
		CHECK(stream_of(c.recs[0], "45.33.1.2", 40000) == NULL);
		CHECK(stream_of(c.recs[0], "45.33.1.3", 5000) == NULL);
		s = stream_of(c.recs[0], "198.51.100.20", 20000);
		CHECK(s != NULL && s->packets == 50 && s->lost == 0 && s->ssrc == 0x1111);
		s = stream_of(c.recs[0], "203.0.113.10", 10000);
		CHECK(s != NULL && s->packets == 50 && s->lost == 0);
	}
	mctx_fini(&c);
}

/*
 * NAT: the caller announces a private address; its RTP comes from a public
 * one nobody announced.  The first source is latched (1d), a second stranger
 * is refused, and the PBX answering the latched address is the call's.
 */
static void test_media_nat(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "nat-1", "198.51.100.77", "192.168.1.50", 4000, "203.0.113.10", 10002);
	CHECK_INT(burst(&c, t, "198.51.100.99", 31000, "203.0.113.10", 10002, 0xa1, 1, 30,
	    CT_MEDIA_CALL), 30);
	CHECK_INT(burst(&c, t + 5000, "45.33.1.2", 40000, "203.0.113.10", 10002, 0xbad, 1, 30,
	    CT_MEDIA_INJECTED), 30);
	CHECK_INT(burst(&c, t + 10000, "203.0.113.10", 10002, "198.51.100.99", 31000, 0xb1, 1, 30,
	    CT_MEDIA_CALL), 30);
	/* The PBX also sends to the private address (it does not know better). */
	CHECK_INT(burst(&c, t + 10000, "203.0.113.10", 10002, "192.168.1.50", 4000, 0xb1, 1, 3,
	    CT_MEDIA_CALL), 3);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 30);
	call_bye(&c, t + 2 * SEC, "nat-1", "198.51.100.77");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->n_streams, 3);
		CHECK(stream_of(c.recs[0], "198.51.100.99", 31000) != NULL);
		CHECK(stream_of(c.recs[0], "45.33.1.2", 40000) == NULL);
	}
	mctx_fini(&c);
}

/*
 * RFC 3550 §8.2 for rule 1b: the far party's SSRC, while its stream is
 * active, sent from another port of its host (one no SDP announced) is a
 * collision, refused (rtp_ssrc_collisions) and never the call's; another
 * SSRC from that port is taken (a device that sends from another port than
 * it receives on), and so is the same SSRC once the first stream has been
 * quiet for 2 s (the device moved its source port).
 */
static void test_media_ssrc_collision(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "ssrc-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x42, 1, 50,
	    CT_MEDIA_CALL), 50);
	CHECK_INT(burst(&c, t + 500000, "198.51.100.20", 20002, "203.0.113.10", 10000, 0x42, 9000, 20,
	    CT_MEDIA_INJECTED), 20);
	CHECK_INT(burst(&c, t + 500000, "198.51.100.20", 20004, "203.0.113.10", 10000, 0x43, 1, 5,
	    CT_MEDIA_CALL), 5);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.ssrc_collisions, 20);
	CHECK_INT(ms.injected, 20);
	/* the first stream quiet since t + 1 s: at t + 3.5 s its SSRC may move */
	CHECK_INT(burst(&c, t + 3500000, "198.51.100.20", 20006, "203.0.113.10", 10000, 0x42, 51, 5,
	    CT_MEDIA_CALL), 5);
	call_bye(&c, t + 5 * SEC, "ssrc-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->n_streams, 3);
		CHECK(stream_of(c.recs[0], "198.51.100.20", 20002) == NULL);
		CHECK(stream_of(c.recs[0], "198.51.100.20", 20006) != NULL);
	}
	mctx_fini(&c);
}

/*
 * A SPAN session that mirrors two VLANs (or both sides of a router) shows
 * each packet twice: the copy, in another VLAN or with another TTL, is not
 * the stream's duplicate (rtp_span_copies; before, the stream's packets
 * doubled and its loss went negative), while a duplicate on the stream's
 * own path still is.  A packet on another path that is not a copy (a new
 * sequence number: the route changed) is measured.
 */
static void test_media_span_copies(void)
{
	static const struct {
		uint16_t vlan;
		uint8_t ttl;
	} copy[] = { { 300, 64 }, { 0, 63 }, { 301, 63 } };
	struct mctx c;
	struct ct_media_stats ms;
	const struct ct_stream_stats *s;
	int64_t t = T0 + SEC;
	size_t k;
	int i;

	for (k = 0; k < sizeof(copy) / sizeof(copy[0]); k++) {
		mctx_init(&c, 0);
		call_setup(&c, T0, "span-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10",
		    10000);
		for (i = 0; i < 50; i++) {
			c.vlan = 0;
			c.ttl = 64;
			CHECK_INT(rtp(&c, t + i * 20000, "198.51.100.20", 20000, "203.0.113.10", 10000,
			    0x11, (uint16_t)(100 + i), 0), CT_MEDIA_CALL);
			c.vlan = copy[k].vlan;
			c.ttl = copy[k].ttl;
			CHECK_INT(rtp(&c, t + i * 20000 + 30, "198.51.100.20", 20000, "203.0.113.10",
			    10000, 0x11, (uint16_t)(100 + i), 0), CT_MEDIA_CALL);
		}
		c.vlan = 0;
		c.ttl = 64;
		/* the network's own duplicate of the last packet: a duplicate */
		rtp(&c, t + 50 * 20000, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x11, 149, 0);
		/* the route changed: new packets on the other path are measured */
		c.vlan = copy[k].vlan;
		c.ttl = copy[k].ttl;
		for (i = 50; i < 60; i++)
			rtp(&c, t + i * 20000 + 5000, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x11,
			    (uint16_t)(100 + i), 0);
		ct_media_get_stats(c.mt, &ms);
		CHECK_INT(ms.span_copies, 50);
		call_bye(&c, t + 2 * SEC, "span-1", "198.51.100.10");
		CHECK_INT(c.n, 1);
		s = c.n == 1 ? stream_of(c.recs[0], "198.51.100.20", 20000) : NULL;
		CHECK(s != NULL);
		if (s != NULL) {
			CHECK_INT(s->packets, 61);
			CHECK_INT(s->duplicates, 1);
			CHECK_INT(s->lost, -1);
		}
		mctx_fini(&c);
	}
}

/*
 * Rule 2's destination (media.c dest_plausible): RTP from a party's own
 * SDP address:port to a host or port no SDP names is the call's only when
 * the other party announced no public address (NAT) or that host sent to
 * it first.  Spoofed from the far party's endpoint to another PBX port or
 * to an unrelated host (the PBX never gets it), it adds no stream.
 */
static void test_media_rule2_dest(void)
{
	static const struct {
		const char *callee_sdp;   /* the PBX's SDP address */
		const char *dst;          /* where the caller's endpoint "sends" */
		uint16_t dport;
		int want;
	} v[] = {
		{ "203.0.113.10", "203.0.113.10", 10998, CT_MEDIA_OTHER },   /* a port no SDP names */
		{ "203.0.113.10", "45.33.1.9", 40000, CT_MEDIA_OTHER },      /* not the PBX */
		{ "10.1.1.10", "203.0.113.77", 31000, CT_MEDIA_CALL },       /* NAT: learnt */
	};
	struct mctx c;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		mctx_init(&c, 0);
		call_setup(&c, T0, "r2-1", "198.51.100.10", "198.51.100.20", 20000,
		    v[i].callee_sdp, 10004);
		CHECK_INT(burst(&c, T0 + SEC, "198.51.100.20", 20000, v[i].dst, v[i].dport, 0x5eed,
		    1, 10, v[i].want), 10);
		call_bye(&c, T0 + 3 * SEC, "r2-1", "198.51.100.10");
		CHECK_INT(c.n, 1);
		if (c.n == 1)
			CHECK_INT(c.recs[0]->n_streams, v[i].want == CT_MEDIA_CALL ? 1 : 0);
		mctx_fini(&c);
	}
}

/*
 * Symmetric RTP confirms a source (rule 2 then 1a): the caller announces a
 * public address but its media comes from a relay.  Refused at first (kept
 * pending), it moves into the call with all its packets when the PBX sends
 * to the relay.  And media before the SDP answer is seen: refused until the
 * 200 OK, then promoted with exact statistics.
 */
static void test_media_confirm(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	const struct ct_stream_stats *s;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "sym-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10004);
	CHECK_INT(burst(&c, t, "198.51.100.30", 22000, "203.0.113.10", 10004, 0xc1, 1, 10,
	    CT_MEDIA_INJECTED), 10);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 10);
	CHECK_INT(burst(&c, t + 200000, "203.0.113.10", 10004, "198.51.100.30", 22000, 0xd1, 1, 10,
	    CT_MEDIA_CALL), 10);
	CHECK_INT(burst(&c, t + 200000, "198.51.100.30", 22000, "203.0.113.10", 10004, 0xc1, 11, 10,
	    CT_MEDIA_CALL), 10);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 0);
	CHECK_INT(ms.promoted, 1);
	CHECK_INT(ms.packets, 30);
	call_bye(&c, t + 2 * SEC, "sym-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->n_streams, 2);
		s = stream_of(c.recs[0], "198.51.100.30", 22000);
		CHECK(s != NULL && s->packets == 20 && s->lost == 0 && s->first_us == t);
	}
	mctx_fini(&c);

	/* The callee's media arrives before its 200 OK is captured. */
	mctx_init(&c, 0);
	sip(&c, T0, "early-1", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	CHECK_INT(burst(&c, T0 + SEC, "203.0.113.10", 10006, "198.51.100.20", 20000, 0xe1, 1, 5,
	    CT_MEDIA_INJECTED), 5);
	sip(&c, T0 + SEC + 90000, "early-1", NULL, 200, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "203.0.113.10", 10006);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.promoted, 1);
	CHECK_INT(ms.injected, 0);
	CHECK_INT(burst(&c, T0 + SEC + 100000, "203.0.113.10", 10006, "198.51.100.20", 20000, 0xe1,
	    6, 5, CT_MEDIA_CALL), 5);
	call_bye(&c, T0 + 3 * SEC, "early-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->n_streams, 1);
		s = stream_of(c.recs[0], "203.0.113.10", 10006);
		CHECK(s != NULL && s->packets == 10 && s->lost == 0 && s->first_us == T0 + SEC);
	}
	mctx_fini(&c);
}

/*
 * 300,000 UPDATEs on one call, each announcing a new port: the call keeps
 * its 32 most recent endpoints (the old ones carry no stream and are
 * retired), the table's memory stays flat, and the endpoint that carries
 * the call's media survives.  A table with room for 100 endpoints refuses
 * the rest.
 */
static void test_media_update_storm(void)
{
	struct mctx c;
	struct ct_media_stats ms, ms0;
	struct ct_sip_msg m;
	char cid[32], body[256], text[1024];
	unsigned i;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "storm-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10008);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10008, 0xf1, 1, 5,
	    CT_MEDIA_CALL), 5);
	ct_media_get_stats(c.mt, &ms0);
	sip(&c, t, "storm-1", "UPDATE", 0, NULL, 3, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 30000);
	sip(&c, t + 1000, "storm-1", NULL, 200, "UPDATE", 3, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	snprintf(body, sizeof(body), "%s", "v=0\r\no=- 1 1 IN IP4 1.1.1.1\r\ns=-\r\n"
	    "c=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 2 RTP/AVP 0\r\n");
	snprintf(text, sizeof(text), "UPDATE sip:bob@203.0.113.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.10;branch=z9hG4bKu\r\n"
	    "From: <sip:alice@x>;tag=ta\r\nTo: <sip:bob@x>;tag=tb\r\nCall-ID: storm-1\r\n"
	    "CSeq: 4 UPDATE\r\nContent-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s",
	    strlen(body), body);
	sip_parse(&m, t, "198.51.100.10", "203.0.113.10", text);
	CHECK(m.has_sdp && m.sdp.n_media == 1);
	for (i = 0; i < 300000; i++) {
		m.cseq = 4 + i;
		m.sdp.media[0].port = (uint16_t)(30002 + 2 * (i % 16000));
		m.sdp.media[0].addr.a[3] = (uint8_t)(i / 16000);
		ct_dialog_on_msg(c.dt, &m);
		accept_req(&c, &m);
		if (i % 1000 == 999) {     /* bounded all along (stop early if not) */
			ct_media_get_stats(c.mt, &ms);
			CHECK_INT(ms.endpoints, 32);
			if (ms.endpoints != 32)
				break;
		}
	}
	ct_sip_msg_fini(&m);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 32);
	CHECK(ms.endpoints_retired >= 2 * 300000 - 32);
	CHECK(ms.bytes < ms0.bytes + 32 * 1024);
	/* The endpoint in use was kept: the call's media still matches. */
	CHECK_INT(burst(&c, t + SEC, "203.0.113.10", 10008, "198.51.100.20", 20000, 0xf2, 1, 5,
	    CT_MEDIA_CALL), 5);
	call_bye(&c, t + 2 * SEC, "storm-1", "198.51.100.10");
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 0);
	mctx_fini(&c);

	mctx_init(&c, 100);
	for (i = 0; i < 200; i++) {
		snprintf(cid, sizeof(cid), "cap-%u", i);
		sip(&c, T0 + i, cid, "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
		    "198.51.100.20", 20000 + 2 * i);
	}
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 100);
	CHECK_INT(ms.endpoints_refused, 300);
	mctx_fini(&c);
}

/*
 * A call at its 32 endpoints takes a stream into its oldest, unused
 * endpoint from a new source: the source is not learnt (learnt endpoints
 * never push out announced ones), the endpoint the stream arrives at stays
 * and keeps refusing strangers.  A call holds at most 64 streams, and
 * learns at most 16 sources.
 */
static void test_media_full_call(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	unsigned i;

	mctx_init(&c, 0);
	call_setup(&c, T0, "full-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10010);
	for (i = 0; i < 14; i++) {
		sip(&c, T0 + SEC + i * 2000, "full-1", "UPDATE", 0, NULL, 3 + i, true, "198.51.100.10",
		    "203.0.113.10", "198.51.100.21", 30000 + 2 * i);
		sip(&c, T0 + SEC + i * 2000 + 1000, "full-1", NULL, 200, "UPDATE", 3 + i, false,
		    "203.0.113.10", "198.51.100.10", "", 0);
	}
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 32);
	CHECK_INT(ms.endpoints_retired, 0);
	/* 198.51.100.20:20000 is the oldest RTP one (20001, older, is for its
	 * RTCP only: no RTP stream's); 203.0.113.10:10500 is new (rule 1b). */
	CHECK_INT(rtp(&c, T0 + 2 * SEC, "203.0.113.10", 10500, "198.51.100.20", 20000, 0x51, 1, 0),
	    CT_MEDIA_CALL);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 32);
	CHECK_INT(ms.endpoints_retired, 0);
	CHECK_INT(ms.endpoints_refused, 1);
	CHECK_INT(rtp(&c, T0 + 2 * SEC, "45.33.1.2", 4000, "198.51.100.20", 20000, 0x52, 1, 0),
	    CT_MEDIA_INJECTED);
	mctx_fini(&c);

	/* The far party sends from 100 ports of its SDP address: 64 streams at most. */
	mctx_init(&c, 0);
	call_setup(&c, T0, "many-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10012);
	for (i = 0; i < 100; i++)
		CHECK_INT(rtp(&c, T0 + SEC, "198.51.100.20", (uint16_t)(40000 + i), "203.0.113.10",
		    10012, 0x60 + i, 1, 0), i < 64 ? CT_MEDIA_CALL : CT_MEDIA_OTHER);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.flows, 64);
	CHECK_INT(ms.streams_refused, 36);
	CHECK_INT(ms.endpoints, 4 + 16);
	mctx_fini(&c);
}

/*
 * Both parties move their media at every re-INVITE (K times), keeping their
 * SSRCs, with RTP after each move: every packet is the call's and the
 * record holds all of them, without loss, in at most 64 streams and 32
 * endpoints.  Before, the endpoints that had carried a stream were never
 * retired, so after 16 moves every new port was refused (40 moves: 170 of
 * 410 packets in the record), and past 64 streams new ones were refused.
 */
static const unsigned reinvite_moves[] = { 10, 40, 1000 };

static void test_media_reinvite_ports(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	size_t k, i;

	for (k = 0; k < sizeof(reinvite_moves) / sizeof(reinvite_moves[0]); k++) {
		unsigned n = reinvite_moves[k], j, ok = 0, max_ep = 0;
		uint16_t ap = 20000, bp = 10000, seq = 1;
		int64_t t = T0 + SEC;
		uint64_t packets = 0, lost = 0;

		mctx_init(&c, 0);
		call_setup(&c, T0, "move-1", "198.51.100.10", "198.51.100.20", ap, "203.0.113.10", bp);
		for (j = 0; j <= n; j++) {
			if (j > 0) {
				ap = (uint16_t)(20000 + 2 * (j % 10000));
				bp = (uint16_t)(40000 + 2 * (j % 10000));
				sip(&c, t, "move-1", "INVITE", 0, NULL, 1 + j, true, "198.51.100.10",
				    "203.0.113.10", "198.51.100.20", ap);
				sip(&c, t + 1000, "move-1", NULL, 200, "INVITE", 1 + j, false,
				    "203.0.113.10", "198.51.100.10", "203.0.113.10", bp);
				t += 2000;
			}
			ok += (unsigned)burst(&c, t, "198.51.100.20", ap, "203.0.113.10", bp, 0xa1, seq, 3,
			    CT_MEDIA_CALL);
			ok += (unsigned)burst(&c, t + 1, "203.0.113.10", bp, "198.51.100.20", ap, 0xb2, seq,
			    3, CT_MEDIA_CALL);
			seq = (uint16_t)(seq + 3);
			t += 60000;
			ct_media_get_stats(c.mt, &ms);
			if (ms.endpoints > max_ep)
				max_ep = (unsigned)ms.endpoints;
		}
		CHECK_INT(ok, 6 * (n + 1));
		CHECK(max_ep <= 32);
		call_bye(&c, t + SEC, "move-1", "198.51.100.10");
		CHECK_INT(c.n, 1);
		if (c.n != 1) {
			mctx_fini(&c);
			continue;
		}
		for (i = 0; i < c.recs[0]->n_streams; i++) {
			packets += c.recs[0]->streams[i].packets;
			lost += (uint64_t)c.recs[0]->streams[i].lost;
		}
		CHECK_INT(packets, 6 * (n + 1));
		CHECK_INT(lost, 0);
		CHECK_INT(c.recs[0]->n_streams, 2 * (n + 1) < 64 ? 2 * (n + 1) : 64);
		if (packets != 6 * (n + 1))
			fprintf(stderr, "  %u moves: %llu packets of %u\n", n,
			    (unsigned long long)packets, 6 * (n + 1));
		mctx_fini(&c);
	}
}

/*
 * One 4-tuple of an answered call sending a new SSRC in every packet: the
 * call takes 64 streams, the rest are orphans; streams and orphans are
 * hashed by 4-tuple and SSRC, so no chain holds them all (before, every
 * new SSRC walked one chain of all the tuple's orphans: quadratic).
 */
static void test_media_ssrc_churn(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	int got = 0;
	uint32_t i;

	mctx_init(&c, 0);
	call_setup(&c, T0, "churn", "198.51.100.10", "198.51.100.10", 20000, "203.0.113.10", 40000);
	for (i = 0; i < 20000; i++)
		got += burst(&c, T0 + SEC + (int64_t)i * 20, "198.51.100.10", 20000, "203.0.113.10",
		    40000, 0x5c000000u + i, (uint16_t)i, 1, CT_MEDIA_CALL);
	CHECK_INT(got, 64);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.flows, 64);
	CHECK_INT(ms.streams_refused, 20000 - 64);
	CHECK_INT(ms.orphan_flows, 20000 - 64);
	CHECK(ct_media_longest_stream_chain(c.mt) <= 16);
	if (ct_media_longest_stream_chain(c.mt) > 16)
		fprintf(stderr, "  longest stream chain %zu\n", ct_media_longest_stream_chain(c.mt));
	mctx_fini(&c);
}

/*
 * Endpoints chosen to collide under the old fixed-seed hash (same low 12
 * bits of ct_addr_hash(addr, 0x9e3779b9 ^ port)) spread over the keyed
 * table; and one address:port announced by 200 calls (or 40 PBX answers)
 * is indexed for at most 32 of them, each call still matching its media.
 */
static void test_media_collisions(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	char cid[32], addr[32];
	unsigned found = 0, a = 0, i;
	uint32_t want = 0;
	bool have = false;

	mctx_init(&c, 0);
	while (found < 1000 && a < (1u << 24)) {
		struct ct_addr x = { .family = 4, .a = { 10, (uint8_t)(a >> 16), (uint8_t)(a >> 8),
		    (uint8_t)a } };
		uint16_t port = 20000;
		uint32_t h = ct_addr_hash(&x, 0x9e3779b9u ^ port) & 0xfff;

		a++;
		if (!have) {
			want = h;
			have = true;
		}
		if (h != want)
			continue;
		snprintf(addr, sizeof(addr), "10.%u.%u.%u", x.a[1], x.a[2], x.a[3]);
		snprintf(cid, sizeof(cid), "coll-%u", found++);
		sip(&c, T0 + found, cid, "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
		    addr, port);
	}
	CHECK_INT(found, 1000);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 2000);
	CHECK(ct_media_longest_chain(c.mt) <= 16);
	mctx_fini(&c);

	mctx_init(&c, 0);
	for (i = 0; i < 200; i++) {
		snprintf(cid, sizeof(cid), "same-%u", i);
		call_setup(&c, T0 + i * SEC, cid, "198.51.100.10", "192.168.1.100", 5004,
		    "203.0.113.10", (unsigned)(12000 + 2 * i));
	}
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 800);
	CHECK_INT(ms.endpoints_unindexed, 2 * (200 - 32));
	CHECK(ct_media_longest_chain(c.mt) <= 32 + 16);
	/* NAT latching still works for a call whose private endpoint is unindexed. */
	CHECK_INT(burst(&c, T0 + 300 * SEC, "198.51.100.99", 31000, "203.0.113.10", 12000 + 2 * 199,
	    0x99, 1, 5, CT_MEDIA_CALL), 5);
	mctx_fini(&c);

	/*
	 * The other way round: 40 calls, each from its own public media
	 * address, all answered on one PBX address:port (indexed for 32).  A
	 * call that is not indexed there still takes its caller's RTP to it
	 * (rule 1a, found from the caller's endpoint) and the PBX's RTP back;
	 * a stranger's RTP to that port is no call's.
	 */
	mctx_init(&c, 0);
	for (i = 0; i < 40; i++) {
		snprintf(cid, sizeof(cid), "shared-%u", i);
		snprintf(addr, sizeof(addr), "198.51.100.%u", 100 + i);
		call_setup(&c, T0 + i * 1000, cid, addr, addr, 30000 + 2 * i, "203.0.113.10", 12000);
	}
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints_unindexed, 2 * (40 - 32));
	for (i = 0; i < 40; i += 39) {
		snprintf(addr, sizeof(addr), "198.51.100.%u", 100 + i);
		CHECK_INT(burst(&c, T0 + 10 * SEC, addr, (uint16_t)(30000 + 2 * i), "203.0.113.10",
		    12000, 0x500 + i, 1, 5, CT_MEDIA_CALL), 5);
		CHECK_INT(burst(&c, T0 + 10 * SEC, "203.0.113.10", 12000, addr,
		    (uint16_t)(30000 + 2 * i), 0x600 + i, 1, 5, CT_MEDIA_CALL), 5);
	}
	CHECK_INT(burst(&c, T0 + 11 * SEC, "198.51.100.250", 30000, "203.0.113.10", 12000,
	    0x777, 1, 5, CT_MEDIA_INJECTED), 5);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 5);
	mctx_fini(&c);

	/*
	 * The count per address:port follows calls ending: 40 calls on one
	 * address:port (32 indexed), the first 10 end (10 places free), 10
	 * new ones are all indexed, the 11th is not; then every call ends and
	 * a new one is indexed again.  The count is kept by one endpoint of
	 * the 32, which hands it over when its call ends.
	 */
	mctx_init(&c, 0);
	for (i = 0; i < 40; i++) {
		snprintf(cid, sizeof(cid), "churn-%u", i);
		call_setup(&c, T0 + i * 1000, cid, "198.51.100.10", "192.168.1.100", 5004,
		    "203.0.113.10", (unsigned)(12000 + 2 * i));
	}
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints_unindexed, 2 * (40 - 32));
	for (i = 0; i < 10; i++) {
		snprintf(cid, sizeof(cid), "churn-%u", i);
		sip(&c, T0 + 10 * SEC, cid, "BYE", 0, NULL, 2, true, "198.51.100.10", "203.0.113.10", "", 0);
		sip(&c, T0 + 10 * SEC + 1000, cid, NULL, 200, "BYE", 2, false, "203.0.113.10",
		    "198.51.100.10", "", 0);
	}
	ct_dialog_expire(c.dt, T0 + 60 * SEC);   /* past their linger */
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 4 * 30);
	for (i = 40; i < 51; i++) {
		snprintf(cid, sizeof(cid), "churn-%u", i);
		call_setup(&c, T0 + 61 * SEC + i * 1000, cid, "198.51.100.10", "192.168.1.100", 5004,
		    "203.0.113.10", (unsigned)(12000 + 2 * i));
		ct_media_get_stats(c.mt, &ms);
		CHECK_INT(ms.endpoints_unindexed, 2 * (40 - 32) + (i == 50 ? 2 : 0));
	}
	ct_dialog_flush(c.dt);
	ct_media_flush(c.mt);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints, 0);
	call_setup(&c, T0 + 70 * SEC, "churn-new", "198.51.100.10", "192.168.1.100", 5004,
	    "203.0.113.10", 13000);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.endpoints_unindexed, 2 * (40 - 32) + 2);   /* a counter: the new one is indexed */
	CHECK_INT(burst(&c, T0 + 71 * SEC, "192.168.1.100", 5004, "203.0.113.10", 13000,
	    0x77, 1, 5, CT_MEDIA_CALL), 5);
	mctx_fini(&c);
}

/* One RTCP sender report (28 bytes) src -> dst; returns ct_media_packet's result. */
static int rtcp(struct mctx *c, int64_t ts, const char *src, uint16_t sport, const char *dst,
    uint16_t dport)
{
	uint8_t b[28];
	struct ct_packet pkt;

	memset(b, 0, sizeof(b));
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	memset(&pkt, 0, sizeof(pkt));
	pkt.ts_us = ts;
	pkt.t.src = ip(src);
	pkt.t.dst = ip(dst);
	pkt.t.sport = sport;
	pkt.t.dport = dport;
	pkt.t.proto = 17;
	pkt.t.tunnel = c->tunnel;
	pkt.vlan = c->vlan;
	pkt.ttl = c->ttl;
	pkt.payload = b;
	pkt.payload_len = sizeof(b);
	return ct_media_packet(c->mt, &pkt);
}

/*
 * A stranger who knows the Call-ID (and the tags) of an answered call sends,
 * from its own address, a re-INVITE and an UPDATE offering its own media,
 * a 200 with SDP, then its RTP to the PBX's port and to the caller's; later
 * a BYE and a CANCEL.  None of it is the call's: the SDP teaches nothing
 * (so the stranger's RTP is injected, not measured), the BYE does not end
 * the call (the real one does, 2 s later), and every message is counted.
 */
static void test_media_sdp_steal(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	struct ct_dialog_stats ds;
	const struct ct_call_record *r;
	int64_t t = T0 + SEC;
	size_t i;

	mctx_init(&c, 0);
	call_setup(&c, T0, "steal-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 1, 50,
	    CT_MEDIA_CALL), 50);
	CHECK_INT(burst(&c, t, "203.0.113.10", 10000, "198.51.100.20", 20000, 0x2222, 1, 50,
	    CT_MEDIA_CALL), 50);
	sip(&c, t + 100, "steal-1", "INVITE", 0, NULL, 3, true, "45.33.9.9", "203.0.113.10",
	    "45.33.9.9", 30000);
	sip(&c, t + 200, "steal-1", "UPDATE", 0, NULL, 4, true, "45.33.9.9", "203.0.113.10",
	    "45.33.9.9", 30000);
	sip(&c, t + 300, "steal-1", NULL, 200, "INVITE", 3, false, "45.33.9.10", "198.51.100.10",
	    "45.33.9.10", 30002);
	CHECK_INT(burst(&c, t + 1000, "45.33.9.9", 30000, "203.0.113.10", 10000, 0xbad, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	CHECK_INT(burst(&c, t + 1000, "45.33.9.10", 30002, "198.51.100.20", 20000, 0xbad2, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	sip(&c, t + SEC, "steal-1", "BYE", 0, NULL, 5, true, "45.33.9.9", "203.0.113.10", "", 0);
	sip(&c, t + SEC + 1, "steal-1", "CANCEL", 0, NULL, 1, true, "45.33.9.9", "203.0.113.10",
	    "", 0);
	CHECK_INT(burst(&c, t + SEC, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 51, 50,
	    CT_MEDIA_CALL), 50);
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 5);
	CHECK_INT(ds.active, 1);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.injected, 40);
	CHECK_INT(ms.packets, 150);
	call_bye(&c, t + 3 * SEC, "steal-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		r = c.recs[0];
		CHECK_INT(r->end_us, t + 3 * SEC);
		CHECK_STR(r->hangup_reason, "BYE");
		CHECK_INT(r->disposition, CT_DISP_ANSWERED);
		CHECK(!r->truncated);
		CHECK_INT(r->n_streams, 2);
		for (i = 0; i < r->n_streams; i++)
			CHECK(r->streams[i].src.a[0] != 45);
		CHECK(stream_of(r, "198.51.100.20", 20000) != NULL &&
		    stream_of(r, "198.51.100.20", 20000)->packets == 100);
	}
	mctx_fini(&c);

	/* A stranger's CANCEL while the callee rings: the call still ends busy. */
	mctx_init(&c, 0);
	sip(&c, T0, "steal-2", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 1000, "steal-2", NULL, 180, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	sip(&c, T0 + SEC, "steal-2", "CANCEL", 0, NULL, 1, true, "45.33.9.9", "203.0.113.10", "", 0);
	sip(&c, T0 + 2 * SEC, "steal-2", NULL, 486, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	ct_dialog_flush(c.dt);
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 1);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_BUSY);
		CHECK_INT(c.recs[0]->end_us, T0 + 2 * SEC);
		CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLEE);
	}
	mctx_fini(&c);
}

/*
 * A response to call cid from sig_src to the caller, with the call's tags
 * and the top Via branch z9hG4bK<branch> (a stranger's own, or the
 * INVITE's: z9hG4bK<cid>1INVITE as sip() writes it).
 */
static void stranger_response(struct mctx *c, int64_t ts, const char *cid, const char *sig_src,
    const char *status, const char *cseq, const char *to_tag, const char *branch)
{
	char msg[1024];
	struct ct_sip_msg m;

	snprintf(msg, sizeof(msg), "SIP/2.0 %s\r\nVia: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bK%s\r\n"
	    "From: <sip:alice@x>;tag=ta\r\nTo: <sip:bob@x>%s%s\r\nCall-ID: %s\r\nCSeq: %s\r\n"
	    "Content-Length: 0\r\n\r\n", status, branch, to_tag ? ";tag=" : "", to_tag ? to_tag : "",
	    cid, cseq);
	sip_parse(&m, ts, sig_src, "198.51.100.10", msg);
	ct_dialog_on_msg(c->dt, &m);
	ct_sip_msg_fini(&m);
}

/*
 * A stranger who knows the Call-ID and the tags (not the INVITE's Via
 * branch) sends the caller, from its own address, responses no party of
 * the call sent: while the call rings a 486, a 200 to the INVITE and a 200
 * to a CANCEL never sent; once answered a 200 to a BYE never sent.  The
 * caller's transactions would drop each (RFC 3261 §17.1.3); none may fail,
 * answer or end the call (before the fix: busy at the 486).  A response
 * that carries the INVITE's branch from off the path (a second box of an
 * SBC pool) still counts.
 */
static void test_media_foreign_response(void)
{
	struct mctx c;
	struct ct_dialog_stats ds;
	char invbr[64];

	mctx_init(&c, 0);
	sip(&c, T0, "fresp-1", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 1000, "fresp-1", NULL, 180, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	stranger_response(&c, T0 + SEC, "fresp-1", "45.33.9.9", "486 Busy Here", "1 INVITE", "evil",
	    "evil1");
	stranger_response(&c, T0 + SEC + 1, "fresp-1", "45.33.9.9", "200 OK", "1 INVITE", "evil",
	    "evil2");
	stranger_response(&c, T0 + SEC + 2, "fresp-1", "45.33.9.9", "200 OK", "1 CANCEL", NULL,
	    "evil3");
	sip(&c, T0 + 2 * SEC, "fresp-1", NULL, 200, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "203.0.113.10", 10000);
	sip(&c, T0 + 2 * SEC + 1000, "fresp-1", "ACK", 0, NULL, 1, true, "198.51.100.10",
	    "203.0.113.10", "", 0);
	stranger_response(&c, T0 + 3 * SEC, "fresp-1", "45.33.9.9", "200 OK", "9 BYE", "tb",
	    "evil4");
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 4);
	CHECK_INT(ds.active, 1);
	CHECK_INT(c.n, 0);
	call_bye(&c, T0 + 5 * SEC, "fresp-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->answer_us, T0 + 2 * SEC);
		CHECK_INT(c.recs[0]->end_us, T0 + 5 * SEC);
		CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLER);
		CHECK(!c.recs[0]->truncated);
	}
	mctx_fini(&c);

	/* The INVITE's branch from a second box of the callee's pool: busy. */
	mctx_init(&c, 0);
	sip(&c, T0, "fresp-2", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	snprintf(invbr, sizeof(invbr), "%s1INVITE", "fresp-2");
	stranger_response(&c, T0 + SEC, "fresp-2", "203.0.113.11", "486 Busy Here", "1 INVITE",
	    "pool", invbr);
	ct_dialog_flush(c.dt);
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 1);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_BUSY);
		CHECK_INT(c.recs[0]->end_us, T0 + SEC);
	}
	mctx_fini(&c);
}

/* An initial INVITE (no To tag) in call cid from sig_src to the PBX, for ruri_user. */
static void stranger_invite(struct mctx *c, int64_t ts, const char *cid, const char *sig_src,
    const char *from_tag, unsigned cseq, const char *ruri_user)
{
	char msg[1024];
	struct ct_sip_msg m;

	snprintf(msg, sizeof(msg), "INVITE sip:%s@203.0.113.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bKreuse%u\r\nFrom: <sip:alice@x>;tag=%s\r\n"
	    "To: <sip:%s@x>\r\nCall-ID: %s\r\nCSeq: %u INVITE\r\nContent-Length: 0\r\n\r\n",
	    ruri_user, sig_src, cseq, from_tag, ruri_user, cid, cseq);
	sip_parse(&m, ts, sig_src, "203.0.113.10", msg);
	ct_dialog_on_msg(c->dt, &m);
	ct_sip_msg_fini(&m);
}

/*
 * A stranger who knows a Call-ID sends, from its own address, an initial
 * INVITE in it for another number: 1 ms after the call's BYE (a From tag
 * of its own), and between a 407 and the caller's retried INVITE (the
 * caller's From tag, the next CSeq).  Neither opens a call of its own in
 * the Call-ID: before the fix the first emitted the ended call at once
 * (its trailing RTP lost) and the second took the challenged call's
 * place, so the retried INVITE, then foreign, was lost and the answered
 * call recorded failed (407).
 */
static void test_media_foreign_reuse(void)
{
	struct mctx c;
	struct ct_dialog_stats ds;
	const struct ct_stream_stats *st;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "reuse-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 1, 50,
	    CT_MEDIA_CALL), 50);
	sip(&c, t + SEC, "reuse-1", "BYE", 0, NULL, 2, true, "198.51.100.10", "203.0.113.10", "", 0);
	stranger_invite(&c, t + SEC + 1000, "reuse-1", "45.33.9.9", "evil", 1, "19995550000");
	sip(&c, t + SEC + 2000, "reuse-1", NULL, 200, "BYE", 2, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	/* RTP in flight when the BYE was sent: still the call's. */
	CHECK_INT(burst(&c, t + SEC + 3000, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111,
	    51, 3, CT_MEDIA_CALL), 3);
	ct_dialog_flush(c.dt);
	ct_media_flush(c.mt);
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 1);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		st = stream_of(c.recs[0], "198.51.100.20", 20000);
		CHECK(st != NULL && st->packets == 53);
		CHECK_INT(c.recs[0]->end_us, t + SEC);
	}
	mctx_fini(&c);

	mctx_init(&c, 0);
	sip(&c, T0, "reuse-2", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 1000, "reuse-2", NULL, 407, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	stranger_invite(&c, T0 + 1100, "reuse-2", "45.33.9.9", "ta", 2, "19995550000");
	sip(&c, T0 + 2000, "reuse-2", "ACK", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10", "",
	    0);
	sip(&c, T0 + 3000, "reuse-2", "INVITE", 0, NULL, 2, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + SEC, "reuse-2", NULL, 200, "INVITE", 2, false, "203.0.113.10",
	    "198.51.100.10", "203.0.113.10", 10000);
	call_bye(&c, T0 + 3 * SEC, "reuse-2", "198.51.100.10");
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 1);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->answer_us, T0 + SEC);
		CHECK_INT(c.recs[0]->auth_challenges, 1);
	}
	mctx_fini(&c);
}

/*
 * A stranger who knows the Call-ID and tags sends the PBX a request, and
 * the PBX refuses it, answering the stranger: a copy of the INVITE while
 * it rings (RFC 3261 §8.2.2.2: 482 Loop Detected), a BYE once answered
 * (500: a CSeq out of order, §12.2.2, or a PBX that checks sources).  The call goes on:
 * before the fix the 482 failed it and the 500 ended it (a BYE seen only
 * by its response, on_unseen_request).
 */
static void test_media_stranger_answered(void)
{
	struct mctx c;
	struct ct_dialog_stats ds;

	mctx_init(&c, 0);
	sip(&c, T0, "refuse-1", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 1000, "refuse-1", NULL, 180, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "", 0);
	sip(&c, T0 + SEC, "refuse-1", "INVITE", 0, NULL, 1, true, "45.33.9.9", "203.0.113.10",
	    "45.33.9.9", 30000);
	sip(&c, T0 + SEC + 1000, "refuse-1", NULL, 482, "INVITE", 1, false, "203.0.113.10",
	    "45.33.9.9", "", 0);
	sip(&c, T0 + 2 * SEC, "refuse-1", NULL, 200, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "203.0.113.10", 10000);
	sip(&c, T0 + 2 * SEC + 1000, "refuse-1", "ACK", 0, NULL, 1, true, "198.51.100.10",
	    "203.0.113.10", "", 0);
	sip(&c, T0 + 3 * SEC, "refuse-1", "BYE", 0, NULL, 1, true, "45.33.9.9", "203.0.113.10",
	    "", 0);
	sip(&c, T0 + 3 * SEC + 1000, "refuse-1", NULL, 500, "BYE", 1, false, "203.0.113.10",
	    "45.33.9.9", "", 0);
	ct_dialog_get_stats(c.dt, &ds);
	CHECK_INT(ds.foreign_in_dialog, 4);
	CHECK_INT(ds.active, 1);
	CHECK_INT(c.n, 0);
	call_bye(&c, T0 + 5 * SEC, "refuse-1", "198.51.100.10");
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->answer_us, T0 + 2 * SEC);
		CHECK_INT(c.recs[0]->end_us, T0 + 5 * SEC);
		CHECK_INT(c.recs[0]->final_code, 200);
	}
	mctx_fini(&c);
}

/*
 * A stranger who sniffed a call's SDP offer places, before the PBX's RTP
 * to the caller starts, a call of its own whose offer names the caller's
 * media address and port as its own; the PBX answers it on another port.
 * The PBX's RTP to the caller is the real call's (its answer's endpoint,
 * rule 1a), not the newer stranger's call's (only the PBX's address, 1b
 * and 1c): before the fix both of the call's streams went to the
 * stranger's call.
 */
static void test_media_claimed_endpoint(void)
{
	struct mctx c;
	const struct ct_call_record *r = NULL;
	const struct ct_stream_stats *st;
	int64_t t = T0 + SEC;
	size_t i;

	mctx_init(&c, 0);
	sip(&c, T0, "claim-1", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 1000, "claim-2", "INVITE", 0, NULL, 1, true, "45.33.9.9", "203.0.113.10",
	    "198.51.100.20", 20000);
	sip(&c, T0 + 3000, "claim-2", NULL, 200, "INVITE", 1, false, "203.0.113.10", "45.33.9.9",
	    "203.0.113.10", 12000);
	sip(&c, T0 + 100000, "claim-1", NULL, 200, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "203.0.113.10", 10000);
	sip(&c, T0 + 200000, "claim-1", "ACK", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "", 0);
	CHECK_INT(burst(&c, t, "203.0.113.10", 10000, "198.51.100.20", 20000, 0x2222, 1, 50,
	    CT_MEDIA_CALL), 50);
	CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 1, 50,
	    CT_MEDIA_CALL), 50);
	call_bye(&c, t + 2 * SEC, "claim-1", "198.51.100.10");
	for (i = 0; i < c.n; i++)
		if (strcmp(c.recs[i]->call_id, "claim-1") == 0)
			r = c.recs[i];
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(r->n_streams, 2);
		st = stream_of(r, "203.0.113.10", 10000);
		CHECK(st != NULL && st->packets == 50);
		st = stream_of(r, "198.51.100.20", 20000);
		CHECK(st != NULL && st->packets == 50);
	}
	mctx_fini(&c);
}

/*
 * Anyone can send a monitored host a tunnel packet (VXLAN, GRE, IP-in-IP)
 * with a call's own addresses inside: media out of another depth of tunnels
 * than the call's SIP is never the call's, whichever rule would take its
 * source (1a SDP address, 1b SDP IP, 1c signalling IP, 2 a party's own
 * endpoint answering a host that sent to it, an SSRC the call already
 * has); a BYE so wrapped is foreign.
 * Rows: the depth of the call's SIP, the depth of the packets.
 */
static void test_media_tunnel(void)
{
	static const struct {
		uint8_t call, pkts;
		int want;
	} rows[] = {
		{ 0, 0, CT_MEDIA_CALL },
		{ 0, 1, CT_MEDIA_INJECTED },
		{ 0, 2, CT_MEDIA_INJECTED },
		{ 1, 1, CT_MEDIA_CALL },       /* a call inside a mirror tunnel (ERSPAN) */
		{ 1, 0, CT_MEDIA_INJECTED },
		{ 1, 2, CT_MEDIA_INJECTED },
	};
	struct mctx c;
	struct ct_dialog_stats ds;
	struct ct_media_stats ms;
	int64_t t = T0 + SEC;
	size_t i;
	int want_n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		bool own = rows[i].want == CT_MEDIA_CALL;

		mctx_init(&c, 0);
		c.tunnel = rows[i].call;
		call_setup(&c, T0, "tun-1", "198.51.100.10", "198.51.100.20", 20000,
		    "203.0.113.10", 10000);
		/* The real streams first (plain ones in the call's own depth). */
		CHECK_INT(burst(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111, 1, 10,
		    CT_MEDIA_CALL), 10);
		c.tunnel = rows[i].pkts;
		CHECK_INT(burst(&c, t + SEC, "198.51.100.20", 20000, "203.0.113.10", 10000, 0x1111,
		    11, 5, rows[i].want), 5);                               /* same SSRC */
		CHECK_INT(burst(&c, t + SEC, "198.51.100.20", 20000, "203.0.113.10", 10000, 0xbad1,
		    1, 5, rows[i].want), 5);                                /* 1a */
		CHECK_INT(burst(&c, t + SEC, "198.51.100.20", 20002, "203.0.113.10", 10000, 0xbad2,
		    1, 5, rows[i].want), 5);                                /* 1b */
		CHECK_INT(burst(&c, t + SEC, "198.51.100.10", 30000, "203.0.113.10", 10000, 0xbad3,
		    1, 5, rows[i].want), 5);                                /* 1c */
		/* 2: a host no SDP names sends first (pending), the PBX answers it */
		CHECK_INT(burst(&c, t + SEC, "45.33.1.1", 9000, "203.0.113.10", 10000, 0xbad5,
		    1, 5, CT_MEDIA_INJECTED), 5);
		CHECK_INT(burst(&c, t + SEC, "203.0.113.10", 10000, "45.33.1.1", 9000, 0xbad4,
		    1, 5, own ? CT_MEDIA_CALL : CT_MEDIA_OTHER), 5);
		CHECK_INT(rtcp(&c, t + SEC, "198.51.100.20", 20001, "203.0.113.10", 10001),
		    rows[i].want);
		sip(&c, t + 2 * SEC, "tun-1", "BYE", 0, NULL, 2, true, "198.51.100.10", "203.0.113.10",
		    "", 0);
		ct_dialog_get_stats(c.dt, &ds);
		CHECK_INT(ds.foreign_in_dialog, own ? 0 : 1);
		ct_media_get_stats(c.mt, &ms);
		want_n = own ? 0 : 25;   /* own: 45.33.1.1's stream promoted */
		CHECK_INT(ms.injected, want_n);
		CHECK_INT(ms.packets, own ? 40 : 10);
		c.tunnel = rows[i].call;
		call_bye(&c, t + 3 * SEC, "tun-1", "198.51.100.10");
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			const struct ct_stream_stats *s = stream_of(c.recs[0], "198.51.100.20", 20000);

			CHECK_INT(c.recs[0]->end_us, own ? t + 2 * SEC : t + 3 * SEC);
			CHECK(s != NULL && s->packets == (own ? 15 : 10));
			CHECK_INT(c.recs[0]->n_streams, own ? 6 : 1);
		}
		mctx_fini(&c);
	}
}

/*
 * RTCP is the call's only from the sources its RTP may come from (at the
 * RTP port or the one above it): the far party's SDP address, the learnt
 * NAT source, rtcp-mux on the RTP port; a stranger's is counted as foreign.
 */
static void test_media_rtcp(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	int64_t t = T0 + SEC;

	mctx_init(&c, 0);
	call_setup(&c, T0, "rtcp-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	CHECK_INT(rtcp(&c, t, "198.51.100.20", 20001, "203.0.113.10", 10001), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, t, "203.0.113.10", 10001, "198.51.100.20", 20001), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, t, "198.51.100.20", 20000, "203.0.113.10", 10000), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, t, "45.33.1.3", 5001, "203.0.113.10", 10001), CT_MEDIA_INJECTED);
	CHECK_INT(rtcp(&c, t, "45.33.1.3", 5000, "203.0.113.10", 10000), CT_MEDIA_INJECTED);
	CHECK_INT(rtcp(&c, t, "45.33.1.3", 5001, "203.0.113.99", 10001), CT_MEDIA_OTHER);
	/* NAT: the caller announced a private address; its RTP latched a public one. */
	call_setup(&c, T0, "rtcp-2", "198.51.100.11", "192.168.1.100", 5004, "203.0.113.10", 10100);
	CHECK_INT(rtcp(&c, t, "198.51.100.99", 31001, "203.0.113.10", 10101), CT_MEDIA_INJECTED);
	CHECK_INT(burst(&c, t, "198.51.100.99", 31000, "203.0.113.10", 10100, 0x77, 1, 5,
	    CT_MEDIA_CALL), 5);
	CHECK_INT(rtcp(&c, t + SEC, "198.51.100.99", 31001, "203.0.113.10", 10101), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, t + SEC, "198.51.100.98", 31001, "203.0.113.10", 10101), CT_MEDIA_INJECTED);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.rtcp, 4);
	CHECK_INT(ms.rtcp_foreign, 4);
	mctx_fini(&c);
}

/* a=rtcp (RFC 3605) moves the call's RTCP endpoint off port + 1. */
static void test_media_rtcp_attr(void)
{
	static const char body[] = "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\n"
	    "c=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 20000 RTP/AVP 0\r\na=rtcp:20011\r\n";
	char invite[1024];
	struct mctx c;
	struct ct_sip_msg m;
	struct ct_media_stats ms;

	/* The branch sip() gives its 200 (a response carries its INVITE's). */
	snprintf(invite, sizeof(invite), "INVITE sip:bob@203.0.113.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKrtcp-31INVITE\r\n"
	    "From: <sip:alice@x>;tag=ta\r\nTo: <sip:bob@x>\r\nCall-ID: rtcp-3\r\nCSeq: 1 INVITE\r\n"
	    "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	mctx_init(&c, 0);
	sip_parse(&m, T0, "198.51.100.10", "203.0.113.10", invite);
	CHECK_INT(m.sdp.n_media, 1);
	CHECK_INT(m.sdp.media[0].rtcp_port, 20011);
	ct_dialog_on_msg(c.dt, &m);
	ct_sip_msg_fini(&m);
	sip(&c, T0 + 1000, "rtcp-3", NULL, 200, "INVITE", 1, false, "203.0.113.10", "198.51.100.10",
	    "203.0.113.10", 10000);
	CHECK_INT(rtcp(&c, T0 + SEC, "203.0.113.10", 10001, "198.51.100.20", 20011), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, T0 + SEC, "45.33.1.3", 10001, "198.51.100.20", 20011), CT_MEDIA_INJECTED);
	CHECK_INT(rtcp(&c, T0 + SEC, "203.0.113.10", 10001, "198.51.100.20", 20001), CT_MEDIA_OTHER);
	ct_media_get_stats(c.mt, &ms);
	CHECK_INT(ms.rtcp, 1);
	CHECK_INT(ms.rtcp_foreign, 1);
	mctx_fini(&c);
}

/*
 * m= lines with a port count (RFC 8866 §5.14): RTP to and from every port
 * of the range is the call's, RTCP one above each; a stranger to the
 * second port is injected; past MEDIA_MAX_PORTS (8) ports the rest are
 * refused endpoints (two each) and their RTP is no call's.
 */
static const struct {
	const char *offer, *answer;   /* m= port tokens of A's and B's SDP */
	uint16_t a_port, b_port;      /* the RTP ports the streams use */
	int want;                     /* ct_media_packet's result for them */
	uint64_t refused;             /* endpoints refused by the two SDPs */
} multiport_vecs[] = {
	{ "20000/2", "10000/2", 20002, 10002, CT_MEDIA_CALL, 0 },
	{ "20000/2", "10000/2", 20000, 10000, CT_MEDIA_CALL, 0 },
	{ "20000/8", "10000", 20014, 10000, CT_MEDIA_CALL, 0 },
	{ "20000/9", "10000", 20014, 10000, CT_MEDIA_CALL, 2 },
	{ "20000/12", "10000/12", 20014, 10014, CT_MEDIA_CALL, 16 },
	{ "20000/12", "10000/12", 20016, 10016, CT_MEDIA_OTHER, 16 },
	{ "20000", "10000", 20002, 10002, CT_MEDIA_OTHER, 0 },       /* no count: one port */
	{ "20000/0", "10000/x", 20002, 10002, CT_MEDIA_OTHER, 0 },   /* malformed: one port */
	{ "20000/1", "10000/2", 20000, 10002, CT_MEDIA_CALL, 0 },
};

static void test_media_multiport(void)
{
	struct mctx c;
	struct ct_media_stats ms;
	int64_t t = T0 + SEC;
	size_t i;

	for (i = 0; i < sizeof(multiport_vecs) / sizeof(multiport_vecs[0]); i++) {
		uint16_t ap = multiport_vecs[i].a_port, bp = multiport_vecs[i].b_port;
		int want = multiport_vecs[i].want;

		mctx_init(&c, 0);
		c.mport = multiport_vecs[i].offer;
		sip(&c, T0, "mp-1", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
		    "198.51.100.20", 0);
		c.mport = multiport_vecs[i].answer;
		sip(&c, T0 + 100000, "mp-1", NULL, 200, "INVITE", 1, false, "203.0.113.10",
		    "198.51.100.10", "203.0.113.10", 0);
		c.mport = NULL;
		sip(&c, T0 + 200000, "mp-1", "ACK", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
		    "", 0);
		ct_media_get_stats(c.mt, &ms);
		CHECK_INT(ms.endpoints_refused, multiport_vecs[i].refused);
		CHECK_INT(burst(&c, t, "198.51.100.20", ap, "203.0.113.10", bp, 0x1111, 1, 10, want), 10);
		CHECK_INT(burst(&c, t, "203.0.113.10", bp, "198.51.100.20", ap, 0x2222, 1, 10, want), 10);
		if (want == CT_MEDIA_CALL) {
			CHECK_INT(rtcp(&c, t, "198.51.100.20", (uint16_t)(ap + 1), "203.0.113.10",
			    (uint16_t)(bp + 1)), CT_MEDIA_CALL);
			CHECK_INT(burst(&c, t, "45.33.1.2", 40000, "203.0.113.10", bp, 0xbad, 1, 5,
			    CT_MEDIA_INJECTED), 5);
		}
		call_bye(&c, t + 2 * SEC, "mp-1", "198.51.100.10");
		CHECK_INT(c.n, 1);
		if (c.n == 1 && want == CT_MEDIA_CALL) {
			CHECK_INT(c.recs[0]->n_streams, 2);
			CHECK(stream_of(c.recs[0], "198.51.100.20", ap) != NULL);
			CHECK(stream_of(c.recs[0], "203.0.113.10", bp) != NULL);
			CHECK(stream_of(c.recs[0], "45.33.1.2", 40000) == NULL);
		} else if (c.n == 1) {
			CHECK_INT(c.recs[0]->n_streams, 0);
		}
		mctx_fini(&c);
	}
}

/*
 * a=rtcp (RFC 3605) with a port count moves the first port's RTCP only:
 * the second port's stays one above it.
 */
static void test_media_multiport_rtcp(void)
{
	static const char body[] = "v=0\r\no=- 1 1 IN IP4 198.51.100.20\r\ns=-\r\n"
	    "c=IN IP4 198.51.100.20\r\nt=0 0\r\nm=audio 20000/2 RTP/AVP 0\r\na=rtcp:20011\r\n";
	char invite[1024];
	struct mctx c;
	struct ct_sip_msg m;

	/* The branch sip() gives its 200 (a response carries its INVITE's). */
	snprintf(invite, sizeof(invite), "INVITE sip:bob@203.0.113.10 SIP/2.0\r\n"
	    "Via: SIP/2.0/UDP 198.51.100.10:5060;branch=z9hG4bKmp-21INVITE\r\n"
	    "From: <sip:alice@x>;tag=ta\r\nTo: <sip:bob@x>\r\nCall-ID: mp-2\r\nCSeq: 1 INVITE\r\n"
	    "Content-Type: application/sdp\r\nContent-Length: %zu\r\n\r\n%s", strlen(body), body);
	mctx_init(&c, 0);
	sip_parse(&m, T0, "198.51.100.10", "203.0.113.10", invite);
	CHECK_INT(m.sdp.media[0].n_ports, 2);
	ct_dialog_on_msg(c.dt, &m);
	ct_sip_msg_fini(&m);
	sip(&c, T0 + 1000, "mp-2", NULL, 200, "INVITE", 1, false, "203.0.113.10", "198.51.100.10",
	    "203.0.113.10", 10000);
	CHECK_INT(rtcp(&c, T0 + SEC, "203.0.113.10", 10001, "198.51.100.20", 20011), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, T0 + SEC, "203.0.113.10", 10001, "198.51.100.20", 20003), CT_MEDIA_CALL);
	CHECK_INT(rtcp(&c, T0 + SEC, "203.0.113.10", 10001, "198.51.100.20", 20001), CT_MEDIA_OTHER);
	mctx_fini(&c);
}

/* Orphan streams seen by the hook (copies). */
struct orphans {
	struct ct_stream_stats s[8];
	size_t n;
};

static void on_orphan(void *user, const struct ct_stream_stats *s)
{
	struct orphans *o = user;

	if (o->n < 8)
		o->s[o->n++] = *s;
}

/*
 * An injected stream is reported as an orphan marked with the call it was
 * sent to; RTP of no call is not marked; a stream promoted into its call
 * (the answer arrived after its first packets) is no orphan at all.
 */
/*
 * A video stream (H263, static payload type 34, RFC 3551 §6) beside the
 * call's audio: no MOS (the E-model rates speech) and not in the
 * recording; its lateness and loss are its own (red-team pass 9: a video
 * stream's MOS of 1.2 made a clean call's mos_min).
 */
static void test_media_video(void)
{
	struct mctx c;
	size_t i;
	int k, video = 0, audio = 0;

	mctx_init(&c, 0);
	call_setup(&c, T0, "vid-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10020);
	CHECK_INT(burst(&c, T0 + SEC, "198.51.100.20", 20000, "203.0.113.10", 10020, 0xa1, 1, 50,
	    CT_MEDIA_CALL), 50);
	c.pt = 34;
	for (k = 0; k < 50; k++)   /* frames in bursts: 200 ms late every tenth, a tenth lost */
		if (k % 10 != 5)
			CHECK_INT(rtp(&c, T0 + SEC + k * 20000 + (k % 10 == 9 ? 200000 : 0),
			    "198.51.100.20", 20000, "203.0.113.10", 10020, 0xb1, (uint16_t)(1 + k), 0),
			    CT_MEDIA_CALL);
	c.pt = 0;
	call_bye(&c, T0 + 3 * SEC, "vid-1", "198.51.100.10");
	ct_dialog_flush(c.dt);
	CHECK_INT(c.n, 1);
	for (i = 0; c.n == 1 && i < c.recs[0]->n_streams; i++) {
		const struct ct_stream_stats *st = &c.recs[0]->streams[i];

		if (st->payload_type == 34) {
			video++;
			CHECK(st->video);
			CHECK(st->mos == 0);
			CHECK(st->loss_pct > 0);
		} else {
			audio++;
			CHECK(!st->video);
			CHECK(st->mos > 4);
		}
	}
	CHECK_INT(video, 1);
	CHECK_INT(audio, 1);
	mctx_fini(&c);
}

static void test_media_orphan_marked(void)
{
	struct mctx c;
	struct orphans o;
	size_t i, marked = 0, plain = 0;

	memset(&o, 0, sizeof(o));
	mctx_init(&c, 0);
	ct_media_set_orphan_hook(c.mt, on_orphan, &o);
	call_setup(&c, T0, "orph-1", "198.51.100.10", "198.51.100.20", 20000, "203.0.113.10", 10000);
	CHECK_INT(burst(&c, T0 + SEC, "45.33.1.2", 40000, "203.0.113.10", 10000, 0xbad, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	CHECK_INT(burst(&c, T0 + SEC, "45.33.1.2", 40000, "203.0.113.77", 10000, 0xbad1, 1, 20,
	    CT_MEDIA_OTHER), 20);
	/* Sent before the answer that announces its source: promoted later. */
	sip(&c, T0 + 2 * SEC, "orph-2", "INVITE", 0, NULL, 1, true, "198.51.100.10", "203.0.113.10",
	    "198.51.100.30", 22000);
	CHECK_INT(burst(&c, T0 + 2 * SEC, "198.51.100.40", 24000, "198.51.100.30", 22000, 0x42, 1, 20,
	    CT_MEDIA_INJECTED), 20);
	sip(&c, T0 + 3 * SEC, "orph-2", NULL, 200, "INVITE", 1, false, "203.0.113.10",
	    "198.51.100.10", "198.51.100.40", 24000);
	call_bye(&c, T0 + 5 * SEC, "orph-1", "198.51.100.10");
	CHECK_INT(o.n, 2);
	for (i = 0; i < o.n; i++) {
		if (ct_addr_eq(&o.s[i].dst, &(struct ct_addr){ .family = 4, .a = { 203, 0, 113, 10 } })) {
			CHECK_STR(o.s[i].injected_into, "orph-1");
			CHECK_INT(o.s[i].packets, 20);
			marked++;
		} else {
			CHECK_STR(o.s[i].injected_into, "");
			plain++;
		}
	}
	CHECK_INT(marked, 1);
	CHECK_INT(plain, 1);
	mctx_fini(&c);
}

int main(void)
{
	test_parse();
	test_rtcp();
	test_model();
	test_wrap_and_edges();
	test_seq_jumps();
	test_probation();
	test_excursions();
	test_dtmf();
	test_mos();
	test_media_injection();
	test_media_nat();
	test_media_confirm();
	test_media_rule2_dest();
	test_media_span_copies();
	test_media_ssrc_collision();
	test_media_update_storm();
	test_media_full_call();
	test_media_reinvite_ports();
	test_media_collisions();
	test_media_ssrc_churn();
	test_media_sdp_steal();
	test_media_foreign_response();
	test_media_foreign_reuse();
	test_media_stranger_answered();
	test_media_claimed_endpoint();
	test_media_rtcp();
	test_media_rtcp_attr();
	test_media_multiport();
	test_media_multiport_rtcp();
	test_media_orphan_marked();
	test_media_video();
	test_media_tunnel();
	return TEST_REPORT();
}
