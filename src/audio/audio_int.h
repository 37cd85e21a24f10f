/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Private declarations of the audio module (src/audio): G.711 companding
 * and the codec method table used by the recording writer.
 */
#ifndef CALLTAP_AUDIO_INT_H
#define CALLTAP_AUDIO_INT_H

#include <stddef.h>
#include <stdint.h>

/* ITU-T G.711 expansion / compression, 16-bit linear PCM (g711.c). */
int16_t ct_g711_ulaw_decode(uint8_t u);
int16_t ct_g711_alaw_decode(uint8_t a);
uint8_t ct_g711_ulaw_encode(int16_t pcm);
uint8_t ct_g711_alaw_encode(int16_t pcm);

/* Returns the number of samples written to out (<= max_out), or -1 when the
 * payload is malformed for the codec. */
typedef int ct_codec_decode_fn(void *state, const uint8_t *in, size_t len,
    int16_t *out, size_t max_out);

struct ct_codec {
	const char *name;          /* SDP encoding name (RFC 3551 / 4566) */
	uint32_t clock_rate;       /* RTP timestamp rate, Hz */
	uint32_t rate;             /* decoded sample rate, Hz */
	uint32_t per_byte;         /* max_samples = len * per_byte + extra */
	uint32_t extra;
	void *(*state_new)(void);  /* NULL for stateless codecs */
	void (*state_free)(void *state);
	ct_codec_decode_fn *decode;
};

/* Upper bound of the samples one payload of len bytes decodes to. */
size_t ct_codec_max_samples(const struct ct_codec *c, size_t len);

/* The two halves of ct_audio_call_finish (writer.c), for the finisher. */
struct ct_audio_call;
int ct_audio_call_prepare(struct ct_audio_call *ac, char **path, char **undecodable,
    char *errbuf);
int ct_audio_call_produce(struct ct_audio_call *ac, char **path, char *errbuf);
int ct_audio_call_detach_scratch(struct ct_audio_call *ac);
const char *ct_audio_call_dir(const struct ct_audio_call *ac);

/* Scratch files: a new anonymous one in dir, or a spare of the finisher's
 * for dir (-1 when it has none). */
int ct_audio_scratch_create(const char *dir);
struct ct_audio_finisher;
int ct_audio_finisher_take_scratch(struct ct_audio_finisher *f, const char *dir);

#endif
