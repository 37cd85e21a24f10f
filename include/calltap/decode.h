/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stateless decoders: link layer -> (tunnels) -> IPv4/IPv6 -> UDP/TCP.
 * Each validates, fills struct ct_packet and calls the next one.  Malformed
 * input sets an event on the packet (never a log line, never fatal).
 */
#ifndef CALLTAP_DECODE_H
#define CALLTAP_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/packet.h"

enum ct_verdict {
	CT_DEC_OK = 0,    /* pkt->t and pkt->payload describe a UDP or TCP payload */
	CT_DEC_FRAGMENT,  /* pkt is an IP fragment: frag_* and payload are set */
	CT_DEC_SKIP,      /* well-formed but of no interest (ARP, ICMP, ...) */
	CT_DEC_INVALID    /* malformed: an event was recorded on pkt */
};

/* UDP ports that carry a tunnel (0 = that tunnel is not decoded). */
struct ct_decode_ctx {
	uint16_t vxlan_port;  /* VXLAN (4789) */
	uint16_t geneve_port; /* Geneve (6081) */
	uint16_t gtpu_port;   /* GTP-U (2152) */
};

typedef enum ct_verdict (*ct_decode_fn)(const struct ct_decode_ctx *ctx,
    struct ct_packet *pkt, const uint8_t *p, size_t len);

void ct_decode_ctx_init(struct ct_decode_ctx *ctx);

/* Entry point: resets pkt's decode fields and decodes the frame pkt->data. */
enum ct_verdict ct_decode_frame(const struct ct_decode_ctx *ctx, struct ct_packet *pkt);
/* True when linktype (DLT_*) has a decoder. */
int ct_decode_linktype_supported(int linktype);

enum ct_verdict ct_decode_ether(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_vlan(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_sll(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_sll2(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_null(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_raw(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_ipv4(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_ipv6(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_ipv6_rebuilt_upper(struct ct_packet *pkt, const uint8_t *p, size_t len,
    uint8_t *nh, size_t *off);
enum ct_verdict ct_decode_gre(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_vxlan(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_geneve(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_gtpu(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_mpls(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_pppoe(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_pppoe_discovery(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_udp(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);
enum ct_verdict ct_decode_tcp(const struct ct_decode_ctx *, struct ct_packet *, const uint8_t *, size_t);

/*
 * Decodes an L4 datagram of IP protocol `proto` (UDP, TCP, or a tunnel:
 * IPIP 4, IPv6 41, GRE 47).  Used on reassembled fragments; pkt->t.src/dst
 * must already hold the IP addresses.
 */
enum ct_verdict ct_decode_l4(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    uint8_t proto, const uint8_t *p, size_t len);

/*
 * Checks a UDP datagram rebuilt from IP fragments (p, len bytes; t holds its
 * IP addresses) as its receiver does: returns CT_EV_COUNT when it passes,
 * else why not (CT_EV_UDP_BAD_LEN, CT_EV_UDP_BAD_CHECKSUM).  See udp.c.
 */
enum ct_event ct_udp_check_rebuilt(const struct ct_tuple *t, const uint8_t *p, size_t len);

/* Dispatches on an EtherType (IPv4, IPv6, VLAN, QinQ, MPLS, PPPoE). */
enum ct_verdict ct_decode_ethertype(const struct ct_decode_ctx *ctx, struct ct_packet *pkt,
    uint16_t ethertype, const uint8_t *p, size_t len);

#endif
