/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The rules the two call stores (sqlite.c, pgsql.c) keep in SQL, written
 * once and spelt for each by its parameters (SQLite "?1", PostgreSQL
 * "$1::bigint") and its false literal, so that the stores cannot drift
 * apart.  What they do is in docs/schema.md (Stored once, History,
 * Callbacks) and in the comments where sqlite.c prepares them.
 */
#ifndef CALLTAP_STORE_SQL_H
#define CALLTAP_STORE_SQL_H

/*
 * A missed call's disposition, spelt as ORs: the partial index
 * calls_missed_number and the callback update use the same text, so the
 * planner sees that the index covers the rows (an IN list there made every
 * insert several times dearer).
 */
#define CT_SQL_MISSED \
	"(disposition = 'busy' OR disposition = 'noanswer' OR disposition = 'cancelled')"

/*
 * A missed call for the callback named by callback_of: as CT_SQL_MISSED,
 * or answered only by an IVR or voicemail (answered_by, PBX legs: the
 * history counts it missed too).  Used only where the row is found by its
 * call_id.
 */
#define CT_SQL_MISSED_ANY \
	"(" CT_SQL_MISSED " OR answered_by = 'ivr' OR answered_by = 'voicemail')"

/*
 * A row callback_of can name: a missed inbound call of CT_SQL_MISSED_ANY
 * (the history names no other).  The WHERE of SQLite's partial index
 * calls_missed_id, and the same text in the statements that find a row by
 * its callback_of, so that the planner sees the index covers them.
 */
#define CT_SQL_MISSED_ROW "direction = 'inbound' AND " CT_SQL_MISSED_ANY

/* An answered call that reached a person (not only an IVR or voicemail). */
#define CT_SQL_PERSON(T) \
	T ".disposition = 'answered' AND (" T ".answered_by IS NULL OR (" T ".answered_by <> 'ivr'" \
	" AND " T ".answered_by <> 'voicemail'))"

/*
 * The indexes of the history rules (both stores).  The unique key of
 * "stored once", calls_key, is each store's own: (start_us, call_id) in
 * SQLite (sqlite.c, indexes), (call_id, start_us) in PostgreSQL.
 */
#define CT_SQL_HISTORY_INDEXES \
	"CREATE INDEX IF NOT EXISTS calls_missed_number ON calls(caller_number, end_us)" \
	" WHERE caller_number IS NOT NULL AND direction = 'inbound' AND " CT_SQL_MISSED ";" \
	"CREATE INDEX IF NOT EXISTS calls_history ON calls(caller_number, start_us)" \
	" WHERE repeat_count IS NOT NULL;"

/*
 * Which calls the callback update's third statement sets (after its head,
 * CT_SQL_CALLBACK_SET): the missed calls without a number whose caller text
 * is that of the call callback_of names (CALLBACK_OF: "?2" or "$2").
 */
#define CT_SQL_CALLBACK_BY_CALLER(CALLBACK_OF) \
	"caller_number IS NULL AND caller = (SELECT caller FROM calls" \
	" WHERE call_id = " CALLBACK_OF " AND " CT_SQL_MISSED_ROW " ORDER BY id DESC LIMIT 1)"

/*
 * The head of the callback update of an attempt starting at START: the
 * missed inbound calls that ended by START, have no earlier attempt, and
 * were not closed by an answered call of their caller before it; the
 * statement appends which calls (by call_id, caller_number or caller text).
 */
#define CT_SQL_CALLBACK_SET(START, MISSED) \
	"UPDATE calls SET callback_s = round((" START " - end_us) / 1000000.0, 3)" \
	" WHERE end_us IS NOT NULL AND end_us <= " START \
	" AND (callback_s IS NULL OR callback_s > round((" START " - end_us) / 1000000.0, 3))" \
	" AND direction = 'inbound' AND " MISSED \
	" AND NOT EXISTS (SELECT 1 FROM calls a WHERE a.caller_number = calls.caller_number" \
	" AND a.repeat_count IS NOT NULL AND " CT_SQL_PERSON("a") \
	" AND a.start_us > calls.start_us AND a.start_us <= " START ") AND "

/*
 * A call of caller NUMBER starting at START stored after later calls of
 * NUMBER: the CT_SQL_REPEAT_MAX (64) of them that start first get one more
 * earlier call.  The bound keeps each record's work constant: a number
 * with thousands of calls open at once (a robocaller, a flood from one
 * spoofed number, a generator's small number pool) ending in any order
 * made this update touch every later call, so storing n such calls cost
 * O(n^2) row updates (20,000 short calls, 1,100 from each of its three
 * busiest numbers: 16.4 s with --db, 4-6 s with the bound, 1.9 s with
 * --json alone).  People's calls never nest that deep; past it
 * the stored repeat_count of that number's later calls may be low (the
 * report recomputes history from the store and stays exact).
 */
#define CT_SQL_REPEAT_ROWS 64
#define CT_SQL_STR_(x) #x
#define CT_SQL_STR(x) CT_SQL_STR_(x)
#define CT_SQL_REPEAT_MAX CT_SQL_STR(CT_SQL_REPEAT_ROWS)   /* the same, as SQL text */
/* The ids of the rows CT_SQL_REPEAT raises (its subquery). */
#define CT_SQL_REPEAT_IDS(NUMBER, START) \
	"SELECT id FROM calls WHERE caller_number = " NUMBER \
	" AND start_us > " START " AND repeat_count IS NOT NULL" \
	" ORDER BY start_us LIMIT " CT_SQL_REPEAT_MAX
#define CT_SQL_REPEAT(NUMBER, START, FALSE) \
	"UPDATE calls SET repeat_count = repeat_count + 1, first_call = " FALSE \
	" WHERE id IN (" CT_SQL_REPEAT_IDS(NUMBER, START) ")"

/* An answered call of NUMBER starting at START closes its earlier missed calls. */
#define CT_SQL_CLOSED(NUMBER, START) \
	"UPDATE calls SET callback_s = NULL" \
	" WHERE caller_number = " NUMBER " AND end_us IS NOT NULL AND end_us <= " START \
	" AND direction = 'inbound' AND " CT_SQL_MISSED \
	" AND start_us < " START " AND callback_s IS NOT NULL" \
	" AND end_us + callback_s * 1000000.0 > " START

#endif
