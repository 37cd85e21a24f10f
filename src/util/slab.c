/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fixed-size object allocator (calltap/slab.h).  Each chunk is CT_SLAB_CHUNK
 * bytes mapped at a CT_SLAB_CHUNK boundary, so the chunk of an object is
 * its address rounded down; the chunk starts with its header, then the
 * objects.  Chunks past the first come from the slab's stock
 * (calltap/chunks.h) when it has one populated ahead.  Objects never
 * handed out are carved in address order (a fresh
 * chunk is touched only as far as it is used); freed ones go on the
 * chunk's free list (the link is kept in the object's first bytes).
 * References: madvise(2) (MADV_HUGEPAGE), the kernel's
 * admin-guide/mm/transhuge.rst.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "calltap/chunks.h"
#include "calltap/slab.h"

#if defined(__SANITIZE_ADDRESS__)
#define CT_SLAB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CT_SLAB_ASAN 1
#endif
#endif
#ifdef CT_SLAB_ASAN
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

struct chunk {
	struct ct_list link;   /* on s->partial while it has room and is not the spare */
	struct ct_list all;    /* every chunk but the spare (for fini) */
	void *free;            /* freed objects of this chunk */
	size_t used;           /* objects allocated from it now */
	size_t carved;         /* objects handed out at least once */
};

#define HDR ((sizeof(struct chunk) + 63) & ~(size_t)63)

/* The chunk holding p, an object of some slab. */
static struct chunk *chunk_of(const void *p)
{
	return (struct chunk *)((uintptr_t)p & ~(uintptr_t)(CT_SLAB_CHUNK - 1));
}

/*
 * Makes s an empty slab of objects of size bytes (1 .. 64 KiB; a larger
 * size makes every ct_slab_alloc fail).  Maps nothing yet.
 */
void ct_slab_init(struct ct_slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	ct_list_init(&s->partial);
	ct_list_init(&s->all);
	s->size = (size + 15) & ~(size_t)15;
	if (s->size == 0)
		s->size = 16;
	s->per_chunk = size <= 65536 ? (CT_SLAB_CHUNK - HDR) / s->size : 0;
}

/*
 * A chunk for s, set up empty, or NULL (out of memory).  huge: a chunk of
 * the stock, populated ahead, when it has one ready; else one mapped here,
 * asking for a transparent huge page.
 */
static struct chunk *chunk_get(struct ct_slab *s, bool huge)
{
	struct chunk *c = huge ? ct_chunks_take(s->stock) : NULL;

	if (c == NULL && (c = ct_chunks_map(huge)) == NULL)
		return NULL;
	c->free = NULL;
	c->used = c->carved = 0;
	POISON((char *)c + HDR, CT_SLAB_CHUNK - HDR);
	return c;
}

/*
 * A zeroed object of s->size bytes, or NULL when no memory can be mapped
 * (or the size is too large).  O(1).
 */
void *ct_slab_alloc(struct ct_slab *s)
{
	struct ct_list *l = ct_list_first(&s->partial);
	struct chunk *c;
	char *p;

	if (s->per_chunk == 0)
		return NULL;
	if (l != NULL) {
		c = ct_container_of(l, struct chunk, link);
	} else {
		if (s->spare != NULL) {
			c = s->spare;
			s->spare = NULL;
		} else {
			/*
			 * The first chunk on ordinary pages: a quiet link's few
			 * calls cost the pages they touch, not 2 MiB per slab.
			 */
			if ((c = chunk_get(s, s->chunks > 0)) == NULL)
				return NULL;
			s->chunks++;
		}
		ct_list_prepend(&s->partial, &c->link);
		ct_list_append(&s->all, &c->all);
	}
	if (c->free != NULL) {
		p = c->free;
		UNPOISON(p, s->size);
		c->free = *(void **)(void *)p;
	} else {
		p = (char *)c + HDR + c->carved * s->size;
		c->carved++;
		UNPOISON(p, s->size);
	}
	if (++c->used == s->per_chunk)
		ct_list_remove(&c->link);
	s->live++;
	memset(p, 0, s->size);
	return p;
}

/*
 * Frees p, an object of s (NULL is ignored).  A chunk left empty becomes
 * the spare, or is unmapped when there is one already.  O(1).
 */
void ct_slab_free(struct ct_slab *s, void *p)
{
	struct chunk *c;

	if (p == NULL)
		return;
	c = chunk_of(p);
	if (c->used == s->per_chunk)
		ct_list_prepend(&s->partial, &c->link);   /* full until now */
	*(void **)p = c->free;
	c->free = p;
	POISON(p, s->size);
	s->live--;
	if (--c->used > 0)
		return;
	ct_list_remove(&c->link);
	ct_list_remove(&c->all);
	if (s->spare == NULL) {
		c->free = NULL;   /* carved afresh: objects are zeroed when handed out */
		c->carved = 0;
		POISON((char *)c + HDR, CT_SLAB_CHUNK - HDR);
		s->spare = c;
		return;
	}
	s->chunks--;
	if (!ct_chunks_give(s->stock, c))   /* the stock keeps a few for the next burst */
		munmap(c, CT_SLAB_CHUNK);
}

void ct_slab_set_stock(struct ct_slab *s, struct ct_chunks *k)
{
	s->stock = k;
}

/*
 * Unmaps every chunk of s, objects still allocated included (their owner
 * must not use them after this); s is then an empty slab again.
 */
void ct_slab_fini(struct ct_slab *s)
{
	struct ct_chunks *k = s->stock;
	struct ct_list *l;
	size_t size = s->size;

	while ((l = ct_list_pop_first(&s->all)) != NULL)
		munmap(ct_container_of(l, struct chunk, all), CT_SLAB_CHUNK);
	if (s->spare != NULL)
		munmap(s->spare, CT_SLAB_CHUNK);
	ct_slab_init(s, size);
	s->stock = k;
}
