/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Keyed hashing for tables whose keys come from the wire (hash.h).
 * SipHash: J.-P. Aumasson, D. J. Bernstein, "SipHash: a fast short-input
 * PRF", INDOCRYPT 2012.  The state is four 64-bit words initialised from the
 * key and four constants; each 8-byte little-endian message word is xored
 * into v3, mixed by c SipRounds and xored into v0; the last word carries the
 * length (mod 256) in its top byte; finalisation xors 0xff into v2 and runs d
 * SipRounds.  ct_siphash uses c=1, d=3; ct_siphash24 c=2, d=4.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_RANDOM_H
#include <sys/random.h>
#endif

#include "calltap/hash.h"

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static inline void sipround(uint64_t *v0, uint64_t *v1, uint64_t *v2, uint64_t *v3)
{
	*v0 += *v1; *v1 = ROTL(*v1, 13); *v1 ^= *v0; *v0 = ROTL(*v0, 32);
	*v2 += *v3; *v3 = ROTL(*v3, 16); *v3 ^= *v2;
	*v0 += *v3; *v3 = ROTL(*v3, 21); *v3 ^= *v0;
	*v2 += *v1; *v1 = ROTL(*v1, 17); *v1 ^= *v2; *v2 = ROTL(*v2, 32);
}

static inline uint64_t load_le64(const uint8_t *b)
{
	return (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	    (uint64_t)b[3] << 24 | (uint64_t)b[4] << 32 | (uint64_t)b[5] << 40 |
	    (uint64_t)b[6] << 48 | (uint64_t)b[7] << 56;
}

static uint64_t siphash_cd(const struct ct_hash_key *k, const void *p, size_t len,
    int c, int d)
{
	const uint8_t *in = p;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, left = len & 7;
	int r;

	for (i = 0; i + 8 <= len; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		for (r = 0; r < c; r++)
			sipround(&v0, &v1, &v2, &v3);
		v0 ^= m;
	}
	for (r = 0; r < (int)left; r++)
		b |= (uint64_t)in[i + (size_t)r] << (8 * r);
	v3 ^= b;
	for (r = 0; r < c; r++)
		sipround(&v0, &v1, &v2, &v3);
	v0 ^= b;
	v2 ^= 0xff;
	for (r = 0; r < d; r++)
		sipround(&v0, &v1, &v2, &v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * SipHash-1-3's end: one compression round on the last block b (the
 * message's tail bytes, its length in the top byte), then the three
 * finalization rounds.  Shared by ct_siphash and ct_siphash16.
 */
static inline uint64_t sip13_last(uint64_t v0, uint64_t v1, uint64_t v2, uint64_t v3,
    uint64_t b)
{
	v3 ^= b;
	sipround(&v0, &v1, &v2, &v3);
	v0 ^= b;
	v2 ^= 0xff;
	sipround(&v0, &v1, &v2, &v3);
	sipround(&v0, &v1, &v2, &v3);
	sipround(&v0, &v1, &v2, &v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

/*
 * SipHash-1-3 written out: the per-packet lookups (media endpoints, flows)
 * hash 12-40 bytes, where the general loop's round counters and the byte
 * loop for the tail cost as much as the rounds themselves.
 */
uint64_t ct_siphash(const struct ct_hash_key *k, const void *p, size_t len)
{
	const uint8_t *in = p;
	size_t i, whole = len & ~(size_t)7;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ull;
	uint64_t m, b = (uint64_t)len << 56;

	for (i = 0; i < whole; i += 8) {
		m = load_le64(in + i);
		v3 ^= m;
		sipround(&v0, &v1, &v2, &v3);
		v0 ^= m;
	}
	if (whole != 0)       /* p may be NULL when len is 0: no arithmetic on it */
		in += whole;
	switch (len & 7) {
	case 7: b |= (uint64_t)in[6] << 48; /* fall through */
	case 6: b |= (uint64_t)in[5] << 40; /* fall through */
	case 5: b |= (uint64_t)in[4] << 32; /* fall through */
	case 4: b |= (uint64_t)in[3] << 24; /* fall through */
	case 3: b |= (uint64_t)in[2] << 16; /* fall through */
	case 2: b |= (uint64_t)in[1] << 8;  /* fall through */
	case 1: b |= (uint64_t)in[0]; break;
	default: break;
	}
	return sip13_last(v0, v1, v2, v3, b);
}

uint64_t ct_siphash16(const struct ct_hash_key *k, const void *p)
{
	const uint8_t *in = p;
	uint64_t v0 = k->k0 ^ 0x736f6d6570736575ull;
	uint64_t v1 = k->k1 ^ 0x646f72616e646f6dull;
	uint64_t v2 = k->k0 ^ 0x6c7967656e657261ull;
	uint64_t v3 = k->k1 ^ 0x7465646279746573ull;
	uint64_t m = load_le64(in);

	v3 ^= m;
	sipround(&v0, &v1, &v2, &v3);
	v0 ^= m;
	m = load_le64(in + 8);
	v3 ^= m;
	sipround(&v0, &v1, &v2, &v3);
	v0 ^= m;
	return sip13_last(v0, v1, v2, v3, (uint64_t)16 << 56);
}

uint64_t ct_siphash24(const struct ct_hash_key *k, const void *p, size_t len)
{
	return siphash_cd(k, p, len, 2, 4);
}

void ct_siphash_init(struct ct_siphash_state *s, const struct ct_hash_key *k)
{
	s->v0 = k->k0 ^ 0x736f6d6570736575ull;
	s->v1 = k->k1 ^ 0x646f72616e646f6dull;
	s->v2 = k->k0 ^ 0x6c7967656e657261ull;
	s->v3 = k->k1 ^ 0x7465646279746573ull;
	s->tail = 0;
	s->ntail = 0;
	s->total = 0;
}

static inline void compress1(struct ct_siphash_state *s, uint64_t m)
{
	s->v3 ^= m;
	sipround(&s->v0, &s->v1, &s->v2, &s->v3);
	s->v0 ^= m;
}

void ct_siphash_feed(struct ct_siphash_state *s, const void *p, size_t len)
{
	const uint8_t *in = p;

	s->total += len;
	while (len > 0 && s->ntail != 0) {
		s->tail |= (uint64_t)*in++ << (8 * s->ntail);
		len--;
		if (++s->ntail == 8) {
			compress1(s, s->tail);
			s->tail = 0;
			s->ntail = 0;
		}
	}
	while (len >= 8) {
		compress1(s, load_le64(in));
		in += 8;
		len -= 8;
	}
	while (len > 0) {
		s->tail |= (uint64_t)*in++ << (8 * s->ntail);
		s->ntail++;
		len--;
	}
}

uint64_t ct_siphash_final(struct ct_siphash_state *s)
{
	uint64_t b = s->tail | s->total << 56;
	int r;

	compress1(s, b);
	s->v2 ^= 0xff;
	for (r = 0; r < 3; r++)
		sipround(&s->v0, &s->v1, &s->v2, &s->v3);
	return s->v0 ^ s->v1 ^ s->v2 ^ s->v3;
}

/* Reads exactly n random bytes; 0 on success. */
static int random_bytes(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;
	int fd;

#ifdef HAVE_GETRANDOM
	while (got < n) {
		ssize_t r = getrandom(p + got, n - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		got += (size_t)r;
	}
	if (got == n)
		return 0;
#endif
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	got = 0;
	while (got < n) {
		ssize_t r = read(fd, p + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	return got == n ? 0 : -1;
}

void ct_hash_key_random(struct ct_hash_key *k)
{
	struct timespec ts;
	struct ct_hash_key mix;
	uint64_t w[2];

	if (random_bytes(w, sizeof(w)) == 0) {
		k->k0 = w[0];
		k->k1 = w[1];
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	mix.k0 = (uint64_t)ts.tv_nsec ^ (uint64_t)getpid() << 32;
	mix.k1 = (uint64_t)(uintptr_t)k ^ (uint64_t)ts.tv_sec;
	k->k0 = ct_siphash24(&mix, &ts, sizeof(ts));
	k->k1 = ct_siphash24(&mix, k, sizeof(*k)) ^ (uint64_t)(uintptr_t)&ts;
}
