/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A bounded memory of recent keys (calltap/recent.h): the shared keyed
 * hash table for lookups and a ct_list for the put order, over entries
 * allocated in blocks of RECENT_BLOCK as keys arrive and recycled,
 * least recently put first, once cap are in use.
 */
#include "config.h"

#include <stdlib.h>

#include "calltap/err.h"
#include "calltap/recent.h"

#define RECENT_BLOCK 1024u   /* entries per allocation */

struct recent_ent {
	struct ct_hnode hn;
	struct ct_list lru;
	int64_t val[2];
};

/*
 * Makes r an empty memory of at most cap keys (cap >= 1).  Allocates the
 * first hash buckets only.  Returns CT_OK, CT_NOMEM (r is then safe to
 * ct_recent_fini) or CT_ERR for cap 0.
 */
int ct_recent_init(struct ct_recent *r, size_t cap)
{
	r->blocks = NULL;
	r->nblocks = 0;
	r->used = 0;
	r->cap = cap;
	ct_list_init(&r->lru);
	if (cap == 0) {
		r->tab.b = NULL;
		r->tab.n = 0;
		return CT_ERR;
	}
	return ct_htab_init(&r->tab, 16, cap);
}

/* Frees everything r holds.  Idempotent. */
void ct_recent_fini(struct ct_recent *r)
{
	size_t i;

	for (i = 0; i < r->nblocks; i++)
		free(r->blocks[i]);
	free(r->blocks);
	r->blocks = NULL;
	r->nblocks = 0;
	r->used = 0;
	ct_list_init(&r->lru);
	ct_htab_fini(&r->tab);
}

static struct recent_ent *find(const struct ct_recent *r, uint64_t key)
{
	struct ct_hnode *n;

	if (r->tab.b == NULL)
		return NULL;
	n = ct_htab_first(&r->tab, key);
	return n == NULL ? NULL : ct_container_of(n, struct recent_ent, hn);
}

/*
 * The value of key (two int64_t: v[0], v[1]), or NULL when r does not hold
 * it.  Changes nothing.
 */
int64_t *ct_recent_get(const struct ct_recent *r, uint64_t key)
{
	struct recent_ent *e = find(r, key);

	return e == NULL ? NULL : e->val;
}

/* A fresh entry: a new one while fewer than cap are out, else the least recently put. */
static struct recent_ent *take(struct ct_recent *r)
{
	struct recent_ent *e;
	size_t b = r->used / RECENT_BLOCK, i = r->used % RECENT_BLOCK;

	if (r->used < r->cap) {
		if (b == r->nblocks) {
			size_t left = r->cap - r->used, n = left < RECENT_BLOCK ? left : RECENT_BLOCK;
			void **nb = realloc(r->blocks, (r->nblocks + 1) * sizeof(*nb));

			if (nb == NULL)
				goto recycle;
			r->blocks = nb;
			if ((nb[b] = malloc(n * sizeof(struct recent_ent))) == NULL)
				goto recycle;
			r->nblocks++;
		}
		r->used++;
		return (struct recent_ent *)r->blocks[b] + i;
	}
recycle:
	e = ct_list_entry(ct_list_first(&r->lru), struct recent_ent, lru);
	if (e == NULL)
		return NULL;   /* no memory for the first entry */
	ct_list_remove(&e->lru);
	ct_htab_remove(&r->tab, &e->hn);
	return e;
}

/*
 * Puts key as the most recently put: the existing entry moves (its value
 * kept, *fresh = 0), or a new one is made with value 0, 0 (*fresh = 1),
 * replacing the least recently put key when r is full.  fresh may be NULL.
 * Returns the value's address (two int64_t, valid until the next put), or
 * NULL when no memory could be had for the first entry.
 */
int64_t *ct_recent_put(struct ct_recent *r, uint64_t key, int *fresh)
{
	struct recent_ent *e = find(r, key);

	if (fresh != NULL)
		*fresh = e == NULL;
	if (e != NULL) {
		ct_list_move_tail(&r->lru, &e->lru);
		return e->val;
	}
	if (r->tab.b == NULL || (e = take(r)) == NULL)
		return NULL;
	e->val[0] = e->val[1] = 0;
	e->lru.prev = e->lru.next = NULL;
	ct_list_append(&r->lru, &e->lru);
	ct_htab_insert(&r->tab, &e->hn, key);
	return e->val;
}
