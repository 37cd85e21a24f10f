/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * TCP decoder (RFC 9293 §3.1).  Validates the data offset, fills ports,
 * sequence/acknowledgment numbers, flags and the segment payload.  Options
 * are skipped unread; the checksum is not verified.  Stream reassembly is
 * reasm/tcp_stream.c's job.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define TCP_MIN_HDR 20
#define IPPROTO_TCP_NUM 6

/*
 * Decodes a TCP segment at p (len = IP payload bytes).  Returns CT_DEC_OK
 * with t.sport/dport, t.proto = 6, tcp_seq/ack/flags and payload set;
 * CT_DEC_INVALID with CT_EV_TCP_TRUNCATED (fewer than 20 bytes) or
 * CT_EV_TCP_BAD_HLEN (data offset under 5 words or beyond the segment).
 */
enum ct_verdict ct_decode_tcp(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	size_t doff;

	(void)ctx;
	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	pkt->t.sport = ct_get_be16(&c);
	pkt->t.dport = ct_get_be16(&c);
	pkt->tcp_seq = ct_get_be32(&c);
	pkt->tcp_ack = ct_get_be32(&c);
	doff = (size_t)(ct_get_u8(&c) >> 4) * 4;
	pkt->tcp_flags = ct_get_u8(&c);
	ct_skip(&c, 6); /* window, checksum, urgent pointer */
	pkt->t.proto = IPPROTO_TCP_NUM;
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TCP_TRUNCATED);
	if (doff < TCP_MIN_HDR)
		return ct_decode_invalid(pkt, CT_EV_TCP_BAD_HLEN);
	if (doff > len)
		return ct_decode_invalid(pkt, CT_EV_TCP_BAD_HLEN);
	pkt->payload = p + doff;
	pkt->payload_len = len - doff;
	return CT_DEC_OK;
}
