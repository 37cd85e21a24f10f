/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The write-ahead spool of the network sinks: records come back in order,
 * only once acknowledged are they gone, a restart resumes after the
 * acknowledged position, a torn last record is cut, the disk cap drops
 * (and counts) what does not fit, one target never sees another's records,
 * and segment headers are kept.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <glob.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/log.h"
#include "calltap/spool.h"
#include "test.h"

static char top[256];

/* The spool's messages go to the owner's callback (log.h), not to stderr. */
static char logged[2048];
static int n_logged;
static enum ct_log_level last_level;

static void capture(void *user, enum ct_log_level level, const char *msg)
{
	size_t n = strlen(logged);

	(void)user;
	snprintf(logged + n, sizeof(logged) - n, "%s\n", msg);
	n_logged++;
	last_level = level;
}

static const struct ct_log test_log = { capture, NULL };

static struct ct_spool *open_sp(const char *key, uint64_t max, const char *hdr)
{
	struct ct_spool_cfg cfg;
	char errbuf[CT_ERRBUF_SIZE] = "";
	struct ct_spool *sp;

	memset(&cfg, 0, sizeof(cfg));
	cfg.dir = top;
	cfg.kind = "test";
	cfg.key = key;
	cfg.shown = key;
	cfg.max_bytes = max;
	cfg.header = hdr;
	cfg.header_len = hdr != NULL ? strlen(hdr) : 0;
	cfg.log = &test_log;
	sp = ct_spool_open(&cfg, errbuf);
	if (sp == NULL)
		fprintf(stderr, "open: %s\n", errbuf);
	return sp;
}

static uint64_t pending(struct ct_spool *sp)
{
	struct ct_spool_stats st;

	ct_spool_get_stats(sp, &st);
	return st.pending;
}

/* Reads the next record as a string ("" at the end). */
static const char *next(struct ct_spool *sp, struct ct_buf *b)
{
	if (ct_spool_read(sp, b) != CT_OK)
		return "";
	ct_buf_append(b, "", 1);
	return b->p;
}

static void test_order_ack_restart(struct ct_buf *b)
{
	struct ct_spool *sp = open_sp("A", 0, NULL);
	char rec[32];
	int i;

	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	for (i = 0; i < 5; i++) {
		snprintf(rec, sizeof(rec), "rec %d\nline", i);   /* payloads may hold newlines */
		CHECK_INT(ct_spool_append(sp, rec, strlen(rec)), CT_OK);
	}
	CHECK_INT(pending(sp), 5);
	CHECK(ct_spool_unread(sp));
	ct_spool_sync(sp);
	CHECK_STR(next(sp, b), "rec 0\nline");
	CHECK_STR(next(sp, b), "rec 1\nline");
	ct_spool_rewind(sp);                  /* a failed delivery: read again */
	CHECK_STR(next(sp, b), "rec 0\nline");
	CHECK_STR(next(sp, b), "rec 1\nline");
	ct_spool_ack(sp);
	CHECK_INT(pending(sp), 3);
	ct_spool_close(sp);                   /* crash-equivalent: 3 not acknowledged */

	sp = open_sp("A", 0, NULL);
	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(pending(sp), 3);
	CHECK_STR(next(sp, b), "rec 2\nline");
	CHECK_INT(ct_spool_append(sp, "new", 3), CT_OK);
	ct_spool_sync(sp);
	CHECK_STR(next(sp, b), "rec 3\nline");
	CHECK_STR(next(sp, b), "rec 4\nline");
	CHECK_STR(next(sp, b), "new");
	CHECK_STR(next(sp, b), "");
	ct_spool_ack(sp);
	CHECK_INT(pending(sp), 0);
	CHECK(!ct_spool_unread(sp));
	ct_spool_close(sp);

	sp = open_sp("A", 0, NULL);          /* all delivered: nothing again */
	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(pending(sp), 0);
	CHECK_STR(next(sp, b), "");
	ct_spool_close(sp);
}

static void test_torn_tail(struct ct_buf *b)
{
	struct ct_spool *sp = open_sp("B", 0, NULL);
	char pat[512];
	glob_t g;
	int fd;

	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(ct_spool_append(sp, "one", 3), CT_OK);
	CHECK_INT(ct_spool_append(sp, "two", 3), CT_OK);
	ct_spool_close(sp);
	/* a crash in the middle of the third record's write */
	snprintf(pat, sizeof(pat), "%s/test-*/seg-*.log", top);
	CHECK_INT(glob(pat, 0, NULL, &g), 0);
	CHECK_INT(g.gl_pathc, 1);
	if (g.gl_pathc == 1 && (fd = open(g.gl_pathv[0], O_WRONLY | O_APPEND)) >= 0) {
		CHECK_INT(write(fd, "00000005 0123456789abcdef thr", 29), 29);
		close(fd);
	}
	globfree(&g);
	logged[0] = '\0';
	n_logged = 0;
	sp = open_sp("B", 0, NULL);
	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(n_logged, 1);
	CHECK(strncmp(logged, "spool for B: cut 29 byte(s) of an incomplete record", 51) == 0);
	CHECK_INT(pending(sp), 2);
	CHECK_STR(next(sp, b), "one");
	CHECK_STR(next(sp, b), "two");
	CHECK_STR(next(sp, b), "");
	CHECK_INT(ct_spool_append(sp, "four", 4), CT_OK);
	ct_spool_sync(sp);
	CHECK_STR(next(sp, b), "four");
	ct_spool_ack(sp);
	ct_spool_close(sp);
}

static void test_cap_keys_header(struct ct_buf *b)
{
	struct ct_spool_stats st;
	struct ct_spool *sp = open_sp("C", 4096, "HDR v1");
	char rec[300];
	int i, ok = 0, dropped = 0, rc;

	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	memset(rec, 'x', sizeof(rec));
	logged[0] = '\0';
	n_logged = 0;
	for (i = 0; i < 40; i++) {
		rc = ct_spool_append(sp, rec, sizeof(rec));
		ok += rc == CT_OK;
		dropped += rc == CT_REFUSED;
	}
	ct_spool_get_stats(sp, &st);
	CHECK(ok >= 10 && ok <= 13);        /* 4096 bytes of 327-byte frames */
	CHECK_INT(dropped, 40 - ok);
	CHECK_INT(st.dropped, (uint64_t)dropped);
	CHECK(st.bytes <= 4096);
	/* said once (at most every DROP_SAY_S seconds), through the callback */
	CHECK_INT(n_logged, 1);
	CHECK_INT(last_level, CT_LOG_WARN);
	CHECK(strncmp(logged, "spool for C is full (", 21) == 0);
	CHECK(strstr(logged, "record(s) DROPPED so far\n") != NULL);
	ct_spool_sync(sp);
	CHECK_INT(ct_spool_read(sp, b), CT_OK);
	CHECK_INT(b->len, sizeof(rec));
	CHECK_INT(ct_spool_header(sp)->len, 6);
	CHECK(memcmp(ct_spool_header(sp)->p, "HDR v1", 6) == 0);
	ct_spool_close(sp);

	/* another target in the same directory sees none of it */
	sp = open_sp("D", 0, "HDR v1");
	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(pending(sp), 0);
	CHECK_STR(next(sp, b), "");
	ct_spool_close(sp);
	sp = open_sp("C", 0, "HDR v1");
	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(pending(sp), (uint64_t)ok);
	ct_spool_close(sp);
}

static void test_parse_size(void)
{
	static const struct { const char *s; int rc; uint64_t v; } vec[] = {
		{ "1024", 0, 1024 }, { "500M", 0, 500ULL << 20 }, { "2G", 0, 2ULL << 30 },
		{ "64k", 0, 64ULL << 10 }, { "1TB", 0, 1ULL << 40 }, { "0", -1, 0 },
		{ "-1", -1, 0 }, { "12Q", -1, 0 }, { "", -1, 0 }, { "99999999999999999999", -1, 0 },
	};
	uint64_t v;
	size_t i;

	for (i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		v = 0;
		CHECK_INT(ct_spool_parse_size(vec[i].s, &v), vec[i].rc);
		if (vec[i].rc == 0)
			CHECK_INT(v, vec[i].v);
	}
}

/*
 * Pacing of the delivery workers (ct_spool_pace), at now = 10000 ms, on an
 * empty spool and on one with a record to deliver.
 */
static void test_pace(void)
{
	static const struct {
		int unread, closing;
		int64_t deadline;
		int failing;
		int64_t retry, idle, want;
	} v[] = {
		{ 0, 0, 0, 0, 0, 0, 11000 },           /* nothing to do: look again in 1 s */
		{ 0, 1, 20000, 0, 0, 0, -1 },          /* closing, nothing left: quit */
		{ 1, 0, 0, 0, 0, 9000, 0 },            /* deliver now */
		{ 1, 0, 0, 1, 15000, 0, 15000 },       /* failing: wait for the retry */
		{ 1, 0, 0, 1, 9000, 12000, 12000 },    /* retry due, idle not: the later (no spin) */
		{ 1, 0, 0, 1, 12000, 11000, 12000 },   /* both ahead: the later */
		{ 1, 0, 0, 0, 0, 10500, 10500 },       /* idle round: wait it out */
		{ 1, 0, 0, 0, 0, 20000, 11000 },       /* ... but look again within 1 s */
		{ 1, 1, 10200, 1, 15000, 0, -1 },      /* the retry comes after the deadline */
		{ 1, 1, 13000, 1, 12000, 0, 12000 },   /* the retry comes before it */
		{ 1, 1, 11000, 0, 0, 20000, 11000 },   /* never past the deadline */
		{ 1, 1, 10000, 0, 0, 0, -1 },          /* deadline reached */
	};
	struct ct_spool *empty = open_sp("pace-empty", 0, NULL);
	struct ct_spool *full = open_sp("pace-full", 0, NULL);
	size_t i;

	CHECK(empty != NULL && full != NULL);
	if (empty == NULL || full == NULL)
		return;
	CHECK_INT(ct_spool_append(full, "r", 1), CT_OK);
	ct_spool_sync(full);
	CHECK(ct_spool_unread(full));
	CHECK(!ct_spool_unread(empty));
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		CHECK_INT(ct_spool_pace(v[i].unread ? full : empty, 10000, v[i].closing,
		    v[i].deadline, v[i].failing, v[i].retry, v[i].idle), v[i].want);
	ct_spool_close(empty);
	ct_spool_close(full);
}

/*
 * The spool cannot be written (a full disk, no descriptor left for a new
 * segment: here writes past RLIMIT_FSIZE, EFBIG, the same path): the
 * records are held in memory, counted pending, and written in order once
 * a write works again (red-team pass 10: each was LOST).  (RLIMIT_NOFILE
 * would show EMFILE, but valgrind emulates it and does not give it back.)
 */
static void test_held(struct ct_buf *b)
{
	struct ct_spool *sp = open_sp("H", 64 << 10, NULL);   /* segments of 8 KiB */
	struct rlimit old, lim;
	void (*xfsz)(int);
	char rec[1024];
	int i, bad = 0;

	CHECK(sp != NULL);
	if (sp == NULL)
		return;
	CHECK_INT(getrlimit(RLIMIT_FSIZE, &old), 0);
	xfsz = signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 3000;   /* two records fit, then every write fails */
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (i = 0; i < 30; i++) {
		memset(rec, 'a' + i % 26, sizeof(rec));
		snprintf(rec, sizeof(rec), "held %d ", i);
		bad += ct_spool_append(sp, rec, sizeof(rec)) != CT_OK;
	}
	CHECK_INT(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, xfsz);
	CHECK_INT(bad, 0);
	CHECK_INT(pending(sp), 30);
	CHECK_INT(ct_spool_append(sp, "after", 5), CT_OK);
	ct_spool_sync(sp);
	for (i = 0; i < 30; i++) {
		char want[16];

		snprintf(want, sizeof(want), "held %d ", i);
		if (ct_spool_read(sp, b) != CT_OK || b->len != sizeof(rec) ||
		    memcmp(b->p, want, strlen(want)) != 0) {
			CHECK(!"a held record came back, in order");
			break;
		}
	}
	CHECK_STR(next(sp, b), "after");
	ct_spool_ack(sp);
	CHECK_INT(pending(sp), 0);
	ct_spool_close(sp);
}

int main(void)
{
	struct ct_buf b;
	char cmd[300];

	snprintf(top, sizeof(top), "/tmp/calltap-test-spool-XXXXXX");
	if (mkdtemp(top) == NULL)
		return 99;
	ct_buf_init(&b);
	test_order_ack_restart(&b);
	test_torn_tail(&b);
	test_cap_keys_header(&b);
	test_parse_size();
	test_pace();
	test_held(&b);
	ct_buf_fini(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", top);
	return TEST_REPORT();
}
