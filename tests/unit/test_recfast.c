/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The record writers that format straight into their buffer (record.c,
 * csv.c, buf.c: key slots, 16/8-byte escaping scans, plain text copied as
 * it is, records built where the output file holds them, per-thread time
 * cache, integer and octet tables) give exactly the bytes of the
 * straightforward writers they replace.  Each is checked against an
 * oracle kept here: the byte-by-byte JSON string writer, the two-step CSV
 * cell (ct_buf_csv_safe then ct_buf_csv_str, unchanged), snprintf for
 * integers and fixed point, gmtime-free day arithmetic of the old
 * ct_time_iso, inet_ntop, and a record writer that walks the schema table
 * with those, for hostile and ordinary records written through the JSON
 * and CSV sinks (several buffers' worth, and a record larger than one).
 */
#include "config.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/packet.h"
#include "calltap/record.h"
#include "calltap/schema.h"
#include "calltap/sink.h"
#include "../../src/sink/record_int.h"
#include "test.h"

/* xorshift64*: deterministic pseudo-random values. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

/* ---- oracles ------------------------------------------------------------- */

/* JSON string literal, byte by byte (RFC 8259 §7 as buf.h words it). */
static void ref_json_str(struct ct_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, k;
	char esc[8];

	ct_buf_puts(b, "\"");
	while (i < len) {
		if (u[i] >= 0x80) {
			k = ct_utf8_len(u + i, len - i < 4 ? len - i : 4);
			if (k == 0) {
				ct_buf_puts(b, "\\ufffd");
				i++;
			} else {
				ct_buf_append(b, u + i, k);
				i += k;
			}
			continue;
		}
		switch (u[i]) {
		case '"':  ct_buf_puts(b, "\\\""); break;
		case '\\': ct_buf_puts(b, "\\\\"); break;
		case '\b': ct_buf_puts(b, "\\b"); break;
		case '\f': ct_buf_puts(b, "\\f"); break;
		case '\n': ct_buf_puts(b, "\\n"); break;
		case '\r': ct_buf_puts(b, "\\r"); break;
		case '\t': ct_buf_puts(b, "\\t"); break;
		default:
			if (u[i] < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
				ct_buf_puts(b, esc);
			} else {
				ct_buf_append(b, u + i, 1);
			}
		}
		i++;
	}
	ct_buf_puts(b, "\"");
}

/* The CSV cell in two steps, as csv.c wrote it before: clean, then quote. */
static void ref_csv_cell(struct ct_buf *b, const char *s)
{
	struct ct_buf t;

	ct_buf_init(&t);
	ct_buf_csv_safe(&t, s);
	ct_buf_csv_str(b, t.p);
	ct_buf_fini(&t);
}

/* "%.*f" in the C locale without "-0.00". */
static void ref_fixed(struct ct_buf *b, double d, int prec)
{
	char buf[400];

	snprintf(buf, sizeof(buf), "%.*f", prec, d);
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
	ct_buf_puts(b, buf);
}

/*
 * ct_time_iso's result by an independent route: the C library's gmtime_r
 * (proleptic Gregorian, UTC), then the microseconds.
 */
static void ref_time_iso(int64_t us, char *buf, size_t len)
{
	time_t sec;
	struct tm tm;
	char t[96];

	buf[0] = '\0';
	if (us < 0 || len < 28 || us / 1000000 >= INT64_C(253402300800))
		return;
	sec = (time_t)(us / 1000000);
	if (gmtime_r(&sec, &tm) == NULL)
		return;
	snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
	    (unsigned)(us % 1000000));
	if (strlen(t) < len)
		strcpy(buf, t);
}

/* One value as the JSON writer wrote it before (ct_val_json of old). */
static void ref_val_json(struct ct_buf *b, const struct ct_val *v)
{
	char num[32];

	switch (v->kind) {
	case CT_VAL_TEXT: ref_json_str(b, v->s); break;
	case CT_VAL_JSON: ct_buf_puts(b, v->s); break;
	case CT_VAL_INT:
	case CT_VAL_STREAMS:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		ct_buf_puts(b, num);
		break;
	case CT_VAL_REAL: ref_fixed(b, v->d, v->prec); break;
	case CT_VAL_BOOL: ct_buf_puts(b, v->i ? "true" : "false"); break;
	default: ct_buf_puts(b, "null"); break;
	}
}

static void ref_stream_json(struct ct_buf *b, const struct ct_stream_stats *s)
{
	struct ct_val v;
	size_t i;

	ct_buf_puts(b, "{");
	for (i = 0; i < ct_schema_nstreams; i++) {
		ct_schema_stream_value(&ct_schema_streams[i], s, &v);
		ct_buf_puts(b, i > 0 ? ",\"" : "\"");
		ct_buf_puts(b, ct_schema_streams[i].name);
		ct_buf_puts(b, "\":");
		ref_val_json(b, &v);
	}
	ct_buf_puts(b, "}");
}

/* The record's JSON line: the schema's JSON columns in order, one at a time. */
static void ref_record_json(struct ct_buf *b, const struct ct_call_record *r)
{
	const char *sep = "{";
	struct ct_val v;
	size_t i, n;

	for (i = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_JSON))
			continue;
		ct_schema_value(&ct_schema_calls[i], r, &v);
		ct_buf_puts(b, sep);
		sep = ",";
		ct_buf_puts(b, "\"");
		ct_buf_puts(b, ct_schema_calls[i].name);
		ct_buf_puts(b, "\":");
		if (v.kind != CT_VAL_STREAMS) {
			ref_val_json(b, &v);
			continue;
		}
		ct_buf_puts(b, "[");
		for (n = 0; r->streams != NULL && n < r->n_streams; n++) {
			if (n > 0)
				ct_buf_puts(b, ",");
			ref_stream_json(b, &r->streams[n]);
		}
		ct_buf_puts(b, "]");
	}
	ct_buf_puts(b, *sep == '{' ? "{}" : "}");
}

/* The record's CSV row, as csv.c wrote it before. */
static void ref_record_csv(struct ct_buf *b, const struct ct_call_record *r)
{
	const char *sep = "";
	struct ct_val v;
	char num[32];
	size_t i;

	for (i = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_CSV))
			continue;
		ct_schema_value(&ct_schema_calls[i], r, &v);
		ct_buf_puts(b, sep);
		sep = ",";
		switch (v.kind) {
		case CT_VAL_TEXT: ref_csv_cell(b, v.s); break;
		case CT_VAL_JSON: ct_buf_csv_str(b, v.s); break;
		case CT_VAL_INT:
		case CT_VAL_STREAMS:
			snprintf(num, sizeof(num), "%" PRId64, v.i);
			ct_buf_puts(b, num);
			break;
		case CT_VAL_REAL: ref_fixed(b, v.d, v.prec); break;
		case CT_VAL_BOOL: ct_buf_puts(b, v.i ? "true" : "false"); break;
		default: break;
		}
	}
	ct_buf_puts(b, "\n");
}

/* ---- strings ------------------------------------------------------------- */

/* Edge cases for both escapers, with every length from 0 to 40 around them. */
static const char *const hostile[] = {
	"", "a", "ab", "abc", "abcd", "plain ascii text", "exactly-16-bytes",
	"seventeen bytes!!", "quote \" and \\ backslash", "\x01\x1f\b\f\n\r\t\x7f",
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "bad \xff \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80",
	"cut \xe2\x82", "\xc3", "\x80x", "=HYPERLINK(\"http://x\",\"y\")\x1b[2J\x07",
	"+14155550100", "+1415555010a", "+", "+ 1", "-1", "-", "@SUM(A1)", "=1+2", "\t=cmd", "\r=cmd",
	"\x01=x", "\xc2\x85=x", "\xc2\x9f+1", "\xc2\xa0=x", " lead", "trail ", " ", "  ", "a,b",
	"\"", "\"\"", "say \"hi\"", "line\nbreak", "cr\r", "J\xc3\xbcrgen", "\xef\xbb\xbf" "bom",
	"tab\there", "del\x7f", "c1 \xc2\x80 \xc2\x9f end", "x\xc2", "flood-0-7687a66e@100.64.0.1",
	"no response (timer B)", "0123456789abcdef0123456789abcdef0123456789abcdef!",
	"0123456789abcdef0123456789abcdef0123456789abcde\"", ",lead comma", "trail comma,",
	"\xe2\x80\xa8 separator", "\xf4\x8f\xbf\xbf max", "\xf5\x80\x80\x80 beyond",
};

static void check_json_str(const char *s, int *bad)
{
	struct ct_buf a, b;
	size_t n = strlen(s);
	char *d, *e;

	ct_buf_init(&a);
	ct_buf_init(&b);
	ref_json_str(&b, s);
	ct_buf_json_str(&a, s);
	if (strcmp(a.p, b.p) != 0 && (*bad)++ < 5)
		fprintf(stderr, "json_str(\"%s\") = %s, expected %s\n", s, a.p, b.p);
	if (n <= CT_PUT_MAX) {   /* the writer into a reserved room, guarded after it */
		d = malloc(6 * n + 5 + 16);
		if (d != NULL) {
			memset(d, '#', 6 * n + 5 + 16);
			e = ct_json_str_put(d, s, n);
			if (((size_t)(e - d) != b.len || memcmp(d, b.p, b.len) != 0 ||
			    d[6 * n + 5] != '#') && (*bad)++ < 5)
				fprintf(stderr, "json_str_put(\"%s\") differs\n", s);
			free(d);
		}
	}
	ct_buf_fini(&a);
	ct_buf_fini(&b);
}

static void check_csv_cell(const char *s, int *bad)
{
	struct ct_buf a, b, scratch;

	ct_buf_init(&a);
	ct_buf_init(&b);
	ct_buf_init(&scratch);
	ct_buf_puts(&a, "x,");   /* appended after what is there */
	ct_buf_puts(&b, "x,");
	ref_csv_cell(&b, s);
	CHECK_INT(ct_buf_csv_cell(&a, s, &scratch), CT_OK);
	if (strcmp(a.p, b.p) != 0 && (*bad)++ < 5)
		fprintf(stderr, "csv_cell(\"%s\") = [%s], expected [%s]\n", s, a.p, b.p);
	ct_buf_fini(&a);
	ct_buf_fini(&b);
	ct_buf_fini(&scratch);
}

/*
 * Each hostile string alone and inside runs of plain bytes of every length
 * (so that it falls on every place of the 16- and 8-byte scans and their
 * overlapping tails), then random strings biased to the special bytes.
 */
static void test_strings(void)
{
	char s[256];
	uint64_t seed = 7;
	size_t i, pre, post, k, n;
	int bad_j = 0, bad_c = 0;

	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (pre = 0; pre <= 40; pre++) {
			for (post = 0; post <= 20; post += 1 + post / 4) {
				size_t h = strlen(hostile[i]);

				if (pre + h + post >= sizeof(s))
					continue;
				memset(s, 'p', pre);
				memcpy(s + pre, hostile[i], h);
				memset(s + pre + h, 'q', post);
				s[pre + h + post] = '\0';
				check_json_str(s, &bad_j);
				check_csv_cell(s, &bad_c);
				if (pre == 0 && post == 0) {
					/* and as a whole cell: the prefix rules see its first byte */
					check_csv_cell(hostile[i], &bad_c);
				}
			}
		}
	}
	for (i = 0; i < 300000; i++) {
		n = next_rand(&seed) % 90;
		for (k = 0; k < n; k++) {
			unsigned c = (unsigned)(next_rand(&seed) >> 56);
			static const char pick[] = "\"\\,=+-@ \t\r\n\x7f\x01\x1f";

			if (c < 64)
				c = (unsigned char)pick[c % (sizeof(pick) - 1)];
			else if (c < 160)
				c = 'a' + c % 26;
			s[k] = (char)(c == 0 ? 'z' : c);
		}
		s[n] = '\0';
		check_json_str(s, &bad_j);
		check_csv_cell(s, &bad_c);
	}
	CHECK_INT(bad_j, 0);
	CHECK_INT(bad_c, 0);
}

/* Strings longer than one reservation (CT_PUT_MAX): pieces, UTF-8 across their seams. */
static void test_long_strings(void)
{
	static const char *const fill[] = { "a", "\xe2\x82\xac", "\"", "\x01", "\xff", "\xf0\x9f\x98\x80" };
	char *s = malloc(3 * CT_PUT_MAX + 64);
	size_t i, k, n;
	int bad_j = 0, bad_c = 0;

	CHECK(s != NULL);
	if (s == NULL)
		return;
	for (i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		for (k = 0; k < 8; k++) {   /* every alignment of the sequences at the seams */
			n = k;
			memset(s, 'x', k);
			while (n + 4 < 2 * CT_PUT_MAX + 7) {
				memcpy(s + n, fill[i], strlen(fill[i]));
				n += strlen(fill[i]);
			}
			s[n] = '\0';
			check_json_str(s, &bad_j);
			check_csv_cell(s, &bad_c);
		}
	}
	CHECK_INT(bad_j, 0);
	CHECK_INT(bad_c, 0);
	free(s);
}

/* ---- numbers, times, addresses ------------------------------------------- */

static void test_i64(void)
{
	static const int64_t v[] = {
		0, 1, -1, 9, 10, -9, -10, 99, 100, 999, 1000, 9999, 10000, 99999, 100000,
		5060, 65535, 4294967295LL, 4294967296LL, INT64_C(999999999999999999),
		INT64_C(1000000000000000000), INT64_MAX, INT64_MIN, INT64_MIN + 1, -INT64_C(1000000000000),
	};
	char want[32], got[32];
	uint64_t seed = 99;
	size_t i, n;
	int bad = 0;
	struct ct_buf b;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(want, sizeof(want), "%" PRId64, v[i]);
		n = ct_fmt_i64(got, v[i]);
		got[n] = '\0';
		CHECK_STR(got, want);
	}
	for (i = 0; i < 1000000; i++) {
		uint64_t r = next_rand(&seed);
		int64_t x = (int64_t)(r >> (r % 64));

		if (r & 1)
			x = -x;
		snprintf(want, sizeof(want), "%" PRId64, x);
		n = ct_fmt_i64(got, x);
		got[n] = '\0';
		if (strcmp(got, want) != 0 && bad++ < 5)
			fprintf(stderr, "ct_fmt_i64: %s != %s\n", got, want);
	}
	CHECK_INT(bad, 0);
	ct_buf_init(&b);
	ct_buf_puts(&b, "n=");
	CHECK_INT(ct_buf_i64(&b, INT64_MIN), CT_OK);
	CHECK_STR(b.p, "n=-9223372036854775808");
	ct_buf_fini(&b);
}

/* Fixed point near the quick path's edges: ties, .499/.501, 2^40, negatives. */
static void test_fixed_edges(void)
{
	static const double v[] = {
		0.0, -0.0, 0.0005, -0.0005, 0.0015, 0.0025, 1.0005, 2.5, -2.5, 0.4995, 0.50049999,
		0.4990000001, 0.5009999999, 1099511627.7755, 1099511627775.5, 1099511627776.5,
		-1099511627775.4995, 18.333, 12.199, 4.3, 65.4321, 9007199254.740991, -1e-9,
		123456789.123456789, 0.1 + 0.2, 1e15 + 0.5, -7.0005,
	};
	struct ct_buf want;
	char got[64];
	size_t i;
	int prec, bad = 0;

	ct_buf_init(&want);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		for (prec = 0; prec <= 12; prec++) {
			ct_buf_reset(&want);
			ref_fixed(&want, v[i], prec);
			if (!ct_fmt_fixed(v[i], prec, got, sizeof(got)) || strcmp(got, want.p) != 0) {
				if (bad++ < 5)
					fprintf(stderr, "ct_fmt_fixed(%.17g, %d) = %s, expected %s\n",
					    v[i], prec, got, want.p);
			}
			/* the writer into a record's room: the same text, its length returned */
			if (ct_fmt_fixed_len(v[i], prec, got, sizeof(got)) != strlen(want.p) && bad++ < 5)
				fprintf(stderr, "ct_fmt_fixed_len(%.17g, %d): length\n", v[i], prec);
		}
	}
	CHECK_INT(bad, 0);
	ct_buf_fini(&want);
}

/*
 * ct_time_iso against the old arithmetic, through its per-thread cache:
 * the same second again, the next microsecond, second, minute, day, month
 * and year, backwards, far apart, and failures in between (which must not
 * leave a wrong cache behind).
 */
static void test_time_cache(void)
{
	static const int64_t v[] = {
		INT64_C(1699999999999999), INT64_C(1700000000000000), INT64_C(1700000000000001),
		INT64_C(1700000000999999), INT64_C(1700000001000000), INT64_C(1700000000000000),
		INT64_C(1699999999000000), 0, 1, 999999, 1000000, INT64_C(86399999999),
		INT64_C(86400000000), INT64_C(86399999999), -1, CT_TIME_NONE,
		INT64_C(946684799999999), INT64_C(946684800000000), INT64_C(951782399999999),
		INT64_C(951782400000000), INT64_C(951868800000000), INT64_C(4107542399999999),
		INT64_C(4107542400000000), INT64_C(253402300799999999), INT64_C(253402300800000000),
		INT64_C(253402300799999999), INT64_MAX, INT64_C(1700000000123456),
		INT64_C(1700000000123456), INT64_C(1700000060123456), INT64_C(1700003600123456),
		INT64_C(1700086400123456),
	};
	char got[40], want[40];
	uint64_t seed = 5;
	int64_t t = INT64_C(1700000000000000);
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ref_time_iso(v[i], want, sizeof(want));
		strcpy(got, "junk");
		CHECK_STR(ct_time_iso(v[i], got, sizeof(got)), want);
		/* a buffer too small fails and leaves the next call right */
		CHECK_STR(ct_time_iso(v[i], got, 27), "");
	}
	for (i = 0; i < 2000000; i++) {
		uint64_t r = next_rand(&seed);

		switch (r % 8) {
		case 0: t += (int64_t)(r >> 44); break;                  /* microseconds on */
		case 1: t += 1000000 * (int64_t)((r >> 8) % 70); break;   /* seconds */
		case 2: t -= (int64_t)((r >> 8) % 5000000); break;         /* back a little */
		case 3: t += INT64_C(86400000000) * (int64_t)((r >> 8) % 400); break;  /* days */
		case 4: t = (int64_t)((r >> 8) % INT64_C(253402300800000000)); break;  /* anywhere */
		default: break;                                           /* the same again */
		}
		if (t < 0)
			t = 0;
		ref_time_iso(t, want, sizeof(want));
		ct_time_iso(t, got, sizeof(got));
		if (strcmp(got, want) != 0 && bad++ < 5)
			fprintf(stderr, "ct_time_iso(%" PRId64 ") = %s, expected %s\n", t, got, want);
	}
	CHECK_INT(bad, 0);
}

/* Every octet value, and IPv6, as inet_ntop writes them. */
static void test_addr(void)
{
	struct ct_addr a;
	char got[CT_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	unsigned o, p;
	int bad = 0;

	memset(&a, 0, sizeof(a));
	a.family = 4;
	for (o = 0; o < 256; o++) {
		for (p = 0; p < 4; p++) {
			a.a[0] = (uint8_t)(p == 0 ? o : 10);
			a.a[1] = (uint8_t)(p == 1 ? o : 200);
			a.a[2] = (uint8_t)(p == 2 ? o : 0);
			a.a[3] = (uint8_t)(p == 3 ? o : 255);
			inet_ntop(AF_INET, a.a, want, sizeof(want));
			ct_addr_str(&a, got, sizeof(got));
			if (strcmp(got, want) != 0 && bad++ < 5)
				fprintf(stderr, "ct_addr_str: %s != %s\n", got, want);
		}
	}
	a.a[0] = 255;
	a.a[1] = 255;
	a.a[2] = 255;
	a.a[3] = 255;
	CHECK_STR(ct_addr_str(&a, got, 16), "255.255.255.255");
	CHECK_STR(ct_addr_str(&a, got, 15), "");   /* too small: inet_ntop says no too */
	CHECK_INT(bad, 0);
}

/* ---- whole records through the sinks ------------------------------------- */

static char *dup_fill(const char *unit, size_t n)
{
	size_t u = strlen(unit), i;
	char *s = malloc(n * u + 1);

	if (s == NULL)
		abort();
	for (i = 0; i < n; i++)
		memcpy(s + i * u, unit, u);
	s[n * u] = '\0';
	return s;
}

static void set_v4(struct ct_addr *a, uint8_t x, uint8_t y)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 192;
	a->a[1] = x;
	a->a[2] = 2;
	a->a[3] = y;
}

/* Record i of the test set: shapes from empty to hostile; big adds a 70 KB Call-ID. */
static void make_record(struct ct_call_record *r, struct ct_stream_stats *st, size_t i,
    char **owned, bool big)
{
	static const char *const names[] = {
		"Alice", "=HYPERLINK(\"x\")", "Jos\xc3\xa9", "\x1b[2J\x07", "bad \xff utf8",
		" space ", "a,b \"c\"", "+15550001", "-neg", "@at", "\xc2\x85" "c1", "tab\t",
	};
	size_t k = sizeof(names) / sizeof(names[0]);

	memset(r, 0, sizeof(*r));
	r->start_us = r->ringing_us = r->answer_us = r->end_us = CT_TIME_NONE;
	r->q850_cause = -1;
	*owned = NULL;
	if (i % 7 == 0)
		return;   /* the empty record */
	r->call_id = big ? (*owned = dup_fill("0123456789abcde\"", 70 * 1024 / 16)) :
	    (char *)names[(i * 5) % k];
	r->caller = (char *)names[i % k];
	r->caller_name = i % 3 ? (char *)names[(i + 1) % k] : NULL;
	r->callee = (char *)"+14155550100";
	r->agent = i % 2 ? (char *)"201" : NULL;
	set_v4(&r->src_ip, (uint8_t)i, (uint8_t)(i * 7));
	if (i % 5 == 0) {
		memset(&r->dst_ip, 0, sizeof(r->dst_ip));
		r->dst_ip.family = 6;
		r->dst_ip.a[0] = 0x20;
		r->dst_ip.a[1] = 0x01;
		r->dst_ip.a[15] = (uint8_t)i;
	} else {
		set_v4(&r->dst_ip, 0, 10);
	}
	r->src_port = 5060;
	r->dst_port = (uint16_t)(i * 1000);
	r->transport = (uint8_t)(i % 4);
	r->vlan = (uint16_t)(i % 3 == 0 ? 4095 : 0);
	r->start_us = INT64_C(1700000000000000) + (int64_t)i * 999999;
	if (i % 2) {
		r->ringing_us = r->start_us + 1234567;
		r->answer_us = r->start_us + 86400000000;   /* the next day */
	}
	r->end_us = i % 11 == 0 ? CT_TIME_NONE : r->start_us + 86400000000 + (int64_t)i * 333;
	r->final_code = i % 2 ? 200 : 486;
	r->disposition = (enum ct_disposition)(i % 7);
	r->hangup_by = (enum ct_party)(i % 3);
	r->q850_cause = i % 4 ? -1 : 16;
	r->hangup_reason = i % 3 ? (char *)"no response (timer B)" : (char *)names[(i + 3) % k];
	r->direction = (enum ct_direction)(i % 4);
	r->truncated = i % 2;
	r->auth_challenges = i % 9 == 0 ? 4294967295u : (unsigned)i % 3;
	r->invites = 1;
	r->has_capture_drops = i % 4 == 1;
	r->capture_drops = i % 8 == 1 ? UINT64_MAX : i;   /* as int64: -1 */
	r->sensor = (char *)"vm";
	r->caller_number = i % 2 ? (char *)"+15550001" : NULL;
	r->callee_number = (char *)"+14155550100";
	r->has_history = i % 3 == 1;
	r->first_call = i % 2;
	r->repeat_count = (uint32_t)i;
	r->has_callback = i % 5 == 2;
	r->callback_us = (int64_t)i * 1000123 - 3000000;   /* some negative: null */
	r->evicted = i % 13 == 0;
	r->start_unseen = i % 17 == 0;
	r->cut_fields = i % 6 == 0 ? 0x3f : (uint32_t)(i % 4);
	r->answered_by = (enum ct_answered_by)(i % 6);
	r->utm_source = i % 4 == 3 ? (char *)"news,letter" : NULL;
	if (i % 3 == 2) {
		memset(st, 0, 2 * sizeof(*st));
		set_v4(&st[0].src, 1, 2);
		st[0].sport = 40000;
		st[0].ssrc = 0x1234abcd;
		st[0].payload_type = 0;
		strcpy(st[0].codec, "PCMU");
		st[0].packets = 1500;
		st[0].lost = -2;
		st[0].loss_pct = 2.675;
		st[0].max_jitter_ms = 1.0005;
		st[0].mean_jitter_ms = 0.4995;
		st[0].mos = 4.3;
		strcpy(st[0].dtmf, "12#");
		st[1].src.family = 6;
		st[1].src.a[0] = 0x20;
		st[1].src.a[15] = 7;
		st[1].sport = 65535;
		st[1].payload_type = -1;
		st[1].ssrc = 0xfedcba09;
		strcpy(st[1].codec, "G\"7,22");
		st[1].max_delta_ms = 123456.789;
		r->streams = st;
		r->n_streams = 2;
	}
}

static char *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	*len = 0;
	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (p = malloc((size_t)n + 1)) != NULL) {
		*len = fread(p, 1, (size_t)n, f);
		p[*len] = '\0';
	}
	fclose(f);
	return p;
}

/*
 * 3000 records (several times CT_OUTFILE_RECS and CT_OUTFILE_BUF) and one
 * larger than the buffer, through the JSON and CSV sinks into files: each
 * file is the oracle's text, line for line.  ct_record_json and
 * ct_stream_json (no precomputed keys) agree too.
 */
static void test_records(void)
{
	char path[] = "/tmp/ct_recfast_XXXXXX", jpath[64], cpath[64], err[CT_ERRBUF_SIZE];
	struct ct_sink_args args = { 0 };
	struct ct_stream_stats st[2];
	struct ct_call_record r;
	struct ct_buf wj, wc, one, ref;
	size_t i, n, len;
	char *owned, *got;
	void *js, *cs;
	int fd = mkstemp(path), bad = 0;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
	snprintf(jpath, sizeof(jpath), "%s.json", path);
	snprintf(cpath, sizeof(cpath), "%s.csv", path);
	args.target = jpath;
	js = ct_sink_json.open(&args, err);
	args.target = cpath;
	cs = ct_sink_csv.open(&args, err);
	CHECK(js != NULL && cs != NULL);
	if (js == NULL || cs == NULL)
		return;
	ct_buf_init(&wj);
	ct_buf_init(&wc);
	ct_buf_init(&one);
	ct_buf_init(&ref);
	/* the CSV header: the names of the CSV columns */
	for (i = n = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_CSV))
			continue;
		ct_buf_puts(&wc, n++ > 0 ? "," : "");
		ct_buf_csv_str(&wc, ct_schema_calls[i].name);
	}
	ct_buf_puts(&wc, "\n");
	for (i = 0; i < 3000; i++) {
		make_record(&r, st, i, &owned, i == 1234);
		ref_record_json(&wj, &r);
		ct_buf_puts(&wj, "\n");
		ref_record_csv(&wc, &r);
		CHECK_INT(ct_sink_json.write(js, &r, err), CT_OK);
		CHECK_INT(ct_sink_csv.write(cs, &r, err), CT_OK);
		if (i < 200) {
			ct_buf_reset(&one);
			ct_buf_reset(&ref);
			ct_buf_puts(&one, "[");   /* appended after what is there */
			ct_buf_puts(&ref, "[");
			CHECK_INT(ct_record_json(&r, &one), CT_OK);
			ref_record_json(&ref, &r);
			if (strcmp(one.p, ref.p) != 0 && bad++ < 3)
				fprintf(stderr, "ct_record_json:\n%s\nexpected\n%s\n", one.p, ref.p);
			if (r.streams != NULL) {
				ct_buf_reset(&one);
				ct_buf_reset(&ref);
				ct_stream_json(&r.streams[1], &one);
				ref_stream_json(&ref, &r.streams[1]);
				CHECK_STR(one.p, ref.p);
			}
		}
		free(owned);
	}
	CHECK_INT(bad, 0);
	CHECK_INT(ct_sink_json.close(js, err), CT_OK);
	CHECK_INT(ct_sink_csv.close(cs, err), CT_OK);
	CHECK(!wj.oom && !wc.oom);
	got = read_all(jpath, &len);
	CHECK(got != NULL && len == wj.len && memcmp(got, wj.p, len) == 0);
	if (got != NULL && (len != wj.len || memcmp(got, wj.p, len) != 0)) {
		for (i = 0; i < len && i < wj.len && got[i] == wj.p[i]; i++)
			;
		fprintf(stderr, "JSON file differs at byte %zu: ...%.80s\nexpected ...%.80s\n", i,
		    got + (i > 20 ? i - 20 : 0), wj.p + (i > 20 ? i - 20 : 0));
	}
	free(got);
	got = read_all(cpath, &len);
	CHECK(got != NULL && len == wc.len && memcmp(got, wc.p, len) == 0);
	if (got != NULL && (len != wc.len || memcmp(got, wc.p, len) != 0)) {
		for (i = 0; i < len && i < wc.len && got[i] == wc.p[i]; i++)
			;
		fprintf(stderr, "CSV file differs at byte %zu: ...%.80s\nexpected ...%.80s\n", i,
		    got + (i > 20 ? i - 20 : 0), wc.p + (i > 20 ? i - 20 : 0));
	}
	free(got);
	unlink(jpath);
	unlink(cpath);
	ct_buf_fini(&wj);
	ct_buf_fini(&wc);
	ct_buf_fini(&one);
	ct_buf_fini(&ref);
}

/* The slot of every key holds ,"name":null and its length; no name is too long. */
static void test_keys(void)
{
	struct ct_json_keys k;
	char want[64];
	size_t i;

	CHECK_INT(ct_json_keys_init(&k), CT_OK);
	for (i = 0; i < ct_schema_ncalls; i++) {
		if (!(ct_schema_calls[i].outputs & CT_OUT_JSON)) {
			CHECK_INT(CT_JSON_KEY_LEN(&k.key[i]), 0);
			continue;
		}
		snprintf(want, sizeof(want), ",\"%s\":null", ct_schema_calls[i].name);
		CHECK(strncmp(k.key[i].text, want, strlen(want)) == 0);
		CHECK_INT(CT_JSON_KEY_LEN(&k.key[i]), strlen(want) - 4);
	}
	for (i = 0; i < ct_schema_nstreams; i++)
		CHECK(CT_JSON_KEY_LEN(&k.key[ct_schema_ncalls + i]) > 0);
	ct_json_keys_fini(&k);
}

int main(void)
{
	test_strings();
	test_long_strings();
	test_i64();
	test_fixed_edges();
	test_time_cache();
	test_addr();
	test_keys();
	test_records();
	return TEST_REPORT();
}
