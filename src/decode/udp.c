/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * UDP decoder (RFC 768).  Validates the length field against the IP payload
 * (trailing bytes beyond it are trimmed), fills ports and payload.  The
 * checksum is not verified (offloaded in most host captures), but for a
 * datagram rebuilt from IP fragments (ct_udp_check_rebuilt, RFC 8200
 * §8.1 for IPv6's pseudo-header).  Datagrams to
 * or from a tunnel port of ctx (VXLAN, Geneve, GTP-U) are handed to that
 * tunnel's decoder, which leaves them plain UDP when they do not start like
 * its header: SIP and RTP on the inner network are what we want.
 */
#include "config.h"

#include <stdbool.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define UDP_HDR_LEN 8
#define IPPROTO_UDP_NUM 17

/* Adds the bytes of p (len) to a one's-complement sum, big-endian 16-bit words. */
static uint64_t sum16(uint64_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/*
 * A UDP datagram rebuilt from IP fragments, checked as a receiver checks
 * it before handing it on (Linux drops it otherwise): its length field at
 * least 8 and within the datagram (bytes after it are trimmed, as in
 * ct_decode_udp), and a checksum that is set (not 0) right over the
 * pseudo-header of t's addresses (RFC 768; RFC 8200 §8.1), the UDP
 * header and its data.  Fragments are rare, so the sum costs nothing that
 * shows; and offloading does not apply to them (the sender's stack sums a
 * datagram before it fragments it).  What this refuses: a forged last
 * fragment that completed a legit SIP datagram early, or one that put its
 * bytes in it first (ipfrag.c keeps the first copy, as Linux does).
 * Returns CT_EV_COUNT when the datagram passes, else the event.
 */
enum ct_event ct_udp_check_rebuilt(const struct ct_tuple *t, const uint8_t *p, size_t len)
{
	uint64_t sum = 0;
	uint16_t ulen;
	size_t alen;

	if (len < UDP_HDR_LEN)
		return CT_EV_UDP_TRUNCATED;
	ulen = (uint16_t)(p[4] << 8 | p[5]);
	if (ulen < UDP_HDR_LEN || ulen > len)
		return CT_EV_UDP_BAD_LEN;
	if (p[6] == 0 && p[7] == 0)
		return CT_EV_COUNT;   /* no checksum sent (IPv4; IPv6 tunnels, RFC 6935) */
	alen = t->src.family == 6 ? 16 : 4;
	sum = sum16(sum, t->src.a, alen);
	sum = sum16(sum, t->dst.a, alen);
	sum += IPPROTO_UDP_NUM + (uint32_t)ulen;
	sum = sum16(sum, p, ulen);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum == 0xffff ? CT_EV_COUNT : CT_EV_UDP_BAD_CHECKSUM;
}

/* True when port (non-zero) is either port of pkt. */
static bool on_port(const struct ct_packet *pkt, uint16_t port)
{
	return port != 0 && (pkt->t.dport == port || pkt->t.sport == port);
}

/*
 * Decodes a UDP datagram at p (len = IP payload bytes).  Returns CT_DEC_OK
 * with t.sport/dport, t.proto = 17 and payload set; CT_DEC_INVALID with
 * CT_EV_UDP_TRUNCATED (under 8 bytes) or CT_EV_UDP_BAD_LEN (length field
 * below 8).  A length beyond len keeps the bytes that arrived: in a
 * datagram the snap length cut (pkt->snap_cut, set by the IP layer) that is
 * expected, otherwise it is a sender bug (CT_EV_UDP_BAD_LEN).  Tunnelled traffic returns the inner verdict.
 */
enum ct_verdict ct_decode_udp(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint16_t ulen;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	pkt->t.sport = ct_get_be16(&c);
	pkt->t.dport = ct_get_be16(&c);
	ulen = ct_get_be16(&c);
	ct_skip(&c, 2); /* checksum */
	pkt->t.proto = IPPROTO_UDP_NUM;
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_UDP_TRUNCATED);
	if (ulen < UDP_HDR_LEN)
		return ct_decode_invalid(pkt, CT_EV_UDP_BAD_LEN);
	if (ulen > len) {
		/* Cut by the snap length: what was captured (pkt->snap_cut); a
		 * whole frame whose length field is too large: a sender bug,
		 * what arrived is kept. */
		if (!pkt->snap_cut)
			ct_pkt_event(pkt, CT_EV_UDP_BAD_LEN);
		ulen = (uint16_t)len;
	}
	pkt->payload = p + UDP_HDR_LEN;
	pkt->payload_len = (size_t)(ulen - UDP_HDR_LEN);
	if (ctx == NULL)
		return CT_DEC_OK;
	if (on_port(pkt, ctx->vxlan_port))
		return ct_decode_vxlan(ctx, pkt, pkt->payload, pkt->payload_len);
	if (on_port(pkt, ctx->gtpu_port))
		return ct_decode_gtpu(ctx, pkt, pkt->payload, pkt->payload_len);
	if (on_port(pkt, ctx->geneve_port))
		return ct_decode_geneve(ctx, pkt, pkt->payload, pkt->payload_len);
	return CT_DEC_OK;
}
