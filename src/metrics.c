/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --metrics: Prometheus text exposition (format 0.0.4) on a socket of its
 * own thread.  The thread polls the listening socket, at most METRICS_CLIENTS
 * clients and a wake-up pipe; a client's request is read into a bounded
 * buffer (METRICS_REQ_MAX bytes, METRICS_TIMEOUT_MS to send it), answered
 * with one HTTP/1.0 response and closed.  The listening socket is always
 * polled: a new client when every slot is taken evicts the longest-waiting
 * one still sending its request, so idle or dripping connections (however
 * many, re-opened as fast as they are dropped) cannot starve a scrape that
 * sends its request at once; with TCP_DEFER_ACCEPT (Linux) a client is
 * accepted only once its first bytes came, so such a scrape is answered
 * at accept and idle connections take no slot.  State: the record-fed counters
 * (the metrics sink, output thread) and the engine snapshot (the driver,
 * once per tick), both under mu; rendering copies them first.
 */
#define _GNU_SOURCE 1   /* accept4, pipe2 */
#include "calltap/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/thread.h"

#define METRICS_CLIENTS 32
#define METRICS_BACKLOG 64
#define METRICS_REQ_MAX 4096
#define METRICS_TIMEOUT_MS 5000
#define METRICS_FD_PAUSE_MS 100   /* out of descriptors, none to free: accept again after */
#define METRICS_SINKS CT_SINKSET_MAX
#define N_DISP (CT_DISP_UNFINISHED + 1)

/* Histogram upper bounds (the +Inf bucket is implicit). */
static const double setup_bounds[] = { 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60 };
static const double answer_bounds[] = { 0.5, 1, 2, 5, 10, 15, 20, 30, 45, 60, 120 };
static const double mos_bounds[] = { 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.2, 4.4 };
static const double loss_bounds[] = { 0, 0.5, 1, 2, 5, 10, 20, 50, 100 };
#define NB(a) (sizeof(a) / sizeof(a[0]))
#define MAX_BOUNDS 16

struct histo {
	uint64_t buckets[MAX_BOUNDS];   /* non-cumulative per bound; the last: above all */
	uint64_t count;
	double sum;
};

/* What the server reads: every field copied under mu. */
struct counters {
	uint64_t calls[N_DISP];
	uint64_t rejected;              /* 603 Decline not counted busy (a CANCEL crossed it): the user said no */
	double talk_s;                  /* sum over answered calls */
	struct histo setup, answer, mos, loss;
	bool published;                 /* the engine snapshot below is set */
	uint64_t active, frames, invalid, sip_malformed, drops, ifdrops, rtp_packets;
	uint64_t evicted[CT_EVICT_COUNT], evicted_memory, refused; /* full table, memory budget */
	const struct ct_sinkset *sinks; /* per-output counters, read when rendering (atomics) */
	uint64_t sink_errors, queue_waits;
	bool hep_in;                    /* --hep-listen: the collector's counters below */
	struct ct_hep_in_stats hep;
};

struct client {
	int fd;                         /* -1: free slot */
	char req[METRICS_REQ_MAX];
	size_t len;
	struct ct_buf out;
	size_t sent;
	bool answering;
	int64_t since_ms;               /* accepted at (monotonic ms) */
	int64_t deadline_ms;
};

struct ct_metrics {
	pthread_mutex_t mu;
	struct counters c;              /* under mu */
	char *sensor;                   /* label value, escaped for the text format */
	int lfd;                        /* listening socket */
	int wake[2];                    /* write a byte: the thread stops */
	unsigned port;
	pthread_t thread;
	bool running;
	struct client cl[METRICS_CLIENTS];   /* the server thread's own */
	int64_t accept_after_ms;             /* the server thread's: listener not polled before */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Label value escaping of the text format: \\, \" and \n. */
static char *escape_label(const char *s)
{
	char *out = malloc(strlen(s) * 2 + 1), *p = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"') {
			*p++ = '\\';
			*p++ = *s;
		} else if (*s == '\n') {
			*p++ = '\\';
			*p++ = 'n';
		} else
			*p++ = *s;
	}
	*p = '\0';
	return out;
}

/*
 * Splits "HOST:PORT" or "[V6]:PORT" into host and port (copies in hbuf).
 * CT_OK, or CT_ERR.
 */
static int split_addr(const char *addr, char *hbuf, size_t hsize, const char **port)
{
	const char *colon, *end;
	size_t n;

	if (addr[0] == '[') {
		end = strchr(addr, ']');
		if (end == NULL || end[1] != ':')
			return CT_ERR;
		n = (size_t)(end - addr - 1);
		addr++;
		colon = end + 1;
	} else {
		colon = strrchr(addr, ':');
		if (colon == NULL || memchr(addr, ':', (size_t)(colon - addr)) != NULL)
			return CT_ERR;
		n = (size_t)(colon - addr);
	}
	if (n == 0 || n >= hsize)
		return CT_ERR;
	memcpy(hbuf, addr, n);
	hbuf[n] = '\0';
	*port = colon + 1;
	if (**port == '\0' || strspn(*port, "0123456789") != strlen(*port) || strlen(*port) > 5 ||
	    atoi(*port) > 65535)
		return CT_ERR;
	return CT_OK;
}

/* Binds and listens on addr; the socket, or -1 with errbuf. */
static int listen_on(const char *addr, unsigned *port, char *errbuf)
{
	char host[256], serv[16];
	const char *p;
	struct addrinfo hints, *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd = -1, rc, one = 1, err = 0;

	if (split_addr(addr, host, sizeof(host), &p) != CT_OK) {
		snprintf(errbuf, CT_ERRBUF_SIZE,
		    "--metrics %s: expected ADDR:PORT (127.0.0.1:9105, [::1]:9105)", addr);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	rc = getaddrinfo(host, p, &hints, &res);
	if (rc != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--metrics %s: %s", addr, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		if (fd < 0) {
			err = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, METRICS_BACKLOG) == 0)
			break;
		err = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--metrics %s: %s", addr, strerror(err));
		return -1;
	}
#ifdef TCP_DEFER_ACCEPT
	/*
	 * A client is accepted once its request's first bytes are there (or
	 * after the timeout): a scrape then comes with its request and is
	 * answered at accept, never waiting in a slot that a flood of new
	 * connections could evict before its bytes arrive (the slowloris test
	 * under a loaded machine), and idle connections take no slot at all.
	 */
	{
		int secs = METRICS_TIMEOUT_MS / 1000;

		(void)setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &secs, sizeof(secs));
	}
#endif
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0 &&
	    getnameinfo((struct sockaddr *)&ss, sl, NULL, 0, serv, sizeof(serv),
	    NI_NUMERICSERV) == 0)
		*port = (unsigned)atoi(serv);
	return fd;
}

/* Observes v in h (bounds b[0..n)). */
static void histo_observe(struct histo *h, const double *b, size_t n, double v)
{
	size_t i;

	for (i = 0; i < n && v > b[i]; i++)
		;
	h->buckets[i]++;
	h->count++;
	h->sum += v;
}

/* ---- the sink (output thread) ---- */

static void *metrics_open(const struct ct_sink_args *args, char *errbuf)
{
	if (args->ctx == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "metrics sink: no metrics object");
		return NULL;
	}
	return args->ctx;   /* owned by the driver (ct_metrics_free) */
}

/* One finished call: its disposition, talk time and histograms. */
static int metrics_write(void *priv, const struct ct_call_record *r, char *errbuf)
{
	struct ct_metrics *m = priv;
	double mos = 0, loss = 0, talk;
	bool any_loss = false;
	int64_t setup = ct_record_setup_ms(r), answer = ct_record_answer_ms(r);
	size_t i;

	(void)errbuf;
	for (i = 0; i < r->n_streams; i++) {
		const struct ct_stream_stats *st = &r->streams[i];

		if (st->mos > 0 && (mos == 0 || st->mos < mos))   /* as mos_min */
			mos = st->mos;
		if (!st->video && isfinite(st->loss_pct) && (!any_loss || st->loss_pct > loss)) {
			loss = st->loss_pct;   /* as the record's loss_pct_max */
			any_loss = true;
		}
	}
	talk = ct_record_talk_s(r);
	pthread_mutex_lock(&m->mu);
	if ((unsigned)r->disposition < N_DISP)
		m->c.calls[r->disposition]++;
	if (r->final_code == 603 && r->disposition != CT_DISP_BUSY)
		m->c.rejected++;
	if (r->disposition == CT_DISP_ANSWERED && talk > 0)
		m->c.talk_s += talk;
	if (setup >= 0)
		histo_observe(&m->c.setup, setup_bounds, NB(setup_bounds), (double)setup / 1000);
	if (answer >= 0)
		histo_observe(&m->c.answer, answer_bounds, NB(answer_bounds), (double)answer / 1000);
	if (mos > 0)
		histo_observe(&m->c.mos, mos_bounds, NB(mos_bounds), mos);
	if (any_loss)
		histo_observe(&m->c.loss, loss_bounds, NB(loss_bounds), loss);
	pthread_mutex_unlock(&m->mu);
	return CT_OK;
}

static int metrics_close(void *priv, char *errbuf)
{
	(void)priv;
	(void)errbuf;
	return CT_OK;   /* the driver frees the object after the sink set */
}

const struct ct_sink_ops ct_sink_metrics = {
	.name = "metrics",
	.open = metrics_open,
	.write = metrics_write,
	.close = metrics_close,
};

/* ---- the snapshot (capture thread, once per tick) ---- */

void ct_metrics_publish(struct ct_metrics *m, const struct ct_engine_stats *es,
    const struct ct_sinkset *sinks)
{
	struct ct_sinkset_stats st;

	memset(&st, 0, sizeof(st));
	if (sinks != NULL)
		ct_sinkset_get_stats(sinks, &st);
	pthread_mutex_lock(&m->mu);
	m->c.published = true;
	m->c.active = es->dialog.active;
	m->c.frames = es->c.frames;
	m->c.invalid = es->c.invalid;
	m->c.sip_malformed = es->c.sip_malformed;
	m->c.drops = es->c.capture_drops;
	m->c.ifdrops = es->c.capture_ifdrops;
	m->c.rtp_packets = es->rtp ? es->c.rtp_packets : 0;
	memcpy(m->c.evicted, es->dialog.evicted, sizeof(m->c.evicted));
	m->c.evicted_memory = es->dialog.evicted_for_memory;
	m->c.refused = es->dialog.dropped;
	m->c.hep_in = es->hep_in;
	m->c.hep = es->hep_in_st;
	m->c.sinks = sinks;
	m->c.sink_errors = st.errors;
	m->c.queue_waits = st.queue_waits;
	pthread_mutex_unlock(&m->mu);
}

/* ---- rendering ---- */

static void head(struct ct_buf *b, const char *name, const char *type, const char *help)
{
	ct_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void one(struct ct_buf *b, const struct ct_metrics *m, const char *name,
    const char *type, const char *help, uint64_t v)
{
	head(b, name, type, help);
	ct_buf_printf(b, "%s{sensor=\"%s\"} %llu\n", name, m->sensor, (unsigned long long)v);
}

/* A double in the text format (NaN for an undefined ratio). */
static void num(struct ct_buf *b, double v)
{
	if (v != v)
		ct_buf_puts(b, "NaN");
	else
		ct_buf_printf(b, "%.17g", v);
}

static void ratio(struct ct_buf *b, const struct ct_metrics *m, const char *name,
    const char *help, double num_, double den)
{
	head(b, name, "gauge", help);
	ct_buf_printf(b, "%s{sensor=\"%s\"} ", name, m->sensor);
	num(b, den > 0 ? num_ / den : 0.0 / 0.0);
	ct_buf_puts(b, "\n");
}

static void histogram(struct ct_buf *b, const struct ct_metrics *m, const char *name,
    const char *help, const struct histo *h, const double *bounds, size_t n)
{
	uint64_t cum = 0;
	size_t i;

	head(b, name, "histogram", help);
	for (i = 0; i < n; i++) {
		cum += h->buckets[i];
		ct_buf_printf(b, "%s_bucket{sensor=\"%s\",le=\"%g\"} %llu\n", name, m->sensor,
		    bounds[i], (unsigned long long)cum);
	}
	ct_buf_printf(b, "%s_bucket{sensor=\"%s\",le=\"+Inf\"} %llu\n", name, m->sensor,
	    (unsigned long long)h->count);
	ct_buf_printf(b, "%s_sum{sensor=\"%s\"} ", name, m->sensor);
	num(b, h->sum);
	ct_buf_printf(b, "\n%s_count{sensor=\"%s\"} %llu\n", name, m->sensor,
	    (unsigned long long)h->count);
}

int ct_metrics_render(struct ct_metrics *m, struct ct_buf *b)
{
	struct ct_sink_stats ss[METRICS_SINKS];
	struct counters c;
	uint64_t attempts = 0;
	size_t i, n_sinks = 0;
	int d;

	pthread_mutex_lock(&m->mu);
	c = m->c;
	pthread_mutex_unlock(&m->mu);
	if (c.sinks != NULL) {   /* live: a record written is counted at once */
		n_sinks = ct_sinkset_count(c.sinks);
		if (n_sinks > METRICS_SINKS)
			n_sinks = METRICS_SINKS;
		for (i = 0; i < n_sinks; i++)
			ct_sinkset_sink_stats(c.sinks, i, &ss[i]);
	}
	for (d = 0; d < N_DISP; d++)
		attempts += c.calls[d];
	one(b, m, "calltap_calls_active", "gauge", "Calls open in the dialog table now.",
	    c.active);
	head(b, "calltap_calls_total", "counter",
	    "Finished call records, by disposition.");
	for (d = 0; d < N_DISP; d++)
		ct_buf_printf(b, "calltap_calls_total{sensor=\"%s\",disposition=\"%s\"} %llu\n",
		    m->sensor, ct_disposition_name((enum ct_disposition)d),
		    (unsigned long long)c.calls[d]);
	ratio(b, m, "calltap_asr", "Answer-seizure ratio: answered calls / all call records.",
	    (double)c.calls[CT_DISP_ANSWERED], (double)attempts);
	ratio(b, m, "calltap_ner", "Network effectiveness ratio: (answered + busy + noanswer + "
	    "user-rejected) / all call records.", (double)(c.calls[CT_DISP_ANSWERED] +
	    c.calls[CT_DISP_BUSY] + c.calls[CT_DISP_NOANSWER] + c.rejected), (double)attempts);
	ratio(b, m, "calltap_acd_seconds", "Average call duration: mean talk seconds of the "
	    "answered calls.", c.talk_s, (double)c.calls[CT_DISP_ANSWERED]);
	head(b, "calltap_talk_seconds_total", "counter", "Talk seconds of the answered calls.");
	ct_buf_printf(b, "calltap_talk_seconds_total{sensor=\"%s\"} ", m->sensor);
	num(b, c.talk_s);
	ct_buf_puts(b, "\n");
	histogram(b, m, "calltap_setup_seconds", "First INVITE to first 180/183 (setup_ms).",
	    &c.setup, setup_bounds, NB(setup_bounds));
	histogram(b, m, "calltap_answer_seconds", "First INVITE to the 2xx (answer_ms).",
	    &c.answer, answer_bounds, NB(answer_bounds));
	histogram(b, m, "calltap_call_mos_min", "Lowest MOS of a call's RTP streams, per call "
	    "with a MOS.", &c.mos, mos_bounds, NB(mos_bounds));
	histogram(b, m, "calltap_call_loss_pct_max", "Highest packet loss percentage of a "
	    "call's RTP streams, per call with RTP.", &c.loss, loss_bounds, NB(loss_bounds));
	one(b, m, "calltap_packets_total", "counter", "Frames read from the capture.", c.frames);
	one(b, m, "calltap_frames_malformed_total", "counter", "Frames that failed to decode.",
	    c.invalid);
	one(b, m, "calltap_sip_malformed_total", "counter", "SIP messages rejected as malformed.",
	    c.sip_malformed);
	one(b, m, "calltap_rtp_packets_total", "counter", "RTP packets matched to a call.",
	    c.rtp_packets);
	head(b, "calltap_calls_evicted_total", "counter",
	    "Open calls closed early for room (full call table, media table or memory budget), "
	    "by eviction class.");
	for (d = 0; d < CT_EVICT_COUNT; d++)
		ct_buf_printf(b, "calltap_calls_evicted_total{sensor=\"%s\",class=\"%s\"} %llu\n",
		    m->sensor, ct_evict_class_name((enum ct_evict_class)d),
		    (unsigned long long)c.evicted[d]);
	one(b, m, "calltap_calls_evicted_for_memory_total", "counter",
	    "Of the evicted calls, those closed for memory (--max-call-memory, media table).",
	    c.evicted_memory);
	one(b, m, "calltap_calls_refused_total", "counter",
	    "New calls refused: the call table full and nothing to evict.", c.refused);
	one(b, m, "calltap_capture_drops_total", "counter",
	    "Packets the kernel dropped (live capture).", c.drops);
	one(b, m, "calltap_capture_ifdrops_total", "counter",
	    "Packets the interface dropped (live capture).", c.ifdrops);
	if (c.hep_in) {
		one(b, m, "calltap_hep_in_packets_total", "counter",
		    "HEP packets received (--hep-listen).", c.hep.packets);
		one(b, m, "calltap_hep_in_sip_total", "counter",
		    "SIP messages received over HEP and analysed.", c.hep.sip);
		one(b, m, "calltap_hep_in_other_total", "counter",
		    "HEP packets of another payload type than SIP, ignored.", c.hep.other);
		one(b, m, "calltap_hep_in_malformed_total", "counter",
		    "HEP packets (or TCP streams) that were not valid HEP v3.", c.hep.malformed);
		one(b, m, "calltap_hep_in_auth_failed_total", "counter",
		    "HEP packets without the --hep-password auth key.", c.hep.auth_failed);
		one(b, m, "calltap_hep_in_ts_ahead_total", "counter",
		    "SIP over HEP stamped over a minute after it arrived (taken at arrival).",
		    c.hep.ts_ahead);
		one(b, m, "calltap_hep_in_tcp_refused_total", "counter",
		    "HEP TCP connections refused (too many open).", c.hep.tcp_refused);
		one(b, m, "calltap_hep_in_tcp_evicted_total", "counter",
		    "HEP TCP connections closed for a new one (no valid packet sent yet).",
		    c.hep.tcp_evicted);
		one(b, m, "calltap_hep_in_udp_drops_total", "counter",
		    "HEP datagrams the kernel dropped (receive buffer full).", c.hep.udp_drops);
		one(b, m, "calltap_hep_in_reordered_total", "counter",
		    "SIP messages over HEP put back in capture-time order (--hep-reorder).",
		    c.hep.reordered);
		one(b, m, "calltap_hep_in_late_total", "counter",
		    "SIP messages over HEP that came after a later-stamped one past the "
		    "reorder window.", c.hep.late);
		one(b, m, "calltap_hep_in_reorder_forced_total", "counter",
		    "SIP messages over HEP handed on early: reorder buffer full.", c.hep.forced);
	}
	one(b, m, "calltap_output_errors_total", "counter", "Output failures (write, flush, "
	    "reopen).", c.sink_errors);
	one(b, m, "calltap_output_queue_waits_total", "counter",
	    "Record hand-offs that waited for room in the output queue.", c.queue_waits);
	head(b, "calltap_records_written_total", "counter", "Call records written, per output.");
	for (i = 0; i < n_sinks; i++)
		if (ss[i].takes_records)
			ct_buf_printf(b, "calltap_records_written_total{sensor=\"%s\",output=\"%s\","
			    "index=\"%zu\"} %llu\n", m->sensor, ss[i].name, i,
			    (unsigned long long)ss[i].written);
	head(b, "calltap_records_failed_total", "counter",
	    "Call records an output failed to write (or skipped while failed), per output.");
	for (i = 0; i < n_sinks; i++)
		if (ss[i].takes_records)
			ct_buf_printf(b, "calltap_records_failed_total{sensor=\"%s\",output=\"%s\","
			    "index=\"%zu\"} %llu\n", m->sensor, ss[i].name, i,
			    (unsigned long long)ss[i].failed);
	return b->oom || b->p == NULL ? CT_NOMEM : CT_OK;
}

/* ---- the server thread ---- */

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	ct_buf_fini(&c->out);
}

/* The request is complete (or too long): builds the response. */
static void client_answer(struct ct_metrics *m, struct client *c, bool complete)
{
	struct ct_buf body;
	const char *status = "200 OK", *path;
	size_t plen;

	ct_buf_init(&body);
	c->answering = true;
	c->req[c->len] = '\0';
	if (!complete)
		status = "400 Bad Request";
	else if (strncmp(c->req, "GET ", 4) != 0)
		status = "405 Method Not Allowed";
	else {
		path = c->req + 4;
		plen = strcspn(path, " ?\r\n");
		if (plen != 8 || memcmp(path, "/metrics", 8) != 0)
			status = "404 Not Found";
	}
	if (status[0] == '2') {
		if (ct_metrics_render(m, &body) != CT_OK)
			status = "500 Internal Server Error";
	}
	if (status[0] != '2') {
		ct_buf_reset(&body);
		ct_buf_printf(&body, "%s\n", status);
	}
	ct_buf_printf(&c->out, "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
	    "Connection: close\r\n\r\n", status, status[0] == '2' ?
	    "text/plain; version=0.0.4; charset=utf-8" : "text/plain; charset=utf-8", body.len);
	ct_buf_append(&c->out, body.p, body.len);
	ct_buf_fini(&body);
	c->sent = 0;
}

/* Reads what the client sent; answers once the head is complete. */
static void client_read(struct ct_metrics *m, struct client *c)
{
	ssize_t n = read(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		client_close(c);
		return;
	}
	if (n < 0)
		return;
	c->len += (size_t)n;
	c->req[c->len] = '\0';
	if (strstr(c->req, "\r\n\r\n") != NULL || strstr(c->req, "\n\n") != NULL)
		client_answer(m, c, true);
	else if (c->len == sizeof(c->req) - 1)
		client_answer(m, c, false);
}

static void client_write(struct client *c)
{
	ssize_t n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	c->sent += (size_t)n;
	if (c->sent == c->out.len) {
		shutdown(c->fd, SHUT_WR);
		client_close(c);
	}
}

/*
 * A slot for a new client: a free one, else the one that has been sending
 * its request the longest (closed), else NULL (every client is being
 * answered).  free_ok false: only the latter kind (a descriptor to free).
 */
static struct client *client_slot(struct ct_metrics *m, bool free_ok)
{
	struct client *victim = NULL;
	size_t k;

	for (k = 0; k < METRICS_CLIENTS; k++) {
		struct client *c = &m->cl[k];

		if (c->fd < 0) {
			if (free_ok)
				return c;
			continue;
		}
		if (!c->answering && (victim == NULL || c->since_ms < victim->since_ms))
			victim = c;
	}
	if (victim != NULL)
		client_close(victim);
	return victim;
}

/*
 * Accepts one client (reads its request at once if it is already there).
 * Out of descriptors (EMFILE, ENFILE: the listener stays readable), closes
 * the longest-waiting client for the next accept, else stops polling the
 * listener for METRICS_FD_PAUSE_MS instead of spinning.
 */
static void client_accept(struct ct_metrics *m)
{
	int fd = accept4(m->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;

	if (fd < 0) {
		if ((errno == EMFILE || errno == ENFILE) && client_slot(m, false) == NULL)
			m->accept_after_ms = now_ms() + METRICS_FD_PAUSE_MS;
		return;
	}
	c = client_slot(m, true);
	if (c == NULL) {
		close(fd);
		return;
	}
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	ct_buf_init(&c->out);
	c->since_ms = now_ms();
	c->deadline_ms = c->since_ms + METRICS_TIMEOUT_MS;
	client_read(m, c);
	if (c->fd >= 0 && c->answering)
		client_write(c);
}

static void *metrics_main(void *arg)
{
	struct ct_metrics *m = arg;
	struct pollfd pf[METRICS_CLIENTS + 2];
	int idx[METRICS_CLIENTS + 2];
	size_t i, n;
	bool accept_ready;
	int64_t now;

	ct_thread_name("ct-metrics");
	for (;;) {
		n = 0;
		pf[n].fd = m->wake[0];
		pf[n].events = POLLIN;
		idx[n++] = -1;
		now = now_ms();
		pf[n].fd = now >= m->accept_after_ms ? m->lfd : -1;   /* -1: not polled */
		pf[n].events = POLLIN;
		idx[n++] = -2;
		for (i = 0; i < METRICS_CLIENTS; i++) {
			struct client *c = &m->cl[i];

			if (c->fd < 0)
				continue;
			if (now >= c->deadline_ms) {   /* too slow: dropped */
				client_close(c);
				continue;
			}
			pf[n].fd = c->fd;
			pf[n].events = c->answering ? POLLOUT : POLLIN;
			idx[n++] = (int)i;
		}
		if (poll(pf, n, 500) < 0 && errno != EINTR)
			break;
		if (pf[0].revents != 0)
			break;
		accept_ready = pf[1].revents != 0;
		/* Clients first: one accepted later may evict a slot polled here. */
		for (i = 2; i < n; i++) {
			struct client *c = &m->cl[idx[i]];

			if (pf[i].revents == 0 || c->fd < 0)
				continue;
			if (c->answering)
				client_write(c);
			else
				client_read(m, c);
		}
		if (accept_ready)
			client_accept(m);
	}
	return NULL;
}

struct ct_metrics *ct_metrics_new(const char *addr, const char *sensor, char *errbuf)
{
	struct ct_metrics *m = calloc(1, sizeof(*m));
	size_t i;
	int rc;

	if (m == NULL || (m->sensor = escape_label(sensor != NULL ? sensor : "")) == NULL) {
		free(m);
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	m->wake[0] = m->wake[1] = -1;
	for (i = 0; i < METRICS_CLIENTS; i++)
		m->cl[i].fd = -1;
	pthread_mutex_init(&m->mu, NULL);
	if ((m->lfd = listen_on(addr, &m->port, errbuf)) < 0) {
		ct_metrics_free(m);
		return NULL;
	}
	if (pipe2(m->wake, O_CLOEXEC) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--metrics: pipe: %s", strerror(errno));
		ct_metrics_free(m);
		return NULL;
	}
	rc = ct_thread_start(&m->thread, metrics_main, m);
	if (rc != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--metrics: thread: %s", strerror(rc));
		ct_metrics_free(m);
		return NULL;
	}
	m->running = true;
	return m;
}

unsigned ct_metrics_port(const struct ct_metrics *m)
{
	return m->port;
}

void ct_metrics_free(struct ct_metrics *m)
{
	size_t i;

	if (m == NULL)
		return;
	if (m->running) {
		ssize_t w = write(m->wake[1], "x", 1);

		(void)w;
		pthread_join(m->thread, NULL);
	}
	for (i = 0; i < METRICS_CLIENTS; i++)
		if (m->cl[i].fd >= 0)
			client_close(&m->cl[i]);
	if (m->lfd >= 0)
		close(m->lfd);
	if (m->wake[0] >= 0) {
		close(m->wake[0]);
		close(m->wake[1]);
	}
	pthread_mutex_destroy(&m->mu);
	free(m->sensor);
	free(m);
}
