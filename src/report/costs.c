/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The costs file of `calltap report` (--costs): advertising spend per
 * source, campaign and period, one currency, CSV with the header row
 * `source,campaign,from,to,cost,currency` (RFC 4180 quoting allowed, CR LF
 * or LF).  Each row becomes one struct ct_report_cost; how a row counts pro
 * rata in the report range is decided in stats.c.  Any bad line stops the
 * load with "FILE:LINE: why" (a wrong cost is worse than no report).
 * Workload: a few thousand rows, read once.  References: RFC 4180,
 * docs/report.md (Costs).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "report_int.h"

#define COSTS_MAX_FILE (16 << 20)
#define NFIELDS 6
#define FIELD_MAX 256

/*
 * Splits one CSV record at *p into f[0..NFIELDS) (each FIELD_MAX bytes),
 * advancing *p past its line end.  Returns the number of fields, or -1 on a
 * malformed quote or an overlong field.
 */
static int csv_record(const char **p, char f[NFIELDS][FIELD_MAX])
{
	const char *s = *p;
	int nf = 0;
	size_t n = 0;
	int quoted = 0, any = 0;

	for (;;) {
		char c = *s;

		if (quoted) {
			if (c == '\0')
				return -1;
			s++;
			if (c == '"') {
				if (*s != '"') {
					quoted = 0;
					continue;
				}
				s++;
			}
		} else if (c == '"' && n == 0 && !any) {
			quoted = 1;
			any = 1;
			s++;
			continue;
		} else if (c == ',' || c == '\n' || c == '\r' || c == '\0') {
			if (nf < NFIELDS)
				f[nf][n] = '\0';
			nf++;
			n = 0;
			any = 0;
			if (c == ',') {
				s++;
				continue;
			}
			if (c == '\r')
				s++;
			if (*s == '\n')
				s++;
			*p = s;
			return nf;
		} else {
			s++;
		}
		any = 1;
		if (nf < NFIELDS) {
			if (n + 1 >= FIELD_MAX)
				return -1;
			f[nf][n++] = c;
		}
	}
}

/* Trims blanks around s in place. */
static char *trim(char *s)
{
	size_t n;

	s += strspn(s, " \t");
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	return s;
}

/* "YYYY-MM-DD" into a day number; 0 on success. */
static int parse_day(const char *s, int64_t *day)
{
	int64_t us;

	if (strlen(s) != 10 || ct_report_parse_time(s, 0, &us) != CT_OK)
		return -1;
	*day = us / (86400LL * 1000000LL) - (us < 0 && us % (86400LL * 1000000LL) != 0);
	return 0;
}

/* Checks and appends one data row; NULL, or the reason it is refused. */
static const char *cost_row(struct ct_report_data *d, char f[NFIELDS][FIELD_MAX])
{
	char *src = trim(f[0]), *camp = trim(f[1]), *cur = trim(f[5]), *end;
	struct ct_report_cost *c;
	int64_t from, to;
	double cost;

	if (*src == '\0')
		return "empty source";
	if (parse_day(trim(f[2]), &from) != 0 || parse_day(trim(f[3]), &to) != 0)
		return "bad date (want YYYY-MM-DD)";
	if (to < from)
		return "'to' is before 'from'";
	errno = 0;
	cost = strtod(trim(f[4]), &end);
	if (end == trim(f[4]) || *end != '\0' || errno != 0 || !isfinite(cost) || cost < 0)
		return "bad cost (want a number >= 0)";
	if (*cur == '\0')
		return "empty currency";
	if (d->currency == NULL) {
		if ((d->currency = strdup(cur)) == NULL)
			return "out of memory";
	} else if (strcmp(d->currency, cur) != 0) {
		return "currency differs from the first row's (one currency per report)";
	}
	if (d->n_costs == d->cap_costs) {
		size_t ncap = d->cap_costs ? 2 * d->cap_costs : 64;
		void *p = realloc(d->costs, ncap * sizeof(*d->costs));

		if (p == NULL)
			return "out of memory";
		d->costs = p;
		d->cap_costs = ncap;
	}
	c = &d->costs[d->n_costs];
	c->kid = -1;
	c->source = ct_report_intern(&d->strs, src, &c->sid);
	c->campaign = *camp ? ct_report_intern(&d->strs, camp, &c->kid) : NULL;
	if (c->source == NULL || (*camp && c->campaign == NULL))
		return "out of memory";
	c->from_day = from;
	c->to_day = to;
	c->cost = cost;
	d->n_costs++;
	return NULL;
}

/*
 * Loads the costs file at path into d->costs (replacing any numbers.cost
 * sums) and d->currency.  CT_OK, or CT_ERR with "PATH:LINE: why" in errbuf.
 */
int ct_report_costs_load(struct ct_report_data *d, const char *path, char *errbuf)
{
	static const char *const hdr[NFIELDS] = {
		"source", "campaign", "from", "to", "cost", "currency"
	};
	char f[NFIELDS][FIELD_MAX], *text;
	const char *p, *why = NULL;
	unsigned line = 0;
	size_t len = 0;
	FILE *fp;
	int nf, i;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read costs file '%s': %s", path,
		    strerror(errno));
		return CT_ERR;
	}
	text = malloc(COSTS_MAX_FILE + 1);
	if (text != NULL)
		len = fread(text, 1, COSTS_MAX_FILE + 1, fp);
	fclose(fp);
	if (text == NULL || len > COSTS_MAX_FILE || memchr(text, '\0', len) != NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "costs file '%s': %s", path, text == NULL ?
		    "out of memory" : len > COSTS_MAX_FILE ? "larger than 16 MB" : "binary data");
		free(text);
		return CT_ERR;
	}
	text[len] = '\0';
	d->costs_from_file = 1;
	for (p = text; *p != '\0' && why == NULL;) {
		line++;
		nf = csv_record(&p, f);
		if (nf == 1 && trim(f[0])[0] == '\0')
			continue;   /* empty line */
		if (nf != NFIELDS) {
			why = nf < 0 ? "malformed CSV (quote or field longer than 255 bytes)"
			    : "want 6 fields: source,campaign,from,to,cost,currency";
			break;
		}
		if (line == 1) {
			for (i = 0; i < NFIELDS; i++)
				if (strcmp(trim(f[i]), hdr[i]) != 0)
					why = "want the header row source,campaign,from,to,cost,currency";
			continue;
		}
		why = cost_row(d, f);
	}
	free(text);
	if (why == NULL && line == 0)
		why = "empty file (want the header row source,campaign,from,to,cost,currency)";
	if (why != NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s:%u: %s", path, line, why);
		return CT_ERR;
	}
	return CT_OK;
}
