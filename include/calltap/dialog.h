/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIP dialogs / calls (RFC 3261 §12-§17, RFC 3262 PRACK, RFC 3311 UPDATE,
 * RFC 3326 Reason).  A call is keyed by Call-ID: auth retries, forks and the
 * two legs of a proxy that keeps the Call-ID all make one call.  When a call
 * ends the table hands a struct ct_call_record to the emit hook once its
 * RTP has been quiet for 5 s (or at flush; linger_us later for forked calls
 * and calls in progress), so RTP trailing the BYE is still measured.
 */
#ifndef CALLTAP_DIALOG_H
#define CALLTAP_DIALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/record.h"
#include "calltap/sip.h"

struct ct_chunks;   /* calltap/chunks.h */

struct ct_dialog;
struct ct_dialog_table;

/*
 * Longest stored copy of each string a call keeps (bytes, without the NUL).
 * A longer value is cut (at a UTF-8 character boundary for the texts shown
 * to people) and the record says which fields were cut (cut_fields).  The
 * Call-ID is cut too, but calls stay keyed by the whole Call-ID (its keyed
 * hash and length are kept), so two long Call-IDs with a common prefix are
 * two calls.  docs/schema.md lists the caps.
 */
#define CT_CAP_CALL_ID 128  /* call_id */
#define CT_CAP_USER 64      /* caller, callee, agent (URI user parts) */
#define CT_CAP_NAME 64      /* caller_name (display name) */
#define CT_CAP_REASON 128   /* hangup_reason */
#define CT_CAP_TOKEN 64     /* kept for matching only: From tag, From user, Via branch */

struct ct_dialog_cfg {
	int64_t setup_timeout_us;  /* no final response after this: close as unfinished (default 300 s) */
	int64_t call_timeout_us;   /* answered, no message for this long: close as truncated (default 4 h) */
	int64_t linger_us;         /* keep an ended call this long to absorb retransmissions (default 32 s) */
	/*
	 * An INVITE that got no response at all from the far side for this
	 * long has failed (RFC 3261 §17.1.1.2, Timer B = 64*T1 = 32 s, the
	 * default; 0 = off): its call is closed then, as unfinished, but only
	 * when the tap provably sees the reverse direction (the INVITE's
	 * destination address sent a SIP response calltap saw at most this
	 * long before the INVITE, or since).  Otherwise setup_timeout_us.
	 */
	int64_t noresponse_timeout_us;
	/*
	 * Answered, no SIP and no RTP (ct_dialog_touch_media) for this long:
	 * close as truncated (default 300 s; 0 = off, call_timeout_us alone).
	 * Only with rtp_tracked: without a media stage (--no-rtp) every call
	 * would look silent, so the timeout then only ranks evictions.  A
	 * call that never had RTP is closed so only while other calls have
	 * some (ct_dialog_note_rtp within this long): on a SIP-only tap it
	 * waits for its BYE or call_timeout_us.
	 */
	int64_t media_timeout_us;
	bool rtp_tracked;          /* a media stage reports RTP (default true); false: media_timeout_us only ranks evictions */
	/*
	 * Open calls at most (default 200000; 0 = no limit).  A new call in a
	 * full table evicts one (see ct_dialog_on_msg); ended calls lingering
	 * are bounded by the same number.
	 */
	size_t max_dialogs;
};

/* Eviction classes, in the order they are tried (ct_dialog_stats.evicted). */
enum ct_evict_class {
	CT_EVICT_NORESPONSE = 0, /* no response at all from the far side yet */
	CT_EVICT_IDLE,           /* answered, no in-dialog message and no RTP since, for media_timeout */
	CT_EVICT_SETTLED,        /* waiting after 401/407 or after CANCEL */
	CT_EVICT_ACTIVE,         /* least recently active of the others */
	CT_EVICT_COUNT
};

struct ct_dialog_hooks {
	/* Called once per call; the callee takes ownership of rec (ct_call_record_free). */
	void (*emit)(void *user, struct ct_call_record *rec);
	/* Called for each SDP seen in a call's messages (offer or answer). May be NULL. */
	void (*media)(void *user, struct ct_dialog *d, const struct ct_sip_msg *m);
	/* Called just before a call's record is emitted, to fill rec->streams. May be NULL. */
	void (*closing)(void *user, struct ct_dialog *d, struct ct_call_record *rec);
	void *user;
	/*
	 * Called once when an initial INVITE creates a call, with a record of
	 * what is known then (call_id, caller, caller_name, callee, addresses,
	 * ports, transport, vlan, start_us; the rest empty).  rec and its
	 * strings are borrowed for the call only.  May be NULL.
	 */
	void (*start)(void *user, const struct ct_call_record *rec);
	/*
	 * Called once when a call ends (BYE, final response, CANCEL settled,
	 * timeout, eviction, flush), with a view of its record as it is then
	 * (borrowed, for the call only; no rings, no streams; the record is
	 * emitted through emit later, see above).  May be NULL.
	 */
	void (*ended)(void *user, const struct ct_call_record *rec);
	/*
	 * Called for every message of a known call (created by it, a
	 * retransmission or a late one included), before the call's state
	 * changes: the per-call capture stage keeps its packet.  May be NULL.
	 */
	void (*msg)(void *user, struct ct_dialog *d, const struct ct_sip_msg *m);
	/*
	 * Called for each REFER of a call that has not ended (on its
	 * signalling path, not a retransmission), after the dialog took it:
	 * call_id is the call's, m the REFER (refer_to_user, refer_replaces,
	 * referred_by_user, ts_us), both borrowed for the call only.  May be NULL.
	 */
	void (*refer)(void *user, const char *call_id, const struct ct_sip_msg *m);
};

struct ct_dialog_stats {
	uint64_t messages;        /* SIP messages handed in */
	uint64_t requests[8];     /* by ct_sip_method_index() */
	uint64_t responses;
	uint64_t retransmissions;
	uint64_t calls;           /* records emitted */
	uint64_t started;         /* calls begun (initial INVITEs that made a call) */
	uint64_t ended;           /* calls ended (BYE, failure, timeout...); emitted after their linger */
	uint64_t calls_timed_out;
	uint64_t orphan_messages; /* in-dialog messages with no known call */
	uint64_t dropped;         /* new calls refused: table full and nothing to evict, or no memory */
	uint64_t evicted[CT_EVICT_COUNT]; /* open calls closed early to make room, by class */
	uint64_t evicted_for_memory; /* ... of which for memory, not a full call table: a media
	                                table full of endpoints or the memory budget
	                                (ct_dialog_make_room, ct_dialog_shed) */
	uint64_t media_timeouts;  /* answered calls closed by media_timeout_us (also in calls_timed_out) */
	uint64_t noresponse_timeouts; /* calls closed by noresponse_timeout_us (also in calls_timed_out) */
	uint64_t late_responses;  /* responses to such a call while it lingered (absorbed, no record) */
	uint64_t linger_cut;      /* ended calls whose linger was cut short by max_dialogs */
	uint64_t reused_call_ids; /* initial INVITEs of another call in a Call-ID still lingering
	                             (or waiting for a retry), which open a call of their own */
	uint64_t fields_cut;      /* records with at least one string cut to its cap */
	uint64_t byes_doubted;    /* BYEs not of their call's dialog (tags), waiting for their response */
	uint64_t byes_rejected;   /* ... refused by a 3xx-6xx (a spoofed BYE's 481): the call goes on */
	uint64_t cancels_ignored; /* CANCELs not of their call's INVITE transaction (From tag,
	                             CSeq, Via branch): changed nothing */
	uint64_t responses_unmatched; /* responses to requests nobody sent, ignored: final ones
	                                 to a BYE (2xx to a CANCEL) not seen in a call whose
	                                 capture shows that request's side; ones to the INVITE
	                                 with a Via branch no copy of it had */
	uint64_t sdp_ignored;     /* SDP of messages no part of the call, not handed to the media
	                             stage: an in-dialog request of another dialog (tags), a
	                             response to a request not seen where its side is, an
	                             in-dialog offer its receiver refused (offer_settle) */
	uint64_t foreign_in_dialog; /* messages of a known call from off its signalling path (sigpath.h):
	                               requests ignored, responses' SDP ignored */
	uint64_t partial_calls;   /* records of calls already in progress (start_seen false) */
	uint64_t partial_discarded; /* calls in progress dropped unrecorded: one message, or a 481 */
	uint64_t inferred;        /* unseen 2xx, final response, BYE or CANCEL inferred (one-way) */
	uint64_t serial_forks;    /* calls resumed by a new branch of their INVITE after a failure
	                             (a proxy's serial forking, dialog.c serial_resume) */
	size_t active;            /* calls open now */
	size_t ghosts;            /* ended calls lingering as ghosts now, expired ones not yet forgotten
	                             included (emitted, their dialog freed: dialog.c, ghost_keep) */
};

/* Short name of an eviction class ("noresponse", "idle", "settled", "active"). */
const char *ct_evict_class_name(enum ct_evict_class c);

/* Index into ct_dialog_stats.requests: INVITE ACK BYE CANCEL REGISTER OPTIONS (PRACK/UPDATE/INFO/...) */
enum { CT_M_INVITE, CT_M_ACK, CT_M_BYE, CT_M_CANCEL, CT_M_REGISTER, CT_M_OPTIONS, CT_M_INDIALOG, CT_M_OTHER };
int ct_sip_method_index(const char *method);

void ct_dialog_cfg_default(struct ct_dialog_cfg *cfg);
struct ct_dialog_table *ct_dialog_table_new(const struct ct_dialog_cfg *cfg,
    const struct ct_dialog_hooks *hooks);
void ct_dialog_table_free(struct ct_dialog_table *t);
void ct_dialog_on_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m);
/*
 * m may come from the SIP pre-scan (prescan.c) with only some fields set
 * (see ct_sip_prescan_enough and ct_dialog_prescan_need): reading a new
 * field of a message kind in dialog.c means updating those two.
 */
bool ct_dialog_keys_suffice(const struct ct_dialog_table *t, const struct ct_sip_msg *m);
enum ct_dialog_need { CT_DIALOG_NEED_KEYS, CT_DIALOG_NEED_KIND, CT_DIALOG_NEED_ALL };
enum ct_dialog_need ct_dialog_prescan_need(const struct ct_dialog_table *t,
    const struct ct_sip_msg *m);
bool ct_dialog_make_room(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep);
bool ct_dialog_shed(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep);
size_t ct_dialog_bytes(struct ct_dialog_table *t);
void ct_dialog_expire(struct ct_dialog_table *t, int64_t now_us);
void ct_dialog_flush(struct ct_dialog_table *t);
void ct_dialog_get_stats(const struct ct_dialog_table *t, struct ct_dialog_stats *st);
size_t ct_dialog_evict_sources(struct ct_dialog_table *t, struct ct_addr *a, uint64_t *n,
    size_t max);
void ct_dialog_set_capture_drops(struct ct_dialog_table *t, uint64_t drops);
/* Dialog chunks from k, populated ahead (calltap/chunks.h; k outlives t). */
void ct_dialog_set_chunks(struct ct_dialog_table *t, struct ct_chunks *k);

/* Opaque per-call slot for the media stage (RTP), NULL until set. */
void *ct_dialog_media_get(const struct ct_dialog *d);
void ct_dialog_media_set(struct ct_dialog *d, void *media);
/* Opaque per-call slot for the capture stage (callcap.h), NULL until set. */
void **ct_dialog_capture_slot(struct ct_dialog *d);
bool ct_dialog_discarding(const struct ct_dialog *d);
/* RTP of call d seen at ts_us (cheap: stores the time; no list moves). */
void ct_dialog_touch_media(struct ct_dialog *d, int64_t ts_us);
/* RTP of some call seen at ts_us: the tap carries media (stores the time). */
void ct_dialog_note_rtp(struct ct_dialog_table *t, int64_t ts_us);
const char *ct_dialog_call_id(const struct ct_dialog *d);
/* The party (caller/callee) that sent m, a message of call d. */
enum ct_party ct_dialog_sender(const struct ct_dialog *d, const struct ct_sip_msg *m);

/* Tests and --stats: the longest hash chain of the Call-ID table (O(buckets)). */
size_t ct_dialog_longest_chain(const struct ct_dialog_table *t);

#endif
