/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Terminal rendering of `calltap report`: labelled figures and aligned
 * tables (hour of day and weekday with a bar of '#', answer-time histogram,
 * per source/campaign, per agent).  Strings from the database come from the
 * wire (caller and agent names, campaign labels), so control characters and
 * invalid UTF-8 are shown as '?' and cannot drive the terminal; widths count
 * characters, long names are cut to NAME_MAX_W characters ending in '~'.
 * Workload: one report, a few hundred lines at most (agents and campaigns
 * are listed in full).  References: RFC 3629 §4 (UTF-8 syntax), docs/report.md.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "report_int.h"

#define NAME_MAX_W 30   /* characters shown of a name cell */
#define BAR_W 40        /* characters of the longest '#' bar */
#define MAX_COLS 10

/* A table being filled: rows of ncols owned, sanitised cells. */
struct ttab {
	size_t ncols, nrows, cap;
	char **cells;        /* nrows * ncols */
	const char *const *hdr;
	const int *right;    /* right-align column i */
	size_t maxw;         /* characters kept of a cell; 0 = NAME_MAX_W */
	int oom;
};


/*
 * Copy of s with control characters and invalid UTF-8 replaced by '?',
 * cut to max characters (the last one then '~'); NULL on allocation failure.
 */
static char *sanitize(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t w = 0, n, o = 0;
	char *out = malloc(strlen(s) + 2);

	if (out == NULL)
		return NULL;
	while (*p != '\0') {
		n = ct_utf8_len(p, strnlen((const char *)p, 4));
		if (w + 1 == max && p[n ? n : 1] != '\0') {
			out[o++] = '~';
			break;
		}
		if (n == 0 || *p < 0x20 || *p == 0x7f) {
			out[o++] = '?';
			p++;
		} else {
			memcpy(out + o, p, n);
			o += n;
			p += n;
		}
		w++;
	}
	out[o] = '\0';
	return out;
}

/* Display width of a sanitised (valid UTF-8) string. */
static size_t width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Appends one row of t->ncols cells (NULL shows "-"). */
static void ttab_row(struct ttab *t, const char *const *cells)
{
	size_t i;
	char **p;

	if (t->oom)
		return;
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		p = realloc(t->cells, t->cap * t->ncols * sizeof(*p));
		if (p == NULL) {
			t->oom = 1;
			return;
		}
		t->cells = p;
	}
	for (i = 0; i < t->ncols; i++) {
		p = &t->cells[t->nrows * t->ncols + i];
		*p = sanitize(cells[i] != NULL ? cells[i] : "-", t->maxw ? t->maxw : NAME_MAX_W);
		t->oom |= *p == NULL;
	}
	t->nrows++;
}

static void pad(FILE *out, size_t n)
{
	while (n-- > 0)
		fputc(' ', out);
}

/* Prints header and rows with aligned columns, then frees the cells. */
static void ttab_print(struct ttab *t, FILE *out)
{
	size_t w[MAX_COLS] = { 0 }, i, j;

	for (j = 0; j < t->ncols; j++)
		w[j] = width(t->hdr[j]);
	for (i = 0; i < t->nrows && !t->oom; i++)
		for (j = 0; j < t->ncols; j++)
			if (width(t->cells[i * t->ncols + j]) > w[j])
				w[j] = width(t->cells[i * t->ncols + j]);
	for (i = 0; i <= t->nrows && !t->oom; i++) {
		const char *const *row = i == 0 ? t->hdr : (const char *const *)
		    &t->cells[(i - 1) * t->ncols];
		size_t last = t->ncols;

		while (last > 1 && row[last - 1][0] == '\0')
			last--;   /* no trailing blanks */
		fputs("  ", out);
		for (j = 0; j < last; j++) {
			size_t gap = w[j] - width(row[j]);

			if (t->right[j])
				pad(out, gap);
			fputs(row[j], out);
			if (j + 1 < last)
				pad(out, (t->right[j] ? 0 : gap) + 2);
		}
		fputc('\n', out);
	}
	for (i = 0; i < t->nrows * t->ncols && t->cells != NULL; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
}

/* Formats v with prec decimals, "-" when NaN. */
static const char *num(char *buf, size_t size, double v, int prec)
{
	if (isnan(v))
		snprintf(buf, size, "-");
	else
		snprintf(buf, size, "%.*f", prec, v);
	return buf;
}

/* "  label  value  pct% of" line; the share is left out when of is NULL. */
static void line(FILE *out, const char *label, long v, double pct, const char *of)
{
	char b[32];

	fprintf(out, "  %-26s %8ld", label, v);
	if (of != NULL) {
		num(b, sizeof(b), pct, 1);
		fprintf(out, "  %6s%s %s", b, isnan(pct) ? " " : "%", of);
	}
	fputc('\n', out);
}

static void line_real(FILE *out, const char *label, double v, int prec, const char *unit)
{
	char b[32];

	fprintf(out, "  %-26s %8s%s%s\n", label, num(b, sizeof(b), v, prec),
	    isnan(v) ? "" : " ", isnan(v) ? "" : unit);
}

static void header(const struct ct_report *r, FILE *out)
{
	const struct ct_report_data *d = r->data;
	char from[40], to[40], *src = sanitize(d->source_name ? d->source_name : "-", 200);
	int i;

	ct_report_format_time(d->from_us, from, sizeof(from));
	ct_report_format_time(d->to_us, to, sizeof(to));
	fprintf(out, "calltap report: %s\n", src ? src : "?");
	free(src);
	fprintf(out, "range (UTC, by call start): %s .. %s\n", d->from_us == CT_REPORT_NONE ?
	    "start" : from, d->to_us == CT_REPORT_NONE ? "end" : to);
	fprintf(out, "quality call: talk >= %g s\n", d->quality_s);
	for (i = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i])
			fprintf(out, "note: the database has no column calls.%s; figures "
			    "using it are unavailable\n", ct_report_opt_name[i]);
	if (!d->has_numbers)
		fprintf(out, "note: the database has no table numbers(source, campaign, cost); "
		    "no costs\n");
}

static void totals(const struct ct_report *r, FILE *out)
{
	char of[64];
	int i;

	fprintf(out, "\nCalls\n");
	line(out, "total", r->calls, 0, NULL);
	for (i = 0; i < CT_RD_COUNT; i++)
		if (i != CT_RD_OTHER || r->disp[i] != 0)
			line(out, ct_report_disp_name((enum ct_report_disp)i), r->disp[i],
			    ct_report_pct(r->disp[i], r->calls), "of calls");
	snprintf(of, sizeof(of), "of %ld inbound/unknown", r->missable);
	line(out, "missed", r->missed, ct_report_pct(r->missed, r->missable), of);

	fprintf(out, "\nTime to answer (%ld answered calls with a time)\n", r->tta_n);
	line_real(out, "mean", r->tta_mean_ms / 1000.0, 1, "s");
	line_real(out, "p90 (nearest rank)", r->tta_p90_ms == CT_REPORT_NONE ? NAN
	    : (double)r->tta_p90_ms / 1000.0, 1, "s");
	for (i = 0; i < CT_REPORT_NWITHIN; i++) {
		snprintf(of, sizeof(of), "within %d s", ct_report_within_s[i]);
		line(out, of, r->within[i], ct_report_pct(r->within[i], r->tta_n), "of those");
	}
}

static void callers(const struct ct_report *r, FILE *out)
{
	fprintf(out, "\nQuality and callers\n");
	line(out, "quality calls", r->quality,
	    ct_report_pct(r->quality, r->disp[CT_RD_ANSWERED]), "of answered");
	line(out, "unique callers", r->unique_callers, 0, NULL);
	if (r->data->has_opt[CT_RO_FIRST_CALL]) {
		line(out, "first-time calls", r->first_time,
		    ct_report_pct(r->first_time, r->calls), "of calls");
		line(out, "repeat calls", r->repeat, ct_report_pct(r->repeat, r->calls), "of calls");
		line(out, "first/repeat unknown", r->first_unknown,
		    ct_report_pct(r->first_unknown, r->calls), "of calls");
	} else {
		fprintf(out, "  %-26s %8s\n", "first-time/repeat calls", "-");
	}
	fprintf(out, "\nCallbacks of missed calls\n");
	if (!r->data->has_opt[CT_RO_CALLBACK_S]) {
		fprintf(out, "  %-26s %8s\n", "called back", "-");
		return;
	}
	line(out, "called back", r->called_back, ct_report_pct(r->called_back, r->missed),
	    "of missed");
	line(out, "within 5 min", r->cb_within_5min,
	    ct_report_pct(r->cb_within_5min, r->called_back), "of called back");
	line_real(out, "mean delay", ct_report_mean(r->cb_delay_sum, r->called_back), 1, "s");
}

/* A table of buckets with a '#' bar scaled to the largest count. */
static void buckets(FILE *out, const char *title, const char *key,
    const struct ct_report_bucket *b, int n, const char *const *labels)
{
	static const int right[5] = { 0, 1, 1, 1, 0 };
	const char *hdr[5] = { key, "calls", "answered", "missed", "" };
	struct ttab t = { .ncols = 5, .hdr = hdr, .right = right, .maxw = BAR_W + 1 };
	char c[3][24], lab[16], bar[BAR_W + 1];
	long max = 0;
	int i;

	for (i = 0; i < n; i++)
		max = b[i].calls > max ? b[i].calls : max;
	fprintf(out, "\n%s\n", title);
	for (i = 0; i < n; i++) {
		const char *row[5] = { lab, c[0], c[1], c[2], bar };
		int len = max ? (int)((b[i].calls * BAR_W + max - 1) / max) : 0;

		if (labels != NULL)
			snprintf(lab, sizeof(lab), "%s", labels[i]);
		else
			snprintf(lab, sizeof(lab), "%02d", i);
		snprintf(c[0], sizeof(c[0]), "%ld", b[i].calls);
		snprintf(c[1], sizeof(c[1]), "%ld", b[i].answered);
		snprintf(c[2], sizeof(c[2]), "%ld", b[i].missed);
		memset(bar, '#', (size_t)len);
		bar[len] = '\0';
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

static void histogram(const struct ct_report *r, FILE *out)
{
	static const int right[3] = { 0, 1, 1 };
	static const char *const hdr[3] = { "answer time", "calls", "share" };
	struct ttab t = { .ncols = 3, .hdr = hdr, .right = right };
	char lab[32], c[24], p[24];
	int i, lo = 0;

	fprintf(out, "\nAnswer time histogram\n");
	for (i = 0; i < CT_REPORT_NHIST; i++) {
		const char *row[3] = { lab, c, p };

		if (ct_report_hist_s[i] != 0)
			snprintf(lab, sizeof(lab), "%d-%d s", lo, ct_report_hist_s[i]);
		else
			snprintf(lab, sizeof(lab), "> %d s", lo);
		lo = ct_report_hist_s[i];
		snprintf(c, sizeof(c), "%ld", r->hist[i]);
		num(p, sizeof(p), ct_report_pct(r->hist[i], r->tta_n), 1);
		if (!isnan(ct_report_pct(r->hist[i], r->tta_n)))
			strcat(p, "%");
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

static void campaigns(const struct ct_report *r, FILE *out)
{
	static const int right[10] = { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const char *const hdr[10] = { "source", "campaign", "calls", "answered",
		"missed", "quality", "mean talk s", "cost", "cost/call", "cost/quality" };
	struct ttab t = { .ncols = 10, .hdr = hdr, .right = right };
	char c[8][32];
	size_t i;

	fprintf(out, "\nPer source/campaign\n");
	for (i = 0; i < r->n_campaigns; i++) {
		const struct ct_report_group *g = &r->campaigns[i];
		const char *row[10] = { g->source ? g->source : "(none)",
			g->campaign ? g->campaign : "(none)", c[0], c[1], c[2], c[3], c[4], c[5],
			c[6], c[7] };
		double cost = g->has_cost ? g->cost : NAN;

		snprintf(c[0], sizeof(c[0]), "%ld", g->calls);
		snprintf(c[1], sizeof(c[1]), "%ld", g->answered);
		snprintf(c[2], sizeof(c[2]), "%ld", g->missed);
		snprintf(c[3], sizeof(c[3]), "%ld", g->quality);
		num(c[4], sizeof(c[4]), ct_report_mean(g->talk_sum, g->talk_n), 1);
		num(c[5], sizeof(c[5]), cost, 2);
		num(c[6], sizeof(c[6]), ct_report_mean(cost, g->calls), 2);
		num(c[7], sizeof(c[7]), ct_report_mean(cost, g->quality), 2);
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

static void agents(const struct ct_report *r, FILE *out)
{
	static const int right[4] = { 0, 1, 1, 1 };
	static const char *const hdr[4] = { "agent", "answered", "mean talk s", "quality" };
	struct ttab t = { .ncols = 4, .hdr = hdr, .right = right };
	char c[3][32];
	size_t i;

	fprintf(out, "\nPer answering agent\n");
	for (i = 0; i < r->n_agents; i++) {
		const struct ct_report_group *g = &r->agents[i];
		const char *row[4] = { g->agent ? g->agent : "(unknown)", c[0], c[1], c[2] };

		snprintf(c[0], sizeof(c[0]), "%ld", g->answered);
		num(c[1], sizeof(c[1]), ct_report_mean(g->talk_sum, g->talk_n), 1);
		snprintf(c[2], sizeof(c[2]), "%ld", g->quality);
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

/*
 * Writes r as a plain-text report for a terminal to out.  Returns CT_OK, or
 * CT_ERR when out reports a write error.
 */
int ct_report_render_text(const struct ct_report *r, FILE *out)
{
	header(r, out);
	totals(r, out);
	callers(r, out);
	buckets(out, "By hour of day (UTC)", "hour", r->by_hour, 24, NULL);
	buckets(out, "By day of week (UTC)", "day", r->by_wday, 7, ct_report_wday);
	histogram(r, out);
	campaigns(r, out);
	agents(r, out);
	return ferror(out) ? CT_ERR : CT_OK;
}
