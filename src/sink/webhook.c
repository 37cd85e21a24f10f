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
 * References: RFC 9110 §15 (status codes: 2xx success, 408, 429 (RFC 6585
 * §4), 5xx), RFC 8259 (JSON), libcurl-tutorial(3), curl_easy_setopt(3),
 * POSIX rename(2)/fsync(2).
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
#include "calltap/sink.h"
#include "record_int.h"
#include "calltap/spool.h"

#define TIMEOUT_MS 5000          /* per request, connection included */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000
#define DRAIN_S 10               /* close waits this long for delivery */

enum wh_result { WH_SENT, WH_RETRY, WH_REJECTED };

struct wh_sink {
	struct ct_log log;           /* messages (log.h) */
	char *url;
	char shown[512];             /* url, credentials masked */
	char *top;                   /* --spool DIR */
	struct ct_spool *spool;
	CURL *curl;                  /* worker only */
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

/* POSTs one body; WH_SENT (2xx), WH_RETRY or WH_REJECTED (worker only). */
static enum wh_result post(struct wh_sink *wh, const char *body, size_t len, int64_t deadline)
{
	char err[CURL_ERROR_SIZE] = "", why[200], raw[200];
	long code = 0, tmo = TIMEOUT_MS;
	CURLcode rc;

	if (deadline > 0 && deadline - ct_spool_now_ms() < tmo)
		tmo = deadline - ct_spool_now_ms() > 1 ? (long)(deadline - ct_spool_now_ms()) : 1;
	curl_easy_setopt(wh->curl, CURLOPT_TIMEOUT_MS, tmo);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(wh->curl);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		snprintf(raw, sizeof(raw), "%.150s", err[0] ? err : curl_easy_strerror(rc));
		failed(wh, ct_mask_secrets(why, sizeof(why), raw, wh->url));
		return WH_RETRY;
	}
	curl_easy_getinfo(wh->curl, CURLINFO_RESPONSE_CODE, &code);
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
	free(wh->url);
	free(wh->top);
	free(wh);
}

/* Checks that the URL is http(s) and parses; CT_OK or CT_ERR + errbuf. */
static int check_url(struct wh_sink *wh, char *errbuf)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int rc = CT_ERR;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, wh->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
		rc = CT_OK;
	else
		ct_sink_err(errbuf, "invalid webhook URL '%s' (want http:// or https://)", wh->shown);
	curl_free(scheme);
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
	wh->curl = curl_easy_init();
	wh->headers = curl_slist_append(NULL, "Content-Type: application/json");
	if (wh->headers != NULL)
		wh->headers = curl_slist_append(wh->headers, "Expect:");
	if (wh->curl == NULL || wh->headers == NULL)
		return CT_ERR;
	curl_easy_setopt(wh->curl, CURLOPT_URL, wh->url);
	curl_easy_setopt(wh->curl, CURLOPT_HTTPHEADER, wh->headers);
	curl_easy_setopt(wh->curl, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
	curl_easy_setopt(wh->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(wh->curl, CURLOPT_WRITEFUNCTION, discard);
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
	if (wh->url == NULL || wh->top == NULL || setup_curl(wh) != CT_OK) {
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
	if (pthread_create(&wh->thread, NULL, worker, wh) != 0) {
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
 * Appends rec as JSON to the spool and wakes the worker.  Always CT_OK: a
 * record the spool could not take (full: dropped; I/O error: lost) is
 * counted, logged, and reported by close.
 */
static int webhook_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct wh_sink *wh = priv;
	struct ct_buf b;
	bool oom;
	int rc;

	(void)errbuf;
	ct_buf_init(&b);
	oom = ct_record_json(rec, &b) != CT_OK || b.oom;
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
};
