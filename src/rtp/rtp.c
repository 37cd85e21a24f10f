/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * RTP and RTCP header recognition.  ct_rtp_parse() validates the fixed RTP
 * header, skips the CSRC list and the header extension and strips padding,
 * leaving a pointer to the payload; it copies nothing.  ct_rtcp_looks_like()
 * is the cheap test used to keep RTCP (sent on the same or the next port, or
 * multiplexed) out of the RTP statistics.  Workload: every UDP datagram on a
 * media port goes through these, so they read only the header, through a
 * bounded cursor, and never allocate.
 * The static payload type table (RFC 3551 §6) lives here too, once.
 * References: RFC 3550 §5.1 (fixed header, padding, CSRC), §5.3.1 (header
 * extension, length in 32-bit words), §6.4 (SR/RR), §6.5-6.7 (SDES, BYE,
 * APP); RFC 5761 §4 (telling RTP from RTCP on a shared port); RFC 3551 §6.
 */
#include "config.h"

#include <stdbool.h>
#include "calltap/cursor.h"
#include "calltap/err.h"
#include "calltap/rtp.h"

#define RTP_FIXED_LEN 12
#define RTCP_PT_FIRST 200 /* SR */
#define RTCP_PT_LAST 204  /* APP */

/*
 * RFC 3551 §6 tables 4 and 5; entries without a rate are unassigned.  19 was
 * comfort noise in RFC 1890 and is reserved now: its clock is still known
 * (old senders), its name is not given.  stats_name marks the speech codecs
 * the stream statistics name by themselves (for the MOS).
 */
const struct ct_rtp_static_pt ct_rtp_static_pts[CT_RTP_STATIC_PTS] = {
	[0] = { "PCMU", 8000, 1, true },    [3] = { "GSM", 8000, 1, true },
	[4] = { "G723", 8000, 1, true },    [5] = { "DVI4", 8000, 1, false },
	[6] = { "DVI4", 16000, 1, false },  [7] = { "LPC", 8000, 1, false },
	[8] = { "PCMA", 8000, 1, true },    [9] = { "G722", 8000, 1, true },
	[10] = { "L16", 44100, 2, false },  [11] = { "L16", 44100, 1, false },
	[12] = { "QCELP", 8000, 1, false }, [13] = { "CN", 8000, 1, false },
	[14] = { "MPA", 90000, 1, false },  [15] = { "G728", 8000, 1, true },
	[16] = { "DVI4", 11025, 1, false }, [17] = { "DVI4", 22050, 1, false },
	[18] = { "G729", 8000, 1, true },   [19] = { NULL, 8000, 1, false },
	[25] = { "CelB", 90000, 1, false }, [26] = { "JPEG", 90000, 1, false },
	[28] = { "nv", 90000, 1, false },   [31] = { "H261", 90000, 1, false },
	[32] = { "MPV", 90000, 1, false },  [33] = { "MP2T", 90000, 1, false },
	[34] = { "H263", 90000, 1, false },
};

/*
 * Returns the RFC 3551 name of static payload type pt and stores its clock
 * rate in *rate (when rate is not NULL).  Returns NULL, leaving *rate
 * untouched, for dynamic, unassigned or reserved types.
 */
const char *ct_rtp_static_codec(uint8_t pt, uint32_t *rate)
{
	const struct ct_rtp_static_pt *s = ct_rtp_static_pt(pt);

	if (s == NULL || s->name == NULL)
		return NULL;
	if (rate != NULL)
		*rate = s->rate;
	return s->name;
}

/* Skips the RFC 3550 §5.3.1 extension: 16-bit profile, 16-bit length in words. */
static void skip_extension(struct ct_cursor *c)
{
	uint16_t words;

	ct_skip(c, 2);
	words = ct_get_be16(c);
	ct_skip(c, (size_t)words * 4);
}

static int parse(const uint8_t *p, size_t len, struct ct_rtp_hdr *h, bool whole);

/*
 * Parses the RTP header of the datagram p[0..len) into h.  h->payload points
 * into p (borrowed, valid as long as p is) and h->payload_len excludes the
 * padding.  Returns CT_OK, or CT_ERR when p or h is NULL, the datagram is
 * shorter than its header (fixed part, CSRCs, extension), the version is not
 * 2, or the padding count is 0 or larger than what follows the header.  h is
 * left partly filled on CT_ERR.  The payload type is not checked against the
 * RTCP range: callers that share a port with RTCP test ct_rtcp_looks_like()
 * first.
 */
int ct_rtp_parse(const uint8_t *p, size_t len, struct ct_rtp_hdr *h)
{
	return parse(p, len, h, true);
}

/*
 * ct_rtp_parse for a datagram the capture's snap length cut (ct_packet's
 * snap_cut): the header must be whole, the padding count (the last byte
 * of the datagram) was not captured, so h->payload_len is what was.
 */
int ct_rtp_parse_cut(const uint8_t *p, size_t len, struct ct_rtp_hdr *h)
{
	return parse(p, len, h, false);
}

static int parse(const uint8_t *p, size_t len, struct ct_rtp_hdr *h, bool whole)
{
	struct ct_cursor c;
	uint8_t b0, b1, pad;

	if (p == NULL || h == NULL || len < RTP_FIXED_LEN)
		return CT_ERR;
	/* The fixed header is there (len checked above): read it in place. */
	b0 = p[0];
	b1 = p[1];
	h->version = (uint8_t)(b0 >> 6);
	h->padding = (b0 & 0x20) != 0;
	h->extension = (b0 & 0x10) != 0;
	h->csrc_count = (uint8_t)(b0 & 0x0f);
	h->marker = (b1 & 0x80) != 0;
	h->pt = (uint8_t)(b1 & 0x7f);
	h->seq = (uint16_t)(p[2] << 8 | p[3]);
	h->ts = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
	h->ssrc = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	if (h->version != 2)
		return CT_ERR;
	ct_cursor_init(&c, p + RTP_FIXED_LEN, len - RTP_FIXED_LEN);
	ct_skip(&c, (size_t)h->csrc_count * 4);
	if (h->extension)
		skip_extension(&c);
	if (c.short_read)
		return CT_ERR;
	h->payload = c.p;
	h->payload_len = ct_cursor_left(&c);
	if (h->padding && whole) {
		if (h->payload_len == 0)
			return CT_ERR;
		pad = h->payload[h->payload_len - 1];
		if (pad == 0 || pad > h->payload_len)
			return CT_ERR;
		h->payload_len -= pad;
	}
	return CT_OK;
}

/*
 * True when p[0..len) plausibly starts an RTCP (compound) packet: version 2,
 * packet type SR..APP (200-204), and a length field (RFC 3550 §6.4.1: the
 * packet length in 32-bit words minus one) that fits inside len.  Only the
 * first packet of a compound is examined.  False for NULL or len < 8.
 */
bool ct_rtcp_looks_like(const uint8_t *p, size_t len)
{
	uint8_t b0, pt;
	size_t bytes;

	if (p == NULL || len < 8)
		return false;
	b0 = p[0];             /* len >= 8 checked above */
	pt = p[1];
	bytes = ((size_t)(p[2] << 8 | p[3]) + 1) * 4;
	if ((b0 >> 6) != 2 || pt < RTCP_PT_FIRST || pt > RTCP_PT_LAST)
		return false;
	return bytes <= len;
}
