/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Decoder entry point and the protocol dispatchers: the link-type table
 * (tcpdump printers[] style), the EtherType switch and the IP-protocol switch.
 * Runs once per captured frame, so the link table is a short linear scan and
 * nothing allocates.  Link-type numbers are the LINKTYPE_/DLT_ values of
 * https://www.tcpdump.org/linktypes.html (both 12 and 101 mean raw IP).
 */
#include "config.h"

#include <stddef.h>

#include "calltap/decode.h"
#include "decode_int.h"

#define VXLAN_PORT 4789
#define GENEVE_PORT 6081
#define GTPU_PORT 2152

enum {
	LT_NULL = 0,
	LT_EN10MB = 1,
	LT_RAW_DLT = 12,
	LT_RAW = 101,
	LT_LOOP = 108,
	LT_LINUX_SLL = 113,
	LT_IPV4 = 228,
	LT_IPV6 = 229,
	LT_LINUX_SLL2 = 276,
};

struct link_decoder {
	int linktype;
	ct_decode_fn fn;
};

static const struct link_decoder link_decoders[] = {
	{ LT_EN10MB, ct_decode_ether },
	{ LT_LINUX_SLL, ct_decode_sll },
	{ LT_LINUX_SLL2, ct_decode_sll2 },
	{ LT_RAW_DLT, ct_decode_raw },
	{ LT_RAW, ct_decode_raw },
	{ LT_NULL, ct_decode_null },
	{ LT_LOOP, ct_decode_null },
	{ LT_IPV4, ct_decode_ipv4 },
	{ LT_IPV6, ct_decode_ipv6 },
};

static ct_decode_fn link_lookup(int linktype)
{
	size_t i;

	for (i = 0; i < sizeof(link_decoders) / sizeof(link_decoders[0]); i++)
		if (link_decoders[i].linktype == linktype)
			return link_decoders[i].fn;
	return NULL;
}

/*
 * Fills ctx with the defaults (VXLAN on UDP 4789, Geneve on 6081, GTP-U on
 * 2152).  ctx must not be NULL.
 */
void ct_decode_ctx_init(struct ct_decode_ctx *ctx)
{
	ctx->vxlan_port = VXLAN_PORT;
	ctx->geneve_port = GENEVE_PORT;
	ctx->gtpu_port = GTPU_PORT;
}

/* Returns 1 when linktype (a DLT_ or LINKTYPE_ value) has a decoder, 0 otherwise. */
int ct_decode_linktype_supported(int linktype)
{
	return link_lookup(linktype) != NULL;
}

/*
 * Decodes the frame pkt->data (pkt->caplen bytes, borrowed) of link type
 * pkt->linktype.  Every decode field of pkt is reset first; ts_us, linktype,
 * data, caplen and wirelen are kept.  ctx may be NULL (no UDP tunnel decoded).
 * pkt->data may be NULL only with caplen 0.  Returns the verdict of the
 * chain; an unknown link type is CT_DEC_INVALID with CT_EV_LINK_UNSUPPORTED.
 */
static const struct ct_packet zero_packet;

enum ct_verdict ct_decode_frame(const struct ct_decode_ctx *ctx, struct ct_packet *pkt)
{
	int64_t ts_us = pkt->ts_us;
	int linktype = pkt->linktype;
	const uint8_t *data = pkt->data;
	uint32_t caplen = pkt->caplen, wirelen = pkt->wirelen;
	ct_decode_fn fn;

	/* Cleared in place by copying a zeroed packet: eight vector moves, where
	 * a zeroed copy on the stack (or memset) was a rep stos per frame. */
	*pkt = zero_packet;
	pkt->ts_us = ts_us;
	pkt->linktype = linktype;
	pkt->data = data;
	pkt->caplen = caplen;
	pkt->wirelen = wirelen;
	fn = link_lookup(pkt->linktype);
	if (fn == NULL)
		return ct_decode_invalid(pkt, CT_EV_LINK_UNSUPPORTED);
	if (pkt->data == NULL)
		return fn(ctx, pkt, (const uint8_t *)"", 0);
	return fn(ctx, pkt, pkt->data, pkt->caplen);
}

/*
 * Dispatches the bytes after an EtherType: IPv4, IPv6, an 802.1Q/802.1ad
 * tag (0x8100, 0x88A8, and the pre-standard QinQ TPIDs 0x9100, 0x9200,
 * 0x9300), an MPLS label stack (0x8847, 0x8848) or PPPoE (session 0x8864;
 * discovery 0x8863 is counted and skipped).  Anything else (ARP, LLDP, ...)
 * is CT_DEC_SKIP.
 */
enum ct_verdict ct_decode_ethertype(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    uint16_t ethertype, const uint8_t *p, size_t len)
{
	switch (ethertype) {
	case 0x0800:
		return ct_decode_ipv4(ctx, pkt, p, len);
	case 0x86DD:
		return ct_decode_ipv6(ctx, pkt, p, len);
	case 0x8100:
	case 0x88A8:
	case 0x9100:
	case 0x9200:
	case 0x9300:
		return ct_decode_vlan(ctx, pkt, p, len);
	case 0x8847:
	case 0x8848:
		return ct_decode_mpls(ctx, pkt, p, len);
	case 0x8864:
		return ct_decode_pppoe(ctx, pkt, p, len);
	case 0x8863:
		return ct_decode_pppoe_discovery(ctx, pkt, p, len);
	default:
		return CT_DEC_SKIP;
	}
}

/*
 * Dispatches an IP payload of protocol proto: UDP 17, TCP 6, and the
 * tunnels IPIP 4, IPv6-in-IP 41 (one tunnel layer each) and GRE 47.  Other
 * protocols (ICMP, ESP, SCTP, ...) are CT_DEC_SKIP.
 */
enum ct_verdict ct_decode_l4(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    uint8_t proto, const uint8_t *p, size_t len)
{
	switch (proto) {
	case 17:
		return ct_decode_udp(ctx, pkt, p, len);
	case 6:
		return ct_decode_tcp(ctx, pkt, p, len);
	case 4:
		pkt->tunnel++;
		return ct_decode_ipv4(ctx, pkt, p, len);
	case 41:
		pkt->tunnel++;
		return ct_decode_ipv6(ctx, pkt, p, len);
	case 47:
		return ct_decode_gre(ctx, pkt, p, len);
	default:
		return CT_DEC_SKIP;
	}
}
