/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --threads N (pipeline.h): the engine behind N - 1 worker threads.
 *
 * The calling thread (the engine's) copies each frame into the batch it is
 * filling (PL_FRAMES frames or PL_BYTES bytes) and decodes it there
 * (ct_engine_prepare_decode); a full batch that holds SIP over UDP is
 * handed to its worker (batch k to worker k mod W: each worker takes its
 * batches in order), which does the SIP work of those frames
 * (ct_engine_prepare_sip: the pre-scan, and the libosip2 parse the engine
 * would make).  The calling thread then gives the engine the batches
 * strictly in the order they were filled, frame by frame
 * (ct_engine_frame_pre), so every stateful stage sees exactly the frame
 * sequence of a single thread and the records, their order and the
 * counters are the same for any N (tests/threads.sh compares them).
 *
 * Why the decode stays on the calling thread: handing a frame to another
 * core moves its cache lines (the frame, the decoded packet) between the
 * cores, which costs more than decoding it (about 35 ns): a first version
 * that decoded on the workers doubled the CPU time on a trunk capture.  A
 * SIP message's pre-scan and parse (microseconds) pay for the move.
 *
 * A ring of W * PL_RING_PER_WORKER batches bounds the memory and the read
 * ahead; when the ring is full the calling thread hands the oldest batch
 * to the engine, preparing it itself when its worker has not started it
 * (prepared_here); when the worker is in the middle of it (waits), the
 * calling thread prepares a later batch no worker has started meanwhile,
 * and sleeps only when there is none.  One mutex guards the batch states; the calling thread takes it
 * once per batch, never per frame.
 *
 * What scales: the SIP pre-scan and parse run on W threads; the decode,
 * calls, streams, reassembly, legs, history and the record hand-off stay on
 * one thread, which bounds the rate (README, "Several cores").
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/err.h"
#include "calltap/pipeline.h"
#include "calltap/thread.h"

#define PL_FRAMES 256               /* frames per batch */
#define PL_BYTES (64 * 1024)        /* frame bytes per batch (a bigger frame grows it) */
#define PL_RING_PER_WORKER 4        /* batches in flight per worker */
#define PL_SIP_SUBMIT 32            /* a batch with this many SIP messages goes at once */
#define PL_LIVE_HOLD_NS 20000000L   /* live: a partial batch is handed on after 20 ms */

enum pl_state {
	PL_FREE = 0,   /* the calling thread's: empty or being filled */
	PL_FILLED,     /* handed over, waiting for its worker */
	PL_BUSY,       /* being prepared */
	PL_DONE        /* prepared: the engine takes it next in turn */
};

struct pl_batch {
	uint64_t seq;                   /* its place in the filling order */
	enum pl_state state;            /* under mu */
	size_t n;                       /* frames */
	size_t n_sip;                   /* of which SIP over UDP (work for the worker) */
	bool want_sip[PL_FRAMES];
	size_t used, cap;               /* bytes of buf */
	uint8_t *buf;
	struct ct_frame f[PL_FRAMES];   /* data points into buf */
	struct ct_engine_pre pre[PL_FRAMES];
	struct ct_engine_pre_sip *sip;  /* PL_FRAMES slots for parses made in advance */
	struct timespec t0;             /* live: when its first frame came */
};

/* Under mu; the calling thread may peek without it (ready()). */
static inline void set_state(struct pl_batch *b, enum pl_state v)
{
	__atomic_store_n(&b->state, v, __ATOMIC_RELEASE);
}

struct pl_worker {
	struct ct_pipeline *p;
	unsigned idx;
	pthread_t th;
	pthread_cond_t cv;              /* a batch was handed over, or stop */
	bool started;
};

struct ct_pipeline {
	struct ct_engine *e;
	size_t batch_frames;            /* frames per batch: PL_FRAMES (CALLTAP_PIPELINE_FRAMES: tests) */
	int64_t cpu0_ns;                /* the calling thread's CPU time at the start */
	unsigned nw;                    /* workers */
	size_t nb;                      /* batches in the ring */
	struct pl_batch *ring;
	struct pl_worker *w;
	pthread_mutex_t mu;
	pthread_cond_t done_cv;         /* a batch is prepared (the calling thread waits) */
	bool waiting;                   /* the calling thread waits on done_cv */
	bool stop;
	bool joined;                    /* ct_pipeline_stop ran */
	uint64_t submitted;             /* batches handed over (under mu) */
	uint64_t fill_seq;              /* the batch being filled */
	uint64_t proc_seq;              /* the next batch the engine takes */
	bool live;
	struct ct_pipeline_stats st;
};

static void prepare(struct ct_pipeline *p, struct pl_batch *b)
{
	size_t i, j = 0;

	for (i = 0; i < b->n; i++)
		if (b->want_sip[i])
			ct_engine_prepare_sip(p->e, &b->pre[i], &b->sip[j++]);
}

/* CPU time of the calling thread, ns. */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A worker: prepares batches idx, idx + W, ... as they are handed over. */
static void *worker_main(void *arg)
{
	struct pl_worker *w = arg;
	struct ct_pipeline *p = w->p;
	uint64_t next = w->idx;

	ct_thread_name("ct-sip-scan");
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct pl_batch *b;

		while (!p->stop && p->submitted <= next)
			pthread_cond_wait(&w->cv, &p->mu);
		if (p->submitted <= next)
			break;   /* stopped, nothing left */
		b = &p->ring[next % p->nb];
		next += p->nw;
		if (b->state != PL_FILLED || b->seq != next - p->nw)
			continue;   /* the calling thread prepared it itself */
		set_state(b, PL_BUSY);
		pthread_mutex_unlock(&p->mu);
		prepare(p, b);
		pthread_mutex_lock(&p->mu);
		set_state(b, PL_DONE);
		if (p->waiting)
			pthread_cond_signal(&p->done_cv);
	}
	p->st.worker_cpu_ns += thread_cpu_ns();
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* Hands the engine the frames of batch b (prepared), then empties it. */
static bool engine_take(struct ct_pipeline *p, struct pl_batch *b)
{
	bool ticked = false;
	size_t i;

	for (i = 0; i < b->n; i++) {
		if (ct_engine_frame_pre(p->e, &b->f[i], &b->pre[i]))
			ticked = true;
		ct_engine_pre_fini(&b->pre[i]);
	}
	p->st.batches++;
	p->st.frames += b->n;
	b->n = 0;
	b->n_sip = 0;
	b->used = 0;
	pthread_mutex_lock(&p->mu);
	set_state(b, PL_FREE);
	pthread_mutex_unlock(&p->mu);
	p->proc_seq++;
	return ticked;
}

/*
 * Hands the engine the oldest batch handed over: when it is prepared, or
 * (wait) after preparing it here or waiting for its worker.  Returns false
 * in *took when it was not ready and wait is off.
 */
static bool take_oldest(struct ct_pipeline *p, bool wait, bool *took)
{
	struct pl_batch *b = &p->ring[p->proc_seq % p->nb];
	bool here = false;

	*took = false;
	pthread_mutex_lock(&p->mu);
	if (b->state != PL_DONE && !wait) {
		pthread_mutex_unlock(&p->mu);
		return false;
	}
	if (b->state == PL_FILLED) {
		set_state(b, PL_BUSY);
		here = true;
	} else if (b->state == PL_BUSY) {
		p->st.waits++;
		while (b->state != PL_DONE) {
			/* rather than wait, a later batch no worker has started */
			struct pl_batch *o = NULL;
			uint64_t k;

			for (k = p->proc_seq + 1; k < p->fill_seq && o == NULL; k++)
				if (p->ring[k % p->nb].state == PL_FILLED)
					o = &p->ring[k % p->nb];
			if (o != NULL) {
				set_state(o, PL_BUSY);
				pthread_mutex_unlock(&p->mu);
				prepare(p, o);
				pthread_mutex_lock(&p->mu);
				set_state(o, PL_DONE);
				p->st.prepared_here++;
				continue;
			}
			p->waiting = true;
			pthread_cond_wait(&p->done_cv, &p->mu);
			p->waiting = false;
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (here) {
		prepare(p, b);
		p->st.prepared_here++;
	}
	*took = true;
	return engine_take(p, b);
}

/* Hands the batch being filled to its worker and starts the next one. */
static bool submit(struct ct_pipeline *p)
{
	struct pl_batch *b = &p->ring[p->fill_seq % p->nb];
	bool ticked = false, took = true;

	pthread_mutex_lock(&p->mu);
	b->seq = p->fill_seq;
	p->submitted = p->fill_seq + 1;
	if (b->n_sip == 0) {   /* decoded already: nothing for a worker */
		set_state(b, PL_DONE);
	} else {
		set_state(b, PL_FILLED);
		pthread_cond_signal(&p->w[p->fill_seq % p->nw].cv);
	}
	pthread_mutex_unlock(&p->mu);
	p->fill_seq++;
	/* what is ready, without waiting; then room for the next batch */
	while (took && p->proc_seq < p->fill_seq)
		if (take_oldest(p, false, &took))
			ticked = true;
	while (p->fill_seq - p->proc_seq >= p->nb)
		if (take_oldest(p, true, &took))
			ticked = true;
	return ticked;
}

bool ct_pipeline_drain(struct ct_pipeline *p)
{
	bool ticked = false, took;

	if (p->ring[p->fill_seq % p->nb].n > 0 && submit(p))
		ticked = true;
	while (p->proc_seq < p->fill_seq)
		if (take_oldest(p, true, &took))
			ticked = true;
	return ticked;
}

static int64_t ns_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)(now.tv_sec - t0->tv_sec) * 1000000000 + (now.tv_nsec - t0->tv_nsec);
}

/* True when the oldest batch handed over is prepared (a peek: take_oldest checks under mu). */
static inline bool ready(const struct ct_pipeline *p)
{
	return p->proc_seq < p->fill_seq &&
	    __atomic_load_n(&p->ring[p->proc_seq % p->nb].state, __ATOMIC_ACQUIRE) == PL_DONE;
}

/*
 * The frame is decoded here first.  While no batch waits for a worker and
 * the frame is not SIP over UDP, the engine takes it at once, from the
 * caller's buffer (no copy: a trunk's RTP mostly goes this way).  Else it
 * is copied into the batch being filled (its decoded pointers moved with
 * it); a batch that gets a SIP message is handed to a worker at once, and
 * the frames behind it queue until it is prepared.
 */
bool ct_pipeline_frame(struct ct_pipeline *p, const struct ct_frame *f)
{
	struct pl_batch *b = &p->ring[p->fill_seq % p->nb];
	struct ct_engine_pre pre;
	bool ticked = false, sip, took = true;
	size_t i;

	sip = ct_engine_prepare_decode(p->e, f, &pre);
	if (!sip && b->n == 0 && p->proc_seq == p->fill_seq) {
		p->st.direct++;
		return ct_engine_frame_pre(p->e, f, &pre);
	}
	if (b->n == p->batch_frames || (b->n > 0 && b->cap - b->used < f->caplen)) {
		ticked = submit(p);
		b = &p->ring[p->fill_seq % p->nb];
	}
	if (b->cap < f->caplen) {   /* an empty batch: its buffer may move */
		uint8_t *nbuf = realloc(b->buf, f->caplen);

		if (nbuf == NULL) {   /* no room: the engine takes it directly, in order */
			if (ct_pipeline_drain(p))
				ticked = true;
			return ct_engine_frame_pre(p->e, f, &pre) || ticked;
		}
		b->buf = nbuf;
		b->cap = f->caplen;
	}
	i = b->n;
	b->f[i] = *f;
	b->f[i].data = b->buf + b->used;
	if (f->caplen > 0)
		memcpy(b->buf + b->used, f->data, f->caplen);
	b->used += f->caplen;
	b->pre[i] = pre;   /* the decoded packet points into f->data: moved to the copy */
	b->pre[i].pkt.data = b->f[i].data;
	if (pre.pkt.payload != NULL)
		b->pre[i].pkt.payload = b->f[i].data + (pre.pkt.payload - f->data);
	b->want_sip[i] = sip;
	b->n++;
	if (p->live && i == 0)
		clock_gettime(CLOCK_MONOTONIC, &b->t0);
	if (sip && ++b->n_sip == PL_SIP_SUBMIT)
		return submit(p) || ticked;   /* enough work for a worker to start on */
	if (p->live && i > 0 && ns_since(&b->t0) >= PL_LIVE_HOLD_NS)
		return submit(p) || ticked;
	/* the batches before it prepared: the engine takes them, and this one */
	if (ready(p)) {
		while (took && p->proc_seq < p->fill_seq)
			if (take_oldest(p, false, &took))
				ticked = true;
		if (p->proc_seq == p->fill_seq && submit(p))
			ticked = true;
	}
	return ticked;
}

void ct_pipeline_get_stats(struct ct_pipeline *p, struct ct_pipeline_stats *st)
{
	pthread_mutex_lock(&p->mu);
	*st = p->st;
	pthread_mutex_unlock(&p->mu);
	st->engine_cpu_ns = thread_cpu_ns() - p->cpu0_ns;
}

void ct_pipeline_stop(struct ct_pipeline *p)
{
	bool all = true;
	size_t i;

	if (p->w == NULL || p->joined)
		return;
	for (i = 0; i < p->nw; i++)
		all = all && p->w[i].started;
	if (all)
		(void)ct_pipeline_drain(p);
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	for (i = 0; i < p->nw; i++)
		pthread_cond_signal(&p->w[i].cv);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->nw; i++)
		if (p->w[i].started)
			pthread_join(p->w[i].th, NULL);
	p->joined = true;
}

void ct_pipeline_free(struct ct_pipeline *p)
{
	size_t i;

	if (p == NULL)
		return;
	ct_pipeline_stop(p);
	if (p->w != NULL) {
		for (i = 0; i < p->nw; i++)
			pthread_cond_destroy(&p->w[i].cv);
		free(p->w);
	}
	if (p->ring != NULL) {
		for (i = 0; i < p->nb; i++) {
			size_t k;

			for (k = 0; k < p->ring[i].n; k++)   /* never handed to the engine */
				ct_engine_pre_fini(&p->ring[i].pre[k]);
			free(p->ring[i].buf);
			free(p->ring[i].sip);
		}
		free(p->ring);
	}
	pthread_cond_destroy(&p->done_cv);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

struct ct_pipeline *ct_pipeline_new(struct ct_engine *e, unsigned workers, bool live,
    char *errbuf)
{
	struct ct_pipeline *p;
	const char *env;
	size_t i;

	if (workers < 1 || workers > CT_PIPELINE_MAX_WORKERS) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--threads: 2 to %d", CT_PIPELINE_MAX_WORKERS + 1);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL)
		goto nomem;
	p->e = e;
	p->nw = workers;
	p->batch_frames = PL_FRAMES;
	if ((env = getenv("CALLTAP_PIPELINE_FRAMES")) != NULL && atoi(env) >= 1 &&
	    atoi(env) <= PL_FRAMES)
		p->batch_frames = (size_t)atoi(env);
	p->cpu0_ns = thread_cpu_ns();
	p->nb = (size_t)workers * PL_RING_PER_WORKER;
	p->live = live;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->done_cv, NULL);
	if ((p->ring = calloc(p->nb, sizeof(*p->ring))) == NULL)
		goto nomem;
	for (i = 0; i < p->nb; i++) {
		struct pl_batch *b = &p->ring[i];

		b->cap = PL_BYTES;
		if ((b->buf = malloc(b->cap)) == NULL ||
		    (b->sip = calloc(PL_FRAMES, sizeof(*b->sip))) == NULL)
			goto nomem;
	}
	if ((p->w = calloc(workers, sizeof(*p->w))) == NULL)
		goto nomem;
	for (i = 0; i < workers; i++)
		pthread_cond_init(&p->w[i].cv, NULL);
	for (i = 0; i < workers; i++) {
		p->w[i].p = p;
		p->w[i].idx = (unsigned)i;
		if (ct_thread_start(&p->w[i].th, worker_main, &p->w[i]) != 0) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "cannot start the analysis threads");
			ct_pipeline_free(p);
			return NULL;
		}
		p->w[i].started = true;
	}
	return p;
nomem:
	snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory for the analysis threads");
	ct_pipeline_free(p);
	return NULL;
}
