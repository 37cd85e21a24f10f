/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fixed-size object allocator for the per-call state that a flood makes by
 * the hundred thousand (dialogs, media endpoints, call media): objects are
 * carved from 2 MiB chunks (each on a 2 MiB boundary) mapped with
 * MADV_HUGEPAGE, so a table that grows by 300 MB takes about 150 page
 * faults instead of 75,000 (on a virtual machine each 4 KiB fault cost
 * about 10 us: a third of the capture thread's time under an INVITE
 * flood, perf), and a stock (calltap/chunks.h) may fault them in ahead
 * on a thread of its own.
 * The first chunk mapped stays on 4 KiB pages (a quiet link's few calls
 * cost the pages they touch); where transparent huge pages are off, every
 * chunk is ordinary memory.
 *
 * A chunk keeps its own free list, so a chunk whose objects are all freed
 * is unmapped (one empty chunk is kept for the next burst): memory after a
 * flood goes back to the system as the flood's calls end.  Objects are
 * zeroed when allocated.  One owner thread per slab (no locks).
 *
 * Costs: alloc and free O(1); memory: the live objects rounded up to whole
 * chunks, one 64-byte header per chunk.  Under AddressSanitizer a free
 * object is poisoned, so a use after free is still reported.
 */
#ifndef CALLTAP_SLAB_H
#define CALLTAP_SLAB_H

#include <stddef.h>

#include "calltap/list.h"

struct ct_chunks;

#define CT_SLAB_CHUNK ((size_t)2 << 20)   /* bytes per chunk (one huge page) */

struct ct_slab {
	struct ct_list partial;   /* chunks with room, most recently freed into first */
	struct ct_list all;       /* every chunk mapped but the spare */
	void *spare;              /* one empty chunk kept, or NULL */
	size_t size;              /* object size (rounded up to 16) */
	size_t per_chunk;         /* objects per chunk */
	size_t chunks;            /* chunks mapped, the spare included */
	size_t live;              /* objects allocated */
	struct ct_chunks *stock;  /* chunks populated ahead, or NULL (ct_slab_set_stock) */
};

void ct_slab_init(struct ct_slab *s, size_t size);
void ct_slab_fini(struct ct_slab *s);
void *ct_slab_alloc(struct ct_slab *s);
void ct_slab_free(struct ct_slab *s, void *p);

/*
 * Takes s's huge chunks from k when it has one ready, and gives it the
 * chunks s empties (calltap/chunks.h).  k must outlive s; NULL: none.
 */
void ct_slab_set_stock(struct ct_slab *s, struct ct_chunks *k);

#endif
