/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Capture inputs (inputs.h): the natural name order that ranks rotations
 * and ties, as a table of pairs; the merge itself is checked end to end by
 * tests/inputs.sh against generated ground truth.
 */
#include "config.h"

#include "calltap/inputs.h"
#include "test.h"

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

int main(void)
{
	static const struct { const char *a, *b; int want; } v[] = {
		{ "trunk.pcap", "trunk.pcap1", -1 },
		{ "trunk.pcap2", "trunk.pcap10", -1 },
		{ "trunk.pcap10", "trunk.pcap9", 1 },
		{ "t2.pcap", "t10.pcap", -1 },
		{ "a/b/x1", "a/b/x01", 1 },        /* same number: bytes decide ('1' > '0') */
		{ "x007y", "x7z", -1 },            /* 7 == 7, then 'y' < 'z' */
		{ "x", "x", 0 },
		{ "", "a", -1 },
		{ "abc", "abd", -1 },
		{ "2026-01-02_10", "2026-01-02_9", 1 },
		{ "file99999999999999999999", "file100000000000000000000", -1 }, /* no overflow */
		{ "0", "00", -1 },                  /* same number: the shorter text first */
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(sign(ct_natural_cmp(v[i].a, v[i].b)), v[i].want);
		CHECK_INT(sign(ct_natural_cmp(v[i].b, v[i].a)), -v[i].want);
	}
	return TEST_REPORT();
}
