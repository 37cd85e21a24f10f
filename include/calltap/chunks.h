/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A stock of 2 MiB chunks faulted in ahead by a thread of its own, for
 * the slabs (calltap/slab.h) of one owner thread.
 *
 * A slab's huge chunk costs its first touch a page fault in which the
 * kernel zeroes 2 MiB (clear_page_erms): under an INVITE flood that was
 * 13 % of the capture thread's time (perf, Dec 5 2026), spent while the
 * output threads still had nothing to do (no flood call is due before
 * Timer B).  The stock's thread maps chunks (CT_SLAB_CHUNK bytes at a
 * CT_SLAB_CHUNK boundary, MADV_HUGEPAGE) and makes the kernel populate
 * them (MADV_POPULATE_WRITE, else one write per 4 KiB page), so the slab
 * takes them ready; chunks a slab empties come back to the stock while it
 * has room, instead of being unmapped and faulted in again.
 *
 * The thread starts at the first take (a quiet link's slabs, which never
 * leave their first chunk, start nothing) and keeps CT_CHUNKS_KEEP chunks
 * ready from then on: 8 MiB more resident at most.  A take when none is
 * ready returns NULL and the slab maps its own, so the owner never waits
 * for the stock's thread.  Take and give are O(1) under a mutex taken
 * once per 2 MiB.  Without a thread (none could be started) the stock
 * only keeps what slabs give back.
 */
#ifndef CALLTAP_CHUNKS_H
#define CALLTAP_CHUNKS_H

#include <stdbool.h>

#define CT_CHUNKS_KEEP 4   /* chunks kept ready */

struct ct_chunks;

/* An empty stock (no thread yet), or NULL when out of memory. */
struct ct_chunks *ct_chunks_new(void);

/* Stops the thread, unmaps the chunks held.  NULL is a no-op. */
void ct_chunks_free(struct ct_chunks *k);

/*
 * A chunk populated ahead (contents unspecified: the slab zeroes what it
 * hands out), or NULL when none is ready (k NULL included).  Wakes the
 * thread, starting it the first time.
 */
void *ct_chunks_take(struct ct_chunks *k);

/*
 * Gives back c, a chunk taken from k or mapped as one by a slab, while the
 * stock holds fewer than CT_CHUNKS_KEEP: true, k owns it; false, the
 * caller still does (and unmaps it).
 */
bool ct_chunks_give(struct ct_chunks *k, void *c);

/* Maps one chunk: CT_SLAB_CHUNK bytes at a CT_SLAB_CHUNK boundary, or NULL. */
void *ct_chunks_map(bool huge);

#endif
