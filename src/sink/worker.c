/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output worker (include/calltap/worker.h): takes the formatting and
 * writing of finished records off the capture thread.  Workload: one put
 * per finished call from the capture thread (thousands a second under an
 * INVITE flood, a few a second on a real trunk), a control message about
 * once a second (the durability flush), one thread draining.
 *
 * The queue is a ring of `capacity` entries under one mutex.  The thread
 * takes every entry queued when it wakes as one batch and runs the
 * callbacks without the lock; the producer only writes slots outside
 * [head, tail), so the entries of a batch stay put until the thread
 * advances head.  head advances at the end of a batch, or every quarter of
 * the queue while a producer waits for room (so a full queue does not
 * ping-pong the two threads on every slot).
 * The producer signals the thread only when it sleeps, the thread signals
 * the producer only when one waits: a steady stream costs one uncontended
 * lock per put.  An item wakes a sleeping thread when WAKE_BATCH entries
 * are queued, or when the last wake-up is WAKE_GAP_NS old: a flood of
 * records is taken in batches (one wake-up per record cost a futex call
 * and a context switch each, 500k of them on a 400k-call flood with four
 * output threads), while a lone record on a quiet link still goes at once.
 * An item queued within WAKE_GAP_NS of a wake-up that no other entry
 * follows waits for the next control message: the sink set's flush, at
 * most a second later (the durability bound of every output anyway).  A control entry carries an optional waiter (on the
 * caller's stack) that receives its result; the finish entry also ends the
 * thread once everything before it ran.  Counters are atomics, read from
 * any thread.  No item is ever dropped: a put on a full queue waits.
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/err.h"
#include "calltap/thread.h"
#include "calltap/worker.h"

/* Result of a control operation for the thread that waits on it. */
struct waiter {
	int rc;
	bool done;
};

struct entry {
	void *item;              /* an item to deliver, when !ctl */
	int op;                  /* ctl: the operation, < 0 for none */
	bool ctl;
	bool last;               /* ctl: the thread ends after it */
	struct waiter *wt;       /* ctl: NULL when nobody waits */
};

#define WAKE_BATCH 64                   /* entries that wake a sleeping thread */
#define WAKE_GAP_NS INT64_C(1000000)    /* 1 ms: an item after a quieter spell wakes it at once */

struct ct_worker {
	pthread_mutex_t mu;
	pthread_cond_t cv_work;  /* the thread: entries arrived */
	pthread_cond_t cv_room;  /* producers: slots freed */
	pthread_cond_t cv_done;  /* waiters: a control ran */
	pthread_t thread;
	struct ct_worker_ops ops;
	void *user;
	struct entry *ring;
	size_t cap;
	uint64_t head, tail;     /* entries [head, tail) are queued (mod cap) */
	unsigned room_waiters;   /* producers in cv_room (read by the thread, atomically) */
	bool idle;               /* the thread sleeps in cv_work */
	int64_t woken_ns;        /* monotonic time of the last wake-up signal */
	bool closed;             /* the finish entry was queued */
	bool joined;
	uint64_t n_items, n_controls, n_waits, peak;   /* atomics */
};

static void stat_add(uint64_t *p, uint64_t n)
{
	__atomic_fetch_add(p, n, __ATOMIC_RELAXED);
}

static uint64_t stat_get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Frees n processed slots (caller holds mu) and wakes waiting producers. */
static void release_slots(struct ct_worker *w, uint64_t n)
{
	w->head += n;
	if (w->room_waiters > 0)
		pthread_cond_broadcast(&w->cv_room);
}

/* Runs one entry without the lock; true when it was the last one. */
static bool run_entry(struct ct_worker *w, const struct entry *en)
{
	int rc = CT_OK;

	if (!en->ctl) {
		w->ops.deliver(w->user, en->item);
		stat_add(&w->n_items, 1);
		return false;
	}
	if (en->op >= 0) {
		rc = w->ops.control(w->user, en->op);
		stat_add(&w->n_controls, 1);
	}
	if (en->wt != NULL) {
		pthread_mutex_lock(&w->mu);
		en->wt->rc = rc;
		en->wt->done = true;
		pthread_cond_broadcast(&w->cv_done);
		pthread_mutex_unlock(&w->mu);
	}
	return en->last;
}

static void *worker_main(void *arg)
{
	struct ct_worker *w = arg;
	uint64_t base, i, n, done;
	bool last = false;

	ct_thread_name("ct-output");
	pthread_mutex_lock(&w->mu);
	while (!last) {
		while (w->head == w->tail) {
			w->idle = true;
			pthread_cond_wait(&w->cv_work, &w->mu);
		}
		w->idle = false;
		base = w->head;
		n = w->tail - base;
		pthread_mutex_unlock(&w->mu);
		for (i = done = 0; i < n && !last; i++) {
			struct entry en = w->ring[(base + i) % w->cap];

			last = run_entry(w, &en);
			/*
			 * A producer waits for room: give back what ran, a quarter of
			 * the queue at a time (one wake-up per quarter, not per entry).
			 */
			if (i + 1 - done >= (w->cap + 3) / 4 &&
			    __atomic_load_n(&w->room_waiters, __ATOMIC_RELAXED) > 0) {
				pthread_mutex_lock(&w->mu);
				release_slots(w, i + 1 - done);
				pthread_mutex_unlock(&w->mu);
				done = i + 1;
			}
		}
		pthread_mutex_lock(&w->mu);
		release_slots(w, i - done);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

/*
 * Starts a worker whose queue holds capacity entries (at least 2) and whose
 * thread runs ops on user; the thread has every signal blocked, so signals
 * go to the capture thread as before.  NULL with a message in errbuf.
 */
struct ct_worker *ct_worker_new(size_t capacity, const struct ct_worker_ops *ops, void *user,
    char *errbuf)
{
	struct ct_worker *w = calloc(1, sizeof(*w));
	int rc;

	if (capacity < 2)
		capacity = 2;
	if (w == NULL || (w->ring = calloc(capacity, sizeof(*w->ring))) == NULL) {
		free(w);
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory for the output queue");
		return NULL;
	}
	w->cap = capacity;
	w->ops = *ops;
	w->user = user;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv_work, NULL);
	pthread_cond_init(&w->cv_room, NULL);
	pthread_cond_init(&w->cv_done, NULL);
	rc = ct_thread_start(&w->thread, worker_main, w);
	if (rc != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot start the output thread: %s", strerror(rc));
		w->joined = true;
		ct_worker_free(w);
		return NULL;
	}
	return w;
}

/* Monotonic clock in nanoseconds. */
static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Appends en, waiting for room (counted) when full; caller holds mu. */
static int push(struct ct_worker *w, const struct entry *en)
{
	uint64_t used;

	if (w->closed)
		return CT_ERR;
	if (w->tail - w->head == w->cap) {
		if (w->idle) {   /* a queue smaller than WAKE_BATCH */
			w->idle = false;
			pthread_cond_signal(&w->cv_work);
		}
		stat_add(&w->n_waits, 1);
		__atomic_fetch_add(&w->room_waiters, 1, __ATOMIC_RELAXED);
		while (w->tail - w->head == w->cap)
			pthread_cond_wait(&w->cv_room, &w->mu);
		__atomic_fetch_sub(&w->room_waiters, 1, __ATOMIC_RELAXED);
		if (w->closed)
			return CT_ERR;
	}
	w->ring[w->tail % w->cap] = *en;
	w->tail++;
	used = w->tail - w->head;
	if (used > stat_get(&w->peak))
		__atomic_store_n(&w->peak, used, __ATOMIC_RELAXED);
	if (w->idle && (en->ctl || used >= WAKE_BATCH || used == w->cap ||
	    mono_ns() - w->woken_ns >= WAKE_GAP_NS)) {
		w->idle = false;   /* one signal per sleep */
		w->woken_ns = mono_ns();
		pthread_cond_signal(&w->cv_work);
	}
	return CT_OK;
}

/*
 * Queues item: deliver(user, item) will run on the worker thread after
 * everything queued before.  Waits while the queue is full.  CT_OK, or
 * CT_ERR (item not taken) once the worker is finishing.
 */
int ct_worker_put(struct ct_worker *w, void *item)
{
	struct entry en = { .item = item };
	int rc;

	pthread_mutex_lock(&w->mu);
	rc = push(w, &en);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/* Queues a control entry and, with wt, waits until it ran; caller holds mu. */
static int push_control(struct ct_worker *w, int op, bool last, struct waiter *wt)
{
	struct entry en = { .op = op, .ctl = true, .last = last, .wt = wt };

	if (push(w, &en) != CT_OK)
		return CT_ERR;
	if (last)
		w->closed = true;   /* nothing may follow the finish entry */
	while (wt != NULL && !wt->done)
		pthread_cond_wait(&w->cv_done, &w->mu);
	return wt != NULL ? wt->rc : CT_OK;
}

/*
 * Queues control(user, op) behind every entry queued so far.  With wait,
 * returns its result once it ran; without, CT_OK at once (the callback
 * reports its own errors).  CT_ERR once the worker is finishing.
 */
int ct_worker_control(struct ct_worker *w, int op, bool wait)
{
	struct waiter wt = { CT_OK, false };
	int rc;

	pthread_mutex_lock(&w->mu);
	rc = push_control(w, op, false, wait ? &wt : NULL);
	pthread_mutex_unlock(&w->mu);
	return rc;
}

/*
 * Queues op (none when op < 0) as the last entry, waits until the thread
 * ran everything before it and op, and joins it.  Returns op's result.  A
 * second call returns CT_OK and does nothing.
 */
int ct_worker_finish(struct ct_worker *w, int op)
{
	struct waiter wt = { CT_OK, false };
	int rc;

	pthread_mutex_lock(&w->mu);
	if (w->closed) {
		pthread_mutex_unlock(&w->mu);
		return CT_OK;
	}
	rc = push_control(w, op, true, &wt);
	w->closed = true;
	pthread_cond_broadcast(&w->cv_room);   /* producers waiting for room give up */
	pthread_mutex_unlock(&w->mu);
	if (!w->joined) {
		pthread_join(w->thread, NULL);
		w->joined = true;
	}
	return rc;
}

/* Copies the counters; any thread, any time. */
void ct_worker_get_stats(const struct ct_worker *w, struct ct_worker_stats *st)
{
	st->items = stat_get(&w->n_items);
	st->controls = stat_get(&w->n_controls);
	st->waits = stat_get(&w->n_waits);
	st->peak = stat_get(&w->peak);
}

/* Finishes w (delivering what is queued) unless done, then frees it. */
void ct_worker_free(struct ct_worker *w)
{
	if (w == NULL)
		return;
	if (!w->joined)
		ct_worker_finish(w, -1);
	pthread_cond_destroy(&w->cv_done);
	pthread_cond_destroy(&w->cv_room);
	pthread_cond_destroy(&w->cv_work);
	pthread_mutex_destroy(&w->mu);
	free(w->ring);
	free(w);
}
