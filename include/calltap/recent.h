/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A bounded memory of recent keys: a map from 64-bit keyed hashes (the
 * caller hashes its wire key under its own random key, calltap/hash.h) to
 * two 64-bit values each, holding at most cap keys; a key put when it is
 * full replaces the least recently put one.  What it forgets depends on the
 * order of puts only, never on the hash values, so a run gives the same
 * result whatever its random key (a direct-mapped table, where colliding
 * keys take each other's slot, does not).
 *
 * Costs: get O(1) expected, put O(1) expected; memory: cap entries of
 * 56 bytes, allocated in blocks as keys arrive, plus the hash buckets
 * (at most cap pointers).  Two keys with one 64-bit hash are one key (a
 * chance of about n^2 / 2^65 under a keyed hash).
 */
#ifndef CALLTAP_RECENT_H
#define CALLTAP_RECENT_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/hashtab.h"
#include "calltap/list.h"

struct ct_recent {
	struct ct_htab tab;          /* entries by key; its own key unused */
	struct ct_list lru;          /* least recently put first */
	void **blocks;               /* entry blocks, NULL until the first put */
	size_t cap;                  /* keys held at most */
	size_t used;                 /* entries handed out (<= cap) */
	size_t nblocks;
};

int ct_recent_init(struct ct_recent *r, size_t cap);
void ct_recent_fini(struct ct_recent *r);
int64_t *ct_recent_get(const struct ct_recent *r, uint64_t key);
int64_t *ct_recent_put(struct ct_recent *r, uint64_t key, int *fresh);

/* Keys held now. */
static inline size_t ct_recent_count(const struct ct_recent *r)
{
	return ct_htab_count(&r->tab);
}

#endif
