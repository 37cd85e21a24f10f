/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Record sinks: const method tables (SQLite sqlite3_io_methods style).  Each
 * backend lives in src/sink/<name>.c and fills one table.  The sink set
 * (sinkset.h) fans a finished call record out to every open sink in
 * registration order, flushes them on a timer and reopens them on SIGHUP.
 */
#ifndef CALLTAP_SINK_H
#define CALLTAP_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "calltap/buf.h"
#include "calltap/log.h"
#include "calltap/record.h"

struct ct_attr;

/*
 * What a sink is opened on, as the command line gave it (main.c builds it
 * from the sink's option; every field a sink does not use is ignored).
 */
/* One sink-specific option: a long option's name (without "--") and its value. */
struct ct_sink_opt {
	const char *name;
	const char *value;
};

struct ct_sink_args {
	const char *target;     /* file path ("-" = standard output), URL or libpq conninfo */
	bool append;            /* text files: append to the file instead of truncating it */
	const char *spool_dir;  /* network sinks: where undelivered records wait (NULL = "calltap-spool") */
	uint64_t spool_max;     /* network sinks: disk cap of that spool in bytes (0 = default) */
	const struct ct_log *log; /* messages while the sink runs (log.h; NULL: none); outlives the sink */
	const struct ct_sink_opt *opts; /* the sink's own options (webhook: --webhook-*), n_opts of them */
	size_t n_opts;
	void *ctx;              /* an object the owner hands the sink (metrics: its struct ct_metrics) */
};

/*
 * A sink's capabilities are its ops: an op a sink does not have is NULL.
 * Every table uses designated initializers, so an op added later is NULL in
 * the tables that do not know it.  The sink set (sinkset.h) is the only
 * caller; a sink never sees another sink.
 */
struct ct_sink_ops {
	const char *name;
	/* Opens the sink; returns its private state, or NULL with a message in errbuf. */
	void *(*open)(const struct ct_sink_args *args, char *errbuf);
	/* Writes one call record; CT_OK, or CT_ERR with a message in errbuf.  NULL: takes none. */
	int (*write)(void *priv, const struct ct_call_record *rec, char *errbuf);
	/* Writes one RTP stream of no call (--orphans); as write.  NULL: takes none. */
	int (*write_orphan)(void *priv, const struct ct_stream_stats *st, char *errbuf);
	/*
	 * Makes written records durable (commit, fdatasync); CT_OK or CT_ERR.
	 * Called about once a second while records come (ct_sinkset_flush_due),
	 * so it must be cheap and must not block for long.  NULL: nothing to do.
	 */
	int (*flush)(void *priv, char *errbuf);
	/*
	 * SIGHUP after log rotation: flushes, then reopens the target by name
	 * (a text file in append mode, so nothing is lost when it was not
	 * rotated away).  CT_OK, or CT_ERR with a message: priv then stays
	 * valid for close, and writes fail until a later reopen succeeds.
	 * NULL: nothing to reopen (a connection, a spool): the set only flushes.
	 */
	int (*reopen)(void *priv, char *errbuf);
	/*
	 * The sink is a call store attribution continues from: hands it to a,
	 * which replays its calls into the caller history and writes the number
	 * pool there (attr.h).  CT_OK, or CT_ERR with a message.  NULL: not a store.
	 */
	int (*attach_history)(void *priv, struct ct_attr *a, char *errbuf);
	/* Flushes and releases everything; CT_OK or CT_ERR.  priv is freed either way. */
	int (*close)(void *priv, char *errbuf);
	/*
	 * A call has just started (its first INVITE): rec holds what is known
	 * then (call_id, caller, caller_name, callee, start_time, addresses,
	 * and the attribution stage's sensor, source, campaign, direction,
	 * lease fields, caller_number, callee_number); everything else empty.
	 * Same return and failure rules as write.  NULL for sinks that only
	 * want finished calls (most).
	 */
	int (*call_start)(void *priv, const struct ct_call_record *rec, char *errbuf);
};

extern const struct ct_sink_ops ct_sink_json;    /* JSON lines */
extern const struct ct_sink_ops ct_sink_csv;     /* CSV with a header row */
extern const struct ct_sink_ops ct_sink_sqlite;  /* table `calls` in an SQLite file */
extern const struct ct_sink_ops ct_sink_table;   /* human-readable table (text) */
extern const struct ct_sink_ops ct_sink_orphans; /* RTP streams of no call, JSON lines (--orphans) */
extern const struct ct_sink_ops ct_sink_pgsql;   /* tables calls, rtp_streams on a PostgreSQL server (target: libpq conninfo) */
extern const struct ct_sink_ops ct_sink_webhook; /* JSON POST per call (target: URL), spooled until delivered */
/* Checks the webhook's options (--webhook-* as name/value pairs); CT_OK or CT_ERR + errbuf. */
int ct_webhook_check_options(const struct ct_sink_opt *opts, size_t n, char *errbuf);

/* Opens ops on target alone (no append, default spool): tests and tools. */
void *ct_sink_open_target(const struct ct_sink_ops *ops, const char *target, char *errbuf);

/*
 * The output file of a text output (JSON lines, CSV, table, orphan
 * streams): a path opened for writing (truncated, or appended) or "-" for
 * stdout, written with write(2) in whole records (a regular file: up to
 * CT_OUTFILE_BUF bytes of them at once, and at least once a second), cut
 * back to its last whole record when a write fails, synced by flush, with
 * errors that name the file (src/sink/record.c).
 */
struct ct_outfile {
	int fd;          /* -1 when closed */
	char *name;      /* path, or "standard output"; for messages */
	bool is_stdout;  /* never closed */
	bool regular;    /* a regular file: cut back on a failed write, fdatasync()ed */
	bool broken;     /* a write failed: further writes are refused */
	bool unsynced;   /* written since the last ct_outfile_flush */
	off_t good;      /* regular file: offset after the last complete record */
	off_t started;   /* regular file: write-back started up to here (sync_file_range) */
	off_t dropped;   /* regular file: page cache released up to here (posix_fadvise) */
	/*
	 * A regular file other than stdout takes whole records into pend and
	 * writes them with one write(2) when it holds CT_OUTFILE_BUF bytes or
	 * CT_OUTFILE_RECS records, and on flush (about once a second), reopen
	 * and close.  ends[i] is where record i ends in pend.
	 */
	struct ct_buf pend;
	uint32_t *ends;
	unsigned n_ends;
};

#define CT_OUTFILE_BUF  (64 * 1024) /* bytes of whole records held before a write */
#define CT_OUTFILE_RECS 1024        /* records held before a write */
#define CT_OUTFILE_WRITEBACK (1024 * 1024) /* bytes written before their write-back is started */
#define CT_OUTFILE_KEEP (4 * 1024 * 1024)  /* newest bytes of a file left in the page cache */

int ct_outfile_open(struct ct_outfile *f, const char *path, bool append, char *errbuf);
int ct_outfile_write(struct ct_outfile *f, const struct ct_buf *b, char *errbuf);
/*
 * A record built in place: b = ct_outfile_rec_buf(f, scratch, &start),
 * append the record to b, then ct_outfile_put(f, b, start, scratch,
 * errbuf), which is ct_outfile_write of the record without its copy.
 */
struct ct_buf *ct_outfile_rec_buf(struct ct_outfile *f, struct ct_buf *scratch, size_t *start);
int ct_outfile_put(struct ct_outfile *f, struct ct_buf *b, size_t start, struct ct_buf *scratch,
    char *errbuf);
int ct_outfile_flush(struct ct_outfile *f, char *errbuf);
int ct_outfile_reopen(struct ct_outfile *f, char *errbuf);
int ct_outfile_close(struct ct_outfile *f, char *errbuf);

/*
 * How messages name a PostgreSQL server (pgsql.c, built with libpq), for the
 * pgsql sink and the report alike.  conn is a libpq PGconn (NULL: use
 * conninfo).
 */
struct pg_conn;
void ct_pgsql_describe(const struct pg_conn *conn, const char *conninfo, char *where,
    size_t size);

#endif
