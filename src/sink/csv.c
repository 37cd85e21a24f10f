/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV sink: a header row with the scalar column names of the JSON form (in
 * the same order) plus `streams` (the number of RTP streams), then one row
 * per call record.  Null values are empty fields; an empty string is
 * written as "" so that it stays distinct from null.  Rows end in LF.
 * Workload and error behaviour as the JSON sink: each row is flushed at once
 * and errors name the file.
 * References: RFC 4180 §2 (fields and quoting), docs/schema.md (columns).
 */
#include "config.h"

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
};

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

/* Appends the row of r to b. */
static void csv_row(const struct ct_call_record *r, struct ct_buf *b)
{
	struct ct_val v = { 0 };
	size_t i;

	for (i = 0; i < ct_record_ncols; i++) {
		ct_record_cols[i].get(r, &v);
		ct_val_csv(&v, b);
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
	if (ct_outfile_open(&cs->out, arg, errbuf) != CT_OK)
		goto fail;
	/* Reopened in append mode (">>path") onto rows already written: no second header. */
	if (strncmp(arg, ">>", 2) == 0 && fseek(cs->out.fp, 0, SEEK_END) == 0 &&
	    ftell(cs->out.fp) > 0)
		return cs;
	csv_header(&cs->row);
	if (ct_outfile_write(&cs->out, &cs->row, errbuf) != CT_OK) {
		ct_outfile_close(&cs->out, NULL);
		goto fail;
	}
	return cs;
fail:
	ct_buf_fini(&cs->row);
	free(cs);
	return NULL;
}

/* Writes the row of rec; CT_OK, or CT_ERR naming the file. */
static int csv_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct csv_sink *cs = priv;

	ct_buf_reset(&cs->row);
	csv_row(rec, &cs->row);
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
