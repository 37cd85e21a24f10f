/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SQLite sink: appends call records to table `calls` (one row per call, the
 * store columns of the schema table, schema.c: the fields of the JSON form
 * with `streams` as a count, plus `start_us` and `end_us`) and their RTP
 * streams to `rtp_streams`, in a database file created on first use.  A
 * call is stored once: (call_id, start_us) is a unique key and a call
 * already there (a capture replayed, a second sensor) is ignored.  A record
 * that answers a missed call (callback_of) also sets callback_s of the
 * missed calls it answers, in the same transaction.  The tables are
 * generated from the schema table: a new database gets every column, an
 * older one gets the columns it lacks (ALTER TABLE ADD COLUMN) at open.
 * PRAGMA user_version says which one-off upgrades ran (version 4: the
 * duplicate calls of older files are removed before the unique key is
 * made; version 5: the key is made again, start first), so a database
 * written by a newer calltap is refused.  Workload:
 * records arrive one by one from a long-running capture; writes are batched in one transaction
 * that is committed after BATCH records or COMMIT_MS of wall time, whichever
 * comes first, and by flush (which the engine calls about once a second, so
 * an idle capture commits too): a crash or power loss costs at most the
 * last second of records.  WAL journal with synchronous=FULL, so each
 * commit is on disk (one fsync of the WAL per commit, at most one a second
 * at a low record rate).  Statements are prepared once (the transaction
 * statements too), and a record of several statements (streams, callback
 * update) is wrapped in a savepoint so that a failed record never leaves a
 * call row without its streams; a lone INSERT is atomic by itself, and
 * such rows (a flood INVITE's, a scanner's call with a history but no
 * later call of its caller stored: later_calls) are inserted MULTI_ROWS a
 * statement (ins_narrow for records of one shape), in write order, before
 * any other record and any commit.  Every error names the database file.  The open
 * path performs a real write (schema + meta row) so that an unwritable
 * target fails at open, not at the first record.
 * References: https://sqlite.org/pragma.html (user_version, journal_mode,
 * synchronous), https://sqlite.org/wal.html, docs/schema.md.
 */
#include "config.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>

#include <sqlite3.h>

#include "calltap/attr.h"
#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"
#include "store_sql.h"

#define SCHEMA_VERSION 5
/*
 * Records per transaction at most: the 1 s timer decides in practice.  A
 * commit writes every page its records touched to the WAL (the Call-ID and
 * number indexes touch a random page per record) and syncs it: under a
 * 400k-INVITE flood, 800 commits of 500 records cost about a tenth of the
 * database's time more than a commit a second (7.5 s against 6.7 s).
 */
#define BATCH 100000
#define COMMIT_MS 1000     /* wall time a transaction stays open at most */
#define BUSY_TIMEOUT_MS 5000
/*
 * Another process holding the database's write lock (a second calltap on
 * one file, a report tool, sqlite3 in a transaction): a batch waits for it
 * this long in all, BUSY_TIMEOUT_MS at a time, its records held in the
 * output queue, before the records are refused as by any failure (red-team
 * pass 10: a lock held 8-20 s lost every record that ended meanwhile).
 */
#define BUSY_PATIENCE_MS 120000
#define N_CALLBACK 3       /* statements of the callback update */
#define CT_SQLITE_MAX_PARAMS 128 /* columns of one insert at most (the schema table's) */
/*
 * Calls rows inserted by one statement (INSERT ... VALUES (...), ...): a
 * statement's own cost (its cursors on the table and each index opened and
 * closed, its halt) is shared by the rows.  Callgrind, a flood INVITE's row:
 * about a quarter of its instructions saved at 16 rows.  Only rows that are
 * one INSERT alone (no streams, no callback or history update) wait, in
 * write order, for the statement; any other record, a commit, a flush and
 * close insert them first, so the rows are in the order written and a
 * commit (at least once a second) holds every record written before it.
 * Each parameter of that statement keeps a copy of the value bound to it
 * (struct slot): a value equal to it (the sensor, the PBX's address, the
 * disposition of every flood INVITE, its NULLs) is not bound again, as
 * bindings outlive sqlite3_reset.
 */
#define MULTI_ROWS 16

/*
 * A multi-row statement costs each of its parameters about 70 instructions
 * a row (copied from the binding, then into the row), a NULL as much as a
 * value: a flood INVITE's row has 35 NULL columns of 63.  So when batches
 * leave columns NULL in all their rows (a flood, a scanner: records of a
 * few shapes), ins_narrow, the multi-row INSERT of the other columns only,
 * is prepared and used for every batch whose columns not NULL are among
 * its own (the columns left out get NULL, as the table has no DEFAULT,
 * no_defaults: the same row).  It is prepared when NARROW_AFTER of the
 * last NARROW_WINDOW batches did not fit the one there, for the columns of
 * the shapes that recur among them and of the batch at hand (so shapes
 * that alternate get one statement for both, and a one-off shape does not
 * widen it).  Callgrind, a flood INVITE's row: about 3,000 instructions
 * less.  Preparing it costs 5-10 million instructions, so after the first
 * NARROW_FREE it is prepared at most once in NARROW_EVERY rows: records
 * whose shape keeps changing pay at most about 2,000 instructions a row
 * for it, and use ins_multi.
 */
#define NARROW_WINDOW 8
#define NARROW_AFTER 4
#define NARROW_FREE 4
#define NARROW_EVERY 4096
#define MASK_WORDS ((CT_SQLITE_MAX_PARAMS + 63) / 64)

/*
 * Parameter of ins_multi: a column value of a calls row waiting for it (its
 * own copy: the record is freed after write), and whether the statement's
 * parameter holds it already.
 */
struct slot {
	enum ct_val_kind kind;     /* CT_VAL_NULL, _TEXT, _INT or _REAL (bound as such) */
	bool bound;                /* the parameter of slots_of is this value */
	int64_t i;
	double d;                  /* already rounded to its decimals */
	char *s;                   /* TEXT: NUL-terminated, len bytes; cap allocated */
	size_t len, cap;
};

struct sqlite_sink {
	sqlite3 *db;
	char *path;                 /* for messages */
	sqlite3_stmt *ins_call;
	sqlite3_stmt *ins_stream;
	sqlite3_stmt *ins_ival;     /* rtp_intervals: one row per interval of a stream */
	sqlite3_stmt *upd_callback[N_CALLBACK];   /* missed calls answered by an outbound call */
	/*
	 * The repeat_count of a caller's later calls stored before it
	 * (CT_SQL_REPEAT) is raised once per row at the commit, not once per
	 * record: sel_repeat finds the rows a record raises (the same rows
	 * the UPDATE would change: which rows qualify does not depend on
	 * repeat_count's value), their ids wait in rep_ids, and upd_repeat
	 * adds each id's count (apply_repeats) in the same transaction,
	 * before the COMMIT.  Nothing reads repeat_count or first_call in
	 * between (only whether repeat_count is NULL, which the update keeps).
	 * 20,000 short calls, 1,650 each from four numbers, stored in end
	 * order: most records raise 64 rows, each rewriting its row and its
	 * calls_history entry and copying its page to the savepoint's
	 * sub-journal (4,000 calls of that mix, --db: SQLite thread 2,146M ->
	 * 728M instructions, callgrind).
	 */
	sqlite3_stmt *sel_repeat;                 /* the rows a record raises */
	sqlite3_stmt *upd_repeat;                 /* raises one row by ?2 */
	sqlite3_int64 *rep_ids;                   /* rows raised once per entry, this transaction */
	size_t rep_n, rep_cap;
	sqlite3_int64 rec_ids[CT_SQL_REPEAT_ROWS];/* the record's rows, until it is stored */
	size_t rec_n;
	sqlite3_stmt *sel_later;                  /* is there one? (upd_repeat has work) */
	/*
	 * No calls row starts after later_max (when later_ok): a record that
	 * starts at or after it has no later call stored, and later_calls does
	 * not ask sel_later.  Found by sel_max_start in the first transaction
	 * that needs it, raised by every record written since (a row that
	 * failed, or was rolled back, only makes it larger than it need be).
	 * Another connection's commit (PRAGMA data_version, asked at each
	 * BEGIN: the write lock is held from there to the COMMIT) may add any
	 * row: later_gone, and sel_later is asked for every record until the
	 * database is opened again.
	 */
	sqlite3_stmt *sel_max_start;              /* SELECT max(start_us) FROM calls */
	sqlite3_stmt *data_version;               /* PRAGMA data_version */
	int64_t later_max;
	sqlite3_int64 dv;                         /* data_version at the first BEGIN ... */
	bool dv_known;                            /* ... once there was one */
	bool later_ok, later_gone;
	sqlite3_stmt *upd_closed;                 /* missed calls closed before their attempt */
	sqlite3_stmt *txn[4];                     /* BEGIN, COMMIT, SAVEPOINT rec, RELEASE rec */
	struct ct_val vals[CT_SQLITE_MAX_PARAMS + 1]; /* parameter i's value: text bound without a copy */
	/*
	 * Parameter i of ins_call is bound to NULL: bindings outlive
	 * sqlite3_reset, so a column null again is not bound again (a flood
	 * record has dozens).  Only ever true when it holds: a statement
	 * prepared anew, or one whose bindings were cleared, has NULL everywhere.
	 */
	bool call_null[CT_SQLITE_MAX_PARAMS + 1];
	/* Rows waiting for ins_multi (MULTI_ROWS rows; NULL: the limit on parameters is lower). */
	sqlite3_stmt *ins_multi;
	size_t ncols;               /* store columns of calls: parameters of a row */
	const struct ct_schema_col *cols[CT_SQLITE_MAX_PARAMS]; /* their schema entries */
	const char *names[CT_SQLITE_MAX_PARAMS]; /* their names (the schema table's) */
	uint64_t pend_mask[MASK_WORDS]; /* columns not NULL in some waiting row */
	/* ins_multi without the columns NULL in all rows (NULL: none prepared), see NARROW_AFTER */
	sqlite3_stmt *ins_narrow;
	uint64_t narrow_mask[MASK_WORDS];  /* its columns */
	unsigned char narrow_cols[CT_SQLITE_MAX_PARAMS]; /* their slots, in parameter order */
	size_t n_narrow;
	uint64_t recent[NARROW_WINDOW][MASK_WORDS]; /* the columns of the last batches ... */
	unsigned recent_next;              /* ... the next one to replace ... */
	unsigned recent_miss;              /* ... and which did not fit ins_narrow (bit i: recent[i]) */
	unsigned n_narrow_prepared;        /* since the database was opened */
	uint64_t rows_since_narrow;        /* rows written since ins_narrow was last prepared */
	bool narrow_ok;             /* no column of calls has a DEFAULT (a column left out is NULL) */
	sqlite3_stmt *slots_of;     /* the statement whose parameters the slots' bound flags describe */
	size_t col_number, col_start, col_repeat; /* slots of caller_number, start_us, repeat_count */
	struct slot pend[MULTI_ROWS][CT_SQLITE_MAX_PARAMS];
	unsigned n_pend;
	unsigned pending;           /* records in the open transaction */
	bool in_txn;
	int64_t txn_start_ms;       /* monotonic clock when it began */
};

/*
 * Marks every slot as not bound (ins_multi prepared anew, its bindings
 * cleared, or the other multi-row statement used): the next statement
 * binds every value.
 */
static void unbind_slots(struct sqlite_sink *ss)
{
	size_t k, i;

	for (k = 0; k < MULTI_ROWS; k++)
		for (i = 0; i < CT_SQLITE_MAX_PARAMS; i++)
			ss->pend[k][i].bound = false;
}

/*
 * Tables besides calls and rtp_streams, whose columns come from the schema
 * table.  IF NOT EXISTS: run on every open, new or old database.
 */
static const char fixed_tables[] =
	"CREATE TABLE IF NOT EXISTS numbers ("
	" number TEXT PRIMARY KEY, source TEXT, campaign TEXT, cost REAL);"
	"CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);"
	"INSERT OR IGNORE INTO meta (key, value) VALUES ('created_by', '" PACKAGE_STRING "');";


/*
 * Run after the columns exist; idempotent.  calls_key makes a call stored
 * once: (start_us, call_id) identifies it, and inserts are INSERT OR IGNORE.
 * Its columns go start first so that a new row lands at the index's right
 * end, as the table's own rows do: keyed by Call-ID first (versions up to
 * 4), every row went to a random leaf, and every commit wrote each leaf it
 * touched to the WAL whole (and a checkpoint again), so a flood of unique
 * Call-IDs against a store that had grown rewrote the index once a
 * second.  Measured (Dec 6, a store of 1.5M calls grown by inserts, 2,500
 * rows a commit, the rate of a live flood of a few thousand INVITEs a
 * second): 20 MB of WAL a commit at 8 KiB pages and 55 MB at 32 KiB, 0.5
 * and 0.7 MB start first.  The rows found by Call-ID are the missed calls
 * a callback names, through the partial calls_missed_id (so a flood's
 * unanswered INVITEs, "unfinished", never enter it), and `calltap show`'s
 * call, through a scan of calls_key, which holds every Call-ID (0.2 s
 * for 1.5M calls in the page cache).
 * Only indexes a statement of calltap searches by are made, for every
 * index costs each inserted row about an eighth of its time (a flood
 * INVITE's row: about 2,000-5,000 instructions an index): calls_key,
 * calls_missed_id, the partial history indexes, and
 * calls_missed_caller, the callback by caller text (upd_callback_sql[2]):
 * partial, as calls_missed_number, so that it holds only the missed inbound
 * calls without a caller_number that statement looks for, and a row it
 * does not cover costs its WHERE alone (a flood INVITE's row: 1,900
 * instructions less than with the full calls_caller of older versions).
 * calls_caller, calls_start_time and calls_callee, made for databases
 * created by older versions, are searched by no statement of calltap
 * (the report reads the whole table): a database that has them keeps
 * them, and so does any index a user adds (docs/schema.md).
 */
static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS calls_missed_caller ON calls(caller, end_us)"
	" WHERE caller_number IS NULL AND direction = 'inbound' AND " CT_SQL_MISSED ";"
	"CREATE INDEX IF NOT EXISTS calls_missed_id ON calls(call_id) WHERE " CT_SQL_MISSED_ROW ";"
	CT_SQL_HISTORY_INDEXES
	"CREATE UNIQUE INDEX IF NOT EXISTS calls_key ON calls(start_us, call_id);"
	"CREATE INDEX IF NOT EXISTS rtp_streams_call ON rtp_streams(call_rowid);"
	"CREATE INDEX IF NOT EXISTS rtp_intervals_stream ON rtp_intervals(stream_rowid);";

/*
 * Version 4 makes (call_id, start_us) unique.  A database written before
 * may hold the same call more than once (a capture replayed, two sensors
 * on one link): the first row of each call is kept, the later copies and
 * their streams go.
 */
static const char dedupe_v4[] =
	"CREATE TEMP TABLE ct_dups AS SELECT c.id AS id FROM calls c"
	" WHERE EXISTS (SELECT 1 FROM calls d WHERE d.call_id = c.call_id"
	" AND d.start_us = c.start_us AND d.id < c.id);"
	"DELETE FROM rtp_streams WHERE call_rowid IN (SELECT id FROM ct_dups);"
	"DELETE FROM calls WHERE id IN (SELECT id FROM ct_dups);"
	"DROP TABLE ct_dups;";

/*
 * Run after inserting an outbound call that answers a missed call (its
 * record has callback_of, ?2; ?1 = its start_us; ?3 = its callee_number):
 * every missed inbound call that ended by ?1, has no callback yet and is
 * either the call named by callback_of (or answered only by an IVR or
 * voicemail: CT_SQL_MISSED_ANY) or from the same caller gets
 * callback_s, the delay from its end in seconds (3 decimals, as the JSON
 * form), unless an earlier-starting attempt already set a smaller one:
 * records arrive in end order, so an attempt that started first but ended
 * last still gives the first attempt's delay.  The same caller: the same caller_number as ?3; for rows without
 * a number (written before numbers were stored, or a caller that is no
 * number) the same caller text as the call named by callback_of.  Three
 * statements, one per kind of match, so each is an index search
 * (calls_missed_id, calls_missed_number: partial indexes of the missed calls
 * only, so other inserts do not pay for it; calls_missed_caller, the same
 * for rows without a number); as one
 * statement with OR, SQLite scans the table.  pgsql.c runs the same three.
 * The third finds its rows by calls_missed_caller, whose WHERE is terms of
 * this one (CT_SQL_MISSED, the same text), so the planner knows it covers them.
 */
#define CALLBACK_SET(MISSED) CT_SQL_CALLBACK_SET("?1", MISSED)
static const char *const upd_callback_sql[N_CALLBACK] = {
	CALLBACK_SET(CT_SQL_MISSED_ANY) "call_id = ?2",
	CALLBACK_SET(CT_SQL_MISSED) "caller_number = ?3",
	CALLBACK_SET(CT_SQL_MISSED) CT_SQL_CALLBACK_BY_CALLER("?2"),
};

/*
 * A call stored after later calls of the same caller (another sensor's, or
 * a capture ingested out of order) is one more earlier call for each of
 * them: their repeat_count grows by one and first_call becomes false, so
 * the store's history is that of all its calls whatever the order they
 * came in (docs/schema.md, History).  ?1 caller_number, ?2 start_us; the
 * partial index calls_history covers exactly the rows with a history.
 */
static const char sel_repeat_sql[] = CT_SQL_REPEAT_IDS("?1", "?2");
static const char upd_repeat_sql[] =
	"UPDATE calls SET repeat_count = repeat_count + ?2, first_call = 0 WHERE id = ?1";

/* rep_ids entries at most: past it they are applied at once (8 bytes each) */
#define REP_IDS_MAX 65536

/*
 * Whether upd_repeat has a row to change (the same WHERE, one index seek
 * on calls_history): it is asked first, for upd_repeat collects its rows
 * in a temporary b-tree every time it runs (IN with ORDER BY and LIMIT),
 * about 60,000 instructions a record even when there is none, and there
 * is none for nearly every record (records come in end order, so a caller's
 * later call is rarely stored first).  ?1 caller_number, ?2 start_us.
 */
static const char sel_later_sql[] =
	"SELECT 1 FROM calls WHERE caller_number = ?1 AND start_us > ?2"
	" AND repeat_count IS NOT NULL LIMIT 1";

/*
 * An answered call with a history (inbound) closes the missed calls of its
 * caller that ended before it started: one whose stored callback_s names an
 * attempt after that start (an attempt stored first) had no callback while
 * it was open, so callback_s goes back to null.  ?1 caller_number, ?2
 * start_us; calls_missed_number is the index.
 */
static const char upd_closed_sql[] = CT_SQL_CLOSED("?1", "?2");

/*
 * Indexes of struct sqlite_sink.txn, the transaction statements run per
 * record.  BEGIN IMMEDIATE: the write lock from the first record on (as
 * long as a transaction that starts with an INSERT held it anyway), for a
 * record may read before it writes (later_calls) and its row wait for the
 * multi-row INSERT: a transaction that had only read would see another
 * writer's commit in between as SQLITE_BUSY_SNAPSHOT at that INSERT, which
 * no busy timeout retries, and lose the rows waiting.
 */
enum { TXN_BEGIN, TXN_COMMIT, TXN_SAVEPOINT, TXN_RELEASE, TXN_N };
static const char *const txn_sql[TXN_N] = {
	"BEGIN IMMEDIATE", "COMMIT", "SAVEPOINT rec", "RELEASE rec",
};

/* Runs sql; CT_OK or CT_ERR with the SQLite message in *msg (static text). */
static int exec(sqlite3 *db, const char *sql, const char **msg)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
		return CT_OK;
	*msg = sqlite3_errmsg(db);
	return CT_ERR;
}

/*
 * Runs sql, a query of one row, and reads its first column into *out.
 * SQLITE_OK, or the SQLite code of the failure (SQLITE_DONE: no row).
 */
static int query_int(sqlite3 *db, const char *sql, int *out)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Reads PRAGMA user_version into *ver; CT_OK or CT_ERR. */
static int user_version(sqlite3 *db, int *ver)
{
	return query_int(db, "PRAGMA user_version", ver) == SQLITE_OK ? CT_OK : CT_ERR;
}

/*
 * Appends to sql "CREATE TABLE IF NOT EXISTS calls (...)" and the same for
 * rtp_streams and rtp_intervals, with every store column of the schema
 * table, and for each store column the table lacks (have: its columns,
 * "\nname\n" each; empty for a new table) "ALTER TABLE ... ADD COLUMN".
 * rtp_intervals.stream_rowid is the rowid of its rtp_streams row (no
 * REFERENCES clause: a foreign key must name a declared column).
 */
static void schema_sql(struct ct_buf *sql, const struct ct_buf *have_calls,
    const struct ct_buf *have_streams, const struct ct_buf *have_ivals)
{
	char key[80];
	size_t i;

	ct_buf_puts(sql, "CREATE TABLE IF NOT EXISTS calls (id INTEGER PRIMARY KEY");
	for (i = 0; i < ct_schema_ncalls; i++)
		if (ct_schema_calls[i].outputs & CT_OUT_STORE)
			ct_buf_printf(sql, ", %s %s", ct_schema_calls[i].name,
			    ct_schema_sqlite_type(ct_schema_calls[i].type));
	ct_buf_puts(sql, ");CREATE TABLE IF NOT EXISTS rtp_streams ("
	    "call_rowid INTEGER REFERENCES calls(id), call_id TEXT");
	for (i = 0; i < ct_schema_nstreams; i++)
		ct_buf_printf(sql, ", %s %s", ct_schema_streams[i].name,
		    ct_schema_sqlite_type(ct_schema_streams[i].type));
	ct_buf_puts(sql, ");CREATE TABLE IF NOT EXISTS rtp_intervals (stream_rowid INTEGER,"
	    " call_rowid INTEGER REFERENCES calls(id), call_id TEXT");
	for (i = 0; i < ct_schema_nivals; i++)
		ct_buf_printf(sql, ", %s %s", ct_schema_ivals[i].name,
		    ct_schema_sqlite_type(ct_schema_ivals[i].type));
	ct_buf_puts(sql, ");");
	for (i = 0; have_ivals->len > 0 && i < ct_schema_nivals; i++) {
		snprintf(key, sizeof(key), "\n%s\n", ct_schema_ivals[i].name);
		if (!strstr(have_ivals->p, key))
			ct_buf_printf(sql, "ALTER TABLE rtp_intervals ADD COLUMN %s %s;",
			    ct_schema_ivals[i].name, ct_schema_sqlite_type(ct_schema_ivals[i].type));
	}
	for (i = 0; have_calls->len > 0 && i < ct_schema_ncalls; i++) {
		snprintf(key, sizeof(key), "\n%s\n", ct_schema_calls[i].name);
		if ((ct_schema_calls[i].outputs & CT_OUT_STORE) && !strstr(have_calls->p, key))
			ct_buf_printf(sql, "ALTER TABLE calls ADD COLUMN %s %s;",
			    ct_schema_calls[i].name, ct_schema_sqlite_type(ct_schema_calls[i].type));
	}
	for (i = 0; have_streams->len > 0 && i < ct_schema_nstreams; i++) {
		snprintf(key, sizeof(key), "\n%s\n", ct_schema_streams[i].name);
		if (!strstr(have_streams->p, key))
			ct_buf_printf(sql, "ALTER TABLE rtp_streams ADD COLUMN %s %s;",
			    ct_schema_streams[i].name, ct_schema_sqlite_type(ct_schema_streams[i].type));
	}
}

/*
 * Whether calls_key exists with call_id as its first column (as versions
 * up to 4 made it): *old set; SQLite code.
 */
static int key_by_call_id(sqlite3 *db, bool *old)
{
	int n = 0, rc = query_int(db, "SELECT count(*) FROM pragma_index_info('calls_key')"
	    " WHERE seqno = 0 AND name = 'call_id'", &n);

	*old = n > 0;
	return rc;
}

/* The columns of table as "\nname\n..." in out (empty: no such table); SQLite code. */
static int table_cols(sqlite3 *db, const char *table, struct ct_buf *out)
{
	sqlite3_stmt *st = NULL;
	char sql[64];
	int rc;

	ct_buf_reset(out);
	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW)
			ct_buf_printf(out, "%s%s\n", out->len ? "" : "\n",
			    (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	if (out->oom)
		return SQLITE_NOMEM;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Brings the database from version ver to SCHEMA_VERSION in one
 * transaction: creates what is missing (tables, columns of the schema
 * table, indexes), removes the duplicate calls of a database older than
 * version 4, makes calls_key again when it starts with call_id (whatever
 * the version says), and records this writer in meta (a write even when nothing
 * changes, which proves the file is writable).  Columns are added from the
 * schema table, so a new column needs no migration.  CT_OK or CT_ERR + *msg.
 */
static int migrate(sqlite3 *db, int ver, const char **msg)
{
	struct ct_buf sql, have_calls, have_streams, have_ivals;
	bool old_key;
	int rc = CT_ERR;

	ct_buf_init(&sql);
	ct_buf_init(&have_calls);
	ct_buf_init(&have_streams);
	ct_buf_init(&have_ivals);
	if (exec(db, "BEGIN IMMEDIATE", msg) != CT_OK)
		goto out;
	if (table_cols(db, "calls", &have_calls) != SQLITE_OK ||
	    table_cols(db, "rtp_streams", &have_streams) != SQLITE_OK ||
	    table_cols(db, "rtp_intervals", &have_ivals) != SQLITE_OK ||
	    key_by_call_id(db, &old_key) != SQLITE_OK) {
		*msg = sqlite3_errmsg(db);
		goto fail;
	}
	schema_sql(&sql, &have_calls, &have_streams, &have_ivals);
	if (ver > 0 && ver < 4)
		ct_buf_puts(&sql, dedupe_v4);
	if (old_key)   /* Call-ID first (versions up to 4): made again start first */
		ct_buf_puts(&sql, "DROP INDEX calls_key;");
	ct_buf_puts(&sql, fixed_tables);
	ct_buf_puts(&sql, indexes);
	ct_buf_printf(&sql, "PRAGMA user_version = %d;", SCHEMA_VERSION);
	ct_buf_puts(&sql, "INSERT OR REPLACE INTO meta (key, value) VALUES"
	    " ('last_writer', '" PACKAGE_STRING "');");
	if (sql.oom) {
		*msg = "out of memory";
		goto fail;
	}
	if (exec(db, sql.p, msg) != CT_OK || exec(db, "COMMIT", msg) != CT_OK)
		goto fail;
	rc = CT_OK;
	goto out;
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
out:
	ct_buf_fini(&sql);
	ct_buf_fini(&have_calls);
	ct_buf_fini(&have_streams);
	ct_buf_fini(&have_ivals);
	return rc;
}

/*
 * Prepares "INSERT <verb> table (names...) VALUES (?, ...)", with rows
 * rows of parameters; CT_OK or CT_ERR.
 */
static int prepare_insert(sqlite3 *db, const char *verb, const char *table,
    const char *const *names, size_t n, size_t rows, sqlite3_stmt **st)
{
	struct ct_buf sql;
	size_t i, k;
	int rc;

	ct_buf_init(&sql);
	ct_buf_printf(&sql, "INSERT %s %s (", verb, table);
	for (i = 0; i < n; i++)
		ct_buf_printf(&sql, "%s%s", i ? ", " : "", names[i]);
	ct_buf_puts(&sql, ") VALUES ");
	for (k = 0; k < rows; k++) {
		ct_buf_puts(&sql, k ? ", (" : "(");
		for (i = 0; i < n; i++)
			ct_buf_puts(&sql, i ? ", ?" : "?");
		ct_buf_puts(&sql, ")");
	}
	rc = sql.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db, sql.p, -1, st, NULL);
	ct_buf_fini(&sql);
	return rc == SQLITE_OK ? CT_OK : CT_ERR;
}

/*
 * Whether no column of calls has a DEFAULT: calltap never gives one, but a
 * table made or rebuilt by hand might, and a column ins_narrow leaves out
 * would then get it instead of NULL.
 */
static bool no_defaults(sqlite3 *db)
{
	int n = 1;

	return query_int(db, "SELECT count(*) FROM pragma_table_info('calls')"
	    " WHERE dflt_value IS NOT NULL", &n) == SQLITE_OK && n == 0;
}

/*
 * Prepares the two inserts from the schema table (calls gets its store
 * columns, and a call already stored is ignored; rtp_streams gets
 * call_rowid and call_id then the stream columns) and the callback update.
 * A column missing from the database fails here.
 */
static int prepare_all(struct sqlite_sink *ss)
{
	const char *names[128];
	size_t i, n = 0;

	assert(ct_schema_ncalls <= CT_SQLITE_MAX_PARAMS && ct_schema_nstreams + 2 <= CT_SQLITE_MAX_PARAMS);
	ss->col_number = ss->col_start = ss->col_repeat = SIZE_MAX;
	for (i = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_STORE))
			continue;
		if (strcmp(ct_schema_calls[i].name, "caller_number") == 0)
			ss->col_number = n;
		else if (strcmp(ct_schema_calls[i].name, "start_us") == 0)
			ss->col_start = n;
		else if (strcmp(ct_schema_calls[i].name, "repeat_count") == 0)
			ss->col_repeat = n;
		ss->cols[n] = &ct_schema_calls[i];
		names[n++] = ct_schema_calls[i].name;
	}
	if (prepare_insert(ss->db, "OR IGNORE INTO", "calls", names, n, 1, &ss->ins_call) != CT_OK)
		return CT_ERR;
	ss->ncols = n;
	memcpy(ss->names, names, n * sizeof(names[0]));
	ss->n_pend = 0;
	memset(ss->pend_mask, 0, sizeof(ss->pend_mask));
	memset(ss->recent, 0, sizeof(ss->recent));
	ss->recent_next = ss->recent_miss = ss->n_narrow_prepared = 0;
	ss->rows_since_narrow = 0;
	ss->slots_of = NULL;
	ss->narrow_ok = no_defaults(ss->db);
	ss->later_ok = ss->later_gone = ss->dv_known = false;
	unbind_slots(ss);
	if ((int)(n * MULTI_ROWS) <= sqlite3_limit(ss->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1) &&
	    prepare_insert(ss->db, "OR IGNORE INTO", "calls", names, n, MULTI_ROWS,
	    &ss->ins_multi) != CT_OK)
		return CT_ERR;
	for (i = 0; i < N_CALLBACK; i++)
		if (sqlite3_prepare_v2(ss->db, upd_callback_sql[i], -1, &ss->upd_callback[i],
		    NULL) != SQLITE_OK)
			return CT_ERR;
	ss->rep_n = ss->rec_n = 0;
	if (sqlite3_prepare_v2(ss->db, upd_repeat_sql, -1, &ss->upd_repeat, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ss->db, sel_repeat_sql, -1, &ss->sel_repeat, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ss->db, sel_later_sql, -1, &ss->sel_later, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ss->db, "SELECT max(start_us) FROM calls", -1, &ss->sel_max_start,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ss->db, "PRAGMA data_version", -1, &ss->data_version,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(ss->db, upd_closed_sql, -1, &ss->upd_closed, NULL) != SQLITE_OK)
		return CT_ERR;
	for (i = 0; i < TXN_N; i++)
		if (sqlite3_prepare_v2(ss->db, txn_sql[i], -1, &ss->txn[i], NULL) != SQLITE_OK)
			return CT_ERR;
	n = 0;
	names[n++] = "call_rowid";
	names[n++] = "call_id";
	for (i = 0; i < ct_schema_nstreams; i++)
		names[n++] = ct_schema_streams[i].name;
	if (prepare_insert(ss->db, "INTO", "rtp_streams", names, n, 1, &ss->ins_stream) != CT_OK)
		return CT_ERR;
	n = 0;
	names[n++] = "stream_rowid";
	names[n++] = "call_rowid";
	names[n++] = "call_id";
	for (i = 0; i < ct_schema_nivals; i++)
		names[n++] = ct_schema_ivals[i].name;
	return prepare_insert(ss->db, "INTO", "rtp_intervals", names, n, 1, &ss->ins_ival);
}

/* Finalizes the prepared statements (NULL ones are no-ops). */
static void finalize_all(struct sqlite_sink *ss)
{
	int i;

	sqlite3_finalize(ss->ins_call);
	sqlite3_finalize(ss->ins_multi);
	sqlite3_finalize(ss->ins_narrow);
	ss->ins_narrow = ss->slots_of = NULL;
	sqlite3_finalize(ss->ins_stream);
	sqlite3_finalize(ss->ins_ival);
	ss->ins_call = ss->ins_multi = ss->ins_stream = ss->ins_ival = NULL;
	ss->n_pend = 0;     /* rows not inserted by now are lost with the handle */
	memset(ss->pend_mask, 0, sizeof(ss->pend_mask));
	sqlite3_finalize(ss->upd_repeat);
	sqlite3_finalize(ss->sel_repeat);
	ss->sel_repeat = NULL;
	ss->rep_n = ss->rec_n = 0;   /* the transaction they belong to is gone with the handle */
	sqlite3_finalize(ss->sel_later);
	sqlite3_finalize(ss->upd_closed);
	sqlite3_finalize(ss->sel_max_start);
	sqlite3_finalize(ss->data_version);
	ss->upd_repeat = ss->sel_later = ss->upd_closed = NULL;
	ss->sel_max_start = ss->data_version = NULL;
	ss->later_ok = false;
	for (i = 0; i < N_CALLBACK; i++) {
		sqlite3_finalize(ss->upd_callback[i]);
		ss->upd_callback[i] = NULL;
	}
	for (i = 0; i < TXN_N; i++) {
		sqlite3_finalize(ss->txn[i]);
		ss->txn[i] = NULL;
	}
}

/* Frees everything; the database handle is closed without a commit. */
static void sink_free(struct sqlite_sink *ss)
{
	size_t k, i;

	finalize_all(ss);
	sqlite3_close(ss->db);
	for (k = 0; k < MULTI_ROWS; k++)
		for (i = 0; i < CT_SQLITE_MAX_PARAMS; i++)
			free(ss->pend[k][i].s);
	free(ss->rep_ids);
	free(ss->path);
	free(ss);
}

/*
 * Page size of a new database: PAGE_BIG, or PAGE_SMALL on a file system
 * with less than ROOM_FOR_BIG free.  A new file of 32 KiB pages takes
 * about 500 KiB before its first record (a page for each table and index,
 * and their WAL frames), one of 8 KiB pages about 130 KiB: on a small or
 * nearly full partition the records get that room instead.
 */
#define PAGE_BIG 32768
#define PAGE_SMALL 8192
#define ROOM_FOR_BIG ((unsigned long long)64 << 20)

/*
 * PAGE_BIG or PAGE_SMALL for the database file at path (see above), by the
 * free space of its file system.  Called once the file exists
 * (sqlite3_open_v2 creates it); a failing statvfs(3) counts as room.
 */
static int page_size_for(const char *path)
{
	struct statvfs vs;

	if (statvfs(path, &vs) != 0)
		return PAGE_BIG;
	return (unsigned long long)vs.f_bavail * vs.f_frsize < ROOM_FOR_BIG ? PAGE_SMALL : PAGE_BIG;
}

/* Opens the handle, checks the version, migrates; CT_OK or CT_ERR + errbuf. */
static int db_setup(struct sqlite_sink *ss, char *errbuf)
{
	char page_sql[48];
	const char *msg = "unknown error";
	struct stat st;
	int ver = 0;

	/* /dev/null, a FIFO, a directory: say so rather than "disk I/O error". */
	if (stat(ss->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		ct_sink_err(errbuf, "cannot open database '%s': not a regular file (SQLite needs a file "
		    "it can lock and journal)", ss->path);
		return CT_ERR;
	}
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	/*
	 * No memory statistics (process-wide; a no-op once SQLite is in use,
	 * so it is done before the first open): they take a global mutex on
	 * every allocation, about 3,000 instructions of a flood INVITE's row.
	 * calltap never reads them (sqlite3_memory_used).
	 */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
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
	/*
	 * 32 KiB pages for a new database (a no-op for one that exists: its
	 * pages keep their size; 8 KiB on a small or nearly full file system,
	 * page_size_for).  Fewer page splits than at SQLite's 4 KiB in
	 * the calls_key index, whose Call-IDs land anywhere (callgrind at 8
	 * KiB: about 600 instructions less a flood INVITE's row), and a
	 * quarter of 8 KiB's WAL frames, each one pwrite(2) of its header and
	 * one of its page, for the same rows.  A 400k-INVITE flood with every
	 * output on (Dec 6, 3 runs each, quiet 2-core VM): 2.77-2.80 s at 8
	 * KiB, 2.63-2.69 at 16, 2.51-2.56 at 32, 2.47-2.61 at 64 KiB; a trunk
	 * capture and `calltap report` on the flood's 400k rows no slower.
	 */
	snprintf(page_sql, sizeof(page_sql), "PRAGMA page_size=%d", page_size_for(ss->path));
	if (exec(ss->db, page_sql, &msg) != CT_OK ||
	    exec(ss->db, "PRAGMA journal_mode=WAL", &msg) != CT_OK ||
	    exec(ss->db, "PRAGMA synchronous=FULL", &msg) != CT_OK ||
	    /* 16 MiB of page cache (default 2 MiB): the hot index pages stay in memory */
	    exec(ss->db, "PRAGMA cache_size=-16384", &msg) != CT_OK ||
	    /*
	     * The savepoint around each record keeps the original of every
	     * page the record changes in a sub-journal; in a temporary file
	     * (the default) that was a new file and two pwrite(2) per page
	     * for every record.  In memory it is one record's pages at most.
	     */
	    exec(ss->db, "PRAGMA temp_store=MEMORY", &msg) != CT_OK ||
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
 * Opens or creates the database at args->target, migrates its schema and
 * proves it writable.  Returns the sink state, or NULL with "cannot open
 * database 'x': ..." or the newer-schema message in errbuf.
 */
static int64_t mono_ms(void);

static void *sqlite_open(const struct ct_sink_args *args, char *errbuf)
{
	struct sqlite_sink *ss = calloc(1, sizeof(*ss));
	int64_t t0;

	if (ss == NULL || (ss->path = strdup(args->target)) == NULL) {
		ct_sink_err(errbuf, "out of memory");
		free(ss);
		return NULL;
	}
	t0 = mono_ms();
	while (db_setup(ss, errbuf) != CT_OK) {
		/*
		 * Another process holds the lock (a sensor restarted while a
		 * report tool or a second calltap writes): wait for it as a
		 * batch does, BUSY_PATIENCE_MS in all (red-team pass 11: start-up
		 * gave up after 5 s).
		 */
		int ec = ss->db != NULL ? sqlite3_errcode(ss->db) : SQLITE_OK;

		finalize_all(ss);
		sqlite3_close(ss->db);
		ss->db = NULL;
		if ((ec != SQLITE_BUSY && ec != SQLITE_LOCKED) || mono_ms() - t0 >= BUSY_PATIENCE_MS) {
			sink_free(ss);
			return NULL;
		}
	}
	return ss;
}

/*
 * Binds v to parameter idx of st.  Text is not copied (SQLITE_STATIC): it
 * lives in the record or in v->tmp, both untouched until the statement has
 * run (each column has its own struct ct_val in ss->vals).
 */
/*
 * Steps a statement once and resets it; SQLITE_DONE on success.  Its
 * bindings stay (a parameter is bound again before the next step, or
 * known to be NULL already: call_null).
 */
static int step_reset(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc;
}

/* d rounded to prec decimals, as the JSON text has it (so both forms agree). */
static double round_prec(double d, int prec)
{
	/* 10^prec for the schema's decimals: exact, as pow() gives them, without the call */
	static const double pow10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	double scale = prec >= 0 && prec < (int)(sizeof(pow10) / sizeof(pow10[0])) ?
	    pow10[prec] : pow(10.0, prec);

	return round(d * scale) / scale;
}

static int bind_val(sqlite3_stmt *st, int idx, const struct ct_val *v)
{
	switch (v->kind) {
	case CT_VAL_TEXT:
	case CT_VAL_JSON:
		return sqlite3_bind_text(st, idx, v->s, -1, SQLITE_STATIC);
	case CT_VAL_INT:
	case CT_VAL_BOOL:
	case CT_VAL_STREAMS:
		return sqlite3_bind_int64(st, idx, v->i);
	case CT_VAL_REAL:
		return sqlite3_bind_double(st, idx, round_prec(v->d, v->prec));
	default:
		return sqlite3_bind_null(st, idx);
	}
}

/*
 * Binds slot v's value to parameter idx of st (text: the slot's copy, read
 * by SQLite when st runs; see set_text).
 */
static int bind_slot(sqlite3_stmt *st, int idx, const struct slot *v)
{
	switch (v->kind) {
	case CT_VAL_TEXT:
		return sqlite3_bind_text(st, idx, v->s, (int)v->len, SQLITE_STATIC);
	case CT_VAL_INT:
		return sqlite3_bind_int64(st, idx, v->i);
	case CT_VAL_REAL:
		return sqlite3_bind_double(st, idx, v->d);
	default:
		return sqlite3_bind_null(st, idx);
	}
}

/*
 * Sets slot v to the text s of n bytes (copied, NUL-terminated).  A text
 * of the length it had is copied over the old one and v->bound stays: the
 * parameter is bound to the slot's bytes (SQLITE_STATIC: SQLite reads them
 * when the statement runs, not when it is bound) and to that length, so it
 * holds the new text without binding it again (a flood INVITE's call_id,
 * start_time and end_time: about 180 instructions each).  False when out of
 * memory (v is then unbound, its value unchanged).
 */
static bool set_text(struct slot *v, const char *s, size_t n)
{
	char *p;

	if (v->kind == CT_VAL_TEXT && v->len == n) {
		memcpy(v->s, s, n);   /* the buffer and its NUL stay */
		return true;
	}
	v->bound = false;
	if (n >= v->cap || n > INT_MAX) {
		if (n > INT_MAX || (p = realloc(v->s, n + 1)) == NULL)
			return false;
		v->s = p;
		v->cap = n + 1;
	}
	memcpy(v->s, s, n);
	v->s[n] = '\0';
	v->len = n;
	v->kind = CT_VAL_TEXT;
	return true;
}

/* Sets slot v to NULL; v->bound stays true only when it was NULL. */
static inline void set_null(struct slot *v)
{
	if (v->kind != CT_VAL_NULL) {
		v->bound = false;
		v->kind = CT_VAL_NULL;
	}
}

/*
 * Sets slot v to value c (kind and value, text copied: c->plain, when not
 * 0, is its length); v->bound stays true only when the value is the one it
 * had.  False when out of memory (v is then unbound, its value unchanged).
 */
static bool set_slot(struct slot *v, const struct ct_val *c)
{
	double d;

	switch (c->kind) {
	case CT_VAL_TEXT:
	case CT_VAL_JSON:
		return set_text(v, c->s, c->plain != 0 ? c->plain : strlen(c->s));
	case CT_VAL_INT:
	case CT_VAL_BOOL:
	case CT_VAL_STREAMS:
		if (v->kind != CT_VAL_INT || v->i != c->i)
			v->bound = false;
		v->kind = CT_VAL_INT;
		v->i = c->i;
		return true;
	case CT_VAL_REAL:
		d = round_prec(c->d, c->prec);
		/* bitwise: -0.0 and 0.0 are bound apart, as they are stored apart */
		if (v->kind != CT_VAL_REAL || memcmp(&v->d, &d, sizeof(d)) != 0)
			v->bound = false;
		v->kind = CT_VAL_REAL;
		v->d = d;
		return true;
	default:
		set_null(v);
		return true;
	}
}

/*
 * Takes the calls row of r as the next waiting row (its values copied into
 * the slots).  False, with no row taken, when out of memory.  A column
 * that is a string of the record (no getter: the schema table's STR) is
 * read here as ct_schema_value reads it, without the struct ct_val.
 */
static bool pend_row(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	struct slot *row = ss->pend[ss->n_pend];
	struct ct_val *v = &ss->vals[0];   /* scratch: slot 0 is no parameter */
	uint64_t mask[MASK_WORDS] = { 0 };
	const struct ct_schema_col *c;
	const char *s;
	size_t i, k;

	for (k = 0; k < ss->ncols; k++) {
		c = ss->cols[k];
		if (c->get == NULL) {
			s = *(char *const *)(const void *)((const char *)r + c->str_off);
			if (s == NULL) {
				set_null(&row[k]);
				continue;
			}
			if (!set_text(&row[k], s, strlen(s)))
				return false;
		} else {
			ct_schema_value(c, r, v);
			if (!set_slot(&row[k], v))
				return false;
			if (row[k].kind == CT_VAL_NULL)
				continue;
		}
		mask[k / 64] |= (uint64_t)1 << (k % 64);
	}
	for (i = 0; i < MASK_WORDS; i++)
		ss->pend_mask[i] |= mask[i];
	ss->n_pend++;
	return true;
}

/*
 * Binds waiting row k to its parameters of st, ins_multi (every column) or
 * ins_narrow (its columns), the slots not bound.
 */
static int bind_row_multi(struct sqlite_sink *ss, sqlite3_stmt *st, unsigned k)
{
	bool narrow = st == ss->ins_narrow;
	size_t j, m = narrow ? ss->n_narrow : ss->ncols;
	int base = (int)(k * m), rc = SQLITE_OK;
	struct slot *v;

	for (j = 0; j < m && rc == SQLITE_OK; j++) {
		v = &ss->pend[k][narrow ? ss->narrow_cols[j] : j];
		if (v->bound)
			continue;
		rc = bind_slot(st, base + (int)j + 1, v);
		v->bound = rc == SQLITE_OK;
	}
	return rc;
}

/* Prepares ins_narrow for the columns of mask (replacing the one there); CT_OK or CT_ERR. */
static int prepare_narrow(struct sqlite_sink *ss, const uint64_t *mask)
{
	const char *names[CT_SQLITE_MAX_PARAMS];
	sqlite3_stmt *st = NULL;
	size_t i, n = 0;

	for (i = 0; i < ss->ncols; i++)
		if (mask[i / 64] >> (i % 64) & 1)
			names[n++] = ss->names[i];
	if (n == 0 || prepare_insert(ss->db, "OR IGNORE INTO", "calls", names, n, MULTI_ROWS,
	    &st) != CT_OK) {
		sqlite3_finalize(st);
		return CT_ERR;
	}
	if (ss->slots_of == ss->ins_narrow)
		ss->slots_of = NULL;
	sqlite3_finalize(ss->ins_narrow);
	ss->ins_narrow = st;
	memcpy(ss->narrow_mask, mask, sizeof(ss->narrow_mask));
	for (i = 0, n = 0; i < ss->ncols; i++)
		if (mask[i / 64] >> (i % 64) & 1)
			ss->narrow_cols[n++] = (unsigned char)i;
	ss->n_narrow = n;
	ss->rows_since_narrow = 0;
	ss->n_narrow_prepared++;
	return CT_OK;
}

/* Whether every column of a is one of b's. */
static bool mask_within(const uint64_t *a, const uint64_t *b)
{
	size_t i;

	for (i = 0; i < MASK_WORDS; i++)
		if (a[i] & ~b[i])
			return false;
	return true;
}

/*
 * The statement for the MULTI_ROWS rows waiting: ins_narrow when their
 * columns not NULL are among its own; one prepared anew, for the shapes
 * recurring in the last NARROW_WINDOW batches, when NARROW_AFTER of them
 * did not fit (within the budget of NARROW_FREE, NARROW_EVERY); else
 * ins_multi.
 */
static sqlite3_stmt *multi_stmt(struct sqlite_sink *ss)
{
	const uint64_t *m = ss->pend_mask;
	uint64_t all[MASK_WORDS] = { 0 };
	unsigned k = ss->recent_next, i, misses = 0;
	bool fits = ss->ins_narrow != NULL && mask_within(m, ss->narrow_mask);

	if (ss->rows_since_narrow < NARROW_EVERY)
		ss->rows_since_narrow += MULTI_ROWS;
	memcpy(ss->recent[k], m, sizeof(ss->recent[k]));
	ss->recent_miss = (ss->recent_miss & ~(1u << k)) | (unsigned)!fits << k;
	ss->recent_next = (k + 1) % NARROW_WINDOW;
	if (fits)
		return ss->ins_narrow;
	for (i = 0; i < NARROW_WINDOW; i++)
		misses += ss->recent_miss >> i & 1;
	if (misses < NARROW_AFTER || !ss->narrow_ok ||
	    (ss->n_narrow_prepared >= NARROW_FREE && ss->rows_since_narrow < NARROW_EVERY))
		return ss->ins_multi;
	/* the shapes that recur in the window, and this batch's (not a one-off's: it would widen it) */
	for (k = 0; k < NARROW_WINDOW; k++) {
		unsigned j, same = 0;

		for (j = 0; j < NARROW_WINDOW; j++)
			same += memcmp(ss->recent[j], ss->recent[k], sizeof(ss->recent[k])) == 0;
		if (same < 2 && memcmp(ss->recent[k], m, sizeof(ss->recent[k])) != 0)
			continue;
		for (i = 0; i < MASK_WORDS; i++)
			all[i] |= ss->recent[k][i];
	}
	for (i = 0; i < ss->ncols; i++)
		if (!(all[i / 64] >> (i % 64) & 1))
			break;
	/* a column left out by all, and the statement prepared: the window now fits it */
	if (i < ss->ncols && prepare_narrow(ss, all) == CT_OK) {
		ss->recent_miss = 0;
		return ss->ins_narrow;
	}
	return ss->ins_multi;
}

/* Binds waiting row k to ins_call; a NULL already bound there (call_null) is not bound again. */
static int bind_row_one(struct sqlite_sink *ss, unsigned k)
{
	const struct slot *v;
	int rc = SQLITE_OK, p;
	size_t i;

	for (i = 0; i < ss->ncols && rc == SQLITE_OK; i++) {
		v = &ss->pend[k][i];
		p = (int)i + 1;
		if (v->kind == CT_VAL_NULL && ss->call_null[p])
			continue;
		rc = bind_slot(ss->ins_call, p, v);
		ss->call_null[p] = rc == SQLITE_OK && v->kind == CT_VAL_NULL;
	}
	return rc;
}

/*
 * Inserts the waiting rows: MULTI_ROWS of them by ins_multi, fewer (or
 * after it failed: the statement is undone as a whole) one by one, so a
 * row that cannot be written is lost alone, as when it was written at
 * once.  CT_OK, or CT_ERR with "cannot write to database 'x': ..." (the
 * first failure, and how many rows were lost) in errbuf.
 */
static int flush_pend(struct sqlite_sink *ss, char *errbuf)
{
	unsigned k, lost = 0;
	int rc = SQLITE_ERROR;
	char msg[CT_ERRBUF_SIZE / 2] = "";

	if (ss->n_pend == 0)
		return CT_OK;
	if (ss->n_pend == MULTI_ROWS && ss->ins_multi != NULL) {
		sqlite3_stmt *st = multi_stmt(ss);

		if (st != ss->slots_of) {   /* the slots' bindings are another statement's */
			unbind_slots(ss);
			ss->slots_of = st;
		}
		for (k = 0, rc = SQLITE_OK; k < MULTI_ROWS && rc == SQLITE_OK; k++)
			rc = bind_row_multi(ss, st, k);
		if (rc == SQLITE_OK) {
			rc = step_reset(st);
		} else {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			unbind_slots(ss);
		}
	}
	for (k = 0; rc != SQLITE_DONE && k < ss->n_pend; k++) {
		int r = bind_row_one(ss, k);

		if (r == SQLITE_OK) {
			r = step_reset(ss->ins_call);
		} else {
			sqlite3_reset(ss->ins_call);
			sqlite3_clear_bindings(ss->ins_call);
			memset(ss->call_null, 0, sizeof(ss->call_null));
		}
		if (r != SQLITE_DONE && lost++ == 0)
			snprintf(msg, sizeof(msg), "%s", sqlite3_errmsg(ss->db));
	}
	ss->n_pend = 0;
	memset(ss->pend_mask, 0, sizeof(ss->pend_mask));
	if (lost == 0)
		return CT_OK;
	ct_sink_err(errbuf, "cannot write to database '%s': %s (%u records lost)", ss->path,
	    msg, lost);
	return CT_ERR;
}

/* Inserts the calls row of r (ignored when the call is stored); SQLITE_DONE on success. */
static int insert_call(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	const struct ct_schema_col *c;
	int idx = 1, rc = SQLITE_OK;
	size_t i;

	for (i = 0; i < ct_schema_ncalls && rc == SQLITE_OK; i++) {
		c = &ct_schema_calls[i];
		if (!(c->outputs & CT_OUT_STORE))
			continue;
		/* one slot per parameter: text is bound without a copy (SQLITE_STATIC) */
		ct_schema_value(c, r, &ss->vals[idx]);
		if (ss->vals[idx].kind == CT_VAL_NULL && ss->call_null[idx]) {
			idx++;
			continue;
		}
		rc = bind_val(ss->ins_call, idx, &ss->vals[idx]);
		ss->call_null[idx] = rc == SQLITE_OK && ss->vals[idx].kind == CT_VAL_NULL;
		idx++;
	}
	if (rc != SQLITE_OK) {
		sqlite3_reset(ss->ins_call);
		sqlite3_clear_bindings(ss->ins_call);
		return rc;
	}
	return step_reset(ss->ins_call);
}

/* Inserts the rtp_intervals rows of stream row stream; SQLITE_DONE on success. */
static int insert_ivals(struct sqlite_sink *ss, sqlite3_int64 stream, sqlite3_int64 call,
    const char *call_id, const struct ct_stream_stats *s)
{
	sqlite3_stmt *st = ss->ins_ival;
	int idx, rc = SQLITE_DONE;
	uint32_t k;
	size_t i;

	for (k = 0; s->ivals != NULL && k < s->n_ivals && rc == SQLITE_DONE; k++) {
		rc = sqlite3_bind_int64(st, 1, stream);
		if (rc == SQLITE_OK)
			rc = sqlite3_bind_int64(st, 2, call);
		if (rc == SQLITE_OK)
			rc = call_id ? sqlite3_bind_text(st, 3, call_id, -1, SQLITE_STATIC)
			    : sqlite3_bind_null(st, 3);
		for (i = 0, idx = 4; i < ct_schema_nivals && rc == SQLITE_OK; i++, idx++) {
			ct_schema_ival_value(&ct_schema_ivals[i], &s->ivals[k], &ss->vals[idx]);
			rc = bind_val(st, idx, &ss->vals[idx]);
		}
		if (rc != SQLITE_OK) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return rc;
		}
		rc = step_reset(st);
	}
	return rc;
}

/*
 * Inserts one rtp_streams row for stream s of call row call, and its
 * intervals; SQLITE_DONE on success.
 */
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
	for (i = 0; i < ct_schema_nstreams && rc == SQLITE_OK; i++) {
		ct_schema_stream_value(&ct_schema_streams[i], s, &ss->vals[idx]);
		rc = bind_val(st, idx, &ss->vals[idx]);
		idx++;
	}
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return rc;
	}
	rc = step_reset(st);
	if (rc == SQLITE_DONE)
		rc = insert_ivals(ss, sqlite3_last_insert_rowid(ss->db), call, call_id, s);
	return rc;
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

static int apply_repeats(struct sqlite_sink *ss);

/* Commits the open batch, if any; CT_OK or CT_ERR naming the file. */
static int commit(struct sqlite_sink *ss, char *errbuf)
{
	const char *msg;
	unsigned n = ss->pending;   /* records of the transaction: rolled back with it */
	int rc;

	if (!ss->in_txn)
		return CT_OK;
	rc = flush_pend(ss, errbuf);   /* the rows waiting belong to this transaction */
	ss->in_txn = false;
	ss->pending = 0;
	if (sqlite3_get_autocommit(ss->db)) {
		/* SQLite already rolled it back after an error (SQLITE_FULL, IOERR) */
		ss->rep_n = 0;
		if (rc == CT_OK)   /* not told yet: say what went */
			ct_sink_err(errbuf, "cannot write to database '%s': its transaction was "
			    "rolled back (%u records lost)", ss->path, n);
		return CT_ERR;
	}
	if (apply_repeats(ss) != SQLITE_DONE)
		msg = sqlite3_errmsg(ss->db);
	else if (txn(ss, TXN_COMMIT, &msg) == CT_OK)
		return rc;
	ct_sink_err(errbuf, "cannot write to database '%s': %s (%u records lost)", ss->path, msg,
	    n);
	sqlite3_exec(ss->db, "ROLLBACK", NULL, NULL, NULL);
	return CT_ERR;
}

/*
 * After a failed statement of sqlite_write (the record being written not
 * stored): when SQLite rolled the whole transaction back (SQLITE_FULL,
 * SQLITE_IOERR...: it is in autocommit mode again), the records written
 * into it before are gone too.  The message in errbuf then counts them (the
 * record being written is counted by the sink set, as refused) and the
 * transaction is closed, so the next record begins a new one (not a
 * statement of its own).
 */
static void note_rollback(struct sqlite_sink *ss, char *errbuf)
{
	if (!ss->in_txn || !sqlite3_get_autocommit(ss->db))
		return;
	ct_sink_err(errbuf, "cannot write to database '%s': %s; its transaction was rolled "
	    "back: %u record(s) written into it before lost with it", ss->path,
	    sqlite3_errstr(sqlite3_extended_errcode(ss->db)), ss->pending);
	ss->in_txn = false;
	ss->rep_n = 0;
	ss->n_pend = 0;
	memset(ss->pend_mask, 0, sizeof(ss->pend_mask));
	ss->pending = 0;
}

/*
 * Sets callback_s of the missed calls that r (an outbound call) answers
 * (upd_callback_sql; the match by number only when r has callee_number).
 * SQLITE_DONE on success.
 */
static int update_callbacks(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	sqlite3_stmt *st;
	int i, rc = SQLITE_DONE;

	for (i = 0; i < N_CALLBACK && rc == SQLITE_DONE; i++) {
		st = ss->upd_callback[i];
		if (i == 1 && r->callee_number == NULL)
			continue;
		rc = sqlite3_bind_int64(st, 1, r->start_us);
		if (rc == SQLITE_OK)
			rc = i == 1 ? sqlite3_bind_text(st, 3, r->callee_number, -1, SQLITE_TRANSIENT)
			    : sqlite3_bind_text(st, 2, r->callback_of, -1, SQLITE_TRANSIENT);
		if (rc != SQLITE_OK) {
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return rc;
		}
		rc = step_reset(st);
	}
	return rc;
}

/* An answered call that reached a person: with a history, it closes missed calls (upd_closed). */
static bool closes_missed(const struct ct_call_record *r)
{
	return r->disposition == CT_DISP_ANSWERED && r->answered_by != CT_ANS_IVR &&
	    r->answered_by != CT_ANS_VOICEMAIL;
}

/*
 * Reads into rec_ids the rows r raises (sel_repeat: later calls of its
 * caller with a history, the CT_SQL_REPEAT_ROWS that start first);
 * SQLITE_DONE on success.
 */
static int repeat_rows(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	sqlite3_stmt *st = ss->sel_repeat;
	int rc;

	ss->rec_n = 0;
	if (sqlite3_bind_text(st, 1, r->caller_number, -1, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 2, r->start_us) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return SQLITE_ERROR;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && ss->rec_n < CT_SQL_REPEAT_ROWS)
		ss->rec_ids[ss->rec_n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		rc = SQLITE_DONE;   /* LIMIT says no more; the bound above only guards rec_ids */
	if (rc != SQLITE_DONE)
		ss->rec_n = 0;
	return rc;
}

static int cmp_id(const void *a, const void *b)
{
	sqlite3_int64 x = *(const sqlite3_int64 *)a, y = *(const sqlite3_int64 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Raises the rows in rep_ids (inside the open transaction) by the times
 * each is listed, and empties the list; SQLITE_DONE on success (the list
 * is emptied either way: on failure the caller rolls the transaction back).
 */
static int apply_repeats(struct sqlite_sink *ss)
{
	size_t i = 0, j;
	int rc = SQLITE_DONE;

	if (ss->rep_n > 1)
		qsort(ss->rep_ids, ss->rep_n, sizeof(ss->rep_ids[0]), cmp_id);
	while (i < ss->rep_n && rc == SQLITE_DONE) {
		for (j = i + 1; j < ss->rep_n && ss->rep_ids[j] == ss->rep_ids[i]; j++)
			;
		if (sqlite3_bind_int64(ss->upd_repeat, 1, ss->rep_ids[i]) != SQLITE_OK ||
		    sqlite3_bind_int64(ss->upd_repeat, 2, (sqlite3_int64)(j - i)) != SQLITE_OK)
			rc = SQLITE_ERROR;
		else
			rc = step_reset(ss->upd_repeat);
		i = j;
	}
	ss->rep_n = 0;
	return rc;
}

/*
 * Moves the stored record's rows (rec_ids) to rep_ids; they are applied
 * at once when rep_ids is full.  SQLITE_DONE, or an SQLite error code
 * (out of memory, or the update failed: the transaction is then rolled back).
 */
static int keep_repeats(struct sqlite_sink *ss)
{
	if (ss->rec_n == 0)
		return SQLITE_DONE;
	if (ss->rep_n + ss->rec_n > ss->rep_cap) {
		size_t cap = ss->rep_cap ? ss->rep_cap * 2 : 1024;
		sqlite3_int64 *p;

		while (cap < ss->rep_n + ss->rec_n)
			cap *= 2;
		p = realloc(ss->rep_ids, cap * sizeof(*p));
		if (p == NULL) {
			ss->rec_n = 0;
			return SQLITE_NOMEM;
		}
		ss->rep_ids = p;
		ss->rep_cap = cap;
	}
	memcpy(ss->rep_ids + ss->rep_n, ss->rec_ids, ss->rec_n * sizeof(ss->rec_ids[0]));
	ss->rep_n += ss->rec_n;
	ss->rec_n = 0;
	return ss->rep_n >= REP_IDS_MAX ? apply_repeats(ss) : SQLITE_DONE;
}

/*
 * Inserts r and its streams, and for a callback updates the missed calls it
 * answers, inside savepoint "rec"; SQLITE_DONE on success.  A call already
 * stored (same call_id and start_us) is left as it is: SQLITE_DONE.  The
 * later calls of its caller to raise (repeat_rows, into rec_ids: the
 * caller keeps them once the record is stored) are read only when repeat
 * says there are some (later_calls).
 */
static int insert_record(struct sqlite_sink *ss, const struct ct_call_record *r, bool repeat)
{
	sqlite3_int64 call;
	size_t i;
	int rc;

	ss->rec_n = 0;
	rc = insert_call(ss, r);
	if (rc != SQLITE_DONE || sqlite3_changes(ss->db) == 0)
		return rc;    /* failed, or already stored (a replay): nothing more */
	call = sqlite3_last_insert_rowid(ss->db);
	for (i = 0; r->streams != NULL && i < r->n_streams && rc == SQLITE_DONE; i++)
		rc = insert_stream(ss, call, r->call_id, &r->streams[i]);
	if (rc == SQLITE_DONE && r->callback_of != NULL && r->start_us != CT_TIME_NONE)
		rc = update_callbacks(ss, r);
	if (rc == SQLITE_DONE && repeat && r->has_history && r->caller_number != NULL &&
	    r->start_us != CT_TIME_NONE) {
		rc = repeat_rows(ss, r);
	}
	if (rc == SQLITE_DONE && r->has_history && r->caller_number != NULL &&
	    r->start_us != CT_TIME_NONE && closes_missed(r)) {
		if (sqlite3_bind_text(ss->upd_closed, 1, r->caller_number, -1, SQLITE_STATIC) != SQLITE_OK ||
		    sqlite3_bind_int64(ss->upd_closed, 2, r->start_us) != SQLITE_OK) {
			sqlite3_reset(ss->upd_closed);
			sqlite3_clear_bindings(ss->upd_closed);
			return SQLITE_ERROR;
		}
		rc = step_reset(ss->upd_closed);
	}
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
 * Whether a stored or waiting call of r's caller with a history starts
 * after r (r has a history, a caller_number and a start): upd_repeat has
 * rows to change.  The rows waiting for ins_multi are looked at here (they
 * are not in the database yet), then the database (sel_later).
 * SQLITE_ROW yes, SQLITE_DONE no, or an SQLite error code.
 */
static int later_calls(struct sqlite_sink *ss, const struct ct_call_record *r)
{
	const struct slot *row;
	size_t n = strlen(r->caller_number);
	unsigned k;

	if (ss->col_number == SIZE_MAX || ss->col_start == SIZE_MAX || ss->col_repeat == SIZE_MAX)
		return SQLITE_ROW;   /* columns not found: upd_repeat decides */
	for (k = 0; k < ss->n_pend; k++) {
		row = ss->pend[k];
		if (row[ss->col_repeat].kind != CT_VAL_NULL && row[ss->col_start].kind == CT_VAL_INT &&
		    row[ss->col_start].i > r->start_us && row[ss->col_number].kind == CT_VAL_TEXT &&
		    row[ss->col_number].len == n && memcmp(row[ss->col_number].s, r->caller_number, n) == 0)
			return SQLITE_ROW;
	}
	if (!ss->later_ok && !ss->later_gone) {
		int rc = sqlite3_step(ss->sel_max_start);

		if (rc == SQLITE_ROW) {
			ss->later_max = sqlite3_column_type(ss->sel_max_start, 0) == SQLITE_NULL ?
			    INT64_MIN : sqlite3_column_int64(ss->sel_max_start, 0);
			ss->later_ok = true;
		}
		sqlite3_reset(ss->sel_max_start);
	}
	if (ss->later_ok && r->start_us >= ss->later_max)
		return SQLITE_DONE;   /* no row starts after r */
	if (n > INT_MAX ||
	    sqlite3_bind_text(ss->sel_later, 1, r->caller_number, (int)n, SQLITE_STATIC) != SQLITE_OK ||
	    sqlite3_bind_int64(ss->sel_later, 2, r->start_us) != SQLITE_OK) {
		sqlite3_reset(ss->sel_later);
		sqlite3_clear_bindings(ss->sel_later);
		return SQLITE_ERROR;
	}
	return step_reset(ss->sel_later);
}

/*
 * Called in a transaction just begun (the write lock held): when another
 * connection committed since the first BEGIN (PRAGMA data_version
 * changed; or it cannot be read), later_max is given up (later_gone).
 */
static void other_writer(struct sqlite_sink *ss)
{
	sqlite3_int64 v = -1;

	if (sqlite3_step(ss->data_version) == SQLITE_ROW)
		v = sqlite3_column_int64(ss->data_version, 0);
	sqlite3_reset(ss->data_version);
	if (v >= 0 && !ss->dv_known) {
		ss->dv = v;
		ss->dv_known = true;
	} else if (v < 0 || v != ss->dv) {
		ss->later_gone = true;
		ss->later_ok = false;
	}
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
	int prc = CT_OK;   /* the rows waiting: CT_ERR when some could not be written */
	bool one, hist, repeat = false;

	if (ss->db == NULL) {
		ct_sink_err(errbuf, "cannot write to database '%s': it could not be reopened", ss->path);
		return CT_ERR;
	}
	if (!ss->in_txn) {
		int64_t t0 = mono_ms();
		int brc;

		while ((brc = txn(ss, TXN_BEGIN, &msg)) != CT_OK &&
		    (sqlite3_errcode(ss->db) == SQLITE_BUSY || sqlite3_errcode(ss->db) == SQLITE_LOCKED) &&
		    mono_ms() - t0 < BUSY_PATIENCE_MS)
			;   /* each try waits BUSY_TIMEOUT_MS for the lock */
		if (brc != CT_OK)
			goto fail;
		ss->in_txn = true;
		ss->txn_start_ms = mono_ms();
		if (!ss->later_gone)
			other_writer(ss);
	}
	/*
	 * A call with a history changes its caller's later calls (upd_repeat)
	 * only when there are some: asked first (later_calls), so that a
	 * record with nothing to change is one INSERT too.
	 */
	hist = rec->has_history && rec->caller_number != NULL && rec->start_us != CT_TIME_NONE;
	if (hist) {
		int lc = later_calls(ss, rec);

		if (lc != SQLITE_ROW && lc != SQLITE_DONE) {
			msg = sqlite3_errmsg(ss->db);
			goto fail;
		}
		repeat = lc == SQLITE_ROW;
	}
	/* r's row is stored from here on (or lost: later_max only too large then) */
	if (ss->later_ok && rec->start_us != CT_TIME_NONE && rec->start_us > ss->later_max)
		ss->later_max = rec->start_us;
	/* One INSERT is atomic by itself: the savepoint is for records of several statements. */
	one = (rec->streams == NULL || rec->n_streams == 0) &&
	    (rec->callback_of == NULL || rec->start_us == CT_TIME_NONE) &&
	    (!hist || (!repeat && !closes_missed(rec)));   /* no history updates */
	/* A lone INSERT waits for the multi-row one (rows in write order, see MULTI_ROWS). */
	if (one && ss->ins_multi != NULL && (pend_row(ss, rec) ||
	    ((prc = flush_pend(ss, errbuf)) == CT_OK && pend_row(ss, rec)))) {
		if (ss->n_pend == MULTI_ROWS)
			prc = flush_pend(ss, errbuf);
		if (prc != CT_OK && ss->in_txn && sqlite3_get_autocommit(ss->db)) {
			note_rollback(ss, errbuf);
			return CT_ERR;
		}
		goto written;
	}
	/* Any other record (or one that found no memory to wait) comes after the rows waiting. */
	if (prc == CT_OK)
		prc = flush_pend(ss, errbuf);
	if (prc != CT_OK && sqlite3_get_autocommit(ss->db)) {
		note_rollback(ss, errbuf);
		return CT_ERR;
	}
	if (!one && txn(ss, TXN_SAVEPOINT, &msg) != CT_OK)
		goto fail;
	if (insert_record(ss, rec, repeat) != SQLITE_DONE) {
		msg = sqlite3_errmsg(ss->db);
		ct_sink_err(errbuf, "cannot write to database '%s': %s", ss->path, msg);
		if (!one && !sqlite3_get_autocommit(ss->db))
			sqlite3_exec(ss->db, "ROLLBACK TO rec; RELEASE rec", NULL, NULL, NULL);
		ss->rec_n = 0;
		note_rollback(ss, errbuf);   /* the transaction was rolled back with them */
		return CT_ERR;
	}
	if (!one && txn(ss, TXN_RELEASE, &msg) != CT_OK)
		goto fail;
	if (keep_repeats(ss) != SQLITE_DONE) {
		msg = sqlite3_errmsg(ss->db);
		goto fail;
	}
written:
	if (++ss->pending >= BATCH || mono_ms() - ss->txn_start_ms >= COMMIT_MS) {
		char cerr[CT_ERRBUF_SIZE];

		/* the rows' error, if any, is the one reported */
		if (commit(ss, prc == CT_OK ? errbuf : cerr) != CT_OK)
			prc = CT_ERR;
	}
	return prc;
fail:
	ct_sink_err(errbuf, "cannot write to database '%s': %s", ss->path, msg);
	note_rollback(ss, errbuf);
	return CT_ERR;
}

/* Commits the open batch (the engine's 1 s timer); CT_OK or CT_ERR naming the file. */
static int sqlite_flush(void *priv, char *errbuf)
{
	return commit(priv, errbuf);
}

/*
 * Commits, then closes the handle and its statements (ss stays, without a
 * database: writes fail until db_setup succeeds again).  CT_OK or CT_ERR
 * naming the file.
 */
static int db_close(struct sqlite_sink *ss, char *errbuf)
{
	int rc;

	if (ss->db == NULL)
		return CT_OK;
	rc = commit(ss, errbuf);
	finalize_all(ss);
	/*
	 * Everything into the database file now: SQLite skips its checkpoint
	 * at close when the file was moved away (log rotation), which would
	 * leave the moved file without the records still in the -wal file
	 * under the old name.  Busy readers only delay it (not an error).
	 */
	sqlite3_wal_checkpoint_v2(ss->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
	if (sqlite3_close(ss->db) != SQLITE_OK) {
		if (rc == CT_OK)
			ct_sink_err(errbuf, "cannot close database '%s': %s", ss->path,
			    sqlite3_errmsg(ss->db));
		rc = CT_ERR;
		sqlite3_close_v2(ss->db);
	}
	ss->db = NULL;
	ss->in_txn = false;
	ss->pending = 0;
	return rc;
}

/*
 * SIGHUP: commits and closes the database, then opens the same path again
 * (a file moved away is created anew with the schema).  CT_OK, or CT_ERR
 * naming the file (ss then has no database; close still frees it).
 */
static int sqlite_reopen(void *priv, char *errbuf)
{
	struct sqlite_sink *ss = priv;
	int rc = db_close(ss, errbuf);

	if (db_setup(ss, rc == CT_OK ? errbuf : NULL) != CT_OK) {
		finalize_all(ss);
		sqlite3_close(ss->db);
		ss->db = NULL;
		return CT_ERR;
	}
	return rc;
}

/*
 * The database is a call store: attribution replays its calls into the
 * caller history and writes the number pool into its table numbers.
 */
static int sqlite_attach_history(void *priv, struct ct_attr *a, char *errbuf)
{
	struct sqlite_sink *ss = priv;

	return ct_attr_attach_db(a, ss->path, errbuf);
}

/* Commits, then closes the database; priv is freed either way. */
static int sqlite_close(void *priv, char *errbuf)
{
	struct sqlite_sink *ss = priv;
	int rc;

	if (ss == NULL)
		return CT_OK;
	rc = db_close(ss, errbuf);
	sink_free(ss);
	return rc;
}

const struct ct_sink_ops ct_sink_sqlite = {
	.name = "sqlite",
	.open = sqlite_open,
	.write = sqlite_write,
	.flush = sqlite_flush,
	.reopen = sqlite_reopen,
	.attach_history = sqlite_attach_history,
	.close = sqlite_close,
};
