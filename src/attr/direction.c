/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call direction from the home side of the trunk (--home CIDR, repeatable)
 * and the tracking-number pool.  A home prefix is an IPv4 or IPv6 network
 * (address/length; a bare address is a /32 or /128); the first INVITE's
 * source and destination addresses are tested against every prefix.
 * Workload: a handful of prefixes, one classification per call record, so a
 * linear scan is the right structure.  The precedence of the rules is
 * documented in docs/schema.md (Direction).
 * References: RFC 4632 §3.1 (CIDR prefix notation), RFC 4291 §2.3 (IPv6
 * prefixes), RFC 5952 (IPv6 text).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/attr.h"
#include "calltap/err.h"

/* Clears every bit of a after the first bits. */
static void mask_addr(struct ct_addr *a, unsigned bits)
{
	unsigned i;

	for (i = 0; i < 16; i++) {
		if (bits >= 8 * (i + 1))
			continue;
		if (bits > 8 * i)
			a->a[i] &= (uint8_t)(0xff00u >> (bits - 8 * i));
		else
			a->a[i] = 0;
	}
}

/*
 * Parses "address[/length]" (IPv4 dotted or IPv6 text) into c; host bits
 * are cleared ("10.1.2.3/8" is 10.0.0.0/8).  Returns CT_OK, or CT_ERR for a
 * bad address, a length that is not 0-32 (IPv4) or 0-128 (IPv6) in
 * decimal, or NULL text; c is unchanged on error.
 */
int ct_cidr_parse(struct ct_cidr *c, const char *text)
{
	char addr[CT_ADDRSTRLEN + 2];
	struct ct_cidr r;
	const char *slash;
	size_t n, max;
	unsigned long bits = 0;
	char *end;

	if (c == NULL || text == NULL)
		return CT_ERR;
	slash = strchr(text, '/');
	n = slash != NULL ? (size_t)(slash - text) : strlen(text);
	if (n == 0 || n >= sizeof(addr))
		return CT_ERR;
	memcpy(addr, text, n);
	addr[n] = '\0';
	memset(&r, 0, sizeof(r));
	if (ct_addr_parse(&r.net, addr) != 0)
		return CT_ERR;
	max = r.net.family == 4 ? 32 : 128;
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' || strlen(slash + 1) > 3)
			return CT_ERR;
		bits = strtoul(slash + 1, &end, 10);
		if (*end != '\0' || bits > max)
			return CT_ERR;
	}
	r.bits = (uint8_t)bits;
	mask_addr(&r.net, r.bits);
	*c = r;
	return CT_OK;
}

/*
 * True when a lies in prefix c (same family and the first c->bits bits
 * equal).  An IPv4 address never matches an IPv6 prefix or the reverse.
 * False for NULL arguments or an unset address.
 */
bool ct_cidr_match(const struct ct_cidr *c, const struct ct_addr *a)
{
	struct ct_addr m;

	if (c == NULL || a == NULL || a->family == 0 || a->family != c->net.family)
		return false;
	m = *a;
	mask_addr(&m, c->bits);
	return memcmp(m.a, c->net.a, sizeof(m.a)) == 0;
}

/* True when a lies in any of the n prefixes of v. */
bool ct_cidr_any(const struct ct_cidr *v, size_t n, const struct ct_addr *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ct_cidr_match(&v[i], a))
			return true;
	return false;
}

/*
 * Direction of a call whose first INVITE went from src to dst:
 *   1. with home prefixes: src home and dst home -> internal; src home ->
 *      outbound; dst home -> inbound;
 *   2. otherwise (no prefixes, or neither side home): the dialled number is
 *      a tracking number (callee_tracked) -> inbound;
 *   3. otherwise unknown.
 * An unset address is never home.  home may be NULL when n_home is 0.
 */
enum ct_direction ct_direction_classify(const struct ct_cidr *home, size_t n_home,
    const struct ct_addr *src, const struct ct_addr *dst, bool callee_tracked)
{
	bool s = ct_cidr_any(home, n_home, src);
	bool d = ct_cidr_any(home, n_home, dst);

	if (s && d)
		return CT_DIR_INTERNAL;
	if (s)
		return CT_DIR_OUTBOUND;
	if (d)
		return CT_DIR_INBOUND;
	return callee_tracked ? CT_DIR_INBOUND : CT_DIR_UNKNOWN;
}
