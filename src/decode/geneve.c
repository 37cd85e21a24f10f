/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Geneve decoder (RFC 8926 §3.4), the overlay of cloud virtual networks
 * (Open vSwitch, AWS Gateway Load Balancer, NSX), on UDP 6081.  8-byte
 * header: version (2 bits, must be 0) and option length (6 bits, 4-octet
 * units), the O (control packet) and C (critical options) flags, the
 * protocol type (an EtherType: 0x6558 Ethernet, 0x0800 IPv4, 0x86DD IPv6)
 * and the 24-bit VNI; then the options, skipped unread (we only look
 * through the tunnel, so not understanding a critical option is no reason
 * to drop what it carries).  The payload goes to the Ethernet decoder or
 * to ct_decode_ethertype.  A control packet (O set) is CT_DEC_SKIP; a
 * payload of another version is plain UDP (CT_DEC_OK, as ct_decode_gtpu
 * does: RTP, version 2, and SIP, ASCII, to or from 6081 are analysed); a
 * header or options past the datagram are CT_DEC_INVALID with
 * CT_EV_TUNNEL_TRUNCATED.  Each
 * Geneve layer counts in pkt->tunnel.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define GENEVE_VERSION 0
#define GENEVE_FLAG_O 0x80
#define GENEVE_PROTO_TEB 0x6558

/* Decodes a Geneve packet (the UDP payload, len bytes at p). */
enum ct_verdict ct_decode_geneve(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint8_t vol, flags;
	uint16_t proto;

	if (len >= 8 && (p[0] >> 6) != GENEVE_VERSION)
		return CT_DEC_OK;
	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	pkt->tunnel++;
	ct_cursor_init(&c, p, len);
	vol = ct_get_u8(&c);
	flags = ct_get_u8(&c);
	proto = ct_get_be16(&c);
	ct_skip(&c, 4); /* VNI, reserved */
	ct_skip(&c, (size_t)(vol & 0x3f) * 4);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	if (flags & GENEVE_FLAG_O)
		return CT_DEC_SKIP;
	if (proto == GENEVE_PROTO_TEB)
		return ct_decode_ether(ctx, pkt, c.p, ct_cursor_left(&c));
	return ct_decode_ethertype(ctx, pkt, proto, c.p, ct_cursor_left(&c));
}
