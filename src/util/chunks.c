/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A stock of 2 MiB chunks populated ahead (calltap/chunks.h).  One mutex
 * guards the ready chunks and the thread's sleep; the thread maps and
 * populates outside it.
 * References: mmap(2), madvise(2) (MADV_HUGEPAGE, MADV_POPULATE_WRITE,
 * Linux 5.14), the kernel's admin-guide/mm/transhuge.rst.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "calltap/chunks.h"
#include "calltap/slab.h"
#include "calltap/thread.h"

struct ct_chunks {
	pthread_mutex_t mu;
	pthread_cond_t cv;          /* a chunk was taken, or stop */
	void *ready[CT_CHUNKS_KEEP];
	unsigned n;                 /* ready chunks (under mu) */
	bool started;               /* the thread runs (set once, by the owner) */
	bool failed;                /* it could not be started: never try again */
	bool stop;
	pthread_t thread;
};

void *ct_chunks_map(bool huge)
{
	size_t len = 2 * CT_SLAB_CHUNK, head;
	char *raw, *a;

	raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)raw + CT_SLAB_CHUNK - 1) & ~(uintptr_t)(CT_SLAB_CHUNK - 1));
	head = (size_t)(a - raw);
	if (head > 0)
		munmap(raw, head);
	munmap(a + CT_SLAB_CHUNK, len - head - CT_SLAB_CHUNK);
#ifdef MADV_HUGEPAGE
	if (huge)   /* a hint: refused where THP is off */
		(void)madvise(a, CT_SLAB_CHUNK, MADV_HUGEPAGE);
#else
	(void)huge;
#endif
	return a;
}

/*
 * Faults c in: the kernel zeroes it here, on the stock's thread, instead
 * of at the slab's first touch.  A kernel without MADV_POPULATE_WRITE gets
 * one write per 4 KiB page (with a huge page the first does it all).
 */
static void populate(void *c)
{
	volatile char *p = c;
	size_t i;

#ifdef MADV_POPULATE_WRITE
	if (madvise(c, CT_SLAB_CHUNK, MADV_POPULATE_WRITE) == 0)
		return;
#endif
	for (i = 0; i < CT_SLAB_CHUNK; i += 4096)
		p[i] = 0;
}

static void *stock_main(void *arg)
{
	struct ct_chunks *k = arg;

	ct_thread_name("ct-chunks");
	pthread_mutex_lock(&k->mu);
	for (;;) {
		void *c;

		while (!k->stop && k->n >= CT_CHUNKS_KEEP)
			pthread_cond_wait(&k->cv, &k->mu);
		if (k->stop)
			break;
		pthread_mutex_unlock(&k->mu);
		c = ct_chunks_map(true);
		if (c != NULL)
			populate(c);
		pthread_mutex_lock(&k->mu);
		if (c == NULL) {
			/* out of memory: the slabs map their own, and fail as they would */
			if (!k->stop)   /* a stop signalled while mapping is not lost */
				pthread_cond_wait(&k->cv, &k->mu);
			continue;
		}
		if (k->n < CT_CHUNKS_KEEP && !k->stop)
			k->ready[k->n++] = c;
		else
			munmap(c, CT_SLAB_CHUNK);   /* a give filled the stock meanwhile */
	}
	pthread_mutex_unlock(&k->mu);
	return NULL;
}

struct ct_chunks *ct_chunks_new(void)
{
	struct ct_chunks *k = calloc(1, sizeof(*k));

	if (k == NULL)
		return NULL;
	if (pthread_mutex_init(&k->mu, NULL) != 0) {
		free(k);
		return NULL;
	}
	if (pthread_cond_init(&k->cv, NULL) != 0) {
		pthread_mutex_destroy(&k->mu);
		free(k);
		return NULL;
	}
	return k;
}

/* Starts the thread (calltap/thread.h); a failure is not retried. */
static void stock_start(struct ct_chunks *k)
{
	if (ct_thread_start(&k->thread, stock_main, k) == 0)
		k->started = true;
	else
		k->failed = true;
}

void *ct_chunks_take(struct ct_chunks *k)
{
	void *c = NULL;

	if (k == NULL)
		return NULL;
	if (!k->started && !k->failed)
		stock_start(k);
	pthread_mutex_lock(&k->mu);
	if (k->n > 0)
		c = k->ready[--k->n];
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	return c;
}

bool ct_chunks_give(struct ct_chunks *k, void *c)
{
	bool kept = false;

	if (k == NULL || c == NULL)
		return false;
	pthread_mutex_lock(&k->mu);
	if (k->n < CT_CHUNKS_KEEP && !k->stop) {
		k->ready[k->n++] = c;
		kept = true;
	}
	pthread_mutex_unlock(&k->mu);
	return kept;
}

void ct_chunks_free(struct ct_chunks *k)
{
	unsigned i;

	if (k == NULL)
		return;
	pthread_mutex_lock(&k->mu);
	k->stop = true;
	pthread_cond_signal(&k->cv);
	pthread_mutex_unlock(&k->mu);
	if (k->started)
		pthread_join(k->thread, NULL);
	for (i = 0; i < k->n; i++)
		munmap(k->ready[i], CT_SLAB_CHUNK);
	pthread_cond_destroy(&k->cv);
	pthread_mutex_destroy(&k->mu);
	free(k);
}
