/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private interface of `calltap report`: the rows read from a database, the
 * figures computed from them, and the three renderers.  Figures are defined
 * in docs/report.md.
 */
#ifndef CT_REPORT_INT_H
#define CT_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/report.h"

#define CT_REPORT_NONE INT64_MIN  /* no value / unbounded range end */
#define CT_REPORT_NHIST 7         /* answer-time histogram buckets */
#define CT_REPORT_NWITHIN 3       /* answered within 5, 15, 30 s */

enum ct_report_fmt { CT_REPORT_TEXT, CT_REPORT_JSON, CT_REPORT_HTML };

enum ct_report_disp {
	CT_RD_ANSWERED, CT_RD_BUSY, CT_RD_NOANSWER, CT_RD_CANCELLED,
	CT_RD_FAILED, CT_RD_UNFINISHED, CT_RD_OTHER, CT_RD_COUNT
};

/* The record's disposition name ("answered" ...), "other" for CT_RD_OTHER. */
const char *ct_report_disp_name(enum ct_report_disp d);

/* Optional columns of `calls` (added by the attribution feature). */
enum ct_report_opt {
	CT_RO_SOURCE, CT_RO_CAMPAIGN, CT_RO_FIRST_CALL, CT_RO_CALLBACK_S,
	CT_RO_COUNT
};

/* One call row as read from the database. */
struct ct_report_call {
	int64_t start_us;         /* µs since the epoch, UTC */
	int64_t answer_ms;        /* CT_REPORT_NONE when NULL */
	double talk_s;            /* NaN when NULL */
	double callback_s;        /* NaN when NULL */
	enum ct_report_disp disp;
	int missable;             /* direction inbound, unknown or NULL */
	int first_call;           /* 1, 0, or -1 when NULL */
	char *caller, *agent, *source, *campaign;  /* owned; NULL when NULL */
};

/* Summed numbers.cost of one (source, campaign) pair. */
struct ct_report_cost {
	char *source, *campaign;  /* owned; NULL when NULL */
	double cost;
};

/* Everything read from the database, plus the parameters of the report. */
struct ct_report_data {
	struct ct_report_call *calls;
	size_t n_calls, cap_calls;
	struct ct_report_cost *costs;
	size_t n_costs, cap_costs;
	int has_opt[CT_RO_COUNT];  /* optional column present */
	int has_numbers;           /* table numbers with a cost column */
	int64_t from_us, to_us;    /* [from, to); CT_REPORT_NONE = unbounded */
	double quality_s;          /* quality call: talk_s >= quality_s */
	char *source_name;         /* database named in the report; owned */
};

/* Per-bucket counts (hour of day, day of week). */
struct ct_report_bucket {
	long calls, answered, missed;
};

/* One source/campaign pair, or one agent (source/campaign unused). */
struct ct_report_group {
	const char *source, *campaign;  /* borrowed from the data; NULL = none */
	const char *agent;
	long calls, answered, missed, quality;
	long talk_n;               /* answered calls with a talk time */
	double talk_sum;           /* seconds */
	int has_cost;
	double cost;
};

struct ct_report {
	const struct ct_report_data *data;  /* borrowed */
	long calls;
	long disp[CT_RD_COUNT];
	long missed, missable;
	long tta_n;                         /* answered calls with answer_ms */
	double tta_mean_ms;                 /* NaN when tta_n == 0 */
	int64_t tta_p90_ms;                 /* CT_REPORT_NONE when tta_n == 0 */
	long within[CT_REPORT_NWITHIN];     /* answer_ms <= 5000, 15000, 30000 */
	long hist[CT_REPORT_NHIST];
	long quality;
	long unique_callers, first_time, repeat, first_unknown;
	long called_back, cb_within_5min;
	double cb_delay_sum;                /* seconds */
	struct ct_report_bucket by_hour[24];
	struct ct_report_bucket by_wday[7]; /* 0 = Monday */
	struct ct_report_group *campaigns;
	size_t n_campaigns;
	struct ct_report_group *agents;
	size_t n_agents;
};

extern const int ct_report_within_s[CT_REPORT_NWITHIN];
extern const int ct_report_hist_s[CT_REPORT_NHIST];  /* bucket upper bounds, 0 = open */
extern const char *const ct_report_wday[7];
extern const char *const ct_report_opt_name[CT_RO_COUNT];

int ct_report_parse_time(const char *s, int is_end, int64_t *us);
void ct_report_format_time(int64_t us, char *buf, size_t size);
int ct_report_load_sqlite(struct ct_report_data *d, const char *path, char *errbuf);
void ct_report_data_fini(struct ct_report_data *d);

int ct_report_compute(struct ct_report *r, const struct ct_report_data *d);
void ct_report_fini(struct ct_report *r);
double ct_report_pct(long num, long den);
double ct_report_mean(double sum, long n);

int ct_report_render_text(const struct ct_report *r, FILE *out);
int ct_report_render_json(const struct ct_report *r, FILE *out);
int ct_report_render_html(const struct ct_report *r, FILE *out);

#endif
