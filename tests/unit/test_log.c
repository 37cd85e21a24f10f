/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Library messages (log.h): ct_log formats for the owner's callback (long
 * messages whole, none without a callback), and the engine routes a sink's
 * failures there (not to stderr) and hands its log to the sinks it opens.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "calltap/engine.h"
#include "calltap/sinkset.h"
#include "calltap/err.h"
#include "calltap/log.h"
#include "test.h"

static char got[4096];
static int n_got;
static enum ct_log_level got_level;

static void capture(void *user, enum ct_log_level level, const char *msg)
{
	size_t n = strlen(got);

	CHECK(user == &n_got);
	snprintf(got + n, sizeof(got) - n, "%s|", msg);
	n_got++;
	got_level = level;
}

static void reset(void)
{
	got[0] = '\0';
	n_got = 0;
}

static void test_format(void)
{
	const struct ct_log lg = { capture, &n_got };
	const struct ct_log none = { NULL, NULL };
	char big[3000];

	reset();
	ct_log(&lg, CT_LOG_WARN, "spool for %s is full: %d record(s)", "x", 3);
	CHECK_STR(got, "spool for x is full: 3 record(s)|");
	CHECK_INT(got_level, CT_LOG_WARN);
	ct_log(NULL, CT_LOG_ERR, "nobody %s", "listens");
	ct_log(&none, CT_LOG_ERR, "nobody %s", "listens");
	CHECK_INT(n_got, 1);
	/* longer than the stack line: formatted whole */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	reset();
	ct_log(&lg, CT_LOG_INFO, "<%s>", big);
	CHECK_INT(strlen(got), sizeof(big) - 1 + 3);
	CHECK(got[0] == '<' && got[sizeof(big)] == '>');
}

/* A sink that keeps nothing and fails to close. */
static const struct ct_log *opened_with;

static void *fake_open(const struct ct_sink_args *args, char *errbuf)
{
	static int state;

	(void)errbuf;
	opened_with = args->log;
	return &state;
}

static int fake_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	(void)priv;
	(void)rec;
	(void)errbuf;
	return CT_OK;
}

static int fake_close(void *priv, char *errbuf)
{
	(void)priv;
	snprintf(errbuf, CT_ERRBUF_SIZE, "fake: cannot close");
	return CT_ERR;
}

static const struct ct_sink_ops fake_ops = {
	.name = "fake",
	.open = fake_open,
	.write = fake_write,
	.close = fake_close,
};

/* The sink set hands its owner's log to every sink it opens and reports a failed close there. */
static void test_sinkset_routes(void)
{
	struct ct_engine_cfg cfg;
	struct ct_log log = { capture, &n_got };
	struct ct_sink_args args = { .target = "somewhere" };
	struct ct_sinkset_stats st;
	struct ct_sinkset *s;
	char errbuf[CT_ERRBUF_SIZE];

	ct_engine_cfg_default(&cfg);
	CHECK(cfg.log.fn == NULL);              /* the library says nothing by default */
	s = ct_sinkset_new(&log);
	CHECK(s != NULL);
	if (s == NULL)
		return;
	CHECK_INT(ct_sinkset_add(s, &fake_ops, &args, errbuf), CT_OK);
	CHECK(opened_with != NULL && opened_with->fn == capture && opened_with->user == &n_got);
	reset();
	CHECK_INT(ct_sinkset_close(s), CT_ERR);
	CHECK_STR(got, "fake: cannot close|");
	CHECK_INT(got_level, CT_LOG_ERR);
	ct_sinkset_get_stats(s, &st);
	CHECK_INT(st.errors, 1);
	ct_sinkset_free(s);
}

int main(void)
{
	test_format();
	test_sinkset_routes();
	return TEST_REPORT();
}
