/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Hash helpers shared by the tables (flows, fragments, streams, calls,
 * caller history).
 *
 * Every table whose keys come from packets (Call-IDs, addresses, ports,
 * numbers) hashes them with SipHash (Aumasson and Bernstein, "SipHash: a fast
 * short-input PRF", 2012) under a 128-bit key drawn at random when the table
 * is made.  An attacker who cannot read the key cannot compute colliding
 * inputs, so a table stays O(1) per lookup under a hash-flooding attack.
 * ct_siphash() is SipHash-1-3 (one compression round, three finalisation
 * rounds: the variant hash tables use for speed); ct_siphash24() is the
 * paper's SipHash-2-4, kept for its published test vector.
 */
#ifndef CALLTAP_HASH_H
#define CALLTAP_HASH_H

#include <stddef.h>
#include <stdint.h>

/* A 128-bit hash key; per table, secret, random unless a test fixes it. */
struct ct_hash_key {
	uint64_t k0, k1;
};

/*
 * Fills k from the kernel's random source (getrandom(2), then /dev/urandom).
 * Never fails: without either source it mixes the clock, the pid and an
 * address, which still defeats precomputed collisions.
 */
void ct_hash_key_random(struct ct_hash_key *k);

/* SipHash-1-3 of len bytes at p under k (p may be NULL when len is 0). */
uint64_t ct_siphash(const struct ct_hash_key *k, const void *p, size_t len);

/*
 * ct_siphash(k, p, 16), unrolled for the one fixed length the per-packet
 * RTP stream lookup hashes (two IPv4 addresses, two ports and the SSRC):
 * no loop, no tail switch.
 */
uint64_t ct_siphash16(const struct ct_hash_key *k, const void *p);

/* SipHash-2-4 of len bytes at p under k. */
uint64_t ct_siphash24(const struct ct_hash_key *k, const void *p, size_t len);

/*
 * Incremental SipHash-1-3 for keys made of several fields: init, feed any
 * number of pieces (the result is that of ct_siphash over their
 * concatenation), then final.
 */
struct ct_siphash_state {
	uint64_t v0, v1, v2, v3;
	uint64_t tail;     /* bytes not yet compressed, little-endian */
	size_t ntail;      /* 0..7 */
	uint64_t total;    /* bytes fed */
};
void ct_siphash_init(struct ct_siphash_state *s, const struct ct_hash_key *k);
void ct_siphash_feed(struct ct_siphash_state *s, const void *p, size_t len);
uint64_t ct_siphash_final(struct ct_siphash_state *s);

/* Final avalanche of a 32-bit hash (the MurmurHash3 fmix32 constants). */
static inline uint32_t ct_hash_fmix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#endif
