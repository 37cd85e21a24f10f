/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Human-readable table sink for a terminal: a header line, one line per
 * call with fixed-width columns, and at close a summary line counting the
 * calls by disposition.  Text from the wire (names, numbers, reasons) is
 * made safe for a terminal: control characters (C0, DEL, C1), bidirectional
 * controls and invalid UTF-8 bytes become '?', so no escape sequence from a
 * packet reaches the terminal; widths count characters, not bytes, so a
 * name such as "Jürgen" keeps the columns aligned.  Not meant for machines: use the
 * JSON, CSV or SQLite sinks for that.  Times are UTC.
 * References: RFC 3629 (UTF-8).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

#define W_START  19
#define W_PARTY  16
#define W_DISP   11
#define W_SECS    7
#define W_CODE    4
#define W_HANGUP  6
#define W_REASON 24

struct table_sink {
	struct ct_outfile out;
	struct ct_buf line;
	unsigned long long total;
	unsigned long long by_disp[CT_DISP_UNFINISHED + 1];
};


/*
 * True when the well-formed UTF-8 sequence u of n bytes is a character a
 * terminal must not get: a C1 control (U+0080..U+009F; some terminals take
 * U+009B as CSI) or a bidirectional control that reorders what follows
 * (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069), which could make
 * one caller's name look like another's.
 */
static bool unsafe_char(const unsigned char *u, size_t n)
{
	if (n == 2)
		return (u[0] == 0xc2 && u[1] <= 0x9f) || (u[0] == 0xd8 && u[1] == 0x9c);
	if (n != 3 || u[0] != 0xe2)
		return false;
	if (u[1] == 0x80)
		return u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xaa && u[2] <= 0xae);
	return u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9;
}

/*
 * Appends s (NULL or "" → "-") cut to width characters and padded with
 * spaces to width (no padding when pad is false).  Control characters
 * (C0, DEL, C1), bidirectional controls and bytes that are not valid UTF-8
 * are shown as '?', so nothing from the wire can drive the terminal.
 */
static void cell(struct ct_buf *b, const char *s, int width, bool pad)
{
	const unsigned char *u = (const unsigned char *)(s && *s ? s : "-");
	int chars = 0;
	size_t n;

	while (*u != '\0' && chars < width) {
		n = *u >= 0x80 ? ct_utf8_len(u, strnlen((const char *)u, 4)) : 1;
		if (n == 0 || *u < 0x20 || *u == 0x7f || unsafe_char(u, n)) {
			ct_buf_append(b, "?", 1);
			n = n == 0 ? 1 : n;
		} else {
			ct_buf_append(b, u, n);
		}
		u += n;
		chars++;
	}
	if (pad)
		ct_buf_printf(b, "%-*s ", width - chars, "");
}

/* Appends ms as seconds with one decimal, or "-" when ms < 0. */
static void secs_cell(struct ct_buf *b, double secs)
{
	char num[32];

	if (secs < 0 || !ct_fmt_fixed(secs, 1, num, sizeof(num)))
		strcpy(num, "-");
	ct_buf_printf(b, "%-*s ", W_SECS, num);
}

/* Formats us as "YYYY-MM-DD HH:MM:SS" (UTC) into buf[32], "-" if unset. */
static void start_text(int64_t us, char *buf)
{
	ct_time_iso(us, buf, 32);
	if (buf[0] == '\0') {
		strcpy(buf, "-");
		return;
	}
	buf[10] = ' ';
	buf[19] = '\0';
}

static void table_header(struct ct_buf *b)
{
	ct_buf_printf(b, "%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n",
	    W_START, "start (UTC)", W_PARTY, "caller", W_PARTY, "callee",
	    W_DISP, "disposition", W_SECS, "ring", W_SECS, "answer",
	    W_SECS, "talk", W_CODE, "code", W_HANGUP, "hangup", "reason");
}

static void table_row(const struct ct_call_record *r, struct ct_buf *b)
{
	char start[32], code[16] = "-";
	int64_t ms;

	start_text(r->start_us, start);
	cell(b, start, W_START, true);
	cell(b, r->caller, W_PARTY, true);
	cell(b, r->callee, W_PARTY, true);
	cell(b, ct_disposition_name(r->disposition), W_DISP, true);
	ms = ct_record_setup_ms(r);
	secs_cell(b, ms < 0 ? -1.0 : (double)ms / 1000.0);
	ms = ct_record_answer_ms(r);
	secs_cell(b, ms < 0 ? -1.0 : (double)ms / 1000.0);
	secs_cell(b, ct_record_talk_s(r));
	if (r->final_code > 0)
		snprintf(code, sizeof(code), "%d", r->final_code);
	cell(b, code, W_CODE, true);
	cell(b, ct_party_name(r->hangup_by), W_HANGUP, true);
	cell(b, r->hangup_reason, W_REASON, false);
	ct_buf_append(b, "\n", 1);
}

/*
 * Opens args->target ("-" = stdout; appended to with args->append) and
 * writes the header line; NULL + errbuf on failure.
 */
static void *table_open(const struct ct_sink_args *args, char *errbuf)
{
	struct table_sink *ts = calloc(1, sizeof(*ts));

	if (ts == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&ts->line);
	if (ct_outfile_open(&ts->out, args->target, args->append, errbuf) != CT_OK)
		goto fail;
	table_header(&ts->line);
	if (ct_outfile_write(&ts->out, &ts->line, errbuf) != CT_OK) {
		ct_outfile_close(&ts->out, NULL);
		goto fail;
	}
	return ts;
fail:
	ct_buf_fini(&ts->line);
	free(ts);
	return NULL;
}

/* Writes one line for rec and counts it; CT_OK or CT_ERR naming the file. */
static int table_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct table_sink *ts = priv;

	ts->total++;
	if ((unsigned)rec->disposition <= CT_DISP_UNFINISHED)
		ts->by_disp[rec->disposition]++;
	ct_buf_reset(&ts->line);
	table_row(rec, &ts->line);
	return ct_outfile_write(&ts->out, &ts->line, errbuf);
}

static int table_flush(void *priv, char *errbuf)
{
	struct table_sink *ts = priv;

	return ct_outfile_flush(&ts->out, errbuf);
}

/* Writes the summary line of the calls written since the header; CT_OK or CT_ERR. */
static int table_summary(struct table_sink *ts, char *errbuf)
{
	ct_buf_reset(&ts->line);
	ct_buf_printf(&ts->line, "%llu calls: %llu answered, %llu busy, %llu noanswer, "
	    "%llu cancelled, %llu failed, %llu unfinished\n", ts->total,
	    ts->by_disp[CT_DISP_ANSWERED], ts->by_disp[CT_DISP_BUSY],
	    ts->by_disp[CT_DISP_NOANSWER], ts->by_disp[CT_DISP_CANCELLED],
	    ts->by_disp[CT_DISP_FAILED], ts->by_disp[CT_DISP_UNFINISHED]);
	return ct_outfile_write(&ts->out, &ts->line, errbuf);
}

/*
 * SIGHUP: the file gets the summary of its calls and is reopened in append
 * mode, where a header line starts the next part (its own summary at
 * close).  Standard output is only synced.
 */
static int table_reopen(void *priv, char *errbuf)
{
	struct table_sink *ts = priv;

	if (ts->out.is_stdout)
		return ct_outfile_flush(&ts->out, errbuf);
	(void)table_summary(ts, errbuf);   /* a full disk: the reopen below tells */
	ts->total = 0;
	memset(ts->by_disp, 0, sizeof(ts->by_disp));
	if (ct_outfile_reopen(&ts->out, errbuf) != CT_OK)
		return CT_ERR;
	ct_buf_reset(&ts->line);
	table_header(&ts->line);
	return ct_outfile_write(&ts->out, &ts->line, errbuf);
}

/* Writes the summary line, closes (stdout: flushes) and frees priv either way. */
static int table_close(void *priv, char *errbuf)
{
	struct table_sink *ts = priv;
	int rc;

	if (ts == NULL)
		return CT_OK;
	rc = table_summary(ts, errbuf);
	if (ct_outfile_close(&ts->out, rc == CT_OK ? errbuf : NULL) != CT_OK)
		rc = CT_ERR;
	ct_buf_fini(&ts->line);
	free(ts);
	return rc;
}

const struct ct_sink_ops ct_sink_table = {
	.name = "table",
	.open = table_open,
	.write = table_write,
	.flush = table_flush,
	.reopen = table_reopen,
	.close = table_close,
};
