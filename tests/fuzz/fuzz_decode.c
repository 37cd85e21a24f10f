/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the stateless decoders (src/decode): the first input byte
 * picks a link type (every one with a decoder, plus one without), the rest
 * is the frame handed to ct_decode_frame().  Checks that the verdict is
 * consistent with what the decoders filled in: an L4 or fragment payload
 * lies inside the frame, the layer depth stays bounded, and CT_DEC_OK means
 * UDP or TCP.  Inputs are single frames of up to a few KiB.
 * References: https://www.tcpdump.org/linktypes.html (link type numbers).
 */
#include "config.h"

#include <netinet/in.h>
#include <string.h>

#include "calltap/decode.h"
#include "fuzz.h"

/* Link types with a decoder (src/decode/decode.c), then one without. */
static const int fuzz_linktypes[] = { 1, 113, 276, 12, 101, 0, 108, 228, 229, 147 };

static void check_inside(const struct ct_packet *pkt)
{
	const uint8_t *lo = pkt->data, *hi = pkt->data + pkt->caplen;

	if (pkt->payload_len == 0)
		return;
	if (pkt->payload == NULL || pkt->payload < lo || pkt->payload > hi ||
	    pkt->payload_len > (size_t)(hi - pkt->payload))
		ct_fuzz_fail("payload outside the frame");
}

/* Decodes one frame; aborts when an invariant of ct_decode_frame() breaks. */
int ct_fuzz_decode(const uint8_t *data, size_t size)
{
	struct ct_decode_ctx ctx;
	struct ct_packet pkt;
	enum ct_verdict v;
	uint8_t *frame;

	if (size < 1)
		return 0;
	/* An exactly sized copy, so that any over-read trips the sanitizer. */
	frame = ct_fuzz_dup(data + 1, size - 1);
	if (frame == NULL)
		return 0;
	ct_decode_ctx_init(&ctx);
	memset(&pkt, 0xA5, sizeof(pkt));
	pkt.ts_us = 1;
	pkt.linktype = fuzz_linktypes[data[0] % (sizeof(fuzz_linktypes) / sizeof(fuzz_linktypes[0]))];
	pkt.data = frame;
	pkt.caplen = (uint32_t)(size - 1);
	/* bit 6: a frame cut by the snap length (decoded as far as it goes) */
	pkt.wirelen = pkt.caplen + (data[0] & 0x40 ? 64 : 0);
	v = ct_decode_frame(data[0] & 0x80 ? NULL : &ctx, &pkt);
	if (pkt.depth > CT_MAX_LAYERS + 1)
		ct_fuzz_fail("too many layers");
	if (v != CT_DEC_INVALID && pkt.snap_cut && pkt.caplen >= pkt.wirelen)
		ct_fuzz_fail("snap_cut in a frame captured whole");
	if (v == CT_DEC_FRAGMENT && pkt.snap_cut)
		ct_fuzz_fail("a fragment cut by the snap length");
	if (v == CT_DEC_OK) {
		if (pkt.t.proto != IPPROTO_UDP && pkt.t.proto != IPPROTO_TCP)
			ct_fuzz_fail("CT_DEC_OK without UDP or TCP");
		if (pkt.t.src.family != 4 && pkt.t.src.family != 6)
			ct_fuzz_fail("CT_DEC_OK without an IP address family");
		check_inside(&pkt);
	} else if (v == CT_DEC_FRAGMENT) {
		if (!pkt.is_fragment)
			ct_fuzz_fail("CT_DEC_FRAGMENT without is_fragment");
		check_inside(&pkt);
	} else if (v == CT_DEC_INVALID && pkt.events == 0) {
		ct_fuzz_fail("CT_DEC_INVALID without an event");
	}
	free(frame);
	return 0;
}

CT_FUZZ_TARGET(decode)
