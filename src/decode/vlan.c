/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IEEE 802.1Q / 802.1ad (QinQ) tag decoder.  Called with the bytes after a
 * TPID (0x8100, 0x88A8, 0x9100, 0x9200 or 0x9300): 2 bytes TCI (PCP, DEI, 12-bit VLAN id)
 * and the encapsulated EtherType.  Stacked tags recurse through
 * ct_decode_ethertype; the packet keeps the OUTERMOST non-zero VLAN id, so a
 * tag inside a tunnel never overwrites the one seen on the wire.
 * Reference: IEEE 802.1Q-2018 §9.6.
 */
#include "config.h"

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define VLAN_TAG_LEN 4
#define VLAN_VID_MASK 0x0fff

/*
 * Decodes one VLAN tag at p (len bytes) and what it encapsulates.
 * CT_DEC_INVALID with CT_EV_VLAN_TRUNCATED when fewer than 4 bytes remain.
 */
enum ct_verdict ct_decode_vlan(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t tci, type;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	tci = ct_get_be16(&c);
	type = ct_get_be16(&c);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_VLAN_TRUNCATED);
	if (pkt->vlan == 0)
		pkt->vlan = tci & VLAN_VID_MASK;
	return ct_decode_ethertype(ctx, pkt, type, p + VLAN_TAG_LEN, len - VLAN_TAG_LEN);
}
