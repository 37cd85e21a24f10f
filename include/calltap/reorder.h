/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A reorder buffer: frames that reach calltap out of their capture order
 * (a HEP agent of several processes or threads, each sending what it
 * handled, in whatever order the scheduler lets them: Kamailio's
 * siptrace, OpenSIPS, heplify on several interfaces) are held for a short
 * window and handed on in capture-time order.
 *
 * Contract: a frame is held about window_us after it arrived, never two
 * windows (arrival times are the caller's clock, monotonic); when the oldest arrival's
 * window has passed, every held frame stamped no later than it goes first,
 * earliest capture time first (arrival order between equal times), then
 * it.  So frames that arrive within the window of each other come out in
 * capture order, and no frame waits much longer than the window, whatever
 * the agents' clocks say (an agent whose clock is ahead does not hold the
 * others back; one held two windows goes next even while frames stamped
 * earlier keep coming, counted in forced).  Memory is bounded: beyond
 * max_frames or max_bytes held, the earliest stamped frame goes at once
 * (counted in forced), and the frames handed on but still remembered
 * behind the oldest arrival are bounded too.  With no
 * window wanted, callers hand frames on themselves (no buffer, no copy).
 */
#ifndef CALLTAP_REORDER_H
#define CALLTAP_REORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/source.h"

struct ct_reorder_stats {
	uint64_t reordered;   /* frames handed on ahead of one that arrived before them */
	uint64_t late;        /* frames handed on after one stamped later (came past the window) */
	uint64_t forced;      /* frames handed on before their window ended (buffer full) */
	uint64_t held_max;    /* most frames held at once */
};

struct ct_reorder;

/* A buffer (window_us >= 0, bounds > 0); NULL when out of memory or a bound is 0. */
struct ct_reorder *ct_reorder_new(int64_t window_us, size_t max_frames, size_t max_bytes);
/* Frees r and every frame it holds; NULL is a no-op. */
void ct_reorder_free(struct ct_reorder *r);
/*
 * Takes a copy of f (its data too), arrived at now_us.  CT_ERR when memory
 * runs out (f was not taken: the caller hands it on itself).
 */
int ct_reorder_put(struct ct_reorder *r, const struct ct_frame *f, int64_t now_us);
/*
 * The next frame due at now_us (drain: every held frame is due, for the
 * end of a run): 1 with *f, whose data stays valid until the next call on
 * r; 0 when none is due.
 */
int ct_reorder_get(struct ct_reorder *r, int64_t now_us, bool drain, struct ct_frame *f);
/* Microseconds from now_us until a frame is due (0: one is; INT64_MAX: none held). */
int64_t ct_reorder_due_in(struct ct_reorder *r, int64_t now_us);
/* Frames held. */
size_t ct_reorder_held(const struct ct_reorder *r);
void ct_reorder_get_stats(const struct ct_reorder *r, struct ct_reorder_stats *st);

#endif
