/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Estimated listening-and-talking quality (MOS-CQE) of an RTP stream with a
 * simplified ITU-T G.107 E-model, computed once per stream when its record
 * is built.  Only what a passive probe measures enters it: the codec, the
 * packet loss ratio and the mean interarrival jitter.  All other G.107
 * inputs keep their defaults, which sum to R0 - Is = 93.2, and the advantage
 * factor A is 0.
 *
 *   R      = 93.2 - Id - Ie_eff
 *   Ie_eff = Ie + (95 - Ie) * Ppl / (Ppl / BurstR + Bpl)     (G.107 §7.5)
 *            Ppl = loss in percent (0..100), BurstR = 1 (random loss)
 *   Ta     = 2 * mean jitter + 20 ms packetisation + 10 ms   (one-way delay
 *            estimate: a jitter buffer of twice the mean jitter, one 20 ms
 *            frame, 10 ms for the network and the codec)
 *   Id     = 0.024 * Ta + 0.11 * (Ta - 177.3) * H(Ta - 177.3)
 *            (the simplified delay impairment of G.107 / Cole & Rosenbluth,
 *            H(x) = 1 for x >= 0, else 0)
 *   MOS    = 1 + 0.035 R + R (R - 60) (100 - R) * 7e-6       (G.107 Annex B)
 *            MOS = 1 for R <= 0, 4.5 for R >= 100, and kept within [1, 4.5].
 *
 * Equipment impairment Ie and packet-loss robustness Bpl per codec, from
 * ITU-T G.113 Appendix I where it lists them:
 *   G.711 (PCMU/PCMA)  Ie 0,  Bpl 25.1  (with packet loss concealment; we
 *                      assume PLC as every current endpoint has it, without
 *                      it G.113 gives Bpl 4.3)
 *   G.729 / G.729A     Ie 11, Bpl 19.0  (G.729A + VAD)
 *   G.723.1            Ie 15, Bpl 16.1  (6.3 kbit/s)
 *   G.726 / G.728      Ie 7,  Bpl 10.0  (Bpl assumed)
 *   GSM-FR             Ie 20, Bpl 10.0  (Bpl assumed)
 *   GSM-EFR, AMR       Ie 5,  Bpl 10.0
 *   iLBC, Speex        Ie 11, Bpl 19.0  (assumed, rated like G.729A)
 *   G.722, Opus, L16   Ie 0,  Bpl 25.1  (wideband or better; the
 *                      narrowband E-model cannot credit them, so they are
 *                      rated like G.711 with PLC)
 *   unknown or NULL    rated like G.711 with PLC.
 * With no loss and no jitter a G.711 stream scores R = 92.48, MOS 4.40.
 *
 * References: ITU-T G.107 (06/2015) §7, Annex B; ITU-T G.113 (11/2007)
 * Appendix I; R. G. Cole, J. H. Rosenbluth, "Voice over IP performance
 * monitoring", ACM SIGCOMM CCR 31(2), 2001.
 */
#include "config.h"

#include <math.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "calltap/rtp.h"

#define R_DEFAULT 93.2
#define BURST_R 1.0
#define TA_FIXED_MS 30.0   /* 20 ms packetisation + 10 ms */
#define ID_KNEE_MS 177.3

struct codec_impairment {
	const char *prefix;  /* case-insensitive prefix of the encoding name */
	double ie;
	double bpl;
};

/* First match wins: longer prefixes before their shorter relatives. */
static const struct codec_impairment codec_table[] = {
	{ "PCMU", 0.0, 25.1 },   { "PCMA", 0.0, 25.1 },   { "G711", 0.0, 25.1 },
	{ "G.711", 0.0, 25.1 },  { "G722", 0.0, 25.1 },   { "G.722", 0.0, 25.1 },
	{ "G729", 11.0, 19.0 },  { "G.729", 11.0, 19.0 }, { "G723", 15.0, 16.1 },
	{ "G.723", 15.0, 16.1 }, { "G726", 7.0, 10.0 },   { "G.726", 7.0, 10.0 },
	{ "G728", 7.0, 10.0 },   { "G.728", 7.0, 10.0 },  { "GSM-EFR", 5.0, 10.0 },
	{ "GSM", 20.0, 10.0 },   { "AMR", 5.0, 10.0 },    { "iLBC", 11.0, 19.0 },
	{ "speex", 11.0, 19.0 }, { "opus", 0.0, 25.1 },   { "L16", 0.0, 25.1 },
};

static const struct codec_impairment *codec_find(const char *codec)
{
	size_t i;

	if (codec != NULL) {
		for (i = 0; i < sizeof(codec_table) / sizeof(codec_table[0]); i++) {
			const char *p = codec_table[i].prefix;

			if (strncasecmp(codec, p, strlen(p)) == 0)
				return &codec_table[i];
		}
	}
	return &codec_table[0];
}

/* G.107 Annex B: R factor to MOS-CQE, clamped to [1, 4.5]. */
static double r_to_mos(double r)
{
	double mos;

	if (r <= 0.0)
		return 1.0;
	if (r >= 100.0)
		return 4.5;
	mos = 1.0 + 0.035 * r + r * (r - 60.0) * (100.0 - r) * 7e-6;
	if (mos < 1.0)
		return 1.0;
	return mos > 4.5 ? 4.5 : mos;
}

/*
 * Returns the E-model MOS (1.0 .. 4.5) of a stream coded with codec (an SDP
 * encoding name such as "PCMU" or "G729", case-insensitive; NULL or unknown
 * is rated as G.711), with loss the lost fraction of packets (0..1, clamped)
 * and jitter_ms the mean interarrival jitter (negative or NaN counts as 0).
 */
double ct_rtp_mos(const char *codec, double loss, double jitter_ms)
{
	const struct codec_impairment *c = codec_find(codec);
	double ppl, ie_eff, ta, id;

	ppl = isnan(loss) || loss < 0.0 ? 0.0 : loss > 1.0 ? 100.0 : loss * 100.0;
	if (isnan(jitter_ms) || jitter_ms < 0.0)
		jitter_ms = 0.0;
	ie_eff = c->ie + (95.0 - c->ie) * ppl / (ppl / BURST_R + c->bpl);
	ta = 2.0 * jitter_ms + TA_FIXED_MS;
	id = 0.024 * ta;
	if (ta > ID_KNEE_MS)
		id += 0.11 * (ta - ID_KNEE_MS);
	return r_to_mos(R_DEFAULT - id - ie_eff);
}
