/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for IP fragment reassembly (src/reasm/ipfrag.c).  The input
 * is a sequence of fragments, each:
 *
 *   ctl (1 byte)   bit 0 IPv6, bits 1-2 datagram id, bit 3 more-fragments,
 *                  bit 4 second source address, bits 5-7 time step
 *   offset (2)     fragment offset in 8-byte units (big endian)
 *   len (1)        payload bytes that follow (fewer at the end of input)
 *
 * fed to ct_ipfrag_add() with small limits (8 datagrams, 4 KiB, 2 s) so that
 * the limit, overlap, too-big and timeout paths are all reachable, with
 * ct_ipfrag_expire() run as time advances.  Checks that the held datagrams
 * and bytes never pass the limits and that a completed datagram is as long
 * as its last fragment's end says.
 * References: RFC 791 §3.2, RFC 8200 §4.5, RFC 815.
 */
#include "config.h"

#include <string.h>

#include "calltap/err.h"
#include "calltap/reasm.h"
#include "fuzz.h"

static const int64_t fuzz_steps_us[8] = { 0, 1000, 100000, 0, 1000000, 0, 2500000, 40000000 };

static void fill_packet(struct ct_packet *pkt, uint8_t ctl, int64_t now)
{
	memset(pkt, 0, sizeof(*pkt));
	pkt->ts_us = now;
	pkt->t.src.family = pkt->t.dst.family = (ctl & 1) ? 6 : 4;
	pkt->t.src.a[0] = 10;
	pkt->t.src.a[3] = (ctl & 0x10) ? 2 : 1;
	pkt->t.dst.a[0] = 10;
	pkt->t.dst.a[3] = 9;
	pkt->t.proto = 17;
	pkt->is_fragment = true;
	pkt->frag_proto = 17;
	pkt->frag_id = (uint32_t)(ctl >> 1 & 3) * 0x10001u;
	pkt->frag_more = (ctl & 8) != 0;
}

static void check_limits(const struct ct_ipfrag *f, const struct ct_ipfrag_limits *lim)
{
	struct ct_ipfrag_stats st;

	ct_ipfrag_get_stats(f, &st);
	if (st.pending > lim->max_datagrams)
		ct_fuzz_fail("more datagrams held than max_datagrams");
	if (st.bytes > lim->max_bytes)
		ct_fuzz_fail("more bytes held than max_bytes");
}

/* Replays the fragments of the input; aborts on a broken limit. */
int ct_fuzz_ipfrag(const uint8_t *data, size_t size)
{
	struct ct_fuzz_in in = { data, size };
	struct ct_ipfrag_limits lim;
	struct ct_ipfrag *f;
	int64_t now = 1000000;

	ct_ipfrag_limits_default(&lim);
	lim.max_datagrams = 8;
	lim.max_bytes = 4096;
	lim.timeout_us = 2000000;
	f = ct_ipfrag_new(&lim);
	if (f == NULL)
		return 0;
	while (in.left > 0) {
		struct ct_packet pkt;
		uint8_t ctl = ct_fuzz_u8(&in);
		uint8_t *out = NULL;
		size_t out_len = 0;
		const uint8_t *payload;
		uint8_t *copy;
		size_t len;

		now += fuzz_steps_us[ctl >> 5];
		fill_packet(&pkt, ctl, now);
		pkt.frag_off = (uint32_t)ct_fuzz_u16(&in) * 8;
		len = ct_fuzz_take(&in, ct_fuzz_u8(&in), &payload);
		copy = ct_fuzz_dup(payload, len);
		if (copy == NULL)
			break;
		pkt.payload = copy;
		pkt.payload_len = len;
		if (ct_ipfrag_add(f, &pkt, &out, &out_len) == CT_OK) {
			if (!pkt.frag_more && out_len != pkt.frag_off + len)
				ct_fuzz_fail("datagram length differs from the last fragment's end");
			if (out_len > 0)
				out[out_len - 1] ^= 1; /* the whole buffer is writable */
			free(out);
		}
		free(copy);
		check_limits(f, &lim);
		if ((ctl >> 5) == 3)
			ct_ipfrag_expire(f, now);
	}
	ct_ipfrag_free(f);
	return 0;
}

CT_FUZZ_TARGET(ipfrag)
