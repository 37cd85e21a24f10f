/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Names of the per-packet anomaly events (enum ct_event), used as counter
 * labels in reports.  A const table indexed by the enum; looked up only when
 * reports are printed.
 */
#include "config.h"

#include "calltap/packet.h"

static const char *const event_names[CT_EV_COUNT] = {
	[CT_EV_LINK_UNSUPPORTED] = "link_unsupported",
	[CT_EV_LINK_TRUNCATED] = "link_truncated",
	[CT_EV_VLAN_TRUNCATED] = "vlan_truncated",
	[CT_EV_IPV4_TRUNCATED] = "ipv4_truncated",
	[CT_EV_IPV4_BAD_VERSION] = "ipv4_bad_version",
	[CT_EV_IPV4_BAD_HLEN] = "ipv4_bad_hlen",
	[CT_EV_IPV4_BAD_TOTLEN] = "ipv4_bad_totlen",
	[CT_EV_IPV6_TRUNCATED] = "ipv6_truncated",
	[CT_EV_IPV6_BAD_VERSION] = "ipv6_bad_version",
	[CT_EV_IPV6_BAD_EXTHDR] = "ipv6_bad_exthdr",
	[CT_EV_UDP_TRUNCATED] = "udp_truncated",
	[CT_EV_UDP_BAD_LEN] = "udp_bad_len",
	[CT_EV_TCP_TRUNCATED] = "tcp_truncated",
	[CT_EV_TCP_BAD_HLEN] = "tcp_bad_hlen",
	[CT_EV_TUNNEL_TRUNCATED] = "tunnel_truncated",
	[CT_EV_TUNNEL_UNSUPPORTED] = "tunnel_unsupported",
	[CT_EV_TOO_MANY_LAYERS] = "too_many_layers",
	[CT_EV_FRAG_OVERLAP] = "frag_overlap",
	[CT_EV_FRAG_TOO_BIG] = "frag_too_big",
	[CT_EV_FRAG_LIMIT] = "frag_limit",
	[CT_EV_FRAG_TIMEOUT] = "frag_timeout",
	[CT_EV_TCP_GAP] = "tcp_gap",
	[CT_EV_TCP_LIMIT] = "tcp_limit",
	[CT_EV_SIP_MALFORMED] = "sip_malformed",
	[CT_EV_SIP_FRAMING] = "sip_framing",
	[CT_EV_SIP_NO_CALLID] = "sip_no_callid",
	[CT_EV_SDP_MALFORMED] = "sdp_malformed",
	[CT_EV_RTP_MALFORMED] = "rtp_malformed",
	[CT_EV_DIALOG_LIMIT] = "dialog_limit",
	[CT_EV_PPPOE_DISCOVERY] = "pppoe_discovery",
	[CT_EV_WS_FRAMING] = "ws_framing",
	[CT_EV_FRAG_DUP_DIFFERS] = "frag_dup_differs",
	[CT_EV_UDP_BAD_CHECKSUM] = "udp_bad_checksum",
	[CT_EV_SNAP_CUT] = "snap_cut",
};

/*
 * Returns the short snake_case name of ev (a static string, never NULL);
 * "unknown" for a value outside the enum.
 */
const char *ct_event_name(enum ct_event ev)
{
	if ((unsigned)ev >= CT_EV_COUNT || event_names[ev] == NULL)
		return "unknown";
	return event_names[ev];
}
