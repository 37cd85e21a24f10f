/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * struct ct_call_record: the flattened, immutable call detail record handed to
 * every sink.  Sinks never see internal dialog or stream state.  Field
 * meanings are documented in docs/schema.md; the outputs write them as the
 * schema table (calltap/schema.h, src/sink/schema.c) says.
 */
#ifndef CALLTAP_RECORD_H
#define CALLTAP_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/packet.h"

#define CT_TIME_NONE INT64_MIN

enum ct_disposition {
	CT_DISP_ANSWERED = 0,
	CT_DISP_BUSY,
	CT_DISP_NOANSWER,
	CT_DISP_CANCELLED,
	CT_DISP_FAILED,
	CT_DISP_UNFINISHED
};

enum ct_party {
	CT_PARTY_NONE = 0,
	CT_PARTY_CALLER,
	CT_PARTY_CALLEE
};

enum ct_direction {
	CT_DIR_UNKNOWN = 0,
	CT_DIR_INBOUND,
	CT_DIR_OUTBOUND,
	CT_DIR_INTERNAL
};

/* Bits of ct_call_record.cut_fields: strings cut to their cap (dialog.h). */
enum {
	CT_CUT_CALL_ID = 1u << 0,
	CT_CUT_CALLER = 1u << 1,
	CT_CUT_CALLER_NAME = 1u << 2,
	CT_CUT_CALLEE = 1u << 3,
	CT_CUT_AGENT = 1u << 4,
	CT_CUT_HANGUP_REASON = 1u << 5
};

/* Outcome of one ring (one agent leg offered), docs/schema.md (Rings). */
enum ct_ring_outcome {
	CT_RING_ANSWERED = 0,
	CT_RING_NO_ANSWER,          /* 408/480, or cancelled by the PBX on its ring timeout */
	CT_RING_BUSY,               /* 486/600 */
	CT_RING_REJECTED,           /* 603, 403 (declined by the person) */
	CT_RING_CANCELLED_ELSEWHERE, /* cancelled because another agent answered */
	CT_RING_CALLER_HANGUP,      /* cancelled because the caller hung up */
	CT_RING_FAILED,             /* any other failure */
	CT_RING_UNKNOWN             /* no outcome seen (capture cut) */
};

/* One ring of a trunk call: an agent leg (or a branch of a forked INVITE). */
struct ct_ring {
	char *agent;                /* extension offered (answering one when answered) */
	char *call_id;              /* Call-ID of the leg */
	int64_t start_us;           /* INVITE to the agent */
	int64_t end_us;             /* answer, or end of the leg when not answered */
	enum ct_ring_outcome outcome;
	char *transferred_to;       /* answered ring whose agent transferred the call: to whom */
};

/* Who took an inbound call (docs/schema.md, answered_by). */
enum ct_answered_by {
	CT_ANS_NONE = 0,            /* not answered, or not an inbound call: null */
	CT_ANS_AGENT,
	CT_ANS_IVR,
	CT_ANS_VOICEMAIL,
	CT_ANS_EXTERNAL,
	CT_ANS_UNKNOWN
};

/*
 * One interval of a stream (src/rtp/intervals.c, docs/schema.md "RTP
 * intervals"): figures of the packets that arrived in [start_us, end_us).
 */
struct ct_stream_ival {
	int64_t start_us, end_us;
	uint64_t packets;
	int64_t lost;          /* expected - received in the interval; may be < 0 */
	double loss_pct;       /* lost / expected * 100, 0 when lost <= 0 */
	bool has_jitter;       /* a regular packet gave jitter figures */
	double max_jitter_ms, mean_jitter_ms;
	double mos;            /* 0 = no packet in the interval */
};

/* One RTP stream of a call (issue: RTP quality); empty until RTP is matched. */
struct ct_stream_stats {
	struct ct_addr src, dst;
	uint16_t sport, dport;
	uint32_t ssrc;
	int payload_type;      /* -1 = none seen */
	char codec[24];
	uint64_t packets;
	int64_t lost;          /* RFC 3550 A.3: expected - received; may be < 0 (dups) */
	double loss_pct;
	uint64_t duplicates;
	uint64_t out_of_order;
	double max_jitter_ms;
	double mean_jitter_ms;
	double max_delta_ms;
	double mos;            /* 0 = not computed (a video stream: the E-model rates speech) */
	bool video;            /* its payload type is of an m=video line (or a static video one) */
	char dtmf[64];         /* RFC 4733 digits seen, in order */
	int64_t first_us, last_us;
	/* Orphan streams only: the Call-ID (as kept, at most 128 bytes) of the
	 * call whose endpoint the stream was sent to but which refused its
	 * source (injected); "" for RTP of no call, and in call records. */
	char injected_into[129];
	/* Call records only: the stream's intervals (malloc'ed, freed with the
	 * record), NULL when none were kept.  Stores only (rtp_intervals). */
	struct ct_stream_ival *ivals;
	uint32_t n_ivals;
};

struct ct_call_record {
	char *call_id;
	char *caller;          /* From user (or P-Asserted-Identity user) */
	char *caller_name;     /* From display name, may be NULL */
	char *callee;          /* Request-URI user of the initial INVITE */
	char *agent;           /* Contact (else To) user of the 2xx, may be NULL */
	struct ct_addr src_ip; /* source of the first INVITE */
	struct ct_addr dst_ip; /* destination of the first INVITE */
	uint16_t src_port, dst_port;
	uint8_t transport;     /* CT_TRANSPORT_* */
	uint16_t vlan;         /* 0 = untagged */

	int64_t start_us;      /* first INVITE */
	int64_t ringing_us;    /* first 180/183, CT_TIME_NONE if none */
	int64_t answer_us;     /* first 2xx to the INVITE, CT_TIME_NONE if none */
	int64_t end_us;        /* BYE, CANCEL, final failure, or last message */

	int final_code;        /* final status of the INVITE transaction, 0 = none */
	enum ct_disposition disposition;
	enum ct_party hangup_by;
	int q850_cause;        /* -1 = none */
	char *hangup_reason;   /* free text, may be NULL */
	enum ct_direction direction;
	bool truncated;        /* closed by timeout or end of input, not by signalling */
	unsigned auth_challenges; /* 401/407 answers before the final response */
	unsigned invites;      /* INVITE requests seen (without retransmissions) */
	bool has_capture_drops; /* live capture: capture_drops is valid */
	uint64_t capture_drops; /* packets dropped by the capture between the first and last message */
	char *recording;       /* path of the call's audio file (--audio), may be NULL */
	char *undecodable;     /* comma-separated codecs the recording could not decode, may be NULL */
	char *pcap_path;       /* path of the call's own capture file (--pcap-dir), may be NULL */
	unsigned out_refs;     /* sink-set-internal, never output: output threads still
	                          holding the record (sinkset.c) */
	size_t out_bytes;      /* sink-set-internal, never output: its memory as counted
	                          against the output queues' budget (sinkset.c) */
	struct ct_call_record *retired_next; /* sink-set-internal, never output: the next
	                          record released by the output threads, waiting to be
	                          freed on the capture thread (sinkset.c) */
	void *capture_job;     /* engine-internal, never output: the per-call capture file
	                          being written (struct ct_callcap_job, callcap.h), carried
	                          from the closing hook to the record's release */

	/* Attribution (include/calltap/attr.h); all null when the stage is off. */
	char *sensor;          /* --sensor name (default the host name), may be NULL */
	char *source;          /* tracking-number source of the callee, may be NULL */
	char *campaign;        /* tracking-number campaign of the callee, may be NULL */
	char *caller_number;   /* normalised caller (ct_number_norm), NULL when withheld or not a number */
	char *callee_number;   /* normalised callee, NULL when not a number */
	bool has_history;      /* caller identified: first_call/repeat_count valid */
	bool first_call;       /* no earlier call from this caller */
	uint32_t repeat_count; /* earlier calls from this caller */
	bool has_callback;     /* missed inbound call: callback_us valid */
	int64_t callback_us;   /* end of this missed call -> first later outbound call to the caller */
	char *callback_of;     /* outbound call: Call-ID of the missed call it answers, may be NULL */
	/* lease fields: the number-pool lease (--leases, attr/pool.c) that held
	 * the dialled number at the call's start; all NULL when none did. */
	char *session_id, *visitor_id, *client_id;
	char *utm_source, *utm_medium, *utm_campaign, *utm_term, *utm_content;
	char *click_id;
	/* Webhook payload (set by the attribution stage, not a stored column):
	 * missed per docs/report.md (inbound, or direction unknown when no
	 * direction is configured; busy, noanswer, cancelled). */
	bool missed;
	bool evicted;          /* closed early to make room in a full call table (truncated too) */
	/* The call's start (initial INVITE) was not seen: it was in progress when
	 * the capture started, or one-way.  Output as start_seen = !start_unseen,
	 * so a zeroed record is a normal call. */
	bool start_unseen;
	/* PBX legs (src/attr/legs.c): set when the record leaves the legs stage. */
	char *link_id;         /* correlation header of the first INVITE (X-CID, ...), may be NULL */
	char *diverted_from;   /* user of its first Diversion / History-Info entry, may be NULL */
	char *parent_call_id;  /* leg of a trunk call: that call's Call-ID, may be NULL */
	enum ct_answered_by answered_by;
	size_t n_rings;
	struct ct_ring *rings;
	char *rings_json;      /* rings as a JSON array (NULL = "[]") */
	uint32_t cut_fields;   /* CT_CUT_* bits: strings cut to their cap */

	size_t n_streams;
	struct ct_stream_stats *streams;

	/* Ownership, never output: the record's string room (ct_record_new),
	 * arena[0..arena_size) right after the struct in the same allocation,
	 * arena_used bytes handed out.  A string field pointing into it is freed
	 * with the record; any other non-NULL string field is its own malloc'ed
	 * block (ct_call_record_free frees it).  A record from calloc has no
	 * room (arena NULL): every field is its own block, as before. */
	char *arena;
	uint32_t arena_size, arena_used;
};

/* Derived durations; return -1 (ms) or a negative value (s) when undefined. */
int64_t ct_record_setup_ms(const struct ct_call_record *r);
int64_t ct_record_answer_ms(const struct ct_call_record *r);
double ct_record_duration_s(const struct ct_call_record *r);
double ct_record_talk_s(const struct ct_call_record *r);

const char *ct_disposition_name(enum ct_disposition d);
const char *ct_party_name(enum ct_party p);        /* NULL for CT_PARTY_NONE */
const char *ct_direction_name(enum ct_direction d);
const char *ct_transport_name(uint8_t transport);
const char *ct_ring_outcome_name(enum ct_ring_outcome o);
const char *ct_answered_by_name(enum ct_answered_by a);  /* NULL for CT_ANS_NONE */

/* Formats an absolute time as ISO 8601 UTC with microseconds into buf (>= 32). */
char *ct_time_iso(int64_t us, char *buf, size_t len);

/*
 * A zeroed record with room bytes of string room (not zeroed) in the same
 * allocation, freed by ct_call_record_free in one free().  NULL when out of
 * memory.
 */
struct ct_call_record *ct_record_new(size_t room);
/*
 * n bytes of r's room (for strings its fields will point to), or NULL when
 * fewer are left.
 */
char *ct_record_take(struct ct_call_record *r, size_t n);
/*
 * A copy of s[0..n) (NUL-terminated) owned by r: in r's room while it
 * fits, else a malloc'ed block that ct_call_record_free frees (so every
 * string field of r must be set from it, a strdup, or NULL).  NULL when
 * out of memory.
 */
char *ct_record_strndup(struct ct_call_record *r, const char *s, size_t n);
/* ct_record_strndup of a NUL-terminated string; NULL for NULL s. */
char *ct_record_strdup(struct ct_call_record *r, const char *s);
/*
 * Frees p, a string field of r that is being dropped or replaced (no-op
 * for NULL or a string in r's room, whose bytes are not given back).
 * Every code that replaces a field of a finished record must use this,
 * never free() directly.
 */
void ct_record_str_free(const struct ct_call_record *r, char *p);
/*
 * Replaces *field (a string field of r) by a copy of s owned by r (NULL s
 * clears it; s may point into the old value).  CT_OK, or CT_NOMEM with
 * *field unchanged.
 */
int ct_record_set_str(struct ct_call_record *r, char **field, const char *s);
void ct_call_record_free(struct ct_call_record *r);
/* Frees n rings and their strings.  NULL is a no-op. */
void ct_rings_free(struct ct_ring *rings, size_t n);
/*
 * Replaces r's rings by rings[0..n) (ownership passes, freed on error too)
 * and builds r->rings_json.  CT_OK or CT_NOMEM (r then has no rings).
 */
int ct_record_set_rings(struct ct_call_record *r, struct ct_ring *rings, size_t n);

struct ct_buf;
/* Appends r as one JSON object (no newline) to b; returns CT_OK or CT_NOMEM. */
int ct_record_json(const struct ct_call_record *r, struct ct_buf *b);
/* Appends one stream as a JSON object (the "streams" element format). */
void ct_stream_json(const struct ct_stream_stats *s, struct ct_buf *b);

#endif
