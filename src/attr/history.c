/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Caller history: how many calls each number made before (first_call,
 * repeat_count) and which missed inbound calls were called back.  One entry
 * per normalised number (ct_number_key) in a chained hash table with an LRU
 * list; at most max entries are kept and the least recently used one is
 * evicted, so memory is bounded on an endless live capture.  An entry keeps
 * its count of calls as caller, the last HIST_PENDING missed inbound calls
 * not yet called back (Call-ID, end time) and the start times of the last
 * HIST_OUT outbound calls to it.  Calls are fed in the order their records
 * are written (call end order), and at startup from the SQLite store in
 * start order, so successive captures continue one history.
 * Keys come from the wire (caller numbers and user parts), so they are
 * hashed with keyed SipHash under a random key per history: colliding
 * numbers cannot be precomputed to make chains long.
 * Workload: one lookup or two per call record; the table grows by doubling.
 * References: docs/schema.md (first_call, repeat_count, callback_s,
 * callback_of), https://sqlite.org/c3ref/prepare.html.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "calltap/hash.h"

#define HIST_PENDING 4     /* missed calls per number awaiting a callback */
#define HIST_OUT 4         /* outbound call starts remembered per number */

struct pending {
	char *call_id;         /* owned; may be NULL (Call-ID unknown) */
	int64_t end_us;
};

struct hent {
	struct hent *chain;            /* hash bucket */
	struct hent *newer, *older;    /* LRU list */
	uint64_t hash;                 /* keyed hash of key */
	uint32_t calls;                /* calls from this number (as caller) */
	uint8_t n_pending, n_out;
	struct pending pending[HIST_PENDING]; /* oldest first */
	int64_t out_start[HIST_OUT];   /* oldest first */
	char key[];
};

struct ct_history {
	struct hent **buckets;
	size_t nbuckets;               /* power of two */
	size_t count, max;
	struct hent *newest, *oldest;
	struct ct_hash_key key;        /* random per history */
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
	ct_hash_key_random(&h->key);
	h->nbuckets = 1024;
	h->buckets = calloc(h->nbuckets, sizeof(*h->buckets));
	if (h->buckets == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

static void entry_free(struct hent *e)
{
	unsigned i;

	for (i = 0; i < e->n_pending; i++)
		free(e->pending[i].call_id);
	free(e);
}

/* Frees the history and every entry.  NULL is a no-op. */
void ct_history_free(struct ct_history *h)
{
	struct hent *e, *next;

	if (h == NULL)
		return;
	for (e = h->newest; e != NULL; e = next) {
		next = e->older;
		entry_free(e);
	}
	free(h->buckets);
	free(h);
}

/* Number of numbers remembered (0 for NULL). */
size_t ct_history_size(const struct ct_history *h)
{
	return h != NULL ? h->count : 0;
}

/* Length of the longest hash chain (tests, diagnostics; O(buckets)); 0 for NULL. */
size_t ct_history_longest_chain(const struct ct_history *h)
{
	const struct hent *e;
	size_t i, n, best = 0;

	for (i = 0; h != NULL && i < h->nbuckets; i++) {
		for (n = 0, e = h->buckets[i]; e != NULL; e = e->chain)
			n++;
		if (n > best)
			best = n;
	}
	return best;
}

static void lru_unlink(struct ct_history *h, struct hent *e)
{
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		h->newest = e->older;
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		h->oldest = e->newer;
	e->newer = e->older = NULL;
}

static void lru_push(struct ct_history *h, struct hent *e)
{
	e->older = h->newest;
	e->newer = NULL;
	if (h->newest != NULL)
		h->newest->newer = e;
	h->newest = e;
	if (h->oldest == NULL)
		h->oldest = e;
}

/* Removes the least recently used entry. */
static void evict_oldest(struct ct_history *h)
{
	struct hent *e = h->oldest, **pp;

	if (e == NULL)
		return;
	pp = &h->buckets[e->hash & (h->nbuckets - 1)];
	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(h, e);
	h->count--;
	entry_free(e);
}

/* Doubles the bucket array (silently keeps the old one without memory). */
static void grow(struct ct_history *h)
{
	size_t n = h->nbuckets * 2, i;
	struct hent **b = calloc(n, sizeof(*b));
	struct hent *e, *next;

	if (b == NULL)
		return;
	for (i = 0; i < h->nbuckets; i++)
		for (e = h->buckets[i]; e != NULL; e = next) {
			next = e->chain;
			e->chain = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	free(h->buckets);
	h->buckets = b;
	h->nbuckets = n;
}

/* Finds key, or creates it (evicting when full); marks it most recent. */
static struct hent *get(struct ct_history *h, const char *key)
{
	size_t klen = strlen(key);
	uint64_t hv = ct_siphash(&h->key, key, klen);
	struct hent *e;

	for (e = h->buckets[hv & (h->nbuckets - 1)]; e != NULL; e = e->chain)
		if (e->hash == hv && strcmp(e->key, key) == 0) {
			lru_unlink(h, e);
			lru_push(h, e);
			return e;
		}
	while (h->count >= h->max)
		evict_oldest(h);
	if (h->count >= h->nbuckets)
		grow(h);
	e = calloc(1, sizeof(*e) + klen + 1);
	if (e == NULL)
		return NULL;
	memcpy(e->key, key, klen + 1);
	e->hash = hv;
	e->chain = h->buckets[hv & (h->nbuckets - 1)];
	h->buckets[hv & (h->nbuckets - 1)] = e;
	lru_push(h, e);
	h->count++;
	return e;
}

static bool is_missed_inbound(const struct ct_history_call *c)
{
	return c->direction == CT_DIR_INBOUND && (c->disposition == CT_DISP_BUSY ||
	    c->disposition == CT_DISP_NOANSWER || c->disposition == CT_DISP_CANCELLED);
}

/* Earliest remembered outbound start at or after t, or CT_TIME_NONE. */
static int64_t first_out_after(const struct hent *e, int64_t t)
{
	int64_t best = CT_TIME_NONE;
	unsigned i;

	for (i = 0; i < e->n_out; i++)
		if (e->out_start[i] >= t && (best == CT_TIME_NONE || e->out_start[i] < best))
			best = e->out_start[i];
	return best;
}

/* A missed call: answered already by a known outbound call, or pending. */
static int add_missed(struct hent *e, const struct ct_history_call *c,
    struct ct_history_result *res)
{
	int64_t t = first_out_after(e, c->end_us);
	char *id = NULL;

	if (t != CT_TIME_NONE) {
		res->has_callback = true;
		res->callback_us = t - c->end_us;
		return CT_OK;
	}
	if (c->call_id != NULL && (id = strdup(c->call_id)) == NULL)
		return CT_NOMEM;
	if (e->n_pending == HIST_PENDING) {
		free(e->pending[0].call_id);
		memmove(&e->pending[0], &e->pending[1], (HIST_PENDING - 1) * sizeof(e->pending[0]));
		e->n_pending--;
	}
	e->pending[e->n_pending].call_id = id;
	e->pending[e->n_pending].end_us = c->end_us;
	e->n_pending++;
	return CT_OK;
}

/*
 * An outbound call to e starting at start: every pending missed call that
 * ended at or before start is answered by it; callback_of takes the Call-ID
 * of the latest of them.  The start is remembered for later missed records.
 */
static int add_outbound(struct hent *e, int64_t start, struct ct_history_result *res)
{
	unsigned i, kept = 0;
	int best = -1;

	for (i = 0; i < e->n_pending; i++)
		if (e->pending[i].end_us <= start &&
		    (best < 0 || e->pending[i].end_us >= e->pending[best].end_us))
			best = (int)i;
	for (i = 0; i < e->n_pending; i++) {
		if (e->pending[i].end_us > start) {
			e->pending[kept++] = e->pending[i];
		} else if ((int)i == best && e->pending[i].call_id != NULL) {
			res->callback_of = e->pending[i].call_id;  /* moved */
		} else {
			free(e->pending[i].call_id);
		}
	}
	e->n_pending = (uint8_t)kept;
	if (e->n_out == HIST_OUT) {
		memmove(&e->out_start[0], &e->out_start[1], (HIST_OUT - 1) * sizeof(int64_t));
		e->n_out--;
	}
	e->out_start[e->n_out++] = start;
	return CT_OK;
}

/*
 * Feeds one call to the history and reports what was known before it:
 * res->known/repeat (calls from the same caller key seen earlier; known is
 * false for an anonymous caller), res->has_callback/callback_us (a missed
 * inbound call, busy/noanswer/cancelled, whose callback, the first outbound
 * call to the caller starting at or after its end, was already fed) and
 * res->callback_of (an outbound call that answers pending missed calls of
 * its callee: the Call-ID of the latest one, owned by the caller).  Each
 * missed call is answered once.  Returns CT_OK, or CT_NOMEM (res is then
 * partly filled, and valid to free).
 */
int ct_history_add(struct ct_history *h, const struct ct_history_call *c,
    struct ct_history_result *res)
{
	struct hent *e;

	memset(res, 0, sizeof(*res));
	res->callback_us = CT_TIME_NONE;
	if (c->caller_key != NULL && c->caller_key[0] != '\0') {
		if ((e = get(h, c->caller_key)) == NULL)
			return CT_NOMEM;
		res->known = true;
		res->repeat = e->calls;
		if (e->calls < UINT32_MAX)
			e->calls++;
		if (is_missed_inbound(c) && !c->callback_known && c->end_us != CT_TIME_NONE &&
		    add_missed(e, c, res) != CT_OK)
			return CT_NOMEM;
	}
	if (c->direction == CT_DIR_OUTBOUND && c->start_us != CT_TIME_NONE &&
	    c->callee_key != NULL && c->callee_key[0] != '\0') {
		if ((e = get(h, c->callee_key)) == NULL)
			return CT_NOMEM;
		return add_outbound(e, c->start_us, res);
	}
	return CT_OK;
}

/* ---- preload from the SQLite store ---------------------------------------- */

static enum ct_direction dir_from_text(const unsigned char *s)
{
	static const enum ct_direction all[] = {
		CT_DIR_INBOUND, CT_DIR_OUTBOUND, CT_DIR_INTERNAL,
	};
	size_t i;

	for (i = 0; s != NULL && i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp((const char *)s, ct_direction_name(all[i])) == 0)
			return all[i];
	return CT_DIR_UNKNOWN;
}

static enum ct_disposition disp_from_text(const unsigned char *s)
{
	int d;

	for (d = CT_DISP_ANSWERED; s != NULL && d <= CT_DISP_UNFINISHED; d++)
		if (strcmp((const char *)s, ct_disposition_name((enum ct_disposition)d)) == 0)
			return (enum ct_disposition)d;
	return CT_DISP_UNFINISHED;
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? CT_TIME_NONE
	    : (int64_t)sqlite3_column_int64(st, i);
}

/* Feeds one row of the SELECT in preload(); CT_OK or CT_NOMEM. */
static int feed_row(struct ct_history *h, sqlite3_stmt *st, const char *cc)
{
	char caller[CT_KEY_MAX], callee[CT_KEY_MAX];
	struct ct_history_call c;
	struct ct_history_result res;
	int rc;

	memset(&c, 0, sizeof(c));
	if (ct_number_key((const char *)sqlite3_column_text(st, 0), cc, caller, sizeof(caller)) == CT_OK)
		c.caller_key = caller;
	if (ct_number_key((const char *)sqlite3_column_text(st, 1), cc, callee, sizeof(callee)) == CT_OK)
		c.callee_key = callee;
	c.start_us = col_time(st, 2);
	c.direction = dir_from_text(sqlite3_column_text(st, 3));
	c.disposition = disp_from_text(sqlite3_column_text(st, 4));
	c.call_id = (const char *)sqlite3_column_text(st, 5);
	c.end_us = col_time(st, 6);
	c.callback_known = sqlite3_column_type(st, 7) != SQLITE_NULL;
	rc = ct_history_add(h, &c, &res);
	free(res.callback_of);
	return rc;
}

/*
 * Replays every call of the SQLite store at db_path (table calls, in start
 * order) into h, keys normalised with country code cc.  The file is opened
 * read-only and must exist.  Returns CT_OK, or CT_ERR with "cannot read
 * history from 'PATH': ..." in errbuf.
 */
int ct_history_preload(struct ct_history *h, const char *db_path, const char *cc,
    char *errbuf)
{
	static const char sql[] =
	    "SELECT caller, callee, start_us, direction, disposition, call_id, end_us,"
	    " callback_s FROM calls ORDER BY start_us, id";
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *msg = "out of memory";
	int rc;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(db, 5000) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		goto fail_db;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		if (feed_row(h, st, cc) != CT_OK)
			goto fail;
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
