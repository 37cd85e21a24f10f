/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The reorder buffer (contract in include/calltap/reorder.h).
 *
 * Two views of the frames held: a binary min-heap by (capture time,
 * arrival number), which gives the frame to hand on, and a FIFO of
 * arrivals, whose head is the oldest arrival, whose window decides when
 * frames are due.  A frame handed on ahead of the FIFO head stays in the
 * FIFO, marked out, and is freed when it reaches the head (at most one
 * window later: the head goes right after the frames stamped before it).
 * The frame last handed on is freed at the next call, so its data stays
 * valid meanwhile.  The bounds count the frames held (in the heap).  The
 * handed-on ones still in the FIFO wait for its head, and a head stamped
 * later than every frame that keeps coming (a HEP agent, or an attacker,
 * stamping a message in 2100) would never be the earliest: under a steady
 * flow it stayed held, and every frame handed on after it stayed in
 * memory, without bound.  So a head held OVERDUE_WINDOWS windows, or a
 * FIFO past twice the bounds, goes next whatever its stamp (counted in
 * forced): the FIFO spans a few windows of arrivals at most.  put and get
 * are O(log n); nothing walks the frames.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/reorder.h"

#define OVERDUE_WINDOWS 2     /* a FIFO head held this many windows goes next */

struct held {
	int64_t ts_us, arrive_us;
	size_t hidx;                 /* index in the heap while held */
	uint64_t seq;                /* arrival number: ties of capture time keep arrival order */
	bool out;                    /* handed on (still in the FIFO) */
	bool in_fifo;
	struct ct_frame f;           /* f.data: data[] */
	uint8_t data[];
};

struct ct_reorder {
	int64_t window_us;
	size_t max_frames, max_bytes;
	struct held **heap;          /* n_heap frames not handed on yet */
	size_t n_heap, cap_heap;
	struct held **fifo;          /* ring: n_fifo entries from head, cap_fifo a power of two */
	size_t head, n_fifo, cap_fifo;
	size_t bytes;                /* of the frames held (in the heap) */
	size_t fifo_bytes;           /* of the frames in the FIFO (held or handed on) */
	struct held *last;           /* handed on by the last get, freed by the next */
	uint64_t seq;
	int64_t last_ts;             /* newest capture time handed on */
	bool any_out;
	struct ct_reorder_stats st;
};

static size_t entry_bytes(const struct held *e)
{
	return sizeof(*e) + e->f.caplen;
}

/* a before b: earlier capture time, then earlier arrival. */
static bool before(const struct held *a, const struct held *b)
{
	return a->ts_us != b->ts_us ? a->ts_us < b->ts_us : a->seq < b->seq;
}

struct ct_reorder *ct_reorder_new(int64_t window_us, size_t max_frames, size_t max_bytes)
{
	struct ct_reorder *r;

	if (window_us < 0 || max_frames == 0 || max_bytes == 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->window_us = window_us;
	r->max_frames = max_frames;
	r->max_bytes = max_bytes;
	return r;
}

void ct_reorder_free(struct ct_reorder *r)
{
	size_t i;

	if (r == NULL)
		return;
	/* Every entry is in the FIFO, or is last (out of the FIFO), or both. */
	for (i = 0; i < r->n_fifo; i++) {
		struct held *e = r->fifo[(r->head + i) & (r->cap_fifo - 1)];

		if (e != r->last)
			free(e);
	}
	free(r->last);
	free(r->heap);
	free(r->fifo);
	free(r);
}

static void sift_up(struct held **h, size_t i)
{
	struct held *e = h[i];

	while (i > 0) {
		size_t p = (i - 1) / 2;

		if (!before(e, h[p]))
			break;
		h[i] = h[p];
		h[i]->hidx = i;
		i = p;
	}
	h[i] = e;
	e->hidx = i;
}

static void sift_down(struct held **h, size_t n, size_t i)
{
	struct held *e = h[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= n)
			break;
		if (c + 1 < n && before(h[c + 1], h[c]))
			c++;
		if (!before(h[c], e))
			break;
		h[i] = h[c];
		h[i]->hidx = i;
		i = c;
	}
	h[i] = e;
	e->hidx = i;
}

/* Takes the frame at heap index i out of the heap. */
static struct held *heap_take(struct ct_reorder *r, size_t i)
{
	struct held *x = r->heap[i];

	r->bytes -= entry_bytes(x);
	r->heap[i] = r->heap[--r->n_heap];
	if (i < r->n_heap) {
		r->heap[i]->hidx = i;
		sift_down(r->heap, r->n_heap, i);
		sift_up(r->heap, r->heap[i]->hidx);
	}
	return x;
}

/* Room for one more entry in the heap and the FIFO; false when memory runs out. */
static bool room(struct ct_reorder *r)
{
	if (r->n_heap == r->cap_heap) {
		size_t n = r->cap_heap != 0 ? r->cap_heap * 2 : 64;
		struct held **h = realloc(r->heap, n * sizeof(*h));

		if (h == NULL)
			return false;
		r->heap = h;
		r->cap_heap = n;
	}
	if (r->n_fifo == r->cap_fifo) {
		size_t n = r->cap_fifo != 0 ? r->cap_fifo * 2 : 64, i;
		struct held **q = malloc(n * sizeof(*q));

		if (q == NULL)
			return false;
		for (i = 0; i < r->n_fifo; i++)    /* unwrapped, head at 0 */
			q[i] = r->fifo[(r->head + i) & (r->cap_fifo - 1)];
		free(r->fifo);
		r->fifo = q;
		r->head = 0;
		r->cap_fifo = n;
	}
	return true;
}

int ct_reorder_put(struct ct_reorder *r, const struct ct_frame *f, int64_t now_us)
{
	struct held *e;

	if (!room(r) || (e = malloc(sizeof(*e) + f->caplen)) == NULL)
		return CT_ERR;
	e->ts_us = f->ts_us;
	e->arrive_us = now_us;
	e->seq = r->seq++;
	e->out = false;
	e->in_fifo = true;
	e->f = *f;
	if (f->caplen > 0)
		memcpy(e->data, f->data, f->caplen);
	e->f.data = e->data;
	r->bytes += entry_bytes(e);
	r->fifo_bytes += entry_bytes(e);
	r->heap[r->n_heap++] = e;
	sift_up(r->heap, r->n_heap - 1);
	r->fifo[(r->head + r->n_fifo) & (r->cap_fifo - 1)] = e;
	r->n_fifo++;
	if (r->n_heap > r->st.held_max)
		r->st.held_max = r->n_heap;
	return CT_OK;
}

/* Drops the handed-on entries at the FIFO's head: the head is then a held frame. */
static void trim(struct ct_reorder *r)
{
	while (r->n_fifo > 0) {
		struct held *e = r->fifo[r->head];

		if (!e->out)
			break;
		r->head = (r->head + 1) & (r->cap_fifo - 1);
		r->n_fifo--;
		r->fifo_bytes -= entry_bytes(e);
		e->in_fifo = false;
		if (e != r->last)
			free(e);
	}
}

static bool over(const struct ct_reorder *r)
{
	return r->n_heap > r->max_frames || r->bytes > r->max_bytes;
}

/* The FIFO head (held since arrive) must go next, whatever its stamp. */
static bool head_overdue(const struct ct_reorder *r, int64_t arrive, int64_t now_us)
{
	return now_us - arrive >= OVERDUE_WINDOWS * r->window_us ||
	    r->n_fifo > 2 * r->max_frames || r->fifo_bytes / 2 > r->max_bytes;
}

int ct_reorder_get(struct ct_reorder *r, int64_t now_us, bool drain, struct ct_frame *f)
{
	struct held *head, *x;
	bool expired, overdue;

	if (r->last != NULL) {
		struct held *l = r->last;

		r->last = NULL;
		if (!l->in_fifo)
			free(l);
	}
	trim(r);
	if (r->n_heap == 0)
		return 0;
	head = r->fifo[r->head];
	expired = now_us - head->arrive_us >= r->window_us;
	if (!drain && !expired && !over(r))
		return 0;
	overdue = !drain && head != r->heap[0] && head_overdue(r, head->arrive_us, now_us);
	if (!drain && (!expired || overdue))
		r->st.forced++;
	x = heap_take(r, overdue ? head->hidx : 0);
	if (x != head)
		r->st.reordered++;
	if (r->any_out && x->ts_us < r->last_ts)
		r->st.late++;
	if (!r->any_out || x->ts_us > r->last_ts)
		r->last_ts = x->ts_us;
	r->any_out = true;
	x->out = true;
	r->last = x;
	trim(r);                     /* x was the head: out of the FIFO now */
	*f = x->f;
	return 1;
}

int64_t ct_reorder_due_in(struct ct_reorder *r, int64_t now_us)
{
	int64_t left;

	trim(r);
	if (r->n_heap == 0)
		return INT64_MAX;
	if (over(r))
		return 0;
	left = r->fifo[r->head]->arrive_us + r->window_us - now_us;
	return left > 0 ? left : 0;
}

size_t ct_reorder_held(const struct ct_reorder *r)
{
	return r->n_heap;
}

void ct_reorder_get_stats(const struct ct_reorder *r, struct ct_reorder_stats *st)
{
	*st = r->st;
}
