/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Replay driver for the fuzz harnesses when libFuzzer is not available (gcc
 * builds, CI): `replay TARGET PATH...` runs harness TARGET (decode, ipfrag,
 * tcp, sip, rtp, engine, capture, hep) once on every file named, and on every file under
 * each directory named (recursively, in name order).  Each input is read
 * into an exactly sized buffer, as libFuzzer does.  A broken invariant or a
 * sanitizer report aborts the process; the file being run is named on
 * stderr first, so the last such line names the culprit.  Exit status: 0
 * when every input ran, 1 on a usage error or an unreadable path.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

struct replay_target {
	const char *name;
	int (*fn)(const uint8_t *data, size_t size);
};

static const struct replay_target replay_targets[] = {
	{ "decode", ct_fuzz_decode },
	{ "ipfrag", ct_fuzz_ipfrag },
	{ "tcp", ct_fuzz_tcp },
	{ "sip", ct_fuzz_sip },
	{ "rtp", ct_fuzz_rtp },
	{ "engine", ct_fuzz_engine },
	{ "capture", ct_fuzz_capture },
	{ "hep", ct_fuzz_hep },
};

struct replay_run {
	const struct replay_target *t;
	int verbose;
	unsigned long inputs;
};

static int replay_path(struct replay_run *run, const char *path);

static int replay_file(struct replay_run *run, const char *path, size_t size)
{
	uint8_t *buf = malloc(size > 0 ? size : 1);
	FILE *fp = fopen(path, "rb");
	int rc = -1;

	if (buf == NULL || fp == NULL || fread(buf, 1, size, fp) != size) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		goto out;
	}
	if (run->verbose)
		fprintf(stderr, "replay: %s %s\n", run->t->name, path);
	run->t->fn(buf, size);
	run->inputs++;
	rc = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(buf);
	return rc;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int replay_dir(struct replay_run *run, const char *dir)
{
	struct dirent **list;
	char sub[4096];
	int n, i, rc = 0;

	n = scandir(dir, &list, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: cannot read directory %s\n", dir);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (list[i]->d_name[0] != '.') {
			snprintf(sub, sizeof(sub), "%s/%s", dir, list[i]->d_name);
			if (replay_path(run, sub) != 0)
				rc = -1;
		}
		free(list[i]);
	}
	free(list);
	return rc;
}

static int replay_path(struct replay_run *run, const char *path)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: no such file %s\n", path);
		return -1;
	}
	if (S_ISDIR(st.st_mode))
		return replay_dir(run, path);
	return replay_file(run, path, (size_t)st.st_size);
}

int main(int argc, char **argv)
{
	struct replay_run run = { NULL, 0, 0 };
	int i = 1, rc = 0;
	size_t k;

	if (argc > 1 && strcmp(argv[1], "-v") == 0) {
		run.verbose = 1;
		i++;
	}
	for (k = 0; i < argc && k < sizeof(replay_targets) / sizeof(replay_targets[0]); k++)
		if (strcmp(argv[i], replay_targets[k].name) == 0)
			run.t = &replay_targets[k];
	if (run.t == NULL || i + 1 >= argc) {
		fprintf(stderr, "usage: replay [-v] decode|ipfrag|tcp|sip|rtp|engine|capture|hep FILE|DIR...\n");
		return 1;
	}
	for (i++; i < argc; i++)
		if (replay_path(&run, argv[i]) != 0)
			rc = 1;
	printf("replay %s: %lu inputs\n", run.t->name, run.inputs);
	return rc;
}
