/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Growable byte buffer for building output text. */
#ifndef CALLTAP_BUF_H
#define CALLTAP_BUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "calltap/err.h"

struct ct_buf {
	char *p;      /* NUL-terminated while oom is false */
	size_t len;
	size_t cap;
	int oom;      /* an append failed; further appends are ignored */
};

void ct_buf_init(struct ct_buf *b);
void ct_buf_fini(struct ct_buf *b);
void ct_buf_reset(struct ct_buf *b);
/* ct_buf_append when the room is not there yet (grows b); use ct_buf_append. */
int ct_buf_append_grow(struct ct_buf *b, const void *p, size_t n);

/*
 * Appends n bytes from p (which need not be NUL-terminated) and keeps b->p
 * NUL-terminated.  Returns CT_OK, or CT_NOMEM when out of memory or when an
 * earlier append failed (the buffer is then left as it was).  Inline for
 * the usual case, room already there: records are built from thousands of
 * short appends per second under a call flood.
 */
static inline int ct_buf_append(struct ct_buf *b, const void *p, size_t n)
{
	if (n < b->cap - b->len && !b->oom) {
		memcpy(b->p + b->len, p, n);
		b->len += n;
		b->p[b->len] = '\0';
		return CT_OK;
	}
	return ct_buf_append_grow(b, p, n);
}

/* ct_buf_room when the room is not there yet (grows b); use ct_buf_room. */
char *ct_buf_room_grow(struct ct_buf *b, size_t n);

/*
 * Room to write up to n bytes at the end of b (plus the NUL after them):
 * returns b->p + b->len, or NULL when out of memory or after an earlier
 * failure (oom).  Nothing is appended until ct_buf_commit; b->p may move,
 * so the pointer is only good until the next call on b.  For writers that
 * format straight into the buffer (record fields) instead of copying.
 */
static inline char *ct_buf_room(struct ct_buf *b, size_t n)
{
	if (n < b->cap - b->len && !b->oom)
		return b->p + b->len;
	return ct_buf_room_grow(b, n);
}

/*
 * Takes the bytes written from b->p + b->len up to end (a pointer from
 * ct_buf_room plus at most the n bytes asked for) and NUL-terminates b.
 */
static inline void ct_buf_commit(struct ct_buf *b, char *end)
{
	b->len = (size_t)(end - b->p);
	b->p[b->len] = '\0';
}

/*
 * Appends the C string s (NULL appends nothing); CT_OK or CT_NOMEM.  Inline
 * so that the length of a literal is known when compiling: records append
 * about a hundred keys and punctuation strings each.
 */
static inline int ct_buf_puts(struct ct_buf *b, const char *s)
{
	if (s == NULL)
		return b->oom ? CT_NOMEM : CT_OK;
	return ct_buf_append(b, s, strlen(s));
}
/* Appends v in decimal (as "%" PRId64, without printf); CT_OK or CT_NOMEM. */
int ct_buf_i64(struct ct_buf *b, int64_t v);
/* Writes v in decimal at d (room for CT_I64_MAX bytes, no NUL); returns the length. */
#define CT_I64_MAX 20
size_t ct_fmt_i64(char *d, int64_t v);
int ct_buf_printf(struct ct_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal (with quotes); NULL appends null. */
int ct_buf_json_str(struct ct_buf *b, const char *s);
/* ct_buf_json_str of the n bytes at s (no NUL among them); CT_OK or CT_NOMEM. */
int ct_buf_json_strn(struct ct_buf *b, const char *s, size_t n);
/* Longest text the *_put writers below take. */
#define CT_PUT_MAX 4096
/*
 * ct_buf_json_strn's text for n <= CT_PUT_MAX bytes, written at d (room for
 * 6 * n + 5 bytes, no NUL written); returns its end.
 */
char *ct_json_str_put(char *d, const char *s, size_t n);
/*
 * ct_buf_csv_cell's text for s (n = strlen(s)) written at d (room for
 * 3 * n + 2 bytes, no NUL written) when it takes one pass: returns its end,
 * or NULL (nothing written) when s needs ct_buf_csv_cell.
 */
char *ct_csv_cell_put(char *d, const char *s, size_t n);
/* Length of the well-formed UTF-8 sequence at s (1-4), 0 if ill-formed. */
size_t ct_utf8_len(const unsigned char *s, size_t avail);
/*
 * Copies text s into out (reset first) made safe for a spreadsheet cell:
 * controls removed, ill-formed UTF-8 as U+FFFD, a leading = + - @ quoted
 * with ' unless s is a plain +digits number (then ct_buf_csv_str it).
 */
void ct_buf_csv_safe(struct ct_buf *out, const char *s);
/*
 * Appends text s (not NULL) as one spreadsheet-safe CSV field: the bytes of
 * ct_buf_csv_safe(scratch, s) then ct_buf_csv_str(b, scratch->p), in one
 * pass for the usual text (scratch is used for the rare rest).  CT_OK or
 * CT_NOMEM (b->oom set).
 */
int ct_buf_csv_cell(struct ct_buf *b, const char *s, struct ct_buf *scratch);
/* Copies msg (a library's message, may be NULL) into dst (size bytes) as
 * one line: newlines become "; " (a final one goes), tabs and CRs go. */
void ct_one_line(char *dst, size_t size, const char *msg);
/* Appends s as a CSV field (RFC 4180 quoting when needed); NULL appends nothing. */
int ct_buf_csv_str(struct ct_buf *b, const char *s);
/*
 * Copies text into dst (size bytes) with credentials shown as "***": a
 * URL's user:password@ password and query values, password=/token=/...
 * items; plus, wherever they occur, the credentials of origin (the URL or
 * conninfo the message is about; NULL for none).  Returns dst.
 */
char *ct_mask_secrets(char *dst, size_t size, const char *text, const char *origin);

#endif
