/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * BSD loopback and raw-IP link layers.  DLT_NULL (0) and DLT_LOOP (108) carry
 * a 4-byte address family: DLT_NULL in the byte order of the capturing host,
 * DLT_LOOP in network order.  Since a file may come from either kind of host,
 * both byte orders are accepted.  AF_INET is 2 everywhere; AF_INET6 is 10
 * (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD) or 30 (macOS).  Raw IP
 * (DLT_RAW 12 / LINKTYPE_RAW 101) has no header at all: the version nibble
 * picks IPv4 or IPv6.  Reference: https://www.tcpdump.org/linktypes.html.
 */
#include "config.h"

#include <stdbool.h>

#include "calltap/cursor.h"
#include "calltap/decode.h"
#include "decode_int.h"

#define NULL_HDR_LEN 4

static bool af_is_inet6(uint32_t af)
{
	return af == 10 || af == 24 || af == 28 || af == 30;
}

/*
 * Decodes a DLT_NULL / DLT_LOOP frame.  CT_EV_LINK_TRUNCATED when under 4
 * bytes; an address family other than IPv4/IPv6 is CT_DEC_SKIP.
 */
enum ct_verdict ct_decode_null(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint32_t af_le, af_be;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	af_le = ct_get_le32(&c);
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_LINK_TRUNCATED);
	af_be = (af_le >> 24) | ((af_le >> 8) & 0xff00) | ((af_le & 0xff00) << 8) |
	    ((af_le & 0xff) << 24);
	p += NULL_HDR_LEN;
	len -= NULL_HDR_LEN;
	if (af_le == 2 || af_be == 2)
		return ct_decode_ipv4(ctx, pkt, p, len);
	if (af_is_inet6(af_le) || af_is_inet6(af_be))
		return ct_decode_ipv6(ctx, pkt, p, len);
	return CT_DEC_SKIP;
}

/*
 * Decodes a raw IP frame: version 6 goes to ct_decode_ipv6, anything else to
 * ct_decode_ipv4 (which flags a bad version).  An empty frame is
 * CT_EV_LINK_TRUNCATED.
 */
enum ct_verdict ct_decode_raw(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    const uint8_t *p, size_t len)
{
	struct ct_cursor c;
	uint8_t version;

	if (!ct_decode_enter(pkt))
		return CT_DEC_INVALID;
	ct_cursor_init(&c, p, len);
	version = ct_get_u8(&c) >> 4;
	if (c.short_read)
		return ct_decode_invalid(pkt, CT_EV_LINK_TRUNCATED);
	if (version == 6)
		return ct_decode_ipv6(ctx, pkt, p, len);
	return ct_decode_ipv4(ctx, pkt, p, len);
}
