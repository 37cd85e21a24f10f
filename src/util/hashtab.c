/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The shared keyed hash table (calltap/hashtab.h): bucket array management,
 * insertion with bounded growth, removal.  Lookups are inline in the header.
 */
#include "config.h"

#include <stdlib.h>

#include "calltap/err.h"
#include "calltap/hashtab.h"

#define HTAB_MIN 16u

static size_t pow2_at_least(size_t n)
{
	size_t p = HTAB_MIN;

	while (p < n && p <= SIZE_MAX / 4)
		p <<= 1;
	return p;
}

/*
 * Makes t an empty table of min_buckets buckets (rounded up to a power of
 * two, at least 16) that may grow to max_buckets (rounded likewise; less
 * than min_buckets: it never grows; CT_HTAB_UNBOUNDED: it grows with its
 * load, so the caller's bound on elements bounds it), under a random key.
 * Returns CT_OK, or CT_NOMEM with t left empty (ct_htab_fini is still safe).
 */
int ct_htab_init(struct ct_htab *t, size_t min_buckets, size_t max_buckets)
{
	size_t n = pow2_at_least(min_buckets);

	t->n = 0;
	t->mask = 0;
	t->max_buckets = max_buckets > n ? pow2_at_least(max_buckets) : n;
	ct_hash_key_random(&t->key);
	t->b = calloc(n, sizeof(*t->b));
	if (t->b == NULL)
		return CT_NOMEM;
	t->mask = n - 1;
	return CT_OK;
}

/* Frees t's bucket array (the elements are the caller's).  Idempotent. */
void ct_htab_fini(struct ct_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->mask = 0;
	t->n = 0;
}

/*
 * Replaces t's key (tests use a fixed one).  Only while t is empty: the
 * stored hashes would no longer match.
 */
void ct_htab_set_key(struct ct_htab *t, const struct ct_hash_key *key)
{
	t->key = *key;
}

/* Doubles the bucket array; on allocation failure keeps the old one. */
static void grow(struct ct_htab *t)
{
	size_t n = (t->mask + 1) * 2, i;
	struct ct_hnode **b, *x, *next;

	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (i = 0; i <= t->mask; i++) {
		for (x = t->b[i]; x != NULL; x = next) {
			struct ct_hnode **head = &b[x->hash & (n - 1)];

			next = x->next;
			x->next = *head;
			if (*head != NULL)
				(*head)->pprev = &x->next;
			x->pprev = head;
			*head = x;
		}
	}
	free(t->b);
	t->b = b;
	t->mask = n - 1;
}

/*
 * Links n (in no table) under hash, at the front of its chain, then doubles
 * the bucket array when the load passes 1 and max_buckets allows.
 */
void ct_htab_insert(struct ct_htab *t, struct ct_hnode *n, uint64_t hash)
{
	struct ct_hnode **b = &t->b[hash & t->mask];

	n->hash = hash;
	n->next = *b;
	if (*b != NULL)
		(*b)->pprev = &n->next;
	n->pprev = b;
	*b = n;
	if (++t->n > t->mask + 1 && t->mask + 1 < t->max_buckets)
		grow(t);
}

/*
 * Unlinks n from t.  O(1): through n's back link, so neither the bucket
 * nor the nodes before n are read (a flood's evictions and its bounded
 * memories each remove a node whose chain is cold in the cache).  A node
 * in no table (never inserted, zeroed, or removed already) is left as is.
 */
void ct_htab_remove(struct ct_htab *t, struct ct_hnode *n)
{
	if (n->pprev == NULL)
		return;
	*n->pprev = n->next;
	if (n->next != NULL)
		n->next->pprev = n->pprev;
	n->next = NULL;
	n->pprev = NULL;
	t->n--;
}

/* Length of the longest chain (tests, diagnostics: O(buckets + elements)). */
size_t ct_htab_longest_chain(const struct ct_htab *t)
{
	size_t i, n, best = 0;
	const struct ct_hnode *x;

	for (i = 0; t->b != NULL && i <= t->mask; i++) {
		for (n = 0, x = t->b[i]; x != NULL; x = x->next)
			n++;
		if (n > best)
			best = n;
	}
	return best;
}
