/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Caller history: how many inbound calls each number made before
 * (first_call, repeat_count), its missed calls and their callbacks.  One
 * entry per normalised number (ct_number_norm) in the shared keyed hash
 * table (calltap/hashtab.h) and on an LRU list (calltap/list.h, oldest
 * first); at most max entries are kept, and at most HIST_MEAN_BYTES of
 * memory per entry of max on the whole (account), the least recently used
 * ones evicted first, so memory is bounded on an endless live capture
 * whatever the calls per number.  An entry
 * keeps the start times (and Call-ID hashes) of its last HIST_CALLS inbound
 * calls, sorted, so "earlier" means a strictly earlier start whatever order
 * the calls come in, and a call seen again (same Call-ID and start: a
 * replayed capture, a store row) is not its own earlier call; its last
 * HIST_MISSED missed calls with their first callback attempt and the start
 * of the call that closed them; and its last HIST_EVENTS outbound calls and
 * answered inbound calls, for missed calls that are fed after them.
 *
 * Callbacks follow call START order (docs/schema.md, Callbacks) although
 * records come in end order: an outbound call starting at s is an attempt
 * for every missed call m of its callee with m.end <= s that was still open
 * at s (not closed, or closed by a call starting at or after s); an
 * answered outbound call to the number, or an answered inbound call from
 * it, closes every open missed call that ended by its start.  Each decision
 * compares start times instead of relying on the feeding order, so a long
 * callback that ends after a short later one still comes first.
 *
 * Calls are fed as records are written, and at startup from the store
 * (ct_history_feed_row: SQLite here, any store through the same rows).
 * Keys come from the wire, so they are hashed with keyed SipHash under the
 * table's random key: colliding numbers cannot be precomputed.
 * Workload: one or two lookups per call record and a scan of a few short
 * arrays; the table grows by doubling.
 * References: docs/schema.md (first_call, repeat_count, callback_s,
 * callback_of), https://sqlite.org/c3ref/prepare.html.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"

#define HIST_CALLS 256     /* inbound call starts remembered per number */
#define HIST_MISSED 8      /* missed calls remembered per number */
#define HIST_EVENTS 8      /* outbound / answered inbound starts per number */
#define HIST_MEAN_BYTES 256 /* the byte budget: this much per number of max_entries, */
#define HIST_MIN_BYTES (1u << 20) /* ... and at least this much */
#define HIST_MALLOC_COST 16 /* bytes an allocation costs beyond its size (glibc) */

struct hcall {
	int64_t start_us;
	uint64_t id;                   /* keyed hash of the Call-ID, 0 = none */
};

struct missed {
	char *call_id;                 /* owned; may be NULL (Call-ID unknown) */
	uint64_t id;
	int64_t start_us, end_us;
	int64_t attempt_us;            /* start of the first callback attempt, or NONE */
	int64_t close_us;              /* start of the call that closed it, or NONE (open) */
};

enum ev_kind { EV_OUT = 0, EV_OUT_ANSWERED, EV_IN_ANSWERED };

struct event {
	int64_t start_us;
	uint64_t id;
	uint8_t kind;                  /* enum ev_kind */
};

struct hent {
	struct ct_hnode hn;            /* in ct_history.tab, under the hash of key */
	struct ct_list lru;            /* on ct_history.lru */
	uint32_t older_calls;          /* inbound calls before calls[0], forgotten */
	uint32_t bytes;                /* its memory as last counted (account) */
	uint16_t n_calls, cap_calls;
	uint8_t n_missed, cap_missed, n_ev, cap_ev;
	struct hcall *calls;           /* sorted by start, then id */
	struct missed *missed;         /* grows to HIST_MISSED slots */
	struct event *ev;              /* grows to HIST_EVENTS slots */
	char key[];
};

struct ct_history {
	struct ct_htab tab;            /* every entry, by number; its random key also
	                                  hashes Call-IDs */
	struct ct_list lru;            /* every entry, least recently used first */
	size_t max;
	size_t bytes, max_bytes;       /* the entries' memory (account), and its budget */
	char cc[8];                    /* country code for rows, "" = none */
	bool unknown_inbound;          /* rows: unknown direction counts as inbound */
};

/*
 * Creates an empty history keeping at most max_entries numbers (at least
 * 1).  Returns NULL when memory runs out.  Free with ct_history_free.
 */
struct ct_history *ct_history_new(size_t max_entries)
{
	struct ct_history *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->max = max_entries > 0 ? max_entries : 1;
	h->max_bytes = h->max <= SIZE_MAX / HIST_MEAN_BYTES ? h->max * HIST_MEAN_BYTES : SIZE_MAX;
	if (h->max_bytes < HIST_MIN_BYTES)
		h->max_bytes = HIST_MIN_BYTES;
	ct_list_init(&h->lru);
	if (ct_htab_init(&h->tab, 1024, CT_HTAB_UNBOUNDED) != CT_OK) {
		free(h);
		return NULL;
	}
	return h;
}

static void entry_free(struct hent *e)
{
	unsigned i;

	for (i = 0; i < e->n_missed; i++)
		free(e->missed[i].call_id);
	free(e->calls);
	free(e->missed);
	free(e->ev);
	free(e);
}

/* Frees the history and every entry.  NULL is a no-op. */
void ct_history_free(struct ct_history *h)
{
	struct ct_list *n;

	if (h == NULL)
		return;
	while ((n = ct_list_pop_first(&h->lru)) != NULL)
		entry_free(ct_container_of(n, struct hent, lru));
	ct_htab_fini(&h->tab);
	free(h);
}

/* Number of numbers remembered (0 for NULL). */
size_t ct_history_size(const struct ct_history *h)
{
	return h != NULL ? ct_htab_count(&h->tab) : 0;
}

/* The memory the entries hold as the byte budget counts it (0 for NULL). */
size_t ct_history_bytes(const struct ct_history *h)
{
	return h != NULL ? h->bytes : 0;
}

/* Longest hash chain (tests, diagnostics; O(buckets + entries)); 0 for NULL. */
size_t ct_history_longest_chain(const struct ct_history *h)
{
	return h != NULL ? ct_htab_longest_chain(&h->tab) : 0;
}

/* Removes the least recently used entry. */
static void evict_oldest(struct ct_history *h)
{
	struct ct_list *n = ct_list_pop_first(&h->lru);
	struct hent *e;

	if (n == NULL)
		return;
	e = ct_container_of(n, struct hent, lru);
	ct_htab_remove(&h->tab, &e->hn);
	h->bytes -= e->bytes;
	entry_free(e);
}

/* The memory entry e holds now: the entry, its arrays and Call-ID copies. */
static size_t ent_bytes(const struct hent *e)
{
	size_t n = sizeof(*e) + strlen(e->key) + 1 + HIST_MALLOC_COST;
	unsigned i;

	if (e->calls != NULL)
		n += (size_t)e->cap_calls * sizeof(*e->calls) + HIST_MALLOC_COST;
	if (e->missed != NULL)
		n += (size_t)e->cap_missed * sizeof(*e->missed) + HIST_MALLOC_COST;
	if (e->ev != NULL)
		n += (size_t)e->cap_ev * sizeof(*e->ev) + HIST_MALLOC_COST;
	for (i = 0; i < e->n_missed; i++)
		if (e->missed[i].call_id != NULL)
			n += strlen(e->missed[i].call_id) + 1 + HIST_MALLOC_COST;
	return n;
}

/*
 * Counts e's memory again (after a change) and keeps the whole within the
 * byte budget, max_bytes (HIST_MEAN_BYTES per number of max_entries, at
 * least HIST_MIN_BYTES), forgetting the least recently used numbers but
 * e.  The number of entries alone did not bound the memory: a number
 * keeps up to HIST_CALLS starts and HIST_MISSED Call-IDs, about 6 KB, so
 * 500,000 numbers of 8 missed calls each took over 1 GiB (red-team pass 8).
 */
static void account(struct ct_history *h, struct hent *e)
{
	size_t now = ent_bytes(e);
	struct ct_list *first;

	h->bytes = h->bytes - e->bytes + now;
	e->bytes = (uint32_t)(now < UINT32_MAX ? now : UINT32_MAX);
	while (h->bytes > h->max_bytes && (first = ct_list_first(&h->lru)) != NULL &&
	    first != &e->lru)
		evict_oldest(h);
}

/* Finds key, or creates it (evicting when full); marks it most recent. */
static struct hent *get(struct ct_history *h, const char *key)
{
	size_t klen = strlen(key);
	uint64_t hv = ct_htab_hash(&h->tab, key, klen);
	struct ct_hnode *n;
	struct hent *e;

	for (n = ct_htab_first(&h->tab, hv); n != NULL; n = ct_htab_next(n)) {
		e = ct_container_of(n, struct hent, hn);
		if (strcmp(e->key, key) == 0) {
			ct_list_move_tail(&h->lru, &e->lru);
			return e;
		}
	}
	while (ct_htab_count(&h->tab) >= h->max)
		evict_oldest(h);
	e = calloc(1, sizeof(*e) + klen + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->key, key, klen + 1);
	ct_htab_insert(&h->tab, &e->hn, hv);
	ct_list_append(&h->lru, &e->lru);
	return e;
}

/*
 * Sets the rules used by ct_history_feed_row and ct_history_direction: cc
 * (country code digits, NULL or "" = none) and whether a call of unknown
 * direction counts as inbound (no direction configured).  CT_OK, or CT_ERR
 * for a cc longer than 7 bytes.
 */
int ct_history_set_rules(struct ct_history *h, const char *cc, bool unknown_inbound)
{
	if (cc == NULL)
		cc = "";
	if (strlen(cc) >= sizeof(h->cc))
		return CT_ERR;
	strcpy(h->cc, cc);
	h->unknown_inbound = unknown_inbound;
	return CT_OK;
}

/* The direction the history counts a call with direction d as. */
enum ct_direction ct_history_direction(const struct ct_history *h, enum ct_direction d)
{
	return d == CT_DIR_UNKNOWN && h != NULL && h->unknown_inbound ? CT_DIR_INBOUND : d;
}

static bool is_missed(enum ct_disposition d)
{
	return d == CT_DISP_BUSY || d == CT_DISP_NOANSWER || d == CT_DISP_CANCELLED;
}

static uint64_t id_hash(const struct ct_history *h, const char *call_id)
{
	return call_id != NULL ? ct_htab_hash(&h->tab, call_id, strlen(call_id)) | 1 : 0;
}

/* Index of the first remembered call of e that started at or after start. */
static size_t first_from(const struct hent *e, int64_t start)
{
	size_t lo = 0, hi = e->n_calls;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (e->calls[mid].start_us < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Counts the remembered inbound calls of e that started strictly before
 * start and remembers this one (start, id), unless it is already there: a
 * call fed again, or another sensor's record of it (its Call-ID, started
 * within CT_SENSOR_SKEW_US: two taps of one trunk feeding one store), which
 * counts as that record.  Keeps the last HIST_CALLS starts; older ones
 * only count.
 */
static int count_call(struct hent *e, int64_t start, uint64_t id, uint32_t *repeat)
{
	int64_t skew = id != 0 ? CT_SENSOR_SKEW_US : 0;   /* no Call-ID: the same start only */
	int64_t from = start >= INT64_MIN + skew ? start - skew : INT64_MIN;
	int64_t to = start <= INT64_MAX - skew ? start + skew : INT64_MAX;
	size_t lo, i;

	for (i = first_from(e, from); i < e->n_calls && e->calls[i].start_us <= to; i++)
		if (e->calls[i].id == id) {
			*repeat = e->older_calls + (uint32_t)first_from(e, e->calls[i].start_us);
			return CT_OK;   /* seen before: not its own earlier call */
		}
	lo = first_from(e, start);
	*repeat = e->older_calls + (uint32_t)lo;
	if (e->n_calls == e->cap_calls && e->cap_calls < HIST_CALLS) {
		size_t cap = e->cap_calls ? 4u * e->cap_calls : 1;
		struct hcall *v;

		if (cap > HIST_CALLS)
			cap = HIST_CALLS;
		if ((v = realloc(e->calls, cap * sizeof(*v))) == NULL)
			return CT_NOMEM;
		e->calls = v;
		e->cap_calls = (uint16_t)cap;
	}
	if (e->n_calls == HIST_CALLS) {
		if (lo == 0) {          /* older than every remembered call */
			if (e->older_calls < UINT32_MAX)
				e->older_calls++;
			return CT_OK;
		}
		memmove(&e->calls[0], &e->calls[1], (lo - 1) * sizeof(e->calls[0]));
		e->older_calls += e->older_calls < UINT32_MAX;
		e->n_calls--;
		lo--;
	} else {
		memmove(&e->calls[lo + 1], &e->calls[lo], (e->n_calls - lo) * sizeof(e->calls[0]));
	}
	e->calls[lo].start_us = start;
	e->calls[lo].id = id;
	e->n_calls++;
	return CT_OK;
}

/*
 * Makes room for element n of *v (capacity *cap, at most max): doubles the
 * array from 2 slots; CT_OK (also when full at max) or CT_NOMEM.
 */
static int grow_array(void **v, uint8_t *cap, unsigned n, unsigned max, size_t size)
{
	unsigned want = *cap ? 2u * *cap : 2;
	void *p;

	if (n < *cap || *cap >= max)
		return CT_OK;
	if (want > max)
		want = max;
	if ((p = realloc(*v, want * size)) == NULL)
		return CT_NOMEM;
	*v = p;
	*cap = (uint8_t)want;
	return CT_OK;
}

/* Remembers an outbound or answered inbound call (the last HIST_EVENTS by start). */
static int add_event(struct hent *e, int64_t start, uint64_t id, enum ev_kind kind)
{
	unsigned i, low = 0;

	if (grow_array((void **)&e->ev, &e->cap_ev, e->n_ev, HIST_EVENTS, sizeof(*e->ev)) != CT_OK)
		return CT_NOMEM;
	for (i = 0; i < e->n_ev; i++) {
		if (e->ev[i].start_us == start && e->ev[i].id == id)
			return CT_OK;
		if (e->ev[i].start_us < e->ev[low].start_us)
			low = i;
	}
	if (e->n_ev == HIST_EVENTS) {
		if (e->ev[low].start_us > start)
			return CT_OK;
		i = low;
	} else {
		i = e->n_ev++;
	}
	e->ev[i].start_us = start;
	e->ev[i].id = id;
	e->ev[i].kind = (uint8_t)kind;
	return CT_OK;
}

/* An attempt starting at s counts for m: m ended by s and was open at s. */
static bool attempt_for(const struct missed *m, int64_t s)
{
	return m->end_us <= s && (m->close_us == CT_TIME_NONE || s <= m->close_us);
}

/* First attempt for m among the remembered outbound calls of e, or NONE. */
static int64_t first_attempt(const struct hent *e, const struct missed *m)
{
	int64_t best = CT_TIME_NONE;
	unsigned i;

	for (i = 0; i < e->n_ev; i++)
		if (e->ev[i].kind != EV_IN_ANSWERED && attempt_for(m, e->ev[i].start_us) &&
		    (best == CT_TIME_NONE || e->ev[i].start_us < best))
			best = e->ev[i].start_us;
	return best;
}

/*
 * An answered call starting at s closes m when m ended by s and was open
 * then; an attempt already counted that starts after s no longer counts.
 */
static void close_at(const struct hent *e, struct missed *m, int64_t s)
{
	if (m->end_us > s || (m->close_us != CT_TIME_NONE && m->close_us <= s))
		return;
	m->close_us = s;
	if (m->attempt_us != CT_TIME_NONE && m->attempt_us > s)
		m->attempt_us = first_attempt(e, m);
}

/* Index of the slot for a new missed call: a free one, else the oldest (closed first). */
static unsigned missed_slot(struct hent *e)
{
	unsigned i, best = 0;

	if (e->n_missed < HIST_MISSED)
		return e->n_missed++;
	for (i = 1; i < HIST_MISSED; i++) {
		bool ci = e->missed[i].close_us != CT_TIME_NONE;
		bool cb = e->missed[best].close_us != CT_TIME_NONE;

		if (ci > cb || (ci == cb && e->missed[i].end_us < e->missed[best].end_us))
			best = i;
	}
	free(e->missed[best].call_id);
	return best;
}

/*
 * A missed call of e: the one already remembered (same start and Call-ID),
 * or a new one whose attempt and close times come from the remembered
 * outbound and answered calls.  Reports its callback delay when known.
 */
static int add_missed(struct hent *e, const struct ct_history_call *c, uint64_t id,
    struct ct_history_result *res)
{
	struct missed *m = NULL;
	unsigned i;

	for (i = 0; i < e->n_missed && m == NULL; i++)
		if (e->missed[i].start_us == c->start_us && e->missed[i].id == id)
			m = &e->missed[i];
	if (m == NULL) {
		char *cid = NULL;

		if (c->call_id != NULL && (cid = strdup(c->call_id)) == NULL)
			return CT_NOMEM;
		if (grow_array((void **)&e->missed, &e->cap_missed, e->n_missed, HIST_MISSED,
		    sizeof(*e->missed)) != CT_OK) {
			free(cid);
			return CT_NOMEM;
		}
		m = &e->missed[missed_slot(e)];
		m->call_id = cid;
		m->id = id;
		m->start_us = c->start_us;
		m->end_us = c->end_us;
		m->attempt_us = m->close_us = CT_TIME_NONE;
		for (i = 0; i < e->n_ev; i++)
			if (e->ev[i].kind != EV_OUT)
				close_at(e, m, e->ev[i].start_us);
		m->attempt_us = first_attempt(e, m);
	}
	if (m->attempt_us != CT_TIME_NONE) {
		res->has_callback = true;
		res->callback_us = m->attempt_us - m->end_us;
	}
	return CT_OK;
}

/*
 * An outbound call to e starting at s: an attempt for every missed call
 * open at s that ended by s (callback_of names the latest of them, by end);
 * an answered one then closes them.
 */
static int add_outbound(struct hent *e, int64_t s, bool answered, struct ct_history_result *res)
{
	int best = -1;
	unsigned i;

	for (i = 0; i < e->n_missed; i++) {
		struct missed *m = &e->missed[i];

		if (!attempt_for(m, s))
			continue;
		if (m->attempt_us == CT_TIME_NONE || s < m->attempt_us)
			m->attempt_us = s;
		if (m->call_id != NULL && (best < 0 || m->end_us > e->missed[best].end_us))
			best = (int)i;
	}
	for (i = 0; answered && i < e->n_missed; i++)
		close_at(e, &e->missed[i], s);
	if (best >= 0 && (res->callback_of = strdup(e->missed[best].call_id)) == NULL)
		return CT_NOMEM;
	return CT_OK;
}

/*
 * Feeds one call to the history and reports what was known before it.
 * c->direction is the direction as the figures count it (see
 * ct_history_direction).  For an inbound call from a number:
 * res->known/repeat (inbound calls from it with a strictly earlier start;
 * the same call fed again is not its own earlier call); for a missed one
 * (busy, noanswer, cancelled, or answered only by a machine: c->machine,
 * answered_by ivr or voicemail): res->has_callback/callback_us when its first
 * callback attempt was already fed; an answered one closes the number's
 * open missed calls that ended by its start.  For an outbound call to a
 * number: res->callback_of, the Call-ID of the latest missed call it is an
 * attempt for (owned by the caller); an answered one closes them.  Returns
 * CT_OK, or CT_NOMEM (res is then partly filled, and valid to free).
 */
static int history_add(struct ct_history *h, const struct ct_history_call *c,
    struct ct_history_result *res, struct hent **ep)
{
	uint64_t id = id_hash(h, c->call_id);
	bool answered = c->disposition == CT_DISP_ANSWERED;
	bool missed = is_missed(c->disposition);
	struct hent *e;

	memset(res, 0, sizeof(*res));
	res->callback_us = CT_TIME_NONE;
	if (c->start_us == CT_TIME_NONE)
		return CT_OK;
	if (c->direction == CT_DIR_INBOUND && c->caller != NULL && c->caller[0] != '\0') {
		if ((*ep = e = get(h, c->caller)) == NULL ||
		    count_call(e, c->start_us, id, &res->repeat) != CT_OK)
			return CT_NOMEM;
		res->known = true;
		if (answered && c->machine) {
			/* answered by an IVR or voicemail only: missed, as the report says */
			answered = false;
			missed = true;
		}
		if (missed && c->end_us != CT_TIME_NONE)
			return add_missed(e, c, id, res);
		if (answered) {
			unsigned i;

			if (add_event(e, c->start_us, id, EV_IN_ANSWERED) != CT_OK)
				return CT_NOMEM;
			for (i = 0; i < e->n_missed; i++)
				close_at(e, &e->missed[i], c->start_us);
			return CT_OK;
		}
		return CT_OK;
	}
	if (c->direction == CT_DIR_OUTBOUND && c->callee != NULL && c->callee[0] != '\0') {
		if ((*ep = e = get(h, c->callee)) == NULL ||
		    add_event(e, c->start_us, id, answered ? EV_OUT_ANSWERED : EV_OUT) != CT_OK)
			return CT_NOMEM;
		return add_outbound(e, c->start_us, answered, res);
	}
	return CT_OK;
}

/* Feeds one call (history_add), then keeps the history within its byte budget. */
int ct_history_add(struct ct_history *h, const struct ct_history_call *c,
    struct ct_history_result *res)
{
	struct hent *e = NULL;
	int rc = history_add(h, c, res, &e);

	if (e != NULL)
		account(h, e);
	return rc;
}

/* ---- rows of a store ------------------------------------------------------ */

static enum ct_direction dir_from_text(const char *s)
{
	static const enum ct_direction all[] = {
		CT_DIR_INBOUND, CT_DIR_OUTBOUND, CT_DIR_INTERNAL,
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, ct_direction_name(all[i])) == 0)
			return all[i];
	return CT_DIR_UNKNOWN;
}

static enum ct_disposition disp_from_text(const char *s)
{
	int d;

	for (d = CT_DISP_ANSWERED; s != NULL && d <= CT_DISP_UNFINISHED; d++)
		if (strcmp(s, ct_disposition_name((enum ct_disposition)d)) == 0)
			return (enum ct_disposition)d;
	return CT_DISP_UNFINISHED;
}

/*
 * Feeds one stored call (a row of any store; see struct ct_history_row)
 * with the rules of ct_history_set_rules.  Rows may come in any order;
 * start order keeps the repeat counts of numbers with more than HIST_CALLS
 * calls exact.  Returns CT_OK or CT_NOMEM.
 */
int ct_history_feed_row(struct ct_history *h, const struct ct_history_row *row)
{
	char caller[CT_NUMBER_MAX], callee[CT_NUMBER_MAX];
	const char *cc = h->cc[0] != '\0' ? h->cc : NULL;
	struct ct_history_call c;
	struct ct_history_result res;
	int rc;

	memset(&c, 0, sizeof(c));
	if (row->numbers_known) {
		c.caller = row->caller_number;
		c.callee = row->callee_number;
	} else {
		if (ct_number_norm(row->caller, cc, caller, sizeof(caller)) == CT_OK)
			c.caller = caller;
		if (ct_number_norm(row->callee, cc, callee, sizeof(callee)) == CT_OK)
			c.callee = callee;
	}
	c.call_id = row->call_id;
	c.start_us = row->start_us;
	c.end_us = row->end_us;
	c.direction = ct_history_direction(h, dir_from_text(row->direction));
	c.disposition = disp_from_text(row->disposition);
	c.machine = row->answered_by != NULL && (strcmp(row->answered_by, "ivr") == 0 ||
	    strcmp(row->answered_by, "voicemail") == 0);
	rc = ct_history_add(h, &c, &res);
	free(res.callback_of);
	return rc;
}

/* ---- preload from the SQLite store ---------------------------------------- */

static int64_t col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? CT_TIME_NONE
	    : (int64_t)sqlite3_column_int64(st, i);
}

/*
 * Feeds every call of the SQLite store at db_path (table calls, in start
 * order) to h through ct_history_feed_row; numbers are normalised from the
 * stored caller and callee text with the history's country code, so a
 * store written before caller_number existed gives the same history.  The
 * file is opened read-only and must exist.  Returns CT_OK, or CT_ERR with
 * "cannot read history from 'PATH': ..." in errbuf.
 */
int ct_history_preload(struct ct_history *h, const char *db_path, char *errbuf)
{
	static const char sql[] = CT_HISTORY_ROWS_SQL, old[] = CT_HISTORY_ROWS_SQL_OLD;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *msg = "out of memory";
	bool with_ab = true;
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK)
		goto fail_db;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		with_ab = false;      /* a store made before answered_by */
		if (sqlite3_prepare_v2(db, old, -1, &st, NULL) != SQLITE_OK)
			goto fail_db;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct ct_history_row row;

		memset(&row, 0, sizeof(row));
		row.call_id = (const char *)sqlite3_column_text(st, 0);
		row.caller = (const char *)sqlite3_column_text(st, 1);
		row.callee = (const char *)sqlite3_column_text(st, 2);
		row.direction = (const char *)sqlite3_column_text(st, 3);
		row.disposition = (const char *)sqlite3_column_text(st, 4);
		row.start_us = col_time(st, 5);
		row.end_us = col_time(st, 6);
		row.answered_by = with_ab ? (const char *)sqlite3_column_text(st, 7) : NULL;
		if (ct_history_feed_row(h, &row) != CT_OK)
			goto fail;
	}
	if (rc != SQLITE_DONE)
		goto fail_db;
	sqlite3_finalize(st);
	sqlite3_close(db);
	return CT_OK;
fail_db:
	msg = db != NULL ? sqlite3_errmsg(db) : "out of memory";
fail:
	snprintf(errbuf, CT_ERRBUF_SIZE, "cannot read history from '%s': %s", db_path, msg);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return CT_ERR;
}
