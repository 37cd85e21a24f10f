/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 and HMAC-SHA256, written from the standards: the hash from FIPS
 * 180-4 (§4.1.2 functions, §4.2.2 constants, §5.1.1 padding, §5.3.3
 * initial value, §6.2.2 computation), the MAC from RFC 2104 §2 (a key
 * longer than the block is hashed first, then H(K ^ opad, H(K ^ ipad,
 * text))).  Workload: one signature per webhook delivery (a few KB), so
 * clarity beats speed.  Tested with the NIST examples and RFC 4231 §4.
 */
#include "config.h"

#include <string.h>

#include "calltap/sha256.h"

/* FIPS 180-4 §4.2.2: first 32 bits of the fractional parts of the cube
 * roots of the first 64 primes. */
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

/* §6.2.2: processes one 512-bit block. */
static void compress(uint32_t h[8], const uint8_t *blk)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh, t1, t2;
	int t;

	for (t = 0; t < 16; t++)
		w[t] = (uint32_t)blk[4 * t] << 24 | (uint32_t)blk[4 * t + 1] << 16 |
		    (uint32_t)blk[4 * t + 2] << 8 | blk[4 * t + 3];
	for (t = 16; t < 64; t++) {
		uint32_t s0 = rotr(w[t - 15], 7) ^ rotr(w[t - 15], 18) ^ (w[t - 15] >> 3);
		uint32_t s1 = rotr(w[t - 2], 17) ^ rotr(w[t - 2], 19) ^ (w[t - 2] >> 10);

		w[t] = s1 + w[t - 7] + s0 + w[t - 16];
	}
	a = h[0]; b = h[1]; c = h[2]; d = h[3];
	e = h[4]; f = h[5]; g = h[6]; hh = h[7];
	for (t = 0; t < 64; t++) {
		t1 = hh + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + w[t];
		t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g; g = f; f = e; e = d + t1;
		d = c; c = b; b = a; a = t1 + t2;
	}
	h[0] += a; h[1] += b; h[2] += c; h[3] += d;
	h[4] += e; h[5] += f; h[6] += g; h[7] += hh;
}

/* §5.3.3: the initial hash value. */
void ct_sha256_init(struct ct_sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(s->h, iv, sizeof(iv));
	s->total = 0;
	s->nbuf = 0;
}

void ct_sha256_feed(struct ct_sha256 *s, const void *p, size_t len)
{
	const uint8_t *b = p;
	size_t n;

	s->total += len;
	while (len > 0) {
		if (s->nbuf == 0 && len >= CT_SHA256_BLOCK) {
			compress(s->h, b);
			b += CT_SHA256_BLOCK;
			len -= CT_SHA256_BLOCK;
			continue;
		}
		n = CT_SHA256_BLOCK - s->nbuf;
		if (n > len)
			n = len;
		memcpy(s->buf + s->nbuf, b, n);
		s->nbuf += n;
		b += n;
		len -= n;
		if (s->nbuf == CT_SHA256_BLOCK) {
			compress(s->h, s->buf);
			s->nbuf = 0;
		}
	}
}

/* §5.1.1: a 1 bit, zeros, the length in bits as 64 bits big-endian. */
void ct_sha256_final(struct ct_sha256 *s, uint8_t out[CT_SHA256_LEN])
{
	uint64_t bits = s->total * 8;
	int i;

	s->buf[s->nbuf++] = 0x80;
	if (s->nbuf > CT_SHA256_BLOCK - 8) {
		memset(s->buf + s->nbuf, 0, CT_SHA256_BLOCK - s->nbuf);
		compress(s->h, s->buf);
		s->nbuf = 0;
	}
	memset(s->buf + s->nbuf, 0, CT_SHA256_BLOCK - 8 - s->nbuf);
	for (i = 0; i < 8; i++)
		s->buf[CT_SHA256_BLOCK - 1 - i] = (uint8_t)(bits >> (8 * i));
	compress(s->h, s->buf);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
	memset(s, 0, sizeof(*s));
}

void ct_sha256(const void *p, size_t len, uint8_t out[CT_SHA256_LEN])
{
	struct ct_sha256 s;

	ct_sha256_init(&s);
	ct_sha256_feed(&s, p, len);
	ct_sha256_final(&s, out);
}

/* RFC 2104 §2: K padded (or hashed) to the block, XORed with 0x36 / 0x5c. */
void ct_hmac_sha256_init(struct ct_hmac_sha256 *h, const void *key, size_t key_len)
{
	uint8_t k[CT_SHA256_BLOCK], ikey[CT_SHA256_BLOCK];
	size_t i;

	memset(k, 0, sizeof(k));
	if (key_len > CT_SHA256_BLOCK)
		ct_sha256(key, key_len, k);
	else if (key_len > 0)
		memcpy(k, key, key_len);
	for (i = 0; i < CT_SHA256_BLOCK; i++) {
		ikey[i] = k[i] ^ 0x36;
		h->okey[i] = k[i] ^ 0x5c;
	}
	ct_sha256_init(&h->inner);
	ct_sha256_feed(&h->inner, ikey, sizeof(ikey));
	memset(k, 0, sizeof(k));
	memset(ikey, 0, sizeof(ikey));
}

void ct_hmac_sha256_feed(struct ct_hmac_sha256 *h, const void *p, size_t len)
{
	ct_sha256_feed(&h->inner, p, len);
}

void ct_hmac_sha256_final(struct ct_hmac_sha256 *h, uint8_t out[CT_SHA256_LEN])
{
	uint8_t ih[CT_SHA256_LEN];
	struct ct_sha256 outer;

	ct_sha256_final(&h->inner, ih);
	ct_sha256_init(&outer);
	ct_sha256_feed(&outer, h->okey, sizeof(h->okey));
	ct_sha256_feed(&outer, ih, sizeof(ih));
	ct_sha256_final(&outer, out);
	memset(h, 0, sizeof(*h));
}

void ct_hmac_sha256(const void *key, size_t key_len, const void *p, size_t len,
    uint8_t out[CT_SHA256_LEN])
{
	struct ct_hmac_sha256 h;

	ct_hmac_sha256_init(&h, key, key_len);
	ct_hmac_sha256_feed(&h, p, len);
	ct_hmac_sha256_final(&h, out);
}

char *ct_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
	return out;
}
