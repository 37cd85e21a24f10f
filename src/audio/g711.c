/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ITU-T G.711 companding: µ-law and A-law bytes to 16-bit linear PCM and
 * back.  Workload: one expansion per received audio byte of every recorded
 * call (8000 per second per direction), so expansion is a lookup in two
 * const 256-entry tables that the compiler computes from the G.711 segment
 * formulas below (no run-time initialisation, no mutable state).  The
 * encoders are used by tests and tools to synthesise known signals; they
 * pick the G.711 code whose decision interval holds the sample.
 * References: ITU-T G.711 (11/1988) tables 1a/1b (A-law), 2a/2b (µ-law);
 * RFC 3551 §4.5.14 (PCMA/PCMU).
 */
#include "config.h"

#include "audio_int.h"

/*
 * µ-law: bits are inverted on the line; after inversion bit 7 is the sign
 * (1 = negative), bits 6..4 the segment e, bits 3..0 the mantissa m.  The
 * magnitude is ((m << 3) + 0x84) << e, minus the bias 0x84 (16-bit scale,
 * i.e. the G.711 14-bit value times 4).
 */
#define ULAW_X(u) ((~(unsigned)(u)) & 0xFFu)
#define ULAW_T(u) (((int)((ULAW_X(u) & 0x0Fu) << 3) + 0x84) << ((ULAW_X(u) & 0x70u) >> 4))
#define ULAW(u) ((int16_t)((ULAW_X(u) & 0x80u) ? 0x84 - ULAW_T(u) : ULAW_T(u) - 0x84))

/*
 * A-law: even bits are inverted on the line (xor 0x55); then bit 7 is the
 * sign (1 = positive), bits 6..4 the segment s, bits 3..0 the mantissa m.
 * Magnitude (16-bit scale, the 13-bit value times 8): segment 0 is
 * (m << 4) + 8, segment s >= 1 is ((m << 4) + 0x108) << (s - 1).
 */
#define ALAW_X(a) (((unsigned)(a) ^ 0x55u) & 0xFFu)
#define ALAW_S(a) ((ALAW_X(a) & 0x70u) >> 4)
#define ALAW_M(a) ((int)((ALAW_X(a) & 0x0Fu) << 4))
#define ALAW_T(a) (ALAW_S(a) == 0 ? ALAW_M(a) + 8 : \
	(ALAW_M(a) + 0x108) << (ALAW_S(a) ? ALAW_S(a) - 1 : 0))
#define ALAW(a) ((int16_t)((ALAW_X(a) & 0x80u) ? ALAW_T(a) : -ALAW_T(a)))

#define R4(f, b) f(b), f((b) + 1), f((b) + 2), f((b) + 3)
#define R16(f, b) R4(f, b), R4(f, (b) + 4), R4(f, (b) + 8), R4(f, (b) + 12)
#define R64(f, b) R16(f, b), R16(f, (b) + 16), R16(f, (b) + 32), R16(f, (b) + 48)
#define R256(f) R64(f, 0), R64(f, 64), R64(f, 128), R64(f, 192)

const int16_t ct_g711_ulaw_table[256] = { R256(ULAW) };
const int16_t ct_g711_alaw_table[256] = { R256(ALAW) };

/* Expands one µ-law byte; 0xFF and 0x7F are 0, 0x00 is -32124. */
int16_t ct_g711_ulaw_decode(uint8_t u)
{
	return ct_g711_ulaw_table[u];
}

/* Expands one A-law byte; 0xD5 is 8, 0x55 is -8, 0xAA is 32256. */
int16_t ct_g711_alaw_decode(uint8_t a)
{
	return ct_g711_alaw_table[a];
}

/* Index of the highest set bit of v (v > 0). */
static unsigned top_bit(unsigned v)
{
	unsigned n = 0;

	while (v >>= 1)
		n++;
	return n;
}

/*
 * Compresses a 16-bit sample to µ-law.  Magnitudes above 32635 clip to the
 * largest code; the result decodes to the centre of the sample's interval.
 */
uint8_t ct_g711_ulaw_encode(int16_t pcm)
{
	unsigned sign = pcm < 0 ? 0x80u : 0u;
	int mag = pcm < 0 ? -(int)pcm : pcm;
	unsigned e, m;

	if (mag > 32635)
		mag = 32635;
	mag += 0x84;
	e = top_bit((unsigned)mag >> 7);
	m = ((unsigned)mag >> (e + 3)) & 0x0Fu;
	return (uint8_t)~(sign | (e << 4) | m);
}

/*
 * Compresses a 16-bit sample to A-law (13-bit magnitude = |pcm| >> 3);
 * the result decodes to the centre of the sample's interval.
 */
uint8_t ct_g711_alaw_encode(int16_t pcm)
{
	unsigned sign = pcm >= 0 ? 0x80u : 0u;
	int mag = pcm < 0 ? -(int)pcm : pcm;
	unsigned v, s, m;

	if (mag > 32767)
		mag = 32767;
	v = (unsigned)mag >> 3;
	if (v < 32) {
		s = 0;
		m = v >> 1;
	} else {
		s = top_bit(v) - 4;
		m = (v >> s) & 0x0Fu;
	}
	return (uint8_t)((sign | (s << 4) | m) ^ 0x55u);
}
