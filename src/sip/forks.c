/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Forking (RFC 3261 §16.7): a proxy sends copies of one INVITE (same
 * Call-ID, From tag and CSeq) to several phones, and each phone answers
 * with its own To tag.  One branch's failure (486 from a phone that is
 * busy) must not end the call while another branch may still answer; the
 * call ends on the final response the proxy forwards upstream, on a 6xx
 * (the proxy then cancels the others, §16.7 step 5), or when every branch
 * failed.  Each branch is a ring of the call (record `rings`).
 *
 * The dialog (dialog.c) hands every copy of its initial INVITE and every
 * response to it here, before its retransmission filter (a copy and the
 * upstream copy of a response carry the same key as the first).  A
 * *target* is a destination (address and port) of an INVITE copy; a
 * target that itself sent a copy is a *forwarder* (a proxy in the path),
 * the others are *leaves* (phones).  A response is matched to its target
 * by its source.  The table exists only once a second target is seen, so
 * an ordinary call costs one pointer.  A proxy seen only downstream that
 * forks serially (a branch after the one before failed) makes the table
 * when its second branch comes (dialog.c serial_resume), the first
 * target's failure noted then (ct_forks_failed).  Workload: a handful of targets per
 * call, a linear scan of at most CT_FORK_MAX.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "forks.h"

#define CT_FORK_MAX 8
#define FORK_CAP_USER 64

struct target {
	struct ct_addr addr;
	uint16_t port;
	bool forwarder;           /* sent an INVITE copy itself */
	char user[FORK_CAP_USER + 1]; /* Request-URI user of the copy */
	char answer_user[FORK_CAP_USER + 1]; /* Contact / PAI user of its 2xx */
	int64_t invite_us, answer_us, final_us;
	int final_code;           /* 0 = none yet */
};

struct ct_forks {
	uint32_t cseq;
	unsigned n;
	struct target t[CT_FORK_MAX];
};

static void copy_user(char *dst, const char *src)
{
	size_t n = src != NULL ? strlen(src) : 0;

	if (n > FORK_CAP_USER)
		n = FORK_CAP_USER;
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static bool same(const struct target *x, const struct ct_addr *a, uint16_t port)
{
	return x->port == port && x->addr.family == a->family &&
	    memcmp(x->addr.a, a->a, sizeof(a->a)) == 0;
}

static struct target *find(struct ct_forks *f, const struct ct_addr *a, uint16_t port)
{
	unsigned i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (same(&f->t[i], a, port))
			return &f->t[i];
	return NULL;
}

static void add(struct ct_forks *f, const struct ct_addr *a, uint16_t port, const char *user,
    int64_t ts)
{
	struct target *x;

	if (f->n == CT_FORK_MAX)
		return;
	x = &f->t[f->n++];
	memset(x, 0, sizeof(*x));
	x->addr = *a;
	x->port = port;
	copy_user(x->user, user);
	x->invite_us = ts;
	x->answer_us = x->final_us = CT_TIME_NONE;
}

/*
 * A copy of the call's initial INVITE m (first INVITE: first->dst:dport,
 * Request-URI user first_user, at first_us).  Creates *fp when m goes to
 * a second target.  A copy with another CSeq (the retry after 401/407)
 * starts over.
 */
void ct_forks_invite(struct ct_forks **fp, const struct ct_sip_msg *m,
    const struct ct_addr *first, uint16_t first_port, const char *first_user, int64_t first_us)
{
	struct ct_forks *f = *fp;
	struct target *src;

	if (f != NULL && f->cseq != m->cseq)
		f->n = 0;
	if (f == NULL) {
		if (same(&(struct target){ .addr = *first, .port = first_port }, &m->t.dst,
		    m->t.dport))
			return;   /* the first INVITE, or a retransmission of it */
		if ((f = calloc(1, sizeof(*f))) == NULL)
			return;
		*fp = f;
	}
	if (f->n == 0) {
		f->cseq = m->cseq;
		add(f, first, first_port, first_user, first_us);
	}
	if ((src = find(f, &m->t.src, m->t.sport)) != NULL)
		src->forwarder = true;
	if (find(f, &m->t.dst, m->t.dport) == NULL)
		add(f, &m->t.dst, m->t.dport, m->ruri_user, m->ts_us);
}

/*
 * A response m to the initial INVITE (CSeq checked by the caller): notes
 * the answer or final failure of the target that sent it.  For a final
 * failure, returns what it means for the call: CT_FORK_END (a forwarder
 * sent it upstream, a 6xx, every leaf failed with no forwarder in view, or
 * an unknown sender), CT_FORK_BRANCH (one branch failed: others may still
 * answer, or a forwarder may try another);
 * CT_FORK_NONE for other responses.  NULL f: CT_FORK_NONE.
 */
enum ct_fork_verdict ct_forks_response(struct ct_forks *f, const struct ct_sip_msg *m)
{
	struct target *x;
	unsigned i;

	if (f == NULL || m->status < 200 || m->cseq != f->cseq)
		return CT_FORK_NONE;
	x = find(f, &m->t.src, m->t.sport);
	if (m->status < 300) {
		if (x != NULL && !x->forwarder && x->answer_us == CT_TIME_NONE) {
			x->answer_us = m->ts_us;
			copy_user(x->answer_user, ct_number_is_extension(m->contact_user) ?
			    m->contact_user : ct_number_is_extension(m->pai_user) ? m->pai_user : NULL);
		}
		return CT_FORK_NONE;
	}
	if (m->status == 401 || m->status == 407)
		return CT_FORK_NONE;
	if (x == NULL || x->forwarder)
		return CT_FORK_END;
	if (x->final_code == 0) {
		x->final_code = m->status;
		x->final_us = m->ts_us;
	}
	if (m->status >= 600)
		return CT_FORK_END;
	/*
	 * With a proxy in view, a leaf's failure is its branch's: the proxy
	 * may go on to another phone (serial forking, a hunt group), and its
	 * own final response upstream ends the call.
	 */
	if (ct_forks_has_forwarder(f))
		return CT_FORK_BRANCH;
	for (i = 0; i < f->n; i++)
		if (!f->t[i].forwarder && f->t[i].final_code == 0 && f->t[i].answer_us == CT_TIME_NONE)
			return CT_FORK_BRANCH;
	return CT_FORK_END;
}

/*
 * Notes the final failure status, at ts_us, of the target addr:port of f
 * that the table did not see because it was made after it: the branch a
 * proxy gave up before it forwarded the INVITE to another target (serial
 * forking, dialog.c serial_resume).  Nothing when f is NULL, the target is
 * unknown, or its answer or failure is known.
 */
void ct_forks_failed(struct ct_forks *f, const struct ct_addr *a, uint16_t port, int status,
    int64_t ts_us)
{
	struct target *x = find(f, a, port);

	if (x == NULL || x->final_code != 0 || x->answer_us != CT_TIME_NONE)
		return;
	x->final_code = status;
	x->final_us = ts_us;
}

/* True when a target of f forwarded the INVITE itself (a proxy in view). */
bool ct_forks_has_forwarder(const struct ct_forks *f)
{
	unsigned i;

	for (i = 0; f != NULL && i < f->n; i++)
		if (f->t[i].forwarder)
			return true;
	return false;
}

/* Number of leaves (targets that did not forward). */
static unsigned leaves(const struct ct_forks *f)
{
	unsigned i, n = 0;

	for (i = 0; i < f->n; i++)
		n += !f->t[i].forwarder;
	return n;
}

/*
 * Outcome of leaf x of a call answered at answer_us (CT_TIME_NONE: not),
 * cancelled by its caller (by_caller) or ended by a final failure (failed).
 */
static enum ct_ring_outcome outcome(const struct target *x, int64_t answer_us, bool by_caller,
    bool failed)
{
	if (x->answer_us != CT_TIME_NONE)
		return CT_RING_ANSWERED;
	switch (x->final_code) {
	case 486:
	case 600:
		return CT_RING_BUSY;
	case 408:
	case 480:
		return CT_RING_NO_ANSWER;
	case 603:
	case 403:
		return CT_RING_REJECTED;
	case 0:
	case 487:
		/* cancelled by the answer elsewhere, or before it (a hunt group's
		 * proxy moving on to the next phone: not answered in time) */
		if (answer_us != CT_TIME_NONE &&
		    (x->final_us == CT_TIME_NONE || x->final_us >= answer_us))
			return CT_RING_CANCELLED_ELSEWHERE;
		if (answer_us != CT_TIME_NONE)
			return CT_RING_NO_ANSWER;
		if (by_caller)
			return CT_RING_CALLER_HANGUP;
		/* the proxy cancelled it, or gave up on it and failed the call */
		return x->final_code == 487 || failed ? CT_RING_NO_ANSWER : CT_RING_UNKNOWN;
	default:
		return CT_RING_FAILED;
	}
}

/*
 * Sets r's rings from the branches of a forked call (two leaves or more):
 * one ring per leaf, in INVITE order; r's answer, end and hangup side
 * decide the outcome of branches that never gave one.  CT_OK (nothing
 * done for a call that was not forked) or CT_NOMEM.
 */
int ct_forks_rings(const struct ct_forks *f, struct ct_call_record *r)
{
	struct ct_ring *rings;
	unsigned i, n = 0;
	bool by_caller = r->disposition == CT_DISP_CANCELLED && r->hangup_by == CT_PARTY_CALLER;

	if (f == NULL || leaves(f) < 2)
		return CT_OK;
	if ((rings = calloc(f->n, sizeof(*rings))) == NULL)
		return CT_NOMEM;
	for (i = 0; i < f->n; i++) {
		const struct target *x = &f->t[i];
		struct ct_ring *g;
		const char *agent;

		if (x->forwarder)
			continue;
		g = &rings[n++];
		agent = x->answer_user[0] != '\0' ? x->answer_user :
		    ct_number_is_extension(x->user) ? x->user : NULL;
		g->agent = agent != NULL ? strdup(agent) : NULL;
		g->call_id = r->call_id != NULL ? strdup(r->call_id) : NULL;
		g->start_us = x->invite_us;
		g->outcome = outcome(x, r->answer_us, by_caller, r->final_code >= 300 && !r->truncated);
		g->end_us = g->outcome == CT_RING_ANSWERED ? x->answer_us :
		    x->final_us != CT_TIME_NONE ? x->final_us :
		    g->outcome == CT_RING_CANCELLED_ELSEWHERE ? r->answer_us : r->end_us;
		if ((agent != NULL && g->agent == NULL) || (r->call_id != NULL && g->call_id == NULL)) {
			ct_rings_free(rings, n);
			return CT_NOMEM;
		}
	}
	return ct_record_set_rings(r, rings, n);
}

/* True when f saw two leaves or more (the call was forked). */
bool ct_forks_forked(const struct ct_forks *f)
{
	return f != NULL && leaves(f) >= 2;
}

/* Heap bytes of f (0 for NULL), for the memory budget (dialog.c). */
size_t ct_forks_bytes(const struct ct_forks *f)
{
	return f != NULL ? sizeof(*f) : 0;
}

void ct_forks_free(struct ct_forks *f)
{
	free(f);
}
