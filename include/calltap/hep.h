/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HEP v3 (the Homer Encapsulation Protocol, "HEP3"): a captured message
 * with its addresses, ports and capture time, as a list of typed chunks.
 * All integers are in network byte order.  A packet is
 *
 *   "HEP3"  total length (16 bits, header included)  chunk...
 *   chunk:  vendor (16, 0 = generic)  type (16)  length (16, the 6-byte
 *           chunk header included)  value
 *
 * The encoder and decoder (src/hep/hep.c) are pure functions over buffers.
 * The sender (src/hep/hep_out.c) is what --hep runs: the capture thread
 * encodes a message into a bounded queue and never waits; a thread of its
 * own sends the queue over UDP (one datagram per message) or TCP (a stream).
 */
#ifndef CALLTAP_HEP_H
#define CALLTAP_HEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/log.h"
#include "calltap/packet.h"

#define CT_HEP_MAX 65535u        /* the 16-bit total length bounds a packet */
#define CT_HEP_PROTO_SIP 1       /* chunk 0x000b: protocol type */

/* Generic chunk types (vendor 0). */
enum ct_hep_chunk {
	CT_HEP_IP_FAMILY = 0x0001,   /* 8 bits: 2 = IPv4, 10 = IPv6 */
	CT_HEP_IP_PROTO = 0x0002,    /* 8 bits: 17 UDP, 6 TCP */
	CT_HEP_IPV4_SRC = 0x0003,
	CT_HEP_IPV4_DST = 0x0004,
	CT_HEP_IPV6_SRC = 0x0005,
	CT_HEP_IPV6_DST = 0x0006,
	CT_HEP_SRC_PORT = 0x0007,    /* 16 bits */
	CT_HEP_DST_PORT = 0x0008,
	CT_HEP_TS_SEC = 0x0009,      /* 32 bits */
	CT_HEP_TS_USEC = 0x000a,     /* 32 bits */
	CT_HEP_PROTO_TYPE = 0x000b,  /* 8 bits: 1 = SIP */
	CT_HEP_CAPTURE_ID = 0x000c,  /* 32 bits */
	CT_HEP_AUTH_KEY = 0x000e,    /* string */
	CT_HEP_PAYLOAD = 0x000f,     /* the captured message */
	CT_HEP_CORRELATION = 0x0011  /* string: for SIP, the Call-ID */
};

/* One message, encoded or decoded.  Strings are not NUL-terminated. */
struct ct_hep_msg {
	struct ct_tuple t;           /* family 4/6, addresses, ports, proto UDP/TCP */
	int64_t ts_us;               /* capture time, microseconds since the epoch (>= 0) */
	uint8_t proto_type;          /* CT_HEP_PROTO_SIP */
	uint32_t capture_id;
	const char *auth_key;        /* NULL: no chunk */
	size_t auth_key_len;
	const char *correlation;     /* NULL: no chunk */
	size_t correlation_len;
	const uint8_t *payload;
	size_t payload_len;
};

/*
 * Encodes m into out (cap bytes); returns the packet's length, or 0 when
 * it does not fit in cap or in CT_HEP_MAX, or when the address family is
 * neither 4 nor 6.  Chunk order: family, proto, src, dst, ports, times,
 * protocol type, capture id, auth key, correlation id, payload.
 */
size_t ct_hep_encode(const struct ct_hep_msg *m, uint8_t *out, size_t cap);

/*
 * Decodes one whole packet (len bytes, exactly its total length); m's
 * pointers point into buf.  Unknown and vendor chunks are skipped.
 * Returns CT_OK, or CT_ERR when the packet is malformed (bad magic or
 * length, a chunk past the end or of the wrong size, no family, addresses,
 * ports or payload).
 */
int ct_hep_decode(const uint8_t *buf, size_t len, struct ct_hep_msg *m);

/*
 * For a stream: the total length of the packet buf starts with, 0 when the
 * 6-byte header is not all there yet, -1 when it is not a HEP v3 header.
 */
long ct_hep_frame_len(const uint8_t *buf, size_t len);

/* --hep: the sender. */
struct ct_hep_out_cfg {
	const char *host;            /* name or address */
	const char *port;
	bool tcp;                    /* false: UDP */
	uint32_t capture_id;
	const char *password;        /* NULL: no auth key chunk */
	size_t max_queue;            /* messages queued at most (0: 4096) */
	size_t max_bytes;            /* bytes queued at most (0: 16 MiB) */
	struct ct_log log;
};

struct ct_hep_out;

struct ct_hep_out_stats {
	uint64_t sent;               /* packets sent whole */
	uint64_t dropped;            /* not sent: queue full, too big, send failed, not connected */
};

/* Resolves the collector and starts the sender thread; NULL with errbuf (CT_ERRBUF_SIZE) set. */
struct ct_hep_out *ct_hep_out_new(const struct ct_hep_out_cfg *cfg, char *errbuf);
/*
 * Capture thread: queues one SIP message (text, len) seen in pkt (its
 * tuple and time; proto from transport: UDP, else TCP).  Never blocks on
 * the network: a full queue drops the message (counted).
 */
void ct_hep_out_sip(struct ct_hep_out *h, const struct ct_packet *pkt, const char *text,
    size_t len, bool tcp);
void ct_hep_out_get_stats(struct ct_hep_out *h, struct ct_hep_out_stats *st);
/*
 * Sends what is queued (TCP: each send waits 5 s at most) and stops the
 * thread; the counts stay readable, nothing more may be queued.  Once only
 * matters: later calls do nothing.  NULL is a no-op.
 */
void ct_hep_out_close(struct ct_hep_out *h);
/* ct_hep_out_close, then frees.  NULL is a no-op. */
void ct_hep_out_free(struct ct_hep_out *h);

#endif
