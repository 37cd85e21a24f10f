/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests for src/sip/prescan.c, the SIP pre-scan: a table of byte
 * vectors (compact forms, folded headers, case, missing and duplicate
 * headers, garbage, truncation) with the values and flags expected, which
 * kinds of message the dialog table can take from it
 * (ct_sip_prescan_enough), and a differential test: for every SIP message
 * carried in one UDP datagram in pcaps/ (and in the captures under the
 * directories named by CT_PRESCAN_CORPUS, colon-separated, if set) the
 * pre-scan's Call-ID, CSeq, method, status, tags, branch and From user
 * equal what libosip2 gives through ct_sip_msg_parse(), and a message the
 * pre-scan calls plain (not CT_PS_COMPLEX) is one libosip2 accepts, without
 * SDP or Reason when the pre-scan saw none.
 * References: RFC 3261 §7.3 (header folding, compact forms), §8.1.1, §20.
 */
#include "config.h"

#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calltap/decode.h"
#include "calltap/dialog.h"
#include "calltap/err.h"
#include "calltap/sip.h"
#include "calltap/source.h"
#include "test.h"

/* Span as a C string in buf (for CHECK_STR); NULL when absent. */
static const char *str(const struct ct_sip_span *s, char *buf, size_t size)
{
	size_t n;

	if (s->p == NULL)
		return NULL;
	n = s->n < size - 1 ? s->n : size - 1;
	memcpy(buf, s->p, n);
	buf[n] = '\0';
	return buf;
}

struct vec {
	const char *name;
	const char *text;
	int rc;               /* of ct_sip_prescan */
	unsigned flags;       /* expected CT_PS_* (checked when rc is CT_OK) */
	int status;
	const char *method, *call_id;
	uint32_t cseq;
	const char *cseq_method, *from_tag, *to_tag, *branch, *from_user;
	bool enough;          /* ct_sip_prescan_enough */
	bool complete;        /* ct_sip_prescan_complete */
};

#define VIA "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1;rport\r\n"
#define FROM "From: \"Al\" <sip:alice@example.net>;tag=ft1\r\n"
#define TO "To: <sip:bob@example.net>\r\n"
#define TO_T "To: <sip:bob@example.net>;tag=tt1\r\n"
#define CID "Call-ID: c1@host\r\n"

static const struct vec vecs[] = {
	{ "ACK", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "ACK", "c1@host",
	  1, "ACK", "ft1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "180 to INVITE", "SIP/2.0 180 Ringing\r\n" VIA FROM TO_T CID
	  "CSeq: 7 INVITE\r\nContact: <sip:bob@192.0.2.2>\r\nContent-Length: 0\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER | CT_PS_CONTACT, 180, NULL, "c1@host", 7, "INVITE", "ft1", "tt1",
	  "z9hG4bK-1", "alice", true, true },
	{ "200 to INVITE (reads Contact)", "SIP/2.0 200 OK\r\n" VIA FROM TO_T CID
	  "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 200, NULL,
	  "c1@host", 7, "INVITE", "ft1", "tt1", "z9hG4bK-1", "alice", false, true },
	{ "486 to INVITE (reads the phrase)", "SIP/2.0 486 Busy Here\r\n" VIA FROM TO_T CID
	  "CSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 486, NULL,
	  "c1@host", 7, "INVITE", "ft1", "tt1", "z9hG4bK-1", "alice", false, true },
	{ "200 to BYE", "SIP/2.0 200 OK\r\n" VIA FROM TO_T CID
	  "CSeq: 8 BYE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 200, NULL,
	  "c1@host", 8, "BYE", "ft1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "initial INVITE", "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO CID
	  "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "INVITE",
	  "c1@host", 1, "INVITE", "ft1", NULL, "z9hG4bK-1", "alice", false, true },
	{ "re-INVITE without body", "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 2 INVITE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "INVITE",
	  "c1@host", 2, "INVITE", "ft1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "re-INVITE with SDP", "INVITE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 2 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 4\r\n\r\nv=0\n",
	  CT_OK, CT_PS_FROM_USER | CT_PS_SDP, 0, "INVITE", "c1@host", 2, "INVITE", "ft1", "tt1",
	  "z9hG4bK-1", "alice", false, true },
	{ "BYE", "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 3 BYE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "BYE", "c1@host",
	  3, "BYE", "ft1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "BYE with Reason", "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 3 BYE\r\nReason: Q.850;cause=16\r\nContent-Length: 0\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER | CT_PS_REASON | CT_PS_REASON_READ, 0, "BYE", "c1@host", 3, "BYE",
	  "ft1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "BYE with a Reason folded over two lines: libosip2 reads it",
	  "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 3 BYE\r\nReason: Q.850;cause=16;\r\n text=\"x\"\r\nContent-Length: 0\r\n\r\n",
	  CT_OK, CT_PS_FROM_USER | CT_PS_REASON, 0, "BYE", "c1@host", 3, "BYE", "ft1", "tt1",
	  "z9hG4bK-1", "alice", false, false },
	{ "CANCEL with a blank before Reason's colon: libosip2 reads it",
	  "CANCEL sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO CID
	  "CSeq: 1 CANCEL\r\nReason : SIP;cause=200\r\nContent-Length: 0\r\n\r\n",
	  CT_OK, CT_PS_FROM_USER | CT_PS_REASON, 0, "CANCEL", "c1@host", 1, "CANCEL", "ft1", NULL,
	  "z9hG4bK-1", "alice", false, false },
	{ "compact forms, odd case", "OPTIONS sip:100@1.1.1.1 SIP/2.0\r\n"
	  "v: SIP/2.0/UDP 10.0.0.1;branch=b2\r\nf: <sip:100@1.1.1.1>;tag=x\r\n"
	  "t: sip:100@1.1.1.1\r\ni: abc\r\nCSEQ: 12 OPTIONS\r\nl: 0\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER, 0, "OPTIONS", "abc", 12, "OPTIONS", "x", NULL, "b2", "100", true, true },
	{ "REFER (PBX legs read Refer-To)", "REFER sip:pbx@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
	  CID "CSeq: 4 REFER\r\nRefer-To: <sip:202@pbx>\r\nReferred-By: <sip:201@pbx>\r\n"
	  "Content-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "REFER", "c1@host", 4, "REFER",
	  "ft1", "tt1", "z9hG4bK-1", "alice", false, false },
	{ "REFER, compact r and b", "REFER sip:pbx@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 4 REFER\r\nr: <sip:202@pbx>\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER,
	  0, "REFER", "c1@host", 4, "REFER", "ft1", "tt1", "z9hG4bK-1", "alice", false, false },
	{ "REFER's Referred-By alone", "REFER sip:pbx@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 4 REFER\r\nb: <sip:201@pbx>\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER,
	  0, "REFER", "c1@host", 4, "REFER", "ft1", "tt1", "z9hG4bK-1", "alice", false, false },
	{ "NOTIFY with a non-SDP body", "NOTIFY sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 5 NOTIFY\r\nc: application/dialog-info+xml\r\nl: 5\r\n\r\n<x/>\n", CT_OK,
	  CT_PS_FROM_USER, 0, "NOTIFY", "c1@host", 5, "NOTIFY", "ft1", "tt1", "z9hG4bK-1",
	  "alice", true, true },
	{ "multipart may hold SDP", "INFO sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 5 INFO\r\nContent-Type: multipart/mixed;boundary=x\r\nl: 0\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER | CT_PS_SDP | CT_PS_COMPLEX, 0, "INFO", "c1@host", 5, "INFO", "ft1", "tt1",
	  "z9hG4bK-1", "alice", false, false },
	{ "folded From and CSeq", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
	  "From: \"Al\"\r\n <sip:alice@example.net>\r\n\t;tag=fold1\r\n" TO_T CID
	  "CSeq: 4\r\n ACK\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER | CT_PS_FOLDED,
	  0, "ACK", "c1@host", 4, "ACK", "fold1", "tt1", "z9hG4bK-1", "alice", true, true },
	{ "second Via ignored, first value only", "SIP/2.0 100 Trying\r\n"
	  "Via: SIP/2.0/UDP a.example;branch=top1, SIP/2.0/UDP b.example;branch=two\r\n"
	  "Via: SIP/2.0/TCP c.example;branch=three\r\n" FROM TO CID
	  "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n", CT_OK, CT_PS_FROM_USER, 100, NULL,
	  "c1@host", 1, "INVITE", "ft1", NULL, "top1", "alice", true, true },
	{ "tel: From: user unknown", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
	  "From: <tel:+4930123>;tag=t9\r\n" TO_T CID "CSeq: 1 ACK\r\nl: 0\r\n\r\n", CT_OK, 0, 0,
	  "ACK", "c1@host", 1, "ACK", "t9", "tt1", "z9hG4bK-1", NULL, false, false },
	{ "escaped user: left to libosip2", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
	  "From: <sip:al%20ice@example.net>;tag=t9\r\n" TO_T CID "CSeq: 1 ACK\r\nl: 0\r\n\r\n",
	  CT_OK, 0, 0, "ACK", "c1@host", 1, "ACK", "t9", "tt1", "z9hG4bK-1", NULL, false, false },
	{ "From without user", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA
	  "From: <sip:example.net>;tag=t9\r\n" TO_T CID "CSeq: 1 ACK\r\nl: 0\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER, 0, "ACK", "c1@host", 1, "ACK", "t9", "tt1", "z9hG4bK-1", NULL, true, true },
	{ "no Content-Length, no body", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 1 ACK\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0, "ACK", "c1@host", 1, "ACK", "ft1",
	  "tt1", "z9hG4bK-1", "alice", true, true },
	{ "body longer than Content-Length", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
	  CID "CSeq: 1 ACK\r\nContent-Length: 0\r\n\r\ngarbage", CT_OK,
	  CT_PS_FROM_USER | CT_PS_COMPLEX, 0, "ACK", "c1@host", 1, "ACK", "ft1", "tt1",
	  "z9hG4bK-1", "alice", false, false },
	{ "line without a colon", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 1 ACK\r\nGarbage line\r\n\r\n", CT_OK, CT_PS_FROM_USER | CT_PS_COMPLEX, 0,
	  "ACK", "c1@host", 1, "ACK", "ft1", "tt1", "z9hG4bK-1", "alice", false, false },
	{ "stray CR in a header", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
	  "Contact: <sip:x@y>\r\r\n" CID "CSeq: 1 ACK\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER | CT_PS_COMPLEX | CT_PS_CONTACT, 0, "ACK", "c1@host", 1, "ACK", "ft1",
	  "tt1", "z9hG4bK-1", "alice", false, false },
	{ "MIME-Version: left to libosip2", "ACK sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
	  CID "CSeq: 1 ACK\r\nMIME-Version: 1.0\r\n\r\n", CT_OK, CT_PS_FROM_USER | CT_PS_COMPLEX,
	  0, "ACK", "c1@host", 1, "ACK", "ft1", "tt1", "z9hG4bK-1", "alice", false, false },
	{ "long method truncated like msg.c", "VERYLONGMETHODNAME sip:a@b SIP/2.0\r\n" VIA FROM
	  TO_T CID "CSeq: 1 VERYLONGMETHODNAME\r\n\r\n", CT_OK, CT_PS_FROM_USER, 0,
	  "VERYLONGMETHODNAME", "c1@host", 1, "VERYLONGMETHODNAME", "ft1", "tt1", "z9hG4bK-1",
	  "alice", true, true },
	/* Failures: nothing is vouched for, libosip2 judges. */
	{ "duplicate Call-ID", "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID CID
	  "CSeq: 1 ACK\r\n\r\n", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,
	  false, false },
	{ "duplicate From", "ACK sip:a@b SIP/2.0\r\n" VIA FROM FROM TO_T CID
	  "CSeq: 1 ACK\r\n\r\n", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,
	  false, false },
	{ "missing CSeq", "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "\r\n", CT_ERR, 0, 0, NULL,
	  NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "missing Via", "ACK sip:a@b SIP/2.0\r\n" FROM TO_T CID "CSeq: 1 ACK\r\n\r\n", CT_ERR,
	  0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "CSeq over 32 bits", "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID
	  "CSeq: 4294967296 ACK\r\n\r\n", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL,
	  NULL, false, false },
	{ "Tag in capitals", "ACK sip:a@b SIP/2.0\r\n" VIA "From: <sip:a@b>;TAG=x\r\n" TO_T CID
	  "CSeq: 1 ACK\r\n\r\n", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL,
	  false, false },
	{ "empty parameter", "ACK sip:a@b SIP/2.0\r\n"
	  "Via: SIP/2.0/UDP h;;branch=x\r\n" FROM TO_T CID "CSeq: 1 ACK\r\n\r\n", CT_ERR, 0, 0,
	  NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "escaped quote outside quotes", "ACK sip:a@b SIP/2.0\r\n" VIA
	  "f: \\\"x\\\" <sip:a@b>;tag=1\r\n" TO_T CID "CSeq: 1 ACK\r\n\r\n", CT_ERR, 0, 0, NULL,
	  NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "bad version", "ACK sip:a@b SIP/3.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n\r\n",
	  CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "garbage", "\x01\x02\x03 hello\r\n\r\n", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL,
	  NULL, NULL, NULL, false, false },
	{ "truncated in the start line", "SIP/2.0 20", CT_ERR, 0, 0, NULL, NULL, 0, NULL, NULL,
	  NULL, NULL, NULL, false, false },
	{ "truncated in a header", "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-", CT_ERR, 0,
	  0, NULL, NULL, 0, NULL, NULL, NULL, NULL, NULL, false, false },
	{ "initial INVITE, all fields", "INVITE sip:+4930555@pbx.example SIP/2.0\r\n" VIA
	  "From: \"A \\\"B\\\"\" <sip:100@pbx.example>;tag=x\r\n" TO CID
	  "P-Asserted-Identity: \"A\" <sip:+49301@pbx.example>\r\n"
	  "Contact: <sip:ext@192.0.2.1:5060;transport=udp>;expires=60, <sip:other@h>\r\n"
	  "CSeq: 1 INVITE\r\nContent-Type: application/sdp\r\nContent-Length: 75\r\n\r\n"
	  "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\nm=audio 4000 RTP/AVP 0\r\n",
	  CT_OK, CT_PS_FROM_USER | CT_PS_SDP | CT_PS_PAI | CT_PS_CONTACT, 0, "INVITE", "c1@host",
	  1, "INVITE", "x", NULL, "z9hG4bK-1", "100", false, true },
	{ "tel: P-Asserted-Identity: not complete", "INVITE sip:+4930555@pbx.example SIP/2.0\r\n"
	  VIA FROM TO CID "P-Asserted-Identity: <tel:+49301>\r\nCSeq: 1 INVITE\r\n\r\n", CT_OK,
	  CT_PS_FROM_USER | CT_PS_PAI, 0, "INVITE", "c1@host", 1, "INVITE", "ft1", NULL,
	  "z9hG4bK-1", "alice", false, false },
	{ "reason phrase with a trailing blank: not complete", "SIP/2.0 180 Ringing \r\n" VIA
	  FROM TO_T CID "CSeq: 7 INVITE\r\n\r\n", CT_OK, CT_PS_FROM_USER, 180, NULL, "c1@host", 7,
	  "INVITE", "ft1", "tt1", "z9hG4bK-1", "alice", true, false },
};

/* The flags the vectors give (the "known" flags of complete messages apart). */
#define PS_FLAGS (CT_PS_REASON | CT_PS_SDP | CT_PS_CONTACT | CT_PS_PAI | CT_PS_FOLDED | \
	CT_PS_COMPLEX | CT_PS_FROM_USER | CT_PS_REASON_READ)

static void test_vectors(void)
{
	struct ct_sip_prescan ps;
	char b[128];
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
		const struct vec *v = &vecs[i];
		int rc = ct_sip_prescan(&ps, v->text, strlen(v->text));

		if (rc != v->rc)
			fprintf(stderr, "vector: %s\n", v->name);
		CHECK_INT(rc, v->rc);
		if (rc != CT_OK || v->rc != CT_OK)
			continue;
		if ((ps.flags & PS_FLAGS) != v->flags)
			fprintf(stderr, "vector: %s\n", v->name);
		CHECK_INT(ps.flags & PS_FLAGS, v->flags);
		CHECK_INT(ps.is_request, v->method != NULL);
		CHECK_INT(ps.status, v->status);
		CHECK_STR(str(&ps.method, b, sizeof(b)), v->method);
		CHECK_STR(str(&ps.call_id, b, sizeof(b)), v->call_id);
		CHECK_INT(ps.cseq, v->cseq);
		CHECK_STR(str(&ps.cseq_method, b, sizeof(b)), v->cseq_method);
		CHECK_STR(str(&ps.from_tag, b, sizeof(b)), v->from_tag);
		CHECK_STR(str(&ps.to_tag, b, sizeof(b)), v->to_tag);
		CHECK_STR(str(&ps.via_branch, b, sizeof(b)), v->branch);
		CHECK_STR(str(&ps.from_user, b, sizeof(b)), v->from_user);
		if (ct_sip_prescan_enough(&ps) != v->enough)
			fprintf(stderr, "vector: %s (enough)\n", v->name);
		CHECK_INT(ct_sip_prescan_enough(&ps), v->enough);
		if (ct_sip_prescan_complete(&ps) != v->complete)
			fprintf(stderr, "vector: %s (complete)\n", v->name);
		CHECK_INT(ct_sip_prescan_complete(&ps), v->complete);
	}
}

/* Index of the vector named name. */
static const struct vec *vec_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
		if (strcmp(vecs[i].name, name) == 0)
			return &vecs[i];
	return &vecs[0];
}

/* ct_sip_prescan_msg: the fields msg.c would give, truncation and the scratch bound. */
static void test_msg(void)
{
	struct ct_sip_prescan ps;
	struct ct_sip_msg m;
	char scratch[256];
	const struct vec *v = vec_named("long method truncated like msg.c");

	CHECK_INT(ct_sip_prescan(&ps, v->text, strlen(v->text)), CT_OK);
	memset(&m, 0x5a, sizeof(m));
	m.ts_us = 99;
	CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, sizeof(scratch)), CT_OK);
	CHECK_INT(m.ts_us, 99);
	CHECK_STR(m.method, "VERYLONGMETHODN");
	CHECK_STR(m.cseq_method, "VERYLONGMETHODN");
	CHECK_STR(m.call_id, "c1@host");
	CHECK_STR(m.from_tag, "ft1");
	CHECK_STR(m.to_tag, "tt1");
	CHECK_STR(m.from_user, "alice");
	CHECK_STR(m.from_name, "Al");
	CHECK_STR(m.ruri_user, "a");
	CHECK_STR(m.via_branch, "z9hG4bK-1");
	CHECK(m.contact_user == NULL && m.pai_user == NULL);
	CHECK_STR(m.to_user, "bob");   /* complete: the To user too (calls in progress) */
	CHECK(m.to_name == NULL && m.link_id == NULL && m.diversion_user == NULL);
	CHECK_INT(m.via_addr.family, 4);  /* 192.0.2.1 */
	CHECK_INT(m.contact_addr.family, 0);
	CHECK(m.reason_text == NULL && m.reason_phrase == NULL && !m.has_sdp);
	CHECK_INT(m.q850_cause, -1);
	CHECK_INT(m.osip_lines, 0);
	CHECK_INT(m.repeated_headers, 0);   /* dialog.c doubts a BYE with repeats */
	CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, 12), CT_ERR);

	v = vec_named("initial INVITE, all fields");
	CHECK_INT(ct_sip_prescan(&ps, v->text, strlen(v->text)), CT_OK);
	CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, sizeof(scratch)), CT_OK);
	CHECK_STR(m.ruri_user, "+4930555");
	CHECK_STR(m.from_name, "A \"B\"");
	CHECK_STR(m.pai_user, "+49301");
	CHECK_STR(m.contact_user, "ext");
	CHECK_INT(m.has_sdp, true);
	CHECK_INT(m.sdp.n_media, 1);
	CHECK_INT(m.sdp.media[0].port, 4000);

	{
		/* A quoted display name holding '<' (RFC 3261 §25.1): the URI is in
		 * the first '<' outside it (red-team pass 9: the first '<' was taken). */
		static const char q[] = "INVITE sip:+4930555@pbx.example SIP/2.0\r\n" VIA FROM TO CID
		    "P-Asserted-Identity: \"Smith <Sales>\" <sip:+49301@pbx.example>\r\n"
		    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

		CHECK_INT(ct_sip_prescan(&ps, q, strlen(q)), CT_OK);
		CHECK(ps.flags & CT_PS_PAI_USER);
		CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, sizeof(scratch)), CT_OK);
		CHECK_STR(m.pai_user, "+49301");
	}
	{
		/* Remote-Party-ID is read by msg.c: a message with one is not the pre-scan's alone */
		static const char r[] = "INVITE sip:+4930555@pbx.example SIP/2.0\r\n" VIA FROM TO CID
		    "Remote-Party-ID: <sip:+49301@pbx.example>;party=calling\r\n"
		    "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";

		CHECK_INT(ct_sip_prescan(&ps, r, strlen(r)), CT_OK);
		CHECK(!ct_sip_prescan_complete(&ps));
	}

	v = vec_named("486 to INVITE (reads the phrase)");
	CHECK_INT(ct_sip_prescan(&ps, v->text, strlen(v->text)), CT_OK);
	CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, sizeof(scratch)), CT_OK);
	CHECK_STR(m.reason_phrase, "Busy Here");
	CHECK_INT(m.status, 486);
	CHECK(m.method[0] == '\0' && !m.is_request);
}

/*
 * A NUL anywhere in the header section makes the pre-scan decline, so
 * libosip2 (which reads headers as C strings) judges the message, as it
 * does with the pre-scan off: before, a BYE with a NUL in its
 * P-Asserted-Identity ended the call by default and was dropped without
 * the pre-scan.  A NUL in the body is the body's (a binary part).
 */
static void test_nul(void)
{
	static const struct {
		const char *before, *after;   /* a header line around the byte */
	} hdr[] = {
		{ "P-Asserted-Identity: <sip:+15550100@192.0.2.1>", "junk" },
		{ "User-Agent: x", "" },
		{ "Reason: Q.850;cause=16", "" },
		{ "Subject: ", "x" },
	};
	static const char head[] = "BYE sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 2 BYE\r\n";
	struct ct_sip_prescan ps;
	char buf[1024];
	size_t i, n;
	int k;

	for (i = 0; i < sizeof(hdr) / sizeof(hdr[0]); i++) {
		for (k = 0; k < 2; k++) {
			n = (size_t)snprintf(buf, sizeof(buf), "%s%s", head, hdr[i].before);
			buf[n++] = k ? '\0' : 'x';
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s\r\n\r\n", hdr[i].after);
			CHECK_INT(ct_sip_prescan(&ps, buf, n), k ? CT_ERR : CT_OK);
		}
	}
	n = (size_t)snprintf(buf, sizeof(buf), "%sContent-Type: application/isup\r\n"
	    "Content-Length: 4\r\n\r\n", head);
	memcpy(buf + n, "a\0b\0", 4);
	CHECK_INT(ct_sip_prescan(&ps, buf, n + 4), CT_OK);
	CHECK_INT(ps.body_len, 4);
}

/* A request whose CSeq names another method: declined (msg.c refuses it). */
static void test_cseq_method(void)
{
	static const char *const cseq[] = { "2 BYE", "2 INVITE", "2 bye", "2 BYEX" };
	struct ct_sip_prescan ps;
	char buf[512];
	size_t i, n;

	for (i = 0; i < sizeof(cseq) / sizeof(cseq[0]); i++) {
		n = (size_t)snprintf(buf, sizeof(buf), "BYE sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID
		    "CSeq: %s\r\n\r\n", cseq[i]);
		CHECK_INT(ct_sip_prescan(&ps, buf, n), i == 0 ? CT_OK : CT_ERR);
	}
}

/*
 * The limits of msg.c hold on the pre-scan too: more header lines than
 * CT_SIP_MAX_HEADERS (folded continuation lines count) fail it, as msg.c
 * refuses the message; so does a message over CT_SIP_MAX_BYTES.
 */
static void test_limits(void)
{
	static const char head[] = "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n";
	struct ct_sip_prescan ps;
	size_t cap = 64 * 1024, n, i;
	char *buf = malloc(CT_SIP_MAX_BYTES + 2);

	if (buf == NULL)
		return;
	n = (size_t)snprintf(buf, cap, "%s", head);
	for (i = 0; i < CT_SIP_MAX_HEADERS - 5; i++)
		n += (size_t)snprintf(buf + n, cap - n, "X: y\r\n");
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);   /* 256 lines: at the limit */
	n -= 2;
	n += (size_t)snprintf(buf + n, cap - n, "X: y\r\n\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);  /* 257 */
	n = (size_t)snprintf(buf, cap, "%sSubject: a\r\n", head);
	for (i = 0; i < CT_SIP_MAX_HEADERS; i++)
		n += (size_t)snprintf(buf + n, cap - n, " b\r\n");
	n += (size_t)snprintf(buf + n, cap - n, "\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);  /* folded lines count */
	n = (size_t)snprintf(buf, cap, "%s\r\n", head);
	memset(buf + n, 'x', CT_SIP_MAX_BYTES + 1 - n);
	CHECK_INT(ct_sip_prescan(&ps, buf, CT_SIP_MAX_BYTES + 1), CT_ERR);
	CHECK_INT(ct_sip_prescan(&ps, buf, 0), CT_ERR);
	free(buf);
}

struct diff_stats {
	unsigned messages, plain, vouched, complete, failed, reasons;
};

/* Compares the pre-scan with libosip2 on one message. */
static void diff_one(const char *where, const char *text, size_t len, struct diff_stats *ds)
{
	struct ct_sip_prescan ps;
	struct ct_sip_msg m;
	char b[512];
	int rc, prc;
	int before = ct_t_fail;

	ds->messages++;
	prc = ct_sip_prescan(&ps, text, len);
	memset(&m, 0, sizeof(m));
	rc = ct_sip_msg_parse(&m, text, len);
	if (prc == CT_OK)
		ds->vouched++;
	if (prc == CT_OK && !(ps.flags & CT_PS_COMPLEX)) {
		ds->plain++;
		CHECK_INT(rc, CT_OK);
		if (!(ps.flags & CT_PS_SDP))
			CHECK(!m.has_sdp);
		if (!(ps.flags & CT_PS_REASON))
			CHECK(m.q850_cause == -1 && m.reason_text == NULL);
		if (ps.flags & CT_PS_REASON_READ)
			ds->reasons++;
	}
	if (prc == CT_OK && rc == CT_OK) {
		struct ct_sip_msg p;
		char scratch[1024];

		p.ts_us = 0;
		if (ct_sip_prescan_msg(&ps, &p, scratch, sizeof(scratch)) == CT_OK) {
			CHECK_INT(p.is_request, m.is_request);
			CHECK_STR(p.method, m.method);
			CHECK_INT(p.status, m.status);
			CHECK_STR(p.call_id, m.call_id);
			CHECK_INT(p.cseq, m.cseq);
			CHECK_STR(p.cseq_method, m.cseq_method);
			CHECK_STR(p.from_tag, m.from_tag);
			CHECK_STR(p.to_tag, m.to_tag);
			CHECK_STR(p.via_branch, m.via_branch);
			CHECK_STR(p.via_branch2, m.via_branch2);
			/* read of every message by the signalling path (sigpath.c); the
			 * engine takes no CT_PS_COMPLEX message (a Contact host it
			 * cannot split makes one) */
			if (!(ps.flags & CT_PS_COMPLEX)) {
				CHECK(ct_addr_eq(&p.via_addr, &m.via_addr));
				CHECK(ct_addr_eq(&p.contact_addr, &m.contact_addr));
			}
			if (ps.flags & CT_PS_FROM_USER)
				CHECK_STR(p.from_user, m.from_user);
			/* read for BYE and CANCEL, complete or not */
			if (ps.flags & CT_PS_REASON_READ) {
				CHECK_INT(p.q850_cause, m.q850_cause);
				CHECK_STR(p.reason_text, m.reason_text);
			}
			if (ct_sip_prescan_complete(&ps)) {
				ds->complete++;
				CHECK_STR(p.ruri_user, m.ruri_user);
				CHECK_STR(p.reason_phrase, m.reason_phrase);
				CHECK_STR(p.from_name, m.from_name);
				CHECK_STR(p.pai_user, m.pai_user);
				CHECK_STR(p.contact_user, m.contact_user);
				CHECK_STR(p.to_user, m.to_user);
				CHECK_STR(p.to_name, m.to_name);
				CHECK_STR(p.link_id, m.link_id);
				CHECK_STR(p.diversion_user, m.diversion_user);
				CHECK_INT(p.q850_cause, m.q850_cause);
				CHECK_STR(p.reason_text, m.reason_text);
				CHECK_INT(p.has_sdp, m.has_sdp);
				/* ct_sdp_parse fills the media up to n_media only */
				if (p.has_sdp && m.has_sdp) {
					CHECK(memcmp(&p.sdp.conn, &m.sdp.conn, sizeof(p.sdp.conn)) == 0);
					CHECK_INT(p.sdp.n_media, m.sdp.n_media);
					if (p.sdp.n_media == m.sdp.n_media)
						CHECK(memcmp(p.sdp.media, m.sdp.media, p.sdp.n_media *
						    sizeof(p.sdp.media[0])) == 0);
				}
			}
		}
	}
	if (ct_t_fail != before) {
		ds->failed++;
		snprintf(b, sizeof(b), "%.*s", (int)(len < 300 ? len : 300), text);
		fprintf(stderr, "differential: %s: message %u:\n%s\n", where, ds->messages, b);
	}
	ct_sip_msg_fini(&m);
}

/* Every SIP message in one UDP datagram (not a fragment) of the capture path. */
static void diff_capture(const char *path, struct diff_stats *ds)
{
	char errbuf[CT_ERRBUF_SIZE];
	struct ct_decode_ctx dctx;
	struct ct_source *s = ct_source_open_file(path, NULL, errbuf);
	struct ct_frame f;

	if (s == NULL)
		return;
	ct_decode_ctx_init(&dctx);
	while (s->ops->next(s, &f, errbuf) == 1) {
		struct ct_packet pkt;

		memset(&pkt, 0, sizeof(pkt));
		pkt.data = f.data;
		pkt.caplen = f.caplen;
		pkt.wirelen = f.wirelen;
		pkt.linktype = f.linktype;
		pkt.ts_us = f.ts_us;
		if (ct_decode_frame(&dctx, &pkt) != CT_DEC_OK || pkt.t.proto != 17)
			continue;
		if (ct_sip_looks_like((const char *)pkt.payload, pkt.payload_len))
			diff_one(path, (const char *)pkt.payload, pkt.payload_len, ds);
	}
	ct_source_close(s);
}

static bool is_capture(const char *name)
{
	size_t n = strlen(name);

	return (n > 5 && strcmp(name + n - 5, ".pcap") == 0) ||
	    (n > 7 && strcmp(name + n - 7, ".pcapng") == 0);
}

/* Every capture under dir (recursively, bounded depth). */
static void diff_dir(const char *dir, int depth, struct diff_stats *ds)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[4096];

	if (d == NULL || depth > 6) {
		if (d != NULL)
			closedir(d);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (is_capture(de->d_name))
			diff_capture(path, ds);
		else if (de->d_type == DT_DIR || de->d_type == DT_UNKNOWN)
			diff_dir(path, depth + 1, ds);
	}
	closedir(d);
}

/*
 * Reason headers (RFC 3326) read by the pre-scan (src/sip/reason.c) give
 * the cause and text libosip2's path gives: the expected values are
 * checked on ct_sip_msg_parse(), and diff_one compares the two.
 */
static void test_reason(void)
{
	static const struct {
		const char *hdrs;
		bool read;
		int cause;
		const char *text;
	} rv[] = {
		{ "Reason: Q.850;cause=16;text=\"Normal call clearing\"\r\n", true, 16,
		  "Normal call clearing" },
		{ "Reason: SIP;cause=200;text=\"Call completed elsewhere\"\r\n", true, -1,
		  "Call completed elsewhere" },
		{ "Reason: SIP;cause=487, Q.850;cause=31;text=\"x, y\"\r\n", true, 31, "x, y" },
		{ "Reason: q.850 ; cause = 17 ; text = \"busy\"\r\n", true, 17, "busy" },
		{ "Reason: Q.850;cause=16;text=\"\"\r\nReason: Q.850;cause=17;text=\"second\"\r\n",
		  true, 16, "second" },
		{ "Reason: Q.850;cause=16;text=\"  \"\r\nReason: SIP;text=\"fallback\"\r\n", true, 16,
		  "fallback" },
		{ "Reason: SIP;text=\"first\", Q.850;cause=34;text=\"q850 wins\"\r\n", true, 34,
		  "q850 wins" },
		{ "Reason: Q.850;cause=12345\r\n", true, -1, NULL },
		{ "Reason: Q.850;cause=1a;text=digits\r\n", true, -1, "digits" },
		{ "Reason: SIP;text=\"a \\\"quoted\\\" word\"\r\n", true, -1, "a \"quoted\" word" },
		{ "Reason: SIP;text=\"unclosed\r\n", true, -1, "\"unclosed" },
		{ "Reason: SIP;text=\"\\ \"\r\n", true, -1, NULL },
		{ "Reason: Q.850;cause=16;text=\"a;b,c\";x=1, SIP;cause=1\r\n", true, 16, "a;b,c" },
		{ "REASON: Q.850;CAUSE=41\r\n", true, 41, NULL },
		{ "Reason:\r\n", true, -1, NULL },
		{ "Reason: Q.850;cause=16;text=\"tab\tinside\"\r\n", true, 16, "tab\tinside" },
		/* a control byte, a fold: libosip2 alone reads them (not compared) */
		{ "Reason: Q.850;cause=16;text=\"\x01\"\r\n", false, 16, "\x01" },
		/* a ninth Reason header goes to neither parser (msg.c keeps 8) */
		{ "Reason: SIP;cause=1\r\nReason: SIP;cause=2\r\nReason: SIP;cause=3\r\n"
		  "Reason: SIP;cause=4\r\nReason: SIP;cause=5\r\nReason: SIP;cause=6\r\n"
		  "Reason: SIP;cause=7\r\nReason: SIP;cause=8\r\n"
		  "Reason: Q.850;cause=20;text=\"ninth\"\r\n", true, -1, NULL },
	};
	struct diff_stats ds = { 0, 0, 0, 0, 0, 0 };
	char text[2048];
	size_t i;

	for (i = 0; i < sizeof(rv) / sizeof(rv[0]); i++) {
		struct ct_sip_prescan ps;
		struct ct_sip_msg m;
		int n = snprintf(text, sizeof(text), "BYE sip:bob@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
		    CID "CSeq: 3 BYE\r\n%sContent-Length: 0\r\n\r\n", rv[i].hdrs);
		unsigned before = (unsigned)ct_t_fail;

		CHECK_INT(ct_sip_prescan(&ps, text, (size_t)n), CT_OK);
		CHECK_INT(!!(ps.flags & CT_PS_REASON_READ), rv[i].read);
		CHECK_INT(ct_sip_prescan_enough(&ps), rv[i].read);
		memset(&m, 0, sizeof(m));
		CHECK_INT(ct_sip_msg_parse(&m, text, (size_t)n), CT_OK);
		CHECK_INT(m.q850_cause, rv[i].cause);
		CHECK_STR(m.reason_text, rv[i].text);
		ct_sip_msg_fini(&m);
		diff_one("reason vector", text, (size_t)n, &ds);
		if ((unsigned)ct_t_fail != before)
			fprintf(stderr, "reason vector %zu: %s\n", i, rv[i].hdrs);
	}
	CHECK_INT(ds.failed, 0);
}

/*
 * The branch of the second Via value (src/sip/via.c), the same from both
 * parsers: after a comma of the first Via header (Kamailio joins them), or
 * the second header's first value; folded, quoted parameters holding a
 * comma or ';', other parameter cases, none; never of a request (only
 * responses are matched by it).  The expected values are checked on
 * ct_sip_msg_parse(), and diff_one compares the two.
 */
static void test_via2(void)
{
	static const struct {
		const char *vias;
		const char *branch2;
	} vv[] = {
		{ "Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKp, SIP/2.0/UDP "
		  "127.0.0.1:34136;branch=z9hG4bK-1-0\r\n", "z9hG4bK-1-0" },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp\r\n"
		  "Via: SIP/2.0/TCP [2001:db8::1]:5061;received=192.0.2.1;branch=z9hG4bKa\r\n",
		  "z9hG4bKa" },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp\r\nv: SIP/2.0/UDP h.example;rport;"
		  "BRANCH = z9hG4bKb ;x\r\n", "z9hG4bKb" },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp,\r\n SIP/2.0/UDP 192.0.2.1\r\n"
		  " ;branch=z9hG4bKf\r\n", "z9hG4bKf" },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp, SIP/2.0/UDP 192.0.2.1;x=\"a,b;"
		  "branch=no\";branch=z9hG4bKq, SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKthird\r\n",
		  "z9hG4bKq" },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp, SIP/2.0/UDP 192.0.2.1;branch=\"q\""
		  "\r\n", NULL },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp, SIP/2.0/UDP 192.0.2.1;received=x"
		  "\r\nVia: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKthird\r\n", NULL },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp\r\n", NULL },
		{ "Via: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bKp\r\nVia: SIP/2.0/UDP 192.0.2.1"
		  "\r\nVia: SIP/2.0/UDP 192.0.2.3;branch=z9hG4bKthird\r\n", NULL },
	};
	struct diff_stats ds = { 0, 0, 0, 0, 0, 0 };
	char text[2048];
	size_t i;

	/* Each as a response, then as a request (which keeps no second branch). */
	for (i = 0; i < 2 * sizeof(vv) / sizeof(vv[0]); i++) {
		size_t k = i / 2;
		bool req = i % 2 == 1;
		struct ct_sip_msg m;
		int n = snprintf(text, sizeof(text), "%s\r\n%s" FROM TO_T
		    CID "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
		    req ? "INVITE sip:bob@example.net SIP/2.0" : "SIP/2.0 180 Ringing", vv[k].vias);
		unsigned before = (unsigned)ct_t_fail;

		memset(&m, 0, sizeof(m));
		CHECK_INT(ct_sip_msg_parse(&m, text, (size_t)n), CT_OK);
		CHECK_STR(m.via_branch, "z9hG4bKp");
		CHECK_STR(m.via_branch2, req ? NULL : vv[k].branch2);
		ct_sip_msg_fini(&m);
		diff_one("via vector", text, (size_t)n, &ds);
		if ((unsigned)ct_t_fail != before)
			fprintf(stderr, "via vector %zu (%s): %s\n", k, req ? "request" : "response",
			    vv[k].vias);
	}
	CHECK_INT(ds.failed, 0);
	CHECK_INT(ds.vouched, 2 * sizeof(vv) / sizeof(vv[0]));
}

static void test_differential(void)
{
	const char *top = getenv("top_srcdir");
	const char *corpus = getenv("CT_PRESCAN_CORPUS");
	struct diff_stats ds = { 0, 0, 0, 0, 0, 0 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/pcaps", top != NULL ? top : ".");
	diff_dir(path, 0, &ds);
	printf("differential, pcaps/: %u SIP messages, %u read by the pre-scan, %u plain, "
	    "%u complete, %u with Reason read, %u differ\n", ds.messages, ds.vouched, ds.plain,
	    ds.complete, ds.reasons, ds.failed);
	/* pcaps/ holds several hundred SIP datagrams; most are plain. */
	CHECK(ds.messages > 300);
	CHECK(ds.plain * 10 > ds.messages * 7);
	CHECK(ds.complete * 2 > ds.messages);
	if (corpus != NULL) {
		char *copy = strdup(corpus), *save = NULL, *dir;

		memset(&ds, 0, sizeof(ds));
		for (dir = strtok_r(copy, ":", &save); dir != NULL; dir = strtok_r(NULL, ":", &save))
			diff_dir(dir, 0, &ds);
		printf("differential, %s: %u SIP messages, %u read by the pre-scan, %u plain, "
		    "%u complete, %u with Reason read, %u differ\n", corpus, ds.messages, ds.vouched,
		    ds.plain, ds.complete, ds.reasons, ds.failed);
		free(copy);
	}
}

/*
 * via_addr and contact_addr (the signalling path learns hops from them,
 * retransmissions too) as libosip2 gives them, and the headers PBX legs
 * read (correlation ids, Diversion, History-Info), which make a message
 * incomplete; a host the pre-scan cannot split like libosip2 fails it or
 * makes it complex.
 */
static void test_hosts(void)
{
	static const struct {
		const char *name, *via, *contact, *extra;
		int rc;          /* of ct_sip_prescan */
		bool complex;    /* CT_PS_COMPLEX */
		bool complete;
		int via_family, contact_family;
	} hv[] = {
		{ "IPv4 both", "192.0.2.1:5060", "<sip:bob@198.51.100.7:5062;transport=udp>", "",
		  CT_OK, false, true, 4, 4 },
		{ "IPv4 no port", "192.0.2.1", "sip:bob@198.51.100.7", "", CT_OK, false, true, 4, 4 },
		{ "IPv6 bracketed", "[2001:db8::1]:5060", "<sip:bob@[2001:db8::7]:5060>", "",
		  CT_OK, false, true, 6, 6 },
		{ "IPv6 no port", "[2001:db8::1]", "<sip:[2001:db8::7]>", "", CT_OK, false, true, 6, 6 },
		{ "host names", "proxy.example.net:5060", "<sip:bob@pbx.example.net>", "",
		  CT_OK, false, true, 0, 0 },
		{ "contact host only", "192.0.2.1", "<sip:198.51.100.9;lr>", "", CT_OK, false, true, 4, 4 },
		{ "contact user:password", "192.0.2.1", "<sip:bob:pw@198.51.100.9>", "", CT_OK, false,
		  false, 4, 4 },
		{ "tel contact", "192.0.2.1", "<tel:+4930555>", "", CT_OK, false, false, 4, 0 },
		{ "star contact", "192.0.2.1", "*", "", CT_OK, false, true, 4, 0 },
		{ "IPv4 in brackets", "192.0.2.1", "<sip:bob@[198.51.100.7]>", "", CT_OK, true,
		  false, 4, 4 },
		{ "contact host underscore", "192.0.2.1", "<sip:bob@pbx_1.example>", "", CT_OK, true,
		  false, 4, 0 },
		{ "contact bad port", "192.0.2.1", "<sip:bob@198.51.100.7:50x>", "", CT_OK, true,
		  false, 4, 4 },
		{ "via IPv6 unbracketed", "2001:db8::1", "<sip:bob@198.51.100.7>", "", CT_ERR, false,
		  false, 0, 0 },
		{ "via port too long", "192.0.2.1:506000", "<sip:bob@198.51.100.7>", "", CT_ERR, false,
		  false, 0, 0 },
		{ "X-CID", "192.0.2.1", "<sip:bob@198.51.100.7>", "X-CID: orig-1@pbx\r\n", CT_OK,
		  false, false, 4, 4 },
		{ "X-Orig-Call-ID", "192.0.2.1", "<sip:bob@198.51.100.7>", "x-orig-call-id: o2\r\n",
		  CT_OK, false, false, 4, 4 },
		{ "X-Original-Call-ID", "192.0.2.1", "<sip:bob@198.51.100.7>",
		  "X-Original-Call-ID: o3\r\n", CT_OK, false, false, 4, 4 },
		{ "X-Linked-Call-ID", "192.0.2.1", "<sip:bob@198.51.100.7>",
		  "X-Linked-Call-ID: o4\r\n", CT_OK, false, false, 4, 4 },
		{ "Diversion", "192.0.2.1", "<sip:bob@198.51.100.7>",
		  "Diversion: <sip:201@pbx>;reason=no-answer\r\n", CT_OK, false, false, 4, 4 },
		{ "History-Info", "192.0.2.1", "<sip:bob@198.51.100.7>",
		  "History-Info: <sip:201@pbx>;index=1\r\n", CT_OK, false, false, 4, 4 },
		{ "IPv4 leading zero", "192.0.2.01", "<sip:bob@010.0.0.1>", "", CT_OK, false, true,
		  0, 0 },
		{ "IPv4 out of range", "256.0.2.1", "<sip:bob@1.2.3>", "", CT_OK, false, true, 0, 0 },
		{ "IPv4 five parts", "1.2.3.4.5", "<sip:bob@1.2.3.4.>", "", CT_OK, false, true, 0, 0 },
		{ "IPv4 edges", "0.0.0.0", "<sip:bob@255.255.255.255>", "", CT_OK, false, true, 4, 4 },
		{ "digit-led name", "1abc.example", "<sip:bob@9.example>", "", CT_OK, false, true, 0, 0 },
		{ "other X- header", "192.0.2.1", "<sip:bob@198.51.100.7>", "X-Cidr: 1\r\n", CT_OK,
		  false, true, 4, 4 },
	};
	size_t i;

	for (i = 0; i < sizeof(hv) / sizeof(hv[0]); i++) {
		struct ct_sip_prescan ps;
		struct ct_sip_msg m, p;
		char text[1024], scratch[1024];
		int n, rc;

		n = snprintf(text, sizeof(text), "INVITE sip:bob@example.net SIP/2.0\r\n"
		    "Via: SIP/2.0/UDP %s;branch=z9hG4bK-h\r\n" FROM TO CID
		    "CSeq: 1 INVITE\r\nContact: %s\r\n%sContent-Length: 0\r\n\r\n",
		    hv[i].via, hv[i].contact, hv[i].extra);
		rc = ct_sip_prescan(&ps, text, (size_t)n);
		memset(&m, 0, sizeof(m));
		CHECK_INT(ct_sip_msg_parse(&m, text, (size_t)n), CT_OK);
		if (rc != hv[i].rc || (rc == CT_OK && (m.via_addr.family != hv[i].via_family ||
		    m.contact_addr.family != hv[i].contact_family)) || (rc == CT_OK && (((ps.flags & CT_PS_COMPLEX) != 0) !=
		    hv[i].complex || ct_sip_prescan_complete(&ps) != hv[i].complete)))
			fprintf(stderr, "hosts: %s\n", hv[i].name);
		CHECK_INT(rc, hv[i].rc);
		if (rc == CT_OK) {
			CHECK_INT((ps.flags & CT_PS_COMPLEX) != 0, hv[i].complex);
			CHECK_INT(ct_sip_prescan_complete(&ps), hv[i].complete);
			CHECK_INT(ct_sip_prescan_msg(&ps, &p, scratch, sizeof(scratch)), CT_OK);
			CHECK_INT(m.via_addr.family, hv[i].via_family);
			CHECK_INT(m.contact_addr.family, hv[i].contact_family);
			if (!(ps.flags & CT_PS_COMPLEX)) {
				CHECK(ct_addr_eq(&p.via_addr, &m.via_addr));
				CHECK(ct_addr_eq(&p.contact_addr, &m.contact_addr));
			}
			if (ct_sip_prescan_complete(&ps)) {
				CHECK_STR(p.to_user, m.to_user);
				CHECK(m.link_id == NULL && m.diversion_user == NULL);
			} else if (hv[i].extra[0] != '\0') {
				CHECK(m.link_id != NULL || m.diversion_user != NULL);
			}
		}
		ct_sip_msg_fini(&m);
	}
}

/* A message of call cid for test_need (no addresses: the signalling path takes it). */
static struct ct_sip_msg need_msg(const char *cid, const char *method, int status,
    const char *cseq_method, uint32_t cseq, const char *to_tag)
{
	struct ct_sip_msg m;

	memset(&m, 0, sizeof(m));
	m.ts_us = 1000000;
	m.is_request = status == 0;
	snprintf(m.method, sizeof(m.method), "%s", status == 0 ? method : "");
	m.status = status;
	m.call_id = (char *)cid;
	m.from_tag = (char *)"ft";
	m.to_tag = (char *)to_tag;
	m.from_user = (char *)"100";
	m.to_user = (char *)"200";
	m.via_branch = (char *)"z9hG4bK-n";
	m.cseq = cseq;
	snprintf(m.cseq_method, sizeof(m.cseq_method), "%s", cseq_method);
	m.q850_cause = -1;
	return m;
}

static void drop_record(void *user, struct ct_call_record *rec)
{
	(void)user;
	ct_call_record_free(rec);
}

/*
 * ct_dialog_prescan_need: what the dialog table reads of a message beyond
 * the pre-scan's keys, by the state of its call (calls in progress read the
 * To user; forks read the Request-URI, Contact and P-Asserted-Identity of a
 * repeated initial INVITE or its final response).
 */
static void test_need(void)
{
	struct ct_dialog_hooks hooks = { .emit = drop_record };
	struct ct_dialog_cfg cfg;
	struct ct_dialog_table *t;
	struct ct_sip_msg m;

	ct_dialog_cfg_default(&cfg);
	cfg.rtp_tracked = false;
	t = ct_dialog_table_new(&cfg, &hooks);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	/* Unknown Call-IDs: call traffic opens a call in progress; noise does not. */
	m = need_msg("u1", "BYE", 0, "BYE", 2, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	CHECK(!ct_dialog_keys_suffice(t, &m));
	m = need_msg("u1", "", 180, "INVITE", 1, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	m = need_msg("u1", "", 481, "BYE", 2, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
	m = need_msg("u1", "", 407, "INVITE", 1, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
	m = need_msg("u1", "INVITE", 0, "INVITE", 1, NULL);
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	{
		static const char *const noise[] = {
			"REGISTER", "OPTIONS", "SUBSCRIBE", "NOTIFY", "PUBLISH", "MESSAGE"
		};
		size_t i;

		for (i = 0; i < sizeof(noise) / sizeof(noise[0]); i++) {
			m = need_msg("u1", noise[i], 0, noise[i], 1, NULL);
			CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
			CHECK(ct_dialog_keys_suffice(t, &m));
			m = need_msg("u1", "", 200, noise[i], 1, "tt");
			CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
		}
	}
	/* A call whose start was seen. */
	m = need_msg("s1", "INVITE", 0, "INVITE", 1, NULL);
	ct_dialog_on_msg(t, &m);
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);   /* forks read it */
	m = need_msg("s1", "", 180, "INVITE", 1, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KIND);
	ct_dialog_on_msg(t, &m);
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);  /* retransmission */
	m = need_msg("s1", "", 200, "INVITE", 1, "tt");
	ct_dialog_on_msg(t, &m);
	/* Repeated, still not keys only (forks read it); its kind needs
	 * Contact and P-Asserted-Identity: ct_sip_prescan_enough refuses it. */
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KIND);
	m = need_msg("s1", "ACK", 0, "ACK", 1, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KIND);
	ct_dialog_on_msg(t, &m);
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
	m = need_msg("s1", "BYE", 0, "BYE", 2, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KIND);
	ct_dialog_on_msg(t, &m);
	m = need_msg("s1", "", 200, "BYE", 2, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);  /* ended */
	/* A call in progress: every message of it reads the roles. */
	m = need_msg("p1", "INFO", 0, "INFO", 5, "tt");
	ct_dialog_on_msg(t, &m);
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);  /* retransmission */
	m = need_msg("p1", "", 200, "INFO", 5, "tt");
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	m = need_msg("p1", "INVITE", 0, "INVITE", 1, NULL);   /* replaces the unproven one */
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	ct_dialog_table_free(t);

	/*
	 * A call evicted lingers as a ghost (no dialog): its INVITE re-sent
	 * within linger_us is absorbed (keys), after it opens a call again.
	 */
	cfg.max_dialogs = 1;
	t = ct_dialog_table_new(&cfg, &hooks);
	CHECK(t != NULL);
	if (t == NULL)
		return;
	m = need_msg("g1", "INVITE", 0, "INVITE", 1, NULL);
	ct_dialog_on_msg(t, &m);
	m = need_msg("g2", "INVITE", 0, "INVITE", 1, NULL);
	m.ts_us = 3000000;                          /* g1 silent 2 s: evicted */
	ct_dialog_on_msg(t, &m);
	m = need_msg("g1", "INVITE", 0, "INVITE", 1, NULL);
	m.ts_us = 3000000 + 31000000;
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_KEYS);
	m.ts_us = 3000000 + 32000000;               /* the linger is over */
	CHECK_INT(ct_dialog_prescan_need(t, &m), CT_DIALOG_NEED_ALL);
	ct_dialog_table_free(t);
}

/*
 * The pre-scan's fast paths (the one-pass "sip:" URI, the header-name
 * dispatch by length and first byte) against libosip2 (diff_one): a table
 * of URI shapes, plain and hostile, in the Request-URI, From, To and
 * Contact, and of header-name spellings (case, compact forms, near
 * misses); then hostile whole messages (12,000 headers, folded lines, NUL
 * bytes, no blank line, a huge Call-ID).  Values of a few fast shapes are
 * checked outright.
 */
static void test_shapes(void)
{
	static const char *const uris[] = {
		"sip:alice@example.net", "sip:alice@192.0.2.1", "sip:alice@192.0.2.1:5060",
		"sip:alice@192.0.2.1:5060;transport=udp", "sip:alice@192.0.2.1;user=phone",
		"sip:+14155550100@203.0.113.10?subject=x", "sip:alice@192.0.2.1:",
		"sip:alice@192.0.2.1:123456", "sip:alice@192.0.2.1:50a60", "sip:alice@",
		"sip:@192.0.2.1", "sip:a(b)@192.0.2.1", "sip:a%41@192.0.2.1", "sip:a;x=y@192.0.2.1",
		"sip:alice@[2001:db8::1]:5060", "sip:alice@[192.0.2.1]", "sip:alice@host_name",
		"SIP:alice@192.0.2.1", "sips:alice@192.0.2.1", "sip:alice@192.0.2.1;;",
		"sip:alice@a@b", "sip:192.0.2.1", "sip:192.0.2.1:5060;lr", "sip:alice@192.0.2.256",
		"sip:alice@01.2.3.4", "sip:alice@1.2.3", "sip:alice@1.2.3.4.5", "sip:alice@-",
		"sip:alice@a.b:0", "sip:alice@a.b:99999", "sip:alice@a.b:5060?x", "sip:alice@a.b:5060,x",
		"sip:ali\x01" "ce@a.b", "sip:alice@a.b\x7f", "sip:alice@a.b;x=\xc3\xa9", "tel:+14155550100",
		"sip:alice@a.b:5060;transport=udp;lr", "sip:*99@a.b", "sip:~a_b.c!d'e*f@a.b",
		"sip:alice@a.b;", "sip:alice@a.b?", "sip:alice@a.b:5060:5060", "sip:alice@.",
		"sip:alice@1.2.3.4:5060;maddr=[::1]", "sip:a@b", "sip:a@1", "sip:a@b:1",
		"sip:a@b.c>", "sip:a@b c", "sip:a@b\tc", "sip:", "sip:@", "sip:a@",
		/* ']' in a host not in brackets: libosip2 refuses the URI */
		"sip:alice@a]b.it", "sip:alice@ab]", "sip:alice@]ab", "sip:alice@a]b:5060",
		"sip:alice@a]b;user=phone", "sip:alice@[::1]]", "sip:alice@a[b",
	};
	static const char *const spell[][2] = {
		/* header name as written, the value that follows it */
		{ "Call-ID", "c9@h" }, { "call-id", "c9@h" }, { "CALL-ID", "c9@h" }, { "i", "c9@h" },
		{ "I", "c9@h" }, { "Call-IDx", "c9@h" }, { "Call-I", "c9@h" }, { "Call_ID", "c9@h" },
		{ "CSEQ", "1 ACK" }, { "cseq ", "1 ACK" }, { "Cseq\t", "1 ACK" }, { "CSeqq", "1 ACK" },
		{ "Via", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-9" },
		{ "v", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-9" },
		{ "VIA", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-9" },
		{ "Vias", "SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-9" },
		{ "Contact", "<sip:c@192.0.2.7:5062>" }, { "m", "<sip:c@192.0.2.7>" },
		{ "CONTACT", "<sip:c@192.0.2.7>" }, { "Contacts", "<sip:c@192.0.2.7>" },
		/* libosip2 takes any value that starts with '*' as the wildcard (no URI) */
		{ "Contact", "*" }, { "Contact", "*<sip:c@192.0.2.7>" }, { "m", "* <sip:c@192.0.2.7>" },
		{ "Contact", "*;expires=0" }, { "Contact", "**" }, { "Contact", "\"*\" <sip:c@h>" },
		{ "Content-Length", "0" }, { "l", "0" }, { "content-LENGTH", "0" },
		{ "Content-Lengths", "0" }, { "Content-Type", "text/plain" }, { "c", "text/plain" },
		{ "MIME-Version", "1.0" }, { "Mime-Versio", "1.0" }, { "Max-Forwards", "70" },
		{ "Reason", "Q.850;cause=16" }, { "REASON", "Q.850;cause=16" },
		{ "P-Asserted-Identity", "<sip:+15550001@192.0.2.1>" },
		{ "p-asserted-identity", "<tel:+15550001>" }, { "P-Asserted-Identit", "<sip:x@y>" },
		{ "P-Asserted-Identity", "<sip:+15550001@a]b.it>" },
		{ "P-Asserted-Identity", "<sip:+15550001@ab]:5060>" },
		/* a quoted display name holding '<' and '>' (RFC 3261 §25.1) */
		{ "P-Asserted-Identity", "\"Smith <Sales>\" <sip:+15550001@192.0.2.1>" },
		{ "P-Asserted-Identity", "\"S, \\\"<J>\" <tel:+15550001>" },
		{ "Diversion", "<sip:d@192.0.2.1>" }, { "History-Info", "<sip:h@192.0.2.1>;index=1" },
		{ "X-CID", "abc" }, { "x-orig-call-id", "abc" }, { "X-Original-Call-ID", "abc" },
		{ "X-Linked-Call-ID", "abc" }, { "Refer-To", "<sip:r@192.0.2.1>" },
		{ "Referred-By", "<sip:b@192.0.2.1>" }, { "r", "<sip:r@192.0.2.1>" },
		{ "Record-Route", "<sip:p@192.0.2.1;lr>" }, { "User-Agent", "x" }, { "Allow", "INVITE" },
		{ "Supported", "timer" }, { "To2", "<sip:x@y>" }, { "Fro", "<sip:x@y>" }, { "", "x" },
	};
	struct diff_stats ds = { 0, 0, 0, 0, 0, 0 };
	struct ct_sip_prescan ps;
	struct ct_sip_msg m;
	char scratch[1024], b[64];
	char *buf = malloc(CT_SIP_MAX_BYTES + 64);
	size_t i, n, k;

	if (buf == NULL)
		return;
	for (i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
		for (k = 0; k < 4; k++) {
			const char *u = uris[i], *d = "sip:bob@192.0.2.2";

			n = (size_t)snprintf(buf, 4096, "INVITE %s SIP/2.0\r\n" VIA
			    "From: \"A\" <%s>;tag=ft1\r\nTo: <%s>\r\nCall-ID: s%zu@h\r\n"
			    "CSeq: 1 INVITE\r\nContact: <%s>\r\nContent-Length: 0\r\n\r\n",
			    k == 0 ? u : d, k == 1 ? u : d, k == 2 ? u : d, i, k == 3 ? u : d);
			diff_one("uri shapes", buf, n, &ds);
		}
	}
	/* Most shapes are plain (the fast path's) and taken whole. */
	CHECK(ds.complete * 2 > ds.messages);
	for (i = 0; i < sizeof(spell) / sizeof(spell[0]); i++) {
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T CID
		    "CSeq: 1 ACK\r\n%s: %s\r\n\r\n", spell[i][0], spell[i][1]);
		diff_one("header names", buf, n, &ds);
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\n%s: %s\r\n" VIA
		    FROM TO_T "CSeq: 1 ACK\r\nCall-ID: n%zu@h\r\n\r\n", spell[i][0], spell[i][1], i);
		diff_one("header names", buf, n, &ds);
	}
	{
		/* Via sent-by and Call-ID shapes (take_via's and take_call_id's one span) */
		static const char *const vias[] = {
			"SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bK-v", "sip/2.0/udp 192.0.2.9;branch=z9hG4bK-v",
			"SIP/2.0/TCP host.example;branch=z9hG4bK-v", "SIP/2.0/UDP host_x:5060;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9:;branch=z9hG4bK-v", "SIP/2.0/UDP 192.0.2.9:123456;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9:50a;branch=z9hG4bK-v", "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9 ;branch=z9hG4bK-v", "SIP/2.0/UDP 192.0.2.9:5060:5060;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9~x;branch=z9hG4bK-v", "SIP/2.0/UDP 192.0.2.9,SIP/2.0/UDP 192.0.2.8",
			"SIP/2.0/UDP 192.0.2.9:5060", "SIP/2.0/UDP 192.0.2.9:5060;rport;branch=z9hG4bK-v",
			"SIP/2.0/UDP a:1;branch=z9hG4bK-v", "SIP/2.0/UDP -:1;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9:5060 ; branch = z9hG4bK-v", "SIP/2.0/UDP 01.2.3.4;branch=z9hG4bK-v",
			"SIP/2.0/UDP 192.0.2.9:5060\t;branch=z9hG4bK-v", "SIP/2.0 /UDP 192.0.2.9;branch=z9hG4bK-v",
			"SIP/2.0/UDP192.0.2.9;branch=z9hG4bK-v", "SIP/2.0/UDP 192.0.2.9:5060;BRANCH=z9hG4bK-v",
		};
		static const char *const cids[] = {
			"abc@host", "abc", "a@b@c", "@abc", "abc@", "a b", "a(b)@c", "a[b]:{c}?/", "a%b",
			"a\"b", "a<b>", "ab@c d", "x@[::1]", "a;b", "a@b;c", "a@@b",
		};

		for (i = 0; i < sizeof(vias) / sizeof(vias[0]); i++) {
			n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\nVia: %s\r\n"
			    FROM TO_T CID "CSeq: 1 ACK\r\n\r\n", vias[i]);
			diff_one("via shapes", buf, n, &ds);
		}
		for (i = 0; i < sizeof(cids) / sizeof(cids[0]); i++) {
			n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
			    "Call-ID: %s\r\nCSeq: 1 ACK\r\n\r\n", cids[i]);
			diff_one("call-id shapes", buf, n, &ds);
		}
		/* values outright */
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\nVia: %s\r\n"
		    FROM TO_T CID "CSeq: 1 ACK\r\n\r\n", vias[0]);
		CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);
		CHECK_STR(str(&ps.via_host, b, sizeof(b)), "192.0.2.9");
		CHECK_STR(str(&ps.via_branch, b, sizeof(b)), "z9hG4bK-v");
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\nVia: %s\r\n"
		    FROM TO_T CID "CSeq: 1 ACK\r\n\r\n", vias[5]);
		CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);   /* a 6-digit port */
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
		    "Call-ID: a@b@c\r\nCSeq: 1 ACK\r\n\r\n");
		CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);   /* two '@' */
		n = (size_t)snprintf(buf, 4096, "ACK sip:a@192.0.2.2 SIP/2.0\r\n" VIA FROM TO_T
		    "Call-ID: a[b]:{c}?/@x\r\nCSeq: 1 ACK\r\n\r\n");
		CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);
		CHECK_STR(str(&ps.call_id, b, sizeof(b)), "a[b]:{c}?/@x");
	}
	CHECK_INT(ds.failed, 0);

	/* Fast-path values, outright. */
	n = (size_t)snprintf(buf, 4096, "INVITE sip:+14155550100@203.0.113.10 SIP/2.0\r\n" VIA
	    "From: <sip:attacker@100.64.0.98>;tag=da05\r\nTo: <sip:+14155550100@203.0.113.10>\r\n"
	    "Call-ID: f-1@h\r\nCSeq: 1 INVITE\r\nContact: <sip:attacker@100.64.0.98:5060>\r\n"
	    "Content-Length: 0\r\n\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);
	CHECK(ct_sip_prescan_complete(&ps));
	m.ts_us = 0;
	CHECK_INT(ct_sip_prescan_msg(&ps, &m, scratch, sizeof(scratch)), CT_OK);
	CHECK_STR(m.ruri_user, "+14155550100");
	CHECK_STR(m.from_user, "attacker");
	CHECK_STR(m.to_user, "+14155550100");
	CHECK_STR(m.contact_user, "attacker");
	CHECK_STR(str(&ps.contact_host, b, sizeof(b)), "100.64.0.98");
	CHECK_STR(ct_addr_str(&m.contact_addr, b, sizeof(b)), "100.64.0.98");

	/* Hostile messages: each judged as libosip2 judges it, or refused. */
	memset(&ds, 0, sizeof(ds));
	n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n");
	for (i = 0; i < 12000 && n + 16 < CT_SIP_MAX_BYTES; i++)
		n += (size_t)snprintf(buf + n, 16, "X: y\r\n");
	n += (size_t)snprintf(buf + n, 4, "\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);    /* over CT_SIP_MAX_HEADERS */
	diff_one("12,000 headers", buf, n, &ds);
	n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-ID: ");
	memset(buf + n, 'k', 30000);
	n += 30000;
	n += (size_t)snprintf(buf + n, 64, "@h\r\nCSeq: 1 ACK\r\n\r\n");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);     /* a 30 KB Call-ID is plain */
	CHECK_INT((int)ps.call_id.n, 30002);
	diff_one("huge Call-ID", buf, n, &ds);
	{
		static const char *const bad[] = {
			/* NUL bytes in a name, a value, a URI */
			"ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-\0ID: x@h\r\nCSeq: 1 ACK\r\n\r\n",
			"ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-ID: x\0y@h\r\nCSeq: 1 ACK\r\n\r\n",
			"ACK sip:a@b SIP/2.0\r\n" VIA "From: <sip:a\0b@c>;tag=1\r\n" TO_T CID
			    "CSeq: 1 ACK\r\n\r\n",
			"ACK sip:a@b SIP/2.0\r\n" VIA "From: <sip:ab@c\0>;tag=1\r\n" TO_T CID
			    "CSeq: 1 ACK\r\n\r\n",
			/* no blank line, no CRLF at all, bare LF */
			"ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n",
			"ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK",
			"ACK sip:a@b SIP/2.0\n" "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\n"
			    "From: <sip:a@b>;tag=1\nTo: <sip:c@d>;tag=2\nCall-ID: l@h\nCSeq: 1 ACK\n\n",
			/* folded values of the fast path's headers */
			"INVITE sip:a@192.0.2.2 SIP/2.0\r\n" VIA "From: <sip:a@192.0.2.1>\r\n ;tag=1\r\n"
			    "To: <sip:c@d>\r\n" CID "CSeq: 1 INVITE\r\nContact:\r\n <sip:a@192.0.2.1:5060>"
			    "\r\nContent-Length: 0\r\n\r\n",
			"INVITE sip:a@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP\r\n\t192.0.2.1;branch=z9hG4bK-2\r\n"
			    "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:c@d>\r\n" CID "CSeq: 1 INVITE\r\n\r\n",
			/* compact forms and case in one message */
			"invite sip:a@192.0.2.2 SIP/2.0\r\nv: SIP/2.0/udp 192.0.2.1;branch=z9hG4bK-3\r\n"
			    "f: <sip:a@192.0.2.1>;tag=1\r\nt: <sip:c@d>\r\ni: q@h\r\ncseq: 1 invite\r\n"
			    "m: <sip:a@192.0.2.1>\r\nl: 0\r\n\r\n",
		};
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			/* the NUL vectors' length: up to the end of their literal */
			const char *t = bad[i];
			size_t len = strlen(t);

			if (i < 4) {
				const char *e = t + len + 1;   /* past the embedded NUL */

				len += 1 + strlen(e);
			}
			diff_one("hostile", t, len, &ds);
		}
	}
	CHECK_INT(ds.failed, 0);

	/*
	 * find_line's 16-byte blocks: a From of every length from 24 to 70
	 * bytes (its line end before, on and after each block edge), as the
	 * last header too (the final block read back from the message end),
	 * with no CR but the line end's, with a stray CR at each position of
	 * the value, or ending in a bare LF: a stray CR makes the message
	 * complex, nothing else does; every one as libosip2 judges it.
	 */
	memset(&ds, 0, sizeof(ds));
	for (k = 24; k <= 70; k++) {
		char from[96];
		size_t pos, last;

		/* From: <sip:a@192.0.2.1>;tag=xxxx..., k bytes of value */
		n = (size_t)snprintf(from, sizeof(from), "<sip:a@192.0.2.1>;tag=");
		while (n < k)
			from[n++] = 't';
		from[n] = '\0';
		for (last = 0; last < 2; last++) {
			for (pos = 0; pos <= k; pos++) {
				char val[96];
				bool stray = pos < k;

				memcpy(val, from, k + 1);
				/* pos < k: a CR in place of the value's byte pos (not its first) */
				if (stray) {
					if (pos == 0)
						continue;
					val[pos] = '\r';
				}
				if (last)
					n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA TO_T CID
					    "CSeq: 1 ACK\r\nFrom: %s\r\n\r\n", val);
				else
					n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA
					    "From: %s\r\n" TO_T CID "CSeq: 1 ACK\r\n\r\n", val);
				if (ct_sip_prescan(&ps, buf, n) == CT_OK)
					CHECK_INT(!!(ps.flags & CT_PS_COMPLEX), stray);
				else
					CHECK(stray);   /* a CR inside the URI fails the scan */
				diff_one("line blocks", buf, n, &ds);
			}
			/* bare LF line ends throughout */
			n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\n"
			    "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK-1\nTo: <sip:c@d>;tag=2\n"
			    "Call-ID: l@h\nCSeq: 1 ACK\n%sFrom: %s\n%s\n", last ? "" : "X: y\n", from,
			    last ? "" : "Y: z\n");
			CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);
			CHECK(!(ps.flags & CT_PS_COMPLEX));
			diff_one("line blocks", buf, n, &ds);
		}
	}
	/* A stray CR in each header whose reader checks every byte: the
	 * message fails (Call-ID, CSeq) or is complex (Content-*). */
	{
		static const struct { const char *text; int rc; } crs[] = {
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-ID: a\rb@h\r\nCSeq: 1 ACK\r\n\r\n", CT_ERR },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T "Call-ID: ab@h\r\r\nCSeq: 1 ACK\r\n\r\n", CT_ERR },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1\rACK\r\n\r\n", CT_ERR },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\r\n\r\n", CT_ERR },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n"
			    "Content-Length: 0\r\r\n\r\n", CT_OK },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n"
			    "Content-Type: application/sdp\r\r\nContent-Length: 0\r\n\r\n", CT_OK },
			{ "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r\n"
			    "Content-Type: application/\rsdp\r\nContent-Length: 0\r\n\r\n", CT_OK },
		};

		for (i = 0; i < sizeof(crs) / sizeof(crs[0]); i++) {
			n = strlen(crs[i].text);
			CHECK_INT(ct_sip_prescan(&ps, crs[i].text, n), crs[i].rc);
			if (crs[i].rc == CT_OK)
				CHECK(ps.flags & CT_PS_COMPLEX);
			diff_one("stray CR", crs[i].text, n, &ds);
		}
	}
	/* Messages under one block, and a last line without its line end. */
	CHECK_INT(ct_sip_prescan(&ps, "ACK a SIP/2.0\r\n", 15), CT_ERR);
	CHECK_INT(ct_sip_prescan(&ps, "SIP/2.0 200 OK\n", 15), CT_ERR);
	n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);
	CHECK_INT((int)ps.cseq, 1);
	CHECK_STR(str(&ps.cseq_method, b, sizeof(b)), "ACK");
	n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 A\rCK");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_ERR);   /* a CR inside the method token */
	n = (size_t)snprintf(buf, 4096, "ACK sip:a@b SIP/2.0\r\n" VIA FROM TO_T CID "CSeq: 1 ACK\r");
	CHECK_INT(ct_sip_prescan(&ps, buf, n), CT_OK);    /* the last byte's CR is its line end */
	CHECK(!(ps.flags & CT_PS_COMPLEX));
	CHECK_INT(ds.failed, 0);
	free(buf);
}

int main(void)
{
	ct_sip_init();
	test_vectors();
	test_msg();
	test_hosts();
	test_need();
	test_limits();
	test_nul();
	test_cseq_method();
	test_shapes();
	test_reason();
	test_via2();
	test_differential();
	return TEST_REPORT();
}
