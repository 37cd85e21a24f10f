/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Savefile readers: pcapng and classic pcap, from any stdio stream (a file or
 * standard input, which cannot be rewound, so the format is told from the
 * first 4 bytes and those bytes are kept).  libpcap 1.10 refuses pcapng files
 * whose interfaces have different link types; here every frame carries the
 * link type of its own interface.  libpcap is only used to compile BPF
 * filters, one program per interface (pcap_open_dead + pcap_compile), run with
 * pcap_offline_filter.  Workload: captures of any size read once, front to
 * back; one block buffer grown as needed, no allocation per packet.  Every
 * length is checked before use, and a section declares at most MAX_IFACES
 * interfaces (each costs memory and, with a filter, a BPF program).  Only
 * the first KEEP_BLOCK bytes of a block are kept (a longer packet is
 * handed out cut, as by a snaplen; a longer SHB or IDB is malformed), so
 * an open file holds at most that much however long its blocks; a truncated or malformed file yields every
 * good packet before the damage, then CT_ERR naming the file (and the byte
 * offset of a malformed block).  Link types are handed out as DLT_ values, as
 * pcap_datalink() would (LINKTYPE_RAW 101 becomes DLT_RAW).
 * A section of several interfaces may hold their packets in batches out of
 * time order (dumpcap on two interfaces, or the two ports of a tap, writes
 * each interface's packets as its buffer fills: a 200 OK could come before
 * its INVITE): its packets go through a reorder heap (struct ng_heap): a
 * packet is handed out once one stamped NG_REORDER_US later was read, or
 * the heap holds NG_REORDER_FRAMES or NG_REORDER_BYTES, earliest stamp
 * first (ties in file order), so packets within the window of each other
 * come out in time order whatever the gaps between them; a new section
 * first hands out what the last one left held, and so does the end of
 * the file.  A section of one interface is handed out as read, without a
 * copy.
 * References: draft-ietf-opsawg-pcapng (SHB 4.1, IDB 4.2, EPB 4.3, SPB 4.4,
 * obsolete PB appendix, if_tsresol / if_tsoffset options);
 * draft-ietf-opsawg-pcap (classic savefile, micro- and nanosecond magics);
 * https://www.tcpdump.org/linktypes.html.
 */
#include "config.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/cursor.h"
#include "calltap/err.h"
#include "calltap/source.h"
#include "readahead.h"
#include "source_int.h"

#define MAX_BLOCK     (256u << 20)  /* largest block / record accepted */
#define KEEP_BLOCK    (1u << 20)    /* bytes of a block or record kept; the rest
                                       is read past (a packet is cut there) */
#define MAX_IFACES    65536u        /* interfaces of one section (IDBs of 20 bytes
                                       each would otherwise grow without bound) */
#define FILTER_SNAPLEN 262144
#define NG_REORDER_US (2 * INT64_C(1000000))  /* disorder between interfaces taken back */
#define NG_REORDER_FRAMES 131072u             /* held at most, ... */
#define NG_REORDER_BYTES (64u << 20)          /* ... and their bytes */

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_PB  0x00000002u           /* obsolete Packet Block */
#define BT_SPB 0x00000003u
#define BT_EPB 0x00000006u
#define SHB_BOM 0x1A2B3C4Du
#define SHB_MIN_LEN 28u

#define OPT_ENDOFOPT  0
#define OPT_TSRESOL   9
#define OPT_TSOFFSET 14

#define PCAP_MAGIC_US  0xA1B2C3D4u
#define PCAP_MAGIC_NS  0xA1B23C4Du
#define PCAP_MAGIC_KUZ 0xA1B2CD34u  /* "modified" pcap: 8 more bytes per record */
#define PCAP_HDR_LEN 24u

enum sf_format { SF_PCAP, SF_PCAPNG };

struct sf_iface {
	int linktype;           /* DLT_ value */
	uint32_t snaplen;       /* 0 = unlimited */
	int tsres_pow2;         /* resolution 2^-exp s, else 10^-exp s */
	unsigned tsres_exp;
	int64_t tsoffset;       /* seconds added to every timestamp */
	struct bpf_program prog;
	int has_prog;
	int drop_all;           /* the filter cannot be read on this link type: none of its packets matches */
};

struct savefile {
	FILE *fp;
	const char *name;       /* as shown in messages */
	char *bpf;              /* NULL = no filter */
	enum sf_format format;
	int be;                 /* current section / file is big-endian */
	int nsec;               /* classic: nanosecond timestamps */
	size_t rec_hdr;         /* classic: record header length */
	struct ct_readahead *ra;
	const uint8_t *win;     /* current read-ahead window */
	size_t win_len, win_pos;
	const uint8_t *blk;     /* the current block: in win, or in buf */
	int blk_in_win;
	uint8_t *buf;           /* blocks that cross windows are copied here */
	size_t cap;
	size_t blk_len;         /* bytes of the current block (blk) */
	int blk_cut;            /* only its first KEEP_BLOCK bytes were kept */
	uint64_t off;           /* file offset of the next unread byte */
	uint64_t blk_off;       /* file offset of the current block */
	uint64_t nread;         /* packet records read (filtered or not) */
	int sys_errno;          /* errno of the last failed read */
	struct sf_iface *ifs;
	size_t nif, ifcap;
	int64_t last_ts;        /* for SPBs, which carry no timestamp */
	int pending;            /* from open: 1 = block in buf, <0 = end code */
	int end_rc;             /* sticky CT_EOF / CT_ERR once reached */
	int filter_failed;      /* the filter did not compile for an interface */
	struct ng_heap *ro;     /* pcapng: made for the first section of several interfaces */
	int reorder;            /* the current section has several interfaces */
	int ro_flush;           /* a new section: hand out what ro holds first */
	char msg[CT_ERRBUF_SIZE];
};

/* ---- reorder heap ---- */

struct ng_held {
	int64_t ts_us;
	uint64_t seq;           /* read order: ties of stamps keep it */
	struct ct_frame f;      /* f.data: data[] */
	uint8_t data[];
};

struct ng_heap {
	struct ng_held **v;     /* binary min-heap by (ts_us, seq) */
	size_t n, cap, bytes;
	uint64_t seq;
	int64_t newest;         /* the newest stamp read this section */
	struct ng_held *last;   /* handed out by the last get: freed by the next */
};

static int held_before(const struct ng_held *a, const struct ng_held *b)
{
	return a->ts_us != b->ts_us ? a->ts_us < b->ts_us : a->seq < b->seq;
}

static void heap_free(struct ng_heap *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->last);
	free(h->v);
	free(h);
}

/* Takes a copy of f (its data too); CT_OK or CT_NOMEM (f not taken). */
static int heap_put(struct ng_heap *h, const struct ct_frame *f)
{
	struct ng_held *e;
	size_t i;

	if (h->n == h->cap) {
		size_t ncap = h->cap != 0 ? h->cap * 2 : 256;
		struct ng_held **v = realloc(h->v, ncap * sizeof(*v));

		if (v == NULL)
			return CT_NOMEM;
		h->v = v;
		h->cap = ncap;
	}
	if ((e = malloc(sizeof(*e) + f->caplen)) == NULL)
		return CT_NOMEM;
	e->ts_us = f->ts_us;
	e->seq = h->seq++;
	e->f = *f;
	if (f->caplen > 0)
		memcpy(e->data, f->data, f->caplen);
	e->f.data = e->data;
	if (f->ts_us > h->newest)
		h->newest = f->ts_us;
	h->bytes += sizeof(*e) + f->caplen;
	for (i = h->n++; i > 0 && held_before(e, h->v[(i - 1) / 2]); i = (i - 1) / 2)
		h->v[i] = h->v[(i - 1) / 2];
	h->v[i] = e;
	return CT_OK;
}

/*
 * The earliest held packet when it is due (drain: any): one stamped
 * NG_REORDER_US after it was read, or the heap is over its bounds.  1 with
 * *f (valid until the next call), or 0.
 */
static int heap_get(struct ng_heap *h, int drain, struct ct_frame *f)
{
	struct ng_held *top, *e;
	size_t i = 0, c;

	free(h->last);
	h->last = NULL;
	if (h->n == 0)
		return 0;
	top = h->v[0];
	if (!drain && h->n <= NG_REORDER_FRAMES && h->bytes <= NG_REORDER_BYTES &&
	    (h->newest < INT64_MIN + NG_REORDER_US || top->ts_us > h->newest - NG_REORDER_US))
		return 0;
	e = h->v[--h->n];
	while ((c = 2 * i + 1) < h->n) {
		if (c + 1 < h->n && held_before(h->v[c + 1], h->v[c]))
			c++;
		if (!held_before(h->v[c], e))
			break;
		h->v[i] = h->v[c];
		i = c;
	}
	if (h->n > 0)
		h->v[i] = e;
	h->bytes -= sizeof(*top) + top->f.caplen;
	h->last = top;
	*f = top->f;
	return 1;
}

static const uint64_t pow10_tab[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull,
	10000000000000000ull, 100000000000000000ull, 1000000000000000000ull,
	10000000000000000000ull,
};

static uint16_t get16(struct ct_cursor *c, int be)
{
	return be ? ct_get_be16(c) : ct_get_le16(c);
}

static uint32_t get32(struct ct_cursor *c, int be)
{
	return be ? ct_get_be32(c) : ct_get_le32(c);
}

static uint64_t get64(struct ct_cursor *c, int be)
{
	uint64_t a = get32(c, be), b = get32(c, be);

	return be ? a << 32 | b : b << 32 | a;
}

static uint32_t pad4(uint32_t n)
{
	return (n + 3u) & ~3u;
}

/* Savefile LINKTYPE_ values that are not the DLT_ value of the same name. */
static int linktype_to_dlt(uint32_t lt)
{
	switch (lt) {
	case 100:
		return DLT_ATM_RFC1483;
	case 101:
		return DLT_RAW;
	case 108:
		return DLT_LOOP;
	default:
		return (int)lt;
	}
}

static __attribute__((format(printf, 2, 3)))
int sf_bad(struct savefile *sf, const char *fmt, ...)
{
	char why[CT_ERRBUF_SIZE / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(sf->msg, sizeof(sf->msg), "%s: bad %s at byte offset %llu after %llu packets: %s",
	    sf->name, sf->format == SF_PCAPNG ? "pcapng block" : "packet record",
	    (unsigned long long)sf->blk_off, (unsigned long long)sf->nread, why);
	return CT_ERR;
}

/* Turns a fill() result other than CT_OK / CT_EOF into the message. */
static int sf_short(struct savefile *sf, int rc)
{
	if (rc == CT_NOMEM)
		snprintf(sf->msg, sizeof(sf->msg), "%s: out of memory after %llu packets",
		    sf->name, (unsigned long long)sf->nread);
	else if (rc == CT_ERR)
		snprintf(sf->msg, sizeof(sf->msg), "%s: read error after %llu packets: %s",
		    sf->name, (unsigned long long)sf->nread, ct_read_strerror(sf->sys_errno));
	else
		snprintf(sf->msg, sizeof(sf->msg), "%s: truncated %s after %llu packets",
		    sf->name, sf->format == SF_PCAPNG ? "pcapng block" : "packet record",
		    (unsigned long long)sf->nread);
	return CT_ERR;
}

static int grow(struct savefile *sf, size_t n)
{
	size_t cap = sf->cap ? sf->cap : 65536;
	uint8_t *b;

	if (n <= sf->cap)
		return CT_OK;
	while (cap < n)
		cap *= 2;
	b = realloc(sf->buf, cap);
	if (b == NULL)
		return CT_NOMEM;
	sf->buf = b;
	sf->cap = cap;
	return CT_OK;
}

/* Moves to the next read-ahead window: CT_OK, CT_EOF, or CT_ERR (sys_errno). */
static int next_window(struct savefile *sf)
{
	int rc = ct_readahead_next(sf->ra, &sf->win, &sf->win_len, &sf->sys_errno);

	sf->win_pos = 0;
	if (rc > 0)
		return CT_OK;
	sf->win_len = 0;
	return rc == 0 ? CT_EOF : CT_ERR;
}

/*
 * Makes blk[0..need) the current block, of which blk[0..have) is there
 * already (have == 0 starts a new block at the stream position).  A block
 * inside the current window is used in place; one that crosses windows is
 * copied into buf, which grows only as data arrives.  Returns CT_OK; CT_EOF
 * when the stream ended before any byte of the block; CT_PARTIAL when it
 * ended inside; CT_ERR (sys_errno set) on a read error; CT_NOMEM.
 */
static int fill(struct savefile *sf, size_t have, size_t need)
{
	size_t n;
	int rc;

	if (have == 0) {
		if (sf->win_pos == sf->win_len && (rc = next_window(sf)) != CT_OK)
			return rc;
		sf->blk = sf->win + sf->win_pos;
		sf->blk_in_win = 1;
	}
	if (have >= need)
		return CT_OK;
	if (sf->blk_in_win) {
		if (sf->win_len - sf->win_pos >= need - have) {
			sf->win_pos += need - have;
			sf->off += need - have;
			return CT_OK;
		}
		if (grow(sf, have) != CT_OK)
			return CT_NOMEM;
		if (have > 0)
			memcpy(sf->buf, sf->blk, have);
		sf->blk = sf->buf;
		sf->blk_in_win = 0;
	}
	while (have < need) {
		if (sf->win_pos == sf->win_len && (rc = next_window(sf)) != CT_OK)
			return rc == CT_EOF && have > 0 ? CT_PARTIAL : rc;
		n = sf->win_len - sf->win_pos;
		if (n > need - have)
			n = need - have;
		if (grow(sf, have + n) != CT_OK)
			return CT_NOMEM;
		memcpy(sf->buf + have, sf->win + sf->win_pos, n);
		sf->win_pos += n;
		sf->off += n;
		have += n;
	}
	sf->blk = sf->buf;
	return CT_OK;
}

/*
 * Reads past the rest of the current block, of which blk[0..have) is read
 * and skip more bytes follow, without keeping them: blk is moved into buf
 * first (the windows move on).  The last 4 bytes skipped go to tail when it
 * is not NULL (skip >= 4 then).  Returns CT_OK; CT_PARTIAL when the stream
 * ended inside; CT_ERR (sys_errno set) on a read error; CT_NOMEM.
 */
static int skip_rest(struct savefile *sf, size_t have, uint64_t skip, uint8_t *tail)
{
	uint64_t done = 0, n, from;
	int rc;

	if (sf->blk_in_win) {
		if (grow(sf, have) != CT_OK)
			return CT_NOMEM;
		memcpy(sf->buf, sf->blk, have);
		sf->blk = sf->buf;
		sf->blk_in_win = 0;
	}
	while (done < skip) {
		if (sf->win_pos == sf->win_len && (rc = next_window(sf)) != CT_OK)
			return rc == CT_EOF ? CT_PARTIAL : rc;
		n = sf->win_len - sf->win_pos;
		if (n > skip - done)
			n = skip - done;
		from = done > skip - 4 ? done : skip - 4;   /* the tail's bytes in this window */
		if (tail != NULL && done + n > skip - 4)
			memcpy(tail + (from - (skip - 4)), sf->win + sf->win_pos + (from - done),
			    (size_t)(done + n - from));
		sf->win_pos += (size_t)n;
		sf->off += n;
		done += n;
	}
	return CT_OK;
}

static void ifaces_reset(struct savefile *sf)
{
	size_t i;

	for (i = 0; i < sf->nif; i++)
		if (sf->ifs[i].has_prog)
			pcap_freecode(&sf->ifs[i].prog);
	sf->nif = 0;
}

/* Compiles the filter for ifc's link type; CT_ERR with sf->msg set. */
static int iface_compile(struct savefile *sf, struct sf_iface *ifc)
{
	int snaplen = ifc->snaplen > 0 && ifc->snaplen < FILTER_SNAPLEN ?
	    (int)ifc->snaplen : FILTER_SNAPLEN;
	pcap_t *p;

	if (sf->bpf == NULL)
		return CT_OK;
	p = pcap_open_dead(ifc->linktype, snaplen);
	if (p == NULL) {
		snprintf(sf->msg, sizeof(sf->msg), "%s: out of memory", sf->name);
		return CT_ERR;
	}
	if (pcap_compile(p, &ifc->prog, sf->bpf, 1, 0) != 0) {
		pcap_t *eth = pcap_open_dead(DLT_EN10MB, snaplen);
		struct bpf_program ep;

		/*
		 * A filter good on Ethernet that this interface's link type
		 * cannot express ("udp" on USB): no packet of it can match, as
		 * tcpdump's filter would select none; the file's other
		 * interfaces are read.  A filter bad everywhere fails the file.
		 */
		if (eth != NULL && pcap_compile(eth, &ep, sf->bpf, 1, 0) == 0) {
			pcap_freecode(&ep);
			pcap_close(eth);
			pcap_close(p);
			ifc->drop_all = 1;
			return CT_OK;
		}
		if (eth != NULL)
			pcap_close(eth);
		snprintf(sf->msg, sizeof(sf->msg), "%s: bad filter '%s' for link type %d: %s",
		    sf->name, sf->bpf, ifc->linktype, pcap_geterr(p));
		sf->filter_failed = 1;
		pcap_close(p);
		return CT_ERR;
	}
	ifc->has_prog = 1;
	pcap_close(p);
	return CT_OK;
}

/* Appends an interface (microsecond resolution, no offset); NULL on ENOMEM. */
static struct sf_iface *iface_add(struct savefile *sf, uint32_t linktype, uint32_t snaplen)
{
	struct sf_iface *ifc;

	if (sf->nif == sf->ifcap) {
		size_t ncap = sf->ifcap ? sf->ifcap * 2 : 4;
		struct sf_iface *n = realloc(sf->ifs, ncap * sizeof(*n));

		if (n == NULL)
			return NULL;
		sf->ifs = n;
		sf->ifcap = ncap;
	}
	ifc = &sf->ifs[sf->nif++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->linktype = linktype_to_dlt(linktype);
	ifc->snaplen = snaplen;
	ifc->tsres_exp = 6;
	return ifc;
}

/*
 * Converts a timestamp in ifc's units to microseconds (truncating), plus
 * if_tsoffset seconds.  Any 64-bit count and offset is legal in the file, so
 * the result saturates at INT64_MAX / -INT64_MAX instead of overflowing (the
 * engine then clamps it into its range and counts it).
 */
static int64_t iface_ts_us(const struct sf_iface *ifc, uint64_t t)
{
	unsigned k = ifc->tsres_exp;
	uint64_t sec, frac, us;
	int64_t s, r;

	if (ifc->tsres_pow2) {
		sec = k ? t >> k : t;
		frac = k ? t & ((1ull << k) - 1) : 0;
#ifdef __SIZEOF_INT128__
		us = (uint64_t)(((unsigned __int128)frac * 1000000u) >> k);
#else
		us = (uint64_t)((long double)frac * 1e6L / (long double)(1ull << k));
#endif
	} else {
		sec = t / pow10_tab[k];
		frac = t % pow10_tab[k];
		us = k <= 6 ? frac * pow10_tab[6 - k] : frac / pow10_tab[k - 6];
	}
	if (sec > (uint64_t)INT64_MAX)
		return INT64_MAX;
	if (__builtin_add_overflow((int64_t)sec, ifc->tsoffset, &s))
		return INT64_MAX;           /* sec >= 0: only a positive offset overflows */
	if (__builtin_mul_overflow(s, INT64_C(1000000), &r))
		return s < 0 ? -INT64_MAX : INT64_MAX;
	if (__builtin_add_overflow(r, (int64_t)us, &r))
		return INT64_MAX;           /* us >= 0 */
	return r;
}

/*
 * Hands out one packet of interface ifc unless the filter rejects it.
 * Returns 1 (frame filled) or 0 (filtered out).
 */
static int deliver(struct savefile *sf, const struct sf_iface *ifc, int64_t ts_us,
    uint32_t caplen, uint32_t wirelen, const uint8_t *data, struct ct_frame *f)
{
	struct pcap_pkthdr h;

	sf->nread++;
	sf->last_ts = ts_us;
	if (ifc->drop_all)
		return 0;
	if (ifc->has_prog) {
		memset(&h, 0, sizeof(h));
		h.ts.tv_sec = (time_t)(ts_us / 1000000);
		h.ts.tv_usec = (suseconds_t)(ts_us % 1000000);
		h.caplen = caplen;
		h.len = wirelen;
		if (pcap_offline_filter(&ifc->prog, &h, data) == 0)
			return 0;
	}
	f->ts_us = ts_us;
	f->caplen = caplen;
	f->wirelen = wirelen;
	f->linktype = ifc->linktype;
	f->data = data;
	return 1;
}

/* ---- pcapng ---- */

/*
 * Reads one whole block into buf, of which the first `have` bytes are there
 * already.  Returns 1, CT_EOF at a clean end, or CT_ERR with sf->msg set.
 * An SHB sets the byte order from its byte-order magic.
 */
static int ng_read_block(struct savefile *sf, size_t have)
{
	struct ct_cursor c;
	uint32_t type, len, bom, keep;
	uint8_t tail[4];
	size_t hdr = 8;
	int rc;

	sf->blk_off = sf->off - have;
	rc = fill(sf, have, hdr);
	type = 0;
	if (rc == CT_OK) {
		ct_cursor_init(&c, sf->blk, hdr);
		type = get32(&c, sf->be);
	}
	if (rc == CT_OK && type == BT_SHB) {
		hdr = 12;
		rc = fill(sf, 8, hdr);
		if (rc == CT_OK) {
			ct_cursor_init(&c, sf->blk + 8, 4);
			bom = ct_get_be32(&c);
			if (bom != SHB_BOM && bom != 0x4D3C2B1Au)
				return sf_bad(sf, "byte-order magic 0x%08x", (unsigned)bom);
			sf->be = bom == SHB_BOM;
		}
	}
	if (rc == CT_EOF)
		return CT_EOF;
	if (rc != CT_OK)
		return sf_short(sf, rc);
	ct_cursor_init(&c, sf->blk + 4, 4);
	len = get32(&c, sf->be);
	if (len < 12 || len % 4 != 0 || len > MAX_BLOCK || (type == BT_SHB && len < SHB_MIN_LEN))
		return sf_bad(sf, "block type 0x%08x with length %u", (unsigned)type, (unsigned)len);
	if ((type == BT_SHB || type == BT_IDB) && len > KEEP_BLOCK)
		return sf_bad(sf, "block type 0x%08x with length %u over %u", (unsigned)type,
		    (unsigned)len, KEEP_BLOCK);
	keep = len > KEEP_BLOCK ? KEEP_BLOCK : len;   /* keep < len: a packet is cut */
	rc = fill(sf, hdr, keep);
	if (rc == CT_OK && keep < len)
		rc = skip_rest(sf, keep, len - keep, tail);
	if (rc != CT_OK)
		return sf_short(sf, rc == CT_EOF ? CT_PARTIAL : rc);
	ct_cursor_init(&c, keep < len ? tail : sf->blk + len - 4, 4);
	if (get32(&c, sf->be) != len)
		return sf_bad(sf, "trailing length differs from block length %u", (unsigned)len);
	sf->blk_len = keep < len ? keep + 4 : len;   /* as if the block ended there */
	sf->blk_cut = keep < len;
	return 1;
}

static int ng_section(struct savefile *sf, struct ct_cursor *c)
{
	uint16_t major, minor;

	ct_skip(c, 4);
	major = get16(c, sf->be);
	minor = get16(c, sf->be);
	ct_skip(c, 8);
	if (c->short_read)
		return sf_bad(sf, "short section header");
	if (major != 1)
		return sf_bad(sf, "unsupported pcapng version %u.%u", major, minor);
	ifaces_reset(sf);
	sf->reorder = 0;
	if (sf->ro != NULL && sf->ro->n > 0)
		sf->ro_flush = 1;
	return 0;
}

/* if_tsresol (1 byte) and if_tsoffset (8 bytes); other options are skipped. */
static int ng_iface_option(struct savefile *sf, struct sf_iface *ifc, uint16_t code,
    struct ct_cursor *v, uint16_t olen)
{
	uint8_t r;

	if (code == OPT_TSRESOL) {
		if (olen != 1)
			return sf_bad(sf, "if_tsresol of %u bytes", olen);
		r = ct_get_u8(v);
		ifc->tsres_pow2 = (r & 0x80) != 0;
		ifc->tsres_exp = r & 0x7F;
		if (ifc->tsres_exp > (ifc->tsres_pow2 ? 63u : 19u))
			return sf_bad(sf, "unsupported if_tsresol 0x%02x", r);
	} else if (code == OPT_TSOFFSET) {
		if (olen != 8)
			return sf_bad(sf, "if_tsoffset of %u bytes", olen);
		ifc->tsoffset = (int64_t)get64(v, sf->be);
	}
	return 0;
}

static int ng_iface(struct savefile *sf, struct ct_cursor *c)
{
	struct sf_iface *ifc;
	struct ct_cursor v;
	uint16_t lt, code, olen;
	uint32_t snaplen;

	lt = get16(c, sf->be);
	ct_skip(c, 2);
	snaplen = get32(c, sf->be);
	if (c->short_read)
		return sf_bad(sf, "short interface description");
	if (sf->nif >= MAX_IFACES)
		return sf_bad(sf, "more than %u interfaces in a section", MAX_IFACES);
	ifc = iface_add(sf, lt, snaplen);
	if (ifc == NULL)
		return sf_short(sf, CT_NOMEM);
	if (sf->nif == 2 && !sf->reorder) {
		if (sf->ro == NULL)
			sf->ro = calloc(1, sizeof(*sf->ro));
		sf->reorder = sf->ro != NULL;   /* out of memory: read in file order */
		if (sf->ro != NULL)
			sf->ro->newest = INT64_MIN;
	}
	while (ct_cursor_left(c) >= 4) {
		code = get16(c, sf->be);
		olen = get16(c, sf->be);
		if (code == OPT_ENDOFOPT)
			break;
		if (olen > ct_cursor_left(c))
			return sf_bad(sf, "option %u of %u bytes overruns the block", code, olen);
		ct_cursor_init(&v, c->p, olen);
		if (ng_iface_option(sf, ifc, code, &v, olen) != 0)
			return CT_ERR;
		ct_skip(c, pad4(olen) <= ct_cursor_left(c) ? pad4(olen) : olen);
	}
	return iface_compile(sf, ifc);
}

static struct sf_iface *ng_iface_get(struct savefile *sf, uint32_t id)
{
	if (id >= sf->nif) {
		sf_bad(sf, "packet for undefined interface %u (%zu defined)", (unsigned)id, sf->nif);
		return NULL;
	}
	return &sf->ifs[id];
}

/* Enhanced Packet Block (type 6) and the obsolete Packet Block (type 2). */
static int ng_packet(struct savefile *sf, struct ct_cursor *c, uint32_t type, struct ct_frame *f)
{
	struct sf_iface *ifc;
	uint32_t id, caplen, wirelen;
	uint64_t ts;

	if (type == BT_EPB) {
		id = get32(c, sf->be);
	} else {
		id = get16(c, sf->be);
		ct_skip(c, 2);
	}
	ts = (uint64_t)get32(c, sf->be) << 32;  /* high word first in either order */
	ts |= get32(c, sf->be);
	caplen = get32(c, sf->be);
	wirelen = get32(c, sf->be);
	if (c->short_read)
		return sf_bad(sf, "short packet block");
	if (caplen > ct_cursor_left(c) && sf->blk_cut)
		caplen = (uint32_t)ct_cursor_left(c);
	if (caplen > ct_cursor_left(c))
		return sf_bad(sf, "captured length %u exceeds the block", (unsigned)caplen);
	ifc = ng_iface_get(sf, id);
	if (ifc == NULL)
		return CT_ERR;
	return deliver(sf, ifc, iface_ts_us(ifc, ts), caplen, wirelen, c->p, f);
}

/* Simple Packet Block: interface 0, the last timestamp seen. */
static int ng_simple(struct savefile *sf, struct ct_cursor *c, struct ct_frame *f)
{
	struct sf_iface *ifc;
	uint32_t caplen, wirelen;

	wirelen = get32(c, sf->be);
	if (c->short_read)
		return sf_bad(sf, "short simple packet block");
	ifc = ng_iface_get(sf, 0);
	if (ifc == NULL)
		return CT_ERR;
	caplen = wirelen;
	if (ifc->snaplen != 0 && caplen > ifc->snaplen)
		caplen = ifc->snaplen;
	if (caplen > ct_cursor_left(c))
		caplen = (uint32_t)ct_cursor_left(c);
	return deliver(sf, ifc, sf->last_ts, caplen, wirelen, c->p, f);
}

static uint32_t block_type(const struct savefile *sf)
{
	struct ct_cursor c;

	ct_cursor_init(&c, sf->blk, 4);
	return get32(&c, sf->be);
}

/* Acts on the block in buf: 1 = frame, 0 = nothing to hand out, CT_ERR. */
static int ng_process(struct savefile *sf, struct ct_frame *f)
{
	struct ct_cursor c;
	uint32_t type;

	ct_cursor_init(&c, sf->blk + 8, sf->blk_len - 12);
	type = block_type(sf);
	switch (type) {
	case BT_SHB:
		return ng_section(sf, &c);
	case BT_IDB:
		return ng_iface(sf, &c);
	case BT_EPB:
	case BT_PB:
		return ng_packet(sf, &c, type, f);
	case BT_SPB:
		return ng_simple(sf, &c, f);
	default:
		return 0;  /* NRB, ISB, DSB, custom, unknown: skipped */
	}
}

/* Records the end of the stream (sticky) and copies its message out. */
static int sf_end(struct savefile *sf, int rc, char *errbuf)
{
	sf->end_rc = rc;
	if (rc == CT_ERR)
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s", sf->msg);
	return rc;
}

/*
 * The next packet: read (ng_process), or through the reorder buffer while
 * the section has several interfaces.  What the buffer holds is handed out
 * before a new section's packets and before the end (or the damage) of
 * the file.
 */
static int ng_next(struct ct_source *s, struct ct_frame *f, char *errbuf)
{
	struct savefile *sf = s->priv;
	int rc;

	for (;;) {
		if (sf->ro != NULL && (sf->ro_flush || sf->end_rc != 0)) {
			if (heap_get(sf->ro, 1, f) == 1)
				break;
			sf->ro_flush = 0;
		}
		if (sf->end_rc != 0)
			return sf_end(sf, sf->end_rc, errbuf);
		if (sf->reorder && heap_get(sf->ro, 0, f) == 1)
			break;              /* every packet due goes before the next is read */
		do {
			rc = sf->pending != 0 ? sf->pending : ng_read_block(sf, 0);
			sf->pending = 0;
			if (rc == 1)
				rc = ng_process(sf, f);
		} while (rc == 0 && !sf->ro_flush);
		if (rc == 0)
			continue;           /* a new section: the last one's packets first */
		if (rc != 1) {
			sf->end_rc = rc;    /* after what the buffer holds */
			continue;
		}
		if (!sf->reorder)
			break;
		if (heap_put(sf->ro, f) != CT_OK)
			break;              /* out of memory: this one goes as read */
	}
	s->frames++;
	return 1;
}

/* ---- classic pcap ---- */

static int pcap_rec_next(struct ct_source *s, struct ct_frame *f, char *errbuf)
{
	struct savefile *sf = s->priv;
	struct ct_cursor c;
	uint32_t sec, frac, caplen, wirelen, keep;
	int rc;

	if (sf->end_rc != 0)
		return sf_end(sf, sf->end_rc, errbuf);
	do {
		sf->blk_off = sf->off;
		rc = fill(sf, 0, sf->rec_hdr);
		if (rc != CT_OK)
			return sf_end(sf, rc == CT_EOF ? CT_EOF : sf_short(sf, rc), errbuf);
		ct_cursor_init(&c, sf->blk, sf->rec_hdr);
		sec = get32(&c, sf->be);
		frac = get32(&c, sf->be);
		caplen = get32(&c, sf->be);
		wirelen = get32(&c, sf->be);
		if (caplen > MAX_BLOCK)
			return sf_end(sf, sf_bad(sf, "captured length %u exceeds %u",
			    (unsigned)caplen, MAX_BLOCK), errbuf);
		keep = caplen > KEEP_BLOCK - sf->rec_hdr ? KEEP_BLOCK - (uint32_t)sf->rec_hdr : caplen;
		rc = fill(sf, sf->rec_hdr, sf->rec_hdr + keep);
		if (rc == CT_OK && keep < caplen)   /* cut, as by a snaplen */
			rc = skip_rest(sf, sf->rec_hdr + keep, caplen - keep, NULL);
		caplen = keep;
		if (rc != CT_OK)
			return sf_end(sf, sf_short(sf, rc == CT_EOF ? CT_PARTIAL : rc), errbuf);
		rc = deliver(sf, &sf->ifs[0], (int64_t)sec * 1000000 + (sf->nsec ? frac / 1000 : frac),
		    caplen, wirelen, sf->blk + sf->rec_hdr, f);
	} while (rc == 0);
	s->frames++;
	return 1;
}

/* ---- shared ---- */

static int sf_stats(struct ct_source *s, struct ct_source_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->received = s->frames;
	return CT_OK;
}

static void sf_free(struct savefile *sf)
{
	if (sf == NULL)
		return;
	ifaces_reset(sf);
	heap_free(sf->ro);
	if (sf->fp != NULL && sf->fp != stdin)
		fclose(sf->fp);
	free(sf->ifs);
	ct_readahead_free(sf->ra);
	free(sf->buf);
	free(sf->bpf);
	free(sf);
}

static void sf_close(struct ct_source *s)
{
	sf_free(s->priv);
	s->priv = NULL;
}

static const struct ct_source_ops pcapng_ops = {
	.name = "pcapng",
	.next = ng_next,
	.stats = sf_stats,
	.close = sf_close,
};

static const struct ct_source_ops pcapfile_ops = {
	.name = "pcapfile",
	.next = pcap_rec_next,
	.stats = sf_stats,
	.close = sf_close,
};

static int is_packet_block(uint32_t type)
{
	return type == BT_EPB || type == BT_PB || type == BT_SPB;
}

/*
 * Opens a pcapng stream whose first 4 bytes are in buf: reads the blocks up
 * to the first packet block, so that a filter that does not compile for an
 * interface declared there is reported now.  What ended that look-ahead (a
 * packet block, the end, or damage) is kept for the first next().
 */
static int ng_open(struct savefile *sf)
{
	struct ct_frame unused;
	int rc;

	sf->format = SF_PCAPNG;
	rc = ng_read_block(sf, 4);
	if (rc != 1 || ng_process(sf, &unused) != 0)
		return CT_ERR;
	for (;;) {
		rc = ng_read_block(sf, 0);
		if (rc != 1 || is_packet_block(block_type(sf)))
			break;
		rc = ng_process(sf, &unused);
		if (rc != 0)
			break;
	}
	if (sf->filter_failed)
		return CT_ERR;
	sf->pending = rc;
	return CT_OK;
}

static int pcap_open_classic(struct savefile *sf, uint32_t magic_be)
{
	struct ct_cursor c;
	uint32_t magic, snaplen, linktype;
	uint16_t major;
	int rc;

	sf->format = SF_PCAP;
	sf->be = magic_be == PCAP_MAGIC_US || magic_be == PCAP_MAGIC_NS || magic_be == PCAP_MAGIC_KUZ;
	rc = fill(sf, 4, PCAP_HDR_LEN);
	if (rc != CT_OK) {
		snprintf(sf->msg, sizeof(sf->msg), "%s: truncated pcap file header", sf->name);
		return CT_ERR;
	}
	ct_cursor_init(&c, sf->blk, PCAP_HDR_LEN);
	magic = get32(&c, sf->be);
	major = get16(&c, sf->be);
	ct_skip(&c, 2 + 4 + 4);
	snaplen = get32(&c, sf->be);
	linktype = get32(&c, sf->be) & 0x03FFFFFFu;
	if (major < 2) {
		snprintf(sf->msg, sizeof(sf->msg), "%s: unsupported pcap version %u", sf->name, major);
		return CT_ERR;
	}
	sf->nsec = magic == PCAP_MAGIC_NS;
	sf->rec_hdr = magic == PCAP_MAGIC_KUZ ? 24 : 16;
	if (iface_add(sf, linktype, snaplen) == NULL)
		return sf_short(sf, CT_NOMEM);
	return iface_compile(sf, &sf->ifs[0]);
}

static int is_pcap_magic(uint32_t m)
{
	static const uint32_t magics[] = { PCAP_MAGIC_US, PCAP_MAGIC_NS, PCAP_MAGIC_KUZ };
	size_t i;

	for (i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (m == magics[i] || m == __builtin_bswap32(magics[i]))
			return 1;
	return 0;
}

/* 1 when the first n bytes at b start a pcap (any magic) or pcapng file. */
int ct_savefile_magic(const uint8_t *b, size_t n)
{
	uint32_t m;

	if (n < 4)
		return 0;
	m = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
	return m == BT_SHB || is_pcap_magic(m);
}

/* Reads the magic and the file / section header; CT_ERR with sf->msg set. */
static int sf_open_format(struct savefile *sf, int allow_pcap)
{
	struct ct_cursor c;
	uint32_t magic;
	int rc;

	rc = fill(sf, 0, 4);
	if (rc == CT_ERR) {
		snprintf(sf->msg, sizeof(sf->msg), "cannot read capture '%s': %s", sf->name,
		    ct_read_strerror(sf->sys_errno));
		return CT_ERR;
	}
	if (rc != CT_OK) {
		snprintf(sf->msg, sizeof(sf->msg), "%s: %s, not a pcap or pcapng file", sf->name,
		    rc == CT_EOF ? "empty file" : "under 4 bytes");
		return rc == CT_NOMEM ? sf_short(sf, rc) : CT_ERR;
	}
	ct_cursor_init(&c, sf->blk, 4);
	magic = ct_get_be32(&c);
	if (magic == BT_SHB)
		return ng_open(sf);
	if (allow_pcap && is_pcap_magic(magic))
		return pcap_open_classic(sf, magic);
	snprintf(sf->msg, sizeof(sf->msg), "%s: not a %s file", sf->name,
	    allow_pcap ? "pcap or pcapng" : "pcapng");
	return CT_ERR;
}

static struct ct_source *open_stream(FILE *fp, const char *name, const char *bpf,
    char *errbuf, int allow_pcap)
{
	struct ct_source *s = calloc(1, sizeof(*s));
	struct savefile *sf = calloc(1, sizeof(*sf));

	if (s == NULL || sf == NULL || (s->name = strdup(name)) == NULL ||
	    (bpf != NULL && *bpf != '\0' && (sf->bpf = strdup(bpf)) == NULL)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: out of memory", name);
		if (sf != NULL)
			sf->fp = fp;
		else if (fp != stdin)
			fclose(fp);
		goto fail;
	}
	sf->fp = fp;
	sf->name = strcmp(name, "-") == 0 ? "standard input" : s->name;
	if ((sf->ra = ct_readahead_new(fp)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: out of memory", sf->name);
		goto fail;
	}
	if (sf_open_format(sf, allow_pcap) != CT_OK) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s", sf->msg);
		goto fail;
	}
	s->ops = sf->format == SF_PCAPNG ? &pcapng_ops : &pcapfile_ops;
	s->priv = sf;
	return s;
fail:
	sf_free(sf);
	if (s != NULL)
		free(s->name);
	free(s);
	return NULL;
}

/*
 * Opens a pcapng stream (draft-ietf-opsawg-pcapng) read from fp, which it
 * owns from now on (closed by ct_source_close or on failure, except stdin).
 * name ("-" for standard input) names the file in messages; bpf may be NULL
 * or "" for no filter, else it is compiled per interface and a filter that
 * does not compile for the interfaces after the first section header fails
 * the open.  Returns NULL with a message in errbuf on failure.
 */
struct ct_source *ct_source_open_pcapng(FILE *fp, const char *name, const char *bpf,
    char *errbuf)
{
	return open_stream(fp, name, bpf, errbuf, 0);
}

/*
 * As ct_source_open_pcapng, but a classic pcap stream (both byte orders,
 * micro- or nanosecond magic) is read as well.
 */
struct ct_source *ct_source_open_savefile(FILE *fp, const char *name, const char *bpf,
    char *errbuf)
{
	return open_stream(fp, name, bpf, errbuf, 1);
}
