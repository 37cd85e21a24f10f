/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine: owns every stage and runs them in a fixed order for each
 * captured frame:
 *
 *   decode (stateless) -> IP fragment reassembly -> decode L4 again
 *     UDP: SIP if the payload starts like a SIP message, else RTP matching
 *     TCP: per-direction stream reassembly -> SIP framer -> libosip2
 *   SIP messages -> dialog table -> call records -> attribution -> sinks (in order)
 *
 * Expiry of fragments, TCP streams and dialogs runs on capture time every
 * tick (1 s by default), so replaying a file and a live capture behave alike.
 * Workload: one trunk of up to ~100k concurrent calls; the per-frame path is
 * allocation-free except for SIP text and fragments, which are copied.
 * References: RFC 3261 §18 (transport), RFC 3550 (RTP).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/attr.h"
#include "calltap/decode.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/media.h"
#include "calltap/sip.h"

#define ENGINE_MAX_SINKS 8
#define ENGINE_MAX_REDECODE 4
#define ORPHAN_IDLE_US (60 * INT64_C(1000000)) /* an orphan stream silent this long ended */

static void ct_engine_close_orphans(struct ct_engine *e);

struct ct_engine {
	struct ct_engine_cfg cfg;
	struct ct_decode_ctx dctx;
	struct ct_ipfrag *frag;
	struct ct_tcp_reasm *tcp;
	struct ct_dialog_table *dialogs;
	struct ct_media_table *media;
	struct ct_sink sinks[ENGINE_MAX_SINKS];
	size_t n_sinks;
	int64_t now_us;          /* newest capture time seen */
	int64_t next_tick_us;    /* when expiry runs next */
	bool new_input;          /* the next frame opens another capture file */
	FILE *orphans;           /* orphan RTP streams as JSON lines, NULL = off */
	char *orphans_name;      /* for messages */
	struct ct_buf obuf;      /* reused to format one orphan stream */
	int64_t stats_interval_us; /* periodic stats hook (0 = off) */
	int64_t next_stats_us;
	ct_engine_stats_fn stats_fn;
	ct_engine_drops_fn drops_fn;  /* live capture: polls pcap_stats each tick */
	void *drops_user;
	void *stats_user;
	int64_t prev_stats_us;   /* capture time and frames at the previous line */
	uint64_t prev_stats_frames;
	struct ct_engine_counters c;
};

/* Default configuration: every limit at its module default. */
void ct_engine_cfg_default(struct ct_engine_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	ct_ipfrag_limits_default(&cfg->frag);
	ct_tcp_limits_default(&cfg->tcp);
	ct_dialog_cfg_default(&cfg->dialog);
	cfg->rtp = true;
	cfg->tick_us = 1000000;
}

static void sink_write_all(struct ct_engine *e, const struct ct_call_record *rec)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < e->n_sinks; i++) {
		struct ct_sink *s = &e->sinks[i];

		if (s->failed)
			continue;
		errbuf[0] = '\0';
		if (s->ops->write(s->priv, rec, errbuf) != CT_OK) {
			/* Reported once; the other sinks still get every record. */
			fprintf(stderr, "calltap: %s\n", errbuf);
			s->failed = 1;
			e->c.sink_errors++;
		}
	}
}

static void on_emit(void *user, struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	if (e->cfg.attr != NULL)
		ct_attr_enrich(e->cfg.attr, rec);   /* on CT_NOMEM some fields stay null */
	sink_write_all(e, rec);
	e->c.records++;
	ct_call_record_free(rec);
}

static void on_media(void *user, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct ct_engine *e = user;

	if (e->media != NULL)
		ct_media_on_sdp(e->media, d, m);
}

static void on_closing(void *user, struct ct_dialog *d, struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	if (e->media != NULL)
		ct_media_closing(e->media, d, rec);
}

static void handle_sip_text(struct ct_engine *e, const struct ct_packet *pkt,
    const char *text, size_t len, uint8_t transport)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.ts_us = pkt->ts_us;
	m.t = pkt->t;
	m.vlan = pkt->vlan;
	m.transport = transport;
	if (ct_sip_msg_parse(&m, text, len) != CT_OK) {
		e->c.sip_malformed++;
		e->c.events[CT_EV_SIP_MALFORMED]++;
		ct_sip_msg_fini(&m);
		return;
	}
	if (transport == CT_TRANSPORT_TCP)
		e->c.sip_tcp++;
	else
		e->c.sip_udp++;
	ct_dialog_on_msg(e->dialogs, &m);
	ct_sip_msg_fini(&m);
}

/*
 * TCP stream consumer: frames as many whole SIP messages as the in-order
 * bytes hold and returns how many bytes it used.  Bytes that cannot start a
 * SIP message (a stream that is not SIP, or the tail of a message cut by a
 * gap) are skipped up to the next plausible start line.
 */
static size_t on_tcp_data(void *user, const struct ct_packet *pkt,
    const uint8_t *data, size_t len, int gap)
{
	struct ct_engine *e = user;
	const char *buf = (const char *)data;
	size_t off = 0;

	(void)gap;
	while (off < len) {
		size_t skip = 0;
		ssize_t n = ct_sip_frame(buf + off, len - off, &skip);

		if (n > 0) {
			handle_sip_text(e, pkt, buf + off + skip, (size_t)n, CT_TRANSPORT_TCP);
			off += skip + (size_t)n;
		} else if (n == CT_PARTIAL) {
			off += skip;
			break;
		} else {
			size_t r = ct_sip_resync(buf + off, len - off);

			if (ct_sip_looks_like(buf + off, len - off))
				e->c.events[CT_EV_SIP_FRAMING]++;
			off += r > 0 ? r : len - off;
		}
	}
	return off;
}

static void handle_udp(struct ct_engine *e, struct ct_packet *pkt)
{
	if (ct_sip_looks_like((const char *)pkt->payload, pkt->payload_len)) {
		handle_sip_text(e, pkt, (const char *)pkt->payload, pkt->payload_len,
		    CT_TRANSPORT_UDP);
		return;
	}
	if (e->media != NULL && ct_media_packet(e->media, pkt) > 0) {
		e->c.rtp_packets++;
		return;
	}
	e->c.other_udp++;
}

static void count_events(struct ct_engine *e, uint64_t events)
{
	int ev;

	for (ev = 0; events != 0 && ev < CT_EV_COUNT; ev++, events >>= 1)
		if (events & 1)
			e->c.events[ev]++;
}

static void handle_l4(struct ct_engine *e, struct ct_packet *pkt)
{
	e->c.decoded++;
	if (pkt->t.proto == IPPROTO_UDP)
		handle_udp(e, pkt);
	else if (pkt->t.proto == IPPROTO_TCP)
		ct_tcp_reasm_feed(e->tcp, pkt);
}

/*
 * Hands a fragment to the reassembler; when it completes a datagram, decodes
 * that datagram from L4 on (it may itself be a tunnel carrying a fragment,
 * hence the bounded loop) and processes it.
 */
static void handle_fragment(struct ct_engine *e, struct ct_packet *pkt)
{
	uint8_t *prev = NULL;  /* datagram that pkt's payload points into */
	int round;

	for (round = 0; round < ENGINE_MAX_REDECODE; round++) {
		uint8_t *dgram = NULL;
		size_t dlen = 0;
		enum ct_verdict v;
		int rc;

		e->c.fragments++;
		rc = ct_ipfrag_add(e->frag, pkt, &dgram, &dlen);
		free(prev);    /* the reassembler copied what it keeps */
		prev = NULL;
		if (rc != CT_OK)
			return;
		pkt->is_fragment = false;
		v = ct_decode_l4(&e->dctx, pkt, pkt->frag_proto, dgram, dlen);
		if (v == CT_DEC_OK)
			handle_l4(e, pkt);
		if (v != CT_DEC_FRAGMENT) {
			free(dgram);
			return;
		}
		prev = dgram;  /* a fragment tunnelled inside the datagram */
	}
	free(prev);
}

/* Calls the stats hook when its interval has passed; the rate base moves on. */
static void stats_due(struct ct_engine *e)
{
	if (e->next_stats_us == INT64_MIN) {
		e->next_stats_us = e->now_us + e->stats_interval_us;
		e->prev_stats_us = e->now_us;
		return;
	}
	if (e->now_us < e->next_stats_us)
		return;
	e->stats_fn(e->stats_user, e);
	e->prev_stats_us = e->now_us;
	e->prev_stats_frames = e->c.frames;
	e->next_stats_us = e->now_us + e->stats_interval_us;
}

/* Writes one orphan RTP stream (no SIP call) as a JSON line. */
static void on_orphan(void *user, const struct ct_stream_stats *st)
{
	struct ct_engine *e = user;

	if (e->orphans == NULL)
		return;
	ct_buf_reset(&e->obuf);
	ct_stream_json(st, &e->obuf);
	ct_buf_puts(&e->obuf, "\n");
	if (e->obuf.oom || fwrite(e->obuf.p, 1, e->obuf.len, e->orphans) != e->obuf.len ||
	    fflush(e->orphans) != 0) {
		fprintf(stderr, "calltap: cannot write orphan streams to '%s': %s\n",
		    e->orphans_name, strerror(errno));
		e->c.sink_errors++;
		ct_engine_close_orphans(e);
	}
}

/*
 * Reports RTP streams that belong to no SIP call (idle 60 s, or at the end)
 * as JSON lines to path ("-" = stdout).  Returns CT_OK, or CT_ERR with a
 * message naming path in errbuf.
 */
int ct_engine_set_orphans(struct ct_engine *e, const char *path, char *errbuf)
{
	if (e->media == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "--orphans needs RTP analysis (drop --no-rtp)");
		return CT_ERR;
	}
	e->orphans = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (e->orphans == NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open '%s' for writing: %s", path, strerror(errno));
		return CT_ERR;
	}
	e->orphans_name = strdup(path);
	ct_media_set_orphan_hook(e->media, on_orphan, e);
	return CT_OK;
}

static void ct_engine_close_orphans(struct ct_engine *e)
{
	if (e->orphans != NULL && e->orphans != stdout && fclose(e->orphans) != 0) {
		fprintf(stderr, "calltap: cannot write orphan streams to '%s': %s\n",
		    e->orphans_name, strerror(errno));
		e->c.sink_errors++;
	}
	e->orphans = NULL;
	if (e->media != NULL)
		ct_media_set_orphan_hook(e->media, NULL, NULL);
}

static void tick(struct ct_engine *e)
{
	ct_ipfrag_expire(e->frag, e->now_us);
	ct_tcp_reasm_expire(e->tcp, e->now_us);
	ct_dialog_expire(e->dialogs, e->now_us);
	if (e->media != NULL)
		ct_media_expire(e->media, e->now_us, ORPHAN_IDLE_US);
	e->next_tick_us = e->now_us + e->cfg.tick_us;
	if (e->drops_fn != NULL)
		e->drops_fn(e->drops_user, e);
	if (e->stats_interval_us > 0)
		stats_due(e);
}

/*
 * Advances the capture clock to now_us without a frame, running expiry and
 * the stats hook when due: a live capture calls it when the link is idle so
 * calls still time out.  A time at or before the newest frame is ignored.
 */
void ct_engine_clock(struct ct_engine *e, int64_t now_us)
{
	if (now_us <= e->now_us || e->new_input)
		return;
	if (e->now_us == INT64_MIN)
		e->next_tick_us = now_us;
	e->now_us = now_us;
	if (e->now_us >= e->next_tick_us)
		tick(e);
}

/*
 * Calls fn(user, e) about every interval_us of capture time (checked on each
 * expiry tick, so at most tick_us late); interval_us <= 0 or fn NULL turns it
 * off.  The first call comes one interval after the next tick.
 */
void ct_engine_set_stats_hook(struct ct_engine *e, int64_t interval_us,
    ct_engine_stats_fn fn, void *user)
{
	e->stats_interval_us = fn != NULL && interval_us > 0 ? interval_us : 0;
	e->stats_fn = fn;
	e->stats_user = user;
	e->next_stats_us = INT64_MIN;
}

/*
 * Stores the capture's cumulative drop counters (pcap_stats) for the stats
 * line and for the capture_drops of the calls in progress.
 */
void ct_engine_capture_drops(struct ct_engine *e, uint64_t drops, uint64_t ifdrops)
{
	e->c.capture_drops = drops;
	e->c.capture_ifdrops = ifdrops;
	ct_dialog_set_capture_drops(e->dialogs, drops + ifdrops);
}

void ct_engine_set_drops_hook(struct ct_engine *e, ct_engine_drops_fn fn, void *user)
{
	e->drops_fn = fn;
	e->drops_user = user;
	if (fn != NULL)
		fn(user, e);
}

/*
 * Marks the start of another input (the next capture file).  Rotated files
 * of one capture continue each other, and their calls carry over.  Files
 * from other times do not: their open calls end with the capture.
 */
void ct_engine_new_input(struct ct_engine *e)
{
	e->new_input = true;
}

/*
 * First frame of a new input at ts_us: when it does not continue the
 * previous input in time (it starts before it ended, or after a gap longer
 * than the setup timeout), every open call is closed as at the end of
 * input, held fragments and streams are dropped, and the clock restarts.
 */
static void input_boundary(struct ct_engine *e, int64_t ts_us)
{
	const int64_t far = INT64_C(1) << 50;

	e->new_input = false;
	if (e->now_us == INT64_MIN)
		return;
	if (ts_us >= e->now_us - 1000000 && ts_us - e->now_us <= e->cfg.dialog.setup_timeout_us)
		return;
	ct_dialog_flush(e->dialogs);
	ct_ipfrag_expire(e->frag, e->now_us + far);
	ct_tcp_reasm_expire(e->tcp, e->now_us + far);
	e->now_us = ts_us;
	e->next_tick_us = ts_us + e->cfg.tick_us;
}

/*
 * Processes one frame (borrowed for the duration of the call).  Malformed
 * frames are counted, never fatal.
 */
void ct_engine_frame(struct ct_engine *e, const struct ct_frame *f)
{
	struct ct_packet pkt;
	enum ct_verdict v;

	e->c.frames++;
	e->c.bytes += f->caplen;
	if (e->new_input)
		input_boundary(e, f->ts_us);
	if (f->ts_us >= e->now_us)
		e->now_us = f->ts_us;
	else
		e->c.time_backwards++;
	if (e->now_us >= e->next_tick_us)
		tick(e);

	pkt.ts_us = f->ts_us;
	pkt.linktype = f->linktype;
	pkt.data = f->data;
	pkt.caplen = f->caplen;
	pkt.wirelen = f->wirelen;
	v = ct_decode_frame(&e->dctx, &pkt);
	switch (v) {
	case CT_DEC_OK:
		handle_l4(e, &pkt);
		break;
	case CT_DEC_FRAGMENT:
		handle_fragment(e, &pkt);
		break;
	case CT_DEC_SKIP:
		e->c.skipped++;
		break;
	case CT_DEC_INVALID:
		e->c.invalid++;
		if (pkt.events & ((uint64_t)1 << CT_EV_LINK_UNSUPPORTED))
			e->c.unsupported_link++;
		break;
	}
	count_events(e, pkt.events);
}

/*
 * Creates an engine from cfg (NULL = defaults).  Returns NULL with a message
 * in errbuf when memory runs out.
 */
struct ct_engine *ct_engine_new(const struct ct_engine_cfg *cfg, char *errbuf)
{
	struct ct_dialog_hooks hooks;
	struct ct_engine *e;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		goto fail;
	if (cfg != NULL)
		e->cfg = *cfg;
	else
		ct_engine_cfg_default(&e->cfg);
	if (e->cfg.tick_us <= 0)
		e->cfg.tick_us = 1000000;
	ct_sip_init();
	ct_decode_ctx_init(&e->dctx);
	hooks.emit = on_emit;
	hooks.media = on_media;
	hooks.closing = on_closing;
	hooks.user = e;
	ct_buf_init(&e->obuf);
	e->now_us = INT64_MIN;
	e->next_tick_us = INT64_MIN;
	e->frag = ct_ipfrag_new(&e->cfg.frag);
	e->tcp = ct_tcp_reasm_new(&e->cfg.tcp, on_tcp_data, e);
	e->dialogs = ct_dialog_table_new(&e->cfg.dialog, &hooks);
	if (e->frag == NULL || e->tcp == NULL || e->dialogs == NULL)
		goto fail;
	if (e->cfg.rtp && (e->media = ct_media_new(0)) == NULL)
		goto fail;
	if (e->media != NULL && e->cfg.audio_dir != NULL)
		ct_media_set_audio(e->media, e->cfg.audio_dir, (enum ct_audio_format)e->cfg.audio_format);
	return e;
fail:
	snprintf(errbuf, CT_ERRBUF_SIZE, "out of memory creating the engine");
	ct_engine_free(e);
	return NULL;
}

/*
 * Opens a sink with ops on arg and appends it to the fan-out list; an
 * SQLite store is then attached to the attribution stage (history preload,
 * numbers table).  Returns CT_OK, or CT_ERR with the sink's message (naming
 * arg) in errbuf; a sink that opened stays in the list (closed by finish).
 */
int ct_engine_add_sink(struct ct_engine *e, const struct ct_sink_ops *ops,
    const char *arg, char *errbuf)
{
	struct ct_sink *s;

	if (e->n_sinks == ENGINE_MAX_SINKS) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "too many outputs (at most %d)", ENGINE_MAX_SINKS);
		return CT_ERR;
	}
	s = &e->sinks[e->n_sinks];
	memset(s, 0, sizeof(*s));
	s->priv = ops->open(arg, errbuf);
	if (s->priv == NULL)
		return CT_ERR;
	s->ops = ops;
	s->arg = strdup(arg);
	e->n_sinks++;
	/* A store continues the caller history and gets the number pool. */
	if (ops == &ct_sink_sqlite && e->cfg.attr != NULL)
		return ct_attr_attach_db(e->cfg.attr, arg, errbuf);
	return CT_OK;
}

/* Flushes every healthy sink; CT_ERR if any failed (reported on stderr). */
int ct_engine_flush(struct ct_engine *e)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < e->n_sinks; i++) {
		struct ct_sink *s = &e->sinks[i];

		if (s->failed || s->ops->flush == NULL)
			continue;
		errbuf[0] = '\0';
		if (s->ops->flush(s->priv, errbuf) != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			s->failed = 1;
			e->c.sink_errors++;
			rc = CT_ERR;
		}
	}
	return rc;
}

/*
 * Closes sink s and opens it again on the same target: SQLite reopens its
 * database, the text sinks reopen their file in append mode (">>" prefix, see
 * ct_outfile_open) so nothing already written is lost when the file was not
 * rotated away.  Standard output is only flushed.  A sink that failed earlier
 * gets another chance.  Returns CT_OK, or CT_ERR (reported; the sink is then
 * left closed and failed).
 */
static int sink_reopen(struct ct_engine *e, struct ct_sink *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	char arg[4096];

	if (strcmp(s->arg, "-") == 0)
		return s->failed || s->ops->flush == NULL ? CT_OK : s->ops->flush(s->priv, errbuf);
	if (s->priv != NULL) {
		errbuf[0] = '\0';
		if (s->ops->close(s->priv, errbuf) != CT_OK && !s->failed) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			e->c.sink_errors++;
		}
		s->priv = NULL;
	}
	snprintf(arg, sizeof(arg), "%s%s", s->ops == &ct_sink_sqlite ? "" : ">>", s->arg);
	errbuf[0] = '\0';
	s->priv = s->ops->open(arg, errbuf);
	if (s->priv == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		s->failed = 1;
		e->c.sink_errors++;
		return CT_ERR;
	}
	s->failed = 0;
	return CT_OK;
}

/*
 * Reopens every sink (SIGHUP after log rotation): the records written so far
 * are flushed and closed first.  Returns CT_OK, or CT_ERR when any sink could
 * not be reopened (reported on stderr; the others go on).
 */
int ct_engine_reopen_sinks(struct ct_engine *e)
{
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < e->n_sinks; i++)
		if (sink_reopen(e, &e->sinks[i]) != CT_OK)
			rc = CT_ERR;
	return rc;
}

/*
 * End of input: closes every open call (marked truncated), writes the
 * records and closes the sinks.  Returns CT_OK, or CT_ERR when any sink
 * failed at any point (each failure was reported on stderr).
 */
int ct_engine_finish(struct ct_engine *e)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	ct_dialog_flush(e->dialogs);
	if (e->media != NULL)
		ct_media_flush(e->media);
	ct_engine_close_orphans(e);
	if (e->media != NULL) {
		struct ct_media_stats ms;
		const char *err = ct_media_audio_error(e->media);

		ct_media_get_stats(e->media, &ms);
		e->c.audio_errors = ms.audio_errors;
		if (err != NULL)
			fprintf(stderr, "calltap: %llu recording(s) failed; first: %s\n",
			    (unsigned long long)ms.audio_errors, err);
	}
	for (i = 0; i < e->n_sinks; i++) {
		struct ct_sink *s = &e->sinks[i];

		errbuf[0] = '\0';
		if (s->priv != NULL && s->ops->close(s->priv, errbuf) != CT_OK && !s->failed) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			e->c.sink_errors++;
		}
		free(s->arg);
	}
	e->n_sinks = 0;
	return e->c.sink_errors || e->c.audio_errors ? CT_ERR : CT_OK;
}

/* Frees the engine and every stage; sinks must have been closed by finish. */
void ct_engine_free(struct ct_engine *e)
{
	if (e == NULL)
		return;
	ct_engine_close_orphans(e); /* uses e->media: before ct_media_free */
	ct_dialog_table_free(e->dialogs);
	ct_media_free(e->media);
	ct_tcp_reasm_free(e->tcp);
	ct_ipfrag_free(e->frag);
	free(e->orphans_name);
	ct_buf_fini(&e->obuf);
	free(e);
}

const struct ct_engine_counters *ct_engine_counters(const struct ct_engine *e)
{
	return &e->c;
}

static void print_row(FILE *out, const char *name, uint64_t v)
{
	if (v != 0)
		fprintf(out, "  %-24s %llu\n", name, (unsigned long long)v);
}

/* Prints every non-zero counter, one per line, for humans. */
void ct_engine_print_stats(const struct ct_engine *e, FILE *out)
{
	struct ct_dialog_stats ds;
	struct ct_tcp_stats ts;
	struct ct_ipfrag_stats fs;
	int ev;

	ct_dialog_get_stats(e->dialogs, &ds);
	ct_tcp_reasm_get_stats(e->tcp, &ts);
	ct_ipfrag_get_stats(e->frag, &fs);
	fprintf(out, "calltap statistics:\n");
	print_row(out, "frames", e->c.frames);
	print_row(out, "bytes", e->c.bytes);
	print_row(out, "decoded", e->c.decoded);
	print_row(out, "skipped", e->c.skipped);
	print_row(out, "invalid", e->c.invalid);
	print_row(out, "fragments", e->c.fragments);
	print_row(out, "reassembled", fs.reassembled);
	print_row(out, "tcp_segments", ts.segments);
	print_row(out, "tcp_gaps", ts.gaps);
	print_row(out, "sip_udp", e->c.sip_udp);
	print_row(out, "sip_tcp", e->c.sip_tcp);
	print_row(out, "sip_malformed", e->c.sip_malformed);
	print_row(out, "sip_retransmissions", ds.retransmissions);
	print_row(out, "sip_register", ds.requests[CT_M_REGISTER]);
	print_row(out, "sip_options", ds.requests[CT_M_OPTIONS]);
	print_row(out, "sip_orphan_messages", ds.orphan_messages);
	print_row(out, "rtp_packets", e->c.rtp_packets);
	if (e->media != NULL) {
		struct ct_media_stats ms;

		ct_media_get_stats(e->media, &ms);
		print_row(out, "rtp_orphan", ms.orphan);
		print_row(out, "rtcp_packets", ms.rtcp);
		print_row(out, "recordings", ms.recordings);
		print_row(out, "recording_errors", ms.audio_errors);
	}
	print_row(out, "other_udp", e->c.other_udp);
	print_row(out, "calls", ds.calls);
	print_row(out, "calls_timed_out", ds.calls_timed_out);
	print_row(out, "records", e->c.records);
	print_row(out, "sink_errors", e->c.sink_errors);
	print_row(out, "time_backwards", e->c.time_backwards);
	print_row(out, "capture_drops", e->c.capture_drops);
	print_row(out, "capture_ifdrops", e->c.capture_ifdrops);
	for (ev = 0; ev < CT_EV_COUNT; ev++)
		if (e->c.events[ev] != 0)
			fprintf(out, "  event %-18s %llu\n", ct_event_name((enum ct_event)ev),
			    (unsigned long long)e->c.events[ev]);
}

/*
 * Prints one status line for a long-running capture: frames (and their rate
 * since the previous line, by capture time), calls open and done, RTP
 * packets, and the capture's kernel / interface drops (live capture only:
 * with a drops hook).  Ends with a newline.
 */
void ct_engine_print_stats_line(const struct ct_engine *e, FILE *out)
{
	struct ct_dialog_stats ds;
	int64_t span = e->now_us - e->prev_stats_us;
	double rate = 0;

	ct_dialog_get_stats(e->dialogs, &ds);
	if (e->prev_stats_us != 0 && span > 0)
		rate = (double)(e->c.frames - e->prev_stats_frames) * 1e6 / (double)span;
	fprintf(out, "calltap: packets %llu (%.0f/s) calls active %zu done %llu"
	    " rtp %llu sip %llu",
	    (unsigned long long)e->c.frames, rate, ds.active, (unsigned long long)ds.calls,
	    (unsigned long long)e->c.rtp_packets,
	    (unsigned long long)(e->c.sip_udp + e->c.sip_tcp));
	/* Drops exist for a live capture only (a drops hook); a file has none to tell. */
	if (e->drops_fn != NULL)
		fprintf(out, " drops %llu ifdrops %llu", (unsigned long long)e->c.capture_drops,
		    (unsigned long long)e->c.capture_ifdrops);
	fputc('\n', out);
}
