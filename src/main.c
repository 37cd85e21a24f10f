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
#include <fcntl.h>
#include <getopt.h>
#include <syslog.h>
#include <inttypes.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/attr.h"
#include "calltap/callcap.h"
#include "calltap/show.h"
#include "calltap/audio.h"
#include "calltap/conffile.h"
#include "calltap/engine.h"
#include "calltap/metrics.h"
#include "calltap/pipeline.h"
#include "calltap/hep.h"
#include "calltap/inputs.h"
#include "calltap/report.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "calltap/sinkset.h"
#include "calltap/source.h"
#include "calltap/spool.h"
#include "calltap/stats.h"
#include "calltap/thread.h"

#define MAX_OUTPUTS CT_SINKSET_MAX

/*
 * The only process-wide mutable state: flags set by the signal handlers
 * (SIGINT/SIGTERM: stop; SIGHUP: reopen the outputs), polled by the read
 * loop (a handler can reach nothing else).
 */
/*
 * Set by the signal handler, read by the read loops and the idle flusher
 * thread: every access is atomic (lock-free int, async-signal-safe).
 */
static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reopen_requested;
#define FLAG_SET(f) __atomic_store_n(&(f), 1, __ATOMIC_RELEASE)
#define FLAG_GET(f) __atomic_load_n(&(f), __ATOMIC_ACQUIRE)
/* Reads and clears a flag in one step: true when it was set. */
#define FLAG_TAKE(f) (__atomic_exchange_n(&(f), 0, __ATOMIC_ACQ_REL) != 0)

/*
 * The outputs calltap knows, one row each: option name, sink, and how its
 * arguments are built (flags).  Everything main does with outputs (parsing,
 * help, opening, -Z hand-over, spool directories) loops over this table.
 */
enum {
	OUT_FILE = 1,    /* target is a file path or "-" (stdout): -Z hands the file over */
	OUT_SPOOL = 2,   /* gets --spool DIR and --spool-max SIZE (network sinks) */
	OUT_STORE = 4,   /* a call store the report reads (direction matters there) */
};

struct output_kind {
	const char *option;             /* long option, without "--" */
	const struct ct_sink_ops *ops;  /* NULL: not built into this calltap */
	unsigned flags;                 /* OUT_* */
	const char *missing;            /* ops NULL: why */
	const char *help;               /* the usage line */
};

static const struct output_kind output_kinds[] = {
	{ .option = "json", .ops = &ct_sink_json, .flags = OUT_FILE,
	  .help = "  --json FILE|-           JSON lines, one call per line\n" },
	{ .option = "csv", .ops = &ct_sink_csv, .flags = OUT_FILE,
	  .help = "  --csv FILE|-            CSV with a header row\n" },
	{ .option = "db", .ops = &ct_sink_sqlite, .flags = OUT_FILE | OUT_STORE,
	  .help = "  --db FILE               SQLite database (table calls)\n" },
	{ .option = "table", .ops = &ct_sink_table, .flags = OUT_FILE,
	  .help = "  --table FILE|-          human-readable call table\n" },
	{ .option = "orphans", .ops = &ct_sink_orphans, .flags = OUT_FILE,
	  .help = "  --orphans FILE|-        RTP streams of no SIP call, as JSON lines\n" },
#ifdef HAVE_PQ
	{ .option = "pg", .ops = &ct_sink_pgsql, .flags = OUT_SPOOL | OUT_STORE,
#else
	{ .option = "pg", .missing = "built without PostgreSQL (libpq)", .flags = OUT_SPOOL | OUT_STORE,
#endif
	  .help = "  --pg CONNINFO           PostgreSQL database (libpq conninfo or URI)\n" },
#ifdef HAVE_CURL
	{ .option = "webhook", .ops = &ct_sink_webhook, .flags = OUT_SPOOL,
#else
	{ .option = "webhook", .missing = "built without webhooks (libcurl)", .flags = OUT_SPOOL,
#endif
	  .help = "  --webhook URL           POST each call as JSON to URL\n" },
};
#define N_OUTPUT_KINDS (sizeof(output_kinds) / sizeof(output_kinds[0]))

#define MAX_WEBHOOK_OPTS 64

struct output {
	const struct output_kind *kind;
	const char *value;     /* the option's value: path, URL, conninfo */
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
	const char *spool;     /* --spool DIR, for the OUT_SPOOL outputs */
	const char *spool_max; /* --spool-max SIZE */
	uint64_t spool_max_bytes; /* parsed; 0 = the default */
	struct ct_sink_opt webhook_opts[MAX_WEBHOOK_OPTS]; /* --webhook-* options, for every --webhook */
	size_t n_webhook_opts;
	int stats;
	int quiet;             /* -q: no progress line */
	size_t count;          /* -c COUNT: stop after COUNT packets (0: no limit) */
	const char *recording_base; /* --recording-base DIR, as given */
	char *audio_abs, *base_abs; /* --audio DIR and --recording-base resolved, owned */
	int snaplen;
	int threads;           /* --threads N: analysis threads (pipeline.h); 0 = the default */
	int buffer_mb;
	int decompress_mb;     /* --decompress-memory: zstd/xz decoders of open inputs, MiB */
	const char *user;          /* -Z: run as this user once everything is open */
	mode_t umask;              /* --umask: process umask for every file created (077) */
	int64_t stats_interval_us; /* -1 = default (60 s live, off otherwise) */
	const char *metrics;       /* --metrics ADDR:PORT */
	struct ct_attr_cfg attr;   /* --numbers, --home, --country-code, --sensor, --history-max */
	struct ct_engine_cfg cfg;  /* cfg.attr: built from attr, owned here */
	struct ct_callcap_cfg callcap; /* --pcap-dir, --pcap-sip-only, -w */
	struct ct_config_args args; /* --config FILE words + the command line (optarg points here) */
	char *hep_host;            /* --hep HOST:PORT split (owned); NULL = off */
	const char *hep_port;      /* points into hep_host's allocation */
	struct ct_hep_out_cfg hep; /* --hep-id, --hep-password, --hep-proto */
	bool hep_no_qos;           /* --hep-no-qos: SIP only, no per-stream quality reports */
	char *hep_listen;          /* --hep-listen [ADDR:]PORT split (owned); NULL = off */
	int hep_reorder_ms;        /* --hep-reorder MS: the collector's reorder window (-1: not
	                              given, HEP_REORDER_MS) */
	const char *hep_listen_port; /* points into hep_listen's allocation */
};

/* A live input (-i or --hep-listen): no end of its own, time is wall time. */
static bool is_live(const struct options *o)
{
	return o->iface != NULL || o->hep_listen != NULL;
}

struct progress;
static void progress_clear(struct progress *p);

/*
 * The library's messages (log.h): one "calltap: " line each on stderr,
 * below the progress line (user: the struct progress, or NULL).
 */
static void log_stderr(void *user, enum ct_log_level level, const char *msg)
{
	(void)level;
	progress_clear(user);
	fprintf(stderr, "calltap: %s\n", msg);
}

/*
 * --syslog: the library's messages to syslog (journald under systemd) with
 * their level instead of stderr; messages main() prints itself (start-up
 * errors) stay on stderr, which a service manager logs too.
 */
static void log_syslog(void *user, enum ct_log_level level, const char *msg)
{
	static const int prio[] = { [CT_LOG_ERR] = LOG_ERR, [CT_LOG_WARN] = LOG_WARNING,
	    [CT_LOG_INFO] = LOG_INFO };

	(void)user;
	syslog((unsigned)level < sizeof(prio) / sizeof(prio[0]) ? prio[level] : LOG_NOTICE,
	    "%s", msg);
}

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		FLAG_SET(reopen_requested);
	else
		FLAG_SET(stop_requested);
}

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
	    "usage: calltap [-r FILE|DIR|-]... [-V LIST] [-i IFACE] [outputs] [options] [BPF filter]\n"
	    "       calltap report [--db FILE | --pg CONNINFO] [options]   (calltap report --help)\n"
	    "       calltap show CALL-ID (-r FILE | --pcap-dir DIR | --db FILE)  (calltap show --help)\n"
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
	    "  --hep-listen [ADDR:]PORT  HEP v3 collector on UDP and TCP PORT: calls rebuilt\n"
	    "                          from the SIP that agents and proxies send (not with -i, -r)\n"
	    "  --hep-reorder MS        hold HEP messages MS ms to put them in capture-time order\n"
	    "                          (agents of several processes send out of order; 200, 0: off)\n"
	    "outputs (default: --table - --db calltap.db):\n");
	for (i = 0; i < N_OUTPUT_KINDS; i++)
		fputs(output_kinds[i].help, out);
	fputs("  --webhook-events LIST   start,end: also a call_start event (screen pop); default end\n"
	    "  --webhook-header 'N: V' extra request header (repeatable)\n"
	    "  --webhook-token-file F  bearer token (else $CALLTAP_WEBHOOK_TOKEN), never printed\n"
	    "  --webhook-secret-file F HMAC-SHA256 key: X-Calltap-Signature: t=UNIX,sha256=HEX\n"
	    "  --recording-url-prefix URL  recording_url = URL + recording path under --audio\n"
	    "                          (webhooks: docs/webhook.md)\n", out);
	fprintf(out,
	    "  --spool DIR             --webhook/--pg records not yet delivered (./calltap-spool)\n"
	    "  --spool-max SIZE        disk cap of each spool (default 1G; K, M, G suffixes)\n"
	    "options:\n"
	    "  --no-rtp                do not match or measure RTP\n"
	    "  --audio DIR             write each answered call's audio (stereo: caller left)\n"
	    "  --audio-format FMT      wav (default), flac or ogg\n"
	    "  --recording-base DIR    records name recordings relative to DIR (which holds\n"
	    "                          --audio DIR); default: their absolute path\n"
	    "  --pcap-dir DIR          each call's SIP and RTP in its own pcap file under\n"
	    "                          DIR/YYYY-MM-DD/HH/ (record field pcap_path)\n"
	    "  --pcap-sip-only         per-call pcap files hold the SIP messages only\n"
	    "  -w, --write FILE        write the packets of every call (SIP, RTP, RTCP) to one\n"
	    "                          pcap file: calltap as a call-aware filter\n"
	    "  --setup-timeout SEC     close calls with no final response after SEC (300)\n"
	    "  --call-timeout SEC      close answered calls silent for SEC (14400)\n"
	    "  --media-timeout SEC     close answered calls with no SIP and no RTP for SEC\n"
	    "                          (300; 0 = off; not with --no-rtp)\n"
	    "  --max-calls N           open calls at most; more evict the least useful (200000)\n"
	    "  --max-call-memory MIB   memory of the calls' state at most; more evicts likewise (320)\n"
	    "  --threads N             analysis threads: N - 1 pre-scan and parse SIP, one\n"
	    "                          runs the calls (records identical for any N;\n"
	    "                          default: the CPUs calltap may use less one, at most 4)\n"
	    "  --snaplen N, --buffer-mb N   live capture settings (65535, 64)\n"
	    "  --decompress-memory MIB  zstd windows and xz dictionaries all -r files open\n"
	    "                          at once may hold (512; a file needing more alone\n"
	    "                          is refused)\n"
	    "  -Z, --user USER         run as USER once the interface and outputs are open\n"
	    "                          (outputs are handed to USER; --audio DIR and the spool\n"
	    "                          must be writable by USER; capabilities are dropped)\n"
	    "  --umask OCTAL           umask for every file and directory created (077:\n"
	    "                          outputs 0600, directories 0700; 027 gives 0640/0750)\n"
	    "  --stats-interval SEC    status line on stderr every SEC (live: 60, else off; 0 = off)\n"
	    "  --metrics ADDR:PORT     Prometheus metrics at http://ADDR:PORT/metrics\n"
	    "                          (127.0.0.1:9105, [::1]:9105; label sensor=--sensor)\n"
	    "HEP (Homer) output (a copy of each SIP message; dropped, never waited for):\n"
	    "  --hep HOST:PORT         send every SIP message as HEP v3 to a collector\n"
	    "                          ([IPV6]:PORT for an IPv6 address)\n"
	    "  --hep-id N              capture agent id (0)\n"
	    "  --hep-password P        HEP auth key (sent; with --hep-listen, required)\n"
	    "  --hep-proto udp|tcp     transport (udp: one datagram per message)\n"
	    "  --hep-no-qos            no per-stream quality reports (HEP type 34, sent by\n"
	    "                          default: one per RTP stream when its call is written)\n"
	    "attribution (docs/schema.md):\n"
	    "  --numbers FILE          tracking numbers CSV: number,source,campaign[,cost]\n"
	    "  --leases FILE           number-pool lease log CSV (followed while running):\n"
	    "                          number,session_id,...,leased_from,leased_until\n"
	    "  --home CIDR             home (PBX) side prefix, IPv4 or IPv6 (repeatable)\n"
	    "  --country-code CC       country code for national numbers (0...), e.g. 44\n"
	    "  --sensor NAME           sensor name in every record (default: host name)\n"
	    "  --history-max N         numbers remembered for first_call/callbacks (500000; 0 = off)\n"
	    "service (README: Running as a service):\n"
	    "  --config FILE           read options from FILE first: 'option = value' or 'option'\n"
	    "                          per line, # comments; the command line overrides or adds\n"
	    "  --syslog                messages (errors, warnings, info) to syslog/journald\n"
	    "signals: INT/TERM write every open call and exit; HUP reopens the output files\n"
	    "  -s, --stats             print counters on stderr at the end (-v: the same)\n"
	    "  -q, --quiet             no progress line (drawn on a terminal for files)\n"
	    "  -c COUNT                stop after COUNT packets (after the filter, as tcpdump);\n"
	    "                          the calls still open are written as at the end of input\n"
	    "  -n                      accepted and ignored (calltap never resolves names)\n"
	    "  -h, --help, --version   (--version lists the formats, outputs and codecs built in)\n");
}

/*
 * Overwrites, in the command line itself, the values of the options that
 * carry secrets (--pg, --webhook: their credentials, as ct_mask_secrets
 * shows them, cut to the value's length; --hep-password: every byte;
 * --webhook-header: every byte after the name's colon):
 * other users read /proc/PID/cmdline (ps), and must not find the
 * PostgreSQL password, the webhook's credentials or the HEP key there
 * (red-team pass 10).  The options were parsed from copies (o->args), so
 * nothing calltap uses changes.  Unique prefixes of the long names count,
 * as getopt_long takes them.
 */
static void hide_secrets(int argc, char **argv)
{
	static const struct { const char *name; size_t min; int how; } secret[] = {
		{ "pg", 2, 0 }, { "webhook", 3, 0 }, { "hep-password", 5, 1 },
		{ "webhook-header", 9, 2 },   /* Authorization, an API key: the value */
	};
	char masked[4096];
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *name = argv[i] + 2, *eq;
		char *v = NULL;
		size_t n, k, len;

		if (strncmp(argv[i], "--", 2) != 0)
			continue;
		eq = strchr(name, '=');
		n = eq != NULL ? (size_t)(eq - name) : strlen(name);
		for (k = 0; k < sizeof(secret) / sizeof(secret[0]); k++)
			if (n >= secret[k].min && n <= strlen(secret[k].name) &&
			    strncmp(name, secret[k].name, n) == 0)
				break;
		if (k == sizeof(secret) / sizeof(secret[0]))
			continue;
		if (eq != NULL)
			v = (char *)eq + 1;
		else if (i + 1 < argc)
			v = argv[++i];
		if (v == NULL)
			continue;
		if (secret[k].how == 2) {
			char *colon = strchr(v, ':');

			v = colon != NULL ? colon + 1 : v;
		}
		len = strlen(v);
		if (secret[k].how != 0 || len >= sizeof(masked)) {
			memset(v, '*', len);
			continue;
		}
		ct_mask_secrets(masked, sizeof(masked), v, v);
		strncpy(v, masked, len);   /* cut to the value's length, NUL-padded */
	}
}

/* Adds an output of kind with value; 0, or -1 after a message. */
static int add_output(struct options *o, const struct output_kind *kind, const char *value)
{
	if (kind->ops == NULL) {
		fprintf(stderr, "calltap: %s\n", kind->missing);
		return -1;
	}
	if (o->n_outputs == MAX_OUTPUTS) {
		fprintf(stderr, "calltap: too many outputs\n");
		return -1;
	}
	o->outputs[o->n_outputs].kind = kind;
	o->outputs[o->n_outputs].value = value;
	o->n_outputs++;
	return 0;
}

/* The kind of the option named name; NULL when it is not an output. */
static const struct output_kind *output_kind(const char *name)
{
	size_t i;

	for (i = 0; i < N_OUTPUT_KINDS; i++)
		if (strcmp(output_kinds[i].option, name) == 0)
			return &output_kinds[i];
	return NULL;
}

/*
 * Whether the run goes on from an earlier one: a live capture, a HEP
 * collector, or an input that is a stream (standard input, a FIFO, a
 * socket: tcpdump -w - | calltap -r -).  Its text outputs are appended
 * to, so that a restart (a crash, systemctl restart, an upgrade) keeps
 * what was written before it; a run over capture files writes them anew,
 * as a batch job's result.
 */
static bool continuing_run(const struct options *o)
{
	struct stat st;
	size_t i;

	if (is_live(o))
		return true;
	for (i = 0; i < o->n_inputs; i++)
		if (strcmp(o->inputs[i], "-") == 0 ||
		    (stat(o->inputs[i], &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)))
			return true;
	return false;
}

/* The sink arguments of output out (the table's flags say which options apply). */
static void output_args(const struct options *o, const struct output *out,
    struct ct_sink_args *args)
{
	memset(args, 0, sizeof(*args));
	args->target = out->value;
	args->append = continuing_run(o);
	if (out->kind->flags & OUT_SPOOL) {
		args->spool_dir = o->spool;
		args->spool_max = o->spool_max_bytes;
	}
	if (strcmp(out->kind->option, "webhook") == 0) {
		args->opts = o->webhook_opts;
		args->n_opts = o->n_webhook_opts;
	}
	if (strcmp(out->kind->option, "table") == 0 && is_live(o)) {
		/* live: a line as each call ends, not held back for start order */
		static const struct ct_sink_opt end_order = { .name = "order", .value = "end" };

		args->opts = &end_order;
		args->n_opts = 1;
	}
}

/* True when some output has any of the OUT_* flags in mask. */
static bool has_output(const struct options *o, unsigned mask)
{
	size_t i;

	for (i = 0; i < o->n_outputs; i++)
		if (o->outputs[i].kind->flags & mask)
			return true;
	return false;
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

/* A count >= 1 (--max-calls); -1 with a message otherwise. */
static int parse_count(const char *s, size_t *n)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (end == s || *end != '\0' || s[0] == '-' || v == 0 || errno != 0 || v > SIZE_MAX) {
		fprintf(stderr, "calltap: not a positive count: '%s'\n", s);
		return -1;
	}
	*n = (size_t)v;
	return 0;
}

/*
 * An integer in [lo, hi] (--snaplen, --buffer-mb): 0, or -1 after a
 * message naming the option (atoi took "64M" as 64 and "4096" overflowed
 * the byte count handed to libpcap).
 */
static int parse_range(const char *opt, const char *s, long lo, long hi, int *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || n < lo || n > hi) {
		fprintf(stderr, "calltap: %s wants a whole number from %ld to %ld: '%s'\n", opt, lo,
		    hi, s);
		return -1;
	}
	*v = (int)n;
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

/* --umask OCTAL (0-0777); 0, or -1 after a message. */
static int parse_umask(const char *s, mode_t *mask)
{
	char *end;
	unsigned long v = strtoul(s, &end, 8);

	if (end == s || *end != '\0' || s[0] == '-' || v > 0777) {
		fprintf(stderr, "calltap: --umask wants an octal mask 0-0777, not '%s'\n", s);
		return -1;
	}
	*mask = (mode_t)v;
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
	OPT_NO_RTP = 256, OPT_SETUP_TO,
	OPT_CALL_TO, OPT_MEDIA_TO, OPT_MAX_CALLS, OPT_MAX_CALL_MEM, OPT_THREADS, OPT_SNAPLEN, OPT_BUFFER, OPT_DECOMPRESS_MEM, OPT_AUDIO, OPT_AUDIO_FMT,
	OPT_STATS_INTERVAL,
	OPT_SPOOL, OPT_SPOOL_MAX,
	OPT_NUMBERS, OPT_HOME, OPT_COUNTRY, OPT_SENSOR, OPT_HISTORY_MAX,
	OPT_VERSION, OPT_UMASK,
	OPT_LEASES, OPT_WEBHOOK_OPT, OPT_RECORDING_BASE, OPT_PCAP_DIR, OPT_PCAP_SIP_ONLY, OPT_METRICS,
	OPT_CONFIG, OPT_SYSLOG,
	OPT_HEP, OPT_HEP_ID, OPT_HEP_PASSWORD, OPT_HEP_PROTO, OPT_HEP_LISTEN, OPT_HEP_NO_QOS,
	OPT_HEP_REORDER,
	OPT_OUTPUT = 512   /* + index into output_kinds */
};

/* The options other than the outputs (parse_options appends those from output_kinds). */
static const struct option fixed_opts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "interface", required_argument, NULL, 'i' },
	{ "spool", required_argument, NULL, OPT_SPOOL },
	{ "spool-max", required_argument, NULL, OPT_SPOOL_MAX },
	/* handed to the webhook sink as they are (webhook.c parses them) */
	{ "webhook-events", required_argument, NULL, OPT_WEBHOOK_OPT },
	{ "webhook-header", required_argument, NULL, OPT_WEBHOOK_OPT },
	{ "webhook-token-file", required_argument, NULL, OPT_WEBHOOK_OPT },
	{ "webhook-secret-file", required_argument, NULL, OPT_WEBHOOK_OPT },
	{ "recording-url-prefix", required_argument, NULL, OPT_WEBHOOK_OPT },
	{ "no-rtp", no_argument, NULL, OPT_NO_RTP },
	{ "hep", required_argument, NULL, OPT_HEP },
	{ "hep-id", required_argument, NULL, OPT_HEP_ID },
	{ "hep-password", required_argument, NULL, OPT_HEP_PASSWORD },
	{ "hep-proto", required_argument, NULL, OPT_HEP_PROTO },
	{ "hep-listen", required_argument, NULL, OPT_HEP_LISTEN },
	{ "hep-reorder", required_argument, NULL, OPT_HEP_REORDER },
	{ "hep-no-qos", no_argument, NULL, OPT_HEP_NO_QOS },
	{ "audio", required_argument, NULL, OPT_AUDIO },
	{ "audio-format", required_argument, NULL, OPT_AUDIO_FMT },
	{ "recording-base", required_argument, NULL, OPT_RECORDING_BASE },
	{ "pcap-dir", required_argument, NULL, OPT_PCAP_DIR },
	{ "pcap-sip-only", no_argument, NULL, OPT_PCAP_SIP_ONLY },
	{ "write", required_argument, NULL, 'w' },
	{ "setup-timeout", required_argument, NULL, OPT_SETUP_TO },
	{ "call-timeout", required_argument, NULL, OPT_CALL_TO },
	{ "media-timeout", required_argument, NULL, OPT_MEDIA_TO },
	{ "max-calls", required_argument, NULL, OPT_MAX_CALLS },
	{ "max-call-memory", required_argument, NULL, OPT_MAX_CALL_MEM },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
	{ "buffer-mb", required_argument, NULL, OPT_BUFFER },
	{ "decompress-memory", required_argument, NULL, OPT_DECOMPRESS_MEM },
	{ "stats", no_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "user", required_argument, NULL, 'Z' },
	{ "umask", required_argument, NULL, OPT_UMASK },
	{ "stats-interval", required_argument, NULL, OPT_STATS_INTERVAL },
	{ "numbers", required_argument, NULL, OPT_NUMBERS },
	{ "leases", required_argument, NULL, OPT_LEASES },
	{ "home", required_argument, NULL, OPT_HOME },
	{ "country-code", required_argument, NULL, OPT_COUNTRY },
	{ "sensor", required_argument, NULL, OPT_SENSOR },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "history-max", required_argument, NULL, OPT_HISTORY_MAX },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "config", required_argument, NULL, OPT_CONFIG },   /* read by ct_config_expand */
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
};
#define N_FIXED_OPTS (sizeof(fixed_opts) / sizeof(fixed_opts[0]))

/* --spool-max: parsed once for every OUT_SPOOL output; 0, or -1 after a message. */
static int spool_options(struct options *o)
{
	if (o->spool_max != NULL && ct_spool_parse_size(o->spool_max, &o->spool_max_bytes) != 0) {
		fprintf(stderr, "calltap: --spool-max wants a size such as 500M or 2G, not '%s'\n",
		    o->spool_max);
		return -1;
	}
	return 0;
}

/*
 * Warns once when calls are stored for the report but their direction
 * cannot be told (no --home, no --numbers): outbound calls then count as
 * inbound ones (docs/schema.md, Direction).
 */
static void warn_direction(const struct options *o)
{
	size_t i;

	if (ct_attr_direction_configured(o->cfg.attr))
		return;
	for (i = 0; i < o->n_outputs; i++)
		if (o->outputs[i].kind->flags & OUT_STORE) {
			fprintf(stderr, "calltap: warning: without --home (or --numbers) outbound calls "
			    "cannot be told from inbound ones: missed calls, first-time callers and "
			    "callbacks will include them\n");
			return;
		}
}

/*
 * Keeps one --webhook-* option (name without "--") for the webhook sinks,
 * which check it (ct_webhook_check_options) and apply it to every
 * --webhook.  0, or -1 after a message.
 */
static int webhook_opt(struct options *o, const char *name, const char *value)
{
	if (o->n_webhook_opts == MAX_WEBHOOK_OPTS) {
		fprintf(stderr, "calltap: too many --webhook-* options (at most %d)\n",
		    MAX_WEBHOOK_OPTS);
		return -1;
	}
	o->webhook_opts[o->n_webhook_opts].name = name;
	o->webhook_opts[o->n_webhook_opts].value = value;
	o->n_webhook_opts++;
	return 0;
}

/*
 * Checks the --webhook-* options once all are known (and adds --audio DIR,
 * which makes --recording-url-prefix URLs relative to it): they need a
 * --webhook.  0, or -1 after a message.
 */
static int check_webhook_opts(struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE] = "";
	size_t i, n = 0;

	for (i = 0; i < o->n_outputs; i++)
		n += strcmp(o->outputs[i].kind->option, "webhook") == 0;
	if (o->n_webhook_opts == 0)
		return 0;
	if (n == 0) {
		fprintf(stderr, "calltap: --webhook-* and --recording-url-prefix need --webhook URL\n");
		return -1;
	}
	if (o->cfg.audio_dir != NULL && webhook_opt(o, "audio-dir", o->cfg.audio_dir) != 0)
		return -1;
#ifdef HAVE_CURL
	if (ct_webhook_check_options(o->webhook_opts, o->n_webhook_opts, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
#endif
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
	fprintf(out, "codecs decoded: G.711(PCMU PCMA) L16%s%s%s%s%s%s\n",
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
	    " Opus",
#else
	    "",
#endif
#ifdef HAVE_AMRNB
	    " AMR",
#else
	    "",
#endif
#ifdef HAVE_AMRWB
	    " AMR-WB"
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

/*
 * --hep-listen PORT, ADDR:PORT or [IPV6]:PORT: o->hep_listen holds the
 * address ("" for every address), o->hep_listen_port the port; 0, or -1
 * after a message.
 */
static int hep_listen_option(struct options *o, const char *v)
{
	size_t n = strlen(v);
	char *colon, *end;
	unsigned long port;

	free(o->hep_listen);
	/* "\0" + v: PORT alone leaves the address empty in front of it */
	if ((o->hep_listen = malloc(n + 2)) == NULL)
		return -1;
	o->hep_listen[0] = '\0';
	memcpy(o->hep_listen + 1, v[0] == '[' ? v + 1 : v, n + 1 - (v[0] == '['));
	colon = strrchr(o->hep_listen + 1, ':');
	if (colon == NULL) {
		o->hep_listen_port = o->hep_listen + 1;
	} else if (colon == o->hep_listen + 1 || (v[0] == '[' && colon[-1] != ']') ||
	    (v[0] != '[' && strchr(o->hep_listen + 1, ':') != colon)) {
		fprintf(stderr, "calltap: --hep-listen wants PORT, ADDR:PORT or [IPV6]:PORT, "
		    "not '%s'\n", v);
		return -1;
	} else {
		colon[v[0] == '[' ? -1 : 0] = '\0';
		o->hep_listen_port = colon + 1;
		memmove(o->hep_listen, o->hep_listen + 1, strlen(o->hep_listen + 1) + 1);
	}
	errno = 0;
	port = strtoul(o->hep_listen_port, &end, 10);
	if (end == o->hep_listen_port || *end != '\0' || errno != 0 || port > 65535 ||
	    o->hep_listen_port[0] == '-' || o->hep_listen_port[0] == '+') {
		fprintf(stderr, "calltap: --hep-listen wants a port 0..65535, not '%s'\n", v);
		return -1;
	}
	return 0;
}

/*
 * --hep HOST:PORT ([IPV6]:PORT), --hep-id N, --hep-password P,
 * --hep-proto udp|tcp; 0, or -1 after a message.
 */
static int hep_option(struct options *o, int c, const char *v)
{
	char *colon, *end;
	unsigned long id;

	switch (c) {
	case OPT_HEP:
		free(o->hep_host);
		if ((o->hep_host = strdup(v[0] == '[' ? v + 1 : v)) == NULL)
			return -1;
		colon = strrchr(o->hep_host, ':');
		if (colon == NULL || colon == o->hep_host || colon[1] == '\0' ||
		    (v[0] == '[' && colon[-1] != ']') ||
		    (v[0] != '[' && strchr(o->hep_host, ':') != colon)) {
			fprintf(stderr, "calltap: --hep wants HOST:PORT or [IPV6]:PORT, not '%s'\n", v);
			return -1;
		}
		colon[v[0] == '[' ? -1 : 0] = '\0';
		o->hep_port = colon + 1;
		return 0;
	case OPT_HEP_ID:
		errno = 0;
		id = strtoul(v, &end, 10);
		if (end == v || *end != '\0' || v[0] == '-' || errno != 0 || id > UINT32_MAX) {
			fprintf(stderr, "calltap: --hep-id wants a number 0..4294967295, not '%s'\n", v);
			return -1;
		}
		o->hep.capture_id = (uint32_t)id;
		return 0;
	case OPT_HEP_PASSWORD:
		o->hep.password = v;
		return 0;
	default:   /* OPT_HEP_PROTO */
		if (strcmp(v, "udp") != 0 && strcmp(v, "tcp") != 0) {
			fprintf(stderr, "calltap: --hep-proto wants udp or tcp, not '%s'\n", v);
			return -1;
		}
		o->hep.tcp = strcmp(v, "tcp") == 0;
		return 0;
	}
}

/* Returns 0 to run, 1 on a usage error, -1 when help/version was printed. */
static int parse_options(struct options *o, int argc, char **argv)
{
	struct option long_opts[N_FIXED_OPTS + N_OUTPUT_KINDS + 1];
	bool records = false;
	int c, rc = 0, longindex = 0;
	size_t i;

	memcpy(long_opts, fixed_opts, sizeof(fixed_opts));
	for (i = 0; i < N_OUTPUT_KINDS; i++) {
		long_opts[N_FIXED_OPTS + i].name = output_kinds[i].option;
		long_opts[N_FIXED_OPTS + i].has_arg = required_argument;
		long_opts[N_FIXED_OPTS + i].flag = NULL;
		long_opts[N_FIXED_OPTS + i].val = OPT_OUTPUT + (int)i;
	}
	memset(&long_opts[N_FIXED_OPTS + N_OUTPUT_KINDS], 0, sizeof(long_opts[0]));
	{
		/* --config FILE: its entries become words before the command line's */
		char errbuf[CT_ERRBUF_SIZE];

		if (ct_config_expand(&o->args, argc, argv, long_opts, errbuf) != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return 1;
		}
		argc = o->args.argc;
		argv = o->args.argv;
	}

	ct_engine_cfg_default(&o->cfg);
	o->cfg.log.fn = log_stderr;
	ct_attr_cfg_default(&o->attr);
	o->snaplen = 65535;
	o->buffer_mb = 64;
	o->decompress_mb = (int)(CT_INPUTS_DECOMPRESS_BUDGET_DEFAULT >> 20);
	o->hep_reorder_ms = -1;
	o->stats_interval_us = -1;
	o->umask = 077;
	while ((c = getopt_long(argc, argv, "r:i:shV:Z:qnvc:w:", long_opts, &longindex)) != -1) {
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
		case OPT_SPOOL: o->spool = optarg; break;
		case OPT_SPOOL_MAX: o->spool_max = optarg; break;
		case OPT_WEBHOOK_OPT: rc |= webhook_opt(o, long_opts[longindex].name, optarg) != 0; break;
		case OPT_NO_RTP: o->cfg.rtp = false; break;
		case OPT_HEP:
		case OPT_HEP_ID:
		case OPT_HEP_PASSWORD:
		case OPT_HEP_PROTO: rc |= hep_option(o, c, optarg) != 0; break;
		case OPT_HEP_LISTEN: rc |= hep_listen_option(o, optarg) != 0; break;
		case OPT_HEP_NO_QOS: o->hep_no_qos = true; break;
		case OPT_HEP_REORDER:
			rc |= parse_range("--hep-reorder", optarg, 0, 10000, &o->hep_reorder_ms);
			break;
		case OPT_AUDIO: o->cfg.audio_dir = optarg; break;
		case OPT_RECORDING_BASE: o->recording_base = optarg; break;
		case OPT_PCAP_DIR: o->callcap.dir = optarg; break;
		case OPT_PCAP_SIP_ONLY: o->callcap.sip_only = true; break;
		case 'w': o->callcap.all_path = optarg; break;
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
		case OPT_MEDIA_TO: rc |= parse_interval(optarg, &o->cfg.dialog.media_timeout_us); break;
		case OPT_MAX_CALLS: rc |= parse_count(optarg, &o->cfg.dialog.max_dialogs); break;
		case OPT_MAX_CALL_MEM: {
			int mib;

			if (parse_range("--max-call-memory", optarg, 1, 1 << 20, &mib) == 0)
				o->cfg.max_call_bytes = (size_t)mib << 20;
			else
				rc = -1;
			break;
		}
		case OPT_THREADS:
			rc |= parse_range("--threads", optarg, 1, CT_PIPELINE_MAX_WORKERS + 1, &o->threads);
			break;
		case OPT_SNAPLEN: rc |= parse_range("--snaplen", optarg, 0, 262144, &o->snaplen); break;
		/* MiB of the TPACKET_V3 ring; libpcap takes the bytes as an int */
		case OPT_BUFFER: rc |= parse_range("--buffer-mb", optarg, 1, 2047, &o->buffer_mb); break;
		/* MiB of zstd windows the inputs open at once may hold (inputs.h) */
		case OPT_DECOMPRESS_MEM:
			rc |= parse_range("--decompress-memory", optarg, 8, 1048576, &o->decompress_mb);
			break;
		case 's': case 'v': o->stats = 1; break;  /* -v: tcpdump's habit, more output */
		case 'q': o->quiet = 1; break;
		case 'n': break;                           /* tcpdump's habit: no name lookups */
		case 'c': rc |= parse_count(optarg, &o->count); break;
		case 'Z': o->user = optarg; break;
		case OPT_UMASK: rc |= parse_umask(optarg, &o->umask); break;
		case OPT_STATS_INTERVAL: rc |= parse_interval(optarg, &o->stats_interval_us); break;
		case OPT_NUMBERS: o->attr.numbers_path = optarg; break;
		case OPT_LEASES: o->attr.leases_path = optarg; break;
		case OPT_COUNTRY: o->attr.country_code = optarg; break;
		case OPT_SENSOR: o->attr.sensor = optarg; break;
		case OPT_METRICS: o->metrics = optarg; break;
		case OPT_HOME:
		case OPT_HISTORY_MAX: rc |= attr_option(&o->attr, c, optarg) != 0; break;
		case 'h': usage(stdout); return -1;
		case OPT_VERSION: print_version(stdout); return -1;
		case OPT_CONFIG:   /* ct_config_expand took the first, spelled in full */
			fprintf(stderr, "calltap: --config is given once, spelled in full\n");
			return 1;
		case OPT_SYSLOG:
			openlog("calltap", LOG_PID, LOG_DAEMON);
			o->cfg.log.fn = log_syslog;
			break;
		case 'V':
			if (read_list_file(o, optarg) != 0)
				return 1;
			break;
		default:
			if (c >= OPT_OUTPUT && c < OPT_OUTPUT + (int)N_OUTPUT_KINDS) {
				rc |= add_output(o, &output_kinds[c - OPT_OUTPUT], optarg) != 0;
				break;
			}
			usage(stderr);
			return 1;
		}
	}
	{
		/* Two outputs on standard output would interleave their lines. */
		size_t on_stdout = 0;

		for (i = 0; i < o->n_outputs; i++) {
			on_stdout += (o->outputs[i].kind->flags & OUT_FILE) &&
			    strcmp(o->outputs[i].value, "-") == 0;
			records |= o->outputs[i].kind->ops->write != NULL;
		}
		if (on_stdout > 1) {
			fprintf(stderr, "calltap: only one output can go to standard output ('-'); "
			    "give the others a file\n");
			return 1;
		}
	}
	if (rc == 0 && o->hep_host == NULL && (o->hep.capture_id != 0 || o->hep.tcp ||
	    o->hep_no_qos || (o->hep.password != NULL && o->hep_listen == NULL))) {
		fprintf(stderr, "calltap: --hep-id, --hep-password, --hep-proto and --hep-no-qos need "
		    "--hep HOST:PORT (--hep-password: or --hep-listen)\n");
		rc = 1;
	}
	if (rc == 0 && o->hep_reorder_ms >= 0 && o->hep_listen == NULL) {
		fprintf(stderr, "calltap: --hep-reorder needs --hep-listen\n");
		rc = 1;
	}
	/* The collector is an input of its own: one live input, not mixed with captures. */
	if (rc == 0 && o->hep_listen != NULL && (o->iface != NULL || o->n_inputs > 0)) {
		fprintf(stderr, "calltap: --hep-listen is an input of its own: not with -i or -r\n");
		rc = 1;
	}
	if (o->hep_listen != NULL)   /* HEP brings SIP only: no media to match or time out */
		o->cfg.rtp = false;
	if (rc == 0 && (spool_options(o) != 0 || check_webhook_opts(o) != 0))
		return 1;
	if (rc != 0)
		return 1;
	/*
	 * Trailing words that name captures or directories are inputs too
	 * (what a shell glob after -r expands to); the filter starts at the
	 * first word that is not one.
	 */
	while (rc == 0 && !is_live(o) && optind < argc && ct_inputs_is_capture_path(argv[optind]))
		if (add_input(o, argv[optind++]) != 0)
			return 1;
	if (o->n_inputs == 0 && !is_live(o)) {
		fprintf(stderr, "calltap: no input: give -r FILE, -i IFACE or --hep-listen PORT\n");
		usage(stderr);
		return 1;
	}
	if (!records) {   /* no output of call records: the default ones */
		add_output(o, output_kind("table"), "-");
		add_output(o, output_kind("db"), "calltap.db");
	}
	if (optind < argc && o->hep_listen != NULL) {
		fprintf(stderr, "calltap: a capture filter ('%s') does not apply to --hep-listen\n",
		    argv[optind]);
		return 1;
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

/* Monotonic clock in microseconds, for the sinks' durability timer (coarse is enough). */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/*
 * One run's pieces, for the read loops: the engine, the outputs it hands
 * records to, the live source (NULL: reading files), the progress line and
 * the status line's schedule.
 */
struct progress;
struct run {
	struct ct_engine *e;
	struct ct_pipeline *pl;  /* --threads N > 1: the engine's frames go through it; else NULL */
	struct ct_pipeline_stats pl_st; /* its counters, kept when it is freed */
	int64_t cpu0_ns, cpu_ns;  /* CPU time of the engine's (this) thread: at the start, used */
	struct ct_sinkset *sinks;
	struct ct_metrics *metrics; /* --metrics: published once per tick; NULL: none */
	struct ct_source *live;
	bool hep_in;           /* live is the --hep-listen collector */
	struct ct_callcap *callcap;  /* --pcap-dir, -w; NULL: off */
	struct progress *prog;
	struct ct_stats_line line;
	bool files_line;       /* reading files: the line runs on the wall clock */
	unsigned line_countdown; /* files: frames until the clock is read again */
	size_t left;           /* -c: packets still to read; 0: no limit */
	bool count_done;       /* -c: COUNT packets were read */
};

/* -c: true once the COUNT-th packet was read (the caller then stops reading). */
static inline bool count_reached(struct run *r)
{
	return r->left != 0 && --r->left == 0;
}

static void on_tick(struct run *r);

/* One frame to the engine, through the pipeline with --threads N > 1; true on a tick. */
static inline bool feed(struct run *r, const struct ct_frame *f)
{
	return r->pl != NULL ? ct_pipeline_frame(r->pl, f) : ct_engine_frame(r->e, f);
}

/* The pipeline's frames all taken by the engine: before the engine is told anything else. */
static void settle(struct run *r)
{
	if (r->pl != NULL && ct_pipeline_drain(r->pl))
		on_tick(r);
}

/*
 * Durability while a pipe is idle ("-r -" on a pipe or a socket): the read
 * loop can block in next() for as long as the writer pauses, so a helper
 * thread flushes the sinks when their flush comes due while the main thread
 * waits there, and reopens them on SIGHUP (within a second).  A pause of
 * PIPE_IDLE_US also ends a clock jump the engine holds (frames dated far
 * ahead, then silence: ct_engine_input_idle), so that the calls the gap
 * ended are written without waiting for more frames.  The sinks and the
 * engine are only used under mu: the main thread holds it except while it
 * is in next() (one uncontended unlock/lock per frame).
 */
#define PIPE_IDLE_US 500000
struct idle_flusher {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* stop; otherwise a timed wait (monotonic clock) */
	pthread_t thread;
	struct ct_sinkset *sinks;
	struct run *r;           /* its engine's jump held ends on a pause; NULL: not this */
	int64_t read_since;      /* in_read: when next() was entered (mono_us) */
	bool in_read;            /* the main thread is in next(), without mu */
	bool stop;
};

/* The helper thread: wakes at least once a second, flushes what is due. */
static void *idle_flusher_main(void *arg)
{
	struct idle_flusher *fl = arg;
	struct timespec ts;
	int64_t due, now, until;

	ct_thread_name("ct-idle-flush");
	pthread_mutex_lock(&fl->mu);
	while (!fl->stop) {
		due = ct_sinkset_next_flush(fl->sinks);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
		if (fl->in_read && FLAG_TAKE(reopen_requested)) {   /* SIGHUP on an idle pipe */
			ct_sinkset_reopen(fl->sinks);
			continue;
		}
		if (fl->in_read && fl->r != NULL && now - fl->read_since >= PIPE_IDLE_US &&
		    ct_engine_input_idle(fl->r->e)) {
			on_tick(fl->r);   /* the metrics see the calls the jump ended */
			continue;         /* their records are flushed when due */
		}
		if (fl->in_read && due <= now) {
			ct_sinkset_flush_due(fl->sinks, now);
			continue;
		}
		/*
		 * Due while the main thread works: it flushes itself; look again
		 * in 10 ms.  (+5 ms: the read loop's clock is the coarse one.)
		 */
		if (due - now >= 1000000)
			until = now + 1000000;
		else
			until = due + 5000 > now + 10000 ? due + 5000 : now + 10000;
		ts.tv_sec = (time_t)(until / 1000000);
		ts.tv_nsec = (long)(until % 1000000) * 1000;
		pthread_cond_timedwait(&fl->cv, &fl->mu, &ts);
	}
	pthread_mutex_unlock(&fl->mu);
	return NULL;
}

/*
 * Starts the helper for the sinks; the caller then holds fl->mu.  CT_OK, or CT_ERR
 * (nothing to undo: the run goes on without it).  Signals stay with the
 * main thread.
 */
static int idle_flusher_start(struct idle_flusher *fl, struct ct_sinkset *sinks)
{
	pthread_condattr_t ca;
	int rc;

	memset(fl, 0, sizeof(*fl));
	fl->sinks = sinks;
	if (pthread_condattr_init(&ca) != 0)
		return CT_ERR;
	rc = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
	    pthread_cond_init(&fl->cv, &ca) == 0;
	pthread_condattr_destroy(&ca);
	if (!rc)
		return CT_ERR;
	pthread_mutex_init(&fl->mu, NULL);
	pthread_mutex_lock(&fl->mu);
	rc = ct_thread_start(&fl->thread, idle_flusher_main, fl);
	if (rc != 0) {
		pthread_mutex_unlock(&fl->mu);
		pthread_mutex_destroy(&fl->mu);
		pthread_cond_destroy(&fl->cv);
		return CT_ERR;
	}
	return CT_OK;
}

/* Stops and joins the helper; the caller holds fl->mu. */
static void idle_flusher_stop(struct idle_flusher *fl)
{
	fl->stop = true;
	pthread_cond_signal(&fl->cv);
	pthread_mutex_unlock(&fl->mu);
	pthread_join(fl->thread, NULL);
	pthread_mutex_destroy(&fl->mu);
	pthread_cond_destroy(&fl->cv);
}

/*
 * Feeds every frame of one source to the engine.  A live source's read
 * timeout (every 250 ms on an idle link) advances the engine's clock, less
 * a second of slack for frames still in the kernel buffer, so calls time
 * out and the stats line comes on time.  After each frame or timeout the
 * sinks' durability timer runs (written records are committed / synced
 * once a second of wall time; fl non-NULL: also while next() waits on an
 * idle pipe, see struct idle_flusher).  SIGHUP reopens the outputs between
 * frames.  When a stop is asked, the frames the source holds back (its
 * drain op) go in before it returns.  Returns 0, or 2 when the source ended with a read error
 * (reported, naming the file).
 */
static int run_source(struct run *r, struct ct_source *src, struct idle_flusher *fl)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_frame f;
	int rc;

	while (!FLAG_GET(stop_requested)) {
		if (fl != NULL) {
			fl->in_read = true;
			pthread_mutex_unlock(&fl->mu);
		}
		rc = src->ops->next(src, &f, errbuf);
		if (fl != NULL) {
			pthread_mutex_lock(&fl->mu);
			fl->in_read = false;
		}
		if (FLAG_TAKE(reopen_requested)) {
			ct_sinkset_reopen(r->sinks);
		}
		if (rc == 1) {
			if (feed(r, &f))
				on_tick(r);
			if (count_reached(r)) {
				r->count_done = true;
				return 0;
			}
		} else if (rc == 0) {
			settle(r);
			/* idle: wall time, or the HEP agents' time (ct_hep_in_clock) */
			int64_t now = r->hep_in ? ct_hep_in_clock(src, wall_us()) : wall_us() - 1000000;

			if (now != INT64_MIN && ct_engine_clock(r->e, now))
				on_tick(r);
		} else if (rc == CT_EOF)
			return 0;
		else {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return 2;
		}
		ct_sinkset_flush_due(r->sinks, mono_us());
	}
	/* Stopped: frames the source still holds (HEP reordering) go in too. */
	while (src->ops->drain != NULL && src->ops->drain(src, &f) == 1)
		(void)feed(r, &f);
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
	p->on = !o->quiet && o->n_inputs > 0 && !is_live(o) && isatty(STDERR_FILENO);
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

static void syslog_warning(void *user, const char *msg)
{
	log_syslog(user, CT_LOG_WARN, msg);
}

/*
 * --stats-interval while reading files: the status line on the wall clock
 * (capture time runs far faster or slower than reading), with the bytes
 * read instead of drops (stats.h): the files' own bytes (compressed ones
 * for a compressed file), or with standard input from a pipe among them
 * (no size, no position) the bytes of the packets read.  The clock is read
 * once every PROGRESS_EVERY frames; final: the last line, at the end of
 * the inputs.
 */
static void file_line(struct run *r, const struct ct_inputs *in, int final)
{
	struct ct_engine_stats es;
	struct ct_stats_input st;
	int64_t now;

	if (!r->files_line)
		return;
	r->line_countdown = PROGRESS_EVERY;
	now = mono_us();
	if (!final && !ct_stats_line_due_at(&r->line, now))
		return;
	ct_engine_get_stats(r->e, &es);
	if (!ct_inputs_progress(in, &st.done, &st.total)) {
		st.done = es.c.bytes;   /* standard input: no size, no position; its packets' bytes */
		st.total = 0;
	}
	progress_clear(r->prog);
	ct_stats_line_print_read(&r->line, &es, &st, now, stderr);
}

/* Per frame: one decrement while the file line is on, one branch otherwise. */
static inline void file_line_tick(struct run *r, const struct ct_inputs *in)
{
	if (r->files_line && --r->line_countdown == 0)
		file_line(r, in, 0);
}

/*
 * Reads every capture input as one stream in capture-time order (inputs.h:
 * files ordered by their first frame and merged by timestamp, directories
 * walked recursively, gzip read as is).  A bad filter is reported once and
 * nothing is read; a file that cannot be read is reported, naming it, and
 * the others are still read.  Updates the progress line (prog).  Returns 0,
 * or 2 when an input was missing, unreadable or truncated.
 */
static int run_inputs(struct run *r, const struct options *o)
{
	struct progress *prog = r->prog;
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_inputs *in;
	struct ct_frame f;
	struct idle_flusher fl;
	struct stat st;
	bool pipe = false;
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
	ct_inputs_set_decompress_memory(in, (uint64_t)o->decompress_mb << 20);
	ct_inputs_set_warn(in, o->cfg.log.fn == log_syslog ? syslog_warning : print_warning, prog);
	for (i = 0; i < o->n_inputs; i++) {
		rc = ct_inputs_add(in, o->inputs[i], errbuf);
		if (rc == CT_NOMEM)
			goto nomem;
		if (rc != CT_OK && !FLAG_GET(stop_requested)) {   /* stopped: nothing unread */
			fprintf(stderr, "calltap: %s\n", errbuf);
			status = 2;
		}
	}
	if (ct_inputs_start(in, o->bpf) != CT_OK)
		goto nomem;
	ct_engine_new_input(r->e);
	if (r->line.interval_us > 0) {
		r->files_line = true;
		r->line_countdown = PROGRESS_EVERY;
		ct_stats_line_start(&r->line, mono_us());
	}
	/*
	 * Standard input on a pipe or a socket can block for as long as its
	 * writer pauses: a helper flushes due sinks meanwhile (idle_flusher).
	 */
	for (i = 0; i < o->n_inputs && !pipe; i++)
		pipe = strcmp(o->inputs[i], "-") == 0 && fstat(STDIN_FILENO, &st) == 0 &&
		    (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) &&
		    idle_flusher_start(&fl, r->sinks) == CT_OK;
	if (pipe)
		fl.r = r;
	while (!FLAG_GET(stop_requested)) {
		if (pipe) {
			fl.in_read = true;
			fl.read_since = mono_us();
			pthread_mutex_unlock(&fl.mu);
		}
		rc = ct_inputs_next(in, &f, errbuf);
		if (pipe) {
			pthread_mutex_lock(&fl.mu);
			fl.in_read = false;
		}
		if (FLAG_TAKE(reopen_requested)) {
			ct_sinkset_reopen(r->sinks);
		}
		if (rc == 1) {
			if (feed(r, &f))
				on_tick(r);
			progress_tick(prog, r->e, in);
			file_line_tick(r, in);
			if (count_reached(r)) {
				r->count_done = true;
				break;
			}
		} else if (rc == CT_EOF || FLAG_GET(stop_requested)) {
			/*
			 * The end, or a stop asked while a pipe was read (its last
			 * packet cut short, or no byte yet, is no input error:
			 * systemctl stop of tcpdump -w - | calltap -r -).
			 */
			break;
		} else {
			progress_clear(prog);
			fprintf(stderr, "calltap: %s\n", errbuf);
			status = 2;
		}
		ct_sinkset_flush_due(r->sinks, mono_us());
	}
	if (pipe)
		idle_flusher_stop(&fl);
	settle(r);
	file_line(r, in, 1);
	if (r->files_line) {   /* a live capture after the files runs on capture time */
		r->files_line = false;
		ct_stats_line_init(&r->line, r->line.interval_us);
	}
	prog->known = ct_inputs_progress(in, &prog->done, &prog->total);
	progress_clear(prog);
	if (ct_inputs_deferred(in) > 0)
		fprintf(stderr, "calltap: warning: %zu capture files overlapped in time with too many "
		    "open ones and were read after them, out of time order\n", ct_inputs_deferred(in));
	if (ct_inputs_deferred_decompress(in) > 0)
		fprintf(stderr, "calltap: warning: %zu of them waited for the zstd windows and xz "
		    "dictionaries of open files (%d MiB at once, at most %llu MiB used): raise "
		    "--decompress-memory to merge them in time\n", ct_inputs_deferred_decompress(in),
		    o->decompress_mb, (unsigned long long)(ct_inputs_decompress_peak(in) >> 20));
	ct_inputs_free(in);
	return status;
nomem:
	fprintf(stderr, "calltap: out of memory reading the inputs\n");
	ct_inputs_free(in);
	return 2;
}


/* Copies the live source's cumulative drop counters into the engine. */
static void update_drops(struct run *r)
{
	struct ct_source_stats st;

	if (r->live != NULL && r->live->ops->stats != NULL &&
	    r->live->ops->stats(r->live, &st) == CT_OK)
		ct_engine_capture_drops(r->e, st.dropped, st.ifdropped);
}

/*
 * Once per engine tick (about a second of capture time, after expiry): a
 * live capture's drop counters are refreshed, and the status line is
 * printed when due.
 */
static void on_tick(struct run *r)
{
	struct ct_engine_stats es;

	if (r->live != NULL)
		update_drops(r);
	if (r->metrics != NULL) {
		ct_engine_get_stats(r->e, &es);
		ct_metrics_publish(r->metrics, &es, r->sinks);
	}
	if (r->line.interval_us == 0 || r->files_line)
		return;
	ct_engine_get_stats(r->e, &es);
	if (ct_stats_line_due(&r->line, &es)) {
		progress_clear(r->prog);
		ct_stats_line_print(&r->line, &es, stderr);
	}
}

/*
 * A directory calltap creates files in while it runs (--audio DIR, the
 * webhook spool), so it must stay writable after -Z.
 */
struct outdir {
	const char *path;
	const char *what;   /* for messages: "--audio directory" */
	bool created;       /* made by this run: handed to the -Z user */
};

#define MAX_OUTDIRS 3

/*
 * mkdir -p: creates path and its missing parents (mode 0777 less the
 * umask).  0, or -1 with errno.
 */
static int mkdir_parents(const char *path)
{
	char buf[4096];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0777) != 0 && errno != EEXIST)
			return -1;
		buf[i] = path[i];
	}
	return 0;
}

/*
 * Creates and removes a file in dir: access() says yes to root on a
 * read-only or special file system (sysfs) where every recording would
 * fail later.  0, or -1 with errno.
 */
static int probe_dir(const char *dir)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/.calltap-probe-%ld", dir, (long)getpid()) >=
	    (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
		return -1;
	close(fd);
	unlink(path);
	return 0;
}

/*
 * Lists the output directories of o in dirs and creates the missing ones
 * (mode 0777 less the umask, so 0700 by default).  Without -Z each must be
 * writable now; with -Z that is checked after the switch (check_outdirs).
 * Returns how many, or -1 after a message naming the directory.
 */
static int prepare_outdirs(const struct options *o, struct outdir *dirs)
{
	struct stat st;
	int n = 0, k;

	if (o->cfg.audio_dir != NULL) {
		dirs[n].path = o->cfg.audio_dir;
		dirs[n++].what = "--audio directory";
	}
	if (o->callcap.dir != NULL) {
		dirs[n].path = o->callcap.dir;
		dirs[n++].what = "--pcap-dir directory";
	}
	if (has_output(o, OUT_SPOOL)) {
		dirs[n].path = o->spool != NULL ? o->spool : "calltap-spool";
		dirs[n++].what = "spool directory";
	}
	for (k = 0; k < n; k++) {
		dirs[k].created = false;
		if (stat(dirs[k].path, &st) != 0) {
			if (errno != ENOENT || mkdir_parents(dirs[k].path) != 0) {
				fprintf(stderr, "calltap: cannot create %s '%s': %s\n", dirs[k].what,
				    dirs[k].path, strerror(errno));
				return -1;
			}
			dirs[k].created = true;
		} else if (!S_ISDIR(st.st_mode)) {
			fprintf(stderr, "calltap: %s '%s' is not a directory\n", dirs[k].what,
			    dirs[k].path);
			return -1;
		}
		if (o->user == NULL && (access(dirs[k].path, W_OK | X_OK) != 0 ||
		    probe_dir(dirs[k].path) != 0)) {
			fprintf(stderr, "calltap: %s '%s' is not writable: %s\n", dirs[k].what,
			    dirs[k].path, strerror(errno));
			return -1;
		}
	}
	return n;
}

/*
 * The paths records give recordings (--audio DIR exists by now): the
 * directory's absolute path, so a record still names the file when its
 * database is opened from another directory; with --recording-base BASE,
 * relative to BASE, which must hold the directory (the engine cuts BASE/
 * from each path, and the webhook's recording_url is made from the same
 * relative path).  0, or -1 after a message.
 */
static int resolve_recording_paths(struct options *o)
{
	size_t i, n;

	if (o->cfg.audio_dir == NULL) {
		if (o->recording_base == NULL)
			return 0;
		fprintf(stderr, "calltap: --recording-base needs --audio DIR\n");
		return -1;
	}
	if ((o->audio_abs = realpath(o->cfg.audio_dir, NULL)) == NULL) {
		fprintf(stderr, "calltap: --audio directory '%s': %s\n", o->cfg.audio_dir,
		    strerror(errno));
		return -1;
	}
	o->cfg.audio_dir = o->audio_abs;
	if (o->recording_base != NULL) {
		if ((o->base_abs = realpath(o->recording_base, NULL)) == NULL) {
			fprintf(stderr, "calltap: --recording-base '%s': %s\n", o->recording_base,
			    strerror(errno));
			return -1;
		}
		n = strcmp(o->base_abs, "/") == 0 ? 0 : strlen(o->base_abs);
		o->base_abs[n] = '\0';   /* "/" becomes "": every path is below it */
		if (strncmp(o->audio_abs, o->base_abs, n) != 0 ||
		    (o->audio_abs[n] != '/' && o->audio_abs[n] != '\0')) {
			fprintf(stderr, "calltap: --audio directory '%s' is not under --recording-base "
			    "'%s': records could not name their recordings relative to it\n",
			    o->audio_abs, o->base_abs);
			return -1;
		}
		o->cfg.recording_base = o->base_abs;
	}
	/* the webhook's recording_url: the recording's path below the --audio directory */
	for (i = 0; i < o->n_webhook_opts; i++)
		if (strcmp(o->webhook_opts[i].name, "audio-dir") == 0)
			o->webhook_opts[i].value = o->base_abs == NULL ? o->audio_abs :
			    o->audio_abs[strlen(o->base_abs)] == '/' ?
			    o->audio_abs + strlen(o->base_abs) + 1 : "";
	return 0;
}

/*
 * After -Z: every output directory must be writable by the new user (a
 * recording or a spool file is created there any time).  0, or -1 after a
 * message naming the directory and the user.
 */
static int check_outdirs(const struct options *o, const struct outdir *dirs, int n)
{
	char dir[4096], *slash;
	size_t i;
	int k;

	for (k = 0; k < n; k++)
		if (access(dirs[k].path, W_OK | X_OK) != 0 || probe_dir(dirs[k].path) != 0) {
			fprintf(stderr, "calltap: %s '%s' is not writable by user '%s': %s\n",
			    dirs[k].what, dirs[k].path, o->user, strerror(errno));
			return -1;
		}
	/*
	 * Output files are open already (handed to the user), but SIGHUP after
	 * log rotation, and the retry of an output that failed, reopen them by
	 * name, and SQLite makes its journal files beside the database: that
	 * needs their directory writable by the user too.  Warned, not refused
	 * (a file nobody rotates goes on working).
	 */
	for (i = 0; i < o->n_outputs; i++) {
		const char *path = o->outputs[i].value;

		if (!(o->outputs[i].kind->flags & OUT_FILE) || path == NULL ||
		    strcmp(path, "-") == 0 || strlen(path) >= sizeof(dir))
			continue;
		strcpy(dir, path);
		slash = strrchr(dir, '/');
		if (slash == NULL)
			strcpy(dir, ".");
		else if (slash == dir)
			dir[1] = '\0';
		else
			*slash = '\0';
		if (access(dir, W_OK | X_OK) != 0)
			fprintf(stderr, "calltap: warning: --%s '%s': its directory '%s' is not "
			    "writable by user '%s' (%s): SIGHUP and the retry after a failure cannot "
			    "reopen it, and records stop there if it is rotated or fails\n",
			    o->outputs[i].kind->option, path, dir, o->user, strerror(errno));
	}
	return 0;
}

/* chown()s path to uid:gid, reporting a failure. */
static void hand_path(const char *path, uid_t uid, gid_t gid)
{
	if (chown(path, uid, gid) != 0)
		fprintf(stderr, "calltap: cannot hand '%s' to uid %u: %s\n", path,
		    (unsigned)uid, strerror(errno));
}

/*
 * Hands the output files to uid:gid before privileges are dropped, so that
 * SIGHUP can reopen them (SQLite's -wal/-shm/-journal files too), and the
 * output directories this run created, with the files the outputs already
 * made in them (the spool's lock).  Standard output, paths that are not
 * regular files and directories that existed before are left alone.
 */
static void hand_outputs(const struct options *o, const struct outdir *dirs, int n_dirs,
    uid_t uid, gid_t gid)
{
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	char path[4096];
	struct dirent *de;
	struct stat st;
	size_t i, k;
	DIR *d;
	int j;

	for (i = 0; i < o->n_outputs; i++) {
		const char *arg = o->outputs[i].value;

		if (!(o->outputs[i].kind->flags & OUT_FILE) || strcmp(arg, "-") == 0)
			continue;
		for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
			snprintf(path, sizeof(path), "%s%s", arg, sfx[k]);
			if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
				hand_path(path, uid, gid);
		}
	}
	for (j = 0; j < n_dirs; j++) {
		if (!dirs[j].created)
			continue;
		hand_path(dirs[j].path, uid, gid);
		if ((d = opendir(dirs[j].path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			snprintf(path, sizeof(path), "%s/%s", dirs[j].path, de->d_name);
			if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
				hand_path(path, uid, gid);
		}
		closedir(d);
	}
}

/*
 * Hands the spool of --webhook/--pg (DIR, its per-target subdirectories and
 * their files) to uid:gid before privileges are dropped: the sinks create
 * segment files there while running.  Errors are reported, not fatal (the
 * sink then counts what it cannot spool).
 */
static void hand_spool(const struct options *o, uid_t uid, gid_t gid)
{
	const char *top = o->spool != NULL ? o->spool : "calltap-spool";
	char sub[4096], path[sizeof(sub) + 260];
	struct dirent *d, *f;
	DIR *dir, *in;

	if (!has_output(o, OUT_SPOOL) || (dir = opendir(top)) == NULL)
		return;
	if (chown(top, uid, gid) != 0)
		fprintf(stderr, "calltap: cannot hand '%s' to uid %u: %s\n", top, (unsigned)uid,
		    strerror(errno));
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", top, d->d_name);
		if ((in = opendir(sub)) == NULL)
			continue;
		if (chown(sub, uid, gid) != 0)
			fprintf(stderr, "calltap: cannot hand '%s' to uid %u: %s\n", sub,
			    (unsigned)uid, strerror(errno));
		while ((f = readdir(in)) != NULL) {
			if (strcmp(f->d_name, "..") == 0 || strcmp(f->d_name, ".") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, f->d_name);
			if (chown(path, uid, gid) != 0)
				fprintf(stderr, "calltap: cannot hand '%s' to uid %u: %s\n", path,
				    (unsigned)uid, strerror(errno));
		}
		closedir(in);
	}
	closedir(dir);
}

/*
 * Empties the capability bounding set, so that nothing this process could
 * ever execute regains a capability.  Needs CAP_SETPCAP, so it runs before
 * setuid().  0, or -1 with errno (e.g. EPERM in a container without it).
 */
static int drop_bounding_set(void)
{
	int cap;

	for (cap = 0; cap < 64; cap++) {
		if (prctl(PR_CAPBSET_READ, (unsigned long)cap, 0, 0, 0) < 0)
			break;   /* past the last capability this kernel knows */
		if (prctl(PR_CAPBSET_DROP, (unsigned long)cap, 0, 0, 0) != 0)
			return -1;
	}
	return 0;
}

/*
 * -Z USER, first step, before any thread starts: empties the capability
 * bounding set and sets no_new_privs.  Both are attributes of a thread,
 * inherited by the threads it creates later, so set here they hold for the
 * output, recorder, per-call capture, metrics and HEP threads too (set in
 * drop_privileges(), after those started, they held for this thread only).
 * The process keeps its effective capabilities until setuid(): the
 * interface and the outputs still open.  0, or 1 after a message.
 */
static int restrict_threads(void)
{
	if (drop_bounding_set() != 0)
		fprintf(stderr, "calltap: warning: cannot empty the capability bounding set: %s\n",
		    strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "calltap: cannot set no_new_privs: %s\n", strerror(errno));
		return 1;
	}
	return 0;
}

/*
 * -Z USER: after the interface and the outputs are open, hands the outputs
 * to USER (the bounding set and no_new_privs were set by
 * restrict_threads() before any thread started), then switches to USER's uid and gid with USER's
 * primary group as the only supplementary group (setuid() last: it clears
 * the remaining capabilities), and checks that root cannot be regained and
 * that every output directory is writable.  Returns 0, 1 (reported) when
 * USER is unknown or the switch failed, 3 (reported) when an output
 * directory is not writable by USER: the exit status.
 */
static int drop_privileges(const struct options *o, const struct outdir *dirs, int n_dirs)
{
	struct passwd *pw;
	uid_t uid;
	gid_t gid;

	errno = 0;
	pw = getpwnam(o->user);
	if (pw == NULL) {
		fprintf(stderr, "calltap: unknown user '%s'%s%s\n", o->user,
		    errno != 0 ? ": " : "", errno != 0 ? strerror(errno) : "");
		return 1;
	}
	uid = pw->pw_uid;
	gid = pw->pw_gid;
	hand_outputs(o, dirs, n_dirs, uid, gid);
	hand_spool(o, uid, gid);
	/* The bounding set and no_new_privs were set by restrict_threads(). */
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		fprintf(stderr, "calltap: cannot switch to user '%s': %s\n", o->user, strerror(errno));
		return 1;
	}
	if (uid != 0 && setuid(0) == 0) {
		fprintf(stderr, "calltap: could regain root after switching to '%s'\n", o->user);
		return 1;
	}
	return check_outdirs(o, dirs, n_dirs) != 0 ? 3 : 0;
}

/*
 * Opens every output into sinks, in command-line order, then lets the
 * attribution stage continue from the call stores among them.  0, or -1
 * after a message.
 */
static int open_outputs(struct ct_sinkset *sinks, const struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_sink_args args;
	size_t i;

	for (i = 0; i < o->n_outputs; i++) {
		output_args(o, &o->outputs[i], &args);
		if (!o->cfg.rtp && o->outputs[i].kind->ops->write_orphan != NULL) {
			fprintf(stderr, "calltap: --%s needs RTP analysis (%s)\n",
			    o->outputs[i].kind->option, o->hep_listen != NULL ?
			    "HEP carries no RTP" : "drop --no-rtp");
			return -1;
		}
		if (ct_sinkset_add(sinks, o->outputs[i].kind->ops, &args, errbuf) != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			return -1;
		}
	}
	if (ct_sinkset_attach_history(sinks, o->cfg.attr, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	return 0;
}

/*
 * --metrics: binds the endpoint (before -Z) and adds the sink that feeds it
 * from the records.  0, or -1 after a message.
 */
static int open_metrics(struct run *r, const struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE], host[256];
	const char *sensor = o->attr.sensor;
	struct ct_sink_args args;

	if (o->metrics == NULL)
		return 0;
	if (sensor == NULL) {
		memset(host, 0, sizeof(host));
		if (gethostname(host, sizeof(host) - 1) != 0)
			host[0] = '\0';
		sensor = host;
	}
	if ((r->metrics = ct_metrics_new(o->metrics, sensor, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	memset(&args, 0, sizeof(args));
	args.ctx = r->metrics;
	if (ct_sinkset_add(r->sinks, &ct_sink_metrics, &args, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	return 0;
}

/*
 * --hep-reorder's default: Kamailio's siptrace under load sends a worker's
 * messages tens of ms behind another's; 200 ms covers that with room, and
 * a record is only that much later.
 */
#define HEP_REORDER_MS 200

/* --hep-listen: the collector, as the run's live source; NULL with errbuf set. */
static struct ct_source *open_hep_listen(const struct options *o, char *errbuf)
{
	struct ct_hep_in_cfg hc;

	memset(&hc, 0, sizeof(hc));
	hc.addr = o->hep_listen;
	hc.port = o->hep_listen_port;
	hc.password = o->hep.password;
	hc.reorder_us = (int64_t)(o->hep_reorder_ms >= 0 ? o->hep_reorder_ms : HEP_REORDER_MS) * 1000;
	hc.log = o->cfg.log;
	return ct_hep_in_open(&hc, errbuf);
}

/*
 * --hep: the sender, before the engine (which borrows it), and unless
 * --hep-no-qos the hep-qos sink that queues each record's per-stream
 * quality reports to it (closed before the sender: main() closes the sink
 * set first).  0, or -1 after a message.
 */
static int open_hep(struct run *r, struct options *o)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_sink_args args;

	if (o->hep_host == NULL)
		return 0;
	o->hep.host = o->hep_host;
	o->hep.port = o->hep_port;
	o->hep.log = o->cfg.log;
	if ((o->cfg.hep = ct_hep_out_new(&o->hep, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	if (o->hep_no_qos || !o->cfg.rtp)   /* no RTP analysis: no streams to report */
		return 0;
	memset(&args, 0, sizeof(args));
	args.ctx = o->cfg.hep;
	if (ct_sinkset_add(r->sinks, &ct_sink_hep_qos, &args, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		return -1;
	}
	return 0;
}

static void free_options(struct options *o)
{
	free(o->bpf);
	free(o->inputs);
	while (o->n_listed > 0)
		free(o->listed[--o->n_listed]);
	free(o->listed);
	free(o->audio_abs);
	free(o->base_abs);
	ct_attr_free(o->cfg.attr);
	ct_config_args_free(&o->args);
	ct_hep_out_free(o->cfg.hep);
	free(o->hep_host);
	free(o->hep_listen);
}

/* The end of a run: the engine, the outputs, the source and the options freed. */
/* CPU time of the calling thread, ns. */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0)
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/*
 * --threads without a value: the CPUs this process may run on (its
 * affinity mask: taskset, a cgroup cpuset), less one for the reader, at
 * least 1 and at most DEFAULT_THREADS_MAX.  1 on a 2-CPU machine, where a
 * pre-scan worker was measured to cost more than it saves (README,
 * "Several cores"); the cap because N - 1 workers only pre-scan SIP, a few
 * per cent of a trunk's frames, so more have nothing to do.
 */
#define DEFAULT_THREADS_MAX 4
static int default_threads(void)
{
	cpu_set_t set;
	long n = -1;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		n = CPU_COUNT(&set);
	if (n <= 0)
		n = sysconf(_SC_NPROCESSORS_ONLN);
	n -= 1;   /* the reader's */
	if (n < 1)
		n = 1;
	return n > DEFAULT_THREADS_MAX ? DEFAULT_THREADS_MAX : (int)n;
}

/* True when an input is standard input ("-"): frames may come slowly, as live. */
static bool reads_stdin(const struct options *o)
{
	size_t i;

	for (i = 0; i < o->n_inputs; i++)
		if (strcmp(o->inputs[i], "-") == 0)
			return true;
	return false;
}

static void free_run(struct run *r, struct options *o)
{
	ct_pipeline_free(r->pl);
	ct_engine_free(r->e);
	ct_callcap_free(r->callcap);
	/* The server first: it reads the sink set's counters (the metrics sink's close ignores m). */
	ct_metrics_free(r->metrics);
	ct_sinkset_free(r->sinks);
	ct_source_close(r->live);
	free_options(o);
}

int main(int argc, char **argv)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct options o;
	struct run run;
	struct outdir dirs[MAX_OUTDIRS];
	struct progress prog;
	struct sigaction sa;
	int status = 0, rc, n_dirs = 0, nthreads;

	/*
	 * Calls are private data: every file and directory made from here on,
	 * by calltap or a library (SQLite's journal, libsndfile, a report), is
	 * 0600/0700 unless --umask says otherwise.
	 */
	umask(077);
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return ct_report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return ct_show_main(argc - 1, argv + 1);
	/*
	 * Before anything else, so that a SIGHUP during start-up (logrotate's
	 * postrotate at boot; a --pg server slow to answer) does not kill the
	 * sensor (red-team pass 10: exit 129, which systemd's Restart=on-failure
	 * takes for a clean stop).  SA_RESTART: a signal must not fail a read(2)
	 * of a savefile or stdin; the live source's poll(2) is never restarted,
	 * so it still returns.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	memset(&o, 0, sizeof(o));
	rc = parse_options(&o, argc, argv);
	if (rc != 0) {   /* --help, --version, or a bad option: nothing opened yet */
		free_options(&o);
		return rc < 0 ? 0 : 1;
	}
	hide_secrets(argc, argv);
	umask(o.umask);
	if (o.user != NULL && restrict_threads() != 0) {
		free_options(&o);
		return 1;
	}
	/*
	 * Raise the soft limit on open files to the hard one (often 1024 soft,
	 * far more hard): recordings written straight to their final WAV file
	 * hold it open (up to half the limit; the rest share one scratch file),
	 * and long calls' per-call capture spill files are open up to 512.
	 */
	if (o.cfg.audio_dir != NULL || o.callcap.dir != NULL) {   /* and the pcap spill files */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	o.attr.log = o.cfg.log;   /* the lease log's messages */
	if ((o.cfg.attr = ct_attr_new(&o.attr, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		free_options(&o);
		return 1;
	}
	memset(&run, 0, sizeof(run));
	progress_init(&prog, &o);
	run.prog = &prog;
	o.cfg.log.user = &prog;   /* messages clear the progress line first */
	o.callcap.log = o.cfg.log;
	o.callcap.wait = !is_live(&o);   /* files wait for the pcap writer, live drops */
	o.callcap.durable = continuing_run(&o);
	o.hep.wait = !is_live(&o);       /* and for the HEP collector */
	if ((run.sinks = ct_sinkset_new(&o.cfg.log)) == NULL) {
		fprintf(stderr, "calltap: out of memory\n");
		free_options(&o);
		return 3;
	}
	o.cfg.sinks = run.sinks;
	o.cfg.rtp_intervals = has_output(&o, OUT_STORE);   /* the stores' rtp_intervals */
	rc = 0;
	if (o.iface != NULL && (run.live = ct_source_open_live(o.iface, o.bpf, o.snaplen,
	    o.buffer_mb, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		rc = 2;
	} else if (o.hep_listen != NULL && (o.cfg.hep_in = run.live = open_hep_listen(&o,
	    errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		rc = 2;
	} else if ((n_dirs = prepare_outdirs(&o, dirs)) < 0 || resolve_recording_paths(&o) != 0 ||
	    open_outputs(run.sinks, &o) != 0 || open_metrics(&run, &o) != 0 ||
	    open_hep(&run, &o) != 0)
		rc = 3;
	else if ((o.callcap.dir != NULL || o.callcap.all_path != NULL) &&
	    (run.callcap = o.cfg.callcap = ct_callcap_new(&o.callcap, errbuf)) == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		rc = 3;
	}
	else if ((o.cfg.audio_durable = continuing_run(&o), run.e = ct_engine_new(&o.cfg, errbuf)) ==
	    NULL) {   /* after the outputs */
		fprintf(stderr, "calltap: %s\n", errbuf);
		rc = 3;
	} else if (o.user != NULL)
		rc = drop_privileges(&o, dirs, n_dirs);
	if (rc == 0)
		ct_sinkset_start(run.sinks);   /* outputs on their own thread from now on */
	if (rc != 0) {
		if (run.e != NULL)
			ct_engine_finish(run.e);
		ct_sinkset_close(run.sinks);
		free_run(&run, &o);
		return rc;
	}
	warn_direction(&o);   /* once every output is open: an error at start-up comes alone */
	/* o.threads stays 0 for the default: --stats tells the CPU split only when asked */
	nthreads = o.threads != 0 ? o.threads : default_threads();
	if (nthreads > 1 && (run.pl = ct_pipeline_new(run.e, (unsigned)nthreads - 1,
	    run.live != NULL || reads_stdin(&o), errbuf)) == NULL)
		fprintf(stderr, "calltap: warning: %s: one analysis thread\n", errbuf);
	if (o.stats_interval_us < 0)
		o.stats_interval_us = run.live != NULL ? 60 * INT64_C(1000000) : 0;
	ct_stats_line_init(&run.line, o.stats_interval_us);
	if (run.live != NULL)
		update_drops(&run);   /* from now on records carry capture_drops */
	run.left = o.count;
	run.cpu0_ns = thread_cpu_ns();
	status |= run_inputs(&run, &o);
	run.hep_in = o.hep_listen != NULL;
	if (run.live != NULL && !FLAG_GET(stop_requested) && !run.count_done)
		status |= run_source(&run, run.live, NULL);
	settle(&run);
	run.cpu_ns = thread_cpu_ns() - run.cpu0_ns;
	if (run.pl != NULL) {   /* every frame is the engine's now: the workers end */
		ct_pipeline_stop(run.pl);
		ct_pipeline_get_stats(run.pl, &run.pl_st);
		ct_pipeline_free(run.pl);
		run.pl = NULL;
	}
	if (run.live != NULL)
		update_drops(&run);  /* final counts, before the open calls end */
	if (ct_engine_finish(run.e) != CT_OK)
		status = 3;
	if (run.callcap != NULL) {   /* a per-call file or -w failed: as a failed recording */
		struct ct_callcap_stats cs;

		ct_callcap_get_stats(run.callcap, &cs);
		if (cs.errors > 0)
			status = 3;
	}
	if (ct_sinkset_close(run.sinks) != CT_OK)
		status = 3;
	/* After the sink set (its hep-qos sink queues the last records' reports):
	 * what is queued is sent before the counts are read. */
	ct_hep_out_close(o.cfg.hep);
	progress_end(&prog, run.e);
	if (run.live != NULL || o.stats) {
		struct ct_engine_stats es;
		struct ct_sinkset_stats ss;

		ct_engine_get_stats(run.e, &es);
		ct_sinkset_get_stats(run.sinks, &ss);
		if (run.live != NULL && o.stats_interval_us > 0)
			ct_stats_line_print(&run.line, &es, stderr);
		if (o.stats)
			ct_stats_print(&es, &ss, stderr);
		/* only when asked for (--threads N): CPU times differ from run to run */
		if (o.stats && o.threads > 1)
			fprintf(stderr, "threads: %d (%llu frames at once, %llu in %llu batches, %llu "
			    "prepared by the engine's thread, %llu waits for a worker; CPU s: engine's "
			    "thread %.3f, workers %.3f)\n", o.threads,
			    (unsigned long long)run.pl_st.direct,
			    (unsigned long long)run.pl_st.frames, (unsigned long long)run.pl_st.batches,
			    (unsigned long long)run.pl_st.prepared_here,
			    (unsigned long long)run.pl_st.waits, (double)run.cpu_ns / 1e9,
			    (double)run.pl_st.worker_cpu_ns / 1e9);
		else if (o.stats && o.threads == 1)   /* asked for: the read loop and the engine, one thread */
			fprintf(stderr, "threads: 1 (CPU s: engine's thread %.3f)\n",
			    (double)run.cpu_ns / 1e9);
		if (o.stats && run.callcap != NULL) {
			struct ct_callcap_stats cs;

			ct_callcap_get_stats(run.callcap, &cs);
			fprintf(stderr, "pcap: %llu frames kept for calls, %llu dropped, %llu files, "
			    "%llu failed (%llu spilled to disk, %llu waits for the writer), "
			    "%llu frames to -w\n",
			    (unsigned long long)cs.frames, (unsigned long long)cs.drops,
			    (unsigned long long)cs.files, (unsigned long long)cs.errors,
			    (unsigned long long)cs.spilled, (unsigned long long)cs.waits,
			    (unsigned long long)cs.all_frames);
		}
	}
	free_run(&run, &o);
	return status;
}
