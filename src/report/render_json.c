/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON rendering of `calltap report`: one object with stable keys, in a
 * fixed order (documented in docs/report.md), for scripts and dashboards.
 * Undefined figures (a ratio over zero calls, a column the database lacks)
 * are null; reals have a fixed number of decimals (percentages 2, ms 1,
 * seconds 3, costs 4) and never print as nan/inf.  Strings use the escaping
 * of the call records (ct_buf_json_str: invalid UTF-8 becomes U+FFFD).
 * Workload: one object of a few KB to a few hundred KB (long agent lists),
 * built in memory and written once.  References: RFC 8259, docs/report.md.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "report_int.h"

/* Appends "key":value with value printed with prec decimals, or null. */
static void jreal(struct ct_buf *b, const char *key, double v, int prec)
{
	if (isnan(v) || isinf(v))
		ct_buf_printf(b, "\"%s\":null", key);
	else
		ct_buf_printf(b, "\"%s\":%.*f", key, prec, v == 0 ? 0.0 : v);
}

static void jint(struct ct_buf *b, const char *key, long v)
{
	ct_buf_printf(b, "\"%s\":%ld", key, v);
}

static void jstr(struct ct_buf *b, const char *key, const char *s)
{
	ct_buf_printf(b, "\"%s\":", key);
	ct_buf_json_str(b, s);
}

/* Like jint, but null when the optional column col is missing. */
static void jopt(struct ct_buf *b, const struct ct_report *r, int col, const char *key, long v)
{
	if (r->data->has_opt[col])
		jint(b, key, v);
	else
		ct_buf_printf(b, "\"%s\":null", key);
}

static void jrange(struct ct_buf *b, const struct ct_report *r)
{
	const struct ct_report_data *d = r->data;
	char t[40];
	int i, n = 0;

	jstr(b, "report", "calltap");
	ct_buf_puts(b, ",\"version\":1,");
	jstr(b, "database", d->source_name);
	ct_buf_puts(b, ",\"range\":{");
	ct_report_format_time(d->from_us, t, sizeof(t));
	jstr(b, "from", d->from_us == CT_REPORT_NONE ? NULL : t);
	ct_report_format_time(d->to_us, t, sizeof(t));
	ct_buf_puts(b, ",");
	jstr(b, "to", d->to_us == CT_REPORT_NONE ? NULL : t);
	ct_buf_puts(b, "},");
	jreal(b, "quality_s", d->quality_s, 3);
	ct_buf_puts(b, ",\"missing_columns\":[");
	for (i = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i]) {
			ct_buf_puts(b, n++ ? "," : "");
			ct_buf_json_str(b, ct_report_opt_name[i]);
		}
	ct_buf_printf(b, "],\"has_costs\":%s,", d->has_numbers ? "true" : "false");
}

static void jtotals(struct ct_buf *b, const struct ct_report *r)
{
	int i;

	ct_buf_puts(b, "\"totals\":{");
	jint(b, "calls", r->calls);
	for (i = 0; i < CT_RD_COUNT; i++) {
		ct_buf_puts(b, ",");
		jint(b, ct_report_disp_name((enum ct_report_disp)i), r->disp[i]);
	}
	ct_buf_puts(b, "},\"missed\":{");
	jint(b, "calls", r->missed);
	ct_buf_puts(b, ",");
	jint(b, "base", r->missable);
	ct_buf_puts(b, ",");
	jreal(b, "rate_pct", ct_report_pct(r->missed, r->missable), 2);
	ct_buf_puts(b, "},");
}

static void janswer(struct ct_buf *b, const struct ct_report *r)
{
	int i;

	ct_buf_puts(b, "\"answer_time\":{");
	jint(b, "calls", r->tta_n);
	ct_buf_puts(b, ",");
	jreal(b, "mean_ms", r->tta_mean_ms, 1);
	ct_buf_puts(b, ",");
	if (r->tta_p90_ms == CT_REPORT_NONE)
		ct_buf_puts(b, "\"p90_ms\":null");
	else
		ct_buf_printf(b, "\"p90_ms\":%lld", (long long)r->tta_p90_ms);
	for (i = 0; i < CT_REPORT_NWITHIN; i++) {
		char k[32];

		snprintf(k, sizeof(k), "within_%ds", ct_report_within_s[i]);
		ct_buf_puts(b, ",");
		jint(b, k, r->within[i]);
		snprintf(k, sizeof(k), "within_%ds_pct", ct_report_within_s[i]);
		ct_buf_puts(b, ",");
		jreal(b, k, ct_report_pct(r->within[i], r->tta_n), 2);
	}
	ct_buf_puts(b, ",\"histogram\":[");
	for (i = 0; i < CT_REPORT_NHIST; i++) {
		ct_buf_printf(b, "%s{\"from_s\":%d,\"to_s\":", i ? "," : "",
		    i ? ct_report_hist_s[i - 1] : 0);
		if (ct_report_hist_s[i] != 0)
			ct_buf_printf(b, "%d", ct_report_hist_s[i]);
		else
			ct_buf_puts(b, "null");
		ct_buf_printf(b, ",\"calls\":%ld}", r->hist[i]);
	}
	ct_buf_puts(b, "]},");
}

static void jcallers(struct ct_buf *b, const struct ct_report *r)
{
	int fc = CT_RO_FIRST_CALL, cb = CT_RO_CALLBACK_S;

	ct_buf_puts(b, "\"quality\":{");
	jint(b, "calls", r->quality);
	ct_buf_puts(b, ",");
	jreal(b, "pct_of_answered", ct_report_pct(r->quality, r->disp[CT_RD_ANSWERED]), 2);
	ct_buf_puts(b, "},\"callers\":{");
	jint(b, "unique", r->unique_callers);
	ct_buf_puts(b, ",");
	jopt(b, r, fc, "first_time", r->first_time);
	ct_buf_puts(b, ",");
	jopt(b, r, fc, "repeat", r->repeat);
	ct_buf_puts(b, ",");
	jopt(b, r, fc, "unknown", r->first_unknown);
	ct_buf_puts(b, "},\"callbacks\":{");
	jopt(b, r, cb, "called_back", r->called_back);
	ct_buf_puts(b, ",");
	jreal(b, "called_back_pct", r->data->has_opt[cb] ?
	    ct_report_pct(r->called_back, r->missed) : NAN, 2);
	ct_buf_puts(b, ",");
	jopt(b, r, cb, "within_5min", r->cb_within_5min);
	ct_buf_puts(b, ",");
	jreal(b, "within_5min_pct", ct_report_pct(r->cb_within_5min, r->called_back), 2);
	ct_buf_puts(b, ",");
	jreal(b, "mean_delay_s", ct_report_mean(r->cb_delay_sum, r->called_back), 3);
	ct_buf_puts(b, "},");
}

static void jbuckets(struct ct_buf *b, const char *key, const char *lkey,
    const struct ct_report_bucket *v, int n, const char *const *labels)
{
	int i;

	ct_buf_printf(b, "\"%s\":[", key);
	for (i = 0; i < n; i++) {
		ct_buf_printf(b, "%s{\"%s\":", i ? "," : "", lkey);
		if (labels != NULL)
			ct_buf_json_str(b, labels[i]);
		else
			ct_buf_printf(b, "%d", i);
		ct_buf_printf(b, ",\"calls\":%ld,\"answered\":%ld,\"missed\":%ld}", v[i].calls,
		    v[i].answered, v[i].missed);
	}
	ct_buf_puts(b, "],");
}

static void jcampaigns(struct ct_buf *b, const struct ct_report *r)
{
	size_t i;

	ct_buf_puts(b, "\"campaigns\":[");
	for (i = 0; i < r->n_campaigns; i++) {
		const struct ct_report_group *g = &r->campaigns[i];
		double cost = g->has_cost ? g->cost : NAN;

		ct_buf_puts(b, i ? ",{" : "{");
		jstr(b, "source", g->source);
		ct_buf_puts(b, ",");
		jstr(b, "campaign", g->campaign);
		ct_buf_printf(b, ",\"calls\":%ld,\"answered\":%ld,\"missed\":%ld,\"quality\":%ld,",
		    g->calls, g->answered, g->missed, g->quality);
		jreal(b, "mean_talk_s", ct_report_mean(g->talk_sum, g->talk_n), 3);
		ct_buf_puts(b, ",");
		jreal(b, "cost", cost, 4);
		ct_buf_puts(b, ",");
		jreal(b, "cost_per_call", ct_report_mean(cost, g->calls), 4);
		ct_buf_puts(b, ",");
		jreal(b, "cost_per_quality_call", ct_report_mean(cost, g->quality), 4);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],");
}

static void jagents(struct ct_buf *b, const struct ct_report *r)
{
	size_t i;

	ct_buf_puts(b, "\"agents\":[");
	for (i = 0; i < r->n_agents; i++) {
		const struct ct_report_group *g = &r->agents[i];

		ct_buf_puts(b, i ? ",{" : "{");
		jstr(b, "agent", g->agent);
		ct_buf_printf(b, ",\"answered\":%ld,", g->answered);
		jreal(b, "mean_talk_s", ct_report_mean(g->talk_sum, g->talk_n), 3);
		ct_buf_printf(b, ",\"quality\":%ld}", g->quality);
	}
	ct_buf_puts(b, "]");
}

/*
 * Writes r as one JSON object followed by a newline to out.  Returns CT_OK,
 * CT_NOMEM when the text could not be built, or CT_ERR on a write error.
 */
int ct_report_render_json(const struct ct_report *r, FILE *out)
{
	struct ct_buf b;
	int rc = CT_OK;

	ct_buf_init(&b);
	ct_buf_puts(&b, "{");
	jrange(&b, r);
	jtotals(&b, r);
	janswer(&b, r);
	jcallers(&b, r);
	jbuckets(&b, "by_hour", "hour", r->by_hour, 24, NULL);
	jbuckets(&b, "by_weekday", "day", r->by_wday, 7, ct_report_wday);
	jcampaigns(&b, r);
	jagents(&b, r);
	ct_buf_puts(&b, "}\n");
	if (b.oom)
		rc = CT_NOMEM;
	else if (fwrite(b.p, 1, b.len, out) != b.len)
		rc = CT_ERR;
	ct_buf_fini(&b);
	return rc;
}
