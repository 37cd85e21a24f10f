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

/* The status line's schedule and the base of its rates (previous line). */
struct ct_stats_line {
	int64_t interval_us;     /* capture time between lines; 0 = never due */
	int64_t next_us;         /* INT64_MIN until the first tick */
	int64_t prev_us;         /* capture time of the previous line (0 = none) */
	uint64_t prev_frames;
	uint64_t prev_calls;     /* calls started at the previous line */
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

#endif
