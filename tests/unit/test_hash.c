/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Keyed hash (hash.h): SipHash-2-4 against the paper's test vectors (key
 * 00..0f, messages 00, 01, ... of length 0..15), SipHash-1-3 incremental
 * against one-shot for every split, key sensitivity, random keys differ.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "calltap/hash.h"
#include "test.h"

int main(void)
{
	/* From the SipHash paper's appendix / reference vectors. */
	static const struct { size_t len; uint64_t h; } v24[] = {
		{ 0, 0x726fdb47dd0e0e31ull },
		{ 1, 0x74f839c593dc67fdull },
		{ 15, 0xa129ca6149be45e5ull },
	};
	struct ct_hash_key k = { 0, 0 }, k2, r1, r2;
	uint8_t msg[64];
	size_t i, a, b;

	for (i = 0; i < 16; i++)
		((uint8_t *)&k)[i] = 0;
	k.k0 = 0x0706050403020100ull;
	k.k1 = 0x0f0e0d0c0b0a0908ull;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	for (i = 0; i < sizeof(v24) / sizeof(v24[0]); i++)
		CHECK(ct_siphash24(&k, msg, v24[i].len) == v24[i].h);

	/* Incremental == one-shot for every length and every 3-way split. */
	for (i = 0; i <= sizeof(msg); i++)
		for (a = 0; a <= i; a++)
			for (b = a; b <= i; b += 3) {
				struct ct_siphash_state s;

				ct_siphash_init(&s, &k);
				ct_siphash_feed(&s, msg, a);
				ct_siphash_feed(&s, msg + a, b - a);
				ct_siphash_feed(&s, msg + b, i - b);
				if (ct_siphash_final(&s) != ct_siphash(&k, msg, i)) {
					CHECK(!"incremental differs");
					i = sizeof(msg) + 1;
					break;
				}
			}
	CHECK(ct_siphash(&k, NULL, 0) == ct_siphash(&k, msg, 0));
	/* The fixed-length form (RTP stream lookup) is the same function. */
	for (i = 0; i + 16 <= sizeof(msg); i++)
		CHECK(ct_siphash16(&k, msg + i) == ct_siphash(&k, msg + i, 16));
	for (i = 0; i < 128; i++) {
		k2 = k;
		if (i < 64)
			k2.k0 ^= 1ull << i;
		else
			k2.k1 ^= 1ull << (i - 64);
		CHECK(ct_siphash16(&k2, msg) == ct_siphash(&k2, msg, 16));
	}
	CHECK(ct_siphash(&k, msg, 8) != ct_siphash24(&k, msg, 8));

	/* Every key bit matters. */
	for (i = 0; i < 128; i++) {
		k2 = k;
		if (i < 64)
			k2.k0 ^= 1ull << i;
		else
			k2.k1 ^= 1ull << (i - 64);
		CHECK(ct_siphash(&k2, msg, 20) != ct_siphash(&k, msg, 20));
	}
	ct_hash_key_random(&r1);
	ct_hash_key_random(&r2);
	CHECK(r1.k0 != r2.k0 || r1.k1 != r2.k1);
	return TEST_REPORT();
}
