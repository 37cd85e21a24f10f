/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private interface of `calltap report`: the rows read from a database (all
 * of them: history figures need calls outside the range), the parameters
 * (range, time zone, business hours, filters, costs), the figures computed
 * from them, and the four renderers.  Figures are defined in docs/report.md.
 */
#ifndef CT_REPORT_INT_H
#define CT_REPORT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "calltap/hash.h"
#include "calltap/report.h"

#define CT_REPORT_NONE INT64_MIN  /* no value / unbounded range end */
#define CT_REPORT_NHIST 7         /* answer-time histogram buckets */
#define CT_REPORT_NWITHIN 3       /* answered within 5, 15, 30 s */
#define CT_REPORT_NCB 3           /* called back within 5, 15, 60 min */
#define CT_REPORT_WEEK_MIN (7 * 1440)

enum ct_report_fmt { CT_REPORT_TEXT, CT_REPORT_JSON, CT_REPORT_HTML, CT_REPORT_CSV };

enum ct_report_disp {
	CT_RD_ANSWERED, CT_RD_BUSY, CT_RD_NOANSWER, CT_RD_CANCELLED,
	CT_RD_FAILED, CT_RD_UNFINISHED, CT_RD_OTHER, CT_RD_COUNT
};

/* The record's disposition name ("answered" ...), "other" for CT_RD_OTHER. */
const char *ct_report_disp_name(enum ct_report_disp d);

/* Optional columns of `calls` (added by the attribution feature). */
enum ct_report_dir { CT_RDIR_UNKNOWN, CT_RDIR_IN, CT_RDIR_OUT, CT_RDIR_INTERNAL, CT_RDIR_COUNT };

/* Optional columns of `calls` (added by later schema versions). */
enum ct_report_opt {
	CT_RO_END_US, CT_RO_CALLEE, CT_RO_SENSOR, CT_RO_SOURCE, CT_RO_CAMPAIGN,
	CT_RO_CALLER_NUMBER, CT_RO_CALLEE_NUMBER,
	CT_RO_UTM_SOURCE, CT_RO_UTM_MEDIUM, CT_RO_UTM_CAMPAIGN, CT_RO_DURATION_S,
	CT_RO_ANSWERED_BY, CT_RO_PARENT_CALL_ID, CT_RO_RINGS,
	CT_RO_COUNT
};

/*
 * Interned strings: equal texts share one pointer and one id (0..n-1, in
 * order of first insertion).  Open addressing keyed by SipHash under a
 * random key, since the texts come from the wire.
 */
struct ct_report_strtab {
	char **v;               /* id -> text, owned */
	size_t n, cap;
	uint32_t *slots;        /* id + 1, 0 = empty */
	size_t nslots;          /* power of two > 2 n */
	struct ct_hash_key key;
};

/* Group keys of a call (string ids in struct ct_report_call.kid). */
enum ct_report_key {
	CT_RK_SOURCE, CT_RK_CAMPAIGN, CT_RK_UTM_SOURCE, CT_RK_UTM_MEDIUM, CT_RK_UTM_CAMPAIGN,
	CT_RK_AGENT, CT_RK_COUNT
};

/* One call row as read from the database; strings are interned. */
struct ct_report_call {
	int64_t start_us;         /* µs since the epoch, UTC */
	int64_t end_us;           /* start_us when NULL */
	int64_t answer_ms;        /* CT_REPORT_NONE when NULL */
	double talk_s;            /* NaN when NULL; a person's (person_answer) */
	double talk_raw;          /* talk_s as stored */
	const char *cnum, *dnum;  /* normalised caller / callee number; NULL = none */
	const char *agent, *source, *campaign, *sensor;
	const char *utm[3];       /* utm_source, utm_medium, utm_campaign */
	int32_t cid, did;         /* string ids of cnum / dnum, -1 when NULL */
	int32_t kid[CT_RK_COUNT]; /* string ids of the group keys, -1 when NULL */
	uint8_t disp;             /* enum ct_report_disp */
	uint8_t dir;              /* enum ct_report_dir */
	uint8_t marketing;        /* set by compute: a marketing call (any range) */
	uint8_t first;            /* set by compute: a first-time call */
	uint8_t scope;            /* set by compute: in range and filters */
	uint8_t machine;          /* answered by an IVR or voicemail only: counted as noanswer */
	uint32_t ring0, nring;    /* its rings: d->rings[ring0 .. ring0 + nring) */
	int64_t pickup_us;        /* ring_end of its first answered ring; CT_REPORT_NONE: none */
	uint64_t idh;             /* keyed hash of its call_id; 0: none */
	const char *page;         /* --call-pages: its page's file name when it exists, else NULL */
};

/* Ring outcomes (the `outcome` of a ring, docs/schema.md), in rings.c's name order. */
enum ct_report_ring_outcome {
	CT_RRING_ANSWERED = 0, CT_RRING_NO_ANSWER, CT_RRING_BUSY, CT_RRING_REJECTED,
	CT_RRING_ELSEWHERE, CT_RRING_CALLER_HANGUP, CT_RRING_FAILED, CT_RRING_OTHER
};

/* One ring of a call (rings column), as the report keeps it. */
struct ct_report_ring {
	const char *agent;        /* interned; NULL = none */
	int64_t pickup_ms;        /* CT_REPORT_NONE when null */
	uint8_t outcome;          /* enum ct_report_ring_outcome */
	uint8_t transferred;      /* transferred_to set: the agent passed the caller on */
};

/* Ring figures of one agent (rings.c). */
struct ct_report_ringfig {
	const char *agent;        /* interned */
	long rings, answered, missed, elsewhere, pickup_n, taken;
	long transferred;         /* answered rings whose agent transferred the caller */
	double pickup_sum;        /* ms */
	double talk_sum;          /* s, of the calls the agent took */
	int64_t pickup_p90_ms;    /* CT_REPORT_NONE when no answered ring */
};

/* Team figures of one local hour of day (rings.c): to size the team. */
struct ct_report_ringhour {
	long calls, missed, machine;   /* marketing calls, missed (machine answers too), machine */
	long rings, missed_rings;      /* rings offered, rings missed (as ringfig.missed) */
	long agents;                   /* distinct agents who answered a ring in this hour */
};

/* One cost: a row of --costs (days given) or numbers.cost summed per pair. */
struct ct_report_cost {
	const char *source, *campaign;  /* interned; campaign NULL = whole source */
	int32_t sid, kid;               /* their string ids, -1 when NULL */
	int64_t from_day, to_day;       /* days since 1970-01-01, inclusive; numbers: NONE */
	double cost;
};

/* Business hours: open[m] for each minute of the local week (0 = Mon 00:00). */
struct ct_report_hours {
	int set;
	uint8_t open[CT_REPORT_WEEK_MIN];
	int32_t endoff[CT_REPORT_WEEK_MIN];  /* minutes to the end of the current or next
						 open interval; -1 when always open */
};

/* Everything read from the database, plus the parameters of the report. */
struct ct_report_data {
	struct ct_report_call *calls;
	size_t n_calls, cap_calls;
	struct ct_report_ring *rings;   /* every call's rings (ring0/nring of a call) */
	size_t n_rings, cap_rings;
	struct ct_report_cost *costs;
	size_t n_costs, cap_costs;
	int costs_from_file;       /* costs are --costs rows (else numbers.cost) */
	char *currency;            /* of the --costs file; owned */
	struct ct_report_strtab strs;
	int has_opt[CT_RO_COUNT];  /* optional column present */
	int has_call_id;           /* calls has a call_id column */
	struct ct_hash_key idkey;  /* of calls[].idh, random per run */
	long sensor_copies;        /* rows left out: another sensor's record of a call kept */
	int has_numbers;           /* table numbers with a cost column */
	int64_t from_us, to_us;    /* [from, to); CT_REPORT_NONE = unbounded */
	double quality_s;          /* quality call: talk_s >= quality_s */
	int64_t lead_window_us;
	const char *tz;            /* IANA name; NULL = UTC */
	const char *hours_spec;    /* as given, NULL = none */
	struct ct_report_hours hours;
	const char *cc;            /* --country-code, NULL = none */
	const char *f_dir, *f_source, *f_campaign, *f_sensor;  /* filters, NULL = any */
	char *source_name;         /* database named in the report; owned */
	const char *call_pages;    /* --call-pages DIR, NULL = none */
	char **pages;              /* the calls' page names (struct ct_report_call.page), owned */
	size_t n_pages, cap_pages;
};

/* Figures of a set of marketing calls (the whole report, or one group). */
struct ct_report_fig {
	long calls, answered, missed, quality;
	long machine;              /* missed calls answered by an IVR or voicemail (answered_by) */
	long unique, first_calls, first_callers, repeat;
	long missed_callers, lost_leads;
	long tta_n;
	double tta_sum;            /* ms */
	long talk_n;               /* answered calls with a talk time */
	double talk_sum;           /* seconds */
	int has_cost;
	double cost;
};

/* Per-bucket counts (hour of day, day of week, day, business hours). */
struct ct_report_bucket {
	long calls, answered, missed, first_callers;
};

/* One group: key[0..2] (source/campaign, utm triple, or agent in key[0]). */
struct ct_report_group {
	const char *key[3];        /* interned; NULL = none */
	struct ct_report_fig f;
};

/* One missed caller still waiting for a call back. */
struct ct_report_cbitem {
	const char *number, *source, *campaign;
	int64_t last_us;
	long missed, attempts;
};

struct ct_report {
	const struct ct_report_data *data;  /* borrowed */
	long calls;                         /* every call in scope */
	long disp[CT_RD_COUNT];
	long dir[CT_RDIR_COUNT];
	int64_t first_us, last_us;          /* data range of the scope, NONE when empty */
	int no_direction;                   /* no row of the store has a known direction */
	int mostly_unknown;                 /* > half of the scope has unknown direction */
	struct ct_report_fig m;             /* marketing calls in scope */
	int has_cost;
	double cost;                        /* total cost in scope */
	int64_t tta_p90_ms;                 /* CT_REPORT_NONE when m.tta_n == 0 */
	long within[CT_REPORT_NWITHIN];
	long hist[CT_REPORT_NHIST];
	/* callbacks, per missed caller */
	long cb_called, cb_answered, cb_within[CT_REPORT_NCB], cb_bday, cb_attempts;
	double cb_att_mean, cb_att_median, cb_ans_mean, cb_ans_median;  /* s; NaN */
	/* outbound */
	long out_calls, out_answered, out_talk_n, out_numbers;
	double out_talk_sum;
	struct ct_report_bucket by_hour[24];
	struct ct_report_bucket by_wday[7];   /* 0 = Monday */
	struct ct_report_bucket bhours[2];    /* in hours, after hours */
	struct ct_report_bucket *daily;
	size_t n_daily;
	int64_t daily_first_day;              /* local day number of daily[0] */
	struct ct_report_group *sources, *campaigns, *sessions, *agents, *out_agents;
	size_t n_sources, n_campaigns, n_sessions, n_agents, n_out_agents;
	struct ct_report_cbitem *cblist;
	size_t n_cblist;
	struct ct_report_ringfig *ring_agents;   /* by agent name */
	size_t n_ring_agents;
	struct ct_report_ringhour ring_hours[24]; /* valid when n_ring_agents > 0 */
};

extern const int ct_report_within_s[CT_REPORT_NWITHIN];
extern const int ct_report_cb_min[CT_REPORT_NCB];
extern const int ct_report_hist_s[CT_REPORT_NHIST];  /* bucket upper bounds, 0 = open */
extern const char *const ct_report_wday[7];
extern const char *const ct_report_opt_name[CT_RO_COUNT];
extern const char *const ct_report_dir_name[CT_RDIR_COUNT];

/* report.c: times, loading */
int ct_report_parse_time(const char *s, int is_end, int64_t *us);
int ct_report_parse_time_tz(const char *s, int is_end, const char *tz, int64_t *us);
void ct_report_format_time(int64_t us, char *buf, size_t size);
int ct_report_load_sqlite(struct ct_report_data *d, const char *path, char *errbuf);
void ct_report_data_fini(struct ct_report_data *d);

/* tz.c: time zone, business hours, durations */
int ct_report_tz_set(const char *name, char *errbuf);
int ct_report_local(const char *tz, int64_t us, struct tm *tm);
int64_t ct_report_local_day(const char *tz, int64_t us);
int64_t ct_report_from_local(const char *tz, struct tm *tm);
void ct_report_format_local(const char *tz, int64_t us, char *buf, size_t size);
void ct_report_format_day(int64_t day, char *buf, size_t size);
int ct_report_hours_parse(struct ct_report_hours *h, const char *spec, char *errbuf);
int ct_report_minute_of_week(const struct tm *tm);
int64_t ct_report_bday_deadline(const struct ct_report_data *d, int64_t us);
int ct_report_parse_duration(const char *s, int64_t *us);

/* strtab (stats.c) */
const char *ct_report_intern(struct ct_report_strtab *t, const char *s, int32_t *id);
void ct_report_strtab_fini(struct ct_report_strtab *t);

/* rings.c: per-agent ring figures */
int ct_report_rings_parse(struct ct_report_data *d, struct ct_report_call *c, const char *text);
int ct_report_ring_agents(struct ct_report *r, const struct ct_report_data *d);

/* costs.c */
int ct_report_costs_load(struct ct_report_data *d, const char *path, char *errbuf);

/* stats.c */
int ct_report_compute(struct ct_report *r, struct ct_report_data *d);
void ct_report_fini(struct ct_report *r);
double ct_report_pct(long num, long den);
double ct_report_mean(double sum, long n);
double ct_report_div(double num, long den, int defined);

/* render_json.c: the figures as (key, value) lists shared by JSON and CSV */
struct ct_report_kv {
	const char *key;
	double v;          /* NaN = undefined (null) */
	int prec;          /* decimals; < 0: an integer */
};
#define CT_REPORT_KV_MAX 24
size_t ct_report_kv_totals(const struct ct_report *r, struct ct_report_kv *kv);
size_t ct_report_kv_marketing(const struct ct_report *r, struct ct_report_kv *kv);
size_t ct_report_kv_rings(const struct ct_report_ringfig *f, struct ct_report_kv *kv);
size_t ct_report_kv_ringhour(const struct ct_report *r, const struct ct_report_ringhour *h,
    struct ct_report_kv *kv);
size_t ct_report_kv_answer(const struct ct_report *r, struct ct_report_kv *kv);
size_t ct_report_kv_callbacks(const struct ct_report *r, struct ct_report_kv *kv);
size_t ct_report_kv_outbound(const struct ct_report *r, struct ct_report_kv *kv);
size_t ct_report_kv_bucket(const struct ct_report_bucket *b, int daily, int rate,
    struct ct_report_kv *kv);
size_t ct_report_kv_group(const struct ct_report_fig *f, struct ct_report_kv *kv);
size_t ct_report_kv_agent(const struct ct_report_fig *f, int outbound, struct ct_report_kv *kv);
#define CT_REPORT_NWARN 3   /* warnings at most */
size_t ct_report_warnings(const struct ct_report *r, const char **codes, char msgs[CT_REPORT_NWARN][300]);
int ct_report_kv_format(const struct ct_report_kv *kv, char *buf, size_t size);

int ct_report_render_text(const struct ct_report *r, FILE *out);
int ct_report_render_json(const struct ct_report *r, FILE *out);
int ct_report_render_html(const struct ct_report *r, FILE *out);
int ct_report_render_csv(const struct ct_report *r, FILE *out);

#endif
