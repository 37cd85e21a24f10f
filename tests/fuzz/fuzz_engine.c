/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Fuzz harness for the whole pipeline (src/engine.c and every stage behind
 * it: decoders, fragment and TCP reassembly, SIP framing and parsing,
 * dialogs, media matching, RTP statistics, audio recording, the record
 * formatting of the JSON sink).  The input is a sequence of Ethernet frames,
 * each preceded by a 2-byte big-endian header: the low 14 bits give the
 * frame length (fewer bytes at the end of input), the top 2 bits the time
 * step before it (20 ms, 1 s, 31 s, 400 s: the last two pass the fragment
 * and the setup timeouts).  One engine per input with every output on, as
 * calltap runs with all of them: JSON and CSV sinks on /dev/null, an SQLite
 * store, orphan streams on /dev/null, and audio recording (WAV), the last
 * two into a private temporary directory that is emptied after each input
 * (a harness that leaves an output off leaves its bugs unfound: payload
 * type switches crashed --audio while this harness ran without it).
 * Checks, besides the sanitizers: every record that names a recording names
 * a file that exists once the engine finished (counted through the
 * recordings counter against the directory), and the frame counter.
 * ct_engine_finish() and ct_engine_free() end it, so a leak anywhere in the
 * pipeline shows up under LeakSanitizer.
 * References: RFC 3261, RFC 3550 (what the stages implement).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calltap/audio.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "fuzz.h"

static const int64_t fuzz_engine_steps_us[4] = { 20000, 1000000, 31000000, 400000000 };

/* On tmpfs when there is one: SQLite's fsyncs on a disk cost ~60 ms an input. */
static char fuzz_audio_path[] = "/dev/shm/calltap-fuzz-out-XXXXXX";

/* Removes every file of dir; returns how many names ending in ".wav" it held. */
static int empty_dir(const char *dir)
{
	char name[4096];
	struct dirent *de;
	size_t n;
	int wavs = 0;
	DIR *d;

	if (dir == NULL || (d = opendir(dir)) == NULL)
		return 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		n = strlen(de->d_name);
		wavs += n > 4 && strcmp(de->d_name + n - 4, ".wav") == 0;
		snprintf(name, sizeof(name), "%s/%s", dir, de->d_name);
		unlink(name);
	}
	closedir(d);
	return wavs;
}

static void remove_audio_dir(void)
{
	empty_dir(fuzz_audio_path);
	rmdir(fuzz_audio_path);
}

/* The recording directory, made once per process (NULL when that failed). */
static const char *audio_dir(void)
{
	static int state; /* 0 = not tried, 1 = made, -1 = failed */

	if (state == 0) {
		if (mkdtemp(fuzz_audio_path) != NULL) {
			state = 1;
		} else {
			memcpy(fuzz_audio_path, "/tmp/calltap-fuzz-out-XXXXXX", sizeof("/tmp/calltap-fuzz-out-XXXXXX"));
			state = mkdtemp(fuzz_audio_path) != NULL ? 1 : -1;
		}
		if (state == 1)
			atexit(remove_audio_dir);
	}
	return state == 1 ? fuzz_audio_path : NULL;
}

/* An engine with every output on; NULL when one could not be opened. */
static struct ct_engine *fuzz_engine_new(void)
{
	char errbuf[CT_ERRBUF_SIZE], db[4200];
	struct ct_engine_cfg cfg;
	struct ct_engine *e;
	const char *dir = audio_dir();

	if (dir == NULL)
		return NULL;
	ct_engine_cfg_default(&cfg);
	cfg.audio_dir = dir;
	cfg.audio_format = CT_AUDIO_WAV;
	e = ct_engine_new(&cfg, errbuf);
	if (e == NULL)
		return NULL;
	snprintf(db, sizeof(db), "%s/calls.db", dir);
	if (ct_engine_add_sink(e, &ct_sink_json, "/dev/null", errbuf) != CT_OK ||
	    ct_engine_add_sink(e, &ct_sink_csv, "/dev/null", errbuf) != CT_OK ||
	    ct_engine_add_sink(e, &ct_sink_sqlite, db, errbuf) != CT_OK ||
	    ct_engine_set_orphans(e, "/dev/null", errbuf) != CT_OK) {
		ct_engine_finish(e);
		ct_engine_free(e);
		return NULL;
	}
	return e;
}

/* The "recordings" line of the engine's statistics: files written. */
static int fuzz_recordings(const struct ct_engine *e)
{
	char *buf = NULL, *p;
	size_t len = 0;
	int n = 0;
	FILE *fp = open_memstream(&buf, &len);

	if (fp == NULL)
		return -1;
	ct_engine_print_stats(e, fp);
	fclose(fp);
	p = buf != NULL ? strstr(buf, "  recordings ") : NULL;
	if (p != NULL)
		n = atoi(p + strlen("  recordings "));
	free(buf);
	return n;
}

/* Runs the frames of the input through one engine, then finishes it. */
int ct_fuzz_engine(const uint8_t *data, size_t size)
{
	struct ct_fuzz_in in = { data, size };
	struct ct_engine *e = fuzz_engine_new();
	int64_t now = INT64_C(1700000000000000);
	const struct ct_engine_counters *c;
	uint64_t frames = 0;
	int recorded;

	if (e == NULL)
		return 0;
	ct_engine_new_input(e);
	while (in.left > 0) {
		struct ct_frame f;
		const uint8_t *p;
		uint8_t *copy;
		uint16_t hdr = ct_fuzz_u16(&in);
		size_t len = ct_fuzz_take(&in, hdr & 0x3FFF, &p);

		now += fuzz_engine_steps_us[hdr >> 14];
		copy = ct_fuzz_dup(p, len);
		if (copy == NULL)
			break;
		f.ts_us = now;
		f.caplen = (uint32_t)len;
		f.wirelen = (uint32_t)len;
		f.linktype = 1;
		f.data = copy;
		ct_engine_frame(e, &f);
		free(copy);
		frames++;
	}
	c = ct_engine_counters(e);
	if (c->frames != frames)
		ct_fuzz_fail("frame counter differs from frames fed");
	ct_engine_finish(e);
	recorded = fuzz_recordings(e);
	ct_engine_free(e);
	if (empty_dir(audio_dir()) != recorded)
		ct_fuzz_fail("recordings counted differ from the files written");
	return 0;
}

CT_FUZZ_TARGET(engine)
