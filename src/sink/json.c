/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON lines sink: one compact JSON object per call record and line, written
 * to a file (created or truncated) or to stdout ("-").  This is the format
 * the golden tests diff, so the text comes from ct_record_json() alone.
 * Workload: a handful of records per second at most; every record is
 * flushed at once so that a consumer tailing the file (CRM import, `jq`)
 * sees whole lines and a full disk is reported on the record that hit it.
 * References: RFC 8259 (JSON), JSON Lines (one value per line).
 */
#include "config.h"

#include <stdlib.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

struct json_sink {
	struct ct_outfile out;
	struct ct_buf line;     /* reused for every record */
	struct ct_json_keys keys; /* the record's keys, measured once */
};

/*
 * Opens args->target ("-" = stdout; appended to with args->append); NULL
 * with "cannot open 'x' for writing: ..." on failure.
 */
static void *json_open(const struct ct_sink_args *args, char *errbuf)
{
	struct json_sink *js = calloc(1, sizeof(*js));

	if (js == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&js->line);
	if (ct_json_keys_init(&js->keys) != CT_OK) {
		ct_sink_err(errbuf, "out of memory");
		free(js);
		return NULL;
	}
	if (ct_outfile_open(&js->out, args->target, args->append, errbuf) != CT_OK) {
		ct_json_keys_fini(&js->keys);
		free(js);
		return NULL;
	}
	return js;
}

/* Writes rec as one line; CT_OK, or CT_ERR naming the file. */
static int json_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct json_sink *js = priv;
	struct ct_buf *b;
	size_t start;

	b = ct_outfile_rec_buf(&js->out, &js->line, &start);   /* built where it is held */
	ct_record_json_keys(rec, b, &js->keys);
	ct_buf_append(b, "\n", 1);
	return ct_outfile_put(&js->out, b, start, &js->line, errbuf);
}

static int json_flush(void *priv, char *errbuf)
{
	struct json_sink *js = priv;

	return ct_outfile_flush(&js->out, errbuf);
}

/* SIGHUP: the file is reopened in append mode (stdout: synced). */
static int json_reopen(void *priv, char *errbuf)
{
	struct json_sink *js = priv;

	return ct_outfile_reopen(&js->out, errbuf);
}

/* Closes the file (stdout is only flushed) and frees priv either way. */
static int json_close(void *priv, char *errbuf)
{
	struct json_sink *js = priv;
	int rc;

	if (js == NULL)
		return CT_OK;
	rc = ct_outfile_close(&js->out, errbuf);
	ct_buf_fini(&js->line);
	ct_json_keys_fini(&js->keys);
	free(js);
	return rc;
}

const struct ct_sink_ops ct_sink_json = {
	.name = "json",
	.open = json_open,
	.write = json_write,
	.flush = json_flush,
	.reopen = json_reopen,
	.close = json_close,
};
