/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sink set: every output of a run, in the order they were added.  It
 * is the one place that runs sinks: it fans each finished call record (and
 * each orphan RTP stream) out to the sinks that take it, makes them durable
 * on a one-second wall-clock timer, reopens them on SIGHUP (flushes those
 * with nothing to reopen) and closes them.  A sink that fails is reported
 * once through the owner's log (log.h) and skipped from then on (a reopen
 * gives it another chance); the others still get every record.  The engine
 * only hands it records, call-start events and orphan streams
 * (ct_sinkset_put, ct_sinkset_put_start, ct_sinkset_orphan); the caller
 * owns it and drives the rest.  Once ct_sinkset_start ran, the sinks run on
 * the set's own output thread (sinkset.c); the set's functions are still
 * called from one thread at a time.
 */
#ifndef CALLTAP_SINKSET_H
#define CALLTAP_SINKSET_H

#include <stdbool.h>
#include <stdint.h>

#include "calltap/record.h"
#include "calltap/sink.h"

#define CT_SINKSET_MAX 16   /* sinks in one set at most */

/*
 * Entries queued for one output thread at most.  A lane stalls while its
 * sink makes data durable: an SQLite commit with its WAL fsync and
 * checkpoint takes tens of ms, longer under load; 1,024 entries were
 * about 10 ms of an INVITE flood replayed from a file (the SQLite lane
 * made the capture thread wait 650-730 times on the 400k-INVITE mix).
 * 16,384 entries hold about 150 ms of that, many seconds of a live
 * flood; memory: the records waiting (about 1.5 KB each, shared by the
 * lanes), 8 MB more peak RSS on that mix, and CT_SINKSET_BYTES at most.
 * Wall clock of the mix, every output on, median of 6: 3.78 s with 4,096,
 * 3.60 s with 16,384; 3.92 s with 1,024 (before the write-back change).
 */
#define CT_SINKSET_QUEUE 16384
#define CT_SINKSET_BYTES (64u << 20) /* memory of the records queued, at most (sinkset.c) */

struct ct_sinkset;
struct ct_attr;

struct ct_sinkset_stats {
	uint64_t records;    /* call records handed in */
	uint64_t orphans;    /* orphan streams handed in */
	uint64_t errors;     /* sink failures (write, flush, reopen, close) */
	uint64_t queue_waits; /* hand-offs that waited for room in the output queue */
	uint64_t lost;        /* call-start events / orphan streams lost for want of memory */
	uint64_t queue_peak;  /* most entries queued at once */
};

/*
 * An empty set.  Sink failures are reported through log (log.h; copied; NULL
 * or no fn: not reported, only counted), which every sink added also gets
 * unless its args name another.  NULL when out of memory.
 */
struct ct_sinkset *ct_sinkset_new(const struct ct_log *log);
/* How often a failed file or database output is reopened (sinkset.c: RETRY_US). */
void ct_sinkset_set_retry(struct ct_sinkset *s, int64_t every_us);
/* Opens a sink and appends it; CT_OK, or CT_ERR with the sink's message in errbuf. */
int ct_sinkset_add(struct ct_sinkset *s, const struct ct_sink_ops *ops,
    const struct ct_sink_args *args, char *errbuf);
/* Hands every call store (ops->attach_history) to the attribution stage a. */
int ct_sinkset_attach_history(struct ct_sinkset *s, struct ct_attr *a, char *errbuf);
/* Starts the output thread: every sink op runs there from now on (see sinkset.c). */
int ct_sinkset_start(struct ct_sinkset *s);
/* Hands over a finished record (owned from now on): queued, or written and freed. */
void ct_sinkset_put(struct ct_sinkset *s, struct ct_call_record *rec);
/*
 * Frees the records every output thread is done with (they wait for the
 * thread that puts them: put, the timed flush and close do this too);
 * returns how many.  The putting thread only.
 */
size_t ct_sinkset_free_retired(struct ct_sinkset *s);
/* Hands over a call-start event (owned from now on), as ct_sinkset_put. */
void ct_sinkset_put_start(struct ct_sinkset *s, struct ct_call_record *rec);
/* True when a sink takes orphan streams. */
bool ct_sinkset_wants_orphans(const struct ct_sinkset *s);
/* True when a sink takes call-start events (ops->call_start). */
bool ct_sinkset_wants_start(const struct ct_sinkset *s);

/* The hand-off: one finished call record / one orphan stream to every sink that takes it. */
void ct_sinkset_write(struct ct_sinkset *s, const struct ct_call_record *rec);
void ct_sinkset_orphan(struct ct_sinkset *s, const struct ct_stream_stats *st);

/* Flushes every healthy sink; CT_OK, or CT_ERR when one failed. */
int ct_sinkset_flush(struct ct_sinkset *s);
/* The durability timer: flushes the sinks written to, at most once per second of mono_us. */
int ct_sinkset_flush_due(struct ct_sinkset *s, int64_t mono_us);
/* When that flush will have work (monotonic us), INT64_MAX when nothing waits. */
int64_t ct_sinkset_next_flush(const struct ct_sinkset *s);
/* SIGHUP: reopens every sink that has a target to reopen, flushes the others. */
int ct_sinkset_reopen(struct ct_sinkset *s);
/* Closes every sink; CT_OK, or CT_ERR when any sink failed at any point. */
int ct_sinkset_close(struct ct_sinkset *s);
void ct_sinkset_get_stats(const struct ct_sinkset *s, struct ct_sinkset_stats *st);

/* One sink's record counters (--metrics). */
struct ct_sink_stats {
	const char *name;     /* ops->name: "json", "sqlite", ... (static) */
	bool takes_records;   /* has a write op */
	uint64_t written;     /* records written */
	uint64_t failed;      /* records its write failed, or skipped while it was failed */
};
/* How many sinks the set holds (fixed once started). */
size_t ct_sinkset_count(const struct ct_sinkset *s);
/* Sink i's counters (i < count); safe from any thread (atomic reads). */
void ct_sinkset_sink_stats(const struct ct_sinkset *s, size_t i, struct ct_sink_stats *st);
/* Frees the set (closing what is still open, without reporting). NULL is a no-op. */
void ct_sinkset_free(struct ct_sinkset *s);

#endif
