/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Media matching: which call does an RTP packet belong to?  SDP offers and
 * answers (RFC 3264) announce the address:port each party receives on; the
 * table maps those endpoints, and the flows seen towards or from them, to the
 * call in O(1) per packet (keyed hash on address:port, never a scan of
 * calls).  A stream sent to a call's endpoint is the call's only when its
 * source is one the call expects: the far party's SDP address or IP, the IP
 * its SDP was signalled from, an address the call's own RTP confirmed
 * (symmetric RTP, RFC 4961), or the first source behind NAT (the rules are
 * in src/rtp/media.c).  Others are injected: counted, never measured or
 * recorded as the call's.  Endpoints are bounded per call and per table.
 */
#ifndef CALLTAP_MEDIA_H
#define CALLTAP_MEDIA_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/audio.h"
#include "calltap/dialog.h"
#include "calltap/packet.h"
#include "calltap/record.h"

struct ct_media_table;

/* Receives an orphan RTP stream (no SIP call) when it ends; s is borrowed. */
typedef void (*ct_media_orphan_fn)(void *user, const struct ct_stream_stats *s);

struct ct_media_stats {
	uint64_t packets;       /* RTP packets matched to a call */
	uint64_t orphan;        /* RTP-looking packets with no call */
	uint64_t orphan_streams; /* orphan streams reported (>= 10 packets) */
	uint64_t not_rtp;       /* UDP payloads that are not RTP/RTCP */
	uint64_t rtcp;          /* RTCP packets of a call (to its endpoint, from a source it accepts) */
	uint64_t rtcp_foreign;  /* RTCP packets to a call's endpoint from a source it refused */
	uint64_t recordings;    /* audio files written */
	uint64_t audio_errors;  /* recordings that failed (first message: ct_media_audio_error) */
	uint64_t audio_queue_waits; /* capture waited for room in the recorder's ring */
	uint64_t injected;      /* RTP packets to a call's endpoint from a source it refused
	                           (less those of streams promoted later) */
	uint64_t injected_streams; /* refused streams (4-tuple + SSRC), promoted ones included */
	uint64_t promoted;      /* refused streams accepted later (SDP answer, symmetric RTP) */
	uint64_t endpoints_retired; /* dropped for newer ones (32 per call at most) */
	uint64_t endpoints_refused; /* not kept: call or table full, or no memory */
	uint64_t endpoints_unindexed; /* kept by their call only (address:port of 32+ calls) */
	uint64_t streams_refused; /* streams of a call not tracked: call (64) or table full */
	uint64_t streams_moved; /* a call's stream moved to a new 4-tuple (64 streams, same SSRC) */
	uint64_t span_copies;   /* a call's RTP packets seen again on another path (VLAN, TTL):
	                           not measured twice */
	uint64_t ssrc_collisions; /* new streams refused: a call's active SSRC from another port
	                             of the far party's host (RFC 3550 §8.2) */
	size_t endpoints;       /* endpoints known now */
	size_t flows;           /* call streams tracked now */
	size_t orphan_flows;    /* orphan streams tracked now */
	size_t bytes;           /* memory held by the table, estimated from its counts */
};

/* ct_media_packet() results. */
enum { CT_MEDIA_OTHER = 0, CT_MEDIA_CALL = 1, CT_MEDIA_INJECTED = 2 };

struct ct_media_table *ct_media_new(size_t max_flows);
void ct_media_free(struct ct_media_table *t);
void ct_media_on_sdp(struct ct_media_table *t, struct ct_dialog *d, const struct ct_sip_msg *m);
/* Endpoints one call holds at most: what one SDP may need of the table. */
#define CT_MEDIA_EP_CALL 32
bool ct_media_endpoints_short(const struct ct_media_table *t);
size_t ct_media_bytes(const struct ct_media_table *t);
int ct_media_packet(struct ct_media_table *t, const struct ct_packet *pkt);
/* The call of the last packet ct_media_packet() returned CT_MEDIA_CALL for. */
struct ct_dialog *ct_media_last_call(const struct ct_media_table *t);
/* The call a CT_MEDIA_INJECTED packet's stream is pending on, or NULL (media.c). */
struct ct_dialog *ct_media_pending_call(const struct ct_media_table *t);
void ct_media_closing(struct ct_media_table *t, struct ct_dialog *d, struct ct_call_record *rec);
void ct_media_get_stats(const struct ct_media_table *t, struct ct_media_stats *st);
void ct_media_set_audio(struct ct_media_table *t, const char *dir, enum ct_audio_format fmt);
/* Recordings are synced before a record names them (ct_audio_call_set_durable). */
void ct_media_set_audio_durable(struct ct_media_table *t, bool on);
/* Per-interval samples of call streams (rtp.h, ct_rtp_ivals) on or off (default off). */
void ct_media_set_intervals(struct ct_media_table *t, bool on);
/* Endpoint and call-media chunks from k, populated ahead (calltap/chunks.h; k outlives t). */
void ct_media_set_chunks(struct ct_media_table *t, struct ct_chunks *k);
const char *ct_media_audio_error(const struct ct_media_table *t);
/* The recordings' finisher thread, NULL when recording is off or in place. */
struct ct_audio_finisher *ct_media_audio_finisher(const struct ct_media_table *t);
void ct_media_set_orphan_hook(struct ct_media_table *t, ct_media_orphan_fn fn, void *user);
void ct_media_expire(struct ct_media_table *t, int64_t now_us, int64_t idle_us);
void ct_media_flush(struct ct_media_table *t);
size_t ct_media_longest_chain(const struct ct_media_table *t);
size_t ct_media_longest_stream_chain(const struct ct_media_table *t);

#endif
