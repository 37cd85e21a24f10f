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
#include <stdlib.h>
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
	esc(out, g->key[0], max);
	fputs(" / ", out);
	esc(out, g->key[1], max);
}

/* Horizontal stacked bars (answered, missed, other) per source/campaign. */
static void campaign_chart(FILE *out, const struct ct_report *r)
{
	int n = r->n_campaigns < MAX_HBARS ? (int)r->n_campaigns : MAX_HBARS;
	int h = MT + 24 * n + 10, pw = CW - LABEL_W - 40, i, j;
	long max = 1;

	for (i = 0; i < n; i++)
		max = r->campaigns[i].f.calls > max ? r->campaigns[i].f.calls : max;
	fputs("<div class=\"chart\"><h3>Calls per source / campaign</h3>", out);
	fputs("<div class=\"legend\">", out);
	for (j = 0; j < 3; j++)
		fprintf(out, "<span class=\"key\" style=\"background:%s\"></span>%s",
		    stack_colors[j], stack_names[j]);
	fprintf(out, "</div><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\">\n", CW, h, CW, h);
	for (i = 0; i < n; i++) {
		const struct ct_report_group *g = &r->campaigns[i];
		long v[3] = { g->f.answered, g->f.missed, g->f.calls - g->f.answered - g->f.missed };
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
		fprintf(out, "<text x=\"%.1f\" y=\"%d\">%ld</text>\n", x + 4, y + 14, g->f.calls);
	}
	fputs("</svg></div>\n", out);
}

/* Daily trend: stacked answered / missed / other per local day. */
static void daily_chart(FILE *out, const struct ct_report *r)
{
	int n = r->n_daily > 366 ? 366 : (int)r->n_daily, i;
	char (*lab)[8] = calloc((size_t)n + 1, sizeof(*lab));
	const char **labels = calloc((size_t)n + 1, sizeof(*labels));
	long *v = calloc((size_t)n * 3 + 1, sizeof(*v));
	struct chart c;
	char day[16];

	if (lab != NULL && labels != NULL && v != NULL && n > 0) {
		for (i = 0; i < n; i++) {
			const struct ct_report_bucket *b = &r->daily[i];

			ct_report_format_day(r->daily_first_day + i, day, sizeof(day));
			snprintf(lab[i], sizeof(lab[i]), "%.5s", day + 5);
			labels[i] = lab[i];
			v[i * 3] = b->answered;
			v[i * 3 + 1] = b->missed;
			v[i * 3 + 2] = b->calls - b->answered - b->missed;
		}
		c = (struct chart){ "Daily trend (marketing calls)", n, 3, labels, v,
			stack_names, stack_colors };
		vchart(out, &c);
	}
	free(lab);
	free(labels);
	free(v);
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
	char t1[96], t2[96];
	const char *tz = r->data->tz != NULL ? r->data->tz : "UTC";
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
	daily_chart(out, r);
	snprintf(t1, sizeof(t1), "Marketing calls by hour of day (%s)", tz);
	snprintf(t2, sizeof(t2), "Marketing calls by day of week (%s)", tz);
	c = (struct chart){ t1, 24, 3, hour_labels, hour, stack_names, stack_colors };
	vchart(out, &c);
	c = (struct chart){ t2, 7, 3, ct_report_wday, wday, stack_names, stack_colors };
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
	const struct ct_report_fig *m = &r->m;
	char b[64];

	fputs("<div class=\"cards\">\n", out);
	snprintf(b, sizeof(b), "%ld", m->calls);
	card(out, b, "marketing calls");
	card(out, num(b, sizeof(b), ct_report_pct(m->missed, m->calls), 1, "%"), "missed rate");
	snprintf(b, sizeof(b), "%ld", m->first_callers);
	card(out, b, "first-time callers (leads)");
	snprintf(b, sizeof(b), "%ld / %ld", m->lost_leads, m->missed_callers);
	card(out, b, "lost leads / missed callers");
	card(out, num(b, sizeof(b), ct_report_pct(r->cb_within[1], m->missed_callers), 1, "%"),
	    "missed callers called back within 15 min");
	card(out, num(b, sizeof(b), r->cb_att_median / 60.0, 1, " min"),
	    "median callback delay");
	card(out, num(b, sizeof(b), ct_report_div(r->cost, m->first_callers, r->has_cost), 2,
	    ""), "cost per lead");
	card(out, num(b, sizeof(b), ct_report_mean(m->tta_sum, m->tta_n) / 1000.0, 1, " s"),
	    "mean time to answer");
	fputs("</div>\n", out);
}

/* Rows "section.key | value" of a (key, value) list. */
static void kv_rows(FILE *out, const char *section, const struct ct_report_kv *v, size_t n)
{
	char b[64];
	size_t i;

	for (i = 0; i < n; i++) {
		fprintf(out, "<tr><td>%s.%s</td><td class=\"n\">%s</td></tr>\n", section, v[i].key,
		    ct_report_kv_format(&v[i], b, sizeof(b)) ? b : "\xe2\x80\x93");
	}
}

static void figures(FILE *out, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	int i;

	fputs("<h2>Figures</h2><table><tr><th>figure (JSON key)</th><th>value</th></tr>\n", out);
	kv_rows(out, "totals", v, ct_report_kv_totals(r, v));
	kv_rows(out, "marketing", v, ct_report_kv_marketing(r, v));
	kv_rows(out, "answer_time", v, ct_report_kv_answer(r, v));
	kv_rows(out, "callbacks", v, ct_report_kv_callbacks(r, v));
	kv_rows(out, "outbound", v, ct_report_kv_outbound(r, v));
	for (i = 0; i < 2 && r->data->hours.set; i++)
		kv_rows(out, i ? "business_hours.after_hours" : "business_hours.in_hours", v,
		    ct_report_kv_bucket(&r->bhours[i], 0, 1, v));
	fputs("</table>\n", out);
}

/* Agents' rings (PBX legs): one row per agent, the ring figures. */
static void ring_agents(FILE *out, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	struct ct_report_ringfig zero = { .pickup_p90_ms = CT_REPORT_NONE };
	char b[64];
	size_t i, j, nv;

	fputs("<h2>Agents' rings (PBX legs)</h2><table><tr><th>agent</th>", out);
	nv = ct_report_kv_rings(&zero, v);
	for (j = 0; j < nv; j++)
		fprintf(out, "<th>%s</th>", v[j].key);
	fputs("</tr>\n", out);
	for (i = 0; i < r->n_ring_agents; i++) {
		fputs("<tr><td>", out);
		esc(out, r->ring_agents[i].agent, 0);
		fputs("</td>", out);
		nv = ct_report_kv_rings(&r->ring_agents[i], v);
		for (j = 0; j < nv; j++)
			fprintf(out, "<td class=\"n\">%s</td>",
			    ct_report_kv_format(&v[j], b, sizeof(b)) ? b : "\xe2\x80\x93");
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/*
 * Missed calls by hour of day (PBX legs): a chart of the missed calls
 * (not answered; answered by IVR/voicemail only) and a table of the team
 * figures per hour.
 */
static void ring_hours(FILE *out, const struct ct_report *r)
{
	static const char *const names[2] = { "not answered", "IVR / voicemail only" };
	static const char *const colors[2] = { "#c62828", "#ef9a9a" };
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	long miss[24 * 2];
	struct chart c;
	char t[96], b[64];
	size_t i, j, nv;

	if (r->n_ring_agents == 0)
		return;
	snprintf(t, sizeof(t), "Missed calls by hour of day (%s)",
	    r->data->tz != NULL ? r->data->tz : "UTC");
	for (i = 0; i < 24; i++) {
		miss[i * 2] = r->ring_hours[i].missed - r->ring_hours[i].machine;
		miss[i * 2 + 1] = r->ring_hours[i].machine;
	}
	fputs("<h2>Missed calls by hour of day (PBX legs)</h2><div class=\"charts\">\n", out);
	c = (struct chart){ t, 24, 2, hour_labels, miss, names, colors };
	vchart(out, &c);
	fputs("</div><table><tr><th>hour</th>", out);
	nv = ct_report_kv_ringhour(r, &r->ring_hours[0], v);
	for (j = 0; j < nv; j++)
		fprintf(out, "<th>%s</th>", v[j].key);
	fputs("</tr>\n", out);
	for (i = 0; i < 24; i++) {
		fprintf(out, "<tr><td>%02zu</td>", i);
		nv = ct_report_kv_ringhour(r, &r->ring_hours[i], v);
		for (j = 0; j < nv; j++)
			fprintf(out, "<td class=\"n\">%s</td>",
			    ct_report_kv_format(&v[j], b, sizeof(b)) ? b : "\xe2\x80\x93");
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

/* A table of groups: key columns, then the (key, value) figures. */
static void group_table(FILE *out, const char *title, const char *const *keys, int nk,
    const struct ct_report_group *g, size_t n, int agent)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	struct ct_report_fig zero = { 0 };
	char b[64];
	size_t i, j, nv;
	int k;

	fprintf(out, "<h2>%s</h2><table><tr>", title);
	for (k = 0; k < nk; k++)
		fprintf(out, "<th>%s</th>", keys[k]);
	nv = agent ? ct_report_kv_agent(&zero, agent > 1, v) : ct_report_kv_group(&zero, v);
	for (j = 0; j < nv; j++)
		fprintf(out, "<th>%s</th>", v[j].key);
	fputs("</tr>\n", out);
	for (i = 0; i < n; i++) {
		fputs("<tr>", out);
		for (k = 0; k < nk; k++) {
			fputs("<td>", out);
			esc(out, g[i].key[k] != NULL ? g[i].key[k] : agent ? "(unknown)" : "(none)", 0);
			fputs("</td>", out);
		}
		nv = agent ? ct_report_kv_agent(&g[i].f, agent > 1, v)
		    : ct_report_kv_group(&g[i].f, v);
		for (j = 0; j < nv; j++)
			fprintf(out, "<td class=\"n\">%s</td>",
			    ct_report_kv_format(&v[j], b, sizeof(b)) ? b : "\xe2\x80\x93");
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void cb_table(FILE *out, const struct ct_report *r)
{
	char t[48];
	size_t i;

	fputs("<h2>Call-back list (missed callers still waiting, oldest first)</h2><table><tr>"
	    "<th>number</th><th>last missed call (local)</th><th>missed calls</th>"
	    "<th>callback attempts</th><th>source</th><th>campaign</th></tr>\n", out);
	for (i = 0; i < r->n_cblist; i++) {
		const struct ct_report_cbitem *it = &r->cblist[i];

		fputs("<tr><td>", out);
		esc(out, it->number, 0);
		ct_report_format_local(r->data->tz, it->last_us, t, sizeof(t));
		fprintf(out, "</td><td>%s</td><td class=\"n\">%ld</td><td class=\"n\">%ld</td><td>",
		    t, it->missed, it->attempts);
		esc(out, it->source, 0);
		fputs("</td><td>", out);
		esc(out, it->campaign, 0);
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

#define MAX_PAGE_LINKS 500   /* calls listed with their page, newest first */

/*
 * Writes s as the path of a URL: bytes outside the unreserved set (RFC 3986
 * §2.3) and '/' percent-encoded, so that the result is also safe in an
 * attribute.
 */
static void url_path(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/')
			fputc(c, out);
		else
			fprintf(out, "%%%02X", c);
	}
}

/*
 * --call-pages DIR: the answered and missed (busy, no answer, cancelled)
 * calls in scope whose page is in DIR, newest first, each linked to
 * DIR/<its page> (docs/pcap.md, "Call pages").
 */
static void pages_table(FILE *out, const struct ct_report *r)
{
	const struct ct_report_data *d = r->data;
	size_t i, shown = 0, total = 0;
	char t[48];

	if (d->call_pages == NULL)
		return;
	for (i = d->n_calls; i-- > 0;) {
		const struct ct_report_call *c = &d->calls[i];

		if (c->page == NULL || !c->scope || (c->disp != CT_RD_ANSWERED &&
		    c->disp != CT_RD_BUSY && c->disp != CT_RD_NOANSWER && c->disp != CT_RD_CANCELLED))
			continue;
		if (total++ == 0)
			fputs("<h2>Calls with a page (answered and missed, newest first)</h2><table><tr>"
			    "<th>start (local)</th><th>caller</th><th>callee</th><th>disposition</th>"
			    "<th>page</th></tr>\n", out);
		if (shown == MAX_PAGE_LINKS)
			continue;
		shown++;
		ct_report_format_local(d->tz, c->start_us, t, sizeof(t));
		fprintf(out, "<tr><td>%s</td><td>", t);
		esc(out, c->cnum, 0);
		fputs("</td><td>", out);
		esc(out, c->dnum, 0);
		fprintf(out, "</td><td>%s</td><td><a href=\"", c->machine ? "noanswer (machine)" :
		    ct_report_disp_name((enum ct_report_disp)c->disp));
		url_path(out, d->call_pages);
		fputc('/', out);
		url_path(out, c->page);
		fputs("\">call</a></td></tr>\n", out);
	}
	if (total > 0)
		fputs("</table>\n", out);
	if (total > shown)
		fprintf(out, "<div class=\"note\">%zu more calls have a page (the newest %d are "
		    "listed).</div>\n", total - shown, MAX_PAGE_LINKS);
	if (total == 0)
		fputs("<h2>Calls with a page</h2><div class=\"sub\">No answered or missed call of "
		    "the report has a page in the --call-pages directory.</div>\n", out);
}

static void head(FILE *out, const struct ct_report *r)
{
	const struct ct_report_data *d = r->data;
	char from[48], to[48], first[48], last[48], msgs[CT_REPORT_NWARN][300];
	const char *codes[CT_REPORT_NWARN];
	size_t i, nw;

	ct_report_format_local(d->tz, d->from_us, from, sizeof(from));
	ct_report_format_local(d->tz, d->to_us, to, sizeof(to));
	ct_report_format_local(d->tz, r->first_us, first, sizeof(first));
	ct_report_format_local(d->tz, r->last_us, last, sizeof(last));
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; img-src data:\">\n"
	    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
	    "<title>calltap report</title>\n<style>%s</style></head><body>\n"
	    "<h1>calltap report</h1>\n<div class=\"sub\">", css);
	esc(out, d->source_name, 0);
	fprintf(out, " &middot; calls starting %s &ndash; %s &middot; data: %s &ndash; %s "
	    "&middot; time zone ", d->from_us == CT_REPORT_NONE ? "(any)" : from,
	    d->to_us == CT_REPORT_NONE ? "(any)" : to, first, last);
	esc(out, d->tz != NULL ? d->tz : "UTC", 0);
	fprintf(out, " &middot; quality call: talk &ge; %g s &middot; lead window %lld s",
	    d->quality_s, (long long)(d->lead_window_us / 1000000));
	if (d->hours_spec != NULL) {
		fputs(" &middot; business hours ", out);
		esc(out, d->hours_spec, 0);
	}
	if (d->costs_from_file) {
		fputs(" &middot; costs in ", out);
		esc(out, d->currency, 0);
	}
	fputs("</div>\n", out);
	nw = ct_report_warnings(r, codes, msgs);
	for (i = 0; i < nw; i++) {
		fprintf(out, "<div class=\"note\"><b>Warning (%s):</b> ", codes[i]);
		esc(out, msgs[i], 0);
		fputs("</div>\n", out);
	}
	for (i = 0, nw = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i])
			fprintf(out, "%s%s", nw++ ? ", " : "<div class=\"note\">The database has no "
			    "column(s) ", ct_report_opt_name[i]);
	if (nw > 0)
		fputs(".</div>\n", out);
}

/*
 * Writes r as one self-contained HTML page to out.  Returns CT_OK, or CT_ERR
 * when out reports a write error.
 */
int ct_report_render_html(const struct ct_report *r, FILE *out)
{
	static const char *const k_src[1] = { "source" };
	static const char *const k_camp[2] = { "source", "campaign" };
	static const char *const k_utm[3] = { "utm_source", "utm_medium", "utm_campaign" };
	static const char *const k_agent[1] = { "agent" };

	head(out, r);
	cards(out, r);
	charts(out, r);
	figures(out, r);
	group_table(out, "Per source", k_src, 1, r->sources, r->n_sources, 0);
	group_table(out, "Per source / campaign", k_camp, 2, r->campaigns, r->n_campaigns, 0);
	if (r->n_sessions > 0)
		group_table(out, "Per session (utm)", k_utm, 3, r->sessions, r->n_sessions, 0);
	group_table(out, "Per answering agent (answered marketing calls)", k_agent, 1, r->agents,
	    r->n_agents, 1);
	group_table(out, "Outbound per agent", k_agent, 1, r->out_agents, r->n_out_agents, 2);
	ring_agents(out, r);
	ring_hours(out, r);
	cb_table(out, r);
	pages_table(out, r);
	fputs("</body></html>\n", out);
	return ferror(out) ? CT_ERR : CT_OK;
}
