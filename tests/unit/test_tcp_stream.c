/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/reasm/tcp_stream.c: hand-built segment vectors (in
 * order, split and multiple messages with a line-framed consumer, reordering,
 * retransmission and partial overlap, 2^32 wrap-around, SYN handling, gap
 * skip, buffer limit, FIN/RST, idle expiry, LRU eviction, overlapping held
 * segments, one-byte out-of-order attacks with a work bound) and a randomized
 * comparison against the original byte string (shuffled segments with
 * duplicates and overlapping re-segmentation).
 * References: RFC 9293 §3.4, §3.10.7.4.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/err.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"
#include "test.h"

#define EV(e) ((uint64_t)1 << (e))
#define SEC 1000000LL

enum consume_mode {
	CONSUME_ALL,        /* everything */
	CONSUME_LINES,      /* every whole "\n"-terminated line, in one call */
	CONSUME_ONE_LINE,   /* the first whole line only */
	CONSUME_NONE,       /* nothing */
	CONSUME_RANDOM      /* a random prefix */
};

struct sink {
	enum consume_mode mode;
	uint8_t out[1 << 17];   /* consumed bytes, concatenated */
	size_t out_len;
	int calls;
	int gap_calls;          /* calls with gap set */
	size_t last_len;        /* len of the last call */
	size_t last_start;      /* stream offset of the last call's data */
	int last_gap;
	uint64_t rnd;
	const uint8_t *model;   /* CONSUME_RANDOM: expected stream */
	int set_mode;           /* non-zero: stored in scan->mode (with done = 5) at each call */
	int last_mode;          /* scan->mode as the last call found it */
	size_t last_done;       /* scan->done as the last call found it */
	int view_errors;        /* calls whose view did not match the model */
};

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static size_t consume_lines(const uint8_t *data, size_t len, int one)
{
	size_t used = 0;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n') {
			used = i + 1;
			if (one)
				break;
		}
	}
	return used;
}

static size_t sink_fn(void *user, const struct ct_packet *pkt, const uint8_t *data,
    size_t len, int gap, struct ct_tcp_scan *scan)
{
	struct sink *s = user;
	size_t n = 0;

	(void)pkt;
	s->last_mode = scan->mode;
	s->last_done = scan->done;
	if (s->set_mode != 0) {
		scan->mode = s->set_mode;
		scan->done = 5;
	}
	s->calls++;
	s->gap_calls += gap != 0;
	s->last_len = len;
	s->last_start = s->out_len;
	s->last_gap = gap;
	switch (s->mode) {
	case CONSUME_ALL:
		n = len;
		break;
	case CONSUME_LINES:
		n = consume_lines(data, len, 0);
		break;
	case CONSUME_ONE_LINE:
		n = consume_lines(data, len, 1);
		break;
	case CONSUME_NONE:
		n = 0;
		break;
	case CONSUME_RANDOM:
		if (memcmp(data, s->model + s->out_len, len) != 0)
			s->view_errors++;
		n = (size_t)(rnd(&s->rnd) % (len + 1));
		break;
	}
	if (s->out_len + n <= sizeof(s->out)) {
		memcpy(s->out + s->out_len, data, n);
		s->out_len += n;
	}
	return n;
}

static struct sink *sink_new(enum consume_mode mode)
{
	struct sink *s = calloc(1, sizeof(*s));

	s->mode = mode;
	s->rnd = 0x9e3779b97f4a7c15ull;
	return s;
}

static void addr4(struct ct_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 192;
	a->a[1] = 168;
	a->a[3] = last;
}

/* A segment from 192.168.0.<a>:<ap> to 192.168.0.<b>:5060. */
static struct ct_packet seg(uint8_t a, uint16_t ap, uint8_t b, uint32_t seq,
    uint8_t flags, const char *data, int64_t ts)
{
	struct ct_packet p;

	memset(&p, 0, sizeof(p));
	addr4(&p.t.src, a);
	addr4(&p.t.dst, b);
	p.t.sport = ap;
	p.t.dport = 5060;
	p.t.proto = 6;
	p.tcp_seq = seq;
	p.tcp_flags = flags;
	p.payload = (const uint8_t *)data;
	p.payload_len = data != NULL ? strlen(data) : 0;
	p.ts_us = ts;
	return p;
}

/* The reverse direction of seg(a, ap, b, ...). */
static struct ct_packet rseg(uint8_t a, uint16_t ap, uint8_t b, uint32_t seq,
    uint8_t flags, const char *data, int64_t ts)
{
	struct ct_packet p = seg(b, 5060, a, seq, flags, data, ts);

	p.t.dport = ap;
	return p;
}

static void feed(struct ct_tcp_reasm *r, uint8_t a, uint32_t seq, uint8_t flags,
    const char *data)
{
	struct ct_packet p = seg(a, 40000, 1, seq, flags, data, 0);

	ct_tcp_reasm_feed(r, &p);
}

static void out_is(struct sink *s, const char *want)
{
	CHECK_INT(s->out_len, strlen(want));
	CHECK(s->out_len == strlen(want) && memcmp(s->out, want, s->out_len) == 0);
}

static void test_defaults(void)
{
	struct ct_tcp_limits lim;
	struct ct_tcp_stats st;

	ct_tcp_limits_default(&lim);
	CHECK_INT(lim.max_streams, 65536);
	CHECK_INT(lim.max_buffer, 256 * 1024);
	CHECK_INT(lim.max_ooo_bytes, 256 * 1024);
	CHECK_INT(lim.idle_us, 300 * SEC);
	CHECK(ct_tcp_reasm_new(NULL, NULL, NULL) == NULL);
	ct_tcp_reasm_free(NULL);
	ct_tcp_reasm_feed(NULL, NULL);
	ct_tcp_reasm_expire(NULL, 0);
	ct_tcp_reasm_get_stats(NULL, &st);
	CHECK_INT(st.streams, 0);
}

static void test_in_order(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;
	struct ct_packet p;

	feed(r, 2, 1000, CT_TCP_SYN, NULL);
	feed(r, 2, 1001, CT_TCP_ACK, "hello");
	feed(r, 2, 1006, CT_TCP_ACK | CT_TCP_PSH, " world");
	out_is(s, "hello world");
	CHECK_INT(s->calls, 2);
	CHECK_INT(s->gap_calls, 0);
	/* A pure ACK and a non-TCP packet change nothing. */
	feed(r, 2, 1012, CT_TCP_ACK, NULL);
	p = seg(2, 40000, 1, 1012, 0, "udp!", 0);
	p.t.proto = 17;
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(s->calls, 2);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.segments, 2);
	CHECK_INT(st.streams, 1);
	CHECK_INT(st.retransmitted, 0);
	CHECK_INT(st.out_of_order, 0);
	/* Pure ACK of an unknown direction: not tracked. */
	feed(r, 3, 5, CT_TCP_ACK, NULL);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 1);
	ct_tcp_reasm_free(r);
	free(s);
}

/* One message over three segments; the consumer sees the growing buffer. */
static void test_split_message(void)
{
	struct sink *s = sink_new(CONSUME_LINES);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);

	feed(r, 2, 1, CT_TCP_ACK, "INV");
	CHECK_INT(s->last_len, 3);
	CHECK_INT(s->out_len, 0);
	feed(r, 2, 4, CT_TCP_ACK, "ITE ");
	CHECK_INT(s->last_len, 7);
	CHECK_INT(s->out_len, 0);
	feed(r, 2, 8, CT_TCP_ACK, "sip:x\n");
	CHECK_INT(s->last_len, 13);
	out_is(s, "INVITE sip:x\n");
	CHECK_INT(s->calls, 3);
	ct_tcp_reasm_free(r);
	free(s);
}

/* Several messages in one segment, consumed all at once or one per call. */
static void test_several_messages(void)
{
	static const struct {
		enum consume_mode mode;
		int calls_first;   /* calls made by the first segment */
	} cases[] = {
		{ CONSUME_LINES, 2 },      /* "one\ntwo\nthr" -> 8, "thr" -> 0 */
		{ CONSUME_ONE_LINE, 3 },   /* -> 4, -> 4, "thr" -> 0 */
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct sink *s = sink_new(cases[c].mode);
		struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);

		feed(r, 2, 100, CT_TCP_ACK, "one\ntwo\nthr");
		CHECK_INT(s->calls, cases[c].calls_first);
		CHECK_INT(s->last_len, 3);
		out_is(s, "one\ntwo\n");
		feed(r, 2, 111, CT_TCP_ACK, "ee\nfo");
		out_is(s, "one\ntwo\nthree\n");
		CHECK_INT(s->last_len, 2);
		feed(r, 2, 116, CT_TCP_ACK, "ur\n");
		out_is(s, "one\ntwo\nthree\nfour\n");
		CHECK_INT(s->gap_calls, 0);
		ct_tcp_reasm_free(r);
		free(s);
	}
}

static void test_out_of_order(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;

	feed(r, 2, 100, CT_TCP_ACK, "AAAA");
	feed(r, 2, 112, CT_TCP_ACK, "DDDD");
	feed(r, 2, 108, CT_TCP_ACK, "CCCC");
	feed(r, 2, 112, CT_TCP_ACK, "DD");   /* held already: retransmission */
	CHECK_INT(s->calls, 1);
	out_is(s, "AAAA");
	feed(r, 2, 104, CT_TCP_ACK, "BBBB");
	out_is(s, "AAAABBBBCCCCDDDD");
	CHECK_INT(s->calls, 2);
	CHECK_INT(s->last_len, 12);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.out_of_order, 2);
	CHECK_INT(st.retransmitted, 1);
	CHECK_INT(st.segments, 5);
	CHECK_INT(st.gaps, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_retransmissions(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;

	feed(r, 2, 100, CT_TCP_ACK, "abcdef");
	feed(r, 2, 100, CT_TCP_ACK, "abcdef");       /* whole duplicate */
	feed(r, 2, 102, CT_TCP_ACK, "cd");           /* inside old data */
	feed(r, 2, 103, CT_TCP_ACK, "defghi");       /* partial overlap */
	out_is(s, "abcdefghi");
	CHECK_INT(s->calls, 2);
	CHECK_INT(s->last_len, 3);
	/* Held segments that overlap each other and the delivered data. */
	feed(r, 2, 113, CT_TCP_ACK, "nopq");
	feed(r, 2, 111, CT_TCP_ACK, "lmno");
	feed(r, 2, 107, CT_TCP_ACK, "hijkl");
	out_is(s, "abcdefghijklmnopq");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.retransmitted, 2);
	CHECK_INT(st.out_of_order, 2);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_wrap(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;

	/* SYN at 2^32 - 16: data 0xfffffff1.. crosses zero. */
	feed(r, 2, 0xfffffff0u, CT_TCP_SYN, NULL);
	feed(r, 2, 0x00000005u, CT_TCP_ACK, "after-zero");    /* ahead: held */
	CHECK_INT(s->calls, 0);
	feed(r, 2, 0xfffffff1u, CT_TCP_ACK, "0123456789abcdefghij");
	out_is(s, "0123456789abcdefghijafter-zero");
	feed(r, 2, 0xfffffffbu, CT_TCP_ACK, "abcdefghij");    /* old, across zero */
	feed(r, 2, 0x0000000fu, CT_TCP_ACK, "!");
	out_is(s, "0123456789abcdefghijafter-zero!");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.retransmitted, 1);
	CHECK_INT(st.out_of_order, 1);
	CHECK_INT(st.gaps, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_syn(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;

	/* Data claiming the SYN's own number: one byte trimmed. */
	feed(r, 2, 500, CT_TCP_SYN, NULL);
	feed(r, 2, 500, CT_TCP_ACK, "xAB");
	out_is(s, "AB");
	feed(r, 2, 500, CT_TCP_SYN, NULL);       /* retransmitted SYN: no reset */
	feed(r, 2, 503, CT_TCP_ACK, "C");
	out_is(s, "ABC");
	/* A SYN far away: a new connection on the same ports. */
	feed(r, 2, 900000000u, CT_TCP_SYN, NULL);
	feed(r, 2, 900000001u, CT_TCP_ACK, "D");
	out_is(s, "ABCD");
	/* Another SYN just behind the next byte (its old FIN and RST unseen):
	 * not the SYN it started with, so a new connection too. */
	feed(r, 2, 899999000u, CT_TCP_SYN, NULL);
	feed(r, 2, 899999001u, CT_TCP_ACK, "d");
	out_is(s, "ABCDd");
	/* SYN carrying data (TCP Fast Open): data starts at seq + 1. */
	feed(r, 3, 70, CT_TCP_SYN, "E");
	feed(r, 3, 72, CT_TCP_ACK, "F");
	out_is(s, "ABCDdEF");
	CHECK_INT(s->gap_calls, 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 2);
	CHECK_INT(st.retransmitted, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_gap(void)
{
	struct ct_tcp_limits lim;
	struct sink *s = sink_new(CONSUME_LINES);
	struct ct_tcp_reasm *r;
	struct ct_tcp_stats st;
	struct ct_packet p;
	static char a[401], b[401], c[401];

	ct_tcp_limits_default(&lim);
	lim.max_ooo_bytes = 1000;
	r = ct_tcp_reasm_new(&lim, sink_fn, s);
	memset(a, 'a', 400);
	memset(b, 'b', 400);
	memset(c, 'c', 399);
	c[399] = '\n';
	feed(r, 2, 0, CT_TCP_ACK, "partial");     /* unconsumed: no newline */
	feed(r, 2, 107, CT_TCP_ACK, a);           /* bytes 7..106 are missing */
	feed(r, 2, 507, CT_TCP_ACK, b);
	CHECK_INT(s->calls, 1);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.gaps, 0);
	CHECK_INT(st.out_of_order, 2);
	/* The third held segment passes 1000 held bytes: skip the hole. */
	p = seg(2, 40000, 1, 907, CT_TCP_ACK, c, 0);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(p.events, EV(CT_EV_TCP_GAP));
	CHECK_INT(s->calls, 2);
	CHECK_INT(s->last_gap, 1);
	CHECK_INT(s->last_len, 1200);
	CHECK_INT(s->out_len, 1200);             /* "partial" was discarded */
	CHECK(s->out[0] == 'a' && s->out[400] == 'b' && s->out[1199] == '\n');
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.gaps, 1);
	/* The lost bytes arriving late are old now; later data flows again. */
	feed(r, 2, 7, CT_TCP_ACK, "late");
	feed(r, 2, 1307, CT_TCP_ACK, "next\n");
	CHECK_INT(s->last_gap, 0);
	CHECK_INT(s->out_len, 1205);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.retransmitted, 1);
	ct_tcp_reasm_free(r);
	free(s);
}

/*
 * The consumer's stream mode (scan->mode: SIP or WebSocket) survives a gap,
 * when the rest of the scan state is zeroed; a new connection resets it.
 */
static void test_scan_mode(void)
{
	struct ct_tcp_limits lim;
	struct sink *s = sink_new(CONSUME_LINES);
	struct ct_tcp_reasm *r;
	static char a[401], b[401], c[401];

	ct_tcp_limits_default(&lim);
	lim.max_ooo_bytes = 1000;
	r = ct_tcp_reasm_new(&lim, sink_fn, s);
	memset(a, 'a', 400);
	memset(b, 'b', 400);
	memset(c, 'c', 400);
	s->set_mode = 7;
	feed(r, 2, 0, CT_TCP_ACK, "partial");     /* held, the consumer sets mode 7 */
	CHECK_INT(s->last_mode, 0);
	feed(r, 2, 7, CT_TCP_ACK, "x");
	CHECK_INT(s->last_mode, 7);
	CHECK_INT(s->last_done, 5);
	s->set_mode = 0;
	feed(r, 2, 108, CT_TCP_ACK, a);           /* a hole, then past max_ooo_bytes */
	feed(r, 2, 508, CT_TCP_ACK, b);
	feed(r, 2, 908, CT_TCP_ACK, c);
	CHECK_INT(s->last_gap, 1);
	CHECK_INT(s->last_mode, 7);               /* kept across the gap */
	CHECK_INT(s->last_done, 0);               /* the rest of the scan is new */
	feed(r, 2, 900000000u, CT_TCP_SYN, NULL); /* a new connection */
	feed(r, 2, 900000001u, CT_TCP_ACK, "D");
	CHECK_INT(s->last_mode, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_buffer_limit(void)
{
	struct ct_tcp_limits lim;
	struct sink *s = sink_new(CONSUME_LINES);
	struct ct_tcp_reasm *r;
	struct ct_tcp_stats st;
	struct ct_packet p;
	static char x[61], y[61];

	ct_tcp_limits_default(&lim);
	lim.max_buffer = 100;
	r = ct_tcp_reasm_new(&lim, sink_fn, s);
	memset(x, 'x', 60);
	memset(y, 'y', 59);
	y[59] = '\n';
	p = seg(2, 40000, 1, 0, CT_TCP_ACK, x, 0);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(p.events, 0);
	CHECK_INT(s->last_len, 60);
	p = seg(2, 40000, 1, 60, CT_TCP_ACK, y, 0);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(p.events, EV(CT_EV_TCP_LIMIT));
	CHECK_INT(s->last_len, 60);              /* only the new bytes */
	CHECK_INT(s->last_gap, 1);
	CHECK_INT(s->out_len, 60);
	CHECK(s->out[0] == 'y');
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.overflows, 1);
	CHECK_INT(st.gaps, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_fin_rst(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;
	struct ct_packet p;

	/* Data with FIN: delivered, then forgotten. */
	feed(r, 2, 10, CT_TCP_ACK | CT_TCP_FIN, "bye");
	out_is(s, "bye");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 0);
	/* FIN with a hole: held bytes are flushed after the hole (gap). */
	feed(r, 2, 100, CT_TCP_ACK, "a");
	feed(r, 2, 110, CT_TCP_ACK, "b");
	p = seg(2, 40000, 1, 111, CT_TCP_ACK | CT_TCP_FIN, NULL, 0);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(p.events, EV(CT_EV_TCP_GAP));
	out_is(s, "byeab");
	CHECK_INT(s->last_gap, 1);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 0);
	CHECK_INT(st.gaps, 1);
	/* RST forgets both directions, and leaves other streams alone. */
	p = seg(2, 40000, 1, 1, CT_TCP_ACK, "c", 0);
	ct_tcp_reasm_feed(r, &p);
	p = rseg(2, 40000, 1, 1, CT_TCP_ACK, "d", 0);
	ct_tcp_reasm_feed(r, &p);
	p = seg(2, 40001, 1, 1, CT_TCP_ACK, "e", 0);
	ct_tcp_reasm_feed(r, &p);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 3);
	p = rseg(2, 40000, 1, 2, CT_TCP_RST, NULL, 0);
	ct_tcp_reasm_feed(r, &p);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 1);
	out_is(s, "byeabcde");
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_expire(void)
{
	struct sink *s = sink_new(CONSUME_NONE);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;
	struct ct_packet p;

	p = seg(2, 1, 1, 0, CT_TCP_ACK, "kept in buffer", 0);
	ct_tcp_reasm_feed(r, &p);
	p = seg(3, 1, 1, 0, CT_TCP_ACK, "x", 100 * SEC);
	ct_tcp_reasm_feed(r, &p);
	p = seg(4, 1, 1, 0, CT_TCP_ACK, "x", 50 * SEC);
	ct_tcp_reasm_feed(r, &p);
	p = seg(4, 1, 1, 5, CT_TCP_ACK, "held", 250 * SEC);   /* refreshes */
	ct_tcp_reasm_feed(r, &p);
	ct_tcp_reasm_expire(r, 300 * SEC);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 3);
	CHECK_INT(st.expired, 0);
	ct_tcp_reasm_expire(r, 300 * SEC + 1);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 2);
	CHECK_INT(st.expired, 1);
	ct_tcp_reasm_expire(r, 400 * SEC + 1);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 1);
	CHECK_INT(st.expired, 2);
	/* The expired direction starts afresh at its next data (mid-stream). */
	p = seg(2, 1, 1, 1000, CT_TCP_ACK, "z", 401 * SEC);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(s->last_len, 1);
	ct_tcp_reasm_expire(r, 10000 * SEC);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 0);
	CHECK_INT(st.expired, 4);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_lru(void)
{
	struct ct_tcp_limits lim;
	struct sink *s = sink_new(CONSUME_LINES);
	struct ct_tcp_reasm *r;
	struct ct_tcp_stats st;
	struct ct_packet p;

	ct_tcp_limits_default(&lim);
	lim.max_streams = 2;
	r = ct_tcp_reasm_new(&lim, sink_fn, s);
	feed(r, 2, 0, CT_TCP_ACK, "A1");
	feed(r, 3, 0, CT_TCP_ACK, "B1");
	feed(r, 2, 2, CT_TCP_ACK, "A2");   /* A is now the most recent */
	p = seg(4, 40000, 1, 0, CT_TCP_ACK, "C\n", 0);
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(p.events, EV(CT_EV_TCP_LIMIT));
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 2);
	CHECK_INT(st.overflows, 1);
	out_is(s, "C\n");
	/* A kept its state; B (evicted) restarts mid-stream without "B1". */
	feed(r, 2, 4, CT_TCP_ACK, "\n");
	out_is(s, "C\nA1A2\n");
	feed(r, 3, 2, CT_TCP_ACK, "B2\n");   /* evicts C, the least recent */
	out_is(s, "C\nA1A2\nB2\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.overflows, 2);
	CHECK_INT(st.streams, 2);
	ct_tcp_reasm_free(r);
	free(s);
}

/*
 * Held segments are kept disjoint: an arriving segment is trimmed against
 * what is held, replaces held segments it covers whole, and counts as a
 * retransmission when every byte of it is held already.
 */
static void test_ooo_overlaps(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;

	feed(r, 2, 0, CT_TCP_SYN, NULL);
	feed(r, 2, 11, CT_TCP_ACK, "KLM");             /* [11,14) */
	feed(r, 2, 16, CT_TCP_ACK, "PQ");              /* [16,18) */
	feed(r, 2, 9, CT_TCP_ACK, "IJKLMNOPQRS");      /* [9,20): covers both */
	feed(r, 2, 12, CT_TCP_ACK, "LMNOP");           /* inside: retransmission */
	feed(r, 2, 19, CT_TCP_ACK, "STU");             /* trimmed to [20,22) */
	feed(r, 2, 5, CT_TCP_ACK, "EFGHI");            /* trimmed to [5,9) */
	/* Held already, but in three segments: it replaces the two it covers
	 * whole (one node afterwards, so a repeat costs one lookup). */
	feed(r, 2, 5, CT_TCP_ACK, "EFGHIJKLMNOPQRSTU");
	feed(r, 2, 5, CT_TCP_ACK, "EFGHIJKLMNOPQRSTU"); /* now one lookup: held */
	CHECK_INT(s->calls, 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.out_of_order, 6);
	CHECK_INT(st.retransmitted, 2);
	feed(r, 2, 1, CT_TCP_ACK, "ABCD");
	out_is(s, "ABCDEFGHIJKLMNOPQRSTU");
	CHECK_INT(s->calls, 1);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.gaps, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

/*
 * Attack: one-byte segments after a hole, in shuffled order and in the
 * order worst for a sorted list (every even offset, then every odd one).
 * Each insertion walked the held list: O(n^2) over the attack.  The treap
 * visits O(log n) nodes per segment: ooo_steps stays under 100 per segment (about 40 measured)
 * (a list would need n/4 = 1500 on average).
 */
static void ooo_attack(int shuffled)
{
	enum { N = 6000 };
	static uint8_t text[N + 1];
	static uint32_t order[N];
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;
	struct ct_packet p;
	uint64_t rs = 0x5eed5eed1234ull;
	uint32_t i, k = 0;

	for (i = 0; i <= N; i++)
		text[i] = (uint8_t)('a' + i % 26);
	if (shuffled) {
		for (i = 0; i < N; i++)
			order[i] = i + 1;
		for (i = N; i > 1; i--) {
			uint32_t j = (uint32_t)(rnd(&rs) % i), t = order[i - 1];

			order[i - 1] = order[j];
			order[j] = t;
		}
	} else {
		for (i = 2; i <= N; i += 2)
			order[k++] = i;
		for (i = 1; i <= N; i += 2)
			order[k++] = i;
	}
	p = seg(2, 40000, 1, 999, CT_TCP_SYN, NULL, 0);
	ct_tcp_reasm_feed(r, &p);
	for (i = 0; i < N; i++) {
		p = seg(2, 40000, 1, 1000 + order[i], CT_TCP_ACK, NULL, 0);
		p.payload = text + order[i];
		p.payload_len = 1;
		ct_tcp_reasm_feed(r, &p);
	}
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.out_of_order, N);
	CHECK_INT(st.gaps, 0);
	CHECK_INT(s->calls, 0);
	if (st.ooo_steps > 100 * (uint64_t)N)
		fprintf(stderr, "out-of-order: %llu steps for %d segments\n",
		    (unsigned long long)st.ooo_steps, N);
	CHECK(st.ooo_steps <= 100 * (uint64_t)N);
	/* The missing first byte releases everything, in order. */
	p = seg(2, 40000, 1, 1000, CT_TCP_ACK, NULL, 0);
	p.payload = text;
	p.payload_len = 1;
	ct_tcp_reasm_feed(r, &p);
	CHECK_INT(s->out_len, N + 1);
	CHECK(memcmp(s->out, text, N + 1) == 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK(st.ooo_steps <= 120 * (uint64_t)N);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_ooo_attack(void)
{
	ooo_attack(1);
	ooo_attack(0);
}

/* ---- randomized model test ---------------------------------------------- */

#define MODEL_LEN 20000
#define MODEL_MAXSEG 1000

struct piece {
	uint32_t off;
	uint32_t len;
};

static size_t model_pieces(struct piece *pc, uint64_t *rs)
{
	size_t n = 0;
	uint32_t off = 0;

	while (off < MODEL_LEN) {
		uint32_t len = 1 + (uint32_t)(rnd(rs) % MODEL_MAXSEG);

		if (len > MODEL_LEN - off)
			len = MODEL_LEN - off;
		pc[n++] = (struct piece){ off, len };
		/* duplicates and overlapping re-segmentations */
		if (rnd(rs) % 4 == 0)
			pc[n++] = (struct piece){ off, len };
		if (rnd(rs) % 4 == 0) {
			uint32_t a = (uint32_t)(rnd(rs) % MODEL_LEN);
			uint32_t b = a + 1 + (uint32_t)(rnd(rs) % MODEL_MAXSEG);

			pc[n++] = (struct piece){ a, (b > MODEL_LEN ? MODEL_LEN : b) - a };
		}
		off += len;
	}
	return n;
}

static void model_run(uint64_t *rs, enum consume_mode mode, int round)
{
	static uint8_t text[MODEL_LEN + 1];
	static struct piece pc[MODEL_LEN * 3];
	struct sink *s = sink_new(mode);
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);
	struct ct_tcp_stats st;
	struct ct_packet p;
	uint32_t isn = (uint32_t)rnd(rs);
	size_t n;

	if (round % 3 == 0)
		isn = 0xffffffffu - (uint32_t)(rnd(rs) % MODEL_LEN);  /* wraps */
	for (size_t i = 0; i < MODEL_LEN; i++)
		text[i] = (uint8_t)rnd(rs);
	s->model = text;
	s->rnd = rnd(rs);
	n = model_pieces(pc, rs);
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd(rs) % i;
		struct piece t = pc[i - 1];

		pc[i - 1] = pc[j];
		pc[j] = t;
	}
	p = seg(2, 40000, 1, isn, CT_TCP_SYN, NULL, 0);
	ct_tcp_reasm_feed(r, &p);
	for (size_t i = 0; i < n; i++) {
		p = seg(2, 40000, 1, isn + 1 + pc[i].off, CT_TCP_ACK, NULL, (int64_t)i);
		p.payload = text + pc[i].off;
		p.payload_len = pc[i].len;
		ct_tcp_reasm_feed(r, &p);
		CHECK_INT(p.events, 0);
	}
	CHECK_INT(s->gap_calls, 0);
	CHECK_INT(s->view_errors, 0);
	if (mode == CONSUME_ALL) {
		CHECK_INT(s->out_len, MODEL_LEN);
		CHECK(memcmp(s->out, text, MODEL_LEN) == 0);
	} else {
		/* The last view (consumed prefix + unconsumed rest) ends the text. */
		CHECK_INT(s->last_start + s->last_len, MODEL_LEN);
		CHECK(memcmp(s->out, text, s->out_len) == 0);
	}
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.segments, n);
	CHECK_INT(st.gaps, 0);
	CHECK_INT(st.overflows, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

static void test_model(void)
{
	uint64_t rs = 0x0123456789abcdefull;

	for (int round = 0; round < 60; round++)
		model_run(&rs, round % 2 ? CONSUME_RANDOM : CONSUME_ALL, round);
}

/* A test "message start": a segment that begins with "M". */
static bool starts_m(const uint8_t *data, size_t len)
{
	return len > 0 && data[0] == 'M';
}

/* A reassembler with resynchronisation on starts_m, into *s, a new line-consuming sink. */
static struct ct_tcp_reasm *resync_new(struct sink **s)
{
	struct ct_tcp_reasm *r;

	*s = sink_new(CONSUME_LINES);
	r = ct_tcp_reasm_new(NULL, sink_fn, *s);
	ct_tcp_reasm_set_resync(r, starts_m);
	return r;
}

/*
 * ct_tcp_reasm_set_resync: a hole is skipped at once only when everything
 * before it was consumed and the segment after it starts a message; a hole
 * in the middle of a message, or after a segment that does not start one,
 * still waits for its bytes.
 */
static void test_resync(void)
{
	struct sink *s;
	struct ct_tcp_reasm *r = resync_new(&s);
	struct ct_tcp_stats st;

	feed(r, 2, 100, CT_TCP_ACK, "M1\n");        /* consumed: between messages */
	feed(r, 2, 110, CT_TCP_ACK, "M2\n");        /* hole 103..110: skipped */
	out_is(s, "M1\nM2\n");
	CHECK_INT(s->gap_calls, 1);
	feed(r, 2, 113, CT_TCP_ACK, "M3");          /* a partial message */
	feed(r, 2, 120, CT_TCP_ACK, "M4\n");        /* hole mid-message: held */
	out_is(s, "M1\nM2\n");
	feed(r, 2, 115, CT_TCP_ACK, "\nxxxx");      /* filled */
	out_is(s, "M1\nM2\nM3\nxxxxM4\n");
	feed(r, 2, 130, CT_TCP_ACK, "tail\n");      /* not a message start: held */
	out_is(s, "M1\nM2\nM3\nxxxxM4\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.gaps, 1);
	CHECK_INT(st.out_of_order, 3);
	ct_tcp_reasm_free(r);
	free(s);

	/*
	 * The skipped hole's own messages, captured after the one that came
	 * past them (two whole messages in swapped order), are delivered late,
	 * once: a retransmission of one, or a segment that does not start a
	 * message, is not.
	 */
	r = resync_new(&s);
	feed(r, 2, 100, CT_TCP_ACK, "M1\n");
	feed(r, 2, 110, CT_TCP_ACK, "M3\n");        /* hole 103..110 skipped */
	feed(r, 2, 103, CT_TCP_ACK, "Ma\n");        /* late: 103..106 */
	feed(r, 2, 106, CT_TCP_ACK, "xyz\n");       /* not a message start */
	feed(r, 2, 103, CT_TCP_ACK, "Ma\n");        /* its copy: already filled */
	feed(r, 2, 113, CT_TCP_ACK, "M4\n");
	out_is(s, "M1\nM3\nMa\nM4\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.gaps, 1);
	CHECK_INT(st.late_filled, 1);
	CHECK_INT(st.retransmitted, 2);
	ct_tcp_reasm_free(r);
	free(s);

	/*
	 * A skip at a false start (a piece of the next message sent again
	 * apart from its first byte, "Mpart" of "MMpart"), nothing consumed
	 * since: the message's own segment, from the hole on past its end,
	 * replaces what was delivered after the skip (late_restart), whole
	 * ("MMpart\n") or in front of the bytes after it ("MMp" + "art").
	 */
	for (int k = 0; k < 2; k++) {
		r = resync_new(&s);
		feed(r, 2, 100, CT_TCP_ACK, "M1\n");
		feed(r, 2, 104, CT_TCP_ACK, "Mpart");       /* hole 103..104 skipped */
		out_is(s, "M1\n");
		if (k == 0) {
			feed(r, 2, 103, CT_TCP_ACK, "MMpart\n");
		} else {
			feed(r, 2, 103, CT_TCP_ACK, "MMp");   /* ends before the bytes held */
			out_is(s, "M1\n");
			feed(r, 2, 109, CT_TCP_ACK, "\n");
		}
		feed(r, 2, 110, CT_TCP_ACK, "M2\n");
		out_is(s, "M1\nMMpart\nM2\n");
		ct_tcp_reasm_get_stats(r, &st);
		CHECK_INT(st.late_filled, 1);
		ct_tcp_reasm_free(r);
		free(s);
	}

	/* Once the skip's bytes were consumed, nothing is replaced. */
	r = resync_new(&s);
	feed(r, 2, 100, CT_TCP_ACK, "M1\n");
	feed(r, 2, 104, CT_TCP_ACK, "Mpart\n");     /* skipped to, and consumed */
	feed(r, 2, 103, CT_TCP_ACK, "MMpart\n");
	out_is(s, "M1\nMpart\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.late_filled, 0);
	ct_tcp_reasm_free(r);
	free(s);

	/* Off (the default): the same hole waits. */
	s = sink_new(CONSUME_LINES);
	r = ct_tcp_reasm_new(NULL, sink_fn, s);
	feed(r, 2, 100, CT_TCP_ACK, "M1\n");
	feed(r, 2, 110, CT_TCP_ACK, "M2\n");
	out_is(s, "M1\n");
	CHECK_INT(s->gap_calls, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

/* feed() at capture time ts. */
static void feed_at(struct ct_tcp_reasm *r, uint32_t seq, const char *data, int64_t ts)
{
	struct ct_packet p = seg(2, 40000, 1, seq, CT_TCP_ACK, data, ts);

	ct_tcp_reasm_feed(r, &p);
}

/*
 * A direction picked up mid-stream whose first segment holds no message
 * start keeps it for 1 s: a segment that starts a message and ends in it
 * or at its start, before anything after it, is its head (the two halves
 * of a message the tap saw in swapped order) and both go to the consumer
 * again, as one (late_head).  Not later than 1 s, not once a later
 * segment was taken, not when a gap is left between them, not when the
 * first segment holds a message start of its own.
 */
static void test_late_head(void)
{
	static const struct {
		const char *name;
		uint32_t first_seq;
		const char *first;
		int64_t late_us;        /* -1: no later segment in between */
		const char *later;      /* at the first's end, before the head */
		uint32_t head_seq;
		const char *head;
		int64_t head_us;
		const char *out;
		uint64_t late_filled, retransmitted;
	} cases[] = {
		{ "head after", 110, "tail\n", -1, NULL, 100, "M1 head a ", 300,
		  "tail\nM1 head a tail\n", 1, 0 },
		{ "head overlaps", 110, "tail\n", -1, NULL, 102, "M1 head at", 300,
		  "tail\nM1 head tail\n", 1, 0 },
		{ "head too late", 110, "tail\n", -1, NULL, 100, "M1 head a ", 1000001,
		  "tail\n", 0, 1 },
		{ "later taken", 110, "tail\n", 100, "M2\n", 100, "M1 head a ", 300,
		  "tail\nM2\n", 0, 1 },
		{ "gap between", 110, "tail\n", -1, NULL, 90, "M1 head", 300,
		  "tail\n", 0, 1 },
		{ "not a start", 110, "tail\n", -1, NULL, 100, "x1 head a ", 300,
		  "tail\n", 0, 1 },
		{ "first has one", 110, "x\nM2\n", -1, NULL, 100, "M1 head a ", 300,
		  "x\nM2\n", 0, 1 },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sink *s;
		struct ct_tcp_reasm *r = resync_new(&s);
		struct ct_tcp_stats st;

		feed_at(r, cases[i].first_seq, cases[i].first, 0);
		if (cases[i].later != NULL)
			feed_at(r, cases[i].first_seq + (uint32_t)strlen(cases[i].first), cases[i].later,
			    cases[i].late_us);
		feed_at(r, cases[i].head_seq, cases[i].head, cases[i].head_us);
		out_is(s, cases[i].out);
		ct_tcp_reasm_get_stats(r, &st);
		CHECK_INT(st.late_filled, cases[i].late_filled);
		CHECK_INT(st.retransmitted, cases[i].retransmitted);
		if (s->out_len != strlen(cases[i].out) || st.late_filled != cases[i].late_filled)
			fprintf(stderr, "case %s\n", cases[i].name);
		ct_tcp_reasm_free(r);
		free(s);
	}
}

/*
 * One segment of the connection 192.168.0.2:40000 <-> 192.168.0.1:5060:
 * from the client (up) or the server, with an acknowledgment number.
 */
static void tcp2(struct ct_tcp_reasm *r, int up, uint32_t seq, uint32_t ack, uint8_t flags,
    const char *data, int64_t ts)
{
	struct ct_packet p = up ? seg(2, 40000, 1, seq, flags, data, ts) :
	    rseg(2, 40000, 1, seq, flags, data, ts);

	p.tcp_ack = ack;
	ct_tcp_reasm_feed(r, &p);
}

/* A connection with both directions tracked: client 1001.., server 5001... */
static struct ct_tcp_reasm *two_way(struct sink *s)
{
	struct ct_tcp_reasm *r = ct_tcp_reasm_new(NULL, sink_fn, s);

	tcp2(r, 1, 1000, 0, CT_TCP_SYN, NULL, 0);
	tcp2(r, 0, 5000, 1001, CT_TCP_SYN | CT_TCP_ACK, NULL, 0);
	tcp2(r, 1, 1001, 5001, CT_TCP_ACK, "a\n", 0);
	tcp2(r, 0, 5001, 1003, CT_TCP_ACK, "b\n", 0);
	return r;
}

/*
 * Blind spoofing (RFC 5961): segments on the connection's 4-tuple with
 * guessed numbers change nothing; each is refused and counted.  So does
 * data at exactly the next byte without the ACK flag or acknowledging
 * bytes never sent (one sniffed and placed before the real segment: the
 * real one was then dropped as a retransmission, red-team pass 5).
 */
static void test_spoof(void)
{
	static const struct {
		int up;
		uint32_t seq, ack;
		uint8_t flags;
		const char *data;
		const char *what;
	} forged[] = {
		{ 1, 0x7a000000u, 5003, CT_TCP_RST | CT_TCP_ACK, NULL, "RST far, right ACK" },
		{ 1, 1003 + 40000, 5003, CT_TCP_RST | CT_TCP_ACK, NULL, "RST near, right ACK: not exact" },
		{ 0, 0x12345678u, 1005, CT_TCP_RST, NULL, "server RST far" },
		{ 1, 1003 + 100, 0x80000000u, CT_TCP_ACK, "INVITE x\n", "data near, wrong ACK" },
		{ 1, 1003 + 100, 5003, 0, "INVITE x\n", "data near, no ACK flag" },
		{ 1, 1003 + (3u << 20), 5003, CT_TCP_ACK, "INVITE x\n", "data past the window" },
		{ 1, 1003 - (3u << 20), 5003, CT_TCP_ACK, "INVITE x\n", "data long before" },
		{ 0, 0x5000000u, 1005, CT_TCP_ACK, "SIP/2.0 200 OK\n", "server data far" },
		{ 0, 5003 + 10, 1005 + (1u << 20), CT_TCP_ACK, "SIP/2.0 200 OK\n", "ACK of unsent bytes" },
		{ 1, 0x33333333u, 5003, CT_TCP_FIN | CT_TCP_ACK, NULL, "FIN far" },
		{ 1, 1003, 5003, CT_TCP_SYN | CT_TCP_RST, NULL, "SYN+RST" },
		/* rows 11, 12: at the client's next byte (1003 + 2 * row), ahead of
		 * the real segment there, which then goes on */
		{ 1, 1003 + 2 * 11, 5003 + 2 * 11, 0, "BYE x\n", "data at the next byte, no ACK flag" },
		{ 1, 1003 + 2 * 12, 5003 + 2 * 12 + (1u << 20), CT_TCP_ACK, "BYE x\n",
		  "data at the next byte, ACK of unsent bytes" },
	};
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = two_way(s);
	struct ct_tcp_stats st;
	uint32_t cseq = 1003, sseq = 5003;
	char buf[8];

	for (size_t i = 0; i < sizeof(forged) / sizeof(forged[0]); i++) {
		tcp2(r, forged[i].up, forged[i].seq, forged[i].ack, forged[i].flags,
		    forged[i].data, (int64_t)i);
		ct_tcp_reasm_get_stats(r, &st);
		if (st.refused != i + 1 || st.streams != 2)
			printf("# forged segment %zu (%s): refused %llu, streams %zu\n", i,
			    forged[i].what, (unsigned long long)st.refused, st.streams);
		CHECK_INT(st.refused, i + 1);
		CHECK_INT(st.streams, 2);
		/* The real connection goes on, byte for byte. */
		snprintf(buf, sizeof(buf), "%c\n", (char)('c' + i));
		tcp2(r, 1, cseq, sseq, CT_TCP_ACK, buf, (int64_t)i);
		cseq += 2;
		snprintf(buf, sizeof(buf), "%c\n", (char)('C' + i));
		tcp2(r, 0, sseq, cseq, CT_TCP_ACK, buf, (int64_t)i);
		sseq += 2;
	}
	out_is(s, "a\nb\nc\nC\nd\nD\ne\nE\nf\nF\ng\nG\nh\nH\ni\nI\nj\nJ\nk\nK\nl\nL\nm\nM\n"
	    "n\nN\no\nO\n");
	CHECK_INT(s->gap_calls, 0);
	/* Pure ACKs with guessed numbers (nothing checks them) do not move
	 * what the next segments' ACKs are checked against. */
	tcp2(r, 1, 0x7777u, 0x7ffffff0u, CT_TCP_ACK, NULL, 20);
	tcp2(r, 1, cseq + 4, sseq, CT_TCP_ACK, "q\n", 20);        /* out of order, taken */
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.out_of_order, 1);
	tcp2(r, 1, cseq, sseq, CT_TCP_ACK, "n\n", 20);
	tcp2(r, 1, cseq + 2, sseq, CT_TCP_ACK, "p\n", 20);
	cseq += 6;
	/* A forged SYN is only a candidate: the connection goes on. */
	tcp2(r, 1, 777, 0, CT_TCP_SYN, NULL, 20);
	tcp2(r, 1, cseq, sseq, CT_TCP_ACK, "r\n", 20);
	cseq += 2;
	/* ... and data at its first byte with a guessed ACK does not prove it. */
	tcp2(r, 1, 778, 0x4444u, CT_TCP_ACK, "X\n", 20);
	tcp2(r, 1, cseq, sseq, CT_TCP_ACK, "o\n", 20);
	cseq += 2;
	out_is(s, "a\nb\nc\nC\nd\nD\ne\nE\nf\nF\ng\nG\nh\nH\ni\nI\nj\nJ\nk\nK\nl\nL\nm\nM\n"
	    "n\nN\no\nO\nn\np\nq\nr\no\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.reanchored, 0);
	CHECK_INT(st.gaps, 0);
	/* The real RST, exactly at the next byte, ends both directions. */
	tcp2(r, 1, cseq, sseq, CT_TCP_RST | CT_TCP_ACK, NULL, 21);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 0);
	/* A direction that is not tracked may not start with a guessed ACK. */
	r = (ct_tcp_reasm_free(r), two_way(s));
	tcp2(r, 1, 1003, 5003, CT_TCP_FIN | CT_TCP_ACK, NULL, 0);  /* client direction gone */
	tcp2(r, 1, 0x60000000u, 0x99999999u, CT_TCP_ACK, "INVITE y\n", 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 1);
	CHECK_INT(st.refused, 1);
	tcp2(r, 1, 0x60000000u, 5003, CT_TCP_ACK, "INVITE z\n", 0);   /* mid-stream start */
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 2);
	/* An RST of an untracked direction must acknowledge the reverse exactly. */
	tcp2(r, 0, 5003, 0x60000009u, CT_TCP_FIN | CT_TCP_ACK, NULL, 0);  /* server gone */
	tcp2(r, 0, 0x1000u, 0x60000000u, CT_TCP_RST | CT_TCP_ACK, NULL, 0);
	tcp2(r, 0, 0x1000u, 0x60000009u, CT_TCP_RST, NULL, 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 1);
	CHECK_INT(st.refused, 3);
	tcp2(r, 0, 0x1000u, 0x60000009u, CT_TCP_RST | CT_TCP_ACK, NULL, 0);
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.streams, 0);
	ct_tcp_reasm_free(r);
	free(s);
}

/*
 * What moves a direction to other sequence numbers: a new connection on
 * the same ports (SYN, then SYN-ACK acknowledging it), a stream found again
 * after the capture lost more than the window, and the real connection
 * resuming after a forged move.
 */
static void test_reanchor(void)
{
	struct sink *s = sink_new(CONSUME_ALL);
	struct ct_tcp_reasm *r = two_way(s);
	struct ct_tcp_stats st;
	uint32_t far = 1003 + (8u << 20);

	/* Port reuse, the old connection's end unseen. */
	tcp2(r, 1, 90000, 0, CT_TCP_SYN, NULL, 1);
	tcp2(r, 0, 70000, 90001, CT_TCP_SYN | CT_TCP_ACK, NULL, 1);
	tcp2(r, 1, 90001, 70001, CT_TCP_ACK, "new\n", 1);
	tcp2(r, 0, 70001, 90005, CT_TCP_ACK, "NEW\n", 1);
	out_is(s, "a\nb\nnew\nNEW\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.reanchored, 2);
	CHECK_INT(s->gap_calls, 0);
	ct_tcp_reasm_free(r);

	/* 8 MiB lost from the client: three segments in a row, their ACKs
	 * right, move it; the first two are lost with the gap. */
	s->out_len = 0;
	r = two_way(s);
	tcp2(r, 1, far, 5003, CT_TCP_ACK, "p\n", 2);
	tcp2(r, 1, far + 2, 5003, CT_TCP_ACK, "q\n", 2);
	out_is(s, "a\nb\n");
	tcp2(r, 1, far + 4, 5003, CT_TCP_ACK, "r\n", 2);
	tcp2(r, 1, far + 6, 5003, CT_TCP_ACK, "s\n", 2);
	out_is(s, "a\nb\nr\ns\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.reanchored, 1);
	CHECK_INT(st.refused, 2);
	/* Had that been forged, the real stream resumes exactly where it was. */
	tcp2(r, 1, 1003, 5003, CT_TCP_ACK, "t\n", 3);
	tcp2(r, 1, 1005, 5003, CT_TCP_ACK, "u\n", 3);
	out_is(s, "a\nb\nr\ns\nt\nu\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.reanchored, 2);
	ct_tcp_reasm_free(r);

	/* The capture lost 100,000 bytes of the server's: what it holds after
	 * the hole counts as sent, so the client's ACK of it is right. */
	s->out_len = 0;
	r = two_way(s);
	tcp2(r, 0, 5003 + 100000, 1003, CT_TCP_ACK, "after hole\n", 4);
	tcp2(r, 1, 1005, 5003 + 100011, CT_TCP_ACK, "w\n", 4);   /* out of order: checked */
	tcp2(r, 1, 1003, 5003 + 100011, CT_TCP_ACK, "v\n", 4);
	out_is(s, "a\nb\nv\nw\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.refused, 0);
	ct_tcp_reasm_free(r);

	/* ACKs wrong too (both directions lost): a chain of three moves it only
	 * after a second of refusals with nothing taken. */
	s->out_len = 0;
	r = two_way(s);
	tcp2(r, 1, far, 0x70000000u, CT_TCP_ACK, "v\n", 10 * SEC);
	tcp2(r, 1, far + 2, 0x70000000u, CT_TCP_ACK, "w\n", 10 * SEC + 1);
	tcp2(r, 1, far + 4, 0x70000000u, CT_TCP_ACK, "x\n", 10 * SEC + 2);
	out_is(s, "a\nb\n");
	tcp2(r, 1, far + 6, 0x70000000u, CT_TCP_ACK, "y\n", 11 * SEC + 3);
	tcp2(r, 1, far + 8, 0x70000000u, CT_TCP_ACK, "z\n", 11 * SEC + 4);
	out_is(s, "a\nb\ny\nz\n");
	ct_tcp_reasm_get_stats(r, &st);
	CHECK_INT(st.reanchored, 1);
	CHECK_INT(st.refused, 3);
	ct_tcp_reasm_free(r);
	free(s);
}

int main(void)
{
	test_defaults();
	test_in_order();
	test_split_message();
	test_several_messages();
	test_out_of_order();
	test_retransmissions();
	test_wrap();
	test_syn();
	test_gap();
	test_scan_mode();
	test_buffer_limit();
	test_fin_rst();
	test_expire();
	test_lru();
	test_ooo_overlaps();
	test_ooo_attack();
	test_model();
	test_resync();
	test_late_head();
	test_spoof();
	test_reanchor();
	return TEST_REPORT();
}
