/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine owns every table and counter and runs the stages in a fixed
 * order: decode -> ipfrag -> TCP stream -> SIP framer -> dialogs, and
 * UDP -> SIP or RTP; finished call records (after attribution) and orphan
 * RTP streams are handed to the caller's sink set (sinkset.h), which owns
 * the outputs.  There is no global mutable state: two engines in one
 * process are independent.
 */
#ifndef CALLTAP_ENGINE_H
#define CALLTAP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/attr.h"
#include "calltap/decode.h"
#include "calltap/dialog.h"
#include "calltap/hep.h"
#include "calltap/log.h"
#include "calltap/media.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"
#include "calltap/sip.h"
#include "calltap/sinkset.h"
#include "calltap/source.h"

struct ct_engine;

struct ct_attr;
struct ct_callcap;
struct ct_hep_out;

/* Default memory budget of the calls' state (--max-call-memory, MiB). */
#define CT_ENGINE_CALL_MIB 320
#define CT_ENGINE_CALL_BYTES ((size_t)CT_ENGINE_CALL_MIB << 20)

struct ct_engine_cfg {
	struct ct_ipfrag_limits frag;
	struct ct_tcp_limits tcp;
	struct ct_dialog_cfg dialog;
	bool rtp;                  /* match and measure RTP streams (default true) */
	bool rtp_intervals;        /* keep per-interval stream samples in the records
	                              (ct_stream_stats.ivals; default false: only a
	                              store writes them, rtp_intervals) */
	bool sip_prescan;          /* feed the dialogs from the SIP pre-scan when it suffices
	                              (default true; the environment variable
	                              CALLTAP_NO_PRESCAN turns the default off, for benchmarks) */
	const char *audio_dir;     /* record answered calls' audio here (NULL = off) */
	const char *recording_base; /* records name recordings relative to this directory
	                              (a prefix of audio_dir, without a trailing '/');
	                              NULL: as written, under audio_dir */
	int audio_format;          /* enum ct_audio_format */
	bool audio_durable;        /* fdatasync each recording (and its directory) before a
	                              record names it: a live or piped run, where nothing
	                              can replay what a power loss took (a file replay can) */
	int64_t tick_us;           /* how often expiry runs, capture time (default 1 s) */
	size_t max_call_bytes;     /* memory of the calls' state at most (dialogs, lingering
	                              calls, media: ct_dialog_bytes + ct_media_bytes); past it
	                              the least useful calls go (engine.c mem_guard).  0 = no
	                              bound; default CT_ENGINE_CALL_BYTES */
	struct ct_attr *attr;      /* record enrichment before the sinks (attr.h), borrowed; NULL = off */
	struct ct_log log;         /* library messages (log.h); fn NULL = none */
	/* Called with every SIP message parsed (calltap show), before the dialogs see it; NULL = none. */
	void (*sip_hook)(void *user, const struct ct_sip_msg *m);
	void *sip_hook_user;
	struct ct_callcap *callcap; /* per-call captures and -w (callcap.h), borrowed; NULL = off.
	                              Freed by the caller after ct_engine_free */
	struct ct_hep_out *hep;    /* --hep: every SIP message is queued to it (hep.h),
	                              borrowed; NULL = off */
	const struct ct_source *hep_in; /* --hep-listen: the collector source (hep.h), borrowed,
	                              only for its counters in ct_engine_get_stats; NULL = off */
	struct ct_sinkset *sinks;  /* where records and orphan streams go, borrowed; NULL = nowhere.
	                              Its sinks are added before ct_engine_new (orphan streams are
	                              reported only when one of them takes them) */
};

struct ct_engine_counters {
	uint64_t frames;           /* frames handed in */
	uint64_t bytes;            /* captured bytes handed in */
	uint64_t decoded;          /* frames that reached UDP/TCP */
	uint64_t skipped;          /* frames of no interest (ARP, ICMP, ...) */
	uint64_t invalid;          /* malformed frames */
	uint64_t unsupported_link; /* frames of a link type with no decoder */
	uint64_t fragments;        /* IP fragments seen */
	uint64_t sip_udp;          /* SIP messages over UDP */
	uint64_t sip_tcp;          /* SIP messages over TCP */
	uint64_t sip_ws;           /* SIP messages over WebSocket (on TCP) */
	uint64_t sip_malformed;    /* SIP messages libosip2 rejected */
	uint64_t sip_refused;      /* over the CT_SIP_MAX_* limits (sip.h), not parsed */
	uint64_t sip_repeated_header; /* SIP messages kept with a repeated single header dropped */
	uint64_t sip_prescan_skipped; /* SIP messages taken on the pre-scan, libosip2 skipped */
	uint64_t rtp_packets;      /* RTP packets matched to a call */
	uint64_t rtp_orphan;       /* RTP-looking packets with no call */
	uint64_t rtp_injected;     /* RTP to a call's endpoint from a source the call refused
	                              (media table's count, copied every tick and at finish) */
	uint64_t other_udp;        /* UDP that is neither SIP nor RTP */
	uint64_t time_backwards;   /* frames older than the newest seen */
	uint64_t time_jumps_ignored; /* frames dated far ahead that the clock did not follow
	                              (engine.c clock_jump; frames in a row count once) */
	uint64_t time_out_of_range; /* frame times clamped into [CT_TS_MIN, CT_TS_MAX] (clock.h) */
	uint64_t records;          /* call records handed to the sinks */
	uint64_t audio_errors;     /* recordings that failed */
	uint64_t capture_drops;    /* kernel drops last reported (ct_engine_capture_drops) */
	uint64_t capture_ifdrops;  /* interface drops last reported */
	uint64_t events[CT_EV_COUNT];
};

void ct_engine_cfg_default(struct ct_engine_cfg *cfg);
struct ct_engine *ct_engine_new(const struct ct_engine_cfg *cfg, char *errbuf);
void ct_engine_free(struct ct_engine *e);
/* Processes one frame; true when expiry ran (a tick: about once per second of capture time). */
bool ct_engine_frame(struct ct_engine *e, const struct ct_frame *f);
void ct_engine_new_input(struct ct_engine *e);
int ct_engine_finish(struct ct_engine *e);
const struct ct_engine_counters *ct_engine_counters(const struct ct_engine *e);
/* Advances the capture clock without a frame (live capture, idle link); true when expiry ran. */
bool ct_engine_clock(struct ct_engine *e, int64_t now_us);
/*
 * The input paused (a pipe whose writer went quiet): frames held as a
 * clock jump are taken as real, the capture went on from there.  True
 * when expiry ran.  Cheap when nothing is held.
 */
bool ct_engine_input_idle(struct ct_engine *e);
/*
 * Records the capture's cumulative kernel / interface drop counts (live
 * capture: the driver calls it at the start and on every tick); from the
 * first call on, every call record carries capture_drops (else null).
 */
void ct_engine_capture_drops(struct ct_engine *e, uint64_t drops, uint64_t ifdrops);

/*
 * Work on a frame that depends on the frame alone (the pipeline,
 * src/pipeline.c): the decode, and for a UDP datagram that looks like
 * SIP, the pre-scan and a libosip2 parse made in advance when the pre-scan
 * alone will not do (the engine uses them instead of doing them again; a
 * parse it does not need is thrown away).
 * The results are what the engine would compute itself, so a frame handed
 * over with them gives the same records and counters as ct_engine_frame.
 */
#define CT_ENGINE_PRESCAN_SCRATCH 1024 /* bytes of a pre-scanned message's strings */
struct ct_engine_pre_sip {
	const char *text;          /* the UDP payload (identifies the message) */
	bool scanned;              /* ps and psm hold the pre-scan (false: it needs libosip2) */
	bool parsed;               /* m holds a parse (owned until the engine takes it) */
	int parse_rc;              /* ct_sip_msg_parse's result */
	struct ct_sip_msg m;
	struct ct_sip_msg psm;     /* the pre-scanned message (strings in scratch, text, ps) */
	struct ct_sip_prescan ps;
	char scratch[CT_ENGINE_PRESCAN_SCRATCH];
};
struct ct_engine_pre {
	enum ct_verdict v;         /* ct_decode_frame's verdict */
	struct ct_packet pkt;      /* the decoded frame (points into the frame's data) */
	struct ct_engine_pre_sip *sip; /* NULL: no parse made in advance */
};
/*
 * ct_engine_prepare_decode fills pre for frame f (its data must stay in
 * place until the engine has taken the frame) and returns true when the
 * frame is a UDP datagram that looks like SIP: ct_engine_prepare_sip then
 * does its SIP work into sip (pre->sip = sip).  Both read only what does not
 * change after ct_engine_new, so any thread may call them while the engine
 * runs.  ct_engine_pre_fini frees what the engine did not take.
 */
bool ct_engine_prepare_decode(const struct ct_engine *e, const struct ct_frame *f,
    struct ct_engine_pre *pre);
void ct_engine_prepare_sip(const struct ct_engine *e, struct ct_engine_pre *pre,
    struct ct_engine_pre_sip *sip);
void ct_engine_pre_fini(struct ct_engine_pre *pre);
/* ct_engine_frame on a frame prepared by ct_engine_prepare_* (same result). */
bool ct_engine_frame_pre(struct ct_engine *e, const struct ct_frame *f, struct ct_engine_pre *pre);

/* A snapshot of every stage's counters, for the statistics printouts (stats.h). */
struct ct_engine_stats {
	struct ct_engine_counters c;
	struct ct_dialog_stats dialog;
	struct ct_tcp_stats tcp;
	struct ct_ipfrag_stats frag;
	bool rtp;                  /* RTP analysis is on: media is valid */
	struct ct_media_stats media;
	uint64_t recordings;       /* recordings written (handed over and confirmed) */
	bool drops_known;          /* ct_engine_capture_drops was called (live capture) */
	bool attr;                 /* attribution is on: pool is valid */
	struct ct_pool_stats pool; /* the --leases log (attr.h) */
	struct ct_legs_stats legs; /* PBX legs (attr.h), valid with attr */
	bool hep;                  /* --hep is on: the hep_* counts below are valid */
	uint64_t hep_sent;         /* SIP messages sent as HEP packets (hep.h) */
	uint64_t hep_dropped;      /* SIP messages not sent: queue full, too big, send failed */
	uint64_t hep_qos_sent;     /* per-stream quality reports sent (the hep-qos sink) */
	uint64_t hep_qos_dropped;  /* quality reports not sent, for the same reasons */
	bool hep_in;               /* --hep-listen is on: hep_in_st is valid */
	struct ct_hep_in_stats hep_in_st; /* the collector's counters (hep.h) */
	int64_t now_us;            /* newest capture time; INT64_MIN before the first frame */
};
void ct_engine_get_stats(const struct ct_engine *e, struct ct_engine_stats *st);

#endif
