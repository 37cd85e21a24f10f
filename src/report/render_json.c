/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * JSON rendering of `calltap report`: one object with stable keys, in a
 * fixed order (documented in docs/report.md), for scripts and dashboards.
 * The figures are first listed as (key, value) pairs (ct_report_kv_*), which
 * the CSV renderer shares, so both formats name and round every figure the
 * same way.  Undefined figures (a ratio over zero calls, an unknown cost)
 * are null; reals have a fixed number of decimals (percentages 2, ms 1,
 * seconds 3, costs 4) and never print as nan/inf.  Strings use the escaping
 * of the call records (ct_buf_json_str: invalid UTF-8 becomes U+FFFD).
 * Workload: one object of a few KB to a few MB (long agent, campaign and
 * call-back lists), built in memory and written once.
 * References: RFC 8259, docs/report.md.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "report_int.h"

#define P_PCT 2
#define P_MS 1
#define P_S 3
#define P_COST 4
#define P_INT (-1)

/* ---- figures as (key, value) lists ----------------------------------------- */

static size_t kv(struct ct_report_kv *v, size_t n, const char *key, double val, int prec)
{
	v[n].key = key;
	v[n].v = val;
	v[n].prec = prec;
	return n + 1;
}

/* Formats one value into buf; 0 when it is undefined (buf = ""). */
int ct_report_kv_format(const struct ct_report_kv *v, char *buf, size_t size)
{
	if (isnan(v->v) || isinf(v->v)) {
		snprintf(buf, size, "%s", "");
		return 0;
	}
	if (v->prec < 0)
		snprintf(buf, size, "%.0f", v->v);
	else
		snprintf(buf, size, "%.*f", v->prec, v->v == 0 ? 0.0 : v->v);
	return 1;
}

size_t ct_report_kv_totals(const struct ct_report *r, struct ct_report_kv *v)
{
	size_t n = kv(v, 0, "calls", (double)r->calls, P_INT);
	int i;

	for (i = 0; i < CT_RD_COUNT; i++)
		n = kv(v, n, ct_report_disp_name((enum ct_report_disp)i), (double)r->disp[i], P_INT);
	n = kv(v, n, "inbound", (double)r->dir[CT_RDIR_IN], P_INT);
	n = kv(v, n, "outbound", (double)r->dir[CT_RDIR_OUT], P_INT);
	n = kv(v, n, "internal", (double)r->dir[CT_RDIR_INTERNAL], P_INT);
	return kv(v, n, "unknown", (double)r->dir[CT_RDIR_UNKNOWN], P_INT);
}

size_t ct_report_kv_marketing(const struct ct_report *r, struct ct_report_kv *v)
{
	const struct ct_report_fig *f = &r->m;
	size_t n = 0;

	n = kv(v, n, "calls", (double)f->calls, P_INT);
	n = kv(v, n, "answered", (double)f->answered, P_INT);
	n = kv(v, n, "missed", (double)f->missed, P_INT);
	n = kv(v, n, "missed_rate_pct", ct_report_pct(f->missed, f->calls), P_PCT);
	n = kv(v, n, "missed_callers", (double)f->missed_callers, P_INT);
	n = kv(v, n, "lost_leads", (double)f->lost_leads, P_INT);
	n = kv(v, n, "lost_leads_pct", ct_report_pct(f->lost_leads, f->missed_callers), P_PCT);
	n = kv(v, n, "unique_callers", (double)f->unique, P_INT);
	n = kv(v, n, "first_time_callers", (double)f->first_callers, P_INT);
	n = kv(v, n, "first_time_calls", (double)f->first_calls, P_INT);
	n = kv(v, n, "repeat_calls", (double)f->repeat, P_INT);
	n = kv(v, n, "quality_calls", (double)f->quality, P_INT);
	n = kv(v, n, "quality_pct", ct_report_pct(f->quality, f->answered), P_PCT);
	n = kv(v, n, "cost", r->has_cost ? r->cost : NAN, P_COST);
	n = kv(v, n, "cost_per_call", ct_report_div(r->cost, f->calls, r->has_cost), P_COST);
	n = kv(v, n, "cost_per_lead", ct_report_div(r->cost, f->first_callers, r->has_cost),
	    P_COST);
	n = kv(v, n, "cost_per_quality_call", ct_report_div(r->cost, f->quality,
	    r->has_cost), P_COST);
	return kv(v, n, "answered_by_machine", (double)f->machine, P_INT);
}

size_t ct_report_kv_answer(const struct ct_report *r, struct ct_report_kv *v)
{
	static const char *const k[CT_REPORT_NWITHIN][2] = {
		{ "within_5s", "within_5s_pct" }, { "within_15s", "within_15s_pct" },
		{ "within_30s", "within_30s_pct" }
	};
	size_t n = 0;
	int i;

	n = kv(v, n, "calls", (double)r->m.tta_n, P_INT);
	n = kv(v, n, "mean_ms", ct_report_mean(r->m.tta_sum, r->m.tta_n), P_MS);
	n = kv(v, n, "p90_ms", r->tta_p90_ms == CT_REPORT_NONE ? NAN : (double)r->tta_p90_ms,
	    P_INT);
	for (i = 0; i < CT_REPORT_NWITHIN; i++) {
		n = kv(v, n, k[i][0], (double)r->within[i], P_INT);
		n = kv(v, n, k[i][1], ct_report_pct(r->within[i], r->m.tta_n), P_PCT);
	}
	return n;
}

size_t ct_report_kv_callbacks(const struct ct_report *r, struct ct_report_kv *v)
{
	static const char *const k[CT_REPORT_NCB][2] = {
		{ "within_5min", "within_5min_pct" }, { "within_15min", "within_15min_pct" },
		{ "within_60min", "within_60min_pct" }
	};
	long mc = r->m.missed_callers;
	int bh = r->data->hours.set, i;
	size_t n = 0;

	n = kv(v, n, "missed_callers", (double)mc, P_INT);
	n = kv(v, n, "called_back", (double)r->cb_called, P_INT);
	n = kv(v, n, "called_back_pct", ct_report_pct(r->cb_called, mc), P_PCT);
	n = kv(v, n, "answered_callback", (double)r->cb_answered, P_INT);
	n = kv(v, n, "answered_callback_pct", ct_report_pct(r->cb_answered, mc), P_PCT);
	for (i = 0; i < CT_REPORT_NCB; i++) {
		n = kv(v, n, k[i][0], (double)r->cb_within[i], P_INT);
		n = kv(v, n, k[i][1], ct_report_pct(r->cb_within[i], mc), P_PCT);
	}
	n = kv(v, n, "within_business_day", bh ? (double)r->cb_bday : NAN, P_INT);
	n = kv(v, n, "within_business_day_pct", bh ? ct_report_pct(r->cb_bday, mc) : NAN, P_PCT);
	n = kv(v, n, "attempt_delay_mean_s", r->cb_att_mean, P_S);
	n = kv(v, n, "attempt_delay_median_s", r->cb_att_median, P_S);
	n = kv(v, n, "answered_delay_mean_s", r->cb_ans_mean, P_S);
	n = kv(v, n, "answered_delay_median_s", r->cb_ans_median, P_S);
	return kv(v, n, "attempts", (double)r->cb_attempts, P_INT);
}

size_t ct_report_kv_outbound(const struct ct_report *r, struct ct_report_kv *v)
{
	size_t n = 0;

	n = kv(v, n, "calls", (double)r->out_calls, P_INT);
	n = kv(v, n, "answered", (double)r->out_answered, P_INT);
	n = kv(v, n, "talk_s", r->out_talk_sum, P_S);
	n = kv(v, n, "mean_talk_s", ct_report_mean(r->out_talk_sum, r->out_talk_n), P_S);
	return kv(v, n, "numbers_called", (double)r->out_numbers, P_INT);
}

/* A bucket: calls, answered, missed [, missed_rate_pct] [, first_time_callers]. */
size_t ct_report_kv_bucket(const struct ct_report_bucket *b, int daily, int rate,
    struct ct_report_kv *v)
{
	size_t n = 0;

	n = kv(v, n, "calls", (double)b->calls, P_INT);
	n = kv(v, n, "answered", (double)b->answered, P_INT);
	n = kv(v, n, "missed", (double)b->missed, P_INT);
	if (rate)
		n = kv(v, n, "missed_rate_pct", ct_report_pct(b->missed, b->calls), P_PCT);
	if (daily)
		n = kv(v, n, "first_time_callers", (double)b->first_callers, P_INT);
	return n;
}

size_t ct_report_kv_group(const struct ct_report_fig *f, struct ct_report_kv *v)
{
	size_t n = 0;

	n = kv(v, n, "calls", (double)f->calls, P_INT);
	n = kv(v, n, "answered", (double)f->answered, P_INT);
	n = kv(v, n, "missed", (double)f->missed, P_INT);
	n = kv(v, n, "missed_rate_pct", ct_report_pct(f->missed, f->calls), P_PCT);
	n = kv(v, n, "missed_callers", (double)f->missed_callers, P_INT);
	n = kv(v, n, "lost_leads", (double)f->lost_leads, P_INT);
	n = kv(v, n, "first_time_callers", (double)f->first_callers, P_INT);
	n = kv(v, n, "unique_callers", (double)f->unique, P_INT);
	n = kv(v, n, "quality_calls", (double)f->quality, P_INT);
	n = kv(v, n, "mean_answer_ms", ct_report_mean(f->tta_sum, f->tta_n), P_MS);
	n = kv(v, n, "mean_talk_s", ct_report_mean(f->talk_sum, f->talk_n), P_S);
	n = kv(v, n, "cost", f->has_cost ? f->cost : NAN, P_COST);
	n = kv(v, n, "cost_per_call", ct_report_div(f->cost, f->calls, f->has_cost), P_COST);
	n = kv(v, n, "cost_per_lead", ct_report_div(f->cost, f->first_callers, f->has_cost),
	    P_COST);
	return kv(v, n, "cost_per_quality_call", ct_report_div(f->cost, f->quality,
	    f->has_cost), P_COST);
}

size_t ct_report_kv_agent(const struct ct_report_fig *f, int outbound, struct ct_report_kv *v)
{
	size_t n = 0;

	if (outbound)
		n = kv(v, n, "calls", (double)f->calls, P_INT);
	n = kv(v, n, "answered", (double)f->answered, P_INT);
	n = kv(v, n, "talk_s", f->talk_sum, P_S);
	n = kv(v, n, "mean_talk_s", ct_report_mean(f->talk_sum, f->talk_n), P_S);
	if (!outbound) {
		n = kv(v, n, "quality_calls", (double)f->quality, P_INT);
		n = kv(v, n, "mean_answer_ms", ct_report_mean(f->tta_sum, f->tta_n), P_MS);
	}
	return n;
}

/* Ring figures of one agent (docs/report.md, Agents' rings). */
size_t ct_report_kv_rings(const struct ct_report_ringfig *f, struct ct_report_kv *v)
{
	size_t n = 0;

	n = kv(v, n, "rings", (double)f->rings, P_INT);
	n = kv(v, n, "answered", (double)f->answered, P_INT);
	n = kv(v, n, "missed_rings", (double)f->missed, P_INT);
	n = kv(v, n, "cancelled_elsewhere", (double)f->elsewhere, P_INT);
	n = kv(v, n, "answer_rate_pct", ct_report_pct(f->answered, f->answered + f->missed), P_PCT);
	n = kv(v, n, "pickup_mean_s", ct_report_mean(f->pickup_sum, f->pickup_n) / 1000.0, P_S);
	n = kv(v, n, "pickup_p90_s", f->pickup_p90_ms == CT_REPORT_NONE ? NAN :
	    (double)f->pickup_p90_ms / 1000.0, P_S);
	n = kv(v, n, "calls_taken", (double)f->taken, P_INT);
	n = kv(v, n, "talk_s", f->talk_sum, P_S);
	return kv(v, n, "calls_transferred", (double)f->transferred, P_INT);
}

/*
 * Team figures of one hour of day (docs/report.md, Missed calls by hour):
 * missed_per_day is the mean over the report's days (r->n_daily).
 */
size_t ct_report_kv_ringhour(const struct ct_report *r, const struct ct_report_ringhour *h,
    struct ct_report_kv *v)
{
	size_t n = 0;

	n = kv(v, n, "calls", (double)h->calls, P_INT);
	n = kv(v, n, "missed", (double)h->missed, P_INT);
	n = kv(v, n, "answered_by_machine", (double)h->machine, P_INT);
	n = kv(v, n, "missed_per_day", r->n_daily > 0 ? (double)h->missed / (double)r->n_daily :
	    NAN, P_PCT);
	n = kv(v, n, "missed_rate_pct", ct_report_pct(h->missed, h->calls), P_PCT);
	n = kv(v, n, "rings", (double)h->rings, P_INT);
	n = kv(v, n, "missed_rings", (double)h->missed_rings, P_INT);
	return kv(v, n, "agents_answering", (double)h->agents, P_INT);
}

/*
 * The warnings of r (docs/report.md, Directions; Several sensors): codes
 * and one-line messages; returns their number (0-CT_REPORT_NWARN).
 */
size_t ct_report_warnings(const struct ct_report *r, const char **codes, char msgs[CT_REPORT_NWARN][300])
{
	size_t n = 0;

	if (r->no_direction) {
		codes[n] = "no_direction";
		snprintf(msgs[n++], 300, "no call in the store has a known direction (calltap "
		    "ran without --home): calls of unknown direction are counted as inbound");
	}
	if (r->mostly_unknown) {
		codes[n] = "mostly_unknown_direction";
		snprintf(msgs[n++], 300, "%ld of %ld calls in range (%.1f%%) have an unknown "
		    "direction%s", r->dir[CT_RDIR_UNKNOWN], r->calls,
		    ct_report_pct(r->dir[CT_RDIR_UNKNOWN], r->calls), r->no_direction ? ""
		    : ": they are left out of the marketing figures (configure calltap --home)");
	}
	if (r->data != NULL && r->data->sensor_copies > 0) {
		codes[n] = "sensor_copies";
		snprintf(msgs[n++], 300, "%ld records are other sensors' copies of calls "
		    "recorded by several sensors (same Call-ID, start within 2 s): each such "
		    "call is counted once", r->data->sensor_copies);
	}
	return n;
}

/* ---- JSON ------------------------------------------------------------------ */

static void jkvs(struct ct_buf *b, const struct ct_report_kv *v, size_t n, int comma)
{
	char t[64];
	size_t i;

	for (i = 0; i < n; i++) {
		ct_buf_printf(b, "%s\"%s\":", comma || i ? "," : "", v[i].key);
		ct_buf_puts(b, ct_report_kv_format(&v[i], t, sizeof(t)) ? t : "null");
	}
}

static void jstr(struct ct_buf *b, const char *key, const char *s)
{
	ct_buf_printf(b, "\"%s\":", key);
	ct_buf_json_str(b, s);
}

static void jtime(struct ct_buf *b, const char *key, int64_t us)
{
	char t[40];

	ct_report_format_time(us, t, sizeof(t));
	jstr(b, key, us == CT_REPORT_NONE ? NULL : t);
}

static void jheader(struct ct_buf *b, const struct ct_report *r)
{
	const struct ct_report_data *d = r->data;
	const char *codes[CT_REPORT_NWARN];
	char msgs[CT_REPORT_NWARN][300];
	size_t i, nw;
	int n = 0;

	jstr(b, "report", "calltap");
	ct_buf_puts(b, ",\"version\":2,");
	jstr(b, "database", d->source_name);
	ct_buf_puts(b, ",\"range\":{");
	jtime(b, "from", d->from_us);
	ct_buf_puts(b, ",");
	jtime(b, "to", d->to_us);
	ct_buf_puts(b, "},\"data_range\":{");
	jtime(b, "first", r->first_us);
	ct_buf_puts(b, ",");
	jtime(b, "last", r->last_us);
	ct_buf_puts(b, "},");
	jstr(b, "tz", d->tz != NULL ? d->tz : "UTC");
	ct_buf_printf(b, ",\"quality_s\":%.3f,\"lead_window_s\":%lld,", d->quality_s,
	    (long long)(d->lead_window_us / 1000000));
	jstr(b, "hours", d->hours_spec);
	ct_buf_puts(b, ",\"filters\":{");
	jstr(b, "direction", d->f_dir);
	ct_buf_puts(b, ",");
	jstr(b, "source", d->f_source);
	ct_buf_puts(b, ",");
	jstr(b, "campaign", d->f_campaign);
	ct_buf_puts(b, ",");
	jstr(b, "sensor", d->f_sensor);
	ct_buf_puts(b, "},\"missing_columns\":[");
	for (i = 0; i < CT_RO_COUNT; i++)
		if (!d->has_opt[i]) {
			ct_buf_puts(b, n++ ? "," : "");
			ct_buf_json_str(b, ct_report_opt_name[i]);
		}
	ct_buf_printf(b, "],\"has_costs\":%s,\"cost_source\":", r->has_cost ? "true" : "false");
	ct_buf_json_str(b, d->costs_from_file ? "file" : r->has_cost ? "numbers" : NULL);
	ct_buf_puts(b, ",");
	jstr(b, "currency", d->costs_from_file ? d->currency : NULL);
	ct_buf_puts(b, ",\"warnings\":[");
	nw = ct_report_warnings(r, codes, msgs);
	for (i = 0; i < nw; i++) {
		ct_buf_puts(b, i ? ",{" : "{");
		jstr(b, "code", codes[i]);
		ct_buf_puts(b, ",");
		jstr(b, "message", msgs[i]);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],");
}

static void jobject(struct ct_buf *b, const char *key, const struct ct_report_kv *v,
    size_t n)
{
	ct_buf_printf(b, "\"%s\":{", key);
	jkvs(b, v, n, 0);
	ct_buf_puts(b, "},");
}

static void jfigures(struct ct_buf *b, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	int i;

	jobject(b, "totals", v, ct_report_kv_totals(r, v));
	jobject(b, "marketing", v, ct_report_kv_marketing(r, v));
	ct_buf_puts(b, "\"answer_time\":{");
	jkvs(b, v, ct_report_kv_answer(r, v), 0);
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
	jobject(b, "callbacks", v, ct_report_kv_callbacks(r, v));
	if (r->data->hours.set) {
		ct_buf_puts(b, "\"business_hours\":{\"in_hours\":{");
		jkvs(b, v, ct_report_kv_bucket(&r->bhours[0], 0, 1, v), 0);
		ct_buf_puts(b, "},\"after_hours\":{");
		jkvs(b, v, ct_report_kv_bucket(&r->bhours[1], 0, 1, v), 0);
		ct_buf_puts(b, "}},");
	} else {
		ct_buf_puts(b, "\"business_hours\":null,");
	}
	jobject(b, "outbound", v, ct_report_kv_outbound(r, v));
}

static void jbuckets(struct ct_buf *b, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	char day[16];
	size_t i;

	ct_buf_puts(b, "\"by_hour\":[");
	for (i = 0; i < 24; i++) {
		ct_buf_printf(b, "%s{\"hour\":%zu", i ? "," : "", i);
		jkvs(b, v, ct_report_kv_bucket(&r->by_hour[i], 0, 0, v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],\"by_weekday\":[");
	for (i = 0; i < 7; i++) {
		ct_buf_printf(b, "%s{\"day\":\"%s\"", i ? "," : "", ct_report_wday[i]);
		jkvs(b, v, ct_report_kv_bucket(&r->by_wday[i], 0, 0, v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],\"daily\":[");
	for (i = 0; i < r->n_daily; i++) {
		ct_report_format_day(r->daily_first_day + (int64_t)i, day, sizeof(day));
		ct_buf_printf(b, "%s{\"date\":\"%s\"", i ? "," : "", day);
		jkvs(b, v, ct_report_kv_bucket(&r->daily[i], 1, 0, v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],");
}

/* A list of groups with nk key names. */
static void jgroups(struct ct_buf *b, const char *name, const char *const *keys, int nk,
    const struct ct_report_group *g, size_t n, int agent)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	size_t i;
	int k;

	ct_buf_printf(b, "\"%s\":[", name);
	for (i = 0; i < n; i++) {
		ct_buf_puts(b, i ? ",{" : "{");
		for (k = 0; k < nk; k++) {
			ct_buf_puts(b, k ? "," : "");
			jstr(b, keys[k], g[i].key[k]);
		}
		if (agent)
			jkvs(b, v, ct_report_kv_agent(&g[i].f, agent > 1, v), 1);
		else
			jkvs(b, v, ct_report_kv_group(&g[i].f, v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],");
}

static void jring_agents(struct ct_buf *b, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	size_t i;

	ct_buf_puts(b, ",\"ring_agents\":[");
	for (i = 0; i < r->n_ring_agents; i++) {
		ct_buf_puts(b, i ? ",{" : "{");
		jstr(b, "agent", r->ring_agents[i].agent);
		jkvs(b, v, ct_report_kv_rings(&r->ring_agents[i], v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "],\"ring_hours\":[");
	for (i = 0; r->n_ring_agents > 0 && i < 24; i++) {
		ct_buf_printf(b, "%s{\"hour\":%zu", i ? "," : "", i);
		jkvs(b, v, ct_report_kv_ringhour(r, &r->ring_hours[i], v), 1);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "]");
}

static void jcblist(struct ct_buf *b, const struct ct_report *r)
{
	char t[48];
	size_t i;

	ct_buf_puts(b, "\"callback_list\":[");
	for (i = 0; i < r->n_cblist; i++) {
		const struct ct_report_cbitem *it = &r->cblist[i];

		ct_buf_puts(b, i ? ",{" : "{");
		jstr(b, "number", it->number);
		ct_buf_puts(b, ",");
		jtime(b, "last_missed", it->last_us);
		ct_report_format_local(r->data->tz, it->last_us, t, sizeof(t));
		ct_buf_puts(b, ",");
		jstr(b, "last_missed_local", t);
		ct_buf_printf(b, ",\"missed_calls\":%ld,\"callback_attempts\":%ld,", it->missed,
		    it->attempts);
		jstr(b, "source", it->source);
		ct_buf_puts(b, ",");
		jstr(b, "campaign", it->campaign);
		ct_buf_puts(b, "}");
	}
	ct_buf_puts(b, "]");
}

/*
 * Writes r as one JSON object followed by a newline to out.  Returns CT_OK,
 * CT_NOMEM when the text could not be built, or CT_ERR on a write error.
 */
int ct_report_render_json(const struct ct_report *r, FILE *out)
{
	static const char *const k_src[1] = { "source" };
	static const char *const k_camp[2] = { "source", "campaign" };
	static const char *const k_utm[3] = { "utm_source", "utm_medium", "utm_campaign" };
	static const char *const k_agent[1] = { "agent" };
	struct ct_buf b;
	int rc = CT_OK;

	ct_buf_init(&b);
	ct_buf_puts(&b, "{");
	jheader(&b, r);
	jfigures(&b, r);
	jbuckets(&b, r);
	jgroups(&b, "sources", k_src, 1, r->sources, r->n_sources, 0);
	jgroups(&b, "campaigns", k_camp, 2, r->campaigns, r->n_campaigns, 0);
	jgroups(&b, "sessions", k_utm, 3, r->sessions, r->n_sessions, 0);
	jgroups(&b, "agents", k_agent, 1, r->agents, r->n_agents, 1);
	jgroups(&b, "outbound_agents", k_agent, 1, r->out_agents, r->n_out_agents, 2);
	jcblist(&b, r);
	jring_agents(&b, r);
	ct_buf_puts(&b, "}\n");
	if (b.oom)
		rc = CT_NOMEM;
	else if (fwrite(b.p, 1, b.len, out) != b.len)
		rc = CT_ERR;
	ct_buf_fini(&b);
	return rc;
}
