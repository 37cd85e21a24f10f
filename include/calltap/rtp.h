/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RTP/RTCP header parsing (RFC 3550 §5.1, §6.4), per-stream statistics:
 * loss (RFC 3550 A.3), interarrival jitter (RFC 3550 §6.4.1, A.8), duplicates,
 * reordering, max delta, E-model MOS (ITU-T G.107) and RFC 4733 DTMF events.
 * The stream keeps O(1) state per packet and no per-packet allocation.
 */
#ifndef CALLTAP_RTP_H
#define CALLTAP_RTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/record.h"

struct ct_rtp_hdr {
	uint8_t version;
	bool padding;
	bool extension;
	uint8_t csrc_count;
	bool marker;
	uint8_t pt;
	uint16_t seq;
	uint32_t ts;
	uint32_t ssrc;
	const uint8_t *payload;  /* after CSRCs and extension, before padding */
	size_t payload_len;
};

/* Parses an RTP header; CT_OK, or CT_ERR when p is not plausible RTP v2. */
int ct_rtp_parse(const uint8_t *p, size_t len, struct ct_rtp_hdr *h);
int ct_rtp_parse_cut(const uint8_t *p, size_t len, struct ct_rtp_hdr *h);
/* True when p looks like RTCP (version 2, PT 200..204 in the first packet). */
bool ct_rtcp_looks_like(const uint8_t *p, size_t len);

/*
 * A static RTP payload type (RFC 3551 §6, tables 4 and 5), defined once in
 * rtp.c for the SDP parser, the stream statistics and the media matcher.
 */
struct ct_rtp_static_pt {
	const char *name;       /* encoding name; NULL: reserved, clock rate only */
	uint32_t rate;          /* clock rate in Hz */
	uint8_t channels;
	bool stats_name;        /* a speech codec the stream statistics name on their own */
};

#define CT_RTP_STATIC_PTS 35
extern const struct ct_rtp_static_pt ct_rtp_static_pts[CT_RTP_STATIC_PTS];

/*
 * The RFC 3551 entry of static payload type pt, or NULL (dynamic,
 * unassigned).  Inline: the stream statistics ask once per packet.
 */
static inline const struct ct_rtp_static_pt *ct_rtp_static_pt(uint8_t pt)
{
	if (pt >= CT_RTP_STATIC_PTS || ct_rtp_static_pts[pt].rate == 0)
		return NULL;
	return &ct_rtp_static_pts[pt];
}
/* Static RTP payload type names (RFC 3551), NULL when dynamic/unknown. */
const char *ct_rtp_static_codec(uint8_t pt, uint32_t *rate);

#define CT_RTP_SEQ_WINDOW 128 /* duplicate detection window, packets */

/*
 * Per-interval samples of one stream (src/rtp/intervals.c): the stream's
 * time, from its first packet, cut into intervals of CT_RTP_IVAL_US; at most
 * CT_RTP_IVAL_MAX of them are kept: when a stream outlasts them, neighbours
 * merge in pairs and the width doubles (5 s for the first hour, then 10 s,
 * 20 s ...), so memory stays bounded (24 bytes an interval, at most 17 KiB
 * a stream).  The array grows by doubling when an interval opens, never
 * per packet.
 */
#define CT_RTP_IVAL_US 5000000  /* first width: 5 s of stream time */
#define CT_RTP_IVAL_MAX 720     /* intervals kept: one hour at 5 s */

struct ct_rtp_ival {
	uint32_t packets;         /* received in the interval, duplicates included */
	uint32_t expected;        /* advance of the extended highest sequence */
	uint32_t jitter_n;        /* regular packets with a jitter figure */
	float max_jitter_ms;      /* float: 24 bytes an interval; 7 digits are plenty */
	double jitter_sum_ms;
};

struct ct_rtp_ivals {
	struct ct_rtp_ival *v;    /* v[0..n); v[n - 1] is the open interval */
	uint32_t n, cap, max;
	bool started, oom;        /* oom: an allocation failed, nothing kept */
	int64_t t0_us;            /* the stream's first packet */
	int64_t width_us;         /* current width */
	int64_t end_us;           /* end of the open interval: t0 + n * width */
	uint32_t seq_closed;      /* extended highest sequence when the open one began */
	uint32_t seq_now;         /* extended highest sequence after the last packet */
};

/* An empty accumulator with intervals of width_us, at most max (>= 2) kept. */
void ct_rtp_ivals_init(struct ct_rtp_ivals *iv, int64_t width_us, uint32_t max);
/* Frees iv's intervals (iv itself is the caller's).  NULL is a no-op. */
void ct_rtp_ivals_fini(struct ct_rtp_ivals *iv);
/*
 * Accounts one packet arrived at t_us, after which the stream's extended
 * highest sequence is ext_seq; jitter_ms is its jitter figure (a regular
 * packet, ms) or negative for none.  No allocation unless an interval opens.
 */
void ct_rtp_ivals_add(struct ct_rtp_ivals *iv, int64_t t_us, uint32_t ext_seq, double jitter_ms);
/*
 * Takes back the last n packets accounted (an excursion the stream undid,
 * stream.c): they leave the newest intervals' packet counts, and the
 * highest sequence goes back to ext_seq (what the intervals closed since
 * expected past it is taken back too).  Their jitter figures stay.
 */
void ct_rtp_ivals_undo(struct ct_rtp_ivals *iv, uint32_t ext_seq, uint32_t n);
/*
 * The final figures of iv as a malloc'ed array in *out (*n entries; NULL
 * and 0 when iv has none or on no memory): times absolute, the last
 * interval ends at last_us, MOS from codec (ct_rtp_mos, as the stream's).
 */
void ct_rtp_ivals_export(const struct ct_rtp_ivals *iv, const char *codec, int64_t last_us,
    struct ct_stream_ival **out, uint32_t *n);

struct ct_rtp_stream {
	/* Read or written for every packet (ct_rtp_stream_update): together. */
	uint32_t ssrc;
	int pt;                   /* first payload type seen (excluding DTMF events) */
	uint32_t clock_rate;      /* Hz; 8000 unless told otherwise */
	uint8_t dtmf_pt;          /* telephone-event payload type, 0 = unknown (101 tried) */
	bool started;
	uint16_t seq_shift;       /* added to each sequence number: sender restarts (seq_track) */
	uint8_t exc_n;            /* an excursion (exc below): 1 + packets taken since; 0: none */
	bool exc_seq;             /* ... it began with a sequence jump (else a timestamp one) */
	uint64_t packets;         /* received, including duplicates */
	uint32_t base_seq;        /* first sequence number */
	uint32_t max_seq;         /* highest sequence, extended (cycles << 16 | seq) */
	int64_t last_arrival_us;
	uint32_t last_ts;
	uint32_t first_ts;        /* RTP timestamp of the first packet */
	double jitter;            /* RFC 3550 J, in timestamp units */
	double max_jitter_ms;
	double mean_jitter_ms;    /* running mean over packets received (tshark's definition) */
	double max_delta_ms;
	int64_t first_us, last_us;   /* last_us: the last packet taken (ct_rtp_stream_last_us) */
	uint64_t seen_bits[CT_RTP_SEQ_WINDOW / 64]; /* recent sequence numbers, for duplicates */
	/* Per-interval samples, NULL: not kept.  The caller owns it (init,
	 * fini); ct_rtp_stream_update feeds it. */
	struct ct_rtp_ivals *ivals;
	uint64_t duplicates;
	uint64_t out_of_order;
	/* The packet on probation (stream.c "Probation"): counted in packets,
	 * its effect on the other figures waits for the next packet. */
	int64_t held_us;          /* its arrival; CT_TIME_NONE: none held */
	uint32_t held_ts;
	uint16_t held_seq;        /* as on the wire */
	uint16_t held_per_ms;     /* timestamp units per ms of its payload type (0: none) */
	uint8_t held_pt;
	uint8_t held_event;       /* its RFC 4733 event code, 0xff: none (a digit waits with it) */
	uint8_t held_why;         /* HELD_* bits (stream.c) */
	bool held_marker;
	/* RFC 4733 event state */
	uint32_t dtmf_last_ts;
	bool dtmf_seen;           /* dtmf_last_ts holds an event already recorded */
	uint8_t dtmf_len;         /* digits in dtmf */
	char dtmf[64];
	/*
	 * The figures before the last excursion, a jump taken (stream.c
	 * "Excursions"), while exc_n says there is one: two packets that
	 * continue the numbers from before it undo it.  Read only then.
	 */
	struct {
		uint64_t seen_bits[CT_RTP_SEQ_WINDOW / 64];
		double jitter, max_jitter_ms, mean_jitter_ms, max_delta_ms;
		int64_t last_arrival_us, last_us;
		uint32_t max_seq, last_ts;
		uint16_t seq_shift;
	} exc;
};

void ct_rtp_stream_init(struct ct_rtp_stream *s, uint32_t ssrc, uint32_t clock_rate);
void ct_rtp_stream_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, int64_t arrival_us);
/* The arrival of s's last packet, the one on probation included (CT_TIME_NONE: none). */
static inline int64_t ct_rtp_stream_last_us(const struct ct_rtp_stream *s)
{
	return s->held_us > s->last_us ? s->held_us : s->last_us;   /* CT_TIME_NONE is the least */
}
/* Whether s had a packet of this (wire) sequence number within its window. */
bool ct_rtp_stream_has_seq(const struct ct_rtp_stream *s, uint16_t wire);
/* Fills the figures of out (packets, lost, jitter, MOS, dtmf...); leaves addresses alone. */
void ct_rtp_stream_stats(const struct ct_rtp_stream *s, struct ct_stream_stats *out);
/* E-model MOS from codec name, loss ratio (0..1) and mean jitter (ms). */
double ct_rtp_mos(const char *codec, double loss, double jitter_ms);

#endif
