/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call state machine: turns parsed SIP messages (struct ct_sip_msg) into one
 * struct ct_call_record per call.  A call is keyed by Call-ID in a chained
 * hash table (O(1) lookup, doubled when the load passes 1), so auth retries
 * (RFC 3261 §22.2), forks (§16.7, several To tags) and both legs of a proxy
 * that keeps the Call-ID are one call.
 *
 * Workload: a busy trunk, every message seen once or twice (two hops of a
 * proxy), hundreds of thousands of open calls, ct_dialog_expire() called on
 * every capture tick.  Each call sits on exactly one of three FIFO timer lists
 * (setup, confirmed, linger) ordered by last activity; a message moves its
 * call to the tail of its list, so expiry pops from the heads and costs
 * O(expired calls).  Capture time is assumed to be (nearly) monotonic; an
 * out-of-order timestamp only delays an expiry, it never reorders calls.
 *
 * Retransmissions (RFC 3261 §17): a request is identified by method, CSeq and
 * From tag, a response by status, CSeq, CSeq method, From tag and To tag.
 * The top Via branch is deliberately not used: a proxy adds its own Via, so
 * the second hop of the same request has another branch, and both hops must
 * count as one message (the first sighting defines the timing).  Each call
 * remembers the keys of its last 32 distinct messages.
 *
 * Decisions that the records depend on:
 *  - Only an INVITE without a To tag for an unknown Call-ID creates a call
 *    (RFC 3261 §12.2: an INVITE with a To tag is a re-INVITE of a call we did
 *    not see start; it is an orphan).  REGISTER, OPTIONS and other methods
 *    (SUBSCRIBE, NOTIFY, MESSAGE, PUBLISH) for unknown Call-IDs are not call
 *    traffic and are not counted as orphans; INVITE, ACK, BYE, CANCEL,
 *    PRACK, UPDATE, INFO, REFER (and responses to them) are.
 *  - caller = the P-Asserted-Identity user (RFC 3325: a trunk asserts the
 *    real number when From is anonymous) if present, else the From user;
 *    caller_name = From display name, callee = Request-URI user; all from
 *    the first INVITE.  agent = Contact user of the first 2xx, else its To
 *    user.  A response to the initial INVITE is recognised by its CSeq and
 *    the caller's From tag, or by the INVITE's top Via branch when a phone
 *    echoes a wrong From tag (RFC 3261 §17.1.3).
 *  - A final failure (3xx-6xx other than 401/407) ends the call at once; a
 *    later 2xx from another fork is ignored.  A 2xx that beats a CANCEL
 *    wins: the call is answered.
 *  - CANCEL then any final failure: cancelled by the caller, end_us = CANCEL
 *    time, final_code = that status (0 if none came within linger_us),
 *    hangup_reason = the CANCEL's Reason text, else "CANCEL".
 *  - 487 without a CANCEL seen: cancelled by the caller.  486/600: busy;
 *    408/480: noanswer; other failures (603 too): failed; all by the callee.
 *  - BYE before any 2xx: cancelled, hangup_by = the BYE's sender.
 *  - After 401/407 the call waits setup_timeout_us (a person may be typing
 *    a password) for a new INVITE (higher CSeq, same From tag); if none comes
 *    it ends as failed with that code, not truncated (the signalling settled
 *    it).  A CANCEL without a final response waits linger_us likewise.  At ct_dialog_flush() every record is marked
 *    truncated, since the capture cut the wait short.
 *  - max_dialogs bounds open calls; ended calls lingering (record pending)
 *    are not counted (they are bounded by linger_us).
 *
 * References: RFC 3261 §12-§17 (dialogs, transactions), §22.2 (auth),
 * RFC 3262 (PRACK), RFC 3311 (UPDATE), RFC 3326 (Reason header).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/dialog.h"

enum dstate {
	DS_SETUP = 0,   /* INVITE sent, no final response yet */
	DS_CHALLENGED,  /* 401/407 received, waiting for the retried INVITE */
	DS_CANCELLING,  /* CANCEL sent, waiting for the final response */
	DS_CONFIRMED,   /* 2xx received */
	DS_ENDED        /* ended; lingering to absorb late messages and media */
};

enum dlist { L_SETUP = 0, L_CALL, L_LINGER, L_COUNT };

#define SEEN_MIN 8        /* first allocation of the seen-key ring */
#define SEEN_MAX 32       /* keys remembered per call at most */
#define BUCKETS_MIN 1024  /* initial hash buckets (power of two) */

struct ct_dialog {
	struct ct_dialog *hnext;       /* hash chain */
	struct ct_dialog *prev, *next; /* timer list, ordered by last_us */
	void *media;                   /* media stage slot, not owned */
	struct ct_call_record *pending; /* built at the end, emitted when the linger ends */
	char *call_id;
	char *from_tag;                /* From tag of the first INVITE */
	char *caller, *caller_name, *callee, *agent; /* moved into the record */
	char *from_user;               /* From user of the first INVITE (caller may be the PAI) */
	char *invite_branch;           /* top Via branch of the current initial INVITE */
	char *reason;                  /* hangup_reason candidate */
	uint64_t *seen;                /* ring of message keys already seen */
	int64_t start_us, ringing_us, answer_us, end_us, cancel_us;
	int64_t last_us;               /* last activity (max ts), timer base */
	uint64_t drops_start, drops_last; /* capture drops at the first / last message */
	struct ct_addr src, dst;       /* of the first INVITE */
	uint32_t hash;                 /* of call_id */
	uint32_t invite_cseq;          /* CSeq of the current initial INVITE */
	int final_code;
	int q850;                      /* -1 = none */
	unsigned auth_challenges, invites;
	uint16_t sport, dport, vlan;
	uint8_t transport;
	uint8_t state;                 /* enum dstate */
	uint8_t list;                  /* enum dlist, L_COUNT = none */
	uint8_t hangup_by;             /* enum ct_party */
	uint8_t n_seen, seen_cap, seen_pos;
};

struct dlist_head {
	struct ct_dialog *head, *tail;
};

struct ct_dialog_table {
	struct ct_dialog_cfg cfg;
	struct ct_dialog_hooks hooks;
	struct ct_dialog **buckets;
	size_t nbuckets;               /* power of two */
	size_t count;                  /* dialogs in the table, lingering ones too */
	struct dlist_head lists[L_COUNT];
	struct ct_dialog_stats st;
	uint64_t drops;                /* capture drops so far (live capture) */
	bool drops_known;              /* drops is set: records carry capture_drops */
};

/* ---- small helpers ------------------------------------------------------ */

/*
 * Maps a request method to its ct_dialog_stats.requests index.  Methods are
 * case-sensitive (RFC 3261 §7.1).  NULL or unknown methods give CT_M_OTHER.
 */
int ct_sip_method_index(const char *method)
{
	static const struct { const char *name; int idx; } map[] = {
		{ "INVITE", CT_M_INVITE }, { "ACK", CT_M_ACK },
		{ "BYE", CT_M_BYE }, { "CANCEL", CT_M_CANCEL },
		{ "REGISTER", CT_M_REGISTER }, { "OPTIONS", CT_M_OPTIONS },
		{ "PRACK", CT_M_INDIALOG }, { "UPDATE", CT_M_INDIALOG },
		{ "INFO", CT_M_INDIALOG }, { "REFER", CT_M_INDIALOG },
	};
	size_t i;

	if (method == NULL)
		return CT_M_OTHER;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(method, map[i].name) == 0)
			return map[i].idx;
	return CT_M_OTHER;
}

static uint32_t str_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	while (*s != '\0')
		h = (h ^ (uint8_t)*s++) * 16777619u;
	return h;
}

static uint64_t key_bytes(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 1099511628211ull; /* FNV-1a 64 */
	return h;
}

/* Hashes s with its terminator; NULL hashes differently from "". */
static uint64_t key_str(uint64_t h, const char *s)
{
	static const uint8_t none = 0xff;

	if (s == NULL)
		return key_bytes(h, &none, 1);
	return key_bytes(h, s, strlen(s) + 1);
}

/* Identity of a message for retransmission detection (see file comment). */
static uint64_t msg_key(const struct ct_sip_msg *m)
{
	uint64_t h = 14695981039346656037ull;
	int32_t status = m->status;

	h = key_bytes(h, m->is_request ? "Q" : "R", 1);
	h = key_bytes(h, &m->cseq, sizeof(m->cseq));
	h = key_str(h, m->from_tag);
	if (m->is_request)
		return key_str(h, m->method);
	h = key_bytes(h, &status, sizeof(status));
	h = key_str(h, m->cseq_method);
	return key_str(h, m->to_tag);
}

static bool has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/* strdup that keeps NULL; *ok becomes false when a copy fails. */
static char *dup_opt(const char *s, bool *ok)
{
	char *c;

	if (s == NULL)
		return NULL;
	c = strdup(s);
	if (c == NULL)
		*ok = false;
	return c;
}

/* Replaces d->reason with a copy of text (NULL clears it). */
static void set_reason(struct ct_dialog *d, const char *text)
{
	bool ok = true;

	free(d->reason);
	d->reason = dup_opt(text, &ok);
}

/*
 * Which party sent the request m (or the request m answers): the caller when
 * its From tag equals the first INVITE's, else the callee; without tags the
 * From users are compared; CT_PARTY_NONE when nothing can be compared.
 */
static enum ct_party from_party(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (has_text(m->from_tag) && d->from_tag != NULL)
		return strcmp(m->from_tag, d->from_tag) == 0 ? CT_PARTY_CALLER : CT_PARTY_CALLEE;
	if (m->from_user != NULL && d->from_user != NULL)
		return strcmp(m->from_user, d->from_user) == 0 ? CT_PARTY_CALLER : CT_PARTY_CALLEE;
	return CT_PARTY_NONE;
}

/* True when key was seen before; otherwise remembers it. */
static bool seen_check_add(struct ct_dialog *d, uint64_t key)
{
	uint64_t *n;
	unsigned i, cap;

	for (i = 0; i < d->n_seen; i++)
		if (d->seen[i] == key)
			return true;
	if (d->n_seen == d->seen_cap && d->seen_cap < SEEN_MAX) {
		cap = d->seen_cap == 0 ? SEEN_MIN : d->seen_cap * 2u;
		n = realloc(d->seen, cap * sizeof(*n));
		if (n != NULL) {
			d->seen = n;
			d->seen_cap = (uint8_t)cap;
		}
	}
	if (d->n_seen < d->seen_cap) {
		d->seen[d->n_seen++] = key;
	} else if (d->seen_cap > 0) {
		d->seen[d->seen_pos] = key; /* full: overwrite the oldest */
		d->seen_pos = (uint8_t)((d->seen_pos + 1u) % d->seen_cap);
	}
	return false;
}

/* ---- timer lists -------------------------------------------------------- */

static void list_unlink(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct dlist_head *l;

	if (d->list >= L_COUNT)
		return;
	l = &t->lists[d->list];
	if (d->prev != NULL)
		d->prev->next = d->next;
	else
		l->head = d->next;
	if (d->next != NULL)
		d->next->prev = d->prev;
	else
		l->tail = d->prev;
	d->prev = d->next = NULL;
	d->list = L_COUNT;
}

/* Moves d to the tail of list which (its newest end). */
static void list_move(struct ct_dialog_table *t, struct ct_dialog *d, enum dlist which)
{
	struct dlist_head *l = &t->lists[which];

	list_unlink(t, d);
	d->prev = l->tail;
	d->next = NULL;
	if (l->tail != NULL)
		l->tail->next = d;
	else
		l->head = d;
	l->tail = d;
	d->list = (uint8_t)which;
}

/* ---- hash table --------------------------------------------------------- */

static struct ct_dialog *lookup(const struct ct_dialog_table *t, const char *call_id,
    uint32_t h)
{
	struct ct_dialog *d;

	for (d = t->buckets[h & (t->nbuckets - 1)]; d != NULL; d = d->hnext)
		if (d->hash == h && strcmp(d->call_id, call_id) == 0)
			return d;
	return NULL;
}

/* Doubles the bucket array; on allocation failure the table stays as is. */
static void rehash(struct ct_dialog_table *t)
{
	size_t n = t->nbuckets * 2, i;
	struct ct_dialog **b, *d, *next;

	b = calloc(n, sizeof(*b));
	if (b == NULL)
		return;
	for (i = 0; i < t->nbuckets; i++) {
		for (d = t->buckets[i]; d != NULL; d = next) {
			next = d->hnext;
			d->hnext = b[d->hash & (n - 1)];
			b[d->hash & (n - 1)] = d;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nbuckets = n;
}

static void hash_insert(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct ct_dialog **b = &t->buckets[d->hash & (t->nbuckets - 1)];

	d->hnext = *b;
	*b = d;
	if (++t->count > t->nbuckets)
		rehash(t);
}

static void hash_remove(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct ct_dialog **p = &t->buckets[d->hash & (t->nbuckets - 1)];

	while (*p != NULL && *p != d)
		p = &(*p)->hnext;
	if (*p == d) {
		*p = d->hnext;
		t->count--;
	}
}

static void dialog_destroy(struct ct_dialog *d)
{
	free(d->call_id);
	free(d->from_tag);
	free(d->caller);
	free(d->from_user);
	free(d->invite_branch);
	free(d->caller_name);
	free(d->callee);
	free(d->agent);
	free(d->reason);
	free(d->seen);
	ct_call_record_free(d->pending);
	free(d);
}

/* Unlinks d from the table and frees it (the media slot is not touched). */
static void dialog_free(struct ct_dialog_table *t, struct ct_dialog *d)
{
	if (d->state != DS_ENDED)
		t->st.active--;
	hash_remove(t, d);
	list_unlink(t, d);
	dialog_destroy(d);
}

/* Creates the call for the initial INVITE m; NULL when out of memory. */
static struct ct_dialog *dialog_new(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    uint32_t h)
{
	struct ct_dialog *d = calloc(1, sizeof(*d));
	bool ok = true;

	if (d == NULL)
		return NULL;
	d->call_id = dup_opt(m->call_id, &ok);
	d->from_tag = has_text(m->from_tag) ? dup_opt(m->from_tag, &ok) : NULL;
	d->from_user = dup_opt(m->from_user, &ok);
	/* A trunk asserts the real calling number (RFC 3325) when From hides it. */
	d->caller = dup_opt(has_text(m->pai_user) ? m->pai_user : m->from_user, &ok);
	d->caller_name = dup_opt(m->from_name, &ok);
	d->callee = dup_opt(m->ruri_user, &ok);
	d->invite_branch = dup_opt(m->via_branch, &ok);
	if (!ok) {
		dialog_destroy(d);
		return NULL;
	}
	d->start_us = d->last_us = m->ts_us;
	d->drops_start = d->drops_last = t->drops;
	d->ringing_us = d->answer_us = d->end_us = d->cancel_us = CT_TIME_NONE;
	d->src = m->t.src;
	d->dst = m->t.dst;
	d->sport = m->t.sport;
	d->dport = m->t.dport;
	d->transport = m->transport;
	d->vlan = m->vlan;
	d->hash = h;
	d->invite_cseq = m->cseq;
	d->q850 = -1;
	d->list = L_COUNT;
	hash_insert(t, d);
	list_move(t, d, L_SETUP);
	t->st.active++;
	return d;
}

/* ---- record emission ---------------------------------------------------- */

static struct ct_call_record *build_record(const struct ct_dialog_table *t, struct ct_dialog *d,
    enum ct_disposition disp, bool truncated)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));

	if (r == NULL || (r->call_id = strdup(d->call_id)) == NULL) {
		free(r);
		return NULL;
	}
	r->caller = d->caller;           /* moved: strings are copied once */
	r->caller_name = d->caller_name;
	r->callee = d->callee;
	r->agent = d->agent;
	r->hangup_reason = d->reason;
	d->caller = d->caller_name = d->callee = d->agent = d->reason = NULL;
	r->src_ip = d->src;
	r->dst_ip = d->dst;
	r->has_capture_drops = t->drops_known;
	r->capture_drops = d->drops_last - d->drops_start;
	r->src_port = d->sport;
	r->dst_port = d->dport;
	r->transport = d->transport;
	r->vlan = d->vlan;
	r->start_us = d->start_us;
	r->ringing_us = d->ringing_us;
	r->answer_us = d->answer_us;
	r->end_us = d->end_us;
	r->final_code = d->final_code;
	r->disposition = disp;
	r->hangup_by = (enum ct_party)d->hangup_by;
	r->q850_cause = d->q850;
	r->direction = CT_DIR_UNKNOWN;
	r->truncated = truncated;
	r->auth_challenges = d->auth_challenges;
	r->invites = d->invites;
	return r;
}

/*
 * Ends d: builds its record now (end_us, hangup_by, q850, reason and
 * final_code were set by the caller) and moves d to the linger list, timed
 * from d->last_us.  The record is emitted when the linger ends (or at flush),
 * so RTP trailing the BYE is still measured and late retransmissions are
 * absorbed.
 */
static void close_call(struct ct_dialog_table *t, struct ct_dialog *d,
    enum ct_disposition disp, bool truncated)
{
	d->pending = build_record(t, d, disp, truncated);
	d->state = DS_ENDED;
	t->st.active--;
	list_move(t, d, L_LINGER);
}

/*
 * Hands d's record to the closing hook (the media stage adds the streams it
 * measured until now, RTP that trails the BYE included) and then to emit.
 */
static void emit_pending(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct ct_call_record *r = d->pending;

	if (r == NULL)
		return;
	d->pending = NULL;
	t->st.calls++;
	if (t->hooks.closing != NULL)
		t->hooks.closing(t->hooks.user, d, r);
	if (t->hooks.emit != NULL)
		t->hooks.emit(t->hooks.user, r);
	else
		ct_call_record_free(r);
}

/* ---- requests ----------------------------------------------------------- */

static void on_invite(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	d->invites++;
	if (d->state != DS_SETUP && d->state != DS_CHALLENGED)
		return; /* re-INVITE, or an INVITE racing a CANCEL */
	if (from_party(d, m) == CT_PARTY_CALLEE || m->cseq <= d->invite_cseq)
		return;
	/* A new initial INVITE: the retry after 401/407 (RFC 3261 §22.2). */
	d->invite_cseq = m->cseq;
	if (has_text(m->via_branch)) {
		char *b = strdup(m->via_branch);

		if (b != NULL) {
			free(d->invite_branch);
			d->invite_branch = b;
		}
	}
	if (d->state == DS_CHALLENGED) {
		d->state = DS_SETUP;
		d->final_code = 0;
		d->end_us = CT_TIME_NONE;
		d->hangup_by = CT_PARTY_NONE;
		d->q850 = -1;
		set_reason(d, NULL);
		list_move(t, d, L_SETUP);
	}
}

static void on_bye(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	d->hangup_by = (uint8_t)from_party(d, m);
	d->end_us = m->ts_us;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : "BYE");
	close_call(t, d, d->state == DS_CONFIRMED ? CT_DISP_ANSWERED : CT_DISP_CANCELLED, false);
}

static void on_cancel(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->state != DS_SETUP)
		return;
	d->state = DS_CANCELLING;
	d->cancel_us = m->ts_us;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text);
	list_move(t, d, L_LINGER);
}

static void on_request(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	switch (ct_sip_method_index(m->method)) {
	case CT_M_INVITE:
		on_invite(t, d, m);
		break;
	case CT_M_BYE:
		on_bye(t, d, m);
		break;
	case CT_M_CANCEL:
		on_cancel(t, d, m);
		break;
	default:
		break; /* ACK, PRACK, UPDATE, ...: activity only */
	}
}

/* ---- responses to the initial INVITE ------------------------------------ */

static void on_answer(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	bool ok = true;

	d->answer_us = m->ts_us;
	d->final_code = m->status;
	d->agent = dup_opt(has_text(m->contact_user) ? m->contact_user : m->to_user, &ok);
	d->cancel_us = CT_TIME_NONE; /* the 2xx beat the CANCEL */
	d->q850 = -1;
	set_reason(d, NULL);
	d->state = DS_CONFIRMED;
	list_move(t, d, L_CALL);
}

static void on_challenge(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	d->auth_challenges++;
	d->final_code = m->status;
	d->end_us = m->ts_us;
	d->hangup_by = CT_PARTY_CALLEE;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : m->reason_phrase);
	d->state = DS_CHALLENGED;
	/* A person may be typing a password: wait as long as for any answer. */
	list_move(t, d, L_SETUP);
}

static enum ct_disposition failure_disposition(int status)
{
	switch (status) {
	case 486:
	case 600:
		return CT_DISP_BUSY;
	case 487:
		return CT_DISP_CANCELLED;
	case 408:
	case 480:
		return CT_DISP_NOANSWER;
	default:
		return CT_DISP_FAILED;
	}
}

/* Fills the fields of a call cancelled by the caller (CANCEL at cancel_us). */
static void set_cancelled(struct ct_dialog *d)
{
	d->end_us = d->cancel_us;
	d->hangup_by = CT_PARTY_CALLER;
	if (d->reason == NULL)
		set_reason(d, "CANCEL");
}

static void on_failure(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	d->final_code = m->status;
	if (d->state == DS_CANCELLING) {
		if (d->q850 < 0)
			d->q850 = m->q850_cause;
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
		return;
	}
	d->end_us = m->ts_us;
	d->hangup_by = m->status == 487 ? CT_PARTY_CALLER : CT_PARTY_CALLEE;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : m->reason_phrase);
	close_call(t, d, failure_disposition(m->status), false);
}

static void on_response(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (ct_sip_method_index(m->cseq_method) != CT_M_INVITE)
		return; /* 200 to BYE/CANCEL/PRACK...: activity only */
	if (m->cseq != d->invite_cseq)
		return; /* re-INVITE or a superseded INVITE */
	/*
	 * A response carries the request's From tag, so a callee's re-INVITE
	 * with the same CSeq number shows the callee's tag.  Some phones echo a
	 * wrong From tag; the top Via branch (RFC 3261 §17.1.3) still ties the
	 * response to the initial INVITE.
	 */
	if (from_party(d, m) == CT_PARTY_CALLEE &&
	    !(has_text(m->via_branch) && d->invite_branch != NULL &&
	    strcmp(m->via_branch, d->invite_branch) == 0))
		return;
	if (d->state != DS_SETUP && d->state != DS_CANCELLING)
		return;
	if (m->status < 200) {
		if (m->status >= 180 && m->status <= 189 && d->ringing_us == CT_TIME_NONE)
			d->ringing_us = m->ts_us;
	} else if (m->status < 300) {
		on_answer(t, d, m);
	} else if ((m->status == 401 || m->status == 407) && d->state == DS_SETUP) {
		on_challenge(t, d, m);
	} else {
		on_failure(t, d, m);
	}
}

/* ---- entry points ------------------------------------------------------- */

/* Fills cfg with the defaults: 300 s setup, 4 h call, 32 s linger, 200000 calls. */
void ct_dialog_cfg_default(struct ct_dialog_cfg *cfg)
{
	cfg->setup_timeout_us = 300 * INT64_C(1000000);
	cfg->call_timeout_us = 4 * 3600 * INT64_C(1000000);
	cfg->linger_us = 32 * INT64_C(1000000);
	cfg->max_dialogs = 200000;
}

/*
 * Creates an empty call table.  cfg NULL means the defaults; negative
 * timeouts are taken as 0; max_dialogs 0 means no limit.  hooks (copied) may
 * be NULL: records are then freed unseen.  Returns NULL when out of memory.
 */
struct ct_dialog_table *ct_dialog_table_new(const struct ct_dialog_cfg *cfg,
    const struct ct_dialog_hooks *hooks)
{
	struct ct_dialog_table *t = calloc(1, sizeof(*t));

	if (t == NULL)
		goto fail;
	if (cfg != NULL)
		t->cfg = *cfg;
	else
		ct_dialog_cfg_default(&t->cfg);
	if (t->cfg.setup_timeout_us < 0)
		t->cfg.setup_timeout_us = 0;
	if (t->cfg.call_timeout_us < 0)
		t->cfg.call_timeout_us = 0;
	if (t->cfg.linger_us < 0)
		t->cfg.linger_us = 0;
	if (hooks != NULL)
		t->hooks = *hooks;
	t->nbuckets = BUCKETS_MIN;
	t->buckets = calloc(t->nbuckets, sizeof(*t->buckets));
	if (t->buckets == NULL)
		goto fail;
	return t;
fail:
	free(t);
	return NULL;
}

/*
 * Frees the table and every call still in it WITHOUT emitting them and
 * without calling any hook: call ct_dialog_flush() first at end of input.
 * Media slots of calls never emitted are not released.  NULL is a no-op.
 */
void ct_dialog_table_free(struct ct_dialog_table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < L_COUNT; i++)
		while (t->lists[i].head != NULL)
			dialog_free(t, t->lists[i].head);
	free(t->buckets);
	free(t);
}

/* Counts m in the stats; returns the stats index of its (CSeq) method. */
static int count_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	int idx = ct_sip_method_index(m->is_request ? m->method : m->cseq_method);

	t->st.messages++;
	if (m->is_request)
		t->st.requests[idx]++;
	else
		t->st.responses++;
	return idx;
}

/* A message for an unknown Call-ID: creates the call or counts an orphan. */
static struct ct_dialog *on_unknown(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    int idx, uint32_t h)
{
	struct ct_dialog *d;

	if (m->is_request && idx == CT_M_INVITE && !has_text(m->to_tag)) {
		if (t->cfg.max_dialogs != 0 && t->st.active >= t->cfg.max_dialogs) {
			t->st.dropped++;
			return NULL;
		}
		d = dialog_new(t, m, h);
		if (d == NULL)
			t->st.dropped++;
		return d;
	}
	if (idx <= CT_M_CANCEL || idx == CT_M_INDIALOG)
		t->st.orphan_messages++;
	return NULL;
}

/*
 * Feeds one parsed SIP message (borrowed; nothing is kept of it) to the
 * table.  Every message is counted; retransmissions change nothing; an
 * initial INVITE may create a call; a message may end a call (its record is
 * built then and emitted by a later ct_dialog_expire/flush, never before this
 * returns).  hooks.media is called after
 * the state update for messages with SDP, unless the message ended the call.
 * NULL t or m, or a message without Call-ID, is ignored (the latter counted
 * as an orphan).
 */
void ct_dialog_on_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	struct ct_dialog *d;
	uint32_t h;
	int idx;

	if (t == NULL || m == NULL)
		return;
	idx = count_msg(t, m);
	if (m->call_id == NULL) {
		t->st.orphan_messages++;
		return;
	}
	h = str_hash(m->call_id);
	d = lookup(t, m->call_id, h);
	if (d == NULL && (d = on_unknown(t, m, idx, h)) == NULL)
		return;
	if (seen_check_add(d, msg_key(m))) {
		t->st.retransmissions++;
		return;
	}
	if (d->state == DS_ENDED)
		return; /* late message of an ended call: absorbed */
	if (m->ts_us > d->last_us)
		d->last_us = m->ts_us;
	d->drops_last = t->drops;
	list_move(t, d, (enum dlist)d->list);
	if (m->is_request)
		on_request(t, d, m);
	else
		on_response(t, d, m);
	if (m->has_sdp && d->state != DS_ENDED && t->hooks.media != NULL)
		t->hooks.media(t->hooks.user, d, m);
}

/* Handles the timer of d, the head of its list, due at now. */
static void on_timer(struct ct_dialog_table *t, struct ct_dialog *d, int64_t now_us)
{
	switch (d->state) {
	case DS_SETUP:
	case DS_CONFIRMED:
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, d->state == DS_SETUP ? "no final response" : "no BYE seen (timeout)");
		d->last_us = now_us; /* linger from now */
		t->st.calls_timed_out++;
		close_call(t, d, d->state == DS_SETUP ? CT_DISP_UNFINISHED : CT_DISP_ANSWERED, true);
		emit_pending(t, d); /* silent for so long: nothing more to wait for */
		break;
	case DS_CHALLENGED:
		close_call(t, d, CT_DISP_FAILED, false);
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	case DS_CANCELLING:
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	default:
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	}
}

/*
 * Closes calls whose timer ran out at capture time now_us: setup_timeout_us
 * without activity before a final response (unfinished, truncated),
 * call_timeout_us without activity in an answered call (answered,
 * truncated), setup_timeout_us after 401/407 and linger_us after a CANCEL
 * (failed / cancelled), and emits (closing, then emit hook) and frees ended
 * calls linger_us after their last activity.  Costs O(expired calls).
 */
void ct_dialog_expire(struct ct_dialog_table *t, int64_t now_us)
{
	static const enum dlist order[] = { L_SETUP, L_CALL, L_LINGER };
	struct ct_dialog *d;
	int64_t timeout[L_COUNT];
	size_t i;

	if (t == NULL)
		return;
	timeout[L_SETUP] = t->cfg.setup_timeout_us;
	timeout[L_CALL] = t->cfg.call_timeout_us;
	timeout[L_LINGER] = t->cfg.linger_us;
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		while ((d = t->lists[order[i]].head) != NULL &&
		    now_us - d->last_us >= timeout[order[i]])
			on_timer(t, d, now_us);
	}
}

/* Emits d at end of input (see ct_dialog_flush) and frees it. */
static void flush_one(struct ct_dialog_table *t, struct ct_dialog *d)
{
	switch (d->state) {
	case DS_SETUP:
	case DS_CONFIRMED:
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, d->state == DS_SETUP ? "capture ended before a final response" :
		    "no BYE seen (end of capture)");
		close_call(t, d, d->state == DS_SETUP ? CT_DISP_UNFINISHED : CT_DISP_ANSWERED, true);
		break;
	case DS_CHALLENGED:
		close_call(t, d, CT_DISP_FAILED, true);
		break;
	case DS_CANCELLING:
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, true);
		break;
	default:
		break;
	}
	emit_pending(t, d);
	dialog_free(t, d);
}

/*
 * End of input: emits every call not yet emitted; open ones are marked
 * truncated (ended calls still lingering keep the record built at their end)
 * (answered: "no BYE seen (end of capture)"; no final response: unfinished;
 * after 401/407: failed with that code; after CANCEL: cancelled), then frees
 * every call.  The table stays usable.  NULL is a no-op.
 */
void ct_dialog_flush(struct ct_dialog_table *t)
{
	int i;

	if (t == NULL)
		return;
	for (i = 0; i < L_COUNT; i++)
		while (t->lists[i].head != NULL)
			flush_one(t, t->lists[i].head);
}

/*
 * Sets the capture's cumulative drop count (packets the kernel or the
 * interface dropped, live capture only).  From the first call on, every
 * record carries capture_drops: the drops counted between its first and its
 * last message, at the granularity of these updates.
 */
void ct_dialog_set_capture_drops(struct ct_dialog_table *t, uint64_t drops)
{
	t->drops = drops;
	t->drops_known = true;
}

/* Copies the counters into st (active = calls not yet emitted). */
void ct_dialog_get_stats(const struct ct_dialog_table *t, struct ct_dialog_stats *st)
{
	if (t == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = t->st;
}

/*
 * The media stage's slot of d (NULL until set).  The dialog never frees it:
 * the closing hook must release it: a call ended by BYE/failure is freed
 * right after emission, a timed-out one up to linger_us after it.
 */
void *ct_dialog_media_get(const struct ct_dialog *d)
{
	return d != NULL ? d->media : NULL;
}

/* Sets d's media slot (borrowed; see ct_dialog_media_get).  NULL d: no-op. */
void ct_dialog_media_set(struct ct_dialog *d, void *media)
{
	if (d != NULL)
		d->media = media;
}

/* d's Call-ID, valid while d exists (including in the closing hook). */
const char *ct_dialog_call_id(const struct ct_dialog *d)
{
	return d != NULL ? d->call_id : NULL;
}

/*
 * Which party sent m, a message of call d: the caller when m is a request
 * carrying the first INVITE's From tag, or a response to a request that
 * did not (the callee answers the caller's requests); CT_PARTY_NONE when
 * tags are missing.
 */
enum ct_party ct_dialog_sender(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	enum ct_party p;

	if (d == NULL || m == NULL)
		return CT_PARTY_NONE;
	p = from_party(d, m);
	if (p == CT_PARTY_NONE || m->is_request)
		return p;
	return p == CT_PARTY_CALLER ? CT_PARTY_CALLEE : CT_PARTY_CALLER;
}
