/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of `calltap report` (src/report): ISO 8601 range parsing, and
 * every figure computed from a known SQLite database of 30 calls in one week
 * (2024-03-04 Mon .. 2024-03-10 Sun, UTC) plus 3 rows outside the range,
 * whose expected values are worked out by hand in the comments below; date
 * range filtering; an empty database; a database of schema version 1 (no
 * attribution columns); missing columns and tables; escaping of hostile
 * strings in the HTML, JSON and text renderers.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "calltap/err.h"
#include "../../src/report/report_int.h"
#include "test.h"

/* calls as created by src/sink/sqlite.c (schema v1) ... */
#define CALLS_V1 \
	"CREATE TABLE calls (" \
	" id INTEGER PRIMARY KEY," \
	" call_id TEXT, caller TEXT, caller_name TEXT, callee TEXT, agent TEXT," \
	" src_ip TEXT, src_port INTEGER, dst_ip TEXT, dst_port INTEGER," \
	" transport TEXT, vlan INTEGER," \
	" start_time TEXT, ringing_time TEXT, answer_time TEXT, end_time TEXT," \
	" setup_ms INTEGER, answer_ms INTEGER, duration_s REAL, talk_s REAL," \
	" final_code INTEGER, disposition TEXT, hangup_by TEXT," \
	" q850_cause INTEGER, hangup_reason TEXT, direction TEXT," \
	" truncated INTEGER, auth_challenges INTEGER, invites INTEGER," \
	" recording TEXT, undecodable_codecs TEXT," \
	" streams INTEGER, start_us INTEGER);"
/* ... plus the attribution columns and the numbers table. */
#define ATTRIB \
	"ALTER TABLE calls ADD COLUMN sensor TEXT;" \
	"ALTER TABLE calls ADD COLUMN source TEXT;" \
	"ALTER TABLE calls ADD COLUMN campaign TEXT;" \
	"ALTER TABLE calls ADD COLUMN first_call INTEGER;" \
	"ALTER TABLE calls ADD COLUMN repeat_count INTEGER;" \
	"ALTER TABLE calls ADD COLUMN callback_s REAL;" \
	"ALTER TABLE calls ADD COLUMN callback_of TEXT;" \
	"CREATE TABLE numbers(number TEXT, source TEXT, campaign TEXT, cost REAL);"

#define NUL -1   /* NULL in the integer/real columns of the table below */

struct row {
	const char *start;      /* ISO start time, NULL = start_us NULL */
	const char *disp, *dir;
	long answer_ms;
	double talk_s;
	const char *caller, *agent, *source, *campaign;
	int first_call;
	double callback_s;
};

/* g/s = google/spring, f/s = facebook/spring; Mon = 2024-03-04. */
static const struct row rows[] = {
	/*  1 */ { "2024-03-04T09:00:00Z", "answered", "inbound", 3000, 45.0, "c01", "alice", "google", "spring", 1, NUL },
	/*  2 */ { "2024-03-04T09:10:00Z", "answered", "inbound", 5000, 20.0, "c02", "alice", "google", "spring", 1, NUL },
	/*  3 */ { "2024-03-04T10:00:00Z", "answered", "inbound", 5001, 60.0, "c03", "bob", "google", "spring", 0, NUL },
	/*  4 */ { "2024-03-04T10:30:00Z", "answered", "inbound", 12000, 31.0, "c04", "bob", "facebook", "spring", 1, NUL },
	/*  5 */ { "2024-03-05T11:00:00Z", "answered", "inbound", 15000, 30.0, "c05", "alice", "facebook", "spring", 1, NUL },
	/*  6 */ { "2024-03-05T11:05:00Z", "answered", "inbound", 15001, 29.999, "c06", "alice", "google", "spring", 0, NUL },
	/*  7 */ { "2024-03-05T14:00:00Z", "answered", "inbound", 30000, 100.0, "c07", NULL, NULL, NULL, 1, NUL },
	/*  8 */ { "2024-03-06T14:30:00Z", "answered", "outbound", 1000, 10.0, "c08", "bob", NULL, NULL, NUL, NUL },
	/*  9 */ { "2024-03-06T15:00:00Z", "answered", "inbound", 45000, 5.0, "c09", "alice", "google", "spring", 1, NUL },
	/* 10 */ { "2024-03-07T15:10:00Z", "answered", "inbound", 70000, 200.0, "c10", "bob", "google", "spring", 0, NUL },
	/* 11 */ { "2024-03-07T16:00:00Z", "answered", "inbound", NUL, NUL, "c11", "bob", "facebook", "spring", 1, NUL },
	/* 12 */ { "2024-03-08T16:30:00Z", "answered", "internal", 2000, 40.0, "c12", "alice", NULL, NULL, NUL, NUL },
	/* 13 */ { "2024-03-04T09:20:00Z", "busy", "inbound", NUL, NUL, "c13", NULL, "google", "spring", 1, 120 },
	/* 14 */ { "2024-03-04T09:30:00Z", "noanswer", "inbound", NUL, NUL, "c14", NULL, "google", "spring", 1, 300 },
	/* 15 */ { "2024-03-04T09:40:00Z", "cancelled", "inbound", NUL, NUL, "c15", NULL, "facebook", "spring", 0, 301 },
	/* 16 */ { "2024-03-05T20:00:00Z", "cancelled", NULL, NUL, NUL, "c16", NULL, NULL, NULL, NUL, 1000 },
	/* 17 */ { "2024-03-05T20:30:00Z", "busy", "unknown", NUL, NUL, "c17", NULL, "google", "spring", 1, NUL },
	/* 18 */ { "2024-03-06T21:00:00Z", "noanswer", "outbound", NUL, NUL, "c18", NULL, NULL, NULL, NUL, 50 },
	/* 19 */ { "2024-03-06T21:30:00Z", "cancelled", "internal", NUL, NUL, "c19", NULL, NULL, NULL, NUL, NUL },
	/* 20 */ { "2024-03-07T22:00:00Z", "failed", "inbound", NUL, NUL, "c20", NULL, "google", "spring", 1, NUL },
	/* 21 */ { "2024-03-07T22:30:00Z", "unfinished", "inbound", NUL, NUL, "c21", NULL, NULL, NULL, NUL, NUL },
	/* 22 */ { "2024-03-09T23:00:00Z", "failed", "outbound", NUL, NUL, "c22", NULL, NULL, NULL, NUL, NUL },
	/* 23 */ { "2024-03-10T00:00:00Z", "cancelled", "inbound", NUL, NUL, "c01", NULL, "google", "spring", 0, 60 },
	/* 24 */ { "2024-03-10T00:30:00Z", "busy", "inbound", NUL, NUL, "c02", NULL, "facebook", "spring", 0, NUL },
	/* 25 */ { "2024-03-10T01:00:00Z", "xyz", "inbound", NUL, NUL, "c25", NULL, NULL, NULL, NUL, NUL },
	/* 26 */ { "2024-03-09T02:00:00Z", "noanswer", "inbound", NUL, NUL, "c26", NULL, NULL, NULL, NUL, NUL },
	/* 27 */ { "2024-03-09T02:30:00Z", "unfinished", "outbound", NUL, NUL, "c27", NULL, NULL, NULL, NUL, NUL },
	/* 28 */ { "2024-03-08T03:00:00Z", "failed", "inbound", NUL, NUL, NULL, NULL, NULL, NULL, NUL, NUL },
	/* 29 */ { "2024-03-08T03:30:00Z", "busy", "inbound", NUL, NUL, NULL, NULL, "google", "spring", NUL, 200 },
	/* 30 */ { "2024-03-08T04:00:00Z", "cancelled", "outbound", NUL, NUL, "c30", NULL, NULL, NULL, NUL, NUL },
	/* outside 2024-03-04 .. 2024-03-10 */
	/* 31 */ { "2024-03-03T23:59:59.999999Z", "answered", "inbound", 1000, 50.0, "x31", "carol", NULL, NULL, 1, NUL },
	/* 32 */ { "2024-03-11T00:00:00Z", "busy", "inbound", NUL, NUL, "x32", NULL, NULL, NULL, 1, NUL },
	/* 33 */ { NULL, "answered", "inbound", 1000, 50.0, "x33", "carol", NULL, NULL, 1, NUL },
};

static const char numbers_sql[] =
	"INSERT INTO numbers VALUES ('100','google','spring',100), ('101','google','spring',50),"
	" ('200','facebook','spring',60), ('300','radio','fall',40), ('400','google','spring',NULL);";

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s != NULL)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static void bind_num(sqlite3_stmt *st, int i, double v)
{
	if (v == NUL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_double(st, i, v);
}

/* Creates path with schema (SQL text) and, when with_rows, the rows above. */
static int make_db(const char *path, const char *schema, int with_rows, int attrib)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t i;
	int64_t us;
	const char *ins = attrib ?
	    "INSERT INTO calls (start_us, disposition, direction, answer_ms, talk_s, caller,"
	    " agent, source, campaign, first_call, callback_s) VALUES (?,?,?,?,?,?,?,?,?,?,?)" :
	    "INSERT INTO calls (start_us, disposition, direction, answer_ms, talk_s, caller,"
	    " agent) VALUES (?,?,?,?,?,?,?)";

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, schema, 0, 0, 0) != SQLITE_OK)
		return -1;
	for (i = 0; with_rows && i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];

		sqlite3_prepare_v2(db, ins, -1, &st, NULL);
		if (r->start != NULL && ct_report_parse_time(r->start, 0, &us) == CT_OK)
			sqlite3_bind_int64(st, 1, us);
		bind_text(st, 2, r->disp);
		bind_text(st, 3, r->dir);
		bind_num(st, 4, (double)r->answer_ms);
		bind_num(st, 5, r->talk_s);
		bind_text(st, 6, r->caller);
		bind_text(st, 7, r->agent);
		if (attrib) {
			bind_text(st, 8, r->source);
			bind_text(st, 9, r->campaign);
			bind_num(st, 10, r->first_call);
			bind_num(st, 11, r->callback_s);
		}
		CHECK_INT(sqlite3_step(st), SQLITE_DONE);
		sqlite3_finalize(st);
	}
	if (with_rows && attrib)
		sqlite3_exec(db, numbers_sql, 0, 0, 0);
	sqlite3_close(db);
	return 0;
}

/* Loads path over [from, to) into d and computes r; returns the load code. */
static int load(struct ct_report_data *d, struct ct_report *r, const char *path,
    const char *from, const char *to, char *errbuf)
{
	memset(d, 0, sizeof(*d));
	memset(r, 0, sizeof(*r));
	d->from_us = d->to_us = CT_REPORT_NONE;
	d->quality_s = 30.0;
	if (from != NULL)
		CHECK_INT(ct_report_parse_time(from, 0, &d->from_us), CT_OK);
	if (to != NULL)
		CHECK_INT(ct_report_parse_time(to, 1, &d->to_us), CT_OK);
	errbuf[0] = '\0';
	if (ct_report_load_sqlite(d, path, errbuf) != CT_OK)
		return CT_ERR;
	CHECK_INT(ct_report_compute(r, d), CT_OK);
	return CT_OK;
}

static void test_parse_time(void)
{
	static const struct { const char *s; int end; int ok; long long us; } v[] = {
		{ "1970-01-01", 0, 1, 0 },
		{ "1970-01-01T00:00:00Z", 0, 1, 0 },
		/* 2024-03-04 = day 19786: 19786 * 86400 = 1709510400 s */
		{ "2024-03-04", 0, 1, 1709510400000000LL },
		{ "2024-03-04", 1, 1, 1709596800000000LL },          /* next midnight */
		{ "2024-03-04T09:30", 1, 1, 1709544600000000LL },    /* + 34200 s */
		{ "2024-03-04 09:30:15.5Z", 0, 1, 1709544615500000LL },
		{ "2024-03-04t09:30:15.000001", 0, 1, 1709544615000001LL },
		{ "2024-02-29", 0, 1, 1709164800000000LL },          /* leap day */
		{ "1969-12-31T23:59:59", 0, 1, -1000000LL },
		{ "2000-03-01", 0, 1, 951868800000000LL },
		{ "2023-02-29", 0, 0, 0 }, { "2024-02-30", 0, 0, 0 }, { "2024-13-01", 0, 0, 0 },
		{ "2024-00-10", 0, 0, 0 }, { "2024-03-04T24:00", 0, 0, 0 },
		{ "2024-03-04T09:60", 0, 0, 0 }, { "2024-03-04T09:30+01:00", 0, 0, 0 },
		{ "2024/03/04", 0, 0, 0 }, { "", 0, 0, 0 }, { "2024-3-4", 0, 0, 0 },
		{ "2024-03-04T09:30:15.1234567", 0, 0, 0 }, { "2024-03-04T09:30:15.", 0, 0, 0 },
		{ "2024-03-04T", 0, 0, 0 }, { "2024-03-04Tx", 0, 0, 0 }, { "2024-03-04Z", 0, 0, 0 },
		{ "2024-03-04T09:30Zjunk", 0, 0, 0 },
	};
	size_t i;
	int64_t us;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		us = 42;
		CHECK_INT(ct_report_parse_time(v[i].s, v[i].end, &us), v[i].ok ? CT_OK : CT_ERR);
		CHECK_INT(us, v[i].ok ? v[i].us : 42);
	}
	CHECK_INT(ct_report_parse_time(NULL, 0, &us), CT_ERR);
}

static void test_format_time(void)
{
	char b[40];

	ct_report_format_time(0, b, sizeof(b));
	CHECK_STR(b, "1970-01-01T00:00:00Z");
	ct_report_format_time(1709510400500000LL, b, sizeof(b));
	CHECK_STR(b, "2024-03-04T00:00:00.500000Z");
	ct_report_format_time(-1, b, sizeof(b));
	CHECK_STR(b, "1969-12-31T23:59:59.999999Z");
	ct_report_format_time(CT_REPORT_NONE, b, sizeof(b));
	CHECK_STR(b, "-");
}

/* The week of 30 calls: every figure (rows 31-33 are outside). */
static void check_week(const struct ct_report *r)
{
	/* by hour: 09 = calls 1,2,13,14,15; 10,11,14,15,16 = 2 answered each; 20 =
	 * 16,17 (both missed); 21 = 18,19; 22 = 20,21; 23 = 22; 00 = 23,24 (missed);
	 * 01 = 25; 02 = 26 (missed),27; 03 = 28,29 (missed); 04 = 30. */
	static const long hour[24][3] = {
		{ 2, 0, 2 }, { 1, 0, 0 }, { 2, 0, 1 }, { 2, 0, 1 }, { 1, 0, 0 }, { 0, 0, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, { 5, 2, 3 }, { 2, 2, 0 }, { 2, 2, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 2, 2, 0 }, { 2, 2, 0 }, { 2, 2, 0 }, { 0, 0, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 2, 0, 2 }, { 2, 0, 0 }, { 2, 0, 0 }, { 1, 0, 0 },
	};
	/* Mon 1,2,3,4,13,14,15; Tue 5,6,7,16,17; Wed 8,9,18,19; Thu 10,11,20,21;
	 * Fri 12,28,29,30; Sat 22,26,27; Sun 23,24,25. */
	static const long wday[7][3] = {
		{ 7, 4, 3 }, { 5, 3, 2 }, { 4, 2, 0 }, { 4, 2, 0 }, { 4, 1, 1 }, { 3, 0, 1 },
		{ 3, 0, 2 },
	};
	/* (0,5] 1000 2000 3000 5000; (5,10] 5001; (10,15] 12000 15000; (15,20] 15001;
	 * (20,30] 30000; (30,60] 45000; > 60 70000. */
	static const long hist[CT_REPORT_NHIST] = { 4, 1, 2, 1, 1, 1, 1 };
	const struct ct_report_group *g;
	int i;

	CHECK_INT(r->calls, 30);
	/* answered 1-12; busy 13,17,24,29; noanswer 14,18,26; cancelled 15,16,19,
	 * 23,30; failed 20,22,28; unfinished 21,27; other 25 ("xyz"). */
	CHECK_INT(r->disp[CT_RD_ANSWERED], 12);
	CHECK_INT(r->disp[CT_RD_BUSY], 4);
	CHECK_INT(r->disp[CT_RD_NOANSWER], 3);
	CHECK_INT(r->disp[CT_RD_CANCELLED], 5);
	CHECK_INT(r->disp[CT_RD_FAILED], 3);
	CHECK_INT(r->disp[CT_RD_UNFINISHED], 2);
	CHECK_INT(r->disp[CT_RD_OTHER], 1);
	/* not missable: outbound 8,18,22,27,30, internal 12,19 -> 30 - 7 = 23;
	 * missed: 13,17(unknown),24,29, 14,26, 15,16(NULL dir),23 = 9 */
	CHECK_INT(r->missable, 23);
	CHECK_INT(r->missed, 9);
	CHECK_INT((long)round(ct_report_pct(r->missed, r->missable) * 100), 3913);
	/* answer_ms of answered 1-12 except 11: sorted 1000 2000 3000 5000 5001
	 * 12000 15000 15001 30000 45000 70000; sum 203002 / 11 = 18454.727;
	 * p90 rank ceil(9.9) = 10 -> 45000 */
	CHECK_INT(r->tta_n, 11);
	CHECK_INT((long)round(r->tta_mean_ms * 1000), 18454727);
	CHECK_INT(r->tta_p90_ms, 45000);
	CHECK_INT(r->within[0], 4);   /* <= 5000 */
	CHECK_INT(r->within[1], 7);   /* + 5001 12000 15000 */
	CHECK_INT(r->within[2], 9);   /* + 15001 30000 */
	for (i = 0; i < CT_REPORT_NHIST; i++)
		CHECK_INT(r->hist[i], hist[i]);
	/* talk >= 30: 1 (45), 3 (60), 4 (31), 5 (30), 7 (100), 10 (200), 12 (40);
	 * not 6 (29.999), 2, 8, 9, 11 (NULL) */
	CHECK_INT(r->quality, 7);
	/* c01..c22, c25, c26, c27, c30 (c01, c02 twice; 28, 29 NULL) */
	CHECK_INT(r->unique_callers, 26);
	CHECK_INT(r->first_time, 11);   /* 1 2 4 5 7 9 11 13 14 17 20 */
	CHECK_INT(r->repeat, 6);        /* 3 6 10 15 23 24 */
	CHECK_INT(r->first_unknown, 13);
	/* missed with callback: 13 (120) 14 (300) 15 (301) 16 (1000) 23 (60)
	 * 29 (200); 18 (50) is outbound, not missed.  <= 300 s: 4; mean 1981 / 6 */
	CHECK_INT(r->called_back, 6);
	CHECK_INT(r->cb_within_5min, 4);
	CHECK_INT((long)round(ct_report_mean(r->cb_delay_sum, r->called_back) * 1000), 330167);
	for (i = 0; i < 24; i++) {
		CHECK_INT(r->by_hour[i].calls, hour[i][0]);
		CHECK_INT(r->by_hour[i].answered, hour[i][1]);
		CHECK_INT(r->by_hour[i].missed, hour[i][2]);
	}
	for (i = 0; i < 7; i++) {
		CHECK_INT(r->by_wday[i].calls, wday[i][0]);
		CHECK_INT(r->by_wday[i].answered, wday[i][1]);
		CHECK_INT(r->by_wday[i].missed, wday[i][2]);
	}
	/* campaigns, most calls first: none/none 13, google/spring 12,
	 * facebook/spring 5, radio/fall 0 (numbers only) */
	CHECK_INT(r->n_campaigns, 4);
	if (r->n_campaigns != 4)
		return;
	g = &r->campaigns[0];   /* 7 8 12 16 18 19 21 22 25 26 27 28 30 */
	CHECK(g->source == NULL && g->campaign == NULL);
	CHECK_INT(g->calls, 13);
	CHECK_INT(g->answered, 3);       /* 7 8 12 */
	CHECK_INT(g->missed, 2);         /* 16 26 */
	CHECK_INT(g->quality, 2);        /* 7 12 */
	CHECK_INT(g->talk_n, 3);
	CHECK_INT((long)round(g->talk_sum * 1000), 150000);
	CHECK_INT(g->has_cost, 0);
	g = &r->campaigns[1];   /* 1 2 3 6 9 10 13 14 17 20 23 29 */
	CHECK_STR(g->source, "google");
	CHECK_STR(g->campaign, "spring");
	CHECK_INT(g->calls, 12);
	CHECK_INT(g->answered, 6);       /* 1 2 3 6 9 10 */
	CHECK_INT(g->missed, 5);         /* 13 14 17 23 29 */
	CHECK_INT(g->quality, 3);        /* 1 3 10 */
	CHECK_INT(g->talk_n, 6);         /* 45 + 20 + 60 + 29.999 + 5 + 200 */
	CHECK_INT((long)round(g->talk_sum * 1000), 359999);
	CHECK_INT(g->has_cost, 1);       /* 100 + 50 (+ NULL) */
	CHECK_INT((long)round(g->cost * 100), 15000);
	g = &r->campaigns[2];   /* 4 5 11 15 24 */
	CHECK_STR(g->source, "facebook");
	CHECK_INT(g->calls, 5);
	CHECK_INT(g->answered, 3);
	CHECK_INT(g->missed, 2);
	CHECK_INT(g->quality, 2);        /* 4 (31) 5 (30) */
	CHECK_INT(g->talk_n, 2);         /* 11 has no talk time */
	CHECK_INT((long)round(g->talk_sum * 1000), 61000);
	CHECK_INT((long)round(g->cost * 100), 6000);
	g = &r->campaigns[3];
	CHECK_STR(g->source, "radio");
	CHECK_STR(g->campaign, "fall");
	CHECK_INT(g->calls, 0);
	CHECK_INT((long)round(g->cost * 100), 4000);
	/* agents: alice 1 2 5 6 9 12, bob 3 4 8 10 11, none 7 */
	CHECK_INT(r->n_agents, 3);
	if (r->n_agents != 3)
		return;
	CHECK_STR(r->agents[0].agent, "alice");
	CHECK_INT(r->agents[0].answered, 6);
	CHECK_INT((long)round(r->agents[0].talk_sum * 1000), 169999);
	CHECK_INT(r->agents[0].talk_n, 6);
	CHECK_INT(r->agents[0].quality, 3);   /* 1 5 12 */
	CHECK_STR(r->agents[1].agent, "bob");
	CHECK_INT(r->agents[1].answered, 5);
	CHECK_INT(r->agents[1].talk_n, 4);    /* 60 + 31 + 10 + 200 = 301 */
	CHECK_INT((long)round(r->agents[1].talk_sum * 1000), 301000);
	CHECK_INT(r->agents[1].quality, 3);   /* 3 4 10 */
	CHECK_STR(r->agents[2].agent, NULL);
	CHECK_INT(r->agents[2].answered, 1);
	CHECK_INT(r->agents[2].quality, 1);
}

/* Renders r with fn into a string (caller frees). */
static char *render(const struct ct_report *r, int (*fn)(const struct ct_report *, FILE *))
{
	char *p = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&p, &n);

	if (f == NULL)
		return NULL;
	CHECK_INT(fn(r, f), CT_OK);
	fclose(f);
	return p;
}

#define CHECK_HAS(text, needle) do { \
	const char *t_ = (text); \
	CHECK(t_ != NULL && strstr(t_, needle) != NULL); \
	if (t_ != NULL && strstr(t_, needle) == NULL) fprintf(stderr, "  missing: %s\n", needle); \
} while (0)

static void check_week_json(const struct ct_report *r)
{
	char *j = render(r, ct_report_render_json);

	CHECK_HAS(j, "\"range\":{\"from\":\"2024-03-04T00:00:00Z\",\"to\":\"2024-03-11T00:00:00Z\"},"
	    "\"quality_s\":30.000,\"missing_columns\":[],\"has_costs\":true,");
	CHECK_HAS(j, "\"totals\":{\"calls\":30,\"answered\":12,\"busy\":4,\"noanswer\":3,"
	    "\"cancelled\":5,\"failed\":3,\"unfinished\":2,\"other\":1}");
	CHECK_HAS(j, "\"missed\":{\"calls\":9,\"base\":23,\"rate_pct\":39.13}");
	CHECK_HAS(j, "\"answer_time\":{\"calls\":11,\"mean_ms\":18454.7,\"p90_ms\":45000,"
	    "\"within_5s\":4,\"within_5s_pct\":36.36,\"within_15s\":7,\"within_15s_pct\":63.64,"
	    "\"within_30s\":9,\"within_30s_pct\":81.82,\"histogram\":[{\"from_s\":0,\"to_s\":5,"
	    "\"calls\":4},");
	CHECK_HAS(j, "{\"from_s\":60,\"to_s\":null,\"calls\":1}]}");
	CHECK_HAS(j, "\"quality\":{\"calls\":7,\"pct_of_answered\":58.33}");
	CHECK_HAS(j, "\"callers\":{\"unique\":26,\"first_time\":11,\"repeat\":6,\"unknown\":13}");
	CHECK_HAS(j, "\"callbacks\":{\"called_back\":6,\"called_back_pct\":66.67,"
	    "\"within_5min\":4,\"within_5min_pct\":66.67,\"mean_delay_s\":330.167}");
	CHECK_HAS(j, "\"by_hour\":[{\"hour\":0,\"calls\":2,\"answered\":0,\"missed\":2},");
	CHECK_HAS(j, "{\"day\":\"Mon\",\"calls\":7,\"answered\":4,\"missed\":3}");
	/* cost 150 / 12 calls = 12.5; / 3 quality = 50; mean talk 359.999 / 6 */
	CHECK_HAS(j, "{\"source\":\"google\",\"campaign\":\"spring\",\"calls\":12,\"answered\":6,"
	    "\"missed\":5,\"quality\":3,\"mean_talk_s\":60.000,\"cost\":150.0000,"
	    "\"cost_per_call\":12.5000,\"cost_per_quality_call\":50.0000}");
	CHECK_HAS(j, "{\"source\":\"radio\",\"campaign\":\"fall\",\"calls\":0,\"answered\":0,"
	    "\"missed\":0,\"quality\":0,\"mean_talk_s\":null,\"cost\":40.0000,"
	    "\"cost_per_call\":null,\"cost_per_quality_call\":null}");
	CHECK_HAS(j, "{\"source\":null,\"campaign\":null,\"calls\":13,");
	CHECK_HAS(j, "\"agents\":[{\"agent\":\"alice\",\"answered\":6,\"mean_talk_s\":28.333,"
	    "\"quality\":3},{\"agent\":\"bob\",\"answered\":5,\"mean_talk_s\":75.250,\"quality\":3},"
	    "{\"agent\":null,\"answered\":1,\"mean_talk_s\":100.000,\"quality\":1}]}\n");
	free(j);
}

static void check_week_text_html(const struct ct_report *r)
{
	char *t = render(r, ct_report_render_text), *h = render(r, ct_report_render_html);

	CHECK_HAS(t, "\n  total                            30\n");
	CHECK_HAS(t, "\n  missed                            9    39.1% of 23 inbound/unknown\n");
	CHECK_HAS(t, "\n  p90 (nearest rank)             45.0 s\n");
	CHECK_HAS(t, "\n  within 5 min                      4    66.7% of called back\n");
	CHECK_HAS(t, "\n  09        5         2       3  ########################################\n");
	CHECK_HAS(t, "\n  google    spring       12         6       5        3         60.0  150.00"
	    "      12.50         50.00\n");
	CHECK_HAS(t, "\n  (unknown)         1        100.0        1\n");
	CHECK(strstr(t, "note:") == NULL);
	CHECK_HAS(h, "<!DOCTYPE html>");
	CHECK_HAS(h, "Content-Security-Policy");
	CHECK_HAS(h, "<td>google</td><td>spring</td><td class=\"n\">12</td>");
	CHECK(h != NULL && strstr(h, "http://") == strstr(h, "http://www.w3.org/2000/svg"));
	CHECK(h != NULL && strstr(h, "https://") == NULL && strstr(h, "<script") == NULL &&
	    strstr(h, "src=") == NULL && strstr(h, "<link") == NULL);
	free(t);
	free(h);
}

static void test_week(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE];

	CHECK_INT(make_db(path, CALLS_V1 ATTRIB, 1, 1), 0);
	/* bare dates: 2024-03-04 00:00 inclusive .. 2024-03-10 whole day */
	CHECK_INT(load(&d, &r, path, "2024-03-04", "2024-03-10", err), CT_OK);
	CHECK_INT(d.has_numbers, 1);
	check_week(&r);
	check_week_json(&r);
	check_week_text_html(&r);
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* no range: rows 31 and 32 join; 33 (no start_us) never counts */
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_OK);
	CHECK_INT(r.calls, 32);
	CHECK_INT(r.disp[CT_RD_ANSWERED], 13);
	CHECK_INT(r.missed, 10);
	CHECK_INT(r.n_agents, 4);
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* [09:00, 09:30): calls 1, 2, 13; 14 at 09:30 is out (end exclusive) */
	CHECK_INT(load(&d, &r, path, "2024-03-04T09:00", "2024-03-04T09:30:00Z", err), CT_OK);
	CHECK_INT(r.calls, 3);
	CHECK_INT(r.disp[CT_RD_ANSWERED], 2);
	CHECK_INT(r.missed, 1);
	CHECK_INT(r.tta_p90_ms, 5000);   /* 3000 5000: rank ceil(1.8) = 2 */
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* the last microsecond before the week holds row 31 only */
	CHECK_INT(load(&d, &r, path, "2024-03-03T23:59:59.999999", "2024-03-04T00:00", err), CT_OK);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.unique_callers, 1);
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

static void test_empty(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], *j, *t, *h;

	CHECK_INT(make_db(path, CALLS_V1 ATTRIB, 0, 1), 0);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_OK);
	CHECK_INT(r.calls, 0);
	CHECK_INT(r.missed, 0);
	CHECK_INT(r.tta_n, 0);
	CHECK(isnan(r.tta_mean_ms));
	CHECK_INT(r.tta_p90_ms, CT_REPORT_NONE);
	CHECK_INT(r.n_campaigns, 0);
	CHECK_INT(r.n_agents, 0);
	CHECK_INT(d.has_numbers, 1);
	j = render(&r, ct_report_render_json);
	CHECK_HAS(j, "\"missed\":{\"calls\":0,\"base\":0,\"rate_pct\":null}");
	CHECK_HAS(j, "\"mean_ms\":null,\"p90_ms\":null,\"within_5s\":0,\"within_5s_pct\":null");
	CHECK_HAS(j, "\"callbacks\":{\"called_back\":0,\"called_back_pct\":null,"
	    "\"within_5min\":0,\"within_5min_pct\":null,\"mean_delay_s\":null}");
	CHECK_HAS(j, "\"campaigns\":[],\"agents\":[]}");
	t = render(&r, ct_report_render_text);
	CHECK_HAS(t, "\n  mean                              -\n");
	CHECK(t != NULL && strstr(t, "nan") == NULL);
	h = render(&r, ct_report_render_html);
	CHECK(h != NULL && strstr(h, "nan") == NULL && strstr(h, "</html>") != NULL);
	free(j);
	free(t);
	free(h);
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

/* Schema version 1 (no attribution columns, no numbers): figures unavailable. */
static void test_v1(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], *j, *t;

	CHECK_INT(make_db(path, CALLS_V1, 1, 0), 0);
	CHECK_INT(load(&d, &r, path, "2024-03-04", "2024-03-10", err), CT_OK);
	CHECK_INT(d.has_opt[CT_RO_SOURCE] + d.has_opt[CT_RO_CAMPAIGN] +
	    d.has_opt[CT_RO_FIRST_CALL] + d.has_opt[CT_RO_CALLBACK_S], 0);
	CHECK_INT(d.has_numbers, 0);
	CHECK_INT(r.calls, 30);
	CHECK_INT(r.missed, 9);
	CHECK_INT(r.n_campaigns, 1);     /* everything in (none)/(none) */
	CHECK_INT(r.first_unknown, 30);
	j = render(&r, ct_report_render_json);
	CHECK_HAS(j, "\"missing_columns\":[\"source\",\"campaign\",\"first_call\","
	    "\"callback_s\"],\"has_costs\":false,");
	CHECK_HAS(j, "\"callers\":{\"unique\":26,\"first_time\":null,\"repeat\":null,"
	    "\"unknown\":null}");
	CHECK_HAS(j, "\"callbacks\":{\"called_back\":null,\"called_back_pct\":null,");
	t = render(&r, ct_report_render_text);
	CHECK_HAS(t, "note: the database has no column calls.callback_s;");
	free(j);
	free(t);
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

static void test_bad_db(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], want[CT_ERRBUF_SIZE + 64];
	FILE *f;

	make_db(path, "CREATE TABLE calls (id INTEGER PRIMARY KEY, caller TEXT, agent TEXT,"
	    " start_us INTEGER, disposition TEXT, direction TEXT);", 0, 0);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_ERR);
	snprintf(want, sizeof(want), "database '%s': table calls lacks column(s) answer_ms talk_s",
	    path);
	CHECK_STR(err, want);
	ct_report_data_fini(&d);

	make_db(path, "CREATE TABLE other (x);", 0, 0);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_ERR);
	snprintf(want, sizeof(want), "database '%s' has no table calls (not a calltap database?)",
	    path);
	CHECK_STR(err, want);
	ct_report_data_fini(&d);

	unlink(path);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_ERR);
	CHECK(strstr(err, "cannot open database '") == err && strstr(err, path) != NULL);
	ct_report_data_fini(&d);

	f = fopen(path, "w");
	if (f != NULL) {
		fputs("this is not a database, it is plain text, long enough to have a header\n", f);
		fclose(f);
	}
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_ERR);
	CHECK(strstr(err, "cannot read database '") == err && strstr(err, "not a database") != NULL);
	ct_report_data_fini(&d);
}

/* Strings from the wire: escaped in HTML and JSON, neutralised in text. */
static void test_hostile(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], *h, *j, *t;
	sqlite3 *db;

	CHECK_INT(make_db(path, CALLS_V1 ATTRIB, 0, 1), 0);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO calls (start_us, disposition, direction, "
	    "answer_ms, talk_s, caller, caller_name, agent, source, campaign) VALUES "
	    "(0, 'answered', 'inbound', 100, 1.0, 'x', '<script>alert(1)</script>',"
	    " '<script>alert(1)</script>', '<img src=x onerror=alert(2)>', 'a&b\"c''d\x1b[31m')",
	    0, 0, 0), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_OK);
	h = render(&r, ct_report_render_html);
	CHECK(h != NULL && strstr(h, "<script") == NULL && strstr(h, "<img") == NULL);
	CHECK_HAS(h, "<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>");
	CHECK_HAS(h, "<td>&lt;img src=x onerror=alert(2)&gt;</td><td>a&amp;b&quot;c&#39;d"
	    "\xef\xbf\xbd[31m</td>");
	j = render(&r, ct_report_render_json);
	CHECK_HAS(j, "\"agent\":\"<script>alert(1)</script>\"");
	CHECK_HAS(j, "\"campaign\":\"a&b\\\"c'd\\u001b[31m\"");
	t = render(&r, ct_report_render_text);
	CHECK_HAS(t, "a&b\"c'd?[31m");
	CHECK(t != NULL && strchr(t, 0x1b) == NULL);
	free(h);
	free(j);
	free(t);
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

int main(void)
{
	char path[] = "/tmp/test_report_XXXXXX";
	int fd = mkstemp(path);

	if (fd < 0)
		return 1;
	close(fd);
	test_parse_time();
	test_format_time();
	test_week(path);
	test_empty(path);
	test_v1(path);
	test_bad_db(path);
	test_hostile(path);
	unlink(path);
	return TEST_REPORT();
}
