/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The hep-qos sink (--hep, unless --hep-no-qos): for every call record, one
 * HEP quality report per RTP stream, queued to the --hep sender (hep.h).
 * It runs on the output thread, where a stream's figures are final (the
 * record is written once the call and its streams have ended); queueing
 * never waits for the network, so the sink never fails a record: what the
 * sender cannot take is counted in hep_qos_dropped.
 */
#include "config.h"

#include <inttypes.h>
#include <string.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/hep.h"
#include "calltap/sink.h"
#include "record_int.h"

/* ,"KEY": then the real d with prec decimals (null when not finite). */
static void put_real(struct ct_buf *b, const char *key, double d, int prec)
{
	char num[64];

	ct_buf_puts(b, key);
	if (ct_fmt_fixed(d, prec, num, sizeof(num)))
		ct_buf_puts(b, num);
	else
		ct_buf_puts(b, "null");
}

static void put_int(struct ct_buf *b, const char *key, int64_t v)
{
	ct_buf_puts(b, key);
	ct_buf_i64(b, v);
}

static void put_str(struct ct_buf *b, const char *key, const char *s)
{
	ct_buf_puts(b, key);
	ct_buf_json_str(b, s);
}

int ct_hep_qos_json(const struct ct_stream_stats *s, const char *call_id, struct ct_buf *b)
{
	char a[64], t[40], codec[sizeof(s->codec) + 1];
	int64_t expected = (int64_t)s->packets + s->lost;

	/* The precisions are the record's (schema.c, the stream columns). */
	put_str(b, "{\"CORRELATION_ID\":", call_id != NULL ? call_id : "");
	put_str(b, ",\"RTP_SIP_CALL_ID\":", call_id != NULL ? call_id : "");
	put_str(b, ",\"TYPE\":", "HANGUP");
	put_int(b, ",\"REPORT_TS\":", s->last_us >= 0 ? s->last_us / 1000000 : 0);
	put_str(b, ",\"START_TIME\":", ct_time_iso(s->first_us, t, sizeof(t)));
	put_str(b, ",\"END_TIME\":", ct_time_iso(s->last_us, t, sizeof(t)));
	put_str(b, ",\"SRC_IP\":", ct_addr_str(&s->src, a, sizeof(a)));
	put_int(b, ",\"SRC_PORT\":", s->sport);
	put_str(b, ",\"DST_IP\":", ct_addr_str(&s->dst, a, sizeof(a)));
	put_int(b, ",\"DST_PORT\":", s->dport);
	put_int(b, ",\"SSRC\":", s->ssrc);
	if (s->payload_type >= 0)
		put_int(b, ",\"CODEC_PT\":", s->payload_type);
	memcpy(codec, s->codec, sizeof(s->codec));
	codec[sizeof(s->codec)] = '\0';
	if (codec[0] != '\0')
		put_str(b, ",\"CODEC_NAME\":", codec);
	put_int(b, ",\"TOTAL_PK\":", (int64_t)s->packets);
	put_int(b, ",\"EXPECTED_PK\":", expected > 0 ? expected : 0);
	put_int(b, ",\"PACKET_LOSS\":", s->lost);
	put_real(b, ",\"LOSS_PCT\":", s->loss_pct, 2);
	put_int(b, ",\"DUP_PK\":", (int64_t)s->duplicates);
	put_int(b, ",\"OUT_ORDER\":", (int64_t)s->out_of_order);
	put_real(b, ",\"JITTER\":", s->mean_jitter_ms, 3);
	put_real(b, ",\"MEAN_JITTER\":", s->mean_jitter_ms, 3);
	put_real(b, ",\"MAX_JITTER\":", s->max_jitter_ms, 3);
	put_real(b, ",\"MAX_DELTA\":", s->max_delta_ms, 3);
	if (s->mos != 0)
		put_real(b, ",\"MOS\":", s->mos, 2);
	ct_buf_puts(b, "}");
	return b->oom ? CT_NOMEM : CT_OK;
}

/* args->ctx is the --hep sender; it outlives the sink (main.c closes it after the set). */
static void *qos_open(const struct ct_sink_args *args, char *errbuf)
{
	if (args->ctx == NULL)
		ct_sink_err(errbuf, "hep-qos: no HEP sender");
	return args->ctx;
}

static int qos_write(void *priv, const struct ct_call_record *rec, char *errbuf)
{
	size_t i;

	(void)errbuf;
	for (i = 0; rec->streams != NULL && i < rec->n_streams; i++)
		ct_hep_out_qos(priv, &rec->streams[i], rec->call_id);
	return CT_OK;
}

static int qos_close(void *priv, char *errbuf)
{
	(void)priv;
	(void)errbuf;
	return CT_OK;   /* the sender is main.c's */
}

const struct ct_sink_ops ct_sink_hep_qos = {
	.name = "hep-qos",
	.open = qos_open,
	.write = qos_write,
	.close = qos_close,
};
