/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Tests of the savefile readers (src/capture/source_pcapng.c) through
 * ct_source_open_file: pcapng images built in memory in both byte orders
 * (two interfaces of different link types, if_tsresol 10^-9 and 2^-10,
 * if_tsoffset, SPB, obsolete PB, skipped NRB/ISB/DSB/custom blocks, two
 * sections), classic pcap (micro/nano magics, both orders), truncation at
 * every byte offset, corrupt lengths, and BPF filters per interface.
 * Large files (more than the read-ahead threshold, so a reader thread runs)
 * with records of every size, a few larger than a read-ahead window, read
 * from the file, from a pipe and truncated: every frame checked byte by byte.
 * References: draft-ietf-opsawg-pcapng, draft-ietf-opsawg-pcap.
 */
#include "config.h"

#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/source.h"
#include "../../src/capture/readahead.h"
#include "../../src/capture/source_int.h"
#include "test.h"

#define MAX_BLOCKS 64

struct img {
	uint8_t b[16384];
	size_t n;
	int be;
	size_t blk;                 /* start of the open block */
	size_t ends[MAX_BLOCKS];    /* offset after each block / record */
	int pkt[MAX_BLOCKS];        /* 1 when that block is a packet */
	int nblk;
};

struct want {
	int linktype;
	int64_t ts_us;
	uint32_t caplen, wirelen;
	const uint8_t *data;
};

static char tmp_path[64];

static void put8(struct img *m, unsigned v)
{
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct img *m, unsigned v)
{
	put8(m, m->be ? v >> 8 : v & 0xff);
	put8(m, m->be ? v & 0xff : v >> 8);
}

static void put32(struct img *m, uint32_t v)
{
	if (m->be) {
		put16(m, v >> 16);
		put16(m, v & 0xffff);
	} else {
		put16(m, v & 0xffff);
		put16(m, v >> 16);
	}
}

static void put_bytes(struct img *m, const void *p, size_t len)
{
	memcpy(m->b + m->n, p, len);
	m->n += len;
}

static void pad(struct img *m)
{
	while (m->n % 4 != 0)
		put8(m, 0);
}

static void blk_begin(struct img *m, uint32_t type)
{
	m->blk = m->n;
	put32(m, type);
	put32(m, 0);
}

static void mark_end(struct img *m, int pkt)
{
	m->ends[m->nblk] = m->n;
	m->pkt[m->nblk++] = pkt;
}

static void blk_end(struct img *m, int pkt)
{
	uint32_t len;
	size_t save;

	pad(m);
	len = (uint32_t)(m->n - m->blk + 4);
	save = m->n;
	m->n = m->blk + 4;
	put32(m, len);
	m->n = save;
	put32(m, len);
	mark_end(m, pkt);
}

static void shb(struct img *m, int be)
{
	m->be = be;
	blk_begin(m, 0x0A0D0D0A);
	put32(m, 0x1A2B3C4D);
	put16(m, 1);
	put16(m, 0);
	put32(m, 0xffffffff);
	put32(m, 0xffffffff);
	blk_end(m, 0);
}

/* tsresol < 0: no option; tsoffset 0: no option. */
static void idb(struct img *m, unsigned lt, uint32_t snaplen, int tsresol, uint32_t tsoffset)
{
	blk_begin(m, 1);
	put16(m, lt);
	put16(m, 0);
	put32(m, snaplen);
	put16(m, 2);  /* if_name, skipped */
	put16(m, 3);
	put_bytes(m, "eth", 3);
	pad(m);
	if (tsresol >= 0) {
		put16(m, 9);
		put16(m, 1);
		put8(m, (unsigned)tsresol);
		pad(m);
	}
	if (tsoffset != 0) {
		put16(m, 14);
		put16(m, 8);
		put32(m, m->be ? 0 : tsoffset);
		put32(m, m->be ? tsoffset : 0);
	}
	put16(m, 0);
	put16(m, 0);
	blk_end(m, 0);
}

static void epb(struct img *m, uint32_t ifid, uint64_t ts, const uint8_t *d, uint32_t caplen,
    uint32_t wirelen)
{
	blk_begin(m, 6);
	put32(m, ifid);
	put32(m, (uint32_t)(ts >> 32));
	put32(m, (uint32_t)ts);
	put32(m, caplen);
	put32(m, wirelen);
	put_bytes(m, d, caplen);
	blk_end(m, 1);
}

static void other_block(struct img *m, uint32_t type, size_t body)
{
	size_t i;

	blk_begin(m, type);
	for (i = 0; i < body; i++)
		put8(m, 0xA5);
	blk_end(m, 0);
}

/* Ethernet header to 01:02:03:04:05:06, EtherType IPv4. */
static void eth_hdr(uint8_t *p)
{
	static const uint8_t hdr[] = {
		1, 2, 3, 4, 5, 6, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x08, 0x00,
	};

	memcpy(p, hdr, sizeof(hdr));
}

/* IPv4 / UDP 5000 -> dport with 4 bytes of payload: 32 bytes. */
static void ip_udp(uint8_t *p, unsigned dport)
{
	static const uint8_t ip[] = {
		0x45, 0, 0, 32, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	};

	memcpy(p, ip, sizeof(ip));
	p[20] = 0x13;
	p[21] = 0x88;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
	p[24] = 0;
	p[25] = 12;
	p[26] = 0;
	p[27] = 0;
	memcpy(p + 28, "SIP!", 4);
}

static uint8_t eth5060[46], eth53[46], null5060[36], null53[36], raw5060[32];

static void make_frames(void)
{
	static const uint8_t af_inet_le[4] = { 2, 0, 0, 0 };

	eth_hdr(eth5060);
	ip_udp(eth5060 + 14, 5060);
	eth_hdr(eth53);
	ip_udp(eth53 + 14, 53);
	memcpy(null5060, af_inet_le, 4);
	ip_udp(null5060 + 4, 5060);
	memcpy(null53, af_inet_le, 4);
	ip_udp(null53 + 4, 53);
	ip_udp(raw5060, 5060);
}

/*
 * Two sections: the first in byte order be with Ethernet (ns) and NULL
 * (2^-10 s, +1700000001 s) interfaces, its packets in time order (a
 * section of several interfaces is read through a reorder buffer,
 * test_ng_reorder), the second in the other order with one raw IP
 * interface, stamped earlier.  Fills w with the frames expected and returns their count.
 */
static int build_ng(struct img *m, int be, struct want *w)
{
	int n = 0;

	memset(m, 0, sizeof(*m));
	shb(m, be);
	idb(m, 1, 65535, 9, 0);
	other_block(m, 4, 12);                      /* NRB */
	idb(m, 0, 0, 0x8A, 1700000001u);
	epb(m, 0, 1700000000123456789ull, eth5060, 46, 46);
	w[n++] = (struct want){ DLT_EN10MB, 1700000000123456ll, 46, 46, eth5060 };
	epb(m, 1, (5u << 10) | 512u, null5060, 36, 60);
	w[n++] = (struct want){ DLT_NULL, 1700000006500000ll, 36, 60, null5060 };
	other_block(m, 5, 20);                      /* ISB */
	other_block(m, 0x00000BAD, 9);              /* custom */
	blk_begin(m, 3);                            /* SPB: interface 0, last ts */
	put32(m, 46);
	put_bytes(m, eth53, 46);
	blk_end(m, 1);
	w[n++] = (struct want){ DLT_EN10MB, 1700000006500000ll, 46, 46, eth53 };
	blk_begin(m, 2);                            /* obsolete PB */
	put16(m, 1);
	put16(m, 0);
	put32(m, 0);
	put32(m, 7u * 1024 + 256);
	put32(m, 36);
	put32(m, 36);
	put_bytes(m, null53, 36);
	blk_end(m, 1);
	w[n++] = (struct want){ DLT_NULL, 1700000008250000ll, 36, 36, null53 };
	epb(m, 0, 1700000009000003000ull, (const uint8_t *)"abc", 3, 3);
	w[n++] = (struct want){ DLT_EN10MB, 1700000009000003ll, 3, 3, (const uint8_t *)"abc" };
	other_block(m, 0x0000000A, 8);              /* DSB */
	shb(m, !be);
	idb(m, 101, 1500, -1, 0);
	epb(m, 0, 42, raw5060, 32, 32);
	w[n++] = (struct want){ DLT_RAW, 42ll, 32, 32, raw5060 };
	return n;
}

static void write_file(const void *p, size_t len)
{
	FILE *fp = fopen(tmp_path, "wb");

	if (fp == NULL || fwrite(p, 1, len, fp) != len) {
		perror(tmp_path);
		exit(2);
	}
	fclose(fp);
}

static void check_frame(const struct ct_frame *f, const struct want *w)
{
	CHECK_INT(f->linktype, w->linktype);
	CHECK_INT(f->ts_us, w->ts_us);
	CHECK_INT(f->caplen, w->caplen);
	CHECK_INT(f->wirelen, w->wirelen);
	CHECK(f->caplen == w->caplen && memcmp(f->data, w->data, w->caplen) == 0);
}

/* Reads the whole temp file; returns the final code, errbuf filled. */
static int read_all(struct ct_source *s, const struct want *w, int nw, int *nread, char *errbuf)
{
	struct ct_frame f;
	int rc;

	*nread = 0;
	while ((rc = s->ops->next(s, &f, errbuf)) == 1) {
		if (*nread < nw)
			check_frame(&f, &w[*nread]);
		(*nread)++;
	}
	return rc;
}

static void test_ng_full(int be)
{
	struct img m;
	struct want w[8];
	struct ct_source_stats st;
	struct ct_source *s;
	char err[CT_ERRBUF_SIZE];
	int nw = build_ng(&m, be, w), n, rc;

	write_file(m.b, m.n);
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(s->ops->name, "pcapng");
	rc = read_all(s, w, nw, &n, err);
	CHECK_INT(rc, CT_EOF);
	CHECK_INT(n, nw);
	CHECK_INT(s->ops->next(s, &(struct ct_frame){ 0 }, err), CT_EOF);
	CHECK_INT(s->ops->stats(s, &st), CT_OK);
	CHECK_INT(st.received, nw);
	ct_source_close(s);
}

/* Every prefix of the file: the whole packets in it, then EOF or an error. */
static void test_truncations(const struct img *m, const struct want *w, int nw, size_t hdr_end,
    const char *trunc_msg)
{
	size_t cut;
	int i, bad = 0;

	for (cut = 0; cut <= m->n; cut++) {
		char err[CT_ERRBUF_SIZE];
		struct ct_source *s;
		int expect = 0, boundary = cut == hdr_end, n, rc;

		for (i = 0; i < m->nblk; i++) {
			expect += m->pkt[i] && m->ends[i] <= cut;
			boundary |= m->ends[i] == cut;
		}
		write_file(m->b, cut);
		s = ct_source_open_file(tmp_path, NULL, err);
		if (cut < hdr_end) {
			bad += s != NULL || strstr(err, tmp_path) == NULL;
			ct_source_close(s);
			continue;
		}
		if (s == NULL) {
			bad++;
			fprintf(stderr, "cut %zu: open failed: %s\n", cut, err);
			continue;
		}
		rc = read_all(s, w, nw, &n, err);
		if (n != expect || rc != (boundary ? CT_EOF : CT_ERR) ||
		    (rc == CT_ERR && strstr(err, trunc_msg) == NULL)) {
			bad++;
			fprintf(stderr, "cut %zu: %d packets (want %d), rc %d: %s\n", cut, n, expect, rc,
			    rc == CT_ERR ? err : "");
		}
		ct_source_close(s);
	}
	CHECK_INT(bad, 0);
}

static void test_ng_truncation(int be)
{
	struct img m;
	struct want w[8];
	int nw = build_ng(&m, be, w);

	test_truncations(&m, w, nw, m.ends[0], "truncated pcapng block after ");
}

/* Base image: SHB, Ethernet IDB, one EPB (1 packet); returns its length. */
static size_t build_base(struct img *m)
{
	memset(m, 0, sizeof(*m));
	shb(m, 0);
	idb(m, 1, 65535, -1, 0);
	epb(m, 0, 1000000, eth5060, 46, 46);
	return m->n;
}

struct corrupt_case {
	const char *label;
	uint32_t words[8];  /* little-endian words appended after the base */
	int nwords;
	const char *msg;    /* expected in the error, after the base packet */
};

static const struct corrupt_case corrupt_cases[] = {
	{ "length 8", { 6, 8, 8 }, 3, "bad pcapng block at byte offset 140 after 1 packets" },
	{ "length 13", { 6, 13, 0, 13 }, 4, "with length 13" },
	{ "length 0x7ffffff0", { 6, 0x7ffffff0 }, 2, "with length 2147483632" },
	{ "trailing length", { 0x0BAD, 16, 0, 20 }, 4, "trailing length differs" },
	{ "caplen > block", { 6, 32, 0, 0, 0, 100, 100, 32 }, 8, "captured length 100 exceeds" },
	{ "short EPB", { 6, 20, 0, 0, 20 }, 5, "short packet block" },
	{ "undefined iface", { 6, 32, 7, 0, 0, 0, 0, 32 }, 8, "undefined interface 7" },
	{ "long block cut", { 0x0BAD, 1u << 20, 0 }, 3, "truncated pcapng block after 1 packets" },
	{ "tsresol 10^-20", { 1, 32, 1, 0, 0x00010009, 0x14, 0, 32 }, 8, "unsupported if_tsresol" },
	{ "option overrun", { 1, 32, 1, 0, 0x00400002, 0, 0, 32 }, 8, "overruns the block" },
	{ "bad BOM in 2nd SHB", { 0x0A0D0D0A, 28, 0x11223344, 1, 0, 0, 28 }, 7, "byte-order magic" },
	{ "SHB version 2.0", { 0x0A0D0D0A, 28, 0x1A2B3C4D, 2, 0, 0, 28 }, 7, "version 2.0" },
	{ "IDB over 1 MiB", { 1, 0x00100010, 1, 0 }, 4, "with length 1048592 over 1048576" },
	{ "SHB over 1 MiB", { 0x0A0D0D0A, 0x00100010, 0x1A2B3C4D, 1 }, 4, "over 1048576" },
};

static void test_ng_corrupt(void)
{
	const struct want w = { DLT_EN10MB, 1000000, 46, 46, eth5060 };
	struct img m;
	size_t i;
	int j;

	for (i = 0; i < sizeof(corrupt_cases) / sizeof(corrupt_cases[0]); i++) {
		const struct corrupt_case *cc = &corrupt_cases[i];
		char err[CT_ERRBUF_SIZE], again[CT_ERRBUF_SIZE];
		struct ct_source *s;
		int n, rc;

		build_base(&m);
		for (j = 0; j < cc->nwords; j++)
			put32(&m, cc->words[j]);
		write_file(m.b, m.n);
		s = ct_source_open_file(tmp_path, NULL, err);
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		rc = read_all(s, &w, 1, &n, err);
		CHECK_INT(n, 1);
		CHECK_INT(rc, CT_ERR);
		if (strstr(err, cc->msg) == NULL || strstr(err, tmp_path) == NULL)
			fprintf(stderr, "%s: got '%s'\n", cc->label, err);
		CHECK(strstr(err, cc->msg) != NULL && strstr(err, tmp_path) == err);
		CHECK_INT(s->ops->next(s, &(struct ct_frame){ 0 }, again), CT_ERR);
		CHECK_STR(again, err);
		ct_source_close(s);
	}
}

/*
 * Two interfaces whose packets the file holds in batches out of time order
 * (dumpcap on the two ports of a tap writes each interface's packets as its
 * buffer fills: a 200 OK came before its INVITE, red-team pass 9): read in
 * time order, across batches 4 s long in all (so the 2 s window hands
 * packets out before the end too), each once; a file cut in its last
 * block gives every whole packet, in order, then the error.  A next
 * section of one interface is read in file order, after the first's.
 */
static void test_ng_reorder(void)
{
	const int64_t t0 = INT64_C(1700000000000000);
	struct img m;
	struct ct_frame f;
	struct ct_source *s;
	char err[CT_ERRBUF_SIZE];
	int64_t prev;
	size_t full;
	int b, i, k, n, cut, rc;

	memset(&m, 0, sizeof(m));
	shb(&m, 0);
	idb(&m, 1, 65535, -1, 0);
	idb(&m, 1, 65535, -1, 0);
	for (b = 0; b < 4; b++)
		for (i = 0; i < 2; i++)
			for (k = 0; k < 5; k++)
				epb(&m, (uint32_t)i, (uint64_t)(t0 + b * 1000000 + k * 200000 +
				    i * 100000), eth5060, 46, 46);
	full = m.n;
	shb(&m, 0);
	idb(&m, 1, 65535, -1, 0);
	epb(&m, 0, (uint64_t)(t0 + 5), eth53, 46, 46);
	epb(&m, 0, (uint64_t)(t0 + 3), eth53, 46, 46);
	for (cut = 0; cut < 2; cut++) {
		write_file(m.b, cut ? full - 10 : m.n);
		s = ct_source_open_file(tmp_path, NULL, err);
		CHECK(s != NULL);
		if (s == NULL)
			return;
		n = 0;
		prev = INT64_MIN;
		while ((rc = s->ops->next(s, &f, err)) == 1) {
			if (n < 39 - cut) {
				CHECK_INT(f.ts_us, t0 + (int64_t)n * 100000);
				CHECK(f.caplen == 46 && memcmp(f.data, eth5060, 46) == 0);
			} else if (n == 40) {
				CHECK_INT(f.ts_us, t0 + 5);   /* the next section, as read */
			} else if (n == 41) {
				CHECK_INT(f.ts_us, t0 + 3);
			}
			if (n < 40)
				CHECK(f.ts_us > prev);
			prev = f.ts_us;
			n++;
		}
		CHECK_INT(n, cut ? 39 : 42);
		CHECK_INT(rc, cut ? CT_ERR : CT_EOF);
		ct_source_close(s);
	}

	/*
	 * A 200 OK on interface 1 written before its INVITE on interface 0,
	 * 50 ms apart, then a quiet gap (20 s): still in time order
	 * (red-team pass 11: the buffer handed out one packet per packet read
	 * and, after the gap, the first read first, so the 200 OK went
	 * first).  Every packet due goes before the next is read.
	 */
	{
		static const int64_t ms[] = { 0, 10100, 10050, 30000, 30100, 30200, 30300 };
		static const uint32_t ifc[] = { 0, 1, 0, 0, 1, 0, 1 };
		static const int64_t want[] = { 0, 10050, 10100, 30000, 30100, 30200, 30300 };
		size_t e;

		memset(&m, 0, sizeof(m));
		shb(&m, 0);
		idb(&m, 1, 65535, -1, 0);
		idb(&m, 1, 65535, -1, 0);
		for (e = 0; e < sizeof(ms) / sizeof(ms[0]); e++)
			epb(&m, ifc[e], (uint64_t)(t0 + ms[e] * 1000), eth5060, 46, 46);
		write_file(m.b, m.n);
		s = ct_source_open_file(tmp_path, NULL, err);
		CHECK(s != NULL);
		if (s == NULL)
			return;
		for (n = 0; (rc = s->ops->next(s, &f, err)) == 1; n++)
			if ((size_t)n < sizeof(want) / sizeof(want[0]))
				CHECK_INT(f.ts_us, t0 + want[n] * 1000);
		CHECK_INT(n, 7);
		CHECK_INT(rc, CT_EOF);
		ct_source_close(s);
	}
}

/*
 * A section of one packet then 65537 interface descriptions (20 bytes each;
 * 20 million of them, 1 MB gzipped, took 950 MB, or 3.3 GB and two minutes
 * with a filter): the packet is handed out, then an error naming the file
 * once the section declares more than 65536 interfaces.
 */
static void test_ng_many_ifaces(void)
{
	const struct want w = { DLT_EN10MB, 1000000, 46, 46, eth5060 };
	static const uint8_t idb_le[20] = { 1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0,
	    0xff, 0xff, 0, 0, 20, 0, 0, 0 };
	const char *filters[] = { NULL, "udp" };
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct img m;
	size_t f, i;
	FILE *fp;
	int n, rc;

	build_base(&m);
	write_file(m.b, m.n);
	fp = fopen(tmp_path, "ab");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	for (i = 0; i < 65536; i++)
		fwrite(idb_le, 1, sizeof(idb_le), fp);
	CHECK(fclose(fp) == 0);
	for (f = 0; f < 2; f++) {   /* 65537 interfaces: the base's and 65536 more */
		s = ct_source_open_file(tmp_path, filters[f], err);
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		rc = read_all(s, &w, 1, &n, err);
		CHECK_INT(n, 1);
		CHECK_INT(rc, CT_ERR);
		CHECK(strstr(err, "more than 65536 interfaces in a section") != NULL &&
		    strstr(err, tmp_path) == err);
		ct_source_close(s);
	}
}

struct open_fail_case {
	const char *label;
	const char *bytes;
	size_t len;
	const char *msg;
};

static const struct open_fail_case open_fail_cases[] = {
	{ "empty", "", 0, "empty file, not a pcap or pcapng file" },
	{ "2 bytes", "\x0a\x0d", 2, "under 4 bytes" },
	{ "text", "this is not a capture", 21, ": not a pcap or pcapng file" },
	{ "SHB cut", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c", 10, "truncated pcapng block" },
	{ "SHB bad BOM", "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x01\x02\x03\x04", 12, "byte-order magic" },
	{ "SHB too short", "\x0a\x0d\x0d\x0a\x0c\x00\x00\x00\x4d\x3c\x2b\x1a", 12, "with length 12" },
	{ "pcap header cut", "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8, "truncated pcap file header" },
	{ "pcap version 1",
	  "\xd4\xc3\xb2\xa1\x01\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x01\0\0\0", 24,
	  "unsupported pcap version 1" },
};

static void test_open_errors(void)
{
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	size_t i;
	FILE *fp;

	s = ct_source_open_file("/nonexistent/x.pcap", NULL, err);
	CHECK(s == NULL);
	ct_source_close(s);
	CHECK_STR(err, "cannot read capture '/nonexistent/x.pcap': No such file or directory");
	for (i = 0; i < sizeof(open_fail_cases) / sizeof(open_fail_cases[0]); i++) {
		const struct open_fail_case *oc = &open_fail_cases[i];

		write_file(oc->bytes, oc->len);
		s = ct_source_open_file(tmp_path, NULL, err);
		CHECK(s == NULL);
		if (strstr(err, oc->msg) == NULL)
			fprintf(stderr, "%s: got '%s'\n", oc->label, err);
		CHECK(strstr(err, oc->msg) != NULL && strncmp(err, tmp_path, strlen(tmp_path)) == 0);
		ct_source_close(s);
	}
	/* The pcapng-only entry refuses a classic file. */
	write_file(open_fail_cases[7].bytes, 4);
	fp = fopen(tmp_path, "rb");
	s = ct_source_open_pcapng(fp, "x.pcap", NULL, err);
	CHECK(s == NULL);
	ct_source_close(s);
	CHECK_STR(err, "x.pcap: not a pcapng file");
}

/* Runs the file through filter; checks the frames kept (by wanted index). */
static void check_filter(const char *bpf, const struct want *w, const int *keep, int nkeep)
{
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct ct_frame f;
	int n = 0, rc;

	s = ct_source_open_file(tmp_path, bpf, err);
	CHECK(s != NULL);
	if (s == NULL) {
		fprintf(stderr, "filter '%s': %s\n", bpf, err);
		return;
	}
	while ((rc = s->ops->next(s, &f, err)) == 1) {
		if (n < nkeep)
			check_frame(&f, &w[keep[n]]);
		n++;
	}
	CHECK_INT(rc, CT_EOF);
	CHECK_INT(n, nkeep);
	ct_source_close(s);
}

static void test_ng_filter(void)
{
	static const int sip[] = { 0, 1, 5 }, dns[] = { 2, 3 }, all[] = { 0, 1, 2, 3, 4, 5 };
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct ct_frame f;
	struct want w[8];
	struct img m;

	build_ng(&m, 0, w);
	write_file(m.b, m.n);
	check_filter("udp port 5060", w, sip, 3);
	check_filter("udp port 53", w, dns, 2);
	check_filter("", w, all, 6);
	/*
	 * Compiles for Ethernet, not for the NULL interface: none of that
	 * interface's packets can match it (as a USB interface's cannot match
	 * "udp", red-team pass 9: the whole file was refused), the others are
	 * filtered.
	 */
	s = ct_source_open_file(tmp_path, "ether host 01:02:03:04:05:06", err);
	CHECK(s != NULL);
	if (s != NULL) {
		int rc;

		while ((rc = s->ops->next(s, &f, err)) == 1)
			CHECK(f.linktype != DLT_NULL);
		CHECK_INT(rc, CT_EOF);
	}
	ct_source_close(s);
	s = ct_source_open_file(tmp_path, "not a valid (filter", err);
	CHECK(s == NULL);
	ct_source_close(s);
	CHECK(strstr(err, "bad filter 'not a valid (filter'") != NULL);
	/* An interface of a later section that the filter cannot handle. */
	build_base(&m);
	shb(&m, 0);
	idb(&m, 101, 1500, -1, 0);
	epb(&m, 0, 42, raw5060, 32, 32);
	write_file(m.b, m.n);
	s = ct_source_open_file(tmp_path, "ether dst 01:02:03:04:05:06", err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(s->ops->next(s, &f, err), 1);
	CHECK_INT(f.caplen, 46);
	CHECK_INT(s->ops->next(s, &f, err), CT_EOF);   /* the raw interface's packet cannot match */
	ct_source_close(s);
}

/* Classic pcap: Ethernet (FCS bits set in the link type word), 3 records. */
static int build_pcap(struct img *m, int be, int nsec, struct want *w)
{
	static const struct { uint32_t sec, frac; const uint8_t *d; uint32_t cap, wire; } recs[] = {
		{ 1600000000, 999999, eth5060, 46, 46 },
		{ 1600000001, 0, eth53, 46, 1500 },
		{ 1600000002, 500, (const uint8_t *)"", 0, 60 },
	};
	size_t i;

	memset(m, 0, sizeof(*m));
	m->be = be;
	put32(m, nsec ? 0xA1B23C4D : 0xA1B2C3D4);
	put16(m, 2);
	put16(m, 4);
	put32(m, 0);
	put32(m, 0);
	put32(m, 65535);
	put32(m, 0x14000001);
	for (i = 0; i < 3; i++) {
		put32(m, recs[i].sec);
		put32(m, nsec ? recs[i].frac * 1000 + 999 : recs[i].frac);
		put32(m, recs[i].cap);
		put32(m, recs[i].wire);
		put_bytes(m, recs[i].d, recs[i].cap);
		mark_end(m, 1);
		w[i] = (struct want){ DLT_EN10MB, (int64_t)recs[i].sec * 1000000 + recs[i].frac,
		    recs[i].cap, recs[i].wire, recs[i].d };
	}
	return 3;
}

static void test_pcap_classic(int be, int nsec)
{
	static const int sip[] = { 0 };
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct want w[4];
	struct img m;
	int nw = build_pcap(&m, be, nsec, w), n;

	write_file(m.b, m.n);
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_STR(s->ops->name, "pcapfile");
	CHECK_INT(read_all(s, w, nw, &n, err), CT_EOF);
	CHECK_INT(n, 3);
	ct_source_close(s);
	check_filter("udp dst port 5060", w, sip, 1);
	test_truncations(&m, w, nw, 24, "truncated packet record after ");
}

static void test_pcap_corrupt(void)
{
	const struct want w = { DLT_EN10MB, 1600000000999999ll, 46, 46, eth5060 };
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct want ws[4];
	struct img m;
	int n;

	build_pcap(&m, 0, 0, ws);
	m.n = m.ends[0];
	put32(&m, 1);
	put32(&m, 0);
	put32(&m, 0x40000000);
	put32(&m, 0x40000000);
	write_file(m.b, m.n);
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(read_all(s, &w, 1, &n, err), CT_ERR);
	CHECK_INT(n, 1);
	CHECK(strstr(err, "bad packet record at byte offset 86 after 1 packets: "
	    "captured length 1073741824 exceeds") != NULL);
	ct_source_close(s);
}

/* A 2^-k resolution with k past 44 and a negative if_tsoffset. */
static void test_ng_timestamps(void)
{
	char err[CT_ERRBUF_SIZE];
	struct ct_source *s;
	struct ct_frame f;
	struct img m;

	memset(&m, 0, sizeof(m));
	shb(&m, 1);
	blk_begin(&m, 1);
	put16(&m, 1);
	put16(&m, 0);
	put32(&m, 0);
	put16(&m, 9);
	put16(&m, 1);
	put8(&m, 0x80 | 60);
	pad(&m);
	put16(&m, 14);
	put16(&m, 8);
	put32(&m, 0xffffffff);  /* -10 s, big-endian */
	put32(&m, 0xfffffff6);
	blk_end(&m, 0);
	epb(&m, 0, (12ull << 60) | (3ull << 58), eth5060, 46, 46);  /* 12.75 s */
	write_file(m.b, m.n);
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(s->ops->next(s, &f, err), 1);
	CHECK_INT(f.ts_us, 2750000);
	CHECK_INT(s->ops->next(s, &f, err), CT_EOF);
	ct_source_close(s);
}


/* ---- large files: read-ahead windows ---- */

#define BIG_RECS 400

/* Caplen of record i: mostly small and odd, every 50th larger than a window. */
static uint32_t big_len(int i)
{
	if (i % 50 == 7)
		return RA_BLOCK + 4099u * (uint32_t)(i % 3);
	return (uint32_t)((i * 2654435761u) % 40000u);
}

static uint8_t big_byte(int i, uint32_t j)
{
	return (uint8_t)(i * 31 + j * 7 + (j >> 9));
}

static void put_le32_file(FILE *fp, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	fwrite(b, 1, 4, fp);
}

/*
 * Writes BIG_RECS records to tmp_path, classic pcap or pcapng (one IDB and
 * EPBs), little-endian.  Returns the file size; ends[i] is the offset after
 * record i.
 */
static long write_big(int ng, long *ends)
{
	static uint8_t data[RA_BLOCK + 3 * 4099 + 4];
	FILE *fp = fopen(tmp_path, "wb");
	uint32_t len, j;
	int i;

	if (fp == NULL) {
		perror(tmp_path);
		exit(2);
	}
	if (ng) {
		static const uint8_t shb_idb[] = {
			0x0A, 0x0D, 0x0D, 0x0A, 28, 0, 0, 0, 0x4D, 0x3C, 0x2B, 0x1A, 1, 0, 0, 0,
			0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 28, 0, 0, 0,
			1, 0, 0, 0, 20, 0, 0, 0, 101, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
		};
		fwrite(shb_idb, 1, sizeof(shb_idb), fp);
	} else {
		put_le32_file(fp, 0xA1B2C3D4);
		put_le32_file(fp, 2 | 4u << 16);
		put_le32_file(fp, 0);
		put_le32_file(fp, 0);
		put_le32_file(fp, 0x7fffffff);
		put_le32_file(fp, 101);
	}
	for (i = 0; i < BIG_RECS; i++) {
		len = big_len(i);
		for (j = 0; j < len; j++)
			data[j] = big_byte(i, j);
		if (ng) {
			uint32_t blen = 32 + ((len + 3) & ~3u);

			put_le32_file(fp, 6);
			put_le32_file(fp, blen);
			put_le32_file(fp, 0);
			put_le32_file(fp, 0);
			put_le32_file(fp, (uint32_t)i);
			put_le32_file(fp, len);
			put_le32_file(fp, len + 1);
			memset(data + len, 0, 4);
			fwrite(data, 1, (len + 3) & ~3u, fp);
			put_le32_file(fp, blen);
		} else {
			put_le32_file(fp, 1000);
			put_le32_file(fp, (uint32_t)i);
			put_le32_file(fp, len);
			put_le32_file(fp, len + 1);
			fwrite(data, 1, len, fp);
		}
		ends[i] = ftell(fp);
	}
	if (fclose(fp) != 0) {
		perror(tmp_path);
		exit(2);
	}
	return ends[BIG_RECS - 1];
}

/* Reads s to its end; returns the final code and checks every frame. */
static int read_big(struct ct_source *s, int *n, char *err)
{
	struct ct_frame f;
	uint32_t j;
	int rc, bad = 0;

	*n = 0;
	while ((rc = s->ops->next(s, &f, err)) == 1) {
		if (f.caplen != big_len(*n) || f.wirelen != f.caplen + 1 ||
		    f.ts_us % 1000000 != *n)
			bad++;
		for (j = 0; j < f.caplen && j < big_len(*n); j++)
			if (f.data[j] != big_byte(*n, j)) {
				bad++;
				break;
			}
		(*n)++;
	}
	CHECK_INT(bad, 0);
	return rc;
}

/*
 * A packet of 3 MiB between two small ones, in pcapng (EPB) and classic
 * pcap: only the first MiB of a record is kept (each open file held up to
 * 256 MiB, so a folder of a few such files, 1 MB each gzipped, took 4 GB);
 * the long packet is handed out cut to what was kept, with its wire length,
 * and the packet after it follows.  Cut inside the skipped part: the
 * truncation error after the first packet; a wrong trailing length (read
 * past the part kept) is still caught.
 */
#define LONG_LEN ((3u << 20) + 5)

struct long_case {
	const char *label;
	int ng;
	int damage;          /* 0 none, 1 file cut in the skipped part, 2 bad trailer */
	int frames;
	const char *msg;     /* NULL: a clean end */
};

static const struct long_case long_cases[] = {
	{ "pcapng", 1, 0, 3, NULL },
	{ "pcap", 0, 0, 3, NULL },
	{ "pcapng cut", 1, 1, 1, "truncated pcapng block after 1 packets" },
	{ "pcap cut", 0, 1, 1, "truncated packet record after 1 packets" },
	{ "pcapng trailer", 1, 2, 1, "trailing length differs from block length" },
};

static void put_rec(FILE *fp, int ng, uint32_t sec, const uint8_t *d, uint32_t len,
    uint32_t trailer_xor)
{
	uint32_t blen = 32 + ((len + 3) & ~3u);
	static const uint8_t zero[4];

	if (ng) {
		put_le32_file(fp, 6);
		put_le32_file(fp, blen);
		put_le32_file(fp, 0);
		put_le32_file(fp, 0);
		put_le32_file(fp, sec * 1000000u);
	} else {
		put_le32_file(fp, sec);
		put_le32_file(fp, 0);
	}
	put_le32_file(fp, len);
	put_le32_file(fp, len);
	fwrite(d, 1, len, fp);
	if (ng) {
		fwrite(zero, 1, ((len + 3) & ~3u) - len, fp);
		put_le32_file(fp, blen ^ trailer_xor);
	}
}

static void test_long_records(void)
{
	static const uint8_t shb_idb[] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
	};
	static const uint8_t pcap_hdr[] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 1, 0, 0, 0,
	};
	uint8_t *big = malloc(LONG_LEN);
	size_t i;

	CHECK(big != NULL);
	if (big == NULL)
		return;
	memcpy(big, eth5060, sizeof(eth5060));
	for (i = sizeof(eth5060); i < LONG_LEN; i++)
		big[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof(long_cases) / sizeof(long_cases[0]); i++) {
		const struct long_case *lc = &long_cases[i];
		uint32_t kept = (1u << 20) - (lc->ng ? 28 : 16);
		const struct want w[3] = {
			{ DLT_EN10MB, 1000000, 46, 46, eth5060 },
			{ DLT_EN10MB, 2000000, kept, LONG_LEN, big },
			{ DLT_EN10MB, 3000000, 46, 46, eth5060 },
		};
		char err[CT_ERRBUF_SIZE];
		struct ct_source *s;
		FILE *fp = fopen(tmp_path, "wb");
		int n, rc;

		if (fp == NULL) {
			perror(tmp_path);
			exit(2);
		}
		if (lc->ng)
			fwrite(shb_idb, 1, sizeof(shb_idb), fp);
		else
			fwrite(pcap_hdr, 1, sizeof(pcap_hdr), fp);
		put_rec(fp, lc->ng, 1, eth5060, sizeof(eth5060), 0);
		put_rec(fp, lc->ng, 2, big, LONG_LEN, lc->damage == 2 ? 4 : 0);
		put_rec(fp, lc->ng, 3, eth5060, sizeof(eth5060), 0);
		fclose(fp);
		if (lc->damage == 1)   /* in the middle of the long packet's skipped part */
			CHECK(truncate(tmp_path, (off_t)(2u << 20)) == 0);
		s = ct_source_open_file(tmp_path, NULL, err);
		CHECK(s != NULL);
		if (s == NULL)
			continue;
		rc = read_all(s, w, 3, &n, err);
		if (n != lc->frames)
			fprintf(stderr, "%s: %d frames\n", lc->label, n);
		CHECK_INT(n, lc->frames);
		CHECK_INT(rc, lc->msg == NULL ? CT_EOF : CT_ERR);
		if (lc->msg != NULL && (strstr(err, lc->msg) == NULL || strstr(err, tmp_path) != err))
			fprintf(stderr, "%s: got '%s'\n", lc->label, err);
		CHECK(lc->msg == NULL || (strstr(err, lc->msg) != NULL && strstr(err, tmp_path) == err));
		ct_source_close(s);
	}
	free(big);
}

static void test_big(int ng)
{
	static long ends[BIG_RECS];
	char err[CT_ERRBUF_SIZE], cmd[128];
	struct ct_source *s;
	long size = write_big(ng, ends), cut;
	FILE *fp;
	int n;

	CHECK(size > 4L * RA_BLOCK);
	/* From the file: a reader thread. */
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(read_big(s, &n, err), CT_EOF);
	CHECK_INT(n, BIG_RECS);
	ct_source_close(s);
	/* Through a pipe: short reads in the caller's thread. */
	snprintf(cmd, sizeof(cmd), "cat %s", tmp_path);
	fp = popen(cmd, "r");
	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	s = ct_source_open_savefile(fp, "pipe", NULL, err);
	CHECK(s != NULL);
	if (s != NULL) {
		CHECK_INT(read_big(s, &n, err), CT_EOF);
		CHECK_INT(n, BIG_RECS);
		ct_source_close(s);   /* fclose of a popen() stream also reaps cat */
	}
	/* Truncated inside the record that crosses windows after 4 windows. */
	for (n = 0; n < BIG_RECS && ends[n] < 4L * RA_BLOCK; n++)
		;
	while (n < BIG_RECS && big_len(n + 1) <= RA_BLOCK)
		n++;
	CHECK(n + 1 < BIG_RECS);
	cut = ends[n] + 100;
	CHECK_INT(truncate(tmp_path, cut), 0);
	s = ct_source_open_file(tmp_path, NULL, err);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	{
		int got;

		CHECK_INT(read_big(s, &got, err), CT_ERR);
		CHECK_INT(got, n + 1);
		CHECK(strstr(err, "truncated") != NULL);
	}
	ct_source_close(s);
}

int main(void)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/test_pcapng.XXXXXX");
	fd = mkstemp(tmp_path);
	if (fd < 0) {
		perror("mkstemp");
		return 2;
	}
	close(fd);
	make_frames();
	test_ng_full(0);
	test_ng_full(1);
	test_ng_truncation(0);
	test_ng_truncation(1);
	test_ng_corrupt();
	test_ng_many_ifaces();
	test_ng_reorder();
	test_ng_filter();
	test_ng_timestamps();
	test_pcap_classic(0, 0);
	test_pcap_classic(1, 1);
	test_pcap_corrupt();
	test_open_errors();
	test_big(0);
	test_big(1);
	test_long_records();
	unlink(tmp_path);
	return TEST_REPORT();
}
