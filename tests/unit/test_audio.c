/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the audio module: G.711 vectors and round trips, the codec
 * table, and stereo recordings synthesised from RTP packets (loss, reorder,
 * late start, timestamp wrap, codec mixes) read back with libsndfile and
 * checked sample by sample and with a Goertzel filter.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sndfile.h>

#include "calltap/audio.h"
#include "calltap/err.h"
#include "../../src/audio/audio_int.h"
#include "test.h"

#ifdef HAVE_SPANDSP
#include <spandsp/telephony.h>
#include <spandsp/g722.h>
#endif
#ifdef HAVE_OPUS
#include <opus.h>
#endif
#ifdef HAVE_GSM
#include <gsm.h>
#endif
#ifdef HAVE_BCG729
#include <bcg729/encoder.h>
#endif
#ifdef HAVE_AMRNB
#include <opencore-amrnb/interf_enc.h>
#endif
#ifdef HAVE_AMRWBENC
#include <vo-amrwbenc/enc_if.h>
#endif

#define START_US 1700000000000000LL   /* 2023-11-14 22:13:20 UTC */
#define PI 3.14159265358979323846

/* ---- G.711 ---- */

static const struct { uint8_t code; int16_t ulaw, alaw; } g711_vec[] = {
	{ 0xFF, 0, 848 },      { 0x00, -32124, -5504 },  { 0x7F, 0, -848 },
	{ 0x80, 32124, 5504 },  { 0xFE, 8, 880 },        { 0x7E, -8, -880 },
	{ 0xD5, 716, 8 },        { 0x55, -716, -8 },        { 0xAA, 5372, 32256 },
	{ 0x2A, -5372, -32256 }, { 0xF0, 120, 688 },      { 0x70, -120, -688 },
};

static void test_g711_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(g711_vec) / sizeof(g711_vec[0]); i++) {
		CHECK_INT(ct_g711_ulaw_decode(g711_vec[i].code), g711_vec[i].ulaw);
		CHECK_INT(ct_g711_alaw_decode(g711_vec[i].code), g711_vec[i].alaw);
	}
	CHECK_INT(ct_g711_ulaw_encode(0), 0xFF);
	CHECK_INT(ct_g711_ulaw_encode(-32768), 0x00);
	CHECK_INT(ct_g711_ulaw_encode(32767), 0x80);
	CHECK_INT(ct_g711_alaw_encode(0), 0xD5);
	CHECK_INT(ct_g711_alaw_encode(-1), 0x55);
	CHECK_INT(ct_g711_alaw_encode(32767), 0xAA);
	CHECK_INT(ct_g711_alaw_encode(-32768), 0x2A);
}

/* Every code survives decode -> encode; every sample is within half a step. */
static void test_g711_round_trip(void)
{
	int b, x, bad_code = 0, bad_err = 0, bad_mono = 0;

	for (b = 0; b < 256; b++) {
		if (b != 0x7F && ct_g711_ulaw_encode(ct_g711_ulaw_decode((uint8_t)b)) != b)
			bad_code++;
		if (ct_g711_alaw_encode(ct_g711_alaw_decode((uint8_t)b)) != b)
			bad_code++;
	}
	for (x = -32768; x <= 32767; x++) {
		int mag = abs(x);
		int eu = abs(ct_g711_ulaw_decode(ct_g711_ulaw_encode((int16_t)x)) - x);
		int ea = abs(ct_g711_alaw_decode(ct_g711_alaw_encode((int16_t)x)) - x);
		/* half the step of the sample's segment, or the clipping error */
		int bu = mag > 32635 ? mag - 32124 : (mag + 0x84) / 32 + 1;
		int ba = mag >= 32256 ? mag - 32256 + 1 : (mag < 512 ? 8 : mag / 32 + 1);

		if (eu > bu || ea > ba)
			bad_err++;
		if (x > -32768 && ct_g711_ulaw_decode(ct_g711_ulaw_encode((int16_t)x)) <
		    ct_g711_ulaw_decode(ct_g711_ulaw_encode((int16_t)(x - 1))))
			bad_mono++;
	}
	CHECK_INT(bad_code, 0);
	CHECK_INT(bad_err, 0);
	CHECK_INT(bad_mono, 0);
}

/* ---- codec table ---- */

static void test_codec_table(void)
{
	const struct ct_codec *c;
	enum ct_audio_format f = CT_AUDIO_WAV;

	c = ct_codec_find("pcmu", 8000);
	CHECK(c != NULL);
	if (c != NULL) {
		CHECK_STR(ct_codec_name(c), "PCMU");
		CHECK_INT(ct_codec_rate(c), 8000);
	}
	CHECK(ct_codec_find("PCMA", 0) != NULL);
	CHECK(ct_codec_find("PCMU", 16000) == NULL);
	CHECK(ct_codec_find("G723", 8000) == NULL);
	CHECK(ct_codec_find("telephone-event", 8000) == NULL);
	CHECK(ct_codec_find(NULL, 8000) == NULL);
	c = ct_codec_find("L16", 16000);
	CHECK(c != NULL && ct_codec_rate(c) == 16000);
	/* 88.2/96 kHz at half the rate: no recording above 48 kHz (WAV's 32 bits) */
	c = ct_codec_find("L16", 96000);
	CHECK(c != NULL && ct_codec_rate(c) == 48000);
	c = ct_codec_find("L16", 88200);
	CHECK(c != NULL && ct_codec_rate(c) == 44100);
	/* channels: L16 stereo mixed down, more channels and G.711 stereo refused */
	c = ct_codec_find_fmt("L16", 8000, CT_CODEC_STEREO);
	CHECK(c != NULL && c != ct_codec_find("L16", 8000));
	CHECK(ct_codec_find_fmt("L16", 8000, CT_CODEC_MULTI) == NULL);
	CHECK(ct_codec_find_fmt("L16", 96000, CT_CODEC_STEREO) == NULL);
	CHECK(ct_codec_find_fmt("PCMU", 8000, CT_CODEC_STEREO) == NULL);
	CHECK(ct_codec_find_fmt("PCMA", 8000, 0) != NULL);
#ifdef HAVE_SPANDSP
	c = ct_codec_find("G722", 8000);
	CHECK(c != NULL && ct_codec_rate(c) == 16000);
#endif
#ifdef HAVE_OPUS
	c = ct_codec_find("OPUS", 48000);
	CHECK(c != NULL && ct_codec_rate(c) == 16000);
	/* RFC 7587 §7: the rtpmap always says opus/48000/2 */
	CHECK(ct_codec_find_fmt("opus", 48000, CT_CODEC_STEREO) == c);
#endif
	CHECK_INT(ct_audio_format_parse("FLAC", &f), 0);
	CHECK_INT(f, CT_AUDIO_FLAC);
	CHECK_INT(ct_audio_format_parse("ogg", &f), 0);
	CHECK_INT(f, CT_AUDIO_OGG);
	CHECK_INT(ct_audio_format_parse("mp3", &f), -1);
	CHECK_INT(f, CT_AUDIO_OGG);
	CHECK_INT(ct_audio_format_parse(NULL, &f), -1);
}

/* Decoders on malformed payloads (through the codec table). */
static void test_codec_malformed(void)
{
	const struct ct_codec *l16 = ct_codec_find("L16", 8000);
	const uint8_t be[4] = { 0x12, 0x34, 0xFF, 0xFE };
	int16_t out[4] = { 0 };

	CHECK_INT(l16->decode(NULL, be, 4, out, 4), 2);
	CHECK_INT(out[0], 0x1234);
	CHECK_INT(out[1], -2);
	CHECK_INT(l16->decode(NULL, be, 3, out, 4), -1);
	CHECK_INT(l16->decode(NULL, be, 4, out, 1), 1);
	CHECK_INT(ct_codec_max_samples(l16, 4) >= 2, 1);
}

/* ---- signals ---- */

static int16_t tone(double f, int rate, long n, double amp)
{
	return (int16_t)lrint(amp * sin(2 * PI * f * (double)n / rate));
}

/* Power of x[0..n) at frequency f (Goertzel). */
static double goertzel(const short *x, size_t stride, size_t n, double f, int rate)
{
	double k = 2 * cos(2 * PI * f / rate), s1 = 0, s2 = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		double s0 = x[i * stride] + k * s1 - s2;

		s2 = s1;
		s1 = s0;
	}
	return s1 * s1 + s2 * s2 - k * s1 * s2;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

/* Reads a whole stereo file; returns frames (or -1) and a malloc'ed buffer. */
static long read_file(const char *path, short **buf, SF_INFO *info)
{
	SNDFILE *sf;
	long n;

	memset(info, 0, sizeof(*info));
	*buf = NULL;
	sf = sf_open(path, SFM_READ, info);
	if (sf == NULL)
		return -1;
	*buf = calloc((size_t)info->frames * info->channels + 1, sizeof(short));
	n = (long)sf_readf_short(sf, *buf, info->frames);
	sf_close(sf);
	return n;
}

static void ulaw_packet(uint8_t *p, double f, long first, double amp)
{
	int i;

	for (i = 0; i < 160; i++)
		p[i] = ct_g711_ulaw_encode(tone(f, 8000, first + i, amp));
}

/*
 * Caller: 150 x 20 ms µ-law packets of 440 Hz from t = 0, packet 50 lost,
 * packets 60 and 61 arrive swapped.  Callee: 125 packets of 1000 Hz from
 * t = 1.5 s, RTP timestamps wrapping past 2^32.
 */
static void add_tone_call(struct ct_audio_call *ac)
{
	uint8_t p[160];
	int i;

	for (i = 0; i < 200; i++) {
		int k = i == 60 ? 61 : i == 61 ? 60 : i;
		int m = i - 75;

		if (k < 150 && k != 50) {
			ulaw_packet(p, 440, k * 160L, 8000);
			ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 0x1111,
			    1000u + (uint32_t)k * 160, START_US + i * 20000LL, p, 160);
		}
		if (m >= 0 && m < 125) {
			ulaw_packet(p, 1000, m * 160L, 6000);
			ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMU", 8000, 0x2222,
			    0xFFFFF000u + (uint32_t)m * 160, START_US + 1500000 + m * 20000LL, p, 160);
			ct_audio_call_add(ac, CT_AUDIO_CALLEE, "telephone-event", 8000, 0x2222,
			    0, START_US + 1500000 + m * 20000LL, p, 4);
		}
	}
}

/* Exact sample check of the tone call read back from path. */
static void check_tone_file(const char *path, int fmt_major)
{
	SF_INFO info;
	short *b;
	long n = read_file(path, &b, &info), i;
	int bad_l = 0, bad_r = 0, lost_nonzero = 0;

	CHECK_INT(n, 32000);
	CHECK_INT(info.channels, 2);
	CHECK_INT(info.samplerate, 8000);
	CHECK_INT(info.format & SF_FORMAT_TYPEMASK, fmt_major);
	if (n != 32000 || info.channels != 2) {
		free(b);
		return;
	}
	for (i = 0; i < 32000; i++) {
		short l = b[2 * i], r = b[2 * i + 1];
		short el = i < 24000 ? ct_g711_ulaw_decode(ct_g711_ulaw_encode(tone(440, 8000, i, 8000))) : 0;
		short er = i >= 12000 ? ct_g711_ulaw_decode(ct_g711_ulaw_encode(tone(1000, 8000, i - 12000, 6000))) : 0;

		if (i >= 50 * 160 && i < 51 * 160) {
			lost_nonzero += l != 0;
			continue;
		}
		bad_l += l != el;
		bad_r += r != er;
	}
	CHECK_INT(lost_nonzero, 0);
	CHECK_INT(bad_l, 0);
	CHECK_INT(bad_r, 0);
	/* left: 440 Hz, not 1000 Hz; right: the reverse (1 s windows) */
	CHECK(goertzel(b, 2, 8000, 440, 8000) > 1000 * goertzel(b, 2, 8000, 1000, 8000));
	CHECK(goertzel(b + 2 * 16000 + 1, 2, 8000, 1000, 8000) >
	    1000 * goertzel(b + 2 * 16000 + 1, 2, 8000, 440, 8000));
	CHECK(goertzel(b + 1, 2, 12000, 1000, 8000) == 0.0);
	free(b);
}

static void test_tone_call(const char *dir, enum ct_audio_format fmt, const char *ext,
    int major)
{
	char errbuf[CT_ERRBUF_SIZE] = "", want[512], *path = NULL, *undec = (char *)1;
	struct ct_audio_call *ac = ct_audio_call_new(dir, fmt, "a84b4c76e66710@pc33.example.com",
	    START_US, errbuf);

	CHECK(ac != NULL);
	add_tone_call(ac);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	snprintf(want, sizeof(want), "%s/20231114-221320_a84b4c76e66710_pc33.example.com.%s",
	    dir, ext);
	CHECK_STR(path, want);
	CHECK(undec == NULL);
	CHECK_INT(count_entries(dir), 1);        /* scratch and temp files are gone */
	if (path != NULL) {
		check_tone_file(path, major);
		unlink(path);
	}
	free(path);
}

/* Ogg Vorbis is lossy: length and spectrum only. */
static void test_ogg(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_OGG, "ogg", START_US, errbuf);
	SF_INFO info;
	short *b = NULL;
	long n;

	add_tone_call(ac);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(n, 32000);
	CHECK_INT(info.channels, 2);
	CHECK_INT(info.format & SF_FORMAT_TYPEMASK, SF_FORMAT_OGG);
	if (n == 32000) {
		CHECK(goertzel(b, 2, 8000, 440, 8000) > 100 * goertzel(b, 2, 8000, 1000, 8000));
		CHECK(goertzel(b + 2 * 16000 + 1, 2, 8000, 1000, 8000) >
		    100 * goertzel(b + 2 * 16000 + 1, 2, 8000, 440, 8000));
	}
	free(b);
	unlink(path);
	free(path);
}

/* Only undecodable codecs, DTMF and CN: no file, codec list deduplicated. */
static void test_undecodable(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = (char *)1, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "undec", START_US, errbuf);
	uint8_t p[24] = { 0 };

	ct_audio_call_add(ac, CT_AUDIO_CALLER, "G723", 8000, 1, 0, START_US, p, 24);
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "iLBC", 8000, 2, 0, START_US, p, 24);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "g723", 8000, 1, 240, START_US + 30000, p, 24);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "telephone-event", 8000, 1, 0, START_US, p, 4);
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "CN", 8000, 2, 0, START_US, p, 1);
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMU", 16000, 2, 0, START_US, p, 24);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path == NULL);
	CHECK_STR(undec, "G723,iLBC,PCMU");
	CHECK_INT(count_entries(dir), 0);
	free(undec);
}

/*
 * Stretches without any packet are cut to 3 s: two packets an hour apart
 * make 3 s + 2 packets of file, not an hour of zeros (a spoofed call must
 * not fill the disk); both channels stay aligned after the cut.
 */
static void test_hole_cut(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "hole", START_US, errbuf);
	uint8_t p[160];
	SF_INFO info;
	short *b = NULL;
	long n;

	memset(p, 0x80, sizeof(p));                 /* µ-law +32124 */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 0, START_US, p, 160);
	/* an hour later, both sides, 100 ms apart */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 3600u * 8000,
	    START_US + 3600LL * 1000000, p, 160);
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMA", 8000, 2, 0,
	    START_US + 3600LL * 1000000 + 100000, p, 160);
	/* a 2 s pause is kept as it is */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 3602u * 8000,
	    START_US + 3602LL * 1000000, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	/* 160 + 3 s + (2 s + 160) samples */
	CHECK_INT(n, 160 + 3 * 8000 + 2 * 8000 + 160);
	if (n == 160 + 3 * 8000 + 2 * 8000 + 160) {
		CHECK_INT(b[2 * 159], 32124);
		CHECK_INT(b[2 * 160], 0);
		CHECK_INT(b[2 * (160 + 3 * 8000)], 32124);          /* caller after the cut */
		CHECK_INT(b[2 * (160 + 3 * 8000 + 800) + 1], ct_g711_alaw_decode(0x80)); /* callee 100 ms on */
		CHECK_INT(b[2 * (160 + 5 * 8000)], 32124);          /* 2 s later, not cut */
	}
	unlink(path);
	free(b);
	free(path);
}

/*
 * A timestamp jump on one side that the arrival times do not show (3-30 s:
 * under the old 30 s re-anchoring threshold) re-anchors that side and cuts
 * nothing: the other side's continuous audio stays where it arrived.  It
 * used to open a 17 s "hole" cut for both channels that moved the callee's
 * later audio back over its first seconds.
 */
static void test_ts_jump_one_side(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "tsjump", START_US, errbuf);
	uint8_t p[160], q[160];
	SF_INFO info;
	short *b = NULL;
	long n, i, bad = 0;

	for (i = 0; i < 1000; i++) {      /* 20 s, 20 ms packets, both sides */
		int64_t t = START_US + i * 20000;
		uint32_t jump = i >= 500 ? 20u * 8000 : 0;   /* caller: +20 s at 10 s */

		memset(p, ct_g711_ulaw_encode((int16_t)(100 * (i / 50 + 1))), sizeof(p));
		memset(q, ct_g711_alaw_encode((int16_t)(-100 * (i / 50 + 1))), sizeof(q));
		ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 160u * (uint32_t)i + jump,
		    t, p, 160);
		ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMA", 8000, 2, 5000 + 160u * (uint32_t)i,
		    t + 5000, q, 160);
	}
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(n, 20 * 8000 + 40);     /* the callee's 5 ms offset */
	/* each second of both sides where it was sent: the callee's level
	 * grows by one step a second, never back */
	for (i = 0; i + 1 < n && i < 20 * 8000; i += 400) {
		int sec = (int)(i / 8000);
		int16_t want_a = ct_g711_ulaw_decode(ct_g711_ulaw_encode((int16_t)(100 * (sec + 1))));
		int16_t want_b = ct_g711_alaw_decode(ct_g711_alaw_encode((int16_t)(-100 * (sec + 1))));

		if (b[2 * (i + 40) + 1] != want_b || (i % 8000 > 0 && b[2 * i] != want_a))
			bad++;
	}
	CHECK_INT(bad, 0);
	unlink(path);
	free(b);
	free(path);
}

/* L16 stereo (SDP L16/8000/2) mixed down: left +8000 and right -8000 give 0. */
static void test_l16_stereo(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "stereo", START_US, errbuf);
	uint8_t p[640], q[320];
	SF_INFO info;
	short *b = NULL;
	long n, i;

	for (i = 0; i < 160; i++) {       /* 20 ms: 160 frames of L, R */
		p[4 * i] = 0x1f, p[4 * i + 1] = 0x40;                 /* +8000 */
		p[4 * i + 2] = 0xe0, p[4 * i + 3] = 0xc0;             /* -8000 */
		q[2 * i] = 0, q[2 * i + 1] = (uint8_t)i;              /* mono ramp */
	}
	for (i = 0; i < 10; i++) {
		ct_audio_call_add_fmt(ac, CT_AUDIO_CALLER, "L16", 8000, CT_CODEC_STEREO, 1,
		    160u * (uint32_t)i, START_US + i * 20000, p, sizeof(p));
		ct_audio_call_add_fmt(ac, CT_AUDIO_CALLEE, "L16", 8000, 0, 2,
		    160u * (uint32_t)i, START_US + i * 20000, q, sizeof(q));
	}
	/* a stereo payload that is not whole frames is malformed */
	ct_audio_call_add_fmt(ac, CT_AUDIO_CALLER, "L16", 8000, CT_CODEC_STEREO, 1, 1600,
	    START_US + 200000, p, 6);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(n, 1600);                /* 10 packets of 160 frames, not 320 */
	if (n == 1600) {
		for (i = 0; i < 1600; i++)
			if (b[2 * i] != 0 || b[2 * i + 1] != (short)(i % 160))
				break;
		CHECK_INT(i, 1600);
	}
	unlink(path);
	free(b);
	free(path);
}

/* L16 at 96 kHz: recorded at 48 kHz, each two samples their mean. */
static void test_l16_96k(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "96k", START_US, errbuf);
	uint8_t p[3840];
	SF_INFO info;
	short *b = NULL;
	long n, i;

	for (i = 0; i < 1920; i++) {      /* 20 ms at 96 kHz: 1000, 3000, 1000, 3000 ... */
		int v = i % 2 ? 3000 : 1000;

		p[2 * i] = (uint8_t)(v >> 8), p[2 * i + 1] = (uint8_t)v;
	}
	for (i = 0; i < 5; i++)
		ct_audio_call_add(ac, CT_AUDIO_CALLER, "L16", 96000, 1, 1920u * (uint32_t)i,
		    START_US + i * 20000, p, sizeof(p));
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 48000);
	CHECK_INT(n, 5 * 960);
	if (n == 5 * 960)
		CHECK_INT(b[2 * 1234], 2000);
	unlink(path);
	free(b);
	free(path);
}

/* Malformed and out-of-range packets are dropped; the rest is placed. */
static void test_drops(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "x", START_US, errbuf);
	uint8_t p[160];
	SF_INFO info;
	short *b = NULL;
	long n;

	memset(p, 0x80, sizeof(p));                 /* µ-law +32124 */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 7, 5000, START_US - 40000, p, 160);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 7, 5000 + 320, START_US - 0, p, 0);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 7, 5000 + 320, START_US, NULL, 160);
	ct_audio_call_add(ac, 2, "PCMU", 8000, 7, 5000 + 320, START_US, p, 160);
	ct_audio_call_add(ac, -1, "PCMU", 8000, 7, 5000 + 320, START_US, p, 160);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "L16", 8000, 8, 0, START_US, p, 7);
	/* 5 hours of timestamp but consistent arrival: beyond the 4-hour cap */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 7, 5000 + 5u * 3600 * 8000,
	    START_US + 5LL * 3600 * 1000000, p, 160);
	/* ssrc 7 anchored at -320: 320 later lands at sample 0 */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 7, 5000 + 320, START_US + 400, p, 10);
	/* ssrc 9: timestamp jumps by an hour while arrival moves 1 s: re-anchored */
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMA", 8000, 9, 0, START_US + 1000000, p, 160);
	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMA", 8000, 9, 3600u * 8000, START_US + 2000000, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(undec == NULL);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(n, 16160);
	if (n == 16160) {
		CHECK_INT(b[0], 32124);
		CHECK_INT(b[2 * 9], 32124);
		CHECK_INT(b[2 * 10], 0);
		CHECK_INT(b[2 * 8000 + 1], ct_g711_alaw_decode(0x80));
		CHECK_INT(b[2 * 16159 + 1], ct_g711_alaw_decode(0x80));
		CHECK_INT(b[2 * 8160 + 1], 0);
	}
	free(b);
	unlink(path);
	free(path);
}

/* Missing directory: -1 with the path in errbuf, no file. */
static void test_bad_dir(void)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = (char *)1, *undec = (char *)1;
	struct ct_audio_call *ac = ct_audio_call_new("/nonexistent/calltap-rec", CT_AUDIO_WAV,
	    "id", START_US, errbuf);
	uint8_t p[160] = { 0 };

	CHECK(ac != NULL);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 0, START_US, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), -1);
	CHECK(path == NULL);
	CHECK(undec == NULL);
	CHECK(strstr(errbuf, "/nonexistent/calltap-rec/") != NULL);
	CHECK_INT(ct_audio_call_finish(NULL, &path, &undec, errbuf), 0);
	CHECK(ct_audio_call_new(NULL, CT_AUDIO_WAV, "id", 0, errbuf) == NULL);
	CHECK(ct_audio_call_new("/tmp", (enum ct_audio_format)7, "id", 0, errbuf) == NULL);
}

/* Records one 1 ms packet under call_id at start_us; returns the path (malloc'ed) or NULL. */
static char *one_file(const char *dir, const char *call_id, int64_t start_us)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, call_id, start_us, errbuf);
	uint8_t p[8] = { 0 };

	ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMU", 8000, 1, 0, start_us, p, 8);
	CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	return path;
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/*
 * Call-ID sanitising, the 80-character cap with the hash of a longer
 * Call-ID, and names that meet: Call-IDs sharing their first 100
 * characters, Call-IDs equal once sanitised, the same Call-ID twice in one
 * second, and a file already there.  No recording replaces a file: each
 * gets the next free name.
 */
static void test_names(const char *dir)
{
	char id[120], id2[120], want[512], *path, *p[6];
	FILE *fp;
	int i;

	memset(id, 'x', sizeof(id));
	memcpy(id, "a b/c;d=é", 10);
	id[sizeof(id) - 1] = '\0';
	path = one_file(dir, id, 0);
	snprintf(want, sizeof(want), "%s/19700101-000000_a_b_c_d___%.70s~3bfb2fbb71e105f7.wav", dir,
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	CHECK_STR(path, want);
	if (path != NULL)
		unlink(path);
	free(path);

	memset(id, 'c', sizeof(id));
	id[100] = '\0';
	memcpy(id2, id, sizeof(id));
	strcat(id, "one@x");
	strcat(id2, "two@x");
	p[0] = one_file(dir, id, START_US);
	p[1] = one_file(dir, id2, START_US + 400000);
	p[2] = one_file(dir, id2, START_US + 900000);          /* same Call-ID, same second */
	p[3] = one_file(dir, "abc@host", START_US);
	p[4] = one_file(dir, "abc_host", START_US);            /* same name once sanitised */
	snprintf(want, sizeof(want), "%s/20231114-221320_short.wav", dir);
	fp = fopen(want, "w");
	CHECK(fp != NULL);
	if (fp != NULL) {
		fputs("precious", fp);
		fclose(fp);
	}
	p[5] = one_file(dir, "short", START_US);               /* a file of that name exists */
	for (i = 0; i < 6; i++)
		CHECK(p[i] != NULL);
	if (p[0] && p[1] && p[2] && p[3] && p[4] && p[5]) {
		CHECK(strcmp(p[0], p[1]) != 0);
		CHECK(strstr(p[1], "~") != NULL && strstr(p[2], "~") != NULL);
		snprintf(want, sizeof(want), "%.*s-2.wav", (int)(strlen(p[1]) - 4), p[1]);
		CHECK_STR(p[2], want);
		snprintf(want, sizeof(want), "%s/20231114-221320_abc_host.wav", dir);
		CHECK_STR(p[3], want);
		snprintf(want, sizeof(want), "%s/20231114-221320_abc_host-2.wav", dir);
		CHECK_STR(p[4], want);
		snprintf(want, sizeof(want), "%s/20231114-221320_short-2.wav", dir);
		CHECK_STR(p[5], want);
		for (i = 0; i < 6; i++)
			CHECK_INT(file_size(p[i]), 44 + 8 * 4);
		snprintf(want, sizeof(want), "%s/20231114-221320_short.wav", dir);
		CHECK_INT(file_size(want), 8);
	}
	CHECK_INT(count_entries(dir), 7);
	for (i = 0; i < 6; i++) {
		if (p[i] != NULL)
			unlink(p[i]);
		free(p[i]);
	}
	unlink(want);
}

#ifdef HAVE_SPANDSP
/* G.722 caller (16 kHz audio, 8 kHz RTP clock) with a µ-law callee. */
static void test_g722(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "g722", START_US, errbuf);
	g722_encode_state_t *enc = g722_encode_init(NULL, 64000, 0);
	int16_t pcm[320];
	uint8_t p[160];
	SF_INFO info;
	short *b = NULL;
	long n;
	int i, j;

	for (i = 0; i < 100; i++) {
		for (j = 0; j < 320; j++)
			pcm[j] = tone(440, 16000, i * 320L + j, 8000);
		CHECK_INT(g722_encode(enc, p, pcm, 320), 160);
		ct_audio_call_add(ac, CT_AUDIO_CALLER, "G722", 8000, 5, (uint32_t)i * 160,
		    START_US + i * 20000LL, p, 160);
		ulaw_packet(p, 1000, i * 160L, 8000);
		ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMU", 8000, 6, (uint32_t)i * 160,
		    START_US + 500000 + i * 20000LL, p, 160);
	}
	g722_encode_free(enc);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 16000);
	CHECK_INT(n, 40000);                       /* 0.5 s + 2 s at 16 kHz */
	if (n == 40000) {
		CHECK(goertzel(b + 2 * 4000, 2, 16000, 440, 16000) >
		    100 * goertzel(b + 2 * 4000, 2, 16000, 1000, 16000));
		CHECK(goertzel(b + 2 * 16000 + 1, 2, 16000, 1000, 16000) >
		    100 * goertzel(b + 2 * 16000 + 1, 2, 16000, 440, 16000));
		CHECK(goertzel(b + 1, 2, 8000, 1000, 16000) == 0.0);
		/* upsampled µ-law: even frames are the 8 kHz samples */
		CHECK_INT(b[2 * (8000 + 2 * 7) + 1],
		    ct_g711_ulaw_decode(ct_g711_ulaw_encode(tone(1000, 8000, 7, 8000))));
	}
	free(b);
	unlink(path);
	free(path);
}
#endif

#ifdef HAVE_OPUS
/* Opus (48 kHz RTP clock) decoded at 16 kHz. */
static void test_opus(const char *dir)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_FLAC, "opus", START_US, errbuf);
	int err, i, j, len;
	OpusEncoder *enc = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, &err);
	int16_t pcm[960];
	uint8_t p[400];
	SF_INFO info;
	short *b = NULL;
	long n;

	for (i = 0; i < 50; i++) {
		for (j = 0; j < 960; j++)
			pcm[j] = tone(1000, 48000, i * 960L + j, 8000);
		len = opus_encode(enc, pcm, 960, p, sizeof(p));
		CHECK(len > 0);
		ct_audio_call_add(ac, CT_AUDIO_CALLEE, "opus", 48000, 5, 77u + (uint32_t)i * 960,
		    START_US + i * 20000LL, p, (size_t)len);
	}
	opus_encoder_destroy(enc);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 16000);
	CHECK_INT(n, 16000);
	if (n == 16000)
		CHECK(goertzel(b + 2 * 4000 + 1, 2, 8000, 1000, 16000) >
		    100 * goertzel(b + 2 * 4000 + 1, 2, 8000, 440, 16000));
	free(b);
	unlink(path);
	free(path);
}
#endif

#if defined(HAVE_GSM) || defined(HAVE_BCG729)
/* Encodes 20 ms of a 440 Hz tone at 8 kHz into p; returns the payload size. */
typedef size_t encode_fn(void *enc, long first, uint8_t *p);

/*
 * 50 packets of a 440 Hz tone in codec `name` on the caller channel, plus one
 * malformed payload of bad_len bytes: 1 s of audio at 8 kHz, energy at 440 Hz.
 */
static void run_8k_codec(const char *dir, const char *name, encode_fn *encode, void *enc,
    size_t bad_len)
{
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, name, START_US, errbuf);
	uint8_t p[200] = { 0 };
	SF_INFO info;
	short *b = NULL;
	long n;
	int i;

	for (i = 0; i < 50; i++) {
		size_t len = encode(enc, i * 160L, p);

		ct_audio_call_add(ac, CT_AUDIO_CALLER, name, 8000, 3, (uint32_t)i * 160,
		    START_US + i * 20000LL, p, len);
	}
	/* malformed: would extend the file to 2 s if it were written */
	ct_audio_call_add(ac, CT_AUDIO_CALLER, name, 8000, 3, 99 * 160, START_US + 99 * 20000LL,
	    p, bad_len);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(undec == NULL);
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 8000);
	CHECK_INT(n, 8000);
	if (n == 8000)
		CHECK(goertzel(b + 2 * 2000, 2, 4000, 440, 8000) >
		    100 * goertzel(b + 2 * 2000, 2, 4000, 1000, 8000));
	free(b);
	unlink(path);
	free(path);
}
#endif

#ifdef HAVE_GSM
static size_t gsm_enc(void *enc, long first, uint8_t *p)
{
	gsm_signal pcm[160];
	int i;

	for (i = 0; i < 160; i++)
		pcm[i] = tone(440, 8000, first + i, 8000);
	gsm_encode(enc, pcm, p);
	return 33;
}
#endif

#ifdef HAVE_BCG729
static size_t g729_enc(void *enc, long first, uint8_t *p)
{
	int16_t pcm[80];
	uint8_t len = 0, len2 = 0;
	int i;

	for (i = 0; i < 80; i++)
		pcm[i] = tone(440, 8000, first + i, 8000);
	bcg729Encoder(enc, pcm, p, &len);
	for (i = 0; i < 80; i++)
		pcm[i] = tone(440, 8000, first + 80 + i, 8000);
	bcg729Encoder(enc, pcm, p + len, &len2);
	return (size_t)len + len2;
}
#endif

static void test_8k_codecs(const char *dir)
{
#ifdef HAVE_GSM
	gsm g = gsm_create();

	run_8k_codec(dir, "GSM", gsm_enc, g, 32);
	gsm_destroy(g);
#endif
#ifdef HAVE_BCG729
	bcg729EncoderChannelContextStruct *e = initBcg729EncoderChannel(0);

	run_8k_codec(dir, "G729", g729_enc, e, 11);
	closeBcg729EncoderChannel(e);
#endif
	(void)dir;
}


/*
 * The scratch write cache against a model: 3,000 random µ-law packets of
 * 1-400 bytes on both channels, mostly in order but with jumps back over
 * several blocks, jumps forward, gaps and overwrites; the file must hold
 * what direct positioned writes would (last write wins, holes are zero).
 */
#define MODEL_LEN 60000
static void test_write_cache_model(const char *dir, struct ct_audio_finisher *f)
{
	static short model[2][MODEL_LEN];
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "cache-model",
	    START_US, errbuf);
	uint32_t rnd = 12345;
	int64_t next[2] = { 0, 0 }, len[2] = { 0, 0 };
	uint8_t p[400];
	int i, c, bad = 0;
	long n, k;
	void *junk[8];

	CHECK(ac != NULL);
	if (ac == NULL)
		return;
	/*
	 * A direct block's slot is zeroed only where pieces land (writer.c,
	 * direct_piece): freed memory full of junk, so that the slots the
	 * call allocates next show anything left unzeroed.
	 */
	for (i = 0; i < 8; i++)
		if ((junk[i] = malloc(CT_AUDIO_DBLOCK_BYTES)) != NULL)
			memset(junk[i], 0x5A, CT_AUDIO_DBLOCK_BYTES);
	for (i = 0; i < 8; i++)
		free(junk[i]);
	ct_audio_call_set_finisher(ac, f);
	memset(model, 0, sizeof(model));
	/* Anchor each channel's SSRC at sample 0. */
	for (c = 0; c < 2; c++) {
		p[0] = 0x55;
		ct_audio_call_add(ac, c, "PCMU", 8000, 0xAB00u + (uint32_t)c, 7000, START_US, p, 1);
		model[c][0] = ct_g711_ulaw_decode(0x55);
		len[c] = 1;
		next[c] = 1;
	}
	for (i = 0; i < 3000; i++) {
		int64_t pos;
		size_t plen, j;
		uint32_t r;

		rnd = rnd * 1103515245u + 12345u;
		r = rnd >> 8;
		c = (int)(r & 1);
		plen = 1 + (r >> 1) % 400;
		switch ((r >> 10) % 16) {
		case 0:   /* back over up to three blocks */
			pos = next[c] - (int64_t)((r >> 14) % 12000);
			break;
		case 1:   /* forward gap */
			pos = next[c] + (int64_t)((r >> 14) % 9000);
			break;
		case 2:   /* overlap the last packet */
			pos = next[c] - (int64_t)plen / 2;
			break;
		default:
			pos = next[c];
			break;
		}
		if (pos < 0)
			pos = 0;
		if (pos + (int64_t)plen > MODEL_LEN)
			pos = (int64_t)((r >> 3) % (MODEL_LEN - 400));
		for (j = 0; j < plen; j++) {
			rnd = rnd * 1103515245u + 12345u;
			p[j] = (uint8_t)(rnd >> 16);
			model[c][pos + (int64_t)j] = ct_g711_ulaw_decode(p[j]);
		}
		ct_audio_call_add(ac, c, "PCMU", 8000, 0xAB00u + (uint32_t)c, 7000u + (uint32_t)pos,
		    START_US + pos * 125, p, plen);
		next[c] = pos + (int64_t)plen;
		if (next[c] > len[c])
			len[c] = next[c];
	}
	if (f != NULL) {
		CHECK_INT(ct_audio_finisher_submit(f, ac, &path, NULL, errbuf), 0);
		ct_audio_finisher_drain(f);
	} else {
		CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	}
	CHECK(path != NULL);
	if (path == NULL)
		return;
	{
		SF_INFO info;
		short *b;

		n = read_file(path, &b, &info);
		CHECK_INT(n, len[0] > len[1] ? len[0] : len[1]);
		for (k = 0; k < n && k < MODEL_LEN; k++)
			for (c = 0; c < 2; c++)
				bad += b[2 * k + c] != model[c][k];
		CHECK_INT(bad, 0);
		free(b);
	}
	unlink(path);
	free(path);
}

/*
 * A direct WAV block is not cleared when its slot takes it: only the
 * frames pieces land on and the gaps between them are zeroed (writer.c,
 * direct_piece).  Pieces placed after, before and across what the block
 * holds, on either side, with freed junk where the slots are allocated:
 * every frame no packet wrote must read back as zeros; then pieces for the
 * block both sides have left (written out early, direct_done) patch the
 * file in place.
 */
static void test_direct_gaps(const char *dir)
{
	static const struct { int c; int64_t pos; int n; uint8_t b; } pk[] = {
		{ 0, 1000, 160, 0x11 },    /* first piece of the block: lo 1000 */
		{ 1, 200, 160, 0x22 },     /* before lo: gap 360 .. 1000 */
		{ 0, 3000, 160, 0x33 },    /* after hi: gap 1160 .. 3000 */
		{ 1, 900, 200, 0x44 },     /* across lo's old neighbourhood */
		{ 1, 100, 150, 0x55 },     /* before lo again, overlapping it */
		{ 0, 4070, 60, 0x66 },     /* over the end of the first block */
		{ 1, 6000, 100, 0x77 },    /* in the next block, after a gap */
		/*
		 * Both sides are past the first block now: it was written out
		 * at once (writer.c, direct_done).  Late pieces patch the file.
		 */
		{ 0, 500, 100, 0x88 },     /* late, on zeros of side 0 */
		{ 1, 250, 40, 0x99 },      /* late, over side 1's own samples */
		{ 1, 4000, 160, 0xAA },    /* late, across the two blocks */
		{ 0, 6050, 20, 0xBB },     /* in the second block again */
	};
	static short model[2][8000];
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	struct ct_audio_call *ac;
	void *junk[8];
	uint8_t p[256];
	int64_t len = 0;
	size_t i;
	long n, k;
	int j, c, bad = 0;

	for (i = 0; i < 8; i++)
		if ((junk[i] = malloc(CT_AUDIO_DBLOCK_BYTES)) != NULL)
			memset(junk[i], 0x5A, CT_AUDIO_DBLOCK_BYTES);
	for (i = 0; i < 8; i++)
		free(junk[i]);
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "direct-gaps", START_US, errbuf);
	CHECK(ac != NULL);
	if (ac == NULL)
		return;
	memset(model, 0, sizeof(model));
	for (i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		for (j = 0; j < pk[i].n; j++) {
			p[j] = (uint8_t)(pk[i].b + j);
			model[pk[i].c][pk[i].pos + j] = ct_g711_ulaw_decode(p[j]);
		}
		ct_audio_call_add(ac, pk[i].c, "PCMU", 8000, 0x6100u + (uint32_t)pk[i].c,
		    (uint32_t)pk[i].pos, START_US + pk[i].pos * 125, p, (size_t)pk[i].n);
		if (pk[i].pos + pk[i].n > len)
			len = pk[i].pos + pk[i].n;
	}
	CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	{
		SF_INFO info;
		short *b = NULL;

		n = read_file(path, &b, &info);
		CHECK_INT(n, len);
		for (k = 0; k < n && k < 8000; k++)
			for (c = 0; c < 2; c++)
				bad += b[2 * k + c] != model[c][k];
		CHECK_INT(bad, 0);
		free(b);
	}
	unlink(path);
	free(path);
}

/* Adds n 20 ms packets of byte b to both channels of ac from packet first on. */
static void add_flat(struct ct_audio_call *ac, int first, int n, uint8_t b)
{
	uint8_t p[160];
	int i, c;

	memset(p, b, sizeof(p));
	for (i = first; i < first + n; i++)
		for (c = 0; c < 2; c++)
			ct_audio_call_add(ac, c, "PCMU", 8000, 0x5100u + (uint32_t)c, (uint32_t)i * 160,
			    START_US + i * 20000LL, p, sizeof(p));
}

static int open_fds(void)
{
	return count_entries("/proc/self/fd");
}

/*
 * The recorder's shared scratch store (issue 9): store blocks freed by one
 * call and taken by the next never show the earlier audio (the write-cache
 * model runs on blocks a loud call left while another call keeps the store
 * from being emptied), and 300 calls recording at once hold no descriptor
 * of their own; with direct WAV files allowed (direct_max), no more than
 * that many, and every file the same.
 */
static void test_store(const char *dir, size_t direct_max)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, id[600];
	struct ct_audio_call *keep, *loud, *many[300];
	int i, fds, ahead;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	ct_audio_finisher_set_direct_max(f, direct_max);
	keep = ct_audio_call_new(dir, CT_AUDIO_WAV, "keep", START_US, errbuf);
	ct_audio_call_set_finisher(keep, f);
	add_flat(keep, 0, 60, 0x10);            /* 9,600 samples: two blocks stored */
	loud = ct_audio_call_new(dir, CT_AUDIO_WAV, "loud", START_US, errbuf);
	ct_audio_call_set_finisher(loud, f);
	add_flat(loud, 0, 500, 0x00);           /* -32124 everywhere, 10 s */
	ct_audio_finisher_discard(f, loud);
	ct_audio_finisher_drain(f);
	test_write_cache_model(dir, f);
	ahead = (int)ct_audio_finisher_files_ahead(f);   /* settles the writer: none opened meanwhile */
	fds = open_fds() - ahead;
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "many-%d", i);
		many[i] = ct_audio_call_new(dir, CT_AUDIO_WAV, id, START_US, errbuf);
		ct_audio_call_set_finisher(many[i], f);
		add_flat(many[i], 0, 60, 0x20);
	}
	ahead = (int)ct_audio_finisher_files_ahead(f);   /* drains, and the writer made 0..8 */
	CHECK(ahead <= 8);
	CHECK(open_fds() - ahead <= fds + 1 + (int)direct_max);   /* the store was open already */
	for (i = 0; i < 300; i++) {
		CHECK_INT(ct_audio_finisher_submit(f, many[i], &path, NULL, errbuf), 0);
		CHECK(path != NULL);
		free(path);
	}
	CHECK_INT(ct_audio_finisher_submit(f, keep, &path, NULL, errbuf), 0);
	ct_audio_finisher_drain(f);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 0);
	CHECK_INT(file_size(path), 44 + 9600 * 4);
	unlink(path);
	free(path);
	for (i = 0; i < 300; i++) {
		snprintf(id, sizeof(id), "%s/20231114-221320_many-%d.wav", dir, i);
		CHECK_INT(file_size(id), 44 + 9600 * 4);
		unlink(id);
	}
	ct_audio_finisher_free(f);
	CHECK(open_fds() <= fds - 1);           /* and it is closed */
}

/*
 * Submits ac to f and waits for its file: 0 with the malloc'ed path in
 * *path and its frames in *b (want frames, a WAV of 44 + 4 * frames bytes),
 * or -1 (checks failed, *path NULL when there is no file).
 */
static int finish_read(struct ct_audio_finisher *f, struct ct_audio_call *ac, long frames,
    char **path, short **b)
{
	char errbuf[CT_ERRBUF_SIZE] = "";
	SF_INFO info;
	long n;

	*path = NULL;
	*b = NULL;
	CHECK_INT(ct_audio_finisher_submit(f, ac, path, NULL, errbuf), 0);
	ct_audio_finisher_drain(f);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 0);
	CHECK(*path != NULL);
	if (*path == NULL)
		return -1;
	CHECK_INT(file_size(*path), 44 + frames * 4);
	n = read_file(*path, b, &info);
	CHECK_INT(n, frames);
	return n == frames ? 0 : -1;
}

/* Whether dir's file system keeps holes (a file extended by ftruncate() takes no block). */
static bool keeps_holes(const char *dir)
{
	char probe[4096];
	struct stat st;
	bool holes = false;
	int fd;

	snprintf(probe, sizeof(probe), "%s/hole-probe", dir);
	fd = open(probe, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && ftruncate(fd, 1 << 20) == 0 && fstat(fd, &st) == 0)
		holes = st.st_blocks == 0;
	if (fd >= 0)
		close(fd);
	unlink(probe);
	return holes;
}

/*
 * A WAV written from the store leaves digital silence as holes (writer.c,
 * interleave): a call with 0.2 s of tone every 3 s (2.8 s without a
 * packet, under MAX_HOLE_US), ten times, read back exact, its size the
 * whole length, its disk use under half of it (checked where the file
 * system keeps holes: a file extended by ftruncate() takes no block).
 */
static void test_sparse_wav(const char *dir)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	struct ct_audio_call *ac;
	struct stat st;
	bool holes;
	const long frames = (150 * 9 + 10) * 160L;
	long n, k, bad = 0;
	short *b = NULL;
	int c, r;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	holes = keeps_holes(dir);
	ct_audio_finisher_set_direct_max(f, 0);   /* through the store */
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "sparse", START_US, errbuf);
	CHECK(ac != NULL);
	if (ac == NULL) {
		ct_audio_finisher_free(f);
		return;
	}
	ct_audio_call_set_finisher(ac, f);
	for (r = 0; r < 10; r++)
		add_flat(ac, 150 * r, 10, (uint8_t)(0x10 + r));
	n = finish_read(f, ac, frames, &path, &b) == 0 ? frames : 0;
	for (k = 0; k < n; k++)
		for (c = 0; c < 2; c++) {
			long pk = k / 160;
			short want = pk % 150 < 10 ? ct_g711_ulaw_decode((uint8_t)(0x10 + pk / 150)) : 0;

			bad += b[2 * k + c] != want;
		}
	CHECK_INT(bad, 0);
	free(b);
	if (path != NULL && holes && stat(path, &st) == 0)
		CHECK((long long)st.st_blocks * 512 < (44 + frames * 4) / 2);
	if (path != NULL)
		unlink(path);
	free(path);
	ct_audio_finisher_free(f);
}

/*
 * A call of silence (PCMU 0xff decodes to 0: an attacker's RTP, silence
 * suppression) is not written anywhere: neither the scratch store nor a
 * direct WAV takes a block for it (writer.c scratch_write, dslot_flush),
 * so 5 s of it cost no disk; 0.2 s of tone in the middle is written, and
 * a late copy of one of its packets carrying silence still overwrites it
 * (a block that holds audio takes zeros like any samples).  Through the
 * store (direct_max 0) and as a direct WAV.
 */
static void test_silence(const char *dir, size_t direct_max)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	const long frames = 250 * 160L;
	struct ct_audio_call *ac;
	struct stat st;
	bool holes = keeps_holes(dir);
	long n, k, bad = 0;
	short *b = NULL;
	int c;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	ct_audio_finisher_set_direct_max(f, direct_max);
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "silence", START_US, errbuf);
	CHECK(ac != NULL);
	if (ac == NULL) {
		ct_audio_finisher_free(f);
		return;
	}
	ct_audio_call_set_finisher(ac, f);
	add_flat(ac, 0, 100, 0xff);
	add_flat(ac, 100, 10, 0x10);
	add_flat(ac, 110, 10, 0xff);
	add_flat(ac, 105, 1, 0xff);             /* late, silence over tone */
	add_flat(ac, 120, 130, 0xff);
	n = finish_read(f, ac, frames, &path, &b) == 0 ? frames : 0;
	for (k = 0; k < n; k++)
		for (c = 0; c < 2; c++) {
			long pk = k / 160;
			short want = pk >= 100 && pk < 110 && pk != 105 ? ct_g711_ulaw_decode(0x10) : 0;

			bad += b[2 * k + c] != want;
		}
	CHECK_INT(bad, 0);
	free(b);
	if (path != NULL && holes && stat(path, &st) == 0)   /* the tone's blocks, not 160 KB of zeros */
		CHECK((long long)st.st_blocks * 512 <= 64 * 1024);
	if (path != NULL)
		unlink(path);
	free(path);
	ct_audio_finisher_free(f);
}

/*
 * The write-cache budget (CT_AUDIO_CACHE_MAX, here three calls' worth):
 * 40 calls record at once, their packets interleaved, each jumping back
 * over two blocks now and then; every call's buffers are written out and
 * taken back many times, and every file must still hold exactly its
 * packets (byte pattern per call and packet).  With and without direct
 * WAV files.  The budget holds throughout and nothing is left at the end.
 */
#define BUDGET_CALLS 40
#define BUDGET_PKTS 120
static void test_cache_budget(const char *dir, size_t direct_max)
{
	static short model[BUDGET_CALLS][BUDGET_PKTS * 160 + 160];
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	struct ct_audio_call *ac[BUDGET_CALLS];
	char errbuf[CT_ERRBUF_SIZE] = "", id[64], *paths[BUDGET_CALLS];
	struct ct_audio_lru *lru;
	int64_t len[BUDGET_CALLS];
	uint8_t p[160];
	int i, k, c, over = 0, bad = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	ct_audio_finisher_set_direct_max(f, direct_max);
	lru = ct_audio_finisher_lru(f);
	/* 3 calls: a store call caches 2 x 8 KiB, a direct one 2 x 16 KiB */
	lru->max = 3 * 2 * (direct_max > 0 ? CT_AUDIO_DBLOCK_BYTES : CT_AUDIO_BLOCK_BYTES);
	memset(model, 0, sizeof(model));
	for (i = 0; i < BUDGET_CALLS; i++) {
		snprintf(id, sizeof(id), "budget-%d", i);
		ac[i] = ct_audio_call_new(dir, CT_AUDIO_WAV, id, START_US, errbuf);
		CHECK(ac[i] != NULL);
		if (ac[i] == NULL)
			return;
		ct_audio_call_set_finisher(ac[i], f);
		len[i] = 0;
	}
	for (k = 0; k < BUDGET_PKTS; k++) {
		for (i = 0; i < BUDGET_CALLS; i++) {
			/* every 7th packet of a call goes back 90 packets (over two blocks) */
			int q = (k % 7 == 6 && k >= 90) ? k - 90 : k;
			uint8_t b = (uint8_t)(0x11 + i * 5 + k * 3);

			memset(p, b, sizeof(p));
			ct_audio_call_add(ac[i], 0, "PCMU", 8000, 0x7700u + (uint32_t)i,
			    (uint32_t)q * 160, START_US + q * 20000LL, p, sizeof(p));
			for (c = 0; c < 160; c++)
				model[i][q * 160 + c] = ct_g711_ulaw_decode(b);
			if ((int64_t)(q + 1) * 160 > len[i])
				len[i] = (int64_t)(q + 1) * 160;
		}
		ct_audio_finisher_drain(f);
		over += lru->bytes > lru->max;
	}
	CHECK_INT(over, 0);
	/*
	 * 40 calls in turn through a 3-call budget: each cached call is as busy
	 * as the asking one, so pieces go straight through instead of every
	 * buffer being written out and refilled before its next use (thrash).
	 */
	CHECK(lru->through > 0);
	CHECK(lru->evictions <= 2 * 3);
	for (i = 0; i < BUDGET_CALLS; i++) {
		paths[i] = NULL;
		CHECK_INT(ct_audio_finisher_submit(f, ac[i], &paths[i], NULL, errbuf), 0);
	}
	ct_audio_finisher_drain(f);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 0);
	CHECK_INT(lru->bytes, 0);
	CHECK(lru->head == NULL && lru->tail == NULL);
	for (i = 0; i < BUDGET_CALLS; i++) {
		SF_INFO info;
		short *buf = NULL;
		long n, j;

		CHECK(paths[i] != NULL);
		if (paths[i] == NULL)
			continue;
		n = read_file(paths[i], &buf, &info);
		CHECK_INT(n, len[i]);
		for (j = 0; j < n && j < len[i]; j++)
			bad += buf[2 * j] != model[i][j] || buf[2 * j + 1] != 0;
		free(buf);
		unlink(paths[i]);
		free(paths[i]);
	}
	CHECK_INT(bad, 0);
	ct_audio_finisher_free(f);
}

/*
 * The budget still goes to the busy calls: 3 calls fill it and fall
 * silent, then 2 calls write 100 packets each in turn.  Past their first
 * packet (no gap known yet: straight through), the silent calls give
 * their buffers back to them (evictions), and every file holds exactly
 * its packets.  With and without direct WAV files.
 */
static void test_cache_idle(const char *dir, size_t direct_max)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	struct ct_audio_call *ac[5];
	char errbuf[CT_ERRBUF_SIZE] = "", id[64], *paths[5];
	struct ct_audio_lru *lru;
	uint8_t p[160];
	int i, k, bad = 0;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	ct_audio_finisher_set_direct_max(f, direct_max);
	lru = ct_audio_finisher_lru(f);
	/* 3 calls: a store call caches 2 x 8 KiB, a direct one 2 x 16 KiB */
	lru->max = 3 * 2 * (direct_max > 0 ? CT_AUDIO_DBLOCK_BYTES : CT_AUDIO_BLOCK_BYTES);
	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "idle-%d", i);
		ac[i] = ct_audio_call_new(dir, CT_AUDIO_WAV, id, START_US, errbuf);
		CHECK(ac[i] != NULL);
		if (ac[i] == NULL)
			return;
		ct_audio_call_set_finisher(ac[i], f);
	}
	for (k = 0; k < 100; k++) {
		for (i = 0; i < 5; i++) {
			if (i < 3 && k >= 2)
				continue;          /* calls 0-2 fall silent */
			memset(p, 0x20 + i * 16 + k % 8, sizeof(p));
			ct_audio_call_add(ac[i], 0, "PCMU", 8000, 0x100u + (uint32_t)i,
			    (uint32_t)k * 160, START_US + k * 20000LL, p, sizeof(p));
			ct_audio_call_add(ac[i], 1, "PCMU", 8000, 0x200u + (uint32_t)i,
			    (uint32_t)k * 160, START_US + k * 20000LL, p, sizeof(p));
		}
		ct_audio_finisher_drain(f);
		CHECK(lru->bytes <= lru->max);
	}
	CHECK(lru->evictions >= 1);
	CHECK(lru->through <= 4);          /* the busy calls' first packets only */
	for (i = 0; i < 5; i++) {
		paths[i] = NULL;
		CHECK_INT(ct_audio_finisher_submit(f, ac[i], &paths[i], NULL, errbuf), 0);
	}
	ct_audio_finisher_drain(f);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 0);
	for (i = 0; i < 5; i++) {
		SF_INFO info;
		short *buf = NULL;
		long n, j, want = i < 3 ? 2 * 160 : 100 * 160;

		CHECK(paths[i] != NULL);
		if (paths[i] == NULL)
			continue;
		n = read_file(paths[i], &buf, &info);
		CHECK_INT(n, want);
		for (j = 0; j < n && j < want; j++) {
			short v = ct_g711_ulaw_decode((uint8_t)(0x20 + i * 16 + (j / 160) % 8));

			bad += buf[2 * j] != v || buf[2 * j + 1] != v;
		}
		free(buf);
		unlink(paths[i]);
		free(paths[i]);
	}
	CHECK_INT(bad, 0);
	ct_audio_finisher_free(f);
}

/* ---- hostile RTP: codec, rate, payload type, timestamp and SSRC changes ---- */

/* One packet of a table-driven recording: payload of len bytes of fill (L16: samples of value). */
struct pkt_spec {
	int channel;
	const char *codec;
	uint32_t clock;
	uint32_t ssrc;
	uint32_t ts;
	int64_t arrival_us;        /* from START_US */
	size_t len;
	int value;                 /* µ-law/A-law byte, or L16 sample value */
};

static void add_spec(struct ct_audio_call *ac, const struct pkt_spec *p)
{
	static uint8_t buf[4096];
	size_t i;

	for (i = 0; i < p->len && i < sizeof(buf); i++) {
		if (strcmp(p->codec, "L16") == 0)
			buf[i] = (uint8_t)(i % 2 == 0 ? (uint16_t)p->value >> 8 : (uint16_t)p->value & 0xFF);
		else
			buf[i] = (uint8_t)p->value;
	}
	ct_audio_call_add(ac, p->channel, p->codec, p->clock, p->ssrc, p->ts,
	    START_US + p->arrival_us, buf, p->len);
}

/*
 * A channel's codec changes rate mid-call (PCMU at 8 kHz, then L16 at 16
 * and 48 kHz on the caller; L16 at 16 kHz then PCMU on the callee), with
 * unknown codecs and a known codec at a clock rate it does not have in
 * between.  The conversion buffer is first allocated, then grown, by
 * these packets: writing from it before it was final crashed --audio
 * (NULL, then freed memory).  Every sample is checked in the 16 kHz file.
 */
static void test_rate_switch(const char *dir)
{
	static const struct pkt_spec pk[] = {
		{ CT_AUDIO_CALLER, "PCMU", 8000, 1, 0, 0, 160, 0x80 },          /* [0,160) 32124 */
		{ CT_AUDIO_CALLER, "L16", 16000, 1, 3200, 200000, 32, 1000 },    /* 16 -> 8 @1600 */
		{ CT_AUDIO_CALLER, "L16", 16000, 1, 3520, 220000, 640, -2000 },  /* 320 -> 160 @1760 */
		{ CT_AUDIO_CALLER, "L16", 48000, 2, 77, 400000, 192, 3000 },     /* 96 -> 16 @3200 */
		{ CT_AUDIO_CALLER, "X-FOO", 8000, 1, 3840, 480000, 160, 0x11 },
		{ CT_AUDIO_CALLER, "PCMU", 16000, 1, 3840, 480000, 160, 0x11 },
		{ CT_AUDIO_CALLER, "unknown", 0, 1, 3840, 480000, 160, 0x11 },
		{ CT_AUDIO_CALLER, "PCMU", 8000, 1, 4000, 500000, 160, 0x80 },   /* [4000,4160) */
		{ CT_AUDIO_CALLEE, "L16", 16000, 3, 0, 0, 64, 500 },             /* [0,32) @16k */
		{ CT_AUDIO_CALLEE, "PCMU", 8000, 4, 9, 100000, 160, 0x80 },      /* 160 -> 320 @1600 */
	};
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "rate-switch", START_US, errbuf);
	SF_INFO info;
	short *b = NULL;
	size_t i;
	long n;

	CHECK(ac != NULL);
	for (i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
		add_spec(ac, &pk[i]);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK_STR(undec, "X-FOO,PCMU,unknown");
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 16000);
	CHECK_INT(n, 2 * 4160);
	if (n == 2 * 4160) {
		static const struct { long frame; int left, right; } want[] = {
			{ 0, 32124, 500 }, { 2 * 159, 32124, 0 }, { 31, 32124, 500 },
			{ 1600, 0, 32124 }, { 1700, 0, 32124 }, { 1920, 0, 0 },
			{ 2 * 1600, 1000, 0 }, { 2 * 1607, 1000, 0 }, { 2 * 1608, 0, 0 },
			{ 2 * 1760, -2000, 0 }, { 2 * 1919, -2000, 0 }, { 2 * 1920, 0, 0 },
			{ 2 * 3200, 3000, 0 }, { 2 * 3215, 3000, 0 }, { 2 * 3216, 0, 0 },
			{ 2 * 4000, 32124, 0 }, { 2 * 4159, 32124, 0 }, { 1600 + 319, 0, 32124 },
		};

		for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			CHECK_INT(b[2 * want[i].frame], want[i].left);
			CHECK_INT(b[2 * want[i].frame + 1], want[i].right);
		}
	}
	free(b);
	free(undec);
	unlink(path);
	free(path);
}

/*
 * The caller's first packet sets its side's rate (16 kHz) but is dropped
 * (odd L16 length); the callee's 8 kHz audio comes first: the call must not
 * be written directly at 8 kHz (its sides' rates differ), and the file is
 * the 16 kHz one.
 */
static void test_rate_first_dropped(const char *dir)
{
	static const struct pkt_spec pk[] = {
		{ CT_AUDIO_CALLER, "L16", 16000, 1, 0, 0, 33, 1 },               /* malformed */
		{ CT_AUDIO_CALLEE, "PCMU", 8000, 2, 0, 0, 160, 0x80 },
		{ CT_AUDIO_CALLER, "L16", 16000, 1, 1600, 100000, 64, 700 },     /* [1600,1632) */
	};
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "first-dropped", START_US,
	    errbuf);
	SF_INFO info;
	short *b = NULL;
	size_t i;
	long n;

	for (i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
		add_spec(ac, &pk[i]);
	CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 16000);
	CHECK_INT(n, 1632);
	if (n == 1632) {
		CHECK_INT(b[2 * 1600], 700);
		CHECK_INT(b[2 * 1631], 700);
		CHECK_INT(b[1], 32124);
		CHECK_INT(b[2 * 1599], 0);
	}
	free(b);
	unlink(path);
	free(path);
}

/*
 * Timestamp jumps of 2^31 and more inside one SSRC (re-anchored on the
 * arrival time), more SSRCs than a recording keeps (dropped), empty, odd
 * and oversized payloads, and arrival times at the ends of int64 (dropped,
 * no overflow): the well-formed packets still land where they belong.
 */
static void test_ts_ssrc_chaos(const char *dir)
{
	static const struct pkt_spec pk[] = {
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0, 0, 160, 0x80 },                  /* [0,160) */
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0x80000000u, 20000, 160, 0x80 },    /* @160 */
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0xFFFFFFFFu, 40000, 160, 0x80 },    /* @320 */
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0x7FFFFFFFu, 60000, 160, 0x80 },    /* @480 */
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0x7FFFFFFFu + 160, 80000, 0, 0x80 },
		{ CT_AUDIO_CALLER, "L16", 8000, 5, 0, 80000, 3, 0 },
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 0, 80000, 70000, 0x80 },
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 1, INT64_MAX - START_US, 160, 0x80 },
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 2, INT64_MIN + 1, 160, 0x80 },
		{ CT_AUDIO_CALLER, "PCMU", 8000, 5, 3, -START_US - 1, 160, 0x80 },
	};
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, *undec = NULL;
	struct ct_audio_call *ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "ts-chaos", START_US, errbuf);
	uint8_t p[160];
	SF_INFO info;
	short *b = NULL;
	uint32_t k;
	size_t i;
	long n;

	for (i = 0; i < sizeof(pk) / sizeof(pk[0]); i++)
		add_spec(ac, &pk[i]);
	/* 40 SSRCs on the callee, 20 ms apart: the first 30 fit beside ssrc 5's PCMU and L16 */
	memset(p, 0x80, sizeof(p));
	for (k = 0; k < 40; k++)
		ct_audio_call_add(ac, CT_AUDIO_CALLEE, "PCMA", 8000, 0x7000 + k, k * 0x10000000u,
		    START_US + k * 20000LL, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, &undec, errbuf), 0);
	CHECK(undec == NULL);
	CHECK(path != NULL);
	if (path == NULL)
		return;
	n = read_file(path, &b, &info);
	CHECK_INT(info.samplerate, 8000);
	CHECK_INT(n, 30 * 160);
	if (n == 30 * 160) {
		for (i = 0; i < 640; i += 53)
			CHECK_INT(b[2 * i], 32124);
		CHECK_INT(b[2 * 640], 0);
		CHECK_INT(b[2 * 0 + 1], ct_g711_alaw_decode(0x80));
		CHECK_INT(b[2 * (30 * 160 - 1) + 1], ct_g711_alaw_decode(0x80));
	}
	free(b);
	unlink(path);
	free(path);
	/* A recording anchored at the ends of time: nothing overflows, nothing lands. */
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "ts-end", INT64_MIN, errbuf);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 0, INT64_MAX, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	CHECK(path == NULL);
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "ts-end", INT64_MAX, errbuf);
	ct_audio_call_add(ac, CT_AUDIO_CALLER, "PCMU", 8000, 1, 0, INT64_MIN, p, 160);
	CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
	CHECK(path == NULL);
}

#ifdef HAVE_SPANDSP
/*
 * Every payload type switch the codec table allows, in every order, one
 * packet each on one SSRC, on both channels of several recordings: no
 * packet is lost to a crash and each call's file has the length its
 * timestamps give.
 */
static void test_every_switch(const char *dir)
{
	static const struct { const char *name; uint32_t clock, step; size_t len; } c[] = {
		{ "PCMU", 8000, 160, 160 }, { "G722", 8000, 160, 160 }, { "L16", 16000, 320, 640 },
		{ "PCMA", 8000, 160, 160 }, { "L16", 48000, 960, 1920 }, { "L16", 8000, 160, 320 },
		{ "G722", 8000, 160, 160 }, { "L16", 44100, 882, 1764 }, { "PCMU", 8000, 160, 160 },
	};
	const size_t nc = sizeof(c) / sizeof(c[0]);
	char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, id[32];
	static uint8_t p[2000];
	size_t first, i;

	memset(p, 0x35, sizeof(p));
	for (first = 0; first < nc; first++) {
		struct ct_audio_call *ac;
		SF_INFO info;
		short *b = NULL;

		snprintf(id, sizeof(id), "switch-%zu", first);
		ac = ct_audio_call_new(dir, CT_AUDIO_WAV, id, START_US, errbuf);
		for (i = 0; i < 3 * nc; i++) {
			size_t k = (first + i) % nc;
			int ch = (int)(i % 2);

			/* one packet every 20 ms of the same SSRC; the timestamp in the codec's clock */
			ct_audio_call_add(ac, ch, c[k].name, c[k].clock, 42, (uint32_t)(i * c[k].step),
			    START_US + (int64_t)i * 20000, p, c[k].len);
		}
		CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
		CHECK(path != NULL);
		if (path == NULL)
			continue;
		CHECK(read_file(path, &b, &info) > 0);
		/* 27 packets of 20 ms: about 0.54 s whatever the mix of rates */
		CHECK(info.frames >= (sf_count_t)(info.samplerate * 52 / 100) &&
		    info.frames <= (sf_count_t)(info.samplerate * 56 / 100));
		free(b);
		unlink(path);
		free(path);
		path = NULL;
	}
}
#endif

#if defined(HAVE_AMRNB) || defined(HAVE_AMRWB)
/* ---- AMR, AMR-WB (RFC 4867) ---- */

/* Appends the n bits of v (MSB first) at bit *pos of p. */
static void put_bits(uint8_t *p, size_t *pos, unsigned v, unsigned n)
{
	while (n-- > 0) {
		if ((v >> n) & 1u)
			p[*pos / 8] |= (uint8_t)(0x80u >> (*pos % 8));
		(*pos)++;
	}
}

/*
 * RTP payload of k storage-format frames fr[0..k) (header byte, then
 * (bits + 7) / 8 bytes each), octet-aligned or bandwidth-efficient, CMR 15.
 * Returns its length.
 */
static size_t amr_pack(uint8_t *out, uint8_t fr[][64], const unsigned *bits, int k, int octet)
{
	size_t pos = 0;
	int i;
	unsigned b;

	memset(out, 0, 512);
	put_bits(out, &pos, 15, 4);
	if (octet)
		put_bits(out, &pos, 0, 4);
	for (i = 0; i < k; i++) {
		put_bits(out, &pos, i + 1 < k, 1);
		put_bits(out, &pos, fr[i][0] >> 2, 5);   /* FT, Q */
		if (octet)
			put_bits(out, &pos, 0, 2);
	}
	for (i = 0; i < k; i++) {
		unsigned n = bits[fr[i][0] >> 3 & 15];

		for (b = 0; b < n; b++)
			put_bits(out, &pos, (fr[i][1 + b / 8] >> (7 - b % 8)) & 1u, 1);
		if (octet)
			pos = (pos + 7) / 8 * 8;
	}
	return (pos + 7) / 8;
}

/*
 * Byte vectors straight through the decoders: NO_DATA frames (1 and 2 of
 * them, both modes) give 20 ms each; a reserved frame type, a truncated
 * frame and a ToC that never ends are malformed.
 */
static void test_amr_vectors(void)
{
	static const struct { const char *name; uint32_t clock; unsigned fmt; uint8_t in[8];
	    size_t len; int want; } v[] = {
		/* CMR 1111, F0 FT1111 Q1: 1111 0111 11(00 0000) */
		{ "AMR", 8000, 0, { 0xF7, 0xC0 }, 2, 160 },
		/* F1 FT1111 Q1, F0 FT1111 Q1: 1111 1111 11 01 1111 */
		{ "AMR", 8000, 0, { 0xFF, 0xDF }, 2, 320 },
		{ "AMR", 8000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0x7C }, 2, 160 },
		{ "AMR", 8000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0xFC, 0x7C }, 3, 320 },
		{ "AMR", 8000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0x64 }, 2, -1 },     /* FT 12 */
		{ "AMR", 8000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0x3C, 1, 2, 3 }, 5, -1 }, /* FT 7, 3 of 31 bytes */
		{ "AMR", 8000, 0, { 0xF0, 0x3C, 1, 2, 3 }, 5, -1 },
		{ "AMR", 8000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0xFC, 0xFC }, 3, -1 }, /* F set to the end */
		{ "AMR-WB", 16000, 0, { 0xF7, 0xC0 }, 2, 320 },
		{ "AMR-WB", 16000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0x74 }, 2, 320 }, /* FT 14: lost */
		{ "AMR-WB", 16000, CT_CODEC_OCTET_ALIGN, { 0xF0, 0x5C }, 2, -1 },  /* FT 11 */
	};
	int16_t out[64 * 320];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		const struct ct_codec *c = ct_codec_find_fmt(v[i].name, v[i].clock, v[i].fmt);
		void *st;

#ifndef HAVE_AMRWB
		if (v[i].clock == 16000)
			continue;
#endif
#ifndef HAVE_AMRNB
		if (v[i].clock == 8000)
			continue;
#endif
		CHECK(c != NULL);
		if (c == NULL)
			continue;
		CHECK(ct_codec_max_samples(c, v[i].len) <= sizeof(out) / sizeof(out[0]));
		st = c->state_new();
		if (c->decode(st, v[i].in, v[i].len, out, ct_codec_max_samples(c, v[i].len)) != v[i].want)
			fprintf(stderr, "amr vector %zu\n", i);
		CHECK_INT(c->decode(st, v[i].in, v[i].len, out, ct_codec_max_samples(c, v[i].len)),
		    v[i].want);
		c->state_free(st);
	}
	/* Without octet-align=1 in the fmtp it is the other table row. */
#ifdef HAVE_AMRNB
	CHECK(ct_codec_find_fmt("AMR", 8000, 0) != ct_codec_find_fmt("AMR", 8000, CT_CODEC_OCTET_ALIGN));
	CHECK(ct_codec_find("amr", 0) == ct_codec_find_fmt("AMR", 8000, 0));
#endif
}

/*
 * An encoded tone (440 Hz caller) goes through a recording in both payload
 * formats, one and three frames per packet: the four files are the same
 * sample for sample, 2 s long at the codec's rate, with the tone's power
 * far above another frequency's.
 */
static void run_amr(const char *dir, const char *name, uint32_t rate, unsigned spf,
    const unsigned *bits, uint8_t fr[][64], int nfr)
{
	short *first = NULL;
	long first_n = 0;
	int mode;

	for (mode = 0; mode < 4; mode++) {
		char errbuf[CT_ERRBUF_SIZE] = "", *path = NULL, id[32];
		int octet = mode & 1, per = mode & 2 ? 3 : 1, i;
		struct ct_audio_call *ac;
		uint8_t p[512];
		SF_INFO info;
		short *b;
		long n;

		snprintf(id, sizeof(id), "%s-%d", name, mode);
		ac = ct_audio_call_new(dir, CT_AUDIO_WAV, id, START_US, errbuf);
		for (i = 0; i + per <= nfr; i += per) {
			size_t len = amr_pack(p, &fr[i], bits, per, octet);

			ct_audio_call_add_fmt(ac, CT_AUDIO_CALLER, name, rate,
			    octet ? CT_CODEC_OCTET_ALIGN : 0, 0x4242, (uint32_t)(i * spf),
			    START_US + i * 20000LL, p, len);
		}
		CHECK_INT(ct_audio_call_finish(ac, &path, NULL, errbuf), 0);
		CHECK(path != NULL);
		if (path == NULL)
			continue;
		n = read_file(path, &b, &info);
		CHECK_INT(info.samplerate, (int)rate);
		CHECK_INT(n, (long)nfr / per * per * spf);
		if (n > 0)
			CHECK(goertzel(b + 2 * (long)rate / 4, 2, (size_t)rate, 440, (int)rate) >
			    1000 * goertzel(b + 2 * (long)rate / 4, 2, (size_t)rate, 1700, (int)rate));
		if (first == NULL) {
			first = b;
			first_n = n;
		} else {
			long m = n < first_n ? n : first_n, k, diff = 0;

			for (k = 0; k < 2 * m; k++)
				diff += b[k] != first[k];
			CHECK_INT(diff, 0);
			free(b);
		}
		unlink(path);
		free(path);
	}
	free(first);
}

static void test_amr(const char *dir)
{
	static uint8_t fr[100][64];
	int16_t pcm[320];
	int i, k;

#ifdef HAVE_AMRNB
	{
		static const unsigned nb_bits[16] = { 95, 103, 118, 134, 148, 159, 204, 244, 39 };
		void *enc = Encoder_Interface_init(0);

		for (i = 0; i < 99; i++) {
			for (k = 0; k < 160; k++)
				pcm[k] = tone(440, 8000, i * 160L + k, 8000);
			memset(fr[i], 0, sizeof(fr[i]));
			CHECK_INT(Encoder_Interface_Encode(enc, MR122, pcm, fr[i], 0), 32);
			CHECK_INT(fr[i][0], 7 << 3 | 1 << 2);   /* FT 7 (12.2 kbit/s), Q 1 */
		}
		Encoder_Interface_exit(enc);
		run_amr(dir, "AMR", 8000, 160, nb_bits, fr, 99);
	}
#endif
#if defined(HAVE_AMRWB) && defined(HAVE_AMRWBENC)
	{
		static const unsigned wb_bits[16] = { 132, 177, 253, 285, 317, 365, 397, 461, 477, 40 };
		void *enc = E_IF_init();

		for (i = 0; i < 99; i++) {
			for (k = 0; k < 320; k++)
				pcm[k] = tone(440, 16000, i * 320L + k, 8000);
			memset(fr[i], 0, sizeof(fr[i]));
			CHECK_INT(E_IF_encode(enc, 8, pcm, fr[i], 0), 61);
			CHECK_INT(fr[i][0], 8 << 3 | 1 << 2);   /* FT 8 (23.85 kbit/s), Q 1 */
		}
		E_IF_exit(enc);
		run_amr(dir, "AMR-WB", 16000, 320, wb_bits, fr, 99);
	}
#endif
	(void)pcm;
	(void)i;
	(void)k;
}
#endif

/*
 * The finisher's file writer (finisher.c): writes queued in order reach
 * the file whole, the caller's pending count returns to 0, an error is
 * the caller's errno (a read-only descriptor: EBADF), and each queued
 * block is traded for another one.
 */
static void test_writer_queue(const char *dir)
{
	static const struct { int rdonly; int n; int want_err; } cases[] = {
		{ 0, 1, 0 },
		{ 0, 100, 0 },             /* more than the queue holds */
		{ 1, 3, EBADF },
	};
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	size_t t;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (t = 0; t < sizeof(cases) / sizeof(cases[0]); t++) {
		unsigned pending = 0;
		int err = 0, fd, i, bad = 0;
		char path[512];

		snprintf(path, sizeof(path), "%s/wq-%zu", dir, t);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		CHECK(fd >= 0);
		if (fd < 0)
			continue;
		if (cases[t].rdonly) {
			close(fd);
			fd = open(path, O_RDONLY);
		}
		for (i = 0; i < cases[t].n; i++) {
			uint8_t *b = malloc(CT_AUDIO_DBLOCK_BYTES), *nb;

			CHECK(b != NULL);
			if (b == NULL)
				break;
			memset(b, i + 1, CT_AUDIO_DBLOCK_BYTES);
			/* the bytes after the first 100, as a slot's [lo, hi) */
			nb = ct_audio_finisher_write(f, fd, b, b + 100, 1000,
			    (off_t)i * 1000, &pending, &err);
			CHECK(nb != NULL);
			if (nb == NULL)
				free(b);
			free(nb);
		}
		ct_audio_finisher_write_wait(f, &pending);
		CHECK_INT(pending, 0);
		CHECK_INT(err, cases[t].want_err);
		for (i = 0; !cases[t].rdonly && i < cases[t].n; i++) {
			uint8_t r[1000];
			int k;

			CHECK_INT(pread(fd, r, sizeof(r), (off_t)i * 1000), (long)sizeof(r));
			for (k = 0; k < 1000; k++)
				bad += r[k] != (uint8_t)(i + 1);
		}
		CHECK_INT(bad, 0);
		close(fd);
		unlink(path);
	}
	ct_audio_finisher_free(f);
}

/*
 * Unnamed files made ahead by the writer (ct_audio_finisher_tmpfile):
 * only for the first directory asked for, each unnamed (no link) and in
 * that directory's file system.  The writer makes them when it gets to
 * it: the test asks again until one is there (bounded).
 */
static void test_writer_tmpfile(const char *dir)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	struct stat st, sd;
	int fd = -1, i, probe = -1;

	CHECK(f != NULL);
	if (f == NULL)
		return;
#ifdef O_TMPFILE
	probe = open(dir, O_TMPFILE | O_RDWR, 0600);
#endif
	if (probe < 0) {                   /* none made ahead there: nothing to see */
		ct_audio_finisher_free(f);
		return;
	}
	close(probe);
	for (i = 0; i < 20000 && fd < 0; i++) {
		fd = ct_audio_finisher_tmpfile(f, dir);
		if (fd < 0)
			usleep(1000);
	}
	CHECK(fd >= 0);
	CHECK_INT(ct_audio_finisher_tmpfile(f, "/nonexistent-calltap-dir"), -1);
	if (fd >= 0) {
		CHECK_INT(fstat(fd, &st), 0);
		CHECK_INT(stat(dir, &sd), 0);
		CHECK(S_ISREG(st.st_mode));
		CHECK_INT(st.st_nlink, 0);
		CHECK(st.st_dev == sd.st_dev);
		CHECK_INT(write(fd, "x", 1), 1);
		close(fd);
	}
	ct_audio_finisher_free(f);         /* closes the files it still holds */
	CHECK_INT(count_entries(dir), 0);
}

/*
 * The finisher thread: recordings handed over in turn come out as the
 * in-place finish writes them, in 3 formats; one whose directory vanished
 * before the worker got to it is counted as a failure with the path named.
 */
static void test_finisher(const char *dir)
{
	static const struct { enum ct_audio_format fmt; const char *ext; int major; } fmts[] = {
		{ CT_AUDIO_WAV, "wav", SF_FORMAT_WAV }, { CT_AUDIO_FLAC, "flac", SF_FORMAT_FLAC },
		{ CT_AUDIO_WAV, "wav", SF_FORMAT_WAV },
	};
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	char errbuf[CT_ERRBUF_SIZE] = "", *paths[3] = { NULL, NULL, NULL }, *undec, id[32];
	char gone[600], *gpath = NULL;
	struct ct_audio_call *ac;
	int i;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof(id), "fin-%d", i);
		ac = ct_audio_call_new(dir, fmts[i].fmt, id, START_US, errbuf);
		CHECK(ac != NULL);
		/* from the second on, the emptied scratch file of the one before */
		ct_audio_call_set_finisher(ac, f);
		add_tone_call(ac);
		CHECK_INT(ct_audio_finisher_submit(f, ac, &paths[i], &undec, errbuf), 0);
		CHECK(undec == NULL);
		CHECK(paths[i] != NULL);
		ct_audio_finisher_drain(f);
	}
	/* A recording whose directory is removed while it waits. */
	snprintf(gone, sizeof(gone), "%s/gone", dir);
	CHECK_INT(mkdir(gone, 0700), 0);
	ac = ct_audio_call_new(gone, CT_AUDIO_WAV, "lost", START_US, errbuf);
	add_tone_call(ac);
	CHECK_INT(count_entries(gone), 0);  /* the scratch file has no name */
	CHECK_INT(rmdir(gone), 0);
	CHECK_INT(ct_audio_finisher_submit(f, ac, &gpath, NULL, errbuf), 0);
	ct_audio_finisher_drain(f);
	for (i = 0; i < 3; i++) {
		if (paths[i] == NULL)
			continue;
		check_tone_file(paths[i], fmts[i].major);
		unlink(paths[i]);
		free(paths[i]);
	}
	errbuf[0] = '\0';
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 1);
	CHECK(strstr(errbuf, "/gone/") != NULL);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 0);
	free(gpath);
	/* Unanswered calls are discarded: no file. */
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "discarded", START_US, errbuf);
	ct_audio_call_set_finisher(ac, f);
	add_tone_call(ac);
	ct_audio_finisher_discard(f, ac);
	ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "discarded-in-place", START_US, errbuf);
	add_tone_call(ac);
	ct_audio_call_discard(ac);
	ct_audio_finisher_free(f);
	CHECK_INT(count_entries(dir), 0);
}

/*
 * Completion reports: in submission order, each with the name the file got
 * (the second of two recordings of one Call-ID gets "-2", the path submit
 * gave does not say so) or NULL when it could not be written; nothing
 * for discarded recordings.
 */
static void test_finisher_reports(const char *dir)
{
	struct ct_audio_finisher *f = ct_audio_finisher_new();
	char errbuf[CT_ERRBUF_SIZE] = "", *paths[3] = { NULL, NULL, NULL }, *in, *fin, gone[600];
	struct ct_audio_call *ac;
	int i;

	CHECK(f != NULL);
	if (f == NULL)
		return;
	CHECK_INT(ct_audio_finisher_take_done(f, 1, &in, &fin), 0);
	ct_audio_finisher_track(f);
	snprintf(gone, sizeof(gone), "%s/gone2", dir);
	CHECK_INT(mkdir(gone, 0700), 0);
	for (i = 0; i < 3; i++) {
		ac = ct_audio_call_new(i == 1 ? gone : dir, CT_AUDIO_WAV, "rep", START_US, errbuf);
		add_tone_call(ac);
		if (i == 1)
			CHECK_INT(rmdir(gone), 0);
		CHECK_INT(ct_audio_finisher_submit(f, ac, &paths[i], NULL, errbuf), 0);
		ac = ct_audio_call_new(dir, CT_AUDIO_WAV, "dropped", START_US, errbuf);
		add_tone_call(ac);
		ct_audio_finisher_discard(f, ac);
	}
	ct_audio_finisher_drain(f);   /* all written before the first is removed below */
	for (i = 0; i < 3; i++) {
		CHECK_INT(ct_audio_finisher_take_done(f, 1, &in, &fin), 1);
		CHECK_STR(in, paths[i]);
		if (i == 0)
			CHECK_STR(fin, paths[0]);
		else if (i == 1)
			CHECK(fin == NULL);
		else if (fin != NULL && paths[2] != NULL)   /* paths[2] is rep.wav too */
			CHECK(strlen(fin) == strlen(paths[2]) + 2 && strstr(fin, "rep-2.wav") != NULL);
		if (fin != NULL) {
			CHECK_INT(file_size(fin), 44 + 32000 * 4);
			unlink(fin);
		}
		free(in);
		free(fin);
		free(paths[i]);
	}
	CHECK_INT(ct_audio_finisher_take_done(f, 1, &in, &fin), 0);
	CHECK_INT(ct_audio_finisher_take_errors(f, errbuf), 1);
	ct_audio_finisher_free(f);
	CHECK_INT(count_entries(dir), 0);
}

int main(void)
{
	char dir[] = "/tmp/ct_audio_XXXXXX";

	test_g711_vectors();
	test_g711_round_trip();
	test_codec_table();
	test_codec_malformed();
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_tone_call(dir, CT_AUDIO_WAV, "wav", SF_FORMAT_WAV);
	test_tone_call(dir, CT_AUDIO_FLAC, "flac", SF_FORMAT_FLAC);
	test_ogg(dir);
	test_undecodable(dir);
	test_drops(dir);
	test_hole_cut(dir);
	test_ts_jump_one_side(dir);
	test_l16_stereo(dir);
	test_l16_96k(dir);
	test_bad_dir();
	test_names(dir);
	test_8k_codecs(dir);
	test_write_cache_model(dir, NULL);
	test_direct_gaps(dir);
	test_store(dir, 0);
	test_sparse_wav(dir);
	test_silence(dir, 0);
	test_silence(dir, 10);
	test_store(dir, 10);
	test_cache_budget(dir, 0);
	test_cache_budget(dir, 1000);
	test_cache_idle(dir, 0);
	test_cache_idle(dir, 1000);
	test_finisher(dir);
	test_writer_queue(dir);
	test_writer_tmpfile(dir);
	test_finisher_reports(dir);
	test_rate_switch(dir);
	test_rate_first_dropped(dir);
	test_ts_ssrc_chaos(dir);
#ifdef HAVE_SPANDSP
	test_g722(dir);
	test_every_switch(dir);
#endif
#ifdef HAVE_OPUS
	test_opus(dir);
#endif
#if defined(HAVE_AMRNB) || defined(HAVE_AMRWB)
	test_amr_vectors();
	test_amr(dir);
#endif
	CHECK_INT(count_entries(dir), 0);
	rmdir(dir);
	return TEST_REPORT();
}
