/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SHA-256 against the NIST examples (FIPS 180-4 example computations:
 * "abc", the two-block message, one million 'a', and the empty message)
 * fed whole and in uneven pieces, and HMAC-SHA256 against RFC 4231 §4
 * test cases 1-7 (case 5 compares the first 128 bits, as the RFC does).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/sha256.h"
#include "test.h"

static const char *sha_hex(const void *p, size_t len, char *hex)
{
	uint8_t d[CT_SHA256_LEN];

	ct_sha256(p, len, d);
	return ct_hex(d, sizeof(d), hex);
}

/* The same digest fed in pieces of step bytes. */
static const char *sha_hex_pieces(const char *p, size_t len, size_t step, char *hex)
{
	struct ct_sha256 s;
	uint8_t d[CT_SHA256_LEN];
	size_t i;

	ct_sha256_init(&s);
	for (i = 0; i < len; i += step)
		ct_sha256_feed(&s, p + i, len - i < step ? len - i : step);
	ct_sha256_final(&s, d);
	return ct_hex(d, sizeof(d), hex);
}

static void test_nist(void)
{
	static const struct { const char *msg, *hex; } v[] = {
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	char hex[2 * CT_SHA256_LEN + 1];
	size_t i, step;
	char *mil = malloc(1000000);

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_STR(sha_hex(v[i].msg, strlen(v[i].msg), hex), v[i].hex);
		for (step = 1; step < 70; step += 3)
			CHECK_STR(sha_hex_pieces(v[i].msg, strlen(v[i].msg), step, hex), v[i].hex);
	}
	CHECK(mil != NULL);
	if (mil == NULL)
		return;
	memset(mil, 'a', 1000000);
	CHECK_STR(sha_hex(mil, 1000000, hex),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	CHECK_STR(sha_hex_pieces(mil, 1000000, 4093, hex),
	    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(mil);
	/* padding edges: 55, 56, 63, 64 bytes (one or two final blocks) */
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 55, hex),
	    "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 56, hex),
	    "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
	CHECK_STR(sha_hex("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64, hex),
	    "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

static void fill(uint8_t *p, size_t n, uint8_t v)
{
	memset(p, v, n);
}

static void test_rfc4231(void)
{
	uint8_t key[131], data[152], mac[CT_SHA256_LEN];
	char hex[2 * CT_SHA256_LEN + 1];
	size_t i;
	struct ct_hmac_sha256 h;
	static const char t7[] = "This is a test using a larger than block-size key and a larger "
	    "than block-size data. The key needs to be hashed before being used by the HMAC algorithm.";

	/* 1 */
	fill(key, 20, 0x0b);
	ct_hmac_sha256(key, 20, "Hi There", 8, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* 2: key shorter than the output */
	ct_hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* 3 */
	fill(key, 20, 0xaa);
	fill(data, 50, 0xdd);
	ct_hmac_sha256(key, 20, data, 50, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	/* 4 */
	for (i = 0; i < 25; i++)
		key[i] = (uint8_t)(i + 1);
	fill(data, 50, 0xcd);
	ct_hmac_sha256(key, 25, data, 50, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	/* 5: truncated to 128 bits */
	fill(key, 20, 0x0c);
	ct_hmac_sha256(key, 20, "Test With Truncation", 20, mac);
	CHECK_STR(ct_hex(mac, 16, hex), "a3b6167473100ee06e0c796c2955552b");
	/* 6: key larger than the block, hashed first */
	fill(key, 131, 0xaa);
	ct_hmac_sha256(key, 131, "Test Using Larger Than Block-Size Key - Hash Key First", 54, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* 7: and data larger than the block, fed in pieces */
	ct_hmac_sha256_init(&h, key, 131);
	for (i = 0; i < strlen(t7); i += 7)
		ct_hmac_sha256_feed(&h, t7 + i, strlen(t7) - i < 7 ? strlen(t7) - i : 7);
	ct_hmac_sha256_final(&h, mac);
	CHECK_STR(ct_hex(mac, sizeof(mac), hex),
	    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

int main(void)
{
	test_nist();
	test_rfc4231();
	return TEST_REPORT();
}
