/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call recording for QA: decodes each call's RTP payloads and writes one
 * stereo file per call through libsndfile (caller left, callee right),
 * aligned on capture time.  Samples are placed by RTP timestamp, so lost
 * packets become silence and reordered packets land where they belong; the
 * file's length equals the media time.  Memory stays bounded per call:
 * decoded samples go to a per-call scratch file (positioned writes) and are
 * interleaved into the final file when the call ends.
 * References: ITU-T G.711, G.722, RFC 3550 §5.1 (timestamps), RFC 3551.
 */
#ifndef CALLTAP_AUDIO_H
#define CALLTAP_AUDIO_H

#include <stddef.h>
#include <stdint.h>

enum ct_audio_format {
	CT_AUDIO_WAV = 0,   /* 16-bit PCM WAV */
	CT_AUDIO_FLAC,
	CT_AUDIO_OGG        /* Ogg Vorbis */
};

#define CT_AUDIO_CALLER 0   /* left channel: what the caller says */
#define CT_AUDIO_CALLEE 1   /* right channel: what the callee says */

/* Codec support: decoders compiled in. */
struct ct_codec;
/* Finds a decoder by SDP encoding name (case-insensitive, "PCMU", "PCMA",
 * "G722", ...) and clock rate; NULL when not supported. */
const struct ct_codec *ct_codec_find(const char *name, uint32_t clock_rate);

/* Payload-format options from the SDP a=fmtp line that decoding depends on. */
#define CT_CODEC_OCTET_ALIGN 0x01   /* RFC 4867 octet-align=1 (AMR, AMR-WB); else bandwidth-efficient */
/*
 * The channels of the SDP rtpmap (RFC 8866 §6.6; static payload types by
 * RFC 3551's table): neither flag is mono, CT_CODEC_STEREO two, CT_CODEC_MULTI
 * more.  Only the codecs whose payload they change (L16, G.711) look at them.
 */
#define CT_CODEC_STEREO      0x02
#define CT_CODEC_MULTI       0x04
#define CT_CODEC_CHANNELS    (CT_CODEC_STEREO | CT_CODEC_MULTI)
/*
 * The payload is encrypted (SRTP, RFC 3711: the SDP's m= proto RTP/SAVP,
 * RTP/SAVPF or UDP/TLS/RTP/SAVP[F]): never decoded, the codec is reported
 * undecodable as "<name>/SRTP".
 */
#define CT_CODEC_ENCRYPTED   0x08
/* As ct_codec_find, for a payload type with the fmtp flags fmt (CT_CODEC_*). */
const struct ct_codec *ct_codec_find_fmt(const char *name, uint32_t clock_rate, unsigned fmt);
/* Output sample rate of the codec (8000 for G.711, 16000 for G.722 ...). */
uint32_t ct_codec_rate(const struct ct_codec *c);
const char *ct_codec_name(const struct ct_codec *c);

struct ct_audio_call;

/* Parses "wav", "flac" or "ogg"; returns 0 or -1. */
int ct_audio_format_parse(const char *s, enum ct_audio_format *out);

/*
 * Starts the recording of one call into directory dir; the file name is
 * derived from the start time and the Call-ID (sanitised).  start_us anchors
 * sample 0.  Returns NULL with a message in errbuf on failure.
 */
struct ct_audio_call *ct_audio_call_new(const char *dir, enum ct_audio_format fmt,
    const char *call_id, int64_t start_us, char *errbuf);

/*
 * Adds one RTP packet's payload to a channel.  codec_name/clock_rate are the
 * stream's (from SDP or the static payload table); ssrc/seq/rtp_ts come from
 * the RTP header; arrival_us is the capture time.  Packets of a codec that
 * cannot be decoded are counted and remembered, never written as noise.
 */
void ct_audio_call_add(struct ct_audio_call *ac, int channel, const char *codec_name,
    uint32_t clock_rate, uint32_t ssrc, uint32_t rtp_ts, int64_t arrival_us,
    const uint8_t *payload, size_t len);
/* As ct_audio_call_add, for a payload type with the fmtp flags fmt (CT_CODEC_*). */
void ct_audio_call_add_fmt(struct ct_audio_call *ac, int channel, const char *codec_name,
    uint32_t clock_rate, unsigned fmt, uint32_t ssrc, uint32_t rtp_ts, int64_t arrival_us,
    const uint8_t *payload, size_t len);

/*
 * Ends the recording: writes the final file and removes the scratch data.
 * On success returns 0 and a malloc'ed path in *path (NULL when the call had
 * no decodable audio, no file is written then); *undecodable gets a malloc'ed
 * comma-separated list of codecs that could not be decoded, or NULL.
 * Returns -1 with a message in errbuf on I/O failure.  ac is freed either way;
 * NULL is a no-op returning 0.
 */
int ct_audio_call_finish(struct ct_audio_call *ac, char **path, char **undecodable,
    char *errbuf);

/* Drops a recording without writing a file; NULL is a no-op. */
void ct_audio_call_discard(struct ct_audio_call *ac);

/*
 * The finisher (the recorder thread): decodes the packets of the calls
 * handed to it (ct_audio_call_set_finisher; the capture thread only copies
 * payloads into its ring), keeps their audio in one shared scratch file
 * (open files do not grow with concurrent calls) and writes the final files
 * while the capture thread goes on.  Recordings are written in the order
 * they are handed over.
 */
struct ct_audio_finisher;

/* Starts the recorder; NULL when out of memory (everything runs in place
 * when no thread could be started). */
struct ct_audio_finisher *ct_audio_finisher_new(void);

/*
 * As ct_audio_call_finish, but the final file is written by the worker:
 * *path is the name it will try first; the name it got ("-2" ... when that
 * existed), or the failure, is known once written: reported by
 * ct_audio_finisher_take_done() with tracking on, and
 * ct_audio_finisher_drain() waits for it.  A failure while writing it is
 * counted by the finisher (ct_audio_finisher_take_errors) and leaves no
 * file.  Waits while the recorder's ring is full (memory stays bounded).
 * ac is taken over in every case.
 */
int ct_audio_finisher_submit(struct ct_audio_finisher *f, struct ct_audio_call *ac,
    char **path, char **undecodable, char *errbuf);

/*
 * Hands over a recording to drop (a call that was not answered): the
 * recorder frees it and its scratch blocks.  NULL f: ac's own finisher,
 * or in place.
 */
void ct_audio_finisher_discard(struct ct_audio_finisher *f, struct ct_audio_call *ac);

/*
 * Hands ac to the recorder f before its first packet: ct_audio_call_add
 * then only copies the payload into f's ring, and ac must end through
 * ct_audio_finisher_submit or _discard (ct_audio_call_discard passes it on).
 * f must outlive ac.
 */
void ct_audio_call_set_finisher(struct ct_audio_call *ac, struct ct_audio_finisher *f);
/*
 * on: the finished file is fdatasync'd before it gets its name, and its
 * directory fsync'd after, so that a record never names a recording a
 * power loss could take (live capture; costly when thousands of calls end
 * a second, as in a file replay, which can be run again).
 */
void ct_audio_call_set_durable(struct ct_audio_call *ac, int on);

/*
 * Turns on completion reports for the recordings submitted from now on:
 * each one that ct_audio_finisher_submit() gave a path for gets exactly one
 * report, in submission order, once the worker is done with it.  The
 * caller must take them (ct_audio_finisher_take_done); they stay queued
 * until then.  NULL f is a no-op.
 */
void ct_audio_finisher_track(struct ct_audio_finisher *f);

/*
 * Takes the oldest completion report: returns 1 with *intended (the path
 * submit gave) and *final (the path the complete file has, or NULL when it
 * could not be written), both malloc'ed for the caller; 0 with both NULL
 * when none is ready.  wait != 0 blocks while recordings are in flight and
 * none is ready.  A submitted recording without a report once nothing is in
 * flight was not written (out of memory for its report).
 */
int ct_audio_finisher_take_done(struct ct_audio_finisher *f, int wait, char **intended,
    char **final);

/* Waits until every recording handed over so far is written. */
void ct_audio_finisher_drain(struct ct_audio_finisher *f);

/*
 * Returns the number of files that failed since the last call and copies the
 * first of their messages into errbuf (CT_ERRBUF_SIZE; untouched when 0).
 */
uint64_t ct_audio_finisher_take_errors(struct ct_audio_finisher *f, char *errbuf);

/*
 * Times the capture thread waited because the recorder's ring was full
 * (recordings are never dropped for lack of room: capture waits instead).
 */
uint64_t ct_audio_finisher_queue_waits(const struct ct_audio_finisher *f);

/*
 * Waits until the recorder and its writer are idle and returns the number
 * of unnamed files the writer holds made ahead for direct recordings (each
 * an open descriptor: 0 to 8, depending on timing).  For tests and
 * diagnostics that count descriptors.
 */
unsigned ct_audio_finisher_files_ahead(struct ct_audio_finisher *f);

/*
 * Sets how many recordings f writes directly to their final file at once
 * (WAV; one descriptor each; default: half the open-file limit beyond 128);
 * the others go through the scratch store.  For tests.
 */
void ct_audio_finisher_set_direct_max(struct ct_audio_finisher *f, size_t n);

/* Drains, stops the worker and frees f; NULL is a no-op. */
void ct_audio_finisher_free(struct ct_audio_finisher *f);

#endif
