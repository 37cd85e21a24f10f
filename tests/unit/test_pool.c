/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the number-pool lease log (src/attr/pool.c) and its use by
 * the attribution stage: ISO 8601 times, lookups (overlaps: the latest
 * leased_from wins; from inclusive, until exclusive; open-ended leases;
 * numbers in any format), a line replacing the lease of the same number
 * and start, malformed lines counted with their line numbers, lines
 * appended while running (at most one read a second, a partial last line
 * waits), rotation and truncation, the lease cap, expiry on the capture
 * clock, and ct_attr_enrich: session fields, utm_source/utm_campaign over
 * the static source with per-field fallback, calls outside any lease.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "calltap/attr.h"
#include "calltap/err.h"
#include "calltap/record.h"
#include "test.h"

#define SEC INT64_C(1000000)
#define HOUR (3600 * SEC)

static char tmpdir[64];

/* The pool's messages (log.h): counted, the first kept. */
static unsigned n_said;
static char first_said[256];

static void on_say(void *user, enum ct_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	if (n_said++ == 0)
		snprintf(first_said, sizeof(first_said), "%s", msg);
}

static const struct ct_log say = { on_say, NULL };

static const char *tmp_path(const char *name)
{
	static char path[4][128];
	static int next;
	char *p = path[next++ & 3];

	snprintf(p, sizeof(path[0]), "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const char *mode, const char *text)
{
	FILE *fp = fopen(path, mode);

	if (fp != NULL) {
		fputs(text, fp);
		fclose(fp);
	}
}

/* Microseconds of an ISO time (the parser under test, checked first). */
static int64_t T(const char *iso)
{
	int64_t us = 0;

	if (ct_pool_parse_time(iso, &us) != CT_OK)
		fprintf(stderr, "bad time in test: %s\n", iso);
	return us;
}

static const char *session_at(struct ct_pool *p, const char *number, const char *iso)
{
	char norm[CT_NUMBER_MAX];
	const struct ct_lease *l;

	if (ct_number_norm(number, "380", norm, sizeof(norm)) != CT_OK)
		return "(not a number)";
	l = ct_pool_find(p, norm, T(iso));
	return l == NULL ? NULL : l->f[CT_LEASE_SESSION_ID] != NULL ? l->f[CT_LEASE_SESSION_ID] : "";
}

static void test_times(void)
{
	static const struct { const char *in; int64_t us; int rc; } v[] = {
		{ "1970-01-01T00:00:00Z", 0, CT_OK },
		{ "2024-03-01T10:00:00Z", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01 10:00:00", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01T12:00:00+02:00", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01T12:00:00+0200", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01T12:00+02", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01T05:00:00-05:00", INT64_C(1709287200) * SEC, CT_OK },
		{ "2024-03-01T10:00:00.25Z", INT64_C(1709287200) * SEC + 250000, CT_OK },
		{ "2024-02-29T00:00:00Z", INT64_C(1709164800) * SEC, CT_OK },
		{ "2023-02-29T00:00:00Z", 0, CT_ERR },
		{ "2024-04-31T00:00:00Z", 0, CT_ERR },
		{ "2024-03-01T24:00:00Z", 0, CT_ERR },
		{ "2024-03-01", 0, CT_ERR },
		{ "2024-03-01T10:00:00Zjunk", 0, CT_ERR },
		{ "2024-3-01T10:00:00Z", 0, CT_ERR },
		{ "", 0, CT_ERR },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int64_t us = 0;
		int rc = ct_pool_parse_time(v[i].in, &us);

		CHECK_INT(rc, v[i].rc);
		if (rc == CT_OK && v[i].rc == CT_OK && us != v[i].us)
			fprintf(stderr, "time %s: %lld\n", v[i].in, (long long)us);
		if (v[i].rc == CT_OK)
			CHECK_INT(us, v[i].us);
	}
}

static const char header[] = "number,session_id,visitor_id,client_id,utm_source,utm_medium,"
    "utm_campaign,utm_term,utm_content,click_id,leased_from,leased_until\n";

static void test_lookup(void)
{
	char err[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("leases1.csv");
	struct ct_pool_stats st;
	struct ct_pool *p;
	char norm[CT_NUMBER_MAX];
	const struct ct_lease *l;

	write_file(path, "w", header);
	write_file(path, "a",
	    /* line 2: 10:00-10:30 */
	    "+380 44 100-00-01,s1,v1,c1,google,cpc,spring,shoes,ad1,gclid1,2024-03-01T10:00:00Z,2024-03-01T10:30:00Z\n"
	    /* line 3: overlaps from 10:20 (later start wins in 10:20-10:30) */
	    "0441000001,s2,v2,,facebook,,,,,,2024-03-01T12:20:00+02:00,2024-03-01T11:00:00Z\n"
	    /* line 4: another number, open-ended */
	    "380441000002,s3,,,bing,cpc,\"brand, exact\",,,,2024-03-01T09:00:00Z,\n"
	    "\n"
	    /* line 6: replaces line 2 (same number and start): ends at 10:40 now */
	    "380441000001,s1b,v1,c1,google,cpc,spring,shoes,ad1,gclid1,2024-03-01T10:00:00Z,2024-03-01T10:40:00Z\n");
	p = ct_pool_open(path, "380", 0, &say, err);
	CHECK(p != NULL);
	if (p == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.lines, 4);
	CHECK_INT(st.leases, 3);
	CHECK_INT(st.replaced, 1);
	CHECK_INT(st.bad, 0);
	/* boundaries: from inclusive, until exclusive */
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T09:59:59Z"), NULL);
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:00:00Z"), "s1b");
	CHECK_STR(session_at(p, "+380441000001", "2024-03-01T10:19:59Z"), "s1b");
	/* overlap: the latest leased_from */
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:20:00Z"), "s2");
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:39:00Z"), "s2");
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:59:59.999999Z"), "s2");
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T11:00:00Z"), NULL);
	/* open-ended */
	CHECK_STR(session_at(p, "sip:+380441000002@pbx", "2024-03-01T09:00:00Z"), "s3");
	CHECK_STR(session_at(p, "0441000002", "2024-03-09T09:00:00Z"), "s3");
	CHECK_STR(session_at(p, "0441000002", "2024-03-01T08:59:59Z"), NULL);
	/* no lease at all for the number */
	CHECK_STR(session_at(p, "0441000003", "2024-03-01T10:00:00Z"), NULL);
	/* the fields, empty ones NULL, quoted comma kept */
	ct_number_norm("0441000002", "380", norm, sizeof(norm));
	l = ct_pool_find(p, norm, T("2024-03-01T10:00:00Z"));
	CHECK(l != NULL);
	if (l != NULL) {
		CHECK_STR(l->f[CT_LEASE_UTM_SOURCE], "bing");
		CHECK_STR(l->f[CT_LEASE_UTM_CAMPAIGN], "brand, exact");
		CHECK_STR(l->f[CT_LEASE_VISITOR_ID], NULL);
		CHECK_INT(l->line, 4);
	}
	CHECK_STR(ct_lease_field_name(CT_LEASE_CLICK_ID), "click_id");
	ct_pool_free(p);
}

static void test_bad_lines(void)
{
	char err[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("leases2.csv");
	struct ct_pool_stats st;
	struct ct_pool *p;

	/* columns in another order, some absent, an unknown one ignored */
	write_file(path, "w",
	    "leased_until,Number,extra,leased_from,utm_source\r\n"                      /* 1 */
	    "2024-03-01T11:00:00Z,0441000001,x,2024-03-01T10:00:00Z,google\r\n"         /* 2 ok */
	    "2024-03-01T11:00:00Z,anonymous,x,2024-03-01T10:00:00Z,google\n"            /* 3 number */
	    "2024-03-01T11:00:00Z,0441000001,x,yesterday,google\n"                      /* 4 from */
	    "2024-03-01T09:00:00Z,0441000001,x,2024-03-01T10:00:00Z,google\n"           /* 5 until < from */
	    "2024-03-01T11:00:00Z,0441000001,x,2024-03-01T10:30:00Z,\"goo\"gle\n"       /* 6 quote */
	    "2024-03-01T11:00:00Z,0441000004,x,2024-03-01T10:30:00Z,bing\n"             /* 7 ok */
	    "2024-03-01T11:00:00Z,0441000005,x,2024-03-01T10:30:00Z,\"unterminated\n"); /* 8 */
	n_said = 0;
	p = ct_pool_open(path, "380", 0, &say, err);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.leases, 2);
	CHECK_INT(st.bad, 5);
	/* the bad lines are said through the caller's log, never on stderr */
	CHECK_INT(n_said, 5);
	CHECK(strstr(first_said, "leases2.csv:3: ") != NULL && strstr(first_said, "line skipped"));
	CHECK_INT(st.bad_line[0], 3);
	CHECK_INT(st.bad_line[1], 4);
	CHECK_INT(st.bad_line[2], 5);
	CHECK_INT(st.bad_line[3], 6);
	CHECK_INT(st.bad_line[4], 8);
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:45:00Z"), "");
	ct_pool_free(p);

	/* a first line that is not a header is refused at open, with its line */
	write_file(path, "w", "0441000001,s1,2024-03-01T10:00:00Z\n");
	CHECK(ct_pool_open(path, "380", 0, &say, err) == NULL);
	CHECK(strstr(err, "leases2.csv:1: no header row") != NULL);
	write_file(path, "w", "number,leased_from\n");
	CHECK(ct_pool_open(path, "380", 0, &say, err) == NULL);
	CHECK(strstr(err, ":1: the header must name number, leased_from and leased_until") != NULL);
	CHECK(ct_pool_open(tmp_path("missing.csv"), "380", 0, &say, err) == NULL);
	CHECK(strstr(err, "cannot open leases file") != NULL);
}

static void test_follow(void)
{
	char err[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("leases3.csv");
	char old[160];
	struct ct_pool_stats st;
	struct ct_pool *p;

	write_file(path, "w", "number,session_id,leased_from,leased_until\n"
	    "0441000001,a1,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n");
	p = ct_pool_open(path, "380", 0, &say, err);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	CHECK_INT(ct_pool_refresh(p, 1000), CT_OK);
	/* appended: one complete line and a partial one */
	write_file(path, "a", "0441000002,a2,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n"
	    "0441000003,a3,2024-03-01T10:00");
	CHECK_INT(ct_pool_refresh(p, 1500), CT_OK);        /* too soon: not read */
	CHECK_STR(session_at(p, "0441000002", "2024-03-01T10:10:00Z"), NULL);
	CHECK_INT(ct_pool_refresh(p, 2000), CT_OK);
	CHECK_STR(session_at(p, "0441000002", "2024-03-01T10:10:00Z"), "a2");
	CHECK_STR(session_at(p, "0441000003", "2024-03-01T10:10:00Z"), NULL);   /* waits */
	write_file(path, "a", ":00Z,2024-03-01T11:00:00Z\n");
	ct_pool_refresh(p, 3000);
	CHECK_STR(session_at(p, "0441000003", "2024-03-01T10:10:00Z"), "a3");
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.leases, 3);
	CHECK_INT(st.bad, 0);
	/* a line growing past 16384 bytes over two reads: dropped, counted as line 5 */
	{
		char *big = malloc(12001);

		if (big != NULL) {
			memset(big, 'x', 12000);
			big[12000] = '\0';
			write_file(path, "a", "0441000008,");
			write_file(path, "a", big);
			ct_pool_refresh(p, 3500);
			write_file(path, "a", big);
			write_file(path, "a", ",2024-03-01T10:00:00Z,\n0441000009,a9,2024-03-01T10:00:00Z,\n");
			ct_pool_refresh(p, 4000);
			free(big);
		}
	}
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.bad, 1);
	CHECK_INT(st.bad_line[0], 5);
	CHECK_STR(session_at(p, "0441000009", "2024-03-01T10:10:00Z"), "a9");

	/* rotated: the old file renamed, a new one (its own header order) */
	snprintf(old, sizeof(old), "%s.1", path);
	CHECK_INT(rename(path, old), 0);
	write_file(old, "a", "0441000004,a4,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n");
	write_file(path, "w", "session_id,number,leased_from,leased_until\n"
	    "b5,0441000005,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n"
	    "b6,0441000006,2024-03-01T10:00:00Z,bad\n");
	ct_pool_refresh(p, 5000);
	CHECK_STR(session_at(p, "0441000004", "2024-03-01T10:10:00Z"), "a4");   /* old file's tail */
	CHECK_STR(session_at(p, "0441000005", "2024-03-01T10:10:00Z"), "b5");
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.reopened, 1);
	CHECK_INT(st.bad, 2);
	CHECK_INT(st.bad_line[1], 3);          /* line 3 of the new file */
	/* truncated (copytruncate): lines without a header keep the columns */
	write_file(path, "w", "b7,0441000007,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n");
	ct_pool_refresh(p, 6000);
	CHECK_STR(session_at(p, "0441000007", "2024-03-01T10:10:00Z"), "b7");
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.reopened, 2);
	CHECK_INT(st.leases, 7);
	ct_pool_free(p);
	unlink(old);
}

static void test_bounds(void)
{
	char err[CT_ERRBUF_SIZE] = "";
	const char *path = tmp_path("leases4.csv");
	struct ct_pool_stats st;
	struct ct_pool *p;

	write_file(path, "w", "number,session_id,leased_from,leased_until\n"
	    "0441000001,old,2024-03-01T10:00:00Z,2024-03-01T11:00:00Z\n"
	    "0441000001,open1,2024-03-01T12:00:00Z,\n"
	    "0441000001,open2,2024-03-01T13:00:00Z,\n"
	    "0441000002,x,2024-03-05T10:00:00Z,2024-03-05T11:00:00Z\n"
	    "0441000003,refused,2024-03-05T10:00:00Z,2024-03-05T11:00:00Z\n");
	p = ct_pool_open(path, "380", 4, &say, err);
	CHECK(p != NULL);
	if (p == NULL)
		return;
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.leases, 4);
	CHECK_INT(st.refused, 1);
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T10:30:00Z"), "old");
	CHECK_STR(session_at(p, "0441000001", "2024-03-01T12:30:00Z"), "open1");
	CHECK_STR(session_at(p, "0441000001", "2024-03-02T12:30:00Z"), "open2");
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.expired, 0);
	/* the capture clock 3 days later: "old" ended > 48 h ago, "open1" was
	 * superseded by "open2" > 48 h ago; "open2" stays */
	CHECK_STR(session_at(p, "0441000002", "2024-03-05T10:30:00Z"), "x");
	ct_pool_get_stats(p, &st);
	CHECK_INT(st.expired, 2);
	CHECK_INT(st.leases, 2);
	CHECK_STR(session_at(p, "0441000001", "2024-03-05T10:30:00Z"), "open2");
	ct_pool_free(p);
}

static struct ct_call_record *call(const char *callee, const char *iso)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));

	r->call_id = strdup("c1");
	r->caller = strdup("+380671234567");
	r->callee = strdup(callee);
	r->start_us = T(iso);
	r->end_us = r->start_us + 60 * SEC;
	r->answer_us = r->ringing_us = CT_TIME_NONE;
	r->disposition = CT_DISP_NOANSWER;
	return r;
}

static void test_attr(void)
{
	char err[CT_ERRBUF_SIZE] = "";
	struct ct_attr_cfg cfg;
	struct ct_attr *a;
	struct ct_call_record *r;
	const char *leases = tmp_path("leases5.csv"), *numbers = tmp_path("numbers5.csv");

	write_file(numbers, "w", "number,source,campaign\n"
	    "0441000001,pool,static-campaign\n"
	    "0441000009,radio,morning\n");
	write_file(leases, "w", header);
	write_file(leases, "a",
	    "0441000001,s1,v1,c1,google,cpc,spring,kw,ad,g1,2024-03-01T10:00:00Z,2024-03-01T10:30:00Z\n"
	    "0441000001,s2,v2,c2,newsletter,email,,,,,2024-03-01T11:00:00Z,2024-03-01T11:30:00Z\n"
	    "0441000001,s3,,,,,,,,,2024-03-01T12:00:00Z,2024-03-01T12:30:00Z\n");
	ct_attr_cfg_default(&cfg);
	cfg.numbers_path = numbers;
	cfg.leases_path = leases;
	cfg.country_code = "380";
	cfg.sensor = "s";
	cfg.history_max = 0;
	a = ct_attr_new(&cfg, err);
	CHECK(a != NULL);
	if (a == NULL) {
		fprintf(stderr, "%s\n", err);
		return;
	}
	/* in a lease: session fields, source and campaign from the utm fields */
	r = call("0441000001", "2024-03-01T10:10:00Z");
	CHECK_INT(ct_attr_enrich(a, r), CT_OK);
	CHECK_STR(r->session_id, "s1");
	CHECK_STR(r->visitor_id, "v1");
	CHECK_STR(r->client_id, "c1");
	CHECK_STR(r->utm_source, "google");
	CHECK_STR(r->utm_medium, "cpc");
	CHECK_STR(r->utm_campaign, "spring");
	CHECK_STR(r->utm_term, "kw");
	CHECK_STR(r->utm_content, "ad");
	CHECK_STR(r->click_id, "g1");
	CHECK_STR(r->source, "google");
	CHECK_STR(r->campaign, "spring");
	CHECK_INT(r->direction, CT_DIR_INBOUND);
	CHECK(r->missed);
	ct_call_record_free(r);
	/* utm_campaign empty: the number's static campaign */
	r = call("+380 44 100 0001", "2024-03-01T11:10:00Z");
	ct_attr_enrich(a, r);
	CHECK_STR(r->session_id, "s2");
	CHECK_STR(r->source, "newsletter");
	CHECK_STR(r->campaign, "static-campaign");
	CHECK_STR(r->utm_campaign, NULL);
	ct_call_record_free(r);
	/* both empty: static source and campaign, the session still recorded */
	r = call("0441000001", "2024-03-01T12:10:00Z");
	ct_attr_enrich(a, r);
	CHECK_STR(r->session_id, "s3");
	CHECK_STR(r->source, "pool");
	CHECK_STR(r->campaign, "static-campaign");
	ct_call_record_free(r);
	/* outside any lease: the static source, no session */
	r = call("0441000001", "2024-03-01T10:45:00Z");
	ct_attr_enrich(a, r);
	CHECK_STR(r->session_id, NULL);
	CHECK_STR(r->utm_source, NULL);
	CHECK_STR(r->source, "pool");
	CHECK_STR(r->campaign, "static-campaign");
	ct_call_record_free(r);
	/* a number not in the pool */
	r = call("0441000009", "2024-03-01T10:10:00Z");
	ct_attr_start(a, r);
	CHECK_STR(r->session_id, NULL);
	CHECK_STR(r->source, "radio");
	CHECK_STR(r->caller_number, "+380671234567");
	CHECK_STR(r->callee_number, "+380441000009");
	ct_call_record_free(r);
	ct_attr_free(a);
	/* a bad lease log stops the start with its line */
	write_file(leases, "w", "nope\n");
	CHECK(ct_attr_new(&cfg, err) == NULL);
	CHECK(strstr(err, "leases5.csv:1:") != NULL);
}

int main(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/ct_pool_XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return 1;
	test_times();
	test_lookup();
	test_bad_lines();
	test_follow();
	test_bounds();
	test_attr();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tmpdir);
	}
	return TEST_REPORT();
}
