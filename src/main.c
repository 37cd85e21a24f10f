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

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/attr.h"
#include "calltap/audio.h"
#include "calltap/engine.h"
#include "calltap/inputs.h"
#include "calltap/report.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "calltap/source.h"

#define MAX_OUTPUTS 8

/*
 * The only process-wide mutable state: flags set by the signal handlers
 * (SIGINT/SIGTERM: stop; SIGHUP: reopen the outputs), polled by the read
 * loop (a handler can reach nothing else).
 */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;

struct output {
	const struct ct_sink_ops *ops;
	const char *arg;
};

struct options {
	const char **inputs;   /* -r arguments and trailing capture paths, in order */
	size_t n_inputs, cap_inputs;
	char **listed;         /* paths read from -V files, owned */
	size_t n_listed;
	const char *iface;
	struct output outputs[MAX_OUTPUTS];
	size_t n_outputs;
	char *bpf;
	const char *spool;     /* --spool DIR, for the webhook sink */
	char *webhook_args[MAX_OUTPUTS]; /* "URL SPOOLDIR", owned */
	const char *orphans;   /* --orphans FILE */
	int stats;
	int quiet;             /* -q: no progress line */
	int snaplen;
	int buffer_mb;
	const char *user;          /* -Z: run as this user once everything is open */
	int64_t stats_interval_us; /* -1 = default (60 s live, off otherwise) */
	struct ct_attr_cfg attr;   /* --numbers, --home, --country-code, --sensor, --history-max */
	struct ct_engine_cfg cfg;  /* cfg.attr: built from attr, owned here */
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen_requested = 1;
	else
		stop_requested = 1;
}

static void usage(FILE *out)
{
	fprintf(out,
	    "usage: calltap [-r FILE|DIR|-]... [-V LIST] [-i IFACE] [outputs] [options] [BPF filter]\n"
	    "       calltap report [--db FILE | --pg CONNINFO] [options]   (calltap report --help)\n"
	    "\n"
	    "Reconstructs SIP calls from captures and writes one record per call;\n"
	    "'calltap report' summarises the stored calls for marketing (text, JSON, HTML).\n"
	    "Manual: man calltap, man calltap-report.\n"
	    "\n"
	    "inputs:\n"
	    "  -r, --read FILE|DIR|-   pcap/pcapng file (.gz too), folder of captures (recursive),\n"
	    "                          or stdin; repeatable, and capture paths after the options\n"
	    "                          count too; all are merged in capture-time order\n"
	    "  -V FILE                 read the captures named in FILE, one per line (as tcpdump -V)\n"
	    "  -i, --interface IFACE   live capture\n"
	    "outputs (default: --table - --db calltap.db):\n"
	    "  --json FILE|-           JSON lines, one call per line\n"
	    "  --csv FILE|-            CSV with a header row\n"
	    "  --db FILE               SQLite database (table calls)\n"
	    "  --table FILE|-          human-readable call table\n"
	    "  --pg CONNINFO           PostgreSQL database (libpq conninfo or URI)\n"
	    "  --webhook URL           POST each call as JSON to URL\n"
	    "  --spool DIR             webhook records not yet delivered (./calltap-spool)\n"
	    "options:\n"
	    "  --no-rtp                do not match or measure RTP\n"
	    "  --audio DIR             write each answered call's audio (stereo: caller left)\n"
	    "  --audio-format FMT      wav (default), flac or ogg\n"
	    "  --orphans FILE|-        RTP streams of no SIP call, as JSON lines\n"
	    "  --setup-timeout SEC     close calls with no final response after SEC (300)\n"
	    "  --call-timeout SEC      close answered calls silent for SEC (14400)\n"
	    "  --snaplen N, --buffer-mb N   live capture settings (65535, 64)\n"
	    "  -Z, --user USER         run as USER once the interface and outputs are open\n"
	    "                          (outputs are handed to USER; --audio DIR must be writable)\n"
	    "  --stats-interval SEC    status line on stderr every SEC (live: 60, else off; 0 = off)\n"
	    "attribution (docs/schema.md):\n"
	    "  --numbers FILE          tracking numbers CSV: number,source,campaign[,cost]\n"
	    "  --home CIDR             home (PBX) side prefix, IPv4 or IPv6 (repeatable)\n"
	    "  --country-code CC       country code for national numbers (0...), e.g. 44\n"
	    "  --sensor NAME           sensor name in every record (default: host name)\n"
	    "  --history-max N         numbers remembered for first_call/callbacks (500000; 0 = off)\n"
	    "signals: INT/TERM write every open call and exit; HUP reopens the output files\n"
	    "  -s, --stats             print counters on stderr at the end (-v: the same)\n"
	    "  -q, --quiet             no progress line (drawn on a terminal for files)\n"
	    "  -n                      accepted and ignored (calltap never resolves names)\n"
	    "  -h, --help, --version   (--version lists the formats, outputs and codecs built in)\n");
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

	if (end == s || *end != '\0' || !(v > 0) || v > 1e9) {
		fprintf(stderr, "calltap: not a positive number of seconds (at most 1e9): '%s'\n", s);
		return -1;
	}
	*us = (int64_t)(v * 1e6);
	return 0;
}

/* Like parse_seconds, but 0 is allowed (turns the feature off). */
static int parse_interval(const char *s, int64_t *us)
{
	if (strcmp(s, "0") == 0) {
		*us = 0;
		return 0;
	}
	return parse_seconds(s, us);
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
	OPT_CALL_TO, OPT_SNAPLEN, OPT_BUFFER, OPT_AUDIO, OPT_AUDIO_FMT, OPT_ORPHANS,
	OPT_STATS_INTERVAL,
	OPT_PG, OPT_WEBHOOK, OPT_SPOOL,
	OPT_NUMBERS, OPT_HOME, OPT_COUNTRY, OPT_SENSOR, OPT_HISTORY_MAX,
	OPT_VERSION
};

static const struct option long_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "json", required_argument, NULL, OPT_JSON },
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "db", required_argument, NULL, OPT_DB },
	{ "table", required_argument, NULL, OPT_TABLE },
	{ "pg", required_argument, NULL, OPT_PG },
	{ "webhook", required_argument, NULL, OPT_WEBHOOK },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "no-rtp", no_argument, NULL, OPT_NO_RTP },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "orphans", required_argument, NULL, OPT_ORPHANS },
	{ "audio-format", required_argument, NULL, OPT_AUDIO_FMT },
	{ "setup-timeout", required_argument, NULL, OPT_SETUP_TO },
	{ "call-timeout", required_argument, NULL, OPT_CALL_TO },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "buffer-mb", required_argument, NULL, OPT_BUFFER },
	{ "stats", no_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "user", required_argument, NULL, 'Z' },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "numbers", required_argument, NULL, OPT_NUMBERS },
	{ "home", required_argument, NULL, OPT_HOME },
	{ "country-code", required_argument, NULL, OPT_COUNTRY },
	{ "sensor", required_argument, NULL, OPT_SENSOR },
	{ "history-max", required_argument, NULL, OPT_HISTORY_MAX },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ NULL, 0, NULL, 0 }
};

/* Gives each webhook output its spool directory: arg "URL SPOOLDIR". */
static int webhook_args(struct options *o)
{
	const char *spool = o->spool != NULL ? o->spool : "calltap-spool";
	size_t i, len;

	for (i = 0; i < o->n_outputs; i++) {
		if (strcmp(o->outputs[i].ops->name, "webhook") != 0)
			continue;
		len = strlen(o->outputs[i].arg) + strlen(spool) + 2;
		o->webhook_args[i] = malloc(len);
		if (o->webhook_args[i] == NULL)
			return -1;
		snprintf(o->webhook_args[i], len, "%s %s", o->outputs[i].arg, spool);
		o->outputs[i].arg = o->webhook_args[i];
	}
	return 0;
}

/* --home (repeatable) and --history-max; 0, or -1 after a message. */
static int attr_option(struct ct_attr_cfg *a, int c, const char *arg)
{
	char *end;
	unsigned long long n;

	if (c == OPT_HOME) {
		if (a->n_home == CT_ATTR_MAX_HOME) {
			fprintf(stderr, "calltap: too many --home prefixes (at most %d)\n", CT_ATTR_MAX_HOME);
			return -1;
		}
		a->home[a->n_home++] = arg;
		return 0;
	}
	n = strtoull(arg, &end, 10);
	if (end == arg || *end != '\0' || arg[0] == '-' || n > 100000000) {
		fprintf(stderr, "calltap: --history-max wants 0-100000000, not '%s'\n", arg);
		return -1;
	}
	a->history_max = (size_t)n;
	return 0;
}

/* --version: the version and what this build was made with. */
static void print_version(FILE *out)
{
	fprintf(out, "calltap %s\n", PACKAGE_VERSION);
	fprintf(out, "inputs: pcap pcapng live(libpcap)%s%s%s%s\n",
#ifdef HAVE_ZLIB
	    " gzip",
#else
	    "",
#endif
#ifdef HAVE_LZMA
	    " xz",
#else
	    "",
#endif
#ifdef HAVE_ZSTD
	    " zstd",
#else
	    "",
#endif
#ifdef HAVE_LZ4
	    " lz4"
#else
	    ""
#endif
	    );
	fprintf(out, "outputs: json csv table sqlite orphans%s%s%s\n",
#ifdef HAVE_PQ
	    " postgresql",
#else
	    "",
#endif
#ifdef HAVE_CURL
	    " webhook",
#else
	    "",
#endif
#ifdef HAVE_SNDFILE
	    " audio(wav flac ogg)"
#else
	    ""
#endif
	    );
	fprintf(out, "codecs decoded: G.711(PCMU PCMA)%s%s%s%s\n",
#ifdef HAVE_SPANDSP
	    " G.722",
#else
	    "",
#endif
#ifdef HAVE_GSM
	    " GSM",
#else
	    "",
#endif
#ifdef HAVE_BCG729
	    " G.729",
#else
	    "",
#endif
#ifdef HAVE_OPUS
	    " Opus"
#else
	    ""
#endif
	    );
}

/* Appends one capture argument; 0, or 1 when out of memory (reported). */
static int add_input(struct options *o, const char *arg)
{
	if (o->n_inputs == o->cap_inputs) {
		size_t cap = o->cap_inputs != 0 ? o->cap_inputs * 2 : 16;
		const char **v = realloc(o->inputs, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "calltap: out of memory\n");
			return 1;
		}
		o->inputs = v;
		o->cap_inputs = cap;
	}
	o->inputs[o->n_inputs++] = arg;
	return 0;
}

/*
 * -V FILE: one capture path per line (tcpdump's list file); blank lines
 * and lines starting with '#' are skipped, trailing CR/LF and spaces cut.
 * Returns 0, or 1 when the file cannot be read or memory runs out
 * (reported).
 */
static int read_list_file(struct options *o, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (fp == NULL) {
		fprintf(stderr, "calltap: cannot read list file '%s': %s\n", path, strerror(errno));
		return 1;
	}
	while (rc == 0 && (n = getline(&line, &cap, fp)) >= 0) {
		char **v, *p;

		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
		    line[n - 1] == '\t'))
			line[--n] = '\0';
		if (n == 0 || line[0] == '#')
			continue;
		if ((v = realloc(o->listed, (o->n_listed + 1) * sizeof(*v))) == NULL ||
		    (p = strdup(line)) == NULL) {
			if (v != NULL)
				o->listed = v;
			fprintf(stderr, "calltap: out of memory\n");
			rc = 1;
			break;
		}
		o->listed = v;
		o->listed[o->n_listed++] = p;
		rc = add_input(o, p);
	}
	if (rc == 0 && ferror(fp)) {
		fprintf(stderr, "calltap: cannot read list file '%s': %s\n", path, strerror(errno));
		rc = 1;
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	return rc;
}

/* Returns 0 to run, 1 on a usage error, -1 when help/version was printed. */
static int parse_options(struct options *o, int argc, char **argv)
{
	int c, rc = 0;

	ct_engine_cfg_default(&o->cfg);
	ct_attr_cfg_default(&o->attr);
	o->snaplen = 65535;
	o->buffer_mb = 64;
	o->stats_interval_us = -1;
	while ((c = getopt_long(argc, argv, "r:i:shV:Z:qnv", long_opts, NULL)) != -1) {
		/*
		 * An option's value that looks like an option is a forgotten
		 * value (--json --table x): say so rather than create a file
		 * named "--table".  "-" (standard input/output) is a value.
		 */
		if (optarg != NULL && optarg[0] == '-' && optarg[1] != '\0' &&
		    !(optarg[1] >= '0' && optarg[1] <= '9')) {
			fprintf(stderr, "calltap: a value is missing: '%s' is an option, not a value "
			    "(write ./%s for a file of that name)\n", optarg, optarg);
			return 1;
		}
		switch (c) {
		case 'r':
			if (add_input(o, optarg) != 0)
				return 1;
			break;
		case 'i': o->iface = optarg; break;
		case OPT_JSON: rc |= add_output(o, &ct_sink_json, optarg); break;
		case OPT_CSV: rc |= add_output(o, &ct_sink_csv, optarg); break;
		case OPT_DB: rc |= add_output(o, &ct_sink_sqlite, optarg); break;
		case OPT_TABLE: rc |= add_output(o, &ct_sink_table, optarg); break;
#ifdef HAVE_PQ
		case OPT_PG: rc |= add_output(o, &ct_sink_pgsql, optarg); break;
#else
		case OPT_PG: fprintf(stderr, "calltap: built without PostgreSQL (libpq)\n"); rc = 1; break;
#endif
#ifdef HAVE_CURL
		case OPT_WEBHOOK: rc |= add_output(o, &ct_sink_webhook, optarg); break;
#else
		case OPT_WEBHOOK: fprintf(stderr, "calltap: built without webhooks (libcurl)\n"); rc = 1; break;
#endif
		case OPT_SPOOL: o->spool = optarg; break;
		case OPT_NO_RTP: o->cfg.rtp = false; break;
		case OPT_AUDIO: o->cfg.audio_dir = optarg; break;
		case OPT_ORPHANS: o->orphans = optarg; break;
		case OPT_AUDIO_FMT: {
			enum ct_audio_format fmt = CT_AUDIO_WAV;

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
		case 's': case 'v': o->stats = 1; break;  /* -v: tcpdump's habit, more output */
		case 'q': o->quiet = 1; break;
		case 'n': break;                           /* tcpdump's habit: no name lookups */
		case 'Z': o->user = optarg; break;
		case OPT_STATS_INTERVAL: rc |= parse_interval(optarg, &o->stats_interval_us); break;
		case OPT_NUMBERS: o->attr.numbers_path = optarg; break;
		case OPT_COUNTRY: o->attr.country_code = optarg; break;
		case OPT_SENSOR: o->attr.sensor = optarg; break;
		case OPT_HOME:
		case OPT_HISTORY_MAX: rc |= attr_option(&o->attr, c, optarg) != 0; break;
		case 'h': usage(stdout); return -1;
		case OPT_VERSION: print_version(stdout); return -1;
		case 'V':
			if (read_list_file(o, optarg) != 0)
				return 1;
			break;
		default: usage(stderr); return 1;
		}
	}
	{
		/* Two outputs on standard output would interleave their lines. */
		size_t i, on_stdout = o->orphans != NULL && strcmp(o->orphans, "-") == 0;

		for (i = 0; i < o->n_outputs; i++)
			on_stdout += strcmp(o->outputs[i].arg, "-") == 0;
		if (on_stdout > 1) {
			fprintf(stderr, "calltap: only one output can go to standard output ('-'); "
			    "give the others a file\n");
			return 1;
		}
	}
	if (rc == 0 && webhook_args(o) != 0)
		return 1;
	if (rc != 0)
		return 1;
	/*
	 * Trailing words that name captures or directories are inputs too
	 * (what a shell glob after -r expands to); the filter starts at the
	 * first word that is not one.
	 */
	while (rc == 0 && o->iface == NULL && optind < argc && ct_inputs_is_capture_path(argv[optind]))
		if (add_input(o, argv[optind++]) != 0)
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

/* Wall-clock time in microseconds (live capture timestamps use the same clock). */
static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * Feeds every frame of one source to the engine.  A live source's read
 * timeout (every 250 ms on an idle link) advances the engine's clock, less
 * a second of slack for frames still in the kernel buffer, so calls time
 * out and the stats line comes on time.  SIGHUP reopens the outputs between
 * frames.  Returns 0, or 2 when the source ended with a read error
 * (reported, naming the file).
 */
static int run_source(struct ct_engine *e, struct ct_source *src)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_frame f;
	int rc;

	while (!stop_requested) {
		rc = src->ops->next(src, &f, errbuf);
		if (reopen_requested) {
			reopen_requested = 0;
			ct_engine_reopen_sinks(e);
		}
		if (rc == 1)
			ct_engine_frame(e, &f);
		else if (rc == 0)
			ct_engine_clock(e, wall_us() - 1000000);
		else if (rc == CT_EOF)
			return 0;
		else {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return 2;
		}
	}
	return 0;
}

/*
 * Progress line of a file replay, on a terminal only (stderr) and not with
 * -q: percent and bytes of the inputs read (ct_inputs_progress), packets/s
 * since the previous update, calls written, elapsed and estimated time
 * left, redrawn in place ("\r", erase to end of line) about four times a
 * second and cut to the terminal's width.  The cursor is left at the start
 * of the line, so that records written to the same terminal on standard
 * output (table, JSON, CSV rows: all longer) overwrite it rather than
 * being glued to its end; the next update redraws it below them.  The
 * clock is read once every PROGRESS_EVERY frames, so the per-frame cost is
 * one decrement.  Other messages on stderr clear the line first
 * (progress_clear); the last update ends it with a newline.
 */
#define PROGRESS_EVERY 1024
#define PROGRESS_US 250000

struct progress {
	int on;
	int shown;             /* a line is on the screen, the cursor at its start */
	unsigned countdown;
	int64_t start_us, last_us;
	uint64_t last_frames;
	double rate;           /* packets/s over the last update's span */
	uint64_t done, total;  /* bytes, last read */
	int known;             /* total is known */
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* "101.7/217.4 MiB", "900/1000 B": done and total in the unit of total */
static void fmt_bytes(char *buf, size_t len, uint64_t done, uint64_t total)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double d = (double)done, t = (double)total;
	int u = 0;

	while (t >= 1024 && u < 4) {
		d /= 1024;
		t /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f/%.0f %s" : "%.1f/%.1f %s", d, t, unit[u]);
}

/* "4.2 s", "12:34", "1:02:03"; "?" when unknown (negative) */
static void fmt_duration(char *buf, size_t len, double sec)
{
	long long s = (long long)(sec + 0.5);

	if (!(sec >= 0) || sec > 1e8)
		snprintf(buf, len, "?");
	else if (sec < 59.95)
		snprintf(buf, len, "%.1f s", sec);
	else if (s >= 3600)
		snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
}

static void progress_init(struct progress *p, const struct options *o)
{
	memset(p, 0, sizeof(*p));
	p->on = !o->quiet && o->n_inputs > 0 && o->iface == NULL && isatty(STDERR_FILENO);
	p->countdown = PROGRESS_EVERY;
	p->start_us = p->last_us = mono_us();
}

/* Erases the progress line, so that a message can take its place. */
static void progress_clear(struct progress *p)
{
	if (p != NULL && p->shown) {
		fputs("\r\033[K", stderr);
		p->shown = 0;
	}
}

/* "950", "12.3 k", "2.78 M" */
static void fmt_count(char *buf, size_t len, double v)
{
	if (v >= 999500)
		snprintf(buf, len, "%.2f M", v / 1e6);
	else if (v >= 999.5)
		snprintf(buf, len, "%.1f k", v / 1e3);
	else
		snprintf(buf, len, "%.0f", v);
}

/* Draws the line from p's figures; final: whole-run rate, no time left, newline. */
static void progress_draw(struct progress *p, const struct ct_engine *e, int64_t now, int final)
{
	const struct ct_engine_counters *c = ct_engine_counters(e);
	double elapsed = (double)(now - p->start_us) / 1e6;
	char line[256], bytes[64], el[32], left[32], rate[32];
	struct winsize ws;
	int n;

	if (final)
		p->rate = elapsed > 0 ? (double)c->frames / elapsed : 0;
	fmt_bytes(bytes, sizeof(bytes), p->done, p->total);
	fmt_duration(el, sizeof(el), elapsed);
	fmt_count(rate, sizeof(rate), p->rate);
	if (p->known && p->total > 0) {
		double frac = (double)p->done / (double)p->total;

		fmt_duration(left, sizeof(left) - 16, frac > 0 ? elapsed * (1 - frac) / frac : -1);
		if (final)
			left[0] = '\0';
		else
			strcat(left, " left");
		n = snprintf(line, sizeof(line), "%5.1f%% %s  %s pkt/s  %llu calls  "
		    "%s elapsed%s%s", 100 * frac, bytes, rate, (unsigned long long)c->records, el,
		    final ? "" : "  ", left);
	} else
		n = snprintf(line, sizeof(line), "%llu packets  %s pkt/s  %llu calls  "
		    "%s elapsed", (unsigned long long)c->frames, rate,
		    (unsigned long long)c->records, el);
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 1 && n >= ws.ws_col)
		line[ws.ws_col - 1] = '\0';
	fprintf(stderr, "\r%s\033[K%s", line, final ? "\n" : "\r");
	p->shown = !final;
}

/* Called for every frame: redraws when PROGRESS_US have passed since the last time. */
static inline void progress_tick(struct progress *p, const struct ct_engine *e,
    const struct ct_inputs *in)
{
	int64_t now;
	uint64_t frames;

	if (!p->on || --p->countdown != 0)
		return;
	p->countdown = PROGRESS_EVERY;
	now = mono_us();
	if (now - p->last_us < PROGRESS_US)
		return;
	frames = ct_engine_counters(e)->frames;
	p->rate = (double)(frames - p->last_frames) * 1e6 / (double)(now - p->last_us);
	p->last_frames = frames;
	p->last_us = now;
	p->known = ct_inputs_progress(in, &p->done, &p->total);
	progress_draw(p, e, now, 0);
}

/* The last line, after the outputs are finished (every call written). */
static void progress_end(struct progress *p, const struct ct_engine *e)
{
	if (p->on)
		progress_draw(p, e, mono_us(), 1);
	p->on = 0;
}

static void print_warning(void *user, const char *msg)
{
	progress_clear(user);
	fprintf(stderr, "calltap: warning: %s\n", msg);
}

/*
 * Reads every capture input as one stream in capture-time order (inputs.h:
 * files ordered by their first frame and merged by timestamp, directories
 * walked recursively, gzip read as is).  A bad filter is reported once and
 * nothing is read; a file that cannot be read is reported, naming it, and
 * the others are still read.  Updates the progress line (prog).  Returns 0,
 * or 2 when an input was missing, unreadable or truncated.
 */
static int run_inputs(struct ct_engine *e, const struct options *o, struct progress *prog)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_inputs *in;
	struct ct_frame f;
	int status = 0, rc;
	size_t i;

	if (o->n_inputs == 0)
		return 0;
	if (!ct_inputs_check_filter(o->bpf, errbuf)) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		prog->on = 0;   /* nothing is read: no progress to tell */
		return 2;
	}
	if ((in = ct_inputs_new()) == NULL)
		goto nomem;
	ct_inputs_set_warn(in, print_warning, prog);
	for (i = 0; i < o->n_inputs; i++) {
		rc = ct_inputs_add(in, o->inputs[i], errbuf);
		if (rc == CT_NOMEM)
			goto nomem;
		if (rc != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			status = 2;
		}
	}
	if (ct_inputs_start(in, o->bpf) != CT_OK)
		goto nomem;
	ct_engine_new_input(e);
	while (!stop_requested) {
		rc = ct_inputs_next(in, &f, errbuf);
		if (reopen_requested) {
			reopen_requested = 0;
			ct_engine_reopen_sinks(e);
		}
		if (rc == 1) {
			ct_engine_frame(e, &f);
			progress_tick(prog, e, in);
		} else if (rc == CT_EOF)
			break;
		else {
			progress_clear(prog);
			fprintf(stderr, "calltap: %s\n", errbuf);
			status = 2;
		}
	}
	prog->known = ct_inputs_progress(in, &prog->done, &prog->total);
	progress_clear(prog);
	if (ct_inputs_deferred(in) > 0)
		fprintf(stderr, "calltap: warning: %zu capture files overlapped in time with too many "
		    "open ones and were read after them, out of time order\n", ct_inputs_deferred(in));
	ct_inputs_free(in);
	return status;
nomem:
	fprintf(stderr, "calltap: out of memory reading the inputs\n");
	ct_inputs_free(in);
	return 2;
}

/* Drops hook: copies the live source's cumulative drop counters into the engine. */
static void update_drops(void *user, struct ct_engine *e)
{
	struct ct_source *src = user;
	struct ct_source_stats st;

	if (src != NULL && src->ops->stats != NULL && src->ops->stats(src, &st) == CT_OK)
		ct_engine_capture_drops(e, st.dropped, st.ifdropped);
}

/* Stats hook: the drop counters are fresh from this tick's drops hook; user: the progress line. */
static void on_stats(void *user, struct ct_engine *e)
{
	progress_clear(user);
	ct_engine_print_stats_line(e, stderr);
}

/*
 * Hands the output files to uid:gid before privileges are dropped, so that
 * SIGHUP can reopen them (SQLite's -wal/-shm/-journal files too).  Standard
 * output and paths that are not regular files are left alone.
 */
static void hand_outputs(const struct options *o, uid_t uid, gid_t gid)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	struct stat st;
	size_t i, k;

	for (i = 0; i <= o->n_outputs; i++) {
		const char *arg = i < o->n_outputs ? o->outputs[i].arg : o->orphans;

		if (arg == NULL || strcmp(arg, "-") == 0)
			continue;
		for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			snprintf(path, sizeof(path), "%s%s", arg, sfx[k]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && chown(path, uid, gid) != 0)
				fprintf(stderr, "calltap: cannot hand '%s' to uid %u: %s\n", path,
				    (unsigned)uid, strerror(errno));
		}
	}
}

/*
 * -Z USER: after the interface and the outputs are open, switches to USER's
 * uid and gid with USER's primary group as the only supplementary group.
 * Returns 0, or -1 (reported) when USER is unknown or the switch failed.
 */
static int drop_privileges(const struct options *o)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	errno = 0;
	pw = getpwnam(o->user);
	if (pw == NULL) {
		fprintf(stderr, "calltap: unknown user '%s'%s%s\n", o->user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return -1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	hand_outputs(o, uid, gid);
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		fprintf(stderr, "calltap: cannot switch to user '%s': %s\n", o->user, strerror(errno));
		return -1;
	}
	if (uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "calltap: could regain root after switching to '%s'\n", o->user);
		return -1;
	}
	return 0;
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
	if (o->orphans != NULL && ct_engine_set_orphans(e, o->orphans, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	return 0;
}

static void free_options(struct options *o)
{
	size_t i;

	for (i = 0; i < MAX_OUTPUTS; i++)
		free(o->webhook_args[i]);
	free(o->bpf);
	free(o->inputs);
	while (o->n_listed > 0)
		free(o->listed[--o->n_listed]);
	free(o->listed);
	ct_attr_free(o->cfg.attr);
}

int main(int argc, char **argv)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct options o;
	struct ct_engine *e;
	struct ct_source *live = NULL;
	struct progress prog;
	struct sigaction sa;
	int status = 0, rc;

	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return ct_report_main(argc - 1, argv + 1);
	memset(&o, 0, sizeof(o));
	rc = parse_options(&o, argc, argv);
	if (rc != 0)
		return rc < 0 ? 0 : 1;
	/*
	 * Each call being recorded holds its scratch file open: raise the soft
	 * limit on open files to the hard one (often 1024 soft, far more hard),
	 * so thousands of concurrent recordings do not fail with EMFILE.
	 */
	if (o.cfg.audio_dir != NULL) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	if ((o.cfg.attr = ct_attr_new(&o.attr, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		free_options(&o);
		return 1;
	}
	e = ct_engine_new(&o.cfg, errbuf);
	if (e == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		free_options(&o);
		return 3;
	}
	rc = 0;
	if (o.iface != NULL && (live = ct_source_open_live(o.iface, o.bpf, o.snaplen,
	    o.buffer_mb, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		rc = 2;
	} else if (open_outputs(e, &o) != 0)
		rc = 3;
	else if (o.user != NULL && drop_privileges(&o) != 0)
		rc = 1;
	if (rc != 0) {
		ct_engine_finish(e);
		ct_engine_free(e);
		ct_source_close(live);
		free_options(&o);
		return rc;
	}
	if (o.stats_interval_us < 0)
		o.stats_interval_us = live != NULL ? 60 * INT64_C(1000000) : 0;
	progress_init(&prog, &o);
	ct_engine_set_stats_hook(e, o.stats_interval_us, on_stats, &prog);
	if (live != NULL)
		ct_engine_set_drops_hook(e, update_drops, live);
	/*
	 * SA_RESTART: a signal must not fail a read(2) of a savefile or stdin;
	 * the live source's poll(2) is never restarted, so it still returns.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	status |= run_inputs(e, &o, &prog);
	if (live != NULL && !stop_requested)
		status |= run_source(e, live);
	if (live != NULL)
		update_drops(live, e);  /* final counts, before the open calls end */
	if (ct_engine_finish(e) != CT_OK)
		status = 3;
	progress_end(&prog, e);
	if (live != NULL && o.stats_interval_us > 0)
		ct_engine_print_stats_line(e, stderr);
	if (o.stats)
		ct_engine_print_stats(e, stderr);
	ct_engine_free(e);
	ct_source_close(live);
	free_options(&o);
	return status;
}
