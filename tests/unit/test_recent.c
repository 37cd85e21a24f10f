/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Bounded memory of recent keys (calltap/recent.h), table-driven: put /
 * get scripts with the order of forgetting (least recently put first, a
 * re-put moves a key to the newest end and keeps its value), a capacity
 * that is not a multiple of the allocation block, the bound itself, and
 * independence from the hash values: the same keys under two different
 * keyed hashes are forgotten in the same order.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/hash.h"
#include "calltap/recent.h"
#include "test.h"

/* One step: P put (set the value to val when fresh), G get (want: val or -1 absent). */
static const struct {
	char op;
	uint64_t key;
	int64_t val;            /* P: value stored if fresh; G: expected (-1 = absent) */
	int fresh;              /* P: expected freshness */
} script[] = {              /* capacity 3 */
	{ 'G', 1, -1, 0 },
	{ 'P', 1, 10, 1 },
	{ 'P', 2, 20, 1 },
	{ 'P', 3, 30, 1 },
	{ 'G', 1, 10, 0 },
	{ 'G', 3, 30, 0 },
	{ 'P', 1, 99, 0 },      /* re-put: kept value 10, now newest: order 2 3 1 */
	{ 'P', 4, 40, 1 },      /* forgets 2 */
	{ 'G', 2, -1, 0 },
	{ 'G', 1, 10, 0 },
	{ 'G', 4, 40, 0 },
	{ 'P', 5, 50, 1 },      /* forgets 3 */
	{ 'G', 3, -1, 0 },
	{ 'P', 2, 21, 1 },      /* forgets 1 */
	{ 'G', 1, -1, 0 },
	{ 'G', 4, 40, 0 },
	{ 'G', 5, 50, 0 },
	{ 'G', 2, 21, 0 },
	{ 'P', 0, 7, 1 },       /* key 0 is a key like any: forgets 4 */
	{ 'G', 0, 7, 0 },
	{ 'G', 4, -1, 0 },
};

static void test_script(void)
{
	struct ct_recent r;
	size_t i;

	CHECK_INT(ct_recent_init(&r, 3), CT_OK);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		int64_t *v;
		int fresh = -1, failed = ct_t_fail;

		if (script[i].op == 'P') {
			v = ct_recent_put(&r, script[i].key, &fresh);
			CHECK(v != NULL);
			CHECK_INT(fresh, script[i].fresh);
			if (v != NULL && fresh)
				*v = script[i].val;
		} else {
			v = ct_recent_get(&r, script[i].key);
			CHECK_INT(v != NULL ? *v : -1, script[i].val);
		}
		CHECK(ct_recent_count(&r) <= 3);
		if (ct_t_fail != failed)
			fprintf(stderr, "test_script: step %zu\n", i);
	}
	ct_recent_fini(&r);
	ct_recent_fini(&r);   /* idempotent */
}

/* Capacity 2500 (three blocks, the last partial): bound and order over 10,000 keys. */
static void test_bound(void)
{
	struct ct_recent r;
	uint64_t k;

	CHECK_INT(ct_recent_init(&r, 2500), CT_OK);
	for (k = 1; k <= 10000; k++) {
		int64_t *v = ct_recent_put(&r, k * 0x9e3779b97f4a7c15ull, NULL);

		CHECK(v != NULL);
		if (v != NULL)
			*v = (int64_t)k;
		CHECK(ct_recent_count(&r) == (k < 2500 ? k : 2500));
	}
	CHECK(r.used == 2500);
	for (k = 1; k <= 10000; k++) {
		int64_t *v = ct_recent_get(&r, k * 0x9e3779b97f4a7c15ull);

		CHECK_INT(v != NULL ? *v : -1, k > 7500 ? (int64_t)k : -1);
	}
	ct_recent_fini(&r);
	CHECK_INT(ct_recent_init(&r, 0), CT_ERR);
	CHECK(ct_recent_put(&r, 1, NULL) == NULL);
	CHECK(ct_recent_get(&r, 1) == NULL);
	ct_recent_fini(&r);
}

/*
 * 300 addresses put in a fixed pseudo-random order with repeats, into a
 * memory of 64, under two hash keys: the same addresses are remembered.
 */
static void test_key_independent(void)
{
	static const struct ct_hash_key k1 = { 1, 2 }, k2 = { 0xdeadbeefull, 0x12345678ull };
	struct ct_recent a, b;
	uint32_t x = 12345;
	unsigned i, n_a = 0, same = 0;

	CHECK_INT(ct_recent_init(&a, 64), CT_OK);
	CHECK_INT(ct_recent_init(&b, 64), CT_OK);
	for (i = 0; i < 5000; i++) {
		uint32_t addr;

		x = x * 1103515245u + 12345u;
		addr = (x >> 16) % 300;
		(void)ct_recent_put(&a, ct_siphash(&k1, &addr, sizeof(addr)), NULL);
		(void)ct_recent_put(&b, ct_siphash(&k2, &addr, sizeof(addr)), NULL);
	}
	for (i = 0; i < 300; i++) {
		bool in_a = ct_recent_get(&a, ct_siphash(&k1, &i, sizeof(i))) != NULL;
		bool in_b = ct_recent_get(&b, ct_siphash(&k2, &i, sizeof(i))) != NULL;

		n_a += in_a;
		same += in_a == in_b;
	}
	CHECK_INT(n_a, 64);
	CHECK_INT(same, 300);
	ct_recent_fini(&a);
	ct_recent_fini(&b);
}

int main(void)
{
	test_script();
	test_bound();
	test_key_independent();
	return TEST_REPORT();
}
