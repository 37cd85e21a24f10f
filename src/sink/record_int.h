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
#include <string.h>

#include "calltap/buf.h"
#include "calltap/record.h"
#include "calltap/schema.h"
#include "calltap/sink.h"

/* Locale-independent "%.*f"; false (buf = "") when d is NaN or infinite. */
bool ct_fmt_fixed(double d, int prec, char *buf, size_t len);
/* ct_fmt_fixed returning the length of the text (0 when it fails). */
size_t ct_fmt_fixed_len(double d, int prec, char *buf, size_t len);
/*
 * Writes v, an INT, REAL or BOOL (anything else: nothing), at d, which has
 * room for CT_VAL_NUM_MAX bytes, without a NUL; returns the length (0 also
 * for a REAL that cannot be formatted): the number as JSON and CSV write it.
 */
#define CT_VAL_NUM_MAX 64
static inline size_t ct_val_num(const struct ct_val *v, char *d)
{
	/* "false" and "true", padded so that 8 bytes can be copied from either */
	static const char bool_text[2][8] = { "false", "true" };

	switch (v->kind) {
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
		return ct_fmt_i64(d, v->i);
	case CT_VAL_REAL:
		return ct_fmt_fixed_len(v->d, v->prec, d, CT_VAL_NUM_MAX);
	case CT_VAL_BOOL:
		memcpy(d, bool_text[v->i != 0], 8);
		return v->i != 0 ? 4 : 5;
	default:
		return 0;
	}
}
/*
 * Copies the plain text of v (v->plain bytes, see struct ct_val) to d,
 * which has room for sizeof(v->tmp) bytes; may write past the text up to
 * that (no NUL).  Text in v->tmp is copied whole, with one fixed-size copy.
 */
static inline void ct_val_plain_copy(const struct ct_val *v, char *d)
{
	size_t n = v->plain;

	if (v->s == v->tmp)
		memcpy(d, v->tmp, sizeof(v->tmp));
	else if (n >= 8 && n <= 16) {
		memcpy(d, v->s, 8);
		memcpy(d + n - 8, v->s + n - 8, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(d, v->s, 4);
		memcpy(d + n - 4, v->s + n - 4, 4);
	} else {
		memcpy(d, v->s, n);
	}
}

/* Appends v in JSON syntax (null, "text", 12, 1.500, true). */
void ct_val_json(const struct ct_val *v, struct ct_buf *b);
/* Appends v as a CSV field (empty for null). */
void ct_val_csv(const struct ct_val *v, struct ct_buf *b);

/*
 * The keys of the JSON form, escaped and measured once per sink (record.c):
 * key j (ct_schema_calls[j], then ct_schema_streams[j - ct_schema_ncalls])
 * is key[j]: ,"name":null zero-padded, with the length of ,"name": in the
 * last byte (0 for a column that JSON does not carry, or a name too long
 * for a slot: written from the name).
 */
#define CT_JSON_SLOT 32
struct ct_json_key {
	char text[CT_JSON_SLOT];
};
#define CT_JSON_KEY_LEN(kk) ((size_t)(unsigned char)(kk)->text[CT_JSON_SLOT - 1])
struct ct_json_keys {
	struct ct_json_key *key;   /* ct_schema_ncalls + ct_schema_nstreams */
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
