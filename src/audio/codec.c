/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Audio codec table for call recording: maps an SDP encoding name and RTP
 * clock rate to a decoder producing 16-bit mono PCM.  Workload: one lookup
 * and one decode call per recorded RTP packet (50 per second per direction);
 * the table is a short const array scanned linearly.  Stateful decoders
 * (G.722, GSM, G.729, Opus) keep per-stream state created by state_new; the
 * writer holds one state per channel and SSRC.  Optional codecs are compiled
 * in when their library is found: HAVE_SPANDSP (G.722), HAVE_GSM (GSM 06.10),
 * HAVE_BCG729 (G.729 / Annex B), HAVE_OPUS (Opus, decoded at 16 kHz, which
 * is enough for speech QA and matches G.722, so mixed calls need no
 * resampling).
 * References: RFC 3551 §4.5 (encoding names, clock rates; §4.5.2 G.722 uses
 * an 8000 Hz RTP clock for 16 kHz audio; §4.5.6 G729 10-byte frames and
 * 2-byte SID; §4.5.8 GSM 33-byte frames; §4.5.11 L16 network byte order),
 * RFC 7587 (Opus RTP clock 48000), ITU-T G.711, G.722, G.729.
 */
#include "config.h"

#include <stdlib.h>
#include <strings.h>

#include "calltap/audio.h"
#include "audio_int.h"

#ifdef HAVE_SPANDSP
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#endif
#ifdef HAVE_GSM
#include <gsm.h>
#endif
#ifdef HAVE_BCG729
#include <bcg729/decoder.h>
#endif
#ifdef HAVE_OPUS
#include <opus.h>
#endif

static int pcmu_decode(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t i, n = len < max_out ? len : max_out;

	(void)state;
	for (i = 0; i < n; i++)
		out[i] = ct_g711_ulaw_table[in[i]];
	return (int)n;
}

static int pcma_decode(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t i, n = len < max_out ? len : max_out;

	(void)state;
	for (i = 0; i < n; i++)
		out[i] = ct_g711_alaw_table[in[i]];
	return (int)n;
}

/* L16: big-endian 16-bit samples (RFC 3551 §4.5.11); odd length is malformed. */
static int l16_decode(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t i, n = len / 2 < max_out ? len / 2 : max_out;

	(void)state;
	if (len % 2 != 0)
		return -1;
	for (i = 0; i < n; i++)
		out[i] = (int16_t)(uint16_t)((unsigned)in[2 * i] << 8 | in[2 * i + 1]);
	return (int)n;
}

#ifdef HAVE_SPANDSP
static void *g722_new(void)
{
	return g722_decode_init(NULL, 64000, 0);
}

static void g722_free(void *state)
{
	g722_decode_free(state);
}

/* 64 kbit/s G.722: every byte gives two 16 kHz samples. */
static int g722_dec(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t n = len < max_out / 2 ? len : max_out / 2;

	return g722_decode(state, out, in, (int)n);
}
#endif

#ifdef HAVE_GSM
static void *gsm_new(void)
{
	return gsm_create();
}

static void gsm_free(void *state)
{
	gsm_destroy(state);
}

/* Whole 33-byte GSM 06.10 frames of 160 samples (RFC 3551 §4.5.8). */
static int gsm_dec(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t n = 0;

	if (len % 33 != 0)
		return -1;
	for (; len >= 33 && n + 160 <= max_out; in += 33, len -= 33, n += 160) {
		if (gsm_decode(state, (gsm_byte *)in, out + n) != 0)
			return -1;
	}
	return (int)n;
}
#endif

#ifdef HAVE_BCG729
static void *g729_new(void)
{
	return initBcg729DecoderChannel();
}

static void g729_free(void *state)
{
	closeBcg729DecoderChannel(state);
}

/* 10-byte frames of 80 samples, optionally ending in a 2-byte Annex B SID. */
static int g729_dec(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t n = 0;

	if (len % 10 != 0 && len % 10 != 2)
		return -1;
	for (; len > 0 && n + 80 <= max_out; n += 80) {
		uint8_t flen = len >= 10 ? 10 : 2;

		bcg729Decoder(state, in, flen, 0, flen == 2, 0, out + n);
		in += flen;
		len -= flen;
	}
	return (int)n;
}
#endif

#ifdef HAVE_OPUS
#define OPUS_OUT_RATE 16000

static void *opus_new(void)
{
	int err;

	return opus_decoder_create(OPUS_OUT_RATE, 1, &err);
}

static void opus_free(void *state)
{
	opus_decoder_destroy(state);
}

static int opus_dec(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	int n;

	if (len > 0x7FFFFFFF || max_out > 0x7FFFFFFF)
		return -1;
	n = opus_decode(state, in, (opus_int32)len, out, (int)max_out, 0);
	return n < 0 ? -1 : n;
}
#endif

static const struct ct_codec codecs[] = {
	{ "PCMU", 8000, 8000, 1, 0, NULL, NULL, pcmu_decode },
	{ "PCMA", 8000, 8000, 1, 0, NULL, NULL, pcma_decode },
	{ "L16", 8000, 8000, 1, 0, NULL, NULL, l16_decode },
	{ "L16", 16000, 16000, 1, 0, NULL, NULL, l16_decode },
	{ "L16", 44100, 44100, 1, 0, NULL, NULL, l16_decode },
	{ "L16", 48000, 48000, 1, 0, NULL, NULL, l16_decode },
#ifdef HAVE_SPANDSP
	{ "G722", 8000, 16000, 2, 0, g722_new, g722_free, g722_dec },
#endif
#ifdef HAVE_GSM
	{ "GSM", 8000, 8000, 5, 0, gsm_new, gsm_free, gsm_dec },
#endif
#ifdef HAVE_BCG729
	{ "G729", 8000, 8000, 8, 80, g729_new, g729_free, g729_dec },
#endif
#ifdef HAVE_OPUS
	/* 120 ms (the longest Opus packet) at 16 kHz */
	{ "opus", 48000, OPUS_OUT_RATE, 0, 1920, opus_new, opus_free, opus_dec },
#endif
};

/*
 * Finds the decoder for an SDP encoding name (case-insensitive) and RTP
 * clock rate; clock_rate 0 matches the codec's usual rate.  Returns a
 * pointer into a static const table, or NULL when name is NULL or the codec
 * is not compiled in.
 */
const struct ct_codec *ct_codec_find(const char *name, uint32_t clock_rate)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (strcasecmp(codecs[i].name, name) == 0 &&
		    (clock_rate == 0 || clock_rate == codecs[i].clock_rate))
			return &codecs[i];
	}
	return NULL;
}

/* Sample rate of the decoded audio in Hz; c must not be NULL. */
uint32_t ct_codec_rate(const struct ct_codec *c)
{
	return c->rate;
}

/* SDP encoding name as spelt in the table; c must not be NULL. */
const char *ct_codec_name(const struct ct_codec *c)
{
	return c->name;
}

/* Upper bound of the samples one len-byte payload decodes to. */
size_t ct_codec_max_samples(const struct ct_codec *c, size_t len)
{
	return len * c->per_byte + c->extra;
}
