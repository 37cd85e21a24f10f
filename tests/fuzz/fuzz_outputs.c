/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An engine with every output on, for every fuzz harness that builds one
 * (fuzz_engine.c, fuzz_capture.c): a stage left off is a stage not fuzzed
 * (payload type switches crashed --audio while the engine harness ran
 * without recording).  JSON and CSV sinks on /dev/null, an SQLite store,
 * orphan streams on /dev/null and WAV recording, the last two in a private
 * directory on tmpfs when there is one (SQLite's fsyncs on a disk cost about
 * 60 ms an input), made once per process and emptied after each input.
 * ct_fuzz_engine_close() checks that the recordings the engine counted are
 * the files in the directory: a record never names a file not written.
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
#include "calltap/sinkset.h"
#include "fuzz.h"

/* On tmpfs when there is one: SQLite's fsyncs on a disk cost ~60 ms an input. */
static char fuzz_audio_path[] = "/dev/shm/calltap-fuzz-out-XXXXXX";

/* The outputs of the one engine open at a time (ct_fuzz_engine_open .. _close). */
static struct ct_sinkset *fuzz_sinks;

/* Opens ops on target into fuzz_sinks; CT_OK or CT_ERR. */
static int add_sink(const struct ct_sink_ops *ops, const char *target, char *errbuf)
{
	struct ct_sink_args args = { .target = target };

	return ct_sinkset_add(fuzz_sinks, ops, &args, errbuf);
}

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
struct ct_engine *ct_fuzz_engine_open(void)
{
	char errbuf[CT_ERRBUF_SIZE], db[4200];
	struct ct_engine_cfg cfg;
	struct ct_engine *e;
	const char *dir = audio_dir();

	if (dir == NULL)
		return NULL;
	if ((fuzz_sinks = ct_sinkset_new(NULL)) == NULL)
		return NULL;
	snprintf(db, sizeof(db), "%s/calls.db", dir);
	e = NULL;
	if (add_sink(&ct_sink_json, "/dev/null", errbuf) == CT_OK &&
	    add_sink(&ct_sink_csv, "/dev/null", errbuf) == CT_OK &&
	    add_sink(&ct_sink_sqlite, db, errbuf) == CT_OK &&
	    add_sink(&ct_sink_orphans, "/dev/null", errbuf) == CT_OK) {
		ct_engine_cfg_default(&cfg);
		/* A memory budget of a few calls (the media table's empty buckets
		 * are 32 KiB of it): inputs of several calls shed and evict
		 * (engine.c mem_guard) while others still run their course. */
		cfg.max_call_bytes = 64 << 10;
		cfg.audio_dir = dir;
		cfg.audio_format = CT_AUDIO_WAV;
		cfg.sinks = fuzz_sinks;   /* outputs first: the engine asks who takes orphans */
		e = ct_engine_new(&cfg, errbuf);
	}
	if (e == NULL) {
		ct_sinkset_free(fuzz_sinks);
		fuzz_sinks = NULL;
	}
	return e;
}

/* The recordings the engine counts as written. */
static int fuzz_recordings(const struct ct_engine *e)
{
	struct ct_engine_stats st;

	ct_engine_get_stats(e, &st);
	return (int)st.recordings;
}

/* Finishes and frees e, checks the recordings against the files, empties the directory. */
void ct_fuzz_engine_close(struct ct_engine *e)
{
	int recorded;

	ct_engine_finish(e);
	ct_sinkset_close(fuzz_sinks);
	recorded = fuzz_recordings(e);
	ct_engine_free(e);
	ct_sinkset_free(fuzz_sinks);
	fuzz_sinks = NULL;
	if (empty_dir(audio_dir()) != recorded)
		ct_fuzz_fail("recordings counted differ from the files written");
}
