/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statistics for humans (src/stats.c): the counters printout at the end of
 * a run (-s) and the periodic status line of a long capture, formatted from
 * snapshots (ct_engine_get_stats, ct_sinkset_get_stats).  The engine only
 * counts; when to print is the driver's business.
 */
#ifndef CALLTAP_STATS_H
#define CALLTAP_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/engine.h"
#include "calltap/sinkset.h"

/* Prints every non-zero counter, one per line (sinks NULL: no sink rows). */
void ct_stats_print(const struct ct_engine_stats *es, const struct ct_sinkset_stats *sinks,
    FILE *out);

/*
 * The status line's schedule and the base of its rates (previous line).
 * A live capture runs it on capture time (ct_stats_line_init, _due,
 * _print); a file replay on the wall clock (ct_stats_line_start, _due_at,
 * _print_read), since capture time says nothing of how far reading got.
 */
struct ct_stats_line {
	int64_t interval_us;     /* time between lines; 0 = never due */
	int64_t next_us;         /* INT64_MIN until the first tick */
	int64_t prev_us;         /* time of the previous line (0 = none) */
	uint64_t prev_frames;
	uint64_t prev_calls;     /* calls started at the previous line */
	uint64_t prev_bytes;     /* files: input bytes read at the previous line */
};

/* How far a file replay got: bytes of its inputs (ct_inputs_progress). */
struct ct_stats_input {
	uint64_t done;     /* read so far (a compressed file's own bytes) */
	uint64_t total;    /* of all inputs; 0 = not known (standard input) */
};

void ct_stats_line_init(struct ct_stats_line *l, int64_t interval_us);
/*
 * Called on each engine tick with the snapshot: true when a line is due
 * (interval_us of capture time since the previous one; the first tick only
 * starts the clock).  The caller then prints it with ct_stats_line_print.
 */
bool ct_stats_line_due(struct ct_stats_line *l, const struct ct_engine_stats *es);
/* Prints one status line (rates since the previous line), then makes this one the base. */
void ct_stats_line_print(struct ct_stats_line *l, const struct ct_engine_stats *es, FILE *out);

/*
 * File replays: starts the wall-clock schedule at now_us (monotonic
 * microseconds, when reading begins: no frame, no byte read yet).
 */
void ct_stats_line_start(struct ct_stats_line *l, int64_t now_us);
/* Files: true when interval_us of wall time passed since the previous line (or the start). */
bool ct_stats_line_due_at(const struct ct_stats_line *l, int64_t now_us);
/*
 * Files: one status line at wall time now_us: packets (and packets/s of
 * wall time since the previous line), calls in progress, started, ended,
 * written, evicted, refused, RTP, injected, SIP, the megabytes read (of the
 * total and the percent when known) and their rate, then the capture time
 * reached.  No drops: a file has none.  Then makes this line the base.
 */
void ct_stats_line_print_read(struct ct_stats_line *l, const struct ct_engine_stats *es,
    const struct ct_stats_input *in, int64_t now_us, FILE *out);

#endif
