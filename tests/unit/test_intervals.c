/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-interval stream samples (src/rtp/intervals.c), fed through
 * ct_rtp_stream_update as the media table feeds them: a table of 20 ms PCMU
 * streams with known drops, delays and gaps, checked interval by interval
 * against figures worked out by hand, and against a small independent model
 * of the RFC 3550 jitter per packet; the bound (merging in pairs); the sums
 * over the intervals against the stream's own figures.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/record.h"
#include "calltap/rtp.h"
#include "test.h"

#define NEAR(a, b, eps) CHECK(fabs((double)(a) - (double)(b)) <= (eps))
#define MAXI 8

struct ival_case {
	const char *name;
	int n;                      /* packets sent (seq base + i, ts 160 i, at 20 ms i) */
	uint16_t base;              /* first sequence number */
	int64_t width_us;
	uint32_t max;
	int drop[8];                /* indexes not received, -1 ends */
	int delay_at, delay_ms;     /* packet delay_at arrives delay_ms late (-1: none) */
	int gap_at;                 /* from packet gap_at on, arrival is 60 s later (-1: none) */
	/* expected */
	uint32_t n_ivals;
	int64_t width_out_us;
	uint64_t packets[MAXI];
	int64_t lost[MAXI];
	double max_jit[MAXI];       /* < 0: not checked here (the model checks it) */
};

static const struct ival_case cases[] = {
	{ "clean, 4 s in 1 s intervals", 200, 1000, 1000000, 720, { -1 }, -1, 0, -1,
	    4, 1000000, { 50, 50, 50, 50 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } },
	/* 10-14 lost in the first second; 60 in the second; 149, the last of
	 * the third, is seen lost when 150 arrives: counted in the fourth */
	{ "known loss", 200, 1000, 1000000, 720, { 10, 11, 12, 13, 14, 60, 149, -1 }, -1, 0, -1,
	    4, 1000000, { 45, 49, 49, 50 }, { 5, 1, 0, 1 }, { 0, 0, 0, 0 } },
	{ "loss across the sequence wrap", 100, 65500, 1000000, 720, { 35, 36, 60, -1 }, -1, 0, -1,
	    2, 1000000, { 48, 49 }, { 2, 1 }, { 0, 0 } },
	/* packet 60 is 8 ms late: D = 8 ms, J = 64/16 = 4 units = 0.5 ms; 61
	 * on time: D = 8 ms again, J = 4 + 60/16 = 7.75 units = 0.96875 ms */
	{ "one late packet", 150, 1, 1000000, 720, { -1 }, 60, 8, -1,
	    3, 1000000, { 50, 50, 50 }, { 0, 0, 0 }, { 0, 0.96875, -1 } },
	/* 1 s intervals, at most 4: at 4 s they merge into 2 s, at 8 s into 4 s */
	{ "bounded: merged twice", 500, 7, 1000000, 4, { 3, 250, 499, -1 }, -1, 0, -1,
	    3, 4000000, { 199, 199, 99 }, { 1, 1, 0 }, { 0, 0, 0 } },
	/* 1 s of packets, then 60 s of silence, then 1 s: 62 intervals of 1 s
	 * are too many for 4: widths 2, 4, 8, 16 s; packets in 0-16 s and 48-64 s */
	{ "gap: empty intervals, merged", 100, 1, 1000000, 4, { -1 }, -1, 0, 50,
	    4, 16000000, { 50, 0, 0, 50 }, { 0, 0, 0, 0 }, { 0, 0, 0, -1 } },
};

static void feed(struct ct_rtp_stream *s, uint16_t seq, uint32_t ts, int64_t t)
{
	struct ct_rtp_hdr h;

	memset(&h, 0, sizeof(h));
	h.version = 2;
	h.pt = 0;
	h.seq = seq;
	h.ts = ts;
	ct_rtp_stream_update(s, &h, t);
}

static bool dropped(const struct ival_case *c, int i)
{
	int k;

	for (k = 0; k < 8 && c->drop[k] >= 0; k++)
		if (c->drop[k] == i)
			return true;
	return false;
}

static int64_t arrival(const struct ival_case *c, int i)
{
	int64_t t = 1700000000000000LL + (int64_t)i * 20000;

	if (i == c->delay_at)
		t += (int64_t)c->delay_ms * 1000;
	if (c->gap_at >= 0 && i >= c->gap_at)
		t += 60000000;
	return t;
}

/* The model: RFC 3550 J per packet (ms), aggregated per output interval. */
static void model_jitter(const struct ival_case *c, const struct ct_stream_ival *o, uint32_t n,
    double *maxj, double *meanj, uint32_t *nj)
{
	double j = 0.0, prev_t = 0.0, prev_ts = 0.0;
	bool first = true;
	uint32_t k;
	int i;

	for (k = 0; k < n; k++) {
		maxj[k] = meanj[k] = 0.0;
		nj[k] = 0;
	}
	for (i = 0; i < c->n; i++) {
		double t = (double)arrival(c, i) / 1000.0, ts = 160.0 * i / 8.0;

		if (dropped(c, i))
			continue;
		if (!first) {
			j += (fabs((t - prev_t) - (ts - prev_ts)) * 8.0 - j) / 16.0;
			for (k = 0; k < n; k++)
				if (arrival(c, i) >= o[k].start_us &&
				    (k + 1 == n || arrival(c, i) < o[k + 1].start_us)) {
					if (j / 8.0 > maxj[k])
						maxj[k] = j / 8.0;
					meanj[k] += j / 8.0;
					nj[k]++;
				}
		}
		first = false;
		prev_t = t;
		prev_ts = ts;
	}
	for (k = 0; k < n; k++)
		if (nj[k] > 0)
			meanj[k] /= nj[k];
}

static void run_case(const struct ival_case *c)
{
	struct ct_rtp_stream s;
	struct ct_rtp_ivals iv;
	struct ct_stream_stats st;
	struct ct_stream_ival *o;
	double maxj[64], meanj[64], jmax = 0.0;
	uint32_t n, k, nj[64];
	uint64_t sum_p = 0;
	int64_t sum_l = 0;
	int i;

	ct_rtp_stream_init(&s, 1, 8000);
	ct_rtp_ivals_init(&iv, c->width_us, c->max);
	s.ivals = &iv;
	for (i = 0; i < c->n; i++)
		if (!dropped(c, i))
			feed(&s, (uint16_t)(c->base + i), 160u * (uint32_t)i, arrival(c, i));
	memset(&st, 0, sizeof(st));
	ct_rtp_stream_stats(&s, &st);
	ct_rtp_ivals_export(&iv, "PCMU", s.last_us, &o, &n);
	printf("  %s: %u intervals\n", c->name, n);
	CHECK_INT(n, c->n_ivals);
	CHECK(n <= c->max);
	CHECK_INT(iv.width_us, c->width_out_us);
	if (o == NULL || n != c->n_ivals || n > 64) {
		free(o);
		ct_rtp_ivals_fini(&iv);
		return;
	}
	model_jitter(c, o, n, maxj, meanj, nj);
	for (k = 0; k < n; k++) {
		CHECK_INT(o[k].start_us, arrival(c, 0) + (int64_t)k * c->width_out_us);
		CHECK_INT(o[k].end_us, k + 1 < n ? o[k].start_us + c->width_out_us : s.last_us);
		CHECK_INT(o[k].packets, c->packets[k]);
		CHECK_INT(o[k].lost, c->lost[k]);
		/* the maximum is kept as a float (24-byte intervals): 7 digits */
		if (c->max_jit[k] >= 0)
			NEAR(o[k].max_jitter_ms, c->max_jit[k], 1e-6 * (1 + c->max_jit[k]));
		NEAR(o[k].max_jitter_ms, maxj[k], 1e-6 * (1 + maxj[k]));
		NEAR(o[k].mean_jitter_ms, meanj[k], 1e-9);
		CHECK(o[k].has_jitter == (nj[k] > 0));
		if (o[k].packets == 0) {
			CHECK(o[k].mos == 0.0);
		} else {
			double exp_k = (double)(o[k].lost + (int64_t)o[k].packets);

			NEAR(o[k].loss_pct, o[k].lost > 0 ? o[k].lost * 100.0 / exp_k : 0.0, 1e-9);
			NEAR(o[k].mos, ct_rtp_mos("PCMU", o[k].loss_pct / 100.0, o[k].mean_jitter_ms),
			    1e-12);
		}
		sum_p += o[k].packets;
		sum_l += o[k].lost;
		if (o[k].max_jitter_ms > jmax)
			jmax = o[k].max_jitter_ms;
	}
	/* the intervals add up to the stream */
	CHECK_INT(sum_p, st.packets);
	CHECK_INT(sum_l, st.lost);
	NEAR(jmax, st.max_jitter_ms, 1e-6 * (1 + st.max_jitter_ms));
	free(o);
	ct_rtp_ivals_fini(&iv);
}

/* Nothing fed: no intervals; a one-packet stream: one interval of length 0. */
static void test_edges(void)
{
	struct ct_rtp_ivals iv;
	struct ct_stream_ival *o;
	uint32_t n;

	ct_rtp_ivals_init(&iv, CT_RTP_IVAL_US, CT_RTP_IVAL_MAX);
	ct_rtp_ivals_export(&iv, NULL, 0, &o, &n);
	CHECK(o == NULL);
	CHECK_INT(n, 0);
	ct_rtp_ivals_add(&iv, 5000000, 42, -1.0);
	ct_rtp_ivals_export(&iv, NULL, 5000000, &o, &n);
	CHECK_INT(n, 1);
	if (o != NULL) {
		CHECK_INT(o[0].packets, 1);
		CHECK_INT(o[0].lost, 0);
		CHECK_INT(o[0].end_us - o[0].start_us, 0);
		CHECK(!o[0].has_jitter);
		NEAR(o[0].mos, ct_rtp_mos(NULL, 0.0, 0.0), 1e-12);
	}
	free(o);
	/* a year later: still at most max, the array never past max entries */
	ct_rtp_ivals_add(&iv, 5000000 + 365LL * 86400 * 1000000, 43, -1.0);
	CHECK(iv.n <= CT_RTP_IVAL_MAX && iv.cap <= CT_RTP_IVAL_MAX);
	CHECK(iv.n > CT_RTP_IVAL_MAX / 2);
	ct_rtp_ivals_fini(&iv);
	ct_rtp_ivals_fini(NULL);
}

int main(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	test_edges();
	return TEST_REPORT();
}
