/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-stream RTP statistics: packets, loss, duplicates, reordering,
 * interarrival jitter, maximum delta between packets and RFC 4733 DTMF digits.
 * Workload: one call per received RTP packet of a stream (tens of thousands
 * per stream, many streams at once), so the state is O(1), fixed size, and an
 * update never allocates.
 *
 * The figures are meant to agree with Wireshark's RTP stream analysis
 * (`tshark -z rtp,streams`), which is what most users check us against:
 *  - packets counts every packet of the SSRC, duplicates and events included;
 *  - expected = highest extended sequence - first sequence + 1 and
 *    lost = expected - packets (RFC 3550 A.3; negative with duplicates);
 *  - jitter is RFC 3550 §6.4.1 / A.8, J += (|D| - J) / 16, where D is the
 *    arrival spacing from the previous packet minus the RTP timestamp spacing
 *    from the previous packet that had a clock rate.  Timestamp units become
 *    ms with an integer number of units per millisecond (clock_rate / 1000,
 *    as Wireshark does: 44.1 kHz counts as 44);
 *  - RFC 4733 telephone-event packets (and dynamic payload types whose clock
 *    rate is unknown, s->clock_rate == 0) leave J alone: their timestamp is
 *    the event start, not a sampling instant (RFC 4733 §2.2.1).  They still
 *    count in packets, loss and max delta;
 *  - a packet whose timestamp lies before the first packet's (modulo 2^32)
 *    is left out of every timing figure;
 *  - maximum delta, maximum jitter and the mean jitter only take "regular"
 *    packets: not the first, not marked (a talkspurt starts after silence),
 *    not comfort noise (PT 13, 19).  Wireshark also skips the packet right
 *    after a comfort-noise one; the struct has no room for the previous
 *    payload type, so we do not (that packet normally carries the marker);
 *  - the mean jitter is Wireshark's running mean, where each regular packet
 *    weighs in as mean = (mean * (n - 1) + J) / n with n the packets received
 *    before it, so skipped packets count with the mean of their time.
 * Wireshark takes the last sequence number, not the highest, for the
 * expected count; the two differ only when the last packet came out of order.
 * Duplicates and out-of-order packets are counted with a bitmap of the last
 * CT_RTP_SEQ_WINDOW extended sequence numbers (RFC 3550 A.1 extension without
 * A.1's probation of new sources: counting starts at the first packet).
 *
 * Probation of implausible packets.  One packet must not decide a stream's
 * loss and jitter: a corrupted one, or one spoofed with the stream's SSRC
 * from its addresses (an attacker who sniffed them), with its sequence
 * number 2,000 ahead made the stream 80 % lost and MOS 1.0, with a wild
 * timestamp a jitter of hours.  A packet is held (counted in packets, its
 * other effects, an RFC 4733 event's digit too, deferred) when
 *  - its sequence number is SEQ_SUSPECT or more ahead of the highest (a
 *    burst of loss too: one packet after a real outage, with nothing after
 *    it, is no evidence of that many lost, and one spoofed inside a real
 *    media stall looks the same), or CT_RTP_SEQ_WINDOW or more behind it
 *    (A.1's "very large jump"); or
 *  - its transit differs from the previous packet's by more than
 *    TS_SUSPECT_MS (|D| of RFC 3550 A.8: its timestamp jumped against its
 *    arrival; in order, a duplicate or late: a packet late by more than
 *    that is no use to a listener either), or, in order, its timestamp
 *    lies before the first's.
 * The next packet decides (held_settle): when it lies nearer the held one
 * than the stream before it (sequence distance, transit difference), the
 * held packet is taken as if it had never waited, then the next one: a
 * burst of loss, a stall, a sender's timestamp or sequence restart give
 * exactly the figures they gave without probation.  Otherwise the held
 * packet was alone and, as in A.1, not received: it leaves packets and
 * counts in out_of_order only (so does one still held at the end).  A
 * restart (SEQ_DROPOUT or more ahead, or the window behind, confirmed) is
 * not loss: the new numbers continue the old ones (seq_shift); Wireshark
 * counts a restart 40,000 ahead as 40,000 lost packets and one corrupted
 * sequence number as what it claims, and its jitter takes every packet.
 * No stream of the corpus has a lone jump.
 *
 * Excursions.  Two spoofed packets in a row pass the probation (the second
 * confirms the first).  So a jump taken (a held packet confirmed) keeps
 * the figures before it (s->exc, exc_begin) while at most EXC_MAX packets
 * are taken after it.  When a held packet that continues the numbers from
 * before the jump (less than SEQ_SUSPECT after that highest, and for a
 * timestamp jump with a transit that fits the timestamps from before it)
 * is confirmed by the next one, the stream went on from before the jump:
 * the jump's packets were never the stream's, and like a lone packet they
 * leave packets for out_of_order; every other figure is as before them
 * (exc_undo; the per-interval samples take the packets and the sequence
 * back, their jitter samples stay).  Two consecutive packets are needed,
 * so a straggler of the numbers before a real restart undoes nothing; a
 * sender never goes back to its old numbers.  A longer excursion stays, and
 * so does a packet less than SEQ_SUSPECT after the stream's last one.
 *
 * On a corpus of 96 streams
 * from real captures, packets and lost agree exactly with tshark 4.0 and the
 * jitter figures to its printed precision, except on two streams where tshark
 * stops decoding RTP once ICE/STUN shares the port.
 *
 * last_arrival_us is the arrival of the last packet taken for timing, last_ts
 * the timestamp of the last such packet with a clock rate, last_us the
 * arrival of the last packet taken (ct_rtp_stream_last_us counts the held
 * one too).  A caller whose
 * dynamic payload types have different clock rates may set s->clock_rate
 * before each update.
 *
 * References: RFC 3550 §5.1, §6.4.1, A.1, A.3, A.8; RFC 3551 §6 (static
 * payload types and clock rates); RFC 4733 §2.3, §3.2 (events 0-16).
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "calltap/clock.h"
#include "calltap/rtp.h"

#define PT_CN 13
#define PT_CN_OLD 19
#define PT_DTMF_DEFAULT 101
#define PT_DYNAMIC_FIRST 96
#define SEQ_MOD 0x10000u
#define SEQ_HALF 0x8000u
#define SEQ_DROPOUT 3000u    /* RFC 3550 A.1 MAX_DROPOUT */
#define SEQ_SUSPECT 8u       /* a jump this far ahead: held (probation) */
#define TS_SUSPECT_MS 500.0  /* a transit change above this: held */
#define EXC_MAX 32           /* an excursion is undone within this many packets taken */
#define HELD_SEQ 1u          /* held_why: for its sequence number */
#define HELD_TS 2u           /* held_why: for its timestamp */
#define EVENT_MAX 16 /* RFC 4733 §3.2: 0-9 * # A-D flash */
/* The per-packet steps, inlined in ct_rtp_stream_update (one call a packet). */
#define ST_INLINE inline __attribute__((always_inline))

static const char event_digit[EVENT_MAX + 1] = "0123456789*#ABCD!";

/*
 * Prepares s for the stream ssrc.  clock_rate is the sampling clock of its
 * dynamic payload types in Hz; 0 means 8000.  Setting s->clock_rate to 0
 * afterwards disables jitter for dynamic payload types (unknown rate).
 * s->dtmf_pt may be set after this call (0 = try 101).  NULL s is a no-op.
 */
void ct_rtp_stream_init(struct ct_rtp_stream *s, uint32_t ssrc, uint32_t clock_rate)
{
	if (s == NULL)
		return;
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->pt = -1;
	s->clock_rate = clock_rate != 0 ? clock_rate : 8000;
	s->first_us = CT_TIME_NONE;
	s->last_us = CT_TIME_NONE;
	s->held_us = CT_TIME_NONE;
}

static bool is_event_pt(const struct ct_rtp_stream *s, uint8_t pt)
{
	return pt == (s->dtmf_pt != 0 ? s->dtmf_pt : PT_DTMF_DEFAULT);
}

static bool is_cn_pt(uint8_t pt)
{
	return pt == PT_CN || pt == PT_CN_OLD;
}

/* Timestamp units per ms for pt, 0 when jitter cannot be computed. */
static uint32_t units_per_ms(const struct ct_rtp_stream *s, uint8_t pt)
{
	const struct ct_rtp_static_pt *sp;
	uint32_t rate;

	if (is_event_pt(s, pt))
		return 0;
	sp = ct_rtp_static_pt(pt);
	rate = sp != NULL ? sp->rate : s->clock_rate;
	return rate / 1000;
}

#define NO_EVENT 0xffu

/* The RFC 4733 event code a packet of the event type carries, NO_EVENT when none. */
static unsigned event_code(const struct ct_rtp_hdr *h)
{
	if (h->payload == NULL || h->payload_len < 4 || h->payload[0] > EVENT_MAX)
		return NO_EVENT;
	return h->payload[0];
}

/*
 * Records one digit per RFC 4733 event ev (not NO_EVENT) of timestamp ts,
 * which names the event, for a packet taken (a packet alone on probation
 * adds none: an injected event with a wild sequence number).
 */
static void dtmf_take(struct ct_rtp_stream *s, unsigned ev, uint32_t ts)
{
	/* Retransmitted end packets, or stragglers of an older event. */
	if (s->dtmf_seen && (int32_t)(ts - s->dtmf_last_ts) <= 0)
		return;
	s->dtmf_seen = true;
	s->dtmf_last_ts = ts;
	if (s->dtmf_len + 1u < sizeof(s->dtmf)) {
		s->dtmf[s->dtmf_len++] = event_digit[ev];
		s->dtmf[s->dtmf_len] = '\0';
	}
}

static bool seen_get(const struct ct_rtp_stream *s, uint32_t ext)
{
	uint32_t i = ext % CT_RTP_SEQ_WINDOW;

	return (s->seen_bits[i / 64] >> (i % 64)) & 1u;
}

static void seen_set(struct ct_rtp_stream *s, uint32_t ext, bool on)
{
	uint32_t i = ext % CT_RTP_SEQ_WINDOW;
	uint64_t bit = (uint64_t)1 << (i % 64);

	if (on)
		s->seen_bits[i / 64] |= bit;
	else
		s->seen_bits[i / 64] &= ~bit;
}

/* Moves the highest extended sequence forward by d, forgetting old bits. */
static void seq_advance(struct ct_rtp_stream *s, uint32_t d)
{
	uint32_t k;

	if (d >= CT_RTP_SEQ_WINDOW) {
		memset(s->seen_bits, 0, sizeof(s->seen_bits));
	} else {
		for (k = 1; k <= d; k++)
			seen_set(s, s->max_seq + k, false);
	}
	s->max_seq += d;
	seen_set(s, s->max_seq, true);
}

/*
 * Whether a gap of d packets ending at arrival_us can be real loss: the
 * time since the packet before is at least half of what d packets take at
 * the stream's mean spacing so far (5 ms a packet before there is one).
 */
static bool gap_is_real(const struct ct_rtp_stream *s, uint32_t d, int64_t arrival_us)
{
	int64_t per = 5000, n = (int64_t)s->max_seq - (int64_t)s->base_seq;
	int64_t span = ct_ts_sub(s->last_us, s->first_us);

	if (n > 0 && span > 0)
		per = span / n < 1000000 ? span / n : 1000000;
	return ct_ts_sub(arrival_us, s->last_us) >= (int64_t)d * per / 2;
}

/*
 * Whether s already had a packet of sequence number wire: the highest one,
 * one within the window behind it whose bit is set (seq_track's
 * duplicate), or the one on probation.  Changes nothing.
 */
bool ct_rtp_stream_has_seq(const struct ct_rtp_stream *s, uint16_t wire)
{
	uint16_t seq = (uint16_t)(wire + s->seq_shift);
	uint32_t behind = (uint16_t)((uint16_t)s->max_seq - seq);

	if (s->held_us != CT_TIME_NONE && s->held_seq == wire)
		return true;
	if (!s->started || behind >= CT_RTP_SEQ_WINDOW || behind > s->max_seq)
		return false;
	return seen_get(s, s->max_seq - behind);
}

/* How far the (wire) sequence number lies ahead of the highest, modulo 2^16. */
static uint32_t seq_ahead(const struct ct_rtp_stream *s, uint16_t wire)
{
	return (uint16_t)((uint16_t)(wire + s->seq_shift) - (uint16_t)s->max_seq);
}

/*
 * Whether a packet ahead of the highest by ahead (seq_ahead), arrived at
 * arrival_us, is a jump: SEQ_DROPOUT or more ahead too soon for that many
 * packets to have been lost, or CT_RTP_SEQ_WINDOW or more behind.
 */
static bool seq_jump(const struct ct_rtp_stream *s, uint32_t ahead, int64_t arrival_us)
{
	if (ahead != 0 && ahead < SEQ_HALF)
		return ahead >= SEQ_DROPOUT && !gap_is_real(s, ahead, arrival_us);
	return ahead != 0 && SEQ_MOD - ahead >= CT_RTP_SEQ_WINDOW;
}

/*
 * RFC 3550 A.1 style sequence tracking: a packet up to half the sequence
 * space ahead of the highest moves it (counting a wrap); a packet within
 * the window behind it is a duplicate when its bit is set, else late; a
 * jump (seq_jump, confirmed on probation) is the sender's restart: its
 * number becomes the highest + 1, and the numbers after it follow.
 */
static ST_INLINE void seq_track(struct ct_rtp_stream *s, uint16_t wire, int64_t arrival_us)
{
	uint32_t ahead = seq_ahead(s, wire);
	uint32_t behind;

	if (seq_jump(s, ahead, arrival_us)) {
		s->seq_shift = (uint16_t)(s->max_seq + 1 - wire);
		seq_advance(s, 1);
		return;
	}
	if (ahead != 0 && ahead < SEQ_HALF) {
		seq_advance(s, ahead);
		return;
	}
	behind = ahead == 0 ? 0 : SEQ_MOD - ahead;
	if (behind > s->max_seq)
		s->out_of_order++;    /* before the first packet */
	else if (seen_get(s, s->max_seq - behind))
		s->duplicates++;
	else {
		s->out_of_order++;
		seen_set(s, s->max_seq - behind, true);
	}
}

/*
 * |D| of RFC 3550 A.8 in ms for a packet of timestamp ts and per_ms units
 * per ms arrived at arrival_us, against the reference (ref_us, ref_ts):
 * the arrival spacing minus the timestamp spacing.
 */
static double transit_ms(int64_t arrival_us, uint32_t ts, uint32_t per_ms, int64_t ref_us,
    uint32_t ref_ts)
{
	return fabs((double)ct_ts_sub(arrival_us, ref_us) / 1000.0 -
	    (double)(int32_t)(ts - ref_ts) / per_ms);
}

/*
 * Jitter, max delta and mean jitter for every packet but the first, of
 * payload type pt (per_ms timestamp units per ms, 0: no clock), marker and
 * timestamp ts, n packets received before it; d_ms its transit_ms against
 * the last packet taken when known, else negative.  A packet whose timestamp
 * lies before the first packet's (RFC 3550 timestamps are compared modulo
 * 2^32) is ignored here, as Wireshark does.  Returns the jitter figure (ms)
 * of a regular packet, the one max and mean jitter take, or -1 for a
 * packet that gives none.
 */
static ST_INLINE double timing(struct ct_rtp_stream *s, uint8_t pt, bool marker, uint32_t ts,
    uint32_t per_ms, uint64_t n, int64_t t_us, double d_ms)
{
	double delta_ms = (double)ct_ts_sub(t_us, s->last_arrival_us) / 1000.0;
	double j_ms = -1.0;

	if ((int32_t)(ts - s->first_ts) < 0)
		return -1.0;
	if (per_ms != 0) {
		if (d_ms < 0.0)
			d_ms = transit_ms(t_us, ts, per_ms, s->last_arrival_us, s->last_ts);
		s->jitter += (d_ms * per_ms - s->jitter) / 16.0;
	}
	if (!marker && !is_cn_pt(pt)) {
		if (delta_ms > s->max_delta_ms)
			s->max_delta_ms = delta_ms;
		if (per_ms != 0) {
			j_ms = s->jitter / per_ms;
			if (j_ms > s->max_jitter_ms)
				s->max_jitter_ms = j_ms;
			s->mean_jitter_ms = (s->mean_jitter_ms * (double)(n - 1) + j_ms) / (double)n;
		}
	}
	s->last_arrival_us = t_us;
	if (per_ms != 0)
		s->last_ts = ts;
	return j_ms;
}

/*
 * Takes a packet into every figure but packets (counted at its arrival):
 * sequence, timing (n packets received before it, d_ms as timing's),
 * intervals.
 */
static ST_INLINE void take(struct ct_rtp_stream *s, uint16_t seq, uint8_t pt, bool marker, uint32_t ts,
    uint32_t per_ms, uint64_t n, int64_t arrival_us, double d_ms)
{
	double j_ms;

	seq_track(s, seq, arrival_us);
	j_ms = timing(s, pt, marker, ts, per_ms, n, arrival_us, d_ms);
	s->last_us = arrival_us;
	if (s->ivals != NULL)
		ct_rtp_ivals_add(s->ivals, arrival_us, s->max_seq, j_ms);
	if (s->exc_n != 0)
		s->exc_n = s->exc_n <= EXC_MAX ? (uint8_t)(s->exc_n + 1) : 0;
}

/*
 * Begins an excursion (a jump about to be taken; seq: of the sequence
 * number, else of the timestamp): keeps the figures it may have to give
 * back.  A second jump replaces the first's.
 */
static void exc_begin(struct ct_rtp_stream *s, bool seq)
{
	memcpy(s->exc.seen_bits, s->seen_bits, sizeof(s->exc.seen_bits));
	s->exc.jitter = s->jitter;
	s->exc.max_jitter_ms = s->max_jitter_ms;
	s->exc.mean_jitter_ms = s->mean_jitter_ms;
	s->exc.max_delta_ms = s->max_delta_ms;
	s->exc.last_arrival_us = s->last_arrival_us;
	s->exc.last_us = s->last_us;
	s->exc.max_seq = s->max_seq;
	s->exc.last_ts = s->last_ts;
	s->exc.seq_shift = s->seq_shift;
	s->exc_n = 1;
	s->exc_seq = seq;
}

/*
 * Whether the packet on probation, about to be taken (the next packet
 * confirmed it), continues the numbers from before the excursion: less
 * than SEQ_SUSPECT after its highest, and for a timestamp excursion with a
 * transit that fits the timestamps from before it too.
 */
static bool exc_continues(const struct ct_rtp_stream *s)
{
	uint32_t ahead = (uint16_t)((uint16_t)(s->held_seq + s->exc.seq_shift) -
	    (uint16_t)s->exc.max_seq);

	if (ahead == 0 || ahead >= SEQ_SUSPECT)
		return false;
	if (s->exc_seq)
		return true;
	return s->held_per_ms != 0 && transit_ms(s->held_us, s->held_ts, s->held_per_ms,
	    s->exc.last_arrival_us, s->exc.last_ts) <= TS_SUSPECT_MS;
}

/*
 * Undoes the excursion: its packets were not the stream's (RFC 3550 A.1's
 * lone jump, longer): they leave packets for out_of_order, and every other
 * figure is as before them.
 */
static void exc_undo(struct ct_rtp_stream *s)
{
	uint32_t taken = (uint32_t)s->exc_n - 1;

	memcpy(s->seen_bits, s->exc.seen_bits, sizeof(s->seen_bits));
	s->jitter = s->exc.jitter;
	s->max_jitter_ms = s->exc.max_jitter_ms;
	s->mean_jitter_ms = s->exc.mean_jitter_ms;
	s->max_delta_ms = s->exc.max_delta_ms;
	s->last_arrival_us = s->exc.last_arrival_us;
	s->last_us = s->exc.last_us;
	s->max_seq = s->exc.max_seq;
	s->last_ts = s->exc.last_ts;
	s->seq_shift = s->exc.seq_shift;
	s->packets -= taken;
	s->out_of_order += taken;
	if (s->ivals != NULL)
		ct_rtp_ivals_undo(s->ivals, s->max_seq, taken);
	s->exc_n = 0;
}

/* Distance between two 16-bit sequence numbers, either way round. */
static uint32_t seq_dist(uint16_t a, uint16_t b)
{
	uint16_t d = (uint16_t)(a - b);

	return d < SEQ_HALF ? d : SEQ_MOD - d;
}

/*
 * Why packet h (per_ms units per ms), arrived at arrival_us, goes on
 * probation (HELD_* bits), or 0: see the file comment.  *d_ms: its
 * transit_ms against the last packet taken when computed, else -1.
 */
static ST_INLINE unsigned suspect(const struct ct_rtp_stream *s, const struct ct_rtp_hdr *h,
    uint32_t per_ms, int64_t arrival_us, double *d_ms)
{
	uint32_t ahead = seq_ahead(s, h->seq);

	*d_ms = -1.0;
	if (ahead >= SEQ_SUSPECT && (ahead < SEQ_HALF || seq_jump(s, ahead, arrival_us)))
		return HELD_SEQ;
	if (per_ms == 0 || (int32_t)(h->ts - s->first_ts) < 0)
		return ahead != 0 && ahead < SEQ_HALF && per_ms != 0 ? HELD_TS : 0;
	/* In order, a duplicate or late: one timestamp must not make the jitter. */
	*d_ms = transit_ms(arrival_us, h->ts, per_ms, s->last_arrival_us, s->last_ts);
	return *d_ms > TS_SUSPECT_MS ? HELD_TS : 0;
}

/*
 * Settles the packet on probation with h (per_ms units per ms), the next
 * packet, arrived at arrival_us: taken when h lies nearer it than the
 * stream before it, by sequence number (HELD_SEQ), else by transit (when
 * h has a clock); otherwise alone (not received, out of order).  Returns
 * false, the packet still held, when it is held for its timestamp only
 * and h, a packet before it in sequence, lies nearer the stream before
 * it: h goes first, the packet after decides (so a restart of the
 * timestamps whose first two packets swapped is taken in sequence order).
 */
static bool held_settle(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, uint32_t per_ms,
    int64_t arrival_us)
{
	uint16_t seq = (uint16_t)(h->seq + s->seq_shift);
	bool near = true;

	if (s->held_why & HELD_SEQ) {
		near = seq_dist(seq, (uint16_t)(s->held_seq + s->seq_shift)) <=
		    seq_dist(seq, (uint16_t)s->max_seq);
	} else if (per_ms != 0) {
		near = transit_ms(arrival_us, h->ts, per_ms, s->held_us, s->held_ts) <=
		    transit_ms(arrival_us, h->ts, per_ms, s->last_arrival_us, s->last_ts);
		/* An earlier packet come late, of the timestamps before the
		 * held one's (a restart's boundary reordered), tells nothing. */
		if (!near && (uint16_t)(h->seq - s->held_seq) >= SEQ_HALF)
			return false;
	}
	if (near) {
		if (s->exc_n != 0 && exc_continues(s))
			exc_undo(s);    /* the stream went on from before the last jump */
		else
			exc_begin(s, (s->held_why & HELD_SEQ) != 0);
		take(s, s->held_seq, s->held_pt, s->held_marker, s->held_ts, s->held_per_ms,
		    s->packets - 1, s->held_us, -1.0);
		if (s->held_event != NO_EVENT)
			dtmf_take(s, s->held_event, s->held_ts);
	} else {
		/* RFC 3550 A.1: a lone jump is not received, and counts nowhere else */
		s->packets--;
		s->out_of_order++;
	}
	s->held_us = CT_TIME_NONE;
	return true;
}

/*
 * Accounts one RTP packet h of the stream, arrived at arrival_us (µs, any
 * epoch, non-decreasing in capture order).  h->payload is read only for
 * telephone-event packets and not kept.  NULL s or h is a no-op.
 */
void ct_rtp_stream_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, int64_t arrival_us)
{
	unsigned why, ev = NO_EVENT;
	uint32_t per_ms;
	double d_ms;

	if (s == NULL || h == NULL)
		return;
	if (is_event_pt(s, h->pt))
		ev = event_code(h);
	else if (s->pt < 0)
		s->pt = h->pt;
	if (!s->started) {
		if (ev != NO_EVENT)
			dtmf_take(s, ev, h->ts);
		s->started = true;
		s->base_seq = h->seq;
		s->max_seq = h->seq;
		seen_set(s, s->max_seq, true);
		s->last_arrival_us = arrival_us;
		s->last_ts = h->ts;
		s->first_ts = h->ts;
		s->first_us = arrival_us;
		s->last_us = arrival_us;
		s->packets++;
		if (s->ivals != NULL)
			ct_rtp_ivals_add(s->ivals, arrival_us, s->max_seq, -1.0);
		return;
	}
	per_ms = units_per_ms(s, h->pt);
	if (s->held_us != CT_TIME_NONE && !held_settle(s, h, per_ms, arrival_us)) {
		/* h goes before the packet on probation (counted in s->packets),
		 * unless its own number jumped: a second packet on probation
		 * would have no next one to decide it, so it is alone */
		if (suspect(s, h, per_ms, arrival_us, &d_ms) & HELD_SEQ)
			s->out_of_order++;
		else {
			take(s, h->seq, h->pt, h->marker, h->ts, per_ms, s->packets, arrival_us, d_ms);
			s->packets++;
			if (ev != NO_EVENT)
				dtmf_take(s, ev, h->ts);
		}
		return;
	}
	if ((why = suspect(s, h, per_ms, arrival_us, &d_ms)) != 0) {
		s->held_us = arrival_us;
		s->held_ts = h->ts;
		s->held_seq = h->seq;
		s->held_per_ms = (uint16_t)(per_ms <= UINT16_MAX ? per_ms : 0);
		s->held_pt = h->pt;
		s->held_event = (uint8_t)ev;
		s->held_why = (uint8_t)why;
		s->held_marker = h->marker;
		s->packets++;
		return;
	}
	take(s, h->seq, h->pt, h->marker, h->ts, per_ms, s->packets, arrival_us, d_ms);
	s->packets++;
	if (ev != NO_EVENT)
		dtmf_take(s, ev, h->ts);
}

/* Codec name for the MOS: the caller's, else the static payload type's. */
static const char *mos_codec(const struct ct_rtp_stream *s, const struct ct_stream_stats *out)
{
	const struct ct_rtp_static_pt *sp;

	if (out->codec[0] != '\0')
		return out->codec;
	sp = s->pt >= 0 && s->pt < PT_DYNAMIC_FIRST ? ct_rtp_static_pt((uint8_t)s->pt) : NULL;
	return sp != NULL && sp->stats_name ? sp->name : NULL;
}

/*
 * Fills the figures of out from s: ssrc, payload_type (first non-event type,
 * else the event type, -1 when no packet), packets, lost, loss_pct (0 when
 * lost <= 0), duplicates, out_of_order, jitter, max delta, mos, dtmf and
 * first/last times.  Addresses and ports are left alone, and so is
 * out->codec when the caller already set it (it is then used for the MOS);
 * otherwise codec is set to the RFC 3551 name of a static payload type, or
 * "".  NULL s or out is a no-op.
 */
void ct_rtp_stream_stats(const struct ct_rtp_stream *s, struct ct_stream_stats *out)
{
	int64_t expected = 0;
	const char *codec;

	if (s == NULL || out == NULL)
		return;
	codec = mos_codec(s, out);
	if (out->codec[0] == '\0' && codec != NULL)
		snprintf(out->codec, sizeof(out->codec), "%s", codec);
	out->ssrc = s->ssrc;
	out->payload_type = s->pt;
	if (s->pt < 0 && s->packets > 0)
		out->payload_type = s->dtmf_pt != 0 ? s->dtmf_pt : PT_DTMF_DEFAULT;
	/* A packet still on probation was alone (held_settle). */
	out->packets = s->packets - (s->held_us != CT_TIME_NONE);
	if (s->started)
		expected = (int64_t)s->max_seq - (int64_t)s->base_seq + 1;
	out->lost = expected - (int64_t)out->packets;
	out->loss_pct = out->lost > 0 ? (double)out->lost * 100.0 / (double)expected : 0.0;
	out->duplicates = s->duplicates;
	out->out_of_order = s->out_of_order + (s->held_us != CT_TIME_NONE);
	out->max_jitter_ms = s->max_jitter_ms;
	out->mean_jitter_ms = s->mean_jitter_ms;
	out->max_delta_ms = s->max_delta_ms;
	out->mos = out->packets > 0 ?
	    ct_rtp_mos(codec, out->loss_pct / 100.0, s->mean_jitter_ms) : 0.0;
	memcpy(out->dtmf, s->dtmf, sizeof(out->dtmf));
	out->first_us = s->first_us;
	out->last_us = s->last_us;
}
