/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private to src/sink: the value renderers shared by the sinks.  The columns
 * themselves are defined once, in the schema table (calltap/schema.h,
 * schema.c); every sink renders from it, so names, order, null rules and
 * number formats cannot drift apart between formats.
 */
#ifndef CALLTAP_SINK_RECORD_INT_H
#define CALLTAP_SINK_RECORD_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/buf.h"
#include "calltap/record.h"
#include "calltap/schema.h"
#include "calltap/sink.h"

/* Locale-independent "%.*f"; false (buf = "") when d is NaN or infinite. */
bool ct_fmt_fixed(double d, int prec, char *buf, size_t len);
/* Appends v in JSON syntax (null, "text", 12, 1.500, true). */
void ct_val_json(const struct ct_val *v, struct ct_buf *b);
/* Appends v as a CSV field (empty for null). */
void ct_val_csv(const struct ct_val *v, struct ct_buf *b);

/*
 * The keys of the JSON form, escaped and measured once per sink (record.c):
 * key j (ct_schema_calls[j], then ct_schema_streams[j - ct_schema_ncalls])
 * is text[off[j] .. off[j + 1]), written ,"name": (empty for a column that
 * JSON does not carry).
 */
struct ct_json_keys {
	char *text;
	size_t *off;    /* ct_schema_ncalls + ct_schema_nstreams + 1 offsets */
};
int ct_json_keys_init(struct ct_json_keys *k);
void ct_json_keys_fini(struct ct_json_keys *k);
/* ct_record_json with the keys of k (NULL: from the names): the same text. */
int ct_record_json_keys(const struct ct_call_record *r, struct ct_buf *b,
    const struct ct_json_keys *k);

/* Formats a message into errbuf (CT_ERRBUF_SIZE bytes; NULL is ignored). */
void ct_sink_err(char *errbuf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
