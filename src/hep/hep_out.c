/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --hep: SIP messages to a HEP v3 collector (hep.h).  The capture thread
 * encodes each message into a malloc'd packet and queues it (bounded in
 * packets and bytes); a full queue drops the message (counted) on a live
 * capture, and waits for room when reading files (cfg.wait: a replay runs
 * at the collector's pace and loses nothing) as long as the last send
 * went; the output thread queues
 * the per-stream quality reports the same way (the hep-qos sink,
 * src/sink/hep_qos.c), into the same queue; the sender thread sends
 * the queue in order: UDP, one datagram per packet, on a connected socket;
 * TCP, one stream, connected on first use and again (at most once a
 * second) after a failure.  Packets that cannot be sent are dropped and
 * counted; the first failure of a kind is logged.  A TCP packet not sent
 * whole within 5 s breaks the stream (the collector is stuck).
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/hep.h"
#include "calltap/thread.h"

#define HEP_QUEUE_DEFAULT 4096
#define HEP_BYTES_DEFAULT (16u << 20)
#define HEP_RECONNECT_US 1000000
#define HEP_SEND_TIMEOUT_S 5

struct hep_pkt {
	size_t len;
	bool qos;                    /* a quality report (counted as qos_*), else SIP */
	uint8_t data[];
};

struct ct_hep_out {
	struct ct_hep_out_cfg cfg;
	size_t password_len;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int fd;                      /* UDP: from the start; TCP: -1 until connected */
	int64_t next_connect_us;     /* TCP: no connect attempt before (monotonic) */
	bool logged_send, logged_connect, logged_full;
	bool failed;                 /* sender thread: a send or connect has failed */
	bool down;                   /* the last send failed (guarded by mu) */

	pthread_mutex_t mu;          /* guards everything below */
	pthread_cond_t cv;           /* the sender: a packet queued, or stop */
	pthread_cond_t room;         /* cfg.wait producers: a packet taken off the queue */
	struct hep_pkt **ring;
	size_t cap, head, count, bytes;
	bool stop;
	struct ct_hep_out_stats st;
	pthread_t thread;
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A socket of the collector's family and transport, with a send timeout (TCP); -1 on failure. */
static int open_socket(const struct ct_hep_out *h)
{
	struct timeval tv = { HEP_SEND_TIMEOUT_S, 0 };
	int fd = socket(h->addr.ss_family, (h->cfg.tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);

	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

/* Sender thread: TCP connect (rate-limited); true when h->fd is usable. */
static bool tcp_ready(struct ct_hep_out *h)
{
	int64_t now;

	if (h->fd >= 0)
		return true;
	now = mono_us();
	if (now < h->next_connect_us)
		return false;
	h->next_connect_us = now + HEP_RECONNECT_US;
	h->fd = open_socket(h);
	if (h->fd >= 0 && connect(h->fd, (struct sockaddr *)&h->addr, h->addrlen) == 0) {
		if (h->logged_connect)
			ct_log(&h->cfg.log, CT_LOG_INFO, "hep: connected to %s:%s",
			    h->cfg.host, h->cfg.port);
		h->logged_connect = false;
		return true;
	}
	if (!h->logged_connect)
		ct_log(&h->cfg.log, CT_LOG_WARN, "hep: cannot connect to %s:%s: %s "
		    "(messages dropped until it answers)", h->cfg.host, h->cfg.port, strerror(errno));
	h->logged_connect = true;
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	return false;
}

/* Sender thread: sends one packet whole; true when it went. */
static bool send_pkt(struct ct_hep_out *h, const struct hep_pkt *p)
{
	int64_t deadline = mono_us() + HEP_SEND_TIMEOUT_S * INT64_C(1000000);
	size_t off = 0;

	if (h->cfg.tcp && !tcp_ready(h))
		return false;
	while (off < p->len) {
		ssize_t n = send(h->fd, p->data + off, p->len - off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n >= 0 && h->cfg.tcp && (size_t)n < p->len - off && mono_us() > deadline) {
			n = -1;          /* a packet that trickles out past the timeout: cut */
			errno = ETIMEDOUT;
		}
		if (n < 0 || (!h->cfg.tcp && (size_t)n != p->len)) {
			if (!h->logged_send)
				ct_log(&h->cfg.log, CT_LOG_WARN, "hep: send to %s:%s failed: %s",
				    h->cfg.host, h->cfg.port, n < 0 ? strerror(errno) : "short datagram");
			h->logged_send = true;
			if (h->cfg.tcp) {    /* a cut stream: start again on a new connection */
				close(h->fd);
				h->fd = -1;
			}
			return false;
		}
		off += (size_t)n;
	}
	return true;
}

static void *sender_main(void *arg)
{
	struct ct_hep_out *h = arg;
	bool give_up = false;   /* stopping and a send failed: drop the rest, do not wait */

	ct_thread_name("ct-hep");
	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct hep_pkt *p;
		bool ok, stopping, qos;

		while (h->count == 0 && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->count == 0)
			break;
		p = h->ring[h->head];
		h->head = (h->head + 1) % h->cap;
		h->count--;
		h->bytes -= p->len;
		stopping = h->stop;
		pthread_cond_broadcast(&h->room);
		pthread_mutex_unlock(&h->mu);
		/* Stopping after the stream broke: no new connection, drop the rest. */
		give_up |= stopping && h->cfg.tcp && h->fd < 0 && h->failed;
		ok = !give_up && send_pkt(h, p);
		h->failed |= !ok;
		give_up |= !ok && stopping;
		qos = p->qos;
		free(p);
		pthread_mutex_lock(&h->mu);
		h->down = !ok;
		if (!ok)
			pthread_cond_broadcast(&h->room);   /* waiting producers drop instead */
		if (ok)
			*(qos ? &h->st.qos_sent : &h->st.sent) += 1;
		else
			*(qos ? &h->st.qos_dropped : &h->st.dropped) += 1;
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

struct ct_hep_out *ct_hep_out_new(const struct ct_hep_out_cfg *cfg, char *errbuf)
{
	struct addrinfo hints, *res = NULL;
	struct ct_hep_out *h;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = cfg->tcp ? SOCK_STREAM : SOCK_DGRAM;
	rc = getaddrinfo(cfg->host, cfg->port, &hints, &res);
	if (rc != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--hep %s:%s: %s", cfg->host, cfg->port,
		    gai_strerror(rc));
		return NULL;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL) {
		freeaddrinfo(res);
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	h->cfg = *cfg;
	h->password_len = cfg->password != NULL ? strlen(cfg->password) : 0;
	memcpy(&h->addr, res->ai_addr, res->ai_addrlen);
	h->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	h->cap = cfg->max_queue != 0 ? cfg->max_queue : HEP_QUEUE_DEFAULT;
	if (h->cfg.max_bytes == 0)
		h->cfg.max_bytes = HEP_BYTES_DEFAULT;
	h->fd = -1;
	if ((h->ring = calloc(h->cap, sizeof(*h->ring))) == NULL) {
		free(h);
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	if (!cfg->tcp && ((h->fd = open_socket(h)) < 0 ||
	    connect(h->fd, (struct sockaddr *)&h->addr, h->addrlen) != 0)) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--hep %s:%s: %s", cfg->host, cfg->port,
		    strerror(errno));
		if (h->fd >= 0)
			close(h->fd);
		free(h->ring);
		free(h);
		return NULL;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	pthread_cond_init(&h->room, NULL);
	if (ct_thread_start(&h->thread, sender_main, h) != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--hep: cannot start the sender thread");
		pthread_cond_destroy(&h->room);
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		if (h->fd >= 0)
			close(h->fd);
		free(h->ring);
		free(h);
		return NULL;
	}
	return h;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * The Call-ID's value ("Call-ID" or its compact form "i") in the header
 * section of text; NULL when there is none.  Bounded by len.
 */
static const char *find_call_id(const char *text, size_t len, size_t *vlen)
{
	size_t i = 0;

	while (i < len) {
		size_t eol = i, name_end, v;

		while (eol < len && text[eol] != '\n')
			eol++;
		if (eol == i || (eol == i + 1 && text[i] == '\r'))
			return NULL;   /* the empty line: end of the headers */
		name_end = i;
		while (name_end < eol && text[name_end] != ':' && !is_space(text[name_end]))
			name_end++;
		if ((name_end - i == 7 && strncasecmp(text + i, "Call-ID", 7) == 0) ||
		    (name_end - i == 1 && (text[i] == 'i' || text[i] == 'I'))) {
			v = name_end;
			while (v < eol && is_space(text[v]))
				v++;
			if (v < eol && text[v] == ':') {
				size_t end = eol;

				v++;
				while (v < end && is_space(text[v]))
					v++;
				while (end > v && (text[end - 1] == '\r' || is_space(text[end - 1])))
					end--;
				*vlen = end - v;
				return end > v ? text + v : NULL;
			}
		}
		i = eol + 1;
	}
	return NULL;
}

static void enqueue(struct ct_hep_out *h, const struct ct_hep_msg *m, size_t need);

/* Exact upper bound of m's packet: 14 fixed chunks' headers and values, plus the strings. */
static size_t hep_bound(const struct ct_hep_msg *m)
{
	return 6 + 13 * 6 + 1 + 1 + 16 + 16 + 2 + 2 + 4 + 4 + 1 + 4 + 3 * 6 +
	    m->auth_key_len + m->correlation_len + m->payload_len;
}

void ct_hep_out_sip(struct ct_hep_out *h, const struct ct_packet *pkt, const char *text,
    size_t len, bool tcp)
{
	struct ct_hep_msg m;

	memset(&m, 0, sizeof(m));
	m.t = pkt->t;
	m.t.proto = tcp ? 6 : 17;
	m.ts_us = pkt->ts_us;
	m.proto_type = CT_HEP_PROTO_SIP;
	m.capture_id = h->cfg.capture_id;
	m.auth_key = h->cfg.password;
	m.auth_key_len = h->password_len;
	m.correlation = find_call_id(text, len, &m.correlation_len);
	m.payload = (const uint8_t *)text;
	m.payload_len = len;
	enqueue(h, &m, hep_bound(&m));
}

/*
 * Encodes m into a packet of at most need bytes (its exact upper bound)
 * and queues it; a packet that cannot be made (over 64 KiB, no address
 * family, out of memory), a full queue or a stopped sender drops it,
 * counted by m's kind (proto_type).  The first drop for a full queue is
 * logged.  With cfg.wait a full queue is waited on while the sender is
 * up (its last send went) and not stopping: the caller runs at the
 * collector's pace, at most one send timeout (5 s) behind a collector that
 * stops answering; otherwise never waits for the network.  Any thread.
 */
static void enqueue(struct ct_hep_out *h, const struct ct_hep_msg *m, size_t need)
{
	bool qos = m->proto_type != CT_HEP_PROTO_SIP, log_full = false;
	struct hep_pkt *p;

	if (need > CT_HEP_MAX)
		need = CT_HEP_MAX;
	p = malloc(sizeof(*p) + need);
	if (p != NULL && (p->len = ct_hep_encode(m, p->data, need)) == 0) {
		free(p);         /* over 64 KiB, or no IP address family */
		p = NULL;
	}
	pthread_mutex_lock(&h->mu);
	while (p != NULL && h->cfg.wait && !h->stop && !h->down && h->count > 0 &&
	    (h->count == h->cap || h->bytes + p->len > h->cfg.max_bytes))
		pthread_cond_wait(&h->room, &h->mu);
	if (p == NULL || h->stop || h->count == h->cap || h->bytes + p->len > h->cfg.max_bytes) {
		*(qos ? &h->st.qos_dropped : &h->st.dropped) += 1;
		log_full = p != NULL && !h->stop && !h->logged_full;
		h->logged_full |= log_full;
		pthread_mutex_unlock(&h->mu);
		if (log_full)
			ct_log(&h->cfg.log, CT_LOG_WARN, "hep: send queue full, messages dropped "
			    "(counted in hep_dropped, hep_qos_dropped)");
		free(p);
		return;
	}
	p->qos = qos;
	h->ring[(h->head + h->count) % h->cap] = p;
	h->count++;
	h->bytes += p->len;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void ct_hep_out_qos(struct ct_hep_out *h, const struct ct_stream_stats *s, const char *call_id)
{
	struct ct_hep_msg m;
	struct ct_buf b;

	ct_buf_init(&b);
	if (ct_hep_qos_json(s, call_id, &b) != CT_OK) {
		ct_buf_fini(&b);
		pthread_mutex_lock(&h->mu);
		h->st.qos_dropped++;
		pthread_mutex_unlock(&h->mu);
		return;
	}
	memset(&m, 0, sizeof(m));
	m.t.src = s->src;
	m.t.dst = s->dst;
	m.t.sport = s->sport;
	m.t.dport = s->dport;
	m.t.proto = 17;
	m.ts_us = s->last_us;
	m.proto_type = CT_HEP_PROTO_QOS;
	m.capture_id = h->cfg.capture_id;
	m.auth_key = h->cfg.password;
	m.auth_key_len = h->password_len;
	m.correlation = call_id;
	m.correlation_len = call_id != NULL ? strlen(call_id) : 0;
	m.payload = (const uint8_t *)b.p;
	m.payload_len = b.len;
	enqueue(h, &m, hep_bound(&m));
	ct_buf_fini(&b);
}

void ct_hep_out_get_stats(struct ct_hep_out *h, struct ct_hep_out_stats *st)
{
	pthread_mutex_lock(&h->mu);
	*st = h->st;
	pthread_mutex_unlock(&h->mu);
}

void ct_hep_out_close(struct ct_hep_out *h)
{
	bool running;

	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	running = !h->stop;
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_cond_broadcast(&h->room);
	pthread_mutex_unlock(&h->mu);
	if (running)
		pthread_join(h->thread, NULL);
}

void ct_hep_out_free(struct ct_hep_out *h)
{
	if (h == NULL)
		return;
	ct_hep_out_close(h);
	if (h->fd >= 0)
		close(h->fd);
	free(h->ring);
	pthread_cond_destroy(&h->room);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}
