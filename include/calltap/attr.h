/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Attribution: enrichment of each call record before the sinks.  The stage
 * (struct ct_attr) sets the sensor name, the tracking-number source and
 * campaign (--numbers), the direction (--home prefixes, tracking numbers)
 * and the caller history (first_call, repeat_count, callbacks).  Numbers are
 * compared in a normalised form (digits, international, see docs/schema.md).
 */
#ifndef CALLTAP_ATTR_H
#define CALLTAP_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/log.h"
#include "calltap/packet.h"
#include "calltap/record.h"

#define CT_NUMBER_MAX 32    /* normalised number, '+' and digits + NUL */

/* ---- numbers.c: normalisation and the tracking-number pool -------------- */

/*
 * Normalises a number (SIP user, sip:/tel: URI, name-addr or file text):
 * "+DIGITS" when international, else plain digits; CT_ERR (out = "") when
 * it is not a number (withheld, no digit, other characters).  cc = country
 * code digits or NULL.  The one normalisation every comparison uses.
 */
int ct_number_norm(const char *in, const char *cc, char *out, size_t len);
/* True when a SIP user part is a company extension (short digits or a name). */
bool ct_number_is_extension(const char *user);

struct ct_number_info {
	char *number;      /* normalised */
	char *source;      /* never NULL */
	char *campaign;    /* NULL when empty */
	double cost;       /* valid when has_cost */
	bool has_cost;
	unsigned line;     /* line of the CSV file */
};

struct ct_numbers;
struct ct_numbers *ct_numbers_load(const char *path, const char *cc, char *errbuf);
struct ct_numbers *ct_numbers_parse(const char *text, size_t len, const char *name,
    const char *cc, char *errbuf);
void ct_numbers_free(struct ct_numbers *n);
const struct ct_number_info *ct_numbers_find(const struct ct_numbers *n, const char *norm);
const struct ct_number_info *ct_numbers_lookup(const struct ct_numbers *n, const char *num);
size_t ct_numbers_count(const struct ct_numbers *n);
size_t ct_numbers_max_probe(const struct ct_numbers *n);  /* tests: longest lookup */
const struct ct_number_info *ct_numbers_at(const struct ct_numbers *n, size_t i);

/* ---- direction.c: home prefixes and the direction rule ------------------- */

struct ct_cidr {
	struct ct_addr net;   /* host bits cleared */
	uint8_t bits;         /* prefix length, 0-32 or 0-128 */
};

int ct_cidr_parse(struct ct_cidr *c, const char *text);
bool ct_cidr_match(const struct ct_cidr *c, const struct ct_addr *a);
bool ct_cidr_any(const struct ct_cidr *v, size_t n, const struct ct_addr *a);
enum ct_direction ct_direction_classify(const struct ct_cidr *home, size_t n_home,
    const struct ct_addr *src, const struct ct_addr *dst, bool callee_tracked);

/* ---- history.c: callers seen before, missed calls and callbacks ---------- */

/* One call as the history sees it (a record, or a row of a store). */
struct ct_history_call {
	const char *call_id;
	const char *caller;       /* ct_number_norm() of the caller, NULL = not a number */
	const char *callee;       /* ct_number_norm() of the callee, NULL = not a number */
	int64_t start_us, end_us; /* CT_TIME_NONE when unknown */
	enum ct_direction direction; /* as the figures count it: unknown already mapped */
	enum ct_disposition disposition;
	bool machine;             /* answered only by an IVR or voicemail (answered_by): missed */
};

struct ct_history_result {
	bool known;               /* inbound call from a number: first_call/repeat are valid */
	uint32_t repeat;          /* earlier inbound calls from the caller */
	bool has_callback;        /* missed call whose first callback attempt is known */
	int64_t callback_us;
	char *callback_of;        /* outbound attempt: Call-ID of the missed call (caller frees) */
};

/*
 * One stored call as a store hands it to the history (strings borrowed,
 * NULL for SQL NULL).  With numbers_known the stored caller_number /
 * callee_number are used as they are; else caller / callee are normalised
 * with the history's country code.  direction / disposition are the
 * stored names (ct_direction_name, ct_disposition_name).
 */
struct ct_history_row {
	const char *call_id;
	const char *caller, *callee;
	const char *caller_number, *callee_number;
	bool numbers_known;
	const char *direction, *disposition;
	int64_t start_us, end_us;  /* CT_TIME_NONE for NULL */
	const char *answered_by;   /* NULL: none (or a store without the column) */
};

struct ct_history;
struct ct_history *ct_history_new(size_t max_entries);
void ct_history_free(struct ct_history *h);
/* Rules for rows: country code (NULL = none); unknown direction counted as inbound. */
int ct_history_set_rules(struct ct_history *h, const char *cc, bool unknown_inbound);
enum ct_direction ct_history_direction(const struct ct_history *h, enum ct_direction d);
int ct_history_add(struct ct_history *h, const struct ct_history_call *c,
    struct ct_history_result *res);
int ct_history_feed_row(struct ct_history *h, const struct ct_history_row *row);
/*
 * The query a store answers with the rows to feed, in start order (the
 * same text for SQLite and PostgreSQL); the columns in this order are the
 * fields of struct ct_history_row: call_id, caller, callee, direction,
 * disposition, start_us, end_us, answered_by.
 */
#define CT_HISTORY_ROWS_SQL \
	"SELECT call_id, caller, callee, direction, disposition, start_us, end_us, answered_by" \
	" FROM calls ORDER BY start_us, id"
/* The same without answered_by (column 7), for a store made before it existed. */
#define CT_HISTORY_ROWS_SQL_OLD \
	"SELECT call_id, caller, callee, direction, disposition, start_us, end_us" \
	" FROM calls ORDER BY start_us, id"
size_t ct_history_size(const struct ct_history *h);
size_t ct_history_longest_chain(const struct ct_history *h); /* tests: O(buckets) */
size_t ct_history_bytes(const struct ct_history *h);  /* the entries' memory, as budgeted */
/* Feeds every call of the SQLite store at db_path (ct_history_feed_row). */
int ct_history_preload(struct ct_history *h, const char *db_path, char *errbuf);

/* ---- pool.c: dynamic number pools (lease log, --leases) ----------------- */

/* Session fields of a lease, in record and CSV order (names: ct_lease_field_name). */
enum ct_lease_field {
	CT_LEASE_SESSION_ID = 0, CT_LEASE_VISITOR_ID, CT_LEASE_CLIENT_ID,
	CT_LEASE_UTM_SOURCE, CT_LEASE_UTM_MEDIUM, CT_LEASE_UTM_CAMPAIGN,
	CT_LEASE_UTM_TERM, CT_LEASE_UTM_CONTENT, CT_LEASE_CLICK_ID,
	CT_LEASE_NFIELDS
};

/* One lease: number held by a visit from from_us (inclusive) to until_us (exclusive). */
struct ct_lease {
	char number[CT_NUMBER_MAX];     /* normalised */
	int64_t from_us, until_us;      /* until_us INT64_MAX: open-ended */
	char *f[CT_LEASE_NFIELDS];      /* NULL when empty */
	unsigned line;                  /* line of the lease log */
};

struct ct_pool_stats {
	uint64_t lines;      /* data lines read (blank lines not counted) */
	uint64_t leases;     /* leases held now */
	uint64_t added;      /* leases read (a line replacing an earlier one counts too) */
	uint64_t replaced;   /* lines that replaced a lease of the same number and leased_from */
	uint64_t bad;        /* malformed lines (skipped) */
	uint64_t expired;    /* leases dropped: ended CT_POOL_KEEP_US before the capture clock */
	uint64_t refused;    /* leases not kept: CT_POOL_MAX_LEASES reached */
	uint64_t reopened;   /* the file was rotated or truncated and read again from its start */
	unsigned bad_line[8];    /* lines of the first 8 malformed lines (0 = none) */
};

#define CT_POOL_MAX_LEASES 1000000
#define CT_POOL_KEEP_US (INT64_C(48) * 3600 * 1000000) /* leases ended this long ago go */

struct ct_pool;
const char *ct_lease_field_name(enum ct_lease_field f);
/* log: where bad lines and refusals are reported (log.h; copied; NULL: nowhere). */
struct ct_pool *ct_pool_open(const char *path, const char *cc, size_t max_leases,
    const struct ct_log *log, char *errbuf);
void ct_pool_free(struct ct_pool *p);
int ct_pool_refresh(struct ct_pool *p, int64_t mono_ms);
const struct ct_lease *ct_pool_find(struct ct_pool *p, const char *norm, int64_t at_us);
void ct_pool_get_stats(const struct ct_pool *p, struct ct_pool_stats *st);
/* ISO 8601 time (Z, offset, or none = UTC) to microseconds; CT_OK or CT_ERR. */
int ct_pool_parse_time(const char *s, int64_t *us);

/* ---- legs.c: PBX legs, rings and answered_by (docs/schema.md) ------------ */

struct ct_legs_cfg {
	const struct ct_cidr *home;     /* home prefixes (copied); none: nothing is linked */
	size_t n_home;
	const char *cc;                 /* country code (copied), NULL = none */
	int64_t wait_us;                /* longest wait of a trunk record for its legs (60 s) */
	size_t max_calls;               /* trunk calls and legs tracked, each (200000) */
	const struct ct_numbers *tracking; /* the --numbers pool, borrowed (outlives the
	                                  stage), NULL = none: the home side's own numbers */
};

struct ct_legs_stats {
	uint64_t trunk_calls;           /* inbound trunk calls tracked */
	uint64_t legs_linked;           /* legs linked to one */
	uint64_t by_header, by_caller, by_diversion; /* ... by rule */
	uint64_t by_refer;              /* ... by a blind transfer's Refer-To */
	uint64_t by_replaces;           /* calls adopted through an attended transfer's Replaces */
	uint64_t by_media;              /* ... by an SDP endpoint shared with the trunk call (rule 5) */
	uint64_t media_ambiguous;       /* SDP endpoints of a loose call matching several calls */
	uint64_t by_offer;              /* ... by sharing a linked leg's forked INVITE offer (rule 5) */
	uint64_t by_bridge;             /* ... by bridged RTP: same SSRC or timing (rule 6) */
	uint64_t by_bridge_ssrc;        /* ... of which by the same SSRC */
	uint64_t bridge_ambiguous;      /* answered loose calls whose RTP matched several calls */
	uint64_t transfers;             /* REFERs seen in linked legs */
	uint64_t ambiguous;             /* legs not linked: several trunk calls matched */
	uint64_t legs_late;             /* linked legs whose record came after the wait */
	uint64_t legs_unlinked;         /* legs linked by number, answered while their trunk
	                                   call never was: not its legs (legs.c weak_check) */
	uint64_t released_by_wait;      /* trunk records written after waiting wait_us */
	uint64_t released_early;        /* ... before it: more than 20,000 were waiting */
	uint64_t not_tracked;           /* calls beyond max_calls (or no memory) */
	uint64_t nomem;
};

/* Receives each record the stage lets go (ownership passes). */
typedef void (*ct_legs_out_fn)(void *user, struct ct_call_record *rec);
struct ct_legs;
void ct_legs_cfg_default(struct ct_legs_cfg *cfg);
struct ct_legs *ct_legs_new(const struct ct_legs_cfg *cfg, ct_legs_out_fn out, void *user);
void ct_legs_free(struct ct_legs *l);
void ct_legs_start(struct ct_legs *l, const struct ct_call_record *view);
void ct_legs_ended(struct ct_legs *l, const struct ct_call_record *rec);
struct ct_sip_msg;
void ct_legs_refer(struct ct_legs *l, const char *call_id, const struct ct_sip_msg *m);
/* Each SIP message of a call: a 401/407 to a trunk call's INVITE holds it
 * out of the calls legs link to until the INVITE is retried. */
void ct_legs_sip(struct ct_legs *l, const char *call_id, const struct ct_sip_msg *m);
void ct_legs_sdp(struct ct_legs *l, const char *call_id, enum ct_party from,
    const struct ct_sip_msg *m);
void ct_legs_put(struct ct_legs *l, struct ct_call_record *rec, int64_t now_us);
void ct_legs_expire(struct ct_legs *l, int64_t now_us);
void ct_legs_flush(struct ct_legs *l);
void ct_legs_get_stats(const struct ct_legs *l, struct ct_legs_stats *st);
/* Tests: the most entries one lookup walked (numbers, REFERs, SDP endpoints). */
size_t ct_legs_max_walk(const struct ct_legs *l);
/* True when a SIP user names a voicemail box (vm, vm201, voicemail, vmail...). */
bool ct_legs_is_voicemail(const char *user);

/* ---- attr.c: the stage --------------------------------------------------- */

#define CT_ATTR_MAX_HOME 64
#define CT_ATTR_HISTORY_DEFAULT 500000
/*
 * Two sensors' records of one call (its Call-ID) start at most this far
 * apart (their clocks and taps): the history and the report take them
 * for one call.
 */
#define CT_SENSOR_SKEW_US (2 * INT64_C(1000000))

struct ct_attr_cfg {
	const char *numbers_path;       /* tracking numbers CSV, NULL = none */
	const char *leases_path;        /* lease log CSV of the number pools, NULL = none */
	const char *country_code;       /* digits for national numbers, NULL = none */
	const char *home[CT_ATTR_MAX_HOME]; /* CIDR texts of the home side */
	size_t n_home;
	const char *sensor;             /* NULL = the host name */
	size_t history_max;             /* numbers remembered; 0 = no history */
	struct ct_log log;              /* messages while running (log.h; fn NULL: none) */
};

struct ct_attr;
void ct_attr_cfg_default(struct ct_attr_cfg *cfg);
struct ct_attr *ct_attr_new(const struct ct_attr_cfg *cfg, char *errbuf);
void ct_attr_free(struct ct_attr *a);
int ct_attr_enrich(struct ct_attr *a, struct ct_call_record *rec);
int ct_attr_enrich_base(struct ct_attr *a, struct ct_call_record *rec);
int ct_attr_history(struct ct_attr *a, struct ct_call_record *rec);
/* True when --home or --numbers can tell inbound calls (else unknown counts as inbound). */
bool ct_attr_direction_configured(const struct ct_attr *a);
/* The legs stage's settings from the stage (home prefixes, country code). */
void ct_attr_legs_cfg(const struct ct_attr *a, struct ct_legs_cfg *cfg);
/* The tracking-number pool (--numbers), or NULL. */
const struct ct_numbers *ct_attr_numbers(const struct ct_attr *a);
/* The same for a call that has just started (no history): the call_start event. */
int ct_attr_start(struct ct_attr *a, struct ct_call_record *rec);
void ct_attr_pool_stats(const struct ct_attr *a, struct ct_pool_stats *st);
/* Preloads the history from an SQLite store and writes its numbers table. */
int ct_attr_attach_db(struct ct_attr *a, const char *path, char *errbuf);
/*
 * The stage's history for another store to preload (ct_history_feed_row),
 * NULL when the history is off or was already preloaded from a store; the
 * first call claims the preload (later calls and ct_attr_attach_db then do
 * not preload again).
 */
struct ct_history *ct_attr_claim_history(struct ct_attr *a);

#endif
