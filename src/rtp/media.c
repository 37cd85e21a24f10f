/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Media matching: maps RTP packets to calls in O(1), and refuses RTP that a
 * stranger sends to a call's ports.
 *
 * Two chained hash tables: endpoints (address:port announced in an SDP offer
 * or answer, RFC 3264, or learnt from the call's own RTP) and streams
 * (4-tuple + SSRC, RFC 3550 §8).  A packet is first looked up as a stream;
 * only the first packet of a stream looks up endpoints.  Both tables (and
 * the orphan table) hash a small fixed key on the stack (address bytes and
 * ports, with the families unless both are IPv4) with SipHash-1-3 under a
 * random per-table key (calltap/hash.h), so chosen addresses and ports
 * cannot pile into one bucket.  Each call's media state lists its
 * endpoints and streams so that closing a call releases them without
 * scanning anything else.
 *
 * Which stream belongs to a call.  Every endpoint E has the party that
 * receives there (the one whose SDP announced it; for a learnt endpoint the
 * party seen sending from it).  A new stream from S to D is taken, first
 * rule that applies:
 *   1. D is an endpoint E of call C and S may send to E's party, i.e. S is
 *      (a) an endpoint of C of the other party (its SDP address:port, or an
 *          address learnt below: symmetric RTP, RFC 4961), or
 *      (b) on the IP address of one of the other party's SDP endpoints (a
 *          device that sends from another port than it receives on), or
 *      (c) on the IP address the other party's SDP was signalled from (the
 *          SIP source: a phone behind NAT, an SBC), or
 *      (d) NAT latching: the other party announced only non-public addresses
 *          (RFC 1918, 100.64/10, link-local, loopback, fc00::/7, fe80::/10)
 *          and no stream has been taken into E yet: the first source wins.
 *      When several calls own D (a port reused while the old call lingers),
 *      the one that accepts S by the strongest rule takes the stream (1a,
 *      then 1b or 1c, then 1d), the newest among equals: a stranger's own
 *      call whose SDP offer names a legit caller's media address as its
 *      own is answered by the PBX on another port, so the PBX's RTP to
 *      that caller matches the stranger's call only by the PBX's address
 *      (1b, 1c) and the legit call's by its own endpoint (1a).
 *   2. Otherwise S is an endpoint of a call (a party sends from the port it
 *      receives on) and D may be the other party's (dest_plausible: it
 *      is one of its endpoints that is not indexed, see Bounds; or it
 *      announced no public address, so behind NAT it receives at one no
 *      SDP says; or D sent to S first, RTP the call keeps pending):
 *      the stream is that party's, and D is learnt as an endpoint of the
 *      other party (so the reverse stream D -> S satisfies 1a: this is how
 *      a NAT'd source is confirmed by the call's own media).
 * An m= line with a port count (RFC 8866 §5.14, "m=audio 5000/2") announces
 * RTP on each of port, port + 2, ... and RTCP one above each: every one is
 * an endpoint of the call, up to MEDIA_MAX_PORTS per m= line (the ports
 * past it are counted as refused endpoints, RTP and RTCP each).
 * Endpoints announced for RTCP only (the port after an m= port, or
 * a=rtcp's) are never D nor S of an RTP stream in either rule: a port
 * that one call had for its RTCP may be another call's RTP port (a PBX
 * reusing ports while the first call lingers), whose stream it would
 * otherwise take.  A stream taken by either rule teaches its source as an
 * endpoint of its speaker.  A stream to a call's endpoint that no rule
 * accepts is injected: it is never measured or recorded as the call's,
 * its packets are counted (injected, the engine's rtp_injected) and it is
 * tracked as an orphan stream (reported by --orphans with the Call-ID of
 * the call it was sent to, injected_into).  Up to MEDIA_MAX_PENDING such streams per call
 * stay linked to the call: when the call learns more (an SDP answer that
 * arrives after the media, a learnt endpoint), they are checked again, and
 * one that is now accepted moves into the call with all its statistics
 * (counted as promoted; its audio is recorded from then on).  Other RTP of
 * no call is counted as orphan.  The rules judge addresses: a spoofer who
 * forges the far party's own address:port is not told apart.
 *
 * RTCP (never measured) is the call's when it is sent to a call's endpoint
 * from a source rule 1a-1c accepts at its port or the port below it; to a
 * call's endpoint from any other source it is foreign (rtcp_foreign).
 * Every rule also asks that the packet came out of as many tunnel layers
 * as the call's SDP (ct_tuple.tunnel, which is part of a stream's
 * 4-tuple): anyone may send a VXLAN, GRE or IP-in-IP packet to a monitored
 * host and write the call's own addresses inside it (sigpath.c), so RTP
 * and RTCP out of another depth of tunnels are injected or foreign.
 * Only SDP from the call's signalling path reaches ct_media_on_sdp (the
 * dialog table drops a stranger's, src/sip/sigpath.c), so a stranger who
 * knows the Call-ID cannot make its own address a party's (rules 1a-1c).
 *
 * Bounds: at most MEDIA_MAX_EP_CALL endpoints per call, of which at most
 * half learnt.  A new SDP endpoint of party P retires P's oldest endpoint
 * that carries no stream, else P's oldest one (a call whose media
 * re-INVITEs moved 16 times refused every later port when endpoints that
 * had carried a stream were never retired), else any party's oldest one
 * that carries no stream, never one of the same SDP; a learnt one is
 * simply not kept when there is no room (learnt ones never push out
 * announced ones).  At most MEDIA_MAX_STREAMS_CALL streams per call: past
 * that a new 4-tuple of a stream's SSRC and speaker moves that stream to it
 * (streams_moved), other streams are refused and tracked as orphans, max_flows endpoints and max_flows streams in the
 * table, and MEDIA_MAX_SAME_EP calls indexed under one address:port (more
 * keep it, unindexed: rule 1 cannot find such a D, so rule 2 takes a
 * stream from an endpoint S of the other party to it, which is rule 1a
 * seen from S).  Everything refused or retired is counted.
 *
 * Workload: up to ~100k concurrent calls with 2-4 streams each; every RTP
 * packet does one hash lookup and one ct_rtp_stream_update.
 */
#include "config.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>
#include <string.h>

#include "calltap/audio.h"
#include "calltap/clock.h"
#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/media.h"
#include "calltap/rtp.h"
#include "calltap/slab.h"

#define MEDIA_MAX_PT 24      /* payload type names kept per call */
#define MEDIA_PT_STEP 4      /* pts[] grows by this many (most calls offer <= 4) */
#define MEDIA_PT_CLASSES (MEDIA_MAX_PT / MEDIA_PT_STEP)  /* pts[] sizes, one slab each */
#define MEDIA_MIN_BUCKETS 1024
#define MEDIA_ORPHAN_MIN_PACKETS 10 /* fewer: noise that happened to parse as RTP */
#define MEDIA_MAX_EP_CALL CT_MEDIA_EP_CALL  /* endpoints per call (8 m= lines with RTCP,
                                                 both parties) */
#define MEDIA_MAX_PORTS 8     /* RTP ports taken from one m= line's port count */
#define MEDIA_MAX_SAME_EP 32  /* calls indexed under one address:port */
#define MEDIA_MAX_PENDING 4   /* refused streams per call checked again later */
#define MEDIA_SSRC_QUIET_US 2000000 /* a stream's SSRC is its own while it sent this recently */
#define MEDIA_MAX_STREAMS_CALL 64 /* streams per call (audio + video, SSRC changes) */
#define MEDIA_SPARE_CM 1024   /* freed call media kept for reuse at most, with their pts[] */

#if defined(__GNUC__) || defined(__clang__)
#define MEDIA_PREFETCH(p) __builtin_prefetch((p), 1)
#else
#define MEDIA_PREFETCH(p) ((void)(p))
#endif

struct pt_name {
	uint8_t pt;
	uint8_t fmt;              /* CT_SDP_* payload-format flags (a=fmtp) */
	uint8_t channels;         /* a=rtpmap's (1 when not given) */
	bool video;               /* of an m=video line */
	uint32_t rate;
	char name[24];
};

struct call_media;

enum {
	EPF_SDP = 1,      /* announced in SDP (else learnt from the call's RTP) */
	EPF_USED = 2,     /* a stream was taken through it: retired last */
	EPF_RECV = 4,     /* a stream was taken into it (NAT latch done) */
	EPF_NOINDEX = 8,  /* not in the hash (MEDIA_MAX_SAME_EP): rule 1 only */
	EPF_KEY = 16,     /* holds its address:port's count (kn in the key table) */
	EPF_RTCP = 32     /* announced for RTCP only (the next port, a=rtcp): no RTP stream's */
};

struct endpoint {
	struct ct_addr addr;
	uint16_t port;
	uint8_t side;             /* enum ct_party receiving here */
	uint8_t flags;            /* EPF_* */
	uint64_t serial;          /* creation order in the table: newer owner wins */
	struct call_media *cm;
	struct ct_hnode hn;       /* in the endpoint table */
	struct endpoint *cnext;   /* call's list, most recent first */
	struct ct_hnode kn;       /* EPF_KEY: in the key table, under hn's hash */
	uint8_t nsame;            /* EPF_KEY: indexed endpoints at this address:port */
};

/*
 * A stream.  Laid out for the per-packet path (ct_media_packet): the hash
 * node, the tuple it compares, the call pointers and the statistics it
 * updates come first, in a block aligned to a cache line (mstream_alloc),
 * with the per-interval accumulator inside it (no pointer to chase); the
 * lists only stream setup and teardown walk come last.
 */
struct mstream {
	struct ct_hnode hn;       /* in the stream table, or the orphan table (first: the
	                             per-packet lookup needs no offset) */
	uint16_t sport, dport;
	uint8_t tunnel;           /* ct_tuple.tunnel of its packets: part of the 4-tuple */
	uint8_t speaker;          /* enum ct_party whose voice this stream carries */
	uint8_t ttl;              /* path of its first packet (ct_packet ttl, vlan): a copy */
	uint16_t vlan;            /* of a packet seen again on another path is a SPAN copy */
	int last_pt;              /* payload type whose clock rate st uses */
	struct ct_addr src, dst;
	struct call_media *cm;    /* the call (NULL for an orphan) */
	struct ct_dialog *d;      /* cm->d (NULL for an orphan): one pointer less per packet */
	struct ct_rtp_stream st;  /* st.ivals: &ivs, of call streams and pending orphans
	                             when the table keeps per-interval samples, else NULL */
	struct ct_rtp_ivals ivs;
	struct call_media *pcm;   /* orphan refused by this call, checked again (pending) */
	struct mstream *cnext;    /* call's streams, or the call's pending list */
	struct ct_list lru;       /* orphans only: least recently used first */
	char *into;               /* injected orphans only: Call-ID of the call that refused it */
};

struct call_media {
	struct ct_dialog *d;
	struct ct_list link;            /* on the table's list of call media */
	struct endpoint *endpoints;
	size_t n_ep;                    /* endpoints, of which n_learnt not from SDP */
	size_t n_learnt;
	struct mstream *streams;
	size_t n_streams;
	struct mstream *pending;        /* refused orphan streams, at most MEDIA_MAX_PENDING */
	size_t n_pending;
	struct ct_addr sig[3];          /* by enum ct_party: source of its latest SDP message */
	struct ct_audio_call *audio;    /* recording, NULL until the first packet */
	bool audio_failed;              /* could not start the recording */
	uint8_t n_pt, cap_pt;
	uint8_t dtmf_pt;
	uint8_t tunnel;                 /* ct_tuple.tunnel of its SDP messages: of its media too */
	struct pt_name *pts;            /* n_pt used of cap_pt, at most MEDIA_MAX_PT */
};

struct ct_media_table {
	struct ct_htab ep;              /* endpoints by address:port */
	struct ct_htab epk;             /* per indexed address:port, the one endpoint that
	                                   counts them (EPF_KEY), by ep's hash: adding one
	                                   never walks the others (a flood of calls on one
	                                   address:port walked 32 a call: a quarter of the
	                                   capture thread's time) */
	struct ct_htab st;              /* call streams by 4-tuple */
	size_t max_flows;               /* streams, and endpoints, at most */
	size_t n_endpoints;             /* indexed or not */
	size_t n_calls;                 /* call media in calls */
	size_t pt_slots;                /* their pts[] room (cap_pt), summed: ct_media_bytes */
	uint64_t ep_serial;
	struct ct_slab ep_slab;         /* endpoints (a call's SDP adds two; a flood of
	                                   answered calls makes them by the 100k) */
	struct ct_slab cm_slab;         /* call media (but the spares' pts[]) */
	struct ct_slab ms_slab;         /* streams, call and orphan ones, in whole cache lines */
	struct ct_slab pt_slab[MEDIA_PT_CLASSES]; /* pts[] of cap_pt (k + 1) * MEDIA_PT_STEP in
	                                   [k]: a flood of calls with SDP faulted in a page of
	                                   the heap every 30 calls on the capture thread (60 %
	                                   of its page faults); slabs take chunks faulted in
	                                   ahead (calltap/chunks.h) */
	struct ct_list spare_cm;        /* freed call media for reuse (by link), pts[] kept */
	size_t n_spare_cm;
	struct ct_list calls;           /* every call's media */
	struct ct_htab orph;            /* RTP streams of no known call, by 4-tuple */
	struct ct_list orph_lru;        /* orphans, least recently seen first */
	ct_media_orphan_fn orphan_fn;   /* reports an orphan stream when it ends */
	void *orphan_user;
	const char *audio_dir;          /* record answered calls here; NULL = off */
	bool intervals;                 /* per-interval samples of call streams */
	struct ct_dialog *last_call;    /* call of the last CT_MEDIA_CALL packet (ct_media_last_call) */
	struct ct_dialog *last_pending; /* call of the last CT_MEDIA_INJECTED packet's pending
	                                   stream, or NULL (ct_media_pending_call) */
	enum ct_audio_format audio_fmt;
	bool audio_durable;         /* ct_media_set_audio_durable */
	struct ct_audio_finisher *finisher; /* writes the files; NULL: in place */
	char audio_err[CT_ERRBUF_SIZE]; /* first recording error, "" = none */
	struct ct_media_stats stats;
};

/* Bytes of a stream in t->ms_slab: whole cache lines (the slab's chunks and header are). */
#define MSTREAM_SIZE ((sizeof(struct mstream) + 63) & ~(size_t)63)

/* Makes pkt's 4-tuple and tunnel depth m's, and the path it came by (span_copy). */
static inline void tuple_set(struct mstream *m, const struct ct_packet *pkt)
{
	m->src = pkt->t.src;
	m->dst = pkt->t.dst;
	m->sport = pkt->t.sport;
	m->dport = pkt->t.dport;
	m->tunnel = pkt->t.tunnel;
	m->ttl = pkt->ttl;
	m->vlan = pkt->vlan;
}

/* A zeroed stream aligned to a cache line (its hot fields share the fewest lines). */
static struct mstream *mstream_alloc(struct ct_media_table *t)
{
	return ct_slab_alloc(&t->ms_slab);
}

/* Starts m's per-interval samples (a stream that may be a call's), when t keeps them. */
static void mstream_ivals_on(const struct ct_media_table *t, struct mstream *m)
{
	if (!t->intervals)
		return;
	m->st.ivals = &m->ivs;
	ct_rtp_ivals_init(m->st.ivals, CT_RTP_IVAL_US, CT_RTP_IVAL_MAX);
}

static void mstream_free(struct ct_media_table *t, struct mstream *m)
{
	ct_rtp_ivals_fini(m->st.ivals);
	ct_slab_free(&t->ms_slab, m);
}

/* Frees pts, a table of cap entries (0: none) from t->pt_slab (learn_codecs). */
static void pts_free(struct ct_media_table *t, struct pt_name *pts, uint8_t cap)
{
	if (pts != NULL && cap > 0)
		ct_slab_free(&t->pt_slab[cap / MEDIA_PT_STEP - 1], pts);
}

/* Appends a as it is compared (ct_addr_eq): family, then 4 or 16 bytes. */
static size_t key_addr(uint8_t *k, const struct ct_addr *a)
{
	size_t n = a->family == 6 ? 16 : a->family == 4 ? 4 : 0;

	k[0] = a->family;
	memcpy(k + 1, a->a, n);
	return n + 1;
}

static size_t key_port(uint8_t *k, uint16_t port)
{
	k[0] = (uint8_t)(port >> 8);
	k[1] = (uint8_t)port;
	return 2;
}

/* Keyed hash of address:port (at most 19 bytes hashed, on the stack). */
static uint64_t ep_hash(const struct ct_htab *h, const struct ct_addr *a, uint16_t port)
{
	uint8_t k[19];
	size_t n = key_addr(k, a);

	n += key_port(k + n, port);
	return ct_htab_hash(h, k, n);
}

/*
 * Keyed hash of a stream's key, its 4-tuple and SSRC, once per RTP packet:
 * IPv4 both ways hashes 16 bytes (addresses, ports, SSRC), anything else
 * at most 42 (families too).  The lengths differ, so the forms cannot
 * collide by construction.  The SSRC is hashed, not only compared: one
 * 4-tuple sending a new SSRC in every packet (a stream of one call can, and
 * so can anyone who knows a PBX port) put every stream and orphan of that
 * tuple in one chain, walked by each new SSRC: 8,000 such packets took
 * 0.46 s, 300,000 about ten minutes.
 */
static uint64_t st_hash(const struct ct_htab *h, const struct ct_addr *s, uint16_t sp,
    const struct ct_addr *d, uint16_t dp, uint32_t ssrc)
{
	uint8_t k[42];
	size_t n;

	if (s->family == 4 && d->family == 4) {
		memcpy(k, s->a, 4);
		memcpy(k + 4, d->a, 4);
		key_port(k + 8, sp);
		key_port(k + 10, dp);
		memcpy(k + 12, &ssrc, 4);
		return ct_siphash16(&h->key, k);   /* = ct_htab_hash(h, k, 16) */
	}
	n = key_addr(k, s);

	n += key_addr(k + n, d);
	n += key_port(k + n, sp);
	n += key_port(k + n, dp);
	memcpy(k + n, &ssrc, 4);
	return ct_htab_hash(h, k, n + 4);
}

/* The first endpoint at a:port from table node n on along its hash, or NULL. */
static struct endpoint *ep_match(struct ct_hnode *n, const struct ct_addr *a, uint16_t port)
{
	for (; n != NULL; n = ct_htab_next(n)) {
		struct endpoint *e = ct_container_of(n, struct endpoint, hn);

		if (e->port == port && ct_addr_eq(&e->addr, a))
			return e;
	}
	return NULL;
}

/* The next indexed endpoint at a:port after e (found at a:port), or NULL. */
static struct endpoint *ep_next(struct endpoint *e, const struct ct_addr *a, uint16_t port)
{
	return ep_match(ct_htab_next(&e->hn), a, port);
}

/* The first indexed endpoint at a:port (any call), or NULL; see ep_next. */
static struct endpoint *ep_first(const struct ct_media_table *t, const struct ct_addr *a,
    uint16_t port)
{
	return ep_match(ct_htab_first(&t->ep, ep_hash(&t->ep, a, port)), a, port);
}

/* The newest indexed endpoint at a:port (any call) but RTCP-only ones, or NULL. */
static struct endpoint *ep_find(const struct ct_media_table *t, const struct ct_addr *a,
    uint16_t port)
{
	struct endpoint *e, *best = NULL;

	for (e = ep_first(t, a, port); e != NULL; e = ep_next(e, a, port))
		if (!(e->flags & EPF_RTCP) && (best == NULL || e->serial > best->serial))
			best = e;
	return best;
}

/* The endpoint counting the indexed ones at a:port (hash h), or NULL: none. */
static struct endpoint *ep_key(const struct ct_media_table *t, uint64_t h,
    const struct ct_addr *a, uint16_t port)
{
	struct ct_hnode *n;

	for (n = ct_htab_first(&t->epk, h); n != NULL; n = ct_htab_next(n)) {
		struct endpoint *e = ct_container_of(n, struct endpoint, kn);

		if (e->port == port && ct_addr_eq(&e->addr, a))
			return e;
	}
	return NULL;
}

/*
 * Takes e out of the index (if in it), and out of its address:port's count:
 * when e held the count, another indexed endpoint there takes it over.
 * O(chain).
 */
static void ep_unlink(struct ct_media_table *t, struct endpoint *e)
{
	struct endpoint *k;
	uint64_t h = e->hn.hash;

	if (e->flags & EPF_NOINDEX)
		return;
	ct_htab_remove(&t->ep, &e->hn);
	if (!(e->flags & EPF_KEY)) {
		if ((k = ep_key(t, h, &e->addr, e->port)) != NULL && k->nsame > 0)
			k->nsame--;
		return;
	}
	ct_htab_remove(&t->epk, &e->kn);
	e->flags &= (uint8_t)~EPF_KEY;
	if (e->nsame > 1 && (k = ep_match(ct_htab_first(&t->ep, h), &e->addr, e->port)) != NULL) {
		k->flags |= EPF_KEY;
		k->nsame = (uint8_t)(e->nsame - 1);
		ct_htab_insert(&t->epk, &k->kn, h);
	}
}

/* Keeps the first recording error for the report; counts every one. */
static void audio_error(struct ct_media_table *t, const char *msg)
{
	t->stats.audio_errors++;
	if (t->audio_err[0] == '\0')
		snprintf(t->audio_err, sizeof(t->audio_err), "%s", msg);
}

/* Removes endpoint e (found at *pp in its call's list) from the table. */
static void ep_remove(struct ct_media_table *t, struct endpoint **pp)
{
	struct endpoint *e = *pp;

	*pp = e->cnext;
	e->cm->n_ep--;
	if (!(e->flags & EPF_SDP))
		e->cm->n_learnt--;
	t->n_endpoints--;
	ep_unlink(t, e);
	ct_slab_free(&t->ep_slab, e);
}

/* A zeroed endpoint, or NULL when out of memory. */
static struct endpoint *ep_alloc(struct ct_media_table *t)
{
	return ct_slab_alloc(&t->ep_slab);
}

/*
 * Makes room for one more endpoint of cm announced by party side's SDP:
 * retires, of the endpoints older than serial keep (those of the SDP being
 * read are not), side's oldest one that carries no stream, else side's
 * oldest one (a port side's re-INVITE moved its media from; streams that
 * went through it go on, found by their 4-tuple), else any party's oldest
 * one that carries no stream.  False when there is none: an UPDATE storm of
 * one party never retires the other's endpoints that carry media.
 */
static bool ep_retire_one(struct ct_media_table *t, struct call_media *cm, uint8_t side,
    uint64_t keep)
{
	struct endpoint **pp, **mine_free = NULL, **mine = NULL, **any_free = NULL;

	for (pp = &cm->endpoints; *pp != NULL; pp = &(*pp)->cnext) {
		const struct endpoint *e = *pp;

		if (e->serial > keep)
			continue;
		if (e->side == side && !(e->flags & EPF_USED))
			mine_free = pp;
		if (e->side == side)
			mine = pp;
		if (!(e->flags & EPF_USED))
			any_free = pp;
	}
	pp = mine_free != NULL ? mine_free : mine != NULL ? mine : any_free;
	if (pp == NULL)
		return false;
	ep_remove(t, pp);
	t->stats.endpoints_retired++;
	return true;
}

/*
 * Adds addr:port, where party side receives, to cm (flags EPF_SDP when an
 * SDP announced it) and returns it; when cm already has it, it becomes cm's
 * most recent endpoint (and an SDP one when sdp).  Within the bounds (see
 * the file comment; endpoints of serial above keep are never retired for
 * it): NULL when refused or out of memory.
 */
static struct endpoint *ep_add(struct ct_media_table *t, struct call_media *cm,
    const struct ct_addr *a, uint16_t port, uint8_t side, uint8_t flags, uint64_t keep)
{
	struct endpoint **pp, *e, *k;
	uint64_t h;

	for (pp = &cm->endpoints; *pp != NULL; pp = &(*pp)->cnext) {
		e = *pp;
		if (e->port != port || !ct_addr_eq(&e->addr, a))
			continue;
		if ((flags & EPF_SDP) && !(e->flags & EPF_SDP)) {
			e->flags |= EPF_SDP;
			e->side = side;
			cm->n_learnt--;
		}
		if (!(flags & EPF_RTCP))
			e->flags &= (uint8_t)~EPF_RTCP;   /* an RTP port now (a re-INVITE moved it) */
		*pp = e->cnext;             /* most recent first, in the call and the table */
		e->cnext = cm->endpoints;
		cm->endpoints = e;
		e->serial = ++t->ep_serial;
		return e;
	}
	/* Learnt ones never push out announced ones: at most half, never retiring. */
	if ((!(flags & EPF_SDP) && cm->n_learnt >= MEDIA_MAX_EP_CALL / 2) ||
	    (cm->n_ep >= MEDIA_MAX_EP_CALL && (!(flags & EPF_SDP) || !ep_retire_one(t, cm, side, keep))) ||
	    t->n_endpoints >= t->max_flows || (e = ep_alloc(t)) == NULL) {
		t->stats.endpoints_refused++;
		return NULL;
	}
	e->addr = *a;
	e->port = port;
	e->cm = cm;
	e->side = side;
	e->flags = flags;
	e->serial = ++t->ep_serial;
	e->cnext = cm->endpoints;
	cm->endpoints = e;
	cm->n_ep++;
	if (!(flags & EPF_SDP))
		cm->n_learnt++;
	t->n_endpoints++;
	h = ep_hash(&t->ep, a, port);   /* once: the count and the insert */
	k = ep_key(t, h, a, port);
	if (k != NULL && k->nsame >= MEDIA_MAX_SAME_EP) {
		e->flags |= EPF_NOINDEX;
		t->stats.endpoints_unindexed++;
		return e;
	}
	ct_htab_insert(&t->ep, &e->hn, h);
	if (k != NULL) {
		k->nsame++;
	} else {
		e->flags |= EPF_KEY;
		e->nsame = 1;
		ct_htab_insert(&t->epk, &e->kn, h);
	}
	return e;
}

/*
 * Creates an empty media table.  max_flows bounds the streams tracked at once
 * and the endpoints known at once (0 = 1,000,000 each).  Each hash table
 * gets its own random key.  Returns NULL when out of memory.
 */
struct ct_media_table *ct_media_new(size_t max_flows)
{
	struct ct_media_table *t = calloc(1, sizeof(*t));
	int i;

	if (t == NULL)
		return NULL;
	t->max_flows = max_flows ? max_flows : 1000000;
	ct_list_init(&t->calls);
	ct_list_init(&t->orph_lru);
	ct_list_init(&t->spare_cm);
	ct_slab_init(&t->ep_slab, sizeof(struct endpoint));
	ct_slab_init(&t->cm_slab, sizeof(struct call_media));
	ct_slab_init(&t->ms_slab, MSTREAM_SIZE);
	for (i = 0; i < MEDIA_PT_CLASSES; i++)
		ct_slab_init(&t->pt_slab[i], (size_t)(i + 1) * MEDIA_PT_STEP * sizeof(struct pt_name));
	/* Each grows with its load up to its bound (max_flows entries). */
	if (ct_htab_init(&t->ep, MEDIA_MIN_BUCKETS, t->max_flows) != CT_OK ||
	    ct_htab_init(&t->epk, MEDIA_MIN_BUCKETS, t->max_flows) != CT_OK ||
	    ct_htab_init(&t->st, MEDIA_MIN_BUCKETS, t->max_flows) != CT_OK ||
	    ct_htab_init(&t->orph, MEDIA_MIN_BUCKETS, t->max_flows / 4) != CT_OK) {
		ct_media_free(t);
		return NULL;
	}
	return t;
}

/*
 * Whether the endpoints known (max_flows at most) leave less room than one
 * call may need: the engine then evicts calls (ct_dialog_make_room) before
 * it hands an SDP in, so that a flood of calls offering many ports does
 * not leave a real call's SDP without endpoints.
 */
bool ct_media_endpoints_short(const struct ct_media_table *t)
{
	return t->n_endpoints + MEDIA_MAX_EP_CALL > t->max_flows;
}

/* Adds the finisher's failures since the last look to the table's. */
static void audio_collect(struct ct_media_table *t)
{
	char errbuf[CT_ERRBUF_SIZE];
	uint64_t n = ct_audio_finisher_take_errors(t->finisher, errbuf);

	if (n > 0) {
		audio_error(t, errbuf);
		t->stats.audio_errors += n - 1;
	}
}

/*
 * Ends cm's recording.  Only answered calls get a file (QA listens to
 * conversations, not ringback); its path and any undecodable codecs go to
 * rec.  The file itself is written by the finisher thread when there is
 * one: the path is where it will be once ct_media_flush() returns.
 */
static void audio_finish(struct ct_media_table *t, struct call_media *cm,
    struct ct_call_record *rec)
{
	char errbuf[CT_ERRBUF_SIZE];
	char *path = NULL, *undecodable = NULL;

	if (cm->audio == NULL)
		return;
	if (rec == NULL || rec->disposition != CT_DISP_ANSWERED) {
		ct_audio_finisher_discard(t->finisher, cm->audio);
		cm->audio = NULL;
		return;
	}
	errbuf[0] = '\0';
	if (ct_audio_finisher_submit(t->finisher, cm->audio, &path, &undecodable, errbuf) != 0)
		audio_error(t, errbuf);
	cm->audio = NULL;
	audio_collect(t);
	rec->recording = path;
	rec->undecodable = undecodable;
	if (path != NULL)
		t->stats.recordings++;
}

static void call_media_free(struct ct_media_table *t, struct call_media *cm)
{
	audio_finish(t, cm, NULL);
	while (cm->endpoints != NULL)
		ep_remove(t, &cm->endpoints);
	while (cm->pending != NULL) {
		struct mstream *m = cm->pending;   /* stays an orphan */

		cm->pending = m->cnext;
		m->cnext = NULL;
		m->pcm = NULL;
	}
	while (cm->streams != NULL) {
		struct mstream *m = cm->streams;

		cm->streams = m->cnext;
		ct_htab_remove(&t->st, &m->hn);
		mstream_free(t, m);
	}
	ct_list_remove(&cm->link);
	t->n_calls--;
	t->pt_slots -= cm->cap_pt;
	if (t->n_spare_cm < MEDIA_SPARE_CM) {
		ct_list_append(&t->spare_cm, &cm->link);
		t->n_spare_cm++;
		return;
	}
	pts_free(t, cm->pts, cm->cap_pt);
	ct_slab_free(&t->cm_slab, cm);
}

/* The stream of pkt's 4-tuple and ssrc in table h (streams or orphans), or NULL. */
static inline struct mstream *st_lookup(const struct ct_htab *h, const struct ct_packet *pkt,
    uint32_t ssrc)
{
	struct ct_hnode *n = ct_htab_first(h, st_hash(h, &pkt->t.src, pkt->t.sport,
	    &pkt->t.dst, pkt->t.dport, ssrc));

	for (; n != NULL; n = ct_htab_next(n)) {
		struct mstream *m = ct_container_of(n, struct mstream, hn);

		if (m->st.ssrc == ssrc && m->sport == pkt->t.sport && m->dport == pkt->t.dport &&
		    m->tunnel == pkt->t.tunnel &&
		    ct_addr_eq_nn(&m->src, &pkt->t.src) && ct_addr_eq_nn(&m->dst, &pkt->t.dst))
			return m;
	}
	return NULL;
}

/* The least recently seen orphan stream, or NULL. */
static struct mstream *orph_oldest(const struct ct_media_table *t)
{
	return ct_list_entry(ct_list_first(&t->orph_lru), struct mstream, lru);
}

/* Takes orphan m out of its call's pending list, if it is on one. */
static void pending_unlink(struct mstream *m)
{
	struct mstream **pp;

	if (m->pcm == NULL)
		return;
	for (pp = &m->pcm->pending; *pp != NULL; pp = &(*pp)->cnext)
		if (*pp == m) {
			*pp = m->cnext;
			m->pcm->n_pending--;
			break;
		}
	m->cnext = NULL;
	m->pcm = NULL;
}

/* Takes orphan m out of the orphan table (LRU list, hash, pending list). */
static void orphan_unlink(struct ct_media_table *t, struct mstream *m)
{
	ct_list_remove(&m->lru);
	ct_htab_remove(&t->orph, &m->hn);
	pending_unlink(m);
}

/*
 * An orphan stream ended (idle, evicted, or end of input): reported when
 * report is set and it looks like a real stream (MEDIA_ORPHAN_MIN_PACKETS),
 * then freed.
 */
static void orphan_end(struct ct_media_table *t, struct mstream *m, bool report)
{
	struct ct_stream_stats out;
	const char *name;

	orphan_unlink(t, m);
	if (report && t->orphan_fn != NULL && m->st.packets >= MEDIA_ORPHAN_MIN_PACKETS) {
		memset(&out, 0, sizeof(out));
		ct_rtp_stream_stats(&m->st, &out);
		out.src = m->src;
		out.dst = m->dst;
		out.sport = m->sport;
		out.dport = m->dport;
		name = out.payload_type >= 0 ? ct_rtp_static_codec((uint8_t)out.payload_type, NULL) : NULL;
		if (name != NULL && out.codec[0] == '\0')
			snprintf(out.codec, sizeof(out.codec), "%s", name);
		if (m->into != NULL)
			snprintf(out.injected_into, sizeof(out.injected_into), "%s", m->into);
		t->stats.orphan_streams++;
		t->orphan_fn(t->orphan_user, &out);
	}
	free(m->into);
	mstream_free(t, m);
}

static void set_clock_rate(struct mstream *m, const struct call_media *cm, uint8_t pt);

/*
 * Tracks RTP of no known call as an orphan stream (4-tuple + SSRC), bounded
 * by max_flows / 4 entries: the least recently seen one is ended first.
 * refused_by: the call whose endpoint the stream was sent to but which did
 * not accept its source (NULL: none); the stream is linked to that call to
 * be checked again while the call has room (MEDIA_MAX_PENDING).
 */
static void orphan_packet(struct ct_media_table *t, const struct ct_packet *pkt,
    const struct ct_rtp_hdr *h, struct call_media *refused_by)
{
	struct mstream *m = st_lookup(&t->orph, pkt, h->ssrc), *old;

	t->last_pending = NULL;
	if (m == NULL) {
		if (ct_htab_count(&t->orph) >= t->max_flows / 4 && (old = orph_oldest(t)) != NULL)
			orphan_end(t, old, true);
		if ((m = mstream_alloc(t)) == NULL)
			return;
		tuple_set(m, pkt);
		m->last_pt = h->pt;
		ct_rtp_stream_init(&m->st, h->ssrc, 0);
		if (ct_rtp_static_codec(h->pt, &m->st.clock_rate) == NULL)
			m->st.clock_rate = 0;
		if (refused_by != NULL && refused_by->n_pending < MEDIA_MAX_PENDING) {
			/* Measured as the call would: exact if it is promoted. */
			m->pcm = refused_by;
			m->cnext = refused_by->pending;
			refused_by->pending = m;
			refused_by->n_pending++;
			m->st.clock_rate = 8000;
			m->st.dtmf_pt = refused_by->dtmf_pt;
			m->last_pt = -1;
			mstream_ivals_on(t, m);
		}
		ct_htab_insert(&t->orph, &m->hn, st_hash(&t->orph, &m->src, m->sport,
		    &m->dst, m->dport, m->st.ssrc));
		ct_list_append(&t->orph_lru, &m->lru);
		if (refused_by != NULL) {
			/* Reported as injected into that call (NULL: out of memory, plain orphan). */
			m->into = strdup(ct_dialog_call_id(refused_by->d));
			t->stats.injected_streams++;
		}
	} else {
		ct_list_move_tail(&t->orph_lru, &m->lru);
	}
	t->last_pending = m->pcm != NULL ? m->pcm->d : NULL;
	if (m->pcm != NULL && h->pt != m->last_pt)
		set_clock_rate(m, m->pcm, h->pt);
	ct_rtp_stream_update(&m->st, h, pkt->ts_us);
}

/*
 * Ends orphan streams idle for idle_us at capture time now_us (O(ended)),
 * reporting them through the orphan hook.
 */
void ct_media_expire(struct ct_media_table *t, int64_t now_us, int64_t idle_us)
{
	struct mstream *m;

	while ((m = orph_oldest(t)) != NULL && now_us - ct_rtp_stream_last_us(&m->st) >= idle_us)
		orphan_end(t, m, true);
}

/*
 * End of input: reports and frees every orphan stream, and waits until every
 * recording handed to the finisher is written (failures are counted then).
 */
void ct_media_flush(struct ct_media_table *t)
{
	struct mstream *m;

	while ((m = orph_oldest(t)) != NULL)
		orphan_end(t, m, true);
	ct_audio_finisher_drain(t->finisher);
	audio_collect(t);
}

/* Sets the hook that receives each orphan stream when it ends (NULL = none). */
void ct_media_set_orphan_hook(struct ct_media_table *t, ct_media_orphan_fn fn, void *user)
{
	t->orphan_fn = fn;
	t->orphan_user = user;
}

/* dst = src cut to size - 1 bytes, as snprintf(dst, size, "%s", src) (per SDP codec: no format). */
static void copy_cut(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/*
 * Frees the table and any call media still in it (normally every call was
 * released through ct_media_closing first).  NULL is a no-op.
 */
void ct_media_free(struct ct_media_table *t)
{
	struct ct_list *l;
	struct mstream *m;
	int i;

	if (t == NULL)
		return;
	while ((l = ct_list_first(&t->calls)) != NULL)
		call_media_free(t, ct_container_of(l, struct call_media, link));
	while ((m = orph_oldest(t)) != NULL)
		orphan_end(t, m, false);
	ct_audio_finisher_free(t->finisher);
	while ((l = ct_list_pop_first(&t->spare_cm)) != NULL) {
		struct call_media *cm = ct_container_of(l, struct call_media, link);

		pts_free(t, cm->pts, cm->cap_pt);
		ct_slab_free(&t->cm_slab, cm);
	}
	ct_slab_fini(&t->ep_slab);
	ct_slab_fini(&t->cm_slab);
	ct_slab_fini(&t->ms_slab);
	for (i = 0; i < MEDIA_PT_CLASSES; i++)
		ct_slab_fini(&t->pt_slab[i]);
	ct_htab_fini(&t->ep);
	ct_htab_fini(&t->epk);
	ct_htab_fini(&t->st);
	ct_htab_fini(&t->orph);
	free(t);
}

static struct call_media *call_media_get(struct ct_media_table *t, struct ct_dialog *d)
{
	struct call_media *cm = ct_dialog_media_get(d);

	if (cm != NULL)
		return cm;
	if (!ct_list_empty(&t->spare_cm)) {
		/* a spare one, zeroed but for its pts[] room (no calloc and
		 * realloc per call: a short call's SDP needs them at once) */
		struct pt_name *pts;
		uint8_t cap;

		cm = ct_container_of(ct_list_pop_first(&t->spare_cm), struct call_media, link);
		t->n_spare_cm--;
		pts = cm->pts;
		cap = cm->cap_pt;
		memset(cm, 0, sizeof(*cm));
		cm->pts = pts;
		cm->cap_pt = cap;
	} else if ((cm = ct_slab_alloc(&t->cm_slab)) == NULL) {
		return NULL;
	}
	cm->d = d;
	t->n_calls++;
	t->pt_slots += cm->cap_pt;
	ct_list_prepend(&t->calls, &cm->link);
	ct_dialog_media_set(d, cm);
	return cm;
}

static const struct pt_name *pt_lookup(const struct call_media *cm, uint8_t pt)
{
	uint8_t i;

	for (i = 0; i < cm->n_pt; i++)
		if (cm->pts[i].pt == pt)
			return &cm->pts[i];
	return NULL;
}

/*
 * Whether payload type pt, of entry pn in its call's table (NULL: none),
 * is video: its m= line's (SDP), else the
 * static video types of RFC 3551 §6 (JPEG 26, H261 31, MPV 32, MP2T 33,
 * H263 34).  Red-team pass 9: a video stream had a MOS, which made the
 * call's mos_min, and its frames went to the recording as sound.
 */
static bool pt_video_of(const struct pt_name *pn, uint8_t pt)
{
	if (pn != NULL)
		return pn->video;
	return pt == 26 || (pt >= 31 && pt <= 34);
}


static void learn_codecs(struct ct_media_table *t, struct call_media *cm,
    const struct ct_sdp_media *md)
{
	uint8_t i;

	for (i = 0; i < md->n_codecs; i++) {
		const struct ct_sdp_codec *c = &md->codecs[i];
		struct pt_name *p = (struct pt_name *)pt_lookup(cm, c->pt);

		if (p == NULL) {
			if (cm->n_pt == cm->cap_pt) {
				/* Grown on demand: a fixed array cost 768 bytes per call. */
				struct pt_name *np;

				if (cm->cap_pt == MEDIA_MAX_PT ||
				    (np = ct_slab_alloc(&t->pt_slab[cm->cap_pt / MEDIA_PT_STEP])) == NULL)
					continue;
				if (cm->n_pt > 0)
					memcpy(np, cm->pts, cm->n_pt * sizeof(*np));
				pts_free(t, cm->pts, cm->cap_pt);
				cm->pts = np;
				cm->cap_pt += MEDIA_PT_STEP;
			}
			p = &cm->pts[cm->n_pt++];
		}
		p->pt = c->pt;
		p->fmt = c->fmt;
		p->channels = c->channels;
		p->rate = c->rate;
		p->video = strcasecmp(md->type, "video") == 0;
		copy_cut(p->name, sizeof(p->name), c->name);
		if (strcasecmp(c->name, "telephone-event") == 0)
			cm->dtmf_pt = c->pt;
	}
}

static uint8_t other_party(uint8_t p)
{
	if (p == CT_PARTY_CALLER)
		return CT_PARTY_CALLEE;
	return p == CT_PARTY_CALLEE ? CT_PARTY_CALLER : CT_PARTY_NONE;
}

/*
 * True when party q may be the far party of an endpoint where party p
 * receives: the other party, or either when one of them is unknown.
 */
static bool far_of(uint8_t p, uint8_t q)
{
	return p == CT_PARTY_NONE || q == CT_PARTY_NONE || p != q;
}

/*
 * False for addresses that cannot be reached from the Internet, the ones a
 * party behind NAT announces: IPv4 0/8, 10/8, 100.64/10, 127/8, 169.254/16,
 * 172.16/12, 192.168/16; IPv6 ::, ::1, fc00::/7, fe80::/10, and IPv4-mapped
 * forms of the IPv4 ones.
 */
static bool addr_public(const struct ct_addr *a)
{
	const uint8_t *b = a->a;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero15[15];

	if (a->family == 6) {
		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			struct ct_addr v4 = { .family = 4 };

			memcpy(v4.a, b + 12, 4);
			return addr_public(&v4);
		}
		if (memcmp(b, zero15, sizeof(zero15)) == 0 && b[15] <= 1)
			return false;
		return (b[0] & 0xfe) != 0xfc && !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
	}
	if (a->family != 4)
		return false;
	return !(b[0] == 0 || b[0] == 10 || b[0] == 127 ||
	    (b[0] == 100 && (b[1] & 0xc0) == 64) || (b[0] == 169 && b[1] == 254) ||
	    (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168));
}

/* How rule 1 lets a source send into a call at an endpoint (source_rank). */
enum src_rank {
	SRC_NO = 0,      /* no rule applies */
	SRC_LATCH,       /* 1d: NAT latching */
	SRC_HOST,        /* 1b, 1c: on an address of the far party (any port) */
	SRC_EXACT        /* 1a: a far endpoint's own address and port */
};

/*
 * Rule 1 of the file comment: may src:sport send RTP into call e->cm at its
 * endpoint e, and by which rule?  O(endpoints of the call), at most
 * MEDIA_MAX_EP_CALL.  latch false leaves out 1d (RTCP never latches: the
 * RTP does).
 */
static enum src_rank source_rank(const struct endpoint *e, const struct ct_addr *src,
    uint16_t sport, uint8_t tunnel, bool latch)
{
	const struct call_media *cm = e->cm;
	const struct endpoint *x;
	bool far_sdp = false, far_public = false;
	enum src_rank rank = SRC_NO;
	uint8_t q;

	if (tunnel != cm->tunnel)
		return SRC_NO;    /* out of another depth of tunnels: anyone's (file comment) */

	for (q = CT_PARTY_NONE; q <= CT_PARTY_CALLEE; q++)          /* 1c */
		if (far_of(e->side, q) && cm->sig[q].family != 0 && ct_addr_eq(&cm->sig[q], src))
			rank = SRC_HOST;
	for (x = cm->endpoints; x != NULL; x = x->cnext) {
		if (x == e || !far_of(e->side, x->side))
			continue;
		if (ct_addr_eq(&x->addr, src)) {
			if (x->port == sport)
				return SRC_EXACT;                    /* 1a */
			if (x->flags & EPF_SDP)
				rank = SRC_HOST;                     /* 1b */
		}
		if (x->flags & EPF_SDP) {
			far_sdp = true;
			far_public = far_public || addr_public(&x->addr);
		}
	}
	if (rank != SRC_NO)
		return rank;
	return latch && far_sdp && !far_public && !(e->flags & EPF_RECV) ? SRC_LATCH : SRC_NO; /* 1d */
}

/*
 * Rule 2 of the file comment, its destination: may the party of e (the
 * sender's endpoint, pkt's source) send to pkt's destination D as to the
 * other party?  Yes when D is one of the other party's RTP endpoints that
 * rule 1 could not find, because more than MEDIA_MAX_SAME_EP calls share
 * it and this call's is not indexed (rule 1a, found from S's side).  Yes
 * too, though D is none of its endpoints, when the other
 * party announced no public address (behind NAT: its public one is learnt
 * here) or no SDP that was seen, and when D already sent RTP to e that
 * the call refused and keeps pending (symmetric RTP: a carrier's media
 * from another host than its SDP says, answered where it came from, as
 * a PBX with comedia does; the stream is then confirmed both ways).  No
 * otherwise: the other party receives where its public SDP says (rule 1,
 * or an endpoint learnt from its own RTP), so a stream to another port
 * or host never reached it, and a spoofer who forges a party's own
 * address:port towards one adds no stream to the call.  O(endpoints and
 * pending streams of the call).
 */
static bool dest_plausible(const struct endpoint *e, const struct ct_tuple *t)
{
	const struct call_media *cm = e->cm;
	const struct endpoint *x;
	const struct mstream *m;
	bool pub = false;

	for (x = cm->endpoints; x != NULL; x = x->cnext) {
		if (!far_of(e->side, x->side))
			continue;
		if (x->port == t->dport && !(x->flags & EPF_RTCP) && ct_addr_eq(&x->addr, &t->dst))
			return true;   /* rule 1a seen from S: D is not indexed (MEDIA_MAX_SAME_EP) */
		pub = pub || ((x->flags & EPF_SDP) && addr_public(&x->addr));
	}
	if (!pub)
		return true;
	for (m = cm->pending; m != NULL; m = m->cnext)
		if (m->sport == t->dport && m->dport == t->sport && m->tunnel == t->tunnel &&
		    ct_addr_eq(&m->src, &t->dst) && ct_addr_eq(&m->dst, &t->src))
			return true;
	return false;
}

/* Whether any rule 1 lets src:sport send into e's call at e (source_rank). */
static bool source_ok(const struct endpoint *e, const struct ct_addr *src, uint16_t sport,
    uint8_t tunnel, bool latch)
{
	return source_rank(e, src, sport, tunnel, latch) != SRC_NO;
}

static void pending_recheck(struct ct_media_table *t, struct call_media *cm);

/*
 * Adds the endpoints of one enabled m= line md, where party side receives:
 * for each of its ports (md->n_ports, at most MEDIA_MAX_PORTS; 0 counts as
 * 1) the RTP port and its RTCP port, the next one (RFC 3550 §11) or, for
 * the first port, where a=rtcp says (RFC 3605).  Each port past the cap
 * counts two refused endpoints.  Endpoints of serial above keep are never
 * retired for them (ep_add).
 */
static void media_line_add(struct ct_media_table *t, struct call_media *cm,
    const struct ct_sdp_media *md, uint8_t side, uint64_t keep)
{
	unsigned n = md->n_ports > 1 ? md->n_ports : 1, k;
	uint16_t port, rtcp;

	if (n > MEDIA_MAX_PORTS) {
		t->stats.endpoints_refused += 2 * (uint64_t)(n - MEDIA_MAX_PORTS);
		n = MEDIA_MAX_PORTS;
	}
	for (k = 0; k < n; k++) {
		if (md->port + 2u * k > 65535)
			break;   /* the parser cuts the count; a hand-made md may not */
		port = (uint16_t)(md->port + 2u * k);
		rtcp = k == 0 && md->rtcp_port != 0 ? md->rtcp_port : (uint16_t)(port + 1);
		ep_add(t, cm, &md->addr, rtcp, side, rtcp != port ? EPF_SDP | EPF_RTCP : EPF_SDP,
		    keep);
		ep_add(t, cm, &md->addr, port, side, EPF_SDP, keep);
	}
}

/*
 * Records the media endpoints of an SDP body seen in call d (offer or
 * answer, initial or re-INVITE, early media in 183), and the address the
 * SDP came from (rule 1c): every port of each m= line (media_line_add).
 * Disabled streams (port 0) and hold addresses (0.0.0.0) are ignored.
 * Streams the call refused earlier are checked again.
 */
void ct_media_on_sdp(struct ct_media_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct call_media *cm;
	uint64_t keep = t->ep_serial;   /* endpoints of this SDP stay */
	uint8_t side;
	uint8_t i;

	if (!m->has_sdp || (cm = call_media_get(t, d)) == NULL)
		return;
	side = (uint8_t)ct_dialog_sender(d, m);
	if (side <= CT_PARTY_CALLEE && (m->t.src.family == 4 || m->t.src.family == 6))
		cm->sig[side] = m->t.src;
	cm->tunnel = m->t.tunnel;   /* the call's path's (sigpath.c): its media's too */
	for (i = 0; i < m->sdp.n_media; i++) {
		const struct ct_sdp_media *md = &m->sdp.media[i];
		static const uint8_t zero[16];

		if (md->port == 0 || md->addr.family == 0)
			continue;
		if (memcmp(md->addr.a, zero, sizeof(zero)) == 0)
			continue;
		t->pt_slots -= cm->cap_pt;
		learn_codecs(t, cm, md);
		t->pt_slots += cm->cap_pt;
		media_line_add(t, cm, md, side, keep);
	}
	pending_recheck(t, cm);
}

/*
 * Makes m (zeroed but for its tuple, statistics and clock) a stream of call cm
 * whose voice is speaker's, and teaches its source as speaker's endpoint
 * (symmetric RTP, RFC 4961) when there is room for it.
 */
static void st_attach(struct ct_media_table *t, struct call_media *cm, struct mstream *m,
    uint8_t speaker)
{
	struct endpoint *src;

	m->cm = cm;
	m->d = cm->d;
	m->speaker = speaker;
	m->cnext = cm->streams;
	cm->streams = m;
	cm->n_streams++;
	ct_htab_insert(&t->st, &m->hn, st_hash(&t->st, &m->src, m->sport, &m->dst, m->dport,
	    m->st.ssrc));
	src = ep_add(t, cm, &m->src, m->sport, speaker, 0, 0);
	if (src != NULL)
		src->flags |= EPF_USED;
}

/*
 * cm holds MEDIA_MAX_STREAMS_CALL streams: its stream of SSRC ssrc and
 * speaker's voice, if any, goes on under pkt's 4-tuple (a party whose
 * media a re-INVITE moved for the 33rd time keeps its RTP session, RFC
 * 3550 §8; the stream's record shows its newest ports).  NULL when none.
 */
static struct mstream *st_move(struct ct_media_table *t, struct call_media *cm,
    const struct ct_packet *pkt, uint32_t ssrc, uint8_t speaker)
{
	struct mstream *m;
	struct endpoint *src;

	for (m = cm->streams; m != NULL; m = m->cnext)
		if (m->st.ssrc == ssrc && m->speaker == speaker)
			break;
	if (m == NULL)
		return NULL;
	ct_htab_remove(&t->st, &m->hn);
	tuple_set(m, pkt);
	ct_htab_insert(&t->st, &m->hn, st_hash(&t->st, &m->src, m->sport, &m->dst, m->dport,
	    m->st.ssrc));
	src = ep_add(t, cm, &m->src, m->sport, speaker, 0, 0);
	if (src != NULL)
		src->flags |= EPF_USED;
	t->stats.streams_moved++;
	return m;
}

/*
 * Starts a stream of call cm.  speaker is the party whose voice it carries:
 * a packet sent to an endpoint that party P announced carries the other
 * party's voice; one sent from P's endpoint carries P's.  A call at its
 * MEDIA_MAX_STREAMS_CALL streams moves its stream of the same SSRC and
 * speaker instead (st_move), else refuses it.
 */
static struct mstream *st_new(struct ct_media_table *t, struct call_media *cm,
    const struct ct_packet *pkt, const struct ct_rtp_hdr *h, uint8_t speaker)
{
	const struct pt_name *pn = pt_lookup(cm, h->pt);
	struct mstream *m;

	if (cm->n_streams >= MEDIA_MAX_STREAMS_CALL &&
	    (m = st_move(t, cm, pkt, h->ssrc, speaker)) != NULL)
		return m;
	if (ct_htab_count(&t->st) >= t->max_flows || cm->n_streams >= MEDIA_MAX_STREAMS_CALL) {
		t->stats.streams_refused++;
		return NULL;
	}
	if ((m = mstream_alloc(t)) == NULL)
		return NULL;
	tuple_set(m, pkt);
	ct_rtp_stream_init(&m->st, h->ssrc, pn != NULL && pn->rate ? pn->rate : 8000);
	m->last_pt = -1;
	m->st.dtmf_pt = cm->dtmf_pt;
	mstream_ivals_on(t, m);
	st_attach(t, cm, m, speaker);
	return m;
}

/*
 * RFC 3550 §8.2: an SSRC already heard from one transport address and now
 * from another is a collision or a loop, and the packets from the new
 * address are dropped while the first one goes on.  Asked of a new stream
 * that only rule 1b or 1c accepts (the far party's host, another port than
 * any it announced): whether cm already has a stream to the same
 * destination with this SSRC from another source that sent within
 * MEDIA_SSRC_QUIET_US of now.  A spoofer who copies a legit stream's SSRC
 * from another port of the far party's address would otherwise add a
 * stream to the call; a device that moves its source port keeps its SSRC
 * and is taken once the old stream has been quiet that long (one that
 * moves to a port its SDP announces is rule 1a, and never asked).
 */
static bool ssrc_collides(const struct call_media *cm, const struct ct_addr *src, uint16_t sport,
    const struct ct_addr *dst, uint16_t dport, uint32_t ssrc, int64_t now_us)
{
	const struct mstream *m;

	for (m = cm->streams; m != NULL; m = m->cnext)
		if (m->st.ssrc == ssrc && m->dport == dport && m->st.started &&
		    ct_ts_sub(now_us, ct_rtp_stream_last_us(&m->st)) < MEDIA_SSRC_QUIET_US &&
		    (m->sport != sport || !ct_addr_eq(&m->src, src)) && ct_addr_eq(&m->dst, dst))
			return true;
	return false;
}

/*
 * Checks cm's pending (refused) streams again after cm learnt something;
 * each one now accepted by rule 1 moves from the orphans into the call with
 * its statistics so far.  Repeats while that teaches more (at most
 * MEDIA_MAX_PENDING rounds).
 */
static void pending_recheck(struct ct_media_table *t, struct call_media *cm)
{
	bool again = true;

	while (again && cm->pending != NULL) {
		struct mstream *m, *next;

		again = false;
		for (m = cm->pending; m != NULL; m = next) {
			struct endpoint *e;

			next = m->cnext;
			enum src_rank rank = SRC_NO;

			for (e = cm->endpoints; e != NULL; e = e->cnext)
				if (e->port == m->dport && ct_addr_eq(&e->addr, &m->dst) &&
				    (rank = source_rank(e, &m->src, m->sport, m->tunnel, true)) != SRC_NO)
					break;
			if (e != NULL && rank == SRC_HOST && ssrc_collides(cm, &m->src, m->sport,
			    &m->dst, m->dport, m->st.ssrc, ct_rtp_stream_last_us(&m->st)))
				continue;
			if (e == NULL || ct_htab_count(&t->st) >= t->max_flows ||
			    cm->n_streams >= MEDIA_MAX_STREAMS_CALL)
				continue;
			orphan_unlink(t, m);
			free(m->into);
			m->into = NULL;
			e->flags |= EPF_USED | EPF_RECV;
			st_attach(t, cm, m, other_party(e->side));
			t->stats.promoted++;
			/* Its packets were the call's after all. */
			t->stats.injected -= m->st.packets <= t->stats.injected ? m->st.packets : t->stats.injected;
			t->stats.packets += m->st.packets;
			again = true;
			break;    /* the list changed */
		}
	}
}

/*
 * Dynamic payload types of one stream may have different clock rates (an
 * H.264 stream mixing PT 125 and 126, DTMF at 8000 beside Opus at 48000):
 * the rate follows the payload type, from the call's rtpmap lines, else the
 * static table (RFC 3551), else 0 (unknown: no jitter is computed).
 */
static void set_clock_rate(struct mstream *m, const struct call_media *cm, uint8_t pt)
{
	const struct pt_name *pn = pt_lookup(cm, pt);
	uint32_t rate = 0;

	if (pn != NULL && pn->rate != 0)
		rate = pn->rate;
	else if (ct_rtp_static_codec(pt, &rate) == NULL)
		rate = 0;
	m->st.clock_rate = rate;
	m->last_pt = pt;
}

/*
 * The decoder flags (CT_CODEC_*) of payload type pt as the call's SDP
 * mapped it (pn), else as RFC 3551's table has it: AMR's octet-align, and
 * the channel count (an L16 stereo stream is mixed down; read as mono it
 * was two interleaved channels at twice the rate).
 */
static unsigned codec_flags(const struct pt_name *pn, uint8_t pt)
{
	const struct ct_rtp_static_pt *sp;
	unsigned ch, f = 0;

	if (pn != NULL) {
		ch = pn->channels;
		if (pn->fmt & CT_SDP_OCTET_ALIGN)
			f |= CT_CODEC_OCTET_ALIGN;
		if (pn->fmt & CT_SDP_SRTP)
			f |= CT_CODEC_ENCRYPTED;
	} else {
		sp = ct_rtp_static_pt(pt);
		ch = sp != NULL ? sp->channels : 1;
	}
	if (ch == 2)
		f |= CT_CODEC_STEREO;
	else if (ch > 2)
		f |= CT_CODEC_MULTI;
	return f;
}

/* Adds one packet's payload to its call's recording, started on demand. */
static void record_packet(struct ct_media_table *t, struct mstream *m,
    const struct ct_rtp_hdr *h, int64_t ts_us)
{
	struct call_media *cm = m->cm;
	char errbuf[CT_ERRBUF_SIZE];
	const struct pt_name *pn = pt_lookup(cm, h->pt);

	if (pt_video_of(pn, h->pt))
		return;   /* pictures are no sound (a video call's recording is its audio) */
	if (cm->audio == NULL) {
		if (cm->audio_failed)
			return;
		errbuf[0] = '\0';
		cm->audio = ct_audio_call_new(t->audio_dir, t->audio_fmt,
		    ct_dialog_call_id(cm->d), ts_us, errbuf);
		if (cm->audio == NULL) {
			cm->audio_failed = true;
			audio_error(t, errbuf);
			return;
		}
		ct_audio_call_set_finisher(cm->audio, t->finisher);
		ct_audio_call_set_durable(cm->audio, t->audio_durable);
	}
	ct_audio_call_add_fmt(cm->audio, m->speaker == CT_PARTY_CALLER ? CT_AUDIO_CALLER : CT_AUDIO_CALLEE,
	    pn != NULL ? pn->name : ct_rtp_static_codec(h->pt, NULL), m->st.clock_rate,
	    codec_flags(pn, h->pt), h->ssrc, h->ts, ts_us, h->payload, h->payload_len);
}

/*
 * Whether pkt, of stream m, is a copy of a packet m already had, seen
 * again on another path: a SPAN session that mirrors two VLANs (or the
 * two sides of a router) shows every packet twice, the copy in another
 * VLAN or with another TTL.  Counted as a duplicate it doubled the
 * stream's packets and made its loss negative.  A duplicate on the
 * stream's own path (VLAN and TTL of its first packet) is one the network
 * made, and is counted as before.  O(1): the path compare, then the
 * stream's sequence window only for a packet off its path.
 */
static inline bool span_copy(const struct mstream *m, const struct ct_packet *pkt,
    const struct ct_rtp_hdr *h)
{
	return (pkt->ttl != m->ttl || pkt->vlan != m->vlan) && ct_rtp_stream_has_seq(&m->st, h->seq);
}

/*
 * The first packet of a stream from src to dst (the file comment's rules):
 * returns the new stream of the call it belongs to, or NULL with *refused_by
 * set to the call whose endpoint dst is but which refused src (else NULL).
 */
static struct mstream *match_new(struct ct_media_table *t, const struct ct_packet *pkt,
    const struct ct_rtp_hdr *h, struct call_media **refused_by)
{
	struct endpoint *e, *best = NULL, *hit = NULL;
	enum src_rank rank, best_rank = SRC_NO;
	struct mstream *m;

	*refused_by = NULL;
	for (e = ep_first(t, &pkt->t.dst, pkt->t.dport); e != NULL;
	    e = ep_next(e, &pkt->t.dst, pkt->t.dport)) {
		if (hit == NULL || e->serial > hit->serial)
			hit = e;
		if (e->flags & EPF_RTCP)
			continue;
		rank = source_rank(e, &pkt->t.src, pkt->t.sport, pkt->t.tunnel, true);
		if (rank != SRC_NO && (rank > best_rank ||
		    (rank == best_rank && e->serial > best->serial))) {
			best = e;
			best_rank = rank;
		}
	}
	if (best != NULL && best_rank == SRC_HOST &&
	    ssrc_collides(best->cm, &pkt->t.src, pkt->t.sport, &pkt->t.dst, pkt->t.dport, h->ssrc,
	    pkt->ts_us)) {
		t->stats.ssrc_collisions++;
		*refused_by = best->cm;
		return NULL;
	}
	/* Endpoints are marked used first: learning the source must not retire them. */
	if (best != NULL) {                                     /* rule 1 */
		best->flags |= EPF_USED | EPF_RECV;
		if ((m = st_new(t, best->cm, pkt, h, other_party(best->side))) != NULL)
			pending_recheck(t, best->cm);
		return m;
	}
	if ((e = ep_find(t, &pkt->t.src, pkt->t.sport)) != NULL &&   /* rule 2 */
	    e->cm->tunnel == pkt->t.tunnel && dest_plausible(e, &pkt->t)) {
		struct call_media *cm = e->cm;
		struct endpoint *d;

		e->flags |= EPF_USED;
		if ((m = st_new(t, cm, pkt, h, e->side)) == NULL)
			return NULL;
		d = ep_add(t, cm, &pkt->t.dst, pkt->t.dport, other_party(e->side), 0, 0);
		if (d != NULL)
			d->flags |= EPF_USED | EPF_RECV;
		pending_recheck(t, cm);
		return m;
	}
	if (hit != NULL)
		*refused_by = hit->cm;
	return NULL;
}

/*
 * RTCP to a call's endpoint e from src:sport is the call's when rule 1a-1c
 * accepts the source at its own port or at the RTP port below it (RTCP on
 * the next port, RFC 3550 §11; on the RTP port itself with rtcp-mux, RFC
 * 5761).  There is no NAT latch (1d) for RTCP: once RTP latched a source,
 * that source (learnt, 1a) covers its RTCP.
 */
static bool rtcp_source_ok(const struct endpoint *e, const struct ct_tuple *t)
{
	return source_ok(e, &t->src, t->sport, t->tunnel, false) ||
	    (t->sport > 0 && source_ok(e, &t->src, (uint16_t)(t->sport - 1), t->tunnel, false));
}

/*
 * One RTCP packet: CT_MEDIA_CALL (counted as rtcp) when a call whose
 * endpoint it is sent to accepts its source (rtcp_source_ok),
 * CT_MEDIA_INJECTED (counted as rtcp_foreign) when calls own the
 * destination but none accepts the source, CT_MEDIA_OTHER when no call
 * owns it.  Nothing is measured from RTCP.
 */
static int rtcp_packet(struct ct_media_table *t, const struct ct_packet *pkt)
{
	struct endpoint *e = ep_first(t, &pkt->t.dst, pkt->t.dport);

	if (e == NULL)
		return CT_MEDIA_OTHER;
	for (; e != NULL; e = ep_next(e, &pkt->t.dst, pkt->t.dport)) {
		if (rtcp_source_ok(e, &pkt->t)) {
			t->last_call = e->cm->d;
			t->stats.rtcp++;
			return CT_MEDIA_CALL;
		}
	}
	t->stats.rtcp_foreign++;
	t->last_pending = NULL;
	return CT_MEDIA_INJECTED;
}

/*
 * Measures one UDP packet that is not SIP.  Returns CT_MEDIA_CALL when it is
 * RTP or RTCP of a known call, CT_MEDIA_INJECTED when it is RTP sent to a
 * call's endpoint from a source the call does not accept (not measured as
 * the call's), CT_MEDIA_OTHER otherwise (orphan or not RTP).  All counted.
 */
int ct_media_packet(struct ct_media_table *t, const struct ct_packet *pkt)
{
	const uint8_t *p = pkt->payload;
	struct ct_rtp_hdr h;
	struct mstream *m;

	if (ct_rtcp_looks_like(p, pkt->payload_len))
		return rtcp_packet(t, pkt);
	if ((pkt->snap_cut ? ct_rtp_parse_cut(p, pkt->payload_len, &h) :
	    ct_rtp_parse(p, pkt->payload_len, &h)) != CT_OK ||
	    (pkt->snap_cut && h.pt >= 72 && h.pt <= 76)) {   /* RTCP cut short (RFC 5761 §4) */
		t->stats.not_rtp++;
		return CT_MEDIA_OTHER;
	}
	m = st_lookup(&t->st, pkt, h.ssrc);
	if (m == NULL) {
		struct call_media *refused_by;

		m = match_new(t, pkt, &h, &refused_by);
		if (m == NULL) {
			orphan_packet(t, pkt, &h, refused_by);
			if (refused_by == NULL) {
				t->stats.orphan++;
				return CT_MEDIA_OTHER;
			}
			t->stats.injected++;
			return CT_MEDIA_INJECTED;
		}
	}
	if (span_copy(m, pkt, &h)) {
		t->stats.span_copies++;
		t->last_call = m->d;
		return CT_MEDIA_CALL;
	}
	/* With many calls open the dialog is rarely in cache: start its load
	 * now, under the stream's update, not after it. */
	MEDIA_PREFETCH(m->d);
	if (h.pt != m->last_pt)
		set_clock_rate(m, m->cm, h.pt);
	ct_rtp_stream_update(&m->st, &h, pkt->ts_us);
	ct_dialog_touch_media(m->d, pkt->ts_us);
	t->last_call = m->d;
	t->stats.packets++;
	/* A payload cut by the snap length is not sound: the recording has a gap. */
	if (t->audio_dir != NULL && m->speaker != CT_PARTY_NONE && !pkt->snap_cut)
		record_packet(t, m, &h, pkt->ts_us);
	return CT_MEDIA_CALL;
}

static void fill_stream(const struct call_media *cm, const struct mstream *m,
    struct ct_stream_stats *out)
{
	const struct pt_name *pn = NULL;
	const char *name = NULL;

	memset(out, 0, sizeof(*out));
	ct_rtp_stream_stats(&m->st, out);
	out->src = m->src;
	out->dst = m->dst;
	out->sport = m->sport;
	out->dport = m->dport;
	if (out->payload_type >= 0) {
		pn = pt_lookup(cm, (uint8_t)out->payload_type);
		name = pn != NULL ? pn->name : ct_rtp_static_codec((uint8_t)out->payload_type, NULL);
	}
	out->video = out->payload_type >= 0 && pt_video_of(pn, (uint8_t)out->payload_type);
	if (name != NULL && out->codec[0] == '\0') {
		snprintf(out->codec, sizeof(out->codec), "%s", name);
		out->mos = ct_rtp_mos(out->codec, out->loss_pct / 100.0, out->mean_jitter_ms);
	}
	/* the stream's MOS codec: its name, else (none known) rated as G.711 */
	ct_rtp_ivals_export(m->st.ivals, out->codec[0] != '\0' ? out->codec : NULL,
	    m->st.last_us, &out->ivals, &out->n_ivals);
	if (out->video) {   /* the E-model rates speech: no MOS for video */
		uint32_t i;

		out->mos = 0;
		for (i = 0; out->ivals != NULL && i < out->n_ivals; i++)
			out->ivals[i].mos = 0;
	}
}

/*
 * Called when call d is about to be emitted: fills rec->streams (in the order
 * the streams were first seen) and releases the call's endpoints and streams.
 * A call that never had SDP is left untouched.  A call dropped without a
 * record (ct_dialog_discarding: an unproven call in progress) gets no
 * recording: its audio is discarded, never handed to the finisher, whose
 * reports the engine pairs with the records written, in order (one
 * recording of no record put every later record one report behind, so
 * none of them named its file).
 */
void ct_media_closing(struct ct_media_table *t, struct ct_dialog *d, struct ct_call_record *rec)
{
	struct call_media *cm = ct_dialog_media_get(d);
	struct mstream *m;
	size_t i;

	if (cm == NULL)
		return;
	ct_dialog_media_set(d, NULL);
	/*
	 * An answered call that lost its BYE lasted as long as its media: the
	 * last packet taken (a packet still on probation now is alone, and
	 * counts nowhere: one spoofed after the stream's end moved the end).
	 */
	if (rec != NULL && rec->truncated && rec->disposition == CT_DISP_ANSWERED)
		for (m = cm->streams; m != NULL; m = m->cnext)
			if (m->st.packets > 0 && m->st.last_us != CT_TIME_NONE &&
			    m->st.last_us > rec->end_us)
				rec->end_us = m->st.last_us;
	audio_finish(t, cm, ct_dialog_discarding(d) ? NULL : rec);
	if (cm->n_streams > 0 && rec != NULL && rec->streams == NULL) {
		rec->streams = calloc(cm->n_streams, sizeof(*rec->streams));
		if (rec->streams != NULL) {
			rec->n_streams = cm->n_streams;
			i = cm->n_streams;
			for (m = cm->streams; m != NULL && i > 0; m = m->cnext)
				fill_stream(cm, m, &rec->streams[--i]);
		}
	}
	call_media_free(t, cm);
}

/*
 * Turns recording on: each answered call's audio goes to a file in dir (which
 * must outlive the table), in format fmt, written by a finisher thread (in
 * place when none can be started).  dir NULL turns it off.
 */
void ct_media_set_audio(struct ct_media_table *t, const char *dir, enum ct_audio_format fmt)
{
	t->audio_dir = dir;
	t->audio_fmt = fmt;
	if (dir != NULL && t->finisher == NULL)
		t->finisher = ct_audio_finisher_new();  /* NULL: files written in place */
}

void ct_media_set_audio_durable(struct ct_media_table *t, bool on)
{
	t->audio_durable = on;
}

void ct_media_set_intervals(struct ct_media_table *t, bool on)
{
	t->intervals = on;
}

void ct_media_set_chunks(struct ct_media_table *t, struct ct_chunks *k)
{
	int i;

	ct_slab_set_stock(&t->ep_slab, k);
	ct_slab_set_stock(&t->cm_slab, k);
	ct_slab_set_stock(&t->ms_slab, k);
	for (i = 0; i < MEDIA_PT_CLASSES; i++)
		ct_slab_set_stock(&t->pt_slab[i], k);
}

/* The finisher writing the recordings (NULL: recording off, or written in place). */
struct ct_audio_finisher *ct_media_audio_finisher(const struct ct_media_table *t)
{
	return t->finisher;
}

/* The first recording error seen, or NULL when there was none. */
const char *ct_media_audio_error(const struct ct_media_table *t)
{
	return t->audio_err[0] != '\0' ? t->audio_err : NULL;
}

/* Fills st with the table's counters and current sizes. */
void ct_media_get_stats(const struct ct_media_table *t, struct ct_media_stats *st)
{
	*st = t->stats;
	st->audio_queue_waits = ct_audio_finisher_queue_waits(t->finisher);
	st->endpoints = t->n_endpoints;
	st->flows = ct_htab_count(&t->st);
	st->orphan_flows = ct_htab_count(&t->orph);
	st->bytes = sizeof(*t) + (ct_htab_buckets(&t->ep) + ct_htab_buckets(&t->epk) +
	    ct_htab_buckets(&t->st) +
	    ct_htab_buckets(&t->orph)) * sizeof(void *) + t->n_endpoints * sizeof(struct endpoint) +
	    (st->flows + st->orphan_flows) * MSTREAM_SIZE +
	    t->n_calls * (sizeof(struct call_media) + MEDIA_MAX_PT * sizeof(struct pt_name));
}

/*
 * Memory held for the calls now: their call media and codec tables, the
 * endpoints and the streams (call and orphan ones), and the hash tables'
 * buckets, from the counts (O(1): the engine's memory budget asks after
 * every SIP message, engine.c mem_guard).
 */
size_t ct_media_bytes(const struct ct_media_table *t)
{
	return (ct_htab_buckets(&t->ep) + ct_htab_buckets(&t->epk) + ct_htab_buckets(&t->st) +
	    ct_htab_buckets(&t->orph)) * sizeof(void *) +
	    t->n_endpoints * sizeof(struct endpoint) +
	    (ct_htab_count(&t->st) + ct_htab_count(&t->orph)) * MSTREAM_SIZE +
	    t->n_calls * sizeof(struct call_media) + t->pt_slots * sizeof(struct pt_name);
}

/*
 * The longest chain of the endpoint hash table (a diagnostic for tests and
 * benchmarks: O(buckets), not for the packet path).
 */
size_t ct_media_longest_chain(const struct ct_media_table *t)
{
	return ct_htab_longest_chain(&t->ep);
}

/*
 * The longest chain of the stream and orphan hash tables, whichever is
 * longer (a diagnostic for tests: O(buckets)).
 */
size_t ct_media_longest_stream_chain(const struct ct_media_table *t)
{
	size_t a = ct_htab_longest_chain(&t->st), b = ct_htab_longest_chain(&t->orph);

	return a > b ? a : b;
}

/* The call of the last packet ct_media_packet() gave CT_MEDIA_CALL (per-call captures). */
struct ct_dialog *ct_media_last_call(const struct ct_media_table *t)
{
	return t->last_call;
}

/*
 * The call whose pending list holds the stream of the last RTP packet
 * ct_media_packet() gave CT_MEDIA_INJECTED, or NULL (RTCP, a plain orphan,
 * or no room on the list).  Such a stream (sent to the call's media port
 * from a source it does not know yet: early media before the SDP answer,
 * or an injection) may still be promoted into the call with every packet
 * measured so far, so per-call captures keep its packets too: reading a
 * capture back must give the same record.
 */
struct ct_dialog *ct_media_pending_call(const struct ct_media_table *t)
{
	return t->last_pending;
}
