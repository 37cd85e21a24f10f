/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Ethernet II decoder: 14-byte header (destination, source, EtherType), then
 * the EtherType dispatch.  IEEE 802.3 length frames (type field <= 1500,
 * LLC/SNAP: STP, CDP, ...) carry no IP for us and are skipped.  Trailing
 * padding and a captured FCS are left in place; IPv4/IPv6 trim to their own
 * length fields.  Reference: IEEE 802.3 §3.2.6.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define ETHER_HDR_LEN 14
#define ETHER_MAX_LENGTH_FIELD 1500

/*
 * Decodes an Ethernet II frame of len bytes at p.  CT_DEC_INVALID with
 * CT_EV_LINK_TRUNCATED when shorter than the header; otherwise the verdict of
 * ct_decode_ethertype.
 */
enum ct_verdict ct_decode_ether(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t type;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	ct_skip(&c, 12);
	type = ct_get_be16(&c);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_LINK_TRUNCATED);
	if (type <= ETHER_MAX_LENGTH_FIELD)
		return CT_DEC_SKIP;
	return ct_decode_ethertype(ctx, pkt, type, p + ETHER_HDR_LEN, len - ETHER_HDR_LEN);
}
