/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The attribution stage: runs on every finished call record after the
 * dialog emits it and before the sinks write it (engine on_emit).  It sets
 * the sensor name, the tracking-number source and campaign of the dialled
 * number, the direction (home prefixes, then the number pool) and the caller
 * history fields.  With an SQLite store (--db) it replays the stored calls
 * into the history at startup and writes the number pool into table
 * `numbers` for reports.  Workload: one enrichment per call record (a hash
 * lookup in the pool, a few prefix tests, one or two history lookups);
 * configuration errors are found at startup and name the option or file.
 * References: docs/schema.md (fields sensor .. callback_of, Direction,
 * Number normalisation, Callbacks).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "calltap/attr.h"
#include "calltap/err.h"

/* The last number normalised for one field (norm_memo). */
struct norm_last {
	bool used;
	int rc;                          /* of ct_number_norm */
	char in[64];                     /* its input (longer inputs are not kept) */
	char out[CT_NUMBER_MAX];         /* its result */
};

struct ct_attr {
	char *sensor;                    /* NULL = none */
	char cc[4];                      /* country code digits, "" = none */
	struct ct_numbers *numbers;      /* NULL = no pool */
	struct ct_cidr home[CT_ATTR_MAX_HOME];
	size_t n_home;
	struct ct_history *hist;         /* NULL = history off */
	bool preloaded;                  /* history already read from a store */
	struct ct_pool *pool;            /* lease log (--leases), NULL = none */
	struct norm_last last_caller, last_callee; /* set_numbers' memo */
};

/* Defaults: no pool, no home prefixes, host name, 500000 history entries. */
void ct_attr_cfg_default(struct ct_attr_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->history_max = CT_ATTR_HISTORY_DEFAULT;
}

static const char *cc_or_null(const struct ct_attr *a)
{
	return a->cc[0] != '\0' ? a->cc : NULL;
}

/* Country code: 1-3 digits, not starting with 0 (ITU-T E.164). */
static int set_country_code(struct ct_attr *a, const char *cc, char *errbuf)
{
	size_t n;

	if (cc == NULL)
		return CT_OK;
	if (cc[0] == '+')
		cc++;
	n = strlen(cc);
	if (n == 0 || n > 3 || strspn(cc, "0123456789") != n || cc[0] == '0') {
		snprintf(errbuf, CT_ERRBUF_SIZE, "bad --country-code '%s': expected 1-3 digits "
		    "such as 44 or 1", cc);
		return CT_ERR;
	}
	memcpy(a->cc, cc, n + 1);
	return CT_OK;
}

static int set_home(struct ct_attr *a, const struct ct_attr_cfg *cfg, char *errbuf)
{
	size_t i;

	if (cfg->n_home > CT_ATTR_MAX_HOME) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "too many --home prefixes (at most %d)",
		    CT_ATTR_MAX_HOME);
		return CT_ERR;
	}
	for (i = 0; i < cfg->n_home; i++)
		if (ct_cidr_parse(&a->home[i], cfg->home[i]) != CT_OK) {
			snprintf(errbuf, CT_ERRBUF_SIZE, "bad --home prefix '%s': expected "
			    "ADDRESS[/LENGTH], e.g. 203.0.113.0/24 or 2001:db8::/32", cfg->home[i]);
			return CT_ERR;
		}
	a->n_home = cfg->n_home;
	return CT_OK;
}

/* cfg->sensor, else the host name; NULL for "" or when both are missing. */
static int set_sensor(struct ct_attr *a, const char *sensor)
{
	char host[256];

	if (sensor == NULL) {
		host[sizeof(host) - 1] = '\0';
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		sensor = host;
	}
	if (sensor[0] == '\0')
		return CT_OK;
	a->sensor = strdup(sensor);
	return a->sensor != NULL ? CT_OK : CT_NOMEM;
}

/*
 * Creates the stage from cfg (NULL = defaults): loads the number pool,
 * parses the home prefixes and the country code.  Returns the stage (free
 * with ct_attr_free), or NULL with a message in errbuf naming the option,
 * or the file and line of a bad numbers CSV.
 */
struct ct_attr *ct_attr_new(const struct ct_attr_cfg *cfg, char *errbuf)
{
	struct ct_attr_cfg def;
	struct ct_attr *a = calloc(1, sizeof(*a));

	if (cfg == NULL) {
		ct_attr_cfg_default(&def);
		cfg = &def;
	}
	if (a == NULL)
		goto nomem;
	if (set_country_code(a, cfg->country_code, errbuf) != CT_OK ||
	    set_home(a, cfg, errbuf) != CT_OK)
		goto fail;
	if (set_sensor(a, cfg->sensor) != CT_OK)
		goto nomem;
	if (cfg->numbers_path != NULL &&
	    (a->numbers = ct_numbers_load(cfg->numbers_path, cc_or_null(a), errbuf)) == NULL)
		goto fail;
	if (cfg->history_max > 0 && ((a->hist = ct_history_new(cfg->history_max)) == NULL ||
	    ct_history_set_rules(a->hist, cc_or_null(a), !ct_attr_direction_configured(a)) != CT_OK))
		goto nomem;
	if (cfg->leases_path != NULL &&
	    (a->pool = ct_pool_open(cfg->leases_path, cc_or_null(a), 0, &cfg->log, errbuf)) == NULL)
		goto fail;
	return a;
nomem:
	snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
fail:
	ct_attr_free(a);
	return NULL;
}

/* Frees the stage.  NULL is a no-op. */
void ct_attr_free(struct ct_attr *a)
{
	if (a == NULL)
		return;
	ct_numbers_free(a->numbers);
	ct_history_free(a->hist);
	ct_pool_free(a->pool);
	free(a->sensor);
	free(a);
}

/* Replaces *dst, a string field of r, by a copy of src owned by r (NULL
 * allowed): CT_OK or CT_NOMEM. */
static int set_str(struct ct_call_record *r, char **dst, const char *src)
{
	if (*dst == NULL && src == NULL)   /* usual for several per record */
		return CT_OK;
	return ct_record_set_str(r, dst, src);   /* in r's spare room while it fits */
}

/*
 * ct_number_norm(in) into out[CT_NUMBER_MAX] under a's country code,
 * answered from *last when in is the input it normalised last: a flood
 * repeats its numbers record after record (one caller, one dialled
 * number), and a call's numbers are compared once more by set_agent.
 */
static int norm_memo(const struct ct_attr *a, struct norm_last *last, const char *in,
    char out[CT_NUMBER_MAX])
{
	size_t n;
	int rc;

	if (in == NULL)
		return ct_number_norm(in, cc_or_null(a), out, CT_NUMBER_MAX);
	n = strlen(in);
	if (last->used && n < sizeof(last->in) && memcmp(last->in, in, n + 1) == 0) {
		memcpy(out, last->out, CT_NUMBER_MAX);
		return last->rc;
	}
	rc = ct_number_norm(in, cc_or_null(a), out, CT_NUMBER_MAX);
	if (n < sizeof(last->in)) {
		memcpy(last->in, in, n + 1);
		memcpy(last->out, out, CT_NUMBER_MAX);
		last->rc = rc;
		last->used = true;
	}
	return rc;
}

/* Sets caller_number and callee_number (ct_number_norm) of r. */
static int set_numbers(struct ct_attr *a, struct ct_call_record *r)
{
	char num[CT_NUMBER_MAX];

	if (set_str(r, &r->caller_number,
	    norm_memo(a, &a->last_caller, r->caller, num) == CT_OK ? num : NULL) != CT_OK)
		return CT_NOMEM;
	return set_str(r, &r->callee_number,
	    norm_memo(a, &a->last_callee, r->callee, num) == CT_OK ? num : NULL);
}

/* True when user is text equal to s, or a number equal to the normalised num. */
static bool same_party(const struct ct_attr *a, const char *user, const char *s, const char *num)
{
	char n[CT_NUMBER_MAX];

	if (s != NULL && strcmp(user, s) == 0)
		return true;
	return num != NULL && ct_number_norm(user, cc_or_null(a), n, sizeof(n)) == CT_OK &&
	    strcmp(n, num) == 0;
}

/*
 * The agent once the direction is known (the dialog's candidate is the
 * answering extension, else the calling one; docs/schema.md, agent).
 * Outbound: the caller when it is an extension, else the candidate, never
 * the callee (the customer).  Inbound: the candidate of an answered call,
 * never the callee (the dialled tracking number) nor the caller (the
 * customer).  Internal and unknown: the candidate of an answered call
 * other than the caller, else the callee when it is an extension (it
 * answered itself; a tracking or customer number is never one).  Only
 * extensions (ct_number_is_extension); equality is by text or by number.
 */
static int set_agent(const struct ct_attr *a, struct ct_call_record *r)
{
	const char *ag = ct_number_is_extension(r->agent) ? r->agent : NULL;
	bool answered = r->answer_us != CT_TIME_NONE;

	switch (r->direction) {
	case CT_DIR_OUTBOUND:
		if (ct_number_is_extension(r->caller))
			ag = r->caller;
		if (ag != NULL && same_party(a, ag, r->callee, r->callee_number))
			ag = NULL;
		break;
	case CT_DIR_INBOUND:
		if (!answered || (ag != NULL && (same_party(a, ag, r->callee, r->callee_number) ||
		    same_party(a, ag, r->caller, r->caller_number))))
			ag = NULL;
		break;
	default:    /* internal, or unknown */
		if (ag != NULL && same_party(a, ag, r->caller, r->caller_number))
			ag = NULL;
		if (ag == NULL && ct_number_is_extension(r->callee))
			ag = r->callee;
		if (!answered)
			ag = NULL;
		break;
	}
	if (ag == r->agent)
		return CT_OK;
	return set_str(r, &r->agent, ag);
}

/* Feeds r to the history and copies what it knew into r. */
static int enrich_history(struct ct_attr *a, struct ct_call_record *r)
{
	struct ct_history_call c;
	struct ct_history_result res;
	int rc;

	memset(&c, 0, sizeof(c));
	c.call_id = r->call_id;
	c.caller = r->caller_number;
	c.callee = r->callee_number;
	c.start_us = r->start_us;
	c.end_us = r->end_us;
	c.direction = ct_history_direction(a->hist, r->direction);
	c.disposition = r->disposition;
	c.machine = r->answered_by == CT_ANS_IVR || r->answered_by == CT_ANS_VOICEMAIL;
	rc = ct_history_add(a->hist, &c, &res);
	r->has_history = res.known;
	r->first_call = res.known && res.repeat == 0;
	r->repeat_count = res.repeat;
	r->has_callback = res.has_callback;
	r->callback_us = res.callback_us;
	ct_record_str_free(r, r->callback_of);
	r->callback_of = res.callback_of;
	return rc;
}

/* ---- lease fields: number pools (--leases, pool.c) ------------------------ */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The lease that held r's dialled number at its start (reads new lease lines first). */
static const struct ct_lease *lease_of(struct ct_attr *a, const struct ct_call_record *r)
{
	if (a->pool == NULL || r->callee_number == NULL)
		return NULL;
	ct_pool_refresh(a->pool, mono_ms());
	return ct_pool_find(a->pool, r->callee_number, r->start_us);
}

/*
 * Copies the session fields of lease l into r; utm_source / utm_campaign,
 * when set, replace the number's static source / campaign.  CT_OK or
 * CT_NOMEM.
 */
static int apply_lease(struct ct_call_record *r, const struct ct_lease *l)
{
	char **dst[CT_LEASE_NFIELDS] = {
		&r->session_id, &r->visitor_id, &r->client_id, &r->utm_source, &r->utm_medium,
		&r->utm_campaign, &r->utm_term, &r->utm_content, &r->click_id,
	};
	int i, rc = CT_OK;

	for (i = 0; i < CT_LEASE_NFIELDS; i++)
		if (set_str(r, dst[i], l->f[i]) != CT_OK)
			rc = CT_NOMEM;
	if (l->f[CT_LEASE_UTM_SOURCE] != NULL &&
	    set_str(r, &r->source, l->f[CT_LEASE_UTM_SOURCE]) != CT_OK)
		rc = CT_NOMEM;
	if (l->f[CT_LEASE_UTM_CAMPAIGN] != NULL &&
	    set_str(r, &r->campaign, l->f[CT_LEASE_UTM_CAMPAIGN]) != CT_OK)
		rc = CT_NOMEM;
	return rc;
}

/* Lease log counters (tests, --stats); zeros without --leases. */
void ct_attr_pool_stats(const struct ct_attr *a, struct ct_pool_stats *st)
{
	ct_pool_get_stats(a != NULL ? a->pool : NULL, st);
}

/* ---- webhook payload: normalised numbers and missed ----------------------- */

/* Sets missed of r (after its direction; the webhook's payload). */
static void set_missed(const struct ct_attr *a, struct ct_call_record *r)
{
	r->missed = (r->direction == CT_DIR_INBOUND ||
	    (r->direction == CT_DIR_UNKNOWN && !ct_attr_direction_configured(a))) &&
	    (r->disposition == CT_DISP_BUSY || r->disposition == CT_DISP_NOANSWER ||
	    r->disposition == CT_DISP_CANCELLED);
}

/*
 * Enriches the record of a call that has just started (the webhook's
 * call_start event): the same fields as ct_attr_enrich except the history,
 * which sees a call once, when it ends.  CT_OK or CT_NOMEM.
 */
int ct_attr_start(struct ct_attr *a, struct ct_call_record *r)
{
	struct ct_history *h;
	int rc;

	if (a == NULL || r == NULL)
		return CT_OK;
	h = a->hist;
	a->hist = NULL;
	rc = ct_attr_enrich(a, r);
	a->hist = h;
	return rc;
}

/*
 * True when the direction of calls can be told: --home prefixes, or a
 * numbers file (calls to a tracking number are inbound).  Otherwise every
 * call is of unknown direction and counts as inbound (history, missed
 * calls), outbound calls included.  False for NULL.
 */
bool ct_attr_direction_configured(const struct ct_attr *a)
{
	return a != NULL && (a->n_home > 0 || a->numbers != NULL || a->pool != NULL);
}

/*
 * Enriches one record in place: sensor; caller_number and callee_number;
 * source and campaign when the callee is a tracking number; direction when
 * it is still unknown (see ct_direction_classify); the agent for that
 * direction (set_agent); first_call, repeat_count, callback_s and
 * callback_of from the history, which then remembers the call.  Must be
 * called once per record, in the order the records are written.  Returns
 * CT_OK, or CT_NOMEM (the record is still valid, some fields left null).
 * A NULL a or r is a no-op.
 */
int ct_attr_enrich(struct ct_attr *a, struct ct_call_record *r)
{
	int rc = ct_attr_enrich_base(a, r);

	if (ct_attr_history(a, r) != CT_OK)
		rc = CT_NOMEM;
	return rc;
}

/*
 * The history part of ct_attr_enrich: feeds r to the history and sets
 * first_call, repeat_count, callback_s and callback_of.  The engine calls
 * it when the record leaves the PBX legs stage (answered_by known: an
 * inbound call answered only by an IVR or voicemail is a missed call for
 * the history too), in the order the records are written.  CT_OK or
 * CT_NOMEM; a NULL a or r is a no-op.
 */
int ct_attr_history(struct ct_attr *a, struct ct_call_record *r)
{
	if (a == NULL || r == NULL || a->hist == NULL)
		return CT_OK;
	return enrich_history(a, r);
}

/* ct_attr_enrich without the history (ct_attr_history). */
int ct_attr_enrich_base(struct ct_attr *a, struct ct_call_record *r)
{
	const struct ct_number_info *tn = NULL;
	const struct ct_lease *lease;
	int rc = CT_OK;

	if (a == NULL || r == NULL)
		return CT_OK;
	if (set_numbers(a, r) != CT_OK)
		rc = CT_NOMEM;
	tn = ct_numbers_lookup(a->numbers, r->callee_number);
	lease = lease_of(a, r);   /* lease fields */
	if (r->direction == CT_DIR_UNKNOWN)
		r->direction = ct_direction_classify(a->home, a->n_home, &r->src_ip, &r->dst_ip,
		    tn != NULL || lease != NULL);
	if (tn == NULL && lease == NULL && r->direction == CT_DIR_INBOUND && r->diverted_from != NULL) {
		/*
		 * Dialled no tracking number, but diverted from one (Diversion,
		 * History-Info: the carrier or a call-tracking service forwarded
		 * the tracking number the caller dialled to the business's line):
		 * that number's source and campaign.  Inbound calls only, after
		 * the direction: a PBX forwarding a caller out carries the
		 * tracking number in its Diversion too (red-team pass 10).
		 */
		char num[CT_NUMBER_MAX];

		if (ct_number_norm(r->diverted_from, cc_or_null(a), num, sizeof(num)) == CT_OK)
			tn = ct_numbers_lookup(a->numbers, num);
	}
	if (set_str(r, &r->sensor, a->sensor) != CT_OK ||
	    set_str(r, &r->source, tn != NULL ? tn->source : NULL) != CT_OK ||
	    set_str(r, &r->campaign, tn != NULL ? tn->campaign : NULL) != CT_OK ||
	    set_agent(a, r) != CT_OK)
		rc = CT_NOMEM;
	if (lease != NULL && apply_lease(r, lease) != CT_OK)
		rc = CT_NOMEM;
	set_missed(a, r);
	return rc;
}

/* Binds one pool entry to the INSERT INTO numbers statement and runs it. */
static int insert_number(sqlite3_stmt *st, const struct ct_number_info *n)
{
	int rc;

	sqlite3_bind_text(st, 1, n->number, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, n->source, -1, SQLITE_STATIC);
	if (n->campaign != NULL)
		sqlite3_bind_text(st, 3, n->campaign, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, 3);
	if (n->has_cost)
		sqlite3_bind_double(st, 4, n->cost);
	else
		sqlite3_bind_null(st, 4);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? CT_OK : CT_ERR;
}

/* Replaces the rows of table numbers by the pool, in one transaction. */
static int store_numbers(const struct ct_numbers *pool, const char *path, char *errbuf)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	size_t i;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE; DELETE FROM numbers", NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO numbers (number, source, campaign, cost)"
	    " VALUES (?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < ct_numbers_count(pool); i++)
		if (insert_number(st, ct_numbers_at(pool, i)) != CT_OK)
			goto fail;
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return CT_OK;
fail:
	snprintf(errbuf, CT_ERRBUF_SIZE, "cannot write numbers to database '%s': %s", path,
	    db != NULL ? sqlite3_errmsg(db) : "out of memory");
	sqlite3_finalize(st);
	sqlite3_close(db);   /* an open transaction is rolled back */
	return CT_ERR;
}

/*
 * Attaches the SQLite store at path (already created by the SQLite sink):
 * the first store attached is replayed into the history; the number pool,
 * when there is one, replaces the rows of its table numbers.  Returns
 * CT_OK, or CT_ERR with a message naming the database in errbuf.
 */
int ct_attr_attach_db(struct ct_attr *a, const char *path, char *errbuf)
{
	if (a == NULL)
		return CT_OK;
	if (a->hist != NULL && !a->preloaded) {
		if (ct_history_preload(a->hist, path, errbuf) != CT_OK)
			return CT_ERR;
		a->preloaded = true;
	}
	if (a->numbers != NULL)
		return store_numbers(a->numbers, path, errbuf);
	return CT_OK;
}

/*
 * Hands the history to a store that preloads it row by row (for example
 * PostgreSQL through ct_history_feed_row).  Returns NULL for a NULL a, when
 * the history is off, or when a store already preloaded it; otherwise the
 * history (owned by a), and marks it preloaded.
 */
struct ct_history *ct_attr_claim_history(struct ct_attr *a)
{
	if (a == NULL || a->hist == NULL || a->preloaded)
		return NULL;
	a->preloaded = true;
	return a->hist;
}

/* The tracking-number pool of a (--numbers), or NULL when none or a is NULL. */
const struct ct_numbers *ct_attr_numbers(const struct ct_attr *a)
{
	return a != NULL ? a->numbers : NULL;
}

/*
 * Fills cfg with the defaults and a's home prefixes and country code
 * (pointers into a: valid while a lives; ct_legs_new copies them).
 */
void ct_attr_legs_cfg(const struct ct_attr *a, struct ct_legs_cfg *cfg)
{
	ct_legs_cfg_default(cfg);
	if (a == NULL)
		return;
	cfg->home = a->home;
	cfg->n_home = a->n_home;
	cfg->cc = cc_or_null(a);
	cfg->tracking = a->numbers;
}
