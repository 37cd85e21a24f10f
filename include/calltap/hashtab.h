/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The one hash table of the stages (fragments, TCP directions, media
 * endpoints and streams, calls, caller history): intrusive, chained,
 * keyed.  An element embeds a struct ct_hnode and is found back from it
 * with ct_container_of (calltap/list.h).  The caller hashes its key with
 * ct_htab_hash() or ct_htab_hash_state() (SipHash-1-3 under the table's own
 * random key, calltap/hash.h), so keys taken from packets cannot be chosen
 * to pile into one chain; the table keeps each element's 64-bit hash, so
 * growing never rehashes a key and a lookup compares the caller's key only
 * on a full 64-bit hash match.
 *
 * Costs: insert O(1) amortised (the bucket array doubles while the load
 * passes 1, up to max_buckets; a failed doubling keeps the old array),
 * lookup O(chain), remove O(1) (each element links back to what points at
 * it).  Bounds: the table never allocates per
 * element, only the bucket array (at most max_buckets pointers); how many
 * elements it holds is the caller's limit, usually enforced by evicting the
 * first element of a ct_list kept beside the table.  There is deliberately
 * no walk over all elements: a hash order must never decide an output
 * order (walk the caller's own list instead).
 *
 * Lookup idiom (elements with equal keys may be several; the newest
 * inserted comes first):
 *     uint64_t h = ct_htab_hash(&t, key, len);
 *     for (n = ct_htab_first(&t, h); n != NULL; n = ct_htab_next(n))
 *             if (key_equal(ct_container_of(n, struct x, hn), key)) ...
 */
#ifndef CALLTAP_HASHTAB_H
#define CALLTAP_HASHTAB_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/hash.h"
#include "calltap/list.h"

struct ct_hnode {
	struct ct_hnode *next;      /* chain */
	struct ct_hnode **pprev;    /* what points at this node (bucket or previous
	                               node's next), NULL when in no table */
	uint64_t hash;              /* the key's hash, set by ct_htab_insert */
};

struct ct_htab {
	struct ct_hnode **b;        /* buckets */
	size_t mask;                /* bucket count - 1 (power of two) */
	size_t n;                   /* elements */
	size_t max_buckets;         /* the bucket array grows up to this (power of two) */
	struct ct_hash_key key;     /* random per table */
};

/* max_buckets for a table bounded only by its elements (see ct_htab_init). */
#define CT_HTAB_UNBOUNDED SIZE_MAX

int ct_htab_init(struct ct_htab *t, size_t min_buckets, size_t max_buckets);
void ct_htab_fini(struct ct_htab *t);
void ct_htab_set_key(struct ct_htab *t, const struct ct_hash_key *key);
void ct_htab_insert(struct ct_htab *t, struct ct_hnode *n, uint64_t hash);
void ct_htab_remove(struct ct_htab *t, struct ct_hnode *n);
size_t ct_htab_longest_chain(const struct ct_htab *t);

/* SipHash-1-3 of len bytes at p under t's key. */
static inline uint64_t ct_htab_hash(const struct ct_htab *t, const void *p, size_t len)
{
	return ct_siphash(&t->key, p, len);
}

/* Starts an incremental hash under t's key (feed, then ct_siphash_final). */
static inline void ct_htab_hash_state(const struct ct_htab *t, struct ct_siphash_state *s)
{
	ct_siphash_init(s, &t->key);
}

/* Elements held now. */
static inline size_t ct_htab_count(const struct ct_htab *t)
{
	return t->n;
}

/* Buckets allocated now (for memory accounting). */
static inline size_t ct_htab_buckets(const struct ct_htab *t)
{
	return t->mask + 1;
}

/* The first element whose key hashed to hash, or NULL. */
static inline struct ct_hnode *ct_htab_first(const struct ct_htab *t, uint64_t hash)
{
	struct ct_hnode *n = t->b[hash & t->mask];

	while (n != NULL && n->hash != hash)
		n = n->next;
	return n;
}

/* The next element after n with n's hash, or NULL. */
static inline struct ct_hnode *ct_htab_next(const struct ct_hnode *n)
{
	struct ct_hnode *x = n->next;

	while (x != NULL && x->hash != n->hash)
		x = x->next;
	return x;
}

#endif
