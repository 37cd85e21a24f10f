/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The PBX legs stage (src/attr/legs.c): linking rules and their order,
 * ambiguity (no link, no ivr claim), rings and their outcomes, answered_by,
 * the wait bound for legs that end late, output order, no --home.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "calltap/sip.h"
#include "test.h"

#define SEC INT64_C(1000000)
#define T0 (INT64_C(1700000000) * SEC)

/* Records the stage let go, in order. */
struct out {
	struct ct_call_record *r[32];
	size_t n;
	size_t total;                 /* every record, kept or not */
};

static void on_out(void *user, struct ct_call_record *rec)
{
	struct out *o = user;

	o->total++;
	if (o->n < 32)
		o->r[o->n++] = rec;
	else
		ct_call_record_free(rec);
}

static void out_clear(struct out *o)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		ct_call_record_free(o->r[i]);
	o->n = 0;
}

/* 10.0.0.h is home (10.0.0.0/24); 192.0.2.h is the carrier. */
static struct ct_addr ip(bool home_side, uint8_t h)
{
	struct ct_addr a;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	a.a[0] = home_side ? 10 : 192;
	a.a[1] = home_side ? 0 : 0;
	a.a[2] = home_side ? 0 : 2;
	a.a[3] = h;
	return a;
}

static char *dup(const char *s)
{
	return s != NULL ? strdup(s) : NULL;
}

/* A record: from (home?, host) to (home?, host); answer/end offsets in seconds (-1: none). */
static struct ct_call_record *rec(const char *cid, const char *caller, const char *callee,
    bool src_home, uint8_t src, bool dst_home, uint8_t dst, double start, double answer,
    double end, enum ct_disposition disp)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));

	r->call_id = dup(cid);
	r->caller = dup(caller);
	r->callee = dup(callee);
	r->src_ip = ip(src_home, src);
	r->dst_ip = ip(dst_home, dst);
	r->start_us = T0 + llround(start * 1e6);
	r->answer_us = answer < 0 ? CT_TIME_NONE : T0 + llround(answer * 1e6);
	r->end_us = end < 0 ? CT_TIME_NONE : T0 + llround(end * 1e6);
	r->ringing_us = CT_TIME_NONE;
	r->disposition = disp;
	r->q850_cause = -1;
	r->direction = src_home && dst_home ? CT_DIR_INTERNAL : src_home ? CT_DIR_OUTBOUND :
	    dst_home ? CT_DIR_INBOUND : CT_DIR_UNKNOWN;
	if (answer >= 0 && callee != NULL && src_home)
		r->agent = dup(callee);
	return r;
}

/* Starts the call of r (the dialog's start hook) and keeps r for its end. */
static struct ct_call_record *start(struct ct_legs *l, struct ct_call_record *r)
{
	ct_legs_start(l, r);
	return r;
}

static struct ct_legs *stage(struct out *o, bool with_home)
{
	static struct ct_cidr home;
	struct ct_legs_cfg cfg;

	CHECK_INT(ct_cidr_parse(&home, "10.0.0.0/24"), CT_OK);
	ct_legs_cfg_default(&cfg);
	if (with_home) {
		cfg.home = &home;
		cfg.n_home = 1;
	}
	cfg.cc = "380";
	return ct_legs_new(&cfg, on_out, o);
}

static void test_voicemail_names(void)
{
	static const struct { const char *u; bool vm; } v[] = {
		{ "vm", true }, { "vm201", true }, { "VM-sales", true }, { "vm_1", true },
		{ "voicemail", true }, { "VoiceMail201", true }, { "vmail", true },
		{ "vmware", false }, { "201", false }, { "sales", false }, { NULL, false },
		{ "v", false }, { "", false },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_INT(ct_legs_is_voicemail(v[i].u), v[i].vm);
}

/* A ring group: one phone answers, the other is cancelled "elsewhere". */
static void test_ring_group(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t, *a, *b;
	struct ct_legs_stats st;

	t = start(l, rec("T1", "+380501112233", "0441234567", false, 1, true, 10, 0, 8, 60,
	    CT_DISP_ANSWERED));
	a = start(l, rec("L1", "0501112233", "201", true, 10, true, 101, 1, 7.5, 60,
	    CT_DISP_ANSWERED));
	b = start(l, rec("L2", "+380501112233", "202", true, 10, true, 102, 1.001, -1, 7.6,
	    CT_DISP_CANCELLED));
	b->hangup_reason = dup("Call completed elsewhere");
	ct_legs_put(l, b, T0 + 40 * SEC);
	CHECK_INT(o.n, 0);
	ct_legs_put(l, t, T0 + 92 * SEC);
	CHECK_INT(o.n, 0);                       /* waits for L1 */
	ct_legs_put(l, a, T0 + 92 * SEC);
	CHECK_INT(o.n, 3);                       /* trunk first, then its legs in link order */
	if (o.n == 3) {
		CHECK_STR(o.r[0]->call_id, "T1");
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "agent");
		CHECK_STR(o.r[0]->agent, "201");
		CHECK_INT(o.r[0]->n_rings, 2);
		CHECK_STR(o.r[0]->rings_json,
		    "[{\"agent\":\"201\",\"call_id\":\"L1\",\"ring_start\":\"2023-11-14T22:13:21.000000Z\","
		    "\"ring_end\":\"2023-11-14T22:13:27.500000Z\",\"outcome\":\"answered\","
		    "\"pickup_ms\":6500,\"transferred_to\":null},{\"agent\":\"202\",\"call_id\":\"L2\","
		    "\"ring_start\":\"2023-11-14T22:13:21.001000Z\",\"ring_end\":"
		    "\"2023-11-14T22:13:27.600000Z\",\"outcome\":\"cancelled_elsewhere\","
		    "\"pickup_ms\":null,\"transferred_to\":null}]");
		CHECK(o.r[0]->parent_call_id == NULL);
		CHECK_STR(o.r[1]->call_id, "L1");
		CHECK_STR(o.r[1]->parent_call_id, "T1");
		CHECK_STR(o.r[2]->call_id, "L2");
		CHECK_STR(o.r[2]->parent_call_id, "T1");
		CHECK(o.r[1]->answered_by == CT_ANS_NONE && o.r[1]->rings_json == NULL);
	}
	out_clear(&o);
	/* Then the PBX (10.0.0.10) is known: a call it answers alone is the IVR. */
	t = start(l, rec("T2", "+380507777777", "0441234567", false, 1, true, 10, 100, 100.5, 130,
	    CT_DISP_ANSWERED));
	t->agent = dup("ivr");
	ct_legs_put(l, t, T0 + 162 * SEC);
	CHECK_INT(o.n, 1);
	if (o.n == 1) {
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "ivr");
		CHECK(o.r[0]->agent == NULL && o.r[0]->missed && o.r[0]->n_rings == 0);
	}
	out_clear(&o);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.trunk_calls, 2);
	CHECK_INT(st.legs_linked, 2);
	CHECK_INT(st.by_caller, 2);
	ct_legs_free(l);
}

/*
 * Rules in order: the correlation header beats the caller number; a
 * withheld caller is linked only by the header; Diversion links a forward
 * whose caller ID is the company's; a number that matches two open calls
 * links nothing and keeps both from `ivr`.
 */
static void test_rules(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *t2, *t3, *g1, *g2, *g3, *w1, *w2, *wl;
	struct ct_legs_stats st;

	t1 = start(l, rec("A1", "anonymous", "0441230001", false, 1, true, 10, 0, 5, 50,
	    CT_DISP_ANSWERED));
	t2 = start(l, rec("A2", "+380501110000", "0441230002", false, 1, true, 10, 0.5, 6, 50,
	    CT_DISP_ANSWERED));
	g1 = rec("B1", "+380501110000", "203", true, 10, true, 103, 1, 5, 50, CT_DISP_ANSWERED);
	g1->link_id = dup("A1");                  /* header names A1, the number A2 */
	start(l, g1);
	g2 = rec("B2", "anonymous", "204", true, 10, true, 104, 1, -1, 3, CT_DISP_NOANSWER);
	start(l, g2);                             /* withheld, no header: not linked */
	t3 = start(l, rec("A3", "+380502220000", "0441230003", false, 1, true, 10, 2, 4, 40,
	    CT_DISP_ANSWERED));
	g3 = rec("B3", "+380441111111", "+380671234567", true, 10, false, 1, 3, 4, 40,
	    CT_DISP_ANSWERED);
	g3->diverted_from = dup("0441230003");
	start(l, g3);
	/* the same caller twice at once: a leg matches both */
	w1 = start(l, rec("W1", "+380503330000", "0441230004", false, 1, true, 10, 10, 11, 30,
	    CT_DISP_ANSWERED));
	w2 = start(l, rec("W2", "+380503330000", "0441230004", false, 1, true, 10, 12, 13, 30,
	    CT_DISP_ANSWERED));
	wl = start(l, rec("WL", "+380503330000", "205", true, 10, true, 105, 14, 15, 30,
	    CT_DISP_ANSWERED));
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_header, 1);
	CHECK_INT(st.by_diversion, 1);
	CHECK_INT(st.by_caller, 0);
	CHECK_INT(st.ambiguous, 1);
	ct_legs_put(l, g2, T0 + 35 * SEC);        /* not a leg: straight out */
	CHECK_INT(o.n, 1);
	ct_legs_put(l, wl, T0 + 62 * SEC);
	ct_legs_put(l, w1, T0 + 62 * SEC);
	ct_legs_put(l, w2, T0 + 62 * SEC);
	CHECK_INT(o.n, 4);
	if (o.n == 4) {
		CHECK(o.r[0]->parent_call_id == NULL && o.r[1]->parent_call_id == NULL);
		/* the PBX is known (B1), but the leg matched both calls: never ivr */
		CHECK_STR(ct_answered_by_name(o.r[2]->answered_by), "unknown");
		CHECK_STR(ct_answered_by_name(o.r[3]->answered_by), "unknown");
	}
	out_clear(&o);
	ct_legs_put(l, g1, T0 + 82 * SEC);
	ct_legs_put(l, t1, T0 + 82 * SEC);
	ct_legs_put(l, t2, T0 + 82 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->call_id, "A1");
		CHECK_STR(o.r[0]->agent, "203");
		CHECK_STR(o.r[1]->parent_call_id, "A1");
		CHECK_STR(o.r[2]->call_id, "A2");
		CHECK_STR(ct_answered_by_name(o.r[2]->answered_by), "ivr");  /* PBX known now */
	}
	out_clear(&o);
	ct_legs_put(l, t3, T0 + 72 * SEC);
	ct_legs_put(l, g3, T0 + 72 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2) {
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "external");
		CHECK(o.r[0]->agent == NULL && !o.r[0]->missed && o.r[0]->n_rings == 0);
		CHECK_STR(o.r[1]->parent_call_id, "A3");
	}
	out_clear(&o);
	ct_legs_free(l);
}

/*
 * A leg whose record comes after the wait: the trunk call is written
 * without it (ring outcome unknown), the leg later on its own; flush
 * writes what is still held.
 */
static void test_wait_bound(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t, *g, *t2, *g2;
	struct ct_legs_stats st;

	t = start(l, rec("T", "+380501234567", "0441234567", false, 1, true, 10, 0, 2, 20,
	    CT_DISP_ANSWERED));
	g = start(l, rec("G", "+380501234567", "201", true, 10, true, 101, 1, 2, 20,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, t, T0 + 52 * SEC);
	ct_legs_expire(l, T0 + 111 * SEC);
	CHECK_INT(o.n, 0);
	ct_legs_expire(l, T0 + 112 * SEC);
	CHECK_INT(o.n, 1);
	if (o.n == 1) {
		CHECK_INT(o.r[0]->n_rings, 1);
		if (o.r[0]->n_rings == 1) {
			CHECK_INT(o.r[0]->rings[0].outcome, CT_RING_UNKNOWN);
			CHECK(o.r[0]->rings[0].end_us == CT_TIME_NONE);
		}
		/* a leg's outcome is missing: never ivr */
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "unknown");
	}
	ct_legs_put(l, g, T0 + 120 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2)
		CHECK(o.r[1]->parent_call_id == NULL);
	out_clear(&o);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.released_by_wait, 1);
	CHECK_INT(st.legs_late, 1);
	/* end of input: the held trunk call and its leg go out, in that order */
	t2 = start(l, rec("T2", "+380501234568", "0441234567", false, 1, true, 10, 200, -1, 210,
	    CT_DISP_CANCELLED));
	g2 = start(l, rec("G2", "+380501234568", "201", true, 10, true, 101, 201, -1, 210,
	    CT_DISP_CANCELLED));
	ct_legs_put(l, g2, T0 + 242 * SEC);
	ct_legs_flush(l);
	CHECK_INT(o.n, 1);                        /* T2's record never came: its leg alone */
	if (o.n == 1)
		CHECK(o.r[0]->parent_call_id == NULL);
	out_clear(&o);
	ct_call_record_free(t2);
	ct_legs_free(l);
}

/*
 * A quick redial: the first call ended (the dialog's ended hook) but its
 * record still lingers; the second call's leg links to the second call,
 * not "ambiguous".
 */
static void test_redial(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *t2, *g;
	struct ct_legs_stats st;

	t1 = start(l, rec("R1", "+380509990000", "0441234567", false, 1, true, 10, 0, -1, 10,
	    CT_DISP_CANCELLED));
	ct_legs_ended(l, t1);
	t2 = start(l, rec("R2", "+380509990000", "0441234567", false, 1, true, 10, 15, 20, 40,
	    CT_DISP_ANSWERED));
	g = start(l, rec("RG", "+380509990000", "201", true, 10, true, 101, 16, 19.5, 40,
	    CT_DISP_ANSWERED));
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.ambiguous, 0);
	CHECK_INT(st.by_caller, 1);
	ct_legs_put(l, t1, T0 + 42 * SEC);
	ct_legs_put(l, g, T0 + 72 * SEC);
	ct_legs_put(l, t2, T0 + 72 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->call_id, "R1");
		CHECK_STR(o.r[1]->call_id, "R2");
		CHECK_STR(o.r[1]->agent, "201");
		CHECK_STR(o.r[2]->parent_call_id, "R2");
	}
	out_clear(&o);
	ct_legs_free(l);
}

/* No --home: nothing is linked; answered inbound (or unknown) calls are unknown. */
static void test_no_home(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, false);
	struct ct_call_record *t, *u;

	t = start(l, rec("T", "+380501234567", "0441234567", false, 1, true, 10, 0, 2, 20,
	    CT_DISP_ANSWERED));
	t->direction = CT_DIR_UNKNOWN;
	u = start(l, rec("U", "+380501234567", "0441234567", false, 1, true, 10, 0, -1, 20,
	    CT_DISP_NOANSWER));
	u->direction = CT_DIR_UNKNOWN;
	ct_legs_put(l, t, T0 + 52 * SEC);
	ct_legs_put(l, u, T0 + 52 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2) {
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "unknown");
		CHECK(o.r[1]->answered_by == CT_ANS_NONE);
	}
	out_clear(&o);
	ct_legs_free(l);
	ct_legs_free(NULL);
}

/* A REFER in call cid at offset at (s): Refer-To user to, Replaces call replaces. */
static void refer(struct ct_legs *l, const char *cid, double at, const char *to,
    const char *replaces)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.ts_us = T0 + llround(at * 1e6);
	m.is_request = true;
	strcpy(m.method, "REFER");
	m.refer_to_user = (char *)to;
	m.refer_replaces = (char *)replaces;
	ct_legs_refer(l, cid, &m);
}

/* The ring of o.r[0] for leg call_id: its transferred_to ("-": no such ring). */
static const char *xfer(const struct out *o, const char *call_id)
{
	size_t i;

	for (i = 0; o->n > 0 && i < o->r[0]->n_rings; i++)
		if (strcmp(o->r[0]->rings[i].call_id, call_id) == 0)
			return o->r[0]->rings[i].transferred_to;
	return "-";
}

/*
 * Transfers: a blind transfer whose new leg only the REFER's Refer-To
 * links (withheld caller), an attended one (Replaces adopts the agent's
 * consultation call and the PBX's call to the consulted agent), one made
 * on the PBX without REFER (new leg while the agent was on the call, the
 * agent leaves first), and an agent who stays to the end (no transfer).
 */
static void test_transfers(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t, *a, *b, *c1, *c2, *x;
	struct ct_legs_stats st;

	/* blind: T1 withheld; A's leg has X-CID; B's leg nothing but the REFER */
	t = start(l, rec("T1", "anonymous", "0441234567", false, 1, true, 10, 0, 3, 60,
	    CT_DISP_ANSWERED));
	a = rec("A1", "anonymous", "201", true, 10, true, 101, 0.5, 2.9, 20.1, CT_DISP_ANSWERED);
	a->link_id = dup("T1");
	start(l, a);
	refer(l, "A1", 20, "202", NULL);
	b = start(l, rec("B1", "anonymous", "202", true, 10, true, 102, 20.05, 24, 60.1,
	    CT_DISP_ANSWERED));
	/* an unrelated leg to 202 of no call: not linked by the used REFER */
	x = start(l, rec("X1", "anonymous", "202", true, 10, true, 102, 21, -1, 25,
	    CT_DISP_CANCELLED));
	ct_legs_put(l, a, T0 + 52 * SEC);
	ct_legs_put(l, t, T0 + 92 * SEC);
	ct_legs_put(l, x, T0 + 92 * SEC);
	CHECK_INT(o.n, 1);               /* X1 passes through; T1 waits for B1 */
	out_clear(&o);
	ct_legs_put(l, b, T0 + 92 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->agent, "202");
		CHECK_INT(o.r[0]->n_rings, 2);
		CHECK_STR(xfer(&o, "A1"), "202");
		CHECK(xfer(&o, "B1") == NULL);
		CHECK_STR(o.r[2]->parent_call_id, "T1");
	}
	out_clear(&o);

	/* attended: A's phone (.101) consults 202 through the PBX (.10) */
	t = start(l, rec("T2", "+380501110000", "0441234567", false, 1, true, 10, 100, 103, 200,
	    CT_DISP_ANSWERED));
	a = start(l, rec("A2", "+380501110000", "201", true, 10, true, 101, 100.5, 102.9, 130.05,
	    CT_DISP_ANSWERED));
	c1 = start(l, rec("C1", "201", "202", true, 101, true, 10, 110, 115.01, 130.06,
	    CT_DISP_ANSWERED));
	CHECK_STR(c1->agent, "202");          /* the answering extension */
	c2 = start(l, rec("C2", "201", "202", true, 10, true, 102, 110.03, 115, 200.1,
	    CT_DISP_ANSWERED));
	refer(l, "A2", 130, "202", "C1");
	ct_legs_put(l, a, T0 + 170 * SEC);
	ct_legs_put(l, c1, T0 + 170 * SEC);
	ct_legs_put(l, t, T0 + 240 * SEC);
	CHECK_INT(o.n, 0);
	ct_legs_put(l, c2, T0 + 240 * SEC);
	CHECK_INT(o.n, 4);
	if (o.n == 4) {
		CHECK_STR(o.r[0]->agent, "202");
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "agent");
		CHECK_INT(o.r[0]->n_rings, 2);          /* C1 is no ring */
		CHECK_STR(xfer(&o, "A2"), "202");
		CHECK_STR(o.r[0]->rings[1].call_id, "C2");
		CHECK(xfer(&o, "C2") == NULL);
		CHECK_STR(o.r[2]->call_id, "C1");       /* legs in start order */
		CHECK_STR(o.r[2]->parent_call_id, "T2");
		CHECK_STR(o.r[3]->parent_call_id, "T2");
	}
	out_clear(&o);

	/* on the PBX: B's leg starts while A talks; A leaves 30 s before the end */
	t = start(l, rec("T3", "+380502220000", "0441234567", false, 1, true, 10, 300, 303, 400,
	    CT_DISP_ANSWERED));
	a = start(l, rec("A3", "+380502220000", "201", true, 10, true, 101, 300.5, 302.9, 370,
	    CT_DISP_ANSWERED));
	b = start(l, rec("B3", "+380502220000", "203", true, 10, true, 103, 365, 369.9, 400.1,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, a, T0 + 410 * SEC);
	ct_legs_put(l, t, T0 + 440 * SEC);
	ct_legs_put(l, b, T0 + 440 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->agent, "203");
		CHECK_STR(xfer(&o, "A3"), "203");
		CHECK(xfer(&o, "B3") == NULL);
	}
	out_clear(&o);

	/* A stays to the end; a second agent joined (a conference): no transfer */
	t = start(l, rec("T4", "+380503330000", "0441234567", false, 1, true, 10, 500, 503, 600,
	    CT_DISP_ANSWERED));
	a = start(l, rec("A4", "+380503330000", "201", true, 10, true, 101, 500.5, 502.9, 600.5,
	    CT_DISP_ANSWERED));
	b = start(l, rec("B4", "+380503330000", "203", true, 10, true, 103, 520, 525, 600.6,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, a, T0 + 610 * SEC);
	ct_legs_put(l, b, T0 + 610 * SEC);
	ct_legs_put(l, t, T0 + 640 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3)
		CHECK(xfer(&o, "A4") == NULL && xfer(&o, "B4") == NULL);
	out_clear(&o);
	/* A REFER no leg followed: the agent stayed (refused) or left (not seen). */
	t = start(l, rec("T5", "+380504440000", "0441234567", false, 1, true, 10, 700, 703, 800,
	    CT_DISP_ANSWERED));
	a = start(l, rec("A5", "+380504440000", "201", true, 10, true, 101, 700.5, 702.9, 800.1,
	    CT_DISP_ANSWERED));
	refer(l, "A5", 720, "209", NULL);
	ct_legs_put(l, a, T0 + 810 * SEC);
	ct_legs_put(l, t, T0 + 840 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2)
		CHECK(xfer(&o, "A5") == NULL);
	out_clear(&o);
	t = start(l, rec("T6", "+380505550000", "0441234567", false, 1, true, 10, 900, 903, 1000,
	    CT_DISP_ANSWERED));
	a = start(l, rec("A6", "+380505550000", "201", true, 10, true, 101, 900.5, 902.9, 920.1,
	    CT_DISP_ANSWERED));
	refer(l, "A6", 920, "+380671234567", NULL);
	ct_legs_put(l, a, T0 + 1010 * SEC);
	ct_legs_put(l, t, T0 + 1040 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2)
		CHECK_STR(xfer(&o, "A6"), "+380671234567");
	out_clear(&o);
	/* attended, the consultation not seen: the PBX's INVITE to 203 (withheld) */
	t = start(l, rec("T7", "anonymous", "0441234567", false, 1, true, 10, 1100, 1103, 1200,
	    CT_DISP_ANSWERED));
	a = rec("A7", "anonymous", "201", true, 10, true, 101, 1100.5, 1102.9, 1130.1,
	    CT_DISP_ANSWERED);
	a->link_id = dup("T7");
	start(l, a);
	refer(l, "A7", 1130, "203", "consult-not-seen@x");
	b = start(l, rec("B7", "anonymous", "203", true, 10, true, 103, 1130.2, 1130.4, 1200.1,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, a, T0 + 1210 * SEC);
	ct_legs_put(l, b, T0 + 1240 * SEC);
	ct_legs_put(l, t, T0 + 1240 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->agent, "203");
		CHECK_STR(xfer(&o, "A7"), "203");
	}
	out_clear(&o);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_refer, 2);
	CHECK_INT(st.by_replaces, 2);
	CHECK_INT(st.transfers, 5);
	ct_legs_free(l);
}

/* An SDP of call cid at offset at (s), sent by party from, one m= line at (home?, host):port. */
static void sdp(struct ct_legs *l, const char *cid, enum ct_party from, double at,
    bool home_side, uint8_t host, uint16_t port)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.ts_us = T0 + llround(at * 1e6);
	m.has_sdp = true;
	m.sdp.n_media = 1;
	strcpy(m.sdp.media[0].type, "audio");
	m.sdp.media[0].addr = ip(home_side, host);
	m.sdp.media[0].port = port;
	ct_legs_sdp(l, cid, from, &m);
}

/* The record of call_id among o's, or NULL. */
static const struct ct_call_record *out_find(const struct out *o, const char *call_id)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		if (strcmp(o->r[i]->call_id, call_id) == 0)
			return o->r[i];
	return NULL;
}

/*
 * Rule 5, media: legs whose caller ID the PBX replaced (its own number) or
 * withheld, without header or Diversion, are linked by an SDP endpoint
 * shared with exactly one open trunk call, on the same side: the phone's
 * answer endpoint in the trunk's re-INVITE (direct media), the carrier's
 * endpoint in the leg's INVITE (bypass).  No link when two open trunk
 * calls have the endpoint (both unsure: no ivr), when two loose calls have
 * the phone's endpoint, when the trunk call ended, or for the PBX's own
 * address.
 */
static void test_media(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *t2, *t3, *t4, *t5, *t6, *l1, *l2, *l2b, *l3, *l4, *l5, *l6, *l7;
	static const char *const none[] = { "L3", "L4", "L5", "L6", "L7" };
	const struct ct_call_record *r;
	struct ct_legs_stats st;
	size_t i;

	/* direct media: L1's phone endpoint comes back in T1's re-INVITE */
	t1 = start(l, rec("T1", "+380501110001", "0441230001", false, 1, true, 10, 0, 5, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "T1", CT_PARTY_CALLER, 0, false, 1, 20000);
	l1 = start(l, rec("L1", "+380441111111", "201", true, 10, true, 101, 1, 4.9, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "L1", CT_PARTY_CALLER, 1, true, 10, 10002);   /* the PBX's own media */
	sdp(l, "L1", CT_PARTY_CALLEE, 4.9, true, 101, 40000);
	sdp(l, "T1", CT_PARTY_CALLEE, 5, true, 10, 10004);   /* the PBX's answer: no link */
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 0);
	sdp(l, "T1", CT_PARTY_CALLEE, 5.3, true, 101, 40000);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 1);
	CHECK_INT(st.legs_linked, 1);
	/* a repeated SDP (re-INVITE again) links nothing more */
	sdp(l, "T1", CT_PARTY_CALLEE, 5.4, true, 101, 40000);
	/* the PBX's answer on a phone's call to it, on the endpoint of its
	 * answer to T1 (the PBX's own address: never a phone's endpoint) */
	l7 = start(l, rec("L7", "208", "*8", true, 108, true, 10, 5.5, 5.6, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "L7", CT_PARTY_CALLEE, 5.6, true, 10, 10004);
	/* bypass media: two phones offered the carrier's endpoint of T2 */
	t2 = start(l, rec("T2", "+380501110002", "0441230001", false, 1, true, 10, 6, 9, 40,
	    CT_DISP_ANSWERED));
	sdp(l, "T2", CT_PARTY_CALLER, 6, false, 1, 20002);
	l2 = start(l, rec("L2", "anonymous", "202", true, 10, true, 102, 6.1, 8.9, 40,
	    CT_DISP_ANSWERED));
	sdp(l, "L2", CT_PARTY_CALLER, 6.1, false, 1, 20002);
	l2b = start(l, rec("L2b", "anonymous", "203", true, 10, true, 103, 6.1, -1, 8.95,
	    CT_DISP_CANCELLED));
	sdp(l, "L2b", CT_PARTY_CALLER, 6.1, false, 1, 20002);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 3);
	/* two open trunk calls announced the same phone endpoint: no link */
	t3 = start(l, rec("T3", "+380501110003", "0441230001", false, 1, true, 10, 10, 12, 30,
	    CT_DISP_ANSWERED));
	t4 = start(l, rec("T4", "+380501110004", "0441230001", false, 1, true, 10, 10.5, 12, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "T3", CT_PARTY_CALLEE, 12, true, 104, 40010);
	sdp(l, "T4", CT_PARTY_CALLEE, 12, true, 104, 40010);
	l3 = start(l, rec("L3", "+380441111111", "204", true, 10, true, 104, 11, 12.5, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "L3", CT_PARTY_CALLEE, 12.5, true, 104, 40010);
	/* a phone keeping one port: two loose calls have it, then T5 does */
	t5 = start(l, rec("T5", "+380501110005", "0441230001", false, 1, true, 10, 13, 15, 30,
	    CT_DISP_ANSWERED));
	l4 = start(l, rec("L4", "205", "206", true, 105, true, 106, 12, 12.5, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "L4", CT_PARTY_CALLEE, 12.5, true, 106, 11780);
	l5 = start(l, rec("L5", "+380441111111", "206", true, 10, true, 106, 14, 14.9, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "L5", CT_PARTY_CALLEE, 14.9, true, 106, 11780);
	sdp(l, "T5", CT_PARTY_CALLEE, 15, true, 106, 11780);
	/* a trunk call that ended is no candidate */
	t6 = start(l, rec("T6", "+380501110006", "0441230001", false, 1, true, 10, 16, 17, 18,
	    CT_DISP_ANSWERED));
	sdp(l, "T6", CT_PARTY_CALLEE, 17, true, 107, 40030);
	ct_legs_ended(l, t6);
	l6 = start(l, rec("L6", "+380441111111", "207", true, 10, true, 107, 19, 19.5, 30,
	    CT_DISP_ANSWERED));
	sdp(l, "L6", CT_PARTY_CALLEE, 19.5, true, 107, 40030);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 3);
	CHECK_INT(st.legs_linked, 3);
	CHECK_INT(st.media_ambiguous, 2);
	CHECK_INT(st.by_caller + st.by_header + st.by_diversion + st.by_refer, 0);

	ct_legs_put(l, l1, T0 + 82 * SEC);
	ct_legs_put(l, t1, T0 + 82 * SEC);
	ct_legs_put(l, l2, T0 + 82 * SEC);
	ct_legs_put(l, l2b, T0 + 82 * SEC);
	ct_legs_put(l, t2, T0 + 82 * SEC);
	ct_legs_put(l, l3, T0 + 82 * SEC);
	ct_legs_put(l, t3, T0 + 82 * SEC);
	ct_legs_put(l, t4, T0 + 82 * SEC);
	ct_legs_put(l, l4, T0 + 82 * SEC);
	ct_legs_put(l, l5, T0 + 82 * SEC);
	ct_legs_put(l, t5, T0 + 82 * SEC);
	ct_legs_put(l, l6, T0 + 82 * SEC);
	ct_legs_put(l, t6, T0 + 82 * SEC);
	ct_legs_put(l, l7, T0 + 82 * SEC);
	CHECK_INT(o.n, 14);
	if ((r = out_find(&o, "T1")) != NULL) {
		CHECK_STR(ct_answered_by_name(r->answered_by), "agent");
		CHECK_STR(r->agent, "201");
		CHECK_INT(r->n_rings, 1);
	} else {
		CHECK(false);
	}
	r = out_find(&o, "L1");
	CHECK(r != NULL && r->parent_call_id != NULL && strcmp(r->parent_call_id, "T1") == 0);
	if ((r = out_find(&o, "T2")) != NULL) {
		CHECK_STR(ct_answered_by_name(r->answered_by), "agent");
		CHECK_STR(r->agent, "202");
		CHECK_INT(r->n_rings, 2);
		if (r->n_rings == 2)
			CHECK_STR(ct_ring_outcome_name(r->rings[1].outcome), "cancelled_elsewhere");
	} else {
		CHECK(false);
	}
	r = out_find(&o, "L2b");
	CHECK(r != NULL && r->parent_call_id != NULL && strcmp(r->parent_call_id, "T2") == 0);
	/* not linked; T3, T4, T5 unsure (no ivr although the PBX is known); T6 ivr */
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		r = out_find(&o, none[i]);
		CHECK(r != NULL && r->parent_call_id == NULL);
	}
	r = out_find(&o, "T3");
	CHECK(r != NULL && r->answered_by == CT_ANS_UNKNOWN && r->n_rings == 0);
	r = out_find(&o, "T4");
	CHECK(r != NULL && r->answered_by == CT_ANS_UNKNOWN);
	r = out_find(&o, "T5");
	CHECK(r != NULL && r->answered_by == CT_ANS_UNKNOWN);
	r = out_find(&o, "T6");    /* ended before L6 announced its endpoint */
	CHECK(r != NULL && r->answered_by == CT_ANS_IVR);
	out_clear(&o);
	ct_legs_sdp(NULL, "T1", CT_PARTY_CALLER, NULL);
	ct_legs_free(l);
}

/*
 * Rule 5 bound: 40 open trunk calls name one endpoint (a flood), then a
 * leg has it: no link (at most 32 are looked at, and they are several);
 * the 40 SDPs cost O(1) each.
 */
static void test_media_flood(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t[40], *g;
	struct ct_legs_stats st;
	char cid[16], num[16];
	size_t i;

	for (i = 0; i < 40; i++) {
		snprintf(cid, sizeof(cid), "F%zu", i);
		snprintf(num, sizeof(num), "+3805011100%02zu", i);
		t[i] = start(l, rec(cid, num, "0441230001", false, 1, true, 10, (double)i / 10,
		    5, 50, CT_DISP_ANSWERED));
		sdp(l, cid, CT_PARTY_CALLER, (double)i / 10, false, 1, 30000);
	}
	g = start(l, rec("G", "anonymous", "201", true, 10, true, 101, 5, 6, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "G", CT_PARTY_CALLER, 5, false, 1, 30000);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 0);
	CHECK_INT(st.legs_linked, 0);
	CHECK_INT(st.media_ambiguous, 1);
	ct_legs_free(l);
	for (i = 0; i < 40; i++)
		ct_call_record_free(t[i]);
	ct_call_record_free(g);
}

/*
 * Rule 5, offers: under direct media the phones of a ring group that did
 * not answer share no endpoint with the trunk call, but got the same INVITE
 * offer as the phone that answered (one offer forked): they are linked with
 * it, also when cancelled just before the link (kept NEAR_US after their
 * end).  A PBX offering one port to calls seconds apart: no offer link.
 * The PBX's endpoint in its answer to the trunk, offered to a phone: linked.
 */
static void test_offer(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *t2, *t3, *l1, *l2, *l3, *l4, *l5, *l6;
	const struct ct_call_record *r;
	struct ct_legs_stats st;

	t1 = start(l, rec("T1", "+380501110001", "0441230001", false, 1, true, 10, 0, 5.1, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "T1", CT_PARTY_CALLER, 0, false, 1, 20000);
	l1 = start(l, rec("L1", "+380441111111", "201", true, 10, true, 101, 1, 5, 50,
	    CT_DISP_ANSWERED));
	l2 = start(l, rec("L2", "+380441111111", "202", true, 10, true, 102, 1.001, -1, 5.01,
	    CT_DISP_CANCELLED));
	l3 = start(l, rec("L3", "+380441111111", "203", true, 10, true, 103, 1.002, -1, 5.02,
	    CT_DISP_CANCELLED));
	sdp(l, "L1", CT_PARTY_CALLER, 1, true, 10, 10100);
	sdp(l, "L2", CT_PARTY_CALLER, 1.001, true, 10, 10100);
	sdp(l, "L3", CT_PARTY_CALLER, 1.002, true, 10, 10100);
	sdp(l, "L1", CT_PARTY_CALLEE, 5, true, 101, 40000);
	ct_legs_ended(l, l2);
	ct_legs_ended(l, l3);
	sdp(l, "T1", CT_PARTY_CALLEE, 5.1, true, 10, 10004);   /* the PBX's answer */
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.legs_linked, 0);
	sdp(l, "T1", CT_PARTY_CALLEE, 5.4, true, 101, 40000);  /* re-INVITE: direct media */
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 1);
	CHECK_INT(st.by_offer, 2);
	CHECK_INT(st.legs_linked, 3);
	/* one PBX port offered to calls 9 s apart: L4 only (by its endpoint) */
	t2 = start(l, rec("T2", "+380501110002", "0441230001", false, 1, true, 10, 10, 12.1, 50,
	    CT_DISP_ANSWERED));
	l4 = start(l, rec("L4", "+380441111111", "204", true, 10, true, 104, 10.5, 12, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "L4", CT_PARTY_CALLER, 10.5, true, 10, 10200);
	l5 = start(l, rec("L5", "+380441111111", "205", true, 10, true, 105, 1.5, -1, 30,
	    CT_DISP_CANCELLED));
	sdp(l, "L5", CT_PARTY_CALLER, 1.5, true, 10, 10200);
	sdp(l, "L4", CT_PARTY_CALLEE, 12, true, 104, 40002);
	sdp(l, "T2", CT_PARTY_CALLEE, 12.1, true, 104, 40002);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 2);
	CHECK_INT(st.by_offer, 2);
	/* the PBX answered T3 (queue music) and offers that endpoint to a phone */
	t3 = start(l, rec("T3", "+380501110003", "0441230001", false, 1, true, 10, 20, 20.1, 50,
	    CT_DISP_ANSWERED));
	sdp(l, "T3", CT_PARTY_CALLEE, 20.1, true, 10, 10300);
	l6 = start(l, rec("L6", "+380441111111", "206", true, 10, true, 106, 21, -1, 30,
	    CT_DISP_NOANSWER));
	sdp(l, "L6", CT_PARTY_CALLER, 21, true, 10, 10300);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_media, 3);
	CHECK_INT(st.legs_linked, 5);

	ct_legs_put(l, l1, T0 + 82 * SEC);
	ct_legs_put(l, l2, T0 + 82 * SEC);
	ct_legs_put(l, l3, T0 + 82 * SEC);
	ct_legs_put(l, t1, T0 + 82 * SEC);
	ct_legs_put(l, l4, T0 + 82 * SEC);
	ct_legs_put(l, l5, T0 + 82 * SEC);
	ct_legs_put(l, t2, T0 + 82 * SEC);
	ct_legs_put(l, l6, T0 + 82 * SEC);
	ct_legs_put(l, t3, T0 + 82 * SEC);
	ct_legs_flush(l);
	CHECK_INT(o.n, 9);
	if ((r = out_find(&o, "T1")) != NULL && r->n_rings == 3) {
		CHECK_STR(r->agent, "201");
		CHECK_STR(ct_ring_outcome_name(r->rings[1].outcome), "cancelled_elsewhere");
		CHECK_STR(ct_ring_outcome_name(r->rings[2].outcome), "cancelled_elsewhere");
	} else {
		CHECK(false);
	}
	r = out_find(&o, "L5");
	CHECK(r != NULL && r->parent_call_id == NULL);
	r = out_find(&o, "T3");
	CHECK(r != NULL && r->n_rings == 1 && r->answered_by == CT_ANS_IVR);
	out_clear(&o);
	ct_legs_free(l);
}

/* Adds a stream to r: ssrc, first and last packet (offsets in s), packets. */
static void stream(struct ct_call_record *r, uint32_t ssrc, double first, double last,
    uint64_t packets)
{
	struct ct_stream_stats *s = realloc(r->streams, (r->n_streams + 1) * sizeof(*s));

	CHECK(s != NULL);
	if (s == NULL)
		return;
	r->streams = s;
	s = &s[r->n_streams++];
	memset(s, 0, sizeof(*s));
	s->ssrc = ssrc;
	s->first_us = T0 + llround(first * 1e6);
	s->last_us = T0 + llround(last * 1e6);
	s->packets = packets;
	s->payload_type = 0;
}

/*
 * Rule 6, bridged RTP: legs with the caller ID withheld, no header, no
 * SDP endpoint shared (the PBX relays the media), while several trunk
 * calls are open.  L1 relays T1's stream (first and last packets within
 * 100 ms, as many packets): linked to T1.  L2 has the SSRC of a T2 stream
 * (passed through) although its timing matches T5: the SSRC wins.  L3
 * relays T3 and T4 alike: no link, both unsure (no ivr).  L4 matches
 * nothing.  L5, a supervisor's call to a feature code with T1's SSRC,
 * is no agent's leg: not held, no link.  A trunk record is held 2 * 3 s for such legs.
 */
static void test_bridge(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t[5], *g[5];
	const struct ct_call_record *r;
	struct ct_legs_stats st;
	int64_t now = T0 + 100 * SEC;
	size_t i;

	t[0] = start(l, rec("T1", "+380501110001", "0441230001", false, 1, true, 10, 0, 2, 30,
	    CT_DISP_ANSWERED));
	t[1] = start(l, rec("T2", "+380501110002", "0441230001", false, 1, true, 10, 0.5, 3.1, 25,
	    CT_DISP_ANSWERED));
	t[2] = start(l, rec("T3", "+380501110003", "0441230001", false, 1, true, 10, 0.6, 4, 20,
	    CT_DISP_ANSWERED));
	t[3] = start(l, rec("T4", "+380501110004", "0441230001", false, 1, true, 10, 0.7, 4, 20,
	    CT_DISP_ANSWERED));
	t[4] = start(l, rec("T5", "+380501110005", "0441230001", false, 1, true, 10, 0.8, 3.2, 25,
	    CT_DISP_ANSWERED));
	g[0] = start(l, rec("L1", "anonymous", "201", true, 10, true, 101, 1, 2, 30.02,
	    CT_DISP_ANSWERED));
	g[1] = start(l, rec("L2", "anonymous", "202", true, 10, true, 102, 1.1, 3.1, 25.02,
	    CT_DISP_ANSWERED));
	g[2] = start(l, rec("L3", "anonymous", "203", true, 10, true, 103, 1.2, 4, 20.02,
	    CT_DISP_ANSWERED));
	g[3] = start(l, rec("L4", "anonymous", "204", true, 10, true, 104, 1.3, 4, 19,
	    CT_DISP_ANSWERED));
	stream(t[0], 0x1111, 2.04, 29.99, 1398);
	stream(t[0], 0x1112, 2.03, 30, 1399);
	stream(g[0], 0x2111, 2.041, 29.991, 1398);          /* relays 0x1111 */
	stream(g[0], 0x2112, 2.005, 30.02, 1401);
	stream(t[1], 0x3333, 3.14, 24.99, 1093);
	stream(t[4], 0x5555, 3.24, 24.99, 1088);
	stream(g[1], 0x3333, 3.241, 24.991, 1088);          /* T2's SSRC, T5's timing */
	stream(t[2], 0x4444, 4.04, 19.99, 798);
	stream(t[3], 0x4445, 4.05, 19.98, 797);
	stream(g[2], 0x6666, 4.045, 19.985, 798);           /* T3 and T4 alike */
	stream(g[3], 0x7777, 4.5, 18.9, 700);
	/* a supervisor listening in (a feature code) hears T1's audio too: no ring */
	g[4] = start(l, rec("L5", "205", "*222201", true, 105, true, 10, 1.5, 2, 30.02,
	    CT_DISP_ANSWERED));
	stream(g[4], 0x1111, 2.041, 29.991, 1398);
	for (i = 0; i < 5; i++) {
		ct_legs_ended(l, t[i]);
		ct_legs_put(l, t[i], now);
	}
	CHECK_INT(o.n, 0);                                  /* held for bridged legs */
	for (i = 0; i < 5; i++)
		ct_legs_put(l, g[i], now + SEC);
	CHECK_INT(o.n, 1);                                  /* L5: no bridging wait */
	ct_legs_expire(l, now + 3 * SEC);
	CHECK_INT(o.n, 1);
	ct_legs_expire(l, now + 4 * SEC);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_bridge, 2);
	CHECK_INT(st.by_bridge_ssrc, 1);
	CHECK_INT(st.bridge_ambiguous, 1);
	CHECK_INT(st.legs_linked, 2);
	CHECK_INT(o.n, 7);     /* L5, then T1 L1, T2 L2, L3, L4 */
	ct_legs_expire(l, now + 6 * SEC);
	CHECK_INT(o.n, 10);
	r = out_find(&o, "L5");
	CHECK(r != NULL && r->parent_call_id == NULL);
	if ((r = out_find(&o, "T1")) != NULL && r->n_rings == 1) {
		CHECK_STR(ct_answered_by_name(r->answered_by), "agent");
		CHECK_STR(r->agent, "201");
		CHECK_STR(ct_ring_outcome_name(r->rings[0].outcome), "answered");
	} else {
		CHECK(false);
	}
	r = out_find(&o, "L1");
	CHECK(r != NULL && r->parent_call_id != NULL && strcmp(r->parent_call_id, "T1") == 0);
	r = out_find(&o, "L2");
	CHECK(r != NULL && r->parent_call_id != NULL && strcmp(r->parent_call_id, "T2") == 0);
	r = out_find(&o, "T2");
	CHECK(r != NULL && r->agent != NULL && strcmp(r->agent, "202") == 0);
	for (i = 2; i < 4; i++) {
		r = out_find(&o, g[i]->call_id);
		CHECK(r != NULL && r->parent_call_id == NULL);
	}
	r = out_find(&o, "T3");
	CHECK(r != NULL && r->answered_by == CT_ANS_UNKNOWN && r->n_rings == 0);
	r = out_find(&o, "T4");
	CHECK(r != NULL && r->answered_by == CT_ANS_UNKNOWN);
	r = out_find(&o, "T5");   /* the PBX is known, nothing matched it: the IVR */
	CHECK(r != NULL && r->answered_by == CT_ANS_IVR);
	out_clear(&o);
	ct_legs_free(l);
}

/*
 * Rule 6 needs the PBX's LAN side: in a trunk capture alone (no call from
 * home to an extension seen) an answered trunk record with RTP is written
 * at once, not held.
 */
static void test_bridge_trunk_only(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t;

	t = start(l, rec("T1", "+380501110001", "0441230001", false, 1, true, 10, 0, 2, 30,
	    CT_DISP_ANSWERED));
	stream(t, 0x1111, 2.04, 29.99, 1398);
	ct_legs_ended(l, t);
	ct_legs_put(l, t, T0 + 62 * SEC);
	CHECK_INT(o.n, 1);
	out_clear(&o);
	ct_legs_free(l);
}

/* What ct_legs_sip reads of a message: an INVITE (to_tag NULL) or a response status to one. */
static void sip_of(struct ct_legs *l, const char *cid, int status)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.is_request = status == 0;
	m.status = status;
	snprintf(m.method, sizeof(m.method), "%s", status == 0 ? "INVITE" : "");
	snprintf(m.cseq_method, sizeof(m.cseq_method), "INVITE");
	ct_legs_sip(l, cid, &m);
}

/* A 2xx to call cid's INVITE, sent from (home?, host) to (home?, host). */
static void answer_of(struct ct_legs *l, const char *cid, bool src_home, uint8_t src,
    bool dst_home, uint8_t dst)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.status = 200;
	snprintf(m.cseq_method, sizeof(m.cseq_method), "INVITE");
	m.t.src = ip(src_home, src);
	m.t.dst = ip(dst_home, dst);
	ct_legs_sip(l, cid, &m);
}

/*
 * A trunk call whose INVITE got 401 (a stranger from the internet whose
 * From is a number the PBX's own outbound calls carry, never retried)
 * links no leg while it waits for its retry: the PBX serves no call it
 * challenged.  Its retried INVITE opens it again (a carrier that
 * authenticates), and a leg then links by caller number (rule 2).
 */
static void test_challenged(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *g1, *g2;
	struct ct_legs_stats st;

	t1 = start(l, rec("C1", "+380441230000", "0441230009", false, 1, true, 10, 0, 6, 30,
	    CT_DISP_ANSWERED));
	sip_of(l, "C1", 100);
	sip_of(l, "C1", 401);
	/* (to a phone: an outbound call with that caller ID would make the
	 * number the PBX's own, test_number_spoof) */
	g1 = start(l, rec("D1", "+380441230000", "203", true, 10, true, 103, 1, 2, 20,
	    CT_DISP_ANSWERED));
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_caller, 0);
	sip_of(l, "C1", 0);                       /* the INVITE retried with credentials */
	sip_of(l, "C1", 407);                     /* challenged again (407) ... */
	sip_of(l, "C1", 0);                       /* ... and retried: open again */
	answer_of(l, "C1", true, 10, false, 1);   /* the PBX answers */
	g2 = start(l, rec("D2", "+380441230000", "204", true, 10, true, 104, 5, 6, 30,
	    CT_DISP_ANSWERED));
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_caller, 1);
	ct_legs_put(l, g1, T0 + 40 * SEC);
	ct_legs_put(l, g2, T0 + 40 * SEC);
	ct_legs_put(l, t1, T0 + 40 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->call_id, "D1");
		CHECK(o.r[0]->parent_call_id == NULL);
		CHECK_STR(o.r[1]->call_id, "C1");
		CHECK_STR(o.r[2]->parent_call_id, "C1");
	}
	out_clear(&o);
	ct_legs_free(l);
}

/*
 * A stranger's INVITE that the PBX lets ring, its From the number the
 * PBX's own outbound calls carry: those calls link to it by caller number
 * (rule 2), but one answered while it was never answered is not its leg
 * (cut at release: no parent, no ring, counted), and a link by number
 * alone teaches the PBX (the ivr claim) only once both calls answered
 * (their 2xx sent by the PBX and to it: the stranger's own 200 from its
 * address does not count): from the SIP hook as they happen, else from
 * the records.  An unanswered leg stays linked (a ring group nobody
 * answered looks the same).  Then a trunk-only capture never claims ivr
 * (test_trunk_only_no_ivr).
 */
static void test_number_spoof(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *g1, *g2, *t2, *t3, *g3;
	struct ct_legs_stats st;

	t1 = start(l, rec("S1", "+380441230000", "0441230009", false, 1, true, 10, 0, -1, 90,
	    CT_DISP_CANCELLED));
	sip_of(l, "S1", 180);
	/* the PBX's LAN side is in the capture: an agent's leg would be seen */
	ct_call_record_free(start(l, rec("I1", "201", "202", true, 101, true, 102, 1, -1, 2,
	    CT_DISP_NOANSWER)));
	g1 = start(l, rec("O1", "+380441230000", "+380671110000", true, 10, false, 2, 10, 15, 60,
	    CT_DISP_ANSWERED));
	answer_of(l, "O1", false, 2, true, 10);
	answer_of(l, "S1", false, 1, true, 10);    /* the attacker's own "200", from its address */
	g2 = start(l, rec("O2", "+380441230000", "+380671110001", true, 10, false, 3, 20, -1, 40,
	    CT_DISP_BUSY));
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.by_caller, 2);
	/* An inbound call answered alone meanwhile: the PBX is not known. */
	t2 = start(l, rec("A1", "+380509990000", "0441230009", false, 4, true, 10, 30, 31, 50,
	    CT_DISP_ANSWERED));
	answer_of(l, "A1", true, 10, false, 4);
	ct_legs_put(l, t2, T0 + 80 * SEC);
	CHECK_INT(o.n, 1);
	if (o.n == 1)
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "unknown");
	out_clear(&o);
	ct_legs_put(l, g1, T0 + 70 * SEC);
	ct_legs_put(l, g2, T0 + 70 * SEC);
	ct_legs_put(l, t1, T0 + 100 * SEC);
	CHECK_INT(o.n, 3);
	if (o.n == 3) {
		CHECK_STR(o.r[0]->call_id, "S1");
		CHECK_INT(o.r[0]->n_rings, 0);     /* O2 went out (external): no ring either way */
		CHECK_STR(o.r[1]->call_id, "O1");
		CHECK(o.r[1]->parent_call_id == NULL);
		CHECK_STR(o.r[2]->call_id, "O2");
		CHECK_STR(o.r[2]->parent_call_id, "S1");
	}
	out_clear(&o);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.legs_unlinked, 1);
	/* A real forward: both answered (SIP hook), then the PBX is known. */
	t3 = start(l, rec("F1", "+380501234567", "0441230009", false, 1, true, 10, 200, 210, 260,
	    CT_DISP_ANSWERED));
	g3 = start(l, rec("F2", "+380501234567", "+380671112222", true, 10, false, 2, 201, 209.9,
	    260, CT_DISP_ANSWERED));
	answer_of(l, "F2", false, 2, true, 10);
	answer_of(l, "F1", true, 10, false, 1);
	t2 = start(l, rec("A2", "+380509990001", "0441230009", false, 4, true, 10, 220, 221, 230,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, t2, T0 + 240 * SEC);
	CHECK_INT(o.n, 1);
	if (o.n == 1)
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "ivr");
	out_clear(&o);
	ct_legs_put(l, g3, T0 + 270 * SEC);
	ct_legs_put(l, t3, T0 + 270 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2) {
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "external");
		CHECK_STR(o.r[1]->parent_call_id, "F1");
	}
	out_clear(&o);
	ct_legs_free(l);
}

/*
 * Floods a lookup of the stage walks (red-team pass 8; each was quadratic):
 * thousands of REFERs in the last 5 s, thousands of calls of one number
 * whose records wait for their legs, thousands of ended calls kept for the
 * offer of one SDP endpoint.  Every lookup walks a bounded number of
 * entries (ct_legs_max_walk) whatever the flood; the records all come out.
 * Memory: at most 20,000 trunk records wait for their legs.
 */
static void test_floods_bounded(void)
{
	enum { N = 3000 };
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_legs_stats st;
	char cid[32], cid2[32], num[24];
	int i;

	/* REFERs: each trunk's X-CID leg transfers to a user nobody dials */
	for (i = 0; i < N; i++) {
		struct ct_call_record *t, *g, *x;
		double at = 0.001 * i;

		snprintf(cid, sizeof(cid), "RT%d", i);
		snprintf(num, sizeof(num), "+38050%07d", i);
		t = start(l, rec(cid, num, "0441230009", false, 1, true, 10, at, -1, 500,
		    CT_DISP_NOANSWER));
		snprintf(cid2, sizeof(cid2), "RL%d", i);
		g = rec(cid2, num, "201", true, 10, true, 101, at, at, 500, CT_DISP_ANSWERED);
		g->link_id = dup(cid);
		start(l, g);
		refer(l, cid2, at, "999", NULL);
		/* a leg whose dialled user no REFER named: every REFER is looked at */
		snprintf(cid2, sizeof(cid2), "RX%d", i);
		x = start(l, rec(cid2, "201", "202", true, 101, true, 102, at, -1, at + 1,
		    CT_DISP_NOANSWER));
		ct_legs_put(l, x, T0 + llround(at * 1e6));
		ct_call_record_free(t);
		ct_call_record_free(g);
	}
	CHECK(ct_legs_max_walk(l) <= 256);
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.transfers, N);
	out_clear(&o);
	ct_legs_free(l);

	/* one caller number: its ended calls wait for their X-CID legs' records */
	l = stage(&o, true);
	for (i = 0; i < N; i++) {
		struct ct_call_record *t, *g, *w;
		double at = 0.001 * i;

		snprintf(cid, sizeof(cid), "NT%d", i);
		t = start(l, rec(cid, "+380501111111", "0441230009", false, 1, true, 10, at, -1,
		    at, CT_DISP_BUSY));
		snprintf(cid2, sizeof(cid2), "NL%d", i);
		g = rec(cid2, "+380501111111", "201", true, 10, true, 101, at, -1, 500,
		    CT_DISP_NOANSWER);
		g->link_id = dup(cid);
		start(l, g);
		ct_legs_ended(l, t);
		ct_legs_put(l, t, T0 + llround(at * 1e6));     /* waits for NL<i> */
		snprintf(cid2, sizeof(cid2), "NW%d", i);
		w = start(l, rec(cid2, "+380501111111", "202", true, 10, true, 102, at, -1, at,
		    CT_DISP_NOANSWER));
		ct_legs_put(l, w, T0 + llround(at * 1e6));
		ct_call_record_free(g);
	}
	CHECK(ct_legs_max_walk(l) <= 64);
	ct_legs_flush(l);
	out_clear(&o);
	ct_legs_free(l);

	/* one SDP endpoint: the PBX offers 10.0.0.1:40000 in calls refused at once */
	l = stage(&o, true);
	for (i = 0; i < N; i++) {
		struct ct_call_record *x;
		double at = 0.0005 * i;

		snprintf(cid, sizeof(cid), "EP%d", i);
		x = start(l, rec(cid, "201", "202", true, 1, true, 102, at, -1, at,
		    CT_DISP_BUSY));
		sdp(l, cid, CT_PARTY_CALLER, at, true, 1, 40000);
		ct_legs_ended(l, x);
		ct_legs_put(l, x, T0 + llround(at * 1e6));
	}
	CHECK(ct_legs_max_walk(l) <= 128);
	ct_legs_flush(l);
	out_clear(&o);
	ct_legs_free(l);

	/* waiting trunk records: the 20,001st sends the oldest out early */
	l = stage(&o, true);
	for (i = 0; i < 20001; i++) {
		struct ct_call_record *t, *g;
		double at = 0.001 * i;

		snprintf(cid, sizeof(cid), "WT%d", i);
		snprintf(num, sizeof(num), "+38067%07d", i);
		t = start(l, rec(cid, num, "0441230009", false, 1, true, 10, at, -1, at,
		    CT_DISP_BUSY));
		snprintf(cid2, sizeof(cid2), "WL%d", i);
		g = rec(cid2, num, "201", true, 10, true, 101, at, -1, 500, CT_DISP_NOANSWER);
		g->link_id = dup(cid);
		start(l, g);
		ct_legs_ended(l, t);
		ct_legs_put(l, t, T0 + llround(at * 1e6));
		ct_call_record_free(g);
	}
	ct_legs_get_stats(l, &st);
	CHECK_INT(st.released_early, 1);
	CHECK_INT(o.n, 1);
	if (o.n == 1)
		CHECK_STR(o.r[0]->call_id, "WT0");
	out_clear(&o);
	o.total = 0;
	ct_legs_flush(l);
	CHECK_INT(o.total, 20000);
	out_clear(&o);
	ct_legs_free(l);
}

/*
 * The company's outbound caller ID is one of its listed tracking numbers
 * (--numbers): a stranger's call "from" it, answered by the PBX's IVR and
 * kept open, adopts no outbound call, even before any outbound call showed
 * the number (learning it takes one).  Without the list the same calls link
 * (the control), and a real caller's forward still does with it.
 */
static void test_tracking_own(void)
{
	static const char csv[] = "number,source,campaign\n+380441230000,direct,main line\n";
	struct ct_legs_cfg cfg;
	struct ct_cidr home;
	struct ct_numbers *pool;
	char err[CT_ERRBUF_SIZE];
	int pass;

	CHECK_INT(ct_cidr_parse(&home, "10.0.0.0/24"), CT_OK);
	pool = ct_numbers_parse(csv, sizeof(csv) - 1, "test", "380", err);
	CHECK(pool != NULL);
	/* the same number as dialled, with a national prefix, and with digits only */
	CHECK(ct_numbers_lookup(pool, "+380441230000") != NULL);
	CHECK(ct_numbers_lookup(pool, "380441230000") != NULL);
	CHECK(ct_numbers_lookup(pool, "+380441230001") == NULL);
	for (pass = 0; pass < 2; pass++) {
		struct out o = { .n = 0 };
		struct ct_call_record *t1, *g1, *t2, *g2;
		struct ct_legs_stats st;
		struct ct_legs *l;

		ct_legs_cfg_default(&cfg);
		cfg.home = &home;
		cfg.n_home = 1;
		cfg.cc = "380";
		cfg.tracking = pass == 0 ? pool : NULL;
		l = ct_legs_new(&cfg, on_out, &o);
		/* the stranger, answered by the IVR (200 from the PBX) */
		t1 = start(l, rec("S1", "+380441230000", "0441230009", false, 1, true, 10, 0, 1, 300,
		    CT_DISP_ANSWERED));
		answer_of(l, "S1", true, 10, false, 1);
		/* the first outbound call with the caller ID, answered */
		g1 = start(l, rec("O1", "0441230000", "+380671110000", true, 10, false, 2, 10, 15, 60,
		    CT_DISP_ANSWERED));
		answer_of(l, "O1", false, 2, true, 10);
		/* a real caller forwarded to a mobile, caller ID passed on */
		t2 = start(l, rec("F1", "+380501234567", "0441230009", false, 1, true, 10, 20, 30, 80,
		    CT_DISP_ANSWERED));
		g2 = start(l, rec("F2", "+380501234567", "+380671112222", true, 10, false, 2, 21, 29.9,
		    80, CT_DISP_ANSWERED));
		answer_of(l, "F2", false, 2, true, 10);
		answer_of(l, "F1", true, 10, false, 1);
		ct_legs_get_stats(l, &st);
		CHECK_INT(st.by_caller, pass == 0 ? 1 : 2);
		ct_legs_put(l, g1, T0 + 70 * SEC);
		ct_legs_put(l, g2, T0 + 90 * SEC);
		ct_legs_put(l, t2, T0 + 90 * SEC);
		ct_legs_put(l, t1, T0 + 310 * SEC);
		ct_legs_expire(l, T0 + 1000 * SEC);
		CHECK_INT(o.n, 4);
		if (o.n == 4) {
			size_t i;

			for (i = 0; i < 4; i++) {
				if (strcmp(o.r[i]->call_id, "O1") == 0 && pass == 0)
					CHECK(o.r[i]->parent_call_id == NULL);
				else if (strcmp(o.r[i]->call_id, "O1") == 0)
					CHECK_STR(o.r[i]->parent_call_id, "S1");   /* the hole it closes */
				if (strcmp(o.r[i]->call_id, "F2") == 0)
					CHECK_STR(o.r[i]->parent_call_id, "F1");
			}
		}
		out_clear(&o);
		ct_legs_free(l);
	}
	ct_numbers_free(pool);
}

/*
 * A trunk-only capture (no call from the home side to an extension): a
 * forward to a mobile teaches the PBX, but another answered inbound call
 * without legs may have been answered by a desk phone the tap cannot see:
 * unknown, never ivr (it would count as missed).
 */
static void test_trunk_only_no_ivr(void)
{
	struct out o = { .n = 0 };
	struct ct_legs *l = stage(&o, true);
	struct ct_call_record *t1, *g1, *t2;

	t1 = start(l, rec("F1", "+380501234567", "0441230009", false, 1, true, 10, 0, 10, 60,
	    CT_DISP_ANSWERED));
	g1 = start(l, rec("F2", "+380501234567", "+380671112222", true, 10, false, 2, 1, 9.9,
	    60, CT_DISP_ANSWERED));
	answer_of(l, "F2", false, 2, true, 10);
	answer_of(l, "F1", true, 10, false, 1);
	t2 = start(l, rec("A1", "+380509990001", "0441230009", false, 4, true, 10, 20, 21, 30,
	    CT_DISP_ANSWERED));
	ct_legs_put(l, t2, T0 + 40 * SEC);
	CHECK_INT(o.n, 1);
	if (o.n == 1) {
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "unknown");
		CHECK(!o.r[0]->missed);
	}
	out_clear(&o);
	ct_legs_put(l, g1, T0 + 70 * SEC);
	ct_legs_put(l, t1, T0 + 70 * SEC);
	CHECK_INT(o.n, 2);
	if (o.n == 2)
		CHECK_STR(ct_answered_by_name(o.r[0]->answered_by), "external");
	out_clear(&o);
	ct_legs_free(l);
}

int main(void)
{
	test_voicemail_names();
	test_ring_group();
	test_rules();
	test_wait_bound();
	test_redial();
	test_no_home();
	test_transfers();
	test_media();
	test_media_flood();
	test_offer();
	test_bridge();
	test_bridge_trunk_only();
	test_challenged();
	test_number_spoof();
	test_tracking_own();
	test_floods_bounded();
	test_trunk_only_no_ivr();
	return TEST_REPORT();
}
