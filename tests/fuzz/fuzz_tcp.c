/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for TCP stream reassembly (src/reasm/tcp_stream.c) with the
 * engine's SIP consumer, ct_sip_tcp_consume() (incremental SIP framing with
 * the direction's scan state, junk skipped with ct_sip_resync(); HTTP
 * upgrades to SIP over WebSocket and its frames, src/sip/ws.c); each
 * message goes through ct_sip_msg_parse().  The input is a sequence of segments, each:
 *
 *   ctl (1 byte)   bits 0-1 connection, bit 2 reverse direction, bit 3 SYN,
 *                  bit 4 FIN, bit 5 RST, bit 6 a 61 s pause (idle expiry),
 *                  bit 7 the sequence number is a raw 32-bit value
 *   seq (2 or 4)   offset from the connection's initial sequence number
 *                  (big endian), or the raw number when bit 7 is set
 *   len (1)        payload bytes that follow (fewer at the end of input)
 *
 * One connection starts just below 2^32 so that sequence wrap-around is
 * exercised.  Limits are small (4 directions, 2 KiB buffers, 60 s idle) so
 * that eviction, overflow and expiry paths run.  Checks that the consumer
 * is never handed more than it was given plus what arrived, and that the
 * stream counters stay within the limits.
 * References: RFC 9293 §3.4 (sequence numbers), RFC 3261 §18.3 (framing).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/reasm.h"
#include "calltap/sip.h"
#include "fuzz.h"

static const uint32_t fuzz_isn[4] = { 1000, 0xFFFFFF00u, 0x7FFFFFF0u, 0 };

struct fuzz_tcp_state {
	size_t max_len;     /* the most bytes a callback may be handed */
	uint64_t messages;
	const char *view;   /* the bytes of the current callback */
	size_t view_len;
};

static void fuzz_parse(const char *text, size_t len)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	(void)ct_sip_msg_parse(&m, text, len);
	ct_sip_msg_fini(&m);
}

/*
 * Receives each framed message; over TCP it must lie inside the bytes
 * handed in (a WebSocket message may be an unmasked copy), and never be
 * longer than the WebSocket bound.
 */
static void fuzz_on_msg(void *user, const char *text, size_t len, uint8_t transport)
{
	struct fuzz_tcp_state *st = user;

	if (transport == CT_TRANSPORT_TCP && (text < st->view || len > st->view_len ||
	    (size_t)(text - st->view) > st->view_len - len))
		ct_fuzz_fail("ct_sip_tcp_consume framed beyond the buffer");
	if (transport == CT_TRANSPORT_WS && (len == 0 || len > CT_WS_MAX_MESSAGE))
		ct_fuzz_fail("WebSocket message empty or over the bound");
	if (transport != CT_TRANSPORT_TCP && transport != CT_TRANSPORT_WS)
		ct_fuzz_fail("unknown transport");
	fuzz_parse(text, len);
	st->messages++;
}

/* The engine's consumer (src/engine.c on_tcp_data), with checks. */
static size_t fuzz_on_data(void *user, const struct ct_packet *pkt,
    const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan)
{
	struct fuzz_tcp_state *st = user;
	uint64_t framing = 0, ws_framing = 0;
	size_t used;

	(void)pkt;
	if (len > st->max_len)
		ct_fuzz_fail("consumer handed more than the buffer limit");
	if (len > 0 && data == NULL)
		ct_fuzz_fail("NULL data with a length");
	st->view = (const char *)data;
	st->view_len = len;
	used = ct_sip_tcp_consume(data, len, gap, scan, fuzz_on_msg, st, &framing, &ws_framing);
	if (used > len)
		ct_fuzz_fail("consumer used more than it was given");
	if (len > 0 && used < len && scan->done > len - used)
		ct_fuzz_fail("scan state past the unconsumed bytes");
	return used;
}

static void fill_segment(struct ct_packet *pkt, uint8_t ctl, int64_t now)
{
	struct ct_addr a = { .family = 4, .a = { 192, 0, 2, (uint8_t)(1 + (ctl & 3)) } };
	struct ct_addr b = { .family = 4, .a = { 198, 51, 100, 7 } };
	bool rev = (ctl & 4) != 0;

	memset(pkt, 0, sizeof(*pkt));
	pkt->ts_us = now;
	pkt->linktype = 1;
	pkt->t.src = rev ? b : a;
	pkt->t.dst = rev ? a : b;
	pkt->t.sport = rev ? 5060 : (uint16_t)(40000 + (ctl & 3));
	pkt->t.dport = rev ? (uint16_t)(40000 + (ctl & 3)) : 5060;
	pkt->t.proto = 6;
	pkt->tcp_flags = CT_TCP_ACK;
	if (ctl & 8)
		pkt->tcp_flags |= CT_TCP_SYN;
	if (ctl & 0x10)
		pkt->tcp_flags |= CT_TCP_FIN;
	if (ctl & 0x20)
		pkt->tcp_flags |= CT_TCP_RST;
}

/* Feeds the segments of the input; aborts on a broken invariant. */
int ct_fuzz_tcp(const uint8_t *data, size_t size)
{
	static bool sip_ready;
	struct ct_fuzz_in in = { data, size };
	struct fuzz_tcp_state st = { 0, 0, NULL, 0 };
	struct ct_tcp_limits lim;
	struct ct_tcp_reasm *r;
	struct ct_tcp_stats ts;
	int64_t now = 1000000;

	if (!sip_ready) {
		ct_sip_init();
		sip_ready = true;
	}
	ct_tcp_limits_default(&lim);
	lim.max_streams = 4;
	lim.max_buffer = 2048;
	lim.max_ooo_bytes = 2048;
	lim.idle_us = 60000000;
	/* Unconsumed bytes plus one segment, with room for an implementation
	 * that grants a segment on top of a full buffer. */
	st.max_len = lim.max_buffer + lim.max_ooo_bytes + 255;
	r = ct_tcp_reasm_new(&lim, fuzz_on_data, &st);
	if (r == NULL)
		return 0;
	while (in.left > 0) {
		struct ct_packet pkt;
		uint8_t ctl = ct_fuzz_u8(&in);
		const uint8_t *payload;
		uint8_t *copy;
		size_t len;

		now += (ctl & 0x40) ? 61000000 : 1000;
		fill_segment(&pkt, ctl, now);
		pkt.tcp_seq = ct_fuzz_u16(&in);
		if (ctl & 0x80)
			pkt.tcp_seq = pkt.tcp_seq << 16 | ct_fuzz_u16(&in);
		else
			pkt.tcp_seq += fuzz_isn[ctl & 3];
		len = ct_fuzz_take(&in, ct_fuzz_u8(&in), &payload);
		copy = ct_fuzz_dup(payload, len);
		if (copy == NULL)
			break;
		pkt.payload = copy;
		pkt.payload_len = len;
		ct_tcp_reasm_feed(r, &pkt);
		free(copy);
		if (ctl & 0x40)
			ct_tcp_reasm_expire(r, now);
		ct_tcp_reasm_get_stats(r, &ts);
		if (ts.streams > lim.max_streams)
			ct_fuzz_fail("more directions tracked than max_streams");
	}
	ct_tcp_reasm_free(r);
	return 0;
}

CT_FUZZ_TARGET(tcp)
