/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to src/sink: the column model of a call record.  One table lists
 * the scalar fields of struct ct_call_record in output order and one lists
 * the fields of a stream; the JSON, CSV, SQLite and table sinks all render
 * from these tables, so names, order, null rules and number formats cannot
 * drift apart between formats (docs/schema.md documents them).
 */
#ifndef CALLTAP_SINK_RECORD_INT_H
#define CALLTAP_SINK_RECORD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/buf.h"
#include "calltap/record.h"
#include "calltap/sink.h"

enum ct_val_kind {
	CT_VAL_NULL = 0,
	CT_VAL_TEXT,
	CT_VAL_INT,
	CT_VAL_REAL,
	CT_VAL_BOOL
};

/* One field value, rendered by each sink in its own syntax. */
struct ct_val {
	enum ct_val_kind kind;
	const char *s;    /* TEXT: borrowed from the record or points into tmp */
	int64_t i;        /* INT; BOOL as 0/1 */
	double d;         /* REAL, always finite */
	int prec;         /* REAL: digits after the decimal point */
	char tmp[64];     /* storage for formatted text (times, addresses) */
};

struct ct_col {
	const char *name;     /* JSON key, CSV header, SQL column */
	const char *sql_type; /* "TEXT", "INTEGER" or "REAL" */
	void (*get)(const struct ct_call_record *r, struct ct_val *v);
};

struct ct_stream_col {
	const char *name;
	const char *sql_type;
	void (*get)(const struct ct_stream_stats *s, struct ct_val *v);
};

extern const struct ct_col ct_record_cols[];
extern const size_t ct_record_ncols;
extern const struct ct_stream_col ct_stream_cols[];
extern const size_t ct_stream_ncols;

/* Locale-independent "%.*f"; false (buf = "") when d is NaN or infinite. */
bool ct_fmt_fixed(double d, int prec, char *buf, size_t len);
/* Appends v in JSON syntax (null, "text", 12, 1.500, true). */
void ct_val_json(const struct ct_val *v, struct ct_buf *b);
/* Appends v as a CSV field (empty for null). */
void ct_val_csv(const struct ct_val *v, struct ct_buf *b);

/* Formats a message into errbuf (CT_ERRBUF_SIZE bytes; NULL is ignored). */
void ct_sink_err(char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
