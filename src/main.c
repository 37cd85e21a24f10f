/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * calltap command line: parses options, opens sources and sinks, and feeds
 * every frame to one engine.  Wiring only; all the work is in the library.
 *
 * Exit status: 0 success; 1 usage error; 2 an input could not be read
 * completely (missing, unreadable or truncated capture); 3 an output failed.
 * Whatever the status, every call reconstructed from the input that could be
 * read is written to every output that still works.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "calltap/audio.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "calltap/source.h"

#define MAX_INPUTS 256
#define MAX_OUTPUTS 8

/*
 * The one piece of process-wide mutable state: set by the SIGINT/SIGTERM
 * handler, polled by the read loop (a handler can reach nothing else).
 */
static volatile sig_atomic_t stop_requested;

struct output {
	const struct ct_sink_ops *ops;
	const char *arg;
};

struct options {
	const char *inputs[MAX_INPUTS];
	size_t n_inputs;
	const char *iface;
	struct output outputs[MAX_OUTPUTS];
	size_t n_outputs;
	char *bpf;
	int stats;
	int quiet;
	int snaplen;
	int buffer_mb;
	struct ct_engine_cfg cfg;
};

static void on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: calltap [-r FILE|DIR|-]... [-i IFACE] [outputs] [options] [BPF filter]\n"
	    "\n"
	    "Reconstructs SIP calls from captures and writes one record per call.\n"
	    "\n"
	    "inputs:\n"
	    "  -r, --read FILE|DIR|-   pcap/pcapng file, directory of captures, or stdin (repeatable)\n"
	    "  -i, --interface IFACE   live capture\n"
	    "outputs (default: --table - --db calltap.db):\n"
	    "  --json FILE|-           JSON lines, one call per line\n"
	    "  --csv FILE|-            CSV with a header row\n"
	    "  --db FILE               SQLite database (table calls)\n"
	    "  --table FILE|-          human-readable call table\n"
	    "options:\n"
	    "  --no-rtp                do not match or measure RTP\n"
	    "  --audio DIR             write each answered call's audio (stereo: caller left)\n"
	    "  --audio-format FMT      wav (default), flac or ogg\n"
	    "  --setup-timeout SEC     close calls with no final response after SEC (300)\n"
	    "  --call-timeout SEC      close answered calls silent for SEC (14400)\n"
	    "  --snaplen N, --buffer-mb N   live capture settings (65535, 64)\n"
	    "  -s, --stats             print counters on stderr at the end\n"
	    "  -h, --help, -V, --version\n");
}

static int add_output(struct options *o, const struct ct_sink_ops *ops, const char *arg)
{
	if (o->n_outputs == MAX_OUTPUTS) {
		fprintf(stderr, "calltap: too many outputs\n");
		return -1;
	}
	o->outputs[o->n_outputs].ops = ops;
	o->outputs[o->n_outputs].arg = arg;
	o->n_outputs++;
	return 0;
}

static int parse_seconds(const char *s, int64_t *us)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v <= 0) {
		fprintf(stderr, "calltap: not a positive number of seconds: '%s'\n", s);
		return -1;
	}
	*us = (int64_t)(v * 1e6);
	return 0;
}

/* Joins the trailing arguments into one BPF expression (like tcpdump). */
static char *join_args(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (s == NULL)
		return NULL;
	for (i = 0; i < argc; i++) {
		if (i > 0)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

enum {
	OPT_JSON = 256, OPT_CSV, OPT_DB, OPT_TABLE, OPT_NO_RTP, OPT_SETUP_TO,
	OPT_CALL_TO, OPT_SNAPLEN, OPT_BUFFER, OPT_AUDIO, OPT_AUDIO_FMT
};

static const struct option long_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "db", required_argument, NULL, OPT_DB },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "no-rtp", no_argument, NULL, OPT_NO_RTP },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "audio-format", required_argument, NULL, OPT_AUDIO_FMT },
	{ "setup-timeout", required_argument, NULL, OPT_SETUP_TO },
	{ "call-timeout", required_argument, NULL, OPT_CALL_TO },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "buffer-mb", required_argument, NULL, OPT_BUFFER },
	{ "stats", no_argument, NULL, 's' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Returns 0 to run, 1 on a usage error, -1 when help/version was printed. */
static int parse_options(struct options *o, int argc, char **argv)
{
	int c, rc = 0;

	ct_engine_cfg_default(&o->cfg);
	o->snaplen = 65535;
	o->buffer_mb = 64;
	while ((c = getopt_long(argc, argv, "r:i:shV", long_opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (o->n_inputs == MAX_INPUTS) {
				fprintf(stderr, "calltap: too many inputs (at most %d)\n", MAX_INPUTS);
				return 1;
			}
			o->inputs[o->n_inputs++] = optarg;
			break;
		case 'i': o->iface = optarg; break;
		case OPT_JSON: rc |= add_output(o, &ct_sink_json, optarg); break;
		case OPT_CSV: rc |= add_output(o, &ct_sink_csv, optarg); break;
		case OPT_DB: rc |= add_output(o, &ct_sink_sqlite, optarg); break;
		case OPT_TABLE: rc |= add_output(o, &ct_sink_table, optarg); break;
		case OPT_NO_RTP: o->cfg.rtp = false; break;
		case OPT_AUDIO: o->cfg.audio_dir = optarg; break;
		case OPT_AUDIO_FMT: {
			enum ct_audio_format fmt;

			if (ct_audio_format_parse(optarg, &fmt) != 0) {
				fprintf(stderr, "calltap: unknown audio format '%s' (wav, flac, ogg)\n", optarg);
				rc = 1;
			}
			o->cfg.audio_format = (int)fmt;
			break;
		}
		case OPT_SETUP_TO: rc |= parse_seconds(optarg, &o->cfg.dialog.setup_timeout_us); break;
		case OPT_CALL_TO: rc |= parse_seconds(optarg, &o->cfg.dialog.call_timeout_us); break;
		case OPT_SNAPLEN: o->snaplen = atoi(optarg); break;
		case OPT_BUFFER: o->buffer_mb = atoi(optarg); break;
		case 's': o->stats = 1; break;
		case 'h': usage(stdout); return -1;
		case 'V': printf("calltap %s\n", PACKAGE_VERSION); return -1;
		default: usage(stderr); return 1;
		}
	}
	if (rc != 0)
		return 1;
	if (o->n_inputs == 0 && o->iface == NULL) {
		fprintf(stderr, "calltap: no input: give -r FILE or -i IFACE\n");
		usage(stderr);
		return 1;
	}
	if (o->n_outputs == 0) {
		add_output(o, &ct_sink_table, "-");
		add_output(o, &ct_sink_sqlite, "calltap.db");
	}
	if (optind < argc && (o->bpf = join_args(argc - optind, argv + optind)) == NULL)
		return 1;
	return 0;
}

static int is_capture_name(const char *name)
{
	static const char *const exts[] = { ".pcap", ".pcapng", ".cap", ".dmp", NULL };
	size_t n = strlen(name), i;

	if (name[0] == '.')
		return 0;
	for (i = 0; exts[i] != NULL; i++) {
		size_t k = strlen(exts[i]);

		if (n > k && strcmp(name + n - k, exts[i]) == 0)
			return 1;
	}
	return 0;
}

/*
 * Feeds every frame of one source to the engine.  Returns 0, or 2 when the
 * source ended with a read error (reported, naming the file).
 */
static int run_source(struct ct_engine *e, struct ct_source *src)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_frame f;
	int rc;

	while (!stop_requested) {
		rc = src->ops->next(src, &f, errbuf);
		if (rc == 1)
			ct_engine_frame(e, &f);
		else if (rc == 0)
			continue;
		else if (rc == CT_EOF)
			return 0;
		else {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return 2;
		}
	}
	return 0;
}

static int run_path(struct ct_engine *e, const char *path, const char *bpf);

static int run_dir(struct ct_engine *e, const char *dir, const char *bpf)
{
	struct dirent **names;
	int n, i, status = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "calltap: cannot list directory '%s': %s\n", dir, strerror(errno));
		return 2;
	}
	for (i = 0; i < n; i++) {
		char path[4096];

		if (is_capture_name(names[i]->d_name) && !stop_requested) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
			status |= run_path(e, path, bpf);
		}
		free(names[i]);
	}
	free(names);
	return status;
}

/* Reads one capture file, "-" or a directory of captures (sorted by name). */
static int run_path(struct ct_engine *e, const char *path, const char *bpf)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_source *src;
	struct stat st;
	int status;

	if (strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return run_dir(e, path, bpf);
	src = ct_source_open_file(path, bpf, errbuf);
	if (src == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return 2;
	}
	ct_engine_new_input(e);
	status = run_source(e, src);
	ct_source_close(src);
	return status;
}

static int run_live(struct ct_engine *e, const struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_source *src;
	int status;

	src = ct_source_open_live(o->iface, o->bpf, o->snaplen, o->buffer_mb, errbuf);
	if (src == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return 2;
	}
	status = run_source(e, src);
	ct_source_close(src);
	return status;
}

static int open_outputs(struct ct_engine *e, const struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < o->n_outputs; i++) {
		errbuf[0] = '\0';
		if (ct_engine_add_sink(e, o->outputs[i].ops, o->outputs[i].arg, errbuf) != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct options o;
	struct ct_engine *e;
	struct sigaction sa;
	int status = 0, rc;
	size_t i;

	memset(&o, 0, sizeof(o));
	rc = parse_options(&o, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : 1;
	e = ct_engine_new(&o.cfg, errbuf);
	if (e == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		free(o.bpf);
		return 3;
	}
	if (open_outputs(e, &o) != 0) {
		ct_engine_finish(e);
		ct_engine_free(e);
		free(o.bpf);
		return 3;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 0; i < o.n_inputs && !stop_requested; i++)
		status |= run_path(e, o.inputs[i], o.bpf);
	if (o.iface != NULL && !stop_requested)
		status |= run_live(e, &o);
	if (ct_engine_finish(e) != CT_OK)
		status = 3;
	if (o.stats)
		ct_engine_print_stats(e, stderr);
	ct_engine_free(e);
	free(o.bpf);
	return status;
}
