/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine: owns every stage and runs them in a fixed order for each
 * captured frame:
 *
 *   decode (stateless) -> IP fragment reassembly -> decode L4 again
 *     UDP: SIP if the payload starts like a SIP message, else RTP matching
 *     TCP: per-direction stream reassembly -> SIP framer -> libosip2
 *   SIP messages -> dialog table -> call records -> attribution -> the sink set
 *   (cfg.sinks, borrowed: it writes every output; the engine only hands records over)
 *
 * A record whose call was recorded waits before the sinks until the
 * finisher thread has written the file (its completion report gives the
 * name the file got, or says it failed: then the record names no file), and
 * every record emitted after it waits behind it, so the sinks see records
 * in emission order whatever the thread timing.  Held records are released
 * on each emission and tick; beyond ENGINE_MAX_HELD the capture thread
 * waits for the oldest recording (bounded memory under a call flood).
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
#include "calltap/callcap.h"
#include "calltap/chunks.h"
#include "calltap/attr.h"
#include "calltap/clock.h"
#include "calltap/decode.h"
#include "calltap/engine.h"
#include "calltap/hep.h"
#include "calltap/err.h"
#include "calltap/log.h"
#include "calltap/media.h"
#include "calltap/sip.h"

#define ENGINE_MAX_REDECODE 4
#define ORPHAN_IDLE_US (60 * INT64_C(1000000)) /* an orphan stream silent this long ended */
#define ENGINE_MAX_HELD 4096   /* records held back behind a recording being written */
#define SIP_PRESCAN_SCRATCH CT_ENGINE_PRESCAN_SCRATCH /* bytes of a pre-scanned message's strings (longer: libosip2) */

/* A record held back until its recording (or an older one) is written. */
struct held {
	struct ct_call_record *rec;
	bool pending;            /* rec->recording is submitted, not yet confirmed */
	struct ct_callcap_job *pcap; /* the call's capture file being written, else NULL */
	struct held *next;
};
#define EVICT_WARN_US (10 * INT64_C(1000000))  /* eviction warnings at most this often */
#define EVICT_WARN_SOURCES 3                     /* sources an eviction warning names at most */
#define RTP_NOTE_US INT64_C(1000000)           /* RTP seen, told to the dialogs at most this often */
#define CLOCK_JUMP_US (60 * INT64_C(1000000))  /* a frame this far ahead of the clock is a jump */
#define CLOCK_JUMP_CONFIRM 4                     /* frames in a row that carry a jump: it is real */

/* A frame of a clock jump, copied and held until the jump is decided (clock_jump). */
struct jump_frame {
	struct ct_frame f;       /* the frame as given, but f.data = buf */
	int64_t ts;              /* its time clamped (frame_in) */
	uint8_t *buf;
	size_t cap;
};

struct ct_engine {
	struct ct_engine_cfg cfg;
	struct ct_decode_ctx dctx;
	struct ct_ipfrag *frag;
	struct ct_tcp_reasm *tcp;
	struct ct_dialog_table *dialogs;
	struct ct_chunks *chunks;       /* slab chunks populated ahead (calltap/chunks.h) */
	struct ct_media_table *media;
	struct ct_legs *legs;    /* PBX legs: trunk records wait for their legs (attr.h); NULL = off */
	bool want_start;         /* a sink has call_start: calls are announced when they start */
	int64_t now_us;          /* newest capture time seen (but a jump held: clock_jump) */
	struct jump_frame jump[CLOCK_JUMP_CONFIRM - 1]; /* a jump's frames held, in order */
	unsigned jump_n;         /* how many; 0: no jump pending */
	int64_t jump_lo;         /* jump_n > 0: a frame before this time refutes the jump */
	int64_t next_tick_us;    /* when expiry runs next */
	bool new_input;          /* the next frame opens another capture file */
	bool drops_known;        /* ct_engine_capture_drops was called */
	struct ct_audio_finisher *fin; /* reports written recordings; NULL: none pending */
	struct held *held_head, *held_tail; /* records waiting for a recording, in order */
	size_t n_held;
	uint64_t recordings_lost;  /* handed to the finisher but not written */
	int64_t warn_us;         /* capture time of the last eviction warning, INT64_MIN = none */
	int64_t rtp_noted_us;    /* capture time last given to ct_dialog_note_rtp (-RTP_NOTE_US: none) */
	int64_t warn_from_us;    /* start of the period it reported */
	uint64_t warn_evicted[CT_EVICT_COUNT]; /* dialog counters at the last warning */
	uint64_t warn_dropped;
	uint64_t warn_memory;       /* ... of which for memory (evicted_for_memory) */
	struct ct_engine_pre_sip *pre_sip; /* the frame's SIP parsed in advance (pipeline), else NULL */
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
	cfg->sip_prescan = getenv("CALLTAP_NO_PRESCAN") == NULL;
	cfg->tick_us = 1000000;
	cfg->max_call_bytes = CT_ENGINE_CALL_BYTES;
}

/*
 * The hand-off to the outputs: every finished record, in emission order,
 * goes to the sink set in this one call (sinkset.h), which owns it from
 * then on (queued for its output thread, or written and freed).
 */
static void write_record(struct ct_engine *e, struct ct_call_record *rec)
{
	size_t n;

	e->c.records++;
	/* --recording-base: the path below the base, without it */
	if (e->cfg.recording_base != NULL && rec->recording != NULL &&
	    strncmp(rec->recording, e->cfg.recording_base,
	    (n = strlen(e->cfg.recording_base))) == 0 && rec->recording[n] == '/')
		memmove(rec->recording, rec->recording + n + 1, strlen(rec->recording + n + 1) + 1);
	if (e->cfg.sinks != NULL)
		ct_sinkset_put(e->cfg.sinks, rec);
	else
		ct_call_record_free(rec);
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
	ct_record_str_free(rec, rec->recording);
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
		h->pending = false;
		if (h->pcap != NULL && !ct_callcap_job_take(e->cfg.callcap, h->pcap,
		    wait || e->n_held > ENGINE_MAX_HELD, &h->rec->pcap_path))
			return;
		h->pcap = NULL;
		e->held_head = h->next;
		if (e->held_head == NULL)
			e->held_tail = NULL;
		e->n_held--;
		write_record(e, h->rec);
		free(h);
	}
}

/*
 * A record leaving the legs stage (or enriched, without one): written now,
 * or held behind a recording being written.
 */
static void on_ready(void *user, struct ct_call_record *rec)
{
	struct ct_engine *e = user;
	struct ct_callcap_job *pcap = rec->capture_job;   /* set by on_closing */
	bool pending;
	struct held *h;

	rec->capture_job = NULL;
	pending = e->fin != NULL && rec->recording != NULL;
	if (!pending && pcap == NULL && e->held_head == NULL) {
		write_record(e, rec);
		return;
	}
	if ((h = malloc(sizeof(*h))) == NULL) {
		/* No memory to hold it: wait for the older ones and for its files. */
		release_held(e, true);
		if (pending)
			(void)recording_resolve(e, rec, true);
		if (pcap != NULL)
			(void)ct_callcap_job_take(e->cfg.callcap, pcap, true, &rec->pcap_path);
		write_record(e, rec);
		return;
	}
	h->rec = rec;
	h->pending = pending;
	h->pcap = pcap;
	h->next = NULL;
	if (e->held_tail != NULL)
		e->held_tail->next = h;
	else
		e->held_head = h;
	e->held_tail = h;
	e->n_held++;
	release_held(e, false);
}

/*
 * A call's record from the dialog table: attribution, then the legs stage
 * (a trunk call waits there for the records of its PBX legs), then on_ready.
 */
static void on_emit(void *user, struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	if (e->legs != NULL) {
		/* the history waits for answered_by: on_legs_out */
		ct_attr_enrich_base(e->cfg.attr, rec);   /* on CT_NOMEM some fields stay null */
		ct_legs_put(e->legs, rec, e->now_us);
		return;
	}
	if (e->cfg.attr != NULL)
		ct_attr_enrich(e->cfg.attr, rec);
	on_ready(e, rec);
}

/*
 * A record leaving the legs stage (answered_by set): the caller history
 * (an inbound call answered only by an IVR or voicemail is missed there
 * too), in the order records are written, then on_ready.
 */
static void on_legs_out(void *user, struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	ct_attr_history(e->cfg.attr, rec);   /* on CT_NOMEM some fields stay null */
	on_ready(e, rec);
}

/*
 * A call has just started (dialog start hook): a copy of what is known,
 * enriched like a finished record but without the history (ct_attr_start),
 * goes to the call_start of every healthy sink that has one.  A sink whose
 * call_start fails is reported and skipped from then on, as for write.
 */
static void on_start(void *user, const struct ct_call_record *view)
{
	struct ct_engine *e = user;
	struct ct_call_record *rec;
	const char *const s[4] = { view->call_id, view->caller, view->caller_name, view->callee };
	size_t room = 96, i;   /* spare for the attribution stage's strings */
	char *arena;
	uint32_t size;

	ct_legs_start(e->legs, view);
	if (!e->want_start)
		return;
	for (i = 0; i < 4; i++)
		room += s[i] != NULL ? 2 * (strlen(s[i]) + 1) : 0;
	if ((rec = ct_record_new(room)) == NULL)
		return;
	arena = rec->arena;
	size = rec->arena_size;
	*rec = *view;
	rec->arena = arena;   /* rec's own room, not the view's */
	rec->arena_size = size;
	rec->arena_used = 0;
	rec->call_id = ct_record_strdup(rec, view->call_id);   /* NULL on CT_NOMEM */
	rec->caller = ct_record_strdup(rec, view->caller);
	rec->caller_name = ct_record_strdup(rec, view->caller_name);
	rec->callee = ct_record_strdup(rec, view->callee);
	rec->link_id = rec->diverted_from = NULL;
	rec->streams = NULL;
	rec->n_streams = 0;
	if (e->cfg.attr != NULL)
		ct_attr_start(e->cfg.attr, rec);   /* on CT_NOMEM some fields stay null */
	ct_sinkset_put_start(e->cfg.sinks, rec);   /* owned by the sink set now */
}

/* A REFER in a call (dialog refer hook): a transfer, if the call is a PBX leg. */
static void on_refer(void *user, const char *call_id, const struct ct_sip_msg *m)
{
	struct ct_engine *e = user;

	ct_legs_refer(e->legs, call_id, m);
}

/* A call has just ended (its record is emitted when its RTP stops): the legs stage's cue. */
static void on_ended(void *user, const struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	ct_legs_ended(e->legs, rec);
}

/* Calls freed at most in one go for memory (mem_guard, on_media). */
#define ROOM_EVICT_MAX 16

/*
 * The memory budget (cfg.max_call_bytes): while the calls' state (the
 * dialogs, open and lingering, and the media table) passes it, frees one
 * call at a time other than keep (ct_dialog_shed: an open call that waited
 * in vain for a response, an ACK or RTP, else a call lingering whole, else
 * the least recently active open call), at most ROOM_EVICT_MAX in one go.
 * Run after every SIP message and every tick, so that no flood of calls,
 * however much state each one holds (long fields, forks, many codecs and
 * ports), takes memory past the budget for longer than a message.  O(1)
 * when under it (the last message's call is recounted: O(its strings)).
 */
static void mem_guard(struct ct_engine *e, const struct ct_dialog *keep, int64_t now_us)
{
	int i;

	if (e->cfg.max_call_bytes == 0)
		return;
	for (i = 0; i < ROOM_EVICT_MAX; i++) {
		size_t used = ct_dialog_bytes(e->dialogs) +
		    (e->media != NULL ? ct_media_bytes(e->media) : 0);

		if (used <= e->cfg.max_call_bytes || !ct_dialog_shed(e->dialogs, now_us, keep))
			return;
	}
}

/*
 * An SDP of call d (dialog media hook, the last step of its message).  A
 * media table short of endpoints first gets room as a full call table
 * does: the least useful calls other than d are evicted (a flood of
 * unanswered or silent calls offering many ports each goes before any
 * call with live media), at most ROOM_EVICT_MAX for one SDP; what still
 * does not fit is refused and counted by the media table.  The memory
 * budget likewise (mem_guard), before the SDP adds to it.
 */
static void on_media(void *user, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct ct_engine *e = user;
	int i;

	if (e->media != NULL) {
		for (i = 0; i < ROOM_EVICT_MAX && ct_media_endpoints_short(e->media) &&
		    ct_dialog_make_room(e->dialogs, m->ts_us, d); i++)
			;
		mem_guard(e, d, m->ts_us);
		ct_media_on_sdp(e->media, d, m);
	}
	if (e->legs != NULL)   /* rule 5: direct media reuses the SDP endpoints */
		ct_legs_sdp(e->legs, ct_dialog_call_id(d), ct_dialog_sender(d, m), m);
}

static void on_closing(void *user, struct ct_dialog *d, struct ct_call_record *rec)
{
	struct ct_engine *e = user;

	if (e->media != NULL)
		ct_media_closing(e->media, d, rec);
	if (e->cfg.callcap == NULL)
		return;
	/* The call's packets go to its file (the record carries the job
	 * through the legs stage to on_ready, which holds it until written);
	 * an unproven call in progress dropped unrecorded gets none. */
	if (ct_dialog_discarding(d))
		ct_callcap_call_drop(e->cfg.callcap, ct_dialog_capture_slot(d), rec);
	else
		rec->capture_job = ct_callcap_call_end(e->cfg.callcap, ct_dialog_capture_slot(d), rec);
}

/*
 * A message of call d: the frame being processed is d's (per-call
 * captures); a challenge or retry of a trunk call's INVITE (the legs
 * stage, with --home).
 */
static void on_msg(void *user, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct ct_engine *e = user;

	if (e->cfg.callcap != NULL)
		ct_callcap_hit(e->cfg.callcap, ct_dialog_capture_slot(d), true);
	if (e->legs != NULL)   /* a challenged trunk call links no leg until retried */
		ct_legs_sip(e->legs, ct_dialog_call_id(d), m);
}

/* Counts one SIP message taken (pre-scanned or parsed) by its transport. */
static void count_sip(struct ct_engine *e, uint8_t transport)
{
	if (transport == CT_TRANSPORT_TCP)
		e->c.sip_tcp++;
	else if (transport == CT_TRANSPORT_WS)
		e->c.sip_ws++;
	else
		e->c.sip_udp++;
}

/*
 * The frame-only half of handle_sip_prescan: pre-scans text into ps and m
 * (strings in scratch).  False when the message needs libosip2.
 */
static bool prescan_scan(const struct ct_packet *pkt, const char *text, size_t len,
    uint8_t transport, struct ct_sip_prescan *ps, struct ct_sip_msg *m, char *scratch)
{
	if (ct_sip_prescan(ps, text, len) != CT_OK || (ps->flags & CT_PS_COMPLEX))
		return false;
	m->ts_us = pkt->ts_us;
	m->t = pkt->t;
	m->vlan = pkt->vlan;
	m->transport = transport;
	return ct_sip_prescan_msg(ps, m, scratch, SIP_PRESCAN_SCRATCH) == CT_OK;
}

/*
 * The message text[0..len) taken on the pre-scan alone (prescan.c) when the
 * dialog table needs nothing libosip2 would add: the pre-scan read all of
 * it (ct_sip_prescan_complete: plain messages, initial INVITEs with SDP
 * too), or its call's state needs only the keys (ct_dialog_prescan_need:
 * a retransmission, an ended call, noise of no call), or its call started
 * seen and its kind needs only what was read (ct_sip_prescan_enough).
 * A message that opens a call, or a call in progress, is taken only when
 * complete.  The dialog table
 * then sees the same fields it would read from a full parse, so records
 * and counters are those of the libosip2 path.  Returns false when the
 * message needs libosip2 (nothing was done).  The pre-scan comes from the
 * pipeline (e->pre_sip) when a worker made it for this very message.
 */
static bool handle_sip_prescan(struct ct_engine *e, const struct ct_packet *pkt,
    const char *text, size_t len, uint8_t transport)
{
	struct ct_sip_prescan ps_here, *ps = &ps_here;
	struct ct_sip_msg m_here, *m = &m_here;
	char scratch[SIP_PRESCAN_SCRATCH];
	struct ct_engine_pre_sip *pre = e->pre_sip;

	if (pre != NULL && pre->text == text && transport == CT_TRANSPORT_UDP) {
		if (!pre->scanned)   /* pre-scanned in advance (pipeline.c) */
			return false;
		ps = &pre->ps;
		m = &pre->psm;
	} else if (!prescan_scan(pkt, text, len, transport, ps, m, scratch)) {
		return false;
	}
	if (!ct_sip_prescan_complete(ps)) {
		enum ct_dialog_need need = ct_dialog_prescan_need(e->dialogs, m);

		if (need == CT_DIALOG_NEED_ALL ||
		    (need == CT_DIALOG_NEED_KIND && !ct_sip_prescan_enough(ps)))
			return false;
	}
	count_sip(e, transport);
	e->c.sip_prescan_skipped++;
	m->body_short = false;   /* a body other than Content-Length is CT_PS_COMPLEX */
	ct_dialog_on_msg(e->dialogs, m);
	mem_guard(e, NULL, m->ts_us);
	return true;
}

static void handle_sip_text(struct ct_engine *e, const struct ct_packet *pkt,
    const char *text, size_t len, uint8_t transport)
{
	struct ct_sip_msg m;
	bool body_short;
	int rc;

	if (e->cfg.hep != NULL)   /* every SIP message, as seen: a copy queued, never a wait */
		ct_hep_out_sip(e->cfg.hep, pkt, text, len, transport != CT_TRANSPORT_UDP);
	/*
	 * The pre-scan takes no message whose body differs from its
	 * Content-Length (CT_PS_COMPLEX; tests/fuzz/fuzz_sip.c checks it), so
	 * the test below runs only on what it declines.
	 */
	if (e->cfg.sip_prescan && e->cfg.sip_hook == NULL &&
	    handle_sip_prescan(e, pkt, text, len, transport))
		return;
	/*
	 * A datagram shorter than its Content-Length (RFC 3261 §18.3): its
	 * receiver discards a response (so does calltap; a parse made ahead
	 * is freed by ct_engine_pre_fini) and refuses a request with 400,
	 * which the dialog table then waits for (a spoofed BYE the PBX
	 * refuses must not end a call).
	 */
	body_short = transport == CT_TRANSPORT_UDP && ct_sip_body_short(text, len);
	if (body_short && len >= 8 && memcmp(text, "SIP/2.0 ", 8) == 0) {
		e->c.sip_malformed++;
		e->c.events[CT_EV_SIP_MALFORMED]++;
		return;
	}
	if (e->pre_sip != NULL && e->pre_sip->parsed && e->pre_sip->text == text &&
	    transport == CT_TRANSPORT_UDP) {
		m = e->pre_sip->m;   /* parsed in advance (pipeline.c): the same parse, taken over */
		rc = e->pre_sip->parse_rc;
		e->pre_sip->parsed = false;
	} else {
		memset(&m, 0, sizeof(m));
		m.ts_us = pkt->ts_us;
		m.t = pkt->t;
		m.vlan = pkt->vlan;
		m.transport = transport;
		rc = ct_sip_msg_parse(&m, text, len);
	}
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
	m.body_short = body_short;
	if (m.repeated_headers > 0)
		e->c.sip_repeated_header++;   /* kept: the first of each was used */
	count_sip(e, transport);
	if (e->cfg.sip_hook != NULL)
		e->cfg.sip_hook(e->cfg.sip_hook_user, &m);
	ct_dialog_on_msg(e->dialogs, &m);
	mem_guard(e, NULL, m.ts_us);
	ct_sip_msg_fini(&m);
}

/* One framed SIP message from a TCP stream, plain or WebSocket (ct_sip_tcp_consume). */
struct tcp_msg_ctx {
	struct ct_engine *e;
	const struct ct_packet *pkt;
};

static void on_tcp_msg(void *user, const char *text, size_t len, uint8_t transport)
{
	struct tcp_msg_ctx *c = user;

	handle_sip_text(c->e, c->pkt, text, len, transport);
}

/*
 * TCP stream consumer: frames as many whole SIP messages (over TCP, or
 * over WebSocket after an upgrade) as the in-order bytes hold and returns
 * how many bytes it used (ct_sip_tcp_consume;
 * incremental over the direction's scan state, so a message sent in tiny
 * segments is not rescanned at each one).
 */
static size_t on_tcp_data(void *user, const struct ct_packet *pkt,
    const uint8_t *data, size_t len, int gap, struct ct_tcp_scan *scan)
{
	struct tcp_msg_ctx c = { user, pkt };
	struct ct_engine *e = user;

	return ct_sip_tcp_consume(data, len, gap, scan, on_tcp_msg, &c,
	    &e->c.events[CT_EV_SIP_FRAMING], &e->c.events[CT_EV_WS_FRAMING]);
}

/* TCP resynchronisation (ct_tcp_reasm_set_resync): a segment that starts a SIP message. */
static bool tcp_starts_sip(const uint8_t *data, size_t len)
{
	return ct_sip_starts_message((const char *)data, len);
}

static void handle_udp(struct ct_engine *e, struct ct_packet *pkt)
{
	if (ct_sip_looks_like((const char *)pkt->payload, pkt->payload_len)) {
		if (pkt->snap_cut)   /* only RTP's header and figures survive a snap length */
			e->c.other_udp++;
		else
			handle_sip_text(e, pkt, (const char *)pkt->payload, pkt->payload_len,
			    CT_TRANSPORT_UDP);
		return;
	}
	switch (e->media != NULL ? ct_media_packet(e->media, pkt) : CT_MEDIA_OTHER) {
	case CT_MEDIA_CALL:
		e->c.rtp_packets++;
		/* the tap carries RTP (the media timeout's evidence): told once a second */
		if (pkt->ts_us >= e->rtp_noted_us + RTP_NOTE_US) {
			e->rtp_noted_us = pkt->ts_us;
			ct_dialog_note_rtp(e->dialogs, pkt->ts_us);
		}
		if (e->cfg.callcap != NULL)
			ct_callcap_hit(e->cfg.callcap,
			    ct_dialog_capture_slot(ct_media_last_call(e->media)), false);
		return;
	case CT_MEDIA_INJECTED:     /* counted by the media table (sync_media) */
		/* kept with the call it may yet be promoted into (early media) */
		if (e->cfg.callcap != NULL && ct_media_pending_call(e->media) != NULL)
			ct_callcap_hit(e->cfg.callcap,
			    ct_dialog_capture_slot(ct_media_pending_call(e->media)), false);
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
	else if (pkt->t.proto == IPPROTO_TCP && !pkt->snap_cut)   /* a byte stream with holes */
		ct_tcp_reasm_feed(e->tcp, pkt);
}

/*
 * Hands a fragment to the reassembler; when it completes a datagram, decodes
 * that datagram from L4 on (it may itself be a tunnel carrying a fragment,
 * hence the bounded loop) and processes it.  A UDP datagram of several
 * fragments is first checked as its receiver checks it (length, checksum:
 * ct_udp_check_rebuilt); one that fails is dropped, counted by its event.
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
		if (pkt->t.src.family == 6) {
			/* Extension headers may follow the Fragment header (RFC 8200 §4.1) */
			size_t off;

			v = ct_ipv6_rebuilt_upper(pkt, dgram, dlen, &pkt->frag_proto, &off);
			if (v != CT_DEC_OK) {
				free(dgram);
				return;
			}
			if (off > 0) {
				memmove(dgram, dgram + off, dlen - off);
				dlen -= off;
			}
		}
		if (pkt->frag_proto == IPPROTO_UDP && (pkt->frag_off != 0 || pkt->frag_more)) {
			enum ct_event why = ct_udp_check_rebuilt(&pkt->t, dgram, dlen);

			if (why != CT_EV_COUNT) {   /* its receiver drops it: so do we */
				ct_pkt_event(pkt, why);
				free(dgram);
				return;
			}
		}
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

/* An orphan RTP stream (no SIP call) ended: handed to the outputs that take them. */
static void on_orphan(void *user, const struct ct_stream_stats *st)
{
	struct ct_engine *e = user;

	ct_sinkset_orphan(e->cfg.sinks, st);
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
 * Warns (log) about calls evicted from (or refused by) a full call
 * table since the last warning: at most once per EVICT_WARN_US of capture
 * time, and once more at the end (at_end) for what is left unreported;
 * it names the sources of over an eighth of the evicted calls (and of
 * 10 of them at least: ct_dialog_evict_sources), at most
 * EVICT_WARN_SOURCES of them.
 */
static void warn_evictions(struct ct_engine *e, bool at_end)
{
	struct ct_dialog_stats ds;
	uint64_t n[CT_EVICT_COUNT], dropped, total = 0, top_n[EVICT_WARN_SOURCES], memory;
	struct ct_addr top[EVICT_WARN_SOURCES];
	char most[EVICT_WARN_SOURCES * (CT_ADDRSTRLEN + 48) + 48] = "";
	char why[96] = "", full[128];
	size_t m, k, used;
	int i;

	ct_dialog_get_stats(e->dialogs, &ds);
	for (i = 0; i < CT_EVICT_COUNT; i++) {
		n[i] = ds.evicted[i] - e->warn_evicted[i];
		total += n[i];
	}
	dropped = ds.dropped - e->warn_dropped;
	memory = ds.evicted_for_memory - e->warn_memory;
	if (total == 0 && dropped == 0)
		return;
	if (!at_end && e->warn_us != INT64_MIN && e->now_us - e->warn_us < EVICT_WARN_US)
		return;
	/* The hosts behind many of them (a scanner's, a flood's), for a firewall rule. */
	m = ct_dialog_evict_sources(e->dialogs, top, top_n, EVICT_WARN_SOURCES);
	for (k = 0, used = 0; k < m && used < sizeof(most); k++) {
		char as[CT_ADDRSTRLEN];

		used += (size_t)snprintf(most + used, sizeof(most) - used, "%s%s (at least %llu)",
		    k == 0 ? "; sources of over an eighth of them: " : ", ",
		    ct_addr_str(&top[k], as, sizeof(as)), (unsigned long long)top_n[k]);
	}
	if (memory > 0)
		snprintf(why, sizeof(why), " (%llu of them for memory: media table or "
		    "--max-call-memory)", (unsigned long long)memory);
	if (memory == total && dropped == 0)
		snprintf(full, sizeof(full), "calls' memory full (--max-call-memory %zu MiB, or the "
		    "media table's endpoints)", e->cfg.max_call_bytes >> 20);
	else
		snprintf(full, sizeof(full), "call table full (at most %zu open calls)",
		    e->cfg.dialog.max_dialogs);
	ct_log(&e->cfg.log, CT_LOG_WARN, "%s: %llu calls "
	    "evicted (%llu no response, %llu idle, %llu settled, %llu active)%s, %llu refused"
	    " in %.0f s of capture%s", full, (unsigned long long)total,
	    (unsigned long long)n[CT_EVICT_NORESPONSE], (unsigned long long)n[CT_EVICT_IDLE],
	    (unsigned long long)n[CT_EVICT_SETTLED], (unsigned long long)n[CT_EVICT_ACTIVE],
	    why, (unsigned long long)dropped,
	    e->warn_from_us == INT64_MIN ? 0.0 : (double)(e->now_us - e->warn_from_us) / 1e6,
	    most);
	for (i = 0; i < CT_EVICT_COUNT; i++)
		e->warn_evicted[i] = ds.evicted[i];
	e->warn_dropped = ds.dropped;
	e->warn_memory = ds.evicted_for_memory;
	e->warn_us = e->now_us;
	e->warn_from_us = e->now_us;
}

static void tick(struct ct_engine *e)
{
	release_held(e, false);
	sync_media(e);
	ct_ipfrag_expire(e->frag, e->now_us);
	ct_tcp_reasm_expire(e->tcp, e->now_us);
	ct_dialog_expire(e->dialogs, e->now_us);
	ct_legs_expire(e->legs, e->now_us);
	mem_guard(e, NULL, e->now_us);   /* streams grow with RTP too */
	warn_evictions(e, false);
	if (e->media != NULL)
		ct_media_expire(e->media, e->now_us, ORPHAN_IDLE_US);
	e->next_tick_us = ct_ts_add(e->now_us, e->cfg.tick_us);
}

static bool jump_release(struct ct_engine *e, bool real);

/*
 * Advances the capture clock to now_us without a frame, running expiry when
 * due: a live capture calls it when the link is idle so calls still time
 * out.  A time at or before the newest frame is ignored; one outside
 * [CT_TS_MIN, CT_TS_MAX] is clamped first (not counted: it is the system
 * clock, not a frame).  A clock jump still held is decided first
 * (clock_jump: real when now_us is at or past its jump_lo).  Returns true
 * when expiry ran (the driver's cue for its own once-a-tick work: capture
 * drops, the status line).
 */
bool ct_engine_clock(struct ct_engine *e, int64_t now_us)
{
	bool ticked = false;

	(void)ct_ts_clamp(&now_us);
	if (e->jump_n > 0)   /* idle after a jump: the clock decides it (clock_jump) */
		ticked = jump_release(e, now_us >= e->jump_lo);
	if (now_us <= e->now_us || e->new_input)
		return ticked;
	if (e->now_us == INT64_MIN)
		e->next_tick_us = now_us;
	e->now_us = now_us;
	if (e->now_us < e->next_tick_us)
		return ticked;
	tick(e);
	return true;
}

/*
 * The input paused (engine.h): a jump held is real (clock_jump).  Frames
 * dated far ahead, then a pause in a pipe: the capture went quiet after
 * them, as after any gap; an outlier in a file is followed by the frames
 * after it at once.
 */
bool ct_engine_input_idle(struct ct_engine *e)
{
	return e->jump_n > 0 && jump_release(e, true);
}

/*
 * Stores the capture's cumulative drop counters (pcap_stats) for the stats
 * line and for the capture_drops of the calls in progress.
 */
void ct_engine_capture_drops(struct ct_engine *e, uint64_t drops, uint64_t ifdrops)
{
	e->drops_known = true;
	e->c.capture_drops = drops;
	e->c.capture_ifdrops = ifdrops;
	ct_dialog_set_capture_drops(e->dialogs, drops + ifdrops);
}

/*
 * Marks the start of another input (the next capture file).  Rotated files
 * of one capture continue each other, and their calls carry over.  Files
 * from other times do not: their open calls end with the capture.
 */
void ct_engine_new_input(struct ct_engine *e)
{
	(void)jump_release(e, true);   /* the last input's frames go first */
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
	ct_legs_flush(e->legs);
	ct_ipfrag_expire(e->frag, ct_ts_add(e->now_us, far));
	ct_tcp_reasm_expire(e->tcp, ct_ts_add(e->now_us, far));
	e->now_us = ts_us;
	e->next_tick_us = ct_ts_add(ts_us, e->cfg.tick_us);
}

/* Runs the stages on a decoded frame (the switch of ct_engine_frame). */
static inline void frame_stages(struct ct_engine *e, struct ct_packet *pkt, enum ct_verdict v)
{
	switch (v) {
	case CT_DEC_OK:
		handle_l4(e, pkt);
		break;
	case CT_DEC_FRAGMENT:
		handle_fragment(e, pkt);
		break;
	case CT_DEC_SKIP:
		e->c.skipped++;
		break;
	case CT_DEC_INVALID:
		e->c.invalid++;
		if (pkt->events & ((uint64_t)1 << CT_EV_LINK_UNSUPPORTED))
			e->c.unsupported_link++;
		break;
	}
	count_events(e, pkt->events);
}

/*
 * ct_engine_frame with per-call captures on: the stages run as always,
 * the hooks (on_msg, CT_MEDIA_CALL) tell the capture stage which calls
 * the frame belongs to, and it keeps the frame for them.
 */
static void frame_captured(struct ct_engine *e, const struct ct_frame *f,
    struct ct_packet *pkt, enum ct_verdict v)
{
	struct ct_callcap_key key;

	key.kind = 0;
	key.tcp_seq = 0;
	if (v == CT_DEC_FRAGMENT) {
		key.kind = 1;
		key.t = pkt->t;
		key.frag_id = pkt->frag_id;
	} else if (v == CT_DEC_OK && pkt->t.proto == IPPROTO_TCP && pkt->payload_len > 0) {
		key.kind = 2;
		key.t = pkt->t;
		key.frag_id = 0;
		key.tcp_seq = pkt->tcp_seq;
	}
	frame_stages(e, pkt, v);
	ct_callcap_frame_end(e->cfg.callcap, f, &key);
}

/*
 * Runs frame f, at time ts (clamped), through the stages.  move_clock: the
 * frame moves the capture clock first and runs expiry when due (returning
 * true then), as every frame but an outlier's (clock_jump) does.  pre: f
 * decoded and its SIP parsed ahead (ct_engine_prepare_decode), else NULL.
 */
static inline bool frame_run(struct ct_engine *e, const struct ct_frame *f, int64_t ts,
    struct ct_engine_pre *pre, bool move_clock)
{
	struct ct_packet pkt;
	enum ct_verdict v;
	bool ticked = false;

	if (move_clock) {
		if (ts >= e->now_us)
			e->now_us = ts;
		else
			e->c.time_backwards++;
		if (e->now_us >= e->next_tick_us) {
			tick(e);
			ticked = true;
		}
	}
	if (pre != NULL) {   /* decoded by ct_engine_prepare_decode */
		pkt = pre->pkt;
		v = pre->v;
		e->pre_sip = pre->sip;
	} else {
		pkt.ts_us = ts;
		pkt.linktype = f->linktype;
		pkt.data = f->data;
		pkt.caplen = f->caplen;
		pkt.wirelen = f->wirelen;
		v = ct_decode_frame(&e->dctx, &pkt);
	}
	if (e->cfg.callcap != NULL)   /* per-call captures: a separate path */
		frame_captured(e, f, &pkt, v);
	else
		frame_stages(e, &pkt, v);
	e->pre_sip = NULL;
	return ticked;
}

/*
 * Copies frame f (time ts, clamped) behind the frames of the jump held
 * (clock_jump).  Returns false when memory runs out (nothing held then).
 */
static bool jump_hold(struct ct_engine *e, const struct ct_frame *f, int64_t ts)
{
	struct jump_frame *j = &e->jump[e->jump_n];

	if (j->cap < f->caplen || j->buf == NULL) {
		size_t cap = f->caplen > 0 ? f->caplen : 1;
		uint8_t *b = realloc(j->buf, cap);

		if (b == NULL)
			return false;
		j->buf = b;
		j->cap = cap;
	}
	if (f->caplen > 0)
		memcpy(j->buf, f->data, f->caplen);
	j->f = *f;
	j->f.data = j->buf;
	j->ts = ts;
	e->jump_n++;
	return true;
}

/*
 * Runs the frames of the jump held, in their order: real, they move the
 * clock as any frame does (the first one runs the expiry the gap calls
 * for, before it is applied to anything); else they are outliers, counted
 * once in time_jumps_ignored, and run at the clock's time, which they
 * leave where it is: their own is not to be trusted (the frames around
 * them say when they came), and a call or timer dated hours ahead would
 * hold back the expiry of every one queued after it.  (A per-call capture
 * still writes the frame as it was.)  Returns true when expiry ran.
 */
static bool jump_release(struct ct_engine *e, bool real)
{
	unsigned i, n = e->jump_n;
	bool ticked = false;

	e->jump_n = 0;
	if (!real && n > 0)
		e->c.time_jumps_ignored++;
	for (i = 0; i < n; i++)
		if (frame_run(e, &e->jump[i].f, real ? e->jump[i].ts : e->now_us, NULL, real))
			ticked = true;
	return ticked;
}

/*
 * The capture clock (now_us, which every timeout runs on) against a frame
 * dated far ahead of it.  A frame more than CLOCK_JUMP_US ahead is a jump:
 * it is copied and held, with the frames after it, until the jump is
 * decided.  CLOCK_JUMP_CONFIRM frames in a row at or after jump_lo (the
 * first one's time less CLOCK_JUMP_US) make it real: the capture went on
 * from there after a quiet spell or a gap (captures weeks apart read as
 * one stream, -r DIR).  The held frames then run as if never held: the
 * first one moves the clock, the expiry the gap calls for runs, and only
 * then are they applied to the calls (the calls the gap ended cannot take
 * them).  A frame before jump_lo makes it an outlier instead (a corrupt
 * time in a file, a sensor clock stepped and stepped back): the held
 * frames run at the clock's time and leave it, so that one frame dated
 * hours ahead does not time out every open call.  The end of input,
 * another input, a pipe that pauses, or a live capture's idle clock at or
 * past jump_lo decides a jump still held as real (ct_engine_finish,
 * ct_engine_new_input, ct_engine_input_idle, ct_engine_clock).
 * CLOCK_JUMP_US (1 min) is under every call timeout but Timer B's (32 s:
 * an INVITE never answered at all), so a smaller outlier cannot end a
 * call that is going on.  Held: at most CLOCK_JUMP_CONFIRM - 1 frames.
 * Returns true when the frame was held; else the caller runs it (sets
 * *ticked when expiry ran here).
 */
static inline bool clock_jump(struct ct_engine *e, const struct ct_frame *f, int64_t ts, bool *ticked)
{
	if (e->jump_n > 0) {
		if (ts < e->jump_lo)
			*ticked = jump_release(e, false);
		else if (e->jump_n + 1 < CLOCK_JUMP_CONFIRM && jump_hold(e, f, ts))
			return true;
		else
			*ticked = jump_release(e, true);
	}
	/* Times are clamped (ct_ts_clamp): the difference cannot overflow. */
	if (e->now_us == INT64_MIN || ts <= e->now_us || ts - e->now_us <= CLOCK_JUMP_US)
		return false;
	if (!jump_hold(e, f, ts))
		return false;   /* no memory: taken at once, as before jumps were held */
	e->jump_lo = ts - CLOCK_JUMP_US;
	return true;
}

/*
 * Processes one frame (borrowed for the duration of the call).  Malformed
 * frames are counted, never fatal.  The frame time is untrusted (any 64-bit
 * value a pcapng file can express): it is clamped into [CT_TS_MIN,
 * CT_TS_MAX] and counted in time_out_of_range, so that no stage behind
 * (timeouts, durations, record times, sample positions) can overflow; a
 * time far ahead of the clock waits to be confirmed (clock_jump).
 * Returns true when expiry ran (as ct_engine_clock).
 */
static inline bool frame_in(struct ct_engine *e, const struct ct_frame *f,
    struct ct_engine_pre *pre)
{
	int64_t ts = f->ts_us;
	bool ticked = false;

	e->c.frames++;
	e->c.bytes += f->caplen;
	if (ct_ts_clamp(&ts))
		e->c.time_out_of_range++;
	if (e->warn_from_us == INT64_MIN)
		e->warn_from_us = ts;
	if (e->new_input)
		input_boundary(e, ts);
	if (clock_jump(e, f, ts, &ticked))
		return ticked;
	return frame_run(e, f, ts, pre, true) || ticked;
}

bool ct_engine_frame(struct ct_engine *e, const struct ct_frame *f)
{
	return frame_in(e, f, NULL);
}

/* f prepared by ct_engine_prepare (pre): the decode and a SIP parse are not done again. */
bool ct_engine_frame_pre(struct ct_engine *e, const struct ct_frame *f, struct ct_engine_pre *pre)
{
	return frame_in(e, f, pre);
}

/*
 * The frame-only work on f (engine.h): ct_engine_prepare_decode decodes f
 * exactly as ct_engine_frame decodes it (the time clamped first) and says
 * whether it is a UDP datagram that looks like SIP; ct_engine_prepare_sip
 * then pre-scans it into sip, and parses it when handle_sip_text would.
 * Both read e->dctx and e->cfg only (set at ct_engine_new).
 */
bool ct_engine_prepare_decode(const struct ct_engine *e, const struct ct_frame *f,
    struct ct_engine_pre *pre)
{
	struct ct_packet *pkt = &pre->pkt;
	int64_t ts = f->ts_us;

	(void)ct_ts_clamp(&ts);
	pre->sip = NULL;
	pkt->ts_us = ts;
	pkt->linktype = f->linktype;
	pkt->data = f->data;
	pkt->caplen = f->caplen;
	pkt->wirelen = f->wirelen;
	pre->v = ct_decode_frame(&e->dctx, pkt);
	return pre->v == CT_DEC_OK && pkt->t.proto == IPPROTO_UDP &&
	    ct_sip_looks_like((const char *)pkt->payload, pkt->payload_len);
}

void ct_engine_prepare_sip(const struct ct_engine *e, struct ct_engine_pre *pre,
    struct ct_engine_pre_sip *sip)
{
	const struct ct_packet *pkt = &pre->pkt;

	sip->text = (const char *)pkt->payload;
	sip->parsed = false;
	sip->scanned = false;
	pre->sip = sip;
	/*
	 * libosip2 is needed when the pre-scan is off or cannot read the
	 * message, or read less than a message of its kind needs (a guess on
	 * the safe side of ct_dialog_prescan_need, which needs the calls: a
	 * message it reads enough of is parsed by the engine when the calls ask).
	 */
	if (e->cfg.sip_prescan && e->cfg.sip_hook == NULL) {
		memset(&sip->psm, 0, sizeof(sip->psm));
		sip->scanned = prescan_scan(pkt, sip->text, pkt->payload_len, CT_TRANSPORT_UDP,
		    &sip->ps, &sip->psm, sip->scratch);
		if (sip->scanned && (ct_sip_prescan_complete(&sip->ps) ||
		    ct_sip_prescan_enough(&sip->ps)))
			return;
	}
	memset(&sip->m, 0, sizeof(sip->m));
	sip->m.ts_us = pkt->ts_us;
	sip->m.t = pkt->t;
	sip->m.vlan = pkt->vlan;
	sip->m.transport = CT_TRANSPORT_UDP;
	sip->parse_rc = ct_sip_msg_parse(&sip->m, (const char *)pkt->payload, pkt->payload_len);
	sip->parsed = true;
}

/* Frees the parse the engine did not take (ct_engine_prepare); pre may be reused after. */
void ct_engine_pre_fini(struct ct_engine_pre *pre)
{
	if (pre->sip != NULL && pre->sip->parsed)
		ct_sip_msg_fini(&pre->sip->m);
	if (pre->sip != NULL)
		pre->sip->parsed = false;
	pre->sip = NULL;
}

/*
 * Creates an engine from cfg (NULL = defaults).  Returns NULL with a message
 * in errbuf when memory runs out.
 */
struct ct_engine *ct_engine_new(const struct ct_engine_cfg *cfg, char *errbuf)
{
	struct ct_dialog_hooks hooks;
	struct ct_engine *e;
	bool legs_on = false;

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
	if (e->cfg.attr != NULL) {
		struct ct_legs_cfg lc;

		ct_attr_legs_cfg(e->cfg.attr, &lc);
		if ((e->legs = ct_legs_new(&lc, on_legs_out, e)) == NULL)
			goto fail;
		legs_on = lc.n_home > 0;   /* without --home the stage links nothing */
	}
	hooks.emit = on_emit;
	hooks.media = on_media;
	hooks.closing = on_closing;
	hooks.user = e;
	hooks.start = on_start;
	hooks.ended = on_ended;
	hooks.refer = on_refer;
	hooks.msg = e->cfg.callcap != NULL || legs_on ? on_msg : NULL;
	e->now_us = INT64_MIN;
	e->next_tick_us = INT64_MIN;
	e->warn_us = e->warn_from_us = INT64_MIN;
	e->rtp_noted_us = -RTP_NOTE_US;   /* clamped capture times are >= 0: the first RTP is told */
	e->frag = ct_ipfrag_new(&e->cfg.frag);
	e->tcp = ct_tcp_reasm_new(&e->cfg.tcp, on_tcp_data, e);
	e->dialogs = ct_dialog_table_new(&e->cfg.dialog, &hooks);
	if (e->frag == NULL || e->tcp == NULL || e->dialogs == NULL)
		goto fail;
	ct_tcp_reasm_set_resync(e->tcp, tcp_starts_sip);
	if (e->cfg.rtp && (e->media = ct_media_new(0)) == NULL)
		goto fail;
	if (e->media != NULL)
		ct_media_set_intervals(e->media, e->cfg.rtp_intervals);
	/* No memory for it: the slabs fault their chunks in themselves. */
	e->chunks = ct_chunks_new();
	ct_dialog_set_chunks(e->dialogs, e->chunks);
	if (e->media != NULL)
		ct_media_set_chunks(e->media, e->chunks);
	/* Orphan streams are measured and reported only for an output that takes them. */
	if (e->media != NULL && e->cfg.sinks != NULL && ct_sinkset_wants_orphans(e->cfg.sinks))
		ct_media_set_orphan_hook(e->media, on_orphan, e);
	/* Calls are announced when they start only to an output that takes it (call_start). */
	e->want_start = e->cfg.sinks != NULL && ct_sinkset_wants_start(e->cfg.sinks);
	if (e->media != NULL && e->cfg.audio_dir != NULL) {
		ct_media_set_audio(e->media, e->cfg.audio_dir, (enum ct_audio_format)e->cfg.audio_format);
		ct_media_set_audio_durable(e->media, e->cfg.audio_durable);
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
 * End of input: closes every open call (marked truncated) and hands the
 * records and the orphan streams still open to the sinks (which the caller
 * closes after).  Returns CT_OK, or CT_ERR when a recording failed
 * (reported on stderr).
 */
int ct_engine_finish(struct ct_engine *e)
{
	(void)jump_release(e, true);   /* a jump still held: nothing refuted it */
	ct_dialog_flush(e->dialogs);
	ct_legs_flush(e->legs);
	warn_evictions(e, true);
	if (e->media != NULL)
		ct_media_flush(e->media);
	if (e->cfg.callcap != NULL)
		ct_callcap_finish(e->cfg.callcap);
	release_held(e, true);
	if (e->media != NULL) {
		struct ct_media_stats ms;
		const char *err = ct_media_audio_error(e->media);

		ct_media_get_stats(e->media, &ms);
		e->c.audio_errors = ms.audio_errors;
		e->c.rtp_injected = ms.injected;
		if (err != NULL)
			ct_log(&e->cfg.log, CT_LOG_ERR, "%llu recording(s) failed; first: %s",
			    (unsigned long long)ms.audio_errors, err);
	}
	return e->c.audio_errors ? CT_ERR : CT_OK;
}

/* Frees the engine and every stage (not the sink set: the caller's). */
void ct_engine_free(struct ct_engine *e)
{
	size_t i;

	if (e == NULL)
		return;
	while (e->held_head != NULL) {     /* ct_engine_finish was not called */
		struct held *h = e->held_head;

		e->held_head = h->next;
		if (h->pcap != NULL) {
			char *path = NULL;

			(void)ct_callcap_job_take(e->cfg.callcap, h->pcap, true, &path);
			free(path);
		}
		ct_call_record_free(h->rec);
		free(h);
	}
	ct_dialog_table_free(e->dialogs);
	ct_legs_free(e->legs);
	ct_media_free(e->media);
	ct_chunks_free(e->chunks);   /* after the slabs that give it their chunks */
	ct_tcp_reasm_free(e->tcp);
	ct_ipfrag_free(e->frag);
	for (i = 0; i < CLOCK_JUMP_CONFIRM - 1; i++)
		free(e->jump[i].buf);
	free(e);
}

const struct ct_engine_counters *ct_engine_counters(const struct ct_engine *e)
{
	return &e->c;
}

/* A snapshot of every stage's counters (struct ct_engine_stats). */
void ct_engine_get_stats(const struct ct_engine *e, struct ct_engine_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->c = e->c;
	ct_dialog_get_stats(e->dialogs, &st->dialog);
	ct_tcp_reasm_get_stats(e->tcp, &st->tcp);
	ct_ipfrag_get_stats(e->frag, &st->frag);
	st->rtp = e->media != NULL;
	if (e->media != NULL) {
		ct_media_get_stats(e->media, &st->media);
		st->recordings = st->media.recordings - e->recordings_lost;
	}
	st->drops_known = e->drops_known;
	st->attr = e->cfg.attr != NULL;
	if (st->attr)
		ct_attr_pool_stats(e->cfg.attr, &st->pool);
	ct_legs_get_stats(e->legs, &st->legs);
	st->hep = e->cfg.hep != NULL;
	if (st->hep) {
		struct ct_hep_out_stats hs;

		ct_hep_out_get_stats(e->cfg.hep, &hs);
		st->hep_sent = hs.sent;
		st->hep_dropped = hs.dropped;
		st->hep_qos_sent = hs.qos_sent;
		st->hep_qos_dropped = hs.qos_dropped;
	}
	st->hep_in = e->cfg.hep_in != NULL;
	if (st->hep_in)
		ct_hep_in_get_stats(e->cfg.hep_in, &st->hep_in_st);
	st->now_us = e->now_us;
}
