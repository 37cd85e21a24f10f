/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --threads N: the engine fed by a pipeline (src/pipeline.c).  Frames are
 * copied into batches; N-1 worker threads do the work that depends on a
 * frame alone (ct_engine_prepare: the decode, and libosip2 parses made in
 * advance), and the calling thread hands the prepared frames to the engine
 * in capture order.  Every stage that keeps state (reassembly, calls,
 * streams, PBX legs, history, recordings, records) stays on the calling
 * thread, so records and counters are those of ct_engine_frame alone.
 */
#ifndef CALLTAP_PIPELINE_H
#define CALLTAP_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "calltap/engine.h"
#include "calltap/source.h"

struct ct_pipeline;

struct ct_pipeline_stats {
	uint64_t batches;          /* batches handed to the engine */
	uint64_t frames;           /* frames handed to the engine in batches */
	uint64_t direct;           /* frames the engine took at once (nothing queued, not SIP) */
	uint64_t prepared_here;    /* batches the engine's thread prepared itself (workers behind) */
	uint64_t waits;            /* times the engine's thread waited for a worker */
	int64_t engine_cpu_ns;     /* CPU time of the engine's thread since ct_pipeline_new */
	int64_t worker_cpu_ns;     /* CPU time of the workers that ended (ct_pipeline_free) */
};

/* The most worker threads (--threads N: N - 1 workers). */
#define CT_PIPELINE_MAX_WORKERS 63

/*
 * A pipeline in front of e (borrowed) with `workers` threads (1 ..
 * CT_PIPELINE_MAX_WORKERS).  live: a partial batch is handed on after
 * 20 ms of wall time, so a quiet link does not hold frames back.  NULL
 * with a message in errbuf (CT_ERRBUF_SIZE) on failure.
 */
struct ct_pipeline *ct_pipeline_new(struct ct_engine *e, unsigned workers, bool live,
    char *errbuf);
/*
 * Takes frame f (copied; borrowed for the call) and hands the engine every
 * frame that is ready.  True when expiry ran in the engine meanwhile
 * (ct_engine_frame's tick).  Out of memory: the frame goes to the engine
 * directly, after everything before it.
 */
bool ct_pipeline_frame(struct ct_pipeline *p, const struct ct_frame *f);
/*
 * Hands the engine every frame taken so far and returns when it has them
 * all: call it before anything else talks to the engine (the clock, drops,
 * a new input, finish).  True when expiry ran.
 */
bool ct_pipeline_drain(struct ct_pipeline *p);
/* Its counters; the workers' CPU time once they ended (ct_pipeline_stop). */
void ct_pipeline_get_stats(struct ct_pipeline *p, struct ct_pipeline_stats *st);
/* Drains and stops the workers (idempotent); the engine is the caller's alone after. */
void ct_pipeline_stop(struct ct_pipeline *p);
/* Stops (ct_pipeline_stop) and frees the pipeline (not the engine).  NULL is a no-op. */
void ct_pipeline_free(struct ct_pipeline *p);

#endif
