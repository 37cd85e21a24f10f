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
#define MAX_COLS 16
#define DAYS_ALL 92     /* longer daily trends list only days with calls */

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
	char from[48], to[48], *src = sanitize(d->source_name ? d->source_name : "-", 200);
	const char *codes[CT_REPORT_NWARN];
	char msgs[CT_REPORT_NWARN][300];
	size_t i, nw;

	fprintf(out, "calltap report: %s\n", src ? src : "?");
	free(src);
	ct_report_format_local(d->tz, d->from_us, from, sizeof(from));
	ct_report_format_local(d->tz, d->to_us, to, sizeof(to));
	fprintf(out, "time zone: %s\n", d->tz != NULL ? d->tz : "UTC");
	fprintf(out, "range asked (by call start): %s .. %s\n", d->from_us == CT_REPORT_NONE ?
	    "start" : from, d->to_us == CT_REPORT_NONE ? "end" : to);
	ct_report_format_local(d->tz, r->first_us, from, sizeof(from));
	ct_report_format_local(d->tz, r->last_us, to, sizeof(to));
	fprintf(out, "data range (first .. last call): %s .. %s\n", from, to);
	fprintf(out, "quality call: talk >= %g s; lead window: %lld s\n", d->quality_s,
	    (long long)(d->lead_window_us / 1000000));
	if (d->hours_spec != NULL) {
		char *h = sanitize(d->hours_spec, 200);

		fprintf(out, "business hours: %s\n", h ? h : "?");
		free(h);
	}
	if (d->f_dir || d->f_source || d->f_campaign || d->f_sensor) {
		const char *k[4] = { "direction", "source", "campaign", "sensor" };
		const char *v[4] = { d->f_dir, d->f_source, d->f_campaign, d->f_sensor };

		fputs("filters:", out);
		for (i = 0; i < 4; i++)
			if (v[i] != NULL) {
				char *t = sanitize(v[i], NAME_MAX_W);

				fprintf(out, " %s=%s", k[i], t ? t : "?");
				free(t);
			}
		fputc('\n', out);
	}
	for (i = 0, nw = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i])
			fprintf(out, "%s%s", nw++ ? ", " : "note: the database has no column(s) ",
			    ct_report_opt_name[i]);
	if (nw > 0)
		fputc('\n', out);
	if (d->costs_from_file)
		fprintf(out, "costs: from the costs file, in %s\n", d->currency ? d->currency : "?");
	else if (!r->has_cost)
		fprintf(out, "note: no costs (no --costs file, no numbers.cost)\n");
	nw = ct_report_warnings(r, codes, msgs);
	for (i = 0; i < nw; i++)
		fprintf(out, "WARNING (%s): %s\n", codes[i], msgs[i]);
}

static void summary(const struct ct_report *r, FILE *out)
{
	const struct ct_report_fig *m = &r->m;
	char b[32];

	fprintf(out, "\nSummary\n");
	line(out, "marketing calls", m->calls, 0, NULL);
	line(out, "missed calls", m->missed, ct_report_pct(m->missed, m->calls), "missed rate");
	if (m->machine > 0)
		line(out, "  answered by IVR/voicemail", m->machine,
		    ct_report_pct(m->machine, m->calls), "of calls");
	line(out, "first-time callers (leads)", m->first_callers, 0, NULL);
	line(out, "missed callers", m->missed_callers, 0, NULL);
	line(out, "lost leads", m->lost_leads, ct_report_pct(m->lost_leads, m->missed_callers),
	    "of missed callers");
	line(out, "called back within 15 min", r->cb_within[1],
	    ct_report_pct(r->cb_within[1], m->missed_callers), "of missed callers");
	num(b, sizeof(b), ct_report_div(r->cost, m->first_callers, r->has_cost), 2);
	fprintf(out, "  %-26s %8s%s%s\n", "cost per lead", b,
	    r->data->costs_from_file && r->data->currency ? " " : "",
	    r->data->costs_from_file && r->data->currency ? r->data->currency : "");
}

static void totals(const struct ct_report *r, FILE *out)
{
	const struct ct_report_fig *m = &r->m;
	char of[64];
	int i;

	fprintf(out, "\nAll calls in range (every direction)\n");
	line(out, "total", r->calls, 0, NULL);
	for (i = 0; i < CT_RD_COUNT; i++)
		if (i != CT_RD_OTHER || r->disp[i] != 0)
			line(out, ct_report_disp_name((enum ct_report_disp)i), r->disp[i],
			    ct_report_pct(r->disp[i], r->calls), "of calls");
	for (i = 0; i < CT_RDIR_COUNT; i++)
		line(out, ct_report_dir_name[i], r->dir[i], ct_report_pct(r->dir[i], r->calls),
		    "of calls");

	fprintf(out, "\nMarketing calls (inbound%s)\n", r->no_direction ? " and unknown" : "");
	line(out, "calls", m->calls, 0, NULL);
	line(out, "answered", m->answered, ct_report_pct(m->answered, m->calls), "of calls");
	line(out, "missed", m->missed, ct_report_pct(m->missed, m->calls), "of calls");
	line(out, "unique callers", m->unique, 0, NULL);
	line(out, "first-time callers", m->first_callers, 0, NULL);
	line(out, "first-time calls", m->first_calls, ct_report_pct(m->first_calls, m->calls),
	    "of calls");
	line(out, "repeat calls", m->repeat, ct_report_pct(m->repeat, m->calls), "of calls");
	line(out, "quality calls", m->quality, ct_report_pct(m->quality, m->answered),
	    "of answered");

	fprintf(out, "\nTime to answer (%ld answered calls with a time)\n", m->tta_n);
	line_real(out, "mean", ct_report_mean(m->tta_sum, m->tta_n) / 1000.0, 1, "s");
	line_real(out, "p90 (nearest rank)", r->tta_p90_ms == CT_REPORT_NONE ? NAN
	    : (double)r->tta_p90_ms / 1000.0, 1, "s");
	for (i = 0; i < CT_REPORT_NWITHIN; i++) {
		snprintf(of, sizeof(of), "within %d s", ct_report_within_s[i]);
		line(out, of, r->within[i], ct_report_pct(r->within[i], m->tta_n), "of those");
	}
}

static void callbacks(const struct ct_report *r, FILE *out)
{
	long mc = r->m.missed_callers;
	char of[64];
	int i;

	fprintf(out, "\nMissed callers and callbacks\n");
	line(out, "missed callers", mc, 0, NULL);
	line(out, "lost leads", r->m.lost_leads, ct_report_pct(r->m.lost_leads, mc),
	    "of missed callers");
	line(out, "called back", r->cb_called, ct_report_pct(r->cb_called, mc),
	    "of missed callers");
	line(out, "reached by callback", r->cb_answered, ct_report_pct(r->cb_answered, mc),
	    "of missed callers");
	for (i = 0; i < CT_REPORT_NCB; i++) {
		snprintf(of, sizeof(of), "called back within %d min", ct_report_cb_min[i]);
		line(out, of, r->cb_within[i], ct_report_pct(r->cb_within[i], mc),
		    "of missed callers");
	}
	if (r->data->hours.set)
		line(out, "within the business day", r->cb_bday, ct_report_pct(r->cb_bday, mc),
		    "of missed callers");
	line_real(out, "first attempt, mean", r->cb_att_mean / 60.0, 1, "min");
	line_real(out, "first attempt, median", r->cb_att_median / 60.0, 1, "min");
	line_real(out, "answered callback, mean", r->cb_ans_mean / 60.0, 1, "min");
	line_real(out, "answered callback, median", r->cb_ans_median / 60.0, 1, "min");
	line(out, "callback attempts", r->cb_attempts, 0, NULL);

	fprintf(out, "\nOutbound calls\n");
	line(out, "calls", r->out_calls, 0, NULL);
	line(out, "answered", r->out_answered, ct_report_pct(r->out_answered, r->out_calls),
	    "of calls");
	line_real(out, "talk time", r->out_talk_sum / 60.0, 1, "min");
	line_real(out, "mean talk", ct_report_mean(r->out_talk_sum, r->out_talk_n), 1, "s");
	line(out, "numbers called", r->out_numbers, 0, NULL);
	if (r->data->hours.set) {
		fprintf(out, "\nBusiness hours (marketing calls)\n");
		for (i = 0; i < 2; i++) {
			const struct ct_report_bucket *b = &r->bhours[i];

			fprintf(out, "  %-12s calls %ld, answered %ld, missed %ld (%s%%)\n",
			    i ? "after hours" : "in hours", b->calls, b->answered, b->missed,
			    num(of, sizeof(of), ct_report_pct(b->missed, b->calls), 1));
		}
	}
}

/* A table of buckets with a '#' bar scaled to the largest count. */
static void buckets(FILE *out, const char *title, const char *key,
    const struct ct_report_bucket *b, int n, const char *const *labels, int64_t day0)
{
	static const int right[6] = { 0, 1, 1, 1, 1, 0 };
	const char *hdr[6] = { key, "calls", "answered", "missed", "first-time", "" };
	struct ttab t = { .ncols = 6, .hdr = hdr, .right = right, .maxw = BAR_W + 1 };
	char c[4][24], lab[16], bar[BAR_W + 1];
	long max = 0;
	int i;

	for (i = 0; i < n; i++)
		max = b[i].calls > max ? b[i].calls : max;
	fprintf(out, "\n%s\n", title);
	if (day0 == CT_REPORT_NONE) {
		hdr[4] = "";
		t.ncols = 6;
	}
	for (i = 0; i < n; i++) {
		const char *row[6] = { lab, c[0], c[1], c[2], c[3], bar };
		int len = max ? (int)((b[i].calls * BAR_W + max - 1) / max) : 0;

		if (day0 != CT_REPORT_NONE && n > DAYS_ALL && b[i].calls == 0)
			continue;   /* a long range: the days without calls are left out */
		if (labels != NULL)
			snprintf(lab, sizeof(lab), "%s", labels[i]);
		else if (day0 != CT_REPORT_NONE)
			ct_report_format_day(day0 + i, lab, sizeof(lab));
		else
			snprintf(lab, sizeof(lab), "%02d", i);
		snprintf(c[0], sizeof(c[0]), "%ld", b[i].calls);
		snprintf(c[1], sizeof(c[1]), "%ld", b[i].answered);
		snprintf(c[2], sizeof(c[2]), "%ld", b[i].missed);
		if (day0 != CT_REPORT_NONE)
			snprintf(c[3], sizeof(c[3]), "%ld", b[i].first_callers);
		else
			c[3][0] = '\0';
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
		num(p, sizeof(p), ct_report_pct(r->hist[i], r->m.tta_n), 1);
		if (!isnan(ct_report_pct(r->hist[i], r->m.tta_n)))
			strcat(p, "%");
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

/* A group table: nk key columns, then the marketing figures and costs. */
static void groups(FILE *out, const char *title, const char *const *keys, int nk,
    const struct ct_report_group *g, size_t n)
{
	static const int right[MAX_COLS + 4] = { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const char *const fig[] = { "calls", "answered", "missed", "missed callers",
		"lost leads", "first-time", "quality", "cost", "cost/call", "cost/lead",
		"cost/quality" };
	const char *hdr[14];
	const int *rt;
	struct ttab t = { .ncols = (size_t)nk + 11, .hdr = hdr };
	char c[11][32];
	size_t i;
	int k;

	if (n == 0 && nk == 3)
		return;
	rt = right + (3 - nk);
	t.right = rt;
	for (k = 0; k < nk; k++)
		hdr[k] = keys[k];
	for (k = 0; k < 11; k++)
		hdr[nk + k] = fig[k];
	fprintf(out, "\n%s\n", title);
	for (i = 0; i < n; i++) {
		const struct ct_report_fig *f = &g[i].f;
		const char *row[14];
		double cost = f->has_cost ? f->cost : NAN;

		for (k = 0; k < nk; k++)
			row[k] = g[i].key[k] ? g[i].key[k] : "(none)";
		snprintf(c[0], sizeof(c[0]), "%ld", f->calls);
		snprintf(c[1], sizeof(c[1]), "%ld", f->answered);
		snprintf(c[2], sizeof(c[2]), "%ld", f->missed);
		snprintf(c[3], sizeof(c[3]), "%ld", f->missed_callers);
		snprintf(c[4], sizeof(c[4]), "%ld", f->lost_leads);
		snprintf(c[5], sizeof(c[5]), "%ld", f->first_callers);
		snprintf(c[6], sizeof(c[6]), "%ld", f->quality);
		num(c[7], sizeof(c[7]), cost, 2);
		num(c[8], sizeof(c[8]), ct_report_div(cost, f->calls, f->has_cost), 2);
		num(c[9], sizeof(c[9]), ct_report_div(cost, f->first_callers, f->has_cost), 2);
		num(c[10], sizeof(c[10]), ct_report_div(cost, f->quality, f->has_cost), 2);
		for (k = 0; k < 11; k++)
			row[nk + k] = c[k];
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

static void agents(const struct ct_report *r, FILE *out)
{
	static const int right[5] = { 0, 1, 1, 1, 1 };
	static const char *const hdr[4] = { "agent", "answered", "mean talk s", "quality" };
	static const char *const ohdr[5] = { "agent", "calls", "answered", "talk min",
		"mean talk s" };
	struct ttab t = { .ncols = 4, .hdr = hdr, .right = right };
	char c[4][32];
	size_t i;

	fprintf(out, "\nPer answering agent (answered marketing calls)\n");
	for (i = 0; i < r->n_agents; i++) {
		const struct ct_report_fig *f = &r->agents[i].f;
		const char *row[4] = { r->agents[i].key[0] ? r->agents[i].key[0] : "(unknown)",
			c[0], c[1], c[2] };

		snprintf(c[0], sizeof(c[0]), "%ld", f->answered);
		num(c[1], sizeof(c[1]), ct_report_mean(f->talk_sum, f->talk_n), 1);
		snprintf(c[2], sizeof(c[2]), "%ld", f->quality);
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
	t = (struct ttab){ .ncols = 5, .hdr = ohdr, .right = right };
	fprintf(out, "\nOutbound per agent\n");
	for (i = 0; i < r->n_out_agents; i++) {
		const struct ct_report_fig *f = &r->out_agents[i].f;
		const char *row[5] = { r->out_agents[i].key[0] ? r->out_agents[i].key[0]
			: "(unknown)", c[0], c[1], c[2], c[3] };

		snprintf(c[0], sizeof(c[0]), "%ld", f->calls);
		snprintf(c[1], sizeof(c[1]), "%ld", f->answered);
		num(c[2], sizeof(c[2]), f->talk_sum / 60.0, 1);
		num(c[3], sizeof(c[3]), ct_report_mean(f->talk_sum, f->talk_n), 1);
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

/* Agents' rings (PBX legs): offered, answered, missed, pick-up times. */
static void ring_agents(const struct ct_report *r, FILE *out)
{
	static const int right[9] = { 0, 1, 1, 1, 1, 1, 1, 1, 1 };
	static const char *const hdr[9] = { "agent", "rings", "answered", "missed",
		"answer %", "pickup s", "p90 s", "talk min", "transferred" };
	struct ttab t = { .ncols = 9, .hdr = hdr, .right = right };
	char c[8][32];
	size_t i;

	if (r->n_ring_agents == 0)
		return;
	fprintf(out, "\nAgents' rings (PBX legs, marketing calls)\n");
	for (i = 0; i < r->n_ring_agents; i++) {
		const struct ct_report_ringfig *f = &r->ring_agents[i];
		const char *row[9] = { f->agent, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7] };

		snprintf(c[0], sizeof(c[0]), "%ld", f->rings);
		snprintf(c[1], sizeof(c[1]), "%ld", f->answered);
		snprintf(c[2], sizeof(c[2]), "%ld", f->missed);
		num(c[3], sizeof(c[3]), ct_report_pct(f->answered, f->answered + f->missed), 1);
		num(c[4], sizeof(c[4]), ct_report_mean(f->pickup_sum, f->pickup_n) / 1000.0, 1);
		num(c[5], sizeof(c[5]), f->pickup_p90_ms == CT_REPORT_NONE ? NAN :
		    (double)f->pickup_p90_ms / 1000.0, 1);
		num(c[6], sizeof(c[6]), f->talk_sum / 60.0, 1);
		snprintf(c[7], sizeof(c[7]), "%ld", f->transferred);
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

/* Missed calls by hour of day, with the rings and agents (to size the team). */
static void ring_hours(const struct ct_report *r, FILE *out)
{
	static const int right[9] = { 0, 1, 1, 1, 1, 1, 1, 1, 0 };
	static const char *const hdr[9] = { "hour", "calls", "missed", "per day", "machine",
		"rings", "missed rings", "agents", "" };
	struct ttab t = { .ncols = 9, .hdr = hdr, .right = right, .maxw = BAR_W + 1 };
	char c[7][24], lab[8], bar[BAR_W + 1];
	long max = 0;
	int i;

	if (r->n_ring_agents == 0)
		return;
	for (i = 0; i < 24; i++)
		max = r->ring_hours[i].missed > max ? r->ring_hours[i].missed : max;
	fprintf(out, "\nMissed calls by hour of day (%s; machine = answered by IVR/voicemail; "
	    "agents = who answered a ring)\n", r->data->tz != NULL ? r->data->tz : "UTC");
	for (i = 0; i < 24; i++) {
		const struct ct_report_ringhour *h = &r->ring_hours[i];
		const char *row[9] = { lab, c[0], c[1], c[2], c[3], c[4], c[5], c[6], bar };
		int len = max ? (int)((h->missed * BAR_W + max - 1) / max) : 0;

		snprintf(lab, sizeof(lab), "%02d", i);
		snprintf(c[0], sizeof(c[0]), "%ld", h->calls);
		snprintf(c[1], sizeof(c[1]), "%ld", h->missed);
		num(c[2], sizeof(c[2]), r->n_daily > 0 ? (double)h->missed / (double)r->n_daily :
		    NAN, 2);
		snprintf(c[3], sizeof(c[3]), "%ld", h->machine);
		snprintf(c[4], sizeof(c[4]), "%ld", h->rings);
		snprintf(c[5], sizeof(c[5]), "%ld", h->missed_rings);
		snprintf(c[6], sizeof(c[6]), "%ld", h->agents);
		memset(bar, '#', (size_t)len);
		bar[len] = '\0';
		ttab_row(&t, row);
	}
	ttab_print(&t, out);
}

static void cblist(const struct ct_report *r, FILE *out)
{
	static const int right[6] = { 0, 0, 1, 1, 0, 0 };
	static const char *const hdr[6] = { "number", "last missed (local)", "missed",
		"attempts", "source", "campaign" };
	struct ttab t = { .ncols = 6, .hdr = hdr, .right = right };
	char c[3][48];
	size_t i;

	fprintf(out, "\nCall-back list (missed callers still waiting, oldest first)\n");
	for (i = 0; i < r->n_cblist; i++) {
		const struct ct_report_cbitem *it = &r->cblist[i];
		const char *row[6] = { it->number, c[0], c[1], c[2],
			it->source ? it->source : "(none)", it->campaign ? it->campaign : "(none)" };

		ct_report_format_local(r->data->tz, it->last_us, c[0], sizeof(c[0]));
		snprintf(c[1], sizeof(c[1]), "%ld", it->missed);
		snprintf(c[2], sizeof(c[2]), "%ld", it->attempts);
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
	static const char *const k_src[1] = { "source" };
	static const char *const k_camp[2] = { "source", "campaign" };
	static const char *const k_utm[3] = { "utm_source", "utm_medium", "utm_campaign" };
	char title[96];
	const char *tz = r->data->tz != NULL ? r->data->tz : "UTC";

	header(r, out);
	summary(r, out);
	totals(r, out);
	callbacks(r, out);
	snprintf(title, sizeof(title), "By hour of day (%s, marketing calls)", tz);
	buckets(out, title, "hour", r->by_hour, 24, NULL, CT_REPORT_NONE);
	snprintf(title, sizeof(title), "By day of week (%s, marketing calls)", tz);
	buckets(out, title, "day", r->by_wday, 7, ct_report_wday, CT_REPORT_NONE);
	snprintf(title, sizeof(title), "Daily trend (%s, marketing calls%s)", tz,
	    r->n_daily > DAYS_ALL ? "; days without calls left out" : "");
	buckets(out, title, "date", r->daily, (int)r->n_daily, NULL, r->daily_first_day);
	histogram(r, out);
	groups(out, "Per source", k_src, 1, r->sources, r->n_sources);
	groups(out, "Per source/campaign", k_camp, 2, r->campaigns, r->n_campaigns);
	groups(out, "Per session (utm)", k_utm, 3, r->sessions, r->n_sessions);
	agents(r, out);
	ring_agents(r, out);
	ring_hours(r, out);
	cblist(r, out);
	return ferror(out) ? CT_ERR : CT_OK;
}
