/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV sink: a header row with the names of the CSV columns of the schema
 * table (the keys of the JSON form, in the same order; `streams` is the
 * number of RTP streams), then one row per call record.  Null values are empty fields; an empty string is
 * written as "" so that it stays distinct from null.  Rows end in LF.
 * Text comes from the wire and the file is meant for spreadsheets, so every
 * text cell is made safe first (ct_buf_csv_safe, buf.c): control characters go, and a
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

/* Appends the header row to b: the names of the CT_OUT_CSV columns. */
static void csv_header(struct ct_buf *b)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_CSV))
			continue;
		ct_buf_puts(b, sep);
		ct_buf_csv_str(b, ct_schema_calls[i].name);
		sep = ",";
	}
	ct_buf_append(b, "\n", 1);
}

/* Room for a separator and a cell other than text. */
#define CELL_ROOM (1 + CT_VAL_NUM_MAX)

/*
 * Makes room for n more bytes after d, the end of what the row wrote so
 * far into b (b->len is behind): returns the new d (b->p may move), lim
 * updated; NULL when out of memory.
 */
static char *row_grow(struct ct_buf *b, char *d, char **lim, size_t n)
{
	b->len = (size_t)(d - b->p);
	if ((d = ct_buf_room(b, n)) == NULL)
		return NULL;
	*lim = b->p + b->cap - 1;
	return d;
}

/*
 * Appends the row of r to b: each cell written straight into b, text
 * cells as ct_buf_csv_cell makes them (the cells of ct_buf_csv_safe; cell
 * is its scratch for the rare text that needs it), numbers by ct_val_num.
 */
static void csv_row(const struct ct_call_record *r, struct ct_buf *b, struct ct_buf *cell)
{
	const struct ct_schema_col *c = ct_schema_calls, *e = c + ct_schema_ncalls;
	size_t sep = 0, n;
	struct ct_val v;
	char *d, *lim, *end;
	const char *s;

/*
 * Room for the cells from c on that are not text to clean (CELL_ROOM each)
 * and the newline: asked at the start and after each cell that may take
 * more, so that the others write without asking.
 */
#define ROOM_LEFT(c) (CELL_ROOM * (size_t)(e - (c)) + 1)
	if ((d = row_grow(b, b->p + b->len, &lim, ROOM_LEFT(c))) == NULL)
		return;
	for (; c < e; c++) {
		if (!(c->outputs & CT_OUT_CSV))
			continue;
		*d = ',';
		d += sep;
		sep = 1;
		if (c->get == NULL) {   /* a string field: no ct_val */
			if ((s = *(char *const *)(const void *)((const char *)r + c->str_off)) == NULL)
				continue;
		} else {
			ct_schema_value(c, r, &v);
			if (v.kind == CT_VAL_TEXT && v.plain > 0) {   /* our own text: as it is */
				ct_val_plain_copy(&v, d);   /* sizeof(v.tmp) < CELL_ROOM */
				d += v.plain;
				continue;
			}
			if (v.kind != CT_VAL_TEXT) {
				if (v.kind == CT_VAL_JSON) {
					b->len = (size_t)(d - b->p);
					ct_buf_csv_str(b, v.s);
					if ((d = row_grow(b, b->p + b->len, &lim, ROOM_LEFT(c))) == NULL)
						return;
				} else if (v.kind != CT_VAL_NULL) {
					d += ct_val_num(&v, d);
				}
				continue;
			}
			s = v.s;
		}
		n = strlen(s);
		if ((size_t)(lim - d) < 3 * n + 2 + ROOM_LEFT(c) &&
		    (d = row_grow(b, d, &lim, 3 * n + 2 + ROOM_LEFT(c))) == NULL)
			return;
		if ((end = ct_csv_cell_put(d, s, n)) != NULL) {
			d = end;
			continue;
		}
		b->len = (size_t)(d - b->p);
		ct_buf_csv_cell(b, s, cell);
		if ((d = row_grow(b, b->p + b->len, &lim, ROOM_LEFT(c))) == NULL)
			return;
	}
#undef ROOM_LEFT
	*d++ = '\n';
	ct_buf_commit(b, d);
}

/*
 * Writes the header row, unless appending to a file that already has rows
 * (appended: the file was opened in append mode).
 */
static int csv_start(struct csv_sink *cs, bool appended, char *errbuf)
{
	if (appended && cs->out.good > 0)
		return CT_OK;
	ct_buf_reset(&cs->row);
	csv_header(&cs->row);
	return ct_outfile_write(&cs->out, &cs->row, errbuf);
}

/*
 * Opens args->target ("-" = stdout; appended to with args->append) and
 * writes the header row, so an unwritable target fails here.  NULL with a
 * message naming the file on failure.
 */
static void *csv_open(const struct ct_sink_args *args, char *errbuf)
{
	struct csv_sink *cs = calloc(1, sizeof(*cs));

	if (cs == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&cs->row);
	ct_buf_init(&cs->cell);
	if (ct_outfile_open(&cs->out, args->target, args->append, errbuf) != CT_OK)
		goto fail;
	if (csv_start(cs, args->append, errbuf) != CT_OK) {
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
	struct ct_buf *b;
	size_t start;

	b = ct_outfile_rec_buf(&cs->out, &cs->row, &start);   /* built where it is held */
	csv_row(rec, b, &cs->cell);
	return ct_outfile_put(&cs->out, b, start, &cs->row, errbuf);
}

static int csv_flush(void *priv, char *errbuf)
{
	struct csv_sink *cs = priv;

	return ct_outfile_flush(&cs->out, errbuf);
}

/*
 * SIGHUP: the file is reopened in append mode (stdout: synced); a new
 * (rotated) file gets the header row, one continued does not.
 */
static int csv_reopen(void *priv, char *errbuf)
{
	struct csv_sink *cs = priv;

	if (ct_outfile_reopen(&cs->out, errbuf) != CT_OK)
		return CT_ERR;
	return cs->out.is_stdout ? CT_OK : csv_start(cs, true, errbuf);
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
	.reopen = csv_reopen,
	.close = csv_close,
};
