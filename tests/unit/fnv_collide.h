/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hash-flooding inputs for the table tests: strings that all collide under
 * 32-bit FNV-1a, the unkeyed hash the Call-ID table, the caller history and
 * the tracking-number pool used before they moved to keyed SipHash.
 *
 * FNV-1a maps the state h and a byte c to (h ^ c) * 16777619 mod 2^32, a
 * permutation of h for each c, so two blocks that take one state to the same
 * state can be followed by anything and still collide.  A birthday search
 * over random blocks of the alphabet finds such a pair (B0, B1) for the
 * current state in about 2^(bits/2) tries; k pairs chained one after the
 * other give 2^k strings prefix + {B0|B1} x k with one hash.  With bits < 32
 * only the low bits collide (they depend only on the low bits of the state
 * and the byte), which is all a table of up to 2^bits slots looks at.
 */
#ifndef CT_FNV_COLLIDE_H
#define CT_FNV_COLLIDE_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FC_BLOCK_MAX 8
#define FC_SEEN_BITS 20

static uint32_t fc_feed(uint32_t h, const char *p, size_t n)
{
	while (n-- > 0)
		h = (h ^ (uint8_t)*p++) * 16777619u;
	return h;
}

/* xorshift64*: a fixed sequence, so the test inputs never change. */
static uint64_t fc_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

static void fc_block(char *b, size_t len, const char *alpha, uint64_t *rng)
{
	size_t i, na = strlen(alpha);

	for (i = 0; i < len; i++)
		b[i] = alpha[fc_rand(rng) % na];
}

/*
 * Finds two different blocks of len characters of alpha that take state h
 * to the same state (low bits compared, bits <= 32); 0 on success.
 */
static int fc_pair(uint32_t h, size_t len, const char *alpha, unsigned bits, uint64_t *rng,
    char *b0, char *b1)
{
	size_t nseen = (size_t)1 << FC_SEEN_BITS, tries;
	uint32_t mask = bits >= 32 ? 0xffffffffu : (1u << bits) - 1;
	uint32_t *state = calloc(nseen, sizeof(*state));
	char (*block)[FC_BLOCK_MAX] = calloc(nseen, FC_BLOCK_MAX);
	unsigned char *used = calloc(nseen, 1);
	int rc = -1;

	if (state == NULL || block == NULL || used == NULL || len > FC_BLOCK_MAX)
		goto out;
	for (tries = 0; tries < nseen / 2 && rc != 0; tries++) {
		char b[FC_BLOCK_MAX];
		uint32_t s;
		size_t i;

		fc_block(b, len, alpha, rng);
		s = fc_feed(h, b, len) & mask;
		for (i = (s * 2654435761u) >> (32 - FC_SEEN_BITS); used[i]; i = (i + 1) & (nseen - 1)) {
			if (state[i] == s && memcmp(block[i], b, len) != 0) {
				memcpy(b0, block[i], len);
				memcpy(b1, b, len);
				rc = 0;
				break;
			}
		}
		if (rc != 0) {
			used[i] = 1;
			state[i] = s;
			memcpy(block[i], b, len);
		}
	}
out:
	free(state);
	free(block);
	free(used);
	return rc;
}

/*
 * Fills out[0 .. 2^k) (each of size prefix + k * len + 1) with strings
 * prefix + k blocks that all have one FNV-1a hash (its low bits); 0 on
 * success.  The strings are distinct.
 */
static int fc_multicollide(const char *prefix, size_t len, const char *alpha, unsigned bits,
    unsigned k, char **out)
{
	char b[32][2][FC_BLOCK_MAX];
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	uint32_t h = fc_feed(2166136261u, prefix, strlen(prefix));
	size_t n = (size_t)1 << k, i, plen = strlen(prefix);
	unsigned j;

	if (k > 32)
		return -1;
	for (j = 0; j < k; j++) {
		if (fc_pair(h, len, alpha, bits, &rng, b[j][0], b[j][1]) != 0)
			return -1;
		h = fc_feed(h, b[j][0], len);
	}
	for (i = 0; i < n; i++) {
		memcpy(out[i], prefix, plen);
		for (j = 0; j < k; j++)
			memcpy(out[i] + plen + j * len, b[j][(i >> j) & 1], len);
		out[i][plen + k * len] = '\0';
	}
	return 0;
}

/* The FNV-1a hash of s (to check the collisions themselves). */
static uint32_t fc_hash(const char *s)
{
	return fc_feed(2166136261u, s, strlen(s));
}

#endif
