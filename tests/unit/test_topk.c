/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Space-Saving summary of frequent addresses (calltap/topk.h): scripted
 * streams with their expected top lists (ties in slot order, a replaced
 * slot's overcount left out of the guaranteed count), unset addresses not
 * counted, IPv4 and IPv6 of the same bytes kept apart, the floor below
 * which an address is not listed, and, over skewed
 * pseudo-random streams checked against exact counts, the two guarantees:
 * a guaranteed count never exceeds the true count, and every address
 * behind more than 1/CT_TOPK_SLOTS of the events is listed.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calltap/topk.h"
#include "test.h"

/* Address number i: 192.0.2.i (IPv4), or 2001:db8::i as IPv6 when i >= 200. */
static struct ct_addr addr(unsigned i)
{
	struct ct_addr a;

	memset(&a, 0, sizeof(a));
	if (i >= 200) {
		a.family = 6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		a.a[15] = (uint8_t)(i - 200);
	} else {
		a.family = 4;
		a.a[0] = 192;
		a.a[1] = 0;
		a.a[2] = 2;
		a.a[3] = (uint8_t)i;
	}
	return a;
}

static const struct {
	const char *name;
	const char *events;   /* address numbers, 'a' + i; '-' an unset address */
	unsigned max;
	const char *want;     /* "i:n,i:n" in order, "" for none */
	unsigned total;
} cases[] = {
	{ "counts", "aaaaabbbc", 3, "0:5,1:3,2:1", 9 },
	{ "max cuts", "aaaaabbbc", 1, "0:5", 9 },
	{ "ties in slot order", "bca", 3, "1:1,2:1,0:1", 3 },
	/* 8 slots full (a = 10, b..h = 1), then i takes b's slot: n 2, err 1 */
	{ "replace the smallest", "aaaaaaaaaabcdefghi", 3, "0:10,8:1,2:1", 18 },
	/* then j takes c's slot (the smallest count now: i has 2); i keeps 1 */
	{ "the next smallest", "aaaaaaaaaabcdefghij", 2, "0:10,8:1", 19 },
	{ "unset not counted", "-a-a-", 3, "0:2", 2 },
	{ "nothing", "---", 3, "", 0 },
	{ "empty", "", 3, "", 0 },
};

static void test_cases(void)
{
	size_t c;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ct_topk k;
		struct ct_addr a[CT_TOPK_SLOTS], none;
		uint64_t n[CT_TOPK_SLOTS];
		char got[256] = "";
		const char *p;
		size_t m, i, used = 0;

		memset(&none, 0, sizeof(none));
		ct_topk_reset(&k);
		for (p = cases[c].events; *p != '\0'; p++) {
			struct ct_addr x = *p == '-' ? none : addr((unsigned)(*p - 'a'));

			ct_topk_add(&k, &x);
		}
		m = ct_topk_top(&k, a, n, cases[c].max, 0);
		for (i = 0; i < m; i++)
			used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%u:%llu",
			    i > 0 ? "," : "", (unsigned)a[i].a[3], (unsigned long long)n[i]);
		if (strcmp(got, cases[c].want) != 0)
			fprintf(stderr, "case %s\n", cases[c].name);
		CHECK_STR(got, cases[c].want);
		CHECK_INT(k.total, cases[c].total);
	}
}

/* 192.0.2.1 and 2001:db8::1: the same last byte, two addresses. */
static void test_families(void)
{
	struct ct_topk k;
	struct ct_addr v4 = addr(1), v6 = addr(201), a[2];
	uint64_t n[2];

	ct_topk_reset(&k);
	ct_topk_add(&k, &v4);
	ct_topk_add(&k, &v6);
	ct_topk_add(&k, &v6);
	CHECK_INT(ct_topk_top(&k, a, n, 2, 0), 2);
	CHECK_INT(a[0].family, 6);
	CHECK_INT(n[0], 2);
	CHECK_INT(a[1].family, 4);
	CHECK_INT(n[1], 1);
	ct_topk_reset(&k);
	CHECK_INT(ct_topk_top(&k, a, n, 2, 0), 0);
	CHECK_INT(k.total, 0);
	ct_topk_add(&k, &v4);
	CHECK_INT(ct_topk_top(&k, a, n, 2, 1), 0);   /* at most the floor: left out */
	CHECK_INT(ct_topk_top(&k, a, n, 2, 0), 1);
}

/*
 * Skewed streams (a linear congruential generator; address i drawn about
 * twice as often as i + 1 among the first few, then a flat tail of 150):
 * the guarantees against exact counts.
 */
static void test_guarantees(void)
{
	static const uint32_t seeds[] = { 1, 7, 12345, 0xdeadbeef };
	size_t s;

	for (s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		struct ct_topk k;
		struct ct_addr a[CT_TOPK_SLOTS];
		uint64_t n[CT_TOPK_SLOTS], exact[160];
		uint32_t x = seeds[s];
		size_t m, i;
		unsigned e, id, bad = 0, missing = 0;

		memset(exact, 0, sizeof(exact));
		ct_topk_reset(&k);
		for (e = 0; e < 20000; e++) {
			struct ct_addr ad;
			uint32_t r;

			x = x * 1103515245u + 12345u;
			r = (x >> 8) % 1024;
			/* 512 of 1024 to 0, 256 to 1, 128 to 2, the rest flat over 3..152 */
			id = r < 512 ? 0 : r < 768 ? 1 : r < 896 ? 2 : 3 + (x >> 20) % 150;
			exact[id]++;
			ad = addr(id);
			ct_topk_add(&k, &ad);
		}
		CHECK_INT(k.total, 20000);
		m = ct_topk_top(&k, a, n, CT_TOPK_SLOTS, 0);
		for (i = 0; i < m; i++)
			if (n[i] > exact[a[i].a[3]])
				bad++;
		for (id = 0; id < 160; id++) {
			bool listed = false;

			if (exact[id] * CT_TOPK_SLOTS <= k.total)
				continue;
			for (i = 0; i < m; i++)
				listed = listed || a[i].a[3] == id;
			if (!listed)
				missing++;
		}
		CHECK_INT(bad, 0);
		CHECK_INT(missing, 0);
		/* the heaviest first, its count within the flat tail's share of it */
		CHECK(m >= 3 && a[0].a[3] == 0 && a[1].a[3] == 1 && a[2].a[3] == 2);
	}
}

/*
 * The floor of ct_dialog_evict_sources (total / CT_TOPK_SLOTS): a flood
 * spread evenly over 250 sources names none of them; one source behind
 * 30 % of the same flood is named, alone, with a count it reached.
 */
static void test_floor(void)
{
	unsigned share;

	for (share = 0; share <= 30; share += 30) {
		struct ct_topk k;
		struct ct_addr a[3];
		uint64_t n[3], heavy = 0;
		unsigned e;
		size_t m;

		ct_topk_reset(&k);
		for (e = 0; e < 10000; e++) {
			struct ct_addr x = addr(e % 100 < share ? 199 : 1 + e % 197);

			heavy += x.a[3] == 199;
			ct_topk_add(&k, &x);
		}
		m = ct_topk_top(&k, a, n, 3, k.total / CT_TOPK_SLOTS);
		if (share == 0) {
			CHECK_INT(m, 0);
		} else {
			CHECK_INT(m, 1);
			CHECK_INT(a[0].a[3], 199);
			CHECK(n[0] > k.total / CT_TOPK_SLOTS && n[0] <= heavy);
		}
	}
}

int main(void)
{
	test_floor();
	test_cases();
	test_families();
	test_guarantees();
	return TEST_REPORT();
}
