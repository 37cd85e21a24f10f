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
 * A record whose call was recorded waits before the sinks until the
 * finisher thread has written the file (its completion report gives the
 * name the file got, or says it failed: then the record names no file), and
 * every record emitted after it waits behind it, so the sinks see records
 * in emission order whatever the thread timing.  Held records are released
 * on each emission and tick; beyond ENGINE_MAX_HELD the capture thread
 * waits for the oldest recording (bounded memory under a call flood).
 *
 * The sinks run on an output thread (calltap/worker.h), started with the
 * first record: a released record is queued for it (attribution already
 * done), and the durability flush, SIGHUP's reopen and the final close are
 * queued behind the records as control messages, so the capture thread
 * never waits for an output except when ENGINE_OUT_QUEUE records are
 * queued (it then waits, counted in output_waits; nothing is dropped).
 * From then on the sinks and their failed/dirty flags belong to that
 * thread; its sink errors are counted atomically and added at finish.
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
#include <time.h>

#include "calltap/buf.h"
#include "calltap/attr.h"
#include "calltap/clock.h"
#include "calltap/decode.h"
#include "calltap/engine.h"
#include "calltap/err.h"
#include "calltap/media.h"
#include "calltap/sip.h"
#include "calltap/worker.h"

#define ENGINE_MAX_SINKS 8
#define ENGINE_MAX_REDECODE 4
#define FLUSH_INTERVAL_US INT64_C(1000000) /* sinks are made durable this often (wall time) */
#define ORPHAN_IDLE_US (60 * INT64_C(1000000)) /* an orphan stream silent this long ended */
#define ENGINE_MAX_HELD 4096   /* records held back behind a recording being written */
#define ENGINE_OUT_QUEUE 1024  /* records queued for the output thread at most */

/* Control messages of the output thread (out_control). */
enum { OUT_FLUSH_DIRTY, OUT_FLUSH_ALL, OUT_REOPEN, OUT_CLOSE };

/* A record held back until its recording (or an older one) is written. */
struct held {
	struct ct_call_record *rec;
	bool pending;            /* rec->recording is submitted, not yet confirmed */
	struct held *next;
};
#define EVICT_WARN_US (10 * INT64_C(1000000))  /* eviction warnings at most this often */

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
	int64_t next_flush_us;   /* ct_engine_flush_due: monotonic time of the next flush */
	bool new_input;          /* the next frame opens another capture file */
	struct ct_outfile orphans; /* orphan RTP streams as JSON lines; fd -1 = off */
	struct ct_buf obuf;      /* reused to format one orphan stream */
	int64_t stats_interval_us; /* periodic stats hook (0 = off) */
	int64_t next_stats_us;
	ct_engine_stats_fn stats_fn;
	ct_engine_drops_fn drops_fn;  /* live capture: polls pcap_stats each tick */
	void *drops_user;
	void *stats_user;
	int64_t prev_stats_us;   /* capture time and frames at the previous line */
	uint64_t prev_stats_frames;
	uint64_t prev_stats_calls; /* calls done at the previous line */
	struct ct_audio_finisher *fin; /* reports written recordings; NULL: none pending */
	struct held *held_head, *held_tail; /* records waiting for a recording, in order */
	size_t n_held;
	uint64_t recordings_lost;  /* handed to the finisher but not written */
	int64_t warn_us;         /* capture time of the last eviction warning, INT64_MIN = none */
	int64_t warn_from_us;    /* start of the period it reported */
	uint64_t warn_evicted[CT_EVICT_COUNT]; /* dialog counters at the last warning */
	uint64_t warn_dropped;
	struct ct_worker *out;   /* the output thread; NULL: none yet (or it could not start) */
	bool out_dirty;          /* records queued since the last flush message */
	bool out_broken;         /* it could not start: the sinks run on this thread */
	uint64_t out_errors;     /* sink errors on the output thread (atomic) */
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

/* One more sink error, from whichever thread runs the sinks. */
static void sink_error(struct ct_engine *e)
{
	__atomic_fetch_add(&e->out_errors, 1, __ATOMIC_RELAXED);
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
			sink_error(e);
		} else {
			s->dirty = 1;
		}
	}
}

/* The output thread: writes one record to every sink and frees it. */
static void out_deliver(void *user, void *item)
{
	struct ct_call_record *rec = item;

	sink_write_all(user, rec);
	ct_call_record_free(rec);
}

static int out_control(void *user, int op);

/*
 * Hands rec (finished, enriched, its recording resolved) to the sinks:
 * queued for the output thread, started on the first record.  Without
 * sinks it is only freed; if the thread cannot start, written here.
 */
static void write_record(struct ct_engine *e, struct ct_call_record *rec)
{
	static const struct ct_worker_ops ops = { out_deliver, out_control };
	char errbuf[CT_ERRBUF_SIZE];

	e->c.records++;
	if (e->out == NULL && e->n_sinks > 0 && !e->out_broken) {
		e->out = ct_worker_new(ENGINE_OUT_QUEUE, &ops, e, errbuf);
		if (e->out == NULL) {
			fprintf(stderr, "calltap: %s; outputs are written on the capture thread\n", errbuf);
			e->out_broken = true;
		}
	}
	if (e->out != NULL && ct_worker_put(e->out, rec) == CT_OK) {
		e->out_dirty = true;
		return;
	}
	out_deliver(e, rec);
}

/*
 * Takes the finisher's report for rec's recording (the oldest one not
 * taken: reports come in submission order, and a recording is submitted
 * right before its record is emitted).  rec then names the file as written,
 * or no file when it could not be written.  wait: block until the report is
 * there.  Returns false when it is not there yet.
 */
static bool recording_resolve(struct ct_engine *e, struct ct_call_record *rec, bool wait)
{
	char *intended = NULL, *final = NULL;

	if (!ct_audio_finisher_take_done(e->fin, wait, &intended, &final) && !wait)
		return false;
	/* No report once nothing is in flight, or not this file's: not confirmed. */
	if (final != NULL && (intended == NULL || strcmp(intended, rec->recording) != 0)) {
		free(final);
		final = NULL;
	}
	if (final == NULL)
		e->recordings_lost++;
	free(intended);
	free(rec->recording);
	rec->recording = final;
	return true;
}

/*
 * Writes the held records from the oldest on, up to the first whose
 * recording is not written yet (waiting for it when wait is set or too many
 * records are held).
 */
static void release_held(struct ct_engine *e, bool wait)
{
	struct held *h;

	while ((h = e->held_head) != NULL) {
		if (h->pending && !recording_resolve(e, h->rec, wait || e->n_held > ENGINE_MAX_HELD))
			return;
		e->held_head = h->next;
		if (e->held_head == NULL)
			e->held_tail = NULL;
		e->n_held--;
		write_record(e, h->rec);
		free(h);
	}
}

static void on_emit(void *user, struct ct_call_record *rec)
{
	struct ct_engine *e = user;
	bool pending;
	struct held *h;

	if (e->cfg.attr != NULL)
		ct_attr_enrich(e->cfg.attr, rec);   /* on CT_NOMEM some fields stay null */
	pending = e->fin != NULL && rec->recording != NULL;
	if (!pending && e->held_head == NULL) {
		write_record(e, rec);
		return;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		/* No memory to hold it: wait for the older ones and for its file. */
		release_held(e, true);
		if (pending)
			(void)recording_resolve(e, rec, true);
		write_record(e, rec);
		return;
	}
	h->rec = rec;
	h->pending = pending;
	h->next = NULL;
	if (e->held_tail != NULL)
		e->held_tail->next = h;
	else
		e->held_head = h;
	e->held_tail = h;
	e->n_held++;
	release_held(e, false);
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
	int rc;

	memset(&m, 0, sizeof(m));
	m.ts_us = pkt->ts_us;
	m.t = pkt->t;
	m.vlan = pkt->vlan;
	m.transport = transport;
	rc = ct_sip_msg_parse(&m, text, len);
	if (rc != CT_OK) {
		/* Over the size or header limits: counted, never parsed.  A call
		 * whose in-dialog message is refused just misses that message. */
		if (rc == CT_SIP_REFUSED) {
			e->c.sip_refused++;
		} else {
			e->c.sip_malformed++;
			e->c.events[CT_EV_SIP_MALFORMED]++;
		}
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

/* One framed SIP message from a TCP stream (ct_sip_stream_consume). */
struct tcp_msg_ctx {
	struct ct_engine *e;
	const struct ct_packet *pkt;
};

static void on_tcp_msg(void *user, const char *text, size_t len)
{
	struct tcp_msg_ctx *c = user;

	handle_sip_text(c->e, c->pkt, text, len, CT_TRANSPORT_TCP);
}

/*
 * TCP stream consumer: frames as many whole SIP messages as the in-order
 * bytes hold and returns how many bytes it used (ct_sip_stream_consume;
 * incremental over the direction's scan state, so a message sent in tiny
 * segments is not rescanned at each one).
 */
static size_t on_tcp_data(void *user, const struct ct_packet *pkt,
    const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan)
{
	struct tcp_msg_ctx c = { user, pkt };
	struct ct_engine *e = user;

	(void)gap;
	return ct_sip_stream_consume(data, len, scan, on_tcp_msg, &c,
	    &e->c.events[CT_EV_SIP_FRAMING]);
}

static void handle_udp(struct ct_engine *e, struct ct_packet *pkt)
{
	if (ct_sip_looks_like((const char *)pkt->payload, pkt->payload_len)) {
		handle_sip_text(e, pkt, (const char *)pkt->payload, pkt->payload_len,
		    CT_TRANSPORT_UDP);
		return;
	}
	switch (e->media != NULL ? ct_media_packet(e->media, pkt) : CT_MEDIA_OTHER) {
	case CT_MEDIA_CALL:
		e->c.rtp_packets++;
		return;
	case CT_MEDIA_INJECTED:     /* counted by the media table (sync_media) */
		return;
	default:
		e->c.other_udp++;
		break;
	}
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
		e->next_stats_us = ct_ts_add(e->now_us, e->stats_interval_us);
		e->prev_stats_us = e->now_us;
		return;
	}
	if (e->now_us < e->next_stats_us)
		return;
	e->stats_fn(e->stats_user, e);
	e->prev_stats_us = e->now_us;
	e->prev_stats_frames = e->c.frames;
	{
		struct ct_dialog_stats ds;

		ct_dialog_get_stats(e->dialogs, &ds);
		e->prev_stats_calls = ds.calls;
	}
	e->next_stats_us = ct_ts_add(e->now_us, e->stats_interval_us);
}

/*
 * Writes one orphan RTP stream (no SIP call) as a JSON line, whole (a full
 * disk cuts the file back to its last whole line and ends the output).
 */
static void on_orphan(void *user, const struct ct_stream_stats *st)
{
	struct ct_engine *e = user;
	char errbuf[CT_ERRBUF_SIZE];

	if (e->orphans.fd < 0)
		return;
	ct_buf_reset(&e->obuf);
	ct_stream_json(st, &e->obuf);
	ct_buf_puts(&e->obuf, "\n");
	if (ct_outfile_write(&e->orphans, &e->obuf, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: orphan streams: %s\n", errbuf);
		e->c.sink_errors++;
		ct_outfile_close(&e->orphans, NULL);
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
	if (ct_outfile_open(&e->orphans, path, errbuf) != CT_OK)
		return CT_ERR;
	ct_media_set_orphan_hook(e->media, on_orphan, e);
	return CT_OK;
}

static void ct_engine_close_orphans(struct ct_engine *e)
{
	char errbuf[CT_ERRBUF_SIZE];

	if (ct_outfile_close(&e->orphans, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: orphan streams: %s\n", errbuf);
		e->c.sink_errors++;
	}
	if (e->media != NULL)
		ct_media_set_orphan_hook(e->media, NULL, NULL);
}

/* Copies the output thread's backpressure count into the counters. */
static void sync_output(struct ct_engine *e)
{
	struct ct_worker_stats ws;

	if (e->out == NULL)
		return;
	ct_worker_get_stats(e->out, &ws);
	e->c.output_waits = ws.waits;
}

/* Copies the media table's counters that the engine's counters show. */
static void sync_media(struct ct_engine *e)
{
	struct ct_media_stats ms;

	if (e->media == NULL)
		return;
	ct_media_get_stats(e->media, &ms);
	e->c.rtp_injected = ms.injected;
}

/*
 * Warns on stderr about calls evicted from (or refused by) a full call
 * table since the last warning: at most once per EVICT_WARN_US of capture
 * time, and once more at the end (at_end) for what is left unreported.
 */
static void warn_evictions(struct ct_engine *e, bool at_end)
{
	struct ct_dialog_stats ds;
	uint64_t n[CT_EVICT_COUNT], dropped, total = 0;
	int i;

	ct_dialog_get_stats(e->dialogs, &ds);
	for (i = 0; i < CT_EVICT_COUNT; i++) {
		n[i] = ds.evicted[i] - e->warn_evicted[i];
		total += n[i];
	}
	dropped = ds.dropped - e->warn_dropped;
	if (total == 0 && dropped == 0)
		return;
	if (!at_end && e->warn_us != INT64_MIN && e->now_us - e->warn_us < EVICT_WARN_US)
		return;
	fprintf(stderr, "calltap: call table full (at most %zu open calls): %llu calls evicted"
	    " (%llu no response, %llu idle, %llu settled, %llu active), %llu refused"
	    " in %.0f s of capture\n", e->cfg.dialog.max_dialogs, (unsigned long long)total,
	    (unsigned long long)n[CT_EVICT_NORESPONSE], (unsigned long long)n[CT_EVICT_IDLE],
	    (unsigned long long)n[CT_EVICT_SETTLED], (unsigned long long)n[CT_EVICT_ACTIVE],
	    (unsigned long long)dropped,
	    e->warn_from_us == INT64_MIN ? 0.0 : (double)(e->now_us - e->warn_from_us) / 1e6);
	for (i = 0; i < CT_EVICT_COUNT; i++)
		e->warn_evicted[i] = ds.evicted[i];
	e->warn_dropped = ds.dropped;
	e->warn_us = e->now_us;
	e->warn_from_us = e->now_us;
}

static void tick(struct ct_engine *e)
{
	release_held(e, false);
	sync_media(e);
	sync_output(e);
	ct_ipfrag_expire(e->frag, e->now_us);
	ct_tcp_reasm_expire(e->tcp, e->now_us);
	ct_dialog_expire(e->dialogs, e->now_us);
	warn_evictions(e, false);
	if (e->media != NULL)
		ct_media_expire(e->media, e->now_us, ORPHAN_IDLE_US);
	e->next_tick_us = ct_ts_add(e->now_us, e->cfg.tick_us);
	if (e->drops_fn != NULL)
		e->drops_fn(e->drops_user, e);
	if (e->stats_interval_us > 0)
		stats_due(e);
}

/*
 * Advances the capture clock to now_us without a frame, running expiry and
 * the stats hook when due: a live capture calls it when the link is idle so
 * calls still time out.  A time at or before the newest frame is ignored;
 * one outside [CT_TS_MIN, CT_TS_MAX] is clamped first (not counted: it is
 * the system clock, not a frame).
 */
void ct_engine_clock(struct ct_engine *e, int64_t now_us)
{
	(void)ct_ts_clamp(&now_us);
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
	ct_ipfrag_expire(e->frag, ct_ts_add(e->now_us, far));
	ct_tcp_reasm_expire(e->tcp, ct_ts_add(e->now_us, far));
	e->now_us = ts_us;
	e->next_tick_us = ct_ts_add(ts_us, e->cfg.tick_us);
}

/*
 * Processes one frame (borrowed for the duration of the call).  Malformed
 * frames are counted, never fatal.  The frame time is untrusted (any 64-bit
 * value a pcapng file can express): it is clamped into [CT_TS_MIN,
 * CT_TS_MAX] and counted in time_out_of_range, so that no stage behind
 * (timeouts, durations, record times, sample positions) can overflow.
 */
void ct_engine_frame(struct ct_engine *e, const struct ct_frame *f)
{
	struct ct_packet pkt;
	enum ct_verdict v;
	int64_t ts = f->ts_us;

	e->c.frames++;
	e->c.bytes += f->caplen;
	if (ct_ts_clamp(&ts))
		e->c.time_out_of_range++;
	if (e->warn_from_us == INT64_MIN)
		e->warn_from_us = ts;
	if (e->new_input)
		input_boundary(e, ts);
	if (ts >= e->now_us)
		e->now_us = ts;
	else
		e->c.time_backwards++;
	if (e->now_us >= e->next_tick_us)
		tick(e);

	pkt.ts_us = ts;
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
	e->cfg.dialog.rtp_tracked = e->cfg.rtp; /* without RTP every call looks silent */
	ct_sip_init();
	ct_decode_ctx_init(&e->dctx);
	hooks.emit = on_emit;
	hooks.media = on_media;
	hooks.closing = on_closing;
	hooks.user = e;
	ct_buf_init(&e->obuf);
	e->orphans.fd = -1;
	e->now_us = INT64_MIN;
	e->next_tick_us = INT64_MIN;
	e->warn_us = e->warn_from_us = INT64_MIN;
	e->frag = ct_ipfrag_new(&e->cfg.frag);
	e->tcp = ct_tcp_reasm_new(&e->cfg.tcp, on_tcp_data, e);
	e->dialogs = ct_dialog_table_new(&e->cfg.dialog, &hooks);
	if (e->frag == NULL || e->tcp == NULL || e->dialogs == NULL)
		goto fail;
	if (e->cfg.rtp && (e->media = ct_media_new(0)) == NULL)
		goto fail;
	if (e->media != NULL && e->cfg.audio_dir != NULL) {
		ct_media_set_audio(e->media, e->cfg.audio_dir, (enum ct_audio_format)e->cfg.audio_format);
		e->fin = ct_media_audio_finisher(e->media);
		ct_audio_finisher_track(e->fin);
	}
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

	if (e->out != NULL) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "outputs are added before the first record");
		return CT_ERR;
	}
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

/* Flushes every healthy sink (only_dirty: those written since their last flush). */
static int flush_sinks(struct ct_engine *e, bool only_dirty)
{
	char errbuf[CT_ERRBUF_SIZE];
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < e->n_sinks; i++) {
		struct ct_sink *s = &e->sinks[i];

		if (s->failed || s->ops->flush == NULL || (only_dirty && !s->dirty))
			continue;
		s->dirty = 0;
		errbuf[0] = '\0';
		if (s->ops->flush(s->priv, errbuf) != CT_OK) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			s->failed = 1;
			sink_error(e);
			rc = CT_ERR;
		}
	}
	return rc;
}

/*
 * Flushes every healthy sink, behind the records queued so far (waits for
 * the output thread); CT_ERR if any failed (reported on stderr).
 */
int ct_engine_flush(struct ct_engine *e)
{
	if (e->out != NULL)
		return ct_worker_control(e->out, OUT_FLUSH_ALL, true);
	return flush_sinks(e, false);
}

/*
 * When ct_engine_flush_due will next have work: the monotonic time of the
 * next flush when a sink (or the orphan streams) was written since its last
 * flush, INT64_MAX when nothing waits.  A driver about to block on a pipe
 * waits for input at most until then and calls ct_engine_flush_due with it.
 */
int64_t ct_engine_next_flush(const struct ct_engine *e)
{
	size_t i;

	if (e->out != NULL)    /* the sinks' flags belong to the output thread */
		return e->out_dirty || e->orphans.unsynced ? e->next_flush_us : INT64_MAX;
	for (i = 0; i < e->n_sinks; i++)
		if (e->sinks[i].dirty && !e->sinks[i].failed)
			return e->next_flush_us;
	return e->orphans.unsynced ? e->next_flush_us : INT64_MAX;
}

/*
 * The durability timer, on wall time: the driver calls this with a
 * monotonic clock in microseconds as often as it likes (after each frame
 * and each read timeout of a live capture).  At most once per second it
 * flushes every sink written since its last flush (SQLite commits, text
 * files are fdatasync()ed), so a crash or a power loss costs at most about
 * a second of finished calls, also when the link then goes idle.  Returns
 * CT_OK, or CT_ERR when a sink failed (reported on stderr, marked failed).
 */
int ct_engine_flush_due(struct ct_engine *e, int64_t mono_us)
{
	char errbuf[CT_ERRBUF_SIZE];

	if (mono_us < e->next_flush_us)
		return CT_OK;
	e->next_flush_us = mono_us + FLUSH_INTERVAL_US;
	if (ct_outfile_flush(&e->orphans, errbuf) != CT_OK) {
		fprintf(stderr, "calltap: orphan streams: %s\n", errbuf);
		e->c.sink_errors++;
		ct_engine_close_orphans(e);
	}
	if (e->out != NULL) {
		/* Queued behind the records: never overtakes one, never waits for it. */
		if (e->out_dirty && ct_worker_control(e->out, OUT_FLUSH_DIRTY, false) == CT_OK)
			e->out_dirty = false;
		return CT_OK;
	}
	return flush_sinks(e, true);
}

/*
 * Closes sink s and opens it again on the same target: SQLite reopens its
 * database, the text sinks reopen their file in append mode (">>" prefix, see
 * ct_outfile_open) so nothing already written is lost when the file was not
 * rotated away.  Standard output and the network sinks (pgsql, webhook) are
 * only flushed.  A sink that failed earlier
 * gets another chance.  Returns CT_OK, or CT_ERR (reported; the sink is then
 * left closed and failed).
 */
static int sink_reopen(struct ct_engine *e, struct ct_sink *s)
{
	char errbuf[CT_ERRBUF_SIZE];
	char arg[4096];

	/* Standard output, and the network sinks (PostgreSQL, webhook: a
	 * connection and a spool, no file to rotate): only flushed. */
	if (strcmp(s->arg, "-") == 0 || strcmp(s->ops->name, "pgsql") == 0 ||
	    strcmp(s->ops->name, "webhook") == 0)
		return s->failed || s->ops->flush == NULL ? CT_OK : s->ops->flush(s->priv, errbuf);
	if (s->priv != NULL) {
		errbuf[0] = '\0';
		if (s->ops->close(s->priv, errbuf) != CT_OK && !s->failed) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			sink_error(e);
		}
		s->priv = NULL;
	}
	snprintf(arg, sizeof(arg), "%s%s", s->ops == &ct_sink_sqlite ? "" : ">>", s->arg);
	errbuf[0] = '\0';
	s->priv = s->ops->open(arg, errbuf);
	if (s->priv == NULL) {
		fprintf(stderr, "calltap: %s\n", errbuf);
		s->failed = 1;
		sink_error(e);
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
static int reopen_all(struct ct_engine *e)
{
	int rc = CT_OK;
	size_t i;

	for (i = 0; i < e->n_sinks; i++)
		if (sink_reopen(e, &e->sinks[i]) != CT_OK)
			rc = CT_ERR;
	return rc;
}

/*
 * SIGHUP: with the output thread running, the reopen is queued behind the
 * records (not waited for: its failures are reported on stderr) and CT_OK
 * returned.
 */
int ct_engine_reopen_sinks(struct ct_engine *e)
{
	if (e->out != NULL)
		return ct_worker_control(e->out, OUT_REOPEN, false);
	return reopen_all(e);
}

/* Closes every sink (the end of output). */
static void close_sinks(struct ct_engine *e)
{
	char errbuf[CT_ERRBUF_SIZE];
	size_t i;

	for (i = 0; i < e->n_sinks; i++) {
		struct ct_sink *s = &e->sinks[i];

		errbuf[0] = '\0';
		if (s->priv != NULL && s->ops->close(s->priv, errbuf) != CT_OK && !s->failed) {
			fprintf(stderr, "calltap: %s\n", errbuf);
			sink_error(e);
		}
		free(s->arg);
	}
	e->n_sinks = 0;
}

/* The output thread's control messages, in queue order with the records. */
static int out_control(void *user, int op)
{
	struct ct_engine *e = user;

	switch (op) {
	case OUT_FLUSH_DIRTY:
		return flush_sinks(e, true);
	case OUT_FLUSH_ALL:
		return flush_sinks(e, false);
	case OUT_REOPEN:
		return reopen_all(e);
	default:
		close_sinks(e);
		return CT_OK;
	}
}

/*
 * End of input: closes every open call (marked truncated), writes the
 * records and closes the sinks.  Returns CT_OK, or CT_ERR when any sink
 * failed at any point (each failure was reported on stderr).
 */
int ct_engine_finish(struct ct_engine *e)
{

	ct_dialog_flush(e->dialogs);
	warn_evictions(e, true);
	if (e->media != NULL)
		ct_media_flush(e->media);
	release_held(e, true);
	ct_engine_close_orphans(e);
	if (e->media != NULL) {
		struct ct_media_stats ms;
		const char *err = ct_media_audio_error(e->media);

		ct_media_get_stats(e->media, &ms);
		e->c.audio_errors = ms.audio_errors;
		e->c.rtp_injected = ms.injected;
		if (err != NULL)
			fprintf(stderr, "calltap: %llu recording(s) failed; first: %s\n",
			    (unsigned long long)ms.audio_errors, err);
	}
	if (e->out != NULL) {
		/* Every queued record is written, then the sinks close; the thread ends. */
		ct_worker_finish(e->out, OUT_CLOSE);
		sync_output(e);
		ct_worker_free(e->out);
		e->out = NULL;
	} else {
		close_sinks(e);
	}
	e->c.sink_errors += __atomic_exchange_n(&e->out_errors, 0, __ATOMIC_RELAXED);
	return e->c.sink_errors || e->c.audio_errors ? CT_ERR : CT_OK;
}

/* Frees the engine and every stage; sinks must have been closed by finish. */
void ct_engine_free(struct ct_engine *e)
{
	if (e == NULL)
		return;
	ct_worker_free(e->out);   /* ct_engine_finish was not called: delivers what is queued */
	while (e->held_head != NULL) {     /* ct_engine_finish was not called */
		struct held *h = e->held_head;

		e->held_head = h->next;
		ct_call_record_free(h->rec);
		free(h);
	}
	ct_engine_close_orphans(e); /* uses e->media: before ct_media_free */
	ct_dialog_table_free(e->dialogs);
	ct_media_free(e->media);
	ct_tcp_reasm_free(e->tcp);
	ct_ipfrag_free(e->frag);
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
	print_row(out, "sip_refused", e->c.sip_refused);
	print_row(out, "sip_retransmissions", ds.retransmissions);
	print_row(out, "sip_register", ds.requests[CT_M_REGISTER]);
	print_row(out, "sip_options", ds.requests[CT_M_OPTIONS]);
	print_row(out, "sip_orphan_messages", ds.orphan_messages);
	print_row(out, "rtp_packets", e->c.rtp_packets);
	if (e->media != NULL) {
		struct ct_media_stats ms;

		ct_media_get_stats(e->media, &ms);
		print_row(out, "rtp_orphan", ms.orphan);
		print_row(out, "rtp_injected", ms.injected);
		print_row(out, "rtp_injected_streams", ms.injected_streams);
		print_row(out, "rtp_promoted_streams", ms.promoted);
		print_row(out, "rtp_endpoints_retired", ms.endpoints_retired);
		print_row(out, "rtp_endpoints_refused", ms.endpoints_refused);
		print_row(out, "rtp_endpoints_unindexed", ms.endpoints_unindexed);
		print_row(out, "rtp_streams_refused", ms.streams_refused);
		print_row(out, "rtcp_packets", ms.rtcp);
		print_row(out, "recordings", ms.recordings - e->recordings_lost);
		print_row(out, "recording_errors", ms.audio_errors);
	}
	print_row(out, "other_udp", e->c.other_udp);
	print_row(out, "calls", ds.calls);
	print_row(out, "calls_timed_out", ds.calls_timed_out);
	print_row(out, "calls_media_timeout", ds.media_timeouts);
	print_row(out, "calls_evicted_noresponse", ds.evicted[CT_EVICT_NORESPONSE]);
	print_row(out, "calls_evicted_idle", ds.evicted[CT_EVICT_IDLE]);
	print_row(out, "calls_evicted_settled", ds.evicted[CT_EVICT_SETTLED]);
	print_row(out, "calls_evicted_active", ds.evicted[CT_EVICT_ACTIVE]);
	print_row(out, "calls_refused", ds.dropped);
	print_row(out, "calls_linger_cut", ds.linger_cut);
	print_row(out, "records_fields_cut", ds.fields_cut);
	print_row(out, "records", e->c.records);
	print_row(out, "sink_errors", e->c.sink_errors);
	print_row(out, "output_waits", e->c.output_waits);
	print_row(out, "time_backwards", e->c.time_backwards);
	print_row(out, "time_out_of_range", e->c.time_out_of_range);
	print_row(out, "capture_drops", e->c.capture_drops);
	print_row(out, "capture_ifdrops", e->c.capture_ifdrops);
	for (ev = 0; ev < CT_EV_COUNT; ev++)
		if (e->c.events[ev] != 0)
			fprintf(out, "  event %-18s %llu\n", ct_event_name((enum ct_event)ev),
			    (unsigned long long)e->c.events[ev]);
}

/*
 * Prints one status line for a long-running capture: frames (and their rate
 * since the previous line, by capture time), calls open and done (and calls
 * ended per minute since the previous line), calls
 * evicted from a full table and refused (totals), RTP packets (and foreign
 * ones refused as injected), SIP messages, and the
 * capture's kernel / interface drops (live capture only: with a drops
 * hook), then the capture time of the line (UTC).  Ends with a newline.
 */
void ct_engine_print_stats_line(const struct ct_engine *e, FILE *out)
{
	struct ct_dialog_stats ds;
	int64_t span = e->now_us - e->prev_stats_us;
	double rate = 0, per_min = 0;
	uint64_t evicted = 0;
	char when[32] = "-";
	struct tm tm;
	time_t sec;
	int i;

	ct_dialog_get_stats(e->dialogs, &ds);
	for (i = 0; i < CT_EVICT_COUNT; i++)
		evicted += ds.evicted[i];
	if (e->prev_stats_us != 0 && span > 0)
		rate = (double)(e->c.frames - e->prev_stats_frames) * 1e6 / (double)span;
	if (e->prev_stats_us != 0 && span > 0)
		per_min = (double)(ds.calls - e->prev_stats_calls) * 60e6 / (double)span;
	if (e->now_us > 0) {
		sec = (time_t)(e->now_us / 1000000);
		if (gmtime_r(&sec, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	fprintf(out, "calltap: packets %llu (%.0f/s) calls active %zu done %llu (%.1f/min)"
	    " evicted %llu refused %llu rtp %llu injected %llu sip %llu",
	    (unsigned long long)e->c.frames, rate, ds.active, (unsigned long long)ds.calls, per_min,
	    (unsigned long long)evicted, (unsigned long long)ds.dropped,
	    (unsigned long long)e->c.rtp_packets, (unsigned long long)e->c.rtp_injected,
	    (unsigned long long)(e->c.sip_udp + e->c.sip_tcp));
	/* Drops exist for a live capture only (a drops hook); a file has none to tell. */
	if (e->drops_fn != NULL)
		fprintf(out, " drops %llu ifdrops %llu", (unsigned long long)e->c.capture_drops,
		    (unsigned long long)e->c.capture_ifdrops);
	fprintf(out, " at %s\n", when);
}
