/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tunnel decoders: GRE (RFC 2784 with the RFC 2890 key and sequence
 * extensions) carrying IP, transparent Ethernet bridging (0x6558) or Cisco
 * ERSPAN mirror traffic (type I and II on 0x88BE, type III on 0x22EB; see
 * draft-foschiano-erspan-03 §4), and VXLAN (RFC 7348 §5).  IPIP and
 * IPv6-in-IP (protocols 4 and 41) are dispatched by ct_decode_l4.  Each
 * tunnel layer counts in pkt->tunnel; the inner IP header overwrites the
 * outer tuple (innermost wins) while pkt->vlan keeps the outermost tag.
 * Workload: port-mirroring setups where every packet is encapsulated, so
 * this is on the per-packet path and does no allocation.
 * Verdicts: a truncated header is CT_DEC_INVALID with CT_EV_TUNNEL_TRUNCATED;
 * an encapsulation we do not decode (GRE version 1/PPTP, RFC 1701 routing,
 * unknown ERSPAN version, VXLAN without the I flag) records
 * CT_EV_TUNNEL_UNSUPPORTED and is CT_DEC_SKIP.
 */
#include "config.h"

#include <stdbool.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_VERSION 0x0007

#define GRE_PROTO_TEB 0x6558
#define GRE_PROTO_ERSPAN2 0x88BE
#define GRE_PROTO_ERSPAN3 0x22EB

#define ERSPAN2_HDR_LEN 8
#define ERSPAN3_HDR_LEN 12
#define ERSPAN3_SUBHDR_LEN 8
#define ERSPAN2_VERSION 1
#define ERSPAN3_VERSION 2

#define VXLAN_HDR_LEN 8
#define VXLAN_FLAG_I 0x08
#define VXLAN_RESERVED 0x77  /* flag bits but I and VXLAN-GBP's G (0x80) */

static enum ct_verdict unsupported(struct ct_packet *pkt)
{
	ct_pkt_event(pkt, CT_EV_TUNNEL_UNSUPPORTED);
	return CT_DEC_SKIP;
}

/*
 * Strips an ERSPAN header at c (type II when type2, else III) and decodes
 * the mirrored Ethernet frame after it.
 */
static enum ct_verdict decode_erspan(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    struct ct_cursor *c, bool type2)
{
	const uint8_t *hdr = c->p;
	uint8_t version;
	size_t hlen = type2 ? ERSPAN2_HDR_LEN : ERSPAN3_HDR_LEN;

	version = ct_get_u8(c) >> 4;
	ct_skip(c, hlen - 1);
	if (c->short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	if (version != (type2 ? ERSPAN2_VERSION : ERSPAN3_VERSION))
		return unsupported(pkt);
	if (!type2 && (hdr[ERSPAN3_HDR_LEN - 1] & 0x01) != 0) {
		ct_skip(c, ERSPAN3_SUBHDR_LEN); /* O bit: platform sub-header */
		if (c->short_read)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	}
	return ct_decode_ether(ctx, pkt, c->p, ct_cursor_left(c));
}

/*
 * Decodes a GRE packet at p (len bytes).  Optional checksum, key and
 * sequence words are skipped; the payload goes to the Ethernet decoder
 * (0x6558, ERSPAN) or to ct_decode_ethertype (IPv4, IPv6, anything else,
 * which is skipped there).
 */
enum ct_verdict ct_decode_gre(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t flags, proto;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	pkt->tunnel++;
	ct_cursor_init(&c, p, len);
	flags = ct_get_be16(&c);
	proto = ct_get_be16(&c);
	ct_skip(&c, (flags & GRE_C) ? 4 : 0);
	ct_skip(&c, (flags & GRE_K) ? 4 : 0);
	ct_skip(&c, (flags & GRE_S) ? 4 : 0);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	if ((flags & GRE_VERSION) != 0 || (flags & GRE_R) != 0)
		return unsupported(pkt);
	switch (proto) {
	case GRE_PROTO_TEB:
		return ct_decode_ether(ctx, pkt, c.p, ct_cursor_left(&c));
	case GRE_PROTO_ERSPAN2:
		if ((flags & GRE_S) == 0) /* type I: no ERSPAN header */
			return ct_decode_ether(ctx, pkt, c.p, ct_cursor_left(&c));
		return decode_erspan(ctx, pkt, &c, true);
	case GRE_PROTO_ERSPAN3:
		return decode_erspan(ctx, pkt, &c, false);
	default:
		return ct_decode_ethertype(ctx, pkt, proto, c.p, ct_cursor_left(&c));
	}
}

/*
 * Decodes a VXLAN packet (the UDP payload, len bytes at p): 8-byte header,
 * then an Ethernet frame.  A payload whose flags are not VXLAN's (RFC 7348
 * §5: the I bit, no reserved bit but VXLAN-GBP's G) is plain UDP (CT_DEC_OK,
 * as ct_decode_gtpu does): RTP to or from 4789 (first byte 0x80: no I bit)
 * and SIP (ASCII: a reserved bit set) are analysed.  Under 8 bytes:
 * CT_DEC_INVALID, CT_EV_TUNNEL_TRUNCATED.
 */
enum ct_verdict ct_decode_vxlan(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;

	if (len >= VXLAN_HDR_LEN && ((p[0] & VXLAN_FLAG_I) == 0 || (p[0] & VXLAN_RESERVED) != 0))
		return CT_DEC_OK;
	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	pkt->tunnel++;
	ct_cursor_init(&c, p, len);
	ct_skip(&c, VXLAN_HDR_LEN);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	return ct_decode_ether(ctx, pkt, c.p, ct_cursor_left(&c));
}
