/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HTML rendering of `calltap report`: one self-contained page (inline CSS,
 * inline SVG bar charts, no script, no external resource) that can be mailed
 * or archived and opened offline.  Charts: calls by hour of day and by day
 * of week (stacked answered / missed / other), calls per source/campaign
 * (horizontal stacked bars) and the answer-time histogram.  Every string
 * from the database (agent, campaign and source names, the database path)
 * is attacker-controlled wire data: it is written only through esc(), which
 * escapes & < > " ' and replaces control characters, and a Content Security
 * Policy forbids any script and any load as a second line of defence.
 * Workload: one page of a few tens of KB.  References: HTML Living
 * Standard §13.1.2.6 (text and attribute escaping), SVG 1.1 (rect, text,
 * title), CSP Level 3 (default-src 'none').
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "calltap/err.h"
#include "report_int.h"

#define CW 530          /* chart width, px (two side by side in 1150 px) */
#define CH 240          /* vertical chart height, px */
#define ML 44           /* left margin (axis labels) */
#define MB 28           /* bottom margin (bar labels) */
#define MT 14           /* top margin */
#define LABEL_W 170     /* horizontal chart: label column, px */
#define LABEL_CHARS 24  /* characters of a campaign label shown */
#define MAX_HBARS 20    /* campaigns drawn (all are in the table) */

static const char *const stack_names[3] = { "answered", "missed", "other" };
static const char *const stack_colors[3] = { "#2e7d32", "#c62828", "#9e9e9e" };

static const char css[] =
	"body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"margin:24px;color:#222;background:#fafafa;max-width:1150px}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
	".sub{color:#666;font-size:13px}.note{color:#8a6d00;font-size:13px}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin-top:16px}"
	".card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 14px;"
	"min-width:130px}.card b{display:block;font-size:22px}.card span{color:#666;"
	"font-size:12px}.charts{display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start}"
	".chart{background:#fff;border:1px solid #ddd;border-radius:6px;padding:8px}"
	".chart h3{font-size:14px;margin:2px 4px 4px}.key{display:inline-block;width:10px;"
	"height:10px;margin:0 4px 0 10px}.legend{font-size:12px;color:#444}"
	"table{border-collapse:collapse;background:#fff;font-size:13px}"
	"th,td{border:1px solid #ddd;padding:4px 8px}th{background:#f0f0f0;text-align:left}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}"
	"svg text{font-size:11px;fill:#444}";

static const char *const hour_labels[24] = {
	"00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11",
	"12", "13", "14", "15", "16", "17", "18", "19", "20", "21", "22", "23"
};

/*
 * Writes at most max characters of s (NULL: "(none)") escaped for HTML text
 * and attribute values; control characters become U+FFFD.  max 0 = all.
 */
static void esc(FILE *out, const char *s, size_t max)
{
	size_t chars = 0;

	if (s == NULL)
		s = "(none)";
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c & 0xc0) != 0x80 && max != 0 && ++chars > max) {
			fputs("\xe2\x80\xa6", out);   /* U+2026 ellipsis */
			return;
		}
		switch (c) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fputs("\xef\xbf\xbd", out);
			else
				fputc(c, out);
		}
	}
}

/* Formats v with prec decimals and a unit, "–" when NaN. */
static const char *num(char *buf, size_t size, double v, int prec, const char *unit)
{
	if (isnan(v))
		snprintf(buf, size, "\xe2\x80\x93");
	else
		snprintf(buf, size, "%.*f%s", prec, v, unit);
	return buf;
}

/* Grid step (1, 2 or 5 times a power of ten) giving about 4 lines up to max. */
static long grid_step(long max)
{
	long p = 1;

	while (p * 10 <= max / 4)
		p *= 10;
	if (p * 1 * 4 >= max)
		return p;
	if (p * 2 * 4 >= max)
		return 2 * p;
	if (p * 5 * 4 >= max)
		return 5 * p;
	return 10 * p;
}

/* A stacked bar chart: n bars of k stacked values v[i * k + j]. */
struct chart {
	const char *title;
	int n, k;
	const char *const *labels;   /* n labels */
	const long *v;
	const char *const *names;    /* k series names */
	const char *const *colors;   /* k fill colours */
};

static long bar_total(const struct chart *c, int i)
{
	long t = 0;
	int j;

	for (j = 0; j < c->k; j++)
		t += c->v[i * c->k + j];
	return t;
}

static void legend(FILE *out, const struct chart *c)
{
	int j;

	fputs("<div class=\"legend\">", out);
	for (j = 0; j < c->k && c->k > 1; j++)
		fprintf(out, "<span class=\"key\" style=\"background:%s\"></span>%s",
		    c->colors[j], c->names[j]);
	fputs("</div>", out);
}

/* Horizontal grid lines and their labels for a vertical chart. */
static void grid(FILE *out, long ymax, long step, int ph)
{
	long y;

	for (y = 0; y <= ymax; y += step) {
		int py = MT + ph - (int)((double)y * ph / (double)ymax);

		fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e0e0e0\"/>"
		    "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%ld</text>\n", ML, py, CW - 8,
		    py, ML - 6, py + 4, y);
	}
}

/* Vertical stacked bars with a y grid; every rect has a <title> tooltip. */
static void vchart(FILE *out, const struct chart *c)
{
	int ph = CH - MT - MB, pw = CW - ML - 8, i, j;
	long max = 0, step, ymax;
	double slot = (double)pw / c->n, bw = slot * 0.72;

	for (i = 0; i < c->n; i++)
		max = bar_total(c, i) > max ? bar_total(c, i) : max;
	step = grid_step(max > 0 ? max : 1);
	ymax = (max + step - 1) / step * step;
	ymax = ymax > 0 ? ymax : step;
	fprintf(out, "<div class=\"chart\"><h3>%s</h3>", c->title);
	legend(out, c);
	fprintf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "viewBox=\"0 0 %d %d\" role=\"img\">\n", CW, CH, CW, CH);
	grid(out, ymax, step, ph);
	for (i = 0; i < c->n; i++) {
		double x = ML + slot * i + (slot - bw) / 2, y = MT + ph;

		for (j = 0; j < c->k; j++) {
			double h = (double)c->v[i * c->k + j] * ph / (double)ymax;

			if (c->v[i * c->k + j] == 0)
				continue;
			y -= h;
			fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
			    "fill=\"%s\"><title>", x, y, bw, h, c->colors[j]);
			esc(out, c->labels[i], 0);
			fprintf(out, ": %ld %s</title></rect>\n", c->v[i * c->k + j], c->names[j]);
		}
		if (c->n <= 12 && bar_total(c, i) > 0)
			fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%ld</text>",
			    x + bw / 2, y - 3, bar_total(c, i));
		fprintf(out, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">",
		    x + bw / 2, MT + ph + 16);
		esc(out, c->labels[i], 0);
		fputs("</text>\n", out);
	}
	fprintf(out, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>"
	    "</svg></div>\n", ML, MT + ph, CW - 8, MT + ph);
}

/* Writes "source / campaign" of g, escaped and cut to LABEL_CHARS. */
static void campaign_label(FILE *out, const struct ct_report_group *g, size_t max)
{
	esc(out, g->source, max);
	fputs(" / ", out);
	esc(out, g->campaign, max);
}

/* Horizontal stacked bars (answered, missed, other) per source/campaign. */
static void campaign_chart(FILE *out, const struct ct_report *r)
{
	int n = r->n_campaigns < MAX_HBARS ? (int)r->n_campaigns : MAX_HBARS;
	int h = MT + 24 * n + 10, pw = CW - LABEL_W - 40, i, j;
	long max = 1;

	for (i = 0; i < n; i++)
		max = r->campaigns[i].calls > max ? r->campaigns[i].calls : max;
	fputs("<div class=\"chart\"><h3>Calls per source / campaign</h3>", out);
	fputs("<div class=\"legend\">", out);
	for (j = 0; j < 3; j++)
		fprintf(out, "<span class=\"key\" style=\"background:%s\"></span>%s",
		    stack_colors[j], stack_names[j]);
	fprintf(out, "</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", CW, h, CW, h);
	for (i = 0; i < n; i++) {
		const struct ct_report_group *g = &r->campaigns[i];
		long v[3] = { g->answered, g->missed, g->calls - g->answered - g->missed };
		double x = LABEL_W;
		int y = MT + 24 * i;

		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", LABEL_W - 6, y + 14);
		campaign_label(out, g, LABEL_CHARS / 2);
		fputs("</text>\n", out);
		for (j = 0; j < 3; j++) {
			double w = (double)v[j] * pw / (double)max;

			if (v[j] <= 0)
				continue;
			fprintf(out, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"18\" "
			    "fill=\"%s\"><title>", x, y, w, stack_colors[j]);
			campaign_label(out, g, 0);
			fprintf(out, ": %ld %s</title></rect>\n", v[j], stack_names[j]);
			x += w;
		}
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%ld</text>\n", x + 4, y + 14, g->calls);
	}
	fputs("</svg></div>\n", out);
}

static void charts(FILE *out, const struct ct_report *r)
{
	static const char *const hist_color[1] = { "#1565c0" };
	static const char *const hist_name[1] = { "answered calls" };
	static const char *const hist_labels[CT_REPORT_NHIST] = {
		"0-5", "5-10", "10-15", "15-20", "20-30", "30-60", ">60"
	};
	long hour[24 * 3], wday[7 * 3];
	struct chart c;
	int i;

	for (i = 0; i < 24; i++) {
		hour[i * 3] = r->by_hour[i].answered;
		hour[i * 3 + 1] = r->by_hour[i].missed;
		hour[i * 3 + 2] = r->by_hour[i].calls - r->by_hour[i].answered - r->by_hour[i].missed;
	}
	for (i = 0; i < 7; i++) {
		wday[i * 3] = r->by_wday[i].answered;
		wday[i * 3 + 1] = r->by_wday[i].missed;
		wday[i * 3 + 2] = r->by_wday[i].calls - r->by_wday[i].answered - r->by_wday[i].missed;
	}
	fputs("<h2>Charts</h2><div class=\"charts\">\n", out);
	c = (struct chart){ "Calls by hour of day (UTC)", 24, 3, hour_labels, hour,
		stack_names, stack_colors };
	vchart(out, &c);
	c = (struct chart){ "Calls by day of week (UTC)", 7, 3, ct_report_wday, wday,
		stack_names, stack_colors };
	vchart(out, &c);
	campaign_chart(out, r);
	c = (struct chart){ "Time to answer, seconds (answered calls)", CT_REPORT_NHIST, 1,
		hist_labels, r->hist, hist_name, hist_color };
	vchart(out, &c);
	fputs("</div>\n", out);
}

static void card(FILE *out, const char *value, const char *label)
{
	fprintf(out, "<div class=\"card\"><b>%s</b><span>%s</span></div>\n", value, label);
}

static void cards(FILE *out, const struct ct_report *r)
{
	char b[64];

	fputs("<div class=\"cards\">\n", out);
	snprintf(b, sizeof(b), "%ld", r->calls);
	card(out, b, "calls");
	snprintf(b, sizeof(b), "%ld", r->disp[CT_RD_ANSWERED]);
	card(out, b, "answered");
	snprintf(b, sizeof(b), "%ld", r->missed);
	card(out, b, "missed (inbound/unknown)");
	card(out, num(b, sizeof(b), ct_report_pct(r->missed, r->missable), 1, "%"), "missed rate");
	card(out, num(b, sizeof(b), r->tta_mean_ms / 1000.0, 1, " s"), "mean time to answer");
	card(out, num(b, sizeof(b), r->tta_p90_ms == CT_REPORT_NONE ? NAN :
	    (double)r->tta_p90_ms / 1000.0, 1, " s"), "p90 time to answer");
	snprintf(b, sizeof(b), "%ld", r->quality);
	card(out, b, "quality calls");
	snprintf(b, sizeof(b), "%ld", r->unique_callers);
	card(out, b, "unique callers");
	fputs("</div>\n", out);
}

/* One "label | value | share" row of the figures table. */
static void frow(FILE *out, const char *label, const char *value, double pct, const char *of)
{
	char b[32];

	fprintf(out, "<tr><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
	    label, value, of != NULL ? num(b, sizeof(b), pct, 1, "%") : "");
}

static void frow_n(FILE *out, const char *label, long v, double pct, const char *of)
{
	char b[32];

	snprintf(b, sizeof(b), "%ld", v);
	frow(out, label, b, pct, of);
}

static void figures(FILE *out, const struct ct_report *r)
{
	char b[64], l[64];
	int i;

	fputs("<h2>Figures</h2><table><tr><th>figure</th><th>value</th><th>share</th></tr>\n",
	    out);
	frow_n(out, "calls", r->calls, 0, NULL);
	for (i = 0; i < CT_RD_COUNT; i++)
		frow_n(out, ct_report_disp_name((enum ct_report_disp)i), r->disp[i],
		    ct_report_pct(r->disp[i], r->calls), "");
	frow_n(out, "missed (of inbound/unknown)", r->missed,
	    ct_report_pct(r->missed, r->missable), "");
	for (i = 0; i < CT_REPORT_NWITHIN; i++) {
		snprintf(l, sizeof(l), "answered within %d s", ct_report_within_s[i]);
		frow_n(out, l, r->within[i], ct_report_pct(r->within[i], r->tta_n), "");
	}
	frow_n(out, "quality calls (of answered)", r->quality,
	    ct_report_pct(r->quality, r->disp[CT_RD_ANSWERED]), "");
	frow_n(out, "first-time calls", r->first_time, ct_report_pct(r->first_time, r->calls), "");
	frow_n(out, "repeat calls", r->repeat, ct_report_pct(r->repeat, r->calls), "");
	frow_n(out, "missed calls called back", r->called_back,
	    ct_report_pct(r->called_back, r->missed), "");
	frow_n(out, "&#8230; within 5 min (of called back)", r->cb_within_5min,
	    ct_report_pct(r->cb_within_5min, r->called_back), "");
	frow(out, "mean callback delay", num(b, sizeof(b),
	    ct_report_mean(r->cb_delay_sum, r->called_back), 1, " s"), 0, NULL);
	fputs("</table>\n", out);
}

static void campaign_table(FILE *out, const struct ct_report *r)
{
	char b[5][32];
	size_t i;

	fputs("<h2>Per source / campaign</h2><table><tr><th>source</th><th>campaign</th>"
	    "<th>calls</th><th>answered</th><th>missed</th><th>quality</th>"
	    "<th>mean talk</th><th>cost</th><th>cost/call</th><th>cost/quality call</th></tr>\n",
	    out);
	for (i = 0; i < r->n_campaigns; i++) {
		const struct ct_report_group *g = &r->campaigns[i];
		double cost = g->has_cost ? g->cost : NAN;

		fputs("<tr><td>", out);
		esc(out, g->source, 0);
		fputs("</td><td>", out);
		esc(out, g->campaign, 0);
		fprintf(out, "</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td>"
		    "<td class=\"n\">%ld</td><td class=\"n\">%ld</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
		    g->calls, g->answered, g->missed, g->quality,
		    num(b[0], sizeof(b[0]), ct_report_mean(g->talk_sum, g->talk_n), 1, " s"),
		    num(b[1], sizeof(b[1]), cost, 2, ""),
		    num(b[2], sizeof(b[2]), ct_report_mean(cost, g->calls), 2, ""),
		    num(b[3], sizeof(b[3]), ct_report_mean(cost, g->quality), 2, ""));
	}
	fputs("</table>\n", out);
}

static void agent_table(FILE *out, const struct ct_report *r)
{
	char b[32];
	size_t i;

	fputs("<h2>Per answering agent</h2><table><tr><th>agent</th><th>answered</th>"
	    "<th>mean talk</th><th>quality calls</th></tr>\n", out);
	for (i = 0; i < r->n_agents; i++) {
		const struct ct_report_group *g = &r->agents[i];

		fputs("<tr><td>", out);
		esc(out, g->agent != NULL ? g->agent : "(unknown)", 0);
		fprintf(out, "</td><td class=\"n\">%ld</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%ld</td></tr>\n", g->answered,
		    num(b, sizeof(b), ct_report_mean(g->talk_sum, g->talk_n), 1, " s"), g->quality);
	}
	fputs("</table>\n", out);
}

static void head(FILE *out, const struct ct_report *r)
{
	const struct ct_report_data *d = r->data;
	char from[40], to[40];
	int i;

	ct_report_format_time(d->from_us, from, sizeof(from));
	ct_report_format_time(d->to_us, to, sizeof(to));
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	    "<title>calltap report</title>\n<style>%s</style></head><body>\n"
	    "<h1>calltap report</h1>\n<div class=\"sub\">", css);
	esc(out, d->source_name, 0);
	fprintf(out, " &middot; calls starting %s &ndash; %s (UTC) &middot; quality call: "
	    "talk &ge; %g s</div>\n", d->from_us == CT_REPORT_NONE ? "(any)" : from,
	    d->to_us == CT_REPORT_NONE ? "(any)" : to, d->quality_s);
	for (i = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i])
			fprintf(out, "<div class=\"note\">The database has no column calls.%s; "
			    "figures using it are unavailable.</div>\n", ct_report_opt_name[i]);
	if (!d->has_numbers)
		fputs("<div class=\"note\">The database has no table numbers with costs; "
		    "no costs shown.</div>\n", out);
}

/*
 * Writes r as one self-contained HTML page to out.  Returns CT_OK, or CT_ERR
 * when out reports a write error.
 */
int ct_report_render_html(const struct ct_report *r, FILE *out)
{
	head(out, r);
	cards(out, r);
	charts(out, r);
	figures(out, r);
	campaign_table(out, r);
	agent_table(out, r);
	fputs("</body></html>\n", out);
	return ferror(out) ? CT_ERR : CT_OK;
}
