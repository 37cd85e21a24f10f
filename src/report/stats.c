/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Figures of `calltap report`, computed from every call row of the store
 * (struct ct_report_data) into struct ct_report.  Every figure is defined in
 * docs/report.md; this file is the reference implementation of those
 * definitions.  History (first-time calls, leads, callbacks) is computed
 * against all rows, the counts against the calls in scope (range and
 * filters) only.
 * Workload: up to a few million rows held in memory.  Numbers are interned
 * (keyed hash, O(1) per row); the history is one array of call indices
 * ordered by number then start time (a counting sort by number id, the rows
 * already come ordered by start), so each number's calls are contiguous and
 * every question about a caller walks only that caller's calls: O(n) for
 * the history, O(n log n) for the sorts of the groups.  No quadratic loop.
 * References: nearest-rank percentile (Hyndman & Fan 1996, definition 1).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "report_int.h"

#define US_PER_S 1000000LL

const int ct_report_within_s[CT_REPORT_NWITHIN] = { 5, 15, 30 };
const int ct_report_cb_min[CT_REPORT_NCB] = { 5, 15, 60 };
const int ct_report_hist_s[CT_REPORT_NHIST] = { 5, 10, 15, 20, 30, 60, 0 };
const char *const ct_report_wday[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* ---- interned strings ------------------------------------------------------ */

static int strtab_grow(struct ct_report_strtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 1024, i, h;
	uint32_t *slots = calloc(ns, sizeof(*slots));

	if (slots == NULL)
		return -1;
	if (t->nslots == 0)
		ct_hash_key_random(&t->key);
	for (i = 0; i < t->n; i++) {
		h = (size_t)ct_siphash(&t->key, t->v[i], strlen(t->v[i])) & (ns - 1);
		while (slots[h] != 0)
			h = (h + 1) & (ns - 1);
		slots[h] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = ns;
	return 0;
}

/*
 * The one copy of s in t (added when new), and its id in *id (may be NULL).
 * NULL on allocation failure.
 */
const char *ct_report_intern(struct ct_report_strtab *t, const char *s, int32_t *id)
{
	size_t len = strlen(s), h;
	char *p;

	if ((t->n + 1) * 2 >= t->nslots && strtab_grow(t) != 0)
		return NULL;
	h = (size_t)ct_siphash(&t->key, s, len) & (t->nslots - 1);
	for (; t->slots[h] != 0; h = (h + 1) & (t->nslots - 1)) {
		p = t->v[t->slots[h] - 1];
		if (strcmp(p, s) == 0) {
			if (id != NULL)
				*id = (int32_t)(t->slots[h] - 1);
			return p;
		}
	}
	if (t->n == t->cap) {
		size_t nc = t->cap ? t->cap * 2 : 1024;
		char **v = realloc(t->v, nc * sizeof(*v));

		if (v == NULL)
			return NULL;
		t->v = v;
		t->cap = nc;
	}
	if (t->n >= INT32_MAX || (p = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(p, s, len + 1);
	t->v[t->n] = p;
	t->slots[h] = (uint32_t)t->n + 1;
	if (id != NULL)
		*id = (int32_t)t->n;
	t->n++;
	return p;
}

void ct_report_strtab_fini(struct ct_report_strtab *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i]);
	free(t->v);
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

/* ---- small helpers --------------------------------------------------------- */

/* num / den as a percentage; NaN when den is 0 (renderers print null/-). */
double ct_report_pct(long num, long den)
{
	return den > 0 ? 100.0 * (double)num / (double)den : NAN;
}

/* sum / n; NaN when n is 0. */
double ct_report_mean(double sum, long n)
{
	return n > 0 ? sum / (double)n : NAN;
}

/* num / den when defined and den > 0, else NaN (costs per call, per lead). */
double ct_report_div(double num, long den, int defined)
{
	return defined && den > 0 ? num / (double)den : NAN;
}

/* strcmp with NULL sorting before every string. */
static int cmp_null(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a != NULL) - (b != NULL);
	return a == b ? 0 : strcmp(a, b);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int is_missed(const struct ct_report_call *c)
{
	return c->disp == CT_RD_BUSY || c->disp == CT_RD_NOANSWER || c->disp == CT_RD_CANCELLED;
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

/* Median of v[0..n) (sorted here); NaN when n is 0. */
static double median(double *v, size_t n)
{
	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_dbl);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* ---- history --------------------------------------------------------------- */

/* Working state of one computation. */
struct ctx {
	struct ct_report *r;
	const struct ct_report_data *d;
	const struct ct_report_call *calls;
	uint32_t *ev;          /* call indices by number then start */
	size_t *off;           /* number id -> first event; off[nstr] = end */
	double *att, *ans;     /* callback delays of the missed callers (totals) */
	size_t n_att, n_ans;
	uint32_t *gkey;        /* call index -> group or number key (scratch) */
	uint32_t *tmp;         /* scratch of n_calls indices */
	int agents_inbound;    /* ranking of the agent groups */
	int64_t horizon_us;    /* the latest end of any call of the store: what it knows */
};

/* What happened to a missed caller after their missed calls. */
struct lead {
	int resolved;          /* reached within the lead window after the last miss */
	int resolved_ever;     /* reached at any time after the last miss */
	int64_t attempt_us;    /* first callback (outbound call to a caller waiting), or NONE */
	int64_t answered_us;   /* first answered one, or NONE */
	int64_t attempt_base;  /* ... measured from the end of the first miss of that wait */
	int64_t answered_base;
	long attempts;
};

static int cmp_call_start(const void *pa, const void *pb)
{
	const struct ct_report_call *a = pa, *b = pb;

	if (a->start_us != b->start_us)
		return a->start_us < b->start_us ? -1 : 1;
	return (a->end_us > b->end_us) - (a->end_us < b->end_us);
}

/*
 * Builds the history index: for each number, its marketing calls (as
 * caller) and outbound calls (as callee), by start (the calls are in start
 * order, so a counting sort by number keeps each number's calls in order).
 * Sets the marketing and first flags of every call.  CT_OK or CT_NOMEM.
 */
static int build_history(struct ctx *x, struct ct_report_data *d, int has_dir)
{
	size_t nstr = d->strs.n, i, n = 0;
	struct ct_report_call *calls = d->calls;

	x->off = calloc(nstr + 2, sizeof(*x->off));
	if (x->off == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++) {
		struct ct_report_call *c = &calls[i];

		c->marketing = c->dir == CT_RDIR_IN || (!has_dir && c->dir == CT_RDIR_UNKNOWN);
		if (c->marketing && c->cid >= 0)
			x->off[c->cid + 1]++, n++;
		else if (c->dir == CT_RDIR_OUT && c->did >= 0)
			x->off[c->did + 1]++, n++;
	}
	for (i = 0; i < nstr; i++)
		x->off[i + 1] += x->off[i];
	x->ev = malloc((n + 1) * sizeof(*x->ev));
	if (x->ev == NULL)
		return CT_NOMEM;
	{
		size_t *pos = malloc((nstr + 1) * sizeof(*pos));

		if (pos == NULL)
			return CT_NOMEM;
		memcpy(pos, x->off, (nstr + 1) * sizeof(*pos));
		for (i = 0; i < d->n_calls; i++) {
			const struct ct_report_call *c = &calls[i];

			if (c->marketing && c->cid >= 0)
				x->ev[pos[c->cid]++] = (uint32_t)i;
			else if (c->dir == CT_RDIR_OUT && c->did >= 0)
				x->ev[pos[c->did]++] = (uint32_t)i;
		}
		free(pos);
	}
	for (i = 0; i < nstr; i++) {
		size_t a = x->off[i], b = x->off[i + 1], j;
		int64_t first = CT_REPORT_NONE;

		for (j = a; j < b && first == CT_REPORT_NONE; j++)
			if (calls[x->ev[j]].marketing)
				first = calls[x->ev[j]].start_us;
		for (j = a; j < b && first != CT_REPORT_NONE; j++) {
			struct ct_report_call *c = &calls[x->ev[j]];

			if (c->marketing && c->start_us == first)
				c->first = 1;
		}
	}
	return CT_OK;
}

/*
 * Walks the history of number id for a missed caller whose first missed
 * call (in the set) is fm and last one lm.  A callback is an outbound call
 * to the caller while they wait: from the end of a missed call (fm or a
 * later one) until someone talked to them, by an answered call of theirs
 * that started after their latest missed call (they got through on their
 * own: no callback is owed, and a later outbound call is not one) or an
 * answered callback.  Its delay counts from the end of the first missed
 * call of that wait.
 */
static void lead_of(const struct ctx *x, int32_t id, const struct ct_report_call *fm,
    const struct ct_report_call *lm, struct lead *l)
{
	int64_t limit = lm->end_us + x->d->lead_window_us;
	int64_t wait_from = 0, miss_start = 0;
	int waiting = 0;
	size_t j;

	memset(l, 0, sizeof(*l));
	l->attempt_us = l->answered_us = CT_REPORT_NONE;
	for (j = x->off[id]; j < x->off[id + 1]; j++) {
		const struct ct_report_call *c = &x->calls[x->ev[j]];
		int ans = c->disp == CT_RD_ANSWERED, reach = 0;

		if (c->dir == CT_RDIR_OUT) {
			if (waiting && c->start_us >= wait_from) {
				l->attempts++;
				if (l->attempt_us == CT_REPORT_NONE) {
					l->attempt_us = c->start_us;
					l->attempt_base = wait_from;
				}
				if (ans && l->answered_us == CT_REPORT_NONE) {
					l->answered_us = c->start_us;
					l->answered_base = wait_from;
				}
				waiting &= !ans;
			}
			reach = ans && c->start_us >= lm->end_us;
		} else {
			if (c->start_us >= fm->start_us && is_missed(c)) {
				if (!waiting)
					wait_from = c->end_us;
				waiting = 1;
				miss_start = c->start_us;
			} else if (ans && waiting && c->start_us > miss_start) {
				waiting = 0;   /* got through on their own */
			}
			reach = ans && c->start_us > lm->start_us;
		}
		if (reach) {
			l->resolved_ever = 1;
			l->resolved |= c->start_us <= limit;
		}
	}
}

/* ---- figures of a set of marketing calls ----------------------------------- */

static void fig_call(struct ct_report_fig *f, const struct ct_report_call *c, double quality_s)
{
	f->calls++;
	f->missed += is_missed(c);
	f->machine += c->machine;
	f->quality += is_quality(c, quality_s);
	f->first_calls += c->first;
	f->repeat += c->cid >= 0 && !c->first;
	if (c->disp == CT_RD_ANSWERED) {
		f->answered++;
		if (c->answer_ms != CT_REPORT_NONE) {
			f->tta_n++;
			f->tta_sum += (double)c->answer_ms;
		}
		if (!isnan(c->talk_s)) {
			f->talk_n++;
			f->talk_sum += c->talk_s;
		}
	}
}

/* Callback figures and call-back list entry of one missed caller (totals). */
static void totals_lead(struct ctx *x, const struct lead *l, const struct ct_report_call *lm,
    long missed)
{
	struct ct_report *r = x->r;
	int i;

	r->cb_attempts += l->attempts;
	if (l->attempt_us != CT_REPORT_NONE) {
		double s = (double)(l->attempt_us - l->attempt_base) / US_PER_S;

		r->cb_called++;
		x->att[x->n_att++] = s;
		for (i = 0; i < CT_REPORT_NCB; i++)
			r->cb_within[i] += s <= ct_report_cb_min[i] * 60.0;
		if (x->d->hours.set) {
			int64_t dl = ct_report_bday_deadline(x->d, l->attempt_base);

			r->cb_bday += dl == CT_REPORT_NONE || l->attempt_us < dl;
		}
	}
	if (l->answered_us != CT_REPORT_NONE) {
		r->cb_answered++;
		x->ans[x->n_ans++] = (double)(l->answered_us - l->answered_base) / US_PER_S;
	}
	if (!l->resolved_ever) {
		struct ct_report_cbitem *it = &r->cblist[r->n_cblist++];

		it->number = lm->cnum;
		it->source = lm->source;
		it->campaign = lm->campaign;
		it->last_us = lm->start_us;
		it->missed = missed;
		it->attempts = l->attempts;
	}
}

/* Adds one to the daily first-time callers of the day of us. */
static void daily_first(struct ct_report *r, const struct ct_report_data *d, int64_t us)
{
	int64_t day = ct_report_local_day(d->tz, us) - r->daily_first_day;

	if (day >= 0 && (size_t)day < r->n_daily)
		r->daily[day].first_callers++;
}

/*
 * Figures of the calls v[0..n) (indices into the calls, ordered by number
 * id, the withheld last, then start) into f; with totals, also the
 * callbacks, the call-back list and the daily first-time callers of r.
 */
static void fig_set(struct ctx *x, const uint32_t *v, size_t n, struct ct_report_fig *f,
    int totals)
{
	const struct ct_report_call *calls = x->calls;
	size_t i = 0, j;

	while (i < n) {
		int32_t id = calls[v[i]].cid;
		const struct ct_report_call *fm = NULL, *lm = NULL, *fc = NULL;
		long missed = 0;
		struct lead l;

		for (j = i; j < n && calls[v[j]].cid == id; j++) {
			const struct ct_report_call *c = &calls[v[j]];

			fig_call(f, c, x->d->quality_s);
			if (c->first && fc == NULL)
				fc = c;
			if (is_missed(c)) {
				missed++;
				fm = fm != NULL ? fm : c;
				lm = c;
			}
		}
		i = j;
		if (id < 0)
			continue;   /* withheld: counted as calls, never as callers */
		f->unique++;
		if (fc != NULL) {
			f->first_callers++;
			if (totals)
				daily_first(x->r, x->d, fc->start_us);
		}
		if (missed == 0)
			continue;
		f->missed_callers++;
		lead_of(x, id, fm, lm, &l);
		/*
		 * Lost only once its lead window has passed within what the store
		 * knows: a caller missed in the last hours of the data may still
		 * be reached (red-team pass 10: a report run at 17:00 counted a
		 * call missed at 16:59 lost).  Until then it is on the call-back
		 * list, not lost.
		 */
		f->lost_leads += !l.resolved && lm->end_us <= x->horizon_us - x->d->lead_window_us;
		if (totals)
			totals_lead(x, &l, lm, missed);
	}
}

/*
 * Stable counting sort of v[0..n) by key[v[i]] in [0, nkeys) into out;
 * O(n + nkeys).  CT_OK or CT_NOMEM.
 */
static int counting_sort(const uint32_t *v, size_t n, const uint32_t *key, size_t nkeys,
    uint32_t *out)
{
	size_t *pos = calloc(nkeys + 1, sizeof(*pos)), i;

	if (pos == NULL)
		return CT_NOMEM;
	for (i = 0; i < n; i++)
		pos[key[v[i]] + 1]++;
	for (i = 0; i < nkeys; i++)
		pos[i + 1] += pos[i];
	for (i = 0; i < n; i++)
		out[pos[key[v[i]]]++] = v[i];
	free(pos);
	return CT_OK;
}

/* ---- groups ---------------------------------------------------------------- */

enum group_kind { G_SOURCE, G_CAMPAIGN, G_SESSION, G_AGENT };

/* Group table: groups keyed by up to three string ids, by keyed hash. */
struct gtab {
	const struct ct_report_data *d;
	struct ct_report_group *g;
	int32_t (*ids)[3];
	size_t n, cap;
	uint32_t *slots;          /* group index + 1, 0 = empty */
	size_t nslots;
};

static size_t gtab_slot(const struct gtab *t, const int32_t *id)
{
	return (size_t)ct_siphash(&t->d->strs.key, id, 3 * sizeof(*id)) & (t->nslots - 1);
}

static int gtab_grow(struct gtab *t)
{
	size_t ns = t->nslots ? t->nslots * 2 : 64, i, h;
	uint32_t *slots = calloc(ns, sizeof(*slots));
	void *g, *ids;

	if (slots == NULL)
		return CT_NOMEM;
	g = realloc(t->g, ns / 2 * sizeof(*t->g));
	ids = g != NULL ? realloc(t->ids, ns / 2 * sizeof(*t->ids)) : NULL;
	if (g != NULL)
		t->g = g;
	if (ids != NULL)
		t->ids = ids;
	if (g == NULL || ids == NULL) {
		free(slots);
		return CT_NOMEM;
	}
	t->cap = ns / 2;
	t->nslots = ns;
	free(t->slots);
	t->slots = slots;
	for (i = 0; i < t->n; i++) {
		for (h = gtab_slot(t, t->ids[i]); slots[h] != 0; h = (h + 1) & (ns - 1))
			;
		slots[h] = (uint32_t)i + 1;
	}
	return CT_OK;
}

/* Index of the group with string ids id[0..2] (added when new); -1 on OOM. */
static long gtab_find(struct gtab *t, const int32_t *id)
{
	const char *const *v = (const char *const *)t->d->strs.v;
	size_t h;
	int k;

	if (t->n + 1 > t->cap && gtab_grow(t) != CT_OK)
		return -1;
	for (h = gtab_slot(t, id); t->slots[h] != 0; h = (h + 1) & (t->nslots - 1)) {
		const int32_t *o = t->ids[t->slots[h] - 1];

		if (o[0] == id[0] && o[1] == id[1] && o[2] == id[2])
			return (long)t->slots[h] - 1;
	}
	memset(&t->g[t->n], 0, sizeof(t->g[t->n]));
	for (k = 0; k < 3; k++) {
		t->ids[t->n][k] = id[k];
		t->g[t->n].key[k] = id[k] >= 0 ? v[id[k]] : NULL;
	}
	t->slots[h] = (uint32_t)t->n + 1;
	return (long)t->n++;
}

static void group_ids(enum group_kind k, const struct ct_report_call *c, int32_t *id)
{
	id[0] = id[1] = id[2] = -1;
	switch (k) {
	case G_SESSION:
		id[0] = c->kid[CT_RK_UTM_SOURCE];
		id[1] = c->kid[CT_RK_UTM_MEDIUM];
		id[2] = c->kid[CT_RK_UTM_CAMPAIGN];
		break;
	case G_AGENT:
		id[0] = c->kid[CT_RK_AGENT];
		break;
	case G_CAMPAIGN:
		id[1] = c->kid[CT_RK_CAMPAIGN];
		/* fall through */
	case G_SOURCE:
		id[0] = c->kid[CT_RK_SOURCE];
		break;
	}
}

static int cmp_group_key(const struct ct_report_group *a, const struct ct_report_group *b)
{
	int c, i;

	for (i = 0; i < 3; i++)
		if ((c = cmp_null(a->key[i], b->key[i])) != 0)
			return c;
	return 0;
}

/* Display order: most calls first, then key. */
static int cmp_group_rank(const void *pa, const void *pb)
{
	const struct ct_report_group *a = pa, *b = pb;

	if (a->f.calls != b->f.calls)
		return a->f.calls < b->f.calls ? 1 : -1;
	return cmp_group_key(a, b);
}

/* Agents: most answered (inbound) first, then key. */
static int cmp_agent_rank(const void *pa, const void *pb)
{
	const struct ct_report_group *a = pa, *b = pb;

	if (a->f.answered != b->f.answered)
		return a->f.answered < b->f.answered ? 1 : -1;
	return cmp_group_key(a, b);
}

/* Cost share of a --costs row in the report range (1 for numbers.cost). */
static double cost_share(const struct ct_report_data *d, const struct ct_report_cost *c)
{
	int64_t lo = c->from_day, hi = c->to_day, days;

	if (c->from_day == CT_REPORT_NONE)
		return 1.0;
	days = c->to_day - c->from_day + 1;
	if (d->from_us != CT_REPORT_NONE) {
		int64_t f = ct_report_local_day(d->tz, d->from_us);

		lo = f > lo ? f : lo;
	}
	if (d->to_us != CT_REPORT_NONE) {
		int64_t t = ct_report_local_day(d->tz, d->to_us - 1);

		hi = t < hi ? t : hi;
	}
	return hi < lo ? 0.0 : (double)(hi - lo + 1) / (double)days;
}

/* A cost row passes the --source / --campaign filters. */
static int cost_in_scope(const struct ct_report_data *d, const struct ct_report_cost *c)
{
	if (d->f_source != NULL && (c->source == NULL || strcmp(c->source, d->f_source) != 0))
		return 0;
	if (d->f_campaign != NULL && (c->campaign == NULL ||
	    strcmp(c->campaign, d->f_campaign) != 0))
		return 0;
	return 1;
}

/*
 * Groups of kind of the calls byc[0..n) (the marketing calls in scope
 * ordered by number then start; for agents, any calls): each group's
 * figures are those of a report filtered to it; costs are added to the
 * source and campaign groups.  The groups go to *out in display order.
 * CT_OK or CT_NOMEM.
 */
static int groups(struct ctx *x, enum group_kind kind, const uint32_t *byc, size_t n,
    uint32_t *gkey, uint32_t *tmp, struct ct_report_group **out, size_t *nout)
{
	const struct ct_report_data *d = x->d;
	struct gtab t = { .d = d };
	int32_t id[3];
	size_t i, j;
	long gi;
	int rc = CT_NOMEM;

	for (i = 0; i < n; i++) {
		group_ids(kind, &x->calls[byc[i]], id);
		if ((gi = gtab_find(&t, id)) < 0)
			goto out;
		gkey[byc[i]] = (uint32_t)gi;
	}
	if (kind == G_AGENT) {
		for (i = 0; i < n; i++)
			fig_call(&t.g[gkey[byc[i]]].f, &x->calls[byc[i]], d->quality_s);
	} else {
		/* stable: by group, then (as byc) number, then start */
		if (counting_sort(byc, n, gkey, t.n, tmp) != CT_OK)
			goto out;
		for (i = 0; i < n; i = j) {
			for (j = i; j < n && gkey[tmp[j]] == gkey[tmp[i]]; j++)
				;
			fig_set(x, tmp + i, j - i, &t.g[gkey[tmp[i]]].f, 0);
		}
	}
	for (i = 0; i < d->n_costs && (kind == G_SOURCE || kind == G_CAMPAIGN); i++) {
		const struct ct_report_cost *c = &d->costs[i];

		if (!cost_in_scope(d, c))
			continue;
		if (kind == G_CAMPAIGN && c->campaign == NULL && d->costs_from_file)
			continue;   /* whole-source spend is not split among campaigns */
		id[0] = c->sid;
		id[1] = kind == G_CAMPAIGN ? c->kid : -1;
		id[2] = -1;
		if ((gi = gtab_find(&t, id)) < 0)
			goto out;
		t.g[gi].f.has_cost = 1;
		t.g[gi].f.cost += c->cost * cost_share(d, c);
	}
	if (t.n > 0)
		qsort(t.g, t.n, sizeof(*t.g), kind == G_AGENT && x->agents_inbound ? cmp_agent_rank
		    : cmp_group_rank);
	*out = t.g;
	*nout = t.n;
	t.g = NULL;
	rc = CT_OK;
out:
	free(t.g);
	free(t.ids);
	free(t.slots);
	return rc;
}

/* ---- the whole report ------------------------------------------------------ */

/* The call passes the range and the filters. */
static int in_scope(const struct ct_report_data *d, const struct ct_report_call *c)
{
	if ((d->from_us != CT_REPORT_NONE && c->start_us < d->from_us) ||
	    (d->to_us != CT_REPORT_NONE && c->start_us >= d->to_us))
		return 0;
	if (d->f_dir != NULL && strcmp(ct_report_dir_name[c->dir], d->f_dir) != 0)
		return 0;
	if (d->f_source != NULL && (c->source == NULL || strcmp(c->source, d->f_source) != 0))
		return 0;
	if (d->f_campaign != NULL && (c->campaign == NULL ||
	    strcmp(c->campaign, d->f_campaign) != 0))
		return 0;
	if (d->f_sensor != NULL && (c->sensor == NULL || strcmp(c->sensor, d->f_sensor) != 0))
		return 0;
	return 1;
}

static void bucket_add(struct ct_report_bucket *b, const struct ct_report_call *c)
{
	b->calls++;
	b->answered += c->disp == CT_RD_ANSWERED;
	b->missed += is_missed(c);
}

/*
 * Counts of the calls in scope that depend on each call alone; collects the
 * marketing calls into m (*nm) and the answer times into tta.
 */
static void scope_pass(struct ctx *x, uint32_t *m, size_t *nm, int64_t *tta)
{
	struct ct_report *r = x->r;
	const struct ct_report_data *d = x->d;
	size_t i, nt = 0;
	int k;

	for (i = 0; i < d->n_calls; i++) {
		const struct ct_report_call *c = &x->calls[i];
		struct tm tm;

		if (!c->scope)
			continue;
		r->calls++;
		r->disp[c->disp]++;
		r->dir[c->dir]++;
		if (r->first_us == CT_REPORT_NONE || c->start_us < r->first_us)
			r->first_us = c->start_us;
		if (r->last_us == CT_REPORT_NONE || c->start_us > r->last_us)
			r->last_us = c->start_us;
		if (c->dir == CT_RDIR_OUT) {
			r->out_calls++;
			if (c->disp == CT_RD_ANSWERED) {
				r->out_answered++;
				if (!isnan(c->talk_s)) {
					r->out_talk_n++;
					r->out_talk_sum += c->talk_s;
				}
			}
		}
		if (!c->marketing)
			continue;
		m[(*nm)++] = (uint32_t)i;
		if (c->disp == CT_RD_ANSWERED && c->answer_ms != CT_REPORT_NONE) {
			tta[nt++] = c->answer_ms;
			for (k = 0; k < CT_REPORT_NWITHIN; k++)
				r->within[k] += c->answer_ms <= (int64_t)ct_report_within_s[k] * 1000;
			r->hist[hist_bucket(c->answer_ms)]++;
		}
		if (ct_report_local(d->tz, c->start_us, &tm) != CT_OK)
			continue;
		bucket_add(&r->by_hour[tm.tm_hour], c);
		bucket_add(&r->by_wday[(tm.tm_wday + 6) % 7], c);
		if (d->hours.set)
			bucket_add(&r->bhours[!d->hours.open[ct_report_minute_of_week(&tm)]], c);
	}
	if (nt > 0) {
		qsort(tta, nt, sizeof(*tta), cmp_i64);
		r->tta_p90_ms = tta[(9 * nt + 9) / 10 - 1];   /* rank ceil(0.9 n), 1-based */
	}
}

/* Daily buckets from the first to the last local day of the scope. */
static int daily(struct ctx *x, const uint32_t *m, size_t nm)
{
	struct ct_report *r = x->r;
	int64_t d0, d1;
	size_t i;

	if (r->first_us == CT_REPORT_NONE)
		return CT_OK;
	d0 = ct_report_local_day(x->d->tz, r->first_us);
	d1 = ct_report_local_day(x->d->tz, r->last_us);
	r->daily = calloc((size_t)(d1 - d0 + 1), sizeof(*r->daily));
	if (r->daily == NULL)
		return CT_NOMEM;
	r->n_daily = (size_t)(d1 - d0 + 1);
	r->daily_first_day = d0;
	for (i = 0; i < nm; i++) {
		const struct ct_report_call *c = &x->calls[m[i]];
		int64_t day = ct_report_local_day(x->d->tz, c->start_us) - d0;

		if (day >= 0 && day <= d1 - d0)
			bucket_add(&r->daily[day], c);
	}
	return CT_OK;
}

static int cmp_cbitem(const void *pa, const void *pb)
{
	const struct ct_report_cbitem *a = pa, *b = pb;

	if (a->last_us != b->last_us)
		return a->last_us < b->last_us ? -1 : 1;
	return strcmp(a->number, b->number);
}

/* Distinct numbers called by the outbound calls in scope. */
static void numbers_called(struct ctx *x, uint8_t *seen)
{
	size_t i;

	for (i = 0; i < x->d->n_calls; i++) {
		const struct ct_report_call *c = &x->calls[i];

		if (c->scope && c->dir == CT_RDIR_OUT && c->did >= 0 && !seen[c->did]) {
			seen[c->did] = 1;
			x->r->out_numbers++;
		}
	}
}

/* Per agent: answered marketing calls (inbound) or outbound calls. */
static int agents(struct ctx *x, int outbound, struct ct_report_group **out, size_t *nout)
{
	const struct ct_report_data *d = x->d;
	uint32_t *v = malloc((d->n_calls + 1) * sizeof(*v));
	size_t i, n = 0;
	int rc;

	if (v == NULL)
		return CT_NOMEM;
	for (i = 0; i < d->n_calls; i++) {
		const struct ct_report_call *c = &x->calls[i];

		if (c->scope && (outbound ? c->dir == CT_RDIR_OUT
		    : c->marketing && c->disp == CT_RD_ANSWERED))
			v[n++] = (uint32_t)i;
	}
	x->agents_inbound = !outbound;
	rc = groups(x, G_AGENT, v, n, x->gkey, x->tmp, out, nout);
	free(v);
	return rc;
}

/* Marketing figures, callbacks and groups; CT_OK or CT_NOMEM. */
static int marketing(struct ctx *x, uint32_t *m, size_t nm)
{
	struct ct_report *r = x->r;
	const struct ct_report_data *d = x->d;
	uint32_t *byc = malloc((nm + 1) * sizeof(*byc));
	size_t i, nstr = d->strs.n;
	int rc = CT_NOMEM;

	x->att = malloc((nm + 1) * sizeof(*x->att));
	x->ans = malloc((nm + 1) * sizeof(*x->ans));
	r->cblist = malloc((nm + 1) * sizeof(*r->cblist));
	if (byc == NULL || x->att == NULL || x->ans == NULL || r->cblist == NULL)
		goto out;
	/* by number (withheld last), then start: m is in start order */
	for (i = 0; i < nm; i++)
		x->gkey[m[i]] = x->calls[m[i]].cid >= 0 ? (uint32_t)x->calls[m[i]].cid
		    : (uint32_t)nstr;
	if (counting_sort(m, nm, x->gkey, nstr + 1, byc) != CT_OK)
		goto out;
	fig_set(x, byc, nm, &r->m, 1);
	r->cb_att_mean = r->cb_ans_mean = NAN;
	for (i = 0; i < x->n_att; i++)
		r->cb_att_mean = (i ? r->cb_att_mean : 0) + x->att[i];
	r->cb_att_mean = ct_report_mean(r->cb_att_mean, (long)x->n_att);
	for (i = 0; i < x->n_ans; i++)
		r->cb_ans_mean = (i ? r->cb_ans_mean : 0) + x->ans[i];
	r->cb_ans_mean = ct_report_mean(r->cb_ans_mean, (long)x->n_ans);
	r->cb_att_median = median(x->att, x->n_att);
	r->cb_ans_median = median(x->ans, x->n_ans);
	qsort(r->cblist, r->n_cblist, sizeof(*r->cblist), cmp_cbitem);
	if (groups(x, G_SOURCE, byc, nm, x->gkey, x->tmp, &r->sources, &r->n_sources) != CT_OK ||
	    groups(x, G_CAMPAIGN, byc, nm, x->gkey, x->tmp, &r->campaigns, &r->n_campaigns)
	    != CT_OK)
		goto out;
	if (d->has_opt[CT_RO_UTM_SOURCE] || d->has_opt[CT_RO_UTM_MEDIUM] ||
	    d->has_opt[CT_RO_UTM_CAMPAIGN])
		if (groups(x, G_SESSION, byc, nm, x->gkey, x->tmp, &r->sessions, &r->n_sessions)
		    != CT_OK)
			goto out;
	for (i = 0; i < d->n_costs; i++) {
		const struct ct_report_cost *c = &d->costs[i];

		if (cost_in_scope(d, c)) {
			r->has_cost = 1;
			r->cost += c->cost * cost_share(d, c);
		}
	}
	r->has_cost |= d->costs_from_file;
	rc = CT_OK;
out:
	free(byc);
	free(x->att);
	free(x->ans);
	x->att = x->ans = NULL;
	return rc;
}

/*
 * Computes every figure of the report from all the rows of d (history) and
 * those in its range and filters (counts) into r, which keeps a borrowed
 * pointer to d; sets the per-call flags of d.  Returns CT_OK, or CT_NOMEM
 * with r released.  Release with ct_report_fini().
 */
int ct_report_compute(struct ct_report *r, struct ct_report_data *d)
{
	struct ctx x;
	uint32_t *m = NULL;
	int64_t *tta = NULL;
	uint8_t *seen = NULL;
	size_t i, nm = 0;
	int has_dir = 0, rc = CT_NOMEM;

	memset(r, 0, sizeof(*r));
	memset(&x, 0, sizeof(x));
	r->data = d;
	r->first_us = r->last_us = r->tta_p90_ms = CT_REPORT_NONE;
	r->cb_att_mean = r->cb_att_median = r->cb_ans_mean = r->cb_ans_median = NAN;
	x.r = r;
	x.d = d;
	x.calls = d->calls;
	for (i = 1; i < d->n_calls; i++)
		if (d->calls[i].start_us < d->calls[i - 1].start_us)
			break;
	if (i < d->n_calls)   /* the loaders ask for start order; sort if not */
		qsort(d->calls, d->n_calls, sizeof(*d->calls), cmp_call_start);
	x.horizon_us = INT64_MIN;
	for (i = 0; i < d->n_calls; i++) {
		has_dir |= d->calls[i].dir != CT_RDIR_UNKNOWN;
		if (d->calls[i].end_us > x.horizon_us)
			x.horizon_us = d->calls[i].end_us;
		d->calls[i].first = 0;
		d->calls[i].scope = (uint8_t)in_scope(d, &d->calls[i]);
	}
	r->no_direction = !has_dir;
	if (build_history(&x, d, has_dir) != CT_OK)
		goto out;
	m = malloc((d->n_calls + 1) * sizeof(*m));
	tta = malloc((d->n_calls + 1) * sizeof(*tta));
	seen = calloc(d->strs.n + 1, 1);
	x.gkey = malloc((d->n_calls + 1) * sizeof(*x.gkey));
	x.tmp = malloc((d->n_calls + 1) * sizeof(*x.tmp));
	if (m == NULL || tta == NULL || seen == NULL || x.gkey == NULL || x.tmp == NULL)
		goto out;
	scope_pass(&x, m, &nm, tta);
	r->mostly_unknown = r->calls > 0 && r->dir[CT_RDIR_UNKNOWN] * 2 > r->calls;
	numbers_called(&x, seen);
	if (daily(&x, m, nm) != CT_OK || marketing(&x, m, nm) != CT_OK ||
	    agents(&x, 0, &r->agents, &r->n_agents) != CT_OK ||
	    agents(&x, 1, &r->out_agents, &r->n_out_agents) != CT_OK ||
	    ct_report_ring_agents(r, d) != CT_OK)
		goto out;
	rc = CT_OK;
out:
	free(m);
	free(tta);
	free(seen);
	free(x.ev);
	free(x.off);
	free(x.gkey);
	free(x.tmp);
	if (rc != CT_OK)
		ct_report_fini(r);
	return rc;
}

/* Frees the arrays of r; r may be NULL. */
void ct_report_fini(struct ct_report *r)
{
	if (r == NULL)
		return;
	free(r->daily);
	free(r->sources);
	free(r->campaigns);
	free(r->sessions);
	free(r->agents);
	free(r->out_agents);
	free(r->ring_agents);
	r->ring_agents = NULL;
	r->n_ring_agents = 0;
	free(r->cblist);
	r->daily = NULL;
	r->sources = r->campaigns = r->sessions = r->agents = r->out_agents = NULL;
	r->cblist = NULL;
	r->n_daily = r->n_sources = r->n_campaigns = r->n_sessions = 0;
	r->n_agents = r->n_out_agents = r->n_cblist = 0;
}
