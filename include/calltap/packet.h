/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * struct ct_packet: one captured frame and what the stateless decoders learnt
 * of it.  The tuple comes first so that it can serve as a hash key.  Packet
 * bytes are borrowed for one pass through the engine; a stage that keeps
 * bytes (fragments, TCP segments, SIP text) copies them.
 */
#ifndef CALLTAP_PACKET_H
#define CALLTAP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CT_ADDRSTRLEN 46

/* An IPv4 or IPv6 address; IPv4 lives in a[0..3], the rest is zero. */
struct ct_addr {
	uint8_t family; /* 4 or 6; 0 = unset */
	uint8_t a[16];
};

struct ct_tuple {
	struct ct_addr src;
	struct ct_addr dst;
	uint16_t sport;
	uint16_t dport;
	uint8_t proto; /* IPPROTO_UDP / IPPROTO_TCP, 0 = none */
	uint8_t tunnel; /* tunnel layers around its IP header (ct_packet.tunnel then): 0 = plain */
};

/* Per-packet anomaly events (Suricata style); counted by the engine. */
enum ct_event {
	CT_EV_LINK_UNSUPPORTED = 0,
	CT_EV_LINK_TRUNCATED,
	CT_EV_VLAN_TRUNCATED,
	CT_EV_IPV4_TRUNCATED,
	CT_EV_IPV4_BAD_VERSION,
	CT_EV_IPV4_BAD_HLEN,
	CT_EV_IPV4_BAD_TOTLEN,
	CT_EV_IPV6_TRUNCATED,
	CT_EV_IPV6_BAD_VERSION,
	CT_EV_IPV6_BAD_EXTHDR,
	CT_EV_UDP_TRUNCATED,
	CT_EV_UDP_BAD_LEN,
	CT_EV_TCP_TRUNCATED,
	CT_EV_TCP_BAD_HLEN,
	CT_EV_TUNNEL_TRUNCATED,
	CT_EV_TUNNEL_UNSUPPORTED,
	CT_EV_TOO_MANY_LAYERS,
	CT_EV_FRAG_OVERLAP,
	CT_EV_FRAG_TOO_BIG,
	CT_EV_FRAG_LIMIT,
	CT_EV_FRAG_TIMEOUT,
	CT_EV_TCP_GAP,
	CT_EV_TCP_LIMIT,
	CT_EV_SIP_MALFORMED,
	CT_EV_SIP_FRAMING,
	CT_EV_SIP_NO_CALLID,
	CT_EV_SDP_MALFORMED,
	CT_EV_RTP_MALFORMED,
	CT_EV_DIALOG_LIMIT,
	CT_EV_PPPOE_DISCOVERY,  /* not an anomaly: PPPoE discovery carries no user data */
	CT_EV_WS_FRAMING,       /* SIP over WebSocket: bad frame or message over the bound */
	CT_EV_FRAG_DUP_DIFFERS, /* a fragment within bytes present, other bytes: ignored (ipfrag.c) */
	CT_EV_UDP_BAD_CHECKSUM, /* a UDP datagram rebuilt from fragments failed its checksum */
	CT_EV_SNAP_CUT,         /* cut by the capture's snap length: headers whole, payload not */
	CT_EV_COUNT
};

const char *ct_event_name(enum ct_event ev);

#define CT_MAX_LAYERS 16

struct ct_packet {
	struct ct_tuple t;     /* innermost IP/L4 tuple */
	int64_t ts_us;         /* capture time, microseconds since the epoch */
	int linktype;          /* DLT_* of the outer frame */
	const uint8_t *data;   /* whole frame, borrowed */
	uint32_t caplen;       /* bytes captured */
	uint32_t wirelen;      /* bytes on the wire */
	uint16_t vlan;         /* outermost 802.1Q VLAN id, 0 = untagged */
	uint8_t depth;         /* decode layers passed (bounded by CT_MAX_LAYERS) */
	uint8_t tunnel;        /* tunnel layers passed */
	uint8_t ttl;           /* innermost IP header's TTL (IPv4) or hop limit (IPv6) */
	/*
	 * The capture's snap length cut the frame inside an IP datagram that
	 * is not a fragment (caplen < wirelen: tcpdump -s 200, header-only
	 * RTP captures): its headers are whole and payload_len is what was
	 * captured, not the datagram's.  Enough for RTP's header and figures;
	 * SIP, TCP and recordings need whole payloads and skip such packets.
	 */
	bool snap_cut;

	/* Fragment information, set by ipv4/ipv6 when the datagram is a fragment. */
	bool is_fragment;
	uint8_t frag_proto;    /* L4 protocol (IPv6: next header after frag hdr) */
	uint32_t frag_id;      /* IPv4 id (16 bits) or IPv6 identification */
	uint32_t frag_off;     /* fragment offset in bytes */
	bool frag_more;        /* MF flag / M bit */

	/* TCP fields, valid when t.proto == IPPROTO_TCP. */
	uint32_t tcp_seq;
	uint32_t tcp_ack;
	uint8_t tcp_flags;     /* CT_TCP_* */

	/* L4 payload (or fragment payload when is_fragment), borrowed. */
	const uint8_t *payload;
	size_t payload_len;

	uint64_t events;       /* bit (1 << ct_event) per event seen */
};

#define CT_TCP_FIN 0x01
#define CT_TCP_SYN 0x02
#define CT_TCP_RST 0x04
#define CT_TCP_PSH 0x08
#define CT_TCP_ACK 0x10

static inline void ct_pkt_event(struct ct_packet *pkt, enum ct_event ev)
{
	pkt->events |= (uint64_t)1 << ev;
}

/* Formats an address as text ("" for unset); returns buf. */
char *ct_addr_str(const struct ct_addr *a, char *buf, size_t len);
/* Parses dotted IPv4 or IPv6 text; returns 0 on success, -1 otherwise. */
int ct_addr_parse(struct ct_addr *a, const char *text);
bool ct_addr_eq(const struct ct_addr *x, const struct ct_addr *y);

/*
 * ct_addr_eq for two addresses that are never NULL, inlined for per-packet
 * lookups (IPv4: one 4-byte compare).  ct_addr_eq is this plus the NULL test.
 */
static inline bool ct_addr_eq_nn(const struct ct_addr *x, const struct ct_addr *y)
{
	uint32_t p, q;

	if (x->family != y->family)
		return false;
	if (x->family == 4) {
		memcpy(&p, x->a, 4);
		memcpy(&q, y->a, 4);
		return p == q;
	}
	return x->family != 6 || memcmp(x->a, y->a, 16) == 0;
}
uint32_t ct_addr_hash(const struct ct_addr *a, uint32_t seed);
struct ct_hash_key;
/* Keyed (SipHash) hash of an address pair and an extra word (src/util/addr.c). */
uint64_t ct_addr_pair_hash(const struct ct_hash_key *k, const struct ct_addr *src,
    const struct ct_addr *dst, uint32_t extra);

#endif
