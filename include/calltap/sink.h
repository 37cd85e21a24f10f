/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Record sinks: const method tables (SQLite sqlite3_io_methods style).  Each
 * backend lives in src/sink/<name>.c and fills one table.  The engine fans a
 * finished call record out to every open sink in registration order.
 */
#ifndef CALLTAP_SINK_H
#define CALLTAP_SINK_H

#include <stdbool.h>
#include <sys/types.h>

#include "calltap/buf.h"
#include "calltap/record.h"

struct ct_sink_ops {
	const char *name;
	/*
	 * Opens the sink on arg (a path, "-" for stdout where it makes sense).
	 * Returns the private state, or NULL with a message in errbuf.
	 */
	void *(*open)(const char *arg, char *errbuf);
	/* Writes one record; CT_OK, or CT_ERR with a message in errbuf. */
	int (*write)(void *priv, const struct ct_call_record *rec, char *errbuf);
	/*
	 * Makes written records durable (commit, fdatasync); CT_OK or CT_ERR.
	 * Called about once a second while records come (ct_engine_flush_due),
	 * so it must be cheap and must not block for long.
	 */
	int (*flush)(void *priv, char *errbuf);
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

extern const struct ct_sink_ops ct_sink_json;   /* JSON lines */
extern const struct ct_sink_ops ct_sink_csv;    /* CSV with a header row */
extern const struct ct_sink_ops ct_sink_sqlite; /* table `calls` in an SQLite file */
extern const struct ct_sink_ops ct_sink_table;  /* human-readable table (text) */
extern const struct ct_sink_ops ct_sink_pgsql;  /* tables calls, rtp_streams on a PostgreSQL server (arg: libpq conninfo) */
extern const struct ct_sink_ops ct_sink_webhook; /* JSON POST per call (arg: "URL" or "URL SPOOLDIR"), spooled until delivered */
/* Checks the webhook's option lines ("webhook-header=...\n", see webhook.c); CT_OK or CT_ERR + errbuf. */
int ct_webhook_check_options(const char *opts, char *errbuf);

struct ct_sink {
	const struct ct_sink_ops *ops;
	void *priv;
	char *arg;     /* what it was opened on, for messages */
	int failed;    /* a write failed; further writes are skipped */
	int dirty;     /* written since its last flush (ct_engine_flush_due) */
};

/*
 * The output file of a text output (JSON lines, CSV, table, orphan
 * streams): a path opened for writing (truncated, or appended with
 * ">>path") or "-" for stdout, written with write(2) one whole record at a
 * time, cut back to its last whole record when a write fails, synced by
 * flush, with errors that name the file (src/sink/record.c).
 */
struct ct_outfile {
	int fd;          /* -1 when closed */
	char *name;      /* path, or "standard output"; for messages */
	bool is_stdout;  /* never closed */
	bool regular;    /* a regular file: cut back on a failed write, fdatasync()ed */
	bool broken;     /* a write failed: further writes are refused */
	bool unsynced;   /* written since the last ct_outfile_flush */
	off_t good;      /* regular file: offset after the last complete record */
};

int ct_outfile_open(struct ct_outfile *f, const char *arg, char *errbuf);
int ct_outfile_write(struct ct_outfile *f, const struct ct_buf *b, char *errbuf);
int ct_outfile_flush(struct ct_outfile *f, char *errbuf);
int ct_outfile_close(struct ct_outfile *f, char *errbuf);

#endif
