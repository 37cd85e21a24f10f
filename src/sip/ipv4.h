/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A dotted-quad reader for the SIP pre-scan (prescan.c) and SDP (sdp.c):
 * the common case of an address in a message without the copy and the two
 * inet_pton calls of ct_addr_parse.  Internal to src/sip.
 */
#ifndef CT_SIP_IPV4_H
#define CT_SIP_IPV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "calltap/packet.h"

/*
 * True when p[0..n) is four decimal numbers 0-255 joined by dots, each
 * without a leading zero (text inet_pton takes, with this value), stored
 * in *a as ct_addr_parse stores it.  False for anything else, *a untouched:
 * the caller falls back to ct_addr_parse, which judges.
 */
static inline bool ct_sip_fast_ipv4(struct ct_addr *a, const char *text, size_t n)
{
	const unsigned char *p = (const unsigned char *)text, *e = p + n;
	uint8_t b[4];
	unsigned k, v, d;

	for (k = 0; k < 4; k++) {
		if (k > 0 && (p == e || *p++ != '.'))
			return false;
		if (p == e || (v = (unsigned)*p - '0') > 9)
			return false;
		p++;
		if (p < e && (d = (unsigned)*p - '0') <= 9) {
			if (v == 0)
				return false;   /* a leading zero */
			v = v * 10 + d;
			p++;
			if (p < e && (d = (unsigned)*p - '0') <= 9) {
				v = v * 10 + d;
				p++;
				if (v > 255)
					return false;
			}
		}
		b[k] = (uint8_t)v;
	}
	if (p != e)
		return false;
	memset(a, 0, sizeof(*a));
	memcpy(a->a, b, 4);
	a->family = 4;
	return true;
}

#endif
