/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-call packet captures (--pcap-dir) and the call-aware filter (-w).
 * The engine tells this stage which calls each frame belongs to (SIP of a
 * dialog, RTP/RTCP matched to one); the capture thread only copies the
 * frame's bytes into the call's memory buffer, bounded by a byte budget
 * for the whole stage (frames over it are dropped and counted).  When a
 * call ends, its buffer goes to a writer thread, which writes one classic
 * pcap file per call, nameless first and linked under its name once
 * complete (never replacing a file), and reports the name; the engine
 * holds the call's record back until then, so a record's pcap_path always
 * names a complete file.  With -w, every frame of any call is also
 * appended, in capture order, to one pcap file by the same thread.
 *
 * A frame that belongs to no call yet but may later (an IP fragment, a TCP
 * segment holding the start of a SIP message) waits in a small ring; when
 * the frame that completes the datagram or message is given to a call,
 * the waiting frames of the same fragment or TCP direction go with it.
 */
#ifndef CALLTAP_CALLCAP_H
#define CALLTAP_CALLCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "calltap/log.h"
#include "calltap/packet.h"
#include "calltap/record.h"
#include "calltap/source.h"

#define CT_CALLCAP_DEFAULT_BUDGET ((size_t)256 << 20)  /* bytes buffered at most */

struct ct_callcap_cfg {
	const char *dir;       /* --pcap-dir: per-call files under DIR/YYYY-MM-DD/HH/ (NULL: off) */
	bool sip_only;         /* --pcap-sip-only: per-call files hold SIP only */
	const char *all_path;  /* -w: every call's frames in one pcap file (NULL: off) */
	size_t budget;         /* frame bytes buffered at most (0: CT_CALLCAP_DEFAULT_BUDGET) */
	bool wait;             /* budget full: wait for the writer (files) instead of dropping (live) */
	bool durable;          /* fdatasync each per-call file (and its directory) before its
	                          record names it: a live or piped run, as recordings */
	struct ct_log log;     /* messages (the first failure) */
};

struct ct_callcap_stats {
	uint64_t frames;       /* frames kept for a call (per call: a frame of two calls counts twice) */
	uint64_t drops;        /* frames not kept: budget full, another link type, no memory */
	uint64_t files;        /* per-call files written */
	uint64_t errors;       /* per-call files that could not be written (and -w write errors) */
	uint64_t all_frames;   /* frames written with -w */
	uint64_t spilled;      /* calls that outgrew memory (256 KiB) and went on in a spill file */
	uint64_t waits;        /* times the capture thread waited for the writer (cfg.wait) */
};

struct ct_callcap;
struct ct_callcap_call;    /* a call's buffer (capture thread) */
struct ct_callcap_job;     /* a call's file being written (writer thread) */

/*
 * Opens the stage: checks dir (made absolute) and creates the -w file
 * (truncated).  NULL with a message in errbuf (CT_ERRBUF_SIZE).
 */
struct ct_callcap *ct_callcap_new(const struct ct_callcap_cfg *cfg, char *errbuf);
/* Waits for the writer, closes the -w file, frees everything; NULL is a no-op. */
void ct_callcap_free(struct ct_callcap *cc);

/*
 * Frame hooks, capture thread.  ct_callcap_hit: the frame being processed
 * belongs to the call whose slot (a dialog's, initially NULL) is given;
 * sip: it carries the call's SIP (else RTP/RTCP).  ct_callcap_frame_end:
 * the frame f is processed; key describes it for the waiting ring (kind 0:
 * neither, 1: IP fragment src/dst/id, 2: TCP segment with payload).
 */
struct ct_callcap_key {
	uint8_t kind;          /* 0 none, 1 fragment, 2 TCP */
	struct ct_tuple t;     /* kind 1: src, dst; kind 2: the whole tuple */
	uint32_t frag_id;
	uint32_t tcp_seq;      /* kind 2: the segment's sequence number */
};
void ct_callcap_hit(struct ct_callcap *cc, void **slot, bool sip);
void ct_callcap_frame_end(struct ct_callcap *cc, const struct ct_frame *f,
    const struct ct_callcap_key *key);

/*
 * The call of slot has ended (rec: its record, for the file name): its
 * buffer goes to the writer and *slot is marked written (later hits of the
 * slot, a lingering call's late messages, go to -w only).  Returns the job whose
 * result ct_callcap_job_take gives, or NULL when there is no file to write
 * (no per-call files, or no frame kept).
 */
struct ct_callcap_job *ct_callcap_call_end(struct ct_callcap *cc, void **slot,
    const struct ct_call_record *rec);
/*
 * The call of slot was dropped without a record (rec: its record as built,
 * unused but for a spilled call's name): its frames are freed, no file
 * stays behind, and *slot is marked written.  A call with no frames kept
 * is a no-op.
 */
void ct_callcap_call_drop(struct ct_callcap *cc, void **slot, const struct ct_call_record *rec);
/*
 * The result of job: true once written (wait: block until then), with
 * *path the malloc'ed name of the complete file, or NULL when it could not
 * be written; job is freed then.  false (job kept) when not written yet.
 */
bool ct_callcap_job_take(struct ct_callcap *cc, struct ct_callcap_job *job, bool wait,
    char **path);
/* End of input: hands the -w buffer to the writer and waits until everything queued is written. */
void ct_callcap_finish(struct ct_callcap *cc);
void ct_callcap_get_stats(struct ct_callcap *cc, struct ct_callcap_stats *st);

/* The file name of a call's capture (no directory), for tests: malloc'ed. */
char *ct_callcap_name(const struct ct_call_record *rec);

#endif
