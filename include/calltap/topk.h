/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The addresses that account for most of a stream of events, in fixed
 * memory: the Space-Saving summary of Metwally, Agrawal and El Abbadi
 * ("Efficient Computation of Frequent and Top-k Elements in Data
 * Streams", ICDT 2005).  CT_TOPK_SLOTS counters; an address not held
 * takes the slot of the smallest count, inheriting that count as its
 * possible overcount.  Any address behind more than 1/CT_TOPK_SLOTS of
 * the events is held, and n - err never exceeds its true count.  Used to
 * name the sources of the calls a full call table evicts (dialog.c), so
 * that a network team sees which hosts flood it; the events come from the
 * wire, so the cost is bounded whatever they are: O(CT_TOPK_SLOTS) an
 * event, no allocation.
 */
#ifndef CALLTAP_TOPK_H
#define CALLTAP_TOPK_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/packet.h"

#define CT_TOPK_SLOTS 8

struct ct_topk {
	struct {
		struct ct_addr a;
		uint64_t n;     /* events counted for a (an upper bound) */
		uint64_t err;   /* of which at most err were another address's */
	} e[CT_TOPK_SLOTS];
	unsigned used;
	uint64_t total;     /* events added since the last reset */
};

void ct_topk_reset(struct ct_topk *k);
void ct_topk_add(struct ct_topk *k, const struct ct_addr *a);
size_t ct_topk_top(const struct ct_topk *k, struct ct_addr *a, uint64_t *n, size_t max,
    uint64_t above);

#endif
