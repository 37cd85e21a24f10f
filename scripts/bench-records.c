/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Micro-benchmark of the record outputs (issue 16, "cheaper records"): ns
 * per record to format and write N synthetic call records through the JSON,
 * CSV and SQLite sinks (the real sink ops, as the output thread calls them:
 * write per record, flush about once a second's worth), into files under a
 * scratch directory.  Two record shapes: "flood", an unanswered INVITE with
 * no media (what a scanner or INVITE flood produces), and "call", an
 * answered call with two RTP streams.  Built on demand (`make
 * scripts/bench-records`, an EXTRA_PROGRAMS entry); scripts/bench --records
 * runs it.
 * usage: bench-records DIR [N [SINK [SHAPE]]]   (default N 20000; prints one line per
 * sink and shape; SINK, e.g. sqlite, and SHAPE, flood or call, run those alone: for a
 * profiler)
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/err.h"
#include "calltap/record.h"
#include "calltap/sink.h"
#include "calltap/sip.h"

#define T0 INT64_C(1709296496123456)

static void v4(struct ct_addr *a, unsigned last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 203;
	a->a[1] = 0;
	a->a[2] = 113;
	a->a[3] = (uint8_t)last;
}

/* Record i of a shape: call ids and times differ per record. */
static void fill(struct ct_call_record *r, size_t i, int answered)
{
	char id[64];

	memset(r, 0, sizeof(*r));
	snprintf(id, sizeof(id), "%zx-%08zx@scanner.example", i * 2654435761u, i);
	r->call_id = strdup(id);
	r->caller = strdup(answered ? "+15551234567" : "100");
	r->caller_name = answered ? strdup("Alice \"Al\" Smith") : NULL;
	r->callee = strdup(answered ? "18005550199" : "9011441234567");
	r->agent = answered ? strdup("2001") : NULL;
	v4(&r->src_ip, 10 + (unsigned)(i % 200));
	v4(&r->dst_ip, 1);
	r->src_port = 5060;
	r->dst_port = 5060;
	r->transport = CT_TRANSPORT_UDP;
	r->start_us = T0 + (int64_t)i * 1003;
	r->ringing_us = r->answer_us = r->end_us = CT_TIME_NONE;
	r->q850_cause = -1;
	r->disposition = CT_DISP_UNFINISHED;
	r->invites = 1;
	if (!answered)
		return;
	r->ringing_us = r->start_us + 1234500;
	r->answer_us = r->start_us + 5000499;
	r->end_us = r->start_us + 65432100 + (int64_t)i;
	r->final_code = 200;
	r->disposition = CT_DISP_ANSWERED;
	r->hangup_by = CT_PARTY_CALLER;
	r->q850_cause = 16;
	r->hangup_reason = strdup("Normal call clearing");
	r->n_streams = 2;
	r->streams = calloc(2, sizeof(*r->streams));
	for (size_t k = 0; r->streams != NULL && k < 2; k++) {
		struct ct_stream_stats *s = &r->streams[k];

		v4(&s->src, 20 + (unsigned)k);
		v4(&s->dst, 30 + (unsigned)k);
		s->sport = (uint16_t)(40000 + 2 * k);
		s->dport = (uint16_t)(50000 + 2 * k);
		s->ssrc = 0x1234abcdu + (uint32_t)i;
		strcpy(s->codec, "PCMU");
		s->packets = 3271 + i % 7;
		s->lost = 3;
		s->loss_pct = 0.0917 + (double)(i % 13) / 100.0;
		s->max_jitter_ms = 4.5678 + (double)(i % 5);
		s->mean_jitter_ms = 1.23449;
		s->max_delta_ms = 40.0;
		s->mos = 4.3 - (double)(i % 3) / 10.0;
		s->first_us = r->start_us + 5100000;
		s->last_us = r->end_us;
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ns per record of sink ops over recs[0..n); -1 on an error (printed). */
static double run(const struct ct_sink_ops *ops, const char *path,
    struct ct_call_record *recs, size_t n)
{
	struct ct_sink_args args = { .target = path };
	char err[CT_ERRBUF_SIZE] = "";
	double t0, t1;
	void *p;
	size_t i;

	remove(path);
	p = ops->open(&args, err);
	if (p == NULL) {
		fprintf(stderr, "bench-records: %s: %s\n", ops->name, err);
		return -1;
	}
	t0 = now_s();
	for (i = 0; i < n; i++) {
		if (ops->write(p, &recs[i], err) != CT_OK) {
			fprintf(stderr, "bench-records: %s: %s\n", ops->name, err);
			ops->close(p, err);
			return -1;
		}
		/* The output thread flushes about once a second: ~every 5k records of a flood. */
		if (ops->flush != NULL && i % 5000 == 4999 && ops->flush(p, err) != CT_OK) {
			fprintf(stderr, "bench-records: %s: %s\n", ops->name, err);
			ops->close(p, err);
			return -1;
		}
	}
	if (ops->close(p, err) != CT_OK) {
		fprintf(stderr, "bench-records: %s: %s\n", ops->name, err);
		return -1;
	}
	t1 = now_s();
	remove(path);
	return (t1 - t0) * 1e9 / (double)n;
}

int main(int argc, char **argv)
{
	static const struct { const struct ct_sink_ops *ops; const char *file; } sinks[] = {
		{ &ct_sink_json, "bench.jsonl" },
		{ &ct_sink_csv, "bench.csv" },
		{ &ct_sink_sqlite, "bench.db" },
	};
	size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000, i, s;
	struct ct_call_record *recs;
	char path[4096];
	int shape, rc = 0;

	if (argc < 2 || n == 0) {
		fprintf(stderr, "usage: bench-records DIR [N [SINK [SHAPE]]]\n");
		return 2;
	}
	recs = calloc(n, sizeof(*recs));
	if (recs == NULL)
		return 1;
	for (shape = 0; shape < 2; shape++) {
		if (argc > 4 && strcmp(argv[4], shape ? "call" : "flood") != 0)
			continue;
		for (i = 0; i < n; i++)
			fill(&recs[i], i, shape);
		for (s = 0; s < sizeof(sinks) / sizeof(sinks[0]); s++) {
			double ns;

			if (argc > 3 && strcmp(argv[3], sinks[s].ops->name) != 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", argv[1], sinks[s].file);
			ns = run(sinks[s].ops, path, recs, n);
			if (ns < 0)
				rc = 1;
			else
				printf("%-6s %-5s %8.0f ns/record\n", sinks[s].ops->name,
				    shape ? "call" : "flood", ns);
		}
		for (i = 0; i < n; i++) {
			struct ct_call_record *r = malloc(sizeof(*r));

			if (r == NULL)
				return 1;
			*r = recs[i];
			ct_call_record_free(r);
		}
	}
	free(recs);
	return rc;
}
