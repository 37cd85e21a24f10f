/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/reasm/ipfrag.c: hand-built fragment vectors (order,
 * duplicates, changed duplicates, overlaps, too big, IPv6 keys, timeouts, limits) and a
 * randomized comparison against a naive model (seeded PRNG, sizes 1..9000,
 * 8-byte-aligned cuts, shuffled with duplicates, interleaved datagrams).
 * References: RFC 791 §3.2, RFC 815, RFC 8200 §4.5, RFC 6946.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/hash.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"
#include "test.h"

#define EV(e) ((uint64_t)1 << (e))
#define SEC 1000000LL

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void addr4(struct ct_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 10;
	a->a[3] = last;
}

static void addr6(struct ct_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	a->a[0] = 10; /* same first bytes as addr4(): only family differs */
	a->a[3] = last;
	a->a[15] = 1;
}

/* A fragment of datagram `id` from 10.0.0.1 to 10.0.0.2 (UDP). */
static struct ct_packet frag(uint32_t id, uint32_t off, int more,
    const uint8_t *data, size_t len, int64_t ts)
{
	struct ct_packet p;

	memset(&p, 0, sizeof(p));
	addr4(&p.t.src, 1);
	addr4(&p.t.dst, 2);
	p.t.proto = 17;
	p.is_fragment = true;
	p.frag_proto = 17;
	p.frag_id = id;
	p.frag_off = off;
	p.frag_more = more != 0;
	p.payload = data;
	p.payload_len = len;
	p.ts_us = ts;
	return p;
}

static void fill_pattern(uint8_t *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(seed + i * 7);
}

/* Adds pkt; checks the return code; frees any output. */
static int add_rc(struct ct_ipfrag *f, struct ct_packet *p)
{
	uint8_t *out = NULL;
	size_t len = 0;
	int rc = ct_ipfrag_add(f, p, &out, &len);

	free(out);
	return rc;
}

static void test_defaults(void)
{
	struct ct_ipfrag_limits lim;
	struct ct_ipfrag_stats st;

	ct_ipfrag_limits_default(&lim);
	CHECK_INT(lim.max_datagrams, 4096);
	CHECK_INT(lim.max_bytes, 16 * 1024 * 1024);
	CHECK_INT(lim.timeout_us, 30 * SEC);
	ct_ipfrag_free(NULL);
	ct_ipfrag_get_stats(NULL, &st);
	CHECK_INT(st.pending, 0);
	ct_ipfrag_expire(NULL, 0);
}

/* Table: fragments of a 24-byte datagram in various orders. */
static void test_orders(void)
{
	static const struct {
		const char *name;
		int n;
		uint32_t off[4];
		uint32_t len[4];
		int more[4];
	} cases[] = {
		{ "in order", 3, { 0, 8, 16 }, { 8, 8, 8 }, { 1, 1, 0 } },
		{ "reverse", 3, { 16, 8, 0 }, { 8, 8, 8 }, { 0, 1, 1 } },
		{ "last first", 3, { 16, 0, 8 }, { 8, 8, 8 }, { 0, 1, 1 } },
		{ "middle last", 3, { 0, 16, 8 }, { 8, 8, 8 }, { 1, 0, 1 } },
		{ "with dup", 4, { 0, 0, 16, 8 }, { 8, 8, 8, 8 }, { 1, 1, 0, 1 } },
		{ "odd tail", 2, { 0, 16 }, { 16, 8 }, { 1, 0 } },
		{ "empty last", 4, { 8, 0, 24, 16 }, { 8, 8, 0, 8 }, { 1, 1, 0, 1 } },
		{ "empty last at end", 3, { 0, 8, 24 }, { 8, 16, 0 }, { 1, 1, 0 } },
		{ "last resent", 3, { 16, 0, 8 }, { 8, 8, 16 }, { 1, 1, 0 } },
	};
	uint8_t data[24];

	fill_pattern(data, sizeof(data), 3);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct ct_ipfrag *f = ct_ipfrag_new(NULL);
		struct ct_ipfrag_stats st;
		uint8_t *out = NULL;
		size_t out_len = 0;
		int rc = CT_ERR;

		for (int i = 0; i < cases[c].n; i++) {
			struct ct_packet p = frag(7, cases[c].off[i], cases[c].more[i],
			    data + cases[c].off[i], cases[c].len[i], 0);

			rc = ct_ipfrag_add(f, &p, &out, &out_len);
			if (i < cases[c].n - 1) {
				CHECK_INT(rc, CT_PARTIAL);
				CHECK_INT(p.events, 0);
			}
		}
		CHECK_INT(rc, CT_OK);
		CHECK_INT(out_len, 24);
		CHECK(out != NULL && memcmp(out, data, 24) == 0);
		if (rc != CT_OK)
			fprintf(stderr, "case %s\n", cases[c].name);
		free(out);
		ct_ipfrag_get_stats(f, &st);
		CHECK_INT(st.fragments, cases[c].n);
		CHECK_INT(st.reassembled, 1);
		CHECK_INT(st.pending, 0);
		CHECK_INT(st.bytes, 0);
		CHECK_INT(st.dropped, 0);
		ct_ipfrag_free(f);
	}
}

static void test_partial_stats_and_atomic(void)
{
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint8_t data[40], *out = NULL;
	size_t out_len = 0;
	struct ct_packet p;

	fill_pattern(data, sizeof(data), 9);
	p = frag(1, 0, 1, data, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	CHECK(out == NULL);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 1);
	CHECK(st.bytes >= 16);

	/* Atomic fragment with the same key: returned alone (RFC 6946). */
	p = frag(1, 0, 0, data + 20, 20, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(out_len, 20);
	CHECK(out != NULL && memcmp(out, data + 20, 20) == 0);
	free(out);
	out = NULL;
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 1);
	CHECK_INT(st.reassembled, 1);

	/* Empty atomic fragment: a 0-byte datagram, still a freeable buffer. */
	p = frag(2, 0, 0, NULL, 0, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(out_len, 0);
	CHECK(out != NULL);
	free(out);

	/* Not a fragment, unset family, NULL arguments. */
	p = frag(3, 8, 0, data, 8, 0);
	p.is_fragment = false;
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_ERR);
	p = frag(3, 8, 0, data, 8, 0);
	p.t.src.family = 0;
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_ERR);
	CHECK_INT(ct_ipfrag_add(NULL, &p, &out, &out_len), CT_ERR);
	CHECK_INT(ct_ipfrag_add(f, NULL, &out, &out_len), CT_ERR);
	p = frag(3, 8, 0, data, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, NULL, &out_len), CT_ERR);

	/* Completing id 1 after all that. */
	p = frag(1, 16, 0, data + 16, 24, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(out_len, 40);
	CHECK(out != NULL && memcmp(out, data, 40) == 0);
	free(out);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.bytes, 0);
	ct_ipfrag_free(f);
}

static void test_overlap(void)
{
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint8_t a[32], b[32], *out = NULL;
	size_t out_len = 0;
	struct ct_packet p;

	fill_pattern(a, sizeof(a), 1);
	memcpy(b, a, sizeof(b));
	memset(b + 8, 0xee, 8); /* b differs from a in bytes 8..15 */

	/* Identical content over different boundaries: silent. */
	p = frag(5, 0, 1, a, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(5, 8, 1, a + 8, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	CHECK_INT(p.events, 0);

	/* Overlap into the last hole: new bytes 24..31 fill, 16..23 conflict-free. */
	p = frag(5, 16, 0, a + 16, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(p.events, 0);
	CHECK_INT(out_len, 32);
	CHECK(out != NULL && memcmp(out, a, 32) == 0);
	free(out);
	out = NULL;

	/*
	 * Conflicting content (RFC 5722: the whole datagram is discarded, as
	 * a Linux host discards it; either copy could be forged): the event,
	 * the datagram dropped, the fragment refused.  What comes after starts
	 * a datagram of its own that never completes.
	 */
	p = frag(7, 0, 1, a, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(7, 0, 1, b, 24, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_OVERLAP));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.dropped, 1);
	p = frag(7, 16, 0, a + 16, 16, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);

	/* A fragment inside a hole splits it in two (RFC 815 step 5 and 6). */
	p = frag(6, 8, 1, a + 8, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(6, 24, 0, a + 24, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	/* Spans hole 0..8, present 8..16 (conflicting), hole 16..24: dropped. */
	p = frag(6, 0, 1, b, 24, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_OVERLAP));
	/* The same over the same holes, identical bytes: completes. */
	p = frag(8, 8, 1, a + 8, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(8, 24, 0, a + 24, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(8, 0, 1, a, 24, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(p.events, 0);
	CHECK_INT(out_len, 32);
	CHECK(out != NULL && memcmp(out, a, 32) == 0);
	free(out);

	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.dropped, 2);
	CHECK_INT(st.reassembled, 2);
	CHECK_INT(st.pending, 1);   /* id 7's tail, waiting for nothing */
	ct_ipfrag_free(f);
}

/*
 * A fragment wholly within bytes already present is a duplicate (Linux,
 * RFC 5722 erratum 3089): ignored, the first bytes kept, whatever its own
 * (CT_EV_FRAG_DUP_DIFFERS when they differ); the datagram completes with
 * the first bytes.  Within: the same range, a part inside one fragment,
 * a range across two adjacent ones.  Not within (it also fills a hole):
 * the whole datagram is dropped (test_overlap).
 */
static void test_duplicate(void)
{
	static const struct {
		uint32_t off, len;   /* the changed copy, after [0, 8) and [8, 16) */
		uint64_t events;
	} v[] = {
		{ 0, 8, EV(CT_EV_FRAG_DUP_DIFFERS) },
		{ 8, 8, EV(CT_EV_FRAG_DUP_DIFFERS) },
		{ 0, 16, EV(CT_EV_FRAG_DUP_DIFFERS) },   /* across the two */
	};
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint8_t a[32], b[32], *out = NULL;
	size_t out_len = 0, i;
	struct ct_packet p;

	fill_pattern(a, sizeof(a), 3);
	for (i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)~a[i];
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint32_t id = 20 + (uint32_t)i;

		p = frag(id, 0, 1, a, 8, 0);
		CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
		p = frag(id, 8, 1, a + 8, 8, 0);
		CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
		p = frag(id, v[i].off, 1, b + v[i].off, v[i].len, 0);
		CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
		CHECK_INT(p.events, v[i].events);
		/* the same copy again, identical to the bytes kept: silent */
		p = frag(id, v[i].off, 1, a + v[i].off, v[i].len, 0);
		CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
		CHECK_INT(p.events, 0);
		p = frag(id, 16, 0, a + 16, 16, 0);
		CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
		CHECK_INT(out_len, 32);
		CHECK(out != NULL && memcmp(out, a, 32) == 0);
		free(out);
		out = NULL;
	}
	/* The last fragment duplicated with other bytes: the first one kept. */
	p = frag(30, 24, 0, a + 24, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	p = frag(30, 24, 0, b + 24, 8, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_PARTIAL);
	CHECK_INT(p.events, EV(CT_EV_FRAG_DUP_DIFFERS));
	p = frag(30, 0, 1, a, 24, 0);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK(out != NULL && out_len == 32 && memcmp(out, a, 32) == 0);
	free(out);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.dropped, 0);
	CHECK_INT(st.reassembled, 4);
	CHECK_INT(st.pending, 0);
	ct_ipfrag_free(f);
}

static void test_too_big(void)
{
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	static uint8_t data[2048];
	struct ct_packet p;

	/* Past 65535 on its own. */
	p = frag(9, 65528, 0, data, 16, 0);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_TOO_BIG));
	/* Exactly 65535 is fine. */
	p = frag(9, 65528, 0, data, 7, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 1);
	/* Past 65535 with the datagram queued: the whole datagram goes. */
	p = frag(9, 64512, 1, data, 2048, 0);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_TOO_BIG));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.bytes, 0);
	CHECK_INT(st.dropped, 2);

	/* Past a known end. */
	p = frag(10, 16, 0, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	p = frag(10, 24, 1, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_TOO_BIG));
	/* A second, different end. */
	p = frag(11, 16, 0, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	p = frag(11, 8, 0, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	/* An end before bytes already received. */
	p = frag(12, 16, 1, data, 16, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	p = frag(12, 8, 0, data, 4, 0);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	/* The same end again is only a duplicate. */
	p = frag(13, 16, 0, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(p.events, 0);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 1);
	CHECK_INT(st.dropped, 5);
	ct_ipfrag_free(f);
}

/* Same id, differing only in family, address, or protocol: 6 datagrams. */
static void test_keys(void)
{
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint8_t data[6][16], *out;
	struct ct_packet p[6];
	size_t out_len;
	int i;

	for (i = 0; i < 6; i++) {
		fill_pattern(data[i], 16, (uint8_t)(i * 40));
		p[i] = frag(77, 0, 1, data[i], 8, 0);
	}
	addr6(&p[1].t.src, 1);          /* IPv6, same leading bytes */
	addr6(&p[1].t.dst, 2);
	addr6(&p[2].t.src, 1);
	addr6(&p[2].t.dst, 3);          /* IPv6, other dst */
	addr4(&p[3].t.src, 4);          /* IPv4, other src */
	p[4].frag_proto = 6;            /* other protocol */
	p[4].t.proto = 6;
	p[5].frag_id = 77 + 65536;      /* IPv6 32-bit id */
	addr6(&p[5].t.src, 1);
	addr6(&p[5].t.dst, 2);
	for (i = 0; i < 6; i++)
		CHECK_INT(add_rc(f, &p[i]), CT_PARTIAL);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 6);
	for (i = 5; i >= 0; i--) {
		struct ct_packet q = p[i];

		q.frag_off = 8;
		q.frag_more = false;
		q.payload = data[i] + 8;
		out = NULL;
		CHECK_INT(ct_ipfrag_add(f, &q, &out, &out_len), CT_OK);
		CHECK_INT(out_len, 16);
		CHECK(out != NULL && memcmp(out, data[i], 16) == 0);
		free(out);
	}
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 0);
	ct_ipfrag_free(f);
}

static void test_timeout(void)
{
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint8_t data[64];
	struct ct_packet p;

	fill_pattern(data, sizeof(data), 5);
	p = frag(1, 0, 1, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	p = frag(2, 0, 1, data, 8, 10 * SEC);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	/* A later fragment does not refresh the age (first-fragment time). */
	p = frag(1, 16, 1, data, 8, 29 * SEC);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	ct_ipfrag_expire(f, 30 * SEC);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 0);
	CHECK_INT(st.pending, 2);
	ct_ipfrag_expire(f, 30 * SEC + 1);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 1);
	CHECK_INT(st.pending, 1);
	/* id 1 is gone: its last piece alone does not complete. */
	p = frag(1, 8, 0, data + 8, 8, 31 * SEC);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	ct_ipfrag_expire(f, 100 * SEC);
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 3);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.bytes, 0);

	/* Without expire(): a stale datagram is replaced on lookup. */
	p = frag(4, 0, 1, data, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	p = frag(4, 8, 0, data + 8, 8, 31 * SEC);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(p.events, EV(CT_EV_FRAG_TIMEOUT));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.timeouts, 4);
	CHECK_INT(st.pending, 1);
	ct_ipfrag_free(f); /* frees the pending one (ASan checks) */
}

static void test_limits(void)
{
	struct ct_ipfrag_limits lim;
	struct ct_ipfrag *f;
	struct ct_ipfrag_stats st;
	static uint8_t data[4000];
	uint8_t *out = NULL;
	size_t out_len;
	struct ct_packet p;

	fill_pattern(data, sizeof(data), 11);
	ct_ipfrag_limits_default(&lim);
	lim.max_datagrams = 3;
	f = ct_ipfrag_new(&lim);
	for (uint32_t id = 1; id <= 3; id++) {
		p = frag(id, 0, 1, data, 8, id);
		CHECK_INT(add_rc(f, &p), CT_PARTIAL);
		CHECK_INT(p.events, 0);
	}
	p = frag(4, 0, 1, data, 8, 4);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(p.events, EV(CT_EV_FRAG_LIMIT));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 3);
	CHECK_INT(st.dropped, 1);
	/* The oldest (id 1) was evicted: its last piece starts a new datagram,
	 * which evicts id 2; id 3 still completes. */
	p = frag(1, 8, 0, data + 8, 8, 5);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(p.events, EV(CT_EV_FRAG_LIMIT));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.dropped, 2);
	p = frag(3, 8, 0, data + 8, 8, 6);
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(out_len, 16);
	CHECK(out != NULL && memcmp(out, data, 16) == 0);
	free(out);
	ct_ipfrag_free(f);

	/* Byte limit: about 1 KiB per datagram, room for two. */
	lim.max_datagrams = 100;
	lim.max_bytes = 2500;
	f = ct_ipfrag_new(&lim);
	for (uint32_t id = 1; id <= 2; id++) {
		p = frag(id, 0, 1, data, 1000, id);
		CHECK_INT(add_rc(f, &p), CT_PARTIAL);
		CHECK_INT(p.events, 0);
	}
	p = frag(3, 0, 1, data, 1000, 3);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	CHECK_INT(p.events, EV(CT_EV_FRAG_LIMIT));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 2);
	CHECK(st.bytes <= 2500 && st.bytes >= 2000);
	/* id 2 survived and completes. */
	p = frag(2, 1000, 0, data + 1000, 8, 4);
	out = NULL;
	CHECK_INT(ct_ipfrag_add(f, &p, &out, &out_len), CT_OK);
	CHECK_INT(out_len, 1008);
	CHECK(out != NULL && memcmp(out, data, 1008) == 0);
	free(out);
	/* A datagram that cannot fit even alone is dropped. */
	p = frag(5, 0, 1, data, 3000, 5);
	CHECK_INT(add_rc(f, &p), CT_ERR);
	CHECK_INT(p.events, EV(CT_EV_FRAG_LIMIT));
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.pending, 0);
	CHECK_INT(st.bytes, 0);
	CHECK_INT(st.dropped, 3);
	ct_ipfrag_free(f);
}

/* ---- randomized model test ---------------------------------------------- */

#define MODEL_BATCH 24
#define MODEL_ROUNDS 40
#define MODEL_MAXFRAGS 64

struct model_dgram {
	uint8_t data[9000];
	size_t len;
	uint32_t off[MODEL_MAXFRAGS + 1]; /* cut points, off[n] = len */
	int nfrag;
	uint8_t seen[MODEL_MAXFRAGS];     /* pieces received since last completion */
	int nseen;
	int completions;                  /* expected by the model */
	int outputs;                      /* produced by the reassembler */
	struct ct_addr src, dst;
};

struct model_item {
	int dg;
	int piece;
};

static void model_make(struct model_dgram *m, uint64_t *s, int idx)
{
	int ncut;

	memset(m, 0, sizeof(*m));
	m->len = 1 + rnd(s) % 9000;
	for (size_t i = 0; i < m->len; i++)
		m->data[i] = (uint8_t)rnd(s);
	/* Random distinct 8-aligned cut points, sorted. */
	ncut = (int)(rnd(s) % MODEL_MAXFRAGS);
	m->off[0] = 0;
	m->nfrag = 1;
	for (int c = 0; c < ncut; c++) {
		uint32_t at = (uint32_t)(rnd(s) % ((m->len + 7) / 8)) * 8;
		int j;

		if (at == 0 || at >= m->len)
			continue;
		for (j = m->nfrag; j > 0 && m->off[j - 1] > at; j--)
			m->off[j] = m->off[j - 1];
		if (m->off[j - 1] == at) {
			memmove(&m->off[j], &m->off[j + 1], (size_t)(m->nfrag - j) * sizeof(uint32_t));
			continue;
		}
		m->off[j] = at;
		m->nfrag++;
	}
	m->off[m->nfrag] = (uint32_t)m->len;
	if (rnd(s) & 1) {
		addr4(&m->src, (uint8_t)(idx % 5));
		addr4(&m->dst, (uint8_t)(idx % 3));
	} else {
		addr6(&m->src, (uint8_t)(idx % 5));
		addr6(&m->dst, (uint8_t)(idx % 3));
	}
}

static void model_deliver(struct ct_ipfrag *f, struct model_dgram *m, int dg, int piece)
{
	struct ct_packet p;
	uint8_t *out = NULL;
	size_t out_len = 0;
	int rc, expect_done;

	p = frag((uint32_t)dg, m->off[piece], piece < m->nfrag - 1,
	    m->data + m->off[piece], m->off[piece + 1] - m->off[piece], 0);
	p.t.src = m->src;
	p.t.dst = m->dst;
	if (!m->seen[piece]) {
		m->seen[piece] = 1;
		m->nseen++;
	}
	expect_done = m->nseen == m->nfrag;
	rc = ct_ipfrag_add(f, &p, &out, &out_len);
	CHECK_INT(p.events, 0);
	if (expect_done) {
		CHECK_INT(rc, CT_OK);
		m->completions++;
		memset(m->seen, 0, sizeof(m->seen));
		m->nseen = 0;
	} else {
		CHECK_INT(rc, CT_PARTIAL);
	}
	if (rc == CT_OK) {
		m->outputs++;
		CHECK_INT(out_len, m->len);
		CHECK(out_len == m->len && memcmp(out, m->data, m->len) == 0);
		free(out);
	}
}

static void test_model(void)
{
	static struct model_dgram dg[MODEL_BATCH];
	static struct model_item items[MODEL_BATCH * MODEL_MAXFRAGS * 2];
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	uint64_t seed = 0x1234567887654321ull;
	uint64_t want_reasm = 0;

	for (int round = 0; round < MODEL_ROUNDS; round++) {
		size_t n = 0;

		for (int d = 0; d < MODEL_BATCH; d++) {
			model_make(&dg[d], &seed, d);
			for (int k = 0; k < dg[d].nfrag; k++) {
				items[n++] = (struct model_item){ d, k };
				if (rnd(&seed) % 4 == 0)
					items[n++] = (struct model_item){ d, k };
			}
		}
		for (size_t i = n; i > 1; i--) {
			size_t j = rnd(&seed) % i;
			struct model_item t = items[i - 1];

			items[i - 1] = items[j];
			items[j] = t;
		}
		for (size_t i = 0; i < n; i++)
			model_deliver(f, &dg[items[i].dg], items[i].dg, items[i].piece);
		for (int d = 0; d < MODEL_BATCH; d++) {
			CHECK(dg[d].completions >= 1);
			CHECK_INT(dg[d].outputs, dg[d].completions);
			want_reasm += (uint64_t)dg[d].completions;
		}
		/* Duplicates after completion may leave stale partial datagrams. */
		ct_ipfrag_expire(f, (int64_t)(round + 1) * 31 * SEC);
		ct_ipfrag_get_stats(f, &st);
		CHECK_INT(st.pending, 0);
		CHECK_INT(st.bytes, 0);
	}
	ct_ipfrag_get_stats(f, &st);
	CHECK_INT(st.reassembled, want_reasm);
	CHECK_INT(st.dropped, 0);
	ct_ipfrag_free(f);
}

/*
 * The fragment and TCP direction tables hash their keys with
 * ct_addr_pair_hash under a random per-table key (no longer an
 * address-derived seed): equal keys hash equally, and the value depends on
 * the key, the family, the order of the pair and the extra word.
 */
static void test_pair_hash(void)
{
	struct ct_hash_key k1 = { 1, 2 }, k2 = { 3, 4 };
	struct ct_addr a, b, a6;
	uint64_t h;
	int differ = 0;
	uint32_t i;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&a6, 0, sizeof(a6));
	a.family = 4;
	a.a[0] = 192;
	a.a[3] = 1;
	b = a;
	b.a[3] = 2;
	a6.family = 6;
	a6.a[0] = 192;
	a6.a[3] = 1;
	a.a[10] = 0x55;   /* bytes past an IPv4 address do not count */
	h = ct_addr_pair_hash(&k1, &a, &b, 7);
	a.a[10] = 0;
	CHECK(ct_addr_pair_hash(&k1, &a, &b, 7) == h);
	CHECK(ct_addr_pair_hash(&k2, &a, &b, 7) != h);
	CHECK(ct_addr_pair_hash(&k1, &b, &a, 7) != h);
	CHECK(ct_addr_pair_hash(&k1, &a, &b, 8) != h);
	CHECK(ct_addr_pair_hash(&k1, &a6, &b, 7) != h);
	CHECK(ct_addr_pair_hash(&k1, NULL, NULL, 0) == ct_addr_pair_hash(&k1, NULL, NULL, 0));
	/* Under two keys, the bucket order of 64 ids is not the same. */
	for (i = 0; i < 64; i++)
		differ += (ct_addr_pair_hash(&k1, &a, &b, i) & 1023) !=
		    (ct_addr_pair_hash(&k2, &a, &b, i) & 1023);
	CHECK(differ > 48);
}

/*
 * Attack: 8-byte fragments at every other slot of a 64 KiB datagram leave
 * 4,095 holes, and every later fragment (duplicates of the last one here)
 * walked the hole list from its start: 4,095 steps for a 28-byte packet,
 * 27 times the cost of a plain fragment in a capture.  The first hole a
 * fragment touches is found by binary search: O(log holes) per fragment.
 * The datagram still completes with its bytes.
 */
static void test_many_holes(void)
{
	static uint8_t whole[65528];
	const uint32_t last = sizeof(whole) - 8;
	struct ct_ipfrag *f = ct_ipfrag_new(NULL);
	struct ct_ipfrag_stats st;
	struct ct_packet p;
	uint8_t *out = NULL;
	size_t len = 0, nfrag = 0;
	uint32_t off;
	int rc = CT_ERR, i;

	fill_pattern(whole, sizeof(whole), 9);
	for (off = 8; off < last; off += 16, nfrag++) {
		p = frag(77, off, 1, whole + off, 8, 0);
		CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	}
	for (i = 0; i < 10000; i++, nfrag++) {
		p = frag(77, last - 8, 1, whole + last - 8, 8, 0);
		CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	}
	p = frag(77, last, 0, whole + last, 8, 0);
	CHECK_INT(add_rc(f, &p), CT_PARTIAL);
	for (off = 0; off < last; off += 16, nfrag++) {
		p = frag(77, off, 1, whole + off, 8, 0);
		rc = ct_ipfrag_add(f, &p, &out, &len);
		if (rc != CT_PARTIAL)
			break;
	}
	CHECK_INT(rc, CT_OK);
	CHECK(rc == CT_OK && len == sizeof(whole) && memcmp(out, whole, len) == 0);
	free(out);
	ct_ipfrag_get_stats(f, &st);
	if (st.hole_steps > 20 * nfrag)
		fprintf(stderr, "%zu fragments visited %llu holes\n", nfrag,
		    (unsigned long long)st.hole_steps);
	CHECK(st.hole_steps <= 20 * nfrag);
	CHECK_INT(st.pending, 0);
	ct_ipfrag_free(f);
}

int main(void)
{
	test_pair_hash();
	test_defaults();
	test_orders();
	test_partial_stats_and_atomic();
	test_overlap();
	test_duplicate();
	test_too_big();
	test_keys();
	test_timeout();
	test_limits();
	test_model();
	test_many_holes();
	return TEST_REPORT();
}
