/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * PBX legs: links each inbound trunk call (its first INVITE from outside
 * the --home prefixes to inside) with the calls the PBX opens to serve it
 * (legs: INVITEs sent from inside the home prefixes, to an extension, a
 * voicemail user or out to an external number), without any PBX
 * configuration, and from them fills the trunk call's `rings` and
 * `answered_by` and each leg's `parent_call_id` (docs/schema.md, "PBX
 * legs").
 *
 * A leg is linked when it starts (the dialog's start hook), while the
 * trunk call is still open, by the first rule that gives exactly one open
 * trunk call:
 *   1. a correlation header of the leg's INVITE (X-CID, X-Orig-Call-ID, ...)
 *      equal to the trunk call's Call-ID;
 *   2. the leg's caller (P-Asserted-Identity, else From user, normalised)
 *      equal to the trunk call's caller number (the PBX passes the caller
 *      ID through), when that is none of the home side's own (own_number);
 *   3. a transfer: a REFER in a linked leg of the trunk call, at most
 *      REFER_US before, whose Refer-To user is the leg's dialled user (each
 *      REFER links one leg);
 *   4. the leg's Diversion / History-Info user, normalised, equal to the
 *      number the trunk call dialled.
 * Later, while both are open (ct_legs_sdp, the dialog's media hook):
 *   5. media: an SDP endpoint (address, port) the same party announced in
 *      the leg (still loose: no rule linked it) and in exactly one open
 *      trunk call: the phone's answer endpoint in the trunk's answer or
 *      re-INVITE (direct media), the carrier's endpoint in the leg's INVITE
 *      (bypass media), the PBX's endpoint on the trunk call in the leg's
 *      INVITE (the PBX offers a phone what it gave the carrier).  A phone
 *      endpoint two loose calls share links neither.  With a leg so
 *      linked, the calls its INVITE offer was forked to (a ring group's
 *      phones that did not answer: no endpoint of their own).  Last
 *      because it decides only once both SDPs are seen and an endpoint is
 *      weaker than a header or a number.
 * When the records are written (ct_legs_put, after a short hold):
 *   6. bridged RTP: an answered loose call with RTP whose stream has the
 *      SSRC of a stream of exactly one held trunk call open at its start
 *      (the PBX passed it through), else relays one (first and last packets
 *      within BRIDGE_TOL_US, as many packets).  A trunk call whose stream
 *      only ended with such a call's (an IVR before the bridge) claims no
 *      ivr.
 * Two or more candidates for a rule: no link (counted as ambiguous), never
 * a guess.  A withheld caller without a correlation header or a REFER
 * cannot be linked.  An attended transfer's REFER (Refer-To with Replaces)
 * adopts the call it names, the agent's consultation call, and the one
 * call the PBX opened for it (ct_legs_refer): calls from the home side no
 * rule linked are remembered while they are open for that (loose calls).
 * An answered ring whose agent transferred the caller (a REFER, or another
 * leg opened while the agent talked and the agent left first) records to
 * whom in its transferred_to (transfer_target).
 *
 * Records: the trunk call's record (after attribution) is held until the
 * records of all its linked legs have arrived, at most wait_us of capture
 * time; then it is written with its rings, followed by the records of its
 * legs (parent_call_id set).  Every other record passes straight through.
 * Tables are bounded by max_calls (trunk calls and legs each); calls beyond
 * it are not tracked (counted).  All tables are keyed by wire data through
 * the keyed hash; the output order depends only on the capture.
 *
 * Workload: one start and one record per call, one call per SDP; each a
 * few hash lookups.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/recent.h"
#include "calltap/sip.h"

#define NEAR_US INT64_C(2000000)   /* "at the same moment" for cancel reasons */
#define REFER_US INT64_C(5000000)  /* a REFER's new leg starts this soon after it */
#define REFER_SCAN 256             /* the newest REFERs a new leg is compared with */
#define USER_MAX 64                /* bytes of a SIP user kept (as dialog.c's cap) */
#define LATE_US INT64_C(100000)    /* capture skew allowed between an answer and a CANCEL */
#define MAX_PBX 32                 /* PBX addresses remembered */
#define MEP_MAX 4                  /* SDP endpoints remembered per call (the latest) */
#define MEDIA_LINKS 16             /* loose calls one SDP endpoint links at most */
#define MEDIA_SCAN 32              /* calls with one endpoint looked at; more: no link */
#define MEDIA_WALK 128             /* entries of one endpoint walked at most (ended calls
                                      and trunk calls included): more, as MEDIA_SCAN */
#define BRIDGE_WAIT_US INT64_C(3000000) /* a loose record waits this long for bridging (rule 6) */
#define BRIDGE_SCAN 1024           /* held trunk calls a bridged leg is compared with; more: no link */
#define BRIDGE_MIN_PKTS 10         /* streams shorter than this are no evidence */
#define BRIDGE_TOL_US INT64_C(100000) /* first and last packets of relayed streams: this close */
#define OWN_NUMBERS 4096           /* the home side's own numbers remembered (own_number) */
#define WAIT_MAX 20000             /* trunk records held for their legs at most: more, the
                                      oldest goes early (released_early) */
#define NUMBER_WALK 64             /* trunk calls of one number looked at by only_open; more:
                                      ambiguous (ended ones wait there for their records) */

/* K_CONSULT: a transferring agent's own consultation call to the PBX (no ring). */
enum leg_kind { K_AGENT = 0, K_VOICEMAIL, K_EXTERNAL, K_CONSULT };

struct trunk;
struct loose;

/*
 * An SDP endpoint (c= address, m= port) a party of a trunk call or a loose
 * call announced, indexed in l->eps by address, port and party (rule 5).
 */
struct mep {
	struct ct_hnode hn;            /* in l->eps while used */
	struct ct_addr addr;
	uint16_t port;
	uint8_t side;                  /* enum ct_party that announced it */
	bool used;
	struct trunk *t;               /* the owner: a trunk call, */
	struct loose *x;               /* ... or a loose call */
};

struct leg {
	struct ct_hnode hn;            /* in legs table by call_id, until released */
	struct leg *next;              /* in the trunk's list, link order */
	struct trunk *t;
	char *call_id;
	int64_t start_us;
	char *callee;                  /* dialled user of the leg */
	enum leg_kind kind;
	struct ct_call_record *rec;    /* NULL until its record arrived */
	/* Transfers (REFER in this leg, or how this leg came from one) */
	struct ct_list rl;             /* in l->referrals while its REFER is recent */
	int64_t refer_us;              /* its last REFER, CT_TIME_NONE: none */
	char refer_to[USER_MAX + 1];   /* that REFER's Refer-To user ("" none) */
	char refer_num[CT_NUMBER_MAX]; /* ... normalised ("" when not a number) */
	bool refer_replaces;           /* that REFER named a call to replace (attended) */
	struct leg *via;               /* linked through this leg's REFER (Refer-To, Replaces) */
	bool moved;                    /* linked by the phone's endpoint in the trunk's SDP (rule 5):
	                                  the trunk's media was pointed at it (re-INVITE transfer) */
	bool weak;                     /* linked by a number alone (rules 2, 4): weak_check */
	bool answered;                 /* a 2xx to its INVITE was seen (ct_legs_sip) */
	struct ct_addr src;            /* where its INVITE came from (a PBX) */
	bool cut;                      /* unlinked at release (weak_check): written alone */
};

/*
 * A call started from the home side that no rule linked (an internal call,
 * an outbound call), while it is open: an attended transfer's REFER may
 * name it in Replaces (the agent's consultation call) and adopt it.
 */
struct loose {
	struct ct_hnode hn;            /* in l->loose by call_id */
	struct ct_list ll;             /* l->loose_order, start order */
	char *call_id;
	char *callee, *caller;         /* users of its INVITE, may be NULL */
	struct ct_addr src, dst;
	int64_t start_us;
	struct mep ep[MEP_MAX];        /* its SDP endpoints (rule 5), ring */
	unsigned n_ep;                 /* endpoints ever added (next slot: n_ep % MEP_MAX) */
	int64_t ended_us;              /* CT_TIME_NONE while open; else kept NEAR_US for its offer */
	struct ct_list el;             /* l->loose_ended while ended, end order */
	bool linking;                  /* being linked by rule 5 right now (no sibling) */
};

/* An answered record from the home side no rule linked, waiting for rule 6 (bridged RTP). */
struct bpend {
	struct ct_list n;              /* l->bpend, arrival order */
	struct ct_call_record *rec;
	int64_t due_us;
};

struct trunk {
	struct ct_hnode hn_id;         /* by call_id */
	struct ct_hnode hn_num;        /* by caller number (when it has one), while open */
	struct ct_hnode hn_dial;       /* by dialled number (when it has one), while open */
	bool by_number;                /* in by_num / by_dial (trunk_unindex) */
	bool waiting;                  /* on l->waiting (wl; counted in n_waiting) */
	struct ct_list wl;             /* waiting list (record arrived), by due time */
	struct ct_list al;             /* every trunk call, start order */
	char *call_id;
	char caller[CT_NUMBER_MAX];    /* "" = withheld */
	char dialled[CT_NUMBER_MAX];
	struct ct_addr pbx;            /* destination of the trunk INVITE */
	int64_t start_us;
	int64_t end_us;                /* when it ended (dialog), CT_TIME_NONE while open */
	struct ct_call_record *rec;    /* NULL until its record arrived (a linger after its end) */
	int64_t due_us;
	int64_t arrived_us;            /* when its record arrived (rule 6 hold) */
	bool bheld;                    /* in l->bhold (wl): held for a bridged leg */
	struct leg *legs, *legs_tail;
	size_t n_legs, n_done;
	bool unsure;                   /* a leg matched it and another call: no ivr claim */
	bool challenged;               /* its INVITE got 401/407, no retry yet (ct_legs_sip) */
	bool answered;                 /* a 2xx to its INVITE was seen (ct_legs_sip) */
	struct mep ep[MEP_MAX];        /* its SDP endpoints (rule 5), ring */
	unsigned n_ep;
};

struct ct_legs {
	struct ct_legs_cfg cfg;
	struct ct_cidr home[CT_ATTR_MAX_HOME];
	char cc[4];
	ct_legs_out_fn out;
	void *user;
	struct ct_htab by_id, by_num, by_dial, legs, loose;
	struct ct_htab eps;            /* SDP endpoints of trunk and loose calls (struct mep) */
	struct ct_list waiting;        /* trunks whose record arrived, oldest first */
	size_t n_waiting;              /* on it */
	size_t max_walk;               /* the longest walk of a lookup (ct_legs_max_walk) */
	struct ct_list referrals;      /* legs with a REFER of the last REFER_US, oldest first */
	struct ct_list loose_order;    /* loose calls, oldest first */
	struct ct_list loose_ended;    /* ended loose calls kept for their offer, end order */
	struct ct_list bhold;          /* trunks whose legs are done, held for rule 6, by due */
	struct ct_list bpend;          /* loose records waiting for rule 6, by due */
	struct ct_list all;            /* every trunk call held, start order */
	struct ct_addr pbx[MAX_PBX];   /* addresses of PBXes seen opening legs */
	size_t n_pbx;
	bool lan_seen;                 /* a call from home to an extension at home was seen */
	bool sip_seen;                 /* ct_legs_sip was called: t->answered is known */
	struct ct_recent own;          /* the home side's numbers (own_number), by keyed hash */
	struct ct_legs_stats st;
};

/* ---- small helpers ------------------------------------------------------ */

static const char *cc_or_null(const struct ct_legs *l)
{
	return l->cc[0] != '\0' ? l->cc : NULL;
}

/* ct_number_norm into out, "" when s is not a number. */
static void norm(const struct ct_legs *l, const char *s, char out[CT_NUMBER_MAX])
{
	if (s == NULL || ct_number_norm(s, cc_or_null(l), out, CT_NUMBER_MAX) != CT_OK)
		out[0] = '\0';
}

static uint64_t hstr(const struct ct_htab *t, const char *s)
{
	return ct_htab_hash(t, s, strlen(s));
}

static bool home(const struct ct_legs *l, const struct ct_addr *a)
{
	return ct_cidr_any(l->home, l->cfg.n_home, a);
}

static bool addr_eq(const struct ct_addr *a, const struct ct_addr *b)
{
	return a->family == b->family && memcmp(a->a, b->a, sizeof(a->a)) == 0;
}

static bool is_pbx(const struct ct_legs *l, const struct ct_addr *a)
{
	size_t i;

	for (i = 0; i < l->n_pbx; i++)
		if (addr_eq(&l->pbx[i], a))
			return true;
	return false;
}

/* Remembers a as a PBX (the oldest is forgotten beyond MAX_PBX). */
static void learn_pbx(struct ct_legs *l, const struct ct_addr *a)
{
	if (a->family == 0 || is_pbx(l, a))
		return;
	if (l->n_pbx == MAX_PBX) {
		memmove(&l->pbx[0], &l->pbx[1], (MAX_PBX - 1) * sizeof(l->pbx[0]));
		l->n_pbx--;
	}
	l->pbx[l->n_pbx++] = *a;
}

/*
 * The home side's own numbers: its tracking numbers (--numbers, known from
 * the start), those its trunk calls dialled (its DIDs) and the callers of
 * the calls it sent out that no rule linked (its outbound caller IDs), the
 * last OWN_NUMBERS of these two.  A trunk call "from" one of them is no
 * caller whose ID the PBX passes on to its legs: anyone may put the
 * company's number in a From (a spoofer, a robocaller), and every outbound
 * call carries it, so rule 2 would make them all its legs.  The learnt
 * ones protect only the calls after the first that showed the number; a
 * listed one protects every call.
 */
static void own_note(struct ct_legs *l, const char *num)
{
	if (num[0] != '\0')
		(void)ct_recent_put(&l->own, hstr(&l->by_num, num), NULL);
}

static bool own_number(const struct ct_legs *l, const char *num)
{
	return num[0] != '\0' && (ct_numbers_lookup(l->cfg.tracking, num) != NULL ||
	    ct_recent_get(&l->own, hstr(&l->by_num, num)) != NULL);
}

/*
 * Learns t's PBX (for the ivr claim) from its legs linked by a number
 * alone (rules 2 and 4: a caller ID or a Diversion user, which anyone may
 * put in an INVITE) once t and such a leg are both answered: a stranger's
 * ringing INVITE with the PBX's own outbound caller ID adopted the PBX's
 * outbound calls, and their links made every other answered trunk call of
 * that PBX an IVR's (red-team pass 6: 29 of 80 records).
 */
static void weak_agree(struct ct_legs *l, struct trunk *t)
{
	struct leg *g;

	if (!t->answered)
		return;
	for (g = t->legs; g != NULL; g = g->next)
		if (g->weak && g->answered) {
			learn_pbx(l, &t->pbx);
			learn_pbx(l, &g->src);
			return;
		}
}

/*
 * True when user names a voicemail box: "voicemail", "vmail" or "vm"
 * followed by nothing, a digit, '-' or '_' (vm, vm201, VM-sales), any case.
 */
bool ct_legs_is_voicemail(const char *user)
{
	if (user == NULL)
		return false;
	if (strncasecmp(user, "voicemail", 9) == 0 || strncasecmp(user, "vmail", 5) == 0)
		return true;
	return strncasecmp(user, "vm", 2) == 0 && (user[2] == '\0' ||
	    (user[2] >= '0' && user[2] <= '9') || user[2] == '-' || user[2] == '_');
}

/* ---- lifetime ----------------------------------------------------------- */

/* Defaults: no home prefixes (the stage then links nothing), 60 s wait, 200000 calls. */
void ct_legs_cfg_default(struct ct_legs_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->wait_us = 60 * INT64_C(1000000);
	cfg->max_calls = 200000;
}

/*
 * Creates the stage: cfg (copied; home prefixes and country code as the
 * attribution stage has them), out receives every record the stage lets go
 * (ownership passes), in the order it lets them go.  NULL when out of
 * memory.
 */
struct ct_legs *ct_legs_new(const struct ct_legs_cfg *cfg, ct_legs_out_fn out, void *user)
{
	struct ct_legs *l = calloc(1, sizeof(*l));
	size_t i;

	if (l == NULL)
		return NULL;
	if (cfg != NULL)
		l->cfg = *cfg;
	else
		ct_legs_cfg_default(&l->cfg);
	if (l->cfg.n_home > CT_ATTR_MAX_HOME)
		l->cfg.n_home = CT_ATTR_MAX_HOME;
	for (i = 0; i < l->cfg.n_home; i++)
		l->home[i] = l->cfg.home[i];
	l->cfg.home = NULL;
	if (l->cfg.cc != NULL && strlen(l->cfg.cc) < sizeof(l->cc))
		strcpy(l->cc, l->cfg.cc);
	l->cfg.cc = NULL;
	l->out = out;
	l->user = user;
	ct_list_init(&l->waiting);
	ct_list_init(&l->all);
	ct_list_init(&l->referrals);
	ct_list_init(&l->loose_order);
	ct_list_init(&l->loose_ended);
	ct_list_init(&l->bhold);
	ct_list_init(&l->bpend);
	if (ct_recent_init(&l->own, OWN_NUMBERS) != CT_OK ||
	    ct_htab_init(&l->by_id, 64, CT_HTAB_UNBOUNDED) != CT_OK ||
	    ct_htab_init(&l->by_num, 64, CT_HTAB_UNBOUNDED) != CT_OK ||
	    ct_htab_init(&l->by_dial, 64, CT_HTAB_UNBOUNDED) != CT_OK ||
	    ct_htab_init(&l->legs, 64, CT_HTAB_UNBOUNDED) != CT_OK ||
	    ct_htab_init(&l->loose, 64, CT_HTAB_UNBOUNDED) != CT_OK ||
	    ct_htab_init(&l->eps, 64, CT_HTAB_UNBOUNDED) != CT_OK) {
		ct_legs_free(l);
		return NULL;
	}
	return l;
}

/* Takes the SDP endpoints of a trunk or loose call out of l->eps. */
static void eps_drop(struct ct_legs *l, struct mep *ep)
{
	size_t i;

	for (i = 0; i < MEP_MAX; i++)
		if (ep[i].used) {
			ct_htab_remove(&l->eps, &ep[i].hn);
			ep[i].used = false;
		}
}

static void leg_free(struct leg *g)
{
	if (ct_list_linked(&g->rl))
		ct_list_remove(&g->rl);
	ct_call_record_free(g->rec);
	free(g->call_id);
	free(g->callee);
	free(g);
}

/* Notes a lookup's walk of n entries (ct_legs_max_walk). */
static void walked_note(struct ct_legs *l, size_t n)
{
	if (n > l->max_walk)
		l->max_walk = n;
}

/*
 * Takes t out of the number tables: its record arrived, so it is open for
 * no rule any more (open_at), and a number's chain holds only the calls
 * rules 2 and 4 may still link (red-team pass 8: the records held for
 * their legs made every lookup of a busy number walk them all).
 */
static void trunk_unindex(struct ct_legs *l, struct trunk *t)
{
	if (!t->by_number)
		return;
	if (t->caller[0] != '\0')
		ct_htab_remove(&l->by_num, &t->hn_num);
	if (t->dialled[0] != '\0')
		ct_htab_remove(&l->by_dial, &t->hn_dial);
	t->by_number = false;
}

/* Takes t off the list it is on (wl: waiting or bhold). */
static void trunk_unwait(struct ct_legs *l, struct trunk *t)
{
	if (t->waiting) {
		t->waiting = false;
		l->n_waiting--;
	}
	if (ct_list_linked(&t->wl))
		ct_list_remove(&t->wl);
}

/* Takes t out of every table and list (its legs too) and frees it, not its records. */
static void trunk_unlink(struct ct_legs *l, struct trunk *t)
{
	struct leg *g, *n;

	ct_htab_remove(&l->by_id, &t->hn_id);
	trunk_unindex(l, t);
	trunk_unwait(l, t);
	ct_list_remove(&t->al);
	eps_drop(l, t->ep);
	for (g = t->legs; g != NULL; g = n) {
		n = g->next;
		ct_htab_remove(&l->legs, &g->hn);
		g->rec = NULL;     /* handed on by the caller */
		leg_free(g);
	}
	free(t->call_id);
	free(t);
}

/* Takes x out of the loose table and frees it. */
static void loose_drop(struct ct_legs *l, struct loose *x)
{
	ct_htab_remove(&l->loose, &x->hn);
	ct_list_remove(&x->ll);
	if (ct_list_linked(&x->el))
		ct_list_remove(&x->el);
	eps_drop(l, x->ep);
	free(x->call_id);
	free(x->callee);
	free(x->caller);
	free(x);
}

/* Frees the stage and every record it still holds (unwritten).  NULL: no-op. */
void ct_legs_free(struct ct_legs *l)
{
	struct trunk *t;
	struct leg *g;
	struct loose *x;
	struct ct_list *n;

	if (l == NULL)
		return;
	while (l->all.next != NULL &&
	    (t = ct_list_entry(ct_list_first(&l->all), struct trunk, al)) != NULL) {
		ct_call_record_free(t->rec);
		for (g = t->legs; g != NULL; g = g->next)
			ct_call_record_free(g->rec);
		trunk_unlink(l, t);
	}
	ct_recent_fini(&l->own);
	ct_htab_fini(&l->by_id);
	ct_htab_fini(&l->by_num);
	ct_htab_fini(&l->by_dial);
	while ((x = ct_list_entry(ct_list_first(&l->loose_order), struct loose, ll)) != NULL)
		loose_drop(l, x);
	while ((n = ct_list_pop_first(&l->bpend)) != NULL) {
		struct bpend *b = ct_container_of(n, struct bpend, n);

		ct_call_record_free(b->rec);
		free(b);
	}
	ct_htab_fini(&l->legs);
	ct_htab_fini(&l->loose);
	ct_htab_fini(&l->eps);
	free(l);
}

/* ---- lookups ------------------------------------------------------------- */

static struct trunk *find_trunk(const struct ct_legs *l, const char *call_id)
{
	uint64_t h;
	struct ct_hnode *n;

	if (ct_htab_count(&l->by_id) == 0)
		return NULL;   /* no trunk call: no hash (every record asks, twice) */
	h = hstr(&l->by_id, call_id);
	for (n = ct_htab_first(&l->by_id, h); n != NULL; n = ct_htab_next(n)) {
		struct trunk *t = ct_container_of(n, struct trunk, hn_id);

		if (strcmp(t->call_id, call_id) == 0)
			return t;
	}
	return NULL;
}

static struct leg *find_leg(const struct ct_legs *l, const char *call_id)
{
	uint64_t h;
	struct ct_hnode *n;

	if (ct_htab_count(&l->legs) == 0)
		return NULL;
	h = hstr(&l->legs, call_id);
	for (n = ct_htab_first(&l->legs, h); n != NULL; n = ct_htab_next(n)) {
		struct leg *g = ct_container_of(n, struct leg, hn);

		if (strcmp(g->call_id, call_id) == 0)
			return g;
	}
	return NULL;
}

static struct loose *find_loose(const struct ct_legs *l, const char *call_id)
{
	uint64_t h;
	struct ct_hnode *n;

	if (ct_htab_count(&l->loose) == 0)   /* no hash for an empty table */
		return NULL;
	h = hstr(&l->loose, call_id);

	for (n = ct_htab_first(&l->loose, h); n != NULL; n = ct_htab_next(n)) {
		struct loose *x = ct_container_of(n, struct loose, hn);

		if (strcmp(x->call_id, call_id) == 0)
			return x;
	}
	return NULL;
}

/* The loose call call_id while it is open (not kept after its end for its offer). */
static struct loose *find_open_loose(const struct ct_legs *l, const char *call_id)
{
	struct loose *x = find_loose(l, call_id);

	return x != NULL && x->ended_us == CT_TIME_NONE ? x : NULL;
}

/* Forgets the ended loose calls kept for their offer longer than NEAR_US before now_us. */
static void prune_loose_ended(struct ct_legs *l, int64_t now_us)
{
	struct loose *x;

	while ((x = ct_list_entry(ct_list_first(&l->loose_ended), struct loose, el)) != NULL &&
	    now_us - x->ended_us > NEAR_US)
		loose_drop(l, x);
}

/* Copies user s into out (USER_MAX + 1 bytes), cut to USER_MAX; "" for NULL. */
static void copy_user(char out[USER_MAX + 1], const char *s)
{
	size_t n = s != NULL ? strnlen(s, USER_MAX) : 0;

	memcpy(out, s != NULL ? s : "", n);
	out[n] = '\0';
}

/*
 * True when user (a leg's dialled user; num: it normalised, "" when not a
 * number) is the target a REFER of leg g named: the same number, else the
 * same text.
 */
static bool refer_target(const struct leg *g, const char *user, const char *num)
{
	if (user == NULL || g->refer_to[0] == '\0')
		return false;
	if (num[0] != '\0' && g->refer_num[0] != '\0')
		return strcmp(num, g->refer_num) == 0;
	return strncmp(user, g->refer_to, USER_MAX) == 0;
}

/* Forgets the referrals older than REFER_US before now_us. */
static void prune_referrals(struct ct_legs *l, int64_t now_us)
{
	struct leg *g;

	while ((g = ct_list_entry(ct_list_first(&l->referrals), struct leg, rl)) != NULL &&
	    now_us - g->refer_us > REFER_US)
		ct_list_remove(&g->rl);
}

/*
 * True when trunk call t was open at at_us: started by then and not ended
 * before (a call that ended lingers a while before its record comes: a
 * caller's quick redial must not see it as open), and not waiting for its
 * INVITE retried after a 401/407 (the PBX serves no call it challenged).
 */
static bool open_at(const struct trunk *t, int64_t at_us)
{
	return t->rec == NULL && t->start_us <= at_us && !t->challenged &&
	    (t->end_us == CT_TIME_NONE || at_us <= t->end_us);
}

/*
 * The only open trunk call (record not yet arrived, started no later than
 * at_us) whose caller (dial false) or dialled number (dial true) is num;
 * NULL when none, or when several (*ambiguous set; the first two found are
 * marked unsure).
 */
static struct trunk *only_open(struct ct_legs *l, const char *num, bool dial, int64_t at_us,
    bool *ambiguous)
{
	struct ct_htab *tab = dial ? &l->by_dial : &l->by_num;
	uint64_t h = hstr(tab, num);
	struct trunk *found = NULL;
	struct ct_hnode *n;
	bool many = false;
	size_t walked = 0;

	for (n = ct_htab_first(tab, h); n != NULL; n = ct_htab_next(n)) {
		struct trunk *t = dial ? ct_container_of(n, struct trunk, hn_dial) :
		    ct_container_of(n, struct trunk, hn_num);

		if (walked == NUMBER_WALK) {
			/* a number in that many calls at once (ended ones waiting for
			 * their records too: red-team pass 8) links nothing */
			if (found != NULL)
				found->unsure = true;
			many = true;
			break;
		}
		walked++;

		if (strcmp(dial ? t->dialled : t->caller, num) != 0 || !open_at(t, at_us))
			continue;
		if (found != NULL) {
			/* Two are enough to refuse: stop (a flood from one number stays O(1)). */
			found->unsure = t->unsure = many = true;
			break;
		}
		found = t;
	}
	walked_note(l, walked);
	if (many) {
		*ambiguous = true;
		return NULL;
	}
	return found;
}

/* ---- starts -------------------------------------------------------------- */

static void start_trunk(struct ct_legs *l, const struct ct_call_record *v)
{
	struct trunk *t;

	if (find_trunk(l, v->call_id) != NULL)
		return;
	if (ct_htab_count(&l->by_id) >= l->cfg.max_calls) {
		l->st.not_tracked++;
		return;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL || (t->call_id = strdup(v->call_id)) == NULL) {
		free(t);
		l->st.not_tracked++;
		return;
	}
	norm(l, v->caller, t->caller);
	norm(l, v->callee, t->dialled);
	own_note(l, t->dialled);
	t->pbx = v->dst_ip;
	t->start_us = v->start_us;
	t->end_us = CT_TIME_NONE;
	ct_list_append(&l->all, &t->al);
	ct_htab_insert(&l->by_id, &t->hn_id, hstr(&l->by_id, t->call_id));
	if (t->caller[0] != '\0')
		ct_htab_insert(&l->by_num, &t->hn_num, hstr(&l->by_num, t->caller));
	if (t->dialled[0] != '\0')
		ct_htab_insert(&l->by_dial, &t->hn_dial, hstr(&l->by_dial, t->dialled));
	t->by_number = true;
	l->st.trunk_calls++;
}

/*
 * The leg whose REFER, at most REFER_US before leg v started, named v's
 * dialled user (a blind transfer; or an attended one whose PBX sends the
 * target an INVITE with Replaces), its trunk call open: of
 * trunk call only (NULL: of any); NULL when none, or when REFERs of two
 * trunk calls name it.  Referred-By is not needed: the REFER's leg says
 * who transferred.
 */
static struct leg *by_referral(struct ct_legs *l, const struct ct_call_record *v,
    const struct trunk *only)
{
	char num[CT_NUMBER_MAX];
	struct ct_list *n;
	struct leg *found = NULL;
	size_t seen = 0;

	prune_referrals(l, v->start_us);
	if (v->callee == NULL || ct_list_empty(&l->referrals))
		return NULL;
	norm(l, v->callee, num);
	/* newest first, REFER_SCAN at most: a flood of REFERs costs each leg a bounded walk */
	for (n = ct_list_last(&l->referrals); n != NULL && seen < REFER_SCAN;
	    n = ct_list_prev(&l->referrals, n)) {
		struct leg *g = ct_container_of(n, struct leg, rl);

		seen++;
		if (g->refer_us > v->start_us + LATE_US ||
		    (only != NULL && g->t != only) || !open_at(g->t, v->start_us) ||
		    !refer_target(g, v->callee, num))
			continue;
		if (found != NULL && found->t != g->t) {
			walked_note(l, seen);
			return NULL;
		}
		if (found == NULL)
			found = g;    /* the newest REFER of that call */
	}
	walked_note(l, seen);
	return found;
}

/*
 * The open trunk call leg v serves (rules 1-4 of the file comment), or
 * NULL; *via: the leg whose REFER brought v, when one of that call did.
 */
static struct trunk *match(struct ct_legs *l, const struct ct_call_record *v, struct leg **via,
    bool *weak)
{
	char num[CT_NUMBER_MAX];
	struct trunk *t;
	bool amb = false;

	*via = NULL;
	*weak = false;
	if (v->link_id != NULL && v->link_id[0] != '\0' &&
	    (t = find_trunk(l, v->link_id)) != NULL && open_at(t, v->start_us)) {
		l->st.by_header++;
		*via = by_referral(l, v, t);
		return t;
	}
	norm(l, v->caller, num);
	if (num[0] != '\0' && !own_number(l, num) &&
	    (t = only_open(l, num, false, v->start_us, &amb)) != NULL) {
		l->st.by_caller++;
		*via = by_referral(l, v, t);
		*weak = *via == NULL;
		return t;
	}
	if (!amb && (*via = by_referral(l, v, NULL)) != NULL) {
		l->st.by_refer++;
		return (*via)->t;
	}
	if (!amb) {
		norm(l, v->diverted_from, num);
		if (num[0] != '\0' && (t = only_open(l, num, true, v->start_us, &amb)) != NULL) {
			l->st.by_diversion++;
			*via = by_referral(l, v, t);
			*weak = *via == NULL;
			return t;
		}
	}
	if (amb)
		l->st.ambiguous++;
	return NULL;
}

/* Links g into t's list in start order (after the legs that started no later). */
static void leg_insert(struct trunk *t, struct leg *g)
{
	struct leg **pp = &t->legs;

	while (*pp != NULL && (*pp)->start_us <= g->start_us)
		pp = &(*pp)->next;
	g->next = *pp;
	*pp = g;
	if (g->next == NULL)
		t->legs_tail = g;
	t->n_legs++;
}

/*
 * A new leg of t: call_id, dialled user callee, start_us, kind; via: the
 * leg whose REFER brought it (NULL: none).  NULL when not tracked.
 */
static struct leg *leg_add(struct ct_legs *l, struct trunk *t, const char *call_id,
    const char *callee, int64_t start_us, enum leg_kind kind, struct leg *via)
{
	struct leg *g;

	if (ct_htab_count(&l->legs) >= l->cfg.max_calls) {
		l->st.not_tracked++;
		return NULL;
	}
	if ((g = calloc(1, sizeof(*g))) == NULL || (g->call_id = strdup(call_id)) == NULL ||
	    (callee != NULL && (g->callee = strdup(callee)) == NULL)) {
		if (g != NULL)
			leg_free(g);
		l->st.not_tracked++;
		return NULL;
	}
	g->t = t;
	g->start_us = start_us;
	g->kind = kind;
	g->refer_us = CT_TIME_NONE;
	g->via = via;
	leg_insert(t, g);
	ct_htab_insert(&l->legs, &g->hn, hstr(&l->legs, g->call_id));
	l->st.legs_linked++;
	return g;
}

/* The kind of a leg sent to dst, dialling callee. */
static enum leg_kind kind_of(const struct ct_legs *l, const struct ct_addr *dst, const char *callee)
{
	return !home(l, dst) ? K_EXTERNAL : ct_legs_is_voicemail(callee) ? K_VOICEMAIL : K_AGENT;
}

/* Remembers v, a call from the home side no rule linked, while it is open. */
static void add_loose(struct ct_legs *l, const struct ct_call_record *v)
{
	char num[CT_NUMBER_MAX];
	struct loose *x;

	if (find_loose(l, v->call_id) != NULL)
		return;
	if (!home(l, &v->dst_ip)) {
		norm(l, v->caller, num);
		own_note(l, num);    /* an outbound call no trunk call explains: its caller ID */
	}
	if (ct_htab_count(&l->loose) >= l->cfg.max_calls) {
		/* the oldest open call is the least likely to be consulted now */
		loose_drop(l, ct_list_entry(ct_list_first(&l->loose_order), struct loose, ll));
		l->st.not_tracked++;
	}
	if ((x = calloc(1, sizeof(*x))) == NULL || (x->call_id = strdup(v->call_id)) == NULL ||
	    (v->callee != NULL && (x->callee = strdup(v->callee)) == NULL) ||
	    (v->caller != NULL && (x->caller = strdup(v->caller)) == NULL)) {
		if (x != NULL) {
			free(x->call_id);
			free(x->callee);
			free(x->caller);
			free(x);
		}
		l->st.not_tracked++;
		return;
	}
	x->src = v->src_ip;
	x->dst = v->dst_ip;
	x->start_us = v->start_us;
	x->ended_us = CT_TIME_NONE;
	ct_list_append(&l->loose_order, &x->ll);
	ct_htab_insert(&l->loose, &x->hn, hstr(&l->loose, x->call_id));
}

static void start_leg(struct ct_legs *l, const struct ct_call_record *v)
{
	struct trunk *t;
	struct leg *via = NULL, *g;
	bool weak;

	if (find_leg(l, v->call_id) != NULL || find_trunk(l, v->call_id) != NULL)
		return;
	if (home(l, &v->dst_ip) && ct_number_is_extension(v->callee))
		l->lan_seen = true;     /* the PBX's LAN side is seen: rule 6 may hold records */
	if ((t = match(l, v, &via, &weak)) == NULL) {
		add_loose(l, v);
		return;
	}
	if ((g = leg_add(l, t, v->call_id, v->callee, v->start_us, kind_of(l, &v->dst_ip, v->callee),
	    via)) == NULL)
		return;
	if (via != NULL)      /* one new leg per REFER */
		ct_list_remove(&via->rl);
	/* A number alone proves the PBX only once both calls are answered (weak_agree). */
	g->weak = weak;
	g->src = v->src_ip;
	if (!weak) {
		learn_pbx(l, &t->pbx);
		learn_pbx(l, &v->src_ip);
	}
}

/* Makes loose call x a leg of t (kind, via), and forgets it as loose. */
static struct leg *adopt_loose(struct ct_legs *l, struct trunk *t, struct loose *x,
    enum leg_kind kind, struct leg *via)
{
	struct leg *g = leg_add(l, t, x->call_id, x->callee, x->start_us, kind, via);

	loose_drop(l, x);
	if (g != NULL)
		l->st.by_replaces++;
	return g;
}

/*
 * An attended transfer: the REFER of leg via (trunk t) replaces call
 * call_id, the agent's consultation.  That call becomes a leg of t: when
 * the agent's phone sent it to a PBX (K_CONSULT, no ring), so does the
 * one call the PBX opened for it (from that PBX within NEAR_US; the one
 * that dials the same user and has the same caller, else dials the same
 * user, else has the same caller), which is the consulted agent's ring; when
 * it went straight to a phone, it is that ring itself.  Several candidates
 * for the PBX's call: none is taken (no guess).  False when call_id is
 * not an open loose call.
 */
static bool adopt_consult(struct ct_legs *l, struct leg *via, const char *call_id)
{
	struct trunk *t = via->t;
	struct loose *x = find_open_loose(l, call_id), *y, *pair = NULL;
	struct ct_list *n;
	bool to_pbx, many = false;
	int best = 0, score;

	if (x == NULL)
		return false;
	to_pbx = is_pbx(l, &x->dst);
	if (!to_pbx) {
		adopt_loose(l, t, x, kind_of(l, &x->dst, x->callee), via);
		return true;
	}
	/* loose_order is in start order: only the calls of the next NEAR_US */
	for (n = ct_list_next(&l->loose_order, &x->ll); n != NULL;
	    n = ct_list_next(&l->loose_order, n)) {
		y = ct_container_of(n, struct loose, ll);
		if (y->start_us - x->start_us > NEAR_US)
			break;
		if (y->ended_us != CT_TIME_NONE || !addr_eq(&y->src, &x->dst) || y->start_us < x->start_us)
			continue;
		/* dialling the same user counts more than the same caller; both most */
		score = 2 * (y->callee != NULL && x->callee != NULL &&
		    strcmp(y->callee, x->callee) == 0) +
		    (y->caller != NULL && x->caller != NULL && strcmp(y->caller, x->caller) == 0);
		if (score == 0 || score < best)
			continue;
		many = score == best;
		best = score;
		pair = y;
	}
	adopt_loose(l, t, x, K_CONSULT, via);
	if (pair != NULL && !many)
		adopt_loose(l, t, pair, kind_of(l, &pair->dst, pair->callee), via);
	else if (many)
		l->st.ambiguous++;
	return true;
}

/*
 * A REFER in call call_id (the dialog's refer hook; m borrowed): in a
 * linked leg, a transfer by its agent.  Its Refer-To names the target a
 * new leg will dial (rule 2 of the file comment); its Replaces (attended
 * transfer) names the agent's consultation call, which becomes a leg.
 */
void ct_legs_refer(struct ct_legs *l, const char *call_id, const struct ct_sip_msg *m)
{
	struct leg *g;

	if (l == NULL || call_id == NULL || m == NULL || (g = find_leg(l, call_id)) == NULL ||
	    g->t->rec != NULL)
		return;
	l->st.transfers++;
	g->refer_us = m->ts_us;
	copy_user(g->refer_to, m->refer_to_user);
	norm(l, m->refer_to_user, g->refer_num);
	g->refer_replaces = m->refer_replaces != NULL && m->refer_replaces[0] != '\0';
	if (ct_list_linked(&g->rl))
		ct_list_remove(&g->rl);
	prune_referrals(l, m->ts_us);
	/* an attended transfer whose consultation was seen is bridged: no new leg */
	if (!g->refer_replaces || !adopt_consult(l, g, m->refer_replaces))
		ct_list_append(&l->referrals, &g->rl);
}

/* ---- rule 5: media (direct media reuses the SDP endpoints) --------------- */

static uint64_t mep_hash(const struct ct_htab *tab, const struct ct_addr *a, uint16_t port,
    uint8_t side)
{
	uint8_t k[1 + 16 + 2 + 1];

	k[0] = a->family;
	memcpy(k + 1, a->a, 16);
	k[17] = (uint8_t)(port >> 8);
	k[18] = (uint8_t)port;
	k[19] = side;
	return ct_htab_hash(tab, k, sizeof(k));
}

static bool mep_eq(const struct mep *e, const struct ct_addr *a, uint16_t port, uint8_t side)
{
	return e->port == port && e->side == side && addr_eq(&e->addr, a);
}

/*
 * Adds endpoint (a, port) announced by party side to ep (a ring of MEP_MAX,
 * the oldest replaced) of trunk t or loose call x; false when it was
 * there already (nothing new to match).
 */
static bool mep_add(struct ct_legs *l, struct mep *ep, unsigned *n_ep, struct trunk *t,
    struct loose *x, const struct ct_addr *a, uint16_t port, uint8_t side)
{
	struct mep *e;
	size_t i;

	for (i = 0; i < MEP_MAX; i++)
		if (ep[i].used && mep_eq(&ep[i], a, port, side))
			return false;
	e = &ep[*n_ep % MEP_MAX];
	(*n_ep)++;
	if (e->used)
		ct_htab_remove(&l->eps, &e->hn);
	e->addr = *a;
	e->port = port;
	e->side = side;
	e->t = t;
	e->x = x;
	e->used = true;
	ct_htab_insert(&l->eps, &e->hn, mep_hash(&l->eps, a, port, side));
	return true;
}

/*
 * The other calls that got x's INVITE offer (an endpoint x's caller side
 * announced): the same offer forked to the phones of a ring group.  Into
 * sib (at most MEDIA_LINKS), each marked linking; only calls started at
 * most NEAR_US from x, open or ended at most NEAR_US ago, while t was
 * open.  Such a call started further away (a PBX reusing one port for
 * its offers), or more than MEDIA_LINKS of them: none (returns 0).
 */
static size_t offer_siblings(struct ct_legs *l, const struct trunk *t, const struct loose *x,
    struct loose *sib[MEDIA_LINKS])
{
	size_t ns = 0, i, k, seen = 0, walked = 0;
	bool reuse = false;

	for (i = 0; i < MEP_MAX && !reuse; i++) {
		const struct mep *me = &x->ep[i];
		struct ct_hnode *n;

		if (!me->used || me->side != CT_PARTY_CALLER)
			continue;
		for (n = ct_htab_first(&l->eps, mep_hash(&l->eps, &me->addr, me->port, me->side));
		    n != NULL; n = ct_htab_next(n)) {
			struct mep *e = ct_container_of(n, struct mep, hn);
			struct loose *y = e->x;

			if (walked == MEDIA_WALK) {
				reuse = true;   /* a port in that many calls at once: reused */
				break;
			}
			walked++;
			if (!mep_eq(e, &me->addr, me->port, me->side) || y == x || y == NULL ||
			    y->linking)
				continue;
			if (++seen > MEDIA_SCAN || ns == MEDIA_LINKS ||
			    y->start_us - x->start_us > NEAR_US || x->start_us - y->start_us > NEAR_US ||
			    y->start_us < t->start_us) {
				reuse = true;
				break;
			}
			for (k = 0; k < ns && sib[k] != y; k++)
				;
			if (k == ns)
				sib[ns++] = y;
		}
	}
	walked_note(l, walked);
	if (reuse)
		ns = 0;
	for (i = 0; i < ns; i++)
		sib[i]->linking = true;
	return ns;
}

/*
 * Makes loose call x a leg of t, linked by its media (rule 5), and with
 * it the calls its INVITE offer was forked to (a ring group's phones
 * that rang and did not answer share no other endpoint with t).
 */
static void media_link(struct ct_legs *l, struct trunk *t, struct loose *x, bool moved)
{
	struct ct_addr src = x->src;
	struct loose *sib[MEDIA_LINKS];
	size_t ns = offer_siblings(l, t, x, sib), i;
	struct leg *g = leg_add(l, t, x->call_id, x->callee, x->start_us,
	    kind_of(l, &x->dst, x->callee), NULL);

	if (g == NULL) {
		for (i = 0; i < ns; i++)
			sib[i]->linking = false;
		return;
	}
	g->moved = moved;
	loose_drop(l, x);
	l->st.by_media++;
	learn_pbx(l, &t->pbx);
	learn_pbx(l, &src);
	for (i = 0; i < ns; i++) {
		x = sib[i];
		if (leg_add(l, t, x->call_id, x->callee, x->start_us,
		    kind_of(l, &x->dst, x->callee), NULL) != NULL)
			l->st.by_offer++;
		loose_drop(l, x);
	}
}

/*
 * Rule 5 for endpoint (a, port) of party side, just announced at now_us:
 * when exactly one trunk call open now has it, every loose call that has
 * it on the same side and started while that call was open becomes its
 * leg (the callee side, a phone's own endpoint, only when exactly one
 * loose call has it: a phone keeping one port for all its calls must not
 * bring an older call of its along).  Several open trunk calls, or
 * several loose calls for the phone's endpoint: no link, and the trunk
 * calls are unsure (no ivr claim).  At most MEDIA_SCAN calls with the
 * endpoint are looked at (a flood of SDPs naming one endpoint stays O(1)
 * per SDP); more: no link.
 */
static void media_try(struct ct_legs *l, const struct ct_addr *a, uint16_t port, uint8_t side,
    int64_t now_us)
{
	uint64_t h = mep_hash(&l->eps, a, port, side);
	struct loose *xs[MEDIA_LINKS];
	struct trunk *found = NULL;
	struct ct_hnode *n;
	size_t nx = 0, i, seen = 0, walked = 0;
	bool many = false, loose_many = false;

	for (n = ct_htab_first(&l->eps, h); n != NULL; n = ct_htab_next(n)) {
		struct mep *e = ct_container_of(n, struct mep, hn);

		if (walked == MEDIA_WALK) {
			many = loose_many = true;   /* ended calls count here (red-team pass 8) */
			break;
		}
		walked++;
		if (!mep_eq(e, a, port, side) || (e->x != NULL && e->x->ended_us != CT_TIME_NONE))
			continue;     /* an ended call is kept only for its offer */
		if (++seen > MEDIA_SCAN) {
			many = loose_many = true;
			break;
		}
		if (e->x != NULL) {
			if (nx < MEDIA_LINKS)
				xs[nx++] = e->x;
			else
				loose_many = true;
			continue;
		}
		if (!open_at(e->t, now_us) || e->t == found)
			continue;
		if (found != NULL)
			many = true;
		else
			found = e->t;
	}
	walked_note(l, walked);
	if (nx == 0 || found == NULL)
		return;
	if (many) {
		/* mark the open trunk calls of this endpoint: none may claim ivr */
		seen = walked = 0;
		for (n = ct_htab_first(&l->eps, h); n != NULL && seen < MEDIA_SCAN &&
		    walked++ < MEDIA_WALK; n = ct_htab_next(n)) {
			struct mep *e = ct_container_of(n, struct mep, hn);

			if (!mep_eq(e, a, port, side))
				continue;
			seen++;
			if (e->t != NULL && open_at(e->t, now_us))
				e->t->unsure = true;
		}
		l->st.media_ambiguous++;
		return;
	}
	if (loose_many || (side == CT_PARTY_CALLEE && nx > 1)) {
		found->unsure = true;     /* one of them may be its leg: no ivr claim */
		l->st.media_ambiguous++;
		return;
	}
	for (i = 0; i < nx; i++)
		xs[i]->linking = true;   /* none is another's offer sibling (freed under it) */
	for (i = 0; i < nx; i++) {
		if (open_at(found, xs[i]->start_us))
			media_link(l, found, xs[i], side == CT_PARTY_CALLEE);
		else
			xs[i]->linking = false;
	}
}

/*
 * An SDP in call call_id (the dialog's media hook: from the call's
 * signalling path; m borrowed), sent by party from: its endpoints are
 * remembered when the call is an open trunk call or a loose call, and
 * matched (rule 5 of the file comment).
 */
void ct_legs_sdp(struct ct_legs *l, const char *call_id, enum ct_party from,
    const struct ct_sip_msg *m)
{
	static const uint8_t zero[16];
	struct trunk *t = NULL;
	struct loose *x = NULL;
	struct mep *ep;
	unsigned *n_ep;
	uint8_t i, side;

	if (l == NULL || call_id == NULL || m == NULL || !m->has_sdp ||
	    (from != CT_PARTY_CALLER && from != CT_PARTY_CALLEE))
		return;
	prune_loose_ended(l, m->ts_us);
	if ((t = find_trunk(l, call_id)) != NULL) {
		if (!open_at(t, m->ts_us))
			return;
		ep = t->ep;
		n_ep = &t->n_ep;
	} else if ((x = find_open_loose(l, call_id)) != NULL) {
		ep = x->ep;
		n_ep = &x->n_ep;
	} else {
		return;
	}
	for (i = 0; i < m->sdp.n_media && i < CT_SDP_MAX_MEDIA; i++) {
		const struct ct_sdp_media *md = &m->sdp.media[i];

		if (md->port == 0 || (md->addr.family != 4 && md->addr.family != 6) ||
		    memcmp(md->addr.a, zero, sizeof(zero)) == 0)
			continue;
		/* a PBX's answer to a phone's call (a consultation) is no
		 * leg's endpoint */
		if (x != NULL && from == CT_PARTY_CALLEE && is_pbx(l, &x->dst))
			continue;
		/* the PBX's own address on a trunk call is no phone's endpoint:
		 * it is the PBX's, matched with what the PBX offers its legs
		 * (the caller side of a leg) */
		side = t != NULL && addr_eq(&md->addr, &t->pbx) ? CT_PARTY_CALLER : (uint8_t)from;
		if (!mep_add(l, ep, n_ep, t, x, &md->addr, md->port, side))
			continue;
		media_try(l, &md->addr, md->port, side, m->ts_us);
		if (x != NULL && find_loose(l, call_id) == NULL)
			return;     /* x was linked (and freed) */
	}
}

/*
 * A call has just started (view: the dialog's start hook record, borrowed).
 * An inbound trunk call (outside -> home) is remembered; a call sent from
 * the home side is linked to the open trunk call it serves, if any.
 * Without home prefixes nothing happens.
 */
void ct_legs_start(struct ct_legs *l, const struct ct_call_record *view)
{
	bool s, d;

	if (l == NULL || view == NULL || view->call_id == NULL || l->cfg.n_home == 0)
		return;
	s = home(l, &view->src_ip);
	d = home(l, &view->dst_ip);
	if (!s && d)
		start_trunk(l, view);
	else if (s)
		start_leg(l, view);
}

/*
 * A SIP message m of call call_id (the dialog's msg hook, before the call
 * takes it).  A 401 or 407 to a trunk call's INVITE takes it out of the
 * open calls legs link to until its INVITE comes again (the retry with
 * credentials): a stranger's INVITE from the internet, challenged and
 * never retried, claimed for the whole wait the PBX's outbound calls
 * whose caller number it had forged (rule 2), and its link made every
 * other answered trunk call of that PBX an IVR's (red-team pass 6: 33 of
 * 80 records from one INVITE).  A 2xx to the INVITE of a trunk call or of
 * a leg linked by a number marks it answered (weak_agree).  Other messages
 * change nothing; O(1) unless m is an INVITE or a response to one.
 */
void ct_legs_sip(struct ct_legs *l, const char *call_id, const struct ct_sip_msg *m)
{
	bool challenge, invite, answer;
	struct trunk *t;
	struct leg *g;

	if (l == NULL || call_id == NULL || m == NULL)
		return;
	l->sip_seen = true;
	challenge = !m->is_request && (m->status == 401 || m->status == 407) &&
	    strcmp(m->cseq_method, "INVITE") == 0;
	invite = m->is_request && strcmp(m->method, "INVITE") == 0 &&
	    (m->to_tag == NULL || m->to_tag[0] == '\0');
	answer = !m->is_request && m->status >= 200 && m->status < 300 &&
	    strcmp(m->cseq_method, "INVITE") == 0;
	if (answer && (g = find_leg(l, call_id)) != NULL) {
		/* the phone's (or the far end's) 2xx, sent to the home side */
		if (!g->answered && g->weak && home(l, &m->t.dst)) {
			g->answered = true;
			weak_agree(l, g->t);
		}
		return;
	}
	if ((!challenge && !invite && !answer) || (t = find_trunk(l, call_id)) == NULL)
		return;
	if (answer) {
		/* the PBX's 2xx (from the home side): not one a stranger sent */
		if (!t->answered && home(l, &m->t.src)) {
			t->answered = true;
			weak_agree(l, t);
		}
		return;
	}
	t->challenged = challenge;
}

/*
 * A call has just ended (the dialog's ended hook; rec borrowed): a trunk
 * call stops being a candidate for legs that start later.
 */
void ct_legs_ended(struct ct_legs *l, const struct ct_call_record *rec)
{
	struct trunk *t;
	struct loose *x;

	if (l == NULL || rec == NULL || rec->call_id == NULL)
		return;
	prune_loose_ended(l, rec->end_us != CT_TIME_NONE ? rec->end_us : rec->start_us);
	if ((x = find_open_loose(l, rec->call_id)) != NULL) {
		/* kept NEAR_US more when it has an offer: a ring group's phone
		 * may be cancelled before the answer that links its sibling */
		size_t i;

		for (i = 0; i < MEP_MAX && !(x->ep[i].used && x->ep[i].side == CT_PARTY_CALLER); i++)
			;
		if (i == MEP_MAX) {
			loose_drop(l, x);
		} else {
			x->ended_us = rec->end_us != CT_TIME_NONE ? rec->end_us : rec->start_us;
			ct_list_append(&l->loose_ended, &x->el);
		}
	}
	if ((t = find_trunk(l, rec->call_id)) == NULL || t->rec != NULL)
		return;
	t->end_us = rec->end_us != CT_TIME_NONE ? rec->end_us : rec->start_us;
}

/* ---- rings and answered_by ------------------------------------------------ */

/* The extension a ring offered: the answering one when answered, else the dialled one. */
static const char *ring_agent(const struct leg *g)
{
	const struct ct_call_record *r = g->rec;

	if (r != NULL && r->answer_us != CT_TIME_NONE && ct_number_is_extension(r->agent))
		return r->agent;
	if (ct_number_is_extension(g->callee))
		return g->callee;
	return NULL;
}

/* True when s contains word, compared without case (ASCII). */
static bool has_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return true;
	return false;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/*
 * True when another agent leg of t than g was answered at most NEAR_US
 * before at_us (a PBX cancels the other phones once one answered; a small
 * capture skew of LATE_US the other way is allowed).
 */
static bool answered_elsewhere(const struct trunk *t, const struct leg *g, int64_t at_us)
{
	const struct leg *o;

	for (o = t->legs; o != NULL; o = o->next)
		if (o != g && o->kind == K_AGENT && o->rec != NULL &&
		    o->rec->answer_us != CT_TIME_NONE && o->rec->answer_us <= at_us + LATE_US &&
		    at_us - o->rec->answer_us <= NEAR_US)
			return true;
	return false;
}

/* Outcome of the ring of leg g of trunk t (docs/schema.md, PBX legs). */
static enum ct_ring_outcome ring_outcome(const struct trunk *t, const struct leg *g)
{
	const struct ct_call_record *r = g->rec, *tr = t->rec;

	if (r == NULL)
		return CT_RING_UNKNOWN;
	if (r->answer_us != CT_TIME_NONE)
		return CT_RING_ANSWERED;
	switch (r->disposition) {
	case CT_DISP_BUSY:
		return r->final_code == 603 ? CT_RING_REJECTED : CT_RING_BUSY;
	case CT_DISP_NOANSWER:
		return CT_RING_NO_ANSWER;
	case CT_DISP_FAILED:
		return r->final_code == 403 ? CT_RING_REJECTED : CT_RING_FAILED;
	case CT_DISP_CANCELLED:
		if (r->hangup_reason != NULL && has_word(r->hangup_reason, "elsewhere"))
			return CT_RING_CANCELLED_ELSEWHERE;
		if (answered_elsewhere(t, g, r->end_us))
			return CT_RING_CANCELLED_ELSEWHERE;
		if (tr != NULL && tr->end_us != CT_TIME_NONE && abs64(r->end_us - tr->end_us) <= NEAR_US)
			return CT_RING_CALLER_HANGUP;
		return CT_RING_NO_ANSWER;     /* the PBX gave up: its ring timeout */
	default:
		return CT_RING_UNKNOWN;
	}
}

static char *dup_or_null(const char *s, bool *ok)
{
	char *c;

	if (s == NULL)
		return NULL;
	if ((c = strdup(s)) == NULL)
		*ok = false;
	return c;
}

/* Copies ring src into dst (strings duplicated); false when out of memory. */
static bool copy_ring(struct ct_ring *dst, const struct ct_ring *src)
{
	bool ok = true;

	*dst = *src;
	dst->agent = dup_or_null(src->agent, &ok);
	dst->call_id = dup_or_null(src->call_id, &ok);
	dst->transferred_to = dup_or_null(src->transferred_to, &ok);
	return ok;
}

/* Who leg h reached, as a ring's transferred_to: its agent, else its dialled user. */
static const char *reached(const struct leg *h)
{
	const char *a = h->kind == K_AGENT ? ring_agent(h) : NULL;

	return a != NULL ? a : h->callee;
}

/*
 * To whom the agent of g, an answered agent leg of t, transferred the
 * caller (docs/schema.md, Transfers); NULL when g did not transfer:
 *  - g sent a REFER: the leg its REFER brought (through Refer-To or
 *    Replaces) that answered, else the first such leg, else, when g ended
 *    more than NEAR_US before the trunk call (the agent left), its Refer-To
 *    user;
 *  - else (a transfer made on the PBX: hold, feature code): g ended more
 *    than NEAR_US before the trunk call, and another leg started between
 *    g's answer and NEAR_US after g's end: the first of those that
 *    answered, else the first of them.
 */
static const char *transfer_target(const struct trunk *t, const struct leg *g)
{
	const struct ct_call_record *r = g->rec, *tr = t->rec;
	const struct leg *h, *first = NULL;
	bool left = r != NULL && r->answer_us != CT_TIME_NONE && r->end_us != CT_TIME_NONE &&
	    tr != NULL && tr->end_us != CT_TIME_NONE && tr->end_us - r->end_us > NEAR_US;

	if (g->refer_us != CT_TIME_NONE) {
		for (h = t->legs; h != NULL; h = h->next) {
			if (h->via != g || h->kind == K_CONSULT)
				continue;
			if (h->rec != NULL && h->rec->answer_us != CT_TIME_NONE)
				return reached(h);
			if (first == NULL)
				first = h;
		}
		if (first != NULL)
			return reached(first);
		/* no leg came of it: a transfer only when the agent left (a
		 * refused REFER leaves the agent on the call) */
		return left && g->refer_to[0] != '\0' ? g->refer_to : NULL;
	}
	if (!left)
		return NULL;
	for (h = t->legs; h != NULL; h = h->next) {
		/* a leg the trunk's media was moved to (re-INVITE) may start later */
		if (h == g || h->kind == K_CONSULT || h->start_us < r->answer_us ||
		    (h->start_us > r->end_us + NEAR_US && !h->moved))
			continue;
		if (h->rec != NULL && h->rec->answer_us != CT_TIME_NONE)
			return reached(h);
		if (first == NULL)
			first = h;
	}
	return first != NULL ? reached(first) : NULL;
}

/*
 * Builds the rings of t into t->rec: one per agent leg, in link order; a
 * leg that was itself forked (its record has rings, one per branch)
 * contributes its branches.  Without agent legs t->rec keeps its own rings
 * (a trunk call forked straight to phones).
 */
static int set_rings(struct trunk *t)
{
	struct ct_ring *rings;
	struct leg *g;
	size_t n = 0, k;
	bool ok = true;

	for (g = t->legs; g != NULL; g = g->next)
		if (g->kind == K_AGENT && !g->cut)
			n += g->rec != NULL && g->rec->n_rings > 0 ? g->rec->n_rings : 1;
	if (n == 0)
		return CT_OK;
	if ((rings = calloc(n, sizeof(*rings))) == NULL)
		return CT_NOMEM;
	n = 0;
	for (g = t->legs; g != NULL; g = g->next) {
		struct ct_ring *x;

		if (g->kind != K_AGENT || g->cut)
			continue;
		if (g->rec != NULL && g->rec->n_rings > 0) {
			for (k = 0; k < g->rec->n_rings; k++)
				ok &= copy_ring(&rings[n++], &g->rec->rings[k]);
			continue;
		}
		x = &rings[n++];
		x->agent = dup_or_null(ring_agent(g), &ok);
		x->call_id = dup_or_null(g->call_id, &ok);
		x->start_us = g->start_us;
		x->outcome = ring_outcome(t, g);
		x->end_us = g->rec == NULL ? CT_TIME_NONE :
		    x->outcome == CT_RING_ANSWERED ? g->rec->answer_us : g->rec->end_us;
		if (x->outcome == CT_RING_ANSWERED)
			x->transferred_to = dup_or_null(transfer_target(t, g), &ok);
	}
	if (!ok) {
		ct_rings_free(rings, n);
		return CT_NOMEM;
	}
	return ct_record_set_rings(t->rec, rings, n);
}

/* True when r counts as an inbound call for answered_by (the report's marketing calls). */
static bool inbound(const struct ct_legs *l, const struct ct_call_record *r)
{
	return r->direction == CT_DIR_INBOUND ||
	    (r->direction == CT_DIR_UNKNOWN && l->cfg.n_home == 0);
}

/*
 * Sets answered_by (and agent, missed) of r, an answered inbound call with
 * trunk entry t (NULL: not tracked):
 *   agent      an agent leg answered; agent = the one that answered last;
 *   external   else a leg out of the home network answered (agent null);
 *   voicemail  else a voicemail leg answered (agent null);
 *   ivr        else, with the PBX's LAN side in the capture (lan_seen: an
 *              agent's leg would be seen), the PBX known (it opened legs
 *              for some trunk call) and the caller's number known (a leg
 *              would have been linked) and no leg left unlinked because it
 *              matched this call and another one: the PBX itself answered
 *              (agent null);
 *   unknown    otherwise, or when a linked leg's record did not come in
 *              time (agent left as attribution set it).
 */
static int set_answered_by(struct ct_legs *l, struct ct_call_record *r, const struct trunk *t)
{
	const struct leg *g, *last = NULL;
	bool ext = false, vm = false;

	r->answered_by = CT_ANS_NONE;
	if (!inbound(l, r) || r->answer_us == CT_TIME_NONE)
		return CT_OK;
	r->answered_by = CT_ANS_UNKNOWN;
	for (g = t != NULL ? t->legs : NULL; g != NULL; g = g->next) {
		if (g->rec == NULL || g->rec->answer_us == CT_TIME_NONE || g->cut)
			continue;
		if (g->kind == K_AGENT && ring_agent(g) != NULL &&
		    (last == NULL || g->rec->answer_us >= last->rec->answer_us))
			last = g;
		ext |= g->kind == K_EXTERNAL;
		vm |= g->kind == K_VOICEMAIL;
	}
	if (last == NULL && r->n_rings > 0) {
		/* forked straight to phones (no legs): the branch that answered last */
		const struct ct_ring *best = NULL;
		size_t i;

		for (i = 0; i < r->n_rings; i++)
			if (r->rings[i].outcome == CT_RING_ANSWERED && r->rings[i].agent != NULL &&
			    (best == NULL || r->rings[i].end_us >= best->end_us))
				best = &r->rings[i];
		if (best != NULL) {
			if (ct_record_set_str(r, &r->agent, best->agent) != CT_OK)
				return CT_NOMEM;
			r->answered_by = CT_ANS_AGENT;
			return CT_OK;
		}
	}
	if (last != NULL) {
		if (ct_record_set_str(r, &r->agent, ring_agent(last)) != CT_OK)
			return CT_NOMEM;
		r->answered_by = CT_ANS_AGENT;
		return CT_OK;
	}
	for (g = t != NULL ? t->legs : NULL; g != NULL; g = g->next)
		if (g->rec == NULL)
			return CT_OK;     /* a leg's outcome is not known: answered_by unknown */
	if (ext || vm || (t != NULL && t->caller[0] != '\0' && !t->unsure && l->lan_seen &&
	    is_pbx(l, &t->pbx))) {
		r->answered_by = ext ? CT_ANS_EXTERNAL : vm ? CT_ANS_VOICEMAIL : CT_ANS_IVR;
		ct_record_str_free(r, r->agent);
		r->agent = NULL;
		/* Answered by a machine only: a missed call for marketing. */
		r->missed = r->answered_by != CT_ANS_EXTERNAL;
		return CT_OK;
	}
	r->answered_by = CT_ANS_UNKNOWN;
	return CT_OK;
}

/*
 * Checks the legs of t linked by a number alone, t's record and theirs
 * all in.  Both answered: the PBX is learnt (weak_agree, from the records
 * when the SIP hook did not tell).  A leg answered while t never was is
 * not t's: a PBX that serves a trunk call with a leg answers the trunk
 * call when the leg answers, to bridge them.  Never answered: t's record
 * has no answer and the leg answered at least NEAR_US before t ended (not
 * a caller who hung up as the agent answered); or, with the SIP hook, no
 * 2xx came from the home side (a stranger's own 200 made the record
 * answered).  Such a leg is cut (written alone, counted in legs_unlinked).
 */
static void weak_check(struct ct_legs *l, struct trunk *t)
{
	const struct ct_call_record *r = t->rec;
	/* With the SIP hook, answered means the PBX sent the 2xx (ct_legs_sip). */
	bool answered = r->answer_us != CT_TIME_NONE && (!l->sip_seen || t->answered);
	struct leg *g;

	for (g = t->legs; g != NULL; g = g->next) {
		if (!g->weak || g->rec == NULL || g->rec->answer_us == CT_TIME_NONE)
			continue;
		if (answered) {
			t->answered = g->answered = true;
			weak_agree(l, t);
		} else if (r->end_us == CT_TIME_NONE || g->rec->answer_us + NEAR_US < r->end_us ||
		    r->answer_us != CT_TIME_NONE) {
			g->cut = true;
			l->st.legs_unlinked++;
		}
	}
}

/* Writes t's record with its rings, then its legs' records, and frees t. */
static void release(struct ct_legs *l, struct trunk *t)
{
	struct ct_call_record *r = t->rec;
	struct leg *g;

	weak_check(l, t);
	if (set_rings(t) != CT_OK || set_answered_by(l, r, t) != CT_OK)
		l->st.nomem++;
	l->out(l->user, r);
	for (g = t->legs; g != NULL; g = g->next) {
		if (g->rec == NULL) {
			l->st.legs_late++;
			continue;
		}
		if (!g->cut)
			(void)ct_record_set_str(g->rec, &g->rec->parent_call_id, t->call_id);
		l->out(l->user, g->rec);
		g->rec = NULL;
	}
	trunk_unlink(l, t);
}

/* ---- rule 6: bridged RTP (the PBX relays the media) ------------------------ */

/* True when a leg of t whose record arrived answered (t needs no bridged leg). */
static bool leg_answered(const struct trunk *t)
{
	const struct leg *g;

	for (g = t->legs; g != NULL; g = g->next)
		if (g->kind != K_CONSULT && g->rec != NULL && g->rec->answer_us != CT_TIME_NONE)
			return true;
	return false;
}

/*
 * True when t, its record arrived, may still get a bridged leg (rule 6):
 * only once the PBX's LAN side has been seen (a trunk capture alone keeps
 * its records' timing and order).
 */
static bool bridge_wanted(const struct ct_legs *l, const struct trunk *t)
{
	return l->lan_seen && t->rec->answer_us != CT_TIME_NONE && t->rec->n_streams > 0 &&
	    !leg_answered(t);
}

/*
 * t's record and its legs' are all there: written now, or, when it may
 * still get a bridged leg, held until 2 * BRIDGE_WAIT_US after its record
 * arrived (so a loose record that arrived up to BRIDGE_WAIT_US after it
 * is compared with it while it waits its own BRIDGE_WAIT_US).
 */
static void release_or_hold(struct ct_legs *l, struct trunk *t, int64_t now_us)
{
	if (t->bheld)
		return;
	if (now_us - t->arrived_us >= 2 * BRIDGE_WAIT_US || !bridge_wanted(l, t)) {
		release(l, t);
		return;
	}
	trunk_unwait(l, t);
	t->bheld = true;
	t->due_us = t->arrived_us + 2 * BRIDGE_WAIT_US;
	ct_list_append(&l->bhold, &t->wl);
}

/*
 * True when r is a record rule 6 may link: answered, from the home side to
 * an extension at home (an agent's phone: a supervisor listening in through
 * a feature code hears the same relayed audio), with RTP.
 */
static bool bridge_candidate(const struct ct_legs *l, const struct ct_call_record *r)
{
	return l->cfg.n_home > 0 && r->answer_us != CT_TIME_NONE && r->n_streams > 0 &&
	    r->call_id != NULL && home(l, &r->src_ip) && home(l, &r->dst_ip) &&
	    ct_number_is_extension(r->callee) && ct_htab_count(&l->by_id) > 0;
}

/*
 * How leg record x's RTP matches trunk record tr's: 3 when a stream of
 * each has the same SSRC (the PBX passed it through), 2 when a stream of
 * each started and ended within BRIDGE_TOL_US of the other's with as many
 * packets (2 + 2 % of slack: the PBX relays every packet it gets), 1 when
 * they only ended together (the trunk's media began earlier: an IVR before
 * the bridge), 0 otherwise.  Streams of fewer than BRIDGE_MIN_PKTS packets
 * do not count.
 */
static int bridge_match(const struct ct_call_record *x, const struct ct_call_record *tr)
{
	int best = 0;
	size_t i, j;

	for (i = 0; i < x->n_streams; i++) {
		const struct ct_stream_stats *a = &x->streams[i];

		if (a->packets < BRIDGE_MIN_PKTS)
			continue;
		for (j = 0; j < tr->n_streams; j++) {
			const struct ct_stream_stats *b = &tr->streams[j];
			uint64_t big = a->packets > b->packets ? a->packets : b->packets;
			uint64_t diff = a->packets > b->packets ? a->packets - b->packets :
			    b->packets - a->packets;

			if (b->packets < BRIDGE_MIN_PKTS)
				continue;
			if (a->ssrc == b->ssrc)
				return 3;
			if (abs64(a->last_us - b->last_us) > BRIDGE_TOL_US)
				continue;
			if (abs64(a->first_us - b->first_us) <= BRIDGE_TOL_US && diff <= 2 + big / 50)
				best = 2;
			else if (best == 0)
				best = 1;
		}
	}
	return best;
}

/* True when trunk t (record arrived) was open when x started. */
static bool open_when(const struct trunk *t, const struct ct_call_record *x)
{
	int64_t end = t->rec->end_us != CT_TIME_NONE ? t->rec->end_us : t->end_us;

	return t->start_us <= x->start_us && (end == CT_TIME_NONE || x->start_us <= end);
}

/*
 * Rule 6 for x, an answered loose record with RTP that waited
 * BRIDGE_WAIT_US: among the trunk calls whose record is held (waiting
 * for legs or for rule 6) and that were open when x started, the one
 * whose RTP has an SSRC of x's, else the one whose RTP x's relays (first
 * and last packets, count); two or more: no link (counted, the trunk
 * calls get no ivr).  Returns the trunk x becomes a leg of (x's record
 * then held by it), NULL when x stays on its own.
 */
static struct trunk *bridge_link(struct ct_legs *l, struct ct_call_record *x)
{
	struct ct_list *lists[2] = { &l->waiting, &l->bhold };
	struct trunk *best[4] = { NULL, NULL, NULL, NULL };
	size_t many[4] = { 0, 0, 0, 0 }, seen = 0, i;
	struct ct_list *n;
	struct leg *g;
	int k;

	for (i = 0; i < 2; i++)
		for (n = ct_list_first(lists[i]); n != NULL; n = ct_list_next(lists[i], n)) {
			struct trunk *t = ct_container_of(n, struct trunk, wl);

			if (++seen > BRIDGE_SCAN) {
				l->st.bridge_ambiguous++;
				return NULL;
			}
			if (t->rec == NULL || !open_when(t, x) || (k = bridge_match(x, t->rec)) == 0)
				continue;
			if (k == 1) {
				/* ended with x: maybe its leg after an IVR, no ivr claim */
				t->unsure = true;
				continue;
			}
			if (best[k] != NULL)
				best[k]->unsure = t->unsure = true;
			best[k] = t;
			many[k]++;
		}
	k = many[3] > 0 ? 3 : 2;
	if (many[k] == 0)
		return NULL;
	if (many[k] > 1) {
		l->st.bridge_ambiguous++;
		return NULL;
	}
	g = leg_add(l, best[k], x->call_id, x->callee, x->start_us, kind_of(l, &x->dst_ip, x->callee),
	    NULL);
	if (g == NULL)
		return NULL;
	g->rec = x;
	best[k]->n_done++;
	l->st.by_bridge++;
	l->st.by_bridge_ssrc += k == 3;
	learn_pbx(l, &best[k]->pbx);
	learn_pbx(l, &x->src_ip);
	return best[k];
}

/* Decides rule 6 for the loose records that waited until now_us (all: flush). */
static void bridge_expire(struct ct_legs *l, int64_t now_us, bool all)
{
	struct bpend *b;
	struct trunk *t;

	while ((b = ct_list_entry(ct_list_first(&l->bpend), struct bpend, n)) != NULL &&
	    (all || now_us >= b->due_us)) {
		struct ct_call_record *x = b->rec;

		ct_list_remove(&b->n);
		free(b);
		if ((t = bridge_link(l, x)) != NULL) {
			if (t->bheld || t->n_done == t->n_legs) {
				t->bheld = false;
				release(l, t);
			}
			continue;
		}
		if (set_answered_by(l, x, NULL) != CT_OK)
			l->st.nomem++;
		l->out(l->user, x);
	}
}

/*
 * A finished record (after attribution; ownership passes).  The record of
 * a tracked trunk call waits for its legs' records (at most cfg.wait_us
 * after now_us), and, answered with RTP and no answered leg, a while more
 * for a bridged leg (rule 6); a linked leg's record waits with its trunk
 * call; an answered record from the home side with RTP waits
 * BRIDGE_WAIT_US for rule 6; any other record gets its answered_by and
 * goes straight to out.
 */
void ct_legs_put(struct ct_legs *l, struct ct_call_record *rec, int64_t now_us)
{
	struct trunk *t;
	struct leg *g;
	struct bpend *b;

	if (l == NULL || rec == NULL || rec->call_id == NULL) {
		if (l != NULL && rec != NULL)
			l->out(l->user, rec);
		return;
	}
	if ((g = find_leg(l, rec->call_id)) != NULL && g->rec == NULL) {
		g->rec = rec;
		t = g->t;
		t->n_done++;
		if (t->rec != NULL && t->n_done == t->n_legs)
			release_or_hold(l, t, now_us);
		return;
	}
	if ((t = find_trunk(l, rec->call_id)) != NULL && t->rec == NULL) {
		t->rec = rec;
		t->arrived_us = now_us;
		trunk_unindex(l, t);
		if (t->n_done == t->n_legs) {
			release_or_hold(l, t, now_us);
			return;
		}
		t->due_us = now_us + l->cfg.wait_us;
		ct_list_append(&l->waiting, &t->wl);
		t->waiting = true;
		/* bounded memory: a flood of trunk calls whose legs never end
		 * (red-team pass 8: 160,000 records held, 598 MB) */
		if (++l->n_waiting > WAIT_MAX) {
			l->st.released_early++;
			release(l, ct_list_entry(ct_list_first(&l->waiting), struct trunk, wl));
		}
		return;
	}
	if (bridge_candidate(l, rec) && (b = calloc(1, sizeof(*b))) != NULL) {
		b->rec = rec;
		b->due_us = now_us + BRIDGE_WAIT_US;
		ct_list_append(&l->bpend, &b->n);
		return;
	}
	if (set_answered_by(l, rec, NULL) != CT_OK)
		l->st.nomem++;
	l->out(l->user, rec);
}

/*
 * Releases the trunk calls that waited cfg.wait_us for their legs, or
 * their time for a bridged leg, by now_us; decides rule 6 for the loose
 * records that waited.
 */
void ct_legs_expire(struct ct_legs *l, int64_t now_us)
{
	struct trunk *t;

	if (l == NULL)
		return;
	prune_loose_ended(l, now_us);
	bridge_expire(l, now_us, false);
	while ((t = ct_list_entry(ct_list_first(&l->waiting), struct trunk, wl)) != NULL &&
	    now_us >= t->due_us) {
		l->st.released_by_wait++;
		release(l, t);
	}
	while ((t = ct_list_entry(ct_list_first(&l->bhold), struct trunk, wl)) != NULL &&
	    now_us >= t->due_us) {
		t->bheld = false;
		release(l, t);
	}
}

/*
 * End of input (after the dialog table flushed every call): writes every
 * held record; trunk calls whose record never came are forgotten.
 */
void ct_legs_flush(struct ct_legs *l)
{
	struct trunk *t;
	struct leg *g;

	if (l == NULL)
		return;
	bridge_expire(l, 0, true);
	while ((t = ct_list_entry(ct_list_first(&l->waiting), struct trunk, wl)) != NULL)
		release(l, t);
	while ((t = ct_list_entry(ct_list_first(&l->bhold), struct trunk, wl)) != NULL) {
		t->bheld = false;
		release(l, t);
	}
	while ((t = ct_list_entry(ct_list_first(&l->all), struct trunk, al)) != NULL) {
		for (g = t->legs; g != NULL; g = g->next) {
			if (g->rec != NULL)
				l->out(l->user, g->rec);
			g->rec = NULL;
		}
		trunk_unlink(l, t);
	}
}

size_t ct_legs_max_walk(const struct ct_legs *l)
{
	return l != NULL ? l->max_walk : 0;
}

void ct_legs_get_stats(const struct ct_legs *l, struct ct_legs_stats *st)
{
	if (l == NULL)
		memset(st, 0, sizeof(*st));
	else
		*st = l->st;
}
