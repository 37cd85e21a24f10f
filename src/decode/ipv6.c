/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IPv6 decoder (RFC 8200).  Validates the fixed 40-byte header and payload
 * length (trailing padding is trimmed), then walks the extension-header chain
 * (§4.1): Hop-by-Hop 0, Routing 43, Destination Options 60, Mobility 135,
 * HIP 139, Shim6 140 (all "next header, length in 8-octet units not counting
 * the first 8"), AH 51 (RFC 4302 §2.2: length in 4-octet units minus 2) and
 * Fragment 44 (§4.5).  A real fragment is flagged for reasm/ipfrag.c; an
 * atomic fragment (offset 0, M clear, RFC 6946) is decoded in place.  The
 * walk is bounded.  A payload length of 0 (jumbogram, RFC 2675, or TSO host
 * capture) is taken as "whatever was captured".  A packet cut by the
 * capture's snap length is decoded as far as it goes (pkt->snap_cut), a
 * fragment so cut is invalid.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define IPV6_HDR_LEN 40
#define IPV6_MAX_EXTHDRS 16

enum {
	NH_HOPOPTS = 0,
	NH_ROUTING = 43,
	NH_FRAGMENT = 44,
	NH_ESP = 50,
	NH_AH = 51,
	NH_NONE = 59,
	NH_DSTOPTS = 60,
	NH_MOBILITY = 135,
	NH_HIP = 139,
	NH_SHIM6 = 140,
};

/* Reads the fixed header into pkt->t; sets *nh and *plen (payload bytes). */
static enum ct_verdict parse_hdr(struct ct_packet *pkt, const uint8_t *p, size_t len,
    uint8_t *nh, size_t *plen)
{
	struct ct_cursor c;
	uint8_t version;

	ct_cursor_init(&c, p, len);
	version = ct_get_u8(&c) >> 4;
	ct_skip(&c, 3); /* traffic class, flow label */
	*plen = ct_get_be16(&c);
	*nh = ct_get_u8(&c);
	pkt->ttl = ct_get_u8(&c); /* hop limit */
	memset(&pkt->t, 0, sizeof(pkt->t));
	pkt->t.src.family = pkt->t.dst.family = 6;
	pkt->t.tunnel = pkt->tunnel;
	ct_get_bytes(&c, pkt->t.src.a, 16);
	ct_get_bytes(&c, pkt->t.dst.a, 16);
	if (len > 0 && version != 6)
		return ct_decode_invalid(pkt, CT_EV_IPV6_BAD_VERSION);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_IPV6_TRUNCATED);
	if (*plen == 0)
		*plen = len - IPV6_HDR_LEN;
	if (*plen > len - IPV6_HDR_LEN) {
		if (pkt->caplen >= pkt->wirelen)
			return ct_decode_invalid(pkt, CT_EV_IPV6_TRUNCATED);
		pkt->snap_cut = true;   /* cut by the snap length: as far as it goes */
		ct_pkt_event(pkt, CT_EV_SNAP_CUT);
		*plen = len - IPV6_HDR_LEN;
	}
	return CT_DEC_OK;
}

/* Flags pkt as a fragment whose data (after the fragment header) is p/len. */
static enum ct_verdict set_fragment(struct ct_packet *pkt, uint8_t nh, uint16_t offm,
    uint32_t id, const uint8_t *p, size_t len)
{
	pkt->is_fragment = true;
	pkt->frag_proto = nh;
	pkt->frag_id = id;
	pkt->frag_off = offm & 0xfff8u;
	pkt->frag_more = (offm & 1) != 0;
	pkt->t.proto = nh;
	pkt->payload = p;
	pkt->payload_len = len;
	return CT_DEC_FRAGMENT;
}

/* True for the extension headers in the generic (next, length) format. */
static bool is_generic_exthdr(uint8_t nh)
{
	switch (nh) {
	case NH_HOPOPTS: case NH_ROUTING: case NH_DSTOPTS:
	case NH_MOBILITY: case NH_HIP: case NH_SHIM6: case NH_AH:
		return true;
	default:
		return false;
	}
}

/*
 * Steps over one generic extension header at p + *off: updates *nh and *off.
 * False when it does not fit.
 */
static bool skip_generic(uint8_t *nh, const uint8_t *p, size_t len, size_t *off)
{
	struct ct_cursor c;
	uint8_t next;
	size_t hlen;

	ct_cursor_init(&c, p + *off, len - *off);
	next = ct_get_u8(&c);
	hlen = ct_get_u8(&c);
	hlen = *nh == NH_AH ? (hlen + 2) * 4 : (hlen + 1) * 8;
	if (c.short_read || hlen > len - *off)
		return false;
	*nh = next;
	*off += hlen;
	return true;
}

/*
 * Walks extension headers from *nh over p/len (the IPv6 payload).  Returns
 * CT_DEC_OK with *off at the upper-layer header and *nh its protocol, or a
 * final verdict: fragment, skip (No Next Header, ESP) or invalid.
 */
static enum ct_verdict walk_exthdrs(struct ct_packet *pkt, const uint8_t *p, size_t len,
    uint8_t *nh, size_t *off)
{
	struct ct_cursor c;
	uint16_t offm;
	uint32_t id;
	uint8_t next;
	int i;

	for (i = 0; i < IPV6_MAX_EXTHDRS; i++) {
		if (is_generic_exthdr(*nh)) {
			if (!skip_generic(nh, p, len, off))
				return ct_decode_invalid(pkt, CT_EV_IPV6_BAD_EXTHDR);
			continue;
		}
		if (*nh == NH_NONE || *nh == NH_ESP)
			return CT_DEC_SKIP;
		if (*nh != NH_FRAGMENT)
			return CT_DEC_OK;
		ct_cursor_init(&c, p + *off, len - *off);
		next = ct_get_u8(&c);
		ct_skip(&c, 1);
		offm = ct_get_be16(&c);
		id = ct_get_be32(&c);
		if (c.short_read)
			return ct_decode_invalid(pkt, CT_EV_IPV6_BAD_EXTHDR);
		*off += 8;
		*nh = next;
		if ((offm & 0xfff9u) != 0)
			return set_fragment(pkt, next, offm, id, p + *off, len - *off);
	}
	return ct_decode_invalid(pkt, CT_EV_IPV6_BAD_EXTHDR);
}

/*
 * Decodes an IPv6 packet at p (len bytes, possibly padded).  Fills
 * pkt->t.src/dst (innermost wins; ports and proto are cleared) and t.tunnel
 * (the tunnel layers around this header, as ct_decode_ipv4).  Returns
 * CT_DEC_FRAGMENT for a non-atomic fragment (frag_*, t.proto = next header
 * after the fragment header, payload = fragment data), CT_DEC_SKIP for No
 * Next Header/ESP, CT_DEC_INVALID with an IPV6_* event when malformed, else
 * the verdict of ct_decode_l4.
 */
enum ct_verdict ct_decode_ipv6(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	enum ct_verdict v;
	size_t plen, off = 0;
	uint8_t nh;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	v = parse_hdr(pkt, p, len, &nh, &plen);
	if (v != CT_DEC_OK)
		return v;
	p += IPV6_HDR_LEN;
	v = walk_exthdrs(pkt, p, plen, &nh, &off);
	if (v == CT_DEC_FRAGMENT && pkt->snap_cut) {   /* a piece of a piece */
		pkt->is_fragment = false;
		return ct_decode_invalid(pkt, CT_EV_IPV6_TRUNCATED);
	}
	if (v != CT_DEC_OK)
		return v;
	return ct_decode_l4(ctx, pkt, nh, p + off, plen - off);
}

/*
 * The upper layer of the data of an IPv6 datagram rebuilt from fragments
 * (p, len): nh is the Next Header of its Fragment header, and RFC 8200
 * §4.1 lets Destination Options (and AH) follow that header (Linux takes
 * such datagrams).  Walks them as ct_decode_ipv6 does: CT_DEC_OK with *nh
 * the upper-layer protocol at p + *off; CT_DEC_SKIP (No Next Header,
 * ESP); CT_DEC_INVALID with CT_EV_IPV6_BAD_EXTHDR when a header does not
 * fit or a second, non-atomic Fragment header follows.
 */
enum ct_verdict ct_ipv6_rebuilt_upper(struct ct_packet *pkt, const uint8_t *p, size_t len,
    uint8_t *nh, size_t *off)
{
	enum ct_verdict v;

	*off = 0;
	v = walk_exthdrs(pkt, p, len, nh, off);
	if (v == CT_DEC_FRAGMENT) {
		pkt->is_fragment = false;
		return ct_decode_invalid(pkt, CT_EV_IPV6_BAD_EXTHDR);
	}
	return v;
}
