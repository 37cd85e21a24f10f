/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Webhook sink: POSTs each finished call record as one JSON object
 * (ct_record_json, Content-Type: application/json) to a URL, typically a
 * CRM.  Workload: records arrive from the packet loop, which must never wait
 * for the network, so write() only renders the JSON and appends it to a
 * bounded in-memory queue; one worker thread (pthread, one libcurl easy
 * handle, 5 s timeout) delivers them in order.  A delivery that fails in a
 * way worth retrying (network error, timeout, HTTP 5xx, 408, 429) moves the
 * record and everything queued behind it into the spool directory, and the
 * spool is retried, oldest file first, with exponential backoff from 1 s to
 * 5 min; a record leaves the spool only after a 2xx answer.  Other answers
 * (3xx, 4xx) are permanent rejections: the record is kept in a separate
 * rejected-*.jsonl file, reported, and not sent again.  Spool files are JSON
 * lines written to a temporary name, fsync()ed and renamed into place (the
 * directory is fsync()ed too), so a crash leaves either the old or the new
 * file, never half of one.  Records spooled by an earlier run are sent
 * before new ones.  At close the queue is drained for at most DRAIN_S
 * seconds; what is still undelivered is in the spool and counted in the
 * close message.  One calltap per spool directory (enforced with flock).
 * Delivery is at least once: a crash between a 2xx and the spool rewrite
 * sends that record again.
 * References: RFC 9110 §15 (status codes: 2xx success, 408, 429 (RFC 6585
 * §4), 5xx), RFC 8259 (JSON), RFC 7464 is not used (plain JSON lines),
 * libcurl-tutorial(3), curl_easy_setopt(3), POSIX rename(2)/fsync(2).
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "record_int.h"

#define MAX_QUEUE 10000          /* records in memory before write() spools */
#define TIMEOUT_MS 5000          /* per request, connection included */
#define BACKOFF_MIN_MS 1000
#define BACKOFF_MAX_MS 300000
#define DRAIN_S 10               /* close waits this long for delivery */
#define SPOOL_EVERY_MS 1000      /* while failing, queue -> spool this often */

struct wh_msg {
	struct wh_msg *next;
	size_t len;
	char body[];                 /* JSON, NUL-terminated */
};

/* One record to (re)write into a spool file. */
struct wh_line {
	const char *p;
	size_t len;
};

enum wh_result { WH_SENT, WH_RETRY, WH_REJECTED };

struct wh_sink {
	char *url;
	char *dir;                   /* spool directory */
	int lock_fd;                 /* flock()ed DIR/.lock */
	CURL *curl;                  /* worker only */
	struct curl_slist *headers;
	pthread_t thread;
	bool started;

	pthread_mutex_t mu;          /* guards everything below up to the worker-only part */
	pthread_cond_t cv;
	struct wh_msg *head, *tail;
	size_t n_queued;
	bool closing;
	int64_t deadline_ms;         /* closing: give up delivering after this */
	bool spool_pending;          /* pending-*.jsonl files exist */
	unsigned seq;                /* spool file names */
	uint64_t delivered, rejected, lost;
	char net_err[160];           /* last retryable failure */
	char rej_err[160];           /* first rejection */
	char spool_err[CT_ERRBUF_SIZE / 2];

	/* worker only */
	bool failing;                /* the last attempt failed; retry at next_ms */
	int64_t next_ms, backoff_ms, last_spool_ms;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- spool files -------------------------------------------------------- */

/* write(2) all of p; 0 or -1 (errno set). */
static int write_all(int fd, const char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Makes a rename in dir durable; errors are ignored (nothing to undo). */
static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/*
 * Writes lines[0..n) as JSON lines to DIR/name via a temporary file,
 * fsync() and rename().  name NULL: a new "<prefix>-<time>-<pid>-<seq>.jsonl".
 * CT_OK, or CT_ERR with the reason in wh->spool_err (the caller holds no lock).
 */
static int spool_write(struct wh_sink *wh, const char *prefix, const char *name,
    const struct wh_line *lines, size_t n)
{
	char tmp[4096], dst[4096];
	unsigned seq;
	size_t i;
	int fd, rc = 0;

	pthread_mutex_lock(&wh->mu);
	seq = wh->seq++;
	pthread_mutex_unlock(&wh->mu);
	snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u", wh->dir, (long)getpid(), seq);
	if (name != NULL)
		snprintf(dst, sizeof(dst), "%s/%s", wh->dir, name);
	else
		snprintf(dst, sizeof(dst), "%s/%s-%010lld-%ld-%06u.jsonl", wh->dir, prefix,
		    (long long)time(NULL), (long)getpid(), seq);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	for (i = 0; i < n && rc == 0; i++)
		rc = write_all(fd, lines[i].p, lines[i].len) || write_all(fd, "\n", 1) ? -1 : 0;
	if (rc != 0 || fsync(fd) != 0) {
		close(fd);
		unlink(tmp);
		goto fail;
	}
	if (close(fd) != 0 || rename(tmp, dst) != 0) {
		unlink(tmp);
		goto fail;
	}
	sync_dir(wh->dir);
	return CT_OK;
fail:
	pthread_mutex_lock(&wh->mu);
	snprintf(wh->spool_err, sizeof(wh->spool_err), "cannot write spool file in '%s': %s",
	    wh->dir, strerror(errno));
	pthread_mutex_unlock(&wh->mu);
	return CT_ERR;
}

/* Spools a list of messages as pending and frees it; failures count as lost. */
static void spool_list(struct wh_sink *wh, struct wh_msg *list)
{
	struct wh_line *lines;
	struct wh_msg *m, *next;
	size_t n = 0, i = 0;
	int rc = CT_ERR;

	for (m = list; m != NULL; m = m->next)
		n++;
	if (n == 0)
		return;
	lines = calloc(n, sizeof(*lines));
	if (lines != NULL) {
		for (m = list; m != NULL; m = m->next)
			lines[i++] = (struct wh_line){ m->body, m->len };
		rc = spool_write(wh, "pending", NULL, lines, n);
		free(lines);
	}
	pthread_mutex_lock(&wh->mu);
	if (rc == CT_OK)
		wh->spool_pending = true;
	else
		wh->lost += n;
	pthread_mutex_unlock(&wh->mu);
	for (m = list; m != NULL; m = next) {
		next = m->next;
		free(m);
	}
	wh->last_spool_ms = now_ms();
}

static int pending_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return strncmp(d->d_name, "pending-", 8) == 0 && n > 14 &&
	    strcmp(d->d_name + n - 6, ".jsonl") == 0;
}

/* Reads DIR/name whole; NULL on error.  *len excludes the added NUL. */
static char *read_file(const char *dir, const char *name, size_t *len)
{
	char path[4096];
	struct ct_buf b;
	char chunk[65536];
	size_t n;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	ct_buf_init(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		ct_buf_append(&b, chunk, n);
	if (ferror(fp) || b.oom || b.p == NULL) {
		fclose(fp);
		ct_buf_fini(&b);
		return NULL;
	}
	fclose(fp);
	*len = b.len;
	return b.p;   /* ownership moves to the caller */
}

/* Counts the records in DIR/pending-*.jsonl (the undelivered ones). */
static uint64_t count_pending(const char *dir)
{
	struct dirent **names;
	uint64_t total = 0;
	size_t len, k;
	char *text;
	int n, i;

	n = scandir(dir, &names, pending_name, alphasort);
	for (i = 0; i < n; i++) {
		text = read_file(dir, names[i]->d_name, &len);
		for (k = 0; text != NULL && k < len; k++)
			total += text[k] == '\n';
		free(text);
		free(names[i]);
	}
	if (n > 0)
		free(names);
	return total;
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
		fprintf(stderr, "calltap: webhook '%s': %s; spooling to '%s' and retrying\n",
		    wh->url, why, wh->dir);
	wh->failing = true;
	wh->next_ms = now_ms() + wh->backoff_ms;
	wh->backoff_ms = wh->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wh->backoff_ms * 2;
}

/* POSTs one body; WH_SENT (2xx), WH_RETRY or WH_REJECTED (worker only). */
static enum wh_result post(struct wh_sink *wh, const char *body, size_t len)
{
	char err[CURL_ERROR_SIZE] = "", why[160];
	long code = 0;
	CURLcode rc;

	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(wh->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, err);
	rc = curl_easy_perform(wh->curl);
	curl_easy_setopt(wh->curl, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		snprintf(why, sizeof(why), "%.150s", err[0] ? err : curl_easy_strerror(rc));
		failed(wh, why);
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

/* Keeps a rejected record in a rejected-*.jsonl file and counts it. */
static void reject(struct wh_sink *wh, const char *body, size_t len)
{
	struct wh_line line = { body, len };
	int rc = spool_write(wh, "rejected", NULL, &line, 1);

	pthread_mutex_lock(&wh->mu);
	if (wh->rejected++ == 0)
		fprintf(stderr, "calltap: webhook '%s' rejected a record (%s); kept in '%s'\n",
		    wh->url, wh->rej_err, wh->dir);
	if (rc != CT_OK)
		wh->lost++;
	pthread_mutex_unlock(&wh->mu);
}

/*
 * Sends a list in order and frees it; at the first retryable failure the
 * rest of the list (that record included) goes to the spool.
 */
static void send_list(struct wh_sink *wh, struct wh_msg *list)
{
	struct wh_msg *m;

	while ((m = list) != NULL) {
		switch (post(wh, m->body, m->len)) {
		case WH_RETRY:
			spool_list(wh, list);
			return;
		case WH_REJECTED:
			reject(wh, m->body, m->len);
			break;
		case WH_SENT:
			pthread_mutex_lock(&wh->mu);
			wh->delivered++;
			pthread_mutex_unlock(&wh->mu);
			break;
		}
		list = m->next;
		free(m);
	}
}

/*
 * Sends the lines of one spool file.  Returns the length of the leading
 * part whose lines are done with (delivered or rejected); *stopped when a
 * retryable failure ended the file early.
 */
static size_t send_lines(struct wh_sink *wh, char *text, size_t len, bool *stopped)
{
	size_t done = 0, start = 0, end;

	*stopped = false;
	while (start < len) {
		for (end = start; end < len && text[end] != '\n'; end++)
			;
		if (end > start) {
			enum wh_result r;

			text[end] = '\0';
			r = post(wh, text + start, end - start);
			if (end < len)
				text[end] = '\n';
			if (r == WH_RETRY) {
				*stopped = true;
				return start;
			}
			if (r == WH_REJECTED)
				reject(wh, text + start, end - start);
			pthread_mutex_lock(&wh->mu);
			wh->delivered += r == WH_SENT;
			pthread_mutex_unlock(&wh->mu);
		}
		start = done = end + 1;
	}
	return done > len ? len : done;
}

/*
 * Retries one spool file: removes it when every record is done with, else
 * rewrites it with the records left.  Returns false when sending stopped.
 */
static bool retry_file(struct wh_sink *wh, const char *name)
{
	struct wh_line rest;
	char path[4096];
	size_t len, done;
	bool stopped;
	char *text;

	text = read_file(wh->dir, name, &len);
	if (text == NULL)
		return true;   /* gone or unreadable; count_pending still reports it */
	done = send_lines(wh, text, len, &stopped);
	if (!stopped) {
		snprintf(path, sizeof(path), "%s/%s", wh->dir, name);
		unlink(path);
		sync_dir(wh->dir);
	} else if (done > 0) {
		rest = (struct wh_line){ text + done, len - done };
		if (rest.len > 0 && rest.p[rest.len - 1] == '\n')
			rest.len--;
		spool_write(wh, "pending", name, &rest, 1);
	}
	free(text);
	return !stopped;
}

/* Retries the spool, oldest file first, until a failure (worker only). */
static void retry_spool(struct wh_sink *wh)
{
	struct dirent **names;
	bool ok = true;
	int n, i;

	n = scandir(wh->dir, &names, pending_name, alphasort);
	for (i = 0; i < n; i++) {
		if (ok)
			ok = retry_file(wh, names[i]->d_name);
		free(names[i]);
	}
	if (n >= 0)
		free(names);
	if (ok && n >= 0) {
		pthread_mutex_lock(&wh->mu);
		wh->spool_pending = false;
		pthread_mutex_unlock(&wh->mu);
	}
}

/* ---- worker ------------------------------------------------------------- */

/* Waits on the condition variable until abs_ms (monotonic), or forever if < 0. */
static void wait_until(struct wh_sink *wh, int64_t abs_ms)
{
	struct timespec ts;

	if (abs_ms < 0) {
		pthread_cond_wait(&wh->cv, &wh->mu);
		return;
	}
	ts.tv_sec = abs_ms / 1000;
	ts.tv_nsec = (abs_ms % 1000) * 1000000;
	pthread_cond_timedwait(&wh->cv, &wh->mu, &ts);
}

static int64_t earliest(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	return b < 0 || a < b ? a : b;
}

/*
 * Under wh->mu: waits until there is something to do.  Returns 1 to quit
 * (closing and nothing more can be done in time), else 0 with *due set when
 * the spool should be retried now.
 */
static int next_step(struct wh_sink *wh, bool *due)
{
	int64_t now, wake;
	bool queue_ready;

	for (;;) {
		now = now_ms();
		*due = wh->spool_pending && now >= wh->next_ms;
		if (wh->closing && (now >= wh->deadline_ms ||
		    (wh->head == NULL && !wh->spool_pending) ||
		    (wh->failing && wh->next_ms > wh->deadline_ms)))
			return 1;
		/* While failing, records are spooled in batches, not one file each. */
		queue_ready = wh->head != NULL && (!wh->failing || wh->closing ||
		    now >= wh->last_spool_ms + SPOOL_EVERY_MS || wh->n_queued >= MAX_QUEUE / 2);
		if (*due || queue_ready)
			return 0;
		wake = wh->spool_pending ? wh->next_ms : -1;
		if (wh->closing)
			wake = earliest(wake, wh->deadline_ms);
		if (wh->head != NULL)
			wake = earliest(wake, wh->last_spool_ms + SPOOL_EVERY_MS);
		wait_until(wh, wake);
	}
}

static bool spool_pending(struct wh_sink *wh)
{
	bool p;

	pthread_mutex_lock(&wh->mu);
	p = wh->spool_pending;
	pthread_mutex_unlock(&wh->mu);
	return p;
}

/* The delivery thread: queue and spool to the server, until close. */
static void *worker(void *arg)
{
	struct wh_sink *wh = arg;
	struct wh_msg *batch;
	bool due;
	int quit;

	for (;;) {
		pthread_mutex_lock(&wh->mu);
		quit = next_step(wh, &due);
		batch = wh->head;
		wh->head = wh->tail = NULL;
		wh->n_queued = 0;
		pthread_mutex_unlock(&wh->mu);
		if (quit) {
			spool_list(wh, batch);
			return NULL;
		}
		if (due)
			retry_spool(wh);
		if (batch != NULL && (wh->failing || spool_pending(wh)))
			spool_list(wh, batch);    /* behind the older records */
		else if (batch != NULL)
			send_list(wh, batch);
	}
}

/* ---- sink methods ------------------------------------------------------- */

static void sink_free(struct wh_sink *wh)
{
	struct wh_msg *m;

	while ((m = wh->head) != NULL) {
		wh->head = m->next;
		free(m);
	}
	if (wh->curl != NULL)
		curl_easy_cleanup(wh->curl);
	curl_slist_free_all(wh->headers);
	curl_global_cleanup();
	if (wh->lock_fd >= 0)
		close(wh->lock_fd);
	pthread_cond_destroy(&wh->cv);
	pthread_mutex_destroy(&wh->mu);
	free(wh->url);
	free(wh->dir);
	free(wh);
}

/* Splits "URL DIR" into wh->url and wh->dir; CT_OK or CT_ERR (no memory). */
static int split_arg(struct wh_sink *wh, const char *arg)
{
	const char *sp = strchr(arg, ' ');

	wh->url = sp != NULL ? strndup(arg, (size_t)(sp - arg)) : strdup(arg);
	wh->dir = strdup(sp != NULL && sp[1] != '\0' ? sp + 1 : "calltap-spool");
	return wh->url != NULL && wh->dir != NULL ? CT_OK : CT_ERR;
}

/* Checks that the URL is http(s) and parses; CT_OK or CT_ERR + errbuf. */
static int check_url(const char *url, char *errbuf)
{
	CURLU *u = curl_url();
	char *scheme = NULL;
	int rc = CT_ERR;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    (strcmp(scheme, "http") == 0 || strcmp(scheme, "https") == 0))
		rc = CT_OK;
	else
		ct_sink_err(errbuf, "invalid webhook URL '%s' (want http:// or https://)", url);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* Creates the spool directory if needed and locks it; CT_OK or CT_ERR + errbuf. */
static int open_spool(struct wh_sink *wh, char *errbuf)
{
	char path[4096];

	if (mkdir(wh->dir, 0700) != 0 && errno != EEXIST) {
		ct_sink_err(errbuf, "cannot create spool directory '%s': %s", wh->dir, strerror(errno));
		return CT_ERR;
	}
	snprintf(path, sizeof(path), "%s/.lock", wh->dir);
	wh->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (wh->lock_fd < 0) {
		ct_sink_err(errbuf, "cannot use spool directory '%s': %s", wh->dir, strerror(errno));
		return CT_ERR;
	}
	if (flock(wh->lock_fd, LOCK_EX | LOCK_NB) != 0) {
		ct_sink_err(errbuf, "spool directory '%s' is in use by another calltap", wh->dir);
		return CT_ERR;
	}
	wh->spool_pending = count_pending(wh->dir) > 0;
	return CT_OK;
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
 * Opens the sink on arg "URL" or "URL SPOOLDIR" (default ./calltap-spool):
 * checks the URL, creates and locks the spool directory and starts the
 * worker, which first re-sends what earlier runs spooled.  Returns the state,
 * or NULL with a message naming the URL or directory in errbuf.
 */
static void *webhook_open(const char *arg, char *errbuf)
{
	struct wh_sink *wh = calloc(1, sizeof(*wh));
	pthread_condattr_t ca;

	if (wh == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return NULL;
	}
	wh->lock_fd = -1;
	wh->backoff_ms = BACKOFF_MIN_MS;
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pthread_mutex_init(&wh->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&wh->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (split_arg(wh, arg) != CT_OK || setup_curl(wh) != CT_OK) {
		ct_sink_err(errbuf, "webhook: out of memory");
		goto fail;
	}
	if (check_url(wh->url, errbuf) != CT_OK || open_spool(wh, errbuf) != CT_OK)
		goto fail;
	if (pthread_create(&wh->thread, NULL, worker, wh) != 0) {
		ct_sink_err(errbuf, "webhook '%s': cannot start thread", wh->url);
		goto fail;
	}
	wh->started = true;
	return wh;
fail:
	sink_free(wh);
	return NULL;
}

/*
 * Queues rec as JSON for the worker.  When the queue is full the record is
 * spooled right here instead.  CT_OK, or CT_ERR when it could not even be
 * spooled (message names the directory).
 */
static int webhook_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct wh_sink *wh = priv;
	struct wh_msg *m;
	struct wh_line line;
	struct ct_buf b;

	ct_buf_init(&b);
	if (ct_record_json(rec, &b) != CT_OK || b.oom ||
	    (m = malloc(sizeof(*m) + b.len + 1)) == NULL) {
		ct_buf_fini(&b);
		ct_sink_err(errbuf, "webhook '%s': out of memory", wh->url);
		return CT_ERR;
	}
	m->next = NULL;
	m->len = b.len;
	memcpy(m->body, b.p, b.len + 1);
	ct_buf_fini(&b);
	pthread_mutex_lock(&wh->mu);
	if (wh->n_queued < MAX_QUEUE) {
		if (wh->tail != NULL)
			wh->tail->next = m;
		else
			wh->head = m;
		wh->tail = m;
		wh->n_queued++;
		pthread_cond_signal(&wh->cv);
		pthread_mutex_unlock(&wh->mu);
		return CT_OK;
	}
	pthread_mutex_unlock(&wh->mu);
	line = (struct wh_line){ m->body, m->len };
	if (spool_write(wh, "pending", NULL, &line, 1) == CT_OK) {
		pthread_mutex_lock(&wh->mu);
		wh->spool_pending = true;
		pthread_mutex_unlock(&wh->mu);
		free(m);
		return CT_OK;
	}
	free(m);
	pthread_mutex_lock(&wh->mu);
	ct_sink_err(errbuf, "webhook '%s': queue full and %s", wh->url, wh->spool_err);
	pthread_mutex_unlock(&wh->mu);
	return CT_ERR;
}

/* Nothing to do: the worker delivers continuously.  Always CT_OK. */
static int webhook_flush(void *priv, char *errbuf)
{
	(void)priv;
	(void)errbuf;
	return CT_OK;
}

/* Builds the close message; CT_OK when every record was delivered. */
static int close_report(struct wh_sink *wh, uint64_t undelivered, char *errbuf)
{
	if (wh->lost > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) LOST: %s", wh->url,
		    wh->lost, wh->spool_err);
		return CT_ERR;
	}
	if (undelivered > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) not delivered (%s); "
		    "kept in spool '%s' for the next run%s", wh->url, undelivered,
		    wh->net_err[0] ? wh->net_err : "not tried", wh->dir,
		    wh->rejected > 0 ? "; some were also rejected" : "");
		return CT_ERR;
	}
	if (wh->rejected > 0) {
		ct_sink_err(errbuf, "webhook '%s': %" PRIu64 " record(s) rejected (first: %s); "
		    "kept in '%s/rejected-*.jsonl'", wh->url, wh->rejected, wh->rej_err, wh->dir);
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * Drains the queue for at most DRAIN_S seconds, stops the worker (what is
 * left goes to the spool) and reports: CT_ERR with counts when records were
 * left undelivered, rejected or lost.  priv is freed either way.
 */
static int webhook_close(void *priv, char *errbuf)
{
	struct wh_sink *wh = priv;
	int rc;

	if (wh == NULL)
		return CT_OK;
	pthread_mutex_lock(&wh->mu);
	wh->closing = true;
	wh->deadline_ms = now_ms() + DRAIN_S * 1000;
	pthread_cond_signal(&wh->cv);
	pthread_mutex_unlock(&wh->mu);
	if (wh->started)
		pthread_join(wh->thread, NULL);
	rc = close_report(wh, count_pending(wh->dir), errbuf);
	sink_free(wh);
	return rc;
}

const struct ct_sink_ops ct_sink_webhook = {
	.name = "webhook",
	.open = webhook_open,
	.write = webhook_write,
	.flush = webhook_flush,
	.close = webhook_close,
};
