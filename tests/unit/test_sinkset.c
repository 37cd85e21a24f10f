/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for the sink set (src/sink/sinkset.c) with fake sinks that log
 * every op they get: fan-out order by capability (records, orphan streams),
 * a failing sink reported once and skipped while the others go on, SIGHUP
 * reopen (another chance; flush only without a reopen op; a failed reopen),
 * the one-second durability timer, the call stores handed to attribution,
 * and close's verdict.  Then the text output file's reopen (ct_outfile):
 * rotated away, continued in place, standard output.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/sink.h"
#include "calltap/sinkset.h"
#include "test.h"

/* ---- fake sinks ---------------------------------------------------------- */

static char oplog[1024];   /* "A:w B:w O:o ..." */
static int n_msgs;
static char last_msg[CT_ERRBUF_SIZE];

struct fake {
	char name[8];
	int fail_write;    /* writes that fail next */
	int fail_reopen;   /* reopens that fail next */
	int fail_close;
};

static void logop(const struct fake *f, const char *op)
{
	size_t n = strlen(oplog);

	snprintf(oplog + n, sizeof(oplog) - n, "%s%s:%s", n ? " " : "", f->name, op);
}

/* target: NAME[,w][,r][,c]: the first write / reopen / close fails. */
static void *fake_open(const struct ct_sink_args *args, char *errbuf)
{
	struct fake *f = calloc(1, sizeof(*f));
	const char *comma = strchr(args->target, ',');
	size_t len = comma != NULL ? (size_t)(comma - args->target) : strlen(args->target);

	if (f == NULL || strcmp(args->target, "refuse") == 0) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "cannot open '%s'", args->target);
		free(f);
		return NULL;
	}
	memcpy(f->name, args->target, len < sizeof(f->name) ? len : sizeof(f->name) - 1);
	f->fail_write = strstr(args->target, ",w") != NULL;
	f->fail_reopen = strstr(args->target, ",r") != NULL;
	f->fail_close = strstr(args->target, ",c") != NULL;
	return f;
}

static int fake_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct fake *f = priv;

	(void)rec;
	logop(f, "w");
	if (f->fail_write > 0) {
		f->fail_write--;
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: write failed", f->name);
		return CT_ERR;
	}
	return CT_OK;
}

static int fake_orphan(void *priv, const struct ct_stream_stats *st, char *errbuf)
{
	(void)st;
	(void)errbuf;
	logop(priv, "o");
	return CT_OK;
}

static int fake_flush(void *priv, char *errbuf)
{
	(void)errbuf;
	logop(priv, "f");
	return CT_OK;
}

static int fake_reopen(void *priv, char *errbuf)
{
	struct fake *f = priv;

	logop(f, "r");
	if (f->fail_reopen > 0) {
		f->fail_reopen--;
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: reopen failed", f->name);
		return CT_ERR;
	}
	return CT_OK;
}

static struct ct_attr *attached;

static int fake_attach(void *priv, struct ct_attr *a, char *errbuf)
{
	(void)errbuf;
	logop(priv, "h");
	attached = a;
	return CT_OK;
}

static int fake_close(void *priv, char *errbuf)
{
	struct fake *f = priv;
	int rc = CT_OK;

	logop(f, "c");
	if (f->fail_close) {
		snprintf(errbuf, CT_ERRBUF_SIZE, "%s: close failed", f->name);
		rc = CT_ERR;
	}
	free(f);
	return rc;
}

/* A file output: records, flush, reopen. */
static const struct ct_sink_ops fake_file = {
	.name = "file", .open = fake_open, .write = fake_write, .flush = fake_flush,
	.reopen = fake_reopen, .close = fake_close,
};
/* A network output: records and flush, nothing to reopen. */
static const struct ct_sink_ops fake_net = {
	.name = "net", .open = fake_open, .write = fake_write, .flush = fake_flush,
	.close = fake_close,
};
/* Orphan streams only. */
static const struct ct_sink_ops fake_orph = {
	.name = "orph", .open = fake_open, .write_orphan = fake_orphan, .flush = fake_flush,
	.reopen = fake_reopen, .close = fake_close,
};
/* A call store. */
static const struct ct_sink_ops fake_store = {
	.name = "store", .open = fake_open, .write = fake_write, .flush = fake_flush,
	.reopen = fake_reopen, .attach_history = fake_attach, .close = fake_close,
};

static void on_msg(void *user, enum ct_log_level level, const char *msg)
{
	(void)user;
	(void)level;
	n_msgs++;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

/* A set of the sinks "ops:target ..." (f: file, n: net, o: orph, s: store). */
static struct ct_sinkset *make(const char *spec)
{
	static const struct ct_log log = { on_msg, NULL };
	struct ct_sinkset *s = ct_sinkset_new(&log);
	char buf[256], errbuf[CT_ERRBUF_SIZE], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, " ", &save); tok != NULL; tok = strtok_r(NULL, " ", &save)) {
		const struct ct_sink_ops *ops = tok[0] == 'f' ? &fake_file : tok[0] == 'n' ? &fake_net :
		    tok[0] == 'o' ? &fake_orph : &fake_store;
		struct ct_sink_args args = { .target = tok + 2 };

		CHECK_INT(ct_sinkset_add(s, ops, &args, errbuf), CT_OK);
	}
	oplog[0] = '\0';
	n_msgs = 0;
	return s;
}

/* ---- cases ------------------------------------------------------------- */

struct step_case {
	const char *sinks;    /* make() spec */
	const char *steps;    /* w: record, o: orphan stream, h: SIGHUP, F: flush all, c: close */
	const char *log;      /* the ops the sinks got, in order */
	int msgs;             /* failures reported */
	int close_rc;         /* the set's close (when steps end with c) */
};

static const struct step_case step_cases[] = {
	/* Records to the record sinks, orphan streams to the orphan sink, in order. */
	{ "f:A n:B o:O", "wowc", "A:w B:w O:o A:w B:w A:c B:c O:c", 0, CT_OK },
	/* A failed write is reported once; A is skipped after it, B goes on;
	 * the close tells the 3 records A did not write. */
	{ "f:A,w n:B", "wwwc", "A:w B:w B:w B:w A:c B:c", 2, CT_ERR },
	/* SIGHUP: reopen where there is one (A gets another chance, and says
	 * it works again), flush otherwise. */
	{ "f:A,w n:B", "whwc", "A:w B:w A:r B:f A:w B:w A:c B:c", 2, CT_ERR },
	/* A failed reopen: reported, A skipped until the next one works. */
	{ "f:A,r n:B", "hwhwc", "A:r B:f B:w A:r B:f A:w B:w A:c B:c", 2, CT_ERR },
	/* Nothing failed: close says so. */
	{ "f:A o:O", "whoc", "A:w A:r O:r O:o A:c O:c", 0, CT_OK },
	/* A close failure counts. */
	{ "f:A,c", "wc", "A:w A:c", 1, CT_ERR },
	/* Flush all: every healthy sink with a flush op. */
	{ "f:A n:B,w", "wF", "A:w B:w A:f", 1, CT_OK },
};

static void test_steps(void)
{
	size_t i;

	for (i = 0; i < sizeof(step_cases) / sizeof(step_cases[0]); i++) {
		const struct step_case *c = &step_cases[i];
		struct ct_sinkset *s = make(c->sinks);
		struct ct_call_record rec;
		struct ct_stream_stats st;
		const char *p;
		int rc = CT_OK;

		memset(&rec, 0, sizeof(rec));
		memset(&st, 0, sizeof(st));
		for (p = c->steps; *p != '\0'; p++) {
			switch (*p) {
			case 'w': ct_sinkset_write(s, &rec); break;
			case 'o': ct_sinkset_orphan(s, &st); break;
			case 'h': ct_sinkset_reopen(s); break;
			case 'F': ct_sinkset_flush(s); break;
			case 'c': rc = ct_sinkset_close(s); break;
			}
		}
		CHECK_STR(oplog, c->log);
		CHECK_INT(n_msgs, c->msgs);
		if (strchr(c->steps, 'c') != NULL)
			CHECK_INT(rc, c->close_rc);
		ct_sinkset_free(s);
	}
}

/* The durability timer: written sinks only, at most once per second. */
static void test_flush_due(void)
{
	struct ct_sinkset *s = make("f:A n:B o:O");
	struct ct_call_record rec;
	struct ct_sinkset_stats st;

	memset(&rec, 0, sizeof(rec));
	CHECK(ct_sinkset_next_flush(s) == INT64_MAX);        /* nothing written */
	ct_sinkset_write(s, &rec);
	CHECK(ct_sinkset_next_flush(s) <= 5000000);
	CHECK_INT(ct_sinkset_flush_due(s, 5000000), CT_OK);
	CHECK_STR(oplog, "A:w B:w A:f B:f");              /* O was not written */
	CHECK(ct_sinkset_next_flush(s) == INT64_MAX);
	ct_sinkset_write(s, &rec);
	CHECK_INT(ct_sinkset_next_flush(s), 6000000);
	oplog[0] = '\0';
	ct_sinkset_flush_due(s, 5500000);                   /* not due yet */
	CHECK_STR(oplog, "");
	ct_sinkset_flush_due(s, 6000000);
	CHECK_STR(oplog, "A:f B:f");
	ct_sinkset_get_stats(s, &st);
	CHECK_INT(st.records, 2);
	CHECK_INT(st.errors, 0);
	CHECK(ct_sinkset_wants_orphans(s));
	ct_sinkset_free(s);
	s = make("f:A");
	CHECK(!ct_sinkset_wants_orphans(s));
	ct_sinkset_free(s);
}

/*
 * A file output that failed is reopened by the timed flush (a disk that
 * was full has room again) and written from then on; one whose reopen
 * still fails waits for the next try, reported once.  A network output
 * (no reopen: it spools) is not retried.
 */
static void test_retry(void)
{
	struct ct_sinkset *s = make("f:A,w n:B,w");
	struct ct_call_record rec;
	struct ct_sink_stats st;

	memset(&rec, 0, sizeof(rec));
	ct_sinkset_set_retry(s, 0);
	ct_sinkset_write(s, &rec);                  /* both fail */
	ct_sinkset_write(s, &rec);
	CHECK_INT(n_msgs, 2);
	oplog[0] = '\0';
	ct_sinkset_flush_due(s, 5000000);           /* A reopened */
	CHECK_STR(oplog, "A:r");
	CHECK_INT(n_msgs, 2);
	ct_sinkset_write(s, &rec);                  /* works again: told */
	CHECK_STR(oplog, "A:r A:w");
	CHECK_INT(n_msgs, 3);
	CHECK(strstr(last_msg, "file output 'A,w' works again; 2 record(s)") != NULL);
	ct_sinkset_sink_stats(s, 0, &st);
	CHECK_INT(st.written, 1);
	CHECK_INT(st.failed, 2);
	ct_sinkset_free(s);

	s = make("f:A,w,r");
	ct_sinkset_set_retry(s, 0);
	memset(&rec, 0, sizeof(rec));
	ct_sinkset_write(s, &rec);
	ct_sinkset_write(s, &rec);
	ct_sinkset_flush_due(s, 5000000);           /* the reopen fails: quiet */
	ct_sinkset_flush_due(s, 6000000);           /* works */
	ct_sinkset_write(s, &rec);
	CHECK_STR(oplog, "A:w A:r A:r A:w");
	CHECK_INT(n_msgs, 2);                       /* the failure, the recovery */
	ct_sinkset_free(s);
}

/* Call stores are handed to attribution; an open that fails adds nothing. */
static void test_attach_and_add(void)
{
	struct ct_sinkset *s = make("f:A s:S n:B s:T");
	struct ct_sink_args args = { .target = "refuse" };
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_attr *a = (struct ct_attr *)&args;   /* opaque: only passed on */

	CHECK_INT(ct_sinkset_attach_history(s, NULL, errbuf), CT_OK);
	CHECK_STR(oplog, "");                               /* attribution off */
	CHECK_INT(ct_sinkset_attach_history(s, a, errbuf), CT_OK);
	CHECK_STR(oplog, "S:h T:h");
	CHECK(attached == a);
	CHECK_INT(ct_sinkset_add(s, &fake_file, &args, errbuf), CT_ERR);
	CHECK_STR(errbuf, "cannot open 'refuse'");
	oplog[0] = '\0';
	CHECK_INT(ct_sinkset_close(s), CT_OK);
	CHECK_STR(oplog, "A:c S:c B:c T:c");
	ct_sinkset_free(s);
}

/* Per-sink record counters (--metrics): written, and failed or skipped while failed. */
static void test_sink_stats(void)
{
	struct ct_sinkset *s = make("f:A f:B,w o:O");
	struct ct_call_record rec;
	struct ct_sink_stats st;
	int i;

	memset(&rec, 0, sizeof(rec));
	for (i = 0; i < 3; i++)
		ct_sinkset_write(s, &rec);
	CHECK_INT(ct_sinkset_count(s), 3);
	ct_sinkset_sink_stats(s, 0, &st);
	CHECK_STR(st.name, "file");
	CHECK(st.takes_records);
	CHECK_INT(st.written, 3);
	CHECK_INT(st.failed, 0);
	ct_sinkset_sink_stats(s, 1, &st);   /* first write fails, then skipped until a reopen */
	CHECK_INT(st.written, 0);
	CHECK_INT(st.failed, 3);
	CHECK_INT(ct_sinkset_reopen(s), CT_OK);
	ct_sinkset_write(s, &rec);
	ct_sinkset_sink_stats(s, 1, &st);
	CHECK_INT(st.written, 1);
	CHECK_INT(st.failed, 3);
	ct_sinkset_sink_stats(s, 2, &st);   /* orphans only: takes no records */
	CHECK(!st.takes_records);
	CHECK_INT(st.written, 0);
	ct_sinkset_free(s);
}

/* ---- ct_outfile_reopen ---------------------------------------------------- */

static char tmpdir[] = "/tmp/ct-sinkset-XXXXXX";

static const char *tmp_path(const char *name)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	return path;
}

static char *slurp(const char *path)
{
	static char buf[256];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	buf[0] = '\0';
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static void put(struct ct_outfile *f, const char *text)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_buf b;

	ct_buf_init(&b);
	ct_buf_puts(&b, text);
	CHECK_INT(ct_outfile_write(f, &b, errbuf), CT_OK);
	ct_buf_fini(&b);
}

static void test_outfile_reopen(void)
{
	char errbuf[CT_ERRBUF_SIZE], rotated[256];
	struct ct_outfile f;

	CHECK_INT(ct_outfile_open(&f, tmp_path("out"), false, errbuf), CT_OK);
	put(&f, "one\n");
	snprintf(rotated, sizeof(rotated), "%s", tmp_path("out.1"));
	CHECK_INT(rename(tmp_path("out"), rotated), 0);
	CHECK_INT(ct_outfile_reopen(&f, errbuf), CT_OK);    /* rotated away: a new file */
	put(&f, "two\n");
	CHECK_INT(ct_outfile_reopen(&f, errbuf), CT_OK);    /* not rotated: appended to */
	CHECK_INT((int)f.good, 4);
	put(&f, "three\n");
	CHECK_INT(ct_outfile_close(&f, errbuf), CT_OK);
	CHECK_STR(slurp(rotated), "one\n");
	CHECK_STR(slurp(tmp_path("out")), "two\nthree\n");

	/* Opened in append mode: continued after what is there. */
	CHECK_INT(ct_outfile_open(&f, tmp_path("out"), true, errbuf), CT_OK);
	CHECK_INT((int)f.good, 10);
	put(&f, "four\n");
	CHECK_INT(ct_outfile_close(&f, errbuf), CT_OK);
	CHECK_STR(slurp(tmp_path("out")), "two\nthree\nfour\n");

	/* The directory is gone: the reopen fails naming the file, writes fail, close frees. */
	CHECK_INT(ct_outfile_open(&f, tmp_path("out"), false, errbuf), CT_OK);
	unlink(tmp_path("out"));
	unlink(rotated);
	CHECK_INT(rmdir(tmpdir), 0);
	CHECK_INT(ct_outfile_reopen(&f, errbuf), CT_ERR);
	CHECK(strstr(errbuf, "cannot open '") != NULL && strstr(errbuf, "/out'") != NULL);
	{
		struct ct_buf b;

		ct_buf_init(&b);
		ct_buf_puts(&b, "x\n");
		CHECK_INT(ct_outfile_write(&f, &b, errbuf), CT_ERR);
		ct_buf_fini(&b);
	}
	CHECK_INT(ct_outfile_close(&f, errbuf), CT_OK);

	/* Standard output is only synced. */
	CHECK_INT(ct_outfile_open(&f, "-", false, errbuf), CT_OK);
	CHECK_INT(ct_outfile_reopen(&f, errbuf), CT_OK);
	CHECK_INT(f.fd, STDOUT_FILENO);
	CHECK_INT(ct_outfile_close(&f, errbuf), CT_OK);
}

/* ---- output threads (lanes) ---------------------------------------------- */

/*
 * A sink that checks, on its own thread, that it gets every record and
 * event exactly once and in order: records carry their number in call_id.
 */
struct seq {
	long next_rec, starts, orphans, flushes;
	int bad;
};

static void *seq_open(const struct ct_sink_args *args, char *errbuf)
{
	(void)args;
	(void)errbuf;
	return calloc(1, sizeof(struct seq));
}

static int seq_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct seq *q = priv;

	(void)errbuf;
	if (rec->call_id == NULL || atol(rec->call_id) != q->next_rec)
		q->bad++;
	q->next_rec++;
	return CT_OK;
}

static int seq_start(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	struct seq *q = priv;

	(void)errbuf;
	if (rec->call_id == NULL || atol(rec->call_id) != q->starts)
		q->bad++;
	q->starts++;
	return CT_OK;
}

static int seq_orphan(void *priv, const struct ct_stream_stats *st, char *errbuf)
{
	struct seq *q = priv;

	(void)errbuf;
	if ((long)st->packets != q->orphans)
		q->bad++;
	q->orphans++;
	return CT_OK;
}

static int seq_flush(void *priv, char *errbuf)
{
	(void)errbuf;
	((struct seq *)priv)->flushes++;
	return CT_OK;
}

static struct seq seq_seen[8];   /* what each sink saw, copied at close */
static int seq_closed;

static int seq_close(void *priv, char *errbuf)
{
	(void)errbuf;
	seq_seen[__atomic_fetch_add(&seq_closed, 1, __ATOMIC_SEQ_CST)] = *(struct seq *)priv;
	free(priv);
	return CT_OK;
}

static const struct ct_sink_ops seq_ops = {
	.name = "seq", .open = seq_open, .write = seq_write, .call_start = seq_start,
	.write_orphan = seq_orphan, .flush = seq_flush, .close = seq_close,
};

static struct ct_call_record *numbered(long i)
{
	struct ct_call_record *r = calloc(1, sizeof(*r));
	char id[24];

	snprintf(id, sizeof(id), "%ld", i);
	if (r != NULL)
		r->call_id = strdup(id);
	return r;
}

/*
 * Six sinks on the output threads (more sinks than lanes, so lanes are
 * shared): each gets every record, call-start event and orphan stream
 * once, in order; a flush waits for every lane; a lone record put after a
 * wake-up is still delivered (by the flush); the counters add up; records
 * are freed once (ASan and valgrind runs of make check see a double free).
 */
static void test_lanes(void)
{
	struct ct_sinkset *s = ct_sinkset_new(NULL);
	struct ct_sink_args args = { .target = "x" };
	struct ct_stream_stats st;
	struct ct_sinkset_stats ss;
	struct ct_sink_stats ks;
	char errbuf[CT_ERRBUF_SIZE];
	const long n = 20000;
	size_t k;
	long i;

	seq_closed = 0;
	for (k = 0; k < 6; k++)
		CHECK_INT(ct_sinkset_add(s, &seq_ops, &args, errbuf), CT_OK);
	CHECK_INT(ct_sinkset_start(s), CT_OK);
	memset(&st, 0, sizeof(st));
	for (i = 0; i < n; i++) {
		ct_sinkset_put_start(s, numbered(i));
		ct_sinkset_put(s, numbered(i));
		if (i % 10 == 0) {
			st.packets = (uint64_t)(i / 10);
			ct_sinkset_orphan(s, &st);
		}
	}
	CHECK_INT(ct_sinkset_flush(s), CT_OK);
	for (k = 0; k < 6; k++) {
		ct_sinkset_sink_stats(s, k, &ks);
		CHECK_INT(ks.written, (uint64_t)n);   /* all delivered once the flush returned */
		CHECK_INT(ks.failed, 0);
	}
	ct_sinkset_put(s, numbered(n));   /* right after a wake-up: the close delivers it */
	CHECK_INT(ct_sinkset_close(s), CT_OK);
	CHECK_INT(seq_closed, 6);
	for (k = 0; k < 6; k++) {
		CHECK_INT(seq_seen[k].bad, 0);
		CHECK_INT(seq_seen[k].next_rec, n + 1);
		CHECK_INT(seq_seen[k].starts, n);
		CHECK_INT(seq_seen[k].orphans, n / 10);
		CHECK(seq_seen[k].flushes >= 1);
	}
	ct_sinkset_get_stats(s, &ss);
	CHECK_INT(ss.records, (uint64_t)n + 1);
	CHECK_INT(ss.orphans, (uint64_t)n / 10);
	CHECK_INT(ss.errors, 0);
	CHECK(ss.queue_peak >= 1 && ss.queue_peak <= CT_SINKSET_QUEUE);
	ct_sinkset_free(s);
}

/*
 * Records the output threads are done with are freed by the thread that
 * puts them: a record put after a waited flush (so every lane released
 * it) waits for ct_sinkset_free_retired, the next put or the close, and is
 * freed once; without output threads nothing waits.  Rows: lanes in use.
 */
static void test_retired(void)
{
	static const size_t sinks[] = { 1, 2, 4, 6 };
	struct ct_sink_args args = { .target = "x" };
	char errbuf[CT_ERRBUF_SIZE];
	size_t t, k;

	for (t = 0; t < sizeof(sinks) / sizeof(sinks[0]); t++) {
		struct ct_sinkset *s = ct_sinkset_new(NULL);
		long i;

		seq_closed = 0;
		for (k = 0; k < sinks[t]; k++)
			CHECK_INT(ct_sinkset_add(s, &seq_ops, &args, errbuf), CT_OK);
		CHECK_INT(ct_sinkset_free_retired(s), 0);
		ct_sinkset_put(s, numbered(0));        /* no thread yet: written, freed at once */
		CHECK_INT(ct_sinkset_free_retired(s), 0);
		CHECK_INT(ct_sinkset_start(s), CT_OK);
		for (i = 1; i <= 3; i++) {
			ct_sinkset_put(s, numbered(i));  /* frees the one before */
			CHECK_INT(ct_sinkset_flush(s), CT_OK);
			CHECK_INT(ct_sinkset_free_retired(s), 1);
			CHECK_INT(ct_sinkset_free_retired(s), 0);
		}
		ct_sinkset_put(s, numbered(4));
		ct_sinkset_put(s, numbered(5));
		CHECK_INT(ct_sinkset_flush(s), CT_OK);
		CHECK(ct_sinkset_free_retired(s) >= 1);  /* 5, and 4 unless the put of 5 took it */
		ct_sinkset_put(s, numbered(6));        /* left for the close */
		CHECK_INT(ct_sinkset_close(s), CT_OK);
		CHECK_INT(ct_sinkset_free_retired(s), 0);
		CHECK_INT(seq_closed, (int)sinks[t]);
		for (k = 0; k < sinks[t]; k++) {
			CHECK_INT(seq_seen[k].bad, 0);
			CHECK_INT(seq_seen[k].next_rec, 7);
		}
		ct_sinkset_free(s);
	}
}

/*
 * The records held for the output threads are bounded by memory too
 * (CT_SINKSET_BYTES), not only by queue entries: 40 records of 4 MiB of
 * RTP intervals each (about an hour of intervals on many streams) to a
 * sink that takes 10 ms a record.  The producer never runs further ahead
 * of the sink than the budget's worth of records plus the one being put
 * (with entries alone it ran 40 ahead: 160 MB), it waited (queue_waits),
 * and the sink got all 40 in order.
 */
static long slow_done, slow_puts, slow_hold;

static int slow_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	const struct timespec ms10 = { 0, 10000000 };
	int i;

	(void)priv;
	(void)rec;
	(void)errbuf;
	/*
	 * The first record waits until the producer has put slow_hold records
	 * (the budget's worth, which it puts without waiting), then 300 ms
	 * more, nothing drained, so that it must wait for the next ones: on a
	 * loaded machine or under ASan, where a 4 MiB record takes the
	 * producer longer than the sink's 10 ms, it might otherwise never get
	 * ahead (at most 5 s).
	 */
	if (__atomic_load_n(&slow_done, __ATOMIC_SEQ_CST) == 0) {
		for (i = 0; i < 500 && __atomic_load_n(&slow_puts, __ATOMIC_SEQ_CST) <
		    __atomic_load_n(&slow_hold, __ATOMIC_SEQ_CST); i++)
			nanosleep(&ms10, NULL);
		for (i = 0; i < 30; i++)
			nanosleep(&ms10, NULL);
	}
	nanosleep(&ms10, NULL);
	__atomic_fetch_add(&slow_done, 1, __ATOMIC_SEQ_CST);
	return CT_OK;
}

static const struct ct_sink_ops slow_ops = {
	.name = "slow", .open = seq_open, .write = slow_write, .close = seq_close,
};

static void test_byte_budget(void)
{
	const size_t per = (4u << 20) / sizeof(struct ct_stream_ival);
	struct ct_sinkset *s = ct_sinkset_new(NULL);
	struct ct_sink_args args = { .target = "x" };
	struct ct_sinkset_stats ss;
	char errbuf[CT_ERRBUF_SIZE];
	const long limit = (long)(CT_SINKSET_BYTES / (4u << 20)) + 1;
	long i, ahead, most = 0;

	seq_closed = 0;
	slow_done = 0;
	slow_puts = 0;
	slow_hold = limit - 1;
	CHECK_INT(ct_sinkset_add(s, &slow_ops, &args, errbuf), CT_OK);
	CHECK_INT(ct_sinkset_start(s), CT_OK);
	for (i = 0; i < 40; i++) {
		struct ct_call_record *r = numbered(i);

		CHECK(r != NULL);
		if (r == NULL)
			break;
		r->streams = calloc(1, sizeof(*r->streams));
		if (r->streams != NULL) {
			r->n_streams = 1;
			r->streams[0].ivals = calloc(per, sizeof(struct ct_stream_ival));
			r->streams[0].n_ivals = r->streams[0].ivals != NULL ? (uint32_t)per : 0;
		}
		__atomic_fetch_add(&slow_puts, 1, __ATOMIC_SEQ_CST);
		ct_sinkset_put(s, r);
		ahead = i + 1 - __atomic_load_n(&slow_done, __ATOMIC_SEQ_CST);
		if (ahead > most)
			most = ahead;
	}
	CHECK(most >= 2);
	CHECK(most <= limit);
	ct_sinkset_get_stats(s, &ss);
	CHECK(ss.queue_waits >= 1);
	CHECK_INT(ct_sinkset_close(s), CT_OK);
	CHECK_INT(slow_done, 40);
	if (most > limit)
		fprintf(stderr, "  %ld records ahead of the sink\n", most);
	ct_sinkset_free(s);
}

int main(void)
{
	test_steps();
	test_flush_due();
	test_retry();
	test_attach_and_add();
	test_sink_stats();
	test_lanes();
	test_retired();
	test_byte_budget();
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_outfile_reopen();
	return TEST_REPORT();
}
