/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sink set (include/calltap/sinkset.h): fan-out, the durability timer,
 * SIGHUP reopen and close for every output of a run.  It knows sinks only
 * by their ops (sink.h): what a sink can do is which ops it has, never its
 * name or address.  Failure policy: a sink whose write, flush or reopen
 * fails is reported once (message callback) and skipped until a reopen
 * succeeds; the others go on, and close reports CT_ERR for the run.
 * Workload: one call per finished call record and per sink (a few thousand
 * a second at most); the timer costs one comparison per frame.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/sinkset.h"

#define FLUSH_INTERVAL_US INT64_C(1000000) /* sinks are made durable this often (wall time) */

struct sink {
	const struct ct_sink_ops *ops;
	void *priv;      /* NULL once closed */
	bool failed;     /* a write, flush or reopen failed: skipped until a reopen works */
	bool dirty;      /* written since its last flush */
};

struct ct_sinkset {
	struct sink sinks[CT_SINKSET_MAX];
	size_t n;
	int64_t next_flush_us;   /* monotonic time of the next timed flush */
	struct ct_log log;       /* where failures are reported; handed to every sink */
	struct ct_sinkset_stats st;
};

struct ct_sinkset *ct_sinkset_new(const struct ct_log *log)
{
	struct ct_sinkset *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	if (log != NULL)
		s->log = *log;
	return s;
}

/* Reports one sink failure (counted in errors). */
static void report(struct ct_sinkset *s, const char *text)
{
	s->st.errors++;
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
	errbuf[0] = '\0';
	k->priv = ops->open(&a, errbuf);
	if (k->priv == NULL)
		return CT_ERR;
	k->ops = ops;
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

/* Marks k failed after a failed op and reports errbuf once. */
static void sink_failed(struct ct_sinkset *s, struct sink *k, const char *errbuf)
{
	k->failed = true;
	report(s, errbuf[0] != '\0' ? errbuf : "an output failed");
}

/*
 * The hand-off of one finished call record: written to every healthy sink
 * that takes call records, in the order they were added.  rec is borrowed.
 */
void ct_sinkset_write(struct ct_sinkset *s, const struct ct_call_record *rec)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	s->st.records++;
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->write == NULL)
			continue;
		errbuf[0] = '\0';
		if (k->ops->write(k->priv, rec, errbuf) != CT_OK)
			sink_failed(s, k, errbuf);
		else
			k->dirty = true;
	}
}

/*
 * A call has just started (its first INVITE): rec (borrowed; no end, no
 * streams) goes to every healthy sink that takes call-start events, as
 * ct_sinkset_write.
 */
void ct_sinkset_call_start(struct ct_sinkset *s, const struct ct_call_record *rec)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->call_start == NULL)
			continue;
		errbuf[0] = '\0';
		if (k->ops->call_start(k->priv, rec, errbuf) != CT_OK)
			sink_failed(s, k, errbuf);
		else
			k->dirty = true;
	}
}

/* The hand-off of one orphan RTP stream: as ct_sinkset_write, to the sinks that take them. */
void ct_sinkset_orphan(struct ct_sinkset *s, const struct ct_stream_stats *st)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	s->st.orphans++;
	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->write_orphan == NULL)
			continue;
		errbuf[0] = '\0';
		if (k->ops->write_orphan(k->priv, st, errbuf) != CT_OK)
			sink_failed(s, k, errbuf);
		else
			k->dirty = true;
	}
}

/* Flushes every healthy sink (only_dirty: those written since their last flush). */
static int flush_sinks(struct ct_sinkset *s, bool only_dirty)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->failed || k->ops->flush == NULL || (only_dirty && !k->dirty))
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
	return flush_sinks(s, false);
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
	if (mono_us < s->next_flush_us)
		return CT_OK;
	s->next_flush_us = mono_us + FLUSH_INTERVAL_US;
	return flush_sinks(s, true);
}

/*
 * SIGHUP after log rotation: every sink with a reopen op reopens its target
 * by name (text files in append mode, SQLite its database), which also
 * gives a sink that failed earlier another chance; the others (a
 * connection, a spool, standard output inside the text sinks) are only
 * flushed.  Returns CT_OK, or CT_ERR when any sink could not be reopened
 * (reported; it is skipped until a later reopen works; the others go on).
 */
int ct_sinkset_reopen(struct ct_sinkset *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

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
		k->failed = false;
	}
	return rc;
}

/*
 * Closes every sink (each flushes and releases what it holds; the network
 * sinks deliver for a bounded time).  A close failure is reported unless
 * the sink already failed.  Returns CT_OK, or CT_ERR when any sink failed
 * at any point of the run.
 */
int ct_sinkset_close(struct ct_sinkset *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct sink *k = &s->sinks[i];

		if (k->priv == NULL)
			continue;
		errbuf[0] = '\0';
		if (k->ops->close(k->priv, errbuf) != CT_OK && !k->failed)
			sink_failed(s, k, errbuf);
		k->priv = NULL;
	}
	return s->st.errors != 0 ? CT_ERR : CT_OK;
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
	*st = s->st;
}

void ct_sinkset_free(struct ct_sinkset *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		if (s->sinks[i].priv != NULL)
			s->sinks[i].ops->close(s->sinks[i].priv, errbuf);
	free(s);
}
