/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IPv4 decoder (RFC 791 §3.1).  Validates version, header length (IHL, with
 * options skipped unread) and total length; trailing link-layer padding is
 * trimmed to the total length.  A total length of 0 is taken as "whatever was
 * captured", as TCP segmentation offload leaves it in host captures
 * (Wireshark does the same).  Fragments (MF set or offset != 0, RFC 791
 * §2.3) are only flagged here: reasm/ipfrag.c does the stateful part and
 * decodes the rebuilt datagram through ct_decode_l4.  A datagram cut by the
 * capture's snap length is decoded as far as it goes (pkt->snap_cut), a
 * fragment so cut is invalid.  The header checksum is
 * not verified (captures often show offloaded, unset checksums).
 */
#include "config.h"

#include <string.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define IPV4_MIN_HDR 20
#define IPV4_MF 0x2000
#define IPV4_OFFMASK 0x1fff

struct ipv4_hdr {
	uint8_t ihl;        /* header length, bytes */
	size_t totlen;      /* total length, bytes (0 on the wire: what was captured) */
	uint16_t id;
	uint16_t frag;      /* flags + fragment offset, 8-octet units */
	uint8_t proto;
};

/* Reads the fixed header and the addresses into h and pkt->t. */
static enum ct_verdict parse_hdr(struct ct_packet *pkt, const uint8_t *p, size_t len,
    struct ipv4_hdr *h)
{
	struct ct_cursor c;
	uint8_t vhl;
	bool short_read;

	ct_cursor_init(&c, p, len);
	memset(&pkt->t, 0, sizeof(pkt->t));
	pkt->t.src.family = pkt->t.dst.family = 4;
	pkt->t.tunnel = pkt->tunnel;
	if (ct_cursor_need(&c, IPV4_MIN_HDR)) {
		/* The whole fixed header is there (checked once): read it in place. */
		vhl = p[0];
		h->totlen = (uint16_t)(p[2] << 8 | p[3]);
		h->id = (uint16_t)(p[4] << 8 | p[5]);
		h->frag = (uint16_t)(p[6] << 8 | p[7]);
		pkt->ttl = p[8];
		h->proto = p[9];
		memcpy(pkt->t.src.a, p + 12, 4);
		memcpy(pkt->t.dst.a, p + 16, 4);
		short_read = false;
	} else {
		/* A truncated header: field by field, what there is. */
		ct_cursor_init(&c, p, len);
		vhl = ct_get_u8(&c);
		ct_skip(&c, 1); /* DSCP/ECN */
		h->totlen = ct_get_be16(&c);
		h->id = ct_get_be16(&c);
		h->frag = ct_get_be16(&c);
		pkt->ttl = ct_get_u8(&c);
		h->proto = ct_get_u8(&c);
		ct_skip(&c, 2); /* checksum */
		ct_get_bytes(&c, pkt->t.src.a, 4);
		ct_get_bytes(&c, pkt->t.dst.a, 4);
		short_read = c.short_read;
	}
	if (len > 0 && vhl >> 4 != 4)
		return ct_decode_invalid(pkt, CT_EV_IPV4_BAD_VERSION);
	if (short_read)
		return ct_decode_invalid(pkt, CT_EV_IPV4_TRUNCATED);
	h->ihl = (uint8_t)((vhl & 0x0f) * 4);
	if (h->ihl < IPV4_MIN_HDR)
		return ct_decode_invalid(pkt, CT_EV_IPV4_BAD_HLEN);
	if (h->ihl > len)
		return ct_decode_invalid(pkt, CT_EV_IPV4_TRUNCATED);
	if (h->totlen == 0)
		h->totlen = len;   /* also past 64 KiB: Linux's BIG TCP (host captures) */
	if (h->totlen < h->ihl)
		return ct_decode_invalid(pkt, CT_EV_IPV4_BAD_TOTLEN);
	if (h->totlen > len) {
		/* Cut by the snap length: the headers may be whole, the payload is not. */
		if (pkt->caplen < pkt->wirelen) {
			pkt->snap_cut = true;
			ct_pkt_event(pkt, CT_EV_SNAP_CUT);
			h->totlen = len;
			return CT_DEC_OK;
		}
		/*
		 * The whole frame is here but the header claims more: a sender
		 * bug.  Keep what arrived (as Wireshark does) and count it.
		 */
		ct_pkt_event(pkt, CT_EV_IPV4_BAD_TOTLEN);
		h->totlen = len;
	}
	return CT_DEC_OK;
}

/*
 * Decodes an IPv4 datagram at p (len bytes, possibly with trailing padding).
 * Fills pkt->t.src/dst (innermost wins: a tunnelled header overwrites the
 * outer one and clears ports/proto) and t.tunnel, the tunnel layers around
 * this header (a tunnelled packet's addresses are not those of the wire:
 * anyone may send a tunnel packet, so the stages keep the two apart).  Returns CT_DEC_FRAGMENT for a fragment
 * (frag_*, t.proto and payload set to the IP payload), otherwise the verdict
 * of ct_decode_l4; CT_DEC_INVALID with an IPV4_* event when malformed.
 */
enum ct_verdict ct_decode_ipv4(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ipv4_hdr h;
	enum ct_verdict v;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	v = parse_hdr(pkt, p, len, &h);
	if (v != CT_DEC_OK)
		return v;
	if ((h.frag & (IPV4_MF | IPV4_OFFMASK)) != 0) {
		if (pkt->snap_cut)   /* a piece of a piece: nothing to rebuild */
			return ct_decode_invalid(pkt, CT_EV_IPV4_TRUNCATED);
		pkt->is_fragment = true;
		pkt->frag_proto = h.proto;
		pkt->frag_id = h.id;
		pkt->frag_off = (uint32_t)(h.frag & IPV4_OFFMASK) * 8;
		pkt->frag_more = (h.frag & IPV4_MF) != 0;
		pkt->t.proto = h.proto;
		pkt->payload = p + h.ihl;
		pkt->payload_len = (size_t)(h.totlen - h.ihl);
		return CT_DEC_FRAGMENT;
	}
	return ct_decode_l4(ctx, pkt, h.proto, p + h.ihl, (size_t)(h.totlen - h.ihl));
}
