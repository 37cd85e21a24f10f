/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PostgreSQL sink: appends call records to table `calls` and their RTP
 * streams to `rtp_streams` in a server database (the SQLite sink's schema
 * with PostgreSQL types; calls.id is a BIGSERIAL and rtp_streams.call_rowid
 * references it through INSERT ... RETURNING id).  Columns come from the
 * column tables of record_int.h: the versioned migrations only create the
 * skeleton, and every open adds the columns the running calltap writes that
 * the database lacks, so a new record field reaches the database without a
 * hand-written ALTER.  Workload: several sensors write to one database at
 * once, each a long-running capture producing records one by one.  Schema
 * work runs in one transaction under a transaction-level advisory lock, so
 * concurrent first starts cannot race on CREATE TABLE; inserts are prepared
 * once per connection (text parameters) and sent in transactions of up to
 * BATCH records, each record in a savepoint so a rejected row never takes
 * the batch down.  Records are rendered to text at write time and kept in
 * memory (at most MAX_PENDING) until the server has committed them; when the
 * server is unreachable the sink says so once on stderr, keeps buffering and
 * reconnects with exponential backoff on later writes; at close whatever is
 * still undelivered is reported with a count.  Messages name the database,
 * host and port, never the password.
 * References: PostgreSQL 15 manual, libpq §34.1 (PQconnectdbParams,
 * expand_dbname), §34.3 (PQprepare, PQexecPrepared), §9.27.10 (advisory
 * locks), §8.6 (boolean input); docs/schema.md.
 */
#include "config.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

#define SCHEMA_VERSION 1
#define BATCH 500               /* records per transaction */
#define MAX_PENDING 100000      /* records kept while the server is away */
#define SEND_INTERVAL_S 1       /* a lone record waits at most this long */
#define RETRY_MAX_S 60          /* reconnect backoff ceiling */
#define MAX_COLS 128
#define LOCK_KEY "4237518946102"  /* pg_advisory_xact_lock key of every calltap */

/* One record rendered to text parameters, kept until a COMMIT covers it. */
struct pg_item {
	struct pg_item *next;
	size_t n_streams;
	const char **vals;   /* call values, then n_streams rows of stream values */
};

struct pg_col {
	const char *name;
	const char *type;    /* PostgreSQL type */
};

struct pg_sink {
	PGconn *conn;               /* NULL or a connection with statements prepared */
	char *conninfo;
	char where[256];            /* "database 'x' on host 'y' port z" */
	struct pg_col call_cols[MAX_COLS], stream_cols[MAX_COLS];
	size_t n_call, n_stream;    /* parameters per call row / stream row */
	struct pg_item *head, *tail;
	size_t n_pending;
	uint64_t dropped, rejected, delivered;
	time_t last_send, next_retry;
	unsigned backoff_s;
	bool down;                  /* the last attempt failed (reported once) */
	char last_err[256];
	char first_reject[256];
};

/* Skeleton of version 1; the columns are added from the column tables. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS calls (id BIGSERIAL PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS rtp_streams ("
	" call_rowid BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE);"
	"CREATE INDEX IF NOT EXISTS rtp_streams_call ON rtp_streams(call_rowid);";

/* migrations[i] brings a database from calltap_schema.version i to i + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
	schema_v1,
};

/* Run after the columns exist; idempotent. */
static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS calls_start_time ON calls(start_time);"
	"CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller);"
	"CREATE INDEX IF NOT EXISTS calls_callee ON calls(callee);";

static time_t now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* Drops server notices ("relation ... already exists, skipping"). */
static void no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* The PostgreSQL type of a column: BOOLEAN when its values are booleans. */
static const char *pg_type(const char *sql_type, enum ct_val_kind kind)
{
	if (kind == CT_VAL_BOOL || strcmp(sql_type, "BOOLEAN") == 0)
		return "BOOLEAN";
	if (strcmp(sql_type, "INTEGER") == 0)
		return "BIGINT";
	if (strcmp(sql_type, "REAL") == 0)
		return "DOUBLE PRECISION";
	return "TEXT";
}

/*
 * Fills the parameter column lists from the column tables.  The kind of
 * each value is probed on a blank record (with its validity flags set),
 * which tells boolean columns apart from integer ones; a column declared
 * "BOOLEAN" in the table is one too.  CT_OK, or CT_ERR when the tables exceed MAX_COLS.
 */
static int build_columns(struct pg_sink *ps)
{
	struct ct_call_record r;
	struct ct_stream_stats s;
	struct ct_val v;
	size_t i;

	if (ct_record_ncols + 2 > MAX_COLS || ct_stream_ncols + 1 > MAX_COLS)
		return CT_ERR;
	memset(&r, 0, sizeof(r));
	memset(&s, 0, sizeof(s));
	r.start_us = r.ringing_us = r.answer_us = r.end_us = CT_TIME_NONE;
	r.has_history = r.has_callback = true;  /* else those columns probe as null */
	for (i = 0; i < ct_record_ncols; i++) {
		memset(&v, 0, sizeof(v));
		ct_record_cols[i].get(&r, &v);
		ps->call_cols[i].name = ct_record_cols[i].name;
		ps->call_cols[i].type = pg_type(ct_record_cols[i].sql_type, v.kind);
	}
	ps->call_cols[i++] = (struct pg_col){ "streams", "BIGINT" };
	ps->call_cols[i++] = (struct pg_col){ "start_us", "BIGINT" };
	ps->n_call = i;
	ps->stream_cols[0] = (struct pg_col){ "call_id", "TEXT" };
	for (i = 0; i < ct_stream_ncols; i++) {
		memset(&v, 0, sizeof(v));
		ct_stream_cols[i].get(&s, &v);
		ps->stream_cols[i + 1].name = ct_stream_cols[i].name;
		ps->stream_cols[i + 1].type = pg_type(ct_stream_cols[i].sql_type, v.kind);
	}
	ps->n_stream = i + 1;
	return CT_OK;
}

/* ---- rendering a record to text parameters ------------------------------ */

/* Appends v as PostgreSQL text input plus a NUL; *off = -1 for SQL NULL. */
static void put_val(struct ct_buf *b, const struct ct_val *v, const char *type, long *off)
{
	char num[64];

	*off = (long)b->len;
	switch (v->kind) {
	case CT_VAL_TEXT:
		ct_buf_puts(b, v->s);
		break;
	case CT_VAL_INT:
		ct_buf_printf(b, "%" PRId64, v->i);
		break;
	case CT_VAL_BOOL:
		if (strcmp(type, "BOOLEAN") == 0)
			ct_buf_puts(b, v->i ? "true" : "false");
		else
			ct_buf_printf(b, "%d", v->i ? 1 : 0);
		break;
	case CT_VAL_REAL:
		/* Same digits as the JSON text, so both forms agree. */
		if (ct_fmt_fixed(v->d, v->prec, num, sizeof(num))) {
			ct_buf_puts(b, num);
			break;
		}
		/* fall through */
	default:
		*off = -1;
		return;
	}
	ct_buf_append(b, "", 1);
}

/* Renders every value of r into b, offsets into off[]. */
static void render(const struct pg_sink *ps, const struct ct_call_record *r,
    struct ct_buf *b, long *off)
{
	struct ct_val v;
	size_t i, k, n = 0;

	for (i = 0; i < ct_record_ncols; i++) {
		memset(&v, 0, sizeof(v));
		ct_record_cols[i].get(r, &v);
		put_val(b, &v, ps->call_cols[i].type, &off[n++]);
	}
	memset(&v, 0, sizeof(v));
	v.kind = CT_VAL_INT;
	v.i = r->streams != NULL ? (int64_t)r->n_streams : 0;
	put_val(b, &v, "BIGINT", &off[n++]);
	v.kind = r->start_us == CT_TIME_NONE ? CT_VAL_NULL : CT_VAL_INT;
	v.i = r->start_us;
	put_val(b, &v, "BIGINT", &off[n++]);
	for (k = 0; r->streams != NULL && k < r->n_streams; k++) {
		memset(&v, 0, sizeof(v));
		v.kind = r->call_id != NULL ? CT_VAL_TEXT : CT_VAL_NULL;
		v.s = r->call_id;
		put_val(b, &v, "TEXT", &off[n++]);
		for (i = 0; i < ct_stream_ncols; i++) {
			memset(&v, 0, sizeof(v));
			ct_stream_cols[i].get(&r->streams[k], &v);
			put_val(b, &v, ps->stream_cols[i + 1].type, &off[n++]);
		}
	}
}

/*
 * Renders r into one heap block: the item, its parameter pointers and the
 * text they point to.  Returns the item (free() releases it) or NULL when
 * out of memory.
 */
static struct pg_item *item_new(const struct pg_sink *ps, const struct ct_call_record *r)
{
	size_t ns = r->streams != NULL ? r->n_streams : 0;
	size_t nv = ps->n_call + ns * ps->n_stream, i;
	struct pg_item *it = NULL;
	struct ct_buf b;
	long *off;
	char *text;

	off = calloc(nv, sizeof(*off));
	if (off == NULL)
		return NULL;
	ct_buf_init(&b);
	render(ps, r, &b, off);
	if (b.oom)
		goto out;
	it = malloc(sizeof(*it) + nv * sizeof(char *) + b.len + 1);
	if (it == NULL)
		goto out;
	it->next = NULL;
	it->n_streams = ns;
	it->vals = (const char **)(it + 1);
	text = (char *)(it->vals + nv);
	if (b.len > 0)
		memcpy(text, b.p, b.len);
	for (i = 0; i < nv; i++)
		it->vals[i] = off[i] < 0 ? NULL : text + off[i];
out:
	ct_buf_fini(&b);
	free(off);
	return it;
}

/* ---- connection and schema --------------------------------------------- */

/* Runs sql (no parameters); CT_OK or CT_ERR with the server message in ps->last_err. */
static int exec(struct pg_sink *ps, const char *sql)
{
	PGresult *res = PQexec(ps->conn, sql);
	ExecStatusType st = PQresultStatus(res);
	int rc = CT_OK;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
		rc = CT_ERR;
	}
	PQclear(res);
	return rc;
}

/* Reads the schema version into *ver (0 for a new database); CT_OK or CT_ERR. */
static int schema_version(struct pg_sink *ps, int *ver)
{
	PGresult *res;

	if (exec(ps, "CREATE TABLE IF NOT EXISTS calltap_schema (version integer NOT NULL)") != CT_OK)
		return CT_ERR;
	res = PQexec(ps->conn, "SELECT max(version) FROM calltap_schema");
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
		PQclear(res);
		return CT_ERR;
	}
	*ver = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return CT_OK;
}

/* True when (table, name) is a row of res. */
static bool has_column(PGresult *res, const char *table, const char *name)
{
	int i, n = PQntuples(res);

	for (i = 0; i < n; i++)
		if (strcmp(PQgetvalue(res, i, 0), table) == 0 &&
		    strcmp(PQgetvalue(res, i, 1), name) == 0)
			return true;
	return false;
}

/* Adds to table every column of cols[0..n) it lacks; CT_OK or CT_ERR. */
static int add_columns(struct pg_sink *ps, PGresult *have, const char *table,
    const struct pg_col *cols, size_t n)
{
	char sql[256];
	size_t i;

	for (i = 0; i < n; i++) {
		if (has_column(have, table, cols[i].name))
			continue;
		snprintf(sql, sizeof(sql), "ALTER TABLE %s ADD COLUMN %s %s",
		    table, cols[i].name, cols[i].type);
		if (exec(ps, sql) != CT_OK)
			return CT_ERR;
	}
	return CT_OK;
}

/* Brings both tables up to the columns this calltap writes; CT_OK or CT_ERR. */
static int sync_columns(struct pg_sink *ps)
{
	PGresult *res;
	int rc = CT_ERR;

	res = PQexec(ps->conn, "SELECT table_name, column_name FROM information_schema.columns"
	    " WHERE table_schema = current_schema()"
	    " AND table_name IN ('calls', 'rtp_streams')");
	if (PQresultStatus(res) != PGRES_TUPLES_OK) {
		ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
		goto out;
	}
	if (add_columns(ps, res, "calls", ps->call_cols, ps->n_call) == CT_OK &&
	    add_columns(ps, res, "rtp_streams", ps->stream_cols, ps->n_stream) == CT_OK &&
	    exec(ps, indexes) == CT_OK)
		rc = CT_OK;
out:
	PQclear(res);
	return rc;
}

/*
 * Creates or migrates the schema in one transaction holding the advisory
 * lock, so sensors starting together apply it once.  CT_OK; CT_ERR with
 * ps->last_err; CT_PARTIAL when the database is newer than this calltap.
 */
static int setup_schema(struct pg_sink *ps)
{
	char sql[96];
	int ver = 0, v;

	if (exec(ps, "BEGIN") != CT_OK)
		return CT_ERR;
	if (exec(ps, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")") != CT_OK ||
	    schema_version(ps, &ver) != CT_OK)
		goto fail;
	if (ver > SCHEMA_VERSION) {
		snprintf(ps->last_err, sizeof(ps->last_err), "schema version %d is newer "
		    "than this calltap's (%d)", ver, SCHEMA_VERSION);
		exec(ps, "ROLLBACK");
		return CT_PARTIAL;
	}
	for (v = ver; v < SCHEMA_VERSION; v++)
		if (exec(ps, migrations[v]) != CT_OK)
			goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM calltap_schema;"
	    " INSERT INTO calltap_schema (version) VALUES (%d)", SCHEMA_VERSION);
	if ((ver < SCHEMA_VERSION && exec(ps, sql) != CT_OK) || sync_columns(ps) != CT_OK)
		goto fail;
	if (exec(ps, "COMMIT") == CT_OK)
		return CT_OK;
fail:
	if (PQstatus(ps->conn) == CONNECTION_OK) {
		char keep[sizeof(ps->last_err)];

		memcpy(keep, ps->last_err, sizeof(keep));
		exec(ps, "ROLLBACK");
		memcpy(ps->last_err, keep, sizeof(keep));
	}
	return CT_ERR;
}

/* Prepares name as "INSERT INTO table (cols) VALUES ($1...)" + tail. */
static int prepare(struct pg_sink *ps, const char *name, const char *table,
    const char *first, const struct pg_col *cols, size_t n, const char *tail)
{
	struct ct_buf sql;
	PGresult *res;
	size_t i, np = n + (first != NULL);
	int rc = CT_ERR;

	ct_buf_init(&sql);
	ct_buf_printf(&sql, "INSERT INTO %s (%s", table, first != NULL ? first : "");
	for (i = 0; i < n; i++)
		ct_buf_printf(&sql, "%s%s", i || first != NULL ? ", " : "", cols[i].name);
	ct_buf_puts(&sql, ") VALUES (");
	for (i = 0; i < np; i++)
		ct_buf_printf(&sql, "%s$%zu", i ? ", " : "", i + 1);
	ct_buf_printf(&sql, ")%s", tail);
	if (sql.oom) {
		snprintf(ps->last_err, sizeof(ps->last_err), "out of memory");
		ct_buf_fini(&sql);
		return CT_ERR;
	}
	res = PQprepare(ps->conn, name, sql.p, (int)np, NULL);
	if (PQresultStatus(res) == PGRES_COMMAND_OK)
		rc = CT_OK;
	else
		ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
	PQclear(res);
	ct_buf_fini(&sql);
	return rc;
}

/* Names the server in ps->where from the conninfo, or the live connection. */
static void describe(struct pg_sink *ps, PGconn *conn)
{
	const char *db = NULL, *host = NULL, *port = NULL;
	PQconninfoOption *opts = NULL, *o;

	if (conn != NULL) {
		db = PQdb(conn);
		host = PQhost(conn);
		port = PQport(conn);
	} else if ((opts = PQconninfoParse(ps->conninfo, NULL)) != NULL) {
		for (o = opts; o->keyword != NULL; o++) {
			if (strcmp(o->keyword, "dbname") == 0)
				db = o->val;
			else if (strcmp(o->keyword, "host") == 0)
				host = o->val;
			else if (strcmp(o->keyword, "hostaddr") == 0 && host == NULL)
				host = o->val;
			else if (strcmp(o->keyword, "port") == 0)
				port = o->val;
		}
	}
	snprintf(ps->where, sizeof(ps->where), "PostgreSQL database '%s' on '%s'%s%s",
	    db != NULL && *db ? db : "(default)", host != NULL && *host ? host : "(default host)",
	    port != NULL && *port ? " port " : "", port != NULL && *port ? port : "");
	PQconninfoFree(opts);
}

/*
 * Connects, sets the schema up and prepares the inserts.  CT_OK; CT_ERR with
 * ps->last_err (server away or refusing); CT_PARTIAL: the server answered
 * but the database cannot be used (newer schema, SQL error during setup).
 */
static int pg_connect(struct pg_sink *ps)
{
	static const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "dbname", NULL
	};
	const char *vals[] = { "10", "calltap", ps->conninfo, NULL };
	int rc;

	PQfinish(ps->conn);
	ps->conn = PQconnectdbParams(keys, vals, 1);
	if (ps->conn == NULL) {
		snprintf(ps->last_err, sizeof(ps->last_err), "out of memory");
		return CT_ERR;
	}
	if (PQstatus(ps->conn) != CONNECTION_OK) {
		ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
		goto fail;
	}
	PQsetNoticeProcessor(ps->conn, no_notice, NULL);
	describe(ps, ps->conn);
	rc = setup_schema(ps);
	if (rc == CT_OK &&
	    prepare(ps, "ct_call", "calls", NULL, ps->call_cols, ps->n_call, " RETURNING id") == CT_OK &&
	    prepare(ps, "ct_stream", "rtp_streams", "call_rowid", ps->stream_cols, ps->n_stream, "") == CT_OK)
		return CT_OK;
	if (PQstatus(ps->conn) == CONNECTION_OK)
		rc = CT_PARTIAL;
	else
		rc = CT_ERR;
	PQfinish(ps->conn);
	ps->conn = NULL;
	return rc;
fail:
	PQfinish(ps->conn);
	ps->conn = NULL;
	return CT_ERR;
}

/* ---- delivery ----------------------------------------------------------- */

/* Inserts one item (call row, then its stream rows); CT_OK or CT_ERR. */
static int insert_item(struct pg_sink *ps, const struct pg_item *it)
{
	const char *p[MAX_COLS + 1];
	PGresult *res;
	char id[32];
	size_t k;

	res = PQexecPrepared(ps->conn, "ct_call", (int)ps->n_call, it->vals, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
		goto fail;
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	p[0] = id;
	for (k = 0; k < it->n_streams; k++) {
		memcpy(p + 1, it->vals + ps->n_call + k * ps->n_stream,
		    ps->n_stream * sizeof(*p));
		res = PQexecPrepared(ps->conn, "ct_stream", (int)ps->n_stream + 1, p,
		    NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			goto fail;
		PQclear(res);
	}
	return CT_OK;
fail:
	ct_one_line(ps->last_err, sizeof(ps->last_err), PQerrorMessage(ps->conn));
	PQclear(res);
	return CT_ERR;
}

/*
 * Inserts one item inside a savepoint.  CT_OK; CT_PARTIAL when the server
 * rejected the record (rolled back alone, counted); CT_ERR when the
 * connection failed.
 */
static int send_item(struct pg_sink *ps, const struct pg_item *it)
{
	if (exec(ps, "SAVEPOINT rec") != CT_OK)
		return CT_ERR;
	if (insert_item(ps, it) == CT_OK)
		return exec(ps, "RELEASE rec");
	if (PQstatus(ps->conn) != CONNECTION_OK)
		return CT_ERR;
	if (ps->rejected++ == 0) {
		snprintf(ps->first_reject, sizeof(ps->first_reject), "%s", ps->last_err);
		fprintf(stderr, "calltap: %s rejected a record: %s\n", ps->where, ps->last_err);
	}
	return exec(ps, "ROLLBACK TO rec");
}

/* Frees the first n queued items (delivered or rejected). */
static void pop(struct pg_sink *ps, size_t n)
{
	struct pg_item *it;

	while (n-- > 0 && (it = ps->head) != NULL) {
		ps->head = it->next;
		free(it);
		ps->n_pending--;
	}
	if (ps->head == NULL)
		ps->tail = NULL;
}

/* Sends up to BATCH queued items in one transaction; CT_OK or CT_ERR. */
static int send_batch(struct pg_sink *ps)
{
	const struct pg_item *it;
	uint64_t rejected = ps->rejected;
	size_t n = 0;

	if (exec(ps, "BEGIN") != CT_OK)
		return CT_ERR;
	for (it = ps->head; it != NULL && n < BATCH; it = it->next, n++)
		if (send_item(ps, it) == CT_ERR)
			goto fail;
	if (exec(ps, "COMMIT") != CT_OK)
		goto fail;
	ps->delivered += n - (size_t)(ps->rejected - rejected);
	pop(ps, n);
	return CT_OK;
fail:
	ps->rejected = rejected;    /* those rows are sent again */
	if (PQstatus(ps->conn) == CONNECTION_OK)
		PQexec(ps->conn, "ROLLBACK");
	return CT_ERR;
}

/* Notes a failed attempt: says so once per outage, schedules the retry. */
static void went_down(struct pg_sink *ps)
{
	PQfinish(ps->conn);
	ps->conn = NULL;
	if (!ps->down)
		fprintf(stderr, "calltap: %s: %s; keeping records in memory (at most %d) "
		    "and retrying\n", ps->where, ps->last_err, MAX_PENDING);
	ps->down = true;
	ps->next_retry = now_s() + ps->backoff_s;
	ps->backoff_s = ps->backoff_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : ps->backoff_s * 2;
}

/*
 * Sends every queued record, connecting first when needed (unless the
 * retry time has not come and force is false).  Failures are kept for the
 * next attempt; never returns an error itself.
 */
static void deliver(struct pg_sink *ps, bool force)
{
	ps->last_send = now_s();
	if (ps->head == NULL)
		return;
	if (ps->conn == NULL) {
		if (!force && ps->last_send < ps->next_retry)
			return;
		if (pg_connect(ps) != CT_OK) {
			went_down(ps);
			return;
		}
		if (ps->down)
			fprintf(stderr, "calltap: %s: connected again; sending %zu buffered "
			    "record(s)\n", ps->where, ps->n_pending);
		ps->down = false;
		ps->backoff_s = 1;
	}
	while (ps->head != NULL)
		if (send_batch(ps) != CT_OK) {
			went_down(ps);
			return;
		}
}

/* ---- sink methods ------------------------------------------------------- */

static void sink_free(struct pg_sink *ps)
{
	pop(ps, ps->n_pending);
	PQfinish(ps->conn);
	free(ps->conninfo);
	free(ps);
}

/*
 * Opens the sink on a libpq connection string or URI.  A syntax error in
 * conninfo, a database with a newer schema or one where the schema cannot
 * be created fail here (NULL, message naming the server in errbuf).  An
 * unreachable server does not: it is reported on stderr and retried, and
 * the records wait in memory.
 */
static void *pgsql_open(const char *conninfo, char *errbuf)
{
	struct pg_sink *ps = calloc(1, sizeof(*ps));
	PQconninfoOption *opts;
	char *msg = NULL;
	int rc;

	if (ps == NULL || (ps->conninfo = strdup(conninfo)) == NULL) {
		ct_sink_err(errbuf, "out of memory");
		free(ps);
		return NULL;
	}
	opts = PQconninfoParse(conninfo, &msg);
	if (opts == NULL) {
		ct_one_line(ps->last_err, sizeof(ps->last_err), msg != NULL ? msg : "out of memory");
		ct_sink_err(errbuf, "invalid PostgreSQL connection string: %s", ps->last_err);
		PQfreemem(msg);
		goto fail;
	}
	PQconninfoFree(opts);
	describe(ps, NULL);
	if (build_columns(ps) != CT_OK) {
		ct_sink_err(errbuf, "%s: too many columns", ps->where);
		goto fail;
	}
	ps->backoff_s = 1;
	rc = pg_connect(ps);
	if (rc == CT_PARTIAL) {
		ct_sink_err(errbuf, "cannot use %s: %s", ps->where, ps->last_err);
		goto fail;
	}
	if (rc != CT_OK)
		went_down(ps);
	ps->last_send = now_s();
	return ps;
fail:
	sink_free(ps);
	return NULL;
}

/*
 * Queues rec and sends the queue when BATCH records wait or SEND_INTERVAL_S
 * passed since the last send.  Always CT_OK: an unreachable server or a
 * full buffer (the record is then counted as dropped) is reported at close.
 */
static int pgsql_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct pg_sink *ps = priv;
	struct pg_item *it;

	(void)errbuf;
	if (ps->n_pending >= MAX_PENDING || (it = item_new(ps, rec)) == NULL) {
		if (ps->dropped++ == 0)
			fprintf(stderr, "calltap: %s: %zu records waiting; dropping further "
			    "records until the server is back\n", ps->where, ps->n_pending);
		return CT_OK;
	}
	if (ps->tail != NULL)
		ps->tail->next = it;
	else
		ps->head = it;
	ps->tail = it;
	ps->n_pending++;
	if (ps->n_pending >= BATCH || now_s() - ps->last_send >= SEND_INTERVAL_S)
		deliver(ps, false);
	return CT_OK;
}

/*
 * Sends what is queued, retrying the connection now.  Always CT_OK, like
 * write: a failure to reach the server is not the end of this sink, and
 * whatever stays undelivered is reported by close.
 */
static int pgsql_flush(void *priv, char *errbuf)
{
	(void)errbuf;
	deliver(priv, true);
	return CT_OK;
}

/*
 * Sends what is queued, then closes.  CT_ERR with a count when any record
 * was not stored: undelivered, dropped for lack of room, or rejected by the
 * server.  priv is freed either way.
 */
static int pgsql_close(void *priv, char *errbuf)
{
	struct pg_sink *ps = priv;
	int rc = CT_OK;

	if (ps == NULL)
		return CT_OK;
	deliver(ps, true);
	if (ps->n_pending > 0 || ps->dropped > 0) {
		ct_sink_err(errbuf, "%s: %" PRIu64 " record(s) not delivered (%s)",
		    ps->where, (uint64_t)ps->n_pending + ps->dropped, ps->last_err);
		rc = CT_ERR;
	} else if (ps->rejected > 0) {
		ct_sink_err(errbuf, "%s: %" PRIu64 " record(s) rejected; first: %s",
		    ps->where, ps->rejected, ps->first_reject);
		rc = CT_ERR;
	}
	sink_free(ps);
	return rc;
}

const struct ct_sink_ops ct_sink_pgsql = {
	.name = "pgsql",
	.open = pgsql_open,
	.write = pgsql_write,
	.flush = pgsql_flush,
	.close = pgsql_close,
};
