/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IPv4/IPv6 addresses as carried in struct ct_addr: formatting, parsing,
 * equality and hashing.  ct_addr_eq and the hashes sit on the hot path of
 * every flow and RTP lookup (one call per packet or more), so they touch only
 * the 4 or 16 relevant bytes; formatting and parsing run at report time and
 * on SDP text.  References: RFC 4291 §2.2 (IPv6 text), RFC 3986 §3.2.2
 * (IPv6 in brackets), MurmurHash3 (Austin Appleby, public domain) for the
 * block mixing and finaliser of the hash.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>

#include "calltap/hash.h"
#include "calltap/packet.h"

#define HASH_INIT 2166136261u

static size_t addr_len(uint8_t family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

/*
 * The decimal text of every octet value, 1 to 3 digits padded with NULs,
 * its length in the fourth byte: "0\0\0\1" .. "255\3".
 */
#define O1(n) { (char)('0' + (n)), 0, 0, 1 }
#define O2(n) { (char)('0' + (n) / 10), (char)('0' + (n) % 10), 0, 2 }
#define O3(n) { (char)('0' + (n) / 100), (char)('0' + (n) / 10 % 10), (char)('0' + (n) % 10), 3 }
#define O2x10(t) O2(t), O2(t + 1), O2(t + 2), O2(t + 3), O2(t + 4), O2(t + 5), O2(t + 6), \
    O2(t + 7), O2(t + 8), O2(t + 9)
#define O3x10(t) O3(t), O3(t + 1), O3(t + 2), O3(t + 3), O3(t + 4), O3(t + 5), O3(t + 6), \
    O3(t + 7), O3(t + 8), O3(t + 9)
#define O3x100(h) O3x10(h), O3x10(h + 10), O3x10(h + 20), O3x10(h + 30), O3x10(h + 40), \
    O3x10(h + 50), O3x10(h + 60), O3x10(h + 70), O3x10(h + 80), O3x10(h + 90)
static const char octet_text[256][4] = {
	O1(0), O1(1), O1(2), O1(3), O1(4), O1(5), O1(6), O1(7), O1(8), O1(9),
	O2x10(10), O2x10(20), O2x10(30), O2x10(40), O2x10(50), O2x10(60), O2x10(70),
	O2x10(80), O2x10(90),
	O3x100(100),
	O3x10(200), O3x10(210), O3x10(220), O3x10(230), O3x10(240),
	O3(250), O3(251), O3(252), O3(253), O3(254), O3(255),
};
#undef O1
#undef O2
#undef O3
#undef O2x10
#undef O3x10
#undef O3x100

/*
 * Formats a as text into buf (at most len bytes, NUL included) and returns
 * buf.  An unset address (family 0), a NULL a, or a buffer too small gives "".
 * buf may be NULL only when len is 0 (then NULL is returned).
 */
char *ct_addr_str(const struct ct_addr *a, char *buf, size_t len)
{
	int af;

	if (buf == NULL || len == 0)
		return buf;
	buf[0] = '\0';
	if (a == NULL || (a->family != 4 && a->family != 6))
		return buf;
	if (a->family == 4 && len >= 16) {
		/* Dotted quad by hand, as inet_ntop writes it: records format two each. */
		char *p = buf;
		int i;

		for (i = 0; i < 4; i++) {
			const char *t = octet_text[a->a[i]];

			memcpy(p, t, 4);   /* the digits and a NUL, room permitting */
			p += t[3];
			*p++ = i < 3 ? '.' : '\0';
		}
		return buf;
	}
	af = a->family == 4 ? AF_INET : AF_INET6;
	if (inet_ntop(af, a->a, buf, (socklen_t)len) == NULL)
		buf[0] = '\0';
	return buf;
}

/*
 * Parses dotted-quad IPv4 or IPv6 text (optionally "[v6]") into a.  Returns
 * 0 on success, -1 on NULL arguments or bad text; a is only written on
 * success.
 */
int ct_addr_parse(struct ct_addr *a, const char *text)
{
	char tmp[CT_ADDRSTRLEN + 2];
	struct ct_addr r;
	size_t n;

	if (a == NULL || text == NULL)
		return -1;
	n = strlen(text);
	if (n >= 2 && text[0] == '[' && text[n - 1] == ']') {
		text++;
		n -= 2;
		if (memchr(text, '.', n) != NULL && memchr(text, ':', n) == NULL)
			return -1; /* brackets are for IPv6 only */
	}
	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, text, n);
	tmp[n] = '\0';
	memset(&r, 0, sizeof(r));
	if (inet_pton(AF_INET, tmp, r.a) == 1)
		r.family = 4;
	else if (inet_pton(AF_INET6, tmp, r.a) == 1)
		r.family = 6;
	else
		return -1;
	*a = r;
	return 0;
}

/*
 * True when x and y have the same family and the same 4 (IPv4) or 16 (IPv6)
 * address bytes.  Two unset addresses are equal; NULL equals only NULL.
 * Fixed-size compares, so the compiler inlines them (one call per lookup).
 */
bool ct_addr_eq(const struct ct_addr *x, const struct ct_addr *y)
{
	if (x == NULL || y == NULL)
		return x == y;
	return ct_addr_eq_nn(x, y);
}

/* One MurmurHash3 32-bit block step: mixes the word k into h. */
static uint32_t hash_mix(uint32_t h, uint32_t k)
{
	k *= 0xcc9e2d51u;
	k = (k << 15) | (k >> 17);
	k *= 0x1b873593u;
	h ^= k;
	h = (h << 13) | (h >> 19);
	return h * 5 + 0xe6546b64u;
}

/*
 * Seeded hash of a (family and relevant bytes), a word at a time: the
 * family, then the 1 (IPv4) or 4 (IPv6) address words, then the finaliser,
 * so that the low bits are usable as a power-of-two bucket index.  Equal
 * addresses (ct_addr_eq) hash equally.  NULL hashes as an unset address.
 * Values are for in-memory tables only (they depend on byte order).
 */
uint32_t ct_addr_hash(const struct ct_addr *a, uint32_t seed)
{
	uint32_t h = HASH_INIT ^ seed, w;
	size_t i, n;

	n = a != NULL ? addr_len(a->family) : 0;
	h = hash_mix(h, a != NULL ? a->family : 0);
	for (i = 0; i < n; i += 4) {
		memcpy(&w, a->a + i, 4);
		h = hash_mix(h, w);
	}
	h ^= (uint32_t)n;
	return ct_hash_fmix32(h);
}

/* What ct_addr_pair_hash() hashes: fixed layout, no padding holes. */
struct pair_key {
	uint8_t fam[2];
	uint8_t pad[2];
	uint32_t extra;
	uint8_t a[32];      /* source then destination address bytes */
};

/*
 * Keyed hash (SipHash-1-3 under k, hash.h) of an address pair and a 32-bit
 * extra word (ports, fragment id and protocol), for tables whose keys come
 * from packets: without k an attacker cannot make keys collide.  It hashes
 * a small fixed-layout struct: the families and the extra word, then the 4
 * (IPv4) or 16 (IPv6) bytes of each address, so an IPv4 pair costs two
 * SipHash blocks.  Equal inputs (ct_addr_eq) hash equally; NULL hashes as
 * an unset address.
 */
uint64_t ct_addr_pair_hash(const struct ct_hash_key *k, const struct ct_addr *src,
    const struct ct_addr *dst, uint32_t extra)
{
	struct pair_key key;
	size_t ns = src != NULL ? addr_len(src->family) : 0;
	size_t nd = dst != NULL ? addr_len(dst->family) : 0;

	key.fam[0] = src != NULL ? src->family : 0;
	key.fam[1] = dst != NULL ? dst->family : 0;
	key.pad[0] = key.pad[1] = 0;
	key.extra = extra;
	if (ns > 0)
		memcpy(key.a, src->a, ns);
	if (nd > 0)
		memcpy(key.a + ns, dst->a, nd);
	return ct_siphash(k, &key, offsetof(struct pair_key, a) + ns + nd);
}
