/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Linux "cooked" capture headers, as written by `tcpdump -i any`.
 * SLL v1 (LINKTYPE_LINUX_SLL 113): 16 bytes, packet type, ARPHRD type,
 * address length, 8 address bytes, protocol (EtherType) at offset 14.
 * SLL v2 (LINKTYPE_LINUX_SLL2 276): 20 bytes, protocol at offset 0, then
 * reserved, interface index, ARPHRD type, packet type, address length and
 * 8 address bytes.  The protocol goes through ct_decode_ethertype; the
 * Linux-specific values below 0x0600 (802.2 LLC, CAN, ...) are skipped there.
 * Reference: https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html and
 * LINKTYPE_LINUX_SLL2.html.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define SLL_HDR_LEN 16
#define SLL2_HDR_LEN 20

/* Decodes an SLL v1 frame; CT_EV_LINK_TRUNCATED when under 16 bytes. */
enum ct_verdict ct_decode_sll(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t proto;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	ct_skip(&c, 14);
	proto = ct_get_be16(&c);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_LINK_TRUNCATED);
	return ct_decode_ethertype(ctx, pkt, proto, p + SLL_HDR_LEN, len - SLL_HDR_LEN);
}

/* Decodes an SLL v2 frame; CT_EV_LINK_TRUNCATED when under 20 bytes. */
enum ct_verdict ct_decode_sll2(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t proto;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	proto = ct_get_be16(&c);
	ct_skip(&c, SLL2_HDR_LEN - 2);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_LINK_TRUNCATED);
	return ct_decode_ethertype(ctx, pkt, proto, p + SLL2_HDR_LEN, len - SLL2_HDR_LEN);
}
