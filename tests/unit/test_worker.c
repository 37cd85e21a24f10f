/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Output worker (src/sink/worker.c): items and control messages come out
 * in the order they went in, a full queue makes the producer wait (counted)
 * and loses nothing, finish drains everything and runs its operation last,
 * a waited control returns its callback's result.
 */
#include "config.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/worker.h"
#include "test.h"

#define LOG_MAX 40000

/* What the worker thread saw, in order: items as their value, controls as -(op + 1). */
struct log {
	long v[LOG_MAX];
	size_t n;
	pthread_mutex_t mu;      /* the gate: deliver waits while closed */
	pthread_cond_t cv;
	bool closed;
	size_t in_deliver;       /* deliveries entered */
	int fail_op;             /* control returns CT_ERR for this op */
};

static void deliver(void *user, void *item)
{
	struct log *lg = user;
	long *p = item;

	pthread_mutex_lock(&lg->mu);
	lg->in_deliver++;
	pthread_cond_broadcast(&lg->cv);
	while (lg->closed)
		pthread_cond_wait(&lg->cv, &lg->mu);
	pthread_mutex_unlock(&lg->mu);
	if (lg->n < LOG_MAX)
		lg->v[lg->n++] = *p;
	free(p);
}

static int control(void *user, int op)
{
	struct log *lg = user;

	if (lg->n < LOG_MAX)
		lg->v[lg->n++] = -(long)op - 1;
	return op == lg->fail_op ? CT_ERR : CT_OK;
}

static const struct ct_worker_ops ops = { deliver, control };

static void log_init(struct log *lg)
{
	memset(lg, 0, sizeof(*lg));
	pthread_mutex_init(&lg->mu, NULL);
	pthread_cond_init(&lg->cv, NULL);
	lg->fail_op = -1;
}

static void log_fini(struct log *lg)
{
	pthread_cond_destroy(&lg->cv);
	pthread_mutex_destroy(&lg->mu);
}

static void gate(struct log *lg, bool closed)
{
	pthread_mutex_lock(&lg->mu);
	lg->closed = closed;
	pthread_cond_broadcast(&lg->cv);
	pthread_mutex_unlock(&lg->mu);
}

static long *box(long v)
{
	long *p = malloc(sizeof(*p));

	*p = v;
	return p;
}

/* Many items with a control every 37, through queues of several sizes: same order out. */
static void test_order(void)
{
	static const size_t caps[] = { 2, 3, 64, 4096 };
	static struct log lg;
	static long want[LOG_MAX];
	char errbuf[CT_ERRBUF_SIZE];
	size_t c, i, n;

	for (c = 0; c < sizeof(caps) / sizeof(caps[0]); c++) {
		struct ct_worker *w;
		struct ct_worker_stats st;

		log_init(&lg);
		w = ct_worker_new(caps[c], &ops, &lg, errbuf);
		CHECK(w != NULL);
		if (w == NULL)
			return;
		for (i = n = 0; i < 20000; i++) {
			CHECK_INT(ct_worker_put(w, box((long)i)), CT_OK);
			want[n++] = (long)i;
			if (i % 37 == 0) {
				CHECK_INT(ct_worker_control(w, (int)(i % 5), i % 74 == 0), CT_OK);
				want[n++] = -(long)(i % 5) - 1;
			}
		}
		CHECK_INT(ct_worker_finish(w, 9), CT_OK);
		want[n++] = -10;
		CHECK_INT(lg.n, n);
		for (i = 0; i < n && i < lg.n; i++)
			if (lg.v[i] != want[i]) {
				CHECK_INT(lg.v[i], want[i]);
				break;
			}
		ct_worker_get_stats(w, &st);
		CHECK_INT(st.items, 20000);
		CHECK_INT(st.controls, n - 20000);
		CHECK(st.peak <= caps[c]);
		/* Finished: nothing more is taken. */
		long *p = box(1);
		CHECK_INT(ct_worker_put(w, p), CT_ERR);
		free(p);
		CHECK_INT(ct_worker_control(w, 1, true), CT_ERR);
		CHECK_INT(ct_worker_finish(w, 1), CT_OK);
		ct_worker_free(w);
		log_fini(&lg);
	}
}

struct producer {
	struct ct_worker *w;
	long from, count;
	volatile int done;       /* read under the log's mutex by the test */
	struct log *lg;
};

static void *produce(void *arg)
{
	struct producer *pr = arg;
	long i;

	for (i = 0; i < pr->count; i++)
		ct_worker_put(pr->w, box(pr->from + i));
	pthread_mutex_lock(&pr->lg->mu);
	pr->done = 1;
	pthread_mutex_unlock(&pr->lg->mu);
	return NULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Backpressure: with the consumer stuck in deliver and the queue (4) full,
 * a put waits (counted) instead of dropping; once the consumer moves on,
 * every item arrives, in order.
 */
static void test_backpressure(void)
{
	static struct log lg;
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_worker_stats st;
	struct producer pr;
	struct ct_worker *w;
	pthread_t t;
	int done, k;
	long i;

	log_init(&lg);
	gate(&lg, true);
	w = ct_worker_new(4, &ops, &lg, errbuf);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	/* Item 0 is taken and blocks in deliver (its slot stays held); 1..3 fill the queue... */
	pr = (struct producer){ w, 0, 4, 0, &lg };
	produce(&pr);
	ct_worker_get_stats(w, &st);
	CHECK_INT(st.waits, 0);
	/* ...once deliver is entered, the next put finds no room. */
	pthread_mutex_lock(&lg.mu);
	while (lg.in_deliver == 0)
		pthread_cond_wait(&lg.cv, &lg.mu);
	pthread_mutex_unlock(&lg.mu);
	pr = (struct producer){ w, 4, 100, 0, &lg };
	pthread_create(&t, NULL, produce, &pr);
	for (k = 0; k < 50; k++) {
		ct_worker_get_stats(w, &st);
		if (st.waits > 0)
			break;
		sleep_ms(2);
	}
	sleep_ms(20);
	pthread_mutex_lock(&lg.mu);
	done = pr.done;
	pthread_mutex_unlock(&lg.mu);
	CHECK_INT(done, 0);               /* the producer is held, not dropping */
	ct_worker_get_stats(w, &st);
	CHECK_INT(st.waits, 1);
	CHECK_INT(st.items, 0);
	gate(&lg, false);
	pthread_join(t, NULL);
	CHECK_INT(ct_worker_finish(w, -1), CT_OK);
	CHECK_INT(lg.n, 104);
	for (i = 0; i < 104 && i < (long)lg.n; i++)
		if (lg.v[i] != i) {
			CHECK_INT(lg.v[i], i);
			break;
		}
	ct_worker_get_stats(w, &st);
	CHECK_INT(st.items, 104);
	CHECK(st.waits >= 1);
	CHECK_INT(st.peak, 4);
	ct_worker_free(w);
	log_fini(&lg);
}

/* A waited control returns the callback's result after every item before it ran. */
static void test_control_result(void)
{
	static struct log lg;
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_worker *w;
	long i;

	log_init(&lg);
	lg.fail_op = 3;
	w = ct_worker_new(8, &ops, &lg, errbuf);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	for (i = 0; i < 50; i++)
		ct_worker_put(w, box(i));
	CHECK_INT(ct_worker_control(w, 3, true), CT_ERR);
	CHECK_INT(lg.n, 51);              /* read after the wait: the thread wrote it before */
	CHECK_INT(lg.v[50], -4);
	CHECK_INT(ct_worker_control(w, 2, true), CT_OK);
	CHECK_INT(ct_worker_control(w, 3, false), CT_OK);   /* not waited: no result */
	CHECK_INT(ct_worker_finish(w, 3), CT_ERR);
	CHECK_INT(lg.n, 54);
	ct_worker_free(w);
	log_fini(&lg);
}

/* Freed without finish: what is queued is still delivered (and freed), no control runs. */
static void test_free_drains(void)
{
	static struct log lg;
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_worker *w;
	long i;

	log_init(&lg);
	w = ct_worker_new(1000, &ops, &lg, errbuf);
	CHECK(w != NULL);
	if (w == NULL)
		return;
	for (i = 0; i < 500; i++)
		ct_worker_put(w, box(i));
	ct_worker_free(w);
	CHECK_INT(lg.n, 500);
	CHECK_INT(lg.v[499], 499);
	log_fini(&lg);
	ct_worker_free(NULL);
}

int main(void)
{
	test_order();
	test_backpressure();
	test_control_result();
	test_free_drains();
	return TEST_REPORT();
}
