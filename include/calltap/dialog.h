/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * SIP dialogs / calls (RFC 3261 §12-§17, RFC 3262 PRACK, RFC 3311 UPDATE,
 * RFC 3326 Reason).  A call is keyed by Call-ID: auth retries, forks and the
 * two legs of a proxy that keeps the Call-ID all make one call.  When a call
 * ends the table builds a struct ct_call_record; it hands it to the emit hook
 * linger_us later (or at flush), so RTP trailing the BYE is still measured.
 */
#ifndef CALLTAP_DIALOG_H
#define CALLTAP_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "calltap/record.h"
#include "calltap/sip.h"

struct ct_dialog;
struct ct_dialog_table;

struct ct_dialog_cfg {
	int64_t setup_timeout_us;  /* no final response after this: close as unfinished (default 300 s) */
	int64_t call_timeout_us;   /* answered, no message for this long: close as truncated (default 4 h) */
	int64_t linger_us;         /* keep an ended call this long to absorb retransmissions (default 32 s) */
	size_t max_dialogs;        /* open calls at most (default 200000); more are counted and dropped */
};

struct ct_dialog_hooks {
	/* Called once per call; the callee takes ownership of rec (ct_call_record_free). */
	void (*emit)(void *user, struct ct_call_record *rec);
	/* Called for each SDP seen in a call's messages (offer or answer). May be NULL. */
	void (*media)(void *user, struct ct_dialog *d, const struct ct_sip_msg *m);
	/* Called just before a call's record is emitted, to fill rec->streams. May be NULL. */
	void (*closing)(void *user, struct ct_dialog *d, struct ct_call_record *rec);
	void *user;
};

struct ct_dialog_stats {
	uint64_t messages;        /* SIP messages handed in */
	uint64_t requests[8];     /* by ct_sip_method_index() */
	uint64_t responses;
	uint64_t retransmissions;
	uint64_t calls;           /* records emitted */
	uint64_t calls_timed_out;
	uint64_t orphan_messages; /* in-dialog messages with no known call */
	uint64_t dropped;         /* calls refused by max_dialogs */
	size_t active;            /* calls open now */
};

/* Index into ct_dialog_stats.requests: INVITE ACK BYE CANCEL REGISTER OPTIONS (PRACK/UPDATE/INFO/...) */
enum { CT_M_INVITE, CT_M_ACK, CT_M_BYE, CT_M_CANCEL, CT_M_REGISTER, CT_M_OPTIONS, CT_M_INDIALOG, CT_M_OTHER };
int ct_sip_method_index(const char *method);

void ct_dialog_cfg_default(struct ct_dialog_cfg *cfg);
struct ct_dialog_table *ct_dialog_table_new(const struct ct_dialog_cfg *cfg,
    const struct ct_dialog_hooks *hooks);
void ct_dialog_table_free(struct ct_dialog_table *t);
void ct_dialog_on_msg(struct ct_dialog_table *t, const struct ct_sip_msg *m);
void ct_dialog_expire(struct ct_dialog_table *t, int64_t now_us);
void ct_dialog_flush(struct ct_dialog_table *t);
void ct_dialog_get_stats(const struct ct_dialog_table *t, struct ct_dialog_stats *st);
void ct_dialog_set_capture_drops(struct ct_dialog_table *t, uint64_t drops);

/* Opaque per-call slot for the media stage (RTP), NULL until set. */
void *ct_dialog_media_get(const struct ct_dialog *d);
void ct_dialog_media_set(struct ct_dialog *d, void *media);
const char *ct_dialog_call_id(const struct ct_dialog *d);
/* The party (caller/callee) that sent m, a message of call d. */
enum ct_party ct_dialog_sender(const struct ct_dialog *d, const struct ct_sip_msg *m);

#endif
