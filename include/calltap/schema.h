/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The record schema: one table (src/sink/schema.c) is the only place a
 * column of a call record or of an RTP stream is defined: its name, type,
 * the outputs that carry it, how the report uses it, how its value is taken
 * from struct ct_call_record (or struct ct_stream_stats) and its doc line.
 * The JSON and CSV writers, the SQLite and PostgreSQL DDL and inserts, the
 * report's column checks and the column lists of docs/schema.md are all
 * produced from it (tests/unit/test_schema and tests/pgsql.sh check that
 * they agree).
 */
#ifndef CALLTAP_SCHEMA_H
#define CALLTAP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/buf.h"
#include "calltap/record.h"

/* Column types; how each is written in every output is fixed here. */
enum ct_col_type {
	CT_COL_TEXT = 0,   /* JSON string, SQL TEXT */
	CT_COL_INTEGER,    /* JSON number, SQLite INTEGER, PostgreSQL BIGINT */
	CT_COL_REAL,       /* fixed decimals (prec), SQLite REAL, PostgreSQL DOUBLE PRECISION */
	CT_COL_BOOLEAN,    /* JSON/CSV true/false, SQLite 1/0 (INTEGER), PostgreSQL BOOLEAN */
	CT_COL_TIME        /* ISO 8601 UTC text (ct_time_iso), SQL TEXT */
};

/* Outputs that carry a column (ct_schema_col.outputs). */
enum {
	CT_OUT_JSON = 1u << 0,    /* JSON lines, webhook (key order = table order) */
	CT_OUT_CSV = 1u << 1,     /* CSV (column order = table order) */
	CT_OUT_STORE = 1u << 2    /* SQLite and PostgreSQL table calls / rtp_streams */
};
#define CT_OUT_ALL (CT_OUT_JSON | CT_OUT_CSV | CT_OUT_STORE)

/* How `calltap report` uses a calls column (ct_schema_col.report). */
enum ct_col_report {
	CT_REPORT_UNUSED = 0,
	CT_REPORT_REQUIRED,   /* a store without it cannot be reported on */
	CT_REPORT_OPTIONAL    /* figures that need it are unavailable without it */
};

enum ct_val_kind {
	CT_VAL_NULL = 0,
	CT_VAL_TEXT,
	CT_VAL_INT,
	CT_VAL_REAL,
	CT_VAL_BOOL,
	CT_VAL_STREAMS,   /* INT (the stream count); JSON writes the stream array */
	CT_VAL_JSON       /* s is JSON text: written as it is in JSON, as text elsewhere */
};

/* One field value, rendered by each output in its own syntax. */
struct ct_val {
	enum ct_val_kind kind;
	const char *s;    /* TEXT: borrowed from the record or points into tmp */
	int64_t i;        /* INT; BOOL as 0/1 */
	double d;         /* REAL, always finite */
	int prec;         /* REAL: digits after the decimal point */
	/*
	 * TEXT: strlen(s) when s is known to be plain (our own text: times,
	 * addresses, names of values; printable ASCII without '"', '\\' or
	 * ',', not starting with = + - @ or a blank nor ending in a blank), so
	 * that JSON and CSV copy it as it is; 0 when unknown.
	 */
	unsigned plain;
	char tmp[64];     /* storage for formatted text (times, addresses) */
};

/* A column of table calls / the record. */
struct ct_schema_col {
	const char *name;          /* JSON key, CSV header, SQL column */
	enum ct_col_type type;
	unsigned char outputs;     /* CT_OUT_* bits */
	unsigned char report;      /* enum ct_col_report */
	unsigned char prec;        /* CT_COL_REAL: decimals */
	/* The value: get(), or when get is NULL the char * field at str_off. */
	void (*get)(const struct ct_call_record *r, struct ct_val *v);
	size_t str_off;
	const char *null_when;     /* docs/schema.md "null when" */
	const char *doc;           /* docs/schema.md "meaning" (Markdown) */
};

/* A column of table rtp_streams / a JSON stream object. */
struct ct_schema_stream_col {
	const char *name;
	enum ct_col_type type;
	unsigned char prec;
	void (*get)(const struct ct_stream_stats *s, struct ct_val *v);
	const char *null_when;
	const char *doc;
};

/*
 * A column of table rtp_intervals (stores only: one row per interval of a
 * stream, ct_stream_stats.ivals; src/rtp/intervals.c).
 */
struct ct_schema_ival_col {
	const char *name;
	enum ct_col_type type;
	unsigned char prec;
	void (*get)(const struct ct_stream_ival *iv, struct ct_val *v);
	const char *null_when;
	const char *doc;
};

extern const struct ct_schema_col ct_schema_calls[];
extern const size_t ct_schema_ncalls;
extern const struct ct_schema_stream_col ct_schema_streams[];
extern const size_t ct_schema_nstreams;
extern const struct ct_schema_ival_col ct_schema_ivals[];
extern const size_t ct_schema_nivals;

/* Fills v (reset first) with the value of column c of r. */
static inline void ct_schema_value(const struct ct_schema_col *c,
    const struct ct_call_record *r, struct ct_val *v)
{
	v->kind = CT_VAL_NULL;
	v->prec = c->prec;
	v->plain = 0;
	if (c->get != NULL) {
		c->get(r, v);
	} else {
		v->s = *(char *const *)(const void *)((const char *)r + c->str_off);
		v->kind = v->s != NULL ? CT_VAL_TEXT : CT_VAL_NULL;
	}
}

/* Fills v (reset first) with the value of stream column c of s. */
static inline void ct_schema_stream_value(const struct ct_schema_stream_col *c,
    const struct ct_stream_stats *s, struct ct_val *v)
{
	v->kind = CT_VAL_NULL;
	v->prec = c->prec;
	v->plain = 0;
	c->get(s, v);
}

/* Fills v (reset first) with the value of interval column c of iv. */
static inline void ct_schema_ival_value(const struct ct_schema_ival_col *c,
    const struct ct_stream_ival *iv, struct ct_val *v)
{
	v->kind = CT_VAL_NULL;
	v->prec = c->prec;
	v->plain = 0;
	c->get(iv, v);
}

/* The column named name, or NULL. */
const struct ct_schema_col *ct_schema_find(const char *name);
/* Declared type of t in SQLite ("TEXT", "INTEGER", "REAL"). */
const char *ct_schema_sqlite_type(enum ct_col_type t);
/* Type of t in PostgreSQL ("TEXT", "BIGINT", "DOUBLE PRECISION", "BOOLEAN"). */
const char *ct_schema_pg_type(enum ct_col_type t);
/* Name of t as docs/schema.md writes it ("text", "integer", ...). */
const char *ct_schema_type_name(enum ct_col_type t);
/* Appends docs/schema.md's list of the call (or stream) columns in Markdown. */
void ct_schema_markdown(struct ct_buf *b, bool streams);
/* Appends docs/schema.md's list of the rtp_intervals columns in Markdown. */
void ct_schema_markdown_ivals(struct ct_buf *b);

#endif
