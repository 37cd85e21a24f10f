/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * CSV rendering of `calltap report` (--format csv): the tables for a
 * spreadsheet, one section per table ("# name" line, header row, rows, an
 * empty line), with the JSON key names and rounding (ct_report_kv_*).
 * Text cells come from the wire (agent, campaign, number), so they are made
 * safe for spreadsheets as the --csv call records are: control characters
 * removed, ill-formed UTF-8 replaced by U+FFFD, a cell that would start a
 * formula (= + - @) prefixed with ' unless it is a plain +digits number,
 * then RFC 4180 quoting.  Workload: a few hundred KB at most, written once.
 * References: RFC 4180, docs/report.md (csv), docs/schema.md (CSV cells).
 */
#include "config.h"

#include <stdbool.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "report_int.h"

/* Appends text s (NULL: an empty cell) made safe for spreadsheets (ct_buf_csv_safe). */
static void cell(struct ct_buf *b, const char *s, struct ct_buf *tmp)
{
	if (s == NULL)
		return;
	ct_buf_csv_safe(tmp, s);
	if (!tmp->oom)
		ct_buf_csv_str(b, tmp->p != NULL ? tmp->p : "");
}

static void values(struct ct_buf *b, const struct ct_report_kv *v, size_t n, int comma)
{
	char t[64];
	size_t i;

	for (i = 0; i < n; i++) {
		ct_buf_puts(b, comma || i ? "," : "");
		if (ct_report_kv_format(&v[i], t, sizeof(t)))
			ct_buf_puts(b, t);
	}
}

static void names(struct ct_buf *b, const struct ct_report_kv *v, size_t n, int comma)
{
	size_t i;

	for (i = 0; i < n; i++) {
		ct_buf_puts(b, comma || i ? "," : "");
		ct_buf_puts(b, v[i].key);
	}
}

/* figure,value rows of one object, keys prefixed "prefix.". */
static void figure_rows(struct ct_buf *b, const char *prefix, const struct ct_report_kv *v,
    size_t n)
{
	char t[64];
	size_t i;

	for (i = 0; i < n; i++) {
		ct_buf_printf(b, "%s%s%s,", prefix, *prefix ? "." : "", v[i].key);
		if (ct_report_kv_format(&v[i], t, sizeof(t)))
			ct_buf_puts(b, t);
		ct_buf_puts(b, "\n");
	}
}

/* Starts a section: an empty line after the previous one, "# name". */
static void section(struct ct_buf *b, const char *name)
{
	ct_buf_printf(b, "%s# %s\n", b->len ? "\n" : "", name);
}

static void summary(struct ct_buf *b, const struct ct_report *r, struct ct_buf *tmp)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	const char *codes[CT_REPORT_NWARN];
	char msgs[CT_REPORT_NWARN][300];
	size_t i, nw = ct_report_warnings(r, codes, msgs);

	if (nw > 0) {
		section(b, "warnings");
		ct_buf_puts(b, "code,message\n");
		for (i = 0; i < nw; i++) {
			ct_buf_printf(b, "%s,", codes[i]);
			cell(b, msgs[i], tmp);
			ct_buf_puts(b, "\n");
		}
	}
	section(b, "summary");
	ct_buf_puts(b, "figure,value\n");
	figure_rows(b, "totals", v, ct_report_kv_totals(r, v));
	figure_rows(b, "marketing", v, ct_report_kv_marketing(r, v));
	figure_rows(b, "answer_time", v, ct_report_kv_answer(r, v));
	section(b, "callbacks");
	ct_buf_puts(b, "figure,value\n");
	figure_rows(b, "", v, ct_report_kv_callbacks(r, v));
	section(b, "outbound");
	ct_buf_puts(b, "figure,value\n");
	figure_rows(b, "", v, ct_report_kv_outbound(r, v));
	if (r->data->hours.set) {
		section(b, "business_hours");
		ct_buf_puts(b, "hours");
		names(b, v, ct_report_kv_bucket(&r->bhours[0], 0, 1, v), 1);
		ct_buf_puts(b, "\nin_hours");
		values(b, v, ct_report_kv_bucket(&r->bhours[0], 0, 1, v), 1);
		ct_buf_puts(b, "\nafter_hours");
		values(b, v, ct_report_kv_bucket(&r->bhours[1], 0, 1, v), 1);
		ct_buf_puts(b, "\n");
	}
}

static void buckets(struct ct_buf *b, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	char day[16];
	size_t i, n;

	section(b, "by_hour");
	n = ct_report_kv_bucket(&r->by_hour[0], 0, 0, v);
	ct_buf_puts(b, "hour");
	names(b, v, n, 1);
	for (i = 0; i < 24; i++) {
		ct_buf_printf(b, "\n%zu", i);
		values(b, v, ct_report_kv_bucket(&r->by_hour[i], 0, 0, v), 1);
	}
	ct_buf_puts(b, "\n");
	section(b, "by_weekday");
	ct_buf_puts(b, "day");
	names(b, v, n, 1);
	for (i = 0; i < 7; i++) {
		ct_buf_printf(b, "\n%s", ct_report_wday[i]);
		values(b, v, ct_report_kv_bucket(&r->by_wday[i], 0, 0, v), 1);
	}
	ct_buf_puts(b, "\n");
	section(b, "daily");
	ct_buf_puts(b, "date");
	n = ct_report_kv_bucket(&r->by_hour[0], 1, 0, v);
	names(b, v, n, 1);
	for (i = 0; i < r->n_daily; i++) {
		ct_report_format_day(r->daily_first_day + (int64_t)i, day, sizeof(day));
		ct_buf_printf(b, "\n%s", day);
		values(b, v, ct_report_kv_bucket(&r->daily[i], 1, 0, v), 1);
	}
	ct_buf_puts(b, "\n");
}

static void group_table(struct ct_buf *b, const char *name, const char *const *keys, int nk,
    const struct ct_report_group *g, size_t n, int agent, struct ct_buf *tmp)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	struct ct_report_fig zero = { 0 };
	size_t i, nv;
	int k;

	section(b, name);
	for (k = 0; k < nk; k++)
		ct_buf_printf(b, "%s%s", k ? "," : "", keys[k]);
	nv = agent ? ct_report_kv_agent(&zero, agent > 1, v) : ct_report_kv_group(&zero, v);
	names(b, v, nv, 1);
	for (i = 0; i < n; i++) {
		ct_buf_puts(b, "\n");
		for (k = 0; k < nk; k++) {
			ct_buf_puts(b, k ? "," : "");
			cell(b, g[i].key[k], tmp);
		}
		nv = agent ? ct_report_kv_agent(&g[i].f, agent > 1, v)
		    : ct_report_kv_group(&g[i].f, v);
		values(b, v, nv, 1);
	}
	ct_buf_puts(b, "\n");
}

/* Section ring_agents: one row per agent (docs/report.md, Agents' rings). */
static void ring_agents(struct ct_buf *b, const struct ct_report *r, struct ct_buf *tmp)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	struct ct_report_ringfig zero = { .pickup_p90_ms = CT_REPORT_NONE };
	size_t i;

	section(b, "ring_agents");
	ct_buf_puts(b, "agent");
	names(b, v, ct_report_kv_rings(&zero, v), 1);
	for (i = 0; i < r->n_ring_agents; i++) {
		ct_buf_puts(b, "\n");
		cell(b, r->ring_agents[i].agent, tmp);
		values(b, v, ct_report_kv_rings(&r->ring_agents[i], v), 1);
	}
	ct_buf_puts(b, "\n");
}

/* Section ring_hours: 24 rows, only with ring_agents (docs/report.md, Missed calls by hour). */
static void ring_hours(struct ct_buf *b, const struct ct_report *r)
{
	struct ct_report_kv v[CT_REPORT_KV_MAX];
	size_t i;

	if (r->n_ring_agents == 0)
		return;
	section(b, "ring_hours");
	ct_buf_puts(b, "hour");
	names(b, v, ct_report_kv_ringhour(r, &r->ring_hours[0], v), 1);
	for (i = 0; i < 24; i++) {
		ct_buf_printf(b, "\n%zu", i);
		values(b, v, ct_report_kv_ringhour(r, &r->ring_hours[i], v), 1);
	}
	ct_buf_puts(b, "\n");
}

static void cblist(struct ct_buf *b, const struct ct_report *r, struct ct_buf *tmp)
{
	char t[48];
	size_t i;

	section(b, "callback_list");
	ct_buf_puts(b, "number,last_missed,last_missed_local,missed_calls,callback_attempts,"
	    "source,campaign");
	for (i = 0; i < r->n_cblist; i++) {
		const struct ct_report_cbitem *it = &r->cblist[i];

		ct_buf_puts(b, "\n");
		cell(b, it->number, tmp);
		ct_report_format_time(it->last_us, t, sizeof(t));
		ct_buf_printf(b, ",%s,", t);
		ct_report_format_local(r->data->tz, it->last_us, t, sizeof(t));
		ct_buf_printf(b, "%s,%ld,%ld,", t, it->missed, it->attempts);
		cell(b, it->source, tmp);
		ct_buf_puts(b, ",");
		cell(b, it->campaign, tmp);
	}
	ct_buf_puts(b, "\n");
}

/*
 * Writes the tables of r as CSV sections to out.  Returns CT_OK, CT_NOMEM
 * when the text could not be built, or CT_ERR on a write error.
 */
int ct_report_render_csv(const struct ct_report *r, FILE *out)
{
	static const char *const k_src[1] = { "source" };
	static const char *const k_camp[2] = { "source", "campaign" };
	static const char *const k_utm[3] = { "utm_source", "utm_medium", "utm_campaign" };
	static const char *const k_agent[1] = { "agent" };
	struct ct_buf b, tmp;
	int rc = CT_OK;

	ct_buf_init(&b);
	ct_buf_init(&tmp);
	summary(&b, r, &tmp);
	buckets(&b, r);
	group_table(&b, "sources", k_src, 1, r->sources, r->n_sources, 0, &tmp);
	group_table(&b, "campaigns", k_camp, 2, r->campaigns, r->n_campaigns, 0, &tmp);
	if (r->data->has_opt[CT_RO_UTM_SOURCE] || r->data->has_opt[CT_RO_UTM_MEDIUM] ||
	    r->data->has_opt[CT_RO_UTM_CAMPAIGN])
		group_table(&b, "sessions", k_utm, 3, r->sessions, r->n_sessions, 0, &tmp);
	group_table(&b, "agents", k_agent, 1, r->agents, r->n_agents, 1, &tmp);
	group_table(&b, "outbound_agents", k_agent, 1, r->out_agents, r->n_out_agents, 2, &tmp);
	cblist(&b, r, &tmp);
	ring_agents(&b, r, &tmp);
	ring_hours(&b, r);
	if (b.oom || tmp.oom)
		rc = CT_NOMEM;
	else if (fwrite(b.p, 1, b.len, out) != b.len)
		rc = CT_ERR;
	ct_buf_fini(&b);
	ct_buf_fini(&tmp);
	return rc;
}
