/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output worker: a bounded queue of items (finished records, owned by the
 * queue once put) drained in order by one thread, which hands each to a
 * deliver callback.  Control messages (flush, reopen, close: any operation
 * code the user defines) travel through the same queue, so none overtakes
 * an item put before it.  The putting side never waits for the callbacks,
 * only for room when the queue is full (backpressure, counted; nothing is
 * dropped).  It knows nothing of what it delivers.  See src/sink/worker.c.
 */
#ifndef CALLTAP_WORKER_H
#define CALLTAP_WORKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ct_worker;

struct ct_worker_ops {
	/* Takes item (ownership passes); runs on the worker thread, in put order. */
	void (*deliver)(void *user, void *item);
	/* Runs control operation op on the worker thread; its result goes to a waiter. */
	int (*control)(void *user, int op);
};

struct ct_worker_stats {
	uint64_t items;          /* items delivered */
	uint64_t controls;       /* control operations run */
	uint64_t waits;          /* puts that waited for room (queue full) */
	uint64_t peak;           /* most entries queued at once */
};

/* Starts the thread; NULL with a message in errbuf (CT_ERRBUF_SIZE) on failure. */
struct ct_worker *ct_worker_new(size_t capacity, const struct ct_worker_ops *ops, void *user,
    char *errbuf);
/* Queues item for deliver (waits while the queue is full); CT_OK, CT_ERR once finished. */
int ct_worker_put(struct ct_worker *w, void *item);
/*
 * Queues control operation op behind everything put so far.  wait: returns
 * only once it ran, with its result; otherwise CT_OK at once.
 */
int ct_worker_control(struct ct_worker *w, int op, bool wait);
/*
 * Queues op (unless op < 0) as the last message, lets the thread drain the
 * queue and run it, and joins the thread.  Returns op's result (CT_OK for
 * none).  Later puts and controls fail with CT_ERR.
 */
int ct_worker_finish(struct ct_worker *w, int op);
/* Counters, safe to read from any thread at any time. */
void ct_worker_get_stats(const struct ct_worker *w, struct ct_worker_stats *st);
/* Finishes (no control operation) if needed, then frees w.  NULL is a no-op. */
void ct_worker_free(struct ct_worker *w);

#endif
