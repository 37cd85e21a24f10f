/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hand-written record formatters (issue 16, "cheaper records") give the
 * same bytes as the printf-based ones they replace: ct_fmt_fixed against
 * snprintf("%.*f") (ties, carries, negative zero, huge and tiny values, and
 * a million pseudo-random values), the JSON sink's precomputed keys against
 * ct_record_json, the escaped-string writer against a byte-by-byte
 * reference, and stream endpoints / SSRC text.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/record.h"
#include "calltap/schema.h"
#include "calltap/sink.h"
#include "calltap/sip.h"
#include "../../src/sink/record_int.h"
#include "test.h"

/* The reference: "%.*f" in the C locale, "-0.00" without its sign. */
static void ref_fixed(double d, int prec, char *buf, size_t len)
{
	snprintf(buf, len, "%.*f", prec, d);
	if (buf[0] == '-' && strspn(buf + 1, "0.") == strlen(buf + 1))
		memmove(buf, buf + 1, strlen(buf));
}

/* xorshift64*: deterministic values for the comparison. */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * UINT64_C(2685821657736338717);
}

static void test_fixed(void)
{
	static const struct { double d; int prec; const char *want; } v[] = {
		{ 0.5, 0, "0" }, { 1.5, 0, "2" }, { 2.5, 0, "2" }, { 3.5, 0, "4" },
		{ 0.125, 2, "0.12" }, { 0.375, 2, "0.38" }, { 0.0625, 3, "0.062" },
		{ 2.675, 2, "2.67" },            /* 2.67499999... in binary */
		{ 1.0005, 3, "1.000" },          /* 1.000499999... */
		{ 0.9995, 3, "1.000" },          /* 0.99950000000000005... */
		{ 0.99951, 3, "1.000" },         /* carry into the integer part */
		{ 9.9999999, 2, "10.00" },
		{ 65.4321, 3, "65.432" }, { 4.3, 2, "4.30" }, { 0.1, 2, "0.10" },
		{ -0.0004, 3, "0.000" }, { -0.0, 3, "0.000" }, { -1.25, 1, "-1.2" },
		{ -1.35, 1, "-1.4" }, { 0, 0, "0" }, { 5e-324, 3, "0.000" },
		{ 1e-300, 9, "0.000000000" }, { 123456789.123456789, 9, "123456789.123456791" },
		{ 1e15, 3, "1000000000000000.000" },          /* beyond 2^53 / 10^3: printf */
		{ 1e300, 2, NULL },                            /* printf path, checked by reference */
		{ 0.5, 12, "0.500000000000" },                 /* prec beyond the fast path */
	};
	char got[400], want[400];
	uint64_t seed = 0x9e3779b97f4a7c15u;
	size_t i;
	int bad = 0;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ref_fixed(v[i].d, v[i].prec, want, sizeof(want));
		CHECK(ct_fmt_fixed(v[i].d, v[i].prec, got, sizeof(got)));
		CHECK_STR(got, want);
		if (v[i].want != NULL)
			CHECK_STR(got, v[i].want);
	}
	CHECK(!ct_fmt_fixed(NAN, 2, got, sizeof(got)));
	CHECK_STR(got, "");
	CHECK(!ct_fmt_fixed(-INFINITY, 2, got, sizeof(got)));
	CHECK(!ct_fmt_fixed(123.456, 3, got, 7));   /* "123.456" needs 8 bytes */
	CHECK_STR(got, "");
	CHECK(ct_fmt_fixed(123.456, 3, got, 8));
	CHECK_STR(got, "123.456");
	/* Random magnitudes 1e-12 .. 1e16, both signs, exact decimal ties too. */
	for (i = 0; i < 1000000; i++) {
		uint64_t r = next_rand(&seed);
		int prec = (int)(r % 10);
		double d;

		if (i % 4 == 0)   /* k / 2^j: exactly representable, often a tie */
			d = (double)(int64_t)(r >> 40) / (double)(UINT64_C(1) << (r >> 4) % 20);
		else
			d = ldexp((double)(r >> 11), (int)((r >> 5) % 100) - 106);
		if (r & 1)
			d = -d;
		ref_fixed(d, prec, want, sizeof(want));
		if (!ct_fmt_fixed(d, prec, got, sizeof(got)) || strcmp(got, want) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "ct_fmt_fixed(%.17g, %d) = \"%s\", expected \"%s\"\n",
				    d, prec, got, want);
		}
	}
	CHECK_INT(bad, 0);
}

/* The reference JSON string writer: byte by byte, as RFC 8259 §7 and buf.h say. */
static void ref_json_str(struct ct_buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, k;
	char esc[8];

	ct_buf_puts(b, "\"");
	while (i < len) {
		if (u[i] >= 0x80) {
			k = ct_utf8_len(u + i, len - i);
			if (k == 0) {
				ct_buf_puts(b, "\\ufffd");
				i++;
			} else {
				ct_buf_append(b, u + i, k);
				i += k;
			}
			continue;
		}
		if (u[i] == '"' || u[i] == '\\') {
			esc[0] = '\\';
			esc[1] = (char)u[i];
			ct_buf_append(b, esc, 2);
		} else if (u[i] < 0x20) {
			const char *sh = strchr("\bb\ff\nn\rr\tt", u[i]);

			if (sh != NULL && ((sh - "\bb\ff\nn\rr\tt") % 2) == 0) {
				esc[0] = '\\';
				esc[1] = sh[1];
				ct_buf_append(b, esc, 2);
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
				ct_buf_append(b, esc, 6);
			}
		} else {
			ct_buf_append(b, u + i, 1);
		}
		i++;
	}
	ct_buf_puts(b, "\"");
}

static void test_json_str(void)
{
	static const char *const v[] = {
		"", "plain ascii", "quote \" and \\ backslash", "\x01\x1f\b\f\n\r\t\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "bad \xff \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80",
		"cut \xe2\x82", "\xc3", "=HYPERLINK(\"x\")\x1b[2J\x07",
	};
	struct ct_buf a, b;
	uint64_t seed = 42;
	char s[64];
	size_t i, k;
	int bad = 0;

	ct_buf_init(&a);
	ct_buf_init(&b);
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		ct_buf_reset(&a);
		ct_buf_reset(&b);
		ct_buf_json_str(&a, v[i]);
		ref_json_str(&b, v[i]);
		CHECK_STR(a.p, b.p);
	}
	for (i = 0; i < 200000; i++) {   /* random bytes, biased to the interesting ones */
		uint64_t r = next_rand(&seed);
		size_t n = r % (sizeof(s) - 1);

		for (k = 0; k < n; k++) {
			unsigned c = (unsigned)(next_rand(&seed) >> 56);

			s[k] = (char)(c == 0 ? 'a' : (c & 0x60) == 0x60 ? 'x' : c);
		}
		s[n] = '\0';
		ct_buf_reset(&a);
		ct_buf_reset(&b);
		ct_buf_json_str(&a, s);
		ref_json_str(&b, s);
		if (strcmp(a.p, b.p) != 0 && bad++ < 3)
			fprintf(stderr, "json_str: \"%s\" != \"%s\"\n", a.p, b.p);
	}
	CHECK_INT(bad, 0);
	ct_buf_fini(&a);
	ct_buf_fini(&b);
}

static void set_v4(struct ct_addr *a, uint8_t last)
{
	memset(a, 0, sizeof(*a));
	a->family = 4;
	a->a[0] = 192;
	a->a[1] = 0;
	a->a[2] = 2;
	a->a[3] = last;
}

/* Precomputed keys give ct_record_json's text, for empty and full records. */
static void test_json_keys(void)
{
	struct ct_call_record r;
	struct ct_stream_stats st[2];
	struct ct_json_keys k;
	struct ct_buf a, b;
	int shape;

	CHECK_INT(ct_json_keys_init(&k), CT_OK);
	ct_buf_init(&a);
	ct_buf_init(&b);
	for (shape = 0; shape < 3; shape++) {
		memset(&r, 0, sizeof(r));
		memset(st, 0, sizeof(st));
		r.start_us = r.ringing_us = r.answer_us = r.end_us = CT_TIME_NONE;
		r.q850_cause = -1;
		if (shape > 0) {
			r.call_id = (char *)"id@x";
			r.caller = (char *)"+1555\"q\"";
			set_v4(&r.src_ip, 10);
			r.src_port = 5060;
			r.start_us = INT64_C(1709296496123456);
			r.end_us = r.start_us + 65432100;
			r.disposition = CT_DISP_ANSWERED;
		}
		if (shape == 2) {
			set_v4(&st[0].src, 1);
			memset(&st[1].src, 0, sizeof(st[1].src));
			st[1].src.family = 6;
			st[1].src.a[0] = 0x20;
			st[1].src.a[15] = 7;
			st[0].sport = 40000;
			st[1].sport = 65535;
			st[0].ssrc = 0x1234abcd;
			st[1].ssrc = 0xfedcba09;
			st[0].mos = 4.3;
			st[1].loss_pct = 2.675;
			r.streams = st;
			r.n_streams = 2;
		}
		ct_buf_reset(&a);
		ct_buf_reset(&b);
		CHECK_INT(ct_record_json_keys(&r, &a, &k), CT_OK);
		CHECK_INT(ct_record_json(&r, &b), CT_OK);
		CHECK_STR(a.p, b.p);
		CHECK(a.p[0] == '{' && a.p[1] == '"' && a.p[a.len - 1] == '}');
	}
	/* Endpoints and SSRC, formatted by hand. */
	CHECK(strstr(a.p, "\"src\":\"192.0.2.1:40000\"") != NULL);
	CHECK(strstr(a.p, "\"src\":\"[2000::7]:65535\"") != NULL);
	CHECK(strstr(a.p, "\"ssrc\":\"0x1234ABCD\"") != NULL);
	CHECK(strstr(a.p, "\"ssrc\":\"0xFEDCBA09\"") != NULL);
	CHECK(strstr(a.p, "\"loss_pct\":2.67") != NULL);
	ct_buf_fini(&a);
	ct_buf_fini(&b);
	ct_json_keys_fini(&k);
	ct_json_keys_fini(&k);   /* a second fini is a no-op */
}

/*
 * The SQLite sink leaves a parameter that stays null unbound between rows:
 * a column going text -> null -> null -> text -> null must store exactly that.
 */
static void test_sqlite_nulls(void)
{
	static const char *const names[] = { "A", NULL, NULL, "B", NULL, "C" };
	struct ct_sink_args args = { 0 };
	char path[] = "/tmp/ct_recfmt_XXXXXX", db[64], err[CT_ERRBUF_SIZE];
	struct ct_call_record r;
	sqlite3_stmt *st;
	sqlite3 *h;
	void *p;
	size_t i;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
	snprintf(db, sizeof(db), "%s.db", path);
	args.target = db;
	p = ct_sink_sqlite.open(&args, err);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char id[16];

		memset(&r, 0, sizeof(r));
		snprintf(id, sizeof(id), "c%zu", i);
		r.call_id = id;
		r.caller = (char *)"100";
		r.caller_name = (char *)names[i];
		r.start_us = INT64_C(1709296496123456) + (int64_t)i;
		r.ringing_us = r.answer_us = CT_TIME_NONE;
		r.end_us = i % 2 ? CT_TIME_NONE : r.start_us + 1500000;
		r.q850_cause = i % 3 ? -1 : 16;
		CHECK_INT(ct_sink_sqlite.write(p, &r, err), CT_OK);
	}
	CHECK_INT(ct_sink_sqlite.close(p, err), CT_OK);
	CHECK_INT(sqlite3_open(db, &h), SQLITE_OK);
	CHECK_INT(sqlite3_prepare_v2(h, "SELECT call_id, caller_name, duration_s, q850_cause "
	    "FROM calls ORDER BY call_id", -1, &st, NULL), SQLITE_OK);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK_INT(sqlite3_step(st), SQLITE_ROW);
		CHECK_STR((const char *)sqlite3_column_text(st, 1), names[i]);
		CHECK_INT(sqlite3_column_type(st, 2), i % 2 ? SQLITE_NULL : SQLITE_FLOAT);
		CHECK_INT(sqlite3_column_type(st, 3), i % 3 ? SQLITE_NULL : SQLITE_INTEGER);
	}
	CHECK_INT(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(h);
	unlink(db);
	snprintf(db, sizeof(db), "%s.db-wal", path);
	unlink(db);
	snprintf(db, sizeof(db), "%s.db-shm", path);
	unlink(db);
}

int main(void)
{
	test_sqlite_nulls();
	test_fixed();
	test_json_str();
	test_json_keys();
	return TEST_REPORT();
}
