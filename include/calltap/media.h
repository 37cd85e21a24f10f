/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Media matching: which call does an RTP packet belong to?  SDP offers and
 * answers (RFC 3264) announce the address:port each party receives on; the
 * table maps those endpoints, and the flows seen towards or from them, to the
 * call in O(1) per packet (hash on address:port, never a scan of calls).
 * Symmetric RTP / NAT (RFC 4961): a flow matched through its destination
 * also teaches its source endpoint, so the reverse direction matches too.
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
	uint64_t rtcp;          /* RTCP packets seen on call endpoints */
	uint64_t recordings;    /* audio files written */
	uint64_t audio_errors;  /* recordings that failed (first message: ct_media_audio_error) */
	size_t endpoints;       /* endpoints announced now */
	size_t flows;           /* flows tracked now */
};

struct ct_media_table *ct_media_new(size_t max_flows);
void ct_media_free(struct ct_media_table *t);
void ct_media_on_sdp(struct ct_media_table *t, struct ct_dialog *d, const struct ct_sip_msg *m);
int ct_media_packet(struct ct_media_table *t, const struct ct_packet *pkt);
void ct_media_closing(struct ct_media_table *t, struct ct_dialog *d, struct ct_call_record *rec);
void ct_media_get_stats(const struct ct_media_table *t, struct ct_media_stats *st);
void ct_media_set_audio(struct ct_media_table *t, const char *dir, enum ct_audio_format fmt);
const char *ct_media_audio_error(const struct ct_media_table *t);
/* The recordings' finisher thread, NULL when recording is off or in place. */
struct ct_audio_finisher *ct_media_audio_finisher(const struct ct_media_table *t);
void ct_media_set_orphan_hook(struct ct_media_table *t, ct_media_orphan_fn fn, void *user);
void ct_media_expire(struct ct_media_table *t, int64_t now_us, int64_t idle_us);
void ct_media_flush(struct ct_media_table *t);

#endif
