/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --metrics ADDR:PORT: a Prometheus text exposition endpoint (format 0.0.4,
 * GET /metrics) on its own thread (src/metrics.c).  What it serves comes
 * from two places, both copied under the object's mutex:
 *  - the call records, through the metrics sink (ct_sink_metrics, added to
 *    the sink set with args.ctx = the struct ct_metrics): dispositions,
 *    talk time and the per-call histograms, updated on the output thread;
 *  - a snapshot of the engine and sink set counters the driver publishes
 *    once per engine tick (ct_metrics_publish), never blocking on a client.
 * Metric names and meanings: calltap(1), METRICS.
 */
#ifndef CALLTAP_METRICS_H
#define CALLTAP_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/engine.h"
#include "calltap/sink.h"
#include "calltap/sinkset.h"

struct ct_metrics;

/*
 * Binds ADDR:PORT (a host name or IPv4 address, or [IPv6]:PORT), listens
 * and starts the server thread.  sensor: the label value on every metric.
 * NULL with a message naming addr in errbuf (bad address, bind failure).
 */
struct ct_metrics *ct_metrics_new(const char *addr, const char *sensor, char *errbuf);
/* The bound port (useful with port 0). */
unsigned ct_metrics_port(const struct ct_metrics *m);
/*
 * Copies the engine's and the sink set's counters into what the server
 * reads (a mutex held for a memcpy; the capture thread never waits on I/O).
 */
void ct_metrics_publish(struct ct_metrics *m, const struct ct_engine_stats *es,
    const struct ct_sinkset *sinks);
/*
 * The exposition text (tests): appends it to b.  CT_OK or CT_NOMEM.
 */
int ct_metrics_render(struct ct_metrics *m, struct ct_buf *b);
/* Stops the thread, closes every socket, frees m.  NULL is a no-op. */
void ct_metrics_free(struct ct_metrics *m);

/* The sink that feeds a struct ct_metrics (args->ctx) from the call records. */
extern const struct ct_sink_ops ct_sink_metrics;

#endif
