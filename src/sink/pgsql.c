/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PostgreSQL sink: appends call records to table `calls`, their RTP
 * streams to `rtp_streams` and the streams' intervals to `rtp_intervals` in
 * a server database (the SQLite sink's schema with PostgreSQL types;
 * calls.id and rtp_streams.id are BIGSERIALs, and rtp_streams.call_rowid,
 * rtp_intervals.stream_rowid reference them through INSERT ... RETURNING
 * id).  Columns come from the
 * schema table (calltap/schema.h): the versioned migrations only create the
 * skeleton, and every connection adds the columns the running calltap
 * writes that the database lacks, so a new record field reaches the
 * database without a hand-written ALTER.  Workload: several sensors write
 * to one database at once, each a long-running capture producing records
 * one by one; the server may be down, restarting or hung (SIGSTOP, a dead
 * link), and the capture must never wait for it.
 *
 * So write() (capture thread) only renders the record to text parameters
 * and appends it to the write-ahead spool (spool.c: on disk within a
 * second, survives SIGKILL, bounded by --spool-max with counted, loud
 * drops), keyed by server, port, database and user.  One worker thread
 * reads the spool in order and delivers: transactions of up to BATCH
 * records, each in a savepoint so a rejected row never takes the batch
 * down, acknowledged in the spool after COMMIT.  A call is stored once:
 * (call_id, start_us) is a unique key and every row is inserted with ON
 * CONFLICT (call_id, start_us) DO NOTHING, so a batch re-sent after a
 * crash or a lost COMMIT answer, a replayed capture or a second sensor on
 * the same link store each call once (as the SQLite sink).  A call that
 * answers a missed call sets its callback_s by the SQLite sink's rule, and
 * the --numbers pool is written to table numbers (pg_set_numbers).  libpq runs
 * non-blocking with a client-side limit on every step (connect and each
 * statement: OP_TIMEOUT_S; the server's statement_timeout too) and TCP
 * keepalives and tcp_user_timeout, so a hung server costs the worker a
 * timeout, never the capture.  While the server is away the worker retries
 * with exponential backoff; records spooled by an earlier run are sent
 * before new ones.  Schema work runs in one transaction under a
 * transaction-level advisory lock, so concurrent first starts cannot race
 * on CREATE TABLE.  Each spool segment starts with the column list it was
 * rendered for, so records of an older calltap are inserted with theirs.
 * At close the worker drains for at most DRAIN_S seconds; what is left
 * stays in the spool for the next run and is reported with a count.
 * Messages name the database, host and port, never the password (library
 * messages go through ct_mask_secrets).
 * References: PostgreSQL 15 manual, libpq §34.1 (PQconnectStartParams,
 * PQconnectPoll, expand_dbname, keepalives, tcp_user_timeout), §34.4
 * (asynchronous command processing), §34.10 (nonblocking mode), §9.27.10
 * (advisory locks), INSERT ... ON CONFLICT, §8.6 (boolean input);
 * docs/schema.md.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/attr.h"
#include "calltap/sink.h"
#include "calltap/spool.h"
#include "calltap/thread.h"
#include "record_int.h"
#include "store_sql.h"

#define SCHEMA_VERSION 2
#define BATCH 500               /* records per transaction */
#define OP_TIMEOUT_S 10         /* connect, and each statement, at most */
/*
 * The first connection (and schema set-up) at start-up, all steps: a
 * server away or hung then costs the start this long, not OP_TIMEOUT_S a
 * step (the worker goes on trying in the background; records spool).
 */
#define OPEN_TIMEOUT_S 5
#define RETRY_MAX_S 30          /* reconnect backoff ceiling */
#define DRAIN_S 10              /* close delivers for at most this long */
#define MAX_COLS 128
#define LOCK_KEY "4237518946102"  /* pg_advisory_xact_lock key of every calltap */
#define HDR_MAGIC "calltap pgsql columns 1\n"

struct pg_col {
	const char *name;
	const char *type;    /* PostgreSQL type */
};

/* A column list as read from a spool segment header. */
struct pg_cols {
	struct pg_col call[MAX_COLS], stream[MAX_COLS], ival[MAX_COLS];
	size_t n_call, n_stream, n_ival;  /* n_ival 0: a segment without intervals */
	struct ct_buf text;      /* the header; names point into a copy */
	char *store;
};

/* The rows of table numbers to write: 4 texts per row, NULL = SQL NULL. */
struct pg_numbers {
	size_t n;
	char **vals;
};

struct pg_sink {
	struct ct_log log;          /* messages (log.h) */
	char *conninfo;
	char where[256];            /* "PostgreSQL database 'x' on 'y' port z" */
	struct pg_col call_cols[MAX_COLS], stream_cols[MAX_COLS], ival_cols[MAX_COLS];
	const struct ct_schema_col *call_src[MAX_COLS];  /* schema column of call_cols[i] */
	size_t n_call, n_stream;    /* parameters per call row / stream row */
	size_t n_ival;              /* values per rtp_intervals row (ct_schema_ivals) */
	struct ct_spool *spool;
	struct ct_buf wbuf;         /* capture thread: the record being rendered */
	long *woff;
	size_t woff_cap;

	pthread_t thread;
	bool started;
	int wake[2];                /* close -> worker: interrupts a wait */
	pthread_mutex_t mu;         /* guards the shared part below */
	pthread_cond_t cv;
	bool closing;
	int64_t deadline_ms;
	uint64_t delivered, rejected, duplicates, lost;
	bool said_lost;
	struct pg_numbers *numbers; /* table numbers still to be written, or NULL */
	char last_err[256];
	char first_reject[256];

	/* worker (and open, before the worker starts) */
	PGconn *conn;               /* NULL or connected with statements prepared */
	int64_t open_deadline_ms;   /* pgsql_open: the first connection's end (OPEN_TIMEOUT_S) */
	bool open_ok;               /* the first connection succeeded (set before the worker starts) */
	struct ct_buf prepared;     /* header the statements were prepared for */
	int64_t next_retry_ms;
	int64_t idle_until_ms;      /* the last batch read nothing: wait until then */
	unsigned backoff_s;
	bool down;                  /* the last attempt failed (reported once) */
	struct ct_buf rec;
};

/* Skeleton of version 1; the columns are added from the schema table. */
static const char schema_v1[] =
	"CREATE TABLE IF NOT EXISTS calls (id BIGSERIAL PRIMARY KEY);"
	"CREATE TABLE IF NOT EXISTS rtp_streams ("
	" call_rowid BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE);"
	"CREATE INDEX IF NOT EXISTS rtp_streams_call ON rtp_streams(call_rowid);";

/*
 * Version 2: a call is stored once, keyed by (call_id, start_us) (unique
 * index below).  Rows stored twice before (two sensors, a replay) are
 * removed by dedupe_v2 once the columns exist, keeping the first; their
 * streams go with them (ON DELETE CASCADE).
 */
static const char schema_v2[] = "SELECT 1";
static const char dedupe_v2[] =
	"DELETE FROM calls a USING calls b WHERE a.call_id = b.call_id"
	" AND a.start_us = b.start_us AND a.id > b.id";

/* migrations[i] brings a database from calltap_schema.version i to i + 1. */
static const char *const migrations[SCHEMA_VERSION] = {
	schema_v1,
	schema_v2,
};


/*
 * Per-interval stream samples (docs/schema.md, RTP intervals), keyed by the
 * stream row: rtp_streams gets an id (existing rows numbered by the
 * sequence), rtp_intervals its key columns; the value columns are added
 * from the schema table.  Idempotent, no version: an older calltap still
 * writes rtp_streams (its rows get an id) and never rtp_intervals.  Run in
 * setup_schema, under the advisory lock.  The id is added only when it is
 * missing: ADD COLUMN IF NOT EXISTS of a serial column would create a new
 * (unused) sequence at every run.
 */
static const char ivals_sql[] =
	"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM information_schema.columns"
	" WHERE table_schema = current_schema() AND table_name = 'rtp_streams'"
	" AND column_name = 'id') THEN ALTER TABLE rtp_streams ADD COLUMN id BIGSERIAL;"
	" END IF; END $$;"
	"CREATE UNIQUE INDEX IF NOT EXISTS rtp_streams_id ON rtp_streams(id);"
	"CREATE TABLE IF NOT EXISTS rtp_intervals ("
	" stream_rowid BIGINT NOT NULL REFERENCES rtp_streams(id) ON DELETE CASCADE,"
	" call_rowid BIGINT NOT NULL REFERENCES calls(id) ON DELETE CASCADE, call_id TEXT);"
	"CREATE INDEX IF NOT EXISTS rtp_intervals_stream ON rtp_intervals(stream_rowid);";

/* Run after the columns exist; idempotent.  Table numbers as SQLite's. */
static const char indexes[] =
	"CREATE INDEX IF NOT EXISTS calls_start_time ON calls(start_time);"
	"CREATE INDEX IF NOT EXISTS calls_caller ON calls(caller);"
	"CREATE INDEX IF NOT EXISTS calls_callee ON calls(callee);"
	CT_SQL_HISTORY_INDEXES
	"CREATE UNIQUE INDEX IF NOT EXISTS calls_key ON calls(call_id, start_us);"
	"CREATE TABLE IF NOT EXISTS numbers (number TEXT PRIMARY KEY, source TEXT,"
	" campaign TEXT, cost DOUBLE PRECISION);";

/*
 * The callback rule of the SQLite sink (sqlite.c upd_callback_sql: by
 * call_id, by caller_number, by caller text for rows without a number),
 * in PostgreSQL.  $1 = start_us of the outbound call; $2 = its
 * callback_of, its callee_number, its callback_of.
 */
#define CALLBACK_SET(MISSED) CT_SQL_CALLBACK_SET("$1::bigint", MISSED)
#define N_CALLBACK 3
static const char *const upd_callback_sql[N_CALLBACK] = {
	CALLBACK_SET(CT_SQL_MISSED_ANY) "call_id = $2",
	CALLBACK_SET(CT_SQL_MISSED) "caller_number = $2",
	CALLBACK_SET(CT_SQL_MISSED) CT_SQL_CALLBACK_BY_CALLER("$2"),
};
static const char *const callback_stmt[N_CALLBACK] = { "ct_cb0", "ct_cb1", "ct_cb2" };

/*
 * The history rule of the SQLite sink (sqlite.c upd_repeat_sql): a call
 * stored after later calls of its caller counts as one more earlier call
 * for each.  $1 caller_number, $2 start_us.
 */
/* The closing rule of the SQLite sink (sqlite.c upd_closed_sql). */
static const char upd_closed_sql[] = CT_SQL_CLOSED("$1", "$2::bigint");

static const char upd_repeat_sql[] = CT_SQL_REPEAT("$1", "$2::bigint", "false");

/* Drops server notices ("relation ... already exists, skipping"). */
static void no_notice(void *arg, const char *msg)
{
	(void)arg;
	(void)msg;
}

/* Sets ps->last_err from a library message, credentials masked. */
static void set_err(struct pg_sink *ps, const char *msg)
{
	char line[256];

	ct_one_line(line, sizeof(line), msg);
	pthread_mutex_lock(&ps->mu);
	ct_mask_secrets(ps->last_err, sizeof(ps->last_err), line, ps->conninfo);
	pthread_mutex_unlock(&ps->mu);
}

/*
 * Fills the parameter column lists from the schema table: the store
 * columns of calls (types from the table), and call_id then the stream
 * columns for rtp_streams.  CT_OK, or CT_ERR when the table exceeds MAX_COLS.
 */
static int build_columns(struct pg_sink *ps)
{
	const struct ct_schema_col *c;
	size_t i, n = 0;

	if (ct_schema_ncalls > MAX_COLS || ct_schema_nstreams + 1 > MAX_COLS)
		return CT_ERR;
	for (i = 0; i < ct_schema_ncalls; i++) {
		c = &ct_schema_calls[i];
		if (!(c->outputs & CT_OUT_STORE))
			continue;
		ps->call_src[n] = c;
		ps->call_cols[n++] = (struct pg_col){ c->name, ct_schema_pg_type(c->type) };
	}
	ps->n_call = n;
	ps->stream_cols[0] = (struct pg_col){ "call_id", "TEXT" };
	for (i = 0; i < ct_schema_nstreams; i++)
		ps->stream_cols[i + 1] = (struct pg_col){ ct_schema_streams[i].name,
		    ct_schema_pg_type(ct_schema_streams[i].type) };
	ps->n_stream = i + 1;
	if (ct_schema_nivals + 3 > MAX_COLS)
		return CT_ERR;
	for (i = 0; i < ct_schema_nivals; i++)
		ps->ival_cols[i] = (struct pg_col){ ct_schema_ivals[i].name,
		    ct_schema_pg_type(ct_schema_ivals[i].type) };
	ps->n_ival = i;
	return CT_OK;
}

/* ---- rendering text parameters ------------------------------------------ */

/* Appends v as PostgreSQL text input plus a NUL; *off = -1 for SQL NULL. */
static void put_val(struct ct_buf *b, const struct ct_val *v, const char *type, long *off)
{
	char num[64];

	*off = (long)b->len;
	switch (v->kind) {
	case CT_VAL_TEXT:
	case CT_VAL_JSON:
		ct_buf_puts(b, v->s);
		break;
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
		ct_buf_i64(b, v->i);
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

/* ---- rendering a record to a spool entry ------------------------------- */

/*
 * The spool entry of a record: uint32 value count, uint32 stream count
 * (host byte order: the spool never leaves this machine), then per value a
 * uint32 length (UINT32_MAX for SQL NULL) and the bytes.  Values: the call
 * columns, then per stream its columns; then, when the segment's header
 * lists interval columns ("I" lines), per stream its number of intervals
 * (decimal text) and their columns, interval after interval.
 */
static void put_u32(struct ct_buf *b, uint32_t v)
{
	ct_buf_append(b, &v, sizeof(v));
}

/* Appends v as one value of a spool entry (type: its PostgreSQL type). */
static void put_entry_val(struct ct_buf *b, struct ct_buf *t, const struct ct_val *v,
    const char *type)
{
	long off;

	ct_buf_reset(t);
	put_val(t, v, type, &off);
	if (off < 0 || t->oom) {
		put_u32(b, UINT32_MAX);
	} else {
		put_u32(b, (uint32_t)(t->len - 1));
		ct_buf_append(b, t->p, t->len - 1);
	}
}

/* Renders r into ps->wbuf (capture thread); CT_OK or CT_NOMEM. */
static int render(struct pg_sink *ps, const struct ct_call_record *r)
{
	struct ct_buf *b = &ps->wbuf;
	struct ct_buf t;
	struct ct_val v;
	size_t ns = r->streams != NULL ? r->n_streams : 0;
	size_t nv = ps->n_call + ns * ps->n_stream, i, k;
	uint32_t j;
	char cnt[16];

	for (k = 0; k < ns; k++)
		nv += 1 + (size_t)(r->streams[k].ivals != NULL ? r->streams[k].n_ivals : 0) * ps->n_ival;

	ct_buf_reset(b);
	ct_buf_init(&t);
	put_u32(b, (uint32_t)nv);
	put_u32(b, (uint32_t)ns);
	for (i = 0; i < ps->n_call; i++) {
		ct_schema_value(ps->call_src[i], r, &v);
		put_entry_val(b, &t, &v, ps->call_cols[i].type);
	}
	for (k = 0; k < ns; k++) {
		v.kind = r->call_id != NULL ? CT_VAL_TEXT : CT_VAL_NULL;
		v.s = r->call_id;
		put_entry_val(b, &t, &v, "TEXT");
		for (i = 1; i < ps->n_stream; i++) {
			ct_schema_stream_value(&ct_schema_streams[i - 1], &r->streams[k], &v);
			put_entry_val(b, &t, &v, ps->stream_cols[i].type);
		}
	}
	for (k = 0; k < ns; k++) {
		const struct ct_stream_stats *st = &r->streams[k];
		uint32_t n = st->ivals != NULL ? st->n_ivals : 0;

		snprintf(cnt, sizeof(cnt), "%" PRIu32, n);
		v.kind = CT_VAL_TEXT;
		v.s = cnt;
		put_entry_val(b, &t, &v, "TEXT");
		for (j = 0; j < n; j++)
			for (i = 0; i < ps->n_ival; i++) {
				ct_schema_ival_value(&ct_schema_ivals[i], &st->ivals[j], &v);
				put_entry_val(b, &t, &v, ps->ival_cols[i].type);
			}
	}
	ct_buf_fini(&t);
	return b->oom ? CT_NOMEM : CT_OK;
}

/* The spool header: the column lists this calltap renders. */
static void make_header(const struct pg_sink *ps, struct ct_buf *b)
{
	size_t i;

	ct_buf_puts(b, HDR_MAGIC);
	for (i = 0; i < ps->n_call; i++)
		ct_buf_printf(b, "C %s %s\n", ps->call_cols[i].name, ps->call_cols[i].type);
	for (i = 0; i < ps->n_stream; i++)
		ct_buf_printf(b, "S %s %s\n", ps->stream_cols[i].name, ps->stream_cols[i].type);
	for (i = 0; i < ps->n_ival; i++)
		ct_buf_printf(b, "I %s %s\n", ps->ival_cols[i].name, ps->ival_cols[i].type);
}

/* Parses a spool header into c (names point into c->store); CT_OK or CT_ERR. */
static int parse_header(const struct ct_buf *h, struct pg_cols *c)
{
	char *p, *line, *save = NULL;

	free(c->store);
	c->store = NULL;
	c->n_call = c->n_stream = c->n_ival = 0;
	if (h->len < sizeof(HDR_MAGIC) - 1 || memcmp(h->p, HDR_MAGIC, sizeof(HDR_MAGIC) - 1) != 0)
		return CT_ERR;
	c->store = strndup(h->p + sizeof(HDR_MAGIC) - 1, h->len - (sizeof(HDR_MAGIC) - 1));
	if (c->store == NULL)
		return CT_ERR;
	for (line = strtok_r(c->store, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		char *name, *type;
		bool call = line[0] == 'C', ival = line[0] == 'I';

		if ((line[0] != 'C' && line[0] != 'S' && !ival) || line[1] != ' ')
			return CT_ERR;
		name = line + 2;
		if ((p = strchr(name, ' ')) == NULL)
			return CT_ERR;
		*p = '\0';
		type = p + 1;
		/* names and types are ours, but never trust a file: identifiers only */
		if (strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name) ||
		    strspn(type, "ABCDEFGHIJKLMNOPQRSTUVWXYZ ") != strlen(type) || !*name || !*type)
			return CT_ERR;
		if (call && c->n_call < MAX_COLS)
			c->call[c->n_call++] = (struct pg_col){ name, type };
		else if (ival && c->n_ival + 3 < MAX_COLS)
			c->ival[c->n_ival++] = (struct pg_col){ name, type };
		else if (!call && !ival && c->n_stream < MAX_COLS)
			c->stream[c->n_stream++] = (struct pg_col){ name, type };
		else
			return CT_ERR;
	}
	return c->n_call > 0 && c->n_stream > 0 ? CT_OK : CT_ERR;
}

/*
 * Splits a spool entry into *vals (allocated; the texts are copied,
 * NUL-terminated, into store).  CT_OK or CT_ERR (malformed, no memory).
 */
static int parse_entry(const struct ct_buf *e, const char ***valsp,
    size_t *n_vals, size_t *n_streams, struct ct_buf *store)
{
	const char **vals;
	const char *p = e->p, *end = e->p + e->len;
	uint32_t nv, ns, len, i;
	size_t *offs;

	if (e->len < 8)
		return CT_ERR;
	memcpy(&nv, p, 4);
	memcpy(&ns, p + 4, 4);
	p += 8;
	if (nv > e->len / 4)
		return CT_ERR;
	offs = calloc(nv ? nv : 1, sizeof(*offs));
	vals = calloc(nv ? nv : 1, sizeof(*vals));
	if (offs == NULL || vals == NULL) {
		free(offs);
		free(vals);
		return CT_ERR;
	}
	ct_buf_reset(store);
	for (i = 0; i < nv; i++) {
		if (end - p < 4)
			goto bad;
		memcpy(&len, p, 4);
		p += 4;
		if (len == UINT32_MAX) {
			offs[i] = SIZE_MAX;
			continue;
		}
		if ((size_t)(end - p) < len)
			goto bad;
		offs[i] = store->len;
		ct_buf_append(store, p, len);
		ct_buf_append(store, "", 1);
		p += len;
	}
	if (store->oom)
		goto bad;
	for (i = 0; i < nv; i++)
		vals[i] = offs[i] == SIZE_MAX ? NULL : store->p + offs[i];
	*n_vals = nv;
	*n_streams = ns;
	*valsp = vals;
	free(offs);
	return CT_OK;
bad:
	free(offs);
	free(vals);
	return CT_ERR;
}

/* ---- non-blocking libpq with time limits -------------------------------- */

/* The time limit of one step: OP_TIMEOUT_S, or the close deadline if sooner. */
static int64_t step_deadline(struct pg_sink *ps)
{
	int64_t d = ct_spool_now_ms() + OP_TIMEOUT_S * 1000;

	if (ps->open_deadline_ms != 0 && ps->open_deadline_ms < d)
		d = ps->open_deadline_ms;   /* pgsql_open's first connection, before the worker */
	pthread_mutex_lock(&ps->mu);
	if (ps->closing && ps->deadline_ms < d)
		d = ps->deadline_ms;
	pthread_mutex_unlock(&ps->mu);
	return d;
}

/*
 * Waits until fd is readable (or writable), the step deadline passes or
 * close wakes us.  1 ready; 0 out of time (ps->last_err says so).
 */
static int wait_fd(struct pg_sink *ps, int fd, bool for_write, int64_t until)
{
	struct pollfd p[2];
	int64_t left;
	char junk[16];
	int n;

	for (;;) {
		left = until - ct_spool_now_ms();
		pthread_mutex_lock(&ps->mu);
		if (ps->closing && ps->deadline_ms < until)
			until = ps->deadline_ms, left = until - ct_spool_now_ms();
		pthread_mutex_unlock(&ps->mu);
		if (left <= 0) {
			set_err(ps, "no answer in time (server hung or unreachable)");
			return 0;
		}
		p[0] = (struct pollfd){ .fd = fd, .events = for_write ? POLLOUT : POLLIN };
		p[1] = (struct pollfd){ .fd = ps->wake[0], .events = POLLIN };
		n = poll(p, 2, left > 1000 ? 1000 : (int)left);
		if (n < 0 && errno != EINTR)
			return 0;
		if (n > 0 && (p[1].revents & POLLIN))
			while (read(ps->wake[0], junk, sizeof(junk)) > 0)
				;
		if (n > 0 && p[0].revents != 0)
			return 1;
	}
}

/*
 * Collects the results of the command just sent: the first failed one, or
 * the last.  NULL when the connection failed or the step ran out of time
 * (ps->last_err set; the caller drops the connection).
 */
static PGresult *get_result(struct pg_sink *ps)
{
	int64_t until = step_deadline(ps);
	PGresult *res, *keep = NULL;
	int f;

	while ((f = PQflush(ps->conn)) == 1)
		if (!wait_fd(ps, PQsocket(ps->conn), true, until))
			goto fail;
	if (f < 0)
		goto conn_fail;
	for (;;) {
		while (PQisBusy(ps->conn)) {
			if (!wait_fd(ps, PQsocket(ps->conn), false, until))
				goto fail;
			if (!PQconsumeInput(ps->conn))
				goto conn_fail;
		}
		res = PQgetResult(ps->conn);
		if (res == NULL)
			break;
		if (keep != NULL && (PQresultStatus(keep) == PGRES_FATAL_ERROR)) {
			PQclear(res);
			continue;
		}
		PQclear(keep);
		keep = res;
	}
	if (keep == NULL)
		goto conn_fail;
	return keep;
conn_fail:
	set_err(ps, PQerrorMessage(ps->conn));
fail:
	PQclear(keep);
	return NULL;
}

/* True when res is a success of either kind; else sets last_err. */
static bool res_ok(struct pg_sink *ps, PGresult *res)
{
	ExecStatusType st;

	if (res == NULL)
		return false;
	st = PQresultStatus(res);
	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
		return true;
	set_err(ps, PQresultErrorMessage(res));
	return false;
}

/*
 * Waits for the result of a command just sent (sent: what PQsend* returned)
 * and checks it; CT_OK or CT_ERR with ps->last_err.
 */
static int command_done(struct pg_sink *ps, int sent)
{
	PGresult *res = NULL;
	int rc;

	if (sent)
		res = get_result(ps);
	else
		set_err(ps, PQerrorMessage(ps->conn));
	rc = res_ok(ps, res) ? CT_OK : CT_ERR;
	PQclear(res);
	return rc;
}

/* Runs sql (no parameters); CT_OK or CT_ERR with ps->last_err. */
static int exec(struct pg_sink *ps, const char *sql)
{
	return command_done(ps, PQsendQuery(ps->conn, sql));
}

/* Runs sql and returns its result (PGRES_TUPLES_OK) or NULL. */
static PGresult *query(struct pg_sink *ps, const char *sql)
{
	PGresult *res = PQsendQuery(ps->conn, sql) ? get_result(ps) : NULL;

	if (res != NULL && PQresultStatus(res) != PGRES_TUPLES_OK) {
		res_ok(ps, res);
		PQclear(res);
		return NULL;
	}
	return res;
}

/* True when the connection can still be used after a failed statement. */
static bool conn_alive(struct pg_sink *ps)
{
	return ps->conn != NULL && PQstatus(ps->conn) == CONNECTION_OK &&
	    PQtransactionStatus(ps->conn) != PQTRANS_ACTIVE &&
	    PQtransactionStatus(ps->conn) != PQTRANS_UNKNOWN;
}

/* Reads the schema version into *ver (0 for a new database); CT_OK or CT_ERR. */
static int schema_version(struct pg_sink *ps, int *ver)
{
	PGresult *res;

	if (exec(ps, "CREATE TABLE IF NOT EXISTS calltap_schema (version integer NOT NULL)") != CT_OK)
		return CT_ERR;
	res = query(ps, "SELECT max(version) FROM calltap_schema");
	if (res == NULL || PQntuples(res) != 1) {
		PQclear(res);
		return CT_ERR;
	}
	*ver = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return CT_OK;
}

/* Adds to table every column of cols[0..n) it lacks; CT_OK or CT_ERR. */
static int add_columns(struct pg_sink *ps, const char *table, const struct pg_col *cols, size_t n)
{
	struct ct_buf sql;
	size_t i;
	int rc;

	if (n == 0)
		return CT_OK;   /* a segment without intervals: an empty query is an error */
	ct_buf_init(&sql);
	for (i = 0; i < n; i++)
		ct_buf_printf(&sql, "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s;", table,
		    cols[i].name, cols[i].type);
	rc = sql.oom ? CT_ERR : exec(ps, sql.p != NULL ? sql.p : "");
	ct_buf_fini(&sql);
	return rc;
}

/* Brings the tables up to the columns c names; CT_OK or CT_ERR. */
static int sync_columns(struct pg_sink *ps, const struct pg_cols *c)
{
	if (add_columns(ps, "calls", c->call, c->n_call) == CT_OK &&
	    add_columns(ps, "rtp_streams", c->stream, c->n_stream) == CT_OK &&
	    add_columns(ps, "rtp_intervals", c->ival, c->n_ival) == CT_OK &&
	    exec(ps, indexes) == CT_OK)
		return CT_OK;
	return CT_ERR;
}

/*
 * Creates or migrates the schema in one transaction holding the advisory
 * lock, so sensors starting together apply it once.  CT_OK; CT_ERR with
 * ps->last_err; CT_UNUSABLE when the database is newer than this calltap.
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
		pthread_mutex_lock(&ps->mu);
		snprintf(ps->last_err, sizeof(ps->last_err), "schema version %d is newer "
		    "than this calltap's (%d)", ver, SCHEMA_VERSION);
		pthread_mutex_unlock(&ps->mu);
		return CT_UNUSABLE;
	}
	for (v = ver; v < SCHEMA_VERSION; v++)
		if (exec(ps, migrations[v]) != CT_OK)
			goto fail;
	snprintf(sql, sizeof(sql), "DELETE FROM calltap_schema;"
	    " INSERT INTO calltap_schema (version) VALUES (%d)", SCHEMA_VERSION);
	if (ver < SCHEMA_VERSION && exec(ps, sql) != CT_OK)
		goto fail;
	if (add_columns(ps, "calls", ps->call_cols, ps->n_call) != CT_OK ||
	    add_columns(ps, "rtp_streams", ps->stream_cols, ps->n_stream) != CT_OK ||
	    exec(ps, ivals_sql) != CT_OK ||
	    add_columns(ps, "rtp_intervals", ps->ival_cols, ps->n_ival) != CT_OK ||
	    (ver == 1 && exec(ps, dedupe_v2) != CT_OK) || exec(ps, indexes) != CT_OK)
		goto fail;
	if (exec(ps, "COMMIT") == CT_OK)
		return CT_OK;
fail:
	return CT_ERR;
}

/* Prepares sql (n parameters) as name; CT_OK or CT_ERR with ps->last_err. */
static int prepare_sql(struct pg_sink *ps, const char *name, const char *sql, int n)
{
	return command_done(ps, PQsendPrepare(ps->conn, name, sql, n, NULL));
}

/*
 * Prepares name as "INSERT INTO table (first, cols) VALUES ($1...)" + tail;
 * first (NULL: none) names n_first columns.
 */
static int prepare(struct pg_sink *ps, const char *name, const char *table,
    const char *first, size_t n_first, const struct pg_col *cols, size_t n, const char *tail)
{
	struct ct_buf sql;
	PGresult *res = NULL;
	size_t i, np = n + (first != NULL ? n_first : 0);
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
		set_err(ps, "out of memory");
		ct_buf_fini(&sql);
		return CT_ERR;
	}
	if (PQsendPrepare(ps->conn, name, sql.p, (int)np, NULL))
		res = get_result(ps);
	if (res_ok(ps, res))
		rc = CT_OK;
	PQclear(res);
	ct_buf_fini(&sql);
	return rc;
}

/*
 * Prepares the inserts for the columns of header h (a spool segment's),
 * adding the columns the database lacks.  Inside the current transaction
 * when there is one.  CT_OK or CT_ERR.
 */
static int prepare_for(struct pg_sink *ps, const struct ct_buf *h)
{
	struct pg_cols c;
	int rc = CT_ERR;

	memset(&c, 0, sizeof(c));
	if (parse_header(h, &c) != CT_OK) {
		set_err(ps, "a spool segment has an unreadable column list");
		goto out;
	}
	if (ps->prepared.len > 0 &&
	    exec(ps, "DEALLOCATE ct_call; DEALLOCATE ct_stream; DEALLOCATE ct_ival") != CT_OK)
		goto out;
	ct_buf_reset(&ps->prepared);
	if (sync_columns(ps, &c) == CT_OK &&
	    prepare(ps, "ct_call", "calls", NULL, 0, c.call, c.n_call,
	    " ON CONFLICT (call_id, start_us) DO NOTHING RETURNING id") == CT_OK &&
	    prepare(ps, "ct_stream", "rtp_streams", "call_rowid", 1, c.stream, c.n_stream,
	    " RETURNING id") == CT_OK &&
	    prepare(ps, "ct_ival", "rtp_intervals", "stream_rowid, call_rowid, call_id", 3, c.ival,
	    c.n_ival, "") == CT_OK) {
		ct_buf_append(&ps->prepared, h->p, h->len);
		rc = ps->prepared.oom ? CT_ERR : CT_OK;
	}
out:
	free(c.store);
	return rc;
}

/* Starts connecting (non-blocking); the connection, or NULL (last_err set). */
static PGconn *start_connect(struct pg_sink *ps)
{
	/* Ours first: the user's conninfo (dbname, expanded) overrides them. */
	static const char *const keys[] = {
		"connect_timeout", "keepalives", "keepalives_idle", "keepalives_interval",
		"keepalives_count", "tcp_user_timeout", "options",
		"fallback_application_name", "dbname", NULL
	};
	const char *vals[] = {
		"10", "1", "10", "5", "3", "15000", "-c statement_timeout=30000",
		"calltap", ps->conninfo, NULL
	};
	PGconn *c = PQconnectStartParams(keys, vals, 1);

	if (c == NULL)
		set_err(ps, "out of memory");
	return c;
}

/*
 * Connects within the step time limit, sets the schema up and prepares the
 * inserts.  CT_OK; CT_ERR with ps->last_err (server away, hung or
 * refusing); CT_UNUSABLE: the server answered but the database cannot be
 * used (newer schema, SQL error during setup).
 */
static int pg_connect(struct pg_sink *ps)
{
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	int64_t until = step_deadline(ps);
	int rc, i;

	PQfinish(ps->conn);
	ct_buf_reset(&ps->prepared);
	ps->conn = start_connect(ps);
	if (ps->conn == NULL)
		return CT_ERR;
	while (PQstatus(ps->conn) != CONNECTION_BAD && st != PGRES_POLLING_OK &&
	    st != PGRES_POLLING_FAILED) {
		if (PQsocket(ps->conn) < 0 ||
		    !wait_fd(ps, PQsocket(ps->conn), st == PGRES_POLLING_WRITING, until))
			goto fail_keep;
		st = PQconnectPoll(ps->conn);
	}
	if (PQstatus(ps->conn) != CONNECTION_OK) {
		set_err(ps, PQerrorMessage(ps->conn));
		goto fail_keep;
	}
	PQsetnonblocking(ps->conn, 1);
	PQsetNoticeProcessor(ps->conn, no_notice, NULL);
	rc = setup_schema(ps);
	if (rc == CT_OK) {
		struct ct_buf h;

		ct_buf_init(&h);
		make_header(ps, &h);
		rc = h.oom ? CT_ERR : prepare_for(ps, &h);
		ct_buf_fini(&h);
		for (i = 0; i < N_CALLBACK && rc == CT_OK; i++)
			rc = prepare_sql(ps, callback_stmt[i], upd_callback_sql[i], 2);
		if (rc == CT_OK)
			rc = prepare_sql(ps, "ct_repeat", upd_repeat_sql, 2);
		if (rc == CT_OK)
			rc = prepare_sql(ps, "ct_closed", upd_closed_sql, 2);
		if (rc == CT_OK)
			return CT_OK;
	}
	if (rc != CT_UNUSABLE && conn_alive(ps) && PQtransactionStatus(ps->conn) != PQTRANS_ACTIVE)
		rc = CT_UNUSABLE;
	if (rc == CT_UNUSABLE && !conn_alive(ps))
		rc = CT_ERR;
	PQfinish(ps->conn);
	ps->conn = NULL;
	return rc;
fail_keep:
	PQfinish(ps->conn);
	ps->conn = NULL;
	return CT_ERR;
}

/*
 * Names the server in where ("PostgreSQL database 'x' on 'h' port p") from
 * the live connection conn, or when conn is NULL from conninfo (a
 * conninfo that does not parse names the defaults).
 */
void ct_pgsql_describe(const PGconn *conn, const char *conninfo, char *where, size_t size)
{
	const char *db = NULL, *host = NULL, *port = NULL;
	PQconninfoOption *opts = NULL, *o;

	if (conn != NULL) {
		db = PQdb(conn);
		host = PQhost(conn);
		port = PQport(conn);
	} else if ((opts = PQconninfoParse(conninfo, NULL)) != NULL) {
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
	snprintf(where, size, "PostgreSQL database '%s' on '%s'%s%s",
	    db != NULL && *db ? db : "(default)", host != NULL && *host ? host : "(default host)",
	    port != NULL && *port ? " port " : "", port != NULL && *port ? port : "");
	PQconninfoFree(opts);
}

/* Names the server in ps->where from the conninfo, or the live connection. */
static void describe(struct pg_sink *ps, PGconn *conn)
{
	ct_pgsql_describe(conn, ps->conninfo, ps->where, sizeof(ps->where));
}

/* ---- delivery (worker) ------------------------------------------------- */

/* Index of the call column name in c, or -1. */
static int call_index(const struct pg_cols *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_call; i++)
		if (strcmp(c->call[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * For a call that answers a missed call (callback_of set), sets callback_s
 * of the missed calls it answers (upd_callback_sql; by number only when
 * the call has callee_number: old spool segments have none).  CT_OK,
 * CT_REFUSED (rejected: the result is left in *resp) or CT_ERR (connection).
 */
static int update_callbacks(struct pg_sink *ps, const struct pg_cols *c, const char **vals,
    PGresult **resp)
{
	int is = call_index(c, "start_us"), io = call_index(c, "callback_of");
	int in = call_index(c, "callee_number"), i;
	const char *p[2];

	*resp = NULL;
	if (is < 0 || io < 0 || vals[is] == NULL || vals[io] == NULL)
		return CT_OK;
	for (i = 0; i < N_CALLBACK; i++) {
		p[0] = vals[is];
		p[1] = i == 1 ? (in >= 0 ? vals[in] : NULL) : vals[io];
		if (p[1] == NULL)
			continue;
		if (!PQsendQueryPrepared(ps->conn, callback_stmt[i], 2, p, NULL, NULL, 0) ||
		    (*resp = get_result(ps)) == NULL)
			return CT_ERR;
		if (PQresultStatus(*resp) != PGRES_COMMAND_OK)
			return CT_REFUSED;
		PQclear(*resp);
		*resp = NULL;
	}
	return CT_OK;
}

/*
 * For a call with a history (repeat_count set) and a caller_number, adds
 * it as an earlier call to the later calls of its caller already stored
 * (upd_repeat_sql) and, when answered, closes its caller's earlier missed
 * calls (upd_closed_sql).  CT_OK, CT_REFUSED (rejected: the result is left in
 * *resp) or CT_ERR (connection).
 */
static int update_repeats(struct pg_sink *ps, const struct pg_cols *c, const char **vals,
    PGresult **resp)
{
	int is = call_index(c, "start_us"), ir = call_index(c, "repeat_count");
	int in = call_index(c, "caller_number"), id = call_index(c, "disposition");
	int ia = call_index(c, "answered_by");
	const char *p[2];
	int k;

	*resp = NULL;
	if (is < 0 || ir < 0 || in < 0 || vals[is] == NULL || vals[ir] == NULL || vals[in] == NULL)
		return CT_OK;
	p[0] = vals[in];
	p[1] = vals[is];
	for (k = 0; k < 2; k++) {
		/* ct_closed: an answered call also closes its caller's missed calls */
		if (k == 1 && (id < 0 || vals[id] == NULL || strcmp(vals[id], "answered") != 0))
			break;
		/* ... but not one only an IVR or voicemail answered (a missed call) */
		if (k == 1 && ia >= 0 && vals[ia] != NULL && (strcmp(vals[ia], "ivr") == 0 ||
		    strcmp(vals[ia], "voicemail") == 0))
			break;
		if (!PQsendQueryPrepared(ps->conn, k == 0 ? "ct_repeat" : "ct_closed", 2, p, NULL,
		    NULL, 0) || (*resp = get_result(ps)) == NULL)
			return CT_ERR;
		if (PQresultStatus(*resp) != PGRES_COMMAND_OK)
			return CT_REFUSED;
		PQclear(*resp);
		*resp = NULL;
	}
	return CT_OK;
}

/*
 * Inserts the intervals of one stream (row sid of call row cid, call_id
 * text call_id): the count at vals[at], then their values.  CT_OK;
 * CT_REFUSED with *resp the server's answer; CT_ERR (connection).
 */
static int send_ivals(struct pg_sink *ps, const struct pg_cols *c, const char **vals, size_t at,
    const char *sid, const char *cid, const char *call_id, PGresult **resp)
{
	const char *p[MAX_COLS + 1];
	size_t n = vals[at] != NULL ? strtoul(vals[at], NULL, 10) : 0, j;
	PGresult *res;

	p[0] = sid;
	p[1] = cid;
	p[2] = call_id;
	for (j = 0; j < n; j++) {
		memcpy(p + 3, vals + at + 1 + j * c->n_ival, c->n_ival * sizeof(*p));
		res = NULL;
		if (PQsendQueryPrepared(ps->conn, "ct_ival", (int)c->n_ival + 3, p, NULL, NULL, 0))
			res = get_result(ps);
		if (res == NULL)
			return CT_ERR;
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			*resp = res;
			return CT_REFUSED;
		}
		PQclear(res);
	}
	return CT_OK;
}

/*
 * Inserts one spool entry (call row, then its stream rows and their
 * intervals) inside a savepoint.  CT_OK (stored, or already stored: *dup); CT_REFUSED when the
 * server rejected the record (rolled back alone) or the entry is
 * unreadable (why says which); CT_ERR when the connection failed.
 */
static int send_entry(struct pg_sink *ps, const struct ct_buf *e, bool *dup, char *why, size_t wsz)
{
	const char **vals = NULL;
	const char *p[MAX_COLS + 1];
	struct ct_buf store;
	size_t nv, ns, n_call, n_stream, k, off, n;
	size_t *iv_off = NULL;    /* per stream: where its intervals' count is in vals */
	struct pg_cols c;
	PGresult *res = NULL;
	char id[32], sid[32];
	int rc = CT_ERR;

	*dup = false;
	memset(&c, 0, sizeof(c));
	ct_buf_init(&store);
	if (parse_header(&ps->prepared, &c) != CT_OK ||
	    parse_entry(e, &vals, &nv, &ns, &store) != CT_OK)
		goto unreadable;
	n_call = c.n_call;
	n_stream = c.n_stream;
	if (n_stream > MAX_COLS || ns > nv || (iv_off = calloc(ns + 1, sizeof(*iv_off))) == NULL)
		goto unreadable;
	off = n_call + ns * n_stream;
	for (k = 0; c.n_ival > 0 && k < ns && off < nv; k++) {   /* "I" columns: the intervals */
		iv_off[k] = off;
		n = vals[off] != NULL ? strtoul(vals[off], NULL, 10) : 0;
		if (n > nv)
			goto unreadable;
		off += 1 + n * c.n_ival;
	}
	if (off != nv || (c.n_ival > 0 && k != ns))
		goto unreadable;
	if (exec(ps, "SAVEPOINT rec") != CT_OK)
		goto out;
	if (PQsendQueryPrepared(ps->conn, "ct_call", (int)n_call, vals, NULL, NULL, 0))
		res = get_result(ps);
	if (res == NULL)
		goto out;
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		goto rejected;
	if (PQntuples(res) == 0) {
		*dup = true;              /* stored already (a re-sent batch, a replay) */
		PQclear(res);
		res = NULL;               /* cleared: not again at out */
		rc = exec(ps, "RELEASE rec");
		goto out;
	}
	snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	res = NULL;
	p[0] = id;
	for (k = 0; k < ns; k++) {
		memcpy(p + 1, vals + n_call + k * n_stream, n_stream * sizeof(*p));
		if (PQsendQueryPrepared(ps->conn, "ct_stream", (int)n_stream + 1, p, NULL, NULL, 0))
			res = get_result(ps);
		if (res == NULL)
			goto out;
		if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1)
			goto rejected;
		snprintf(sid, sizeof(sid), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		res = NULL;
		rc = c.n_ival > 0 ? send_ivals(ps, &c, vals, iv_off[k], sid, id,
		    vals[n_call + k * n_stream], &res) : CT_OK;
		if (rc == CT_ERR)
			goto out;
		if (rc == CT_REFUSED)
			goto rejected;
	}
	rc = update_callbacks(ps, &c, vals, &res);
	if (rc == CT_OK)
		rc = update_repeats(ps, &c, vals, &res);
	if (rc == CT_ERR)
		goto out;
	if (rc == CT_REFUSED)
		goto rejected;
	rc = exec(ps, "RELEASE rec");
	goto out;
rejected:
	ct_one_line(why, wsz, PQresultErrorMessage(res));
	PQclear(res);
	res = NULL;
	rc = exec(ps, "ROLLBACK TO rec") == CT_OK ? CT_REFUSED : CT_ERR;
	goto out;
unreadable:
	snprintf(why, wsz, "unreadable spool entry");
	rc = CT_REFUSED;
out:
	PQclear(res);
	free(c.store);
	free(vals);
	free(iv_off);
	ct_buf_fini(&store);
	return rc;
}

/*
 * Sends up to BATCH synced spool entries in one transaction and
 * acknowledges them after COMMIT.  CT_OK (*nread: how many; possibly
 * none) or CT_ERR (the spool is rewound: they are sent again).
 */
static int send_batch(struct pg_sink *ps, uint64_t *nread)
{
	uint64_t n = 0, rejected = 0, dups = 0;
	char why[256] = "", first[256] = "";
	bool dup, began = false;
	int rc;

	*nread = 0;
	ct_spool_sync(ps->spool);     /* on disk before delivery is attempted */
	while (n < BATCH && (rc = ct_spool_read(ps->spool, &ps->rec)) == CT_OK) {
		const struct ct_buf *h = ct_spool_header(ps->spool);

		if (!began) {
			if (exec(ps, "BEGIN") != CT_OK)
				goto fail;
			began = true;
		}
		if (h->len != ps->prepared.len || memcmp(h->p, ps->prepared.p, h->len) != 0)
			if (prepare_for(ps, h) != CT_OK)
				goto fail;
		rc = send_entry(ps, &ps->rec, &dup, why, sizeof(why));
		if (rc == CT_ERR)
			goto fail;
		if (rc == CT_REFUSED && rejected++ == 0)
			snprintf(first, sizeof(first), "%s", why);
		dups += dup;
		n++;
	}
	*nread = n;
	if (!began)
		return CT_OK;
	if (exec(ps, "COMMIT") != CT_OK)
		goto fail;
	ct_spool_ack(ps->spool);
	pthread_mutex_lock(&ps->mu);
	ps->delivered += n - rejected - dups;
	ps->duplicates += dups;
	if (rejected > 0 && ps->rejected == 0) {
		ct_mask_secrets(ps->first_reject, sizeof(ps->first_reject), first, ps->conninfo);
		ct_log(&ps->log, CT_LOG_WARN, "%s rejected a record: %s", ps->where, ps->first_reject);
	}
	ps->rejected += rejected;
	pthread_mutex_unlock(&ps->mu);
	return CT_OK;
fail:
	ct_spool_rewind(ps->spool);
	return CT_ERR;
}

/* Notes a failed attempt: says so once per outage, schedules the retry. */
static void went_down(struct pg_sink *ps)
{
	PQfinish(ps->conn);
	ps->conn = NULL;
	ct_buf_reset(&ps->prepared);
	if (!ps->down) {
		pthread_mutex_lock(&ps->mu);
		ct_log(&ps->log, CT_LOG_WARN, "%s: %s; keeping records in spool '%s' and retrying",
		    ps->where, ps->last_err, ct_spool_dir(ps->spool));
		pthread_mutex_unlock(&ps->mu);
	}
	ps->down = true;
	ps->next_retry_ms = ct_spool_now_ms() + ps->backoff_s * 1000;
	ps->backoff_s = ps->backoff_s * 2 > RETRY_MAX_S ? RETRY_MAX_S : ps->backoff_s * 2;
}

/*
 * Under ps->mu: waits until there is something to do.  1 to quit (closing
 * and nothing more can be done in time), else 0.
 */
static int next_step(struct pg_sink *ps)
{
	int64_t wake, now;

	for (;;) {
		now = ct_spool_now_ms();
		/* table numbers to write: as records, but even with none */
		if (ps->numbers != NULL && (!ps->closing || now < ps->deadline_ms) &&
		    (!ps->down || now >= ps->next_retry_ms))
			return 0;
		wake = ct_spool_pace(ps->spool, now, ps->closing, ps->deadline_ms,
		    ps->down, ps->next_retry_ms, ps->idle_until_ms);
		if (wake <= 0)
			return wake < 0;
		if (ps->numbers != NULL && ps->down && ps->next_retry_ms < wake)
			wake = ps->next_retry_ms;
		ct_spool_sleep(&ps->cv, &ps->mu, wake);
	}
}

/* Frees a numbers list (NULL is a no-op). */
static void numbers_free(struct pg_numbers *nb)
{
	size_t i;

	if (nb == NULL)
		return;
	for (i = 0; i < 4 * nb->n; i++)
		free(nb->vals[i]);
	free(nb->vals);
	free(nb);
}

/*
 * Replaces the rows of table numbers by the pending list, in one
 * transaction (worker, connected).  The list is dropped once written, or
 * when the server rejects it (said on stderr).  CT_OK, or CT_ERR when the
 * connection failed (the list stays pending for the next connection).
 */
static int write_numbers(struct pg_sink *ps)
{
	static const char ins[] = "INSERT INTO numbers (number, source, campaign, cost)"
	    " VALUES ($1, $2, $3, $4::double precision)";
	struct pg_numbers *nb;
	PGresult *res = NULL;
	size_t i;
	int rc = CT_OK;

	pthread_mutex_lock(&ps->mu);
	nb = ps->numbers;
	ps->numbers = NULL;
	pthread_mutex_unlock(&ps->mu);
	if (nb == NULL)
		return CT_OK;
	if (exec(ps, "BEGIN") != CT_OK || exec(ps, "DELETE FROM numbers") != CT_OK)
		goto failed;
	for (i = 0; i < nb->n; i++) {
		if (!PQsendQueryParams(ps->conn, ins, 4, NULL, (const char *const *)nb->vals + 4 * i,
		    NULL, NULL, 0) || (res = get_result(ps)) == NULL || !res_ok(ps, res))
			goto failed;
		PQclear(res);
		res = NULL;
	}
	if (exec(ps, "COMMIT") != CT_OK)
		goto failed;
	numbers_free(nb);
	return CT_OK;
failed:
	PQclear(res);
	if (conn_alive(ps)) {
		exec(ps, "ROLLBACK");
		pthread_mutex_lock(&ps->mu);
		fprintf(stderr, "calltap: %s: cannot write table numbers: %s\n", ps->where,
		    ps->last_err);
		pthread_mutex_unlock(&ps->mu);
		numbers_free(nb);
		return CT_OK;
	}
	rc = CT_ERR;
	pthread_mutex_lock(&ps->mu);
	if (ps->numbers == NULL)
		ps->numbers = nb;   /* again on the next connection */
	else
		numbers_free(nb);
	pthread_mutex_unlock(&ps->mu);
	return rc;
}

/* The delivery thread: spool to the server, until close. */
static void *worker(void *arg)
{
	struct pg_sink *ps = arg;
	struct ct_spool_stats st;
	uint64_t n;
	int rc;

	ct_thread_name("ct-pgsql");
	for (;;) {
		pthread_mutex_lock(&ps->mu);
		rc = next_step(ps);
		pthread_mutex_unlock(&ps->mu);
		if (rc)
			return NULL;
		if (ps->conn == NULL) {
			rc = pg_connect(ps);
			if (rc != CT_OK) {
				went_down(ps);
				continue;
			}
			if (ps->down) {
				ct_spool_get_stats(ps->spool, &st);
				ct_log(&ps->log, CT_LOG_INFO, "%s: connected again; sending %" PRIu64
				    " spooled record(s)", ps->where, st.pending);
			}
			ps->down = false;
			ps->backoff_s = 1;
		}
		if (write_numbers(ps) != CT_OK || send_batch(ps, &n) != CT_OK)
			went_down(ps);
		else if (n == 0)   /* pending but unreadable (a segment lost under us): no spinning */
			ps->idle_until_ms = ct_spool_now_ms() + 1000;
	}
}

/* ---- sink methods ------------------------------------------------------- */

static void sink_free(struct pg_sink *ps)
{
	PQfinish(ps->conn);
	ct_spool_close(ps->spool);
	if (ps->wake[0] >= 0)
		close(ps->wake[0]);
	if (ps->wake[1] >= 0)
		close(ps->wake[1]);
	pthread_cond_destroy(&ps->cv);
	pthread_mutex_destroy(&ps->mu);
	ct_buf_fini(&ps->wbuf);
	ct_buf_fini(&ps->rec);
	ct_buf_fini(&ps->prepared);
	numbers_free(ps->numbers);
	free(ps->conninfo);
	free(ps);
}

/*
 * The spool key: server, port, database and user (never the password), as
 * the connection will use them: the conninfo's, and for those it leaves
 * out the environment's (PGHOST, PGPORT, PGDATABASE, PGUSER, PGSERVICE ...:
 * libpq takes them too), so that a record spooled for one server is never
 * sent to another one the same conninfo reaches under another environment.
 * Without such variables the key is the conninfo's alone (as before).
 */
static void spool_key(const char *conninfo, char *key, size_t size)
{
	static const char *const keep[] = { "host", "hostaddr", "port", "dbname", "user", "service" };
	PQconninfoOption *opts = PQconninfoParse(conninfo, NULL), *defs = PQconndefaults(), *o, *e;
	const char *v;
	size_t off = 0, i;

	key[0] = '\0';
	for (o = opts; o != NULL && o->keyword != NULL; o++)
		for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
			if (strcmp(o->keyword, keep[i]) != 0 || off >= size)
				continue;
			v = o->val;
			for (e = defs; v == NULL && e != NULL && e->keyword != NULL; e++)
				if (strcmp(e->keyword, o->keyword) == 0 && e->envvar != NULL &&
				    getenv(e->envvar) != NULL && *getenv(e->envvar) != '\0')
					v = getenv(e->envvar);
			if (v != NULL)
				off += (size_t)snprintf(key + off, size - off, "%s=%s\n", o->keyword, v);
		}
	PQconninfoFree(opts);
	PQconninfoFree(defs);
}

/*
 * The libpq options that take one of a few words, and their environment
 * variables: libpq checks them only when it connects, so a typo would look
 * like a server that is down (records spooled for ever) instead of failing
 * at start.  Words as in libpq's documentation ("Parameter Key Words").
 */
static const struct {
	const char *key, *env, *words;   /* words: "|a|b|" */
} enum_opts[] = {
	{ "sslmode", "PGSSLMODE", "|disable|allow|prefer|require|verify-ca|verify-full|" },
	{ "gssencmode", "PGGSSENCMODE", "|disable|prefer|require|" },
	{ "channel_binding", "PGCHANNELBINDING", "|disable|prefer|require|" },
	{ "target_session_attrs", "PGTARGETSESSIONATTRS",
	  "|any|read-write|read-only|primary|standby|prefer-standby|" },
	{ "sslnegotiation", "PGSSLNEGOTIATION", "|postgres|direct|" },
};

/*
 * Checks the enumerated options of opts (parsed conninfo), or their
 * environment variable when the conninfo leaves them out.  CT_OK, or CT_ERR
 * with "KEY 'VALUE' is not one of ..." in msg.
 */
static int check_enum_opts(const PQconninfoOption *opts, char *msg, size_t size)
{
	const PQconninfoOption *o;
	char want[80];
	size_t i, n;

	for (i = 0; i < sizeof(enum_opts) / sizeof(enum_opts[0]); i++) {
		const char *v = NULL, *from = "";
		bool known = false;   /* this libpq has the option (an older one ignores its variable) */

		for (o = opts; o != NULL && o->keyword != NULL; o++)
			if (strcmp(o->keyword, enum_opts[i].key) == 0) {
				known = true;
				v = o->val;
			}
		if (!known)
			continue;
		if (v == NULL && (v = getenv(enum_opts[i].env)) != NULL)
			from = enum_opts[i].env;
		if (v == NULL || v[0] == '\0')
			continue;
		n = strlen(v);
		snprintf(want, sizeof(want), "|%s|", v);
		if (n < sizeof(want) - 2 && strstr(enum_opts[i].words, want) != NULL)
			continue;
		snprintf(want, sizeof(want), "%s", enum_opts[i].words + 1);
		want[strlen(want) - 1] = '\0';
		snprintf(msg, size, "%s%s%s '%.40s' is not one of %s", enum_opts[i].key,
		    from[0] ? " from " : "", from, v, want);
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * Opens the sink on args: target, the libpq conninfo; spool_dir (NULL:
 * ./calltap-spool) and spool_max for the records not yet stored.  A syntax
 * error in conninfo, an unknown word for an option such as sslmode
 * (check_enum_opts), a
 * database with a newer schema or one where the schema cannot be created,
 * or a spool that cannot be opened fail here (NULL, message naming the
 * server or directory in errbuf).  An unreachable or hung server does not:
 * it is logged and retried by the worker, and the records wait
 * in the spool.  The first connection attempt takes at most OPEN_TIMEOUT_S.
 */
static void *pgsql_open(const struct ct_sink_args *args, char *errbuf)
{
	struct pg_sink *ps = calloc(1, sizeof(*ps));
	struct ct_spool_cfg cfg;
	struct ct_spool_stats st;
	PQconninfoOption *opts;
	struct ct_buf hdr;
	char *msg = NULL, key[1024], line[256];
	int rc;

	if (ps == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	if (args->log != NULL)
		ps->log = *args->log;
	ps->wake[0] = ps->wake[1] = -1;
	ps->backoff_s = 1;
	pthread_mutex_init(&ps->mu, NULL);
	ct_spool_cond_init(&ps->cv);
	ct_buf_init(&ps->wbuf);
	ct_buf_init(&ps->rec);
	ct_buf_init(&ps->prepared);
	ct_buf_init(&hdr);
	if ((ps->conninfo = strdup(args->target)) == NULL) {
		ct_sink_err(errbuf, "out of memory");
		goto fail;
	}
	opts = PQconninfoParse(ps->conninfo, &msg);
	if (opts == NULL) {
		ct_one_line(line, sizeof(line), msg != NULL ? msg : "out of memory");
		ct_mask_secrets(ps->last_err, sizeof(ps->last_err), line, ps->conninfo);
		ct_sink_err(errbuf, "invalid PostgreSQL connection string: %s", ps->last_err);
		PQfreemem(msg);
		goto fail;
	}
	rc = check_enum_opts(opts, line, sizeof(line));
	PQconninfoFree(opts);
	if (rc != CT_OK) {
		ct_sink_err(errbuf, "invalid PostgreSQL connection string: %s", line);
		goto fail;
	}
	describe(ps, NULL);
	if (build_columns(ps) != CT_OK) {
		ct_sink_err(errbuf, "%s: too many columns", ps->where);
		goto fail;
	}
	if (pipe(ps->wake) != 0 || fcntl(ps->wake[0], F_SETFL, O_NONBLOCK) != 0 ||
	    fcntl(ps->wake[1], F_SETFL, O_NONBLOCK) != 0) {
		ct_sink_err(errbuf, "%s: cannot make a pipe: %s", ps->where, strerror(errno));
		goto fail;
	}
	make_header(ps, &hdr);
	spool_key(ps->conninfo, key, sizeof(key));
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = args->spool_dir != NULL ? args->spool_dir : "calltap-spool";
	cfg.kind = "pg";
	cfg.key = key;
	cfg.shown = ps->where;
	cfg.max_bytes = args->spool_max;
	cfg.header = hdr.p;
	cfg.header_len = hdr.len;
	cfg.log = &ps->log;
	if (hdr.oom || (ps->spool = ct_spool_open(&cfg, errbuf)) == NULL) {
		if (hdr.oom)
			ct_sink_err(errbuf, "out of memory");
		goto fail;
	}
	ps->open_deadline_ms = ct_spool_now_ms() + OPEN_TIMEOUT_S * 1000;
	rc = pg_connect(ps);
	if (rc == CT_UNUSABLE) {
		ct_sink_err(errbuf, "cannot use %s: %s", ps->where, ps->last_err);
		goto fail;
	}
	ps->open_ok = rc == CT_OK;
	ps->open_deadline_ms = 0;   /* the worker's steps have OP_TIMEOUT_S each */
	if (rc != CT_OK)
		went_down(ps);
	ct_spool_get_stats(ps->spool, &st);
	if (st.recovered > 0)
		ct_log(&ps->log, CT_LOG_INFO, "%s: %" PRIu64 " record(s) spooled by an earlier run "
		    "in '%s' are sent first", ps->where, st.recovered, ct_spool_dir(ps->spool));
	if (ct_thread_start(&ps->thread, worker, ps) != 0) {
		ct_sink_err(errbuf, "%s: cannot start a thread", ps->where);
		goto fail;
	}
	ps->started = true;
	ct_buf_fini(&hdr);
	return ps;
fail:
	ct_buf_fini(&hdr);
	sink_free(ps);
	return NULL;
}

/*
 * Renders rec and appends it to the spool, then wakes the worker (capture
 * thread: never waits for the server).  Always CT_OK: a record the spool
 * could not take (full: dropped, logged; I/O error: lost) is
 * counted and reported at close.
 */
static int pgsql_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct pg_sink *ps = priv;
	bool oom;
	int rc;

	(void)errbuf;
	oom = render(ps, rec) != CT_OK;
	rc = oom ? CT_ERR : ct_spool_append(ps->spool, ps->wbuf.p, ps->wbuf.len);
	pthread_mutex_lock(&ps->mu);
	if (rc == CT_ERR && !ps->said_lost) {
		ps->said_lost = true;
		ct_log(&ps->log, CT_LOG_ERR, "%s: a record is LOST: %s", ps->where,
		    oom ? "out of memory" : ct_spool_error(ps->spool));
	}
	ps->lost += oom;     /* the spool counts its own losses */
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	return CT_OK;
}

/* Makes the spooled records durable now (the worker delivers them).  CT_OK. */
static int pgsql_flush(void *priv, char *errbuf)
{
	struct pg_sink *ps = priv;

	(void)errbuf;
	ct_spool_sync(ps->spool);
	return CT_OK;
}

/*
 * Delivers for at most DRAIN_S seconds, stops the worker, then reports:
 * CT_ERR with counts when any record was not stored (left in the spool for
 * the next run, dropped because the spool was full, lost, or rejected by
 * the server).  priv is freed either way.
 */
static int pgsql_close(void *priv, char *errbuf)
{
	struct pg_sink *ps = priv;
	struct ct_spool_stats st;
	int rc = CT_OK;

	if (ps == NULL)
		return CT_OK;
	pthread_mutex_lock(&ps->mu);
	ps->closing = true;
	ps->deadline_ms = ct_spool_now_ms() + DRAIN_S * 1000;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	if (write(ps->wake[1], "x", 1) < 0) {
		/* the pipe is full: the worker wakes anyway */
	}
	if (ps->started)
		pthread_join(ps->thread, NULL);
	ct_spool_get_stats(ps->spool, &st);
	if (st.pending > 0 || st.dropped > 0 || st.lost + ps->lost > 0) {
		ct_sink_err(errbuf, "%s: %" PRIu64 " record(s) not delivered (%s)%s%s; "
		    "%" PRIu64 " kept in spool '%s' for the next run", ps->where,
		    st.pending + st.dropped + st.lost + ps->lost,
		    ps->last_err[0] ? ps->last_err : "not tried",
		    st.dropped > 0 ? "; DROPPED: spool full (--spool-max)" : "",
		    st.lost + ps->lost > 0 ? "; some LOST (spool I/O error)" : "",
		    st.pending, ct_spool_dir(ps->spool));
		rc = CT_ERR;
	} else if (ps->rejected > 0) {
		ct_sink_err(errbuf, "%s: %" PRIu64 " record(s) rejected; first: %s",
		    ps->where, ps->rejected, ps->first_reject);
		rc = CT_ERR;
	}
	sink_free(ps);
	return rc;
}

/* Copies s into *dst (NULL stays NULL); false when out of memory. */
static bool dup_or_null(char **dst, const char *s)
{
	*dst = s != NULL ? strdup(s) : NULL;
	return s == NULL || *dst != NULL;
}

/*
 * Copies the pool into the rows to write to table numbers and wakes the
 * worker.  NULL pool: nothing.  CT_OK or CT_NOMEM.
 */
static int pg_set_numbers(void *priv, const struct ct_numbers *pool, char *errbuf)
{
	struct pg_sink *ps = priv;
	struct pg_numbers *nb;
	char cost[64];
	size_t i;
	bool ok = true;

	if (ps == NULL || pool == NULL)
		return CT_OK;
	nb = calloc(1, sizeof(*nb));
	if (nb == NULL || (nb->vals = calloc(4 * ct_numbers_count(pool) + 1,
	    sizeof(*nb->vals))) == NULL) {
		free(nb);
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	nb->n = ct_numbers_count(pool);
	for (i = 0; i < nb->n && ok; i++) {
		const struct ct_number_info *n = ct_numbers_at(pool, i);

		snprintf(cost, sizeof(cost), "%.17g", n->cost);
		ok = dup_or_null(&nb->vals[4 * i], n->number) &&
		    dup_or_null(&nb->vals[4 * i + 1], n->source) &&
		    dup_or_null(&nb->vals[4 * i + 2], n->campaign) &&
		    dup_or_null(&nb->vals[4 * i + 3], n->has_cost ? cost : NULL);
	}
	if (!ok) {
		numbers_free(nb);
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	pthread_mutex_lock(&ps->mu);
	numbers_free(ps->numbers);
	ps->numbers = nb;
	pthread_cond_signal(&ps->cv);
	pthread_mutex_unlock(&ps->mu);
	return CT_OK;
}


/* A column of a history row: NULL for SQL NULL. */
static const char *pg_cell(const PGresult *res, int i)
{
	return PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
}

static int64_t pg_cell_time(const PGresult *res, int i)
{
	const char *v = pg_cell(res, i);

	return v != NULL ? (int64_t)strtoll(v, NULL, 10) : CT_TIME_NONE;
}

/* Warns that the history was not loaded: libpq's message on one line, secrets masked. */
static void history_warn(struct pg_sink *ps, const char *why)
{
	char line[256], masked[256];

	ct_one_line(line, sizeof(line), why != NULL ? why : "unknown error");
	ct_mask_secrets(masked, sizeof(masked), line, ps->conninfo);
	ct_log(&ps->log, CT_LOG_WARN, "%s: caller history not loaded: %s", ps->where, masked);
}

/*
 * Replays every call of the database (table calls, in start order) into
 * the caller history h, as the SQLite store does (ct_history_preload), on a
 * short-lived connection of its own: blocking, 10 s to connect, 60 s per
 * statement, rows streamed one at a time (single-row mode), so a big store
 * costs no more memory than the history itself.  A database without table
 * calls yet is an empty history.  A server that cannot be reached or read
 * costs only the history (a warning; first_call and callbacks then know
 * this run's calls only): the records still spool and are delivered later.
 * with_ab: the query reads answered_by; *no_column is set when the table
 * has no such column (nothing was fed then).  Returns CT_OK, or CT_NOMEM.
 */
static int replay(struct pg_sink *ps, struct ct_history *h, bool with_ab, bool *no_column)
{
	static const char *const keys[] = {
		"connect_timeout", "options", "fallback_application_name", "dbname", NULL
	};
	const char *sql = with_ab ? CT_HISTORY_ROWS_SQL : CT_HISTORY_ROWS_SQL_OLD;
	const char *vals[] = { "3", "-c statement_timeout=60000 -c lock_timeout=3000", "calltap",
		ps->conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	PGresult *res;
	int rc = CT_OK;
	bool failed = false;

	if (c == NULL)
		return CT_NOMEM;
	if (PQstatus(c) != CONNECTION_OK || !PQsendQuery(c, sql) || !PQsetSingleRowMode(c)) {
		history_warn(ps, PQerrorMessage(c));
		PQfinish(c);
		return CT_OK;
	}
	PQsetNoticeProcessor(c, no_notice, NULL);
	while ((res = PQgetResult(c)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && rc == CT_OK && !failed) {
			struct ct_history_row row;

			memset(&row, 0, sizeof(row));
			row.call_id = pg_cell(res, 0);
			row.caller = pg_cell(res, 1);
			row.callee = pg_cell(res, 2);
			row.direction = pg_cell(res, 3);
			row.disposition = pg_cell(res, 4);
			row.start_us = pg_cell_time(res, 5);
			row.end_us = pg_cell_time(res, 6);
			row.answered_by = with_ab ? pg_cell(res, 7) : NULL;
			rc = ct_history_feed_row(h, &row) == CT_OK ? CT_OK : CT_NOMEM;
		} else if (st == PGRES_FATAL_ERROR && !failed) {
			const char *code = PQresultErrorField(res, PG_DIAG_SQLSTATE);

			failed = true;
			/* 42703 undefined_column: a store made before answered_by */
			if (with_ab && code != NULL && strcmp(code, "42703") == 0)
				*no_column = true;
			/* 42P01 undefined_table: a new database, nothing to replay */
			else if (code == NULL || strcmp(code, "42P01") != 0)
				history_warn(ps, PQresultErrorMessage(res));
		}
		PQclear(res);
	}
	PQfinish(c);
	return rc;
}

/*
 * Replays the store into h (replay), without answered_by when it has no
 * such column.  Not when the first connection failed (a server away or
 * hung: the start would wait for it a second time), nor waiting for a
 * lock on the table for more than 3 s (the server's lock_timeout): the
 * history then holds this run's calls only (a warning says so).
 */
static int preload_history(struct pg_sink *ps, struct ct_history *h)
{
	bool no_column = false;
	int rc;

	if (!ps->open_ok) {
		ct_log(&ps->log, CT_LOG_WARN, "%s: caller history not loaded: the server did not "
		    "answer at start (first_call and callbacks know this run's calls only)",
		    ps->where);
		return CT_OK;
	}
	rc = replay(ps, h, true, &no_column);

	if (rc == CT_OK && no_column)
		rc = replay(ps, h, false, &no_column);
	return rc;
}

/*
 * The database is a call store like the SQLite one: the number pool goes
 * to its table numbers (written by the worker once connected) and the
 * caller history continues from its calls (when no other store of this run
 * preloaded it already, see ct_attr_claim_history).  CT_OK, or CT_NOMEM
 * with a message in errbuf.
 */
static int pgsql_attach_history(void *priv, struct ct_attr *a, char *errbuf)
{
	struct pg_sink *ps = priv;
	struct ct_history *h;

	if (pg_set_numbers(ps, ct_attr_numbers(a), errbuf) != CT_OK)
		return CT_NOMEM;
	h = ct_attr_claim_history(a);
	if (h != NULL && preload_history(ps, h) != CT_OK) {
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	return CT_OK;
}

/* No reopen: a connection and a spool, no file to rotate (SIGHUP only flushes). */
const struct ct_sink_ops ct_sink_pgsql = {
	.name = "pgsql",
	.open = pgsql_open,
	.write = pgsql_write,
	.flush = pgsql_flush,
	.attach_history = pgsql_attach_history,
	.close = pgsql_close,
};
