/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for RTP (src/rtp/rtp.c, stream.c, mos.c): one stream fed a
 * sequence of packets.  The input starts with a configuration byte (bits
 * 0-1 pick the clock rate 8000/16000/48000/0, bits 2-7 the telephone-event
 * payload type 96 + n, or 0 = the default 101), then packets, each:
 *
 *   len (2)        packet bytes that follow (big endian; fewer at the end)
 *   step (1)       arrival time step in units of 250 us (0 = same time)
 *   packet         given to ct_rtp_parse() and, when it is RTP, to
 *                  ct_rtp_stream_update(); ct_rtcp_looks_like() sees it too
 *
 * At the end ct_rtp_stream_stats() and ct_rtp_mos() run.  Checks the parsed
 * header stays inside the packet, the packet count (every packet fed is
 * counted, or lone: out of order), a NUL-terminated DTMF
 * string and finite, non-negative figures with MOS in 0..5.
 * References: RFC 3550 §5.1, §6.4.1, A.3, A.8; RFC 4733 §2.3; ITU-T G.107.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/rtp.h"
#include "fuzz.h"

static const uint32_t fuzz_rates[4] = { 8000, 16000, 48000, 0 };

static void check_hdr(const struct ct_rtp_hdr *h, const uint8_t *p, size_t len)
{
	if (h->payload_len > 0 &&
	    (h->payload < p || h->payload > p + len || h->payload_len > (size_t)(p + len - h->payload)))
		ct_fuzz_fail("RTP payload outside the packet");
	if (h->version != 2)
		ct_fuzz_fail("accepted RTP version other than 2");
}

static void check_stats(const struct ct_rtp_stream *s, uint64_t fed)
{
	struct ct_stream_stats st;

	memset(&st, 0, sizeof(st));
	ct_rtp_stream_stats(s, &st);
	/* A lone packet (stream.c "Probation") is not received, only counted out of order. */
	if (st.packets > fed || st.packets + st.out_of_order < fed)
		ct_fuzz_fail("packet count differs from packets fed (lone ones aside)");
	if (memchr(st.dtmf, '\0', sizeof(st.dtmf)) == NULL)
		ct_fuzz_fail("DTMF string not terminated");
	if (!isfinite(st.loss_pct) || st.loss_pct < 0 || st.loss_pct > 100 ||
	    !isfinite(st.max_jitter_ms) || st.max_jitter_ms < 0 ||
	    !isfinite(st.mean_jitter_ms) || st.mean_jitter_ms < 0 ||
	    !isfinite(st.max_delta_ms) || st.max_delta_ms < 0)
		ct_fuzz_fail("stream figure not finite or negative");
	if (!(st.mos >= 0 && st.mos <= 5))
		ct_fuzz_fail("MOS outside 0..5");
	if (memchr(st.codec, '\0', sizeof(st.codec)) == NULL)
		ct_fuzz_fail("codec name not terminated");
}

/* Feeds the packets of the input to one stream; aborts on a broken invariant. */
int ct_fuzz_rtp(const uint8_t *data, size_t size)
{
	struct ct_fuzz_in in = { data, size };
	struct ct_rtp_stream s;
	uint64_t fed = 0;
	int64_t now = 1700000000000000;
	uint8_t cfg = ct_fuzz_u8(&in);
	bool have_stream = false;

	while (in.left > 0) {
		struct ct_rtp_hdr h;
		const uint8_t *p;
		uint8_t *copy;
		size_t len = ct_fuzz_u16(&in);

		now += (int64_t)ct_fuzz_u8(&in) * 250;
		len = ct_fuzz_take(&in, len, &p);
		copy = ct_fuzz_dup(p, len);
		if (copy == NULL)
			break;
		(void)ct_rtcp_looks_like(copy, len);
		if (ct_rtp_parse(copy, len, &h) == CT_OK) {
			check_hdr(&h, copy, len);
			if (!have_stream) {
				ct_rtp_stream_init(&s, h.ssrc, fuzz_rates[cfg & 3]);
				if ((cfg & 3) == 3)
					s.clock_rate = 0;
				s.dtmf_pt = (uint8_t)((cfg >> 2) != 0 ? 95 + (cfg >> 2) : 0);
				have_stream = true;
			}
			ct_rtp_stream_update(&s, &h, now);
			fed++;
		}
		free(copy);
	}
	if (have_stream)
		check_stats(&s, fed);
	(void)ct_rtp_mos((cfg & 1) ? "PCMU" : "G729", (double)(cfg % 101) / 100.0, (double)cfg);
	return 0;
}

CT_FUZZ_TARGET(rtp)
