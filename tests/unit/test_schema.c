/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The schema table (src/sink/schema.c) against everything that is
 * generated from it: it is well formed (unique identifiers, a doc line and
 * a null rule per column, decimals for reals); the report's required and
 * optional columns are the ones the table marks; an SQLite database made
 * by the sink has exactly its columns, in its order, with its types (new
 * file, and an old file after the upgrade); docs/schema.md's column lists
 * are the generated ones (scripts/update-schema-doc.sh rewrites them).
 * Modes for the scripts: `--markdown` prints the generated lists;
 * `--pg-columns` prints "table column type" lines of the PostgreSQL schema
 * (tests/pgsql.sh compares them with information_schema).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/schema.h"
#include "calltap/sink.h"
#include "../../src/report/report_int.h"
#include "test.h"

static char tmpdir[64];

static bool is_ident(const char *s)
{
	return s != NULL && *s >= 'a' && *s <= 'z' &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(s);
}

/* Well-formed table: identifiers, unique, documented, decimals for reals. */
static void test_table(void)
{
	size_t i, j, streams = 0;

	CHECK(ct_schema_ncalls > 40);
	for (i = 0; i < ct_schema_ncalls; i++) {
		const struct ct_schema_col *c = &ct_schema_calls[i];

		CHECK(is_ident(c->name));
		CHECK(c->outputs != 0 && (c->outputs & ~CT_OUT_ALL) == 0);
		CHECK(c->doc != NULL && strlen(c->doc) > 10 && strchr(c->doc, '|') == NULL);
		CHECK(c->null_when != NULL && *c->null_when && strchr(c->null_when, '|') == NULL);
		CHECK(c->type != CT_COL_REAL || (c->prec >= 1 && c->prec <= 6));
		CHECK(c->get != NULL || c->type == CT_COL_TEXT);
		CHECK(c->report == CT_REPORT_UNUSED || (c->outputs & CT_OUT_STORE));
		for (j = 0; j < i; j++)
			if (strcmp(ct_schema_calls[j].name, c->name) == 0)
				CHECK_STR(c->name, "(a unique name)");
		CHECK(ct_schema_find(c->name) == c);
		streams += strcmp(c->name, "streams") == 0;
	}
	CHECK_INT(streams, 1);
	CHECK(ct_schema_find("no_such_column") == NULL);
	for (i = 0; i < ct_schema_nstreams; i++) {
		const struct ct_schema_stream_col *c = &ct_schema_streams[i];

		CHECK(is_ident(c->name) && c->get != NULL && c->doc != NULL && c->null_when != NULL);
		CHECK(c->type != CT_COL_REAL || (c->prec >= 1 && c->prec <= 6));
		CHECK(strcmp(c->name, "call_id") != 0 && strcmp(c->name, "call_rowid") != 0);
		for (j = 0; j < i; j++)
			CHECK(strcmp(ct_schema_streams[j].name, c->name) != 0);
	}
	/* the fields issue 11 added, and the store-only columns */
	CHECK(ct_schema_find("caller_number") != NULL && ct_schema_find("callee_number") != NULL);
	CHECK_INT(ct_schema_find("start_us")->outputs, CT_OUT_STORE);
	CHECK_INT(ct_schema_find("end_us")->outputs, CT_OUT_STORE);
	CHECK_STR(ct_schema_pg_type(CT_COL_BOOLEAN), "BOOLEAN");
	CHECK_STR(ct_schema_sqlite_type(CT_COL_BOOLEAN), "INTEGER");
	CHECK_STR(ct_schema_sqlite_type(CT_COL_TIME), "TEXT");
	CHECK_STR(ct_schema_pg_type(CT_COL_REAL), "DOUBLE PRECISION");
}

/* The report reads what the table marks: required, and ct_report_opt_name[] optional. */
static void test_report_cols(void)
{
	static const char *const reads[] = {
		"start_us", "disposition", "direction", "answer_ms", "talk_s", "caller", "agent"
	};
	size_t i, j, nreq = 0, nopt = 0;

	for (i = 0; i < ct_schema_ncalls; i++) {
		const struct ct_schema_col *c = &ct_schema_calls[i];

		if (c->report == CT_REPORT_REQUIRED) {
			nreq++;
			for (j = 0; j < sizeof(reads) / sizeof(reads[0]); j++)
				if (strcmp(reads[j], c->name) == 0)
					break;
			CHECK(j < sizeof(reads) / sizeof(reads[0]));
		} else if (c->report == CT_REPORT_OPTIONAL) {
			nopt++;
			for (j = 0; j < CT_RO_COUNT; j++)
				if (strcmp(ct_report_opt_name[j], c->name) == 0)
					break;
			CHECK(j < CT_RO_COUNT);
		}
	}
	CHECK_INT(nreq, sizeof(reads) / sizeof(reads[0]));
	CHECK_INT(nopt, CT_RO_COUNT);
}

/* Expected "name TYPE" lines of PRAGMA table_info for rtp_intervals. */
static void want_ivals(struct ct_buf *ivals)
{
	size_t i;

	ct_buf_puts(ivals, "stream_rowid INTEGER\ncall_rowid INTEGER\ncall_id TEXT\n");
	for (i = 0; i < ct_schema_nivals; i++)
		ct_buf_printf(ivals, "%s %s\n", ct_schema_ivals[i].name,
		    ct_schema_sqlite_type(ct_schema_ivals[i].type));
}

/* Expected "name TYPE" lines of PRAGMA table_info for calls and rtp_streams. */
static void want_sqlite(struct ct_buf *calls, struct ct_buf *streams)
{
	size_t i;

	ct_buf_puts(calls, "id INTEGER\n");
	for (i = 0; i < ct_schema_ncalls; i++)
		if (ct_schema_calls[i].outputs & CT_OUT_STORE)
			ct_buf_printf(calls, "%s %s\n", ct_schema_calls[i].name,
			    ct_schema_sqlite_type(ct_schema_calls[i].type));
	ct_buf_puts(streams, "call_rowid INTEGER\ncall_id TEXT\n");
	for (i = 0; i < ct_schema_nstreams; i++)
		ct_buf_printf(streams, "%s %s\n", ct_schema_streams[i].name,
		    ct_schema_sqlite_type(ct_schema_streams[i].type));
}

/* "name TYPE" lines of table in db, sorted by name when sorted. */
static void got_sqlite(sqlite3 *db, const char *table, bool sorted, struct ct_buf *out)
{
	char sql[128];
	sqlite3_stmt *st = NULL;

	snprintf(sql, sizeof(sql), "SELECT name || ' ' || type FROM pragma_table_info('%s')%s",
	    table, sorted ? " ORDER BY name" : " ORDER BY cid");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return;
	while (sqlite3_step(st) == SQLITE_ROW)
		ct_buf_printf(out, "%s\n", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
}

/* Sorts the lines of b in place (for comparing an upgraded table). */
static int cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void sort_lines(struct ct_buf *b)
{
	char *lines[512], *copy, *p, *save = NULL;
	size_t n = 0, i;

	if (b->len == 0)
		return;
	copy = strdup(b->p);
	for (p = strtok_r(copy, "\n", &save); p != NULL && n < 512; p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	ct_buf_reset(b);
	for (i = 0; i < n; i++)
		ct_buf_printf(b, "%s\n", lines[i]);
	free(copy);
}

/* Opens and closes the SQLite sink on path; true when it worked. */
static bool sink_once(const char *path)
{
	char errbuf[CT_ERRBUF_SIZE] = "";
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);

	CHECK_STR(errbuf, "");
	return priv != NULL && ct_sink_sqlite.close(priv, errbuf) == CT_OK;
}

static void test_sqlite(void)
{
	struct ct_buf wc, ws, gc, gs;
	char path[128], old[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/new.db", tmpdir);
	snprintf(old, sizeof(old), "%s/old.db", tmpdir);
	ct_buf_init(&wc);
	ct_buf_init(&ws);
	ct_buf_init(&gc);
	ct_buf_init(&gs);
	want_sqlite(&wc, &ws);

	/* a new database: exactly the table's columns, in order */
	CHECK(sink_once(path));
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	got_sqlite(db, "calls", false, &gc);
	got_sqlite(db, "rtp_streams", false, &gs);
	{
		struct ct_buf wi, gi;

		ct_buf_init(&wi);
		ct_buf_init(&gi);
		want_ivals(&wi);
		got_sqlite(db, "rtp_intervals", false, &gi);
		CHECK_STR(gi.p, wi.p);
		ct_buf_fini(&wi);
		ct_buf_fini(&gi);
	}
	sqlite3_close(db);
	CHECK_STR(gc.p, wc.p);
	CHECK_STR(gs.p, ws.p);

	/*
	 * A database as calltap 3 made it (schema version 3, its columns, as in
	 * the released migrations) gets the missing ones: then the same set.
	 */
	CHECK_INT(sqlite3_open_v2(old, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL),
	    SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "CREATE TABLE calls (id INTEGER PRIMARY KEY,"
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
	    " streams INTEGER, start_us INTEGER, end_us INTEGER, capture_drops INTEGER,"
	    " evicted INTEGER, cut_fields TEXT);"
	    "CREATE INDEX calls_call_id ON calls(call_id);"
	    "CREATE TABLE numbers (number TEXT PRIMARY KEY, source TEXT, campaign TEXT, cost REAL);"
	    "CREATE TABLE rtp_streams (call_rowid INTEGER REFERENCES calls(id), call_id TEXT,"
	    " src TEXT, dst TEXT, ssrc TEXT, payload_type INTEGER, codec TEXT,"
	    " packets INTEGER, lost INTEGER, loss_pct REAL, duplicates INTEGER,"
	    " out_of_order INTEGER, max_jitter_ms REAL, mean_jitter_ms REAL,"
	    " max_delta_ms REAL, mos REAL, dtmf TEXT);"
	    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT);"
	    "INSERT INTO calls (call_id, start_us, caller) VALUES ('a', 1, 'x'), ('a', 1, 'y'), ('b', 1, 'z');"
	    "PRAGMA user_version = 3;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK(sink_once(old));
	CHECK_INT(sqlite3_open_v2(old, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	ct_buf_reset(&gc);
	ct_buf_reset(&gs);
	got_sqlite(db, "calls", true, &gc);
	got_sqlite(db, "rtp_streams", true, &gs);
	sort_lines(&wc);
	sort_lines(&ws);
	CHECK_STR(gc.p, wc.p);
	CHECK_STR(gs.p, ws.p);
	{   /* a database older than the intervals gets the table */
		struct ct_buf wi, gi;

		ct_buf_init(&wi);
		ct_buf_init(&gi);
		want_ivals(&wi);
		got_sqlite(db, "rtp_intervals", false, &gi);
		CHECK_STR(gi.p, wi.p);
		ct_buf_fini(&wi);
		ct_buf_fini(&gi);
	}
	{
		sqlite3_stmt *st = NULL;

		/* the duplicate ('a', 1) is gone, the first row kept */
		CHECK_INT(sqlite3_prepare_v2(db, "SELECT group_concat(caller, ' ') FROM calls",
		    -1, &st, NULL), SQLITE_OK);
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(st, 0), "x z");
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	ct_buf_fini(&wc);
	ct_buf_fini(&ws);
	ct_buf_fini(&gc);
	ct_buf_fini(&gs);
}

/* Reads a whole file into b; false when it cannot be read. */
static bool read_file(const char *path, struct ct_buf *b)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		ct_buf_append(b, chunk, n);
	fclose(f);
	ct_buf_append(b, "", 1);
	return !b->oom;
}

/* The block of doc from the line starting with begin to the line end, or NULL. */
static char *block(const char *doc, const char *begin, const char *end)
{
	const char *a = doc != NULL ? strstr(doc, begin) : NULL;
	const char *b = a != NULL ? strstr(a, end) : NULL;

	return b != NULL ? strndup(a, (size_t)(b - a) + strlen(end)) : NULL;
}

/* docs/schema.md holds the generated column lists, unchanged. */
static void test_docs(void)
{
	static const char *const marks[3][2] = {
		{ "<!-- calls columns", "<!-- end of calls columns -->\n" },
		{ "<!-- streams columns", "<!-- end of streams columns -->\n" },
		{ "<!-- intervals columns", "<!-- end of intervals columns -->\n" },
	};
	static const char *const kinds[3] = { "calls", "streams", "intervals" };
	const char *top = getenv("top_srcdir");
	struct ct_buf doc, gen;
	char path[512], *got;
	int i;

	ct_buf_init(&doc);
	snprintf(path, sizeof(path), "%s/docs/schema.md", top != NULL ? top : ".");
	CHECK(read_file(path, &doc));
	for (i = 0; i < 3; i++) {
		ct_buf_init(&gen);
		if (i == 2)
			ct_schema_markdown_ivals(&gen);
		else
			ct_schema_markdown(&gen, i == 1);
		got = block(doc.p, marks[i][0], marks[i][1]);
		CHECK(got != NULL);
		if (got != NULL && strcmp(got, gen.p) != 0)
			fprintf(stderr, "docs/schema.md's %s column list differs from the schema "
			    "table: run scripts/update-schema-doc.sh\n", kinds[i]);
		CHECK_STR(got, gen.p);
		free(got);
		ct_buf_fini(&gen);
	}
	ct_buf_fini(&doc);
}

/* --pg-columns: the PostgreSQL columns as information_schema names their types. */
static void print_pg(void)
{
	size_t i;
	const char *t;

	printf("calls id bigint\n");
	for (i = 0; i < ct_schema_ncalls; i++)
		if (ct_schema_calls[i].outputs & CT_OUT_STORE) {
			t = ct_schema_pg_type(ct_schema_calls[i].type);
			printf("calls %s %s\n", ct_schema_calls[i].name,
			    strcmp(t, "BIGINT") == 0 ? "bigint" : strcmp(t, "BOOLEAN") == 0 ?
			    "boolean" : strcmp(t, "TEXT") == 0 ? "text" : "double precision");
		}
	/* tables in name order: rtp_intervals before rtp_streams */
	printf("rtp_intervals stream_rowid bigint\nrtp_intervals call_rowid bigint\n"
	    "rtp_intervals call_id text\n");
	for (i = 0; i < ct_schema_nivals; i++) {
		t = ct_schema_pg_type(ct_schema_ivals[i].type);
		printf("rtp_intervals %s %s\n", ct_schema_ivals[i].name,
		    strcmp(t, "BIGINT") == 0 ? "bigint" : strcmp(t, "BOOLEAN") == 0 ?
		    "boolean" : strcmp(t, "TEXT") == 0 ? "text" : "double precision");
	}
	printf("rtp_streams call_rowid bigint\nrtp_streams call_id text\n");
	for (i = 0; i < ct_schema_nstreams; i++) {
		t = ct_schema_pg_type(ct_schema_streams[i].type);
		printf("rtp_streams %s %s\n", ct_schema_streams[i].name,
		    strcmp(t, "BIGINT") == 0 ? "bigint" : strcmp(t, "BOOLEAN") == 0 ?
		    "boolean" : strcmp(t, "TEXT") == 0 ? "text" : "double precision");
	}
	printf("rtp_streams id bigint\n");   /* the key of rtp_intervals, added last */
}

/* Removes the files the tests made and their directory. */
static void cleanup(void)
{
	static const char *const names[] = {
		"new.db", "new.db-wal", "new.db-shm", "old.db", "old.db-wal", "old.db-shm"
	};
	char path[128];
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", tmpdir, names[i]);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(int argc, char **argv)
{
	struct ct_buf md;
	int rc;

	if (argc > 1 && strcmp(argv[1], "--markdown") == 0) {
		ct_buf_init(&md);
		ct_schema_markdown(&md, false);
		ct_buf_puts(&md, "\n");
		ct_schema_markdown(&md, true);
		ct_buf_puts(&md, "\n");
		ct_schema_markdown_ivals(&md);
		fwrite(md.p, 1, md.len, stdout);
		ct_buf_fini(&md);
		return 0;
	}
	if (argc > 1 && strcmp(argv[1], "--pg-columns") == 0) {
		print_pg();
		return 0;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_schema.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 99;
	test_table();
	test_report_cols();
	test_sqlite();
	test_docs();
	rc = TEST_REPORT();
	cleanup();
	return rc;
}
