/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Statistics printouts (include/calltap/stats.h): the end-of-run counters
 * (every non-zero counter of every stage and of the sinks, one per line)
 * and the status line of a long-running capture.  Pure formatting of
 * snapshots; the driver decides when (on engine ticks, at the end).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "calltap/clock.h"
#include "calltap/stats.h"

static void print_row(FILE *out, const char *name, uint64_t v)
{
	if (v != 0)
		fprintf(out, "  %-24s %llu\n", name, (unsigned long long)v);
}

/* Prints every non-zero counter, one per line, for humans. */
void ct_stats_print(const struct ct_engine_stats *es, const struct ct_sinkset_stats *sinks,
    FILE *out)
{
	const struct ct_engine_counters *c = &es->c;
	const struct ct_dialog_stats *ds = &es->dialog;
	int ev;

	fprintf(out, "calltap statistics:\n");
	print_row(out, "frames", c->frames);
	print_row(out, "bytes", c->bytes);
	print_row(out, "decoded", c->decoded);
	print_row(out, "skipped", c->skipped);
	print_row(out, "invalid", c->invalid);
	print_row(out, "fragments", c->fragments);
	print_row(out, "reassembled", es->frag.reassembled);
	print_row(out, "tcp_segments", es->tcp.segments);
	print_row(out, "tcp_gaps", es->tcp.gaps);
	print_row(out, "tcp_late_filled", es->tcp.late_filled);
	print_row(out, "tcp_refused", es->tcp.refused);
	print_row(out, "tcp_reanchored", es->tcp.reanchored);
	print_row(out, "sip_udp", c->sip_udp);
	print_row(out, "sip_tcp", c->sip_tcp);
	print_row(out, "sip_ws", c->sip_ws);
	print_row(out, "sip_malformed", c->sip_malformed);
	print_row(out, "sip_refused", c->sip_refused);
	print_row(out, "sip_repeated_header", c->sip_repeated_header);
	print_row(out, "sip_prescan_skipped", c->sip_prescan_skipped);
	print_row(out, "sip_retransmissions", ds->retransmissions);
	print_row(out, "sip_register", ds->requests[CT_M_REGISTER]);
	print_row(out, "sip_options", ds->requests[CT_M_OPTIONS]);
	print_row(out, "sip_orphan_messages", ds->orphan_messages);
	print_row(out, "sip_foreign_in_dialog", ds->foreign_in_dialog);
	print_row(out, "rtp_packets", c->rtp_packets);
	if (es->rtp) {
		const struct ct_media_stats *ms = &es->media;

		print_row(out, "rtp_orphan", ms->orphan);
		print_row(out, "rtp_injected", ms->injected);
		print_row(out, "rtp_injected_streams", ms->injected_streams);
		print_row(out, "rtp_promoted_streams", ms->promoted);
		print_row(out, "rtp_endpoints_retired", ms->endpoints_retired);
		print_row(out, "rtp_endpoints_refused", ms->endpoints_refused);
		print_row(out, "rtp_endpoints_unindexed", ms->endpoints_unindexed);
		print_row(out, "rtp_streams_refused", ms->streams_refused);
		print_row(out, "rtp_streams_moved", ms->streams_moved);
		print_row(out, "rtp_span_copies", ms->span_copies);
		print_row(out, "rtp_ssrc_collisions", ms->ssrc_collisions);
		print_row(out, "rtcp_packets", ms->rtcp);
		print_row(out, "rtcp_foreign", ms->rtcp_foreign);
		print_row(out, "recordings", es->recordings);
		print_row(out, "recording_errors", ms->audio_errors);
		if (ms->audio_queue_waits > 0)
			print_row(out, "recording_queue_waits", ms->audio_queue_waits);
	}
	print_row(out, "other_udp", c->other_udp);
	print_row(out, "calls", ds->calls);
	print_row(out, "calls_timed_out", ds->calls_timed_out);
	print_row(out, "calls_media_timeout", ds->media_timeouts);
	print_row(out, "calls_noresponse_timeout", ds->noresponse_timeouts);
	print_row(out, "sip_late_responses", ds->late_responses);
	print_row(out, "calls_evicted_noresponse", ds->evicted[CT_EVICT_NORESPONSE]);
	print_row(out, "calls_evicted_idle", ds->evicted[CT_EVICT_IDLE]);
	print_row(out, "calls_evicted_settled", ds->evicted[CT_EVICT_SETTLED]);
	print_row(out, "calls_evicted_active", ds->evicted[CT_EVICT_ACTIVE]);
	print_row(out, "calls_evicted_for_memory", ds->evicted_for_memory);
	print_row(out, "calls_refused", ds->dropped);
	print_row(out, "calls_linger_cut", ds->linger_cut);
	print_row(out, "calls_reused_call_id", ds->reused_call_ids);
	print_row(out, "sip_byes_doubted", ds->byes_doubted);
	print_row(out, "sip_byes_rejected", ds->byes_rejected);
	print_row(out, "sip_cancels_ignored", ds->cancels_ignored);
	print_row(out, "sip_responses_unmatched", ds->responses_unmatched);
	print_row(out, "sip_sdp_ignored", ds->sdp_ignored);
	print_row(out, "calls_partial", ds->partial_calls);
	print_row(out, "calls_partial_discarded", ds->partial_discarded);
	print_row(out, "calls_inferred", ds->inferred);
	print_row(out, "calls_serial_forks", ds->serial_forks);
	print_row(out, "records_fields_cut", ds->fields_cut);
	print_row(out, "records", c->records);
	if (sinks != NULL) {
		print_row(out, "sink_errors", sinks->errors);
		print_row(out, "output_queue_waits", sinks->queue_waits);
		print_row(out, "output_queue_peak", sinks->queue_peak);
		print_row(out, "output_events_lost", sinks->lost);
	}
	if (es->hep) {    /* shown even at 0: "nothing dropped" is the news */
		fprintf(out, "  %-24s %llu\n", "hep_sent", (unsigned long long)es->hep_sent);
		fprintf(out, "  %-24s %llu\n", "hep_dropped", (unsigned long long)es->hep_dropped);
		fprintf(out, "  %-24s %llu\n", "hep_qos_sent", (unsigned long long)es->hep_qos_sent);
		fprintf(out, "  %-24s %llu\n", "hep_qos_dropped",
		    (unsigned long long)es->hep_qos_dropped);
	}
	if (es->hep_in) {   /* --hep-listen: shown even at 0 */
		const struct ct_hep_in_stats *h = &es->hep_in_st;

		fprintf(out, "  %-24s %llu\n", "hep_in_packets", (unsigned long long)h->packets);
		fprintf(out, "  %-24s %llu\n", "hep_in_sip", (unsigned long long)h->sip);
		fprintf(out, "  %-24s %llu\n", "hep_in_other", (unsigned long long)h->other);
		fprintf(out, "  %-24s %llu\n", "hep_in_malformed", (unsigned long long)h->malformed);
		fprintf(out, "  %-24s %llu\n", "hep_in_auth_failed",
		    (unsigned long long)h->auth_failed);
		fprintf(out, "  %-24s %llu\n", "hep_in_ts_ahead", (unsigned long long)h->ts_ahead);
		fprintf(out, "  %-24s %llu\n", "hep_in_tcp_accepted",
		    (unsigned long long)h->tcp_accepted);
		fprintf(out, "  %-24s %llu\n", "hep_in_tcp_refused",
		    (unsigned long long)h->tcp_refused);
		fprintf(out, "  %-24s %llu\n", "hep_in_tcp_evicted",
		    (unsigned long long)h->tcp_evicted);
		fprintf(out, "  %-24s %llu\n", "hep_in_udp_drops", (unsigned long long)h->udp_drops);
		fprintf(out, "  %-24s %llu\n", "hep_in_reordered", (unsigned long long)h->reordered);
		fprintf(out, "  %-24s %llu\n", "hep_in_late", (unsigned long long)h->late);
		fprintf(out, "  %-24s %llu\n", "hep_in_reorder_forced", (unsigned long long)h->forced);
	}
	if (es->attr) {   /* the --leases log */
		print_row(out, "leases_held", es->pool.leases);
		print_row(out, "leases_read", es->pool.added);
		print_row(out, "leases_bad_lines", es->pool.bad);
		print_row(out, "leases_expired", es->pool.expired);
		print_row(out, "leases_refused", es->pool.refused);
		print_row(out, "leases_log_reopened", es->pool.reopened);
		/* PBX legs (docs/schema.md, PBX legs) */
		print_row(out, "legs_trunk_calls", es->legs.trunk_calls);
		print_row(out, "legs_linked", es->legs.legs_linked);
		print_row(out, "legs_by_header", es->legs.by_header);
		print_row(out, "legs_by_caller", es->legs.by_caller);
		print_row(out, "legs_by_diversion", es->legs.by_diversion);
		print_row(out, "legs_by_refer", es->legs.by_refer);
		print_row(out, "legs_by_replaces", es->legs.by_replaces);
		print_row(out, "legs_by_media", es->legs.by_media);
		print_row(out, "legs_media_ambiguous", es->legs.media_ambiguous);
		print_row(out, "legs_by_offer", es->legs.by_offer);
		print_row(out, "legs_by_bridge", es->legs.by_bridge);
		print_row(out, "legs_by_bridge_ssrc", es->legs.by_bridge_ssrc);
		print_row(out, "legs_bridge_ambiguous", es->legs.bridge_ambiguous);
		print_row(out, "legs_transfers", es->legs.transfers);
		print_row(out, "legs_ambiguous", es->legs.ambiguous);
		print_row(out, "legs_late", es->legs.legs_late);
		print_row(out, "legs_unlinked", es->legs.legs_unlinked);
		print_row(out, "legs_released_early", es->legs.released_early);
		print_row(out, "legs_not_tracked", es->legs.not_tracked);
	}
	print_row(out, "time_backwards", c->time_backwards);
	print_row(out, "time_jumps_ignored", c->time_jumps_ignored);
	print_row(out, "time_out_of_range", c->time_out_of_range);
	print_row(out, "capture_drops", c->capture_drops);
	print_row(out, "capture_ifdrops", c->capture_ifdrops);
	for (ev = 0; ev < CT_EV_COUNT; ev++)
		if (c->events[ev] != 0)
			fprintf(out, "  event %-18s %llu\n", ct_event_name((enum ct_event)ev),
			    (unsigned long long)c->events[ev]);
}

void ct_stats_line_init(struct ct_stats_line *l, int64_t interval_us)
{
	memset(l, 0, sizeof(*l));
	l->interval_us = interval_us > 0 ? interval_us : 0;
	l->next_us = INT64_MIN;
}

/*
 * On each tick: the first starts the clock (the rates of the first line
 * count from there); then true every interval_us of capture time.
 */
bool ct_stats_line_due(struct ct_stats_line *l, const struct ct_engine_stats *es)
{
	if (l->interval_us == 0)
		return false;
	if (l->next_us == INT64_MIN) {
		l->next_us = ct_ts_add(es->now_us, l->interval_us);
		l->prev_us = es->now_us;
		return false;
	}
	return es->now_us >= l->next_us;
}

/* The figures both status lines share, from "packets" to "sip N". */
static void print_counts(FILE *out, const struct ct_engine_stats *es, double rate,
    const char *per_min)
{
	const struct ct_engine_counters *c = &es->c;
	const struct ct_dialog_stats *ds = &es->dialog;
	uint64_t evicted = 0;
	int i;

	for (i = 0; i < CT_EVICT_COUNT; i++)
		evicted += ds->evicted[i];
	fprintf(out, "calltap: packets %llu (%.0f/s) calls in progress %zu started %llu%s "
	    "ended %llu written %llu evicted %llu refused %llu rtp %llu injected %llu sip %llu",
	    (unsigned long long)c->frames, rate, ds->active, (unsigned long long)ds->started,
	    per_min, (unsigned long long)ds->ended, (unsigned long long)ds->calls,
	    (unsigned long long)evicted, (unsigned long long)ds->dropped,
	    (unsigned long long)c->rtp_packets, (unsigned long long)c->rtp_injected,
	    (unsigned long long)(c->sip_udp + c->sip_tcp + c->sip_ws));
}

/* " at 2023-11-14T22:13:20Z\n": the capture time reached ("-" before the first frame). */
static void print_when(FILE *out, int64_t now_us)
{
	char when[32] = "-";
	struct tm tm;
	time_t sec;

	if (now_us > 0) {
		sec = (time_t)(now_us / 1000000);
		if (gmtime_r(&sec, &tm) != NULL)
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	fprintf(out, " at %s\n", when);
}

/*
 * Prints one status line for a long-running capture: frames (and their
 * rate since the previous line, by capture time), calls in progress (begun, not ended), calls started (and
 * started per minute since the previous line), ended and written (a call is
 * written after a linger of its end), calls evicted from a full table and
 * refused (totals), RTP packets (and foreign ones refused as injected), SIP
 * messages, the capture's kernel / interface drops (live capture only:
 * when drops were reported), then the capture time of the line (UTC; at
 * the end, so that scripts reading "calltap: packets" keep working).  Ends
 * with a newline.  This line becomes the
 * rates' base.
 */
void ct_stats_line_print(struct ct_stats_line *l, const struct ct_engine_stats *es, FILE *out)
{
	const struct ct_engine_counters *c = &es->c;
	const struct ct_dialog_stats *ds = &es->dialog;
	int64_t span = es->now_us - l->prev_us;
	double rate = 0, per_min = 0;
	char pm[40];

	if (l->prev_us != 0 && span > 0)
		rate = (double)(c->frames - l->prev_frames) * 1e6 / (double)span;
	if (l->prev_us != 0 && span > 0)
		per_min = (double)(ds->started - l->prev_calls) * 60e6 / (double)span;
	snprintf(pm, sizeof(pm), " (%.1f/min)", per_min);
	print_counts(out, es, rate, pm);
	/* Drops exist for a live capture only; a file has none to tell. */
	if (es->drops_known)
		fprintf(out, " drops %llu ifdrops %llu", (unsigned long long)c->capture_drops,
		    (unsigned long long)c->capture_ifdrops);
	print_when(out, es->now_us);
	l->prev_us = es->now_us;
	l->prev_frames = c->frames;
	l->prev_calls = ds->started;
	if (l->interval_us > 0)
		l->next_us = ct_ts_add(es->now_us, l->interval_us);
}

void ct_stats_line_start(struct ct_stats_line *l, int64_t now_us)
{
	l->prev_us = now_us;
	l->prev_frames = 0;
	l->prev_calls = 0;
	l->prev_bytes = 0;
	l->next_us = l->interval_us > 0 ? ct_ts_add(now_us, l->interval_us) : INT64_MIN;
}

bool ct_stats_line_due_at(const struct ct_stats_line *l, int64_t now_us)
{
	return l->interval_us > 0 && l->next_us != INT64_MIN && now_us >= l->next_us;
}

void ct_stats_line_print_read(struct ct_stats_line *l, const struct ct_engine_stats *es,
    const struct ct_stats_input *in, int64_t now_us, FILE *out)
{
	const struct ct_engine_counters *c = &es->c;
	int64_t span = now_us - l->prev_us;
	double rate = 0, mbs = 0, mb = (double)in->done / 1e6;

	if (span > 0 && c->frames >= l->prev_frames)
		rate = (double)(c->frames - l->prev_frames) * 1e6 / (double)span;
	if (span > 0 && in->done >= l->prev_bytes)
		mbs = (double)(in->done - l->prev_bytes) / (double)span;   /* bytes/us = MB/s */
	print_counts(out, es, rate, "");
	if (in->total > 0)
		fprintf(out, " read %.1f of %.1f MB (%.1f%%, %.1f MB/s)", mb, (double)in->total / 1e6,
		    100.0 * (double)in->done / (double)in->total, mbs);
	else
		fprintf(out, " read %.1f MB (%.1f MB/s)", mb, mbs);
	print_when(out, es->now_us);
	l->prev_us = now_us;
	l->prev_frames = c->frames;
	l->prev_calls = es->dialog.started;
	l->prev_bytes = in->done;
	if (l->interval_us > 0)
		l->next_us = ct_ts_add(now_us, l->interval_us);
}
