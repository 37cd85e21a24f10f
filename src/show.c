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
#include "calltap/show.h"
#include "calltap/sink.h"
#include "calltap/sinkset.h"
#include "calltap/sip.h"
#include "calltap/source.h"

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

struct show {
	const char *call_id;
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

/* The file that --db's record of call_id names (pcap_path), malloc'ed, or NULL after a message. */
static char *from_db(const char *db, const char *call_id)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	char *path = NULL;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(h, "SELECT pcap_path FROM calls WHERE call_id = ?1 AND pcap_path "
	    "IS NOT NULL ORDER BY start_time DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK) {
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

static void put_plain(FILE *out, const char *s)
{
	fputs(s, out);
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
	fprintf(out, "Call-ID: %s\n", s->call_id);
	fprintf(out, "%zu SIP message%s, times in seconds from the first\n\n", s->n,
	    s->n == 1 ? "" : "s");
	ladder(s, out, put_plain);
	if (s->dropped > 0)
		fprintf(out, "(%zu messages not shown: more than %d hosts or %d messages)\n",
		    s->dropped, SHOW_MAX_HOSTS, SHOW_MAX_MSGS);
}

static void write_html(const struct show *s, FILE *out)
{
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>calltap: ",
	    out);
	put_html(out, s->call_id);
	fputs("</title>\n<style>body{font-family:sans-serif;margin:2em}"
	    "pre{background:#f6f6f6;padding:1em;overflow-x:auto}</style>\n</head><body>\n<h1>Call ",
	    out);
	put_html(out, s->call_id);
	fprintf(out, "</h1>\n<h2>SIP ladder (%zu messages, seconds from the first)</h2>\n<pre>", s->n);
	ladder(s, out, put_html);
	fputs("</pre>\n<h2>Record</h2>\n<pre>", out);
	if (s->record != NULL)
		record_lines(out, s->record, put_html);
	else
		fputs("(no record: the capture has no INVITE of this call)", out);
	fputs("</pre>\n</body></html>\n", out);
}

static void usage(FILE *out)
{
	fputs("usage: calltap show CALL-ID (-r FILE | --pcap-dir DIR | --db FILE)\n"
	    "                    [--format text|html] [-o FILE]\n"
	    "\n"
	    "Draws the SIP message flow of one call as a ladder: hosts as columns, one\n"
	    "arrow per message with its time, method or status and an SDP summary.\n"
	    "\n"
	    "  -r, --read FILE     any capture holding the call\n"
	    "  --pcap-dir DIR      the call's own file under DIR (calltap --pcap-dir)\n"
	    "  --db FILE           the file the call's record names (pcap_path)\n"
	    "  --format FMT        text (default) or html (one page: ladder and record)\n"
	    "  -o, --output FILE   write there instead of standard output\n"
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *read = NULL, *dir = NULL, *db = NULL, *outp = NULL;
	struct show s;
	char *path = NULL;
	int c, html = 0, rc = 0, n_src;
	FILE *out = stdout;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'r': read = optarg; break;
		case 'd': dir = optarg; break;
		case 'b': db = optarg; break;
		case 'o': outp = optarg; break;
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
	if (read_capture(&s, path) != 0) {
		rc = 2;
	} else if (s.n == 0) {
		fprintf(stderr, "calltap show: no SIP message of call %s in %s\n", s.call_id, path);
		rc = 2;
	} else {
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
	free(path);
	free(s.msgs);
	free(s.record);
	return rc;
}
