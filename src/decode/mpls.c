/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * MPLS label stack decoder (RFC 3032 §2.1), EtherTypes 0x8847 (unicast) and
 * 0x8848 (multicast), as mirrored from provider cores and L2VPN links.
 * Each 4-byte entry holds a 20-bit label, traffic class, the bottom-of-stack
 * bit S and a TTL; entries are skipped up to the one with S set (at most
 * MPLS_MAX_LABELS, past which CT_EV_TOO_MANY_LAYERS).  MPLS carries no
 * next-protocol field, so what follows is told by its first nibble, as
 * routers and Wireshark do (RFC 4385 §2 keeps 0 and 1 apart from IP):
 * 4 = IPv4, 6 = IPv6, 0 = the pseudowire control word of an Ethernet
 * pseudowire (RFC 4448 §4.6: 4 bytes, then an Ethernet frame), 1 = the
 * associated channel (OAM, RFC 4385 §3: skipped).  The control word is
 * optional (RFC 4448 §4.6), and an Ethernet frame straight after the
 * stack starts with its destination MAC, whose first nibble may be 0 or
 * anything but 4 and 6: such a frame is told by an EtherType calltap
 * decodes at its byte 12 (ether_at), and, first nibble 0, by a second
 * byte that a control word has 0 (FRG and length, §4.6) or no EtherType
 * at byte 16 behind a control word; first nibble 1, by not being the
 * channel's 0x10 0x00.  Anything else records CT_EV_TUNNEL_UNSUPPORTED
 * and is skipped.
 * A stack or control word cut short is CT_DEC_INVALID with
 * CT_EV_TUNNEL_TRUNCATED.  The stack is one layer; an Ethernet pseudowire
 * counts in pkt->tunnel.
 */
#include "config.h"

#include <stdbool.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define MPLS_MAX_LABELS 12
#define MPLS_BOS 0x00000100u
#define PW_CW_LEN 4

/* Whether p[off..) starts an Ethernet frame: an EtherType calltap decodes at its byte 12. */
static bool ether_at(const struct ct_cursor *c, size_t off)
{
	size_t left = ct_cursor_left(c);
	unsigned et;

	if (left < off + 14)
		return false;
	et = (unsigned)c->p[off + 12] << 8 | c->p[off + 13];
	return et == 0x0800 || et == 0x86dd || et == 0x8100 || et == 0x88a8 || et == 0x9100 ||
	    et == 0x8847 || et == 0x8848 || et == 0x8864;
}

/* The Ethernet frame of a pseudowire at c: one tunnel layer. */
static enum ct_verdict pw_ether(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const struct ct_cursor *c)
{
	pkt->tunnel++;
	return ct_decode_ether(ctx, pkt, c->p, ct_cursor_left(c));
}

/* Decodes an MPLS label stack at p (len bytes after the EtherType) and its payload. */
enum ct_verdict ct_decode_mpls(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint32_t entry = 0;
	int n;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	for (n = 0; (entry & MPLS_BOS) == 0; n++) {
		if (n >= MPLS_MAX_LABELS)
			return ct_decode_invalid(pkt, CT_EV_TOO_MANY_LAYERS);
		entry = ct_get_be32(&c);
		if (c.short_read)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	}
	if (ct_cursor_left(&c) == 0)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	switch (c.p[0] >> 4) {
	case 4:
		return ct_decode_ipv4(ctx, pkt, c.p, ct_cursor_left(&c));
	case 6:
		return ct_decode_ipv6(ctx, pkt, c.p, ct_cursor_left(&c));
	case 0:
		/* A control word's FRG and length are 0 but in rare cases */
		if (ct_cursor_left(&c) >= PW_CW_LEN + 14 &&
		    (c.p[1] != 0 || !ether_at(&c, PW_CW_LEN)) && ether_at(&c, 0))
			return pw_ether(ctx, pkt, &c);   /* no control word */
		ct_skip(&c, PW_CW_LEN);
		if (c.short_read)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
		return pw_ether(ctx, pkt, &c);
	case 1:
		/* The associated channel's header: 0x10 (version 0), reserved 0 */
		if (ct_cursor_left(&c) >= 2 && c.p[0] == 0x10 && c.p[1] == 0)
			return CT_DEC_SKIP;
		if (ether_at(&c, 0))
			return pw_ether(ctx, pkt, &c);   /* no control word */
		if (ct_cursor_left(&c) < 14)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
		return CT_DEC_SKIP;
	default:
		if (ether_at(&c, 0))
			return pw_ether(ctx, pkt, &c);   /* no control word */
		if (ct_cursor_left(&c) < 14)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
		ct_pkt_event(pkt, CT_EV_TUNNEL_UNSUPPORTED);
		return CT_DEC_SKIP;
	}
}
