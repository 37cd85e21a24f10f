/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PPPoE decoder (RFC 2516), as seen on the aggregation side of DSL and
 * fibre access networks.  Session stage (EtherType 0x8864): 6-byte header
 * (version 1 and type 1 in one byte, code 0, session id, length of the PPP
 * payload) and a PPP frame (RFC 1661 §2) whose protocol field selects IPv4
 * (0x0021) or IPv6 (0x0057, RFC 5072); the 1-byte form of that field
 * (protocol field compression, an odd first byte) is accepted too.  LCP,
 * IPCP, authentication and the rest of PPP's own traffic are CT_DEC_SKIP.
 * Discovery stage (EtherType 0x8863: PADI, PADO, PADR, PADS, PADT) carries
 * no user data: skipped and counted as CT_EV_PPPOE_DISCOVERY.  The length
 * field trims trailing Ethernet padding; one beyond the frame is truncation
 * (cut by the snap length) or a sender bug (the bytes that arrived are
 * kept), as for IPv4.  Another version/type or a non-zero code is
 * CT_EV_TUNNEL_UNSUPPORTED; a header cut short CT_EV_TUNNEL_TRUNCATED.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define PPPOE_HDR_LEN 6
#define PPPOE_VER_TYPE 0x11
#define PPPOE_CODE_SESSION 0x00
#define PPP_PROTO_IPV4 0x0021
#define PPP_PROTO_IPV6 0x0057

/* Decodes a PPPoE discovery packet: nothing for us, counted. */
enum ct_verdict ct_decode_pppoe_discovery(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	ct_pkt_event(pkt, CT_EV_PPPOE_DISCOVERY);
	return CT_DEC_SKIP;
}

/*
 * Decodes a PPPoE session packet at p (len bytes after the EtherType) and
 * the IPv4 or IPv6 packet it carries (that decoder's verdict is returned).
 */
enum ct_verdict ct_decode_pppoe(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint8_t vt, code;
	uint16_t plen, proto;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	vt = ct_get_u8(&c);
	code = ct_get_u8(&c);
	ct_skip(&c, 2); /* session id */
	plen = ct_get_be16(&c);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	if (vt != PPPOE_VER_TYPE || code != PPPOE_CODE_SESSION) {
		ct_pkt_event(pkt, CT_EV_TUNNEL_UNSUPPORTED);
		return CT_DEC_SKIP;
	}
	if (plen > ct_cursor_left(&c)) {
		if (pkt->caplen < pkt->wirelen)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
		ct_pkt_event(pkt, CT_EV_TUNNEL_TRUNCATED);
		plen = (uint16_t)ct_cursor_left(&c);
	}
	c.end = c.p + plen;
	proto = ct_get_u8(&c);
	if ((proto & 1) == 0) /* full 2-byte protocol field */
		proto = (uint16_t)(proto << 8 | ct_get_u8(&c));
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	switch (proto) {
	case PPP_PROTO_IPV4:
		return ct_decode_ipv4(ctx, pkt, c.p, ct_cursor_left(&c));
	case PPP_PROTO_IPV6:
		return ct_decode_ipv6(ctx, pkt, c.p, ct_cursor_left(&c));
	default:
		return CT_DEC_SKIP;
	}
}
