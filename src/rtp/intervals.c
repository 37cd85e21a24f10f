/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-interval samples of an RTP stream, for the quality charts of
 * `calltap show --format html` and the stores' table rtp_intervals.
 *
 * The stream's time (capture time from its first packet) is cut into
 * intervals of width_us (CT_RTP_IVAL_US, 5 s); each keeps the packets that
 * arrived in it, the advance of the extended highest sequence number over it
 * (its expected count, RFC 3550 A.3 applied per interval, as an RTCP
 * receiver report's "fraction lost" is), and the maximum and sum of the
 * stream's jitter figure over its regular packets (stream.c says which).
 * So the intervals add up to the stream: their packets and their lost sum
 * to the stream's packets and lost, their maximum jitter is the stream's.
 * A loss is counted in the interval where the next packet shows it (the
 * first packet after a gap), as a receiver learns of it.  An interval with
 * no packet (hold, silence suppression) is kept, empty.
 *
 * Bounded: at most max intervals (CT_RTP_IVAL_MAX, 720 = one hour at 5 s).
 * When the stream reaches the next one past the bound, neighbours merge in
 * pairs (sums add, maxima take the larger) and the width doubles, so a
 * stream always has between max / 2 and max intervals once it is longer
 * than max widths, all of one width.  The array starts at 4 entries and
 * doubles when an interval opens and it is full: no allocation per packet,
 * and O(1) work per packet except when an interval opens (amortised O(1);
 * a merge is O(max) once per doubling of the stream's length).  A failed
 * allocation drops the intervals (oom): a stream never shows a partial
 * chart as if it were whole.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/record.h"
#include "calltap/rtp.h"

#define IVAL_FIRST_CAP 4     /* 20 s: most calls never grow it */

/* Prepares iv: no interval yet, width width_us (> 0), at most max (>= 2). */
void ct_rtp_ivals_init(struct ct_rtp_ivals *iv, int64_t width_us, uint32_t max)
{
	memset(iv, 0, sizeof(*iv));
	iv->width_us = width_us > 0 ? width_us : CT_RTP_IVAL_US;
	iv->max = max >= 2 ? max : 2;
}

void ct_rtp_ivals_fini(struct ct_rtp_ivals *iv)
{
	if (iv == NULL)
		return;
	free(iv->v);
	iv->v = NULL;
	iv->n = iv->cap = 0;
}

static void drop_all(struct ct_rtp_ivals *iv)
{
	ct_rtp_ivals_fini(iv);
	iv->oom = true;
}

/* Appends an empty interval; false (everything dropped) on no memory. */
static bool push_empty(struct ct_rtp_ivals *iv)
{
	if (iv->n == iv->cap) {
		uint32_t cap = iv->cap ? iv->cap * 2 : IVAL_FIRST_CAP;
		struct ct_rtp_ival *p;

		if (cap > iv->max)
			cap = iv->max;
		if ((p = realloc(iv->v, cap * sizeof(*p))) == NULL) {
			drop_all(iv);
			return false;
		}
		iv->v = p;
		iv->cap = cap;
	}
	memset(&iv->v[iv->n++], 0, sizeof(iv->v[0]));
	return true;
}

static void merge_into(struct ct_rtp_ival *a, const struct ct_rtp_ival *b)
{
	a->packets += b->packets;
	a->expected += b->expected;
	a->jitter_n += b->jitter_n;
	a->jitter_sum_ms += b->jitter_sum_ms;
	if (b->max_jitter_ms > a->max_jitter_ms)
		a->max_jitter_ms = b->max_jitter_ms;
}

/* Halves the intervals: entry i becomes old 2i + old 2i+1; the width doubles. */
static void merge_pairs(struct ct_rtp_ivals *iv)
{
	uint32_t i;

	for (i = 0; 2 * i < iv->n; i++) {
		iv->v[i] = iv->v[2 * i];
		if (2 * i + 1 < iv->n)
			merge_into(&iv->v[i], &iv->v[2 * i + 1]);
	}
	iv->n = i;
	iv->width_us *= 2;
}

/* Closes the open interval and opens the one holding t_us (empty ones between). */
static void advance(struct ct_rtp_ivals *iv, int64_t t_us)
{
	uint64_t k;

	iv->v[iv->n - 1].expected += iv->seq_now - iv->seq_closed;
	iv->seq_closed = iv->seq_now;
	while ((k = (uint64_t)(t_us - iv->t0_us) / (uint64_t)iv->width_us) >= iv->max)
		merge_pairs(iv);
	while (iv->n < k + 1)
		if (!push_empty(iv))
			return;
	iv->end_us = iv->t0_us + (int64_t)(k + 1) * iv->width_us;
}

/*
 * One packet (see rtp.h).  A packet stamped before the open interval's
 * start (capture times out of order) counts in the open interval.
 */
void ct_rtp_ivals_add(struct ct_rtp_ivals *iv, int64_t t_us, uint32_t ext_seq, double jitter_ms)
{
	struct ct_rtp_ival *c;

	if (iv->oom)
		return;
	if (!iv->started) {
		iv->started = true;
		iv->t0_us = t_us;
		iv->end_us = t_us + iv->width_us;
		iv->seq_closed = ext_seq - 1;
		iv->seq_now = ext_seq;
		if (!push_empty(iv))
			return;
	} else if (t_us >= iv->end_us) {
		advance(iv, t_us);
		if (iv->oom)
			return;
	}
	c = &iv->v[iv->n - 1];
	c->packets++;
	iv->seq_now = ext_seq;
	if (jitter_ms >= 0.0) {
		c->jitter_n++;
		c->jitter_sum_ms += jitter_ms;
		if (jitter_ms > c->max_jitter_ms)
			c->max_jitter_ms = (float)jitter_ms;
	}
}

void ct_rtp_ivals_undo(struct ct_rtp_ivals *iv, uint32_t ext_seq, uint32_t n)
{
	uint32_t i, back;

	if (iv == NULL || iv->oom || !iv->started)
		return;
	for (i = iv->n; i > 0 && n > 0; i--) {
		back = iv->v[i - 1].packets < n ? iv->v[i - 1].packets : n;
		iv->v[i - 1].packets -= back;
		n -= back;
	}
	/* the closed intervals expected seq_closed at most: what lies past ext_seq goes */
	if ((int32_t)(iv->seq_closed - ext_seq) > 0) {
		back = iv->seq_closed - ext_seq;
		for (i = iv->n - 1; i > 0 && back > 0; i--) {
			uint32_t b = iv->v[i - 1].expected < back ? iv->v[i - 1].expected : back;

			iv->v[i - 1].expected -= b;
			back -= b;
		}
		iv->seq_closed = ext_seq;
	}
	iv->seq_now = ext_seq;
}

void ct_rtp_ivals_export(const struct ct_rtp_ivals *iv, const char *codec, int64_t last_us,
    struct ct_stream_ival **out, uint32_t *n)
{
	struct ct_stream_ival *o;
	uint32_t i;

	*out = NULL;
	*n = 0;
	if (iv == NULL || iv->oom || iv->n == 0 || (o = calloc(iv->n, sizeof(*o))) == NULL)
		return;
	for (i = 0; i < iv->n; i++) {
		const struct ct_rtp_ival *a = &iv->v[i];
		uint32_t expected = a->expected;
		double loss;

		if (i == iv->n - 1)
			expected += iv->seq_now - iv->seq_closed;
		o[i].start_us = iv->t0_us + (int64_t)i * iv->width_us;
		o[i].end_us = o[i].start_us + iv->width_us;
		if (i == iv->n - 1 && last_us >= o[i].start_us && last_us < o[i].end_us)
			o[i].end_us = last_us;
		o[i].packets = a->packets;
		o[i].lost = (int64_t)expected - (int64_t)a->packets;
		o[i].loss_pct = o[i].lost > 0 ? (double)o[i].lost * 100.0 / (double)expected : 0.0;
		o[i].has_jitter = a->jitter_n > 0;
		o[i].max_jitter_ms = a->max_jitter_ms;
		o[i].mean_jitter_ms = a->jitter_n > 0 ? a->jitter_sum_ms / a->jitter_n : 0.0;
		loss = o[i].loss_pct / 100.0;
		o[i].mos = a->packets > 0 ? ct_rtp_mos(codec, loss, o[i].mean_jitter_ms) : 0.0;
	}
	*out = o;
	*n = iv->n;
}
