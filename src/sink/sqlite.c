/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SQLite sink: appends call records to table `calls` (one row per call, the
 * scalar fields of the JSON form plus `streams`, `start_us` and `end_us`) and
 * their RTP streams to `rtp_streams`, in a database file created on first
 * use.  A record that answers a missed call (callback_of) also sets
 * callback_s of the missed calls it answers, in the same transaction.
 * The schema is versioned with PRAGMA user_version: migrations[i] takes a
 * database from version i to i + 1 and is never edited once released, so a
 * database of any older version is brought up to date at open and one
 * written by a newer calltap is refused.  Workload: records arrive one by
 * one from a long-running capture; writes are batched in one transaction
 * that is committed after BATCH records or COMMIT_MS of wall time, whichever
 * comes first, and by flush (which the engine calls about once a second, so
 * an idle capture commits too): a crash or power loss costs at most the
 * last second of records.  WAL journal with synchronous=FULL, so each
 * commit is on disk (one fsync of the WAL per commit, at most one a second
 * at a low record rate).  Statements are prepared once (the transaction
 * statements too), and a record of several statements (streams, callback
 * update) is wrapped in a savepoint so that a failed record never leaves a
 * call row without its streams; a lone INSERT is atomic by itself.  Every error names the database file.  The open
 * path performs a real write (schema + meta row) so that an unwritable
 * target fails at open, not at the first record.
 * References: https://sqlite.org/pragma.html (user_version, journal_mode,
 * synchronous), https://sqlite.org/wal.html, docs/schema.md.
 */
#include "config.h"

#include <assert.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

#define SCHEMA_VERSION 3
#define BATCH 500          /* records per transaction at most */
#define COMMIT_MS 1000     /* wall time a transaction stays open at most */
#define BUSY_TIMEOUT_MS 5000

struct sqlite_sink {
	sqlite3 *db;
	char *path;                 /* for messages */
	sqlite3_stmt *ins_call;
	sqlite3_stmt *ins_stream;
	sqlite3_stmt *upd_callback;   /* missed calls answered by an outbound call */
	sqlite3_stmt *txn[4];       /* BEGIN, COMMIT, SAVEPOINT rec, RELEASE rec */
	struct ct_val vals[64];     /* one per bound column: text bound without a copy */
	unsigned pending;           /* records in the open transaction */
	bool in_txn;
	int64_t txn_start_ms;       /* monotonic clock when it began */
};

/* Version 1.  Frozen: later changes go into a new migration. */
static const char schema_v1[] =
	"CREATE TABLE calls ("
	" id INTEGER PRIMARY KEY,"
	" call_id TEXT, caller TEXT, caller_name TEXT, callee TEXT, agent TEXT,"
	" src_ip TEXT, src_port INTEGER, dst_ip TEXT, dst_port INTEGER,"
	" transport TEXT, vlan INTEGER,"
	" start_time TEXT, ringing_time TEXT, answer_time TEXT, end_time TEXT,"
	" setup_ms INTEGER, answer_ms INTEGER, duration_s REAL, talk_s REAL,"
	" final_code INTEGER, disposition TEXT, hangup_by TEXT,"
	" q850_cause INTEGER, hangup_reason TEXT, direction TEXT,"
	" truncated INTEGER, auth_challenges INTEGER, invites INTEGER,"
	" recording TEXT, undecodable_codecs TEXT,"
	" sensor TEXT, source TEXT, campaign TEXT, first_call INTEGER,"
	" repeat_count INTEGER, callback_s REAL, callback_of TEXT,"
	" streams INTEGER, start_us INTEGER, end_us INTEGER);"
	"CREATE INDEX calls_start_time ON calls(start_time);"
	"CREATE INDEX calls_caller ON calls(caller, start_us);"
	"CREATE INDEX calls_callee ON calls(callee, start_us);"
	"CREATE INDEX calls_call_id ON calls(call_id);"
	"CREATE TABLE numbers ("
	" number TEXT PRIMARY KEY, source TEXT, campaign TEXT, cost REAL);"
	"CREATE TABLE rtp_streams ("
	" call_rowid INTEGER REFERENCES calls(id), call_id TEXT,"
	" src TEXT, dst TEXT, ssrc TEXT, payload_type INTEGER, codec TEXT,"
	" packets INTEGER, lost INTEGER, loss_pct REAL, duplicates INTEGER,"
	" out_of_order INTEGER, max_jitter_ms REAL, mean_jitter_ms REAL,"
	" max_delta_ms REAL, mos REAL, dtmf TEXT);"
	"CREATE INDEX rtp_streams_call ON rtp_streams(call_rowid);"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	"INSERT INTO meta (key, value) VALUES ('created_by', '" PACKAGE_STRING "');";

/*
 * Run after inserting an outbound call that answers a missed call (its
 * record has callback_of, ?2; ?1 = its start_us): every missed inbound call
 * from the same caller as the call named by callback_of (and that call
 * itself) that ended by ?1 and has no callback yet gets callback_s, the
 * delay from its end in seconds (3 decimals, as the JSON form).
 */
static const char upd_callback_sql[] =
	"UPDATE calls SET callback_s = round((?1 - end_us) / 1000000.0, 3)"
	" WHERE callback_s IS NULL AND end_us IS NOT NULL AND end_us <= ?1"
	" AND direction = 'inbound' AND disposition IN ('busy', 'noanswer', 'cancelled')"
	" AND (call_id = ?2 OR caller = (SELECT caller FROM calls WHERE call_id = ?2"
	" ORDER BY id DESC LIMIT 1))";

/* Version 2: per-call capture drops of a live capture (NULL when reading files). */
static const char schema_v2[] =
	"ALTER TABLE calls ADD COLUMN capture_drops INTEGER;";

/* Version 3: calls evicted from a full call table; strings cut to their cap. */
static const char schema_v3[] =
	"ALTER TABLE calls ADD COLUMN evicted INTEGER;"
	"ALTER TABLE calls ADD COLUMN cut_fields TEXT;";

/* migrations[i] brings a database from user_version i to i + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
	schema_v3,
};

/* Indexes of struct sqlite_sink.txn, the transaction statements run per record. */
enum { TXN_BEGIN, TXN_COMMIT, TXN_SAVEPOINT, TXN_RELEASE, TXN_N };
static const char *const txn_sql[TXN_N] = {
	"BEGIN", "COMMIT", "SAVEPOINT rec", "RELEASE rec",
};

/* Runs sql; CT_OK or CT_ERR with the SQLite message in *msg (static text). */
static int exec(sqlite3 *db, const char *sql, const char **msg)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return CT_OK;
	*msg = sqlite3_errmsg(db);
	return CT_ERR;
}

/* Reads PRAGMA user_version into *ver; CT_OK or CT_ERR. */
static int user_version(sqlite3 *db, int *ver)
{
	sqlite3_stmt *st = NULL;
	int rc = CT_ERR;

	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return CT_ERR;
	if (sqlite3_step(st) == SQLITE_ROW) {
		*ver = sqlite3_column_int(st, 0);
		rc = CT_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/*
 * Applies the migrations from version ver up to SCHEMA_VERSION and records
 * this writer in meta, all in one transaction (a write even when nothing is
 * migrated, which proves the file is writable).  CT_OK or CT_ERR + *msg.
 */
static int migrate(sqlite3 *db, int ver, const char **msg)
{
	char sql[64];
	int v;

	if (exec(db, "BEGIN IMMEDIATE", msg) != CT_OK)
		return CT_ERR;
	for (v = ver; v < SCHEMA_VERSION; v++)
		if (exec(db, migrations[v], msg) != CT_OK)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", SCHEMA_VERSION);
	if (exec(db, sql, msg) != CT_OK)
		goto fail;
	if (exec(db, "INSERT OR REPLACE INTO meta (key, value) VALUES"
	    " ('last_writer', '" PACKAGE_STRING "')", msg) != CT_OK)
		goto fail;
	if (exec(db, "COMMIT", msg) != CT_OK)
		goto fail;
	return CT_OK;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return CT_ERR;
}

/* Prepares "INSERT INTO table (names...) VALUES (?, ...)"; CT_OK or CT_ERR. */
static int prepare_insert(sqlite3 *db, const char *table, const char *const *names,
    size_t n, sqlite3_stmt **st)
{
	struct ct_buf sql;
	size_t i;
	int rc;

	ct_buf_init(&sql);
	ct_buf_printf(&sql, "INSERT INTO %s (", table);
	for (i = 0; i < n; i++)
		ct_buf_printf(&sql, "%s%s", i ? ", " : "", names[i]);
	ct_buf_puts(&sql, ") VALUES (");
	for (i = 0; i < n; i++)
		ct_buf_puts(&sql, i ? ", ?" : "?");
	ct_buf_puts(&sql, ")");
	rc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db, sql.p, -1, st, NULL);
	ct_buf_fini(&sql);
	return rc == SQLITE_OK ? CT_OK : CT_ERR;
}

/*
 * Prepares the two inserts from the column tables (calls gets the record
 * columns then streams, start_us and end_us; rtp_streams gets call_rowid and
 * call_id then the stream columns) and the callback update.  A column
 * missing from the schema fails here.
 */
static int prepare_all(struct sqlite_sink *ss)
{
	const char *names[64];
	size_t i, n = 0;

	assert(ct_record_ncols + 3 <= 64 && ct_stream_ncols + 2 <= 64);
	assert(ct_record_ncols <= sizeof(ss->vals) / sizeof(ss->vals[0]));
	for (i = 0; i < ct_record_ncols; i++)
		names[n++] = ct_record_cols[i].name;
	names[n++] = "streams";
	names[n++] = "start_us";
	names[n++] = "end_us";
	if (prepare_insert(ss->db, "calls", names, n, &ss->ins_call) != CT_OK)
		return CT_ERR;
	if (sqlite3_prepare_v2(ss->db, upd_callback_sql, -1, &ss->upd_callback, NULL) != SQLITE_OK)
		return CT_ERR;
	for (i = 0; i < TXN_N; i++)
		if (sqlite3_prepare_v2(ss->db, txn_sql[i], -1, &ss->txn[i], NULL) != SQLITE_OK)
			return CT_ERR;
	n = 0;
	names[n++] = "call_rowid";
	names[n++] = "call_id";
	for (i = 0; i < ct_stream_ncols; i++)
		names[n++] = ct_stream_cols[i].name;
	return prepare_insert(ss->db, "rtp_streams", names, n, &ss->ins_stream);
}

/* Finalizes every prepared statement (NULL ones are no-ops). */
static void finalize_all(struct sqlite_sink *ss)
{
	size_t i;

	sqlite3_finalize(ss->ins_call);
	sqlite3_finalize(ss->ins_stream);
	sqlite3_finalize(ss->upd_callback);
	ss->ins_call = ss->ins_stream = ss->upd_callback = NULL;
	for (i = 0; i < TXN_N; i++) {
		sqlite3_finalize(ss->txn[i]);
		ss->txn[i] = NULL;
	}
}

/* Frees everything; the database handle is closed without a commit. */
static void sink_free(struct sqlite_sink *ss)
{
	finalize_all(ss);
	sqlite3_close(ss->db);
	free(ss->path);
	free(ss);
}

/* Opens the handle, checks the version, migrates; CT_OK or CT_ERR + errbuf. */
static int db_setup(struct sqlite_sink *ss, char *errbuf)
{
	const char *msg = "unknown error";
	struct stat st;
	int ver = 0;

	/* /dev/null, a FIFO, a directory: say so rather than "disk I/O error". */
	if (stat(ss->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ct_sink_err(errbuf, "cannot open database '%s': not a regular file (SQLite needs a file "
		    "it can lock and journal)", ss->path);
		return CT_ERR;
	}
	/* NOMUTEX: one thread at a time uses the handle (the engine's output thread). */
	if (sqlite3_open_v2(ss->path, &ss->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(ss->db, BUSY_TIMEOUT_MS);
	if (user_version(ss->db, &ver) != CT_OK)
		goto fail;
	if (ver > SCHEMA_VERSION) {
		ct_sink_err(errbuf, "database '%s' has schema version %d, newer than "
		    "this calltap (%d)", ss->path, ver, SCHEMA_VERSION);
		return CT_ERR;
	}
	if (exec(ss->db, "PRAGMA journal_mode=WAL", &msg) != CT_OK ||
	    exec(ss->db, "PRAGMA synchronous=FULL", &msg) != CT_OK ||
	    migrate(ss->db, ver < 0 ? 0 : ver, &msg) != CT_OK)
		goto fail_msg;
	if (prepare_all(ss) != CT_OK)
		goto fail;
	return CT_OK;
fail:
	msg = ss->db != NULL ? sqlite3_errmsg(ss->db) : "out of memory";
fail_msg:
	ct_sink_err(errbuf, "cannot open database '%s': %s", ss->path, msg);
	return CT_ERR;
}

/*
 * Opens or creates the database at path, migrates its schema and proves it
 * writable.  Returns the sink state, or NULL with "cannot open database
 * 'x': ..." or the newer-schema message in errbuf.
 */
static void *sqlite_open(const char *path, char *errbuf)
{
	struct sqlite_sink *ss = calloc(1, sizeof(*ss));

	if (ss == NULL || (ss->path = strdup(path)) == NULL) {
		ct_sink_err(errbuf, "out of memory");
		free(ss);
		return NULL;
	}
	if (db_setup(ss, errbuf) != CT_OK) {
		sink_free(ss);
		return NULL;
	}
	return ss;
}

/*
 * Binds v to parameter idx of st.  Text is not copied (SQLITE_STATIC): it
 * lives in the record or in v->tmp, both untouched until the statement has
 * run (each column has its own struct ct_val in ss->vals).
 */
static int bind_val(sqlite3_stmt *st, int idx, const struct ct_val *v)
{
	double scale;

	switch (v->kind) {
	case CT_VAL_TEXT:
		return sqlite3_bind_text(st, idx, v->s, -1, SQLITE_STATIC);
	case CT_VAL_INT:
	case CT_VAL_BOOL:
		return sqlite3_bind_int64(st, idx, v->i);
	case CT_VAL_REAL:
		/* Same rounding as the JSON text, so both forms agree. */
		scale = pow(10.0, v->prec);
		return sqlite3_bind_double(st, idx, round(v->d * scale) / scale);
	default:
		return sqlite3_bind_null(st, idx);
	}
}

/*
 * Steps a statement once and resets it; SQLITE_DONE on success.  Its
 * bindings stay (every parameter is bound again before the next step).
 */
static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

/* Binds a time in microseconds, NULL for CT_TIME_NONE. */
static int bind_time(sqlite3_stmt *st, int idx, int64_t us)
{
	return us == CT_TIME_NONE ? sqlite3_bind_null(st, idx) : sqlite3_bind_int64(st, idx, us);
}

/* Inserts the calls row of r; SQLITE_DONE on success. */
static int insert_call(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	int idx = 1, rc = SQLITE_OK;
	size_t i;

	for (i = 0; i < ct_record_ncols && rc == SQLITE_OK; i++) {
		ct_record_cols[i].get(r, &ss->vals[i]);
		rc = bind_val(ss->ins_call, idx++, &ss->vals[i]);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(ss->ins_call, idx++,
		    r->streams != NULL ? (sqlite3_int64)r->n_streams : 0);
	if (rc == SQLITE_OK)
		rc = bind_time(ss->ins_call, idx++, r->start_us);
	if (rc == SQLITE_OK)
		rc = bind_time(ss->ins_call, idx, r->end_us);
	if (rc != SQLITE_OK) {
		sqlite3_reset(ss->ins_call);
		sqlite3_clear_bindings(ss->ins_call);
		return rc;
	}
	return step_reset(ss->ins_call);
}

/* Inserts one rtp_streams row for stream s of call row call; SQLITE_DONE on success. */
static int insert_stream(struct sqlite_sink *ss, sqlite3_int64 call, const char *call_id,
    const struct ct_stream_stats *s)
{
	sqlite3_stmt *st = ss->ins_stream;
	int idx = 3, rc;
	size_t i;

	rc = sqlite3_bind_int64(st, 1, call);
	if (rc == SQLITE_OK)
		rc = call_id ? sqlite3_bind_text(st, 2, call_id, -1, SQLITE_STATIC)
		    : sqlite3_bind_null(st, 2);
	for (i = 0; i < ct_stream_ncols && rc == SQLITE_OK; i++) {
		ct_stream_cols[i].get(s, &ss->vals[i]);
		rc = bind_val(st, idx++, &ss->vals[i]);
	}
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return rc;
	}
	return step_reset(st);
}

/*
 * Runs transaction statement k (prepared once: sqlite3_exec would parse and
 * prepare it again for every record); CT_OK or CT_ERR with the message in *msg.
 */
static int txn(struct sqlite_sink *ss, int k, const char **msg)
{
	int rc = sqlite3_step(ss->txn[k]);

	sqlite3_reset(ss->txn[k]);
	if (rc == SQLITE_DONE)
		return CT_OK;
	*msg = sqlite3_errmsg(ss->db);
	return CT_ERR;
}

/* Commits the open batch, if any; CT_OK or CT_ERR naming the file. */
static int commit(struct sqlite_sink *ss, char *errbuf)
{
	const char *msg;

	if (!ss->in_txn)
		return CT_OK;
	ss->in_txn = false;
	ss->pending = 0;
	if (sqlite3_get_autocommit(ss->db))
		return CT_OK;   /* SQLite already rolled it back after an error */
	if (txn(ss, TXN_COMMIT, &msg) == CT_OK)
		return CT_OK;
	ct_sink_err(errbuf, "cannot write to database '%s': %s", ss->path, msg);
	sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	return CT_ERR;
}

/* Sets callback_s of the missed calls that r (an outbound call) answers. */
static int update_callbacks(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	sqlite3_stmt *st = ss->upd_callback;
	int rc;

	rc = sqlite3_bind_int64(st, 1, r->start_us);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(st, 2, r->callback_of, -1, SQLITE_STATIC);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return rc;
	}
	return step_reset(st);
}

/*
 * Inserts r and its streams, and for a callback updates the missed calls it
 * answers, inside savepoint "rec"; SQLITE_DONE on success.
 */
static int insert_record(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	sqlite3_int64 call;
	size_t i;
	int rc;

	rc = insert_call(ss, r);
	if (rc != SQLITE_DONE)
		return rc;
	call = sqlite3_last_insert_rowid(ss->db);
	for (i = 0; r->streams != NULL && i < r->n_streams && rc == SQLITE_DONE; i++)
		rc = insert_stream(ss, call, r->call_id, &r->streams[i]);
	if (rc == SQLITE_DONE && r->callback_of != NULL && r->start_us != CT_TIME_NONE)
		rc = update_callbacks(ss, r);
	return rc;
}

/* Monotonic clock in milliseconds. */
static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Appends rec (and its streams) to the current batch, starting one when
 * needed and committing it after BATCH records or COMMIT_MS.  A record that fails is
 * rolled back alone; the rest of the batch stays.  CT_OK, or CT_ERR with
 * "cannot write to database 'x': ..." in errbuf.
 */
static int sqlite_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct sqlite_sink *ss = priv;
	const char *msg;
	bool one;

	if (!ss->in_txn) {
		if (txn(ss, TXN_BEGIN, &msg) != CT_OK)
			goto fail;
		ss->in_txn = true;
		ss->txn_start_ms = mono_ms();
	}
	/* One INSERT is atomic by itself: the savepoint is for records of several statements. */
	one = (rec->streams == NULL || rec->n_streams == 0) &&
	    (rec->callback_of == NULL || rec->start_us == CT_TIME_NONE);
	if (!one && txn(ss, TXN_SAVEPOINT, &msg) != CT_OK)
		goto fail;
	if (insert_record(ss, rec) != SQLITE_DONE) {
		msg = sqlite3_errmsg(ss->db);
		ct_sink_err(errbuf, "cannot write to database '%s': %s", ss->path, msg);
		if (!one && !sqlite3_get_autocommit(ss->db))
			sqlite3_exec(ss->db, "ROLLBACK TO rec; RELEASE rec", NULL, NULL, NULL);
		return CT_ERR;
	}
	if (!one && txn(ss, TXN_RELEASE, &msg) != CT_OK)
		goto fail;
	if (++ss->pending >= BATCH || mono_ms() - ss->txn_start_ms >= COMMIT_MS)
		return commit(ss, errbuf);
	return CT_OK;
fail:
	ct_sink_err(errbuf, "cannot write to database '%s': %s", ss->path, msg);
	return CT_ERR;
}

/* Commits the open batch (the engine's 1 s timer); CT_OK or CT_ERR naming the file. */
static int sqlite_flush(void *priv, char *errbuf)
{
	return commit(priv, errbuf);
}

/* Commits, then closes the database; priv is freed either way. */
static int sqlite_close(void *priv, char *errbuf)
{
	struct sqlite_sink *ss = priv;
	int rc;

	if (ss == NULL)
		return CT_OK;
	rc = commit(ss, errbuf);
	finalize_all(ss);
	if (sqlite3_close(ss->db) != SQLITE_OK) {
		if (rc == CT_OK)
			ct_sink_err(errbuf, "cannot close database '%s': %s", ss->path,
			    sqlite3_errmsg(ss->db));
		rc = CT_ERR;
		sqlite3_close_v2(ss->db);
	}
	ss->db = NULL;
	sink_free(ss);
	return rc;
}

const struct ct_sink_ops ct_sink_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.write = sqlite_write,
	.flush = sqlite_flush,
	.close = sqlite_close,
};
