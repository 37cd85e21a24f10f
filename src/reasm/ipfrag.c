/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * IPv4/IPv6 fragment reassembly.  Each datagram under reassembly is keyed by
 * (family, src, dst, identification, protocol) in a fixed-size keyed table
 * and keeps its bytes in one buffer plus a sorted array of hole descriptors
 * (RFC 815): a fragment fills the parts of the holes it covers and the
 * datagram is complete when no hole is left.  Workload: fragments are rare
 * (large SIP over UDP, some tunnels) and most datagrams complete within a few
 * packets, but a live sensor must survive floods of fragments that never
 * complete, so memory is bounded by datagram count and bytes held (data and
 * hole descriptors), the oldest datagram is evicted to make room, and
 * datagrams sit on an age list (oldest first) so expiry costs O(expired).
 * Policies, those of the Linux receiver the PBX most likely is: a fragment
 * that lies wholly within bytes already present is a duplicate and is
 * ignored, the bytes present kept (silently when identical, else recorded
 * as CT_EV_FRAG_DUP_DIFFERS: dropping the datagram for it let anyone who
 * sent a changed copy just after a legit fragment erase a datagram the
 * PBX kept; RFC 5722 erratum 3089: duplicates are ignored); one that also
 * fills a hole and whose content differs from the bytes present drops the
 * whole datagram and records CT_EV_FRAG_OVERLAP (RFC 5722 for IPv6, Linux
 * for IPv4 too: the PBX never saw that datagram); one that fills a hole
 * with identical bytes over the present ones is taken (a re-fragmented
 * copy); a datagram longer than 65535 bytes, or a fragment
 * past the known end, drops the whole datagram; an atomic fragment (offset 0, no more fragments) is
 * returned on its own without touching queued state (RFC 6946).  The
 * `dropped` counter is bumped once per refused fragment and once per datagram
 * discarded to honour a limit.
 * References: RFC 791 §2.3 and §3.2, RFC 815, RFC 8200 §4.5, RFC 6946.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/clock.h"
#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"

#define IPFRAG_MAX_LEN 65535u       /* largest datagram payload accepted */
#define HOLE_OPEN UINT32_MAX        /* end of the last hole until the end is known */
#define IPFRAG_MIN_BUCKETS 16u
#define IPFRAG_MAX_BUCKETS (1u << 20)
#define IPFRAG_INIT_HOLES 4u        /* hole descriptors of a new datagram */

struct hole {
	uint32_t first;             /* first missing byte */
	uint32_t end;               /* one past the last missing byte, or HOLE_OPEN */
};

struct dgram {
	struct ct_hnode hn;         /* in the datagram table */
	struct ct_list age;         /* on the age list */
	struct ct_addr src;
	struct ct_addr dst;
	uint32_t id;
	uint8_t proto;
	uint8_t tunnel;             /* ct_tuple.tunnel: fragments out of another depth are another datagram's */
	bool have_end;              /* the last fragment arrived */
	uint32_t total;             /* datagram length, valid when have_end */
	uint32_t maxend;            /* highest fragment end seen */
	int64_t first_us;           /* capture time of the first fragment seen */
	uint8_t *data;              /* reassembly buffer, cap bytes */
	size_t cap;
	struct hole *holes;         /* sorted by first, disjoint */
	size_t nholes;
	size_t hcap;
};

struct ct_ipfrag {
	struct ct_ipfrag_limits lim;
	struct ct_htab tab;         /* datagrams by key (random SipHash key) */
	struct ct_list age;         /* datagrams, oldest first */
	struct ct_ipfrag_stats st;
};

/*
 * Fills *lim with the defaults: 4096 datagrams, 16 MiB, 30 s.
 */
void ct_ipfrag_limits_default(struct ct_ipfrag_limits *lim)
{
	lim->max_datagrams = 4096;
	lim->max_bytes = (size_t)16 << 20;
	lim->timeout_us = (int64_t)30 * 1000000;
}

/*
 * Creates a reassembler with limits *lim (copied; NULL means the defaults).
 * Returns NULL when out of memory.  Free it with ct_ipfrag_free().
 */
struct ct_ipfrag *ct_ipfrag_new(const struct ct_ipfrag_limits *lim)
{
	struct ct_ipfrag *f;
	size_t n = IPFRAG_MIN_BUCKETS;

	f = calloc(1, sizeof(*f));
	if (f == NULL)
		goto fail;
	if (lim != NULL)
		f->lim = *lim;
	else
		ct_ipfrag_limits_default(&f->lim);
	if (f->lim.max_datagrams == 0)
		f->lim.max_datagrams = 1;
	while (n < f->lim.max_datagrams && n < IPFRAG_MAX_BUCKETS)
		n <<= 1;
	/* A random key per table: fragment ids and addresses are chosen by
	 * the sender, so unkeyed buckets could be flooded with collisions. */
	if (ct_htab_init(&f->tab, n, n) != CT_OK)
		goto fail;
	ct_list_init(&f->age);
	return f;
fail:
	free(f);
	return NULL;
}

static void dgram_release(struct dgram *d)
{
	free(d->data);
	free(d->holes);
	free(d);
}

/*
 * Frees f and every datagram still under reassembly.  NULL is a no-op.
 */
void ct_ipfrag_free(struct ct_ipfrag *f)
{
	struct ct_list *l;

	if (f == NULL)
		return;
	while ((l = ct_list_pop_first(&f->age)) != NULL)
		dgram_release(ct_container_of(l, struct dgram, age));
	ct_htab_fini(&f->tab);
	free(f);
}


static uint8_t pkt_proto(const struct ct_packet *pkt)
{
	return pkt->frag_proto != 0 ? pkt->frag_proto : pkt->t.proto;
}

static uint64_t key_hash(const struct ct_ipfrag *f, const struct ct_packet *pkt)
{
	return ct_addr_pair_hash(&f->tab.key, &pkt->t.src, &pkt->t.dst, pkt->frag_id) ^
	    pkt_proto(pkt);
}

/* The oldest datagram under reassembly, or NULL. */
static struct dgram *dgram_oldest(const struct ct_ipfrag *f)
{
	return ct_list_entry(ct_list_first(&f->age), struct dgram, age);
}

static struct dgram *dgram_find(const struct ct_ipfrag *f,
    const struct ct_packet *pkt, uint64_t hash)
{
	struct ct_hnode *n;
	uint8_t proto = pkt_proto(pkt);

	for (n = ct_htab_first(&f->tab, hash); n != NULL; n = ct_htab_next(n)) {
		struct dgram *d = ct_container_of(n, struct dgram, hn);

		if (d->id == pkt->frag_id && d->proto == proto && d->tunnel == pkt->t.tunnel &&
		    ct_addr_eq(&d->src, &pkt->t.src) && ct_addr_eq(&d->dst, &pkt->t.dst))
			return d;
	}
	return NULL;
}

static size_t dgram_bytes(const struct dgram *d)
{
	return d->cap + d->hcap * sizeof(struct hole);
}

/* Unlinks d from the hash and the age list, updates the stats, frees it. */
static void dgram_destroy(struct ct_ipfrag *f, struct dgram *d)
{
	ct_htab_remove(&f->tab, &d->hn);
	ct_list_remove(&d->age);
	f->st.pending--;
	f->st.bytes -= dgram_bytes(d);
	dgram_release(d);
}

/* Creates an empty datagram (one open hole, RFC 815 step 0) for pkt's key;
 * NULL on ENOMEM. */
static struct dgram *dgram_create(struct ct_ipfrag *f, const struct ct_packet *pkt,
    uint64_t hash)
{
	struct dgram *d;

	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->holes = malloc(IPFRAG_INIT_HOLES * sizeof(struct hole));
	if (d->holes == NULL) {
		free(d);
		return NULL;
	}
	d->hcap = IPFRAG_INIT_HOLES;
	d->nholes = 1;
	d->holes[0] = (struct hole){ 0, HOLE_OPEN };
	f->st.bytes += dgram_bytes(d);
	d->src = pkt->t.src;
	d->dst = pkt->t.dst;
	d->tunnel = pkt->t.tunnel;
	d->id = pkt->frag_id;
	d->proto = pkt_proto(pkt);
	d->first_us = pkt->ts_us;
	ct_htab_insert(&f->tab, &d->hn, hash);
	ct_list_append(&f->age, &d->age);
	f->st.pending++;
	return d;
}

/*
 * Makes d hold at least `end` data bytes (never more than the datagram can
 * hold; `last` when end is the datagram's end) and room for one more hole, evicting
 * the oldest other datagrams while the byte limit would be passed.  Returns
 * CT_OK, CT_ERR (limit: d cannot fit even alone) or CT_NOMEM.
 */
static int dgram_reserve(struct ct_ipfrag *f, struct ct_packet *pkt,
    struct dgram *d, uint32_t end, bool last)
{
	size_t ncap = d->cap, nhcap = d->hcap, grow;
	size_t most = last ? end : d->have_end ? d->total : IPFRAG_MAX_LEN;
	void *p;

	if (end > ncap) {
		ncap = ncap * 2 > end ? ncap * 2 : end;
		if (ncap > most)
			ncap = most;
	}
	if (d->nholes + 1 > nhcap)
		nhcap = nhcap == 0 ? 4 : nhcap * 2;
	grow = (ncap - d->cap) + (nhcap - d->hcap) * sizeof(struct hole);
	while (grow > 0 && f->st.bytes + grow > f->lim.max_bytes) {
		struct dgram *victim = dgram_oldest(f);

		if (victim == d)
			victim = ct_list_entry(ct_list_next(&f->age, &d->age), struct dgram, age);

		if (victim == NULL)
			return CT_ERR;
		ct_pkt_event(pkt, CT_EV_FRAG_LIMIT);
		f->st.dropped++;
		dgram_destroy(f, victim);
	}
	if (ncap > d->cap) {
		p = realloc(d->data, ncap);
		if (p == NULL)
			return CT_NOMEM;
		d->data = p;
		f->st.bytes += ncap - d->cap;
		d->cap = ncap;
	}
	if (nhcap > d->hcap) {
		p = realloc(d->holes, nhcap * sizeof(struct hole));
		if (p == NULL)
			return CT_NOMEM;
		d->holes = p;
		f->st.bytes += (nhcap - d->hcap) * sizeof(struct hole);
		d->hcap = nhcap;
	}
	return CT_OK;
}

/* The end is now known: cut every hole at total. */
static void holes_set_end(struct dgram *d, uint32_t total)
{
	size_t i = 0;

	while (i < d->nholes && d->holes[i].first < total) {
		if (d->holes[i].end > total)
			d->holes[i].end = total;
		i++;
	}
	d->nholes = i;
	d->have_end = true;
	d->total = total;
}

/*
 * Replaces hole i by its parts outside [a, b) (zero, one or two holes; the
 * caller reserved room for one more).  Returns the index after them.
 */
static size_t hole_split(struct dgram *d, size_t i, uint32_t a, uint32_t b)
{
	struct hole h = d->holes[i];
	struct hole parts[2];
	size_t n = 0;

	if (h.first < a)
		parts[n++] = (struct hole){ h.first, a };
	if (b < h.end)
		parts[n++] = (struct hole){ b, h.end };
	if (n != 1)
		memmove(&d->holes[i + n], &d->holes[i + 1],
		    (d->nholes - i - 1) * sizeof(struct hole));
	memcpy(&d->holes[i], parts, n * sizeof(struct hole));
	d->nholes = d->nholes - 1 + n;
	return i + n;
}

/*
 * The index of the first hole that ends after pos (nholes when none):
 * a binary search, since 8-byte fragments can leave thousands of holes and
 * every fragment of the datagram, duplicates included, starts here.
 */
static size_t hole_after(struct ct_ipfrag *f, const struct dgram *d, uint32_t pos)
{
	size_t lo = 0, hi = d->nholes, mid;

	while (lo < hi) {
		f->st.hole_steps++;
		mid = lo + (hi - lo) / 2;
		if (d->holes[mid].end <= pos)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Copies the bytes of fragment [s, e) that fall in holes (RFC 815 steps 1-8)
 * and compares the ones already present.  Returns true when a present byte
 * differs (conflicting overlap; the caller drops the datagram).  Visits
 * O(log nholes) holes plus those the fragment covers (st.hole_steps).
 */
static bool dgram_fill(struct ct_ipfrag *f, struct dgram *d, uint32_t s, uint32_t e,
    const uint8_t *src)
{
	bool conflict = false;
	uint32_t pos = s, cend;
	size_t i = hole_after(f, d, s);

	while (i < d->nholes && pos < e) {
		struct hole h = d->holes[i];

		f->st.hole_steps++;
		if (h.end <= pos) {
			i++;
			continue;
		}
		if (h.first >= e)
			break;
		if (pos < h.first) {
			conflict |= memcmp(d->data + pos, src + (pos - s), h.first - pos) != 0;
			pos = h.first;
		}
		cend = e < h.end ? e : h.end;
		memcpy(d->data + pos, src + (pos - s), cend - pos);
		i = hole_split(d, i, pos, cend);
		pos = cend;
	}
	if (pos < e)
		conflict |= memcmp(d->data + pos, src + (pos - s), e - pos) != 0;
	return conflict;
}

/*
 * Whether every byte of fragment [s, e) is already present in d (no hole
 * meets it): the fragment is then a duplicate.
 */
static bool frag_present(struct ct_ipfrag *f, const struct dgram *d, uint32_t s, uint32_t e)
{
	size_t i = hole_after(f, d, s);

	return i == d->nholes || d->holes[i].first >= e;
}

/* Hands the finished datagram to the caller and forgets it. */
static int dgram_complete(struct ct_ipfrag *f, struct dgram *d,
    uint8_t **out, size_t *out_len)
{
	uint8_t *buf = d->data;

	if (buf == NULL)
		buf = malloc(1);
	if (buf == NULL) {
		dgram_destroy(f, d);
		return CT_NOMEM;
	}
	*out = buf;
	*out_len = d->total;
	f->st.bytes -= d->cap;
	d->data = NULL;
	d->cap = 0;
	dgram_destroy(f, d);
	f->st.reassembled++;
	return CT_OK;
}

/* Drops the datagram because pkt does not fit its known or legal end. */
static int drop_too_big(struct ct_ipfrag *f, struct ct_packet *pkt, struct dgram *d)
{
	ct_pkt_event(pkt, CT_EV_FRAG_TOO_BIG);
	f->st.dropped++;
	if (d != NULL)
		dgram_destroy(f, d);
	return CT_ERR;
}

/* Returns an atomic fragment (offset 0, last) on its own (RFC 6946). */
static int add_atomic(struct ct_ipfrag *f, const struct ct_packet *pkt,
    uint8_t **out, size_t *out_len)
{
	uint8_t *buf = malloc(pkt->payload_len > 0 ? pkt->payload_len : 1);

	if (buf == NULL)
		return CT_NOMEM;
	if (pkt->payload_len > 0)
		memcpy(buf, pkt->payload, pkt->payload_len);
	*out = buf;
	*out_len = pkt->payload_len;
	f->st.fragments++;
	f->st.reassembled++;
	return CT_OK;
}

/* Finds pkt's datagram, or creates it (evicting the oldest at the count
 * limit; dropping a timed-out one first).  NULL on ENOMEM. */
static struct dgram *dgram_lookup(struct ct_ipfrag *f, struct ct_packet *pkt)
{
	uint64_t hash = key_hash(f, pkt);
	struct dgram *d = dgram_find(f, pkt, hash);

	if (d != NULL && ct_ts_sub(pkt->ts_us, d->first_us) > f->lim.timeout_us) {
		ct_pkt_event(pkt, CT_EV_FRAG_TIMEOUT);
		f->st.timeouts++;
		dgram_destroy(f, d);
		d = NULL;
	}
	if (d != NULL)
		return d;
	/* A new datagram holds its first hole descriptors: make room for them
	 * too, so that bytes never passes max_bytes. */
	while ((f->st.pending >= f->lim.max_datagrams ||
	    f->st.bytes + IPFRAG_INIT_HOLES * sizeof(struct hole) > f->lim.max_bytes) &&
	    (d = dgram_oldest(f)) != NULL) {
		ct_pkt_event(pkt, CT_EV_FRAG_LIMIT);
		f->st.dropped++;
		dgram_destroy(f, d);
	}
	return dgram_create(f, pkt, hash);
}

/* Checks fragment [s, e) against the legal and known ends of d. */
static bool frag_fits(const struct dgram *d, uint32_t e, bool more)
{
	if (d->have_end && e > d->total)
		return false;
	if (!more && d->have_end && e != d->total)
		return false;
	if (!more && e < d->maxend)
		return false;
	return true;
}

/*
 * Adds the fragment described by pkt (is_fragment set; t.src/t.dst, frag_id,
 * frag_proto (or t.proto), frag_off in bytes, frag_more, payload; ts_us for
 * timeouts).  The payload is copied; pkt stays the caller's.  Returns:
 *   CT_OK       the datagram is complete: *out is a malloc'ed buffer with the
 *               whole L4 datagram (*out_len bytes, may be 0), freed by the
 *               caller with free(); the datagram state is released;
 *   CT_PARTIAL  accepted, still incomplete (CT_EV_FRAG_LIMIT may have been
 *               recorded on pkt), or a duplicate ignored (CT_EV_FRAG_DUP_DIFFERS
 *               when its bytes differ from those kept);
 *   CT_ERR      fragment dropped (not a fragment, unknown family,
 *               CT_EV_FRAG_TOO_BIG, CT_EV_FRAG_OVERLAP when its bytes differ
 *               from those already there, or CT_EV_FRAG_LIMIT when the
 *               datagram alone passes the byte limit; the datagram is
 *               dropped too);
 *   CT_NOMEM    out of memory; the datagram is dropped.
 * *out and *out_len are written only on CT_OK.
 */
int ct_ipfrag_add(struct ct_ipfrag *f, struct ct_packet *pkt, uint8_t **out, size_t *out_len)
{
	struct dgram *d;
	uint32_t s, e;
	int rc;

	if (f == NULL || pkt == NULL || out == NULL || out_len == NULL ||
	    !pkt->is_fragment || (pkt->t.src.family != 4 && pkt->t.src.family != 6) ||
	    (pkt->payload == NULL && pkt->payload_len > 0))
		return CT_ERR;
	if ((uint64_t)pkt->frag_off + pkt->payload_len > IPFRAG_MAX_LEN) {
		d = dgram_find(f, pkt, key_hash(f, pkt));
		return drop_too_big(f, pkt, d);
	}
	if (pkt->frag_off == 0 && !pkt->frag_more)
		return add_atomic(f, pkt, out, out_len);
	s = pkt->frag_off;
	e = s + (uint32_t)pkt->payload_len;
	d = dgram_lookup(f, pkt);
	if (d == NULL)
		return CT_NOMEM;
	if (!frag_fits(d, e, pkt->frag_more))
		return drop_too_big(f, pkt, d);
	rc = e > s ? dgram_reserve(f, pkt, d, e, !pkt->frag_more) : CT_OK;
	if (rc != CT_OK) {
		if (rc == CT_ERR)
			ct_pkt_event(pkt, CT_EV_FRAG_LIMIT);
		f->st.dropped++;
		dgram_destroy(f, d);
		return rc;
	}
	f->st.fragments++;
	if (!pkt->frag_more)
		holes_set_end(d, e);
	if (e > s && frag_present(f, d, s, e)) {   /* a duplicate: the first bytes stay */
		if (memcmp(d->data + s, pkt->payload, e - s) != 0)
			ct_pkt_event(pkt, CT_EV_FRAG_DUP_DIFFERS);
		return CT_PARTIAL;
	}
	if (e > s && dgram_fill(f, d, s, e, pkt->payload)) {
		ct_pkt_event(pkt, CT_EV_FRAG_OVERLAP);
		f->st.dropped++;
		dgram_destroy(f, d);
		return CT_ERR;
	}
	if (e > d->maxend)
		d->maxend = e;
	if (d->nholes == 0 && d->have_end)
		return dgram_complete(f, d, out, out_len);
	return CT_PARTIAL;
}

/*
 * Drops every incomplete datagram whose first fragment is older than the
 * timeout at now_us (now_us - first > timeout_us) and counts them in
 * `timeouts`.  Walks the age list from the oldest end, so a call costs
 * O(expired + 1).  NULL f is a no-op.
 */
void ct_ipfrag_expire(struct ct_ipfrag *f, int64_t now_us)
{
	struct dgram *d;

	if (f == NULL)
		return;
	while ((d = dgram_oldest(f)) != NULL && ct_ts_sub(now_us, d->first_us) > f->lim.timeout_us) {
		f->st.timeouts++;
		dgram_destroy(f, d);
	}
}

/*
 * Copies the counters into *st (all zero when f is NULL).
 */
void ct_ipfrag_get_stats(const struct ct_ipfrag *f, struct ct_ipfrag_stats *st)
{
	if (f == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = f->st;
}
