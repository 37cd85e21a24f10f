/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * --hep-listen: calltap as a HEP v3 collector (hep.h).  One UDP socket
 * (a datagram is one HEP packet) and one TCP listening socket (each
 * connection a stream of HEP packets, framed by their total length) on the
 * same port; the collector is a live packet source (source.h): next()
 * polls them for 250 ms at most, and each SIP message received comes out
 * as a raw IP frame rebuilt from the packet's chunks (ct_hep_in_frame),
 * so the engine treats it exactly as the sniffed message: the agent's
 * addresses, ports, transport and capture time, not the HEP sender's.
 *
 * Bounds: at most max_conns TCP connections, each with a buffer of one
 * packet's maximum (64 KiB: a packet larger cannot be written).  When they
 * are all open, a new connection takes the slot of the oldest one that has
 * not yet sent a packet that decoded (and carried the auth key), counted in
 * tcp_evicted: connections that send nothing, or nothing valid, cannot
 * lock the agents out; only when every connection has proved itself is
 * the new one closed at once (tcp_refused).  A stream whose
 * bytes are not HEP v3 cannot be resynchronised and is closed (counted
 * malformed).  Every socket is non-blocking: next() never waits longer
 * than its poll.  Malformed packets, wrong auth keys and payloads other
 * than SIP are counted (ct_hep_in_stats) and dropped, never fatal.
 *
 * Time: the capture time a packet carries is kept (a replay of an old
 * capture keeps its times), unless it is more than HEP_IN_AHEAD_US after
 * the packet arrived: one packet stamped years ahead would move the
 * engine's clock past every open call's timeout.  Such a packet (counted
 * in ts_ahead) takes its time of arrival, as one with no time does.
 *
 * Order: an agent of several processes (Kamailio's siptrace: each worker
 * sends what it handled) delivers messages out of their capture order, a
 * 180 Ringing after the 200 OK that followed it, a response before its
 * INVITE; a sniffer on the wire would have seen them in order.  With
 * cfg.reorder_us, SIP messages wait that long in a reorder buffer
 * (reorder.h) and go on earliest capture time first; the buffer is bounded
 * (HEP_IN_HELD_FRAMES, HEP_IN_HELD_BYTES), polls wake up when its next
 * message is due, and at the end of a run its messages are drained
 * (the source's drain op).  The idle clock (ct_hep_in_clock) follows the
 * messages handed on, not those held.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "calltap/err.h"
#include "calltap/hep.h"
#include "calltap/reorder.h"

#define HEP_IN_TIMEOUT_MS 250
#define HEP_IN_CONNS_DEFAULT 64
#define HEP_IN_CONN_BUF CT_HEP_MAX    /* one whole packet at most */
#define HEP_IN_ACCEPTS 16             /* connections taken per poll */
#define LINKTYPE_RAW 101
#define HEP_IN_RCVBUF (8 << 20)       /* UDP receive buffer asked for (the kernel may cap it) */
#define HEP_IN_HELD_FRAMES 65536      /* reorder buffer: messages held at most */
#define HEP_IN_HELD_BYTES (64 << 20)  /* ... and their bytes */
#define HEP_IN_AHEAD_US ((int64_t)60 * 1000000) /* capture times ahead of arrival trusted */

struct conn {
	int fd;                      /* -1: closed, removed at the next poll */
	uint8_t *buf;                /* HEP_IN_CONN_BUF bytes */
	size_t off, len;             /* unread bytes: buf[off, len) */
	uint64_t seq;                /* order of acceptance */
	bool proven;                 /* sent a packet that decoded (with the auth key) */
};

struct ct_hep_in {
	struct ct_hep_in_cfg cfg;
	size_t password_len;
	int udp_fd, tcp_fd;          /* -1: none (detached) */
	struct conn *conns;          /* cfg.max_conns slots, n_conns used */
	size_t n_conns;
	struct pollfd *pfd;          /* [0] UDP, [1] TCP listener, [2 + i] conns[i] */
	size_t npfd;
	size_t scan;                 /* next pfd entry to serve after a poll; npfd: poll again */
	bool logged_refused;
	uint64_t accepts;            /* connections accepted so far (conn.seq) */
	int64_t newest_ts_us;        /* newest SIP message's capture time (INT64_MIN: none yet) */
	int64_t newest_wall_us;      /* when it arrived */
	struct ct_reorder *ro;       /* cfg.reorder_us > 0 (and a source): the held messages */
	struct ct_hep_in_stats st;
	uint8_t rx[CT_HEP_MAX + 1];  /* a UDP datagram */
	uint8_t frame[CT_HEP_FRAME_MAX];
};

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* The IPv4 header checksum (RFC 791) of the 20 bytes at p, checksum field zero. */
static uint16_t ipv4_csum(const uint8_t *p)
{
	uint32_t sum = 0;
	int i;

	for (i = 0; i < 20; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int ct_hep_in_frame(const struct ct_hep_msg *m, uint8_t *out, size_t cap, struct ct_frame *f)
{
	bool v6 = m->t.src.family == 6, tcp = m->t.proto == 6;
	size_t ip = v6 ? 40 : 20, l4 = tcp ? 20 : 8, total = ip + l4 + m->payload_len;
	uint8_t *p;

	if ((m->t.src.family != 4 && !v6) || m->t.dst.family != m->t.src.family ||
	    total > cap || (v6 ? total - ip : total) > 65535)
		return CT_ERR;
	memset(out, 0, ip + l4);
	if (v6) {
		out[0] = 0x60;
		put16(out + 4, (uint32_t)(total - ip));
		out[6] = tcp ? 6 : 17;
		out[7] = 64;
		memcpy(out + 8, m->t.src.a, 16);
		memcpy(out + 24, m->t.dst.a, 16);
	} else {
		out[0] = 0x45;
		put16(out + 2, (uint32_t)total);
		out[8] = 64;
		out[9] = tcp ? 6 : 17;
		memcpy(out + 12, m->t.src.a, 4);
		memcpy(out + 16, m->t.dst.a, 4);
		put16(out + 10, ipv4_csum(out));
	}
	p = out + ip;
	put16(p, m->t.sport);
	put16(p + 2, m->t.dport);
	if (tcp) {
		put32(p + 4, 1);         /* sequence: any, the segment is a stream of its own */
		put32(p + 8, 1);
		p[12] = 5 << 4;          /* header length: 20 bytes */
		p[13] = 0x19;            /* FIN, PSH, ACK */
		put16(p + 14, 65535);
	} else {
		put16(p + 4, (uint32_t)(l4 + m->payload_len));
	}
	if (m->payload_len > 0)
		memcpy(out + ip + l4, m->payload, m->payload_len);
	f->ts_us = m->ts_us;
	f->caplen = f->wirelen = (uint32_t)total;
	f->linktype = LINKTYPE_RAW;
	f->data = out;
	return CT_OK;
}

/* Constant-time comparison of the packet's auth key with the password. */
static bool key_ok(const struct ct_hep_in *h, const struct ct_hep_msg *m)
{
	unsigned char diff = 0;
	size_t i;

	if (m->auth_key == NULL || m->auth_key_len != h->password_len)
		return false;
	for (i = 0; i < h->password_len; i++)
		diff |= (unsigned char)(m->auth_key[i] ^ h->cfg.password[i]);
	return diff == 0;
}

/* The idle clock's reference: a message handed on, stamped ts_us, at wall time now_us. */
static void note_newest(struct ct_hep_in *h, int64_t ts_us, int64_t now_us)
{
	if (ts_us >= h->newest_ts_us) {
		h->newest_ts_us = ts_us;
		h->newest_wall_us = now_us;
	}
}

int ct_hep_in_packet(struct ct_hep_in *h, const uint8_t *buf, size_t len, int64_t now_us,
    struct ct_frame *f)
{
	struct ct_hep_msg m;

	h->st.packets++;
	if (ct_hep_decode(buf, len, &m) != CT_OK) {
		h->st.malformed++;
		return 0;
	}
	if (h->cfg.password != NULL && !key_ok(h, &m)) {
		h->st.auth_failed++;
		return 0;
	}
	if (m.proto_type != CT_HEP_PROTO_SIP) {
		h->st.other++;
		return 0;
	}
	if (!m.ts_seen) {             /* no capture time: the time it arrived */
		m.ts_us = now_us;
	} else if (m.ts_us - now_us > HEP_IN_AHEAD_US) {
		/* Captured after it arrived: a sender's clock, or a packet
		 * stamped in 2106 to move the capture clock past every open
		 * call's timeout.  The time it arrived instead. */
		h->st.ts_ahead++;
		m.ts_us = now_us;
	}
	if (ct_hep_in_frame(&m, h->frame, sizeof(h->frame), f) != CT_OK) {
		h->st.malformed++;
		return 0;
	}
	h->st.sip++;
	if (h->ro == NULL)
		note_newest(h, m.ts_us, now_us);
	return 1;
}

static struct ct_hep_in *hep_in_alloc(const struct ct_hep_in_cfg *cfg)
{
	struct ct_hep_in *h = calloc(1, sizeof(*h));

	if (h == NULL)
		return NULL;
	h->cfg = *cfg;
	if (h->cfg.max_conns == 0)
		h->cfg.max_conns = HEP_IN_CONNS_DEFAULT;
	h->password_len = cfg->password != NULL ? strlen(cfg->password) : 0;
	h->udp_fd = h->tcp_fd = -1;
	h->newest_ts_us = INT64_MIN;
	h->conns = calloc(h->cfg.max_conns, sizeof(*h->conns));
	h->pfd = calloc(h->cfg.max_conns + 2, sizeof(*h->pfd));
	if (h->conns == NULL || h->pfd == NULL) {
		free(h->conns);
		free(h->pfd);
		free(h);
		return NULL;
	}
	return h;
}

struct ct_hep_in *ct_hep_in_new_detached(const struct ct_hep_in_cfg *cfg)
{
	return hep_in_alloc(cfg);
}

void ct_hep_in_free(struct ct_hep_in *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n_conns; i++) {
		if (h->conns[i].fd >= 0)
			close(h->conns[i].fd);
		free(h->conns[i].buf);
	}
	if (h->udp_fd >= 0)
		close(h->udp_fd);
	if (h->tcp_fd >= 0)
		close(h->tcp_fd);
	free(h->conns);
	free(h->pfd);
	ct_reorder_free(h->ro);
	free(h);
}

void ct_hep_in_counts(const struct ct_hep_in *h, struct ct_hep_in_stats *st)
{
	*st = h->st;
	if (h->ro != NULL) {
		struct ct_reorder_stats rs;

		ct_reorder_get_stats(h->ro, &rs);
		st->reordered = rs.reordered;
		st->late = rs.late;
		st->forced = rs.forced;
	}
}

static int64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The reorder buffer's clock: monotonic (a wall clock step must not hold or free messages). */
static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->off = c->len = 0;
}

/*
 * One datagram into h->rx (non-blocking): its length, or <= 0.  The
 * kernel's count of datagrams dropped on this socket (SO_RXQ_OVFL) comes
 * with it and is kept in udp_drops.
 */
static ssize_t udp_recv(struct ct_hep_in *h)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { h->rx, sizeof(h->rx) };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(h->udp_fd, &msg, MSG_DONTWAIT);
	if (n < 0)
		return n;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SO_RXQ_OVFL &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(uint32_t))) {
			uint32_t drops;

			memcpy(&drops, CMSG_DATA(cm), sizeof(drops));
			h->st.udp_drops = drops;   /* the socket's running count */
		}
	return n;
}

/*
 * The slot for a new connection when all max_conns are taken: the oldest
 * open connection that has not proved itself (closed here, its buffer kept
 * for the new one), or NULL when every one has.  Its poll entry may still
 * show the old socket's events: serving them reads nothing (non-blocking).
 */
static struct conn *evict_unproven(struct ct_hep_in *h)
{
	struct conn *victim = NULL;
	size_t i;

	for (i = 0; i < h->n_conns; i++) {
		struct conn *c = &h->conns[i];

		if (c->fd >= 0 && !c->proven && (victim == NULL || c->seq < victim->seq))
			victim = c;
	}
	if (victim == NULL)
		return NULL;
	close(victim->fd);
	victim->fd = -1;
	victim->off = victim->len = 0;
	h->st.tcp_evicted++;
	return victim;
}

/* Accepts what is waiting on the listener (a few at most per poll). */
static void accept_conns(struct ct_hep_in *h)
{
	int i;

	for (i = 0; i < HEP_IN_ACCEPTS; i++) {
		int fd = accept4(h->tcp_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0)
			return;      /* EAGAIN, or an aborted connection */
		if (h->n_conns == h->cfg.max_conns) {
			c = evict_unproven(h);
			if (c == NULL) {
				close(fd);
				h->st.tcp_refused++;
				if (!h->logged_refused)
					ct_log(&h->cfg.log, CT_LOG_WARN, "hep: %zu TCP connections "
					    "open and sending, more refused (counted in "
					    "hep_in_tcp_refused)", h->cfg.max_conns);
				h->logged_refused = true;
				continue;
			}
		} else {
			c = &h->conns[h->n_conns];
			if ((c->buf = malloc(HEP_IN_CONN_BUF)) == NULL) {
				close(fd);
				h->st.tcp_refused++;
				continue;
			}
			h->n_conns++;
		}
		c->fd = fd;
		c->off = c->len = 0;
		c->seq = h->accepts++;
		c->proven = false;
		h->st.tcp_accepted++;
	}
}

/*
 * The next whole packet buffered on c: 1 with *pkt, *plen; 0 when more
 * bytes are needed; -1 when the stream is not HEP v3 (then closed).
 */
static int conn_packet(struct ct_hep_in *h, struct conn *c, const uint8_t **pkt, size_t *plen)
{
	long n = ct_hep_frame_len(c->buf + c->off, c->len - c->off);

	if (n < 0) {
		h->st.packets++;
		h->st.malformed++;
		conn_close(c);
		return -1;
	}
	if (n == 0 || (size_t)n > c->len - c->off)
		return 0;
	*pkt = c->buf + c->off;
	*plen = (size_t)n;
	c->off += (size_t)n;
	return 1;
}

/* Reads what c's socket holds into its buffer; false when the stream ended (then closed). */
static bool conn_read(struct conn *c)
{
	ssize_t n;

	if (c->off > 0) {
		memmove(c->buf, c->buf + c->off, c->len - c->off);
		c->len -= c->off;
		c->off = 0;
	}
	do
		n = read(c->fd, c->buf + c->len, HEP_IN_CONN_BUF - c->len);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->len += (size_t)n;
		return true;
	}
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return true;
	conn_close(c);    /* end of stream (a partial packet is lost) or an error */
	return false;
}

/* Drops closed connections and lays out the poll set: UDP, listener, connections. */
static void poll_layout(struct ct_hep_in *h)
{
	size_t i, j = 0;

	for (i = 0; i < h->n_conns; i++)
		if (h->conns[i].fd >= 0)
			h->conns[j++] = h->conns[i];
	h->n_conns = j;
	h->pfd[0].fd = h->udp_fd;
	h->pfd[1].fd = h->tcp_fd;
	for (i = 0; i < h->n_conns; i++)
		h->pfd[2 + i].fd = h->conns[i].fd;
	h->npfd = 2 + h->n_conns;
	for (i = 0; i < h->npfd; i++) {
		h->pfd[i].events = POLLIN;
		h->pfd[i].revents = 0;
	}
}

/*
 * Serves the poll set's ready entries from h->scan on, one unit of work
 * at a time (a datagram, the waiting connections, a connection's next
 * packet or read); 1 with *f as soon as a SIP frame comes out, 0 when the
 * set is served.
 */
static int serve(struct ct_hep_in *h, struct ct_frame *f)
{
	const uint8_t *pkt;
	size_t plen;

	while (h->scan < h->npfd) {
		struct pollfd *p = &h->pfd[h->scan];

		if (h->scan == 0) {
			ssize_t n = 0;

			if (p->revents & POLLIN)
				n = udp_recv(h);
			h->scan++;
			if (n > 0 && ct_hep_in_packet(h, h->rx, (size_t)n, wall_us(), f) == 1)
				return 1;
		} else if (h->scan == 1) {
			if (p->revents & POLLIN)
				accept_conns(h);
			h->scan++;
		} else {
			struct conn *c = &h->conns[h->scan - 2];
			int rc = c->fd >= 0 ? conn_packet(h, c, &pkt, &plen) : -1;

			if (rc == 1) {
				uint64_t bad = h->st.malformed + h->st.auth_failed;

				rc = ct_hep_in_packet(h, pkt, plen, wall_us(), f);
				if (h->st.malformed + h->st.auth_failed == bad)
					c->proven = true;
				if (rc == 1)
					return 1;
				continue;            /* the same connection's next packet */
			}
			if (rc == 0 && (p->revents & (POLLIN | POLLHUP | POLLERR))) {
				p->revents = 0;      /* read once per poll */
				if (conn_read(c))
					continue;
			}
			h->scan++;
		}
	}
	return 0;
}

/* A held message due at now (drain: any), *f; 0 when none is. */
static int held_take(struct ct_hep_in *h, int64_t now, bool drain, struct ct_frame *f)
{
	if (ct_reorder_get(h->ro, now, drain, f) != 1)
		return 0;
	note_newest(h, f->ts_us, wall_us());
	return 1;
}

/*
 * Serves the rest of the poll set into the reorder buffer: 0, or 1 with
 * *f when a message could not be held (out of memory: it goes on at once,
 * as without a buffer).
 */
static int ingest(struct ct_hep_in *h, int64_t now, struct ct_frame *f)
{
	struct ct_frame g;

	while (serve(h, &g) == 1)
		if (ct_reorder_put(h->ro, &g, now) != CT_OK) {
			note_newest(h, g.ts_us, wall_us());
			*f = g;
			return 1;
		}
	return 0;
}

/*
 * next() with a reorder buffer: 1 with the next message due, or 0 after
 * HEP_IN_TIMEOUT_MS without one (or a signal); each poll waits no longer
 * than the next held message is due.
 */
static int hep_next_held(struct ct_hep_in *h, struct ct_frame *f)
{
	int64_t now = mono_us(), end = now + (int64_t)HEP_IN_TIMEOUT_MS * 1000, wait;
	int rc;

	for (;;) {
		if (held_take(h, now, false, f) || ingest(h, now, f) || held_take(h, now, false, f))
			return 1;
		wait = ct_reorder_due_in(h->ro, now);
		if (wait > end - now)
			wait = end - now;
		if (wait <= 0)
			return 0;
		poll_layout(h);
		h->scan = h->npfd;
		rc = poll(h->pfd, h->npfd, (int)((wait + 999) / 1000));
		now = mono_us();
		if (rc < 0)
			return held_take(h, now, false, f);
		if (rc > 0)
			h->scan = 0;
	}
}

static int hep_next(struct ct_source *s, struct ct_frame *f, char *errbuf)
{
	struct ct_hep_in *h = s->priv;
	int rc;

	(void)errbuf;
	if (h->ro != NULL) {
		rc = hep_next_held(h, f);
		s->frames += (uint64_t)rc;
		return rc;
	}
	if (serve(h, f) == 1) {
		s->frames++;
		return 1;
	}
	poll_layout(h);
	h->scan = h->npfd;
	rc = poll(h->pfd, h->npfd, HEP_IN_TIMEOUT_MS);
	if (rc <= 0)
		return 0;                    /* timeout, or a signal: the caller looks at its flags */
	h->scan = 0;
	if (serve(h, f) == 1) {
		s->frames++;
		return 1;
	}
	return 0;
}

/* The end of a run: the messages still held, in order, then 0. */
static int hep_drain(struct ct_source *s, struct ct_frame *f)
{
	struct ct_hep_in *h = s->priv;

	if (h->ro == NULL || !held_take(h, mono_us(), true, f))
		return 0;
	s->frames++;
	return 1;
}

/* The source's drops: datagrams the kernel dropped (records carry them as capture_drops). */
static int hep_stats(struct ct_source *s, struct ct_source_stats *st)
{
	const struct ct_hep_in *h = s->priv;

	st->received = s->frames;
	st->dropped = h->st.udp_drops;
	st->ifdropped = 0;
	return CT_OK;
}

static void hep_close(struct ct_source *s)
{
	ct_hep_in_free(s->priv);
}

static const struct ct_source_ops hep_source_ops = {
	.name = "hep",
	.next = hep_next,
	.drain = hep_drain,
	.stats = hep_stats,
	.close = hep_close,
};

void ct_hep_in_get_stats(const struct ct_source *s, struct ct_hep_in_stats *st)
{
	if (s == NULL || s->ops != &hep_source_ops) {
		memset(st, 0, sizeof(*st));
		return;
	}
	ct_hep_in_counts(s->priv, st);
}

int64_t ct_hep_in_clock(const struct ct_source *s, int64_t wall_us)
{
	const struct ct_hep_in *h;
	int64_t since;

	if (s == NULL || s->ops != &hep_source_ops)
		return INT64_MIN;
	h = s->priv;
	if (h->newest_ts_us == INT64_MIN)
		return INT64_MIN;
	since = wall_us - h->newest_wall_us - 1000000;
	return since > 0 ? h->newest_ts_us + since : h->newest_ts_us;
}

/* A non-blocking socket of the type bound to ai; -1 with errno. */
static int bind_one(const struct addrinfo *ai, int type)
{
	int one = 1, zero = 0;
	int fd = socket(ai->ai_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)   /* "::" takes IPv4 too */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (type == SOCK_DGRAM) {        /* room for bursts, and the kernel's drop count */
		int rcvbuf = HEP_IN_RCVBUF;

		/* past net.core.rmem_max when allowed (CAP_NET_ADMIN), else up to it */
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) != 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
		setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one));
	}
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) != 0)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The port of socket address sa (IPv4 or IPv6). */
static uint16_t sa_port(const struct sockaddr *sa)
{
	return ntohs(sa->sa_family == AF_INET6 ? ((const struct sockaddr_in6 *)sa)->sin6_port :
	    ((const struct sockaddr_in *)sa)->sin_port);
}

/* Sets the port of socket address sa (IPv4 or IPv6). */
static void sa_set_port(struct sockaddr *sa, uint16_t port)
{
	if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons(port);
}

#define BIND_TRIES 32   /* ephemeral ports tried for a UDP and TCP pair */

/*
 * Binds h's UDP and TCP sockets to address ai, one port for both.  Port
 * 0 asks for any free one: UDP takes an ephemeral port and TCP the same
 * number, which another program may hold over TCP; then another
 * ephemeral port is tried (BIND_TRIES at most).  Returns 0 with both
 * bound, else the errno of the last failure (both closed).
 */
static int bind_pair(struct ct_hep_in *h, struct addrinfo *ai)
{
	bool any = sa_port(ai->ai_addr) == 0;
	int tries, err = 0;

	for (tries = 0; tries < (any ? BIND_TRIES : 1); tries++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (any)
			sa_set_port(ai->ai_addr, 0);
		if ((h->udp_fd = bind_one(ai, SOCK_DGRAM)) < 0)
			return errno;
		if (getsockname(h->udp_fd, (struct sockaddr *)&ss, &sl) == 0 &&
		    sl <= ai->ai_addrlen)
			memcpy(ai->ai_addr, &ss, sl);
		if ((h->tcp_fd = bind_one(ai, SOCK_STREAM)) >= 0)
			return 0;
		err = errno;
		close(h->udp_fd);
		h->udp_fd = -1;
		if (err != EADDRINUSE)
			break;
	}
	return err;
}

struct ct_source *ct_hep_in_open(const struct ct_hep_in_cfg *cfg, char *errbuf)
{
	const char *addr = cfg->addr != NULL && cfg->addr[0] != '\0' ? cfg->addr : NULL;
	struct addrinfo hints, *res = NULL, *ai;
	struct ct_source *s = NULL;
	struct ct_hep_in *h;
	char name[128];
	int rc, err = 0;

	if ((h = hep_in_alloc(cfg)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		return NULL;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_PASSIVE;
	rc = getaddrinfo(addr != NULL ? addr : "::", cfg->port, &hints, &res);
	if (rc != 0 && addr == NULL)   /* no IPv6 here: every IPv4 address */
		rc = getaddrinfo("0.0.0.0", cfg->port, &hints, &res);
	if (rc != 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--hep-listen %s:%s: %s", addr != NULL ? addr : "",
		    cfg->port, gai_strerror(rc));
		ct_hep_in_free(h);
		return NULL;
	}
	/* The first address both sockets bind to. */
	for (ai = res; ai != NULL && h->tcp_fd < 0; ai = ai->ai_next)
		err = bind_pair(h, ai);
	freeaddrinfo(res);
	if (h->tcp_fd < 0 && addr == NULL && err == EAFNOSUPPORT) {
		/* "::" resolved but IPv6 is off in the kernel: every IPv4 address */
		memset(&hints, 0, sizeof(hints));
		hints.ai_family = AF_INET;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_PASSIVE;
		if (getaddrinfo(NULL, cfg->port, &hints, &res) == 0) {
			if ((h->udp_fd = bind_one(res, SOCK_DGRAM)) < 0 ||
			    (h->tcp_fd = bind_one(res, SOCK_STREAM)) < 0)
				err = errno;
			freeaddrinfo(res);
		}
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		unsigned port = 0;

		if (h->tcp_fd >= 0 && getsockname(h->tcp_fd, (struct sockaddr *)&ss, &sl) == 0)
			port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
			    ((struct sockaddr_in *)&ss)->sin_port);
		bool v6 = addr != NULL && strchr(addr, ':') != NULL;

		snprintf(name, sizeof(name), "hep:%s%s%s:%u", v6 ? "[" : "",
		    addr != NULL ? addr : "*", v6 ? "]" : "",
		    port != 0 ? port : (unsigned)atoi(cfg->port));
	}
	if (h->udp_fd < 0 || h->tcp_fd < 0 || (s = calloc(1, sizeof(*s))) == NULL ||
	    (s->name = strdup(name)) == NULL) {
		if (h->udp_fd < 0 || h->tcp_fd < 0)
			snprintf(errbuf, CT_ERRBUF_SIZE, "--hep-listen %s: cannot bind UDP and TCP: %s",
			    name + 4, strerror(err != 0 ? err : EADDRINUSE));
		else
			snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		free(s);
		ct_hep_in_free(h);
		return NULL;
	}
	if (cfg->reorder_us > 0 && (h->ro = ct_reorder_new(cfg->reorder_us, HEP_IN_HELD_FRAMES,
	    HEP_IN_HELD_BYTES)) == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory");
		free(s->name);
		free(s);
		ct_hep_in_free(h);
		return NULL;
	}
	s->ops = &hep_source_ops;
	s->priv = h;
	ct_log(&h->cfg.log, CT_LOG_INFO, "hep: listening on %s (UDP and TCP)", name + 4);
	poll_layout(h);
	h->scan = h->npfd;
	return s;
}
