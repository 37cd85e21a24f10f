/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV sink: a header row with the scalar column names of the JSON form (in
 * the same order) plus `streams` (the number of RTP streams), then one row
 * per call record.  Null values are empty fields; an empty string is
 * written as "" so that it stays distinct from null.  Rows end in LF.
 * Text comes from the wire and the file is meant for spreadsheets, so every
 * text cell is made safe first (csv_safe): control characters go, and a
 * cell that a spreadsheet would run as a formula is turned into text.
 * Workload and error behaviour as the JSON sink: each row is formatted
 * whole in memory, written with one write(2) and errors name the file.
 * References: RFC 4180 §2 (fields and quoting), docs/schema.md (columns),
 * OWASP "CSV Injection" (formula prefixes = + - @ tab CR).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

struct csv_sink {
	struct ct_outfile out;
	struct ct_buf row;      /* reused for every record */
	struct ct_buf cell;     /* reused for every text cell */
};

/* True for "+" followed by one or more digits only: a plain E.164 number. */
static bool is_e164(const char *s)
{
	if (*s++ != '+' || *s == '\0')
		return false;
	while (*s >= '0' && *s <= '9')
		s++;
	return *s == '\0';
}

/*
 * Copies text s into out (reset first) made safe for a spreadsheet:
 *  - control characters are removed: C0 (0x00-0x1f, which includes TAB, CR
 *    and LF), DEL and the C1 controls U+0080..U+009F, so no escape sequence
 *    reaches a terminal or a cell;
 *  - a byte that is not well-formed UTF-8 becomes U+FFFD, as in the JSON;
 *  - when what is left starts with '=', '+', '-' or '@' (a formula in
 *    Excel, LibreOffice and Google Sheets), a single quote is put in front
 *    so that the cell is read as text; a plain E.164 number ("+" and digits
 *    only) is left as it is, since a spreadsheet reads it as a number.
 * The result is then quoted as RFC 4180 requires by ct_buf_csv_str.
 */
static void csv_safe(const char *s, struct ct_buf *out)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n;

	ct_buf_reset(out);
	while (*u != '\0') {
		for (n = 0; u[n] >= 0x20 && u[n] < 0x7f; n++)
			;
		if (n > 0) {    /* a run of printable ASCII, copied at once */
			ct_buf_append(out, u, n);
			u += n;
			continue;
		}
		if (*u < 0x20 || *u == 0x7f) {
			u++;
			continue;
		}
		n = *u >= 0x80 ? ct_utf8_len(u, strnlen((const char *)u, 4)) : 1;
		if (n == 0) {
			ct_buf_puts(out, "\xef\xbf\xbd");   /* U+FFFD */
			u++;
			continue;
		}
		if (!(n == 2 && u[0] == 0xc2 && u[1] <= 0x9f))
			ct_buf_append(out, u, n);
		u += n;
	}
	if (out->oom || out->len == 0 || strchr("=+-@", out->p[0]) == NULL || is_e164(out->p))
		return;
	ct_buf_append(out, "", 1);   /* room for the quote, then shift */
	if (!out->oom) {
		memmove(out->p + 1, out->p, out->len);
		out->p[0] = '\'';
	}
}

/* Appends the header row to b. */
static void csv_header(struct ct_buf *b)
{
	size_t i;

	for (i = 0; i < ct_record_ncols; i++) {
		ct_buf_csv_str(b, ct_record_cols[i].name);
		ct_buf_append(b, ",", 1);
	}
	ct_buf_puts(b, "streams\n");
}

/* Appends the row of r to b; text cells go through csv_safe (cell is scratch). */
static void csv_row(const struct ct_call_record *r, struct ct_buf *b, struct ct_buf *cell)
{
	struct ct_val v = { 0 };
	size_t i;

	for (i = 0; i < ct_record_ncols; i++) {
		ct_record_cols[i].get(r, &v);
		if (v.kind == CT_VAL_TEXT) {
			csv_safe(v.s, cell);
			if (cell->oom)
				b->oom = 1;
			else
				ct_buf_csv_str(b, cell->p);
		} else {
			ct_val_csv(&v, b);
		}
		ct_buf_append(b, ",", 1);
	}
	ct_buf_printf(b, "%zu\n", r->streams != NULL ? r->n_streams : 0);
}

/*
 * Opens arg ("-" = stdout) and writes the header row, so an unwritable
 * target fails here.  NULL with a message naming the file on failure.
 */
static void *csv_open(const char *arg, char *errbuf)
{
	struct csv_sink *cs = calloc(1, sizeof(*cs));

	if (cs == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&cs->row);
	ct_buf_init(&cs->cell);
	if (ct_outfile_open(&cs->out, arg, errbuf) != CT_OK)
		goto fail;
	/* Reopened in append mode (">>path") onto rows already written: no second header. */
	if (strncmp(arg, ">>", 2) == 0 && cs->out.good > 0)
		return cs;
	csv_header(&cs->row);
	if (ct_outfile_write(&cs->out, &cs->row, errbuf) != CT_OK) {
		ct_outfile_close(&cs->out, NULL);
		goto fail;
	}
	return cs;
fail:
	ct_buf_fini(&cs->row);
	ct_buf_fini(&cs->cell);
	free(cs);
	return NULL;
}

/* Writes the row of rec; CT_OK, or CT_ERR naming the file. */
static int csv_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct csv_sink *cs = priv;

	ct_buf_reset(&cs->row);
	csv_row(rec, &cs->row, &cs->cell);
	return ct_outfile_write(&cs->out, &cs->row, errbuf);
}

static int csv_flush(void *priv, char *errbuf)
{
	struct csv_sink *cs = priv;

	return ct_outfile_flush(&cs->out, errbuf);
}

/* Closes the file (stdout is only flushed) and frees priv either way. */
static int csv_close(void *priv, char *errbuf)
{
	struct csv_sink *cs = priv;
	int rc;

	if (cs == NULL)
		return CT_OK;
	rc = ct_outfile_close(&cs->out, errbuf);
	ct_buf_fini(&cs->row);
	ct_buf_fini(&cs->cell);
	free(cs);
	return rc;
}

const struct ct_sink_ops ct_sink_csv = {
	.name = "csv",
	.open = csv_open,
	.write = csv_write,
	.flush = csv_flush,
	.close = csv_close,
};
