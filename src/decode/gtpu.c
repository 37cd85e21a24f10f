/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GTP-U decoder (3GPP TS 29.281 §5): the user-plane tunnel of mobile cores
 * (S1-U, S5/S8, N3, N9), where VoLTE/VoNR SIP and RTP travel inside UDP
 * 2152.  Mandatory 8-byte header: flags (version 3 bits = 1, PT = 1, E, S,
 * PN), message type, length (bytes after these 8), TEID.  When any of E, S
 * or PN is set a 4-byte word follows (sequence number, N-PDU number, next
 * extension header type), then the extension headers (§5.2): each is a
 * length byte in 4-octet units (counting itself, never 0), content, and the
 * next type in its last byte; type 0 ends the chain.  Only a T-PDU (message
 * type 255) carries a user packet: IPv4 or IPv6 by its first nibble (§6).
 * Echo, Error Indication, End Marker and the like are CT_DEC_SKIP.
 * A datagram that is not GTPv1 (version or PT wrong: an RTP stream that
 * happens to use the port, or GTP' on it) stays the plain UDP datagram it
 * was (CT_DEC_OK, untouched), so a port collision never loses media.
 * Truncation (header, extension chain or length past the datagram) is
 * CT_DEC_INVALID with CT_EV_TUNNEL_TRUNCATED; a T-PDU that is not IP and an
 * extension header of length 0 record CT_EV_TUNNEL_UNSUPPORTED and skip.
 * Each GTP-U layer counts in pkt->tunnel.
 */
#include "config.h"

#include <stdbool.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define GTPU_HDR_LEN 8
#define GTP_VERSION_1 1
#define GTP_FLAG_PT 0x10
#define GTP_FLAG_E 0x04
#define GTP_FLAG_S 0x02
#define GTP_FLAG_PN 0x01
#define GTP_MSG_TPDU 255
#define GTP_MAX_EXTHDRS 16

static enum ct_verdict unsupported(struct ct_packet *pkt)
{
	ct_pkt_event(pkt, CT_EV_TUNNEL_UNSUPPORTED);
	return CT_DEC_SKIP;
}

/*
 * True when the UDP payload p[0..len) starts like GTPv1 (version 1, PT 1).
 * An empty payload is taken as GTP (and will be truncated).
 */
static bool is_gtpv1(const uint8_t *p, size_t len)
{
	return len == 0 || ((p[0] >> 5) == GTP_VERSION_1 && (p[0] & GTP_FLAG_PT) != 0);
}

/*
 * Walks the extension header chain at c, whose first type is `next`.
 * Returns CT_DEC_OK at its end; CT_DEC_INVALID (CT_EV_TUNNEL_TRUNCATED)
 * when it runs past the message; CT_DEC_SKIP (CT_EV_TUNNEL_UNSUPPORTED) on a
 * zero length or more than GTP_MAX_EXTHDRS headers.
 */
static enum ct_verdict skip_exthdrs(struct ct_packet *pkt, struct ct_cursor *c, uint8_t next)
{
	int n;

	for (n = 0; next != 0; n++) {
		uint8_t units;

		if (n >= GTP_MAX_EXTHDRS)
			return unsupported(pkt);
		units = ct_get_u8(c);
		if (!c->short_read && units == 0)
			return unsupported(pkt);
		ct_skip(c, (size_t)units * 4 - 2);
		next = ct_get_u8(c);
		if (c->short_read)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	}
	return CT_DEC_OK;
}

/*
 * Decodes a GTP-U message (the UDP payload, len bytes at p) and, for a
 * T-PDU, the IP packet it carries (its verdict is returned).  Bytes after
 * the GTP length are ignored.
 */
enum ct_verdict ct_decode_gtpu(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint8_t flags, type, next = 0, version;
	uint16_t glen;
	enum ct_verdict v;

	if (!is_gtpv1(p, len))
		return CT_DEC_OK;
	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	pkt->tunnel++;
	ct_cursor_init(&c, p, len);
	flags = ct_get_u8(&c);
	type = ct_get_u8(&c);
	glen = ct_get_be16(&c);
	ct_skip(&c, 4); /* TEID */
	if (c.short_read || glen > ct_cursor_left(&c))
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	c.end = c.p + glen;
	if (flags & (GTP_FLAG_E | GTP_FLAG_S | GTP_FLAG_PN)) {
		ct_skip(&c, 3); /* sequence number, N-PDU number */
		next = ct_get_u8(&c);
		if (c.short_read)
			return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
		if ((flags & GTP_FLAG_E) == 0)
			next = 0; /* the field is only meaningful with E set */
	}
	v = skip_exthdrs(pkt, &c, next);
	if (v != CT_DEC_OK)
		return v;
	if (type != GTP_MSG_TPDU)
		return CT_DEC_SKIP;
	if (ct_cursor_left(&c) == 0)
		return ct_decode_invalid(pkt, CT_EV_TUNNEL_TRUNCATED);
	version = c.p[0] >> 4;
	if (version == 4)
		return ct_decode_ipv4(ctx, pkt, c.p, ct_cursor_left(&c));
	if (version == 6)
		return ct_decode_ipv6(ctx, pkt, c.p, ct_cursor_left(&c));
	return unsupported(pkt);
}
