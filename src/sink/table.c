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
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/schema.h"
#include "calltap/sink.h"
#include "record_int.h"

#define W_START  19
#define W_CID     8   /* the first characters of the Call-ID */
#define W_PARTY  16
#define W_ADDR   21   /* 255.255.255.255:65535; a longer IPv6 one widens its line */
#define W_DISP   11
#define W_SECS    8
#define W_MOS     4
#define W_LOSS    6
#define W_CODE    4
#define W_HANGUP  6
#define W_REASON 256  /* the whole reason (the record caps it already) */

/*
 * Order: lines are in call start order.  A call's record comes when the
 * call ends (plus the linger), so a line is held back until every call that
 * started before it has ended: the sink takes call-start events
 * (call_start) and keeps the calls started and not yet written in start
 * order (open, a FIFO, found by Call-ID and start through a keyed hash).
 * At most TABLE_HOLD lines are held: past that the earliest is written
 * anyway, and the started calls before it are no longer waited for (a call
 * that outlives that many later calls, or one whose record is never
 * written, cannot stall the table for long).  SIGHUP and close write
 * everything held, in start order.
 *
 * A live capture (args->opts "order" = "end", which main gives the table
 * when reading an interface) writes each line as its call ends instead,
 * so that a terminal shows calls as they happen; a first line says so.
 */
#define TABLE_HOLD 10000

struct open_call {              /* a call started, its record not written yet */
	struct ct_hnode hn;         /* in table_sink.open_tab, by Call-ID and start */
	struct open_call *next;     /* FIFO in start (arrival) order */
	int64_t start_us;
	bool ended;                 /* its record came: unlinked from the hash */
	char call_id[];
};

struct held_line {              /* a formatted line waiting for earlier calls */
	int64_t start_us;
	uint64_t seq;               /* arrival order, for equal starts */
	char *text;                 /* the line, with its newline */
	size_t len;
};

struct table_sink {
	struct ct_outfile out;
	struct ct_buf line;
	unsigned long long total;
	unsigned long long by_disp[CT_DISP_UNFINISHED + 1];
	const struct ct_schema_col *mos_col, *loss_col;
	bool end_order;             /* live: a line as each call ends */
	struct ct_htab open_tab;
	struct open_call *open_head, *open_tail;
	struct held_line *held;     /* min-heap by (start_us, seq) */
	size_t n_held, cap_held;
	uint64_t seq;
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
 * Appends n spaces then one more (the column gap); n <= 0 gives the gap
 * only, as "%-*s " with an empty string would.
 */
static void pad_gap(struct ct_buf *b, int n)
{
	size_t k = n > 0 ? (size_t)n + 1 : 1;
	char *d = ct_buf_room(b, k);

	if (d == NULL)
		return;
	memset(d, ' ', k);
	ct_buf_commit(b, d + k);
}

/*
 * Appends the ASCII text t[0..n) (ours: no control or wide character) left
 * aligned in width columns and the gap after it, as "%-*s " does: never
 * cut, no padding past width.
 */
static void text_cell(struct ct_buf *b, const char *t, size_t n, int width)
{
	ct_buf_append(b, t, n);
	pad_gap(b, width - (int)n);
}

/*
 * Appends s (NULL or "" → "-") cut to width characters and padded with
 * spaces to width (no padding when pad is false).  Control characters
 * (C0, DEL, C1), bidirectional controls and bytes that are not valid UTF-8
 * are shown as '?', so nothing from the wire can drive the terminal.
 * Printable ASCII is copied a run at a time.
 */
static void cell(struct ct_buf *b, const char *s, int width, bool pad)
{
	const unsigned char *u = (const unsigned char *)(s && *s ? s : "-");
	int chars = 0;
	size_t n;

	while (*u != '\0' && chars < width) {
		if (*u >= 0x20 && *u < 0x7f) {
			const unsigned char *r = u;

			while (*r >= 0x20 && *r < 0x7f && chars < width) {
				r++;
				chars++;
			}
			ct_buf_append(b, u, (size_t)(r - u));
			u = r;
			continue;
		}
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
		pad_gap(b, width - chars);
}

/* Appends ms as seconds with one decimal, or "-" when ms < 0. */
static void secs_cell(struct ct_buf *b, double secs)
{
	char num[32];

	if (secs < 0 || !ct_fmt_fixed(secs, 1, num, sizeof(num)))
		strcpy(num, "-");
	text_cell(b, num, strlen(num), W_SECS);
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

static void table_header(struct ct_buf *b, bool end_order)
{
	if (end_order)
		ct_buf_puts(b, "# live capture: one line per call as it ends (not in start order)\n");
	ct_buf_printf(b, "%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n",
	    W_START, "start (UTC)", W_CID, "call-id", W_PARTY, "caller", W_PARTY, "callee",
	    W_ADDR, "caller IP:port", W_ADDR, "callee IP:port", W_DISP, "disposition",
	    W_SECS, "ring s", W_SECS, "answer s", W_SECS, "talk s", W_MOS, "MOS",
	    W_LOSS, "loss %", W_CODE, "code", W_HANGUP, "hangup", "reason");
}

/* Appends "IP:port" ("[IPv6]:port") padded to W_ADDR, never cut; "-" when unknown. */
static void addr_cell(struct ct_buf *b, const struct ct_addr *a, uint16_t port)
{
	char text[80];
	size_t n;

	if (ct_addr_str(a, text + 1, 64)[0] == '\0') {
		text_cell(b, "-", 1, W_ADDR);
		return;
	}
	n = strlen(text + 1);
	if (a->family == 6) {
		text[0] = '[';
		text[n + 1] = ']';
		n += 2;
	} else {
		memmove(text, text + 1, n);
	}
	text[n++] = ':';
	n += ct_fmt_i64(text + n, port);
	text_cell(b, text, n, W_ADDR);
}

/* Appends column c's value of r (a number) with its precision, "-" when null. */
static void num_cell(struct ct_buf *b, const struct ct_schema_col *c,
    const struct ct_call_record *r, int width, int prec)
{
	struct ct_val v;
	char num[32] = "-";

	if (c != NULL) {
		ct_schema_value(c, r, &v);
		if (v.kind == CT_VAL_REAL && !ct_fmt_fixed(v.d, prec, num, sizeof(num)))
			strcpy(num, "-");
	}
	text_cell(b, num, strlen(num), width);
}

static void table_row(const struct table_sink *ts, const struct ct_call_record *r,
    struct ct_buf *b)
{
	char start[32], code[CT_I64_MAX + 1] = "-";
	int64_t ms;

	start_text(r->start_us, start);
	cell(b, start, W_START, true);
	cell(b, r->call_id, W_CID, true);
	cell(b, r->caller, W_PARTY, true);
	cell(b, r->callee, W_PARTY, true);
	addr_cell(b, &r->src_ip, r->src_port);
	addr_cell(b, &r->dst_ip, r->dst_port);
	cell(b, ct_disposition_name(r->disposition), W_DISP, true);
	ms = ct_record_setup_ms(r);
	secs_cell(b, ms < 0 ? -1.0 : (double)ms / 1000.0);
	ms = ct_record_answer_ms(r);
	secs_cell(b, ms < 0 ? -1.0 : (double)ms / 1000.0);
	secs_cell(b, ct_record_talk_s(r));
	num_cell(b, ts->mos_col, r, W_MOS, 2);
	num_cell(b, ts->loss_col, r, W_LOSS, 1);
	if (r->final_code > 0)
		code[ct_fmt_i64(code, r->final_code)] = '\0';
	cell(b, code, W_CODE, true);
	cell(b, ct_party_name(r->hangup_by), W_HANGUP, true);
	cell(b, r->hangup_reason, W_REASON, false);
	ct_buf_append(b, "\n", 1);
}

/* ---- start order ---------------------------------------------------------- */

static uint64_t open_hash(const struct table_sink *ts, const char *call_id, int64_t start_us)
{
	struct ct_siphash_state h;

	ct_htab_hash_state(&ts->open_tab, &h);
	ct_siphash_feed(&h, call_id, strlen(call_id));
	ct_siphash_feed(&h, &start_us, sizeof(start_us));
	return ct_siphash_final(&h);
}

/* The call started at start_us with call_id, not written yet; NULL if none. */
static struct open_call *open_find(const struct table_sink *ts, const char *call_id,
    int64_t start_us)
{
	struct ct_hnode *n;

	for (n = ct_htab_first(&ts->open_tab, open_hash(ts, call_id, start_us)); n != NULL;
	    n = ct_htab_next(n)) {
		struct open_call *c = ct_container_of(n, struct open_call, hn);

		if (c->start_us == start_us && strcmp(c->call_id, call_id) == 0)
			return c;
	}
	return NULL;
}

/* Frees the ended calls at the head of the FIFO (and with all, every one). */
static void open_trim(struct table_sink *ts, bool all)
{
	struct open_call *c;

	while ((c = ts->open_head) != NULL && (c->ended || all)) {
		if (!c->ended)
			ct_htab_remove(&ts->open_tab, &c->hn);
		ts->open_head = c->next;
		if (ts->open_head == NULL)
			ts->open_tail = NULL;
		free(c);
	}
}

static bool held_less(const struct held_line *a, const struct held_line *b)
{
	return a->start_us != b->start_us ? a->start_us < b->start_us : a->seq < b->seq;
}

/* Adds a line to the heap; CT_OK or CT_NOMEM. */
static int held_push(struct table_sink *ts, int64_t start_us, const struct ct_buf *line)
{
	struct held_line h;
	size_t i;

	if (ts->n_held == ts->cap_held) {
		size_t cap = ts->cap_held != 0 ? ts->cap_held * 2 : 64;
		struct held_line *v = realloc(ts->held, cap * sizeof(*v));

		if (v == NULL)
			return CT_NOMEM;
		ts->held = v;
		ts->cap_held = cap;
	}
	if ((h.text = malloc(line->len)) == NULL)
		return CT_NOMEM;
	memcpy(h.text, line->p, line->len);
	h.len = line->len;
	h.start_us = start_us;
	h.seq = ts->seq++;
	for (i = ts->n_held++; i > 0 && held_less(&h, &ts->held[(i - 1) / 2]); i = (i - 1) / 2)
		ts->held[i] = ts->held[(i - 1) / 2];
	ts->held[i] = h;
	return CT_OK;
}

/* Removes the earliest line into *out (the caller frees out->text). */
static void held_pop(struct table_sink *ts, struct held_line *out)
{
	struct held_line last;
	size_t i = 0, k;

	*out = ts->held[0];
	last = ts->held[--ts->n_held];
	while ((k = 2 * i + 1) < ts->n_held) {
		if (k + 1 < ts->n_held && held_less(&ts->held[k + 1], &ts->held[k]))
			k++;
		if (!held_less(&ts->held[k], &last))
			break;
		ts->held[i] = ts->held[k];
		i = k;
	}
	if (ts->n_held > 0)
		ts->held[i] = last;
}

/*
 * Appends to ts->line, in start order, every held line no started call
 * still waits before (all: every held line), then those beyond TABLE_HOLD;
 * the started calls before a line written that way are no longer waited for.
 */
static void held_release(struct table_sink *ts, bool all)
{
	struct held_line h;

	open_trim(ts, false);
	while (ts->n_held > 0 && (all || ts->n_held > TABLE_HOLD || ts->open_head == NULL ||
	    ts->held[0].start_us < ts->open_head->start_us)) {
		held_pop(ts, &h);
		ct_buf_append(&ts->line, h.text, h.len);
		free(h.text);
		while (ts->open_head != NULL && ts->open_head->start_us <= h.start_us) {
			if (!ts->open_head->ended) {
				ct_htab_remove(&ts->open_tab, &ts->open_head->hn);
				ts->open_head->ended = true;
			}
			open_trim(ts, false);
		}
	}
}

/*
 * A call started: remembered, in start order, until its record comes.
 * Out of memory: not remembered (its line may then come out of order).
 */
static int table_call_start(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct table_sink *ts = priv;
	const char *id = rec->call_id != NULL ? rec->call_id : "";
	size_t len = strlen(id);
	struct open_call *c;

	(void)errbuf;
	if (ts->end_order || (c = malloc(sizeof(*c) + len + 1)) == NULL)
		return CT_OK;
	memcpy(c->call_id, id, len + 1);
	c->start_us = rec->start_us;
	c->ended = false;
	c->next = NULL;
	ct_htab_insert(&ts->open_tab, &c->hn, open_hash(ts, id, rec->start_us));
	if (ts->open_tail != NULL)
		ts->open_tail->next = c;
	else
		ts->open_head = c;
	ts->open_tail = c;
	return CT_OK;
}

/* Frees what the sink holds (lines not written are lost: close writes them first). */
static void table_free(struct table_sink *ts)
{
	open_trim(ts, true);
	while (ts->n_held > 0)
		free(ts->held[--ts->n_held].text);
	free(ts->held);
	ct_htab_fini(&ts->open_tab);
	ct_buf_fini(&ts->line);
	free(ts);
}

/*
 * Opens args->target ("-" = stdout; appended to with args->append) and
 * writes the header line; option "order" = "end" (live capture) writes
 * each line as its call ends.  NULL + errbuf on failure.
 */
static void *table_open(const struct ct_sink_args *args, char *errbuf)
{
	struct table_sink *ts = calloc(1, sizeof(*ts));
	size_t i;

	if (ts == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	ct_buf_init(&ts->line);
	if (ct_htab_init(&ts->open_tab, 64, CT_HTAB_UNBOUNDED) != CT_OK) {
		ct_sink_err(errbuf, "out of memory");
		ct_buf_fini(&ts->line);
		free(ts);
		return NULL;
	}
	for (i = 0; i < args->n_opts; i++)
		if (strcmp(args->opts[i].name, "order") == 0)
			ts->end_order = strcmp(args->opts[i].value, "end") == 0;
	ts->mos_col = ct_schema_find("mos_min");
	ts->loss_col = ct_schema_find("loss_pct_max");
	if (ct_outfile_open(&ts->out, args->target, args->append, errbuf) != CT_OK)
		goto fail;
	table_header(&ts->line, ts->end_order);
	if (ct_outfile_write(&ts->out, &ts->line, errbuf) != CT_OK) {
		ct_outfile_close(&ts->out, NULL);
		goto fail;
	}
	return ts;
fail:
	table_free(ts);
	return NULL;
}

/*
 * Counts rec and writes its line, or holds it until the calls that started
 * before it have ended (then writes every line that was waiting for rec);
 * CT_OK or CT_ERR naming the file.
 */
static int table_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct table_sink *ts = priv;
	struct open_call *c;

	ts->total++;
	if ((unsigned)rec->disposition <= CT_DISP_UNFINISHED)
		ts->by_disp[rec->disposition]++;
	ct_buf_reset(&ts->line);
	table_row(ts, rec, &ts->line);
	if (ts->end_order)
		return ct_outfile_write(&ts->out, &ts->line, errbuf);
	if ((c = open_find(ts, rec->call_id != NULL ? rec->call_id : "", rec->start_us)) != NULL) {
		ct_htab_remove(&ts->open_tab, &c->hn);
		c->ended = true;
	}
	if (held_push(ts, rec->start_us, &ts->line) != CT_OK) {
		/* no memory to hold it: written now, out of order */
		if (ct_outfile_write(&ts->out, &ts->line, errbuf) != CT_OK)
			return CT_ERR;
	}
	ct_buf_reset(&ts->line);
	held_release(ts, false);
	return ts->line.len > 0 ? ct_outfile_write(&ts->out, &ts->line, errbuf) : CT_OK;
}

static int table_flush(void *priv, char *errbuf)
{
	struct table_sink *ts = priv;

	return ct_outfile_flush(&ts->out, errbuf);
}

/*
 * Writes every held line (in start order) and the summary line of the
 * calls written since the header; CT_OK or CT_ERR.
 */
static int table_summary(struct table_sink *ts, char *errbuf)
{
	ct_buf_reset(&ts->line);
	held_release(ts, true);
	ct_buf_printf(&ts->line, "%llu calls: %llu answered, %llu busy, %llu noanswer, "
	    "%llu cancelled, %llu failed, %llu unfinished\n", ts->total,
	    ts->by_disp[CT_DISP_ANSWERED], ts->by_disp[CT_DISP_BUSY],
	    ts->by_disp[CT_DISP_NOANSWER], ts->by_disp[CT_DISP_CANCELLED],
	    ts->by_disp[CT_DISP_FAILED], ts->by_disp[CT_DISP_UNFINISHED]);
	return ct_outfile_write(&ts->out, &ts->line, errbuf);
}

/*
 * SIGHUP: the file gets the lines held back and the summary of its calls
 * and is reopened in append mode, where a header line starts the next part
 * (its own summary at close).  Standard output is only synced.
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
	table_header(&ts->line, ts->end_order);
	return ct_outfile_write(&ts->out, &ts->line, errbuf);
}

/* Writes the held lines and the summary line, closes (stdout: flushes) and frees priv either way. */
static int table_close(void *priv, char *errbuf)
{
	struct table_sink *ts = priv;
	int rc;

	if (ts == NULL)
		return CT_OK;
	rc = table_summary(ts, errbuf);
	if (ct_outfile_close(&ts->out, rc == CT_OK ? errbuf : NULL) != CT_OK)
		rc = CT_ERR;
	table_free(ts);
	return rc;
}

const struct ct_sink_ops ct_sink_table = {
	.name = "table",
	.open = table_open,
	.write = table_write,
	.flush = table_flush,
	.reopen = table_reopen,
	.close = table_close,
	.call_start = table_call_start,
};
