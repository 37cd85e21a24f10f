/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Webhook sink: POSTs each finished call record as one JSON object
 * (ct_record_json, Content-Type: application/json) to a URL, typically a
 * CRM.  Workload: records arrive from the packet loop, which must never wait
 * for the network, so write() only renders the JSON and appends it to the
 * write-ahead spool (spool.c: a record is in a spool file before delivery is
 * attempted, on disk within a second, and survives SIGKILL); one worker
 * thread (pthread, one libcurl easy handle, 5 s timeout) reads the spool in
 * order and POSTs each record, and a record leaves the spool (its position
 * is acknowledged) only after a 2xx answer.  A delivery that fails in a way
 * worth retrying (network error, timeout, HTTP 5xx, 408, 429) is retried
 * with exponential backoff from 1 s to 5 min, the records staying in order.
 * Other answers (3xx, 4xx) are permanent rejections: the record is kept in
 * a separate rejected-*.jsonl file, reported, and not sent again.  The spool
 * is keyed by URL (its subdirectory of --spool DIR is named by a hash of the
 * URL, which it records and checks), so a record spooled for one URL is never
 * sent to another; records spooled by an earlier run for the same URL are
 * sent before new ones.  At close the spool is drained for at most DRAIN_S
 * seconds; what is still undelivered stays for the next run and is counted
 * in the close message.  Delivery is exactly once unless calltap dies
 * between a 2xx and the pwrite of the acknowledgement that follows it (then
 * that one record is sent again).  Messages show the URL with its
 * credentials masked (ct_mask_secrets).
 * Events (docs/webhook.md): call_end, the record's JSON followed by event,
 * missed, caller_number, callee_number and recording_url; with
 * --webhook-events start also call_start (call_start op, when the first
 * INVITE is seen), through the same spool, so a call's start is delivered
 * before its end.  Options other than the URL arrive as "name=value" lines
 * after it (parse_opts): extra headers (CR/LF refused), a bearer token
 * (file or CALLTAP_WEBHOOK_TOKEN), and a shared secret with which each
 * attempt is signed, "X-Calltap-Signature: t=<unix>,sha256=<hex>", the
 * HMAC-SHA256 (util/sha256.c) of "<unix>.<body>".  Token and secret stay
 * in memory only (never in the spool, masked in messages).
 * References: RFC 9110 §15 (status codes: 2xx success, 408, 429 (RFC 6585
 * §4), 5xx), RFC 9110 §5.6.2 (header field names), RFC 6750 (bearer
 * token), RFC 2104 (HMAC), RFC 3986 §2.1 (percent-encoding), RFC 8259
 * (JSON), libcurl-tutorial(3), curl_easy_setopt(3), POSIX rename(2)/fsync(2).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/schema.h"
#include "calltap/sha256.h"
#include "calltap/sink.h"
#include "record_int.h"
#include "calltap/spool.h"
#include "calltap/thread.h"

#define TIMEOUT_MS 5000          /* per request, connection included */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000
#define DRAIN_S 10               /* close waits this long for delivery */

#define SECRET_MAX 4096          /* bytes of a token or signing secret file */
#define TOKEN_ENV "CALLTAP_WEBHOOK_TOKEN"

enum wh_result { WH_SENT, WH_RETRY, WH_REJECTED };

/* The --webhook-* options (see parse_opts), shared by every --webhook. */
struct wh_opts {
	bool ev_start, ev_end;       /* --webhook-events (default: end) */
	struct curl_slist *headers;  /* --webhook-header lines, checked */
	char *token;                 /* bearer token (file or TOKEN_ENV); never shown */
	char *secret;                /* HMAC-SHA256 key (--webhook-secret-file); never shown */
	size_t secret_len;
	char *url_prefix;            /* --recording-url-prefix */
	char *audio_dir;             /* --audio DIR, to make recordings relative */
};

struct wh_sink {
	struct ct_log log;           /* messages (log.h) */
	char *url;
	char shown[512];             /* url, credentials masked */
	struct wh_opts opt;
	char *top;                   /* --spool DIR */
	struct ct_spool *spool;
	CURL *curl;                  /* worker only */
	bool head_done;              /* worker only: the response's header block ended (on_header) */
	struct curl_slist *headers;
	pthread_t thread;
	bool started;

	pthread_mutex_t mu;          /* guards everything below up to the worker-only part */
	pthread_cond_t cv;
	bool closing;
	int64_t deadline_ms;         /* closing: give up delivering after this */
	unsigned seq;                /* rejected file names */
	uint64_t delivered, rejected, lost;
	char net_err[200];           /* last retryable failure */
	char rej_err[200];           /* first rejection */
	char lost_err[256];
	bool said_lost;

	/* worker only */
	bool failing;                /* the last attempt failed; retry at next_ms */
	int64_t next_ms, backoff_ms;
	int64_t idle_until_ms;       /* the last round read nothing: wait until then */
	struct ct_buf rec;
};

/* ---- options (--webhook-events, --webhook-header, ...) ------------------ */

/* Frees o's strings (secrets wiped first). */
static void opts_free(struct wh_opts *o)
{
	curl_slist_free_all(o->headers);
	if (o->token != NULL)
		memset(o->token, 0, strlen(o->token));
	if (o->secret != NULL)
		memset(o->secret, 0, o->secret_len);
	free(o->token);
	free(o->secret);
	free(o->url_prefix);
	free(o->audio_dir);
	memset(o, 0, sizeof(*o));
}

/* True when s holds a control character other than HTAB (or DEL). */
static bool has_ctl(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return true;
	return false;
}

/*
 * Reads the secret of option opt from path: the first line, blanks
 * trimmed.  CT_OK with *out (malloc'ed), or CT_ERR with a message naming
 * the option and the file, never the content.
 */
static int read_secret(const char *opt, const char *path, char **out, size_t *len,
    char *errbuf)
{
	char buf[SECRET_MAX + 2];
	size_t n = 0, a, b;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		ct_sink_err(errbuf, "%s: cannot open '%s': %s", opt, path, strerror(errno));
		return CT_ERR;
	}
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			ct_sink_err(errbuf, "%s: cannot read '%s': %s", opt, path, strerror(errno));
			close(fd);
			return CT_ERR;
		}
		n += (size_t)r;
	}
	close(fd);
	buf[n] = '\0';
	n = strcspn(buf, "\r\n");
	for (a = 0; a < n && (buf[a] == ' ' || buf[a] == '\t'); a++)
		;
	for (b = n; b > a && (buf[b - 1] == ' ' || buf[b - 1] == '\t'); b--)
		;
	if (n > SECRET_MAX || b == a || memchr(buf + a, '\0', b - a) != NULL) {
		ct_sink_err(errbuf, "%s: '%s' %s", opt, path, n > SECRET_MAX ?
		    "is longer than 4096 bytes" : "holds no secret on its first line");
		memset(buf, 0, sizeof(buf));
		return CT_ERR;
	}
	buf[b] = '\0';
	if (has_ctl(buf + a)) {
		ct_sink_err(errbuf, "%s: '%s' holds a control character", opt, path);
		memset(buf, 0, sizeof(buf));
		return CT_ERR;
	}
	free(*out);
	*out = strdup(buf + a);
	*len = b - a;
	memset(buf, 0, sizeof(buf));
	if (*out == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return CT_ERR;
	}
	return CT_OK;
}

/* RFC 9110 §5.6.2 tchar. */
static bool tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Checks and adds one --webhook-header "Name: value".  Refused: CR or LF
 * (a header could be injected), a name that is not a token, control
 * characters, an empty value, and the headers calltap sets itself.
 * Messages name the header, never its value.  CT_OK or CT_ERR.
 */
static int add_header(struct wh_opts *o, const char *h, char *errbuf)
{
	static const char *const own[] = {
		"content-type", "content-length", "transfer-encoding", "host", "expect",
		"x-calltap-signature",
	};
	const char *colon = strchr(h, ':'), *p;
	struct curl_slist *l;
	size_t i, n;

	if (strpbrk(h, "\r\n") != NULL) {
		ct_sink_err(errbuf, "--webhook-header: a header with CR or LF is refused");
		return CT_ERR;
	}
	if (colon == NULL || colon == h) {
		ct_sink_err(errbuf, "--webhook-header wants 'Name: value'");
		return CT_ERR;
	}
	n = (size_t)(colon - h);
	for (p = h; p < colon; p++)
		if (!tchar(*p)) {
			ct_sink_err(errbuf, "--webhook-header: '%.*s' is not a header name",
			    (int)(n > 64 ? 64 : n), h);
			return CT_ERR;
		}
	for (p = colon + 1; *p == ' ' || *p == '\t'; p++)
		;
	if (*p == '\0' || has_ctl(p)) {
		ct_sink_err(errbuf, "--webhook-header: header %.*s has %s", (int)(n > 64 ? 64 : n), h,
		    *p == '\0' ? "no value" : "a control character in its value");
		return CT_ERR;
	}
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strlen(own[i]) == n && strncasecmp(h, own[i], n) == 0) {
			ct_sink_err(errbuf, "--webhook-header: calltap sets %.*s itself", (int)n, h);
			return CT_ERR;
		}
	if ((l = curl_slist_append(o->headers, h)) == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return CT_ERR;
	}
	o->headers = l;
	return CT_OK;
}

/* --webhook-events LIST: start, end (call_start, call_end), comma-separated. */
static int set_events(struct wh_opts *o, const char *list, char *errbuf)
{
	const char *p = list;
	size_t n;

	o->ev_start = o->ev_end = false;
	while (*p != '\0') {
		n = strcspn(p, ",");
		if ((n == 5 && strncmp(p, "start", 5) == 0) || (n == 10 && strncmp(p, "call_start", 10) == 0))
			o->ev_start = true;
		else if ((n == 3 && strncmp(p, "end", 3) == 0) || (n == 8 && strncmp(p, "call_end", 8) == 0))
			o->ev_end = true;
		else {
			ct_sink_err(errbuf, "--webhook-events: '%.*s' is not an event (start, end)",
			    (int)(n > 32 ? 32 : n), p);
			return CT_ERR;
		}
		p += n + (p[n] == ',');
	}
	if (!o->ev_start && !o->ev_end) {
		ct_sink_err(errbuf, "--webhook-events: no event given (start, end)");
		return CT_ERR;
	}
	return CT_OK;
}

/* One "name=value" option line; CT_OK or CT_ERR + errbuf. */
static int parse_opt(struct wh_opts *o, const char *name, size_t nlen, const char *val,
    bool *events, char *errbuf)
{
#define IS(s) (nlen == strlen(s) && strncmp(name, s, nlen) == 0)
	if (IS("webhook-events")) {
		*events = true;
		return set_events(o, val, errbuf);
	}
	if (IS("webhook-header"))
		return add_header(o, val, errbuf);
	if (IS("webhook-token-file")) {
		size_t len;

		return read_secret("--webhook-token-file", val, &o->token, &len, errbuf);
	}
	if (IS("webhook-secret-file"))
		return read_secret("--webhook-secret-file", val, &o->secret, &o->secret_len, errbuf);
	if (IS("recording-url-prefix")) {
		if ((strncmp(val, "http://", 7) != 0 && strncmp(val, "https://", 8) != 0) ||
		    has_ctl(val) || strpbrk(val, " \"") != NULL) {
			ct_sink_err(errbuf, "--recording-url-prefix wants an http:// or https:// URL");
			return CT_ERR;
		}
		free(o->url_prefix);
		return (o->url_prefix = strdup(val)) != NULL ? CT_OK : CT_ERR;
	}
	if (IS("audio-dir")) {
		free(o->audio_dir);
		return (o->audio_dir = strdup(val)) != NULL ? CT_OK : CT_ERR;
	}
#undef IS
	ct_sink_err(errbuf, "webhook: unknown option '%.*s'", (int)(nlen > 32 ? 32 : nlen), name);
	return CT_ERR;
}

/*
 * Parses the sink's options (args->opts: webhook-events, webhook-header,
 * webhook-token-file, webhook-secret-file, recording-url-prefix,
 * audio-dir); without a token file the token comes from the environment
 * (TOKEN_ENV).  CT_OK, or CT_ERR with a message naming the option (o is
 * then freed).
 */
static int parse_opts(struct wh_opts *o, const struct ct_sink_opt *opts, size_t n_opts,
    char *errbuf)
{
	const char *env;
	struct curl_slist *l;
	bool events = false;
	size_t i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < n_opts; i++)
		if (parse_opt(o, opts[i].name, strlen(opts[i].name), opts[i].value, &events,
		    errbuf) != CT_OK)
			goto fail;
	if (!events)
		o->ev_end = true;
	if (o->token == NULL && (env = getenv(TOKEN_ENV)) != NULL && env[0] != '\0') {
		if (has_ctl(env) || strlen(env) > SECRET_MAX) {
			ct_sink_err(errbuf, "%s: a control character or too long", TOKEN_ENV);
			goto fail;
		}
		if ((o->token = strdup(env)) == NULL)
			goto fail;
	}
	for (l = o->headers; o->token != NULL && l != NULL; l = l->next)
		if (strncasecmp(l->data, "authorization:", 14) == 0) {
			ct_sink_err(errbuf, "--webhook-header Authorization and a bearer token "
			    "(--webhook-token-file or %s) exclude each other", TOKEN_ENV);
			goto fail;
		}
	return CT_OK;
fail:
	if (errbuf[0] == '\0')
		ct_sink_err(errbuf, "out of memory");
	opts_free(o);
	return CT_ERR;
}

/*
 * Checks the webhook options main collected (those it hands to each
 * --webhook), so a bad one is a usage error before anything is opened.
 * CT_OK, or CT_ERR with a message in errbuf.
 */
int ct_webhook_check_options(const struct ct_sink_opt *opts, size_t n, char *errbuf)
{
	struct wh_opts o;

	errbuf[0] = '\0';
	if (parse_opts(&o, opts, n, errbuf) != CT_OK)
		return CT_ERR;
	opts_free(&o);
	return CT_OK;
}

/* ---- payloads ----------------------------------------------------------- */

/* Appends ,"name":value of the record column name (none when there is no such column). */
static void put_col(struct ct_buf *b, const struct ct_call_record *r, const char *name)
{
	struct ct_val v;
	size_t i;

	for (i = 0; i < ct_schema_ncalls; i++)
		if (strcmp(ct_schema_calls[i].name, name) == 0) {
			ct_schema_value(&ct_schema_calls[i], r, &v);
			ct_buf_printf(b, ",\"%s\":", name);
			ct_val_json(&v, b);
			return;
		}
}

/* Appends s percent-encoded (RFC 3986 §2.1): all but unreserved characters and '/'. */
static void put_escaped(struct ct_buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[3];

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
			ct_buf_append(b, s, 1);
		} else {
			e[0] = '%';
			e[1] = hex[c >> 4];
			e[2] = hex[c & 15];
			ct_buf_append(b, e, 3);
		}
	}
}

/*
 * Appends "recording_url": --recording-url-prefix + the recording's path
 * relative to --audio DIR (its file name when it is not under DIR),
 * percent-encoded; null without a prefix or a recording.
 */
static void put_recording_url(struct ct_buf *b, const struct wh_opts *o, const char *path)
{
	struct ct_buf u;
	const char *rel;
	size_t n;

	ct_buf_puts(b, ",\"recording_url\":");
	if (o->url_prefix == NULL || path == NULL) {
		ct_buf_puts(b, "null");
		return;
	}
	n = o->audio_dir != NULL ? strlen(o->audio_dir) : 0;
	while (n > 1 && o->audio_dir[n - 1] == '/')
		n--;
	if (n > 0 && strncmp(path, o->audio_dir, n) == 0 && path[n] == '/')
		rel = path + n;
	else
		rel = strrchr(path, '/') != NULL ? strrchr(path, '/') : path;
	rel += strspn(rel, "/");
	ct_buf_init(&u);
	ct_buf_puts(&u, o->url_prefix);
	if (u.len > 0 && o->url_prefix[u.len - 1] != '/')
		ct_buf_puts(&u, "/");
	put_escaped(&u, rel);
	ct_buf_json_str(b, u.oom ? NULL : u.p);
	ct_buf_fini(&u);
}

/*
 * The call_end event: the record's JSON (as --json writes it, so with
 * caller_number and callee_number) followed by "event":"call_end",
 * "missed" and recording_url.  CT_OK or CT_NOMEM.
 */
static int render_end(const struct wh_opts *o, const struct ct_call_record *r, struct ct_buf *b)
{
	if (ct_record_json(r, b) != CT_OK || b->len == 0)
		return CT_NOMEM;
	b->p[--b->len] = '\0';   /* reopen the object */
	ct_buf_puts(b, ",\"event\":\"call_end\",\"missed\":");
	ct_buf_puts(b, r->missed ? "true" : "false");
	put_recording_url(b, o, r->recording);
	ct_buf_puts(b, "}");
	return b->oom ? CT_NOMEM : CT_OK;
}

/* The call_start event: what is known when the first INVITE is seen. */
static int render_start(const struct wh_opts *o, const struct ct_call_record *r, struct ct_buf *b)
{
	static const char *const cols[] = {
		"call_id", "start_time", "caller", "caller_name", "callee", "direction",
		"src_ip", "src_port", "dst_ip", "dst_port", "transport", "vlan",
		"sensor", "source", "campaign",
		"session_id", "visitor_id", "client_id", "utm_source", "utm_medium",
		"utm_campaign", "utm_term", "utm_content", "click_id",
		"caller_number", "callee_number",
	};
	size_t i;

	(void)o;
	ct_buf_puts(b, "{\"event\":\"call_start\"");
	for (i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		put_col(b, r, cols[i]);
	ct_buf_puts(b, "}");
	return b->oom ? CT_NOMEM : CT_OK;
}

/* ---- rejected records --------------------------------------------------- */

/*
 * Keeps a rejected record in its own rejected-<time>-<pid>-<seq>.jsonl of
 * the URL's spool directory (temporary name, fsync, rename, directory
 * fsync) and counts it; a failure to write counts it as lost.
 */
static void reject(struct wh_sink *wh, const char *body, size_t len)
{
	const char *dir = ct_spool_dir(wh->spool);
	char tmp[4096], dst[4096];
	unsigned seq;
	int fd, ok = 0;

	pthread_mutex_lock(&wh->mu);
	seq = wh->seq++;
	pthread_mutex_unlock(&wh->mu);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u", dir, (long)getpid(), seq);
	snprintf(dst, sizeof(dst), "%s/rejected-%010lld-%ld-%06u.jsonl", dir,
	    (long long)time(NULL), (long)getpid(), seq);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		ok = ct_write_all(fd, body, len) == 0 && ct_write_all(fd, "\n", 1) == 0 && fsync(fd) == 0;
		ok = close(fd) == 0 && ok && rename(tmp, dst) == 0;
		if (!ok)
			unlink(tmp);
		else if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	pthread_mutex_lock(&wh->mu);
	if (wh->rejected++ == 0)
		ct_log(&wh->log, CT_LOG_WARN, "webhook '%s' rejected a record (%s); kept in '%s'",
		    wh->shown, wh->rej_err, dir);
	if (!ok) {
		wh->lost++;
		if (wh->lost_err[0] == '\0')
			snprintf(wh->lost_err, sizeof(wh->lost_err), "cannot write '%.200s': %s",
			    dst, strerror(errno));
	}
	pthread_mutex_unlock(&wh->mu);
}

/* ---- HTTP --------------------------------------------------------------- */

static size_t discard(char *p, size_t size, size_t n, void *user)
{
	(void)p;
	(void)user;
	return size * n;
}

/*
 * Header callback: notes whether the header block of the last response
 * (after any 1xx) ended with its empty line.  A 2xx whose connection closed
 * inside its headers ("HTTP/1.1 200 OK" and no more) is not an answer the
 * server finished: the record is sent again (post), not counted delivered.
 */
static size_t on_header(char *p, size_t size, size_t n, void *user)
{
	struct wh_sink *wh = user;
	size_t len = size * n;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0)
		wh->head_done = false;   /* a status line: a new response's headers */
	else if ((len == 2 && p[0] == '\r' && p[1] == '\n') || (len == 1 && p[0] == '\n'))
		wh->head_done = true;
	return len;
}

/* Records a failed attempt and schedules the next one (worker only). */
static void failed(struct wh_sink *wh, const char *why)
{
	bool first = !wh->failing;

	pthread_mutex_lock(&wh->mu);
	snprintf(wh->net_err, sizeof(wh->net_err), "%s", why);
	pthread_mutex_unlock(&wh->mu);
	if (first)
		ct_log(&wh->log, CT_LOG_WARN, "webhook '%s': %s; spooling to '%s' and retrying",
		    wh->shown, why, ct_spool_dir(wh->spool));
	wh->failing = true;
	wh->next_ms = ct_spool_now_ms() + wh->backoff_ms;
	wh->backoff_ms = wh->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wh->backoff_ms * 2;
}

/*
 * The signature header of body sent at unix time t:
 * "X-Calltap-Signature: t=<t>,sha256=<hex HMAC-SHA256 of "<t>.<body>">"
 * under the --webhook-secret-file secret (docs/webhook.md shows how to
 * check it).  Signed at each attempt, so t is the time of that attempt.
 */
static void sign(const struct wh_opts *o, const char *body, size_t len, long long t,
    char *hdr, size_t size)
{
	struct ct_hmac_sha256 h;
	uint8_t mac[CT_SHA256_LEN];
	char ts[24], hex[2 * CT_SHA256_LEN + 1];
	int n = snprintf(ts, sizeof(ts), "%lld.", t);

	ct_hmac_sha256_init(&h, o->secret, o->secret_len);
	ct_hmac_sha256_feed(&h, ts, (size_t)n);
	ct_hmac_sha256_feed(&h, body, len);
	ct_hmac_sha256_final(&h, mac);
	snprintf(hdr, size, "X-Calltap-Signature: t=%lld,sha256=%s", t, ct_hex(mac, sizeof(mac), hex));
}

/*
 * Replaces, in msg (size bytes), every occurrence of the token and of the
 * secret by "***", scanning on after each replacement; cut to size.
 */
static void mask_own(const struct wh_opts *o, char *msg, size_t size)
{
	const char *const secrets[2] = { o->token, o->secret };
	char out[512];
	size_t i, n, k;
	const char *p;

	for (i = 0; i < 2; i++) {
		if (secrets[i] == NULL || (n = strlen(secrets[i])) == 0)
			continue;
		for (p = msg, k = 0; *p != '\0' && k + 4 < sizeof(out);) {
			if (strncmp(p, secrets[i], n) == 0) {
				memcpy(out + k, "***", 3);
				k += 3;
				p += n;
			} else {
				out[k++] = *p++;
			}
		}
		if (k >= size)
			k = size - 1;
		memcpy(msg, out, k);
		msg[k] = '\0';
	}
}

/* POSTs one body; WH_SENT (2xx), WH_RETRY or WH_REJECTED (worker only). */
static enum wh_result post(struct wh_sink *wh, const char *body, size_t len, int64_t deadline)
{
	char err[CURL_ERROR_SIZE] = "", why[200], raw[200], sig[128];
	struct curl_slist *hdrs = wh->headers, *l, *signed_hdrs = NULL;
	long code = 0, tmo = TIMEOUT_MS;
	CURLcode rc;

	if (deadline > 0 && deadline - ct_spool_now_ms() < tmo)
		tmo = deadline - ct_spool_now_ms() > 1 ? (long)(deadline - ct_spool_now_ms()) : 1;
	if (wh->opt.secret != NULL) {
		sign(&wh->opt, body, len, (long long)time(NULL), sig, sizeof(sig));
		for (l = wh->headers; l != NULL; l = l->next)
			if ((signed_hdrs = curl_slist_append(signed_hdrs, l->data)) == NULL)
				break;
		if (signed_hdrs == NULL || (hdrs = curl_slist_append(signed_hdrs, sig)) == NULL) {
			curl_slist_free_all(signed_hdrs);
			failed(wh, "out of memory signing the body");
			return WH_RETRY;
		}
	}
	curl_easy_setopt(wh->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(wh->curl, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, err);
	wh->head_done = false;
	rc = curl_easy_perform(wh->curl);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_setopt(wh->curl, CURLOPT_HTTPHEADER, wh->headers);
	curl_slist_free_all(signed_hdrs);
	if (rc != CURLE_OK) {
		snprintf(raw, sizeof(raw), "%.150s", err[0] ? err : curl_easy_strerror(rc));
		mask_own(&wh->opt, raw, sizeof(raw));
		failed(wh, ct_mask_secrets(why, sizeof(why), raw, wh->url));
		return WH_RETRY;
	}
	curl_easy_getinfo(wh->curl, CURLINFO_RESPONSE_CODE, &code);
	if (!wh->head_done) {
		failed(wh, "the response ended inside its headers");
		return WH_RETRY;
	}
	if (code >= 200 && code < 300) {
		wh->failing = false;
		wh->backoff_ms = BACKOFF_MIN_MS;
		return WH_SENT;
	}
	snprintf(why, sizeof(why), "HTTP status %ld", code);
	if (code >= 500 || code == 429 || code == 408 || code < 200) {
		failed(wh, why);
		return WH_RETRY;
	}
	pthread_mutex_lock(&wh->mu);
	if (wh->rejected == 0)
		snprintf(wh->rej_err, sizeof(wh->rej_err), "%s", why);
	pthread_mutex_unlock(&wh->mu);
	return WH_REJECTED;
}

/* ---- worker ------------------------------------------------------------- */

/*
 * Under wh->mu: waits until there is something to do.  Returns 1 to quit
 * (closing, and nothing more can be done in time), else 0.
 */
static int next_step(struct wh_sink *wh)
{
	int64_t wake;

	while ((wake = ct_spool_pace(wh->spool, ct_spool_now_ms(), wh->closing, wh->deadline_ms,
	    wh->failing, wh->next_ms, wh->idle_until_ms)) > 0)
		ct_spool_sleep(&wh->cv, &wh->mu, wake);
	return wake < 0;
}

/*
 * Sends every synced record in order, acknowledging each after its 2xx or
 * rejection; stops at the first retryable failure (the spool goes back to
 * that record) or at the close deadline.  Returns the records read.
 */
static size_t deliver(struct wh_sink *wh, int64_t deadline)
{
	size_t n = 0;

	ct_spool_sync(wh->spool);    /* on disk before delivery is attempted */
	while (ct_spool_read(wh->spool, &wh->rec) == CT_OK) {
		n++;
		switch (post(wh, wh->rec.p != NULL ? wh->rec.p : "", wh->rec.len, deadline)) {
		case WH_RETRY:
			ct_spool_rewind(wh->spool);
			return n;
		case WH_REJECTED:
			reject(wh, wh->rec.p != NULL ? wh->rec.p : "", wh->rec.len);
			break;
		case WH_SENT:
			pthread_mutex_lock(&wh->mu);
			wh->delivered++;
			pthread_mutex_unlock(&wh->mu);
			break;
		}
		ct_spool_ack(wh->spool);
		if (deadline > 0 && ct_spool_now_ms() >= deadline)
			return n;
	}
	return n;
}

/* The delivery thread: spool to the server, until close. */
static void *worker(void *arg)
{
	struct wh_sink *wh = arg;
	int64_t deadline;

	ct_thread_name("ct-webhook");
	for (;;) {
		pthread_mutex_lock(&wh->mu);
		if (next_step(wh)) {
			pthread_mutex_unlock(&wh->mu);
			return NULL;
		}
		deadline = wh->closing ? wh->deadline_ms : 0;
		pthread_mutex_unlock(&wh->mu);
		/* nothing readable although records are pending (a segment lost
		 * under us): do not spin, look again in a second */
		if (deliver(wh, deadline) == 0)
			wh->idle_until_ms = ct_spool_now_ms() + 1000;
	}
}

/* ---- sink methods ------------------------------------------------------- */

static void sink_free(struct wh_sink *wh)
{
	if (wh->curl != NULL)
		curl_easy_cleanup(wh->curl);
	curl_slist_free_all(wh->headers);
	curl_global_cleanup();
	ct_spool_close(wh->spool);
	pthread_cond_destroy(&wh->cv);
	pthread_mutex_destroy(&wh->mu);
	ct_buf_fini(&wh->rec);
	opts_free(&wh->opt);
	free(wh->url);
	free(wh->top);
	free(wh);
}

/*
 * Checks that the URL is http(s) with a host and parses; CT_OK or CT_ERR +
 * errbuf.  libcurl alone takes "http:///x" as host x: the text must name
 * the host right after "//".
 */
static int check_url(struct wh_sink *wh, char *errbuf)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	const char *p = strstr(wh->url, "://");
	int rc = CT_ERR;

	if (p == NULL || p[3] == '\0' || p[3] == '/' || p[3] == '?' || p[3] == '#') {
		ct_sink_err(errbuf, "invalid webhook URL '%s' (want http://HOST/... or "
		    "https://HOST/...)", wh->shown);
		curl_url_cleanup(u);
		return CT_ERR;
	}
	if (u != NULL && curl_url_set(u, CURLUPART_URL, wh->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host[0] != '\0' &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
		rc = CT_OK;
	else
		ct_sink_err(errbuf, "invalid webhook URL '%s' (want http:// or https://)", wh->shown);
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

static int old_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return strncmp(d->d_name, "pending-", 8) == 0 && n > 14 &&
	    strcmp(d->d_name + n - 6, ".jsonl") == 0;
}

/*
 * Spool files of calltap before the spool was keyed by URL (DIR/pending-*)
 * do not say which URL they were for: they are not sent anywhere, but said.
 */
static void warn_old_spool(const struct wh_sink *wh)
{
	struct dirent **names;
	int n = scandir(wh->top, &names, old_name, alphasort), i;

	if (n <= 0) {
		if (n == 0)
			free(names);
		return;
	}
	ct_log(&wh->log, CT_LOG_WARN, "spool '%s' holds %d file(s) pending-*.jsonl written by an "
	    "older calltap, which did not record their URL: not sent to '%s' (one JSON record "
	    "per line: POST them by hand where they belong)", wh->top, n, wh->shown);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/* Prepares the libcurl handle; CT_OK or CT_ERR. */
static int setup_curl(struct wh_sink *wh)
{
	struct curl_slist *l;

	wh->curl = curl_easy_init();
	wh->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (wh->headers != NULL)
		wh->headers = curl_slist_append(wh->headers, "Expect:");
	if (wh->curl == NULL || wh->headers == NULL)
		return CT_ERR;
	for (l = wh->opt.headers; l != NULL && wh->headers != NULL; l = l->next)
		wh->headers = curl_slist_append(wh->headers, l->data);
	if (wh->opt.token != NULL && wh->headers != NULL) {
		size_t n = strlen(wh->opt.token) + 32;
		char *auth = malloc(n);

		if (auth == NULL)
			return CT_ERR;
		snprintf(auth, n, "Authorization: Bearer %s", wh->opt.token);
		wh->headers = curl_slist_append(wh->headers, auth);
		memset(auth, 0, n);
		free(auth);
	}
	if (wh->headers == NULL)
		return CT_ERR;
	curl_easy_setopt(wh->curl, CURLOPT_URL, wh->url);
	curl_easy_setopt(wh->curl, CURLOPT_HTTPHEADER, wh->headers);
	curl_easy_setopt(wh->curl, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
	curl_easy_setopt(wh->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(wh->curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(wh->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(wh->curl, CURLOPT_HEADERDATA, wh);
	curl_easy_setopt(wh->curl, CURLOPT_USERAGENT, PACKAGE_STRING);
	return CT_OK;
}

/*
 * Opens the sink on args: target, the URL; spool_dir (NULL:
 * ./calltap-spool) and spool_max for the records not yet delivered.
 * Checks the URL, opens the URL's spool (creating it) and starts the worker,
 * which first sends what earlier runs spooled for this URL.  Returns the
 * state, or NULL with a message naming the (masked) URL or directory.
 */
static void *webhook_open(const struct ct_sink_args *args, char *errbuf)
{
	struct wh_sink *wh = calloc(1, sizeof(*wh));
	struct ct_spool_cfg cfg;

	if (wh == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	if (args->log != NULL)
		wh->log = *args->log;
	wh->backoff_ms = BACKOFF_MIN_MS;
	ct_buf_init(&wh->rec);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&wh->mu, NULL);
	ct_spool_cond_init(&wh->cv);
	wh->url = strdup(args->target);
	wh->top = strdup(args->spool_dir != NULL ? args->spool_dir : "calltap-spool");
	if (wh->url == NULL || wh->top == NULL) {
		ct_sink_err(errbuf, "webhook: out of memory");
		goto fail;
	}
	if (parse_opts(&wh->opt, args->opts, args->n_opts, errbuf) != CT_OK)
		goto fail;
	if (setup_curl(wh) != CT_OK) {
		ct_sink_err(errbuf, "webhook: out of memory");
		goto fail;
	}
	ct_mask_secrets(wh->shown, sizeof(wh->shown), wh->url, NULL);
	if (check_url(wh, errbuf) != CT_OK)
		goto fail;
	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = wh->top;
	cfg.kind = "webhook";
	cfg.key = wh->url;
	cfg.shown = wh->shown;
	cfg.max_bytes = args->spool_max;
	cfg.log = &wh->log;
	wh->spool = ct_spool_open(&cfg, errbuf);
	if (wh->spool == NULL)
		goto fail;
	warn_old_spool(wh);
	if (ct_thread_start(&wh->thread, worker, wh) != 0) {
		ct_sink_err(errbuf, "webhook '%s': cannot start thread", wh->shown);
		goto fail;
	}
	wh->started = true;
	return wh;
fail:
	sink_free(wh);
	return NULL;
}

/*
 * Renders the event for rec (start: call_start, else call_end), appends it
 * to the spool and wakes the worker.  Always CT_OK: an event the spool
 * could not take (full: dropped; I/O error: lost) is counted, said on
 * stderr, and reported by close.
 */
static int spool_event(struct wh_sink *wh, const struct ct_call_record *rec, bool start)
{
	struct ct_buf b;
	bool oom;
	int rc;

	ct_buf_init(&b);
	oom = (start ? render_start(&wh->opt, rec, &b) : render_end(&wh->opt, rec, &b)) != CT_OK ||
	    b.oom;
	rc = oom ? CT_ERR : ct_spool_append(wh->spool, b.p, b.len);  /* the spool counts its losses */
	ct_buf_fini(&b);
	pthread_mutex_lock(&wh->mu);
	if (oom && wh->lost_err[0] == '\0')
		snprintf(wh->lost_err, sizeof(wh->lost_err), "out of memory");
	if (rc == CT_ERR && !wh->said_lost) {
		wh->said_lost = true;
		ct_log(&wh->log, CT_LOG_ERR, "webhook '%s': a record is LOST: %s", wh->shown,
		    oom ? wh->lost_err : ct_spool_error(wh->spool));
	}
	wh->lost += oom;
	pthread_cond_signal(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	return CT_OK;
}

/* A finished call: its call_end event (unless --webhook-events leaves it out). */
static int webhook_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct wh_sink *wh = priv;

	(void)errbuf;
	return wh->opt.ev_end ? spool_event(wh, rec, false) : CT_OK;
}

/* A call that has just started: its call_start event with --webhook-events start. */
static int webhook_call_start(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct wh_sink *wh = priv;

	(void)errbuf;
	return wh->opt.ev_start ? spool_event(wh, rec, true) : CT_OK;
}

/* Makes the spooled records durable now.  Always CT_OK. */
static int webhook_flush(void *priv, char *errbuf)
{
	struct wh_sink *wh = priv;

	(void)errbuf;
	ct_spool_sync(wh->spool);
	return CT_OK;
}

/* Builds the close message; CT_OK when every record was delivered. */
static int close_report(struct wh_sink *wh, char *errbuf)
{
	struct ct_spool_stats st;

	ct_spool_get_stats(wh->spool, &st);
	if (wh->lost + st.lost > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) LOST: %s", wh->shown,
		    wh->lost + st.lost, wh->lost_err[0] ? wh->lost_err : ct_spool_error(wh->spool));
		return CT_ERR;
	}
	if (st.dropped > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) DROPPED: spool '%s' "
		    "was full (--spool-max)%s", wh->shown, st.dropped, ct_spool_dir(wh->spool),
		    st.pending > 0 ? "; more are not delivered yet" : "");
		return CT_ERR;
	}
	if (st.pending > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) not delivered (%s); "
		    "kept in spool '%s' for the next run%s", wh->shown, st.pending,
		    wh->net_err[0] ? wh->net_err : "not tried", ct_spool_dir(wh->spool),
		    wh->rejected > 0 ? "; some were also rejected" : "");
		return CT_ERR;
	}
	if (wh->rejected > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) rejected (first: %s); "
		    "kept in '%s/rejected-*.jsonl'", wh->shown, wh->rejected, wh->rej_err,
		    ct_spool_dir(wh->spool));
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * Delivers for at most DRAIN_S seconds, stops the worker and reports:
 * CT_ERR with counts when records were left undelivered (they stay in the
 * spool for the next run), dropped, rejected or lost.  priv is freed either
 * way.
 */
static int webhook_close(void *priv, char *errbuf)
{
	struct wh_sink *wh = priv;
	int rc;

	if (wh == NULL)
		return CT_OK;
	pthread_mutex_lock(&wh->mu);
	wh->closing = true;
	wh->deadline_ms = ct_spool_now_ms() + DRAIN_S * 1000;
	pthread_cond_signal(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	if (wh->started)
		pthread_join(wh->thread, NULL);
	rc = close_report(wh, errbuf);
	sink_free(wh);
	return rc;
}

/* No reopen: a spool and HTTP, no file to rotate (SIGHUP only flushes). */
const struct ct_sink_ops ct_sink_webhook = {
	.name = "webhook",
	.open = webhook_open,
	.write = webhook_write,
	.flush = webhook_flush,
	.close = webhook_close,
	.call_start = webhook_call_start,
};
