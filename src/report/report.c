/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * `calltap report`: reads every call row of a calltap SQLite database (or,
 * built with libpq, the PostgreSQL database of the pgsql sink: same rows,
 * same figures), computes the figures of docs/report.md (stats.c) and
 * renders them as a terminal text report, one JSON object, one
 * self-contained HTML page or CSV tables.  All rows are read, not only
 * those of the range, because first-time callers, callbacks and leads
 * depend on calls before and after it; numbers are taken normalised from
 * caller_number / callee_number, or normalised here with ct_number_norm().
 * Workload: run on demand over a database of up to a few million calls,
 * loaded into memory once (about 130 bytes per call, each distinct text
 * once), read-only, so calltap can keep writing meanwhile (WAL).  Columns
 * added by later schema versions are optional.  Dates are ISO 8601, local
 * time in --tz when they carry no offset.
 * Exit status: 0 success, 1 usage error, 2 the database cannot be read,
 * 3 the output cannot be written.
 * References: ISO 8601 / RFC 3339 §5.6 (date-time syntax),
 * https://sqlite.org/pragma.html#pragma_table_info, docs/schema.md;
 * PostgreSQL 15 manual, libpq §34.1 (PQconnectdbParams), §34.6 (single-row
 * mode), §37 (information_schema.columns).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sqlite3.h>
#ifdef HAVE_PQ
#include <libpq-fe.h>
#endif

#include "calltap/attr.h"
#include "calltap/buf.h"
#include "calltap/clock.h"
#include "calltap/err.h"
#include "calltap/record.h"
#include "calltap/sink.h"
#include "calltap/schema.h"
#include "report_int.h"

#define US_PER_S 1000000LL
#define US_PER_DAY (86400LL * US_PER_S)

struct report_opts {
	const char *db;
	const char *pg;
	const char *from, *to;
	const char *out;
	const char *tz, *hours, *costs, *cc;
	const char *f_dir, *f_source, *f_campaign, *f_sensor;
	const char *call_pages;
	int64_t lead_window_us;
	double quality_s;
	enum ct_report_fmt fmt;
};

const char *const ct_report_opt_name[CT_RO_COUNT] = {
	"end_us", "callee", "sensor", "source", "campaign", "caller_number", "callee_number",
	"utm_source", "utm_medium", "utm_campaign", "duration_s", "answered_by", "parent_call_id",
	"rings"
};

const char *const ct_report_dir_name[CT_RDIR_COUNT] = {
	"unknown", "inbound", "outbound", "internal"
};

#define MAX_REQUIRED 32

/*
 * The columns table calls must have: those the schema table marks
 * CT_REPORT_REQUIRED, in its order (names[MAX_REQUIRED]).  The optional
 * ones (CT_REPORT_OPTIONAL) are ct_report_opt_name[], checked by test_schema.
 */
static size_t required_cols(const char **names)
{
	size_t i, n = 0;

	for (i = 0; i < ct_schema_ncalls && n < MAX_REQUIRED; i++)
		if (ct_schema_calls[i].report == CT_REPORT_REQUIRED)
			names[n++] = ct_schema_calls[i].name;
	return n;
}

/* The report's dispositions are the records' (record.c names them). */
_Static_assert(CT_RD_ANSWERED == (int)CT_DISP_ANSWERED && CT_RD_BUSY == (int)CT_DISP_BUSY &&
    CT_RD_NOANSWER == (int)CT_DISP_NOANSWER && CT_RD_CANCELLED == (int)CT_DISP_CANCELLED &&
    CT_RD_FAILED == (int)CT_DISP_FAILED && CT_RD_UNFINISHED == (int)CT_DISP_UNFINISHED &&
    CT_RD_OTHER == (int)CT_DISP_UNFINISHED + 1, "report dispositions follow enum ct_disposition");

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return dm[m - 1] + (m == 2 && leap);
}

/* Reads exactly n decimal digits at *s into *v; 0 on success. */
static int digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

/* Parses "HH:MM[:SS[.f{1,6}]]" at *s into µs since midnight; 0 on success. */
static int parse_clock(const char **s, int64_t *us)
{
	int h, mi, sec = 0, frac = 0, nf = 0;

	if (digits(s, 2, &h) || *(*s)++ != ':' || digits(s, 2, &mi) || h > 23 || mi > 59)
		return -1;
	if (**s == ':') {
		(*s)++;
		if (digits(s, 2, &sec) || sec > 59)
			return -1;
		if (**s == '.') {
			for ((*s)++; **s >= '0' && **s <= '9' && nf < 6; (*s)++, nf++)
				frac = frac * 10 + (**s - '0');
			if (nf == 0 || (**s >= '0' && **s <= '9'))
				return -1;
			for (; nf < 6; nf++)
				frac *= 10;
		}
	}
	*us = ((int64_t)h * 3600 + mi * 60 + sec) * US_PER_S + frac;
	return 0;
}

/*
 * Parses an ISO 8601 date "YYYY-MM-DD" or date-time
 * "YYYY-MM-DD[T| ]HH:MM[:SS[.ffffff]][Z|+HH:MM|-HH:MM]" into µs since the
 * epoch.  Without Z or an offset the time is local wall-clock time in tz
 * (an IANA name made current by ct_report_tz_set(); NULL = UTC).  A bare
 * date is its local midnight, or with is_end set the next one (so that
 * "--to 2024-03-31" includes that day).  Returns CT_OK, or CT_ERR leaving
 * *us unchanged.
 */
int ct_report_parse_time_tz(const char *s, int is_end, const char *tz, int64_t *us)
{
	int y, m, d, oh, om, sign, bare;
	int64_t clock = 0, days, off = 0, v;
	struct tm tm;

	if (s == NULL || digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &m) ||
	    *s++ != '-' || digits(&s, 2, &d) || m < 1 || m > 12 || d < 1 ||
	    d > days_in_month(y, m))
		return CT_ERR;
	days = ct_days_from_civil(y, (unsigned)m, (unsigned)d);
	bare = *s == '\0';
	if (!bare) {
		if (*s != 'T' && *s != 't' && *s != ' ')
			return CT_ERR;
		s++;
		if (parse_clock(&s, &clock) != 0)
			return CT_ERR;
		if (*s == 'Z' || *s == 'z') {
			s++;
			tz = NULL;
		} else if (*s == '+' || *s == '-') {
			sign = *s++ == '-' ? -1 : 1;
			if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) || oh > 23 ||
			    om > 59)
				return CT_ERR;
			off = sign * ((int64_t)oh * 3600 + om * 60) * US_PER_S;
			tz = NULL;
		}
		if (*s != '\0')
			return CT_ERR;
	} else if (is_end) {
		days++;
	}
	if (tz == NULL) {
		*us = days * US_PER_DAY + clock - off;
		return CT_OK;
	}
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d + (bare && is_end);
	tm.tm_sec = (int)(clock / US_PER_S);
	v = ct_report_from_local(tz, &tm);
	*us = v + clock % US_PER_S;
	return CT_OK;
}

/* ct_report_parse_time_tz() in UTC. */
int ct_report_parse_time(const char *s, int is_end, int64_t *us)
{
	return ct_report_parse_time_tz(s, is_end, NULL, us);
}

/*
 * Writes us as "YYYY-MM-DDTHH:MM:SSZ" (with ".ffffff" when it has a
 * fraction) into buf; "-" for CT_REPORT_NONE.  Always NUL-terminates.
 */
void ct_report_format_time(int64_t us, char *buf, size_t size)
{
	time_t t;
	struct tm tm;
	int64_t frac;

	if (size == 0)
		return;
	if (us == CT_REPORT_NONE) {
		snprintf(buf, size, "-");
		return;
	}
	frac = us % US_PER_S;
	if (frac < 0)
		frac += US_PER_S;
	t = (time_t)((us - frac) / US_PER_S);
	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, size, "?");
		return;
	}
	if (frac != 0)
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long long)frac);
	else
		snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/*
 * Frees every row and string of d and zeroes its arrays; the parameters
 * (range, quality_s) are kept.  d may be NULL.
 */
void ct_report_data_fini(struct ct_report_data *d)
{
	if (d == NULL)
		return;
	ct_report_strtab_fini(&d->strs);
	free(d->currency);
	d->currency = NULL;
	free(d->calls);
	free(d->rings);
	d->rings = NULL;
	d->n_rings = d->cap_rings = 0;
	free(d->costs);
	free(d->source_name);
	while (d->n_pages > 0)
		free(d->pages[--d->n_pages]);
	free(d->pages);
	d->pages = NULL;
	d->cap_pages = 0;
	d->calls = NULL;
	d->costs = NULL;
	d->source_name = NULL;
	d->n_calls = d->cap_calls = d->n_costs = d->cap_costs = 0;
}

/* Column i of st as text, NULL when NULL (valid until the next step). */
static const char *col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static double col_real(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NAN : sqlite3_column_double(st, i);
}

/* The record's disposition name ("answered" ...), "other" for CT_RD_OTHER. */
const char *ct_report_disp_name(enum ct_report_disp d)
{
	return d < CT_RD_OTHER ? ct_disposition_name((enum ct_disposition)d) : "other";
}

static enum ct_report_disp disp_of(const unsigned char *s)
{
	int i;

	for (i = 0; s != NULL && i < CT_RD_OTHER; i++)
		if (strcmp((const char *)s, ct_report_disp_name((enum ct_report_disp)i)) == 0)
			return (enum ct_report_disp)i;
	return CT_RD_OTHER;
}

/* One row of the calls query as text and numbers, before interning. */
struct raw_row {
	int64_t start_us, end_us, answer_ms;   /* end/answer: CT_REPORT_NONE = NULL */
	double talk_s, duration_s;             /* NaN = NULL */
	const char *disp, *dir, *caller, *agent;
	const char *opt[CT_RO_COUNT];           /* optional columns, NULL = NULL */
	const char *call_id;                    /* only with --call-pages */
};

static enum ct_report_dir dir_of(const char *s)
{
	int i;

	for (i = CT_RDIR_IN; s != NULL && i < CT_RDIR_COUNT; i++)
		if (strcmp(s, ct_report_dir_name[i]) == 0)
			return (enum ct_report_dir)i;
	return CT_RDIR_UNKNOWN;
}

/* Interned copy of s (NULL stays NULL); *oom set on failure. */
static const char *intern(struct ct_report_data *d, const char *s, int32_t *id, int *oom)
{
	const char *p;

	if (id != NULL)
		*id = -1;
	if (s == NULL)
		return NULL;
	p = ct_report_intern(&d->strs, s, id);
	*oom |= p == NULL;
	return p;
}

/*
 * Normalised number of a row: the stored normalised column when not NULL,
 * else ct_number_norm() of the wire text; interned, NULL when withheld.
 */
static const char *number_of(struct ct_report_data *d, const char *stored, const char *wire,
    int32_t *id, int *oom)
{
	char num[CT_NUMBER_MAX + 8];

	if (stored != NULL && stored[0] != '\0')
		return intern(d, stored, id, oom);
	if (wire == NULL || ct_number_norm(wire, d->cc, num, sizeof(num)) != CT_OK) {
		*id = -1;
		return NULL;
	}
	return intern(d, num, id, oom);
}

/* Grows an array to hold one more element; 0 on success. */
static int grow(void **v, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 256;
	p = realloc(*v, ncap * elem);
	if (p == NULL)
		return -1;
	*v = p;
	*cap = ncap;
	return 0;
}

/* Appends row w to d->calls, interning its strings; CT_OK or CT_NOMEM. */
/*
 * --call-pages: c->page names call_id's page (ct_call_page_name) when
 * DIR/that name is a regular file; CT_OK or CT_NOMEM.
 */
static int find_page(struct ct_report_data *d, struct ct_report_call *c, const char *call_id)
{
	char name[CT_CALL_PAGE_NAME_MAX], *path;
	struct stat st;
	size_t n;
	bool found;

	if (d->call_pages == NULL || call_id == NULL)
		return CT_OK;
	ct_call_page_name(call_id, name, sizeof(name));
	n = strlen(d->call_pages) + sizeof(name) + 2;
	if ((path = malloc(n)) == NULL)
		return CT_NOMEM;
	snprintf(path, n, "%s/%s", d->call_pages, name);
	found = stat(path, &st) == 0 && S_ISREG(st.st_mode);
	free(path);
	if (!found)
		return CT_OK;
	if (grow((void **)&d->pages, &d->cap_pages, d->n_pages, sizeof(*d->pages)) ||
	    (d->pages[d->n_pages] = strdup(name)) == NULL)
		return CT_NOMEM;
	c->page = d->pages[d->n_pages++];
	return CT_OK;
}

/*
 * A call the PBX answered before an agent took it (an IVR, a queue: the
 * trunk's 200 OK came first, answered_by agent): for marketing the caller
 * was answered when the agent picked up (the first answered ring's end),
 * and talked to a person from then on.  The time to answer and the talk
 * (so quality calls) are the person's; a ring answered before the trunk's
 * answer (a phone picked up, then the PBX answered) changes nothing.
 */
static void person_answer(struct ct_report_call *c, const struct raw_row *w)
{
	int64_t ms;

	if (c->disp != CT_RD_ANSWERED || c->pickup_us == CT_REPORT_NONE ||
	    c->answer_ms == CT_REPORT_NONE || w->opt[CT_RO_ANSWERED_BY] == NULL ||
	    strcmp(w->opt[CT_RO_ANSWERED_BY], "agent") != 0 || c->pickup_us < c->start_us)
		return;
	ms = (c->pickup_us - c->start_us + 500) / 1000;
	if (ms <= c->answer_ms)
		return;
	if (!isnan(c->talk_s)) {
		c->talk_s -= (double)(ms - c->answer_ms) / 1000.0;
		if (c->talk_s < 0)
			c->talk_s = 0;
	}
	c->answer_ms = ms;
}

static int add_row(struct ct_report_data *d, const struct raw_row *w)
{
	struct ct_report_call *c;
	int oom = 0, i;

	/* A PBX leg is part of its trunk call (docs/schema.md, PBX legs), not a call of its own. */
	if (w->opt[CT_RO_PARENT_CALL_ID] != NULL)
		return CT_OK;
	if (grow((void **)&d->calls, &d->cap_calls, d->n_calls, sizeof(*d->calls)))
		return CT_NOMEM;
	c = &d->calls[d->n_calls];
	memset(c, 0, sizeof(*c));
	c->start_us = w->start_us;
	c->end_us = w->start_us;
	if (w->end_us != CT_REPORT_NONE && w->end_us >= w->start_us)
		c->end_us = w->end_us;
	else if (!isnan(w->duration_s) && w->duration_s > 0 && w->duration_s < 1e9)
		c->end_us = w->start_us + llround(w->duration_s * 1e6);
	c->answer_ms = w->answer_ms;
	c->talk_s = c->talk_raw = w->talk_s;
	c->disp = (uint8_t)disp_of((const unsigned char *)w->disp);
	c->dir = (uint8_t)dir_of(w->dir);
	/*
	 * Answered only by an IVR or voicemail: for marketing nobody took the
	 * call, so it counts as not answered (missed), and in answered_by_machine.
	 */
	if (c->disp == CT_RD_ANSWERED && w->opt[CT_RO_ANSWERED_BY] != NULL &&
	    (strcmp(w->opt[CT_RO_ANSWERED_BY], "ivr") == 0 ||
	    strcmp(w->opt[CT_RO_ANSWERED_BY], "voicemail") == 0)) {
		c->disp = CT_RD_NOANSWER;
		c->machine = 1;
		c->answer_ms = CT_REPORT_NONE;
		c->talk_s = NAN;
	}
	c->cnum = number_of(d, w->opt[CT_RO_CALLER_NUMBER], w->caller, &c->cid, &oom);
	c->dnum = number_of(d, w->opt[CT_RO_CALLEE_NUMBER], w->opt[CT_RO_CALLEE], &c->did, &oom);
	c->agent = intern(d, w->agent, &c->kid[CT_RK_AGENT], &oom);
	c->sensor = intern(d, w->opt[CT_RO_SENSOR], NULL, &oom);
	c->source = intern(d, w->opt[CT_RO_SOURCE], &c->kid[CT_RK_SOURCE], &oom);
	c->campaign = intern(d, w->opt[CT_RO_CAMPAIGN], &c->kid[CT_RK_CAMPAIGN], &oom);
	for (i = 0; i < 3; i++)
		c->utm[i] = intern(d, w->opt[CT_RO_UTM_SOURCE + i], &c->kid[CT_RK_UTM_SOURCE + i],
		    &oom);
	if (oom || ct_report_rings_parse(d, c, w->opt[CT_RO_RINGS]) != CT_OK ||
	    find_page(d, c, w->call_id) != CT_OK)
		return CT_NOMEM;
	person_answer(c, w);
	c->idh = w->call_id != NULL ? ct_siphash(&d->idkey, w->call_id, strlen(w->call_id)) | 1 : 0;
	d->n_calls++;
	return CT_OK;
}

/* Reads the current row of the calls query into d; CT_OK or CT_NOMEM. */
static int read_call(sqlite3_stmt *st, struct ct_report_data *d)
{
	struct raw_row w;
	int i;

	w.start_us = sqlite3_column_int64(st, 0);
	w.disp = col_str(st, 1);
	w.dir = col_str(st, 2);
	w.answer_ms = sqlite3_column_type(st, 3) == SQLITE_NULL ? CT_REPORT_NONE
	    : sqlite3_column_int64(st, 3);
	w.talk_s = col_real(st, 4);
	w.caller = col_str(st, 5);
	w.agent = col_str(st, 6);
	for (i = 0; i < CT_RO_COUNT; i++)
		w.opt[i] = i == CT_RO_END_US || i == CT_RO_DURATION_S ? NULL : col_str(st, 7 + i);
	w.end_us = sqlite3_column_type(st, 7 + CT_RO_END_US) == SQLITE_NULL ? CT_REPORT_NONE
	    : sqlite3_column_int64(st, 7 + CT_RO_END_US);
	w.duration_s = col_real(st, 7 + CT_RO_DURATION_S);
	w.call_id = d->has_call_id ? col_str(st, 7 + CT_RO_COUNT) : NULL;
	return add_row(d, &w);
}

/*
 * Presence of columns in table: has[i] set for each names[i] found.
 * Returns the number of columns of the table (0: no such table), or -1 on
 * an SQLite error.
 */
static int table_columns(sqlite3 *db, const char *table, const char *const *names,
    size_t n, int *has)
{
	char sql[64];
	sqlite3_stmt *st;
	size_t i;
	int rc, ncols = 0;

	snprintf(sql, sizeof(sql), "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	memset(has, 0, n * sizeof(*has));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 1);

		ncols++;
		for (i = 0; i < n && name != NULL; i++)
			if (strcmp((const char *)name, names[i]) == 0)
				has[i] = 1;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? ncols : -1;
}

static const char *const call_id_col[] = { "call_id" };

/* Checks calls and numbers; CT_OK, or CT_ERR with the reason in errbuf. */
static int check_schema(sqlite3 *db, struct ct_report_data *d, const char *path, char *errbuf)
{
	static const char *const cost_cols[] = { "source", "campaign", "cost" };
	const char *req[MAX_REQUIRED];
	size_t i, nreq = required_cols(req);
	int has[MAX_REQUIRED], hcost[3], n, len;

	n = table_columns(db, "calls", req, nreq, has);
	if (n < 0)
		goto sql_fail;
	if (n == 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "database '%s' has no table calls "
		    "(not a calltap database?)", path);
		return CT_ERR;
	}
	len = snprintf(errbuf, CT_ERRBUF_SIZE, "database '%s': table calls lacks "
	    "column(s)", path);
	for (i = 0; i < nreq; i++)
		if (!has[i] && len > 0 && len < CT_ERRBUF_SIZE)
			len += snprintf(errbuf + len, CT_ERRBUF_SIZE - (size_t)len, " %s", req[i]);
	for (i = 0; i < nreq; i++)
		if (!has[i])
			return CT_ERR;
	if (table_columns(db, "calls", ct_report_opt_name, CT_RO_COUNT, d->has_opt) < 0 ||
	    table_columns(db, "calls", call_id_col, 1, &d->has_call_id) < 0 ||
	    (n = table_columns(db, "numbers", cost_cols, 3, hcost)) < 0)
		goto sql_fail;
	d->has_numbers = n > 0 && hcost[0] && hcost[1] && hcost[2];
	return CT_OK;
sql_fail:
	snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read database '%s': %s", path,
	    sqlite3_errmsg(db));
	return CT_ERR;
}

/* Builds the calls query: every row with a start (history needs them all). */
static void calls_query(struct ct_buf *q, const struct ct_report_data *d)
{
	int i;

	ct_buf_puts(q, "SELECT start_us, disposition, direction, answer_ms, talk_s, caller, agent");
	for (i = 0; i < CT_RO_COUNT; i++)
		ct_buf_printf(q, ", %s", d->has_opt[i] ? ct_report_opt_name[i] : "NULL");
	if (d->has_call_id)
		ct_buf_puts(q, ", call_id");
	ct_buf_puts(q, " FROM calls WHERE start_us IS NOT NULL ORDER BY start_us");
}

/* Runs the calls query and appends every row to d; SQLite or CT_NOMEM code. */
static int load_calls(sqlite3 *db, struct ct_report_data *d)
{
	struct ct_buf q;
	sqlite3_stmt *st = NULL;
	int rc;

	ct_buf_init(&q);
	calls_query(&q, d);
	rc = q.oom ? SQLITE_NOMEM : sqlite3_prepare_v2(db, q.p, -1, &st, NULL);
	ct_buf_fini(&q);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_call(st, d) != CT_OK) {
			rc = SQLITE_NOMEM;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Appends one numbers.cost sum (source, campaign, cost); CT_OK or CT_NOMEM. */
static int add_number_cost(struct ct_report_data *d, const char *source, const char *campaign,
    double cost)
{
	struct ct_report_cost *c;
	int oom = 0;

	if (grow((void **)&d->costs, &d->cap_costs, d->n_costs, sizeof(*d->costs)))
		return CT_NOMEM;
	c = &d->costs[d->n_costs];
	c->source = intern(d, source, &c->sid, &oom);
	c->campaign = intern(d, campaign, &c->kid, &oom);
	c->from_day = c->to_day = CT_REPORT_NONE;
	c->cost = cost;
	if (oom)
		return CT_NOMEM;
	d->n_costs++;
	return CT_OK;
}

/* Sums numbers.cost per (source, campaign) into d->costs; SQLite code. */
static int load_costs(sqlite3 *db, struct ct_report_data *d)
{
	sqlite3_stmt *st = NULL;
	int rc, oom = 0;

	if (!d->has_numbers || d->costs_from_file)
		return SQLITE_OK;
	rc = sqlite3_prepare_v2(db, "SELECT source, campaign, SUM(cost) FROM numbers"
	    " WHERE cost IS NOT NULL GROUP BY source, campaign", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && !oom)
		oom = add_number_cost(d, col_str(st, 0), col_str(st, 1),
		    sqlite3_column_double(st, 2)) != CT_OK;
	sqlite3_finalize(st);
	if (oom)
		return SQLITE_NOMEM;
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Loads every call (rows without start_us are skipped), in start order,
 * and, unless a costs file was loaded, the summed numbers.cost from the
 * SQLite database at path, opened read-only.  d must be zeroed apart from its parameters.  Returns CT_OK,
 * or CT_ERR with "cannot open database 'path': ...", a missing-table or
 * missing-column message in errbuf; rows read so far stay in d (release
 * with ct_report_data_fini()).
 */
int ct_report_load_sqlite(struct ct_report_data *d, const char *path, char *errbuf)
{
	sqlite3 *db = NULL;
	int rc;

	d->source_name = strdup(path);
	if (d->source_name == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return CT_ERR;
	}
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open database '%s': %s", path,
		    db != NULL ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return CT_ERR;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = check_schema(db, d, path, errbuf);
	if (rc == CT_OK && ((rc = load_calls(db, d)) != SQLITE_OK ||
	    (rc = load_costs(db, d)) != SQLITE_OK)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read database '%s': %s", path,
		    rc == SQLITE_NOMEM ? "out of memory" : sqlite3_errmsg(db));
		rc = CT_ERR;
	}
	sqlite3_close(db);
	return rc == CT_OK ? CT_OK : CT_ERR;
}


#ifdef HAVE_PQ
/*
 * PostgreSQL loading: the same rows as the SQLite path, through the same
 * query text (calls_query), read in single-row mode so that libpq never
 * holds the whole result next to d.  Everything runs in one read-only
 * REPEATABLE READ transaction, so calls and numbers are one snapshot.
 */

/* Runs sql expecting want; the result (to PQclear), or NULL on failure. */
static PGresult *pg_exec(PGconn *conn, const char *sql, ExecStatusType want)
{
	PGresult *res = PQexec(conn, sql);

	if (PQresultStatus(res) != want) {
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Field (row 0, i) of a single-row result as text, NULL when NULL. */
static const char *pg_str(const PGresult *res, int i)
{
	return PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
}

static double pg_real(const PGresult *res, int row, int i)
{
	return PQgetisnull(res, row, i) ? NAN : strtod(PQgetvalue(res, row, i), NULL);
}

static int64_t pg_int(const PGresult *res, int i)
{
	return PQgetisnull(res, 0, i) ? CT_REPORT_NONE : strtoll(PQgetvalue(res, 0, i), NULL, 10);
}

/* Reads row 0 of one single-row result into d (as read_call); CT_OK or CT_NOMEM. */
static int pg_read_call(const PGresult *res, struct ct_report_data *d)
{
	struct raw_row w;
	int i;

	w.start_us = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	w.disp = pg_str(res, 1);
	w.dir = pg_str(res, 2);
	w.answer_ms = pg_int(res, 3);
	w.talk_s = pg_real(res, 0, 4);
	w.caller = pg_str(res, 5);
	w.agent = pg_str(res, 6);
	for (i = 0; i < CT_RO_COUNT; i++)
		w.opt[i] = i == CT_RO_END_US || i == CT_RO_DURATION_S ? NULL : pg_str(res, 7 + i);
	w.end_us = pg_int(res, 7 + CT_RO_END_US);
	w.duration_s = pg_real(res, 0, 7 + CT_RO_DURATION_S);
	w.call_id = d->has_call_id ? pg_str(res, 7 + CT_RO_COUNT) : NULL;
	return add_row(d, &w);
}

/*
 * Column presence of calls (required and optional) and numbers, from
 * information_schema in the current schema.  CT_OK; CT_UNUSABLE (not a
 * calltap database, or columns missing) with the reason in errbuf (where
 * names the server); CT_ERR when the query failed (the caller says why).
 */
static int pg_check_schema(PGconn *conn, struct ct_report_data *d, const char *where,
    char *errbuf)
{
	static const char *const cost_cols[] = { "source", "campaign", "cost" };
	PGresult *res;
	const char *req[MAX_REQUIRED];
	size_t i, nreq = required_cols(req);
	int has[MAX_REQUIRED], hcost[3] = { 0, 0, 0 }, ncalls = 0, missing = 0, len, r;

	res = pg_exec(conn, "SELECT table_name, column_name FROM information_schema.columns"
	    " WHERE table_schema = current_schema() AND table_name IN ('calls', 'numbers')",
	    PGRES_TUPLES_OK);
	if (res == NULL)
		return CT_ERR;
	memset(has, 0, sizeof(has));
	for (r = 0; r < PQntuples(res); r++) {
		const char *col = PQgetvalue(res, r, 1);
		int calls = strcmp(PQgetvalue(res, r, 0), "calls") == 0;

		ncalls += calls;
		for (i = 0; i < nreq && calls; i++)
			has[i] |= strcmp(col, req[i]) == 0;
		for (i = 0; i < CT_RO_COUNT && calls; i++)
			d->has_opt[i] |= strcmp(col, ct_report_opt_name[i]) == 0;
		d->has_call_id |= calls && strcmp(col, "call_id") == 0;
		for (i = 0; i < 3 && !calls; i++)
			hcost[i] |= strcmp(col, cost_cols[i]) == 0;
	}
	PQclear(res);
	d->has_numbers = hcost[0] && hcost[1] && hcost[2];
	if (ncalls == 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s has no table calls (not a calltap "
		    "database?)", where);
		return CT_UNUSABLE;
	}
	len = snprintf(errbuf, CT_ERRBUF_SIZE, "%s: table calls lacks column(s)", where);
	for (i = 0; i < nreq; i++)
		if (!has[i] && len > 0 && len < CT_ERRBUF_SIZE) {
			missing = 1;
			len += snprintf(errbuf + len, CT_ERRBUF_SIZE - (size_t)len, " %s", req[i]);
		}
	return missing ? CT_UNUSABLE : CT_OK;
}

/* Streams the calls query row by row into d; CT_OK, CT_ERR or CT_NOMEM. */
static int pg_load_calls(PGconn *conn, struct ct_report_data *d)
{
	struct ct_buf q;
	PGresult *res;
	int rc = CT_OK, oom, sent;

	ct_buf_init(&q);
	calls_query(&q, d);
	oom = q.oom;
	sent = !oom && PQsendQuery(conn, q.p) && PQsetSingleRowMode(conn);
	ct_buf_fini(&q);
	if (!sent)
		return oom ? CT_NOMEM : CT_ERR;
	while ((res = PQgetResult(conn)) != NULL) {
		ExecStatusType st = PQresultStatus(res);

		if (st == PGRES_SINGLE_TUPLE && rc == CT_OK) {
			rc = pg_read_call(res, d);
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && rc == CT_OK) {
			rc = CT_ERR;
		}
		PQclear(res);  /* drain every result so the connection stays usable */
	}
	return rc;
}

/* Sums numbers.cost per (source, campaign) into d->costs; CT_OK, CT_ERR or CT_NOMEM. */
static int pg_load_costs(PGconn *conn, struct ct_report_data *d)
{
	PGresult *res;
	int r, oom = 0;

	if (!d->has_numbers || d->costs_from_file)
		return CT_OK;
	res = pg_exec(conn, "SELECT source, campaign, SUM(cost) FROM numbers"
	    " WHERE cost IS NOT NULL GROUP BY source, campaign", PGRES_TUPLES_OK);
	if (res == NULL)
		return CT_ERR;
	for (r = 0; r < PQntuples(res) && !oom; r++)
		oom = add_number_cost(d, PQgetisnull(res, r, 0) ? NULL : PQgetvalue(res, r, 0),
		    PQgetisnull(res, r, 1) ? NULL : PQgetvalue(res, r, 1), pg_real(res, r, 2))
		    != CT_OK;
	PQclear(res);
	return oom ? CT_NOMEM : CT_OK;
}

/*
 * Schema check and both loads inside one read-only snapshot: as
 * pg_check_schema, or CT_NOMEM with the message in errbuf.
 */
static int pg_load_all(PGconn *conn, struct ct_report_data *d, const char *where, char *errbuf)
{
	PGresult *res;
	int rc;

	res = pg_exec(conn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", PGRES_COMMAND_OK);
	if (res == NULL)
		return CT_ERR;
	PQclear(res);
	rc = pg_check_schema(conn, d, where, errbuf);
	if (rc == CT_OK)
		rc = pg_load_calls(conn, d);
	if (rc == CT_OK)
		rc = pg_load_costs(conn, d);
	if (rc == CT_NOMEM)
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read %s: out of memory", where);
	return rc;
}

/*
 * Loads the same rows as ct_report_load_sqlite() from the PostgreSQL
 * database named by conninfo (a libpq connection string or URI), in one
 * read-only transaction.  A database without table numbers (the pgsql sink
 * never creates one) has no costs, as an old SQLite database.  d must be
 * zeroed apart from its parameters; d->source_name becomes the server
 * description.  Returns CT_OK, or CT_ERR with a message naming the database,
 * host and port (never the password) in errbuf; rows read so far stay in d.
 */
static int load_pg(struct ct_report_data *d, const char *conninfo, char *errbuf)
{
	static const char *const keys[] = {
		"connect_timeout", "fallback_application_name", "dbname", NULL
	};
	const char *vals[] = { "10", "calltap-report", conninfo, NULL };
	PQconninfoOption *opts;
	PGconn *conn = NULL;
	char where[200], line[256], msg[256], *perr = NULL;
	int rc = CT_ERR;

	if ((opts = PQconninfoParse(conninfo, &perr)) == NULL) {
		ct_one_line(line, sizeof(line), perr != NULL ? perr : "out of memory");
		ct_mask_secrets(msg, sizeof(msg), line, conninfo);
		snprintf(errbuf, CT_ERRBUF_SIZE, "invalid PostgreSQL connection string: %s", msg);
		PQfreemem(perr);
		return CT_ERR;
	}
	PQconninfoFree(opts);
	ct_pgsql_describe(NULL, conninfo, where, sizeof(where));
	conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		ct_one_line(line, sizeof(line), conn != NULL ? PQerrorMessage(conn) : "out of memory");
		ct_mask_secrets(msg, sizeof(msg), line, conninfo);
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot connect to %s: %s", where, msg);
		goto out;
	}
	ct_pgsql_describe(conn, conninfo, where, sizeof(where));
	if ((d->source_name = strdup(where)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		goto out;
	}
	rc = pg_load_all(conn, d, where, errbuf);
	if (rc == CT_ERR) {
		ct_one_line(line, sizeof(line), PQerrorMessage(conn));
		ct_mask_secrets(msg, sizeof(msg), line, conninfo);
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read %s: %s", where, msg);
	}
out:
	PQfinish(conn);
	return rc == CT_OK ? CT_OK : CT_ERR;
}
#endif /* HAVE_PQ */

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: calltap report [--db FILE | --pg CONNINFO] [--from DATE] [--to DATE]\n"
	    "                      [--tz AREA/CITY] [--hours SPEC] [--lead-window DUR]\n"
	    "                      [--quality-s S] [--country-code CC] [--costs FILE]\n"
	    "                      [--direction D] [--source S] [--campaign C] [--sensor N]\n"
	    "                      [--format text|json|html|csv] [-o FILE]\n"
	    "                      [--call-pages DIR]\n"
	    "\n"
	    "Summarises the calls stored by calltap (see docs/report.md).\n"
	    "\n"
	    "  --db FILE          SQLite database written by calltap --db (default calltap.db)\n"
	    "  --pg CONNINFO      PostgreSQL database written by calltap --pg (libpq conninfo\n"
	    "                     or URI), instead of --db\n"
	    "  --from DATE        first instant, inclusive: YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]\n"
	    "                     [Z|+HH:MM]; local time in --tz without an offset\n"
	    "  --to DATE          end, exclusive; a bare date includes that whole day\n"
	    "  --tz AREA/CITY     time zone for hours, weekdays, days and dates (IANA name,\n"
	    "                     e.g. Europe/Kyiv; default UTC)\n"
	    "  --hours SPEC       business hours, e.g. 'Mon-Fri 09:00-18:00,Sat 10:00-14:00'\n"
	    "                     (an end before the start runs overnight: 'Mon-Fri 22:00-06:00')\n"
	    "  --lead-window DUR  a missed caller not reached within DUR is a lost lead\n"
	    "                     (default 24h; seconds or 90m, 2h, 1d)\n"
	    "  --quality-s S      a quality call talks at least S seconds (default 30)\n"
	    "  --country-code CC  country code for numbers stored without normalised form\n"
	    "  --costs FILE       costs CSV: source,campaign,from,to,cost,currency\n"
	    "  --direction D      only calls of direction D (inbound, outbound, internal,\n"
	    "                     unknown)\n"
	    "  --source S         only calls of source S\n"
	    "  --campaign C       only calls of campaign C\n"
	    "  --sensor N         only calls captured by sensor N\n"
	    "  --format FMT       text (default), json, html or csv\n"
	    "  -o, --output FILE  write to FILE instead of standard output\n"
	    "  --call-pages DIR   html: link the answered and missed calls whose page\n"
	    "                     (calltap show ID --format html --call-pages DIR) is in DIR\n");
}

/* Sets *fmt from its name; 0, or 1 (message printed) when unknown. */
static int parse_format(const char *s, enum ct_report_fmt *fmt)
{
	static const char *const names[] = { "text", "json", "html", "csv" };
	static const enum ct_report_fmt fmts[] = {
		CT_REPORT_TEXT, CT_REPORT_JSON, CT_REPORT_HTML, CT_REPORT_CSV
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*fmt = fmts[i];
			return 0;
		}
	fprintf(stderr, "calltap report: unknown format '%s' (text, json, html or csv)\n", s);
	return 1;
}

/* Checks the option values that need no database; 0 or 1 (message printed). */
static int check_values(const struct report_opts *o)
{
	size_t i;
	int ok = 0;

	if (o->f_dir != NULL) {
		for (i = 0; i < CT_RDIR_COUNT; i++)
			ok |= strcmp(o->f_dir, ct_report_dir_name[i]) == 0;
		if (!ok) {
			fprintf(stderr, "calltap report: bad --direction '%s' (inbound, outbound, "
			    "internal or unknown)\n", o->f_dir);
			return 1;
		}
	}
	if (o->cc != NULL && (o->cc[0] == '\0' || strspn(o->cc, "0123456789") != strlen(o->cc) ||
	    strlen(o->cc) > 4)) {
		fprintf(stderr, "calltap report: bad --country-code '%s' (1 to 4 digits)\n", o->cc);
		return 1;
	}
	return 0;
}

/* Parses argv into o; 0 to run, -1 after --help, 1 on a usage error. */
static int parse_args(struct report_opts *o, int argc, char **argv)
{
	static const struct option longs[] = {
		{ "db", required_argument, NULL, 'd' }, { "pg", required_argument, NULL, 'p' },
		{ "from", required_argument, NULL, 'f' }, { "to", required_argument, NULL, 't' },
		{ "quality-s", required_argument, NULL, 'q' },
		{ "format", required_argument, NULL, 'F' },
		{ "output", required_argument, NULL, 'o' }, { "help", no_argument, NULL, 'h' },
		{ "tz", required_argument, NULL, 'z' }, { "hours", required_argument, NULL, 'H' },
		{ "lead-window", required_argument, NULL, 'l' },
		{ "country-code", required_argument, NULL, 'c' },
		{ "costs", required_argument, NULL, 'C' },
		{ "direction", required_argument, NULL, 'D' },
		{ "source", required_argument, NULL, 'S' },
		{ "campaign", required_argument, NULL, 'K' },
		{ "sensor", required_argument, NULL, 'N' },
		{ "call-pages", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
		switch (c) {
		case 'd': o->db = optarg; break;
		case 'p': o->pg = optarg; break;
		case 'f': o->from = optarg; break;
		case 't': o->to = optarg; break;
		case 'o': o->out = optarg; break;
		case 'z': o->tz = optarg; break;
		case 'H': o->hours = optarg; break;
		case 'c': o->cc = optarg; break;
		case 'C': o->costs = optarg; break;
		case 'D': o->f_dir = optarg; break;
		case 'S': o->f_source = optarg; break;
		case 'K': o->f_campaign = optarg; break;
		case 'N': o->f_sensor = optarg; break;
		case 'P': o->call_pages = optarg; break;
		case 'l':
			if (ct_report_parse_duration(optarg, &o->lead_window_us) != 0) {
				fprintf(stderr, "calltap report: bad --lead-window '%s' (seconds, or "
				    "a whole number with s, m, h or d: 90m, 24h, 1d)\n", optarg);
				return 1;
			}
			break;
		case 'q':
			o->quality_s = strtod(optarg, &end);
			if (end == optarg || *end != '\0' || !isfinite(o->quality_s) ||
			    o->quality_s < 0) {
				fprintf(stderr, "calltap report: bad --quality-s '%s'\n", optarg);
				return 1;
			}
			break;
		case 'F':
			if (parse_format(optarg, &o->fmt) != 0)
				return 1;
			break;
		case 'h': usage(stdout); return -1;
		default: usage(stderr); return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "calltap report: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	return check_values(o);
}

/*
 * Sets the time zone, business hours and --from/--to of d; 0 or 1 (usage
 * error, message printed).
 */
static int parse_time_opts(const struct report_opts *o, struct ct_report_data *d)
{
	char errbuf[CT_ERRBUF_SIZE];

	d->tz = NULL;
	if (o->tz != NULL && strcmp(o->tz, "UTC") != 0) {
		if (ct_report_tz_set(o->tz, errbuf) != CT_OK) {
			fprintf(stderr, "calltap report: --tz: %s\n", errbuf);
			return 1;
		}
		d->tz = o->tz;
	}
	if (o->hours != NULL && ct_report_hours_parse(&d->hours, o->hours, errbuf) != CT_OK) {
		fprintf(stderr, "calltap report: %s\n", errbuf);
		return 1;
	}
	d->hours_spec = o->hours;
	d->from_us = d->to_us = CT_REPORT_NONE;
	if (o->from != NULL && ct_report_parse_time_tz(o->from, 0, d->tz, &d->from_us) != CT_OK) {
		fprintf(stderr, "calltap report: bad --from '%s' (want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|+HH:MM])\n", o->from);
		return 1;
	}
	if (o->to != NULL && ct_report_parse_time_tz(o->to, 1, d->tz, &d->to_us) != CT_OK) {
		fprintf(stderr, "calltap report: bad --to '%s' (want YYYY-MM-DD or "
		    "YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|+HH:MM])\n", o->to);
		return 1;
	}
	if (d->from_us != CT_REPORT_NONE && d->to_us != CT_REPORT_NONE &&
	    d->to_us <= d->from_us) {
		fprintf(stderr, "calltap report: --to must be later than --from\n");
		return 1;
	}
	return 0;
}

/* Renders r in fmt to path (NULL or "-": stdout); 0 or 3 (message printed). */
static int write_report(const struct ct_report *r, enum ct_report_fmt fmt, const char *path)
{
	FILE *out = stdout;
	int rc;

	if (path != NULL && strcmp(path, "-") != 0 && (out = fopen(path, "w")) == NULL) {
		fprintf(stderr, "calltap report: cannot write '%s': %s\n", path, strerror(errno));
		return 3;
	}
	if (fmt == CT_REPORT_JSON)
		rc = ct_report_render_json(r, out);
	else if (fmt == CT_REPORT_HTML)
		rc = ct_report_render_html(r, out);
	else if (fmt == CT_REPORT_CSV)
		rc = ct_report_render_csv(r, out);
	else
		rc = ct_report_render_text(r, out);
	if (fflush(out) != 0 || ferror(out))
		rc = CT_ERR;
	if (out != stdout && fclose(out) != 0)
		rc = CT_ERR;
	if (rc != CT_OK) {
		fprintf(stderr, "calltap report: cannot write '%s'\n",
		    out == stdout ? "standard output" : path);
		return 3;
	}
	return 0;
}

/* Loads d from --pg when given, else --db; CT_OK or CT_ERR (errbuf set). */
static int load_data(const struct report_opts *o, struct ct_report_data *d, char *errbuf)
{
	if (o->pg == NULL)
		return ct_report_load_sqlite(d, o->db, errbuf);
#ifdef HAVE_PQ
	return load_pg(d, o->pg, errbuf);
#else
	snprintf(errbuf, CT_ERRBUF_SIZE, "--pg: this calltap was built without libpq "
	    "(PostgreSQL client library)");
	return CT_ERR;
#endif
}

#define CLUSTERS_SCAN 16                       /* calls of one Call-ID compared at most */

/* Whether the rows a and b came from the same sensor (interned names; NULL = unnamed). */
static bool same_sensor(const struct ct_report_call *a, const struct ct_report_call *b)
{
	return a->sensor == b->sensor;
}

/*
 * Which of two sensors' records of one call the report keeps: with
 * --sensor, that sensor's (so the calls in scope are its records, while
 * the history counts each call once); else the one that saw more of it
 * (answered, then an agent's pickup seen in its rings, then the longer
 * call, then the longer talk as recorded), then the sensor name first in
 * byte order, so the choice does not depend on the order the rows were
 * stored in.
 */
static bool better_copy(const struct ct_report_call *a, const struct ct_report_call *b,
    const char *prefer)
{
	bool aa = a->disp == CT_RD_ANSWERED, ba = b->disp == CT_RD_ANSWERED;
	bool ap = a->pickup_us != CT_REPORT_NONE, bp = b->pickup_us != CT_REPORT_NONE;
	double at = isnan(a->talk_raw) ? -1 : a->talk_raw, bt = isnan(b->talk_raw) ? -1 : b->talk_raw;

	if (prefer != NULL) {
		bool am = a->sensor != NULL && strcmp(a->sensor, prefer) == 0;
		bool bm = b->sensor != NULL && strcmp(b->sensor, prefer) == 0;

		if (am != bm)
			return am;
	}
	if (aa != ba)
		return aa;
	if (ap != bp)
		return ap;
	if (a->end_us - a->start_us != b->end_us - b->start_us)
		return a->end_us - a->start_us > b->end_us - b->start_us;
	if (at != bt)
		return at > bt;
	if ((a->sensor == NULL) != (b->sensor == NULL))
		return a->sensor != NULL;
	if (a->sensor != NULL && strcmp(a->sensor, b->sensor) != 0)
		return strcmp(a->sensor, b->sensor) < 0;
	return a->start_us < b->start_us;
}

struct idkey {
	uint64_t h;
	int64_t start;
	uint32_t i;
};

static int cmp_idkey(const void *pa, const void *pb)
{
	const struct idkey *a = pa, *b = pb;

	if (a->h != b->h)
		return a->h < b->h ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return (a->i > b->i) - (a->i < b->i);
}

/*
 * One call seen by several sensors (two taps of one trunk feeding one
 * store) is one call of the report.  The store keeps a record per sensor
 * (its key is the Call-ID and the start to the microsecond, and two
 * sensors never stamp a packet alike), so here, per Call-ID, in start
 * order, a record joins the first call it can be a copy of: one started
 * at most CT_SENSOR_SKEW_US before it that no record of the same sensor is
 * in (one sensor's records of a Call-ID are calls of their own: a retry
 * after a failure, a Call-ID used again).  Each call keeps its best record
 * (better_copy; prefer: --sensor) and the others are left out, counted in
 * d->sensor_copies.  O(n log n); a Call-ID is compared with at most
 * CLUSTERS_SCAN calls before it.  CT_OK or CT_NOMEM (d unchanged).
 */
static int merge_sensor_copies(struct ct_report_data *d, const char *prefer)
{
	struct idkey *k;
	uint32_t *keep, *cl;
	size_t n = 0, i, a, b, j, out;

	if (d->n_calls < 2)
		return CT_OK;
	k = malloc(d->n_calls * sizeof(*k));
	keep = malloc(d->n_calls * sizeof(*keep));   /* call -> kept call of its cluster */
	cl = malloc(d->n_calls * sizeof(*cl));       /* a group's clusters: their kept call */
	if (k == NULL || keep == NULL || cl == NULL) {
		free(k);
		free(keep);
		free(cl);
		return CT_NOMEM;
	}
	for (i = 0; i < d->n_calls; i++) {
		keep[i] = (uint32_t)i;
		if (d->calls[i].idh != 0)
			k[n++] = (struct idkey){ d->calls[i].idh, d->calls[i].start_us, (uint32_t)i };
	}
	qsort(k, n, sizeof(*k), cmp_idkey);
	for (a = 0; a < n; a = b) {
		size_t ncl = 0, first = 0, mfirst = a;

		for (b = a + 1; b < n && k[b].h == k[a].h; b++)
			;
		for (j = a; j < b && b - a > 1; j++) {
			const struct ct_report_call *c = &d->calls[k[j].i];
			size_t q, m, at = ncl;

			while (first < ncl && c->start_us - d->calls[cl[first]].start_us > CT_SENSOR_SKEW_US)
				first++;
			/* the records of the clusters in reach start at cl[first]'s start or later */
			while (first < ncl && k[mfirst].start < d->calls[cl[first]].start_us)
				mfirst++;
			for (q = first; q < ncl && q < first + CLUSTERS_SCAN && at == ncl; q++) {
				bool mine = j - mfirst > CLUSTERS_SCAN * 4;   /* a burst: calls of their own */

				for (m = mfirst; m < j && !mine; m++)
					mine = keep[k[m].i] == keep[cl[q]] && same_sensor(&d->calls[k[m].i], c);
				if (!mine)
					at = q;
			}
			if (at == ncl) {
				cl[ncl++] = k[j].i;   /* a call of its own */
				continue;
			}
			/* a copy: the cluster's first record stays its anchor (cl), keep[] its best */
			keep[k[j].i] = keep[cl[at]];
			if (better_copy(c, &d->calls[keep[cl[at]]], prefer)) {
				uint32_t old = keep[cl[at]];

				for (m = mfirst; m <= j; m++)
					if (keep[k[m].i] == old)
						keep[k[m].i] = k[j].i;
			}
		}
	}
	for (i = 0, out = 0; i < d->n_calls; i++) {
		if (keep[i] != i) {
			d->sensor_copies++;
			continue;
		}
		if (out != i)
			d->calls[out] = d->calls[i];
		out++;
	}
	d->n_calls = out;
	free(k);
	free(keep);
	free(cl);
	return CT_OK;
}

/*
 * Entry point of `calltap report`; argv[0] is "report".  Returns the exit
 * status: 0 success, 1 usage error, 2 database unreadable, 3 output failed.
 */
int ct_report_main(int argc, char **argv)
{
	struct report_opts o = {
		.db = "calltap.db", .quality_s = 30.0, .fmt = CT_REPORT_TEXT,
		.lead_window_us = 86400LL * US_PER_S
	};
	struct ct_report_data *d;
	struct ct_report r;
	char errbuf[CT_ERRBUF_SIZE];
	int rc;

	rc = parse_args(&o, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : 1;
	if (o.call_pages != NULL && o.fmt != CT_REPORT_HTML) {
		fprintf(stderr, "calltap report: --call-pages takes --format html\n");
		return 1;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		fprintf(stderr, "calltap report: out of memory\n");
		return 2;
	}
	rc = parse_time_opts(&o, d);
	d->quality_s = o.quality_s;
	d->lead_window_us = o.lead_window_us;
	d->cc = o.cc;
	d->f_dir = o.f_dir;
	d->f_source = o.f_source;
	d->f_campaign = o.f_campaign;
	d->f_sensor = o.f_sensor;
	d->call_pages = o.call_pages;
	if (rc == 0 && o.costs != NULL && ct_report_costs_load(d, o.costs, errbuf) != CT_OK) {
		fprintf(stderr, "calltap report: %s\n", errbuf);
		rc = 1;
	}
	ct_hash_key_random(&d->idkey);
	if (rc == 0 && load_data(&o, d, errbuf) != CT_OK) {
		fprintf(stderr, "calltap report: %s\n", errbuf);
		rc = 2;
	}
	if (rc == 0 && merge_sensor_copies(d, o.f_sensor) != CT_OK) {
		fprintf(stderr, "calltap report: out of memory\n");
		rc = 2;
	}
	if (rc == 0 && ct_report_compute(&r, d) != CT_OK) {
		fprintf(stderr, "calltap report: out of memory\n");
		rc = 2;
	}
	if (rc == 0) {
		rc = write_report(&r, o.fmt, o.out);
		ct_report_fini(&r);
	}
	ct_report_data_fini(d);
	free(d);
	return rc;
}
