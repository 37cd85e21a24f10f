/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Space-Saving summary of the most frequent addresses (calltap/topk.h).
 * Reference: A. Metwally, D. Agrawal, A. El Abbadi, "Efficient
 * Computation of Frequent and Top-k Elements in Data Streams", ICDT 2005.
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/topk.h"

/* Empties k. */
void ct_topk_reset(struct ct_topk *k)
{
	memset(k, 0, sizeof(*k));
}

/*
 * Counts one event of address a: its slot's count grows; a new address
 * takes a free slot, else the slot of the smallest count (the first such),
 * counting from that count plus one with the old count as its overcount.
 * An address with no family is not counted.  O(CT_TOPK_SLOTS).
 */
void ct_topk_add(struct ct_topk *k, const struct ct_addr *a)
{
	unsigned i, min = 0;

	if (a == NULL || a->family == 0)
		return;
	k->total++;
	for (i = 0; i < k->used; i++) {
		if (ct_addr_eq_nn(&k->e[i].a, a)) {
			k->e[i].n++;
			return;
		}
		if (k->e[i].n < k->e[min].n)
			min = i;
	}
	if (k->used < CT_TOPK_SLOTS) {
		i = k->used++;
		k->e[i].a = *a;
		k->e[i].n = 1;
		k->e[i].err = 0;
		return;
	}
	k->e[min].a = *a;
	k->e[min].err = k->e[min].n;
	k->e[min].n++;
}

/*
 * Up to max addresses into a[] with their guaranteed counts (n - err:
 * never more than the true count) into n[], largest first (equal counts in
 * slot order, so the result never depends on anything but the events'
 * order); addresses whose guaranteed count is not above `above` are left
 * out.  With above = total / CT_TOPK_SLOTS: no address behind an eighth
 * of the events or less is listed, and every one behind more than a
 * quarter is (an overcount is at most total / CT_TOPK_SLOTS).  Returns how
 * many were written.
 */
size_t ct_topk_top(const struct ct_topk *k, struct ct_addr *a, uint64_t *n, size_t max,
    uint64_t above)
{
	bool taken[CT_TOPK_SLOTS] = { false };
	size_t out = 0;

	while (out < max) {
		unsigned i, best = CT_TOPK_SLOTS;
		uint64_t bn = above;

		for (i = 0; i < k->used; i++) {
			uint64_t g = k->e[i].n - k->e[i].err;

			if (!taken[i] && g > bn) {
				bn = g;
				best = i;
			}
		}
		if (best == CT_TOPK_SLOTS)
			break;
		taken[best] = true;
		a[out] = k->e[best].a;
		n[out] = bn;
		out++;
	}
	return out;
}
