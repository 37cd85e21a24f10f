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
 * The collector (src/hep/hep_in.c) is what --hep-listen runs: a packet
 * source (source.h) that receives HEP over UDP and TCP and hands each SIP
 * message on as a frame rebuilt from the chunks' addresses, ports,
 * transport and time.
 */
#ifndef CALLTAP_HEP_H
#define CALLTAP_HEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/log.h"
#include "calltap/packet.h"
#include "calltap/record.h"
#include "calltap/source.h"

#define CT_HEP_MAX 65535u        /* the 16-bit total length bounds a packet */
#define CT_HEP_PROTO_SIP 1       /* chunk 0x000b: protocol type */
#define CT_HEP_PROTO_QOS 34      /* chunk 0x000b: per-stream quality report (JSON),
                                    the type RTP agents use and Homer charts (docs/hep.md) */

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
	bool ts_seen;                /* decoded: a seconds chunk was there (else ts_us is 0) */
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

/* --hep-listen: the collector, a live packet source (hep_in.c). */
struct ct_hep_in_cfg {
	const char *addr;            /* address to bind; NULL or "": every address (IPv6 and IPv4) */
	const char *port;
	const char *password;        /* NULL: any auth key; else packets must carry it */
	size_t max_conns;            /* TCP connections at once (0: 64); see hep_in.c */
	int64_t reorder_us;          /* SIP messages held this long to go on in capture-time
	                                order (reorder.h; 0: each as it comes) */
	struct ct_log log;
};

struct ct_hep_in_stats {
	uint64_t packets;            /* HEP packets received whole (UDP datagrams, TCP frames) */
	uint64_t sip;                /* SIP messages handed on as frames */
	uint64_t other;              /* well-formed packets of another payload type (RTCP, logs) */
	uint64_t malformed;          /* not HEP v3, malformed, or not rebuildable as a frame */
	uint64_t auth_failed;        /* auth key missing or not --hep-password */
	uint64_t ts_ahead;           /* SIP stamped over a minute after it arrived: taken at arrival */
	uint64_t tcp_accepted;       /* TCP connections taken */
	uint64_t tcp_refused;        /* TCP connections refused: max_conns open and proven */
	uint64_t tcp_evicted;        /* TCP connections closed for a new one: no valid packet yet */
	uint64_t udp_drops;          /* datagrams the kernel dropped, receive buffer full
	                                (SO_RXQ_OVFL; also the source's capture drops) */
	uint64_t reordered;          /* SIP messages handed on ahead of one that came first */
	uint64_t late;               /* ... behind one stamped later (out of order past the window) */
	uint64_t forced;             /* ... before their window ended (reorder buffer full) */
};

/*
 * Rebuilds the SIP message of a decoded packet m as a raw IP frame
 * (LINKTYPE_RAW) in out (cap bytes, CT_HEP_FRAME_MAX is always enough):
 * m's addresses and ports, UDP, or TCP when m's protocol is 6 (a segment
 * with PSH, ACK and FIN set: one whole message that the TCP stage takes
 * and forgets at once, whatever came before on the same ports), and m's
 * time.  f points into out.  CT_ERR when the message does not fit an IP
 * packet (IPv4: 65535 bytes in all).
 */
#define CT_HEP_FRAME_MAX (CT_HEP_MAX + 40 + 20)
int ct_hep_in_frame(const struct ct_hep_msg *m, uint8_t *out, size_t cap, struct ct_frame *f);

struct ct_hep_in;

/*
 * Takes one whole HEP packet (buf, len) received at now_us (wall time,
 * for a packet without a time chunk): decodes it, checks the auth key,
 * counts it, and for a SIP payload rebuilds its frame into h's buffer
 * (valid until the next call).  Returns 1 with *f set, or 0 (counted:
 * malformed, auth failed, another payload type).  The source's next()
 * calls it for every packet; tests call it directly.
 */
int ct_hep_in_packet(struct ct_hep_in *h, const uint8_t *buf, size_t len, int64_t now_us,
    struct ct_frame *f);

/*
 * A collector without sockets (for ct_hep_in_packet in tests), or NULL
 * when memory runs out; ct_hep_in_free frees it.
 */
struct ct_hep_in *ct_hep_in_new_detached(const struct ct_hep_in_cfg *cfg);
void ct_hep_in_free(struct ct_hep_in *h);

/*
 * Binds UDP and TCP on cfg's address and port and returns the collector as
 * a live source (next(): 1 = a frame, 0 = 250 ms without one; never
 * blocks longer); ct_source_close closes it.  NULL with errbuf
 * (CT_ERRBUF_SIZE) set when a socket cannot be bound.
 */
struct ct_source *ct_hep_in_open(const struct ct_hep_in_cfg *cfg, char *errbuf);
/* The counters of a source from ct_hep_in_open (all zero for any other source). */
void ct_hep_in_get_stats(const struct ct_source *s, struct ct_hep_in_stats *st);
/*
 * The collector's clock for an idle moment (next() returned 0), in the
 * agents' time: the newest message's capture time plus the wall time
 * passed since it arrived (wall_us), less a second of slack for messages
 * still on their way; INT64_MIN before the first message.  Agents' times
 * need not be the wall clock (a replayed capture, a skewed agent).
 */
int64_t ct_hep_in_clock(const struct ct_source *s, int64_t wall_us);
/* The same, for a collector (detached or not). */
void ct_hep_in_counts(const struct ct_hep_in *h, struct ct_hep_in_stats *st);

/* --hep: the sender. */
struct ct_hep_out_cfg {
	const char *host;            /* name or address */
	const char *port;
	bool tcp;                    /* false: UDP */
	uint32_t capture_id;
	const char *password;        /* NULL: no auth key chunk */
	size_t max_queue;            /* messages queued at most (0: 4096) */
	size_t max_bytes;            /* bytes queued at most (0: 16 MiB) */
	bool wait;                   /* a full queue waits for room (files), else drops (live) */
	struct ct_log log;
};

struct ct_hep_out;

struct ct_hep_out_stats {
	uint64_t sent;               /* SIP messages sent whole */
	uint64_t dropped;            /* SIP messages not sent: queue full, too big, send
	                                failed, not connected */
	uint64_t qos_sent;           /* quality reports (one per stream) sent whole */
	uint64_t qos_dropped;        /* quality reports not sent, for the same reasons */
};

/* Resolves the collector and starts the sender thread; NULL with errbuf (CT_ERRBUF_SIZE) set. */
struct ct_hep_out *ct_hep_out_new(const struct ct_hep_out_cfg *cfg, char *errbuf);
/*
 * Capture thread: queues one SIP message (text, len) seen in pkt (its
 * tuple and time; proto from transport: UDP, else TCP).  A full queue
 * drops the message (counted), or with cfg.wait waits for room while the
 * collector takes packets (reading files).
 */
void ct_hep_out_sip(struct ct_hep_out *h, const struct ct_packet *pkt, const char *text,
    size_t len, bool tcp);
/*
 * Output thread (the hep-qos sink): queues the quality report of stream s
 * of call call_id (a NUL-terminated Call-ID): a HEP packet of type
 * CT_HEP_PROTO_QOS from the stream's source to its destination (UDP), at
 * the stream's last packet, correlation id = call_id, payload
 * ct_hep_qos_json.  Never blocks on the network: a full queue, a stream
 * without an IPv4/IPv6 address or a closed sender drops it (counted).
 */
void ct_hep_out_qos(struct ct_hep_out *h, const struct ct_stream_stats *s, const char *call_id);
void ct_hep_out_get_stats(struct ct_hep_out *h, struct ct_hep_out_stats *st);
/*
 * Sends what is queued (TCP: each send waits 5 s at most) and stops the
 * thread; the counts stay readable, nothing more may be queued.  Once only
 * matters: later calls do nothing.  NULL is a no-op.
 */
void ct_hep_out_close(struct ct_hep_out *h);
/* ct_hep_out_close, then frees.  NULL is a no-op. */
void ct_hep_out_free(struct ct_hep_out *h);

/*
 * The body of a stream's quality report (src/sink/hep_qos.c), appended to
 * b: one JSON object with the keys of an RTP agent's final report, which
 * heplify-server stores (hep_proto_35_default) and Homer's QoS tab charts
 * (TOTAL_PK, EXPECTED_PK, PACKET_LOSS, JITTER, MOS), and calltap's own:
 *
 *   CORRELATION_ID, RTP_SIP_CALL_ID  call_id
 *   TYPE           "HANGUP" (the stream's final report)
 *   REPORT_TS      last packet, whole seconds since the epoch
 *   START_TIME, END_TIME  first and last packet, ISO 8601 UTC with us
 *   SRC_IP, SRC_PORT, DST_IP, DST_PORT  the stream's endpoints
 *   SSRC           number
 *   CODEC_PT, CODEC_NAME  left out when unknown
 *   TOTAL_PK       packets received; EXPECTED_PK = TOTAL_PK + PACKET_LOSS (>= 0)
 *   PACKET_LOSS    lost (RFC 3550, may be < 0); LOSS_PCT  loss_pct, 2 decimals
 *   DUP_PK, OUT_ORDER  duplicates, out of order
 *   JITTER, MEAN_JITTER  mean jitter (ms, 3 decimals); MAX_JITTER  maximum
 *   MAX_DELTA      largest gap between packets (ms, 3 decimals)
 *   MOS            2 decimals; left out when not computed
 *
 * Figures are the record's (docs/schema.md, streams) with its precision.
 * CT_OK, or CT_NOMEM (b->oom).
 */
struct ct_buf;
int ct_hep_qos_json(const struct ct_stream_stats *s, const char *call_id, struct ct_buf *b);

/*
 * The hep-qos sink (sink.h): write queues ct_hep_out_qos for each stream
 * of the record; opened with args->ctx = the struct ct_hep_out, which must
 * outlive the sink set's close (the sink does not own it).
 */
struct ct_sink_ops;
extern const struct ct_sink_ops ct_sink_hep_qos;

#endif
