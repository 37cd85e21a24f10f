/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Audio codec table for call recording: maps an SDP encoding name and RTP
 * clock rate to a decoder producing 16-bit mono PCM at 48 kHz at most.  Workload: one lookup
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
#include <string.h>
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
#ifdef HAVE_AMRNB
#include <opencore-amrnb/interf_dec.h>
#endif
#ifdef HAVE_AMRWB
#include <opencore-amrwb/dec_if.h>
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

/* Sample i of an L16 payload (big-endian, RFC 3551 §4.5.11). */
static inline int32_t l16_at(const uint8_t *in, size_t i)
{
	return (int16_t)(uint16_t)((unsigned)in[2 * i] << 8 | in[2 * i + 1]);
}

/* Mean of L16 samples 2i and 2i + 1 of in, for i < n. */
static void l16_means(const uint8_t *in, size_t n, int16_t *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = (int16_t)((l16_at(in, 2 * i) + l16_at(in, 2 * i + 1)) / 2);
}

/*
 * L16 stereo mixed down to mono: each frame's left and right (interleaved,
 * RFC 3551 §4.1: channel 1 first) become their mean.  A length that is not
 * whole frames is malformed.
 */
static int l16_stereo(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t n = len / 4 < max_out ? len / 4 : max_out;

	(void)state;
	if (len % 4 != 0)
		return -1;
	l16_means(in, n, out);
	return (int)n;
}

/*
 * L16 at 88.2 or 96 kHz brought to half the rate: each two successive
 * samples become their mean (an odd last sample is left out: the next
 * packet is placed by its own timestamp).  Odd length is malformed.
 */
static int l16_half(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out)
{
	size_t n = len / 4 < max_out ? len / 4 : max_out;

	(void)state;
	if (len % 2 != 0)
		return -1;
	l16_means(in, n, out);
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

#if defined(HAVE_AMRNB) || defined(HAVE_AMRWB)
/*
 * AMR and AMR-WB RTP payloads (RFC 4867 §4.3, §4.4): a 4-bit CMR, a table
 * of contents (per frame: F more-follow bit, 4-bit frame type FT, Q
 * quality bit) and the frames' speech bits.  Octet-aligned mode pads CMR
 * and each ToC entry to a byte and each frame to whole bytes; the
 * bandwidth-efficient mode (the default, SDP without octet-align=1) packs
 * everything bit after bit.  Interleaving (interleaving=, an extra ILL/ILP
 * byte) and robust sorting are not supported.  Each frame is handed to the
 * decoder in the storage format (§5.3: a header byte 0 FT Q 0 0, then the
 * speech bits from the most significant bit, zero-padded), 20 ms each;
 * NO_DATA frames (FT 15) go too (the decoder continues comfort noise).
 * Frame sizes in bits: RFC 4867 §3.6 table (3GPP TS 26.101, 26.201).
 */
#define AMR_MAX_FRAMES 64           /* per payload; more is taken as malformed */

static const uint16_t amrnb_bits[16] = { 95, 103, 118, 134, 148, 159, 204, 244, 39,
	0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0 };
static const uint16_t amrwb_bits[16] = { 132, 177, 253, 285, 317, 365, 397, 461, 477, 40,
	0xFFFF, 0xFFFF, 0xFFFF, 0xFFFF, 0, 0 };

/* Bits [*pos, *pos + n) of in (MSB first), n <= 8; *pos advances. */
static unsigned get_bits(const uint8_t *in, size_t *pos, unsigned n)
{
	unsigned v = 0;

	while (n-- > 0) {
		v = v << 1 | ((in[*pos / 8] >> (7 - *pos % 8)) & 1u);
		(*pos)++;
	}
	return v;
}

typedef void amr_frame_fn(void *state, const uint8_t *frame, int16_t *out);

/*
 * Splits an RFC 4867 payload into storage-format frames and decodes each
 * (spf samples per frame) into out; returns the samples or -1 when the
 * payload is malformed (truncated, reserved frame type, too many frames).
 */
static int amr_payload(void *state, const uint8_t *in, size_t len, int16_t *out,
    size_t max_out, int octet, const uint16_t *bits, unsigned spf, amr_frame_fn *dec)
{
	uint8_t toc[AMR_MAX_FRAMES], frame[1 + 61];
	size_t n = 0, i, pos, nbits = len * 8;
	unsigned f = 1;

	if (len == 0)
		return -1;
	pos = octet ? 8 : 4;                        /* CMR */
	while (f) {
		unsigned ft, q;

		if (n == AMR_MAX_FRAMES || pos + 6 > nbits)
			return -1;
		f = get_bits(in, &pos, 1);
		ft = get_bits(in, &pos, 4);
		q = get_bits(in, &pos, 1);
		if (octet)
			pos += 2;
		if (bits[ft] == 0xFFFF)
			return -1;
		toc[n++] = (uint8_t)(ft << 3 | q << 2);
	}
	if ((size_t)n * spf > max_out)
		return -1;
	for (i = 0; i < n; i++) {
		unsigned fb = bits[toc[i] >> 3], k;

		if (pos + fb > nbits)
			return -1;
		memset(frame, 0, sizeof(frame));
		frame[0] = toc[i];
		for (k = 0; k < fb; k++)
			frame[1 + k / 8] |= (uint8_t)(get_bits(in, &pos, 1) << (7 - k % 8));
		if (octet)
			pos = (pos + 7) / 8 * 8;
		dec(state, frame, out + i * spf);
	}
	return (int)(n * spf);
}
#endif

#ifdef HAVE_AMRNB
static void *amrnb_new(void)
{
	return Decoder_Interface_init();
}

static void amrnb_free(void *state)
{
	Decoder_Interface_exit(state);
}

static void amrnb_frame(void *state, const uint8_t *frame, int16_t *out)
{
	Decoder_Interface_Decode(state, frame, out, 0);
}

static int amrnb_be(void *state, const uint8_t *in, size_t len, int16_t *out, size_t max_out)
{
	return amr_payload(state, in, len, out, max_out, 0, amrnb_bits, 160, amrnb_frame);
}

static int amrnb_oa(void *state, const uint8_t *in, size_t len, int16_t *out, size_t max_out)
{
	return amr_payload(state, in, len, out, max_out, 1, amrnb_bits, 160, amrnb_frame);
}
#endif

#ifdef HAVE_AMRWB
static void *amrwb_new(void)
{
	return D_IF_init();
}

static void amrwb_free(void *state)
{
	D_IF_exit(state);
}

static void amrwb_frame(void *state, const uint8_t *frame, int16_t *out)
{
	D_IF_decode(state, frame, out, 0);
}

static int amrwb_be(void *state, const uint8_t *in, size_t len, int16_t *out, size_t max_out)
{
	return amr_payload(state, in, len, out, max_out, 0, amrwb_bits, 320, amrwb_frame);
}

static int amrwb_oa(void *state, const uint8_t *in, size_t len, int16_t *out, size_t max_out)
{
	return amr_payload(state, in, len, out, max_out, 1, amrwb_bits, 320, amrwb_frame);
}
#endif

static const struct ct_codec codecs[] = {
	/* Mono only: an interleaved multi-channel G.711 stream has no decoder here. */
	{ "PCMU", 8000, 8000, 1, 0, NULL, NULL, pcmu_decode, CT_CODEC_CHANNELS, 0,
	  ct_g711_ulaw_table },
	{ "PCMA", 8000, 8000, 1, 0, NULL, NULL, pcma_decode, CT_CODEC_CHANNELS, 0,
	  ct_g711_alaw_table },
	/*
	 * L16 at every sampling rate in use (RFC 3551 §4.5.11: the clock is the
	 * rate), mono, and stereo mixed down to mono.  88.2 and 96 kHz are
	 * decoded at half their rate: no recording runs above 48 kHz, so 4 hours
	 * of 16-bit stereo stay within a WAV header's 32 bits (writer.c writes
	 * its silence as holes only then; above, every zero was written out).
	 */
#define L16(r) { "L16", r, r, 1, 0, NULL, NULL, l16_decode, CT_CODEC_CHANNELS, 0, NULL }, \
	{ "L16", r, r, 1, 0, NULL, NULL, l16_stereo, CT_CODEC_CHANNELS, CT_CODEC_STEREO, NULL }
	L16(8000), L16(11025), L16(12000), L16(16000), L16(22050), L16(24000), L16(32000),
	L16(44100), L16(48000),
#undef L16
	{ "L16", 88200, 44100, 1, 0, NULL, NULL, l16_half, CT_CODEC_CHANNELS, 0, NULL },
	{ "L16", 96000, 48000, 1, 0, NULL, NULL, l16_half, CT_CODEC_CHANNELS, 0, NULL },
#ifdef HAVE_SPANDSP
	{ "G722", 8000, 16000, 2, 0, g722_new, g722_free, g722_dec, 0, 0, NULL },
#endif
#ifdef HAVE_GSM
	{ "GSM", 8000, 8000, 5, 0, gsm_new, gsm_free, gsm_dec, 0, 0, NULL },
#endif
#ifdef HAVE_BCG729
	{ "G729", 8000, 8000, 8, 80, g729_new, g729_free, g729_dec, 0, 0, NULL },
#endif
#ifdef HAVE_OPUS
	/* 120 ms (the longest Opus packet) at 16 kHz */
	{ "opus", 48000, OPUS_OUT_RATE, 0, 1920, opus_new, opus_free, opus_dec, 0, 0, NULL },
#endif
#ifdef HAVE_AMRNB
	{ "AMR", 8000, 8000, 0, AMR_MAX_FRAMES * 160, amrnb_new, amrnb_free, amrnb_be,
	  CT_CODEC_OCTET_ALIGN, 0, NULL },
	{ "AMR", 8000, 8000, 0, AMR_MAX_FRAMES * 160, amrnb_new, amrnb_free, amrnb_oa,
	  CT_CODEC_OCTET_ALIGN, CT_CODEC_OCTET_ALIGN, NULL },
#endif
#ifdef HAVE_AMRWB
	{ "AMR-WB", 16000, 16000, 0, AMR_MAX_FRAMES * 320, amrwb_new, amrwb_free, amrwb_be,
	  CT_CODEC_OCTET_ALIGN, 0, NULL },
	{ "AMR-WB", 16000, 16000, 0, AMR_MAX_FRAMES * 320, amrwb_new, amrwb_free, amrwb_oa,
	  CT_CODEC_OCTET_ALIGN, CT_CODEC_OCTET_ALIGN, NULL },
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
	return ct_codec_find_fmt(name, clock_rate, 0);
}

/*
 * As ct_codec_find, for a payload type whose SDP fmtp gave the flags fmt
 * (CT_CODEC_*): a codec whose payload format depends on them (AMR's
 * octet-align) is found in that format.
 */
const struct ct_codec *ct_codec_find_fmt(const char *name, uint32_t clock_rate, unsigned fmt)
{
	size_t i;

	if (name == NULL)
		return NULL;
	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++) {
		if (strcasecmp(codecs[i].name, name) == 0 &&
		    (clock_rate == 0 || clock_rate == codecs[i].clock_rate) &&
		    (fmt & codecs[i].fmt_mask) == codecs[i].fmt)
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
