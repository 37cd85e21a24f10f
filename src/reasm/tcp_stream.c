/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-direction TCP byte streams for the SIP-over-TCP framer.  Each direction
 * (src, dst, sport, dport) is tracked on its own in a fixed-size keyed table
 * (hashtab.h) and kept on an LRU list (list.h) (least recently used first), so idle expiry costs
 * O(expired) and the table can evict its stalest direction when full.  A
 * direction holds the next expected sequence number, the in-order bytes the
 * consumer has not consumed yet (with the consumer's scan state over them,
 * reset when they are dropped), and copies of segments that arrived ahead
 * of a hole: disjoint ranges in a treap ordered by sequence number, so
 * that segments arriving in any order (one byte each, shuffled) cost
 * O(log n) each, not O(n).  The direction table hashes the address pair
 * and ports with SipHash under a random per-table key, so crafted tuples
 * cannot pile into one chain.  Sequence numbers are compared modulo 2^32
 * ((int32_t)(a - b), RFC 9293 §3.4).  Workload: SIP
 * streams are long-lived and mostly in order with small messages; loss,
 * retransmission and reordering are rare but must never stall a stream:
 * when the held bytes (data plus per-segment overhead) pass max_ooo_bytes
 * the hole is declared lost and delivery resumes after it with gap=1, and an
 * unconsumed buffer that would pass max_buffer is dropped (also gap=1).
 * With resynchronisation on, a hole between two messages is skipped as
 * soon as the segment after it starts a message; a segment of that hole
 * that starts a message and comes later is delivered then, on its own
 * (late_fill), so two whole messages captured in swapped order both arrive.
 * A direction picked up mid-stream (a capture that starts on an open
 * connection, or one idle past idle_us and forgotten) whose first segment
 * holds no message start (the tail of a message, or a message's second
 * segment captured before its first) keeps a copy of that segment for
 * TCP_HEAD_US: a segment that starts a message and ends in it or right
 * at its start, coming then, before anything after it, is its head
 * (late_head): the two go to the consumer together, so a message split in
 * two segments that the tap saw in swapped order right where the
 * direction was picked up is not lost.
 * The whole reassembler holds at most TCP_HELD_FACTOR * (max_buffer +
 * max_ooo_bytes) bytes of buffers (64 MiB with the defaults): past that the
 * stalest directions are forgotten (CT_EV_TCP_LIMIT), so thousands of
 * streams each sending a partial SIP header (slowloris) cannot hold
 * max_streams full buffers (16 GiB with the defaults).  A
 * capture that starts mid-stream begins at the first data segment's
 * sequence number.  FIN or RST flushes what is held (skipping holes) and
 * forgets the direction (RST: both directions).  The consumer callback must
 * not call back into the same reassembler.
 *
 * Blind spoofing (anyone who knows a connection's addresses and ports can
 * send segments on its 4-tuple, but not its sequence numbers): a segment
 * of a known direction is taken only when it starts exactly at the next
 * expected byte, or within TCP_ACCEPT_WINDOW of it and acknowledges a byte
 * within TCP_ACCEPT_WINDOW of the reverse direction's next one (when the
 * reverse is tracked), the passive form of RFC 5961's checks (an ACK at
 * most TCP_ACK_AHEAD past the bytes seen sent, at most TCP_ACK_BEHIND
 * before the highest ACK taken); an RST must start exactly at the next
 * byte.  A blind guess of both numbers passes about once in 2^27 tries.
 * Data, FIN and RST that fail are
 * refused (counted in `refused`) and change nothing; a data segment of an
 * untracked direction whose reverse is tracked needs the same ACK check.
 * A SYN with a new initial sequence number on a direction whose reverse
 * is tracked is only a candidate: the direction moves to it when data
 * arrives at its first byte acknowledging the reverse (or the reverse's
 * own candidate).  Legit streams get out of step too (a capture that
 * drops more than the window): refused data segments that follow each
 * other byte for byte (a chain of TCP_REANCHOR_SEGS) move the direction
 * to them when they all carried an acceptable ACK, or after
 * TCP_REANCHOR_US with nothing accepted in between.  The sequence a
 * direction left by such a move is remembered: a segment exactly there
 * (the real connection going on after a forged move) moves it back.
 * Each move counts in `reanchored` and as a gap.
 * References: RFC 9293 §3.4 (sequence numbers), §3.10.7.4 (segment
 * trimming), RFC 5961 §3-5 (blind RST, SYN and data injection).
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"

#define TCP_PROTO 6
#define TCP_MIN_BUCKETS 16u
#define TCP_MAX_BUCKETS (1u << 20)
#define TCP_KEEP_BUF 4096u          /* an empty buffer larger than this is freed */
#define TCP_SYN_WINDOW (1 << 20)    /* no SYN seen: one this close before next is a retransmission */
#define TCP_HELD_FACTOR 128u        /* total buffer budget, in per-direction limits */
#define TCP_ACCEPT_WINDOW (1 << 20) /* seq/ack this far from the expected one may be taken */
#define TCP_ACK_AHEAD (64 << 10)    /* an ACK this far past the bytes seen sent may be taken */
#define TCP_ACK_BEHIND (256 << 10)  /* ... and this far before the highest ACK sent */
#define TCP_REANCHOR_SEGS 3u        /* refused segments in a byte-for-byte chain that move a direction */
#define TCP_REANCHOR_US 1000000     /* ... without acceptable ACKs: after this long refusing */
#define TCP_HEAD_US 1000000         /* a mid-stream first segment waits this long for its head */
#define TCP_HEAD_MAX (64 << 10)     /* ... which starts at most this far before it */

/* A held segment: a node of the direction's treap, keyed by seq. */
struct seg {
	struct seg *left;           /* segments before this one */
	struct seg *right;          /* segments after it */
	uint32_t seq;
	uint32_t len;
	uint32_t prio;              /* heap order: random, never from the wire */
	uint8_t data[];
};

struct dir {
	struct ct_hnode hn;         /* in the direction table */
	struct ct_list lru;         /* on the LRU list */
	struct ct_addr src;
	struct ct_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t tunnel;             /* ct_tuple.tunnel: part of the 4-tuple */
	uint32_t next_seq;          /* next expected sequence number */
	uint32_t isn;               /* syn_seen: sequence number of its SYN */
	bool syn_seen;              /* the direction started with a SYN seen */
	int64_t last_us;            /* capture time of the last segment */
	uint8_t *buf;               /* unconsumed bytes are buf[off..off+len) */
	size_t off;
	size_t len;
	size_t cap;
	struct seg *ooo;            /* treap of held segments (disjoint ranges) */
	size_t ooo_bytes;           /* held data plus per-segment overhead */
	bool gap;                   /* bytes were lost before the next delivery */
	bool hole;                  /* hole_seq..hole_end was skipped at a message start */
	uint32_t hole_seq, hole_end;
	struct ct_tcp_scan scan;    /* the consumer's progress over buf */
	size_t charged;             /* cap + ooo_bytes as last counted in held */
	uint32_t seq_hi;            /* the end of the highest data taken (held ones too), or next_seq */
	bool acked;                 /* ack_hi: the highest acknowledgment number taken from d */
	uint32_t ack_hi;
	bool cand;                  /* a SYN of a new connection seen, not yet proven */
	uint32_t cand_isn;          /* cand: that SYN's sequence number */
	bool alt;                   /* alt_next: where the direction was before its last move */
	uint32_t alt_next;
	uint32_t chain_n;           /* refused data segments in a byte-for-byte chain */
	uint32_t chain_next;        /* chain_n > 0: the byte the chain's next segment starts at */
	bool chain_acked;           /* every segment of the chain had an acceptable ACK */
	int64_t chain_us;           /* capture time of the first segment refused since one taken */
	uint8_t *head;              /* late_head: a copy of the first segment (mid-stream, no
	                               message start), NULL when none */
	uint32_t head_seq, head_len;
	int64_t head_us;            /* its capture time */
};

struct ct_tcp_reasm {
	struct ct_tcp_limits lim;
	ct_tcp_data_fn fn;
	void *user;
	ct_tcp_start_fn starts_message; /* resynchronisation (ct_tcp_reasm_set_resync), NULL: off */
	struct ct_htab tab;         /* directions by tuple (random SipHash key) */
	uint64_t prng;              /* treap priorities (xorshift64) */
	struct ct_list lru;         /* directions, least recently used first */
	size_t held;                /* sum of every direction's charged bytes */
	size_t max_held;            /* budget for held */
	struct ct_tcp_stats st;
};

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

/*
 * Fills *lim with the defaults: 65536 directions, 256 KiB buffer, 256 KiB
 * out-of-order, 300 s idle.
 */
void ct_tcp_limits_default(struct ct_tcp_limits *lim)
{
	lim->max_streams = 65536;
	lim->max_buffer = (size_t)256 << 10;
	lim->max_ooo_bytes = (size_t)256 << 10;
	lim->idle_us = (int64_t)300 * 1000000;
}

/*
 * Creates a reassembler with limits *lim (copied; NULL means the defaults)
 * that hands in-order bytes to fn(user, ...).  fn must not be NULL.  Returns
 * NULL when out of memory or fn is NULL.  Free it with ct_tcp_reasm_free().
 */
struct ct_tcp_reasm *ct_tcp_reasm_new(const struct ct_tcp_limits *lim,
    ct_tcp_data_fn fn, void *user)
{
	struct ct_tcp_reasm *r = NULL;
	size_t n = TCP_MIN_BUCKETS;

	if (fn == NULL)
		goto fail;
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		goto fail;
	if (lim != NULL)
		r->lim = *lim;
	else
		ct_tcp_limits_default(&r->lim);
	if (r->lim.max_streams == 0)
		r->lim.max_streams = 1;
	r->max_held = r->lim.max_buffer + r->lim.max_ooo_bytes;
	if (r->max_held < r->lim.max_buffer || r->max_held > SIZE_MAX / TCP_HELD_FACTOR)
		r->max_held = SIZE_MAX;
	else
		r->max_held *= TCP_HELD_FACTOR;
	r->fn = fn;
	r->user = user;
	while (n < r->lim.max_streams && n < TCP_MAX_BUCKETS)
		n <<= 1;
	if (ct_htab_init(&r->tab, n, n) != CT_OK)
		goto fail;
	ct_list_init(&r->lru);
	r->prng = (r->tab.key.k0 ^ r->tab.key.k1 ^ (r->tab.key.k0 << 7)) | 1;
	return r;
fail:
	free(r);
	return NULL;
}

/* Frees every held segment (rotations turn the tree into a list: O(n)). */
static void held_clear(struct dir *d)
{
	struct seg *t = d->ooo, *l;

	while (t != NULL) {
		if (t->left != NULL) {
			l = t->left;
			t->left = l->right;
			l->right = t;
			t = l;
		} else {
			l = t->right;
			free(t);
			t = l;
		}
	}
	d->ooo = NULL;
	d->ooo_bytes = 0;
}

/* Forgets the copy of a mid-stream first segment (late_head). */
static void head_drop(struct dir *d)
{
	free(d->head);
	d->head = NULL;
	d->head_len = 0;
}

static void dir_release(struct dir *d)
{
	held_clear(d);
	head_drop(d);
	free(d->buf);
	free(d);
}

/*
 * Frees r and every tracked direction without delivering held bytes.  NULL
 * is a no-op.
 */
void ct_tcp_reasm_free(struct ct_tcp_reasm *r)
{
	struct ct_list *l;

	if (r == NULL)
		return;
	while ((l = ct_list_pop_first(&r->lru)) != NULL)
		dir_release(ct_container_of(l, struct dir, lru));
	ct_htab_fini(&r->tab);
	free(r);
}


static uint64_t dir_hash(const struct ct_tcp_reasm *r, const struct ct_addr *src,
    const struct ct_addr *dst, uint16_t sport, uint16_t dport)
{
	return ct_addr_pair_hash(&r->tab.key, src, dst, (uint32_t)sport << 16 | dport);
}

static struct dir *dir_find(const struct ct_tcp_reasm *r, const struct ct_addr *src,
    const struct ct_addr *dst, uint16_t sport, uint16_t dport, uint8_t tunnel, uint64_t hash)
{
	struct ct_hnode *n;

	for (n = ct_htab_first(&r->tab, hash); n != NULL; n = ct_htab_next(n)) {
		struct dir *d = ct_container_of(n, struct dir, hn);

		if (d->sport == sport && d->dport == dport && d->tunnel == tunnel &&
		    ct_addr_eq(&d->src, src) && ct_addr_eq(&d->dst, dst))
			return d;
	}
	return NULL;
}

/* The least recently used direction, or NULL. */
static struct dir *dir_stalest(const struct ct_tcp_reasm *r)
{
	return ct_list_entry(ct_list_first(&r->lru), struct dir, lru);
}

/* Unlinks d from the hash and the LRU list and frees it. */
static void dir_destroy(struct ct_tcp_reasm *r, struct dir *d)
{
	ct_htab_remove(&r->tab, &d->hn);
	ct_list_remove(&d->lru);
	r->st.streams--;
	r->held -= d->charged;
	dir_release(d);
}

/* Tracks pkt's direction, evicting the least recently used one when full. */
static struct dir *dir_create(struct ct_tcp_reasm *r, struct ct_packet *pkt, uint64_t hash)
{
	struct dir *d;

	while (r->st.streams >= r->lim.max_streams && (d = dir_stalest(r)) != NULL) {
		ct_pkt_event(pkt, CT_EV_TCP_LIMIT);
		r->st.overflows++;
		dir_destroy(r, d);
	}
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return NULL;
	d->src = pkt->t.src;
	d->dst = pkt->t.dst;
	d->sport = pkt->t.sport;
	d->dport = pkt->t.dport;
	d->tunnel = pkt->t.tunnel;
	ct_htab_insert(&r->tab, &d->hn, hash);
	ct_list_append(&r->lru, &d->lru);
	r->st.streams++;
	return d;
}

/*
 * Discards the unconsumed bytes; the next delivery is flagged as a gap.
 * The consumer's stream mode stays (the connection is the same).
 */
static void buf_drop(struct dir *d)
{
	int mode = d->scan.mode;

	d->off = 0;
	d->len = 0;
	d->gap = true;
	memset(&d->scan, 0, sizeof(d->scan));
	d->scan.mode = mode;
}

/*
 * Appends in-order bytes to the unconsumed buffer, dropping the buffer first
 * when it would pass max_buffer (the new bytes are always kept).
 */
static void buf_append(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt,
    const uint8_t *data, size_t len)
{
	size_t ncap;
	uint8_t *p;

	if (d->len > 0 && d->len + len > r->lim.max_buffer) {
		ct_pkt_event(pkt, CT_EV_TCP_LIMIT);
		r->st.overflows++;
		buf_drop(d);
	}
	if (d->off > 0 && d->off + d->len + len > d->cap) {
		memmove(d->buf, d->buf + d->off, d->len);
		d->off = 0;
	}
	if (d->len + len > d->cap) {
		ncap = d->cap * 2 > d->len + len ? d->cap * 2 : d->len + len;
		if (ncap < 256)
			ncap = 256;
		p = realloc(d->buf, ncap);
		if (p == NULL) {
			buf_drop(d);
			return;
		}
		d->buf = p;
		d->cap = ncap;
	}
	memcpy(d->buf + d->off + d->len, data, len);
	d->len += len;
}

/* Hands the unconsumed bytes to the consumer until it consumes nothing. */
static void deliver(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt)
{
	size_t n;

	while (d->len > 0) {
		n = r->fn(r->user, pkt, d->buf + d->off, d->len, d->gap, &d->scan);
		d->gap = false;
		if (n > d->len)
			n = d->len;
		if (n == 0)
			break;
		d->off += n;
		d->len -= n;
	}
	if (d->len == 0) {
		d->off = 0;
		if (d->cap > TCP_KEEP_BUF) {
			free(d->buf);
			d->buf = NULL;
			d->cap = 0;
		}
	}
}

/*
 * The held segments form a treap (a binary search tree by seq, a heap by a
 * random priority), so every operation costs O(log n) expected whatever
 * order the segments come in; the segments are kept disjoint (an arriving
 * segment is trimmed against those it overlaps, and replaces those it
 * covers whole), so "already held" is one predecessor lookup.  Sequence
 * numbers compare modulo 2^32: every held segment lies within 2^31 after
 * next_seq, so the order is consistent.  Nodes visited are counted in
 * st.ooo_steps (the unit tests check it stays O(n log n)).
 */

/* The leftmost (lowest seq) held segment, or NULL. */
static struct seg *held_first(struct ct_tcp_reasm *r, struct dir *d)
{
	struct seg *t = d->ooo;

	while (t != NULL && t->left != NULL) {
		r->st.ooo_steps++;
		t = t->left;
	}
	return t;
}

/* The held segment with the greatest seq <= key, or NULL. */
static struct seg *held_le(struct ct_tcp_reasm *r, struct dir *d, uint32_t key)
{
	struct seg *t = d->ooo, *best = NULL;

	while (t != NULL) {
		r->st.ooo_steps++;
		if (seq_lt(key, t->seq)) {
			t = t->left;
		} else {
			best = t;
			t = t->right;
		}
	}
	return best;
}

/* The held segment with the least seq >= key, or NULL. */
static struct seg *held_ge(struct ct_tcp_reasm *r, struct dir *d, uint32_t key)
{
	struct seg *t = d->ooo, *best = NULL;

	while (t != NULL) {
		r->st.ooo_steps++;
		if (seq_lt(t->seq, key)) {
			t = t->right;
		} else {
			best = t;
			t = t->left;
		}
	}
	return best;
}

/* Joins treaps a and b, every key of a before every key of b. */
static struct seg *treap_merge(struct ct_tcp_reasm *r, struct seg *a, struct seg *b)
{
	struct seg *root = NULL, **pp = &root;

	while (a != NULL && b != NULL) {
		r->st.ooo_steps++;
		if (a->prio > b->prio) {
			*pp = a;
			pp = &a->right;
			a = a->right;
		} else {
			*pp = b;
			pp = &b->left;
			b = b->left;
		}
	}
	*pp = a != NULL ? a : b;
	return root;
}

/* Splits treap t into the keys before key (*l) and the others (*g). */
static void treap_split(struct ct_tcp_reasm *r, struct seg *t, uint32_t key,
    struct seg **l, struct seg **g)
{
	while (t != NULL) {
		r->st.ooo_steps++;
		if (seq_lt(t->seq, key)) {
			*l = t;
			l = &t->right;
			t = t->right;
		} else {
			*g = t;
			g = &t->left;
			t = t->left;
		}
	}
	*l = NULL;
	*g = NULL;
}

/* Unlinks held segment s (present in d's treap); the caller frees it. */
static void held_unlink(struct ct_tcp_reasm *r, struct dir *d, struct seg *s)
{
	struct seg **pp = &d->ooo;

	while (*pp != s) {
		r->st.ooo_steps++;
		pp = seq_lt(s->seq, (*pp)->seq) ? &(*pp)->left : &(*pp)->right;
	}
	*pp = treap_merge(r, s->left, s->right);
	d->ooo_bytes -= sizeof(*s) + s->len;
}

/* Links the new segment n (no held segment has its seq). */
static void held_link(struct ct_tcp_reasm *r, struct dir *d, struct seg *n)
{
	struct seg **pp = &d->ooo;

	r->prng ^= r->prng << 13;
	r->prng ^= r->prng >> 7;
	r->prng ^= r->prng << 17;
	n->prio = (uint32_t)(r->prng >> 32);
	while (*pp != NULL && (*pp)->prio >= n->prio) {
		r->st.ooo_steps++;
		pp = seq_lt(n->seq, (*pp)->seq) ? &(*pp)->left : &(*pp)->right;
	}
	treap_split(r, *pp, n->seq, &n->left, &n->right);
	*pp = n;
	d->ooo_bytes += sizeof(*n) + n->len;
}

/* Moves held segments that now start at or before next into the buffer. */
static void held_pull(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt)
{
	struct seg *s;
	int32_t delta;

	while ((s = held_first(r, d)) != NULL) {
		delta = (int32_t)(s->seq - d->next_seq);
		if (delta > 0)
			break;
		held_unlink(r, d, s);
		if ((int64_t)delta + s->len > 0) {
			buf_append(r, d, pkt, s->data + (uint32_t)-delta, s->len - (uint32_t)-delta);
			d->next_seq += s->len - (uint32_t)-delta;
		}
		free(s);
	}
}

/* Declares the hole before the first held segment lost and delivers after it. */
static void gap_skip(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt)
{
	d->hole = d->len == 0;   /* between two messages: late_fill may fill it */
	buf_drop(d);
	d->hole_seq = d->next_seq;
	d->next_seq = held_first(r, d)->seq;
	d->hole_end = d->next_seq;
	r->st.gaps++;
	ct_pkt_event(pkt, CT_EV_TCP_GAP);
	held_pull(r, d, pkt);
	deliver(r, d, pkt);
}

/*
 * Holds a copy of the bytes of a segment that starts after next and that no
 * held segment has: it is trimmed at the front by the segment before it,
 * replaces the held segments it covers whole, and is trimmed at the end by
 * the next one.  Returns false when nothing was held (every byte already
 * held, or out of memory).
 */
static bool held_insert(struct ct_tcp_reasm *r, struct dir *d, uint32_t seq,
    const uint8_t *data, uint32_t len)
{
	uint32_t end = seq + len, pend;
	struct seg *p, *n;

	p = held_le(r, d, seq);
	if (p != NULL && seq_lt(seq, p->seq + p->len)) {
		pend = p->seq + p->len;
		if (!seq_lt(pend, end))
			return false;
		data += pend - seq;
		seq = pend;
	}
	while ((p = held_ge(r, d, seq)) != NULL && seq_lt(p->seq, end)) {
		if (p->seq == seq && !seq_lt(p->seq + p->len, end))
			return false;
		if (seq_lt(end, p->seq + p->len)) {
			end = p->seq;
			break;
		}
		held_unlink(r, d, p);
		free(p);
	}
	if (seq == end)
		return false;
	len = end - seq;
	n = malloc(sizeof(*n) + len);
	if (n == NULL)
		return false;
	n->seq = seq;
	n->len = len;
	memcpy(n->data, data, len);
	held_link(r, d, n);
	return true;
}

/*
 * A segment wholly inside the hole skipped last (between two messages)
 * that starts a message (starts_message): the bytes of a hole skipped
 * because a later message came first (two whole messages captured in
 * swapped order, on a connection that carries many calls).  Its whole
 * messages go to the consumer on their own (a scan of their own: the
 * stream was delivered past them already; a message cut at the segment's
 * end is lost, as the hole was), and the hole shrinks by what it filled
 * at either end.  Returns whether it was so delivered.
 */
static bool late_fill(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt, uint32_t seq)
{
	const uint8_t *data = pkt->payload;
	uint32_t len = (uint32_t)pkt->payload_len, end = seq + len;
	struct ct_tcp_scan scan;
	size_t off = 0, n;

	if (!d->hole || r->starts_message == NULL || seq_lt(seq, d->hole_seq) ||
	    seq_lt(d->hole_end, end) || !r->starts_message(data, len))
		return false;
	memset(&scan, 0, sizeof(scan));
	scan.mode = d->scan.mode;
	while (off < len) {
		n = r->fn(r->user, pkt, data + off, len - off, off == 0, &scan);
		if (n == 0 || n > len - off)
			break;
		off += n;
	}
	if (seq == d->hole_seq)
		d->hole_seq = end;
	else if (end == d->hole_end)
		d->hole_end = seq;
	if (d->hole_seq == d->hole_end)
		d->hole = false;
	r->st.late_filled++;
	return true;
}

/*
 * A segment that starts a message inside the hole skipped last and runs
 * past the hole's end, while the consumer has taken nothing since the skip
 * (every byte from the hole's end on is still in the buffer): the skip
 * went by a false start, a piece of a message sent again apart whose first
 * line only looked like a message's (the bytes of "INVITE sip:..." from
 * its fourth on, "ITE sip:...", an extension method to the framer), or a
 * real one that this segment holds the message before.  The buffer is
 * rebuilt from this segment, with the bytes after it that were held, and
 * goes to the consumer as the stream's start (after the part of the hole
 * before seq, still lost).  Without this the message was taken as an
 * "ITE" request and the call's INVITE lost.  Returns whether it was so
 * taken.
 */
static bool late_restart(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt,
    uint32_t seq)
{
	uint32_t len = (uint32_t)pkt->payload_len, end = seq + len, tail;
	uint8_t *copy;

	if (!d->hole || r->starts_message == NULL || seq_lt(seq, d->hole_seq) ||
	    !seq_lt(seq, d->hole_end) || !seq_lt(d->hole_end, end) ||
	    (uint32_t)(d->next_seq - d->hole_end) != d->len ||
	    !r->starts_message(pkt->payload, len))
		return false;
	tail = seq_lt(end, d->next_seq) ? d->next_seq - end : 0;
	if ((copy = malloc((size_t)len + tail)) == NULL)
		return false;
	memcpy(copy, pkt->payload, len);
	if (tail > 0)
		memcpy(copy + len, d->buf + d->off + (end - d->hole_end), tail);
	buf_drop(d);
	buf_append(r, d, pkt, copy, (size_t)len + tail);
	free(copy);
	if (tail == 0)
		d->next_seq = end;
	if (seq == d->hole_seq)
		d->hole = false;
	else
		d->hole_end = seq;
	r->st.late_filled++;
	held_pull(r, d, pkt);
	deliver(r, d, pkt);
	return true;
}

/*
 * Whether data (len bytes) holds the start of a message (starts_message)
 * at its first byte or after any line feed: a segment that does not was
 * cut from inside a message.
 */
static bool has_message(const struct ct_tcp_reasm *r, const uint8_t *data, size_t len)
{
	const uint8_t *p = data, *nl;

	while (len > 0) {
		if (r->starts_message(p, len))
			return true;
		if ((nl = memchr(p, '\n', len)) == NULL)
			break;
		len -= (size_t)(nl + 1 - p);
		p = nl + 1;
	}
	return false;
}

/*
 * A segment at seq, before d's first segment (d->head, a mid-stream start
 * without a message start) and ending in it or right at its start, that
 * starts a message, within TCP_HEAD_US of it (either way: capture times
 * of swapped segments may be too) and before d took anything
 * after it: the head of the message that segment continues.  The bytes
 * handed to the consumer since the first segment (they were the tail of
 * an unknown message to it) are dropped, and the head and the copy go to
 * it as the direction's start.  Returns whether it was so delivered.
 */
static bool late_head(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt, uint32_t seq)
{
	uint32_t len = (uint32_t)pkt->payload_len;

	if (d->head == NULL || !seq_lt(seq, d->head_seq) ||
	    seq_lt(seq + len, d->head_seq) || d->head_seq - seq > TCP_HEAD_MAX ||
	    d->next_seq != d->head_seq + d->head_len || d->ooo != NULL ||
	    pkt->ts_us - d->head_us > TCP_HEAD_US || d->head_us - pkt->ts_us > TCP_HEAD_US ||
	    !r->starts_message(pkt->payload, len))
		return false;
	buf_drop(d);
	buf_append(r, d, pkt, pkt->payload, d->head_seq - seq);
	buf_append(r, d, pkt, d->head, d->head_len);
	head_drop(d);
	r->st.late_filled++;
	deliver(r, d, pkt);
	return true;
}

/* Processes the payload of one segment whose first data byte is `seq`. */
static void dir_data(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt,
    uint32_t seq)
{
	const uint8_t *data = pkt->payload;
	uint32_t len = (uint32_t)pkt->payload_len;
	int32_t delta = (int32_t)(seq - d->next_seq);

	if ((int64_t)delta + len <= 0) {
		if (!late_head(r, d, pkt, seq) && !late_fill(r, d, pkt, seq) &&
		    !late_restart(r, d, pkt, seq))
			r->st.retransmitted++;
		return;
	}
	if (delta < 0 && late_restart(r, d, pkt, seq))
		return;
	if (d->head != NULL && !seq_lt(seq, d->head_seq + d->head_len))
		head_drop(d);   /* bytes after it: its head, if late, is lost */
	if (delta > 0) {
		if (!held_insert(r, d, seq, data, len)) {
			r->st.retransmitted++;
			return;
		}
		r->st.out_of_order++;
		while (d->ooo != NULL && d->ooo_bytes > r->lim.max_ooo_bytes)
			gap_skip(r, d, pkt);
		/* Between two messages and this one starts a new one: skip the hole. */
		if (r->starts_message != NULL && d->ooo != NULL && d->len == 0 &&
		    held_first(r, d)->seq == seq && r->starts_message(data, len))
			gap_skip(r, d, pkt);
		return;
	}
	data += (uint32_t)-delta;
	len -= (uint32_t)-delta;
	buf_append(r, d, pkt, data, len);
	d->next_seq += len;
	held_pull(r, d, pkt);
	deliver(r, d, pkt);
}

/*
 * Moves d to a new sequence space starting at next (a new connection on the
 * same 4-tuple, or a stream found again): what it holds is dropped (the
 * next delivery is flagged as a gap) and its old next byte is remembered
 * in alt_next.  syn: it starts with the SYN of sequence number isn.
 */
static void dir_restart(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt,
    uint32_t next, bool syn, uint32_t isn)
{
	bool had = d->len > 0 || d->ooo != NULL;

	held_clear(d);
	head_drop(d);
	buf_drop(d);
	memset(&d->scan, 0, sizeof(d->scan));
	d->gap = had;
	d->hole = false;
	d->alt = true;
	d->alt_next = d->next_seq;
	d->next_seq = next;
	d->seq_hi = next;
	d->syn_seen = syn;
	d->isn = isn;
	d->cand = false;
	d->acked = false;
	d->chain_n = 0;
	if (had) {
		r->st.gaps++;
		ct_pkt_event(pkt, CT_EV_TCP_GAP);
	}
}

/*
 * Whether a SYN of sequence number seq on d is a retransmission of the one
 * it started with (the same number) or, when it did not start with one
 * seen, of one up to TCP_SYN_WINDOW before its next byte.
 */
static bool syn_repeated(const struct dir *d, uint32_t seq)
{
	int32_t delta = (int32_t)(seq + 1 - d->next_seq);

	return d->syn_seen ? seq == d->isn : delta <= 0 && delta > -TCP_SYN_WINDOW;
}

/*
 * A SYN on a known direction that is not a retransmission: a new
 * connection on the same 4-tuple (a client that reuses its port while the
 * capture missed the old connection's FIN or RST, whatever its initial
 * sequence number), or a blind attacker's.  With the reverse direction
 * untracked nothing can tell them apart and d starts afresh; otherwise the
 * SYN is d's candidate (dir_proven moves d to it).  A SYN-ACK that
 * acknowledges the reverse direction's candidate proves both.
 */
static void dir_syn(struct ct_tcp_reasm *r, struct dir *d, struct dir *rev,
    struct ct_packet *pkt)
{
	uint32_t isn = pkt->tcp_seq;

	if (syn_repeated(d, isn) || (d->cand && d->cand_isn == isn))
		return;
	if (rev == NULL) {
		dir_restart(r, d, pkt, isn + 1, true, isn);
		return;
	}
	if ((pkt->tcp_flags & CT_TCP_ACK) && rev->cand && pkt->tcp_ack == rev->cand_isn + 1) {
		dir_restart(r, rev, pkt, rev->cand_isn + 1, true, rev->cand_isn);
		dir_restart(r, d, pkt, isn + 1, true, isn);
		r->st.reanchored += 2;
		return;
	}
	d->cand = true;
	d->cand_isn = isn;
}

/* Whether ack acknowledges about the first byte of rev's candidate connection. */
static bool ack_of_cand(const struct dir *rev, uint32_t ack)
{
	int32_t off = (int32_t)(ack - (rev->cand_isn + 1));

	return rev->cand && off >= -TCP_ACK_BEHIND && off <= TCP_ACK_AHEAD;
}

/* Whether ack lies at most TCP_ACK_AHEAD past the highest byte seen from rev. */
static bool ack_not_ahead(const struct dir *rev, uint32_t ack)
{
	return (int32_t)(ack - (seq_lt(rev->next_seq, rev->seq_hi) ? rev->seq_hi : rev->next_seq)) <=
	    TCP_ACK_AHEAD;
}

/*
 * Whether pkt's acknowledgment number is one d's sender could send: always
 * when rev (the reverse direction) is not tracked; else the ACK flag must
 * be set and the number lie at most TCP_ACK_AHEAD past the highest byte
 * seen from rev (held ahead of a hole too; or its candidate connection's
 * first) and, behind it, no more than
 * TCP_ACK_BEHIND before the highest acknowledgment d has sent (d NULL or
 * none yet: TCP_ACCEPT_WINDOW before rev's next byte).  A legit ACK covers
 * bytes rev sent, give or take what the capture missed or reordered.
 */
static bool ack_ok(const struct dir *d, const struct dir *rev, const struct ct_packet *pkt)
{
	uint32_t ack = pkt->tcp_ack;
	int32_t lo;

	if (rev == NULL)
		return true;
	if (!(pkt->tcp_flags & CT_TCP_ACK))
		return false;
	if (ack_of_cand(rev, ack))
		return true;
	if (!ack_not_ahead(rev, ack))
		return false;
	if (d != NULL && d->acked)
		lo = (int32_t)(ack - d->ack_hi) + TCP_ACK_BEHIND;
	else
		lo = (int32_t)(ack - rev->next_seq) + TCP_ACCEPT_WINDOW;
	return lo >= 0;
}

/*
 * Whether data segment pkt of d acknowledges no byte its reverse rev never
 * sent (RFC 5961 §5.2: SEG.ACK above SND.NXT is dropped; RFC 9293
 * §3.10.7.4: every segment of a synchronized connection carries ACK): the
 * ACK flag set, the number at most TCP_ACK_AHEAD past the highest ACK d
 * sent before (a capture that lost bytes of both directions shows ACKs
 * ahead of what it saw of rev, and the direction goes on with them), or
 * past the highest byte seen from rev (or its candidate connection's
 * first).  Always when rev is not tracked.  No lower bound: an old ACK is
 * a delayed segment's, not a forgery's sign.
 */
static bool ack_sent(const struct dir *d, const struct dir *rev, const struct ct_packet *pkt)
{
	uint32_t ack = pkt->tcp_ack;

	if (rev == NULL)
		return true;
	if (!(pkt->tcp_flags & CT_TCP_ACK))
		return false;
	if (d->acked && (int32_t)(ack - d->ack_hi) <= TCP_ACK_AHEAD)
		return true;
	return ack_of_cand(rev, ack) || ack_not_ahead(rev, ack);
}

/*
 * Whether a segment of d starting at seq belongs to d's connection: it
 * starts exactly at the next expected byte (data: acknowledging no byte
 * never sent, ack_sent: one sniffed off the wire and placed at the next
 * byte without the ACK flag, or acknowledging bytes never sent, was taken,
 * and the real segment then dropped as a retransmission), or within
 * TCP_ACCEPT_WINDOW of it with an acceptable ACK (ack_ok).
 */
static bool seg_ok(const struct dir *d, const struct dir *rev, const struct ct_packet *pkt,
    uint32_t seq)
{
	int32_t delta = (int32_t)(seq - d->next_seq);

	if (delta == 0)
		return pkt->payload_len == 0 || ack_sent(d, rev, pkt);
	return delta >= -TCP_ACCEPT_WINDOW && delta <= TCP_ACCEPT_WINDOW && ack_ok(d, rev, pkt);
}

/*
 * A segment of d at seq that seg_ok refused: moves d to it when it proves
 * d's candidate connection (it starts at the candidate's first byte with an
 * acceptable ACK), resumes where d was before its last move (exactly
 * there), or completes a chain of refused data segments (see the file
 * comment).  Returns whether d now takes the segment; otherwise it is
 * counted as refused.
 */
static bool dir_proven(struct ct_tcp_reasm *r, struct dir *d, struct dir *rev,
    struct ct_packet *pkt, uint32_t seq)
{
	uint32_t len = (uint32_t)pkt->payload_len;
	bool acked = rev != NULL && ack_ok(d, rev, pkt);

	if (len > 0 && d->cand && seq == d->cand_isn + 1 && (rev == NULL || acked)) {
		dir_restart(r, d, pkt, seq, true, d->cand_isn);
		r->st.reanchored++;
		return true;
	}
	if (d->alt && seq == d->alt_next) {
		dir_restart(r, d, pkt, seq, d->syn_seen, d->isn);
		r->st.reanchored++;
		return true;
	}
	if (len == 0) {
		r->st.refused++;
		return false;
	}
	if (d->chain_n > 0 && seq == d->chain_next) {
		d->chain_n++;
		d->chain_acked = d->chain_acked && acked;
	} else {
		if (d->chain_n == 0)
			d->chain_us = pkt->ts_us;
		d->chain_n = 1;
		d->chain_acked = acked;
	}
	d->chain_next = seq + len;
	if (d->chain_n < TCP_REANCHOR_SEGS ||
	    (!d->chain_acked && pkt->ts_us - d->chain_us < TCP_REANCHOR_US)) {
		r->st.refused++;
		return false;
	}
	dir_restart(r, d, pkt, seq, false, seq);
	r->st.reanchored++;
	return true;
}

/* The reverse direction of pkt, or NULL when it is not tracked. */
static struct dir *dir_reverse(const struct ct_tcp_reasm *r, const struct ct_packet *pkt)
{
	uint64_t h = dir_hash(r, &pkt->t.dst, &pkt->t.src, pkt->t.dport, pkt->t.sport);

	return dir_find(r, &pkt->t.dst, &pkt->t.src, pkt->t.dport, pkt->t.sport, pkt->t.tunnel, h);
}

/*
 * Counts d's buffers in the total held, then forgets the stalest other
 * directions while the total passes the budget.
 */
static void held_account(struct ct_tcp_reasm *r, struct dir *d, struct ct_packet *pkt)
{
	size_t now = d->cap + d->ooo_bytes + d->head_len;
	struct dir *x;

	r->held = r->held - d->charged + now;
	d->charged = now;
	while (r->held > r->max_held && (x = dir_stalest(r)) != NULL && x != d) {
		ct_pkt_event(pkt, CT_EV_TCP_LIMIT);
		r->st.overflows++;
		dir_destroy(r, x);
	}
}

/*
 * Feeds one TCP segment (t.proto 6; t tuple, tcp_seq, tcp_ack, tcp_flags,
 * payload, ts_us).  The payload is copied when it has to be kept; pkt
 * stays the caller's.  In-order bytes go to the consumer at once (pkt is
 * passed through); events CT_EV_TCP_GAP and CT_EV_TCP_LIMIT may be
 * recorded on pkt.  A direction is created by a SYN or by a data segment
 * (mid-stream start; when the reverse is tracked, only with an acceptable
 * ACK); pure ACKs of unknown directions are ignored.  Data, FIN and RST of
 * a known direction are taken only as the file comment says (blind
 * spoofing).  FIN or RST delivers what is held and forgets the direction
 * (RST also the reverse one; an RST of an untracked direction must
 * acknowledge exactly the reverse's next byte).  NULL r or pkt, or a
 * non-TCP packet, is ignored.
 */
void ct_tcp_reasm_feed(struct ct_tcp_reasm *r, struct ct_packet *pkt)
{
	const struct ct_tuple *t;
	struct dir *d, *rev = NULL;
	uint64_t hash;
	uint32_t seq;
	uint8_t flags;
	bool checked, syn_cand = false;

	if (r == NULL || pkt == NULL || pkt->t.proto != TCP_PROTO ||
	    pkt->payload_len > INT32_MAX || (pkt->payload == NULL && pkt->payload_len > 0))
		return;
	t = &pkt->t;
	flags = pkt->tcp_flags;
	seq = pkt->tcp_seq + ((flags & CT_TCP_SYN) ? 1 : 0);
	if (pkt->payload_len > 0)
		r->st.segments++;
	if ((flags & CT_TCP_SYN) && (flags & (CT_TCP_FIN | CT_TCP_RST))) {
		r->st.refused++;         /* no stack sends these together */
		return;
	}
	checked = (flags & (CT_TCP_SYN | CT_TCP_FIN | CT_TCP_RST)) || pkt->payload_len > 0;
	if (checked) {
		rev = dir_reverse(r, pkt);
		if (rev != NULL && ct_addr_eq(&t->src, &t->dst) && t->sport == t->dport)
			rev = NULL;      /* a connection to itself: its own reverse */
	}
	hash = dir_hash(r, &t->src, &t->dst, t->sport, t->dport);
	d = dir_find(r, &t->src, &t->dst, t->sport, t->dport, t->tunnel, hash);
	if (d == NULL) {
		if (!(flags & CT_TCP_SYN) && pkt->payload_len == 0) {
			/* RST of an untracked direction: it must ack the reverse exactly. */
			if ((flags & CT_TCP_RST) && rev != NULL) {
				if ((flags & CT_TCP_ACK) && pkt->tcp_ack == rev->next_seq)
					dir_destroy(r, rev);
				else
					r->st.refused++;
			}
			return;
		}
		if (!(flags & CT_TCP_SYN) && !ack_ok(d, rev, pkt)) {
			r->st.refused++;
			return;
		}
		d = dir_create(r, pkt, hash);
		if (d == NULL)
			return;
		d->next_seq = seq;
		d->seq_hi = seq;
		d->isn = pkt->tcp_seq;
		d->syn_seen = (flags & CT_TCP_SYN) != 0;
		/* mid-stream, inside a message: its head may come next (late_head) */
		if (!d->syn_seen && r->starts_message != NULL && pkt->payload_len > 0 &&
		    pkt->payload_len <= TCP_HEAD_MAX &&
		    !has_message(r, pkt->payload, pkt->payload_len) &&
		    (d->head = malloc(pkt->payload_len)) != NULL) {
			memcpy(d->head, pkt->payload, pkt->payload_len);
			d->head_seq = seq;
			d->head_len = (uint32_t)pkt->payload_len;
			d->head_us = pkt->ts_us;
		}
	} else if (flags & CT_TCP_SYN) {
		dir_syn(r, d, rev, pkt);
		syn_cand = d->cand && d->cand_isn == pkt->tcp_seq;
		ct_list_move_tail(&r->lru, &d->lru);
	} else {
		if (checked && !seg_ok(d, rev, pkt, seq) && !dir_proven(r, d, rev, pkt, seq))
			return;
		if ((flags & CT_TCP_RST) && seq != d->next_seq) {
			r->st.refused++;     /* RFC 5961 §3.2: only an exact RST resets */
			return;
		}
		d->chain_n = 0;
		ct_list_move_tail(&r->lru, &d->lru);
	}
	d->last_us = pkt->ts_us;
	/* Taken, so its ACK is believed (not a pure ACK's: nothing checks
	 * those); one far behind: the reverse moved. */
	if (checked && (flags & CT_TCP_ACK) && (!d->acked || seq_lt(d->ack_hi, pkt->tcp_ack) ||
	    (int32_t)(pkt->tcp_ack - d->ack_hi) < -TCP_ACCEPT_WINDOW)) {
		d->acked = true;
		d->ack_hi = pkt->tcp_ack;
	}
	if (pkt->payload_len > 0 && !syn_cand) {
		dir_data(r, d, pkt, seq);
		if (seq_lt(d->seq_hi, seq + (uint32_t)pkt->payload_len))
			d->seq_hi = seq + (uint32_t)pkt->payload_len;
	}
	held_account(r, d, pkt);
	if (flags & (CT_TCP_FIN | CT_TCP_RST)) {
		while (d->ooo != NULL)
			gap_skip(r, d, pkt);
		dir_destroy(r, d);
		/* held_account may have forgotten the reverse: look it up again. */
		if ((flags & CT_TCP_RST) && (rev = dir_reverse(r, pkt)) != NULL)
			dir_destroy(r, rev);
	}
}

/*
 * Forgets every direction idle for longer than idle_us at now_us
 * (now_us - last > idle_us), without delivering held bytes, and counts them
 * in `expired`.  Walks the LRU list from the stalest end: O(expired + 1).
 * NULL r is a no-op.
 */
void ct_tcp_reasm_expire(struct ct_tcp_reasm *r, int64_t now_us)
{
	struct dir *d;

	if (r == NULL)
		return;
	while ((d = dir_stalest(r)) != NULL && now_us - d->last_us > r->lim.idle_us) {
		r->st.expired++;
		dir_destroy(r, d);
	}
}

/*
 * Copies the counters into *st (all zero when r is NULL).
 */
void ct_tcp_reasm_get_stats(const struct ct_tcp_reasm *r, struct ct_tcp_stats *st)
{
	if (r == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = r->st;
}

/* Turns resynchronisation at a message start on (starts_message) or off (NULL). */
void ct_tcp_reasm_set_resync(struct ct_tcp_reasm *r, ct_tcp_start_fn starts_message)
{
	if (r != NULL)
		r->starts_message = starts_message;
}
