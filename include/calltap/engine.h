/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The engine owns every table, sink and counter and runs the stages in a
 * fixed order: decode -> ipfrag -> TCP stream -> SIP framer -> dialogs, and
 * UDP -> SIP or RTP.  There is no global mutable state: two engines in one
 * process are independent.
 */
#ifndef CALLTAP_ENGINE_H
#define CALLTAP_ENGINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "calltap/dialog.h"
#include "calltap/packet.h"
#include "calltap/reasm.h"
#include "calltap/sink.h"
#include "calltap/source.h"

struct ct_engine;

struct ct_attr;

struct ct_engine_cfg {
	struct ct_ipfrag_limits frag;
	struct ct_tcp_limits tcp;
	struct ct_dialog_cfg dialog;
	bool rtp;                  /* match and measure RTP streams (default true) */
	const char *audio_dir;     /* record answered calls' audio here (NULL = off) */
	int audio_format;          /* enum ct_audio_format */
	int64_t tick_us;           /* how often expiry runs, capture time (default 1 s) */
	struct ct_attr *attr;      /* record enrichment before the sinks (attr.h), borrowed; NULL = off */
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
	uint64_t sip_malformed;    /* SIP messages libosip2 rejected */
	uint64_t sip_refused;      /* over the CT_SIP_MAX_* limits (sip.h), not parsed */
	uint64_t rtp_packets;      /* RTP packets matched to a call */
	uint64_t rtp_orphan;       /* RTP-looking packets with no call */
	uint64_t rtp_injected;     /* RTP to a call's endpoint from a source the call refused
	                              (media table's count, copied every tick and at finish) */
	uint64_t other_udp;        /* UDP that is neither SIP nor RTP */
	uint64_t time_backwards;   /* frames older than the newest seen */
	uint64_t time_out_of_range; /* frame times clamped into [CT_TS_MIN, CT_TS_MAX] (clock.h) */
	uint64_t records;          /* call records written */
	uint64_t sink_errors;      /* failed sink writes */
	uint64_t output_waits;     /* records that waited for room in the output queue */
	uint64_t audio_errors;     /* recordings that failed */
	uint64_t capture_drops;    /* kernel drops last reported (ct_engine_capture_drops) */
	uint64_t capture_ifdrops;  /* interface drops last reported */
	uint64_t events[CT_EV_COUNT];
};

/* Periodic statistics callback (ct_engine_set_stats_hook). */
typedef void (*ct_engine_stats_fn)(void *user, struct ct_engine *e);

void ct_engine_cfg_default(struct ct_engine_cfg *cfg);
struct ct_engine *ct_engine_new(const struct ct_engine_cfg *cfg, char *errbuf);
void ct_engine_free(struct ct_engine *e);
int ct_engine_add_sink(struct ct_engine *e, const struct ct_sink_ops *ops,
    const char *arg, char *errbuf);
void ct_engine_frame(struct ct_engine *e, const struct ct_frame *f);
void ct_engine_new_input(struct ct_engine *e);
int ct_engine_set_orphans(struct ct_engine *e, const char *path, char *errbuf);
int ct_engine_finish(struct ct_engine *e);
const struct ct_engine_counters *ct_engine_counters(const struct ct_engine *e);
void ct_engine_print_stats(const struct ct_engine *e, FILE *out);
/* Flushes every sink (periodic durability, SIGHUP); CT_OK or CT_ERR. */
int ct_engine_flush(struct ct_engine *e);
/* Flushes the sinks written since their last flush, at most once per second of mono_us. */
int ct_engine_flush_due(struct ct_engine *e, int64_t mono_us);
/* When that flush will have work (monotonic us), INT64_MAX when nothing waits. */
int64_t ct_engine_next_flush(const struct ct_engine *e);
/* SIGHUP: flushes, closes and reopens every file sink (text files in append mode). */
int ct_engine_reopen_sinks(struct ct_engine *e);
/* Advances the capture clock without a frame (live capture, idle link). */
void ct_engine_clock(struct ct_engine *e, int64_t now_us);
/* Calls fn every interval_us of capture time (0 = never). */
void ct_engine_set_stats_hook(struct ct_engine *e, int64_t interval_us,
    ct_engine_stats_fn fn, void *user);
/* Records the capture's cumulative kernel / interface drop counts. */
void ct_engine_capture_drops(struct ct_engine *e, uint64_t drops, uint64_t ifdrops);

/*
 * Live capture: fn(user, e) reports the capture's drop counters through
 * ct_engine_capture_drops(); it is called now and on every expiry tick
 * (1 s of capture time), and from then on every call record carries
 * capture_drops.  NULL fn turns it off (records then carry null).
 */
typedef void (*ct_engine_drops_fn)(void *user, struct ct_engine *e);
void ct_engine_set_drops_hook(struct ct_engine *e, ct_engine_drops_fn fn, void *user);
/* One status line (frames, rate, calls active/done, RTP, SIP, drops), newline-terminated. */
void ct_engine_print_stats_line(const struct ct_engine *e, FILE *out);

#endif
