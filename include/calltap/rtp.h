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

struct ct_rtp_stream {
	uint32_t ssrc;
	int pt;                   /* first payload type seen (excluding DTMF events) */
	uint32_t clock_rate;      /* Hz; 8000 unless told otherwise */
	uint8_t dtmf_pt;          /* telephone-event payload type, 0 = unknown (101 tried) */
	uint64_t packets;         /* received, including duplicates */
	uint64_t duplicates;
	uint64_t out_of_order;
	uint32_t base_seq;        /* first sequence number */
	uint32_t max_seq;         /* highest sequence, extended (cycles << 16 | seq) */
	bool started;
	int64_t last_arrival_us;
	uint32_t last_ts;
	double jitter;            /* RFC 3550 J, in timestamp units */
	uint32_t first_ts;        /* RTP timestamp of the first packet */
	double max_jitter_ms;
	double mean_jitter_ms;    /* running mean over packets received (tshark's definition) */
	double max_delta_ms;
	int64_t first_us, last_us;
	uint64_t seen_bits[CT_RTP_SEQ_WINDOW / 64]; /* recent sequence numbers, for duplicates */
	/* RFC 4733 event state */
	uint32_t dtmf_last_ts;
	bool dtmf_seen;           /* dtmf_last_ts holds an event already recorded */
	char dtmf[64];
	size_t dtmf_len;
};

void ct_rtp_stream_init(struct ct_rtp_stream *s, uint32_t ssrc, uint32_t clock_rate);
void ct_rtp_stream_update(struct ct_rtp_stream *s, const struct ct_rtp_hdr *h, int64_t arrival_us);
/* Fills the figures of out (packets, lost, jitter, MOS, dtmf...); leaves addresses alone. */
void ct_rtp_stream_stats(const struct ct_rtp_stream *s, struct ct_stream_stats *out);
/* E-model MOS from codec name, loss ratio (0..1) and mean jitter (ms). */
double ct_rtp_mos(const char *codec, double loss, double jitter_ms);

#endif
