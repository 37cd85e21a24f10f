/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sink set (include/calltap/sinkset.h): fan-out, the durability timer,
 * SIGHUP reopen and close for every output of a run.  It knows sinks only
 * by their ops (sink.h): what a sink can do is which ops it has, never its
 * name or address.  Failure policy: a sink whose write, flush or reopen
 * fails is reported once (message callback) and skipped until a reopen
 * succeeds; the others go on, and close reports CT_ERR for the run.
 * Workload: one call per finished call record and per sink (a few thousand
 * a second at most; tens of thousands under a SIP flood); the timer costs
 * one comparison per frame.
 *
 * Threads: once ct_sinkset_start ran, every sink op runs on an output
 * thread (calltap/worker.h).  Sink i belongs to lane i % SINKSET_LANES, one
 * thread and queue per lane, so a slow output (SQLite under a SIP flood,
 * a database server) neither delays the others nor adds its time to
 * theirs: on several cores the outputs run side by side.  Records,
 * call-start events and orphan streams are queued to every lane
 * (ct_sinkset_put*, ownership passes; a reference count frees each once
 * the last lane is done with it: a record on the putting thread, see
 * retired), and the timed flush, SIGHUP's reopen and
 * the close travel through each lane's queue as control messages, so none
 * overtakes a record and the capture thread never waits for an output
 * except while CT_SINKSET_QUEUE entries are queued in a lane, or the records
 * not yet freed take CT_SINKSET_BYTES (backpressure, counted in
 * queue_waits; nothing is dropped).  A sink's failed/dirty
 * flags belong to its lane's thread; counters are atomic.  Within a lane
 * the sinks see everything in the order they were added.  Before
 * ct_sinkset_start (tests, one-shot tools) everything runs on the
 * caller's thread.
 */
#include "config.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sinkset.h"
#include "calltap/worker.h"

#define SINKSET_LANES 4      /* output threads at most */

/* Control messages of the output thread (out_control). */
enum { OUT_FLUSH_DIRTY, OUT_FLUSH_ALL, OUT_REOPEN, OUT_CLOSE };

/* A queued call-start event or orphan stream (records are queued as themselves). */
enum item_kind { IT_START, IT_ORPHAN };
struct item {
	unsigned refs;                /* lanes still holding it (atomic) */
	enum item_kind kind;
	struct ct_call_record *rec;   /* IT_START: owned */
	struct ct_stream_stats st;    /* IT_ORPHAN: a copy */
};

#define FLUSH_INTERVAL_US INT64_C(1000000) /* sinks are made durable this often (wall time) */
/*
 * A file or database output that failed (a full disk, a directory gone)
 * is reopened by name this often, so that it resumes once the cause is
 * gone instead of staying off until SIGHUP (which retries at once).
 */
#define RETRY_US INT64_C(2000000)
#define RETRY_MAX_US INT64_C(64000000) /* while reopened outputs keep failing at once */

struct sink {
	const struct ct_sink_ops *ops;
	void *priv;      /* NULL once closed */
	bool failed;     /* a write, flush or reopen failed: skipped until a reopen works */
	bool dirty;      /* written since its last flush */
	uint64_t written; /* records this sink took (atomic: read by ct_sinkset_sink_stats) */
	uint64_t refused; /* records it failed or skipped while failed (atomic, likewise) */
	int lane;        /* its output thread: lanes[lane] */
	bool retry;      /* failed: reopened by the timed flush (a file or database) */
	bool recovering; /* reopened after failing, nothing written since: quiet if it fails again */
	int64_t retry_us; /* monotonic time of the next such reopen */
	int64_t backoff_us; /* the wait before it: retry_every_us, doubled while it keeps failing */
	uint64_t refused_told; /* refused when the last recovery was reported */
	char shown[160]; /* "json output 'calls.jsonl'" (secrets masked), for messages */
};

struct ct_sinkset;

/* One output thread and the sinks whose lane it is. */
struct lane {
	struct ct_sinkset *s;
	int idx;
	struct ct_worker *w;     /* NULL: not started, or stopped */
	bool dirty;              /* entries queued since its last flush message */
};

struct ct_sinkset {
	struct sink sinks[CT_SINKSET_MAX];
	size_t n;
	int64_t next_flush_us;   /* monotonic time of the next timed flush */
	int64_t retry_every_us;  /* failed file and database outputs reopened this often (RETRY_US) */
	struct ct_log log;       /* where failures are reported; handed to every sink */
	struct lane lanes[SINKSET_LANES];
	int n_lanes;             /* output threads running; 0: the caller's thread */
	struct ct_worker_stats wst; /* the stopped threads' counters (sums; peak: the highest) */
	struct ct_sinkset_stats st;
	/*
	 * Records every lane is done with, linked by retired_next, newest
	 * first (atomic): pushed by the output threads, taken whole and freed
	 * by the caller's thread (free_retired).  A record comes from the
	 * capture thread's malloc arena and is too large for the freeing
	 * thread's cache, so an output thread freeing it took that arena's
	 * lock against the capture thread's own mallocs: under an INVITE flood
	 * that lock was contended for every record (perf: 39 % of the context
	 * switches left in a 400k-INVITE flood mix).
	 */
	struct ct_call_record *retired;
	/*
	 * Memory of the records put and not yet freed (rec_bytes; the
	 * caller's thread only: it puts and frees them), at most
	 * CT_SINKSET_BYTES: a lane behind on long calls (an hour of RTP
	 * intervals per stream, up to 64 streams: tens of KB a record) would
	 * otherwise hold CT_SINKSET_QUEUE of them.
	 */
	size_t held_bytes;
	uint64_t byte_waits;     /* puts that waited for the budget (atomic: stats) */
};

struct ct_sinkset *ct_sinkset_new(const struct ct_log *log)
{
	struct ct_sinkset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (log != NULL)
		s->log = *log;
	s->retry_every_us = RETRY_US;
	return s;
}

/*
 * How often a failed file or database output is reopened (default 2 s;
 * tests use 0).  Before ct_sinkset_start only.
 */
void ct_sinkset_set_retry(struct ct_sinkset *s, int64_t every_us)
{
	s->retry_every_us = every_us < 0 ? 0 : every_us;
}

/* Reports one sink failure (counted in errors). */
static void report(struct ct_sinkset *s, const char *text)
{
	__atomic_fetch_add(&s->st.errors, 1, __ATOMIC_RELAXED);
	ct_log(&s->log, CT_LOG_ERR, "%s", text);
}

/*
 * Opens a sink with ops on args and appends it.  Returns CT_OK, or CT_ERR
 * with the sink's message (naming its target) in errbuf; nothing is added
 * then.
 */
int ct_sinkset_add(struct ct_sinkset *s, const struct ct_sink_ops *ops,
    const struct ct_sink_args *args, char *errbuf)
{
	struct ct_sink_args a = *args;
	struct sink *k;

	if (a.log == NULL)
		a.log = &s->log;   /* the sink reports through the set's owner */
	if (s->n == CT_SINKSET_MAX) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "too many outputs (at most %d)", CT_SINKSET_MAX);
		return CT_ERR;
	}
	k = &s->sinks[s->n];
	memset(k, 0, sizeof(*k));
	k->lane = (int)(s->n % SINKSET_LANES);
	errbuf[0] = '\0';
	k->priv = ops->open(&a, errbuf);
	if (k->priv == NULL)
		return CT_ERR;
	k->ops = ops;
	/* standard output is not reopened: a closed pipe stays closed */
	k->retry = ops->reopen != NULL && a.target != NULL && strcmp(a.target, "-") != 0;
	{
		char raw[sizeof(k->shown)];

		snprintf(raw, sizeof(raw), "%s output '%s'", ops->name != NULL ? ops->name : "an",
		    a.target != NULL ? a.target : "-");
		ct_mask_secrets(k->shown, sizeof(k->shown), raw, a.target);
	}
	s->n++;
	return CT_OK;
}

/*
 * Hands every sink that is a call store (attach_history) to the attribution
 * stage a, in order: the first replays its calls into the history, each
 * gets the number pool.  a NULL: nothing to do.  CT_OK, or CT_ERR with the
 * store's message in errbuf at the first that fails.
 */
int ct_sinkset_attach_history(struct ct_sinkset *s, struct ct_attr *a, char *errbuf)
{
	size_t i;

	for (i = 0; a != NULL && i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->ops->attach_history != NULL && k->priv != NULL &&
		    k->ops->attach_history(k->priv, a, errbuf) != CT_OK)
			return CT_ERR;
	}
	return CT_OK;
}

bool ct_sinkset_wants_orphans(const struct ct_sinkset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->sinks[i].ops->write_orphan != NULL)
			return true;
	return false;
}

/* True when a sink takes call-start events (call_start). */
bool ct_sinkset_wants_start(const struct ct_sinkset *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->sinks[i].ops->call_start != NULL)
			return true;
	return false;
}

/* True when sink k is served by lane (-1: every lane, on the caller's thread). */
static inline bool in_lane(const struct sink *k, int lane)
{
	return lane < 0 || k->lane == lane;
}

/* Monotonic clock, microseconds. */
static int64_t now_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Marks k failed after a failed op and reports errbuf, unless k failed
 * again before writing anything since it was reopened (a disk still full:
 * quiet, and the next reopen waits twice as long, up to RETRY_MAX_US).
 */
static void sink_failed(struct ct_sinkset *s, struct sink *k, const char *errbuf)
{
	char msg[CT_ERRBUF_SIZE + 96];

	k->failed = true;
	if (k->recovering) {
		k->recovering = false;
		k->backoff_us = k->backoff_us * 2 < RETRY_MAX_US ? k->backoff_us * 2 : RETRY_MAX_US;
		k->retry_us = now_mono_us() + k->backoff_us;
		return;
	}
	k->backoff_us = s->retry_every_us;
	k->retry_us = now_mono_us() + k->backoff_us;
	snprintf(msg, sizeof(msg), "%s%s", errbuf[0] != '\0' ? errbuf : "an output failed",
	    k->retry ? " (records are not written to it until it works again: tried again "
	    "within seconds, and at SIGHUP)" : " (records are not written to it for the rest "
	    "of the run)");
	report(s, msg);
}

/* k was reopened after failing: told once it has written a record again. */
static void sink_reopened(struct sink *k)
{
	k->failed = false;
	k->recovering = true;
}

/*
 * Tells how many records k did not write while it failed, once it works
 * again (recovered) or at the end, when there are new ones to tell.
 */
static void tell_refused(struct ct_sinkset *s, struct sink *k, bool recovered)
{
	uint64_t n = __atomic_load_n(&k->refused, __ATOMIC_RELAXED);

	if (n == k->refused_told)
		return;
	if (recovered)
		ct_log(&s->log, CT_LOG_WARN, "%s works again; %" PRIu64 " record(s) that came while "
		    "it failed were not written to it", k->shown, n - k->refused_told);
	else
		ct_log(&s->log, CT_LOG_ERR, "%s: %" PRIu64 " record(s) that came after it failed "
		    "were not written to it", k->shown, n);
	k->refused_told = n;
}

/*
 * The timed retry of failed file and database outputs of lane (-1: all):
 * each whose time came is reopened by name and written from then on (told
 * once a record went in: sink_reopened); one whose reopen fails waits
 * twice as long (not reported again).
 */
static void retry_failed(struct ct_sinkset *s, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	int64_t now = -1;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (!k->failed || !k->retry || !in_lane(k, lane) || k->priv == NULL)
			continue;
		if (now < 0)
			now = now_mono_us();
		if (now < k->retry_us)
			continue;
		errbuf[0] = '\0';
		if (k->ops->reopen(k->priv, errbuf) != CT_OK) {
			k->backoff_us = k->backoff_us * 2 < RETRY_MAX_US ? k->backoff_us * 2 : RETRY_MAX_US;
			k->retry_us = now + k->backoff_us;
			continue;
		}
		sink_reopened(k);
	}
}

/*
 * The hand-off of one finished call record: written to every healthy sink
 * of lane (-1: all) that takes call records, in the order they were added.
 * rec is borrowed.
 */
static void do_write(struct ct_sinkset *s, const struct ct_call_record *rec, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->ops->write == NULL || !in_lane(k, lane))
			continue;
		if (k->failed) {
			__atomic_fetch_add(&k->refused, 1, __ATOMIC_RELAXED);
			continue;
		}
		errbuf[0] = '\0';
		if (k->ops->write(k->priv, rec, errbuf) != CT_OK) {
			__atomic_fetch_add(&k->refused, 1, __ATOMIC_RELAXED);
			sink_failed(s, k, errbuf);
		} else {
			__atomic_fetch_add(&k->written, 1, __ATOMIC_RELAXED);
			k->dirty = true;
			if (k->recovering) {
				k->recovering = false;
				tell_refused(s, k, true);
			}
		}
	}
}

/*
 * A call has just started (its first INVITE): rec (borrowed; no end, no
 * streams) goes to every healthy sink that takes call-start events, as
 * ct_sinkset_write.
 */
static void do_call_start(struct ct_sinkset *s, const struct ct_call_record *rec, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->call_start == NULL || !in_lane(k, lane))
			continue;
		errbuf[0] = '\0';
		if (k->ops->call_start(k->priv, rec, errbuf) != CT_OK)
			sink_failed(s, k, errbuf);
		else
			k->dirty = true;
	}
}

/* The hand-off of one orphan RTP stream: as ct_sinkset_write, to the sinks that take them. */
static void do_orphan(struct ct_sinkset *s, const struct ct_stream_stats *st, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->write_orphan == NULL || !in_lane(k, lane))
			continue;
		errbuf[0] = '\0';
		if (k->ops->write_orphan(k->priv, st, errbuf) != CT_OK)
			sink_failed(s, k, errbuf);
		else
			k->dirty = true;
	}
}

/*
 * Flushes every healthy sink of lane (-1: all; only_dirty: those written
 * since their last flush, the timed flush, which also retries the failed
 * ones: retry_failed).
 */
static int flush_sinks(struct ct_sinkset *s, bool only_dirty, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	if (only_dirty)
		retry_failed(s, lane);

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->flush == NULL || (only_dirty && !k->dirty) || !in_lane(k, lane))
			continue;
		k->dirty = false;
		errbuf[0] = '\0';
		if (k->ops->flush(k->priv, errbuf) != CT_OK) {
			sink_failed(s, k, errbuf);
			rc = CT_ERR;
		}
	}
	return rc;
}

/* Flushes every healthy sink; CT_ERR if any failed (reported, then skipped). */
int ct_sinkset_flush(struct ct_sinkset *s)
{
	int i, rc = CT_OK;

	if (s->n_lanes == 0)
		return flush_sinks(s, false, -1);
	for (i = 0; i < s->n_lanes; i++)   /* behind the queued entries, waited for */
		if (ct_worker_control(s->lanes[i].w, OUT_FLUSH_ALL, true) != CT_OK)
			rc = CT_ERR;
	return rc;
}

/*
 * When ct_sinkset_flush_due will next have work: the monotonic time of the
 * next flush when a sink was written since its last flush, INT64_MAX when
 * nothing waits.  A driver about to block on a pipe waits for input at
 * most until then and calls ct_sinkset_flush_due with it.
 */
int64_t ct_sinkset_next_flush(const struct ct_sinkset *s)
{
	size_t i;
	int j;

	if (s->n_lanes > 0) {   /* the sinks' flags belong to the output threads */
		for (j = 0; j < s->n_lanes; j++)
			if (s->lanes[j].dirty)
				return s->next_flush_us;
		return INT64_MAX;
	}
	for (i = 0; i < s->n; i++)
		if (s->sinks[i].dirty && !s->sinks[i].failed)
			return s->next_flush_us;
	return INT64_MAX;
}

/*
 * The durability timer, on wall time: the driver calls this with a
 * monotonic clock in microseconds as often as it likes (after each frame
 * and each read timeout of a live capture).  At most once per second it
 * flushes every sink written since its last flush (SQLite commits, text
 * files are fdatasync()ed, spools synced), so a crash or a power loss costs
 * at most about a second of finished calls, also when the link then goes
 * idle.  Returns CT_OK, or CT_ERR when a sink failed (reported, skipped).
 */
int ct_sinkset_flush_due(struct ct_sinkset *s, int64_t mono_us)
{
	int j;

	if (mono_us < s->next_flush_us)
		return CT_OK;
	s->next_flush_us = mono_us + FLUSH_INTERVAL_US;
	ct_sinkset_free_retired(s);
	if (s->n_lanes > 0) {
		/* Queued behind the records: never overtakes one, never waits for it. */
		for (j = 0; j < s->n_lanes; j++)
			if (s->lanes[j].dirty &&
			    ct_worker_control(s->lanes[j].w, OUT_FLUSH_DIRTY, false) == CT_OK)
				s->lanes[j].dirty = false;
		return CT_OK;
	}
	return flush_sinks(s, true, -1);
}

/* ---- the output thread ------------------------------------------------- */

static int do_reopen(struct ct_sinkset *s, int lane);
static void do_close(struct ct_sinkset *s, int lane);

/*
 * Queue entries are void pointers: a record is queued as itself (no
 * allocation per record); a call-start event or an orphan stream as a
 * struct item with the low bit of its address set (malloc'd, so aligned).
 */
#define ITEM_TAG ((uintptr_t)1)

/*
 * A lane is done with record rec: the last one hands it to the caller's
 * thread to free (s->retired; lock-free push: the taker takes the whole
 * list, so a head seen again is still a valid list to push onto).
 */
static void release_record(struct ct_sinkset *s, struct ct_call_record *rec)
{
	struct ct_call_record *head;

	if (__atomic_sub_fetch(&rec->out_refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	head = __atomic_load_n(&s->retired, __ATOMIC_RELAXED);
	do
		rec->retired_next = head;
	while (!__atomic_compare_exchange_n(&s->retired, &head, rec, true, __ATOMIC_RELEASE,
	    __ATOMIC_RELAXED));
}

/*
 * Frees the records the lanes released (s->retired); the caller's thread
 * only (the one that puts records): at each put, each timed flush and at
 * the close, so they wait at most about a second on a quiet link.
 */
size_t ct_sinkset_free_retired(struct ct_sinkset *s)
{
	struct ct_call_record *r, *next;
	size_t n = 0;

	if (__atomic_load_n(&s->retired, __ATOMIC_RELAXED) == NULL)
		return 0;
	for (r = __atomic_exchange_n(&s->retired, NULL, __ATOMIC_ACQUIRE); r != NULL; r = next) {
		next = r->retired_next;
		s->held_bytes -= r->out_bytes;
		ct_call_record_free(r);
		n++;
	}
	return n;
}

/*
 * The memory of rec, about: the record, its streams with their intervals,
 * its rings, and its strings (each capped, calltap/record.h: counted as
 * 1 KiB together).
 */
static size_t rec_bytes(const struct ct_call_record *rec)
{
	size_t n = sizeof(*rec) + 1024 + rec->n_streams * sizeof(*rec->streams) +
	    rec->n_rings * sizeof(*rec->rings);
	size_t i;

	for (i = 0; i < rec->n_streams && rec->streams != NULL; i++)
		n += rec->streams[i].n_ivals * sizeof(*rec->streams[i].ivals);
	return n;
}

/*
 * Waits (1 ms at a time, freeing what the lanes release) while the
 * records held take more than CT_SINKSET_BYTES; counted once per put in
 * byte_waits.  A lane that frees nothing for 10 s is left to the queue's
 * own bound (a put on a full queue waits there), so this never waits
 * longer than that on a stuck output.
 */
static void wait_bytes(struct ct_sinkset *s)
{
	const struct timespec ms = { 0, 1000000 };
	unsigned idle = 0;

	if (s->held_bytes <= CT_SINKSET_BYTES)
		return;
	__atomic_fetch_add(&s->byte_waits, 1, __ATOMIC_RELAXED);
	while (s->held_bytes > CT_SINKSET_BYTES && idle < 10000) {
		nanosleep(&ms, NULL);
		idle = ct_sinkset_free_retired(s) > 0 ? 0 : idle + 1;
	}
}

/* A lane is done with item it: the last one frees it. */
static void release_item(struct item *it)
{
	if (__atomic_sub_fetch(&it->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	ct_call_record_free(it->rec);
	free(it);
}

/*
 * Delivers queued entry p (a record, or a tagged item) to the sinks of
 * lane and gives up that lane's reference: on the lane's thread, or on the
 * caller's when the lane has stopped.
 */
static void deliver(struct ct_sinkset *s, void *p, int lane)
{
	struct item *it;

	if (((uintptr_t)p & ITEM_TAG) == 0) {
		do_write(s, p, lane);
		release_record(s, p);
		return;
	}
	it = (struct item *)((uintptr_t)p & ~ITEM_TAG);
	if (it->kind == IT_START)
		do_call_start(s, it->rec, lane);
	else
		do_orphan(s, &it->st, lane);
	release_item(it);
}

/* The output thread's delivery (worker ops) for lane user. */
static void out_deliver(void *user, void *p)
{
	struct lane *l = user;

	deliver(l->s, p, l->idx);
}

/* A lane's control messages, in queue order with its entries, on its thread. */
static int out_control(void *user, int op)
{
	struct lane *l = user;

	switch (op) {
	case OUT_FLUSH_DIRTY:
		return flush_sinks(l->s, true, l->idx);
	case OUT_FLUSH_ALL:
		return flush_sinks(l->s, false, l->idx);
	case OUT_REOPEN:
		return do_reopen(l->s, l->idx);
	default:
		do_close(l->s, l->idx);
		return CT_OK;
	}
}

/* Adds the counters of w to *acc (sums; peak: the highest). */
static void add_stats(struct ct_worker_stats *acc, const struct ct_worker *w)
{
	struct ct_worker_stats ws;

	ct_worker_get_stats(w, &ws);
	acc->items += ws.items;
	acc->controls += ws.controls;
	acc->waits += ws.waits;
	if (ws.peak > acc->peak)
		acc->peak = ws.peak;
}

/*
 * Starts the output threads, one per lane in use (after the sinks are
 * added and attached): from now on every sink op runs on its lane's
 * thread.  CT_OK, or CT_ERR (reported through the log) when one cannot
 * start: the sinks then keep running on the caller's thread, nothing is
 * lost.  Starting twice is a no-op.
 */
int ct_sinkset_start(struct ct_sinkset *s)
{
	static const struct ct_worker_ops ops = { out_deliver, out_control };
	char errbuf[CT_ERRBUF_SIZE];
	int i, n = s->n < SINKSET_LANES ? (int)s->n : SINKSET_LANES;

	if (s->n_lanes > 0 || s->n == 0)
		return CT_OK;
	for (i = 0; i < n; i++) {
		s->lanes[i].s = s;
		s->lanes[i].idx = i;
		s->lanes[i].dirty = false;
		s->lanes[i].w = ct_worker_new(CT_SINKSET_QUEUE, &ops, &s->lanes[i], errbuf);
		if (s->lanes[i].w == NULL) {
			ct_log(&s->log, CT_LOG_WARN, "%s; outputs are written on the capture thread",
			    errbuf);
			while (i-- > 0) {   /* nothing was queued yet */
				ct_worker_free(s->lanes[i].w);
				s->lanes[i].w = NULL;
			}
			return CT_ERR;
		}
	}
	s->n_lanes = n;
	return CT_OK;
}

/* Queues entry p for lane l's thread; false (not queued, caller delivers it) when it stopped. */
static bool enqueue(struct lane *l, void *p)
{
	if (ct_worker_put(l->w, p) != CT_OK)
		return false;
	l->dirty = true;
	return true;
}

/* An event that could not be queued for want of memory: counted and reported once. */
static void lost_event(struct ct_sinkset *s, const char *what)
{
	if (s->st.lost++ == 0)
		ct_log(&s->log, CT_LOG_ERR, "out of memory: %s not written (counted in "
		    "output_events_lost)", what);
}

/*
 * The hand-off of one finished call record, owned from now on: written
 * to every healthy sink that takes call records, in the order they were
 * added (on the output thread once started), then freed.
 */
void ct_sinkset_put(struct ct_sinkset *s, struct ct_call_record *rec)
{
	int i;

	s->st.records++;
	ct_sinkset_free_retired(s);
	if (s->n_lanes == 0) {   /* no output thread: on this thread */
		do_write(s, rec, -1);
		ct_call_record_free(rec);
		return;
	}
	wait_bytes(s);
	rec->out_refs = (unsigned)s->n_lanes;
	rec->out_bytes = rec_bytes(rec);
	s->held_bytes += rec->out_bytes;
	for (i = 0; i < s->n_lanes; i++) {
		if (!enqueue(&s->lanes[i], rec))
			deliver(s, rec, i);   /* that thread has stopped: on this one */
	}
}

/* Queues item it (refs set) to every lane; a lane that stopped gets it on this thread. */
static void put_item(struct ct_sinkset *s, struct item *it)
{
	int i;

	it->refs = (unsigned)s->n_lanes;
	for (i = 0; i < s->n_lanes; i++) {
		void *p = (void *)((uintptr_t)it | ITEM_TAG);

		if (!enqueue(&s->lanes[i], p))
			deliver(s, p, i);   /* that thread has stopped: on this one */
	}
}

/* As ct_sinkset_put for a call-start event (rec owned from now on). */
void ct_sinkset_put_start(struct ct_sinkset *s, struct ct_call_record *rec)
{
	struct item *it;

	if (s->n_lanes > 0) {
		if ((it = calloc(1, sizeof(*it))) != NULL) {
			it->kind = IT_START;
			it->rec = rec;
			put_item(s, it);
		} else {
			lost_event(s, "a call-start event");   /* never written from this thread */
			ct_call_record_free(rec);
		}
		return;
	}
	do_call_start(s, rec, -1);
	ct_call_record_free(rec);
}

/* The hand-off of one orphan RTP stream (st borrowed: copied when queued). */
void ct_sinkset_orphan(struct ct_sinkset *s, const struct ct_stream_stats *st)
{
	struct item *it;

	s->st.orphans++;
	if (s->n_lanes > 0) {
		if ((it = calloc(1, sizeof(*it))) != NULL) {
			it->kind = IT_ORPHAN;
			it->st = *st;
			put_item(s, it);
		} else {
			lost_event(s, "an orphan stream");   /* never written from this thread */
		}
		return;
	}
	do_orphan(s, st, -1);
}

/*
 * Writes rec (borrowed) to every sink on the caller's thread; only before
 * ct_sinkset_start (tests, tools): with the output thread, use
 * ct_sinkset_put.
 */
void ct_sinkset_write(struct ct_sinkset *s, const struct ct_call_record *rec)
{
	s->st.records++;
	do_write(s, rec, -1);
}

/*
 * SIGHUP after log rotation: every sink with a reopen op reopens its target
 * by name (text files in append mode, SQLite its database), which also
 * gives a sink that failed earlier another chance; the others (a
 * connection, a spool, standard output inside the text sinks) are only
 * flushed.  Returns CT_OK, or CT_ERR when any sink could not be reopened
 * (reported; it is skipped until a later reopen works; the others go on).
 */
static int do_reopen(struct ct_sinkset *s, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (!in_lane(k, lane))
			continue;
		errbuf[0] = '\0';
		if (k->ops->reopen == NULL) {
			if (!k->failed && k->ops->flush != NULL &&
			    k->ops->flush(k->priv, errbuf) != CT_OK) {
				sink_failed(s, k, errbuf);
				rc = CT_ERR;
			}
			continue;
		}
		k->dirty = false;
		if (k->ops->reopen(k->priv, errbuf) != CT_OK) {
			sink_failed(s, k, errbuf);
			rc = CT_ERR;
			continue;
		}
		if (k->failed)
			sink_reopened(k);
	}
	return rc;
}

/*
 * Closes every sink (each flushes and releases what it holds; the network
 * sinks deliver for a bounded time).  A close failure is reported unless
 * the sink already failed.  Returns CT_OK, or CT_ERR when any sink failed
 * at any point of the run.
 */
static void do_close(struct ct_sinkset *s, int lane)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->priv == NULL || !in_lane(k, lane))
			continue;
		errbuf[0] = '\0';
		if (k->ops->close(k->priv, errbuf) != CT_OK && !k->failed) {
			k->failed = true;   /* at the end: nothing follows to retry */
			report(s, errbuf[0] != '\0' ? errbuf : "an output failed");
		}
		k->priv = NULL;
		tell_refused(s, k, false);
	}
}

/*
 * SIGHUP after log rotation: every sink with a reopen op reopens its target
 * by name (do_reopen); with the output thread, queued behind the entries so
 * far and not waited for (failures are reported through the log).  CT_OK,
 * or CT_ERR when a sink could not be reopened (reported; it is skipped
 * until a later reopen works; the others go on).
 */
int ct_sinkset_reopen(struct ct_sinkset *s)
{
	int i, rc = CT_OK;

	if (s->n_lanes == 0)
		return do_reopen(s, -1);
	for (i = 0; i < s->n_lanes; i++)
		if (ct_worker_control(s->lanes[i].w, OUT_REOPEN, false) != CT_OK)
			rc = CT_ERR;
	return rc;
}

/*
 * Closes every sink (each flushes and releases what it holds; the network
 * sinks deliver for a bounded time), after the output thread delivered
 * everything queued, and stops that thread.  A close failure is reported
 * unless the sink already failed.  Returns CT_OK, or CT_ERR when any sink
 * failed at any point of the run.
 */
int ct_sinkset_close(struct ct_sinkset *s)
{
	int i;

	if (s->n_lanes > 0) {
		for (i = 0; i < s->n_lanes; i++) {
			ct_worker_finish(s->lanes[i].w, OUT_CLOSE);
			add_stats(&s->wst, s->lanes[i].w);   /* kept for ct_sinkset_get_stats */
			ct_worker_free(s->lanes[i].w);
			s->lanes[i].w = NULL;
		}
		s->n_lanes = 0;
		ct_sinkset_free_retired(s);
	} else {
		do_close(s, -1);
	}
	return __atomic_load_n(&s->st.errors, __ATOMIC_RELAXED) != 0 ? CT_ERR : CT_OK;
}

/* Opens ops on target with every other argument at its default; NULL + errbuf on failure. */
void *ct_sink_open_target(const struct ct_sink_ops *ops, const char *target, char *errbuf)
{
	struct ct_sink_args args;

	memset(&args, 0, sizeof(args));
	args.target = target;
	return ops->open(&args, errbuf);
}

void ct_sinkset_get_stats(const struct ct_sinkset *s, struct ct_sinkset_stats *st)
{
	struct ct_worker_stats ws = s->wst;
	int i;

	*st = s->st;
	st->errors = __atomic_load_n(&s->st.errors, __ATOMIC_RELAXED);
	for (i = 0; i < s->n_lanes; i++)
		add_stats(&ws, s->lanes[i].w);
	st->queue_waits = ws.waits + __atomic_load_n(&s->byte_waits, __ATOMIC_RELAXED);
	st->queue_peak = ws.peak;
}

size_t ct_sinkset_count(const struct ct_sinkset *s)
{
	return s->n;
}

/*
 * Sink i's name and record counters (i < ct_sinkset_count); atomic reads,
 * so any thread may call it while the output thread writes.  A sink that
 * takes no records reports write_ops false.
 */
void ct_sinkset_sink_stats(const struct ct_sinkset *s, size_t i, struct ct_sink_stats *st)
{
	const struct sink *k = &s->sinks[i];

	st->name = k->ops->name;
	st->takes_records = k->ops->write != NULL;
	st->written = __atomic_load_n(&k->written, __ATOMIC_RELAXED);
	st->failed = __atomic_load_n(&k->refused, __ATOMIC_RELAXED);
}

void ct_sinkset_free(struct ct_sinkset *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;
	int j;

	if (s == NULL)
		return;
	for (j = 0; j < s->n_lanes; j++)   /* ct_sinkset_close was not called: delivers what is queued */
		ct_worker_free(s->lanes[j].w);
	ct_sinkset_free_retired(s);
	for (i = 0; i < s->n; i++)
		if (s->sinks[i].priv != NULL)
			s->sinks[i].ops->close(s->sinks[i].priv, errbuf);
	free(s);
}
