/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The status line (stats.h): a live capture's schedule on capture time with
 * its drops; a file replay's on the wall clock, with the megabytes read
 * (of the total and the percent when known) and their rate, never drops.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/stats.h"
#include "test.h"

#define S 1000000LL

/* Prints one line into a buffer: live (in == NULL) or file (at now_us). */
static void line_text(struct ct_stats_line *l, const struct ct_engine_stats *es,
    const struct ct_stats_input *in, int64_t now_us, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	if (f == NULL) {
		buf[0] = '\0';
		return;
	}
	if (in != NULL)
		ct_stats_line_print_read(l, es, in, now_us, f);
	else
		ct_stats_line_print(l, es, f);
	fclose(f);
}

static void fill(struct ct_engine_stats *es, uint64_t frames, uint64_t started, int64_t now_us)
{
	es->c.frames = frames;
	es->c.rtp_packets = frames / 2;
	es->c.sip_udp = 8;
	es->c.sip_tcp = 2;
	es->dialog.started = started;
	es->dialog.ended = started / 2;
	es->dialog.calls = started / 4;
	es->dialog.active = (size_t)(started - started / 2);
	es->now_us = now_us;
}

/* Files: wall-clock schedule, bytes read, no drops even when drops_known. */
static void test_file_line(void)
{
	static const struct {
		int64_t interval_us;
		int64_t start_us, now_us;     /* wall clock */
		uint64_t frames, done, total;
		const char *want;
	} v[] = {
		{ 1 * S, 5 * S, 7 * S, 2000, 3000000, 12000000,
		  "calltap: packets 2000 (1000/s) calls in progress 20 started 40 ended 20 "
		  "written 10 evicted 0 refused 0 rtp 1000 injected 0 sip 10 "
		  "read 3.0 of 12.0 MB (25.0%, 1.5 MB/s) at 2023-11-14T22:13:20Z\n" },
		/* total not known (standard input): no percent */
		{ 2 * S, 0, 4 * S, 400, 1200000, 0,
		  "calltap: packets 400 (100/s) calls in progress 20 started 40 ended 20 "
		  "written 10 evicted 0 refused 0 rtp 200 injected 0 sip 10 "
		  "read 1.2 MB (0.3 MB/s) at 2023-11-14T22:13:20Z\n" },
		/* a line at the start itself: no span, rates 0 */
		{ 1 * S, 3 * S, 3 * S, 0, 0, 500,
		  "calltap: packets 0 (0/s) calls in progress 20 started 40 ended 20 "
		  "written 10 evicted 0 refused 0 rtp 0 injected 0 sip 10 "
		  "read 0.0 of 0.0 MB (0.0%, 0.0 MB/s) at 2023-11-14T22:13:20Z\n" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct ct_engine_stats es;
		struct ct_stats_line l;
		struct ct_stats_input in = { v[i].done, v[i].total };
		char buf[512];

		memset(&es, 0, sizeof(es));
		fill(&es, v[i].frames, 40, 1700000000 * S);
		es.drops_known = true;          /* never printed for a file */
		es.c.capture_drops = 7;
		ct_stats_line_init(&l, v[i].interval_us);
		ct_stats_line_start(&l, v[i].start_us);
		CHECK(!ct_stats_line_due_at(&l, v[i].start_us));
		CHECK(!ct_stats_line_due_at(&l, v[i].start_us + v[i].interval_us - 1));
		CHECK(ct_stats_line_due_at(&l, v[i].start_us + v[i].interval_us));
		line_text(&l, &es, &in, v[i].now_us, buf, sizeof(buf));
		CHECK_STR(buf, v[i].want);
		CHECK(strstr(buf, "drops") == NULL);
		/* The next line is due one interval after this one. */
		CHECK(!ct_stats_line_due_at(&l, v[i].now_us + v[i].interval_us - 1));
		CHECK(ct_stats_line_due_at(&l, v[i].now_us + v[i].interval_us));
	}
}

/* Rates of a second line count from the first; capture time plays no part. */
static void test_file_rates(void)
{
	struct ct_engine_stats es;
	struct ct_stats_line l;
	struct ct_stats_input in = { 50000000, 100000000 };
	char buf[512];

	memset(&es, 0, sizeof(es));
	ct_stats_line_init(&l, 10 * S);
	ct_stats_line_start(&l, 100 * S);
	fill(&es, 1000000, 100, 1700000000 * S);
	line_text(&l, &es, &in, 110 * S, buf, sizeof(buf));
	CHECK(strstr(buf, "packets 1000000 (100000/s) ") != NULL);
	CHECK(strstr(buf, " read 50.0 of 100.0 MB (50.0%, 5.0 MB/s) ") != NULL);
	/* 2 s later, 3 hours of capture time later: the rates are per wall second */
	fill(&es, 1400000, 200, (1700000000 + 3 * 3600) * S);
	in.done = 60000000;
	line_text(&l, &es, &in, 112 * S, buf, sizeof(buf));
	CHECK(strstr(buf, "packets 1400000 (200000/s) ") != NULL);
	CHECK(strstr(buf, " read 60.0 of 100.0 MB (60.0%, 5.0 MB/s) at 2023-11-15T01:13:20Z\n") != NULL);
	/* Off: never due. */
	ct_stats_line_init(&l, 0);
	ct_stats_line_start(&l, 0);
	CHECK(!ct_stats_line_due_at(&l, INT64_MAX));
}

/* Live: capture-time schedule, started per minute, drops once known. */
static void test_live_line(void)
{
	struct ct_engine_stats es;
	struct ct_stats_line l;
	char buf[512];

	memset(&es, 0, sizeof(es));
	ct_stats_line_init(&l, 60 * S);
	fill(&es, 100, 4, 1700000000 * S);
	CHECK(!ct_stats_line_due(&l, &es));      /* the first tick starts the clock */
	fill(&es, 6100, 64, 1700000000 * S + 60 * S - 1);
	CHECK(!ct_stats_line_due(&l, &es));
	fill(&es, 6100, 64, 1700000000 * S + 60 * S);
	CHECK(ct_stats_line_due(&l, &es));
	es.drops_known = true;
	es.c.capture_drops = 3;
	es.c.capture_ifdrops = 1;
	line_text(&l, &es, NULL, 0, buf, sizeof(buf));
	CHECK_STR(buf, "calltap: packets 6100 (102/s) calls in progress 32 started 64 (64.0/min) "
	    "ended 32 written 16 evicted 0 refused 0 rtp 3050 injected 0 sip 10 "
	    "drops 3 ifdrops 1 at 2023-11-14T22:14:20Z\n");
}

int main(void)
{
	test_file_line();
	test_file_rates();
	test_live_line();
	return TEST_REPORT();
}
