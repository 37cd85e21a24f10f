/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 (FIPS 180-4 §6.2) and HMAC-SHA256 (RFC 2104, RFC 4231), for the
 * webhook's body signature.  Not for table hashing (hash.h is).
 */
#ifndef CALLTAP_SHA256_H
#define CALLTAP_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define CT_SHA256_LEN 32     /* digest bytes */
#define CT_SHA256_BLOCK 64   /* block bytes */

struct ct_sha256 {
	uint32_t h[8];
	uint64_t total;          /* bytes fed */
	uint8_t buf[CT_SHA256_BLOCK];
	size_t nbuf;             /* 0..63 */
};

void ct_sha256_init(struct ct_sha256 *s);
void ct_sha256_feed(struct ct_sha256 *s, const void *p, size_t len);
void ct_sha256_final(struct ct_sha256 *s, uint8_t out[CT_SHA256_LEN]);
/* One-shot digest of len bytes at p (p may be NULL when len is 0). */
void ct_sha256(const void *p, size_t len, uint8_t out[CT_SHA256_LEN]);

/* Incremental HMAC-SHA256: init with the key, feed the message, final. */
struct ct_hmac_sha256 {
	struct ct_sha256 inner;
	uint8_t okey[CT_SHA256_BLOCK];   /* key ^ opad */
};

void ct_hmac_sha256_init(struct ct_hmac_sha256 *h, const void *key, size_t key_len);
void ct_hmac_sha256_feed(struct ct_hmac_sha256 *h, const void *p, size_t len);
void ct_hmac_sha256_final(struct ct_hmac_sha256 *h, uint8_t out[CT_SHA256_LEN]);
void ct_hmac_sha256(const void *key, size_t key_len, const void *p, size_t len,
    uint8_t out[CT_SHA256_LEN]);

/* Lower-case hex of n bytes into out (2 * n + 1 bytes); returns out. */
char *ct_hex(const uint8_t *p, size_t n, char *out);

#endif
