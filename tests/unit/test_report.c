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

/* The callers "c01" / "x31" of the table as numbers "555001" / "555931". */
static const char *number_of(const char *caller, char *buf)
{
	if (caller == NULL || strlen(caller) != 3 || (caller[0] != 'c' && caller[0] != 'x'))
		return caller;
	snprintf(buf, 8, "555%c%s", caller[0] == 'c' ? '0' : '9', caller + 1);
	return buf;
}

/* Creates path with schema (SQL text) and, when with_rows, the rows above. */
static int make_db(const char *path, const char *schema, int with_rows, int attrib)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	size_t i;
	int64_t us;
	char num[8];
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
		bind_text(st, 6, number_of(r->caller, num));
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
	d->lead_window_us = 86400LL * 1000000;
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
		{ "2024-03-04T09:60", 0, 0, 0 }, { "2024-03-04T09:30+01:00", 0, 1, 1709541000000000LL },
		{ "2024-03-04T09:30-00:30", 0, 1, 1709546400000000LL }, { "2024-03-04T09:30+1", 0, 0, 0 },
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

/*
 * The week of 30 calls: every figure (rows 31-33 are outside).  The store
 * has directions, so the marketing calls are the 21 inbound ones: 1-7, 9,
 * 10, 11, 13, 14, 15, 20, 21, 23, 24, 25, 26, 28, 29 (16 NULL and 17
 * unknown are not; outbound 8, 18, 22, 27, 30; internal 12, 19).
 */
static void check_week(const struct ct_report *r)
{
	/* marketing calls by UTC hour: 00 = 23, 24 (missed); 01 = 25; 02 = 26
	 * (missed); 03 = 28, 29 (missed); 09 = 1, 2, 13, 14, 15; 10, 11, 15 = two
	 * answered each; 14 = 7; 16 = 11; 22 = 20, 21. */
	static const long hour[24][3] = {
		{ 2, 0, 2 }, { 1, 0, 0 }, { 1, 0, 1 }, { 2, 0, 1 }, { 0, 0, 0 }, { 0, 0, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, { 5, 2, 3 }, { 2, 2, 0 }, { 2, 2, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 1, 1, 0 }, { 2, 2, 0 }, { 1, 1, 0 }, { 0, 0, 0 },
		{ 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, { 0, 0, 0 }, { 2, 0, 0 }, { 0, 0, 0 },
	};
	/* Mon 1, 2, 3, 4, 13, 14, 15; Tue 5, 6, 7; Wed 9; Thu 10, 11, 20, 21;
	 * Fri 28, 29; Sat 26; Sun 23, 24, 25. */
	static const long wday[7][3] = {
		{ 7, 4, 3 }, { 3, 3, 0 }, { 1, 1, 0 }, { 4, 2, 0 }, { 2, 0, 1 }, { 1, 0, 1 },
		{ 3, 0, 2 },
	};
	/* answer_ms of the answered marketing calls 1-7, 9, 10 (11 has none):
	 * (0,5] 3000 5000; (5,10] 5001; (10,15] 12000 15000; (15,20] 15001;
	 * (20,30] 30000; (30,60] 45000; > 60 70000. */
	static const long hist[CT_REPORT_NHIST] = { 2, 1, 2, 1, 1, 1, 1 };
	/* missed callers, none reached later: oldest last missed call first */
	static const char *const cbl[6] = {
		"555013", "555014", "555015", "555026", "555001", "555002"
	};
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
	CHECK_INT(r->dir[CT_RDIR_IN], 21);
	CHECK_INT(r->dir[CT_RDIR_OUT], 5);
	CHECK_INT(r->dir[CT_RDIR_INTERNAL], 2);
	CHECK_INT(r->dir[CT_RDIR_UNKNOWN], 2);
	CHECK_INT(r->no_direction, 0);
	CHECK_INT(r->mostly_unknown, 0);
	CHECK_INT(r->m.calls, 21);
	CHECK_INT(r->m.answered, 10);      /* 1-7, 9, 10, 11 */
	CHECK_INT(r->m.missed, 7);         /* 13, 14, 15, 23, 24, 26, 29 */
	/* 3000+5000+5001+12000+15000+15001+30000+45000+70000 = 200002 / 9;
	 * p90 rank ceil(8.1) = 9 -> 70000 */
	CHECK_INT(r->m.tta_n, 9);
	CHECK_INT((long)round(ct_report_mean(r->m.tta_sum, r->m.tta_n) * 1000), 22222444);
	CHECK_INT(r->tta_p90_ms, 70000);
	CHECK_INT(r->within[0], 2);
	CHECK_INT(r->within[1], 5);
	CHECK_INT(r->within[2], 7);
	for (i = 0; i < CT_REPORT_NHIST; i++)
		CHECK_INT(r->hist[i], hist[i]);
	/* talk >= 30: 1 (45), 3 (60), 4 (31), 5 (30), 7 (100), 10 (200); not 6
	 * (29.999), 2, 9, 11 (NULL); 12 is internal */
	CHECK_INT(r->m.quality, 6);
	/* 17 numbers (555001 and 555002 twice: 23, 24 are repeat calls; 28 and
	 * 29 withheld) */
	CHECK_INT(r->m.unique, 17);
	CHECK_INT(r->m.first_callers, 17);
	CHECK_INT(r->m.first_calls, 17);
	CHECK_INT(r->m.repeat, 2);
	/* missed callers 13, 14, 15, 23 (555001), 24 (555002), 26; no callback
	 * (no callee numbers) and no later answered call: all lost but 24,
	 * whose window (03-10 00:30 + 24 h) ends after the store's data (the
	 * latest end: 32, 03-11 00:00): it may still be reached */
	CHECK_INT(r->m.missed_callers, 6);
	CHECK_INT(r->m.lost_leads, 5);
	CHECK_INT(r->cb_called, 0);
	CHECK(isnan(r->cb_att_mean) && isnan(r->cb_att_median));
	CHECK_INT(r->n_cblist, 6);
	for (i = 0; i < 6 && r->n_cblist == 6; i++)
		CHECK_STR(r->cblist[i].number, cbl[i]);
	CHECK_INT(r->out_calls, 5);
	CHECK_INT(r->out_answered, 1);     /* 8 */
	CHECK_INT(r->out_numbers, 0);
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
	/* daily: Mon 2024-03-04 .. Sun 2024-03-10, as the weekdays */
	CHECK_INT(r->n_daily, 7);
	for (i = 0; i < 7 && r->n_daily == 7; i++)
		CHECK_INT(r->daily[i].calls, wday[i][0]);
	/* campaigns, most calls first: google/spring 11, none/none 5,
	 * facebook/spring 5, radio/fall 0 (numbers only) */
	CHECK_INT(r->n_campaigns, 4);
	if (r->n_campaigns != 4)
		return;
	g = &r->campaigns[0];   /* 1 2 3 6 9 10 13 14 20 23 29 */
	CHECK_STR(g->key[0], "google");
	CHECK_STR(g->key[1], "spring");
	CHECK_INT(g->f.calls, 11);
	CHECK_INT(g->f.answered, 6);       /* 1 2 3 6 9 10 */
	CHECK_INT(g->f.missed, 4);         /* 13 14 23 29 */
	CHECK_INT(g->f.quality, 3);        /* 1 3 10 */
	CHECK_INT(g->f.talk_n, 6);         /* 45 + 20 + 60 + 29.999 + 5 + 200 */
	CHECK_INT((long)round(g->f.talk_sum * 1000), 359999);
	CHECK_INT(g->f.first_callers, 9);
	CHECK_INT(g->f.missed_callers, 3);
	CHECK_INT(g->f.has_cost, 1);       /* 100 + 50 (+ NULL) */
	CHECK_INT((long)round(g->f.cost * 100), 15000);
	g = &r->campaigns[1];   /* 7 21 25 26 28 */
	CHECK(g->key[0] == NULL && g->key[1] == NULL);
	CHECK_INT(g->f.calls, 5);
	CHECK_INT(g->f.answered, 1);
	CHECK_INT(g->f.missed, 1);
	CHECK_INT(g->f.has_cost, 0);
	g = &r->campaigns[2];   /* 4 5 11 15 24 */
	CHECK_STR(g->key[0], "facebook");
	CHECK_INT(g->f.calls, 5);
	CHECK_INT(g->f.answered, 3);
	CHECK_INT(g->f.missed, 2);
	CHECK_INT(g->f.quality, 2);        /* 4 (31) 5 (30) */
	CHECK_INT(g->f.talk_n, 2);         /* 11 has no talk time */
	CHECK_INT(g->f.first_callers, 4);  /* 24 is 555002's second call */
	CHECK_INT((long)round(g->f.cost * 100), 6000);
	g = &r->campaigns[3];
	CHECK_STR(g->key[0], "radio");
	CHECK_STR(g->key[1], "fall");
	CHECK_INT(g->f.calls, 0);
	CHECK_INT((long)round(g->f.cost * 100), 4000);
	/* agents (answered marketing calls): alice 1 2 5 6 9, bob 3 4 10 11, none 7 */
	CHECK_INT(r->n_agents, 3);
	if (r->n_agents != 3)
		return;
	CHECK_STR(r->agents[0].key[0], "alice");
	CHECK_INT(r->agents[0].f.answered, 5);
	CHECK_INT((long)round(r->agents[0].f.talk_sum * 1000), 129999);
	CHECK_INT(r->agents[0].f.quality, 2);   /* 1 5 */
	CHECK_STR(r->agents[1].key[0], "bob");
	CHECK_INT(r->agents[1].f.answered, 4);
	CHECK_INT(r->agents[1].f.talk_n, 3);    /* 60 + 31 + 200 */
	CHECK_INT((long)round(r->agents[1].f.talk_sum * 1000), 291000);
	CHECK_INT(r->agents[1].f.quality, 3);
	CHECK_STR(r->agents[2].key[0], NULL);
	CHECK_INT(r->agents[2].f.answered, 1);
	/* outbound per agent: none 18 22 27 30, bob 8 */
	CHECK_INT(r->n_out_agents, 2);
	if (r->n_out_agents == 2) {
		CHECK_STR(r->out_agents[0].key[0], NULL);
		CHECK_INT(r->out_agents[0].f.calls, 4);
		CHECK_STR(r->out_agents[1].key[0], "bob");
		CHECK_INT(r->out_agents[1].f.answered, 1);
	}
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
	    "\"data_range\":{\"first\":\"2024-03-04T09:00:00Z\",\"last\":\"2024-03-10T01:00:00Z\"},"
	    "\"tz\":\"UTC\",\"quality_s\":30.000,\"lead_window_s\":86400,\"hours\":null,");
	CHECK_HAS(j, "\"has_costs\":true,\"cost_source\":\"numbers\",\"currency\":null,"
	    "\"warnings\":[],");
	CHECK_HAS(j, "\"totals\":{\"calls\":30,\"answered\":12,\"busy\":4,\"noanswer\":3,"
	    "\"cancelled\":5,\"failed\":3,\"unfinished\":2,\"other\":1,\"inbound\":21,"
	    "\"outbound\":5,\"internal\":2,\"unknown\":2}");
	/* cost 150 + 60 + 40 = 250: / 21 calls, / 17 leads, / 6 quality calls */
	CHECK_HAS(j, "\"marketing\":{\"calls\":21,\"answered\":10,\"missed\":7,"
	    "\"missed_rate_pct\":33.33,\"missed_callers\":6,\"lost_leads\":5,"
	    "\"lost_leads_pct\":83.33,\"unique_callers\":17,\"first_time_callers\":17,"
	    "\"first_time_calls\":17,\"repeat_calls\":2,\"quality_calls\":6,\"quality_pct\":60.00,"
	    "\"cost\":250.0000,\"cost_per_call\":11.9048,\"cost_per_lead\":14.7059,"
	    "\"cost_per_quality_call\":41.6667,\"answered_by_machine\":0}");
	CHECK_HAS(j, "\"answer_time\":{\"calls\":9,\"mean_ms\":22222.4,\"p90_ms\":70000,"
	    "\"within_5s\":2,\"within_5s_pct\":22.22,\"within_15s\":5,\"within_15s_pct\":55.56,"
	    "\"within_30s\":7,\"within_30s_pct\":77.78,\"histogram\":[{\"from_s\":0,\"to_s\":5,"
	    "\"calls\":2},");
	CHECK_HAS(j, "{\"from_s\":60,\"to_s\":null,\"calls\":1}]}");
	CHECK_HAS(j, "\"callbacks\":{\"missed_callers\":6,\"called_back\":0,"
	    "\"called_back_pct\":0.00,");
	CHECK_HAS(j, "\"within_business_day\":null,\"within_business_day_pct\":null,"
	    "\"attempt_delay_mean_s\":null,");
	CHECK_HAS(j, "\"business_hours\":null,\"outbound\":{\"calls\":5,\"answered\":1,"
	    "\"talk_s\":10.000,\"mean_talk_s\":10.000,\"numbers_called\":0}");
	CHECK_HAS(j, "\"by_hour\":[{\"hour\":0,\"calls\":2,\"answered\":0,\"missed\":2},");
	CHECK_HAS(j, "{\"day\":\"Mon\",\"calls\":7,\"answered\":4,\"missed\":3}");
	CHECK_HAS(j, "\"daily\":[{\"date\":\"2024-03-04\",\"calls\":7,\"answered\":4,\"missed\":3,"
	    "\"first_time_callers\":7},");
	/* cost 150 / 11 calls, / 9 leads, / 3 quality calls; mean talk 359.999 / 6 */
	CHECK_HAS(j, "{\"source\":\"google\",\"campaign\":\"spring\",\"calls\":11,\"answered\":6,"
	    "\"missed\":4,\"missed_rate_pct\":36.36,\"missed_callers\":3,\"lost_leads\":3,"
	    "\"first_time_callers\":9,\"unique_callers\":9,\"quality_calls\":3,"
	    "\"mean_answer_ms\":23833.7,\"mean_talk_s\":60.000,\"cost\":150.0000,"
	    "\"cost_per_call\":13.6364,\"cost_per_lead\":16.6667,\"cost_per_quality_call\":50.0000}");
	CHECK_HAS(j, "{\"source\":\"radio\",\"campaign\":\"fall\",\"calls\":0,\"answered\":0,"
	    "\"missed\":0,\"missed_rate_pct\":null,");
	CHECK_HAS(j, "\"sources\":[{\"source\":\"google\",\"calls\":11,");
	CHECK_HAS(j, "\"sessions\":[],");
	CHECK_HAS(j, "\"agents\":[{\"agent\":\"alice\",\"answered\":5,\"talk_s\":129.999,"
	    "\"mean_talk_s\":26.000,\"quality_calls\":2,\"mean_answer_ms\":16600.2},");
	CHECK_HAS(j, "\"outbound_agents\":[{\"agent\":null,\"calls\":4,\"answered\":0,"
	    "\"talk_s\":0.000,\"mean_talk_s\":null},");
	CHECK_HAS(j, "\"callback_list\":[{\"number\":\"555013\",\"last_missed\":"
	    "\"2024-03-04T09:20:00Z\",\"last_missed_local\":\"2024-03-04T09:20:00Z\","
	    "\"missed_calls\":1,\"callback_attempts\":0,\"source\":\"google\","
	    "\"campaign\":\"spring\"},");
	free(j);
}

static void check_week_text_html(const struct ct_report *r)
{
	char *t = render(r, ct_report_render_text), *h = render(r, ct_report_render_html);
	char *c = render(r, ct_report_render_csv);

	if (getenv("TEST_REPORT_DUMP") != NULL && t != NULL)
		fputs(t, stderr);
	CHECK_HAS(t, "\n  total                            30\n");
	CHECK_HAS(t, "\n  missed calls                      7    33.3% missed rate\n");
	CHECK_HAS(t, "\n  lost leads                        5    83.3% of missed callers\n");
	CHECK_HAS(t, "\n  p90 (nearest rank)             70.0 s\n");
	CHECK_HAS(t, "\n  09        5         2       3    ########################################\n");
	CHECK_HAS(t, "\n  google    spring       11         6       4               3           3"
	    "           9        3  150.00      13.64      16.67         50.00\n");
	CHECK_HAS(t, "\n  555013  2024-03-04T09:20:00Z");
	CHECK(strstr(t, "WARNING") == NULL);
	CHECK_HAS(h, "<!DOCTYPE html>");
	CHECK_HAS(h, "Content-Security-Policy");
	CHECK_HAS(h, "<td>google</td><td>spring</td><td class=\"n\">11</td>");
	CHECK(h != NULL && strstr(h, "http://") == strstr(h, "http://www.w3.org/2000/svg"));
	CHECK(h != NULL && strstr(h, "https://") == NULL && strstr(h, "<script") == NULL &&
	    strstr(h, "src=") == NULL && strstr(h, "<link") == NULL);
	CHECK_HAS(c, "# summary\nfigure,value\ntotals.calls,30\n");
	CHECK_HAS(c, "\nmarketing.cost_per_lead,14.7059\n");
	CHECK_HAS(c, "\n# campaigns\nsource,campaign,calls,answered,missed,missed_rate_pct,"
	    "missed_callers,lost_leads,first_time_callers,unique_callers,quality_calls,"
	    "mean_answer_ms,mean_talk_s,cost,cost_per_call,cost_per_lead,cost_per_quality_call\n"
	    "google,spring,11,6,4,36.36,3,3,9,9,3,23833.7,60.000,150.0000,13.6364,16.6667,"
	    "50.0000\n");
	CHECK_HAS(c, "\n# callback_list\nnumber,last_missed,last_missed_local,missed_calls,"
	    "callback_attempts,source,campaign\n555013,2024-03-04T09:20:00Z,2024-03-04T09:20:00Z,1,0,"
	    "google,spring\n");
	free(t);
	free(h);
	free(c);
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
	CHECK_INT(r.m.missed, 8);
	CHECK_INT(r.n_agents, 4);
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* [09:00, 09:30): calls 1, 2, 13; 14 at 09:30 is out (end exclusive) */
	CHECK_INT(load(&d, &r, path, "2024-03-04T09:00", "2024-03-04T09:30:00Z", err), CT_OK);
	CHECK_INT(r.calls, 3);
	CHECK_INT(r.disp[CT_RD_ANSWERED], 2);
	CHECK_INT(r.m.missed, 1);
	CHECK_INT(r.tta_p90_ms, 5000);   /* 3000 5000: rank ceil(1.8) = 2 */
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* the last microsecond before the week holds row 31 only */
	CHECK_INT(load(&d, &r, path, "2024-03-03T23:59:59.999999", "2024-03-04T00:00", err), CT_OK);
	CHECK_INT(r.calls, 1);
	CHECK_INT(r.m.unique, 1);
	ct_report_fini(&r);
	ct_report_data_fini(&d);

	/* Sun 2024-03-10 only: 23 and 24 are repeat calls (1 and 2 on Monday
	 * are in the history although outside the range) */
	CHECK_INT(load(&d, &r, path, "2024-03-10", "2024-03-10", err), CT_OK);
	CHECK_INT(r.m.calls, 3);
	CHECK_INT(r.m.repeat, 2);
	CHECK_INT(r.m.first_callers, 1);   /* 25 */
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

static void test_empty(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], *j, *t, *h, *c;

	CHECK_INT(make_db(path, CALLS_V1 ATTRIB, 0, 1), 0);
	CHECK_INT(load(&d, &r, path, NULL, NULL, err), CT_OK);
	CHECK_INT(r.calls, 0);
	CHECK_INT(r.m.missed, 0);
	CHECK_INT(r.m.tta_n, 0);
	CHECK_INT(r.tta_p90_ms, CT_REPORT_NONE);
	CHECK_INT(r.n_campaigns, 0);
	CHECK_INT(r.n_agents, 0);
	CHECK_INT(r.n_daily, 0);
	CHECK_INT(d.has_numbers, 1);
	j = render(&r, ct_report_render_json);
	CHECK_HAS(j, "\"data_range\":{\"first\":null,\"last\":null}");
	CHECK_HAS(j, "\"missed\":0,\"missed_rate_pct\":null,");
	CHECK_HAS(j, "\"mean_ms\":null,\"p90_ms\":null,\"within_5s\":0,\"within_5s_pct\":null");
	CHECK_HAS(j, "\"callbacks\":{\"missed_callers\":0,\"called_back\":0,"
	    "\"called_back_pct\":null,");
	CHECK_HAS(j, "\"campaigns\":[],\"sessions\":[],\"agents\":[],\"outbound_agents\":[],"
	    "\"callback_list\":[],\"ring_agents\":[],\"ring_hours\":[]}");
	t = render(&r, ct_report_render_text);
	CHECK_HAS(t, "\n  mean                              -\n");
	CHECK(t != NULL && strstr(t, "nan") == NULL);
	h = render(&r, ct_report_render_html);
	CHECK(h != NULL && strstr(h, "nan") == NULL && strstr(h, "</html>") != NULL);
	c = render(&r, ct_report_render_csv);
	CHECK(c != NULL && strstr(c, "nan") == NULL && strstr(c, "# callback_list\n") != NULL);
	free(j);
	free(t);
	free(h);
	free(c);
	ct_report_fini(&r);
	ct_report_data_fini(&d);
}

/* Schema version 1 (no attribution columns, no numbers): still every figure. */
static void test_v1(const char *path)
{
	struct ct_report_data d;
	struct ct_report r;
	char err[CT_ERRBUF_SIZE], *j, *t;

	CHECK_INT(make_db(path, CALLS_V1, 1, 0), 0);
	CHECK_INT(load(&d, &r, path, "2024-03-04", "2024-03-10", err), CT_OK);
	CHECK_INT(d.has_opt[CT_RO_SOURCE] + d.has_opt[CT_RO_CAMPAIGN] + d.has_opt[CT_RO_END_US],
	    0);
	CHECK_INT(d.has_opt[CT_RO_CALLEE], 1);
	CHECK_INT(d.has_numbers, 0);
	CHECK_INT(r.calls, 30);
	CHECK_INT(r.m.missed, 7);
	CHECK_INT(r.m.first_callers, 17);
	CHECK_INT(r.n_campaigns, 1);     /* everything in (none)/(none) */
	j = render(&r, ct_report_render_json);
	CHECK_HAS(j, "\"missing_columns\":[\"end_us\",\"sensor\",\"source\",\"campaign\","
	    "\"caller_number\",\"callee_number\",\"utm_source\",\"utm_medium\",\"utm_campaign\","
	    "\"answered_by\",\"parent_call_id\",\"rings\"],"
	    "\"has_costs\":false,\"cost_source\":null,");
	t = render(&r, ct_report_render_text);
	CHECK_HAS(t, "note: the database has no column(s) end_us, sensor, source, campaign,");
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

/* Call page names (callpage.c): safe, distinct, bounded, from any Call-ID. */
static void test_page_name(void)
{
	static const struct { const char *id, *prefix; } cases[] = {
		{ "abc@10.0.0.1", "abc_10.0.0.1-" },
		{ "../../etc/passwd", "_._.._etc_passwd-" },
		{ ".hidden", "_hidden-" },
		{ "", "-" },
		{ "a b\"<>&\x01\xff", "a_b______-" },
	};
	char a[CT_CALL_PAGE_NAME_MAX], b[CT_CALL_PAGE_NAME_MAX], longid[300], small[10];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ct_call_page_name(cases[i].id, a, sizeof(a));
		CHECK(strncmp(a, cases[i].prefix, strlen(cases[i].prefix)) == 0);
		CHECK(strchr(a, '/') == NULL && a[0] != '.');
		CHECK_INT(strlen(a), strlen(cases[i].prefix) + 8 + 5);
		CHECK(strcmp(a + strlen(a) - 5, ".html") == 0);
	}
	/* one Call-ID, one name; the replaced bytes or a long tail still tell two apart */
	ct_call_page_name("a/b", a, sizeof(a));
	ct_call_page_name("a:b", b, sizeof(b));
	CHECK(strcmp(a, b) != 0);
	CHECK(strncmp(a, "a_b-", 4) == 0 && strncmp(b, "a_b-", 4) == 0);
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	ct_call_page_name(longid, a, sizeof(a));
	CHECK_INT(strlen(a), 64 + 1 + 8 + 5);
	longid[200] = 'y';
	ct_call_page_name(longid, b, sizeof(b));
	CHECK(strcmp(a, b) != 0 && strlen(b) == strlen(a));
	ct_call_page_name("abc", a, sizeof(a));
	ct_call_page_name("abc", b, sizeof(b));
	CHECK_STR(a, b);
	CHECK_STR(a, "abc-ba7816bf.html");   /* SHA-256("abc") = ba7816bf 8f01cfea ... */
	CHECK_STR(ct_call_page_name("abc", small, sizeof(small)), "");
}

/*
 * --hours: items parsed, overnight items and items that touch make one
 * business day, and the deadline of "within the business day" is the end
 * of the open run in which (or after which) a missed call ended.  UTC;
 * 2024-03-04 00:00 is a Monday.
 */
static void test_hours(void)
{
#define MON0 1709510400LL   /* 2024-03-04 00:00 UTC, a Monday */
#define AT(day, hh, mm) ((MON0 + (day) * 86400LL + (hh) * 3600LL + (mm) * 60LL) * 1000000LL)
	static const struct { const char *spec; int ok; } parse[] = {
		{ "Mon-Fri 09:00-18:00,Sat 10:00-14:00", 1 }, { "Sat-Sun 10:00-14:00", 1 },
		{ "Mon-Fri 22:00-06:00", 1 }, { "Mon 22:00-00:00", 1 }, { "Sun 00:00-24:00", 1 },
		{ "Mon 09:00-09:00", 0 }, { "Mon 24:00-06:00", 0 }, { "Mon 09:00-24:01", 0 },
		{ "Mon 9:00-18:00", 0 }, { "Mon 09:00-18:60", 0 }, { "Xyz 09:00-18:00", 0 },
		{ "Mon 09:00-18:00,", 0 }, { "", 0 }, { "Mon09:00-18:00", 0 },
	};
	static const struct { const char *spec; long long at, deadline; } dl[] = {
		{ "Mon-Fri 09:00-18:00", AT(0, 10, 0), AT(0, 18, 0) },
		{ "Mon-Fri 09:00-18:00", AT(0, 19, 0), AT(1, 18, 0) },
		{ "Mon-Fri 09:00-18:00", AT(4, 19, 0), AT(7, 18, 0) },   /* Fri evening: next Monday */
		{ "Mon-Fri 09:00-18:00", AT(0, 17, 59) + 30000000LL, AT(0, 18, 0) },
		/* a night shift: Mon 22:00 to Tue 06:00, ..., Fri 22:00 to Sat 06:00 */
		{ "Mon-Fri 22:00-06:00", AT(0, 23, 0), AT(1, 6, 0) },
		{ "Mon-Fri 22:00-06:00", AT(1, 3, 0), AT(1, 6, 0) },
		{ "Mon-Fri 22:00-06:00", AT(0, 3, 0), AT(1, 6, 0) },      /* Sunday night is closed */
		{ "Mon-Fri 22:00-06:00", AT(5, 5, 0), AT(5, 6, 0) },
		{ "Mon-Fri 22:00-06:00", AT(5, 7, 0), AT(8, 6, 0) },      /* Sat morning: next Mon night */
		/* the same shift as two items that touch at midnight */
		{ "Mon-Fri 22:00-24:00,Tue-Sat 00:00-06:00", AT(0, 23, 0), AT(1, 6, 0) },
		{ "Mon 22:00-00:00", AT(0, 23, 0), AT(1, 0, 0) },
		/* open through the weekend: one run from Sat 10:00 to Sun 14:00 */
		{ "Sat 10:00-24:00,Sun 00:00-14:00", AT(5, 11, 0), AT(6, 14, 0) },
		{ "Mon-Sun 00:00-24:00", AT(2, 12, 0), CT_REPORT_NONE },
		{ "Sun-Sat 12:00-12:01,Mon-Sun 00:00-24:00", AT(2, 12, 0), CT_REPORT_NONE },
	};
	struct ct_report_data d;
	char err[CT_ERRBUF_SIZE];
	size_t i;

	memset(&d, 0, sizeof(d));
	for (i = 0; i < sizeof(parse) / sizeof(parse[0]); i++)
		CHECK_INT(ct_report_hours_parse(&d.hours, parse[i].spec, err),
		    parse[i].ok ? CT_OK : CT_ERR);
	for (i = 0; i < sizeof(dl) / sizeof(dl[0]); i++) {
		CHECK_INT(ct_report_hours_parse(&d.hours, dl[i].spec, err), CT_OK);
		CHECK_INT(ct_report_bday_deadline(&d, dl[i].at), dl[i].deadline);
	}
#undef AT
#undef MON0
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
	test_hours();
	test_week(path);
	test_empty(path);
	test_v1(path);
	test_bad_db(path);
	test_hostile(path);
	test_page_name();
	unlink(path);
	return TEST_REPORT();
}
