/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Signalling path of a call (issue 9, integrity): which IP addresses may
 * send its in-dialog messages.
 *
 * The path starts with the two ends of the message that created the call
 * (the initial INVITE: the caller, or the proxy it came through, and the
 * next hop).  A message whose source is on the path is the call's; it then
 * teaches the hops it names (RFC 3261 §12, §16, §18):
 *   - a request: its destination (the next hop a proxy forwards to, a fork,
 *     the remote target the ACK or BYE goes to), its top Via sent-by (where
 *     its responses go) and its Contact (the sender's remote target);
 *   - a response: its Contact (the answering device, where later requests
 *     go; it may be another box than the one the INVITE reached).
 * A response's destination and its Via are NOT learnt: whoever sent the
 * request wrote them, so a stranger's request answered by a party of the
 * call (481, or worse 200) must not put the stranger on the path.
 * Addresses, not ports: TCP connections, NAT bindings and SBC pools change
 * ports.  Hosts that are names (not IP literals) teach nothing.
 *
 * The path is also the encapsulation the first message came in
 * (ct_tuple.tunnel: plain, or inside how many tunnel layers).  Anyone can
 * send a tunnel packet (VXLAN, GRE, IP-in-IP ...) to a monitored host and
 * write any inner addresses: the host drops it, the sensor decodes it.  So
 * a message out of another depth of tunnels is foreign even from an
 * address of the path: a stranger on the internet cannot end (or re-offer
 * media for) a trunk's plain call with an encapsulated BYE claiming the
 * caller's address, and a call inside a mirror tunnel (ERSPAN, VXLAN) is
 * not reached by a tunnel inside that tunnel.
 *
 * A message from an address not on the path is foreign.  The caller (the
 * dialog table) ignores its SDP for media and does not let it end the call;
 * only a response to the INVITE that carries the branch of a copy of that
 * INVITE still reaches the state machine (a response from a second box of
 * an SBC pool still answers the call; a stranger's 486, or 200 to a BYE,
 * does not end it).
 *
 * Bounds: CT_SIGPATH_MAX addresses per call (the first two inline, the rest
 * allocated on demand, grown by four); more hops are simply not learnt.
 * Lookups are linear in the (at most 16) addresses, per SIP message only.
 * A spoofer who forges a source on the path is not told apart: a passive
 * sensor judges addresses.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "calltap/sigpath.h"

#define SIGPATH_STEP 4

/* Starts p with the two ends of m, the call's first message. */
void ct_sigpath_init(struct ct_sigpath *p, const struct ct_sip_msg *m)
{
	memset(p, 0, sizeof(*p));
	p->end[0] = m->t.src;
	p->end[1] = m->t.dst;
	p->tunnel = m->t.tunnel;
}

/* True when a (a set address) is on path p. */
bool ct_sigpath_has(const struct ct_sigpath *p, const struct ct_addr *a)
{
	uint8_t i;

	if (a->family == 0)
		return false;
	if (ct_addr_eq(&p->end[0], a) || ct_addr_eq(&p->end[1], a))
		return true;
	for (i = 0; i < p->n_hops; i++)
		if (ct_addr_eq(&p->hops[i], a))
			return true;
	return false;
}

/* Adds a to p unless unset, known, or p is full (or out of memory). */
static void learn(struct ct_sigpath *p, const struct ct_addr *a)
{
	struct ct_addr *n;

	if (a->family == 0 || ct_sigpath_has(p, a) || 2 + p->n_hops >= CT_SIGPATH_MAX)
		return;
	if (p->n_hops == p->cap_hops) {
		n = realloc(p->hops, (p->cap_hops + SIGPATH_STEP) * sizeof(*n));
		if (n == NULL)
			return;
		p->hops = n;
		p->cap_hops += SIGPATH_STEP;
	}
	p->hops[p->n_hops++] = *a;
}

/*
 * Whether m comes from path p (ct_sigpath_accept's judgement, without
 * starting p or learning anything): p is empty, m has no source address
 * (made by a test, not captured), or m's source is on p and m came in
 * p's depth of tunnels.
 */
bool ct_sigpath_on(const struct ct_sigpath *p, const struct ct_sip_msg *m)
{
	if (p->end[0].family == 0 && p->end[1].family == 0)
		return true;
	return m->t.src.family == 0 ||
	    (m->t.tunnel == p->tunnel && ct_sigpath_has(p, &m->t.src));
}

/*
 * Judges m, a message of the call whose path is p: true when it comes from
 * the path (it then teaches the hops it names, see the file comment), false
 * when it is foreign (its source is not on p, or it came out of another
 * depth of tunnels than p's first message).  A message without a source address (made by a test,
 * not captured) is taken; so is any message while p is empty (a call made
 * by a message that did not start p: p starts with it).
 */
bool ct_sigpath_accept(struct ct_sigpath *p, const struct ct_sip_msg *m)
{
	if (p->end[0].family == 0 && p->end[1].family == 0)
		ct_sigpath_init(p, m);
	if (!ct_sigpath_on(p, m))
		return false;
	if (m->is_request) {
		learn(p, &m->t.dst);
		learn(p, &m->via_addr);
	}
	learn(p, &m->contact_addr);
	return true;
}

/* Frees p's allocated hops (p may be reused after ct_sigpath_init). */
void ct_sigpath_fini(struct ct_sigpath *p)
{
	free(p->hops);
	p->hops = NULL;
	p->n_hops = p->cap_hops = 0;
}
