/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Call detail record helpers: derived durations, enum names, ISO 8601 time
 * formatting, the record's column model (record_int.h), its JSON form, and
 * the output file (path or stdout) shared by the JSON, CSV and table sinks.
 * Workload: one record per finished call, rendered once per sink, so clarity
 * beats speed here; the JSON form is diffed byte for byte by the golden
 * tests, so every number format is fixed (no locale, no NaN/Inf, fixed
 * decimals) and the key order is the order of ct_record_cols[].
 * References: RFC 8259 (JSON), RFC 3339 §5.6 (timestamps), RFC 3550 A.3/A.8
 * (stream loss and jitter), ITU-T G.107 (MOS), RFC 4733 (DTMF);
 * docs/schema.md defines every field.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/fdio.h"
#include "calltap/record.h"
#include "calltap/sip.h"
#include "record_int.h"

/* Interval b - a in microseconds, or -1 when either end is missing. */
static int64_t interval_us(int64_t a, int64_t b)
{
	if (a == CT_TIME_NONE || b == CT_TIME_NONE)
		return -1;
	return b > a ? b - a : 0;
}

/*
 * Milliseconds from the first INVITE to the first 180/183, rounded to the
 * nearest millisecond (half up); 0 if ringing precedes start (clock skew);
 * -1 when there was no ringing or no start.
 */
int64_t ct_record_setup_ms(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->ringing_us);

	return d < 0 ? -1 : (d + 500) / 1000;
}

/* Milliseconds from the first INVITE to the 2xx, as ct_record_setup_ms(). */
int64_t ct_record_answer_ms(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->answer_us);

	return d < 0 ? -1 : (d + 500) / 1000;
}

/* Seconds from the first INVITE to the end (>= 0), or -1.0 without an end. */
double ct_record_duration_s(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->start_us, r->end_us);

	return d < 0 ? -1.0 : (double)d / 1e6;
}

/* Seconds from the answer to the end (>= 0), or -1.0 if unanswered or no end. */
double ct_record_talk_s(const struct ct_call_record *r)
{
	int64_t d = interval_us(r->answer_us, r->end_us);

	return d < 0 ? -1.0 : (double)d / 1e6;
}

/* Static lower-case name of d; "unknown" for a value outside the enum. */
const char *ct_disposition_name(enum ct_disposition d)
{
	static const char *const names[] = {
		[CT_DISP_ANSWERED] = "answered", [CT_DISP_BUSY] = "busy",
		[CT_DISP_NOANSWER] = "noanswer", [CT_DISP_CANCELLED] = "cancelled",
		[CT_DISP_FAILED] = "failed", [CT_DISP_UNFINISHED] = "unfinished",
	};

	if ((unsigned)d >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[d];
}

/* "caller" or "callee"; NULL for CT_PARTY_NONE or an unknown value. */
const char *ct_party_name(enum ct_party p)
{
	switch (p) {
	case CT_PARTY_CALLER: return "caller";
	case CT_PARTY_CALLEE: return "callee";
	default:              return NULL;
	}
}

/* Static name of d; "unknown" for CT_DIR_UNKNOWN or a value outside the enum. */
const char *ct_direction_name(enum ct_direction d)
{
	switch (d) {
	case CT_DIR_INBOUND:  return "inbound";
	case CT_DIR_OUTBOUND: return "outbound";
	case CT_DIR_INTERNAL: return "internal";
	default:              return "unknown";
	}
}

/* "udp", "tcp", or "unknown" for any other CT_TRANSPORT_* value. */
const char *ct_transport_name(uint8_t transport)
{
	switch (transport) {
	case CT_TRANSPORT_UDP: return "udp";
	case CT_TRANSPORT_TCP: return "tcp";
	default:               return "unknown";
	}
}

/* Writes v as exactly n decimal digits (zero-padded) ending at p[n - 1]. */
static void put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/*
 * Writes us (microseconds since the epoch) as "YYYY-MM-DDTHH:MM:SS.uuuuuuZ"
 * (UTC, 27 characters) into buf and returns buf.  Negative times (including
 * CT_TIME_NONE), times after 9999-12-31 (timestamps are clamped below that)
 * and a buffer too small for the text give "" (when len > 0).  buf may be
 * NULL only when len is 0.  The civil date comes from the day count by the
 * proleptic Gregorian rule (400-year eras of 146097 days, years starting in
 * March so that the leap day is the last of its year), without gmtime_r and
 * printf: records carry two or more times each and floods make millions.
 */
char *ct_time_iso(int64_t us, char *buf, size_t len)
{
	int64_t sec, days;
	unsigned sod, era_day, yoe, doy, mp, y, m, d;

	if (len == 0)
		return buf;
	buf[0] = '\0';
	if (us < 0 || len < 28 || us / 1000000 >= INT64_C(253402300800))   /* 10000-01-01 */
		return buf;
	sec = us / 1000000;
	days = sec / 86400;
	sod = (unsigned)(sec % 86400);
	/* Days since 0000-03-01: 719468 days before 1970-01-01. */
	days += 719468;
	era_day = (unsigned)(days % 146097);
	yoe = (era_day - era_day / 1460 + era_day / 36524 - era_day / 146096) / 365;
	y = (unsigned)(days / 146097) * 400 + yoe;
	doy = era_day - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	put_digits(buf, y, 4);
	buf[4] = '-';
	put_digits(buf + 5, m, 2);
	buf[7] = '-';
	put_digits(buf + 8, d, 2);
	buf[10] = 'T';
	put_digits(buf + 11, sod / 3600, 2);
	buf[13] = ':';
	put_digits(buf + 14, sod / 60 % 60, 2);
	buf[16] = ':';
	put_digits(buf + 17, sod % 60, 2);
	buf[19] = '.';
	put_digits(buf + 20, (unsigned)(us % 1000000), 6);
	buf[26] = 'Z';
	buf[27] = '\0';
	return buf;
}

/* Frees r, its strings and its stream array.  NULL is a no-op. */
void ct_call_record_free(struct ct_call_record *r)
{
	if (r == NULL)
		return;
	free(r->call_id);
	free(r->caller);
	free(r->caller_name);
	free(r->callee);
	free(r->agent);
	free(r->hangup_reason);
	free(r->recording);
	free(r->undecodable);
	free(r->sensor);
	free(r->source);
	free(r->campaign);
	free(r->callback_of);
	free(r->streams);
	free(r);
}

/*
 * Formats d with prec decimals independently of LC_NUMERIC (a ',' decimal
 * point is turned back into '.') and without a "-0.000" negative zero.
 * Returns false and sets buf to "" when d is NaN or infinite.
 */
bool ct_fmt_fixed(double d, int prec, char *buf, size_t len)
{
	char *p;
	int n;

	if (len == 0)
		return false;
	buf[0] = '\0';
	if (!isfinite(d))
		return false;
	n = snprintf(buf, len, "%.*f", prec, d);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return false;
	}
	p = strchr(buf, ',');
	if (p != NULL)
		*p = '.';
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
	return true;
}

/* ---- value constructors ------------------------------------------------- */

static void val_text(struct ct_val *v, const char *s)
{
	v->kind = s != NULL ? CT_VAL_TEXT : CT_VAL_NULL;
	v->s = s;
}

/* Text from a fixed array that may lack its NUL; "" becomes null. */
static void val_chars(struct ct_val *v, const char *a, size_t size)
{
	size_t n = strnlen(a, size);

	if (n >= sizeof(v->tmp))
		n = sizeof(v->tmp) - 1;
	memcpy(v->tmp, a, n);
	v->tmp[n] = '\0';
	val_text(v, n > 0 ? v->tmp : NULL);
}

static void val_int(struct ct_val *v, int64_t i)
{
	v->kind = CT_VAL_INT;
	v->i = i;
}

/* An integer that is null when it equals none. */
static void val_int_or_null(struct ct_val *v, int64_t i, int64_t none)
{
	val_int(v, i);
	if (i == none)
		v->kind = CT_VAL_NULL;
}

/* A real with prec decimals; null when negative (if neg_null) or not finite. */
static void val_real(struct ct_val *v, double d, int prec, bool neg_null)
{
	v->kind = CT_VAL_REAL;
	v->d = d;
	v->prec = prec;
	if (!isfinite(d) || (neg_null && d < 0))
		v->kind = CT_VAL_NULL;
}

static void val_time(struct ct_val *v, int64_t us)
{
	ct_time_iso(us, v->tmp, sizeof(v->tmp));
	val_text(v, v->tmp[0] != '\0' ? v->tmp : NULL);
}

static void val_addr(struct ct_val *v, const struct ct_addr *a)
{
	v->tmp[0] = '\0';
	if (a->family == 4 || a->family == 6)
		ct_addr_str(a, v->tmp, sizeof(v->tmp));
	val_text(v, v->tmp[0] != '\0' ? v->tmp : NULL);
}

/* "ip:port", "[ipv6]:port", or null when the address is unset. */
static void val_endpoint(struct ct_val *v, const struct ct_addr *a, uint16_t port)
{
	char ip[CT_ADDRSTRLEN] = "";

	if (a->family == 4 || a->family == 6)
		ct_addr_str(a, ip, sizeof(ip));
	if (ip[0] == '\0') {
		val_text(v, NULL);
		return;
	}
	snprintf(v->tmp, sizeof(v->tmp), a->family == 6 ? "[%s]:%u" : "%s:%u",
	    ip, (unsigned)port);
	val_text(v, v->tmp);
}

/* ---- call columns (order = JSON key order) ------------------------------ */

/* R and V only shorten the parameter lists of the one-line getters. */
#define R const struct ct_call_record *r
#define V struct ct_val *v
static void g_call_id(R, V)       { val_text(v, r->call_id); }
static void g_caller(R, V)        { val_text(v, r->caller); }
static void g_caller_name(R, V)   { val_text(v, r->caller_name); }
static void g_callee(R, V)        { val_text(v, r->callee); }
static void g_agent(R, V)         { val_text(v, r->agent); }
static void g_src_ip(R, V)        { val_addr(v, &r->src_ip); }
static void g_src_port(R, V)      { val_int_or_null(v, r->src_port, 0); }
static void g_dst_ip(R, V)        { val_addr(v, &r->dst_ip); }
static void g_dst_port(R, V)      { val_int_or_null(v, r->dst_port, 0); }
static void g_transport(R, V)     { val_text(v, ct_transport_name(r->transport)); }
static void g_vlan(R, V)          { val_int_or_null(v, r->vlan, 0); }
static void g_start_time(R, V)    { val_time(v, r->start_us); }
static void g_ringing_time(R, V)  { val_time(v, r->ringing_us); }
static void g_answer_time(R, V)   { val_time(v, r->answer_us); }
static void g_end_time(R, V)      { val_time(v, r->end_us); }
static void g_setup_ms(R, V)      { val_int_or_null(v, ct_record_setup_ms(r), -1); }
static void g_answer_ms(R, V)     { val_int_or_null(v, ct_record_answer_ms(r), -1); }
static void g_duration_s(R, V)    { val_real(v, ct_record_duration_s(r), 3, true); }
static void g_talk_s(R, V)        { val_real(v, ct_record_talk_s(r), 3, true); }
static void g_final_code(R, V)    { val_int_or_null(v, r->final_code, 0); }
static void g_disposition(R, V)   { val_text(v, ct_disposition_name(r->disposition)); }
static void g_hangup_by(R, V)     { val_text(v, ct_party_name(r->hangup_by)); }
static void g_q850_cause(R, V)    { val_int_or_null(v, r->q850_cause < 0 ? -1 : r->q850_cause, -1); }
static void g_hangup_reason(R, V) { val_text(v, r->hangup_reason); }
static void g_direction(R, V)     { val_text(v, ct_direction_name(r->direction)); }
static void g_truncated(R, V)     { v->kind = CT_VAL_BOOL; v->i = r->truncated; }
static void g_auth_chall(R, V)    { val_int(v, r->auth_challenges); }
static void g_invites(R, V)       { val_int(v, r->invites); }
static void g_recording(R, V)     { val_text(v, r->recording); }
static void g_undecodable(R, V)   { val_text(v, r->undecodable); }
static void g_sensor(R, V)        { val_text(v, r->sensor); }
static void g_source(R, V)        { val_text(v, r->source); }
static void g_campaign(R, V)      { val_text(v, r->campaign); }
static void g_first_call(R, V)    { v->kind = r->has_history ? CT_VAL_BOOL : CT_VAL_NULL; v->i = r->first_call; }
static void g_repeat_count(R, V)  { val_int(v, r->repeat_count); if (!r->has_history) v->kind = CT_VAL_NULL; }
static void g_callback_s(R, V)    { val_real(v, (double)r->callback_us / 1e6, 3, true); if (!r->has_callback) v->kind = CT_VAL_NULL; }
static void g_callback_of(R, V)   { val_text(v, r->callback_of); }
static void g_capture_drops(R, V) { val_int(v, (int64_t)r->capture_drops); if (!r->has_capture_drops) v->kind = CT_VAL_NULL; }
static void g_evicted(R, V)       { v->kind = CT_VAL_BOOL; v->i = r->evicted; }

/* The record fields named by r->cut_fields, comma-separated; null when none. */
static void g_cut_fields(R, V)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ CT_CUT_CALL_ID, "call_id" }, { CT_CUT_CALLER, "caller" },
		{ CT_CUT_CALLER_NAME, "caller_name" }, { CT_CUT_CALLEE, "callee" },
		{ CT_CUT_AGENT, "agent" }, { CT_CUT_HANGUP_REASON, "hangup_reason" },
	};
	size_t i, n = 0;

	v->tmp[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (r->cut_fields & names[i].bit)
			n += (size_t)snprintf(v->tmp + n, sizeof(v->tmp) - n, "%s%s",
			    n > 0 ? "," : "", names[i].name);
	val_text(v, n > 0 ? v->tmp : NULL);
}
#undef R
#undef V

const struct ct_col ct_record_cols[] = {
	{ "call_id", "TEXT", g_call_id },
	{ "caller", "TEXT", g_caller },
	{ "caller_name", "TEXT", g_caller_name },
	{ "callee", "TEXT", g_callee },
	{ "agent", "TEXT", g_agent },
	{ "src_ip", "TEXT", g_src_ip },
	{ "src_port", "INTEGER", g_src_port },
	{ "dst_ip", "TEXT", g_dst_ip },
	{ "dst_port", "INTEGER", g_dst_port },
	{ "transport", "TEXT", g_transport },
	{ "vlan", "INTEGER", g_vlan },
	{ "start_time", "TEXT", g_start_time },
	{ "ringing_time", "TEXT", g_ringing_time },
	{ "answer_time", "TEXT", g_answer_time },
	{ "end_time", "TEXT", g_end_time },
	{ "setup_ms", "INTEGER", g_setup_ms },
	{ "answer_ms", "INTEGER", g_answer_ms },
	{ "duration_s", "REAL", g_duration_s },
	{ "talk_s", "REAL", g_talk_s },
	{ "final_code", "INTEGER", g_final_code },
	{ "disposition", "TEXT", g_disposition },
	{ "hangup_by", "TEXT", g_hangup_by },
	{ "q850_cause", "INTEGER", g_q850_cause },
	{ "hangup_reason", "TEXT", g_hangup_reason },
	{ "direction", "TEXT", g_direction },
	{ "truncated", "INTEGER", g_truncated },
	{ "auth_challenges", "INTEGER", g_auth_chall },
	{ "invites", "INTEGER", g_invites },
	{ "recording", "TEXT", g_recording },
	{ "undecodable_codecs", "TEXT", g_undecodable },
	{ "sensor", "TEXT", g_sensor },
	{ "source", "TEXT", g_source },
	{ "campaign", "TEXT", g_campaign },
	{ "first_call", "INTEGER", g_first_call },
	{ "repeat_count", "INTEGER", g_repeat_count },
	{ "callback_s", "REAL", g_callback_s },
	{ "callback_of", "TEXT", g_callback_of },
	{ "capture_drops", "INTEGER", g_capture_drops },
	{ "evicted", "INTEGER", g_evicted },
	{ "cut_fields", "TEXT", g_cut_fields },
};
const size_t ct_record_ncols = sizeof(ct_record_cols) / sizeof(ct_record_cols[0]);

/* ---- stream columns ------------------------------------------------------ */

/* "0x" and 8 upper-case hex digits. */
static void s_ssrc(const struct ct_stream_stats *s, struct ct_val *v)
{
	snprintf(v->tmp, sizeof(v->tmp), "0x%08" PRIX32, s->ssrc);
	val_text(v, v->tmp);
}

#define S const struct ct_stream_stats *s
#define V struct ct_val *v
static void s_src(S, V)       { val_endpoint(v, &s->src, s->sport); }
static void s_dst(S, V)       { val_endpoint(v, &s->dst, s->dport); }
static void s_pt(S, V)        { val_int_or_null(v, s->payload_type < 0 ? -1 : s->payload_type, -1); }
static void s_codec(S, V)     { val_chars(v, s->codec, sizeof(s->codec)); }
static void s_packets(S, V)   { val_int(v, (int64_t)s->packets); }
static void s_lost(S, V)      { val_int(v, s->lost); }
static void s_loss_pct(S, V)  { val_real(v, s->loss_pct, 2, false); }
static void s_dups(S, V)      { val_int(v, (int64_t)s->duplicates); }
static void s_ooo(S, V)       { val_int(v, (int64_t)s->out_of_order); }
static void s_max_jit(S, V)   { val_real(v, s->max_jitter_ms, 3, false); }
static void s_mean_jit(S, V)  { val_real(v, s->mean_jitter_ms, 3, false); }
static void s_max_delta(S, V) { val_real(v, s->max_delta_ms, 3, false); }
static void s_mos(S, V)       { val_real(v, s->mos, 2, false); if (s->mos == 0) val_text(v, NULL); }
static void s_dtmf(S, V)      { val_chars(v, s->dtmf, sizeof(s->dtmf)); }
#undef S
#undef V

const struct ct_stream_col ct_stream_cols[] = {
	{ "src", "TEXT", s_src },
	{ "dst", "TEXT", s_dst },
	{ "ssrc", "TEXT", s_ssrc },
	{ "payload_type", "INTEGER", s_pt },
	{ "codec", "TEXT", s_codec },
	{ "packets", "INTEGER", s_packets },
	{ "lost", "INTEGER", s_lost },
	{ "loss_pct", "REAL", s_loss_pct },
	{ "duplicates", "INTEGER", s_dups },
	{ "out_of_order", "INTEGER", s_ooo },
	{ "max_jitter_ms", "REAL", s_max_jit },
	{ "mean_jitter_ms", "REAL", s_mean_jit },
	{ "max_delta_ms", "REAL", s_max_delta },
	{ "mos", "REAL", s_mos },
	{ "dtmf", "TEXT", s_dtmf },
};
const size_t ct_stream_ncols = sizeof(ct_stream_cols) / sizeof(ct_stream_cols[0]);

/* ---- rendering ----------------------------------------------------------- */

/* Appends v in JSON syntax; a REAL that cannot be formatted becomes null. */
void ct_val_json(const struct ct_val *v, struct ct_buf *b)
{
	char num[64];

	switch (v->kind) {
	case CT_VAL_TEXT:
		ct_buf_json_str(b, v->s);
		break;
	case CT_VAL_INT:
		ct_buf_i64(b, v->i);
		break;
	case CT_VAL_REAL:
		ct_buf_puts(b, ct_fmt_fixed(v->d, v->prec, num, sizeof(num)) ? num : "null");
		break;
	case CT_VAL_BOOL:
		ct_buf_puts(b, v->i ? "true" : "false");
		break;
	default:
		ct_buf_puts(b, "null");
		break;
	}
}

/* Appends v as a CSV field: null is empty, booleans are true/false. */
void ct_val_csv(const struct ct_val *v, struct ct_buf *b)
{
	char num[64];

	switch (v->kind) {
	case CT_VAL_TEXT:
		ct_buf_csv_str(b, v->s);
		break;
	case CT_VAL_INT:
		ct_buf_i64(b, v->i);
		break;
	case CT_VAL_REAL:
		if (ct_fmt_fixed(v->d, v->prec, num, sizeof(num)))
			ct_buf_puts(b, num);
		break;
	case CT_VAL_BOOL:
		ct_buf_puts(b, v->i ? "true" : "false");
		break;
	default:
		break;
	}
}

/* Appends one stream as a JSON object, keys in ct_stream_cols[] order. */
void ct_stream_json(const struct ct_stream_stats *s, struct ct_buf *b)
{
	struct ct_val v;
	size_t i;

	ct_buf_puts(b, "{");
	for (i = 0; i < ct_stream_ncols; i++) {
		memset(&v, 0, sizeof(v));
		ct_stream_cols[i].get(s, &v);
		ct_buf_puts(b, i ? ",\"" : "\"");
		ct_buf_puts(b, ct_stream_cols[i].name);
		ct_buf_puts(b, "\":");
		ct_val_json(&v, b);
	}
	ct_buf_puts(b, "}");
}

/*
 * Appends r to b as one compact JSON object without a newline: the keys of
 * ct_record_cols[] in order, then "streams" (an array, [] when there are
 * none).  r is only read.  Returns CT_OK, or CT_NOMEM when b ran out of
 * memory (b->oom is then set and its content is incomplete).
 */
int ct_record_json(const struct ct_call_record *r, struct ct_buf *b)
{
	struct ct_val v;
	size_t i;

	ct_buf_puts(b, "{");
	for (i = 0; i < ct_record_ncols; i++) {
		memset(&v, 0, sizeof(v));
		ct_record_cols[i].get(r, &v);
		ct_buf_puts(b, i ? ",\"" : "\"");
		ct_buf_puts(b, ct_record_cols[i].name);
		ct_buf_puts(b, "\":");
		ct_val_json(&v, b);
	}
	ct_buf_puts(b, ",\"streams\":[");
	for (i = 0; r->streams != NULL && i < r->n_streams; i++) {
		if (i > 0)
			ct_buf_puts(b, ",");
		ct_stream_json(&r->streams[i], b);
	}
	ct_buf_puts(b, "]}");
	return b->oom ? CT_NOMEM : CT_OK;
}

/* ---- output file shared by the text sinks -------------------------------- */

/* Formats a message into errbuf (CT_ERRBUF_SIZE bytes); NULL errbuf is ignored. */
void ct_sink_err(char *errbuf, const char *fmt, ...)
{
	va_list ap;

	if (errbuf == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, CT_ERRBUF_SIZE, fmt, ap);
	va_end(ap);
}

/* strerror(e), or a generic text when e is 0. */
static const char *err_text(int e)
{
	return e != 0 ? strerror(e) : "I/O error";
}

/*
 * Opens arg for writing (created or truncated, mode 0666 less the umask),
 * or standard output when arg is "-"; ">>path" opens path in append mode
 * (the engine reopening outputs on SIGHUP).  Returns CT_OK, CT_NOMEM, or
 * CT_ERR with "cannot open 'x' for writing: <strerror>" in errbuf.  f is
 * left closed (fd -1) on failure.
 */
int ct_outfile_open(struct ct_outfile *f, const char *arg, char *errbuf)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC;
	struct stat st;
	bool append;
	off_t pos;

	if (strncmp(arg, ">>", 2) == 0) {
		arg += 2;
		flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC;
	}
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->is_stdout = strcmp(arg, "-") == 0;
	f->name = strdup(f->is_stdout ? "standard output" : arg);
	if (f->name == NULL) {
		ct_sink_err(errbuf, "out of memory");
		return CT_NOMEM;
	}
	f->fd = f->is_stdout ? STDOUT_FILENO : open(arg, flags, 0666);
	if (f->fd < 0) {
		ct_sink_err(errbuf, "cannot open '%s' for writing: %s", arg, strerror(errno));
		free(f->name);
		f->name = NULL;
		return CT_ERR;
	}
	/* Where the next record starts: the end in append mode, else here. */
	f->regular = fstat(f->fd, &st) == 0 && S_ISREG(st.st_mode);
	append = (fcntl(f->fd, F_GETFL) & O_APPEND) != 0;
	if (f->regular && (pos = lseek(f->fd, 0, append ? SEEK_END : SEEK_CUR)) >= 0)
		f->good = pos;
	return CT_OK;
}

/*
 * Writes all of b with write(2), retrying short writes.  On a failure
 * (disk full, file size limit, I/O error) a regular file is cut back to
 * f->good, the end of the last complete record, so it never ends in half a
 * record.  0, or the errno of the failure.
 */
static int write_whole(struct ct_outfile *f, const char *p, size_t len)
{
	int e;

	if (f->is_stdout)
		fflush(stdout);   /* keep the order of anything stdio holds */
	if (ct_write_all(f->fd, p, len) == 0)
		return 0;
	e = errno;
	if (f->regular && ftruncate(f->fd, f->good) == 0)
		lseek(f->fd, f->good, SEEK_SET);
	return e;
}

/*
 * Writes the bytes of b, one or more whole records, straight to the file
 * (no user-space buffer: a consumer following the file sees whole records,
 * a crash of this process loses none, and a full disk is reported on the
 * record that hit it).  A failed write leaves the file at its last complete
 * record and marks f broken: later writes are refused, so nothing lands
 * after a hole.  Returns CT_OK, or CT_ERR with "cannot write to 'x':
 * <strerror>" (plus a note when the file was cut back).
 */
int ct_outfile_write(struct ct_outfile *f, const struct ct_buf *b, char *errbuf)
{
	int e;

	if (b->oom) {
		ct_sink_err(errbuf, "cannot write to '%s': out of memory", f->name);
		return CT_ERR;
	}
	if (f->broken) {
		ct_sink_err(errbuf, "cannot write to '%s': an earlier write failed", f->name);
		return CT_ERR;
	}
	e = write_whole(f, b->p, b->len);
	if (e != 0) {
		f->broken = true;
		ct_sink_err(errbuf, "cannot write to '%s': %s%s", f->name, err_text(e),
		    f->regular ? " (the incomplete record was removed)" : "");
		return CT_ERR;
	}
	if (f->regular)
		f->good += (off_t)b->len;
	f->unsynced = true;
	return CT_OK;
}

/*
 * Makes what was written durable: fdatasync(2) of a regular file when
 * anything was written since the last call (the engine calls this about
 * once a second, so a power loss costs at most that much).  Pipes and
 * terminals have nothing to sync.  CT_OK, or CT_ERR naming the file.
 */
int ct_outfile_flush(struct ct_outfile *f, char *errbuf)
{
	if (f->fd < 0 || !f->unsynced)
		return CT_OK;
	f->unsynced = false;
	if (!f->regular || f->broken)
		return CT_OK;
	if (fdatasync(f->fd) != 0 && errno != EINVAL && errno != EROFS) {
		ct_sink_err(errbuf, "cannot write to '%s': %s", f->name, err_text(errno));
		return CT_ERR;
	}
	return CT_OK;
}

/*
 * Syncs and closes the file (standard output is left open) and frees the
 * name.  Returns CT_OK, or CT_ERR naming the file when the data could not
 * be made durable.  f is closed either way; a closed f is a no-op.
 */
int ct_outfile_close(struct ct_outfile *f, char *errbuf)
{
	int rc;

	if (f->name == NULL)
		return CT_OK;
	rc = ct_outfile_flush(f, errbuf);
	if (!f->is_stdout && close(f->fd) != 0 && rc == CT_OK) {
		ct_sink_err(errbuf, "cannot write to '%s': %s", f->name, err_text(errno));
		rc = CT_ERR;
	}
	free(f->name);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	return rc;
}
