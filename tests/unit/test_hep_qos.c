/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * HEP per-stream quality reports: the JSON body (src/sink/hep_qos.c), the
 * packet the sender puts on the wire for it (src/hep/hep_out.c, received
 * on a loopback socket and decoded), the hep-qos sink, and the drops.
 */
#include "config.h"

#include <math.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "calltap/buf.h"
#include "calltap/err.h"
#include "calltap/hep.h"
#include "calltap/sink.h"
#include "test.h"

/* 10.0.0.1:40000 -> 10.0.0.2:40002, PCMA, 1000 packets, 20 lost. */
static void fill_stream(struct ct_stream_stats *s)
{
	memset(s, 0, sizeof(*s));
	s->src.family = 4;
	s->src.a[0] = 10; s->src.a[3] = 1;
	s->dst.family = 4;
	s->dst.a[0] = 10; s->dst.a[3] = 2;
	s->sport = 40000;
	s->dport = 40002;
	s->ssrc = 0x12345678;
	s->payload_type = 8;
	strcpy(s->codec, "PCMA");
	s->packets = 1000;
	s->lost = 20;
	s->loss_pct = 20.0 / 1020.0 * 100.0;
	s->duplicates = 3;
	s->out_of_order = 2;
	s->max_jitter_ms = 12.3456;
	s->mean_jitter_ms = 2.5;
	s->max_delta_ms = 60.0004;
	s->mos = 4.1234;
	s->first_us = INT64_C(1609459200123456);
	s->last_us = INT64_C(1609459220654321);
}

static const char want_v4[] =
	"{\"CORRELATION_ID\":\"a\\\"b\\\\c@h\",\"RTP_SIP_CALL_ID\":\"a\\\"b\\\\c@h\","
	"\"TYPE\":\"HANGUP\",\"REPORT_TS\":1609459220,"
	"\"START_TIME\":\"2021-01-01T00:00:00.123456Z\",\"END_TIME\":\"2021-01-01T00:00:20.654321Z\","
	"\"SRC_IP\":\"10.0.0.1\",\"SRC_PORT\":40000,\"DST_IP\":\"10.0.0.2\",\"DST_PORT\":40002,"
	"\"SSRC\":305419896,\"CODEC_PT\":8,\"CODEC_NAME\":\"PCMA\","
	"\"TOTAL_PK\":1000,\"EXPECTED_PK\":1020,\"PACKET_LOSS\":20,\"LOSS_PCT\":1.96,"
	"\"DUP_PK\":3,\"OUT_ORDER\":2,\"JITTER\":2.500,\"MEAN_JITTER\":2.500,"
	"\"MAX_JITTER\":12.346,\"MAX_DELTA\":60.000,\"MOS\":4.12}";

static void test_json(void)
{
	struct ct_stream_stats s;
	struct ct_buf b;

	fill_stream(&s);
	ct_buf_init(&b);
	CHECK_INT(ct_hep_qos_json(&s, "a\"b\\c@h", &b), CT_OK);
	CHECK_STR(b.p, want_v4);

	/* IPv6; unknown payload type, codec and MOS left out; more duplicates
	 * than losses: EXPECTED_PK never below 0; a figure not finite: null;
	 * a codec name filling its whole array (no NUL) is cut at the array. */
	memset(&s, 0, sizeof(s));
	s.src.family = s.dst.family = 6;
	s.src.a[0] = 0x20; s.src.a[1] = 0x01; s.src.a[15] = 1;
	s.dst.a[0] = 0x20; s.dst.a[1] = 0x01; s.dst.a[15] = 2;
	s.sport = 5004;
	s.dport = 5006;
	s.payload_type = -1;
	s.packets = 1;
	s.lost = -2;
	s.loss_pct = NAN;
	s.first_us = s.last_us = INT64_C(1000000);
	ct_buf_reset(&b);
	CHECK_INT(ct_hep_qos_json(&s, "x", &b), CT_OK);
	CHECK_STR(b.p, "{\"CORRELATION_ID\":\"x\",\"RTP_SIP_CALL_ID\":\"x\",\"TYPE\":\"HANGUP\","
	    "\"REPORT_TS\":1,\"START_TIME\":\"1970-01-01T00:00:01.000000Z\","
	    "\"END_TIME\":\"1970-01-01T00:00:01.000000Z\",\"SRC_IP\":\"2001::1\",\"SRC_PORT\":5004,"
	    "\"DST_IP\":\"2001::2\",\"DST_PORT\":5006,\"SSRC\":0,\"TOTAL_PK\":1,\"EXPECTED_PK\":0,"
	    "\"PACKET_LOSS\":-2,\"LOSS_PCT\":null,\"DUP_PK\":0,\"OUT_ORDER\":0,\"JITTER\":0.000,"
	    "\"MEAN_JITTER\":0.000,\"MAX_JITTER\":0.000,\"MAX_DELTA\":0.000}");
	memset(s.codec, 'G', sizeof(s.codec));
	s.payload_type = 18;
	ct_buf_reset(&b);
	CHECK_INT(ct_hep_qos_json(&s, "x", &b), CT_OK);
	CHECK(strstr(b.p, "\"CODEC_PT\":18,\"CODEC_NAME\":\"GGGGGGGGGGGGGGGGGGGGGGGG\",") != NULL);
	ct_buf_fini(&b);
}

/* A UDP socket on 127.0.0.1 (port in *port, as text); -1 on failure. */
static int listener(char *port, size_t len)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &al) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	snprintf(port, len, "%u", (unsigned)ntohs(a.sin_port));
	return fd;
}

/* The next datagram on fd, decoded into m (pointing into buf); CT_ERR when none. */
static int next_pkt(int fd, uint8_t *buf, size_t cap, struct ct_hep_msg *m)
{
	ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);

	if (n <= 0)
		return CT_ERR;
	return ct_hep_decode(buf, (size_t)n, m);
}

/* What the sender sends for a report, and what it counts. */
static void test_sender(void)
{
	static uint8_t buf[CT_HEP_MAX];
	struct ct_hep_out_cfg cfg;
	struct ct_hep_out_stats st;
	struct ct_stream_stats s, streams[2];
	struct ct_call_record rec;
	struct ct_sink_args args;
	struct ct_hep_out *h;
	struct ct_hep_msg m;
	char port[16], errbuf[CT_ERRBUF_SIZE];
	void *sink;
	int fd = listener(port, sizeof(port));

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	memset(&cfg, 0, sizeof(cfg));
	cfg.host = "127.0.0.1";
	cfg.port = port;
	cfg.capture_id = 2001;
	cfg.password = "pw";
	h = ct_hep_out_new(&cfg, errbuf);
	CHECK(h != NULL);
	if (h == NULL) {
		close(fd);
		return;
	}
	fill_stream(&s);
	ct_hep_out_qos(h, &s, "a\"b\\c@h");
	/* No address family: not encodable, a counted drop. */
	streams[0] = s;
	streams[0].src.family = 0;
	ct_hep_out_qos(h, &streams[0], "y");

	/* The sink: one report per stream of the record, in the record's order. */
	memset(&args, 0, sizeof(args));
	args.ctx = h;
	sink = ct_sink_hep_qos.open(&args, errbuf);
	CHECK(sink == h);
	fill_stream(&streams[0]);
	fill_stream(&streams[1]);
	streams[1].sport = 40002;
	streams[1].dport = 40000;
	memset(&rec, 0, sizeof(rec));
	rec.call_id = (char *)"call-2";
	rec.streams = streams;
	rec.n_streams = 2;
	CHECK_INT(ct_sink_hep_qos.write(sink, &rec, errbuf), CT_OK);
	rec.n_streams = 0;   /* a call without RTP: nothing */
	CHECK_INT(ct_sink_hep_qos.write(sink, &rec, errbuf), CT_OK);
	CHECK_INT(ct_sink_hep_qos.close(sink, errbuf), CT_OK);
	args.ctx = NULL;
	CHECK(ct_sink_hep_qos.open(&args, errbuf) == NULL && errbuf[0] != '\0');

	ct_hep_out_close(h);   /* everything queued is sent */
	ct_hep_out_qos(h, &s, "late");   /* after close: dropped, counted */
	ct_hep_out_get_stats(h, &st);
	CHECK_INT(st.qos_sent, 3);
	CHECK_INT(st.qos_dropped, 2);
	CHECK_INT(st.sent, 0);
	CHECK_INT(st.dropped, 0);

	/* The first report: every chunk. */
	CHECK_INT(next_pkt(fd, buf, sizeof(buf), &m), CT_OK);
	CHECK_INT(m.t.src.family, 4);
	CHECK(m.t.src.a[0] == 10 && m.t.src.a[3] == 1 && m.t.dst.a[0] == 10 && m.t.dst.a[3] == 2);
	CHECK_INT(m.t.sport, 40000);
	CHECK_INT(m.t.dport, 40002);
	CHECK_INT(m.t.proto, 17);
	CHECK_INT(m.ts_us, INT64_C(1609459220654321));   /* the stream's last packet */
	CHECK_INT(m.proto_type, 34);
	CHECK_INT(m.capture_id, 2001);
	CHECK(m.auth_key_len == 2 && memcmp(m.auth_key, "pw", 2) == 0);
	CHECK(m.correlation_len == 7 && memcmp(m.correlation, "a\"b\\c@h", 7) == 0);
	CHECK(m.payload_len == strlen(want_v4) && memcmp(m.payload, want_v4, m.payload_len) == 0);
	/* Its bytes up to the payload: the chunk order of every HEP packet calltap sends. */
	{
		static const uint8_t head[] = {
			'H', 'E', 'P', '3', 0, 0,
			0, 0, 0, 0x01, 0, 7, 2,
			0, 0, 0, 0x02, 0, 7, 17,
			0, 0, 0, 0x03, 0, 10, 10, 0, 0, 1,
			0, 0, 0, 0x04, 0, 10, 10, 0, 0, 2,
			0, 0, 0, 0x07, 0, 8, 0x9c, 0x40,              /* 40000 */
			0, 0, 0, 0x08, 0, 8, 0x9c, 0x42,              /* 40002 */
			0, 0, 0, 0x09, 0, 10, 0x5f, 0xee, 0x66, 0x14, /* 1609459220 */
			0, 0, 0, 0x0a, 0, 10, 0x00, 0x09, 0xfb, 0xf1, /* 654321 */
			0, 0, 0, 0x0b, 0, 7, 34,                      /* type 34: QoS report */
			0, 0, 0, 0x0c, 0, 10, 0, 0, 0x07, 0xd1,
			0, 0, 0, 0x0e, 0, 8, 'p', 'w',
			0, 0, 0, 0x11, 0, 13, 'a', '"', 'b', '\\', 'c', '@', 'h',
			0, 0, 0, 0x0f,
		};
		size_t total = sizeof(head) + 2 + strlen(want_v4);

		CHECK(memcmp(buf, head, 4) == 0 && memcmp(buf + 6, head + 6, sizeof(head) - 6) == 0);
		CHECK_INT((buf[4] << 8) | buf[5], total);
		CHECK_INT((buf[sizeof(head)] << 8) | buf[sizeof(head) + 1], 6 + strlen(want_v4));
	}
	/* The sink's two, in order, correlated with their call. */
	CHECK_INT(next_pkt(fd, buf, sizeof(buf), &m), CT_OK);
	CHECK(m.correlation_len == 6 && memcmp(m.correlation, "call-2", 6) == 0);
	CHECK_INT(m.t.sport, 40000);
	CHECK_INT(next_pkt(fd, buf, sizeof(buf), &m), CT_OK);
	CHECK(m.correlation_len == 6 && memcmp(m.correlation, "call-2", 6) == 0);
	CHECK_INT(m.t.sport, 40002);
	CHECK_INT(m.t.dport, 40000);
	CHECK_INT(next_pkt(fd, buf, sizeof(buf), &m), CT_ERR);   /* nothing more */
	ct_hep_out_free(h);
	close(fd);
}

int main(void)
{
	test_json();
	test_sender();
	return TEST_REPORT();
}
