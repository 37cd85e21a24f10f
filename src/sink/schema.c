/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The record schema table (include/calltap/schema.h): every column of table
 * calls / the call record and of table rtp_streams / a stream object, in
 * output order, with its type, outputs, report use, value and doc line.
 * Everything else is generated from here: the JSON and CSV writers
 * (record.c, csv.c), the SQLite DDL, upgrade and inserts (sqlite.c), the
 * PostgreSQL DDL and inserts (pgsql.c), the report's column checks
 * (report.c) and the column lists of docs/schema.md (ct_schema_markdown;
 * tests/unit/test_schema and tests/pgsql.sh fail when docs, SQLite,
 * PostgreSQL and this table disagree).
 *
 * Adding a column is one entry in ct_schema_calls[]:
 *   { "name", CT_COL_<type>, CT_OUT_<outputs>, <report use>, <decimals>,
 *     STR(field) or GET(getter), "null when", "meaning" },
 * for example, for a `char *session_id` of struct ct_call_record:
 *   { "session_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(session_id), "no lease", "..." },
 * STR(field) takes a `char *` field of struct ct_call_record as it is (NULL
 * is null); anything else needs a getter (one line below, with the val_*
 * constructors).  Put it before `streams` (JSON and CSV append new keys at
 * the end; the stores add the column to an existing database by themselves,
 * no migration needed), then run scripts/update-schema-doc.sh and re-bless
 * the golden files (scripts/update-golden.sh --all: one added line per
 * record).  Never rename, reorder or retype a released column.
 * Workload: read once per record and output; the string columns cost one
 * load, the rest one small call.
 * References: docs/schema.md; RFC 8259 (JSON), RFC 3339 §5.6 (timestamps),
 * RFC 3550 A.3/A.8 (stream loss and jitter), ITU-T G.107 (MOS), RFC 4733
 * (DTMF).
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/record.h"
#include "calltap/schema.h"
#include "calltap/sip.h"

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

/* Text of our own making (see ct_val.plain): a name of a value, static. */
static void val_name(struct ct_val *v, const char *s)
{
	val_text(v, s);
	if (s != NULL)
		v->plain = (unsigned)strlen(s);
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

/* A real (decimals from the table); null when negative (if neg_null) or not finite. */
static void val_real(struct ct_val *v, double d, bool neg_null)
{
	v->kind = CT_VAL_REAL;
	v->d = d;
	if (!isfinite(d) || (neg_null && d < 0))
		v->kind = CT_VAL_NULL;
}

static void val_bool(struct ct_val *v, bool b)
{
	v->kind = CT_VAL_BOOL;
	v->i = b;
}

static void val_time(struct ct_val *v, int64_t us)
{
	ct_time_iso(us, v->tmp, sizeof(v->tmp));
	val_text(v, v->tmp[0] != '\0' ? v->tmp : NULL);
	v->plain = v->tmp[0] != '\0' ? 27 : 0;   /* YYYY-MM-DDTHH:MM:SS.uuuuuuZ */
}

static void val_addr(struct ct_val *v, const struct ct_addr *a)
{
	v->tmp[0] = '\0';
	if (a->family == 4 || a->family == 6)
		ct_addr_str(a, v->tmp, sizeof(v->tmp));
	val_text(v, v->tmp[0] != '\0' ? v->tmp : NULL);
	v->plain = (unsigned)strlen(v->tmp);   /* digits, '.', hex digits, ':' */
}

/*
 * "ip:port", "[ipv6]:port", or null when the address is unset.  Built by
 * hand (no snprintf): every stream of every record has two.
 */
static void val_endpoint(struct ct_val *v, const struct ct_addr *a, uint16_t port)
{
	char ip[CT_ADDRSTRLEN] = "", digits[5], *p = v->tmp;
	size_t n, k = 0;
	unsigned u = port;

	if (a->family == 4 || a->family == 6)
		ct_addr_str(a, ip, sizeof(ip));
	n = strlen(ip);
	if (n == 0 || n + 9 > sizeof(v->tmp)) {   /* [ ] : and 5 digits; ip is < 48 */
		val_text(v, NULL);
		return;
	}
	if (a->family == 6)
		*p++ = '[';
	memcpy(p, ip, n);
	p += n;
	if (a->family == 6)
		*p++ = ']';
	*p++ = ':';
	do {
		digits[k++] = (char)('0' + u % 10);
		u /= 10;
	} while (u != 0);
	while (k > 0)
		*p++ = digits[--k];
	*p = '\0';
	val_text(v, v->tmp);
	v->plain = (unsigned)(p - v->tmp);
}

/* ---- call getters -------------------------------------------------------- */

/* R and V only shorten the parameter lists of the one-line getters. */
#define R const struct ct_call_record *r
#define V struct ct_val *v
static void g_src_ip(R, V)        { val_addr(v, &r->src_ip); }
static void g_src_port(R, V)      { val_int_or_null(v, r->src_port, 0); }
static void g_dst_ip(R, V)        { val_addr(v, &r->dst_ip); }
static void g_dst_port(R, V)      { val_int_or_null(v, r->dst_port, 0); }
static void g_transport(R, V)     { val_name(v, ct_transport_name(r->transport)); }
static void g_vlan(R, V)          { val_int_or_null(v, r->vlan, 0); }
static void g_start_time(R, V)    { val_time(v, r->start_us); }
static void g_ringing_time(R, V)  { val_time(v, r->ringing_us); }
static void g_answer_time(R, V)   { val_time(v, r->answer_us); }
static void g_end_time(R, V)      { val_time(v, r->end_us); }
static void g_setup_ms(R, V)      { val_int_or_null(v, ct_record_setup_ms(r), -1); }
static void g_answer_ms(R, V)     { val_int_or_null(v, ct_record_answer_ms(r), -1); }
static void g_duration_s(R, V)    { val_real(v, ct_record_duration_s(r), true); }
static void g_talk_s(R, V)        { val_real(v, ct_record_talk_s(r), true); }
static void g_final_code(R, V)    { val_int_or_null(v, r->final_code, 0); }
static void g_disposition(R, V)   { val_name(v, ct_disposition_name(r->disposition)); }
static void g_hangup_by(R, V)     { val_name(v, ct_party_name(r->hangup_by)); }
static void g_q850_cause(R, V)    { val_int_or_null(v, r->q850_cause < 0 ? -1 : r->q850_cause, -1); }
static void g_direction(R, V)     { val_name(v, ct_direction_name(r->direction)); }
static void g_truncated(R, V)     { val_bool(v, r->truncated); }
static void g_auth_chall(R, V)    { val_int(v, r->auth_challenges); }
static void g_invites(R, V)       { val_int(v, r->invites); }
static void g_first_call(R, V)    { if (r->has_history) val_bool(v, r->first_call); }
static void g_repeat_count(R, V)  { if (r->has_history) val_int(v, r->repeat_count); }
static void g_callback_s(R, V)    { if (r->has_callback) val_real(v, (double)r->callback_us / 1e6, true); }
static void g_capture_drops(R, V) { if (r->has_capture_drops) val_int(v, (int64_t)r->capture_drops); }
static void g_evicted(R, V)       { val_bool(v, r->evicted); }
static void g_start_seen(R, V)    { val_bool(v, !r->start_unseen); }
static void g_streams(R, V)       { val_int(v, r->streams != NULL ? (int64_t)r->n_streams : 0); v->kind = CT_VAL_STREAMS; }
/* Call quality over the call's RTP streams (null when it has none). */
static void g_rtp_packets(R, V)
{
	uint64_t n = 0;
	size_t i;

	for (i = 0; r->streams != NULL && i < r->n_streams; i++)
		n += r->streams[i].packets;
	val_int(v, (int64_t)n);
	if (r->streams == NULL || r->n_streams == 0)
		v->kind = CT_VAL_NULL;
}

static void g_mos_min(R, V)
{
	double m = 0;
	size_t i;

	for (i = 0; r->streams != NULL && i < r->n_streams; i++)
		if (r->streams[i].mos > 0 && (m == 0 || r->streams[i].mos < m))
			m = r->streams[i].mos;
	val_real(v, m, true);
	if (m == 0)
		v->kind = CT_VAL_NULL;
}

static void g_loss_pct_max(R, V)
{
	double m = 0;
	bool any = false;
	size_t i;

	for (i = 0; r->streams != NULL && i < r->n_streams; i++)
		if (!r->streams[i].video && isfinite(r->streams[i].loss_pct) &&
		    (!any || r->streams[i].loss_pct > m)) {
			m = r->streams[i].loss_pct;
			any = true;
		}
	val_real(v, m, false);
	if (!any)
		v->kind = CT_VAL_NULL;
}

static void g_jitter_max_ms(R, V)
{
	double m = 0;
	bool any = false;
	size_t i;

	for (i = 0; r->streams != NULL && i < r->n_streams; i++)
		if (!r->streams[i].video && isfinite(r->streams[i].max_jitter_ms) &&
		    (!any || r->streams[i].max_jitter_ms > m)) {
			m = r->streams[i].max_jitter_ms;
			any = true;
		}
	val_real(v, m, false);
	if (!any)
		v->kind = CT_VAL_NULL;
}
static void g_answered_by(R, V)   { val_name(v, ct_answered_by_name(r->answered_by)); }
static void g_rings(R, V)         { v->kind = CT_VAL_JSON; v->s = r->rings_json != NULL ? r->rings_json : "[]"; }
static void g_start_us(R, V)      { val_int_or_null(v, r->start_us, CT_TIME_NONE); }
static void g_end_us(R, V)        { val_int_or_null(v, r->end_us, CT_TIME_NONE); }

/* The record fields named by r->cut_fields, comma-separated; null when none. */
static void g_cut_fields(R, V)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ CT_CUT_CALL_ID, "call_id" }, { CT_CUT_CALLER, "caller" },
		{ CT_CUT_CALLER_NAME, "caller_name" }, { CT_CUT_CALLEE, "callee" },
		{ CT_CUT_AGENT, "agent" }, { CT_CUT_HANGUP_REASON, "hangup_reason" },
	};
	size_t i, n = 0;

	if (r->cut_fields == 0)   /* the usual record: null */
		return;
	v->tmp[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (r->cut_fields & names[i].bit)
			n += (size_t)snprintf(v->tmp + n, sizeof(v->tmp) - n, "%s%s",
			    n > 0 ? "," : "", names[i].name);
	val_text(v, n > 0 ? v->tmp : NULL);
}
#undef R
#undef V

/* ---- the calls table ----------------------------------------------------- */

#define STR(f) NULL, offsetof(struct ct_call_record, f)
#define GET(fn) fn, 0
#define REQ CT_REPORT_REQUIRED
#define OPT CT_REPORT_OPTIONAL

const struct ct_schema_col ct_schema_calls[] = {
	{ "call_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(call_id),
	    "never in practice",
	    "`Call-ID` header of the dialog (RFC 3261 §8.1.1.4), verbatim up to "
	    "its cap (see [String caps](#string-caps))." },
	{ "caller", CT_COL_TEXT, CT_OUT_ALL, REQ, 0, STR(caller),
	    "no user part",
	    "User part of the `P-Asserted-Identity` URI (RFC 3325) of the initial "
	    "INVITE if present, else of its `Remote-Party-ID` (PAI's predecessor, "
	    "older Cisco and Asterisk trunks), else of its `From` URI.  Usually "
	    "the calling number." },
	{ "caller_name", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(caller_name),
	    "no display name",
	    "Display name of the initial INVITE's `From` header, unquoted and "
	    "unescaped." },
	{ "callee", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(callee),
	    "no user part",
	    "User part of the initial INVITE's Request-URI (the dialled number; "
	    "not the `To` header, which proxies do not rewrite), except when that "
	    "user is not a telephone number (none, or a registered trunk's account "
	    "name such as `pbxtrunk1`: the registrar retargets the Request-URI to "
	    "the Contact the trunk registered, RFC 3261 §10.2.1) and the `To` user "
	    "is one: then the `To` user, the number the caller dialled.  A number: "
	    "an optional `+`, at least 3 digits, only `-` `.` `(` `)` and spaces "
	    "besides, up to a `;`." },
	{ "agent", CT_COL_TEXT, CT_OUT_ALL, REQ, 0, STR(agent),
	    "not known (see [Agent](#agent))",
	    "The company's person on the call: for an inbound call the "
	    "extension that answered (user of the 2xx's `Contact`, else its "
	    "`P-Asserted-Identity`, when it is an extension; never the dialled "
	    "tracking number, the callee or the caller); for an outbound call "
	    "the calling extension (`caller`, else the `From`/PAI user of the "
	    "INVITE that is an extension); for internal (and unknown-direction) "
	    "calls the answering extension, else the dialled extension when "
	    "answered.  Never the customer's number, see [Agent](#agent)." },
	{ "src_ip", CT_COL_TEXT, CT_OUT_ALL, 0, 0, GET(g_src_ip),
	    "address unknown",
	    "Source IP address of the first INVITE packet (dotted IPv4 or RFC "
	    "5952 IPv6 text, without brackets)." },
	{ "src_port", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_src_port),
	    "port 0 (unknown)",
	    "Source UDP/TCP port of the first INVITE." },
	{ "dst_ip", CT_COL_TEXT, CT_OUT_ALL, 0, 0, GET(g_dst_ip),
	    "address unknown",
	    "Destination IP address of the first INVITE." },
	{ "dst_port", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_dst_port),
	    "port 0 (unknown)",
	    "Destination port of the first INVITE." },
	{ "transport", CT_COL_TEXT, CT_OUT_ALL, 0, 0, GET(g_transport),
	    "never",
	    "`udp`, `tcp`, `ws` (SIP over WebSocket, RFC 7118), or `unknown`: transport that carried the first INVITE." },
	{ "vlan", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_vlan),
	    "untagged (0)",
	    "Outermost 802.1Q VLAN id of the first INVITE frame." },
	{ "start_time", CT_COL_TIME, CT_OUT_ALL, 0, 0, GET(g_start_time),
	    "no start (should not happen)",
	    "Capture time of the first INVITE (`start_seen` false: of the first "
	    "message seen)." },
	{ "ringing_time", CT_COL_TIME, CT_OUT_ALL, 0, 0, GET(g_ringing_time),
	    "no 180/183",
	    "Capture time of the first 180 or 183 response to the initial INVITE; one that "
	    "comes after the answer (reordered, or stamped late by a HEP agent) was sent "
	    "before it, and counts at the answer's time at the latest (in a forked call, "
	    "only one stamped before the answer counts: another branch may ring on after "
	    "one answered)." },
	{ "answer_time", CT_COL_TIME, CT_OUT_ALL, 0, 0, GET(g_answer_time),
	    "not answered",
	    "Capture time of the first 2xx response to the initial INVITE." },
	{ "end_time", CT_COL_TIME, CT_OUT_ALL, 0, 0, GET(g_end_time),
	    "no end known",
	    "Capture time of the message that ended the call: the BYE, the "
	    "CANCEL, the final non-2xx response, or (for truncated calls) the "
	    "last message seen; for a truncated answered call, the last SIP "
	    "message or RTP packet of the call, whichever is later (the "
	    "conversation went on as long as its media)." },
	{ "setup_ms", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_setup_ms),
	    "no 180/183",
	    "Post-dial delay: `ringing_time - start_time` in milliseconds, "
	    "rounded to nearest (half up); 0 if the clock went backwards." },
	{ "answer_ms", CT_COL_INTEGER, CT_OUT_ALL, REQ, 0, GET(g_answer_ms),
	    "not answered",
	    "Time to answer: `answer_time - start_time` in milliseconds, rounded "
	    "as `setup_ms`." },
	{ "duration_s", CT_COL_REAL, CT_OUT_ALL, OPT, 3, GET(g_duration_s),
	    "no `end_time`",
	    "Total call time `end_time - start_time` in seconds (never negative)." },
	{ "talk_s", CT_COL_REAL, CT_OUT_ALL, REQ, 3, GET(g_talk_s),
	    "not answered or no `end_time`",
	    "Conversation time `end_time - answer_time` in seconds, minimum 0; "
	    "for a call answered before the capture started (`start_seen` "
	    "false, no `answer_time`), `end_time - start_time`: the talk seen." },
	{ "final_code", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_final_code),
	    "no final response",
	    "Status code of the final response to the initial INVITE transaction "
	    "(200-699).  A 401/407 followed by an authenticated re-send counts "
	    "only through the later transaction's final response, and so does a "
	    "failure a UA retries in the same Call-ID with the next CSeq (3xx, "
	    "413, 415, 416, 420-423, 488, 494, 503: RFC 3261 §8.1.3.4-5, RFC "
	    "4028), when the retried INVITE comes within 5 s of the call's last "
	    "message; without it the call is `failed` at that failure's time." },
	{ "disposition", CT_COL_TEXT, CT_OUT_ALL, REQ, 0, GET(g_disposition),
	    "never",
	    "Outcome, see [Disposition](#disposition)." },
	{ "hangup_by", CT_COL_TEXT, CT_OUT_ALL, 0, 0, GET(g_hangup_by),
	    "unknown",
	    "`caller` or `callee`, see [Hangup side](#hangup-side)." },
	{ "q850_cause", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_q850_cause),
	    "no Reason header",
	    "ISDN cause value from the `Reason: Q.850;cause=N` header (RFC 3326) "
	    "of the BYE, CANCEL or final response that ended the call (e.g. 16 "
	    "normal clearing, 17 user busy, 19 no answer, 21 call rejected)." },
	{ "hangup_reason", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(hangup_reason),
	    "never for ended calls",
	    "Free text explaining the end: the `text=` parameter of the RFC 3326 "
	    "Reason header of the BYE/CANCEL/response if present; else the reason "
	    "phrase of a failure final response (e.g. `Busy Here`); else what "
	    "ended the call: `BYE`, `CANCEL`; for calls closed without "
	    "signalling: `no BYE seen (end of capture)`, `no BYE seen (timeout)` "
	    "(call timeout), `no BYE seen (media timeout)`, `capture ended before "
	    "a final response`, `no final response` (setup timeout), `no "
	    "response (timer B)` (no response at all, see `truncated`), `call "
	    "table full (evicted)` (see `evicted`)." },
	{ "direction", CT_COL_TEXT, CT_OUT_ALL, REQ, 0, GET(g_direction),
	    "never",
	    "`unknown`, `inbound`, `outbound`, `internal`, see "
	    "[Direction](#direction): from the `--home` prefixes, else the "
	    "tracking-number pool." },
	{ "truncated", CT_COL_BOOLEAN, CT_OUT_ALL, 0, 0, GET(g_truncated),
	    "never",
	    "True when the record was closed by a timeout, by the end of the "
	    "input or by eviction (`evicted`) rather than by signalling (BYE, "
	    "CANCEL, final failure); the times and disposition then describe what "
	    "was seen.  Timeouts: `--setup-timeout` (300 s) without activity "
	    "before a final response, or 32 s (RFC 3261 Timer B, 64*T1) after "
	    "an INVITE that got no response at all when its destination address "
	    "was seen sending SIP responses within 32 s before it or since (a "
	    "tap that sees both directions; a one-way tap waits the setup "
	    "timeout); for answered calls `--media-timeout` (300 "
	    "s) with neither a SIP message nor an RTP packet of the call (not "
	    "with `--no-rtp`, where nothing reports RTP; nor for a call on hold: "
	    "its latest SDP has no enabled `sendrecv` media line, RFC 3264 §8.4; "
	    "nor for a call that never had RTP while no call had any for that "
	    "long: a SIP-only tap, where silence proves nothing), "
	    "and `--call-timeout` (4 h) without a SIP message whatever the RTP." },
	{ "auth_challenges", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_auth_chall),
	    "never",
	    "Number of 401/407 responses to INVITEs of the call (RFC 3261 §22)." },
	{ "invites", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_invites),
	    "never",
	    "Number of distinct INVITE requests in the dialog, including "
	    "authenticated re-sends, re-INVITEs and the new branches a proxy "
	    "sent after a branch failed (serial forking, see "
	    "[Disposition](#disposition)), excluding retransmissions.  With the "
	    "proxy in view (its copy of the INVITE from the caller seen too), "
	    "its copies, parallel or serial, are that one request." },
	{ "recording", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(recording),
	    "no recording",
	    "Path of the call's audio file (`--audio`), set only once the file is "
	    "completely written (null when it could not be); never another call's "
	    "file, see docs/audio.md.  Absolute (the `--audio` directory resolved at "
	    "start-up, symbolic links included), so a database opened elsewhere still "
	    "finds it; with `--recording-base BASE`, relative to BASE (also resolved): "
	    "the file is BASE/`recording`, wherever BASE is mounted later." },
	{ "pcap_path", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(pcap_path),
	    "no `--pcap-dir`, no packet kept, or the file could not be written",
	    "Absolute path of the call's own capture file (`--pcap-dir DIR`): "
	    "`DIR/YYYY-MM-DD/HH/HHMMSS_caller_callee_callid_hash.pcap`, set only "
	    "once the file is completely written; see docs/pcap.md." },
	{ "undecodable_codecs", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(undecodable),
	    "none",
	    "Comma-separated codecs the recording could not decode, see "
	    "docs/audio.md; `<codec>/SRTP` (e.g. `PCMU/SRTP`) for encrypted media "
	    "(SDP `RTP/SAVP`, `RTP/SAVPF`, `UDP/TLS/RTP/SAVP[F]`)." },
	{ "sensor", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(sensor),
	    "`--sensor \"\"`, or no host name",
	    "Name of the calltap instance that wrote the record: `--sensor NAME`, "
	    "by default the host name (`gethostname`), so several sensors can "
	    "feed one database." },
	{ "source", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(source),
	    "callee not a tracking number",
	    "`source` column of the `--numbers` row whose number equals the "
	    "normalised `callee` (see "
	    "[Attribution](#attribution-numbers-direction-history)), or the "
	    "`utm_source` of the `--leases` lease that held the number when set.  "
	    "For an inbound call whose `callee` is no tracking number, the row of "
	    "the number it was diverted from (its first `Diversion`, else "
	    "`History-Info`, entry: a carrier or call-tracking service forwarded "
	    "the tracking number the caller dialled to the business's line)." },
	{ "campaign", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(campaign),
	    "not a tracking number, or empty campaign",
	    "`campaign` column of that row, or the lease's `utm_campaign` when "
	    "set (see [Number pools](#number-pools-leases))." },
	{ "first_call", CT_COL_BOOLEAN, CT_OUT_ALL, 0, 0, GET(g_first_call),
	    "not an inbound call; caller withheld or not a number; history off",
	    "Inbound calls only (and unknown-direction calls when no direction "
	    "is configured): true when no inbound call from the same normalised "
	    "caller with a strictly earlier `start_time` is known, in the store "
	    "(`--db`) or in this run; i.e. `repeat_count == 0`, see "
	    "[History](#history-first_call-repeat_count)." },
	{ "repeat_count", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_repeat_count),
	    "as `first_call`",
	    "Number of inbound calls from the same normalised caller with a "
	    "strictly earlier `start_time` known to the history (a call already "
	    "in the store, same `call_id` and start, is not its own earlier "
	    "call)." },
	{ "callback_s", CT_COL_REAL, CT_OUT_ALL, 0, 3, GET(g_callback_s),
	    "not a missed call, or no callback attempt known when written",
	    "Missed calls only: seconds from this call's `end_time` to the "
	    "`start_time` of the first callback attempt (the first outbound "
	    "call to the caller's normalised number starting at or after that "
	    "end, while the missed call was open), see [Callbacks](#callbacks)." },
	{ "callback_of", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(callback_of),
	    "not a callback attempt",
	    "Outbound calls only: `call_id` of the latest (by end) open missed "
	    "call of the callee's number this call is an attempt for, see "
	    "[Callbacks](#callbacks)." },
	{ "capture_drops", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_capture_drops),
	    "reading capture files",
	    "Live capture (`-i`) only: packets the kernel or the interface "
	    "dropped (`pcap_stats` `ps_drop + ps_ifdrop`) between the call's "
	    "first and last SIP message. The counters are read once a second, so "
	    "a drop within a second of either end may go to the neighbouring "
	    "call. A non-zero value means fields of this call may be missing or "
	    "wrong (e.g. a lost BYE makes the call `truncated`)." },
	{ "evicted", CT_COL_BOOLEAN, CT_OUT_ALL, 0, 0, GET(g_evicted),
	    "never",
	    "True when the call was closed early to make room for a new call in a "
	    "full call table (`--max-calls`, default 200000 open calls), see "
	    "[Full call table](#full-call-table).  Such a record is also "
	    "`truncated`, its `hangup_reason` is `call table full (evicted)` (or "
	    "the 401/407 or CANCEL text of a call that was waiting after one), "
	    "and it describes the call up to the eviction.  SQLite `1`/`0`, "
	    "PostgreSQL BOOLEAN." },
	{ "cut_fields", CT_COL_TEXT, CT_OUT_ALL, 0, 0, GET(g_cut_fields),
	    "no string was cut",
	    "Comma-separated names of the fields of this record that were cut to "
	    "their cap, in field order (`call_id`, `caller`, `caller_name`, "
	    "`callee`, `agent`, `hangup_reason`), see [String "
	    "caps](#string-caps)." },
	{ "caller_number", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(caller_number),
	    "caller withheld or not a number; attribution off",
	    "`caller` normalised as a phone number (see [Number "
	    "normalisation](#number-normalisation)): `+` and digits when "
	    "international, else plain digits.  Set by the attribution stage; "
	    "history, callbacks, unique callers and the report match callers by "
	    "it." },
	{ "callee_number", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(callee_number),
	    "callee not a number; attribution off",
	    "`callee` normalised as `caller_number`." },
	/* lease fields: the number-pool session (--leases, src/attr/pool.c) */
	{ "session_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(session_id),
	    "no lease (see [Number pools](#number-pools-leases))",
	    "`session_id` of the `--leases` lease that held the dialled number at "
	    "the call's start." },
	{ "visitor_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(visitor_id),
	    "no lease, or empty in the lease",
	    "`visitor_id` of that lease (the website's visitor)." },
	{ "client_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(client_id),
	    "as `visitor_id`",
	    "`client_id` of that lease (analytics client id, e.g. Google "
	    "Analytics `_ga`)." },
	{ "utm_source", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(utm_source),
	    "as `visitor_id`",
	    "`utm_source` of that lease; when set it is also the call's `source`." },
	{ "utm_medium", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(utm_medium),
	    "as `visitor_id`",
	    "`utm_medium` of that lease." },
	{ "utm_campaign", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(utm_campaign),
	    "as `visitor_id`",
	    "`utm_campaign` of that lease; when set it is also the call's "
	    "`campaign`." },
	{ "utm_term", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(utm_term),
	    "as `visitor_id`",
	    "`utm_term` of that lease." },
	{ "utm_content", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(utm_content),
	    "as `visitor_id`",
	    "`utm_content` of that lease." },
	{ "click_id", CT_COL_TEXT, CT_OUT_ALL, 0, 0, STR(click_id),
	    "as `visitor_id`",
	    "`click_id` of that lease (gclid, fbclid, ...)." },
	/* PBX legs (src/attr/legs.c, docs/schema.md "PBX legs") */
	{ "answered_by", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, GET(g_answered_by),
	    "not an inbound call, or not answered",
	    "Who took an answered inbound call: `agent` (an agent leg of the "
	    "PBX answered; `agent` is then the last agent who answered), `ivr` "
	    "(the PBX answered and no leg was answered: menu, queue music, its "
	    "own voicemail), `voicemail` (a leg to a voicemail user answered), "
	    "`external` (a leg forwarded out of the home network answered), "
	    "`unknown` (the PBX's LAN side is not seen, or the call could not be "
	    "told apart), see [PBX legs](#pbx-legs-rings-answered_by).  `ivr` and "
	    "`voicemail` calls count as missed in the report." },
	{ "rings", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, GET(g_rings),
	    "never (`[]` when no agent leg was seen)",
	    "The agent legs offered for this call, in ring start order: JSON "
	    "array of `{\"agent\", \"call_id\", \"ring_start\", "
	    "\"ring_end\", \"outcome\", \"pickup_ms\", \"transferred_to\"}` "
	    "(`transferred_to`: the answered ring's agent transferred the caller, "
	    "to that extension or number; see [Transfers](#transfers)) (in CSV and the "
	    "stores the same array as JSON text), see [PBX "
	    "legs](#pbx-legs-rings-answered_by)." },
	{ "parent_call_id", CT_COL_TEXT, CT_OUT_ALL, OPT, 0, STR(parent_call_id),
	    "not a leg of a trunk call",
	    "A PBX leg (internal call to an agent, voicemail, or forward out) "
	    "that serves an inbound trunk call: the trunk call's `call_id`.  The "
	    "leg is still written as its own record, after its parent, and is "
	    "not a marketing call." },
	{ "rtp_packets", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_rtp_packets),
	    "no RTP stream",
	    "RTP packets received over all the call's streams (sum of the "
	    "streams' `packets`)." },
	{ "mos_min", CT_COL_REAL, CT_OUT_ALL, 0, 2, GET(g_mos_min),
	    "no stream with a MOS",
	    "Lowest `mos` of the call's streams: the worse direction's estimated "
	    "listening quality (1-4.5), see [RTP streams](#rtp-streams); video "
	    "streams have none." },
	{ "loss_pct_max", CT_COL_REAL, CT_OUT_ALL, 0, 2, GET(g_loss_pct_max),
	    "no audio stream",
	    "Highest `loss_pct` of the call's audio streams (those of an m=video "
	    "line, or of a static video payload type, left out), in percent (may "
	    "be negative when duplicates outnumber losses)." },
	{ "jitter_max_ms", CT_COL_REAL, CT_OUT_ALL, 0, 3, GET(g_jitter_max_ms),
	    "no audio stream",
	    "Highest `max_jitter_ms` of the call's audio streams (as "
	    "`loss_pct_max`), in milliseconds." },
	{ "start_seen", CT_COL_BOOLEAN, CT_OUT_ALL, 0, 0, GET(g_start_seen),
	    "never",
	    "False when the call's initial INVITE was not seen: the call was "
	    "already in progress when the capture started (a sensor started or "
	    "restarted mid-call, a capture cut), or the mirror delivers only the "
	    "other direction.  Such a record describes what was seen, see [Calls "
	    "already in progress](#calls-already-in-progress); true for every "
	    "other call.  SQLite `1`/`0`, PostgreSQL BOOLEAN." },
	{ "streams", CT_COL_INTEGER, CT_OUT_ALL, 0, 0, GET(g_streams),
	    "never",
	    "JSON: array of stream objects, `[]` when no RTP was matched.  CSV "
	    "and SQLite `calls.streams`: the number of streams." },
	{ "start_us", CT_COL_INTEGER, CT_OUT_STORE, REQ, 0, GET(g_start_us),
	    "no start (should not happen)",
	    "Stores only: `start_time` in microseconds since the Unix epoch, for "
	    "sorting and range queries.  With `call_id` the key of a call: a "
	    "call already stored is not stored again (see [Stored "
	    "once](#stored-once))." },
	{ "end_us", CT_COL_INTEGER, CT_OUT_STORE, OPT, 0, GET(g_end_us),
	    "no end known",
	    "Stores only: `end_time` in microseconds since the Unix epoch (used "
	    "for `callback_s`)." },
};
const size_t ct_schema_ncalls = sizeof(ct_schema_calls) / sizeof(ct_schema_calls[0]);

#undef STR
#undef GET
#undef REQ
#undef OPT

/* ---- stream getters ------------------------------------------------------ */

/* "0x" and 8 upper-case hex digits. */
static void s_ssrc(const struct ct_stream_stats *s, struct ct_val *v)
{
	static const char hex[] = "0123456789ABCDEF";
	int i;

	v->tmp[0] = '0';
	v->tmp[1] = 'x';
	for (i = 0; i < 8; i++)
		v->tmp[2 + i] = hex[(s->ssrc >> (28 - 4 * i)) & 0xf];
	v->tmp[10] = '\0';
	val_text(v, v->tmp);
	v->plain = 10;
}

#define S const struct ct_stream_stats *s
#define V struct ct_val *v
static void s_src(S, V)       { val_endpoint(v, &s->src, s->sport); }
static void s_dst(S, V)       { val_endpoint(v, &s->dst, s->dport); }
static void s_pt(S, V)        { val_int_or_null(v, s->payload_type < 0 ? -1 : s->payload_type, -1); }
static void s_codec(S, V)     { val_chars(v, s->codec, sizeof(s->codec)); }
static void s_packets(S, V)   { val_int(v, (int64_t)s->packets); }
static void s_lost(S, V)      { val_int(v, s->lost); }
static void s_loss_pct(S, V)  { val_real(v, s->loss_pct, false); }
static void s_dups(S, V)      { val_int(v, (int64_t)s->duplicates); }
static void s_ooo(S, V)       { val_int(v, (int64_t)s->out_of_order); }
static void s_max_jit(S, V)   { val_real(v, s->max_jitter_ms, false); }
static void s_mean_jit(S, V)  { val_real(v, s->mean_jitter_ms, false); }
static void s_max_delta(S, V) { val_real(v, s->max_delta_ms, false); }
static void s_mos(S, V)       { if (s->mos != 0) val_real(v, s->mos, false); }
static void s_dtmf(S, V)      { val_chars(v, s->dtmf, sizeof(s->dtmf)); }
#undef S
#undef V

/* ---- the rtp_streams table ----------------------------------------------- */

const struct ct_schema_stream_col ct_schema_streams[] = {
	{ "src", CT_COL_TEXT, 0, s_src,
	    "address unknown",
	    "Sender `ip:port`; IPv6 as `[addr]:port`." },
	{ "dst", CT_COL_TEXT, 0, s_dst,
	    "address unknown",
	    "Receiver `ip:port`, same format." },
	{ "ssrc", CT_COL_TEXT, 0, s_ssrc,
	    "never",
	    "Synchronisation source, `0x` and 8 upper-case hex digits." },
	{ "payload_type", CT_COL_INTEGER, 0, s_pt,
	    "no packet seen (-1)",
	    "RTP payload type of the stream (the first audio one if it changed)." },
	{ "codec", CT_COL_TEXT, 0, s_codec,
	    "unknown",
	    "Encoding name from the SDP `a=rtpmap`, or the static RFC 3551 name "
	    "(`PCMU`, `PCMA`, `G729`, ...)." },
	{ "packets", CT_COL_INTEGER, 0, s_packets,
	    "never",
	    "RTP packets received (duplicates included; a copy of a packet seen "
	    "again on another path, another VLAN or TTL, as a SPAN session that "
	    "mirrors two VLANs shows it, is not: `rtp_span_copies` in "
	    "`--stats`; nor is a lone packet whose sequence number or timestamp "
	    "jumped, see `out_of_order`)." },
	{ "lost", CT_COL_INTEGER, 0, s_lost,
	    "never",
	    "RFC 3550 A.3 cumulative loss: expected (extended highest sequence - "
	    "base + 1) minus received.  May be negative when duplicates outnumber "
	    "losses.  A sequence jump of 3,000 or more ahead (faster than that "
	    "many packets could be lost) or 128 or more behind, confirmed by the "
	    "next packet (see `out_of_order`), is a restart of the sender's "
	    "sequence (RFC 3550 A.1), not loss: the new numbers continue the old.  "
	    "Wireshark counts such a restart as loss." },
	{ "loss_pct", CT_COL_REAL, 2, s_loss_pct,
	    "not finite",
	    "`lost / expected * 100` (RFC 3550 A.3 fraction, as a percentage)." },
	{ "duplicates", CT_COL_INTEGER, 0, s_dups,
	    "never",
	    "Packets whose sequence number was already received on the stream's "
	    "own path (the VLAN and TTL of its first packet)." },
	{ "out_of_order", CT_COL_INTEGER, 0, s_ooo,
	    "never",
	    "Packets that arrived with a sequence number lower than the highest "
	    "seen, and lone packets: one whose sequence number jumped 8 or more "
	    "ahead (a burst of loss too, until the next packet confirms it) or "
	    "128 or more behind, or whose timestamp jumped against its arrival (its "
	    "transit changed by more than 500 ms, or it lies before the first "
	    "packet's), and whose next packet lies nearer the stream before it "
	    "than it (a corrupted packet, or one spoofed with the stream's SSRC).  "
	    "As in RFC 3550 A.1, a lone packet is not received: it counts in "
	    "neither `packets`, `lost`, the highest sequence nor the jitter, "
	    "which one packet would otherwise spoil for the whole stream.  A "
	    "jump the next packet confirms (a burst of loss, a stall, a "
	    "restart) counts as without that check, unless, within 32 packets "
	    "after it, two packets in a row continue the numbers from before "
	    "it: the stream went on as if the jump never happened (two spoofed "
	    "packets in a row), so the jump's packets count here too, not in "
	    "`packets`, and every other figure is as before them." },
	{ "max_jitter_ms", CT_COL_REAL, 3, s_max_jit,
	    "not finite",
	    "Maximum of the RFC 3550 A.8 interarrival jitter estimate J, "
	    "converted from timestamp units to milliseconds with the codec clock "
	    "rate." },
	{ "mean_jitter_ms", CT_COL_REAL, 3, s_mean_jit,
	    "not finite",
	    "Mean of the jitter estimate over the stream's packets, in ms." },
	{ "max_delta_ms", CT_COL_REAL, 3, s_max_delta,
	    "not finite",
	    "Largest gap in capture time between consecutive packets, in ms." },
	{ "mos", CT_COL_REAL, 2, s_mos,
	    "not computed (0), or a video stream (an m=video line's payload "
	    "type, or a static video one: the E-model rates speech)",
	    "Estimated listening quality, 1.00-4.50: ITU-T G.107 E-model R factor "
	    "from loss and jitter with codec defaults, converted to MOS with the "
	    "G.107 Annex B formula: R = 93.2 − Id − Ie_eff; Ie_eff = Ie + (95 − "
	    "Ie)·Ppl/(Ppl + Bpl) with Ppl the loss in percent and the codec's "
	    "Ie/Bpl from G.113 Appendix I (G.711: 0/25.1, G.729: 11/19); Id = "
	    "0.024·Ta + 0.11·(Ta − 177.3)·H(Ta − 177.3) with Ta = 2·mean jitter + "
	    "30 ms; MOS = 1 + 0.035R + R(R − 60)(100 − R)·7·10⁻⁶, clamped to [1, "
	    "4.5].  The full table is in `src/rtp/mos.c`." },
	{ "dtmf", CT_COL_TEXT, 0, s_dtmf,
	    "no digits",
	    "RFC 4733 telephone-event digits (`0-9*#A-D`) in the order they were "
	    "pressed, one per event (end-bit retransmissions counted once)." },
};
const size_t ct_schema_nstreams = sizeof(ct_schema_streams) / sizeof(ct_schema_streams[0]);

/* ---- the rtp_intervals table --------------------------------------------- */

#define I const struct ct_stream_ival *iv
#define V struct ct_val *v
static void i_start_time(I, V) { val_time(v, iv->start_us); }
static void i_start_us(I, V)   { val_int(v, iv->start_us); }
static void i_dur_ms(I, V)     { val_int(v, (iv->end_us - iv->start_us) / 1000); }
static void i_packets(I, V)    { val_int(v, (int64_t)iv->packets); }
static void i_lost(I, V)       { val_int(v, iv->lost); }
static void i_loss_pct(I, V)   { if (iv->packets > 0) val_real(v, iv->loss_pct, false); }
static void i_max_jit(I, V)    { if (iv->has_jitter) val_real(v, iv->max_jitter_ms, false); }
static void i_mean_jit(I, V)   { if (iv->has_jitter) val_real(v, iv->mean_jitter_ms, false); }
static void i_mos(I, V)        { if (iv->mos != 0) val_real(v, iv->mos, false); }
#undef I
#undef V

/*
 * After the key columns stream_rowid (the rtp_streams row), call_rowid and
 * call_id, which the stores add themselves.
 */
const struct ct_schema_ival_col ct_schema_ivals[] = {
	{ "start_time", CT_COL_TIME, 0, i_start_time,
	    "never",
	    "Start of the interval: the stream's first packet plus a whole number "
	    "of interval widths." },
	{ "start_us", CT_COL_INTEGER, 0, i_start_us,
	    "never",
	    "`start_time` in microseconds since the Unix epoch (the order of a "
	    "stream's intervals)." },
	{ "duration_ms", CT_COL_INTEGER, 0, i_dur_ms,
	    "never",
	    "Width of the interval: 5000 ms while the stream is under an hour, "
	    "doubled each time it outgrows 720 intervals; the last one ends at "
	    "the stream's last packet." },
	{ "packets", CT_COL_INTEGER, 0, i_packets,
	    "never",
	    "RTP packets that arrived in the interval (0: none, e.g. on hold)." },
	{ "lost", CT_COL_INTEGER, 0, i_lost,
	    "never",
	    "Advance of the extended highest sequence number over the interval "
	    "minus `packets`: RFC 3550 A.3 per interval.  A loss counts where "
	    "the packet after it arrives.  The intervals' `packets` and `lost` "
	    "add up to the stream's." },
	{ "loss_pct", CT_COL_REAL, 2, i_loss_pct,
	    "no packet",
	    "`lost / expected * 100`, 0 when `lost` <= 0." },
	{ "max_jitter_ms", CT_COL_REAL, 3, i_max_jit,
	    "no jitter figure (no regular packet after the first)",
	    "Largest value of the stream's jitter estimate (as `max_jitter_ms` "
	    "of the stream) at the interval's packets." },
	{ "mean_jitter_ms", CT_COL_REAL, 3, i_mean_jit,
	    "no jitter figure",
	    "Mean of the jitter estimate over the interval's regular packets." },
	{ "mos", CT_COL_REAL, 2, i_mos,
	    "no packet",
	    "The stream's MOS formula (`mos` above) applied to the interval's "
	    "`loss_pct` and `mean_jitter_ms`." },
};
const size_t ct_schema_nivals = sizeof(ct_schema_ivals) / sizeof(ct_schema_ivals[0]);

/* ---- lookups and names --------------------------------------------------- */

/* The calls column named name, or NULL (a linear scan: for setup code). */
const struct ct_schema_col *ct_schema_find(const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < ct_schema_ncalls; i++)
		if (strcmp(ct_schema_calls[i].name, name) == 0)
			return &ct_schema_calls[i];
	return NULL;
}

/* SQLite declared type: booleans are INTEGER 1/0, times ISO 8601 TEXT. */
const char *ct_schema_sqlite_type(enum ct_col_type t)
{
	switch (t) {
	case CT_COL_INTEGER:
	case CT_COL_BOOLEAN: return "INTEGER";
	case CT_COL_REAL:    return "REAL";
	default:             return "TEXT";
	}
}

/* PostgreSQL type: 64-bit integers, double precision, native booleans. */
const char *ct_schema_pg_type(enum ct_col_type t)
{
	switch (t) {
	case CT_COL_INTEGER: return "BIGINT";
	case CT_COL_REAL:    return "DOUBLE PRECISION";
	case CT_COL_BOOLEAN: return "BOOLEAN";
	default:             return "TEXT";
	}
}

/* The type as docs/schema.md names it. */
const char *ct_schema_type_name(enum ct_col_type t)
{
	switch (t) {
	case CT_COL_INTEGER: return "integer";
	case CT_COL_REAL:    return "real";
	case CT_COL_BOOLEAN: return "boolean";
	case CT_COL_TIME:    return "time";
	default:             return "text";
	}
}

/* Appends the type cell: "real, 3 decimals" for reals, else the type name. */
static void md_type(struct ct_buf *b, enum ct_col_type t, unsigned prec)
{
	ct_buf_puts(b, ct_schema_type_name(t));
	if (t == CT_COL_REAL)
		ct_buf_printf(b, ", %u decimals", prec);
}

/* Appends the outputs cell: "all", or a list of JSON, CSV, stores. */
static void md_outputs(struct ct_buf *b, unsigned out)
{
	const char *sep = "";

	if ((out & CT_OUT_ALL) == CT_OUT_ALL) {
		ct_buf_puts(b, "all");
		return;
	}
	if (out & CT_OUT_JSON) {
		ct_buf_puts(b, "JSON");
		sep = ", ";
	}
	if (out & CT_OUT_CSV) {
		ct_buf_printf(b, "%sCSV", sep);
		sep = ", ";
	}
	if (out & CT_OUT_STORE)
		ct_buf_printf(b, "%sstores", sep);
}

/* Appends the rtp_intervals column list of docs/schema.md, between marker lines. */
void ct_schema_markdown_ivals(struct ct_buf *b)
{
	size_t i;

	ct_buf_puts(b, "<!-- intervals columns: generated from src/sink/schema.c -->\n"
	    "| name | type | null when | meaning |\n"
	    "|---|---|---|---|\n");
	for (i = 0; i < ct_schema_nivals; i++) {
		const struct ct_schema_ival_col *c = &ct_schema_ivals[i];

		ct_buf_printf(b, "| `%s` | ", c->name);
		md_type(b, c->type, c->prec);
		ct_buf_printf(b, " | %s | %s |\n", c->null_when, c->doc);
	}
	ct_buf_puts(b, "<!-- end of intervals columns -->\n");
}

/*
 * Appends one generated column list of docs/schema.md (the call fields, or
 * with streams the stream fields) as a Markdown table between two marker
 * lines, which scripts/update-schema-doc.sh and tests/unit/test_schema
 * look for.
 */
void ct_schema_markdown(struct ct_buf *b, bool streams)
{
	size_t i;

	if (streams) {
		ct_buf_puts(b, "<!-- streams columns: generated from src/sink/schema.c -->\n"
		    "| name | type | null when | meaning |\n"
		    "|---|---|---|---|\n");
		for (i = 0; i < ct_schema_nstreams; i++) {
			const struct ct_schema_stream_col *c = &ct_schema_streams[i];

			ct_buf_printf(b, "| `%s` | ", c->name);
			md_type(b, c->type, c->prec);
			ct_buf_printf(b, " | %s | %s |\n", c->null_when, c->doc);
		}
		ct_buf_puts(b, "<!-- end of streams columns -->\n");
		return;
	}
	ct_buf_puts(b, "<!-- calls columns: generated from src/sink/schema.c -->\n"
	    "| # | name | type | outputs | null when | meaning |\n"
	    "|---|---|---|---|---|---|\n");
	for (i = 0; i < ct_schema_ncalls; i++) {
		const struct ct_schema_col *c = &ct_schema_calls[i];

		ct_buf_printf(b, "| %zu | `%s` | ", i + 1, c->name);
		md_type(b, c->type, c->prec);
		ct_buf_puts(b, " | ");
		md_outputs(b, c->outputs);
		ct_buf_printf(b, " | %s | %s |\n", c->null_when, c->doc);
	}
	ct_buf_puts(b, "<!-- end of calls columns -->\n");
}
