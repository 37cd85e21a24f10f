/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fixed-size object allocator (calltap/slab.h), table-driven: scripts of
 * allocations and frees with the live objects and the chunks mapped after
 * each step (a chunk left empty is kept as the one spare, a second empty
 * one is unmapped, the spare is reused before a new chunk is mapped),
 * objects always zeroed (also when reused after being written), 16-byte
 * aligned and never overlapping under a pseudo-random churn, and sizes
 * out of range refused; the stock of chunks populated ahead
 * (calltap/chunks.h) alone and shared by two slabs.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>
#include <time.h>

#include "calltap/chunks.h"
#include "calltap/slab.h"
#include "test.h"

#define SLOTS 8

/*
 * One step on a slab whose chunks hold `per` objects: A allocates `n`
 * objects into slots (slot .. slot + n - 1), F frees them; then the live
 * count and the chunks mapped are checked.  Each slot holds one run of
 * objects (of at most 2 per + 1).
 */
static const struct {
	char op;
	int slot;
	int n;          /* objects, in units: 'p' = per, else literal (see npp) */
	int npp;        /* objects = n + npp * per */
	size_t live;    /* want after the step, in objects (plus lpp * per) */
	int lpp;
	size_t chunks;
} script[] = {
	{ 'A', 0, 1, 0, 1, 0, 1 },      /* first object maps a chunk */
	{ 'F', 0, 1, 0, 0, 0, 1 },      /* empty: kept as the spare */
	{ 'A', 0, 1, 0, 1, 0, 1 },      /* the spare again, nothing mapped */
	{ 'A', 1, 0, 1, 1, 1, 2 },      /* a chunk's worth more: a second chunk */
	{ 'F', 0, 1, 0, 0, 1, 2 },      /* the first keeps objects of slot 1 */
	{ 'A', 2, 1, 1, 1, 2, 3 },      /* per + 1 more */
	{ 'F', 1, 0, 1, 1, 1, 3 },
	{ 'F', 2, 1, 1, 0, 0, 1 },      /* all empty: one spare stays mapped */
	{ 'A', 3, 0, 2, 0, 2, 2 },      /* two chunks' worth: spare + one new */
	{ 'F', 3, 0, 2, 0, 0, 1 },
};

static void **objs[SLOTS];
static size_t nobj[SLOTS];

/* True when every byte of p[0 .. n) is zero. */
static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return 0;
	return 1;
}

static void test_script(size_t size)
{
	struct ct_slab s;
	size_t i, j, per;

	ct_slab_init(&s, size);
	per = s.per_chunk;
	CHECK(per > 0);
	for (i = 0; i < SLOTS; i++) {
		objs[i] = calloc(2 * per + 1, sizeof(void *));
		CHECK(objs[i] != NULL);
		if (objs[i] == NULL)
			return;
	}
	CHECK_INT(s.size % 16, 0);
	CHECK(s.size >= size);
	for (i = 0; i < sizeof(script) / sizeof(script[0]); i++) {
		int slot = script[i].slot, failed = ct_t_fail;
		size_t n = (size_t)script[i].n + (size_t)script[i].npp * per;

		if (script[i].op == 'A') {
			for (j = 0; j < n; j++) {
				unsigned char *p = ct_slab_alloc(&s);

				CHECK(p != NULL);
				if (p == NULL)
					break;
				CHECK(((uintptr_t)p & 15) == 0);
				CHECK(all_zero(p, s.size));
				memset(p, 0xa5, s.size);   /* reused objects must come back zeroed */
				objs[slot][j] = p;
			}
			nobj[slot] = j;
		} else {
			for (j = 0; j < nobj[slot]; j++)
				ct_slab_free(&s, objs[slot][j]);
			nobj[slot] = 0;
		}
		CHECK_INT(s.live, script[i].live + (size_t)script[i].lpp * per);
		CHECK_INT(s.chunks, script[i].chunks);
		if (ct_t_fail != failed)
			fprintf(stderr, "  size %zu, step %zu\n", size, i);
	}
	ct_slab_fini(&s);
	CHECK_INT(s.chunks, 0);
	CHECK_INT(s.live, 0);
	for (i = 0; i < SLOTS; i++)
		free(objs[i]);
}

/*
 * 200,000 allocations and frees in a fixed pseudo-random order over up to
 * 6,000 live objects (several chunks): each object carries a stamp of its
 * own at both ends, checked when it is freed and at the end (no two
 * overlap, none is handed out twice); every new one is zeroed.
 */
static void test_churn(struct ct_chunks *stock)
{
	static unsigned char *live[6000];
	static uint32_t id[6000];
	struct ct_slab s;
	uint32_t x = 42, stamp;
	size_t n = 0, i, k, bad = 0, dirty = 0;

	ct_slab_init(&s, 200);
	ct_slab_set_stock(&s, stock);
	for (i = 0; i < 200000; i++) {
		x = x * 1103515245u + 12345u;
		if (n > 0 && (n == 6000 || (x >> 16) % 3 == 0)) {
			k = (x >> 8) % n;
			memcpy(&stamp, live[k], 4);
			bad += stamp != id[k];
			memcpy(&stamp, live[k] + 196, 4);
			bad += stamp != id[k];
			ct_slab_free(&s, live[k]);
			live[k] = live[--n];
			id[k] = id[n];
			continue;
		}
		if ((live[n] = ct_slab_alloc(&s)) == NULL)
			break;
		dirty += !all_zero(live[n], 200);
		id[n] = (uint32_t)i;
		memcpy(live[n], &id[n], 4);
		memcpy(live[n] + 196, &id[n], 4);
		n++;
	}
	for (k = 0; k < n; k++) {
		memcpy(&stamp, live[k], 4);
		bad += stamp != id[k];
		memcpy(&stamp, live[k] + 196, 4);
		bad += stamp != id[k];
	}
	CHECK_INT(i, 200000);
	CHECK_INT(bad, 0);
	CHECK_INT(dirty, 0);
	CHECK_INT(s.live, n);
	CHECK(s.chunks <= 6000 / s.per_chunk + 2);
	ct_slab_fini(&s);   /* with live objects: unmaps them too */
	CHECK_INT(s.chunks, 0);
}

/* Sizes out of range: 0 is one 16-byte object; over 64 KiB every alloc fails. */
static void test_sizes(void)
{
	struct ct_slab s;
	void *p;

	ct_slab_init(&s, 0);
	CHECK_INT(s.size, 16);
	p = ct_slab_alloc(&s);
	CHECK(p != NULL);
	ct_slab_free(&s, p);
	ct_slab_free(&s, NULL);
	ct_slab_fini(&s);
	ct_slab_init(&s, 65537);
	CHECK(ct_slab_alloc(&s) == NULL);
	CHECK_INT(s.chunks, 0);
	ct_slab_fini(&s);
}

/* A chunk from k, waiting up to 5 s for its thread to make one. */
static void *take_wait(struct ct_chunks *k)
{
	struct timespec ts = { 0, 2000000 };
	void *c = NULL;
	int i;

	for (i = 0; i < 2500 && (c = ct_chunks_take(k)) == NULL; i++)
		nanosleep(&ts, NULL);
	return c;
}

/* Threads of this process (entries of /proc/self/task), -1 if unknown. */
static int task_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/*
 * The stock alone: nothing from NULL; no thread before the first take,
 * one after it (what the first take returns depends on how fast that
 * thread is: not checked); then chunks aligned on CT_SLAB_CHUNK and
 * writable whole; gives kept up to CT_CHUNKS_KEEP, refused past it.
 */
static void test_stock(void)
{
	struct ct_chunks *k = ct_chunks_new();
	void *c, *mine[CT_CHUNKS_KEEP + 1];
	int i, kept = 0, refused = 0, tasks = task_count();

	CHECK(ct_chunks_take(NULL) == NULL);
	CHECK(!ct_chunks_give(NULL, &i));
	CHECK(k != NULL);
	if (k == NULL)
		return;
	CHECK_INT(task_count(), tasks);
	if ((c = ct_chunks_take(k)) != NULL)
		munmap(c, CT_SLAB_CHUNK);
	if (tasks > 0)
		CHECK_INT(task_count(), tasks + 1);
	c = take_wait(k);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_INT((uintptr_t)c % CT_SLAB_CHUNK, 0);
		memset(c, 0xa5, CT_SLAB_CHUNK);
		munmap(c, CT_SLAB_CHUNK);
	}
	for (i = 0; i <= CT_CHUNKS_KEEP; i++) {
		mine[i] = ct_chunks_map(false);
		CHECK(mine[i] != NULL);
		if (mine[i] != NULL && ct_chunks_give(k, mine[i]))
			kept++;
		else if (mine[i] != NULL) {
			refused++;
			munmap(mine[i], CT_SLAB_CHUNK);
		}
	}
	CHECK(kept <= CT_CHUNKS_KEEP);
	CHECK(refused >= 1);
	ct_chunks_free(k);   /* unmaps what it holds, joins its thread */
	ct_chunks_free(NULL);
}

/*
 * Two slabs sharing a stock: one grows over five chunks and empties them
 * (all but its spare go to the stock, dirty), the other then grows over
 * them: every object it gets is zeroed, distinct, within a chunk whose
 * header it owns, and its stamps survive.
 */
static void test_stock_shared(void)
{
	enum { NA = 15000, NB = 60000 };
	struct ct_chunks *k = ct_chunks_new();
	struct ct_slab a, b;
	unsigned char **pa = malloc(NA * sizeof(*pa)), **pb = malloc(NB * sizeof(*pb));
	size_t i, dirty = 0, bad = 0;

	CHECK(k != NULL && pa != NULL && pb != NULL);
	if (k == NULL || pa == NULL || pb == NULL)
		goto out;
	ct_slab_init(&a, 704);
	ct_slab_init(&b, 88);
	ct_slab_set_stock(&a, k);
	ct_slab_set_stock(&b, k);
	for (i = 0; i < NA; i++)
		if ((pa[i] = ct_slab_alloc(&a)) != NULL)
			memset(pa[i], 0xee, 704);
		else
			bad++;
	CHECK(a.chunks >= 5);
	for (i = 0; i < NA; i++)
		ct_slab_free(&a, pa[i]);
	CHECK_INT(a.live, 0);
	CHECK_INT(a.chunks, 1);   /* the spare */
	for (i = 0; i < NB; i++) {
		if ((pb[i] = ct_slab_alloc(&b)) == NULL) {
			bad++;
			continue;
		}
		dirty += !all_zero(pb[i], 88);
		memcpy(pb[i], &i, sizeof(i));
		memcpy(pb[i] + 80, &i, sizeof(i));
	}
	for (i = 0; i < NB; i++)
		if (pb[i] != NULL)
			bad += memcmp(pb[i], &i, sizeof(i)) != 0 || memcmp(pb[i] + 80, &i, sizeof(i)) != 0;
	CHECK_INT(dirty, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(b.live, NB);
	ct_slab_fini(&b);
	ct_slab_fini(&a);
out:
	ct_chunks_free(k);
	free(pa);
	free(pb);
}

int main(void)
{
	test_script(704);    /* a dialog */
	test_script(88);     /* a media endpoint */
	test_script(1000);
	test_churn(NULL);
	test_sizes();
	test_stock();
	test_stock_shared();
	{
		struct ct_chunks *k = ct_chunks_new();

		test_churn(k);   /* the same churn, chunks from a stock */
		ct_chunks_free(k);
	}
	return TEST_REPORT();
}
