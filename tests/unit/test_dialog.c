/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the call state machine (src/sip/dialog.c).  SIP messages are
 * built by hand (struct ct_sip_msg fields pointing at string literals, never
 * passed to ct_sip_msg_fini) in call scripts: answered calls hung up by
 * either side, busy/noanswer/decline, CANCEL with and without 487, auth
 * retries, retransmissions, proxy hops, forks, re-INVITE, PRACK/UPDATE,
 * timeouts, flush, non-call traffic, orphans, max_dialogs and 10,000
 * interleaved calls.  Every emitted record is compared field by field.
 *
 * Emission rule under test: a call that ends by BYE, by a final failure or
 * by CANCEL + final response has its record built at once (end time,
 * disposition, hangup side fixed then) but emitted (closing hook, then emit
 * hook) only when linger_us has passed since its last activity, in
 * ct_dialog_expire(), or at ct_dialog_flush().  Timeouts and the 401/407 and
 * CANCEL waits emit when their timer fires.  Emission order is therefore the
 * order in which the timers run out (per expire call: setup list, call list,
 * linger list), and at flush: open calls in setup, then answered, then the
 * ended calls still lingering, each list oldest activity first.
 * References: RFC 3261 §12-§17, §22.2; RFC 3262; RFC 3311; RFC 3326.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/attr.h"
#include "calltap/dialog.h"
#include "fnv_collide.h"
#include "test.h"

#define MS INT64_C(1000)
#define SEC INT64_C(1000000)
#define T0 (INT64_C(1700000000) * SEC)

/* ---- record collector (the hooks) -------------------------------------- */

/* What the media stage keeps per call (in the dialog's media slot). */
struct media_slot {
	unsigned rtp; /* packets counted, stands in for the stream statistics */
};

struct collector {
	struct ct_call_record **recs;
	size_t n, cap;
	unsigned closing, media, closing_mismatch;
	unsigned emit_unclosed;              /* emits not right after the closing of that record */
	const struct ct_call_record *closed; /* record of the last closing call */
	struct ct_dialog *last_d;            /* dialog of the last media call (valid until emitted) */
	unsigned closing_rtp;                /* media_slot.rtp seen by the last closing call */
	unsigned starts;                     /* start hook calls */
	unsigned emitted_at_start;           /* records emitted before the last start */
	char start_id[64], start_caller[32], start_callee[32], start_name[32];
	int64_t start_us;
};

/* The start hook: the view of a call that has just started (borrowed). */
static void on_start(void *user, const struct ct_call_record *r)
{
	struct collector *c = user;

	c->starts++;
	c->emitted_at_start = (unsigned)c->n;
	snprintf(c->start_id, sizeof(c->start_id), "%s", r->call_id ? r->call_id : "(null)");
	snprintf(c->start_caller, sizeof(c->start_caller), "%s", r->caller ? r->caller : "(null)");
	snprintf(c->start_callee, sizeof(c->start_callee), "%s", r->callee ? r->callee : "(null)");
	snprintf(c->start_name, sizeof(c->start_name), "%s", r->caller_name ? r->caller_name : "(null)");
	c->start_us = r->start_us;
	if (r->end_us != CT_TIME_NONE || r->answer_us != CT_TIME_NONE || r->streams != NULL)
		c->closing_mismatch++;
}

static void on_emit(void *user, struct ct_call_record *r)
{
	struct collector *c = user;

	if (r != c->closed)
		c->emit_unclosed++;
	c->closed = NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->recs = realloc(c->recs, c->cap * sizeof(*c->recs));
		if (c->recs == NULL)
			abort();
	}
	c->recs[c->n++] = r;
}

/* The media stage's part: a heap slot per call, released at closing. */
static void on_media(void *user, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct collector *c = user;

	(void)m;
	c->media++;
	c->last_d = d;
	if (ct_dialog_media_get(d) == NULL)
		ct_dialog_media_set(d, calloc(1, sizeof(struct media_slot)));
}

static void on_closing(void *user, struct ct_dialog *d, struct ct_call_record *r)
{
	struct collector *c = user;
	struct media_slot *ms = ct_dialog_media_get(d);

	c->closing++;
	c->closed = r;
	c->closing_rtp = ms != NULL ? ms->rtp : 0;
	if (ct_dialog_call_id(d) == NULL || strcmp(ct_dialog_call_id(d), r->call_id) != 0)
		c->closing_mismatch++;
	free(ms);
	ct_dialog_media_set(d, NULL);
}

static struct ct_dialog_table *table(struct collector *c, const struct ct_dialog_cfg *cfg)
{
	struct ct_dialog_hooks h = { on_emit, on_media, on_closing, c, on_start, NULL, NULL, NULL };
	struct ct_dialog_cfg def;

	memset(c, 0, sizeof(*c));
	ct_dialog_cfg_default(&def);
	return ct_dialog_table_new(cfg ? cfg : &def, &h);
}

/* Also checks that every emit followed the closing hook of the same record. */
static void collector_fini(struct collector *c)
{
	size_t i;

	CHECK_INT(c->emit_unclosed, 0);
	for (i = 0; i < c->n; i++)
		ct_call_record_free(c->recs[i]);
	free(c->recs);
	memset(c, 0, sizeof(*c));
}

static struct ct_dialog_stats stats(const struct ct_dialog_table *t)
{
	struct ct_dialog_stats st;

	ct_dialog_get_stats(t, &st);
	return st;
}

#define LINGER (32 * SEC) /* default linger_us */

#define TRAIL (5 * SEC) /* an ended call without RTP since its end: emitted this long after */

#define CHECK_LINGER(t, c, end, n) check_linger((t), (c), (end), (n), TRAIL, __LINE__)
#define CHECK_LINGER_WHOLE(t, c, end, n) check_linger((t), (c), (end), (n), LINGER, __LINE__)

/*
 * An ended call is emitted exactly wait after end (its last activity):
 * TRAIL when it got no RTP since (the trail list), LINGER when it lingers
 * whole (forked, a call in progress).  n records are out
 * before, still n at end + wait - 1, n + 1 (closing hook included, and
 * counted in stats.calls) at end + wait.
 */
static void check_linger(struct ct_dialog_table *t, struct collector *c, int64_t end,
    size_t n, int64_t wait, int line)
{
	int before = ct_t_fail;

	CHECK_INT(c->n, n);
	CHECK_INT(c->closing, n);
	ct_dialog_expire(t, end + wait - 1);
	CHECK_INT(c->n, n);
	CHECK_INT(c->closing, n);
	CHECK_INT(stats(t).calls, n);
	ct_dialog_expire(t, end + wait);
	CHECK_INT(c->n, n + 1);
	CHECK_INT(c->closing, n + 1);
	CHECK_INT(stats(t).calls, n + 1);
	if (ct_t_fail != before)
		fprintf(stderr, "  ^ linger check at line %d\n", line);
}

/* ---- message builders --------------------------------------------------- */

/* One call: party A (caller) calls B through hosts 10.0.0.a_host -> b_host. */
struct tcall {
	const char *cid;
	const char *a_user, *a_name, *a_tag;
	const char *b_user, *b_tag;
	uint8_t a_host, b_host;
	uint16_t a_port, b_port;
};

/* Optional parts of a message; zero = absent. */
struct opt {
	bool sdp;
	int media_dir;         /* with sdp: one audio m= line in this direction + 1 (0: none) */
	int q850;              /* 0 = no Reason cause */
	const char *rtext;     /* Reason text="..." */
	const char *contact;   /* overrides the sender's user */
	const char *to_tag;    /* overrides B's tag in responses / requests */
	const char *branch;
	const char *branch2;   /* second Via's branch */
	const char *pai;       /* P-Asserted-Identity user */
	bool body_short;       /* ct_sip_msg.body_short: shorter than its Content-Length */
	bool no_from_tag;      /* requests: no From tag */
	bool repeated;         /* requests: a single header was given twice (first kept) */
	bool null_addr;        /* with sdp: the m= line's address 0.0.0.0 (RFC 2543 hold) */
};

static const struct opt none;

static struct ct_addr host(uint8_t h)
{
	struct ct_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.a[0] = 10;
	a.a[3] = h;
	return a;
}

static void base(struct ct_sip_msg *m, const struct tcall *c, int64_t ts, bool from_a,
    const struct opt *o)
{
	memset(m, 0, sizeof(*m));
	m->ts_us = ts;
	m->t.src = host(from_a ? c->a_host : c->b_host);
	m->t.dst = host(from_a ? c->b_host : c->a_host);
	m->t.sport = from_a ? c->a_port : c->b_port;
	m->t.dport = from_a ? c->b_port : c->a_port;
	m->t.proto = 17;
	m->transport = CT_TRANSPORT_UDP;
	m->call_id = (char *)c->cid;
	m->q850_cause = o->q850 ? o->q850 : -1;
	m->reason_text = (char *)o->rtext;
	m->has_sdp = o->sdp;
	if (o->sdp && o->media_dir > 0) {
		m->sdp.n_media = 1;
		snprintf(m->sdp.media[0].type, sizeof(m->sdp.media[0].type), "audio");
		m->sdp.media[0].addr = m->t.src;
		if (o->null_addr)
			memset(m->sdp.media[0].addr.a, 0, sizeof(m->sdp.media[0].addr.a));
		m->sdp.media[0].port = 40000;
		m->sdp.media[0].dir = (enum ct_sdp_dir)(o->media_dir - 1);
	}
	m->via_branch = (char *)(o->branch ? o->branch : "z9hG4bK-1");
	m->via_branch2 = (char *)o->branch2;
	m->pai_user = (char *)o->pai;
	m->body_short = o->body_short;
}

static void set_from_a(struct ct_sip_msg *m, const struct tcall *c)
{
	m->from_user = (char *)c->a_user;
	m->from_name = (char *)c->a_name;
	m->from_tag = (char *)c->a_tag;
	m->to_user = (char *)c->b_user;
}

static void set_from_b(struct ct_sip_msg *m, const struct tcall *c)
{
	m->from_user = (char *)c->b_user;
	m->from_tag = (char *)c->b_tag;
	m->to_user = (char *)c->a_user;
	m->to_tag = (char *)c->a_tag;
}

/* A request from A; initial (INVITE/CANCEL without To tag) when !in_dialog. */
static void req_a(struct ct_dialog_table *t, const struct tcall *c, const char *method,
    uint32_t cseq, int64_t ts, bool in_dialog, const struct opt *o)
{
	struct ct_sip_msg m;

	o = o ? o : &none;
	base(&m, c, ts, true, o);
	set_from_a(&m, c);
	m.is_request = true;
	snprintf(m.method, sizeof(m.method), "%s", method);
	snprintf(m.cseq_method, sizeof(m.cseq_method), "%s", method);
	m.cseq = cseq;
	m.ruri_user = (char *)c->b_user;
	m.contact_user = (char *)(o->contact ? o->contact : c->a_user);
	m.to_tag = in_dialog ? (char *)(o->to_tag ? o->to_tag : c->b_tag) : NULL;
	if (o->no_from_tag)
		m.from_tag = NULL;
	m.repeated_headers = o->repeated ? 1 : 0;
	ct_dialog_on_msg(t, &m);
}

static void invite(struct ct_dialog_table *t, const struct tcall *c, uint32_t cseq, int64_t ts,
    const struct opt *o)
{
	req_a(t, c, "INVITE", cseq, ts, false, o);
}

/* A request from B (in dialog). */
static void req_b(struct ct_dialog_table *t, const struct tcall *c, const char *method,
    uint32_t cseq, int64_t ts, const struct opt *o)
{
	struct ct_sip_msg m;

	o = o ? o : &none;
	base(&m, c, ts, false, o);
	set_from_b(&m, c);
	m.is_request = true;
	snprintf(m.method, sizeof(m.method), "%s", method);
	snprintf(m.cseq_method, sizeof(m.cseq_method), "%s", method);
	m.cseq = cseq;
	m.ruri_user = (char *)c->a_user;
	m.contact_user = (char *)c->b_user;
	ct_dialog_on_msg(t, &m);
}

/* B's response to A's request (no To tag on 100 Trying). */
static void rsp_a(struct ct_dialog_table *t, const struct tcall *c, int status,
    const char *phrase, const char *method, uint32_t cseq, int64_t ts, const struct opt *o)
{
	struct ct_sip_msg m;

	o = o ? o : &none;
	base(&m, c, ts, false, o);
	set_from_a(&m, c);
	m.status = status;
	m.reason_phrase = (char *)phrase;
	snprintf(m.cseq_method, sizeof(m.cseq_method), "%s", method);
	m.cseq = cseq;
	m.to_tag = status == 100 ? NULL : (char *)(o->to_tag ? o->to_tag : c->b_tag);
	m.contact_user = (char *)(o->contact ? o->contact : c->b_user);
	ct_dialog_on_msg(t, &m);
}

/* A's response to B's request. */
static void rsp_b(struct ct_dialog_table *t, const struct tcall *c, int status,
    const char *method, uint32_t cseq, int64_t ts, const struct opt *o)
{
	struct ct_sip_msg m;

	o = o ? o : &none;
	base(&m, c, ts, true, o);
	set_from_b(&m, c);
	m.status = status;
	m.reason_phrase = (char *)"OK";
	snprintf(m.cseq_method, sizeof(m.cseq_method), "%s", method);
	m.cseq = cseq;
	m.contact_user = (char *)c->a_user;
	ct_dialog_on_msg(t, &m);
}

/* ---- expected records ------------------------------------------------- */

static void expect(struct ct_call_record *e, const struct tcall *c, int64_t start)
{
	memset(e, 0, sizeof(*e));
	e->call_id = (char *)c->cid;
	e->caller = (char *)c->a_user;
	e->caller_name = (char *)c->a_name;
	e->callee = (char *)c->b_user;
	e->src_ip = host(c->a_host);
	e->dst_ip = host(c->b_host);
	e->src_port = c->a_port;
	e->dst_port = c->b_port;
	e->transport = CT_TRANSPORT_UDP;
	e->start_us = start;
	e->ringing_us = e->answer_us = e->end_us = CT_TIME_NONE;
	e->q850_cause = -1;
	e->direction = CT_DIR_UNKNOWN;
	e->invites = 1;
	/* The agent candidate without an answering extension: the calling one. */
	e->agent = ct_number_is_extension(c->a_user) ? (char *)c->a_user : NULL;
}

static bool addr_same(const struct ct_addr *x, const struct ct_addr *y)
{
	return x->family == y->family && memcmp(x->a, y->a, sizeof(x->a)) == 0;
}

#define CHECK_REC(r, e) check_rec((r), (e), __LINE__)

static void check_rec(const struct ct_call_record *r, const struct ct_call_record *e, int line)
{
	int before = ct_t_fail;

	CHECK(r != NULL);
	if (r == NULL) {
		fprintf(stderr, "  ^ no record, expected at line %d\n", line);
		return;
	}
	CHECK_STR(r->call_id, e->call_id);
	CHECK_STR(r->caller, e->caller);
	CHECK_STR(r->caller_name, e->caller_name);
	CHECK_STR(r->callee, e->callee);
	CHECK_STR(r->agent, e->agent);
	CHECK(addr_same(&r->src_ip, &e->src_ip));
	CHECK(addr_same(&r->dst_ip, &e->dst_ip));
	CHECK_INT(r->src_port, e->src_port);
	CHECK_INT(r->dst_port, e->dst_port);
	CHECK_INT(r->transport, e->transport);
	CHECK_INT(r->vlan, e->vlan);
	CHECK_INT(r->start_us, e->start_us);
	CHECK_INT(r->ringing_us, e->ringing_us);
	CHECK_INT(r->answer_us, e->answer_us);
	CHECK_INT(r->end_us, e->end_us);
	CHECK_INT(r->final_code, e->final_code);
	CHECK_INT(r->disposition, e->disposition);
	CHECK_INT(r->hangup_by, e->hangup_by);
	CHECK_INT(r->q850_cause, e->q850_cause);
	CHECK_STR(r->hangup_reason, e->hangup_reason);
	CHECK_INT(r->direction, e->direction);
	CHECK_INT(r->truncated, e->truncated);
	CHECK_INT(r->auth_challenges, e->auth_challenges);
	CHECK_INT(r->invites, e->invites);
	CHECK_INT(r->start_unseen, e->start_unseen);
	CHECK_INT(r->n_streams, 0);
	CHECK(r->streams == NULL);
	if (ct_t_fail != before)
		fprintf(stderr, "  ^ record mismatch, expected at line %d\n", line);
}

static const struct tcall call1 = {
	"call-1@host", "1001", "Alice", "atag1", "5550100", "btag1", 1, 2, 5060, 5062
};
static const struct tcall call2 = {
	"call-2@host", "1002", "Bob", "atag2", "5550101", "btag2", 3, 2, 5060, 5062
};

/* The answered part of a call: INVITE, 100, 180, 200 (SDP), ACK. */
static void answered(struct ct_dialog_table *t, const struct tcall *c, int64_t ts)
{
	const struct opt sdp = { .sdp = true };
	const struct opt agent = { .sdp = true, .contact = "agent7" };

	invite(t, c, 1, ts, &sdp);
	rsp_a(t, c, 100, "Trying", "INVITE", 1, ts + 10 * MS, NULL);
	rsp_a(t, c, 180, "Ringing", "INVITE", 1, ts + 1 * SEC, NULL);
	rsp_a(t, c, 200, "OK", "INVITE", 1, ts + 5 * SEC, &agent);
	req_a(t, c, "ACK", 1, ts + 5 * SEC + 20 * MS, true, NULL);
}

static void expect_answered(struct ct_call_record *e, const struct tcall *c, int64_t ts)
{
	expect(e, c, ts);
	e->ringing_us = ts + 1 * SEC;
	e->answer_us = ts + 5 * SEC;
	e->final_code = 200;
	e->agent = (char *)"agent7";
}

/* ---- tests -------------------------------------------------------------- */

static void test_method_index(void)
{
	static const struct { const char *m; int idx; } v[] = {
		{ "INVITE", CT_M_INVITE }, { "ACK", CT_M_ACK }, { "BYE", CT_M_BYE },
		{ "CANCEL", CT_M_CANCEL }, { "REGISTER", CT_M_REGISTER },
		{ "OPTIONS", CT_M_OPTIONS }, { "PRACK", CT_M_INDIALOG },
		{ "UPDATE", CT_M_INDIALOG }, { "INFO", CT_M_INDIALOG },
		{ "REFER", CT_M_INDIALOG }, { "NOTIFY", CT_M_OTHER },
		{ "SUBSCRIBE", CT_M_OTHER }, { "MESSAGE", CT_M_OTHER },
		{ "invite", CT_M_OTHER }, { "", CT_M_OTHER }, { "INVITEX", CT_M_OTHER },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_INT(ct_sip_method_index(v[i].m), v[i].idx);
	CHECK_INT(ct_sip_method_index(NULL), CT_M_OTHER);
}

/*
 * capture_drops: null until a drop count is set; then the drops counted
 * between a call's first and last message (retransmissions and messages
 * after the end do not move it).
 */
static void test_capture_drops(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	answered(t, &call1, T0);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK(!c.recs[0]->has_capture_drops);
	collector_fini(&c);
	ct_dialog_table_free(t);

	t = table(&c, NULL);
	ct_dialog_set_capture_drops(t, 5);
	invite(t, &call1, 1, T0, &(struct opt){ .sdp = true });
	ct_dialog_set_capture_drops(t, 9);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 5 * SEC, NULL);
	ct_dialog_set_capture_drops(t, 12);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC, true, NULL);
	ct_dialog_set_capture_drops(t, 40);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC + 500 * MS, true, NULL);  /* retransmission */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK(c.recs[0]->has_capture_drops);
		CHECK_INT(c.recs[0]->capture_drops, 7);
	}
	collector_fini(&c);
	ct_dialog_table_free(t);
}

static void test_bye_caller(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	struct ct_dialog_stats st;

	answered(t, &call1, T0);
	CHECK_INT(c.n, 0);
	CHECK_INT(stats(t).active, 1);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC, true, NULL);
	/* ended (no longer active) but not emitted: it lingers for trailing RTP */
	CHECK_INT(c.n, 0);
	CHECK_INT(c.closing, 0);
	CHECK_INT(stats(t).calls, 0);
	CHECK_INT(stats(t).active, 0);
	rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 65 * SEC + 5 * MS, NULL);
	/* lingering: a retransmitted BYE is absorbed, not an orphan */
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC + 500 * MS, true, NULL);
	/* the trail runs from the BYE (not from the 200 or the retransmission) */
	ct_dialog_expire(t, T0 + 65 * SEC + TRAIL - 1);
	CHECK_INT(c.n, 0);
	req_a(t, &call1, "BYE", 2, T0 + 66 * SEC, true, NULL);
	st = stats(t);
	CHECK_INT(st.messages, 9);
	CHECK_INT(st.requests[CT_M_INVITE], 1);
	CHECK_INT(st.requests[CT_M_ACK], 1);
	CHECK_INT(st.requests[CT_M_BYE], 3);
	CHECK_INT(st.responses, 4);
	CHECK_INT(st.retransmissions, 2);
	CHECK_INT(st.orphan_messages, 0);
	CHECK_INT(st.calls, 0);
	CHECK_INT(st.active, 0);
	CHECK_INT(c.n, 0);
	CHECK_INT(c.closing, 0);
	/* the retransmission at 66 s did not extend the trail: due at BYE + 5 s */
	ct_dialog_expire(t, T0 + 65 * SEC + TRAIL);
	CHECK_INT(c.n, 1);
	CHECK_INT(stats(t).calls, 1);
	expect_answered(&e, &call1, T0);
	e.end_us = T0 + 65 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	if (c.n > 0) {
		/* one block: the record's strings are in its own room */
		const struct ct_call_record *r = c.recs[0];
		const char *const f[] = { r->call_id, r->caller, r->callee, r->hangup_reason };
		size_t i;

		CHECK(r->arena == (const char *)(r + 1));
		for (i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			CHECK(f[i] != NULL && f[i] >= r->arena && f[i] < r->arena + r->arena_used);
		CHECK(r->arena_size - r->arena_used >= 96);   /* spare for enrichment */
	}
	CHECK_INT(c.closing, 1);
	CHECK_INT(c.closing_mismatch, 0);
	CHECK_INT(c.media, 2); /* INVITE and 200 carry SDP */
	/* a ghost for the rest of its linger: a late BYE is absorbed, no record */
	CHECK_INT(stats(t).ghosts, 1);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC + LINGER - 1, true, NULL);
	CHECK_INT(stats(t).orphan_messages, 0);
	CHECK_INT(c.n, 1);
	/* after it: the Call-ID was recorded, a late BYE is an orphan */
	req_a(t, &call1, "BYE", 2, T0 + 99 * SEC, true, NULL);
	CHECK_INT(stats(t).orphan_messages, 1);
	CHECK_INT(c.n, 1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	CHECK_INT(c.closing, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The trail: an ended call waits TRAIL after its end for trailing RTP; RTP
 * since re-queues it at its last packet, in order among the calls that
 * ended after it; emitted, it lingers as a ghost until LINGER after its
 * end.  The record is the call's state at its end, built at emission
 * (its strings in its own room).
 */
static void test_trail(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_dialog *da;

	answered(t, &call1, T0);
	da = c.last_d;
	answered(t, &call2, T0 + 1 * SEC);
	req_a(t, &call1, "BYE", 2, T0 + 10 * SEC, true, NULL);
	req_a(t, &call2, "BYE", 2, T0 + 11 * SEC, true, NULL);
	ct_dialog_touch_media(da, T0 + 13 * SEC);   /* call 1's RTP 3 s after its BYE */
	ct_dialog_expire(t, T0 + 15 * SEC);          /* call 1 due, re-queued at 13 s */
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 16 * SEC);          /* call 2 due */
	CHECK_INT(c.n, 1);
	ct_dialog_expire(t, T0 + 18 * SEC - 1);
	CHECK_INT(c.n, 1);
	ct_dialog_expire(t, T0 + 18 * SEC);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		const struct ct_call_record *r = c.recs[1];

		CHECK_STR(c.recs[0]->call_id, "call-2@host");
		CHECK_STR(r->call_id, "call-1@host");
		CHECK_INT(r->end_us, T0 + 10 * SEC);   /* the BYE's time, not the RTP's */
		CHECK_INT(r->disposition, CT_DISP_ANSWERED);
		CHECK_INT(r->truncated, 0);
		CHECK_STR(r->caller, "1001");
		CHECK_STR(r->callee, "5550100");
		CHECK_STR(r->hangup_reason, "BYE");
		CHECK(r->arena == (const char *)(r + 1));
		CHECK(r->caller >= r->arena && r->caller < r->arena + r->arena_used);
	}
	CHECK_INT(c.closing, 2);
	CHECK_INT(stats(t).ghosts, 2);
	/* a retransmitted BYE within the linger: absorbed by the ghost */
	req_a(t, &call1, "BYE", 2, T0 + 10 * SEC + LINGER - 1, true, NULL);
	CHECK_INT(stats(t).orphan_messages, 0);
	CHECK_INT(c.n, 2);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A 200 stamped an hour before its INVITE (two sensors' clocks merged):
 * the record's answer is not before its start, nor its talk longer than
 * the call.
 */
static void test_skewed_answer(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const int64_t t1 = T0 + 3600 * SEC;

	invite(t, &call1, 1, t1, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 - 1 * SEC, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0, NULL);
	req_a(t, &call1, "ACK", 1, t1 + 20 * MS, true, NULL);
	req_a(t, &call1, "BYE", 2, t1 + 3 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		const struct ct_call_record *r = c.recs[0];

		CHECK_INT(r->disposition, CT_DISP_ANSWERED);
		CHECK_INT(r->start_us, t1);
		CHECK_INT(r->ringing_us, t1);
		CHECK_INT(r->answer_us, t1);
		CHECK_INT(r->end_us, t1 + 3 * SEC);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A call on hold (its latest SDP a=inactive, sendonly or recvonly) sends no
 * RTP for as long as it likes: the media timeout does not close it, the
 * call timeout still does; taken off hold, the media timeout applies again.
 */
static void test_hold_media_timeout(void)
{
	const struct opt hold = { .sdp = true, .media_dir = 1 + CT_SDP_INACTIVE };
	const struct opt moh = { .sdp = true, .media_dir = 1 + CT_SDP_SENDONLY };
	const struct opt resume = { .sdp = true, .media_dir = 1 + CT_SDP_SENDRECV };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	answered(t, &call1, T0);
	req_a(t, &call1, "INVITE", 2, T0 + 10 * SEC, true, &hold);
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 10 * SEC + 5 * MS, &hold);
	req_a(t, &call1, "ACK", 2, T0 + 10 * SEC + 10 * MS, true, NULL);
	ct_dialog_expire(t, T0 + 700 * SEC);     /* 11 min on hold, no RTP */
	CHECK_INT(c.n, 0);
	CHECK_INT(stats(t).active, 1);
	req_a(t, &call1, "INVITE", 3, T0 + 700 * SEC, true, &resume);
	rsp_a(t, &call1, 200, "OK", "INVITE", 3, T0 + 700 * SEC + 5 * MS, &resume);
	req_a(t, &call1, "BYE", 4, T0 + 710 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->end_us, T0 + 710 * SEC);
		CHECK_INT(c.recs[0]->truncated, 0);
		CHECK_STR(c.recs[0]->hangup_reason, "BYE");
	}
	CHECK_INT(stats(t).media_timeouts, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* sendonly hold, then resumed and silent: the media timeout closes it */
	t = table(&c, NULL);
	answered(t, &call1, T0);
	req_a(t, &call1, "INVITE", 2, T0 + 10 * SEC, true, &moh);
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 10 * SEC + 5 * MS, &moh);
	ct_dialog_expire(t, T0 + 700 * SEC);
	CHECK_INT(c.n, 0);
	req_a(t, &call1, "INVITE", 3, T0 + 700 * SEC, true, &resume);
	rsp_a(t, &call1, 200, "OK", "INVITE", 3, T0 + 700 * SEC + 5 * MS, &resume);
	ct_dialog_note_rtp(t, T0 + 900 * SEC);   /* the tap carries another call's RTP */
	ct_dialog_expire(t, T0 + 1000 * SEC + 5 * MS + 1 * SEC);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (media timeout)");
	CHECK_INT(stats(t).media_timeouts, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/*
	 * RFC 2543's hold (red-team pass 9): the caller offers c=0.0.0.0,
	 * sendrecv, and the callee answers with its ordinary sendrecv SDP
	 * (RFC 3264 §8.4).  The answer does not end the hold: no RTP for 11
	 * minutes, the media timeout leaves the call, whose resume and BYE
	 * come.  Before, the answer cleared the hold and the call was cut at
	 * the media timeout, its BYE orphaned.
	 */
	{
		const struct opt hold2543 = { .sdp = true, .media_dir = 1 + CT_SDP_SENDRECV,
		    .null_addr = true };

		t = table(&c, NULL);
		answered(t, &call1, T0);
		req_a(t, &call1, "INVITE", 2, T0 + 10 * SEC, true, &hold2543);
		rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 10 * SEC + 5 * MS, &resume);
		req_a(t, &call1, "ACK", 2, T0 + 10 * SEC + 10 * MS, true, NULL);
		ct_dialog_note_rtp(t, T0 + 600 * SEC);   /* the tap carries other calls' RTP */
		ct_dialog_expire(t, T0 + 700 * SEC);
		CHECK_INT(c.n, 0);
		req_a(t, &call1, "INVITE", 3, T0 + 700 * SEC, true, &resume);
		rsp_a(t, &call1, 200, "OK", "INVITE", 3, T0 + 700 * SEC + 5 * MS, &resume);
		req_a(t, &call1, "BYE", 4, T0 + 710 * SEC, true, NULL);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_INT(c.recs[0]->end_us, T0 + 710 * SEC);
			CHECK_INT(c.recs[0]->truncated, 0);
			CHECK_STR(c.recs[0]->hangup_reason, "BYE");
		}
		CHECK_INT(stats(t).media_timeouts, 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * A retryable failure (422: session timer too small; 302) waits TRAIL for
 * the INVITE retried in the same Call-ID with the next CSeq, which goes on
 * with the call; without one the call ends failed at the failure's time,
 * not truncated.
 */
static void test_retry_after_failure(void)
{
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const int64_t t2 = T0 + 100 * SEC;

	invite(t, &call1, 1, T0, &sdp);
	rsp_a(t, &call1, 422, "Session Interval Too Small", "INVITE", 1, T0 + 10 * MS, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 20 * MS, true, NULL);
	CHECK_INT(stats(t).active, 1);
	invite(t, &call1, 2, T0 + 50 * MS, &sdp);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 2, T0 + 1 * SEC, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 2 * SEC, &sdp);
	req_a(t, &call1, "ACK", 2, T0 + 2 * SEC + 20 * MS, true, NULL);
	req_a(t, &call1, "BYE", 3, T0 + 10 * SEC, true, NULL);
	invite(t, &call2, 1, t2, &sdp);
	rsp_a(t, &call2, 302, "Moved Temporarily", "INVITE", 1, t2 + 10 * MS, NULL);
	ct_dialog_expire(t, t2 + 10 * MS + TRAIL - 1);
	CHECK_INT(c.n, 1);                  /* call 1 (answered); call 2 waits for a retry */
	CHECK_INT(stats(t).active, 1);
	ct_dialog_expire(t, t2 + 10 * MS + TRAIL);     /* no retry: call 2 ends, trails */
	CHECK_INT(stats(t).active, 0);
	ct_dialog_expire(t, t2 + 10 * MS + 2 * TRAIL);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		const struct ct_call_record *r = c.recs[0];

		CHECK_STR(r->call_id, "call-1@host");
		CHECK_INT(r->disposition, CT_DISP_ANSWERED);
		CHECK_INT(r->final_code, 200);
		CHECK_INT(r->start_us, T0);
		CHECK_INT(r->answer_us, T0 + 2 * SEC);
		CHECK_INT(r->invites, 2);
		CHECK_INT(r->auth_challenges, 0);
		CHECK_INT(r->truncated, 0);
		r = c.recs[1];
		CHECK_STR(r->call_id, "call-2@host");
		CHECK_INT(r->disposition, CT_DISP_FAILED);
		CHECK_INT(r->final_code, 302);
		CHECK_INT(r->end_us, t2 + 10 * MS);
		CHECK_INT(r->truncated, 0);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* evicted while it waits for the retry (a full table): failed as
	 * without one, neither truncated nor marked evicted */
	{
		struct ct_dialog_cfg cfg;

		ct_dialog_cfg_default(&cfg);
		cfg.max_dialogs = 1;
		t = table(&c, &cfg);
		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 503, "Service Unavailable", "INVITE", 1, T0 + 10 * MS, NULL);
		invite(t, &call2, 1, T0 + 2 * SEC, NULL);
		CHECK_INT(stats(t).evicted[CT_EVICT_SETTLED], 1);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_STR(c.recs[0]->call_id, "call-1@host");
			CHECK_INT(c.recs[0]->disposition, CT_DISP_FAILED);
			CHECK_INT(c.recs[0]->final_code, 503);
			CHECK_INT(c.recs[0]->end_us, T0 + 10 * MS);
			CHECK_INT(c.recs[0]->truncated, 0);
			CHECK_INT(c.recs[0]->evicted, 0);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * Another call in a Call-ID that lingers (RFC 3261 §12.2.1.1: a re-sent
 * INVITE keeps its From tag and CSeq): a UA dialling again with a new From
 * tag, or retrying with a higher CSeq after a failure that ended the call,
 * makes a call of its own, whether the ended call lingers whole or as a
 * ghost.  Each used to be absorbed as a retransmission (an answered call
 * with no record).  The original INVITE re-sent is still absorbed; an
 * INVITE retried after a 488 to another number is another call.
 */
static void test_reused_call_id(void)
{
	static const struct tcall other_tag = {
		"call-1@host", "1001", "Alice", "atag9", "5550100", "btag9", 1, 2, 5060, 5062
	};
	static const struct tcall other_number = {
		"call-1@host", "1001", "Alice", "atag1", "442079460000", "btag7", 1, 2, 5060, 5062
	};
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t;
	int round;

	/* round 0: again 3 s after the 486 (lingers whole, record not yet
	 * written); round 1: 8 s after (a ghost) */
	for (round = 0; round < 2; round++) {
		int64_t again = T0 + (round == 0 ? 3 : 8) * SEC;

		t = table(&c, NULL);
		invite(t, &call1, 1, T0, &sdp);
		rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 10 * MS, NULL);
		req_a(t, &call1, "ACK", 1, T0 + 20 * MS, true, NULL);
		ct_dialog_expire(t, T0 + (round == 0 ? 2 : 7) * SEC);
		invite(t, &call1, 1, T0 + 2 * SEC + 500 * MS, &sdp);   /* the first, re-sent: absorbed */
		CHECK_INT(stats(t).retransmissions, 1);
		invite(t, &call1, 2, again, &sdp);                      /* same tag, next CSeq */
		rsp_a(t, &call1, 200, "OK", "INVITE", 2, again + 1 * SEC, &sdp);
		req_a(t, &call1, "ACK", 2, again + 1 * SEC + 20 * MS, true, NULL);
		req_a(t, &call1, "BYE", 3, again + 31 * SEC, true, NULL);
		invite(t, &other_tag, 1, again + 40 * SEC, &sdp);       /* a new From tag */
		rsp_a(t, &other_tag, 480, "Temporarily Unavailable", "INVITE", 1,
		    again + 41 * SEC, NULL);
		ct_dialog_flush(t);
		CHECK_INT(stats(t).reused_call_ids, 2);
		CHECK_INT(c.n, 3);
		if (c.n == 3) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_BUSY);
			CHECK_INT(c.recs[0]->start_us, T0);
			CHECK_INT(c.recs[1]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[1]->start_us, again);
			CHECK_INT(c.recs[1]->answer_us, again + 1 * SEC);
			CHECK_INT(c.recs[1]->end_us, again + 31 * SEC);
			CHECK_INT(c.recs[2]->disposition, CT_DISP_NOANSWER);
			CHECK_INT(c.recs[2]->start_us, again + 40 * SEC);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}

	/* While the call is up, an initial INVITE with another From tag from
	 * the caller's address (refused 403) is of no dialog of the call: its
	 * invites stay 1, its record is the call's alone (red-team pass 6). */
	t = table(&c, NULL);
	answered(t, &call1, T0);
	invite(t, &other_tag, 1, T0 + 5 * SEC, &sdp);
	rsp_a(t, &other_tag, 403, "Forbidden", "INVITE", 1, T0 + 5 * SEC + 10 * MS, NULL);
	invite(t, &other_tag, 2, T0 + 6 * SEC, &sdp);
	req_a(t, &call1, "BYE", 3, T0 + 30 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK(c.n >= 1);
	if (c.n >= 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->invites, 1);
		CHECK_INT(c.recs[0]->end_us, T0 + 30 * SEC);
		CHECK_INT(c.recs[0]->final_code, 200);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* a retry after 488 that asks for another number: two calls */
	t = table(&c, NULL);
	invite(t, &call1, 1, T0, &sdp);
	rsp_a(t, &call1, 488, "Not Acceptable Here", "INVITE", 1, T0 + 10 * MS, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 20 * MS, true, NULL);
	invite(t, &other_number, 2, T0 + 1 * SEC, &sdp);
	rsp_a(t, &other_number, 200, "OK", "INVITE", 2, T0 + 2 * SEC, &sdp);
	req_a(t, &other_number, "ACK", 2, T0 + 2 * SEC + 20 * MS, true, NULL);
	req_a(t, &other_number, "BYE", 3, T0 + 600 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_FAILED);
		CHECK_INT(c.recs[0]->final_code, 488);
		CHECK_STR(c.recs[0]->callee, "5550100");
		CHECK_INT(c.recs[0]->truncated, 0);
		CHECK_INT(c.recs[1]->disposition, CT_DISP_ANSWERED);
		CHECK_STR(c.recs[1]->callee, "442079460000");
		CHECK_INT(c.recs[1]->end_us, T0 + 600 * SEC);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

static void test_bye_callee_q850(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	const struct opt reason = { .q850 = 16, .rtext = "Normal call clearing" };

	answered(t, &call1, T0);
	req_b(t, &call1, "BYE", 7001, T0 + 30 * SEC, &reason);
	rsp_b(t, &call1, 200, "BYE", 7001, T0 + 30 * SEC + 2 * MS, NULL);
	ct_dialog_expire(t, T0 + 30 * SEC + TRAIL - 1);
	CHECK_INT(c.n, 0);
	/* flush emits the waiting record as it was at the BYE (not truncated) */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	CHECK_INT(c.closing, 1);
	CHECK_INT(stats(t).calls, 1);
	expect_answered(&e, &call1, T0);
	e.end_us = T0 + 30 * SEC;
	e.hangup_by = CT_PARTY_CALLEE;
	e.q850_cause = 16;
	e.hangup_reason = (char *)"Normal call clearing";
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).orphan_messages, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Final failures: the status decides disposition and hangup side. */
static void test_failures(void)
{
	static const struct {
		int status;
		const char *phrase;
		int q850;
		const char *rtext;
		enum ct_disposition disp;
		enum ct_party by;
		const char *reason;
	} v[] = {
		{ 486, "Busy Here", 0, NULL, CT_DISP_BUSY, CT_PARTY_CALLEE, "Busy Here" },
		{ 600, "Busy Everywhere", 0, NULL, CT_DISP_BUSY, CT_PARTY_CALLEE, "Busy Everywhere" },
		{ 480, "Temporarily Unavailable", 0, NULL, CT_DISP_NOANSWER, CT_PARTY_CALLEE,
		  "Temporarily Unavailable" },
		{ 408, "Request Timeout", 0, NULL, CT_DISP_NOANSWER, CT_PARTY_CALLEE, "Request Timeout" },
		{ 603, "Decline", 21, "Call rejected", CT_DISP_BUSY, CT_PARTY_CALLEE, "Call rejected" },
		{ 404, "Not Found", 0, NULL, CT_DISP_FAILED, CT_PARTY_CALLEE, "Not Found" },
		{ 503, NULL, 0, NULL, CT_DISP_FAILED, CT_PARTY_CALLEE, NULL },
		{ 302, "Moved Temporarily", 0, NULL, CT_DISP_FAILED, CT_PARTY_CALLEE, "Moved Temporarily" },
		{ 487, "Request Terminated", 0, NULL, CT_DISP_CANCELLED, CT_PARTY_CALLER,
		  "Request Terminated" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		struct ct_call_record e;
		struct opt o = { .q850 = v[i].q850, .rtext = v[i].rtext };

		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 5 * MS, NULL);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 300 * MS, NULL);
		/* 302 and 503 may be retried in the same Call-ID: the call waits TRAIL */
		bool retry = v[i].status == 302 || v[i].status == 503;

		rsp_a(t, &call1, v[i].status, v[i].phrase, "INVITE", 1, T0 + 9 * SEC, &o);
		CHECK_INT(c.n, 0); /* ended at the final response, emitted after the trail */
		CHECK_INT(stats(t).active, retry ? 1 : 0);
		req_a(t, &call1, "ACK", 1, T0 + 9 * SEC + 1 * MS, true, NULL);
		/* a late 200 from another fork does not change the record */
		rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 10 * SEC, NULL);
		if (retry) {
			/* no retry within TRAIL of its last message: ended, emitted then */
			ct_dialog_expire(t, T0 + 10 * SEC + TRAIL - 1);
			CHECK_INT(c.n, 0);
			CHECK_INT(stats(t).active, 1);
			ct_dialog_expire(t, T0 + 10 * SEC + TRAIL);
			CHECK_INT(c.n, 1);
			CHECK_INT(stats(t).active, 0);
		} else {
			CHECK_LINGER(t, &c, T0 + 9 * SEC, 0); /* trail from the final response */
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		expect(&e, &call1, T0);
		e.ringing_us = T0 + 300 * MS;
		e.end_us = T0 + 9 * SEC;
		e.final_code = v[i].status;
		e.disposition = v[i].disp;
		e.hangup_by = v[i].by;
		e.q850_cause = v[i].q850 ? v[i].q850 : -1;
		e.hangup_reason = (char *)v[i].reason;
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		CHECK_INT(stats(t).orphan_messages, 0);
		CHECK_INT(stats(t).active, 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

static void test_cancel_487(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_a(t, &call1, "CANCEL", 1, T0 + 12 * SEC, false, NULL);
	rsp_a(t, &call1, 200, "OK", "CANCEL", 1, T0 + 12 * SEC + 3 * MS, NULL);
	CHECK_INT(c.n, 0); /* waits for the 487 */
	rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1, T0 + 12 * SEC + 4 * MS, NULL);
	CHECK_INT(c.n, 0); /* ended by the 487, lingering */
	CHECK_INT(stats(t).active, 0);
	req_a(t, &call1, "ACK", 1, T0 + 12 * SEC + 5 * MS, true, NULL);
	/*
	 * The linger runs from the call's last activity before it ended, the
	 * 487, although end_us is the CANCEL (12 s); the ACK after it is
	 * absorbed and does not extend it.
	 */
	CHECK_LINGER(t, &c, T0 + 12 * SEC + 4 * MS, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 1 * SEC;
	e.end_us = T0 + 12 * SEC;
	e.final_code = 487;
	e.disposition = CT_DISP_CANCELLED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"CANCEL";
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).requests[CT_M_CANCEL], 1);
	CHECK_INT(stats(t).orphan_messages, 0);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

static void test_cancel_no_487(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	const struct opt why = { .q850 = 31, .rtext = "Caller gave up" };

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 183, "Session Progress", "INVITE", 1, T0 + 2 * SEC, NULL);
	req_a(t, &call1, "CANCEL", 1, T0 + 3 * SEC, false, &why);
	ct_dialog_expire(t, T0 + 3 * SEC + 32 * SEC - 1);
	CHECK_INT(c.n, 0);
	CHECK_INT(stats(t).active, 1);
	ct_dialog_expire(t, T0 + 3 * SEC + 32 * SEC);
	CHECK_INT(c.n, 1);
	CHECK_INT(stats(t).active, 0);
	CHECK_INT(stats(t).calls_timed_out, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 2 * SEC;
	e.end_us = T0 + 3 * SEC;
	e.disposition = CT_DISP_CANCELLED;
	e.hangup_by = CT_PARTY_CALLER;
	e.q850_cause = 31;
	e.hangup_reason = (char *)"Caller gave up";
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	/* the call was freed at once: a very late 487 is an orphan */
	rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1, T0 + 40 * SEC, NULL);
	CHECK_INT(stats(t).orphan_messages, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Under an RFC 2543 INVITE (a branch without the magic cookie) a response
 * without a branch is still the INVITE's (an old peer matches its
 * transactions otherwise); under an RFC 3261 one it matches nothing
 * (test_invite_response_wrong_branch).
 */
static void test_response_no_branch_rfc2543(void)
{
	const struct opt nobr = { .branch = "" };
	const struct opt old_inv = { .branch = "1a2b3c" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &call1, 1, T0, &old_inv);
	rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 2 * SEC, &nobr);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->final_code, 486);
		CHECK_INT(c.recs[0]->end_us, T0 + 2 * SEC);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A CANCEL not of the call's INVITE transaction (RFC 3261 §9.1: a CANCEL
 * carries its INVITE's From tag, CSeq number and top Via branch; §9.2: the
 * UAS answers one that matches no INVITE with 481), from the caller's own
 * address (a spoofer there knows the Call-ID but not the branch), changes
 * nothing: not the state (the call fails busy, or is cancelled by the real
 * CANCEL at its time), and it is not remembered as seen (the real CANCEL
 * has the same key: method, CSeq, From tag).  Counted in cancels_ignored.
 * Rounds: another branch, another From tag, another CSeq number, no
 * branch at all (the INVITE's has the magic cookie, §17.2.3); then the
 * real CANCEL (round 3: a branch of a copy of the INVITE, a proxy's hop,
 * still cancels).
 */
static void cancel_as(struct ct_dialog_table *t, const char *from_tag, const char *branch,
    uint32_t cseq, int64_t ts)
{
	struct ct_sip_msg m;

	base(&m, &call1, ts, true, &none);
	set_from_a(&m, &call1);
	m.from_tag = (char *)from_tag;
	m.via_branch = (char *)branch;
	m.is_request = true;
	snprintf(m.method, sizeof(m.method), "CANCEL");
	snprintf(m.cseq_method, sizeof(m.cseq_method), "CANCEL");
	m.cseq = cseq;
	ct_dialog_on_msg(t, &m);
}

static void test_cancel_not_of_invite(void)
{
	static const struct {
		const char *from_tag, *branch;
		uint32_t cseq;
	} forged[] = {
		{ "atag1", "z9hG4bK-evil", 1 },
		{ "evil", "z9hG4bK-1", 1 },
		{ "atag1", "z9hG4bK-1", 7 },
		{ "atag1", "", 1 },     /* no branch, under an RFC 3261 INVITE's */
	};
	const struct opt hop2 = { .branch = "z9hG4bK-hop2" };
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_call_record e;
	size_t i;
	int real;

	for (i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		for (real = 0; real < 2; real++) {
			t = table(&c, NULL);
			invite(t, &call1, 1, T0, NULL);
			rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
			cancel_as(t, forged[i].from_tag, forged[i].branch, forged[i].cseq, T0 + 2 * SEC);
			CHECK_INT(stats(t).cancels_ignored, 1);
			CHECK_INT(stats(t).active, 1);
			expect(&e, &call1, T0);
			e.ringing_us = T0 + 1 * SEC;
			if (real) {
				/* the caller hangs up: its CANCEL counts, at its time */
				req_a(t, &call1, "CANCEL", 1, T0 + 5 * SEC, false, NULL);
				rsp_a(t, &call1, 200, "OK", "CANCEL", 1, T0 + 5 * SEC + 3 * MS, NULL);
				rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1,
				    T0 + 5 * SEC + 4 * MS, NULL);
				e.end_us = T0 + 5 * SEC;
				e.final_code = 487;
				e.disposition = CT_DISP_CANCELLED;
				e.hangup_by = CT_PARTY_CALLER;
				e.hangup_reason = (char *)"CANCEL";
			} else {
				/* the callee is busy: not cancelled by the forged CANCEL */
				rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 6 * SEC, NULL);
				e.end_us = T0 + 6 * SEC;
				e.final_code = 486;
				e.disposition = CT_DISP_BUSY;
				e.hangup_by = CT_PARTY_CALLEE;
				e.hangup_reason = (char *)"Busy Here";
			}
			ct_dialog_flush(t);
			CHECK_INT(c.n, 1);
			e.truncated = false;
			CHECK_REC(c.n ? c.recs[0] : NULL, &e);
			CHECK_INT(stats(t).cancels_ignored, 1);
			ct_dialog_table_free(t);
			collector_fini(&c);
		}
	}

	/* A proxy's hop: the CANCEL of its copy of the INVITE cancels the call. */
	t = table(&c, NULL);
	invite(t, &call1, 1, T0, NULL);
	invite(t, &call1, 1, T0 + 1 * MS, &hop2);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_a(t, &call1, "CANCEL", 1, T0 + 3 * SEC, false, &hop2);
	rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1, T0 + 3 * SEC + 4 * MS, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_CANCELLED);
		CHECK_INT(c.recs[0]->end_us, T0 + 3 * SEC);
	}
	CHECK_INT(stats(t).cancels_ignored, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A callee that answers with the caller's own tag as its To tag (a broken
 * B2BUA copies it): both parties' in-dialog requests carry the same tag
 * twice, so who hung up is told by the From user, or by the address of
 * the first INVITE when the users are the same (red-team pass 9: the
 * callee's BYE was taken for the caller's).
 */
static void test_same_tags(void)
{
	static const struct tcall same = {
		"same@host", "1001", "Alice", "tagX", "5550100", "tagX", 1, 2, 5060, 5062
	};
	static const struct tcall same_user = {
		"same2@host", "1001", "Alice", "tagX", "1001", "tagX", 1, 2, 5060, 5062
	};
	int k;

	for (k = 0; k < 4; k++) {
		const struct tcall *p = k < 2 ? &same : &same_user;
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);

		invite(t, p, 1, T0, NULL);
		rsp_a(t, p, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
		rsp_a(t, p, 200, "OK", "INVITE", 1, T0 + 3 * SEC, NULL);
		req_a(t, p, "ACK", 1, T0 + 3 * SEC + 1 * MS, true, NULL);
		if (k % 2 == 0) {
			req_b(t, p, "BYE", 1, T0 + 9 * SEC, NULL);
			rsp_b(t, p, 200, "BYE", 1, T0 + 9 * SEC + 1 * MS, NULL);
		} else {
			req_a(t, p, "BYE", 2, T0 + 9 * SEC, true, NULL);
			rsp_a(t, p, 200, "OK", "BYE", 2, T0 + 9 * SEC + 1 * MS, NULL);
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n >= 1) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->end_us, T0 + 9 * SEC);
			CHECK_INT(c.recs[0]->hangup_by, k % 2 == 0 ? CT_PARTY_CALLEE : CT_PARTY_CALLER);
			CHECK_INT(c.recs[0]->truncated, 0);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * The callee is the Request-URI's user, unless that is not a telephone
 * number and To's is: a trunk registered to its provider gets its calls
 * at its registered Contact (sip:pbxtrunk1@pbx) with the dialled number
 * in To (red-team pass 10: the tracking number lost).
 */
static void test_callee_of(void)
{
	static const struct {
		const char *ruri, *to, *want;
	} v[] = {
		{ "5550100", "5550100", "5550100" },
		{ "pbxtrunk1", "+18005550199", "+18005550199" },
		{ NULL, "+18005550199", "+18005550199" },
		{ "s", "(800) 555-0199", "(800) 555-0199" },
		{ "+18005550199;npdi", "pbx", "+18005550199;npdi" },
		{ "201", "+18005550199", "201" },               /* a number: kept */
		{ "alice", "bob", "alice" },                    /* neither: the Request-URI's */
		{ "alice", "12", "alice" },                     /* 2 digits: not a number */
		{ "alice", "+1800x5550199", "alice" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		struct ct_sip_msg m;

		base(&m, &call1, T0, true, &none);
		set_from_a(&m, &call1);
		m.is_request = true;
		snprintf(m.method, sizeof(m.method), "INVITE");
		snprintf(m.cseq_method, sizeof(m.cseq_method), "INVITE");
		m.cseq = 1;
		m.ruri_user = (char *)v[i].ruri;
		m.to_user = (char *)v[i].to;
		ct_dialog_on_msg(t, &m);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n >= 1)
			CHECK_STR(c.recs[0]->callee, v[i].want);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/* A 200 OK that beats the CANCEL wins: the call is answered. */
static void test_cancel_race(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_a(t, &call1, "CANCEL", 1, T0 + 4 * SEC, false, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 4 * SEC + 1 * MS, NULL);
	rsp_a(t, &call1, 200, "OK", "CANCEL", 1, T0 + 4 * SEC + 2 * MS, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 4 * SEC + 3 * MS, true, NULL);
	ct_dialog_expire(t, T0 + 60 * SEC); /* the CANCEL timer is gone */
	CHECK_INT(c.n, 0);
	req_a(t, &call1, "BYE", 2, T0 + 61 * SEC, true, NULL);
	CHECK_LINGER(t, &c, T0 + 61 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 1 * SEC;
	e.answer_us = T0 + 4 * SEC + 1 * MS;
	e.end_us = T0 + 61 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

static void test_auth_retry(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 407, "Proxy Authentication Required", "INVITE", 1, T0 + 2 * MS, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 3 * MS, true, NULL);
	CHECK_INT(c.n, 0);
	invite(t, &call1, 2, T0 + 20 * MS, NULL);
	rsp_a(t, &call1, 100, "Trying", "INVITE", 2, T0 + 25 * MS, NULL);
	/* a late 407 retransmission for the old INVITE changes nothing */
	rsp_a(t, &call1, 407, "Proxy Authentication Required", "INVITE", 1, T0 + 26 * MS, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 2, T0 + 800 * MS, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 7 * SEC, NULL);
	req_a(t, &call1, "ACK", 2, T0 + 7 * SEC + 1 * MS, true, NULL);
	ct_dialog_expire(t, T0 + 60 * SEC); /* well past linger: still open */
	CHECK_INT(c.n, 0);
	req_a(t, &call1, "BYE", 3, T0 + 90 * SEC, true, NULL);
	CHECK_LINGER(t, &c, T0 + 90 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 800 * MS;
	e.answer_us = T0 + 7 * SEC;
	e.end_us = T0 + 90 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	e.auth_challenges = 1;
	e.invites = 2;
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).retransmissions, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/*
	 * The retry with a new From tag (RFC 3261 §8.1.3.5: SHOULD keep it),
	 * from the first INVITE's address: it is the retry, answered, and the
	 * callee's BYE to the new tag ends the call (red-team pass 9: the
	 * retry was dropped, the call recorded "cancelled" 401).  The same
	 * INVITE from another address is not (a stranger's, off the path).
	 */
	{
		static const struct tcall retag = {
			"call-1@host", "1001", "Alice", "atag5", "5550100", "btag1", 1, 2, 5060, 5062
		};
		static const struct tcall stranger = {
			"call-1@host", "1001", "Alice", "atag6", "5550100", "btag1", 9, 2, 5060, 5062
		};
		int k;

		for (k = 0; k < 2; k++) {
			const struct tcall *r = k == 0 ? &retag : &stranger;

			t = table(&c, NULL);
			invite(t, &call1, 1, T0, NULL);
			rsp_a(t, &call1, 401, "Unauthorized", "INVITE", 1, T0 + 2 * MS, NULL);
			req_a(t, &call1, "ACK", 1, T0 + 3 * MS, true, NULL);
			invite(t, r, 2, T0 + 200 * MS, NULL);
			rsp_a(t, r, 180, "Ringing", "INVITE", 2, T0 + 1 * SEC, NULL);
			rsp_a(t, r, 200, "OK", "INVITE", 2, T0 + 3 * SEC, NULL);
			req_a(t, r, "ACK", 2, T0 + 3 * SEC + 1 * MS, true, NULL);
			req_b(t, r, "BYE", 1, T0 + 6 * SEC, NULL);
			ct_dialog_flush(t);
			CHECK(c.n >= 1);
			if (c.n >= 1 && k == 0) {
				CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
				CHECK_INT(c.recs[0]->answer_us, T0 + 3 * SEC);
				CHECK_INT(c.recs[0]->end_us, T0 + 6 * SEC);
				CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLEE);
				CHECK_INT(c.recs[0]->invites, 2);
				CHECK_INT(c.recs[0]->auth_challenges, 1);
			} else if (c.n >= 1) {
				CHECK_INT(c.recs[0]->disposition, CT_DISP_FAILED);
				CHECK_INT(c.recs[0]->final_code, 401);
				CHECK_INT(c.recs[0]->invites, 1);
			}
			ct_dialog_table_free(t);
			collector_fini(&c);
		}
	}
}

/*
 * An authenticated retry that keeps the challenged INVITE's CSeq (RFC 3261
 * §22.2 says the next one; some UAs do not) with a new Via branch, from
 * the first INVITE's address: the retry, answered; its 100 Trying and the
 * ACK of its 200 count although the challenged transaction had their
 * keys; a retransmission of it (same branch) is one.  The same INVITE
 * from another address, or with the challenged branch, is not a retry
 * (red-team pass 9: taken as a retransmission, the call recorded failed
 * 407); nor is one from another port of the caller's host (a proxy there
 * whose copy of the first INVITE is seen after the 407: CI, kamailio over
 * HEP, counted an invite too many).
 */
static void test_auth_retry_same_cseq(void)
{
	static const struct tcall stranger = {
		"call-1@host", "1001", "Alice", "atag1", "5550100", "btag1", 9, 2, 5060, 5062
	};
	static const struct tcall proxy = {
		"call-1@host", "1001", "Alice", "atag1", "5550100", "btag1", 1, 2, 5070, 5062
	};
	struct opt a = none, b = none;
	int k;

	a.branch = "z9hG4bK-first";
	b.branch = "z9hG4bK-retry";
	for (k = 0; k < 4; k++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		const struct tcall *r = k == 1 ? &stranger : k == 3 ? &proxy : &call1;

		invite(t, &call1, 1, T0, &a);
		rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 1 * MS, &a);
		rsp_a(t, &call1, 407, "Proxy Authentication Required", "INVITE", 1, T0 + 2 * MS, &a);
		req_a(t, &call1, "ACK", 1, T0 + 3 * MS, true, &a);
		invite(t, r, 1, T0 + 20 * MS, k == 2 ? &a : &b);
		invite(t, r, 1, T0 + 520 * MS, k == 2 ? &a : &b);   /* retransmitted */
		rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 521 * MS, &b);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 800 * MS, &b);
		rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 4 * SEC, &b);
		req_a(t, &call1, "ACK", 1, T0 + 4 * SEC + 1 * MS, true, NULL);
		req_b(t, &call1, "BYE", 1, T0 + 9 * SEC, NULL);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n >= 1 && k == 0) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->ringing_us, T0 + 800 * MS);
			CHECK_INT(c.recs[0]->answer_us, T0 + 4 * SEC);
			CHECK_INT(c.recs[0]->end_us, T0 + 9 * SEC);
			CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLEE);
			CHECK_INT(c.recs[0]->invites, 2);
			CHECK_INT(c.recs[0]->auth_challenges, 1);
			CHECK_INT(stats(t).retransmissions, 1);
		} else if (c.n >= 1) {
			CHECK(c.recs[0]->disposition != CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->invites, 1);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * The start hook runs once per call, when its initial INVITE creates it:
 * not for a retransmission, the authenticated retry, a re-INVITE or an
 * orphan in-dialog request; with what is known then.
 */
static void test_start_hook(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &call1, 1, T0, NULL);
	CHECK_INT(c.starts, 1);
	CHECK_STR(c.start_id, "call-1@host");
	CHECK_STR(c.start_caller, "1001");
	CHECK_STR(c.start_name, "Alice");
	CHECK_STR(c.start_callee, "5550100");
	CHECK_INT(c.start_us, T0);
	invite(t, &call1, 1, T0 + 500 * MS, NULL);          /* retransmission */
	rsp_a(t, &call1, 407, "Proxy Authentication Required", "INVITE", 1, T0 + SEC, NULL);
	invite(t, &call1, 2, T0 + 2 * SEC, NULL);           /* authenticated retry */
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 3 * SEC, NULL);
	req_a(t, &call1, "INVITE", 3, T0 + 4 * SEC, true, NULL);   /* re-INVITE */
	req_a(t, &call2, "BYE", 5, T0 + 4 * SEC, true, NULL);      /* orphan */
	CHECK_INT(c.starts, 1);
	req_a(t, &call1, "BYE", 4, T0 + 5 * SEC, true, NULL);
	invite(t, &call2, 1, T0 + 6 * SEC, NULL);
	CHECK_INT(c.starts, 2);
	CHECK_STR(c.start_id, call2.cid);
	CHECK_INT(c.emitted_at_start, 0);                   /* call 1 still lingers */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	CHECK_INT(c.closing_mismatch, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* The 407 was not captured: a higher-CSeq INVITE still continues the call. */
static void test_auth_unseen(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &call1, 1, T0, NULL);
	invite(t, &call1, 2, T0 + 30 * MS, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 1 * SEC, NULL); /* stale CSeq: ignored */
	CHECK_INT(c.n, 0);
	rsp_a(t, &call1, 486, "Busy Here", "INVITE", 2, T0 + 2 * SEC, NULL);
	CHECK_INT(c.n, 0);
	CHECK_LINGER(t, &c, T0 + 2 * SEC, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->start_us, T0);
		CHECK_INT(c.recs[0]->final_code, 486);
		CHECK_INT(c.recs[0]->disposition, CT_DISP_BUSY);
		CHECK_INT(c.recs[0]->answer_us, CT_TIME_NONE);
		CHECK_INT(c.recs[0]->invites, 2);
		CHECK_INT(c.recs[0]->auth_challenges, 0);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * 401 with no retry: failed 401 at flush (truncated) or after the setup
 * timeout (not truncated).  A retry 33 s later (a person typing a password,
 * as in pcaps/irontec-aaa.pcap) must still be the same call, so the wait is
 * the setup timeout, not the linger time.
 */
static void test_auth_only(void)
{
	int at_flush;

	for (at_flush = 0; at_flush < 2; at_flush++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		struct ct_call_record e;

		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 401, "Unauthorized", "INVITE", 1, T0 + 2 * MS, NULL);
		req_a(t, &call1, "ACK", 1, T0 + 3 * MS, true, NULL);
		ct_dialog_expire(t, T0 + 3 * MS + 300 * SEC - 1);
		CHECK_INT(c.n, 0);
		if (at_flush)
			ct_dialog_flush(t);
		else
			ct_dialog_expire(t, T0 + 3 * MS + 300 * SEC);
		CHECK_INT(c.n, 1);
		expect(&e, &call1, T0);
		e.end_us = T0 + 2 * MS;
		e.final_code = 401;
		e.disposition = CT_DISP_FAILED;
		e.hangup_by = CT_PARTY_CALLEE;
		e.hangup_reason = (char *)"Unauthorized";
		e.auth_challenges = 1;
		e.truncated = at_flush != 0;
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		CHECK_INT(stats(t).active, 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

static void test_retransmissions(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	const struct opt sdp = { .sdp = true };

	invite(t, &call1, 1, T0, &sdp);
	invite(t, &call1, 1, T0 + 500 * MS, &sdp);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 600 * MS, NULL);
	invite(t, &call1, 1, T0 + 1500 * MS, &sdp);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1600 * MS, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3 * SEC, &sdp);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3500 * MS, &sdp);
	req_a(t, &call1, "ACK", 1, T0 + 3501 * MS, true, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 4500 * MS, &sdp);
	req_a(t, &call1, "ACK", 1, T0 + 4501 * MS, true, NULL);
	req_b(t, &call1, "BYE", 50, T0 + 20 * SEC, NULL);
	req_b(t, &call1, "BYE", 50, T0 + 20500 * MS, NULL);
	rsp_b(t, &call1, 200, "BYE", 50, T0 + 20501 * MS, NULL);
	/* timed from the first BYE: the retransmission and the 200 do not extend it */
	CHECK_LINGER(t, &c, T0 + 20 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 600 * MS;
	e.answer_us = T0 + 3 * SEC;
	e.end_us = T0 + 20 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).retransmissions, 7);
	CHECK_INT(stats(t).messages, 13);
	CHECK_INT(c.media, 2); /* retransmitted SDP is not handed on again */
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A 180 received after the 200 (HEP from an agent with several processes)
 * but stamped before it is the call's ringing time; one stamped after the
 * answer (reordered, or stamped late by a busy Kamailio worker: the UAS
 * sent it before its 2xx) counts at the answer's time; a forked call's
 * late 180 (another branch) does not count.
 */
static void test_late_ringing(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	const struct opt sdp = { .sdp = true };

	invite(t, &call1, 1, T0, &sdp);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3 * SEC, &sdp);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 2 * SEC, NULL);   /* first one kept */
	req_a(t, &call1, "ACK", 1, T0 + 3001 * MS, true, NULL);
	req_b(t, &call1, "BYE", 50, T0 + 20 * SEC, NULL);
	rsp_b(t, &call1, 200, "BYE", 50, T0 + 20001 * MS, NULL);
	CHECK_LINGER(t, &c, T0 + 20 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 1 * SEC;
	e.answer_us = T0 + 3 * SEC;
	e.end_us = T0 + 20 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);

	t = table(&c, NULL);
	invite(t, &call1, 1, T0, &sdp);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3 * SEC, &sdp);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 4 * SEC, NULL);   /* after the answer */
	req_a(t, &call1, "ACK", 1, T0 + 4001 * MS, true, NULL);
	req_b(t, &call1, "BYE", 50, T0 + 20 * SEC, NULL);
	rsp_b(t, &call1, 200, "BYE", 50, T0 + 20001 * MS, NULL);
	CHECK_LINGER(t, &c, T0 + 20 * SEC, 0);
	e.ringing_us = T0 + 3 * SEC;          /* at the answer's time at the latest */
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The late ring of a forked call (a proxy, host 2, forks to hosts 3 and
 * 4; host 4 answers): host 3's 180 received after the answer (HEP from an
 * agent of several processes) but stamped before it is the call's ringing
 * time, whichever branch sent it; stamped after the answer, it is a branch
 * ringing on, not a ring of the call (test_fork_branches).
 */
static void test_late_ringing_forked(void)
{
	static const struct tcall k1 = { "fk5@p", "+15550001", NULL, "ta", "600", "t4", 1, 2, 5060, 5060 };
	static const struct tcall k3 = { "fk5@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
	static const struct tcall k4 = { "fk5@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };
	const struct opt up4 = { .to_tag = "t4" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const struct ct_call_record *r;

	invite(t, &k1, 1, T0, NULL);
	invite(t, &k3, 1, T0 + 2 * MS, NULL);
	invite(t, &k4, 1, T0 + 3 * MS, NULL);
	rsp_a(t, &k4, 200, "OK", "INVITE", 1, T0 + 1 * SEC, NULL);
	rsp_a(t, &k1, 200, "OK", "INVITE", 1, T0 + 1 * SEC + 1 * MS, &up4);
	rsp_a(t, &k3, 180, "Ringing", "INVITE", 1, T0 + 500 * MS, NULL);
	req_a(t, &k1, "BYE", 2, T0 + 10 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	r = c.n > 0 ? c.recs[0] : NULL;
	CHECK(r != NULL && r->disposition == CT_DISP_ANSWERED);
	CHECK(r != NULL && r->answer_us == T0 + 1 * SEC);
	CHECK(r != NULL && r->ringing_us == T0 + 500 * MS);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The end of a call through a proxy seen on both hops, h1 (caller to
 * proxy) and h2 (proxy to callee), CSeq 10: the callee's 200 (o2) at ans
 * and the proxy's (o1) 1 ms later, both hops' ACKs, the callee's BYE at
 * bye on h2 then h1, and the 200s to it back.
 */
static void hops_answer_bye(struct ct_dialog_table *t, const struct tcall *h1,
    const struct tcall *h2, int64_t ans, const struct opt *o2, const struct opt *o1,
    int64_t bye)
{
	rsp_a(t, h2, 200, "OK", "INVITE", 10, ans, o2);
	rsp_a(t, h1, 200, "OK", "INVITE", 10, ans + 1 * MS, o1);
	req_a(t, h1, "ACK", 10, ans + 2 * MS, true, NULL);
	req_a(t, h2, "ACK", 10, ans + 3 * MS, true, NULL);
	req_b(t, h2, "BYE", 1, bye, NULL);
	req_b(t, h1, "BYE", 1, bye + 1 * MS, NULL);
	rsp_b(t, h1, 200, "BYE", 1, bye + 2 * MS, NULL);
	rsp_b(t, h2, 200, "BYE", 1, bye + 3 * MS, NULL);
}

/* Two hops through a proxy (10.0.0.1 -> .2 -> .3): each message seen twice. */
static void test_proxy_hops(void)
{
	static const struct tcall h1 = { "px@p", "2001", NULL, "ta", "8005551234", "tb", 1, 2, 5060, 5060 };
	static const struct tcall h2 = { "px@p", "2001", NULL, "ta", "8005551234", "tb", 2, 3, 5060, 5070 };
	const struct opt b1 = { .branch = "z9hG4bK-hop1", .sdp = true };
	const struct opt b2 = { .branch = "z9hG4bK-hop2", .sdp = true };
	const struct opt r1 = { .branch = "z9hG4bK-hop1" }, r2 = { .branch = "z9hG4bK-hop2" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &h1, 10, T0, &b1);
	invite(t, &h2, 10, T0 + 2 * MS, &b2);
	rsp_a(t, &h1, 100, "Trying", "INVITE", 10, T0 + 1 * MS, &r1);
	rsp_a(t, &h2, 100, "Trying", "INVITE", 10, T0 + 3 * MS, &r2);
	rsp_a(t, &h2, 180, "Ringing", "INVITE", 10, T0 + 400 * MS, &r2);
	rsp_a(t, &h1, 180, "Ringing", "INVITE", 10, T0 + 401 * MS, &r1);
	hops_answer_bye(t, &h1, &h2, T0 + 6 * SEC, &b2, &b1, T0 + 50 * SEC);
	/* the first sighting of the BYE (hop 2, 50 s) starts the linger */
	ct_dialog_expire(t, T0 + 50 * SEC + LINGER - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_flush(t); /* emits it as built at the BYE: not truncated */
	CHECK_INT(c.closing, 1);
	expect(&e, &h1, T0);
	e.ringing_us = T0 + 400 * MS;
	e.answer_us = T0 + 6 * SEC;
	e.end_us = T0 + 50 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).retransmissions, 7);
	CHECK_INT(stats(t).orphan_messages, 0);
	CHECK_INT(c.media, 2);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A proxy that traces its own messages (Kamailio's siptrace over HEP,
 * put in time order) stamps its copy of the INVITE to the UAS after the
 * UAS's 180 to that copy: the 180 (top branch hop2, unknown yet) comes
 * first.  Its second Via is the caller's branch (hop1, seen): it is the
 * INVITE's ringing (the call had none).  A 486 whose second branch is
 * unknown too (or absent) is still no copy's, from the UAS's address (off
 * the path yet: foreign_in_dialog) or the proxy's (responses_unmatched);
 * so is a 486 whose second branch is known (a forked branch's failure is
 * the call's only when the proxy sends it on).
 */
static void test_proxy_copy_late(void)
{
	static const struct tcall h1 = { "pl@p", "2001", NULL, "ta", "8005551234", "tb", 1, 2, 5060, 5060 };
	static const struct tcall h2 = { "pl@p", "2001", NULL, "ta", "8005551234", "tb", 2, 3, 5060, 5070 };
	const struct opt b1 = { .branch = "z9hG4bK-hop1", .sdp = true };
	const struct opt b2 = { .branch = "z9hG4bK-hop2", .sdp = true };
	const struct opt r1 = { .branch = "z9hG4bK-hop1" };
	const struct opt r2 = { .branch = "z9hG4bK-hop2", .branch2 = "z9hG4bK-hop1" };
	const struct opt a2 = { .branch = "z9hG4bK-hop2", .branch2 = "z9hG4bK-hop1", .sdp = true };
	const struct opt x1 = { .branch = "z9hG4bK-x", .branch2 = "z9hG4bK-y" };
	const struct opt x2 = { .branch = "z9hG4bK-x" };
	const struct opt x3 = { .branch = "z9hG4bK-x", .branch2 = "z9hG4bK-hop1" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &h1, 10, T0, &b1);
	rsp_a(t, &h1, 100, "Trying", "INVITE", 10, T0 + 1 * MS, &r1);
	rsp_a(t, &h2, 486, "Busy", "INVITE", 10, T0 + 2 * MS, &x1);   /* off the path */
	rsp_a(t, &h2, 486, "Busy", "INVITE", 10, T0 + 3 * MS, &x2);
	CHECK_INT(stats(t).foreign_in_dialog, 2);
	rsp_a(t, &h1, 486, "Busy", "INVITE", 10, T0 + 4 * MS, &x1);   /* on it */
	/* a failure of a branch the proxy forked (second Via known): the
	 * proxy's own upstream response decides */
	rsp_a(t, &h1, 486, "Busy", "INVITE", 10, T0 + 4 * MS, &x3);
	rsp_a(t, &h2, 486, "Busy", "INVITE", 10, T0 + 4 * MS, &x3);
	CHECK_INT(stats(t).responses_unmatched, 2);
	CHECK_INT(stats(t).foreign_in_dialog, 3);
	rsp_a(t, &h2, 180, "Ringing", "INVITE", 10, T0 + 5 * MS, &r2);
	invite(t, &h2, 10, T0 + 6 * MS, &b2);
	hops_answer_bye(t, &h1, &h2, T0 + 2 * SEC, &a2, &b1, T0 + 30 * SEC);
	ct_dialog_flush(t);
	CHECK_INT(stats(t).responses_unmatched, 2);
	CHECK_INT(stats(t).foreign_in_dialog, 4);   /* the 180 too, counted as one */
	expect(&e, &h1, T0);
	e.ringing_us = T0 + 5 * MS;
	e.answer_us = T0 + 2 * SEC;
	e.end_us = T0 + 30 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A hunt group on a proxy seen on both hops (RFC 3261 §16.10): the proxy
 * rings phone 1 for 20 s, cancels it (its own CANCEL, branch b1) and rings
 * phone 2, which answers.  Phone 1's 487, the proxy's CANCEL and the ACK
 * of the 487 are that branch's, not the call's: it was recorded cancelled
 * at 20 s (and, before that, the ACK was taken for an unseen answer).
 */
static void test_serial_hunt(void)
{
	static const struct tcall up = { "hunt@p", "2001", NULL, "ta", "8005551234", "t2", 1, 2, 5060, 5060 };
	static const struct tcall ph1 = { "hunt@p", "2001", NULL, "ta", "201", "t1", 2, 3, 5060, 5060 };
	static const struct tcall ph2 = { "hunt@p", "2001", NULL, "ta", "202", "t2", 2, 4, 5060, 5060 };
	const struct opt ba = { .branch = "z9hG4bK-a", .sdp = true };
	const struct opt b1 = { .branch = "z9hG4bK-b1" };
	const struct opt b1s = { .branch = "z9hG4bK-b1", .sdp = true };
	const struct opt b2 = { .branch = "z9hG4bK-b2", .sdp = true };
	const struct opt ack = { .branch = "z9hG4bK-c" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &up, 1, T0, &ba);
	invite(t, &ph1, 1, T0 + 10 * MS, &b1s);
	rsp_a(t, &ph1, 180, "Ringing", "INVITE", 1, T0 + 100 * MS, &b1);
	rsp_a(t, &up, 180, "Ringing", "INVITE", 1, T0 + 110 * MS, &(struct opt){ .branch = "z9hG4bK-a", .to_tag = "t1" });
	req_a(t, &ph1, "CANCEL", 1, T0 + 20 * SEC, false, &b1);
	rsp_a(t, &ph1, 200, "OK", "CANCEL", 1, T0 + 20 * SEC + 10 * MS, &b1);
	rsp_a(t, &ph1, 487, "Request Terminated", "INVITE", 1, T0 + 20 * SEC + 20 * MS, &b1);
	req_a(t, &ph1, "ACK", 1, T0 + 20 * SEC + 30 * MS, true, &b1);
	invite(t, &ph2, 1, T0 + 20 * SEC + 50 * MS, &b2);
	rsp_a(t, &ph2, 180, "Ringing", "INVITE", 1, T0 + 20 * SEC + 100 * MS, &b2);
	rsp_a(t, &ph2, 200, "OK", "INVITE", 1, T0 + 22 * SEC, &b2);
	rsp_a(t, &up, 200, "OK", "INVITE", 1, T0 + 22 * SEC + 10 * MS, &ba);
	req_a(t, &up, "ACK", 1, T0 + 22 * SEC + 100 * MS, true, &ack);
	req_a(t, &up, "BYE", 2, T0 + 60 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		const struct ct_call_record *r = c.recs[0];

		CHECK_INT(r->disposition, CT_DISP_ANSWERED);
		CHECK_INT(r->final_code, 200);
		CHECK_INT(r->answer_us, T0 + 22 * SEC);
		CHECK_INT(r->end_us, T0 + 60 * SEC);
		CHECK_INT(r->hangup_by, CT_PARTY_CALLER);
		CHECK_INT(r->n_rings, 2);
		if (r->n_rings == 2) {
			CHECK_STR(r->rings[0].agent, "201");
			CHECK_INT(r->rings[0].outcome, CT_RING_NO_ANSWER);
			CHECK_INT(r->rings[0].end_us, T0 + 20 * SEC + 20 * MS);
			CHECK_STR(r->rings[1].agent, "202");
			CHECK_INT(r->rings[1].outcome, CT_RING_ANSWERED);
		}
	}
	CHECK_INT(stats(t).inferred, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* ---- serial forking, seen downstream of the proxy ----------------------- */

/*
 * One step of a serial-fork script between a proxy (host 2) and phone
 * 201, 202 or 203 (hosts 3-5; "202@3": 202 on host 3, a PBX serving both):
 * I INVITE, R response to it, C CANCEL, K 200 to the CANCEL, A ACK, B the
 * phone's BYE, b the caller's BYE, E ct_dialog_expire.  Times in ms after T0.
 */
struct sstep {
	int64_t ms;
	char kind;
	int phone;             /* 0: 201 on host 3, 1: 202 on host 4, 2: 203 on host 5,
	                          3: 202 on host 3 */
	int status;            /* R */
	const char *branch;    /* top Via branch */
	uint32_t cseq;         /* 0: 1 */
};

#define SF_STEPS 14
#define SF_NONE (-1)

/*
 * A proxy that hunts (RFC 3261 §16.6 step 8, §16.7: failure_route, a hunt
 * group, failover after 503) forwards one INVITE to one phone after
 * another, each a new branch with the same From tag and CSeq.  The tap
 * sees only the proxy's side.  A branch's failure ends the call only when
 * no new branch follows within SERIAL_WAIT_US (4 s); then the record is
 * the one of before.  Ring time counts from the first INVITE; the answer,
 * agent and dialog are the answering branch's; each phone is a ring.
 */
static void test_serial_fork(void)
{
	static const struct {
		const char *name;
		struct sstep s[SF_STEPS];
		enum ct_disposition disp;
		int code;
		int64_t ringing, answer, end;   /* ms, SF_NONE: none */
		enum ct_party by;
		const char *reason, *agent;
		unsigned invites, auth, serial, n_rings;
		enum ct_ring_outcome ring[3];
	} v[] = {
		{ "busy, then answered",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 5000, 'R', 0, 486, "b1", 0 }, { 5001, 'A', 0, 0, "b1", 0 },
		    { 5010, 'I', 1, 0, "b2", 0 }, { 5100, 'R', 1, 180, "b2", 0 },
		    { 8100, 'R', 1, 200, "b2", 0 }, { 8120, 'A', 1, 0, "ack", 0 },
		    { 38130, 'B', 1, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 100, 8100, 38130, CT_PARTY_CALLEE, "BYE", "202", 2, 0, 1, 2,
		  { CT_RING_BUSY, CT_RING_ANSWERED } },
		{ "every branch fails: the last one's failure",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 10000, 'R', 0, 480, "b1", 0 }, { 10001, 'A', 0, 0, "b1", 0 },
		    { 10008, 'I', 1, 0, "b2", 0 }, { 10100, 'R', 1, 180, "b2", 0 },
		    { 14000, 'R', 1, 486, "b2", 0 }, { 14001, 'A', 1, 0, "b2", 0 } },
		  CT_DISP_BUSY, 486, 100, SF_NONE, 14000, CT_PARTY_CALLEE, "Busy Here", NULL, 2, 0, 1, 2,
		  { CT_RING_NO_ANSWER, CT_RING_BUSY } },
		{ "one branch: busy as before",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 6000, 'R', 0, 486, "b1", 0 }, { 6001, 'A', 0, 0, "b1", 0 },
		    { 6002, 'I', 0, 0, "b1", 0 } },   /* its INVITE re-sent: not a branch */
		  CT_DISP_BUSY, 486, 100, SF_NONE, 6000, CT_PARTY_CALLEE, "Busy Here", NULL, 1, 0, 0, 0,
		  { 0 } },
		{ "a new branch 4 s after the failure: still the call's",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 5000, 'R', 0, 486, "b1", 0 },
		    { 9000, 'I', 1, 0, "b2", 0 }, { 12000, 'R', 1, 200, "b2", 0 },
		    { 13000, 'B', 1, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, SF_NONE, 12000, 13000, CT_PARTY_CALLEE, "BYE", "202", 2, 0, 1,
		  2, { CT_RING_BUSY, CT_RING_ANSWERED } },
		{ "a new branch later than 4 s: the failure decided",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 5000, 'R', 0, 486, "b1", 0 },
		    { 9001, 'I', 1, 0, "b2", 0 }, { 12000, 'R', 1, 200, "b2", 0 },
		    { 13000, 'B', 1, 0, "bye", 0 } },
		  CT_DISP_BUSY, 486, SF_NONE, SF_NONE, 5000, CT_PARTY_CALLEE, "Busy Here", NULL, 1, 0, 0,
		  0, { 0 } },
		{ "the proxy cancels a branch that rang too long (487), the next answers",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 15000, 'C', 0, 0, "b1", 0 }, { 15002, 'K', 0, 0, "b1", 0 },
		    { 15003, 'R', 0, 487, "b1", 0 }, { 15004, 'A', 0, 0, "b1", 0 },
		    { 15020, 'I', 1, 0, "b2", 0 }, { 15120, 'R', 1, 180, "b2", 0 },
		    { 20000, 'R', 1, 200, "b2", 0 }, { 20020, 'A', 1, 0, "ack", 0 },
		    { 50000, 'b', 1, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 100, 20000, 50000, CT_PARTY_CALLER, "BYE", "202", 2, 0, 1, 2,
		  { CT_RING_NO_ANSWER, CT_RING_ANSWERED } },
		{ "the next branch before the cancelled one's 487",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 15000, 'C', 0, 0, "b1", 0 }, { 15001, 'I', 1, 0, "b2", 0 },
		    { 15002, 'K', 0, 0, "b1", 0 }, { 15010, 'R', 0, 487, "b1", 0 },
		    { 15011, 'A', 0, 0, "b1", 0 }, { 18000, 'R', 1, 200, "b2", 0 },
		    { 18020, 'A', 1, 0, "ack", 0 }, { 20000, 'B', 1, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 100, 18000, 20000, CT_PARTY_CALLEE, "BYE", "202", 2, 0, 1, 2,
		  { CT_RING_NO_ANSWER, CT_RING_ANSWERED } },
		{ "the caller cancels the second branch",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 2000, 'R', 0, 486, "b1", 0 },
		    { 2001, 'A', 0, 0, "b1", 0 }, { 2010, 'I', 1, 0, "b2", 0 },
		    { 2100, 'R', 1, 180, "b2", 0 }, { 9000, 'C', 1, 0, "b2", 0 },
		    { 9003, 'K', 1, 0, "b2", 0 }, { 9005, 'R', 1, 487, "b2", 0 },
		    { 9006, 'A', 1, 0, "b2", 0 } },
		  CT_DISP_CANCELLED, 487, 2100, SF_NONE, 9000, CT_PARTY_CALLER, "CANCEL", NULL, 2, 0, 1, 2,
		  { CT_RING_BUSY, CT_RING_CALLER_HANGUP } },
		{ "three branches, the last one answers",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 2000, 'R', 0, 486, "b1", 0 },
		    { 2010, 'I', 1, 0, "b2", 0 }, { 2100, 'R', 1, 180, "b2", 0 },
		    { 17000, 'R', 1, 408, "b2", 0 }, { 17010, 'I', 2, 0, "b3", 0 },
		    { 17200, 'R', 2, 200, "b3", 0 }, { 25000, 'B', 2, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 2100, 17200, 25000, CT_PARTY_CALLEE, "BYE", "203", 3, 0, 2, 3,
		  { CT_RING_BUSY, CT_RING_NO_ANSWER, CT_RING_ANSWERED } },
		{ "both branches to one PBX address: not forked, answered",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 100, 'R', 0, 180, "b1", 0 },
		    { 12000, 'R', 0, 480, "b1", 0 }, { 12004, 'I', 3, 0, "b2", 0 },
		    { 12100, 'R', 3, 180, "b2", 0 }, { 12200, 'R', 0, 487, "b1", 0 },
		    { 15000, 'R', 3, 200, "b2", 0 }, { 20000, 'B', 3, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 100, 15000, 20000, CT_PARTY_CALLEE, "BYE", "202", 2, 0, 1, 0,
		  { 0 } },
		{ "failover after 503 (a retryable failure)",
		  { { 0, 'I', 0, 0, "b1", 0 }, { 30, 'R', 0, 503, "b1", 0 },
		    { 31, 'A', 0, 0, "b1", 0 }, { 40, 'I', 1, 0, "b2", 0 },
		    { 500, 'R', 1, 180, "b2", 0 }, { 6000, 'R', 1, 200, "b2", 0 },
		    { 11000, 'B', 1, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 500, 6000, 11000, CT_PARTY_CALLEE, "BYE", "202", 2, 0, 1, 2,
		  { CT_RING_FAILED, CT_RING_ANSWERED } },
		{ "auth retry (the next CSeq): as before",
		  { { 0, 'I', 0, 0, "b1", 1 }, { 20, 'R', 0, 407, "b1", 1 },
		    { 21, 'A', 0, 0, "b1", 1 }, { 60, 'I', 0, 0, "b2", 2 },
		    { 200, 'R', 0, 180, "b2", 2 }, { 4000, 'R', 0, 200, "b2", 2 },
		    { 9000, 'B', 0, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, 200, 4000, 9000, CT_PARTY_CALLEE, "BYE", "201", 2, 1, 0, 0,
		  { 0 } },
		{ "407 with the same CSeq and a new branch: the authenticated retry, no serial fork",
		  { { 0, 'I', 0, 0, "b1", 1 }, { 20, 'R', 0, 407, "b1", 1 },
		    { 21, 'A', 0, 0, "b1", 1 }, { 60, 'I', 0, 0, "b2", 1 },
		    { 4000, 'R', 0, 200, "b2", 1 }, { 4010, 'A', 0, 0, "ack", 1 },
		    { 9000, 'B', 0, 0, "bye", 0 } },
		  CT_DISP_ANSWERED, 200, SF_NONE, 4000, 9000, CT_PARTY_CALLEE, "BYE", "201", 2, 1,
		  0, 0, { 0 } },
	};
	static const struct tcall ph[4] = {
		{ "sf@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 },
		{ "sf@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 },
		{ "sf@p", "+15550001", NULL, "ta", "203", "t5", 2, 5, 5060, 5060 },
		{ "sf@p", "+15550001", NULL, "ta", "202", "t6", 2, 3, 5060, 5060 },
	};
	size_t i, j;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		const struct ct_call_record *r;
		int before = ct_t_fail;

		for (j = 0; j < SF_STEPS && v[i].s[j].kind != '\0'; j++) {
			const struct sstep *x = &v[i].s[j];
			const struct tcall *p = &ph[x->phone];
			const struct opt o = { .branch = x->branch, .sdp = x->kind == 'I' ||
			    (x->kind == 'R' && x->status == 200) };
			int64_t ts = T0 + x->ms * MS;
			uint32_t cseq = x->cseq != 0 ? x->cseq : 1;

			switch (x->kind) {
			case 'I':
				invite(t, p, cseq, ts, &o);
				break;
			case 'R':
				rsp_a(t, p, x->status, x->status == 200 ? "OK" : x->status == 180 ?
				    "Ringing" : x->status == 486 ? "Busy Here" : x->status == 407 ?
				    "Proxy Authentication Required" : "Failed", "INVITE", cseq, ts, &o);
				break;
			case 'C':
				req_a(t, p, "CANCEL", cseq, ts, false, &o);
				break;
			case 'K':
				rsp_a(t, p, 200, "OK", "CANCEL", cseq, ts, &o);
				break;
			case 'A':
				req_a(t, p, "ACK", cseq, ts, true, &o);
				break;
			case 'B':
				req_b(t, p, "BYE", 1, ts, &o);
				break;
			case 'E':
				ct_dialog_expire(t, ts);
				break;
			default:
				req_a(t, p, "BYE", cseq + 1, ts, true, &o);
				break;
			}
		}
		CHECK_INT(stats(t).serial_forks, v[i].serial);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		r = c.n > 0 ? c.recs[0] : NULL;
		CHECK(r != NULL);
		if (r != NULL) {
			CHECK_INT(r->disposition, v[i].disp);
			CHECK_INT(r->final_code, v[i].code);
			CHECK_INT(r->start_us, T0);
			CHECK_INT(r->ringing_us, v[i].ringing == SF_NONE ? CT_TIME_NONE :
			    T0 + v[i].ringing * MS);
			CHECK_INT(r->answer_us, v[i].answer == SF_NONE ? CT_TIME_NONE :
			    T0 + v[i].answer * MS);
			CHECK_INT(r->end_us, T0 + v[i].end * MS);
			CHECK_INT(r->hangup_by, v[i].by);
			CHECK_STR(r->hangup_reason, v[i].reason);
			CHECK_STR(r->agent, v[i].agent);
			CHECK_STR(r->callee, "201");
			CHECK_INT(r->truncated, 0);
			CHECK_INT(r->invites, v[i].invites);
			CHECK_INT(r->auth_challenges, v[i].auth);
			CHECK_INT(r->n_rings, v[i].n_rings);
			for (j = 0; j < v[i].n_rings && j < r->n_rings; j++)
				CHECK_INT(r->rings[j].outcome, v[i].ring[j]);
		}
		CHECK_INT(stats(t).inferred, 0);
		CHECK_INT(stats(t).active, 0);
		if (ct_t_fail != before)
			fprintf(stderr, "  ^ serial fork case \"%s\"\n", v[i].name);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/* One call's INVITE to a first phone, then a new branch to a second (serial forking). */
static const struct tcall serial1 = { "se@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
static const struct tcall serial2 = { "se@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };

/*
 * Emission of a call that a serial fork did not resume is that of
 * before: TRAIL after its failure (the wait for a new branch is shorter,
 * and adds nothing); a resumed call is emitted at its real end, once.
 */
static void test_serial_fork_emission(void)
{
	const struct tcall *p1 = &serial1, *p2 = &serial2;
	static const struct tcall q1 = { "se2@p", "+15550001", NULL, "tq", "201", "t3", 2, 3, 5060, 5060 };
	const struct opt b1 = { .branch = "b1" }, b2 = { .branch = "b2" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, p1, 1, T0, &b1);
	rsp_a(t, p1, 486, "Busy Here", "INVITE", 1, T0 + 1 * SEC, &b1);
	req_a(t, p1, "ACK", 1, T0 + 1 * SEC + 1 * MS, true, &b1);
	CHECK_INT(stats(t).active, 0);
	CHECK_INT(stats(t).ended, 1);
	ct_dialog_expire(t, T0 + 3 * SEC);
	invite(t, p2, 1, T0 + 3 * SEC, &b2);      /* within the wait: reopened */
	CHECK_INT(stats(t).active, 1);
	CHECK_INT(stats(t).ended, 0);
	CHECK_INT(stats(t).serial_forks, 1);
	ct_dialog_expire(t, T0 + 1 * SEC + TRAIL);
	CHECK_INT(c.n, 0);
	rsp_a(t, p2, 486, "Busy Here", "INVITE", 1, T0 + 8 * SEC, &b2);
	/* forked now (two phones): lingers whole, one record */
	CHECK_LINGER_WHOLE(t, &c, T0 + 8 * SEC, 0);
	/* not resumed: emitted TRAIL after the failure, as before */
	invite(t, &q1, 1, T0 + 100 * SEC, &b1);
	rsp_a(t, &q1, 480, "Temporarily Unavailable", "INVITE", 1, T0 + 101 * SEC, &b1);
	CHECK_LINGER(t, &c, T0 + 101 * SEC, 1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	if (c.n == 2) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_BUSY);
		CHECK_INT(c.recs[0]->end_us, T0 + 8 * SEC);
		CHECK_INT(c.recs[1]->disposition, CT_DISP_NOANSWER);
		CHECK_INT(c.recs[1]->end_us, T0 + 101 * SEC);
	}
	CHECK_INT(stats(t).ended, 2);
	CHECK_INT(stats(t).calls, 2);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Two branches of a fork both answer (RFC 3261 §13.2.2.4): the caller ACKs
 * both and sends the second a BYE at once, keeping the first.  That BYE
 * (and its 200) closes the second dialog only: the call ends at the first
 * dialog's BYE.  A call with one answer ends at any BYE, as before.
 */
static void test_two_answers(void)
{
	const struct opt f1 = { .to_tag = "fork1", .sdp = true };
	const struct opt f2 = { .to_tag = "fork2", .sdp = true };
	const struct opt t1 = { .to_tag = "fork1" };
	const struct opt t2 = { .to_tag = "fork2" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &call1, 1, T0, &f1);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 500 * MS, &t1);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 600 * MS, &t2);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 2 * SEC, &f1);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 2 * SEC + 10 * MS, &f2);
	req_a(t, &call1, "ACK", 1, T0 + 2 * SEC + 100 * MS, true, &t1);
	req_a(t, &call1, "ACK", 1, T0 + 2 * SEC + 110 * MS, true, &t2);
	req_a(t, &call1, "BYE", 2, T0 + 2 * SEC + 120 * MS, true, &t2);
	rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 2 * SEC + 200 * MS, &t2);
	req_a(t, &call1, "BYE", 3, T0 + 60 * SEC, true, &t1);
	rsp_a(t, &call1, 200, "OK", "BYE", 3, T0 + 60 * SEC + 100 * MS, &t1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->answer_us, T0 + 2 * SEC);
		CHECK_INT(c.recs[0]->end_us, T0 + 60 * SEC);
		CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLER);
	}
	CHECK_INT(stats(t).inferred, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A caller's BYE with the dialog's tags but a CSeq not above its INVITE's
 * (out of order: RFC 3261 §12.2.2) waits for its response as a BYE not of
 * the dialog does: refused (500), the call goes on to its real BYE (before
 * the fix it ended at once: a spoofer on the caller's address, or the
 * caller, could end the record of a call that went on); without a response
 * it ends at that BYE after the wait.  A BYE with the next CSeq ends the
 * call at once.  A BYE in a datagram shorter than its Content-Length
 * (RFC 3261 §18.3: refused with 400; ct_sip_msg.body_short) waits too.
 */
static void test_bye_stale_cseq(void)
{
	const struct opt cut = { .body_short = true };
	struct collector c;
	struct ct_dialog_table *t;
	uint32_t bye;
	int round;

	for (round = 0; round < 4; round++) {
		t = table(&c, NULL);
		answered(t, &call1, T0);
		bye = round >= 2 ? 2 : 1;
		req_a(t, &call1, "BYE", bye, T0 + 30 * SEC, true, round == 3 ? &cut : NULL);
		CHECK_INT(stats(t).active, round == 2 ? 0 : 1);
		if (round == 0 || round == 3) {
			rsp_a(t, &call1, round == 0 ? 500 : 400, "Refused", "BYE", bye,
			    T0 + 30 * SEC + 5 * MS, NULL);
			ct_dialog_expire(t, T0 + 40 * SEC);
			CHECK_INT(stats(t).active, 1);
			req_a(t, &call1, "BYE", bye + 1, T0 + 60 * SEC, true, NULL);
			rsp_a(t, &call1, 200, "OK", "BYE", bye + 1, T0 + 60 * SEC + 5 * MS, NULL);
		} else if (round == 1) {
			ct_dialog_expire(t, T0 + 34 * SEC);
			CHECK_INT(stats(t).active, 0);
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->end_us, round == 0 || round == 3 ? T0 + 60 * SEC :
			    T0 + 30 * SEC);
			CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLER);
			CHECK_INT(c.recs[0]->truncated, 0);
		}
		CHECK_INT(stats(t).byes_rejected, round == 0 || round == 3 ? 1 : 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * A BYE from the caller's own address that the PBX may not match to the
 * dialog: a To tag that is not the answer's (a spoofed BYE that knows the
 * Call-ID), no From tag or no To tag (RFC 3261 §12.2.1.1: a request in a
 * dialog carries both), a single header given twice (the PBX may read the
 * other copy).  Refused (481), the call goes on past the doubted BYE's
 * wait to its real BYE; answered 200, the call ends at it.
 */
static void test_bye_doubted(void)
{
	static const struct opt bogus = { .to_tag = "bogus" };
	static const struct opt no_from = { .no_from_tag = true };
	static const struct opt no_to = { .to_tag = "" };
	static const struct opt no_tags = { .to_tag = "", .no_from_tag = true };
	static const struct opt twice = { .repeated = true };
	static const struct {
		const struct opt *o;
		int status;          /* the PBX's answer to it */
		int64_t end_s;       /* the call's end */
	} v[] = {
		{ &bogus, 481, 60 },
		{ &no_from, 481, 60 }, { &no_to, 481, 60 }, { &no_tags, 481, 60 },
		{ &no_from, 200, 30 }, { &no_to, 200, 30 },
		{ &twice, 481, 60 }, { &twice, 200, 30 },
	};
	struct collector c;
	struct ct_dialog_table *t;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		t = table(&c, NULL);
		answered(t, &call1, T0);
		req_a(t, &call1, "BYE", 2, T0 + 30 * SEC, true, v[i].o);
		CHECK_INT(stats(t).active, 1);
		rsp_a(t, &call1, v[i].status, v[i].status == 200 ? "OK" : "Call/Transaction Does Not Exist",
		    "BYE", 2, T0 + 30 * SEC + 5 * MS, v[i].o);
		if (v[i].status != 200) {
			CHECK_INT(stats(t).active, 1);
			ct_dialog_expire(t, T0 + 40 * SEC);
			CHECK_INT(stats(t).active, 1);
			req_a(t, &call1, "BYE", 3, T0 + 60 * SEC, true, NULL);
			rsp_a(t, &call1, 200, "OK", "BYE", 3, T0 + 60 * SEC + 5 * MS, NULL);
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->end_us, T0 + v[i].end_s * SEC);
			CHECK_INT(c.recs[0]->truncated, 0);
		}
		CHECK_INT(stats(t).byes_doubted, 1);
		CHECK_INT(stats(t).byes_rejected, v[i].status == 200 ? 0 : 1);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * A BYE that is not of the call's dialog (a To tag that is not the
 * answer's: a spoofed BYE that knows the Call-ID) waits for its response
 * (refused or answered: test_bye_doubted); no response, it ends the call
 * at that BYE after the wait (4 s), not truncated; at the end of input at
 * once.  A 481 to such a BYE that was not seen ends nothing either.
 */
static void test_bye_not_of_dialog(void)
{
	const struct opt bogus = { .to_tag = "bogus" };
	struct collector c;
	struct ct_dialog_table *t;
	int round;

	/* accepted (a B2BUA's other leg), unanswered, cut by the end of input */
	for (round = 0; round < 3; round++) {
		t = table(&c, NULL);
		answered(t, &call1, T0);
		req_a(t, &call1, "BYE", 2, T0 + 30 * SEC, true, &bogus);
		if (round == 0)
			rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 30 * SEC + 5 * MS, &bogus);
		if (round == 1) {
			ct_dialog_expire(t, T0 + 34 * SEC - 1);
			CHECK_INT(stats(t).active, 1);
			ct_dialog_expire(t, T0 + 34 * SEC);
		}
		if (round < 2)
			CHECK_INT(stats(t).active, 0);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
			CHECK_INT(c.recs[0]->end_us, T0 + 30 * SEC);
			CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLER);
			CHECK_INT(c.recs[0]->truncated, 0);
			CHECK_STR(c.recs[0]->hangup_reason, "BYE");
		}
		CHECK_INT(stats(t).byes_rejected, 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}

	/*
	 * A BYE not of the dialog while ringing (neither tag the caller's: the
	 * callee's early tag is not known), then the answer: the call goes on.
	 */
	t = table(&c, NULL);
	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	{
		struct ct_sip_msg m;

		base(&m, &call1, T0 + 2 * SEC, true, &none);
		set_from_a(&m, &call1);
		m.from_tag = (char *)"evil";
		m.to_tag = (char *)"bogus";
		m.is_request = true;
		snprintf(m.method, sizeof(m.method), "BYE");
		snprintf(m.cseq_method, sizeof(m.cseq_method), "BYE");
		m.cseq = 2;
		ct_dialog_on_msg(t, &m);
	}
	CHECK_INT(stats(t).byes_doubted, 1);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3 * SEC, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 3 * SEC + 20 * MS, true, NULL);
	ct_dialog_expire(t, T0 + 10 * SEC);
	CHECK_INT(stats(t).active, 1);
	req_a(t, &call1, "BYE", 3, T0 + 20 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->answer_us, T0 + 3 * SEC);
		CHECK_INT(c.recs[0]->end_us, T0 + 20 * SEC);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);

	/*
	 * While ringing (180 with the callee's early tag): a BYE with the
	 * caller's tag and another To tag is not of the early dialog either;
	 * refused, the call goes on to its answer.  One with the early tag ends
	 * it at once (cancelled).
	 */
	for (round = 0; round < 2; round++) {
		t = table(&c, NULL);
		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
		req_a(t, &call1, "BYE", 2, T0 + 2 * SEC, true, round == 0 ? &bogus : NULL);
		if (round == 0) {
			rsp_a(t, &call1, 481, "Call/Transaction Does Not Exist", "BYE", 2,
			    T0 + 2 * SEC + 5 * MS, &bogus);
			rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 3 * SEC, NULL);
			req_a(t, &call1, "ACK", 1, T0 + 3 * SEC + 20 * MS, true, NULL);
			req_a(t, &call1, "BYE", 3, T0 + 20 * SEC, true, NULL);
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_INT(c.recs[0]->disposition, round == 0 ? CT_DISP_ANSWERED : CT_DISP_CANCELLED);
			CHECK_INT(c.recs[0]->end_us, round == 0 ? T0 + 20 * SEC : T0 + 2 * SEC);
		}
		CHECK_INT(stats(t).byes_rejected, round == 0 ? 1 : 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}

	/*
	 * A mirror of the callee's side only (the caller's requests unseen):
	 * the 481 of a BYE not seen, not of the dialog: nothing ends ...
	 */
	t = table(&c, NULL);
	rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 10 * MS, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 5 * SEC, NULL);
	rsp_a(t, &call1, 481, "Call/Transaction Does Not Exist", "BYE", 2, T0 + 30 * SEC, &bogus);
	CHECK_INT(stats(t).active, 1);
	CHECK_INT(stats(t).byes_rejected, 1);
	/* ... but one of the dialog does (RFC 3261 §15.1.1) */
	rsp_a(t, &call1, 481, "Call/Transaction Does Not Exist", "BYE", 3, T0 + 40 * SEC, NULL);
	CHECK_INT(stats(t).active, 0);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK_INT(c.recs[0]->end_us, T0 + 40 * SEC);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* Both sides seen: the BYE would have been; neither 481 ends anything. */
	t = table(&c, NULL);
	answered(t, &call1, T0);
	rsp_a(t, &call1, 481, "Call/Transaction Does Not Exist", "BYE", 2, T0 + 30 * SEC, &bogus);
	rsp_a(t, &call1, 481, "Call/Transaction Does Not Exist", "BYE", 3, T0 + 40 * SEC, NULL);
	CHECK_INT(stats(t).active, 1);
	CHECK_INT(stats(t).byes_rejected, 1);
	CHECK_INT(stats(t).responses_unmatched, 1);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Forking: two 180s with different To tags, the second branch answers. */
static void test_forking(void)
{
	const struct opt f1 = { .to_tag = "fork1" };
	const struct opt f2 = { .to_tag = "fork2" };
	const struct opt f2ok = { .to_tag = "fork2", .contact = "desk42" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, &f1);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 2 * SEC, &f2);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 8 * SEC, &f2ok);
	req_a(t, &call1, "ACK", 1, T0 + 8 * SEC + 1 * MS, true, &f2);
	/* the proxy cancels the other branch: its 487 changes nothing */
	rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1, T0 + 8 * SEC + 5 * MS, &f1);
	req_a(t, &call1, "BYE", 2, T0 + 18 * SEC, true, &f2);
	CHECK_LINGER(t, &c, T0 + 18 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 1 * SEC;
	e.answer_us = T0 + 8 * SEC;
	e.end_us = T0 + 18 * SEC;
	e.final_code = 200;
	e.agent = (char *)"desk42";
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(stats(t).retransmissions, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A proxy (host 2) forks the caller's INVITE to two phones (hosts 3 and 4):
 * one branch's 486 must not end the call when the other answers later
 * (the bug before forks.c); each branch is a ring.  Then: a branch fails,
 * the other never answers, and the proxy's upstream failure (same key as
 * the branch's own) ends the call.  Last, a branch's 180 after another
 * branch answered is not the call's ringing.
 */
static void test_fork_branches(void)
{
	static const struct tcall h1 = { "fk@p", "+15550001", NULL, "ta", "600", "t3", 1, 2, 5060, 5060 };
	static const struct tcall p3 = { "fk@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
	static const struct tcall p4 = { "fk@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };
	static const struct tcall g1 = { "fk2@p", "+15550001", NULL, "ta", "600", "t4", 1, 2, 5060, 5060 };
	static const struct tcall g3 = { "fk2@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
	static const struct tcall g4 = { "fk2@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };
	static const struct tcall k1 = { "fk3@p", "+15550001", NULL, "ta", "600", "t4", 1, 2, 5060, 5060 };
	static const struct tcall k3 = { "fk3@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
	static const struct tcall k4 = { "fk3@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };
	const struct opt up4 = { .to_tag = "t4" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const struct ct_call_record *r;

	invite(t, &h1, 1, T0, NULL);
	invite(t, &p3, 1, T0 + 2 * MS, NULL);
	invite(t, &p4, 1, T0 + 3 * MS, NULL);
	rsp_a(t, &p3, 180, "Ringing", "INVITE", 1, T0 + 100 * MS, NULL);
	rsp_a(t, &p4, 180, "Ringing", "INVITE", 1, T0 + 110 * MS, NULL);
	rsp_a(t, &p4, 486, "Busy Here", "INVITE", 1, T0 + 3 * SEC, NULL);
	req_a(t, &p4, "ACK", 1, T0 + 3 * SEC + 1 * MS, true, NULL);
	rsp_a(t, &p3, 200, "OK", "INVITE", 1, T0 + 5 * SEC, NULL);
	rsp_a(t, &h1, 200, "OK", "INVITE", 1, T0 + 5 * SEC + 1 * MS, NULL);  /* upstream copy */
	req_a(t, &h1, "BYE", 2, T0 + 20 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	r = c.n > 0 ? c.recs[0] : NULL;
	CHECK(r != NULL && r->disposition == CT_DISP_ANSWERED);
	CHECK(r != NULL && r->answer_us == T0 + 5 * SEC && r->final_code == 200);
	CHECK(r != NULL && r->n_rings == 2);
	if (r != NULL && r->n_rings == 2) {
		CHECK_STR(r->rings[0].agent, "201");
		CHECK_INT(r->rings[0].outcome, CT_RING_ANSWERED);
		CHECK(r->rings[0].start_us == T0 + 2 * MS && r->rings[0].end_us == T0 + 5 * SEC);
		CHECK_STR(r->rings[1].agent, "202");
		CHECK_INT(r->rings[1].outcome, CT_RING_BUSY);
		CHECK(r->rings[1].start_us == T0 + 3 * MS && r->rings[1].end_us == T0 + 3 * SEC);
		CHECK(r->rings_json != NULL && strstr(r->rings_json, "\"outcome\":\"busy\"") != NULL);
	}
	/* a branch fails, the other rings on; the proxy gives up upstream */
	invite(t, &g1, 1, T0 + 100 * SEC, NULL);
	invite(t, &g3, 1, T0 + 100 * SEC + 2 * MS, NULL);
	invite(t, &g4, 1, T0 + 100 * SEC + 3 * MS, NULL);
	rsp_a(t, &g4, 486, "Busy Here", "INVITE", 1, T0 + 101 * SEC, NULL);
	ct_dialog_expire(t, T0 + 110 * SEC);
	CHECK_INT(stats(t).active, 1);          /* still ringing on host 3 */
	rsp_a(t, &g1, 486, "Busy Here", "INVITE", 1, T0 + 130 * SEC, &up4);
	CHECK_INT(stats(t).active, 0);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	r = c.n > 1 ? c.recs[1] : NULL;
	CHECK(r != NULL && r->disposition == CT_DISP_BUSY && r->end_us == T0 + 130 * SEC);
	CHECK(r != NULL && r->n_rings == 2);
	if (r != NULL && r->n_rings == 2) {
		CHECK_INT(r->rings[0].outcome, CT_RING_NO_ANSWER);
		CHECK_INT(r->rings[1].outcome, CT_RING_BUSY);
	}
	/* host 4 answers at once; host 3's 180 comes after: the call did not ring */
	invite(t, &k1, 1, T0 + 200 * SEC, NULL);
	invite(t, &k3, 1, T0 + 200 * SEC + 2 * MS, NULL);
	invite(t, &k4, 1, T0 + 200 * SEC + 3 * MS, NULL);
	rsp_a(t, &k4, 200, "OK", "INVITE", 1, T0 + 201 * SEC, NULL);
	rsp_a(t, &k1, 200, "OK", "INVITE", 1, T0 + 201 * SEC + 1 * MS, &up4);
	rsp_a(t, &k3, 180, "Ringing", "INVITE", 1, T0 + 201 * SEC + 5 * MS, NULL);
	req_a(t, &k1, "BYE", 2, T0 + 210 * SEC, true, NULL);
	CHECK_LINGER_WHOLE(t, &c, T0 + 210 * SEC, 2);   /* forked: no trail, lingers whole */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 3);
	r = c.n > 2 ? c.recs[2] : NULL;
	CHECK(r != NULL && r->disposition == CT_DISP_ANSWERED && r->ringing_us == CT_TIME_NONE);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* re-INVITEs (hold/resume) from both sides inside a confirmed call. */
static void test_reinvite(void)
{
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	answered(t, &call1, T0);
	req_a(t, &call1, "INVITE", 2, T0 + 20 * SEC, true, &sdp);
	rsp_a(t, &call1, 100, "Trying", "INVITE", 2, T0 + 20 * SEC + 1 * MS, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 2, T0 + 20 * SEC + 2 * MS, &sdp);
	req_a(t, &call1, "ACK", 2, T0 + 20 * SEC + 3 * MS, true, NULL);
	/* B's own CSeq space may reuse 1: not a retransmission of A's INVITE */
	req_b(t, &call1, "INVITE", 1, T0 + 30 * SEC, &sdp);
	rsp_b(t, &call1, 200, "INVITE", 1, T0 + 30 * SEC + 2 * MS, &sdp);
	req_b(t, &call1, "ACK", 1, T0 + 30 * SEC + 3 * MS, NULL);
	req_a(t, &call1, "INVITE", 3, T0 + 40 * SEC, true, &sdp);
	rsp_a(t, &call1, 488, "Not Acceptable Here", "INVITE", 3, T0 + 40 * SEC + 2 * MS, NULL);
	req_a(t, &call1, "ACK", 3, T0 + 40 * SEC + 3 * MS, true, NULL);
	CHECK_INT(c.n, 0); /* a failed re-INVITE does not end the call */
	req_a(t, &call1, "BYE", 4, T0 + 50 * SEC, true, NULL);
	CHECK_LINGER(t, &c, T0 + 50 * SEC, 0);
	expect_answered(&e, &call1, T0);
	e.end_us = T0 + 50 * SEC;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	e.invites = 4;
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	CHECK_INT(c.media, 6);   /* the offer refused with 488 never reached the media stage */
	CHECK_INT(stats(t).sdp_ignored, 1);
	CHECK_INT(stats(t).retransmissions, 0);
	CHECK_INT(stats(t).requests[CT_M_INVITE], 4);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Reliable provisional responses (RFC 3262) and UPDATE (RFC 3311). */
static void test_prack_update(void)
{
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	struct ct_dialog_stats st;

	invite(t, &call1, 1, T0, &sdp);
	rsp_a(t, &call1, 183, "Session Progress", "INVITE", 1, T0 + 300 * MS, &sdp);
	req_a(t, &call1, "PRACK", 2, T0 + 310 * MS, true, NULL);
	rsp_a(t, &call1, 200, "OK", "PRACK", 2, T0 + 320 * MS, NULL);
	req_a(t, &call1, "UPDATE", 3, T0 + 2 * SEC, true, &sdp);
	rsp_a(t, &call1, 200, "OK", "UPDATE", 3, T0 + 2 * SEC + 5 * MS, &sdp);
	CHECK_INT(c.n, 0); /* a 200 to PRACK/UPDATE is not an answer */
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 4 * SEC, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 4 * SEC + 1 * MS, true, NULL);
	req_a(t, &call1, "INFO", 4, T0 + 5 * SEC, true, NULL);
	req_a(t, &call1, "BYE", 5, T0 + 9 * SEC, true, NULL);
	CHECK_LINGER(t, &c, T0 + 9 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 300 * MS;
	e.answer_us = T0 + 4 * SEC;
	e.end_us = T0 + 9 * SEC;
	e.final_code = 200;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	st = stats(t);
	CHECK_INT(st.requests[CT_M_INDIALOG], 3);
	CHECK_INT(st.requests[CT_M_INVITE], 1);
	CHECK_INT(st.responses, 4);
	CHECK_INT(c.media, 4);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Answered, no BYE: truncated at flush, or by call_timeout_us. */
static void test_no_bye(void)
{
	struct ct_dialog_cfg cfg;
	int by_timeout;

	ct_dialog_cfg_default(&cfg);
	cfg.call_timeout_us = 3600 * SEC;
	cfg.rtp_tracked = false; /* no media stage (--no-rtp): no media timeout */
	for (by_timeout = 0; by_timeout < 2; by_timeout++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, &cfg);
		struct ct_call_record e;

		answered(t, &call1, T0);
		req_a(t, &call1, "INFO", 2, T0 + 100 * SEC, true, NULL);
		ct_dialog_expire(t, T0 + 100 * SEC + 3600 * SEC - 1);
		CHECK_INT(c.n, 0);
		if (by_timeout)
			ct_dialog_expire(t, T0 + 100 * SEC + 3600 * SEC);
		else
			ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		expect_answered(&e, &call1, T0);
		e.end_us = T0 + 100 * SEC;
		e.truncated = true;
		e.hangup_reason = (char *)(by_timeout ? "no BYE seen (timeout)" :
		    "no BYE seen (end of capture)");
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		CHECK_INT(stats(t).calls_timed_out, by_timeout);
		CHECK_INT(stats(t).active, 0);
		CHECK_INT(c.closing, 1);
		if (by_timeout) { /* lingering after the timeout: a late BYE is absorbed */
			req_a(t, &call1, "BYE", 3, T0 + 3701 * SEC, true, NULL);
			CHECK_INT(stats(t).orphan_messages, 0);
			CHECK_INT(c.n, 1);
			/* the linger (from the timeout) ends without a second emission */
			ct_dialog_expire(t, T0 + 100 * SEC + 3600 * SEC + LINGER);
			CHECK_INT(c.n, 1);
			CHECK_INT(c.closing, 1);
			CHECK_INT(stats(t).calls, 1);
			req_a(t, &call1, "BYE", 4, T0 + 3800 * SEC, true, NULL);
			CHECK_INT(stats(t).orphan_messages, 1);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/* Ringing, no final response: unfinished at flush or by setup_timeout_us. */
static void test_unfinished(void)
{
	int by_timeout;

	for (by_timeout = 0; by_timeout < 2; by_timeout++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		struct ct_call_record e;

		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
		ct_dialog_expire(t, T0 + 1 * SEC + 300 * SEC - 1);
		CHECK_INT(c.n, 0);
		if (by_timeout)
			ct_dialog_expire(t, T0 + 1 * SEC + 300 * SEC);
		else
			ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		expect(&e, &call1, T0);
		e.ringing_us = T0 + 1 * SEC;
		e.end_us = T0 + 1 * SEC;
		e.disposition = CT_DISP_UNFINISHED;
		e.truncated = true;
		e.hangup_reason = (char *)(by_timeout ? "no final response" :
		    "capture ended before a final response");
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		CHECK_INT(stats(t).calls_timed_out, by_timeout);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/* BYE before any 2xx (after early media): cancelled by the sender. */
static void test_bye_unanswered(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, NULL);
	rsp_a(t, &call1, 183, "Session Progress", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_b(t, &call1, "BYE", 9, T0 + 30 * SEC, NULL);
	CHECK_LINGER(t, &c, T0 + 30 * SEC, 0);
	expect(&e, &call1, T0);
	e.ringing_us = T0 + 1 * SEC;
	e.end_us = T0 + 30 * SEC;
	e.disposition = CT_DISP_CANCELLED;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* No From tags at all: the BYE's side falls back to the From user. */
static void test_no_tags(void)
{
	static const struct tcall nt = { "nt@x", "3001", "Carol", NULL, "3002", NULL, 5, 6, 5060, 5060 };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &nt, 1, T0, NULL);
	rsp_a(t, &nt, 200, "OK", "INVITE", 1, T0 + 2 * SEC, NULL);
	req_b(t, &nt, "BYE", 1, T0 + 3 * SEC, NULL);
	CHECK_LINGER(t, &c, T0 + 3 * SEC, 0);
	expect(&e, &nt, T0);
	e.answer_us = T0 + 2 * SEC;
	e.end_us = T0 + 3 * SEC;
	e.final_code = 200;
	e.agent = (char *)"3002";
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_INT(c.n, 1);
	CHECK_REC(c.n ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* REGISTER/OPTIONS/NOTIFY: counted, never calls, never orphans; orphans. */
static void test_non_call_and_orphans(void)
{
	static const struct tcall reg = { "reg@x", "1001", NULL, "rt", "1001", NULL, 1, 9, 5060, 5060 };
	static const struct tcall orph = { "gone@x", "1", NULL, "o1", "2", "o2", 1, 2, 5060, 5060 };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_dialog_stats st;
	struct ct_sip_msg m;

	req_a(t, &reg, "REGISTER", 1, T0, false, NULL);
	rsp_a(t, &reg, 401, "Unauthorized", "REGISTER", 1, T0 + 1 * MS, NULL);
	req_a(t, &reg, "REGISTER", 2, T0 + 2 * MS, false, NULL);
	rsp_a(t, &reg, 200, "OK", "REGISTER", 2, T0 + 3 * MS, NULL);
	req_a(t, &reg, "OPTIONS", 3, T0 + 4 * MS, false, NULL);
	rsp_a(t, &reg, 200, "OK", "OPTIONS", 3, T0 + 5 * MS, NULL);
	req_a(t, &reg, "NOTIFY", 4, T0 + 6 * MS, true, NULL);
	st = stats(t);
	CHECK_INT(st.requests[CT_M_REGISTER], 2);
	CHECK_INT(st.requests[CT_M_OPTIONS], 1);
	CHECK_INT(st.requests[CT_M_OTHER], 1);
	CHECK_INT(st.responses, 3);
	CHECK_INT(st.orphan_messages, 0);
	CHECK_INT(st.active, 0);
	/*
	 * In-dialog messages of an unseen call: the first (an orphan) opens a
	 * call in progress, which the BYE ends at once; the ACK, the 200 to
	 * INVITE, the re-INVITE and the PRACK are its late messages, and the
	 * second distinct message makes it a record (start_seen false).
	 */
	req_a(t, &orph, "BYE", 2, T0 + 1 * SEC, true, NULL);
	req_a(t, &orph, "ACK", 1, T0 + 1 * SEC, true, NULL);
	rsp_a(t, &orph, 200, "OK", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_a(t, &orph, "INVITE", 5, T0 + 1 * SEC, true, NULL);
	req_a(t, &orph, "PRACK", 6, T0 + 1 * SEC, true, NULL);
	/* a message without Call-ID (defensive) */
	base(&m, &orph, T0, true, &none);
	m.call_id = NULL;
	m.is_request = true;
	snprintf(m.method, sizeof(m.method), "BYE");
	ct_dialog_on_msg(t, &m);
	ct_dialog_on_msg(t, NULL);
	ct_dialog_on_msg(NULL, &m);
	st = stats(t);
	CHECK_INT(st.orphan_messages, 2);
	CHECK_INT(st.messages, 13);
	CHECK_INT(st.active, 0);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	CHECK_INT(stats(t).calls, 1);
	CHECK_INT(stats(t).partial_calls, 1);
	CHECK_INT(c.starts, 0);
	if (c.n == 1) {
		struct ct_call_record e;

		expect(&e, &orph, T0 + 1 * SEC);
		e.end_us = T0 + 1 * SEC;
		e.disposition = CT_DISP_ANSWERED;
		e.hangup_by = CT_PARTY_CALLER;
		e.hangup_reason = (char *)"BYE";
		e.agent = (char *)"2";
		e.invites = 0;
		e.start_unseen = true;
		CHECK_REC(c.recs[0], &e);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Checks the common fields of an evicted call's record. */
#define CHECK_EVICTED(r, cid, disp, end) check_evicted((r), (cid), (disp), (end), __LINE__)

static void check_evicted(const struct ct_call_record *r, const char *cid,
    enum ct_disposition disp, int64_t end, int line)
{
	int before = ct_t_fail;

	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_STR(r->call_id, cid);
		CHECK_INT(r->disposition, disp);
		CHECK_INT(r->end_us, end);
		CHECK_INT(r->evicted, 1);
		CHECK_INT(r->truncated, 1);
	}
	if (ct_t_fail != before)
		fprintf(stderr, "  ^ evicted record expected at line %d\n", line);
}

static struct ct_dialog_stats evict_stats(const struct ct_dialog_table *t, uint64_t *total)
{
	struct ct_dialog_stats st = stats(t);
	int i;

	*total = 0;
	for (i = 0; i < CT_EVICT_COUNT; i++)
		*total += st.evicted[i];
	return st;
}

/*
 * A full table (max_dialogs 3) evicts, for each new call: calls with no
 * response from the far side first (least recently active first), then
 * calls waiting after 401/407 or CANCEL, then the least recently active of
 * the rest, where RTP (ct_dialog_touch_media) counts as activity.  Each
 * evicted call is emitted at once, marked evicted and truncated, counted by
 * class, and lingers (its retransmissions are absorbed).  Nothing is
 * refused.
 */
static void test_max_dialogs(void)
{
	static const struct tcall n1 = { "n1", "a", NULL, "tn1", "b", "un1", 1, 2, 5060, 5060 };
	static const struct tcall n2 = { "n2", "a", NULL, "tn2", "b", "un2", 1, 2, 5060, 5060 };
	static const struct tcall a1 = { "a1", "a", NULL, "ta1", "b", "ua1", 1, 2, 5060, 5060 };
	static const struct tcall x1 = { "x1", "a", NULL, "tx1", "b", "ux1", 1, 2, 5060, 5060 };
	static const struct tcall x2 = { "x2", "a", NULL, "tx2", "b", "ux2", 1, 2, 5060, 5060 };
	static const struct tcall y1 = { "y1", "a", NULL, "ty1", "b", "uy1", 1, 2, 5060, 5060 };
	static const struct tcall z1 = { "z1", "a", NULL, "tz1", "b", "uz1", 1, 2, 5060, 5060 };
	static const struct tcall z2 = { "z2", "a", NULL, "tz2", "b", "uz2", 1, 2, 5060, 5060 };
	static const struct tcall z3 = { "z3", "a", NULL, "tz3", "b", "uz3", 1, 2, 5060, 5060 };
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_dialog_stats st;
	struct ct_dialog *da1;
	uint64_t total;

	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 3;
	t = table(&c, &cfg);
	invite(t, &n1, 1, T0, NULL);
	invite(t, &n2, 1, T0 + 1 * SEC, NULL);
	answered(t, &a1, T0 + 2 * SEC);          /* ACK at T0 + 7.02 s */
	da1 = c.last_d;
	CHECK_INT(stats(t).active, 3);
	CHECK_INT(c.n, 0);

	/* (1) no response: n1, the least recently active, goes first */
	invite(t, &x1, 1, T0 + 10 * SEC, NULL);
	st = evict_stats(t, &total);
	CHECK_INT(st.evicted[CT_EVICT_NORESPONSE], 1);
	CHECK_INT(total, 1);
	CHECK_INT(st.active, 3);
	CHECK_INT(c.n, 1);                        /* emitted at once */
	CHECK_INT(c.closing, 1);
	CHECK_EVICTED(c.n ? c.recs[0] : NULL, "n1", CT_DISP_UNFINISHED, T0);
	if (c.n > 0)
		CHECK_STR(c.recs[0]->hangup_reason, "call table full (evicted)");
	CHECK_INT(stats(t).ghosts, 1);            /* lingers as a ghost: its dialog is freed */
	invite(t, &n1, 1, T0 + 11 * SEC, NULL);   /* retransmission: absorbed */
	CHECK_INT(stats(t).retransmissions, 1);
	CHECK_INT(c.n, 1);
	CHECK_INT(stats(t).active, 3);
	/* n2 got a response: x1 is now the only call with none */
	rsp_a(t, &n2, 100, "Trying", "INVITE", 1, T0 + 12 * SEC, NULL);
	invite(t, &x2, 1, T0 + 13 * SEC, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_NORESPONSE], 2);
	CHECK_EVICTED(c.n > 1 ? c.recs[1] : NULL, "x1", CT_DISP_UNFINISHED, T0 + 10 * SEC);

	/* (3) settled: x2 waits after a 407 */
	rsp_a(t, &x2, 407, "Proxy Authentication Required", "INVITE", 1, T0 + 14 * SEC, NULL);
	invite(t, &y1, 1, T0 + 15 * SEC, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_SETTLED], 1);
	CHECK_EVICTED(c.n > 2 ? c.recs[2] : NULL, "x2", CT_DISP_FAILED, T0 + 14 * SEC);
	if (c.n > 2) {
		CHECK_INT(c.recs[2]->final_code, 407);
		CHECK_STR(c.recs[2]->hangup_reason, "Proxy Authentication Required");
	}

	/*
	 * (4) active: n2 (last SIP T0 + 12 s) against a1 (last SIP T0 + 7.02 s,
	 * RTP at T0 + 20 s): the RTP protects a1.
	 */
	rsp_a(t, &y1, 180, "Ringing", "INVITE", 1, T0 + 16 * SEC, NULL);
	ct_dialog_touch_media(da1, T0 + 20 * SEC);
	invite(t, &z1, 1, T0 + 21 * SEC, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_ACTIVE], 1);
	CHECK_EVICTED(c.n > 3 ? c.recs[3] : NULL, "n2", CT_DISP_UNFINISHED, T0 + 12 * SEC);
	rsp_a(t, &z1, 100, "Trying", "INVITE", 1, T0 + 22 * SEC, NULL);
	invite(t, &z2, 1, T0 + 23 * SEC, NULL);   /* y1 (T0 + 16 s) before a1 (T0 + 20 s) */
	CHECK_EVICTED(c.n > 4 ? c.recs[4] : NULL, "y1", CT_DISP_UNFINISHED, T0 + 16 * SEC);
	rsp_a(t, &z2, 100, "Trying", "INVITE", 1, T0 + 24 * SEC, NULL);
	invite(t, &z3, 1, T0 + 30 * SEC, NULL);   /* a1 (RTP T0 + 20 s) before z1 (T0 + 22 s) */
	CHECK_EVICTED(c.n > 5 ? c.recs[5] : NULL, "a1", CT_DISP_ANSWERED, T0 + 7 * SEC + 20 * MS);
	if (c.n > 5) {
		CHECK_INT(c.recs[5]->final_code, 200);
		CHECK_INT(c.recs[5]->answer_us, T0 + 7 * SEC);
	}
	st = evict_stats(t, &total);
	CHECK_INT(st.evicted[CT_EVICT_NORESPONSE], 2);
	CHECK_INT(st.evicted[CT_EVICT_IDLE], 0);
	CHECK_INT(st.evicted[CT_EVICT_SETTLED], 1);
	CHECK_INT(st.evicted[CT_EVICT_ACTIVE], 3);
	CHECK_INT(total, 6);
	CHECK_INT(st.dropped, 0);
	CHECK_INT(st.active, 3);
	CHECK_INT(st.calls, 6);
	CHECK_INT(c.n, 6);
	/* an evicted call lingers: its late BYE is absorbed, not an orphan */
	req_a(t, &a1, "BYE", 2, T0 + 31 * SEC, true, NULL);
	CHECK_INT(stats(t).orphan_messages, 0);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 9);
	CHECK_INT(c.closing, 9);
	CHECK_INT(stats(t).calls, 9);
	if (c.n == 9) {
		CHECK_STR(c.recs[6]->call_id, "z1");
		CHECK_INT(c.recs[6]->evicted, 0);
		CHECK_INT(c.recs[6]->truncated, 1);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A full table (max_dialogs 1): a call reopened by a new branch of its
 * INVITE (serial forking) evicts an open call first, so the open calls
 * stay within the limit.
 */
static void test_serial_fork_full(void)
{
	static const struct tcall o1 = { "so@p", "+15550002", NULL, "to", "301", "t5", 2, 5, 5060, 5060 };
	const struct opt b1 = { .branch = "b1" }, b2 = { .branch = "b2" };
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;

	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 1;
	t = table(&c, &cfg);
	invite(t, &serial1, 1, T0, &b1);
	rsp_a(t, &serial1, 486, "Busy Here", "INVITE", 1, T0 + 1 * SEC, &b1);
	invite(t, &o1, 1, T0 + 2 * SEC, &b1);      /* no response yet */
	CHECK_INT(stats(t).active, 1);
	invite(t, &serial2, 1, T0 + 3 * SEC, &b2);      /* reopened: o1 evicted */
	CHECK_INT(stats(t).active, 1);
	CHECK_INT(stats(t).serial_forks, 1);
	CHECK_INT(c.n, 1);
	CHECK_EVICTED(c.n ? c.recs[0] : NULL, "so@p", CT_DISP_UNFINISHED, T0 + 2 * SEC);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Class idle: an answered call with no in-dialog message (no ACK) and no
 * RTP since its answer, silent for media_timeout_us, goes before a call
 * with no response that is younger than the grace second, and before any
 * ringing or answered call.  Without a media stage (rtp_tracked false, the
 * --no-rtp case) it is never closed by the media timeout, only evicted.
 */
static void test_evict_idle(void)
{
	static const struct tcall b1 = { "b1", "a", NULL, "tb1", "b", "ub1", 1, 2, 5060, 5060 };
	static const struct tcall a1 = { "a1", "a", NULL, "ta1", "b", "ua1", 1, 2, 5060, 5060 };
	static const struct tcall n1 = { "n1", "a", NULL, "tn1", "b", "un1", 1, 2, 5060, 5060 };
	static const struct tcall x1 = { "x1", "a", NULL, "tx1", "b", "ux1", 1, 2, 5060, 5060 };
	int rtp;

	for (rtp = 0; rtp < 2; rtp++) {
		struct ct_dialog_cfg cfg;
		struct collector c;
		struct ct_dialog_table *t;

		ct_dialog_cfg_default(&cfg);
		cfg.max_dialogs = 3;
		cfg.rtp_tracked = rtp != 0;
		t = table(&c, &cfg);
		answered(t, &a1, T0);                     /* ACK: in-dialog traffic */
		invite(t, &b1, 1, T0 + 1 * SEC, NULL);
		rsp_a(t, &b1, 200, "OK", "INVITE", 1, T0 + 2 * SEC, NULL); /* no ACK, no RTP */
		invite(t, &n1, 1, T0 + 399 * SEC + 500 * MS, NULL); /* no response yet, 0.5 s */
		invite(t, &x1, 1, T0 + 400 * SEC, NULL);
		CHECK_INT(stats(t).evicted[CT_EVICT_IDLE], 1);
		CHECK_INT(stats(t).evicted[CT_EVICT_NORESPONSE], 0);
		CHECK_EVICTED(c.n ? c.recs[0] : NULL, "b1", CT_DISP_ANSWERED, T0 + 2 * SEC);
		CHECK_INT(c.n, 1);
		CHECK_INT(stats(t).dropped, 0);
		ct_dialog_flush(t);  /* releases a1's media slot */
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * When no call waited its grace (a table that holds less than a second of
 * the flood), the oldest call of the three first kinds goes, whatever its
 * kind: the challenged flood calls before a real call that waits 10 ms for
 * its 100 Trying (a flood the PBX answers), the no-response flood before a
 * real call ringing, a bare answered call older than the real INVITE.  A
 * bare call with RTP is not bare; ringing and answered calls go last.
 */
static void test_evict_young(void)
{
	static const struct tcall f1 = { "f1", "a", NULL, "tf1", "b", "uf1", 1, 2, 5060, 5060 };
	static const struct tcall f2 = { "f2", "a", NULL, "tf2", "b", "uf2", 1, 2, 5060, 5060 };
	static const struct tcall f3 = { "f3", "a", NULL, "tf3", "b", "uf3", 1, 2, 5060, 5060 };
	static const struct tcall lg = { "lg", "a", NULL, "tlg", "b", "ulg", 1, 2, 5060, 5060 };
	static const struct tcall rg = { "rg", "a", NULL, "trg", "b", "urg", 1, 2, 5060, 5060 };
	static const struct tcall nw = { "nw", "a", NULL, "tnw", "b", "unw", 1, 2, 5060, 5060 };
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_dialog *d;

	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 3;

	/* challenged flood (0.1 s) before a real INVITE (10 ms, no 100 yet) */
	t = table(&c, &cfg);
	invite(t, &f1, 1, T0, NULL);
	rsp_a(t, &f1, 401, "Unauthorized", "INVITE", 1, T0 + 2 * MS, NULL);
	invite(t, &f2, 1, T0 + 50 * MS, NULL);
	rsp_a(t, &f2, 401, "Unauthorized", "INVITE", 1, T0 + 52 * MS, NULL);
	invite(t, &lg, 1, T0 + 90 * MS, NULL);
	invite(t, &f3, 1, T0 + 100 * MS, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_SETTLED], 1);
	CHECK_EVICTED(c.n ? c.recs[0] : NULL, "f1", CT_DISP_FAILED, T0 + 2 * MS);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* no-response flood (0.3 s) before a real call ringing for longer */
	t = table(&c, &cfg);
	invite(t, &rg, 1, T0, NULL);
	rsp_a(t, &rg, 180, "Ringing", "INVITE", 1, T0 + 50 * MS, NULL);
	invite(t, &f1, 1, T0 + 100 * MS, NULL);
	invite(t, &f2, 1, T0 + 200 * MS, NULL);
	invite(t, &f3, 1, T0 + 400 * MS, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_NORESPONSE], 1);
	CHECK_EVICTED(c.n ? c.recs[0] : NULL, "f1", CT_DISP_UNFINISHED, T0 + 100 * MS);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* spoofed INVITE + 200 (0.5 s, no ACK) before a real INVITE; RTP makes f2 not bare */
	t = table(&c, &cfg);
	invite(t, &f1, 1, T0, NULL);
	rsp_a(t, &f1, 200, "OK", "INVITE", 1, T0 + 3 * MS, NULL);
	invite(t, &f2, 1, T0 + 1 * MS, &(struct opt){ .sdp = true });
	d = c.last_d;
	rsp_a(t, &f2, 200, "OK", "INVITE", 1, T0 + 2 * MS, NULL);
	ct_dialog_touch_media(d, T0 + 400 * MS);
	invite(t, &lg, 1, T0 + 490 * MS, NULL);
	invite(t, &f3, 1, T0 + 500 * MS, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_IDLE], 1);
	CHECK_EVICTED(c.n ? c.recs[0] : NULL, "f1", CT_DISP_ANSWERED, T0 + 3 * MS);
	/* next: lg (no response, 20 ms) before f2 (answered, RTP) */
	rsp_a(t, &f3, 100, "Trying", "INVITE", 1, T0 + 505 * MS, NULL);
	invite(t, &rg, 1, T0 + 510 * MS, NULL);
	CHECK_EVICTED(c.n > 1 ? c.recs[1] : NULL, "lg", CT_DISP_UNFINISHED, T0 + 490 * MS);
	/* then only ringing / answered: f2 (RTP at 0.4 s) before f3 (100 at 0.505 s) */
	rsp_a(t, &rg, 100, "Trying", "INVITE", 1, T0 + 515 * MS, NULL);
	invite(t, &nw, 1, T0 + 520 * MS, NULL);
	CHECK_INT(stats(t).evicted[CT_EVICT_ACTIVE], 1);
	CHECK_EVICTED(c.n > 2 ? c.recs[2] : NULL, "f2", CT_DISP_ANSWERED, T0 + 2 * MS);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* Ended calls lingering are bounded by max_dialogs too: the oldest goes early. */
static void test_linger_bound(void)
{
	static char ids[6][8];
	struct tcall k[6];
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;
	int i;

	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 2;
	t = table(&c, &cfg);
	for (i = 0; i < 6; i++) {
		snprintf(ids[i], sizeof(ids[i]), "L%d", i);
		k[i] = (struct tcall){ ids[i], "a", NULL, ids[i], "b", "u", 1, 2, 5060, 5060 };
		invite(t, &k[i], 1, T0 + i * SEC, NULL);
		rsp_a(t, &k[i], 486, "Busy Here", "INVITE", 1, T0 + i * SEC + 1, NULL);
	}
	/* L0..L5 ended and linger; creating L3, L4, L5 each cut one (L0, L1, L2) */
	CHECK_INT(stats(t).linger_cut, 3);
	CHECK_INT(c.n, 3);
	for (i = 0; i < 3 && (size_t)i < c.n; i++) {
		CHECK_STR(c.recs[i]->call_id, ids[i]);
		CHECK_INT(c.recs[i]->disposition, CT_DISP_BUSY);
		CHECK_INT(c.recs[i]->evicted, 0);
		CHECK_INT(c.recs[i]->truncated, 0);
	}
	ct_dialog_flush(t);
	CHECK_INT(c.n, 6);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Media timeout: an answered call with neither SIP nor RTP for
 * media_timeout_us (300 s) is closed (truncated, "no BYE seen (media
 * timeout)", end = its last SIP message: the media stage moves it to the
 * last RTP).  RTP keeps a call open; call_timeout_us stays the cap on SIP
 * silence; without a media stage (rtp_tracked false) only the cap applies.
 * A call that never had RTP is closed so only while the tap carries RTP
 * of other calls (ct_dialog_note_rtp within the timeout): on a SIP-only
 * tap it keeps its BYE, however late.
 */
static void test_media_timeout(void)
{
	static const struct tcall m1 = { "m1", "a", NULL, "tm1", "b", "um1", 1, 2, 5060, 5060 };
	const int64_t ack = T0 + 5 * SEC + 20 * MS;  /* last SIP of answered() */
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_dialog *d;
	int64_t now;

	/* no RTP, another call's at ack + 100 s: closed exactly media_timeout_us after the ACK */
	t = table(&c, NULL);
	answered(t, &m1, T0);
	ct_dialog_note_rtp(t, ack + 100 * SEC);
	ct_dialog_expire(t, ack + 300 * SEC - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, ack + 300 * SEC);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (media timeout)");
		CHECK_INT(c.recs[0]->truncated, 1);
		CHECK_INT(c.recs[0]->evicted, 0);
		CHECK_INT(c.recs[0]->disposition, CT_DISP_ANSWERED);
		CHECK_INT(c.recs[0]->end_us, ack);
	}
	CHECK_INT(stats(t).media_timeouts, 1);
	CHECK_INT(stats(t).calls_timed_out, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* RTP until T0 + 250 s: closed 300 s after it */
	t = table(&c, NULL);
	answered(t, &m1, T0);
	d = c.last_d;
	ct_dialog_touch_media(d, T0 + 100 * SEC);
	ct_dialog_touch_media(d, T0 + 250 * SEC);
	ct_dialog_touch_media(d, T0 + 200 * SEC);  /* older: ignored */
	ct_dialog_expire(t, ack + 300 * SEC);       /* due by SIP, re-queued at its RTP */
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 550 * SEC - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 550 * SEC);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (media timeout)");
		CHECK_INT(c.recs[0]->end_us, ack);
	}
	CHECK_INT(stats(t).media_timeouts, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/*
	 * A SIP-only tap (no call's RTP ever), or the last RTP of another call
	 * more than the timeout before: the silent call keeps its late BYE.
	 */
	for (now = 0; now < 2; now++) {
		t = table(&c, NULL);
		answered(t, &m1, T0);
		if (now == 1)
			ct_dialog_note_rtp(t, T0);   /* 305 s before the first look */
		ct_dialog_expire(t, ack + 300 * SEC);
		ct_dialog_expire(t, ack + 1000 * SEC);
		ct_dialog_expire(t, ack + 3000 * SEC);
		CHECK_INT(c.n, 0);
		req_a(t, &m1, "BYE", 2, ack + 3000 * SEC, true, NULL);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_STR(c.recs[0]->hangup_reason, "BYE");
			CHECK_INT(c.recs[0]->truncated, 0);
			CHECK_INT(c.recs[0]->end_us, ack + 3000 * SEC);
		}
		CHECK_INT(stats(t).media_timeouts, 0);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}

	/*
	 * ... and with no BYE at all, the call timeout (4 h of SIP silence)
	 * ends it, looked at once every media timeout (as a call on hold).
	 */
	t = table(&c, NULL);
	answered(t, &m1, T0);
	ct_dialog_expire(t, ack + 4 * 3600 * SEC - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, ack + 4 * 3600 * SEC + 300 * SEC);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (timeout)");
		CHECK_INT(c.recs[0]->end_us, ack);
	}
	CHECK_INT(stats(t).media_timeouts, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* RTP all along: the call timeout (1000 s of SIP silence) still ends it */
	ct_dialog_cfg_default(&cfg);
	cfg.call_timeout_us = 1000 * SEC;
	t = table(&c, &cfg);
	answered(t, &m1, T0);
	d = c.last_d;
	for (now = T0 + 10 * SEC; now <= T0 + 2000 * SEC && c.n == 0; now += 10 * SEC) {
		ct_dialog_touch_media(d, now);
		ct_dialog_expire(t, now);
	}
	CHECK_INT(c.n, 1);
	CHECK(now - 10 * SEC >= ack + 1000 * SEC && now - 10 * SEC <= ack + 1300 * SEC);
	if (c.n == 1)
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (timeout)");
	CHECK_INT(stats(t).media_timeouts, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* no media stage (--no-rtp): no media timeout, only the call timeout */
	ct_dialog_cfg_default(&cfg);
	cfg.rtp_tracked = false;
	t = table(&c, &cfg);
	answered(t, &m1, T0);
	ct_dialog_expire(t, ack + 3600 * SEC);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, ack + 4 * 3600 * SEC);
	CHECK_INT(c.n, 1);
	if (c.n == 1)
		CHECK_STR(c.recs[0]->hangup_reason, "no BYE seen (timeout)");
	CHECK_INT(stats(t).media_timeouts, 0);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* media timeout 0: off */
	ct_dialog_cfg_default(&cfg);
	cfg.media_timeout_us = 0;
	t = table(&c, &cfg);
	answered(t, &m1, T0);
	ct_dialog_expire(t, ack + 3600 * SEC);
	CHECK_INT(c.n, 0);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/* A string of n copies of unit after head (heap; the caller frees it). */
static char *long_str(const char *head, const char *unit, size_t n)
{
	size_t hl = strlen(head), ul = strlen(unit), i;
	char *s = malloc(hl + n * ul + 1);

	if (s == NULL)
		abort();
	memcpy(s, head, hl);
	for (i = 0; i < n; i++)
		memcpy(s + hl + i * ul, unit, ul);
	s[hl + n * ul] = '\0';
	return s;
}

static bool all_chars(const char *s, char ch)
{
	for (; *s != '\0'; s++)
		if (*s != ch)
			return false;
	return true;
}

/*
 * 30 KB strings are cut to their caps (at a UTF-8 boundary) and listed in
 * cut_fields; two Call-IDs that differ only after 30,000 common bytes are
 * two calls; a 30 KB From tag still ties the 200 and the BYE to the call.
 */
static void test_caps(void)
{
	char *cid1 = long_str("", "x", 30000), *cid2 = long_str("", "x", 30001);
	char *tag = long_str("t", "g", 30000), *user = long_str("", "1", 30000);
	char *name = long_str("a", "\xc3\xa9", 15000), *callee = long_str("", "2", 30000);
	char *agent = long_str("", "3", 30000), *why = long_str("", "r", 30000);
	struct tcall k1 = { cid1, user, name, tag, callee, "bt1", 1, 2, 5060, 5060 };
	struct tcall k2 = { cid2, "1001", NULL, "at2", "2002", "bt2", 1, 2, 5060, 5060 };
	const struct opt contact = { .contact = agent };
	const struct opt reason = { .rtext = why };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const struct ct_call_record *r;

	invite(t, &k1, 1, T0, NULL);
	invite(t, &k2, 1, T0 + 1, NULL);
	CHECK_INT(stats(t).active, 2);
	rsp_a(t, &k1, 200, "OK", "INVITE", 1, T0 + 1 * SEC, &contact);
	req_a(t, &k1, "ACK", 1, T0 + 1 * SEC + 1, true, NULL);
	req_a(t, &k1, "BYE", 2, T0 + 9 * SEC, true, &reason);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	CHECK_INT(stats(t).orphan_messages, 0);
	CHECK_INT(stats(t).fields_cut, 2);
	r = c.n == 2 ? c.recs[1] : NULL;      /* k2 (setup list) first, then k1 (lingering) */
	CHECK(r != NULL);
	if (r != NULL) {
		CHECK_INT(strlen(r->call_id), CT_CAP_CALL_ID);
		CHECK(all_chars(r->call_id, 'x'));
		CHECK_INT(strlen(r->caller), CT_CAP_USER);
		CHECK_INT(strlen(r->callee), CT_CAP_USER);
		CHECK(r->agent == NULL);   /* 30000 digits: not an extension, never an agent */
		CHECK_INT(strlen(r->caller_name), CT_CAP_NAME - 1); /* not inside a 2-byte character */
		CHECK(strncmp(r->caller_name, name, CT_CAP_NAME - 1) == 0);
		CHECK_INT(strlen(r->hangup_reason), CT_CAP_REASON);
		CHECK_INT(r->cut_fields, CT_CUT_CALL_ID | CT_CUT_CALLER | CT_CUT_CALLER_NAME |
		    CT_CUT_CALLEE | CT_CUT_HANGUP_REASON);
		CHECK_INT(r->disposition, CT_DISP_ANSWERED);  /* the 200 matched the long tag */
		CHECK_INT(r->hangup_by, CT_PARTY_CALLER);      /* so did the BYE */
		CHECK_INT(r->truncated, 0);
	}
	r = c.n == 2 ? c.recs[0] : NULL;
	if (r != NULL) {
		CHECK_INT(strlen(r->call_id), CT_CAP_CALL_ID);
		CHECK_INT(r->cut_fields, CT_CUT_CALL_ID);
		CHECK_STR(r->caller, "1001");
		CHECK_INT(r->disposition, CT_DISP_UNFINISHED);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
	free(cid1);
	free(cid2);
	free(tag);
	free(user);
	free(name);
	free(callee);
	free(agent);
	free(why);
}

/*
 * A call keeps its first 8 message keys inline and the rest on the heap
 * (up to 32): after 12 distinct INFOs, a resent early one is still a
 * retransmission.  Freed calls are reused (a flood's churn): calls made
 * after a flush of others carry none of their strings (a stale name,
 * agent, PAI or tag would show in the record or match a message).
 */
static void test_seen_and_reuse(void)
{
	struct tcall k = { "seen-1@x", "1001", NULL, "ta", "2002", "tb", 1, 2, 5060, 5060 };
	const struct opt pai = { .pai = "+441234567890", .contact = "ext17" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	char cid[40][32], tag[40][16];
	struct tcall calls[40];
	uint32_t i;

	answered(t, &k, T0);
	for (i = 0; i < 12; i++)
		req_a(t, &k, "INFO", 10 + i, T0 + 2 * SEC + (int64_t)i * MS, true, NULL);
	CHECK_INT(stats(t).retransmissions, 0);
	req_a(t, &k, "INFO", 11, T0 + 3 * SEC, true, NULL);   /* the 2nd INFO again */
	req_a(t, &k, "INFO", 21, T0 + 3 * SEC + 1, true, NULL); /* the 12th */
	CHECK_INT(stats(t).retransmissions, 2);
	for (i = 0; i < 40; i++) {
		snprintf(cid[i], sizeof(cid[i]), "reuse-%u@host", (unsigned)i);
		snprintf(tag[i], sizeof(tag[i]), "tag%u", (unsigned)i);
		calls[i] = k;
		calls[i].cid = cid[i];
		calls[i].a_tag = tag[i];
		calls[i].a_name = i < 20 ? "Named" : NULL;
		calls[i].a_user = i < 20 ? "101" : "+15551230000";
	}
	for (i = 0; i < 20; i++) {
		invite(t, &calls[i], 1, T0 + 4 * SEC, &pai);
		rsp_a(t, &calls[i], 200, "OK", "INVITE", 1, T0 + 5 * SEC, &pai);
	}
	ct_dialog_flush(t);
	CHECK_INT(c.n, 21);
	for (i = 20; i < 40; i++)
		invite(t, &calls[i], 1, T0 + 6 * SEC, NULL);
	/* a message of a flushed call is no message of a reused one */
	rsp_a(t, &calls[3], 200, "OK", "INVITE", 1, T0 + 7 * SEC, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 41);
	for (i = 21; i < c.n && i < 41; i++) {
		const struct ct_call_record *r = c.recs[i];

		CHECK_STR(r->call_id, cid[i - 1]);
		CHECK_STR(r->caller, "+15551230000");
		CHECK(r->caller_name == NULL);
		CHECK(r->agent == NULL);
		CHECK_INT(r->answer_us, CT_TIME_NONE);
		CHECK_INT(r->disposition, CT_DISP_UNFINISHED);
	}
	if (c.n > 1) {
		CHECK_STR(c.recs[1]->caller, "+441234567890");
		CHECK_STR(c.recs[1]->caller_name, "Named");
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Hash flooding: 1024 Call-IDs that all collide under the old FNV-1a
 * Call-ID hash stay in short chains under the keyed hash (1024 calls in
 * 1024 buckets: chains of a few; FNV-1a put all 1024 in one chain).
 */
static void test_colliding_call_ids(void)
{
	enum { K = 10, N = 1 << K };
	char **ids = calloc(N, sizeof(*ids));
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	int i, same = 0;

	for (i = 0; i < N; i++)
		ids[i] = malloc(4 + 6 * K + 1);
	CHECK_INT(fc_multicollide("cid-", 6, "abcdefghijklmnopqrstuvwxyz0123456789", 32, K, ids), 0);
	for (i = 0; i < N; i++) {
		struct tcall k = { ids[i], "a", NULL, "ta", "b", "tb", 1, 2, 5060, 5060 };

		same += fc_hash(ids[i]) == fc_hash(ids[0]);
		invite(t, &k, 1, T0 + i, NULL);
	}
	CHECK_INT(same, N);                      /* the attack itself works */
	CHECK_INT(stats(t).active, N);
	CHECK(ct_dialog_longest_chain(t) <= 12);
	if (ct_dialog_longest_chain(t) > 12)
		fprintf(stderr, "  longest chain %zu\n", ct_dialog_longest_chain(t));
	ct_dialog_flush(t);
	CHECK_INT(c.n, N);
	ct_dialog_table_free(t);
	collector_fini(&c);
	for (i = 0; i < N; i++)
		free(ids[i]);
	free(ids);
}

/* Table free without flush, NULL arguments, and defaults. */
static void test_api_edges(void)
{
	struct ct_dialog_cfg cfg;
	struct ct_dialog_stats st;
	struct ct_dialog_table *t;

	ct_dialog_cfg_default(&cfg);
	CHECK_INT(cfg.setup_timeout_us, 300 * SEC);
	CHECK_INT(cfg.call_timeout_us, 4 * 3600 * SEC);
	CHECK_INT(cfg.linger_us, 32 * SEC);
	CHECK_INT(cfg.max_dialogs, 200000);
	t = ct_dialog_table_new(NULL, NULL); /* no hooks: records freed unseen */
	CHECK(t != NULL);
	answered(t, &call1, T0);
	req_a(t, &call1, "BYE", 2, T0 + 9 * SEC, true, NULL);
	invite(t, &(struct tcall){ "open@x", "1", NULL, "x", "2", "y", 1, 2, 1, 2 }, 1, T0, NULL);
	ct_dialog_get_stats(t, &st);
	CHECK_INT(st.calls, 0); /* the ended call's record is pending (lingering) */
	CHECK_INT(st.active, 1);
	ct_dialog_table_free(t); /* frees both, the pending record too, without emitting */
	t = ct_dialog_table_new(NULL, NULL);
	CHECK(t != NULL);
	answered(t, &call1, T0);
	req_a(t, &call1, "BYE", 2, T0 + 9 * SEC, true, NULL);
	ct_dialog_expire(t, T0 + 9 * SEC + LINGER); /* emitted to nobody: freed */
	ct_dialog_get_stats(t, &st);
	CHECK_INT(st.calls, 1);
	CHECK_INT(st.active, 0);
	ct_dialog_table_free(t);
	ct_dialog_table_free(NULL);
	ct_dialog_flush(NULL);
	ct_dialog_expire(NULL, 0);
	ct_dialog_get_stats(NULL, &st);
	CHECK_INT(st.messages, 0);
	CHECK(ct_dialog_media_get(NULL) == NULL);
	CHECK(ct_dialog_call_id(NULL) == NULL);
	ct_dialog_media_set(NULL, NULL);
}

/*
 * 10,000 interleaved calls, each phase running over all calls before the
 * next (phase p at T0 + p s + i us): INVITE, 180, then 200/486/nothing by
 * i % 3, then BYE for half of the answered ones; the rest end by flush.
 * Each call must be emitted once, in this order:
 *  1. expire at T0 + 2 s + LINGER + NCALLS / 2 - 1: the busy calls
 *     (i % 3 == 1) with i < NCALLS / 2, whose linger (from the 486 at
 *     T0 + 2 s + i) has run out, in i order;
 *  2. expire at T0 + 3 s + LINGER + NCALLS: the other busy calls, then the
 *     ones ended by BYE (i % 6 == 0, linger from T0 + 3 s + i), in i order
 *     (the linger list is ordered by the time a call ended);
 *  3. flush: the unanswered (i % 3 == 2, setup list) then the answered
 *     without BYE (i % 6 == 3, call list), each in i order.
 */
#define NCALLS 10000

/* Appends to want[] the calls i with i % mod == rem and lo <= i < hi. */
static size_t want_add(int *want, size_t n, int mod, int rem, int lo, int hi)
{
	int i;

	for (i = lo; i < hi; i++)
		if (i % mod == rem)
			want[n++] = i;
	return n;
}

/* Counts records [from, to) of c whose call is not want[k]. */
static unsigned misordered(const struct collector *c, const int *want, size_t from, size_t to)
{
	unsigned bad = 0;
	size_t k;

	for (k = from; k < to && k < c->n; k++)
		if (atoi(c->recs[k]->call_id) != want[k])
			bad++;
	return bad;
}

static void test_many(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	static char ids[NCALLS][24], tags[NCALLS][16];
	unsigned char *seen = calloc(NCALLS, 1);
	int *want = calloc(NCALLS, sizeof(*want));
	unsigned bad = 0, dup = 0;
	int i, phase;
	size_t k, n1, n2, n3;

	for (phase = 0; phase < 4; phase++) {
		for (i = 0; i < NCALLS; i++) {
			struct tcall tc = { ids[i], "caller", NULL, tags[i], "callee", "bt", 1, 2, 5060, 5060 };
			int64_t ts = T0 + phase * SEC + i;

			snprintf(ids[i], sizeof(ids[i]), "%d@many", i);
			snprintf(tags[i], sizeof(tags[i]), "tag%d", i);
			if (phase == 0)
				invite(t, &tc, 1, ts, NULL);
			else if (phase == 1)
				rsp_a(t, &tc, 180, "Ringing", "INVITE", 1, ts, NULL);
			else if (phase == 2 && i % 3 != 2)
				rsp_a(t, &tc, i % 3 ? 486 : 200, "x", "INVITE", 1, ts, NULL);
			else if (phase == 3 && i % 6 == 0)
				req_b(t, &tc, "BYE", 1, ts, NULL);
		}
		if (phase == 0)
			CHECK_INT(stats(t).active, NCALLS);
	}
	if (seen == NULL || want == NULL)
		abort();
	n1 = want_add(want, 0, 3, 1, 0, NCALLS / 2);
	n2 = want_add(want, n1, 3, 1, NCALLS / 2, NCALLS);
	n2 = want_add(want, n2, 6, 0, 0, NCALLS);
	n3 = want_add(want, n2, 3, 2, 0, NCALLS);
	n3 = want_add(want, n3, 6, 3, 0, NCALLS);
	CHECK_INT(n1, 1667);      /* 1, 4, ..., 4999 */
	CHECK_INT(n2, 3333 + 1667); /* all busy, then 0, 6, ..., 9996 */
	CHECK_INT(n3, NCALLS);
	CHECK_INT(stats(t).active, 3333 + 1667); /* i % 3 == 2 and i % 6 == 3 are open */
	ct_dialog_expire(t, T0 + 6 * SEC); /* nothing is due yet */
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 2 * SEC + TRAIL - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 2 * SEC + TRAIL + NCALLS / 2 - 1);
	CHECK_INT(c.n, n1);
	CHECK_INT(misordered(&c, want, 0, n1), 0);
	ct_dialog_expire(t, T0 + 3 * SEC + TRAIL + NCALLS);
	CHECK_INT(c.n, n2);
	CHECK_INT(misordered(&c, want, n1, n2), 0);
	CHECK_INT(stats(t).calls, n2);
	CHECK_INT(c.closing, n2);
	ct_dialog_flush(t);
	CHECK_INT(c.n, NCALLS);
	CHECK_INT(misordered(&c, want, n2, n3), 0);
	for (k = 0; k < c.n; k++) {
		const struct ct_call_record *r = c.recs[k];
		int n = atoi(r->call_id);
		enum ct_disposition want_disp = n % 3 == 0 ? CT_DISP_ANSWERED :
		    n % 3 == 1 ? CT_DISP_BUSY : CT_DISP_UNFINISHED;

		if (n < 0 || n >= NCALLS || seen[n]++) {
			dup++;
			continue;
		}
		if (r->disposition != want_disp || r->start_us != T0 + n ||
		    r->ringing_us != T0 + SEC + n || r->truncated != (n % 6 == 3 || n % 3 == 2) ||
		    r->end_us != T0 + (n % 3 == 2 ? 1 : n % 6 == 0 ? 3 : 2) * SEC + n)
			bad++;
	}
	CHECK_INT(dup, 0);
	CHECK_INT(bad, 0);
	CHECK_INT(stats(t).calls, NCALLS);
	CHECK_INT(stats(t).active, 0);
	CHECK_INT(c.closing, NCALLS);
	free(seen);
	free(want);
	ct_dialog_table_free(t);
	collector_fini(&c);
}


/*
 * The agent candidate: the answering extension from the 2xx (Contact, else
 * PAI; one other than the callee first), else the calling extension (From,
 * else PAI of the INVITE); never a subscriber number.
 */
static void test_agent(void)
{
	static const struct tcall in = { "ag@x", "+380501234567", NULL, "ta", "0441234567", "tb",
	    1, 2, 5060, 5060 };
	static const struct tcall ext = { "ag2@x", "2001", NULL, "ta", "+380671112233", "tb",
	    1, 2, 5060, 5060 };
	static const struct {
		const struct tcall *c;
		const char *inv_pai, *contact, *pai;   /* of the INVITE, of the 2xx */
		bool answer;
		const char *agent;
	} v[] = {
		{ &in, NULL, "2001", NULL, true, "2001" },           /* the phone answered */
		{ &in, NULL, "0441234567", "2002", true, "2002" },   /* Contact = dialled number */
		{ &in, NULL, "0441234567", NULL, true, NULL },       /* only the tracking number */
		{ &in, NULL, "+380441234567", "+380441234567", true, NULL },
		{ &in, NULL, "alice", "2002", true, "alice" },
		{ &in, NULL, "2001", NULL, false, NULL },            /* not answered */
		{ &ext, NULL, "+380671112233", NULL, true, "2001" }, /* outbound: the caller */
		{ &ext, "+380441234567", NULL, NULL, false, "2001" },
		{ &ext, NULL, "s-1.x", NULL, true, "s-1.x" },        /* a name is an extension */
		{ &in, "2005", "+380671112233", NULL, true, "2005" }, /* From a number, PAI an extension */
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		struct collector c;
		struct ct_dialog_table *t = table(&c, NULL);
		struct opt io = { .pai = v[i].inv_pai };
		struct opt ao = { .contact = v[i].contact, .pai = v[i].pai };

		invite(t, v[i].c, 1, T0, &io);
		if (v[i].answer) {
			rsp_a(t, v[i].c, 200, "OK", "INVITE", 1, T0 + 2 * SEC, &ao);
			req_b(t, v[i].c, "BYE", 1, T0 + 3 * SEC, NULL);
		} else {
			rsp_a(t, v[i].c, 486, "Busy Here", "INVITE", 1, T0 + 2 * SEC, &ao);
		}
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		if (c.n == 1) {
			CHECK_STR(c.recs[0]->agent, v[i].agent);
			if ((c.recs[0]->agent == NULL) != (v[i].agent == NULL) ||
			    (v[i].agent != NULL && strcmp(c.recs[0]->agent, v[i].agent) != 0))
				fprintf(stderr, "  agent vector %zu\n", i);
		}
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * A trunk that hides the caller in From (anonymous) but asserts it in
 * P-Asserted-Identity: caller is the PAI user; the caller's BYE is still
 * recognised by From (tag, and From user when tags are missing).
 */
static void test_pai_caller(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	const struct opt pai = { .pai = "+15550100" };

	invite(t, &call1, 1, T0, &pai);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + SEC, NULL);
	req_a(t, &call1, "BYE", 2, T0 + 9 * SEC, true, NULL);
	CHECK_LINGER(t, &c, T0 + 9 * SEC, 0);
	CHECK_INT(c.n, 1);
	if (c.n == 1) {
		CHECK_STR(c.recs[0]->caller, "+15550100");
		CHECK_INT(c.recs[0]->hangup_by, CT_PARTY_CALLER);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The record is fixed at the BYE, but the closing hook (the media stage)
 * runs only at emission, after everything that arrived during the linger:
 * what the media stage counted after the BYE is seen by it, while late SIP
 * (the 200 to the BYE, a BYE from the other side with a Reason, a
 * re-INVITE with SDP) changes neither the record nor reaches the media hook.
 */
static void test_closing_at_emission(void)
{
	const struct opt sdp = { .sdp = true };
	const struct opt why = { .q850 = 41, .rtext = "Temporary failure" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;
	struct media_slot *ms;
	struct ct_dialog_stats st;

	answered(t, &call1, T0);
	CHECK_INT(c.media, 2);
	CHECK(c.last_d != NULL);
	ms = ct_dialog_media_get(c.last_d);
	CHECK(ms != NULL);
	if (ms != NULL)
		ms->rtp = 100; /* RTP during the call */
	req_a(t, &call1, "BYE", 2, T0 + 40 * SEC, true, NULL);
	CHECK_INT(c.n, 0);
	CHECK_INT(c.closing, 0);
	/* the dialog and its slot outlive the BYE: trailing RTP is still counted */
	CHECK(ct_dialog_media_get(c.last_d) == ms);
	CHECK_STR(ct_dialog_call_id(c.last_d), "call-1@host");
	if (ms != NULL)
		ms->rtp += 7;
	rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 40 * SEC + 4 * MS, NULL);
	req_b(t, &call1, "BYE", 9, T0 + 41 * SEC, &why);
	rsp_b(t, &call1, 200, "BYE", 9, T0 + 41 * SEC + 1 * MS, NULL);
	req_b(t, &call1, "INVITE", 10, T0 + 42 * SEC, &sdp);
	CHECK_INT(c.media, 2); /* no media hook for an ended call */
	CHECK_INT(c.n, 0);
	CHECK_INT(c.closing, 0);
	if (ms != NULL)
		ms->rtp += 3; /* the last RTP, just before the linger ends */
	st = stats(t);
	CHECK_INT(st.messages, 10);
	CHECK_INT(st.requests[CT_M_BYE], 2);
	CHECK_INT(st.requests[CT_M_INVITE], 2);
	CHECK_INT(st.responses, 5);
	CHECK_INT(st.retransmissions, 0); /* new messages, absorbed all the same */
	CHECK_INT(st.orphan_messages, 0);
	CHECK_INT(st.calls, 0);
	CHECK_INT(st.active, 0);
	/* the later messages did not extend the linger: due at BYE + LINGER */
	CHECK_LINGER(t, &c, T0 + 40 * SEC, 0);
	CHECK_INT(c.closing_rtp, 110); /* the closing hook saw the trailing RTP */
	CHECK_INT(c.closing_mismatch, 0);
	expect_answered(&e, &call1, T0);
	e.end_us = T0 + 40 * SEC;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n ? c.recs[0] : NULL, &e); /* q850 -1, invites 1: as at the BYE */
	/* emitted, then freed: a late message is an orphan, no second emission */
	rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 80 * SEC, NULL);
	CHECK_INT(stats(t).orphan_messages, 1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	CHECK_INT(c.closing, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * linger_us 0 (and a negative one, taken as 0): the record is still not
 * emitted inside ct_dialog_on_msg, but by the first expire at or after the
 * end; the call is then gone.
 */
static void test_zero_linger(void)
{
	static const int64_t lv[] = { 0, -5 * SEC };
	size_t i;

	for (i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
		struct ct_dialog_cfg cfg;
		struct collector c;
		struct ct_dialog_table *t;
		struct ct_call_record e;

		ct_dialog_cfg_default(&cfg);
		cfg.linger_us = lv[i];
		t = table(&c, &cfg);
		answered(t, &call1, T0);
		req_b(t, &call1, "BYE", 3, T0 + 10 * SEC, NULL);
		CHECK_INT(c.n, 0);
		ct_dialog_expire(t, T0 + 10 * SEC - 1);
		CHECK_INT(c.n, 0);
		ct_dialog_expire(t, T0 + 10 * SEC);
		CHECK_INT(c.n, 1);
		CHECK_INT(c.closing, 1);
		expect_answered(&e, &call1, T0);
		e.end_us = T0 + 10 * SEC;
		e.hangup_by = CT_PARTY_CALLEE;
		e.hangup_reason = (char *)"BYE";
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		rsp_b(t, &call1, 200, "BYE", 3, T0 + 10 * SEC + 1 * MS, NULL);
		CHECK_INT(stats(t).orphan_messages, 1);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * Five calls ending in five ways:
 *  A answered at T0 + 5 s, BYE at T0 + 20 s   (trail due T0 + 25 s)
 *  B 486 at T0 + 5 s                          (trail due T0 + 10 s)
 *  C answered at T0 + 3 s, no BYE             (4 h call timeout: open)
 *  D CANCEL at T0 + 6 s, no final response    (CANCEL wait due T0 + 38 s)
 *  E INVITE at T0 + 4 s, nothing else         (setup timeout due T0 + 304 s)
 * The trail list is emitted in the order the calls ended (B, A) by the
 * expire call at T0 + 25 s.  One expire walks the setup list, then the
 * call list, then the linger list, then the trail list, so at T0 + 304 s
 * E's timeout is emitted first, then D; C comes at flush.  E then lingers
 * as a ghost, without a second record.
 */
static void test_emission_order(void)
{
	static const struct tcall ca = { "ord-a", "11", NULL, "ta", "21", "ua", 1, 2, 5060, 5060 };
	static const struct tcall cb = { "ord-b", "12", NULL, "tb", "22", "ub", 1, 2, 5060, 5060 };
	static const struct tcall cc = { "ord-c", "13", NULL, "tc", "23", "uc", 1, 2, 5060, 5060 };
	static const struct tcall cd = { "ord-d", "14", NULL, "td", "24", "ud", 1, 2, 5060, 5060 };
	static const struct tcall ce = { "ord-e", "15", NULL, "te", "25", "ue", 1, 2, 5060, 5060 };
	static const struct {
		const char *cid;
		enum ct_disposition disp;
		int64_t end;
		int final_code;
		bool truncated;
	} want[] = {
		{ "ord-b", CT_DISP_BUSY, T0 + 5 * SEC, 486, false },
		{ "ord-a", CT_DISP_ANSWERED, T0 + 20 * SEC, 200, false },
		{ "ord-e", CT_DISP_UNFINISHED, T0 + 4 * SEC, 0, true },
		{ "ord-d", CT_DISP_CANCELLED, T0 + 6 * SEC, 0, false },
		{ "ord-c", CT_DISP_ANSWERED, T0 + 3 * SEC, 200, true },
	};
	struct collector c;
	struct ct_dialog_cfg cfg;
	struct ct_dialog_table *t;
	size_t i;

	ct_dialog_cfg_default(&cfg);
	cfg.rtp_tracked = false; /* ord-c (answered, silent) waits for the call timeout */
	cfg.noresponse_timeout_us = 0; /* ord-e waits for the setup timeout (no Timer B) */
	t = table(&c, &cfg);
	answered(t, &ca, T0);
	invite(t, &cb, 1, T0 + 1 * SEC, NULL);
	invite(t, &cc, 1, T0 + 2 * SEC, NULL);
	invite(t, &cd, 1, T0 + 3 * SEC, NULL);
	rsp_a(t, &cc, 200, "OK", "INVITE", 1, T0 + 3 * SEC, NULL);
	invite(t, &ce, 1, T0 + 4 * SEC, NULL);
	rsp_a(t, &cb, 486, "Busy Here", "INVITE", 1, T0 + 5 * SEC, NULL);
	req_a(t, &cd, "CANCEL", 1, T0 + 6 * SEC, false, NULL);
	req_a(t, &ca, "BYE", 2, T0 + 20 * SEC, true, NULL);
	ct_dialog_expire(t, T0 + 5 * SEC + TRAIL - 1);
	CHECK_INT(c.n, 0);
	ct_dialog_expire(t, T0 + 20 * SEC + TRAIL - 1);
	CHECK_INT(c.n, 1);
	ct_dialog_expire(t, T0 + 20 * SEC + TRAIL);
	CHECK_INT(c.n, 2);
	ct_dialog_expire(t, T0 + 4 * SEC + 300 * SEC);
	CHECK_INT(c.n, 4);
	CHECK_INT(stats(t).calls, 4);
	CHECK_INT(stats(t).calls_timed_out, 1);
	CHECK_INT(stats(t).active, 1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 5);
	CHECK_INT(c.closing, 5);
	CHECK_INT(stats(t).calls, 5);
	for (i = 0; i < sizeof(want) / sizeof(want[0]) && i < c.n; i++) {
		CHECK_STR(c.recs[i]->call_id, want[i].cid);
		CHECK_INT(c.recs[i]->disposition, want[i].disp);
		CHECK_INT(c.recs[i]->end_us, want[i].end);
		CHECK_INT(c.recs[i]->final_code, want[i].final_code);
		CHECK_INT(c.recs[i]->truncated, want[i].truncated);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Timer B (RFC 3261 §17.1.1.2, 64*T1 = 32 s): an INVITE that got no
 * response at all is closed 32 s after it only when its destination was
 * heard sending responses (a two-way tap), at most 32 s before it or
 * later; a late response is then absorbed and counted, with no second
 * record.  A one-way tap, a destination never heard, or heard only long
 * before, keeps the setup timeout (300 s).  Table-driven: each row is one
 * table with one unanswered INVITE at T0 + 100 s.
 */
static void test_timer_b(void)
{
	/* a legit call, host 1 -> host 2, whose responses (from 2) prove the tap two-way */
	static const struct tcall legit = { "tb-legit", "11", NULL, "ta", "21", "ua", 1, 2, 5060, 5060 };
	static const struct tcall to2 = { "tb-flood", "12", NULL, "tf", "22", NULL, 3, 2, 5060, 5060 };
	static const struct tcall to4 = { "tb-flood", "12", NULL, "tf", "22", NULL, 3, 4, 5060, 5060 };
	static const struct {
		const char *what;
		const struct tcall *flood;
		int64_t legit_at;      /* < 0: no legit call (nothing heard) */
		bool one_way;          /* the legit call's requests only */
		int64_t wait;          /* noresponse_timeout_us */
		bool closed_at_32;
	} rows[] = {
		/* answered() has responses from 10 ms to 5 s after its start */
		{ "two-way, heard 25 s before", &to2, 70 * SEC, false, 32 * SEC, true },
		{ "two-way, heard after it", &to2, 110 * SEC, false, 32 * SEC, true },
		{ "heard 35 s before only", &to2, 60 * SEC, false, 32 * SEC, false },
		{ "heard 85 s before only", &to2, 10 * SEC, false, 32 * SEC, false },
		{ "one-way tap", &to2, 95 * SEC, true, 32 * SEC, false },
		{ "nothing heard", &to2, -1, false, 32 * SEC, false },
		{ "another destination heard", &to4, 95 * SEC, false, 32 * SEC, false },
		{ "Timer B off", &to2, 95 * SEC, false, 0, false },
	};
	const int64_t inv = T0 + 100 * SEC;
	struct ct_call_record *r;
	struct ct_dialog_cfg cfg;
	struct ct_dialog_table *t;
	struct collector c;
	size_t i, k;
	int failed;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		failed = ct_t_fail;
		ct_dialog_cfg_default(&cfg);
		CHECK_INT(cfg.noresponse_timeout_us, 32 * SEC);
		cfg.noresponse_timeout_us = rows[i].wait;
		t = table(&c, &cfg);
		if (rows[i].legit_at >= 0 && rows[i].legit_at < 100 * SEC)
			rows[i].one_way ? invite(t, &legit, 1, T0 + rows[i].legit_at, NULL)
			    : answered(t, &legit, T0 + rows[i].legit_at);
		invite(t, rows[i].flood, 1, inv, NULL);
		invite(t, rows[i].flood, 1, inv + 500 * MS, NULL);   /* retransmission */
		if (rows[i].legit_at >= 100 * SEC)
			answered(t, &legit, T0 + rows[i].legit_at);
		ct_dialog_expire(t, inv + 32 * SEC - 1);
		r = NULL;
		for (k = 0; k < c.n; k++)
			if (strcmp(c.recs[k]->call_id, "tb-flood") == 0)
				r = c.recs[k];
		CHECK(r == NULL);
		ct_dialog_expire(t, inv + 32 * SEC);
		for (k = 0; k < c.n; k++)
			if (strcmp(c.recs[k]->call_id, "tb-flood") == 0)
				r = c.recs[k];
		if (rows[i].closed_at_32) {
			CHECK(r != NULL);
			if (r != NULL) {
				CHECK_INT(r->disposition, CT_DISP_UNFINISHED);
				CHECK_INT(r->truncated, 1);
				CHECK_INT(r->end_us, inv);
				CHECK_INT(r->final_code, 0);
				CHECK_STR(r->hangup_reason, "no response (timer B)");
			}
			CHECK_INT(stats(t).noresponse_timeouts, 1);
			CHECK_INT(stats(t).ghosts, 1);   /* lingers without its dialog */
			/* a late 200 while it lingers: absorbed, counted */
			rsp_a(t, rows[i].flood, 200, "OK", "INVITE", 1, inv + 40 * SEC, NULL);
			CHECK_INT(stats(t).late_responses, 1);
			/* and after its linger: an orphan, not a call in progress */
			ct_dialog_expire(t, inv + 80 * SEC);
			rsp_a(t, rows[i].flood, 200, "OK", "INVITE", 1, inv + 81 * SEC, NULL);
			CHECK_INT(stats(t).late_responses, 1);
		} else {
			CHECK(r == NULL);
			CHECK_INT(stats(t).noresponse_timeouts, 0);
			/* the setup timeout, as before */
			ct_dialog_expire(t, inv + 500 * MS + 300 * SEC);
			for (k = 0; k < c.n; k++)
				if (strcmp(c.recs[k]->call_id, "tb-flood") == 0)
					r = c.recs[k];
			CHECK(r != NULL);
			if (r != NULL)
				CHECK_STR(r->hangup_reason, "no final response");
		}
		ct_dialog_flush(t);
		for (k = 0, r = NULL; k < c.n; k++)
			if (strcmp(c.recs[k]->call_id, "tb-flood") == 0)
				CHECK(r == NULL && (r = c.recs[k]) != NULL);   /* one record */
		if (ct_t_fail != failed)
			fprintf(stderr, "test_timer_b: row %zu (%s)\n", i, rows[i].what);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * Timer B's memory of responders (1,024 addresses) forgets the one that
 * responded least recently, whatever the table's random key: the PBX heard
 * before 1,023 other responders still proves the tap two-way, before 1,024
 * it is forgotten (the setup timeout decides).  Each row runs on several
 * tables (so under several random keys) with the same outcome.  A
 * direct-mapped memory let a colliding responder take the PBX's slot in
 * about 1 run in 100 (threads.sh compared two runs: calls_timed_out 5000 vs
 * 4523).
 */
static void test_timer_b_responders(void)
{
	static const struct tcall legit = { "tr-legit", "11", NULL, "ta", "21", "ua", 1, 2, 5060, 5060 };
	static const struct tcall flood = { "tr-flood", "12", NULL, "tf", "22", NULL, 3, 2, 5060, 5060 };
	static const struct tcall other = { "tr-other", "13", NULL, "to", "23", "uo", 5, 6, 5060, 5060 };
	static const struct {
		unsigned others;       /* responders after the PBX */
		bool timer_b;
	} rows[] = { { 0, true }, { 1023, true }, { 1024, false }, { 5000, false } };
	const int64_t inv = T0 + 101 * SEC;
	struct ct_call_record *r;
	struct ct_dialog_table *t;
	struct collector c;
	struct ct_sip_msg m;
	size_t i, k, run;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (run = 0; run < 8; run++) {
			t = table(&c, NULL);
			answered(t, &legit, T0 + 95 * SEC);
			for (k = 0; k < rows[i].others; k++) {
				base(&m, &other, T0 + 100 * SEC + (int64_t)k, false, &none);
				m.t.src.a[1] = 1;
				m.t.src.a[2] = (uint8_t)(k >> 8);
				m.t.src.a[3] = (uint8_t)k;
				m.status = 200;
				m.reason_phrase = (char *)"OK";
				snprintf(m.cseq_method, sizeof(m.cseq_method), "OPTIONS");
				m.cseq = 1;
				ct_dialog_on_msg(t, &m);
			}
			invite(t, &flood, 1, inv, NULL);
			ct_dialog_expire(t, inv + 32 * SEC);
			for (k = 0, r = NULL; k < c.n; k++)
				if (strcmp(c.recs[k]->call_id, "tr-flood") == 0)
					r = c.recs[k];
			CHECK_INT(r != NULL, rows[i].timer_b);
			CHECK_INT(stats(t).noresponse_timeouts, rows[i].timer_b);
			if (r != NULL)
				CHECK_STR(r->hangup_reason, "no response (timer B)");
			ct_dialog_flush(t);
			ct_dialog_table_free(t);
			collector_fini(&c);
		}
	}
}

/* ---- calls already in progress and one-way mirrors ------------------------ */

/* The expected record of call c seen from start on, its start not seen. */
static void expect_partial(struct ct_call_record *e, const struct tcall *c, int64_t start)
{
	expect(e, c, start);
	e->start_unseen = true;
	e->invites = 0;
}

/*
 * A capture that starts in the middle of answered calls: only the BYE and
 * its 200 (callee hangs up: the From of the first message is taken as the
 * caller, so the roles are swapped and the record says so consistently),
 * and a re-INVITE/200/ACK then BYE/200 (the caller's re-INVITE first).
 */
static void test_partial_answered(void)
{
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	req_b(t, &call1, "BYE", 7001, T0, NULL);
	rsp_b(t, &call1, 200, "BYE", 7001, T0 + 2 * MS, NULL);
	req_a(t, &call2, "INVITE", 5, T0 + 1 * SEC, true, &sdp);
	rsp_a(t, &call2, 200, "OK", "INVITE", 5, T0 + 1 * SEC + 30 * MS, &sdp);
	req_a(t, &call2, "ACK", 5, T0 + 1 * SEC + 40 * MS, true, NULL);
	req_b(t, &call2, "BYE", 9, T0 + 61 * SEC, NULL);
	rsp_b(t, &call2, 200, "BYE", 9, T0 + 61 * SEC + 5 * MS, NULL);
	CHECK_INT(c.starts, 0);          /* no call_start event for a call in progress */
	CHECK_INT(c.media, 2);           /* the re-INVITE's and the 200's SDP */
	CHECK_INT(stats(t).orphan_messages, 2);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	CHECK_INT(stats(t).partial_calls, 2);
	CHECK_INT(stats(t).partial_discarded, 0);
	/* call 1: B's BYE first, so B is the caller of the record */
	memset(&e, 0, sizeof(e));
	expect_partial(&e, &call1, T0);
	e.caller = (char *)"5550100";
	e.caller_name = NULL;
	e.callee = (char *)"1001";
	e.agent = (char *)"1001";
	e.src_ip = host(call1.b_host);
	e.dst_ip = host(call1.a_host);
	e.src_port = call1.b_port;
	e.dst_port = call1.a_port;
	e.end_us = T0;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	if (c.n > 0) {
		CHECK(ct_record_talk_s(c.recs[0]) == 0.0);  /* answered before the capture */
		CHECK_INT(ct_record_answer_ms(c.recs[0]), -1);
	}
	/* call 2: the re-INVITE's 2xx is no answer (answered before); callee hangs up */
	expect_partial(&e, &call2, T0 + 1 * SEC);
	e.invites = 1;
	e.end_us = T0 + 61 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 1 ? c.recs[1] : NULL, &e);
	if (c.n > 1)
		CHECK(ct_record_talk_s(c.recs[1]) == 60.0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * Cut after the INVITE: a 180 ties A to the caller, then 486 (busy) and the
 * ACK.  A 487 alone with its ACK: cancelled by the caller.
 */
static void test_partial_failures(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0, NULL);
	rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 3 * SEC, NULL);
	req_a(t, &call1, "ACK", 1, T0 + 3 * SEC + 1 * MS, true, NULL);
	rsp_a(t, &call2, 487, "Request Terminated", "INVITE", 1, T0 + 4 * SEC, NULL);
	req_a(t, &call2, "ACK", 1, T0 + 4 * SEC + 1 * MS, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	expect_partial(&e, &call1, T0);
	e.ringing_us = T0;
	e.end_us = T0 + 3 * SEC;
	e.final_code = 486;
	e.disposition = CT_DISP_BUSY;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"Busy Here";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	expect_partial(&e, &call2, T0 + 4 * SEC);
	e.end_us = T0 + 4 * SEC;
	e.final_code = 487;
	e.disposition = CT_DISP_CANCELLED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"Request Terminated";
	e.agent = (char *)"1002";   /* the calling extension (5550101 is not one) */
	CHECK_REC(c.n > 1 ? c.recs[1] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The roles: a first message that ties nothing (B's INFO) makes B the
 * caller; a later 183 to INVITE, whose From is A, sets them again.
 */
static void test_partial_roles(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	req_b(t, &call1, "INFO", 3, T0, NULL);
	rsp_a(t, &call1, 183, "Session Progress", "INVITE", 1, T0 + 1 * SEC, NULL);
	req_a(t, &call1, "BYE", 2, T0 + 9 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	expect_partial(&e, &call1, T0);
	e.end_us = T0 + 9 * SEC;
	e.disposition = CT_DISP_ANSWERED;   /* INFO: in an answered dialog */
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * What is not a call: a lone BYE (no response within the capture), a BYE
 * answered 481, a lone ACK timing out, a REGISTER/OPTIONS, a 401, and an
 * INFO, REFER, BYE or UPDATE without a To tag (outside any dialog: a
 * scanner's) with its 200.  None is recorded; each one opened is counted
 * as discarded.
 */
static void test_partial_not_calls(void)
{
	static const struct tcall scan = { "scan@x", "100", NULL, "s1", "200", "s2", 7, 8, 5060, 5060 };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	req_a(t, &call1, "BYE", 2, T0, true, NULL);
	req_a(t, &call1, "BYE", 2, T0 + 500 * MS, true, NULL);   /* retransmission: no evidence */
	req_a(t, &call2, "BYE", 2, T0, true, NULL);
	rsp_a(t, &call2, 481, "Call/Transaction Does Not Exist", "BYE", 2, T0 + 1 * MS, NULL);
	req_a(t, &scan, "ACK", 1, T0, true, NULL);
	req_a(t, &scan, "OPTIONS", 2, T0, true, NULL);           /* not call traffic */
	CHECK_INT(stats(t).active, 1);                            /* the ACK's: answered state */
	ct_dialog_expire(t, T0 + 400 * SEC);                      /* media timeout */
	CHECK_INT(stats(t).active, 0);
	rsp_a(t, &call1, 407, "Proxy Authentication Required", "INVITE", 9, T0 + 500 * SEC, NULL);
	CHECK_INT(stats(t).active, 0);                            /* a 401/407 opens nothing */
	{
		static const struct tcall ood[4] = {
			{ "ood1@x", "100", NULL, "o1", "200", "p1", 7, 8, 5060, 5060 },
			{ "ood2@x", "100", NULL, "o2", "200", "p2", 7, 8, 5060, 5060 },
			{ "ood3@x", "100", NULL, "o3", "200", "p3", 7, 8, 5060, 5060 },
			{ "ood4@x", "100", NULL, "o4", "200", "p4", 7, 8, 5060, 5060 },
		};
		static const char *const meth[4] = { "INFO", "REFER", "BYE", "UPDATE" };
		size_t open_before;
		int i;

		for (i = 0; i < 4; i++) {
			open_before = stats(t).active;
			req_a(t, &ood[i], meth[i], 1, T0 + 600 * SEC, false, NULL);
			CHECK_INT(stats(t).active, open_before);  /* no To tag: opens nothing */
			/* its 200 opens an unproven call: one message, never recorded */
			rsp_a(t, &ood[i], 200, "OK", meth[i], 1, T0 + 600 * SEC + 1 * MS, NULL);
			/* the next request outside the dialog is no evidence either */
			req_a(t, &ood[i], meth[i], 2, T0 + 601 * SEC, false, NULL);
		}
	}
	ct_dialog_flush(t);
	CHECK_INT(c.n, 0);
	if (c.n > 0)
		fprintf(stderr, "recorded %s\n", c.recs[0]->call_id);
	CHECK_INT(stats(t).calls, 0);
	CHECK_INT(stats(t).partial_discarded, 7);
	CHECK_INT(stats(t).retransmissions, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A flood of random in-dialog requests in a small table: it never evicts a
 * real call (a full table makes room only by dropping its own oldest
 * unproven call), and a new INVITE evicts one of its unproven calls
 * (noresponse class) without a record.
 */
static void test_partial_flood(void)
{
	struct ct_dialog_cfg cfg;
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_call_record e;
	char cid[32];
	int i;

	ct_dialog_cfg_default(&cfg);
	cfg.max_dialogs = 4;
	t = table(&c, &cfg);
	answered(t, &call1, T0);
	for (i = 0; i < 1000; i++) {
		struct tcall f = { cid, "9", NULL, "ft", "8", "tt", 5, 6, 5060, 5060 };

		snprintf(cid, sizeof(cid), "flood-%d", i);
		req_a(t, &f, i % 2 ? "ACK" : "BYE", 1, T0 + 6 * SEC + i * MS, true, NULL);
		CHECK(stats(t).active <= 4);
	}
	CHECK_INT(stats(t).active, 4);             /* call 1 and the three latest ACKs */
	CHECK_INT(stats(t).evicted[CT_EVICT_ACTIVE], 0);
	CHECK_INT(stats(t).dropped, 0);            /* the flood cycles through its own slots */
	CHECK_INT(stats(t).orphan_messages, 1000);
	invite(t, &call2, 1, T0 + 10 * SEC, NULL); /* evicts an unproven flood call */
	CHECK_INT(stats(t).evicted[CT_EVICT_NORESPONSE], 1);
	req_a(t, &call1, "BYE", 2, T0 + 20 * SEC, true, NULL);
	ct_dialog_flush(t);
	CHECK_INT(stats(t).calls, 2);               /* call 1 and call 2, nothing of the flood */
	CHECK_INT(stats(t).partial_calls, 0);
	CHECK_INT(stats(t).partial_discarded, 1000);
	CHECK_INT(c.n, 2);
	expect_answered(&e, &call1, T0);
	e.end_us = T0 + 20 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 1 ? c.recs[1] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * The memory of the calls (ct_dialog_bytes, the engine's memory budget):
 * it grows with each call, more for one whose strings do not fit its
 * inline room (heap), and is back to nothing once every call is written
 * and gone (ghosts are not counted).
 */
static void test_dialog_bytes(void)
{
	static const struct tcall big = {
		"a-Call-ID-of-one-hundred-and-twenty-eight-bytes-0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789@long.example",
		"+12025550123012345678901234567890123456789",
		"A display name long enough that the inline room of the call is full",
		"a-from-tag-of-some-length-0123456789", "+4930123456789012345678901234567890",
		"a-to-tag", 9, 2, 5060, 5060
	};
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	size_t b0, b1, b2;

	b0 = ct_dialog_bytes(t);
	CHECK_INT(b0, 0);
	invite(t, &call1, 1, T0, NULL);
	b1 = ct_dialog_bytes(t);
	CHECK(b1 > b0);
	invite(t, &call2, 1, T0 + 1 * MS, NULL);
	b2 = ct_dialog_bytes(t);
	CHECK_INT(b2 - b1, b1 - b0);            /* two calls alike cost alike */
	invite(t, &big, 1, T0 + 2 * MS, NULL);
	rsp_a(t, &big, 180, "Ringing", "INVITE", 1, T0 + 3 * MS, NULL);
	CHECK(ct_dialog_bytes(t) - b2 > b1 - b0 + 100);   /* its strings on the heap */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 3);
	CHECK_INT(ct_dialog_bytes(t), 0);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * What the memory budget frees first (ct_dialog_shed): an open call of the
 * cheap kinds that waited a second (here an answer with no ACK nor RTP),
 * then a call lingering whole (a call in progress, BYE and 200 seen), then
 * the least recently active open call.  A call a few milliseconds old
 * without a response goes after an older ringing one (no step 4 for
 * memory).  A forked call evicted lingers as a ghost, not whole.
 */
static void test_shed(void)
{
	static const struct tcall c3 = { "shed-3@x", "1003", NULL, "a3", "5550103", "b3", 4, 2, 5060, 5062 };
	static const struct tcall c4 = { "shed-4@x", "1004", NULL, "a4", "5550104", "b4", 5, 2, 5060, 5062 };
	static const struct tcall k1 = { "shed-fk@p", "+15550001", NULL, "ta", "600", "t4", 1, 2, 5060, 5060 };
	static const struct tcall k3 = { "shed-fk@p", "+15550001", NULL, "ta", "201", "t3", 2, 3, 5060, 5060 };
	static const struct tcall k4 = { "shed-fk@p", "+15550001", NULL, "ta", "202", "t4", 2, 4, 5060, 5060 };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	invite(t, &call1, 1, T0, NULL);                                   /* bare answer */
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 1 * SEC, NULL);
	invite(t, &call2, 1, T0 + 2 * SEC, NULL);                        /* ringing */
	rsp_a(t, &call2, 180, "Ringing", "INVITE", 1, T0 + 2 * SEC + 10 * MS, NULL);
	req_a(t, &c3, "BYE", 2, T0 + 3 * SEC, true, NULL);               /* in progress */
	rsp_a(t, &c3, 200, "OK", "BYE", 2, T0 + 3 * SEC + 5 * MS, NULL);
	invite(t, &c4, 1, T0 + 5 * SEC, NULL);                           /* 5 ms old at the shed */
	CHECK_INT(stats(t).active, 3);
	CHECK(ct_dialog_shed(t, T0 + 5 * SEC + 5 * MS, NULL));
	CHECK_INT(stats(t).evicted[CT_EVICT_IDLE], 1);
	CHECK_INT(stats(t).evicted_for_memory, 1);
	CHECK_INT(stats(t).linger_cut, 0);
	CHECK(ct_dialog_shed(t, T0 + 5 * SEC + 5 * MS, NULL));
	CHECK_INT(stats(t).linger_cut, 1);                               /* the call in progress */
	CHECK_INT(stats(t).active, 2);
	CHECK(ct_dialog_shed(t, T0 + 5 * SEC + 5 * MS, NULL));
	CHECK_INT(stats(t).evicted[CT_EVICT_ACTIVE], 1);                 /* the ringing call 2 ... */
	CHECK_INT(stats(t).evicted[CT_EVICT_NORESPONSE], 0);             /* ... not the new call 4 */
	CHECK_INT(stats(t).active, 1);
	CHECK(c.n >= 3 && strcmp(c.recs[c.n - 1]->call_id, "call-2@host") == 0);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* a forked call evicted becomes a ghost */
	t = table(&c, NULL);
	invite(t, &k1, 1, T0, NULL);
	invite(t, &k3, 1, T0 + 2 * MS, NULL);
	invite(t, &k4, 1, T0 + 3 * MS, NULL);
	rsp_a(t, &k3, 180, "Ringing", "INVITE", 1, T0 + 100 * MS, NULL);
	CHECK_INT(stats(t).active, 1);
	CHECK(ct_dialog_bytes(t) > 0);
	CHECK(ct_dialog_shed(t, T0 + 10 * SEC, NULL));
	CHECK_INT(stats(t).active, 0);
	CHECK_INT(stats(t).ghosts, 1);
	CHECK_INT(ct_dialog_bytes(t), 0);
	CHECK(!ct_dialog_shed(t, T0 + 10 * SEC, NULL));                  /* nothing left */
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * An ACK of the INVITE's CSeq with a branch of its own (as an ACK of a 2xx)
 * in a call whose responses the tap shows (a 180 was seen), while no final
 * response was: the 2xx was not seen, so the ACK proves nothing (a spoofer
 * on the caller's address made a ringing call answered at its time, and
 * the real 486, CANCEL or 200 then changed nothing).  The call goes on:
 * busy at the 486, cancelled at the CANCEL, answered at the 200.  Only a
 * BYE of the dialog before any final response (the capture lost the 2xx)
 * makes it answered at the ACK, as a one-way mirror's ACK does at once.
 */
static void test_ack_unseen_answer_two_way(void)
{
	const struct opt b2 = { .branch = "z9hG4bK-ack" };
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_call_record e;
	int round;

	for (round = 0; round < 4; round++) {
		t = table(&c, NULL);
		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 10 * MS, NULL);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
		req_a(t, &call1, "ACK", 1, T0 + 2 * SEC, true, &b2);
		expect(&e, &call1, T0);
		e.ringing_us = T0 + 1 * SEC;
		switch (round) {
		case 0:
			rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 6 * SEC, NULL);
			e.end_us = T0 + 6 * SEC;
			e.final_code = 486;
			e.disposition = CT_DISP_BUSY;
			e.hangup_by = CT_PARTY_CALLEE;
			e.hangup_reason = (char *)"Busy Here";
			break;
		case 1:
			req_a(t, &call1, "CANCEL", 1, T0 + 4 * SEC, false, NULL);
			rsp_a(t, &call1, 487, "Request Terminated", "INVITE", 1, T0 + 4 * SEC + 4 * MS,
			    NULL);
			e.end_us = T0 + 4 * SEC;
			e.final_code = 487;
			e.disposition = CT_DISP_CANCELLED;
			e.hangup_by = CT_PARTY_CALLER;
			e.hangup_reason = (char *)"CANCEL";
			break;
		case 2:
			rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 5 * SEC, NULL);
			req_a(t, &call1, "ACK", 1, T0 + 5 * SEC + 20 * MS, true, &b2);
			req_a(t, &call1, "BYE", 2, T0 + 20 * SEC, true, NULL);
			e.answer_us = T0 + 5 * SEC;
			e.final_code = 200;
			e.end_us = T0 + 20 * SEC;
			e.hangup_by = CT_PARTY_CALLER;
			e.hangup_reason = (char *)"BYE";
			break;
		default:
			/* the capture lost the 2xx: the BYE of the dialog proves it */
			req_a(t, &call1, "BYE", 2, T0 + 20 * SEC, true, NULL);
			e.answer_us = T0 + 2 * SEC;
			e.end_us = T0 + 20 * SEC;
			e.hangup_by = CT_PARTY_CALLER;
			e.hangup_reason = (char *)"BYE";
			break;
		}
		if (round >= 2)
			e.disposition = CT_DISP_ANSWERED;
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * One-way mirror, requests only (caller -> callee): the ACK of the 2xx
 * (a Via branch of its own) proves the answer, the ACK of a failure (the
 * INVITE's branch) the failure, after a CANCEL the cancellation.
 */
static void test_oneway_requests(void)
{
	static const struct tcall call3 = {
		"call-3@host", "1003", "Carol", "atag3", "5550102", "btag3", 4, 2, 5060, 5062
	};
	static const struct tcall call4 = {
		"call-4@host", "1004", "Dave", "atag4", "5550103", "btag4", 5, 2, 5060, 5062
	};
	const struct opt b1 = { .branch = "z9hG4bK-inv" }, b2 = { .branch = "z9hG4bK-ack" };
	const struct opt b3 = { .branch = "z9hG4bK-inv2" };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	invite(t, &call1, 1, T0, &b1);
	req_a(t, &call1, "ACK", 1, T0 + 5 * SEC, true, &b2);
	req_a(t, &call1, "BYE", 2, T0 + 65 * SEC, true, NULL);
	invite(t, &call2, 1, T0 + 1 * SEC, &b1);
	req_a(t, &call2, "ACK", 1, T0 + 8 * SEC, true, &b1);
	invite(t, &call3, 1, T0 + 2 * SEC, &b1);
	req_a(t, &call3, "CANCEL", 1, T0 + 4 * SEC, false, &b1);
	req_a(t, &call3, "ACK", 1, T0 + 4 * SEC + 5 * MS, true, &b1);
	/* an auth retry: the first ACK reuses the INVITE's branch, then a new INVITE */
	invite(t, &call4, 1, T0 + 3 * SEC, &b1);
	req_a(t, &call4, "ACK", 1, T0 + 3 * SEC + 10 * MS, true, &b1);
	invite(t, &call4, 2, T0 + 3 * SEC + 20 * MS, &b3);
	req_a(t, &call4, "ACK", 2, T0 + 6 * SEC, true, &b2);
	req_a(t, &call4, "BYE", 3, T0 + 9 * SEC, true, NULL);
	CHECK_INT(stats(t).inferred, 5);
	ct_dialog_expire(t, T0 + 8 * SEC + 300 * SEC - 1);
	CHECK_INT(c.n, 3);    /* call 2 waits as after a 401/407 */
	ct_dialog_expire(t, T0 + 8 * SEC + 300 * SEC);
	CHECK_INT(c.n, 4);
	/* emission order: the lingering calls in the order they ended (call 1 was fed first), then call 2's wait */
	expect(&e, &call3, T0 + 2 * SEC);
	e.end_us = T0 + 4 * SEC;
	e.disposition = CT_DISP_CANCELLED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"CANCEL";
	CHECK_REC(c.n > 1 ? c.recs[1] : NULL, &e);
	expect(&e, &call4, T0 + 3 * SEC);
	e.answer_us = T0 + 6 * SEC;
	e.end_us = T0 + 9 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	e.auth_challenges = 1;
	e.invites = 2;
	CHECK_REC(c.n > 2 ? c.recs[2] : NULL, &e);
	expect(&e, &call1, T0);
	e.answer_us = T0 + 5 * SEC;     /* the ACK: a round trip after the unseen 2xx */
	e.end_us = T0 + 65 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	expect(&e, &call2, T0 + 1 * SEC);
	e.end_us = T0 + 8 * SEC;
	e.disposition = CT_DISP_FAILED;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"final response not seen (ACK)";
	CHECK_REC(c.n > 3 ? c.recs[3] : NULL, &e);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 4);
	ct_dialog_table_free(t);
	collector_fini(&c);

	/* at the end of the input, the failure inferred from the ACK is not truncated */
	t = table(&c, NULL);
	invite(t, &call2, 1, T0, &b1);
	req_a(t, &call2, "ACK", 1, T0 + 8 * SEC, true, &b1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	expect(&e, &call2, T0);
	e.end_us = T0 + 8 * SEC;
	e.disposition = CT_DISP_FAILED;
	e.hangup_by = CT_PARTY_CALLEE;
	e.hangup_reason = (char *)"final response not seen (ACK)";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * One-way mirror, responses only (callee -> caller): the call starts at
 * its first response (start_seen false), the 180 and 200 time it, and the
 * 200 to the caller's unseen BYE ends it.
 */
/*
 * In a capture that shows both sides of a call (its INVITE and the
 * responses to it were seen), a 200 to a BYE or CANCEL that was not seen
 * answers a request nobody sent: the request would have come first.  A
 * spoofer on a party's address with the dialog's tags ended answered calls
 * so (round 0: as if the caller hung up, round 1: the callee), and made a
 * ringing call cancelled (round 2).  Nothing changes; counted in
 * responses_unmatched.  One-way mirrors keep the inference
 * (test_oneway_requests, test_oneway_responses).
 */
static void test_unseen_request_two_way(void)
{
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_call_record e;
	int round;

	for (round = 0; round < 3; round++) {
		t = table(&c, NULL);
		if (round < 2) {
			answered(t, &call1, T0);
			if (round == 0)
				rsp_a(t, &call1, 200, "OK", "BYE", 9, T0 + 30 * SEC, NULL);
			else
				rsp_b(t, &call1, 200, "BYE", 9, T0 + 30 * SEC, NULL);
			CHECK_INT(stats(t).active, 1);
			req_a(t, &call1, "BYE", 2, T0 + 60 * SEC, true, NULL);
			rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 60 * SEC + 5 * MS, NULL);
			expect_answered(&e, &call1, T0);
			e.end_us = T0 + 60 * SEC;
			e.disposition = CT_DISP_ANSWERED;
			e.hangup_by = CT_PARTY_CALLER;
			e.hangup_reason = (char *)"BYE";
		} else {
			invite(t, &call1, 1, T0, NULL);
			rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
			rsp_a(t, &call1, 200, "OK", "CANCEL", 1, T0 + 2 * SEC, NULL);
			rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 6 * SEC, NULL);
			expect(&e, &call1, T0);
			e.ringing_us = T0 + 1 * SEC;
			e.end_us = T0 + 6 * SEC;
			e.final_code = 486;
			e.disposition = CT_DISP_BUSY;
			e.hangup_by = CT_PARTY_CALLEE;
			e.hangup_reason = (char *)"Busy Here";
		}
		CHECK_INT(stats(t).responses_unmatched, 1);
		CHECK_INT(stats(t).inferred, 0);
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * A response claiming to be the INVITE's (its CSeq, the caller's From tag,
 * even the callee's To tag) whose top Via branch no copy of the INVITE had,
 * or that has no branch at all under the INVITE's RFC 3261 one (§17.1.3:
 * the caller's transaction does not take it), from the callee's own
 * address: a spoofer there made ringing calls busy, failed, redirected or
 * answered.  Ignored, not remembered as seen (the real response with the
 * same status has its key); counted in responses_unmatched.
 */
static void test_invite_response_wrong_branch(void)
{
	static const int forged[] = { 486, 200, 603, 302 };
	static const struct opt evil[] = { { .branch = "z9hG4bK-evil" }, { .branch = "" } };
	struct collector c;
	struct ct_dialog_table *t;
	struct ct_call_record e;
	size_t i;

	for (i = 0; i < 2 * sizeof(forged) / sizeof(forged[0]); i++) {
		t = table(&c, NULL);
		invite(t, &call1, 1, T0, NULL);
		rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
		rsp_a(t, &call1, forged[i / 2], "Forged", "INVITE", 1, T0 + 2 * SEC, &evil[i % 2]);
		CHECK_INT(stats(t).active, 1);
		CHECK_INT(stats(t).responses_unmatched, 1);
		rsp_a(t, &call1, 486, "Busy Here", "INVITE", 1, T0 + 6 * SEC, NULL);
		expect(&e, &call1, T0);
		e.ringing_us = T0 + 1 * SEC;
		e.end_us = T0 + 6 * SEC;
		e.final_code = 486;
		e.disposition = CT_DISP_BUSY;
		e.hangup_by = CT_PARTY_CALLEE;
		e.hangup_reason = (char *)"Busy Here";
		ct_dialog_flush(t);
		CHECK_INT(c.n, 1);
		CHECK_REC(c.n ? c.recs[0] : NULL, &e);
		ct_dialog_table_free(t);
		collector_fini(&c);
	}
}

/*
 * An in-dialog request of another dialog than the call's (a To tag that is
 * not the answer's, or a From tag that is neither party's: its receiver
 * refuses it with 481, RFC 3261 §12.2.2) from the caller's own address:
 * its SDP offer is no part of the call and never reaches the media stage
 * (a spoofer there offered its own media in a re-INVITE the PBX refused,
 * and its RTP became the call's streams and recording).  The call's own
 * re-INVITE and a forked answer's dialog still do.  Counted in
 * sdp_ignored.
 */
static void test_offer_not_of_dialog(void)
{
	const struct opt wrong = { .sdp = true, .to_tag = "wrong" };
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	unsigned before;
	size_t bytes;

	answered(t, &call1, T0);
	before = c.media;
	req_a(t, &call1, "INVITE", 2, T0 + 10 * SEC, true, &wrong);
	req_a(t, &call1, "UPDATE", 3, T0 + 11 * SEC, true, &wrong);
	CHECK_INT(c.media, before);
	CHECK_INT(stats(t).sdp_ignored, 2);
	bytes = ct_dialog_bytes(t);
	req_a(t, &call1, "INVITE", 4, T0 + 12 * SEC, true, &sdp);
	CHECK_INT(c.media, before);   /* an offer waits for its 2xx (offer_hold) */
	/* held, counted in the call's memory: its media lines (none here), not a whole SDP */
	CHECK(ct_dialog_bytes(t) > bytes);
	CHECK(ct_dialog_bytes(t) < bytes + sizeof(struct ct_sdp) / 8);
	bytes = ct_dialog_bytes(t);
	rsp_a(t, &call1, 200, "OK", "INVITE", 4, T0 + 12 * SEC + 5 * MS, NULL);
	CHECK_INT(c.media, before + 1);
	CHECK(ct_dialog_bytes(t) < bytes);   /* released */
	req_b(t, &call1, "UPDATE", 1, T0 + 13 * SEC, &sdp);
	rsp_b(t, &call1, 200, "UPDATE", 1, T0 + 13 * SEC + 5 * MS, NULL);
	CHECK_INT(c.media, before + 2);
	CHECK_INT(stats(t).sdp_ignored, 2);
	CHECK_INT(stats(t).active, 1);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A response with SDP to a re-INVITE or UPDATE that was not seen, from the
 * callee's address with the dialog's tags, in a capture that shows the
 * caller's requests: it answers a request nobody sent, and its SDP never
 * reaches the media stage (a spoofer answered with its own media, whose
 * RTP became the call's).  The answer to a re-INVITE seen still does.
 */
static void test_answer_unasked(void)
{
	const struct opt sdp = { .sdp = true };
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	unsigned before;

	answered(t, &call1, T0);
	before = c.media;
	rsp_a(t, &call1, 200, "OK", "INVITE", 9, T0 + 10 * SEC, &sdp);
	rsp_a(t, &call1, 200, "OK", "UPDATE", 10, T0 + 11 * SEC, &sdp);
	CHECK_INT(c.media, before);
	CHECK_INT(stats(t).sdp_ignored, 2);
	req_a(t, &call1, "INVITE", 4, T0 + 12 * SEC, true, &sdp);
	rsp_a(t, &call1, 200, "OK", "INVITE", 4, T0 + 12 * SEC + 50 * MS, &sdp);
	CHECK_INT(c.media, before + 2);
	CHECK_INT(stats(t).sdp_ignored, 2);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

static void count_refer(void *user, const char *call_id, const struct ct_sip_msg *m)
{
	(void)call_id;
	(void)m;
	(*(unsigned *)user)++;
}

static void drop_record(void *user, struct ct_call_record *rec)
{
	(void)user;
	ct_call_record_free(rec);
}

/*
 * A REFER of another dialog than the call's (tags: its receiver refuses it
 * with 481) from the caller's own address is no transfer of the call: the
 * refer hook (the legs stage links the transferred leg by it) is not told.
 * The call's own REFER is.
 */
static void test_refer_not_of_dialog(void)
{
	const struct opt wrong = { .to_tag = "wrong" };
	struct ct_dialog_hooks h = { drop_record, NULL, NULL, NULL, NULL, NULL, NULL, count_refer };
	struct ct_dialog_cfg cfg;
	struct ct_dialog_table *t;
	unsigned refers = 0;

	ct_dialog_cfg_default(&cfg);
	h.user = &refers;
	t = ct_dialog_table_new(&cfg, &h);
	answered(t, &call1, T0);
	req_a(t, &call1, "REFER", 2, T0 + 10 * SEC, true, &wrong);
	CHECK_INT(refers, 0);
	req_a(t, &call1, "REFER", 3, T0 + 11 * SEC, true, NULL);
	CHECK_INT(refers, 1);
	ct_dialog_flush(t);
	ct_dialog_table_free(t);
}

static void test_oneway_responses(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);
	struct ct_call_record e;

	rsp_a(t, &call1, 100, "Trying", "INVITE", 1, T0 + 10 * MS, NULL);
	rsp_a(t, &call1, 180, "Ringing", "INVITE", 1, T0 + 1 * SEC, NULL);
	rsp_a(t, &call1, 200, "OK", "INVITE", 1, T0 + 5 * SEC, NULL);
	rsp_a(t, &call1, 200, "OK", "BYE", 2, T0 + 65 * SEC, NULL);
	CHECK_INT(stats(t).inferred, 1);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 1);
	expect_partial(&e, &call1, T0 + 10 * MS);
	e.ringing_us = T0 + 1 * SEC;
	e.answer_us = T0 + 5 * SEC;
	e.final_code = 200;
	e.end_us = T0 + 65 * SEC;
	e.disposition = CT_DISP_ANSWERED;
	e.hangup_by = CT_PARTY_CALLER;
	e.hangup_reason = (char *)"BYE";
	CHECK_REC(c.n > 0 ? c.recs[0] : NULL, &e);
	ct_dialog_table_free(t);
	collector_fini(&c);
}

/*
 * A late BYE of a call already recorded (closed by the media timeout, its
 * linger over) opens no second record: the Call-ID is remembered.  Another
 * Call-ID's BYE and 200 still make a call in progress.
 */
static void test_partial_not_twice(void)
{
	struct collector c;
	struct ct_dialog_table *t = table(&c, NULL);

	answered(t, &call1, T0);
	ct_dialog_note_rtp(t, T0 + 300 * SEC);    /* the tap carries another call's RTP */
	ct_dialog_expire(t, T0 + 400 * SEC);      /* media timeout: recorded */
	ct_dialog_expire(t, T0 + 500 * SEC);      /* linger over: freed */
	CHECK_INT(c.n, 1);
	CHECK_INT(stats(t).active, 0);
	req_b(t, &call1, "BYE", 7001, T0 + 600 * SEC, NULL);
	rsp_b(t, &call1, 200, "BYE", 7001, T0 + 600 * SEC + 2 * MS, NULL);
	req_b(t, &call2, "BYE", 7001, T0 + 600 * SEC, NULL);
	rsp_b(t, &call2, 200, "BYE", 7001, T0 + 600 * SEC + 2 * MS, NULL);
	ct_dialog_flush(t);
	CHECK_INT(c.n, 2);
	CHECK_INT(stats(t).partial_calls, 1);
	if (c.n == 2) {
		CHECK_STR(c.recs[1]->call_id, call2.cid);
		CHECK(c.recs[1]->start_unseen);
		CHECK(!c.recs[0]->start_unseen);
	}
	ct_dialog_table_free(t);
	collector_fini(&c);
}

int main(void)
{
	test_pai_caller();
	test_agent();
	test_method_index();
	test_capture_drops();
	test_bye_caller();
	test_trail();
	test_skewed_answer();
	test_retry_after_failure();
	test_reused_call_id();
	test_bye_not_of_dialog();
	test_bye_doubted();
	test_bye_stale_cseq();
	test_hold_media_timeout();
	test_bye_callee_q850();
	test_failures();
	test_cancel_487();
	test_cancel_no_487();
	test_cancel_race();
	test_cancel_not_of_invite();
	test_response_no_branch_rfc2543();
	test_auth_retry();
	test_auth_retry_same_cseq();
	test_same_tags();
	test_callee_of();
	test_start_hook();
	test_auth_unseen();
	test_auth_only();
	test_retransmissions();
	test_late_ringing();
	test_late_ringing_forked();
	test_proxy_hops();
	test_proxy_copy_late();
	test_serial_hunt();
	test_serial_fork();
	test_serial_fork_emission();
	test_two_answers();
	test_forking();
	test_fork_branches();
	test_reinvite();
	test_prack_update();
	test_no_bye();
	test_unfinished();
	test_bye_unanswered();
	test_no_tags();
	test_non_call_and_orphans();
	test_max_dialogs();
	test_serial_fork_full();
	test_evict_idle();
	test_evict_young();
	test_linger_bound();
	test_media_timeout();
	test_caps();
	test_seen_and_reuse();
	test_colliding_call_ids();
	test_api_edges();
	test_many();
	test_closing_at_emission();
	test_zero_linger();
	test_emission_order();
	test_timer_b();
	test_timer_b_responders();
	test_partial_answered();
	test_partial_failures();
	test_partial_roles();
	test_partial_not_calls();
	test_partial_flood();
	test_dialog_bytes();
	test_shed();
	test_oneway_requests();
	test_ack_unseen_answer_two_way();
	test_unseen_request_two_way();
	test_invite_response_wrong_branch();
	test_offer_not_of_dialog();
	test_answer_unasked();
	test_refer_not_of_dialog();
	test_oneway_responses();
	test_partial_not_twice();
	return TEST_REPORT();
}
