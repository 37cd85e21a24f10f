/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call state machine: turns parsed SIP messages (struct ct_sip_msg) into one
 * struct ct_call_record per call.  A call is keyed by Call-ID in a chained
 * hash table (O(1) lookup, doubled when the load passes 1), so auth retries
 * (RFC 3261 §22.2), forks (§16.7, several To tags) and both legs of a proxy
 * that keeps the Call-ID are one call.
 *
 * Workload: a busy trunk, every message seen once or twice (two hops of a
 * proxy), hundreds of thousands of open calls, ct_dialog_expire() called on
 * every capture tick.  Each call sits on exactly one of four FIFO timer lists
 * (setup, confirmed, linger, trail) ordered by last activity; a message moves its
 * call to the tail of its list, so expiry pops from the heads and costs
 * O(expired calls).  Capture time is assumed to be (nearly) monotonic; an
 * out-of-order timestamp only delays an expiry, it never reorders calls.
 *
 * Retransmissions (RFC 3261 §17): a request is identified by method, CSeq and
 * From tag, a response by status, CSeq, CSeq method, From tag and To tag.
 * The top Via branch is deliberately not used: a proxy adds its own Via, so
 * the second hop of the same request has another branch, and both hops must
 * count as one message (the first sighting defines the timing).  Each call
 * remembers the keys of its last 32 distinct messages.
 *
 * Decisions that the records depend on:
 *  - An INVITE without a To tag for an unknown Call-ID creates a call
 *    (RFC 3261 §12.2: an INVITE with a To tag is a re-INVITE of a call we did
 *    not see start).  REGISTER, OPTIONS and other methods (SUBSCRIBE,
 *    NOTIFY, MESSAGE, PUBLISH) for unknown Call-IDs are not call traffic and
 *    are not counted as orphans; INVITE, ACK, BYE, CANCEL, PRACK, UPDATE,
 *    INFO, REFER (and responses to them) are, and open a call already in
 *    progress (start_seen false), recorded only once proven by a second
 *    message (section "calls already in progress" at the end of the file;
 *    one-way mirrors after it).
 *  - caller = the P-Asserted-Identity user (RFC 3325: a trunk asserts the
 *    real number when From is anonymous) if present, else the From user;
 *    caller_name = From display name, callee = Request-URI user; all from
 *    the first INVITE.  agent = the answering extension: the Contact, else
 *    the P-Asserted-Identity user of the first 2xx when it is an extension
 *    (ct_number_is_extension), one other than the callee first; else the
 *    calling extension: the From, else the P-Asserted-Identity user of the
 *    INVITE when it is one.  The attribution stage keeps the one that fits the
 *    direction (docs/schema.md, agent).  A response to the initial INVITE is recognised by its CSeq and
 *    the caller's From tag, or by the INVITE's top Via branch when a phone
 *    echoes a wrong From tag (RFC 3261 §17.1.3).
 *  - A retryable failure (3xx, 413, 415, 416, 420-423, 488, 494, 503: the UAC
 *    may send the INVITE again in the same Call-ID with the next CSeq,
 *    RFC 3261 §8.1.3.4-5, RFC 4028) waits TRAIL_US for that INVITE, which
 *    resumes the call as after 401/407 (no auth_challenges); else the call
 *    ends failed at the failure's time, not truncated.
 *  - A final failure (3xx-6xx other than 401/407) ends the call at once,
 *    unless it is retryable (above) or the INVITE was forked (forks.c:
 *    copies of it sent to several targets): then one branch's failure only ends that branch, and the
 *    call ends on the failure a proxy forwards upstream, on a 6xx, or when
 *    every branch failed; a later 2xx of another branch answers the call,
 *    and each branch becomes a ring of the record.  A 2xx that beats a
 *    CANCEL wins: the call is answered.
 *  - Serial forking seen downstream of a proxy (RFC 3261 §16.6 step 8,
 *    §16.7: a hunt group, failure_route, voicemail, failover after 503):
 *    the proxy sends the INVITE (same From tag and CSeq) to the next target
 *    as a new branch only after the branch before failed, so the tap sees
 *    one target at a time and forks.c cannot tell.  An initial INVITE of
 *    the call's From tag and CSeq whose top Via branch no copy had
 *    (branches, BRANCHES_MAX kept) resumes the call (serial_resume) while
 *    it waits after the failure: up to SERIAL_WAIT_US (4 s) after a final
 *    failure that ended it, its record not yet emitted (the wait is within
 *    TRAIL_US, so an ended call is reopened, not delayed: a call with no
 *    new branch is emitted exactly as before); waiting for a retry after
 *    a retryable failure; or for the final response to a CANCEL.  Not
 *    after 401/407, nor with a proxy in view (forks.c), nor in a call in
 *    progress.  The branch before no longer decides anything (old_branch:
 *    its failure, ACK, CANCEL); ringing_us stays the first ring's, the
 *    answering branch's 2xx answers; a branch to another target forks the
 *    call (one ring per branch).  The ended hook (legs stage) was told of
 *    the first end already; it is told again at the real end.
 *  - CANCEL then any final failure: cancelled by the caller, end_us = CANCEL
 *    time, final_code = that status (0 if none came within linger_us),
 *    hangup_reason = the CANCEL's Reason text, else "CANCEL".
 *  - 487 without a CANCEL seen: cancelled by the caller.  486/600/603:
 *    busy; 408/480: noanswer; other failures: failed; all by the callee.
 *  - BYE before any 2xx: cancelled, hangup_by = the BYE's sender.
 *  - A BYE that is not of the call's dialog (neither of its tags is the
 *    caller's From tag, or the callee's tag is not the answer's To tag,
 *    before the answer not one of the early dialogs' 1xx To tags:
 *    a spoofed BYE that knows the Call-ID, a B2BUA's other leg in the
 *    same Call-ID), or a caller's BYE whose CSeq is not above its INVITE's
 *    (out of order: the callee refuses it with 500, RFC 3261 §12.2.2), or
 *    one in a datagram shorter than its Content-Length (400, §18.3;
 *    bye_stale), waits BYE_WAIT_US for its final response: a 2xx ends
 *    the call as that BYE (at its time), a 3xx-6xx (the 481 of a UA that
 *    has no such dialog) leaves the call going on (counted in
 *    byes_rejected); without a response it ends as that BYE after the
 *    wait.  A BYE of the dialog ends the call at once, whatever its
 *    response (RFC 3261 §15.1.1: its sender considers the dialog ended
 *    even on a 481).
 *  - A CANCEL not of the call's INVITE transaction (the callee's From tag,
 *    another CSeq number, or a top Via branch no copy of the INVITE had:
 *    RFC 3261 §9.1, the UAS answers 481, §9.2) changes nothing and is not
 *    remembered as seen (cancel_of_invite; counted in cancels_ignored);
 *    so is a response claiming to be the INVITE's (its CSeq, the caller's
 *    From tag) whose top Via branch no copy of the INVITE had
 *    (resp_of_invite; counted in responses_unmatched), nor, for a 1xx or
 *    2xx, that of its second Via (the hop before: a proxy's copy answered
 *    may be unseen, or traced after the answer, when the proxy's own copy
 *    upstream was seen).  The SDP of an
 *    in-dialog request of another dialog (tags) is not handed to
 *    hooks.media (offer_off_dialog), nor that of a response to a request
 *    not seen (a re-INVITE, an UPDATE) where the tap shows its sender's
 *    side (answer_unasked); both counted in sdp_ignored.  Nor is a REFER
 *    of another dialog handed to hooks.refer.
 *  - After 401/407 the call waits setup_timeout_us (a person may be typing
 *    a password) for a new INVITE (higher CSeq, same From tag); if none comes
 *    it ends as failed with that code, not truncated (the signalling settled
 *    it).  A CANCEL without a final response waits linger_us likewise.  At ct_dialog_flush() every record is marked
 *    truncated, since the capture cut the wait short.
 *  - An INVITE with no response at all from the far side fails after
 *    noresponse_timeout_us (RFC 3261 §17.1.1.2 Timer B, 64*T1 = 32 s)
 *    instead of setup_timeout_us, when the tap provably sees the reverse
 *    direction: the INVITE's destination address sent a SIP response (any,
 *    to any call) that the table saw at most noresponse_timeout_us before
 *    the INVITE's last activity, or later.  Those times are kept per
 *    address, for the HEARD_MAX addresses that responded most recently
 *    (calltap/recent.h; one forgotten only ever falls back to the long
 *    wait).  So a one-way mirror (requests only) or a destination that
 *    never answered anything keeps the setup timeout.  The call is closed
 *    as for the setup timeout (unfinished, truncated), with hangup_reason
 *    "no response (timer B)"; a response that comes later while it
 *    lingers is absorbed and counted (late_responses), one after its
 *    linger is an orphan (the Call-ID is remembered as recorded), so no
 *    second record.  Calls waiting for Timer B are on their own list
 *    (bl), in activity order, so the timer and the call lists and the
 *    eviction order are those of before.
 *  - An answered call is also closed (truncated, "no BYE seen (media
 *    timeout)") when neither SIP nor RTP (ct_dialog_touch_media) was seen
 *    for media_timeout_us, unless its latest SDP puts it on hold
 *    (sdp_hold), or it never had RTP while the tap carries none: no call
 *    had RTP (ct_dialog_note_rtp) in the media_timeout_us before (a SIP-only
 *    tap, or media that takes another path: its BYE may come an hour
 *    later, and closing it at the media timeout would cut a real call's
 *    talk time to nothing; media_expected); call_timeout_us stays the cap
 *    on SIP silence.
 *    RTP only stores a time: the call list is ordered by the time a call was
 *    last queued, and when its head is due the call is re-queued at its
 *    latest activity instead of closed.  So a media timeout fires between
 *    media_timeout_us and twice that after the last packet, and the cap up
 *    to media_timeout_us late; without RTP both are exact.  With
 *    cfg.rtp_tracked false (no media stage) the media timeout closes
 *    nothing, it only ranks evictions.
 *  - max_dialogs bounds open calls.  A new call in a full table evicts one,
 *    O(1) per decision, trying in order: (1) the least recently active call
 *    with no response at all from the far side, silent for GRACE_US (an
 *    INVITE flood); (2) the oldest answered call with no in-dialog message
 *    and no RTP since the answer, silent for media_timeout_us (spoofed
 *    INVITE + 200 pairs); (3) the least recently active call waiting after
 *    401/407 or CANCEL, silent for GRACE_US (its outcome is settled);
 *    (4) when none of those waited that long (a table that holds less than
 *    GRACE_US of the flood), the least recently active of them anyway, so
 *    a real call's first milliseconds before its 100 Trying do not make it
 *    the victim of a flood the PBX answers; (5) the least recently active
 *    other call (ringing or answered), RTP counting as activity, so calls
 *    with live media go last.  Only when nothing can be evicted is the new
 *    call refused (stats.dropped).  The evicted call is closed as at flush
 *    (truncated), marked evicted, emitted at once, and lingers to absorb
 *    its retransmissions; one waiting for an INVITE retried after a
 *    retryable failure ends failed, as it would without that INVITE.  Ended calls lingering are bounded by max_dialogs
 *    too (the oldest is emitted early).  A call emitted when it closed
 *    (evicted, Timer B, a timeout) with no media, per-call capture or
 *    forks left lingers as a ghost, its dialog freed (ghost_keep): under an
 *    INVITE flood the table's memory halves and real calls' lingers are no
 *    longer cut short.
 *  - A call that ended (BYE, final failure, timeout...) is emitted once no
 *    RTP of it came for TRAIL_US (5 s) after its end or its last packet
 *    since (on_trail), then lingers as a ghost until linger_us after its
 *    end; its record is built when emitted, from its state at its end
 *    (close_call).  A forked call or a call in progress lingers whole
 *    instead and is emitted at the end of its linger; one with a per-call
 *    capture is emitted as others and then lingers whole (no ghost), so
 *    that its late messages still reach -w.
 *  - A message of a known call from an address off its signalling path
 *    (src/sip/sigpath.c) is foreign (stats.foreign_in_dialog): a request
 *    is ignored (it cannot end the call or announce media); so is a
 *    response, unless it answers the INVITE with the top Via branch of a
 *    copy of it seen (foreign_counts: a second box of an SBC pool), when
 *    it counts for the state but its SDP is not handed to hooks.media;
 *    neither is remembered as seen.  A response from the path to an
 *    address off it answers a stranger's request: it is foreign too and
 *    ignored (a 500 refusing a stranger's BYE does not end the call).
 *  - Stored strings are capped (CT_CAP_*, dialog.h) and the record lists the
 *    cut ones (cut_fields); tags, users and branches are compared as cut.
 *    The table is keyed by the whole Call-ID: keyed SipHash (a random key
 *    per table, so colliding Call-IDs cannot be precomputed) plus length
 *    plus the kept prefix.
 *
 * References: RFC 3261 §12-§17 (dialogs, transactions), §22.2 (auth),
 * RFC 3262 (PRACK), RFC 3311 (UPDATE), RFC 3326 (Reason header).
 */
#include "config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/attr.h"
#include "calltap/dialog.h"
#include "calltap/err.h"
#include "calltap/hashtab.h"
#include "calltap/list.h"
#include "calltap/recent.h"
#include "calltap/sigpath.h"
#include "calltap/slab.h"
#include "calltap/topk.h"
#include "forks.h"

enum dstate {
	DS_SETUP = 0,   /* INVITE sent, no final response yet */
	DS_CHALLENGED,  /* 401/407 (or a retryable failure: on L_RETRY) received, waiting
	                   for the retried INVITE */
	DS_CANCELLING,  /* CANCEL sent, waiting for the final response */
	DS_CONFIRMED,   /* 2xx received */
	DS_ENDED        /* ended; lingering to absorb late messages and media */
};

/*
 * L_TRAIL: ended calls waiting for their trailing RTP to stop (on_trail),
 * in end order; L_LINGER: ended calls lingering whole (and CANCELs waiting
 * for their final response); L_RETRY: calls waiting TRAIL_US for the
 * INVITE retried after a retryable failure (await_retry).
 */
enum dlist { L_SETUP = 0, L_CALL, L_LINGER, L_TRAIL, L_RETRY, L_COUNT };

/* Eviction lists (classes 1-3, and 4); the other open calls are on none. */
enum elist { E_NORESP = 0, E_BARE, E_SETTLED, E_COUNT };

#define SEEN_MIN 8        /* first allocation of the seen-key ring */
#define SEEN_MAX 32       /* keys remembered per call at most */
#define BUCKETS_MIN 1024  /* initial hash buckets (power of two) */
#define REQUEUE_MAX 8     /* call-list heads re-queued per eviction decision at most */
#define GRACE_US INT64_C(1000000) /* normal wait for a response, an ACK or a re-sent INVITE */
#define ENDED_MAX 65536           /* Call-IDs of recorded calls remembered */
#define KEEP_BYTES 192            /* inline room of a call: Call-ID, tokens, record strings */
#define HEARD_MAX 1024            /* addresses remembered as sending responses */
#define EVICT_SRC_MIN 10          /* evicted calls a source is named for at least */
#define GHOSTS_MAX (1u << 20)     /* ghosts at most when max_dialogs is 0 (unbounded) */
#define TRAIL_US INT64_C(5000000) /* an ended call's media quiet this long: emitted (on_trail) */
#define EARLY_MANY 3              /* n_early: more early dialogs than early_tags holds */
#define BYE_WAIT_US INT64_C(4000000) /* a BYE not of the dialog waits this long for its response */
#define TRAIL_WALK 64             /* trail-list entries passed at most to re-queue one in order */
#define BRANCHES_MAX 4            /* top Via branches of the initial INVITE's copies remembered */
#define SERIAL_WAIT_US INT64_C(4000000) /* a failed call waits this long for a new INVITE branch */

/*
 * What the media stage reads of an in-dialog request with SDP held for its
 * final response (offer_hold): its addressing, CSeq, From tag and user
 * (the party, ct_dialog_sender), its SDP's session address and its n_media
 * media lines only.
 */
struct held_offer {
	int64_t ts_us;
	struct ct_tuple t;
	uint16_t vlan;
	uint8_t transport;
	char method[16];
	uint32_t cseq;
	char *from_tag, *from_user;
	struct ct_addr conn;
	uint8_t n_media;
	struct ct_sdp_media media[];
};

struct ct_dialog {
	struct ct_hnode hn;            /* in the table, by keyed hash of the whole Call-ID */
	struct ct_list tl;             /* timer list, ordered by act_us */
	struct ct_list el;             /* eviction list (enum elist), least recent first */
	struct ct_list bl;             /* Timer B list: no response yet, least recent first */
	struct ct_list wl;             /* doubted BYE list (bye_doubt), by the BYE's time */
	void *media;                   /* media stage slot, not owned */
	void *capture;                 /* per-call capture slot (callcap.h), not owned */
	bool discarding;               /* an unproven call in progress dropped unrecorded */
	char *call_id;                 /* cut to CT_CAP_CALL_ID */
	size_t call_id_len;            /* length of the whole Call-ID */
	char *from_tag;                /* From tag of the first INVITE (freed at the end) */
	uint64_t isig;                 /* ended: invite_sig of its INVITE (is_new_call) */
	uint32_t answer_tag;           /* tag_key of the To tag of the 2xx that answered, 0: none */
	uint32_t extra_tags[2];        /* tag_key of later 2xx of other To tags (forked answers) */
	uint8_t n_extra;
	uint8_t n_early;               /* early tags seen: 0-2, EARLY_MANY for more */
	uint32_t early_tags[2];        /* tag_key of the To tags of 1xx (early dialogs), first two */
	uint32_t branches[BRANCHES_MAX]; /* tag_key of the top Via branches of the copies of the
	                                  current initial INVITE (branch_note) */
	uint8_t n_branches;            /* branches kept; BRANCHES_MAX + 1: more (no longer tells) */
	bool serial;                   /* resumed by a new branch of its INVITE (serial_resume) */
	char *caller, *caller_name, *callee, *agent; /* copied into the record */
	char *from_user;               /* From user of the first INVITE (caller may be the PAI) */
	char *invite_branch;           /* top Via branch of the current initial INVITE */
	char *reason;                  /* hangup_reason candidate */
	char *link_id, *diverted;      /* of the first INVITE, for the legs stage (record) */
	struct ct_forks *forks;        /* branches of a forked INVITE (forks.c), NULL: not forked */
	struct held_offer *offer;      /* an in-dialog SDP request waiting for its final response
	                                  (offer_hold), NULL: none */
	uint8_t fork_verdict;          /* enum ct_fork_verdict of the message being handled */
	uint64_t *seen;                /* ring of message keys already seen (seen_in, then heap) */
	uint64_t seen_in[SEEN_MIN];    /* the ring's first SEEN_MIN keys, inline */
	char keep[KEEP_BYTES];         /* inline room for call_id, tokens, caller... (keep_cap) */
	uint8_t keep_used;             /* bytes of keep handed out (never given back) */
	int64_t start_us, ringing_us, answer_us, end_us, cancel_us;
	int64_t last_us;               /* last SIP activity (max ts), timer base */
	int64_t act_us;                /* position in the timer list (last_us, or later activity) */
	int64_t media_us;              /* last RTP (ct_dialog_touch_media), CT_TIME_NONE if none */
	uint64_t drops_start, drops_last; /* capture drops at the first / last message */
	struct ct_addr src, dst;       /* of the first INVITE */
	struct ct_sigpath path;        /* addresses its messages may come from (sigpath.c) */
	uint32_t invite_cseq;          /* CSeq of the current initial INVITE */
	int final_code;
	int q850;                      /* -1 = none */
	unsigned auth_challenges, invites;
	uint16_t sport, dport, vlan;
	uint8_t transport;
	uint8_t state;                 /* enum dstate */
	uint8_t list;                  /* enum dlist, L_COUNT = none */
	uint8_t elist;                 /* enum elist, E_COUNT = none */
	uint8_t hangup_by;             /* enum ct_party */
	uint8_t n_seen, seen_cap, seen_pos;
	uint8_t cut;                   /* CT_CUT_* of the strings kept for the record */
	bool responded;                /* a response was seen */
	bool bare;                     /* answered, nothing seen since the answer */
	bool evicted;
	bool timer_b;                  /* closed by noresponse_timeout_us */
	/* Calls already in progress (see "calls in progress" below). */
	bool partial;                  /* opened by an in-dialog message: start_seen false */
	bool roles_known;              /* partial: a message tied a party to the initial INVITE */
	bool disproved;                /* partial: its first message got a 481 */
	uint16_t n_msgs;               /* partial: distinct call messages seen (saturating) */
	bool fail_inferred;            /* DS_CHALLENGED after the ACK of an unseen failure */
	bool held;                     /* answered, and a party's latest SDP puts it on hold (sdp_take) */
	uint8_t held_by;               /* bit p - 1: party p's latest SDP is a hold (sdp_hold) */
	bool callee_side;              /* a response to a caller's INVITE was seen: the capture
	                                  shows the callee's side (two_way) */
	/* A BYE not of the dialog, waiting for its final response (bye_doubt). */
	bool bye_doubt;
	uint8_t bye_by;                /* ... its sender (enum ct_party) */
	int16_t bye_q850;              /* ... its Q.850 cause, -1 = none */
	uint32_t bye_cseq;             /* ... its CSeq number */
	int64_t bye_us;                /* ... its time */
	/* An ACK of an unseen 2xx in a call whose responses the tap shows. */
	int64_t ack_us;                /* its time (answered then once a BYE proves it), or NONE */
	/* Ended, record not yet emitted: it is built when emitted (close_call). */
	bool pend;
	bool pend_trunc;               /* ... truncated */
	bool pend_drops;               /* ... has_capture_drops (the table's, at the end) */
	uint8_t pend_disp;             /* ... enum ct_disposition */
	uint32_t acct;                 /* heap bytes counted in the table's bytes (dialog_heap) */
};

struct ct_dialog_table {
	struct ct_dialog_cfg cfg;
	struct ct_dialog_hooks hooks;
	struct ct_htab tab;            /* every dialog, lingering ones too; its random
	                                  key also hashes the message keys */
	size_t bytes;                  /* memory of the dialogs: slab entries and their heap
	                                  (ct_dialog_bytes) */
	struct ct_dialog *touched;     /* the last message's call, its heap not counted yet */
	struct ct_list lists[L_COUNT];
	struct ct_list elists[E_COUNT];
	struct ct_list blist;          /* calls waiting for Timer B (bl), by activity */
	struct ct_list byewait;        /* calls with a doubted BYE (wl), by its time */
	struct ct_recent heard;        /* keyed hash of an address that sent a SIP response ->
	                                  when it last did (capture time), HEARD_MAX at most */
	struct ct_addr heard_addr;     /* the latest response's source ... */
	int64_t *heard_val;            /* ... and its value in heard (the latest put), or NULL */
	struct ct_dialog_stats st;
	struct ct_recent ended;        /* keyed hashes of the Call-IDs of calls recorded and
	                                  freed, the latest ENDED_MAX */
	struct ct_topk evict_src;      /* sources of the calls evicted since the last
	                                  ct_dialog_evict_sources (the warning names them) */
	struct ct_recent ghosts;       /* calls lingering without their dialog (ghost_keep):
	                                  keyed hash -> linger start * 2 + timer B, max_dialogs */
	uint64_t drops;                /* capture drops so far (live capture) */
	bool drops_known;              /* drops is set: records carry capture_drops */
	int64_t rtp_us;                /* latest RTP of any call (ct_dialog_note_rtp), or NONE */
	struct ct_slab slab;           /* where calls live (calltap/slab.h): a flood's
	                                  400k calls in huge pages, not 4 KiB faults */
};

/* Calls already in progress and one-way mirrors (their section is at the end). */
static bool partial_unproven(const struct ct_dialog *d);
static void partial_discard(struct ct_dialog_table *t, struct ct_dialog *d,
    struct ct_call_record *r);
static struct ct_dialog *partial_open(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    int idx, size_t len, uint64_t h);
static void partial_note(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m);
static bool partial_replaced(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m);
static void partial_remember(struct ct_dialog_table *t, const struct ct_dialog *d);
static void partial_drop(struct ct_dialog_table *t, struct ct_dialog *d);
static bool partial_opens(const struct ct_sip_msg *m, int idx);
static void on_ack_unseen_final(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m);
static void ack_answer(struct ct_dialog_table *t, struct ct_dialog *d);
static void on_unseen_request(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m);
static bool two_way(const struct ct_dialog *d, const struct ct_sip_msg *m);
static void on_retry_after_unseen_failure(struct ct_dialog *d, const struct ct_sip_msg *m);
/* Serial forking (its section is after the forks'). */
static bool old_branch(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m);

/* ---- small helpers ------------------------------------------------------ */

/*
 * Maps a request method to its ct_dialog_stats.requests index.  Methods are
 * case-sensitive (RFC 3261 §7.1).  NULL or unknown methods give CT_M_OTHER.
 */
int ct_sip_method_index(const char *method)
{
	static const struct { const char *name; int idx; } map[] = {
		{ "INVITE", CT_M_INVITE }, { "ACK", CT_M_ACK },
		{ "BYE", CT_M_BYE }, { "CANCEL", CT_M_CANCEL },
		{ "REGISTER", CT_M_REGISTER }, { "OPTIONS", CT_M_OPTIONS },
		{ "PRACK", CT_M_INDIALOG }, { "UPDATE", CT_M_INDIALOG },
		{ "INFO", CT_M_INDIALOG }, { "REFER", CT_M_INDIALOG },
	};
	size_t i;

	if (method == NULL)
		return CT_M_OTHER;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(method, map[i].name) == 0)
			return map[i].idx;
	return CT_M_OTHER;
}

/* Feeds s with its terminator; NULL hashes differently from "". */
static void key_str(struct ct_siphash_state *h, const char *s)
{
	static const uint8_t none = 0xff;

	if (s == NULL)
		ct_siphash_feed(h, &none, 1);
	else
		ct_siphash_feed(h, s, strlen(s) + 1);
}

/* A message key's bytes gathered for one SipHash (the same bytes key_str feeds). */
struct key_buf {
	uint8_t b[192];
	size_t n;
	bool full;    /* did not fit: hash incrementally */
};

static void kb_add(struct key_buf *k, const void *p, size_t len)
{
	if (k->full || len > sizeof(k->b) - k->n) {
		k->full = true;
		return;
	}
	memcpy(k->b + k->n, p, len);
	k->n += len;
}

static void kb_str(struct key_buf *k, const char *s)
{
	static const uint8_t none = 0xff;

	if (s == NULL)
		kb_add(k, &none, 1);
	else
		kb_add(k, s, strlen(s) + 1);
}

/*
 * Identity of a message for retransmission detection (see file comment):
 * a request by its CSeq, From tag and method; a response by those (the
 * CSeq method) and its status and To tag.  The key's bytes are hashed at
 * once when they fit a small buffer (every message asks; one SipHash over
 * the whole is the same value as feeding the pieces, which long tags
 * still do).
 */
static uint64_t key_of(const struct ct_dialog_table *t, bool request, uint32_t cseq,
    const char *from_tag, const char *method, int32_t status, const char *to_tag)
{
	struct ct_siphash_state h;
	struct key_buf k;

	k.n = 0;
	k.full = false;
	kb_add(&k, request ? "Q" : "R", 1);
	kb_add(&k, &cseq, sizeof(cseq));
	kb_str(&k, from_tag);
	if (request) {
		kb_str(&k, method);
	} else {
		kb_add(&k, &status, sizeof(status));
		kb_str(&k, method);
		kb_str(&k, to_tag);
	}
	if (!k.full)
		return ct_htab_hash(&t->tab, k.b, k.n);
	ct_htab_hash_state(&t->tab, &h);
	ct_siphash_feed(&h, request ? "Q" : "R", 1);
	ct_siphash_feed(&h, &cseq, sizeof(cseq));
	key_str(&h, from_tag);
	if (request) {
		key_str(&h, method);
		return ct_siphash_final(&h);
	}
	ct_siphash_feed(&h, &status, sizeof(status));
	key_str(&h, method);
	key_str(&h, to_tag);
	return ct_siphash_final(&h);
}

static uint64_t msg_key(const struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	return key_of(t, m->is_request, m->cseq, m->from_tag,
	    m->is_request ? m->method : m->cseq_method, m->status, m->to_tag);
}

/* The key the request that response m answers had (msg_key of it). */
static uint64_t request_key(const struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	return key_of(t, true, m->cseq, m->from_tag, m->cseq_method, 0, NULL);
}

static bool has_text(const char *s)
{
	return s != NULL && s[0] != '\0';
}

/*
 * Length of the first len bytes of s cut to at most cap, not inside a UTF-8
 * sequence (at most three continuation bytes are given back).
 */
static size_t cut_len(const char *s, size_t len, size_t cap)
{
	size_t n = cap;
	int k;

	if (len <= cap)
		return len;
	for (k = 0; k < 3 && n > 0 && ((uint8_t)s[n] & 0xc0) == 0x80; k++)
		n--;
	return n;
}

/*
 * Copy of s cut to cap bytes (cut_len) that keeps NULL; sets bit in *cut
 * when s was cut; *ok becomes false when the copy fails.
 */
static char *dup_cap(const char *s, size_t cap, uint8_t bit, uint8_t *cut, bool *ok)
{
	size_t len, n;
	char *c;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	n = cut_len(s, len, cap);
	if (n < len && cut != NULL)
		*cut |= bit;
	c = malloc(n + 1);
	if (c == NULL) {
		*ok = false;
		return NULL;
	}
	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

/*
 * dup_cap for a string of the call (the Call-ID, the tokens kept to match
 * messages, and the record's strings, copied into its record by
 * build_record): in d's inline room while it fits (no malloc per call for
 * them: an INVITE flood creates thousands of calls per second), else on the
 * heap.  Free with keep_free.
 */
static char *keep_cap(struct ct_dialog *d, const char *s, size_t cap, uint8_t bit, uint8_t *cut,
    bool *ok)
{
	size_t len, n;
	char *c;

	if (s == NULL)
		return NULL;
	len = strlen(s);
	n = cut_len(s, len, cap);
	if (n + 1 > sizeof(d->keep) - d->keep_used)
		return dup_cap(s, cap, bit, cut, ok);
	if (n < len && cut != NULL)
		*cut |= bit;
	c = d->keep + d->keep_used;
	memcpy(c, s, n);
	c[n] = '\0';
	d->keep_used = (uint8_t)(d->keep_used + n + 1);
	return c;
}

/* Whether p, a string of keep_cap, is on the heap (not NULL, not in d's inline room). */
static bool kept_on_heap(const struct ct_dialog *d, const char *p)
{
	uintptr_t a = (uintptr_t)p, k = (uintptr_t)d->keep;

	return p != NULL && (a < k || a >= k + sizeof(d->keep));
}

/* Frees p, a string of keep_cap (its inline room is not reused). */
static void keep_free(struct ct_dialog *d, char *p)
{
	if (kept_on_heap(d, p))
		free(p);
}

/* keep_cap for the strings kept only to match messages (no record field). */
static char *dup_token(struct ct_dialog *d, const char *s, bool *ok)
{
	return keep_cap(d, s, CT_CAP_TOKEN, 0, NULL, ok);
}

/* True when wire, cut as dup_token cuts, equals kept (a stored token). */
static bool token_eq(const char *wire, const char *kept)
{
	size_t n = cut_len(wire, strlen(wire), CT_CAP_TOKEN);

	return n == strlen(kept) && memcmp(wire, kept, n) == 0;
}

/* Replaces d->reason with a capped copy of text (NULL clears it). */
static void set_reason(struct ct_dialog *d, const char *text)
{
	bool ok = true;

	keep_free(d, d->reason);
	d->cut &= (uint8_t)~CT_CUT_HANGUP_REASON;
	d->reason = keep_cap(d, text, CT_CAP_REASON, CT_CUT_HANGUP_REASON, &d->cut, &ok);
}

/*
 * Which party sent the request m (or the request m answers): the caller when
 * its From tag equals the first INVITE's, else the callee; without tags the
 * From users are compared; CT_PARTY_NONE when nothing can be compared.
 */
static enum ct_party from_party(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (has_text(m->from_tag) && d->from_tag != NULL) {
		const struct ct_addr *a;

		if (!token_eq(m->from_tag, d->from_tag))
			return CT_PARTY_CALLEE;
		if (!has_text(m->to_tag) || !token_eq(m->to_tag, m->from_tag))
			return CT_PARTY_CALLER;
		/*
		 * The callee took the caller's tag for its own (a To tag
		 * equal to the From tag: broken B2BUAs copy it), so the tags
		 * cannot tell who sent m (red-team pass 9: the callee's BYE
		 * was the caller's, hangup_by wrong).  The users do when they
		 * differ, else the address of the first INVITE: the caller
		 * sends its requests from it and gets its responses there.
		 */
		if (m->from_user != NULL && m->to_user != NULL && d->from_user != NULL &&
		    !token_eq(m->from_user, m->to_user))
			return token_eq(m->from_user, d->from_user) ? CT_PARTY_CALLER :
			    CT_PARTY_CALLEE;
		a = m->is_request ? &m->t.src : &m->t.dst;
		if (a->family != 0 && d->src.family != 0 && !ct_addr_eq(a, &d->src))
			return CT_PARTY_CALLEE;
		return CT_PARTY_CALLER;
	}
	if (m->from_user != NULL && d->from_user != NULL)
		return token_eq(m->from_user, d->from_user) ? CT_PARTY_CALLER : CT_PARTY_CALLEE;
	return CT_PARTY_NONE;
}

/* True when key was seen before; otherwise remembers it. */
static bool seen_check_add(struct ct_dialog *d, uint64_t key)
{
	uint64_t *n;
	unsigned i, cap;

	for (i = 0; i < d->n_seen; i++)
		if (d->seen[i] == key)
			return true;
	if (d->n_seen == d->seen_cap && d->seen_cap < SEEN_MAX) {
		if (d->seen_cap == 0) {
			d->seen = d->seen_in;   /* the first keys: inline */
			d->seen_cap = SEEN_MIN;
		} else {
			cap = d->seen_cap * 2u;
			if (d->seen == d->seen_in) {
				if ((n = malloc(cap * sizeof(*n))) != NULL)
					memcpy(n, d->seen_in, sizeof(d->seen_in));
			} else {
				n = realloc(d->seen, cap * sizeof(*n));
			}
			if (n != NULL) {
				d->seen = n;
				d->seen_cap = (uint8_t)cap;
			}
		}
	}
	if (d->n_seen < d->seen_cap) {
		d->seen[d->n_seen++] = key;
	} else if (d->seen_cap > 0) {
		d->seen[d->seen_pos] = key; /* full: overwrite the oldest */
		d->seen_pos = (uint8_t)((d->seen_pos + 1u) % d->seen_cap);
	}
	return false;
}

/* ---- timer and eviction lists ------------------------------------------ */

/* The first (oldest) call of timer list l, or NULL. */
static struct ct_dialog *tl_first(const struct ct_list *l)
{
	return ct_list_entry(ct_list_first(l), struct ct_dialog, tl);
}

/* The last (newest) call of timer list l, or NULL. */
static struct ct_dialog *tl_last(const struct ct_list *l)
{
	return ct_list_entry(ct_list_last(l), struct ct_dialog, tl);
}

/* Keyed hash of address a (family and address bytes) for the heard table. */
static uint64_t heard_key(const struct ct_dialog_table *t, const struct ct_addr *a)
{
	uint8_t key[17];
	size_t n = a->family == 4 ? 4 : a->family == 6 ? 16 : 0;

	key[0] = a->family;
	memcpy(key + 1, a->a, n);
	return ct_htab_hash(&t->tab, key, n + 1);
}

/*
 * Address a sent a SIP response at ts_us (Timer B's proof that the tap
 * sees the reverse direction).  O(1): the source of the previous response
 * (a PBX answers most) costs a compare, another one a keyed hash.  Past
 * HEARD_MAX addresses the one that responded least recently is forgotten,
 * whatever the hash key (so a run's result never depends on it).
 */
static void heard_note(struct ct_dialog_table *t, const struct ct_addr *a, int64_t ts_us)
{
	int64_t *v;
	int fresh;

	if (t->cfg.noresponse_timeout_us <= 0 || a->family == 0)
		return;
	if (t->heard_val != NULL && ct_addr_eq(&t->heard_addr, a)) {
		v = t->heard_val;
	} else {
		if ((v = ct_recent_put(&t->heard, heard_key(t, a), &fresh)) == NULL)
			return;   /* no memory: Timer B never proven, the setup timeout decides */
		t->heard_addr = *a;
		t->heard_val = v;
		if (fresh) {
			*v = ts_us;
			return;
		}
	}
	if (ts_us > *v)
		*v = ts_us;
}

/* When address a last sent a SIP response (heard_note), CT_TIME_NONE if not known. */
static int64_t heard_last(const struct ct_dialog_table *t, const struct ct_addr *a)
{
	const int64_t *v;

	if (a->family == 0)
		return CT_TIME_NONE;
	if (t->heard_val != NULL && ct_addr_eq(&t->heard_addr, a))
		return *t->heard_val;   /* the latest responder: a flood's target, often */
	v = ct_recent_get(&t->heard, heard_key(t, a));
	return v != NULL ? *v : CT_TIME_NONE;
}

/* The first (least recent) call of eviction list l, or NULL. */
static struct ct_dialog *el_first(const struct ct_list *l)
{
	return ct_list_entry(ct_list_first(l), struct ct_dialog, el);
}

static void list_unlink(struct ct_dialog *d)
{
	if (d->list >= L_COUNT)
		return;
	ct_list_remove(&d->tl);
	d->list = L_COUNT;
}

/* Latest activity of d: its last SIP message or its last RTP packet. */
static int64_t activity(const struct ct_dialog *d)
{
	return d->media_us > d->last_us ? d->media_us : d->last_us;
}

/*
 * Moves d to the tail of timer list which (its newest end), keyed by
 * last_us (by its latest activity, RTP included, in the call list).
 */
static void list_move(struct ct_dialog_table *t, struct ct_dialog *d, enum dlist which)
{
	list_unlink(d);
	ct_list_append(&t->lists[which], &d->tl);
	d->list = (uint8_t)which;
	d->act_us = which == L_CALL ? activity(d) : d->last_us;
}

/* Moves d to the tail of eviction list which; E_COUNT takes it off any. */
static void elist_move(struct ct_dialog_table *t, struct ct_dialog *d, enum elist which)
{
	if (d->elist < E_COUNT)
		ct_list_remove(&d->el);
	d->elist = E_COUNT;
	if (which < E_COUNT) {
		ct_list_append(&t->elists[which], &d->el);
		d->elist = (uint8_t)which;
	}
	/* The calls of class noresponse that Timer B may close, in the same order. */
	if (ct_list_linked(&d->bl))
		ct_list_remove(&d->bl);
	if (which == E_NORESP && d->state == DS_SETUP && !d->responded && !d->partial &&
	    t->cfg.noresponse_timeout_us > 0)
		ct_list_append(&t->blist, &d->bl);
}

/* Puts d, just active, at the tail of the eviction list of its class. */
static void reclass(struct ct_dialog_table *t, struct ct_dialog *d)
{
	enum elist e = E_COUNT;

	switch (d->state) {
	case DS_SETUP:
		e = d->responded ? E_COUNT : E_NORESP;
		break;
	case DS_CHALLENGED:
	case DS_CANCELLING:
		e = E_SETTLED;
		break;
	case DS_CONFIRMED:
		e = d->bare && d->media_us == CT_TIME_NONE ? E_BARE : E_COUNT;
		break;
	default:
		break;
	}
	if (partial_unproven(d))
		e = E_NORESP;  /* one message of a call in progress: first to go */
	elist_move(t, d, e);
}

/*
 * Moves the call-list head d to the tail at its latest activity, or at
 * least (a call on hold, which the media timeout does not close, at the
 * time now: looked at again after the shorter of the two timeouts, not on
 * every tick), never before the tail's key, so the list stays ordered.
 */
static void requeue(struct ct_dialog_table *t, struct ct_dialog *d, int64_t least)
{
	struct ct_dialog *tail = tl_last(&t->lists[L_CALL]);
	int64_t key = activity(d);

	if (key < least)
		key = least;
	if (tail != NULL && tail->act_us > key)
		key = tail->act_us;
	ct_list_move_tail(&t->lists[L_CALL], &d->tl);
	d->act_us = key;
}

/* ---- hash table --------------------------------------------------------- */

/* The call with this whole Call-ID (len bytes, keyed hash h), or NULL. */
static struct ct_dialog *lookup(const struct ct_dialog_table *t, const char *call_id,
    size_t len, uint64_t h)
{
	size_t kept = cut_len(call_id, len, CT_CAP_CALL_ID);
	struct ct_hnode *n;

	for (n = ct_htab_first(&t->tab, h); n != NULL; n = ct_htab_next(n)) {
		struct ct_dialog *d = ct_container_of(n, struct ct_dialog, hn);

		if (d->call_id_len == len &&
		    memcmp(d->call_id, call_id, kept) == 0 && d->call_id[kept] == '\0')
			return d;
	}
	return NULL;
}

/* The strings d keeps (keep_cap): DIALOG_STRINGS of them, NULL ones included. */
#define DIALOG_STRINGS 11
static void dialog_strings(const struct ct_dialog *d, char *own[DIALOG_STRINGS])
{
	char *const s[DIALOG_STRINGS] = {
		d->call_id, d->from_tag, d->from_user, d->invite_branch, d->caller,
		d->caller_name, d->callee, d->agent, d->reason, d->link_id, d->diverted,
	};

	memcpy(own, s, sizeof(s));
}

/* Frees d's held offer, if any (offer_hold). */
static void offer_free(struct ct_dialog *d)
{
	if (d->offer == NULL)
		return;
	free(d->offer->from_tag);
	free(d->offer->from_user);
	free(d->offer);
	d->offer = NULL;
}

/* Frees what d owns, not d itself. */
static void dialog_release(struct ct_dialog *d)
{
	char *own[DIALOG_STRINGS];
	size_t i;

	/* The record's are mostly NULL by now (copied into it), or inline. */
	dialog_strings(d, own);
	for (i = 0; i < DIALOG_STRINGS; i++)
		keep_free(d, own[i]);
	if (d->forks != NULL)
		ct_forks_free(d->forks);
	offer_free(d);
	if (d->seen != d->seen_in)
		free(d->seen);
	ct_sigpath_fini(&d->path);
}

/* malloc's own bytes around a block, as counted by the memory budget. */
#define HEAP_OVERHEAD 16

/*
 * Heap bytes d owns besides its slab entry: its strings outside the
 * inline room, the ring of message keys once off its inline room, the
 * forks table, the signalling path's hops.  For the memory budget
 * (ct_dialog_bytes); O(strings).
 */
static uint32_t dialog_heap(const struct ct_dialog *d)
{
	char *own[DIALOG_STRINGS];
	size_t i, n = ct_forks_bytes(d->forks);

	dialog_strings(d, own);
	for (i = 0; i < DIALOG_STRINGS; i++)
		if (kept_on_heap(d, own[i]))
			n += strlen(own[i]) + 1 + HEAP_OVERHEAD;
	if (d->seen != NULL && d->seen != d->seen_in)
		n += d->seen_cap * sizeof(*d->seen) + HEAP_OVERHEAD;
	if (d->path.hops != NULL)
		n += d->path.cap_hops * sizeof(*d->path.hops) + HEAP_OVERHEAD;
	if (d->offer != NULL)
		n += sizeof(*d->offer) + d->offer->n_media * sizeof(d->offer->media[0]) +
		    HEAP_OVERHEAD + (d->offer->from_tag != NULL ?
		    strlen(d->offer->from_tag) + 1 + HEAP_OVERHEAD : 0) +
		    (d->offer->from_user != NULL ? strlen(d->offer->from_user) + 1 + HEAP_OVERHEAD : 0);
	return (uint32_t)n;
}

/* Counts the heap of the last message's call in t->bytes (it changes as the call does). */
static void touched_count(struct ct_dialog_table *t)
{
	struct ct_dialog *d = t->touched;
	uint32_t h;

	if (d == NULL)
		return;
	h = dialog_heap(d);
	t->bytes = t->bytes - d->acct + h;
	d->acct = h;
	t->touched = NULL;
}

/* A zeroed call from the table's slab, or NULL (out of memory). */
static struct ct_dialog *dialog_alloc(struct ct_dialog_table *t)
{
	struct ct_dialog *d = ct_slab_alloc(&t->slab);

	if (d != NULL)
		t->bytes += sizeof(*d);
	return d;
}

/* Frees d (it is on no list). */
static void dialog_destroy(struct ct_dialog_table *t, struct ct_dialog *d)
{
	if (t->touched == d)
		t->touched = NULL;
	t->bytes -= sizeof(*d) + d->acct;
	dialog_release(d);
	ct_slab_free(&t->slab, d);
}

/*
 * Memory the table's calls hold now (open and lingering dialogs: their
 * slab entries and heap; ghosts and the bounded memories of Call-IDs are
 * not counted): what the engine's memory budget weighs (engine.c
 * mem_guard).  A call's heap is counted as of its last message.
 */
size_t ct_dialog_bytes(struct ct_dialog_table *t)
{
	touched_count(t);
	return t->bytes;
}

/* Unlinks d from the table and frees it (the media slot is not touched). */
static void dialog_free(struct ct_dialog_table *t, struct ct_dialog *d)
{
	partial_remember(t, d);
	if (d->state != DS_ENDED)
		t->st.active--;
	ct_htab_remove(&t->tab, &d->hn);
	list_unlink(d);
	elist_move(t, d, E_COUNT);
	if (ct_list_linked(&d->wl))
		ct_list_remove(&d->wl);
	dialog_destroy(t, d);
}

/* ---- a new call in a Call-ID still lingering ----------------------------- */

/*
 * A To or From tag as a nonzero 32-bit keyed hash (cut as dup_token cuts
 * it); 0 for none.
 */
static uint32_t tag_key(const struct ct_dialog_table *t, const char *tag)
{
	if (!has_text(tag))
		return 0;
	return (uint32_t)(ct_htab_hash(&t->tab, tag, cut_len(tag, strlen(tag), CT_CAP_TOKEN)) >> 32) | 1u;
}

/* The signature of an initial INVITE: its From tag's tag_key, and its CSeq. */
static uint64_t invite_sig(const struct ct_dialog_table *t, const char *from_tag, uint32_t cseq)
{
	return (uint64_t)tag_key(t, from_tag) << 32 | cseq;
}

/* Whether tag key k (nonzero) is one of the n keys of keys. */
static bool tag_in(const uint32_t *keys, unsigned n, uint32_t k)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (keys[i] == k)
			return true;
	return false;
}

/* Whether top Via branch b (its tag_key, nonzero) was one of a copy of d's INVITE. */
static bool branch_known(const struct ct_dialog *d, uint32_t b)
{
	return tag_in(d->branches, d->n_branches > BRANCHES_MAX ? BRANCHES_MAX : d->n_branches, b);
}

/*
 * Remembers the top Via branch of m, when m is a copy of d's current
 * initial INVITE (its CSeq, not the callee's): one per hop that forwarded
 * it and per branch a proxy forked it to.  The first BRANCHES_MAX; with
 * more, serial_branch no longer tells a new one.
 */
static void branch_note(const struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k = tag_key(t, m->via_branch);

	if (k == 0 || d->state == DS_ENDED || m->cseq != d->invite_cseq ||
	    d->n_branches > BRANCHES_MAX || from_party(d, m) == CT_PARTY_CALLEE ||
	    branch_known(d, k))
		return;
	if (d->n_branches < BRANCHES_MAX)
		d->branches[d->n_branches++] = k;
	else
		d->n_branches = BRANCHES_MAX + 1;
}

/*
 * Whether m's top Via branch (non-empty) is that of a copy of d's initial
 * INVITE seen: the INVITE's own, or a proxy hop's (branch_note).
 */
static bool branch_of_invite(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	return (d->invite_branch != NULL && token_eq(m->via_branch, d->invite_branch)) ||
	    branch_known(d, tag_key(t, m->via_branch));
}

/*
 * Whether response m is a 1xx or 2xx whose second Via value (via_branch2,
 * non-empty) has the branch of a copy of d's initial INVITE seen: it
 * answers a copy sent on by a proxy whose upstream copy was seen, while
 * the downstream copy with m's top branch was not, or not yet (a proxy's
 * trace may stamp its own copy after the response to it: Kamailio's
 * siptrace over HEP, the UAS's 180 and 200 before the copy they answer).
 * A spoofer needs a real branch for this as for the top one.  Not a
 * 3xx-6xx: a downstream branch's failure is the call's only when the
 * proxy sends it on upstream (with the upstream copy's branch), not when
 * it forked and another branch may still answer.
 */
static bool branch2_of_invite(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (m->is_request || m->status >= 300 || !has_text(m->via_branch2))
		return false;
	return (d->invite_branch != NULL && token_eq(m->via_branch2, d->invite_branch)) ||
	    branch_known(d, tag_key(t, m->via_branch2));
}

/* Whether branch b starts with RFC 3261's magic cookie (§8.1.1.7: "z9hG4bK"). */
static bool rfc3261_branch(const char *b)
{
	return strncmp(b, "z9hG4bK", 7) == 0;
}

/*
 * branch_of_invite, or what d cannot tell: d kept no branch of its
 * INVITE, more copies came than it keeps (BRANCHES_MAX), or m has no
 * branch while the INVITE's is not an RFC 3261 one (an RFC 2543 peer
 * matches its transactions otherwise).  Under an INVITE whose branch has
 * the magic cookie, a response or CANCEL without one matches no
 * transaction (§17.1.3, §17.2.3: the client drops such a response, the
 * server answers such a CANCEL 481): a spoofer who knew the Call-ID, the
 * From tag and the CSeq ended ringing calls with one (red-team pass 4).
 */
static bool branch_may_be_invites(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->invite_branch == NULL || d->n_branches > BRANCHES_MAX)
		return true;
	if (!has_text(m->via_branch))
		return !rfc3261_branch(d->invite_branch);
	return branch_of_invite(t, d, m);
}

/*
 * Whether CANCEL m may be of d's initial INVITE transaction (RFC 3261 §9.1:
 * a CANCEL carries its INVITE's From tag, CSeq number and top Via branch;
 * §9.2: the UAS answers one that matches no INVITE with 481 and changes
 * nothing): not the callee's, the current INVITE's CSeq, and the branch of
 * a copy of that INVITE seen (the INVITE's own or a proxy hop's,
 * branch_note).  What the call did not show is not held against it: a call
 * in progress (its INVITE unseen), a CANCEL without a branch, more copies
 * than the branches kept.  A spoofer on the caller's address knows the
 * Call-ID, perhaps the From tag, but not the branch: its CANCEL ended a
 * ringing call as cancelled by the caller, whatever the real outcome.
 */
static bool cancel_of_invite(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->partial)
		return true;
	if (from_party(d, m) == CT_PARTY_CALLEE || m->cseq != d->invite_cseq)
		return false;
	return branch_may_be_invites(t, d, m);
}

/*
 * Whether response m may be of d's initial INVITE transaction, when it
 * claims to be (the INVITE's CSeq, the caller's From): its top Via branch
 * is that of a copy of the INVITE seen (RFC 3261 §17.1.3: the caller's
 * transaction takes no other; a proxy's response upstream carries the
 * upstream copy's branch), or a 1xx/2xx whose second Via branch is
 * (branch2_of_invite).  Not held against it when unknown, as in
 * cancel_of_invite.  A spoofer on the callee's address with the Call-ID
 * and the caller's tag made ringing calls busy, failed or answered.
 */
static bool resp_of_invite(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m, int idx)
{
	if (m->is_request || idx != CT_M_INVITE || d->partial || m->cseq != d->invite_cseq ||
	    from_party(d, m) == CT_PARTY_CALLEE)
		return true;
	return branch_may_be_invites(t, d, m) || branch2_of_invite(t, d, m);
}

/*
 * Whether the initial INVITE of signature sig is another call than the
 * ended one whose INVITE had signature was: another From tag, or the same
 * with a higher CSeq (RFC 3261 §12.2.1.1, §8.1.3.4: a re-sent INVITE keeps
 * both).  A UA that dials again in the same Call-ID, or one that retries
 * after a failure that ended the call, makes a call of its own: absorbed
 * as a retransmission of the ended one, it had no record at all (a caller
 * could so hide an answered call behind a failed one).
 */
static bool sig_new_call(uint64_t sig, uint64_t was)
{
	return (sig >> 32) != (was >> 32) || (uint32_t)sig > (uint32_t)was;
}

/* True when m is an initial INVITE (no To tag). */
static bool initial_invite(const struct ct_sip_msg *m, int idx)
{
	return m->is_request && idx == CT_M_INVITE && !has_text(m->to_tag);
}

/*
 * Whether user u is a telephone number: an optional '+', then at least 3
 * digits with only visual separators (RFC 3966 §5.1.1: - . ( ) and
 * spaces), up to the first ';' (user parameters such as npdi, rn=).
 */
static bool number_like(const char *u)
{
	unsigned digits = 0;

	if (u == NULL)
		return false;
	if (*u == '+')
		u++;
	for (; *u != '\0' && *u != ';'; u++) {
		if (*u >= '0' && *u <= '9')
			digits++;
		else if (*u != '-' && *u != '.' && *u != '(' && *u != ')' && *u != ' ')
			return false;
	}
	return digits >= 3;
}

/*
 * The dialled number of the initial INVITE m: its Request-URI's user, the
 * number the caller's side asked for (proxies rewrite To less than it).
 * But a trunk registered to its provider gets its calls at the Contact it
 * registered (RFC 3261 §10.2.1, §16.5: the registrar retargets the
 * Request-URI, sip:pbxtrunk1@pbx) while To keeps the number dialled: when
 * the Request-URI's user is not a number (or there is none) and To's is,
 * To's (red-team pass 10: the tracking number and its campaign lost).
 */
static const char *callee_of(const struct ct_sip_msg *m)
{
	if (number_like(m->ruri_user) || !number_like(m->to_user))
		return m->ruri_user;
	return m->to_user;
}

/*
 * Whether the initial INVITE m opens a call of its own in the Call-ID of
 * d: d has ended (lingering) and m is another call (sig_new_call); or d
 * waits for its INVITE retried after a failure (await_retry) and m, its
 * next CSeq, asks for another number than the failed one (a retry after a
 * 401/407 or 488 asks for the same; a redirect's is the one the 3xx gave,
 * and stays the call it redirects).  Only from d's signalling path: a
 * stranger's INVITE in a known Call-ID is foreign to d (ct_dialog_on_msg),
 * it does not cut the lingering call's trailing media short nor take the
 * place of a challenged call whose retried INVITE is on its way.  Changes
 * nothing.
 */
static bool is_new_call(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->partial || !ct_sigpath_on(&d->path, m))
		return false;
	if (d->state == DS_ENDED)
		return sig_new_call(invite_sig(t, m->from_tag, m->cseq), d->isig);
	return d->state == DS_CHALLENGED && d->final_code >= 400 && m->cseq > d->invite_cseq &&
	    from_party(d, m) != CT_PARTY_CALLEE && callee_of(m) != NULL && d->callee != NULL &&
	    strncmp(callee_of(m), d->callee, CT_CAP_USER) != 0;
}

/* ---- ghosts: lingering without the dialog -------------------------------- */

/*
 * A call closed and emitted at once (evicted, Timer B, a timeout) lingers
 * only to absorb what still comes for it: its INVITE re-sent, a late
 * response.  Nothing of that changes its record, so when it keeps no media,
 * per-call capture or forks (an evicted call: whatever forks it had, and
 * were it in progress, so that a flood of forked calls evicted does not
 * linger whole past the memory budget), ghost_keep frees the dialog now
 * and keeps a ghost: its Call-ID's keyed hash, the time its linger
 * started, whether Timer B closed it and its INVITE's From tag and CSeq
 * (invite_sig), in the bounded memory t->ghosts (at most max_dialogs, the
 * least recently kept forgotten first, which only makes a late message a
 * stranger's).  Under an INVITE flood that is 56 bytes per evicted call
 * instead of its whole dialog (712): the table's memory halves, and so do
 * the fresh pages a flood makes the capture thread fault in.  A message of
 * a ghost within linger_us is absorbed as one of the lingering call would
 * be (ghost_absorb); the messages a lingering dialog tells apart by its
 * seen keys and signalling path are not told apart (a re-sent initial
 * INVITE counts as a retransmission, a response after Timer B as late).
 * Returns whether d was so freed.
 */
static bool ghost_keep(struct ct_dialog_table *t, struct ct_dialog *d)
{
	const int64_t lim = INT64_MAX / 4;
	int64_t at = d->last_us < -lim ? -lim : d->last_us > lim ? lim : d->last_us, *v;

	if (d->state != DS_ENDED || d->pend || d->media != NULL || d->capture != NULL ||
	    ((d->forks != NULL || d->partial) && !d->evicted) || t->cfg.linger_us <= 0 ||
	    (v = ct_recent_put(&t->ghosts, d->hn.hash, NULL)) == NULL)
		return false;   /* lingers whole */
	v[0] = at * 2 + (d->timer_b ? 1 : 0);
	v[1] = (int64_t)d->isig;
	dialog_free(t, d);
	return true;
}

/*
 * Whether the Call-ID of keyed hash h is a ghost still lingering at ts_us
 * (a message stamped before the linger started counts as within it); sets
 * *timer_b.  Changes nothing.
 */
static bool ghost_live(const struct ct_dialog_table *t, uint64_t h, int64_t ts_us, bool *timer_b,
    uint64_t *sig)
{
	const int64_t *v = ct_recent_get(&t->ghosts, h);
	int64_t at;

	if (v == NULL)
		return false;
	at = (v[0] - (v[0] & 1)) / 2;   /* v[0] = at * 2 + bit, at within INT64_MAX / 4 */
	*timer_b = (v[0] & 1) != 0;
	*sig = (uint64_t)v[1];
	return ts_us <= at || (uint64_t)ts_us - (uint64_t)at < (uint64_t)t->cfg.linger_us;
}

/*
 * m, a message of no dialog: absorbed (true) when its Call-ID is a live
 * ghost, counted as the lingering call would count it.
 */
static bool ghost_absorb(struct ct_dialog_table *t, const struct ct_sip_msg *m, int idx,
    uint64_t h)
{
	uint64_t sig;
	bool timer_b;

	if (!ghost_live(t, h, m->ts_us, &timer_b, &sig))
		return false;
	if (!m->is_request) {
		if (timer_b)
			t->st.late_responses++;
	} else if (initial_invite(m, idx)) {
		if (sig_new_call(invite_sig(t, m->from_tag, m->cseq), sig)) {
			t->st.reused_call_ids++;
			return false;   /* another call in the Call-ID: opened */
		}
		t->st.retransmissions++;
	}
	return true;
}

/* The calling extension of the initial INVITE m (From, else PAI user), or NULL. */
static char *calling_extension(struct ct_dialog *d, const struct ct_sip_msg *m, bool *ok)
{
	const char *u = ct_number_is_extension(m->from_user) ? m->from_user
	    : ct_number_is_extension(m->pai_user) ? m->pai_user : NULL;

	return u != NULL ? keep_cap(d, u, CT_CAP_USER, CT_CUT_AGENT, &d->cut, ok) : NULL;
}

/*
 * The answering extension of the 2xx m: its Contact, else its PAI user,
 * when it is an extension; one other than the callee first (a PBX that
 * answers with the dialled number in Contact and the agent in PAI).
 */
static const char *answering_extension(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	const char *const cand[2] = { m->contact_user, m->pai_user };
	size_t i;

	for (i = 0; i < 2; i++)
		if (ct_number_is_extension(cand[i]) &&
		    (d->callee == NULL || strcmp(cand[i], d->callee) != 0))
			return cand[i];
	for (i = 0; i < 2; i++)
		if (ct_number_is_extension(cand[i]))
			return cand[i];
	return NULL;
}

/*
 * Applies end to the first call of each timer list (setup, call, linger, in
 * that order) until the list is empty; end must take the call off it.
 */
static void drain(struct ct_dialog_table *t,
    void (*end)(struct ct_dialog_table *, struct ct_dialog *))
{
	struct ct_dialog *d;
	int i;

	for (i = 0; i < L_COUNT; i++)
		while ((d = tl_first(&t->lists[i])) != NULL)
			end(t, d);
}

/* Creates the call for the initial INVITE m; NULL when out of memory. */
static struct ct_dialog *dialog_new(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    size_t len, uint64_t h)
{
	struct ct_dialog *d = dialog_alloc(t);
	bool ok = true;

	if (d == NULL)
		return NULL;
	d->call_id = keep_cap(d, m->call_id, CT_CAP_CALL_ID, CT_CUT_CALL_ID, &d->cut, &ok);
	d->call_id_len = len;
	d->from_tag = has_text(m->from_tag) ? dup_token(d, m->from_tag, &ok) : NULL;
	d->from_user = dup_token(d, m->from_user, &ok);
	/* A trunk asserts the real calling number (RFC 3325) when From hides it. */
	d->invite_branch = dup_token(d, m->via_branch, &ok);
	d->caller = keep_cap(d, has_text(m->pai_user) ? m->pai_user : m->from_user, CT_CAP_USER,
	    CT_CUT_CALLER, &d->cut, &ok);
	d->caller_name = keep_cap(d, m->from_name, CT_CAP_NAME, CT_CUT_CALLER_NAME, &d->cut, &ok);
	d->callee = keep_cap(d, callee_of(m), CT_CAP_USER, CT_CUT_CALLEE, &d->cut, &ok);
	d->agent = calling_extension(d, m, &ok);
	d->link_id = has_text(m->link_id) ?
	    keep_cap(d, m->link_id, CT_CAP_CALL_ID, 0, NULL, &ok) : NULL;
	d->diverted = has_text(m->diversion_user) ?
	    keep_cap(d, m->diversion_user, CT_CAP_USER, 0, NULL, &ok) : NULL;
	if (!ok) {
		dialog_destroy(t, d);
		return NULL;
	}
	d->media_us = CT_TIME_NONE;
	d->start_us = d->last_us = m->ts_us;
	d->drops_start = d->drops_last = t->drops;
	d->ringing_us = d->answer_us = d->end_us = d->cancel_us = d->ack_us = CT_TIME_NONE;
	d->src = m->t.src;
	d->dst = m->t.dst;
	ct_sigpath_init(&d->path, m);
	d->sport = m->t.sport;
	d->dport = m->t.dport;
	d->transport = m->transport;
	d->vlan = m->vlan;
	d->invite_cseq = m->cseq;
	d->q850 = -1;
	d->list = L_COUNT;
	d->elist = E_COUNT;
	branch_note(t, d, m);
	ct_htab_insert(&t->tab, &d->hn, h);
	list_move(t, d, L_SETUP);
	elist_move(t, d, E_NORESP);
	t->st.active++;
	t->st.started++;
	return d;
}

/* ---- record emission ---------------------------------------------------- */

/* Spare room of a record for the attribution stage's strings (sensor, numbers). */
#define RECORD_SPARE 96

/*
 * Clears r and points its Call-ID, caller, caller_name, callee, link_id and
 * diverted_from at d's (a borrowed view for a hook, valid while d is).
 */
static void view_parties(const struct ct_dialog *d, struct ct_call_record *r)
{
	memset(r, 0, sizeof(*r));
	r->call_id = d->call_id;
	r->caller = d->caller;
	r->caller_name = d->caller_name;
	r->callee = d->callee;
	r->link_id = d->link_id;
	r->diverted_from = d->diverted;
}

/*
 * t, a time of the call, moved up to floor when it is before it (both may
 * be CT_TIME_NONE: then t is kept).  A frame stamped before the INVITE (two
 * sensors' clocks merged, a HEP agent's skew) must not make an answer
 * before the start or a talk time longer than the call.
 */
static int64_t not_before(int64_t t, int64_t floor)
{
	return t != CT_TIME_NONE && floor != CT_TIME_NONE && t < floor ? floor : t;
}

/*
 * Sets the fields of r that are not strings nor rings from d, ended with
 * disposition disp (truncated: cut short), drops_known the table's
 * drops_known at its end.
 */
static void record_fields(const struct ct_dialog *d, struct ct_call_record *r,
    enum ct_disposition disp, bool truncated, bool drops_known)
{
	r->src_ip = d->src;
	r->dst_ip = d->dst;
	r->has_capture_drops = drops_known;
	r->capture_drops = d->drops_last - d->drops_start;
	r->src_port = d->sport;
	r->dst_port = d->dport;
	r->transport = d->transport;
	r->vlan = d->vlan;
	r->start_us = d->start_us;
	r->ringing_us = not_before(d->ringing_us, d->start_us);
	r->answer_us = not_before(d->answer_us, d->start_us);
	r->end_us = not_before(not_before(d->end_us, d->start_us), r->answer_us);
	r->final_code = d->final_code;
	r->disposition = disp;
	r->hangup_by = (enum ct_party)d->hangup_by;
	r->q850_cause = d->q850;
	r->direction = CT_DIR_UNKNOWN;
	r->truncated = truncated;
	r->evicted = d->evicted;
	r->start_unseen = d->partial;
	r->cut_fields = d->cut;
	r->auth_challenges = d->auth_challenges;
	r->invites = d->invites;
}

/*
 * d's record, one block with its strings (ct_record_new): the Call-ID,
 * caller, caller_name, callee, agent, hangup_reason, link_id and
 * diverted_from are copied into its room, with spare room for the numbers
 * and sensor the attribution stage adds; d keeps only its Call-ID.  NULL
 * when out of memory.
 */
static struct ct_call_record *build_record(struct ct_dialog *d, enum ct_disposition disp,
    bool truncated, bool drops_known)
{
	const char *const src[8] = {
		d->call_id, d->caller, d->caller_name, d->callee, d->agent, d->reason,
		d->link_id, d->diverted,
	};
	size_t len[8], used = 0, i;
	struct ct_call_record *r;
	char *p;

	for (i = 0; i < 8; i++) {
		len[i] = src[i] != NULL ? strlen(src[i]) + 1 : 0;
		used += len[i];
	}
	/* The numbers (normalised caller and callee) are about their users' size. */
	r = ct_record_new(used + len[1] + len[3] + RECORD_SPARE);
	if (r == NULL)
		return NULL;
	{
		char **const dst[8] = {
			&r->call_id, &r->caller, &r->caller_name, &r->callee, &r->agent,
			&r->hangup_reason, &r->link_id, &r->diverted_from,
		};

		p = ct_record_take(r, used);   /* fits by construction */
		for (i = 0; i < 8; i++)
			if (src[i] != NULL) {
				memcpy(p, src[i], len[i]);
				*dst[i] = p;
				p += len[i];
			}
	}
	/* The call keeps its Call-ID (matching until the linger ends); the rest
	 * is r's now. */
	keep_free(d, d->caller);
	keep_free(d, d->caller_name);
	keep_free(d, d->callee);
	keep_free(d, d->agent);
	keep_free(d, d->reason);
	keep_free(d, d->link_id);
	keep_free(d, d->diverted);
	d->caller = d->caller_name = d->callee = d->agent = d->reason = NULL;
	d->link_id = d->diverted = NULL;
	record_fields(d, r, disp, truncated, drops_known);
	(void)ct_forks_rings(d->forks, r);   /* a forked call: one ring per branch */
	return r;
}

/* The record of d built at its emission, from its end's state (close_call); NULL: none. */
static struct ct_call_record *pending_record(struct ct_dialog *d)
{
	if (!d->pend)
		return NULL;
	d->pend = false;
	return build_record(d, (enum ct_disposition)d->pend_disp, d->pend_trunc, d->pend_drops);
}

/*
 * Whether d, ending, waits on the trail list (on_trail): not when it is
 * forked or a call whose start was unseen (their lingers stay whole), or
 * when the linger is no longer than the trail.
 */
static bool trails(const struct ct_dialog_table *t, const struct ct_dialog *d)
{
	return d->forks == NULL && !d->partial && t->cfg.linger_us > TRAIL_US;
}

/*
 * Ends d (end_us, hangup_by, q850, reason and final_code were set by the
 * caller) and moves d to the trail list (trails) or the linger list, timed
 * from d->last_us.  Its record is emitted at the end of its trail
 * (on_trail) or linger (or at flush), so RTP trailing the BYE is still
 * measured and late retransmissions are absorbed; it is built then
 * (pending_record), from what d holds now: an ended call's
 * fields no longer change (ct_dialog_on_msg absorbs its messages before
 * any state update; fork_observe ignores them), and the strings stay in
 * d's inline room meanwhile instead of in a record of their own (on a
 * trunk a fifth of the memory of the calls open was records lingering).
 * The ended hook gets a borrowed view of the record (no rings).
 */
static void close_call(struct ct_dialog_table *t, struct ct_dialog *d,
    enum ct_disposition disp, bool truncated)
{
	if (ct_list_linked(&d->wl))
		ct_list_remove(&d->wl);
	d->bye_doubt = false;
	d->pend = true;
	d->pend_disp = (uint8_t)disp;
	d->pend_trunc = truncated;
	d->pend_drops = t->drops_known;
	if (t->hooks.ended != NULL) {
		struct ct_call_record r;

		view_parties(d, &r);
		r.agent = d->agent;
		r.hangup_reason = d->reason;
		record_fields(d, &r, disp, truncated, t->drops_known);
		t->hooks.ended(t->hooks.user, &r);
	}
	if (d->cut != 0)
		t->st.fields_cut++;
	/* Matching an ended call needs only its Call-ID and seen keys, and
	 * telling another call in its Call-ID its INVITE's signature. */
	d->isig = invite_sig(t, d->from_tag, d->invite_cseq);
	keep_free(d, d->from_tag);
	keep_free(d, d->from_user);
	keep_free(d, d->invite_branch);
	d->from_tag = d->from_user = d->invite_branch = NULL;
	d->state = DS_ENDED;
	t->st.active--;
	t->st.ended++;
	list_move(t, d, trails(t, d) ? L_TRAIL : L_LINGER);
	elist_move(t, d, E_COUNT);
}

/*
 * Hands d's record to the closing hook (the media stage adds the streams it
 * measured until now, RTP that trails the BYE included) and then to emit.
 */
static void emit_pending(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct ct_call_record *r = pending_record(d);

	if (r == NULL)
		return;
	if (partial_unproven(d)) {
		partial_discard(t, d, r);
		return;
	}
	t->st.calls++;
	if (d->partial)
		t->st.partial_calls++;
	if (t->hooks.closing != NULL)
		t->hooks.closing(t->hooks.user, d, r);
	if (t->hooks.emit != NULL)
		t->hooks.emit(t->hooks.user, r);
	else
		ct_call_record_free(r);
}

/* ---- requests ----------------------------------------------------------- */

/*
 * An INVITE in d (its Call-ID, on its signalling path).  An initial INVITE
 * (no To tag) whose From tag is not the caller's is of no dialog of d
 * (RFC 3261 §12: a dialog is the Call-ID and both tags; the callee's
 * requests carry a To tag): another UA's, or a spoofer's on the caller's
 * address, refused by the far side as a rule.  It is not one of d's
 * invites, and changes nothing (red-team pass 6: it raised a live call's
 * count).
 */
static void on_invite(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (!has_text(m->to_tag) && has_text(m->from_tag) && d->from_tag != NULL &&
	    !token_eq(m->from_tag, d->from_tag)) {
		/*
		 * A retry after 401/407 SHOULD keep the From tag (RFC 3261
		 * §8.1.3.5), so one with a new tag, a higher CSeq, from the
		 * address the first INVITE came from, is the retry: the call
		 * takes its tag, which its responses and BYE will carry (red-team
		 * pass 9: dropped, the answered call was recorded "cancelled").
		 */
		bool ok = true;
		char *tag;

		if (d->state != DS_CHALLENGED || m->cseq <= d->invite_cseq ||
		    !ct_addr_eq(&m->t.src, &d->src) ||
		    (tag = dup_token(d, m->from_tag, &ok)) == NULL)
			return;
		keep_free(d, d->from_tag);
		d->from_tag = tag;
	}
	d->invites++;
	if (d->state != DS_SETUP && d->state != DS_CHALLENGED)
		return; /* re-INVITE, or an INVITE racing a CANCEL */
	if (from_party(d, m) == CT_PARTY_CALLEE || m->cseq < d->invite_cseq ||
	    (m->cseq == d->invite_cseq && (d->state != DS_CHALLENGED || !has_text(m->via_branch) ||
	    d->invite_branch == NULL || token_eq(m->via_branch, d->invite_branch))))
		return;
	/*
	 * A new initial INVITE: the retry after 401/407 (RFC 3261 §22.2), or
	 * one that kept the challenged CSeq with a new branch
	 * (auth_retry_same_cseq: not absorbed as a retransmission).
	 */
	d->invite_cseq = m->cseq;
	d->ack_us = CT_TIME_NONE;
	d->n_branches = 0;
	branch_note(t, d, m);
	if (has_text(m->via_branch)) {
		bool ok = true;
		char *b = dup_token(d, m->via_branch, &ok);

		if (b != NULL) {
			keep_free(d, d->invite_branch);
			d->invite_branch = b;
		}
	}
	if (d->state == DS_CHALLENGED) {
		d->state = DS_SETUP;
		d->final_code = 0;
		d->end_us = CT_TIME_NONE;
		d->hangup_by = CT_PARTY_NONE;
		d->q850 = -1;
		set_reason(d, NULL);
		list_move(t, d, L_SETUP);
	}
}

/*
 * A 2xx of the answered INVITE m with another To tag than the answer's: a
 * second branch of a fork answered too (RFC 3261 §13.2.2.4: the caller
 * ACKs it and sends it a BYE, keeping the first).  Remembered (two at
 * most) so that the BYE of such a dialog does not end the call.
 */
static void note_extra_answer(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k = tag_key(t, m->to_tag);

	if (k == 0 || d->answer_tag == 0 || k == d->answer_tag ||
	    tag_in(d->extra_tags, d->n_extra, k))
		return;
	if (d->n_extra < sizeof(d->extra_tags) / sizeof(d->extra_tags[0]))
		d->extra_tags[d->n_extra++] = k;
}

/*
 * Whether BYE m closes only an extra dialog of a forked answer (its
 * callee-side tag, the To tag of the caller's BYE or the From tag of the
 * callee's, is one of extra_tags): the call goes on.
 */
static bool bye_of_extra(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k;

	if (d->n_extra == 0)
		return false;
	k = tag_key(t, from_party(d, m) == CT_PARTY_CALLER ? m->to_tag : m->from_tag);
	return k != 0 && tag_in(d->extra_tags, d->n_extra, k);
}

/*
 * Whether request or response m (a BYE's) belongs to d's dialog: the
 * caller's From tag is its From tag (a caller's BYE) or its To tag (a
 * callee's), and the other tag is the answer's To tag once one is known,
 * before that one of the early dialogs' (the To tags of 1xx responses).
 * True when a tag needed to tell is missing on either side.
 */
static bool bye_in_dialog(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	const char *other;
	uint32_t k;

	if (d->from_tag == NULL || !has_text(m->from_tag))
		return true;
	if (token_eq(m->from_tag, d->from_tag))
		other = m->to_tag;
	else if (has_text(m->to_tag) && token_eq(m->to_tag, d->from_tag))
		other = m->from_tag;
	else
		return false;
	if (!has_text(other))
		return true;
	k = tag_key(t, other);
	if (d->answer_tag != 0)
		return k == d->answer_tag;
	if (d->n_early == 0 || d->n_early == EARLY_MANY)
		return true;   /* no early dialog known, or too many to tell */
	return tag_in(d->early_tags, d->n_early, k);
}

/* Fills d's end as by its doubted BYE (bye_doubt), which it drops. */
static void take_doubted_bye(struct ct_dialog *d)
{
	d->hangup_by = d->bye_by;
	d->end_us = d->bye_us;
	d->q850 = d->bye_q850;
	set_reason(d, "BYE");
	d->bye_doubt = false;
}

/* Ends d as by its doubted BYE: the BYE's 2xx came, or its wait ran out. */
static void bye_settle(struct ct_dialog_table *t, struct ct_dialog *d)
{
	take_doubted_bye(d);
	close_call(t, d, d->state == DS_CONFIRMED ? CT_DISP_ANSWERED : CT_DISP_CANCELLED, false);
}

/* BYE m is not of d's dialog: it waits on the doubted-BYE list (file comment). */
static void bye_doubt(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (ct_list_linked(&d->wl))
		ct_list_remove(&d->wl);
	d->bye_doubt = true;
	d->bye_by = (uint8_t)from_party(d, m);
	d->bye_q850 = (int16_t)(m->q850_cause >= -1 && m->q850_cause <= INT16_MAX ?
	    m->q850_cause : -1);
	d->bye_cseq = m->cseq;
	d->bye_us = m->ts_us;
	ct_list_append(&t->byewait, &d->wl);
	t->st.byes_doubted++;
}

/*
 * d goes on after its doubted BYE (answered after it, or the BYE refused):
 * the doubt is dropped.
 */
static void bye_forget(struct ct_dialog *d)
{
	if (ct_list_linked(&d->wl))
		ct_list_remove(&d->wl);
	d->bye_doubt = false;
}

/*
 * The final response m to d's doubted BYE: a 2xx ends the call as that
 * BYE, a failure leaves it going on.  False when m is not that response.
 */
static bool bye_answer(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (!d->bye_doubt || m->status < 200 || m->cseq != d->bye_cseq)
		return false;
	if (m->status < 300) {
		ack_answer(t, d);   /* a dialog was established: the ACK's 2xx */
		bye_settle(t, d);
		return true;
	}
	bye_forget(d);
	t->st.byes_rejected++;
	return true;
}

/*
 * Whether BYE m is one its receiver may refuse although it looks of the
 * dialog: the caller's with a CSeq not above its INVITE's, out of order
 * (500, RFC 3261 §12.2.2; not for a call in progress, whose INVITE's CSeq
 * was not seen); a datagram shorter than its Content-Length (400, §18.3);
 * one without a From tag, or without the To tag once the answer gave the
 * dialog one (§12.2.1.1: a request in a dialog carries both; a PBX
 * matches no dialog without them, 481); or one with a single header given
 * twice (Call-ID, From, To...: calltap reads the first, pjsip the last).  It waits for its response as one
 * not of the dialog does (else a spoofer on the caller's address, or the
 * caller itself, could end the record of a call that goes on); a 2xx, or
 * no response within the wait, ends the call at the BYE as before.
 */
static bool bye_stale(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	return m->body_short || !has_text(m->from_tag) || m->repeated_headers != 0 ||
	    (d->answer_tag != 0 && !has_text(m->to_tag)) ||
	    (!d->partial && m->cseq <= d->invite_cseq && from_party(d, m) == CT_PARTY_CALLER);
}

static void on_bye(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (d->state == DS_CONFIRMED && bye_of_extra(t, d, m))
		return;   /* a second answer's dialog closed; the call goes on */
	if (!bye_in_dialog(t, d, m) || bye_stale(d, m)) {
		bye_doubt(t, d, m);
		return;
	}
	ack_answer(t, d);
	d->hangup_by = (uint8_t)from_party(d, m);
	d->end_us = m->ts_us;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : "BYE");
	close_call(t, d, d->state == DS_CONFIRMED ? CT_DISP_ANSWERED : CT_DISP_CANCELLED, false);
}

/*
 * A CANCEL ends the call when it cancels the call's INVITE.  With a proxy
 * in view (forks.c), or in a call resumed by a new branch (serial_resume),
 * one whose top Via branch is not the INVITE's (RFC 3261 §9.1: a CANCEL
 * carries its INVITE's branch) is the proxy cancelling one of its own
 * branches (§16.10: a hunt group ringing the next phone), not the caller
 * hanging up.
 */
static bool cancels_call(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	return !((ct_forks_has_forwarder(d->forks) || d->serial) && d->invite_branch != NULL &&
	    has_text(m->via_branch) && !token_eq(m->via_branch, d->invite_branch));
}

/* A CANCEL (or the 2xx of one not seen) of d: cancelling, if it cancels the call. */
static void on_cancel(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->state != DS_SETUP || !cancels_call(d, m))
		return;
	d->state = DS_CANCELLING;
	d->cancel_us = m->ts_us;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text);
	list_move(t, d, L_LINGER);
}

static void on_request(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	switch (ct_sip_method_index(m->method)) {
	case CT_M_INVITE:
		on_retry_after_unseen_failure(d, m);
		on_invite(t, d, m);
		break;
	case CT_M_BYE:
		on_bye(t, d, m);
		break;
	case CT_M_CANCEL:
		on_cancel(t, d, m);
		break;
	case CT_M_ACK:
		on_ack_unseen_final(t, d, m);
		break;
	default:
		break; /* PRACK, UPDATE, ...: activity only */
	}
}

/* ---- responses to the initial INVITE ------------------------------------ */

static void on_answer(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	const char *ext = answering_extension(d, m);
	bool ok = true;

	bye_forget(d);   /* answered after a doubted BYE: that BYE did not end it */
	d->answer_tag = tag_key(t, m->to_tag);
	d->answer_us = m->ts_us;
	d->final_code = m->status;
	if (ext != NULL) {
		char *a = keep_cap(d, ext, CT_CAP_USER, CT_CUT_AGENT, &d->cut, &ok);

		if (a != NULL) {
			keep_free(d, d->agent);
			d->agent = a;
		}
	}
	d->bare = true;
	d->cancel_us = CT_TIME_NONE; /* the 2xx beat the CANCEL */
	d->q850 = -1;
	set_reason(d, NULL);
	d->state = DS_CONFIRMED;
	list_move(t, d, L_CALL);
}

/*
 * The failure m of d may be followed by the INVITE retried in the same
 * Call-ID with the next CSeq (on_invite resumes the call): after a 401/407
 * challenge (auth) d waits as long as for any answer on the setup list (a
 * person may be typing a password); after a retryable failure (retryable)
 * it waits TRAIL_US on the retry list (a UA retries at once), then ends
 * failed at m's time, not truncated (ct_dialog_expire).
 */
static void await_retry(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m, bool auth)
{
	if (auth)
		d->auth_challenges++;
	d->final_code = m->status;
	d->end_us = m->ts_us;
	d->hangup_by = CT_PARTY_CALLEE;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : m->reason_phrase);
	d->state = DS_CHALLENGED;
	list_move(t, d, auth ? L_SETUP : L_RETRY);
}

/* Whether d waits for an INVITE retried after a retryable failure (await_retry). */
static bool retry_wait(const struct ct_dialog *d)
{
	return d->state == DS_CHALLENGED && d->list == L_RETRY;
}

/*
 * Whether a UAC may retry the INVITE after final failure status in the
 * same Call-ID, From and To with the next CSeq (RFC 3261 §8.1.3.4-5: a
 * redirect, 413, 415, 416, 420; and 421, 422 (RFC 4028 session timer too
 * small), 423, 488, 494, 503 (another server), handled the same way by
 * UAs): the call then goes on.
 */
static bool retryable(int status)
{
	switch (status) {
	case 413: case 415: case 416: case 420: case 421: case 422: case 423:
	case 488: case 494: case 503:
		return true;
	default:
		return status >= 300 && status <= 399;
	}
}

static enum ct_disposition failure_disposition(int status)
{
	switch (status) {
	case 486:
	case 600:
	case 603:   /* Decline: the callee refused the call (RFC 3261 §21.6.2), a missed call */
		return CT_DISP_BUSY;
	case 487:
		return CT_DISP_CANCELLED;
	case 408:
	case 480:
		return CT_DISP_NOANSWER;
	default:
		return CT_DISP_FAILED;
	}
}

/* Fills the fields of a call cancelled by the caller (CANCEL at cancel_us). */
static void set_cancelled(struct ct_dialog *d)
{
	d->end_us = d->cancel_us;
	d->hangup_by = CT_PARTY_CALLER;
	if (d->reason == NULL)
		set_reason(d, "CANCEL");
}

static void on_failure(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (d->state == DS_SETUP && d->fork_verdict == CT_FORK_BRANCH)
		return;   /* one branch of a forked INVITE failed; another may answer */
	d->final_code = m->status;
	if (d->state == DS_CANCELLING) {
		if (d->q850 < 0)
			d->q850 = m->q850_cause;
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
		return;
	}
	d->end_us = m->ts_us;
	d->hangup_by = m->status == 487 ? CT_PARTY_CALLER : CT_PARTY_CALLEE;
	d->q850 = m->q850_cause;
	set_reason(d, m->reason_text != NULL ? m->reason_text : m->reason_phrase);
	close_call(t, d, failure_disposition(m->status), false);
}

/*
 * Remembers the To tag of 1xx m (an early dialog, RFC 3261 §12.1): the
 * first two distinct ones (a forked INVITE has one per phone; with more,
 * bye_in_dialog no longer tells).
 */
static void note_early(const struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k = tag_key(t, m->to_tag);

	if (k == 0 || d->n_early == EARLY_MANY || tag_in(d->early_tags, d->n_early, k))
		return;
	if (d->n_early < sizeof(d->early_tags) / sizeof(d->early_tags[0]))
		d->early_tags[d->n_early++] = k;
	else
		d->n_early = EARLY_MANY;
}

static void on_response(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (ct_sip_method_index(m->cseq_method) == CT_M_INVITE && from_party(d, m) != CT_PARTY_CALLEE)
		d->callee_side = true;
	if (ct_sip_method_index(m->cseq_method) != CT_M_INVITE) {
		if (ct_sip_method_index(m->cseq_method) == CT_M_BYE && bye_answer(t, d, m))
			return;
		on_unseen_request(t, d, m); /* a BYE or CANCEL seen only by its response */
		return; /* 200 to PRACK, UPDATE...: activity only */
	}
	if (m->cseq != d->invite_cseq)
		return; /* re-INVITE or a superseded INVITE */
	/*
	 * A response carries the request's From tag, so a callee's re-INVITE
	 * with the same CSeq number shows the callee's tag.  Some phones echo a
	 * wrong From tag; the top Via branch (RFC 3261 §17.1.3) still ties the
	 * response to the initial INVITE.
	 */
	if (from_party(d, m) == CT_PARTY_CALLEE &&
	    !(has_text(m->via_branch) && d->invite_branch != NULL &&
	    token_eq(m->via_branch, d->invite_branch)))
		return;
	if (d->state == DS_CONFIRMED && m->status >= 180 && m->status <= 189 &&
	    d->ringing_us == CT_TIME_NONE &&
	    (m->ts_us < d->answer_us || !ct_forks_forked(d->forks))) {
		/*
		 * A ringing response of the answered INVITE that comes after the
		 * answer.  Stamped before the answer (a HEP agent of several
		 * processes sends in any order, over several connections), a
		 * phone rang then, whichever branch it was: its time is kept.
		 * Stamped after it (reordered on the way, or stamped when a busy
		 * Kamailio worker got to it), it was still sent before the answer
		 * when the call has one branch: a UAS sends no provisional
		 * response once it has sent a 2xx (its INVITE server transaction
		 * ends, RFC 3261 §17.2.1), so the answer's time bounds it.  Not
		 * for a forked call: another branch may ring after one answered.
		 */
		d->ringing_us = m->ts_us < d->answer_us ? m->ts_us : d->answer_us;
		return;
	}
	if (d->state == DS_CONFIRMED && m->status >= 200 && m->status < 300) {
		note_extra_answer(t, d, m);
		return;
	}
	if (d->state != DS_SETUP && d->state != DS_CANCELLING)
		return;
	if (m->status >= 300 && old_branch(t, d, m))
		return;   /* the failure of a branch the proxy gave up (serial forking) */
	if (m->status < 200) {
		if (m->status >= 180 && m->status <= 189 && d->ringing_us == CT_TIME_NONE)
			d->ringing_us = m->ts_us;
		note_early(t, d, m);
	} else if (m->status < 300) {
		on_answer(t, d, m);
	} else if ((m->status == 401 || m->status == 407) && d->state == DS_SETUP) {
		await_retry(t, d, m, true);
	} else if (retryable(m->status) && d->state == DS_SETUP && d->forks == NULL) {
		await_retry(t, d, m, false);
	} else {
		on_failure(t, d, m);
	}
}

/* ---- forks --------------------------------------------------------------- */

/*
 * Hands m to the fork table of d before the retransmission filter (the
 * copies of a forked INVITE and the upstream copy of a response carry the
 * key of the first): copies of the initial INVITE and responses to it.
 * Returns the verdict on a final failure (forks.c), else CT_FORK_NONE.
 */
static enum ct_fork_verdict fork_observe(struct ct_dialog *d, const struct ct_sip_msg *m,
    int idx)
{
	if (d->state == DS_ENDED)
		return CT_FORK_NONE;
	if (m->is_request) {
		if (idx == CT_M_INVITE && !has_text(m->to_tag) && m->cseq >= d->invite_cseq &&
		    from_party(d, m) != CT_PARTY_CALLEE)
			ct_forks_invite(&d->forks, m, &d->dst, d->dport, d->callee, d->start_us);
		return CT_FORK_NONE;
	}
	if (idx != CT_M_INVITE || m->cseq != d->invite_cseq)
		return CT_FORK_NONE;
	return ct_forks_response(d->forks, m);
}

/* ---- serial forking ------------------------------------------------------ */

/*
 * Whether m, a message of d's INVITE transaction (a response, an ACK),
 * is of a branch given up before d was resumed by another (serial_resume):
 * its top Via branch is that of an earlier copy of the INVITE, not the
 * current one's.  Its failure, ACK or CANCEL no longer decides the call.
 */
static bool old_branch(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	return d->serial && has_text(m->via_branch) && d->invite_branch != NULL &&
	    !token_eq(m->via_branch, d->invite_branch) && branch_known(d, tag_key(t, m->via_branch));
}

/*
 * Whether the initial INVITE m is a new branch of d's INVITE that a proxy
 * forwarded after the branch before failed (RFC 3261 §16.6 step 8,
 * §16.7: serial forking, a hunt group, a redirect or failover to another
 * target): the same From tag and CSeq, a top Via branch no copy of the
 * INVITE had, from the caller's side, while d waits after that failure:
 *  - ended by it, its record not yet emitted (pending), at most
 *    SERIAL_WAIT_US after its last message (the failure; its ACK is
 *    absorbed);
 *  - waiting for a retry after a retryable failure (a proxy's failover
 *    after 503, its recursion on a 3xx), or for the final response to a
 *    CANCEL (the proxy's own, of a branch that rang too long).
 * Not with a proxy in view (forks.c: its own final response upstream ends
 * the call), nor for a call in progress, nor after 401/407 (the caller
 * retries with the next CSeq).  Changes nothing.
 */
static bool serial_branch(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k = tag_key(t, m->via_branch);

	if (k == 0 || d->partial || m->cseq != d->invite_cseq || d->n_branches > BRANCHES_MAX ||
	    branch_known(d, k) || ct_forks_has_forwarder(d->forks))
		return false;
	switch (d->state) {
	case DS_ENDED:
		return d->pend && !d->evicted && !d->timer_b && d->final_code >= 300 &&
		    d->answer_us == CT_TIME_NONE &&
		    tag_key(t, m->from_tag) == (uint32_t)(d->isig >> 32) &&
		    (m->ts_us <= d->last_us ||
		    (uint64_t)m->ts_us - (uint64_t)d->last_us <= (uint64_t)SERIAL_WAIT_US);
	case DS_CANCELLING:
		return from_party(d, m) == CT_PARTY_CALLER;
	case DS_CHALLENGED:
		return retry_wait(d) && from_party(d, m) == CT_PARTY_CALLER;
	default:
		return false;
	}
}

/*
 * Whether the initial INVITE m is the caller's retry after a 401/407 that
 * kept the challenged INVITE's CSeq (RFC 3261 §22.2 and §8.1.3.5 say the
 * next CSeq; some UAs send the same one): d waits after the challenge,
 * m comes from the first INVITE's address and port (the caller's socket:
 * not a proxy's copy of the first INVITE, seen late, from another port of
 * the same host) with the caller's tag, and its top Via branch is a new
 * transaction's (a retransmission keeps the branch, RFC 3261 §17.1.1.3).
 * Before, its key (method, CSeq, From tag) made it a retransmission, and
 * the answered call was recorded failed 401 (red-team pass 9).  Changes
 * nothing.
 */
static bool auth_retry_same_cseq(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	uint32_t k = tag_key(t, m->via_branch);

	return k != 0 && !d->partial && d->state == DS_CHALLENGED && !retry_wait(d) &&
	    d->auth_challenges > 0 && m->cseq == d->invite_cseq && !branch_known(d, k) &&
	    d->invite_branch != NULL && !token_eq(m->via_branch, d->invite_branch) &&
	    from_party(d, m) == CT_PARTY_CALLER && ct_addr_eq(&m->t.src, &d->src) &&
	    m->t.sport == d->sport;
}

/* Removes key from d's ring of seen message keys, when there. */
static void seen_forget(struct ct_dialog *d, uint64_t key)
{
	unsigned i;

	for (i = 0; i < d->n_seen; i++)
		if (d->seen[i] == key)
			d->seen[i] = ~key;   /* matches no message of the key */
}

static bool make_room(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep,
    bool young, bool active);

/*
 * Resumes d with m, a new branch of its INVITE (serial_branch): the
 * failure (or CANCEL) of the branch before no longer decides the call,
 * m's branch is the current one and its responses do (ringing_time stays
 * the first ring's, answer_time and the agent come from the answering
 * branch).  An ended call is reopened: its record was not built yet.
 * With m to another target than the first INVITE, the call is forked
 * (forks.c; one ring per branch), the first target failed with the
 * failure seen.  An ended call reopened counts as open again, so with the
 * table full (max_dialogs) one open call is evicted first (make_room).
 * Returns false, d unchanged, when out of memory or nothing could be
 * evicted.
 */
static bool serial_resume(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	int code = d->final_code;
	int64_t fail_us = d->cancel_us != CT_TIME_NONE ? d->last_us : d->end_us;
	bool had_forks = d->forks != NULL, ok = true;
	char *b;

	/* Reopened, it is an open call again: within --max-calls as a new one. */
	if (d->state == DS_ENDED && t->cfg.max_dialogs != 0 &&
	    t->st.active >= t->cfg.max_dialogs && !make_room(t, m->ts_us, NULL, true, true))
		return false;
	if ((b = dup_token(d, m->via_branch, &ok)) == NULL)
		return false;
	if (d->state == DS_ENDED) {
		char *ft = has_text(m->from_tag) ? dup_token(d, m->from_tag, &ok) : NULL;
		char *fu = dup_token(d, m->from_user, &ok);

		if (!ok) {
			keep_free(d, b);
			keep_free(d, ft);
			keep_free(d, fu);
			return false;
		}
		/* close_call undone: the record, pending, is built at the real end */
		d->from_tag = ft;
		d->from_user = fu;
		d->pend = false;
		if (d->cut != 0)
			t->st.fields_cut--;
		t->st.active++;
		t->st.ended--;
	}
	keep_free(d, d->invite_branch);
	d->invite_branch = b;
	d->state = DS_SETUP;
	d->final_code = 0;
	d->end_us = d->cancel_us = d->ack_us = CT_TIME_NONE;
	d->hangup_by = CT_PARTY_NONE;
	d->q850 = -1;
	set_reason(d, NULL);
	d->serial = true;
	list_move(t, d, L_SETUP);
	ct_forks_invite(&d->forks, m, &d->dst, d->dport, d->callee, d->start_us);
	if (!had_forks && code >= 300)
		ct_forks_failed(d->forks, &d->dst, d->dport, code, fail_us);
	t->st.serial_forks++;
	return true;
}

/*
 * Whether m, seen before by its key, still counts in d resumed by a new
 * branch: a CANCEL of the current branch has the key of the one of the
 * branch before (method, CSeq, From tag), but is the caller hanging up.
 */
static bool serial_new_key(const struct ct_dialog *d, const struct ct_sip_msg *m, int idx)
{
	return d->serial && d->state == DS_SETUP && m->is_request && idx == CT_M_CANCEL &&
	    has_text(m->via_branch) && d->invite_branch != NULL &&
	    token_eq(m->via_branch, d->invite_branch);
}

/* ---- entry points ------------------------------------------------------- */

/*
 * Fills cfg with the defaults: 300 s setup, 4 h call, 32 s linger, 300 s
 * media timeout with RTP tracked, 200000 calls.
 */
void ct_dialog_cfg_default(struct ct_dialog_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->setup_timeout_us = 300 * INT64_C(1000000);
	cfg->call_timeout_us = 4 * 3600 * INT64_C(1000000);
	cfg->linger_us = 32 * INT64_C(1000000);
	cfg->noresponse_timeout_us = 32 * INT64_C(1000000);   /* Timer B: 64 * T1 (500 ms) */
	cfg->media_timeout_us = 300 * INT64_C(1000000);
	cfg->rtp_tracked = true;
	cfg->max_dialogs = 200000;
}

/* Short name of c; "unknown" outside the enum. */
const char *ct_evict_class_name(enum ct_evict_class c)
{
	static const char *const names[] = {
		[CT_EVICT_NORESPONSE] = "noresponse", [CT_EVICT_IDLE] = "idle",
		[CT_EVICT_SETTLED] = "settled", [CT_EVICT_ACTIVE] = "active",
	};

	if ((unsigned)c >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[c];
}

/*
 * Creates an empty call table.  cfg NULL means the defaults; negative
 * timeouts are taken as 0; max_dialogs 0 means no limit.  hooks (copied) may
 * be NULL: records are then freed unseen.  Returns NULL when out of memory.
 */
struct ct_dialog_table *ct_dialog_table_new(const struct ct_dialog_cfg *cfg,
    const struct ct_dialog_hooks *hooks)
{
	struct ct_dialog_table *t = calloc(1, sizeof(*t));
	int i;

	if (t == NULL)
		goto fail;
	if (cfg != NULL)
		t->cfg = *cfg;
	else
		ct_dialog_cfg_default(&t->cfg);
	if (t->cfg.setup_timeout_us < 0)
		t->cfg.setup_timeout_us = 0;
	if (t->cfg.call_timeout_us < 0)
		t->cfg.call_timeout_us = 0;
	if (t->cfg.linger_us < 0)
		t->cfg.linger_us = 0;
	if (t->cfg.media_timeout_us < 0)
		t->cfg.media_timeout_us = 0;
	if (t->cfg.noresponse_timeout_us < 0)
		t->cfg.noresponse_timeout_us = 0;
	if (hooks != NULL)
		t->hooks = *hooks;
	for (i = 0; i < L_COUNT; i++)
		ct_list_init(&t->lists[i]);
	for (i = 0; i < E_COUNT; i++)
		ct_list_init(&t->elists[i]);
	ct_slab_init(&t->slab, sizeof(struct ct_dialog));
	ct_list_init(&t->blist);
	ct_list_init(&t->byewait);
	/* Open calls and lingering ones are each bounded by max_dialogs. */
	if (ct_htab_init(&t->tab, BUCKETS_MIN, t->cfg.max_dialogs != 0 &&
	    t->cfg.max_dialogs < SIZE_MAX / 2 ? 2 * t->cfg.max_dialogs : CT_HTAB_UNBOUNDED) != CT_OK)
		goto fail;
	/* Out of memory here, they stay empty: Timer B never proven, late
	 * messages of recorded calls may open partial records. */
	t->rtp_us = CT_TIME_NONE;
	(void)ct_recent_init(&t->heard, HEARD_MAX);
	(void)ct_recent_init(&t->ended, ENDED_MAX);
	/* No memory: those calls linger whole (ghost_keep). */
	(void)ct_recent_init(&t->ghosts, t->cfg.max_dialogs != 0 ? t->cfg.max_dialogs : GHOSTS_MAX);
	return t;
fail:
	free(t);
	return NULL;
}

/*
 * Frees the table and every call still in it WITHOUT emitting them and
 * without calling any hook: call ct_dialog_flush() first at end of input.
 * Media slots of calls never emitted are not released.  NULL is a no-op.
 */
void ct_dialog_table_free(struct ct_dialog_table *t)
{
	if (t == NULL)
		return;
	drain(t, dialog_free);
	ct_slab_fini(&t->slab);
	ct_htab_fini(&t->tab);
	ct_recent_fini(&t->ghosts);
	ct_recent_fini(&t->ended);
	ct_recent_fini(&t->heard);
	free(t);
}

/* Counts m in the stats; returns the stats index of its (CSeq) method. */
static int count_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	int idx = ct_sip_method_index(m->is_request ? m->method : m->cseq_method);

	t->st.messages++;
	if (m->is_request)
		t->st.requests[idx]++;
	else
		t->st.responses++;
	return idx;
}

/* True when the media timeout closes answered calls (a media stage reports RTP). */
static bool media_timeout_on(const struct ct_dialog_table *t)
{
	return t->cfg.rtp_tracked && t->cfg.media_timeout_us > 0;
}

/*
 * Whether the tap would show d's RTP at now_us: d had some, or another
 * call had RTP within media_timeout_us before now_us.  A call without RTP
 * on a tap that carries none (SIP only, or RTP taking another path) is
 * not closed by the media timeout: its silence says nothing.  A call in
 * progress not proven (one message, e.g. a lone ACK: never recorded) is
 * closed by it all the same.
 */
static bool media_expected(const struct ct_dialog_table *t, const struct ct_dialog *d,
    int64_t now_us)
{
	return d->media_us != CT_TIME_NONE || partial_unproven(d) ||
	    (t->rtp_us != CT_TIME_NONE && now_us - t->rtp_us < t->cfg.media_timeout_us);
}

/*
 * Whether SDP s puts its call on hold: it has media lines and none of them
 * is both enabled and sendrecv (a=inactive, sendonly or recvonly: RFC
 * 3264 §8.4; port 0; or c=0.0.0.0, RFC 2543's hold).  A call on hold may
 * send no RTP at all (a=inactive, or no music on hold) for as long as the
 * hold lasts: the media timeout does not close it (expire_calls).
 */
static bool sdp_hold(const struct ct_sdp *s)
{
	static const uint8_t zero[16];
	uint8_t i;

	for (i = 0; i < s->n_media; i++) {
		const struct ct_sdp_media *md = &s->media[i];

		if (md->port != 0 && md->dir == CT_SDP_SENDRECV &&
		    memcmp(md->addr.a, zero, sizeof(zero)) != 0)
			return false;
	}
	return s->n_media > 0;
}

/*
 * Closes the open call d early to make room (class cls) at capture time
 * now: as at flush (truncated), marked evicted, emitted at once; d then
 * lingers from now to absorb its retransmissions.
 */
static void evict(struct ct_dialog_table *t, struct ct_dialog *d, enum ct_evict_class cls,
    int64_t now_us)
{
	enum ct_disposition disp = CT_DISP_UNFINISHED;
	bool cut, byed = false;

	switch (d->state) {
	case DS_SETUP:
	case DS_CONFIRMED:
		disp = d->state == DS_SETUP ? CT_DISP_UNFINISHED : CT_DISP_ANSWERED;
		if (d->bye_doubt) {   /* ended by its BYE, only sooner */
			take_doubted_bye(d);
			disp = d->state == DS_SETUP ? CT_DISP_CANCELLED : CT_DISP_ANSWERED;
			byed = true;
			break;
		}
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, "call table full (evicted)");
		break;
	case DS_CHALLENGED:
		disp = CT_DISP_FAILED;
		break;
	case DS_CANCELLING:
		set_cancelled(d);
		disp = CT_DISP_CANCELLED;
		break;
	default:
		return; /* ended already: never a candidate */
	}
	t->st.evicted[cls]++;
	ct_topk_add(&t->evict_src, &d->src);
	/* Waiting for an INVITE retried after a retryable failure: settled as
	 * it would be without one (failed, not cut short), only sooner. */
	cut = !retry_wait(d) && !byed;
	d->evicted = cut;
	if (now_us > d->last_us)
		d->last_us = now_us; /* linger from now */
	close_call(t, d, disp, cut);
	emit_pending(t, d);
	ghost_keep(t, d);
}

/*
 * The answered call silent longest with nothing since its answer, or NULL.
 * Heads that had RTP meanwhile leave the list (at most REQUEUE_MAX per
 * decision, so it stays O(1); each call leaves once).
 */
static struct ct_dialog *bare_head(struct ct_dialog_table *t)
{
	struct ct_dialog *d;
	int i;

	for (i = 0; i < REQUEUE_MAX && (d = el_first(&t->elists[E_BARE])) != NULL; i++) {
		if (d->media_us == CT_TIME_NONE)
			return d;
		elist_move(t, d, E_COUNT);
	}
	return NULL;
}

/*
 * Class active: the least recently active of the oldest call still setting
 * up and the oldest answered call, RTP counting as activity (up to
 * REQUEUE_MAX call-list heads with later RTP are re-queued first).  NULL
 * when there is neither.
 */
static struct ct_dialog *active_candidate(struct ct_dialog_table *t)
{
	struct ct_dialog *s = tl_first(&t->lists[L_SETUP]), *c;
	int i;

	for (i = 0; i < REQUEUE_MAX; i++) {
		c = tl_first(&t->lists[L_CALL]);
		if (c == NULL || activity(c) <= c->act_us || c == tl_last(&t->lists[L_CALL]))
			break;
		requeue(t, c, INT64_MIN);
	}
	c = tl_first(&t->lists[L_CALL]);
	if (s == NULL)
		return c;
	if (c == NULL)
		return s;
	return activity(c) < s->last_us ? c : s;
}

/*
 * Makes room for one new call at now_us by evicting one open call other
 * than keep (NULL: any; order in the file comment).  young: step 4 of that
 * order (a call of the first three kinds that did not wait yet, before any
 * other call) is taken; without it (room for memory, ct_dialog_make_room)
 * such a call is judged with the others by its last activity, and an
 * answered call bare for a second (no ACK, no RTP: a real call has both
 * within that) is of the second kind already, not after the media
 * timeout.  active: step 5 (any other call) too.  Returns false when there
 * is nothing to evict.
 */
static bool make_room(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep,
    bool young, bool active)
{
	int64_t idle = !young ? GRACE_US : t->cfg.media_timeout_us > 0 ? t->cfg.media_timeout_us :
	    t->cfg.call_timeout_us;
	struct ct_dialog *cand[3], *d;
	static const enum ct_evict_class cls[3] = {
		CT_EVICT_NORESPONSE, CT_EVICT_IDLE, CT_EVICT_SETTLED
	};
	const int64_t wait[3] = { GRACE_US, idle, GRACE_US };
	int i, best = -1;

	cand[0] = el_first(&t->elists[E_NORESP]);
	cand[1] = bare_head(t);
	cand[2] = el_first(&t->elists[E_SETTLED]);
	for (i = 0; i < 3; i++)
		if (cand[i] == keep)
			cand[i] = NULL;   /* the call that needs the room: never its own victim */
	for (i = 0; i < 3; i++) {
		if (cand[i] != NULL && now_us - cand[i]->last_us >= wait[i]) {
			evict(t, cand[i], cls[i], now_us);
			return true;
		}
	}
	/* None waited that long (a table small for the flood): the oldest of them. */
	for (i = 0; i < 3 && young; i++)
		if (cand[i] != NULL && (best < 0 || cand[i]->last_us < cand[best]->last_us))
			best = i;
	if (best >= 0) {
		evict(t, cand[best], cls[best], now_us);
		return true;
	}
	if (active && (d = active_candidate(t)) != NULL && d != keep) {
		evict(t, d, CT_EVICT_ACTIVE, now_us);
		return true;
	}
	return false;
}

/*
 * Ends d's linger now (d lingers whole, or waits after its CANCEL): a call
 * waiting after CANCEL ends as its timer would end it; d is emitted (if
 * not yet) and freed.  Counted in linger_cut.
 */
static void linger_cut(struct ct_dialog_table *t, struct ct_dialog *d)
{
	t->st.linger_cut++;
	if (d->state == DS_CANCELLING) {
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
	}
	emit_pending(t, d);
	dialog_free(t, d);
}

/*
 * Evicts one open call other than keep at now_us, as a full table does for
 * a new call (make_room: the least useful first, its record written now,
 * marked evicted), for the media table when it is full of endpoints
 * (engine.c: a flood of calls whose SDP offers many ports would otherwise
 * leave no endpoint for a real call's SDP, whose RTP then went unseen).
 * Without step 4 of the order: a flood of ringing calls that fills the
 * media table leaves the first three kinds empty but for real calls a few
 * milliseconds old (an INVITE waiting for its 100 Trying), which must not
 * go before the flood's older calls.
 * Counted in evicted (by class) and in evicted_for_memory.  Emits a record
 * (closing and emit hooks); call it only where ct_dialog_on_msg's hooks.media
 * is (the last step of a message, nothing of the table held).  Returns
 * false when there is nothing to evict.
 */
bool ct_dialog_make_room(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep)
{
	if (t == NULL || !make_room(t, now_us, keep, false, true))
		return false;
	t->st.evicted_for_memory++;
	return true;
}

/*
 * Frees memory for the engine's memory budget (engine.c mem_guard), one
 * call at a time, other than keep: an open call of the first three kinds
 * of the eviction order that waited (make_room without step 4: no
 * response for a second, answered but bare for a second, settled for a
 * second); else the ended call lingering whole that ended first, written
 * (if it was not yet) and freed, its linger cut short (counted in
 * linger_cut, as when lingering calls pass max_dialogs: its record lacks at
 * most what came late, its last RTP packets or a 487 after its CANCEL,
 * and its Call-ID stays remembered, so nothing late opens a call); else
 * any other open call, the least recently active first.  Evictions count
 * in evicted_for_memory.  Emits records; the same constraints as
 * ct_dialog_make_room.  Returns false when there is nothing to free.
 */
bool ct_dialog_shed(struct ct_dialog_table *t, int64_t now_us, const struct ct_dialog *keep)
{
	struct ct_dialog *d;

	if (t == NULL)
		return false;
	if (make_room(t, now_us, keep, false, false)) {
		t->st.evicted_for_memory++;
		return true;
	}
	if (((d = tl_first(&t->lists[L_LINGER])) != NULL && d != keep) ||
	    ((d = tl_first(&t->lists[L_TRAIL])) != NULL && d != keep)) {
		linger_cut(t, d);
		return true;
	}
	return ct_dialog_make_room(t, now_us, keep);
}

/*
 * Ended calls lingering are bounded by max_dialogs: beyond it the one that
 * ended first is emitted (if not yet) and freed now (a call waiting after
 * CANCEL at the head ends as its timer would end it).
 */
static void bound_linger(struct ct_dialog_table *t)
{
	struct ct_dialog *d;

	while (t->cfg.max_dialogs != 0 && ct_htab_count(&t->tab) - t->st.active > t->cfg.max_dialogs &&
	    ((d = tl_first(&t->lists[L_LINGER])) != NULL ||
	    (d = tl_first(&t->lists[L_TRAIL])) != NULL))
		linger_cut(t, d);
}

/* Hands the start hook a borrowed view of the call d has just opened. */
static void announce(struct ct_dialog_table *t, const struct ct_dialog *d)
{
	struct ct_call_record r;

	view_parties(d, &r);
	r.src_ip = d->src;
	r.dst_ip = d->dst;
	r.src_port = d->sport;
	r.dst_port = d->dport;
	r.transport = d->transport;
	r.vlan = d->vlan;
	r.start_us = d->start_us;
	r.ringing_us = r.answer_us = r.end_us = CT_TIME_NONE;
	r.disposition = CT_DISP_UNFINISHED;
	r.q850_cause = -1;
	r.cut_fields = d->cut;
	t->hooks.start(t->hooks.user, &r);
}

/* A message for an unknown Call-ID: creates the call or counts an orphan. */
static struct ct_dialog *on_unknown(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    int idx, size_t len, uint64_t h)
{
	struct ct_dialog *d;

	if (ghost_absorb(t, m, idx, h))
		return NULL;   /* a late message of a call recorded, still lingering */
	if (m->is_request && idx == CT_M_INVITE && !has_text(m->to_tag)) {
		if (t->cfg.max_dialogs != 0 && t->st.active >= t->cfg.max_dialogs &&
		    !make_room(t, m->ts_us, NULL, true, true)) {
			t->st.dropped++;
			return NULL;
		}
		bound_linger(t);
		d = dialog_new(t, m, len, h);
		if (d == NULL)
			t->st.dropped++;
		else if (t->hooks.start != NULL)
			announce(t, d);
		return d;
	}
	if (idx <= CT_M_CANCEL || idx == CT_M_INDIALOG) {
		t->st.orphan_messages++;
		return partial_open(t, m, idx, len, h);
	}
	return NULL;
}

/*
 * Whether response m, from off d's signalling path, may still count for
 * d's state: only a response to the INVITE whose top Via branch is that
 * of a copy of d's initial INVITE seen (or a 1xx/2xx whose second Via
 * branch is: branch2_of_invite) (RFC 3261 §17.1.3: the UAC matches
 * a response to its transaction by that branch; a second box of an SBC
 * pool answering the INVITE echoes it).  A stranger who knows the Call-ID
 * and the tags but not the branch cannot answer, fail or end the call
 * with a response the caller's transactions would drop: a 486 or a 200 to
 * the INVITE, a 200 to a BYE or CANCEL never sent (on_unseen_request).
 */
static bool foreign_counts(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m, int idx)
{
	return idx == CT_M_INVITE && has_text(m->via_branch) &&
	    (branch_of_invite(t, d, m) || branch2_of_invite(t, d, m));
}

/*
 * Whether m is an in-dialog request of another dialog than d's: its tags
 * are not the call's (bye_in_dialog), nor a forked answer's (bye_of_extra).
 * Its receiver refuses it (481, RFC 3261 §12.2.2), so its SDP offer is no
 * part of the call: a spoofer on the caller's address offered its own
 * media in a re-INVITE the PBX refused, and its RTP became the call's.
 */
static bool offer_off_dialog(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	return m->is_request && has_text(m->to_tag) && !bye_in_dialog(t, d, m) &&
	    !bye_of_extra(t, d, m);
}

/* True when d's ring of seen message keys holds key. */
static bool seen_has(const struct ct_dialog *d, uint64_t key)
{
	unsigned i;

	for (i = 0; i < d->n_seen; i++)
		if (d->seen[i] == key)
			return true;
	return false;
}

/*
 * Whether m is a response (not the initial INVITE's) to a request d did
 * not see (its key is not among the last SEEN_MAX) although the tap shows
 * the side that sent it (two_way): it answers a request nobody sent, and
 * its SDP is no part of the call (a spoofer on the callee's address
 * answered a re-INVITE never made with its own media).
 */
static bool answer_unasked(const struct ct_dialog_table *t, const struct ct_dialog *d,
    const struct ct_sip_msg *m, int idx)
{
	if (m->is_request || (idx == CT_M_INVITE && m->cseq == d->invite_cseq))
		return false;
	return two_way(d, m) && !seen_has(d, request_key(t, m));
}

/*
 * The SDP of m is the call's: hold state, then the media stage.  The call
 * is on hold while either party's latest SDP says so: one that holds with
 * c=0.0.0.0 (RFC 2543, RFC 3264 §8.4) gets the other's ordinary sendrecv
 * answer, which does not end the hold.  A message whose sender is not
 * known (no tags) speaks for both.
 */
static void sdp_take(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (d->state == DS_CONFIRMED) {
		enum ct_party p = ct_dialog_sender(d, m);
		uint8_t bits = p == CT_PARTY_NONE ? 3 : (uint8_t)(1u << (p - 1));

		if (sdp_hold(&m->sdp))
			d->held_by |= bits;
		else
			d->held_by &= (uint8_t)~bits;
		d->held = d->held_by != 0;
	}
	if (t->hooks.media != NULL)
		t->hooks.media(t->hooks.user, d, m);
}

/*
 * In-dialog offers.  A re-INVITE, UPDATE or PRACK carrying SDP (an offer,
 * or PRACK's answer: RFC 3264, 3311, 3262) changes the call's media only
 * once its receiver accepts it with a 2xx; a 3xx-6xx (an unknown Require,
 * 420; an UPDATE out of order, 500; a codec it cannot take, 488) leaves
 * the media as it was (RFC 3264 §8: the offer is void).  Such a request
 * from a party's own signalling address, with the dialog's tags, made a
 * spoofer's media a party's before the PBX refused it (red-team pass 4:
 * its RTP became a stream of 18 of 20 calls).  So the request's SDP waits
 * (offer_hold; one per call, a newer one replaces it) for its final
 * response (offer_settle): a 2xx hands it to the media stage before the
 * response's own SDP, a failure drops it (counted in sdp_ignored).  Media
 * that reaches the new ports meanwhile is kept pending by the media stage
 * and taken once the offer is (src/rtp/media.c).  Only where the tap
 * shows the receiver's side (its responses can be seen: the callee's once
 * one of its responses was, the caller's when the initial INVITE was):
 * elsewhere the SDP is taken at once, as before.  The initial INVITE's
 * offer is not held (its answer makes the call); a held offer whose
 * response the capture lost is never taken.
 */
static bool offer_waits(const struct ct_dialog *d, const struct ct_sip_msg *m, int idx)
{
	if (!m->is_request || (idx == CT_M_INVITE && !has_text(m->to_tag)))
		return false;
	if (idx != CT_M_INVITE && strcmp(m->method, "UPDATE") != 0 &&
	    strcmp(m->method, "PRACK") != 0)
		return false;
	switch (from_party(d, m)) {
	case CT_PARTY_CALLER:
		return d->callee_side;
	case CT_PARTY_CALLEE:
		return !d->partial;
	default:
		return false;
	}
}

/* Keeps what the media stage reads of request m as d's held offer. */
static void offer_hold(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	uint8_t n = m->sdp.n_media <= CT_SDP_MAX_MEDIA ? m->sdp.n_media : CT_SDP_MAX_MEDIA;
	struct held_offer *o;

	offer_free(d);
	o = malloc(sizeof(*o) + n * sizeof(o->media[0]));
	if (o == NULL) {
		sdp_take(t, d, m);   /* no memory to wait: taken at once, as before */
		return;
	}
	o->ts_us = m->ts_us;
	o->t = m->t;
	o->vlan = m->vlan;
	o->transport = m->transport;
	memcpy(o->method, m->method, sizeof(o->method));
	o->cseq = m->cseq;
	o->from_tag = m->from_tag != NULL ? strdup(m->from_tag) : NULL;
	o->from_user = m->from_user != NULL ? strdup(m->from_user) : NULL;
	o->conn = m->sdp.conn;
	o->n_media = n;
	memcpy(o->media, m->sdp.media, n * sizeof(o->media[0]));
	d->offer = o;   /* counted in the table's bytes with d's heap (dialog_heap) */
}

/*
 * A final response m of d: when it answers the held offer's request (its
 * CSeq and method), a 2xx makes the offer the call's (the request rebuilt
 * as the media stage reads it) and a failure drops it.
 */
static void offer_settle(struct ct_dialog_table *t, struct ct_dialog *d, const struct ct_sip_msg *m)
{
	struct held_offer *o = d->offer;
	struct ct_sip_msg r;

	if (m->cseq != o->cseq || strcmp(m->cseq_method, o->method) != 0)
		return;
	if (m->status < 300 && d->state != DS_ENDED) {
		memset(&r, 0, sizeof(r));
		r.ts_us = o->ts_us;
		r.t = o->t;
		r.vlan = o->vlan;
		r.transport = o->transport;
		r.is_request = true;
		memcpy(r.method, o->method, sizeof(r.method));
		memcpy(r.cseq_method, o->method, sizeof(r.cseq_method));
		r.cseq = o->cseq;
		r.call_id = d->call_id;
		r.from_tag = o->from_tag;
		r.from_user = o->from_user;
		r.q850_cause = -1;
		r.has_sdp = true;
		r.sdp.conn = o->conn;
		r.sdp.n_media = o->n_media;
		memcpy(r.sdp.media, o->media, o->n_media * sizeof(o->media[0]));
		d->offer = NULL;
		sdp_take(t, d, &r);
		d->offer = o;
	} else {
		t->st.sdp_ignored++;
	}
	offer_free(d);
}

/*
 * Feeds one parsed SIP message (borrowed; nothing is kept of it) to the
 * table.  Every message is counted; retransmissions change nothing; an
 * initial INVITE may create a call; a message may end a call (its record is
 * built then and emitted by a later ct_dialog_expire/flush, never before this
 * returns).  Only when an initial INVITE finds the table full is a record
 * emitted (closing and emit hooks) from here: that of the call evicted to
 * make room, or of a lingering call cut short.  hooks.media is called after
 * the state update for messages with SDP, unless the message ended the call
 * or came from off its signalling path.
 * NULL t or m, or a message without Call-ID, is ignored (the latter counted
 * as an orphan).
 */
void ct_dialog_on_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	struct ct_dialog *d;
	bool foreign = false;
	uint64_t h;
	size_t len;
	int idx;

	if (t == NULL || m == NULL)
		return;
	idx = count_msg(t, m);
	if (!m->is_request)
		heard_note(t, &m->t.src, m->ts_us);
	if (m->call_id == NULL) {
		t->st.orphan_messages++;
		return;
	}
	len = strlen(m->call_id);
	h = ct_htab_hash(&t->tab, m->call_id, len);
	d = lookup(t, m->call_id, len, h);
	if (d != NULL && d->partial && partial_replaced(t, d, m))
		d = NULL;
	if (d != NULL && initial_invite(m, idx) && is_new_call(t, d, m)) {
		/* The ended (or failed) call is recorded now; m opens its own. */
		t->st.reused_call_ids++;
		if (d->state == DS_CHALLENGED)
			close_call(t, d, CT_DISP_FAILED, false);
		emit_pending(t, d);
		dialog_free(t, d);
		d = NULL;
	}
	if (d == NULL && (d = on_unknown(t, m, idx, len, h)) == NULL)
		return;
	touched_count(t);
	t->touched = d;   /* its heap is counted at the next message or ct_dialog_bytes */
	if (!ct_sigpath_accept(&d->path, m)) {
		/* Off the call's signalling path (a stranger who knows the
		 * Call-ID): a request is no part of the call; a response
		 * counts only as one to a copy of the call's INVITE (a second
		 * box of an SBC pool: foreign_counts), and its SDP does not,
		 * and neither is remembered as seen (the real one may follow).
		 * Nor does it fork the call. */
		t->st.foreign_in_dialog++;
		if (m->is_request || !foreign_counts(t, d, m, idx))
			return;
		foreign = true;
		d->fork_verdict = CT_FORK_NONE;
	} else if (!m->is_request && m->t.dst.family != 0 && !ct_sigpath_has(&d->path, &m->t.dst)) {
		/* A party's answer to a stranger's request (a 500 to its BYE,
		 * a 482 to its copy of the INVITE): the request was no part of
		 * the call, nor is what refused it. */
		t->st.foreign_in_dialog++;
		return;
	}
	if (m->is_request && idx == CT_M_CANCEL && !cancel_of_invite(t, d, m)) {
		/* Not of the INVITE's transaction (refused with 481): nothing
		 * changes, and it is not remembered as seen, since the real
		 * CANCEL has its key (method, CSeq, From tag). */
		t->st.cancels_ignored++;
		return;
	}
	if (!foreign && !resp_of_invite(t, d, m, idx)) {
		/* Answers no copy of the INVITE: likewise (the real response
		 * may share its key). */
		t->st.responses_unmatched++;
		return;
	}
	if (t->hooks.msg != NULL)
		t->hooks.msg(t->hooks.user, d, m);
	if (!foreign) {
		/* A new branch of the INVITE has the key of the first copy. */
		bool serial = initial_invite(m, idx) && serial_branch(t, d, m) &&
		    serial_resume(t, d, m);
		bool reauth = initial_invite(m, idx) && auth_retry_same_cseq(t, d, m);

		if (reauth) {
			/*
			 * The retry's transaction has the keys of the challenged
			 * one's 100 Trying and ACK (the ACK of its 2xx): they
			 * count again.  The 407 itself stays seen.
			 */
			seen_forget(d, key_of(t, false, m->cseq, m->from_tag, m->method, 100, NULL));
			seen_forget(d, key_of(t, true, m->cseq, m->from_tag, "ACK", 0, NULL));
		}

		if (initial_invite(m, idx))
			branch_note(t, d, m);
		d->fork_verdict = (uint8_t)fork_observe(d, m, idx);
		/*
		 * A proxy's upstream copy of the final failure of a forked call
		 * has the key of the branch's own response: it still ends the call.
		 */
		if (seen_check_add(d, msg_key(t, m)) && !serial && !reauth &&
		    !serial_new_key(d, m, idx) &&
		    !(d->fork_verdict == CT_FORK_END && d->forks != NULL &&
		    d->state == DS_SETUP)) {
			t->st.retransmissions++;
			return;
		}
	}
	if (d->partial)
		partial_note(t, d, m);
	if (d->state == DS_ENDED) {
		if (d->timer_b && !m->is_request)
			t->st.late_responses++;
		return; /* late message of an ended call: absorbed */
	}
	if (m->ts_us > d->last_us)
		d->last_us = m->ts_us;
	d->drops_last = t->drops;
	if (d->state == DS_CONFIRMED)
		d->bare = false; /* in-dialog traffic after the answer */
	if (!m->is_request)
		d->responded = true;
	list_move(t, d, (enum dlist)d->list);
	if (m->is_request)
		on_request(t, d, m);
	else
		on_response(t, d, m);
	if (m->is_request && t->hooks.refer != NULL && d->state != DS_ENDED &&
	    strcmp(m->method, "REFER") == 0 && !offer_off_dialog(t, d, m))
		t->hooks.refer(t->hooks.user, d->call_id, m);   /* not another dialog's (481) */
	if (d->state != DS_ENDED)
		reclass(t, d);
	if (m->has_sdp && !foreign && (offer_off_dialog(t, d, m) || answer_unasked(t, d, m, idx))) {
		t->st.sdp_ignored++;
		return;
	}
	if (!foreign && d->offer != NULL && !m->is_request && m->status >= 200)
		offer_settle(t, d, m);
	if (!m->has_sdp || foreign || d->state == DS_ENDED)
		return;
	if (offer_waits(d, m, idx))
		offer_hold(t, d, m);
	else
		sdp_take(t, d, m);
}

/*
 * What ct_dialog_on_msg(t, m) reads of m besides what the SIP pre-scan
 * always fills (src/sip/prescan.c, ct_sip_prescan_msg: the keys call_id,
 * is_request, method, status, cseq, cseq_method, from_tag, to_tag; the top
 * Via branch, the From user, via_addr and contact_addr, which the
 * signalling path learns from every message, retransmissions too):
 *  - CT_DIALOG_NEED_KEYS: nothing more: m repeats a message its call has
 *    seen (a retransmission; not an initial INVITE nor a final response
 *    to the INVITE, which a forked call's branches read: ct_forks_invite,
 *    ct_forks_response), its call has ended (absorbed), or its Call-ID is
 *    unknown and m opens nothing (only counted: not an initial INVITE,
 *    and no call in progress, partial_opens, or a late message of a call
 *    recorded);
 *  - CT_DIALOG_NEED_KIND: what its kind needs in a call that started seen
 *    (ct_sip_prescan_enough);
 *  - CT_DIALOG_NEED_ALL: every field (an initial INVITE opening a call or
 *    replacing an unproven call in progress; a message opening a call in
 *    progress, or of one, which may set its roles from its To user, From
 *    name, P-Asserted-Identity: partial_roles).
 * Changes nothing.  Keep this in step with ct_dialog_on_msg, on_unknown
 * and the calls in progress.
 */
enum ct_dialog_need ct_dialog_prescan_need(const struct ct_dialog_table *t,
    const struct ct_sip_msg *m)
{
	const struct ct_dialog *d;
	uint64_t h, key;
	size_t len;
	unsigned i;
	int idx;
	bool initial;

	if (t == NULL || m == NULL || m->call_id == NULL)
		return CT_DIALOG_NEED_KEYS;
	idx = ct_sip_method_index(m->is_request ? m->method : m->cseq_method);
	initial = m->is_request && idx == CT_M_INVITE && !has_text(m->to_tag);
	len = strlen(m->call_id);
	h = ct_htab_hash(&t->tab, m->call_id, len);
	d = lookup(t, m->call_id, len, h);
	if (d == NULL) {
		uint64_t sig;
		bool timer_b;

		if (ghost_live(t, h, m->ts_us, &timer_b, &sig) &&
		    !(initial && sig_new_call(invite_sig(t, m->from_tag, m->cseq), sig)))
			return CT_DIALOG_NEED_KEYS;   /* ghost_absorb */
		if (initial)
			return CT_DIALOG_NEED_ALL;
		if (!partial_opens(m, idx) ||
		    ct_recent_get(&t->ended, h) != NULL)
			return CT_DIALOG_NEED_KEYS;
		return CT_DIALOG_NEED_ALL;
	}
	if (initial && partial_unproven(d))
		return CT_DIALOG_NEED_ALL;   /* partial_replaced: a new call */
	if (initial && d->state == DS_ENDED && is_new_call(t, d, m))
		return CT_DIALOG_NEED_ALL;   /* another call in the Call-ID */
	if (initial && d->state == DS_ENDED && serial_branch(t, d, m))
		return CT_DIALOG_NEED_ALL;   /* a new branch: serial_resume */
	if (d->state == DS_ENDED)
		return CT_DIALOG_NEED_KEYS;
	if (!initial && !(!m->is_request && idx == CT_M_INVITE && m->status >= 200)) {
		key = msg_key(t, m);
		for (i = 0; i < d->n_seen; i++)
			if (d->seen[i] == key)
				return CT_DIALOG_NEED_KEYS;
	}
	return d->partial || initial ? CT_DIALOG_NEED_ALL : CT_DIALOG_NEED_KIND;
}

/* True when ct_dialog_prescan_need(t, m) is CT_DIALOG_NEED_KEYS. */
bool ct_dialog_keys_suffice(const struct ct_dialog_table *t, const struct ct_sip_msg *m)
{
	return ct_dialog_prescan_need(t, m) == CT_DIALOG_NEED_KEYS;
}

/*
 * Handles the timer of d, the head of its list, that fell due at due_us
 * (media: an answered call closed by the media timeout).  A call closed
 * by a timeout lingers from due_us, not from the clock, so that after a
 * gap in the capture (captures days apart read as one stream) the first
 * messages past it are not absorbed as retransmissions of the call the
 * gap ended: a Call-ID used again later (SIPp numbers its calls from 1 in
 * every run) makes another call.
 */
static void on_timer(struct ct_dialog_table *t, struct ct_dialog *d, int64_t due_us, bool media)
{
	switch (d->state) {
	case DS_SETUP:
	case DS_CONFIRMED:
		if (d->bye_doubt) {   /* not before its wait (ct_dialog_expire): only if much longer */
			bye_settle(t, d);
			emit_pending(t, d);
			ghost_keep(t, d);
			break;
		}
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, d->state == DS_SETUP ? "no final response" :
		    media ? "no BYE seen (media timeout)" : "no BYE seen (timeout)");
		if (media)
			t->st.media_timeouts++;
		d->last_us = due_us; /* linger from then */
		t->st.calls_timed_out++;
		close_call(t, d, d->state == DS_SETUP ? CT_DISP_UNFINISHED : CT_DISP_ANSWERED, true);
		emit_pending(t, d); /* silent for so long: nothing more to wait for */
		ghost_keep(t, d);
		break;
	case DS_CHALLENGED:
		close_call(t, d, CT_DISP_FAILED, false);
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	case DS_CANCELLING:
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	default:
		emit_pending(t, d);
		dialog_free(t, d);
		break;
	}
}

/*
 * The answered calls due at now_us: SIP silent for call_timeout_us (the
 * cap), or with the media timeout on, neither SIP nor RTP for
 * media_timeout_us; a due head with later RTP is re-queued instead.  Each
 * re-queue moves the key forward past now - media_timeout_us, so the loop
 * ends.
 */
static void expire_calls(struct ct_dialog_table *t, int64_t now_us)
{
	int64_t cap = t->cfg.call_timeout_us, media = t->cfg.media_timeout_us;
	int64_t first = media_timeout_on(t) && media < cap ? media : cap;
	struct ct_dialog *d;

	/* Times are clamped and due (now - x >= y): x + y cannot overflow. */
	while ((d = tl_first(&t->lists[L_CALL])) != NULL && now_us - d->act_us >= first) {
		if (now_us - d->last_us >= cap)
			on_timer(t, d, d->last_us + cap, false);
		else if (media_timeout_on(t) && !d->held && now_us - activity(d) >= media &&
		    media_expected(t, d, now_us))
			on_timer(t, d, activity(d) + media, true);
		else   /* on hold, or no RTP to expect: looked at again a timeout from now */
			requeue(t, d, d->held || !media_expected(t, d, now_us) ? now_us : INT64_MIN);
	}
}

/*
 * Timer B (see the file comment): the calls with no response at all for
 * noresponse_timeout_us leave the Timer B list; those whose destination is
 * heard answering are closed (unfinished, truncated, "no response (timer
 * B)"), the others wait for setup_timeout_us as before.  O(calls due).
 */
static void expire_noresponse(struct ct_dialog_table *t, int64_t now_us)
{
	int64_t wait = t->cfg.noresponse_timeout_us;
	struct ct_dialog *d;
	int64_t heard;

	while ((d = ct_list_entry(ct_list_first(&t->blist), struct ct_dialog, bl)) != NULL &&
	    now_us - d->last_us >= wait) {
		ct_list_remove(&d->bl);
		heard = heard_last(t, &d->dst);
		if (heard == CT_TIME_NONE || heard < d->last_us - wait)
			continue;   /* the reverse direction not seen: the setup timeout decides */
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, "no response (timer B)");
		d->last_us += wait;   /* linger from then (on_timer); due: no overflow */
		d->timer_b = true;
		t->st.calls_timed_out++;
		t->st.noresponse_timeouts++;
		close_call(t, d, CT_DISP_UNFINISHED, true);
		emit_pending(t, d);
		ghost_keep(t, d);
	}
}

/*
 * Puts d back on the trail list at key (its last RTP), in order: after
 * the newest entry keyed at most key, looked for from the tail; past
 * TRAIL_WALK entries (many calls ended since its last packet) d goes
 * after the last one passed, with its key, so that the list stays ordered
 * and a re-queue costs O(1): d is then emitted up to that much later.
 */
static void trail_requeue(struct ct_dialog_table *t, struct ct_dialog *d, int64_t key)
{
	struct ct_list *head = &t->lists[L_TRAIL], *p;
	unsigned steps = 0;

	list_unlink(d);
	for (p = ct_list_last(head); p != NULL; p = ct_list_prev(head, p)) {
		const struct ct_dialog *x = ct_container_of(p, struct ct_dialog, tl);

		if (x->act_us <= key)
			break;
		if (++steps == TRAIL_WALK) {
			key = x->act_us;
			break;
		}
	}
	ct_list_prepend(p != NULL ? p : head, &d->tl);   /* after p, or first */
	d->list = L_TRAIL;
	d->act_us = key;
}

/*
 * d, the head of the trail list, is due (TRAIL_US after its end, or after
 * the RTP it got since): RTP of it after that time re-queues it at its
 * last packet; else its record is emitted now and it lingers as a ghost
 * for the rest of its linger_us (ghost_keep: it keeps no media now).
 * Every message of an ended call is absorbed and the record does not
 * change after its end, so only the RTP trailing the end could still
 * count: it stops within a round trip of the BYE (a phone that goes on
 * sending is followed for as long as it does, with gaps under TRAIL_US).
 * Records of calls that ended are so written about 5 s after their end
 * instead of linger_us (32 s), and the calls that ended free their state:
 * on a trunk, about half of the calls held were lingering.
 */
static void on_trail(struct ct_dialog_table *t, struct ct_dialog *d)
{
	if (d->media_us != CT_TIME_NONE && d->media_us > d->act_us) {
		trail_requeue(t, d, d->media_us);
		return;
	}
	emit_pending(t, d);
	if (ghost_keep(t, d))
		return;
	if (d->capture != NULL)
		list_move(t, d, L_LINGER);   /* its late messages still go to -w; freed when due */
	else
		dialog_free(t, d);   /* no memory for a ghost: the Call-ID stays recorded (ended) */
}

/*
 * Closes calls whose timer ran out at capture time now_us: setup_timeout_us
 * without activity before a final response (unfinished, truncated),
 * call_timeout_us without SIP or media_timeout_us without SIP and RTP in an
 * answered call not on hold (answered, truncated), setup_timeout_us after
 * 401/407, TRAIL_US after a retryable failure and linger_us after a CANCEL
 * (failed / cancelled); emits (closing, then emit hook) the ended calls
 * whose RTP has been quiet for TRAIL_US (on_trail), and frees those that
 * linger whole linger_us after their last activity.  Costs O(expired
 * calls), plus one re-queue per answered call with RTP and
 * media_timeout_us, and per ended call with RTP after its end.
 */
void ct_dialog_expire(struct ct_dialog_table *t, int64_t now_us)
{
	struct ct_dialog *d;

	if (t == NULL)
		return;
	expire_noresponse(t, now_us);
	while ((d = ct_list_entry(ct_list_first(&t->byewait), struct ct_dialog, wl)) != NULL &&
	    now_us - d->bye_us >= BYE_WAIT_US) {
		bye_settle(t, d);   /* no response seen: ended as by that BYE */
		if (d->list == L_TRAIL)
			trail_requeue(t, d, d->act_us);
	}
	while ((d = tl_first(&t->lists[L_SETUP])) != NULL &&
	    now_us - d->act_us >= t->cfg.setup_timeout_us)
		on_timer(t, d, d->act_us + t->cfg.setup_timeout_us, false);
	expire_calls(t, now_us);
	while ((d = tl_first(&t->lists[L_LINGER])) != NULL &&
	    now_us - d->act_us >= t->cfg.linger_us)
		on_timer(t, d, now_us, false);
	while ((d = tl_first(&t->lists[L_RETRY])) != NULL && now_us - d->act_us >= TRAIL_US) {
		close_call(t, d, CT_DISP_FAILED, false);   /* not retried: failed */
		if (d->list == L_TRAIL)
			trail_requeue(t, d, d->act_us);    /* in end order among the others */
	}
	while ((d = tl_first(&t->lists[L_TRAIL])) != NULL && now_us - d->act_us >= TRAIL_US)
		on_trail(t, d);
}

/* Emits d at end of input (see ct_dialog_flush) and frees it. */
static void flush_one(struct ct_dialog_table *t, struct ct_dialog *d)
{
	switch (d->state) {
	case DS_SETUP:
	case DS_CONFIRMED:
		if (d->bye_doubt) {
			bye_settle(t, d);   /* its response may have come just after */
			break;
		}
		d->end_us = d->last_us;
		d->hangup_by = CT_PARTY_NONE;
		set_reason(d, d->state == DS_SETUP ? "capture ended before a final response" :
		    "no BYE seen (end of capture)");
		close_call(t, d, d->state == DS_SETUP ? CT_DISP_UNFINISHED : CT_DISP_ANSWERED, true);
		break;
	case DS_CHALLENGED:
		/* settled by the ACK of an unseen failure: not cut short */
		close_call(t, d, CT_DISP_FAILED, !d->fail_inferred && !retry_wait(d));
		break;
	case DS_CANCELLING:
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, true);
		break;
	default:
		break;
	}
	emit_pending(t, d);
	dialog_free(t, d);
}

/*
 * End of input: emits every call not yet emitted; open ones are marked
 * truncated (ended calls still lingering keep the record built at their end)
 * (answered: "no BYE seen (end of capture)"; no final response: unfinished;
 * after 401/407: failed with that code; after CANCEL: cancelled), then frees
 * every call.  The table stays usable.  NULL is a no-op.
 */
void ct_dialog_flush(struct ct_dialog_table *t)
{
	if (t == NULL)
		return;
	drain(t, flush_one);
}

void ct_dialog_set_chunks(struct ct_dialog_table *t, struct ct_chunks *k)
{
	ct_slab_set_stock(&t->slab, k);
}

/*
 * Sets the capture's cumulative drop count (packets the kernel or the
 * interface dropped, live capture only).  From the first call on, every
 * record carries capture_drops: the drops counted between its first and its
 * last message, at the granularity of these updates.
 */
void ct_dialog_set_capture_drops(struct ct_dialog_table *t, uint64_t drops)
{
	t->drops = drops;
	t->drops_known = true;
}

/*
 * RTP of call d was seen at ts_us: the media timeout counts from the latest
 * such time, and a call with RTP is no longer idle.  Only stores the time
 * (cheap enough for every packet).  NULL d: no-op.
 */
void ct_dialog_touch_media(struct ct_dialog *d, int64_t ts_us)
{
	if (d != NULL && ts_us > d->media_us)
		d->media_us = ts_us;
}

/*
 * RTP of some call was seen at ts_us: the tap carries media, so an
 * answered call without any is silent for a reason (media_expected).
 * Only stores the time.  NULL t: no-op.
 */
void ct_dialog_note_rtp(struct ct_dialog_table *t, int64_t ts_us)
{
	if (t != NULL && (t->rtp_us == CT_TIME_NONE || ts_us > t->rtp_us))
		t->rtp_us = ts_us;
}

/* Length of the longest hash chain (tests, diagnostics); 0 for NULL. */
size_t ct_dialog_longest_chain(const struct ct_dialog_table *t)
{
	return t != NULL ? ct_htab_longest_chain(&t->tab) : 0;
}

/*
 * Up to max source addresses (the caller side's) behind more than an
 * eighth of the calls evicted since the previous call, and at least
 * EVICT_SRC_MIN of them, each with a count it certainly reached, largest
 * first (calltap/topk.h: any source of more than a quarter of them is
 * listed); then forgets them.  Returns how many were written.
 */
size_t ct_dialog_evict_sources(struct ct_dialog_table *t, struct ct_addr *a, uint64_t *n,
    size_t max)
{
	uint64_t above;
	size_t m;

	if (t == NULL)
		return 0;
	above = t->evict_src.total / CT_TOPK_SLOTS;
	if (above < EVICT_SRC_MIN - 1)
		above = EVICT_SRC_MIN - 1;   /* a few evictions say nothing of their sources */
	m = ct_topk_top(&t->evict_src, a, n, max, above);
	ct_topk_reset(&t->evict_src);
	return m;
}

/* Copies the counters into st (active = calls not yet emitted). */
void ct_dialog_get_stats(const struct ct_dialog_table *t, struct ct_dialog_stats *st)
{
	if (t == NULL) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = t->st;
	st->ghosts = ct_recent_count(&t->ghosts);
}

/*
 * The media stage's slot of d (NULL until set).  The dialog never frees it:
 * the closing hook must release it: a call ended by BYE/failure is freed
 * right after emission, a timed-out one up to linger_us after it.
 */
void *ct_dialog_media_get(const struct ct_dialog *d)
{
	return d != NULL ? d->media : NULL;
}

/* Sets d's media slot (borrowed; see ct_dialog_media_get).  NULL d: no-op. */
/* The per-call capture slot (callcap.h): its address, for the capture stage to fill. */
/*
 * True while the closing hook runs for a call in progress that is dropped
 * without a record (one message, or a 481: docs/schema.md): what the hook
 * kept for the call (its per-call capture) is to be dropped, not written.
 */
bool ct_dialog_discarding(const struct ct_dialog *d)
{
	return d->discarding;
}

void **ct_dialog_capture_slot(struct ct_dialog *d)
{
	return &d->capture;
}

void ct_dialog_media_set(struct ct_dialog *d, void *media)
{
	if (d != NULL)
		d->media = media;
}

/* d's Call-ID, valid while d exists (including in the closing hook). */
const char *ct_dialog_call_id(const struct ct_dialog *d)
{
	return d != NULL ? d->call_id : NULL;
}

/*
 * Which party sent m, a message of call d: the caller when m is a request
 * carrying the first INVITE's From tag, or a response to a request that
 * did not (the callee answers the caller's requests); CT_PARTY_NONE when
 * tags are missing.
 */
enum ct_party ct_dialog_sender(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	enum ct_party p;

	if (d == NULL || m == NULL)
		return CT_PARTY_NONE;
	p = from_party(d, m);
	if (p == CT_PARTY_NONE || m->is_request)
		return p;
	return p == CT_PARTY_CALLER ? CT_PARTY_CALLEE : CT_PARTY_CALLER;
}

/* ---- calls already in progress ------------------------------------------ */

/*
 * A sensor started (or restarted) while calls are up, or a capture cut in
 * the middle, sees in-dialog messages of Call-IDs whose initial INVITE it
 * never saw.  Such a message opens a call "in progress" (partial; its
 * record has start_seen false) that goes through the same state machine as
 * any call, starting from the state the message implies:
 *  - answered: ACK, BYE, a re-INVITE (an INVITE with a To tag), UPDATE,
 *    INFO, REFER, a response to BYE; answer_time null (the answer came
 *    before the first message seen; talk_s then counts from start_time);
 *  - setting up: a response to INVITE (a 180/183 sets ringing_time, a 2xx
 *    the answer, 3xx-6xx end it as for any call), PRACK, CANCEL or its 200
 *    (cancelling).
 * Not opened by a late message of a call already recorded and freed (its
 * Call-ID is remembered, partial_remember), by REGISTER, OPTIONS,
 * SUBSCRIBE, NOTIFY, MESSAGE (no call), by an ACK, BYE, PRACK, UPDATE,
 * INFO or REFER without a To tag (outside any dialog, call_traffic), by a
 * 401/407 (the authenticated INVITE that follows opens the call with its
 * start seen), a 481 (the far end says there is no such dialog) or a 491
 * (glare of two re-INVITEs).
 * start_time is the first message seen.  Roles: the From of the first
 * message is taken as the caller (caller = its P-Asserted-Identity user in
 * a request, else its From user; caller_name its display name; callee its
 * To user, the Request-URI of the INVITE being unseen; src/dst the caller's
 * and callee's side of the hop it was seen on).  A message only the initial
 * INVITE transaction carries -- a 101-199 response to INVITE (not 100: a
 * re-INVITE gets one too), a 3xx-6xx to INVITE other than 488/491/500/501,
 * a CANCEL, a PRACK and their responses -- ties its From to the caller: if
 * it disagrees, the roles are set again from it (only before any SDP was
 * handed to the media stage, which sides RTP by them).  When nothing ties
 * them (a BYE and its 200 only), the caller may really be the callee; the
 * record is consistent with its choice (hangup_by, stream sides).
 * Evidence: a scanner's lone BYE or ACK must not become a call.  A call in
 * progress is only recorded when it saw at least two distinct messages of
 * call traffic (INVITE, ACK, BYE, CANCEL, PRACK, UPDATE, INFO, REFER and
 * their responses; retransmissions do not count; a BYE and its 200
 * suffice) and its first message was not answered by a 481; otherwise it
 * is dropped unrecorded when it ends, times out or is evicted
 * (stats.partial_discarded).  While unproven it is in eviction class
 * noresponse (evicted first).  It never evicts another call: in a full
 * table it opens only in place of the least recently active unproven one
 * (dropped unrecorded), so a flood of BYEs cycles through its own slots;
 * otherwise the message is only an orphan.  RTP is linked as for any call,
 * by the SDP seen (a re-INVITE, an UPDATE or a 2xx with SDP); a call whose
 * SDP was not seen has no streams.
 */

/* True for a call in progress without the evidence to be recorded. */
static bool partial_unproven(const struct ct_dialog *d)
{
	return d->partial && (d->n_msgs < 2 || d->disproved);
}

/*
 * Whether m (stats index idx) is call traffic, the evidence of a call in
 * progress: INVITE, ACK, BYE, CANCEL, PRACK, UPDATE, INFO, REFER and their
 * responses.  Not a request of the in-dialog kind (ACK, BYE, PRACK,
 * UPDATE, INFO, REFER) without a To tag: a request within a dialog carries
 * the remote tag in To (RFC 3261 §12.2.1.1), so that one is outside any
 * dialog -- a scanner's INFO, an out-of-dialog REFER (RFC 3515) -- and its
 * 2xx (whose To tag the UAS just made up) would otherwise be the second
 * message that records a call never made as answered.  A CANCEL's To is
 * its INVITE's (§9.1), so it may have no tag.
 */
static bool call_traffic(const struct ct_sip_msg *m, int idx)
{
	if (idx > CT_M_CANCEL && idx != CT_M_INDIALOG)
		return false;
	return !m->is_request || idx == CT_M_INVITE || idx == CT_M_CANCEL || has_text(m->to_tag);
}

/*
 * Drops the record r of the unproven call in progress d: nothing is
 * emitted; the closing hook runs only when d has a media slot to release.
 */
static void partial_discard(struct ct_dialog_table *t, struct ct_dialog *d,
    struct ct_call_record *r)
{
	t->st.partial_discarded++;
	d->discarding = true;   /* the closing hook drops what it kept (ct_dialog_discarding) */
	if (t->hooks.closing != NULL && (d->media != NULL || d->capture != NULL) && r != NULL)
		t->hooks.closing(t->hooks.user, d, r);
	ct_call_record_free(r);
}

/*
 * Remembers the Call-ID of d, a call being freed, when it was recorded: a
 * late message of it (the BYE of a call the media timeout or an eviction
 * closed, coming after its linger) must not open a second record as a call
 * in progress.  O(1), bounded: the latest ENDED_MAX are remembered
 * (calltap/recent.h: what is forgotten never depends on the hash key).
 */
static void partial_remember(struct ct_dialog_table *t, const struct ct_dialog *d)
{
	if (d->state != DS_ENDED || d->pend || partial_unproven(d))
		return;
	(void)ct_recent_put(&t->ended, d->hn.hash, NULL);
}

/*
 * An initial INVITE m (no To tag) for the Call-ID of d, an unproven call in
 * progress (a stray BYE of an earlier call, a lone 487 ...): d is dropped
 * unrecorded so that the INVITE opens a call of its own.  Returns whether
 * d was freed.
 */
static bool partial_replaced(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if (!partial_unproven(d) || !m->is_request || strcmp(m->method, "INVITE") != 0 ||
	    has_text(m->to_tag))
		return false;
	partial_drop(t, d);
	return true;
}

/* Drops d, an unproven call in progress, unrecorded, and frees it. */
static void partial_drop(struct ct_dialog_table *t, struct ct_dialog *d)
{
	struct ct_call_record *r = d->pend ? pending_record(d) :
	    build_record(d, CT_DISP_UNFINISHED, true, t->drops_known);

	partial_discard(t, d, r);
	dialog_free(t, d);
}

/* Method of request m, or of the request response m answers. */
static const char *msg_method(const struct ct_sip_msg *m)
{
	return m->is_request ? m->method : m->cseq_method;
}

/*
 * True when m belongs to the initial INVITE transaction (or the early
 * dialog), so its From is the caller (see the section comment).
 */
static bool ties_caller(const struct ct_sip_msg *m, int idx)
{
	if (idx == CT_M_CANCEL || strcmp(msg_method(m), "PRACK") == 0)
		return true;
	if (m->is_request || idx != CT_M_INVITE)
		return false;
	if (m->status > 100 && m->status < 200)
		return true;
	return m->status >= 300 && m->status != 488 && m->status != 491 &&
	    m->status != 500 && m->status != 501;
}

/*
 * Sets d's parties from m, whose From is taken as the caller: tag and
 * user (for matching), caller, caller_name, callee, agent, and the
 * addresses of the hop m was seen on.  *ok becomes false when a copy fails.
 */
static void partial_roles(struct ct_dialog *d, const struct ct_sip_msg *m, bool *ok)
{
	const char *caller = m->is_request && has_text(m->pai_user) ? m->pai_user : m->from_user;
	const char *ext;

	keep_free(d, d->from_tag);
	keep_free(d, d->from_user);
	keep_free(d, d->caller);
	keep_free(d, d->caller_name);
	keep_free(d, d->callee);
	keep_free(d, d->agent);
	d->cut &= (uint8_t)~(CT_CUT_CALLER | CT_CUT_CALLER_NAME | CT_CUT_CALLEE | CT_CUT_AGENT);
	d->from_tag = has_text(m->from_tag) ? dup_token(d, m->from_tag, ok) : NULL;
	d->from_user = dup_token(d, m->from_user, ok);
	d->caller = keep_cap(d, caller, CT_CAP_USER, CT_CUT_CALLER, &d->cut, ok);
	d->caller_name = keep_cap(d, m->from_name, CT_CAP_NAME, CT_CUT_CALLER_NAME, &d->cut, ok);
	d->callee = keep_cap(d, m->to_user, CT_CAP_USER, CT_CUT_CALLEE, &d->cut, ok);
	/* Answered or answering: the extension on the call, callee's first. */
	ext = ct_number_is_extension(m->to_user) ? m->to_user :
	    ct_number_is_extension(m->from_user) ? m->from_user : NULL;
	d->agent = keep_cap(d, ext, CT_CAP_USER, CT_CUT_AGENT, &d->cut, ok);
	/* A request travels from the From party, a response towards it. */
	d->src = m->is_request ? m->t.src : m->t.dst;
	d->dst = m->is_request ? m->t.dst : m->t.src;
	d->sport = m->is_request ? m->t.sport : m->t.dport;
	d->dport = m->is_request ? m->t.dport : m->t.sport;
	d->transport = m->transport;
	d->vlan = m->vlan;
}

/* True when m, a message of an unknown Call-ID (stats index idx), opens a call in progress. */
static bool partial_opens(const struct ct_sip_msg *m, int idx)
{
	if (!m->is_request && (m->status == 401 || m->status == 407 || m->status == 481 ||
	    m->status == 491))
		return false;
	return call_traffic(m, idx);
}

/*
 * Opens a call in progress for m, a message of the unknown Call-ID of
 * length len and keyed hash h (stats index idx), in the state m implies
 * (section comment); the caller then handles m as a message of the call.
 * NULL when m opens nothing, the table is full or memory runs out.
 */
static struct ct_dialog *partial_open(struct ct_dialog_table *t, const struct ct_sip_msg *m,
    int idx, size_t len, uint64_t h)
{
	struct ct_dialog *d;
	bool ok = true, setup;

	if (!partial_opens(m, idx) ||
	    ct_recent_get(&t->ended, h) != NULL)
		return NULL;   /* not call traffic, or a late message of a call recorded */
	if (t->cfg.max_dialogs != 0 && t->st.active >= t->cfg.max_dialogs) {
		/* Full: only an older unproven one makes room (a flood cycles). */
		struct ct_dialog *v = el_first(&t->elists[E_NORESP]);

		if (v == NULL || !partial_unproven(v))
			return NULL;   /* never evicts a call for one that may be noise */
		partial_drop(t, v);
	}
	bound_linger(t);
	if ((d = dialog_alloc(t)) == NULL) {
		t->st.dropped++;
		return NULL;
	}
	d->call_id = keep_cap(d, m->call_id, CT_CAP_CALL_ID, CT_CUT_CALL_ID, &d->cut, &ok);
	d->call_id_len = len;
	partial_roles(d, m, &ok);
	if (!ok) {
		dialog_destroy(t, d);
		t->st.dropped++;
		return NULL;
	}
	d->partial = true;
	d->roles_known = ties_caller(m, idx);
	d->media_us = CT_TIME_NONE;
	d->start_us = d->last_us = m->ts_us;
	d->drops_start = d->drops_last = t->drops;
	d->ringing_us = d->answer_us = d->end_us = d->cancel_us = d->ack_us = CT_TIME_NONE;
	d->q850 = -1;
	d->list = L_COUNT;
	d->elist = E_COUNT;
	/* Setting up: the INVITE transaction and the early dialog; else answered. */
	setup = idx == CT_M_CANCEL || strcmp(msg_method(m), "PRACK") == 0 ||
	    (idx == CT_M_INVITE && !m->is_request);
	if (setup) {
		d->state = DS_SETUP;
		d->invite_cseq = m->cseq;   /* a CANCEL carries the INVITE's number */
	} else {
		d->state = DS_CONFIRMED;
	}
	ct_htab_insert(&t->tab, &d->hn, h);
	list_move(t, d, setup ? L_SETUP : L_CALL);
	t->st.active++;
	return d;
}

/*
 * A message m of the call in progress d (not a retransmission): call
 * traffic (not OPTIONS, NOTIFY...) counts as evidence; a 481 to its first
 * message disproves it; one that ties its From to the caller fixes the
 * roles, set again from it when they disagree and no SDP was handed on yet.
 */
static void partial_note(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	int idx = ct_sip_method_index(msg_method(m));
	bool ok = true;

	(void)t;
	if (call_traffic(m, idx) && d->n_msgs < UINT16_MAX)
		d->n_msgs++;
	if (!m->is_request && m->status == 481 && d->n_msgs <= 2)
		d->disproved = true;
	if (d->roles_known || d->state == DS_ENDED || !ties_caller(m, idx))
		return;
	d->roles_known = true;
	if (from_party(d, m) == CT_PARTY_CALLER || d->media != NULL)
		return;
	partial_roles(d, m, &ok);   /* a failed copy leaves that field null */
}

/* ---- one-way mirrors ----------------------------------------------------- */

/* d, setting up, answered at ts_us by a 2xx not seen (final_code 0). */
static void answer_inferred(struct ct_dialog_table *t, struct ct_dialog *d, int64_t ts_us)
{
	t->st.inferred++;
	bye_forget(d);
	d->ack_us = CT_TIME_NONE;
	d->answer_us = ts_us;
	d->final_code = 0;
	d->bare = true;
	d->cancel_us = CT_TIME_NONE;
	d->q850 = -1;
	set_reason(d, NULL);
	d->state = DS_CONFIRMED;
	list_move(t, d, L_CALL);
}

/*
 * A BYE of d's dialog (or a doubted one's 2xx) while d is still setting up
 * after an ACK of an unseen 2xx (ack_us): the dialog was established, the
 * capture lost the 2xx; d is answered at that ACK.
 */
static void ack_answer(struct ct_dialog_table *t, struct ct_dialog *d)
{
	if (d->state == DS_SETUP && d->ack_us != CT_TIME_NONE)
		answer_inferred(t, d, d->ack_us);
}

/*
 * A mirror that delivers one direction of a trunk shows a call's requests
 * without their responses, or the reverse.  What the signalling still
 * proves is used (docs/schema.md, One-way mirrors):
 *  - The caller's ACK of the initial INVITE (its CSeq) while no final
 *    response was seen: an ACK of a 2xx is a transaction of its own with
 *    a new Via branch (RFC 3261 §13.2.2.4), an ACK of a 3xx-6xx reuses
 *    the INVITE's branch (§17.1.1.3).  A new branch: answered at the ACK's
 *    time (within a round trip after the unseen 2xx), final_code null;
 *    but in a call whose responses the tap shows (callee_side), where the
 *    2xx would have come first, the ACK is only remembered (ack_us): the
 *    call goes on to its final response, and a BYE of its dialog (or a
 *    doubted BYE's 2xx) before any answers it at the ACK (ack_answer;
 *    the capture lost the 2xx).  A spoofer on the caller's address made
 *    ringing calls answered with one ACK of a new branch.
 *    The INVITE's branch: cancelled when a CANCEL was seen, else failed
 *    at the ACK's time, final_code null, waiting as after a 401/407 (it
 *    may have been one: a new INVITE resumes the call and counts in
 *    auth_challenges; else it ends failed, not truncated, when the setup
 *    timeout runs out or the input ends).  Without both branches: nothing.
 *  - A final response to a BYE that was not seen: the call ended then, as
 *    by that BYE (its sender, in the response's From, hung up).
 *  - A 2xx to a CANCEL that was not seen, while setting up: cancelling, as
 *    by that CANCEL.
 *  Neither when the tap shows the side that would have sent the request
 *  (two_way): then the response answers a request nobody sent (a spoofer
 *  on a party's address with the dialog's tags ended answered calls so)
 *  and is counted in responses_unmatched.
 * Calls in progress use the same rules.  Both directions together (two
 * files merged by time) are the two-way capture: these rules then never
 * fire, since the 2xx, the BYE or the CANCEL came first.  Nor do they for
 * a forked call (copies of its INVITE to several phones were seen), or one
 * whose proxy's own copy was seen: each branch's ACK answers that branch's
 * own response.
 */
static void on_ack_unseen_final(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	if ((d->state != DS_SETUP && d->state != DS_CANCELLING) || m->cseq != d->invite_cseq ||
	    from_party(d, m) == CT_PARTY_CALLEE || !has_text(m->via_branch) ||
	    d->invite_branch == NULL || ct_forks_forked(d->forks) ||
	    ct_forks_has_forwarder(d->forks) || old_branch(t, d, m))
		return;   /* a forked or proxied call's ACKs are its branches' (forks.c) */
	if (!token_eq(m->via_branch, d->invite_branch)) {
		if (d->callee_side) {
			/* Two-way: its 2xx would have come first (ack_answer). */
			if (d->ack_us == CT_TIME_NONE)
				d->ack_us = m->ts_us;
			return;
		}
		answer_inferred(t, d, m->ts_us);
		return;
	}
	t->st.inferred++;
	if (d->state == DS_CANCELLING) {
		set_cancelled(d);
		close_call(t, d, CT_DISP_CANCELLED, false);
		return;
	}
	/* Failed, unless it was a 401/407 and the authenticated INVITE follows. */
	d->final_code = 0;
	d->end_us = m->ts_us;
	d->hangup_by = CT_PARTY_CALLEE;
	d->q850 = -1;
	set_reason(d, "final response not seen (ACK)");
	d->fail_inferred = true;
	d->state = DS_CHALLENGED;
	list_move(t, d, L_SETUP);
}

/*
 * A new initial INVITE m (higher CSeq, the caller's, no To tag) after the
 * ACK of an unseen failure: that failure was a 401/407 challenge (counted);
 * on_invite then resumes the call with it.
 */
static void on_retry_after_unseen_failure(struct ct_dialog *d, const struct ct_sip_msg *m)
{
	if (!d->fail_inferred || d->state != DS_CHALLENGED || has_text(m->to_tag) ||
	    from_party(d, m) == CT_PARTY_CALLEE || m->cseq <= d->invite_cseq)
		return;
	d->fail_inferred = false;
	d->auth_challenges++;
}

/*
 * Whether the capture shows the side that sends a request whose response
 * m is (m's From is the request's sender): the caller's requests in a call
 * whose INVITE was seen, the callee's in one whose INVITE got a response
 * seen.  Then a response to a request not seen answers one nobody sent (a
 * spoofer on a party's address), and proves nothing.
 */
static bool two_way(const struct ct_dialog *d, const struct ct_sip_msg *m)
{
	switch (from_party(d, m)) {
	case CT_PARTY_CALLER:
		return !d->partial;
	case CT_PARTY_CALLEE:
		return d->callee_side;
	default:
		return false;
	}
}

/* A response m to a BYE or a CANCEL of d whose request was not seen. */
static void on_unseen_request(struct ct_dialog_table *t, struct ct_dialog *d,
    const struct ct_sip_msg *m)
{
	int idx = ct_sip_method_index(m->cseq_method);

	if (idx == CT_M_BYE && m->status >= 300 && !bye_in_dialog(t, d, m)) {
		t->st.byes_rejected++;   /* a BYE not of the dialog, refused */
	} else if (idx == CT_M_BYE && m->status >= 200 && !bye_of_extra(t, d, m)) {
		if (two_way(d, m)) {
			t->st.responses_unmatched++;   /* the response to a BYE nobody sent */
			return;
		}
		t->st.inferred++;
		d->hangup_by = (uint8_t)from_party(d, m);
		d->end_us = m->ts_us;
		d->q850 = -1;
		set_reason(d, "BYE");
		close_call(t, d, d->state == DS_CONFIRMED ? CT_DISP_ANSWERED : CT_DISP_CANCELLED,
		    false);
	} else if (idx == CT_M_CANCEL && m->status >= 200 && m->status < 300 &&
	    d->state == DS_SETUP && cancels_call(d, m)) {
		if (two_way(d, m)) {
			t->st.responses_unmatched++;   /* the 2xx of a CANCEL nobody sent */
			return;
		}
		t->st.inferred++;
		on_cancel(t, d, m);
	}
}
