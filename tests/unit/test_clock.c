/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Untrusted timestamps: the saturating helpers of clock.h, the pcapng
 * conversion at the extremes of if_tsresol / if_tsoffset / the 64-bit tick
 * count, and the stages that do arithmetic on capture time (RTP timing, IP
 * fragment timeouts, the engine's clamp, tick and counters) fed times at
 * the ends of int64.  Meaningful under -fsanitize=undefined, where a signed
 * overflow aborts; the values are checked in every build.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/clock.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"
#include "calltap/rtp.h"
#include "calltap/source.h"
#include "../../src/capture/source_int.h"
#include "test.h"

#define MAX INT64_MAX
#define MIN INT64_MIN

static void test_helpers(void)
{
	static const struct { int64_t a, b, sum, diff; } v[] = {
		{ 1, 2, 3, -1 },
		{ MAX, 1, MAX, MAX - 1 },
		{ MAX, MAX, MAX, 0 },
		{ MIN, -1, -MAX, -MAX },            /* MIN is CT_TIME_NONE: never a result */
		{ MIN, MIN, -MAX, 0 },
		{ MAX, MIN, -1, MAX },
		{ MIN, MAX, -1, -MAX },
		{ 0, MIN, -MAX, MAX },
		{ -1, MIN, -MAX, MAX },
		{ CT_TS_MAX, INT64_C(300000000), CT_TS_MAX + 300000000, CT_TS_MAX - 300000000 },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(ct_ts_add(v[i].a, v[i].b), v[i].sum);
		CHECK_INT(ct_ts_sub(v[i].a, v[i].b), v[i].diff);
	}
	{
		int64_t t = MIN;

		CHECK(ct_ts_clamp(&t));
		CHECK_INT(t, CT_TS_MIN);
		t = MAX;
		CHECK(ct_ts_clamp(&t));
		CHECK_INT(t, CT_TS_MAX);
		t = 1700000000000000;
		CHECK(!ct_ts_clamp(&t));
		CHECK_INT(t, 1700000000000000);
	}
}

/* ---- pcapng ---- */

static size_t put_block(uint8_t *b, uint32_t type, const uint8_t *body, size_t n)
{
	uint32_t len = (uint32_t)(12 + ((n + 3) & ~(size_t)3));

	memset(b, 0, len);
	memcpy(b, &type, 4);
	memcpy(b + 4, &len, 4);
	memcpy(b + 8, body, n);
	memcpy(b + len - 4, &len, 4);
	return len;
}

/*
 * Reads one packet of an interface with if_tsresol resol (-1: none) and
 * if_tsoffset off at tick count ticks; returns its ts_us (or 42 on error).
 */
static int64_t ng_ts(int resol, int64_t off, uint64_t ticks)
{
	uint8_t file[512], body[64];
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct ct_frame f;
	size_t n = 0, k;
	int64_t ts = 42;
	uint32_t u;
	FILE *fp;

	/* SHB: byte-order magic, version 1.0, section length -1 */
	memset(body, 0, sizeof(body));
	u = 0x1A2B3C4D;
	memcpy(body, &u, 4);
	body[4] = 1;
	memset(body + 8, 0xFF, 8);
	n += put_block(file + n, 0x0A0D0D0A, body, 16);
	/* IDB: Ethernet, snaplen 65535, options */
	memset(body, 0, sizeof(body));
	body[0] = 1;
	u = 65535;
	memcpy(body + 4, &u, 4);
	k = 8;
	if (resol >= 0) {
		body[k] = 9;
		body[k + 2] = 1;
		body[k + 4] = (uint8_t)resol;
		k += 8;
	}
	body[k] = 14;
	body[k + 2] = 8;
	memcpy(body + k + 4, &off, 8);
	k += 12 + 4;              /* option, then opt_endofopt */
	n += put_block(file + n, 1, body, k);
	/* EPB: interface 0, ticks, 14-byte frame */
	memset(body, 0, sizeof(body));
	u = (uint32_t)(ticks >> 32);
	memcpy(body + 4, &u, 4);
	u = (uint32_t)ticks;
	memcpy(body + 8, &u, 4);
	u = 14;
	memcpy(body + 12, &u, 4);
	memcpy(body + 16, &u, 4);
	n += put_block(file + n, 6, body, 20 + 14);
	fp = fmemopen(file, n, "rb");
	if (fp == NULL)
		return 42;
	s = ct_source_open_savefile(fp, "mem", NULL, err);
	if (s == NULL) {
		fprintf(stderr, "%s\n", err);
		fclose(fp);
		return 42;
	}
	if (s->ops->next(s, &f, err) == 1)
		ts = f.ts_us;
	else
		fprintf(stderr, "%s\n", err);
	ct_source_close(s);
	return ts;
}

static void test_pcapng(void)
{
	static const struct { int resol; int64_t off; uint64_t ticks; int64_t want; } v[] = {
		{ -1, 0, 1700000000123456u, 1700000000123456 },
		{ -1, 0, UINT64_MAX, MAX },                                 /* 1.8e13 s: saturated */
		{ -1, MAX, 0, MAX },
		{ -1, MIN, 0, -MAX },
		{ -1, MIN, UINT64_MAX, -MAX },
		{ -1, -1, 0, -1000000 },
		{ 0, 0, UINT64_MAX, MAX },                                  /* seconds */
		{ 0, 0, (uint64_t)MAX / 1000000, MAX / 1000000 * 1000000 }, /* largest that fits */
		{ 0, -(MAX / 1000000), (uint64_t)MAX / 1000000, 0 },
		{ 19, 0, UINT64_MAX, 1844674 },                             /* 10^-19 s */
		{ 0x80 | 63, 0, UINT64_MAX, 1999999 },                      /* 2^-63 s */
		{ 0x80 | 63, MAX, UINT64_MAX, MAX },
		{ 0x80, 0, UINT64_MAX, MAX },                               /* 2^0 s */
		{ 9, 1700000000, 5, 1700000000000000 },                     /* ns plus offset */
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t got = ng_ts(v[i].resol, v[i].off, v[i].ticks);

		if (got != v[i].want)
			fprintf(stderr, "pcapng vector %zu\n", i);
		CHECK_INT(got, v[i].want);
	}
}

/* ---- stages ---- */

/*
 * Arrival times at the ends of the range: every difference saturates.  A
 * packet whose transit jumps goes on probation (src/rtp/stream.c); each
 * extreme time comes twice, so the second confirms the first and the
 * huge spacing is taken; a lone one counts in out_of_order only.
 */
static void test_rtp_timing(void)
{
	static const int64_t t[] = { -MAX, MAX, MAX, 0, MIN + 1, MIN + 1, MAX, -MAX, -MAX };
	struct ct_rtp_stream s;
	struct ct_stream_stats out;
	struct ct_rtp_hdr h;
	size_t i;

	ct_rtp_stream_init(&s, 1, 8000);
	memset(&h, 0, sizeof(h));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		h.seq = (uint16_t)i;
		h.ts = (uint32_t)(160 * i);
		ct_rtp_stream_update(&s, &h, t[i]);
	}
	memset(&out, 0, sizeof(out));
	ct_rtp_stream_stats(&s, &out);
	CHECK_INT(out.packets + out.out_of_order, sizeof(t) / sizeof(t[0]));
	CHECK(out.packets >= 5);
	CHECK(s.max_delta_ms > 9.2e15 && s.max_delta_ms < 9.3e15);   /* saturated, not wrapped */
	CHECK(out.max_jitter_ms >= 0.0 && out.max_jitter_ms < 1e16);
}

static void test_ipfrag_times(void)
{
	static const uint8_t data[64];
	struct ct_ipfrag_limits lim;
	struct ct_ipfrag_stats st;
	struct ct_ipfrag *f;
	struct ct_packet p;
	uint8_t *out = NULL;
	size_t len = 0;

	ct_ipfrag_limits_default(&lim);
	f = ct_ipfrag_new(&lim);
	CHECK(f != NULL);
	if (f == NULL)
		return;
	memset(&p, 0, sizeof(p));
	p.t.src.family = p.t.dst.family = 4;
	p.t.src.a[3] = 1;
	p.t.dst.a[3] = 2;
	p.t.proto = 17;
	p.is_fragment = true;
	p.frag_proto = 17;
	p.frag_id = 7;
	p.frag_more = true;
	p.payload = data;
	p.payload_len = sizeof(data);
	p.ts_us = -MAX;
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &len), CT_PARTIAL);
	/* the same datagram at the other end of time: timed out, started again */
	p.ts_us = MAX;
	p.frag_off = 64;
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &len), CT_PARTIAL);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 1);
	ct_ipfrag_expire(f, MIN + 1);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 1);
	ct_ipfrag_expire(f, MAX);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 1);       /* first seen at MAX: not older than the timeout */
	ct_ipfrag_free(f);
}

/*
 * An engine with default settings, and in *f a 60-byte Ethernet frame of
 * zeros (skipped by the decoder) for the caller to date; NULL (checked)
 * when the engine cannot be made.
 */
static struct ct_engine *engine_and_frame(struct ct_frame *f)
{
	static uint8_t frame[60];
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_engine *e = ct_engine_new(NULL, errbuf);

	CHECK(e != NULL);
	memset(f, 0, sizeof(*f));
	f->linktype = 1;
	f->data = frame;
	f->caplen = f->wirelen = sizeof(frame);
	return e;
}

static void test_engine_clamp(void)
{
	static const int64_t t[] = { MAX, MIN, -1, 0, CT_TS_MAX, CT_TS_MAX + 1, 1700000000000000 };
	struct ct_frame f;
	struct ct_engine *e = engine_and_frame(&f);
	size_t i;

	if (e == NULL)
		return;
	ct_engine_new_input(e);
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		f.ts_us = t[i];
		ct_engine_frame(e, &f);
		ct_engine_clock(e, t[i]);
	}
	ct_engine_clock(e, MAX);
	CHECK_INT(ct_engine_counters(e)->frames, 7);
	CHECK_INT(ct_engine_counters(e)->time_out_of_range, 4);
	CHECK_INT(ct_engine_counters(e)->time_backwards, 4);   /* MIN, -1, 0 after MAX; the last */
	ct_engine_finish(e);
	ct_engine_free(e);
}

/* Frames the engine ran through its stages so far (held ones are not). */
static uint64_t frames_run(const struct ct_engine *e)
{
	const struct ct_engine_counters *c = ct_engine_counters(e);

	return c->decoded + c->skipped + c->invalid;
}

/*
 * The capture clock and frames dated far ahead (engine.c clock_jump).  A
 * frame more than 60 s ahead is held, with the frames after it; one back
 * before it makes the held frames outliers (run, the clock not moved,
 * time_jumps_ignored once), four in a row make the jump real (run as if
 * never held, so a frame back before them is then late: time_backwards).
 * clock: ct_engine_clock at this time after the frame (0: none), which
 * decides a jump held.  run: frames run so far.
 */
static void test_engine_jump(void)
{
	static const struct {
		int64_t dt, clock;
		uint64_t jumps, backwards, run;   /* the counters after the frame */
	} v[] = {
		{ 0, 0, 0, 0, 1 }, { 1, 0, 0, 0, 2 },
		{ 3 * 3600, 0, 0, 0, 2 }, { 3 * 3600, 0, 0, 0, 2 },   /* held */
		{ 2, 0, 1, 0, 5 }, { 3, 0, 1, 0, 6 },                 /* back: outliers */
		{ 3600, 0, 1, 0, 6 }, { 3601, 0, 1, 0, 6 }, { 3601, 0, 1, 0, 6 },
		{ 3602, 0, 1, 0, 10 },                                /* the fourth: real */
		{ 4, 0, 1, 1, 11 },
		{ 3603, 0, 1, 1, 12 }, { 3603 + 61, 0, 1, 1, 12 },     /* 61 s: a jump */
		{ 3603, 0, 2, 1, 14 },
		{ 3603 + 60, 0, 2, 1, 15 }, { 3604, 0, 2, 2, 16 },     /* 60 s: at once */
		{ 9000, 3663 + 100, 3, 2, 17 },   /* the idle clock before it: an outlier */
		{ 9000, 9000 - 60, 3, 2, 18 },    /* ... at its jump_lo: real */
		{ 9000 - 61, 0, 3, 3, 19 },
		{ 20000, 0, 3, 3, 19 },           /* held at the end: run by ct_engine_finish */
	};
	const int64_t t0 = INT64_C(1700000000000000);
	struct ct_frame f;
	struct ct_engine *e = engine_and_frame(&f);
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		f.ts_us = t0 + v[i].dt * INT64_C(1000000);
		ct_engine_frame(e, &f);
		if (v[i].clock != 0)
			ct_engine_clock(e, t0 + v[i].clock * INT64_C(1000000));
		if (ct_engine_counters(e)->time_jumps_ignored != v[i].jumps ||
		    ct_engine_counters(e)->time_backwards != v[i].backwards ||
		    frames_run(e) != v[i].run)
			fprintf(stderr, "jump frame %zu\n", i);
		CHECK_INT(ct_engine_counters(e)->time_jumps_ignored, v[i].jumps);
		CHECK_INT(ct_engine_counters(e)->time_backwards, v[i].backwards);
		CHECK_INT(frames_run(e), v[i].run);
	}
	CHECK_INT(ct_engine_counters(e)->frames, sizeof(v) / sizeof(v[0]));
	ct_engine_finish(e);
	CHECK_INT(frames_run(e), sizeof(v) / sizeof(v[0]));
	ct_engine_free(e);
}

int main(void)
{
	test_helpers();
	test_pcapng();
	test_rtp_timing();
	test_ipfrag_times();
	test_engine_clamp();
	test_engine_jump();
	return TEST_REPORT();
}
