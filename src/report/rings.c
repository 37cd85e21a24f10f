/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-agent ring figures of `calltap report` (docs/report.md, Agents'
 * rings): from the `rings` column of the marketing calls in scope (the
 * JSON array the PBX legs stage writes, docs/schema.md), per agent: rings
 * offered, answered, missed, cancelled because another agent answered,
 * answer rate, mean and 90th percentile pick-up time, calls taken and
 * their talk time.  The rings text is parsed once at load (a small
 * tolerant reader of flat JSON objects: a malformed array is ignored from
 * the first error on).  Agents are listed by name (byte order), so the
 * output never depends on hash order.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "report_int.h"

#define MAX_TEXT 128    /* longest agent / outcome text kept */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* Reads the JSON string at p ('"') into out (cut to MAX_TEXT); NULL on error. */
static const char *jstring(const char *p, char *out)
{
	size_t n = 0;

	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\\') {
			if (*++p == '\0')
				return NULL;
			if (*p == 'u') {       /* kept as is: agents are plain text */
				if (strnlen(p, 5) < 5)
					return NULL;
				p += 4;
				continue;
			}
		}
		if (n < MAX_TEXT)
			out[n++] = *p;
	}
	out[n] = '\0';
	return p + 1;
}

/* Skips a JSON scalar (number, true, false, null); *num its value when a number. */
static const char *jscalar(const char *p, double *num, int *is_num)
{
	char *end;

	*is_num = 0;
	*num = strtod(p, &end);
	if (end != p) {
		*is_num = 1;
		return end;
	}
	if (strncmp(p, "null", 4) == 0 || strncmp(p, "true", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	return NULL;
}

static int outcome_of(const char *s)
{
	static const char *const names[] = {
		"answered", "no_answer", "busy", "rejected", "cancelled_elsewhere",
		"caller_hangup", "failed",
	};
	int i;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return CT_RRING_OTHER;
}

/* Appends one ring to d; CT_OK or CT_NOMEM. */
static int add_ring(struct ct_report_data *d, const char *agent, int outcome, double pickup,
    int transferred)
{
	struct ct_report_ring *g;

	if (d->n_rings == d->cap_rings) {
		size_t cap = d->cap_rings ? d->cap_rings * 2 : 256;
		void *p = realloc(d->rings, cap * sizeof(*d->rings));

		if (p == NULL)
			return CT_NOMEM;
		d->rings = p;
		d->cap_rings = cap;
	}
	g = &d->rings[d->n_rings++];
	g->agent = agent[0] != '\0' ? ct_report_intern(&d->strs, agent, NULL) : NULL;
	if (agent[0] != '\0' && g->agent == NULL)
		return CT_NOMEM;
	g->outcome = (uint8_t)outcome;
	g->transferred = transferred != 0;
	g->pickup_ms = isfinite(pickup) && pickup >= 0 && pickup < 1e12 ? (int64_t)pickup :
	    CT_REPORT_NONE;
	return CT_OK;
}

/*
 * Parses the rings text of call c (NULL: none) into d->rings; sets
 * c->ring0, c->nring and c->pickup_us (the first answered ring's end: a
 * person took the call).  A malformed array keeps the rings read before
 * the error.  CT_OK or CT_NOMEM.
 */
int ct_report_rings_parse(struct ct_report_data *d, struct ct_report_call *c, const char *text)
{
	char key[MAX_TEXT + 1], val[MAX_TEXT + 1], agent[MAX_TEXT + 1];
	const char *p;
	double num, pickup;
	int64_t end_us;
	int is_num, outcome, transferred;

	c->ring0 = (uint32_t)d->n_rings;
	c->nring = 0;
	c->pickup_us = CT_REPORT_NONE;
	if (text == NULL || *(p = ws(text)) != '[')
		return CT_OK;
	for (p = ws(p + 1); *p == '{'; ) {
		agent[0] = '\0';
		outcome = CT_RRING_OTHER;
		pickup = NAN;
		transferred = 0;
		end_us = CT_REPORT_NONE;
		p = ws(p + 1);
		while (*p == '"') {
			if ((p = jstring(p, key)) == NULL || *(p = ws(p)) != ':')
				return CT_OK;
			p = ws(p + 1);
			if (*p == '"') {
				if ((p = jstring(p, val)) == NULL)
					return CT_OK;
				if (strcmp(key, "agent") == 0)
					memcpy(agent, val, sizeof(agent));
				else if (strcmp(key, "outcome") == 0)
					outcome = outcome_of(val);
				else if (strcmp(key, "transferred_to") == 0)
					transferred = val[0] != '\0';
				else if (strcmp(key, "ring_end") == 0 &&
				    ct_report_parse_time(val, 0, &end_us) != CT_OK)
					end_us = CT_REPORT_NONE;
			} else {
				if ((p = jscalar(p, &num, &is_num)) == NULL)
					return CT_OK;
				if (is_num && strcmp(key, "pickup_ms") == 0)
					pickup = num;
			}
			p = ws(p);
			if (*p == ',')
				p = ws(p + 1);
		}
		if (*p != '}')
			return CT_OK;
		if (add_ring(d, agent, outcome, pickup, transferred) != CT_OK)
			return CT_NOMEM;
		if (outcome == CT_RRING_ANSWERED && c->pickup_us == CT_REPORT_NONE)
			c->pickup_us = end_us;
		c->nring++;
		p = ws(p + 1);
		if (*p == ',')
			p = ws(p + 1);
	}
	return CT_OK;
}

static int cmp_str(const void *a, const void *b)
{
	const struct ct_report_ringfig *x = a, *y = b;

	return strcmp(x->agent, y->agent);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The figure of agent in v[0..*n) (added when new); NULL when out of memory. */
static struct ct_report_ringfig *fig_of(struct ct_report_ringfig **v, size_t *n,
    size_t *cap, const char *agent)
{
	size_t i;

	for (i = 0; i < *n; i++)      /* interned: pointers compare */
		if ((*v)[i].agent == agent)
			return &(*v)[i];
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *p = realloc(*v, nc * sizeof(**v));

		if (p == NULL)
			return NULL;
		*v = p;
		*cap = nc;
	}
	memset(&(*v)[*n], 0, sizeof(**v));
	(*v)[*n].agent = agent;
	(*v)[*n].pickup_p90_ms = CT_REPORT_NONE;
	return &(*v)[(*n)++];
}

/* 90th percentile (nearest rank) of the n pick-up times of agent a among the rings. */
static int64_t p90(const struct ct_report_data *d, const char *a, int64_t *tmp)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_calls; i++) {
		const struct ct_report_call *c = &d->calls[i];
		uint32_t k;

		if (!c->scope || !c->marketing)
			continue;
		for (k = 0; k < c->nring; k++) {
			const struct ct_report_ring *g = &d->rings[c->ring0 + k];

			if (g->agent == a && g->outcome == CT_RRING_ANSWERED &&
			    g->pickup_ms != CT_REPORT_NONE)
				tmp[n++] = g->pickup_ms;
		}
	}
	if (n == 0)
		return CT_REPORT_NONE;
	qsort(tmp, n, sizeof(*tmp), cmp_i64);
	return tmp[(n * 9 + 9) / 10 - 1];
}

static int ring_missed(const struct ct_report_ring *g)
{
	return g->outcome == CT_RRING_NO_ANSWER || g->outcome == CT_RRING_BUSY ||
	    g->outcome == CT_RRING_REJECTED || g->outcome == CT_RRING_CALLER_HANGUP;
}

/*
 * Fills r->ring_hours: per local hour of day (the report's time zone) of
 * the start of the marketing calls in scope, the calls, the missed ones
 * (machine answers included, as everywhere in the report), the rings and
 * missed rings, and how many distinct agents answered a ring in that hour
 * (over the whole range).  CT_OK or CT_NOMEM.
 */
static int ring_hours(struct ct_report *r, const struct ct_report_data *d)
{
	const char **seen[24] = { NULL };
	size_t nseen[24] = { 0 }, cap[24] = { 0 }, i, j;
	int rc = CT_OK, hr;

	memset(r->ring_hours, 0, sizeof(r->ring_hours));
	for (i = 0; i < d->n_calls && rc == CT_OK; i++) {
		const struct ct_report_call *c = &d->calls[i];
		struct ct_report_ringhour *h;
		struct tm tm;
		uint32_t k;

		if (!c->scope || !c->marketing || ct_report_local(d->tz, c->start_us, &tm) != CT_OK)
			continue;
		hr = tm.tm_hour;
		h = &r->ring_hours[hr];
		h->calls++;
		h->missed += c->disp == CT_RD_BUSY || c->disp == CT_RD_NOANSWER ||
		    c->disp == CT_RD_CANCELLED;
		h->machine += c->machine;
		for (k = 0; k < c->nring; k++) {
			const struct ct_report_ring *g = &d->rings[c->ring0 + k];

			if (g->agent == NULL)
				continue;    /* as the agents' figures: rings of an agent */
			h->rings++;
			h->missed_rings += ring_missed(g);
			if (g->outcome != CT_RRING_ANSWERED)
				continue;
			for (j = 0; j < nseen[hr] && seen[hr][j] != g->agent; j++)
				;   /* interned: pointers compare; a team is small */
			if (j < nseen[hr])
				continue;
			if (nseen[hr] == cap[hr]) {
				size_t nc = cap[hr] ? cap[hr] * 2 : 8;
				const char **p = realloc(seen[hr], nc * sizeof(*p));

				if (p == NULL) {
					rc = CT_NOMEM;
					break;
				}
				seen[hr] = p;
				cap[hr] = nc;
			}
			seen[hr][nseen[hr]++] = g->agent;
			h->agents++;
		}
	}
	for (hr = 0; hr < 24; hr++)
		free(seen[hr]);
	return rc;
}

/*
 * Fills r->ring_agents from the rings of the marketing calls in scope and
 * the talk time of the calls each agent took.  CT_OK or CT_NOMEM.
 */
int ct_report_ring_agents(struct ct_report *r, const struct ct_report_data *d)
{
	struct ct_report_ringfig *v = NULL, *f;
	size_t n = 0, cap = 0, i;
	int64_t *tmp;

	r->ring_agents = NULL;
	r->n_ring_agents = 0;
	if (d->n_rings == 0)
		return CT_OK;
	for (i = 0; i < d->n_calls; i++) {
		const struct ct_report_call *c = &d->calls[i];
		uint32_t k;

		if (!c->scope || !c->marketing || c->nring == 0)
			continue;
		for (k = 0; k < c->nring; k++) {
			const struct ct_report_ring *g = &d->rings[c->ring0 + k];

			if (g->agent == NULL)
				continue;
			if ((f = fig_of(&v, &n, &cap, g->agent)) == NULL)
				goto nomem;
			f->rings++;
			f->answered += g->outcome == CT_RRING_ANSWERED;
			f->transferred += g->outcome == CT_RRING_ANSWERED && g->transferred;
			f->elsewhere += g->outcome == CT_RRING_ELSEWHERE;
			f->missed += g->outcome == CT_RRING_NO_ANSWER || g->outcome == CT_RRING_BUSY ||
			    g->outcome == CT_RRING_REJECTED || g->outcome == CT_RRING_CALLER_HANGUP;
			if (g->outcome == CT_RRING_ANSWERED && g->pickup_ms != CT_REPORT_NONE) {
				f->pickup_n++;
				f->pickup_sum += (double)g->pickup_ms;
			}
		}
		/* the call's agent took it: its talk time */
		if (c->disp == CT_RD_ANSWERED && c->agent != NULL) {
			for (k = 0; k < c->nring && d->rings[c->ring0 + k].agent != c->agent; k++)
				;
			if (k < c->nring && (f = fig_of(&v, &n, &cap, c->agent)) != NULL) {
				f->taken++;
				if (!isnan(c->talk_s))
					f->talk_sum += c->talk_s;
			}
		}
	}
	if (n == 0)
		return CT_OK;
	if (ring_hours(r, d) != CT_OK)
		goto nomem;
	if ((tmp = malloc(d->n_rings * sizeof(*tmp))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++)
		v[i].pickup_p90_ms = p90(d, v[i].agent, tmp);
	free(tmp);
	qsort(v, n, sizeof(*v), cmp_str);
	r->ring_agents = v;
	r->n_ring_agents = n;
	return CT_OK;
nomem:
	free(v);
	return CT_NOMEM;
}
