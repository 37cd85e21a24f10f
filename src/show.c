/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calltap show CALL-ID: one call's SIP message flow as a ladder (hosts as
 * columns, one arrow per message with its relative time, method or status,
 * and an SDP summary), in text or as one self-contained HTML page with the
 * call's record.  The capture is any file (-r), the call's own file under
 * --pcap-dir (found by the Call-ID part of its name, callcap.c), or the file
 * a database's record names (--db: pcap_path).  The capture is run through
 * the engine as calltap reads it (fragments, TCP, tunnels), with a SIP hook
 * that keeps the call's messages, and a sink that keeps its record.
 *
 * The HTML page also charts each RTP stream over time: jitter (max and
 * mean), loss and MOS per interval (src/rtp/intervals.c), as inline SVG.
 * With --db the intervals are the stored ones (table rtp_intervals, which
 * holds them even when the call's file has no RTP: --pcap-sip-only);
 * otherwise they come from the record of the analysis just run.  Every
 * figure is also in a table under its chart.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "calltap/buf.h"
#include "calltap/callcap.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/report.h"
#include "calltap/rtp.h"
#include "calltap/schema.h"
#include "calltap/show.h"
#include "calltap/sink.h"
#include "calltap/sinkset.h"
#include "calltap/sip.h"
#include "calltap/source.h"

#define SHOW_MAX_STREAMS 64      /* charted streams (a call keeps at most 64) */
#define SHOW_MAX_IVALS (2 * CT_RTP_IVAL_MAX)  /* intervals read from a database per stream */
#define SHOW_MAX_HOSTS 8
#define SHOW_MAX_MSGS 10000
#define COLW 24               /* characters between two host columns */
#define TIMEW 10              /* the time column */

struct host {
	struct ct_addr a;
	uint16_t port;
};

struct smsg {
	int64_t ts_us;
	int from, to;             /* host indexes */
	char label[48];           /* "INVITE", "200 OK" */
	char note[200];           /* "[INVITE] SDP audio 10.0.0.1:4000 PCMU,PCMA" */
};

/* One RTP stream to chart. */
struct cstream {
	char label[160];          /* "src -> dst, SSRC 0x..., PCMU" */
	struct ct_stream_ival *iv;
	uint32_t n;
};

struct show {
	const char *call_id;
	struct cstream streams[SHOW_MAX_STREAMS];
	size_t n_streams;
	const char *ivals_note;   /* why there are no charts, NULL: none */
	struct host hosts[SHOW_MAX_HOSTS];
	int n_hosts;
	struct smsg *msgs;
	size_t n, cap;
	size_t dropped;           /* messages past SHOW_MAX_MSGS, or hosts past SHOW_MAX_HOSTS */
	char *record;             /* the call's record as JSON, NULL when none came */
};

static int host_index(struct show *s, const struct ct_addr *a, uint16_t port)
{
	int i;

	for (i = 0; i < s->n_hosts; i++)
		if (s->hosts[i].port == port && ct_addr_eq(&s->hosts[i].a, a))
			return i;
	if (s->n_hosts == SHOW_MAX_HOSTS)
		return -1;
	s->hosts[s->n_hosts].a = *a;
	s->hosts[s->n_hosts].port = port;
	return s->n_hosts++;
}

static const char *dir_name(enum ct_sdp_dir d)
{
	switch (d) {
	case CT_SDP_SENDONLY: return " sendonly";
	case CT_SDP_RECVONLY: return " recvonly";
	case CT_SDP_INACTIVE: return " inactive";
	default: return "";
	}
}

/* "SDP audio 10.0.0.1:4000 PCMU,telephone-event; video ..." into out. */
static void sdp_summary(const struct ct_sdp *sdp, char *out, size_t size)
{
	size_t n = 0;
	int i, k;

	n += (size_t)snprintf(out + n, size - n, "SDP");
	for (i = 0; i < sdp->n_media && n < size; i++) {
		const struct ct_sdp_media *m = &sdp->media[i];
		char a[CT_ADDRSTRLEN];

		ct_addr_str(&m->addr, a, sizeof(a));
		if (m->port == 0) {
			n += (size_t)snprintf(out + n, size - n, "%s %s rejected", i ? ";" : "", m->type);
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s %s %s%s%s:%u", i ? ";" : "", m->type,
		    m->addr.family == 6 ? "[" : "", a, m->addr.family == 6 ? "]" : "", m->port);
		if (m->n_ports > 1 && n < size)   /* RFC 8866 §5.14 port count */
			n += (size_t)snprintf(out + n, size - n, "/%u", m->n_ports);
		for (k = 0; k < m->n_codecs && n < size; k++)
			n += (size_t)snprintf(out + n, size - n, "%s%s", k ? "," : " ", m->codecs[k].name);
		if (n < size)
			n += (size_t)snprintf(out + n, size - n, "%s", dir_name(m->dir));
	}
}

/* The engine's SIP hook: keeps the messages of the call shown. */
static void on_sip(void *user, const struct ct_sip_msg *m)
{
	struct show *s = user;
	struct smsg *x;
	size_t n;

	if (m->call_id == NULL || strcmp(m->call_id, s->call_id) != 0)
		return;
	if (s->n == SHOW_MAX_MSGS) {
		s->dropped++;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 32;
		struct smsg *p = realloc(s->msgs, cap * sizeof(*p));

		if (p == NULL) {
			s->dropped++;
			return;
		}
		s->msgs = p;
		s->cap = cap;
	}
	x = &s->msgs[s->n];
	x->from = host_index(s, &m->t.src, m->t.sport);
	x->to = host_index(s, &m->t.dst, m->t.dport);
	if (x->from < 0 || x->to < 0) {
		s->dropped++;
		return;
	}
	x->ts_us = m->ts_us;
	if (m->is_request)
		snprintf(x->label, sizeof(x->label), "%s", m->method);
	else
		snprintf(x->label, sizeof(x->label), "%d %s", m->status,
		    m->reason_phrase != NULL ? m->reason_phrase : "");
	n = (size_t)snprintf(x->note, sizeof(x->note), "%s%s%s", m->is_request ? "" : "[",
	    m->is_request ? "" : m->cseq_method, m->is_request ? "" : "]");
	if (m->has_sdp && n + 2 < sizeof(x->note)) {
		if (n > 0)
			x->note[n++] = ' ';
		sdp_summary(&m->sdp, x->note + n, sizeof(x->note) - n);
	}
	s->n++;
}

/* ---- the record: a sink that keeps the call's record as JSON ------------- */

/* "src -> dst, SSRC 0x..., codec" of a stream into c->label. */
static void stream_label(struct cstream *c, const char *src, const char *dst, const char *ssrc,
    const char *codec)
{
	snprintf(c->label, sizeof(c->label), "%s -> %s, SSRC %s%s%s", src != NULL ? src : "?",
	    dst != NULL ? dst : "?", ssrc != NULL ? ssrc : "?", codec != NULL && *codec ? ", " : "",
	    codec != NULL ? codec : "");
}

/* The value of rtp_streams column name of st (null when there is no such column). */
static void stream_value(const char *name, const struct ct_stream_stats *st, struct ct_val *v)
{
	size_t i;

	v->kind = CT_VAL_NULL;
	for (i = 0; i < ct_schema_nstreams; i++)
		if (strcmp(ct_schema_streams[i].name, name) == 0)
			ct_schema_stream_value(&ct_schema_streams[i], st, v);
}

/* Keeps the intervals of rec's streams (the charts of a page made from a capture). */
static void keep_streams(struct show *s, const struct ct_call_record *rec)
{
	size_t i;

	for (i = 0; rec->streams != NULL && i < rec->n_streams && s->n_streams < SHOW_MAX_STREAMS;
	    i++) {
		const struct ct_stream_stats *st = &rec->streams[i];
		struct cstream *c = &s->streams[s->n_streams];
		struct ct_val a, b, k;

		if (st->ivals == NULL || st->n_ivals == 0)
			continue;
		if ((c->iv = malloc(st->n_ivals * sizeof(*c->iv))) == NULL)
			return;
		memcpy(c->iv, st->ivals, st->n_ivals * sizeof(*c->iv));
		c->n = st->n_ivals;
		stream_value("src", st, &a);
		stream_value("dst", st, &b);
		stream_value("ssrc", st, &k);
		stream_label(c, a.kind == CT_VAL_TEXT ? a.s : NULL, b.kind == CT_VAL_TEXT ? b.s : NULL,
		    k.kind == CT_VAL_TEXT ? k.s : NULL, st->codec);
		s->n_streams++;
	}
}

static void *rec_open(const struct ct_sink_args *args, char *errbuf)
{
	(void)errbuf;
	return (void *)args->opts[0].value;   /* the struct show, passed as an option */
}

static int rec_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct show *s = priv;
	struct ct_buf b;

	(void)errbuf;
	if (rec->call_id == NULL || strcmp(rec->call_id, s->call_id) != 0 || s->record != NULL)
		return CT_OK;
	ct_buf_init(&b);
	if (ct_record_json(rec, &b) == CT_OK && !b.oom && b.p != NULL)
		s->record = strdup(b.p);
	ct_buf_fini(&b);
	keep_streams(s, rec);
	return CT_OK;
}

static int rec_close(void *priv, char *errbuf)
{
	(void)priv;
	(void)errbuf;
	return CT_OK;
}

static const struct ct_sink_ops show_sink = {
	.name = "show", .open = rec_open, .write = rec_write, .close = rec_close,
};

/* Reads path through the engine; 0, or -1 after a message. */
static int read_capture(struct show *s, const char *path)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_sink_opt opt = { "show", (const char *)s };
	struct ct_sink_args args = { .target = "-", .opts = &opt, .n_opts = 1 };
	struct ct_engine_cfg cfg;
	struct ct_sinkset *sinks;
	struct ct_engine *e = NULL;
	struct ct_source *src;
	struct ct_frame f;
	int rc;

	if ((src = ct_source_open_file(path, NULL, errbuf)) == NULL) {
		fprintf(stderr, "calltap show: %s\n", errbuf);
		return -1;
	}
	if ((sinks = ct_sinkset_new(NULL)) == NULL ||
	    ct_sinkset_add(sinks, &show_sink, &args, errbuf) != CT_OK) {
		fprintf(stderr, "calltap show: out of memory\n");
		ct_sinkset_free(sinks);
		ct_source_close(src);
		return -1;
	}
	ct_engine_cfg_default(&cfg);
	cfg.sinks = sinks;
	cfg.sip_hook = on_sip;   /* every message, parsed in full: */
	cfg.sip_prescan = false; /* the hook runs on libosip2's path only */
	cfg.sip_hook_user = s;
	cfg.rtp_intervals = true;   /* the charts */
	if ((e = ct_engine_new(&cfg, errbuf)) == NULL) {
		fprintf(stderr, "calltap show: %s\n", errbuf);
		ct_sinkset_free(sinks);
		ct_source_close(src);
		return -1;
	}
	while ((rc = src->ops->next(src, &f, errbuf)) == 1)
		ct_engine_frame(e, &f);
	if (rc == CT_ERR)
		fprintf(stderr, "calltap show: %s\n", errbuf);
	ct_engine_finish(e);
	ct_sinkset_close(sinks);
	ct_engine_free(e);
	ct_sinkset_free(sinks);
	ct_source_close(src);
	return rc == CT_ERR ? -1 : 0;
}

/* ---- finding the call's file --------------------------------------------- */

/*
 * The rows of --db whose call_id is ?1, as "id IN " this: no index of a
 * database of schema 5 starts with call_id (sqlite.c, indexes), and this
 * form reads calls_key, which holds every call_id, instead of the whole
 * table (0.18 s against 0.34 s for 1.5M calls in the page cache); an older
 * database's calls_key is searched.
 */
#define ROWS_OF_CALL "(SELECT id FROM calls WHERE call_id = ?1)"

/* The file that --db's record of call_id names (pcap_path), malloc'ed, or NULL after a message. */
static char *from_db(const char *db, const char *call_id)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *path = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT pcap_path FROM calls WHERE id IN " ROWS_OF_CALL
	    " AND pcap_path IS NOT NULL ORDER BY start_time DESC LIMIT 1",
	    -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "calltap show: %s: %s\n", db, h != NULL ? sqlite3_errmsg(h) :
		    "cannot open");
	} else {
		sqlite3_bind_text(st, 1, call_id, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
			path = strdup((const char *)sqlite3_column_text(st, 0));
		else
			fprintf(stderr, "calltap show: %s: no call %s with a pcap_path\n", db, call_id);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return path;
}

/* The text of column i of a row, or NULL. */
static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

/*
 * The intervals of stream row stream into c, at most SHOW_MAX_IVALS (a
 * database is not trusted to hold at most CT_RTP_IVAL_MAX); false when
 * there is no table rtp_intervals, or no memory.
 */
static bool db_intervals(sqlite3 *h, sqlite3_int64 stream, struct cstream *c)
{
	sqlite3_stmt *st = NULL;
	size_t cap = 0;
	bool ok = true;

	if (sqlite3_prepare_v2(h, "SELECT start_us, duration_ms, packets, lost, loss_pct,"
	    " max_jitter_ms, mean_jitter_ms, mos FROM rtp_intervals WHERE stream_rowid = ?1"
	    " ORDER BY start_us", -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_int64(st, 1, stream);
	while (sqlite3_step(st) == SQLITE_ROW) {
		struct ct_stream_ival *v;

		if (c->n == cap) {
			size_t ncap = cap ? cap * 2 : 64;

			if (cap == SHOW_MAX_IVALS)
				break;
			if (ncap > SHOW_MAX_IVALS)
				ncap = SHOW_MAX_IVALS;
			if ((v = realloc(c->iv, ncap * sizeof(*v))) == NULL) {
				ok = false;
				break;
			}
			c->iv = v;
			cap = ncap;
		}
		v = &c->iv[c->n++];
		memset(v, 0, sizeof(*v));
		v->start_us = sqlite3_column_int64(st, 0);
		v->end_us = v->start_us + sqlite3_column_int64(st, 1) * 1000;
		v->packets = (uint64_t)sqlite3_column_int64(st, 2);
		v->lost = sqlite3_column_int64(st, 3);
		v->loss_pct = sqlite3_column_double(st, 4);
		v->has_jitter = sqlite3_column_type(st, 5) != SQLITE_NULL;
		v->max_jitter_ms = sqlite3_column_double(st, 5);
		v->mean_jitter_ms = sqlite3_column_double(st, 6);
		v->mos = sqlite3_column_double(st, 7);
	}
	sqlite3_finalize(st);
	return ok;
}

/*
 * The stored intervals of the streams of db's latest record of call_id, in
 * the order of its rtp_streams rows, into s (a note when there are none).
 */
static void from_db_ivals(const char *db, struct show *s)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT r.rowid, r.src, r.dst, r.ssrc, r.codec FROM rtp_streams r"
	    " WHERE r.call_rowid = (SELECT id FROM calls WHERE id IN " ROWS_OF_CALL
	    " ORDER BY start_time DESC LIMIT 1) ORDER BY r.rowid",
	    -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_bind_text(st, 1, s->call_id, -1, SQLITE_STATIC) != SQLITE_OK) {
		s->ivals_note = "the database has no rtp_streams table";
	} else {
		while (sqlite3_step(st) == SQLITE_ROW && s->n_streams < SHOW_MAX_STREAMS) {
			struct cstream *c = &s->streams[s->n_streams];

			if (!db_intervals(h, sqlite3_column_int64(st, 0), c)) {
				s->ivals_note = "the database has no rtp_intervals table "
				    "(written by a calltap before them)";
				free(c->iv);
				c->iv = NULL;
				c->n = 0;
				break;
			}
			if (c->n == 0)
				continue;
			stream_label(c, col_text(st, 1), col_text(st, 2), col_text(st, 3), col_text(st, 4));
			s->n_streams++;
		}
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
}

/* Searches dir (recursively, depth 2: YYYY-MM-DD/HH) for a name ending in key[-N].pcap. */
static char *search_dir(const char *dir, const char *key, int depth)
{
	struct dirent *de;
	char *found = NULL;
	DIR *d = opendir(dir);

	if (d == NULL)
		return NULL;
	while (found == NULL && (de = readdir(d)) != NULL) {
		size_t n = strlen(dir) + strlen(de->d_name) + 2;
		char *p, *k;
		struct stat st;

		if (de->d_name[0] == '.' || (p = malloc(n)) == NULL)
			continue;
		snprintf(p, n, "%s/%s", dir, de->d_name);
		if (depth > 0 && stat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
			found = search_dir(p, key, depth - 1);
		} else if (depth == 0 && (k = strstr(de->d_name, key)) != NULL &&
		    (strcmp(k + strlen(key), ".pcap") == 0 || k[strlen(key)] == '-')) {
			found = p;
			p = NULL;
		}
		free(p);
	}
	closedir(d);
	return found;
}

/* The call's file under --pcap-dir, malloc'ed, or NULL after a message. */
static char *from_dir(const char *dir, const char *call_id)
{
	struct ct_call_record r;
	char *name, *key, *p;

	memset(&r, 0, sizeof(r));
	r.call_id = (char *)call_id;
	if ((name = ct_callcap_name(&r)) == NULL)
		return NULL;
	/* "000000_anonymous_unknown_<callid>_<hash>": the part after the numbers */
	key = strchr(strchr(strchr(name, '_') + 1, '_') + 1, '_');
	p = search_dir(dir, key, 2);
	if (p == NULL)
		fprintf(stderr, "calltap show: no file of call %s under %s\n", call_id, dir);
	free(name);
	return p;
}

/* ---- output --------------------------------------------------------------- */

static void put_html(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '&': fputs("&amp;", out); break;
		case '"': fputs("&quot;", out); break;
		default: fputc(*s, out);
		}
	}
}

/* Writes the ladder as text lines through put (plain or HTML-escaped). */
static void ladder(const struct show *s, FILE *out, void (*put)(FILE *, const char *))
{
	size_t width = TIMEW + 2 + (size_t)(s->n_hosts - 1) * COLW + 1;
	char *line = malloc(width + 1), *head, hb[CT_ADDRSTRLEN + 10];
	int64_t t0 = s->n > 0 ? s->msgs[0].ts_us : 0;
	size_t i, k;
	int h;

	if (line == NULL)
		return;
	/* host names, centred over their columns (after the previous one when too long) */
	if ((head = calloc(1, width + 2 * SHOW_MAX_HOSTS * (CT_ADDRSTRLEN + 10))) == NULL) {
		free(line);
		return;
	}
	for (h = 0, k = 0; h < s->n_hosts; h++) {
		char a[CT_ADDRSTRLEN];
		size_t col = TIMEW + 2 + (size_t)h * COLW, len, start;

		ct_addr_str(&s->hosts[h].a, a, sizeof(a));
		snprintf(hb, sizeof(hb), s->hosts[h].a.family == 6 ? "[%s]:%u" : "%s:%u", a,
		    s->hosts[h].port);
		len = strlen(hb);
		start = col >= len / 2 ? col - len / 2 : 0;
		if (start < k + 1 && h > 0)
			start = k + 1;
		while (k < start)
			head[k++] = ' ';
		memcpy(head + k, hb, len);
		k += len;
	}
	head[k] = '\0';
	line[width] = '\0';
	put(out, head);
	put(out, "\n");
	free(head);
	for (i = 0; i < s->n; i++) {
		const struct smsg *m = &s->msgs[i];
		size_t a = TIMEW + 2 + (size_t)m->from * COLW, b = TIMEW + 2 + (size_t)m->to * COLW;
		size_t lo = a < b ? a : b, hi = a < b ? b : a, len = strlen(m->label), start;
		char t[32];

		memset(line, ' ', width);
		snprintf(t, sizeof(t), "%*.3f", TIMEW, (double)(m->ts_us - t0) / 1e6);
		memcpy(line, t, strlen(t) < TIMEW ? strlen(t) : TIMEW);
		for (h = 0; h < s->n_hosts; h++)
			line[TIMEW + 2 + (size_t)h * COLW] = '|';
		if (lo == hi) {       /* to itself */
			snprintf(t, sizeof(t), "<-' %s", m->label);
			for (k = 0; t[k] != '\0' && lo + 1 + k < width; k++)
				line[lo + 1 + k] = t[k];
		} else {
			for (k = lo + 1; k < hi; k++)
				line[k] = '-';
			if (a < b)
				line[hi - 1] = '>';
			else
				line[lo + 1] = '<';
			if (len > hi - lo - 5)
				len = hi - lo - 5;
			start = lo + (hi - lo - len) / 2;
			line[start - 1] = ' ';
			memcpy(line + start, m->label, len);
			line[start + len] = ' ';
		}
		while (width > 0 && line[width - 1] == ' ')
			line[--width] = '\0';
		put(out, line);
		if (m->note[0] != '\0') {
			put(out, "  ");
			put(out, m->note);
		}
		put(out, "\n");
		width = TIMEW + 2 + (size_t)(s->n_hosts - 1) * COLW + 1;
		line[width] = '\0';
	}
	free(line);
}

/*
 * Writes s for a terminal: a control byte (ESC, BEL, CR...; all but the
 * line breaks the ladder writes) or DEL from the wire becomes '?', so a
 * Call-ID, reason phrase or codec name cannot drive the terminal (clear
 * it, retitle it, move the cursor) nor break the ladder's columns.
 */
static void put_plain(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		fputc((c < 0x20 && c != '\n') || c == 0x7f ? '?' : c, out);
	}
}

/* One line per field of the record's JSON: splits at top-level commas. */
static void record_lines(FILE *out, const char *json, void (*put)(FILE *, const char *))
{
	char one[2] = { 0, 0 };
	int depth = 0, str = 0, esc = 0;
	const char *p;

	for (p = json; *p != '\0'; p++) {
		one[0] = *p;
		if (str) {
			esc = !esc && *p == '\\';
			if (*p == '"' && !esc)
				str = 0;
		} else if (*p == '"') {
			str = 1;
		} else if (*p == '{' || *p == '[') {
			if (depth++ == 0 && *p == '{') {
				put(out, "{\n  ");
				continue;
			}
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0 && *p == '}') {
				put(out, "\n}\n");
				continue;
			}
		} else if (*p == ',' && depth == 1) {
			put(out, ",\n  ");
			continue;
		}
		put(out, one);
	}
}

static void write_text(const struct show *s, FILE *out)
{
	fputs("Call-ID: ", out);
	put_plain(out, s->call_id);
	fputc('\n', out);
	fprintf(out, "%zu SIP message%s, times in seconds from the first\n\n", s->n,
	    s->n == 1 ? "" : "s");
	ladder(s, out, put_plain);
	if (s->dropped > 0)
		fprintf(out, "(%zu messages not shown: more than %d hosts or %d messages)\n",
		    s->dropped, SHOW_MAX_HOSTS, SHOW_MAX_MSGS);
}

/* ---- charts of the streams ---------------------------------------------- */

#define CHW 760                /* chart width, px */
#define CPW 680                /* plot width */
#define CML 56                 /* left margin (axis labels) */
#define CPH 70                 /* plot height of one panel */
#define CPANEL (CPH + 34)      /* a panel with its title and time labels */

enum series { S_JMAX, S_JMEAN, S_LOSS, S_MOS };

static bool has_value(const struct ct_stream_ival *v, enum series k)
{
	return k == S_JMAX || k == S_JMEAN ? v->has_jitter && v->packets > 0 : v->packets > 0;
}

static double value(const struct ct_stream_ival *v, enum series k)
{
	switch (k) {
	case S_JMAX: return v->max_jitter_ms;
	case S_JMEAN: return v->mean_jitter_ms;
	case S_LOSS: return v->loss_pct;
	default: return v->mos;
	}
}

/* A scale top of at least lo: 1, 2 or 5 times a power of ten, >= x. */
static double nice_top(double x, double lo)
{
	double p = 1.0;

	if (!(x > lo))
		x = lo;
	while (p * 10 < x)
		p *= 10;
	while (p > x)
		p /= 10;
	return x <= p ? p : x <= 2 * p ? 2 * p : x <= 5 * p ? 5 * p : 10 * p;
}

/*
 * One series of c as polylines (one per run of intervals that have the
 * value: an interval without packets leaves a gap), a point at each
 * interval's middle; class cls names the series for whoever reads the page.
 */
static void series(FILE *out, const struct cstream *c, enum series k, const char *cls,
    const char *color, double ylo, double yhi, int top)
{
	double t0 = (double)c->iv[0].start_us;
	double span = (double)(c->iv[c->n - 1].end_us - c->iv[0].start_us);
	bool open = false;
	uint32_t i;

	if (span <= 0)
		span = 1;
	for (i = 0; i < c->n; i++) {
		const struct ct_stream_ival *v = &c->iv[i];
		double x, y, f;

		if (!has_value(v, k)) {
			if (open)
				fputs("\"/>\n", out);
			open = false;
			continue;
		}
		x = CML + ((double)(v->start_us + v->end_us) / 2 - t0) / span * CPW;
		f = (value(v, k) - ylo) / (yhi - ylo);
		y = top + CPH - (f < 0 ? 0 : f > 1 ? 1 : f) * CPH;
		if (!open)
			fprintf(out, "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" "
			    "stroke-width=\"1.5\" points=\"", cls, color);
		fprintf(out, "%s%.1f,%.1f", open ? " " : "", x, y);
		open = true;
	}
	if (open)
		fputs("\"/>\n", out);
	for (i = 0; i < c->n; i++) {   /* the points, seen even where a line has one */
		const struct ct_stream_ival *v = &c->iv[i];
		double f = (value(v, k) - ylo) / (yhi - ylo);

		if (has_value(v, k))
			fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\" fill=\"%s\"/>\n",
			    CML + ((double)(v->start_us + v->end_us) / 2 - t0) / span * CPW,
			    top + CPH - (f < 0 ? 0 : f > 1 ? 1 : f) * CPH, color);
	}
}

/* The frame of a panel: title, axis, y labels and the time labels. */
static void panel(FILE *out, const struct cstream *c, int top, const char *title, double ylo,
    double yhi, const char *unit)
{
	double secs = (double)(c->iv[c->n - 1].end_us - c->iv[0].start_us) / 1e6;

	fprintf(out, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>\n", CML,
	    top - 6, title);
	fprintf(out, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" "
	    "stroke=\"#bbb\"/>\n", CML, top, CPW, CPH);
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eee\"/>\n",
	    CML, top + CPH / 2, CML + CPW, top + CPH / 2);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g%s</text>\n", CML - 4,
	    top + 10, yhi, unit);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%g%s</text>\n", CML - 4,
	    top + CPH, ylo, unit);
	fprintf(out, "<text x=\"%d\" y=\"%d\">0 s</text>\n", CML, top + CPH + 14);
	fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.1f s</text>\n",
	    CML + CPW, top + CPH + 14, secs);
}

/* The decimals of rtp_intervals column name (as stored). */
static int ival_prec(const char *name)
{
	size_t i;

	for (i = 0; i < ct_schema_nivals; i++)
		if (strcmp(ct_schema_ivals[i].name, name) == 0)
			return ct_schema_ivals[i].prec;
	return 3;
}

static void put_real(FILE *out, bool has, double d, int prec)
{
	if (has)
		fprintf(out, "<td>%.*f</td>", prec, d);
	else
		fputs("<td>-</td>", out);
}

/* One stream: an SVG of three panels (jitter, loss, MOS) and its figures. */
static void chart_stream(FILE *out, const struct cstream *c, size_t no)
{
	double jtop = 0, ltop = 0;
	int pj = ival_prec("max_jitter_ms"), pl = ival_prec("loss_pct"), pm = ival_prec("mos");
	uint32_t i;

	for (i = 0; i < c->n; i++) {
		if (has_value(&c->iv[i], S_JMAX) && c->iv[i].max_jitter_ms > jtop)
			jtop = c->iv[i].max_jitter_ms;
		if (has_value(&c->iv[i], S_LOSS) && c->iv[i].loss_pct > ltop)
			ltop = c->iv[i].loss_pct;
	}
	jtop = nice_top(jtop, 1.0);
	ltop = nice_top(ltop, 1.0);
	if (ltop > 100)
		ltop = 100;
	fprintf(out, "<h3>Stream %zu: ", no);
	put_html(out, c->label);
	fprintf(out, "</h3>\n<p class=\"sub\">%u interval%s of %.0f s</p>\n", c->n,
	    c->n == 1 ? "" : "s", (double)(c->n > 1 ? c->iv[1].start_us - c->iv[0].start_us :
	    c->iv[0].end_us - c->iv[0].start_us) / 1e6);
	fprintf(out, "<svg class=\"stream\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"11\">\n",
	    CHW, 3 * CPANEL + 10, CHW, 3 * CPANEL + 10);
	panel(out, c, 20, "Jitter, ms (max red, mean blue)", 0, jtop, "");
	series(out, c, S_JMAX, "jmax", "#c62828", 0, jtop, 20);
	series(out, c, S_JMEAN, "jmean", "#1565c0", 0, jtop, 20);
	panel(out, c, 20 + CPANEL, "Loss, %", 0, ltop, "");
	series(out, c, S_LOSS, "loss", "#6a1b9a", 0, ltop, 20 + CPANEL);
	panel(out, c, 20 + 2 * CPANEL, "MOS (E-model)", 1, 4.5, "");
	series(out, c, S_MOS, "mos", "#2e7d32", 1, 4.5, 20 + 2 * CPANEL);
	fputs("</svg>\n<details><summary>Figures per interval</summary>\n<table class=\"ivals\">"
	    "<tr><th>start</th><th>ms</th><th>packets</th><th>lost</th><th>loss %</th>"
	    "<th>max jitter ms</th><th>mean jitter ms</th><th>MOS</th></tr>\n", out);
	for (i = 0; i < c->n; i++) {
		const struct ct_stream_ival *v = &c->iv[i];
		char t[48];

		ct_time_iso(v->start_us, t, sizeof(t));
		fprintf(out, "<tr><td>%s</td><td>%lld</td><td>%llu</td><td>%lld</td>", t,
		    (long long)((v->end_us - v->start_us) / 1000), (unsigned long long)v->packets,
		    (long long)v->lost);
		put_real(out, v->packets > 0, v->loss_pct, pl);
		put_real(out, has_value(v, S_JMAX), v->max_jitter_ms, pj);
		put_real(out, has_value(v, S_JMEAN), v->mean_jitter_ms, pj);
		put_real(out, v->packets > 0 && v->mos != 0, v->mos, pm);
		fputs("</tr>\n", out);
	}
	fputs("</table></details>\n", out);
}

static void write_charts(const struct show *s, FILE *out)
{
	size_t i;

	fprintf(out, "<h2>RTP quality over time (%zu stream%s)</h2>\n", s->n_streams,
	    s->n_streams == 1 ? "" : "s");
	if (s->n_streams == 0) {
		fputs("<p>(no RTP intervals: ", out);
		put_html(out, s->ivals_note != NULL ? s->ivals_note : "no RTP stream of this call");
		fputs(")</p>\n", out);
	}
	for (i = 0; i < s->n_streams; i++)
		chart_stream(out, &s->streams[i], i + 1);
}

static void write_html(const struct show *s, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>calltap: ",
	    out);
	put_html(out, s->call_id);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:2em}"
	    "pre{background:#f6f6f6;padding:1em;overflow-x:auto}.sub{color:#666;font-size:13px}"
	    "table.ivals{border-collapse:collapse;font-size:12px}"
	    "table.ivals td,table.ivals th{border:1px solid #ddd;padding:2px 6px;text-align:right}"
	    "</style>\n</head><body>\n<h1>Call ", out);
	put_html(out, s->call_id);
	fprintf(out, "</h1>\n<h2>SIP ladder (%zu messages, seconds from the first)</h2>\n<pre>", s->n);
	ladder(s, out, put_html);
	fputs("</pre>\n", out);
	write_charts(s, out);
	fputs("<h2>Record</h2>\n<pre>", out);
	if (s->record != NULL)
		record_lines(out, s->record, put_html);
	else
		fputs("(no record: the capture has no INVITE of this call)", out);
	fputs("</pre>\n</body></html>\n", out);
}

static void usage(FILE *out)
{
	fputs("usage: calltap show CALL-ID (-r FILE | --pcap-dir DIR | --db FILE)\n"
	    "                    [--format text|html] [-o FILE | --call-pages DIR]\n"
	    "\n"
	    "Draws the SIP message flow of one call as a ladder: hosts as columns, one\n"
	    "arrow per message with its time, method or status and an SDP summary.\n"
	    "\n"
	    "  -r, --read FILE     any capture holding the call\n"
	    "  --pcap-dir DIR      the call's own file under DIR (calltap --pcap-dir)\n"
	    "  --db FILE           the file the call's record names (pcap_path); the\n"
	    "                      charts from the stored intervals (rtp_intervals)\n"
	    "  --format FMT        text (default) or html (one page: ladder, charts of\n"
	    "                      jitter, loss and MOS per stream over time, record)\n"
	    "  -o, --output FILE   write there instead of standard output\n"
	    "  --call-pages DIR    html: write DIR/<page name>, the page calltap report\n"
	    "                      --call-pages DIR links to (docs/pcap.md)\n"
	    "  -h, --help          this text\n", out);
}

int ct_show_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "read", required_argument, NULL, 'r' },
		{ "pcap-dir", required_argument, NULL, 'd' },
		{ "db", required_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "call-pages", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *read = NULL, *dir = NULL, *db = NULL, *outp = NULL, *pages = NULL;
	struct show s;
	char *path = NULL, *page = NULL;
	int c, html = 0, rc = 0, n_src;
	size_t i;
	FILE *out = stdout;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': read = optarg; break;
		case 'd': dir = optarg; break;
		case 'b': db = optarg; break;
		case 'o': outp = optarg; break;
		case 'P': pages = optarg; break;
		case 'f':
			if (strcmp(optarg, "html") == 0) {
				html = 1;
			} else if (strcmp(optarg, "text") != 0) {
				fprintf(stderr, "calltap show: --format text or html, not '%s'\n", optarg);
				return 1;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	n_src = (read != NULL) + (dir != NULL) + (db != NULL);
	if (optind != argc - 1 || n_src != 1) {
		fprintf(stderr, "calltap show: one CALL-ID and one of -r, --pcap-dir, --db\n");
		usage(stderr);
		return 1;
	}
	if (pages != NULL && (outp != NULL || !html)) {
		fprintf(stderr, "calltap show: --call-pages takes --format html and no -o\n");
		return 1;
	}
	memset(&s, 0, sizeof(s));
	s.call_id = argv[optind];
	if (read != NULL)
		path = strdup(read);
	else if (dir != NULL)
		path = from_dir(dir, s.call_id);
	else
		path = from_db(db, s.call_id);
	if (path == NULL)
		return 2;
	if (pages != NULL) {
		char name[CT_CALL_PAGE_NAME_MAX];
		size_t n = strlen(pages) + sizeof(name) + 2;

		if ((page = malloc(n)) == NULL) {
			free(path);
			return 2;
		}
		snprintf(page, n, "%s/%s", pages, ct_call_page_name(s.call_id, name, sizeof(name)));
		outp = page;
	}
	if (read_capture(&s, path) != 0) {
		rc = 2;
	} else if (s.n == 0) {
		fprintf(stderr, "calltap show: no SIP message of call %s in %s\n", s.call_id, path);
		rc = 2;
	} else {
		if (db != NULL && html) {   /* the stored intervals, not a new analysis */
			for (i = 0; i < s.n_streams; i++)
				free(s.streams[i].iv);
			memset(s.streams, 0, sizeof(s.streams));
			s.n_streams = 0;
			from_db_ivals(db, &s);
		}
		if (outp != NULL && strcmp(outp, "-") != 0 && (out = fopen(outp, "w")) == NULL) {
			fprintf(stderr, "calltap show: %s: %s\n", outp, strerror(errno));
			rc = 2;
		} else {
			if (html)
				write_html(&s, out);
			else
				write_text(&s, out);
			if (fflush(out) != 0 || ferror(out)) {
				fprintf(stderr, "calltap show: write failed: %s\n", strerror(errno));
				rc = 2;
			}
			if (out != stdout)
				fclose(out);
		}
	}
	for (i = 0; i < s.n_streams; i++)
		free(s.streams[i].iv);
	free(page);
	free(path);
	free(s.msgs);
	free(s.record);
	return rc;
}
