/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Figures of `calltap report`, computed from the call rows of one date range
 * (struct ct_report_data) into struct ct_report.  Every figure is defined in
 * docs/report.md; this file is the reference implementation of those
 * definitions.  Workload: one pass over up to a few million rows held in
 * memory, plus sorts of index arrays for the percentile, the distinct caller
 * count and the per-campaign and per-agent groups (O(n log n), no hashing).
 * References: nearest-rank percentile (Hyndman & Fan 1996, definition 1);
 * days-from-civil calendar arithmetic (proleptic Gregorian, UTC).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "report_int.h"

#define US_PER_S 1000000LL
#define US_PER_DAY (86400LL * US_PER_S)

const int ct_report_within_s[CT_REPORT_NWITHIN] = { 5, 15, 30 };
const int ct_report_hist_s[CT_REPORT_NHIST] = { 5, 10, 15, 20, 30, 60, 0 };
const char *const ct_report_wday[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/*
 * num / den as a percentage; NaN when den is 0 (renderers print null/-).
 */
double ct_report_pct(long num, long den)
{
	return den > 0 ? 100.0 * (double)num / (double)den : NAN;
}

/* sum / n; NaN when n is 0. */
double ct_report_mean(double sum, long n)
{
	return n > 0 ? sum / (double)n : NAN;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* UTC hour of day 0-23. */
static int hour_of(int64_t us)
{
	int64_t s = floor_div(us, US_PER_S);

	return (int)((s - floor_div(s, 86400) * 86400) / 3600);
}

/* UTC day of week, 0 = Monday (1970-01-01 was a Thursday). */
static int wday_of(int64_t us)
{
	int64_t days = floor_div(us, US_PER_DAY);

	return (int)((days + 3 - floor_div(days + 3, 7) * 7));
}

/* strcmp with NULL sorting before every string. */
static int cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int is_missed(const struct ct_report_call *c)
{
	return c->missable && (c->disp == CT_RD_BUSY || c->disp == CT_RD_NOANSWER ||
	    c->disp == CT_RD_CANCELLED);
}

static int is_quality(const struct ct_report_call *c, double quality_s)
{
	return c->disp == CT_RD_ANSWERED && !isnan(c->talk_s) && c->talk_s >= quality_s;
}

/* Index of the histogram bucket of an answer time: (prev, bound] seconds. */
static int hist_bucket(int64_t ms)
{
	int i;

	for (i = 0; i < CT_REPORT_NHIST - 1; i++)
		if (ms <= (int64_t)ct_report_hist_s[i] * 1000)
			return i;
	return CT_REPORT_NHIST - 1;
}

/* Counts of one call that depend on it alone. */
static void add_call(struct ct_report *r, const struct ct_report_call *c, double quality_s)
{
	struct ct_report_bucket *h = &r->by_hour[hour_of(c->start_us)];
	struct ct_report_bucket *w = &r->by_wday[wday_of(c->start_us)];
	int missed = is_missed(c), i;

	r->calls++;
	r->disp[c->disp]++;
	h->calls++;
	w->calls++;
	if (c->disp == CT_RD_ANSWERED) {
		h->answered++;
		w->answered++;
	}
	r->missable += c->missable;
	if (missed) {
		r->missed++;
		h->missed++;
		w->missed++;
		if (!isnan(c->callback_s)) {
			r->called_back++;
			r->cb_delay_sum += c->callback_s;
			r->cb_within_5min += c->callback_s <= 300.0;
		}
	}
	if (c->disp == CT_RD_ANSWERED && c->answer_ms != CT_REPORT_NONE) {
		r->tta_n++;
		r->tta_mean_ms += (double)c->answer_ms;
		for (i = 0; i < CT_REPORT_NWITHIN; i++)
			r->within[i] += c->answer_ms <= (int64_t)ct_report_within_s[i] * 1000;
		r->hist[hist_bucket(c->answer_ms)]++;
	}
	r->quality += is_quality(c, quality_s);
	if (c->first_call == 1)
		r->first_time++;
	else if (c->first_call == 0)
		r->repeat++;
	else
		r->first_unknown++;
}

/* Mean and nearest-rank p90 of the answer times; CT_OK or CT_NOMEM. */
static int answer_times(struct ct_report *r, const struct ct_report_data *d)
{
	int64_t *v;
	size_t i, n = 0;

	r->tta_mean_ms = ct_report_mean(r->tta_mean_ms, r->tta_n);
	r->tta_p90_ms = CT_REPORT_NONE;
	if (r->tta_n == 0)
		return CT_OK;
	v = malloc((size_t)r->tta_n * sizeof(*v));
	if (v == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++)
		if (d->calls[i].disp == CT_RD_ANSWERED && d->calls[i].answer_ms != CT_REPORT_NONE)
			v[n++] = d->calls[i].answer_ms;
	qsort(v, n, sizeof(*v), cmp_i64);
	/* rank = ceil(0.9 n), 1-based */
	r->tta_p90_ms = v[(9 * n + 9) / 10 - 1];
	free(v);
	return CT_OK;
}

/* Number of distinct non-NULL callers; CT_OK or CT_NOMEM. */
static int unique_callers(struct ct_report *r, const struct ct_report_data *d)
{
	const char **v;
	size_t i, n = 0;

	v = malloc((d->n_calls + 1) * sizeof(*v));
	if (v == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++)
		if (d->calls[i].caller != NULL)
			v[n++] = d->calls[i].caller;
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++)
		r->unique_callers += i == 0 || strcmp(v[i - 1], v[i]) != 0;
	free(v);
	return CT_OK;
}

static int cmp_group_key(const struct ct_report_group *a, const struct ct_report_group *b)
{
	int c = cmp_null(a->source, b->source);

	if (c == 0)
		c = cmp_null(a->campaign, b->campaign);
	return c != 0 ? c : cmp_null(a->agent, b->agent);
}

static int cmp_group_key_v(const void *a, const void *b)
{
	return cmp_group_key(a, b);
}

/* Display order: most calls (campaigns) or answers (agents) first, then key. */
static int cmp_group_rank(const void *pa, const void *pb)
{
	const struct ct_report_group *a = pa, *b = pb;
	long x = a->agent != NULL || b->agent != NULL ? a->answered : a->calls;
	long y = a->agent != NULL || b->agent != NULL ? b->answered : b->calls;

	if (x != y)
		return x < y ? 1 : -1;
	return cmp_group_key(a, b);
}

/* Adds call c to group g. */
static void group_add(struct ct_report_group *g, const struct ct_report_call *c, double quality_s)
{
	g->calls++;
	g->answered += c->disp == CT_RD_ANSWERED;
	g->missed += is_missed(c);
	g->quality += is_quality(c, quality_s);
	if (c->disp == CT_RD_ANSWERED && !isnan(c->talk_s)) {
		g->talk_n++;
		g->talk_sum += c->talk_s;
	}
}

/*
 * Sorts the one-call groups in v[0..n) by key and merges equal keys in
 * place; returns the number of groups left.
 */
static size_t merge_groups(struct ct_report_group *v, size_t n)
{
	size_t i, out = 0;

	qsort(v, n, sizeof(*v), cmp_group_key_v);
	for (i = 0; i < n; i++) {
		struct ct_report_group *g = &v[out - (out > 0)];

		if (out > 0 && cmp_group_key(g, &v[i]) == 0) {
			g->calls += v[i].calls;
			g->answered += v[i].answered;
			g->missed += v[i].missed;
			g->quality += v[i].quality;
			g->talk_n += v[i].talk_n;
			g->talk_sum += v[i].talk_sum;
			g->has_cost |= v[i].has_cost;
			g->cost += v[i].cost;
		} else {
			v[out++] = v[i];
		}
	}
	return out;
}

/* Per source/campaign pair, with the cost of its numbers; CT_OK or CT_NOMEM. */
static int campaigns(struct ct_report *r, const struct ct_report_data *d)
{
	struct ct_report_group *v;
	size_t i, n = 0;

	v = calloc(d->n_calls + d->n_costs + 1, sizeof(*v));
	if (v == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++, n++) {
		v[n].source = d->calls[i].source;
		v[n].campaign = d->calls[i].campaign;
		group_add(&v[n], &d->calls[i], d->quality_s);
	}
	for (i = 0; i < d->n_costs; i++, n++) {
		v[n].source = d->costs[i].source;
		v[n].campaign = d->costs[i].campaign;
		v[n].has_cost = 1;
		v[n].cost = d->costs[i].cost;
	}
	n = merge_groups(v, n);
	qsort(v, n, sizeof(*v), cmp_group_rank);
	r->campaigns = v;
	r->n_campaigns = n;
	return CT_OK;
}

/* Per answering agent (answered calls only); CT_OK or CT_NOMEM. */
static int agents(struct ct_report *r, const struct ct_report_data *d)
{
	struct ct_report_group *v;
	size_t i, n = 0;

	v = calloc(d->n_calls + 1, sizeof(*v));
	if (v == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++) {
		if (d->calls[i].disp != CT_RD_ANSWERED)
			continue;
		v[n].agent = d->calls[i].agent != NULL ? d->calls[i].agent : "";
		group_add(&v[n++], &d->calls[i], d->quality_s);
	}
	n = merge_groups(v, n);
	qsort(v, n, sizeof(*v), cmp_group_rank);
	for (i = 0; i < n; i++)
		if (v[i].agent[0] == '\0')
			v[i].agent = NULL;   /* the calls without agent */
	r->agents = v;
	r->n_agents = n;
	return CT_OK;
}

/*
 * Computes every figure of the report from the rows of d (which must
 * already be restricted to the date range) into r, which keeps a borrowed
 * pointer to d.  Returns CT_OK, or CT_NOMEM with r released.  Release with
 * ct_report_fini().
 */
int ct_report_compute(struct ct_report *r, const struct ct_report_data *d)
{
	size_t i;

	memset(r, 0, sizeof(*r));
	r->data = d;
	for (i = 0; i < d->n_calls; i++)
		add_call(r, &d->calls[i], d->quality_s);
	if (answer_times(r, d) != CT_OK || unique_callers(r, d) != CT_OK ||
	    campaigns(r, d) != CT_OK || agents(r, d) != CT_OK) {
		ct_report_fini(r);
		return CT_NOMEM;
	}
	return CT_OK;
}

/* Frees the group arrays of r; r may be NULL. */
void ct_report_fini(struct ct_report *r)
{
	if (r == NULL)
		return;
	free(r->campaigns);
	free(r->agents);
	r->campaigns = r->agents = NULL;
	r->n_campaigns = r->n_agents = 0;
}
