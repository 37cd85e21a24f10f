/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stateful reassembly stages that run after the stateless decoders:
 * IPv4/IPv6 fragment reassembly (RFC 791, RFC 8200 §4.5, RFC 815) and
 * per-direction TCP byte streams (RFC 9293) feeding the SIP framer.
 * Both copy what they keep and are bounded in memory and time; a limit hit
 * is recorded as an event on the packet and counted, never fatal.
 */
#ifndef CALLTAP_REASM_H
#define CALLTAP_REASM_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/packet.h"

/* ---- IP fragments ------------------------------------------------------ */

struct ct_ipfrag_limits {
	size_t max_datagrams;   /* datagrams under reassembly at once (default 4096) */
	size_t max_bytes;       /* bytes held over all datagrams (default 16 MiB) */
	int64_t timeout_us;     /* drop an incomplete datagram after this (default 30 s) */
};

struct ct_ipfrag_stats {
	uint64_t fragments;     /* fragments accepted */
	uint64_t reassembled;   /* datagrams completed */
	uint64_t timeouts;      /* incomplete datagrams dropped by timeout */
	uint64_t dropped;       /* fragments dropped: overlap, limit, too big */
	size_t pending;         /* datagrams under reassembly now */
	size_t bytes;           /* bytes held now */
	uint64_t hole_steps;    /* hole descriptors visited (a work counter for tests) */
};

struct ct_ipfrag;

void ct_ipfrag_limits_default(struct ct_ipfrag_limits *lim);
struct ct_ipfrag *ct_ipfrag_new(const struct ct_ipfrag_limits *lim);
void ct_ipfrag_free(struct ct_ipfrag *f);
int ct_ipfrag_add(struct ct_ipfrag *f, struct ct_packet *pkt, uint8_t **out, size_t *out_len);
void ct_ipfrag_expire(struct ct_ipfrag *f, int64_t now_us);
void ct_ipfrag_get_stats(const struct ct_ipfrag *f, struct ct_ipfrag_stats *st);

/* ---- TCP streams ------------------------------------------------------- */

struct ct_tcp_limits {
	size_t max_streams;     /* directions tracked at once (default 65536) */
	size_t max_buffer;      /* unconsumed in-order bytes per direction (default 256 KiB) */
	size_t max_ooo_bytes;   /* out-of-order bytes held per direction (default 256 KiB) */
	int64_t idle_us;        /* forget an idle direction after this (default 300 s) */
};

struct ct_tcp_stats {
	uint64_t segments;      /* segments with payload seen */
	uint64_t retransmitted; /* segments wholly before the next expected byte */
	uint64_t out_of_order;  /* segments held for later */
	uint64_t gaps;          /* holes skipped (data lost) */
	uint64_t late_filled;   /* segments of a hole skipped at a message start, delivered late */
	uint64_t overflows;     /* buffers dropped because a limit was hit */
	uint64_t expired;       /* directions forgotten by idle timeout */
	uint64_t ooo_steps;     /* out-of-order tree nodes visited (work, O(n log n)) */
	uint64_t refused;       /* data, FIN, RST or SYN not of the connection (blind spoofing) */
	uint64_t reanchored;    /* directions moved to a new sequence space (new connection, resync) */
	size_t streams;         /* directions tracked now */
};

/*
 * The consumer's memory of one direction, so that it never rescans bytes it
 * has already examined when more arrive (a SIP message sent a few bytes per
 * segment would otherwise cost O(n^2)).  Offsets are relative to the start
 * of the unconsumed bytes handed in.  The reassembler zeroes it when a
 * direction starts and whenever the unconsumed bytes are discarded (gap
 * skipped, buffer overflow, new connection), except `mode`, which only a new
 * connection resets; otherwise only the consumer changes it, and must keep
 * it consistent with what it consumes.
 */
struct ct_tcp_scan {
	size_t done;            /* bytes already examined */
	size_t need;            /* bytes wanted before examining again (0 = any) */
	int phase;              /* consumer-defined, 0 = at the start of a unit */
	int mode;               /* consumer-defined stream mode (SIP, WebSocket), kept across gaps */
	size_t sniffed;         /* consumer-defined: bytes searched for another framing */
	uint64_t work;          /* bytes the consumer examined (a work counter for tests) */
};

/*
 * Consumer of in-order stream bytes.  `data` holds every byte not yet
 * consumed, in order; the callback returns how many of them it consumed
 * (0..len).  The remainder is handed again, with more data appended, when the
 * next segment arrives.  `pkt` is the packet that completed the data (tuple,
 * time, vlan).  `gap` is true when bytes were lost just before `data`.
 * `scan` is the direction's struct ct_tcp_scan.
 */
typedef size_t (*ct_tcp_data_fn)(void *user, const struct ct_packet *pkt,
    const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan);

struct ct_tcp_reasm;

void ct_tcp_limits_default(struct ct_tcp_limits *lim);
struct ct_tcp_reasm *ct_tcp_reasm_new(const struct ct_tcp_limits *lim,
    ct_tcp_data_fn fn, void *user);
void ct_tcp_reasm_free(struct ct_tcp_reasm *r);
/*
 * Resynchronisation at a message start: when a segment arrives ahead of a
 * hole while every byte before the hole was consumed (the consumer stands
 * between two messages) and starts_message(segment) says it begins a
 * message, the hole is declared lost at once (a gap, counted) instead of
 * held for a segment that a lossy capture, or a per-call capture of a
 * connection shared by several calls, never brings.  NULL: off (the default).
 */
typedef bool (*ct_tcp_start_fn)(const uint8_t *data, size_t len);
void ct_tcp_reasm_set_resync(struct ct_tcp_reasm *r, ct_tcp_start_fn starts_message);
void ct_tcp_reasm_feed(struct ct_tcp_reasm *r, struct ct_packet *pkt);
void ct_tcp_reasm_expire(struct ct_tcp_reasm *r, int64_t now_us);
void ct_tcp_reasm_get_stats(const struct ct_tcp_reasm *r, struct ct_tcp_stats *st);

#endif
