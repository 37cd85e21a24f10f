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

/* ---- SIP over TCP or WebSocket (RFC 7118), src/sip/ws.c ----------------- */

/* A SIP-over-WebSocket message longer than this is counted and skipped. */
#define CT_WS_MAX_MESSAGE (128u * 1024u)
/* Receives one SIP message and the transport (CT_TRANSPORT_TCP or _WS) it came on. */
typedef void (*ct_sip_msg_fn)(void *user, const char *text, size_t len, uint8_t transport);
size_t ct_sip_tcp_consume(const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan,
    ct_sip_msg_fn fn, void *user, uint64_t *sip_errors, uint64_t *ws_errors);
bool ct_sip_looks_like(const char *buf, size_t len);
bool ct_sip_starts_message(const char *buf, size_t len);
bool ct_sip_body_short(const char *buf, size_t len);

/* ---- SDP --------------------------------------------------------------- */

#define CT_SDP_MAX_MEDIA  8
#define CT_SDP_MAX_CODECS 16

enum ct_sdp_dir {
	CT_SDP_SENDRECV = 0,
	CT_SDP_SENDONLY,
	CT_SDP_RECVONLY,
	CT_SDP_INACTIVE
};

#define CT_SDP_OCTET_ALIGN 0x01  /* a=fmtp octet-align=1 (RFC 4867 AMR, AMR-WB) */
#define CT_SDP_SRTP        0x02  /* its m= line's proto is SRTP (RTP/SAVP, RTP/SAVPF,
                                    UDP/TLS/RTP/SAVP[F]): the payloads are encrypted */

struct ct_sdp_codec {
	uint8_t pt;          /* RTP payload type */
	uint8_t fmt;         /* CT_SDP_* payload-format flags from a=fmtp */
	char name[24];       /* encoding name from a=rtpmap, or the static name */
	uint32_t rate;       /* clock rate, Hz */
	uint8_t channels;
};

struct ct_sdp_media {
	char type[12];       /* "audio", "video", "image", ... */
	struct ct_addr addr; /* media-level c= or the session-level one */
	uint16_t port;       /* 0 = stream rejected/disabled */
	uint16_t n_ports;    /* m= <port>/<number of ports> (RFC 8866 §5.14): 1 when not given or
	                      * malformed; RTP on port, port + 2, ... (RTCP one above each), the
	                      * count cut so that the last stays <= 65535 */
	char proto[24];      /* "RTP/AVP", "RTP/SAVP", "UDP/TLS/RTP/SAVPF", ... (cut) */
	bool srtp;           /* proto is SRTP's (RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP[F]) */
	enum ct_sdp_dir dir;
	uint16_t ptime;      /* a=ptime, ms; 0 = not given */
	uint16_t rtcp_port;  /* a=rtcp port (RFC 3605; its address is not kept); 0 = not given */
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
#define CT_TRANSPORT_WS 3       /* SIP over WebSocket (RFC 7118), on TCP */

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
	char *pai_user;         /* P-Asserted-Identity user, else Remote-Party-ID's; may be NULL */
	char *via_branch;       /* top Via branch parameter, may be NULL */
	char *via_branch2;      /* responses: branch of the second Via value (the hop
	                           before the top one: src/sip/via.c); may be NULL,
	                           always in requests (dialog.c reads it of responses) */
	struct ct_addr via_addr;     /* top Via sent-by host when an IP literal (else unset) */
	struct ct_addr contact_addr; /* first Contact URI host when an IP literal (else unset) */
	char *link_id;          /* first correlation header (X-CID, X-Orig-Call-ID, ...), may be NULL */
	char *diversion_user;   /* user of the first Diversion, else History-Info, entry; may be NULL */
	char *refer_to_user;    /* REFER: user of the Refer-To URI (transfer target), may be NULL */
	char *refer_replaces;   /* REFER: Call-ID of the Refer-To URI's Replaces (attended transfer) */
	char *referred_by_user; /* user of the Referred-By URI (RFC 3892), may be NULL */
	uint32_t cseq;
	char cseq_method[16];

	int q850_cause;         /* Reason: Q.850;cause=N (RFC 3326); -1 = none */
	char *reason_text;      /* Reason header text="..." value, may be NULL */

	bool has_sdp;           /* body is (or contains) application/sdp */
	bool body_short;        /* a UDP request ending before its Content-Length (RFC 3261
	                           §18.3: its receiver refuses it, 400); set by the engine */
	struct ct_sdp sdp;
	uint16_t osip_lines;    /* header lines handed to libosip2 (work bound, tests) */
	uint16_t repeated_headers; /* repeats of single headers (From, To, Call-ID, CSeq,
	                              Content-Type/-Length, MIME-Version) dropped, of
	                              Content-Type in a multipart body's part, and of the
	                              tag parameter of From or To: first kept */
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

/* ---- pre-scan (src/sip/prescan.c) -------------------------------------- */

/* A piece of the message text (or of struct ct_sip_prescan.fold); p NULL = absent. */
struct ct_sip_span {
	const char *p;
	size_t n;
};

#define CT_PS_REASON    0x01u /* a Reason header (RFC 3326) */
#define CT_PS_SDP       0x02u /* Content-Type application/sdp or multipart: the body may be SDP */
#define CT_PS_CONTACT   0x04u /* a Contact header */
#define CT_PS_PAI       0x08u /* a P-Asserted-Identity header */
#define CT_PS_FOLDED    0x10u /* a header of interest was folded over lines */
#define CT_PS_COMPLEX   0x20u /* outside the plain grammar: only libosip2 may judge it */
#define CT_PS_FROM_USER 0x40u /* from_user is known (a NULL span: the From URI has no user) */
#define CT_PS_MULTIPART 0x80u /* Content-Type multipart (with CT_PS_SDP) */
/* The rest of what ct_sip_msg_parse() gives is known (ct_sip_prescan_complete): */
#define CT_PS_RURI_USER 0x100u /* ruri_user (requests) */
#define CT_PS_FROM_NAME 0x200u /* from_name (the raw display name; NULL span: none) */
#define CT_PS_PAI_USER  0x400u /* pai_user of the first P-Asserted-Identity */
#define CT_PS_CONTACT_USER 0x800u /* contact_user of the first Contact value */
#define CT_PS_PHRASE    0x1000u /* reason_phrase (responses) */
#define CT_PS_TO_USER   0x2000u /* to_user (and to_name: the raw display name) */
#define CT_PS_LEGS      0x4000u /* a header msg.c reads for PBX legs (X-CID and the other
                                   correlation ids, Diversion, History-Info, Refer-To,
                                   Referred-By): not complete, nor enough */

#define CT_PS_REASON_READ 0x8000u /* every Reason header is read: reason[0..n_reason) */
#define CT_PS_FOLD_MAX 1024   /* bytes of unfolded header values kept */
#define CT_SIP_MAX_REASON 8   /* Reason headers read of a message (msg.c hands libosip2 no more) */

/*
 * What the pre-scan reads of a message without libosip2: spans point into
 * the message (or into fold, for folded headers: CR and LF become spaces,
 * as libosip2 unfolds), so they live as long as both.
 */
struct ct_sip_prescan {
	bool is_request;
	int status;                   /* responses */
	struct ct_sip_span method;    /* requests */
	struct ct_sip_span call_id;
	uint32_t cseq;
	struct ct_sip_span cseq_method;
	struct ct_sip_span via_branch; /* branch of the first value of the first Via */
	struct ct_sip_span via_branch2; /* responses: branch of the second Via value (via.c) */
	struct ct_sip_span from_tag, to_tag;
	struct ct_sip_span from_user; /* valid with CT_PS_FROM_USER */
	struct ct_sip_span ruri_user, from_name, pai_user, contact_user, reason_phrase;
	                              /* valid with their CT_PS_* flag */
	struct ct_sip_span to_user, to_name; /* valid with CT_PS_TO_USER */
	struct ct_sip_span via_host;  /* host of the first Via (brackets kept) */
	struct ct_sip_span contact_host; /* host of the first Contact URI (NULL: none) */
	const char *body;             /* body_len bytes after the empty line */
	bool has_content_length;
	size_t content_length;
	size_t body_len;              /* bytes after the empty line */
	unsigned headers;             /* header lines (folded lines count) */
	unsigned flags;               /* CT_PS_* */
	unsigned n_reason;            /* Reason headers, the first CT_SIP_MAX_REASON in reason[] */
	size_t fold_used;
	char fold[CT_PS_FOLD_MAX];
	struct ct_sip_span reason[CT_SIP_MAX_REASON]; /* their values (blanks trimmed) */
};

int ct_sip_prescan(struct ct_sip_prescan *ps, const char *buf, size_t len);
bool ct_sip_prescan_enough(const struct ct_sip_prescan *ps);
bool ct_sip_prescan_complete(const struct ct_sip_prescan *ps);
int ct_sip_prescan_msg(const struct ct_sip_prescan *ps, struct ct_sip_msg *m,
    char *scratch, size_t size);

#endif
