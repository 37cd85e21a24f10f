/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Shared hash table (hashtab.h) under a fixed key, table-driven:
 * insert / find / delete scripts; eviction order of a bounded LRU cache
 * built from the table and a ct_list (the stages' pattern); elements with
 * one hash (newest first, removal from the middle); bounded growth of the
 * bucket array; removal through the back links (any place in a chain,
 * twice, never inserted, after the bucket array grew); and collision
 * resistance: 4096 Call-IDs that all collide under FNV-1a spread over the
 * buckets.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "fnv_collide.h"
#include "test.h"

static const struct ct_hash_key fixed = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };

struct ent {
	struct ct_hnode hn;
	struct ct_list lru;
	const char *k;
};

static uint64_t hash_str(const struct ct_htab *t, const char *k)
{
	return ct_htab_hash(t, k, strlen(k));
}

static struct ent *find(const struct ct_htab *t, const char *k)
{
	struct ct_hnode *n;

	for (n = ct_htab_first(t, hash_str(t, k)); n != NULL; n = ct_htab_next(n)) {
		struct ent *e = ct_container_of(n, struct ent, hn);

		if (strcmp(e->k, k) == 0)
			return e;
	}
	return NULL;
}

/* ---- insert / find / delete ---------------------------------------------- */

static const struct {
	char op;                /* I insert, D delete, F find */
	const char *k;
	int want;               /* F: 1 found, 0 not; I/D: count after */
} script[] = {
	{ 'F', "alice", 0 },
	{ 'I', "alice", 1 },
	{ 'F', "alice", 1 },
	{ 'F', "alicE", 0 },
	{ 'I', "bob", 2 },
	{ 'I', "", 3 },         /* the empty key is a key */
	{ 'F', "", 1 },
	{ 'D', "alice", 2 },
	{ 'F', "alice", 0 },
	{ 'F', "bob", 1 },
	{ 'D', "", 1 },
	{ 'F', "", 0 },
	{ 'I', "alice", 2 },    /* back after deletion */
	{ 'F', "alice", 1 },
	{ 'D', "bob", 1 },
	{ 'D', "alice", 0 },
	{ 'F', "bob", 0 },
};

static void test_script(void)
{
	struct ent pool[sizeof(script) / sizeof(script[0])];
	struct ct_htab t;
	size_t i, used = 0;

	CHECK_INT(ct_htab_init(&t, 16, 16), CT_OK);
	ct_htab_set_key(&t, &fixed);
	CHECK(hash_str(&t, "alice") == ct_siphash(&fixed, "alice", 5));
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		struct ent *e = find(&t, script[i].k);

		switch (script[i].op) {
		case 'F':
			CHECK_INT(e != NULL, script[i].want);
			break;
		case 'I':
			CHECK(e == NULL);
			pool[used].k = script[i].k;
			ct_htab_insert(&t, &pool[used].hn, hash_str(&t, script[i].k));
			used++;
			CHECK_INT(ct_htab_count(&t), script[i].want);
			break;
		case 'D':
			CHECK(e != NULL);
			if (e != NULL)
				ct_htab_remove(&t, &e->hn);
			CHECK_INT(ct_htab_count(&t), script[i].want);
			break;
		}
	}
	ct_htab_fini(&t);
	ct_htab_fini(&t);       /* idempotent */
}

/* ---- LRU eviction order (table + list, capacity 3) ---------------------- */

static const struct {
	const char *k;          /* looked up, inserted when missing */
	const char *evicted;    /* what that evicts, NULL for nothing */
	const char *order;      /* the list afterwards, oldest first */
} lru_script[] = {
	{ "a", NULL, "a" },
	{ "b", NULL, "ab" },
	{ "c", NULL, "abc" },
	{ "a", NULL, "bca" },   /* a hit moves to the newest end */
	{ "d", "b", "cad" },    /* full: the least recently used goes */
	{ "c", NULL, "adc" },
	{ "e", "a", "dce" },
	{ "b", "d", "ceb" },
	{ "b", NULL, "ceb" },
	{ "f", "c", "ebf" },
};

static void test_lru(void)
{
	static const char *names[] = { "a", "b", "c", "d", "e", "f" };
	struct ent pool[6];
	struct ct_htab t;
	struct ct_list lru;
	size_t i;

	memset(pool, 0, sizeof(pool));
	for (i = 0; i < 6; i++)
		pool[i].k = names[i];
	CHECK_INT(ct_htab_init(&t, 4, 4), CT_OK);
	ct_htab_set_key(&t, &fixed);
	ct_list_init(&lru);
	for (i = 0; i < sizeof(lru_script) / sizeof(lru_script[0]); i++) {
		const char *k = lru_script[i].k;
		const char *gone = NULL;
		struct ent *e = find(&t, k);
		struct ct_list *l;
		char order[8];
		size_t n = 0;

		if (e != NULL) {
			ct_list_move_tail(&lru, &e->lru);
		} else {
			if (ct_htab_count(&t) == 3) {
				struct ent *old = ct_list_entry(ct_list_first(&lru), struct ent, lru);

				gone = old->k;
				ct_list_remove(&old->lru);
				ct_htab_remove(&t, &old->hn);
				CHECK(find(&t, old->k) == NULL);
			}
			e = &pool[k[0] - 'a'];
			ct_htab_insert(&t, &e->hn, hash_str(&t, k));
			ct_list_append(&lru, &e->lru);
		}
		CHECK_STR(gone, lru_script[i].evicted);
		for (l = ct_list_first(&lru); l != NULL; l = ct_list_next(&lru, l))
			order[n++] = ct_container_of(l, struct ent, lru)->k[0];
		order[n] = '\0';
		CHECK_STR(order, lru_script[i].order);
		CHECK_INT(ct_htab_count(&t), n);
	}
	ct_htab_fini(&t);
}

/* ---- one hash for several elements --------------------------------------- */

static void test_same_hash(void)
{
	struct ent e[4] = { { .k = "w" }, { .k = "x" }, { .k = "y" }, { .k = "z" } };
	struct ct_htab t;
	struct ct_hnode *n;
	char seen[8];
	size_t i, k;

	CHECK_INT(ct_htab_init(&t, 16, 16), CT_OK);
	for (i = 0; i < 4; i++)
		ct_htab_insert(&t, &e[i].hn, 42);
	ct_htab_insert(&t, &(struct ent){ .k = "other" }.hn, 42 + 16); /* same bucket */
	for (k = 0, n = ct_htab_first(&t, 42); n != NULL; n = ct_htab_next(n))
		seen[k++] = ct_container_of(n, struct ent, hn)->k[0];
	seen[k] = '\0';
	CHECK_STR(seen, "zyxw");                /* newest first, other hash skipped */
	ct_htab_remove(&t, &e[2].hn);
	ct_htab_remove(&t, &e[0].hn);
	for (k = 0, n = ct_htab_first(&t, 42); n != NULL; n = ct_htab_next(n))
		seen[k++] = ct_container_of(n, struct ent, hn)->k[0];
	seen[k] = '\0';
	CHECK_STR(seen, "zx");
	CHECK(ct_htab_first(&t, 43) == NULL);
	CHECK_INT(ct_htab_count(&t), 3);
	CHECK_INT(ct_htab_longest_chain(&t), 3);
	ct_htab_fini(&t);
}

/* ---- bounded growth ------------------------------------------------------ */

static void test_growth(void)
{
	static const struct {
		size_t min, max, n;
		size_t want_buckets;
	} cases[] = {
		{ 16, 16, 1000, 16 },             /* fixed size */
		{ 0, 0, 100, 16 },                /* at least 16, never grows */
		{ 16, 64, 1000, 64 },             /* grows, up to its bound */
		{ 16, 1000, 100, 128 },           /* doubles while the load passes 1 */
		{ 100, CT_HTAB_UNBOUNDED, 5000, 8192 },
	};
	struct ent *pool = calloc(5000, sizeof(*pool));
	char (*keys)[24] = calloc(5000, sizeof(*keys));
	size_t c, i;

	CHECK(pool != NULL && keys != NULL);
	for (c = 0; pool != NULL && keys != NULL && c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ct_htab t;
		size_t missing = 0;

		CHECK_INT(ct_htab_init(&t, cases[c].min, cases[c].max), CT_OK);
		ct_htab_set_key(&t, &fixed);
		for (i = 0; i < cases[c].n; i++) {
			snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
			pool[i].k = keys[i];
			ct_htab_insert(&t, &pool[i].hn, hash_str(&t, keys[i]));
		}
		CHECK_INT(ct_htab_buckets(&t), cases[c].want_buckets);
		for (i = 0; i < cases[c].n; i++)
			missing += find(&t, keys[i]) != &pool[i];
		CHECK_INT(missing, 0);
		ct_htab_fini(&t);
	}
	free(pool);
	free(keys);
}

/* ---- removal through the back links ------------------------------------- */

/* The keys of bucket h's chain, in chain order, into out. */
static void chain_of(const struct ct_htab *t, uint64_t h, char *out)
{
	const struct ct_hnode *n;
	size_t k = 0;

	for (n = t->b[h & t->mask]; n != NULL; n = n->next)
		out[k++] = ct_container_of(n, const struct ent, hn)->k[0];
	out[k] = '\0';
}

static void test_remove_links(void)
{
	static const struct {
		const char *removes;    /* indexes into "abcde" (inserted a..e: chain "edcba") */
		const char *chain;      /* left in the bucket */
	} cases[] = {
		{ "e", "dcba" },        /* the head: the bucket points past it */
		{ "a", "edcb" },        /* the tail */
		{ "c", "edba" },        /* the middle */
		{ "ca", "edb" },
		{ "edcba", "" },
		{ "bb", "edca" },       /* twice: the second is a no-op */
		{ "aedcb", "" },
	};
	struct ent e[5], lone, *pool;
	struct ct_htab t;
	char got[8];
	size_t c, i, n;

	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		CHECK_INT(ct_htab_init(&t, 16, 16), CT_OK);
		memset(e, 0, sizeof(e));
		for (i = 0; i < 5; i++) {
			e[i].k = &"abcde"[i];
			ct_htab_insert(&t, &e[i].hn, 7 + 16 * i);   /* one bucket, five hashes */
		}
		for (i = 0; cases[c].removes[i] != '\0'; i++)
			ct_htab_remove(&t, &e[cases[c].removes[i] - 'a'].hn);
		chain_of(&t, 7, got);
		CHECK_STR(got, cases[c].chain);
		CHECK_INT(ct_htab_count(&t), strlen(cases[c].chain));
		for (i = 0; i < 5; i++)   /* every one left is still found by its hash */
			CHECK((ct_htab_first(&t, 7 + 16 * i) != NULL) ==
			    (strchr(cases[c].chain, 'a' + (int)i) != NULL));
		ct_htab_fini(&t);
	}

	/* A zeroed node that was never inserted: a no-op. */
	CHECK_INT(ct_htab_init(&t, 16, 16), CT_OK);
	memset(&lone, 0, sizeof(lone));
	e[0] = (struct ent){ .k = "a" };
	ct_htab_insert(&t, &e[0].hn, 3);
	ct_htab_remove(&t, &lone.hn);
	CHECK_INT(ct_htab_count(&t), 1);
	CHECK(ct_htab_first(&t, 3) == &e[0].hn);
	ct_htab_fini(&t);

	/* After the bucket array doubled several times: the back links were
	 * rebuilt with the chains, so every removal leaves every bucket empty. */
	n = 3000;
	pool = calloc(n, sizeof(*pool));
	CHECK(pool != NULL);
	CHECK_INT(ct_htab_init(&t, 16, CT_HTAB_UNBOUNDED), CT_OK);
	for (i = 0; pool != NULL && i < n; i++) {
		pool[i].k = "p";
		ct_htab_insert(&t, &pool[i].hn, (uint64_t)i * 0x9e3779b97f4a7c15ull);
	}
	CHECK(ct_htab_buckets(&t) >= 2048);
	for (i = 0; pool != NULL && i < n; i += 3)         /* every third, then the rest */
		ct_htab_remove(&t, &pool[i].hn);
	for (i = 0; pool != NULL && i < n; i++)
		if (i % 3 != 0)
			ct_htab_remove(&t, &pool[i].hn);
	CHECK_INT(ct_htab_count(&t), 0);
	CHECK_INT(ct_htab_longest_chain(&t), 0);
	ct_htab_fini(&t);
	free(pool);
}

/* ---- collision resistance ------------------------------------------------ */

#define K 12
#define N (1 << K)

static void test_collisions(void)
{
	char *ids[N];
	struct ent *pool = calloc(N, sizeof(*pool));
	struct ct_htab t;
	size_t i, same = 0, missing = 0;

	for (i = 0; i < N; i++)
		ids[i] = malloc(4 + 6 * K + 1);
	CHECK(pool != NULL);
	CHECK_INT(fc_multicollide("cid-", 6, "abcdefghijklmnopqrstuvwxyz0123456789", 32, K, ids), 0);
	CHECK_INT(ct_htab_init(&t, 1024, CT_HTAB_UNBOUNDED), CT_OK);
	ct_htab_set_key(&t, &fixed);
	for (i = 0; pool != NULL && i < N; i++) {
		same += fc_hash(ids[i]) == fc_hash(ids[0]);
		pool[i].k = ids[i];
		ct_htab_insert(&t, &pool[i].hn, hash_str(&t, ids[i]));
	}
	CHECK_INT(same, N);                     /* the inputs do collide under FNV */
	CHECK_INT(ct_htab_count(&t), N);
	CHECK_INT(ct_htab_buckets(&t), N);
	CHECK(ct_htab_longest_chain(&t) <= 10); /* a fixed key: a fixed, small value */
	for (i = 0; pool != NULL && i < N; i += 2)
		ct_htab_remove(&t, &pool[i].hn);
	for (i = 0; pool != NULL && i < N; i++)
		missing += (find(&t, ids[i]) != NULL) != (i % 2 == 1);
	CHECK_INT(missing, 0);
	CHECK_INT(ct_htab_count(&t), N / 2);
	ct_htab_fini(&t);
	for (i = 0; i < N; i++)
		free(ids[i]);
	free(pool);
}

int main(void)
{
	test_script();
	test_lru();
	test_same_hash();
	test_growth();
	test_remove_links();
	test_collisions();
	return TEST_REPORT();
}
