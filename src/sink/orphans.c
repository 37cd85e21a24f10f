/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Orphan-stream sink (--orphans): one JSON object per line for each RTP
 * stream that belonged to no SIP call, in the "streams" element format of
 * the call records (ct_stream_json), written when the stream ends (idle
 * 60 s, or at the end of input), plus "injected_into": the Call-ID of the
 * call it was sent to when that call refused its source (an injected
 * stream, docs/schema.md).  It takes no call records.  A text output
 * like the JSON sink: a file (created or truncated, appended to on SIGHUP)
 * or stdout ("-"), one whole line per write(2), errors naming the file.
 */
#include "config.h"

#include <stdlib.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

struct orphans_sink {
	struct ct_outfile out;
	struct ct_buf line;     /* reused for every stream */
};

/* Opens args->target ("-" = stdout); NULL with a message naming the file on failure. */
static void *orphans_open(const struct ct_sink_args *args, char *errbuf)
{
	struct orphans_sink *os = calloc(1, sizeof(*os));

	if (os == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&os->line);
	if (ct_outfile_open(&os->out, args->target, args->append, errbuf) != CT_OK) {
		free(os);
		return NULL;
	}
	return os;
}

/* Writes st as one line; CT_OK, or CT_ERR naming the file. */
static int orphans_write(void *priv, const struct ct_stream_stats *st, char *errbuf)
{
	struct orphans_sink *os = priv;

	ct_buf_reset(&os->line);
	ct_stream_json(st, &os->line);
	if (st->injected_into[0] != '\0' && !os->line.oom && os->line.len > 0) {
		/* Sent to a call's endpoint from a source the call refused. */
		os->line.len--;    /* reopen the object: drop its "}" */
		ct_buf_puts(&os->line, ",\"injected_into\":");
		ct_buf_json_str(&os->line, st->injected_into);
		ct_buf_puts(&os->line, "}");
	}
	ct_buf_append(&os->line, "\n", 1);
	return ct_outfile_write(&os->out, &os->line, errbuf);
}

static int orphans_flush(void *priv, char *errbuf)
{
	struct orphans_sink *os = priv;

	return ct_outfile_flush(&os->out, errbuf);
}

/* SIGHUP: the file is reopened in append mode (stdout: synced). */
static int orphans_reopen(void *priv, char *errbuf)
{
	struct orphans_sink *os = priv;

	return ct_outfile_reopen(&os->out, errbuf);
}

/* Closes the file (stdout is only flushed) and frees priv either way. */
static int orphans_close(void *priv, char *errbuf)
{
	struct orphans_sink *os = priv;
	int rc;

	if (os == NULL)
		return CT_OK;
	rc = ct_outfile_close(&os->out, errbuf);
	ct_buf_fini(&os->line);
	free(os);
	return rc;
}

const struct ct_sink_ops ct_sink_orphans = {
	.name = "orphans",
	.open = orphans_open,
	.write_orphan = orphans_write,
	.flush = orphans_flush,
	.reopen = orphans_reopen,
	.close = orphans_close,
};
