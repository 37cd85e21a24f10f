/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIP message framing (RFC 3261 §7.5, §18.3), parsing (a thin wrapper over
 * libosip2: osip_message_t never leaves src/sip/msg.c), and SDP (RFC 8866,
 * RFC 3264 offer/answer) media descriptions.
 */
#ifndef CALLTAP_SIP_H
#define CALLTAP_SIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "calltap/packet.h"
#include "calltap/reasm.h"

/* ---- framing ----------------------------------------------------------- */

ssize_t ct_sip_frame(const char *buf, size_t len, size_t *skip);
ssize_t ct_sip_frame_scan(const char *buf, size_t len, size_t *skip,
    struct ct_tcp_scan *scan);
/* Receives one framed SIP message text[0..len) (ct_sip_stream_consume). */
typedef void (*ct_sip_text_fn)(void *user, const char *text, size_t len);
size_t ct_sip_stream_consume(const uint8_t *data, size_t len, struct ct_tcp_scan *scan,
    ct_sip_text_fn fn, void *user, uint64_t *framing_errors);
size_t ct_sip_resync(const char *buf, size_t len);
bool ct_sip_looks_like(const char *buf, size_t len);

/* ---- SDP --------------------------------------------------------------- */

#define CT_SDP_MAX_MEDIA  8
#define CT_SDP_MAX_CODECS 16

enum ct_sdp_dir {
	CT_SDP_SENDRECV = 0,
	CT_SDP_SENDONLY,
	CT_SDP_RECVONLY,
	CT_SDP_INACTIVE
};

struct ct_sdp_codec {
	uint8_t pt;          /* RTP payload type */
	char name[24];       /* encoding name from a=rtpmap, or the static name */
	uint32_t rate;       /* clock rate, Hz */
	uint8_t channels;
};

struct ct_sdp_media {
	char type[12];       /* "audio", "video", "image", ... */
	struct ct_addr addr; /* media-level c= or the session-level one */
	uint16_t port;       /* 0 = stream rejected/disabled */
	char proto[16];      /* "RTP/AVP", "RTP/SAVP", ... */
	enum ct_sdp_dir dir;
	uint16_t ptime;      /* a=ptime, ms; 0 = not given */
	uint8_t n_codecs;
	struct ct_sdp_codec codecs[CT_SDP_MAX_CODECS]; /* in m= order */
};

struct ct_sdp {
	struct ct_addr conn; /* session-level c= (unset when absent) */
	uint8_t n_media;
	struct ct_sdp_media media[CT_SDP_MAX_MEDIA];
};

int ct_sdp_parse(const char *text, size_t len, struct ct_sdp *out);

/* ---- messages ---------------------------------------------------------- */

#define CT_TRANSPORT_UDP 1
#define CT_TRANSPORT_TCP 2

struct ct_sip_msg {
	int64_t ts_us;          /* capture time of the (last) packet carrying it */
	struct ct_tuple t;      /* network tuple it travelled on */
	uint16_t vlan;          /* outer VLAN id, 0 = none */
	uint8_t transport;      /* CT_TRANSPORT_* */

	bool is_request;
	char method[16];        /* request method ("INVITE"); "" for responses */
	int status;             /* response status code; 0 for requests */
	char *reason_phrase;    /* response reason phrase, may be NULL */

	char *call_id;          /* never NULL after a successful parse */
	char *ruri_user;        /* Request-URI user part (requests), may be NULL */
	char *from_user;
	char *from_name;        /* From display name, unquoted */
	char *from_tag;
	char *to_user;
	char *to_name;
	char *to_tag;
	char *contact_user;
	char *pai_user;         /* P-Asserted-Identity user, may be NULL */
	char *via_branch;       /* top Via branch parameter, may be NULL */
	char *link_id;          /* first correlation header (X-CID, X-Orig-Call-ID, ...), may be NULL */
	char *diversion_user;   /* user of the first Diversion, else History-Info, entry; may be NULL */
	uint32_t cseq;
	char cseq_method[16];

	int q850_cause;         /* Reason: Q.850;cause=N (RFC 3326); -1 = none */
	char *reason_text;      /* Reason header text="..." value, may be NULL */

	bool has_sdp;           /* body is (or contains) application/sdp */
	struct ct_sdp sdp;
	uint16_t osip_lines;    /* header lines handed to libosip2 (work bound, tests) */
};

/*
 * Limits checked before a message is parsed (a cheap linear pre-scan): a
 * message longer than CT_SIP_MAX_BYTES, with more header lines than
 * CT_SIP_MAX_HEADERS (folded lines count) or a multipart body of more than
 * CT_SIP_MAX_PARTS parts is refused unparsed with CT_SIP_REFUSED.  Real
 * user agents stay far below these (a few KiB, a few dozen headers, two or
 * three body parts: SDP with ISUP or a location object; 70 Via and 70 Record-Route lines, the most Max-Forwards
 * allows through proxies, still fit).  The byte limit is the default TCP
 * stream buffer (struct ct_tcp_limits), above any UDP datagram.  Documented in docs/schema.md.
 */
#define CT_SIP_MAX_BYTES   (256 * 1024)
#define CT_SIP_MAX_HEADERS 256
#define CT_SIP_MAX_PARTS   16
#define CT_SIP_REFUSED     (-32)

void ct_sip_init(void);
int ct_sip_msg_parse(struct ct_sip_msg *m, const char *buf, size_t len);
void ct_sip_msg_fini(struct ct_sip_msg *m);

#endif
